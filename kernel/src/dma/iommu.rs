//! The windows the DMA API maps through: the host bridge's direct-mapped
//! window and its two scatter-gather windows (where they lie on the bus is
//! the machine's, [`crate::platform::DmaLayout`]), each scatter-gather
//! window with an `IommuArena` over a page table allocated from the buddy
//! allocator, aligned to its size.

use super::{DmaDevice, DmaError, SgEntry, WindowPolicy};
use super::fault::{self, Site};
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page, phys_slice_mut};
use crate::platform::{self, DmaLayout, SgTables};
use addr::BusAddr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use dma_policy::{Choice, Policy, WindowRange, span_pages};
use iommu_arena::{FlushPolicy, IommuArena, IommuTlb};
use log::{error, info};
use spin::Mutex;

static PCI_SG_SIZE: AtomicU64 = AtomicU64::new(0);
static STRICT: AtomicBool = AtomicBool::new(false);

/// The machine's DMA windows.
fn layout() -> &'static DmaLayout {
    platform::machine().dma_windows()
}

/// The direct-mapped window: bus `bus_base + pa` for `pa < size`.
pub fn direct_window() -> WindowRange {
    layout().direct
}

/// The ISA scatter-gather window.
pub fn isa_sg_window() -> WindowRange {
    layout().isa_sg
}

/// The PCI scatter-gather window (size 0 before [`init`] programs it).
pub fn pci_sg_window() -> WindowRange {
    WindowRange { bus_base: layout().pci_sg_base, size: pci_sg_size() }
}

/// Whether `bus` lies in the direct-mapped window.
fn is_direct(bus: BusAddr) -> bool {
    let d = direct_window();
    bus.as_u64().wrapping_sub(d.bus_base) < d.size
}

pub fn pci_sg_size() -> u64 {
    PCI_SG_SIZE.load(Ordering::Relaxed)
}

pub fn strict() -> bool {
    STRICT.load(Ordering::Relaxed)
}

/// The machine's IOMMU TLB, as the arena sees it (Linux's `mv_pci_tbi`).
pub struct MachineTlb;

impl IommuTlb for MachineTlb {
    fn invalidate_all(&mut self) {
        platform::machine().iommu_tbi(0, u64::MAX);
    }
    fn invalidate_range(&mut self, first: u64, last: u64) {
        platform::machine().iommu_tbi(first, last);
    }
}

struct Arenas {
    isa: IommuArena<'static>,
    pci: IommuArena<'static>,
}

impl Arenas {
    /// The arena whose window holds bus address `bus` (the ISA window lies
    /// below the PCI one).
    fn for_bus(&self, bus: u64) -> &IommuArena<'static> {
        if bus >= layout().pci_sg_base { &self.pci } else { &self.isa }
    }

    fn for_bus_mut(&mut self, bus: u64) -> &mut IommuArena<'static> {
        if bus >= layout().pci_sg_base { &mut self.pci } else { &mut self.isa }
    }
}

static ARENAS: Mutex<Option<Arenas>> = Mutex::new(None);

/// Linux's `size_for_memory`: the SG window covers memory, at most the
/// machine's maximum (1 GiB on the machines the kernel knows).
fn size_for_memory(total: u64, max: u64) -> u64 {
    total.next_power_of_two().clamp(8 << 20, max.max(8 << 20))
}

/// A page table for a window of `size` bytes: one 8-byte PTE per 8 KiB,
/// from the buddy allocator (naturally aligned to its own size), zeroed.
fn alloc_table(size: u64) -> Option<&'static mut [u64]> {
    let entries = (size / PAGE_SIZE) as usize;
    let bytes = (entries * 8) as u64;
    let order = (bytes.div_ceil(PAGE_SIZE)).next_power_of_two().trailing_zeros();
    match page::alloc_pages(order, true, Owner::IOMMU_TABLES) {
        Ok(pa) if pa.is_aligned(bytes.max(PAGE_SIZE)) => {
            // SAFETY: fresh zeroed buddy pages, kept for the window's lifetime.
            Some(unsafe { phys_slice_mut(pa, entries) })
        }
        Ok(pa) => {
            error!("iommu: page table at {pa:#x} is not aligned to its size {bytes:#x}");
            let _ = page::free_pages(pa, order);
            None
        }
        Err(e) => {
            error!("iommu: no memory for a {bytes}-byte page table: {e}");
            None
        }
    }
}

/// The dirty-entry bitmap for a table of `entries` PTEs.
fn alloc_bitmap(entries: usize) -> Option<&'static mut [u64]> {
    let words = iommu_arena::dirty_bitmap_words(entries);
    let order = ((words * 8) as u64).div_ceil(PAGE_SIZE).next_power_of_two().trailing_zeros();
    let pa = page::alloc_pages(order, true, Owner::IOMMU_TABLES).ok()?;
    // SAFETY: fresh zeroed buddy pages, kept for the window's lifetime.
    Some(unsafe { phys_slice_mut(pa, words) })
}

fn table_pa(t: &[u64]) -> u64 {
    crate::mm::virt_to_phys(t.as_ptr()).as_u64()
}

/// Saves the firmware's windows (the machine's `init_arch`), programs ours,
/// flushes the TLB.
pub fn init(strict: bool, total_pages: u64) {
    STRICT.store(strict, Ordering::Relaxed);
    let machine = platform::machine();
    let layout = machine.dma_windows();
    machine.init_arch();
    let total = total_pages * PAGE_SIZE;
    let pci_size = size_for_memory(total, layout.pci_sg_max);
    let align = layout.tlb_line_entries;
    let (Some(isa_t), Some(pci_t)) = (alloc_table(layout.isa_sg.size), alloc_table(pci_size)) else {
        error!("iommu: scatter-gather windows not set up; DMA limited to the direct window");
        return;
    };
    let (isa_pa, pci_pa) = (table_pa(isa_t), table_pa(pci_t));
    // Allocations start on TLB-line boundaries (4 entries on the machines
    // the kernel knows: the TLB caches PTEs four at a time). Freed entries are tracked in a dirty bitmap and the TLB
    // is invalidated only before one of them is handed out again (the
    // crate's DirtyBitmap policy: same placement as Linux's lazy flush on
    // wrap, 3-64x fewer invalidations in its measurements).
    let (Some(isa_dirty), Some(pci_dirty)) = (alloc_bitmap(isa_t.len()), alloc_bitmap(pci_t.len())) else {
        error!("iommu: no memory for the dirty-entry bitmaps; no scatter-gather windows");
        return;
    };
    let isa = IommuArena::new(layout.isa_sg.bus_base, isa_t, align, FlushPolicy::DirtyBitmap(isa_dirty));
    let pci = IommuArena::new(layout.pci_sg_base, pci_t, align, FlushPolicy::DirtyBitmap(pci_dirty));
    let (isa, pci) = match (isa, pci) {
        (Ok(i), Ok(p)) => (i, p),
        (Err(e), _) | (_, Err(e)) => {
            error!("iommu: arena setup failed: {e}");
            return;
        }
    };
    machine.program_windows(&SgTables { isa_table: isa_pa, pci_table: pci_pa, pci_size });
    PCI_SG_SIZE.store(pci_size, Ordering::Relaxed);
    *ARENAS.lock() = Some(Arenas { isa, pci });
    info!("iommu: runs aligned to {align} entries, freed entries flushed before reuse (dirty bitmap)");
    if strict {
        info!("iommu=strict: every device maps through the scatter-gather window");
    }
}

/// The PTE behind a scatter-gather bus address (for tests).
pub fn pte(bus: BusAddr) -> Option<u64> {
    let bus = bus.as_u64();
    let guard = ARENAS.lock();
    let a = guard.as_ref()?;
    let arena = a.for_bus(bus);
    arena.entry_of(bus).ok().and_then(|e| arena.pte(e))
}

/// The windows as the policy sees them.
pub(super) fn windows() -> dma_policy::Windows {
    let mut w = layout().windows(pci_sg_size().max(PAGE_SIZE));
    if ARENAS.lock().is_none() {
        w.sg = None;
        w.isa = None;
    }
    w
}

/// The device's window policy as the policy crate names it.
pub(super) fn policy(dev: &DmaDevice) -> Policy {
    match dev.policy {
        WindowPolicy::Auto => Policy::Auto,
        WindowPolicy::ForceSg => Policy::ForceSg,
        WindowPolicy::ForceDirect => Policy::ForceDirect,
    }
}

fn choose(dev: &DmaDevice, pa: PhysAddr, len: u64) -> Result<Choice, DmaError> {
    let policy = policy(dev);
    dma_policy::choose_window(&windows(), pa.as_u64(), len, dev.dma_mask, policy, strict())
        .map_err(|_| DmaError::NoWindow { dev: dev.name, mask: dev.dma_mask, pa, len: len as usize })
}

/// Both SG arenas' counters (isa, pci): allocations, wraps, TLB invalidations.
pub fn stats() -> Option<(iommu_arena::IommuStats, iommu_arena::IommuStats)> {
    ARENAS.lock().as_ref().map(|a| (a.isa.stats(), a.pci.stats()))
}

/// Runs `f` on both SG arenas (isa, pci), read-only, under their lock
/// (`None` before [`init`] set them up): for the monitor's `iommu` view.
pub fn with_arenas<R>(f: impl FnOnce(&IommuArena<'static>, &IommuArena<'static>) -> R) -> Option<R> {
    ARENAS.lock().as_ref().map(|a| f(&a.isa, &a.pci))
}

/// Entries of both SG arenas in use (isa, pci).
pub fn used_entries() -> (usize, usize) {
    ARENAS.lock().as_ref().map_or((0, 0), |a| (a.isa.used_entries(), a.pci.used_entries()))
}

/// The bus address of `pa` through the direct-mapped window.
fn direct(pa: PhysAddr) -> BusAddr {
    BusAddr::new(direct_window().bus_base + pa.as_u64())
}

/// Chooses a window for `[pa, pa+len)` and maps it; returns the bus address.
pub fn map(dev: &DmaDevice, pa: PhysAddr, len: u64) -> Result<BusAddr, DmaError> {
    let choice = choose(dev, pa, len)?;
    if choice == Choice::Direct {
        return Ok(direct(pa));
    }
    let pages = span_pages(pa.as_u64(), len);
    let first = map_pages(dev, choice, pages, |i| pa.align_down(PAGE_SIZE) + i * PAGE_SIZE)?;
    Ok(first + pa.offset_in(PAGE_SIZE))
}

/// Allocates `pages` entries in the chosen SG arena and fills them with
/// `page_pa(i)`; returns the run's bus address. If a PTE cannot be written,
/// the whole run (the entries already written included) is freed again and
/// the error returned: the bus address was never handed out, and the freed
/// entries are marked dirty, so the TLB is invalidated before any of them
/// is reused.
fn map_pages(dev: &DmaDevice, choice: Choice, pages: u64, page_pa: impl Fn(u64) -> PhysAddr) -> Result<BusAddr, DmaError> {
    let mut guard = ARENAS.lock();
    let arenas = guard.as_mut().ok_or(DmaError::NotReady)?;
    let arena = if choice == Choice::Isa { &mut arenas.isa } else { &mut arenas.pci };
    if fault::should_fail(Site::Iommu) {
        return Err(DmaError::IommuFull { dev: dev.name, pages: pages as usize });
    }
    let entry = arena
        .alloc(pages as usize, 1, None, &mut MachineTlb)
        .map_err(|_| DmaError::IommuFull { dev: dev.name, pages: pages as usize })?;
    let mut failed = None;
    for i in 0..pages {
        let mut pa = page_pa(i).as_u64();
        if fault::should_fail(Site::Pte) {
            pa |= 1; // misaligned: set_pte refuses it
        }
        if let Err(err) = arena.set_pte(entry + i as usize, pa) {
            let pa = PhysAddr::new(pa);
            failed = Some(DmaError::IommuPte { dev: dev.name, entry: entry + i as usize, pa, written: i as usize, pages: pages as usize, err });
            break;
        }
    }
    let bus = arena.dma_addr(entry);
    let err = match (failed, bus) {
        (None, Ok(bus)) => {
            crate::arch::wmb();
            return Ok(BusAddr::new(bus));
        }
        (Some(e), _) => e,
        (None, Err(_)) => DmaError::NotReady,
    };
    if let Err(e) = arena.free(entry, pages as usize, &mut MachineTlb) {
        error!("iommu: unwinding {pages} entries at {entry} after a failed mapping: {e}");
    }
    Err(err)
}

/// Undoes [`map`] for the same bus address and length.
pub fn unmap(bus: BusAddr, len: u64) {
    if is_direct(bus) {
        return; // nothing to undo in a direct window
    }
    let pages = span_pages(bus.as_u64(), len);
    free_run(bus.align_down(PAGE_SIZE), pages);
}

fn free_run(bus: BusAddr, pages: u64) {
    let bus = bus.as_u64();
    let mut guard = ARENAS.lock();
    let Some(arenas) = guard.as_mut() else { return };
    let arena = arenas.for_bus_mut(bus);
    match arena.entry_of(bus) {
        Ok(entry) => {
            if let Err(e) = arena.free(entry, pages as usize, &mut MachineTlb) {
                error!("iommu: freeing {pages} entries at bus {bus:#x} failed: {e}");
            }
        }
        Err(e) => error!("iommu: bus address {bus:#x}: {e}"),
    }
}

/// Pages a scatter-gather list needs before it is mapped (each segment's
/// page span: in the run every segment starts on a page of its own).
pub fn sg_pages(sg: &[SgEntry]) -> u64 {
    sg.iter().map(|s| span_pages(s.pa.as_u64(), s.len as u64)).sum()
}

/// Pages of the IOMMU run behind a mapped list: the bus pages its entries
/// cover, in order (`dma_policy::seg::bus_pages`). A segment split at the
/// device's limits (`map_sg`) may leave two entries on one bus page; that
/// page counts once.
pub fn run_pages(sg: &[SgEntry]) -> u64 {
    dma_policy::seg::bus_pages(sg.iter().map(|s| (s.bus.as_u64(), s.len as u64)), PAGE_SIZE)
}

/// Maps a scatter-gather list: direct per segment if every segment may use
/// the direct window, else one IOMMU run for all segments. The device's
/// segment limits are applied afterwards, by the caller (`dma::map_sg`),
/// to the bus addresses this gives.
pub fn map_sg(dev: &DmaDevice, sg: &mut [SgEntry]) -> Result<BusAddr, DmaError> {
    if sg.is_empty() {
        return Err(DmaError::Empty);
    }
    // The windows each segment may use, without allocating (this path
    // must not panic on a full heap): all direct, or one IOMMU run for all.
    let (mut all_direct, mut any_isa) = (true, false);
    for s in sg.iter() {
        let c = choose(dev, s.pa, s.len as u64)?;
        all_direct &= c == Choice::Direct;
        any_isa |= c == Choice::Isa;
    }
    if all_direct {
        for s in sg.iter_mut() {
            s.bus = direct(s.pa);
        }
        return Ok(sg[0].bus);
    }
    // One window for the whole list: the PCI one unless some segment can
    // only use the ISA one.
    let choice = if any_isa { Choice::Isa } else { Choice::Sg };
    // Page i of the run belongs to the segment whose span covers it.
    let pages = sg_pages(sg);
    let page_pa = |i: u64| {
        let mut first = 0;
        for s in sg.iter() {
            let n = span_pages(s.pa.as_u64(), s.len as u64);
            if i < first + n {
                return s.pa.align_down(PAGE_SIZE) + (i - first) * PAGE_SIZE;
            }
            first += n;
        }
        PhysAddr::ZERO // not reached: i < pages
    };
    let run = map_pages(dev, choice, pages, page_pa)?;
    let mut page = 0;
    for s in sg.iter_mut() {
        s.bus = run + page * PAGE_SIZE + s.pa.offset_in(PAGE_SIZE);
        page += span_pages(s.pa.as_u64(), s.len as u64);
    }
    Ok(sg[0].bus)
}

/// Undoes [`map_sg`] for the list as mapped, split or not (an empty list:
/// nothing to undo).
pub fn unmap_sg(sg: &[SgEntry]) {
    let Some(first) = sg.first() else { return };
    if is_direct(first.bus) {
        return;
    }
    free_run(first.bus.align_down(PAGE_SIZE), run_pages(sg));
}

/// Scatter-gather arena `i` (0: the ISA window, 1: the PCI window): its
/// name and number of entries, for the picture of memory.
pub fn arena(i: usize) -> Option<(&'static str, u64)> {
    let guard = ARENAS.lock();
    let a = guard.as_ref()?;
    match i {
        0 => Some(("ISA scatter-gather window", a.isa.total_entries() as u64)),
        1 => Some(("PCI scatter-gather window", a.pci.total_entries() as u64)),
        _ => None,
    }
}

/// Runs of arena `i`'s entries from `from`: (first entry, entries, state:
/// 0 free, 1 mapped (a PTE is set), 2 freed but waiting for the TLB
/// invalidation before reuse); returns how many were written to `out`.
pub fn arena_runs(i: usize, from: u64, out: &mut [(u64, u64, u8)]) -> usize {
    let guard = ARENAS.lock();
    let Some(a) = guard.as_ref() else { return 0 };
    let arena = match i {
        0 => &a.isa,
        1 => &a.pci,
        _ => return 0,
    };
    let state = |e: usize| {
        if arena.pte(e).unwrap_or(0) != 0 {
            1
        } else if arena.is_dirty(e) {
            2
        } else {
            0
        }
    };
    let total = arena.total_entries();
    let (mut e, mut n) = (from as usize, 0);
    while e < total && n < out.len() {
        let s = state(e);
        let start = e;
        while e < total && state(e) == s {
            e += 1;
        }
        out[n] = (start as u64, (e - start) as u64, s);
        n += 1;
    }
    n
}
