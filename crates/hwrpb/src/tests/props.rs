//! Property tests: nothing panics on arbitrary input, and valid images built
//! from random parameters round-trip.
//!
//! Cases per property: `PROPTEST_CASES` (default 10 000).

use proptest::prelude::*;

use super::{exercise, inspect_all};
use crate::builder::{HwrpbBuilder, fix_checksum, write_u64};
use crate::layout::{PAGE_SIZE, header};
use crate::{Hwrpb, MagicOrder, MemCluster, cpu_type_name};

fn config() -> ProptestConfig {
    ProptestConfig {
        // Keep failure output small: these inputs are big byte vectors.
        max_shrink_iters: 2_000,
        ..test_support::config()
    }
}

/// Sorted, disjoint clusters: each one starts `gap` pages after the
/// previous end. Sizes are kept so that everything stays below 2^40 bytes
/// (QEMU's pa_bits).
fn cluster_list() -> impl Strategy<Value = Vec<MemCluster>> {
    prop::collection::vec((0u64..1 << 16, 0u64..1 << 20, 0u64..4, any::<u64>()), 1..40).prop_map(
        |parts| {
            let mut next = 0u64;
            parts
                .into_iter()
                .map(|(gap, pages, usage, tested)| {
                    let start = next + gap;
                    next = start + pages;
                    MemCluster {
                        numtested: tested % (pages + 1),
                        bitmap_va: tested,
                        bitmap_pa: tested.rotate_left(7),
                        bitmap_chksum: !tested,
                        ..MemCluster::new(start, pages, usage)
                    }
                })
                .collect()
        },
    )
}

/// A valid builder with random parameters.
fn valid_builder() -> impl Strategy<Value = HwrpbBuilder> {
    (
        cluster_list(),
        1u64..=8,
        1u64..=20,
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::collection::vec(1u8..=127, 0..40)),
        (0u64..=0x3f, 0u64..1 << 20),
        prop::option::of(prop::collection::vec(any::<(u64, u64, u64)>(), 0..6)),
    )
        .prop_flat_map(
            |(clusters, cpus, cpu, cycle, ascii, covers, dsr, (member, page), map)| {
                (0..cpus).prop_map(move |primary| {
                    let mut b = HwrpbBuilder::qemu(0)
                        .clusters(clusters.clone())
                        .cpus(cpus)
                        .cpu_type(cpu)
                        .cycle_freq(cycle);
                    b.primary_cpu_id = primary;
                    b.magic = if ascii {
                        MagicOrder::Ascii
                    } else {
                        MagicOrder::Reversed
                    };
                    b.size_covers_tables = covers;
                    b.sys_variation = member << 10;
                    b.phys_addr = page * PAGE_SIZE;
                    b.crb_map = map.clone();
                    if let Some(name) = &dsr {
                        b.revision = 5;
                        b.dsr_sysname = Some(name.clone());
                    }
                    b
                })
            },
        )
}

/// Quadword values that tend to sit on boundaries.
fn interesting_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(7),
        Just(8),
        Just(0x140),
        Just(0x270),
        Just(0x1ff8),
        Just(0x2000),
        Just(u64::MAX),
        Just(u64::MAX - 7),
        Just(1 << 63),
        Just(1 << 51),
        0u64..0x4000,
        any::<u64>(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// (a) Random bytes: never panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..9000)) {
        let _ = exercise(&bytes);
        let _ = inspect_all(&bytes, 0);
    }

    /// (a) Random bytes behind a plausible header (magic, size, page size,
    /// correct checksum), so the table checks are reached: never panic.
    #[test]
    fn random_tables_never_panic(
        mut bytes in prop::collection::vec(any::<u8>(), 0x140..0x2000),
        offsets in prop::collection::vec(0u64..0x2000, 5),
        counts in prop::collection::vec(0u64..64, 3),
        ascii in any::<bool>(),
    ) {
        let m = if ascii { MagicOrder::Ascii } else { MagicOrder::Reversed };
        write_u64(&mut bytes, header::ID, m.value());
        write_u64(&mut bytes, header::SIZE, 0x140);
        write_u64(&mut bytes, header::PAGESIZE, 8192);
        write_u64(&mut bytes, header::PHYS_ADDR, 0);
        write_u64(&mut bytes, header::PA_BITS, 40);
        write_u64(&mut bytes, header::CPUID, 0);
        write_u64(&mut bytes, header::NR_PROCESSORS, counts[0]);
        write_u64(&mut bytes, header::PROCESSOR_SIZE, 0xd8 + 8 * counts[1]);
        write_u64(&mut bytes, header::CTB_NR, counts[2]);
        write_u64(&mut bytes, header::PROCESSOR_OFFSET, offsets[0] & !7);
        write_u64(&mut bytes, header::MDDT_OFFSET, offsets[1] & !7);
        write_u64(&mut bytes, header::CRB_OFFSET, offsets[2] & !7);
        write_u64(&mut bytes, header::CTBT_OFFSET, offsets[3] & !7);
        write_u64(&mut bytes, header::DSR_OFFSET, offsets[4] & !7);
        fix_checksum(&mut bytes);
        let _ = exercise(&bytes);
        let _ = inspect_all(&bytes, 0);
    }

    /// (a) Random byte mutations of a valid image, with or without a fixed
    /// checksum: never panic.
    #[test]
    fn mutated_images_never_panic(
        b in valid_builder(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        fix in any::<bool>(),
    ) {
        let mut img = b.build();
        for (at, byte) in edits {
            let i = at.index(img.len());
            img[i] = byte;
        }
        if fix {
            fix_checksum(&mut img);
        }
        let _ = exercise(&img);
        let _ = inspect_all(&img, 0);
    }

    /// (a) One quadword anywhere in the used part of a valid image replaced
    /// by a boundary value, checksum fixed: never panic, and if accepted,
    /// the invariants of `exercise` hold.
    #[test]
    fn quadword_mutations_never_panic(
        b in valid_builder(),
        at in any::<prop::sample::Index>(),
        value in interesting_u64(),
        truncate in prop::option::of(any::<prop::sample::Index>()),
        cpu in 0u64..10,
    ) {
        let used = b.layout().used;
        let mut img = b.build();
        let slot = at.index(used / 8) * 8;
        write_u64(&mut img, slot, value);
        fix_checksum(&mut img);
        let len = truncate.map_or(img.len(), |t| t.index(img.len() + 1));
        let _ = exercise(&img[..len]);
        let _ = inspect_all(&img[..len], cpu);
    }

    /// (b) Valid images built from random parameters parse, and every
    /// decoded value is the one that was written.
    #[test]
    fn valid_images_round_trip(b in valid_builder()) {
        let img = b.build();
        let rpb = match exercise(&img) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        let h = rpb.header();
        prop_assert_eq!(h.magic, b.magic);
        prop_assert_eq!(h.phys_addr, b.phys_addr);
        prop_assert_eq!(h.cycle_freq, b.cycle_freq);
        prop_assert_eq!(h.primary_cpu_id, b.primary_cpu_id);
        prop_assert_eq!(h.nr_processors, b.cpus);
        prop_assert_eq!(h.sys_variation, b.sys_variation);
        prop_assert_eq!(rpb.memory_clusters().collect::<Vec<_>>(), b.clusters.clone());
        let total: u64 = b.clusters.iter().map(|c| c.numpages * PAGE_SIZE).sum();
        prop_assert_eq!(rpb.total_memory_bytes(), total);
        let avail: u64 = b.clusters.iter().filter(|c| c.usage & 3 == 0).map(|c| c.numpages * PAGE_SIZE).sum();
        prop_assert_eq!(rpb.available_memory_bytes(), avail);
        prop_assert_eq!(rpb.processors().count() as u64, b.cpus);
        for p in rpb.processors() {
            prop_assert_eq!(p.cpu_type, b.cpu_type);
            prop_assert_eq!(p.type_name(), cpu_type_name(b.cpu_type));
            prop_assert!(p.is_usable());
        }
        prop_assert_eq!(rpb.primary_processor().index, b.primary_cpu_id);
        let crb = rpb.crb().unwrap();
        let want_map = b.crb_map.clone().unwrap_or_else(|| vec![(crate::builder::KSEG_BASE + b.phys_addr, b.phys_addr, 1)]);
        let got_map: Vec<_> = crb.map().map(|e| (e.va, e.pa, e.count)).collect();
        prop_assert_eq!(got_map, want_map);
        match &b.dsr_sysname {
            Some(name) => prop_assert_eq!(rpb.dsr().unwrap().sysname_bytes(), Some(&name[..])),
            None => prop_assert!(rpb.dsr().is_none()),
        }
        // The tolerant parser finds nothing in a valid image.
        let i = inspect_all(&img, b.primary_cpu_id).unwrap();
        let cycle_ok = crate::CYCLE_FREQ_PLAUSIBLE.contains(&b.cycle_freq);
        prop_assert_eq!(i.findings.len(), usize::from(!cycle_ok));
        // What the kernel does: header -> readable size -> parse that much.
        let len = crate::readable_size(&img[..32]).unwrap();
        prop_assert!(len <= img.len());
        prop_assert!(Hwrpb::parse(&img[..len]).is_ok());
    }
}
