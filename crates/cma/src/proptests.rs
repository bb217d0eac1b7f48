//! Property tests: random operation sequences checked against a simple model.
//!
//! The model keeps one state per bitmap chunk (free / allocated by handle
//! `k`) of an area of a few hundred pages whose base pfn is *not* aligned to
//! the larger alignment orders used. Its `alloc` is a brute-force first fit
//! over aligned candidates, so the allocator's answer must equal it exactly;
//! its `release` is valid iff the range is inside the area, starts a chunk
//! and covers only allocated chunks. After each step the bitmap and the
//! counters must match the model (no overlap, no lost page).
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::*;
use core::ops::ControlFlow;
use proptest::prelude::*;
use test_support::{ModelCheck, near, op_sequence, pick, run_ops, runs};

#[derive(Clone, Debug)]
enum Op {
    /// `alloc(count, align_order)`.
    Alloc(usize, u32),
    /// Release a live allocation entirely (index modulo the live count).
    ReleaseLive(usize),
    /// Release a sub-range `[off, off + len)` of a live allocation.
    ReleasePart(usize, usize, usize),
    /// Release an already released allocation again.
    ReleaseAgain(usize),
    /// Release `count` pages at `base - 8 + offset`.
    ReleaseBogus(usize, usize),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let count = prop_oneof![
        8 => 1usize..=8,
        4 => 9usize..=64,
        1 => 0usize..=1,
        1 => 65usize..=700,
    ];
    let align = prop_oneof![
        8 => 0u32..=4,
        4 => 5u32..=11,
        1 => 12u32..=70,
    ];
    prop_oneof![
        40 => (count, align).prop_map(|(c, a)| Op::Alloc(c, a)),
        30 => any::<usize>().prop_map(Op::ReleaseLive),
        8 => (any::<usize>(), any::<usize>(), 0usize..40)
            .prop_map(|(i, o, l)| Op::ReleasePart(i, o, l)),
        6 => any::<usize>().prop_map(Op::ReleaseAgain),
        6 => (0usize..600, 0usize..40).prop_map(|(o, c)| Op::ReleaseBogus(o, c)),
    ]
}

/// Area geometry: `order_per_bit` in 0..=2, `bits` chunks, and a base pfn
/// that is a multiple of `2^order_per_bit` but an odd multiple, so never
/// aligned to `2^(order_per_bit + 1)` (and thus not to the larger
/// alignments requested).
#[derive(Clone, Debug)]
struct Setup {
    base_pfn: usize,
    order_per_bit: u32,
    bits: usize,
}

fn setup_strategy() -> impl Strategy<Value = Setup> {
    (0u32..=2, 0usize..(1 << 30), 16usize..=300).prop_map(|(opb, k, bits)| Setup {
        base_pfn: (2 * k + 1) << opb,
        order_per_bit: opb,
        bits,
    })
}

struct Model {
    base: usize,
    opb: u32,
    /// Per chunk: `None` = free, `Some(k)` = allocated by handle `k`.
    chunks: Vec<Option<usize>>,
    /// Every allocation ever made: (pfn, count).
    allocs: Vec<(usize, usize)>,
    live: Vec<usize>,
    released: Vec<usize>,
}

impl Model {
    fn pages(&self) -> usize {
        self.chunks.len() << self.opb
    }

    fn end(&self) -> usize {
        self.base + self.pages()
    }

    fn expect_alloc(&self, count: usize, align: u32) -> Result<usize, CmaError> {
        if count == 0 {
            return Err(CmaError::ZeroCount);
        }
        if align >= usize::BITS {
            return Err(CmaError::InvalidAlignment { align_order: align });
        }
        let nbits = count.div_ceil(1 << self.opb);
        // free_run[i]: number of free chunks starting at i.
        let n = self.chunks.len();
        let mut free_run = vec![0usize; n + 1];
        for i in (0..n).rev() {
            free_run[i] = if self.chunks[i].is_none() { free_run[i + 1] + 1 } else { 0 };
        }
        (0..n)
            .find(|&i| {
                let pfn = self.base + (i << self.opb);
                pfn % (1usize << align) == 0 && free_run[i] >= nbits
            })
            .map(|i| self.base + (i << self.opb))
            .ok_or(CmaError::NoSpace {
                count,
                align_order: align,
            })
    }

    fn expect_release(&self, pfn: usize, count: usize) -> Result<(), CmaError> {
        if count == 0 {
            return Err(CmaError::ZeroCount);
        }
        if pfn < self.base || pfn as u128 + count as u128 > self.end() as u128 {
            return Err(CmaError::OutOfArea {
                pfn,
                count,
                base_pfn: self.base,
                end_pfn: self.end(),
            });
        }
        let off = pfn - self.base;
        if off % (1 << self.opb) != 0 {
            return Err(CmaError::MisalignedRelease {
                pfn,
                order_per_bit: self.opb,
            });
        }
        let first = off >> self.opb;
        let nbits = count.div_ceil(1 << self.opb);
        match (first..first + nbits).find(|&i| self.chunks[i].is_none()) {
            Some(i) => Err(CmaError::NotAllocated {
                pfn,
                count,
                free_pfn: self.base + (i << self.opb),
            }),
            None => Ok(()),
        }
    }

    fn apply_release(&mut self, pfn: usize, count: usize) {
        let first = (pfn - self.base) >> self.opb;
        let nbits = count.div_ceil(1 << self.opb);
        for c in &mut self.chunks[first..first + nbits] {
            assert!(c.is_some());
            *c = None;
        }
    }
}

fn check(cma: &Cma<'_>, m: &Model) {
    assert_eq!(cma.bits().len(), m.chunks.len());
    for (i, c) in m.chunks.iter().enumerate() {
        assert_eq!(cma.bits()[i], c.is_some(), "bitmap bit {i} differs from model");
    }
    for p in m.base.saturating_sub(2)..m.end() + 2 {
        let free = p >= m.base && p < m.end() && m.chunks[(p - m.base) >> m.opb].is_none();
        assert_eq!(cma.is_free(p), free, "is_free({p:#x})");
    }
    let used = m.chunks.iter().filter(|c| c.is_some()).count();
    assert_eq!(cma.used_bits, used);
    assert_eq!(cma.free_pages(), (m.chunks.len() - used) << m.opb, "lost pages");
    assert_eq!(cma.count_free_in_bitmap(), (m.chunks.len() - used) << m.opb, "bitmap count");
    assert_eq!(cma.total_pages(), m.pages());
    assert_eq!(cma.free_pages() + (used << m.opb), cma.total_pages());
}

/// The area and its model, stepped together by
/// [`test_support::run_ops`].
struct Sut<'a> {
    cma: Cma<'a>,
    m: Model,
}

impl ModelCheck for Sut<'_> {
    type Op = Op;
    type Stop = core::convert::Infallible;

    fn check(&self) {
        check(&self.cma, &self.m);
    }

    fn step(&mut self, op: Op) -> ControlFlow<Self::Stop> {
        let Sut { cma, m } = self;
        let opb = m.opb;
        match op {
            Op::Alloc(n, align) => {
                let expected = m.expect_alloc(n, align);
                let got = cma.alloc(n, align);
                assert_eq!(got, expected, "alloc({n}, {align})");
                if let Ok(pfn) = got {
                    assert_eq!(pfn % (1usize << align), 0, "misaligned");
                    assert!(pfn >= m.base && pfn + n <= m.end(), "outside the area");
                    let k = m.allocs.len();
                    let first = (pfn - m.base) >> opb;
                    for c in &mut m.chunks[first..first + n.div_ceil(1 << opb)] {
                        assert_eq!(*c, None, "overlapping allocation");
                        *c = Some(k);
                    }
                    m.allocs.push((pfn, n));
                    m.live.push(k);
                }
            }
            Op::ReleaseLive(i) | Op::ReleaseAgain(i) | Op::ReleasePart(i, _, _) => {
                let list = if matches!(op, Op::ReleaseAgain(_)) { &m.released } else { &m.live };
                let Some((slot, k)) = pick(list, i) else {
                    return ControlFlow::Continue(());
                };
                let (pfn, n) = m.allocs[k];
                let (pfn, n) = match op {
                    Op::ReleasePart(_, off, len) => (pfn + off % n, len),
                    _ => (pfn, n),
                };
                let expected = m.expect_release(pfn, n);
                let got = cma.release(pfn, n);
                assert_eq!(got, expected, "release({pfn:#x}, {n})");
                if got.is_ok() {
                    m.apply_release(pfn, n);
                }
                if matches!(op, Op::ReleaseLive(_)) {
                    m.live.swap_remove(slot);
                    m.released.push(k);
                }
            }
            Op::ReleaseBogus(off, n) => {
                let pfn = near(m.base, off);
                let expected = m.expect_release(pfn, n);
                let got = cma.release(pfn, n);
                assert_eq!(got, expected, "release({pfn:#x}, {n})");
                if got.is_ok() {
                    m.apply_release(pfn, n);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn run(setup: Setup, ops: Vec<Op>) {
    let Setup {
        base_pfn,
        order_per_bit: opb,
        bits,
    } = setup;
    let count = bits << opb;
    let mut storage = vec![usize::MAX; bitmap_words(count, opb) + 1];
    let cma = Cma::new(base_pfn, count, opb, &mut storage).unwrap();
    let m = Model {
        base: base_pfn,
        opb,
        chunks: vec![None; bits],
        allocs: Vec::new(),
        live: Vec::new(),
        released: Vec::new(),
    };
    let mut sut = Sut { cma, m };
    let _ = run_ops(&mut sut, ops);
    let Sut { mut cma, mut m } = sut;

    // Release every chunk still allocated, one maximal run at a time.
    for r in runs(&m.chunks, Option::is_some) {
        let (pfn, n) = (m.base + (r.start << opb), (r.end - r.start) << opb);
        cma.release(pfn, n).unwrap();
        m.apply_release(pfn, n);
    }
    check(&cma, &m);
    assert_eq!(cma.free_pages(), cma.total_pages());
    drop(cma);
    assert!(storage[..storage.len() - 1].iter().all(|&w| w == 0));
    assert_eq!(storage[storage.len() - 1], usize::MAX, "wrote past the bitmap");
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn cma_matches_model(setup in setup_strategy(), ops in op_sequence(op_strategy(), 1..64)) {
        run(setup, ops);
    }
}
