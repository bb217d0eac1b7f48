use super::*;
use crate::class::INFO;
use crate::mock::{HostArena, Mock, MockError, PAGE};
use std::vec::Vec;

const GROW_MIN: usize = 256 << 10;

fn lay(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

/// A heap over a fresh arena of `bytes` (0: no arena) and a mock source.
fn heap(bytes: usize) -> (HostArena, KHeap<Mock>) {
    let arena = HostArena::new(bytes.max(PAGE));
    let mut h = KHeap::new(Mock::new(), GROW_MIN);
    if bytes > 0 {
        unsafe { h.add_region(arena.ptr, arena.len()).unwrap() };
    }
    (arena, h)
}

fn total_region_bytes(s: &Stats) -> usize {
    s.used + s.free + s.slab_overhead
}

#[test]
fn class_of_picks_the_smallest_fitting_class() {
    for size in 0..=MAX_SMALL + 64 {
        for shift in 0..14 {
            let align = 1usize << shift;
            let got = class_of(lay(size, align));
            let want = (0..NCLASSES).find(|&c| CLASS_SIZES[c] >= size && INFO[c].align as usize >= align);
            assert_eq!(got, want, "size {size} align {align}");
            if let Some(c) = got {
                assert_eq!(CLASS_SIZES[c] % align.min(INFO[c].align as usize), 0);
            }
        }
    }
    assert_eq!(class_of(lay(1, 1)), Some(0));
    assert_eq!(class_of(lay(MAX_SMALL + 1, 8)), None);
    assert_eq!(class_of(lay(8, 2048)), None);
}

#[test]
fn reciprocal_division_is_exact() {
    for info in INFO {
        for off in 0..SLAB_SIZE as u64 {
            assert_eq!((off * info.recip) >> 32, off / info.size as u64, "size {} off {off}", info.size);
        }
    }
}

#[test]
fn slab_geometry() {
    for (c, info) in INFO.iter().enumerate() {
        let used = info.first as usize + info.nobjs as usize * info.size as usize;
        assert!(used <= SLAB_SIZE);
        // At most an eighth of a slab is header and tail.
        assert!(SLAB_SIZE - info.nobjs as usize * info.size as usize <= SLAB_SIZE / 8, "class {c}: {info:?}");
        assert!(info.first as usize >= core::mem::size_of::<Slab>());
        assert_eq!(info.first % info.align, 0);
    }
    assert_eq!(objects_per_slab(0), (SLAB_SIZE - 96) / 16);
    assert_eq!(objects_per_slab(NCLASSES - 1), 7);
}

#[test]
fn small_allocations_are_distinct_aligned_and_come_back() {
    let (arena, mut h) = heap(2 << 20);
    let mut v = Vec::new();
    for i in 0..3000 {
        let l = lay(1 + i % 700, 1 << (i % 5));
        let p = h.alloc(l).unwrap();
        assert_eq!(p.as_ptr() as usize % l.align(), 0);
        assert!(p.as_ptr() >= arena.ptr && (p.as_ptr() as usize) < arena.ptr as usize + arena.len());
        unsafe { p.as_ptr().write_bytes(i as u8, l.size()) };
        v.push((p, l, i as u8));
    }
    let mut spans: Vec<(usize, usize)> = v.iter().map(|(p, l, _)| (p.as_ptr() as usize, l.size())).collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "overlap");
    }
    h.check().unwrap();
    assert_eq!(h.source().allocs, 0, "2 MiB arena is enough");
    for (p, l, b) in v.drain(..) {
        let s = unsafe { core::slice::from_raw_parts(p.as_ptr(), l.size()) };
        assert!(s.iter().all(|&x| x == b));
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    h.check().unwrap();
    let s = h.stats();
    assert_eq!(s.used, 0);
    assert_eq!(s.large_used, 0);
    assert!(s.slabs <= NCLASSES, "one spare per class at most: {}", s.slabs);
    assert!(s.classes.iter().all(|c| c.live == 0 && c.slabs <= 1));
    assert_eq!(total_region_bytes(&s), arena.len());
}

#[test]
fn a_full_slab_leaves_the_partial_list_and_comes_back() {
    let (_arena, mut h) = heap(1 << 20);
    let n = objects_per_slab(3);
    let l = lay(64, 8);
    let v: Vec<_> = (0..n + 1).map(|_| h.alloc(l).unwrap()).collect();
    assert_eq!(h.stats().classes[3].slabs, 2);
    assert_eq!(h.stats().classes[3].capacity as usize, 2 * n);
    h.check().unwrap();
    // The first slab is full and on no list; freeing from it relists it.
    unsafe { h.free(v[5].as_ptr(), l).unwrap() };
    h.check().unwrap();
    // The freed object is reused (LIFO) before a new slab is made.
    let again = h.alloc(l).unwrap();
    assert_eq!(again, v[5]);
    assert_eq!(h.stats().classes[3].slabs, 2);
    for p in v.iter().skip(6).chain(v[..5].iter()).chain([&again]) {
        unsafe { h.free(p.as_ptr(), l).unwrap() };
        h.check().unwrap();
    }
    // Both empty, both in the arena: one kept as the class's spare.
    assert_eq!(h.stats().classes[3].slabs, 1);
}

#[test]
fn an_empty_slab_goes_back_and_its_grown_block_with_it() {
    let (_arena, mut h) = heap(0);
    let l = lay(100, 8);
    let p = h.alloc(l).unwrap();
    let s = h.stats();
    assert_eq!((s.regions, s.source_pages, s.slabs, s.grows), (1, GROW_MIN / PAGE, 1, 1));
    unsafe { h.free(p.as_ptr(), l).unwrap() };
    let s = h.stats();
    assert_eq!((s.regions, s.source_pages, s.slabs, s.used), (0, 0, 0, 0));
    assert_eq!(h.source().outstanding(), 0);
    assert_eq!(h.source().bad_returns, 0);
    // No spare outside a permanent region: the next one grows again.
    let p = h.alloc(l).unwrap();
    unsafe { h.free(p.as_ptr(), l).unwrap() };
    assert_eq!(h.source().allocs, 2);
    assert_eq!(h.source().outstanding(), 0);
}

#[test]
fn a_spare_slab_in_the_arena_stops_thrashing() {
    let (_arena, mut h) = heap(64 << 10);
    let l = lay(40, 8);
    let first = h.alloc(l).unwrap();
    unsafe { h.free(first.as_ptr(), l).unwrap() };
    for _ in 0..1000 {
        let p = h.alloc(l).unwrap();
        assert_eq!(p, first);
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    let s = h.stats();
    assert_eq!((s.slabs, s.used, s.grows), (1, 0, 0));
    h.check().unwrap();
}

#[test]
fn slabs_fill_the_arena_then_grow_then_give_back() {
    let (_arena, mut h) = heap(64 << 10);
    let l = lay(256, 8);
    let v: Vec<_> = (0..2000).map(|_| h.alloc(l).unwrap()).collect();
    let s = h.stats();
    assert!(s.grows >= 1 && s.regions >= 2, "{s:?}");
    assert_eq!(s.used, 2000 * 256);
    for p in v {
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    let s = h.stats();
    assert_eq!((s.regions, s.source_pages, s.used), (1, 0, 0));
    assert_eq!(h.source().outstanding(), 0);
    h.check().unwrap();
}

#[test]
fn large_allocations_use_regions_and_grow() {
    let (_arena, mut h) = heap(64 << 10);
    let l = lay(1 << 20, 8);
    let p = h.alloc(l).unwrap();
    let s = h.stats();
    assert_eq!((s.regions, s.source_pages), (2, (2 << 20) / PAGE), "1 MiB + header needs 2 MiB");
    assert_eq!(s.large_used, 1 << 20);
    unsafe { p.as_ptr().write_bytes(1, 1 << 20) };
    // A second large one fits in the arena? No: 64 KiB. A small one does.
    let q = h.alloc(lay(2000, 8)).unwrap();
    assert!(q.as_ptr() < _arena.ptr.wrapping_add(64 << 10) && q.as_ptr() >= _arena.ptr);
    unsafe {
        h.free(p.as_ptr(), l).unwrap();
        h.free(q.as_ptr(), lay(2000, 8)).unwrap();
    }
    let s = h.stats();
    assert_eq!((s.regions, s.source_pages, s.used), (1, 0, 0));
    assert_eq!(h.source().outstanding(), 0);
}

#[test]
fn alignment_beyond_the_classes_goes_to_the_regions() {
    let (_arena, mut h) = heap(256 << 10);
    for align in [2048usize, 4096, 8192, 16384, 65536] {
        let l = lay(24, align);
        assert_eq!(class_of(l), None);
        let p = h.alloc(l).unwrap();
        assert_eq!(p.as_ptr() as usize % align, 0);
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    assert_eq!(h.stats().used, 0);
    assert_eq!(h.source().outstanding(), 0);
}

#[test]
fn zero_sized_layouts_work() {
    let (_arena, mut h) = heap(64 << 10);
    let l = lay(0, 1);
    let p = h.alloc(l).unwrap();
    assert_eq!(h.stats().used, 16);
    unsafe { h.free(p.as_ptr(), l).unwrap() };
    assert_eq!(h.stats().used, 0);
}

#[test]
fn too_large_and_no_slot_and_source_failures_are_errors() {
    let (_arena, mut h) = heap(0);
    assert!(matches!(h.alloc(lay(9 << 20, 8)), Err(AllocError::TooLarge { .. })));
    h.source_mut().fail_next = 1;
    assert!(matches!(h.alloc(lay(64, 8)), Err(AllocError::Source(MockError::Injected))));
    assert_eq!(h.stats().grow_failures, 2);
    assert_eq!((h.stats().regions, h.stats().slabs), (0, 0));
    h.check().unwrap();

    // Each 9000-byte allocation needs its own 16 KiB block.
    let mut h = KHeap::new(Mock::new(), 16 << 10);
    let l = lay(9000, 8);
    let v: Vec<_> = (0..MAX_REGIONS).map(|_| h.alloc(l).unwrap()).collect();
    assert_eq!(h.stats().regions, MAX_REGIONS);
    assert!(matches!(h.alloc(l), Err(AllocError::NoSlot)));
    for p in v {
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    assert_eq!(h.source().outstanding(), 0);
    let e = AllocError::<MockError>::NoSlot;
    assert_eq!(std::format!("{e}"), "all 64 heap regions in use");
}

#[test]
fn a_misaligned_block_is_given_back() {
    let (_arena, mut h) = heap(0);
    h.source_mut().misalign = true;
    assert!(matches!(h.alloc(lay(64, 8)), Err(AllocError::Misaligned { .. })));
    assert_eq!(h.source().outstanding(), 0);
    assert_eq!(h.source().bad_returns, 0);
    h.source_mut().misalign = false;
    let p = h.alloc(lay(64, 8)).unwrap();
    unsafe { h.free(p.as_ptr(), lay(64, 8)).unwrap() };
    assert_eq!(h.source().outstanding(), 0);
}

#[test]
fn bad_frees_are_refused_and_change_nothing() {
    let (arena, mut h) = heap(256 << 10);
    let small = lay(64, 8);
    let big = lay(5000, 8);
    let a = h.alloc(small).unwrap().as_ptr();
    let b = h.alloc(small).unwrap().as_ptr();
    let g = h.alloc(big).unwrap().as_ptr();
    let freed = h.alloc(small).unwrap().as_ptr();
    unsafe { h.free(freed, small).unwrap() };
    let before = h.stats();
    let mut local = 0u64;
    let cases: [(*mut u8, Layout, FreeError); 12] = [
        ((&raw mut local).cast(), small, FreeError::NotOwned),
        ((&raw mut local).cast(), big, FreeError::NotOwned),
        (8 as *mut u8, small, FreeError::NotOwned),
        (g, small, FreeError::NotSlab),
        (g.wrapping_add(64), small, FreeError::NotSlab),
        (a, lay(100, 8), FreeError::WrongClass { slab_size: 64, layout_size: 100 }),
        (a.wrapping_add(8), small, FreeError::NotObject),
        (freed, small, FreeError::DoubleFree),
        (b, big, FreeError::InSlab),
        (g, lay(300 << 10, 8), FreeError::PastRegion),
        (g.wrapping_add(4), big, FreeError::Misaligned),
        (g.wrapping_add(64), lay(5000, 128), FreeError::Misaligned),
    ];
    for (p, l, want) in cases {
        assert_eq!(unsafe { h.free(p, l) }, Err(want), "{p:p} {l:?}");
    }
    // Never handed out at all (beyond `bump`): not an object.
    let unused = a.wrapping_add(64 * 10);
    assert_eq!(unsafe { h.free(unused, small) }, Err(FreeError::NotObject));
    let after = h.stats();
    assert_eq!(after.bad_frees, 13);
    assert_eq!(after.double_frees, 1);
    assert_eq!(Stats { bad_frees: before.bad_frees, double_frees: before.double_frees, ..after }, before);
    h.check().unwrap();
    unsafe {
        h.free(a, small).unwrap();
        h.free(b, small).unwrap();
        h.free(g, big).unwrap();
    }
    assert_eq!(h.stats().used, 0);
    assert!(arena.len() > 0);
    let msg = std::format!("{}", FreeError::WrongClass { slab_size: 64, layout_size: 100 });
    assert!(msg.contains("64-byte"), "{msg}");
}

#[test]
fn a_write_after_free_is_detected_and_repaired() {
    let (_arena, mut h) = heap(256 << 10);
    let l = lay(64, 8);
    let v: Vec<_> = (0..4).map(|_| h.alloc(l).unwrap().as_ptr()).collect();
    unsafe {
        h.free(v[0], l).unwrap();
        h.free(v[1], l).unwrap();
        // v[1] heads the list; point its link at v[2], which is live.
        (v[1] as *mut u16).write(2);
    }
    let x = h.alloc(l).unwrap().as_ptr();
    let y = h.alloc(l).unwrap().as_ptr();
    let z = h.alloc(l).unwrap().as_ptr();
    assert_eq!(h.stats().corrupt_free_lists, 1);
    let mut got = [x, y, z, v[2], v[3]];
    got.sort();
    assert!(got.windows(2).all(|w| w[0] != w[1]), "an object handed out twice");
    // A cut list (link to NONE) on a slab whose bump is exhausted.
    h.check().unwrap();
    for p in [x, y, z, v[2], v[3]] {
        unsafe { h.free(p, l).unwrap() };
    }
    assert_eq!(h.stats().used, 0);
}

#[test]
fn a_cut_free_list_is_rebuilt() {
    let (_arena, mut h) = heap(256 << 10);
    let l = lay(1024, 8);
    let n = objects_per_slab(NCLASSES - 1);
    let v: Vec<_> = (0..n).map(|_| h.alloc(l).unwrap().as_ptr()).collect();
    unsafe {
        h.free(v[1], l).unwrap();
        h.free(v[4], l).unwrap();
        // Head v[4] -> v[1]: cut it after v[4].
        (v[4] as *mut u16).write(u16::MAX);
    }
    let x = h.alloc(l).unwrap().as_ptr();
    let y = h.alloc(l).unwrap().as_ptr();
    assert_eq!(h.stats().corrupt_free_lists, 1);
    assert_eq!(h.stats().classes[NCLASSES - 1].slabs, 1, "no new slab needed");
    assert!(x != y && [x, y].contains(&v[1]) && [x, y].contains(&v[4]));
}

#[test]
fn realloc_stays_in_place_within_a_class_and_copies_across() {
    let (_arena, mut h) = heap(256 << 10);
    let l = lay(20, 8);
    let p = h.alloc(l).unwrap().as_ptr();
    unsafe { p.write_bytes(0x11, 20) };
    assert!(KHeap::<Mock>::realloc_in_place(l, 32));
    let q = unsafe { h.realloc(p, l, 32).unwrap().as_ptr() };
    assert_eq!(p, q);
    assert!(!KHeap::<Mock>::realloc_in_place(lay(32, 8), 100));
    let r = unsafe { h.realloc(q, lay(32, 8), 100).unwrap().as_ptr() };
    assert_ne!(r, q);
    let s = unsafe { h.realloc(r, lay(100, 8), 5000).unwrap().as_ptr() };
    let t = unsafe { h.realloc(s, lay(5000, 8), 10).unwrap().as_ptr() };
    assert!(unsafe { core::slice::from_raw_parts(t, 10) }.iter().all(|&x| x == 0x11));
    unsafe { h.free(t, lay(10, 8)).unwrap() };
    let st = h.stats();
    assert_eq!((st.used, st.bad_frees), (0, 0));
}

#[test]
fn stats_add_up() {
    let (arena, mut h) = heap(128 << 10);
    let mut v = Vec::new();
    for i in 0..500usize {
        let l = lay(1 + (i * 37) % 3000, 8);
        v.push((h.alloc(l).unwrap(), l));
    }
    let s = h.stats();
    assert_eq!(total_region_bytes(&s), arena.len() + s.source_pages * PAGE);
    assert_eq!(s.source_pages, h.source().pages());
    let used: usize = v
        .iter()
        .map(|(_, l)| match class_of(*l) {
            Some(c) => CLASS_SIZES[c],
            None => l.size().max(16).next_multiple_of(8),
        })
        .sum();
    assert_eq!(s.used, used);
    for (p, l) in v {
        unsafe { h.free(p.as_ptr(), l).unwrap() };
    }
    assert_eq!(h.stats().used, 0);
    assert_eq!(h.source().outstanding(), 0);
}

#[test]
fn add_region_trims_to_whole_chunks() {
    let arena = HostArena::new(64 << 10);
    let mut h = KHeap::new(Mock::new(), GROW_MIN);
    assert_eq!(unsafe { h.add_region(arena.ptr.wrapping_add(100), 8000) }, Err(AddRegionError::TooSmall));
    unsafe { h.add_region(arena.ptr.wrapping_add(100), (64 << 10) - 100).unwrap() };
    let s = h.stats();
    assert_eq!((s.regions, s.free), (1, 56 << 10));
}
