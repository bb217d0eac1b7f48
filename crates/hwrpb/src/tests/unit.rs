//! One test per error variant, plus the QEMU-like image in detail.

use super::exercise;
use crate::builder::{HwrpbBuilder, KSEG_BASE, fix_checksum, qemu_clusters, read_u64, write_u64};
use crate::layout::{cluster, crb, ctb, dsr, header, mddt, slot};
use crate::{
    Hwrpb, HwrpbError, MAGIC_ASCII, MAGIC_REVERSED, MagicOrder, MemCluster, Table, cpu_type,
    declared_size, header_checksum, readable_size, slot_flags,
};

const MIB: u64 = 1 << 20;

fn qemu() -> Vec<u8> {
    HwrpbBuilder::qemu(128 * MIB).build()
}

/// Overwrite one quadword of the QEMU image, fix the checksum, parse.
fn corrupt(offset: usize, value: u64) -> Result<(), HwrpbError> {
    let mut img = qemu();
    write_u64(&mut img, offset, value);
    fix_checksum(&mut img);
    exercise(&img).map(|_| ())
}

fn mddt_at() -> usize {
    HwrpbBuilder::qemu(128 * MIB).layout().mddt
}

fn cluster_at(i: usize) -> usize {
    mddt_at() + mddt::CLUSTERS + i * cluster::SIZE_OF
}

#[test]
fn qemu_image_128m_ev67() {
    let img = qemu();
    assert_eq!(img.len(), 8192, "padded to the one page QEMU maps");
    let rpb = exercise(&img).expect("QEMU-like image parses");
    let h = rpb.header();

    assert_eq!(h.magic, MagicOrder::Reversed);
    assert_eq!(read_u64(&img, header::ID), MAGIC_REVERSED);
    assert_eq!(&img[8..16], b"\0\0\0BPRWH", "QEMU's magic byte order");
    assert_eq!(h.revision, 0, "QEMU's PALcode never sets revision");
    assert_eq!(h.size, 0x140, "QEMU's size covers only the header");
    assert_eq!(declared_size(&img), Ok(0x140));
    assert_eq!(readable_size(&img), Ok(8192));
    assert_eq!(h.page_size, 8192);
    assert_eq!(h.pa_bits, 40);
    assert_eq!(h.max_asn, 255);
    assert_eq!(h.serial_str(), "QEMU");
    assert!(!h.is_milo());
    assert_eq!(h.cycle_freq, 250_000_000);
    assert_eq!(h.timer_hz(), 1024);
    assert_eq!(h.sys_type, 34);
    assert_eq!(h.sys_member(), 5);
    assert_eq!(rpb.system_name(), "Clipper");
    assert_eq!(h.system_family(), "Tsunami");

    // The offsets of QEMU's struct hwrpb_combine.
    assert_eq!(h.processor_offset, 0x140);
    assert_eq!(h.processor_size, 0x270);
    assert_eq!(h.mddt_offset, 0xb00);
    assert_eq!(h.ctbt_offset, 0xb88);
    assert_eq!(h.crb_offset, 0xc98);
    assert_eq!(HwrpbBuilder::qemu(128 * MIB).layout().used, 0xd00);

    // One EV67, flags 0x1cc.
    assert_eq!(h.nr_processors, 1);
    let cpus: Vec<_> = rpb.processors().collect();
    assert_eq!(cpus.len(), 1);
    assert_eq!(cpus[0].cpu_type, cpu_type::EV67);
    assert_eq!(cpus[0].type_name(), "EV67");
    assert_eq!(cpus[0].flags, 0x1cc);
    assert!(cpus[0].is_usable() && cpus[0].is_present() && cpus[0].is_available());
    assert!(!cpus[0].has_flags(slot_flags::BOOTSTRAP_IN_PROGRESS));
    assert_eq!(cpus[0].pal_revision, 0, "QEMU leaves pal_revision 0");
    assert_eq!(rpb.primary_processor(), cpus[0]);
    assert_eq!(rpb.cpu_name(), "EV67");
    assert_eq!(rpb.usable_processor_count(), 1);
    assert!(rpb.processor(1).is_none());

    // Two clusters: the PALcode's pages (console) and the rest.
    let m = rpb.mddt().unwrap();
    assert_eq!((m.checksum, m.impl_specific_pa, m.cluster_count), (0, 0, 2));
    let cl: Vec<_> = rpb.memory_clusters().collect();
    assert_eq!(cl, qemu_clusters(128 * MIB, 32));
    assert!(cl[0].is_console() && !cl[0].is_available());
    assert!(cl[1].is_available() && !cl[1].is_console() && !cl[1].is_nonvolatile());
    assert_eq!((cl[0].start_addr(), cl[0].end_addr()), (0, 32 * 8192));
    assert_eq!(
        (cl[1].start_addr(), cl[1].end_addr()),
        (32 * 8192, 128 * MIB)
    );
    assert_eq!(rpb.total_memory_bytes(), 128 * MIB);
    assert_eq!(rpb.available_memory_bytes(), 128 * MIB - 32 * 8192);
    assert!(!rpb.page_is_ram(0));
    assert!(rpb.page_is_ram(32));
    assert!(rpb.addr_is_ram(128 * MIB - 1));
    assert!(!rpb.addr_is_ram(128 * MIB));
    assert!(
        cl[0].contains_addr(h.phys_addr),
        "the HWRPB lives in console memory"
    );

    // CRB: one map entry for the HWRPB page; KSEG virtual addresses.
    let c = rpb.crb().expect("QEMU writes a CRB");
    assert_eq!(c.map_entries, 1);
    assert_eq!(c.map_pages, 1);
    assert_eq!(c.dispatch_va, KSEG_BASE + c.dispatch_pa);
    assert_eq!(c.fixup_pa, c.dispatch_pa + 0x10);
    let map: Vec<_> = c.map().collect();
    assert_eq!(map.len(), 1);
    assert_eq!(
        (map[0].va, map[0].pa, map[0].count),
        (KSEG_BASE + h.phys_addr, h.phys_addr, 1)
    );

    // CTB: serial console; QEMU leaves ctb_nr 0.
    let t = rpb.ctb().expect("QEMU writes a CTB");
    assert_eq!((t.count, t.entry_size, t.ctb_type), (0, 0x110, 2));
    assert_eq!(t.term_type(), Some(2));
    assert!(rpb.dsr().is_none());

    let text = format!("{rpb}");
    assert!(text.contains("Clipper"), "{text}");
    assert!(text.contains("EV67"), "{text}");
    assert!(text.contains("memcluster 0: usage 0x1"), "{text}");
}

#[test]
fn srm_style_image_with_dsr() {
    let img = HwrpbBuilder::qemu(256 * MIB)
        .cpu_type(cpu_type::EV6)
        .srm_style(b"AlphaServer ES40\0")
        .build();
    let rpb = exercise(&img).unwrap();
    assert_eq!(rpb.header().magic, MagicOrder::Ascii);
    assert_eq!(&img[8..16], b"HWRPB\0\0\0");
    assert_eq!(read_u64(&img, header::ID), MAGIC_ASCII);
    assert_eq!(
        rpb.header().size as usize,
        HwrpbBuilder::qemu(0)
            .srm_style(b"AlphaServer ES40\0")
            .layout()
            .used
    );
    let d = rpb.dsr().unwrap();
    assert_eq!(d.sysname(), Some("AlphaServer ES40"));
    assert_eq!(d.sysname_bytes().unwrap().len(), 17);
    assert_eq!(d.sysname_off, dsr::SIZE_OF as u64);
    assert!(format!("{rpb}").contains("platform \"AlphaServer ES40\""));
}

#[test]
fn dsr_ignored_below_revision_5() {
    let mut b = HwrpbBuilder::qemu(64 * MIB).srm_style(b"x");
    b.revision = 4;
    let img = b.build();
    assert!(exercise(&img).unwrap().dsr().is_none());
}

#[test]
fn four_and_five_cpus() {
    let img = HwrpbBuilder::qemu(512 * MIB)
        .cpus(4)
        .cpu_type(cpu_type::EV68CB)
        .build();
    let rpb = exercise(&img).unwrap();
    assert_eq!(rpb.processors().len(), 4);
    assert!(
        rpb.processors()
            .all(|p| p.type_name() == "EV68CB" && p.is_usable())
    );
    assert_eq!(
        rpb.processors().map(|p| p.index).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    // More CPUs than QEMU's 4 reserved slots: the table grows.
    let img = HwrpbBuilder::qemu(512 * MIB).cpus(5).build();
    assert_eq!(exercise(&img).unwrap().usable_processor_count(), 5);
}

#[test]
fn optional_tables_absent() {
    let mut b = HwrpbBuilder::qemu(64 * MIB);
    b.with_crb = false;
    b.with_ctb = false;
    let img = b.build();
    let rpb = exercise(&img).unwrap();
    assert!(rpb.crb().is_none() && rpb.ctb().is_none() && rpb.dsr().is_none());
}

#[test]
fn crb_with_zero_and_many_map_entries() {
    let mut b = HwrpbBuilder::qemu(64 * MIB);
    b.crb_map = Some(vec![]);
    let img = b.build();
    assert_eq!(exercise(&img).unwrap().crb().unwrap().map().count(), 0);
    b.crb_map = Some(
        (0..10)
            .map(|i| (0x2000_0000 + i * 8192, i * 8192, 1))
            .collect(),
    );
    let img = b.build();
    let rpb = exercise(&img).unwrap();
    let map: Vec<_> = rpb.crb().unwrap().map().collect();
    assert_eq!(map.len(), 10);
    assert_eq!(map[9].pa, 9 * 8192);
    assert_eq!(rpb.crb().unwrap().map_pages, 10);
}

#[test]
fn checksum_is_sum_of_first_36_quadwords() {
    let img = qemu();
    let manual = (0..36).fold(0u64, |s, i| s.wrapping_add(read_u64(&img, i * 8)));
    assert_eq!(header_checksum(&img), Some(manual));
    assert_eq!(read_u64(&img, header::CHKSUM), manual);
    assert_eq!(header_checksum(&img[..0x11f]), None);
}

#[test]
fn err_too_short() {
    let img = qemu();
    assert_eq!(
        Hwrpb::parse(&img[..0x13f]).unwrap_err(),
        HwrpbError::TooShort {
            needed: 0x140,
            available: 0x13f
        }
    );
    assert_eq!(
        declared_size(&img[..31]).unwrap_err(),
        HwrpbError::TooShort {
            needed: 32,
            available: 31
        }
    );
    assert_eq!(declared_size(&img[..32]), Ok(0x140));
    assert!(Hwrpb::parse(&[]).is_err());
}

#[test]
fn err_bad_magic() {
    let found = u64::from_le_bytes(*b"HWRPC\0\0\0");
    assert_eq!(
        corrupt(header::ID, found),
        Err(HwrpbError::BadMagic { found })
    );
    let mut img = qemu();
    write_u64(&mut img, header::ID, 0);
    assert_eq!(declared_size(&img), Err(HwrpbError::BadMagic { found: 0 }));
}

#[test]
fn err_size_too_small() {
    assert_eq!(
        corrupt(header::SIZE, 0x138),
        Err(HwrpbError::SizeTooSmall { size: 0x138 })
    );
    assert_eq!(
        corrupt(header::SIZE, 0),
        Err(HwrpbError::SizeTooSmall { size: 0 })
    );
}

#[test]
fn err_size_too_large() {
    let size = (1 << 20) + 8;
    assert_eq!(
        corrupt(header::SIZE, size),
        Err(HwrpbError::SizeTooLarge { size })
    );
    assert_eq!(
        corrupt(header::SIZE, u64::MAX),
        Err(HwrpbError::SizeTooLarge { size: u64::MAX })
    );
}

#[test]
fn err_truncated() {
    assert_eq!(
        corrupt(header::SIZE, 0x2008),
        Err(HwrpbError::Truncated {
            size: 0x2008,
            available: 0x2000
        })
    );
    // SRM style: size covers the tables; a slice of just `size` bytes works,
    // one byte less does not.
    let img = HwrpbBuilder::qemu(64 * MIB).srm_style(b"x").build();
    let size = declared_size(&img).unwrap();
    assert!(exercise(&img[..size]).is_ok());
    assert_eq!(
        Hwrpb::parse(&img[..size - 1]).unwrap_err(),
        HwrpbError::Truncated {
            size: size as u64,
            available: size - 1
        }
    );
}

#[test]
fn err_checksum_mismatch() {
    let mut img = qemu();
    let stored = read_u64(&img, header::CHKSUM);
    write_u64(&mut img, header::CYCLE_FREQ, 250_000_001);
    let err = Hwrpb::parse(&img).unwrap_err();
    assert_eq!(
        err,
        HwrpbError::ChecksumMismatch {
            stored,
            computed: stored.wrapping_add(1)
        }
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("HWRPB checksum mismatch: stored 0x"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("computed {:#018x}", stored.wrapping_add(1))),
        "{msg}"
    );
    // Fields after the checksum are not covered.
    let mut img = qemu();
    write_u64(&mut img, header::RXRDY, 0xdead);
    assert!(exercise(&img).is_ok());
}

#[test]
fn err_bad_page_size() {
    assert_eq!(
        corrupt(header::PAGESIZE, 4096),
        Err(HwrpbError::BadPageSize { page_size: 4096 })
    );
}

#[test]
fn err_misaligned_phys_addr() {
    assert_eq!(
        corrupt(header::PHYS_ADDR, 0x1_0100),
        Err(HwrpbError::MisalignedPhysAddr {
            phys_addr: 0x1_0100
        })
    );
}

#[test]
fn err_bad_pa_bits() {
    assert_eq!(
        corrupt(header::PA_BITS, 0),
        Err(HwrpbError::BadPaBits { pa_bits: 0 })
    );
    assert_eq!(
        corrupt(header::PA_BITS, 65),
        Err(HwrpbError::BadPaBits { pa_bits: 65 })
    );
    // The high longword is the BSD "extended VA size", not part of pa_bits.
    let mut img = qemu();
    write_u64(&mut img, header::PA_BITS, (4 << 32) | 40);
    fix_checksum(&mut img);
    let rpb = exercise(&img).unwrap();
    assert_eq!(
        (rpb.header().pa_bits, rpb.header().extended_va_size),
        (40, 4)
    );
}

#[test]
fn err_no_processors() {
    assert_eq!(
        corrupt(header::NR_PROCESSORS, 0),
        Err(HwrpbError::NoProcessors)
    );
}

#[test]
fn err_primary_cpu_out_of_range() {
    // Old QEMU PALcode stored the CPU type (EV67 = 11) in `cpuid`.
    assert_eq!(
        corrupt(header::CPUID, 11),
        Err(HwrpbError::PrimaryCpuOutOfRange {
            cpu_id: 11,
            nr_processors: 1
        })
    );
}

#[test]
fn err_missing_table() {
    assert_eq!(
        corrupt(header::PROCESSOR_OFFSET, 0),
        Err(HwrpbError::MissingTable {
            table: Table::ProcessorSlots
        })
    );
    assert_eq!(
        corrupt(header::MDDT_OFFSET, 0),
        Err(HwrpbError::MissingTable {
            table: Table::MemoryDescriptorTable
        })
    );
}

#[test]
fn err_misaligned_table() {
    let off = mddt_at() as u64 + 4;
    assert_eq!(
        corrupt(header::MDDT_OFFSET, off),
        Err(HwrpbError::MisalignedTable {
            table: Table::MemoryDescriptorTable,
            offset: off
        })
    );
    assert_eq!(
        corrupt(header::PROCESSOR_OFFSET, 0x141),
        Err(HwrpbError::MisalignedTable {
            table: Table::ProcessorSlots,
            offset: 0x141
        })
    );
}

#[test]
fn err_bad_entry_size() {
    assert_eq!(
        corrupt(header::PROCESSOR_SIZE, 0x10),
        Err(HwrpbError::BadEntrySize {
            table: Table::ProcessorSlots,
            size: 0x10,
            minimum: slot::MIN_SIZE as u64
        })
    );
    assert!(matches!(
        corrupt(header::PROCESSOR_SIZE, 0x271),
        Err(HwrpbError::BadEntrySize { size: 0x271, .. })
    ));
    assert_eq!(
        corrupt(header::CTB_SIZE, 8),
        Err(HwrpbError::BadEntrySize {
            table: Table::ConsoleTerminalBlocks,
            size: 8,
            minimum: ctb::MIN_SIZE as u64
        })
    );
}

#[test]
fn err_count_overflow() {
    assert_eq!(
        corrupt(header::NR_PROCESSORS, 1 << 60),
        Err(HwrpbError::CountOverflow {
            table: Table::ProcessorSlots,
            count: 1 << 60,
            entry_size: 0x270
        })
    );
    assert_eq!(
        corrupt(mddt_at() + mddt::NUMCLUSTERS, u64::MAX),
        Err(HwrpbError::CountOverflow {
            table: Table::MemoryDescriptorTable,
            count: u64::MAX,
            entry_size: 0x38
        })
    );
    let crb_at = HwrpbBuilder::qemu(128 * MIB).layout().crb;
    assert!(matches!(
        corrupt(crb_at + crb::MAP_ENTRIES, u64::MAX / 2),
        Err(HwrpbError::CountOverflow {
            table: Table::ConsoleCallbackBlock,
            ..
        })
    ));
}

#[test]
fn err_table_out_of_bounds() {
    assert_eq!(
        corrupt(header::NR_PROCESSORS, 100),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::ProcessorSlots,
            offset: 0x140,
            length: 100 * 0x270,
            available: 0x2000
        })
    );
    assert_eq!(
        corrupt(mddt_at() + mddt::NUMCLUSTERS, 1000),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::MemoryDescriptorTable,
            offset: 0xb00,
            length: 0x18 + 1000 * 0x38,
            available: 0x2000
        })
    );
    assert_eq!(
        corrupt(header::MDDT_OFFSET, 0x1ff8),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::MemoryDescriptorTable,
            offset: 0x1ff8,
            length: 0x18,
            available: 0x2000
        })
    );
    // offset + length wraps around 2^64.
    assert!(matches!(
        corrupt(header::MDDT_OFFSET, u64::MAX - 7),
        Err(HwrpbError::TableOutOfBounds {
            offset: 0xffff_ffff_ffff_fff8,
            ..
        })
    ));
    let crb_at = HwrpbBuilder::qemu(128 * MIB).layout().crb;
    assert!(matches!(
        corrupt(crb_at + crb::MAP_ENTRIES, 1000),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::ConsoleCallbackBlock,
            ..
        })
    ));
    assert!(matches!(
        corrupt(header::CTB_NR, 100),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::ConsoleTerminalBlocks,
            ..
        })
    ));
    assert!(matches!(
        corrupt(header::CRB_OFFSET, 0x2000),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::ConsoleCallbackBlock,
            ..
        })
    ));
}

#[test]
fn err_dsr_out_of_bounds() {
    let b = HwrpbBuilder::qemu(64 * MIB).srm_style(b"name");
    let at = b.layout().dsr;
    let img = b.build();
    let with = |off: usize, v: u64| {
        let mut i = img.clone();
        write_u64(&mut i, off, v);
        fix_checksum(&mut i);
        exercise(&i).map(|_| ())
    };
    assert!(matches!(
        with(header::DSR_OFFSET, img.len() as u64),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::DynamicSystemRecognition,
            ..
        })
    ));
    assert!(matches!(
        with(at + dsr::SYSNAME_OFF, 0x4000),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::DsrSystemName,
            ..
        })
    ));
    assert!(matches!(
        with(at + dsr::SYSNAME_OFF, u64::MAX - 7),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::DsrSystemName,
            ..
        })
    ));
    assert!(matches!(
        with(at + dsr::SIZE_OF, 1 << 40),
        Err(HwrpbError::TableOutOfBounds {
            table: Table::DsrSystemName,
            ..
        })
    ));
    assert!(matches!(
        with(at + dsr::SYSNAME_OFF, 0x1c),
        Err(HwrpbError::MisalignedTable {
            table: Table::DsrSystemName,
            ..
        })
    ));
    // sysname_off 0 means "no name".
    assert!(with(at + dsr::SYSNAME_OFF, 0).is_ok());
}

#[test]
fn err_tables_overlap() {
    let l = HwrpbBuilder::qemu(128 * MIB).layout();
    assert_eq!(
        corrupt(header::CTBT_OFFSET, l.crb as u64 - 8),
        Err(HwrpbError::TablesOverlap {
            first: Table::ConsoleTerminalBlocks,
            second: Table::ConsoleCallbackBlock
        })
    );
    assert_eq!(
        corrupt(header::CTBT_OFFSET, 0x100),
        Err(HwrpbError::TablesOverlap {
            first: Table::Header,
            second: Table::ConsoleTerminalBlocks
        })
    );
    // Processor slots moved onto the MDDT.
    let mut img = qemu();
    write_u64(&mut img, header::PROCESSOR_OFFSET, l.mddt as u64 - 0x100);
    fix_checksum(&mut img);
    assert_eq!(
        exercise(&img).map(|_| ()),
        Err(HwrpbError::TablesOverlap {
            first: Table::ProcessorSlots,
            second: Table::MemoryDescriptorTable
        })
    );
}

#[test]
fn err_no_memory_clusters() {
    assert_eq!(
        corrupt(mddt_at() + mddt::NUMCLUSTERS, 0),
        Err(HwrpbError::NoMemoryClusters)
    );
    let img = HwrpbBuilder::qemu(0).clusters(vec![]).build();
    assert_eq!(
        Hwrpb::parse(&img).unwrap_err(),
        HwrpbError::NoMemoryClusters
    );
}

#[test]
fn err_clusters_out_of_order() {
    assert_eq!(
        corrupt(cluster_at(0) + cluster::START_PFN, 100),
        Err(HwrpbError::ClustersOutOfOrder {
            index: 1,
            start_pfn: 32,
            previous_start_pfn: 100
        })
    );
    let img = HwrpbBuilder::qemu(0)
        .clusters(vec![
            MemCluster::new(1000, 10, 0),
            MemCluster::new(0, 10, 1),
        ])
        .build();
    assert!(matches!(
        Hwrpb::parse(&img),
        Err(HwrpbError::ClustersOutOfOrder { index: 1, .. })
    ));
}

#[test]
fn err_clusters_overlap() {
    assert_eq!(
        corrupt(cluster_at(1) + cluster::START_PFN, 31),
        Err(HwrpbError::ClustersOverlap {
            index: 1,
            start_pfn: 31,
            previous_end_pfn: 32
        })
    );
    // Touching is fine, and so are empty clusters and holes.
    let img = HwrpbBuilder::qemu(0)
        .clusters(vec![
            MemCluster::new(0, 10, 1),
            MemCluster::new(10, 0, 0),
            MemCluster::new(10, 5, 0),
            MemCluster::new(100, 5, 2),
        ])
        .build();
    let rpb = exercise(&img).unwrap();
    assert_eq!(rpb.total_memory_bytes(), 20 * 8192);
    assert_eq!(rpb.available_memory_bytes(), 5 * 8192);
    assert!(rpb.memory_clusters().nth(3).unwrap().is_nonvolatile());
    assert_eq!(rpb.mddt().unwrap().cluster(2), Some(MemCluster::new(10, 5, 0)));
}

#[test]
fn err_cluster_end_overflow() {
    // start + numpages wraps.
    assert_eq!(
        corrupt(cluster_at(1) + cluster::NUMPAGES, u64::MAX),
        Err(HwrpbError::ClusterEndOverflow {
            index: 1,
            start_pfn: 32,
            numpages: u64::MAX
        })
    );
    // The end pfn fits, but not its byte address (with pa_bits = 64).
    let mut b = HwrpbBuilder::qemu(0).clusters(vec![MemCluster::new(1 << 51, 1, 0)]);
    b.pa_bits = 64;
    assert_eq!(
        Hwrpb::parse(&b.build()).unwrap_err(),
        HwrpbError::ClusterEndOverflow {
            index: 0,
            start_pfn: 1 << 51,
            numpages: 1
        }
    );
}

#[test]
fn err_cluster_beyond_pa_bits() {
    let end_pfn = (1u64 << 40) / 8192;
    let ok = HwrpbBuilder::qemu(0)
        .clusters(vec![MemCluster::new(end_pfn - 1, 1, 0)])
        .build();
    assert!(exercise(&ok).is_ok(), "ending exactly at 2^40 is fine");
    let bad = HwrpbBuilder::qemu(0)
        .clusters(vec![MemCluster::new(end_pfn, 1, 0)])
        .build();
    assert_eq!(
        Hwrpb::parse(&bad).unwrap_err(),
        HwrpbError::ClusterBeyondPhysicalAddressSpace {
            index: 0,
            end_addr: (1 << 40) + 8192,
            pa_bits: 40
        }
    );
}

#[test]
fn display_messages_are_specific() {
    use HwrpbError as E;
    let t = Table::MemoryDescriptorTable;
    let all = [
        E::TooShort {
            needed: 1,
            available: 0,
        },
        E::BadMagic { found: 1 },
        E::SizeTooSmall { size: 1 },
        E::SizeTooLarge { size: 1 },
        E::Truncated {
            size: 1,
            available: 0,
        },
        E::ChecksumMismatch {
            stored: 1,
            computed: 2,
        },
        E::BadPageSize { page_size: 1 },
        E::MisalignedPhysAddr { phys_addr: 1 },
        E::BadPaBits { pa_bits: 1 },
        E::NoProcessors,
        E::PrimaryCpuOutOfRange {
            cpu_id: 1,
            nr_processors: 1,
        },
        E::MissingTable { table: t },
        E::MisalignedTable {
            table: t,
            offset: 1,
        },
        E::BadEntrySize {
            table: t,
            size: 1,
            minimum: 8,
        },
        E::CountOverflow {
            table: t,
            count: 1,
            entry_size: 1,
        },
        E::TableOutOfBounds {
            table: t,
            offset: 1,
            length: 1,
            available: 0,
        },
        E::TablesOverlap {
            first: Table::Header,
            second: t,
        },
        E::NoMemoryClusters,
        E::ClustersOutOfOrder {
            index: 1,
            start_pfn: 1,
            previous_start_pfn: 2,
        },
        E::ClustersOverlap {
            index: 1,
            start_pfn: 1,
            previous_end_pfn: 2,
        },
        E::ClusterEndOverflow {
            index: 1,
            start_pfn: 1,
            numpages: 1,
        },
        E::ClusterBeyondPhysicalAddressSpace {
            index: 1,
            end_addr: 1,
            pa_bits: 1,
        },
    ];
    let msgs: Vec<String> = all.iter().map(|e| e.to_string()).collect();
    for (i, m) in msgs.iter().enumerate() {
        assert!(m.starts_with("HWRPB "), "{m}");
        assert!(
            msgs.iter().skip(i + 1).all(|o| o != m),
            "duplicate message {m}"
        );
    }
    assert_eq!(
        E::TableOutOfBounds {
            table: t,
            offset: 0xb00,
            length: 0x18,
            available: 0x100
        }
        .to_string(),
        "HWRPB memory data descriptor table (mddt_offset) at offset 0xb00 with length 0x18 does \
         not fit in the 0x100 bytes provided"
    );
    assert!(
        E::BadMagic { found: 0 }
            .to_string()
            .contains("0x4857525042000000")
    );
}
