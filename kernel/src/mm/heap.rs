//! The kernel heap: `crates/kheap` (size-class slabs in front of first-fit
//! regions; all the logic, host-tested) behind one `spin::Mutex`. This
//! file gives it memory: the early arena in `.bss` (usable before the page
//! allocator exists, never given back), and buddy blocks to grow by when
//! the regions are full (a grown block that becomes empty goes back to the
//! buddy allocator, so the heap holds pages only while it uses them).

use super::owner::Owner;
use super::page::{self, PageError};
use super::{PAGE_SIZE, PhysAddr, phys_ptr, virt_to_phys};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use kheap::{KHeap, PageSource};
use spin::Mutex;

/// Size of the early arena.
pub const EARLY_HEAP_SIZE: usize = 2 << 20;
/// The heap grows by at least this much at a time.
pub const GROW_MIN: u64 = 256 << 10;

#[repr(C, align(8192))]
struct Arena([u8; EARLY_HEAP_SIZE]);

static mut EARLY_ARENA: Arena = Arena([0; EARLY_HEAP_SIZE]);

/// The buddy allocator as the heap's page source. Blocks the heap gives
/// back are only queued here and returned by [`KernelHeap`] after it has
/// released the heap lock: `free_pages` may need the heap itself (DMA-API
/// debug records a free of still-mapped memory, which allocates), and a
/// spin lock taken twice would hang without a word.
struct Buddy {
    pending: [(PhysAddr, u32); PENDING],
    n: usize,
}

/// Blocks one heap operation can give back (a slab's region and at most a
/// few grown regions); more are returned at once, under the lock.
const PENDING: usize = 4;

impl Buddy {
    fn take_pending(&mut self) -> ([(PhysAddr, u32); PENDING], usize) {
        let r = (self.pending, self.n);
        self.n = 0;
        r
    }
}

fn return_block(pa: PhysAddr, order: u32) -> Result<(), PageError> {
    page::free_pages(pa, order).inspect_err(|e| {
        log::error!("heap: returning block {pa:#x} to the buddy allocator failed: {e}");
    })
}

impl PageSource for Buddy {
    type Error = PageError;
    const PAGE_SIZE: usize = PAGE_SIZE as usize;
    const MAX_ORDER: u32 = buddy::MAX_ORDER;

    fn alloc_block(&mut self, order: u32) -> Result<NonNull<u8>, PageError> {
        let pa = page::alloc_pages(order, false, Owner::HEAP)?;
        log::debug!("heap: grew by {} KiB at physical {pa:#x}", (PAGE_SIZE << order) >> 10);
        // SAFETY: KSEG addresses of memory are never null (KSEG is the top
        // of the address space).
        Ok(unsafe { NonNull::new_unchecked(phys_ptr(pa)) })
    }

    fn free_block(&mut self, block: NonNull<u8>, order: u32) -> Result<(), PageError> {
        let pa = virt_to_phys(block.as_ptr());
        if self.n < PENDING {
            self.pending[self.n] = (pa, order);
            self.n += 1;
            Ok(())
        } else {
            return_block(pa, order)
        }
    }
}

struct KernelHeap(Mutex<KHeap<Buddy>>);

#[global_allocator]
static HEAP: KernelHeap =
    KernelHeap(Mutex::new(KHeap::new(Buddy { pending: [(PhysAddr::ZERO, 0); PENDING], n: 0 }, GROW_MIN as usize)));

impl KernelHeap {
    /// Returns the blocks the last operation gave back (lock released).
    fn return_pending(&self, pending: ([(PhysAddr, u32); PENDING], usize)) {
        for &(pa, order) in &pending.0[..pending.1] {
            let _ = return_block(pa, order);
        }
    }
}

// SAFETY: `kheap` hands out blocks of at least the layout's size and
// alignment that no other live block overlaps, and takes back only blocks
// it handed out (it checks and refuses others); one lock serialises it.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let r = self.0.lock().alloc(layout);
        match r {
            Ok(p) => p.as_ptr(),
            Err(e) => {
                log::debug!("heap: cannot grow for {} bytes (align {}): {e}", layout.size(), layout.align());
                ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `p` came from `alloc` with
        // `layout`; the heap checks what it can and refuses the rest.
        let (r, pending) = {
            let mut h = self.0.lock();
            let r = unsafe { h.free(p, layout) };
            (r, h.source_mut().take_pending())
        };
        self.return_pending(pending);
        if let Err(e) = r {
            // Logged with the lock released (the logger does not allocate,
            // but what it formats might).
            log::error!("heap: free of {p:p} ({} bytes, align {}) refused: {e}; ignored", layout.size(), layout.align());
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Same size class: nothing to do, not even a lock.
        if KHeap::<Buddy>::realloc_in_place(layout, new_size) {
            return p;
        }
        // SAFETY: GlobalAlloc's contract.
        let (r, pending) = {
            let mut h = self.0.lock();
            let r = unsafe { h.realloc(p, layout, new_size) };
            (r, h.source_mut().take_pending())
        };
        self.return_pending(pending);
        match r {
            Ok(q) => q.as_ptr(),
            Err(e) => {
                log::debug!("heap: cannot grow for {new_size} bytes (align {}): {e}", layout.align());
                ptr::null_mut()
            }
        }
    }
}

/// Hands the early arena to the allocator. Call once, first thing.
pub fn init() {
    // SAFETY: called once at boot, before any allocation; the arena is only
    // ever used through the allocator afterwards.
    let r = unsafe { HEAP.0.lock().add_region((&raw mut EARLY_ARENA) as *mut u8, EARLY_HEAP_SIZE) };
    if let Err(e) = r {
        log::error!("heap: cannot add the early arena: {e:?}");
    }
}

/// Heap counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes handed out (slab objects at their class size).
    pub used: usize,
    /// Bytes that can be handed out without growing.
    pub free: usize,
    pub regions: usize,
    /// Pages taken from the buddy allocator.
    pub buddy_pages: usize,
    pub grow_failures: u64,
    /// Frees refused (double frees included).
    pub bad_frees: u64,
    pub double_frees: u64,
    /// Slabs (8 KiB each), all size classes.
    pub slabs: usize,
    /// Slab free lists found corrupted (a write after free) and rebuilt.
    pub corrupt_free_lists: u64,
    /// Per size class: object size, slabs, live objects, capacity.
    pub classes: [kheap::ClassStats; kheap::NCLASSES],
}

pub fn stats() -> HeapStats {
    let s = HEAP.0.lock().stats();
    HeapStats {
        used: s.used,
        free: s.free,
        regions: s.regions,
        buddy_pages: s.source_pages,
        grow_failures: s.grow_failures,
        bad_frees: s.bad_frees,
        double_frees: s.double_frees,
        slabs: s.slabs,
        corrupt_free_lists: s.corrupt_free_lists,
        classes: s.classes,
    }
}

/// The early arena's (start, end) virtual addresses.
pub fn arena() -> (u64, u64) {
    let start = (&raw const EARLY_ARENA) as u64;
    (start, start + EARLY_HEAP_SIZE as u64)
}
