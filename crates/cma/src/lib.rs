//! A Linux-style Contiguous Memory Area (CMA), modelled on `mm/cma.c`.
//!
//! # The idea
//!
//! Early at boot the kernel reserves one physically contiguous range of
//! page frames from memblock: `count` frames starting at `base_pfn`. A
//! [`Cma`] then hands out physically contiguous, aligned sub-ranges of it —
//! for DMA buffers, frame buffers, huge pages — that the buddy allocator
//! could not guarantee once memory is fragmented.
//!
//! The bookkeeping is one bitmap, exactly like Linux's `struct cma`:
//!
//! * one bit per `2^order_per_bit` pages (`order_per_bit = 0`: one bit per
//!   page); a set bit means "allocated";
//! * [`Cma::alloc`] (Linux `cma_alloc`) finds the *first* run of clear bits
//!   that is long enough and whose pfn is aligned to `2^align_order` **in
//!   physical pfn terms** (Linux `bitmap_find_next_zero_area_off` with the
//!   `cma_bitmap_aligned_offset` correction for a base pfn that is not itself
//!   aligned), and sets it;
//! * [`Cma::release`] (Linux `cma_release`) clears the bits again.
//!
//! A request of `count` pages occupies `ceil(count / 2^order_per_bit)` bits,
//! so with `order_per_bit > 0` the tail of the last chunk is wasted (as in
//! Linux). The bitmap records no allocation boundaries: releasing a part of
//! an allocation, or two adjacent allocations at once, is allowed as long as
//! every chunk in the range is allocated.
//!
//! Unlike Linux, pages in the area are not lent to the buddy allocator as
//! movable memory in the meantime, so there is no migration step: a CMA here
//! is a simple, exclusive, first-fit range allocator.
//!
//! # No heap, no panics
//!
//! The bitmap storage is a caller-provided `&mut [usize]` (see
//! [`bitmap_words`] for its size), so a `Cma` can be set up before any heap
//! exists. The search for a free run scans the raw storage a machine word
//! at a time (skipping full or empty words with one compare, finding the
//! bit inside a word with `trailing_zeros`, like Linux's lib/find_bit.c);
//! `bitvec` is used only to set, clear and check bit ranges (allocation,
//! release). Every bad argument yields a typed [`CmaError`]
//! with a clear `Display`, and the state is unchanged on error.
//!
//! # Example
//!
//! ```
//! use cma::{Cma, bitmap_words};
//!
//! // 256 pages at pfn 0x10020, one bit per page.
//! const WORDS: usize = bitmap_words(256, 0);
//! let mut bitmap = [0usize; WORDS];
//! let mut cma = Cma::new(0x10020, 256, 0, &mut bitmap).unwrap();
//!
//! let pfn = cma.alloc(16, 6).unwrap();   // 16 pages, 64-page aligned
//! assert_eq!(pfn, 0x10040);              // first aligned pfn in the area
//! assert_eq!(cma.free_pages(), 240);
//! cma.release(pfn, 16).unwrap();
//! assert!(cma.release(pfn, 16).is_err()); // double release is detected
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use bitvec::order::Lsb0;
use bitvec::slice::BitSlice;
use core::fmt;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// log2 of the page size: Alpha pages are 8 KiB.
pub const PAGE_SHIFT: u32 = 13;
/// Size of a page frame in bytes (8 KiB).
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

// ----------------------------------------------------------------------
// Page / byte conversions (Linux PFN_PHYS, PHYS_PFN, PFN_UP, ...)
// ----------------------------------------------------------------------

/// Physical address of the first byte of page frame `pfn` (Linux
/// `PFN_PHYS`). Saturates at `usize::MAX` instead of overflowing.
pub const fn pfn_to_phys(pfn: usize) -> usize {
    pfn.saturating_mul(PAGE_SIZE)
}

/// Page frame containing physical address `phys` (Linux `PHYS_PFN` /
/// `PFN_DOWN`).
pub const fn phys_to_pfn(phys: usize) -> usize {
    phys >> PAGE_SHIFT
}

/// First page frame starting at or after physical address `phys` (Linux
/// `PFN_UP`).
pub const fn phys_to_pfn_up(phys: usize) -> usize {
    phys.div_ceil(PAGE_SIZE)
}

/// Size in bytes of `pages` pages. Saturates instead of overflowing.
pub const fn pages_to_bytes(pages: usize) -> usize {
    pages.saturating_mul(PAGE_SIZE)
}

/// Number of pages needed to hold `bytes` bytes (rounded up, like
/// `PAGE_ALIGN(bytes) >> PAGE_SHIFT`).
pub const fn bytes_to_pages(bytes: usize) -> usize {
    bytes.div_ceil(PAGE_SIZE)
}

/// Size in KiB of `pages` pages, as printed in `/proc/meminfo`. Saturates.
pub const fn pages_to_kib(pages: usize) -> usize {
    pages.saturating_mul(PAGE_SIZE / 1024)
}

/// Number of bitmap bits for an area of `count` pages with one bit per
/// `2^order_per_bit` pages (Linux `cma_bitmap_maxno`). 0 if `order_per_bit`
/// is not below `usize::BITS`.
pub const fn bitmap_bits(count: usize, order_per_bit: u32) -> usize {
    if order_per_bit >= usize::BITS {
        0
    } else {
        count >> order_per_bit
    }
}

/// Number of `usize` words the caller must provide to [`Cma::new`] for an
/// area of `count` pages (Linux `BITS_TO_LONGS(cma_bitmap_maxno(cma))`).
/// Usable in a `const` array length.
pub const fn bitmap_words(count: usize, order_per_bit: u32) -> usize {
    bitmap_bits(count, order_per_bit).div_ceil(usize::BITS as usize)
}

// ----------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------

/// An error from [`Cma`]. The area is unchanged whenever one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmaError {
    /// [`Cma::new`]: the area has no pages.
    EmptyArea,
    /// [`Cma::new`]: `order_per_bit` is not below `usize::BITS`.
    InvalidOrderPerBit {
        /// The offending `order_per_bit`.
        order_per_bit: u32,
    },
    /// [`Cma::new`]: `base_pfn` or `count` is not a multiple of
    /// `2^order_per_bit`, so bits would not map to aligned chunks.
    MisalignedArea {
        /// First pfn of the area.
        base_pfn: usize,
        /// Number of pages in the area.
        count: usize,
        /// Pages per bit, as an order.
        order_per_bit: u32,
    },
    /// [`Cma::new`]: `base_pfn + count` overflows, or the bitmap would be
    /// longer than a `bitvec` bit-slice can be.
    AreaTooLarge {
        /// First pfn of the area.
        base_pfn: usize,
        /// Number of pages in the area.
        count: usize,
    },
    /// [`Cma::new`]: the bitmap storage is too small.
    BitmapTooSmall {
        /// Words provided.
        words: usize,
        /// Words needed ([`bitmap_words`]).
        needed: usize,
    },
    /// [`Cma::alloc`] / [`Cma::release`]: a count of zero pages.
    ZeroCount,
    /// [`Cma::alloc`]: `align_order` is not below `usize::BITS`.
    InvalidAlignment {
        /// The offending alignment order.
        align_order: u32,
    },
    /// [`Cma::alloc`]: no free, suitably aligned run of pages is long enough.
    NoSpace {
        /// Requested number of pages.
        count: usize,
        /// Requested alignment order.
        align_order: u32,
    },
    /// [`Cma::release`]: the range is not entirely inside the area.
    OutOfArea {
        /// First pfn of the range.
        pfn: usize,
        /// Number of pages in the range.
        count: usize,
        /// First pfn of the area.
        base_pfn: usize,
        /// One past the last pfn of the area.
        end_pfn: usize,
    },
    /// [`Cma::release`]: `pfn` does not start a bitmap chunk
    /// (`2^order_per_bit` pages), so it cannot have come from `alloc`.
    MisalignedRelease {
        /// The offending pfn.
        pfn: usize,
        /// Pages per bit, as an order.
        order_per_bit: u32,
    },
    /// [`Cma::release`]: part of the range is not allocated (double release,
    /// or a range that was never allocated).
    NotAllocated {
        /// First pfn of the range.
        pfn: usize,
        /// Number of pages in the range.
        count: usize,
        /// The first pfn in the range that is not allocated.
        free_pfn: usize,
    },
}

impl fmt::Display for CmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CmaError::EmptyArea => write!(f, "CMA area has no pages"),
            CmaError::InvalidOrderPerBit { order_per_bit } => write!(
                f,
                "CMA order_per_bit {order_per_bit} is too large (must be below {})",
                usize::BITS
            ),
            CmaError::MisalignedArea {
                base_pfn,
                count,
                order_per_bit,
            } => write!(
                f,
                "CMA area at pfn {base_pfn:#x} with {count} pages is not aligned to \
                 order_per_bit {order_per_bit} ({} pages per bit)",
                1usize << order_per_bit
            ),
            CmaError::AreaTooLarge { base_pfn, count } => write!(
                f,
                "CMA area at pfn {base_pfn:#x} with {count} pages is too large \
                 (pfn overflow or bitmap too long)"
            ),
            CmaError::BitmapTooSmall { words, needed } => write!(
                f,
                "CMA bitmap too small: {words} words given, {needed} needed"
            ),
            CmaError::ZeroCount => write!(f, "CMA request for zero pages"),
            CmaError::InvalidAlignment { align_order } => write!(
                f,
                "CMA alignment order {align_order} is too large (must be below {})",
                usize::BITS
            ),
            CmaError::NoSpace { count, align_order } => write!(
                f,
                "CMA out of space: no free run of {count} pages aligned to order {align_order}"
            ),
            CmaError::OutOfArea {
                pfn,
                count,
                base_pfn,
                end_pfn,
            } => write!(
                f,
                "CMA release of {count} pages at pfn {pfn:#x} outside the area \
                 [{base_pfn:#x}, {end_pfn:#x})"
            ),
            CmaError::MisalignedRelease { pfn, order_per_bit } => write!(
                f,
                "CMA release at pfn {pfn:#x} does not start a {}-page chunk \
                 (order_per_bit {order_per_bit})",
                1usize << order_per_bit
            ),
            CmaError::NotAllocated {
                pfn,
                count,
                free_pfn,
            } => write!(
                f,
                "CMA release of {count} pages at pfn {pfn:#x}: pfn {free_pfn:#x} is not \
                 allocated (double release?)"
            ),
        }
    }
}

impl core::error::Error for CmaError {}

// ----------------------------------------------------------------------
// The area
// ----------------------------------------------------------------------

/// A contiguous memory area: `count` pages from `base_pfn`, tracked by a
/// bitmap with one bit per `2^order_per_bit` pages (Linux `struct cma`).
pub struct Cma<'a> {
    /// First pfn of the area.
    base_pfn: usize,
    /// Number of pages in the area.
    count: usize,
    /// log2 of the pages represented by one bit.
    order_per_bit: u32,
    /// `bitmap_bits(count, order_per_bit)` bits; set = allocated.
    /// The bitmap's words (bit `i` of the area is bit `i % usize::BITS` of
    /// word `i / usize::BITS`, `Lsb0`), viewed through `bitvec` for
    /// updates ([`Cma::bits_mut`]) and scanned a word at a time for search.
    words: &'a mut [usize],
    /// Bits in use (one per `2^order_per_bit` pages).
    nbits: usize,
    /// Number of set bits.
    used_bits: usize,
}

impl fmt::Debug for Cma<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cma")
            .field("base_pfn", &format_args!("{:#x}", self.base_pfn))
            .field("count", &self.count)
            .field("order_per_bit", &self.order_per_bit)
            .field("free_pages", &self.free_pages())
            .finish()
    }
}

impl<'a> Cma<'a> {
    /// Sets up an area of `count` pages starting at `base_pfn`, with one
    /// bitmap bit per `2^order_per_bit` pages, all free (Linux
    /// `cma_init_reserved_mem` + `cma_activate_area`).
    ///
    /// `bitmap` must hold at least [`bitmap_words(count, order_per_bit)`]
    /// words; those words are cleared, any further words are left alone.
    ///
    /// # Errors
    ///
    /// [`CmaError::EmptyArea`], [`CmaError::InvalidOrderPerBit`],
    /// [`CmaError::MisalignedArea`] (`base_pfn` and `count` must be multiples
    /// of `2^order_per_bit`), [`CmaError::AreaTooLarge`],
    /// [`CmaError::BitmapTooSmall`].
    ///
    /// [`bitmap_words(count, order_per_bit)`]: bitmap_words
    pub fn new(
        base_pfn: usize,
        count: usize,
        order_per_bit: u32,
        bitmap: &'a mut [usize],
    ) -> Result<Self, CmaError> {
        if count == 0 {
            return Err(CmaError::EmptyArea);
        }
        if order_per_bit >= usize::BITS {
            return Err(CmaError::InvalidOrderPerBit { order_per_bit });
        }
        let chunk_mask = (1usize << order_per_bit) - 1;
        if base_pfn & chunk_mask != 0 || count & chunk_mask != 0 {
            return Err(CmaError::MisalignedArea {
                base_pfn,
                count,
                order_per_bit,
            });
        }
        if base_pfn.checked_add(count).is_none() {
            return Err(CmaError::AreaTooLarge { base_pfn, count });
        }
        let needed = bitmap_words(count, order_per_bit);
        let words = bitmap.len();
        let Some(storage) = bitmap.get_mut(..needed) else {
            return Err(CmaError::BitmapTooSmall { words, needed });
        };
        storage.fill(0);
        // Fails only for bitmaps beyond bitvec's limit (2^(BITS-3) bits);
        // checking once here lets `bits_mut` build its view without failing.
        BitSlice::<usize, Lsb0>::try_from_slice_mut(storage)
            .map_err(|_| CmaError::AreaTooLarge { base_pfn, count })?;
        let nbits = bitmap_bits(count, order_per_bit);
        Ok(Cma {
            base_pfn,
            count,
            order_per_bit,
            words: storage,
            nbits,
            used_bits: 0,
        })
    }

    /// First pfn of the area.
    pub fn base_pfn(&self) -> usize {
        self.base_pfn
    }

    /// One past the last pfn of the area.
    pub fn end_pfn(&self) -> usize {
        self.base_pfn + self.count
    }

    /// log2 of the number of pages per bitmap bit.
    pub fn order_per_bit(&self) -> u32 {
        self.order_per_bit
    }

    /// Number of pages in the area (`CmaTotal`).
    pub fn total_pages(&self) -> usize {
        self.count
    }

    /// Number of pages not allocated (`CmaFree`).
    pub fn free_pages(&self) -> usize {
        self.count - (self.used_bits << self.order_per_bit)
    }

    /// Free pages counted from the bitmap's bits themselves, not from the
    /// allocator's counter (for reconciliations that must not trust it).
    pub fn count_free_in_bitmap(&self) -> usize {
        let full = self.nbits / usize::BITS as usize;
        let mut used: usize = self.words[..full].iter().map(|w| w.count_ones() as usize).sum();
        let rest = self.nbits % usize::BITS as usize;
        if rest != 0 {
            used += (self.words[full] & ((1usize << rest) - 1)).count_ones() as usize;
        }
        self.count - (used << self.order_per_bit)
    }

    /// Whether page `pfn` of the area is free by the bitmap (`false` for a
    /// page outside the area). For pictures of memory page by page.
    pub fn is_free(&self, pfn: usize) -> bool {
        if !self.contains(pfn) {
            return false;
        }
        let bit = (pfn - self.base_pfn) >> self.order_per_bit;
        let w = usize::BITS as usize;
        self.words[bit / w] & (1usize << (bit % w)) == 0
    }

    /// Whether `pfn` lies in the area (Linux `cma_pages_valid` for one page).
    pub fn contains(&self, pfn: usize) -> bool {
        pfn >= self.base_pfn && pfn < self.end_pfn()
    }

    /// Whether the page `pfn` is allocated (its bitmap bit is set); `false`
    /// outside the area.
    pub fn is_allocated(&self, pfn: usize) -> bool {
        if !self.contains(pfn) {
            return false;
        }
        let bit = (pfn - self.base_pfn) >> self.order_per_bit;
        const W: usize = usize::BITS as usize;
        self.words[bit / W] & (1usize << (bit % W)) != 0
    }

    /// The longest run of free pages in the area (what the largest
    /// unaligned `alloc` could get), found from the bitmap a word at a time.
    pub fn largest_free_run(&self) -> usize {
        let (mut best, mut at) = (0, 0);
        while let Some(zero) = next_bit(self.words, at, self.nbits, false) {
            let end = next_bit(self.words, zero, self.nbits, true).unwrap_or(self.nbits);
            best = best.max(end - zero);
            at = end;
        }
        best << self.order_per_bit
    }

    /// Allocates `count` physically contiguous pages whose first pfn is a
    /// multiple of `2^align_order`, first fit from the start of the area
    /// (Linux `cma_alloc`). Returns the first pfn.
    ///
    /// The request is rounded up to whole bitmap chunks of
    /// `2^order_per_bit` pages. Page contents are unspecified.
    ///
    /// # Errors
    ///
    /// [`CmaError::ZeroCount`], [`CmaError::InvalidAlignment`]
    /// (`align_order >= usize::BITS`), [`CmaError::NoSpace`].
    pub fn alloc(&mut self, count: usize, align_order: u32) -> Result<usize, CmaError> {
        if count == 0 {
            return Err(CmaError::ZeroCount);
        }
        if align_order >= usize::BITS {
            return Err(CmaError::InvalidAlignment { align_order });
        }
        let no_space = CmaError::NoSpace { count, align_order };
        let nbits = self.pages_to_bits(count);
        let bitmap_no = self
            .find_zero_area(nbits, self.aligned_mask(align_order), self.aligned_offset(align_order))
            .ok_or(no_space)?;
        self.bits_mut()[bitmap_no..bitmap_no + nbits].fill(true);
        self.used_bits += nbits;
        Ok(self.base_pfn + (bitmap_no << self.order_per_bit))
    }

    /// Releases `count` pages starting at `pfn`, previously allocated with
    /// [`alloc`](Self::alloc) (Linux `cma_release`).
    ///
    /// `count` is rounded up to whole chunks like in `alloc`. Since the bitmap
    /// keeps no allocation boundaries, any range whose chunks are all
    /// allocated may be released (e.g. the tail of an allocation).
    ///
    /// # Errors
    ///
    /// Checked before anything changes: [`CmaError::ZeroCount`],
    /// [`CmaError::OutOfArea`], [`CmaError::MisalignedRelease`],
    /// [`CmaError::NotAllocated`] (double release).
    pub fn release(&mut self, pfn: usize, count: usize) -> Result<(), CmaError> {
        if count == 0 {
            return Err(CmaError::ZeroCount);
        }
        let inside = pfn >= self.base_pfn
            && pfn
                .checked_add(count)
                .is_some_and(|end| end <= self.end_pfn());
        if !inside {
            return Err(CmaError::OutOfArea {
                pfn,
                count,
                base_pfn: self.base_pfn,
                end_pfn: self.end_pfn(),
            });
        }
        let offset = pfn - self.base_pfn;
        if offset & ((1usize << self.order_per_bit) - 1) != 0 {
            return Err(CmaError::MisalignedRelease {
                pfn,
                order_per_bit: self.order_per_bit,
            });
        }
        let bitmap_no = offset >> self.order_per_bit;
        // In bounds: offset + count <= self.count, a multiple of the chunk size.
        let range = bitmap_no..bitmap_no + self.pages_to_bits(count);
        if let Some(i) = next_bit(self.words, range.start, range.end, false).map(|b| b - range.start) {
            return Err(CmaError::NotAllocated {
                pfn,
                count,
                free_pfn: self.base_pfn + ((bitmap_no + i) << self.order_per_bit),
            });
        }
        self.used_bits -= range.len();
        self.bits_mut()[range].fill(false);
        Ok(())
    }

    /// Writes the CMA lines of Linux's `/proc/meminfo`:
    ///
    /// ```text
    /// CmaTotal:          16384 kB
    /// CmaFree:           12288 kB
    /// ```
    pub fn meminfo(&self, w: &mut impl fmt::Write) -> fmt::Result {
        writeln!(w, "{:<16}{:>8} kB", "CmaTotal:", pages_to_kib(self.total_pages()))?;
        writeln!(w, "{:<16}{:>8} kB", "CmaFree:", pages_to_kib(self.free_pages()))
    }

    // ------------------------------------------------------------------
    // Internals (names follow mm/cma.c)
    // ------------------------------------------------------------------

    /// Bits needed for `pages` pages: `ceil(pages / 2^order_per_bit)`
    /// (`cma_bitmap_pages_to_bits`, without `ALIGN` overflow).
    fn pages_to_bits(&self, pages: usize) -> usize {
        pages.div_ceil(1usize << self.order_per_bit)
    }

    /// `cma_bitmap_aligned_mask`: the candidate bit number (after adding the
    /// offset below) must be a multiple of `mask + 1`.
    fn aligned_mask(&self, align_order: u32) -> usize {
        if align_order <= self.order_per_bit {
            0
        } else {
            (1usize << (align_order - self.order_per_bit)) - 1
        }
    }

    /// `cma_bitmap_aligned_offset`: how far `base_pfn` is past an
    /// `2^align_order` boundary, in bits. Bit `i` maps to an aligned pfn iff
    /// `(i + offset) & mask == 0`.
    fn aligned_offset(&self, align_order: u32) -> usize {
        (self.base_pfn & ((1usize << align_order) - 1)) >> self.order_per_bit
    }

    /// The bitmap as a `bitvec` slice (read-only; for tests).
    #[cfg(test)]
    fn bits(&self) -> &BitSlice<usize, Lsb0> {
        &BitSlice::from_slice(self.words)[..self.nbits]
    }

    /// The bitmap as a `bitvec` slice, for range updates.
    fn bits_mut(&mut self) -> &mut BitSlice<usize, Lsb0> {
        &mut BitSlice::from_slice_mut(self.words)[..self.nbits]
    }

    /// `bitmap_find_next_zero_area_off`: the lowest bit number `i` such that
    /// `(i + offset) & mask == 0` and bits `i .. i + nbits` are all clear.
    ///
    /// Word-at-a-time over the raw storage (like Linux's `find_next_bit`):
    /// [`next_bit`] skips whole full (or empty) words with one compare and
    /// finds the bit inside a word with `trailing_zeros`; a collision inside
    /// a candidate run moves the search past the collision.
    fn find_zero_area(&self, nbits: usize, mask: usize, offset: usize) -> Option<usize> {
        let maxno = self.nbits;
        let words = &*self.words;
        let mut start = 0;
        loop {
            // First clear bit at or after `start`.
            let zero = next_bit(words, start, maxno, false)?;
            // Round up to the next aligned candidate.
            let index = (zero.checked_add(offset)?.checked_add(mask)? & !mask) - offset;
            let end = index.checked_add(nbits)?;
            if end > maxno {
                return None;
            }
            match next_bit(words, index, end, true) {
                None => return Some(index),
                Some(busy) => start = busy + 1,
            }
        }
    }
}

/// The first bit at or after `from` and before `limit` whose value is `set`
/// (bit `i` is bit `i % usize::BITS` of word `i / usize::BITS`, as `Lsb0`
/// stores it), scanning a word at a time.
fn next_bit(words: &[usize], from: usize, limit: usize, set: bool) -> Option<usize> {
    const W: usize = usize::BITS as usize;
    if from >= limit {
        return None;
    }
    let flip = if set { 0 } else { usize::MAX };
    let mut w = from / W;
    // Bits below `from` in the first word do not count.
    let mut bits = (words.get(w)? ^ flip) & (usize::MAX << (from % W));
    loop {
        if bits != 0 {
            let i = w * W + bits.trailing_zeros() as usize;
            return (i < limit).then_some(i);
        }
        w += 1;
        if w * W >= limit {
            return None;
        }
        bits = words.get(w)? ^ flip;
    }
}
