//! Media: link modes, 802.3 autonegotiation resolution, and the CSR6 and
//! CSR12-CSR15 values each port of the 21143 needs.
//!
//! The 21143 reaches the wire through one of three ports, chosen by CSR6:
//!
//! * the **SIA** (serial interface adapter, PS = 0): the chip's own
//!   10 Mb/s transceiver for 10BASE-T, AUI and BNC, programmed through
//!   CSR13 (connectivity; bit 0 SRL = 0 holds it in reset), CSR14
//!   (transmit/receive, including the autonegotiation enable and the
//!   abilities it advertises) and CSR15 (general: jabber, watchdog, and on
//!   the 21143 the general-purpose pins' control and data in bits 16-31);
//!   CSR12 reports link status (LS10, LS100; 1 = fail), the
//!   autonegotiation state (ANS) and the link partner's code word (LPC).
//!   The 21143 does 802.3 autonegotiation itself here (CSR14 ANE), also
//!   for 100BASE-TX through the SYM port;
//! * the **SYM** port (PS = 1, PCS = 1): a 100 Mb/s symbol interface to an
//!   external PMD, with the chip's own PCS and scrambler (SCR);
//! * the **MII** (PS = 1, PCS = 0): an external PHY, managed through
//!   CSR9 ([`crate::mii`]).
//!
//! TTM (transmit threshold mode) selects the 10 Mb/s FIFO thresholds; FD
//! is full duplex; HBD (heartbeat disable) is set with PS (Linux, de4x5).
//! The values below are the 21143 manual's (as NetBSD's `tulipreg.h` and
//! Linux's `21142.c` quote them); the serial ROM may override them
//! ([`crate::srom_info`]).

use crate::csr::csr6;
use crate::flags::BitNames;
use crate::mii::anar;
use core::fmt;

/// An 802.3 link mode the 21143 can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkMode {
    /// 10BASE-T half duplex.
    T10Half,
    /// 10BASE-T full duplex.
    T10Full,
    /// 100BASE-TX half duplex.
    Tx100Half,
    /// 100BASE-T4 (half duplex).
    T4,
    /// 100BASE-TX full duplex.
    Tx100Full,
}

impl LinkMode {
    /// 802.3 annex 28B.3's priority among these, highest first.
    pub const PRIORITY: [LinkMode; 5] =
        [LinkMode::Tx100Full, LinkMode::T4, LinkMode::Tx100Half, LinkMode::T10Full, LinkMode::T10Half];

    /// The mode's bit in ANAR / ANLPAR / CSR12 LPC.
    pub const fn ability(self) -> u16 {
        match self {
            LinkMode::T10Half => anar::T10_HD,
            LinkMode::T10Full => anar::T10_FD,
            LinkMode::Tx100Half => anar::TX_HD,
            LinkMode::T4 => anar::T4,
            LinkMode::Tx100Full => anar::TX_FD,
        }
    }

    /// The mode's bit in BMSR (and in the serial ROM's capability, FDX and
    /// TTM bit maps, which use BMSR positions).
    pub const fn bmsr_bit(self) -> u16 {
        self.ability() << 6
    }

    /// Speed in Mb/s.
    pub const fn speed(self) -> u32 {
        match self {
            LinkMode::T10Half | LinkMode::T10Full => 10,
            _ => 100,
        }
    }

    /// Whether the mode is full duplex.
    pub const fn full_duplex(self) -> bool {
        matches!(self, LinkMode::T10Full | LinkMode::Tx100Full)
    }

    /// `100BASE-TX full duplex` and so on.
    pub const fn name(self) -> &'static str {
        match self {
            LinkMode::T10Half => "10BASE-T half duplex",
            LinkMode::T10Full => "10BASE-T full duplex",
            LinkMode::Tx100Half => "100BASE-TX half duplex",
            LinkMode::T4 => "100BASE-T4",
            LinkMode::Tx100Full => "100BASE-TX full duplex",
        }
    }

    /// The serial ROM media code of the mode.
    pub const fn media_code(self) -> u8 {
        match self {
            LinkMode::T10Half => crate::srom_info::code::TP,
            LinkMode::T10Full => crate::srom_info::code::TP_FD,
            LinkMode::Tx100Half => crate::srom_info::code::TX100,
            LinkMode::T4 => crate::srom_info::code::T4,
            LinkMode::Tx100Full => crate::srom_info::code::TX100_FD,
        }
    }

    /// The mode of a serial ROM media code, if it is one of these.
    pub const fn from_media_code(code: u8) -> Option<LinkMode> {
        match code {
            crate::srom_info::code::TP => Some(LinkMode::T10Half),
            crate::srom_info::code::TP_FD => Some(LinkMode::T10Full),
            crate::srom_info::code::TX100 => Some(LinkMode::Tx100Half),
            crate::srom_info::code::T4 => Some(LinkMode::T4),
            crate::srom_info::code::TX100_FD => Some(LinkMode::Tx100Full),
            _ => None,
        }
    }
}

impl fmt::Display for LinkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The highest-priority mode both ends advertise (802.3 28B.3), from our
/// advertisement and the partner's base page (ANAR and ANLPAR, or our
/// CSR14 abilities and CSR12 LPC). `None`: nothing in common.
pub fn resolve(local: u16, partner: u16) -> Option<LinkMode> {
    let common = local & partner & anar::ABILITIES;
    LinkMode::PRIORITY.into_iter().find(|m| common & m.ability() != 0)
}

/// Abilities for messages: `100TX-FD 100T4 100TX 10T-FD 10T` (or `none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abilities(pub u16);

/// The autonegotiation abilities (ANAR / ANLPAR bits) with their short
/// names, highest priority first.
pub const ABILITY_NAMES: [(u32, &str); 5] = [
    (anar::TX_FD as u32, "100TX-FD"),
    (anar::T4 as u32, "100T4"),
    (anar::TX_HD as u32, "100TX"),
    (anar::T10_FD as u32, "10T-FD"),
    (anar::T10_HD as u32, "10T"),
];

impl fmt::Display for Abilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BitNames { bits: u32::from(self.0), table: &ABILITY_NAMES, empty: "none" }.fmt(f)
    }
}

/// The CSR6 bits media selection owns.
pub const CSR6_MEDIA_MASK: u32 = csr6::PS | csr6::HBD | csr6::TTM | csr6::PCS | csr6::SCR | csr6::FD;

/// CSR6 media bits for an MII PHY running `mode` (`None`: not known, no
/// link): PS and HBD; FD if the mode is full duplex and the serial ROM's
/// FDX map (BMSR bit positions) allows it, or without a map; TTM if the
/// ROM's TTM map has the mode's bit, or without a map at 10 Mb/s.
pub fn csr6_mii(mode: Option<LinkMode>, fdx_map: Option<u16>, ttm_map: Option<u16>) -> u32 {
    let mut v = csr6::PS | csr6::HBD;
    if let Some(m) = mode {
        if m.full_duplex() && fdx_map.is_none_or(|map| map & m.bmsr_bit() != 0) {
            v |= csr6::FD;
        }
        if ttm_map.map_or(m.speed() == 10, |map| map & m.bmsr_bit() != 0) {
            v |= csr6::TTM;
        }
    }
    v
}

/// CSR6 media bits for the SIA (10 Mb/s: TTM; FD for 10BASE-T full duplex).
pub const fn csr6_sia(full_duplex: bool) -> u32 {
    csr6::TTM | if full_duplex { csr6::FD } else { 0 }
}

/// CSR6 media bits for the SYM port from a serial ROM SYM block's command
/// word: its bits 0, 4, 5, 6 are CSR6 PS, TTM, PCS, SCR (bits 18, 22, 23,
/// 24); HBD goes with PS; FD for the full-duplex media codes.
pub const fn csr6_from_sym_command(command: u16, full_duplex: bool) -> u32 {
    let mut v = ((command & 0x71) as u32) << 18;
    if v & csr6::PS != 0 {
        v |= csr6::HBD;
    }
    if full_duplex {
        v |= csr6::FD;
    }
    v
}

/// CSR6 media bits for the SYM port without a serial ROM block: PS, PCS,
/// HBD, the scrambler for 100BASE-TX (not for 100BASE-FX), FD.
pub const fn csr6_sym(scrambler: bool, full_duplex: bool) -> u32 {
    csr6::PS | csr6::PCS | csr6::HBD | if scrambler { csr6::SCR } else { 0 } | if full_duplex { csr6::FD } else { 0 }
}

/// Names of the media bits set in a CSR6 value: `PS HBD FD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Csr6Media(pub u32);

/// CSR6's media bits with their names.
pub const CSR6_MEDIA_NAMES: [(u32, &str); 6] = [
    (csr6::PS, "PS"),
    (csr6::HBD, "HBD"),
    (csr6::PCS, "PCS"),
    (csr6::SCR, "SCR"),
    (csr6::TTM, "TTM"),
    (csr6::FD, "FD"),
];

impl fmt::Display for Csr6Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BitNames { bits: self.0, table: &CSR6_MEDIA_NAMES, empty: "none" }.fmt(f)
    }
}

/// CSR12 (SIA status) on the 21143.
pub mod csr12 {
    /// MII receive activity (write 1 to clear).
    pub const MRA: u32 = 1 << 0;
    /// 100 Mb/s link status: 1 = fail.
    pub const LS100: u32 = 1 << 1;
    /// 10 Mb/s link status: 1 = fail.
    pub const LS10: u32 = 1 << 2;
    /// Autopolarity state.
    pub const APS: u32 = 1 << 3;
    /// AUI receive activity (write 1 to clear).
    pub const ARA: u32 = 1 << 8;
    /// 10BASE-T receive activity (write 1 to clear).
    pub const TRA: u32 = 1 << 9;
    /// Non-stable link pulses detected.
    pub const NSN: u32 = 1 << 10;
    /// Transmit remote fault.
    pub const TRF: u32 = 1 << 11;
    /// Autonegotiation arbitration state shift.
    pub const ANS_SHIFT: u32 = 12;
    /// Autonegotiation arbitration state mask after shifting.
    pub const ANS_MASK: u32 = 7;
    /// ANS: disabled.
    pub const ANS_DISABLED: u32 = 0;
    /// ANS: transmit disable (writing it restarts autonegotiation).
    pub const ANS_TX_DISABLE: u32 = 1;
    /// ANS: autonegotiation complete (FLP link good).
    pub const ANS_COMPLETE: u32 = 5;
    /// Link partner negotiable (it sent fast link pulses).
    pub const LPN: u32 = 1 << 15;
    /// Link partner's code word shift (bits 16-31, ANLPAR layout).
    pub const LPC_SHIFT: u32 = 16;
    /// The write that restarts autonegotiation (ANS = 1) and clears the
    /// activity bits (Linux `t21142_start_nway`).
    pub const RESTART_NWAY: u32 = (ANS_TX_DISABLE << ANS_SHIFT) | TRA | ARA | MRA;
}

/// A CSR12 value, decoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Csr12(pub u32);

impl Csr12 {
    /// The autonegotiation arbitration state (0-7).
    pub const fn ans(self) -> u32 {
        (self.0 >> csr12::ANS_SHIFT) & csr12::ANS_MASK
    }
    /// Autonegotiation complete.
    pub const fn an_complete(self) -> bool {
        self.ans() == csr12::ANS_COMPLETE
    }
    /// The partner negotiates (sent its code word).
    pub const fn partner_negotiates(self) -> bool {
        self.0 & csr12::LPN != 0
    }
    /// The partner's code word (ANLPAR layout).
    pub const fn partner_code(self) -> u16 {
        (self.0 >> csr12::LPC_SHIFT) as u16
    }
    /// 10 Mb/s link pass.
    pub const fn link10(self) -> bool {
        self.0 & csr12::LS10 == 0
    }
    /// 100 Mb/s link pass.
    pub const fn link100(self) -> bool {
        self.0 & csr12::LS100 == 0
    }
    /// The state's name.
    pub const fn ans_name(self) -> &'static str {
        match self.ans() {
            0 => "disabled",
            1 => "transmit disable",
            2 => "ability detect",
            3 => "acknowledge detect",
            4 => "complete acknowledge",
            5 => "complete",
            6 => "link check",
            _ => "reserved",
        }
    }
}

impl fmt::Display for Csr12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#010x} (autonegotiation {}, 10 Mb/s link {}, 100 Mb/s link {}",
            self.0,
            self.ans_name(),
            if self.link10() { "pass" } else { "fail" },
            if self.link100() { "pass" } else { "fail" }
        )?;
        if self.partner_negotiates() {
            write!(f, ", partner code word {:#06x}", self.partner_code())?;
        }
        f.write_str(")")
    }
}

impl fmt::Debug for Csr12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Csr12({self})")
    }
}

/// CSR13 (SIA connectivity).
pub mod csr13 {
    /// SIA reset: 0 holds the SIA in reset, 1 runs it.
    pub const SRL: u32 = 1 << 0;
    /// AUI/BNC (1) or 10BASE-T (0).
    pub const AUI: u32 = 1 << 3;
}

/// CSR14 (SIA transmit and receive) bits.
pub mod csr14 {
    /// 10BASE-T half duplex ability (advertised).
    pub const TH: u32 = 1 << 6;
    /// Autonegotiation enable.
    pub const ANE: u32 = 1 << 7;
    /// 10BASE-T/AUI autosensing.
    pub const TAS: u32 = 1 << 15;
    /// 100BASE-TX half duplex ability.
    pub const THX: u32 = 1 << 16;
    /// 100BASE-TX full duplex ability.
    pub const TXF: u32 = 1 << 17;
    /// 100BASE-T4 ability.
    pub const T4: u32 = 1 << 18;
    /// Every other bit the 21143 manual sets for autonegotiation on the
    /// twisted pair (encoder, driver, link pulses, compensation, squelch,
    /// collision detect, SQE, link test, autopolarity; Linux's `0xffbf`).
    pub const NWAY_BASE: u32 = 0xffbf;
}

/// CSR15 (SIA general): the serial ROM's general-purpose control and data
/// words go to bits 16-31.
pub mod csr15 {
    /// Where a general-purpose (GEP) word goes.
    pub const GEP_SHIFT: u32 = 16;
    /// The low half the manual gives for 10BASE-T and the SYM port (bit 3,
    /// ABM: AUI rather than BNC when CSR13 selects AUI/BNC).
    pub const DEFAULT_LOW: u32 = 0x0008;
}

/// A CSR15 value carrying a serial ROM general-purpose word.
pub const fn gep(word: u16) -> u32 {
    (word as u32) << csr15::GEP_SHIFT
}

/// CSR13-CSR15 values for an SIA or SYM medium.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiaCsrs {
    /// CSR13 (written last, after CSR14 and CSR15, with the SIA in reset
    /// meanwhile).
    pub csr13: u32,
    /// CSR14.
    pub csr14: u32,
    /// CSR15's low half (the GEP half comes from the serial ROM).
    pub csr15: u32,
}

/// The 21143 manual's CSR13-CSR15 for a serial ROM media code on the SIA
/// (10BASE-T, 10BASE-T full duplex, AUI, BNC) or, for 100BASE-TX and
/// 100BASE-FX, the SIA's settings while the SYM port carries the data
/// (autonegotiation off, Linux's `0x0003ff7f`). `None` for other codes.
pub const fn sia_defaults(code: u8) -> Option<SiaCsrs> {
    use crate::srom_info::code;
    let (csr13, csr14, csr15) = match code {
        code::TP => (0x0001, 0x7f3f, 0x0008),
        code::TP_FD => (0x0001, 0x7f3d, 0x0008),
        code::AUI => (0x0009, 0x4705, 0x000e),
        code::BNC => (0x0009, 0x4705, 0x0006),
        code::TX100 | code::TX100_FD | code::FX100 | code::FX100_FD => (0x0001, 0x0003_ff7f, 0x0008),
        _ => return None,
    };
    Some(SiaCsrs { csr13, csr14, csr15 })
}

/// CSR14 for autonegotiation on the SIA advertising `adv` (ANAR layout;
/// 10BASE-T full duplex is advertised by CSR6 FD instead).
pub const fn nway_csr14(adv: u16) -> u32 {
    let adv = adv as u32;
    let mut v = csr14::NWAY_BASE & !csr14::TH;
    if adv & anar::T10_HD as u32 != 0 {
        v |= csr14::TH;
    }
    if adv & anar::TX_HD as u32 != 0 {
        v |= csr14::THX;
    }
    if adv & anar::TX_FD as u32 != 0 {
        v |= csr14::TXF;
    }
    if adv & anar::T4 as u32 != 0 {
        v |= csr14::T4;
    }
    v
}

/// How an autonegotiation on the SIA ended, from our advertisement and
/// CSR12 once ANS is complete (or the time is up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NwayResult {
    /// Both ends negotiated; the highest common mode.
    Negotiated(LinkMode),
    /// The partner does not negotiate; the link detected (100BASE-TX if
    /// its link passes and we advertise it, else 10BASE-T), half duplex.
    ParallelDetect(LinkMode),
    /// Both ends negotiated, nothing in common.
    NoCommonMode,
    /// Autonegotiation did not complete (CSR12's link bits mean nothing
    /// meanwhile, Linux's `21142.c` notes).
    NotComplete,
}

impl NwayResult {
    /// The mode to run, if any.
    pub const fn mode(self) -> Option<LinkMode> {
        match self {
            NwayResult::Negotiated(m) | NwayResult::ParallelDetect(m) => Some(m),
            NwayResult::NoCommonMode | NwayResult::NotComplete => None,
        }
    }
}

/// Decides the SIA's mode from our advertisement and CSR12 (Linux's
/// `t21142_lnk_change`, with 802.3's priority).
pub fn nway_result(adv: u16, csr12: Csr12) -> NwayResult {
    if csr12.an_complete() {
        if csr12.partner_negotiates() {
            return match resolve(adv, csr12.partner_code()) {
                Some(m) => NwayResult::Negotiated(m),
                None => NwayResult::NoCommonMode,
            };
        }
        if csr12.link100() && adv & (anar::TX_HD | anar::TX_FD) != 0 {
            return NwayResult::ParallelDetect(LinkMode::Tx100Half);
        }
        return NwayResult::ParallelDetect(LinkMode::T10Half);
    }
    NwayResult::NotComplete
}

/// What the `tulip_media=` boot parameter asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MediaChoice {
    /// The serial ROM's selection, else an MII scan, else the SIA.
    Auto,
    /// An MII PHY.
    Mii,
    /// The SIA with autonegotiation (no MII scan).
    Sia,
    /// This media code ([`crate::srom_info::code`]), fixed.
    Fixed(u8),
}

/// Every `tulip_media=` value with what it asks for (compared ignoring
/// case; Linux's `tulip` names where it has one).
pub const MEDIA_CHOICES: [(&str, MediaChoice); 13] = {
    use crate::srom_info::code;
    [
        ("auto", MediaChoice::Auto),
        ("mii", MediaChoice::Mii),
        ("sia", MediaChoice::Sia),
        ("nway", MediaChoice::Sia),
        ("10baseT", MediaChoice::Fixed(code::TP)),
        ("10baseT-FD", MediaChoice::Fixed(code::TP_FD)),
        ("aui", MediaChoice::Fixed(code::AUI)),
        ("bnc", MediaChoice::Fixed(code::BNC)),
        ("100baseTX", MediaChoice::Fixed(code::TX100)),
        ("100baseTX-FD", MediaChoice::Fixed(code::TX100_FD)),
        ("100baseFX", MediaChoice::Fixed(code::FX100)),
        ("100baseFX-FD", MediaChoice::Fixed(code::FX100_FD)),
        ("10baseT-HD", MediaChoice::Fixed(code::TP)),
    ]
};

/// The `tulip_media=` value `v` asks for; `None` for a value not in
/// [`MEDIA_CHOICES`].
pub fn media_choice(v: &str) -> Option<MediaChoice> {
    MEDIA_CHOICES.iter().find(|(name, _)| name.eq_ignore_ascii_case(v)).map(|&(_, c)| c)
}

/// The `tulip_media=` values, for messages: `auto, mii, sia, ...`.
#[derive(Clone, Copy, Debug)]
pub struct MediaChoiceNames;

impl fmt::Display for MediaChoiceNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, _)) in MEDIA_CHOICES.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}
