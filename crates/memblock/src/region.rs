//! Regions and the fixed-capacity, sorted region array that holds them
//! (Linux's `struct memblock_region` and `struct memblock_type`).

use core::fmt;

use crate::{Error, RegionKind};

/// A half-open physical address range `[base, base + size)`
/// (Linux's `struct memblock_region`, without NUMA node and flags).
///
/// Regions stored inside a [`Memblock`](crate::Memblock) always have
/// `size > 0` and `base + size <= u64::MAX`; a `Region` built by hand may
/// not, so [`Region::end`] saturates instead of overflowing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Region {
    /// First byte of the range.
    pub base: u64,
    /// Length of the range in bytes.
    pub size: u64,
}

impl Region {
    /// The range `[base, base + size)`.
    pub const fn new(base: u64, size: u64) -> Self {
        Region { base, size }
    }

    /// The first address *after* the region, `base + size` (saturating at
    /// `u64::MAX`, so it never overflows).
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// Whether `addr` lies inside the region.
    pub const fn contains(&self, addr: u64) -> bool {
        self.base <= addr && addr < self.end()
    }

    /// Whether the region has no bytes.
    pub const fn is_empty(&self) -> bool {
        self.size == 0
    }
}

/// Prints the region the way Linux's `%pa-%pa` does: both ends inclusive,
/// as zero-padded 64-bit hexadecimal, e.g. `[0x0000000000000000-0x0000000000001fff]`.
impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:#018x}-{:#018x}]",
            self.base,
            self.end().wrapping_sub(1)
        )
    }
}

/// A sorted array of at most `N` disjoint, non-adjacent, non-empty regions
/// (Linux's `struct memblock_type`, which memblock keeps for `memory` and for
/// `reserved`).
///
/// Invariants, kept by every method:
/// * `cnt <= N`, and only `regions[..cnt]` is meaningful;
/// * every region has `size > 0` and `base + size <= u64::MAX`;
/// * `regions[i].end() < regions[i + 1].base`: sorted, not overlapping, and
///   not even touching (touching regions are merged, as Linux's
///   `memblock_merge_regions()` does).
///
/// Unlike Linux, an empty array really has `cnt == 0` (Linux keeps one
/// "empty dummy entry" of size 0 so that `regions[0]` always exists).
#[derive(Clone)]
pub(crate) struct RegionArray<const N: usize> {
    regions: [Region; N],
    cnt: usize,
    kind: RegionKind,
}

/// Shows only the regions in use, not the whole array.
impl<const N: usize> fmt::Debug for RegionArray<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<const N: usize> RegionArray<N> {
    pub(crate) const fn new(kind: RegionKind) -> Self {
        RegionArray {
            regions: [Region::new(0, 0); N],
            cnt: 0,
            kind,
        }
    }

    /// The regions in use, sorted by address.
    pub(crate) fn as_slice(&self) -> &[Region] {
        self.regions.get(..self.cnt).unwrap_or(&[])
    }

    /// Sum of the region sizes (Linux keeps this as `total_size`). The
    /// regions are disjoint and below `u64::MAX`, so the sum fits in a `u64`.
    pub(crate) fn total_size(&self) -> u64 {
        self.as_slice()
            .iter()
            .fold(0, |sum, r| sum.saturating_add(r.size))
    }

    /// Index of the region containing `addr` (Linux's `memblock_search()`).
    pub(crate) fn search(&self, addr: u64) -> Option<usize> {
        let rgns = self.as_slice();
        // Regions are sorted and disjoint, so their ends are sorted too:
        // skip every region that ends at or below `addr`.
        let idx = rgns.partition_point(|r| r.end() <= addr);
        match rgns.get(idx) {
            Some(r) if r.base <= addr => Some(idx),
            _ => None,
        }
    }

    /// Whether any region intersects `[base, end)` (Linux's
    /// `memblock_overlaps_region()`). An empty range intersects nothing.
    pub(crate) fn overlaps(&self, base: u64, end: u64) -> bool {
        if base >= end {
            return false;
        }
        let rgns = self.as_slice();
        let idx = rgns.partition_point(|r| r.end() <= base);
        rgns.get(idx).is_some_and(|r| r.base < end)
    }

    /// Adds `[base, end)` (Linux's `memblock_add_range()`).
    ///
    /// The new range may overlap or touch existing regions: all of them are
    /// merged with it into one region, so the array stays minimal. On
    /// [`Error::Full`] nothing changes.
    pub(crate) fn add_range(&mut self, base: u64, end: u64) -> Result<(), Error> {
        if base >= end {
            return Ok(());
        }
        let rgns = self.as_slice();
        // `first..last` are the regions that overlap or touch [base, end):
        // those ending at or after `base` and starting at or before `end`.
        let first = rgns.partition_point(|r| r.end() < base);
        let last = first + rgns[first..].partition_point(|r| r.base <= end);

        let (mut lo, mut hi) = (base, end);
        if first < last {
            lo = lo.min(rgns[first].base);
            hi = hi.max(rgns[last - 1].end());
        }
        self.replace(first, last, &[Region::new(lo, hi - lo)])
    }

    /// Removes `[base, end)` (Linux's `memblock_remove_range()`).
    ///
    /// Regions crossing a boundary of the range are cut; a region that
    /// contains the whole range is split in two, which needs one free slot
    /// (on [`Error::Full`] nothing changes). Linux's
    /// `memblock_isolate_range()` always asks for two free slots; here only
    /// a split that really grows the array can fail.
    pub(crate) fn remove_range(&mut self, base: u64, end: u64) -> Result<(), Error> {
        if base >= end {
            return Ok(());
        }
        let rgns = self.as_slice();
        // `first..last` are the regions that really overlap [base, end).
        let first = rgns.partition_point(|r| r.end() <= base);
        let last = first + rgns[first..].partition_point(|r| r.base < end);
        if first == last {
            return Ok(());
        }

        // What survives: the part of the first region below `base` and the
        // part of the last region above `end`.
        let (lower, upper) = (rgns[first], rgns[last - 1]);
        let mut keep = [Region::default(); 2];
        let mut kept = 0;
        if lower.base < base {
            keep[kept] = Region::new(lower.base, base - lower.base);
            kept += 1;
        }
        if upper.end() > end {
            keep[kept] = Region::new(end, upper.end() - end);
            kept += 1;
        }
        self.replace(first, last, &keep[..kept])
    }

    /// Removes everything at or above `addr`. Never needs a free slot.
    pub(crate) fn truncate_above(&mut self, addr: u64) {
        let rgns = self.as_slice();
        let mut cnt = rgns.partition_point(|r| r.end() <= addr);
        // Only the first region not entirely below `addr` can straddle it.
        if cnt < self.cnt && self.regions[cnt].base < addr {
            let r = &mut self.regions[cnt];
            r.size = addr - r.base;
            cnt += 1;
        }
        self.cnt = cnt;
    }

    /// Removes everything below `addr`. Never needs a free slot.
    pub(crate) fn truncate_below(&mut self, addr: u64) {
        let rgns = self.as_slice();
        let first = rgns.partition_point(|r| r.end() <= addr);
        // Only the first surviving region can start below `addr`.
        self.regions.copy_within(first..self.cnt, 0);
        self.cnt -= first;
        if self.cnt > 0 && self.regions[0].base < addr {
            let r = &mut self.regions[0];
            r.size = r.end() - addr;
            r.base = addr;
        }
    }

    /// Replaces `regions[first..last]` by `new` (Linux does this with
    /// `memblock_insert_region()`/`memblock_remove_region()` and a `memmove`
    /// of the tail). Fails with [`Error::Full`], changing nothing, if the
    /// result would not fit.
    fn replace(&mut self, first: usize, last: usize, new: &[Region]) -> Result<(), Error> {
        debug_assert!(first <= last && last <= self.cnt);
        let new_cnt = self.cnt - (last - first) + new.len();
        if new_cnt > N {
            return Err(Error::Full {
                kind: self.kind,
                capacity: N,
            });
        }
        // Slide the tail `regions[last..cnt]` so that it starts right after
        // the new regions, then write the new regions in the hole.
        self.regions.copy_within(last..self.cnt, first + new.len());
        self.regions[first..first + new.len()].copy_from_slice(new);
        self.cnt = new_cnt;
        Ok(())
    }
}
