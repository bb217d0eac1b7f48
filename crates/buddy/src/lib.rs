//! A binary buddy page allocator, modelled on Linux's `mm/page_alloc.c`.
//!
//! # The idea
//!
//! Physical memory is handed out in *blocks* of `2^order` contiguous page
//! frames, for `order` in `0..=MAX_ORDER` (8 KiB .. 8 MiB with the 8 KiB
//! Alpha page). A block of order `k` always starts at a page frame number
//! (pfn) that is a multiple of `2^k` — in *absolute* pfn terms, exactly like
//! Linux, so a block's physical address is naturally aligned to its size even
//! when the managed span starts at an odd pfn.
//!
//! Every block of order `k < MAX_ORDER` has exactly one *buddy*: the other
//! half of the order-`k + 1` block that contains it. Its pfn is found in O(1)
//! by flipping bit `k` (Linux `__find_buddy_pfn`):
//!
//! ```text
//! buddy_pfn = pfn ^ (1 << order)
//! ```
//!
//! * **Allocation** ([`BuddyAllocator::alloc`], Linux `__rmqueue_smallest`)
//!   takes a block from the smallest non-empty free list of order `>= order`
//!   and, if that block is too big, splits it: the upper halves go back on the
//!   free lists of decreasing order (Linux `expand`).
//! * **Freeing** ([`BuddyAllocator::free`], Linux `__free_one_page`) looks at
//!   the buddy of the block; if the buddy is free *and of the same order*, it
//!   is taken off its free list and the two are merged into one block of the
//!   next order, and so on up to `MAX_ORDER`. The allocator therefore keeps
//!   *complete coalescing*: there are never two free buddies of the same order.
//!
//! # Per-frame metadata (`struct page`)
//!
//! Linux keeps a `struct page` per frame; here the caller provides a slice of
//! small [`FrameMeta`] entries (12 bytes, one per frame of the managed span),
//! typically carved out of memblock before any heap exists. Free lists are
//! *intrusive* doubly linked lists threaded through that metadata (the
//! `prev`/`next` links are `u32` frame indices), so insertion and removal are
//! O(1) and the free pages themselves are **never touched** — the allocator
//! neither reads nor writes page contents. Consequently [`BuddyAllocator::alloc`]
//! returns frames whose contents are *unspecified*; zeroing (`__GFP_ZERO`) is
//! the caller's business.
//!
//! Each frame's metadata is in one of four states:
//!
//! | state       | meaning                                                   | Linux analogue            |
//! |-------------|-----------------------------------------------------------|---------------------------|
//! | unmanaged   | never given to the allocator (hole, reserved memory)      | `PageReserved`            |
//! | free head   | first frame of a free block, on the free list of `order`  | `PageBuddy` + `buddy_order` |
//! | allocated head | first frame of an allocated block of `order`           | head page, `page->private`|
//! | tail        | any other managed frame (inside a free or allocated block)| tail page                 |
//!
//! Only heads carry an order, so alloc/free only update O(`MAX_ORDER`)
//! entries. Errors such as "this pfn lies inside an allocated block" are
//! detected by probing the (at most `MAX_ORDER`) aligned candidate heads.
//!
//! # Errors, not panics
//!
//! Every operation validates its arguments first and returns a typed
//! [`BuddyError`] (with a human-readable `Display`) *before* changing any
//! state, so a bad `free` — double free, wrong order, a pfn the allocator
//! never handed out — leaves the allocator exactly as it was.
//!
//! # Example
//!
//! ```
//! use buddy::{BuddyAllocator, FrameMeta};
//!
//! // 64 frames starting at pfn 0x1003 (deliberately unaligned).
//! let mut meta = [FrameMeta::UNMANAGED; 64];
//! let mut buddy = BuddyAllocator::new(0x1003, &mut meta).unwrap();
//! buddy.add_free_range(0x1003, 0x1003 + 64).unwrap();
//! assert_eq!(buddy.free_pages(), 64);
//!
//! let pfn = buddy.alloc(2).unwrap(); // 4 contiguous frames
//! assert_eq!(pfn % 4, 0);            // naturally aligned
//! buddy.free(pfn, 2).unwrap();
//! assert!(buddy.free(pfn, 2).is_err()); // double free is detected
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// log2 of the page size: Alpha pages are 8 KiB.
pub const PAGE_SHIFT: u32 = 13;
/// Size of a page frame in bytes (8 KiB).
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// Largest block order, inclusive (Linux ≥ 6.4 `MAX_PAGE_ORDER` semantics):
/// blocks of `2^10` frames = 8 MiB.
pub const MAX_ORDER: u32 = 10;
/// Number of distinct orders (and free lists): `0..=MAX_ORDER`.
pub const NR_ORDERS: usize = MAX_ORDER as usize + 1;
/// Frames in a block of order `MAX_ORDER` (Linux `MAX_ORDER_NR_PAGES`).
pub const MAX_ORDER_NR_PAGES: usize = 1 << MAX_ORDER;
/// Largest number of frames one allocator can manage: free-list links are
/// `u32` frame indices and `u32::MAX` is the end-of-list marker.
pub const MAX_FRAMES: usize = u32::MAX as usize;

/// End-of-list marker for the intrusive free-list links.
const NIL: u32 = u32::MAX;

// Frame states stored in `FrameMeta::state`. Plain integers (not a Rust enum)
// so that *every* bit pattern is a valid `FrameMeta`: the kernel may build the
// metadata slice over raw memblock memory. `BuddyAllocator::new` overwrites it.
const UNMANAGED: u8 = 0;
const TAIL: u8 = 1;
const FREE_HEAD: u8 = 2;
const ALLOC_HEAD: u8 = 3;

/// Per-frame metadata: this crate's small `struct page`.
///
/// One entry per frame of the managed span, provided by the caller as a
/// slice. The contents are private to the allocator; [`BuddyAllocator::new`]
/// initialises every entry, so the caller may hand over a slice with any
/// contents (e.g. `[FrameMeta::UNMANAGED; N]` or zeroed memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct FrameMeta {
    /// Previous free block of the same order (frame index), or `NIL`.
    prev: u32,
    /// Next free block of the same order (frame index), or `NIL`.
    next: u32,
    /// One of `UNMANAGED`, `TAIL`, `FREE_HEAD`, `ALLOC_HEAD`.
    state: u8,
    /// Block order; meaningful for heads only.
    order: u8,
}

const _: () = assert!(core::mem::size_of::<FrameMeta>() == 12);

impl FrameMeta {
    /// Metadata of a frame the allocator does not manage (a hole).
    pub const UNMANAGED: FrameMeta = FrameMeta {
        prev: NIL,
        next: NIL,
        state: UNMANAGED,
        order: 0,
    };

    const TAIL: FrameMeta = FrameMeta {
        prev: NIL,
        next: NIL,
        state: TAIL,
        order: 0,
    };

    #[inline]
    fn is_head(&self, state: u8, order: u32) -> bool {
        self.state == state && u32::from(self.order) == order
    }
}

impl Default for FrameMeta {
    fn default() -> Self {
        FrameMeta::UNMANAGED
    }
}

/// An error from the buddy allocator. The allocator state is unchanged
/// whenever one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuddyError {
    /// [`BuddyAllocator::new`]: the span is too large (more than
    /// [`MAX_FRAMES`] frames) or `base_pfn + frames` overflows.
    InvalidSpan {
        /// Requested first pfn.
        base_pfn: usize,
        /// Requested number of frames (length of the metadata slice).
        frames: usize,
    },
    /// [`BuddyAllocator::add_free_range`]: `start_pfn > end_pfn`.
    InvalidRange {
        /// First pfn of the range.
        start_pfn: usize,
        /// One past the last pfn of the range.
        end_pfn: usize,
    },
    /// [`BuddyAllocator::add_free_range`]: the range is not inside the span
    /// covered by the metadata slice.
    RangeOutOfSpan {
        /// First pfn of the range.
        start_pfn: usize,
        /// One past the last pfn of the range.
        end_pfn: usize,
        /// First pfn of the managed span.
        span_start: usize,
        /// One past the last pfn of the managed span.
        span_end: usize,
    },
    /// [`BuddyAllocator::add_free_range`]: a frame of the range was already
    /// given to the allocator (overlapping or repeated range).
    AlreadyManaged {
        /// The lowest already-managed pfn in the range.
        pfn: usize,
    },
    /// An order greater than [`MAX_ORDER`].
    InvalidOrder {
        /// The offending order.
        order: u32,
    },
    /// [`BuddyAllocator::alloc`]: no free block of the requested order or
    /// larger.
    OutOfMemory {
        /// The requested order.
        order: u32,
    },
    /// [`BuddyAllocator::free`] or [`BuddyAllocator::alloc_at`]: the pfn is
    /// outside the managed span.
    OutOfRange {
        /// The pfn passed.
        pfn: usize,
        /// First pfn of the managed span.
        span_start: usize,
        /// One past the last pfn of the managed span.
        span_end: usize,
    },
    /// [`BuddyAllocator::free`] or [`BuddyAllocator::alloc_at`]: the pfn
    /// was never given to the allocator (a hole or reserved memory).
    NotManaged {
        /// The pfn passed.
        pfn: usize,
    },
    /// [`BuddyAllocator::alloc_at`]: the pfn is not a multiple of
    /// `2^order`, so no block of that order starts there.
    Misaligned {
        /// The pfn passed.
        pfn: usize,
        /// The order passed.
        order: u32,
    },
    /// [`BuddyAllocator::alloc_at`]: the block of `2^order` frames at `pfn`
    /// is not all free (some frame is allocated, or not managed).
    NotFree {
        /// The pfn passed.
        pfn: usize,
        /// The order passed.
        order: u32,
    },
    /// [`BuddyAllocator::free`]: the pfn is currently free (freed twice, or
    /// never allocated).
    DoubleFree {
        /// The pfn passed to `free`.
        pfn: usize,
        /// The order passed to `free`.
        order: u32,
    },
    /// [`BuddyAllocator::free`]: the pfn is the head of an allocated block,
    /// but of another order.
    WrongOrder {
        /// The pfn passed to `free`.
        pfn: usize,
        /// The order passed to `free`.
        order: u32,
        /// The order the block was allocated with.
        allocated_order: u32,
    },
    /// [`BuddyAllocator::free`]: the pfn lies inside an allocated block but is
    /// not its first frame.
    NotBlockHead {
        /// The pfn passed to `free`.
        pfn: usize,
        /// The order passed to `free`.
        order: u32,
        /// First pfn of the allocated block containing `pfn`.
        head_pfn: usize,
        /// Order of that block.
        head_order: u32,
    },
}

impl fmt::Display for BuddyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BuddyError::InvalidSpan { base_pfn, frames } => write!(
                f,
                "cannot manage {frames} frames at pfn {base_pfn:#x}: \
                 more than {MAX_FRAMES} frames or the pfn range overflows"
            ),
            BuddyError::InvalidRange { start_pfn, end_pfn } => write!(
                f,
                "invalid pfn range [{start_pfn:#x}, {end_pfn:#x}): start is after end"
            ),
            BuddyError::RangeOutOfSpan {
                start_pfn,
                end_pfn,
                span_start,
                span_end,
            } => write!(
                f,
                "pfn range [{start_pfn:#x}, {end_pfn:#x}) is outside the span \
                 [{span_start:#x}, {span_end:#x}) covered by the frame metadata"
            ),
            BuddyError::AlreadyManaged { pfn } => write!(
                f,
                "pfn {pfn:#x} is already managed by the buddy allocator (overlapping free range)"
            ),
            BuddyError::InvalidOrder { order } => {
                write!(f, "invalid order {order} (MAX_ORDER is {MAX_ORDER})")
            }
            BuddyError::OutOfMemory { order } => write!(
                f,
                "out of memory: no free block of order {order} or larger"
            ),
            BuddyError::OutOfRange {
                pfn,
                span_start,
                span_end,
            } => write!(
                f,
                "pfn {pfn:#x} is outside the managed span [{span_start:#x}, {span_end:#x})"
            ),
            BuddyError::NotManaged { pfn } => write!(
                f,
                "pfn {pfn:#x} is not managed (a hole or reserved memory)"
            ),
            BuddyError::Misaligned { pfn, order } => write!(
                f,
                "pfn {pfn:#x} is not aligned to an order-{order} block ({} frames)",
                1usize << order
            ),
            BuddyError::NotFree { pfn, order } => write!(
                f,
                "the order-{order} block at pfn {pfn:#x} is not all free"
            ),
            BuddyError::DoubleFree { pfn, order } => {
                write!(f, "double free of pfn {pfn:#x} (order {order})")
            }
            BuddyError::WrongOrder {
                pfn,
                order,
                allocated_order,
            } => write!(
                f,
                "free of pfn {pfn:#x} with order {order}, \
                 but it was allocated with order {allocated_order}"
            ),
            BuddyError::NotBlockHead {
                pfn,
                order,
                head_pfn,
                head_order,
            } => write!(
                f,
                "free of pfn {pfn:#x} (order {order}), which is not the head of an allocated \
                 block: it lies inside the order-{head_order} block at pfn {head_pfn:#x}"
            ),
        }
    }
}

impl core::error::Error for BuddyError {}

/// One free list (Linux `struct free_area`, without migrate types).
#[derive(Clone, Copy, Debug)]
struct FreeArea {
    /// Frame index of the first free block, or `NIL`.
    head: u32,
    /// Number of free blocks on the list (`nr_free`).
    nr_free: usize,
}

/// A binary buddy allocator over the frames `[base_pfn, base_pfn + meta.len())`.
///
/// See the [crate documentation](crate) for the algorithm. All pfns in the
/// API are absolute page frame numbers (physical address `>> PAGE_SHIFT`).
pub struct BuddyAllocator<'a> {
    /// First pfn covered by `meta`.
    base_pfn: usize,
    /// One entry per frame of the span; `meta[i]` describes `base_pfn + i`.
    meta: &'a mut [FrameMeta],
    /// The free lists, one per order (Linux `zone->free_area`).
    free_area: [FreeArea; NR_ORDERS],
    /// Frames handed to the allocator by `add_free_range`.
    managed_pages: usize,
    /// Frames currently on a free list.
    free_pages: usize,
}

impl fmt::Debug for BuddyAllocator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut nr_free = [0usize; NR_ORDERS];
        for (n, area) in nr_free.iter_mut().zip(&self.free_area) {
            *n = area.nr_free;
        }
        f.debug_struct("BuddyAllocator")
            .field("base_pfn", &format_args!("{:#x}", self.base_pfn))
            .field("end_pfn", &format_args!("{:#x}", self.end_pfn()))
            .field("managed_pages", &self.managed_pages)
            .field("free_pages", &self.free_pages)
            .field("nr_free", &nr_free)
            .finish()
    }
}

impl<'a> BuddyAllocator<'a> {
    /// Creates an allocator for the span `[base_pfn, base_pfn + meta.len())`.
    ///
    /// Every frame starts *not managed*: nothing can be allocated until
    /// frames are handed over with [`add_free_range`](Self::add_free_range).
    /// All of `meta` is (re)initialised, in O(`meta.len()`).
    ///
    /// `base_pfn` need not be aligned: blocks are aligned in absolute pfn
    /// terms, so the frames just after an unaligned base simply form smaller
    /// blocks.
    ///
    /// # Errors
    ///
    /// [`BuddyError::InvalidSpan`] if `meta.len() > MAX_FRAMES` or the span
    /// end overflows `usize`.
    pub fn new(base_pfn: usize, meta: &'a mut [FrameMeta]) -> Result<Self, BuddyError> {
        let frames = meta.len();
        if frames > MAX_FRAMES || base_pfn.checked_add(frames).is_none() {
            return Err(BuddyError::InvalidSpan { base_pfn, frames });
        }
        meta.fill(FrameMeta::UNMANAGED);
        Ok(BuddyAllocator {
            base_pfn,
            meta,
            free_area: [FreeArea {
                head: NIL,
                nr_free: 0,
            }; NR_ORDERS],
            managed_pages: 0,
            free_pages: 0,
        })
    }

    /// First pfn of the span covered by the metadata.
    pub fn base_pfn(&self) -> usize {
        self.base_pfn
    }

    /// One past the last pfn of the span covered by the metadata.
    pub fn end_pfn(&self) -> usize {
        self.base_pfn + self.meta.len()
    }

    /// Hands the frames `[start_pfn, end_pfn)` to the allocator as free memory
    /// (Linux `memblock_free_all` → `__free_pages_memory`).
    ///
    /// The range is cut into maximal naturally aligned blocks (at most
    /// `MAX_ORDER`), and each is freed like a normal free, so it coalesces
    /// with free neighbours given by earlier calls. Frames never added stay
    /// unusable: holes and reserved memory. An empty range is a no-op.
    ///
    /// # Errors
    ///
    /// * [`BuddyError::InvalidRange`] if `start_pfn > end_pfn`;
    /// * [`BuddyError::RangeOutOfSpan`] if the range is not inside the span;
    /// * [`BuddyError::AlreadyManaged`] if any frame of it was already added.
    pub fn add_free_range(&mut self, start_pfn: usize, end_pfn: usize) -> Result<(), BuddyError> {
        if start_pfn > end_pfn {
            return Err(BuddyError::InvalidRange { start_pfn, end_pfn });
        }
        if start_pfn < self.base_pfn || end_pfn > self.end_pfn() {
            return Err(BuddyError::RangeOutOfSpan {
                start_pfn,
                end_pfn,
                span_start: self.base_pfn,
                span_end: self.end_pfn(),
            });
        }
        let (first, last) = (start_pfn - self.base_pfn, end_pfn - self.base_pfn);
        if let Some(i) = self.meta[first..last]
            .iter()
            .position(|m| m.state != UNMANAGED)
        {
            return Err(BuddyError::AlreadyManaged { pfn: start_pfn + i });
        }

        // Validated: from here on nothing can fail.
        self.meta[first..last].fill(FrameMeta::TAIL);
        self.managed_pages += last - first;

        let mut pfn = start_pfn;
        while pfn < end_pfn {
            // The largest order allowed by pfn's alignment (pfn 0 is aligned
            // to everything) ...
            let mut order = pfn.trailing_zeros().min(MAX_ORDER);
            // ... and by the remaining length.
            while end_pfn - pfn < 1 << order {
                order -= 1;
            }
            self.free_one_block(pfn, order);
            pfn += 1 << order;
        }
        Ok(())
    }

    /// Allocates a block of `2^order` contiguous frames and returns its first
    /// pfn, which is a multiple of `2^order`.
    ///
    /// Takes the first block of the smallest non-empty free list of order
    /// `>= order` and splits off the unused upper halves (Linux
    /// `__rmqueue_smallest` + `expand`). O(`MAX_ORDER`).
    ///
    /// The contents of the returned frames are **unspecified**: the allocator
    /// never touches page memory, zeroing is up to the caller.
    ///
    /// # Errors
    ///
    /// [`BuddyError::InvalidOrder`] if `order > MAX_ORDER`,
    /// [`BuddyError::OutOfMemory`] if no block of order `>= order` is free.
    pub fn alloc(&mut self, order: u32) -> Result<usize, BuddyError> {
        if order > MAX_ORDER {
            return Err(BuddyError::InvalidOrder { order });
        }
        for current in order..=MAX_ORDER {
            let head = self.free_area[current as usize].head;
            if head == NIL {
                continue;
            }
            let idx = head as usize;
            self.list_del(idx, current);
            self.expand(idx, order, current);
            self.meta[idx] = FrameMeta {
                prev: NIL,
                next: NIL,
                state: ALLOC_HEAD,
                order: order as u8,
            };
            return Ok(self.base_pfn + idx);
        }
        Err(BuddyError::OutOfMemory { order })
    }

    /// Allocates the particular block of `2^order` frames starting at `pfn`
    /// (which must be a multiple of `2^order`), if all of it is free.
    ///
    /// With complete coalescing, a free aligned block lies inside exactly
    /// one free block of order `>= order`; that block is taken off its list
    /// and split down to the requested one, the halves that do not hold it
    /// going back on the free lists of decreasing order (what Linux's
    /// `take_page_off_buddy` does for one page). O(`MAX_ORDER`). The block
    /// is freed as any other, with [`free(pfn, order)`](Self::free).
    ///
    /// # Errors
    ///
    /// Checked before anything is changed, in this order:
    ///
    /// * [`BuddyError::InvalidOrder`]: `order > MAX_ORDER`;
    /// * [`BuddyError::OutOfRange`]: `pfn` outside the span;
    /// * [`BuddyError::Misaligned`]: `pfn` not a multiple of `2^order`;
    /// * [`BuddyError::NotManaged`]: `pfn` is a hole / reserved frame;
    /// * [`BuddyError::NotFree`]: some frame of the block is allocated or
    ///   not managed (or lies past the span).
    pub fn alloc_at(&mut self, pfn: usize, order: u32) -> Result<(), BuddyError> {
        let idx = self.checked_index(pfn, order)?;
        if pfn & ((1usize << order) - 1) != 0 {
            return Err(BuddyError::Misaligned { pfn, order });
        }
        let meta = self.meta[idx];
        // The free block holding `pfn`: (head pfn, its order).
        let holder = match meta.state {
            UNMANAGED => return Err(BuddyError::NotManaged { pfn }),
            FREE_HEAD => Some((pfn, u32::from(meta.order))),
            TAIL => match self.find_head(pfn) {
                Some((head, k, FREE_HEAD)) => Some((head, k)),
                _ => None,
            },
            _ => None,
        };
        // Both aligned: a free block of order >= `order` holding `pfn`
        // holds the whole requested block.
        let Some((mut head, mut k)) = holder.filter(|&(_, k)| k >= order) else {
            return Err(BuddyError::NotFree { pfn, order });
        };

        // Validated: take the holder off its list and split it down.
        self.list_del(head - self.base_pfn, k);
        while k > order {
            k -= 1;
            let upper = head + (1 << k);
            if pfn >= upper {
                self.list_add(head - self.base_pfn, k);
                head = upper;
            } else {
                self.list_add(upper - self.base_pfn, k);
            }
        }
        debug_assert_eq!(head, pfn);
        self.meta[idx] = FrameMeta {
            prev: NIL,
            next: NIL,
            state: ALLOC_HEAD,
            order: order as u8,
        };
        Ok(())
    }

    /// Returns the block of `2^order` frames starting at `pfn`, previously
    /// returned by [`alloc(order)`](Self::alloc) or
    /// [`alloc_at(pfn, order)`](Self::alloc_at), to the allocator, merging
    /// it with its free buddies up to `MAX_ORDER` (Linux `__free_one_page`).
    ///
    /// # Errors
    ///
    /// Checked before anything is changed; on error the state is untouched:
    ///
    /// * [`BuddyError::InvalidOrder`]: `order > MAX_ORDER`;
    /// * [`BuddyError::OutOfRange`]: `pfn` outside the span;
    /// * [`BuddyError::NotManaged`]: `pfn` is a hole / reserved frame;
    /// * [`BuddyError::DoubleFree`]: `pfn` is currently free;
    /// * [`BuddyError::WrongOrder`]: `pfn` heads a block of another order;
    /// * [`BuddyError::NotBlockHead`]: `pfn` is inside an allocated block.
    pub fn free(&mut self, pfn: usize, order: u32) -> Result<(), BuddyError> {
        let idx = self.checked_index(pfn, order)?;
        let meta = self.meta[idx];
        match meta.state {
            ALLOC_HEAD if u32::from(meta.order) == order => {}
            ALLOC_HEAD => {
                return Err(BuddyError::WrongOrder {
                    pfn,
                    order,
                    allocated_order: meta.order.into(),
                });
            }
            FREE_HEAD => return Err(BuddyError::DoubleFree { pfn, order }),
            TAIL => {
                return Err(match self.find_head(pfn) {
                    Some((_, _, FREE_HEAD)) => BuddyError::DoubleFree { pfn, order },
                    Some((head_pfn, head_order, _)) => BuddyError::NotBlockHead {
                        pfn,
                        order,
                        head_pfn,
                        head_order,
                    },
                    // Unreachable while the metadata is consistent: every
                    // tail lies inside some block.
                    None => BuddyError::NotManaged { pfn },
                });
            }
            _ => return Err(BuddyError::NotManaged { pfn }),
        }

        // Validated. The head becomes an ordinary tail frame until the merge
        // loop decides where the (possibly larger) free block starts.
        self.meta[idx] = FrameMeta::TAIL;
        self.free_one_block(pfn, order);
        Ok(())
    }

    /// Number of free blocks of `order` (Linux `free_area[order].nr_free`);
    /// 0 for an order above `MAX_ORDER`.
    pub fn free_count(&self, order: u32) -> usize {
        self.free_area
            .get(order as usize)
            .map_or(0, |area| area.nr_free)
    }

    /// Total number of free frames (`NR_FREE_PAGES`).
    pub fn free_pages(&self) -> usize {
        self.free_pages
    }

    /// Free frames counted by walking every free list (not from the
    /// `free_pages` counter), for reconciliations that must not trust the
    /// counter. A list longer than the managed span (a corrupt link) stops
    /// the walk there, so the result is always finite.
    pub fn count_free_by_walking(&self) -> usize {
        let mut pages = 0;
        for order in 0..=MAX_ORDER {
            let blocks = self.free_blocks(order).take(self.managed_pages + 1).count();
            pages += blocks << order;
        }
        pages
    }

    /// Number of frames handed to the allocator with
    /// [`add_free_range`](Self::add_free_range) (`zone->managed_pages`).
    pub fn managed_pages(&self) -> usize {
        self.managed_pages
    }

    /// Number of managed frames currently allocated.
    pub fn allocated_pages(&self) -> usize {
        self.managed_pages - self.free_pages
    }

    /// The largest order with a free block, or `None` if nothing is free.
    /// An `alloc(order)` succeeds exactly when `order <=` this.
    pub fn largest_free_order(&self) -> Option<u32> {
        (0..=MAX_ORDER)
            .rev()
            .find(|&order| self.free_area[order as usize].nr_free != 0)
    }

    /// The first pfns of the free blocks of `order`, in free-list order
    /// (empty for an order above `MAX_ORDER`). Handy for debugging dumps.
    pub fn free_blocks(&self, order: u32) -> FreeBlocks<'_> {
        FreeBlocks {
            meta: self.meta,
            base_pfn: self.base_pfn,
            next: self.free_area.get(order as usize).map_or(NIL, |a| a.head),
        }
    }

    /// The block (free or allocated) that frame `pfn` belongs to, or `None`
    /// for a frame the allocator does not manage (a hole, reserved memory)
    /// or outside the span. O(`MAX_ORDER`): a head answers at once, a tail
    /// probes its aligned candidate heads. For pictures of memory that walk
    /// the span block by block (`crates/memmap`, the kernel's `/memory`).
    pub fn block_at(&self, pfn: usize) -> Option<BlockInfo> {
        let meta = self.meta[self.index_of(pfn)?];
        let (head_pfn, order, state) = match meta.state {
            FREE_HEAD | ALLOC_HEAD => (pfn, u32::from(meta.order), meta.state),
            TAIL => self.find_head(pfn)?,
            _ => return None,
        };
        Some(BlockInfo {
            head_pfn,
            order,
            free: state == FREE_HEAD,
        })
    }

    /// Writes one line in the format of Linux's `/proc/buddyinfo`: the
    /// number of free blocks of each order, 0 to `MAX_ORDER`.
    ///
    /// ```text
    /// Node 0, zone   Normal      1      0      2      0      0      0      0      0      0      0      3 
    /// ```
    pub fn buddyinfo(&self, w: &mut impl fmt::Write) -> fmt::Result {
        write!(w, "Node 0, zone {:>8} ", "Normal")?;
        for area in &self.free_area {
            write!(w, "{:6} ", area.nr_free)?;
        }
        writeln!(w)
    }

    // ------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------

    /// Index into `meta` of `pfn`, if it lies inside the span.
    #[inline]
    /// The frame index of `pfn` for an operation on a block of `order`:
    /// the checks [`alloc_at`](Self::alloc_at) and [`free`](Self::free)
    /// make first (`InvalidOrder`, then `OutOfRange`).
    fn checked_index(&self, pfn: usize, order: u32) -> Result<usize, BuddyError> {
        if order > MAX_ORDER {
            return Err(BuddyError::InvalidOrder { order });
        }
        self.index_of(pfn).ok_or(BuddyError::OutOfRange { pfn, span_start: self.base_pfn, span_end: self.end_pfn() })
    }

    fn index_of(&self, pfn: usize) -> Option<usize> {
        pfn.checked_sub(self.base_pfn)
            .filter(|&idx| idx < self.meta.len())
    }

    /// Puts the block at frame index `idx` on the free list of `order`
    /// (at the front, Linux `list_add`) and marks its head `FREE_HEAD`.
    fn list_add(&mut self, idx: usize, order: u32) {
        let area = &mut self.free_area[order as usize];
        let old_head = area.head;
        self.meta[idx] = FrameMeta {
            prev: NIL,
            next: old_head,
            state: FREE_HEAD,
            order: order as u8,
        };
        if old_head != NIL {
            self.meta[old_head as usize].prev = idx as u32;
        }
        area.head = idx as u32;
        area.nr_free += 1;
        self.free_pages += 1 << order;
    }

    /// Takes the free block at frame index `idx` off the free list of
    /// `order`; its head becomes an ordinary `TAIL` frame (the caller
    /// re-labels it if it remains a head).
    fn list_del(&mut self, idx: usize, order: u32) {
        let FrameMeta { prev, next, .. } = self.meta[idx];
        if prev != NIL {
            self.meta[prev as usize].next = next;
        } else {
            self.free_area[order as usize].head = next;
        }
        if next != NIL {
            self.meta[next as usize].prev = prev;
        }
        self.meta[idx] = FrameMeta::TAIL;
        let area = &mut self.free_area[order as usize];
        area.nr_free -= 1;
        self.free_pages -= 1 << order;
    }

    /// Linux `expand`: the block at `idx` of order `high` was taken off its
    /// list to satisfy a request of order `low`; give back the upper halves,
    /// one block each of order `high - 1`, `high - 2`, ..., `low`.
    fn expand(&mut self, idx: usize, low: u32, mut high: u32) {
        while high > low {
            high -= 1;
            self.list_add(idx + (1 << high), high);
        }
    }

    /// Linux `__free_one_page`: frees the block at `pfn` of `order`, whose
    /// frames are all `TAIL` and on no list, merging with free buddies.
    fn free_one_block(&mut self, mut pfn: usize, mut order: u32) {
        while order < MAX_ORDER {
            let buddy_pfn = pfn ^ (1 << order); // __find_buddy_pfn
            // page_is_buddy(): the buddy must exist, be free, and be a whole
            // block of exactly this order (not part of a bigger or smaller one).
            let Some(buddy_idx) = self.index_of(buddy_pfn) else {
                break;
            };
            if !self.meta[buddy_idx].is_head(FREE_HEAD, order) {
                break;
            }
            self.list_del(buddy_idx, order);
            pfn &= buddy_pfn; // the combined block starts at the lower of the two
            order += 1;
        }
        let idx = pfn - self.base_pfn;
        self.list_add(idx, order);
    }

    /// Finds the block (free or allocated) containing the `TAIL` frame `pfn`:
    /// returns `(head_pfn, head_order, head_state)`.
    ///
    /// The block containing `pfn` with order `k` starts at
    /// `pfn & !(2^k - 1)`, so probing the `MAX_ORDER` candidates from the
    /// smallest up finds it: a candidate that is a head of order `>= k`
    /// covers `pfn`.
    fn find_head(&self, pfn: usize) -> Option<(usize, u32, u8)> {
        (1..=MAX_ORDER).find_map(|k| {
            let head = pfn & !((1usize << k) - 1);
            let meta = self.meta[self.index_of(head)?];
            let is_head = meta.state == FREE_HEAD || meta.state == ALLOC_HEAD;
            (is_head && u32::from(meta.order) >= k).then_some((
                head,
                u32::from(meta.order),
                meta.state,
            ))
        })
    }
}

/// What [`BuddyAllocator::block_at`] found: the block holding a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's first frame.
    pub head_pfn: usize,
    /// The block holds `2^order` frames.
    pub order: u32,
    /// On a free list (else handed out by [`BuddyAllocator::alloc`]).
    pub free: bool,
}

/// Iterator over the first pfns of the free blocks of one order, returned by
/// [`BuddyAllocator::free_blocks`].
#[derive(Clone)]
pub struct FreeBlocks<'b> {
    meta: &'b [FrameMeta],
    base_pfn: usize,
    next: u32,
}

impl fmt::Debug for FreeBlocks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the whole metadata slice: just where the walk stands.
        let next = (self.next != NIL).then(|| self.base_pfn + self.next as usize);
        f.debug_struct("FreeBlocks").field("next_pfn", &next).finish()
    }
}

impl Iterator for FreeBlocks<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let idx = self.next;
        let meta = self.meta.get(idx as usize)?; // NIL is never a valid index
        self.next = meta.next;
        Some(self.base_pfn + idx as usize)
    }
}
