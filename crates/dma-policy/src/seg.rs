//! Segment limits of a device (Linux's `dma_parms`: `max_segment_size` and
//! `segment_boundary_mask`), applied to bus address ranges.
//!
//! [`SegLimits::pieces`] cuts `[bus, bus + len)` into the longest pieces
//! that obey both limits, greedily from the start: a piece ends at the
//! maximum segment size or at the next boundary (a bus address with the
//! mask's bits clear), whichever comes first. `map_sg` cuts every mapped
//! segment this way after it has a bus address; [`SegLimits::violation`]
//! is DMA-API debug's check of one segment.

/// A device's limits on one scatter-gather segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegLimits {
    /// The longest segment, in bytes (at least 1).
    pub max_seg_size: u64,
    /// No segment may cross an address `a` with `a & mask == 0`; the mask
    /// has the form `2^n - 1` (`u64::MAX`: no boundary).
    pub boundary_mask: u64,
}

/// What is wrong with one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Longer than `max_seg_size`.
    TooLong,
    /// Crosses the boundary at this bus address (the first one).
    Crosses { boundary: u64 },
    /// Empty, or runs past the end of the bus address space.
    Bad,
}

impl SegLimits {
    /// Whether the limits can be obeyed at all: a non-zero segment size and
    /// a mask of the form `2^n - 1`.
    pub const fn valid(&self) -> bool {
        self.max_seg_size > 0 && self.boundary_mask & self.boundary_mask.wrapping_add(1) == 0
    }

    /// The bytes from `bus` to the next boundary (saturating: `u64::MAX`
    /// for no boundary above).
    fn to_boundary(&self, bus: u64) -> u64 {
        (self.boundary_mask - (bus & self.boundary_mask)).saturating_add(1)
    }

    /// The pieces of `[bus, bus + len)`: (offset from `bus`, length), in
    /// order, covering it exactly. Invalid limits ([`Self::valid`]) give no
    /// piece at all.
    pub fn pieces(&self, bus: u64, len: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut off = 0u64;
        let ok = self.valid();
        core::iter::from_fn(move || {
            if !ok || off >= len {
                return None;
            }
            let at = bus.wrapping_add(off);
            let n = (len - off).min(self.max_seg_size).min(self.to_boundary(at));
            let piece = (off, n);
            off += n;
            Some(piece)
        })
    }

    /// How many pieces [`Self::pieces`] gives.
    pub fn count(&self, bus: u64, len: u64) -> usize {
        self.pieces(bus, len).count()
    }

    /// Whether one segment obeys the limits (`None`: it does).
    pub fn violation(&self, bus: u64, len: u64) -> Option<Violation> {
        let Some(last) = len.checked_sub(1).and_then(|l| bus.checked_add(l)) else {
            return Some(Violation::Bad);
        };
        if len > self.max_seg_size {
            return Some(Violation::TooLong);
        }
        if bus & !self.boundary_mask != last & !self.boundary_mask {
            return Some(Violation::Crosses { boundary: (bus | self.boundary_mask) + 1 });
        }
        None
    }
}

/// The pages of `page` bytes a list of bus ranges covers, taken in order:
/// each range's pages, a page shared with the end of the range before it
/// counted once. For an IOMMU run cut at a device's limits this is the
/// run's length: every segment of the list as mapped starts on a page of
/// its own, and only the pieces of one segment share pages.
pub fn bus_pages(ranges: impl IntoIterator<Item = (u64, u64)>, page: u64) -> u64 {
    let (mut pages, mut last_page) = (0, None);
    for (bus, len) in ranges {
        let first = bus / page;
        let last = (bus + len.max(1) - 1) / page;
        pages += last - first + 1 - u64::from(last_page == Some(first));
        last_page = Some(last);
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IDE: SegLimits = SegLimits { max_seg_size: 0x1_0000, boundary_mask: 0xffff };

    #[test]
    fn ide_limits() {
        // 96 KiB from 8 KiB below a 64 KiB boundary: 8 KiB, 64 KiB, 24 KiB.
        let p: Vec<_> = IDE.pieces(0x4000_e000, 0x1_8000).collect();
        assert_eq!(p, vec![(0, 0x2000), (0x2000, 0x1_0000), (0x1_2000, 0x6000)]);
        assert_eq!(IDE.violation(0x4000_e000, 0x4000), Some(Violation::Crosses { boundary: 0x4001_0000 }));
        assert_eq!(IDE.violation(0x4000_e000, 0x3_0000), Some(Violation::TooLong));
        assert_eq!(IDE.violation(0x4001_0000, 0x1_0000), None);
        assert_eq!(IDE.violation(0x4001_0000, 0x1_0001), Some(Violation::TooLong));
        assert_eq!(IDE.violation(0, 0), Some(Violation::Bad));
        let none = SegLimits { max_seg_size: u64::MAX, boundary_mask: u64::MAX };
        assert_eq!(none.pieces(u64::MAX - 9, 10).collect::<Vec<_>>(), vec![(0, 10)]);
        assert!(!SegLimits { max_seg_size: 0, boundary_mask: 0xffff }.valid());
        assert!(!SegLimits { max_seg_size: 4, boundary_mask: 0xfeff }.valid());
        assert_eq!(SegLimits { max_seg_size: 4, boundary_mask: 0xfeff }.count(0, 100), 0);
    }

    /// The model: walk the range byte by byte, starting a new piece when the
    /// current one is `max` bytes long or the byte is on a boundary.
    fn model(bus: u64, len: u64, max: u64, boundary: u64) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for i in 0..len {
            let a = bus + i;
            match out.last_mut() {
                Some(p) if p.1 < max && a % boundary != 0 => p.1 += 1,
                _ => out.push((i, 1)),
            }
        }
        out
    }

    proptest! {
        #![proptest_config(test_support::config_with_default(2000))]

        /// A run laid out as the IOMMU lays a list (each segment from its own
        /// page, at its page offset), then cut at random limits: the pages
        /// the pieces cover are the run's, as many as before the cut.
        #[test]
        fn split_run_keeps_its_pages(
            run in 0u64..1 << 20,
            segs in prop::collection::vec((0u64..8192, 1u64..40_000), 1..8),
            max in 1u64..70_000,
            shift in 9u32..18,
        ) {
            let page = 8192;
            let l = SegLimits { max_seg_size: max, boundary_mask: (1u64 << shift) - 1 };
            let base = run * page;
            let mut at = base;
            let mut list = Vec::new();
            for &(off, len) in &segs {
                list.push((at + off, len));
                at += (off + len).div_ceil(page) * page;
            }
            let run_pages = (at - base) / page;
            prop_assert_eq!(bus_pages(list.iter().copied(), page), run_pages);
            let cut: Vec<(u64, u64)> = list.iter().flat_map(|&(b, n)| l.pieces(b, n).map(move |(o, k)| (b + o, k))).collect();
            prop_assert_eq!(bus_pages(cut.iter().copied(), page), run_pages);
        }

        #[test]
        fn pieces_match_the_model(bus in 0u64..1 << 20, len in 1u64..20_000, max in 1u64..6000, shift in 0u32..14) {
            let l = SegLimits { max_seg_size: max, boundary_mask: (1u64 << shift) - 1 };
            let got: Vec<_> = l.pieces(bus, len).collect();
            prop_assert_eq!(&got, &model(bus, len, max, 1u64 << shift));
            for &(off, n) in &got {
                prop_assert_eq!(l.violation(bus + off, n), None);
            }
        }

        /// The check agrees with a byte-level one.
        #[test]
        fn violation_matches_the_model(bus in 0u64..1 << 20, len in 1u64..20_000, max in 1u64..30_000, shift in 0u32..16) {
            let l = SegLimits { max_seg_size: max, boundary_mask: (1u64 << shift) - 1 };
            let crosses = (bus + 1..bus + len).find(|a| a % (1u64 << shift) == 0);
            let want = if len > max { Some(Violation::TooLong) } else { crosses.map(|b| Violation::Crosses { boundary: b }) };
            prop_assert_eq!(l.violation(bus, len), want);
        }
    }
}
