//! The serial ROM's media information for the 21143: the header, the
//! controller's info leaf and its media blocks, as DEC's "21X4 Serial ROM
//! Format" (versions 3 and 4) lays them out.
//!
//! ```text
//! byte 18      format version (1, 3, 4)
//! byte 19      controller count
//! bytes 20-25  IEEE address
//! byte 26+3n   controller n's device number
//! bytes 27+3n  controller n's info leaf offset (16 bits, little-endian)
//! bytes 126-127  CRC-32 of bytes 0-125, low 16 bits
//!
//! info leaf (21142/21143):
//!   selected connection type (16 bits), media block count (8 bits), blocks
//!
//! extended media block: 0x80 | length of the rest, type, data
//!   type 2  SIA:      media code (bit 6: CSR13-15 follow), [CSR13 CSR14 CSR15],
//!                     GP control, GP data
//!   type 3  MII PHY:  PHY number, GP init length n, n words, reset length m,
//!                     m words, media capabilities, nway advertisement,
//!                     FDX bit map, TTM bit map, [MII interrupt (version 4)]
//!   type 4  SYM:      media code, GP control, GP data, command
//!   type 5  reset:    length n, n words
//!   types 0, 1 (21140 GPR and MII) and compact blocks (bit 7 clear, four
//!   bytes, 21140 only) are skipped.
//! ```
//!
//! Multi-byte fields are little-endian. GP words go to CSR15 bits 16-31.
//! Linux (`eeprom.c`, `tulip_parse_eeprom`) and NetBSD (`tulipreg.h`) read
//! the same layout. [`parse`] never panics: anything that does not fit is
//! an [`SromError`] naming where.

use crate::media::{LinkMode, SiaCsrs};
use core::fmt;

/// Offset of the format version.
pub const VERSION: usize = 18;
/// Offset of the controller count.
pub const CHIP_COUNT: usize = 19;
/// Offset of the first controller entry (device number, leaf offset).
pub const CHIP_TABLE: usize = 26;
/// Bytes per controller entry.
pub const CHIP_ENTRY: usize = 3;
/// Offset of the CRC (128-byte ROMs).
pub const CRC_OFFSET: usize = 126;
/// Media blocks kept (the rest is an error: no real ROM has more).
pub const MAX_BLOCKS: usize = 16;

/// Selected connection types (the info leaf's first word).
pub mod conn {
    /// 10BASE-T.
    pub const TP: u16 = 0x0000;
    /// 10BASE-2.
    pub const BNC: u16 = 0x0001;
    /// 10BASE-5.
    pub const AUI: u16 = 0x0002;
    /// 100BASE-TX.
    pub const TX100: u16 = 0x0003;
    /// 100BASE-T4.
    pub const T4: u16 = 0x0006;
    /// 100BASE-FX.
    pub const FX100: u16 = 0x0007;
    /// MII 10BASE-T.
    pub const MII_10T: u16 = 0x0009;
    /// MII 100BASE-TX.
    pub const MII_100TX: u16 = 0x000d;
    /// MII 100BASE-T4.
    pub const MII_100T4: u16 = 0x000f;
    /// MII 100BASE-FX.
    pub const MII_100FX: u16 = 0x0010;
    /// 10BASE-T with autonegotiation.
    pub const TP_NWAY: u16 = 0x0100;
    /// 10BASE-T full duplex.
    pub const TP_FD: u16 = 0x0204;
    /// MII 10BASE-T full duplex.
    pub const MII_10T_FD: u16 = 0x020a;
    /// 100BASE-TX full duplex.
    pub const TX100_FD: u16 = 0x020e;
    /// MII 100BASE-TX full duplex.
    pub const MII_100TX_FD: u16 = 0x0211;
    /// 10BASE-T without link pass test.
    pub const TP_NO_LINK_PASS: u16 = 0x0400;
    /// Autosense.
    pub const AUTOSENSE: u16 = 0x0800;
    /// Autosense at power-up.
    pub const AUTOSENSE_POWERUP: u16 = 0x8800;
    /// Autosense with autonegotiation.
    pub const AUTOSENSE_NWAY: u16 = 0x0900;
    /// No connection selected.
    pub const NONE: u16 = 0xffff;
}

/// The name of a selected connection type.
pub const fn connection_name(c: u16) -> &'static str {
    match c {
        conn::TP => "10BASE-T",
        conn::BNC => "10BASE-2 (BNC)",
        conn::AUI => "10BASE-5 (AUI)",
        conn::TX100 => "100BASE-TX",
        conn::T4 => "100BASE-T4",
        conn::FX100 => "100BASE-FX",
        conn::MII_10T => "MII 10BASE-T",
        conn::MII_100TX => "MII 100BASE-TX",
        conn::MII_100T4 => "MII 100BASE-T4",
        conn::MII_100FX => "MII 100BASE-FX",
        conn::TP_NWAY => "10BASE-T autonegotiation",
        conn::TP_FD => "10BASE-T full duplex",
        conn::MII_10T_FD => "MII 10BASE-T full duplex",
        conn::TX100_FD => "100BASE-TX full duplex",
        conn::MII_100TX_FD => "MII 100BASE-TX full duplex",
        conn::TP_NO_LINK_PASS => "10BASE-T without link pass",
        conn::AUTOSENSE => "autosense",
        conn::AUTOSENSE_POWERUP => "autosense at power-up",
        conn::AUTOSENSE_NWAY => "autosense with autonegotiation",
        conn::NONE => "none",
        _ => "unknown",
    }
}

/// What a selected connection type asks of the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Find the medium (autosense, autonegotiation, or no selection).
    Sense,
    /// An MII PHY.
    Mii,
    /// This SIA/SYM media code, fixed.
    Fixed(u8),
}

/// Classifies a selected connection type.
pub const fn connection(c: u16) -> Connection {
    match c {
        conn::TP | conn::TP_NO_LINK_PASS => Connection::Fixed(code::TP),
        conn::BNC => Connection::Fixed(code::BNC),
        conn::AUI => Connection::Fixed(code::AUI),
        conn::TX100 => Connection::Fixed(code::TX100),
        conn::T4 => Connection::Fixed(code::T4),
        conn::FX100 => Connection::Fixed(code::FX100),
        conn::TP_FD => Connection::Fixed(code::TP_FD),
        conn::TX100_FD => Connection::Fixed(code::TX100_FD),
        conn::MII_10T | conn::MII_100TX | conn::MII_100T4 | conn::MII_100FX | conn::MII_10T_FD | conn::MII_100TX_FD => {
            Connection::Mii
        }
        _ => Connection::Sense,
    }
}

/// Media codes (bits 0-5 of a block's media byte).
pub mod code {
    /// 10BASE-T.
    pub const TP: u8 = 0;
    /// 10BASE-2.
    pub const BNC: u8 = 1;
    /// 10BASE-5.
    pub const AUI: u8 = 2;
    /// 100BASE-TX.
    pub const TX100: u8 = 3;
    /// 10BASE-T full duplex.
    pub const TP_FD: u8 = 4;
    /// 100BASE-TX full duplex.
    pub const TX100_FD: u8 = 5;
    /// 100BASE-T4.
    pub const T4: u8 = 6;
    /// 100BASE-FX.
    pub const FX100: u8 = 7;
    /// 100BASE-FX full duplex.
    pub const FX100_FD: u8 = 8;
    /// The code's bits in the media byte.
    pub const MASK: u8 = 0x3f;
    /// Media byte bit 6 of an SIA block: CSR13-CSR15 values follow.
    pub const EXT: u8 = 0x40;
}

/// The name of a media code.
pub const fn media_name(c: u8) -> &'static str {
    match c {
        code::TP => "10BASE-T",
        code::BNC => "10BASE-2 (BNC)",
        code::AUI => "10BASE-5 (AUI)",
        code::TX100 => "100BASE-TX",
        code::TP_FD => "10BASE-T full duplex",
        code::TX100_FD => "100BASE-TX full duplex",
        code::T4 => "100BASE-T4",
        code::FX100 => "100BASE-FX",
        code::FX100_FD => "100BASE-FX full duplex",
        _ => "unknown medium",
    }
}

/// Whether a media code is full duplex.
pub const fn media_full_duplex(c: u8) -> bool {
    matches!(c, code::TP_FD | code::TX100_FD | code::FX100_FD)
}

/// Media block types.
pub mod kind {
    /// 21140 general-purpose register block (also every compact block).
    pub const GPR_21140: u8 = 0;
    /// 21140 MII block.
    pub const MII_21140: u8 = 1;
    /// 21142/21143 SIA block.
    pub const SIA: u8 = 2;
    /// 21142/21143 MII PHY block.
    pub const MII: u8 = 3;
    /// 21143 SYM block.
    pub const SYM: u8 = 4;
    /// 21143 reset block.
    pub const RESET: u8 = 5;
}

/// A sequence of little-endian 16-bit words inside the ROM (general-
/// purpose port sequences).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Words<'a>(&'a [u8]);

impl<'a> Words<'a> {
    /// Words over `bytes` (an odd last byte is ignored).
    pub const fn new(bytes: &'a [u8]) -> Self {
        Words(bytes)
    }
    /// Number of words.
    pub const fn len(&self) -> usize {
        self.0.len() / 2
    }
    /// No words.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The words in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        self.0.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]))
    }
}

impl fmt::Debug for Words<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, w) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{w:#06x}")?;
        }
        f.write_str("]")
    }
}

/// One media block. `repr(u8)`: variants hold `Option`s (see the crate's
/// README note on the Alpha backend's niche-in-niche bug).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MediaBlock<'a> {
    /// Type 2: an SIA medium.
    Sia {
        /// Media code ([`code`]).
        code: u8,
        /// CSR13-CSR15 to use instead of the manual's values.
        csrs: Option<SiaCsrs>,
        /// General-purpose control (CSR15 bits 16-31).
        gp_control: u16,
        /// General-purpose data (CSR15 bits 16-31).
        gp_data: u16,
    },
    /// Type 3: an MII PHY.
    Mii {
        /// PHY number: the index among the PHYs found, not an address.
        phy: u8,
        /// General-purpose words written to CSR15 to set the PHY up.
        gp_init: Words<'a>,
        /// General-purpose words that reset the PHY.
        reset: Words<'a>,
        /// Media capabilities (BMSR bit positions).
        capabilities: u16,
        /// Autonegotiation advertisement (ANAR bits).
        advertisement: u16,
        /// Modes that may run full duplex (BMSR bit positions).
        fdx: u16,
        /// Modes that need CSR6 TTM (BMSR bit positions).
        ttm: u16,
        /// MII interrupt (version 4 only).
        interrupt: Option<u8>,
    },
    /// Type 4: a SYM-port medium.
    Sym {
        /// Media code ([`code`]).
        code: u8,
        /// General-purpose control.
        gp_control: u16,
        /// General-purpose data.
        gp_data: u16,
        /// Command: CSR6 bits in bits 0, 4-6; bit 14 default medium.
        command: u16,
    },
    /// Type 5: a reset sequence.
    Reset {
        /// General-purpose words.
        sequence: Words<'a>,
    },
    /// A block this driver skips (21140 blocks, unknown types).
    Other {
        /// Block type (0 for compact blocks).
        kind: u8,
        /// Offset in the ROM.
        at: u16,
        /// Bytes the block occupies.
        len: u8,
    },
}

impl MediaBlock<'_> {
    /// The block's type number.
    pub const fn kind(&self) -> u8 {
        match self {
            MediaBlock::Sia { .. } => kind::SIA,
            MediaBlock::Mii { .. } => kind::MII,
            MediaBlock::Sym { .. } => kind::SYM,
            MediaBlock::Reset { .. } => kind::RESET,
            MediaBlock::Other { kind, .. } => *kind,
        }
    }

    /// The media code of an SIA or SYM block.
    pub const fn media_code(&self) -> Option<u8> {
        match self {
            MediaBlock::Sia { code, .. } | MediaBlock::Sym { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for MediaBlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaBlock::Sia { code, csrs, gp_control, gp_data } => {
                write!(f, "SIA {} (GP control {gp_control:#06x}, data {gp_data:#06x}", media_name(*code))?;
                if let Some(c) = csrs {
                    write!(f, ", CSR13 {:#06x} CSR14 {:#06x} CSR15 {:#06x}", c.csr13, c.csr14, c.csr15)?;
                }
                f.write_str(")")
            }
            MediaBlock::Mii { phy, gp_init, reset, capabilities, advertisement, fdx, ttm, interrupt } => {
                write!(
                    f,
                    "MII PHY #{phy} (GP init {gp_init:?}, reset {reset:?}, capabilities {capabilities:#06x}, advertise {advertisement:#06x}, FDX {fdx:#06x}, TTM {ttm:#06x}"
                )?;
                if let Some(i) = interrupt {
                    write!(f, ", interrupt {i:#04x}")?;
                }
                f.write_str(")")
            }
            MediaBlock::Sym { code, gp_control, gp_data, command } => write!(
                f,
                "SYM {} (GP control {gp_control:#06x}, data {gp_data:#06x}, command {command:#06x})",
                media_name(*code)
            ),
            MediaBlock::Reset { sequence } => write!(f, "reset {sequence:?}"),
            MediaBlock::Other { kind, at, len } => write!(f, "type {kind} at {at:#x} ({len} bytes, not for the 21143)"),
        }
    }
}

/// Why the ROM's media information cannot be used. `repr(u8)` (see
/// [`MediaBlock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SromError {
    /// Shorter than the header.
    TooShort {
        /// Bytes given.
        len: u16,
    },
    /// Every byte the same (an erased or absent ROM).
    Blank {
        /// The byte.
        byte: u8,
    },
    /// A format version without 21143 media blocks.
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
    /// Controller count 0.
    NoController,
    /// The controller table runs past the end.
    ChipTableOutside {
        /// Controller count.
        count: u8,
    },
    /// The info leaf (its three header bytes) lies outside the ROM.
    LeafOutside {
        /// Leaf offset.
        offset: u16,
        /// ROM length.
        len: u16,
    },
    /// More media blocks than [`MAX_BLOCKS`].
    TooManyBlocks {
        /// Declared count.
        count: u8,
    },
    /// A block runs past the end of the ROM.
    BlockOutside {
        /// Block index.
        index: u8,
        /// Its offset.
        at: u16,
    },
    /// A block is shorter than its type's fields.
    BlockTooShort {
        /// Block index.
        index: u8,
        /// Its offset.
        at: u16,
        /// Its type.
        kind: u8,
        /// Bytes after the length byte.
        len: u8,
        /// Bytes its fields need.
        need: u16,
    },
    /// An extended block with length 0 (not even a type byte).
    EmptyBlock {
        /// Block index.
        index: u8,
        /// Its offset.
        at: u16,
    },
}

impl fmt::Display for SromError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SromError::TooShort { len } => write!(f, "{len} bytes, shorter than the {} the header needs", CHIP_TABLE + CHIP_ENTRY),
            SromError::Blank { byte } => write!(f, "every byte is {byte:#04x} (blank or absent)"),
            SromError::UnsupportedVersion { version } => {
                write!(f, "format version {version} (byte 18) has no 21143 media blocks (1, 3 or 4 expected)")
            }
            SromError::NoController => f.write_str("controller count (byte 19) is 0"),
            SromError::ChipTableOutside { count } => write!(f, "{count} controller entries do not fit the ROM"),
            SromError::LeafOutside { offset, len } => write!(f, "info leaf at {offset:#x} lies outside the {len}-byte ROM"),
            SromError::TooManyBlocks { count } => write!(f, "{count} media blocks (at most {MAX_BLOCKS} expected)"),
            SromError::BlockOutside { index, at } => write!(f, "media block {index} at {at:#x} runs past the end of the ROM"),
            SromError::BlockTooShort { index, at, kind, len, need } => write!(
                f,
                "media block {index} at {at:#x} (type {kind}) has {len} bytes, its fields need {need}"
            ),
            SromError::EmptyBlock { index, at } => write!(f, "media block {index} at {at:#x} has length 0"),
        }
    }
}

/// A controller's info leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoLeaf<'a> {
    /// Format version.
    pub version: u8,
    /// Controllers the ROM describes.
    pub chip_count: u8,
    /// Which entry this leaf is (the one whose device number matched, else 0).
    pub chip: u8,
    /// The entry's device number.
    pub device: u8,
    /// The leaf's offset.
    pub offset: u16,
    /// Selected connection type ([`conn`]).
    pub connection: u16,
    count: u8,
    blocks: [MediaBlock<'a>; MAX_BLOCKS],
}

impl<'a> InfoLeaf<'a> {
    /// The media blocks, in ROM order.
    pub fn blocks(&self) -> &[MediaBlock<'a>] {
        &self.blocks[..self.count as usize]
    }

    /// The first MII block for PHY number `phy`, else the first MII block.
    pub fn mii_block(&self, phy: u8) -> Option<&MediaBlock<'a>> {
        let mut miis = self.blocks().iter().filter(|b| matches!(b, MediaBlock::Mii { .. }));
        let first = miis.clone().next();
        miis.find(|b| matches!(b, MediaBlock::Mii { phy: p, .. } if *p == phy)).or(first)
    }

    /// Whether the leaf describes an MII PHY.
    pub fn has_mii(&self) -> bool {
        self.blocks().iter().any(|b| matches!(b, MediaBlock::Mii { .. }))
    }

    /// The SIA or SYM block for a media code.
    pub fn block_for(&self, code: u8) -> Option<&MediaBlock<'a>> {
        self.blocks().iter().find(|b| b.media_code() == Some(code))
    }

    /// The reset blocks' sequences.
    pub fn reset_sequences(&self) -> impl Iterator<Item = Words<'a>> + '_ {
        self.blocks().iter().filter_map(|b| match b {
            MediaBlock::Reset { sequence } => Some(*sequence),
            _ => None,
        })
    }

    /// What the SIA and SYM blocks offer, as autonegotiation abilities
    /// (Linux's `new_advertise`).
    pub fn sia_abilities(&self) -> u16 {
        self.blocks()
            .iter()
            .filter_map(MediaBlock::media_code)
            .filter_map(LinkMode::from_media_code)
            .fold(0, |a, m| a | m.ability())
    }
}

fn le16(rom: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*rom.get(at)?, *rom.get(at + 1)?]))
}

/// Parses the info leaf of the controller with PCI device number `device`
/// (or the first controller if none has it).
pub fn parse(rom: &[u8], device: u8) -> Result<InfoLeaf<'_>, SromError> {
    let len = rom.len();
    let len16 = len.min(u16::MAX as usize) as u16;
    if len < CHIP_TABLE + CHIP_ENTRY {
        return Err(SromError::TooShort { len: len16 });
    }
    if rom.iter().all(|&b| b == rom[0]) {
        return Err(SromError::Blank { byte: rom[0] });
    }
    let version = rom[VERSION];
    if !matches!(version, 1 | 3 | 4) {
        return Err(SromError::UnsupportedVersion { version });
    }
    let chip_count = rom[CHIP_COUNT];
    if chip_count == 0 {
        return Err(SromError::NoController);
    }
    if CHIP_TABLE + CHIP_ENTRY * chip_count as usize > len {
        return Err(SromError::ChipTableOutside { count: chip_count });
    }
    let chip = (0..chip_count).find(|&c| rom[CHIP_TABLE + CHIP_ENTRY * c as usize] == device).unwrap_or(0);
    let entry = CHIP_TABLE + CHIP_ENTRY * chip as usize;
    let offset = le16(rom, entry + 1).unwrap_or(0);
    let at = offset as usize;
    if at < CHIP_TABLE || at + 3 > len {
        return Err(SromError::LeafOutside { offset, len: len16 });
    }
    let connection = le16(rom, at).unwrap_or(0);
    let count = rom[at + 2];
    if count as usize > MAX_BLOCKS {
        return Err(SromError::TooManyBlocks { count });
    }
    let mut leaf = InfoLeaf {
        version,
        chip_count,
        chip,
        device: rom[entry],
        offset,
        connection,
        count,
        blocks: [MediaBlock::Other { kind: 0, at: 0, len: 0 }; MAX_BLOCKS],
    };
    let mut p = at + 3;
    for index in 0..count {
        let (block, next) = parse_block(rom, p, index)?;
        leaf.blocks[index as usize] = block;
        p = next;
    }
    Ok(leaf)
}

/// One block at `at`: the block and the offset after it.
fn parse_block(rom: &[u8], at: usize, index: u8) -> Result<(MediaBlock<'_>, usize), SromError> {
    let at16 = at.min(u16::MAX as usize) as u16;
    let outside = SromError::BlockOutside { index, at: at16 };
    let head = *rom.get(at).ok_or(outside)?;
    if head & 0x80 == 0 {
        // Compact 21140 block: media code, GP data, command.
        if at + 4 > rom.len() {
            return Err(outside);
        }
        return Ok((MediaBlock::Other { kind: kind::GPR_21140, at: at16, len: 4 }, at + 4));
    }
    let len = head & 0x7f;
    if len == 0 {
        return Err(SromError::EmptyBlock { index, at: at16 });
    }
    let body = rom.get(at + 1..at + 1 + len as usize).ok_or(outside)?;
    let next = at + 1 + len as usize;
    let kind = body[0];
    let short = |need: usize| SromError::BlockTooShort { index, at: at16, kind, len, need: need as u16 };
    let w = |off: usize| le16(body, off);
    let block = match kind {
        kind::SIA => {
            let media = *body.get(1).ok_or(short(2))?;
            let ext = media & code::EXT != 0;
            let need = 2 + if ext { 6 } else { 0 } + 4;
            if body.len() < need {
                return Err(short(need));
            }
            let (csrs, gp) = if ext {
                let c = SiaCsrs {
                    csr13: w(2).unwrap_or(0) as u32,
                    csr14: w(4).unwrap_or(0) as u32,
                    csr15: w(6).unwrap_or(0) as u32,
                };
                (Some(c), 8)
            } else {
                (None, 2)
            };
            MediaBlock::Sia {
                code: media & code::MASK,
                csrs,
                gp_control: w(gp).unwrap_or(0),
                gp_data: w(gp + 2).unwrap_or(0),
            }
        }
        kind::MII => {
            // phy, n, 2n, m, 2m, 8 bytes of maps, optional interrupt.
            let mut need = 3;
            let phy = *body.get(1).ok_or(short(need))?;
            let n = *body.get(2).ok_or(short(need))? as usize;
            let init_at = 3;
            need = init_at + 2 * n + 1;
            let m = *body.get(init_at + 2 * n).ok_or(short(need))? as usize;
            let reset_at = init_at + 2 * n + 1;
            let maps = reset_at + 2 * m;
            need = maps + 8;
            if body.len() < need {
                return Err(short(need));
            }
            MediaBlock::Mii {
                phy,
                gp_init: Words(&body[init_at..init_at + 2 * n]),
                reset: Words(&body[reset_at..reset_at + 2 * m]),
                capabilities: w(maps).unwrap_or(0),
                advertisement: w(maps + 2).unwrap_or(0),
                fdx: w(maps + 4).unwrap_or(0),
                ttm: w(maps + 6).unwrap_or(0),
                interrupt: body.get(maps + 8).copied(),
            }
        }
        kind::SYM => {
            if body.len() < 8 {
                return Err(short(8));
            }
            MediaBlock::Sym {
                code: body[1] & code::MASK,
                gp_control: w(2).unwrap_or(0),
                gp_data: w(4).unwrap_or(0),
                command: w(6).unwrap_or(0),
            }
        }
        kind::RESET => {
            let n = *body.get(1).ok_or(short(2))? as usize;
            let need = 2 + 2 * n;
            if body.len() < need {
                return Err(short(need));
            }
            MediaBlock::Reset { sequence: Words(&body[2..need]) }
        }
        _ => MediaBlock::Other { kind, at: at16, len: len + 1 },
    };
    Ok((block, next))
}

/// CRC-32 (IEEE 802.3, reflected, as Ethernet's FCS).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The ROM's CRC word and the one computed over bytes 0-125.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrcCheck {
    /// Bytes 126-127.
    pub stored: u16,
    /// Low 16 bits of the CRC-32 of bytes 0-125.
    pub computed: u16,
}

impl CrcCheck {
    /// They agree.
    pub const fn ok(&self) -> bool {
        self.stored == self.computed
    }
}

/// The CRC check of a ROM of at least 128 bytes.
pub fn check_crc(rom: &[u8]) -> Option<CrcCheck> {
    let stored = le16(rom, CRC_OFFSET)?;
    Some(CrcCheck { stored, computed: crc32(&rom[..CRC_OFFSET]) as u16 })
}

/// The ROM as bytes from its 16-bit words (little-endian, as the chip
/// shifts them out), into `out`; returns the bytes written.
pub fn words_to_bytes(words: &[u16], out: &mut [u8]) -> usize {
    let mut n = 0;
    for (w, o) in words.iter().zip(out.chunks_exact_mut(2)) {
        o.copy_from_slice(&w.to_le_bytes());
        n += 2;
    }
    n
}
