//! PCI on the machine's first host bridge: configuration space, bus-0
//! enumeration with an `lspci`-like listing, BARs, enabling decode and bus
//! mastering. Where the CPU reaches the PCI spaces, and how a configuration
//! address is encoded, is the machine's ([`crate::platform`]); which driver
//! takes a function is the drivers' (the listing asks a lookup it is given).

mod inject;

use crate::arch::{mmio, phys_to_kseg};
use crate::platform;
use alloc::vec::Vec;
use core::fmt;
use log::{info, warn};
use spin::Mutex;

/// Configuration registers (the header's map).
pub use pci_config::reg as cfg;
pub use pci_config::{Bar, Bdf};
use pci_config::{BarSizing, ConfigSpace, HeaderKind, IdAnswer, SlotList};

/// One function's configuration space through the host bridge's window.
///
/// SAFETY (all accessors): the address lies in the machine's configuration
/// window, where every aligned access of this width is a config cycle; an
/// absent device reads as all ones (QEMU; a real host bridge master-aborts
/// the cycle, returns all ones and records the error, which
/// `platform::Machine::pci_check_errors` reports after the scan).
#[derive(Clone, Copy, Debug)]
pub struct Conf(pub Bdf);

impl Conf {
    fn addr(self, reg: u8) -> u64 {
        let b = self.0;
        phys_to_kseg(platform::machine().pci_conf_addr(b.bus, b.dev, b.func, reg))
    }
}

impl ConfigSpace for Conf {
    fn read32(&mut self, reg: u8) -> u32 {
        // SAFETY: see the type's text.
        unsafe { mmio::read32(self.addr(reg & !3)) }
    }
    fn write32(&mut self, reg: u8, v: u32) {
        // SAFETY: see the type's text.
        unsafe { mmio::write32(self.addr(reg & !3), v) }
    }
    fn read16(&mut self, reg: u8) -> u16 {
        // SAFETY: see the type's text.
        unsafe { mmio::read16(self.addr(reg & !1)) }
    }
    fn write16(&mut self, reg: u8, v: u16) {
        // SAFETY: see the type's text.
        unsafe { mmio::write16(self.addr(reg & !1), v) }
    }
    fn read8(&mut self, reg: u8) -> u8 {
        // SAFETY: see the type's text.
        unsafe { mmio::read8(self.addr(reg)) }
    }
}

impl Conf {
    /// An 8-bit write (for chip registers in the device-specific part of
    /// the header, some of them write-1-to-clear next to plain ones).
    pub fn write8(&mut self, reg: u8, v: u8) {
        // SAFETY: see the type's text.
        unsafe { mmio::write8(self.addr(reg), v) }
    }
}

/// Where the CPU reaches a BAR.
pub trait BarExt {
    /// The kernel address (KSEG) through which the CPU reaches this BAR.
    fn kseg(&self) -> u64;
}

impl BarExt for Bar {
    fn kseg(&self) -> u64 {
        let m = platform::machine();
        phys_to_kseg(self.phys(m.pci_mem(), m.pci_io()))
    }
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
    /// The header type register (bit 7: multi-function).
    pub header_type: u8,
}

impl PciDevice {
    /// Enables I/O and/or memory decode and/or bus mastering (the firmware
    /// leaves bus mastering off); returns the new command register.
    pub fn enable(&self, io: bool, memory: bool, bus_master: bool) -> u16 {
        let mut c = Conf(self.bdf);
        let mut cmd = c.read16(cfg::COMMAND);
        cmd |= if io { cfg::CMD_IO } else { 0 }
            | if memory { cfg::CMD_MEMORY } else { 0 }
            | if bus_master { cfg::CMD_BUS_MASTER } else { 0 };
        c.write16(cfg::COMMAND, cmd);
        let now = c.read16(cfg::COMMAND);
        info!("pci {}: command {:#06x} (io {}, memory {}, bus master {})", self.bdf, now, io, memory, bus_master);
        now
    }

    /// A byte of the function's configuration space.
    pub fn config_read8(&self, reg: u8) -> u8 {
        Conf(self.bdf).read8(reg)
    }

    /// Writes a byte of the function's configuration space (one byte
    /// wide: neighbouring write-1-to-clear bits stay untouched).
    pub fn config_write8(&self, reg: u8, v: u8) {
        Conf(self.bdf).write8(reg, v)
    }

    /// Turns bus mastering off again (used when a driver lets go).
    pub fn disable_bus_master(&self) {
        let mut c = Conf(self.bdf);
        let cmd = c.read16(cfg::COMMAND) & !cfg::CMD_BUS_MASTER;
        c.write16(cfg::COMMAND, cmd);
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

/// What one configuration address held.
enum Probe {
    /// Vendor/device ID all ones: nothing there.
    Empty,
    /// Something answered, but not with a valid ID (reported).
    Invalid,
    /// It stopped answering while its BARs were sized (reported).
    Vanished,
    Device(PciDevice),
}

/// Reads one function's header and sizes its BARs (`pci_config`
/// decides; every odd answer is logged with the register and the value),
/// with the fault `pci_inject=` asks for on this function, if any.
fn probe(bdf: Bdf, faults: &[(Bdf, inject::Fault)]) -> Probe {
    let mine: Vec<inject::Fault> = faults.iter().filter(|(b, _)| *b == bdf).map(|&(_, f)| f).collect();
    if mine.is_empty() {
        probe_through(bdf, &mut Conf(bdf))
    } else {
        probe_through(bdf, &mut inject::Faulty::new(Conf(bdf), mine))
    }
}

fn probe_through<C: ConfigSpace>(bdf: Bdf, c: &mut C) -> Probe {
    let id = c.read32(cfg::VENDOR_ID);
    let (vendor, device) = match pci_config::classify_id(id) {
        IdAnswer::Empty => return Probe::Empty,
        IdAnswer::Invalid(v) => {
            warn!(
                "pci {bdf}: vendor/device ID register (0x00) reads {v:#010x}: vendor {:#06x} is no vendor (0xffff means none, 0x0000 is never assigned); function skipped",
                v as u16
            );
            return Probe::Invalid;
        }
        IdAnswer::Device { vendor, device } => (vendor, device),
    };
    let class_rev = c.read32(cfg::CLASS_REV);
    let header_type = c.read8(cfg::HEADER_TYPE);
    let kind = HeaderKind::from_byte(header_type);
    if let HeaderKind::Unknown(b) = kind {
        warn!(
            "pci {bdf}: {vendor:04x}:{device:04x}: header type register (0x0e) reads {b:#04x}, header {kind}; its BARs are not sized or used"
        );
    }
    let sizing: BarSizing = pci_config::size_bars(c, kind, platform::machine().pci_bar_windows());
    if sizing.vanished {
        if sizing.command == 0xffff {
            warn!(
                "pci {bdf}: {vendor:04x}:{device:04x}: command register (0x04) reads 0xffff: the function stopped answering; BARs not sized, function left out"
            );
        } else {
            warn!(
                "pci {bdf}: {vendor:04x}:{device:04x}: vendor/device ID register (0x00) reads 0xffffffff after its BARs were sized (it read {id:#010x} before): the function stopped answering; left out"
            );
        }
        return Probe::Vanished;
    }
    for issue in sizing.problems() {
        warn!("pci {bdf}: {vendor:04x}:{device:04x}: {issue}; BAR{} left out", issue.index);
    }
    Probe::Device(PciDevice {
        bdf,
        vendor,
        device,
        class: ((class_rev >> 24) as u8, (class_rev >> 16) as u8, (class_rev >> 8) as u8),
        revision: class_rev as u8,
        bars: sizing.bars(),
        irq_line: c.read8(cfg::INTERRUPT_LINE),
        irq_pin: c.read8(cfg::INTERRUPT_PIN),
        header_type,
    })
}

/// Leaves out every pair of assigned BARs (of different functions, or
/// of one) that share an address in the same space: both functions would
/// answer there. The firmware assigned them; this kernel does not move
/// BARs, so a driver then finds no usable BAR and says so.
fn drop_overlaps(found: &mut [PciDevice]) {
    let mut all = Vec::new();
    for (d, dev) in found.iter().enumerate() {
        for (i, b) in dev.bars.iter().enumerate() {
            if let Some(b) = b {
                all.push((d, i, *b));
            }
        }
    }
    let mut drop_list = Vec::new();
    for (x, &(da, ia, a)) in all.iter().enumerate() {
        for &(db, ib, b) in &all[x + 1..] {
            if pci_config::overlap(&a, &b) {
                let (fa, fb) = (found[da].bdf, found[db].bdf);
                warn!(
                    "pci {fa}: BAR{ia} (register {:#04x}) {a} overlaps pci {fb} BAR{ib} (register {:#04x}) {b}: both would answer there; both BARs left out",
                    cfg::BAR0 + 4 * ia as u8,
                    cfg::BAR0 + 4 * ib as u8
                );
                drop_list.push((da, ia));
                drop_list.push((db, ib));
            }
        }
    }
    for (d, i) in drop_list {
        found[d].bars[i] = None;
    }
}

static DEVICES: Mutex<Vec<PciDevice>> = Mutex::new(Vec::new());

/// Enumerates bus 0 (all 32 devices, functions 1-7 of multi-function ones)
/// and prints the listing: the functions found, the empty slots (vendor/
/// device ID all ones), every odd answer with its register and value, and
/// the driver `driver_name` names for a vendor/device pair (`main` passes
/// the drivers' registry lookup); `params` may ask for injected faults
/// (`pci_inject=`).
pub fn enumerate(params: &bootparam::EarlyParams, driver_name: fn(u16, u16) -> Option<&'static str>) {
    let faults = inject::from_params(params);
    let mut found = Vec::new();
    let mut empty = 0u32;
    for dev in 0..32 {
        let f0 = Bdf { bus: 0, dev, func: 0 };
        let d = match probe(f0, &faults) {
            Probe::Empty => {
                empty |= 1 << dev;
                continue;
            }
            Probe::Invalid | Probe::Vanished => continue,
            Probe::Device(d) => d,
        };
        // 0xff (all ones) is no header type: do not believe its bit 7.
        let multi = d.header_type & 0x80 != 0 && d.header_type != 0xff;
        found.push(d);
        if multi {
            for func in 1..8 {
                if let Probe::Device(d) = probe(Bdf { bus: 0, dev, func }, &faults) {
                    found.push(d);
                }
            }
        }
    }
    drop_overlaps(&mut found);
    info!(
        "pci: bus 0 has {} functions; empty slots (vendor/device ID reads 0xffffffff): {}",
        found.len(),
        SlotList { bus: 0, mask: empty }
    );
    for d in &found {
        info!("  {d}");
        for (i, b) in d.bars.iter().enumerate() {
            if let Some(b) = b {
                info!("      BAR{i}: {b}");
            }
        }
        if let Some(name) = driver_name(d.vendor, d.device) {
            info!("      driver: {name}");
        }
    }
    if found.is_empty() {
        warn!("pci: no device answered on bus 0");
    }
    platform::machine().pci_check_errors("the bus 0 scan");
    *DEVICES.lock() = found;
}

/// The functions the scan found, as the boot listing shows them (each
/// with its BARs and the driver `driver_name` names); for the monitor's
/// `lspci`.
pub fn write_list(w: &mut dyn core::fmt::Write, driver_name: fn(u16, u16) -> Option<&'static str>) -> core::fmt::Result {
    let devices = DEVICES.lock();
    if devices.is_empty() {
        return writeln!(w, "pci: no functions (no scan, or nothing answered on bus 0)");
    }
    for d in devices.iter() {
        writeln!(w, "{d}")?;
        for (i, b) in d.bars.iter().enumerate() {
            if let Some(b) = b {
                writeln!(w, "    BAR{i}: {b}")?;
            }
        }
        if let Some(name) = driver_name(d.vendor, d.device) {
            writeln!(w, "    driver: {name}")?;
        }
    }
    Ok(())
}

/// The first function with this vendor and device ID.
pub fn find(vendor: u16, device: u16) -> Option<PciDevice> {
    DEVICES.lock().iter().find(|d| d.vendor == vendor && d.device == device).cloned()
}
