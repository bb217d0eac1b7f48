//! The accounting snapshot with the DMA layer's part: `mm`'s snapshot
//! ([`crate::mm::accounting`]) plus the IOMMU arena entries in use and the
//! mappings DMA-API debug tracks, and the DMA pools' chunks and objects. It lives here, not in `mm`, so that `mm`
//! never reads DMA state (the dependency runs from `dma` to `mm` only).

use super::{debug, iommu};
use crate::mm::accounting::{Accounting, DmaCounts};

/// Every count of [`Accounting`], the DMA part included.
pub fn accounting() -> Accounting {
    let mut a = crate::mm::accounting();
    a.dma = Some(DmaCounts {
        iommu_used: iommu::used_entries(),
        debug_enabled: debug::enabled(),
        live_mappings: debug::live(),
        problems: debug::errors(),
        pool_objects: { let (_, chunks, objects) = super::pool::totals(); (chunks, objects) },
    });
    a
}
