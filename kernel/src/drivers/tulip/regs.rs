//! The 21143's registers as the driver reaches them: the CSR window
//! (32-bit CSRs 8 bytes apart, through the I/O or memory BAR), the
//! descriptor words in coherent memory, and the bus-address checks.

use crate::arch::{mb, mmio, wmb};
use crate::dma::{BusAddr, iommu};
use alloc::format;
use alloc::string::String;
use log::error;
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

/// A ring of descriptors in coherent memory: the one place that touches
/// descriptor words. Every access is checked against the ring's length.
#[derive(Clone, Copy, Debug)]
pub(super) struct DescRing {
    base: *mut u8,
    slots: usize,
}

impl DescRing {
    /// No ring yet: every access is refused (and reported).
    pub(super) const NONE: DescRing = DescRing { base: core::ptr::null_mut(), slots: 0 };

    /// `slots` descriptors from `base`.
    ///
    /// # Safety
    /// `base` is a 4-byte-aligned block of at least `slots * DESC_SIZE`
    /// bytes of coherent memory that stays allocated while this value or
    /// a copy of it is used.
    pub(super) unsafe fn new(base: *mut u8, slots: usize) -> Self {
        DescRing { base, slots }
    }

    fn words(&self, slot: usize) -> Option<*mut u32> {
        if slot >= self.slots {
            error!("tulip: descriptor slot {slot} outside a ring of {} (refused)", self.slots);
            return None;
        }
        // SAFETY: slot < slots, so the offset stays inside the block `new`
        // was given.
        Some(unsafe { self.base.add(slot * DESC_SIZE) } as *mut u32)
    }

    /// Writes descriptor `slot`: words 1-3, a write barrier, then word 0
    /// (OWN) last, so the chip never sees OWN before the rest.
    pub(super) fn write(&self, slot: usize, w: [u32; 4]) {
        let Some(p) = self.words(slot) else { return };
        // SAFETY: four aligned words inside the block (`words`).
        unsafe {
            p.add(1).write_volatile(w[1].to_le());
            p.add(2).write_volatile(w[2].to_le());
            p.add(3).write_volatile(w[3].to_le());
        }
        wmb();
        // SAFETY: as above.
        unsafe { p.write_volatile(w[0].to_le()) };
        wmb();
    }

    /// Reads descriptor `slot` as the chip left it (all zeros, reported,
    /// for a slot outside the ring).
    pub(super) fn read(&self, slot: usize) -> [u32; 4] {
        mb();
        let Some(p) = self.words(slot) else { return [0; 4] };
        // SAFETY: four aligned words inside the block (`words`).
        core::array::from_fn(|i| u32::from_le(unsafe { p.add(i).read_volatile() }))
    }
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
