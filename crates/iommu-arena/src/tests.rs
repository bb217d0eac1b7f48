//! Unit tests: one or more per operation and per error, plus the
//! caching-IOMMU demonstrations (a broken flush and a too-small
//! `align_entry` are caught).

use super::*;
use crate::model::{CachingIommu, CountingTlb};

const BASE: u64 = 0x4000_0000;

fn linux(ptes: &mut [u64], align_entry: usize) -> IommuArena<'_> {
    IommuArena::new(BASE, ptes, align_entry, FlushPolicy::LazyWrap).unwrap()
}

fn dirty<'a>(ptes: &'a mut [u64], map: &'a mut [u64], align_entry: usize) -> IommuArena<'a> {
    IommuArena::new(BASE, ptes, align_entry, FlushPolicy::DirtyBitmap(map)).unwrap()
}

/// Map `n` pages of an allocation to distinct, recognisable pages.
fn map_n(a: &mut IommuArena<'_>, p: usize, n: usize, tag: u64) {
    let pas = (0..n as u64).map(move |i| (tag << 24) + (i << PAGE_SHIFT));
    assert_eq!(a.map(p, pas), Ok(n));
}

// ----------------------------------------------------------------------
// Helpers and constants
// ----------------------------------------------------------------------

#[test]
fn pte_format() {
    assert_eq!(PAGE_SIZE, 8192);
    assert_eq!(mk_iommu_pte(0), 1);
    assert_eq!(mk_iommu_pte(0x2000), 0x3);
    assert_eq!(mk_iommu_pte(0x1234_6000), (0x1234_6000 >> 12) | 1);
    // pa bit 12 is 0 (8 KiB pages), so the shift never collides with the
    // valid bit; pa bit 13 lands in PTE bit 1.
    assert_eq!(mk_iommu_pte(0x1234_6000), 0x12347);
    assert_eq!(mk_iommu_pte(0x1234_4000) & 2, 0);
    assert_eq!(mk_iommu_pte(0x1234_7fff), mk_iommu_pte(0x1234_6000));
    for pa in [0u64, 0x2000, 0x7fff_e000, 0xffff_ffff_ffff_e000] {
        assert_eq!(iommu_pte_pa(mk_iommu_pte(pa)), Some(pa));
    }
    assert_eq!(iommu_pte_pa(0), None);
    assert_eq!(iommu_pte_pa(IOMMU_INVALID_PTE), None);
    assert_eq!(iommu_pte_pa(IOMMU_RESERVED_PTE), None);
}

#[test]
fn num_pages_and_bitmap_words() {
    assert_eq!(iommu_num_pages(0, 1), 1);
    assert_eq!(iommu_num_pages(0, 8192), 1);
    assert_eq!(iommu_num_pages(0, 8193), 2);
    assert_eq!(iommu_num_pages(8191, 2), 2);
    assert_eq!(iommu_num_pages(0x1234, 16_000), 3);
    assert_eq!(iommu_num_pages(0x1234, 20_000), 4);
    assert_eq!(iommu_num_pages(0, 0), 0);
    assert_eq!(iommu_num_pages(8191, u64::MAX), u64::MAX / 8192 + 2);
    assert_eq!(dirty_bitmap_words(1), 1);
    assert_eq!(dirty_bitmap_words(64), 1);
    assert_eq!(dirty_bitmap_words(65), 2);
    const _: usize = dirty_bitmap_words(131_072); // const-usable: 1 GiB window
}

#[test]
fn bitmap_helpers() {
    let mut map = [0u64; 3];
    bits_set(&mut map, 60, 10);
    assert_eq!(map[0], 0xf << 60);
    assert_eq!(map[1], 0x3f);
    assert!(bits_any(&map, 69, 1));
    assert!(!bits_any(&map, 70, 100));
    assert!(!bits_any(&map, 0, 60));
    bits_set(&mut map, 64, 128);
    assert_eq!(map[1], u64::MAX);
    assert_eq!(map[2], u64::MAX);
}

// ----------------------------------------------------------------------
// new
// ----------------------------------------------------------------------

#[test]
fn new_clears_table_and_bitmap() {
    let mut ptes = [0x55u64; 100];
    let mut map = [u64::MAX; 3];
    let a = IommuArena::new(BASE, &mut ptes, 1, FlushPolicy::DirtyBitmap(&mut map)).unwrap();
    assert_eq!(a.total_entries(), 100);
    assert_eq!(a.used_entries(), 0);
    assert_eq!(a.free_entries(), 100);
    assert_eq!(a.largest_free_run(), 100);
    assert_eq!(a.window_size(), 100 * 8192);
    assert_eq!(a.dma_base(), BASE);
    assert_eq!(a.align_entry(), 1);
    assert_eq!(a.next_entry(), 0);
    assert_eq!(a.flush_mode(), FlushMode::DirtyBitmap);
    assert!(!a.is_dirty(0));
    assert!(a.ptes().iter().all(|&p| p == 0));
    assert_eq!(
        map,
        [0, 0, u64::MAX],
        "extra bitmap word must be left alone"
    );

    let mut ptes = [7u64; 4];
    let a = IommuArena::new(0, &mut ptes, 8, FlushPolicy::LazyWrap).unwrap();
    assert_eq!(a.flush_mode(), FlushMode::LazyWrap);
    assert_eq!(a.align_entry(), 8);
    assert!(!a.is_dirty(0));
}

#[test]
fn new_errors() {
    let mut ptes = [0u64; 16];
    let lazy = || FlushPolicy::LazyWrap;
    assert_eq!(
        IommuArena::new(BASE, &mut [], 1, lazy()).unwrap_err(),
        IommuError::EmptyTable
    );
    assert_eq!(
        IommuArena::new(BASE + 4096, &mut ptes, 1, lazy()).unwrap_err(),
        IommuError::MisalignedBase {
            dma_base: BASE + 4096
        }
    );
    let top = u64::MAX - 16 * 8192 + 1; // the 16 pages end at 2^64
    assert!(IommuArena::new(top, &mut ptes, 1, lazy()).is_ok());
    assert_eq!(
        IommuArena::new(top + 8192, &mut ptes, 1, lazy()).unwrap_err(),
        IommuError::WindowOverflow {
            dma_base: top + 8192,
            entries: 16
        }
    );
    for bad in [0, 3, 12] {
        assert_eq!(
            IommuArena::new(BASE, &mut ptes, bad, lazy()).unwrap_err(),
            IommuError::InvalidAlignEntry { align_entry: bad }
        );
    }
    let mut big = [0u64; 65];
    let mut map = [0u64; 1];
    assert_eq!(
        IommuArena::new(BASE, &mut big, 1, FlushPolicy::DirtyBitmap(&mut map)).unwrap_err(),
        IommuError::BitmapTooSmall {
            words: 1,
            needed: 2
        }
    );
    assert_eq!(
        IommuArena::new(BASE, &mut big, 1, FlushPolicy::DirtyBitmap(&mut [])).unwrap_err(),
        IommuError::BitmapTooSmall {
            words: 0,
            needed: 2
        }
    );
}

// ----------------------------------------------------------------------
// alloc
// ----------------------------------------------------------------------

#[test]
fn alloc_is_next_fit_and_marks_invalid() {
    let mut ptes = [0u64; 32];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    assert_eq!(a.alloc(3, 0, None, &mut tlb), Ok(0));
    assert_eq!(tlb.all, 1, "first allocation flushes what the console left");
    assert_eq!(a.alloc(2, 1, None, &mut tlb), Ok(3));
    assert_eq!(a.next_entry(), 5);
    assert_eq!(a.used_entries(), 5);
    assert!(a.ptes()[..5].iter().all(|&p| p == IOMMU_INVALID_PTE));
    assert!(a.ptes()[5..].iter().all(|&p| p == 0));
    // Freeing the first one does not move the hint: next fit, not first fit.
    a.free(0, 3, &mut tlb).unwrap();
    assert_eq!(a.alloc(1, 0, None, &mut tlb), Ok(5));
    assert_eq!(tlb.all, 1);
    assert!(
        tlb.ranges.is_empty(),
        "entries below next_entry are not flushed at free"
    );
    let s = a.stats();
    assert_eq!((s.allocs, s.frees, s.wraps, s.invalidate_all), (3, 1, 0, 1));
}

#[test]
fn alloc_errors_leave_state_unchanged() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(4, 0, None, &mut tlb).unwrap();
    let before: Vec<u64> = a.ptes().to_vec();
    let (used, next) = (a.used_entries(), a.next_entry());
    assert_eq!(a.alloc(0, 0, None, &mut tlb), Err(IommuError::ZeroCount));
    for bad in [3usize, 6, 100] {
        assert_eq!(
            a.alloc(1, bad, None, &mut tlb),
            Err(IommuError::InvalidAlignment { align_pages: bad })
        );
    }
    for bad in [0u64, 1, 4096, 3 * 8192, u64::MAX] {
        assert_eq!(
            a.alloc(1, 0, Some(bad), &mut tlb),
            Err(IommuError::InvalidBoundary { boundary: bad })
        );
    }
    assert_eq!(
        a.alloc(17, 0, None, &mut tlb),
        Err(IommuError::TooLarge {
            npages: 17,
            max: 16
        })
    );
    assert_eq!(
        a.alloc(usize::MAX, 0, None, &mut tlb),
        Err(IommuError::TooLarge {
            npages: usize::MAX as u64,
            max: 16
        })
    );
    assert_eq!(
        a.alloc(3, 0, Some(16384), &mut tlb),
        Err(IommuError::TooLarge { npages: 3, max: 2 })
    );
    assert_eq!(tlb.all, 1, "impossible requests do not flush");
    assert_eq!(a.ptes(), &before[..]);
    assert_eq!((a.used_entries(), a.next_entry()), (used, next));
    assert_eq!(a.stats().alloc_failures, 3);
}

#[test]
fn no_space() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(10, 0, None, &mut tlb).unwrap();
    let before: Vec<u64> = a.ptes().to_vec();
    assert_eq!(
        a.alloc(7, 0, None, &mut tlb),
        Err(IommuError::NoSpace {
            npages: 7,
            align: 1,
            boundary: 0
        })
    );
    assert_eq!(a.ptes(), &before[..]);
    assert_eq!(a.next_entry(), 10);
    // Linux flushes when the search wraps even if the rescan fails too.
    assert_eq!(tlb.all, 2);
    assert_eq!(a.stats().wraps, 1);

    // The dirty-bitmap policy does not flush for a failed search.
    let (mut ptes, mut map) = ([0u64; 16], [0u64; 1]);
    let mut d = dirty(&mut ptes, &mut map, 1);
    let mut tlb = CountingTlb::default();
    d.alloc(10, 0, None, &mut tlb).unwrap();
    assert!(d.alloc(7, 0, None, &mut tlb).is_err());
    assert_eq!(tlb.all, 1);
    assert_eq!(
        d.alloc(6, 4, None, &mut tlb),
        Err(IommuError::NoSpace {
            npages: 6,
            align: 4,
            boundary: 0
        })
    );
    assert_eq!(
        IommuError::NoSpace {
            npages: 6,
            align: 4,
            boundary: 0x10000
        }
        .to_string(),
        "could not allocate dma page tables: no free run of 6 PTEs aligned to 4 \
         within a 0x10000 segment"
    );
}

#[test]
fn alignment_and_align_entry() {
    let mut ptes = [0u64; 64];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    assert_eq!(a.alloc(1, 0, None, &mut tlb), Ok(0));
    assert_eq!(a.alloc(1, 8, None, &mut tlb), Ok(8));
    assert_eq!(a.alloc(3, 1, None, &mut tlb), Ok(9));
    assert_eq!(a.alloc(2, 4, None, &mut tlb), Ok(12));
    assert_eq!(a.alloc(1, 32, None, &mut tlb), Ok(32));
    // An alignment larger than the table: only entry 0 qualifies, and it is taken.
    assert!(matches!(
        a.alloc(1, 1 << 20, None, &mut tlb),
        Err(IommuError::NoSpace { .. })
    ));

    // align_entry = 4 (Tsunami): every allocation starts on a 4-PTE line.
    let mut ptes = [0u64; 64];
    let mut a = linux(&mut ptes, 4);
    assert_eq!(a.alloc(1, 0, None, &mut tlb), Ok(0));
    assert_eq!(a.alloc(5, 0, None, &mut tlb), Ok(4));
    assert_eq!(
        a.alloc(1, 2, None, &mut tlb),
        Ok(12),
        "max(align, align_entry)"
    );
    assert_eq!(a.alloc(1, 16, None, &mut tlb), Ok(16));
    assert_eq!(
        a.alloc(100, 0, None, &mut tlb),
        Err(IommuError::TooLarge {
            npages: 100,
            max: 64
        })
    );
}

#[test]
fn boundary_is_in_bus_address_terms() {
    // Entry 0 is bus page 0x2001: a 64 KiB (8-page) segment boundary falls
    // before entries 7, 15, 23, ...
    let base = 0x2001u64 << PAGE_SHIFT;
    let mut ptes = [0u64; 64];
    let mut a = IommuArena::new(base, &mut ptes, 1, FlushPolicy::LazyWrap).unwrap();
    let mut tlb = CountingTlb::default();
    assert_eq!(a.alloc(4, 0, Some(0x10000), &mut tlb), Ok(0)); // pages 0x2001..=0x2004
    assert_eq!(
        a.alloc(4, 0, Some(0x10000), &mut tlb),
        Ok(7),
        "would cross 0x2008"
    );
    assert_eq!(a.alloc(8, 0, Some(0x10000), &mut tlb), Ok(15));
    assert_eq!(a.alloc(2, 0, Some(0x10000), &mut tlb), Ok(23));
    for (p, n) in [(0usize, 4u64), (7, 4), (15, 8), (23, 2)] {
        let first = a.dma_addr(p).unwrap();
        let last = first + n * PAGE_SIZE - 1;
        assert_eq!(first >> 16, last >> 16);
    }
    // Boundary and alignment together: aligned entries are odd bus pages.
    assert_eq!(
        a.alloc(2, 2, Some(0x4000), &mut tlb),
        Err(IommuError::NoSpace {
            npages: 2,
            align: 2,
            boundary: 0x4000
        })
    );
    assert_eq!(a.alloc(1, 2, Some(0x4000), &mut tlb), Ok(26));
    // A boundary as large as the bus address space is no constraint.
    assert_eq!(a.alloc(3, 0, Some(1 << 63), &mut tlb), Ok(27));
}

#[test]
fn lazy_wrap_flushes_once_on_wrap() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    assert_eq!(a.alloc(6, 0, None, &mut tlb), Ok(0));
    assert_eq!(a.alloc(6, 0, None, &mut tlb), Ok(6));
    a.free(0, 6, &mut tlb).unwrap(); // below next_entry: no flush
    assert!(tlb.ranges.is_empty());
    assert_eq!(tlb.all, 1);
    assert_eq!(a.alloc(5, 0, None, &mut tlb), Ok(0), "wraps to the start");
    assert_eq!(tlb.all, 2, "one TBIA for the wrap");
    assert_eq!(a.stats().wraps, 1);
    assert_eq!(a.next_entry(), 5);
    // Now 6..12 is above next_entry: freeing it flushes that range at once.
    a.free(6, 6, &mut tlb).unwrap();
    assert_eq!(tlb.ranges, vec![(BASE + 6 * 8192, BASE + 12 * 8192 - 1)]);
    assert_eq!(
        a.alloc(7, 0, None, &mut tlb),
        Ok(5),
        "reachable without a wrap"
    );
    assert_eq!(tlb.all, 2);
}

#[test]
fn lazy_wrap_free_straddling_next_entry_is_flushed() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(4, 0, None, &mut tlb).unwrap(); // 0..4
    a.alloc(4, 0, None, &mut tlb).unwrap(); // 4..8
    a.free(0, 4, &mut tlb).unwrap();
    a.alloc(8, 0, None, &mut tlb).unwrap(); // 8..16
    assert_eq!(a.alloc(4, 0, None, &mut tlb), Ok(0)); // wraps, next_entry = 4
    // One free covering the end of the last allocation and the start of the
    // one after it: part of it is at/above next_entry.
    a.free(2, 4, &mut tlb).unwrap();
    assert_eq!(tlb.ranges, vec![(BASE + 2 * 8192, BASE + 6 * 8192 - 1)]);
}

#[test]
fn dirty_bitmap_flushes_only_for_dirty_entries() {
    let (mut ptes, mut map) = ([0u64; 16], [0u64; 1]);
    let mut a = dirty(&mut ptes, &mut map, 1);
    let mut tlb = CountingTlb::default();
    assert_eq!(a.alloc(4, 0, None, &mut tlb), Ok(0));
    assert_eq!(tlb.all, 1, "initial flush");
    assert_eq!(a.alloc(4, 0, None, &mut tlb), Ok(4));
    a.free(4, 4, &mut tlb).unwrap();
    assert!(
        tlb.ranges.is_empty() && tlb.all == 1,
        "free never touches the TLB"
    );
    assert!(a.is_dirty(4) && a.is_dirty(7) && !a.is_dirty(3) && !a.is_dirty(8));
    assert!(!a.is_dirty(1000));
    // Clean entries 8..16 are handed out without a flush...
    assert_eq!(a.alloc(8, 0, None, &mut tlb), Ok(8));
    assert_eq!(tlb.all, 1);
    // ...and the wrap into dirty 4..8 flushes once and clears the record.
    assert_eq!(a.alloc(2, 0, None, &mut tlb), Ok(4));
    assert_eq!(tlb.all, 2);
    assert_eq!(a.stats().wraps, 1);
    assert!(!a.is_dirty(5) && !a.is_dirty(7));
    assert_eq!(a.alloc(2, 0, None, &mut tlb), Ok(6), "flushed already");
    assert_eq!(tlb.all, 2);

    // Runs are found skipping used entries; a dirty one in the run flushes.
    let (mut ptes, mut map) = ([0u64; 16], [0u64; 1]);
    let mut a = dirty(&mut ptes, &mut map, 1);
    a.reserve(0, 4).unwrap();
    a.alloc(12, 0, None, &mut tlb).unwrap(); // 4..16, flush 3
    a.free(10, 6, &mut tlb).unwrap();
    a.free(4, 2, &mut tlb).unwrap();
    assert_eq!(tlb.all, 3);
    assert_eq!(
        a.alloc(4, 0, None, &mut tlb),
        Ok(10),
        "wraps onto dirty 10.."
    );
    assert_eq!(tlb.all, 4);

    // A wrap onto entries not freed since the last flush needs no flush
    // (Linux flushes on every wrap).
    for dirty_mode in [true, false] {
        let (mut ptes, mut map) = ([0u64; 16], [0u64; 1]);
        let mut a = if dirty_mode {
            dirty(&mut ptes, &mut map, 1)
        } else {
            linux(&mut ptes, 1)
        };
        let mut tlb = CountingTlb::default();
        a.alloc(4, 0, None, &mut tlb).unwrap();
        a.alloc(12, 0, None, &mut tlb).unwrap();
        a.free(0, 4, &mut tlb).unwrap();
        a.flush_tlb(&mut tlb);
        assert_eq!(tlb.all, 2);
        assert_eq!(a.alloc(4, 0, None, &mut tlb), Ok(0));
        assert_eq!(a.stats().wraps, 1);
        assert_eq!(tlb.all, if dirty_mode { 2 } else { 3 });
    }
}

#[test]
fn explicit_flush() {
    let (mut ptes, mut map) = ([0u64; 8], [0u64; 1]);
    let mut a = dirty(&mut ptes, &mut map, 1);
    let mut tlb = CountingTlb::default();
    a.flush_tlb(&mut tlb);
    assert_eq!(tlb.all, 1);
    a.alloc(8, 0, None, &mut tlb).unwrap();
    assert_eq!(tlb.all, 1, "the pending initial flush was done");
    a.free(0, 8, &mut tlb).unwrap();
    a.flush_tlb(&mut tlb);
    assert!(!a.is_dirty(0));
    a.alloc(8, 0, None, &mut tlb).unwrap();
    assert_eq!(tlb.all, 2);
    assert_eq!(a.stats().invalidate_all, 2);
}

// ----------------------------------------------------------------------
// free and reserve
// ----------------------------------------------------------------------

#[test]
fn free_errors_leave_state_unchanged() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.reserve(12, 2).unwrap();
    a.alloc(4, 0, None, &mut tlb).unwrap();
    map_n(&mut a, 0, 4, 1);
    let before: Vec<u64> = a.ptes().to_vec();
    assert_eq!(a.free(0, 0, &mut tlb), Err(IommuError::ZeroCount));
    assert_eq!(
        a.free(14, 3, &mut tlb),
        Err(IommuError::OutOfRange {
            entry: 14,
            npages: 3,
            entries: 16
        })
    );
    assert_eq!(
        a.free(usize::MAX, 2, &mut tlb),
        Err(IommuError::OutOfRange {
            entry: usize::MAX,
            npages: 2,
            entries: 16
        })
    );
    assert_eq!(
        a.free(2, 3, &mut tlb),
        Err(IommuError::NotAllocated { entry: 4 })
    );
    assert_eq!(
        a.free(6, 1, &mut tlb),
        Err(IommuError::NotAllocated { entry: 6 })
    );
    assert_eq!(
        a.free(12, 1, &mut tlb),
        Err(IommuError::Reserved { entry: 12 })
    );
    assert_eq!(a.ptes(), &before[..]);
    assert_eq!(a.used_entries(), 6);
    assert_eq!(a.stats().frees, 0);
    // Double free.
    a.free(0, 4, &mut tlb).unwrap();
    assert_eq!(
        a.free(0, 4, &mut tlb),
        Err(IommuError::NotAllocated { entry: 0 })
    );
    assert_eq!(a.used_entries(), 2);
}

#[test]
fn partial_and_spanning_frees() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(4, 0, None, &mut tlb).unwrap(); // 0..4
    a.alloc(4, 0, None, &mut tlb).unwrap(); // 4..8
    map_n(&mut a, 0, 8, 2);
    a.free(1, 2, &mut tlb).unwrap(); // middle of the first
    assert_eq!(a.pte(0), Some(mk_iommu_pte(2 << 24)));
    assert_eq!(&a.ptes()[1..3], &[0, 0]);
    a.free(3, 3, &mut tlb).unwrap(); // end of one, start of the next
    assert_eq!(a.used_entries(), 3);
    assert_eq!(a.largest_free_run(), 8);
    assert_eq!(a.free_entries(), 13);
}

#[test]
fn partial_free_must_not_leave_a_run_starting_mid_line() {
    let mut ptes = [0u64; 32];
    let mut a = linux(&mut ptes, 4);
    let mut tlb = CountingTlb::default();
    a.reserve(10, 1).unwrap();
    assert_eq!(a.alloc(8, 0, None, &mut tlb), Ok(0));
    assert_eq!(a.alloc(2, 0, None, &mut tlb), Ok(8));
    assert_eq!(a.alloc(4, 0, None, &mut tlb), Ok(12));
    let before: Vec<u64> = a.ptes().to_vec();
    // The head of 0..8 up to entry 2 or 6: the rest would start mid-line.
    for n in [2usize, 6] {
        assert_eq!(
            a.free(0, n, &mut tlb),
            Err(IommuError::SplitsLine {
                entry: n,
                align_entry: 4
            })
        );
    }
    assert_eq!(
        a.free(12, 1, &mut tlb),
        Err(IommuError::SplitsLine {
            entry: 13,
            align_entry: 4
        })
    );
    assert_eq!(a.ptes(), &before[..]);
    // Allowed: a head ending on a line, a tail, an allocation followed by a
    // reserved entry or the end of the table, two adjacent allocations.
    a.free(0, 4, &mut tlb).unwrap();
    a.free(7, 1, &mut tlb).unwrap();
    a.free(8, 2, &mut tlb).unwrap();
    a.free(14, 2, &mut tlb).unwrap();
    a.free(4, 3, &mut tlb).unwrap();
    a.free(12, 2, &mut tlb).unwrap();
    assert_eq!(a.used_entries(), 1);
    // With align_entry = 1 any split is fine.
    let mut ptes = [0u64; 8];
    let mut a = linux(&mut ptes, 1);
    a.alloc(8, 0, None, &mut tlb).unwrap();
    a.free(0, 3, &mut tlb).unwrap();
    a.free(5, 1, &mut tlb).unwrap();
    assert_eq!(a.used_entries(), 4);
}

#[test]
fn reserve_marks_entries_permanently_used() {
    let mut ptes = [0u64; 32];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    assert_eq!(a.reserve(0, 0), Err(IommuError::ZeroCount));
    assert_eq!(
        a.reserve(30, 3),
        Err(IommuError::OutOfRange {
            entry: 30,
            npages: 3,
            entries: 32
        })
    );
    a.reserve(2, 4).unwrap();
    assert!(a.ptes()[2..6].iter().all(|&p| p == IOMMU_RESERVED_PTE));
    assert_eq!(a.used_entries(), 4);
    assert_eq!(a.reserve(5, 2), Err(IommuError::InUse { entry: 5 }));
    assert_eq!(a.alloc(3, 0, None, &mut tlb), Ok(6), "skips the hole");
    assert_eq!(a.reserve(0, 8), Err(IommuError::InUse { entry: 2 }));
    assert_eq!(a.alloc(2, 0, None, &mut tlb), Ok(9));
    assert_eq!(
        a.free(2, 1, &mut tlb),
        Err(IommuError::Reserved { entry: 2 })
    );
    assert_eq!(a.set_pte(3, 0x2000), Err(IommuError::Reserved { entry: 3 }));
    assert_eq!(a.used_entries(), 9);
    assert_eq!(a.largest_free_run(), 21);
    // Wrap-around rescans skip it too.
    assert_eq!(a.alloc(21, 0, None, &mut tlb), Ok(11));
    assert_eq!(a.alloc(2, 0, None, &mut tlb), Ok(0));
    assert_eq!(
        a.alloc(1, 0, None, &mut tlb),
        Err(IommuError::NoSpace {
            npages: 1,
            align: 1,
            boundary: 0
        })
    );
}

// ----------------------------------------------------------------------
// PTEs, addresses, map_single
// ----------------------------------------------------------------------

#[test]
fn set_pte_and_errors() {
    let mut ptes = [0u64; 8];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(2, 0, None, &mut tlb).unwrap();
    assert_eq!(
        a.set_pte(8, 0),
        Err(IommuError::OutOfRange {
            entry: 8,
            npages: 1,
            entries: 8
        })
    );
    assert_eq!(
        a.set_pte(0, 0x1000),
        Err(IommuError::MisalignedPhys { pa: 0x1000 })
    );
    assert_eq!(
        a.set_pte(2, 0x2000),
        Err(IommuError::NotAllocated { entry: 2 })
    );
    assert_eq!(a.set_pte(0, 0x6_0000), Ok(()));
    assert_eq!(a.pte(0), Some(0x61));
    assert_eq!(a.pte(8), None);
    assert_eq!(
        a.set_pte(0, 0x8_0000),
        Err(IommuError::AlreadyMapped { entry: 0 }),
        "remapping a live entry could leave a stale TLB entry"
    );
    assert_eq!(a.pte(0), Some(0x61));
    assert_eq!(a.pte(1), Some(IOMMU_INVALID_PTE));
}

#[test]
fn map_checks_everything_first() {
    let mut ptes = [0u64; 8];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    a.alloc(3, 0, None, &mut tlb).unwrap();
    a.alloc(3, 0, None, &mut tlb).unwrap(); // 3..6
    let before: Vec<u64> = a.ptes().to_vec();
    assert_eq!(
        a.map(0, [0x2000, 0x4000, 0x5000]),
        Err(IommuError::MisalignedPhys { pa: 0x5000 })
    );
    assert_eq!(
        a.map(4, [0x2000; 3]),
        Err(IommuError::NotAllocated { entry: 6 })
    );
    assert_eq!(
        a.map(7, (0..).map(|i| i << PAGE_SHIFT)),
        Err(IommuError::NotAllocated { entry: 7 })
    );
    assert_eq!(a.ptes(), &before[..], "nothing written on error");
    assert_eq!(a.map(0, [0x2000, 0x4000, 0xa000]), Ok(3));
    assert_eq!(
        a.map(1, [0x2000]),
        Err(IommuError::AlreadyMapped { entry: 1 })
    );
    assert_eq!(a.map(3, core::iter::empty()), Ok(0));
    assert_eq!(a.map(3, (0..3).map(|i| 0x10_0000 + i * PAGE_SIZE)), Ok(3));
    assert_eq!(a.pte(5), Some(mk_iommu_pte(0x10_4000)));
    assert_eq!(
        a.map(3, (0..).map(|i| i << PAGE_SHIFT)),
        Err(IommuError::AlreadyMapped { entry: 3 })
    );

    // Running off the end of the table.
    let mut ptes = [0u64; 4];
    let mut a = linux(&mut ptes, 1);
    a.alloc(4, 0, None, &mut tlb).unwrap();
    assert_eq!(
        a.map(2, (0..).map(|i| i << PAGE_SHIFT)),
        Err(IommuError::OutOfRange {
            entry: 2,
            npages: 3,
            entries: 4
        })
    );
    assert_eq!(a.pte(2), Some(IOMMU_INVALID_PTE));
}

#[test]
fn dma_addr_and_entry_of() {
    let mut ptes = [0u64; 8];
    let a = linux(&mut ptes, 1);
    assert_eq!(a.dma_addr(0), Ok(BASE));
    assert_eq!(a.dma_addr(7), Ok(BASE + 7 * 8192));
    assert_eq!(
        a.dma_addr(8),
        Err(IommuError::OutOfRange {
            entry: 8,
            npages: 1,
            entries: 8
        })
    );
    assert_eq!(a.entry_of(BASE), Ok(0));
    assert_eq!(a.entry_of(BASE + 8191), Ok(0));
    assert_eq!(a.entry_of(BASE + 7 * 8192 + 5), Ok(7));
    let out = |d| IommuError::NotInWindow {
        dma_addr: d,
        dma_base: BASE,
        size: 8 * 8192,
    };
    assert_eq!(a.entry_of(BASE + 8 * 8192), Err(out(BASE + 8 * 8192)));
    assert_eq!(a.entry_of(BASE - 1), Err(out(BASE - 1)));
    assert_eq!(a.entry_of(0), Err(out(0)));
}

#[test]
fn map_single_and_unmap_single() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 1);
    let mut tlb = CountingTlb::default();
    // 16000 bytes at offset 0x1234 in a page: 3 pages.
    let bus = a.map_single(0x40_1234, 16_000, 0, None, &mut tlb).unwrap();
    assert_eq!(bus, BASE + 0x1234);
    assert_eq!(
        &a.ptes()[..4],
        &[
            mk_iommu_pte(0x40_0000),
            mk_iommu_pte(0x40_2000),
            mk_iommu_pte(0x40_4000),
            0
        ]
    );
    // The ISA bridge's 64 KiB alignment (Linux align = 8).
    let bus2 = a.map_single(0x8000, 1, 8, None, &mut tlb).unwrap();
    assert_eq!(bus2, BASE + 8 * 8192);
    assert_eq!(
        a.map_single(0, 0, 0, None, &mut tlb),
        Err(IommuError::ZeroCount)
    );
    assert_eq!(
        a.map_single(u64::MAX - 10, 12, 0, None, &mut tlb),
        Err(IommuError::PhysOverflow {
            pa: u64::MAX - 10,
            len: 12
        })
    );
    assert!(a.map_single(u64::MAX - 10, 11, 0, None, &mut tlb).is_ok());
    assert_eq!(
        a.map_single(0, 1 << 40, 0, None, &mut tlb),
        Err(IommuError::TooLarge {
            npages: 1 << 27,
            max: 16
        })
    );
    assert_eq!(a.unmap_single(bus, 0, &mut tlb), Err(IommuError::ZeroCount));
    assert!(matches!(
        a.unmap_single(BASE - 8192, 1, &mut tlb),
        Err(IommuError::NotInWindow { .. })
    ));
    assert_eq!(
        a.unmap_single(bus, 30_000, &mut tlb),
        Err(IommuError::NotAllocated { entry: 3 })
    );
    assert_eq!(
        a.unmap_single(bus, u64::MAX, &mut tlb),
        Err(IommuError::OutOfRange {
            entry: 0,
            npages: iommu_num_pages(bus, u64::MAX),
            entries: 16
        })
    );
    a.unmap_single(bus, 16_000, &mut tlb).unwrap();
    a.unmap_single(bus2, 1, &mut tlb).unwrap();
    assert_eq!(a.used_entries(), 1);
}

#[test]
fn display_and_debug() {
    let errors = [
        IommuError::EmptyTable,
        IommuError::MisalignedBase { dma_base: 0x1000 },
        IommuError::WindowOverflow {
            dma_base: 1,
            entries: 2,
        },
        IommuError::InvalidAlignEntry { align_entry: 3 },
        IommuError::BitmapTooSmall {
            words: 1,
            needed: 2,
        },
        IommuError::ZeroCount,
        IommuError::InvalidAlignment { align_pages: 3 },
        IommuError::InvalidBoundary { boundary: 3 },
        IommuError::TooLarge { npages: 9, max: 8 },
        IommuError::NoSpace {
            npages: 1,
            align: 1,
            boundary: 0,
        },
        IommuError::OutOfRange {
            entry: 1,
            npages: 2,
            entries: 3,
        },
        IommuError::NotAllocated { entry: 5 },
        IommuError::Reserved { entry: 5 },
        IommuError::InUse { entry: 5 },
        IommuError::SplitsLine {
            entry: 5,
            align_entry: 4,
        },
        IommuError::AlreadyMapped { entry: 5 },
        IommuError::MisalignedPhys { pa: 0x1001 },
        IommuError::PhysOverflow { pa: 1, len: 2 },
        IommuError::NotInWindow {
            dma_addr: 1,
            dma_base: 2,
            size: 3,
        },
    ];
    let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    for (e, m) in errors.iter().zip(&msgs) {
        assert!(!m.is_empty(), "{e:?}");
    }
    let mut dedup = msgs.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), msgs.len(), "messages must be distinct");
    assert_eq!(
        IommuError::NotAllocated { entry: 5 }.to_string(),
        "IOMMU entry 5 is not allocated (double free?)"
    );
    assert_eq!(
        IommuError::NoSpace {
            npages: 1,
            align: 1,
            boundary: 0,
        }
        .to_string(),
        "could not allocate dma page tables: no free run of 1 PTEs aligned to 1"
    );
    let e: &dyn core::error::Error = &IommuError::ZeroCount;
    assert!(e.source().is_none());

    let mut ptes = [0u64; 8];
    let a = linux(&mut ptes, 4);
    let dbg = format!("{a:?}");
    assert!(
        dbg.contains("dma_base: 0x40000000") && dbg.contains("LazyWrap"),
        "{dbg}"
    );
}

// ----------------------------------------------------------------------
// The caching IOMMU model: a correct policy, and the bugs it catches
// ----------------------------------------------------------------------

/// Map, let the device use, free, then reuse the same entries of a tiny
/// table; returns the stale translations the device model saw.
fn reuse_scenario(a: &mut IommuArena<'_>, iommu: &mut CachingIommu) -> usize {
    let p = a.alloc(4, 0, None, iommu).unwrap();
    map_n(a, p, 4, 1);
    for i in 0..4 {
        let dma = a.dma_addr(p + i).unwrap();
        assert_eq!(
            iommu.device_access(a, dma),
            Some((1 << 24) + (i as u64) * 8192)
        );
    }
    assert_eq!(iommu.cached_entries(), 4);
    a.free(p, 4, iommu).unwrap();
    let q = a.alloc(4, 0, None, iommu).unwrap();
    let q2 = a.alloc(4, 0, None, iommu).unwrap();
    assert!(q == p || q2 == p, "the tiny table forces reuse");
    let q = if q == p { q } else { q2 };
    map_n(a, q, 4, 2);
    let mut stale = iommu.check_fresh(a, q, 4);
    for i in 0..4 {
        let dma = a.dma_addr(q + i).unwrap();
        let want = (2 << 24) + (i as u64) * 8192;
        if iommu.device_access(a, dma) != Some(want) {
            stale += 1;
        }
    }
    stale
}

#[test]
fn caching_iommu_sees_no_stale_translation_with_either_policy() {
    for line in [1, 4] {
        let mut ptes = [0u64; 8];
        let mut a = linux(&mut ptes, 4);
        let mut iommu = CachingIommu::new(BASE, 8, line);
        assert_eq!(reuse_scenario(&mut a, &mut iommu), 0);
        assert!(iommu.stale.is_empty());

        let (mut ptes, mut map) = ([0u64; 8], [0u64; 1]);
        let mut a = dirty(&mut ptes, &mut map, 4);
        let mut iommu = CachingIommu::new(BASE, 8, line);
        assert_eq!(reuse_scenario(&mut a, &mut iommu), 0);
        assert!(iommu.stale.is_empty());
    }
}

#[test]
fn caching_iommu_catches_a_skipped_flush() {
    for dirty_mode in [false, true] {
        let (mut ptes, mut map) = ([0u64; 8], [0u64; 1]);
        let mut a = if dirty_mode {
            dirty(&mut ptes, &mut map, 4)
        } else {
            linux(&mut ptes, 4)
        };
        a.broken_skip_flush = true;
        let mut iommu = CachingIommu::new(BASE, 8, 1);
        assert_eq!(
            reuse_scenario(&mut a, &mut iommu),
            8,
            "4 by check_fresh, 4 by DMA"
        );
        let s = iommu.stale[0];
        assert!(!s.by_access);
        assert_eq!(iommu_pte_pa(s.cached), Some(1 << 24), "the old page");
        assert_eq!(iommu_pte_pa(s.current), Some(2 << 24), "the new page");
        assert!(iommu.stale[4..].iter().all(|s| s.by_access));
        assert_eq!(iommu.invalidate_all_calls, 0);
    }
}

#[test]
fn caching_iommu_catches_align_entry_below_the_tlb_line() {
    // Tsunami loads 4 PTEs per TLB line. With align_entry = 1, a device
    // access through entry 0 caches entry 1 while it is still free (PTE 0);
    // entry 1 is then allocated without any flush (it was never freed, so
    // neither policy flushes) and the device sees the cached invalid PTE.
    for dirty_mode in [false, true] {
        for align_entry in [1, 4] {
            let (mut ptes, mut map) = ([0u64; 16], [0u64; 1]);
            let mut a = if dirty_mode {
                dirty(&mut ptes, &mut map, align_entry)
            } else {
                linux(&mut ptes, align_entry)
            };
            let mut iommu = CachingIommu::new(BASE, 16, 4);
            let p = a.alloc(1, 0, None, &mut iommu).unwrap();
            map_n(&mut a, p, 1, 1);
            let dma = a.dma_addr(p).unwrap();
            assert_eq!(iommu.device_access(&a, dma), Some(1 << 24));
            let q = a.alloc(1, 0, None, &mut iommu).unwrap();
            map_n(&mut a, q, 1, 2);
            let stale = iommu.check_fresh(&a, q, 1);
            let seen = iommu.device_access(&a, a.dma_addr(q).unwrap());
            if align_entry == 1 {
                assert_eq!(q, 1);
                assert_eq!(stale, 1);
                assert_eq!(seen, None, "the device faults on the cached free PTE");
                assert_eq!(iommu.stale[0].cached, 0);
            } else {
                assert_eq!(q, 4);
                assert_eq!(stale, 0);
                assert_eq!(seen, Some(2 << 24));
                assert!(iommu.stale.is_empty());
            }
        }
    }
}

#[test]
fn caching_iommu_range_invalidation_drops_whole_lines() {
    let mut ptes = [0u64; 16];
    let mut a = linux(&mut ptes, 4);
    let mut iommu = CachingIommu::new(BASE, 16, 4);
    let p = a.alloc(8, 0, None, &mut iommu).unwrap();
    map_n(&mut a, p, 8, 1);
    for e in [0usize, 4] {
        iommu.device_access(&a, a.dma_addr(e).unwrap());
    }
    assert_eq!(iommu.cached_entries(), 8);
    iommu.invalidate_range(BASE + 5 * 8192, BASE + 5 * 8192);
    assert_eq!(iommu.cached_entries(), 4);
    assert_eq!(iommu.last_range, Some((5, 5)));
    iommu.invalidate_all();
    assert_eq!(iommu.cached_entries(), 0);
}
