//! Property tests: memblock against a simple model.
//!
//! The model is a small address space of `UNITS` units (8 KiB pages, or
//! single bytes), each with two bits: "is memory" and "is reserved" — so a
//! unit is absent, free memory, reserved memory, or reserved but not memory
//! (Linux allows reserving outside memory). Random operation sequences are
//! applied to both; after every step the region lists must equal the runs
//! of the model, be sorted, disjoint, merged and non-empty, and every
//! result and error must be the one the model predicts. In particular
//! `alloc` must return the highest (top-down) or lowest (bottom-up) fitting
//! aligned address, and fail only if the model has none.
//!
//! The window of `UNITS` units is placed at address 0 and, to exercise
//! arithmetic near `u64::MAX`, at the very top of the address space.
//! Capacities are small so that `Error::Full` happens often.
//!
//! Cases per test: `PROPTEST_CASES` (default 10 000).

use core::convert::Infallible;
use core::ops::ControlFlow;
use memblock::{ALLOC_ANYWHERE, Direction, Error, Memblock, Region, RegionKind};
use proptest::prelude::*;
use test_support::{ModelCheck, run_ops};

const UNITS: usize = 256;
const PAGE: u64 = 8192;

/// Where the model's address space lies: unit `i` is
/// `[offset + i * unit, offset + (i + 1) * unit)`.
#[derive(Clone, Copy, Debug)]
struct Space {
    unit: u64,
    offset: u64,
}

impl Space {
    const PAGES_AT_ZERO: Space = Space {
        unit: PAGE,
        offset: 0,
    };
    const BYTES_AT_ZERO: Space = Space { unit: 1, offset: 0 };
    /// Pages ending one page below 2^64 (page-aligned, so alignment works).
    const PAGES_AT_TOP: Space = Space {
        unit: PAGE,
        offset: 0u64.wrapping_sub((UNITS as u64 + 1) * PAGE),
    };
    /// Bytes ending exactly at u64::MAX, the highest possible region end.
    const BYTES_AT_TOP: Space = Space {
        unit: 1,
        offset: u64::MAX - UNITS as u64,
    };

    fn addr(&self, unit: usize) -> u64 {
        self.offset + unit as u64 * self.unit
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    Zero,
    Anywhere,
    Unit(usize),
}

#[derive(Clone, Debug)]
enum Op {
    Add(usize, usize),
    Remove(usize, usize),
    Reserve(usize, usize),
    Free(usize, usize),
    /// `add`/`reserve` whose size wraps past u64::MAX: must fail with Overflow.
    AddWrap(usize),
    ReserveWrap(usize),
    /// `remove`/`free` with size u64::MAX: clamped, removes everything above.
    RemoveToEnd(usize),
    FreeToEnd(usize),
    Alloc {
        size: usize,
        align: u64,
        min: Bound,
        max: Bound,
        dir: Direction,
    },
    /// Limit in units, or `None` for a huge limit.
    EnforceLimit(Option<usize>),
    CapRange(usize, usize),
}

/// A (start, len) range inside the window, biased towards short ranges so
/// that the lists fragment.
fn range() -> impl Strategy<Value = (usize, usize)> {
    let len = prop_oneof![3 => 0..=3usize, 2 => 0..=16usize, 1 => 0..=UNITS];
    (0..UNITS, len).prop_map(|(start, len)| (start, len.min(UNITS - start)))
}

fn bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        1 => Just(Bound::Zero),
        1 => Just(Bound::Anywhere),
        2 => (0..=UNITS).prop_map(Bound::Unit),
    ]
}

fn align() -> impl Strategy<Value = u64> {
    prop_oneof![
        12 => (0..=20u32).prop_map(|k| 1u64 << k),
        1 => (21..=63u32).prop_map(|k| 1u64 << k),
        1 => any::<u64>(), // almost never a power of two: BadAlign
        1 => Just(0u64),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let dir = prop_oneof![Just(Direction::TopDown), Just(Direction::BottomUp)];
    let size = prop_oneof![8 => 0..=4usize, 2 => 0..=32usize, 1 => 0..=UNITS + 1];
    prop_oneof![
        6 => range().prop_map(|(s, l)| Op::Add(s, l)),
        3 => range().prop_map(|(s, l)| Op::Remove(s, l)),
        6 => range().prop_map(|(s, l)| Op::Reserve(s, l)),
        3 => range().prop_map(|(s, l)| Op::Free(s, l)),
        1 => (1..UNITS).prop_map(Op::AddWrap),
        1 => (1..UNITS).prop_map(Op::ReserveWrap),
        1 => (0..UNITS).prop_map(Op::RemoveToEnd),
        1 => (0..UNITS).prop_map(Op::FreeToEnd),
        8 => (size, align(), bound(), bound(), dir)
            .prop_map(|(size, align, min, max, dir)| Op::Alloc { size, align, min, max, dir }),
        1 => prop_oneof![5 => (0..=UNITS + 2).prop_map(Some), 1 => Just(None)].prop_map(Op::EnforceLimit),
        1 => range().prop_map(|(s, l)| Op::CapRange(s, l)),
    ]
}

/// The model: two bits per unit.
#[derive(Clone, PartialEq, Eq)]
struct Model {
    memory: [bool; UNITS],
    reserved: [bool; UNITS],
}

/// Maximal runs of `true` as (start, len) in units.
fn runs(bits: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bits.len() {
        if bits[i] {
            let start = i;
            while i < bits.len() && bits[i] {
                i += 1;
            }
            out.push((start, i - start));
        } else {
            i += 1;
        }
    }
    out
}

impl Model {
    fn new() -> Self {
        Model {
            memory: [false; UNITS],
            reserved: [false; UNITS],
        }
    }

    fn free_bits(&self) -> Vec<bool> {
        (0..UNITS)
            .map(|i| self.memory[i] && !self.reserved[i])
            .collect()
    }

    /// Linux's `__find_max_addr()` on the model, in units.
    fn find_max_unit(&self, limit_units: usize) -> Option<usize> {
        let mut limit = limit_units;
        for (start, len) in runs(&self.memory) {
            if limit <= len {
                return Some(start + limit);
            }
            limit -= len;
        }
        None
    }

    /// The fitting allocation the model predicts, as a unit index.
    fn find(
        &self,
        space: Space,
        size: usize,
        align: u64,
        min: u64,
        max: u64,
        dir: Direction,
    ) -> Option<usize> {
        // free_len[i]: number of consecutive free units starting at i.
        let free = self.free_bits();
        let mut free_len = vec![0usize; UNITS + 1];
        for i in (0..UNITS).rev() {
            free_len[i] = if free[i] { free_len[i + 1] + 1 } else { 0 };
        }
        let size_bytes = size as u64 * space.unit;
        let fits = |c: usize| {
            let a = space.addr(c);
            free_len[c] >= size && a.is_multiple_of(align) && a >= min && a + size_bytes <= max
        };
        match dir {
            Direction::TopDown => (0..UNITS).rev().find(|&c| fits(c)),
            Direction::BottomUp => (0..UNITS).find(|&c| fits(c)),
        }
    }
}

fn to_regions(space: Space, runs: &[(usize, usize)]) -> Vec<Region> {
    runs.iter()
        .map(|&(s, l)| Region::new(space.addr(s), l as u64 * space.unit))
        .collect()
}

fn check_invariants(list: &[Region], what: &str) {
    for r in list {
        assert!(r.size > 0, "{what}: empty region {r:?}");
        assert!(
            r.base.checked_add(r.size).is_some(),
            "{what}: region wraps {r:?}"
        );
    }
    for w in list.windows(2) {
        assert!(
            w[0].end() < w[1].base,
            "{what}: not sorted, overlapping or not merged: {w:?}"
        );
    }
}

fn check_state<const N: usize>(space: Space, mb: &Memblock<N>, model: &Model) {
    let mem = mb.memory_regions();
    let res = mb.reserved_regions();
    check_invariants(mem, "memory");
    check_invariants(res, "reserved");
    assert!(mem.len() <= N && res.len() <= N);
    assert_eq!(mem, to_regions(space, &runs(&model.memory)), "memory list");
    assert_eq!(
        res,
        to_regions(space, &runs(&model.reserved)),
        "reserved list"
    );

    let free_model = to_regions(space, &runs(&model.free_bits()));
    let free: Vec<Region> = mb.free_ranges().collect();
    assert_eq!(free, free_model, "free ranges");
    let mut free_rev: Vec<Region> = mb.free_ranges().rev().collect();
    free_rev.reverse();
    assert_eq!(free_rev, free_model, "free ranges, reversed");

    let count = |bits: &[bool]| bits.iter().filter(|&&b| b).count() as u64 * space.unit;
    assert_eq!(mb.total_memory(), count(&model.memory));
    assert_eq!(mb.reserved_size(), count(&model.reserved));
    assert_eq!(mb.free_size(), count(&model.free_bits()));
}

/// Point queries over the whole window (run once per case: they are slower).
fn check_queries<const N: usize>(space: Space, mb: &Memblock<N>, model: &Model) {
    for i in 0..UNITS {
        let a = space.addr(i);
        assert_eq!(mb.is_reserved(a), model.reserved[i], "is_reserved unit {i}");
        assert_eq!(mb.is_reserved(a + space.unit - 1), model.reserved[i]);
        assert_eq!(mb.overlaps_reserved(a, space.unit), model.reserved[i]);
        assert_eq!(
            mb.is_memory(a, space.unit),
            model.memory[i],
            "is_memory unit {i}"
        );
    }
    // is_memory over a longer range: true iff every unit is memory.
    for (start, len) in [(0, UNITS), (UNITS / 4, UNITS / 2), (UNITS - 3, 3)] {
        let all = model.memory[start..start + len].iter().all(|&b| b);
        assert_eq!(
            mb.is_memory(space.addr(start), len as u64 * space.unit),
            all
        );
    }
}

/// Applies `new` to the model if the list it changes still fits in `N`
/// regions, and returns the result memblock must give.
fn expect_change<const N: usize>(
    model: &mut Model,
    new: Model,
    kind: RegionKind,
) -> Result<(), Error> {
    let bits = match kind {
        RegionKind::Memory => &new.memory,
        RegionKind::Reserved => &new.reserved,
    };
    if runs(bits).len() > N {
        Err(Error::Full { kind, capacity: N })
    } else {
        *model = new;
        Ok(())
    }
}

fn set(bits: &mut [bool; UNITS], start: usize, len: usize, value: bool) {
    bits[start..start + len].fill(value);
}

fn step<const N: usize>(space: Space, mb: &mut Memblock<N>, model: &mut Model, op: &Op) {
    let bytes = |len: usize| len as u64 * space.unit;
    match *op {
        Op::Add(s, l) => {
            let mut new = model.clone();
            set(&mut new.memory, s, l, true);
            let expected = expect_change::<N>(model, new, RegionKind::Memory);
            assert_eq!(mb.add(space.addr(s), bytes(l)), expected);
        }
        Op::Remove(s, l) => {
            let mut new = model.clone();
            set(&mut new.memory, s, l, false);
            let expected = expect_change::<N>(model, new, RegionKind::Memory);
            assert_eq!(mb.remove(space.addr(s), bytes(l)), expected);
        }
        Op::Reserve(s, l) => {
            let mut new = model.clone();
            set(&mut new.reserved, s, l, true);
            let expected = expect_change::<N>(model, new, RegionKind::Reserved);
            assert_eq!(mb.reserve(space.addr(s), bytes(l)), expected);
        }
        Op::Free(s, l) => {
            let mut new = model.clone();
            set(&mut new.reserved, s, l, false);
            let expected = expect_change::<N>(model, new, RegionKind::Reserved);
            assert_eq!(mb.free(space.addr(s), bytes(l)), expected);
        }
        Op::AddWrap(s) => {
            let base = space.addr(s);
            let size = u64::MAX - base + 1; // base + size == 2^64: just one too many
            assert_eq!(mb.add(base, size), Err(Error::Overflow { base, size }));
        }
        Op::ReserveWrap(s) => {
            let base = space.addr(s);
            assert_eq!(
                mb.reserve(base, u64::MAX),
                Err(Error::Overflow {
                    base,
                    size: u64::MAX
                })
            );
        }
        Op::RemoveToEnd(s) => {
            // Truncation never needs a new slot.
            set(&mut model.memory, s, UNITS - s, false);
            assert_eq!(mb.remove(space.addr(s), u64::MAX), Ok(()));
        }
        Op::FreeToEnd(s) => {
            set(&mut model.reserved, s, UNITS - s, false);
            assert_eq!(mb.free(space.addr(s), u64::MAX), Ok(()));
        }
        Op::Alloc {
            size,
            align,
            min,
            max,
            dir,
        } => {
            let addr = |b: Bound| match b {
                Bound::Zero => 0,
                Bound::Anywhere => ALLOC_ANYWHERE,
                Bound::Unit(u) => space.addr(u),
            };
            let (min_addr, max_addr) = (addr(min), addr(max));
            let size_bytes = bytes(size);
            let expected = if size == 0 {
                Err(Error::ZeroSize)
            } else if !align.is_power_of_two() {
                Err(Error::BadAlign { align })
            } else {
                match model.find(space, size, align, min_addr, max_addr, dir) {
                    None => Err(Error::NoSpace {
                        size: size_bytes,
                        align,
                        min_addr,
                        max_addr,
                    }),
                    Some(c) => {
                        let mut new = model.clone();
                        set(&mut new.reserved, c, size, true);
                        expect_change::<N>(model, new, RegionKind::Reserved).map(|()| space.addr(c))
                    }
                }
            };
            let got = mb.alloc(size_bytes, align, min_addr, max_addr, dir);
            if let Ok(a) = got {
                // Spelled out, although implied by the comparison below.
                assert!(a.is_multiple_of(align), "alloc result not aligned");
                assert!(
                    a >= min_addr && a + size_bytes <= max_addr,
                    "alloc result outside bounds"
                );
                assert!(mb.is_memory(a, size_bytes), "alloc result not in memory");
                assert!(
                    mb.is_reserved(a) && mb.is_reserved(a + size_bytes - 1),
                    "alloc result not reserved"
                );
            }
            assert_eq!(
                got, expected,
                "alloc({size_bytes:#x}, {align:#x}, {min_addr:#x}, {max_addr:#x}, {dir:?})"
            );
        }
        Op::EnforceLimit(limit) => {
            let (limit_bytes, max_unit) = match limit {
                Some(u) => (bytes(u), if u == 0 { None } else { model.find_max_unit(u) }),
                None => (u64::MAX, None),
            };
            if let Some(m) = max_unit {
                set(&mut model.memory, m, UNITS - m, false);
                set(&mut model.reserved, m, UNITS - m, false);
            }
            assert_eq!(
                mb.enforce_memory_limit(limit_bytes),
                max_unit.map(|m| space.addr(m))
            );
        }
        Op::CapRange(s, l) => {
            if l > 0 {
                for bits in [&mut model.memory, &mut model.reserved] {
                    set(bits, 0, s, false);
                    set(bits, s + l, UNITS - s - l, false);
                }
            }
            mb.cap_memory_range(space.addr(s), bytes(l));
        }
    }
}

/// Memblock and its model, stepped together by [`test_support::run_ops`].
struct Sut<const N: usize> {
    space: Space,
    mb: Memblock<N>,
    model: Model,
}

impl<const N: usize> ModelCheck for Sut<N> {
    type Op = Op;
    type Stop = Infallible;

    fn step(&mut self, op: Op) -> ControlFlow<Infallible> {
        step(self.space, &mut self.mb, &mut self.model, &op);
        ControlFlow::Continue(())
    }

    fn check(&self) {
        check_state(self.space, &self.mb, &self.model);
    }
}

fn run<const N: usize>(space: Space, ops: &[Op]) {
    let mut sut = Sut::<N> {
        space,
        mb: Memblock::new(),
        model: Model::new(),
    };
    let _ = run_ops(&mut sut, ops.iter().cloned());
    check_queries(space, &sut.mb, &sut.model);
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..40)
}

/// An operation with arbitrary 64-bit arguments, for the no-panic test.
#[derive(Clone, Debug)]
enum RawOp {
    Add(u64, u64),
    Remove(u64, u64),
    Reserve(u64, u64),
    Free(u64, u64),
    Alloc(u64, u64, u64, u64, bool),
    EnforceLimit(u64),
    CapRange(u64, u64),
    Query(u64, u64),
}

/// Mostly values near 0 and near u64::MAX, where arithmetic breaks.
fn raw_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0..0x10000u64,
        2 => (0..0x10000u64).prop_map(|d| u64::MAX - d),
        1 => (0..64u32).prop_map(|k| 1u64 << k),
        1 => any::<u64>(),
    ]
}

fn raw_op() -> impl Strategy<Value = RawOp> {
    let (a, b, c, d) = (raw_u64(), raw_u64(), raw_u64(), raw_u64());
    prop_oneof![
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::Add(x, y)),
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::Remove(x, y)),
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::Reserve(x, y)),
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::Free(x, y)),
        (a, b, c, d, any::<bool>()).prop_map(|(s, al, lo, hi, up)| RawOp::Alloc(s, al, lo, hi, up)),
        raw_u64().prop_map(RawOp::EnforceLimit),
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::CapRange(x, y)),
        (raw_u64(), raw_u64()).prop_map(|(x, y)| RawOp::Query(x, y)),
    ]
}

/// Arbitrary arguments: no panic, no overflow (tests run with overflow
/// checks), the invariants hold, and every allocation is valid.
fn run_raw<const N: usize>(ops: &[RawOp]) {
    let mut mb: Memblock<N> = Memblock::new();
    for op in ops {
        match *op {
            RawOp::Add(b, s) => {
                let _ = mb.add(b, s);
            }
            RawOp::Remove(b, s) => {
                let _ = mb.remove(b, s);
            }
            RawOp::Reserve(b, s) => {
                let _ = mb.reserve(b, s);
            }
            RawOp::Free(b, s) => {
                let _ = mb.free(b, s);
            }
            RawOp::Alloc(size, align, lo, hi, up) => {
                let dir = if up {
                    Direction::BottomUp
                } else {
                    Direction::TopDown
                };
                let before: Vec<Region> = mb.free_ranges().collect();
                if let Ok(a) = mb.alloc(size, align, lo, hi, dir) {
                    assert!(
                        a.is_multiple_of(align)
                            && a >= lo
                            && a.checked_add(size).is_some_and(|e| e <= hi)
                    );
                    assert!(before.iter().any(|r| r.base <= a && a + size <= r.end()));
                }
            }
            RawOp::EnforceLimit(l) => {
                let _ = mb.enforce_memory_limit(l);
            }
            RawOp::CapRange(b, s) => mb.cap_memory_range(b, s),
            RawOp::Query(b, s) => {
                let _ = (
                    mb.is_reserved(b),
                    mb.overlaps_reserved(b, s),
                    mb.is_memory(b, s),
                );
                let _ = mb.free_ranges_in(b, s).count() + mb.free_ranges_in(b, s).rev().count();
            }
        }
        check_invariants(mb.memory_regions(), "memory");
        check_invariants(mb.reserved_regions(), "reserved");
        let free: Vec<Region> = mb.free_ranges().collect();
        check_invariants(&free, "free");
        let _ = (
            mb.total_memory(),
            mb.reserved_size(),
            mb.free_size(),
            mb.dump(&mut String::new()),
        );
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn arbitrary_u64_arguments(ops in prop::collection::vec(raw_op(), 1..30)) {
        run_raw::<6>(&ops);
    }

    #[test]
    fn pages_at_zero_capacity_8(ops in ops()) {
        run::<8>(Space::PAGES_AT_ZERO, &ops);
    }

    #[test]
    fn pages_at_zero_capacity_128(ops in ops()) {
        run::<128>(Space::PAGES_AT_ZERO, &ops);
    }

    #[test]
    fn bytes_at_zero_capacity_8(ops in ops()) {
        run::<8>(Space::BYTES_AT_ZERO, &ops);
    }

    #[test]
    fn pages_at_top_capacity_8(ops in ops()) {
        run::<8>(Space::PAGES_AT_TOP, &ops);
    }

    #[test]
    fn bytes_at_top_capacity_4(ops in ops()) {
        run::<4>(Space::BYTES_AT_TOP, &ops);
    }
}
