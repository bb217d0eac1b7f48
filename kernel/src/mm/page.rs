//! The page allocators after boot: the buddy allocator over every page
//! memblock left free, and the CMA area, with the owner of every block
//! they hand out recorded here ([`super::owner`]). All three live behind
//! one `spin` lock ([`PAGES`]: an allocation and its owner record are one
//! step, and one lock costs half what two do); none ever allocates from the
//! heap (the heap grows from them).

use super::owner::Owner;
use super::{PAGE_SIZE, PhysAddr, pfn_to_phys, phys_to_pfn, zero_phys};
use buddy::{BuddyAllocator, BuddyError, MAX_ORDER, NR_ORDERS};
use cma::{Cma, CmaError};
use core::fmt;
use core::panic::Location;
use page_owner::{OwnerError, PageOwners, Source};
use spin::Mutex;

/// Where an allocation was asked for.
pub type Site = &'static Location<'static>;

/// Told of every free before it happens (pages, length, caller): DMA-API
/// debug registers its "freed while still mapped" check here at
/// `dma::init`, so the page layer calls nothing above it. Returns whether
/// the free is clean (the free goes ahead either way).
pub type FreeObserver = fn(pa: PhysAddr, len: u64, site: Site) -> bool;

static FREE_OBSERVER: spin::Once<FreeObserver> = spin::Once::new();

/// Registers the free observer (once; later calls are ignored).
pub fn set_free_observer(f: FreeObserver) {
    FREE_OBSERVER.call_once(|| f);
}

fn observe_free(pa: PhysAddr, len: u64, site: Site) {
    if let Some(f) = FREE_OBSERVER.get() {
        f(pa, len, site);
    }
}

/// The page allocators and the owner records, set up by `mm::boot::init`.
pub(super) struct Pages {
    pub buddy: Option<BuddyAllocator<'static>>,
    pub cma: Option<Cma<'static>>,
    pub owners: Option<PageOwners<'static, Site>>,
}

pub(super) static PAGES: Mutex<Pages> = Mutex::new(Pages { buddy: None, cma: None, owners: None });

/// Why a page allocation or free failed. `repr(u8)` keeps its tag out of
/// the niches of the errors it wraps (see `DmaError`).
#[derive(Debug)]
#[repr(u8)]
pub enum PageError {
    /// The allocators are not set up (no HWRPB, or before `mm::boot::init`).
    NotReady,
    /// A physical address that is not page aligned.
    Misaligned(PhysAddr),
    Buddy(BuddyError),
    /// No CMA area (disabled, or its reservation failed at boot).
    NoCma,
    Cma(CmaError),
    /// The owner records refuse the free (no block of this size starts
    /// there), or cannot record the allocation.
    Owner(OwnerError),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PageError::NotReady => f.write_str("page allocator not initialised"),
            PageError::Misaligned(pa) => write!(f, "physical address {pa:#x} is not page aligned"),
            PageError::Buddy(e) => write!(f, "buddy: {e}"),
            PageError::NoCma => f.write_str("no CMA area"),
            PageError::Cma(e) => write!(f, "cma: {e}"),
            PageError::Owner(e) => write!(f, "page owners: {e}"),
        }
    }
}

/// Allocates 2^order contiguous pages from the buddy allocator for
/// `owner`; returns their physical address. With `zero`, the pages are
/// cleared. The owner and the caller's location are recorded.
#[track_caller]
pub fn alloc_pages(order: u32, zero: bool, owner: Owner) -> Result<PhysAddr, PageError> {
    let site = Location::caller();
    let pa = {
        let mut pages = PAGES.lock();
        let Pages { buddy: Some(buddy), owners: Some(owners), .. } = &mut *pages else {
            return Err(PageError::NotReady);
        };
        let pfn = buddy.alloc(order).map_err(PageError::Buddy)?;
        if let Err(e) = owners.record(pfn, 1 << order, Source::Buddy, owner.code(), site) {
            // Never hand out a page nobody owns: give it back.
            let _ = buddy.free(pfn, order);
            return Err(PageError::Owner(e));
        }
        pfn_to_phys(pfn as u64)
    };
    if zero {
        // SAFETY: the buddy allocator just gave us these pages.
        unsafe { zero_phys(pa, (PAGE_SIZE << order) as usize) };
    }
    Ok(pa)
}

/// Allocates the particular block of 2^order pages at `pa` from the buddy
/// allocator for `owner` (it must be free: the free block holding it is
/// split down to it, `BuddyAllocator::alloc_at`); not zeroed. The owner
/// and the caller's location are recorded; [`free_pages`] gives it back.
#[track_caller]
pub fn alloc_pages_at(pa: PhysAddr, order: u32, owner: Owner) -> Result<(), PageError> {
    if !pa.is_aligned(PAGE_SIZE) {
        return Err(PageError::Misaligned(pa));
    }
    let site = Location::caller();
    let pfn = phys_to_pfn(pa) as usize;
    let mut pages = PAGES.lock();
    let Pages { buddy: Some(buddy), owners: Some(owners), .. } = &mut *pages else {
        return Err(PageError::NotReady);
    };
    buddy.alloc_at(pfn, order).map_err(PageError::Buddy)?;
    if let Err(e) = owners.record(pfn, 1 << order, Source::Buddy, owner.code(), site) {
        // Never hold a page nobody owns: give it back.
        let _ = buddy.free(pfn, order);
        return Err(PageError::Owner(e));
    }
    Ok(())
}

/// Runs `f` on the buddy allocator, read-only, under the page lock (for
/// the monitor's views). `f` must not allocate from the heap: the heap
/// grows from this allocator and would wait for the lock forever.
pub fn with_buddy<R>(f: impl FnOnce(&BuddyAllocator<'static>) -> R) -> Option<R> {
    PAGES.lock().buddy.as_ref().map(f)
}

/// Runs `f` on the CMA area, read-only, under the page lock (`None`
/// without a CMA area). As for [`with_buddy`], `f` must not allocate.
pub fn with_cma<R>(f: impl FnOnce(&Cma<'static>) -> R) -> Option<R> {
    PAGES.lock().cma.as_ref().map(f)
}

/// Gives back pages from [`alloc_pages`] or [`alloc_pages_at`]. A bad free (never allocated,
/// wrong order, twice) is refused by the owner records or the buddy
/// allocator and changes nothing. Freeing pages that are still mapped for
/// DMA is reported by DMA-API debug.
#[track_caller]
pub fn free_pages(pa: PhysAddr, order: u32) -> Result<(), PageError> {
    if !pa.is_aligned(PAGE_SIZE) {
        return Err(PageError::Misaligned(pa));
    }
    observe_free(pa, PAGE_SIZE << order, Location::caller());
    let pfn = phys_to_pfn(pa) as usize;
    let count = 1usize.checked_shl(order).ok_or(PageError::Buddy(BuddyError::InvalidOrder { order }))?;
    let mut pages = PAGES.lock();
    let Pages { buddy: Some(buddy), owners: Some(owners), .. } = &mut *pages else {
        return Err(PageError::NotReady);
    };
    let record = owners.check(pfn, count, Source::Buddy).map_err(PageError::Owner)?;
    buddy.free(pfn, order).map_err(PageError::Buddy)?;
    owners.forget(&record);
    Ok(())
}

/// Allocates `count` contiguous pages from the CMA area for `owner`,
/// aligned to 2^align_order pages.
#[track_caller]
pub fn cma_alloc(count: usize, align_order: u32, owner: Owner) -> Result<PhysAddr, PageError> {
    let site = Location::caller();
    let mut pages = PAGES.lock();
    let Pages { cma, owners, .. } = &mut *pages;
    let cma = cma.as_mut().ok_or(PageError::NoCma)?;
    let owners = owners.as_mut().ok_or(PageError::NotReady)?;
    let pfn = cma.alloc(count, align_order).map_err(PageError::Cma)?;
    if let Err(e) = owners.record(pfn, count, Source::Cma, owner.code(), site) {
        let _ = cma.release(pfn, count);
        return Err(PageError::Owner(e));
    }
    Ok(pfn_to_phys(pfn as u64))
}

/// Releases pages from [`cma_alloc`]: the whole allocation, as recorded
/// (the owner records refuse a part of one).
#[track_caller]
pub fn cma_release(pa: PhysAddr, count: usize) -> Result<(), PageError> {
    if !pa.is_aligned(PAGE_SIZE) {
        return Err(PageError::Misaligned(pa));
    }
    observe_free(pa, PAGE_SIZE * count as u64, Location::caller());
    let pfn = phys_to_pfn(pa) as usize;
    let mut pages = PAGES.lock();
    let Pages { cma, owners, .. } = &mut *pages;
    let cma = cma.as_mut().ok_or(PageError::NoCma)?;
    let owners = owners.as_mut().ok_or(PageError::NotReady)?;
    let record = owners.check(pfn, count, Source::Cma).map_err(PageError::Owner)?;
    cma.release(pfn, count).map_err(PageError::Cma)?;
    owners.forget(&record);
    Ok(())
}

/// For the leak test only (`mm_leak_test`): takes one page from the buddy
/// allocator and records no owner, so the reconciliation must come out
/// one page short.
pub fn leak_one_page_unowned() -> Result<PhysAddr, PageError> {
    let pfn = PAGES.lock().buddy.as_mut().ok_or(PageError::NotReady)?.alloc(0).map_err(PageError::Buddy)?;
    Ok(pfn_to_phys(pfn as u64))
}

/// What holds one page frame (Linux's `page_owner` for one pfn).
#[derive(Clone, Copy, Debug)]
pub struct PageOwnerInfo {
    /// The first frame of the block the frame belongs to.
    pub head_pfn: u64,
    pub pages: usize,
    pub source: Source,
    pub owner: Owner,
    pub site: Option<Site>,
}

impl fmt::Display for PageOwnerInfo {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} block of {} page(s) at pfn {:#x} held by {}", self.source, self.pages, self.head_pfn, self.owner)?;
        if self.pages.is_power_of_two() && self.source == Source::Buddy {
            write!(f, " (order {})", self.pages.trailing_zeros())?;
        }
        match self.site {
            Some(s) => write!(f, ", allocated at {}:{}", s.file(), s.line()),
            None => Ok(()),
        }
    }
}

/// The owner of the allocated block holding `pfn`, if any.
pub fn page_owner(pfn: u64) -> Option<PageOwnerInfo> {
    let r = PAGES.lock().owners.as_ref()?.lookup(usize::try_from(pfn).ok()?)?;
    Some(PageOwnerInfo { head_pfn: r.pfn as u64, pages: r.pages, source: r.source, owner: Owner::from_code(r.owner), site: r.site })
}

/// The page allocators counted from their structures, not their counters:
/// for the reconciliation ([`super::boot::reconcile`]). Taken under all
/// three locks at once, so it is one consistent picture.
pub struct Census {
    /// Free frames found by walking the buddy free lists.
    pub buddy_free: usize,
    /// The buddy allocator's own counters (for diagnosis only).
    pub buddy_free_counter: usize,
    pub buddy_allocated_counter: usize,
    pub cma_total: usize,
    /// Free CMA pages counted from the bitmap's bits.
    pub cma_free: usize,
    /// Pages per owner as kept at each allocation and free.
    pub owned: page_owner::Counts,
    /// The same computed again from the per-frame records.
    pub recount: page_owner::Recount,
}

pub fn census() -> Option<Census> {
    let pages = PAGES.lock();
    let (b, o, cma) = (pages.buddy.as_ref()?, pages.owners.as_ref()?, &pages.cma);
    Some(Census {
        buddy_free: b.count_free_by_walking(),
        buddy_free_counter: b.free_pages(),
        buddy_allocated_counter: b.allocated_pages(),
        cma_total: cma.as_ref().map_or(0, |c| c.total_pages()),
        cma_free: cma.as_ref().map_or(0, |c| c.count_free_in_bitmap()),
        owned: *o.counts(),
        recount: o.recount(),
    })
}

/// Pages each owner holds now, without allocating (for the network
/// status page, which must not allocate while serving).
pub fn owner_counts() -> Option<page_owner::Counts> {
    PAGES.lock().owners.as_ref().map(|o| *o.counts())
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
    let pages = PAGES.lock();
    if let Some(b) = pages.buddy.as_ref() {
        s.managed = b.managed_pages();
        s.free = b.free_pages();
        for o in 0..=MAX_ORDER {
            s.free_blocks[o as usize] = b.free_count(o);
        }
    }
    if let Some(c) = pages.cma.as_ref() {
        s.cma_total = c.total_pages();
        s.cma_free = c.free_pages();
    }
    s
}

/// `/proc/buddyinfo` and the CMA lines of `/proc/meminfo`.
pub fn report(w: &mut impl fmt::Write) -> fmt::Result {
    buddyinfo(w)?;
    cma_meminfo(w)
}

/// `/proc/buddyinfo`'s line (nothing before the buddy allocator is up).
pub fn buddyinfo(w: &mut impl fmt::Write) -> fmt::Result {
    match PAGES.lock().buddy.as_ref() {
        Some(b) => b.buddyinfo(w),
        None => Ok(()),
    }
}

/// The CMA lines of `/proc/meminfo` (`CmaTotal`, `CmaFree`).
pub fn cma_meminfo(w: &mut impl fmt::Write) -> fmt::Result {
    match PAGES.lock().cma.as_ref() {
        Some(c) => c.meminfo(w),
        None => writeln!(w, "CmaTotal:              0 kB\nCmaFree:               0 kB"),
    }
}
