//! The 21143's registers as the driver reaches them: the CSR window
//! (32-bit CSRs 8 bytes apart, through the I/O or memory BAR), the
//! descriptor words in coherent memory, and the bus-address checks.

use crate::arch::{mb, mmio, wmb};
use crate::dma::{BusAddr, iommu};
use alloc::format;
use alloc::string::String;
use tulip_ring::DESC_SIZE;
use tulip_ring::csr;

/// The 21143 generates 32-bit bus addresses (no dual address cycles).
pub(super) const DMA_MASK: u64 = 0xffff_ffff;
/// Source address when the serial ROM gives none (locally administered).
pub(super) const FALLBACK_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x21, 0x14, 0x30];

/// The chip's CSR window (I/O or memory BAR) through KSEG.
#[derive(Clone, Copy)]
pub(super) struct Csrs {
    pub(super) base: u64,
}

impl Csrs {
    /// A 32-bit CSR read (`arch::mmio`: one `ldl`, then `mb`).
    pub(super) fn read(self, off: usize) -> u32 {
        debug_assert!(off < csr::WINDOW_LEN && off % 4 == 0);
        // SAFETY: `base` is the KSEG address of the chip's 128-byte CSR BAR
        // with decode enabled; `off` is an aligned CSR offset inside it.
        unsafe { mmio::read32(self.base + off as u64) }
    }

    /// A 32-bit CSR write (`arch::mmio`: `mb`, one `stl`, `mb`): the
    /// barrier before makes descriptor writes reach memory before a start
    /// or poll demand.
    pub(super) fn write(self, off: usize, v: u32) {
        debug_assert!(off < csr::WINDOW_LEN && off % 4 == 0);
        // SAFETY: as in `read`.
        unsafe { mmio::write32(self.base + off as u64, v) }
    }
}

/// Writes a descriptor: words 1-3, a write barrier, then word 0 (OWN) last.
///
/// SAFETY (callers): `ring` is a coherent block holding at least
/// `slot + 1` descriptors.
pub(super) unsafe fn write_desc(ring: *mut u8, slot: usize, w: [u32; 4]) {
    // SAFETY: inside the ring block, 4-byte aligned (the block is page aligned).
    let p = unsafe { ring.add(slot * DESC_SIZE) } as *mut u32;
    unsafe {
        p.add(1).write_volatile(w[1].to_le());
        p.add(2).write_volatile(w[2].to_le());
        p.add(3).write_volatile(w[3].to_le());
    }
    wmb();
    unsafe { p.write_volatile(w[0].to_le()) };
    wmb();
}

/// Reads a descriptor as the chip left it.
///
/// SAFETY (callers): as for [`write_desc`].
pub(super) unsafe fn read_desc(ring: *mut u8, slot: usize) -> [u32; 4] {
    mb();
    // SAFETY: inside the ring block, aligned.
    let p = unsafe { ring.add(slot * DESC_SIZE) } as *const u32;
    core::array::from_fn(|i| u32::from_le(unsafe { p.add(i).read_volatile() }))
}

/// Which window a bus address lies in.
pub(super) fn window_of(bus: BusAddr) -> &'static str {
    let bus = bus.as_u64();
    let inside = |w: dma_policy::WindowRange| bus.wrapping_sub(w.bus_base) < w.size;
    if inside(iommu::direct_window()) {
        "direct"
    } else if inside(iommu::pci_sg_window()) {
        "scatter-gather"
    } else if inside(iommu::isa_sg_window()) {
        "ISA scatter-gather"
    } else {
        "no window"
    }
}

pub(super) fn bus32(what: &str, bus: BusAddr) -> Result<u32, String> {
    bus.to_u32().ok_or_else(|| format!("{what}: bus address {bus:#x} does not fit the 21143's 32 bits"))
}
