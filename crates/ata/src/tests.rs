//! Unit tests: every error of every module, hand-built vectors from the
//! standards, and IDENTIFY data laid out as QEMU's `ide_identify` does.

use crate::identify::{self, IdentifyError};
use crate::prd::{self, PrdEntry, PrdError};
use crate::status::{bm_describe, describe};
use crate::taskfile::{self, AtaError, Command, Reg, Taskfile};

// ---------------------------------------------------------------- prd

fn build_vec(segs: &[(u32, u32)]) -> Result<Vec<PrdEntry>, PrdError> {
    let mut out = vec![PrdEntry { addr: 0, flags_count: 0 }; 1024];
    let n = prd::build(segs, &mut out)?;
    out.truncate(n);
    Ok(out)
}

#[test]
fn entry_encoding() {
    let e = PrdEntry::new(0x1234_5678, 0x1_0000, true);
    assert_eq!(e.flags_count, 0x8000_0000);
    assert_eq!(e.len(), 65536);
    assert!(e.is_last());
    assert_eq!(e.to_le_bytes(), [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0x80]);
    assert_eq!(PrdEntry::from_le_bytes(e.to_le_bytes()), e);
    let e = PrdEntry::new(0x2000, 512, false);
    assert_eq!(e.to_le_bytes(), [0, 0x20, 0, 0, 0, 2, 0, 0]);
    assert_eq!(e.len(), 512);
    assert!(!e.is_last());
}

#[test]
fn build_single_aligned() {
    let t = build_vec(&[(0x10_0000, 4096)]).unwrap();
    assert_eq!(t, [PrdEntry::new(0x10_0000, 4096, true)]);
}

#[test]
fn build_splits_at_64k_boundary() {
    // 8 KiB starting 2 KiB below a boundary: 2 KiB, then 6 KiB.
    let t = build_vec(&[(0x3_f800, 8192)]).unwrap();
    assert_eq!(t, [PrdEntry::new(0x3_f800, 0x800, false), PrdEntry::new(0x4_0000, 0x1800, true)]);
}

#[test]
fn build_full_64k_regions_encode_as_zero() {
    // 192 KiB from a boundary: three full regions, count 0 each.
    let t = build_vec(&[(0x20_0000, 3 * 65536)]).unwrap();
    assert_eq!(t.len(), 3);
    for (i, e) in t.iter().enumerate() {
        assert_eq!(e.addr, 0x20_0000 + i as u32 * 0x1_0000);
        assert_eq!(e.flags_count & 0xffff, 0);
        assert_eq!(e.len(), 65536);
        assert_eq!(e.is_last(), i == 2);
    }
}

#[test]
fn build_keeps_segments_apart() {
    // Two contiguous segments are not joined.
    let t = build_vec(&[(0x1000, 0x1000), (0x2000, 0x1000)]).unwrap();
    assert_eq!(t, [PrdEntry::new(0x1000, 0x1000, false), PrdEntry::new(0x2000, 0x1000, true)]);
}

#[test]
fn build_up_to_the_top_of_4gib() {
    let t = build_vec(&[(0xffff_f000, 0x1000)]).unwrap();
    assert_eq!(t, [PrdEntry::new(0xffff_f000, 0x1000, true)]);
    assert_eq!(build_vec(&[(0xffff_f000, 0x1002)]), Err(PrdError::CrossesFourGiB { index: 0 }));
}

#[test]
fn build_errors() {
    assert_eq!(build_vec(&[]), Err(PrdError::Empty));
    assert_eq!(build_vec(&[(0x1000, 512), (0x4000, 0)]), Err(PrdError::Empty));
    assert_eq!(build_vec(&[(0x1000, 512), (0x4001, 512)]), Err(PrdError::OddAddress { index: 1 }));
    assert_eq!(build_vec(&[(0x1000, 511)]), Err(PrdError::OddLength { index: 0 }));
    assert_eq!(
        build_vec(&[(0, 2), (0, 2), (0xffff_0000, 0x2_0000)]),
        Err(PrdError::CrossesFourGiB { index: 2 })
    );
    // The first bad segment is reported, whatever the later ones.
    assert_eq!(build_vec(&[(1, 1), (0, 0)]), Err(PrdError::OddAddress { index: 0 }));
    // One byte (two) over the maximum.
    let too_long = [(0x100_0000, prd::MAX_BYTES as u32), (0, 2)];
    assert_eq!(build_vec(&too_long), Err(PrdError::TooLong { total: prd::MAX_BYTES + 2, max: prd::MAX_BYTES }));
    // Exactly the maximum fits, in 512 entries when aligned.
    assert_eq!(build_vec(&[(0x100_0000, prd::MAX_BYTES as u32)]).unwrap().len(), 512);
}

#[test]
fn build_too_many_entries_names_the_need() {
    let segs = [(0xf000, 0x2000), (0x10_0000, 0x100)];
    assert_eq!(prd::entries_needed(&segs), 3);
    let mut out = [PrdEntry { addr: 0, flags_count: 0 }; 2];
    assert_eq!(prd::build(&segs, &mut out), Err(PrdError::TooManyEntries { needed: 3, max: 2 }));
    // Untouched on error.
    assert_eq!(out, [PrdEntry { addr: 0, flags_count: 0 }; 2]);
    let mut out = [PrdEntry { addr: 0, flags_count: 0 }; 3];
    assert_eq!(prd::build(&segs, &mut out), Ok(3));
}

#[test]
fn entries_needed_counts_windows() {
    assert_eq!(prd::entries_needed(&[]), 0);
    assert_eq!(prd::entries_needed(&[(0, 0)]), 0);
    assert_eq!(prd::entries_needed(&[(0, 65536)]), 1);
    assert_eq!(prd::entries_needed(&[(2, 65536)]), 2);
    assert_eq!(prd::entries_needed(&[(0xfffe, 4)]), 2);
    assert_eq!(prd::entries_needed(&[(0xffff_fffe, 2)]), 1);
    assert_eq!(prd::worst_case_entries(prd::MAX_BYTES, 1), 514);
    assert_eq!(prd::worst_case_entries(16384 * 512, 128), 384);
    assert!(prd::worst_case_entries(16384 * 512, 128) <= prd::QEMU_MAX_ENTRIES);
}

#[test]
fn table_placement() {
    assert_eq!(prd::table_fits(0x1000, 512), Ok(()));
    assert_eq!(prd::table_fits(0xfff8, 1), Ok(()));
    assert_eq!(prd::table_fits(0x1_0000, prd::MAX_ENTRIES), Ok(()));
    assert_eq!(prd::table_fits(0x1000, 0), Err(PrdError::Empty));
    assert_eq!(prd::table_fits(0x1002, 1), Err(PrdError::TableMisaligned { bus: 0x1002 }));
    assert_eq!(prd::table_fits(0xfff8, 2), Err(PrdError::TableCrossesBoundary { bus: 0xfff8, bytes: 16 }));
    assert_eq!(
        prd::table_fits(0x1_0004, prd::MAX_ENTRIES),
        Err(PrdError::TableCrossesBoundary { bus: 0x1_0004, bytes: 65536 })
    );
    assert_eq!(
        prd::table_fits(0, prd::MAX_ENTRIES + 1),
        Err(PrdError::TooManyEntries { needed: prd::MAX_ENTRIES + 1, max: prd::MAX_ENTRIES })
    );
    assert_eq!(prd::table_fits(1 << 32, 1), Err(PrdError::TableAboveFourGiB { bus: 1 << 32 }));
}

#[test]
fn prd_error_messages_name_the_culprit() {
    let s = |e: PrdError| e.to_string();
    assert_eq!(s(PrdError::OddAddress { index: 3 }), "PRD table: segment 3 starts at an odd address");
    assert_eq!(s(PrdError::OddLength { index: 4 }), "PRD table: segment 4 has an odd length");
    assert_eq!(s(PrdError::CrossesFourGiB { index: 5 }), "PRD table: segment 5 ends above 4 GiB");
    assert_eq!(s(PrdError::TooManyEntries { needed: 9, max: 8 }), "PRD table: 9 entries needed, room for 8");
    assert!(s(PrdError::TooLong { total: 7, max: 6 }).contains("7 bytes"));
    assert!(s(PrdError::TableMisaligned { bus: 0x1002 }).contains("0x1002"));
    assert!(s(PrdError::TableCrossesBoundary { bus: 0xfff8, bytes: 16 }).contains("0xfff8 (16 bytes)"));
    assert!(s(PrdError::TableAboveFourGiB { bus: 1 << 32 }).contains("0x100000000"));
    assert!(s(PrdError::Empty).contains("no data"));
}

// ---------------------------------------------------------------- taskfile

#[test]
fn command_names_and_kinds() {
    assert_eq!(Command::ReadDmaExt.name(), "READ DMA EXT");
    assert_eq!(Command::WriteSectors.to_string(), "WRITE SECTOR(S)");
    assert_eq!(Command::IdentifyDevice.opcode(), 0xec);
    let all = [
        Command::IdentifyDevice,
        Command::ReadDma,
        Command::ReadDmaExt,
        Command::WriteDma,
        Command::WriteDmaExt,
        Command::ReadSectors,
        Command::ReadSectorsExt,
        Command::WriteSectors,
        Command::WriteSectorsExt,
        Command::FlushCache,
        Command::FlushCacheExt,
        Command::SetFeatures,
    ];
    for c in all {
        assert_eq!(Command::from_opcode(c.opcode()), Some(c));
        assert_eq!(c.is_lba48(), c.name().ends_with(" EXT"), "{c}");
        assert_eq!(c.is_dma(), c.name().contains("DMA"), "{c}");
        assert!(!(c.data_in() && c.data_out()), "{c}");
        let moves = c.name().starts_with("READ") || c.name().starts_with("WRITE") || c == Command::IdentifyDevice;
        assert_eq!(c.data_in() || c.data_out(), moves, "{c}");
    }
    assert_eq!(Command::from_opcode(0x00), None);
}

#[test]
fn rw_picks_lba28_while_it_fits() {
    let tf = taskfile::rw(false, true, 0x0abc_def0, 8, 1 << 30, true).unwrap();
    assert_eq!(tf, Taskfile { command: Command::ReadDma, features: 0, count: 8, lba: 0x0abc_def0, device: 0x4a });
    // 256 sectors is count 0.
    let tf = taskfile::rw(true, false, 0, 256, 1000, false).unwrap();
    assert_eq!((tf.command, tf.count, tf.sectors()), (Command::WriteSectors, 0, 256));
    // The last sector a 28-bit command reaches is 0x0FFF_FFFE.
    let tf = taskfile::rw(false, true, 0x0fff_fffe, 1, 1 << 30, false).unwrap();
    assert_eq!(tf.command, Command::ReadDma);
    assert_eq!(tf.device, 0x4f);
}

#[test]
fn rw_switches_to_lba48() {
    // Over 256 sectors.
    let tf = taskfile::rw(true, true, 100, 257, 1 << 20, true).unwrap();
    assert_eq!(tf, Taskfile { command: Command::WriteDmaExt, features: 0, count: 257, lba: 100, device: 0x40 });
    // Touching sector 0x0FFF_FFFF.
    let tf = taskfile::rw(false, false, 0x0fff_fffe, 2, 1 << 30, true).unwrap();
    assert_eq!(tf.command, Command::ReadSectorsExt);
    // 65536 sectors is count 0.
    let tf = taskfile::rw(false, true, 0x1_2345_6789, 65536, 1 << 40, true).unwrap();
    assert_eq!((tf.command, tf.count, tf.sectors(), tf.device), (Command::ReadDmaExt, 0, 65536, 0x40));
}

#[test]
fn rw_errors() {
    assert_eq!(taskfile::rw(false, true, 0, 0, 100, true), Err(AtaError::ZeroSectors));
    assert_eq!(
        taskfile::rw(false, true, 99, 2, 100, true),
        Err(AtaError::PastEnd { lba: 99, sectors: 2, capacity: 100 })
    );
    assert_eq!(
        taskfile::rw(false, true, u64::MAX, 1, u64::MAX, true),
        Err(AtaError::PastEnd { lba: u64::MAX, sectors: 1, capacity: u64::MAX })
    );
    assert_eq!(
        taskfile::rw(false, true, 0, 257, 1000, false),
        Err(AtaError::TooMany { sectors: 257, max: 256 })
    );
    assert_eq!(
        taskfile::rw(false, true, 0, 65537, 1 << 20, true),
        Err(AtaError::TooMany { sectors: 65537, max: 65536 })
    );
    assert_eq!(
        taskfile::rw(false, true, 0x0fff_ffff, 1, 1 << 29, false),
        Err(AtaError::NeedsLba48 { lba: 0x0fff_ffff, sectors: 1 })
    );
    // Beyond 48 bits on an impossibly large drive.
    assert_eq!(
        taskfile::rw(false, true, 1 << 48, 1, u64::MAX, true),
        Err(AtaError::PastEnd { lba: 1 << 48, sectors: 1, capacity: 1 << 48 })
    );
    assert_eq!(AtaError::TooMany { sectors: 300, max: 256 }.to_string(), "300 sectors in one command, at most 256 on this drive");
    assert!(AtaError::NeedsLba48 { lba: 5, sectors: 1 }.to_string().contains("sectors 5..6"));
    assert!(AtaError::PastEnd { lba: 5, sectors: 1, capacity: 5 }.to_string().contains("(5 sectors)"));
    assert!(AtaError::ZeroSectors.to_string().contains("0 sectors"));
}

fn writes(tf: &Taskfile) -> Vec<(Reg, u8)> {
    let (w, n) = taskfile::register_writes(tf);
    w[..n].to_vec()
}

#[test]
fn register_writes_lba28() {
    let tf = taskfile::rw(false, true, 0x0123_4567, 16, 1 << 28, false).unwrap();
    assert_eq!(
        writes(&tf),
        [
            (Reg::Features, 0),
            (Reg::SectorCount, 16),
            (Reg::LbaLow, 0x67),
            (Reg::LbaMid, 0x45),
            (Reg::LbaHigh, 0x23),
            (Reg::Device, 0x41),
            (Reg::Command, 0xc8),
        ]
    );
}

#[test]
fn register_writes_lba48_high_order_first() {
    let tf = taskfile::rw(true, true, 0xba98_7654_3210, 0x1234, 1 << 48, true).unwrap();
    assert_eq!(
        writes(&tf),
        [
            (Reg::Features, 0),
            (Reg::SectorCount, 0x12),
            (Reg::LbaLow, 0x76),
            (Reg::LbaMid, 0x98),
            (Reg::LbaHigh, 0xba),
            (Reg::Features, 0),
            (Reg::SectorCount, 0x34),
            (Reg::LbaLow, 0x10),
            (Reg::LbaMid, 0x32),
            (Reg::LbaHigh, 0x54),
            (Reg::Device, 0x40),
            (Reg::Command, 0x35),
        ]
    );
}

#[test]
fn non_data_commands() {
    assert_eq!(taskfile::flush(false).command, Command::FlushCache);
    assert_eq!(writes(&taskfile::flush(true)).len(), 12);
    assert_eq!(writes(&taskfile::flush(true)).last(), Some(&(Reg::Command, 0xea)));
    assert_eq!(writes(&taskfile::identify()).last(), Some(&(Reg::Command, 0xec)));
    assert_eq!(taskfile::identify().on_dev1(true).device, 0x10);
    let sf = taskfile::set_features(taskfile::FEATURE_XFER_MODE, taskfile::XFER_UDMA | 5);
    assert_eq!(
        writes(&sf),
        [
            (Reg::Features, 3),
            (Reg::SectorCount, 0x45),
            (Reg::LbaLow, 0),
            (Reg::LbaMid, 0),
            (Reg::LbaHigh, 0),
            (Reg::Device, 0),
            (Reg::Command, 0xef),
        ]
    );
    let offsets: Vec<u64> =
        [Reg::Features, Reg::SectorCount, Reg::LbaLow, Reg::LbaMid, Reg::LbaHigh, Reg::Device, Reg::Command]
            .iter()
            .map(Reg::offset)
            .collect();
    assert_eq!(offsets, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(Reg::SectorCount.name(), "SECTOR COUNT");
}

// ---------------------------------------------------------------- identify

/// Writes `s` into words `from..from + len/2`, padded with spaces, the
/// first character of each pair in the high byte (as the standard says).
fn put_str(w: &mut [u16; 256], from: usize, len: usize, s: &str) {
    let mut b: Vec<u8> = s.bytes().collect();
    b.resize(len, b' ');
    for i in 0..len / 2 {
        w[from + i] = (b[2 * i] as u16) << 8 | b[2 * i + 1] as u16;
    }
}

/// A drive as ATA/ATAPI-8 describes one: LBA, DMA, 48-bit, UDMA 0-6,
/// a checksum in word 255.
fn spec_drive() -> [u16; 256] {
    let mut w = [0u16; 256];
    w[0] = 0x0040;
    put_str(&mut w, 10, 20, "  WD-WMAYP1234567");
    put_str(&mut w, 23, 8, "01.01A01");
    put_str(&mut w, 27, 40, "WDC WD5000AAKX-00ERMA0");
    w[47] = 0x8010;
    w[49] = 1 << 9 | 1 << 8;
    w[53] = 0x0007;
    w[60] = 0xffff;
    w[61] = 0x0fff;
    w[63] = 0x0407;
    w[64] = 0x0003;
    w[80] = 0x01f0;
    w[82] = 0x7469;
    w[83] = 0x7f61 | 1 << 10;
    w[85] = 0x7469;
    w[88] = 0x407f;
    let cap: u64 = 976_773_168;
    for i in 0..4 {
        w[100 + i] = (cap >> (16 * i)) as u16;
    }
    seal(&mut w);
    w
}

/// Sets word 255: signature 0xA5 and the checksum byte.
fn seal(w: &mut [u16; 256]) {
    w[255] = 0x00a5;
    let sum = w.iter().fold(0u8, |s, x| s.wrapping_add(*x as u8).wrapping_add((*x >> 8) as u8));
    w[255] |= (sum.wrapping_neg() as u16) << 8;
}

#[test]
fn identify_spec_drive() {
    let id = identify::parse(&spec_drive()).unwrap();
    assert_eq!(id.model(), "WDC WD5000AAKX-00ERMA0");
    assert_eq!(id.serial(), "WD-WMAYP1234567");
    assert_eq!(id.firmware(), "01.01A01");
    assert_eq!(id.lba28_sectors, 0x0fff_ffff);
    assert!(id.lba48);
    assert_eq!(id.capacity(), 976_773_168);
    assert!(id.dma);
    assert_eq!(id.mwdma_modes, 7);
    assert_eq!(id.udma_modes, 0x7f);
    assert_eq!(id.best_udma(), Some(6));
    assert_eq!(id.best_mwdma(), Some(2));
    assert_eq!(id.pio_modes, 3);
    assert_eq!(id.best_pio(), 4);
    assert!(id.flush_cache && id.flush_cache_ext && id.write_cache && id.write_cache_enabled);
    assert_eq!(id.max_multiple, 16);
}

/// The words as QEMU's `ide_identify` (hw/ide/core.c) fills them for a
/// disk of `sectors` sectors: model "QEMU HARDDISK", serial "QM00001",
/// firmware the QEMU version, word 47 0x8010 (16 sectors per block),
/// 49 = DMA | LBA | IORDY, 53 = 7, 60-61 capped at 0x0FFF_FFFF, 63 = 7,
/// 64 = 3, 80 = 0xF0, 82 = NOP | write cache | SMART, 83 = 0x4000 | FLUSH
/// CACHE EXT | FLUSH CACHE | 48-bit, 85 with write cache enabled, 88 =
/// UDMA 0-5 with 5 selected, 100-103 the whole size; word 255 is 0 (no
/// checksum).
fn qemu_drive(sectors: u64) -> [u16; 256] {
    let mut w = [0u16; 256];
    w[0] = 0x0040;
    w[1] = 16383;
    w[3] = 16;
    w[4] = 512 * 63;
    w[5] = 512;
    w[6] = 63;
    put_str(&mut w, 10, 20, "QM00001");
    w[20] = 3;
    w[21] = 512;
    w[22] = 4;
    put_str(&mut w, 23, 8, "2.5+");
    put_str(&mut w, 27, 40, "QEMU HARDDISK");
    w[47] = 0x8000 | 16;
    w[48] = 1;
    w[49] = 1 << 11 | 1 << 9 | 1 << 8;
    w[51] = 0x200;
    w[52] = 0x200;
    w[53] = 1 | 1 << 1 | 1 << 2;
    w[62] = 0x07;
    w[63] = 0x07;
    w[64] = 0x03;
    w[65..=68].copy_from_slice(&[120; 4]);
    w[80] = 0xf0;
    w[81] = 0x16;
    w[82] = 1 << 14 | 1 << 5 | 1;
    w[83] = 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10;
    w[84] = 1 << 14;
    w[85] = 1 << 14 | 1 << 5 | 1;
    w[86] = 1 << 13 | 1 << 12 | 1 << 10;
    w[87] = 1 << 14;
    w[88] = 0x3f | 1 << 13;
    w[93] = 1 | 1 << 14 | 0x2000;
    let lba28 = sectors.min((1 << 28) - 1);
    w[60] = lba28 as u16;
    w[61] = (lba28 >> 16) as u16;
    for i in 0..4 {
        w[100 + i] = (sectors >> (16 * i)) as u16;
    }
    w
}

#[test]
fn identify_qemu_drive() {
    let id = identify::parse(&qemu_drive(131072)).unwrap();
    assert_eq!(id.model(), "QEMU HARDDISK");
    assert_eq!(id.serial(), "QM00001");
    assert_eq!(id.firmware(), "2.5+");
    assert_eq!(id.capacity(), 131072);
    assert_eq!(id.lba28_sectors, 131072);
    assert!(id.lba48 && id.dma && id.flush_cache && id.flush_cache_ext);
    assert_eq!((id.udma_modes, id.mwdma_modes, id.pio_modes, id.max_multiple), (0x3f, 7, 3, 16));
    assert_eq!(id.best_udma(), Some(5));
    assert_eq!(
        id.to_string(),
        "\"QEMU HARDDISK\" serial QM00001 firmware 2.5+, 131072 sectors (64 MiB), LBA48, \
         UDMA0-5 MWDMA0-2 PIO4, write cache on, FLUSH CACHE EXT"
    );
    // A disk past the 28-bit limit: words 60-61 capped, 100-103 the size.
    let id = identify::parse(&qemu_drive(1 << 30)).unwrap();
    assert_eq!(id.lba28_sectors, 0x0fff_ffff);
    assert_eq!(id.capacity(), 1 << 30);
}

#[test]
fn identify_without_48_bit_uses_words_60_61() {
    let mut w = qemu_drive(5000);
    w[83] = 1 << 14 | 1 << 12;
    w[100] = 0x1234; // ignored without the feature set
    let id = identify::parse(&w).unwrap();
    assert!(!id.lba48 && id.flush_cache && !id.flush_cache_ext);
    assert_eq!(id.capacity(), 5000);
    // Word 83 not valid (bits 15:14 not 01): no feature bit counts.
    w[83] = 0xffff;
    let id = identify::parse(&w).unwrap();
    assert!(!id.lba48 && !id.flush_cache && !id.write_cache);
    // Word 53 bit 2 clear: word 88 is not valid.
    w[53] = 0;
    w[49] &= !(1 << 8);
    let id = identify::parse(&w).unwrap();
    assert_eq!((id.udma_modes, id.pio_modes, id.best_pio()), (0, 0, 2));
    assert_eq!(
        id.to_string(),
        "\"QEMU HARDDISK\" serial QM00001 firmware 2.5+, 5000 sectors (2 MiB), LBA28, no DMA, \
         MWDMA0-2 PIO2, no write cache, no FLUSH CACHE"
    );
}

#[test]
fn identify_strings_keep_printable_ascii() {
    let mut w = qemu_drive(100);
    w[27] = 0x41ff; // "A" then a byte that is not ASCII
    let id = identify::parse(&w).unwrap();
    assert_eq!(id.model(), "A?MU HARDDISK");
    let mut w = qemu_drive(100);
    put_str(&mut w, 27, 40, "");
    assert_eq!(identify::parse(&w).unwrap().model(), "");
}

#[test]
fn identify_errors() {
    let mut w = qemu_drive(100);
    w[0] = 0x85c0; // ATAPI
    assert_eq!(identify::parse(&w), Err(IdentifyError::NotAta));
    assert_eq!(identify::parse(&[0xffff; 256]), Err(IdentifyError::NotAta));

    let mut w = spec_drive();
    w[100] ^= 1; // one bit flipped after sealing
    assert_eq!(identify::parse(&w), Err(IdentifyError::BadChecksum));
    assert_eq!(identify::checksum(&w), 1);
    let mut w = spec_drive();
    w[255] = 0x00a5; // signature, checksum byte 0
    assert_eq!(identify::parse(&w), Err(IdentifyError::BadChecksum));

    let mut w = qemu_drive(100);
    w[49] &= !(1 << 9);
    assert_eq!(identify::parse(&w), Err(IdentifyError::NoLba));

    assert_eq!(identify::parse(&qemu_drive(0)), Err(IdentifyError::ZeroCapacity));
    let mut w = spec_drive();
    w[60] = 0;
    w[61] = 0;
    w[100..104].fill(0);
    seal(&mut w);
    assert_eq!(identify::parse(&w), Err(IdentifyError::ZeroCapacity));

    assert!(IdentifyError::NotAta.to_string().contains("word 0 bit 15"));
    assert!(IdentifyError::BadChecksum.to_string().contains("checksum"));
    assert!(IdentifyError::NoLba.to_string().contains("no LBA"));
    assert!(IdentifyError::ZeroCapacity.to_string().contains("0 sectors"));
}

// ---------------------------------------------------------------- status

#[test]
fn status_words() {
    assert_eq!(describe(0x51, 0x04).to_string(), "status 0x51 (DRDY DSC ERR), error 0x04 (ABRT)");
    assert_eq!(describe(0x50, 0x00).to_string(), "status 0x50 (DRDY DSC), error 0x00 (-)");
    assert_eq!(describe(0x80, 0x00).to_string(), "status 0x80 (BSY), error 0x00 (-)");
    assert_eq!(describe(0x58, 0x00).to_string(), "status 0x58 (DRDY DSC DRQ), error 0x00 (-)");
    assert_eq!(
        describe(0x21, 0xd3).to_string(),
        "status 0x21 (DF ERR), error 0xd3 (ICRC UNC IDNF TK0NF AMNF)"
    );
    assert_eq!(describe(0x0e, 0x28).to_string(), "status 0x0e (DRQ CORR IDX), error 0x28 (MC MCR)");
    assert_eq!(
        describe(0xff, 0xff).to_string(),
        "status 0xff (BSY DRDY DF DSC DRQ CORR IDX ERR: floating bus, no drive?), \
         error 0xff (ICRC UNC MC IDNF MCR ABRT TK0NF AMNF)"
    );
    assert_eq!(bm_describe(0x64).to_string(), "bm status 0x64 (DRV1DMA DRV0DMA INTR)");
    assert_eq!(bm_describe(0x83).to_string(), "bm status 0x83 (SIMPLEX ERROR ACTIVE)");
    assert_eq!(bm_describe(0x00).to_string(), "bm status 0x00 (-)");
}
