//! Property tests: random operation sequences checked against a simple model.
//!
//! The model is one state per frame of a 2048-frame span (unmanaged / free /
//! allocated by handle `k`) plus the list of live allocations. After every
//! operation the allocator's internals are checked against it:
//!
//! * every free block is on the list of its order, aligned, inside the span,
//!   and covers only frames the model says are free; every model-free frame
//!   is covered exactly once (no overlap, no lost page);
//! * every live allocation's head carries its order;
//! * coalescing is complete: no free block of order `< MAX_ORDER` has a free
//!   buddy of the same order;
//! * counters: free + allocated + unmanaged = span.
//!
//! Operations: `alloc`, `alloc_at` (of a block inside a free block, and of
//! any pfn and order), `free` (live, again, inside, bogus), `add_free_range`.
//! Each operation's result must be exactly what the model predicts: an error
//! (with the exact variant and fields) iff the operation is invalid, and an
//! allocation failure iff no aligned free block exists.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::*;
use core::ops::ControlFlow;
use proptest::prelude::*;
use test_support::{ModelCheck, near, op_sequence, pick, run_ops, runs};

const SPAN: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Unmanaged,
    Free,
    /// Allocated; the index into `Model::blocks`.
    Alloc(usize),
}

#[derive(Clone, Debug)]
enum Op {
    /// `alloc(order)`; order 11 is invalid.
    Alloc(u32),
    /// Free a live allocation (by index, modulo the number of live ones).
    FreeLive(usize),
    /// Free an earlier freed block again (usually a double free, valid if the
    /// same block was re-allocated meanwhile).
    FreeAgain(usize),
    /// Free a frame inside a live block, with a random order.
    FreeInside(usize, usize, u32),
    /// Free an arbitrary pfn: `base - 8 + offset`, with an arbitrary order.
    FreeBogus(usize, u32),
    /// `add_free_range(base - 8 + offset, ... + len)`: hot-add of a hole, or
    /// an invalid (overlapping / out of span) range.
    AddRange(usize, usize),
    /// `alloc_at` of a block inside a free block: the free block (by index
    /// among those of one order, that order from the `u32`), an offset in
    /// it, and the order asked for (rounded down to a block the offset
    /// starts).
    AllocAtFree(usize, u32, usize, u32),
    /// `alloc_at(base - 8 + offset, order)`: anything, mostly refused.
    AllocAtAny(usize, u32),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let order = prop_oneof![
        6 => 0u32..=2,
        3 => 3u32..=6,
        1 => 7u32..=MAX_ORDER + 1,
    ];
    prop_oneof![
        40 => order.prop_map(Op::Alloc),
        30 => any::<usize>().prop_map(Op::FreeLive),
        5 => any::<usize>().prop_map(Op::FreeAgain),
        5 => (any::<usize>(), any::<usize>(), 0u32..=MAX_ORDER + 1)
            .prop_map(|(i, off, o)| Op::FreeInside(i, off, o)),
        5 => (0usize..SPAN + 16, 0u32..=MAX_ORDER + 1).prop_map(|(p, o)| Op::FreeBogus(p, o)),
        5 => (0usize..SPAN + 16, 0usize..80).prop_map(|(p, l)| Op::AddRange(p, l)),
        15 => (any::<usize>(), 0u32..=MAX_ORDER, any::<usize>(), 0u32..=MAX_ORDER)
            .prop_map(|(i, k, off, o)| Op::AllocAtFree(i, k, off, o)),
        5 => (0usize..SPAN + 16, 0u32..=MAX_ORDER + 1).prop_map(|(p, o)| Op::AllocAtAny(p, o)),
    ]
}

/// Initial layout: a base pfn that is not aligned to `MAX_ORDER` (nor to 2),
/// and a list of segments `(len, kind)`: kind 0 is a hole, others are added
/// with `add_free_range` (adjacent ones in separate calls, to exercise
/// coalescing across calls). Frames past the last segment stay holes.
#[derive(Clone, Debug)]
struct Setup {
    base_pfn: usize,
    segments: Vec<(usize, u8)>,
    reverse_adds: bool,
}

fn setup_strategy() -> impl Strategy<Value = Setup> {
    (
        0usize..(1 << 30),
        0usize..512,
        prop::collection::vec((1usize..400, 0u8..4), 1..14),
        any::<bool>(),
    )
        .prop_map(|(k, m, segments, reverse_adds)| Setup {
            // base = k * 2048 + odd number: never aligned to 2 or to 2^10.
            base_pfn: k * 2048 + 2 * m + 1,
            segments,
            reverse_adds,
        })
}

struct Model {
    base: usize,
    pages: Vec<Page>,
    /// Every block ever allocated: (pfn, order, still live).
    blocks: Vec<(usize, u32, bool)>,
    /// Indices into `blocks` of the live allocations.
    live: Vec<usize>,
    /// Indices into `blocks` of freed allocations.
    freed: Vec<usize>,
}

impl Model {
    fn idx(&self, pfn: usize) -> Option<usize> {
        pfn.checked_sub(self.base).filter(|&i| i < SPAN)
    }

    /// The exact result `free(pfn, order)` must have.
    fn expect_free(&self, pfn: usize, order: u32) -> Result<(), BuddyError> {
        if order > MAX_ORDER {
            return Err(BuddyError::InvalidOrder { order });
        }
        let Some(i) = self.idx(pfn) else {
            return Err(BuddyError::OutOfRange {
                pfn,
                span_start: self.base,
                span_end: self.base + SPAN,
            });
        };
        match self.pages[i] {
            Page::Unmanaged => Err(BuddyError::NotManaged { pfn }),
            Page::Free => Err(BuddyError::DoubleFree { pfn, order }),
            Page::Alloc(k) => {
                let (head, o, live) = self.blocks[k];
                assert!(live);
                if head != pfn {
                    Err(BuddyError::NotBlockHead {
                        pfn,
                        order,
                        head_pfn: head,
                        head_order: o,
                    })
                } else if o != order {
                    Err(BuddyError::WrongOrder {
                        pfn,
                        order,
                        allocated_order: o,
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether some naturally aligned run of `2^order` frames is all free.
    fn has_free_aligned_block(&self, order: u32) -> bool {
        let size = 1usize << order;
        let first = (size - self.base % size) % size;
        (first..SPAN)
            .step_by(size)
            .any(|i| i + size <= SPAN && self.pages[i..i + size].iter().all(|&p| p == Page::Free))
    }

    /// The exact result `add_free_range(start, end)` must have.
    fn expect_add(&self, start: usize, end: usize) -> Result<(), BuddyError> {
        if start > end {
            return Err(BuddyError::InvalidRange {
                start_pfn: start,
                end_pfn: end,
            });
        }
        if start < self.base || end > self.base + SPAN {
            return Err(BuddyError::RangeOutOfSpan {
                start_pfn: start,
                end_pfn: end,
                span_start: self.base,
                span_end: self.base + SPAN,
            });
        }
        match (start..end).find(|&p| self.pages[p - self.base] != Page::Unmanaged) {
            Some(pfn) => Err(BuddyError::AlreadyManaged { pfn }),
            None => Ok(()),
        }
    }

    /// The exact result `alloc_at(pfn, order)` must have.
    fn expect_alloc_at(&self, pfn: usize, order: u32) -> Result<(), BuddyError> {
        if order > MAX_ORDER {
            return Err(BuddyError::InvalidOrder { order });
        }
        let Some(i) = self.idx(pfn) else {
            return Err(BuddyError::OutOfRange {
                pfn,
                span_start: self.base,
                span_end: self.base + SPAN,
            });
        };
        if pfn % (1 << order) != 0 {
            return Err(BuddyError::Misaligned { pfn, order });
        }
        if self.pages[i] == Page::Unmanaged {
            return Err(BuddyError::NotManaged { pfn });
        }
        let all_free = i + (1 << order) <= SPAN && self.pages[i..i + (1 << order)].iter().all(|&p| p == Page::Free);
        if all_free { Ok(()) } else { Err(BuddyError::NotFree { pfn, order }) }
    }

    /// Records a successful allocation of `2^order` frames at `pfn`.
    fn do_alloc(&mut self, pfn: usize, order: u32) {
        let i = self.idx(pfn).expect("allocation outside span");
        assert!(i + (1 << order) <= SPAN);
        let k = self.blocks.len();
        for p in &mut self.pages[i..i + (1 << order)] {
            assert_eq!(*p, Page::Free, "allocation overlaps a live or unmanaged frame");
            *p = Page::Alloc(k);
        }
        self.blocks.push((pfn, order, true));
        self.live.push(k);
    }

    fn do_free(&mut self, k: usize) {
        let (pfn, order, live) = self.blocks[k];
        assert!(live);
        let i = pfn - self.base;
        for p in &mut self.pages[i..i + (1 << order)] {
            assert_eq!(*p, Page::Alloc(k));
            *p = Page::Free;
        }
        self.blocks[k].2 = false;
        self.live.retain(|&x| x != k);
        self.freed.push(k);
    }

    fn count(&self, what: fn(&Page) -> bool) -> usize {
        self.pages.iter().filter(|p| what(p)).count()
    }
}

/// Checks all structural invariants of `b` against the model.
fn check(b: &BuddyAllocator<'_>, m: &Model) {
    let mut covered = vec![false; SPAN];
    // The free block (head pfn, order) each frame belongs to.
    let mut free_block = vec![None; SPAN];
    let mut free_total = 0;
    for order in 0..=MAX_ORDER {
        let size = 1usize << order;
        let mut n = 0;
        let mut prev = NIL;
        let mut cur = b.free_area[order as usize].head;
        while cur != NIL {
            let i = cur as usize;
            let fm = b.meta[i];
            assert_eq!(fm.state, FREE_HEAD, "list {order} entry {i} not a free head");
            assert_eq!(u32::from(fm.order), order, "block on wrong list");
            assert_eq!(fm.prev, prev, "broken back link");
            let pfn = b.base_pfn + i;
            assert_eq!(pfn % size, 0, "free block {pfn:#x} order {order} misaligned");
            assert!(i + size <= SPAN, "free block beyond span");
            for j in i..i + size {
                assert!(!covered[j], "frame {j} on two free lists");
                covered[j] = true;
                free_block[j] = Some((pfn, order));
                assert_eq!(m.pages[j], Page::Free, "allocator-free frame not free in model");
                if j != i {
                    assert_eq!(b.meta[j].state, TAIL);
                }
            }
            if order < MAX_ORDER {
                let buddy = pfn ^ size;
                if let Some(bi) = m.idx(buddy) {
                    assert!(
                        !b.meta[bi].is_head(FREE_HEAD, order),
                        "incomplete coalescing: {pfn:#x} and {buddy:#x} both free at order {order}"
                    );
                }
            }
            n += 1;
            assert!(n <= SPAN, "cycle in free list");
            prev = cur;
            cur = fm.next;
        }
        assert_eq!(n, b.free_count(order));
        assert_eq!(b.free_blocks(order).count(), n);
        free_total += n * size;
    }
    assert_eq!(free_total, b.free_pages());

    let model_free = m.count(|p| *p == Page::Free);
    let model_unmanaged = m.count(|p| *p == Page::Unmanaged);
    let model_alloc = SPAN - model_free - model_unmanaged;
    assert_eq!(b.free_pages(), model_free, "lost or duplicated free pages");
    assert_eq!(b.count_free_by_walking(), model_free, "free lists walked");
    assert_eq!(b.managed_pages(), SPAN - model_unmanaged);
    assert_eq!(b.allocated_pages(), model_alloc);
    assert_eq!(b.free_pages() + b.allocated_pages() + model_unmanaged, SPAN);

    for (i, p) in m.pages.iter().enumerate() {
        let at = b.block_at(m.base + i);
        match p {
            Page::Free => {
                assert!(covered[i], "model-free frame {i} on no free list");
                let (head_pfn, order) = free_block[i].unwrap();
                assert_eq!(at, Some(BlockInfo { head_pfn, order, free: true }), "block_at of free frame {i}");
            }
            Page::Unmanaged => {
                assert_eq!(b.meta[i].state, UNMANAGED);
                assert_eq!(at, None, "block_at of unmanaged frame {i}");
            }
            Page::Alloc(k) => {
                let (pfn, order, live) = m.blocks[*k];
                assert!(live);
                assert_eq!(at, Some(BlockInfo { head_pfn: pfn, order, free: false }), "block_at of allocated frame {i}");
                let head = pfn - m.base;
                if i == head {
                    assert!(b.meta[i].is_head(ALLOC_HEAD, order));
                } else {
                    assert_eq!(b.meta[i].state, TAIL);
                }
            }
        }
    }
    assert_eq!(
        b.largest_free_order(),
        (0..=MAX_ORDER).rev().find(|&o| b.free_count(o) > 0)
    );
}

fn counts(b: &BuddyAllocator<'_>) -> [usize; NR_ORDERS] {
    core::array::from_fn(|o| b.free_count(o as u32))
}

/// The allocator and its model, stepped together by
/// [`test_support::run_ops`].
struct Sut<'a> {
    b: BuddyAllocator<'a>,
    m: Model,
}

impl ModelCheck for Sut<'_> {
    type Op = Op;
    type Stop = core::convert::Infallible;

    fn check(&self) {
        check(&self.b, &self.m);
    }

    fn step(&mut self, op: Op) -> ControlFlow<Self::Stop> {
        let Sut { b, m } = self;
        let base = m.base;
        match op {
            Op::Alloc(order) => {
                let before = counts(b);
                match b.alloc(order) {
                    Ok(pfn) => {
                        assert!(order <= MAX_ORDER);
                        assert_eq!(pfn % (1 << order), 0, "misaligned allocation");
                        let i = m.idx(pfn).expect("allocation outside span");
                        assert!(i + (1 << order) <= SPAN);
                        let k = m.blocks.len();
                        for p in &mut m.pages[i..i + (1 << order)] {
                            assert_eq!(*p, Page::Free, "allocation overlaps a live or unmanaged frame");
                            *p = Page::Alloc(k);
                        }
                        m.blocks.push((pfn, order, true));
                        m.live.push(k);
                        // Smallest fitting block, split by `expand`: one block
                        // less at the source order, one more at each order
                        // in [order, source).
                        let src = (order..=MAX_ORDER).find(|&o| before[o as usize] > 0).unwrap();
                        assert_split(&before, &counts(b), order, src, "expand");
                    }
                    Err(e) => {
                        if order > MAX_ORDER {
                            assert_eq!(e, BuddyError::InvalidOrder { order });
                        } else {
                            assert_eq!(e, BuddyError::OutOfMemory { order });
                            assert!(
                                !m.has_free_aligned_block(order),
                                "alloc({order}) failed but the model has a free aligned block"
                            );
                        }
                        assert_eq!(counts(b), before);
                    }
                }
            }
            Op::FreeLive(i) | Op::FreeAgain(i) | Op::FreeInside(i, _, _) => {
                let list = if matches!(op, Op::FreeAgain(_)) { &m.freed } else { &m.live };
                let Some((_, k)) = pick(list, i) else {
                    return ControlFlow::Continue(());
                };
                let (head, order, _) = m.blocks[k];
                let (pfn, order) = match op {
                    Op::FreeInside(_, off, o) => (head + off % (1 << order), o),
                    _ => (head, order),
                };
                let expected = m.expect_free(pfn, order);
                let before = counts(b);
                let got = b.free(pfn, order);
                assert_eq!(got, expected, "free({pfn:#x}, {order})");
                match got {
                    Ok(()) => {
                        let Page::Alloc(k) = m.pages[pfn - base] else { unreachable!() };
                        m.do_free(k);
                    }
                    Err(_) => assert_eq!(counts(b), before, "failed free changed state"),
                }
            }
            Op::FreeBogus(off, order) => {
                let pfn = near(base, off);
                let expected = m.expect_free(pfn, order);
                let before = counts(b);
                let got = b.free(pfn, order);
                assert_eq!(got, expected, "free({pfn:#x}, {order})");
                match got {
                    Ok(()) => {
                        let Page::Alloc(k) = m.pages[pfn - base] else { unreachable!() };
                        m.do_free(k);
                    }
                    Err(_) => assert_eq!(counts(b), before, "failed free changed state"),
                }
            }
            Op::AllocAtFree(i, k, off, order) => {
                // A free block of the first non-empty order from `k` up.
                let Some(kk) = (0..=MAX_ORDER).map(|d| (k + d) % (MAX_ORDER + 1)).find(|&o| b.free_count(o) > 0) else {
                    return ControlFlow::Continue(());
                };
                let blocks: Vec<usize> = b.free_blocks(kk).collect();
                let Some((_, head)) = pick(&blocks, i) else { return ControlFlow::Continue(()) };
                let order = order.min(kk);
                let pfn = head + (off % (1 << kk)) / (1 << order) * (1 << order);
                let before = counts(b);
                assert_eq!(m.expect_alloc_at(pfn, order), Ok(()), "model: {pfn:#x} order {order} inside a free block");
                assert_eq!(b.alloc_at(pfn, order), Ok(()), "alloc_at({pfn:#x}, {order})");
                m.do_alloc(pfn, order);
                // The holder of order kk is split: one block less there, one
                // more at each order in [order, kk).
                assert_split(&before, &counts(b), order, kk, "alloc_at split");
            }
            Op::AllocAtAny(off, order) => {
                let pfn = near(base, off);
                let expected = m.expect_alloc_at(pfn, order);
                let before = counts(b);
                let got = b.alloc_at(pfn, order);
                assert_eq!(got, expected, "alloc_at({pfn:#x}, {order})");
                match got {
                    Ok(()) => m.do_alloc(pfn, order),
                    Err(_) => assert_eq!(counts(b), before, "failed alloc_at changed state"),
                }
            }
            Op::AddRange(off, len) => {
                let start = near(base, off);
                let end = start.wrapping_add(len);
                let expected = m.expect_add(start, end);
                let before = counts(b);
                let got = b.add_free_range(start, end);
                assert_eq!(got, expected, "add_free_range({start:#x}, {end:#x})");
                match got {
                    Ok(()) => m.pages[start - base..end - base].fill(Page::Free),
                    Err(_) => assert_eq!(counts(b), before, "failed add changed state"),
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn run(setup: Setup, ops: Vec<Op>) {
    let base = setup.base_pfn;
    let mut meta = vec![FrameMeta::UNMANAGED; SPAN];
    let mut b = BuddyAllocator::new(base, &mut meta).unwrap();
    let mut m = Model {
        base,
        pages: vec![Page::Unmanaged; SPAN],
        blocks: Vec::new(),
        live: Vec::new(),
        freed: Vec::new(),
    };

    // Initial free ranges.
    let mut ranges = Vec::new();
    let mut at = 0;
    for &(len, kind) in &setup.segments {
        let end = (at + len).min(SPAN);
        if kind != 0 && at < end {
            ranges.push((base + at, base + end));
        }
        at = end;
    }
    if setup.reverse_adds {
        ranges.reverse();
    }
    for &(s, e) in &ranges {
        b.add_free_range(s, e).unwrap();
        m.pages[s - base..e - base].fill(Page::Free);
    }
    let mut sut = Sut { b, m };
    let _ = run_ops(&mut sut, ops);
    let Sut { mut b, mut m } = sut;

    // Free everything: the free lists must be exactly the canonical
    // decomposition of the managed frames, i.e. what a fresh allocator
    // given the same ranges has.
    for k in m.live.clone() {
        let (pfn, order, _) = m.blocks[k];
        b.free(pfn, order).unwrap();
        m.do_free(k);
    }
    check(&b, &m);
    assert_eq!(b.free_pages(), b.managed_pages());

    let mut fresh_meta = vec![FrameMeta::UNMANAGED; SPAN];
    let mut fresh = BuddyAllocator::new(base, &mut fresh_meta).unwrap();
    for r in runs(&m.pages, |&p| p == Page::Free) {
        fresh.add_free_range(base + r.start, base + r.end).unwrap();
    }
    for order in 0..=MAX_ORDER {
        let mut got: Vec<usize> = b.free_blocks(order).collect();
        let mut want: Vec<usize> = fresh.free_blocks(order).collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "free blocks of order {order} after freeing everything");
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn buddy_matches_model(setup in setup_strategy(), ops in op_sequence(op_strategy(), 1..64)) {
        run(setup, ops);
    }
}

/// Free-block counts per order after a block of order `source` was split
/// down to `order`: one block less at `source`, one more at each order in
/// `[order, source)`, the rest unchanged.
fn assert_split(before: &[usize], after: &[usize], order: u32, source: u32, what: &str) {
    for o in 0..=MAX_ORDER {
        let i = o as usize;
        let expected = if o == source {
            before[i] - 1
        } else if o >= order && o < source {
            before[i] + 1
        } else {
            before[i]
        };
        assert_eq!(after[i], expected, "{what}: wrong count at order {o}");
    }
}
