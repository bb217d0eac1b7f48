//! Device drivers and the driver model.
//!
//! A PCI driver implements [`PciDriver`]: its name, the vendor/device IDs
//! it takes ([`PciId`]), `probe` (bring a found function up, given the
//! boot parameters in a [`ProbeContext`]) and `remove`. [`PCI_DRIVERS`] is
//! the registry: the PCI listing names the driver of each function through
//! [`driver_name`], and [`open_net`] probes the first network device a
//! driver takes, for `net/`. Adding a NIC driver means a module here and a
//! line in [`PCI_DRIVERS`]; `pci` and `net` do not change.
//!
//! Disk controllers are PCI drivers too ([`Subsystem::Block`]): [`open_block`]
//! probes the first one found for the block layer, [`close_block`] lets it go.
//!
//! Besides the PCI drivers, `net_dev=loopback` opens [`loopback`], a
//! software network device for testing `net/` without a NIC.

pub mod ide;
pub mod loopback;
pub mod tulip;

use crate::block::BlockDevice;
use crate::net::NetDevice;
use crate::pci::PciDevice;
use crate::platform::Choice;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bootparam::EarlyParams;
use log::warn;
use spin::Mutex;

/// A vendor/device pair a driver takes.
pub struct PciId {
    pub vendor: u16,
    pub device: u16,
    /// The chip's name, for messages ("DEC 21143").
    pub name: &'static str,
}

/// What a driver's probe gets besides the PCI function, from the boot
/// configuration `main` built once: the boot parameters and the machine
/// (for the interrupt routing of the function's slot).
pub struct ProbeContext<'a> {
    pub params: &'a EarlyParams<'a>,
    pub platform: Choice,
}

/// A device a driver brought up, by the subsystem that uses it.
#[repr(u8)]
pub enum Device {
    /// A network device for `net/`.
    Net(Box<dyn NetDevice>),
    /// A disk for the block layer.
    Block(Box<dyn BlockDevice>),
}

/// Which subsystem a driver's devices are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Subsystem {
    Net,
    Block,
}

/// A driver for PCI functions.
pub trait PciDriver: Sync {
    /// The name the PCI listing prints (`driver: NAME`).
    fn name(&self) -> &'static str;
    /// The vendor/device pairs it takes.
    fn ids(&self) -> &'static [PciId];
    /// Where such a device comes from (for the message when none is found).
    fn hint(&self) -> &'static str;
    /// The subsystem its devices are for ([`open_net`] and [`open_block`]
    /// try only their own drivers).
    fn subsystem(&self) -> Subsystem {
        Subsystem::Net
    }
    /// Brings the function `pci` up; `Err` says why not.
    fn probe(&self, pci: &PciDevice, ctx: &ProbeContext) -> Result<Device, String>;
    /// Takes a device this driver probed down and lets it go (every
    /// buffer and mapping given back).
    fn remove(&self, dev: Device) {
        match dev {
            Device::Net(mut d) => d.down(),
            Device::Block(mut d) => d.down(),
        }
    }
}

/// The registry of PCI drivers, in the order they are tried.
pub static PCI_DRIVERS: &[&dyn PciDriver] = &[&tulip::DRIVER, &ide::CMD646, &ide::ALI];

/// The driver taking `vendor:device`, for the PCI listing.
pub fn driver_name(vendor: u16, device: u16) -> Option<&'static str> {
    PCI_DRIVERS
        .iter()
        .find(|d| d.ids().iter().any(|id| id.vendor == vendor && id.device == device))
        .map(|d| d.name())
}

/// The driver that probed the open network device (`None`: none open,
/// or a device that is no PCI driver's), for [`close_net`].
static NET_BOUND: Mutex<Option<&'static dyn PciDriver>> = Mutex::new(None);

/// Opens the network device `net_dev=` names: `pci` (the default: the
/// first function on bus 0 a registered driver takes) or `loopback` (a
/// software device wired to an in-kernel test client, [`loopback`]).
pub fn open_net(ctx: &ProbeContext) -> Result<Box<dyn NetDevice>, String> {
    match ctx.params.get("net_dev") {
        None | Some("pci") => {}
        Some("loopback") => return loopback::open(ctx).map(|d| Box::new(d) as Box<dyn NetDevice>),
        Some(v) => warn!("net_dev={v}: expected pci or loopback; using pci"),
    }
    let (driver, pci) = first_function(Subsystem::Net).map_err(|missing| {
        let each = missing.iter().map(|(d, id)| format!("no {} ({:04x}:{:04x}) on PCI bus 0 ({})", id.name, id.vendor, id.device, d.hint()));
        each.collect::<Vec<_>>().join("; ")
    })?;
    match driver.probe(&pci, ctx)? {
        Device::Net(d) => {
            *NET_BOUND.lock() = Some(driver);
            Ok(d)
        }
        Device::Block(mut d) => {
            d.down();
            Err(format!("{}: the {} driver gave a disk, not a network device", pci.bdf, driver.name()))
        }
    }
}

/// The first function on PCI bus 0 that a registered driver of `sub`
/// takes, in the registry's order, with that driver; `Err`: every ID
/// looked for, with its driver (for the message saying none is there).
fn first_function(sub: Subsystem) -> Result<(&'static dyn PciDriver, PciDevice), Vec<(&'static dyn PciDriver, &'static PciId)>> {
    let mut missing = Vec::new();
    for &driver in PCI_DRIVERS.iter().filter(|d| d.subsystem() == sub) {
        for id in driver.ids() {
            match crate::pci::find(id.vendor, id.device) {
                Some(pci) => return Ok((driver, pci)),
                None => missing.push((driver, id)),
            }
        }
    }
    Err(missing)
}

/// Whether [`open_net`] has a device to try: `net_dev=loopback`, or a
/// PCI function a registered driver takes. Probes nothing.
pub fn has_net(ctx: &ProbeContext) -> bool {
    ctx.params.get("net_dev") == Some("loopback")
        || first_function(Subsystem::Net).is_ok()
}

/// Closes the network device [`open_net`] gave: its driver's `remove`
/// (every buffer and mapping given back), or the device's own `down` for
/// one no PCI driver probed.
pub fn close_net(mut dev: Box<dyn NetDevice>) {
    match NET_BOUND.lock().take() {
        Some(driver) => driver.remove(Device::Net(dev)),
        None => dev.down(),
    }
}

/// The driver that probed the open disk, for [`close_block`].
static BLOCK_BOUND: Mutex<Option<&'static dyn PciDriver>> = Mutex::new(None);

/// Probes the first disk controller on PCI bus 0 a registered block
/// driver takes (once: call it at boot). `Err` says why there is no disk:
/// no controller (each one looked for, with where it comes from), or
/// the controller's probe's reason (no drive on its channels, ...).
pub fn open_block(ctx: &ProbeContext) -> Result<Box<dyn BlockDevice>, String> {
    let (driver, pci) = first_function(Subsystem::Block).map_err(|missing| {
        let each = missing.iter().map(|(_, id)| format!("no {} ({:04x}:{:04x})", id.name, id.vendor, id.device));
        format!("block: no disk controller on PCI bus 0: {}", each.collect::<Vec<_>>().join(", "))
    })?;
    match driver.probe(&pci, ctx)? {
        Device::Block(d) => {
            *BLOCK_BOUND.lock() = Some(driver);
            Ok(d)
        }
        Device::Net(mut d) => {
            d.down();
            Err(format!("{}: the {} driver gave a network device, not a disk", pci.bdf, driver.name()))
        }
    }
}

/// Closes the disk [`open_block`] gave: its driver's `remove` (the
/// controller quiesced, every buffer and mapping given back).
pub fn close_block(mut dev: Box<dyn BlockDevice>) {
    match BLOCK_BOUND.lock().take() {
        Some(driver) => driver.remove(Device::Block(dev)),
        None => dev.down(),
    }
}
