//! Property tests of the media modules.
//!
//! * The serial ROM parser never panics: on random bytes, on random bytes
//!   behind a plausible header, and on every prefix of a valid image.
//! * Any list of media blocks encoded into a ROM parses back to the same
//!   blocks (compact and foreign blocks are skipped with their offsets).
//! * MII reads and writes against a clause 22 PHY at a random address
//!   round-trip every value, nobody else answers (0xffff), and the
//!   station never breaks the protocol (setup before the clock edge, no
//!   two drivers on MDIO).
//! * Against QEMU's model every register reads back without bit 15.
//! * Autonegotiation resolution equals a ranking model, is symmetric, and
//!   picks a mode both ends have; the CSR6 and SIA outcomes follow from it.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use crate::media::{self, Csr12, LinkMode, NwayResult, SiaCsrs};
use crate::mii;
use crate::models::*;
use crate::srom_info::{self, MediaBlock, Words};
use proptest::prelude::*;

/// A block with its sequences owned (MediaBlock borrows them).
#[derive(Clone, Debug)]
enum Spec {
    Sia { code: u8, csrs: Option<(u16, u16, u16)>, gpc: u16, gpd: u16 },
    Mii { phy: u8, init: Vec<u8>, reset: Vec<u8>, maps: [u16; 4], interrupt: Option<u8> },
    Sym { code: u8, gpc: u16, gpd: u16, cmd: u16 },
    Reset { seq: Vec<u8> },
    Compact,
    Foreign { kind: u8, len: u8 },
}

fn words(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max).prop_map(|mut v| {
        v.truncate(v.len() & !1);
        v
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (0u8..0x40, prop::option::of(any::<(u16, u16, u16)>()), any::<u16>(), any::<u16>())
            .prop_map(|(code, csrs, gpc, gpd)| Spec::Sia { code, csrs, gpc, gpd }),
        (any::<u8>(), words(40), words(40), any::<[u16; 4]>(), prop::option::of(any::<u8>()))
            .prop_map(|(phy, init, reset, maps, interrupt)| Spec::Mii { phy, init, reset, maps, interrupt }),
        (0u8..0x40, any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(code, gpc, gpd, cmd)| Spec::Sym {
            code,
            gpc,
            gpd,
            cmd
        }),
        words(120).prop_map(|seq| Spec::Reset { seq }),
        Just(Spec::Compact),
        (prop_oneof![Just(0u8), Just(1u8), 6u8..=255], 1u8..=127).prop_map(|(kind, len)| Spec::Foreign { kind, len }),
    ]
}

fn block(s: &Spec) -> MediaBlock<'_> {
    match s {
        Spec::Sia { code, csrs, gpc, gpd } => MediaBlock::Sia {
            code: *code,
            csrs: csrs.map(|(a, b, c)| SiaCsrs { csr13: a as u32, csr14: b as u32, csr15: c as u32 }),
            gp_control: *gpc,
            gp_data: *gpd,
        },
        Spec::Mii { phy, init, reset, maps, interrupt } => MediaBlock::Mii {
            phy: *phy,
            gp_init: Words::new(init),
            reset: Words::new(reset),
            capabilities: maps[0],
            advertisement: maps[1],
            fdx: maps[2],
            ttm: maps[3],
            interrupt: *interrupt,
        },
        Spec::Sym { code, gpc, gpd, cmd } => MediaBlock::Sym { code: *code, gp_control: *gpc, gp_data: *gpd, command: *cmd },
        Spec::Reset { seq } => MediaBlock::Reset { sequence: Words::new(seq) },
        Spec::Compact => MediaBlock::Other { kind: 0, at: 0, len: 4 },
        Spec::Foreign { kind, len } => MediaBlock::Other { kind: *kind, at: 0, len: *len + 1 },
    }
}

fn rank(m: LinkMode) -> u32 {
    match m {
        LinkMode::Tx100Full => 5,
        LinkMode::T4 => 4,
        LinkMode::Tx100Half => 3,
        LinkMode::T10Full => 2,
        LinkMode::T10Half => 1,
    }
}

fn resolve_model(a: u16, b: u16) -> Option<LinkMode> {
    [LinkMode::T10Half, LinkMode::T10Full, LinkMode::Tx100Half, LinkMode::T4, LinkMode::Tx100Full]
        .into_iter()
        .filter(|m| a & b & m.ability() != 0)
        .max_by_key(|&m| rank(m))
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn srom_parse_never_panics(rom in prop::collection::vec(any::<u8>(), 0..600), device in any::<u8>()) {
        match srom_info::parse(&rom, device) {
            Ok(leaf) => {
                prop_assert!(leaf.blocks().len() <= srom_info::MAX_BLOCKS);
                for b in leaf.blocks() {
                    let _ = format!("{b} {b:?}");
                }
                let _ = leaf.sia_abilities();
            }
            Err(e) => {
                let _ = format!("{e}");
            }
        }
        let _ = srom_info::check_crc(&rom);
    }

    #[test]
    fn srom_parse_never_panics_behind_a_plausible_header(
        mut rom in prop::collection::vec(any::<u8>(), 128..=512),
        version in prop_oneof![Just(1u8), Just(3u8), Just(4u8)],
        count in 1u8..4,
        leaf in 26usize..520,
        nblocks in 0u8..20,
    ) {
        rom[18] = version;
        rom[19] = count;
        rom[27..29].copy_from_slice(&(leaf as u16).to_le_bytes());
        if leaf + 3 <= rom.len() {
            rom[leaf + 2] = nblocks;
        }
        match srom_info::parse(&rom, rom[26]) {
            Ok(l) => {
                prop_assert_eq!(l.offset as usize, leaf);
                prop_assert_eq!(l.blocks().len(), nblocks as usize);
                for b in l.blocks() {
                    let _ = format!("{b}");
                }
            }
            Err(e) => { let _ = format!("{e}"); }
        }
    }

    #[test]
    fn srom_blocks_round_trip(
        specs in prop::collection::vec(spec(), 0..8),
        leaf in 29usize..90,
        connection in any::<u16>(),
        version in prop_oneof![Just(3u8), Just(4u8)],
    ) {
        let mut want: Vec<MediaBlock<'_>> = specs.iter().map(block).collect();
        let rom = build_rom(version, connection, leaf, &want);
        // Offsets of the skipped blocks.
        let mut at = leaf + 3;
        for b in want.iter_mut() {
            let mut enc = Vec::new();
            encode_block(b, &mut enc);
            if let MediaBlock::Other { at: a, .. } = b {
                *a = at as u16;
            }
            at += enc.len();
        }
        let got = srom_info::parse(&rom, 0).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(got.version, version);
        prop_assert_eq!(got.connection, connection);
        prop_assert_eq!(got.blocks(), &want[..]);
        if at <= srom_info::CRC_OFFSET {
            prop_assert_eq!(rom.len(), 128);
            prop_assert!(srom_info::check_crc(&rom).unwrap().ok());
        }
        // Every prefix: an error or a leaf, never a panic; a prefix that
        // ends before the last block cannot parse.
        for n in 0..rom.len() {
            let r = srom_info::parse(&rom[..n], 0);
            if n < at {
                prop_assert!(r.is_err(), "prefix {} of {} parsed", n, at);
            }
        }
    }

    #[test]
    fn mii_round_trips_against_a_clause_22_phy(
        addr in 0u8..32,
        regs in any::<[u16; 32]>(),
        ops in prop::collection::vec((prop_oneof![3 => Just(None), 1 => (0u8..32).prop_map(Some)], 0u8..32, any::<u16>(), any::<bool>()), 1..12),
    ) {
        let mut phy = Clause22Phy::new(addr, regs);
        let mut model = regs;
        for (other, reg, value, is_write) in ops {
            let target = other.unwrap_or(addr);
            if is_write {
                mii::write(&mut phy, target, reg, value);
                if target == addr {
                    model[reg as usize] = value;
                }
            } else {
                let got = mii::read(&mut phy, target, reg);
                let want = if target == addr { model[reg as usize] } else { 0xffff };
                prop_assert_eq!(got, want, "read PHY {} register {}", target, reg);
            }
        }
        prop_assert_eq!(phy.regs, model);
        prop_assert!(phy.violations.is_empty(), "{:?}", phy.violations);
    }

    /// QEMU's model (a fresh one per case: a value whose top nibble is 5
    /// makes it decode a write on the 32nd clock of a read).
    #[test]
    fn qemus_model_reads_everything_but_bit_15(reg in 0u8..32, value in any::<u16>()) {
        let mut q = QemuPhy::new();
        q.regs[reg as usize] = value;
        prop_assert_eq!(mii::read(&mut q, 1, reg), value & 0x7fff);
    }

    #[test]
    fn resolution_matches_the_ranking_model(a in any::<u16>(), b in any::<u16>()) {
        let r = media::resolve(a, b);
        prop_assert_eq!(r, resolve_model(a, b));
        prop_assert_eq!(r, media::resolve(b, a));
        if let Some(m) = r {
            prop_assert!(a & b & m.ability() != 0);
            // Nothing in common ranks higher.
            for n in LinkMode::PRIORITY {
                if rank(n) > rank(m) {
                    prop_assert!(a & b & n.ability() == 0);
                }
            }
            // The CSR6 an MII PHY gets for it.
            let c = media::csr6_mii(Some(m), None, None);
            prop_assert_eq!(c & !media::CSR6_MEDIA_MASK, 0);
            prop_assert_eq!(c & crate::csr::csr6::FD != 0, m.full_duplex());
            prop_assert_eq!(c & crate::csr::csr6::TTM != 0, m.speed() == 10);
        } else {
            prop_assert_eq!(a & b & crate::mii::anar::ABILITIES, 0);
        }
    }

    #[test]
    fn sia_outcome_follows_csr12(adv in any::<u16>(), csr12 in any::<u32>()) {
        let c = Csr12(csr12);
        let r = media::nway_result(adv, c);
        match r {
            NwayResult::NotComplete => prop_assert!(!c.an_complete()),
            NwayResult::Negotiated(m) => {
                prop_assert!(c.an_complete() && c.partner_negotiates());
                prop_assert_eq!(Some(m), media::resolve(adv, c.partner_code()));
            }
            NwayResult::NoCommonMode => prop_assert!(media::resolve(adv, c.partner_code()).is_none()),
            NwayResult::ParallelDetect(m) => {
                prop_assert!(c.an_complete() && !c.partner_negotiates() && !m.full_duplex());
            }
        }
        let _ = format!("{c}");
    }
}
