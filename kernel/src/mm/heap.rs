//! The kernel heap: `linked_list_allocator` heaps behind one `spin::Mutex`.
//! It starts with an early arena in `.bss` (usable before the page
//! allocator exists) and grows by whole buddy blocks when an allocation
//! does not fit; a grown block that becomes empty again goes back to the
//! buddy allocator, so the heap holds pages only while it uses them.

use super::page::{self, PageError};
use super::{PAGE_SIZE, phys_ptr, virt_to_phys};
use buddy::MAX_ORDER;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;

/// Size of the early arena.
pub const EARLY_HEAP_SIZE: usize = 2 << 20;
/// The heap grows by at least this much at a time.
pub const GROW_MIN: u64 = 256 << 10;
/// At most this many heap regions (the arena plus grown blocks).
pub const MAX_REGIONS: usize = 64;

#[repr(C, align(8192))]
struct Arena([u8; EARLY_HEAP_SIZE]);

static mut EARLY_ARENA: Arena = Arena([0; EARLY_HEAP_SIZE]);

/// One heap region; `order` is `Some` for blocks from the buddy allocator.
struct Region {
    heap: Heap,
    order: Option<u32>,
}

impl Region {
    fn contains(&self, p: *mut u8) -> bool {
        self.heap.bottom() <= p && p < self.heap.top()
    }
}

struct Regions {
    r: [Option<Region>; MAX_REGIONS],
    grow_failures: u64,
    bad_frees: u64,
}

struct KernelHeap(Mutex<Regions>);

// SAFETY: the heaps only hand out memory they own (the arena, or buddy
// blocks the page allocator gave to this module alone).
unsafe impl Send for Regions {}

/// Why the heap could not grow (`repr(u8)`: see `DmaError`).
#[derive(Debug)]
#[repr(u8)]
enum GrowError {
    /// All `MAX_REGIONS` slots are in use.
    NoSlot,
    /// The request needs a block larger than the buddy allocator's largest.
    TooLarge { bytes: u64 },
    Pages(PageError),
}

impl core::fmt::Display for GrowError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            GrowError::NoSlot => write!(f, "all {MAX_REGIONS} heap regions in use"),
            GrowError::TooLarge { bytes } => write!(f, "needs a {bytes}-byte block, more than the largest buddy block"),
            GrowError::Pages(e) => write!(f, "{e}"),
        }
    }
}

impl Regions {
    /// Allocates a buddy block large enough for `layout` and makes it a heap.
    fn grow(&mut self, layout: Layout) -> Result<usize, GrowError> {
        let slot = self.r.iter().position(Option::is_none).ok_or(GrowError::NoSlot)?;
        // Room for the layout, its alignment and the allocator's hole header.
        let need = (layout.size() + layout.align() + 64) as u64;
        let bytes = need.max(GROW_MIN).next_power_of_two().max(PAGE_SIZE);
        let order = (bytes / PAGE_SIZE).trailing_zeros();
        if order > MAX_ORDER {
            return Err(GrowError::TooLarge { bytes });
        }
        let pa = page::alloc_pages(order, false).map_err(GrowError::Pages)?;
        // SAFETY: a fresh buddy block of PAGE_SIZE << order bytes, ours now.
        let heap = unsafe { Heap::new(phys_ptr(pa), (PAGE_SIZE << order) as usize) };
        self.r[slot] = Some(Region { heap, order: Some(order) });
        log::debug!("heap: grew by {} KiB at physical {pa:#x}", (PAGE_SIZE << order) >> 10);
        Ok(slot)
    }
}

unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut regs = self.0.lock();
        for r in regs.r.iter_mut().flatten() {
            if let Ok(p) = r.heap.allocate_first_fit(layout) {
                return p.as_ptr();
            }
        }
        match regs.grow(layout) {
            Ok(slot) => regs.r[slot]
                .as_mut()
                .and_then(|r| r.heap.allocate_first_fit(layout).ok())
                .map_or(ptr::null_mut(), |p| p.as_ptr()),
            Err(e) => {
                regs.grow_failures += 1;
                log::debug!("heap: cannot grow for {} bytes (align {}): {e}", layout.size(), layout.align());
                ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let mut regs = self.0.lock();
        let Some(slot) = regs.r.iter().position(|r| r.as_ref().is_some_and(|r| r.contains(p))) else {
            regs.bad_frees += 1;
            drop(regs);
            log::error!("heap: free of {p:p} ({} bytes), which no heap region holds: ignored", layout.size());
            return;
        };
        let Some(r) = regs.r[slot].as_mut() else { return };
        // SAFETY: GlobalAlloc's contract: `p` came from `alloc` with `layout`.
        unsafe { r.heap.deallocate(NonNull::new_unchecked(p), layout) };
        if let (Some(order), 0) = (r.order, r.heap.used()) {
            let pa = virt_to_phys(r.heap.bottom());
            regs.r[slot] = None;
            if let Err(e) = page::free_pages(pa, order) {
                log::error!("heap: returning block {pa:#x} to the buddy allocator failed: {e}");
            }
        }
    }
}

#[global_allocator]
static HEAP: KernelHeap =
    KernelHeap(Mutex::new(Regions { r: [const { None }; MAX_REGIONS], grow_failures: 0, bad_frees: 0 }));

/// Hands the early arena to the allocator. Call once, first thing.
pub fn init() {
    // SAFETY: called once at boot, before any allocation; the arena is only
    // ever used through the allocator afterwards.
    let heap = unsafe { Heap::new((&raw mut EARLY_ARENA) as *mut u8, EARLY_HEAP_SIZE) };
    HEAP.0.lock().r[0] = Some(Region { heap, order: None });
}

/// Heap counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    pub used: usize,
    pub free: usize,
    pub regions: usize,
    /// Pages taken from the buddy allocator.
    pub buddy_pages: usize,
    pub grow_failures: u64,
    pub bad_frees: u64,
}

pub fn stats() -> HeapStats {
    let regs = HEAP.0.lock();
    let mut s = HeapStats { grow_failures: regs.grow_failures, bad_frees: regs.bad_frees, ..Default::default() };
    for r in regs.r.iter().flatten() {
        s.used += r.heap.used();
        s.free += r.heap.free();
        s.regions += 1;
        s.buddy_pages += r.order.map_or(0, |o| 1 << o);
    }
    s
}

/// The early arena's (start, end) virtual addresses.
pub fn arena() -> (u64, u64) {
    let start = (&raw const EARLY_ARENA) as u64;
    (start, start + EARLY_HEAP_SIZE as u64)
}
