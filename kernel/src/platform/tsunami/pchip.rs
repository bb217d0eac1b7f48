//! The Tsunami/Typhoon Pchip's DMA windows. Its CSRs are 64 bits wide, 64
//! bytes apart, and accept only 8-byte accesses.
//!
//! Like Linux's `core_tsunami.c`, the kernel programs:
//! * window 0: scatter-gather, 8 MiB at bus 8 MiB (ISA-reachable, 24-bit masks);
//! * window 1: scatter-gather at bus 1 GiB, sized from memory (at most 1 GiB);
//! * window 2: direct-mapped, bus 2 GiB..4 GiB -> physical 0..2 GiB;
//! * window 3: off.
//!
//! What the firmware left is saved first and restored by [`restore`].

use super::PCHIP0_CSR_PHYS;
use crate::arch::{mb, mmio, phys_to_kseg};
use crate::platform::{DmaLayout, SgTables};
use log::{info, warn};
use pci_config::Perror;
use spin::Mutex;

pub mod csr {
    pub const fn wsba(n: usize) -> u64 {
        0x000 + 0x40 * n as u64
    }
    pub const fn wsm(n: usize) -> u64 {
        0x100 + 0x40 * n as u64
    }
    pub const fn tba(n: usize) -> u64 {
        0x200 + 0x40 * n as u64
    }
    /// PCI error register (write 1s to clear); see `pci_config::Perror`.
    pub const PERROR: u64 = 0x3c0;
    pub const TLBIV: u64 = 0x480;
    pub const TLBIA: u64 = 0x4c0;
    /// WSBA bits: window enable, scatter-gather.
    pub const WSBA_ENA: u64 = 1 << 0;
    pub const WSBA_SG: u64 = 1 << 1;
}

fn read(off: u64) -> u64 {
    // SAFETY: an 8-byte access to a Pchip CSR.
    unsafe { mmio::read64(phys_to_kseg(PCHIP0_CSR_PHYS + off)) }
}

fn write(off: u64, v: u64) {
    // SAFETY: an 8-byte access to a Pchip CSR.
    unsafe { mmio::write64(phys_to_kseg(PCHIP0_CSR_PHYS + off), v) }
}

/// One window's registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub wsba: u64,
    pub wsm: u64,
    pub tba: u64,
}

impl Window {
    pub fn read(n: usize) -> Window {
        Window { wsba: read(csr::wsba(n)), wsm: read(csr::wsm(n)), tba: read(csr::tba(n)) }
    }

    /// Disable first, so that the window is never live half-programmed.
    pub fn write(&self, n: usize) {
        write(csr::wsba(n), 0);
        write(csr::wsm(n), self.wsm);
        write(csr::tba(n), self.tba);
        write(csr::wsba(n), self.wsba);
        mb();
        let _ = read(csr::wsba(n));
    }

    pub fn describe(&self) -> impl core::fmt::Display + '_ {
        struct D<'a>(&'a Window);
        impl core::fmt::Display for D<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                let w = self.0;
                if w.wsba & csr::WSBA_ENA == 0 {
                    return write!(f, "disabled (wsba {:#x} wsm {:#x} tba {:#x})", w.wsba, w.wsm, w.tba);
                }
                let base = w.wsba & 0xfff0_0000;
                let size = (w.wsm | 0xf_ffff) + 1;
                if w.wsba & csr::WSBA_SG != 0 {
                    write!(f, "scatter-gather bus {base:#010x}-{:#010x}, page table at {:#x}", base + size - 1, w.tba)
                } else {
                    write!(f, "direct bus {base:#010x}-{:#010x} -> physical {:#x}", base + size - 1, w.tba & !(size - 1))
                }
            }
        }
        D(self)
    }
}

static SAVED: Mutex<Option<[Window; 4]>> = Mutex::new(None);

/// Saves (and logs) the four windows as the firmware left them.
pub fn save_firmware_windows() {
    let mut w = [Window::default(); 4];
    for (n, slot) in w.iter_mut().enumerate() {
        *slot = Window::read(n);
        info!("pchip: firmware window {n}: {}", slot.describe());
    }
    *SAVED.lock() = Some(w);
}

/// Programs the windows of `layout` (see the module text) with the SG page
/// tables `t`, flushes the TLB, and logs what the Pchip now holds.
pub fn program(layout: &DmaLayout, t: &SgTables) {
    let (isa, direct) = (layout.isa_sg, layout.direct);
    Window { wsba: isa.bus_base | csr::WSBA_ENA | csr::WSBA_SG, wsm: (isa.size - 1) & 0xfff0_0000, tba: t.isa_table }.write(0);
    Window { wsba: layout.pci_sg_base | csr::WSBA_ENA | csr::WSBA_SG, wsm: (t.pci_size - 1) & 0xfff0_0000, tba: t.pci_table }.write(1);
    Window { wsba: direct.bus_base | csr::WSBA_ENA, wsm: (direct.size - 1) & 0xfff0_0000, tba: 0 }.write(2);
    Window::default().write(3);
    tlb_invalidate_all();
    for n in 0..4 {
        info!("pchip: window {n}: {}", Window::read(n).describe());
    }
}

/// Puts back the firmware's windows (at shutdown), then flushes the TLB.
pub fn restore() {
    if let Some(w) = SAVED.lock().take() {
        for (n, win) in w.iter().enumerate() {
            win.write(n);
        }
        tlb_invalidate_all();
        info!("pchip: firmware DMA windows restored");
    }
}

/// Invalidates the Pchip's scatter-gather TLB entries for bus addresses
/// `start..=end` (Linux's `tsunami_pci_tbi`): TLBIV matches on bus address
/// bits 31:16, so a range within one 64 KiB tag uses it; anything larger
/// uses TLBIA. The write is followed by `mb` and a read-back, so the
/// invalidation is complete before the caller reuses the entries.
pub fn tlb_invalidate(start: u64, end: u64) {
    let reg = if (start ^ end) & 0xffff_0000 == 0 { csr::TLBIV } else { csr::TLBIA };
    write(reg, (start & 0xffff_0000) >> 12);
    mb();
    let _ = read(reg);
}

pub fn tlb_invalidate_all() {
    tlb_invalidate(0, u64::MAX);
}

/// Reads PERROR after `what` (the bus scan) and clears what it holds. A
/// configuration read of an empty slot master-aborts on a real Pchip: all
/// ones come back and NDS is set, which is expected and said at info
/// level; any other error bit is a warning. QEMU's PERROR reads 0, so
/// under QEMU this prints nothing.
pub fn check_errors(what: &str) {
    let p = Perror(read(csr::PERROR));
    if p.is_clear() {
        return;
    }
    write(csr::PERROR, p.0 & Perror::FLAGS);
    mb();
    let now = read(csr::PERROR);
    if p.only_no_device() {
        info!(
            "pchip: PERROR (CSR {:#x}) after {what}: {p}: configuration cycles nobody answered (empty slots, master aborts); cleared, now {now:#x}",
            csr::PERROR
        );
    } else {
        warn!("pchip: PERROR (CSR {:#x}) after {what}: {p}; cleared, now {now:#x}", csr::PERROR);
    }
}
