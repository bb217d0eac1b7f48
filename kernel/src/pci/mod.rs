//! PCI on the Tsunami/Typhoon's Pchip 0: configuration space, bus-0
//! enumeration with an `lspci`-like listing, BARs, enabling decode and bus
//! mastering, and a small driver registry matched by vendor/device ID.

pub mod pchip;

use crate::arch::{mmio, phys_to_kseg};
use alloc::vec::Vec;
use core::fmt;
use log::{info, warn};
use spin::Mutex;

/// Pchip 0 PCI configuration space (Linux: TSUNAMI_CONF(0)); an access to
/// bus/device/function/register is at `bus << 16 | devfn << 8 | reg`.
pub const PCI_CONF_PHYS: u64 = 0x801_fe00_0000;
/// Pchip 0 PCI memory space: physical = this + bus address.
pub const PCI_MEM_PHYS: u64 = 0x800_0000_0000;
/// Pchip 0 PCI I/O space: physical = this + port.
pub const PCI_IO_PHYS: u64 = 0x801_fc00_0000;

/// Configuration registers (the header's map; not all are used yet).
#[allow(dead_code)]
pub mod cfg {
    pub const VENDOR_ID: u8 = 0x00;
    pub const DEVICE_ID: u8 = 0x02;
    pub const COMMAND: u8 = 0x04;
    pub const STATUS: u8 = 0x06;
    pub const CLASS_REV: u8 = 0x08;
    pub const HEADER_TYPE: u8 = 0x0e;
    pub const BAR0: u8 = 0x10;
    pub const INTERRUPT_LINE: u8 = 0x3c;
    pub const INTERRUPT_PIN: u8 = 0x3d;
    pub const CMD_IO: u16 = 1 << 0;
    pub const CMD_MEMORY: u16 = 1 << 1;
    pub const CMD_BUS_MASTER: u16 = 1 << 2;
}

/// A function's address on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bdf {
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.dev, self.func)
    }
}

impl Bdf {
    fn conf_addr(self, reg: u8) -> u64 {
        phys_to_kseg(
            PCI_CONF_PHYS
                | (self.bus as u64) << 16
                | (self.dev as u64 & 0x1f) << 11
                | (self.func as u64 & 7) << 8
                | reg as u64,
        )
    }

    // SAFETY (all accessors): the address lies in the Pchip's configuration
    // window, where every aligned access of this width is a config cycle; an
    // absent device reads as all ones.
    pub fn read32(self, reg: u8) -> u32 {
        unsafe { mmio::read32(self.conf_addr(reg & !3)) }
    }
    pub fn read16(self, reg: u8) -> u16 {
        unsafe { mmio::read16(self.conf_addr(reg & !1)) }
    }
    pub fn read8(self, reg: u8) -> u8 {
        unsafe { mmio::read8(self.conf_addr(reg)) }
    }
    pub fn write32(self, reg: u8, v: u32) {
        unsafe { mmio::write32(self.conf_addr(reg & !3), v) }
    }
    pub fn write16(self, reg: u8, v: u16) {
        unsafe { mmio::write16(self.conf_addr(reg & !1), v) }
    }
}

/// A decoded base address register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    Memory { addr: u64, size: u64, prefetchable: bool, is64: bool },
    Io { port: u32, size: u32 },
}

impl Bar {
    /// The kernel address (KSEG) through which the CPU reaches this BAR.
    pub fn kseg(&self) -> u64 {
        match *self {
            Bar::Memory { addr, .. } => phys_to_kseg(PCI_MEM_PHYS + addr),
            Bar::Io { port, .. } => phys_to_kseg(PCI_IO_PHYS + port as u64),
        }
    }
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

fn human(n: u64) -> impl fmt::Display {
    struct H(u64);
    impl fmt::Display for H {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            match self.0 {
                n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{}M", n >> 20),
                n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{}K", n >> 10),
                n => write!(f, "{n}"),
            }
        }
    }
    H(n)
}

/// One function found on the bus.
#[derive(Clone, Debug)]
pub struct PciDevice {
    pub bdf: Bdf,
    pub vendor: u16,
    pub device: u16,
    /// Base class, subclass, programming interface.
    pub class: (u8, u8, u8),
    pub revision: u8,
    pub bars: [Option<Bar>; 6],
    pub irq_line: u8,
    pub irq_pin: u8,
}

impl PciDevice {
    /// Enables I/O and/or memory decode and/or bus mastering (the firmware
    /// leaves bus mastering off); returns the new command register.
    pub fn enable(&self, io: bool, memory: bool, bus_master: bool) -> u16 {
        let mut cmd = self.bdf.read16(cfg::COMMAND);
        cmd |= if io { cfg::CMD_IO } else { 0 }
            | if memory { cfg::CMD_MEMORY } else { 0 }
            | if bus_master { cfg::CMD_BUS_MASTER } else { 0 };
        self.bdf.write16(cfg::COMMAND, cmd);
        let now = self.bdf.read16(cfg::COMMAND);
        info!("pci {}: command {:#06x} (io {}, memory {}, bus master {})", self.bdf, now, io, memory, bus_master);
        now
    }

    /// Turns bus mastering off again (used when a driver lets go).
    pub fn disable_bus_master(&self) {
        let cmd = self.bdf.read16(cfg::COMMAND) & !cfg::CMD_BUS_MASTER;
        self.bdf.write16(cfg::COMMAND, cmd);
    }

    pub fn class_name(&self) -> &'static str {
        match (self.class.0, self.class.1) {
            (0x01, 0x01) => "IDE interface",
            (0x01, _) => "Mass storage controller",
            (0x02, 0x00) => "Ethernet controller",
            (0x02, _) => "Network controller",
            (0x03, 0x00) => "VGA compatible controller",
            (0x03, _) => "Display controller",
            (0x06, 0x00) => "Host bridge",
            (0x06, 0x01) => "ISA bridge",
            (0x06, 0x04) => "PCI bridge",
            (0x06, _) => "Bridge",
            (0x0c, 0x03) => "USB controller",
            _ => "Unclassified device",
        }
    }
}

impl fmt::Display for PciDevice {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{} {} [{:02x}{:02x}]: {:04x}:{:04x} (rev {:02x}), IRQ line {}, pin {}",
            self.bdf,
            self.class_name(),
            self.class.0,
            self.class.1,
            self.vendor,
            self.device,
            self.revision,
            self.irq_line,
            match self.irq_pin {
                0 => '-',
                p => (b'A' + p - 1) as char,
            }
        )
    }
}

/// Sizes BAR `i` (decode must be off): write all ones, read back, restore.
/// Returns the BAR and how many BAR slots it used (2 for 64-bit memory).
fn probe_bar(bdf: Bdf, i: usize) -> (Option<Bar>, usize) {
    let reg = cfg::BAR0 + 4 * i as u8;
    let orig = bdf.read32(reg);
    bdf.write32(reg, 0xffff_ffff);
    let mask = bdf.read32(reg);
    bdf.write32(reg, orig);
    if mask == 0 || mask == 0xffff_ffff {
        return (None, 1);
    }
    if orig & 1 == 1 {
        let size = (!(mask & 0xffff_fffc) & 0xffff).wrapping_add(1);
        return (Some(Bar::Io { port: orig & 0xffff_fffc, size }), 1);
    }
    let is64 = (orig >> 1) & 3 == 2;
    let mut addr = (orig & 0xffff_fff0) as u64;
    let mut size_mask = (mask & 0xffff_fff0) as u64 | 0xffff_ffff_0000_0000;
    if is64 && i < 5 {
        let hi_reg = reg + 4;
        let hi = bdf.read32(hi_reg);
        bdf.write32(hi_reg, 0xffff_ffff);
        let hi_mask = bdf.read32(hi_reg);
        bdf.write32(hi_reg, hi);
        addr |= (hi as u64) << 32;
        size_mask = (size_mask & 0xffff_ffff) | (hi_mask as u64) << 32;
    }
    let size = (!size_mask).wrapping_add(1);
    (Some(Bar::Memory { addr, size, prefetchable: orig & 8 != 0, is64 }), if is64 { 2 } else { 1 })
}

fn probe(bdf: Bdf) -> Option<PciDevice> {
    let id = bdf.read32(cfg::VENDOR_ID);
    if id == 0xffff_ffff || id & 0xffff == 0xffff || id == 0 {
        return None;
    }
    let class_rev = bdf.read32(cfg::CLASS_REV);
    // Size the BARs with decode off, as the PCI spec asks.
    let cmd = bdf.read16(cfg::COMMAND);
    bdf.write16(cfg::COMMAND, cmd & !(cfg::CMD_IO | cfg::CMD_MEMORY));
    let mut bars = [None; 6];
    let mut i = 0;
    while i < 6 {
        let (bar, used) = probe_bar(bdf, i);
        bars[i] = bar;
        i += used;
    }
    bdf.write16(cfg::COMMAND, cmd);
    Some(PciDevice {
        bdf,
        vendor: id as u16,
        device: (id >> 16) as u16,
        class: ((class_rev >> 24) as u8, (class_rev >> 16) as u8, (class_rev >> 8) as u8),
        revision: class_rev as u8,
        bars,
        irq_line: bdf.read8(cfg::INTERRUPT_LINE),
        irq_pin: bdf.read8(cfg::INTERRUPT_PIN),
    })
}

static DEVICES: Mutex<Vec<PciDevice>> = Mutex::new(Vec::new());

/// Enumerates bus 0 (all 32 devices, functions 1-7 of multi-function ones)
/// and prints the listing.
pub fn enumerate() {
    let mut found = Vec::new();
    for dev in 0..32 {
        let f0 = Bdf { bus: 0, dev, func: 0 };
        let Some(d) = probe(f0) else { continue };
        let multi = f0.read8(cfg::HEADER_TYPE) & 0x80 != 0;
        found.push(d);
        if multi {
            for func in 1..8 {
                if let Some(d) = probe(Bdf { bus: 0, dev, func }) {
                    found.push(d);
                }
            }
        }
    }
    info!("pci: bus 0 has {} functions", found.len());
    for d in &found {
        info!("  {d}");
        for (i, b) in d.bars.iter().enumerate() {
            if let Some(b) = b {
                info!("      BAR{i}: {b}");
            }
        }
        match DRIVERS.iter().find(|dr| dr.vendor == d.vendor && dr.device == d.device) {
            Some(dr) => info!("      driver: {}", dr.name),
            None => {}
        }
    }
    if found.is_empty() {
        warn!("pci: no device answered on bus 0");
    }
    *DEVICES.lock() = found;
}

/// The first function with this vendor and device ID.
pub fn find(vendor: u16, device: u16) -> Option<PciDevice> {
    DEVICES.lock().iter().find(|d| d.vendor == vendor && d.device == device).cloned()
}

/// A driver the kernel has for a vendor/device pair.
pub struct Driver {
    pub vendor: u16,
    pub device: u16,
    pub name: &'static str,
}

/// The driver registry.
pub static DRIVERS: &[Driver] = &[Driver {
    vendor: crate::drivers::tulip::VENDOR_DEC,
    device: crate::drivers::tulip::DEVICE_21143,
    name: "tulip (DEC 21143)",
}];
