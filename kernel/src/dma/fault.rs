//! Fault injection for the DMA paths (boot parameters `fail_buddy=N`,
//! `fail_cma=N`, `fail_iommu=N`, `fail_pte=N`, `fail_dma_debug=N`, or [`arm`] from a
//! self-test): the Nth buddy allocation, CMA allocation, IOMMU allocation
//! or IOMMU PTE write made by the DMA API fails, so that every error path
//! runs and can be checked to leave nothing allocated. A PTE write is made
//! to fail for real: the arena is given a misaligned physical address,
//! which its `set_pte` refuses.

use core::sync::atomic::{AtomicU64, Ordering};
use log::warn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    Buddy = 0,
    Cma = 1,
    Iommu = 2,
    Pte = 3,
    /// DMA-API debug's record of a mapping (as if the heap were full).
    DebugRecord = 4,
}

/// Every site, in discriminant order, with its boot parameter, its name in
/// messages, and whether the boot-time DMA probe (one coherent allocation
/// and one streaming mapping) runs when the parameter is given: the one
/// table of fault sites. DMA-API debug's record fails inside a later run
/// (the network's), not in the probe.
const SITES: [(Site, &str, &str, bool); 5] = [
    (Site::Buddy, "fail_buddy", "buddy allocation", true),
    (Site::Cma, "fail_cma", "CMA allocation", true),
    (Site::Iommu, "fail_iommu", "IOMMU allocation", true),
    (Site::Pte, "fail_pte", "IOMMU PTE write", true),
    (Site::DebugRecord, "fail_dma_debug", "DMA-API debug record", false),
];

// `SITES[site as usize]` is the site's row.
const _: () = {
    let mut i = 0;
    while i < SITES.len() {
        assert!(SITES[i].0 as usize == i);
        i += 1;
    }
};

impl Site {
    /// Every site.
    pub fn all() -> impl Iterator<Item = Site> {
        SITES.iter().map(|s| s.0)
    }

    /// The boot parameter that arms it (`fail_buddy`, ...).
    pub fn param(self) -> &'static str {
        SITES[self as usize].1
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        SITES[self as usize].2
    }

    /// Whether its parameter runs the boot-time DMA probe.
    pub fn probed_at_boot(self) -> bool {
        SITES[self as usize].3
    }
}
static TARGET: [AtomicU64; SITES.len()] = [const { AtomicU64::new(0) }; SITES.len()];
static COUNT: [AtomicU64; SITES.len()] = [const { AtomicU64::new(0) }; SITES.len()];

/// Makes the `nth` (1-based) next allocation at `site` fail; 0 disarms.
pub fn arm(site: Site, nth: u64) {
    COUNT[site as usize].store(0, Ordering::Relaxed);
    TARGET[site as usize].store(nth, Ordering::Relaxed);
}

/// Counts one allocation at `site`; true if it must fail.
pub fn should_fail(site: Site) -> bool {
    let target = TARGET[site as usize].load(Ordering::Relaxed);
    if target == 0 {
        return false;
    }
    let n = COUNT[site as usize].fetch_add(1, Ordering::Relaxed) + 1;
    if n == target {
        TARGET[site as usize].store(0, Ordering::Relaxed);
        warn!("fault injection: failing {} #{n}", site.name());
        return true;
    }
    false
}
