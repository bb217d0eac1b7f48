//! Iteration over free memory: `memory` minus `reserved`
//! (Linux's `for_each_free_mem_range()` and `for_each_free_mem_range_reverse()`,
//! built on `__next_mem_range()` and `__next_mem_range_rev()`).

use core::iter::FusedIterator;

use crate::Region;

/// Iterator over the free ranges — parts of `memory` not covered by
/// `reserved` — in ascending address order, clipped to a window.
///
/// Created by [`Memblock::free_ranges`](crate::Memblock::free_ranges) and
/// [`Memblock::free_ranges_in`](crate::Memblock::free_ranges_in). It is
/// double-ended: `.rev()` walks from the top of memory down, which is what
/// the top-down allocator does.
///
/// Every range it yields is non-empty and maximal: since both lists are
/// merged, two free ranges never touch.
///
/// # How it works
///
/// As in Linux, the iterator walks the memory regions and the *gaps*
/// between reserved regions in lockstep. With reserved regions
/// `0:[0-16) 1:[32-48) 2:[128-130)` the gaps are numbered
/// `0:[0-0) 1:[16-32) 2:[48-128) 3:[130-MAX)`; every intersection of a
/// memory region with a gap is a free range. Both lists are sorted, so each
/// step advances whichever of the two (memory region or gap) ends first.
#[derive(Clone, Debug)]
pub struct FreeRanges<'a> {
    memory: &'a [Region],
    reserved: &'a [Region],
    /// The window `[lo, hi)` every yielded range is clipped to.
    lo: u64,
    hi: u64,
    /// Forward cursor: index into `memory`, index of a gap in `reserved`.
    front_mem: usize,
    front_gap: usize,
    /// Backward cursor: *one more than* the index into `memory` and of the
    /// gap (so that 0 means "exhausted" without negative numbers).
    back_mem: usize,
    back_gap: usize,
    /// End of the last range yielded from the front, and start of the last
    /// range yielded from the back: where the two directions meet.
    front_done_below: u64,
    back_done_above: u64,
}

impl<'a> FreeRanges<'a> {
    pub(crate) fn new(memory: &'a [Region], reserved: &'a [Region], lo: u64, hi: u64) -> Self {
        FreeRanges {
            memory,
            reserved,
            lo,
            hi,
            front_mem: 0,
            front_gap: 0,
            back_mem: memory.len(),
            back_gap: reserved.len() + 1,
            front_done_below: 0,
            back_done_above: u64::MAX,
        }
    }

    /// Gap number `g` between reserved regions: from the end of reserved
    /// region `g - 1` (or 0) to the start of reserved region `g` (or the top
    /// of the address space). There are `reserved.len() + 1` gaps.
    fn gap(&self, g: usize) -> (u64, u64) {
        let start = match g.checked_sub(1) {
            None => 0,
            Some(prev) => self.reserved.get(prev).map_or(u64::MAX, Region::end),
        };
        let end = self.reserved.get(g).map_or(u64::MAX, |r| r.base);
        (start, end)
    }

    /// Clips `[start, end)` to the window; `None` if nothing is left.
    fn clip(&self, start: u64, end: u64) -> Option<Region> {
        let (start, end) = (start.max(self.lo), end.min(self.hi));
        (start < end).then(|| Region::new(start, end - start))
    }

    /// The next unclipped free range from the bottom (Linux's `__next_mem_range()`).
    fn raw_next(&mut self) -> Option<(u64, u64)> {
        while let Some(&m) = self.memory.get(self.front_mem) {
            let (m_start, m_end) = (m.base, m.end());
            // Scan the gaps that could intersect this memory region.
            while self.front_gap <= self.reserved.len() {
                let (r_start, r_end) = self.gap(self.front_gap);
                // The gap is above the memory region: go to the next region.
                if r_start >= m_end {
                    break;
                }
                // The memory region and the gap intersect.
                if m_start < r_end {
                    // Advance whichever ends first.
                    if m_end <= r_end {
                        self.front_mem += 1;
                    } else {
                        self.front_gap += 1;
                    }
                    return Some((m_start.max(r_start), m_end.min(r_end)));
                }
                self.front_gap += 1;
            }
            self.front_mem += 1;
        }
        None
    }

    /// The next unclipped free range from the top (Linux's `__next_mem_range_rev()`).
    fn raw_next_back(&mut self) -> Option<(u64, u64)> {
        while let Some(&m) = self
            .back_mem
            .checked_sub(1)
            .and_then(|i| self.memory.get(i))
        {
            let (m_start, m_end) = (m.base, m.end());
            while let Some(g) = self.back_gap.checked_sub(1) {
                let (r_start, r_end) = self.gap(g);
                // The gap is below the memory region: go to the previous region.
                if r_end <= m_start {
                    break;
                }
                if m_end > r_start {
                    // Step back whichever starts last.
                    if m_start >= r_start {
                        self.back_mem -= 1;
                    } else {
                        self.back_gap -= 1;
                    }
                    return Some((m_start.max(r_start), m_end.min(r_end)));
                }
                self.back_gap -= 1;
            }
            self.back_mem -= 1;
        }
        None
    }

    fn finish(&mut self) {
        self.front_mem = self.memory.len();
        self.back_mem = 0;
    }
}

impl Iterator for FreeRanges<'_> {
    type Item = Region;

    fn next(&mut self) -> Option<Region> {
        while let Some((start, end)) = self.raw_next() {
            // Already handed out from the back: the two ends have met.
            if start >= self.back_done_above {
                break;
            }
            if let Some(r) = self.clip(start, end) {
                self.front_done_below = end;
                return Some(r);
            }
        }
        self.finish();
        None
    }
}

impl DoubleEndedIterator for FreeRanges<'_> {
    fn next_back(&mut self) -> Option<Region> {
        while let Some((start, end)) = self.raw_next_back() {
            if end <= self.front_done_below {
                break;
            }
            if let Some(r) = self.clip(start, end) {
                self.back_done_above = start;
                return Some(r);
            }
        }
        self.finish();
        None
    }
}

impl FusedIterator for FreeRanges<'_> {}
