//! Measured comparison of the two flush policies on DMA-like workloads.
//!
//! Both arenas see the same requests (and, as the lockstep property test
//! proves, place them identically); a [`CachingIommu`] with Tsunami's
//! 4-PTE lines plays the device, which touches every page of every new
//! mapping, and at every step one more page of a random live mapping (a
//! device working through its queue, re-reading its descriptor rings). The
//! checking TLB has no capacity limit, so its misses count only first
//! touches and the refills that invalidations cause; a second, 8-line LRU
//! TLB alongside gives a feel for a small hardware TLB, where capacity
//! misses dominate. The test asserts that the device never sees a stale translation
//! and that the dirty-bitmap policy never invalidates more than Linux; run
//! with `--nocapture` to see the table quoted in the README.

use super::*;
use crate::model::CachingIommu;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The checking [`CachingIommu`] plus a small LRU TLB of 4-PTE lines, fed
/// the same accesses and invalidations, for miss counts.
struct Device {
    check: CachingIommu,
    lru: std::collections::VecDeque<usize>,
    lru_misses: u64,
}

const LRU_LINES: usize = 8;

impl Device {
    fn access(&mut self, a: &IommuArena<'_>, entry: usize) -> Option<u64> {
        let line = entry / 4;
        match self.lru.iter().position(|&l| l == line) {
            Some(i) => {
                self.lru.remove(i);
            }
            None => {
                self.lru_misses += 1;
                if self.lru.len() == LRU_LINES {
                    self.lru.pop_front();
                }
            }
        }
        self.lru.push_back(line);
        self.check.device_access(a, a.dma_addr(entry).unwrap())
    }
}

impl IommuTlb for Device {
    fn invalidate_all(&mut self) {
        self.lru.clear();
        self.check.invalidate_all();
    }
    fn invalidate_range(&mut self, first_dma: u64, last_dma: u64) {
        let first = ((first_dma - 0x4000_0000) >> PAGE_SHIFT) as usize / 4;
        let last = ((last_dma - 0x4000_0000) >> PAGE_SHIFT) as usize / 4;
        self.lru.retain(|&l| l < first || l > last);
        self.check.invalidate_range(first_dma, last_dma);
    }
}

#[derive(Clone, Copy, Debug)]
enum Workload {
    /// A NIC ring: 128 one-page receive buffers in flight, completed in
    /// order.
    NicRing,
    /// Block I/O: 1..=16-page requests (up to 128 KiB), up to 32 in
    /// flight, completing in random order.
    BlockIo,
    /// 256 entries of long-lived mappings (descriptor rings) and a stream
    /// of 1..=2-page mappings completed in order.
    LongLivedPlusStream,
    /// Random sizes 1..=64 pages, random completion, about half the window
    /// in use.
    HalfFullRandom,
}

#[derive(Default, Debug, Clone, Copy)]
struct Outcome {
    allocs: u64,
    failures: u64,
    tbia: u64,
    tbi_range: u64,
    misses: u64,
    lru_misses: u64,
    accesses: u64,
}

const ENTRIES: usize = 1024; // an 8 MiB window
const STEPS: usize = 40_000;

fn simulate(w: Workload, dirty_mode: bool) -> Outcome {
    let mut ptes = vec![0u64; ENTRIES];
    let mut bitmap = vec![0u64; dirty_bitmap_words(ENTRIES)];
    let policy = if dirty_mode {
        FlushPolicy::DirtyBitmap(&mut bitmap)
    } else {
        FlushPolicy::LazyWrap
    };
    let base = 0x4000_0000;
    let mut a = IommuArena::new(base, &mut ptes, 4, policy).unwrap();
    let mut dev = Device {
        check: CachingIommu::new(base, ENTRIES, 4),
        lru: Default::default(),
        lru_misses: 0,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // In-flight mappings: (entry, npages), oldest first.
    let mut inflight: std::collections::VecDeque<(usize, usize)> = Default::default();
    let mut next_pa = 1u64 << 30;
    let mut out = Outcome::default();

    let mut map_one =
        |a: &mut IommuArena<'_>, dev: &mut Device, n: usize, out: &mut Outcome| match a
            .alloc(n, 0, None, dev)
        {
            Ok(p) => {
                out.allocs += 1;
                let pa = next_pa;
                next_pa += (n as u64 + 1) << PAGE_SHIFT;
                a.map(p, (0..n as u64).map(|i| pa + (i << PAGE_SHIFT)))
                    .unwrap();
                assert_eq!(dev.check.check_fresh(a, p, n), 0);
                for i in 0..n {
                    let got = dev.access(a, p + i);
                    assert_eq!(got, Some(pa + ((i as u64) << PAGE_SHIFT)));
                }
                Some((p, n))
            }
            Err(IommuError::NoSpace { .. }) => {
                out.failures += 1;
                None
            }
            Err(e) => panic!("{e}"),
        };

    let mut long_lived = Vec::new();
    if let Workload::LongLivedPlusStream = w {
        for _ in 0..16 {
            long_lived.push(map_one(&mut a, &mut dev, 16, &mut out).unwrap());
        }
    }
    for _ in 0..STEPS {
        // The device touches one page of something live.
        let pool = if long_lived.is_empty() || rng.below(2) == 0 {
            None
        } else {
            Some(&long_lived)
        };
        let pick = match pool {
            Some(l) => Some(l[rng.below(l.len() as u64) as usize]),
            None if !inflight.is_empty() => {
                Some(inflight[rng.below(inflight.len() as u64) as usize])
            }
            None => None,
        };
        if let Some((p, n)) = pick {
            let e = p + rng.below(n as u64) as usize;
            assert!(dev.access(&a, e).is_some());
        }
        match w {
            Workload::NicRing | Workload::LongLivedPlusStream => {
                let (cap, n) = match w {
                    Workload::NicRing => (128, 1),
                    _ => (64, 1 + rng.below(2) as usize),
                };
                if inflight.len() == cap {
                    let (p, n) = inflight.pop_front().unwrap();
                    a.free(p, n, &mut dev).unwrap();
                }
                if let Some(m) = map_one(&mut a, &mut dev, n, &mut out) {
                    inflight.push_back(m);
                }
            }
            Workload::BlockIo | Workload::HalfFullRandom => {
                let (cap_entries, max_n) = match w {
                    Workload::BlockIo => (32 * 16, 16),
                    _ => (ENTRIES / 2, 64),
                };
                let used: usize = inflight.iter().map(|m| m.1).sum();
                let n = 1 + rng.below(max_n) as usize;
                if (used + n > cap_entries || rng.below(3) == 0) && !inflight.is_empty() {
                    let i = rng.below(inflight.len() as u64) as usize;
                    let (p, n) = inflight.swap_remove_back(i).unwrap();
                    a.free(p, n, &mut dev).unwrap();
                } else if let Some(m) = map_one(&mut a, &mut dev, n, &mut out) {
                    inflight.push_back(m);
                }
            }
        }
    }
    assert!(dev.check.stale.is_empty());
    let s = a.stats();
    out.tbia = s.invalidate_all;
    out.tbi_range = s.invalidate_range;
    out.misses = dev.check.misses;
    out.lru_misses = dev.lru_misses;
    out.accesses = dev.check.accesses;
    out
}

#[test]
fn flush_policy_comparison() {
    println!(
        "| workload | policy | allocs | TBIA | ranged TBI | invalidations / 1000 allocs | \
         misses / 1000 accesses (unbounded TLB) | (8-line LRU TLB) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for w in [
        Workload::NicRing,
        Workload::BlockIo,
        Workload::LongLivedPlusStream,
        Workload::HalfFullRandom,
    ] {
        let linux = simulate(w, false);
        let dirty = simulate(w, true);
        for (name, o) in [("LazyWrap (Linux)", linux), ("DirtyBitmap", dirty)] {
            println!(
                "| {w:?} | {name} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
                o.allocs,
                o.tbia,
                o.tbi_range,
                (o.tbia + o.tbi_range) as f64 * 1000.0 / o.allocs as f64,
                o.misses as f64 * 1000.0 / o.accesses as f64,
                o.lru_misses as f64 * 1000.0 / o.accesses as f64,
            );
        }
        assert_eq!(linux.allocs, dirty.allocs);
        assert_eq!(linux.failures, dirty.failures);
        assert_eq!(dirty.tbi_range, 0);
        assert!(
            dirty.tbia <= linux.tbia + linux.tbi_range,
            "{w:?}: {dirty:?} vs {linux:?}"
        );
    }
}
