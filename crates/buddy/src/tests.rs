//! Unit tests: one or more per operation and per error.

use super::*;

/// Allocator over `frames` frames at `base`, with all of them free.
fn full(base: usize, meta: &mut [FrameMeta]) -> BuddyAllocator<'_> {
    let end = base + meta.len();
    let mut b = BuddyAllocator::new(base, meta).unwrap();
    b.add_free_range(base, end).unwrap();
    b
}

fn counts(b: &BuddyAllocator<'_>) -> [usize; NR_ORDERS] {
    core::array::from_fn(|o| b.free_count(o as u32))
}

#[test]
fn frame_meta_is_small_and_defaults_to_unmanaged() {
    assert_eq!(core::mem::size_of::<FrameMeta>(), 12);
    assert_eq!(FrameMeta::default(), FrameMeta::UNMANAGED);
}

#[test]
fn new_starts_with_nothing_managed_and_reinitialises_meta() {
    // Garbage metadata (e.g. uninitialised memblock memory) is overwritten.
    let mut meta = [FrameMeta {
        prev: 7,
        next: 9,
        state: FREE_HEAD,
        order: 3,
    }; 32];
    let mut b = BuddyAllocator::new(100, &mut meta).unwrap();
    assert_eq!(b.base_pfn(), 100);
    assert_eq!(b.end_pfn(), 132);
    assert_eq!(b.managed_pages(), 0);
    assert_eq!(b.free_pages(), 0);
    assert_eq!(b.largest_free_order(), None);
    assert_eq!(b.alloc(0), Err(BuddyError::OutOfMemory { order: 0 }));
    // Not managed yet: a hole.
    assert_eq!(b.free(100, 0), Err(BuddyError::NotManaged { pfn: 100 }));
    drop(b);
    assert!(meta.iter().all(|m| *m == FrameMeta::UNMANAGED));
}

#[test]
fn new_rejects_overflowing_span() {
    let mut meta = [FrameMeta::UNMANAGED; 4];
    let err = BuddyAllocator::new(usize::MAX - 2, &mut meta).unwrap_err();
    assert_eq!(
        err,
        BuddyError::InvalidSpan {
            base_pfn: usize::MAX - 2,
            frames: 4
        }
    );
    assert!(err.to_string().contains("cannot manage 4 frames"));
}

#[test]
fn empty_span_is_fine() {
    let mut meta: [FrameMeta; 0] = [];
    let mut b = BuddyAllocator::new(5, &mut meta).unwrap();
    b.add_free_range(5, 5).unwrap();
    assert_eq!(b.alloc(0), Err(BuddyError::OutOfMemory { order: 0 }));
    assert!(matches!(b.free(5, 0), Err(BuddyError::OutOfRange { .. })));
}

#[test]
fn add_free_range_splits_into_maximal_aligned_blocks() {
    // [0x1003, 0x1803) is cut into 0x1003 (o0), 0x1004 (o2), 0x1008 (o3),
    // 0x1010 (o4), 0x1020 (o5), 0x1040 (o6), 0x1080 (o7), 0x1100 (o8),
    // 0x1200 (o9), 0x1400 (o10), 0x1800 (o1), 0x1802 (o0).
    let mut meta = [FrameMeta::UNMANAGED; 2048];
    let b = full(0x1003, &mut meta);
    assert_eq!(b.managed_pages(), 2048);
    assert_eq!(b.free_pages(), 2048);
    assert_eq!(counts(&b), [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    let mut total = 0;
    for order in 0..=MAX_ORDER {
        for pfn in b.free_blocks(order) {
            assert_eq!(pfn % (1 << order), 0, "block {pfn:#x} misaligned");
            total += 1 << order;
        }
    }
    assert_eq!(total, 2048);
    assert_eq!(b.free_count(MAX_ORDER), 1); // only 0x1400..0x1800 is a whole 1024 block
    assert_eq!(b.largest_free_order(), Some(MAX_ORDER));
}

#[test]
fn add_free_range_coalesces_with_neighbours() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = BuddyAllocator::new(0, &mut meta).unwrap();
    b.add_free_range(0, 3).unwrap(); // o1 at 0, o0 at 2
    b.add_free_range(8, 16).unwrap(); // o3 at 8
    b.add_free_range(4, 8).unwrap(); // o2 at 4
    assert_eq!(counts(&b)[..5], [1, 1, 1, 1, 0]);
    b.add_free_range(3, 4).unwrap(); // fills the gap: everything merges
    assert_eq!(counts(&b)[..5], [0, 0, 0, 0, 1]);
    assert_eq!(b.free_blocks(4).collect::<Vec<_>>(), [0]);
    assert_eq!(b.managed_pages(), 16);
}

#[test]
fn add_free_range_empty_is_noop() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = BuddyAllocator::new(8, &mut meta).unwrap();
    b.add_free_range(12, 12).unwrap();
    assert_eq!(b.managed_pages(), 0);
}

#[test]
fn add_free_range_errors_leave_state_unchanged() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = BuddyAllocator::new(16, &mut meta).unwrap();
    b.add_free_range(20, 24).unwrap();
    let before = counts(&b);

    let e = b.add_free_range(30, 20).unwrap_err();
    assert_eq!(
        e,
        BuddyError::InvalidRange {
            start_pfn: 30,
            end_pfn: 20
        }
    );
    assert_eq!(e.to_string(), "invalid pfn range [0x1e, 0x14): start is after end");

    let e = b.add_free_range(15, 18).unwrap_err();
    assert_eq!(
        e,
        BuddyError::RangeOutOfSpan {
            start_pfn: 15,
            end_pfn: 18,
            span_start: 16,
            span_end: 32
        }
    );
    assert!(e.to_string().contains("outside the span [0x10, 0x20)"));
    assert!(matches!(
        b.add_free_range(30, 33),
        Err(BuddyError::RangeOutOfSpan { .. })
    ));

    let e = b.add_free_range(17, 22).unwrap_err();
    assert_eq!(e, BuddyError::AlreadyManaged { pfn: 20 });
    assert!(e.to_string().contains("pfn 0x14 is already managed"));
    assert_eq!(b.add_free_range(20, 24), Err(BuddyError::AlreadyManaged { pfn: 20 }));

    assert_eq!(counts(&b), before);
    assert_eq!(b.managed_pages(), 4);
    // Frames 17..20 are still addable after the failed attempt.
    b.add_free_range(16, 20).unwrap();
    assert_eq!(b.free_count(3), 1);
}

#[test]
fn alloc_takes_smallest_fitting_block_and_expands() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = full(0, &mut meta);
    assert_eq!(counts(&b)[..5], [0, 0, 0, 0, 1]);
    // Split 16 -> 8 + 4 + 2 + 1 + [1]: lower frame returned, upper halves free.
    assert_eq!(b.alloc(0), Ok(0));
    assert_eq!(counts(&b)[..5], [1, 1, 1, 1, 0]);
    assert_eq!(b.free_blocks(0).collect::<Vec<_>>(), [1]);
    assert_eq!(b.free_blocks(1).collect::<Vec<_>>(), [2]);
    assert_eq!(b.free_blocks(2).collect::<Vec<_>>(), [4]);
    assert_eq!(b.free_blocks(3).collect::<Vec<_>>(), [8]);
    // Smallest fitting block first: order 1 comes from the order-1 list.
    assert_eq!(b.alloc(1), Ok(2));
    assert_eq!(counts(&b)[..5], [1, 0, 1, 1, 0]);
    assert_eq!(b.alloc(0), Ok(1));
    assert_eq!(b.alloc(3), Ok(8));
    assert_eq!(b.alloc(2), Ok(4));
    assert_eq!(b.free_pages(), 0);
    assert_eq!(b.allocated_pages(), 16);
    assert_eq!(b.largest_free_order(), None);
    assert_eq!(b.alloc(0), Err(BuddyError::OutOfMemory { order: 0 }));
}

#[test]
fn alloc_is_aligned_with_unaligned_base() {
    let mut meta = [FrameMeta::UNMANAGED; 100];
    let mut b = full(0x2001, &mut meta);
    let pfn = b.alloc(5).unwrap();
    assert_eq!(pfn % 32, 0);
    assert!(pfn >= 0x2001 && pfn + 32 <= 0x2001 + 100);
}

#[test]
fn alloc_errors() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = full(0, &mut meta);
    let e = b.alloc(MAX_ORDER + 1).unwrap_err();
    assert_eq!(e, BuddyError::InvalidOrder { order: 11 });
    assert_eq!(e.to_string(), "invalid order 11 (MAX_ORDER is 10)");
    let e = b.alloc(4).unwrap_err();
    assert_eq!(e, BuddyError::OutOfMemory { order: 4 });
    assert_eq!(
        e.to_string(),
        "out of memory: no free block of order 4 or larger"
    );
    assert_eq!(b.free_pages(), 8);
    assert_eq!(b.alloc(3), Ok(0));
}

#[test]
fn max_order_blocks_never_merge_further() {
    let mut meta = [FrameMeta::UNMANAGED; 4 * MAX_ORDER_NR_PAGES];
    let mut b = full(0, &mut meta);
    assert_eq!(b.free_count(MAX_ORDER), 4);
    let a = b.alloc(MAX_ORDER).unwrap();
    let c = b.alloc(MAX_ORDER).unwrap();
    b.free(a, MAX_ORDER).unwrap();
    b.free(c, MAX_ORDER).unwrap();
    assert_eq!(b.free_count(MAX_ORDER), 4);
    assert_eq!(b.free_pages(), 4 * MAX_ORDER_NR_PAGES);
}

#[test]
fn free_coalesces_back_to_the_start() {
    let mut meta = [FrameMeta::UNMANAGED; 64];
    let mut b = full(0x40, &mut meta);
    let start = counts(&b);
    let blocks: Vec<(usize, u32)> = [0, 3, 1, 0, 2, 0, 1]
        .iter()
        .map(|&o| (b.alloc(o).unwrap(), o))
        .collect();
    // Free in an interleaved order.
    for &(pfn, o) in blocks.iter().step_by(2).chain(blocks.iter().skip(1).step_by(2)) {
        b.free(pfn, o).unwrap();
    }
    assert_eq!(counts(&b), start);
    assert_eq!(b.free_pages(), 64);
    assert_eq!(b.free_blocks(6).collect::<Vec<_>>(), [0x40]);
}

#[test]
fn free_does_not_merge_across_holes_or_span_edges() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = BuddyAllocator::new(0, &mut meta).unwrap();
    b.add_free_range(0, 2).unwrap();
    b.add_free_range(3, 8).unwrap(); // frame 2 is a hole
    assert_eq!(counts(&b)[..4], [1, 1, 1, 0]);
    let x = b.alloc(0).unwrap();
    assert_eq!(x, 3);
    b.free(x, 0).unwrap();
    assert_eq!(counts(&b)[..4], [1, 1, 1, 0]);
    // The buddy of the block at 0 (order 3 would be 8) is outside the span.
    let mut meta2 = [FrameMeta::UNMANAGED; 8];
    let mut b2 = full(8, &mut meta2);
    let p = b2.alloc(3).unwrap();
    b2.free(p, 3).unwrap();
    assert_eq!(b2.free_count(3), 1);
}

#[test]
fn free_error_out_of_range() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = full(0x10, &mut meta);
    for pfn in [0, 0xf, 0x18, usize::MAX] {
        let e = b.free(pfn, 0).unwrap_err();
        assert_eq!(
            e,
            BuddyError::OutOfRange {
                pfn,
                span_start: 0x10,
                span_end: 0x18
            }
        );
    }
    assert_eq!(
        b.free(0x18, 0).unwrap_err().to_string(),
        "pfn 0x18 is outside the managed span [0x10, 0x18)"
    );
    assert_eq!(b.free_pages(), 8);
}

#[test]
fn free_error_invalid_order() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = full(0, &mut meta);
    let p = b.alloc(0).unwrap();
    assert_eq!(b.free(p, 11), Err(BuddyError::InvalidOrder { order: 11 }));
    assert_eq!(b.free(p, u32::MAX), Err(BuddyError::InvalidOrder { order: u32::MAX }));
    b.free(p, 0).unwrap();
}

#[test]
fn free_error_hole() {
    let mut meta = [FrameMeta::UNMANAGED; 8];
    let mut b = BuddyAllocator::new(0x100, &mut meta).unwrap();
    b.add_free_range(0x100, 0x104).unwrap();
    let e = b.free(0x105, 0).unwrap_err();
    assert_eq!(e, BuddyError::NotManaged { pfn: 0x105 });
    assert_eq!(
        e.to_string(),
        "pfn 0x105 is not managed (a hole or reserved memory)"
    );
}

#[test]
fn free_error_double_free() {
    let mut meta = [FrameMeta::UNMANAGED; 0x2000];
    let mut b = full(0, &mut meta);
    let p = b.alloc(2).unwrap();
    let q = b.alloc(2).unwrap();
    b.free(p, 2).unwrap();
    let before = counts(&b);
    let e = b.free(p, 2).unwrap_err();
    assert_eq!(e, BuddyError::DoubleFree { pfn: p, order: 2 });
    assert_eq!(e.to_string(), format!("double free of pfn {p:#x} (order 2)"));
    assert_eq!(counts(&b), before);
    // After q is freed, p's frames are inside a big merged free block: the
    // head of p is now a tail frame, still reported as a double free.
    b.free(q, 2).unwrap();
    assert_eq!(b.free(p, 2), Err(BuddyError::DoubleFree { pfn: p, order: 2 }));
    assert_eq!(b.free(0x1234, 2), Err(BuddyError::DoubleFree { pfn: 0x1234, order: 2 }));
    assert_eq!(
        b.free(0x1234, 2).unwrap_err().to_string(),
        "double free of pfn 0x1234 (order 2)"
    );
    assert_eq!(b.free_pages(), 0x2000);
}

#[test]
fn free_error_wrong_order() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = full(0, &mut meta);
    let p = b.alloc(2).unwrap();
    let before = counts(&b);
    let e = b.free(p, 1).unwrap_err();
    assert_eq!(
        e,
        BuddyError::WrongOrder {
            pfn: p,
            order: 1,
            allocated_order: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "free of pfn 0x0 with order 1, but it was allocated with order 2"
    );
    assert!(matches!(b.free(p, 3), Err(BuddyError::WrongOrder { .. })));
    assert_eq!(counts(&b), before);
    b.free(p, 2).unwrap();
}

#[test]
fn free_error_not_block_head() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = full(0x20, &mut meta);
    let p = b.alloc(3).unwrap();
    let before = counts(&b);
    for off in 1..8 {
        let e = b.free(p + off, 0).unwrap_err();
        assert_eq!(
            e,
            BuddyError::NotBlockHead {
                pfn: p + off,
                order: 0,
                head_pfn: p,
                head_order: 3
            }
        );
    }
    assert_eq!(
        b.free(p + 4, 2).unwrap_err().to_string(),
        format!(
            "free of pfn {:#x} (order 2), which is not the head of an allocated block: \
             it lies inside the order-3 block at pfn {p:#x}",
            p + 4
        )
    );
    assert_eq!(counts(&b), before);
    b.free(p, 3).unwrap();
    assert_eq!(b.free_count(4), 1);
}

#[test]
fn free_blocks_of_invalid_order_is_empty() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let b = full(0, &mut meta);
    assert_eq!(b.free_blocks(MAX_ORDER + 1).count(), 0);
    assert_eq!(b.free_count(MAX_ORDER + 1), 0);
}

#[test]
fn buddyinfo_format() {
    let mut meta = [FrameMeta::UNMANAGED; 3 * MAX_ORDER_NR_PAGES + 5];
    let b = full(0, &mut meta);
    let mut s = String::new();
    b.buddyinfo(&mut s).unwrap();
    assert_eq!(
        s,
        "Node 0, zone   Normal      1      0      1      0      0      0      0      0      0      0      3 \n"
    );
}

#[test]
fn debug_output_is_short() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let b = full(0x10, &mut meta);
    let s = format!("{b:?}");
    assert!(s.contains("base_pfn: 0x10"), "{s}");
    assert!(s.contains("free_pages: 16"), "{s}");
}

#[test]
fn alloc_at_splits_the_holding_block_down_to_the_frame() {
    // One order-4 block at pfn 0x10 (16 frames).
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = full(0x10, &mut meta);
    assert_eq!(counts(&b)[4], 1);
    // Frame 0x15: the halves not holding it go back, one block of each
    // order 0..=3: 0x14 (order 0), 0x16 (1), 0x10 (2), 0x18 (3).
    b.alloc_at(0x15, 0).unwrap();
    assert_eq!(&counts(&b)[..5], &[1, 1, 1, 1, 0]);
    assert_eq!(b.free_blocks(0).collect::<Vec<_>>(), [0x14]);
    assert_eq!(b.free_blocks(1).collect::<Vec<_>>(), [0x16]);
    assert_eq!(b.free_blocks(2).collect::<Vec<_>>(), [0x10]);
    assert_eq!(b.free_blocks(3).collect::<Vec<_>>(), [0x18]);
    assert_eq!(b.free_pages(), 15);
    assert_eq!(b.block_at(0x14), Some(BlockInfo { head_pfn: 0x14, order: 0, free: true }));
    assert_eq!(b.block_at(0x1b), Some(BlockInfo { head_pfn: 0x18, order: 3, free: true }));
    assert!(!b.block_at(0x15).expect("managed").free, "allocated");
    assert_eq!(b.block_at(0x20), None, "outside the span");
    // The frame is now allocated: a second alloc_at is refused, a free
    // brings back the order-4 block.
    assert_eq!(b.alloc_at(0x15, 0), Err(BuddyError::NotFree { pfn: 0x15, order: 0 }));
    b.free(0x15, 0).unwrap();
    assert_eq!(counts(&b)[4], 1);
    assert_eq!(b.free_pages(), 16);
}

#[test]
fn alloc_at_of_a_whole_free_block_and_of_a_larger_order() {
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = full(0x10, &mut meta);
    // The whole block, as it is on its list.
    b.alloc_at(0x10, 4).unwrap();
    assert_eq!(b.free_pages(), 0);
    b.free(0x10, 4).unwrap();
    // An order-2 block in the upper half.
    b.alloc_at(0x1c, 2).unwrap();
    assert_eq!(&counts(&b)[..5], &[0, 0, 1, 1, 0]);
    assert_eq!(b.free(0x1c, 1), Err(BuddyError::WrongOrder { pfn: 0x1c, order: 1, allocated_order: 2 }));
    b.free(0x1c, 2).unwrap();
    assert_eq!(counts(&b)[4], 1);
}

#[test]
fn alloc_at_errors_change_nothing() {
    // Frames 0x100..0x110, of which 0x104..0x108 are a hole.
    let mut meta = [FrameMeta::UNMANAGED; 16];
    let mut b = BuddyAllocator::new(0x100, &mut meta).unwrap();
    b.add_free_range(0x100, 0x104).unwrap();
    b.add_free_range(0x108, 0x110).unwrap();
    let p = b.alloc(0).unwrap();
    let before = counts(&b);
    assert_eq!(b.alloc_at(0x100, MAX_ORDER + 1), Err(BuddyError::InvalidOrder { order: MAX_ORDER + 1 }));
    assert_eq!(
        b.alloc_at(0x110, 0),
        Err(BuddyError::OutOfRange { pfn: 0x110, span_start: 0x100, span_end: 0x110 })
    );
    assert_eq!(b.alloc_at(0x102, 2), Err(BuddyError::Misaligned { pfn: 0x102, order: 2 }));
    assert_eq!(b.alloc_at(0x105, 0), Err(BuddyError::NotManaged { pfn: 0x105 }));
    // Spans the hole.
    assert_eq!(b.alloc_at(0x100, 3), Err(BuddyError::NotFree { pfn: 0x100, order: 3 }));
    // Holds the allocated frame.
    assert_eq!(b.alloc_at(p & !1, 1), Err(BuddyError::NotFree { pfn: p & !1, order: 1 }));
    // Past the span's end.
    assert_eq!(b.alloc_at(0x108, 4), Err(BuddyError::Misaligned { pfn: 0x108, order: 4 }));
    assert_eq!(counts(&b), before);
    assert_eq!(
        BuddyError::NotFree { pfn: 0x100, order: 3 }.to_string(),
        "the order-3 block at pfn 0x100 is not all free"
    );
    assert_eq!(
        BuddyError::Misaligned { pfn: 0x102, order: 2 }.to_string(),
        "pfn 0x102 is not aligned to an order-2 block (4 frames)"
    );
}
