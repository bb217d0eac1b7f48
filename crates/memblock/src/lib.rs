//! A Linux-style *memblock*: the early boot memory manager.
//!
//! Before the kernel has a page allocator or a heap, it needs to know which
//! physical memory exists and which parts of it are already taken (kernel
//! image, page tables, firmware data, ...), and it needs to allocate a few
//! early data structures. Linux does this with memblock (`mm/memblock.c`),
//! and this crate follows its design and names:
//!
//! * two region lists, **`memory`** (the physical memory the kernel may use)
//!   and **`reserved`** (ranges in use), each a sorted array of disjoint,
//!   merged [`Region`]s of fixed capacity `N`;
//! * [`add`](Memblock::add)/[`remove`](Memblock::remove) change `memory`,
//!   [`reserve`](Memblock::reserve)/[`free`](Memblock::free) change
//!   `reserved`;
//! * **free memory** is `memory` minus `reserved`
//!   ([`free_ranges`](Memblock::free_ranges));
//! * [`alloc`](Memblock::alloc) finds a free range and reserves it, from the
//!   top of memory down by default ([`Direction::TopDown`]).
//!
//! Reserving memory that is not in `memory` is allowed (as in Linux): it
//! just never becomes free, even if it is added to `memory` later.
//!
//! ```
//! use memblock::{Direction, Memblock, ALLOC_ANYWHERE};
//!
//! let mut mb: Memblock<16> = Memblock::new();
//! mb.add(0, 0x10_0000)?;             // 1 MiB of RAM at 0
//! mb.reserve(0, 0x4000)?;            // firmware and kernel image
//! let a = mb.alloc(0x2000, 0x2000, 0, ALLOC_ANYWHERE, Direction::TopDown)?;
//! assert_eq!(a, 0x10_0000 - 0x2000); // top-down: the highest fitting page
//! assert_eq!(mb.free_size(), 0x10_0000 - 0x4000 - 0x2000);
//! # Ok::<(), memblock::Error>(())
//! ```
//!
//! # Differences from Linux
//!
//! * No heap: the arrays never grow. An operation that would need more than
//!   `N` regions fails with [`Error::Full`] and changes nothing (Linux would
//!   call `memblock_double_array()`). Only operations that really need a new
//!   slot can fail: removing the middle of a region needs one, merging never
//!   does.
//! * Errors are typed ([`Error`]) instead of `-ENOMEM`/0, so address 0 is a
//!   valid allocation result: Linux's allocator skips the first page because
//!   it returns 0 on failure; reserve page 0 yourself if you need that.
//! * No NUMA node ids, no region flags (hotplug, mirror, nomap), no
//!   `current_limit`: pass `max_addr` to [`alloc`](Memblock::alloc) instead.
//! * [`add`](Memblock::add) and [`reserve`](Memblock::reserve) reject ranges
//!   that wrap past `u64::MAX` ([`Error::Overflow`]); Linux silently clamps
//!   them (`memblock_cap_size()`). [`remove`](Memblock::remove) and
//!   [`free`](Memblock::free) clamp like Linux, so `remove(base, u64::MAX)`
//!   means "remove everything from `base` up".
//! * Ranges are half-open `[base, base + size)` with an end that must fit in
//!   a `u64`, so the very last byte of the address space (`u64::MAX`) can
//!   never belong to a region — as in Linux, where `PHYS_ADDR_MAX` is the
//!   exclusive end of everything.
//! * An empty list has count 0 (Linux keeps a dummy zero-size entry and
//!   prints `cnt = 0x1`).
//!
//! Nothing here panics, allocates, or uses `unsafe`.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod free;
mod region;

use core::fmt;

pub use error::{Error, RegionKind};
pub use free::FreeRanges;
pub use region::Region;
use region::RegionArray;

/// Default capacity of each region list, Linux's `INIT_MEMBLOCK_REGIONS`.
pub const INIT_MEMBLOCK_REGIONS: usize = 128;

/// `max_addr` meaning "no upper limit" (Linux's `MEMBLOCK_ALLOC_ANYWHERE`).
pub const ALLOC_ANYWHERE: u64 = u64::MAX;

/// The exclusive end of the physical address space (Linux's `PHYS_ADDR_MAX`).
pub const PHYS_ADDR_MAX: u64 = u64::MAX;

/// In which order [`Memblock::alloc`] searches free memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the highest address down: returns the *highest* suitable
    /// address. Linux's default; it keeps low memory (which devices with
    /// small DMA masks need) free for as long as possible.
    #[default]
    TopDown,
    /// From the lowest address up: returns the *lowest* suitable address
    /// (Linux's `memblock_set_bottom_up(true)`, used to allocate close to
    /// the kernel image).
    BottomUp,
}

/// The early memory manager: a `memory` list and a `reserved` list of at
/// most `N` regions each (Linux's `struct memblock`).
///
/// `new` is `const`, so a kernel can keep one in a `static`:
/// `static MEMBLOCK: Mutex<Memblock> = Mutex::new(Memblock::new());`
/// (about `2 * N * 16` bytes; 4 KiB for the default `N` of 128).
#[derive(Clone, Debug)]
pub struct Memblock<const N: usize = INIT_MEMBLOCK_REGIONS> {
    memory: RegionArray<N>,
    reserved: RegionArray<N>,
}

impl<const N: usize> Default for Memblock<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// `base + size`, or [`Error::Overflow`] if that wraps.
fn checked_end(base: u64, size: u64) -> Result<u64, Error> {
    base.checked_add(size).ok_or(Error::Overflow { base, size })
}

/// `base + size` clamped to [`PHYS_ADDR_MAX`] (Linux's `memblock_cap_size()`).
fn capped_end(base: u64, size: u64) -> u64 {
    base.saturating_add(size)
}

impl<const N: usize> Memblock<N> {
    /// Empty lists: no memory, nothing reserved.
    pub const fn new() -> Self {
        Memblock {
            memory: RegionArray::new(RegionKind::Memory),
            reserved: RegionArray::new(RegionKind::Reserved),
        }
    }

    // ---------------------------------------------------------------------
    // Changing the lists
    // ---------------------------------------------------------------------

    /// Adds `[base, base + size)` to `memory` (Linux's `memblock_add()`).
    ///
    /// The range may overlap or touch existing memory regions; they are
    /// merged into one. A zero size does nothing.
    ///
    /// # Errors
    /// [`Error::Overflow`] if the range wraps past `u64::MAX`,
    /// [`Error::Full`] if the memory array has no room for a new region.
    pub fn add(&mut self, base: u64, size: u64) -> Result<(), Error> {
        let end = checked_end(base, size)?;
        self.memory.add_range(base, end)
    }

    /// Removes `[base, base + size)` from `memory` (Linux's `memblock_remove()`).
    ///
    /// Regions crossing the range boundaries are cut; a region containing
    /// the whole range is split in two. Removing memory that is not there is
    /// fine; a size reaching past `u64::MAX` is clamped, so
    /// `remove(base, u64::MAX)` removes everything from `base` up. A zero
    /// size does nothing. `reserved` is not touched.
    ///
    /// # Errors
    /// [`Error::Full`] if a split needs a slot and the array is full.
    pub fn remove(&mut self, base: u64, size: u64) -> Result<(), Error> {
        self.memory.remove_range(base, capped_end(base, size))
    }

    /// Marks `[base, base + size)` as reserved (Linux's `memblock_reserve()`).
    ///
    /// Overlapping and touching reservations merge. The range does not have
    /// to be in `memory`. A zero size does nothing.
    ///
    /// # Errors
    /// [`Error::Overflow`] if the range wraps past `u64::MAX`,
    /// [`Error::Full`] if the reserved array has no room for a new region.
    pub fn reserve(&mut self, base: u64, size: u64) -> Result<(), Error> {
        let end = checked_end(base, size)?;
        self.reserved.add_range(base, end)
    }

    /// Un-reserves `[base, base + size)` (Linux's `memblock_free()`; it
    /// does not hand memory to any other allocator).
    ///
    /// Same rules as [`remove`](Self::remove), applied to `reserved`.
    ///
    /// # Errors
    /// [`Error::Full`] if a split needs a slot and the array is full.
    pub fn free(&mut self, base: u64, size: u64) -> Result<(), Error> {
        self.reserved.remove_range(base, capped_end(base, size))
    }

    /// Applies a `mem=limit` memory limit (Linux's
    /// `memblock_enforce_memory_limit()`).
    ///
    /// `limit` is an amount of memory, not an address: the kernel keeps the
    /// first `limit` bytes of `memory`, counted from the lowest region up
    /// and skipping holes. Let `max_addr` be the address where that amount
    /// is reached; **both `memory` and `reserved`** are truncated at
    /// `max_addr` (everything at or above it is dropped), and `max_addr` is
    /// returned.
    ///
    /// Nothing happens, and `None` is returned, if `limit` is 0 or larger
    /// than the total memory. As in Linux, a `limit` exactly equal to the
    /// total memory cuts at the end of the last memory region, which drops
    /// only reservations lying above all memory.
    ///
    /// Truncation never splits a region, so this cannot fail.
    pub fn enforce_memory_limit(&mut self, limit: u64) -> Option<u64> {
        if limit == 0 {
            return None;
        }
        let max_addr = self.find_max_addr(limit)?;
        self.memory.truncate_above(max_addr);
        self.reserved.truncate_above(max_addr);
        Some(max_addr)
    }

    /// The address below which `memory` holds exactly `limit` bytes, or
    /// `None` if it holds less (Linux's `__find_max_addr()`).
    fn find_max_addr(&self, mut limit: u64) -> Option<u64> {
        for r in self.memory.as_slice() {
            if limit <= r.size {
                return Some(r.base + limit);
            }
            limit -= r.size;
        }
        None
    }

    /// Keeps only `[base, base + size)` of both `memory` and `reserved`
    /// (Linux's `memblock_cap_memory_range()`, used e.g. by crash kernels).
    /// A zero size does nothing; a size past `u64::MAX` is clamped.
    /// Never splits a region, so this cannot fail.
    pub fn cap_memory_range(&mut self, base: u64, size: u64) {
        if size == 0 {
            return;
        }
        let end = capped_end(base, size);
        for list in [&mut self.memory, &mut self.reserved] {
            list.truncate_below(base);
            list.truncate_above(end);
        }
    }

    // ---------------------------------------------------------------------
    // Allocation
    // ---------------------------------------------------------------------

    /// Allocates `size` bytes aligned to `align` inside
    /// `[min_addr, max_addr)` and reserves them; returns the base address
    /// (Linux's `memblock_phys_alloc_range()`).
    ///
    /// The result lies in `memory`, outside `reserved`, is a multiple of
    /// `align`, and satisfies `min_addr <= base` and
    /// `base + size <= max_addr`. Pass [`ALLOC_ANYWHERE`] as `max_addr` for
    /// no upper limit. With [`Direction::TopDown`] it is the highest such
    /// address, with [`Direction::BottomUp`] the lowest.
    ///
    /// # Errors
    /// [`Error::ZeroSize`], [`Error::BadAlign`] (alignment not a power of
    /// two), [`Error::NoSpace`] if no free range fits, and [`Error::Full`]
    /// if a fitting range was found but the reserved array cannot take a
    /// new region.
    pub fn alloc(
        &mut self,
        size: u64,
        align: u64,
        min_addr: u64,
        max_addr: u64,
        direction: Direction,
    ) -> Result<u64, Error> {
        let base = self.find_in_range(size, align, min_addr, max_addr, direction)?;
        self.reserve(base, size)?;
        Ok(base)
    }

    /// Finds where [`alloc`](Self::alloc) would allocate, without reserving
    /// anything (Linux's `memblock_find_in_range()`; note that the argument
    /// order follows `alloc`, not Linux's `(start, end, size, align)`).
    ///
    /// # Errors
    /// As [`alloc`](Self::alloc), except [`Error::Full`].
    pub fn find_in_range(
        &self,
        size: u64,
        align: u64,
        min_addr: u64,
        max_addr: u64,
        direction: Direction,
    ) -> Result<u64, Error> {
        if size == 0 {
            return Err(Error::ZeroSize);
        }
        if !align.is_power_of_two() {
            return Err(Error::BadAlign { align });
        }
        let mut ranges = self.free_ranges_in(min_addr, max_addr);
        let found = match direction {
            Direction::TopDown => ranges.rev().find_map(|r| fit_top_down(r, size, align)),
            Direction::BottomUp => ranges.find_map(|r| fit_bottom_up(r, size, align)),
        };
        found.ok_or(Error::NoSpace {
            size,
            align,
            min_addr,
            max_addr,
        })
    }

    // ---------------------------------------------------------------------
    // Looking at the lists
    // ---------------------------------------------------------------------

    /// The `memory` regions, sorted, disjoint and merged.
    pub fn memory_regions(&self) -> &[Region] {
        self.memory.as_slice()
    }

    /// The `reserved` regions, sorted, disjoint and merged.
    pub fn reserved_regions(&self) -> &[Region] {
        self.reserved.as_slice()
    }

    /// Free memory (`memory` minus `reserved`) in ascending order
    /// (Linux's `for_each_free_mem_range()`; use `.rev()` for
    /// `for_each_free_mem_range_reverse()`).
    pub fn free_ranges(&self) -> FreeRanges<'_> {
        self.free_ranges_in(0, PHYS_ADDR_MAX)
    }

    /// Free memory clipped to the window `[start, end)`.
    pub fn free_ranges_in(&self, start: u64, end: u64) -> FreeRanges<'_> {
        FreeRanges::new(self.memory.as_slice(), self.reserved.as_slice(), start, end)
    }

    /// Total size of `memory` (Linux's `memblock_phys_mem_size()`).
    pub fn total_memory(&self) -> u64 {
        self.memory.total_size()
    }

    /// Total size of `reserved` (Linux's `memblock_reserved_size()`),
    /// including reservations outside `memory`.
    pub fn reserved_size(&self) -> u64 {
        self.reserved.total_size()
    }

    /// Total size of free memory, the sum of [`free_ranges`](Self::free_ranges).
    /// Equal to `total_memory() - reserved_size()` only when everything
    /// reserved is also memory.
    pub fn free_size(&self) -> u64 {
        self.free_ranges()
            .fold(0, |sum, r| sum.saturating_add(r.size))
    }

    /// Lowest memory address (Linux's `memblock_start_of_DRAM()`).
    pub fn start_of_dram(&self) -> Option<u64> {
        self.memory.as_slice().first().map(|r| r.base)
    }

    /// End of the highest memory region, exclusive (Linux's `memblock_end_of_DRAM()`).
    pub fn end_of_dram(&self) -> Option<u64> {
        self.memory.as_slice().last().map(Region::end)
    }

    /// Whether the byte at `addr` is reserved (Linux's `memblock_is_reserved()`).
    pub fn is_reserved(&self, addr: u64) -> bool {
        self.reserved.search(addr).is_some()
    }

    /// Whether `[base, base + size)` intersects `reserved` (Linux's
    /// `memblock_is_region_reserved()`). A size past `u64::MAX` is clamped;
    /// an empty range intersects nothing.
    pub fn overlaps_reserved(&self, base: u64, size: u64) -> bool {
        self.reserved.overlaps(base, capped_end(base, size))
    }

    /// Whether `[base, base + size)` lies entirely inside one memory region
    /// (Linux's `memblock_is_region_memory()`). Empty and wrapping ranges
    /// are never memory.
    pub fn is_memory(&self, base: u64, size: u64) -> bool {
        let Some(end) = base.checked_add(size).filter(|_| size > 0) else {
            return false;
        };
        self.memory
            .search(base)
            .and_then(|i| self.memory.as_slice().get(i))
            .is_some_and(|r| end <= r.end())
    }

    /// Writes both lists in the format of Linux's `memblock_dump_all()`
    /// (which Linux prints when booted with `memblock=debug`):
    ///
    /// ```text
    /// MEMBLOCK configuration:
    ///  memory size = 0x0000000008000000 reserved size = 0x0000000000004000
    ///  memory.cnt  = 0x1
    ///  memory[0x0]    [0x0000000000000000-0x0000000007ffffff], 0x0000000008000000 bytes flags: 0x0
    ///  reserved.cnt  = 0x1
    ///  reserved[0x0]  [0x0000000000000000-0x0000000000003fff], 0x0000000000004000 bytes flags: 0x0
    /// ```
    ///
    /// (with a tab, not spaces, after `memory[0x0]`). Ranges are printed
    /// with an inclusive end; `flags` is always 0 since
    /// this memblock has no region flags.
    pub fn dump(&self, w: &mut impl fmt::Write) -> fmt::Result {
        writeln!(w, "MEMBLOCK configuration:")?;
        writeln!(
            w,
            " memory size = {:#018x} reserved size = {:#018x}",
            self.total_memory(),
            self.reserved_size()
        )?;
        dump_list(w, RegionKind::Memory, self.memory_regions())?;
        dump_list(w, RegionKind::Reserved, self.reserved_regions())
    }
}

/// One list of [`Memblock::dump`] (Linux's `memblock_dump()`).
fn dump_list(w: &mut impl fmt::Write, kind: RegionKind, regions: &[Region]) -> fmt::Result {
    writeln!(w, " {kind}.cnt  = {:#x}", regions.len())?;
    for (idx, r) in regions.iter().enumerate() {
        writeln!(
            w,
            " {kind}[{idx:#x}]\t{r}, {:#018x} bytes flags: 0x0",
            r.size
        )?;
    }
    Ok(())
}

/// Highest `align`-aligned start of `size` bytes inside the free range `r`
/// (the body of Linux's `__memblock_find_range_top_down()`).
fn fit_top_down(r: Region, size: u64, align: u64) -> Option<u64> {
    let cand = r.end().checked_sub(size)? & !(align - 1);
    (cand >= r.base).then_some(cand)
}

/// Lowest `align`-aligned start of `size` bytes inside the free range `r`
/// (the body of Linux's `__memblock_find_range_bottom_up()`).
fn fit_bottom_up(r: Region, size: u64, align: u64) -> Option<u64> {
    // round_up(base, align); if that overflows, nothing aligned fits.
    let cand = r.base.checked_add(align - 1)? & !(align - 1);
    (cand < r.end() && r.end() - cand >= size).then_some(cand)
}

#[cfg(test)]
mod tests;
