//! The early kernel heap: a `linked_list_allocator::Heap` behind a
//! `spin::Mutex`, over an arena in `.bss`. (The memory issue makes it grow
//! from buddy pages; until then this fixed arena is all there is, and
//! running out ends in the panic handler with a clear message.)

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;

/// Size of the early arena.
pub const EARLY_HEAP_SIZE: usize = 2 << 20;

#[repr(C, align(8192))]
struct Arena([u8; EARLY_HEAP_SIZE]);

static mut EARLY_ARENA: Arena = Arena([0; EARLY_HEAP_SIZE]);

struct KernelHeap(Mutex<Heap>);

unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.lock().allocate_first_fit(layout).map_or(ptr::null_mut(), |p| p.as_ptr())
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `p` came from `alloc` with `layout`.
        unsafe { self.0.lock().deallocate(NonNull::new_unchecked(p), layout) }
    }
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Mutex::new(Heap::empty()));

/// Hands the early arena to the allocator. Call once.
pub fn init() {
    // SAFETY: called once at boot, before any allocation; the arena is only
    // ever used through the allocator afterwards.
    unsafe {
        let start = (&raw mut EARLY_ARENA) as *mut u8;
        HEAP.0.lock().init(start, EARLY_HEAP_SIZE);
    }
}

/// (used, free) bytes.
pub fn usage() -> (usize, usize) {
    let h = HEAP.0.lock();
    (h.used(), h.free())
}

/// The arena's (start, end) virtual addresses.
pub fn arena() -> (u64, u64) {
    let start = (&raw const EARLY_ARENA) as u64;
    (start, start + EARLY_HEAP_SIZE as u64)
}
