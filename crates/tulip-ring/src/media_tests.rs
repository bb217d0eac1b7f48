//! Unit tests of the media modules: the serial ROM info leaf (QEMU's
//! image, hand-built ROMs in the layouts Linux and NetBSD read, every
//! error), MII management frames against a clause 22 PHY and against
//! QEMU's model, autonegotiation resolution, and the register values.

use crate::csr::csr6;
use crate::media::{self, Abilities, Csr6Media, Csr12, LinkMode, NwayResult, SiaCsrs, csr12, csr14};
use crate::mii::{self, anar, bmsr, reg};
use crate::models::*;
use crate::srom_info::{self, Connection, MediaBlock, SromError, Words, code, conn};

const QEMU_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

// ------------------------------------------------------------ serial ROM

#[test]
fn qemus_rom_has_one_mii_phy_block() {
    let rom = qemu_eeprom(QEMU_MAC);
    let leaf = srom_info::parse(&rom, 2).unwrap();
    assert_eq!((leaf.version, leaf.chip_count, leaf.chip, leaf.device, leaf.offset), (4, 1, 0, 0, 0x1e));
    assert_eq!(leaf.connection, conn::AUTOSENSE);
    assert_eq!(srom_info::connection_name(leaf.connection), "autosense");
    assert_eq!(srom_info::connection(leaf.connection), Connection::Sense);
    assert_eq!(
        leaf.blocks(),
        [MediaBlock::Mii {
            phy: 0,
            gp_init: Words::new(&[]),
            reset: Words::new(&[]),
            capabilities: bmsr::TX_FD | bmsr::TX_HD | bmsr::T10_FD | bmsr::T10_HD,
            advertisement: anar::TX_FD | anar::TX_HD | anar::T10_FD | anar::T10_HD,
            fdx: bmsr::TX_FD | bmsr::T10_FD,
            ttm: bmsr::T10_FD | bmsr::T10_HD,
            interrupt: Some(0),
        }]
    );
    assert!(leaf.has_mii());
    assert_eq!(leaf.mii_block(0), Some(&leaf.blocks()[0]));
    assert_eq!(leaf.mii_block(3), Some(&leaf.blocks()[0]), "falls back to the first MII block");
    assert_eq!(leaf.sia_abilities(), 0);
    assert_eq!(leaf.reset_sequences().count(), 0);
    assert_eq!(
        format!("{}", leaf.blocks()[0]),
        "MII PHY #0 (GP init [], reset [], capabilities 0x7800, advertise 0x01e0, FDX 0x5000, TTM 0x1800, interrupt 0x00)"
    );
}

#[test]
fn crc_matches_qemus_algorithm() {
    for mac in [QEMU_MAC, [0x08, 0x00, 0x2b, 0xaa, 0xbb, 0xcc], [0; 6]] {
        let rom = qemu_eeprom(mac);
        let c = srom_info::check_crc(&rom).unwrap();
        assert!(c.ok(), "{c:?}");
        assert_eq!(c.computed, qemu_srom_crc(&rom[..126]));
    }
    // The standard check value of CRC-32.
    assert_eq!(srom_info::crc32(b"123456789"), 0xcbf4_3926);
    let mut rom = qemu_eeprom(QEMU_MAC);
    rom[40] ^= 1;
    assert!(!srom_info::check_crc(&rom).unwrap().ok());
    assert_eq!(srom_info::check_crc(&rom[..127]), None);
}

#[test]
fn sia_sym_and_reset_blocks_as_linux_reads_them() {
    let reset_words = [0x08u8, 0x00, 0x00, 0x08];
    let blocks = [
        MediaBlock::Reset { sequence: Words::new(&reset_words) },
        MediaBlock::Sia { code: code::TP, csrs: None, gp_control: 0x0801, gp_data: 0x0000 },
        MediaBlock::Sia {
            code: code::TP_FD,
            csrs: Some(SiaCsrs { csr13: 0x0001, csr14: 0x7f3d, csr15: 0x0008 }),
            gp_control: 0x0801,
            gp_data: 0x0002,
        },
        MediaBlock::Sym { code: code::TX100, gp_control: 0x0801, gp_data: 0x0001, command: 0x0071 },
        MediaBlock::Sym { code: code::TX100_FD, gp_control: 0x0801, gp_data: 0x0001, command: 0x4071 },
    ];
    let rom = build_rom(4, conn::AUTOSENSE, 0x20, &blocks);
    // Byte-level spot checks against the layout (Linux `tulip_parse_eeprom`).
    assert_eq!(&rom[0x20..0x23], &[0x00, 0x08, 5]);
    assert_eq!(&rom[0x23..0x2a], &[0x86, 5, 2, 0x08, 0x00, 0x00, 0x08]);
    assert_eq!(&rom[0x2a..0x31], &[0x86, 2, 0, 0x01, 0x08, 0x00, 0x00]);
    assert_eq!(rom[0x31], 0x8c, "SIA block with CSR13-15: 12 bytes");
    assert_eq!(rom[0x33], code::TP_FD | code::EXT);
    let leaf = srom_info::parse(&rom, 0).unwrap();
    assert_eq!(leaf.blocks(), blocks);
    assert_eq!(leaf.sia_abilities(), anar::T10_HD | anar::T10_FD | anar::TX_HD | anar::TX_FD);
    assert_eq!(leaf.reset_sequences().map(|s| s.iter().collect::<Vec<_>>()).collect::<Vec<_>>(), [vec![0x0008, 0x0800]]);
    assert_eq!(leaf.block_for(code::TX100_FD), Some(&blocks[4]));
    assert_eq!(leaf.block_for(code::AUI), None);
    assert!(!leaf.has_mii());
    assert_eq!(leaf.mii_block(0), None);
    assert!(srom_info::check_crc(&rom).unwrap().ok());
}

#[test]
fn mii_block_with_sequences_and_no_interrupt_byte() {
    let init = [0x01u8, 0x08, 0x00, 0x00];
    let reset = [0x00u8, 0x08];
    let b = MediaBlock::Mii {
        phy: 1,
        gp_init: Words::new(&init),
        reset: Words::new(&reset),
        capabilities: 0x7800,
        advertisement: 0x01e0,
        fdx: 0x5000,
        ttm: 0x1800,
        interrupt: None,
    };
    let other = MediaBlock::Mii {
        phy: 0,
        gp_init: Words::new(&[]),
        reset: Words::new(&reset),
        capabilities: 0x7800,
        advertisement: 0x01e0,
        fdx: 0x5000,
        ttm: 0x1800,
        interrupt: Some(1),
    };
    let rom = build_rom(3, conn::MII_100TX_FD, 0x1e, &[other, b]);
    let leaf = srom_info::parse(&rom, 0).unwrap();
    assert_eq!(leaf.blocks(), [other, b]);
    assert_eq!(leaf.mii_block(1), Some(&b));
    assert_eq!(leaf.mii_block(0), Some(&other));
    assert_eq!(srom_info::connection(leaf.connection), Connection::Mii);
    let MediaBlock::Mii { gp_init, reset, .. } = b else { unreachable!() };
    assert_eq!(gp_init.iter().collect::<Vec<_>>(), [0x0801, 0x0000]);
    assert_eq!(reset.iter().collect::<Vec<_>>(), [0x0800]);
    assert_eq!(format!("{gp_init:?}"), "[0x0801 0x0000]");
}

#[test]
fn compact_and_foreign_blocks_are_skipped() {
    let blocks = [
        MediaBlock::Other { kind: 0, at: 0x21, len: 4 },
        MediaBlock::Other { kind: 1, at: 0x25, len: 9 },
        MediaBlock::Sia { code: code::TP, csrs: None, gp_control: 0, gp_data: 0 },
        MediaBlock::Other { kind: 0x42, at: 0x35, len: 3 },
    ];
    let rom = build_rom(4, conn::TP, 0x1e, &blocks);
    let leaf = srom_info::parse(&rom, 0).unwrap();
    assert_eq!(leaf.blocks(), blocks);
    assert_eq!(leaf.blocks()[3].kind(), 0x42);
    assert_eq!(srom_info::connection(leaf.connection), Connection::Fixed(code::TP));
}

#[test]
fn the_controller_entry_matching_the_device_is_used() {
    let mut rom = build_rom(4, conn::AUTOSENSE, 0x40, &[MediaBlock::Sia { code: 0, csrs: None, gp_control: 0, gp_data: 0 }]);
    // A second controller (device 9) with its own leaf at 0x60: 10BASE-T FD only.
    rom[19] = 2;
    rom[26] = 8;
    rom[29] = 9;
    rom[30..32].copy_from_slice(&0x60u16.to_le_bytes());
    let mut leaf2 = Vec::new();
    encode_block(&MediaBlock::Sia { code: code::TP_FD, csrs: None, gp_control: 0, gp_data: 0 }, &mut leaf2);
    rom[0x60..0x63].copy_from_slice(&[0x04, 0x02, 1]);
    rom[0x63..0x63 + leaf2.len()].copy_from_slice(&leaf2);
    let a = srom_info::parse(&rom, 8).unwrap();
    let b = srom_info::parse(&rom, 9).unwrap();
    let c = srom_info::parse(&rom, 3).unwrap();
    assert_eq!((a.chip, a.device, a.offset, a.connection), (0, 8, 0x40, conn::AUTOSENSE));
    assert_eq!((b.chip, b.device, b.offset, b.connection), (1, 9, 0x60, conn::TP_FD));
    assert_eq!(b.blocks()[0].media_code(), Some(code::TP_FD));
    assert_eq!(c.chip, 0, "no match: the first controller");
}

#[test]
fn every_error_names_the_problem() {
    let good = qemu_eeprom(QEMU_MAC);
    let e = |rom: &[u8]| srom_info::parse(rom, 0).unwrap_err();
    assert_eq!(e(&good[..20]), SromError::TooShort { len: 20 });
    assert_eq!(e(&[0xff; 128]), SromError::Blank { byte: 0xff });
    assert_eq!(e(&[0; 128]), SromError::Blank { byte: 0 });
    let mut r = good;
    r[18] = 2;
    assert_eq!(e(&r), SromError::UnsupportedVersion { version: 2 });
    let mut r = good;
    r[19] = 0;
    assert_eq!(e(&r), SromError::NoController);
    let mut r = good;
    r[19] = 40;
    assert_eq!(e(&r), SromError::ChipTableOutside { count: 40 });
    let mut r = good;
    r[27] = 0x7e;
    assert_eq!(e(&r), SromError::LeafOutside { offset: 0x7e, len: 128 });
    let mut r = good;
    r[27] = 0x05;
    assert_eq!(e(&r), SromError::LeafOutside { offset: 0x05, len: 128 });
    let mut r = good;
    r[32] = 17;
    assert_eq!(e(&r), SromError::TooManyBlocks { count: 17 });
    let mut r = good;
    r[32] = 2; // a second block of zeros: a compact block, then a third? no: the count is 2
    assert!(srom_info::parse(&r, 0).is_ok(), "a compact block of zeros parses (and is skipped)");
    let mut r = good;
    r[33] = 0x80;
    assert_eq!(e(&r), SromError::EmptyBlock { index: 0, at: 33 });
    let mut r = good;
    r[33] = 0x85; // MII block cut to 5 bytes
    assert_eq!(e(&r), SromError::BlockTooShort { index: 0, at: 33, kind: 3, len: 5, need: 12 });
    let mut r = good;
    r[36] = 40; // 40 GP init words: past the block
    assert_eq!(e(&r), SromError::BlockTooShort { index: 0, at: 33, kind: 3, len: 13, need: 84 });
    assert_eq!(e(&good[..40]), SromError::BlockOutside { index: 0, at: 33 });
    let mut r = good;
    r[34] = 2; // now an SIA block with the EXT bit clear: needs 6, has 13: fine
    assert!(srom_info::parse(&r, 0).is_ok());
    let mut r = good;
    r[33] = 0x83;
    r[34] = 4; // SYM block of 3 bytes
    assert_eq!(e(&r), SromError::BlockTooShort { index: 0, at: 33, kind: 4, len: 3, need: 8 });
    let mut r = good;
    r[33] = 0x83;
    r[34] = 5;
    r[35] = 2; // reset block of 2 words in 3 bytes
    assert_eq!(e(&r), SromError::BlockTooShort { index: 0, at: 33, kind: 5, len: 3, need: 6 });
    assert_eq!(
        format!("{}", SromError::BlockTooShort { index: 0, at: 33, kind: 3, len: 5, need: 13 }),
        "media block 0 at 0x21 (type 3) has 5 bytes, its fields need 13"
    );
    assert_eq!(format!("{}", SromError::Blank { byte: 0xff }), "every byte is 0xff (blank or absent)");
}

#[test]
fn words_to_bytes_is_little_endian() {
    let mut out = [0u8; 6];
    assert_eq!(srom_info::words_to_bytes(&[0x103c, 0x104f, 0x0000], &mut out), 6);
    assert_eq!(out, [0x3c, 0x10, 0x4f, 0x10, 0, 0]);
    let mut short = [0u8; 3];
    assert_eq!(srom_info::words_to_bytes(&[1, 2], &mut short), 2);
}

// ------------------------------------------------------------ MII

#[test]
fn mii_frame_bits() {
    assert_eq!(mii::read_header(1, reg::BMSR), 0b01_10_00001_00001);
    assert_eq!(mii::read_header(31, 31), 0b01_10_11111_11111);
    assert_eq!(mii::read_header(33, 36), mii::read_header(1, 4), "addresses are taken modulo 32");
    assert_eq!(mii::write_frame(1, reg::ANAR, 0x01e1), 0b01_01_00001_00100_10 << 16 | 0x01e1);
}

#[test]
fn mii_read_and_write_against_a_clause_22_phy() {
    let mut regs = [0u16; 32];
    for (i, r) in regs.iter_mut().enumerate() {
        *r = 0x8001u16.wrapping_mul(i as u16 + 1) ^ 0x5a5a;
    }
    let mut phy = Clause22Phy::new(5, regs);
    for r in 0..32 {
        assert_eq!(mii::read(&mut phy, 5, r), regs[r as usize], "register {r}");
    }
    let s = mii::read_samples(&mut phy, 5, reg::BMSR);
    assert!(!s.turnaround(), "the PHY drives the turnaround's 0");
    // Nobody at address 6: the pull-up.
    let s = mii::read_samples(&mut phy, 6, reg::BMSR);
    assert_eq!((s.value(), s.turnaround()), (0xffff, true));
    mii::write(&mut phy, 5, reg::ANAR, 0x05e1);
    mii::write(&mut phy, 6, reg::ANAR, 0x1234);
    assert_eq!(phy.writes, [(reg::ANAR, 0x05e1)]);
    assert_eq!(mii::read(&mut phy, 5, reg::ANAR), 0x05e1);
    assert!(phy.violations.is_empty(), "{:?}", phy.violations);
    // 32 + 14 + 19 clocks per read, 32 + 32 + 2 per write.
    let before = phy.edges;
    mii::read(&mut phy, 5, 0);
    assert_eq!(phy.edges - before, 65);
    let before = phy.edges;
    mii::write(&mut phy, 5, 0, 0);
    assert_eq!(phy.edges - before, 66);
}

/// What the kernel sees in QEMU: the same driver code against QEMU's
/// model. Every register reads back except bit 15, which QEMU's model
/// never presents (it updates MDI one clock after clause 22's timing, so
/// D15's slot carries the turnaround's 0): BMSR 0xf02c reads as 0x702c.
#[test]
fn mii_against_qemus_model() {
    let mut q = QemuPhy::new();
    assert_eq!(mii::read(&mut q, 1, reg::BMCR), 0x3100);
    assert_eq!(mii::read(&mut q, 1, reg::BMSR), 0x702c, "BMSR 0xf02c without bit 15");
    assert_eq!(mii::read(&mut q, 1, reg::PHYID1), 0x7810);
    assert_eq!(mii::read(&mut q, 1, reg::PHYID2), 0x0000);
    assert_eq!(mii::read(&mut q, 1, reg::ANAR), 0x0501);
    assert_eq!(mii::read(&mut q, 1, reg::ANLPAR), 0x4181);
    for phy in (0..32).filter(|&p| p != 1) {
        assert_eq!(mii::read(&mut q, phy, reg::BMSR), 0, "no PHY at {phy}");
    }
    // ANAR: only the selector and bits 14-15 are writable in QEMU.
    mii::write(&mut q, 1, reg::ANAR, 0x01e1);
    assert_eq!(q.regs[reg::ANAR as usize], 0x0501);
    mii::write(&mut q, 1, 16, 0x0abc);
    assert_eq!(mii::read(&mut q, 1, 16), 0x0abc);
    mii::write(&mut q, 1, reg::BMCR, 0x1200);
    assert_eq!(mii::read(&mut q, 1, reg::BMCR), 0x3100, "BMCR is read-only in QEMU");
    // The scan's criterion finds exactly the PHY at 1.
    let found: Vec<u8> = (0..32)
        .filter(|&p| {
            let (s, a, b) = (mii::read(&mut q, p, reg::BMSR), mii::read(&mut q, p, 2), mii::read(&mut q, p, 3));
            mii::is_phy(s, a, b)
        })
        .collect();
    assert_eq!(found, [1]);
}

#[test]
fn phy_identification_helpers() {
    assert!(mii::is_phy(0x702c, 0x7810, 0));
    assert!(!mii::is_phy(0, 0x7810, 0));
    assert!(!mii::is_phy(0xffff, 0xffff, 0xffff));
    assert!(!mii::is_phy(0x7809, 0, 0));
    assert!(!mii::is_phy(0x7809, 0xffff, 0xffff));
    assert!(mii::is_phy(0x7809, 0xffff, 0x0000));
    let id = mii::PhyId(0x7810, 0x0000);
    assert_eq!(format!("{id}"), "0x7810:0x0000");
    let lxt = mii::PhyId(0x0013, 0x78e2); // Level One LXT971A
    assert_eq!((lxt.model(), lxt.revision()), (0x0e, 2));
    assert_eq!(lxt.oui_bits(), 0x0013 << 6 | 0x1e);
    assert_eq!(mii::abilities_from_bmsr(0xf02c), anar::T4 | anar::TX_FD | anar::TX_HD | anar::T10_FD);
    assert_eq!(mii::abilities_from_bmsr(0x702c), anar::TX_FD | anar::TX_HD | anar::T10_FD);
}

// ------------------------------------------------------------ resolution

#[test]
fn autonegotiation_resolution() {
    let r = media::resolve;
    // QEMU: ANAR 0x0501 & ANLPAR 0x4181.
    assert_eq!(r(0x0501, 0x4181), Some(LinkMode::Tx100Full));
    assert_eq!(r(0x01e1, 0x41e1), Some(LinkMode::Tx100Full));
    assert_eq!(r(0x03e1, 0x0281), Some(LinkMode::T4), "T4 beats 100BASE-TX half duplex");
    assert_eq!(r(0x00e1, 0x0081), Some(LinkMode::Tx100Half));
    assert_eq!(r(0x0061, 0x01c1), Some(LinkMode::T10Full));
    assert_eq!(r(0x0021, 0x0021), Some(LinkMode::T10Half));
    assert_eq!(r(0x0101, 0x0041), None);
    assert_eq!(r(0xfc1f, 0xfc1f), None, "bits outside 5-9 are not modes");
    assert_eq!(LinkMode::Tx100Full.name(), "100BASE-TX full duplex");
    assert_eq!(LinkMode::PRIORITY.map(LinkMode::ability), [0x100, 0x200, 0x080, 0x040, 0x020]);
    for m in LinkMode::PRIORITY {
        assert_eq!(LinkMode::from_media_code(m.media_code()), Some(m));
        assert_eq!(m.bmsr_bit() >> 6, m.ability());
    }
    assert_eq!(LinkMode::from_media_code(code::AUI), None);
    assert_eq!(format!("{}", Abilities(0x01e1)), "100TX-FD 100TX 10T-FD 10T");
    assert_eq!(format!("{}", Abilities(0x0001)), "none");
}

// ------------------------------------------------------------ register values

#[test]
fn csr6_media_bits() {
    let qemu = media::csr6_mii(Some(LinkMode::Tx100Full), Some(0x5000), Some(0x1800));
    assert_eq!(qemu, csr6::PS | csr6::HBD | csr6::FD);
    assert_eq!(qemu, 0x000c_0200);
    assert_eq!(format!("{}", Csr6Media(qemu)), "PS HBD FD");
    // The ROM's FDX map can refuse full duplex; its TTM map sets TTM.
    assert_eq!(media::csr6_mii(Some(LinkMode::Tx100Full), Some(0x1000), None), csr6::PS | csr6::HBD);
    assert_eq!(media::csr6_mii(Some(LinkMode::T10Full), Some(0x5000), Some(0x1800)), 0x004c_0200);
    assert_eq!(media::csr6_mii(Some(LinkMode::T10Half), None, None), csr6::PS | csr6::HBD | csr6::TTM);
    assert_eq!(media::csr6_mii(Some(LinkMode::Tx100Half), None, Some(0x2000)), csr6::PS | csr6::HBD | csr6::TTM);
    assert_eq!(media::csr6_mii(None, None, None), csr6::PS | csr6::HBD);
    // SIA, SYM (Linux: 0x82420000 for 10BASE-T, 0x83860000 / 0x838e0000 for 100BASE-TX).
    assert_eq!(media::csr6_sia(false), csr6::TTM);
    assert_eq!(media::csr6_sia(true), csr6::TTM | csr6::FD);
    assert_eq!(media::csr6_sym(true, false), csr6::PS | csr6::PCS | csr6::SCR | csr6::HBD);
    assert_eq!(media::csr6_sym(true, false), 0x838e_0000 & media::CSR6_MEDIA_MASK);
    assert_eq!(media::csr6_sym(false, true), csr6::PS | csr6::PCS | csr6::HBD | csr6::FD);
    assert_eq!(media::csr6_from_sym_command(0x0071, false), media::csr6_sym(true, false) | csr6::TTM);
    assert_eq!(media::csr6_from_sym_command(0x0060, true), csr6::PCS | csr6::SCR | csr6::FD, "no PS, no HBD");
    assert_eq!(format!("{}", Csr6Media(0)), "none");
}

#[test]
fn sia_register_values_from_the_manual() {
    let v = |c| media::sia_defaults(c).map(|s| (s.csr13, s.csr14, s.csr15));
    assert_eq!(v(code::TP), Some((0x0001, 0x7f3f, 0x0008)));
    assert_eq!(v(code::TP_FD), Some((0x0001, 0x7f3d, 0x0008)));
    assert_eq!(v(code::AUI), Some((0x0009, 0x4705, 0x000e)));
    assert_eq!(v(code::BNC), Some((0x0009, 0x4705, 0x0006)));
    assert_eq!(v(code::TX100), Some((0x0001, 0x0003_ff7f, 0x0008)));
    assert_eq!(v(code::T4), None);
    assert_eq!(v(0x3f), None);
    // Linux t21142_start_nway: ((adv & 0x0780) << 9) | ((adv & 0x0020) << 1) | 0xffbf, pause aside.
    for adv in [0x0021u16, 0x0061, 0x01e1, 0x03e1, 0x0181, 0x0041] {
        let linux = (((adv & 0x0380) as u32) << 9) | (((adv & 0x0020) as u32) << 1) | 0xffbf;
        assert_eq!(media::nway_csr14(adv), linux, "adv {adv:#x}");
    }
    assert_eq!(media::nway_csr14(0x01e1) & csr14::ANE, csr14::ANE);
    assert_eq!(media::gep(0x0801), 0x0801_0000);
    assert_eq!(csr12::RESTART_NWAY, 0x1301, "Linux writes 0x1301 to CSR12");
}

#[test]
fn csr12_decoding_and_nway_outcome() {
    // What QEMU's CSR12 always reads: ANS 5, nothing else.
    let q = Csr12(0x5000);
    assert!(q.an_complete() && !q.partner_negotiates() && q.link10() && q.link100());
    assert_eq!(
        format!("{q}"),
        "0x00005000 (autonegotiation complete, 10 Mb/s link pass, 100 Mb/s link pass)"
    );
    assert_eq!(media::nway_result(0x0061, q), NwayResult::ParallelDetect(LinkMode::T10Half));
    assert_eq!(media::nway_result(0x01e1, q), NwayResult::ParallelDetect(LinkMode::Tx100Half));
    assert_eq!(media::nway_result(0x01e1, Csr12(0x5002)), NwayResult::ParallelDetect(LinkMode::T10Half));
    let partner = Csr12(0x41e1_0000 | 0x8000 | 0x5000);
    assert_eq!(partner.partner_code(), 0x41e1);
    assert_eq!(media::nway_result(0x01e1, partner), NwayResult::Negotiated(LinkMode::Tx100Full));
    assert_eq!(media::nway_result(0x0061, partner), NwayResult::Negotiated(LinkMode::T10Full));
    assert_eq!(media::nway_result(0x0201, partner), NwayResult::NoCommonMode);
    assert_eq!(media::nway_result(0x0061, Csr12(0x2006)), NwayResult::NotComplete);
    assert_eq!(NwayResult::NotComplete.mode(), None);
    assert_eq!(NwayResult::Negotiated(LinkMode::T4).mode(), Some(LinkMode::T4));
    assert_eq!(Csr12(0x3000).ans_name(), "acknowledge detect");
    assert!(format!("{partner}").ends_with("partner code word 0x41e1)"));
}

#[test]
fn tulip_media_values() {
    use media::{MediaChoice, MediaChoiceNames, media_choice};
    assert_eq!(media_choice("auto"), Some(MediaChoice::Auto));
    assert_eq!(media_choice("NWAY"), Some(MediaChoice::Sia));
    assert_eq!(media_choice("100basetx-fd"), Some(MediaChoice::Fixed(code::TX100_FD)));
    assert_eq!(media_choice("10baseT-HD"), media_choice("10baseT"));
    assert_eq!(media_choice("100baseFX-FD"), Some(MediaChoice::Fixed(code::FX100_FD)));
    assert_eq!(media_choice("fast"), None);
    assert_eq!(media_choice(""), None);
    let names = format!("{MediaChoiceNames}");
    assert!(names.starts_with("auto, mii, sia, nway, 10baseT, "), "{names}");
    assert_eq!(names.split(", ").count(), media::MEDIA_CHOICES.len());
    // Every fixed choice names a full-duplex medium exactly when its name says so.
    for (name, c) in media::MEDIA_CHOICES {
        if let MediaChoice::Fixed(code) = c {
            assert_eq!(srom_info::media_full_duplex(code), name.ends_with("-FD"), "{name}");
        }
    }
}
