//! A page source backed by host memory, for the tests: it checks every
//! block it takes back, counts what is outstanding, and injects failures.

use crate::PageSource;
use core::ptr::NonNull;
use std::alloc::{Layout, alloc, dealloc};
use std::collections::HashMap;
use std::fmt;

pub const PAGE: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockError {
    Injected,
    OverBudget,
    NotOurs,
    WrongOrder,
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "mock page source: {self:?}")
    }
}

pub struct Mock {
    /// Given address -> (host allocation, its layout, order).
    blocks: HashMap<usize, (*mut u8, Layout, u32)>,
    /// Refuse the next `fail_next` requests.
    pub fail_next: u32,
    /// Refuse requests beyond this many pages outstanding.
    pub budget_pages: usize,
    /// Hand out blocks 4 KiB off a `SLAB_SIZE` boundary.
    pub misalign: bool,
    pub allocs: u64,
    pub frees: u64,
    /// `free_block` calls with a block or order it did not give.
    pub bad_returns: u64,
}

impl Mock {
    pub fn new() -> Self {
        Mock {
            blocks: HashMap::new(),
            fail_next: 0,
            budget_pages: usize::MAX,
            misalign: false,
            allocs: 0,
            frees: 0,
            bad_returns: 0,
        }
    }

    /// Pages outstanding.
    pub fn pages(&self) -> usize {
        self.blocks.values().map(|&(_, _, o)| 1usize << o).sum()
    }

    pub fn outstanding(&self) -> usize {
        self.blocks.len()
    }
}

impl PageSource for Mock {
    type Error = MockError;
    const PAGE_SIZE: usize = PAGE;
    const MAX_ORDER: u32 = 10;

    fn alloc_block(&mut self, order: u32) -> Result<NonNull<u8>, MockError> {
        assert!(order <= Self::MAX_ORDER, "heap asked for order {order}");
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(MockError::Injected);
        }
        if self.pages() + (1 << order) > self.budget_pages {
            return Err(MockError::OverBudget);
        }
        let bytes = PAGE << order;
        let (layout, off) = if self.misalign {
            (Layout::from_size_align(bytes + PAGE, PAGE).unwrap(), PAGE / 2)
        } else {
            (Layout::from_size_align(bytes, bytes).unwrap(), 0)
        };
        // SAFETY: non-zero size.
        let base = unsafe { alloc(layout) };
        assert!(!base.is_null(), "host allocation failed");
        // Garbage, not zeroes: the heap must not rely on fresh memory.
        // SAFETY: `base` holds `layout.size()` bytes.
        unsafe { base.write_bytes(0xdb, layout.size()) };
        let given = base.wrapping_add(off);
        self.blocks.insert(given as usize, (base, layout, order));
        self.allocs += 1;
        Ok(NonNull::new(given).unwrap())
    }

    fn free_block(&mut self, block: NonNull<u8>, order: u32) -> Result<(), MockError> {
        let a = block.as_ptr() as usize;
        match self.blocks.get(&a) {
            None => {
                self.bad_returns += 1;
                Err(MockError::NotOurs)
            }
            Some(&(_, _, o)) if o != order => {
                self.bad_returns += 1;
                Err(MockError::WrongOrder)
            }
            Some(_) => {
                let (base, layout, _) = self.blocks.remove(&a).unwrap();
                // Poison: a heap that still uses the block shows up.
                // SAFETY: ours, given back.
                unsafe {
                    base.write_bytes(0x6b, layout.size());
                    dealloc(base, layout);
                }
                self.frees += 1;
                Ok(())
            }
        }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        for (_, (base, layout, _)) in self.blocks.drain() {
            // SAFETY: allocated in `alloc_block` with this layout.
            unsafe { dealloc(base, layout) };
        }
    }
}

/// Host memory aligned to `SLAB_SIZE`, for permanent regions.
pub struct HostArena {
    pub ptr: *mut u8,
    layout: Layout,
}

impl HostArena {
    pub fn new(bytes: usize) -> Self {
        let layout = Layout::from_size_align(bytes.max(1), PAGE).unwrap();
        // SAFETY: non-zero size.
        let ptr = unsafe { alloc(layout) };
        assert!(!ptr.is_null());
        // SAFETY: `ptr` holds `bytes` bytes.
        unsafe { ptr.write_bytes(0xa7, layout.size()) };
        HostArena { ptr, layout }
    }

    pub fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for HostArena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr, self.layout) };
    }
}

impl Mock {
    /// Whether `[a, a + len)` lies in one outstanding block.
    pub fn holds(&self, a: usize, len: usize) -> bool {
        self.blocks.iter().any(|(&b, &(_, _, o))| b <= a && a + len <= b + (PAGE << o))
    }
}
