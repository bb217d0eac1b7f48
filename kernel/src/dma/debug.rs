//! DMA-API debugging (like Linux's `CONFIG_DMA_API_DEBUG`): every mapping
//! is tracked with its device and call site; unmapping twice, unmapping
//! with the wrong size, freeing memory that is still mapped, and mappings
//! left at shutdown are reported. On by default; `dma_debug=off` disables.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use log::{error, info};
use spin::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Coherent,
    Single,
    Sg,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub dev: &'static str,
    /// The physical ranges behind the mapping (one, or one per SG segment).
    pub phys: Vec<(u64, u64)>,
    /// Length in bus address space, which an unmap must repeat.
    pub len: u64,
    pub kind: Kind,
    pub site: &'static Location<'static>,
}

impl Entry {
    fn first_pa(&self) -> u64 {
        self.phys.first().map_or(0, |r| r.0)
    }
}

static ENABLED: AtomicBool = AtomicBool::new(true);
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// Live mappings by bus address.
static MAPS: Mutex<BTreeMap<u64, Entry>> = Mutex::new(BTreeMap::new());

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

fn report(dev: &str, what: core::fmt::Arguments, site: &Location) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    error!("DMA-API: {dev}: {what} [at {}:{}]", site.file(), site.line());
}

pub fn on_map(bus: u64, e: Entry) {
    if !enabled() {
        return;
    }
    let (dev, site) = (e.dev, e.site);
    if let Some(old) = MAPS.lock().insert(bus, e) {
        report(dev, format_args!("bus address {bus:#x} mapped again while still mapped (first mapped at {}:{})", old.site.file(), old.site.line()), site);
    }
}

/// Checks an unmap against the mapping; returns false (and reports) if the
/// unmap is wrong, in which case the caller must not touch the IOMMU.
pub fn on_unmap(dev: &'static str, bus: u64, len: u64, kind: Kind, site: &'static Location<'static>) -> bool {
    if !enabled() {
        return true;
    }
    let mut maps = MAPS.lock();
    match maps.get(&bus).cloned() {
        None => {
            drop(maps);
            report(dev, format_args!("unmapping bus address {bus:#x} ({len} bytes), which is not mapped (double unmap?)"), site);
            false
        }
        Some(e) if e.len != len || e.kind != kind || e.dev != dev => {
            drop(maps);
            report(
                dev,
                format_args!(
                    "unmapping {bus:#x} as {kind:?} of {len} bytes for {dev}, but it was mapped as {:?} of {} bytes for {} at {}:{}",
                    e.kind, e.len, e.dev, e.site.file(), e.site.line()
                ),
                site,
            );
            false
        }
        Some(_) => {
            maps.remove(&bus);
            true
        }
    }
}

/// Called when memory is freed: reports if any live mapping covers it.
pub fn on_free(pa: u64, len: u64, site: &'static Location<'static>) -> bool {
    if !enabled() {
        return true;
    }
    // The heap can give pages back from inside a MAPS update (a freed
    // BTreeMap node emptying a grown heap block): those pages were never
    // DMA-mapped, and waiting for the lock would deadlock. Single CPU: a
    // held lock means we are inside this module.
    let Some(maps) = MAPS.try_lock() else { return true };
    let hit = maps.values().find(|e| e.phys.iter().any(|&(p, l)| p < pa + len && pa < p + l)).cloned();
    drop(maps);
    match hit {
        Some(e) => {
            report(
                e.dev,
                format_args!(
                    "freeing memory {pa:#x}-{:#x} still mapped for DMA ({:?} of {} bytes at {:#x}, mapped at {}:{})",
                    pa + len, e.kind, e.len, e.first_pa(), e.site.file(), e.site.line()
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
    let maps = MAPS.lock().clone();
    for (bus, e) in &maps {
        report(e.dev, format_args!("mapping leaked at shutdown: {:?} bus {bus:#x}, {} bytes of {:#x}", e.kind, e.len, e.first_pa()), e.site);
    }
    if enabled() {
        info!("DMA-API debug: {} mappings live at shutdown, {} problems reported in all", maps.len(), errors());
    }
    maps.len()
}
