//! PCI configuration space, the decisions only: whether a function is
//! there, how to size and decode its base address registers (BARs), which
//! answers are odd and what to do with them, and what the Tsunami/Typhoon
//! Pchip's error register says. The kernel (`kernel/src/pci/`) does the
//! accesses through the Pchip's configuration window and logs the results;
//! everything here is tested on the host against a model of a config
//! space (`tests/model.rs`).
//!
//! # Odd answers and what the kernel does with them
//!
//! * **All ones from the vendor/device ID** ([`classify_id`]): nothing
//!   answered the configuration cycle. On QEMU an empty slot reads all
//!   ones; on a real Pchip the cycle master-aborts (no DEVSEL), the read
//!   returns all ones and PERROR's NDS bit is set ([`Perror`]). The slot
//!   is empty: listed once, not an error.
//! * **An ID that is not one** (vendor 0xffff with another device ID, or
//!   vendor 0): something is there but broken; reported and skipped.
//! * **A header type the kernel does not know** (including 0xff, all
//!   ones, read after a valid ID): reported; the function is listed but
//!   its BARs are not touched, since their layout is unknown
//!   ([`HeaderKind`]). A PCI-to-PCI bridge (type 1) has 2 BARs, a CardBus
//!   bridge (type 2) one: the registers after them are not BARs and must
//!   not be written.
//! * **A BAR** is sized with decode off ([`size_bars`]): all ones written,
//!   read back, the original put back. A BAR that reads back all ones (the
//!   device stopped answering), that has no writable address bit (size
//!   zero), whose writable bits are not one contiguous run, whose memory
//!   type is reserved, a 64-bit BAR in the last slot, a size larger than
//!   the Pchip's window for its space, a range running past that window or
//!   an address not aligned to the size: each is a [`BarProblem`], and the
//!   BAR is left out (a driver then finds no usable BAR and says so).
//!   Two assigned BARs of the same space that overlap ([`overlap`]) are
//!   both left out.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

/// Configuration registers of the common header.
pub mod reg {
    /// Vendor ID (16 bits), device ID (16 bits).
    pub const VENDOR_ID: u8 = 0x00;
    /// Command register (16 bits).
    pub const COMMAND: u8 = 0x04;
    /// Status register (16 bits).
    pub const STATUS: u8 = 0x06;
    /// Revision (8 bits), then class code (24 bits).
    pub const CLASS_REV: u8 = 0x08;
    /// Header type (8 bits); bit 7: multi-function.
    pub const HEADER_TYPE: u8 = 0x0e;
    /// The first BAR.
    pub const BAR0: u8 = 0x10;
    /// Interrupt line (8 bits): what the firmware routed.
    pub const INTERRUPT_LINE: u8 = 0x3c;
    /// Interrupt pin (8 bits): 0 none, 1-4 INTA-INTD.
    pub const INTERRUPT_PIN: u8 = 0x3d;
    /// Command: I/O space decode.
    pub const CMD_IO: u16 = 1 << 0;
    /// Command: memory space decode.
    pub const CMD_MEMORY: u16 = 1 << 1;
    /// Command: bus master.
    pub const CMD_BUS_MASTER: u16 = 1 << 2;
}

/// A function's address: bus, device (slot, IdSel), function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    /// Bus number.
    pub bus: u8,
    /// Device number, 0-31.
    pub dev: u8,
    /// Function number, 0-7.
    pub func: u8,
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.dev, self.func)
    }
}

/// One function's configuration space, as the code here reaches it.
/// `reg` is a byte offset, aligned to the access width.
pub trait ConfigSpace {
    /// A 32-bit read.
    fn read32(&mut self, reg: u8) -> u32;
    /// A 32-bit write.
    fn write32(&mut self, reg: u8, v: u32);
    /// A 16-bit read.
    fn read16(&mut self, reg: u8) -> u16;
    /// A 16-bit write (never widened: the status register next to the
    /// command register has write-1-to-clear bits).
    fn write16(&mut self, reg: u8, v: u16);
    /// An 8-bit read.
    fn read8(&mut self, reg: u8) -> u8 {
        (self.read32(reg & !3) >> (8 * (reg & 3))) as u8
    }
}

/// What the bus side of a host bridge can reach: its PCI memory and I/O
/// windows, as sizes from bus address 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// PCI memory space reachable by the CPU, from bus address 0.
    pub mem: u64,
    /// PCI I/O space reachable by the CPU, from port 0.
    pub io: u64,
}

/// The Tsunami/Typhoon Pchip: 4 GiB of PCI memory space (the CPU's dense
/// window, 32-bit bus addresses; no DAC for the CPU's accesses) and
/// 32 MiB of PCI I/O space (physical 0x801fc000000-0x801fdffffff for
/// Pchip 0).
pub const TSUNAMI: Windows = Windows { mem: 1 << 32, io: 1 << 25 };

/// What the vendor/device ID register said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IdAnswer {
    /// A device.
    Device {
        /// Vendor ID.
        vendor: u16,
        /// Device ID.
        device: u16,
    },
    /// All ones: nobody answered (an empty slot or function; a real Pchip
    /// master-aborts the cycle and sets PERROR NDS).
    Empty,
    /// An answer that is no ID: vendor 0xffff (reserved: "no device")
    /// with another device ID, or vendor 0 (never assigned).
    Invalid(u32),
}

/// Classifies what the 32-bit read of register 0x00 returned.
pub const fn classify_id(id: u32) -> IdAnswer {
    let vendor = id as u16;
    if id == 0xffff_ffff {
        IdAnswer::Empty
    } else if vendor == 0xffff || vendor == 0 {
        IdAnswer::Invalid(id)
    } else {
        IdAnswer::Device { vendor, device: (id >> 16) as u16 }
    }
}

/// The header layout (header type register, bits 6:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HeaderKind {
    /// Type 0: a device, 6 BARs.
    Normal,
    /// Type 1: a PCI-to-PCI bridge, 2 BARs (0x18 on holds bus numbers).
    Bridge,
    /// Type 2: a CardBus bridge, 1 BAR (the socket registers).
    CardBus,
    /// Anything else (with the register's whole byte): the BARs' layout
    /// is unknown, so none is touched.
    Unknown(u8),
}

impl HeaderKind {
    /// From the header type register's byte.
    pub const fn from_byte(b: u8) -> HeaderKind {
        match b & 0x7f {
            0 => HeaderKind::Normal,
            1 => HeaderKind::Bridge,
            2 => HeaderKind::CardBus,
            _ => HeaderKind::Unknown(b),
        }
    }

    /// How many BAR registers this header has.
    pub const fn bar_count(self) -> usize {
        match self {
            HeaderKind::Normal => 6,
            HeaderKind::Bridge => 2,
            HeaderKind::CardBus => 1,
            HeaderKind::Unknown(_) => 0,
        }
    }
}

impl fmt::Display for HeaderKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            HeaderKind::Normal => write!(f, "type 0 (device)"),
            HeaderKind::Bridge => write!(f, "type 1 (PCI-to-PCI bridge)"),
            HeaderKind::CardBus => write!(f, "type 2 (CardBus bridge)"),
            HeaderKind::Unknown(0xff) => write!(f, "0xff (all ones: the function stopped answering)"),
            HeaderKind::Unknown(b) => write!(f, "{b:#04x} (an unknown layout)"),
        }
    }
}

/// A decoded base address register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Bar {
    /// PCI memory space.
    Memory {
        /// Bus address (0: not assigned by the firmware).
        addr: u64,
        /// Size in bytes, a power of two.
        size: u64,
        /// Prefetchable (bit 3).
        prefetchable: bool,
        /// A 64-bit BAR (it used the next register too).
        is64: bool,
    },
    /// PCI I/O space.
    Io {
        /// Port (0: not assigned by the firmware).
        port: u32,
        /// Size in bytes, a power of two.
        size: u32,
    },
}

impl Bar {
    /// First bus address or port.
    pub const fn start(&self) -> u64 {
        match *self {
            Bar::Memory { addr, .. } => addr,
            Bar::Io { port, .. } => port as u64,
        }
    }

    /// Size in bytes.
    pub const fn size(&self) -> u64 {
        match *self {
            Bar::Memory { size, .. } => size,
            Bar::Io { size, .. } => size as u64,
        }
    }

    /// An I/O BAR.
    pub const fn is_io(&self) -> bool {
        matches!(self, Bar::Io { .. })
    }

    /// The CPU's physical address of the BAR, given where the host bridge
    /// puts PCI memory and I/O space.
    pub const fn phys(&self, mem_base: u64, io_base: u64) -> u64 {
        match *self {
            Bar::Memory { addr, .. } => mem_base + addr,
            Bar::Io { port, .. } => io_base + port as u64,
        }
    }
}

/// A byte count as lspci prints it (`128`, `4K`, `16M`).
pub fn human(n: u64) -> impl fmt::Display {
    struct H(u64);
    impl fmt::Display for H {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            match self.0 {
                n if n >= 1 << 30 && n % (1 << 30) == 0 => write!(f, "{}G", n >> 30),
                n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{}M", n >> 20),
                n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{}K", n >> 10),
                n => write!(f, "{n}"),
            }
        }
    }
    H(n)
}

impl fmt::Display for Bar {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            Bar::Memory { addr, size, prefetchable, is64 } => write!(
                f,
                "memory at {addr:#010x} ({}-bit, {}prefetchable) [size={}]",
                if is64 { 64 } else { 32 },
                if prefetchable { "" } else { "non-" },
                human(size)
            ),
            Bar::Io { port, size } => write!(f, "I/O ports at {port:#06x} [size={size}]"),
        }
    }
}

/// Why a BAR is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BarProblem {
    /// All ones read back: nobody answered (the function is gone, or a
    /// master abort); no valid BAR reads all ones (bit 1 of an I/O BAR
    /// and memory type 3 are reserved).
    AllOnes,
    /// Reads back zero although it held a value: not a BAR, or broken.
    NotWritable,
    /// No writable address bit: the BAR sizes to zero.
    ZeroSize,
    /// The writable address bits are not one run from the top.
    NotContiguous {
        /// The writable address bits (sign-extended to 64 bits).
        mask: u64,
    },
    /// The read-only type bits changed between the two reads.
    TypeChanged,
    /// Memory type 3, reserved.
    ReservedType,
    /// A 64-bit memory BAR in the header's last BAR register: there is no
    /// register for its upper half.
    NoUpperHalf,
    /// Larger than the host bridge's window for its space.
    TooLarge {
        /// The BAR's size.
        size: u64,
        /// The window's size.
        window: u64,
    },
    /// Starts or ends beyond the window (the CPU cannot reach all of it).
    OutsideWindow {
        /// The BAR's first address.
        start: u64,
        /// The BAR's size.
        size: u64,
        /// The window's size.
        window: u64,
    },
    /// The address is not aligned to the size (the low bits of an
    /// address register are not writable, so this cannot be an address
    /// the BAR decodes).
    Misaligned {
        /// The BAR's first address.
        start: u64,
        /// The BAR's size.
        size: u64,
    },
}

impl fmt::Display for BarProblem {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            BarProblem::AllOnes => write!(f, "all ones: the function does not answer (empty, gone, or a master abort)"),
            BarProblem::NotWritable => write!(f, "reads back 0 though it held a value: not a working BAR"),
            BarProblem::ZeroSize => write!(f, "no writable address bit: the BAR sizes to zero"),
            BarProblem::NotContiguous { mask } => {
                write!(f, "writable address bits {mask:#x} are not one contiguous run: no valid size")
            }
            BarProblem::TypeChanged => write!(f, "its read-only type bits changed: not a working BAR"),
            BarProblem::ReservedType => write!(f, "memory type 3 is reserved"),
            BarProblem::NoUpperHalf => {
                write!(f, "a 64-bit memory BAR in the last BAR register has no register for its upper half")
            }
            BarProblem::TooLarge { size, window } => write!(
                f,
                "size {size:#x} ({}) is larger than the Pchip's {} window ({window:#x})",
                human(size),
                human(window)
            ),
            BarProblem::OutsideWindow { start, size, window } => write!(
                f,
                "{start:#x}-{:#x} runs past the end of the Pchip's window ({window:#x}): the CPU cannot reach it",
                start as u128 + size as u128 - 1
            ),
            BarProblem::Misaligned { start, size } => {
                write!(f, "address {start:#x} is not aligned to the size {size:#x}")
            }
        }
    }
}

/// A memory BAR value whose type says 64-bit (it takes the next
/// register for bits 63:32).
pub const fn is_mem64(value: u32) -> bool {
    value & 1 == 0 && (value >> 1) & 3 == 2
}

/// Decodes one BAR from its `value` and what it read back after all ones
/// were written (`readback`); `upper` is the same pair for the next
/// register when `value` is a 64-bit memory BAR (`None` if there is no
/// next register). `Ok(None)`: not implemented (reads back 0, held 0).
pub fn decode(value: u32, readback: u32, upper: Option<(u32, u32)>, win: &Windows) -> Result<Option<Bar>, BarProblem> {
    if readback == 0xffff_ffff {
        return Err(BarProblem::AllOnes);
    }
    if readback == 0 {
        return if value == 0 { Ok(None) } else { Err(BarProblem::NotWritable) };
    }
    if value & 1 == 1 {
        if readback & 3 != value & 3 {
            return Err(BarProblem::TypeChanged);
        }
        let low = readback & 0xffff_fffc;
        if low == 0 {
            return Err(BarProblem::ZeroSize);
        }
        // A device decoding only 16 address bits returns 0 above them.
        let mask = if low & 0xffff_0000 == 0 { low | 0xffff_0000 } else { low };
        let size = mask & mask.wrapping_neg();
        if mask | (size - 1) != u32::MAX {
            return Err(BarProblem::NotContiguous { mask: mask as i32 as i64 as u64 });
        }
        let port = value & 0xffff_fffc;
        check_window(port as u64, size as u64, win.io)?;
        return Ok(Some(Bar::Io { port, size }));
    }
    if readback & 0xf != value & 0xf {
        return Err(BarProblem::TypeChanged);
    }
    let ty = (value >> 1) & 3;
    if ty == 3 {
        return Err(BarProblem::ReservedType);
    }
    let is64 = ty == 2;
    let (hi_value, hi_mask) = match (is64, upper) {
        (false, _) => (0, 0xffff_ffff),
        (true, Some((v, r))) => (v, r),
        (true, None) => return Err(BarProblem::NoUpperHalf),
    };
    let mask = (readback & 0xffff_fff0) as u64 | (hi_mask as u64) << 32;
    if readback & 0xffff_fff0 == 0 && (!is64 || hi_mask == 0) {
        return Err(BarProblem::ZeroSize);
    }
    let size = mask & mask.wrapping_neg();
    if mask | (size - 1) != u64::MAX {
        return Err(BarProblem::NotContiguous { mask });
    }
    let addr = (value & 0xffff_fff0) as u64 | (hi_value as u64) << 32;
    check_window(addr, size, win.mem)?;
    Ok(Some(Bar::Memory { addr, size, prefetchable: value & 8 != 0, is64 }))
}

fn check_window(start: u64, size: u64, window: u64) -> Result<(), BarProblem> {
    if size > window {
        return Err(BarProblem::TooLarge { size, window });
    }
    if start as u128 + size as u128 > window as u128 {
        return Err(BarProblem::OutsideWindow { start, size, window });
    }
    if start & (size - 1) != 0 {
        return Err(BarProblem::Misaligned { start, size });
    }
    Ok(())
}

/// One BAR register after sizing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Slot {
    /// Not implemented (reads back 0), or not a BAR register in this
    /// header (past [`HeaderKind::bar_count`]).
    Unused,
    /// A BAR.
    Bar(Bar),
    /// The upper half of the 64-bit BAR in the register before.
    UpperHalf,
    /// Left out, for this reason.
    Problem(BarProblem),
}

/// The BARs of one function, sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarSizing {
    /// Each BAR register's outcome.
    pub slots: [Slot; 6],
    /// Each BAR register's value before sizing and what it read back
    /// after all ones were written (0, 0 for registers not touched).
    pub raw: [(u32, u32); 6],
    /// The command register before sizing (restored afterwards).
    pub command: u16,
    /// The function stopped answering: the command register read 0xffff
    /// (then nothing was written), or the vendor/device ID read all ones
    /// after the sizing. Nothing read is trusted: every slot is
    /// [`Slot::Unused`].
    pub vanished: bool,
}

impl BarSizing {
    /// The usable BARs, by register index.
    pub fn bars(&self) -> [Option<Bar>; 6] {
        self.slots.map(|s| match s {
            Slot::Bar(b) => Some(b),
            _ => None,
        })
    }

    /// The problems: register index and an explanation naming the
    /// register and the values (`BAR1 (register 0x14) ...`).
    pub fn problems(&self) -> impl Iterator<Item = BarIssue> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| match *s {
            Slot::Problem(problem) => {
                Some(BarIssue { index: i as u8, value: self.raw[i].0, readback: self.raw[i].1, problem })
            }
            _ => None,
        })
    }
}

/// A BAR left out, with what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarIssue {
    /// BAR index (0-5).
    pub index: u8,
    /// Its value before sizing.
    pub value: u32,
    /// What it read back after all ones were written.
    pub readback: u32,
    /// Why it is left out.
    pub problem: BarProblem,
}

impl fmt::Display for BarIssue {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "BAR{} (register {:#04x}) holds {:#010x} and reads back {:#010x} after writing all ones: {}",
            self.index,
            reg::BAR0 + 4 * self.index,
            self.value,
            self.readback,
            self.problem
        )
    }
}

/// Sizes the BARs of a function with this header: memory and I/O decode
/// off (as the PCI specification asks, so that the all-ones value is
/// never decoded), each BAR written with all ones, read back and put back,
/// the command register restored, then the vendor/device ID read again
/// (see [`BarSizing::vanished`]). Registers past the header's BARs are
/// not touched; the upper half of a 64-bit BAR only when the lower half
/// answered. A function with no BARs to size is not written at all.
pub fn size_bars<C: ConfigSpace>(c: &mut C, kind: HeaderKind, win: &Windows) -> BarSizing {
    let n = kind.bar_count();
    let mut out = BarSizing { slots: [Slot::Unused; 6], raw: [(0, 0); 6], command: 0, vanished: false };
    if n == 0 {
        return out;
    }
    let cmd = c.read16(reg::COMMAND);
    out.command = cmd;
    if cmd == 0xffff {
        // No command register has every bit implemented: the function
        // does not answer. Write nothing.
        out.vanished = true;
        return out;
    }
    let off = cmd & !(reg::CMD_IO | reg::CMD_MEMORY);
    if off != cmd {
        c.write16(reg::COMMAND, off);
    }
    let size_one = |c: &mut C, i: usize| {
        let r = reg::BAR0 + 4 * i as u8;
        let v = c.read32(r);
        c.write32(r, 0xffff_ffff);
        let rb = c.read32(r);
        c.write32(r, v);
        (v, rb)
    };
    let mut i = 0;
    while i < n {
        let (v, rb) = size_one(c, i);
        out.raw[i] = (v, rb);
        let mut used = 1;
        let upper = if is_mem64(v) && rb != 0xffff_ffff && i + 1 < n {
            let hi = size_one(c, i + 1);
            out.raw[i + 1] = hi;
            out.slots[i + 1] = Slot::UpperHalf;
            used = 2;
            Some(hi)
        } else {
            None
        };
        out.slots[i] = match decode(v, rb, upper, win) {
            Ok(Some(b)) => Slot::Bar(b),
            Ok(None) => Slot::Unused,
            Err(p) => Slot::Problem(p),
        };
        i += used;
    }
    if off != cmd {
        c.write16(reg::COMMAND, cmd);
    }
    // A function that stopped answering part-way gives all ones from
    // then on, and an upper half of all ones is what a large 64-bit BAR
    // gives too: check that it is still there before trusting anything.
    if c.read32(reg::VENDOR_ID) == 0xffff_ffff {
        out.vanished = true;
        out.slots = [Slot::Unused; 6];
    }
    out
}

/// Two assigned BARs of the same space (I/O or memory) whose ranges
/// share an address; BARs at 0 are unassigned and overlap nothing.
pub fn overlap(a: &Bar, b: &Bar) -> bool {
    if a.is_io() != b.is_io() || a.start() == 0 || b.start() == 0 {
        return false;
    }
    let (a0, a1) = (a.start() as u128, a.start() as u128 + a.size() as u128);
    let (b0, b1) = (b.start() as u128, b.start() as u128 + b.size() as u128);
    a0 < b1 && b0 < a1
}

/// Slots of one bus, as a bit mask (bit n = device n), printed as ranges:
/// `00:00, 00:03-00:06, 00:08-00:1f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotList {
    /// The bus.
    pub bus: u8,
    /// Bit n: device n.
    pub mask: u32,
}

impl fmt::Display for SlotList {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut first = true;
        let mut d = 0u32;
        while d < 32 {
            if self.mask & (1 << d) == 0 {
                d += 1;
                continue;
            }
            let start = d;
            while d + 1 < 32 && self.mask & (1 << (d + 1)) != 0 {
                d += 1;
            }
            if !first {
                write!(f, ", ")?;
            }
            first = false;
            if start == d {
                write!(f, "{:02x}:{:02x}", self.bus, start)?;
            } else {
                write!(f, "{:02x}:{:02x}-{:02x}:{:02x}", self.bus, start, self.bus, d)?;
            }
            d += 1;
        }
        if first {
            write!(f, "none")?;
        }
        Ok(())
    }
}

/// The Pchip's PERROR register (Tsunami/Typhoon, offset 0x3c0; write 1s
/// to clear). Bits 11:0 are error flags; bits 47:16 hold the address of
/// the failing cycle, 55:52 its PCI command, 63:56 the ECC syndrome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perror(pub u64);

impl Perror {
    /// Lost: a second error came before the first was cleared.
    pub const LOST: u64 = 1 << 0;
    /// SERR# asserted by a device.
    pub const SERR: u64 = 1 << 1;
    /// PERR# (data parity) seen.
    pub const PERR: u64 = 1 << 2;
    /// Delayed completion retry timeout.
    pub const DCRTO: u64 = 1 << 3;
    /// Invalid scatter-gather entry (a DMA through an invalid PTE).
    pub const SGE: u64 = 1 << 4;
    /// Address parity error.
    pub const APE: u64 = 1 << 5;
    /// Target abort.
    pub const TA: u64 = 1 << 6;
    /// Read data parity error.
    pub const RDPE: u64 = 1 << 7;
    /// No device select: a cycle the Pchip started got no DEVSEL (master
    /// abort), what a configuration read of an empty slot does.
    pub const NDS: u64 = 1 << 8;
    /// Retry timeout.
    pub const RTO: u64 = 1 << 9;
    /// Uncorrectable ECC error.
    pub const UECC: u64 = 1 << 10;
    /// Correctable ECC error.
    pub const CRE: u64 = 1 << 11;
    /// Every error flag.
    pub const FLAGS: u64 = 0xfff;

    const NAMES: [&'static str; 12] =
        ["LOST", "SERR", "PERR", "DCRTO", "SGE", "APE", "TA", "RDPE", "NDS", "RTO", "UECC", "CRE"];

    /// No error flag set.
    pub const fn is_clear(&self) -> bool {
        self.0 & Self::FLAGS == 0
    }

    /// NDS is the only flag: what a bus scan over empty slots leaves.
    pub const fn only_no_device(&self) -> bool {
        self.0 & Self::FLAGS == Self::NDS
    }

    /// The address field (bits 47:16).
    pub const fn address(&self) -> u64 {
        (self.0 >> 16) & 0xffff_ffff
    }

    /// The PCI command field (bits 55:52).
    pub const fn command(&self) -> u8 {
        ((self.0 >> 52) & 0xf) as u8
    }
}

impl fmt::Display for Perror {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:#018x} [", self.0)?;
        let mut first = true;
        for (i, n) in Self::NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                if !first {
                    write!(f, " ")?;
                }
                first = false;
                write!(f, "{n}")?;
            }
        }
        write!(f, "] address field {:#x}, command {:#x}", self.address(), self.command())
    }
}

#[cfg(test)]
mod tests;
