//! The kernel heap: size-class slabs (Linux's `kmalloc-N` caches, SLUB
//! style) in front of first-fit regions that grow from a page source.
//!
//! # Layout
//!
//! * **Regions** (the back end): up to [`MAX_REGIONS`]
//!   `linked_list_allocator::Heap`s, first fit, searched in slot order.
//!   A *permanent* region is given once ([`KHeap::add_region`]: the
//!   kernel's early `.bss` arena). When nothing fits, the heap *grows*: it
//!   takes a block of at least `grow_min` bytes (a power of two) from its
//!   [`PageSource`] (the buddy allocator) and makes it a region; a grown
//!   region that becomes empty goes straight back to the source.
//! * **Slabs** (the front end): a request of at most [`MAX_SMALL`] bytes
//!   and alignment is rounded up to one of [`NCLASSES`] classes
//!   ([`CLASS_SIZES`]: 16-1024 bytes) and served from a slab of that class:
//!   a [`SLAB_SIZE`] (8 KiB) chunk carved from a region, aligned to its
//!   size, with a header at its start, then equal objects. Allocation pops
//!   the first slab of the class's *partial list* (slabs with a free
//!   object; full slabs are on no list), freeing pushes the object back
//!   on its slab's intrusive free list: both O(1). The slab of a pointer is
//!   `ptr & !(SLAB_SIZE - 1)`. A slab that becomes empty goes back to its
//!   region (and so, if the region empties, to the source), except that
//!   each class keeps one empty slab when it lies in a permanent region,
//!   which is never given back anyway (so one object allocated and freed
//!   in a loop does not carve and return a slab every time).
//!
//! # Checks
//!
//! Nothing the caller passes to [`KHeap::free`] is trusted until checked,
//! in O(1) (plus a scan of at most [`MAX_REGIONS`] address ranges):
//! the pointer must lie in a region; a small layout needs a live slab header
//! (magic keyed by its address) of the layout's class, an object start
//! and an allocated object (double frees are caught by the slab's
//! bitmap); a large layout must not point into a slab, and must be aligned
//! and end inside its region. A refused free
//! changes nothing but the counters ([`Stats::bad_frees`]) and returns a
//! [`FreeError`] for the caller to log. What cannot be checked: a free
//! of a large (region) allocation twice, or at a wrong address inside
//! another large allocation (`linked_list_allocator` trusts its caller).
//!
//! Errors are `#[repr(u8)]` enums: rustc_codegen_gcc for Alpha miscompiles
//! the niche-in-niche layout of an enum holding another niche-bearing enum.

#![no_std]

#[cfg(test)]
extern crate std;

mod class;
mod slab;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use class::{CLASS_SIZES, MAX_SMALL, MIN_CLASS_ALIGN, NCLASSES, SLAB_SIZE, class_of, class_size, objects_per_slab};

use class::INFO;
use core::alloc::Layout;
use core::fmt;
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use slab::{MAGIC, Slab};

/// At most this many regions (permanent ones and grown blocks).
pub const MAX_REGIONS: usize = 64;

/// Where the heap gets memory when its regions are full: blocks of
/// `PAGE_SIZE << order` bytes, aligned to at least [`SLAB_SIZE`] (the
/// buddy allocator's are aligned to their size).
pub trait PageSource {
    type Error: fmt::Display + fmt::Debug;
    /// Bytes in an order-0 block: a power of two, a multiple of
    /// [`SLAB_SIZE`].
    const PAGE_SIZE: usize;
    /// The largest order [`PageSource::alloc_block`] can give.
    const MAX_ORDER: u32;
    /// A block of `PAGE_SIZE << order` bytes for the heap alone.
    fn alloc_block(&mut self, order: u32) -> Result<NonNull<u8>, Self::Error>;
    /// Takes back a block [`PageSource::alloc_block`] gave.
    fn free_block(&mut self, block: NonNull<u8>, order: u32) -> Result<(), Self::Error>;
}

/// Why an allocation failed: the regions had no room and the heap could not
/// grow. `repr(u8)` (see the crate docs).
#[derive(Debug)]
#[repr(u8)]
pub enum AllocError<E> {
    /// All [`MAX_REGIONS`] slots are in use.
    NoSlot,
    /// The request needs a block larger than the source's largest.
    TooLarge { bytes: usize },
    /// The source refused.
    Source(E),
    /// The source gave a block not aligned to [`SLAB_SIZE`] (given back).
    Misaligned { addr: usize },
}

impl<E: fmt::Display> fmt::Display for AllocError<E> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            AllocError::NoSlot => write!(f, "all {MAX_REGIONS} heap regions in use"),
            AllocError::TooLarge { bytes } => {
                write!(f, "needs a {bytes}-byte block, more than the page source's largest")
            }
            AllocError::Source(e) => write!(f, "{e}"),
            AllocError::Misaligned { addr } => {
                write!(f, "the page source gave a block at {addr:#x}, not aligned to {SLAB_SIZE} bytes")
            }
        }
    }
}

/// Why a free was refused (nothing changed). `repr(u8)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FreeError {
    /// No region holds the pointer.
    NotOwned,
    /// A small layout, but the pointer's chunk is not a slab.
    NotSlab,
    /// The pointer is in a slab of another class than the layout's.
    WrongClass { slab_size: u32, layout_size: u32 },
    /// In a slab of the right class, but not at an object.
    NotObject,
    /// The object is already free.
    DoubleFree,
    /// A large layout, but the pointer is inside a slab.
    InSlab,
    /// A large layout, but the pointer is not aligned as it requires (or
    /// to 8 bytes, as every region allocation is).
    Misaligned,
    /// A large layout that runs past the end of the region holding it.
    PastRegion,
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FreeError::NotOwned => write!(f, "no heap region holds it"),
            FreeError::NotSlab => write!(f, "its size class says slab, but it is not in one"),
            FreeError::WrongClass { slab_size, layout_size } => write!(
                f,
                "it is in a slab of {slab_size}-byte objects, but a {layout_size}-byte layout belongs to another class"
            ),
            FreeError::NotObject => write!(f, "it is inside a slab but not at the start of an object"),
            FreeError::DoubleFree => write!(f, "double free: the object is already free"),
            FreeError::InSlab => write!(f, "a layout too large for a slab, but it points into one"),
            FreeError::Misaligned => write!(f, "not aligned as its layout requires"),
            FreeError::PastRegion => write!(f, "the layout runs past the end of the heap region holding it"),
        }
    }
}

/// Counters of one size class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Object size.
    pub size: u32,
    /// Slabs (each [`SLAB_SIZE`] bytes of some region).
    pub slabs: u32,
    /// Allocated objects.
    pub live: u32,
    /// Objects the slabs hold (`slabs * objects_per_slab`).
    pub capacity: u32,
}

/// Heap counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes handed out: slab objects at their class size, region
    /// allocations at `linked_list_allocator`'s rounded size.
    pub used: usize,
    /// Bytes that could still be handed out without growing: free region
    /// bytes and free slab objects.
    pub free: usize,
    /// Bytes in slabs that are neither objects nor free objects (headers,
    /// tails): `used + free + slab_overhead` = all region bytes.
    pub slab_overhead: usize,
    /// Live regions (permanent and grown).
    pub regions: usize,
    /// Order-0 pages held from the page source.
    pub source_pages: usize,
    /// Slabs, all classes.
    pub slabs: usize,
    /// Bytes in region (non-slab) allocations.
    pub large_used: usize,
    /// Blocks taken from the source.
    pub grows: u64,
    /// Allocations refused because the heap could not grow.
    pub grow_failures: u64,
    /// Frees refused (all [`FreeError`]s).
    pub bad_frees: u64,
    /// Of which double frees.
    pub double_frees: u64,
    /// Free lists found inconsistent with their slab's bitmap (a write
    /// after free) and rebuilt.
    pub corrupt_free_lists: u64,
    /// Blocks the source refused to take back (dropped from the heap).
    pub return_failures: u64,
    pub classes: [ClassStats; NCLASSES],
}

const FREE_SLOT: u8 = 0;
const PERMANENT: u8 = 1;
const GROWN: u8 = 2;

struct Region {
    heap: Heap,
    /// `FREE_SLOT`, `PERMANENT` or `GROWN`.
    kind: u8,
    /// Order of a grown block.
    order: u32,
    /// The block as the source gave it (grown regions).
    block: usize,
}

impl Region {
    const EMPTY: Region = Region { heap: Heap::empty(), kind: FREE_SLOT, order: 0, block: 0 };
}

#[derive(Clone, Copy)]
struct Class {
    /// First slab with a free object.
    partial: *mut Slab,
    slabs: usize,
    live: usize,
    /// Empty slabs kept on the partial list.
    spare: usize,
}

#[derive(Clone, Copy, Default)]
struct Counters {
    grows: u64,
    grow_failures: u64,
    bad_frees: u64,
    double_frees: u64,
    corrupt_free_lists: u64,
    return_failures: u64,
}

/// The heap. Not thread-safe: the kernel puts it behind a lock.
pub struct KHeap<S: PageSource> {
    classes: [Class; NCLASSES],
    /// `(start, end)` of each region slot (`(0, 0)` when free), scanned
    /// to find the region of a pointer.
    bounds: [(usize, usize); MAX_REGIONS],
    /// One past the highest live slot.
    hi: usize,
    regions: [Region; MAX_REGIONS],
    grow_min: usize,
    counters: Counters,
    source: S,
}

// SAFETY: the heap owns the memory its raw pointers reach (its regions).
unsafe impl<S: PageSource + Send> Send for KHeap<S> {}

/// Why [`KHeap::add_region`] refused a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AddRegionError {
    NoSlot,
    /// Less than one [`SLAB_SIZE`] chunk once aligned.
    TooSmall,
}

impl<S: PageSource> KHeap<S> {
    /// An empty heap: no region until [`KHeap::add_region`] or the first
    /// growth. Grown blocks are at least `grow_min` bytes.
    pub const fn new(source: S, grow_min: usize) -> Self {
        const {
            assert!(S::PAGE_SIZE.is_power_of_two() && S::PAGE_SIZE % SLAB_SIZE == 0);
        }
        KHeap {
            classes: [Class { partial: ptr::null_mut(), slabs: 0, live: 0, spare: 0 }; NCLASSES],
            bounds: [(0, 0); MAX_REGIONS],
            hi: 0,
            regions: [Region::EMPTY; MAX_REGIONS],
            grow_min,
            counters: Counters {
                grows: 0,
                grow_failures: 0,
                bad_frees: 0,
                double_frees: 0,
                corrupt_free_lists: 0,
                return_failures: 0,
            },
            source,
        }
    }

    /// Adds a permanent region (never given back): `[start, start + size)`,
    /// trimmed to whole [`SLAB_SIZE`] chunks.
    ///
    /// # Safety
    /// The memory is valid, used by nothing else, and lives as long as the
    /// heap.
    pub unsafe fn add_region(&mut self, start: *mut u8, size: usize) -> Result<(), AddRegionError> {
        let a = (start as usize).next_multiple_of(SLAB_SIZE);
        let end = (start as usize + size) & !(SLAB_SIZE - 1);
        if end <= a {
            return Err(AddRegionError::TooSmall);
        }
        let slot = self.free_slot().ok_or(AddRegionError::NoSlot)?;
        // SAFETY: the caller's contract.
        let heap = unsafe { Heap::new(a as *mut u8, end - a) };
        self.install(slot, Region { heap, kind: PERMANENT, order: 0, block: 0 });
        Ok(())
    }

    /// The page source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The page source, mutably (tests inject failures through it).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Allocates `layout`: from a slab of its class, or from a region
    /// (growing the heap if none has room).
    #[inline]
    pub fn alloc(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError<S::Error>> {
        let r = match class_of(layout) {
            Some(c) => self.alloc_small(c),
            None => self.alloc_large(layout).map(|(p, _)| p),
        };
        if r.is_err() {
            self.counters.grow_failures += 1;
        }
        r
    }

    /// Frees what [`KHeap::alloc`] gave for `layout`. A pointer the heap
    /// does not hold, or holds but not as an allocation of `layout` (as far
    /// as it can tell: see the crate docs), is refused, counted and
    /// changes nothing else.
    ///
    /// # Safety
    /// A pointer that passes the checks must be a live allocation of
    /// `layout` from this heap (the checks cannot catch a region
    /// allocation freed twice).
    #[inline]
    pub unsafe fn free(&mut self, p: *mut u8, layout: Layout) -> Result<(), FreeError> {
        // SAFETY: the caller's contract.
        let r = match class_of(layout) {
            Some(c) => unsafe { self.free_small(p as usize, layout, c) },
            None => unsafe { self.free_large(p as usize, layout) },
        };
        if let Err(e) = r {
            self.counters.bad_frees += 1;
            if e == FreeError::DoubleFree {
                self.counters.double_frees += 1;
            }
        }
        r
    }

    /// Resizes an allocation: in place when the old and new layouts share
    /// a class, else allocate, copy, free. On error the old allocation is
    /// untouched.
    ///
    /// # Safety
    /// As for [`KHeap::free`]; `new_size` rounded up to `old.align()` does
    /// not overflow `isize`.
    pub unsafe fn realloc(
        &mut self,
        p: *mut u8,
        old: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError<S::Error>> {
        // SAFETY: the caller's contract.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, old.align()) };
        if let Some(c) = class_of(old)
            && class_of(new) == Some(c)
            && let Some(p) = NonNull::new(p)
        {
            return Ok(p);
        }
        let q = self.alloc(new)?;
        // SAFETY: both are live allocations of at least the copied size.
        unsafe {
            ptr::copy_nonoverlapping(p, q.as_ptr(), old.size().min(new_size));
            let _ = self.free(p, old);
        }
        Ok(q)
    }

    /// Whether `realloc(old -> new_size)` stays in place (same class): the
    /// kernel skips the lock then.
    pub fn realloc_in_place(old: Layout, new_size: usize) -> bool {
        match (class_of(old), Layout::from_size_align(new_size, old.align())) {
            (Some(c), Ok(new)) => class_of(new) == Some(c),
            _ => false,
        }
    }

    /// Counters; O(regions + classes).
    pub fn stats(&self) -> Stats {
        let c = self.counters;
        let mut s = Stats {
            grows: c.grows,
            grow_failures: c.grow_failures,
            bad_frees: c.bad_frees,
            double_frees: c.double_frees,
            corrupt_free_lists: c.corrupt_free_lists,
            return_failures: c.return_failures,
            ..Stats::default()
        };
        let mut region_used = 0;
        for r in self.regions[..self.hi].iter().filter(|r| r.kind != FREE_SLOT) {
            s.regions += 1;
            region_used += r.heap.used();
            s.free += r.heap.free();
            if r.kind == GROWN {
                s.source_pages += 1 << r.order;
            }
        }
        for (k, (cl, info)) in self.classes.iter().zip(INFO.iter()).enumerate() {
            let cap = cl.slabs * info.nobjs as usize;
            s.classes[k] =
                ClassStats { size: info.size, slabs: cl.slabs as u32, live: cl.live as u32, capacity: cap as u32 };
            s.slabs += cl.slabs;
            s.used += cl.live * info.size as usize;
            s.free += (cap - cl.live) * info.size as usize;
            s.slab_overhead += cl.slabs * (SLAB_SIZE - info.nobjs as usize * info.size as usize);
        }
        s.large_used = region_used - s.slabs * SLAB_SIZE;
        s.used += s.large_used;
        s
    }

    /// Walks every partial list and checks it against the counters (tests
    /// and debugging; O(slabs on partial lists)).
    pub fn check(&self) -> Result<(), &'static str> {
        for (cl, info) in self.classes.iter().zip(INFO.iter()) {
            let (mut spare, mut prev) = (0, ptr::null_mut());
            let mut s = cl.partial;
            let mut n = 0;
            while !s.is_null() {
                n += 1;
                if n > cl.slabs {
                    return Err("partial list longer than the class's slab count (a cycle?)");
                }
                // SAFETY: slabs on a partial list are live headers.
                unsafe {
                    if (*s).magic != MAGIC ^ s as usize {
                        return Err("slab on a partial list without its magic");
                    }
                    if (*s).prev != prev {
                        return Err("partial list prev link wrong");
                    }
                    if (*s).inuse >= info.nobjs {
                        return Err("full slab on a partial list");
                    }
                    if (*s).inuse == 0 {
                        spare += 1;
                    }
                    let bits: u32 = (*s).map.iter().map(|w| w.count_ones()).sum();
                    if bits != (*s).inuse as u32 {
                        return Err("slab bitmap disagrees with its in-use count");
                    }
                    if Slab::free_list_len(s, info) != Some(((*s).bump - (*s).inuse) as usize) {
                        return Err("slab free list disagrees with its bitmap");
                    }
                    let r = (*s).region as usize;
                    if r >= self.hi || self.regions[r].kind == FREE_SLOT || !self.in_slot(r, s as usize) {
                        return Err("slab outside the region its header names");
                    }
                    if spare > 0 && (*s).inuse == 0 && self.regions[r].kind != PERMANENT {
                        return Err("empty slab kept in a grown region");
                    }
                    prev = s;
                    s = (*s).next;
                }
            }
            if spare != cl.spare {
                return Err("spare count disagrees with the partial list");
            }
        }
        Ok(())
    }

    // ---- slabs ----

    // The hot paths (`alloc_small`, `free_small`, `Slab::pop`/`push`) are
    // inlined into `alloc`/`free`; everything that carves, returns or grows
    // is out of line and cold, so the common case does not pay for the
    // registers those need.
    #[inline]
    fn alloc_small(&mut self, c: usize) -> Result<NonNull<u8>, AllocError<S::Error>> {
        let mut s = self.classes[c].partial;
        if s.is_null() {
            s = self.new_slab(c)?;
        }
        let info = &INFO[c];
        // SAFETY: `s` heads the partial list: a live slab of class `c`, not
        // full.
        unsafe {
            if (*s).inuse == 0 {
                self.classes[c].spare -= 1;
            }
            let (p, rebuilt) = Slab::pop(s, info);
            if rebuilt {
                self.counters.corrupt_free_lists += 1;
            }
            if (*s).inuse == info.nobjs {
                self.unlink(c, s);
            }
            self.classes[c].live += 1;
            Ok(NonNull::new_unchecked(p))
        }
    }

    /// Carves a slab for class `c` from a region and puts it on the partial
    /// list (counted as a spare until its first object goes).
    #[cold]
    #[inline(never)]
    fn new_slab(&mut self, c: usize) -> Result<*mut Slab, AllocError<S::Error>> {
        let chunk = Layout::from_size_align(SLAB_SIZE, SLAB_SIZE).unwrap();
        let (p, slot) = self.alloc_large(chunk)?;
        // SAFETY: a fresh, aligned chunk from region `slot`, ours.
        let s = unsafe { Slab::init(p.as_ptr(), c as u8, slot as u8) };
        let cl = &mut self.classes[c];
        cl.slabs += 1;
        cl.spare += 1;
        // SAFETY: `s` is live; the list head (if any) too.
        unsafe { self.push_partial(c, s) };
        Ok(s)
    }

    /// # Safety
    /// `s` is a live slab of class `c` on no list.
    unsafe fn push_partial(&mut self, c: usize, s: *mut Slab) {
        let head = self.classes[c].partial;
        unsafe {
            (*s).prev = ptr::null_mut();
            (*s).next = head;
            if !head.is_null() {
                (*head).prev = s;
            }
        }
        self.classes[c].partial = s;
    }

    /// # Safety
    /// `s` is a live slab of class `c` on its partial list.
    unsafe fn unlink(&mut self, c: usize, s: *mut Slab) {
        unsafe {
            let (prev, next) = ((*s).prev, (*s).next);
            if prev.is_null() {
                self.classes[c].partial = next;
            } else {
                (*prev).next = next;
            }
            if !next.is_null() {
                (*next).prev = prev;
            }
            (*s).prev = ptr::null_mut();
            (*s).next = ptr::null_mut();
        }
    }

    /// # Safety
    /// If `a` is a live allocation of this heap, its layout is `layout`.
    #[inline]
    unsafe fn free_small(&mut self, a: usize, layout: Layout, c: usize) -> Result<(), FreeError> {
        let slot = self.region_of(a).ok_or(FreeError::NotOwned)?;
        let s = (a & !(SLAB_SIZE - 1)) as *mut Slab;
        // SAFETY: regions are whole aligned chunks, so the chunk of `a`,
        // header included, lies in region `slot`: readable. It is a slab
        // header only if its keyed magic and region say so.
        unsafe {
            if (*s).magic != MAGIC ^ s as usize || (*s).region as usize != slot {
                return Err(FreeError::NotSlab);
            }
            let sc = (*s).class as usize;
            if sc != c {
                return Err(FreeError::WrongClass {
                    slab_size: INFO[sc.min(NCLASSES - 1)].size,
                    layout_size: layout.size() as u32,
                });
            }
            let info = &INFO[c];
            let i = Slab::index_of(s, info, a).ok_or(FreeError::NotObject)?;
            if !Slab::is_allocated(s, i) {
                return Err(FreeError::DoubleFree);
            }
            let was_full = (*s).inuse == info.nobjs;
            Slab::push(s, info, i);
            self.classes[c].live -= 1;
            if was_full {
                self.push_partial(c, s);
            }
            if (*s).inuse == 0 {
                if self.regions[slot].kind == PERMANENT && self.classes[c].spare == 0 {
                    self.classes[c].spare = 1;
                } else {
                    self.release_slab(c, s, slot);
                }
            }
        }
        Ok(())
    }

    /// Gives an empty slab back to its region (and the region, if now
    /// empty, to the source).
    ///
    /// # Safety
    /// `s` is a live, empty slab of class `c` on its partial list, carved
    /// from region `slot`.
    #[cold]
    #[inline(never)]
    unsafe fn release_slab(&mut self, c: usize, s: *mut Slab, slot: usize) {
        unsafe {
            self.unlink(c, s);
            (*s).magic = 0;
            self.classes[c].slabs -= 1;
            let chunk = Layout::from_size_align_unchecked(SLAB_SIZE, SLAB_SIZE);
            self.regions[slot].heap.deallocate(NonNull::new_unchecked(s as *mut u8), chunk);
        }
        self.maybe_return(slot);
    }

    // ---- regions ----

    #[inline]
    fn in_slot(&self, slot: usize, a: usize) -> bool {
        let (start, end) = self.bounds[slot];
        start <= a && a < end
    }

    /// The region slot holding address `a`.
    #[inline]
    fn region_of(&self, a: usize) -> Option<usize> {
        (0..self.hi).find(|&i| self.in_slot(i, a))
    }

    fn free_slot(&self) -> Option<usize> {
        self.regions.iter().position(|r| r.kind == FREE_SLOT)
    }

    fn install(&mut self, slot: usize, r: Region) {
        let (b, t) = (r.heap.bottom() as usize, r.heap.top() as usize);
        self.regions[slot] = r;
        self.bounds[slot] = (b, t);
        self.hi = self.hi.max(slot + 1);
    }

    /// First fit over the regions in slot order, then growth.
    #[inline(never)]
    fn alloc_large(&mut self, layout: Layout) -> Result<(NonNull<u8>, usize), AllocError<S::Error>> {
        for slot in 0..self.hi {
            let r = &mut self.regions[slot];
            if r.kind != FREE_SLOT
                && let Ok(p) = r.heap.allocate_first_fit(layout)
            {
                return Ok((p, slot));
            }
        }
        let slot = self.grow(layout)?;
        match self.regions[slot].heap.allocate_first_fit(layout) {
            Ok(p) => Ok((p, slot)),
            Err(()) => {
                // Cannot happen (the block has room for size + align +
                // a hole header); give the block back rather than keep it.
                self.maybe_return(slot);
                Err(AllocError::TooLarge { bytes: layout.size() })
            }
        }
    }

    /// Takes a block large enough for `layout` from the source and makes it
    /// a region.
    fn grow(&mut self, layout: Layout) -> Result<usize, AllocError<S::Error>> {
        let slot = self.free_slot().ok_or(AllocError::NoSlot)?;
        // Room for the layout, its alignment and the allocator's hole header.
        let need = layout.size().saturating_add(layout.align()).saturating_add(64);
        let too_large = AllocError::TooLarge { bytes: need };
        let bytes = need.max(self.grow_min).checked_next_power_of_two().ok_or(too_large)?.max(S::PAGE_SIZE);
        let order = (bytes / S::PAGE_SIZE).trailing_zeros();
        if order > S::MAX_ORDER {
            return Err(AllocError::TooLarge { bytes });
        }
        let block = self.source.alloc_block(order).map_err(AllocError::Source)?;
        let addr = block.as_ptr() as usize;
        if addr % SLAB_SIZE != 0 {
            if self.source.free_block(block, order).is_err() {
                self.counters.return_failures += 1;
            }
            return Err(AllocError::Misaligned { addr });
        }
        // SAFETY: a fresh block of `bytes` bytes, ours until given back.
        let heap = unsafe { Heap::new(block.as_ptr(), bytes) };
        self.install(slot, Region { heap, kind: GROWN, order, block: addr });
        self.counters.grows += 1;
        Ok(slot)
    }

    /// Gives region `slot` back to the source if it is a grown block and
    /// holds nothing.
    fn maybe_return(&mut self, slot: usize) {
        let r = &self.regions[slot];
        if r.kind != GROWN || r.heap.used() != 0 {
            return;
        }
        let (block, order) = (r.block, r.order);
        self.regions[slot] = Region::EMPTY;
        self.bounds[slot] = (0, 0);
        while self.hi > 0 && self.regions[self.hi - 1].kind == FREE_SLOT {
            self.hi -= 1;
        }
        // SAFETY: `block` came from `alloc_block`, non-null.
        let block = unsafe { NonNull::new_unchecked(block as *mut u8) };
        if self.source.free_block(block, order).is_err() {
            self.counters.return_failures += 1;
        }
    }

    /// # Safety
    /// If `a` is a live region allocation of this heap, its layout is
    /// `layout`.
    unsafe fn free_large(&mut self, a: usize, layout: Layout) -> Result<(), FreeError> {
        let slot = self.region_of(a).ok_or(FreeError::NotOwned)?;
        let s = (a & !(SLAB_SIZE - 1)) as *mut Slab;
        // SAFETY: as in `free_small`, the header position is in the region.
        if unsafe { (*s).magic } == MAGIC ^ s as usize {
            return Err(FreeError::InSlab);
        }
        if a % layout.align().max(8) != 0 {
            return Err(FreeError::Misaligned);
        }
        if a.checked_add(layout.size()).is_none_or(|end| end > self.bounds[slot].1) {
            return Err(FreeError::PastRegion);
        }
        // SAFETY: the caller's contract.
        unsafe { self.regions[slot].heap.deallocate(NonNull::new_unchecked(a as *mut u8), layout) };
        self.maybe_return(slot);
        Ok(())
    }
}
