//! The scatter-gather PTE arena of a PCI IOMMU, modelled on Linux's
//! `arch/alpha/kernel/pci_iommu.c` (`struct pci_iommu_arena`).
//!
//! # The idea
//!
//! A scatter-gather (SG) window of a Tsunami/Typhoon Pchip maps the PCI bus
//! addresses `dma_base .. dma_base + size` through a table of 64-bit page
//! table entries (PTEs), one per 8 KiB page: bus page `dma_base / 8K + i` is
//! translated by `ptes[i]`. A PTE is `(pa >> 12) | 1` ([`mk_iommu_pte`]):
//! bit 0 is the valid bit (free for it because an 8 KiB aligned `pa` has
//! bit 12 clear) and `pa` bits 13 and up land in PTE bits 1 and up. A PTE
//! with bit 0 clear is invalid.
//!
//! [`IommuArena`] hands out runs of consecutive PTEs, exactly like Linux:
//!
//! * the PTE table itself is the allocation bitmap: a zero PTE is free, any
//!   non-zero PTE is in use. A freshly allocated entry holds
//!   [`IOMMU_INVALID_PTE`] (in use, but invalid for the IOMMU) until the
//!   caller fills it with [`IommuArena::set_pte`] / [`IommuArena::map`];
//!   a reserved entry holds [`IOMMU_RESERVED_PTE`];
//! * [`IommuArena::alloc`] (Linux `iommu_arena_alloc` +
//!   `iommu_arena_find_pages`) is **next fit**: it searches forward from
//!   `next_entry` (the end of the previous allocation) for the first run of
//!   `npages` free entries starting at a multiple of
//!   `max(align_pages, align_entry)` entries and not crossing a segment
//!   boundary (`dma_get_seg_boundary`, `iommu_is_span_boundary`); when it
//!   reaches the end of the table it *wraps* and searches again from entry 0;
//! * [`IommuArena::free`] (Linux `iommu_arena_free`) writes zeroes back;
//! * [`IommuArena::reserve`] marks entries permanently in use (an ISA hole,
//!   an AGP aperture: Linux `iommu_reserve`);
//! * [`IommuArena::map_single`] / [`IommuArena::unmap_single`] are
//!   `pci_map_single_1` / `alpha_pci_unmap_page` for a physically contiguous
//!   buffer.
//!
//! # The IOMMU TLB
//!
//! The Pchip caches translations in a small TLB (on a DS10 it really does;
//! QEMU's model does not), and the TLB is **not** coherent with the PTE
//! table: clearing a PTE in memory does not drop a cached copy. If an entry
//! is freed and handed out again while the TLB still holds its old
//! translation, the device's next DMA through it goes to the *old* page. The
//! TLB must therefore be invalidated between the `free` of an entry and its
//! next `alloc`. The arena does this itself: [`IommuArena::alloc`] and
//! [`IommuArena::free`] take the caller's [`IommuTlb`] (Linux
//! `alpha_mv.mv_pci_tbi`, on Tsunami `tsunami_pci_tbi`) and call it when the
//! policy says so, so a caller cannot forget the flush. Two policies exist
//! ([`FlushPolicy`]):
//!
//! * [`FlushPolicy::LazyWrap`] — exactly Linux: entries are not invalidated
//!   when freed; when the search wraps around to entry 0 the whole TLB is
//!   invalidated once ([`IommuTlb::invalidate_all`], TBIA) before the
//!   rescan. Since `next_entry` only grows between two wraps, an entry freed
//!   *below* `next_entry` cannot be reached again before the next wrap. An
//!   entry freed *at or above* `next_entry` could be, so `free` invalidates
//!   that range at once ([`IommuTlb::invalidate_range`], as
//!   `alpha_pci_unmap_page` does).
//! * [`FlushPolicy::DirtyBitmap`] (recommended) — a caller-provided bitmap
//!   (one bit per entry, [`dirty_bitmap_words`]) records every entry freed
//!   since the last TBIA. Allocation places runs exactly like Linux, but
//!   invalidates the TLB only when the run it is about to hand out contains a
//!   dirty entry; a TBIA clears the whole bitmap. `free` never touches the
//!   TLB. On the same requests it places everything exactly where Linux
//!   does and never issues more invalidations (TBIA + ranged) than Linux:
//!   3.4 to 64 times fewer on the workloads measured, though more of them
//!   are full ones (see the README for measurements).
//!
//! Both policies also invalidate the TLB once before the first entry is
//! handed out, whatever the console left in it.
//!
//! ## TLB lines and `align_entry`
//!
//! The Tsunami Pchip loads PTEs into its TLB four at a time (Linux sets
//! `align_entry = 4` in `core_tsunami.c`, and for the DS10 in
//! `sys_dp264.c`: "Tsunami caches 4 PTEs at a time"). A device access
//! through one entry thus also caches its neighbours in the same line,
//! free ones included, as they are *at that moment*. Hence two rules:
//!
//! * **`align_entry` must be a multiple of the IOMMU's PTEs per TLB line**
//!   (4 on Tsunami/Typhoon), so every allocation starts on a line;
//! * a partial [`IommuArena::free`] must not leave the rest of an
//!   allocation starting in the middle of a line
//!   ([`IommuError::SplitsLine`]).
//!
//! Together they keep the invariant "every run of allocated entries starts
//! on a line", so a line can only have been loaded through entries from its
//! first one on, and whoever allocates any entry of the line next must
//! allocate its first entry too. That entry was in use when the line was
//! loaded, so it has been freed since — it is dirty (or, under `LazyWrap`,
//! it was invalidated at free time or lies below `next_entry`) — and the
//! policy flushes. The property tests run a caching-IOMMU model with 1-,
//! 2- and 4-entry lines, and show that breaking either rule (or skipping
//! a flush) lets the device see a stale translation.
//!
//! The other rules for the caller: fill *all* PTEs of an allocation
//! ([`IommuArena::map`]) before giving its bus address to the device, and
//! free it only when the device is done with it. A mapped PTE cannot be
//! overwritten ([`IommuError::AlreadyMapped`]): to remap, free and allocate
//! again, which goes through the flush policy.
//!
//! # No heap, no panics
//!
//! The PTE table (physically contiguous and aligned to its size in the
//! kernel) and the dirty bitmap are caller-provided slices. Every bad
//! argument yields a typed [`IommuError`] with a clear `Display`, and the
//! state is unchanged on error.
//!
//! # Example
//!
//! ```
//! use iommu_arena::{FlushPolicy, IommuArena, IommuTlb, dirty_bitmap_words, mk_iommu_pte};
//!
//! struct Pchip { tbia: u32 }
//! impl IommuTlb for Pchip {
//!     fn invalidate_all(&mut self) { self.tbia += 1 }          // write TLBIA
//!     fn invalidate_range(&mut self, _first: u64, _last: u64) { self.tbia += 1 }
//! }
//!
//! let mut ptes = [0u64; 1024];                        // an 8 MiB window
//! let mut dirty = [0u64; dirty_bitmap_words(1024)];
//! let mut arena = IommuArena::new(0x0080_0000, &mut ptes, 4,
//!                                 FlushPolicy::DirtyBitmap(&mut dirty)).unwrap();
//! let mut pchip = Pchip { tbia: 0 };
//!
//! let entry = arena.alloc(3, 1, None, &mut pchip).unwrap();
//! arena.map(entry, [0x10_0000, 0x20_0000, 0x30_0000]).unwrap();
//! assert_eq!(arena.dma_addr(entry).unwrap(), 0x0080_0000);
//! assert_eq!(arena.pte(entry + 1), Some(mk_iommu_pte(0x20_0000)));
//! arena.free(entry, 3, &mut pchip).unwrap();
//! assert_eq!(pchip.tbia, 1);                           // only the initial flush
//!
//! // A buffer at pa 0x40_1234 of 16000 bytes: 3 pages, offset kept.
//! let bus = arena.map_single(0x40_1234, 16_000, 1, None, &mut pchip).unwrap();
//! assert_eq!(bus, 0x0080_0000 + 4 * 8192 + 0x1234);   // next fit, align_entry 4
//! arena.unmap_single(bus, 16_000, &mut pchip).unwrap();
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

#[cfg(test)]
mod model;
#[cfg(test)]
mod policy_stats;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// log2 of the IOMMU page size: 8 KiB, the Alpha page.
pub const PAGE_SHIFT: u32 = 13;
/// Size in bytes of the page one PTE maps (8 KiB).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Byte offset within a page (`~PAGE_MASK` in Linux).
const PAGE_OFFSET_MASK: u64 = PAGE_SIZE - 1;

/// PTE value of an entry that is allocated but not yet mapped: non-zero so
/// the arena sees it as in use, valid bit clear so the IOMMU does not use it
/// (Linux `IOMMU_INVALID_PTE`).
pub const IOMMU_INVALID_PTE: u64 = 0x2;
/// PTE value of a reserved entry: in use, invalid (Linux
/// `IOMMU_RESERVED_PTE`).
pub const IOMMU_RESERVED_PTE: u64 = 0xface;

/// The PTE mapping the 8 KiB page at physical address `pa`: `(pa >> 12) | 1`
/// (Linux `mk_iommu_pte`). `pa` should be 8 KiB aligned; the low bits are
/// dropped.
pub const fn mk_iommu_pte(pa: u64) -> u64 {
    ((pa & !PAGE_OFFSET_MASK) >> (PAGE_SHIFT - 1)) | 1
}

/// Physical address mapped by a PTE, or `None` if its valid bit is clear.
/// Inverse of [`mk_iommu_pte`].
pub const fn iommu_pte_pa(pte: u64) -> Option<u64> {
    if pte & 1 == 1 {
        Some((pte & !1) << (PAGE_SHIFT - 1))
    } else {
        None
    }
}

/// Number of pages spanned by the `len` bytes at address `addr` (Linux
/// `iommu_num_pages(addr, len, PAGE_SIZE)`). Never overflows.
pub const fn iommu_num_pages(addr: u64, len: u64) -> u64 {
    // (addr % 8K + len).div_ceil(8K) without overflowing the sum.
    (len >> PAGE_SHIFT) + ((len & PAGE_OFFSET_MASK) + (addr & PAGE_OFFSET_MASK)).div_ceil(PAGE_SIZE)
}

/// Number of `u64` words of dirty bitmap a [`FlushPolicy::DirtyBitmap`]
/// arena of `entries` PTEs needs (one bit per entry). Usable in a `const`
/// array length.
pub const fn dirty_bitmap_words(entries: usize) -> usize {
    entries.div_ceil(64)
}

// ----------------------------------------------------------------------
// The TLB interface and the flush policy
// ----------------------------------------------------------------------

/// The IOMMU's TLB invalidation, implemented by the chipset code (Linux
/// `alpha_mv.mv_pci_tbi`, `tsunami_pci_tbi`). The arena calls it; the caller
/// never has to decide when to flush.
pub trait IommuTlb {
    /// Invalidate every cached translation of the window (Tsunami: write
    /// the Pchip's `TLBIA` CSR, then `mb` and read it back).
    fn invalidate_all(&mut self);

    /// Invalidate every cached translation for bus addresses
    /// `first_dma ..= last_dma` (both inside the window). Invalidating more
    /// is allowed: Tsunami's `TLBIV` drops whole 64 KiB tags, and
    /// `tsunami_pci_tbi` falls back to `TLBIA` when the range spans more
    /// than one.
    fn invalidate_range(&mut self, first_dma: u64, last_dma: u64);
}

/// How the arena keeps freed entries from being reused while the IOMMU TLB
/// may still hold their old translation. See the crate documentation.
#[derive(Debug)]
pub enum FlushPolicy<'a> {
    /// Linux's policy: invalidate everything when the next-fit search wraps
    /// around, and invalidate at `free` time the ranges freed at or above
    /// `next_entry`.
    LazyWrap,
    /// Track entries freed since the last invalidation in this bitmap (at
    /// least [`dirty_bitmap_words`]`(entries)` words; its contents are
    /// overwritten) and invalidate everything only when a run about to be
    /// handed out contains one.
    DirtyBitmap(&'a mut [u64]),
}

/// Which [`FlushPolicy`] an arena uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    /// [`FlushPolicy::LazyWrap`].
    LazyWrap,
    /// [`FlushPolicy::DirtyBitmap`].
    DirtyBitmap,
}

/// Event counters of an arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IommuStats {
    /// Successful allocations.
    pub allocs: u64,
    /// Allocations that failed with [`IommuError::NoSpace`] or
    /// [`IommuError::TooLarge`].
    pub alloc_failures: u64,
    /// Successful frees.
    pub frees: u64,
    /// Searches that reached the end of the table and restarted at entry 0.
    pub wraps: u64,
    /// Calls to [`IommuTlb::invalidate_all`].
    pub invalidate_all: u64,
    /// Calls to [`IommuTlb::invalidate_range`].
    pub invalidate_range: u64,
}

// ----------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------

/// An error from [`IommuArena`]. The arena is unchanged whenever one is
/// returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IommuError {
    /// [`IommuArena::new`]: the PTE table is empty.
    EmptyTable,
    /// [`IommuArena::new`]: `dma_base` is not 8 KiB aligned.
    MisalignedBase {
        /// The offending window base.
        dma_base: u64,
    },
    /// [`IommuArena::new`]: the window `dma_base + entries * 8 KiB` does
    /// not fit in the 64-bit bus address space.
    WindowOverflow {
        /// Window base.
        dma_base: u64,
        /// Number of PTEs.
        entries: usize,
    },
    /// [`IommuArena::new`]: `align_entry` is not a power of two.
    InvalidAlignEntry {
        /// The offending value.
        align_entry: usize,
    },
    /// [`IommuArena::new`]: the dirty bitmap is too small.
    BitmapTooSmall {
        /// Words provided.
        words: usize,
        /// Words needed ([`dirty_bitmap_words`]).
        needed: usize,
    },
    /// A request for zero pages or zero bytes.
    ZeroCount,
    /// [`IommuArena::alloc`]: `align_pages` is neither 0 nor a power of two.
    InvalidAlignment {
        /// The offending alignment, in pages.
        align_pages: usize,
    },
    /// [`IommuArena::alloc`]: the segment boundary is not a power of two of
    /// at least one page.
    InvalidBoundary {
        /// The offending boundary, in bytes.
        boundary: u64,
    },
    /// [`IommuArena::alloc`]: the request can never be satisfied: it is
    /// longer than the table or than one boundary segment.
    TooLarge {
        /// Requested number of pages.
        npages: u64,
        /// The largest request the table and boundary allow.
        max: u64,
    },
    /// [`IommuArena::alloc`]: no free run of entries satisfies the request
    /// at the moment.
    NoSpace {
        /// Requested number of pages.
        npages: usize,
        /// Requested alignment, in entries (after applying `align_entry`).
        align: usize,
        /// Requested segment boundary, in bytes (0 for none).
        boundary: u64,
    },
    /// The entries `entry .. entry + npages` are not all inside the table.
    OutOfRange {
        /// First entry of the request.
        entry: usize,
        /// Number of entries in the request (for [`IommuArena::map`]: at
        /// least this many).
        npages: u64,
        /// Number of entries in the table.
        entries: usize,
    },
    /// [`IommuArena::free`], [`IommuArena::set_pte`], [`IommuArena::map`]:
    /// an entry of the range is free (double free, or never allocated).
    NotAllocated {
        /// The first such entry.
        entry: usize,
    },
    /// [`IommuArena::free`], [`IommuArena::set_pte`], [`IommuArena::map`]:
    /// an entry of the range is reserved, not allocated.
    Reserved {
        /// The first such entry.
        entry: usize,
    },
    /// [`IommuArena::free`]: the entry just after the range is allocated
    /// and is not a multiple of `align_entry`: the rest of its allocation
    /// would start in the middle of a TLB line, which a later allocation of
    /// the freed head could share (free whole allocations, tails, or heads
    /// ending on an `align_entry` boundary).
    SplitsLine {
        /// The allocated entry that would be left behind mid-line.
        entry: usize,
        /// The arena's `align_entry`.
        align_entry: usize,
    },
    /// [`IommuArena::reserve`]: an entry of the range is already in use.
    InUse {
        /// The first such entry.
        entry: usize,
    },
    /// [`IommuArena::set_pte`], [`IommuArena::map`]: the entry already holds
    /// a valid translation; overwriting it could leave a stale one in the
    /// IOMMU TLB. Free and allocate again instead.
    AlreadyMapped {
        /// The entry.
        entry: usize,
    },
    /// [`IommuArena::set_pte`], [`IommuArena::map`]: a physical address is
    /// not 8 KiB aligned.
    MisalignedPhys {
        /// The offending physical address.
        pa: u64,
    },
    /// [`IommuArena::map_single`]: `pa + len` overflows the address space.
    PhysOverflow {
        /// Physical address of the buffer.
        pa: u64,
        /// Its length in bytes.
        len: u64,
    },
    /// A bus address outside the window.
    NotInWindow {
        /// The offending bus address.
        dma_addr: u64,
        /// Window base.
        dma_base: u64,
        /// Window size in bytes.
        size: u64,
    },
}

impl fmt::Display for IommuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IommuError::EmptyTable => write!(f, "IOMMU arena has no PTEs"),
            IommuError::MisalignedBase { dma_base } => {
                write!(f, "IOMMU window base {dma_base:#x} is not 8 KiB aligned")
            }
            IommuError::WindowOverflow { dma_base, entries } => write!(
                f,
                "IOMMU window at {dma_base:#x} with {entries} PTEs overflows the bus address space"
            ),
            IommuError::InvalidAlignEntry { align_entry } => {
                write!(f, "IOMMU align_entry {align_entry} is not a power of two")
            }
            IommuError::BitmapTooSmall { words, needed } => write!(
                f,
                "IOMMU dirty bitmap too small: {words} words given, {needed} needed"
            ),
            IommuError::ZeroCount => write!(f, "IOMMU request for zero pages"),
            IommuError::InvalidAlignment { align_pages } => write!(
                f,
                "IOMMU alignment of {align_pages} pages is not a power of two"
            ),
            IommuError::InvalidBoundary { boundary } => write!(
                f,
                "IOMMU segment boundary {boundary:#x} is not a power of two of at least \
                 {PAGE_SIZE} bytes"
            ),
            IommuError::TooLarge { npages, max } => write!(
                f,
                "IOMMU request for {npages} pages can never fit (at most {max} pages)"
            ),
            IommuError::NoSpace {
                npages,
                align,
                boundary,
            } => {
                write!(
                    f,
                    "could not allocate dma page tables: no free run of {npages} PTEs \
                     aligned to {align}"
                )?;
                if boundary != 0 {
                    write!(f, " within a {boundary:#x} segment")?;
                }
                Ok(())
            }
            IommuError::OutOfRange {
                entry,
                npages,
                entries,
            } => write!(
                f,
                "IOMMU entries {entry}..{entry}+{npages} are outside the table of {entries} PTEs"
            ),
            IommuError::NotAllocated { entry } => {
                write!(f, "IOMMU entry {entry} is not allocated (double free?)")
            }
            IommuError::Reserved { entry } => {
                write!(f, "IOMMU entry {entry} is reserved, not allocated")
            }
            IommuError::SplitsLine { entry, align_entry } => write!(
                f,
                "IOMMU free would leave allocated entry {entry} starting a run in the middle \
                 of a TLB line (align_entry {align_entry})"
            ),
            IommuError::InUse { entry } => write!(f, "IOMMU entry {entry} is already in use"),
            IommuError::AlreadyMapped { entry } => write!(
                f,
                "IOMMU entry {entry} is already mapped; free and reallocate to remap"
            ),
            IommuError::MisalignedPhys { pa } => {
                write!(f, "physical address {pa:#x} is not 8 KiB aligned")
            }
            IommuError::PhysOverflow { pa, len } => write!(
                f,
                "buffer of {len:#x} bytes at physical address {pa:#x} overflows the address space"
            ),
            IommuError::NotInWindow {
                dma_addr,
                dma_base,
                size,
            } => write!(
                f,
                "bus address {dma_addr:#x} is outside the IOMMU window {dma_base:#x}+{size:#x}"
            ),
        }
    }
}

impl core::error::Error for IommuError {}

// ----------------------------------------------------------------------
// Dirty bitmap helpers
// ----------------------------------------------------------------------

/// Mask of bits `lo..hi` (`hi <= 64`) of a word.
fn bit_mask(lo: usize, hi: usize) -> u64 {
    let upper = if hi >= 64 { u64::MAX } else { (1u64 << hi) - 1 };
    upper & !((1u64 << lo) - 1)
}

/// Set bits `start .. start + len`.
fn bits_set(map: &mut [u64], start: usize, len: usize) {
    let end = start + len;
    let mut i = start;
    while i < end {
        let word = i / 64;
        let hi = (end - word * 64).min(64);
        map[word] |= bit_mask(i % 64, hi);
        i = word * 64 + hi;
    }
}

/// Whether any of the bits `start .. start + len` is set.
fn bits_any(map: &[u64], start: usize, len: usize) -> bool {
    let end = start + len;
    let mut i = start;
    while i < end {
        let word = i / 64;
        let hi = (end - word * 64).min(64);
        if map[word] & bit_mask(i % 64, hi) != 0 {
            return true;
        }
        i = word * 64 + hi;
    }
    false
}

// ----------------------------------------------------------------------
// The arena
// ----------------------------------------------------------------------

/// `x` rounded up to a multiple of `mask + 1` (a power of two), or `None`
/// on overflow (Linux `ALIGN`).
fn align_up(x: usize, mask: usize) -> Option<usize> {
    Some(x.checked_add(mask)? & !mask)
}

/// The PTE arena of one scatter-gather window (Linux `struct
/// pci_iommu_arena`). See the crate documentation.
pub struct IommuArena<'a> {
    /// The PTE table, `ptes[i]` translating bus page `dma_base / 8K + i`.
    ptes: &'a mut [u64],
    /// `Some` for [`FlushPolicy::DirtyBitmap`]: entries freed since the last
    /// TLB invalidation (exactly `dirty_bitmap_words(ptes.len())` words).
    dirty: Option<&'a mut [u64]>,
    /// Bus address of entry 0.
    dma_base: u64,
    /// Minimum alignment of every allocation, in entries.
    align_entry: usize,
    /// Next-fit hint: one past the end of the last allocation.
    next_entry: usize,
    /// Number of non-zero PTEs.
    used: usize,
    /// Nothing has been invalidated yet: the TLB holds whatever the console
    /// left in it.
    flush_pending: bool,
    stats: IommuStats,
    /// Test-only sabotage: pretend to invalidate without calling the TLB, to
    /// show that the caching-IOMMU model catches the bug.
    #[cfg(test)]
    pub(crate) broken_skip_flush: bool,
    /// Test-only sabotage: accept frees that leave a run starting mid-line.
    #[cfg(test)]
    pub(crate) broken_allow_split: bool,
}

impl fmt::Debug for IommuArena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IommuArena")
            .field("dma_base", &format_args!("{:#x}", self.dma_base))
            .field("entries", &self.ptes.len())
            .field("used", &self.used)
            .field("next_entry", &self.next_entry)
            .field("align_entry", &self.align_entry)
            .field("flush_mode", &self.flush_mode())
            .field("stats", &self.stats)
            .finish()
    }
}

impl<'a> IommuArena<'a> {
    /// Set up an arena over the PTE table `ptes` for the window starting at
    /// bus address `dma_base` (Linux `iommu_arena_new_node`). All PTEs are
    /// cleared to 0 (free). Every allocation starts at a multiple of
    /// `align_entry` entries, which must be a power of two and a multiple of
    /// the number of PTEs the IOMMU TLB caches per line (Tsunami/Typhoon:
    /// 4). No entry is handed out before one full TLB invalidation.
    pub fn new(
        dma_base: u64,
        ptes: &'a mut [u64],
        align_entry: usize,
        policy: FlushPolicy<'a>,
    ) -> Result<Self, IommuError> {
        let entries = ptes.len();
        if entries == 0 {
            return Err(IommuError::EmptyTable);
        }
        if dma_base & PAGE_OFFSET_MASK != 0 {
            return Err(IommuError::MisalignedBase { dma_base });
        }
        let fits = u64::try_from(entries)
            .ok()
            .and_then(|n| (n - 1).checked_mul(PAGE_SIZE))
            .and_then(|off| off.checked_add(PAGE_SIZE - 1))
            .and_then(|last| dma_base.checked_add(last))
            .is_some();
        if !fits {
            return Err(IommuError::WindowOverflow { dma_base, entries });
        }
        if !align_entry.is_power_of_two() {
            return Err(IommuError::InvalidAlignEntry { align_entry });
        }
        let dirty = match policy {
            FlushPolicy::LazyWrap => None,
            FlushPolicy::DirtyBitmap(map) => {
                let needed = dirty_bitmap_words(entries);
                if map.len() < needed {
                    return Err(IommuError::BitmapTooSmall {
                        words: map.len(),
                        needed,
                    });
                }
                let map = &mut map[..needed];
                map.fill(0);
                Some(map)
            }
        };
        ptes.fill(0);
        Ok(IommuArena {
            ptes,
            dirty,
            dma_base,
            align_entry,
            next_entry: 0,
            used: 0,
            flush_pending: true,
            stats: IommuStats::default(),
            #[cfg(test)]
            broken_skip_flush: false,
            #[cfg(test)]
            broken_allow_split: false,
        })
    }

    // ------------------------------------------------------------------
    // Geometry and accounting
    // ------------------------------------------------------------------

    /// Bus address of entry 0.
    pub fn dma_base(&self) -> u64 {
        self.dma_base
    }

    /// Size of the window in bytes.
    pub fn window_size(&self) -> u64 {
        self.ptes.len() as u64 * PAGE_SIZE
    }

    /// Number of PTEs in the table.
    pub fn total_entries(&self) -> usize {
        self.ptes.len()
    }

    /// Number of PTEs in use (allocated or reserved).
    pub fn used_entries(&self) -> usize {
        self.used
    }

    /// Number of free PTEs.
    pub fn free_entries(&self) -> usize {
        self.ptes.len() - self.used
    }

    /// Length of the longest run of free PTEs (ignoring alignment and
    /// boundaries). O(entries).
    pub fn largest_free_run(&self) -> usize {
        let (mut best, mut run) = (0, 0);
        for &pte in self.ptes.iter() {
            if pte == 0 {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
        best
    }

    /// The minimum alignment of allocations, in entries.
    pub fn align_entry(&self) -> usize {
        self.align_entry
    }

    /// The next-fit hint: where the next search starts (rounded up to the
    /// request's alignment).
    pub fn next_entry(&self) -> usize {
        self.next_entry
    }

    /// The flush policy in use.
    pub fn flush_mode(&self) -> FlushMode {
        if self.dirty.is_some() {
            FlushMode::DirtyBitmap
        } else {
            FlushMode::LazyWrap
        }
    }

    /// Event counters.
    pub fn stats(&self) -> IommuStats {
        self.stats
    }

    /// The PTE of `entry`, or `None` if it is outside the table.
    pub fn pte(&self, entry: usize) -> Option<u64> {
        self.ptes.get(entry).copied()
    }

    /// The whole PTE table, read-only (what the IOMMU walks).
    pub fn ptes(&self) -> &[u64] {
        self.ptes
    }

    /// Whether `entry` was freed since the last full TLB invalidation
    /// (always `false` under [`FlushPolicy::LazyWrap`], which keeps no such
    /// record, and for entries outside the table).
    pub fn is_dirty(&self, entry: usize) -> bool {
        match &self.dirty {
            Some(map) if entry < self.ptes.len() => bits_any(map, entry, 1),
            _ => false,
        }
    }

    /// Bus address of `entry`'s page.
    pub fn dma_addr(&self, entry: usize) -> Result<u64, IommuError> {
        if entry >= self.ptes.len() {
            return Err(IommuError::OutOfRange {
                entry,
                npages: 1,
                entries: self.ptes.len(),
            });
        }
        Ok(self.dma_base + entry as u64 * PAGE_SIZE)
    }

    /// The entry translating bus address `dma_addr`.
    pub fn entry_of(&self, dma_addr: u64) -> Result<usize, IommuError> {
        match dma_addr.checked_sub(self.dma_base) {
            Some(off) if off < self.window_size() => Ok((off >> PAGE_SHIFT) as usize),
            _ => Err(IommuError::NotInWindow {
                dma_addr,
                dma_base: self.dma_base,
                size: self.window_size(),
            }),
        }
    }

    /// Bus address of the last byte of entries `entry .. entry + npages`
    /// (which must be inside the table).
    fn last_dma(&self, entry: usize, npages: usize) -> u64 {
        self.dma_base + (entry + npages) as u64 * PAGE_SIZE - 1
    }

    fn check_range(&self, entry: usize, npages: usize) -> Result<(), IommuError> {
        if npages == 0 {
            return Err(IommuError::ZeroCount);
        }
        match entry.checked_add(npages) {
            Some(end) if end <= self.ptes.len() => Ok(()),
            _ => Err(IommuError::OutOfRange {
                entry,
                npages: npages as u64,
                entries: self.ptes.len(),
            }),
        }
    }

    // ------------------------------------------------------------------
    // TLB invalidation
    // ------------------------------------------------------------------

    /// Invalidate the whole IOMMU TLB and forget every dirty entry.
    fn tbia(&mut self, tlb: &mut impl IommuTlb) {
        #[cfg(test)]
        let skip = self.broken_skip_flush;
        #[cfg(not(test))]
        let skip = false;
        if !skip {
            tlb.invalidate_all();
        }
        self.stats.invalidate_all += 1;
        self.flush_pending = false;
        if let Some(map) = &mut self.dirty {
            map.fill(0);
        }
    }

    /// Invalidate the TLB for entries `entry .. entry + npages`.
    fn tbi_range(&mut self, entry: usize, npages: usize, tlb: &mut impl IommuTlb) {
        #[cfg(test)]
        let skip = self.broken_skip_flush;
        #[cfg(not(test))]
        let skip = false;
        if !skip {
            let first = self.dma_base + entry as u64 * PAGE_SIZE;
            tlb.invalidate_range(first, self.last_dma(entry, npages));
        }
        self.stats.invalidate_range += 1;
    }

    /// Invalidate the whole IOMMU TLB now (e.g. after reprogramming the
    /// window); the dirty record is cleared.
    pub fn flush_tlb(&mut self, tlb: &mut impl IommuTlb) {
        self.tbia(tlb);
    }

    // ------------------------------------------------------------------
    // Allocation
    // ------------------------------------------------------------------

    /// First run of `npages` free entries starting at a position
    /// `p >= start` (rounded up to `mask + 1`) with `p < limit`, aligned to
    /// `mask + 1` and not crossing a multiple of `boundary_pages` bus pages
    /// (0: no boundary). Linux `iommu_arena_find_pages`, one pass.
    fn find_pages(
        &self,
        start: usize,
        limit: usize,
        npages: usize,
        mask: usize,
        boundary_pages: u64,
    ) -> Option<usize> {
        let nent = self.ptes.len();
        let base_page = self.dma_base >> PAGE_SHIFT;
        let mut p = align_up(start, mask)?;
        loop {
            if p >= limit || p > nent || npages > nent - p {
                return None;
            }
            if boundary_pages != 0 {
                // iommu_is_span_boundary, in absolute bus pages.
                let off = (base_page + p as u64) & (boundary_pages - 1);
                if off + npages as u64 > boundary_pages {
                    // Every start before the next boundary crosses it too.
                    let next = usize::try_from(p as u64 + (boundary_pages - off)).ok()?;
                    p = align_up(next, mask)?;
                    continue;
                }
            }
            // Scan the candidate run from its end: every start up to the
            // last used entry would contain that entry, so skip past it.
            match self.ptes[p..p + npages].iter().rposition(|&pte| pte != 0) {
                Some(i) => p = align_up(p + i + 1, mask)?,
                None => return Some(p),
            }
        }
    }

    /// Allocate `npages` consecutive PTEs (Linux `iommu_arena_alloc`) and
    /// return the first entry. The entries are marked in use with
    /// [`IOMMU_INVALID_PTE`]; fill them with [`set_pte`](Self::set_pte) or
    /// [`map`](Self::map) before handing [`dma_addr`](Self::dma_addr) to
    /// the device.
    ///
    /// * `align_pages` (0 or a power of two): the first entry is a multiple
    ///   of `max(align_pages, align_entry)` (Linux: 8 for the ISA bridge's
    ///   64 KiB alignment).
    /// * `boundary`: a segment boundary in bytes (power of two, at least one
    ///   page, like `dma_get_seg_boundary(dev) + 1`): the allocation's bus
    ///   addresses do not cross a multiple of it. `None`: no constraint.
    ///
    /// The search is next fit from `next_entry`, wrapping once to entry 0.
    /// Before returning entries that may still be cached in the IOMMU TLB,
    /// `tlb` is invalidated according to the arena's [`FlushPolicy`].
    pub fn alloc(
        &mut self,
        npages: usize,
        align_pages: usize,
        boundary: Option<u64>,
        tlb: &mut impl IommuTlb,
    ) -> Result<usize, IommuError> {
        if npages == 0 {
            return Err(IommuError::ZeroCount);
        }
        if align_pages != 0 && !align_pages.is_power_of_two() {
            return Err(IommuError::InvalidAlignment { align_pages });
        }
        let boundary_pages = match boundary {
            None => 0,
            Some(b) if b.is_power_of_two() && b >= PAGE_SIZE => b >> PAGE_SHIFT,
            Some(b) => return Err(IommuError::InvalidBoundary { boundary: b }),
        };
        let mut max = self.ptes.len() as u64;
        if boundary_pages != 0 {
            max = max.min(boundary_pages);
        }
        if npages as u64 > max {
            self.stats.alloc_failures += 1;
            return Err(IommuError::TooLarge {
                npages: npages as u64,
                max,
            });
        }
        let mask = align_pages.max(self.align_entry) - 1;

        // Pass 1: from next_entry to the end of the table.
        let start = align_up(self.next_entry, mask).unwrap_or(usize::MAX);
        let mut found = self.find_pages(start, usize::MAX, npages, mask, boundary_pages);
        let mut flushed = false;
        if found.is_none() {
            // Pass 2: wrap around to entry 0. Starts at or after `start`
            // were all tried already.
            self.stats.wraps += 1;
            if self.dirty.is_none() {
                // Linux: "Reached the end. Flush the TLB and restart the
                // search from the beginning."
                self.tbia(tlb);
                flushed = true;
            }
            found = self.find_pages(0, start, npages, mask, boundary_pages);
        }
        let Some(p) = found else {
            self.stats.alloc_failures += 1;
            return Err(IommuError::NoSpace {
                npages,
                align: mask + 1,
                boundary: boundary.unwrap_or(0),
            });
        };

        let must_flush = match &self.dirty {
            None => self.flush_pending && !flushed,
            Some(map) => self.flush_pending || bits_any(map, p, npages),
        };
        if must_flush {
            self.tbia(tlb);
        }

        // Mark them in use, but invalid for the IOMMU TLB that could load
        // them from under us.
        self.ptes[p..p + npages].fill(IOMMU_INVALID_PTE);
        self.used += npages;
        self.next_entry = p + npages;
        self.stats.allocs += 1;
        Ok(p)
    }

    /// Check that every entry of `entry .. entry + npages` is allocated
    /// (not free, not reserved).
    fn check_allocated(&self, entry: usize, npages: usize) -> Result<(), IommuError> {
        self.check_range(entry, npages)?;
        for (i, &pte) in self.ptes[entry..entry + npages].iter().enumerate() {
            match pte {
                0 => return Err(IommuError::NotAllocated { entry: entry + i }),
                IOMMU_RESERVED_PTE => return Err(IommuError::Reserved { entry: entry + i }),
                _ => {}
            }
        }
        Ok(())
    }

    /// Free the PTEs `entry .. entry + npages` (Linux `iommu_arena_free`):
    /// they are cleared to 0 at once. Every entry must be allocated; a
    /// range may cover several adjacent allocations, or part of one as long
    /// as what remains after it starts on an `align_entry` boundary
    /// ([`IommuError::SplitsLine`]): every run of allocated entries must
    /// start on a TLB line, so that no line is shared between what the
    /// device may still use and what a later allocation gets.
    ///
    /// The TLB is not flushed here under [`FlushPolicy::DirtyBitmap`] (the
    /// entries are recorded as dirty instead); under
    /// [`FlushPolicy::LazyWrap`] the range is invalidated if it reaches at
    /// or above `next_entry`, like `alpha_pci_unmap_page`.
    pub fn free(
        &mut self,
        entry: usize,
        npages: usize,
        tlb: &mut impl IommuTlb,
    ) -> Result<(), IommuError> {
        self.check_allocated(entry, npages)?;
        #[cfg(test)]
        let check_split = !self.broken_allow_split;
        #[cfg(not(test))]
        let check_split = true;
        let after = entry + npages;
        if check_split
            && !after.is_multiple_of(self.align_entry)
            && matches!(self.ptes.get(after), Some(&pte) if pte != 0 && pte != IOMMU_RESERVED_PTE)
        {
            return Err(IommuError::SplitsLine {
                entry: after,
                align_entry: self.align_entry,
            });
        }
        self.ptes[entry..entry + npages].fill(0);
        self.used -= npages;
        self.stats.frees += 1;
        match &mut self.dirty {
            Some(map) => bits_set(map, entry, npages),
            None => {
                // "If we're freeing ptes above the `next_entry' pointer
                // (they may have snuck back into the TLB since the last wrap
                // flush), we need to flush the TLB before reallocating the
                // latter."
                if entry + npages > self.next_entry {
                    self.tbi_range(entry, npages, tlb);
                }
            }
        }
        Ok(())
    }

    /// Mark the free entries `entry .. entry + npages` permanently in use
    /// with [`IOMMU_RESERVED_PTE`] (like Linux `iommu_reserve`, at a fixed
    /// place: e.g. a hole in an ISA window). They are never allocated and
    /// cannot be freed or mapped.
    pub fn reserve(&mut self, entry: usize, npages: usize) -> Result<(), IommuError> {
        self.check_range(entry, npages)?;
        if let Some(i) = self.ptes[entry..entry + npages]
            .iter()
            .position(|&p| p != 0)
        {
            return Err(IommuError::InUse { entry: entry + i });
        }
        self.ptes[entry..entry + npages].fill(IOMMU_RESERVED_PTE);
        self.used += npages;
        Ok(())
    }

    // ------------------------------------------------------------------
    // Filling PTEs
    // ------------------------------------------------------------------

    /// Check that `entry` can be given a translation to `pa`.
    fn check_settable(&self, entry: usize, pa: u64) -> Result<(), IommuError> {
        let Some(&pte) = self.ptes.get(entry) else {
            return Err(IommuError::OutOfRange {
                entry,
                npages: 1,
                entries: self.ptes.len(),
            });
        };
        if pa & PAGE_OFFSET_MASK != 0 {
            return Err(IommuError::MisalignedPhys { pa });
        }
        match pte {
            0 => Err(IommuError::NotAllocated { entry }),
            IOMMU_RESERVED_PTE => Err(IommuError::Reserved { entry }),
            IOMMU_INVALID_PTE => Ok(()),
            _ => Err(IommuError::AlreadyMapped { entry }),
        }
    }

    /// Map the allocated, not yet mapped `entry` to the 8 KiB page at
    /// physical address `pa`: `ptes[entry] = mk_iommu_pte(pa)`.
    pub fn set_pte(&mut self, entry: usize, pa: u64) -> Result<(), IommuError> {
        self.check_settable(entry, pa)?;
        self.ptes[entry] = mk_iommu_pte(pa);
        Ok(())
    }

    /// Map consecutive entries from `first` to the pages `pages` yields
    /// (physical addresses, 8 KiB aligned), as `sg_fill` does; returns the
    /// number of PTEs written. Everything is checked before anything is
    /// written, so on error no PTE has changed.
    pub fn map<I>(&mut self, first: usize, pages: I) -> Result<usize, IommuError>
    where
        I: IntoIterator<Item = u64>,
        I::IntoIter: Clone,
    {
        let pages = pages.into_iter();
        let mut n = 0usize;
        for pa in pages.clone() {
            let Some(entry) = first.checked_add(n).filter(|&e| e < self.ptes.len()) else {
                return Err(IommuError::OutOfRange {
                    entry: first,
                    npages: n as u64 + 1,
                    entries: self.ptes.len(),
                });
            };
            self.check_settable(entry, pa)?;
            n += 1;
        }
        for (i, pa) in pages.take(n).enumerate() {
            self.ptes[first + i] = mk_iommu_pte(pa);
        }
        Ok(n)
    }

    /// Map the physically contiguous buffer of `len` bytes at physical
    /// address `pa` (Linux `pci_map_single_1` through the SG window):
    /// allocate `iommu_num_pages(pa, len)` entries (see
    /// [`alloc`](Self::alloc) for `align_pages` and `boundary`), fill them,
    /// and return the bus address of the buffer's first byte (the offset
    /// within the page is kept).
    pub fn map_single(
        &mut self,
        pa: u64,
        len: u64,
        align_pages: usize,
        boundary: Option<u64>,
        tlb: &mut impl IommuTlb,
    ) -> Result<u64, IommuError> {
        if len == 0 {
            return Err(IommuError::ZeroCount);
        }
        if pa.checked_add(len - 1).is_none() {
            return Err(IommuError::PhysOverflow { pa, len });
        }
        let npages64 = iommu_num_pages(pa, len);
        let Ok(npages) = usize::try_from(npages64) else {
            return Err(IommuError::TooLarge {
                npages: npages64,
                max: self.ptes.len() as u64,
            });
        };
        let entry = self.alloc(npages, align_pages, boundary, tlb)?;
        let page = pa & !PAGE_OFFSET_MASK;
        for (i, pte) in self.ptes[entry..entry + npages].iter_mut().enumerate() {
            *pte = mk_iommu_pte(page + i as u64 * PAGE_SIZE);
        }
        Ok(self.dma_base + entry as u64 * PAGE_SIZE + (pa & PAGE_OFFSET_MASK))
    }

    /// Unmap a buffer mapped by [`map_single`](Self::map_single): free the
    /// `iommu_num_pages(dma_addr, len)` entries from the one translating
    /// `dma_addr` (Linux `alpha_pci_unmap_page`).
    pub fn unmap_single(
        &mut self,
        dma_addr: u64,
        len: u64,
        tlb: &mut impl IommuTlb,
    ) -> Result<(), IommuError> {
        if len == 0 {
            return Err(IommuError::ZeroCount);
        }
        let entry = self.entry_of(dma_addr)?;
        let npages64 = iommu_num_pages(dma_addr, len);
        let Ok(npages) = usize::try_from(npages64) else {
            return Err(IommuError::OutOfRange {
                entry,
                npages: npages64,
                entries: self.ptes.len(),
            });
        };
        self.free(entry, npages, tlb)
    }
}
