//! The page allocators after boot: the buddy allocator over every page
//! memblock left free, and the CMA area. Both live behind `spin` locks;
//! neither ever allocates from the heap (the heap grows from them).

use super::{PAGE_SIZE, pfn_to_phys, phys_ptr, phys_to_pfn};
use buddy::{BuddyAllocator, BuddyError, MAX_ORDER, NR_ORDERS};
use cma::{Cma, CmaError};
use core::fmt;
use spin::Mutex;

pub(super) static BUDDY: Mutex<Option<BuddyAllocator<'static>>> = Mutex::new(None);
pub(super) static CMA: Mutex<Option<Cma<'static>>> = Mutex::new(None);

/// Why a page allocation or free failed. `repr(u8)` keeps its tag out of
/// the niches of the errors it wraps (see `DmaError`).
#[derive(Debug)]
#[repr(u8)]
pub enum PageError {
    /// The allocators are not set up (no HWRPB, or before `mm::boot::init`).
    NotReady,
    /// A physical address that is not page aligned.
    Misaligned(u64),
    Buddy(BuddyError),
    /// No CMA area (disabled, or its reservation failed at boot).
    NoCma,
    Cma(CmaError),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PageError::NotReady => f.write_str("page allocator not initialised"),
            PageError::Misaligned(pa) => write!(f, "physical address {pa:#x} is not page aligned"),
            PageError::Buddy(e) => write!(f, "buddy: {e}"),
            PageError::NoCma => f.write_str("no CMA area"),
            PageError::Cma(e) => write!(f, "cma: {e}"),
        }
    }
}

/// Allocates 2^order contiguous pages from the buddy allocator; returns
/// their physical address. With `zero`, the pages are cleared.
pub fn alloc_pages(order: u32, zero: bool) -> Result<u64, PageError> {
    let pfn = BUDDY.lock().as_mut().ok_or(PageError::NotReady)?.alloc(order).map_err(PageError::Buddy)?;
    let pa = pfn_to_phys(pfn as u64);
    if zero {
        // SAFETY: the buddy allocator just gave us these pages.
        unsafe { core::ptr::write_bytes(phys_ptr::<u8>(pa), 0, (PAGE_SIZE << order) as usize) };
    }
    Ok(pa)
}

/// Gives back pages from [`alloc_pages`]. A bad free (never allocated,
/// wrong order, twice) is refused and changes nothing. Freeing pages that
/// are still mapped for DMA is reported by DMA-API debug.
#[track_caller]
pub fn free_pages(pa: u64, order: u32) -> Result<(), PageError> {
    if pa % PAGE_SIZE != 0 {
        return Err(PageError::Misaligned(pa));
    }
    crate::dma::debug::on_free(pa, PAGE_SIZE << order, core::panic::Location::caller());
    BUDDY
        .lock()
        .as_mut()
        .ok_or(PageError::NotReady)?
        .free(phys_to_pfn(pa) as usize, order)
        .map_err(PageError::Buddy)
}

/// Allocates `count` contiguous pages from the CMA area, aligned to
/// 2^align_order pages.
pub fn cma_alloc(count: usize, align_order: u32) -> Result<u64, PageError> {
    let pfn = CMA.lock().as_mut().ok_or(PageError::NoCma)?.alloc(count, align_order).map_err(PageError::Cma)?;
    Ok(pfn_to_phys(pfn as u64))
}

/// Releases pages from [`cma_alloc`].
#[track_caller]
pub fn cma_release(pa: u64, count: usize) -> Result<(), PageError> {
    if pa % PAGE_SIZE != 0 {
        return Err(PageError::Misaligned(pa));
    }
    crate::dma::debug::on_free(pa, PAGE_SIZE * count as u64, core::panic::Location::caller());
    CMA.lock().as_mut().ok_or(PageError::NoCma)?.release(phys_to_pfn(pa) as usize, count).map_err(PageError::Cma)
}

/// A snapshot of the page allocators' counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageStats {
    pub managed: usize,
    pub free: usize,
    pub free_blocks: [usize; NR_ORDERS],
    pub cma_total: usize,
    pub cma_free: usize,
}

pub fn stats() -> PageStats {
    let mut s = PageStats::default();
    if let Some(b) = BUDDY.lock().as_ref() {
        s.managed = b.managed_pages();
        s.free = b.free_pages();
        for o in 0..=MAX_ORDER {
            s.free_blocks[o as usize] = b.free_count(o);
        }
    }
    if let Some(c) = CMA.lock().as_ref() {
        s.cma_total = c.total_pages();
        s.cma_free = c.free_pages();
    }
    s
}

/// `/proc/buddyinfo` and the CMA lines of `/proc/meminfo`.
pub fn report(w: &mut impl fmt::Write) -> fmt::Result {
    if let Some(b) = BUDDY.lock().as_ref() {
        b.buddyinfo(w)?;
    }
    match CMA.lock().as_ref() {
        Some(c) => c.meminfo(w),
        None => writeln!(w, "CmaTotal:              0 kB\nCmaFree:               0 kB"),
    }
}
