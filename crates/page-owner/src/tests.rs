//! Unit tests: each operation and each refusal.

use super::*;

fn owner(c: u8) -> OwnerCode {
    OwnerCode::new(c).unwrap()
}

#[test]
fn owner_codes() {
    assert!(OwnerCode::new(0).is_none());
    assert!(OwnerCode::new(MAX_OWNERS as u8).is_none());
    assert_eq!(OwnerCode::new(63).unwrap().get(), 63);
}

#[test]
fn record_lookup_release() {
    let mut slots = [Slot::EMPTY; 64];
    let mut t = PageOwners::new(0x1000, &mut slots);
    t.record(0x1008, 8, Source::Buddy, owner(3), "heap.rs:1").unwrap();
    t.record(0x1020, 5, Source::Cma, owner(7), "dma.rs:9").unwrap();
    assert_eq!(t.counts().get(Source::Buddy, owner(3)), 8);
    assert_eq!(t.counts().get(Source::Cma, owner(7)), 5);
    assert_eq!(t.counts().source_total(Source::Buddy), 8);
    let r = t.lookup(0x100f).unwrap();
    assert_eq!((r.pfn, r.pages, r.source, r.owner, r.site), (0x1008, 8, Source::Buddy, owner(3), Some("heap.rs:1")));
    assert!(t.lookup(0x1010).is_none());
    assert!(t.lookup(0x1007).is_none());
    assert_eq!(t.lookup(0x1024).unwrap().pfn, 0x1020);
    assert!(t.lookup(0x1025).is_none());
    assert!(t.lookup(0x2000).is_none());
    assert_eq!(t.recount().counts, *t.counts());
    let gone = t.release(0x1008, 8, Source::Buddy).unwrap();
    assert_eq!(gone.owner, owner(3));
    assert_eq!(t.counts().get(Source::Buddy, owner(3)), 0);
    assert!(t.lookup(0x100f).is_none());
    assert_eq!(t.records().map(|r| r.pfn).collect::<Vec<_>>(), vec![0x1020]);
}

#[test]
fn refusals_change_nothing() {
    let mut slots = [Slot::EMPTY; 16];
    let mut t = PageOwners::new(100, &mut slots);
    t.record(104, 4, Source::Buddy, owner(1), ()).unwrap();
    let before = *t.counts();
    assert_eq!(t.record(104, 1, Source::Cma, owner(2), ()), Err(OwnerError::AlreadyRecorded { pfn: 104, pages: 4, owner: 1 }));
    assert!(matches!(t.record(99, 1, Source::Buddy, owner(2), ()), Err(OwnerError::OutOfRange { .. })));
    assert!(matches!(t.record(112, 5, Source::Buddy, owner(2), ()), Err(OwnerError::OutOfRange { .. })));
    assert!(matches!(t.record(usize::MAX, 5, Source::Buddy, owner(2), ()), Err(OwnerError::OutOfRange { .. })));
    assert_eq!(t.record(105, 0, Source::Buddy, owner(2), ()), Err(OwnerError::BadSize { pages: 0 }));
    assert_eq!(t.release(105, 1, Source::Buddy), Err(OwnerError::NotRecorded { pfn: 105 }));
    assert!(matches!(t.release(104, 2, Source::Buddy), Err(OwnerError::Mismatch { recorded_pages: 4, .. })));
    assert!(matches!(t.release(104, 4, Source::Cma), Err(OwnerError::Mismatch { recorded_source: Source::Buddy, .. })));
    assert_eq!(*t.counts(), before);
    t.release(104, 4, Source::Buddy).unwrap();
    assert_eq!(t.release(104, 4, Source::Buddy), Err(OwnerError::NotRecorded { pfn: 104 }));
}

#[test]
fn recount_finds_what_counters_miss() {
    let mut slots = [Slot::EMPTY; 16];
    let mut t = PageOwners::new(0, &mut slots);
    t.record(0, 4, Source::Buddy, owner(1), ()).unwrap();
    t.record(2, 1, Source::Buddy, owner(2), ()).unwrap(); // inside the first block
    let r = t.recount();
    assert_eq!(r.overlaps, 1);
    assert_eq!(r.counts, *t.counts());
}

#[test]
fn messages_name_the_frame() {
    let e = OwnerError::Mismatch { pfn: 0x10, pages: 2, source: Source::Buddy, recorded_pages: 4, recorded_source: Source::Cma };
    assert_eq!(e.to_string(), "pfn 0x10 starts a CMA block of 4 pages, not a buddy block of 2");
    assert!(OwnerError::NotRecorded { pfn: 0x20 }.to_string().contains("0x20"));
}

#[test]
fn forget_clears_once() {
    let mut slots = [Slot::EMPTY; 16];
    let mut t = PageOwners::new(0, &mut slots);
    t.record(4, 2, Source::Cma, owner(9), ()).unwrap();
    let r = t.check(4, 2, Source::Cma).unwrap();
    t.forget(&r);
    assert_eq!(t.counts().source_total(Source::Cma), 0);
    t.record(4, 1, Source::Buddy, owner(9), ()).unwrap();
    t.forget(&r); // stale: another block starts there now
    assert_eq!(t.counts().source_total(Source::Buddy), 1);
    assert_eq!(t.lookup(4).unwrap().pages, 1);
}
