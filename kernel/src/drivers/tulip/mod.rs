//! DEC 21143 "Tulip" Ethernet (PCI 1011:0019): the DMA API's proof on a
//! real (emulated) device ([`loopback_selftest`]), and the running NIC in
//! normal mode ([`Nic`], the [`crate::net::NetDevice`] `net/` runs smoltcp
//! over: interrupt-driven on the machine's routed line, or polled). By
//! concern:
//!
//! * `regs`: CSR access, descriptor rings (`DescRing`), bus-address checks;
//! * `probe`: finding the chip's CSR BAR, reset, the serial ROM and the
//!   station address;
//! * `media`: the medium (MII PHY or SIA/SYM port) before the NIC starts;
//! * `nic`, `rx`, `tx`: the running NIC, its rings and buffers;
//! * `irq`: the interrupt handler and the chip's interrupt routing;
//! * `selftest`: the internal-loopback DMA proof.
//!
//! # What QEMU's model does (`hw/net/tulip.c`, `hw/alpha/typhoon.c`)
//!
//! * CSRs are 32-bit, 8 bytes apart, in both BAR0 (I/O) and BAR1 (memory,
//!   128 bytes each); only 4-byte accesses are implemented.
//! * Writing CSR6 with ST processes the transmit list at once, during the
//!   CSR write; CSR1 does so again when the transmit process is suspended.
//!   A setup frame (192 bytes) loads the 16-entry perfect filter and gets
//!   status `0x7fffffff` back. With CSR6's operating mode non-zero (internal
//!   or external loopback), a transmitted frame is handed straight to the
//!   receive path instead of the network; without RX started (SR) it is
//!   dropped.
//! * Receive copies the frame plus 4 bytes (an unwritten CRC: whatever the
//!   model's frame buffer held) and reports FL = length + 4 and FS | LS
//!   only (the FF/MF bits its filter computes are overwritten before the
//!   descriptor is written). No CRC is computed. Broadcast always passes
//!   the filter; promiscuous (CSR6 PR, set after reset) passes everything.
//! * DMA errors are ignored: `pci_dma_write`/`pci_dma_read` results are not
//!   checked, CSR5 FBE is never set. The Typhoon IOMMU model has no TLB: it
//!   reads the PTE on every access, and an invalid PTE (or a bus address
//!   outside every window) makes the access fail silently (writes dropped,
//!   reads see nothing); "a translation failure here ought to ... generate
//!   a machine check" is a TODO there. So in the self-test's phase 2 QEMU
//!   closes the receive descriptor as a good frame while the buffer stays
//!   untouched.
//!
//! # On a real DS10
//!
//! The Pchip would report the invalid PTE (a PCI target abort and a
//! machine check), and the 21143 would set CSR5 FBE and stop; the kernel
//! does not handle machine checks yet, so phase 2 is for QEMU (or a kernel
//! that handles them). Internal loopback on the 21143 reports no carrier
//! (TDES0 NC/LO) on the transmit side; those are not treated as errors.

mod irq;
mod media;
mod nic;
mod probe;
mod regs;
mod rx;
mod selftest;
mod tx;

use super::{Device, PciDriver, PciId, ProbeContext};
use crate::pci::PciDevice;
use alloc::boxed::Box;
use alloc::string::String;
use log::warn;

pub use nic::{Nic, NicConfig};
pub use selftest::loopback_selftest;

/// PCI vendor ID of Digital Equipment Corporation.
pub const VENDOR_DEC: u16 = 0x1011;
/// PCI device ID of the 21142/21143.
pub const DEVICE_21143: u16 = 0x0019;

/// True if a 21143 was found on bus 0 (to skip the self-test without one).
pub fn present() -> bool {
    crate::pci::find(VENDOR_DEC, DEVICE_21143).is_some()
}

/// The 21143's entry in the driver registry.
pub struct TulipDriver;

pub static DRIVER: TulipDriver = TulipDriver;

static IDS: [PciId; 1] = [PciId { vendor: VENDOR_DEC, device: DEVICE_21143, name: "DEC 21143" }];

impl PciDriver for TulipDriver {
    fn name(&self) -> &'static str {
        "tulip (DEC 21143)"
    }

    fn ids(&self) -> &'static [PciId] {
        &IDS
    }

    fn hint(&self) -> &'static str {
        "QEMU: -nic user,model=tulip"
    }

    /// Brings the NIC up (`net_rxbuf=BYTES`: the receive buffer length).
    fn probe(&self, pci: &PciDevice, ctx: &ProbeContext) -> Result<Device, String> {
        let mut cfg = NicConfig::default();
        if let Some(v) = ctx.params.get("net_rxbuf") {
            match v.parse::<usize>() {
                Ok(n) => cfg.rx_buf_len = n,
                Err(_) => warn!("net_rxbuf={v}: not a number; using {}", cfg.rx_buf_len),
            }
        }
        let nic = Nic::up(pci.clone(), cfg, ctx.params, ctx.platform)?;
        Ok(Device::Net(Box::new(nic)))
    }
}
