//! Unit tests, and a property test against a model.
//!
//! The model knows nothing of [`slots`]: it keeps the chunks (bus address)
//! and the live objects (bus address), and judges every answer of the pool
//! by the rules alone: an object is aligned, lies inside a chunk, crosses no
//! boundary and overlaps no live object; `alloc` says "no room" only when
//! no chunk has room, where the room of a chunk is counted by a brute-force
//! scan of every aligned address of the chunk (first fit, greedy); a free
//! of a live object succeeds, anything else is refused with the right
//! error; after freeing everything, at most one chunk is left and
//! `take_empty_chunks` gives it back, each chunk's payload exactly once.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::*;
use core::ops::ControlFlow;
use proptest::prelude::*;
use std::collections::BTreeSet;
use test_support::{ModelCheck, op_sequence, pick, run_ops};

const PAGE: usize = 8192;

#[test]
fn layout_checks() {
    assert_eq!(Layout::new(0, 8, 0, PAGE), Err(PoolError::ZeroSize));
    assert_eq!(Layout::new(16, 3, 0, PAGE), Err(PoolError::BadAlign { align: 3 }));
    assert_eq!(Layout::new(16, 2 * PAGE, 0, PAGE), Err(PoolError::BadAlign { align: 2 * PAGE }));
    assert_eq!(Layout::new(24, 16, 16, PAGE), Err(PoolError::BadBoundary { boundary: 16, size: 32 }));
    assert_eq!(Layout::new(16, 16, 100, PAGE), Err(PoolError::BadBoundary { boundary: 100, size: 16 }));
    let l = Layout::new(10, 0, 0, PAGE).unwrap();
    assert_eq!((l.size, l.align, l.chunk), (10, 1, PAGE));
    let l = Layout::new(20, 16, 4096, PAGE).unwrap();
    assert_eq!((l.size, l.chunk), (32, PAGE));
    // Larger than a page: its pages, twice when a boundary is set.
    assert_eq!(Layout::new(PAGE + 1, 8, 0, PAGE).unwrap().chunk, 2 * PAGE);
    assert_eq!(Layout::new(PAGE + 8, 8, 4 * PAGE as u64, PAGE).unwrap().chunk, 4 * PAGE);
}

#[test]
fn slots_of_a_prd_table_pool() {
    // 16-byte objects, 4 KiB boundary: 512 back to back in a page.
    let l = Layout::new(16, 16, 4096, PAGE).unwrap();
    let s: Vec<usize> = slots(&l, 0x10_0000).collect();
    assert_eq!(s.len(), 512);
    assert!(s.iter().enumerate().all(|(i, &o)| o == i * 16));
    // 24-byte objects, 64-byte boundary: two per 64 bytes.
    let l = Layout::new(24, 8, 64, PAGE).unwrap();
    let s: Vec<usize> = slots(&l, 0).take(4).collect();
    assert_eq!(s, vec![0, 24, 64, 88]);
}

#[test]
fn large_object_fits_a_misaligned_chunk() {
    // 12 KiB objects, 16 KiB boundary, a chunk at an odd page: one slot.
    let l = Layout::new(12 * 1024, 8, 16 * 1024, PAGE).unwrap();
    let s: Vec<usize> = slots(&l, 0x2000).collect();
    assert_eq!(s, vec![0x2000]);
}

#[test]
fn free_errors_and_chunk_return() {
    let l = Layout::new(64, 64, 0, PAGE).unwrap();
    let mut p: Pool<u32, u8> = Pool::new(l, PAGE);
    assert_eq!(p.alloc(0), None);
    p.add_chunk(0x4000, 7).unwrap();
    let a = p.alloc(1).unwrap();
    assert_eq!(a.addr, 0x4000);
    assert_eq!(p.free(0x9000_0000), Err(PoolError::NotInPool { addr: 0x9000_0000 }));
    assert_eq!(p.free(0x4008), Err(PoolError::NotAnObject { addr: 0x4008 }));
    assert_eq!(p.free(0x4040), Err(PoolError::NotAllocated { addr: 0x4040 }));
    assert_eq!(p.free(0x4000), Ok((1, None)));
    assert_eq!(p.free(0x4000), Err(PoolError::NotAllocated { addr: 0x4000 }));
    assert!(matches!(p.add_chunk(0x4001, 9), Err((PoolError::BadChunk { .. }, 9))));
    let mut back = Vec::new();
    p.take_empty_chunks(|t| back.push(t));
    assert_eq!(back, vec![7]);
    assert_eq!(p.counts(), PoolCounts::default());
}

/// How many objects fit in a chunk at `base`, by brute force: every
/// aligned address in turn, taken when it lies after the last object taken
/// and the object would neither cross a boundary nor leave the chunk.
fn model_room(l: &Layout, base: u64) -> usize {
    let (size, b) = (l.size as u64, l.boundary);
    let mut next = base;
    let mut n = 0;
    let mut a = base;
    while a + size <= base + l.chunk as u64 {
        let crosses = b != 0 && a / b != (a + size - 1) / b;
        if a >= next && !crosses {
            n += 1;
            next = a + size;
        }
        a += l.align as u64;
    }
    n
}

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    Free(usize),
    FreeAgain(usize),
    FreeOffset(usize, usize),
}

struct Check {
    pool: Pool<u64, u32>,
    l: Layout,
    /// Chunk bus addresses given to the pool and not given back.
    chunks: BTreeSet<u64>,
    /// Live objects: address -> tag.
    live: Vec<(u64, u32)>,
    freed: Vec<u64>,
    next_base: u64,
    /// Page offsets between consecutive chunk addresses (varies placement
    /// relative to the boundary).
    gaps: Vec<u64>,
    tag: u32,
    given_back: Vec<u64>,
}

impl Check {
    fn new(l: Layout, gaps: Vec<u64>) -> Self {
        Check { pool: Pool::new(l, PAGE), l, chunks: BTreeSet::new(), live: Vec::new(), freed: Vec::new(), next_base: 0x8000_0000, gaps, tag: 0, given_back: Vec::new() }
    }

    fn chunk_holding(&self, a: u64) -> Option<u64> {
        self.chunks.iter().copied().find(|&c| a >= c && a < c + self.l.chunk as u64)
    }

    fn room(&self) -> usize {
        self.chunks.iter().map(|&c| model_room(&self.l, c)).sum()
    }
}

impl ModelCheck for Check {
    type Op = Op;
    type Stop = ();

    fn step(&mut self, op: Op) -> ControlFlow<()> {
        match op {
            Op::Alloc => {
                self.tag += 1;
                let o = match self.pool.alloc(self.tag) {
                    Some(o) => o,
                    None => {
                        // The pool is full only when the model sees no room.
                        assert!(self.live.len() >= self.room(), "alloc found no room; model room {} live {}", self.room(), self.live.len());
                        let gap = self.gaps[self.chunks.len() % self.gaps.len()];
                        let base = self.next_base + gap * PAGE as u64;
                        self.next_base = base + self.l.chunk as u64;
                        self.pool.add_chunk(base, base).unwrap();
                        self.chunks.insert(base);
                        self.pool.alloc(self.tag).expect("a fresh chunk has room")
                    }
                };
                let (a, size) = (o.addr, self.l.size as u64);
                assert_eq!(a % self.l.align as u64, 0, "misaligned {a:#x}");
                let b = self.l.boundary;
                assert!(b == 0 || a / b == (a + size - 1) / b, "{a:#x}+{size} crosses {b:#x}");
                let c = self.chunk_holding(a).expect("object outside every chunk");
                assert_eq!(o.chunk_base, c);
                assert_eq!(o.offset as u64, a - c);
                assert!(a + size <= c + self.l.chunk as u64, "object runs past its chunk");
                for &(x, _) in &self.live {
                    assert!(a + size <= x || x + size <= a, "{a:#x} overlaps {x:#x}");
                }
                self.freed.retain(|&f| f != a);
                self.live.push((a, self.tag));
            }
            Op::Free(i) => {
                let Some((slot, (a, tag))) = pick(&self.live, i) else { return ControlFlow::Continue(()) };
                let empty_before = self.chunks.iter().filter(|&&c| !self.live.iter().any(|&(x, _)| self.chunk_holding(x) == Some(c))).count();
                let c = self.chunk_holding(a).unwrap();
                self.live.swap_remove(slot);
                let (t, back) = self.pool.free(a).unwrap();
                assert_eq!(t, tag);
                let now_empty = !self.live.iter().any(|&(x, _)| self.chunk_holding(x) == Some(c));
                if now_empty && empty_before >= 1 {
                    assert_eq!(back, Some(c), "an empty chunk beside another empty one is given back");
                    self.chunks.remove(&c);
                    self.given_back.push(c);
                    let end = c + self.l.chunk as u64;
                    self.freed.retain(|&f| f < c || f >= end);
                } else {
                    assert_eq!(back, None);
                    self.freed.push(a);
                }
            }
            Op::FreeAgain(i) => {
                if let Some((_, a)) = pick(&self.freed, i) {
                    assert_eq!(self.pool.free(a), Err(PoolError::NotAllocated { addr: a }));
                }
            }
            Op::FreeOffset(i, off) => {
                // An address strictly inside a live object.
                if let Some((_, (a, _))) = pick(&self.live, i) {
                    if self.l.size > 1 {
                        let x = a + 1 + (off % (self.l.size - 1)) as u64;
                        assert_eq!(self.pool.free(x), Err(PoolError::NotAnObject { addr: x }));
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn check(&self) {
        let c = self.pool.counts();
        assert_eq!(c.objects, self.live.len());
        assert_eq!(c.chunks, self.chunks.len());
        let mut live: Vec<(u64, u32)> = self.pool.live().collect();
        live.sort();
        let mut model = self.live.clone();
        model.sort();
        assert_eq!(live, model);
        let mut bases: Vec<u64> = self.pool.chunk_bases().collect();
        bases.sort();
        assert_eq!(bases, self.chunks.iter().copied().collect::<Vec<_>>());
    }
}

fn layouts() -> impl Strategy<Value = Layout> {
    (1usize..3 * PAGE, 0u32..14, prop::option::of(4u32..18)).prop_filter_map("valid layout", |(size, align_log, b_log)| {
        let size = if size > PAGE / 2 { size } else { size % 300 + 1 };
        Layout::new(size, 1 << align_log, b_log.map_or(0, |b| 1u64 << b), PAGE).ok()
    })
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        1 => any::<usize>().prop_map(Op::FreeAgain),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, o)| Op::FreeOffset(i, o)),
    ]
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn pool_matches_model(l in layouts(), gaps in prop::collection::vec(0u64..5, 1..4), ops in op_sequence(ops(), 0..300)) {
        let mut m = Check::new(l, gaps);
        let _ = run_ops(&mut m, ops);
        // Free everything: at most one chunk stays, and destroy gives it back.
        let addrs: Vec<u64> = m.live.iter().map(|x| x.0).collect();
        for a in addrs {
            let (_, back) = m.pool.free(a).unwrap();
            if let Some(c) = back {
                m.chunks.remove(&c);
                m.given_back.push(c);
            }
        }
        m.live.clear();
        prop_assert!(m.pool.counts().chunks <= 1);
        prop_assert_eq!(m.pool.counts().objects, 0);
        let mut rest = Vec::new();
        m.pool.take_empty_chunks(|t| rest.push(t));
        prop_assert_eq!(m.pool.counts(), PoolCounts::default());
        let mut all: Vec<u64> = m.given_back.iter().chain(rest.iter()).copied().collect();
        all.sort();
        let before = all.len();
        all.dedup();
        prop_assert_eq!(before, all.len(), "a chunk given back twice");
    }

    /// The slot list is the model's greedy first fit.
    #[test]
    fn slots_fill_like_the_model(l in layouts(), page in 0u64..64) {
        let base = page * PAGE as u64;
        prop_assert_eq!(slots(&l, base).count(), model_room(&l, base));
        prop_assert!(slots(&l, base).count() >= 1);
    }
}
