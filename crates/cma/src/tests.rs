//! Unit tests: one or more per operation and per error.

use super::*;

#[test]
fn conversions() {
    assert_eq!(PAGE_SIZE, 8192);
    assert_eq!(pfn_to_phys(3), 3 * 8192);
    assert_eq!(pfn_to_phys(usize::MAX), usize::MAX);
    assert_eq!(phys_to_pfn(8191), 0);
    assert_eq!(phys_to_pfn(8192), 1);
    assert_eq!(phys_to_pfn_up(0), 0);
    assert_eq!(phys_to_pfn_up(1), 1);
    assert_eq!(phys_to_pfn_up(8192), 1);
    assert_eq!(phys_to_pfn_up(usize::MAX), usize::MAX / 8192 + 1);
    assert_eq!(pages_to_bytes(2), 16384);
    assert_eq!(pages_to_bytes(usize::MAX), usize::MAX);
    assert_eq!(bytes_to_pages(0), 0);
    assert_eq!(bytes_to_pages(8193), 2);
    assert_eq!(bytes_to_pages(usize::MAX), usize::MAX / 8192 + 1);
    assert_eq!(pages_to_kib(3), 24);
    const _: usize = bytes_to_pages(16 << 20); // usable in const context
}

#[test]
fn bitmap_sizes() {
    assert_eq!(bitmap_bits(256, 0), 256);
    assert_eq!(bitmap_bits(256, 2), 64);
    assert_eq!(bitmap_bits(256, 64), 0);
    assert_eq!(bitmap_words(256, 0), 256 / usize::BITS as usize);
    assert_eq!(bitmap_words(1, 0), 1);
    assert_eq!(bitmap_words(usize::BITS as usize + 1, 0), 2);
    assert_eq!(bitmap_words(1 << 11, 3), 256 / usize::BITS as usize);
}

#[test]
fn new_initialises_everything_free() {
    let mut bm = [usize::MAX; 5]; // garbage; the extra word must be left alone
    let words = bitmap_words(200, 0);
    let cma = Cma::new(0x1000, 200, 0, &mut bm[..words + 1]).unwrap();
    assert_eq!(cma.base_pfn(), 0x1000);
    assert_eq!(cma.end_pfn(), 0x1000 + 200);
    assert_eq!(cma.order_per_bit(), 0);
    assert_eq!(cma.total_pages(), 200);
    assert_eq!(cma.free_pages(), 200);
    assert!(cma.contains(0x1000) && cma.contains(0x10c7));
    assert!(!cma.contains(0xfff) && !cma.contains(0x10c8));
    drop(cma);
    assert!(bm[..words].iter().all(|&w| w == 0));
    assert_eq!(bm[words], usize::MAX);
}

#[test]
fn new_errors() {
    let mut bm = [0usize; 8];
    assert_eq!(Cma::new(0, 0, 0, &mut bm).unwrap_err(), CmaError::EmptyArea);
    let e = Cma::new(0, 64, 64, &mut bm).unwrap_err();
    assert_eq!(e, CmaError::InvalidOrderPerBit { order_per_bit: 64 });
    assert_eq!(
        e.to_string(),
        "CMA order_per_bit 64 is too large (must be below 64)"
    );
    let e = Cma::new(2, 64, 2, &mut bm).unwrap_err();
    assert_eq!(
        e,
        CmaError::MisalignedArea {
            base_pfn: 2,
            count: 64,
            order_per_bit: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "CMA area at pfn 0x2 with 64 pages is not aligned to order_per_bit 2 (4 pages per bit)"
    );
    assert!(matches!(
        Cma::new(4, 66, 2, &mut bm),
        Err(CmaError::MisalignedArea { .. })
    ));
    let e = Cma::new(usize::MAX - 3, 8, 0, &mut bm).unwrap_err();
    assert_eq!(
        e,
        CmaError::AreaTooLarge {
            base_pfn: usize::MAX - 3,
            count: 8
        }
    );
    assert!(e.to_string().contains("too large"));
    let e = Cma::new(0, 1000, 0, &mut bm[..2]).unwrap_err();
    assert_eq!(
        e,
        CmaError::BitmapTooSmall {
            words: 2,
            needed: bitmap_words(1000, 0)
        }
    );
    assert!(e.to_string().starts_with("CMA bitmap too small: 2 words given"));
}

#[test]
fn alloc_first_fit() {
    let mut bm = [0usize; 2];
    let mut cma = Cma::new(0x100, 100, 0, &mut bm).unwrap();
    assert_eq!(cma.alloc(10, 0), Ok(0x100));
    assert_eq!(cma.alloc(5, 0), Ok(0x10a));
    assert_eq!(cma.free_pages(), 85);
    cma.release(0x100, 10).unwrap();
    // The hole at the start is reused first.
    assert_eq!(cma.alloc(4, 0), Ok(0x100));
    assert_eq!(cma.alloc(7, 0), Ok(0x10f)); // does not fit in the 6-page hole
    assert_eq!(cma.alloc(6, 0), Ok(0x104));
}

#[test]
fn alloc_aligns_in_physical_pfn_terms() {
    // Base 0x103 is not aligned; results must be aligned as pfns.
    let mut bm = [0usize; 8];
    let mut cma = Cma::new(0x103, 400, 0, &mut bm).unwrap();
    assert_eq!(cma.alloc(1, 0), Ok(0x103));
    assert_eq!(cma.alloc(1, 2), Ok(0x104));
    assert_eq!(cma.alloc(3, 3), Ok(0x108));
    assert_eq!(cma.alloc(1, 8), Ok(0x200));
    assert_eq!(cma.alloc(1, 3), Ok(0x110));
    // 2^9-aligned pfns in [0x103, 0x293): only 0x200, now taken.
    assert_eq!(
        cma.alloc(1, 9),
        Err(CmaError::NoSpace {
            count: 1,
            align_order: 9
        })
    );
}

#[test]
fn alloc_with_order_per_bit() {
    // 4 pages per bit, base 0x204 (aligned to 4 but not to 8).
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x204, 64, 2, &mut bm).unwrap();
    // 5 pages take 2 bits = 8 pages.
    assert_eq!(cma.alloc(5, 0), Ok(0x204));
    assert_eq!(cma.free_pages(), 56);
    // Alignment 2^3 = 8 pages: bit 2 is pfn 0x20c, not 8-aligned; bit 3 is 0x210.
    assert_eq!(cma.alloc(1, 3), Ok(0x210));
    // Alignment smaller than a chunk is automatic.
    assert_eq!(cma.alloc(1, 1), Ok(0x20c));
    assert_eq!(cma.free_pages(), 48);
    cma.release(0x204, 5).unwrap();
    assert_eq!(cma.free_pages(), 56);
}

#[test]
fn alloc_skips_full_words() {
    // Several words, the first ones full: the search must find the end.
    let n = 4 * usize::BITS as usize;
    let mut bm = [0usize; 4];
    let mut cma = Cma::new(0, n, 0, &mut bm).unwrap();
    assert_eq!(cma.alloc(n - 3, 0), Ok(0));
    assert_eq!(cma.alloc(2, 0), Ok(n - 3));
    assert_eq!(cma.alloc(1, 0), Ok(n - 1));
    assert_eq!(cma.free_pages(), 0);
    assert!(matches!(cma.alloc(1, 0), Err(CmaError::NoSpace { .. })));
}

#[test]
fn alloc_whole_area_and_too_big() {
    let mut bm = [0usize; 2];
    let mut cma = Cma::new(0x40, 128, 0, &mut bm).unwrap();
    assert_eq!(
        cma.alloc(129, 0),
        Err(CmaError::NoSpace {
            count: 129,
            align_order: 0
        })
    );
    assert_eq!(cma.alloc(usize::MAX, 0), Err(CmaError::NoSpace { count: usize::MAX, align_order: 0 }));
    assert_eq!(cma.alloc(128, 6), Ok(0x40));
    assert_eq!(cma.free_pages(), 0);
}

#[test]
fn alloc_errors() {
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x40, 64, 0, &mut bm).unwrap();
    assert_eq!(cma.alloc(0, 0), Err(CmaError::ZeroCount));
    assert_eq!(CmaError::ZeroCount.to_string(), "CMA request for zero pages");
    let e = cma.alloc(1, 64).unwrap_err();
    assert_eq!(e, CmaError::InvalidAlignment { align_order: 64 });
    assert_eq!(
        e.to_string(),
        "CMA alignment order 64 is too large (must be below 64)"
    );
    // Huge but valid alignments simply find no aligned pfn (no overflow).
    for align in [20, 40, 63] {
        assert_eq!(
            cma.alloc(1, align),
            Err(CmaError::NoSpace {
                count: 1,
                align_order: align
            })
        );
    }
    assert_eq!(
        CmaError::NoSpace {
            count: 3,
            align_order: 2
        }
        .to_string(),
        "CMA out of space: no free run of 3 pages aligned to order 2"
    );
    assert_eq!(cma.free_pages(), 64);
}

#[test]
fn huge_alignment_at_pfn_zero() {
    // Base 0 is aligned to everything.
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0, 64, 0, &mut bm).unwrap();
    assert_eq!(cma.alloc(1, 63), Ok(0));
    assert!(matches!(cma.alloc(1, 63), Err(CmaError::NoSpace { .. })));
}

#[test]
fn release_partial_and_merged_ranges() {
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x80, 32, 0, &mut bm).unwrap();
    let a = cma.alloc(8, 0).unwrap();
    let b = cma.alloc(8, 0).unwrap();
    // Release the tail of `a` and the head of `b` in one go.
    cma.release(a + 4, 8).unwrap();
    assert_eq!(cma.free_pages(), 24);
    cma.release(a, 4).unwrap();
    cma.release(b + 4, 4).unwrap();
    assert_eq!(cma.free_pages(), 32);
}

#[test]
fn release_errors_leave_state_unchanged() {
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x80, 32, 0, &mut bm).unwrap();
    let a = cma.alloc(8, 0).unwrap();
    let snapshot = |c: &Cma<'_>| (c.free_pages(), c.bits().iter().by_vals().collect::<Vec<bool>>());
    let before = snapshot(&cma);

    assert_eq!(cma.release(a, 0), Err(CmaError::ZeroCount));
    for (pfn, count) in [(0x7f, 1), (0xa0, 1), (0x9f, 2), (usize::MAX, 2), (a, usize::MAX)] {
        assert_eq!(
            cma.release(pfn, count),
            Err(CmaError::OutOfArea {
                pfn,
                count,
                base_pfn: 0x80,
                end_pfn: 0xa0
            })
        );
    }
    assert_eq!(
        cma.release(0x7f, 1).unwrap_err().to_string(),
        "CMA release of 1 pages at pfn 0x7f outside the area [0x80, 0xa0)"
    );
    // Partly allocated: the first free pfn is reported.
    let e = cma.release(a + 4, 8).unwrap_err();
    assert_eq!(
        e,
        CmaError::NotAllocated {
            pfn: a + 4,
            count: 8,
            free_pfn: a + 8
        }
    );
    assert_eq!(
        e.to_string(),
        "CMA release of 8 pages at pfn 0x84: pfn 0x88 is not allocated (double release?)"
    );
    assert_eq!(snapshot(&cma), before);

    cma.release(a, 8).unwrap();
    // Double release.
    assert_eq!(
        cma.release(a, 8),
        Err(CmaError::NotAllocated {
            pfn: a,
            count: 8,
            free_pfn: a
        })
    );
    assert_eq!(cma.free_pages(), 32);
}

#[test]
fn release_misaligned_chunk() {
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x100, 64, 2, &mut bm).unwrap();
    let a = cma.alloc(8, 0).unwrap();
    let e = cma.release(a + 1, 4).unwrap_err();
    assert_eq!(
        e,
        CmaError::MisalignedRelease {
            pfn: a + 1,
            order_per_bit: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "CMA release at pfn 0x101 does not start a 4-page chunk (order_per_bit 2)"
    );
    assert_eq!(cma.free_pages(), 56);
    cma.release(a, 8).unwrap();
}

#[test]
fn meminfo_format() {
    let mut bm = [0usize; 1];
    let mut cma = Cma::new(0x100, 64, 0, &mut bm).unwrap();
    cma.alloc(16, 0).unwrap();
    let mut s = String::new();
    cma.meminfo(&mut s).unwrap();
    assert_eq!(s, "CmaTotal:            512 kB\nCmaFree:             384 kB\n");

    // Values wider than 8 digits widen the line, as in Linux.
    let mut bm = vec![0usize; bitmap_words(1 << 24, 4)];
    let cma = Cma::new(0, 1 << 24, 4, &mut bm).unwrap();
    let mut s = String::new();
    cma.meminfo(&mut s).unwrap();
    assert_eq!(s, "CmaTotal:       134217728 kB\nCmaFree:        134217728 kB\n");
}

#[test]
fn debug_output_is_short() {
    let mut bm = [0usize; 1];
    let cma = Cma::new(0x100, 64, 0, &mut bm).unwrap();
    let s = format!("{cma:?}");
    assert_eq!(
        s,
        "Cma { base_pfn: 0x100, count: 64, order_per_bit: 0, free_pages: 64 }"
    );
}

#[test]
fn is_allocated_and_largest_free_run_follow_the_bitmap() {
    // 200 pages at pfn 1000, one bit per 2 pages (the area spans 2 words
    // of bits on 64-bit hosts: 100 bits).
    let mut bitmap = [0usize; 4];
    let mut cma = Cma::new(1000, 200, 1, &mut bitmap).unwrap();
    assert_eq!(cma.largest_free_run(), 200);
    assert!(!cma.is_allocated(1000));
    let a = cma.alloc(10, 0).unwrap(); // pfn 1000..1010
    let b = cma.alloc(130, 0).unwrap(); // 1010..1140, across the word boundary
    let c = cma.alloc(20, 0).unwrap(); // 1140..1160
    assert_eq!((a, b, c), (1000, 1010, 1140));
    cma.release(b, 130).unwrap();
    assert!(cma.is_allocated(1000) && cma.is_allocated(1009));
    assert!(!cma.is_allocated(1010) && !cma.is_allocated(1139));
    assert!(cma.is_allocated(1140) && cma.is_allocated(1159));
    assert!(!cma.is_allocated(999) && !cma.is_allocated(1200), "outside the area");
    // Free runs: 130 pages (1010..1140) and 40 at the end (1160..1200).
    assert_eq!(cma.largest_free_run(), 130);
    cma.release(c, 20).unwrap();
    assert_eq!(cma.largest_free_run(), 190);
    cma.release(a, 10).unwrap();
    assert_eq!(cma.largest_free_run(), 200);
    let all = cma.alloc(200, 0).unwrap();
    assert_eq!(cma.largest_free_run(), 0);
    cma.release(all, 200).unwrap();
}
