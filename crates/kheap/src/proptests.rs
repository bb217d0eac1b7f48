//! Property tests: random sequences of allocations (sizes 0 B-3 MiB, mostly
//! small; alignments 1 B-16 KiB), frees, reallocations, bad frees and
//! injected page-source failures, run against a model (the live
//! allocations with a fill byte each) on heaps with and without an arena
//! and with different growth steps. After every operation:
//!
//! * a new allocation is aligned, overlaps no live one, and lies in the
//!   arena or in a block the source handed out;
//! * every allocation keeps its contents (its fill byte, checked in full
//!   when it is freed or reallocated; reallocation keeps the common prefix);
//! * an allocation fails only when a failure was injected (or all regions
//!   are in use); a bad free (double free, interior pointer, wrong class,
//!   large layout into a slab, small layout on a region allocation,
//!   foreign pointer) is refused, counted, and changes nothing else;
//! * `check()` holds (partial lists, bitmaps, free lists, spares), and the
//!   counters match the model: bytes used, live objects per class, pages
//!   and blocks held from the source, `used + free + overhead` = every
//!   region byte;
//! * the source never sees a bad `free_block`.
//!
//! At the end everything is freed: nothing is used, every block is back in
//! the source, and only one spare slab per class may remain, in the arena.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000 each, about 12 s on 2
//! cores).

use super::*;
use crate::mock::{HostArena, Mock, MockError, PAGE};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::vec::Vec;

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_shift: u32 },
    Free { pick: usize },
    Realloc { pick: usize, size: usize },
    BadFree { pick: usize, kind: u8, off: usize },
    FailNext { n: u32 },
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        12 => 0usize..=1100,
        3 => 1025usize..=70_000,
        1 => 70_000usize..=3_000_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (size(), prop_oneof![8 => 0u32..=4, 2 => 5u32..=14])
            .prop_map(|(size, align_shift)| Op::Alloc { size, align_shift }),
        7 => any::<usize>().prop_map(|pick| Op::Free { pick }),
        2 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Realloc { pick, size }),
        2 => (any::<usize>(), 0u8..6, 1usize..1024).prop_map(|(pick, kind, off)| Op::BadFree { pick, kind, off }),
        1 => (1u32..3).prop_map(|n| Op::FailNext { n }),
    ]
}

#[derive(Clone, Debug)]
struct Setup {
    arena: usize,
    grow_min: usize,
}

fn setup() -> impl Strategy<Value = Setup> {
    (prop_oneof![Just(0usize), (1usize..=128).prop_map(|k| k * PAGE)], prop::sample::select(std::vec![16usize << 10, 64 << 10, 256 << 10]))
        .prop_map(|(arena, grow_min)| Setup { arena, grow_min })
}

struct Live {
    p: usize,
    l: Layout,
    tag: u8,
}

/// Bytes `stats().used` counts for a live allocation.
fn charged(l: Layout) -> usize {
    match class_of(l) {
        Some(c) => CLASS_SIZES[c],
        None => l.size().max(16).next_multiple_of(8),
    }
}

fn fill(p: usize, len: usize, tag: u8) {
    unsafe { (p as *mut u8).write_bytes(tag, len) };
}

fn intact(p: usize, len: usize, tag: u8) -> bool {
    unsafe { core::slice::from_raw_parts(p as *const u8, len) }.iter().all(|&x| x == tag)
}

struct Model {
    h: KHeap<Mock>,
    arena: HostArena,
    arena_len: usize,
    live: Vec<Live>,
    /// start -> end of live allocations (zero-sized ones count one byte).
    spans: BTreeMap<usize, usize>,
    /// Small allocations freed recently: (pointer, layout).
    freed: Vec<(usize, Layout)>,
    next_tag: u8,
}

impl Model {
    fn new(s: &Setup) -> Self {
        let arena = HostArena::new(s.arena.max(PAGE));
        let mut h = KHeap::new(Mock::new(), s.grow_min);
        if s.arena > 0 {
            unsafe { h.add_region(arena.ptr, s.arena).unwrap() };
        }
        Model { h, arena, arena_len: s.arena, live: Vec::new(), spans: BTreeMap::new(), freed: Vec::new(), next_tag: 1 }
    }

    fn add(&mut self, p: usize, l: Layout) -> Result<(), TestCaseError> {
        let len = l.size().max(1);
        prop_assert_eq!(p % l.align(), 0, "misaligned {:#x} for {:?}", p, l);
        if let Some((&s, &e)) = self.spans.range(..p + len).next_back() {
            prop_assert!(e <= p, "{:#x}+{} overlaps live [{:#x}, {:#x})", p, len, s, e);
        }
        let in_arena = self.arena_len > 0 && p >= self.arena.ptr as usize && p + len <= self.arena.ptr as usize + self.arena_len;
        prop_assert!(in_arena || self.h.source().holds(p, len), "{:#x}+{} in no region", p, len);
        self.spans.insert(p, p + len);
        let tag = self.next_tag;
        self.next_tag = self.next_tag.wrapping_add(1).max(1);
        fill(p, l.size(), tag);
        self.live.push(Live { p, l, tag });
        Ok(())
    }

    fn check(&self) -> Result<(), TestCaseError> {
        if let Err(e) = self.h.check() {
            return Err(TestCaseError::fail(e));
        }
        let s = self.h.stats();
        let m = self.h.source();
        prop_assert_eq!(s.used, self.live.iter().map(|x| charged(x.l)).sum::<usize>());
        for c in 0..NCLASSES {
            let n = self.live.iter().filter(|x| class_of(x.l) == Some(c)).count();
            prop_assert_eq!(s.classes[c].live as usize, n, "class {}", c);
            prop_assert!(s.classes[c].live <= s.classes[c].capacity);
        }
        prop_assert_eq!(s.source_pages, m.pages());
        prop_assert_eq!(s.regions, (self.arena_len > 0) as usize + m.outstanding());
        prop_assert_eq!(s.used + s.free + s.slab_overhead, self.arena_len + m.pages() * PAGE);
        prop_assert_eq!(s.slabs, s.classes.iter().map(|c| c.slabs as usize).sum::<usize>());
        prop_assert_eq!(m.bad_returns, 0);
        prop_assert_eq!(s.return_failures, 0);
        Ok(())
    }

    fn bad_free(&mut self, p: usize, l: Layout) -> Result<Result<(), FreeError>, TestCaseError> {
        let before = self.h.stats();
        let r = unsafe { self.h.free(p as *mut u8, l) };
        let after = self.h.stats();
        prop_assert!(r.is_err(), "bad free of {:#x} {:?} accepted", p, l);
        let double = (r == Err(FreeError::DoubleFree)) as u64;
        prop_assert_eq!(after.bad_frees, before.bad_frees + 1);
        prop_assert_eq!(after.double_frees, before.double_frees + double);
        prop_assert_eq!(Stats { bad_frees: before.bad_frees, double_frees: before.double_frees, ..after }, before);
        Ok(r)
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Alloc { size, align_shift } => {
                let l = Layout::from_size_align(size, 1 << align_shift).unwrap();
                let injected = self.h.source().fail_next > 0;
                match self.h.alloc(l) {
                    Ok(p) => self.add(p.as_ptr() as usize, l)?,
                    Err(AllocError::Source(MockError::Injected)) => prop_assert!(injected),
                    Err(AllocError::NoSlot) => {}
                    Err(e) => prop_assert!(false, "alloc {:?}: {}", l, e),
                }
            }
            Op::Free { pick } if !self.live.is_empty() => {
                let x = self.live.swap_remove(pick % self.live.len());
                prop_assert!(intact(x.p, x.l.size(), x.tag), "{:#x} {:?} overwritten", x.p, x.l);
                let r = unsafe { self.h.free(x.p as *mut u8, x.l) };
                prop_assert_eq!(r, Ok(()));
                self.spans.remove(&x.p);
                if class_of(x.l).is_some() {
                    self.freed.push((x.p, x.l));
                    if self.freed.len() > 64 {
                        self.freed.remove(0);
                    }
                }
            }
            Op::Realloc { pick, size } if !self.live.is_empty() => {
                let i = pick % self.live.len();
                let (p, l, tag) = (self.live[i].p, self.live[i].l, self.live[i].tag);
                let injected = self.h.source().fail_next > 0;
                match unsafe { self.h.realloc(p as *mut u8, l, size) } {
                    Ok(q) => {
                        let q = q.as_ptr() as usize;
                        prop_assert!(intact(q, l.size().min(size), tag), "realloc lost contents");
                        self.live.swap_remove(i);
                        self.spans.remove(&p);
                        if q != p && class_of(l).is_some() {
                            self.freed.push((p, l));
                        }
                        self.add(q, Layout::from_size_align(size, l.align()).unwrap())?;
                    }
                    Err(AllocError::Source(MockError::Injected)) => prop_assert!(injected),
                    Err(AllocError::NoSlot) => {}
                    Err(e) => prop_assert!(false, "realloc {:?} -> {}: {}", l, size, e),
                }
            }
            Op::BadFree { pick, kind, off } => {
                let small: Vec<usize> = (0..self.live.len()).filter(|&i| class_of(self.live[i].l).is_some()).collect();
                let large: Vec<usize> = (0..self.live.len()).filter(|&i| class_of(self.live[i].l).is_none()).collect();
                match kind {
                    // A small allocation freed earlier, not live again.
                    0 if !self.freed.is_empty() => {
                        let (p, l) = self.freed[pick % self.freed.len()];
                        if !self.spans.contains_key(&p) {
                            let _ = self.bad_free(p, l)?;
                        }
                    }
                    // Inside a live small object.
                    1 if !small.is_empty() => {
                        let x = &self.live[small[pick % small.len()]];
                        let c = class_of(x.l).unwrap();
                        let (p, l) = (x.p + 1 + off % (CLASS_SIZES[c] - 1), x.l);
                        let r = self.bad_free(p, l)?;
                        prop_assert_eq!(r, Err(FreeError::NotObject));
                    }
                    // A live small object with another class's layout.
                    2 if !small.is_empty() => {
                        let x = &self.live[small[pick % small.len()]];
                        let c = class_of(x.l).unwrap();
                        let other = (c + 1 + off % (NCLASSES - 1)) % NCLASSES;
                        let (p, l) = (x.p, Layout::from_size_align(CLASS_SIZES[other], 8).unwrap());
                        let r = self.bad_free(p, l)?;
                        prop_assert!(matches!(r, Err(FreeError::WrongClass { .. })), "{:?}", r);
                    }
                    // A live small object with a large layout.
                    3 if !small.is_empty() => {
                        let p = self.live[small[pick % small.len()]].p;
                        let r = self.bad_free(p, Layout::from_size_align(MAX_SMALL + off, 8).unwrap())?;
                        prop_assert_eq!(r, Err(FreeError::InSlab));
                    }
                    // A live region allocation with a small layout.
                    4 if !large.is_empty() => {
                        let x = &self.live[large[pick % large.len()]];
                        let p = x.p + off % x.l.size().max(1);
                        let r = self.bad_free(p, Layout::from_size_align(1 + off % MAX_SMALL, 8).unwrap())?;
                        prop_assert_eq!(r, Err(FreeError::NotSlab));
                    }
                    // Memory the heap never had.
                    _ => {
                        let mut local = [0u64; 4];
                        let p = (&raw mut local) as usize + (off % 4) * 8;
                        let l = Layout::from_size_align(off * 8, 8).unwrap();
                        let r = self.bad_free(p, l)?;
                        prop_assert_eq!(r, Err(FreeError::NotOwned));
                    }
                }
            }
            Op::FailNext { n } => self.h.source_mut().fail_next = n,
            _ => {}
        }
        self.check()
    }

    fn finish(mut self) -> Result<(), TestCaseError> {
        self.h.source_mut().fail_next = 0;
        while let Some(x) = self.live.pop() {
            prop_assert!(intact(x.p, x.l.size(), x.tag), "{:#x} {:?} overwritten", x.p, x.l);
            prop_assert_eq!(unsafe { self.h.free(x.p as *mut u8, x.l) }, Ok(()));
            self.spans.remove(&x.p);
        }
        self.check()?;
        let s = self.h.stats();
        prop_assert_eq!((s.used, s.large_used), (0, 0));
        prop_assert_eq!(self.h.source().outstanding(), 0, "blocks not given back");
        prop_assert_eq!(s.regions, (self.arena_len > 0) as usize);
        prop_assert!(s.classes.iter().all(|c| c.slabs <= 1), "more than one spare slab in a class");
        if self.arena_len == 0 {
            prop_assert_eq!(s.slabs, 0);
        }
        prop_assert_eq!(s.free + s.slab_overhead, self.arena_len);
        Ok(())
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn heap_matches_model(setup in setup(), ops in prop::collection::vec(op(), 1..120)) {
        let mut m = Model::new(&setup);
        for op in &ops {
            m.step(op)?;
        }
        m.finish()?;
    }

    /// Only small requests, many of them: slabs fill, empty, are kept as
    /// spares or given back, over and over.
    #[test]
    fn small_churn_matches_model(
        setup in setup(),
        ops in prop::collection::vec(
            prop_oneof![
                (0usize..=1024, 0u32..=5).prop_map(|(size, align_shift)| Op::Alloc { size, align_shift }),
                any::<usize>().prop_map(|pick| Op::Free { pick }),
            ],
            1..400,
        )
    ) {
        let mut m = Model::new(&setup);
        for op in &ops {
            m.step(op)?;
        }
        m.finish()?;
    }
}
