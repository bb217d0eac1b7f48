//! The carving of a DMA pool (Linux's `dma_pool_create(name, dev, size,
//! align, boundary)`), as plain arithmetic over bus addresses so that it
//! can be tested on the host:
//!
//! * [`Layout::new`] checks the parameters and fixes the object size (the
//!   size rounded up to `align`) and the chunk size (a page, or the object
//!   size rounded up to pages; twice that when a boundary could otherwise
//!   leave a chunk without a slot);
//! * [`slots`] lists where objects lie in a chunk at a given bus address:
//!   back to back, aligned, and moved up to the next boundary when one
//!   would cross it (the check uses the chunk's bus address, since the
//!   boundary is the device's: a chunk mapped through an IOMMU is only
//!   page-aligned on the bus);
//! * [`Pool`] keeps the chunks (each with a payload `T`: the kernel's
//!   coherent buffer) and which slots are in use (each with a tag `S`: the
//!   kernel records the allocation site). [`Pool::alloc`] takes the lowest
//!   free slot of the first chunk that has one; `None` asks the caller for a
//!   chunk ([`Pool::add_chunk`]). [`Pool::free`] gives a slot back; a chunk
//!   that becomes empty is handed back to the caller when another chunk is
//!   empty already (one empty chunk is kept, so that a driver allocating and
//!   freeing one object per request does not map and unmap a chunk each
//!   time); [`Pool::take_empty_chunks`] hands back every empty chunk (the
//!   pool's destroy).
//!
//! Nothing here allocates infallibly: growing the chunk list or a chunk's
//! slot list uses `try_reserve`, and failing is an error.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;

/// What can be wrong with a pool's parameters or a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// `size` is zero.
    ZeroSize,
    /// `align` is not a power of two, or larger than a page.
    BadAlign { align: usize },
    /// `boundary` is neither 0 nor a power of two at least the object size.
    BadBoundary { boundary: u64, size: usize },
    /// A chunk's bus address is not page-aligned, or its range wraps.
    BadChunk { base: u64 },
    /// The heap could not hold the bookkeeping.
    NoMemory,
    /// The address lies in no chunk of the pool.
    NotInPool { addr: u64 },
    /// The address lies in a chunk but is not the start of an object.
    NotAnObject { addr: u64 },
    /// The object is not allocated (a double free).
    NotAllocated { addr: u64 },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PoolError::ZeroSize => f.write_str("the object size is zero"),
            PoolError::BadAlign { align } => write!(f, "the alignment {align} is not a power of two of at most a page"),
            PoolError::BadBoundary { boundary, size } => {
                write!(f, "the boundary {boundary:#x} is neither 0 nor a power of two at least the object size {size}")
            }
            PoolError::BadChunk { base } => write!(f, "a chunk at bus {base:#x} is not page-aligned or wraps"),
            PoolError::NoMemory => f.write_str("the heap cannot hold the pool's bookkeeping"),
            PoolError::NotInPool { addr } => write!(f, "bus address {addr:#x} lies in none of the pool's chunks"),
            PoolError::NotAnObject { addr } => write!(f, "bus address {addr:#x} is not the start of an object"),
            PoolError::NotAllocated { addr } => write!(f, "the object at bus {addr:#x} is not allocated (freed twice?)"),
        }
    }
}

/// A pool's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes per object: the size asked for, rounded up to `align`.
    pub size: usize,
    pub align: usize,
    /// No object crosses a multiple of this (0: no boundary).
    pub boundary: u64,
    /// Bytes per chunk (a multiple of the page size).
    pub chunk: usize,
}

impl Layout {
    /// Linux's `dma_pool_create` checks: `align` a power of two (0 means
    /// 1), here also at most a page (chunks are only page-aligned);
    /// `boundary` 0 or a power of two at least the rounded size.
    pub fn new(size: usize, align: usize, boundary: u64, page: usize) -> Result<Layout, PoolError> {
        if size == 0 {
            return Err(PoolError::ZeroSize);
        }
        let align = align.max(1);
        if !align.is_power_of_two() || align > page {
            return Err(PoolError::BadAlign { align });
        }
        let size = size.checked_next_multiple_of(align).ok_or(PoolError::ZeroSize)?;
        if boundary != 0 && (!boundary.is_power_of_two() || boundary < size as u64) {
            return Err(PoolError::BadBoundary { boundary, size });
        }
        let mut chunk = size.checked_next_multiple_of(page).ok_or(PoolError::BadBoundary { boundary, size })?;
        // An object larger than a page may not fit between a page-aligned
        // chunk start and the next boundary: twice its pages always hold
        // one (the first boundary lies less than `size` into the chunk).
        if boundary != 0 && size > page {
            chunk = chunk.checked_mul(2).ok_or(PoolError::BadBoundary { boundary, size })?;
        }
        Ok(Layout { size, align, boundary, chunk })
    }
}

/// The offsets of the objects in a chunk at bus address `base` (page-aligned):
/// from 0, each `size` bytes after the last, moved up to the next boundary
/// when the object would cross it, while it fits in the chunk.
pub fn slots(l: &Layout, base: u64) -> impl Iterator<Item = usize> + '_ {
    let mut off = 0usize;
    core::iter::from_fn(move || {
        let mut at = base.checked_add(off as u64)?;
        let last = at.checked_add(l.size as u64 - 1)?;
        if l.boundary != 0 && at / l.boundary != last / l.boundary {
            // Up to the boundary it would cross.
            at = (at / l.boundary + 1) * l.boundary;
        }
        let start = (at - base) as usize;
        let end = start.checked_add(l.size)?;
        if end > l.chunk {
            return None;
        }
        off = end;
        Some(start)
    })
}

struct Chunk<T, S> {
    base: u64,
    /// Each object's offset and, while it is allocated, its tag.
    slots: Vec<(usize, Option<S>)>,
    used: usize,
    payload: T,
}

/// An allocated object: its bus address and the payload's chunk index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object {
    pub addr: u64,
    /// Offset in its chunk.
    pub offset: usize,
    /// The chunk's bus address.
    pub chunk_base: u64,
}

/// Counts, for accounting and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    pub chunks: usize,
    pub objects: usize,
    pub slots: usize,
}

/// The chunks of one pool and their objects. `T`: what the caller keeps
/// per chunk (given back when the chunk is); `S`: a tag per allocated object.
pub struct Pool<T, S: Copy> {
    layout: Layout,
    page: usize,
    chunks: Vec<Chunk<T, S>>,
}

impl<T, S: Copy> Pool<T, S> {
    pub const fn new(layout: Layout, page: usize) -> Self {
        Pool { layout, page, chunks: Vec::new() }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The lowest free slot of the first chunk with one, tagged `tag`;
    /// `None` when every chunk is full (add one).
    pub fn alloc(&mut self, tag: S) -> Option<Object> {
        let c = self.chunks.iter_mut().find(|c| c.used < c.slots.len())?;
        let slot = c.slots.iter_mut().find(|s| s.1.is_none())?;
        slot.1 = Some(tag);
        c.used += 1;
        Some(Object { addr: c.base + slot.0 as u64, offset: slot.0, chunk_base: c.base })
    }

    /// Adds a chunk of `layout.chunk` bytes at bus address `base`. On an
    /// error the payload is given back with it.
    pub fn add_chunk(&mut self, base: u64, payload: T) -> Result<(), (PoolError, T)> {
        if base % self.page as u64 != 0 || base.checked_add(self.layout.chunk as u64).is_none() {
            return Err((PoolError::BadChunk { base }, payload));
        }
        let n = slots(&self.layout, base).count();
        let mut v = Vec::new();
        if v.try_reserve_exact(n).is_err() || self.chunks.try_reserve(1).is_err() {
            return Err((PoolError::NoMemory, payload));
        }
        v.extend(slots(&self.layout, base).map(|o| (o, None)));
        if v.is_empty() {
            return Err((PoolError::BadChunk { base }, payload));
        }
        self.chunks.push(Chunk { base, slots: v, used: 0, payload });
        Ok(())
    }

    fn chunk_of(&self, addr: u64) -> Option<usize> {
        self.chunks.iter().position(|c| addr.wrapping_sub(c.base) < self.layout.chunk as u64)
    }

    /// Gives the object at `addr` back; returns its tag and, when its chunk
    /// became empty and another chunk is empty already, that chunk's
    /// payload (the chunk has left the pool).
    pub fn free(&mut self, addr: u64) -> Result<(S, Option<T>), PoolError> {
        let ci = self.chunk_of(addr).ok_or(PoolError::NotInPool { addr })?;
        let c = &mut self.chunks[ci];
        let off = (addr - c.base) as usize;
        let si = c.slots.binary_search_by_key(&off, |s| s.0).map_err(|_| PoolError::NotAnObject { addr })?;
        let tag = c.slots[si].1.take().ok_or(PoolError::NotAllocated { addr })?;
        c.used -= 1;
        if c.used == 0 && self.chunks.iter().enumerate().any(|(i, o)| i != ci && o.used == 0) {
            let c = self.chunks.swap_remove(ci);
            return Ok((tag, Some(c.payload)));
        }
        Ok((tag, None))
    }

    /// Hands back every empty chunk's payload (to `give`); chunks with live
    /// objects stay.
    pub fn take_empty_chunks(&mut self, mut give: impl FnMut(T)) {
        let mut i = 0;
        while i < self.chunks.len() {
            if self.chunks[i].used == 0 {
                give(self.chunks.swap_remove(i).payload);
            } else {
                i += 1;
            }
        }
    }

    /// Every allocated object: bus address and tag.
    pub fn live(&self) -> impl Iterator<Item = (u64, S)> + '_ {
        self.chunks.iter().flat_map(|c| c.slots.iter().filter_map(move |s| s.1.map(|t| (c.base + s.0 as u64, t))))
    }

    /// The payload of the chunk holding `addr`.
    pub fn payload_of(&self, addr: u64) -> Option<&T> {
        self.chunk_of(addr).map(|i| &self.chunks[i].payload)
    }

    pub fn counts(&self) -> PoolCounts {
        PoolCounts {
            chunks: self.chunks.len(),
            objects: self.chunks.iter().map(|c| c.used).sum(),
            slots: self.chunks.iter().map(|c| c.slots.len()).sum(),
        }
    }

    /// The chunks' bus addresses.
    pub fn chunk_bases(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks.iter().map(|c| c.base)
    }
}

#[cfg(test)]
mod tests;
