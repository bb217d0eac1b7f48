//! The 21143's interrupt: the handler on its Cchip line, its counters,
//! and the line the platform's routing gives the chip's PCI slot and pin.

use super::regs::Csrs;
use crate::net::IrqCounters;
use crate::pci::PciDevice;
use crate::platform::Choice;
use alloc::string::String;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use log::info;
use tulip_ring::csr::{self, csr5};

/// The CSR5 events that raise the 21143's interrupt line when interrupts
/// are on (CSR7 has the same layout as CSR5): the two summaries, receive,
/// transmit done, and the abnormal events the driver counts.
pub const CSR7_ENABLE: u32 =
    csr5::NIS | csr5::AIS | csr5::RI | csr5::TI | csr5::RU | csr5::UNF | csr5::FBE | csr5::TJT | csr5::RWT;

/// The CSR window of the NIC that owns an interrupt line, for the handler
/// (0: none). One NIC at a time.
pub(super) static IRQ_CSRS: AtomicU64 = AtomicU64::new(0);
/// Interrupts the handler found the chip asserting (and masked).
pub(super) static IRQ_TAKEN: AtomicU64 = AtomicU64::new(0);
/// Interrupts on the line while the chip showed no enabled event.
pub(super) static IRQ_NOT_OURS: AtomicU64 = AtomicU64::new(0);
/// Set by the handler, cleared by [`super::Nic::poll`]: there is work.
pub(super) static IRQ_WORK: AtomicBool = AtomicBool::new(false);

/// The device interrupt handler (runs at raised IPL: atomics and CSRs only).
/// The 21143's line is level-triggered and stays up while CSR5 & CSR7 has
/// a summary bit; instead of acknowledging here, the handler masks CSR7
/// (so the line drops at once) and leaves CSR5 to [`super::Nic::poll`], which
/// counts and acknowledges every event in one place; the loop unmasks with
/// [`super::Nic::arm_interrupts`] when it has nothing left to do.
pub(super) fn irq_handler(_line: u32) {
    let base = IRQ_CSRS.load(Ordering::Acquire);
    if base == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let c = Csrs { base };
    if c.read(csr::CSR5) & c.read(csr::CSR7) & (csr5::NIS | csr5::AIS) == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    c.write(csr::CSR7, 0);
    IRQ_TAKEN.fetch_add(1, Ordering::Relaxed);
    IRQ_WORK.store(true, Ordering::Release);
}

/// The handler's counters.
pub fn irq_counters() -> IrqCounters {
    IrqCounters { taken: IRQ_TAKEN.load(Ordering::Relaxed), not_ours: IRQ_NOT_OURS.load(Ordering::Relaxed) }
}

/// Whether the interrupt handler has run since the last [`super::Nic::poll`].
pub fn irq_work_pending() -> bool {
    IRQ_WORK.load(Ordering::Acquire)
}

/// The chip's interrupt line from the machine's PCI interrupt routing
/// (slot and pin), compared with what the firmware wrote into the PCI
/// interrupt line register; `Err` says why there is none.
pub(super) fn routed_line(pci: &PciDevice, chosen: &Choice) -> Result<u32, String> {
    let pin = (b'A' + pci.irq_pin.wrapping_sub(1)) as char;
    match chosen.machine.pci_line(pci.bdf.dev, pci.irq_pin) {
        Ok(line) => {
            info!(
                "net: {} {} INT{pin}: Cchip line {line} (interrupt routing of {}, member {}); firmware's interrupt line register: {}",
                pci.bdf,
                "21143",
                chosen.system_name,
                chosen.member,
                pci.irq_line
            );
            Ok(line)
        }
        Err(e) => Err(alloc::format!("{e} (member {})", chosen.member)),
    }
}
