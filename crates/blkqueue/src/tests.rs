//! Unit tests: back merges, flush barriers, read/write interleave,
//! non-adjacent requests, the limits, lone requests over the limits.

use super::*;

const LIMITS: Limits = Limits { max_sectors: 256, max_segments: 8 };

fn rd(lba: u64, sectors: u32) -> Pending {
    Pending { op: Op::Read, lba, sectors, segments: 1 }
}
fn wr(lba: u64, sectors: u32) -> Pending {
    Pending { op: Op::Write, lba, sectors, segments: 1 }
}
fn fl() -> Pending {
    Pending { op: Op::Flush, lba: 0, sectors: 0, segments: 0 }
}
fn d(op: Op, lba: u64, sectors: u32, first: usize, count: usize) -> Dispatch {
    Dispatch { op, lba, sectors, first, count }
}

#[test]
fn empty_queue() {
    assert_eq!(plan(&[], &LIMITS), []);
    assert_eq!(merged_count(&[]), 0);
}

#[test]
fn adjacent_reads_merge() {
    let q = [rd(10, 8), rd(18, 8), rd(26, 16)];
    let p = plan(&q, &LIMITS);
    assert_eq!(p, [d(Op::Read, 10, 32, 0, 3)]);
    assert_eq!(merged_count(&p), 2);
}

#[test]
fn no_front_merge_and_no_gap() {
    // 18 then 10 (front adjacent), then 30 (a gap after 26).
    let q = [rd(18, 8), rd(10, 8), rd(30, 8)];
    assert_eq!(plan(&q, &LIMITS), [d(Op::Read, 18, 8, 0, 1), d(Op::Read, 10, 8, 1, 1), d(Op::Read, 30, 8, 2, 1)]);
    // Overlapping is not adjacent either.
    let q = [wr(0, 8), wr(4, 8)];
    assert_eq!(plan(&q, &LIMITS).len(), 2);
}

#[test]
fn flush_is_a_barrier() {
    let q = [wr(0, 8), fl(), wr(8, 8), fl(), fl()];
    assert_eq!(
        plan(&q, &LIMITS),
        [d(Op::Write, 0, 8, 0, 1), d(Op::Flush, 0, 0, 1, 1), d(Op::Write, 8, 8, 2, 1), d(Op::Flush, 0, 0, 3, 1), d(Op::Flush, 0, 0, 4, 1)]
    );
}

#[test]
fn reads_and_writes_do_not_merge() {
    let q = [rd(0, 8), wr(8, 8), rd(16, 8), rd(24, 8)];
    assert_eq!(
        plan(&q, &LIMITS),
        [d(Op::Read, 0, 8, 0, 1), d(Op::Write, 8, 8, 1, 1), d(Op::Read, 16, 16, 2, 2)]
    );
}

#[test]
fn sector_limit_starts_a_new_dispatch() {
    let q = [rd(0, 200), rd(200, 56), rd(256, 1)];
    assert_eq!(plan(&q, &LIMITS), [d(Op::Read, 0, 256, 0, 2), d(Op::Read, 256, 1, 2, 1)]);
}

#[test]
fn segment_limit_starts_a_new_dispatch() {
    let mut q = [rd(0, 1), rd(1, 1), rd(2, 1)];
    q[0].segments = 5;
    q[1].segments = 3;
    q[2].segments = 1;
    assert_eq!(plan(&q, &LIMITS), [d(Op::Read, 0, 2, 0, 2), d(Op::Read, 2, 1, 2, 1)]);
}

#[test]
fn requests_over_the_limits_stay_alone() {
    // Too many sectors, then too many segments: each alone, and the
    // adjacent requests around them do not join them.
    let mut big_segs = rd(301, 1);
    big_segs.segments = 9;
    let q = [rd(0, 1), rd(1, 300), rd(301 + 0, 0), big_segs, rd(302, 1)];
    assert_eq!(
        plan(&q, &LIMITS),
        [d(Op::Read, 0, 1, 0, 1), d(Op::Read, 1, 300, 1, 1), d(Op::Read, 301, 0, 2, 1), d(Op::Read, 301, 1, 3, 1), d(Op::Read, 302, 1, 4, 1)]
    );
}

#[test]
fn zero_sector_requests_never_merge() {
    let q = [rd(0, 8), rd(8, 0), rd(8, 8)];
    assert_eq!(plan(&q, &LIMITS), [d(Op::Read, 0, 8, 0, 1), d(Op::Read, 8, 0, 1, 1), d(Op::Read, 8, 8, 2, 1)]);
}

#[test]
fn end_of_the_address_space() {
    let q = [rd(u64::MAX - 1, 1), rd(u64::MAX, 1), rd(u64::MAX, 2), rd(0, 1)];
    let p = plan(&q, &Limits { max_sectors: u32::MAX, max_segments: usize::MAX });
    assert_eq!(p, [d(Op::Read, u64::MAX - 1, 2, 0, 2), d(Op::Read, u64::MAX, 2, 2, 1), d(Op::Read, 0, 1, 3, 1)]);
}

#[test]
fn sums_do_not_overflow() {
    let q = [rd(0, u32::MAX), rd(u32::MAX as u64, 1)];
    let p = plan(&q, &Limits { max_sectors: u32::MAX, max_segments: usize::MAX });
    assert_eq!(p.len(), 2);
    let mut q = [rd(0, 1), rd(1, 1)];
    q[0].segments = usize::MAX;
    assert_eq!(plan(&q, &Limits { max_sectors: 10, max_segments: usize::MAX }).len(), 2);
}
