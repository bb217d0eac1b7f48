//! Media setup of the 21143 (what a real DS10 needs before the NIC can
//! talk; QEMU's model ignores it but answers enough to exercise it).
//!
//! Called by [`super::Nic`] after the chip's reset and before the
//! receive and transmit processes start (both are stopped here), it
//! returns the CSR6 media bits (PS, HBD, TTM, PCS, SCR, FD) the NIC then
//! runs with, and one line for the log. The steps (the decisions and
//! register values are host-tested in `tulip_ring::{srom_info, mii,
//! media}`):
//!
//! 1. Read the whole serial ROM and parse the controller's info leaf
//!    (`tulip: SROM:` lines). Without a usable leaf (blank, unknown
//!    format, broken blocks) the driver says why and probes anyway.
//! 2. Run the ROM's reset sequences (type 5 blocks) and, if it describes
//!    an MII PHY, that block's reset and init sequences: general-purpose
//!    words written to CSR15 bits 16-31, as Linux does at probe time.
//! 3. Scan MII addresses 1-31 then 0 through CSR9 (a PHY answers with a
//!    status and identifier neither all zeros nor all ones).
//! 4. With a PHY (the ROM's "PHY number" picks among several): CSR6 PS and
//!    HBD, the SIA off (CSR13 = CSR14 = 0), the ROM's advertisement written
//!    to ANAR if the PHY does not already advertise it, autonegotiation
//!    enabled and restarted when anything changed (else its finished
//!    result is used), then up to 3 s for link and completion; the mode is
//!    ANAR & ANLPAR's best (802.3 28B.3), FD and TTM from it and the ROM's
//!    FDX/TTM maps. No link in 3 s: said, and the NIC starts anyway.
//! 5. Without a PHY: the SIA. The ROM's selected connection picks a fixed
//!    medium (CSR13-15 from its block or the manual, SYM port for
//!    100 Mb/s) or autosensing, done as the 21143's own autonegotiation
//!    (CSR13 = 1 after CSR14 with ANE and the abilities of the ROM's SIA
//!    and SYM blocks, CSR12 ANS = 1 to start, up to 3 s for ANS =
//!    complete, then CSR12's partner code word resolved against ours,
//!    100 Mb/s moving to the SYM port).
//!
//! `tulip_media=` on the command line overrides the choice: `auto`
//! (default), `mii`, `sia` (autonegotiation on the SIA, no PHY scan),
//! `10baseT`, `10baseT-FD`, `aui`, `bnc`, `100baseTX`, `100baseTX-FD`,
//! `100baseFX`, `100baseFX-FD` (that medium, fixed).
//!
//! Not handled: link changes at run time (no media timer, CSR5 LNF/LC/GPI
//! are not watched: a cable moved to a switch of another speed leaves the
//! NIC on the old mode), 21140-style ROM blocks, several PHYs at once.
//!
//! QEMU: its serial ROM has one MII block; its PHY at address 1 answers
//! (BMCR 0x3100 read-only, BMSR 0xf02c, ID 0x7810:0x0000, ANAR 0x0501 of
//! which only the selector and bits 14-15 are writable, ANLPAR 0x4181),
//! but its model presents each read bit one MDC clock later than 802.3
//! clause 22 has it, so bit 15 of every register reads 0 (BMSR 0x702c;
//! `tulip_ring`'s tests reproduce this). CSR12 always reads 0x5000
//! (autonegotiation complete, no partner code word); CSR13-15 are stored
//! and do nothing.

use super::probe::Tulip;
use super::regs::Csrs;
use crate::time::{ms_since, wait_for};
use bootparam::EarlyParams;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use log::{info, warn};
use tulip_ring::csr::{self, csr6};
use tulip_ring::media::{self, Abilities, Csr6Media, Csr12, LinkMode, MediaChoice as Choice, NwayResult, csr12, csr13};
use tulip_ring::mii::{self, MdioPins, PhyId, anar, bmcr, bmsr, reg};
use tulip_ring::srom_info::{self, Connection, InfoLeaf, MediaBlock, Words, code};

/// How long a link may take to come up (autonegotiation needs 1.5-3 s).
const LINK_TIMEOUT_US: u64 = 3_000_000;
/// PHYs kept from the scan (Linux keeps four).
const MAX_PHYS: usize = 4;
/// After a PHY reset sequence (Linux waits 500 µs, DP83840A).
const PHY_RESET_US: u64 = 500;

/// What the media setup chose.
pub struct Media {
    /// CSR6 bits within [`media::CSR6_MEDIA_MASK`].
    pub csr6: u32,
    /// Whether a link was seen.
    pub link: bool,
    /// The log line's text after `tulip: media: `.
    pub summary: String,
}

/// The `tulip_media=` override (values: [`media::MEDIA_CHOICES`]).
fn choice(params: &EarlyParams) -> Choice {
    let Some(v) = params.get("tulip_media") else { return Choice::Auto };
    match media::media_choice(v) {
        Some(c) => c,
        None => {
            warn!("tulip: tulip_media={v}: unknown ({}); using auto", media::MediaChoiceNames);
            Choice::Auto
        }
    }
}

/// CSR9's MII pins of the chip.
struct Pins(Csrs);

impl MdioPins for Pins {
    fn write(&mut self, csr9: u32) {
        self.0.write(csr::CSR9, csr9);
    }
    fn read(&mut self) -> u32 {
        self.0.read(csr::CSR9)
    }
}

fn log_leaf(rom: &[u8], leaf: &InfoLeaf<'_>) {
    let crc = match srom_info::check_crc(rom) {
        Some(c) if c.ok() => format!("CRC {:#06x} ok", c.stored),
        Some(c) => format!("CRC {:#06x}, computed {:#06x}: mismatch (not used)", c.stored, c.computed),
        None => String::from("no CRC"),
    };
    info!(
        "tulip: SROM: {} bytes, format {}, controller {} of {} (device {}), info leaf at {:#x}: connection {:#06x} ({}), {} media block(s); {crc}",
        rom.len(),
        leaf.version,
        leaf.chip,
        leaf.chip_count,
        leaf.device,
        leaf.offset,
        leaf.connection,
        srom_info::connection_name(leaf.connection),
        leaf.blocks().len()
    );
    for (i, b) in leaf.blocks().iter().enumerate() {
        info!("tulip: SROM block {i}: {b}");
    }
}

/// Writes general-purpose words to CSR15 bits 16-31.
fn run_gep(c: Csrs, seq: Words<'_>) -> usize {
    for w in seq.iter() {
        c.write(csr::CSR15, media::gep(w));
    }
    if !seq.is_empty() {
        c.read(csr::CSR15);
    }
    seq.len()
}

/// Chooses and sets up the medium (see the module documentation).
pub fn setup(chip: &Tulip, params: &EarlyParams) -> Media {
    let c = chip.csrs;
    let rom = &chip.srom[..];
    let parsed = srom_info::parse(rom, chip.pci.bdf.dev);
    let leaf = match &parsed {
        Ok(l) => {
            log_leaf(rom, l);
            Some(l)
        }
        Err(e) => {
            warn!("tulip: SROM: no usable media information ({e}); probing the MII bus and the SIA anyway");
            None
        }
    };
    let choice = choice(params);

    // Reset sequences, and the MII block's sequences before the scan.
    let mut gep_note = String::new();
    if let Some(l) = leaf {
        let n: usize = l.reset_sequences().map(|s| run_gep(c, s)).sum();
        if n > 0 {
            let _ = write!(gep_note, "; SROM reset sequence: {n} GP words");
        }
        if choice != Choice::Sia
            && !matches!(choice, Choice::Fixed(_))
            && let Some(MediaBlock::Mii { reset, gp_init, .. }) = l.mii_block(0)
        {
            let r = run_gep(c, *reset);
            if r > 0 {
                crate::time::delay_us(PHY_RESET_US);
            }
            let i = run_gep(c, *gp_init);
            if r + i > 0 {
                let _ = write!(gep_note, "; MII GP reset {r} words, init {i} words");
            }
        }
    }

    let phys = match choice {
        Choice::Auto | Choice::Mii => scan(c),
        _ => Vec::new(),
    };
    let mut m = if let Some(first) = phys.first() {
        mii_setup(c, leaf, &phys, *first)
    } else {
        let why = match choice {
            Choice::Sia => String::from("MII scan skipped (tulip_media=sia)"),
            Choice::Fixed(_) => String::from("MII scan skipped (fixed medium asked)"),
            Choice::Mii => String::from("tulip_media=mii, but no MII PHY answered at any address"),
            Choice::Auto => String::from("no MII PHY answered at any address"),
        };
        let fixed = match (choice, leaf.map(|l| srom_info::connection(l.connection))) {
            (Choice::Fixed(code), _) => Some(code),
            (Choice::Auto, Some(Connection::Fixed(code))) => Some(code),
            _ => None,
        };
        let mut m = match fixed {
            Some(code) => sia_fixed(c, leaf, code),
            None => sia_nway(c, leaf),
        };
        let _ = write!(m.summary, "; {why}");
        m
    };
    m.summary.push_str(&gep_note);
    if m.link {
        info!("tulip: media: {}", m.summary);
    } else {
        warn!("tulip: media: {}", m.summary);
    }
    m
}

/// A PHY the scan found.
#[derive(Clone, Copy)]
struct Phy {
    addr: u8,
    id: PhyId,
}

/// MII addresses 1-31, then 0 (Linux's order), up to [`MAX_PHYS`].
fn scan(c: Csrs) -> Vec<Phy> {
    let mut p = Pins(c);
    let mut found = Vec::new();
    for n in 1..=32u8 {
        let addr = n & 0x1f;
        let status = mii::read(&mut p, addr, reg::BMSR);
        if status == 0 || status == 0xffff {
            continue;
        }
        let (id1, id2) = (mii::read(&mut p, addr, reg::PHYID1), mii::read(&mut p, addr, reg::PHYID2));
        if mii::is_phy(status, id1, id2) {
            found.push(Phy { addr, id: PhyId(id1, id2) });
            if found.len() == MAX_PHYS {
                break;
            }
        }
    }
    found
}

fn mii_setup(c: Csrs, leaf: Option<&InfoLeaf<'_>>, phys: &[Phy], first: Phy) -> Media {
    let block = leaf.and_then(|l| l.mii_block(0));
    let (index, adv, fdx, ttm) = match block {
        Some(MediaBlock::Mii { phy, advertisement, fdx, ttm, .. }) => (*phy, *advertisement, Some(*fdx), Some(*ttm)),
        _ => (0, 0, None, None),
    };
    let phy = phys.get(index as usize).copied().unwrap_or(first);
    let a = phy.addr;
    let mut p = Pins(c);

    // The MII port: PS and HBD with the processes stopped; the SIA off.
    c.write(csr::CSR6, csr6::MBO | csr6::SF | csr6::PS | csr6::HBD);
    c.write(csr::CSR13, 0);
    c.write(csr::CSR14, 0);

    // A PHY just reset by the ROM's sequence clears BMCR RESET itself.
    wait_for(10_000, || mii::read(&mut p, a, reg::BMCR) & bmcr::RESET == 0);
    let bmcr0 = mii::read(&mut p, a, reg::BMCR);
    let status0 = mii::read(&mut p, a, reg::BMSR);
    let anar0 = mii::read(&mut p, a, reg::ANAR);
    let want = if adv & anar::ABILITIES != 0 {
        (adv & (anar::ABILITIES | anar::PAUSE)) | anar::SELECTOR_802_3
    } else {
        mii::abilities_from_bmsr(status0) | anar::SELECTOR_802_3
    };
    let mask = anar::ABILITIES | anar::SELECTOR;
    let mut notes = String::new();
    let mut restart = false;
    let mut anar_now = anar0;
    if anar0 & mask != want & mask {
        mii::write(&mut p, a, reg::ANAR, want);
        anar_now = mii::read(&mut p, a, reg::ANAR);
        restart = true;
        let _ = write!(notes, "ANAR was {anar0:#06x}, wrote {want:#06x}, reads back {anar_now:#06x}; ");
    }
    if bmcr0 & bmcr::ANENABLE == 0 || bmcr0 & (bmcr::ISOLATE | bmcr::PDOWN | bmcr::LOOPBACK) != 0 {
        restart = true;
    }
    // BMSR's link bit latches low: the second read is the current state.
    mii::read(&mut p, a, reg::BMSR);
    let status1 = mii::read(&mut p, a, reg::BMSR);
    let done = |s: u16| s & bmsr::LINK != 0 && s & bmsr::ANCOMPLETE != 0;
    let start = crate::time::cycles();
    if !restart && done(status1) {
        let _ = write!(notes, "autonegotiation already complete");
    } else {
        if restart {
            let b = (bmcr0 | bmcr::ANENABLE | bmcr::ANRESTART) & !(bmcr::ISOLATE | bmcr::PDOWN | bmcr::LOOPBACK | bmcr::RESET);
            mii::write(&mut p, a, reg::BMCR, b);
            let _ = write!(notes, "autonegotiation restarted (BMCR {bmcr0:#06x} -> {b:#06x})");
        } else {
            let _ = write!(notes, "autonegotiation in progress");
        }
        wait_for(LINK_TIMEOUT_US, || done(mii::read(&mut p, a, reg::BMSR)));
    }
    let status = mii::read(&mut p, a, reg::BMSR);
    let bmcr_now = mii::read(&mut p, a, reg::BMCR);
    let anlpar = mii::read(&mut p, a, reg::ANLPAR);
    let ms = ms_since(start);
    let link = status & bmsr::LINK != 0;
    let an_done = status & bmsr::ANCOMPLETE != 0;
    let mut out = format!("MII PHY {a} (ID {}): ", phy.id);
    let mode = if !link {
        let _ = write!(out, "no link within {} s, continuing anyway (half duplex until told otherwise)", LINK_TIMEOUT_US / 1_000_000);
        None
    } else if an_done {
        match media::resolve(anar_now, anlpar) {
            Some(m) => {
                let _ = write!(out, "link up, autonegotiated {m} (ANAR {anar_now:#06x}, ANLPAR {anlpar:#06x})");
                Some(m)
            }
            None => {
                let _ = write!(
                    out,
                    "link up, but ANAR {anar_now:#06x} & ANLPAR {anlpar:#06x} have no mode in common; half duplex"
                );
                None
            }
        }
    } else {
        // Autonegotiation off in the PHY (our BMCR write did not take):
        // the forced speed and duplex.
        let m = match (bmcr_now & bmcr::SPEED100 != 0, bmcr_now & bmcr::FULLDPLX != 0) {
            (true, true) => LinkMode::Tx100Full,
            (true, false) => LinkMode::Tx100Half,
            (false, true) => LinkMode::T10Full,
            (false, false) => LinkMode::T10Half,
        };
        let _ = write!(out, "link up, autonegotiation off in the PHY, forced {m} (BMCR {bmcr_now:#06x})");
        Some(m)
    };
    let bits = media::csr6_mii(mode, fdx, ttm);
    let _ = write!(
        out,
        "; CSR6 {bits:#010x} [{}]; BMCR {bmcr_now:#06x} BMSR {status:#06x}; {notes}, {ms} ms",
        Csr6Media(bits)
    );
    match block {
        Some(MediaBlock::Mii { phy: n, .. }) => {
            let _ = write!(out, "; SROM MII block for PHY #{n}");
        }
        _ => out.push_str("; no SROM MII block (advertising what BMSR offers)"),
    }
    if phys.len() > 1 {
        let others: Vec<String> = phys.iter().map(|p| format!("{} ({})", p.addr, p.id)).collect();
        let _ = write!(out, "; PHYs found at {}", others.join(", "));
    }
    Media { csr6: bits, link, summary: out }
}

/// The general-purpose words and CSR13-15 for an SIA or SYM media code:
/// from its ROM block if there is one, else the manual's values.
fn sia_settings(leaf: Option<&InfoLeaf<'_>>, code: u8) -> (Option<media::SiaCsrs>, Option<(u16, u16)>, Option<u16>) {
    let block = leaf.and_then(|l| l.block_for(code));
    match block {
        Some(MediaBlock::Sia { csrs, gp_control, gp_data, .. }) => {
            (csrs.or(media::sia_defaults(code)), Some((*gp_control, *gp_data)), None)
        }
        Some(MediaBlock::Sym { gp_control, gp_data, command, .. }) => {
            (media::sia_defaults(code), Some((*gp_control, *gp_data)), Some(*command))
        }
        _ => (media::sia_defaults(code), None, None),
    }
}

/// Programs CSR13-15 in the manual's order: SIA reset, CSR14, CSR15
/// direction then data (the ROM's GP words in bits 16-31), CSR13.
fn program_sia(c: Csrs, s: media::SiaCsrs, gp: Option<(u16, u16)>) {
    c.write(csr::CSR13, 0);
    c.write(csr::CSR14, s.csr14);
    match gp {
        Some((control, data)) => {
            c.write(csr::CSR15, media::gep(control) | s.csr15);
            c.write(csr::CSR15, media::gep(data) | s.csr15);
        }
        None => c.write(csr::CSR15, s.csr15),
    }
    c.write(csr::CSR13, s.csr13);
}

fn is_sym(code: u8) -> bool {
    matches!(code, code::TX100 | code::TX100_FD | code::FX100 | code::FX100_FD | code::T4)
}

fn sia_regs(c: Csrs) -> String {
    format!(
        "CSR13 {:#010x} CSR14 {:#010x} CSR15 {:#010x}",
        c.read(csr::CSR13),
        c.read(csr::CSR14),
        c.read(csr::CSR15)
    )
}

/// A fixed SIA or SYM medium.
fn sia_fixed(c: Csrs, leaf: Option<&InfoLeaf<'_>>, code: u8) -> Media {
    let fd = srom_info::media_full_duplex(code);
    let (csrs, gp, command) = sia_settings(leaf, code);
    let Some(csrs) = csrs else {
        let mut m = sia_nway(c, leaf);
        m.summary = format!(
            "{} has no SIA/SYM settings on the 21143 (no ROM block, none in the manual); {}",
            srom_info::media_name(code),
            m.summary
        );
        return m;
    };
    let sym = is_sym(code);
    let bits = match (sym, command) {
        (true, Some(cmd)) => media::csr6_from_sym_command(cmd, fd),
        (true, None) => media::csr6_sym(matches!(code, code::TX100 | code::TX100_FD), fd),
        (false, _) => media::csr6_sia(fd),
    };
    c.write(csr::CSR6, csr6::MBO | csr6::SF | bits);
    program_sia(c, csrs, gp);
    let has_link_test = !matches!(code, code::AUI | code::BNC);
    let pass = |s: Csr12| if sym { s.link100() } else { s.link10() };
    let link = has_link_test && wait_for(LINK_TIMEOUT_US, || pass(Csr12(c.read(csr::CSR12))));
    let s = Csr12(c.read(csr::CSR12));
    let state = if !has_link_test {
        "no link test on AUI/BNC"
    } else if link {
        "link pass"
    } else {
        "no link within 3 s, continuing anyway"
    };
    let summary = format!(
        "{} {} (fixed): {state}; CSR6 {bits:#010x} [{}]; CSR12 {s}; {}; {}",
        if sym { "SYM" } else { "SIA" },
        srom_info::media_name(code),
        Csr6Media(bits),
        sia_regs(c),
        if gp.is_some() { "GP words from the SROM block" } else { "manual's values, no SROM block" }
    );
    Media { csr6: bits, link: link || !has_link_test, summary }
}

/// Autonegotiation by the 21143 itself (SIA; 100 Mb/s through SYM).
fn sia_nway(c: Csrs, leaf: Option<&InfoLeaf<'_>>) -> Media {
    let rom_adv = leaf.map_or(0, |l| l.sia_abilities());
    // Without SIA/SYM blocks only the SIA's own 10BASE-T is known to exist.
    let adv = if rom_adv != 0 { rom_adv } else { anar::T10_HD | anar::T10_FD } | anar::SELECTOR_802_3;
    let (_, gp, _) = sia_settings(leaf, code::TP);
    let csr15 = media::csr15::DEFAULT_LOW;
    let start_bits = media::csr6_sia(adv & anar::T10_FD != 0);
    c.write(csr::CSR6, csr6::MBO | csr6::SF | start_bits);
    program_sia(
        c,
        media::SiaCsrs { csr13: csr13::SRL, csr14: media::nway_csr14(adv), csr15 },
        gp,
    );
    c.write(csr::CSR12, csr12::RESTART_NWAY);
    let start = crate::time::cycles();
    wait_for(LINK_TIMEOUT_US, || Csr12(c.read(csr::CSR12)).an_complete());
    let s = Csr12(c.read(csr::CSR12));
    let ms = ms_since(start);
    let result = media::nway_result(adv, s);
    let (bits, head, link) = match result.mode() {
        Some(m) if m.speed() == 10 => (media::csr6_sia(m.full_duplex()), format!("SIA {m}"), true),
        Some(m) => {
            // 100 Mb/s: the SYM port, the SIA's autonegotiation off.
            let code = m.media_code();
            let (csrs, gp, command) = sia_settings(leaf, code);
            let bits = match command {
                Some(cmd) => media::csr6_from_sym_command(cmd, m.full_duplex()),
                None => media::csr6_sym(true, m.full_duplex()),
            };
            c.write(csr::CSR6, csr6::MBO | csr6::SF | bits);
            if let Some(csrs) = csrs {
                program_sia(c, csrs, gp);
            }
            (bits, format!("SYM {m}"), true)
        }
        None => (start_bits, String::from("SIA 10BASE-T (autonegotiation left running)"), false),
    };
    let how = match result {
        NwayResult::Negotiated(_) => format!("autonegotiated, partner code word {:#06x}", s.partner_code()),
        NwayResult::ParallelDetect(_) => String::from("autonegotiation complete, the partner does not negotiate (parallel detection)"),
        NwayResult::NoCommonMode => format!("no mode in common with the partner (code word {:#06x})", s.partner_code()),
        NwayResult::NotComplete => format!("autonegotiation not complete within {} s, continuing anyway", LINK_TIMEOUT_US / 1_000_000),
    };
    let summary = format!(
        "{head}: {how}, {ms} ms, advertised {} ({}); CSR6 {bits:#010x} [{}]; CSR12 {s}; {}",
        Abilities(adv),
        if rom_adv != 0 { "the SROM's SIA/SYM blocks" } else { "no SIA/SYM blocks in the SROM: 10BASE-T only" },
        Csr6Media(bits),
        sia_regs(c)
    );
    Media { csr6: bits, link, summary }
}
