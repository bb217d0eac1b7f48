//! Unit tests: every operation and error, and the behaviours Linux documents.

use super::*;

const K: u64 = 1024;
const M: u64 = 1024 * K;
/// Alpha's page size, used as a realistic granule in these tests.
const PAGE: u64 = 8 * K;

type Mb = Memblock<16>;

fn r(base: u64, size: u64) -> Region {
    Region::new(base, size)
}

/// Builds a memblock from (base, size) lists.
fn mb(memory: &[(u64, u64)], reserved: &[(u64, u64)]) -> Mb {
    let mut mb = Mb::new();
    for &(b, s) in memory {
        mb.add(b, s).unwrap();
    }
    for &(b, s) in reserved {
        mb.reserve(b, s).unwrap();
    }
    mb
}

fn regions(list: &[(u64, u64)]) -> Vec<Region> {
    list.iter().map(|&(b, s)| r(b, s)).collect()
}

fn free(mb: &Mb) -> Vec<Region> {
    mb.free_ranges().collect()
}

// -------------------------------------------------------------------- add

#[test]
fn new_is_empty() {
    let mb = Mb::new();
    assert!(mb.memory_regions().is_empty());
    assert!(mb.reserved_regions().is_empty());
    assert_eq!(mb.total_memory(), 0);
    assert_eq!(mb.reserved_size(), 0);
    assert_eq!(mb.free_size(), 0);
    assert_eq!(mb.start_of_dram(), None);
    assert_eq!(mb.end_of_dram(), None);
    assert_eq!(free(&mb), vec![]);
    // `new` is const: usable in a static.
    static _STATIC: Memblock = Memblock::new();
    let _default: Memblock<4> = Memblock::default();
}

#[test]
fn add_keeps_regions_sorted() {
    let mb = mb(
        &[(0x30000, 0x1000), (0x10000, 0x1000), (0x20000, 0x1000)],
        &[],
    );
    assert_eq!(
        mb.memory_regions(),
        regions(&[(0x10000, 0x1000), (0x20000, 0x1000), (0x30000, 0x1000)])
    );
}

#[test]
fn add_zero_size_is_noop() {
    let mut mb = Mb::new();
    mb.add(0x1000, 0).unwrap();
    mb.add(u64::MAX, 0).unwrap();
    assert!(mb.memory_regions().is_empty());
}

#[test]
fn add_merges_touching_neighbours() {
    // Below, above, and a range that exactly fills the hole between two regions.
    let mut mb = mb(&[(0x2000, 0x1000)], &[]);
    mb.add(0x1000, 0x1000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x2000)]);
    mb.add(0x3000, 0x1000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x3000)]);
    mb.add(0x5000, 0x1000).unwrap();
    mb.add(0x4000, 0x1000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x5000)]);
}

#[test]
fn add_merges_overlaps() {
    // An added range overlapping several regions swallows them all
    // ("overlaps don't affect already existing regions" + merge).
    let mut mb = mb(
        &[
            (0x1000, 0x1000),
            (0x3000, 0x1000),
            (0x5000, 0x1000),
            (0x9000, 0x1000),
        ],
        &[],
    );
    mb.add(0x1800, 0x4000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x5000), r(0x9000, 0x1000)]);
    // Fully contained: nothing changes.
    mb.add(0x2000, 0x100).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x5000), r(0x9000, 0x1000)]);
    // Covering everything.
    mb.add(0, 0x10000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0, 0x10000)]);
    assert_eq!(mb.total_memory(), 0x10000);
}

#[test]
fn add_rejects_wrapping_ranges() {
    let mut mb = Mb::new();
    assert_eq!(
        mb.add(u64::MAX - 0xfff, 0x1000),
        Err(Error::Overflow {
            base: u64::MAX - 0xfff,
            size: 0x1000
        })
    );
    assert_eq!(
        mb.add(1, u64::MAX),
        Err(Error::Overflow {
            base: 1,
            size: u64::MAX
        })
    );
    assert!(mb.memory_regions().is_empty());
    // Reaching exactly up to u64::MAX (exclusive) is fine.
    mb.add(u64::MAX - 0x1000, 0x1000).unwrap();
    mb.add(0, u64::MAX).unwrap();
    assert_eq!(mb.memory_regions(), [r(0, u64::MAX)]);
    assert_eq!(mb.end_of_dram(), Some(u64::MAX));
}

#[test]
fn add_full_array_fails_without_change() {
    let mut mb: Memblock<2> = Memblock::new();
    mb.add(0x1000, 0x1000).unwrap();
    mb.add(0x5000, 0x1000).unwrap();
    let err = mb.add(0x9000, 0x1000).unwrap_err();
    assert_eq!(
        err,
        Error::Full {
            kind: RegionKind::Memory,
            capacity: 2
        }
    );
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x1000), r(0x5000, 0x1000)]);
    // Merging needs no new slot, even when full.
    mb.add(0x2000, 0x1000).unwrap();
    mb.add(0x3000, 0x2000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x5000)]);
    // A zero-capacity memblock can hold nothing but never panics.
    let mut empty: Memblock<0> = Memblock::new();
    assert!(matches!(empty.add(0, 1), Err(Error::Full { .. })));
    assert!(matches!(empty.reserve(0, 1), Err(Error::Full { .. })));
    assert_eq!(empty.remove(0, 1), Ok(()));
    assert!(matches!(
        empty.alloc(1, 1, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace { .. })
    ));
}

// ----------------------------------------------------------------- remove

#[test]
fn remove_splits_a_region() {
    let mut mb = mb(&[(0, 0x10000)], &[]);
    mb.remove(0x4000, 0x2000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0, 0x4000), r(0x6000, 0xa000)]);
    assert_eq!(mb.total_memory(), 0xe000);
}

#[test]
fn remove_trims_and_drops() {
    let mut mb = mb(&[(0x1000, 0x2000), (0x4000, 0x2000), (0x8000, 0x2000)], &[]);
    // Cuts the top of the first, drops the second, cuts the bottom of the third.
    mb.remove(0x2000, 0x7000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0x1000), r(0x9000, 0x1000)]);
    // Exactly one region.
    mb.remove(0x1000, 0x1000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x9000, 0x1000)]);
    // Nothing there, zero size: no-ops.
    mb.remove(0x100000, 0x1000).unwrap();
    mb.remove(0x9000, 0).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x9000, 0x1000)]);
}

#[test]
fn remove_clamps_at_top_of_address_space() {
    let mut mb = mb(&[(0, 0x10000), (u64::MAX - 0x1000, 0x1000)], &[]);
    // Linux's idiom: remove(base, PHYS_ADDR_MAX) removes everything from base up.
    mb.remove(0x8000, PHYS_ADDR_MAX).unwrap();
    assert_eq!(mb.memory_regions(), [r(0, 0x8000)]);
    mb.remove(u64::MAX, u64::MAX).unwrap();
    assert_eq!(mb.memory_regions(), [r(0, 0x8000)]);
}

#[test]
fn remove_split_on_full_array_fails_without_change() {
    let mut mb: Memblock<1> = Memblock::new();
    mb.add(0, 0x10000).unwrap();
    assert_eq!(
        mb.remove(0x4000, 0x1000),
        Err(Error::Full {
            kind: RegionKind::Memory,
            capacity: 1
        })
    );
    assert_eq!(mb.memory_regions(), [r(0, 0x10000)]);
    // Trimming an end needs no slot.
    mb.remove(0, 0x1000).unwrap();
    mb.remove(0xf000, 0x1000).unwrap();
    assert_eq!(mb.memory_regions(), [r(0x1000, 0xe000)]);
}

// -------------------------------------------------------- reserve and free

#[test]
fn reserve_merges_and_free_splits() {
    let mut mb = mb(&[(0, 0x100000)], &[]);
    mb.reserve(0x1000, 0x1000).unwrap();
    mb.reserve(0x3000, 0x1000).unwrap();
    mb.reserve(0x2000, 0x1000).unwrap();
    assert_eq!(mb.reserved_regions(), [r(0x1000, 0x3000)]);
    assert_eq!(mb.reserved_size(), 0x3000);
    mb.free(0x2000, 0x800).unwrap();
    assert_eq!(
        mb.reserved_regions(),
        [r(0x1000, 0x1000), r(0x2800, 0x1800)]
    );
    mb.free(0, u64::MAX).unwrap();
    assert!(mb.reserved_regions().is_empty());
    // Memory is untouched by reserve/free.
    assert_eq!(mb.memory_regions(), [r(0, 0x100000)]);
}

#[test]
fn reserve_outside_memory_is_allowed() {
    let mut mb = mb(&[(0x10000, 0x10000)], &[(0, 0x11000), (0x30000, 0x1000)]);
    assert_eq!(mb.reserved_regions(), [r(0, 0x11000), r(0x30000, 0x1000)]);
    assert_eq!(mb.reserved_size(), 0x12000);
    assert_eq!(free(&mb), [r(0x11000, 0xf000)]);
    assert_eq!(mb.free_size(), 0xf000);
    // Memory added later under an old reservation stays reserved.
    mb.add(0x30000, 0x4000).unwrap();
    assert_eq!(free(&mb), [r(0x11000, 0xf000), r(0x31000, 0x3000)]);
}

#[test]
fn reserve_errors() {
    let mut mb: Memblock<1> = Memblock::new();
    assert_eq!(
        mb.reserve(u64::MAX, 1),
        Err(Error::Overflow {
            base: u64::MAX,
            size: 1
        })
    );
    mb.reserve(0, 0x1000).unwrap();
    assert_eq!(
        mb.reserve(0x2000, 0x1000),
        Err(Error::Full {
            kind: RegionKind::Reserved,
            capacity: 1
        })
    );
    assert_eq!(
        mb.free(0x400, 0x400),
        Err(Error::Full {
            kind: RegionKind::Reserved,
            capacity: 1
        })
    );
    assert_eq!(mb.reserved_regions(), [r(0, 0x1000)]);
}

// ------------------------------------------------------------ free ranges

#[test]
fn free_ranges_walk_memory_minus_reserved() {
    // Reserved regions straddling memory boundaries, inside memory, and in holes.
    let mb = mb(
        &[(0x0000, 0x4000), (0x8000, 0x8000), (0x20000, 0x1000)],
        &[
            (0x1000, 0x1000),
            (0x3000, 0x6000),
            (0xc000, 0x1000),
            (0x18000, 0x1000),
        ],
    );
    let expect = regions(&[
        (0x0, 0x1000),
        (0x2000, 0x1000),
        (0x9000, 0x3000),
        (0xd000, 0x3000),
        (0x20000, 0x1000),
    ]);
    assert_eq!(free(&mb), expect);
    let mut rev: Vec<Region> = mb.free_ranges().rev().collect();
    rev.reverse();
    assert_eq!(rev, expect);
    assert_eq!(mb.free_size(), 0x9000);
}

#[test]
fn free_ranges_from_both_ends_meet_once() {
    let mb = mb(
        &[(0, 0x10000)],
        &[(0x1000, 0x1000), (0x3000, 0x1000), (0x5000, 0x1000)],
    );
    let all = free(&mb);
    assert_eq!(all.len(), 4);
    for front in 0..=all.len() {
        let mut it = mb.free_ranges();
        let mut got: Vec<Region> = it.by_ref().take(front).collect();
        let mut back: Vec<Region> = it.by_ref().rev().collect();
        back.reverse();
        got.extend(back);
        assert_eq!(got, all, "front={front}");
        assert_eq!(it.next(), None);
        assert_eq!(it.next_back(), None);
    }
    // Alternating.
    let mut it = mb.free_ranges();
    assert_eq!(it.next(), Some(all[0]));
    assert_eq!(it.next_back(), Some(all[3]));
    assert_eq!(it.next(), Some(all[1]));
    assert_eq!(it.next_back(), Some(all[2]));
    assert_eq!(it.next(), None);
    assert_eq!(it.next_back(), None);
}

#[test]
fn free_ranges_in_clips_to_window() {
    let mb = mb(&[(0, 0x10000)], &[(0x4000, 0x1000)]);
    let got: Vec<_> = mb.free_ranges_in(0x2000, 0x6000).collect();
    assert_eq!(got, [r(0x2000, 0x2000), r(0x5000, 0x1000)]);
    let got: Vec<_> = mb.free_ranges_in(0x4000, 0x5000).collect();
    assert_eq!(got, []);
    let got: Vec<_> = mb.free_ranges_in(0x6000, 0x2000).collect();
    assert_eq!(got, []);
    let got: Vec<_> = mb.free_ranges_in(0x3000, 0x8000).rev().collect();
    assert_eq!(got, [r(0x5000, 0x3000), r(0x3000, 0x1000)]);
}

#[test]
fn free_ranges_with_reservation_at_zero_and_at_top() {
    let mb = mb(
        &[(0, 0x3000), (u64::MAX - 0x3000, 0x3000)],
        &[(0, 0x1000), (u64::MAX - 0x1000, 0x1000)],
    );
    assert_eq!(free(&mb), [r(0x1000, 0x2000), r(u64::MAX - 0x3000, 0x2000)]);
    assert_eq!(mb.free_ranges().rev().count(), 2);
}

// ------------------------------------------------------------------ alloc

#[test]
fn alloc_top_down_takes_highest_address() {
    let mut mb = mb(&[(0, 64 * M)], &[(0, 4 * M)]);
    let a = mb
        .alloc(PAGE, PAGE, 0, ALLOC_ANYWHERE, Direction::TopDown)
        .unwrap();
    assert_eq!(a, 64 * M - PAGE);
    let b = mb
        .alloc(PAGE, PAGE, 0, ALLOC_ANYWHERE, Direction::TopDown)
        .unwrap();
    assert_eq!(b, 64 * M - 2 * PAGE);
    // Consecutive allocations merge into one reserved region.
    assert_eq!(
        mb.reserved_regions(),
        [r(0, 4 * M), r(64 * M - 2 * PAGE, 2 * PAGE)]
    );
    assert!(mb.is_reserved(a) && mb.is_reserved(b));
}

#[test]
fn alloc_bottom_up_takes_lowest_address() {
    let mut mb = mb(&[(0, 64 * M)], &[(0, 4 * M + 100)]);
    let a = mb
        .alloc(PAGE, PAGE, 0, ALLOC_ANYWHERE, Direction::BottomUp)
        .unwrap();
    assert_eq!(a, 4 * M + PAGE); // rounded up past the odd-sized reservation
    let b = mb
        .alloc(100, 1, 0, ALLOC_ANYWHERE, Direction::BottomUp)
        .unwrap();
    assert_eq!(b, 4 * M + 100); // byte-granular: fills the hole
}

#[test]
fn alloc_honours_alignment() {
    let mut mb = mb(&[(0x1000, 0x100000)], &[]);
    let a = mb
        .alloc(0x1000, 0x10000, 0, ALLOC_ANYWHERE, Direction::TopDown)
        .unwrap();
    assert_eq!(a, 0x100000); // highest 64 KiB-aligned start with 4 KiB below 0x101000
    let b = mb
        .alloc(0x1000, 0x10000, 0, ALLOC_ANYWHERE, Direction::BottomUp)
        .unwrap();
    assert_eq!(b, 0x10000);
    assert_eq!(a % 0x10000, 0);
    // Alignment larger than memory: nothing aligned fits except 0, which is not memory.
    assert!(matches!(
        mb.alloc(0x1000, 1 << 40, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace { .. })
    ));
}

#[test]
fn alloc_honours_min_and_max_addr() {
    let mut mb = mb(&[(0, 16 * M)], &[]);
    let a = mb.alloc(PAGE, PAGE, 0, 8 * M, Direction::TopDown).unwrap();
    assert_eq!(a, 8 * M - PAGE);
    let b = mb
        .alloc(PAGE, PAGE, 2 * M, ALLOC_ANYWHERE, Direction::BottomUp)
        .unwrap();
    assert_eq!(b, 2 * M);
    // The window is too small.
    let err = mb
        .alloc(2 * PAGE, PAGE, 4 * M, 4 * M + PAGE, Direction::TopDown)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NoSpace {
            size: 2 * PAGE,
            align: PAGE,
            min_addr: 4 * M,
            max_addr: 4 * M + PAGE
        }
    );
    // An inverted window is simply empty.
    assert!(matches!(
        mb.alloc(1, 1, 8 * M, 4 * M, Direction::BottomUp),
        Err(Error::NoSpace { .. })
    ));
}

#[test]
fn alloc_skips_reserved_and_holes() {
    // Top-down: the top region is too small after reservations, the next one fits.
    let mut mb = mb(&[(0, 0x10000), (0x20000, 0x3000)], &[(0x21000, 0x1000)]);
    let a = mb
        .alloc(0x2000, 0x1000, 0, ALLOC_ANYWHERE, Direction::TopDown)
        .unwrap();
    assert_eq!(a, 0xe000);
    // A range spanning a hole between memory regions is not used.
    let mut mb = mb_two_halves();
    assert!(matches!(
        mb.alloc(0x3000, 1, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace { .. })
    ));
}

fn mb_two_halves() -> Mb {
    mb(&[(0, 0x2000), (0x3000, 0x2000)], &[])
}

#[test]
fn alloc_can_return_zero() {
    let mut mb = mb(&[(0, 0x4000)], &[]);
    assert_eq!(
        mb.alloc(0x1000, 0x1000, 0, ALLOC_ANYWHERE, Direction::BottomUp),
        Ok(0)
    );
}

#[test]
fn alloc_argument_errors() {
    let mut mb = mb(&[(0, 0x4000)], &[]);
    assert_eq!(
        mb.alloc(0, 1, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::ZeroSize)
    );
    assert_eq!(
        mb.alloc(1, 0, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::BadAlign { align: 0 })
    );
    assert_eq!(
        mb.alloc(1, 3, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::BadAlign { align: 3 })
    );
    assert_eq!(
        mb.alloc(0x5000, 1, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace {
            size: 0x5000,
            align: 1,
            min_addr: 0,
            max_addr: ALLOC_ANYWHERE
        })
    );
    assert_eq!(
        mb.alloc(u64::MAX, 1, 0, ALLOC_ANYWHERE, Direction::BottomUp)
            .unwrap_err()
            .to_string(),
        "no free range of 0xffffffffffffffff bytes aligned to 0x1 in [0x0-0xffffffffffffffff)"
    );
    assert!(mb.reserved_regions().is_empty());
}

#[test]
fn alloc_full_reserved_array() {
    let mut mb: Memblock<2> = Memblock::new();
    mb.add(0, 0x10000).unwrap();
    mb.reserve(0x1000, 0x1000).unwrap();
    mb.reserve(0x8000, 0x1000).unwrap();
    // A new isolated reservation needs a third slot.
    let err = mb
        .alloc(0x1000, 0x1000, 0x3000, 0x5000, Direction::BottomUp)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Full {
            kind: RegionKind::Reserved,
            capacity: 2
        }
    );
    assert_eq!(
        mb.reserved_regions(),
        [r(0x1000, 0x1000), r(0x8000, 0x1000)]
    );
    // Next to an existing reservation it merges and succeeds.
    assert_eq!(
        mb.alloc(0x1000, 0x1000, 0, ALLOC_ANYWHERE, Direction::BottomUp),
        Ok(0)
    );
    assert_eq!(
        mb.alloc(0x1000, 0x1000, 0, 0x8000, Direction::TopDown),
        Ok(0x7000)
    );
    assert_eq!(mb.reserved_regions(), [r(0, 0x2000), r(0x7000, 0x2000)]);
    // find_in_range does not reserve.
    let before = mb.reserved_regions().to_vec();
    assert_eq!(
        mb.find_in_range(0x1000, 0x1000, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Ok(0xf000)
    );
    assert_eq!(mb.reserved_regions(), before);
}

#[test]
fn alloc_near_top_of_address_space() {
    let top = u64::MAX - 0xffff; // 0xffff_ffff_ffff_0000
    let mut mb = mb(&[(top, 0xffff)], &[]);
    // Top-down: [top, u64::MAX) holds 0xffff bytes; the highest aligned page start is top + 0xe000.
    assert_eq!(
        mb.alloc(0x1000, 0x1000, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Ok(top + 0xe000)
    );
    // Huge alignment: round_up overflows, nothing found, no panic.
    assert!(matches!(
        mb.alloc(1, 1 << 63, 0, ALLOC_ANYWHERE, Direction::BottomUp),
        Err(Error::NoSpace { .. })
    ));
    assert!(matches!(
        mb.alloc(1, 1 << 63, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace { .. })
    ));
    assert_eq!(
        mb.alloc(0x10, 0x10, top + 0x10, ALLOC_ANYWHERE, Direction::BottomUp),
        Ok(top + 0x10)
    );
    // Size larger than any free range near the top.
    assert!(matches!(
        mb.alloc(u64::MAX - 1, 1, 0, ALLOC_ANYWHERE, Direction::TopDown),
        Err(Error::NoSpace { .. })
    ));
}

// --------------------------------------------------------------- mem= limit

#[test]
fn enforce_memory_limit_counts_memory_not_addresses() {
    // 16 MiB at 0, a hole, 16 MiB at 32 MiB; mem=20M keeps 16 MiB + 4 MiB.
    let mut mb = mb(
        &[(0, 16 * M), (32 * M, 16 * M)],
        &[(M, M), (35 * M, 2 * M), (40 * M, M), (64 * M, M)],
    );
    assert_eq!(mb.enforce_memory_limit(20 * M), Some(36 * M));
    assert_eq!(mb.memory_regions(), [r(0, 16 * M), r(32 * M, 4 * M)]);
    assert_eq!(mb.total_memory(), 20 * M);
    // Reserved regions are truncated too, including those outside memory.
    assert_eq!(mb.reserved_regions(), [r(M, M), r(35 * M, M)]);
}

#[test]
fn enforce_memory_limit_noops() {
    let mut mb = mb(&[(0, 16 * M)], &[(32 * M, M)]);
    assert_eq!(mb.enforce_memory_limit(0), None);
    assert_eq!(mb.enforce_memory_limit(16 * M + 1), None);
    assert_eq!(mb.enforce_memory_limit(u64::MAX), None);
    assert_eq!(mb.memory_regions(), [r(0, 16 * M)]);
    assert_eq!(mb.reserved_regions(), [r(32 * M, M)]);
    // Exactly the total: memory unchanged, reservations above memory dropped (as in Linux).
    assert_eq!(mb.enforce_memory_limit(16 * M), Some(16 * M));
    assert_eq!(mb.memory_regions(), [r(0, 16 * M)]);
    assert!(mb.reserved_regions().is_empty());
    // Limit ending exactly at a region boundary drops the next region entirely.
    let mut mb = mb_two_halves();
    assert_eq!(mb.enforce_memory_limit(0x2000), Some(0x2000));
    assert_eq!(mb.memory_regions(), [r(0, 0x2000)]);
    // Byte-granular limit.
    let mut mb = mb_two_halves();
    assert_eq!(mb.enforce_memory_limit(0x2001), Some(0x3001));
    assert_eq!(mb.memory_regions(), [r(0, 0x2000), r(0x3000, 1)]);
}

#[test]
fn cap_memory_range_keeps_only_the_range() {
    let mut mb = mb(
        &[(0, 0x4000), (0x8000, 0x4000)],
        &[(0x1000, 0x1000), (0x3000, 0x6000), (0xb000, 0x2000)],
    );
    mb.cap_memory_range(0x2000, 0x8000);
    assert_eq!(mb.memory_regions(), [r(0x2000, 0x2000), r(0x8000, 0x2000)]);
    assert_eq!(mb.reserved_regions(), [r(0x3000, 0x6000)]);
    mb.cap_memory_range(0x2000, 0); // no-op
    assert_eq!(mb.memory_regions(), [r(0x2000, 0x2000), r(0x8000, 0x2000)]);
    mb.cap_memory_range(0x9000, u64::MAX); // clamped
    assert_eq!(mb.memory_regions(), [r(0x9000, 0x1000)]);
    assert!(mb.reserved_regions().is_empty());
    mb.cap_memory_range(0x100000, 1);
    assert!(mb.memory_regions().is_empty());
}

// ---------------------------------------------------------------- queries

#[test]
fn queries() {
    let mb = mb(
        &[(0x1000, 0x3000), (0x8000, 0x1000)],
        &[(0x2000, 0x1000), (0x10000, 0x1000)],
    );
    assert!(!mb.is_reserved(0x1fff));
    assert!(mb.is_reserved(0x2000));
    assert!(mb.is_reserved(0x2fff));
    assert!(!mb.is_reserved(0x3000));
    assert!(mb.is_reserved(0x10000)); // reserved outside memory

    assert!(mb.overlaps_reserved(0x1000, 0x1001));
    assert!(!mb.overlaps_reserved(0x1000, 0x1000));
    assert!(!mb.overlaps_reserved(0x3000, 0x5000));
    assert!(!mb.overlaps_reserved(0x2800, 0)); // empty range
    assert!(mb.overlaps_reserved(0x3000, u64::MAX)); // clamped
    assert!(!mb.overlaps_reserved(u64::MAX, u64::MAX));

    assert!(mb.is_memory(0x1000, 0x3000));
    assert!(mb.is_memory(0x3fff, 1));
    assert!(!mb.is_memory(0x3fff, 2));
    assert!(!mb.is_memory(0x1000, 0x8000)); // spans a hole
    assert!(!mb.is_memory(0x1000, 0)); // empty
    assert!(!mb.is_memory(0x8000, u64::MAX)); // wraps
    assert!(!mb.is_memory(0, 0x1000));

    assert_eq!(mb.total_memory(), 0x4000);
    assert_eq!(mb.reserved_size(), 0x2000);
    assert_eq!(mb.free_size(), 0x3000);
    assert_eq!(mb.start_of_dram(), Some(0x1000));
    assert_eq!(mb.end_of_dram(), Some(0x9000));
}

#[test]
fn region_helpers() {
    let x = r(0x1000, 0x1000);
    assert_eq!(x.end(), 0x2000);
    assert!(x.contains(0x1000) && x.contains(0x1fff) && !x.contains(0x2000) && !x.contains(0xfff));
    assert!(!x.is_empty() && r(5, 0).is_empty());
    assert_eq!(r(u64::MAX, 5).end(), u64::MAX); // saturates
    assert_eq!(x.to_string(), "[0x0000000000001000-0x0000000000001fff]");
    assert_eq!(Direction::default(), Direction::TopDown);
}

// ------------------------------------------------------------ dump, errors

#[test]
fn dump_matches_linux_format() {
    let mb = mb(&[(0, 128 * M), (256 * M, 64 * M)], &[(0, 0x4000)]);
    let mut out = String::new();
    mb.dump(&mut out).unwrap();
    assert_eq!(
        out,
        "MEMBLOCK configuration:\n\
         \x20memory size = 0x000000000c000000 reserved size = 0x0000000000004000\n\
         \x20memory.cnt  = 0x2\n\
         \x20memory[0x0]\t[0x0000000000000000-0x0000000007ffffff], 0x0000000008000000 bytes flags: 0x0\n\
         \x20memory[0x1]\t[0x0000000010000000-0x0000000013ffffff], 0x0000000004000000 bytes flags: 0x0\n\
         \x20reserved.cnt  = 0x1\n\
         \x20reserved[0x0]\t[0x0000000000000000-0x0000000000003fff], 0x0000000000004000 bytes flags: 0x0\n"
    );
    let mut out = String::new();
    Mb::new().dump(&mut out).unwrap();
    assert_eq!(
        out,
        "MEMBLOCK configuration:\n memory size = 0x0000000000000000 reserved size = 0x0000000000000000\n memory.cnt  = 0x0\n reserved.cnt  = 0x0\n"
    );
}

#[test]
fn error_messages() {
    let cases = [
        (
            Error::Full {
                kind: RegionKind::Memory,
                capacity: 128,
            },
            "the memory region array is full (128 regions)",
        ),
        (
            Error::Full {
                kind: RegionKind::Reserved,
                capacity: 2,
            },
            "the reserved region array is full (2 regions)",
        ),
        (
            Error::Overflow {
                base: u64::MAX,
                size: 2,
            },
            "range at 0xffffffffffffffff of size 0x2 wraps past the end of the 64-bit address space",
        ),
        (
            Error::BadAlign { align: 3 },
            "alignment 0x3 is not a power of two",
        ),
        (Error::ZeroSize, "cannot allocate 0 bytes"),
        (
            Error::NoSpace {
                size: 0x2000,
                align: 0x2000,
                min_addr: 0,
                max_addr: 0x100000,
            },
            "no free range of 0x2000 bytes aligned to 0x2000 in [0x0-0x100000)",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(err.to_string(), text);
    }
    assert_eq!(RegionKind::Reserved.name(), "reserved");
}
