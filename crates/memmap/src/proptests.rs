//! Property tests against a per-page model: a vector with one [`Class`]
//! per page. Runs given in arbitrary pieces must merge to the model's
//! maximal runs; cells must carry the model's dominant class (most pages,
//! the first met on a tie); grid rectangles must cover each cell once; the
//! text map must show each block's dominant class; the page, written in
//! chunks into sinks of random small sizes, must show every cell with the
//! model's class and a legend with the model's counts.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::page::*;
use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A memory of `pages` from frame `base`, described in runs cut at every
/// multiple of `split` (so batches and runs end in odd places).
pub struct Synthetic {
    pub base: u64,
    pub pages: Vec<Class>,
    pub split: u64,
    pub iommu: Vec<u8>,
}

impl Synthetic {
    pub fn new(base: u64, pages: Vec<Class>, split: u64) -> Synthetic {
        let iommu = (0..100u64).map(|i| ((i * 7 / 13) % 3) as u8).collect();
        Synthetic { base, pages, split: split.max(1), iommu }
    }

    fn class(&self, pfn: u64) -> Class {
        self.pages[(pfn - self.base) as usize]
    }
}

impl Memory for Synthetic {
    fn runs(&self, from: u64, to: u64, out: &mut [Run]) -> usize {
        let mut n = 0;
        let mut pfn = from;
        while pfn < to && n < out.len() {
            let c = self.class(pfn);
            let mut end = pfn + 1;
            while end < to && self.class(end) == c && end % self.split != 0 {
                end += 1;
            }
            out[n] = Run::new(pfn, end - pfn, c);
            n += 1;
            pfn = end;
        }
        n
    }

    fn owner_name(&self, owner: u8, w: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(w, "owner<{owner}>")
    }

    fn span(&self) -> (u64, u64) {
        (self.base, self.base + self.pages.len() as u64)
    }

    fn cma_area(&self) -> (u64, u64) {
        let is_cma = |c: &Class| matches!(c, Class::CmaFree | Class::Owned { cma: true, .. });
        match (self.pages.iter().position(is_cma), self.pages.iter().rposition(is_cma)) {
            (Some(a), Some(b)) => (self.base + a as u64, self.base + b as u64 + 1),
            _ => (0, 0),
        }
    }

    fn iommu_arena(&self, i: usize) -> Option<(&'static str, u64)> {
        (i == 0).then_some(("PCI window", self.iommu.len() as u64))
    }

    fn iommu_runs(&self, _i: usize, from: u64, out: &mut [(u64, u64, u8)]) -> usize {
        let mut n = 0;
        let mut e = from as usize;
        while e < self.iommu.len() && n < out.len() {
            let s = self.iommu[e];
            let start = e;
            while e < self.iommu.len() && self.iommu[e] == s {
                e += 1;
            }
            out[n] = (start as u64, (e - start) as u64, s);
            n += 1;
        }
        n
    }
}

struct Bounded {
    s: String,
    cap: usize,
}

impl core::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.s.len() + s.len() > self.cap {
            return Err(core::fmt::Error);
        }
        self.s.push_str(s);
        Ok(())
    }
}

impl Sink for Bounded {
    fn room(&self) -> usize {
        self.cap - self.s.len()
    }
}

/// The model's dominant class of `pages`: most pages, first met on a tie.
fn dominant(pages: &[Class]) -> Class {
    let mut seen: Vec<(Class, usize)> = vec![];
    for &c in pages {
        match seen.iter_mut().find(|e| e.0 == c) {
            Some(e) => e.1 += 1,
            None => seen.push((c, 1)),
        }
    }
    let mut best = seen[0];
    for &e in &seen[1..] {
        if e.1 > best.1 {
            best = e;
        }
    }
    best.0
}

fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let k = format!("{name}=\"");
    let at = if tag.starts_with(&k) { Some(0) } else { tag.find(&format!(" {k}")).map(|i| i + 1) };
    let i = at.unwrap_or_else(|| panic!("no {name} in {tag}")) + k.len();
    &tag[i..i + tag[i..].find('"').unwrap()]
}

/// Writes the page for `query` in chunks of at most `room` bytes and
/// checks it against the model.
pub fn check_page(mem: &Synthetic, query: &str, room: usize) {
    let mut st = PageState::parse(query, mem.span()).unwrap();
    let mut html = String::new();
    let mut chunks = 0;
    loop {
        let mut b = Bounded { s: String::new(), cap: room };
        let done = write_chunk(mem, &mut st, &mut b).expect("a chunk overflowed its sink");
        assert!(!b.s.is_empty() || done, "a chunk made no progress");
        html.push_str(&b.s);
        chunks += 1;
        assert!(chunks < 1_000_000);
        if done {
            break;
        }
        st = PageState::decode(st.encode());
    }
    assert!(html.ends_with("</body></html>\n"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    for once in ["<table id=\"legend\">", "</table>", "<svg id=\"map\"", "<h1>", "</style>"] {
        assert_eq!(html.matches(once).count(), 1, "{once} not exactly once");
    }
    let (from, to) = (st.from, st.to);
    let model = &mem.pages[(from - mem.base) as usize..(to - mem.base) as usize];
    // The legend: the model's pages per class, and nothing else.
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for &c in model {
        *want.entry(Key(c).to_string()).or_default() += 1;
    }
    let mut got = BTreeMap::new();
    for tr in html.split("<tr ").skip(1) {
        got.insert(attr(tr, "data-key").to_string(), attr(tr, "data-pages").parse::<u64>().unwrap());
    }
    assert_eq!(got, want, "legend counts");
    let memory = model.iter().filter(|c| c.is_memory()).count();
    let totals = &html[html.find("<p id=\"totals\"").unwrap()..];
    assert_eq!(attr(totals, "data-memory"), memory.to_string());
    // The grid: every cell once, with the model's dominant class.
    let ppc = st.pages_per_cell();
    let cells = (to - from).div_ceil(ppc);
    let svg = &html[html.find("<svg id=\"map\"").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert_eq!(attr(svg, "data-cells"), cells.to_string());
    let mut seen = vec![false; cells as usize];
    for rect in svg.split("<rect ").skip(1) {
        let n = |a| attr(rect, a).parse::<u64>().unwrap();
        let (x, y, w, h) = (n("x"), n("y"), n("width"), n("height"));
        let key = &attr(rect, "class")[2..];
        for row in y..y + h {
            for col in x..x + w {
                let cell = row * COLS + col;
                assert!(cell < cells, "cell {cell} beyond the grid");
                assert!(!seen[cell as usize], "cell {cell} drawn twice");
                seen[cell as usize] = true;
                let lo = (cell * ppc) as usize;
                let hi = (((cell + 1) * ppc) as usize).min(model.len());
                assert_eq!(key, Key(dominant(&model[lo..hi])).to_string(), "cell {cell}");
            }
        }
        assert!(rect.contains("<title>pfn 0x"));
    }
    assert!(seen.iter().all(|&s| s), "a cell was not drawn");
    // The CMA strip: each page of the area once, with its class.
    let (cb, ce) = mem.cma_area();
    if cb < ce {
        let strip = &html[html.find("<svg id=\"cma\"").unwrap()..];
        let strip = &strip[..strip.find("</svg>").unwrap()];
        let mut next = 0;
        for rect in strip.split("<rect ").skip(1) {
            let (x, w) = (attr(rect, "x").parse::<u64>().unwrap(), attr(rect, "width").parse::<u64>().unwrap());
            assert_eq!(x, next, "CMA strip gap or overlap");
            // Coloured by itself: a zoom outside the area leaves the head
            // without the CMA classes' style rules.
            assert_eq!(attr(rect, "fill"), Fill(mem.class(cb + x)).to_string(), "CMA strip rect without its fill");
            for p in x..x + w {
                assert_eq!(&attr(rect, "class")[2..], Key(mem.class(cb + p)).to_string());
            }
            next = x + w;
        }
        assert_eq!(next, ce - cb);
    }
    assert_eq!(html.matches("<svg id=\"iommu-0\"").count(), 1);
}

fn class_strategy() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Hole),
        Just(Class::Firmware),
        Just(Class::Kernel),
        Just(Class::Reserved),
        Just(Class::CmaFree),
        (0u8..=MAX_ORDER).prop_map(Class::BuddyFree),
        (1u8..6, any::<bool>()).prop_map(|(owner, cma)| Class::Owned { owner, cma }),
        Just(Class::Unowned),
    ]
}

/// Pages as runs of random classes and lengths.
fn pages_strategy(max_runs: usize) -> impl Strategy<Value = Vec<Class>> {
    prop::collection::vec((class_strategy(), 1usize..40), 1..max_runs)
        .prop_map(|v| v.into_iter().flat_map(|(c, n)| core::iter::repeat_n(c, n)).collect())
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn index_round_trips(c in class_strategy()) {
        prop_assert_eq!(Class::from_index(c.index()), c);
        prop_assert!(c.index() < CLASSES);
    }

    #[test]
    fn merged_runs_are_the_models(pages in pages_strategy(30), base in 0u64..1000, split in 1u64..50) {
        let mem = Synthetic::new(base, pages.clone(), split);
        let mut buf = [Run::new(0, 0, Class::Hole); 7];
        let mut m = Merger::new();
        let mut out = vec![];
        let (mut pfn, end) = mem.span();
        while pfn < end {
            let n = mem.runs(pfn, end, &mut buf);
            for r in &buf[..n] {
                m.push(*r, |x| out.push(x));
                pfn = r.end();
            }
        }
        m.finish(|x| out.push(x));
        // The model's maximal runs.
        let mut want = vec![];
        let mut i = 0;
        while i < pages.len() {
            let j = (i..pages.len()).find(|&j| pages[j] != pages[i]).unwrap_or(pages.len());
            want.push(Run::new(base + i as u64, (j - i) as u64, pages[i]));
            i = j;
        }
        prop_assert_eq!(out, want);
    }

    #[test]
    fn cells_carry_the_dominant_class(pages in pages_strategy(30), ppc in 1u64..20, split in 1u64..50) {
        let mem = Synthetic::new(77, pages.clone(), split);
        let mut cells = Cells::new(77, ppc);
        let mut got = vec![];
        let mut buf = [Run::new(0, 0, Class::Hole); 5];
        let (mut pfn, end) = mem.span();
        let mut last_end = 0;
        while pfn < end {
            let n = mem.runs(pfn, end, &mut buf);
            for r in &buf[..n] {
                cells.push(*r, |c| {
                    assert_eq!(c.start, last_end, "cell runs not contiguous");
                    last_end = c.end();
                    got.extend(core::iter::repeat_n(c.class, c.pages as usize));
                });
                pfn = r.end();
            }
        }
        cells.finish(|c| {
            assert_eq!(c.start, last_end);
            last_end = c.end();
            got.extend(core::iter::repeat_n(c.class, c.pages as usize));
        });
        let want: Vec<Class> = pages.chunks(ppc as usize).map(dominant).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn rects_cover_each_cell_once(first in 0u64..1000, cells in 0u64..1000, cols in 1u64..200) {
        let mut covered = vec![0u8; (first + cells + cols) as usize];
        let mut n = 0;
        grid_rects(first, cells, cols, |r| {
            n += 1;
            assert!(r.x + r.w <= cols && r.w > 0 && r.h > 0);
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    covered[(y * cols + x) as usize] += 1;
                }
            }
        });
        prop_assert!(n <= 3);
        for (i, &c) in covered.iter().enumerate() {
            let inside = (i as u64) >= first && (i as u64) < first + cells;
            prop_assert_eq!(c, u8::from(inside), "cell {}", i);
        }
    }

    #[test]
    fn text_map_shows_dominant_blocks(pages in pages_strategy(30), width in (TEXT_PREFIX + 8)..(TEXT_PREFIX + 40), lines in 1usize..6) {
        let mem = Synthetic::new(0x40, pages.clone(), 9);
        let mut buf = [Run::new(0, 0, Class::Hole); 1000];
        let (from, to) = mem.span();
        let n = mem.runs(from, to, &mut buf);
        let ch = |c: Class| match c {
            Class::Owned { owner, cma } => char::from(if cma { b'A' } else { b'a' } + owner),
            c => fixed_char(c).unwrap(),
        };
        let mut s = String::new();
        let per = text_map(buf[..n].iter().copied(), from, to, width, lines, ch, &mut s).unwrap();
        let cols = (width - TEXT_PREFIX) as u64;
        prop_assert!(pages.len() as u64 <= per * cols * lines as u64);
        prop_assert!(per == 1 || (pages.len() as u64) > per / 2 * cols * lines as u64);
        let mut got = String::new();
        for (i, line) in s.lines().enumerate() {
            prop_assert_eq!(&line[..TEXT_PREFIX], format!("{:#012x} ", (from + i as u64 * cols * per) << 13));
            prop_assert!(line.len() <= width);
            got.push_str(&line[TEXT_PREFIX..]);
        }
        let want: String = pages.chunks(per as usize).map(|c| ch(dominant(c))).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn page_matches_the_model(
        pages in pages_strategy(60),
        split in 1u64..64,
        room in HEAD_MAX..(HEAD_MAX + 4 * RECORD_MAX),
        zoom in any::<(u16, u16)>(),
    ) {
        let mem = Synthetic::new(0x2000, pages.clone(), split);
        let len = pages.len() as u64;
        let (a, b) = (u64::from(zoom.0) % len, u64::from(zoom.1) % len);
        let query = if a == b { String::new() } else { format!("from={}&to={}", 0x2000 + a.min(b), 0x2000 + a.max(b)) };
        check_page(&mem, &query, room);
    }
}

#[test]
fn bench_like_2gib_page_is_bounded() {
    // Not a benchmark (benches/ has that): a 2 GiB map is written in 16 KiB
    // chunks, none overflowing.
    let mut pages = Vec::with_capacity(262_144);
    let mut i = 0u64;
    while pages.len() < 262_144 {
        let c = match i % 5 {
            0 => Class::BuddyFree((i % 11) as u8),
            1 => Class::Owned { owner: 1, cma: false },
            2 => Class::BuddyFree(10),
            3 => Class::Reserved,
            _ => Class::Owned { owner: 3, cma: false },
        };
        pages.extend(core::iter::repeat_n(c, 1 + (i * 37 % 61) as usize));
        i += 1;
    }
    pages.truncate(262_144);
    let mem = Synthetic::new(0, pages, 1 << 20);
    let mut st = PageState::parse("", mem.span()).unwrap();
    let mut total = 0;
    loop {
        let mut b = Bounded { s: String::new(), cap: 16 * 1024 };
        let done = write_chunk(&mem, &mut st, &mut b).unwrap();
        total += b.s.len();
        if done {
            break;
        }
    }
    assert!(total > 100_000);
    let _ = writeln!(String::new(), "{total}");
}
