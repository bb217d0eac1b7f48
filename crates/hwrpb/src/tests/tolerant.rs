//! `Hwrpb::inspect`: one test per finding kind (the block is still
//! returned, with the broken part left out), and the memory map's sorting,
//! clipping and overlaps.

use super::inspect_all;
use crate::builder::{HwrpbBuilder, fix_checksum, write_u64};
use crate::layout::{cluster, crb, ctb, dsr, header, mddt};
use crate::{
    Finding, Hwrpb, HwrpbError, MAX_CLUSTERS, MemCluster, Overlap, Severity, Table,
};

const MIB: u64 = 1 << 20;

fn qemu() -> Vec<u8> {
    HwrpbBuilder::qemu(128 * MIB).build()
}

/// The QEMU image with one quadword changed (checksum fixed), inspected
/// for CPU 0: the findings.
fn findings_after(offset: usize, value: u64) -> Vec<Finding> {
    let mut img = qemu();
    write_u64(&mut img, offset, value);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).expect("the header is fine");
    i.findings.iter().copied().collect()
}

fn only(findings: &[Finding]) -> Finding {
    assert_eq!(findings.len(), 1, "{findings:?}");
    findings[0]
}

#[test]
fn clean_qemu_image_has_no_findings() {
    let img = qemu();
    let i = inspect_all(&img, 0).unwrap();
    assert!(i.findings.is_empty(), "{:?}", i.findings);
    assert!(i.hwrpb.memory_map().unwrap().is_clean());
}

#[test]
fn warn_checksum_mismatch_keeps_everything() {
    let mut img = qemu();
    write_u64(&mut img, header::CHKSUM, 0x1234);
    let i = inspect_all(&img, 0).unwrap();
    let f = only(i.findings.as_slice());
    let computed = crate::header_checksum(&img).unwrap();
    assert_eq!(f, Finding::ChecksumMismatch { stored: 0x1234, computed });
    assert_eq!(f.severity(), Severity::Warning);
    let text = f.to_string();
    assert!(text.contains("chksum at 0x120) is 0x0000000000001234"), "{text}");
    assert!(text.contains(&format!("{computed:#018x}")), "{text}");
    assert!(i.hwrpb.memory_map().is_some() && i.hwrpb.crb().is_some() && i.hwrpb.ctb().is_some());
    assert_eq!(i.hwrpb.total_memory_bytes(), 128 * MIB);
    assert_eq!(Hwrpb::parse(&img).unwrap_err(), f.strict_error().unwrap());
}

#[test]
fn warn_ctb_entry_size_ignores_the_ctb() {
    let f = only(&findings_after(header::CTB_SIZE, 0x11));
    assert_eq!(
        f,
        Finding::TableIgnored {
            error: HwrpbError::BadEntrySize {
                table: Table::ConsoleTerminalBlocks,
                size: 0x11,
                minimum: ctb::MIN_SIZE as u64
            }
        }
    );
    assert_eq!(f.severity(), Severity::Warning);
    assert!(f.to_string().contains("entry size 0x11 is invalid"), "{f}");
    assert!(f.to_string().ends_with("that table is ignored"), "{f}");
    let mut img = qemu();
    write_u64(&mut img, header::CTB_SIZE, 0x11);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).unwrap();
    assert!(i.hwrpb.ctb().is_none());
    assert!(i.hwrpb.crb().is_some() && i.hwrpb.memory_map().is_some());
}

#[test]
fn warn_crb_map_entries_keep_the_dispatch() {
    let l = HwrpbBuilder::qemu(128 * MIB).layout();
    let f = only(&findings_after(l.crb + crb::MAP_ENTRIES, 1 << 40));
    assert!(matches!(
        f,
        Finding::CrbMapIgnored {
            map_entries: 0x100_0000_0000,
            error: HwrpbError::TableOutOfBounds { table: Table::ConsoleCallbackBlock, .. }
        }
    ), "{f:?}");
    let mut img = qemu();
    write_u64(&mut img, l.crb + crb::MAP_ENTRIES, 1 << 40);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).unwrap();
    let c = i.hwrpb.crb().expect("the CRB's fixed part is kept");
    assert_ne!(c.dispatch_va, 0);
    assert_eq!(c.map().count(), 0);
    assert!(f.to_string().contains("map_entries 0x10000000000"), "{f}");
}

#[test]
fn warn_crb_out_of_bounds_ignores_it() {
    let f = only(&findings_after(header::CRB_OFFSET, 0x1ff8));
    assert!(matches!(
        f,
        Finding::TableIgnored { error: HwrpbError::TableOutOfBounds { table: Table::ConsoleCallbackBlock, offset: 0x1ff8, .. } }
    ), "{f:?}");
}

#[test]
fn warn_dsr_name_bounds_keep_the_dsr() {
    let b = HwrpbBuilder::qemu(256 * MIB).srm_style(b"AlphaServer DS10 466 MHz");
    let l = b.layout();
    let mut img = b.build();
    write_u64(&mut img, l.dsr + dsr::SIZE_OF, 1 << 30); // character count
    let i = inspect_all(&img, 0).unwrap();
    let f = only(i.findings.as_slice());
    assert!(matches!(
        f,
        Finding::DsrNameIgnored { error: HwrpbError::TableOutOfBounds { table: Table::DsrSystemName, .. } }
    ), "{f:?}");
    let d = i.hwrpb.dsr().expect("DSR kept");
    assert_eq!(d.sysname(), None);
}

#[test]
fn warn_dsr_out_of_bounds_ignores_it() {
    let b = HwrpbBuilder::qemu(256 * MIB).srm_style(b"DS10");
    let mut img = b.build();
    write_u64(&mut img, header::DSR_OFFSET, 0x1ff0);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).unwrap();
    assert!(matches!(
        only(i.findings.as_slice()),
        Finding::TableIgnored { error: HwrpbError::TableOutOfBounds { table: Table::DynamicSystemRecognition, .. } }
    ));
    assert!(i.hwrpb.dsr().is_none());
}

#[test]
fn warn_table_overlaps_ignore_the_later_table() {
    let l = HwrpbBuilder::qemu(128 * MIB).layout();
    // The CTB moved over the CRB: the CRB is kept, the CTB ignored.
    let f = only(&findings_after(header::CTBT_OFFSET, (l.crb - 8) as u64));
    assert_eq!(
        f,
        Finding::TableIgnored {
            error: HwrpbError::TablesOverlap {
                first: Table::ConsoleTerminalBlocks,
                second: Table::ConsoleCallbackBlock
            }
        }
    );
    // The CTB over the header.
    let f = only(&findings_after(header::CTBT_OFFSET, 0x100));
    assert_eq!(
        f,
        Finding::TableIgnored {
            error: HwrpbError::TablesOverlap { first: Table::Header, second: Table::ConsoleTerminalBlocks }
        }
    );
}

#[test]
fn warn_primary_cpu_out_of_range_uses_this_cpu() {
    let f = only(&findings_after(header::CPUID, 11));
    assert_eq!(f, Finding::PrimaryCpuOutOfRange { cpu_id: 11, nr_processors: 1, running: 0 });
    assert_eq!(f.severity(), Severity::Warning);
    assert!(f.to_string().contains("cpuid (primary CPU, 0x20) is 11, but nr_processors is 1"), "{f}");
    let mut img = qemu();
    write_u64(&mut img, header::CPUID, 11);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).unwrap();
    assert_eq!(i.hwrpb.cpu_name(), "EV67");
    assert_eq!(i.hwrpb.primary_processor().index, 0);
}

#[test]
fn warn_primary_cpu_is_not_this_cpu() {
    let img = HwrpbBuilder::qemu(128 * MIB).cpus(2).build();
    let i = inspect_all(&img, 1).unwrap();
    assert_eq!(only(i.findings.as_slice()), Finding::PrimaryCpuNotThisCpu { cpu_id: 0, running: 1 });
    assert_eq!(i.hwrpb.this_processor().unwrap().index, 1);
    // The strict parser does not know the running CPU: no such error.
    assert!(Hwrpb::parse(&img).is_ok());
}

#[test]
fn warn_other_slots_ignored() {
    // nr_processors far beyond the bytes: CPU 0's slot is still there.
    let f = only(&findings_after(header::NR_PROCESSORS, 1 << 60));
    assert!(matches!(
        f,
        Finding::OtherSlotsIgnored { error: HwrpbError::CountOverflow { table: Table::ProcessorSlots, .. } }
    ), "{f:?}");
    let mut img = qemu();
    write_u64(&mut img, header::NR_PROCESSORS, 8);
    fix_checksum(&mut img);
    let i = inspect_all(&img, 0).unwrap();
    // 8 slots of 0x270 from 0x140 run over the MDDT: the MDDT is kept.
    assert!(matches!(
        only(i.findings.as_slice()),
        Finding::OtherSlotsIgnored {
            error: HwrpbError::TablesOverlap { first: Table::ProcessorSlots, second: Table::MemoryDescriptorTable }
        }
    ), "{:?}", i.findings);
    assert_eq!(i.hwrpb.processors().count(), 1);
    assert_eq!(i.hwrpb.usable_processor_count(), 1);
    assert!(i.hwrpb.memory_map().is_some());
}

#[test]
fn warn_clusters_out_of_order_are_sorted() {
    let clusters = vec![
        MemCluster::new(32, 16352, 0),
        MemCluster::new(0, 32, 1),
    ];
    let img = HwrpbBuilder::qemu(0).clusters(clusters.clone()).build();
    let i = inspect_all(&img, 0).unwrap();
    let f = only(i.findings.as_slice());
    assert_eq!(f, Finding::ClustersSorted { index: 1, start_pfn: 0, previous_start_pfn: 32, descents: 1 });
    assert!(f.to_string().contains("cluster 1 starts at pfn 0x0, below cluster 0's start pfn 0x20"), "{f}");
    let m = i.hwrpb.memory_map().unwrap();
    let order: Vec<u64> = m.clusters().map(|c| c.index).collect();
    assert_eq!(order, vec![1, 0]);
    assert_eq!(m.overlaps().count(), 0);
    assert!(!m.is_clean());
    assert_eq!(i.hwrpb.total_memory_bytes(), 128 * MIB);
    assert_eq!(i.hwrpb.available_memory_bytes(), 128 * MIB - 32 * 8192);
    // The declared order is still available.
    assert_eq!(i.hwrpb.memory_clusters().collect::<Vec<_>>(), clusters);
}

#[test]
fn warn_clusters_overlap_are_clipped_and_listed() {
    // Console 0..32, free 16..1000 (overlaps 16..32), free 500..600 (inside).
    let img = HwrpbBuilder::qemu(0)
        .clusters(vec![
            MemCluster::new(0, 32, 1),
            MemCluster::new(16, 984, 0),
            MemCluster::new(500, 100, 0),
        ])
        .build();
    let i = inspect_all(&img, 0).unwrap();
    let f: Vec<Finding> = i.findings.iter().copied().collect();
    assert_eq!(
        f,
        vec![
            Finding::ClustersOverlap { first: 0, second: 1, start_pfn: 16, end_pfn: 32 },
            Finding::ClustersOverlap { first: 1, second: 2, start_pfn: 500, end_pfn: 600 },
        ]
    );
    assert!(f[0].to_string().contains("clusters 0 and 1 both describe pfn 0x10-0x20 (16 pages)"), "{}", f[0]);
    let m = i.hwrpb.memory_map().unwrap();
    let kept: Vec<(u64, u64, u64)> = m.clusters().map(|c| (c.index, c.cluster.start_pfn, c.cluster.end_pfn())).collect();
    assert_eq!(kept, vec![(0, 0, 32), (1, 32, 1000)], "cluster 2 lies wholly inside 1");
    assert_eq!(
        m.overlaps().collect::<Vec<_>>(),
        vec![
            Overlap { first: 0, second: 1, start_pfn: 16, end_pfn: 32 },
            Overlap { first: 1, second: 2, start_pfn: 500, end_pfn: 600 },
        ]
    );
    assert_eq!(m.total_bytes(), 1000 * 8192);
    // Free: 32..1000 minus the 100 doubly described pages 500..600.
    assert_eq!(m.available_bytes(), (968 - 100) * 8192);
    assert!(!i.hwrpb.page_is_ram(20) && !i.hwrpb.page_is_ram(550) && i.hwrpb.page_is_ram(40));
    assert!(matches!(Hwrpb::parse(&img), Err(HwrpbError::ClustersOverlap { index: 1, .. })));
}

#[test]
fn warn_cluster_usage_reserved_bits() {
    let img = HwrpbBuilder::qemu(0)
        .clusters(vec![MemCluster::new(0, 32, 1), MemCluster::new(32, 100, 0x10)])
        .build();
    let i = inspect_all(&img, 0).unwrap();
    let f = only(i.findings.as_slice());
    assert_eq!(f, Finding::ClusterUsageReservedBits { index: 1, usage: 0x10 });
    assert!(f.to_string().contains("usage 0x10: bits 0x10 must be zero"), "{f}");
    assert_eq!(i.hwrpb.available_memory_bytes(), 0);
    assert!(Hwrpb::parse(&img).is_ok(), "Linux ignores these bits, so does the strict parser");
}

#[test]
fn err_no_memory_map_keeps_the_rest() {
    let cases: [(usize, u64, fn(&HwrpbError) -> bool); 4] = [
        (header::MDDT_OFFSET, 0x1ff8, |e| matches!(e, HwrpbError::TableOutOfBounds { table: Table::MemoryDescriptorTable, .. })),
        (header::MDDT_OFFSET, 0, |e| matches!(e, HwrpbError::MissingTable { table: Table::MemoryDescriptorTable })),
        // numclusters then reads nr_processors (1): one cluster inside the header.
        (header::MDDT_OFFSET, 0x80, |e| matches!(e, HwrpbError::TablesOverlap { first: Table::Header, second: Table::MemoryDescriptorTable })),
        (HwrpbBuilder::qemu(128 * MIB).layout().mddt + mddt::NUMCLUSTERS, 0, |e| *e == HwrpbError::NoMemoryClusters),
    ];
    for (offset, value, want) in cases {
        let mut img = qemu();
        write_u64(&mut img, offset, value);
        fix_checksum(&mut img);
        let i = inspect_all(&img, 0).unwrap();
        let f = only(i.findings.as_slice());
        match f {
            Finding::NoMemoryMap { error } if want(&error) => {}
            other => panic!("{offset:#x} = {value:#x}: {other:?}"),
        }
        assert_eq!(f.severity(), Severity::Error);
        assert!(f.to_string().ends_with(": no memory map"), "{f}");
        assert!(i.hwrpb.memory_map().is_none());
        assert_eq!(i.hwrpb.memory_clusters().count(), 0);
        assert_eq!(i.hwrpb.total_memory_bytes(), 0);
        assert!(i.hwrpb.crb().is_some(), "the console callbacks survive");
        assert_eq!(i.hwrpb.cpu_name(), "EV67");
    }
}

#[test]
fn err_no_memory_map_for_impossible_clusters() {
    let mut b = HwrpbBuilder::qemu(0).clusters(vec![MemCluster::new(1 << 40, 1, 0)]);
    b.pa_bits = 40;
    let img = b.build();
    let i = inspect_all(&img, 0).unwrap();
    assert!(matches!(
        only(i.findings.as_slice()),
        Finding::NoMemoryMap { error: HwrpbError::ClusterBeyondPhysicalAddressSpace { index: 0, .. } }
    ));
    let many: Vec<MemCluster> = (0..=MAX_CLUSTERS).map(|i| MemCluster::new(i * 10, 10, 0)).collect();
    let img = HwrpbBuilder::qemu(0).clusters(many).build();
    let i = inspect_all(&img, 0).unwrap();
    assert_eq!(
        only(i.findings.as_slice()),
        Finding::NoMemoryMap { error: HwrpbError::TooManyClusters { count: MAX_CLUSTERS + 1, max: MAX_CLUSTERS } }
    );
}

#[test]
fn err_no_cpu_slot_keeps_the_memory_map() {
    let img = qemu();
    let i = inspect_all(&img, 3).unwrap();
    assert_eq!(i.findings.as_slice()[0], Finding::PrimaryCpuNotThisCpu { cpu_id: 0, running: 3 });
    let f = i.findings.as_slice()[1];
    assert_eq!(i.findings.len(), 2);
    assert_eq!(f, Finding::NoCpuSlot { cpu: 3, error: HwrpbError::CpuOutOfRange { cpu_id: 3, nr_processors: 1 } });
    assert_eq!(f.severity(), Severity::Error);
    assert!(f.to_string().contains("no per-CPU slot for CPU 3 (nr_processors is 1)"), "{f}");
    assert!(i.hwrpb.this_processor().is_none());
    assert_eq!(i.hwrpb.processors().count(), 0);
    assert_eq!(i.hwrpb.cpu_name(), crate::cpu_type_name(0));
    assert!(i.hwrpb.memory_map().is_some());
    // No slots at all.
    let f = findings_after(header::NR_PROCESSORS, 0);
    assert_eq!(f, vec![Finding::NoCpuSlot { cpu: 0, error: HwrpbError::NoProcessors }]);
    // The slot over the header.
    let f = findings_after(header::PROCESSOR_OFFSET, 0x100);
    assert!(matches!(
        f.as_slice(),
        [Finding::NoCpuSlot { cpu: 0, error: HwrpbError::TablesOverlap { first: Table::Header, second: Table::ProcessorSlots } }]
    ), "{f:?}");
}

#[test]
fn err_cycle_freq_implausible() {
    for hz in [0u64, 999_999, 10_000_000_001, u64::MAX] {
        let f = only(&findings_after(header::CYCLE_FREQ, hz));
        assert_eq!(f, Finding::CycleFreqImplausible { cycle_freq: hz });
        assert_eq!(f.severity(), Severity::Error);
        assert!(f.to_string().contains(&format!("cycle_freq (0x70) is {hz} Hz")), "{f}");
        assert_eq!(f.strict_error(), None);
    }
    assert!(findings_after(header::CYCLE_FREQ, 1_000_000).is_empty());
}

#[test]
fn header_problems_are_still_hard_errors() {
    let mut img = qemu();
    write_u64(&mut img, header::PAGESIZE, 4096);
    fix_checksum(&mut img);
    assert_eq!(Hwrpb::inspect(&img, 0).unwrap_err(), HwrpbError::BadPageSize { page_size: 4096 });
    let mut img = qemu();
    img[header::ID] ^= 1;
    assert!(matches!(Hwrpb::inspect(&img, 0), Err(HwrpbError::BadMagic { .. })));
}

#[test]
fn findings_beyond_capacity_are_counted() {
    // 40 clusters each overlapping the previous one: 39 overlap findings.
    let clusters: Vec<MemCluster> = (0..40).map(|i| MemCluster::new(i * 10, 15, 0)).collect();
    let img = HwrpbBuilder::qemu(0).clusters(clusters).build();
    let i = inspect_all(&img, 0).unwrap();
    assert_eq!(i.findings.len(), crate::MAX_FINDINGS);
    assert_eq!(i.findings.dropped(), 39 - crate::MAX_FINDINGS);
    assert_eq!(i.hwrpb.memory_map().unwrap().overlaps().count(), 39);
    assert_eq!(i.hwrpb.total_memory_bytes(), (39 * 10 + 15) * 8192);
}

#[test]
fn unused_offsets_compile() {
    // Keeps the layout imports honest.
    let _ = (cluster::START_PFN, ctb::TYPE);
}

#[test]
fn nested_overlaps_are_reserved_once() {
    // 0..100 free; 10..90 free (inside); 20..30 free (inside both):
    // overlaps 10..90 (0 and 1) and 20..30 (1 and 2, nested in the first).
    let img = HwrpbBuilder::qemu(0)
        .clusters(vec![
            MemCluster::new(0, 100, 0),
            MemCluster::new(10, 80, 0),
            MemCluster::new(20, 10, 0),
            MemCluster::new(95, 10, 0),
        ])
        .build();
    let i = inspect_all(&img, 0).unwrap();
    let m = i.hwrpb.memory_map().unwrap();
    let o: Vec<(u64, u64)> = m.overlaps().map(|o| (o.start_pfn, o.end_pfn)).collect();
    assert_eq!(o, vec![(10, 90), (20, 30), (95, 100)]);
    assert_eq!(m.total_bytes(), 105 * 8192);
    // Free: 0..105 minus 10..90 and 95..100.
    assert_eq!(m.available_bytes(), (105 - 80 - 5) * 8192);
}
