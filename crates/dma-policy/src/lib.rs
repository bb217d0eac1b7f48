//! The decisions of the kernel's DMA API, as pure functions so that they
//! can be tested on the host against a model:
//!
//! * [`choose_window`]: which of the host bridge's PCI windows maps a
//!   buffer for a device (the layout is the caller's: the kernel's machine
//!   vector gives it) (direct-mapped when the device's DMA mask and the window
//!   reach it and the IOMMU is not forced, else the scatter-gather window,
//!   else the ISA scatter-gather window for small masks, else an error);
//! * [`coherent_plan`]: where coherent memory comes from (a buddy block
//!   when one is large enough, the CMA area otherwise or when the buddy
//!   allocator fails);
//! * [`seg`]: a device's segment limits (`max_seg_size`,
//!   `seg_boundary_mask`): cutting a mapped segment so that it obeys
//!   them, and DMA-API debug's check of one segment;
//! * [`mask_windows`]: which windows a DMA mask can use (`dma_set_mask`);
//! * [`debug`]: the bookkeeping of DMA-API debug (live mappings by device
//!   and bus address, the unmap and sync checks).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod debug;
pub mod seg;

/// Alpha pages: 8 KiB.
pub const PAGE_SIZE: u64 = 8192;

/// One window's bus address range and, for a direct window, the physical
/// range it maps (`phys_base .. phys_base + size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRange {
    pub bus_base: u64,
    pub size: u64,
}

impl WindowRange {
    /// Last bus address of the window.
    pub const fn bus_last(&self) -> u64 {
        self.bus_base + self.size - 1
    }
}

/// The windows the host bridge is programmed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Direct-mapped: bus `bus_base + pa` for `pa < size`.
    pub direct: WindowRange,
    /// The PCI scatter-gather window (None if it could not be set up).
    pub sg: Option<WindowRange>,
    /// The ISA scatter-gather window (None if it could not be set up).
    pub isa: Option<WindowRange>,
}

/// A device's window policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Auto,
    ForceSg,
    ForceDirect,
}

/// Where a mapping goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Bus address `direct.bus_base + pa`.
    Direct,
    /// Through the PCI scatter-gather window.
    Sg,
    /// Through the ISA scatter-gather window.
    Isa,
}

/// No window can reach the buffer with this mask (or the policy forbids
/// the only one that could).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoWindow;

/// Whether the direct window reaches `[pa, pa + len)` for a device whose
/// highest bus address is `mask`.
pub fn direct_reaches(w: &Windows, pa: u64, len: u64, mask: u64) -> bool {
    len > 0
        && pa.checked_add(len).is_some_and(|end| end <= w.direct.size)
        && w.direct.bus_base.checked_add(pa + len - 1).is_some_and(|last| last <= mask)
}

/// The window for `len` bytes at physical `pa`. `strict` is `iommu=strict`
/// (every `Auto` device goes through the IOMMU).
pub fn choose_window(w: &Windows, pa: u64, len: u64, mask: u64, policy: Policy, strict: bool) -> Result<Choice, NoWindow> {
    let direct_ok = direct_reaches(w, pa, len, mask);
    let use_direct = match policy {
        Policy::ForceDirect => return if direct_ok { Ok(Choice::Direct) } else { Err(NoWindow) },
        Policy::ForceSg => false,
        Policy::Auto => !strict && direct_ok,
    };
    if use_direct {
        return Ok(Choice::Direct);
    }
    if len == 0 {
        return Err(NoWindow);
    }
    match (w.sg, w.isa) {
        (Some(sg), _) if sg.bus_last() <= mask => Ok(Choice::Sg),
        (_, Some(isa)) if isa.bus_last() <= mask => Ok(Choice::Isa),
        _ => Err(NoWindow),
    }
}

/// Which windows a DMA mask can use (Linux's `dma_set_mask` on Alpha asks
/// `alpha_pci_supported` the same question).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaskWindows {
    /// The direct window serves physical memory below this address (0:
    /// the mask does not reach the direct window's base).
    pub direct_below: u64,
    /// The PCI scatter-gather window lies wholly below the mask.
    pub sg: bool,
    /// The ISA scatter-gather window lies wholly below the mask.
    pub isa: bool,
}

impl core::fmt::Display for MaskWindows {
    /// `direct (memory below 0x...), PCI SG, ISA SG`, or `none`.
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let mut sep = "";
        if self.direct_below > 0 {
            write!(f, "direct (memory below {:#x})", self.direct_below)?;
            sep = ", ";
        }
        if self.sg {
            write!(f, "{sep}PCI SG")?;
            sep = ", ";
        }
        if self.isa {
            write!(f, "{sep}ISA SG")?;
            sep = ", ";
        }
        if sep.is_empty() {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl MaskWindows {
    /// Only the windows `policy` lets a device use (`strict`: `iommu=strict`,
    /// under which an `Auto` device never uses the direct window).
    pub const fn under(self, policy: Policy, strict: bool) -> MaskWindows {
        match policy {
            Policy::ForceDirect => MaskWindows { direct_below: self.direct_below, sg: false, isa: false },
            Policy::ForceSg => MaskWindows { direct_below: 0, ..self },
            Policy::Auto if strict => MaskWindows { direct_below: 0, ..self },
            Policy::Auto => self,
        }
    }

    /// Whether the mask can use any window.
    pub const fn any(&self) -> bool {
        self.direct_below > 0 || self.sg || self.isa
    }
}

/// The windows a device with highest bus address `mask` can use: the part
/// of the direct window below the mask, and each scatter-gather window
/// that lies wholly below it ([`choose_window`] decides per buffer with the
/// same rules).
pub fn mask_windows(w: &Windows, mask: u64) -> MaskWindows {
    let direct_below = if mask < w.direct.bus_base { 0 } else { (mask - w.direct.bus_base).saturating_add(1).min(w.direct.size) };
    MaskWindows {
        direct_below,
        sg: w.sg.is_some_and(|sg| sg.size > 0 && sg.bus_last() <= mask),
        isa: w.isa.is_some_and(|isa| isa.size > 0 && isa.bus_last() <= mask),
    }
}

/// Where coherent memory is taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A buddy block of this order.
    Buddy { order: u32 },
    /// `pages` pages from the CMA area, aligned to `2^align_order` pages.
    Cma { pages: u64, align_order: u32 },
}

/// The coherent allocation plan for `size` bytes: the first source to try
/// and, if it fails, the fallback. `max_order` is the buddy allocator's
/// largest order.
pub fn coherent_plan(size: u64, max_order: u32) -> Option<(Source, Option<Source>)> {
    if size == 0 {
        return None;
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let order = pages.checked_next_power_of_two()?.trailing_zeros();
    let cma = Source::Cma { pages, align_order: order.min(max_order) };
    Some(if order <= max_order { (Source::Buddy { order }, Some(cma)) } else { (cma, None) })
}

/// Pages of IOMMU entries `len` bytes at `pa` need (the page offset counts).
pub const fn span_pages(pa: u64, len: u64) -> u64 {
    ((pa % PAGE_SIZE) + len).div_ceil(PAGE_SIZE)
}

#[cfg(test)]
mod tests;
