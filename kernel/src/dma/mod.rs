//! The DMA API drivers use (after Linux's `dma-mapping.h` and Alpha's
//! `pci_iommu.c`):
//!
//! * [`alloc_coherent`] / [`free_coherent`]: zeroed memory with a bus
//!   address; buddy pages first, then the CMA area when the buddy allocator
//!   cannot give a large enough contiguous block (the Alpha CMA patch's
//!   fallback in `alpha_pci_alloc_coherent`), then an error;
//! * [`map_single`] / [`unmap_single`], [`map_sg`] / [`unmap_sg`]: streaming
//!   mappings of memory the driver already has;
//! * [`sync_for_cpu`] / [`sync_for_device`]: ownership hand-over barriers,
//!   checked by DMA-API debug against the live mappings.
//!
//! A mapping uses the direct-mapped window when the device's DMA mask and
//! the window reach the memory (and `iommu=strict` is off), else a
//! scatter-gather window through the IOMMU: the PCI window, or the ISA
//! window for masks below it. No window reachable is a clear error.
//!
//! The Tsunami/Typhoon keeps DMA coherent with the CPU caches, so the syncs
//! are memory barriers only: `wmb` before the device may read what the CPU
//! wrote, `mb` before the CPU reads what the device wrote.

mod accounting;
pub mod debug;
pub mod fault;
pub mod iommu;

pub use accounting::accounting;
use crate::arch::{mb, wmb};
use crate::mm::owner::Owner;
use crate::mm::page::{self, PageError};
use crate::mm::{PAGE_SIZE, phys_ptr};
use buddy::MAX_ORDER;
use core::fmt;
use core::panic::Location;
use debug::{Kind, Seg};
use fault::Site;
use iommu_arena::IommuError;

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
}

/// `repr(u8)`: an explicit tag. Without it rustc stores this enum's tag in
/// the niche of the `Option<PageError>` inside `NoMemory` (a niche inside
/// a niche), which rustc_codegen_gcc currently miscompiles (the value then
/// decodes as another variant); see the `codegen-enum-niche` self-test.
#[derive(Debug)]
#[repr(u8)]
pub enum DmaError {
    /// The DMA layer is not set up (no page allocator or no Pchip).
    NotReady,
    /// Neither the buddy allocator nor CMA could give the memory.
    NoMemory { size: usize, buddy: Option<PageError>, cma: Option<PageError> },
    /// No window can reach this memory with this device's mask.
    NoWindow { dev: &'static str, mask: u64, pa: u64, len: usize },
    /// The scatter-gather window has no run of free entries this long.
    IommuFull { dev: &'static str, pages: usize },
    /// Writing a PTE failed; the run's entries (written or not) were freed.
    IommuPte { dev: &'static str, entry: usize, pa: u64, written: usize, pages: usize, err: IommuError },
    /// Zero-length request.
    Empty,
    /// Refused by DMA-API debug (bad unmap).
    Refused,
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
            DmaError::NoWindow { dev, mask, pa, len } => write!(
                f,
                "{dev}: no DMA window reaches {pa:#x}+{len:#x} with DMA mask {mask:#x} (windows: direct bus {:#x}-{:#x}, SG {:#x}-{:#x}, ISA SG {:#x}-{:#x})",
                iommu::DIRECT_BASE,
                iommu::DIRECT_BASE + iommu::DIRECT_SIZE - 1,
                iommu::PCI_SG_BASE,
                iommu::PCI_SG_BASE + iommu::pci_sg_size() - 1,
                iommu::ISA_SG_BASE,
                iommu::ISA_SG_BASE + iommu::ISA_SG_SIZE - 1
            ),
            DmaError::IommuFull { dev, pages } => write!(f, "{dev}: no {pages} free IOMMU entries"),
            DmaError::IommuPte { dev, entry, pa, written, pages, err } => write!(
                f,
                "{dev}: IOMMU entry {entry} not set to {pa:#x}: {err} (after {written} of {pages} entries; all {pages} freed again)"
            ),
            DmaError::Empty => f.write_str("zero-length DMA request"),
            DmaError::Refused => f.write_str("refused by DMA-API debug"),
        }
    }
}

/// Where coherent memory came from; it goes back there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    Buddy { order: u32 },
    Cma { pages: usize },
}

/// A coherent buffer: CPU pointer, physical and bus addresses.
#[derive(Debug)]
pub struct Coherent {
    pub cpu: *mut u8,
    pub pa: u64,
    pub bus: u64,
    pub size: usize,
    pub backing: Backing,
}

fn release_backing(pa: u64, backing: Backing) {
    let r = match backing {
        Backing::Buddy { order } => page::free_pages(pa, order),
        Backing::Cma { pages } => page::cma_release(pa, pages),
    };
    if let Err(e) = r {
        log::error!("dma: giving back {pa:#x} ({backing:?}) failed: {e}");
    }
}

/// Zeroed, DMA-reachable memory of at least `size` bytes.
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
                        unsafe { core::ptr::write_bytes(phys_ptr::<u8>(pa), 0, (pages * PAGE_SIZE) as usize) };
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
            debug::on_map(dev.name, Kind::Coherent, Direction::Bidirectional, [Seg { bus, pa, len }].into_iter(), site);
            Ok(Coherent { cpu: phys_ptr(pa), pa, bus, size, backing })
        }
        Err(e) => {
            release_backing(pa, backing);
            Err(e)
        }
    }
}

/// Unmaps and frees a coherent buffer, back to where it came from.
#[track_caller]
pub fn free_coherent(dev: &DmaDevice, c: Coherent) {
    let site = Location::caller();
    let len = (c.size.div_ceil(PAGE_SIZE as usize) as u64) * PAGE_SIZE;
    let seg = [Seg { bus: c.bus, pa: c.pa, len }];
    if !debug::on_unmap(dev.name, Kind::Coherent, Direction::Bidirectional, &seg, site) {
        return;
    }
    iommu::unmap(c.bus, len);
    release_backing(c.pa, c.backing);
}

/// Maps `len` bytes at physical `pa` for the device; returns the bus address.
#[track_caller]
pub fn map_single(dev: &DmaDevice, pa: u64, len: usize, dir: Direction) -> Result<u64, DmaError> {
    if len == 0 {
        return Err(DmaError::Empty);
    }
    let bus = iommu::map(dev, pa, len as u64)?;
    debug::on_map(dev.name, Kind::Single, dir, [Seg { bus, pa, len: len as u64 }].into_iter(), Location::caller());
    barrier_for_device(dir);
    Ok(bus)
}

/// Undoes [`map_single`] (same bus address and length).
#[track_caller]
pub fn unmap_single(dev: &DmaDevice, bus: u64, len: usize, dir: Direction) -> Result<(), DmaError> {
    // The physical address is not known here: only coherent frees compare it.
    let seg = [Seg { bus, pa: 0, len: len as u64 }];
    if !debug::on_unmap(dev.name, Kind::Single, dir, &seg, Location::caller()) {
        return Err(DmaError::Refused);
    }
    mb();
    iommu::unmap(bus, len as u64);
    Ok(())
}

/// One scatter-gather segment: the driver fills `pa` and `len`; `map_sg`
/// fills `bus`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SgEntry {
    pub pa: u64,
    pub len: usize,
    pub bus: u64,
}

/// Maps a list of segments. Through the IOMMU all segments share one run
/// of entries, so the device sees them back to back page by page.
#[track_caller]
pub fn map_sg(dev: &DmaDevice, sg: &mut [SgEntry], dir: Direction) -> Result<(), DmaError> {
    let site = Location::caller();
    if sg.is_empty() || sg.iter().any(|s| s.len == 0) {
        return Err(DmaError::Empty);
    }
    iommu::map_sg(dev, sg)?;
    debug::on_map(dev.name, Kind::Sg, dir, sg_segs(sg), site);
    barrier_for_device(dir);
    Ok(())
}

fn sg_segs(sg: &[SgEntry]) -> impl ExactSizeIterator<Item = Seg> + '_ {
    sg.iter().map(|s| Seg { bus: s.bus, pa: s.pa, len: s.len as u64 })
}

/// Undoes [`map_sg`] (the same list, as `map_sg` filled it). An empty list
/// or a zero-length segment is refused with [`DmaError::Empty`].
#[track_caller]
pub fn unmap_sg(dev: &DmaDevice, sg: &[SgEntry], dir: Direction) -> Result<(), DmaError> {
    if sg.is_empty() || sg.iter().any(|s| s.len == 0) {
        return Err(DmaError::Empty);
    }
    if debug::enabled() {
        // The list to compare, fallibly (an empty heap stops debugging).
        match debug::segs_fallible(sg_segs(sg)) {
            Some(segs) if !debug::on_unmap(dev.name, Kind::Sg, dir, &segs, Location::caller()) => return Err(DmaError::Refused),
            Some(_) => {}
            None => debug::give_up(dev.name),
        }
    }
    mb();
    iommu::unmap_sg(sg);
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
pub fn sync_for_device(dev: &DmaDevice, bus: u64, len: usize, dir: Direction) {
    debug::check_sync(dev.name, bus, len as u64, dir, false, Location::caller());
    barrier_for_device(dir);
}

/// The CPU may now read what the device wrote; checked as
/// [`sync_for_device`] is.
#[track_caller]
pub fn sync_for_cpu(dev: &DmaDevice, bus: u64, len: usize, dir: Direction) {
    debug::check_sync(dev.name, bus, len as u64, dir, true, Location::caller());
    mb();
}

/// Sets up the windows (call after `pci::enumerate` and `mm::boot::init`).
pub fn init(params: &bootparam::EarlyParams) {
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
    iommu::init(strict);
}

/// At shutdown: report leaked mappings and give the firmware its windows back.
pub fn shutdown() {
    debug::report_leaks();
    crate::pci::pchip::restore();
}
