//! Tests against a model machine: physical memory in a HashMap, an MMU that
//! translates every virtual read through the model's real page tables (as
//! the PALcode's TB-miss handler does, self-map included), and counts reads
//! that would fault (an invalid entry on the way, or a frame outside
//! memory). The walk is compared with a reference that walks the same
//! tables physically, from the root, without any virtual page table.

use super::*;
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};

const QEMU_VPTB: u64 = 0xffff_fffe_0000_0000;
const SRM_VPTB: u64 = 0x2_0000_0000;
const PAGE: u64 = PAGE_SIZE_8K;
const HWRPB_VA: u64 = 0x1000_0000;

fn pte(pfn: u64) -> u64 {
    (pfn << 32) | 0x1101 // valid, KRE, KWE (QEMU PALcode's build_pte)
}

/// A machine: RAM is frames `0..ram_pages`; table contents in a map
/// (frames not in it read as zeros, like cleared memory).
#[derive(Clone, Debug)]
struct Model {
    g: Geometry,
    ram_pages: u64,
    root: u64,
    pages: HashMap<u64, Vec<u64>>,
    faults: Cell<usize>,
    reads: Cell<usize>,
}

impl Model {
    fn new(vptb: u64, page_size: u64, ram_pages: u64, root: u64) -> Model {
        let g = Geometry::new(vptb, page_size).unwrap();
        let mut m = Model { g, ram_pages, root, pages: HashMap::new(), faults: Cell::new(0), reads: Cell::new(0) };
        let s = g.self_index();
        m.set(root, s, pte(root));
        m
    }

    fn entries(&self) -> u64 {
        self.g.entries()
    }

    fn ram(&self, pfn: u64) -> bool {
        pfn < self.ram_pages
    }

    fn set(&mut self, pfn: u64, index: u64, value: u64) {
        let n = self.entries() as usize;
        self.pages.entry(pfn).or_insert_with(|| vec![0; n])[index as usize] = value;
    }

    fn get(&self, pfn: u64, index: u64) -> u64 {
        self.pages.get(&pfn).map_or(0, |p| p[index as usize])
    }

    /// Maps `va` to frame `pfn`, creating tables from `alloc` as needed
    /// (like QEMU PALcode's `set_pte`).
    fn map(&mut self, va: u64, pfn: u64, alloc: &mut impl FnMut() -> u64) {
        let (i1, i2, i3) = self.g.indices(va);
        let mut table = self.root;
        for i in [i1, i2] {
            let e = self.get(table, i);
            table = if pte_valid(e) {
                pte_pfn(e)
            } else {
                let t = alloc();
                self.set(table, i, pte(t));
                t
            };
        }
        self.set(table, i3, pte(pfn));
    }

    /// A physical quadword read; `None` outside RAM.
    fn phys(&self, pa: u64) -> Option<u64> {
        let pfn = pa >> self.g.page_shift();
        self.ram(pfn).then(|| self.get(pfn, (pa & (self.g.entries() * 8 - 1)) / 8))
    }

    /// The MMU: a virtual read through the real tables from the root.
    fn vread(&self, va: u64) -> u64 {
        self.reads.set(self.reads.get() + 1);
        assert_eq!(va % 8, 0, "unaligned PTE read at {va:#x}");
        let fault = || {
            self.faults.set(self.faults.get() + 1);
            0
        };
        if self.g.sext(va) != va {
            return fault();
        }
        let (i1, i2, i3) = self.g.indices(va);
        let mut table = self.root;
        for i in [i1, i2, i3] {
            match self.phys((table << self.g.page_shift()) + i * 8) {
                Some(e) if pte_valid(e) => table = pte_pfn(e),
                _ => return fault(),
            }
        }
        match self.phys((table << self.g.page_shift()) | (va & (self.g.entries() * 8 - 1))) {
            Some(q) => q,
            None => fault(),
        }
    }

    fn walk(&self, limit: usize, check: Option<(u64, u64)>) -> (Result<Summary, Failure>, Vec<TablePage>) {
        let mut out = vec![TablePage::EMPTY; limit];
        let opts = Options { vptb: self.g.vptb(), page_size: self.g.entries() * 8, check };
        let r = walk(&opts, |va| self.vread(va), |pfn| self.ram(pfn), &mut out);
        let n = match r {
            Ok(s) => s.tables,
            Err(f) => f.found,
        };
        out.truncate(n);
        (r, out)
    }

    /// The reference: the same walk done physically from the root, in the
    /// same order, with a map instead of a sorted buffer.
    fn reference(&self) -> Result<BTreeMap<u64, (Level, u64)>, WalkError> {
        let g = self.g;
        let s = g.self_index();
        let mut found: BTreeMap<u64, (Level, u64)> = BTreeMap::new();
        let add = |found: &mut BTreeMap<u64, (Level, u64)>, pfn: u64, level: Level, va: u64| match found.get(&pfn) {
            Some(&(first, _)) if first != level => Err(WalkError::Cycle { pfn, first, again: level, va }),
            Some(_) => Ok(()),
            None => {
                found.insert(pfn, (level, va));
                Ok(())
            }
        };
        let e = self.get(self.root, s);
        if !pte_valid(e) {
            return Err(WalkError::SelfMapInvalid { index: s, pte: e });
        }
        // With an intact self-map the entry names the root itself.
        let l1 = pte_pfn(e);
        assert_eq!(l1, self.root);
        add(&mut found, l1, Level::L1, 0)?;
        let mut l2s = Vec::new();
        for i1 in (0..g.entries()).filter(|&i| i != s) {
            let e = self.get(l1, i1);
            if !pte_valid(e) || pte_pfn(e) == l1 {
                continue;
            }
            let va = g.l2_region(i1);
            if !self.ram(pte_pfn(e)) {
                return Err(WalkError::PfnOutsideMemory { level: Level::L2, va, pte: e });
            }
            if !found.contains_key(&pte_pfn(e)) {
                l2s.push((i1, pte_pfn(e)));
            }
            add(&mut found, pte_pfn(e), Level::L2, va)?;
        }
        for (i1, t) in l2s {
            for i2 in 0..g.entries() {
                let e = self.get(t, i2);
                if !pte_valid(e) {
                    continue;
                }
                let va = g.l3_region(i1, i2);
                if !self.ram(pte_pfn(e)) {
                    return Err(WalkError::PfnOutsideMemory { level: Level::L3, va, pte: e });
                }
                add(&mut found, pte_pfn(e), Level::L3, va)?;
            }
        }
        Ok(found)
    }
}

fn as_map(v: &[TablePage]) -> BTreeMap<u64, (Level, u64)> {
    v.iter().map(|t| (t.pfn, (t.level, t.va))).collect()
}

/// QEMU PALcode's tables (`init.c`: `init_page_table`): page_dir with the
/// self-map in entry 1023, one mapping, the HWRPB at 0x10000000; the
/// level-2 and level-3 tables come from its bump allocator after `_end`.
fn qemu_like() -> Model {
    let mut m = Model::new(QEMU_VPTB, PAGE, 32768, 0xa);
    let mut next = 0xc;
    m.map(HWRPB_VA, 0xb, &mut || {
        next += 1;
        next
    });
    m
}

#[test]
fn geometry_matches_the_stub_and_the_palcodes() {
    let q = Geometry::new(QEMU_VPTB, PAGE).unwrap();
    assert_eq!((q.self_index(), q.entries(), q.va_bits(), q.vpt_size()), (1023, 1024, 43, 1 << 33));
    assert_eq!(q.l1_table_va(), 0xffff_ffff_ffff_e000);
    // The stub finds the level-1 entry as pte_va(pte_va(pte_va(vptb))).
    assert_eq!(q.pte_va(q.pte_va(q.pte_va(QEMU_VPTB))), q.l1_table_va() + 1023 * 8);
    assert_eq!(q.pte_va(HWRPB_VA), q.l3_table_va(0, 32));
    assert_eq!(q.indices(HWRPB_VA), (0, 32, 0));
    assert_eq!(q.l3_region(0, 32), HWRPB_VA);

    let s = Geometry::new(SRM_VPTB, PAGE).unwrap();
    assert_eq!(s.self_index(), 1);
    assert_eq!(s.l1_table_va(), SRM_VPTB + (1 << 23) + (1 << 13));
    assert_eq!(s.pte_va(s.pte_va(s.pte_va(SRM_VPTB))), s.l1_table_va() + 8);
    assert_eq!(s.l2_table_va(0), SRM_VPTB + (1 << 23));
    assert_eq!(s.l2_region(1023), 0xffff_fffe_0000_0000);
    assert_eq!(s.l2_region(512), 0xffff_fc00_0000_0000);
}

#[test]
fn geometry_errors() {
    assert_eq!(Geometry::new(QEMU_VPTB, 4096), Err(WalkError::BadPageSize { page_size: 4096 }));
    assert_eq!(Geometry::new(QEMU_VPTB, 12288), Err(WalkError::BadPageSize { page_size: 12288 }));
    assert_eq!(
        Geometry::new(0x1_0000_0000, PAGE),
        Err(WalkError::VptbMisaligned { vptb: 0x1_0000_0000, align: 1 << 33 })
    );
    assert_eq!(
        Geometry::new(0x0000_0400_0000_0000, PAGE),
        Err(WalkError::VptbNotCanonical { vptb: 0x0000_0400_0000_0000, va_bits: 43 })
    );
    assert_eq!(Geometry::new(0xffff_fc00_0000_0000, PAGE), Err(WalkError::VptbInKseg { vptb: 0xffff_fc00_0000_0000 }));
    assert_eq!(Geometry::new(0xffff_fdfe_0000_0000, PAGE), Err(WalkError::VptbInKseg { vptb: 0xffff_fdfe_0000_0000 }));
    assert!(Geometry::new(0xffff_fe00_0000_0000, PAGE).is_ok());
    assert!(Geometry::new(0, PAGE).is_ok());
    for ps in [8192, 16384, 32768, 65536] {
        let g = Geometry::new(0, ps).unwrap();
        assert_eq!(g.entries() * 8, ps);
    }
}

#[test]
fn qemu_palcode_tables_are_three_pages() {
    let m = qemu_like();
    let (r, v) = m.walk(64, Some((HWRPB_VA, 0xb << 13)));
    let s = r.unwrap();
    assert_eq!((s.tables, s.l2, s.l3, s.l1_pfn, s.self_index, s.extra_self_maps), (3, 1, 1, 0xa, 1023, 0));
    assert_eq!(
        v,
        vec![
            TablePage { pfn: 0xa, level: Level::L1, va: 0 },
            TablePage { pfn: 0xd, level: Level::L2, va: 0 },
            TablePage { pfn: 0xe, level: Level::L3, va: HWRPB_VA },
        ]
    );
    // The self-map entry, 1023 level-1 entries twice, one level-2 table,
    // three reads for the check.
    assert_eq!(s.ptes_read, 1 + 2 * 1023 + 1024 + 3);
    assert_eq!(m.faults.get(), 0);
    assert_eq!(m.reads.get(), s.ptes_read);
    assert_eq!(translate(QEMU_VPTB, PAGE, |va| m.vread(va), |p| m.ram(p), HWRPB_VA + 0x140), Ok((0xb << 13) + 0x140));
}

#[test]
fn srm_like_tables_with_the_boot_area() {
    // SRM: self-map in entry 1, the HWRPB at 0x10000000 and a 4 MiB boot
    // area at 0x20000000 (half a level-3 table), tables spread over
    // memory, some in what the HWRPB would call free.
    let mut m = Model::new(SRM_VPTB, PAGE, 65536, 0x20);
    let mut tables = [0x21, 0x7000, 0x7ff0, 0x30, 0x31].into_iter();
    let mut alloc = || tables.next().unwrap();
    m.map(HWRPB_VA, 0x40, &mut alloc);
    for p in 0..512 {
        m.map(0x2000_0000 + p * PAGE, 0x8000 + p, &mut alloc);
    }
    let (r, v) = m.walk(64, Some((HWRPB_VA, 0x40 << 13)));
    let s = r.unwrap();
    assert_eq!((s.tables, s.l2, s.l3, s.self_index), (4, 1, 2, 1));
    assert_eq!(as_map(&v), m.reference().unwrap());
    assert_eq!(v.iter().map(|t| t.pfn).collect::<Vec<_>>(), vec![0x20, 0x21, 0x7000, 0x7ff0]);
    assert_eq!(m.faults.get(), 0);
    // A wrong expectation is a mismatch; an unmapped one is named.
    let (r, _) = m.walk(64, Some((HWRPB_VA, 0x41 << 13)));
    assert_eq!(r.unwrap_err().error, WalkError::CheckMismatch { va: HWRPB_VA, expected: 0x41 << 13, found: 0x40 << 13 });
    let (r, _) = m.walk(64, Some((0x2040_0000, 0)));
    assert!(matches!(r.unwrap_err().error, WalkError::CheckNotMapped { va: 0x2040_0000, level: Level::L3, .. }));
    let (r, _) = m.walk(64, Some((0x3000_0000, 0)));
    assert!(matches!(r.unwrap_err().error, WalkError::CheckNotMapped { va: 0x3000_0000, level: Level::L2, .. }));
    let (r, _) = m.walk(64, Some((0x4_0000_0000, 0)));
    assert!(matches!(r.unwrap_err().error, WalkError::CheckNotMapped { level: Level::L1, .. }));
}

#[test]
fn limits_and_partial_results() {
    let m = qemu_like();
    let (r, v) = m.walk(2, None);
    assert_eq!(r, Err(Failure { error: WalkError::TooManyTables { limit: 2 }, found: 2 }));
    assert_eq!(v.len(), 2);
    let (r, _) = m.walk(0, None);
    assert_eq!(r, Err(Failure { error: WalkError::TooManyTables { limit: 0 }, found: 0 }));
    assert_eq!(m.walk(3, None).0.unwrap().tables, 3);
}

#[test]
fn malformed_trees_are_named() {
    // No self-map where the VPTB says: the read goes nowhere (the model
    // faults and gives 0), the walk says why.
    let mut m = qemu_like();
    m.set(0xa, 1023, 0);
    let (r, _) = m.walk(64, None);
    assert_eq!(r.unwrap_err().error, WalkError::SelfMapInvalid { index: 1023, pte: 0 });

    // A level-2 table outside memory: reported, never read.
    let mut m = qemu_like();
    m.set(0xa, 5, pte(1 << 20));
    m.faults.set(0);
    let (r, _) = m.walk(64, None);
    assert_eq!(
        r.unwrap_err(),
        Failure { error: WalkError::PfnOutsideMemory { level: Level::L2, va: 5 << 33, pte: pte(1 << 20) }, found: 2 }
    );
    assert_eq!(m.faults.get(), 0);

    // A level-2 entry pointing back at the level-1 table, or at a level-2
    // table: cycles.
    let mut m = qemu_like();
    m.set(0xd, 7, pte(0xa));
    assert_eq!(
        m.walk(64, None).0.unwrap_err().error,
        WalkError::Cycle { pfn: 0xa, first: Level::L1, again: Level::L3, va: 7 << 23 }
    );
    let mut m = qemu_like();
    m.set(0xd, 7, pte(0xd));
    assert_eq!(
        m.walk(64, None).0.unwrap_err().error,
        WalkError::Cycle { pfn: 0xd, first: Level::L2, again: Level::L3, va: 7 << 23 }
    );

    // A second self-map (MILO-style entry 1023 and SRM-style entry 1) is
    // counted, not walked twice; shared tables are listed once.
    let mut m = qemu_like();
    m.set(0xa, 1, pte(0xa));
    m.set(0xa, 2, pte(0xd));
    m.set(0xd, 33, pte(0xe));
    let s = m.walk(64, None).0.unwrap();
    assert_eq!((s.tables, s.extra_self_maps, s.l2, s.l3), (3, 1, 1, 1));
    assert_eq!(m.faults.get(), 0);
}

#[test]
fn errors_read_well() {
    let cases: Vec<(WalkError, &str)> = vec![
        (WalkError::BadPageSize { page_size: 4096 }, "page size 0x1000 is not 8, 16, 32 or 64 KiB"),
        (
            WalkError::VptbMisaligned { vptb: 0x1_0000_0000, align: 1 << 33 },
            "VPTB 0x100000000 is not aligned to the virtual page table's size 0x200000000",
        ),
        (
            WalkError::VptbNotCanonical { vptb: 0x400_0000_0000, va_bits: 43 },
            "VPTB 0x40000000000 is not a sign-extended 43-bit virtual address",
        ),
        (WalkError::VptbInKseg { vptb: 0xffff_fc00_0000_0000 }, "VPTB 0xfffffc0000000000 lies in KSEG, which page tables do not map"),
        (
            WalkError::SelfMapInvalid { index: 1, pte: 0 },
            "no self-map: level-1 entry 1 (selected by the VPTB) is not valid (PTE 0x0000000000000000)",
        ),
        (
            WalkError::PfnOutsideMemory { level: Level::L3, va: 0x1000_0000, pte: pte(0x100000) },
            "the level-3 table for 0x10000000 would be at pfn 0x100000, outside memory (PTE 0x0010000000001101)",
        ),
        (
            WalkError::Cycle { pfn: 0xa, first: Level::L1, again: Level::L3, va: 0xe000000 },
            "cycle: the page at pfn 0xa is a level-1 table and also named as the level-3 table for 0xe000000",
        ),
        (WalkError::TooManyTables { limit: 1024 }, "more than 1024 page-table pages (the walk's limit)"),
        (
            WalkError::CheckNotMapped { va: 0x1000_0000, level: Level::L2, pte: 0 },
            "0x10000000 is not mapped: its level-2 entry is 0x0000000000000000 (invalid or outside memory)",
        ),
        (
            WalkError::CheckMismatch { va: 0x1000_0000, expected: 0x18000, found: 0x20000 },
            "0x10000000 translates to 0x20000 through the VPTB, not 0x18000: wrong VPTB or self-map",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}

// ---------------------------------------------------------------------------
// Random trees
// ---------------------------------------------------------------------------

/// A random well-formed tree: a self-map index (any, except those putting
/// the VPTB in KSEG), level-1 entries naming level-2 tables, level-2
/// entries naming level-3 tables (some shared), level-3 entries mapping
/// pages anywhere (even outside memory: I/O space). Table frames are
/// distinct random frames of memory.
#[derive(Clone, Debug)]
struct TreeSpec {
    page_size: u64,
    self_index: u64,
    ram_pages: u64,
    l2: Vec<(u64, Vec<(u64, usize)>)>, // (i1, [(i2, l3 table number)])
    data: Vec<(usize, u64, u64)>,      // (l3 table number, i3, frame)
    seed: u64,
}

fn tree_spec() -> impl Strategy<Value = TreeSpec> {
    (
        prop_oneof![4 => Just(8192u64), 1 => Just(16384u64)],
        0u64..1024,
        64u64..4096,
        proptest::collection::vec((0u64..1024, proptest::collection::vec((0u64..1024, 0usize..12), 0..6)), 0..6),
        proptest::collection::vec((0usize..12, 0u64..1024, 0u64..1 << 28), 0..20),
        any::<u64>(),
    )
        .prop_map(|(page_size, si, ram_pages, l2, data, seed)| {
            let entries = page_size / 8;
            let mut self_index = si % entries;
            let kseg = entries / 2..entries * 3 / 4;
            if kseg.contains(&self_index) {
                self_index -= entries / 2;
            }
            TreeSpec { page_size, self_index, ram_pages, l2, data, seed }
        })
}

/// A small deterministic generator for frame choices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn build(spec: &TreeSpec) -> Model {
    let entries = spec.page_size / 8;
    let va_bits = 3 * (spec.page_size.trailing_zeros() - 3) + spec.page_size.trailing_zeros();
    let shift = va_bits - (spec.page_size.trailing_zeros() - 3);
    let unused = 64 - va_bits;
    let vptb = (((spec.self_index << shift) << unused) as i64 >> unused) as u64;
    let mut rng = Rng(spec.seed | 1);
    let mut used = HashSet::new();
    let mut frame = |rng: &mut Rng| loop {
        let f = rng.below(spec.ram_pages);
        if used.insert(f) {
            return f;
        }
    };
    let root = frame(&mut rng);
    let mut m = Model::new(vptb, spec.page_size, spec.ram_pages, root);
    let l3_tables: Vec<u64> = (0..12).map(|_| frame(&mut rng)).collect();
    let mut l2_of = HashMap::new();
    for (i1, l3s) in &spec.l2 {
        let i1 = i1 % entries;
        if i1 == spec.self_index {
            continue;
        }
        let t = *l2_of.entry(i1).or_insert_with(|| frame(&mut rng));
        m.set(root, i1, pte(t));
        for &(i2, n) in l3s {
            m.set(t, i2 % entries, pte(l3_tables[n]));
        }
    }
    for &(n, i3, f) in &spec.data {
        m.set(l3_tables[n], i3 % entries, pte(f));
    }
    m
}

/// What a corruption writes.
#[derive(Clone, Copy, Debug)]
enum Poke {
    Zero,
    OutsideMemory(u64),
    Root,
    SomeTable(usize),
    SomeRam(u64),
    Garbage(u64),
}

fn poke() -> impl Strategy<Value = Poke> {
    prop_oneof![
        Just(Poke::Zero),
        (0u64..1 << 31).prop_map(Poke::OutsideMemory),
        Just(Poke::Root),
        (0usize..64).prop_map(Poke::SomeTable),
        any::<u64>().prop_map(Poke::SomeRam),
        any::<u64>().prop_map(Poke::Garbage),
    ]
}

/// Applies corruptions to table pages (and to random memory pages, which a
/// corrupted entry may then point at); never to the root's self-map entry.
fn corrupt(m: &mut Model, pokes: &[(usize, u64, Poke, bool)]) {
    let s = m.g.self_index();
    let n = m.entries();
    let mut tables: Vec<u64> = m.pages.keys().copied().collect();
    tables.sort();
    for &(which, index, p, fill_garbage) in pokes {
        let value = match p {
            Poke::Zero => 0,
            Poke::OutsideMemory(f) => pte(m.ram_pages + f),
            Poke::Root => pte(m.root),
            Poke::SomeTable(i) => pte(tables[i % tables.len()]),
            Poke::SomeRam(x) => {
                let f = x % m.ram_pages;
                if fill_garbage {
                    let mut r = Rng(x | 1);
                    for i in 0..n {
                        let v = r.next();
                        if !(f == m.root && i == s) {
                            m.set(f, i, v);
                        }
                    }
                }
                pte(f)
            }
            Poke::Garbage(x) => x,
        };
        let t = tables[which % tables.len()];
        let i = index % n;
        if t == m.root && i == s {
            continue;
        }
        m.set(t, i, value);
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    /// A well-formed tree: exactly the reference's tables, no read that
    /// would fault, the reads bounded, and any mapped address translates.
    #[test]
    fn well_formed_trees(spec in tree_spec()) {
        let m = build(&spec);
        let expect = m.reference().unwrap();
        let (r, v) = m.walk(2048, None);
        let s = r.unwrap();
        prop_assert_eq!(as_map(&v), expect);
        prop_assert!(v.windows(2).all(|w| w[0].pfn < w[1].pfn));
        prop_assert_eq!(s.tables, v.len());
        prop_assert_eq!(s.l1_pfn, m.root);
        prop_assert_eq!(s.self_index, spec.self_index);
        prop_assert_eq!(s.l2 + s.l3 + 1, s.tables);
        prop_assert_eq!(m.faults.get(), 0);
        prop_assert!(s.ptes_read as u64 <= 1 + m.entries() * (2 + s.l2 as u64));
        // Every mapped page translates as the physical tables say.
        let g = m.g;
        let mut checked = 0;
        for i1 in (0..g.entries()).filter(|&i| i != g.self_index()) {
            let e1 = m.get(m.root, i1);
            if !pte_valid(e1) { continue; }
            for i2 in 0..g.entries() {
                let e2 = m.get(pte_pfn(e1), i2);
                if !pte_valid(e2) { continue; }
                for i3 in 0..g.entries() {
                    let e3 = m.get(pte_pfn(e2), i3);
                    if !pte_valid(e3) || checked > 8 { continue; }
                    checked += 1;
                    let va = g.l3_region(i1, i2) + (i3 << g.page_shift()) + 8;
                    let got = translate(g.vptb(), spec.page_size, |a| m.vread(a), |p| m.ram(p), va);
                    prop_assert_eq!(got, Ok((pte_pfn(e3) << g.page_shift()) + 8));
                }
            }
        }
        prop_assert_eq!(m.faults.get(), 0);
    }

    /// The output buffer is the limit: one short is an error with the
    /// first tables found, sorted; never a panic.
    #[test]
    fn limits(spec in tree_spec(), short in 1usize..4) {
        let m = build(&spec);
        let all = m.reference().unwrap().len();
        let limit = all.saturating_sub(short);
        let (r, v) = m.walk(limit, None);
        let f = r.unwrap_err();
        prop_assert_eq!(f.error, WalkError::TooManyTables { limit });
        prop_assert_eq!(f.found, limit);
        prop_assert!(v.windows(2).all(|w| w[0].pfn < w[1].pfn));
        let reference = m.reference().unwrap();
        for t in &v {
            prop_assert!(reference.contains_key(&t.pfn));
        }
        prop_assert_eq!(m.faults.get(), 0);
    }

    /// Corrupted trees (entries zeroed, pointing outside memory, back at
    /// the root or other tables, at garbage pages, or garbage themselves):
    /// the walk ends with the reference's answer, Ok or the same error,
    /// and never reads through anything that would fault.
    #[test]
    fn corrupted_trees(spec in tree_spec(), pokes in proptest::collection::vec((any::<usize>(), any::<u64>(), poke(), any::<bool>()), 1..12)) {
        let mut m = build(&spec);
        corrupt(&mut m, &pokes);
        let reference = m.reference();
        let (r, v) = m.walk(4096, None);
        match (&r, &reference) {
            (Ok(_), Ok(expect)) => prop_assert_eq!(&as_map(&v), expect),
            (Err(f), Err(e)) => {
                prop_assert_eq!(&f.error, e);
                prop_assert!(v.windows(2).all(|w| w[0].pfn < w[1].pfn));
            }
            _ => prop_assert!(false, "walk {:?}, reference {:?}", r, reference),
        }
        prop_assert_eq!(m.faults.get(), 0);
        let l2 = v.iter().filter(|t| t.level == Level::L2).count() as u64;
        prop_assert!(m.reads.get() as u64 <= 1 + m.entries() * (2 + l2));
    }

    /// A corrupted self-map or VPTB: anything may be read (the real MMU
    /// would fault), but the walk ends with an answer and never panics,
    /// and the HWRPB-style check catches a self-map that is not one.
    #[test]
    fn corrupted_self_map(spec in tree_spec(), value in any::<u64>(), vptb in any::<u64>(), target in any::<u64>()) {
        let mut m = build(&spec);
        let s = m.g.self_index();
        let t = target % m.ram_pages;
        let root = m.root;
        m.set(root, s, if value % 3 == 0 { pte(t) } else { value });
        let (r, v) = m.walk(256, None);
        prop_assert!(v.len() <= 256);
        if let Ok(sum) = r {
            prop_assert_eq!(sum.tables, v.len());
        }
        let mut out = [TablePage::EMPTY; 16];
        let opts = Options { vptb, page_size: spec.page_size, check: Some((HWRPB_VA, 0)) };
        let _ = walk(&opts, |va| m.vread(va), |pfn| m.ram(pfn), &mut out);
    }
}
