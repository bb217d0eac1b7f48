//! Test models: a PHY that follows IEEE 802.3 clause 22 on the MDIO pins,
//! one that behaves as QEMU's `hw/net/tulip.c` (`tulip_mii`) does, QEMU's
//! default serial ROM image, and an encoder of serial ROM media blocks.

use crate::mii::{self, MDC, MDI, MDO, MII_BITS, MII_READ, MdioPins};
use crate::srom_info::{MediaBlock, code, kind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Counting preamble ones.
    Idle { ones: u32 },
    /// Saw the start's 0 after a preamble; expects its 1.
    Start,
    /// Opcode and addresses: `n` of 12 bits in.
    Header { bits: u16, n: u8 },
    /// Read: this rising edge is the turnaround's first bit.
    ReadTa { reg: u8 },
    /// Read: driving data bit `15 - k` after each rising edge.
    ReadData { data: u16, k: u8 },
    /// Write: the turnaround `10`, `n` bits in.
    WriteTa { phy: u8, reg: u8, n: u8 },
    /// Write: `n` data bits in.
    WriteData { phy: u8, reg: u8, bits: u16, n: u8 },
}

/// A PHY at `addr` that follows clause 22: samples MDIO on rising MDC
/// edges, needs 32 preamble ones, drives the turnaround's 0 and the data
/// after rising edges, releases MDIO after the last data bit. It records
/// protocol violations of the station: CSR9 bits outside the MII ones,
/// MDO or the direction changing together with a rising edge (no setup
/// time), and both ends driving MDIO at once.
pub struct Clause22Phy {
    pub addr: u8,
    pub regs: [u16; 32],
    last: u32,
    state: State,
    /// The level the PHY drives, if it drives.
    drive: Option<bool>,
    pub violations: Vec<String>,
    pub writes: Vec<(u8, u16)>,
    pub edges: u64,
}

impl Clause22Phy {
    pub fn new(addr: u8, regs: [u16; 32]) -> Self {
        Clause22Phy {
            addr,
            regs,
            last: 0,
            state: State::Idle { ones: 0 },
            drive: None,
            violations: Vec::new(),
            writes: Vec::new(),
            edges: 0,
        }
    }

    /// The level on MDIO for CSR9 value `v`: the PHY's if it drives, the
    /// chip's MDO if the chip drives (write mode), else the pull-up's 1.
    fn level(&self, v: u32) -> bool {
        match self.drive {
            Some(b) => b,
            None if v & MII_READ == 0 => v & MDO != 0,
            None => true,
        }
    }

    fn edge(&mut self, b: bool) {
        self.edges += 1;
        self.state = match self.state {
            State::Idle { ones } => {
                if b {
                    State::Idle { ones: ones + 1 }
                } else if ones >= mii::PREAMBLE_BITS {
                    State::Start
                } else {
                    State::Idle { ones: 0 }
                }
            }
            State::Start => {
                if b {
                    State::Header { bits: 0, n: 0 }
                } else {
                    State::Idle { ones: 0 }
                }
            }
            State::Header { bits, n } => {
                let bits = (bits << 1) | b as u16;
                if n + 1 < 12 {
                    State::Header { bits, n: n + 1 }
                } else {
                    let (op, phy, reg) = (bits >> 10, ((bits >> 5) & 0x1f) as u8, (bits & 0x1f) as u8);
                    match op {
                        0b10 if phy == self.addr => State::ReadTa { reg },
                        0b01 => State::WriteTa { phy, reg, n: 0 },
                        _ => State::Idle { ones: 0 },
                    }
                }
            }
            State::ReadTa { reg } => {
                // After the turnaround's first (idle) bit the PHY drives 0.
                self.drive = Some(false);
                State::ReadData { data: self.regs[reg as usize], k: 0 }
            }
            State::ReadData { data, k } => {
                if k < 16 {
                    self.drive = Some((data >> (15 - k)) & 1 != 0);
                    State::ReadData { data, k: k + 1 }
                } else {
                    self.drive = None;
                    State::Idle { ones: b as u32 }
                }
            }
            State::WriteTa { phy, reg, n } => {
                let want = n == 0;
                if b != want {
                    self.violations.push(format!("write turnaround bit {n} is {b}"));
                    State::Idle { ones: 0 }
                } else if n == 0 {
                    State::WriteTa { phy, reg, n: 1 }
                } else {
                    State::WriteData { phy, reg, bits: 0, n: 0 }
                }
            }
            State::WriteData { phy, reg, bits, n } => {
                let bits = (bits << 1) | b as u16;
                if n + 1 < 16 {
                    State::WriteData { phy, reg, bits, n: n + 1 }
                } else {
                    if phy == self.addr {
                        self.regs[reg as usize] = bits;
                        self.writes.push((reg, bits));
                    }
                    State::Idle { ones: 0 }
                }
            }
        };
    }
}

impl MdioPins for Clause22Phy {
    fn write(&mut self, v: u32) {
        if v & !MII_BITS != 0 || v & MDI != 0 {
            self.violations.push(format!("CSR9 {v:#x} sets bits outside MDC/MDO/MII_READ"));
        }
        if self.drive.is_some() && v & MII_READ == 0 {
            self.violations.push(format!("the chip drives MDIO (CSR9 {v:#x}) while the PHY does"));
        }
        let rising = self.last & MDC == 0 && v & MDC != 0;
        if rising {
            if (v ^ self.last) & (MDO | MII_READ) != 0 {
                self.violations.push(format!("MDO/direction changed with the rising edge: {:#x} -> {v:#x}", self.last));
            }
            let b = self.level(v);
            self.edge(b);
        }
        self.last = v;
    }

    fn read(&mut self) -> u32 {
        let mdi = if self.level(self.last) { MDI } else { 0 };
        (self.last & !MDI) | mdi
    }
}

/// QEMU's MII registers at reset (`tulip_mdi_default`) and the bits a
/// write may change (`tulip_mdi_mask`, which QEMU calls read-only but
/// uses as the writable mask).
pub const QEMU_MDI: [u16; 32] = [
    0x3100, 0xf02c, 0x7810, 0x0000, 0x0501, 0x4181, 0x0000, 0x0000, 0, 0, 0, 0, 0, 0, 0, 0, 0x0003, 0x0000, 0x0001,
    0x0000, 0x3b40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
pub const QEMU_MDI_WRITABLE: [u16; 32] = [
    0x0000, 0xffff, 0xffff, 0xffff, 0xc01f, 0xffff, 0xffff, 0x0000, 0, 0, 0, 0, 0, 0, 0, 0, 0x0fff, 0x0000, 0xffff,
    0xffff, 0x0000, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0, 0, 0,
];

/// QEMU 7.2's MII model, as `tulip_mii` and the CSR9 read/write paths
/// behave: a PHY at address 1 only, a bit counter reset by 32 ones, the
/// read opcode decoded on the 16th rising edge, MDI updated on rising
/// edges from the 16th on (so each data bit appears one clock later than
/// clause 22 has it, and D15 never appears), the write decoded on the
/// 32nd.
pub struct QemuPhy {
    pub regs: [u16; 32],
    csr9: u32,
    old: u32,
    word: u32,
    bitcnt: u32,
}

impl QemuPhy {
    pub fn new() -> Self {
        QemuPhy { regs: QEMU_MDI, csr9: 0xfff4_83ff, old: 0, word: 0, bitcnt: 0 }
    }

    fn mii(&mut self) {
        let changed = self.old ^ self.csr9;
        if changed & MDC == 0 || self.csr9 & MDC == 0 {
            return;
        }
        self.bitcnt += 1;
        self.word <<= 1;
        if self.csr9 & MDO != 0 && (self.bitcnt < 16 || self.csr9 & MII_READ == 0) {
            self.word |= 1;
        }
        if self.bitcnt >= 16 && self.csr9 & MII_READ != 0 {
            if self.word & 0x8000 != 0 {
                self.csr9 |= MDI;
            } else {
                self.csr9 &= !MDI;
            }
        }
        if self.word == 0xffff_ffff {
            self.bitcnt = 0;
        } else if self.bitcnt == 16 {
            let (op, phy, reg) = ((self.word >> 12) & 0xf, (self.word >> 7) & 0x1f, (self.word >> 2) & 0x1f);
            if op == 6 {
                self.word = if phy == 1 { self.regs[reg as usize] as u32 } else { 0 };
            }
        } else if self.bitcnt == 32 {
            let (op, phy, reg) = ((self.word >> 28) & 0xf, (self.word >> 23) & 0x1f, ((self.word >> 18) & 0x1f) as usize);
            if op == 5 && phy == 1 {
                let m = QEMU_MDI_WRITABLE[reg];
                self.regs[reg] = (self.regs[reg] & !m) | (self.word as u16 & m);
            }
        }
    }
}

impl MdioPins for QemuPhy {
    fn write(&mut self, v: u32) {
        self.csr9 = (self.csr9 & MDI) | (v & !MDI);
        self.mii();
        self.old = self.csr9;
    }

    fn read(&mut self) -> u32 {
        self.mii();
        self.csr9
    }
}

/// QEMU's `eeprom_default` (hw/net/tulip.c): a 93C46 image whose info
/// leaf describes one MII PHY.
pub const QEMU_EEPROM_DEFAULT: [u8; 128] = [
    0x3c, 0x10, 0x4f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    0x56, 0x08, 0x04, 0x01, 0x00, 0x80, 0x48, 0xb3, 0x0e, 0xa7, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x08, //
    0x01, 0x8d, 0x03, 0x00, 0x00, 0x00, 0x00, 0x78, 0xe0, 0x01, 0x00, 0x50, 0x00, 0x18, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x6b, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x48, 0xb3, 0x0e, 0xa7, 0x40, 0x00, 0x00, 0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
];

/// QEMU's `tulip_srom_crc`, bit by bit as written there (a CRC-32 register
/// shifted left with the data's low bits first, then bit-reversed).
pub fn qemu_srom_crc(bytes: &[u8]) -> u16 {
    let mut crc: u32 = 0xffff_ffff;
    for &byte in bytes {
        let mut cur = byte;
        for _ in 0..8 {
            let msb = crc >> 31;
            crc <<= 1;
            if msb ^ (cur as u32 & 1) != 0 {
                crc ^= 0x04c1_1db6;
                crc |= 1;
            }
            cur >>= 1;
        }
    }
    let mut flipped: u32 = 0;
    for _ in 0..32 {
        flipped = (flipped << 1) | (crc & 1);
        crc >>= 1;
    }
    ((flipped ^ 0xffff_ffff) & 0xffff) as u16
}

/// The image QEMU's `tulip_fill_eeprom` makes for a MAC: the default with
/// the MAC in words 10-12 and the CRC in word 63 (the ID block CRC in
/// byte 16 is left as the default has it: nothing here reads it).
pub fn qemu_eeprom(mac: [u8; 6]) -> [u8; 128] {
    let mut e = QEMU_EEPROM_DEFAULT;
    e[20..26].copy_from_slice(&mac);
    let crc = qemu_srom_crc(&e[..126]);
    e[126..128].copy_from_slice(&crc.to_le_bytes());
    e
}

fn push16(out: &mut Vec<u8>, w: u16) {
    out.extend_from_slice(&w.to_le_bytes());
}

/// Appends a block's encoding (an extended block, or a compact one for
/// `Other { kind: 0, len: 4 }`).
pub fn encode_block(b: &MediaBlock<'_>, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    match b {
        MediaBlock::Sia { code: c, csrs, gp_control, gp_data } => {
            body.push(kind::SIA);
            body.push(c | if csrs.is_some() { code::EXT } else { 0 });
            if let Some(s) = csrs {
                push16(&mut body, s.csr13 as u16);
                push16(&mut body, s.csr14 as u16);
                push16(&mut body, s.csr15 as u16);
            }
            push16(&mut body, *gp_control);
            push16(&mut body, *gp_data);
        }
        MediaBlock::Mii { phy, gp_init, reset, capabilities, advertisement, fdx, ttm, interrupt } => {
            body.push(kind::MII);
            body.push(*phy);
            body.push(gp_init.len() as u8);
            gp_init.iter().for_each(|w| push16(&mut body, w));
            body.push(reset.len() as u8);
            reset.iter().for_each(|w| push16(&mut body, w));
            for w in [*capabilities, *advertisement, *fdx, *ttm] {
                push16(&mut body, w);
            }
            if let Some(i) = interrupt {
                body.push(*i);
            }
        }
        MediaBlock::Sym { code: c, gp_control, gp_data, command } => {
            body.push(kind::SYM);
            body.push(*c);
            for w in [*gp_control, *gp_data, *command] {
                push16(&mut body, w);
            }
        }
        MediaBlock::Reset { sequence } => {
            body.push(kind::RESET);
            body.push(sequence.len() as u8);
            sequence.iter().for_each(|w| push16(&mut body, w));
        }
        MediaBlock::Other { kind: 0, len: 4, .. } => {
            out.extend_from_slice(&[0x00, 0x12, 0x34, 0x56]);
            return;
        }
        MediaBlock::Other { kind: k, len, .. } => {
            body.push(*k);
            body.resize(*len as usize - 1, 0xa5);
        }
    }
    assert!(body.len() <= 0x7f, "block too long to encode: {}", body.len());
    out.push(0x80 | body.len() as u8);
    out.extend_from_slice(&body);
}

/// A ROM image (at least 128 bytes) with one controller whose leaf at
/// `leaf` holds `blocks`, and the CRC in bytes 126-127 if it fits.
pub fn build_rom(version: u8, connection: u16, leaf: usize, blocks: &[MediaBlock<'_>]) -> Vec<u8> {
    let mut rom = vec![0u8; leaf];
    rom[18] = version;
    rom[19] = 1;
    rom[20..26].copy_from_slice(&[0x08, 0x00, 0x2b, 0x11, 0x22, 0x33]);
    rom[26] = 0;
    rom[27..29].copy_from_slice(&(leaf as u16).to_le_bytes());
    push16(&mut rom, connection);
    rom.push(blocks.len() as u8);
    for b in blocks {
        encode_block(b, &mut rom);
    }
    if rom.len() <= 126 {
        rom.resize(128, 0);
        let crc = crate::srom_info::crc32(&rom[..126]) as u16;
        rom[126..128].copy_from_slice(&crc.to_le_bytes());
    }
    rom
}
