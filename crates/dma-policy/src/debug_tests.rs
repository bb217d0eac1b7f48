use super::*;
use core::convert::Infallible;
use core::ops::ControlFlow;
use proptest::prelude::*;
use test_support::{ModelCheck, run_ops};

const DIRECT: u64 = 0x8000_0000;
type T = Table<u32>;

fn table() -> T {
    Table::new(DIRECT, 0x8000_0000)
}

fn single(dev: &'static str, bus: u64, len: u64, dir: Direction, site: u32) -> Mapping<u32> {
    Mapping { dev, kind: Kind::Single, dir, segs: vec![Seg { bus, pa: bus.wrapping_sub(DIRECT), len }], site }
}

fn unmap<'a>(dev: &'static str, kind: Kind, dir: Direction, segs: &'a [Seg]) -> Unmap<'a> {
    Unmap { dev, kind, dir, segs }
}

#[test]
fn same_direct_address_twice_is_not_a_problem() {
    let mut t = table();
    let bus = DIRECT + 0x4000;
    assert_eq!(t.try_insert(single("a", bus, 100, Direction::ToDevice, 1)).unwrap(), None);
    assert_eq!(t.try_insert(single("a", bus, 100, Direction::ToDevice, 2)).unwrap(), None);
    assert_eq!(t.len(), 2);
    let seg = [Seg { bus, pa: 0, len: 100 }];
    assert!(t.remove(&unmap("a", Kind::Single, Direction::ToDevice, &seg)).is_ok());
    assert_eq!(t.len(), 1);
    assert!(t.remove(&unmap("a", Kind::Single, Direction::ToDevice, &seg)).is_ok());
    assert!(t.is_empty());
    // A third unmap is a double unmap.
    assert_eq!(t.remove(&unmap("a", Kind::Single, Direction::ToDevice, &seg)), Err(UnmapProblem::NotMapped { other: None }));
}

#[test]
fn iommu_address_live_twice_is_reported() {
    let mut t = table();
    let bus = 0x4000_2000;
    assert_eq!(t.try_insert(single("a", bus, 100, Direction::ToDevice, 1)).unwrap(), None);
    let clash = t.try_insert(single("b", bus, 50, Direction::FromDevice, 2)).unwrap().expect("clash");
    assert_eq!((clash.dev, clash.site), ("a", 1));
    assert_eq!(t.len(), 2);
}

#[test]
fn best_fit_picks_the_matching_duplicate() {
    // The same page mapped ToDevice and FromDevice through the direct
    // window; unmapping the second first must not take the first.
    let mut t = table();
    let bus = DIRECT + 0x10_0000;
    t.try_insert(single("a", bus, 100, Direction::ToDevice, 1)).unwrap();
    t.try_insert(single("a", bus, 200, Direction::FromDevice, 2)).unwrap();
    let seg = [Seg { bus, pa: 0, len: 200 }];
    assert_eq!(t.remove(&unmap("a", Kind::Single, Direction::FromDevice, &seg)).map(|m| m.site), Ok(2));
    let seg = [Seg { bus, pa: 0, len: 100 }];
    assert_eq!(t.remove(&unmap("a", Kind::Single, Direction::ToDevice, &seg)).map(|m| m.site), Ok(1));
    assert!(t.is_empty());
}

#[test]
fn every_mismatch_is_named_and_nothing_removed() {
    let mut t = table();
    let bus = 0x4000_0000;
    t.try_insert(single("a", bus, 512, Direction::ToDevice, 7)).unwrap();
    let seg = [Seg { bus, pa: 0, len: 256 }];
    match t.remove(&unmap("a", Kind::Sg, Direction::FromDevice, &seg)) {
        Err(UnmapProblem::Mismatch { mapped, diffs }) => {
            assert_eq!(mapped.site, 7);
            assert_eq!(
                diffs,
                vec![
                    Diff::Size { mapped: 512, unmapped: 256 },
                    Diff::Kind { mapped: Kind::Single, unmapped: Kind::Sg },
                    Diff::Direction { mapped: Direction::ToDevice, unmapped: Direction::FromDevice },
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.len(), 1);
    // Another device at the same address: not mapped, with a hint.
    let seg = [Seg { bus, pa: 0, len: 512 }];
    match t.remove(&unmap("b", Kind::Single, Direction::ToDevice, &seg)) {
        Err(UnmapProblem::NotMapped { other: Some(m) }) => assert_eq!(m.dev, "a"),
        other => panic!("{other:?}"),
    }
    assert!(t.remove(&unmap("a", Kind::Single, Direction::ToDevice, &seg)).is_ok());
}

#[test]
fn coherent_cpu_address_and_sg_segments_are_compared() {
    let mut t = table();
    let bus = DIRECT + 0x2000;
    t.try_insert(Mapping { dev: "a", kind: Kind::Coherent, dir: Direction::Bidirectional, segs: vec![Seg { bus, pa: 0x2000, len: 8192 }], site: 1 }).unwrap();
    let wrong = [Seg { bus, pa: 0x4000, len: 8192 }];
    assert!(matches!(
        t.remove(&unmap("a", Kind::Coherent, Direction::Bidirectional, &wrong)),
        Err(UnmapProblem::Mismatch { diffs, .. }) if diffs == [Diff::CpuAddress { mapped: 0x2000, unmapped: 0x4000 }]
    ));
    let sg = vec![Seg { bus: 0x4000_0010, pa: 0x10, len: 100 }, Seg { bus: 0x4000_2020, pa: 0x8020, len: 200 }];
    t.try_insert(Mapping { dev: "a", kind: Kind::Sg, dir: Direction::ToDevice, segs: sg.clone(), site: 2 }).unwrap();
    assert!(matches!(
        t.remove(&unmap("a", Kind::Sg, Direction::ToDevice, &sg[..1])),
        Err(UnmapProblem::Mismatch { diffs, .. }) if diffs == [Diff::Size { mapped: 300, unmapped: 100 }, Diff::Entries { mapped: 2, unmapped: 1 }]
    ));
    let mut moved = sg.clone();
    moved[1].bus += 0x2000;
    assert!(matches!(
        t.remove(&unmap("a", Kind::Sg, Direction::ToDevice, &moved)),
        Err(UnmapProblem::Mismatch { diffs, .. }) if matches!(diffs[..], [Diff::Segment { index: 1, .. }])
    ));
    assert_eq!(t.remove(&unmap("a", Kind::Sg, Direction::ToDevice, &sg)).map(|m| m.site), Ok(2));
}

#[test]
fn sync_checks() {
    let mut t = table();
    let bus = DIRECT + 0x6000;
    t.try_insert(single("a", bus, 1000, Direction::ToDevice, 1)).unwrap();
    // Inside, same direction: fine, also for the CPU.
    assert_eq!(t.check_sync("a", bus + 10, 100, Direction::ToDevice), Ok(()));
    // Wrong direction.
    assert!(matches!(t.check_sync("a", bus, 1000, Direction::FromDevice), Err(SyncProblem::Direction { .. })));
    assert!(matches!(t.check_sync("a", bus, 1000, Direction::Bidirectional), Err(SyncProblem::Direction { .. })));
    // Running past the end.
    assert!(matches!(t.check_sync("a", bus + 900, 200, Direction::ToDevice), Err(SyncProblem::Outside { .. })));
    // Outside any mapping, or another device's.
    assert_eq!(t.check_sync("a", bus + 1000, 1, Direction::ToDevice), Err(SyncProblem::NotMapped));
    assert_eq!(t.check_sync("b", bus, 1, Direction::ToDevice), Err(SyncProblem::NotMapped));
    // The same memory mapped bidirectionally as well: any direction fits.
    t.try_insert(single("a", bus, 1000, Direction::Bidirectional, 2)).unwrap();
    assert_eq!(t.check_sync("a", bus, 1000, Direction::FromDevice), Ok(()));
    // SG segments are checked one by one.
    let sg = vec![Seg { bus: 0x4000_0000, pa: 0, len: 8192 }, Seg { bus: 0x4000_2000, pa: 0x10_0000, len: 100 }];
    t.try_insert(Mapping { dev: "c", kind: Kind::Sg, dir: Direction::FromDevice, segs: sg, site: 3 }).unwrap();
    assert_eq!(t.check_sync("c", 0x4000_2000, 100, Direction::FromDevice), Ok(()));
    assert!(matches!(t.check_sync("c", 0x4000_2000, 101, Direction::FromDevice), Err(SyncProblem::Outside { .. })));
}

#[test]
fn freed_memory_overlap() {
    let mut t = table();
    t.try_insert(single("a", DIRECT + 0x4000, 100, Direction::ToDevice, 1)).unwrap();
    assert!(t.overlapping_phys(0x4000, 8192).is_some());
    assert!(t.overlapping_phys(0x4000 + 100, 8192).is_none());
    assert!(t.overlapping_phys(0x2000, 8192).is_none());
    assert!(t.overlapping_phys(0x2000, 8193).is_some());
}

/// One mapping as the model sees it.
#[derive(Clone, Debug, PartialEq)]
struct M {
    dev: &'static str,
    kind: Kind,
    dir: Direction,
    segs: Vec<Seg>,
}

fn arb_dir() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::ToDevice), Just(Direction::FromDevice), Just(Direction::Bidirectional)]
}

fn arb_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Single), Just(Kind::Coherent), Just(Kind::Sg)]
}

/// Mappings in the direct window over a few pages, so that duplicates and
/// near-duplicates are common.
fn arb_mapping() -> impl Strategy<Value = M> {
    (prop_oneof![Just("a"), Just("b")], arb_kind(), arb_dir(), 0u64..3, 1u64..3, 1u64..3).prop_map(|(dev, kind, dir, page, len, n)| {
        let n = if kind == Kind::Sg { n } else { 1 };
        let segs = (0..n).map(|i| Seg { bus: DIRECT + (page + i) * 8192, pa: (page + i) * 8192, len: len * 100 }).collect();
        M { dev, kind, dir, segs }
    })
}

#[derive(Clone, Debug)]
enum Op {
    Map(M),
    Unmap(M),
    Sync { dev: &'static str, bus_off: u64, len: u64, dir: Direction },
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        arb_mapping().prop_map(Op::Map),
        arb_mapping().prop_map(Op::Unmap),
        (prop_oneof![Just("a"), Just("b")], 0u64..4 * 8192, 1u64..400, arb_dir()).prop_map(|(dev, bus_off, len, dir)| Op::Sync { dev, bus_off, len, dir }),
    ]
}

/// The table and its model (a multiset of live mappings), stepped together
/// by [`test_support::run_ops`].
struct Sut {
    t: T,
    model: Vec<M>,
}

impl ModelCheck for Sut {
    type Op = Op;
    type Stop = Infallible;

    fn step(&mut self, op: Op) -> ControlFlow<Infallible> {
        let Sut { t, model } = self;
        match op {
            Op::Map(m) => {
                let clash = t.try_insert(Mapping { dev: m.dev, kind: m.kind, dir: m.dir, segs: m.segs.clone(), site: 0 }).unwrap();
                assert!(clash.is_none(), "{clash:?}");
                model.push(m);
            }
            Op::Unmap(m) => {
                let r = t.remove(&Unmap { dev: m.dev, kind: m.kind, dir: m.dir, segs: &m.segs });
                match model.iter().position(|x| *x == m) {
                    Some(i) => {
                        model.swap_remove(i);
                        let got = r.expect("identical mapping live");
                        assert_eq!((got.dev, got.kind, got.dir, got.segs), (m.dev, m.kind, m.dir, m.segs));
                    }
                    None => {
                        let same_key = model.iter().any(|x| x.dev == m.dev && x.segs[0].bus == m.segs[0].bus);
                        match r {
                            Err(UnmapProblem::Mismatch { diffs, .. }) => assert!(same_key && !diffs.is_empty(), "{diffs:?}"),
                            Err(UnmapProblem::NotMapped { .. }) => assert!(!same_key),
                            Ok(got) => panic!("removed {:?} for {:?}", got, m),
                        }
                    }
                }
            }
            Op::Sync { dev, bus_off, len, dir } => {
                let bus = DIRECT + bus_off;
                let ok = model.iter().any(|x| {
                    x.dev == dev
                        && (x.dir == Direction::Bidirectional || x.dir == dir)
                        && x.segs.iter().any(|s| s.bus <= bus && bus + len <= s.bus + s.len)
                });
                assert_eq!(t.check_sync(dev, bus, len, dir).is_ok(), ok);
            }
        }
        ControlFlow::Continue(())
    }

    fn check(&self) {
        assert_eq!(self.t.len(), self.model.len());
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    /// Against a multiset of mappings: an unmap succeeds exactly when an
    /// identical mapping is live and then removes one of them; a sync is
    /// fine exactly when a mapping of the device contains it with a
    /// compatible direction; nothing is ever reported for the direct window.
    #[test]
    fn matches_a_multiset_model(ops in prop::collection::vec(arb_op(), 1..60)) {
        let _ = run_ops(&mut Sut { t: table(), model: Vec::new() }, ops);
    }
}
