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

const NAMES: [&str; 5] = ["buddy allocation", "CMA allocation", "IOMMU allocation", "IOMMU PTE write", "DMA-API debug record"];
static TARGET: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
static COUNT: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

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
        warn!("fault injection: failing {} #{n}", NAMES[site as usize]);
        return true;
    }
    false
}
