//! The `/memory` page: HTML with an inline SVG showing every page of a
//! range of physical memory as a cell coloured by its [`Class`], a legend
//! with the pages of each class, and strips for the CMA area and the
//! IOMMU arenas. Written in chunks into a bounded [`Sink`] (the kernel's
//! HTTP response body) from a small resumable [`PageState`], so a 2 GiB
//! machine's page needs no buffer of its size: each chunk walks the
//! memory description again from where the last one stopped.
//!
//! Scaling: a range of at most [`PAGE_CELLS`] pages (256 MiB of 8 KiB
//! pages) gets one cell per page; a larger one one cell per
//! [`SCALED_PAGES`] pages (64 KiB) with the dominant class. Cells are laid
//! out [`COLS`] to a row; each run of cells of one class is one to three
//! `<rect>`s in cell units, with a `<title>` naming its frames and class
//! (the browser shows it on hover).

use super::{Cells, Class, Counts, Key, Merger, Run, grid_rects};
use core::fmt::{self, Write};

/// One cell per page up to this many pages (256 MiB at 8 KiB).
pub const PAGE_CELLS: u64 = 32768;
/// Pages per cell above that (64 KiB).
pub const SCALED_PAGES: u64 = 8;
/// Cells per row.
pub const COLS: u64 = 128;
/// Pixels per cell side.
pub const CELL_PX: u64 = 5;
/// Width of the CMA and IOMMU strips in pixels.
pub const STRIP_PX: u64 = COLS * CELL_PX;
/// Bytes a chunk keeps free before writing one more record (a run's
/// rectangles with their titles, a legend row): no record is longer.
pub const RECORD_MAX: usize = 1024;
/// Bytes a sink must have free at the start of each chunk: the page's
/// head (its style rules, one per class present, and the totals) is
/// written in one piece. The kernel's chunks have 16 KiB.
pub const HEAD_MAX: usize = 8192;
/// Longest refresh interval `refresh=` takes, in seconds.
pub const MAX_REFRESH: u32 = 3600;

/// Where the page gets its data: the kernel's memory structures, or a
/// synthetic map in tests and benchmarks.
pub trait Memory {
    /// Fills `out` with runs describing `[from, to)` from `from` on,
    /// lowest first, contiguous, clipped to `to`; returns how many (at
    /// least one while `from < to` and `out` is not empty).
    fn runs(&self, from: u64, to: u64, out: &mut [Run]) -> usize;
    /// The name of owner code `owner` (`heap`, `dma-coherent:tulip`...).
    fn owner_name(&self, owner: u8, w: &mut dyn Write) -> fmt::Result;
    /// First page frame of memory and one past the last.
    fn span(&self) -> (u64, u64);
    /// The CMA area `[base, end)` (empty if there is none).
    fn cma_area(&self) -> (u64, u64);
    /// IOMMU arena `i`: its name and number of entries (`None` past the last).
    fn iommu_arena(&self, i: usize) -> Option<(&'static str, u64)>;
    /// Runs of arena `i`'s entries from `from`: (first entry, entries,
    /// state: 0 free, 1 mapped, 2 freed but not yet flushed from the
    /// IOMMU's TLB); returns how many.
    fn iommu_runs(&self, i: usize, from: u64, out: &mut [(u64, u64, u8)]) -> usize;
}

/// A bounded output: the response body of one chunk.
pub trait Sink: Write {
    /// Bytes that can still be written.
    fn room(&self) -> usize;
}

/// Why a query was refused (the page answers 400 with this text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// A parameter this page does not know.
    Unknown,
    /// A value that is not a number (decimal or `0x` hex).
    NotANumber,
    /// `from` not below `to`.
    Reversed,
    /// A frame outside memory.
    OutOfRange { first: u64, end: u64 },
    /// `refresh` out of `1..=MAX_REFRESH`.
    Refresh,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Unknown => f.write_str("unknown parameter: /memory takes from=PFN, to=PFN and refresh=SECONDS\n"),
            QueryError::NotANumber => f.write_str("from, to and refresh take a number (decimal, or hex with 0x)\n"),
            QueryError::Reversed => f.write_str("the range is empty or reversed: from must be below to\n"),
            QueryError::OutOfRange { first, end } => {
                write!(f, "the range lies outside memory: page frames {first:#x} to {end:#x} (exclusive)\n")
            }
            QueryError::Refresh => write!(f, "refresh takes 1 to {MAX_REFRESH} seconds\n"),
        }
    }
}

fn number(v: &str) -> Result<u64, QueryError> {
    let r = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    r.map_err(|_| QueryError::NotANumber)
}

const HEAD: u8 = 0;
const LEGEND: u8 = 1;
const GRID: u8 = 2;
const CMA: u8 = 3;
/// Arena `i`'s strip is phase `IOMMU + i`.
const IOMMU: u8 = 4;
const DONE: u8 = 255;

/// Where a page being written stands: small enough to keep per
/// connection between chunks ([`PageState::encode`]: four words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageState {
    pub from: u64,
    pub to: u64,
    /// Seconds between reloads (`refresh=`), 0: none.
    pub refresh: u32,
    phase: u8,
    cursor: u64,
    /// Whether the current phase's opening was written.
    opened: bool,
}

impl PageState {
    /// The state for the query string after `/memory?` (`""`: all of
    /// memory), for memory `span` = (first frame, end).
    pub fn parse(query: &str, span: (u64, u64)) -> Result<PageState, QueryError> {
        let (mut from, mut to, mut refresh) = (span.0, span.1, 0);
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "from" => from = number(v)?,
                "to" => to = number(v)?,
                "refresh" => {
                    let n = number(v)?;
                    if n == 0 || n > MAX_REFRESH as u64 {
                        return Err(QueryError::Refresh);
                    }
                    refresh = n as u32;
                }
                _ => return Err(QueryError::Unknown),
            }
        }
        if from >= to {
            return Err(QueryError::Reversed);
        }
        if from < span.0 || to > span.1 {
            return Err(QueryError::OutOfRange { first: span.0, end: span.1 });
        }
        Ok(PageState { from, to, refresh, phase: HEAD, cursor: from, opened: false })
    }

    /// Pages per cell for this range.
    pub fn pages_per_cell(&self) -> u64 {
        if self.to - self.from <= PAGE_CELLS { 1 } else { SCALED_PAGES }
    }

    /// Cells in the grid.
    pub fn cells(&self) -> u64 {
        (self.to - self.from).div_ceil(self.pages_per_cell())
    }

    /// Whether the whole page has been written.
    pub fn done(&self) -> bool {
        self.phase == DONE
    }

    /// The state as four words (for a connection to keep).
    pub fn encode(&self) -> [u64; 4] {
        [self.from, self.to, self.cursor, u64::from(self.phase) | u64::from(self.opened) << 8 | u64::from(self.refresh) << 16]
    }

    /// The state [`PageState::encode`] gave.
    pub fn decode(w: [u64; 4]) -> PageState {
        PageState {
            from: w[0],
            to: w[1],
            cursor: w[2],
            phase: w[3] as u8,
            opened: (w[3] >> 8) & 1 == 1,
            refresh: (w[3] >> 16) as u32,
        }
    }
}

/// Pages of each class in `[from, to)` (a full walk, in batches).
pub fn count(mem: &impl Memory, from: u64, to: u64) -> Counts {
    let mut c = Counts::default();
    let mut buf = [Run::new(0, 0, Class::Hole); 32];
    let mut pfn = from;
    while pfn < to {
        let n = mem.runs(pfn, to, &mut buf);
        if n == 0 {
            break;
        }
        for r in &buf[..n] {
            c.add(r);
            pfn = r.end();
        }
    }
    c
}

/// The CSS fill of a class.
pub struct Fill(pub Class);

fn owner_hue(owner: u8) -> u32 {
    (u32::from(owner) * 67 + 200) % 360
}

impl fmt::Display for Fill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Class::Hole => f.write_str("#ffffff"),
            Class::Firmware => f.write_str("#7b3f00"),
            Class::Kernel => f.write_str("#1f3a93"),
            Class::Reserved => f.write_str("#8c8c8c"),
            Class::CmaFree => f.write_str("#f3e27a"),
            // Lighter for small blocks, darker for large ones.
            Class::BuddyFree(o) => write!(f, "hsl({},50%,{}%)", 100 + 4 * u32::from(o.min(10)), 90 - 5 * u32::from(o.min(10))),
            Class::Owned { owner, cma: false } => write!(f, "hsl({},75%,55%)", owner_hue(owner)),
            Class::Owned { owner, cma: true } => write!(f, "hsl({},75%,33%)", owner_hue(owner)),
            Class::Unowned => f.write_str("#ff0000"),
        }
    }
}

/// What a class is, in words (owners by name).
fn describe(mem: &impl Memory, c: Class, w: &mut dyn Write) -> fmt::Result {
    match c {
        Class::Hole => w.write_str("hole (not memory)"),
        Class::Firmware => w.write_str("firmware/PALcode"),
        Class::Kernel => w.write_str("kernel image"),
        Class::Reserved => w.write_str("memblock reservation"),
        Class::CmaFree => w.write_str("CMA free"),
        Class::BuddyFree(o) => write!(w, "buddy free, order {o} ({} KiB blocks)", 8u64 << o),
        Class::Owned { owner, cma } => {
            mem.owner_name(owner, w)?;
            w.write_str(if cma { " (CMA)" } else { " (buddy)" })
        }
        Class::Unowned => w.write_str("allocated without an owner record"),
    }
}

/// Escapes `<`, `>`, `&` and `"` of what `f` writes.
struct Escape<'a, W: Write + ?Sized>(&'a mut W);

impl<W: Write + ?Sized> Write for Escape<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for part in s.split_inclusive(['<', '>', '&', '"']) {
            let (text, last) = part.split_at(part.len() - 1);
            self.0.write_str(text)?;
            self.0.write_str(match last {
                "<" => "&lt;",
                ">" => "&gt;",
                "&" => "&amp;",
                "\"" => "&quot;",
                other => other,
            })?;
        }
        Ok(())
    }
}

/// Writes the next chunk of the page into `out`, as much as fits while
/// [`RECORD_MAX`] bytes stay free; returns whether the page is complete.
/// Call again with the same `st` (and a fresh `out` with at least
/// [`HEAD_MAX`] bytes of room) until it is.
pub fn write_chunk(mem: &impl Memory, st: &mut PageState, out: &mut impl Sink) -> Result<bool, fmt::Error> {
    while st.phase != DONE {
        let need = if st.phase == HEAD { HEAD_MAX } else { RECORD_MAX };
        if out.room() < need {
            return Ok(false);
        }
        match st.phase {
            HEAD => {
                head(mem, st, out)?;
                st.phase = LEGEND;
                st.cursor = 0;
                st.opened = false;
            }
            LEGEND => {
                if legend(mem, st, out)? {
                    st.phase = GRID;
                    st.cursor = st.from;
                    st.opened = false;
                }
            }
            GRID => {
                if grid(mem, st, out)? {
                    st.phase = CMA;
                    let (b, _) = mem.cma_area();
                    st.cursor = b;
                    st.opened = false;
                }
            }
            CMA => {
                if cma(mem, st, out)? {
                    st.phase = IOMMU;
                    st.cursor = 0;
                    st.opened = false;
                }
            }
            p => {
                let i = (p - IOMMU) as usize;
                if iommu(mem, i, st, out)? {
                    if mem.iommu_arena(i + 1).is_some() && p < DONE - 1 {
                        st.phase = p + 1;
                        st.cursor = 0;
                        st.opened = false;
                    } else {
                        out.write_str("</body></html>\n")?;
                        st.phase = DONE;
                    }
                }
            }
        }
    }
    Ok(true)
}

fn head(mem: &impl Memory, st: &PageState, o: &mut impl Sink) -> fmt::Result {
    let counts = count(mem, st.from, st.to);
    o.write_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")?;
    if st.refresh > 0 {
        write!(o, "<meta http-equiv=\"refresh\" content=\"{}\">", st.refresh)?;
    }
    write!(
        o,
        "<title>alpha-unikernel: physical memory</title>\n<style>body{{font-family:sans-serif}}\
         svg{{display:block;margin:0.5em 0}}rect:hover{{stroke:#000;stroke-width:0.3}}\
         td{{padding:0 0.6em}}td.n{{text-align:right;font-family:monospace}}\n"
    )?;
    for (c, _) in counts.iter() {
        writeln!(o, ".k-{}{{fill:{}}}", Key(c), Fill(c))?;
    }
    // CMA strip and IOMMU strip states.
    o.write_str(".io-0{fill:#e8e8e8}.io-1{fill:#c0392b}.io-2{fill:#e67e22}\n</style></head><body>\n")?;
    let ppc = st.pages_per_cell();
    write!(
        o,
        "<h1>Physical memory</h1>\n<p>Page frames {:#x} to {:#x} (exclusive; {} pages of 8 KiB, {} MiB), ",
        st.from,
        st.to,
        st.to - st.from,
        ((st.to - st.from) << 13) >> 20
    )?;
    if ppc == 1 {
        o.write_str("one cell per page. ")?;
    } else {
        write!(o, "one cell per {} KiB ({ppc} pages), coloured by the class holding most of its pages; zoom in with <code>/memory?from=PFN&amp;to=PFN</code> (up to {PAGE_CELLS} pages show one cell per page). ", ppc * 8)?;
    }
    o.write_str("Hover a cell for its frames and owner. <a href=\"/status.json\">status.json</a> has the same counts.</p>\n")?;
    write!(
        o,
        "<p id=\"totals\" data-memory=\"{}\" data-reserved=\"{}\" data-buddy-free=\"{}\" data-cma-free=\"{}\" data-cma-used=\"{}\">\
         {} pages of memory: {} reserved in memblock, {} free in the buddy allocator, {} free and {} used in CMA.</p>\n",
        counts.memory(),
        counts.reserved(),
        counts.buddy_free(),
        counts.get(Class::CmaFree),
        counts.cma_used(),
        counts.memory(),
        counts.reserved(),
        counts.buddy_free(),
        counts.get(Class::CmaFree),
        counts.cma_used()
    )
}

/// Legend rows from class index `st.cursor` on; true when all are written.
fn legend(mem: &impl Memory, st: &mut PageState, o: &mut impl Sink) -> Result<bool, fmt::Error> {
    let counts = count(mem, st.from, st.to);
    if !st.opened {
        o.write_str("<table id=\"legend\">\n")?;
        st.opened = true;
    }
    for (c, pages) in counts.iter().filter(|(c, _)| c.index() as u64 >= st.cursor) {
        if o.room() < RECORD_MAX {
            st.cursor = c.index() as u64;
            return Ok(false);
        }
        write!(o, "<tr data-key=\"{}\" data-pages=\"{pages}\"", Key(c))?;
        if let Class::Owned { owner, .. } = c {
            o.write_str(" data-name=\"")?;
            mem.owner_name(owner, &mut Escape(&mut *o))?;
            o.write_str("\"")?;
        }
        write!(
            o,
            "><td><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" class=\"k-{}\"/></svg></td><td>",
            Key(c)
        )?;
        describe(mem, c, &mut Escape(&mut *o))?;
        writeln!(o, "</td><td class=\"n\">{pages} pages</td><td class=\"n\">{} KiB</td></tr>", pages * 8)?;
    }
    o.write_str("</table>\n")?;
    Ok(true)
}

fn title(mem: &impl Memory, o: &mut impl Sink, start: u64, end: u64, c: Class, scaled: bool) -> fmt::Result {
    write!(o, "<title>pfn {start:#x}-{:#x} ({} pages, {} KiB): ", end - 1, end - start, (end - start) * 8)?;
    if scaled {
        o.write_str("mostly ")?;
    }
    describe(mem, c, &mut Escape(&mut *o))?;
    o.write_str("</title>")
}

/// How many cell runs one walk collects before writing them.
const BATCH: usize = 16;

/// Cell runs (cell indices from `st.from`) from `st.cursor`, a cell
/// boundary: up to [`BATCH`] complete ones.
fn collect(mem: &impl Memory, st: &PageState, ppc: u64, out: &mut [Run; BATCH]) -> usize {
    let mut cells = Cells::new(st.from, ppc);
    // Start the cell count where the cursor is.
    let mut n = 0;
    let mut buf = [Run::new(0, 0, Class::Hole); 32];
    let mut pfn = st.cursor;
    while pfn < st.to && n < BATCH {
        let got = mem.runs(pfn, st.to, &mut buf);
        if got == 0 {
            break;
        }
        for r in &buf[..got] {
            cells.push(*r, |cr| {
                if n < BATCH {
                    out[n] = cr;
                    n += 1;
                }
            });
            pfn = r.end();
            if n >= BATCH {
                return n;
            }
        }
    }
    if pfn >= st.to {
        cells.finish(|cr| {
            if n < BATCH {
                out[n] = cr;
                n += 1;
            }
        });
    }
    n
}

/// The grid from `st.cursor`; true when it is complete.
fn grid(mem: &impl Memory, st: &mut PageState, o: &mut impl Sink) -> Result<bool, fmt::Error> {
    let ppc = st.pages_per_cell();
    let cells = st.cells();
    if !st.opened {
        let rows = cells.div_ceil(COLS);
        write!(
            o,
            "<svg id=\"map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {COLS} {rows}\" \
             shape-rendering=\"crispEdges\" data-from=\"{}\" data-to=\"{}\" data-pages-per-cell=\"{ppc}\" data-cells=\"{cells}\">\n",
            COLS * CELL_PX,
            rows * CELL_PX,
            st.from,
            st.to
        )?;
        st.opened = true;
    }
    let mut batch = [Run::new(0, 0, Class::Hole); BATCH];
    loop {
        if st.cursor >= st.to {
            o.write_str("</svg>\n")?;
            return Ok(true);
        }
        let n = collect(mem, st, ppc, &mut batch);
        if n == 0 {
            // A memory description that stops short: end the grid here.
            o.write_str("</svg>\n")?;
            return Ok(true);
        }
        for cr in &batch[..n] {
            if o.room() < RECORD_MAX {
                return Ok(false);
            }
            let first = cr.start;
            let start = st.from + first * ppc;
            let end = (st.from + (first + cr.pages) * ppc).min(st.to);
            let mut err = Ok(());
            grid_rects(first, cr.pages, COLS, |r| {
                if err.is_ok() {
                    err = write!(o, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"k-{}\">", r.x, r.y, r.w, r.h, Key(cr.class))
                        .and_then(|()| title(mem, o, start, end, cr.class, ppc > 1))
                        .and_then(|()| o.write_str("</rect>\n"));
                }
            });
            err?;
            st.cursor = end;
        }
    }
}

/// The CMA area as a strip, from `st.cursor`; true when complete.
fn cma(mem: &impl Memory, st: &mut PageState, o: &mut impl Sink) -> Result<bool, fmt::Error> {
    let (base, end) = mem.cma_area();
    if base >= end {
        o.write_str("<p id=\"cma-none\">No CMA area.</p>\n")?;
        return Ok(true);
    }
    if !st.opened {
        write!(
            o,
            "<h2>CMA area</h2><p>Page frames {base:#x} to {end:#x}: {} pages; free pages in yellow, used ones in their owner's (darker) colour.</p>\n\
             <svg id=\"cma\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{STRIP_PX}\" height=\"24\" viewBox=\"0 0 {} 1\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">\n",
            end - base,
            end - base
        )?;
        st.opened = true;
    }
    let mut buf = [Run::new(0, 0, Class::Hole); 32];
    while st.cursor < end {
        let n = mem.runs(st.cursor, end, &mut buf);
        if n == 0 {
            break;
        }
        // Merge within the batch; a run cut at the batch end is written in
        // two parts.
        let mut m = Merger::new();
        let mut pending = [Run::new(0, 0, Class::Hole); 33];
        let mut k = 0;
        for r in &buf[..n] {
            m.push(*r, |x| {
                pending[k] = x;
                k += 1;
            });
        }
        m.finish(|x| {
            pending[k] = x;
            k += 1;
        });
        for r in &pending[..k] {
            if o.room() < RECORD_MAX {
                return Ok(false);
            }
            // The fill is given here too: the head's style rules cover the
            // classes inside the picture's range, which a zoom may leave
            // without any CMA class.
            write!(
                o,
                "<rect x=\"{}\" y=\"0\" width=\"{}\" height=\"1\" class=\"k-{}\" fill=\"{}\">",
                r.start - base,
                r.pages,
                Key(r.class),
                Fill(r.class)
            )?;
            title(mem, o, r.start, r.end(), r.class, false)?;
            o.write_str("</rect>\n")?;
            st.cursor = r.end();
        }
    }
    o.write_str("</svg>\n")?;
    Ok(true)
}

/// IOMMU arena `i` as a strip, from entry `st.cursor`; true when complete.
fn iommu(mem: &impl Memory, i: usize, st: &mut PageState, o: &mut impl Sink) -> Result<bool, fmt::Error> {
    let Some((name, entries)) = mem.iommu_arena(i) else {
        if i == 0 {
            o.write_str("<p id=\"iommu-none\">No IOMMU arenas.</p>\n")?;
        }
        return Ok(true);
    };
    if !st.opened {
        if i == 0 {
            o.write_str("<h2>IOMMU scatter-gather arenas</h2><p>Entries free (grey), mapped (red), freed and waiting for the TLB flush before reuse (orange).</p>\n")?;
        }
        write!(
            o,
            "<p>{name}: {entries} entries</p>\n<svg id=\"iommu-{i}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{STRIP_PX}\" height=\"24\" viewBox=\"0 0 {} 1\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">\n",
            entries.max(1)
        )?;
        st.opened = true;
    }
    let mut buf = [(0u64, 0u64, 0u8); 32];
    while st.cursor < entries {
        let n = mem.iommu_runs(i, st.cursor, &mut buf);
        if n == 0 {
            break;
        }
        for &(first, len, state) in &buf[..n] {
            if o.room() < RECORD_MAX {
                return Ok(false);
            }
            let what = match state {
                0 => "free",
                1 => "mapped",
                _ => "freed, awaiting TLB flush",
            };
            writeln!(
                o,
                "<rect x=\"{first}\" y=\"0\" width=\"{len}\" height=\"1\" class=\"io-{}\"><title>{name} entries {first}-{} ({len}): {what}</title></rect>",
                state.min(2),
                first + len - 1
            )?;
            st.cursor = first + len;
        }
    }
    o.write_str("</svg>\n")?;
    Ok(true)
}
