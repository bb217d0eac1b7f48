//! MII management (IEEE 802.3 clause 22) through CSR9's MDIO pins.
//!
//! The 21143 has no MII management engine: the driver bit-bangs the
//! management frame on CSR9 bits 16-19 ([`MDC`], [`MDO`], [`MII_READ`],
//! [`MDI`]), as Linux's `tulip_mdio_read`/`tulip_mdio_write` do. A frame is
//!
//! ```text
//! read:  <32 x 1> 01 10 PPPPP RRRRR Z0 DDDDDDDDDDDDDDDD
//! write: <32 x 1> 01 01 PPPPP RRRRR 10 DDDDDDDDDDDDDDDD
//! ```
//!
//! (preamble, start, opcode, PHY address, register address, turnaround,
//! data, most significant bit first). The PHY samples MDIO on the rising
//! edge of MDC; when it drives MDIO (the turnaround's 0 and the data of a
//! read) it changes it after a rising edge, so the station samples each of
//! those bits just before the next rising edge. Each bit here is: write
//! CSR9 with MDC low and the data, read CSR9 (the pause; for a read, the
//! sample), write it again with MDC high, read CSR9 (the pause). The
//! clock's high and low times (160 ns at least) are the length of a PCI
//! read, as in Linux.
//!
//! [`MdioPins`] is the CSR9 access: the kernel implements it on the chip,
//! the tests on model PHYs (one that follows clause 22, one that behaves
//! as QEMU's `tulip_mii` does).

use core::fmt;

/// CSR9: MII management clock.
pub const MDC: u32 = 1 << 16;
/// CSR9: MII management data out (what the chip drives on MDIO).
pub const MDO: u32 = 1 << 17;
/// CSR9: MII operation mode: 1 = read (the chip stops driving MDIO so the
/// PHY can), 0 = write (the chip drives MDO onto MDIO).
pub const MII_READ: u32 = 1 << 18;
/// CSR9: MII management data in (the level on MDIO).
pub const MDI: u32 = 1 << 19;
/// Every CSR9 bit the management interface uses.
pub const MII_BITS: u32 = MDC | MDO | MII_READ | MDI;

/// Ones sent before every frame (802.3 22.2.4.5.1).
pub const PREAMBLE_BITS: u32 = 32;
/// Clocks after the 14 header bits of a read: turnaround (2), data (16),
/// one idle bit; the first sample is taken before the first of them.
pub const READ_CLOCKS: u32 = 19;
/// Clocks in read mode after a write's 32 bits: the chip releases MDIO.
pub const WRITE_RELEASE_CLOCKS: u32 = 2;
/// The highest PHY address.
pub const MAX_PHY: u8 = 31;

/// Access to CSR9 for the management interface.
pub trait MdioPins {
    /// Writes CSR9 (only the MII bits are set by this module).
    fn write(&mut self, csr9: u32);
    /// Reads CSR9 (also the pause between clock edges).
    fn read(&mut self) -> u32;
}

impl<T: MdioPins + ?Sized> MdioPins for &mut T {
    fn write(&mut self, csr9: u32) {
        (**self).write(csr9)
    }
    fn read(&mut self) -> u32 {
        (**self).read()
    }
}

/// The 14 bits a read sends after the preamble: start `01`, opcode `10`,
/// PHY address, register address (addresses are taken modulo 32).
pub const fn read_header(phy: u8, reg: u8) -> u16 {
    (0b0110 << 10) | (((phy & 0x1f) as u16) << 5) | (reg & 0x1f) as u16
}

/// The 32 bits a write sends after the preamble: start `01`, opcode `01`,
/// PHY address, register address, turnaround `10`, data.
pub const fn write_frame(phy: u8, reg: u8, value: u16) -> u32 {
    (0b0101 << 28) | (((phy & 0x1f) as u32) << 23) | (((reg & 0x1f) as u32) << 18) | (0b10 << 16) | value as u32
}

/// One bit driven by the chip.
fn clock_out(p: &mut impl MdioPins, bit: bool) {
    let d = if bit { MDO } else { 0 };
    p.write(d);
    p.read();
    p.write(d | MDC);
    p.read();
}

fn preamble(p: &mut impl MdioPins) {
    for _ in 0..PREAMBLE_BITS {
        clock_out(p, true);
    }
}

/// What a read clocked in: the 19 samples, oldest in bit 18.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadSamples(pub u32);

impl ReadSamples {
    /// The register value: samples 3-18 (taken before rising edges 17-32,
    /// the data bits D15..D0).
    pub const fn value(self) -> u16 {
        (self.0 >> 1) as u16
    }
    /// The turnaround bit the PHY drives (sample 2): 0 if a PHY answered.
    /// Without a PHY the pull-up on MDIO gives 1 (and every data bit 1).
    pub const fn turnaround(self) -> bool {
        self.0 & (1 << 17) != 0
    }
}

/// Reads register `reg` of the PHY at `phy`, returning every sample.
pub fn read_samples(p: &mut impl MdioPins, phy: u8, reg: u8) -> ReadSamples {
    preamble(p);
    let h = read_header(phy, reg);
    for i in (0..14).rev() {
        clock_out(p, (h >> i) & 1 != 0);
    }
    let mut s = 0u32;
    for _ in 0..READ_CLOCKS {
        p.write(MII_READ);
        let bit = p.read() & MDI != 0;
        s = (s << 1) | bit as u32;
        p.write(MII_READ | MDC);
        p.read();
    }
    ReadSamples(s)
}

/// Reads register `reg` of the PHY at `phy` (0xffff if nothing answers).
pub fn read(p: &mut impl MdioPins, phy: u8, reg: u8) -> u16 {
    read_samples(p, phy, reg).value()
}

/// Writes `value` to register `reg` of the PHY at `phy`.
pub fn write(p: &mut impl MdioPins, phy: u8, reg: u8, value: u16) {
    preamble(p);
    let f = write_frame(phy, reg, value);
    for i in (0..32).rev() {
        clock_out(p, (f >> i) & 1 != 0);
    }
    for _ in 0..WRITE_RELEASE_CLOCKS {
        p.write(MII_READ);
        p.read();
        p.write(MII_READ | MDC);
        p.read();
    }
}

/// Clause 22 register numbers.
pub mod reg {
    /// Basic mode control.
    pub const BMCR: u8 = 0;
    /// Basic mode status.
    pub const BMSR: u8 = 1;
    /// PHY identifier, high word (OUI bits 3-18).
    pub const PHYID1: u8 = 2;
    /// PHY identifier, low word (OUI bits 19-24, model, revision).
    pub const PHYID2: u8 = 3;
    /// Autonegotiation advertisement.
    pub const ANAR: u8 = 4;
    /// Autonegotiation link partner ability.
    pub const ANLPAR: u8 = 5;
    /// Autonegotiation expansion.
    pub const ANER: u8 = 6;
}

/// BMCR bits.
pub mod bmcr {
    /// PHY reset (self-clearing).
    pub const RESET: u16 = 0x8000;
    /// Loopback.
    pub const LOOPBACK: u16 = 0x4000;
    /// Speed 100 Mb/s (when autonegotiation is off).
    pub const SPEED100: u16 = 0x2000;
    /// Autonegotiation enable.
    pub const ANENABLE: u16 = 0x1000;
    /// Power down.
    pub const PDOWN: u16 = 0x0800;
    /// Isolate from the MII.
    pub const ISOLATE: u16 = 0x0400;
    /// Restart autonegotiation (self-clearing).
    pub const ANRESTART: u16 = 0x0200;
    /// Full duplex (when autonegotiation is off).
    pub const FULLDPLX: u16 = 0x0100;
    /// Collision test.
    pub const COLTEST: u16 = 0x0080;
}

/// BMSR bits.
pub mod bmsr {
    /// 100BASE-T4 capable.
    pub const T4: u16 = 0x8000;
    /// 100BASE-TX full duplex capable.
    pub const TX_FD: u16 = 0x4000;
    /// 100BASE-TX half duplex capable.
    pub const TX_HD: u16 = 0x2000;
    /// 10BASE-T full duplex capable.
    pub const T10_FD: u16 = 0x1000;
    /// 10BASE-T half duplex capable.
    pub const T10_HD: u16 = 0x0800;
    /// Autonegotiation complete.
    pub const ANCOMPLETE: u16 = 0x0020;
    /// Remote fault.
    pub const RFAULT: u16 = 0x0010;
    /// Able to autonegotiate.
    pub const ANABLE: u16 = 0x0008;
    /// Link up (latches low: read twice for the current state).
    pub const LINK: u16 = 0x0004;
    /// Jabber detected.
    pub const JABBER: u16 = 0x0002;
    /// Extended register capability.
    pub const EXTCAP: u16 = 0x0001;
    /// The five technology bits (15-11).
    pub const ABILITIES: u16 = T4 | TX_FD | TX_HD | T10_FD | T10_HD;
}

/// ANAR / ANLPAR bits (the 802.3 base page).
pub mod anar {
    /// Selector field: IEEE 802.3.
    pub const SELECTOR_802_3: u16 = 0x0001;
    /// Selector field mask.
    pub const SELECTOR: u16 = 0x001f;
    /// 10BASE-T half duplex.
    pub const T10_HD: u16 = 0x0020;
    /// 10BASE-T full duplex.
    pub const T10_FD: u16 = 0x0040;
    /// 100BASE-TX half duplex.
    pub const TX_HD: u16 = 0x0080;
    /// 100BASE-TX full duplex.
    pub const TX_FD: u16 = 0x0100;
    /// 100BASE-T4.
    pub const T4: u16 = 0x0200;
    /// Pause (802.3x).
    pub const PAUSE: u16 = 0x0400;
    /// Asymmetric pause.
    pub const ASYM_PAUSE: u16 = 0x0800;
    /// Remote fault.
    pub const RFAULT: u16 = 0x2000;
    /// Acknowledge (ANLPAR).
    pub const ACK: u16 = 0x4000;
    /// Next page.
    pub const NP: u16 = 0x8000;
    /// The five technology bits (9-5).
    pub const ABILITIES: u16 = T10_HD | T10_FD | TX_HD | TX_FD | T4;
}

/// The technologies a BMSR says the PHY has, as ANAR bits (BMSR bits 15-11
/// are ANAR bits 9-5 shifted by 6).
pub const fn abilities_from_bmsr(bmsr: u16) -> u16 {
    (bmsr & bmsr::ABILITIES) >> 6
}

/// Whether a PHY answers at an address: the status register and the
/// identifier are neither all zeros nor all ones (what an empty address
/// gives on a real bus with its pull-up, and on QEMU's model).
pub const fn is_phy(bmsr: u16, id1: u16, id2: u16) -> bool {
    bmsr != 0 && bmsr != 0xffff && !(id1 == 0 && id2 == 0) && !(id1 == 0xffff && id2 == 0xffff)
}

/// A PHY identifier for messages: `0x7810:0x0000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhyId(pub u16, pub u16);

impl PhyId {
    /// The 24-bit OUI bits the identifier carries (bits 3-24 of the OUI).
    pub const fn oui_bits(self) -> u32 {
        ((self.0 as u32) << 6) | (self.1 as u32 >> 10)
    }
    /// The manufacturer's model number.
    pub const fn model(self) -> u8 {
        ((self.1 >> 4) & 0x3f) as u8
    }
    /// The revision.
    pub const fn revision(self) -> u8 {
        (self.1 & 0xf) as u8
    }
}

impl fmt::Display for PhyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#06x}:{:#06x}", self.0, self.1)
    }
}
