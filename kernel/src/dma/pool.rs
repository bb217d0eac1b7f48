//! DMA pools (Linux's `dma_pool_create` / `dma_pool_alloc` /
//! `dma_pool_free` / `dma_pool_destroy`): small coherent objects (a PRD
//! table, a descriptor) carved from coherent chunks of a page or more, each
//! object aligned and never crossing the pool's boundary on the bus. The
//! carving is `crates/dma-pool` (host-tested); this module holds the chunks
//! ([`super::Coherent`] buffers from [`super::alloc_coherent`], so DMA-API
//! debug, reconciliation and accounting see them) and the owned values.
//!
//! A [`PoolObject`] holds its pool by a reference-counted handle, not a
//! borrow, so a driver keeps the pool and its objects in one struct.
//! Dropping the object gives it back. A chunk that becomes empty is given
//! back when another chunk is already empty (one empty chunk is kept, so a
//! driver allocating one object per request does not map and unmap a
//! chunk each time). [`DmaPool::destroy`] (or dropping the pool) gives back
//! every empty chunk and reports each live object as a leak, naming the
//! pool and where the object was allocated; chunks holding live objects
//! stay allocated (the device may still use them, as Linux's
//! `dma_pool_destroy` leaves busy pages), and go back when their last
//! object is dropped. At shutdown [`report_leaks`] reports pools still
//! alive and every object still allocated (one escaped by
//! `core::mem::forget`, say).

use super::{Coherent, DmaDevice, DmaError, debug};
use crate::mm::{PAGE_SIZE, PhysAddr};
use addr::BusAddr;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::panic::Location;
use dma_pool::{Layout, Pool, PoolCounts};
use spin::Mutex;

struct Inner {
    name: &'static str,
    pool: Pool<Coherent, debug::Site>,
    /// Where the pool was created.
    site: debug::Site,
    /// Destroyed (or dropped): an object freed into it gives its chunk
    /// back as soon as the chunk is empty.
    destroyed: bool,
    /// A copy of the device: chunks are allocated for it, reports name it.
    device: DmaDevice,
}

// SAFETY: the chunks' CPU pointers are KSEG addresses of memory the pool
// owns; the kernel runs on one CPU and the pool is only used under its
// lock, so moving the bookkeeping between contexts is sound.
unsafe impl Send for Inner {}

type Handle = Arc<Mutex<Inner>>;

/// Every pool created and not yet gone (its handle dropped by the pool and
/// all its objects), for the shutdown report.
static POOLS: Mutex<Vec<Weak<Mutex<Inner>>>> = Mutex::new(Vec::new());

/// A pool of `size`-byte coherent objects for one device.
pub struct DmaPool {
    inner: Handle,
}

/// One object of a pool: zeroed when allocated, given back when dropped.
/// It keeps its pool's bookkeeping alive, not the [`DmaPool`] value.
#[must_use = "dropping a pool object gives it back at once"]
pub struct PoolObject {
    pool: Handle,
    cpu: *mut u8,
    pa: PhysAddr,
    bus: BusAddr,
    size: usize,
}

impl DmaPool {
    /// Linux's `dma_pool_create(name, dev, size, align, boundary)`:
    /// objects of `size` bytes rounded up to `align` (a power of two of at
    /// most a page; 0 means 1), none crossing a multiple of `boundary` on
    /// the bus (0: no boundary; else a power of two at least the rounded
    /// size). No memory is allocated until the first object.
    #[track_caller]
    pub fn create(name: &'static str, dev: &DmaDevice, size: usize, align: usize, boundary: usize) -> Result<DmaPool, DmaError> {
        let site = Location::caller();
        let layout = Layout::new(size, align, boundary as u64, PAGE_SIZE as usize)
            .map_err(|err| DmaError::PoolParams { pool: name, size, align, boundary, err })?;
        let inner = Inner { name, pool: Pool::new(layout, PAGE_SIZE as usize), site, destroyed: false, device: *dev };
        let handle = Arc::new(Mutex::new(inner));
        let mut pools = POOLS.lock();
        pools.retain(|w| w.strong_count() > 0);
        if pools.try_reserve(1).is_err() {
            return Err(DmaError::NoMemory { size: core::mem::size_of::<Weak<Mutex<Inner>>>(), buddy: None, cma: None });
        }
        pools.push(Arc::downgrade(&handle));
        drop(pools);
        log::info!("dma pool {name} for {}: {}-byte objects, align {}, boundary {:#x}, {}-byte chunks", dev.name, layout.size, layout.align, layout.boundary, layout.chunk);
        Ok(DmaPool { inner: handle })
    }

    /// Linux's `dma_pool_zalloc`: a zeroed object, from a chunk with room
    /// or from a new chunk.
    #[track_caller]
    pub fn alloc(&self) -> Result<PoolObject, DmaError> {
        let site = Location::caller();
        let mut g = self.inner.lock();
        let o = match g.pool.alloc(site) {
            Some(o) => o,
            None => {
                let chunk = g.pool.layout().chunk;
                let c = super::alloc_coherent(&g.device, chunk)?;
                let base = c.bus().as_u64();
                if let Err((err, c)) = g.pool.add_chunk(base, c) {
                    drop(c);
                    return Err(DmaError::PoolChunk { pool: g.name, bus: BusAddr::new(base), err });
                }
                g.pool.alloc(site).ok_or(DmaError::PoolChunk { pool: g.name, bus: BusAddr::new(base), err: dma_pool::PoolError::NoMemory })?
            }
        };
        let c = g.pool.payload_of(o.addr).ok_or(DmaError::NotReady)?;
        let (cpu, pa) = (c.cpu().wrapping_add(o.offset), c.pa() + o.offset as u64);
        let size = g.pool.layout().size;
        drop(g);
        // SAFETY: the object is `size` bytes inside a chunk the pool owns,
        // handed out to nobody else until it is freed.
        unsafe { core::ptr::write_bytes(cpu, 0, size) };
        Ok(PoolObject { pool: self.inner.clone(), cpu, pa, bus: BusAddr::new(o.addr), size })
    }

    /// The pool's name.
    pub fn name(&self) -> &'static str {
        self.inner.lock().name
    }

    /// Chunks, live objects and slots now.
    pub fn counts(&self) -> PoolCounts {
        self.inner.lock().pool.counts()
    }

    /// Linux's `dma_pool_destroy`: gives the chunks back. Live objects are
    /// reported as leaks (pool name, allocation site) and
    /// [`DmaError::PoolBusy`] returned; their chunks stay until they are
    /// dropped.
    #[track_caller]
    pub fn destroy(self) -> Result<(), DmaError> {
        let site = Location::caller();
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: `me` is never used or dropped again: the handle moves out.
        let inner = unsafe { core::ptr::read(&me.inner) };
        destroy(inner, Some(site))
    }
}

impl Drop for DmaPool {
    fn drop(&mut self) {
        let _ = destroy(self.inner.clone(), None);
    }
}

/// `site`: where `destroy` was called (`None`: the pool was dropped).
fn destroy(inner: Handle, site: Option<debug::Site>) -> Result<(), DmaError> {
    let mut g = inner.lock();
    if g.destroyed {
        return Ok(());
    }
    g.destroyed = true;
    let (name, dev) = (g.name, g.device.name);
    // The empty chunks unmap and free themselves as they are dropped (that
    // takes no pool lock).
    g.pool.take_empty_chunks(drop);
    let live = g.pool.counts().objects;
    for (bus, at) in g.pool.live() {
        match site {
            Some(site) => debug::report_pool(
                dev,
                format_args!("pool {name} destroyed at {}:{} with its object at bus {bus:#x} still allocated", site.file(), site.line()),
                at,
            ),
            None => debug::report_pool(dev, format_args!("pool {name} dropped with its object at bus {bus:#x} still allocated"), at),
        }
    }
    drop(g);
    if live > 0 {
        return Err(DmaError::PoolBusy { pool: name, live });
    }
    Ok(())
}

// SAFETY: a PoolObject owns its object's bytes alone (as a `Box` owns its
// value): the pointer is a KSEG address no other value hands out until the
// object is dropped, and the pool's bookkeeping is behind its lock. A
// driver that keeps objects in a `Send` device struct may move them.
unsafe impl Send for PoolObject {}

impl PoolObject {
    /// The object through KSEG, for the CPU (`size()` bytes).
    pub fn cpu(&self) -> *mut u8 {
        self.cpu
    }

    pub fn pa(&self) -> PhysAddr {
        self.pa
    }

    /// The address the device uses.
    pub fn bus(&self) -> BusAddr {
        self.bus
    }

    /// The pool's object size (the size asked for, rounded up to the alignment).
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for PoolObject {
    fn drop(&mut self) {
        let mut g = self.pool.lock();
        match g.pool.free(self.bus.as_u64()) {
            // A chunk given back unmaps and frees itself when dropped here.
            Ok((_, chunk)) => {
                drop(chunk);
                if g.destroyed {
                    g.pool.take_empty_chunks(drop);
                }
            }
            Err(e) => log::error!("dma pool {}: giving back bus {:#x}: {e}", g.name, self.bus),
        }
    }
}

/// Pool counts for accounting: (pools alive, chunks, live objects).
pub fn totals() -> (usize, usize, usize) {
    let pools = POOLS.lock();
    let mut t = (0, 0, 0);
    for p in pools.iter().filter_map(|w| w.upgrade()) {
        let c = p.lock().pool.counts();
        t.0 += 1;
        t.1 += c.chunks;
        t.2 += c.objects;
    }
    t
}

/// At shutdown: every pool not destroyed and every object still allocated
/// is reported; returns the number of objects.
pub fn report_leaks() -> usize {
    let pools: Vec<Handle> = POOLS.lock().iter().filter_map(|w| w.upgrade()).collect();
    let mut n = 0;
    for p in pools {
        let g = p.lock();
        if !g.destroyed {
            debug::report_pool(g.device.name, format_args!("pool {} still alive at shutdown ({} chunk(s) held)", g.name, g.pool.counts().chunks), g.site);
        }
        for (bus, at) in g.pool.live() {
            n += 1;
            debug::report_pool(g.device.name, format_args!("pool {} object at bus {bus:#x} ({} bytes) leaked at shutdown", g.name, g.pool.layout().size), at);
        }
    }
    n
}
