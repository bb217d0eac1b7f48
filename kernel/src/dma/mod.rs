//! The DMA API drivers use (after Linux's `dma-mapping.h` and Alpha's
//! `pci_iommu.c`), with the memory and mappings as owned values that give
//! themselves back when dropped:
//!
//! * [`alloc_coherent`] returns a [`Coherent`] buffer: zeroed memory with a
//!   bus address; buddy pages first, then the CMA area when the buddy
//!   allocator cannot give a large enough contiguous block (the Alpha CMA
//!   patch's fallback in `alpha_pci_alloc_coherent`), then an error.
//!   Dropping it unmaps it and gives the memory back; [`Coherent::free`]
//!   does the same and returns the result;
//! * [`map_single`] returns a [`StreamingMapping`], [`map_sg`] an
//!   [`SgMapping`]: streaming mappings of memory the driver already has,
//!   undone on drop or by their `unmap`, which returns the result;
//! * [`sync_for_cpu`] / [`sync_for_device`]: ownership hand-over barriers,
//!   checked by DMA-API debug against the live mappings.
//! * [`pool::DmaPool`]: small coherent objects carved from coherent chunks
//!   (Linux's `dma_pool_*`);
//! * [`set_mask`], [`set_max_seg_size`], [`set_seg_boundary`]: a device's
//!   addressing and segment limits (Linux's `dma_set_mask`,
//!   `dma_set_max_seg_size`, `dma_set_seg_boundary`); `map_sg` splits
//!   segments so that the device gets none that breaks its limits.
//!
//! Each owned value records its device's name, so the unmap cannot name
//! another device, size or direction. What escapes by `core::mem::forget`
//! stays mapped (and its memory allocated): DMA-API debug reports it at
//! shutdown as a leak ([`debug::report_leaks`]). Addresses are typed: the
//! driver hands memory in as a [`PhysAddr`] and gets a [`BusAddr`] for the
//! device; the one cannot stand for the other.
//!
//! A mapping uses the direct-mapped window when the device's DMA mask and
//! the window reach the memory (and `iommu=strict` is off), else a
//! scatter-gather window through the IOMMU: the PCI window, or the ISA
//! window for masks below it. No window reachable is a clear error.
//!
//! The machines the kernel knows keep DMA coherent with the CPU caches, so the syncs
//! are memory barriers only: `wmb` before the device may read what the CPU
//! wrote, `mb` before the CPU reads what the device wrote.

mod accounting;
pub mod debug;
pub mod fault;
pub mod iommu;
pub mod pool;

pub use accounting::accounting;
use crate::arch::{mb, wmb};
use crate::mm::owner::Owner;
use crate::mm::page::{self, PageError};
use crate::mm::{PAGE_SIZE, PhysAddr, phys_ptr, zero_phys};
use alloc::vec::Vec;
use buddy::MAX_ORDER;
use core::fmt;
use core::panic::Location;
use debug::{Kind, Seg};
use fault::Site;
use iommu_arena::IommuError;

pub use addr::BusAddr;
pub use debug::Direction;

/// Which window a device's mappings may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowPolicy {
    /// Direct when reachable, else scatter-gather.
    Auto,
    /// Always through the IOMMU (as with `iommu=strict`).
    ForceSg,
    /// Only the direct window (fails if it cannot reach).
    ForceDirect,
}

/// What the DMA API needs to know about a device.
#[derive(Clone, Copy, Debug)]
pub struct DmaDevice {
    pub name: &'static str,
    /// The highest bus address the device can generate.
    pub dma_mask: u64,
    pub policy: WindowPolicy,
    /// The longest segment `map_sg` may give the device (bytes), as
    /// Linux's `dma_set_max_seg_size`.
    pub max_seg_size: usize,
    /// No mapped segment may cross an address with these bits clear, as
    /// Linux's `dma_set_seg_boundary` (`0xffff`: no 64 KiB boundary).
    pub seg_boundary_mask: u64,
}

impl DmaDevice {
    /// A device with Linux's default segment limits (64 KiB segments,
    /// a 4 GiB boundary).
    pub const fn new(name: &'static str, dma_mask: u64, policy: WindowPolicy) -> Self {
        DmaDevice { name, dma_mask, policy, max_seg_size: 0x1_0000, seg_boundary_mask: 0xffff_ffff }
    }
}

/// `repr(u8)`: an explicit tag. Without it rustc stores this enum's tag in
/// the niche of the `Option<PageError>` inside `NoMemory` (a niche inside
/// a niche), which rustc_codegen_gcc currently miscompiles (the value then
/// decodes as another variant); see the `codegen-enum-niche` self-test.
#[derive(Debug)]
#[repr(u8)]
pub enum DmaError {
    /// The DMA layer is not set up (no page allocator or no host bridge).
    NotReady,
    /// Neither the buddy allocator nor CMA could give the memory.
    NoMemory { size: usize, buddy: Option<PageError>, cma: Option<PageError> },
    /// No window can reach this memory with this device's mask.
    NoWindow { dev: &'static str, mask: u64, pa: PhysAddr, len: usize },
    /// The scatter-gather window has no run of free entries this long.
    IommuFull { dev: &'static str, pages: usize },
    /// Writing a PTE failed; the run's entries (written or not) were freed.
    IommuPte { dev: &'static str, entry: usize, pa: PhysAddr, written: usize, pages: usize, err: IommuError },
    /// Zero-length request.
    Empty,
    /// Refused by DMA-API debug (bad unmap).
    Refused,
    /// `DmaPool::create` parameters the pool cannot honour.
    PoolParams { pool: &'static str, size: usize, align: usize, boundary: usize, err: dma_pool::PoolError },
    /// A new chunk of a pool could not be taken in.
    PoolChunk { pool: &'static str, bus: BusAddr, err: dma_pool::PoolError },
    /// A pool was destroyed with objects still allocated (reported each).
    PoolBusy { pool: &'static str, live: usize },
    /// A device's segment limits cannot be obeyed (`max_seg_size` 0, or a
    /// `seg_boundary_mask` not of the form `2^n - 1`).
    SegLimits { dev: &'static str, max_seg_size: usize, mask: u64 },
    /// `set_mask`: no window can be reached with this mask.
    NoWindowForMask { dev: &'static str, mask: u64 },
}

impl fmt::Display for DmaError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DmaError::NotReady => f.write_str("DMA not initialised"),
            DmaError::NoMemory { size, buddy, cma } => {
                write!(f, "no memory for {size} bytes (buddy: ")?;
                match buddy {
                    Some(e) => write!(f, "{e}")?,
                    None => f.write_str("not tried")?,
                }
                f.write_str("; CMA: ")?;
                match cma {
                    Some(e) => write!(f, "{e})"),
                    None => f.write_str("not tried)"),
                }
            }
            DmaError::NoWindow { dev, mask, pa, len } => {
                write!(f, "{dev}: no DMA window reaches {pa:#x}+{len:#x} with DMA mask {mask:#x} (windows: ")?;
                write_windows(f)?;
                f.write_str(")")
            }
            DmaError::IommuFull { dev, pages } => write!(f, "{dev}: no {pages} free IOMMU entries"),
            DmaError::IommuPte { dev, entry, pa, written, pages, err } => write!(
                f,
                "{dev}: IOMMU entry {entry} not set to {pa:#x}: {err} (after {written} of {pages} entries; all {pages} freed again)"
            ),
            DmaError::Empty => f.write_str("zero-length DMA request"),
            DmaError::Refused => f.write_str("refused by DMA-API debug"),
            DmaError::PoolParams { pool, size, align, boundary, err } => {
                write!(f, "DMA pool {pool} (size {size}, align {align}, boundary {boundary:#x}) not created: {err}")
            }
            DmaError::PoolChunk { pool, bus, err } => write!(f, "DMA pool {pool}: the chunk at bus {bus:#x} was not taken in: {err}"),
            DmaError::PoolBusy { pool, live } => {
                write!(f, "DMA pool {pool} destroyed with {live} object(s) still allocated (their chunks stay allocated)")
            }
            DmaError::SegLimits { dev, max_seg_size, mask } => write!(
                f,
                "{dev}: segment limits max_seg_size {max_seg_size:#x}, seg_boundary_mask {mask:#x} cannot be obeyed (the size must be above 0, the mask 2^n-1)"
            ),
            DmaError::NoWindowForMask { dev, mask } => {
                write!(f, "{dev}: DMA mask {mask:#x} reaches no DMA window this device may use (")?;
                write_windows(f)?;
                f.write_str("); mask not set")
            }
        }
    }
}

/// The DMA windows, for the errors that name them: `direct bus A-B, SG
/// C-D, ISA SG E-F`.
fn write_windows(f: &mut fmt::Formatter) -> fmt::Result {
    let (d, sg, isa) = (iommu::direct_window(), iommu::pci_sg_window(), iommu::isa_sg_window());
    write!(
        f,
        "direct bus {:#x}-{:#x}, SG {:#x}-{:#x}, ISA SG {:#x}-{:#x}",
        d.bus_base,
        d.bus_last(),
        sg.bus_base,
        (sg.bus_base + sg.size).wrapping_sub(1),
        isa.bus_base,
        isa.bus_last()
    )
}

/// Where coherent memory came from; it goes back there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    Buddy { order: u32 },
    Cma { pages: usize },
}

/// A coherent buffer (Linux's `dma_alloc_coherent` memory): CPU pointer,
/// physical and bus addresses, and the device it was allocated for.
/// Dropping it unmaps it and gives the memory back (use [`Coherent::free`]
/// for the result); the device must no longer use it by then.
///
/// The device is recorded by name: unmapping needs nothing else (DMA-API
/// debug matches mappings by device name, the IOMMU by bus address), and
/// devices are not statics (a driver builds its `DmaDevice` at probe), so
/// the name, a `&'static str`, is what can be kept without a lifetime.
#[derive(Debug)]
pub struct Coherent {
    dev: &'static str,
    cpu: *mut u8,
    pa: PhysAddr,
    bus: BusAddr,
    size: usize,
    backing: Backing,
    /// Where it was allocated: the site DMA-API debug names for a drop.
    site: debug::Site,
}

impl Coherent {
    /// The buffer through KSEG, for the CPU (`size()` bytes).
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

    /// The size asked for (the memory behind it is whole pages).
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn backing(&self) -> Backing {
        self.backing
    }

    /// Unmaps and frees the buffer, back to where it came from. A refusal
    /// by DMA-API debug (reported there) leaves it mapped and allocated.
    #[track_caller]
    pub fn free(self) -> Result<(), DmaError> {
        let site = Location::caller();
        core::mem::ManuallyDrop::new(self).release(site)
    }

    fn release(&self, site: debug::Site) -> Result<(), DmaError> {
        let len = (self.size.div_ceil(PAGE_SIZE as usize) as u64) * PAGE_SIZE;
        let seg = [debug::seg(self.bus, self.pa, len)];
        if !debug::on_unmap(self.dev, Kind::Coherent, Direction::Bidirectional, &seg, site) {
            return Err(DmaError::Refused);
        }
        iommu::unmap(self.bus, len);
        release_backing(self.pa, self.backing);
        Ok(())
    }
}

impl Drop for Coherent {
    fn drop(&mut self) {
        // A refusal is reported by DMA-API debug (naming where the buffer
        // was allocated); the memory then stays where it is.
        let _ = self.release(self.site);
    }
}

fn release_backing(pa: PhysAddr, backing: Backing) {
    let r = match backing {
        Backing::Buddy { order } => page::free_pages(pa, order),
        Backing::Cma { pages } => page::cma_release(pa, pages),
    };
    if let Err(e) = r {
        log::error!("dma: giving back {pa:#x} ({backing:?}) failed: {e}");
    }
}

/// Zeroed, DMA-reachable memory of at least `size` bytes for `dev`.
#[track_caller]
pub fn alloc_coherent(dev: &DmaDevice, size: usize) -> Result<Coherent, DmaError> {
    let site = Location::caller();
    if size == 0 {
        return Err(DmaError::Empty);
    }
    // Buddy block first; CMA when no block is large enough or the buddy
    // allocator fails (dma_policy::coherent_plan).
    let Some((first, fallback)) = dma_policy::coherent_plan(size as u64, MAX_ORDER) else {
        return Err(DmaError::Empty);
    };
    let pages = (size as u64).div_ceil(PAGE_SIZE) as usize;
    let (mut buddy_err, mut cma_err, mut got) = (None, None, None);
    for source in [Some(first), fallback].into_iter().flatten() {
        match source {
            dma_policy::Source::Buddy { order } => {
                let r = if fault::should_fail(Site::Buddy) {
                    Err(PageError::Buddy(buddy::BuddyError::OutOfMemory { order }))
                } else {
                    page::alloc_pages(order, true, Owner::dma_coherent(dev.name))
                };
                match r {
                    Ok(pa) => got = Some((pa, Backing::Buddy { order })),
                    Err(e) => buddy_err = Some(e),
                }
            }
            dma_policy::Source::Cma { pages, align_order } => {
                let r = if fault::should_fail(Site::Cma) {
                    Err(PageError::Cma(cma::CmaError::NoSpace { count: pages as usize, align_order }))
                } else {
                    page::cma_alloc(pages as usize, align_order, Owner::dma_coherent(dev.name))
                };
                match r {
                    Ok(pa) => {
                        // SAFETY: the CMA area just gave us these pages.
                        unsafe { zero_phys(pa, (pages * PAGE_SIZE) as usize) };
                        got = Some((pa, Backing::Cma { pages: pages as usize }));
                    }
                    Err(e) => cma_err = Some(e),
                }
            }
        }
        if got.is_some() {
            break;
        }
    }
    let Some((pa, backing)) = got else {
        return Err(DmaError::NoMemory { size, buddy: buddy_err, cma: cma_err });
    };
    let len = (pages as u64) * PAGE_SIZE;
    match iommu::map(dev, pa, len) {
        Ok(bus) => {
            debug::on_map(dev.name, Kind::Coherent, Direction::Bidirectional, [debug::seg(bus, pa, len)].into_iter(), site);
            Ok(Coherent { dev: dev.name, cpu: phys_ptr(pa), pa, bus, size, backing, site })
        }
        Err(e) => {
            release_backing(pa, backing);
            Err(e)
        }
    }
}

/// A streaming mapping of `len` bytes of memory the driver owns (Linux's
/// `dma_map_single`), for one device and direction. Dropping it unmaps it
/// (use [`StreamingMapping::unmap`] for the result); the memory itself
/// stays the driver's.
#[derive(Debug)]
#[must_use = "dropping a mapping unmaps it at once"]
pub struct StreamingMapping {
    dev: &'static str,
    pa: PhysAddr,
    bus: BusAddr,
    len: usize,
    dir: Direction,
    /// Where it was mapped: the site DMA-API debug names for a drop.
    site: debug::Site,
}

impl StreamingMapping {
    pub fn pa(&self) -> PhysAddr {
        self.pa
    }

    /// The address the device uses.
    pub fn bus(&self) -> BusAddr {
        self.bus
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Undoes the mapping. A refusal by DMA-API debug (reported there)
    /// leaves it mapped.
    #[track_caller]
    pub fn unmap(self) -> Result<(), DmaError> {
        let me = core::mem::ManuallyDrop::new(self);
        unmap_single_at(me.dev, me.bus, me.len, me.dir, Location::caller())
    }
}

impl Drop for StreamingMapping {
    fn drop(&mut self) {
        // A refusal is reported by DMA-API debug.
        let _ = unmap_single_at(self.dev, self.bus, self.len, self.dir, self.site);
    }
}

/// Maps `len` bytes at physical `pa` for the device.
#[track_caller]
pub fn map_single(dev: &DmaDevice, pa: PhysAddr, len: usize, dir: Direction) -> Result<StreamingMapping, DmaError> {
    let site = Location::caller();
    if len == 0 {
        return Err(DmaError::Empty);
    }
    let bus = iommu::map(dev, pa, len as u64)?;
    debug::on_map(dev.name, Kind::Single, dir, [debug::seg(bus, pa, len as u64)].into_iter(), site);
    barrier_for_device(dir);
    Ok(StreamingMapping { dev: dev.name, pa, bus, len, dir, site })
}

fn unmap_single_at(dev: &'static str, bus: BusAddr, len: usize, dir: Direction, site: debug::Site) -> Result<(), DmaError> {
    // The physical address is not compared: only coherent frees compare it.
    let seg = [debug::seg(bus, PhysAddr::ZERO, len as u64)];
    if !debug::on_unmap(dev, Kind::Single, dir, &seg, site) {
        return Err(DmaError::Refused);
    }
    mb();
    iommu::unmap(bus, len as u64);
    Ok(())
}

/// One scatter-gather segment: the driver gives `pa` and `len`
/// ([`SgEntry::new`]); `map_sg` fills `bus`.
#[derive(Clone, Copy, Debug)]
pub struct SgEntry {
    pub pa: PhysAddr,
    pub len: usize,
    pub bus: BusAddr,
}

impl SgEntry {
    /// A segment not mapped yet.
    pub fn new(pa: PhysAddr, len: usize) -> Self {
        SgEntry { pa, len, bus: BusAddr::ZERO }
    }
}

/// A mapped scatter-gather list (Linux's `dma_map_sg`): the segments with
/// their bus addresses, for one device and direction. Dropping it unmaps
/// it (use [`SgMapping::unmap`] for the result).
#[derive(Debug)]
#[must_use = "dropping a mapping unmaps it at once"]
pub struct SgMapping {
    dev: &'static str,
    list: Vec<SgEntry>,
    dir: Direction,
    site: debug::Site,
}

impl SgMapping {
    /// The segments, each with its bus address.
    pub fn entries(&self) -> &[SgEntry] {
        &self.list
    }

    /// Undoes the mapping. A refusal by DMA-API debug (reported there)
    /// leaves it mapped.
    #[track_caller]
    pub fn unmap(self) -> Result<(), DmaError> {
        let mut me = core::mem::ManuallyDrop::new(self);
        // The list moves out; what stays behind owns nothing.
        let list = core::mem::take(&mut me.list);
        unmap_sg_at(me.dev, &list, me.dir, Location::caller())
    }
}

impl Drop for SgMapping {
    fn drop(&mut self) {
        // A refusal is reported by DMA-API debug.
        let _ = unmap_sg_at(self.dev, &self.list, self.dir, self.site);
    }
}

/// Maps a list of segments. Through the IOMMU all segments share one run
/// of entries, so the device sees them back to back page by page.
///
/// The device's segment limits (`max_seg_size`, `seg_boundary_mask`) are
/// obeyed by splitting: once every segment has its bus address, each is
/// cut at the bus addresses where it would cross a boundary or outgrow
/// `max_seg_size` ([`dma_policy::seg::SegLimits::pieces`]), so
/// [`SgMapping::entries`] may be longer than the list given. Splitting,
/// not placing the IOMMU run inside one boundary, because it works for
/// every list (a run longer than the boundary cannot be placed inside it,
/// and a run of several segments would need each segment placed on its
/// own), keeps one run per list (one allocation, one unmap), and is the
/// same code for the direct window and the IOMMU. DMA-API debug then checks
/// every entry against the limits ([`debug::check_seg_limits`]).
#[track_caller]
pub fn map_sg(dev: &DmaDevice, mut list: Vec<SgEntry>, dir: Direction) -> Result<SgMapping, DmaError> {
    let site = Location::caller();
    if list.is_empty() || list.iter().any(|s| s.len == 0) {
        return Err(DmaError::Empty);
    }
    let limits = seg_limits(dev)?;
    iommu::map_sg(dev, &mut list)?;
    let list = match split_at_limits(list, &limits) {
        Ok(l) => l,
        Err((e, list)) => {
            iommu::unmap_sg(&list);
            return Err(e);
        }
    };
    debug::check_seg_limits(dev.name, &limits, sg_segs(&list), site);
    debug::on_map(dev.name, Kind::Sg, dir, sg_segs(&list), site);
    barrier_for_device(dir);
    Ok(SgMapping { dev: dev.name, list, dir, site })
}

/// The device's segment limits, refused when they cannot be obeyed.
fn seg_limits(dev: &DmaDevice) -> Result<dma_policy::seg::SegLimits, DmaError> {
    let l = dma_policy::seg::SegLimits { max_seg_size: dev.max_seg_size as u64, boundary_mask: dev.seg_boundary_mask };
    if !l.valid() {
        return Err(DmaError::SegLimits { dev: dev.name, max_seg_size: dev.max_seg_size, mask: dev.seg_boundary_mask });
    }
    Ok(l)
}

/// The mapped list cut at the limits (the list itself when nothing needs
/// cutting). The new list is allocated fallibly; on failure the error
/// comes back with the list as mapped, for the caller to unmap.
fn split_at_limits(list: Vec<SgEntry>, l: &dma_policy::seg::SegLimits) -> Result<Vec<SgEntry>, (DmaError, Vec<SgEntry>)> {
    let n: usize = list.iter().map(|s| l.count(s.bus.as_u64(), s.len as u64)).sum();
    if n == list.len() {
        return Ok(list);
    }
    let mut out = Vec::new();
    if out.try_reserve_exact(n).is_err() {
        let size = n * core::mem::size_of::<SgEntry>();
        return Err((DmaError::NoMemory { size, buddy: None, cma: None }, list));
    }
    for s in &list {
        for (off, len) in l.pieces(s.bus.as_u64(), s.len as u64) {
            out.push(SgEntry { pa: s.pa + off, len: len as usize, bus: s.bus + off });
        }
    }
    Ok(out)
}

fn sg_segs(sg: &[SgEntry]) -> impl ExactSizeIterator<Item = Seg> + '_ {
    sg.iter().map(|s| debug::seg(s.bus, s.pa, s.len as u64))
}

/// Undoes a scatter-gather mapping described by `sg`. An empty list or a
/// zero-length segment is refused with [`DmaError::Empty`].
fn unmap_sg_at(dev: &'static str, sg: &[SgEntry], dir: Direction, site: debug::Site) -> Result<(), DmaError> {
    if sg.is_empty() || sg.iter().any(|s| s.len == 0) {
        return Err(DmaError::Empty);
    }
    if debug::enabled() {
        // The list to compare, fallibly (an empty heap stops debugging).
        match debug::segs_fallible(sg_segs(sg)) {
            Some(segs) if !debug::on_unmap(dev, Kind::Sg, dir, &segs, site) => return Err(DmaError::Refused),
            Some(_) => {}
            None => debug::give_up(dev),
        }
    }
    mb();
    iommu::unmap_sg(sg);
    Ok(())
}

/// Unmaps described by hand, as a C driver calls `dma_unmap_single` and
/// `dma_unmap_sg` with a bus address, length and direction of its own.
/// Only the DMA-API debug self-tests use these: they prove that a wrong
/// description (size, direction, kind, device, a second unmap, an empty
/// list) is reported and refused, leaving the mapping live. Drivers undo a
/// mapping by dropping, or calling `unmap` on, the value `map_*` returned.
pub mod by_hand {
    use super::{BusAddr, DmaDevice, DmaError, Direction, SgEntry};
    use core::panic::Location;

    /// `dma_unmap_single(dev, bus, len, dir)`.
    #[track_caller]
    pub fn unmap_single(dev: &DmaDevice, bus: BusAddr, len: usize, dir: Direction) -> Result<(), DmaError> {
        super::unmap_single_at(dev.name, bus, len, dir, Location::caller())
    }

    /// `dma_unmap_sg(dev, sg, dir)`.
    #[track_caller]
    pub fn unmap_sg(dev: &DmaDevice, sg: &[SgEntry], dir: Direction) -> Result<(), DmaError> {
        super::unmap_sg_at(dev.name, sg, dir, Location::caller())
    }
}

/// The windows a DMA mask can use, as [`set_mask`] returns them: the part
/// of the direct window below the mask (`direct_below`, physical), and
/// whether the PCI and ISA scatter-gather windows lie below it; only those
/// the device's policy (and `iommu=strict`) lets it use.
pub use dma_policy::MaskWindows as Window;

/// Linux's `dma_set_mask`: sets the device's DMA mask (its highest bus
/// address) if some window it may use can be reached with it, and says
/// which ([`Window`]); else [`DmaError::NoWindowForMask`] and the mask
/// stays as it was. Call after `dma::init` (the scatter-gather windows
/// count once they are set up).
pub fn set_mask(dev: &mut DmaDevice, mask: u64) -> Result<Window, DmaError> {
    let w = dma_policy::mask_windows(&iommu::windows(), mask).under(iommu::policy(dev), iommu::strict());
    if !w.any() {
        return Err(DmaError::NoWindowForMask { dev: dev.name, mask });
    }
    dev.dma_mask = mask;
    Ok(w)
}

/// Linux's `dma_set_max_seg_size`: the longest segment `map_sg` gives the
/// device (above 0).
pub fn set_max_seg_size(dev: &mut DmaDevice, size: usize) -> Result<(), DmaError> {
    let l = dma_policy::seg::SegLimits { max_seg_size: size as u64, boundary_mask: dev.seg_boundary_mask };
    if !l.valid() {
        return Err(DmaError::SegLimits { dev: dev.name, max_seg_size: size, mask: dev.seg_boundary_mask });
    }
    dev.max_seg_size = size;
    Ok(())
}

/// Linux's `dma_set_seg_boundary`: no segment `map_sg` gives the device
/// crosses an address with `mask`'s bits clear (`mask` is `2^n - 1`).
pub fn set_seg_boundary(dev: &mut DmaDevice, mask: u64) -> Result<(), DmaError> {
    let l = dma_policy::seg::SegLimits { max_seg_size: dev.max_seg_size as u64, boundary_mask: mask };
    if !l.valid() {
        return Err(DmaError::SegLimits { dev: dev.name, max_seg_size: dev.max_seg_size, mask });
    }
    dev.seg_boundary_mask = mask;
    Ok(())
}

/// The ordering a hand-over to the device needs: the device may read
/// what the CPU wrote (`wmb`), or, for `FromDevice`, the CPU is done with
/// the memory (`mb`).
fn barrier_for_device(dir: Direction) {
    match dir {
        Direction::FromDevice => mb(),
        _ => wmb(),
    }
}

/// The device may now read what the CPU wrote. DMA-API debug checks that
/// `[bus, bus + len)` lies inside a live mapping of this device whose
/// direction accepts `dir` (reported with the caller's file and line).
#[track_caller]
pub fn sync_for_device(dev: &DmaDevice, bus: BusAddr, len: usize, dir: Direction) {
    debug::check_sync(dev.name, bus, len as u64, dir, false, Location::caller());
    barrier_for_device(dir);
}

/// The CPU may now read what the device wrote; checked as
/// [`sync_for_device`] is.
#[track_caller]
pub fn sync_for_cpu(dev: &DmaDevice, bus: BusAddr, len: usize, dir: Direction) {
    debug::check_sync(dev.name, bus, len as u64, dir, true, Location::caller());
    mb();
}

/// Sets up the windows (call after `pci::enumerate` and `mm::boot::init`;
/// `total_pages`: the memory the PCI scatter-gather window is sized for),
/// and registers DMA-API debug's free check with the page allocator.
pub fn init(params: &bootparam::EarlyParams, total_pages: u64) {
    debug::set_direct_window(iommu::direct_window());
    crate::mm::page::set_free_observer(debug::on_free);
    if let Some(v) = params.get("dma_debug") {
        match v {
            "off" | "0" => debug::set_enabled(false),
            "on" | "1" => debug::set_enabled(true),
            other => log::warn!("dma_debug={other}: expected on or off; keeping it on"),
        }
    }
    log::info!("dma: DMA-API debug {}", if debug::enabled() { "on" } else { "off (dma_debug=off)" });
    for site in Site::all() {
        let key = site.param();
        if let Some(v) = params.get(key) {
            match v.parse::<u64>() {
                Ok(n) if n > 0 => {
                    fault::arm(site, n);
                    log::warn!("fault injection armed: {key}={n}");
                }
                _ => log::warn!("{key}={v}: expected a positive count; ignored"),
            }
        }
    }
    let strict = match params.get("iommu") {
        Some("strict") => true,
        Some(other) => {
            log::warn!("iommu={other}: only iommu=strict is known; ignored");
            false
        }
        None => false,
    };
    iommu::init(strict, total_pages);
}

/// At shutdown: report leaked mappings and give the firmware its windows
/// back (the machine's `kill_arch`).
pub fn shutdown() {
    pool::report_leaks();
    debug::report_leaks();
    crate::platform::machine().kill_arch();
}
