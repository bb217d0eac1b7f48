//! A caching IOMMU for tests: the device side of the window.
//!
//! [`CachingIommu`] behaves like the Pchip's translation buffer as far as
//! correctness is concerned, and is deliberately *more* forgetful-proof
//! than the hardware (it keeps everything it ever loaded until told to drop
//! it), so any missing invalidation shows up:
//!
//! * a device access through entry `e` that misses loads the whole aligned
//!   TLB *line* containing `e` (`line` PTEs: 1, or 4 like Tsunami) from the
//!   PTE table as it is at that moment — valid or not — and keeps it, with
//!   no capacity limit, until [`IommuTlb::invalidate_all`] or an
//!   [`IommuTlb::invalidate_range`] touching the line;
//! * a hit returns the cached PTE, even if the table has changed since.
//!
//! A *stale* translation is a cached PTE that differs from the table. The
//! model records one whenever the device hits such an entry, and
//! [`CachingIommu::check_fresh`] (called after every alloc + map) records one
//! for every entry of a new mapping whose cached copy is stale, i.e. an
//! entry reused before the TLB was invalidated. Tests assert that
//! `stale` stays empty, and, with the flush deliberately broken, that it
//! does not.

use crate::{IommuArena, IommuTlb, PAGE_SHIFT, iommu_pte_pa};

/// A stale translation the device could use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stale {
    /// The entry.
    pub entry: usize,
    /// The PTE the TLB holds.
    pub cached: u64,
    /// The PTE in the table.
    pub current: u64,
    /// Found by a device access (true) or by `check_fresh` (false).
    pub by_access: bool,
}

pub(crate) struct CachingIommu {
    dma_base: u64,
    line: usize,
    /// entry → cached PTE value.
    cache: Vec<Option<u64>>,
    pub stale: Vec<Stale>,
    pub invalidate_all_calls: u64,
    pub invalidate_range_calls: u64,
    /// Last ranged invalidation, as entries `first..=last`.
    pub last_range: Option<(usize, usize)>,
    pub accesses: u64,
    pub misses: u64,
}

impl CachingIommu {
    pub fn new(dma_base: u64, entries: usize, line: usize) -> Self {
        assert!(line.is_power_of_two());
        CachingIommu {
            dma_base,
            line,
            cache: vec![None; entries],
            stale: Vec::new(),
            invalidate_all_calls: 0,
            invalidate_range_calls: 0,
            last_range: None,
            accesses: 0,
            misses: 0,
        }
    }

    fn entry(&self, dma: u64) -> usize {
        ((dma - self.dma_base) >> PAGE_SHIFT) as usize
    }

    /// The device does DMA at bus address `dma`; returns the physical
    /// address it reaches (None: the translation it used is invalid).
    pub fn device_access(&mut self, arena: &IommuArena<'_>, dma: u64) -> Option<u64> {
        self.accesses += 1;
        let e = self.entry(dma);
        let ptes = arena.ptes();
        let pte = match self.cache[e] {
            Some(cached) => {
                if cached != ptes[e] {
                    self.stale.push(Stale {
                        entry: e,
                        cached,
                        current: ptes[e],
                        by_access: true,
                    });
                }
                cached
            }
            None => {
                self.misses += 1;
                let first = e & !(self.line - 1);
                for (i, &p) in ptes.iter().enumerate().skip(first).take(self.line) {
                    self.cache[i] = Some(p);
                }
                ptes[e]
            }
        };
        iommu_pte_pa(pte).map(|pa| pa | (dma & ((1 << PAGE_SHIFT) - 1)))
    }

    /// Record a stale translation for every entry of `first .. first + n`
    /// whose cached PTE differs from the table. Returns how many were found.
    pub fn check_fresh(&mut self, arena: &IommuArena<'_>, first: usize, n: usize) -> usize {
        let ptes = arena.ptes();
        let mut found = 0;
        for (e, &current) in ptes.iter().enumerate().skip(first).take(n) {
            if let Some(cached) = self.cache[e]
                && cached != current
            {
                self.stale.push(Stale {
                    entry: e,
                    cached,
                    current,
                    by_access: false,
                });
                found += 1;
            }
        }
        found
    }

    pub fn cached_entries(&self) -> usize {
        self.cache.iter().filter(|c| c.is_some()).count()
    }
}

impl IommuTlb for CachingIommu {
    fn invalidate_all(&mut self) {
        self.invalidate_all_calls += 1;
        self.cache.fill(None);
    }

    fn invalidate_range(&mut self, first_dma: u64, last_dma: u64) {
        assert!(first_dma <= last_dma, "empty invalidation range");
        self.invalidate_range_calls += 1;
        let (first, last) = (self.entry(first_dma), self.entry(last_dma));
        self.last_range = Some((first, last));
        // Drop every line the range touches, no more.
        let lo = first & !(self.line - 1);
        let hi = last | (self.line - 1);
        let hi = hi.min(self.cache.len() - 1);
        self.cache[lo..=hi].fill(None);
    }
}

/// A TLB that only counts calls (for unit tests that do not need caching).
#[derive(Default, Debug)]
pub(crate) struct CountingTlb {
    pub all: u64,
    pub ranges: Vec<(u64, u64)>,
}

impl IommuTlb for CountingTlb {
    fn invalidate_all(&mut self) {
        self.all += 1;
    }
    fn invalidate_range(&mut self, first_dma: u64, last_dma: u64) {
        self.ranges.push((first_dma, last_dma));
    }
}
