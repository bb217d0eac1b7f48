//! DMA-API debugging (like Linux's `CONFIG_DMA_API_DEBUG`,
//! `kernel/dma/debug.c`). On by default; `dma_debug=off` disables.
//!
//! Every mapping is recorded with its device, bus address, segments, kind,
//! direction and call site (the table is `dma_policy::debug::Table`,
//! host-tested). Reported, each as one `ERROR DMA-API: <device>: ...` line
//! naming the call site, and counted in [`errors`]:
//!
//! * an unmap that matches no live mapping of the device at that bus address
//!   (double unmap, wrong device), or that differs from the best-fitting one
//!   in size, kind, CPU address, entry count, segments or direction (one
//!   report per difference, as `check_unmap` does). Unlike Linux, such an
//!   unmap is refused: the mapping stays live and the caller must not touch
//!   the IOMMU;
//! * a sync outside every segment of the device's live mappings, or with a
//!   direction the mapping does not accept (`check_sync`);
//! * an IOMMU bus address handed out while still live;
//! * a scatter-gather segment that breaks the device's `max_seg_size` or
//!   `seg_boundary_mask` at map time ([`check_seg_limits`], Linux's
//!   `check_sg_segment`);
//! * freeing memory that is still mapped ([`on_free`]);
//! * mappings still live at shutdown ([`report_leaks`]); DMA pool objects
//!   and pools left (reported by `dma::pool` through [`report_pool`]).
//!
//! The same memory may be mapped several times: two direct-window mappings
//! of one page share their bus address and are both recorded; each unmap
//! removes one.
//!
//! The bookkeeping allocates only fallibly: when the heap cannot hold a
//! record, debugging is switched off with one `ERROR` line (Linux's
//! `debug.c` does the same when it runs out of entries), and the mapping
//! itself goes on.

use dma_policy::WindowRange;
use dma_policy::seg::{SegLimits, Violation};
use addr::{BusAddr, PhysAddr};
use alloc::vec::Vec;
use core::fmt;
use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use dma_policy::debug::{Diff, Mapping, SyncProblem, Table, Unmap, UnmapProblem};
use log::{error, info};
use spin::Mutex;

pub use dma_policy::debug::{Direction, Kind, Seg};

pub type Site = &'static Location<'static>;

/// One segment as the debug table records it (the table is host-tested
/// code over plain numbers).
pub fn seg(bus: BusAddr, pa: PhysAddr, len: u64) -> Seg {
    Seg { bus: bus.as_u64(), pa: pa.as_u64(), len }
}
pub type Entry = Mapping<Site>;

static ENABLED: AtomicBool = AtomicBool::new(true);
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// Live mappings. Locking: the map paths allocate and free heap memory
/// while holding this lock (table nodes, segment lists), and the heap can
/// give a buddy block back from inside such a free, which calls
/// [`on_free`]; that is why [`on_free`] only tries the lock.
static MAPS: Mutex<Table<Site>> = Mutex::new(Table::new(0, 0));
/// The direct window (base, size), where one bus address may be live more
/// than once; set by [`set_direct_window`] before the first mapping.
static DIRECT: Mutex<(u64, u64)> = Mutex::new((0, 0));

/// Tells the table which bus addresses are the direct window (call before
/// any mapping: the table is emptied).
pub fn set_direct_window(w: WindowRange) {
    *DIRECT.lock() = (w.bus_base, w.size);
    *MAPS.lock() = Table::new(w.bus_base, w.size);
}

pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Problems reported so far.
pub fn errors() -> u64 {
    ERRORS.load(Ordering::Relaxed)
}

/// Live tracked mappings.
pub fn live() -> usize {
    MAPS.lock().len()
}

/// The devices with streaming mappings (single or scatter-gather) live,
/// and how many each (coherent buffers are not counted: a driver keeps
/// those while it is up).
pub fn live_streaming() -> Vec<(&'static str, usize)> {
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    for e in MAPS.lock().iter().filter(|e| e.kind != Kind::Coherent) {
        match out.iter_mut().find(|(d, _)| *d == e.dev) {
            Some((_, n)) => *n += 1,
            None => out.push((e.dev, 1)),
        }
    }
    out
}

fn report(dev: &str, what: fmt::Arguments, site: &Location) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    error!("DMA-API: {dev}: {what} [at {}:{}]", site.file(), site.line());
}

/// Checks at map time that every segment of a scatter-gather mapping obeys
/// the device's limits (Linux's `check_sg_segment`); reports each one that
/// does not. Returns how many were reported.
pub fn check_seg_limits(dev: &'static str, l: &SegLimits, segs: impl Iterator<Item = Seg>, site: Site) -> usize {
    if !enabled() {
        return 0;
    }
    let mut n = 0;
    for (i, s) in segs.enumerate() {
        match l.violation(s.bus, s.len) {
            None => continue,
            Some(Violation::TooLong) => report(
                dev,
                format_args!("segment {i} at bus {:#x}+{:#x} is longer than the device's max_seg_size {:#x}", s.bus, s.len, l.max_seg_size),
                site,
            ),
            Some(Violation::Crosses { boundary }) => report(
                dev,
                format_args!(
                    "segment {i} at bus {:#x}+{:#x} crosses {boundary:#x}, a boundary of the device's seg_boundary_mask {:#x}",
                    s.bus, s.len, l.boundary_mask
                ),
                site,
            ),
            Some(Violation::Bad) => report(dev, format_args!("segment {i} at bus {:#x}+{:#x} is empty or wraps", s.bus, s.len), site),
        }
        n += 1;
    }
    n
}

/// A DMA pool's leak or misuse, reported as DMA-API debug reports (an
/// `ERROR` line naming the device and the site, counted in [`errors`]).
pub fn report_pool(dev: &str, what: fmt::Arguments, site: Site) {
    report(dev, what, site);
}

/// `file:line` of a site.
struct At(Site);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

/// Debugging stops for good when its bookkeeping cannot get memory (as
/// Linux's `debug.c` disables itself when it runs out of entries): a map
/// path reachable from network input must not panic on a full heap.
fn out_of_memory(dev: &str, live: usize) {
    set_enabled(false);
    // What was recorded can no longer be matched: forget it (and free it).
    let (base, size) = *DIRECT.lock();
    let old = core::mem::replace(&mut *MAPS.lock(), Table::new(base, size));
    drop(old);
    ERRORS.fetch_add(1, Ordering::Relaxed);
    error!("DMA-API debug: no memory to record a mapping for {dev} ({live} live); debugging disabled from here on");
}

/// Stops debugging after a failed allocation outside this module.
pub fn give_up(dev: &str) {
    out_of_memory(dev, live());
}

/// The segments as an owned list, or `None` when the heap cannot give it.
pub fn segs_fallible(segs: impl ExactSizeIterator<Item = Seg>) -> Option<Vec<Seg>> {
    if super::fault::should_fail(super::fault::Site::DebugRecord) {
        return None;
    }
    let mut v = Vec::new();
    v.try_reserve_exact(segs.len()).ok()?;
    v.extend(segs);
    Some(v)
}

/// Records a mapping (its segments must not be empty).
pub fn on_map(dev: &'static str, kind: Kind, dir: Direction, segs: impl ExactSizeIterator<Item = Seg>, site: Site) {
    if !enabled() {
        return;
    }
    let Some(segs) = segs_fallible(segs) else {
        return out_of_memory(dev, live());
    };
    let e = Entry { dev, kind, dir, segs, site };
    let bus = e.bus();
    let r = MAPS.lock().try_insert(e);
    match r {
        Ok(None) => {}
        Ok(Some(old)) => report(
            dev,
            format_args!(
                "IOMMU bus address {bus:#x} handed out again while still mapped ({:?} of {} bytes for {}, mapped at {})",
                old.kind,
                old.len(),
                old.dev,
                At(old.site)
            ),
            site,
        ),
        Err(_) => out_of_memory(dev, live()),
    }
}

/// Checks an unmap against the live mappings and removes the one it undoes.
/// Returns false (and reports) if the unmap matches none exactly, in which
/// case the caller must not touch the IOMMU.
pub fn on_unmap(dev: &'static str, kind: Kind, dir: Direction, segs: &[Seg], site: Site) -> bool {
    if !enabled() {
        return true;
    }
    let u = Unmap { dev, kind, dir, segs };
    let (bus, len) = (u.bus(), u.len());
    // Bind the result first: the guard is dropped at the end of this
    // statement, before anything is reported (report logs, and dropping the
    // removed entry frees heap memory).
    let r = MAPS.lock().remove(&u);
    match r {
        Ok(_) => true,
        Err(UnmapProblem::NotMapped { other }) => {
            match other {
                Some(o) => report(
                    dev,
                    format_args!(
                        "unmapping bus address {bus:#x} ({len} bytes, {kind:?}), which is not mapped for {dev}; it is mapped for {} ({:?} of {} bytes, mapped at {})",
                        o.dev,
                        o.kind,
                        o.len(),
                        At(o.site)
                    ),
                    site,
                ),
                None => report(
                    dev,
                    format_args!("unmapping bus address {bus:#x} ({len} bytes, {kind:?}), which is not mapped (double unmap?)"),
                    site,
                ),
            }
            false
        }
        Err(UnmapProblem::Mismatch { mapped, diffs }) => {
            for d in diffs {
                report_diff(dev, bus, &mapped, d, site);
            }
            false
        }
    }
}

fn report_diff(dev: &str, bus: u64, m: &Entry, d: Diff, site: Site) {
    let at = At(m.site);
    match d {
        Diff::Size { mapped, unmapped } => report(
            dev,
            format_args!("unmapping bus address {bus:#x} with a different size: mapped {mapped} bytes at {at}, unmapped {unmapped}"),
            site,
        ),
        Diff::Kind { mapped, unmapped } => report(
            dev,
            format_args!("unmapping bus address {bus:#x} with the wrong function: mapped as {mapped:?} at {at}, unmapped as {unmapped:?}"),
            site,
        ),
        Diff::CpuAddress { mapped, unmapped } => report(
            dev,
            format_args!("freeing coherent bus address {bus:#x} with a different CPU address: allocated at {mapped:#x} at {at}, freed as {unmapped:#x}"),
            site,
        ),
        Diff::Entries { mapped, unmapped } => report(
            dev,
            format_args!("unmapping the SG list at bus {bus:#x} with a different entry count: mapped {mapped} at {at}, unmapped {unmapped}"),
            site,
        ),
        Diff::Segment { index, mapped, unmapped } => report(
            dev,
            format_args!(
                "unmapping the SG list at bus {bus:#x}: segment {index} was mapped as bus {:#x}+{} at {at}, unmapped as bus {:#x}+{}",
                mapped.bus, mapped.len, unmapped.bus, unmapped.len
            ),
            site,
        ),
        Diff::Direction { mapped, unmapped } => report(
            dev,
            format_args!("unmapping bus address {bus:#x} with a different direction: mapped {mapped:?} at {at}, unmapped {unmapped:?}"),
            site,
        ),
    }
}

/// Checks a `sync_for_cpu` (`to_cpu`) or `sync_for_device` of `[bus, bus +
/// len)` with `dir`; reports and returns false if no live mapping of the
/// device contains the range with a compatible direction.
pub fn check_sync(dev: &'static str, bus: BusAddr, len: u64, dir: Direction, to_cpu: bool, site: Site) -> bool {
    if !enabled() {
        return true;
    }
    let what = if to_cpu { "sync_for_cpu" } else { "sync_for_device" };
    let r = MAPS.lock().check_sync(dev, bus.as_u64(), len, dir);
    match r {
        Ok(()) => return true,
        Err(SyncProblem::NotMapped) => report(
            dev,
            format_args!("{what} of bus {bus:#x}+{len} ({dir:?}), which lies in no mapping of this device"),
            site,
        ),
        Err(SyncProblem::Outside { mapped, seg }) => report(
            dev,
            format_args!(
                "{what} of bus {bus:#x}+{len} ({dir:?}) runs past the end of the mapping at bus {:#x}+{} ({:?}, mapped at {})",
                seg.bus,
                seg.len,
                mapped.kind,
                At(mapped.site)
            ),
            site,
        ),
        Err(SyncProblem::Direction { mapped }) => {
            // check_sync's two refinements: the device only reads a
            // ToDevice mapping, and only writes a FromDevice one.
            let why = match (to_cpu, mapped.dir) {
                (true, Direction::ToDevice) => "; the device only reads this memory",
                (false, Direction::FromDevice) => "; the device only writes this memory",
                _ => "",
            };
            report(
                dev,
                format_args!(
                    "{what} of bus {bus:#x}+{len} with direction {dir:?}, but the mapping at bus {:#x} was made {:?} at {}{why}",
                    mapped.bus(),
                    mapped.dir,
                    At(mapped.site)
                ),
                site,
            );
        }
    }
    false
}

/// Called when memory is freed: reports if any live mapping covers it.
pub fn on_free(pa: PhysAddr, len: u64, site: Site) -> bool {
    if !enabled() {
        return true;
    }
    // The heap can give a block back to the buddy allocator from inside a
    // MAPS update (a table node or segment list freed while the lock is
    // held, emptying a grown heap block): those pages were never
    // DMA-mapped, and waiting for the lock would deadlock. Single CPU, and
    // the DMA API is not used from interrupt handlers: a held lock means we
    // are inside this module.
    let Some(maps) = MAPS.try_lock() else { return true };
    let hit = maps.overlapping_phys(pa.as_u64(), len).cloned();
    drop(maps);
    match hit {
        Some(e) => {
            report(
                e.dev,
                format_args!(
                    "freeing memory {pa:#x}-{:#x} still mapped for DMA ({:?} {:?} of {} bytes at {:#x}, bus {:#x}, mapped at {})",
                    pa + len,
                    e.kind,
                    e.dir,
                    e.len(),
                    e.first_pa(),
                    e.bus(),
                    At(e.site)
                ),
                site,
            );
            false
        }
        None => true,
    }
}

/// At shutdown: every mapping still live is a leak.
pub fn report_leaks() -> usize {
    let maps: Vec<Entry> = MAPS.lock().iter().cloned().collect();
    for e in &maps {
        report(
            e.dev,
            format_args!("mapping leaked at shutdown: {:?} bus {:#x}, {} bytes of {:#x}, {:?}", e.kind, e.bus(), e.len(), e.first_pa(), e.dir),
            e.site,
        );
    }
    if enabled() {
        info!("DMA-API debug: {} mappings live at shutdown, {} problems reported in all", maps.len(), errors());
    }
    maps.len()
}
