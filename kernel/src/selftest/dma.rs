//! DMA self-tests: window choice by mask and policy, PTE contents, the
//! coherent allocator's CMA fallback, DMA-API debug reports, fault
//! injection on every error path, and a map/unmap storm that must leave
//! the IOMMU arenas empty and DMA-API debug silent.

use crate::dma::{self, Backing, Direction, DmaDevice, DmaError, SgEntry, WindowPolicy, debug, fault, iommu};
use crate::mm::{PAGE_SIZE, page};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use super::splitmix::SplitMix;

const FULL: u64 = u64::MAX;

fn dev(name: &'static str, mask: u64, policy: WindowPolicy) -> DmaDevice {
    DmaDevice { name, dma_mask: mask, policy }
}

/// Everything that must be back where it was after a test.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    pages: page::PageStats,
    iommu: (usize, usize),
    live: usize,
}

fn snapshot() -> Snapshot {
    Snapshot { pages: page::stats(), iommu: iommu::used_entries(), live: debug::live() }
}

fn in_range(bus: u64, base: u64, size: u64) -> bool {
    (base..base + size).contains(&bus)
}

pub fn windows() -> Result<String, String> {
    let before = snapshot();
    let pa = page::alloc_pages(0, true).map_err(|e| format!("{e}"))?;
    let auto = dev("test-auto", FULL, WindowPolicy::Auto);
    let sg = dev("test-sg", FULL, WindowPolicy::ForceSg);
    let isa = dev("test-isa24", 0x00ff_ffff, WindowPolicy::Auto);
    let tiny = dev("test-16bit", 0xffff, WindowPolicy::Auto);
    let b_auto = dma::map_single(&auto, pa + 0x10, 100, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    let strict = iommu::strict();
    let auto_ok = if strict {
        in_range(b_auto, iommu::PCI_SG_BASE, iommu::pci_sg_size())
    } else {
        b_auto == iommu::DIRECT_BASE + pa + 0x10
    };
    if !auto_ok {
        return Err(format!("auto mapping of {pa:#x} got bus {b_auto:#x} (strict {strict})"));
    }
    let b_sg = dma::map_single(&sg, pa + 0x20, 200, Direction::FromDevice).map_err(|e| format!("{e}"))?;
    if !in_range(b_sg, iommu::PCI_SG_BASE, iommu::pci_sg_size()) || b_sg % PAGE_SIZE != 0x20 {
        return Err(format!("forced-SG mapping got bus {b_sg:#x}"));
    }
    let pte = iommu::pte(b_sg).ok_or("no PTE for the SG mapping")?;
    if pte != (pa >> 12) | 1 {
        return Err(format!("PTE for bus {b_sg:#x} is {pte:#x}, expected {:#x}", (pa >> 12) | 1));
    }
    let b_isa = dma::map_single(&isa, pa, 64, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    if !in_range(b_isa, iommu::ISA_SG_BASE, iommu::ISA_SG_SIZE) {
        return Err(format!("24-bit device got bus {b_isa:#x}, outside the ISA window"));
    }
    let err = match dma::map_single(&tiny, pa, 64, Direction::ToDevice) {
        Err(e @ DmaError::NoWindow { .. }) => format!("{e}"),
        other => return Err(format!("16-bit mask mapping should fail with NoWindow, got {other:?}")),
    };
    dma::unmap_single(&auto, b_auto, 100, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    dma::unmap_single(&sg, b_sg, 200, Direction::FromDevice).map_err(|e| format!("{e}"))?;
    if iommu::pte(b_sg) != Some(0) {
        return Err(format!("PTE for {b_sg:#x} still valid after unmap"));
    }
    dma::unmap_single(&isa, b_isa, 64, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    page::free_pages(pa, 0).map_err(|e| format!("{e}"))?;
    if snapshot() != before {
        return Err(format!("state not restored: {before:?} -> {:?}", snapshot()));
    }
    log::info!("  16-bit mask refused as expected: {err}");
    Ok(format!("auto {b_auto:#x}, forced SG {b_sg:#x} (PTE {pte:#x}), ISA {b_isa:#x}; 16-bit mask refused"))
}

/// A coherent buffer larger than the buddy allocator's largest block must
/// come from CMA when there is enough CMA, and fail cleanly otherwise.
pub fn coherent_cma_fallback() -> Result<String, String> {
    let before = snapshot();
    let d = dev("test-coherent", FULL, WindowPolicy::Auto);
    let size = 12 << 20; // 12 MiB > the 8 MiB order-10 block
    let cma_free = before.pages.cma_free as u64 * PAGE_SIZE;
    let small = dma::alloc_coherent(&d, 3 * PAGE_SIZE as usize).map_err(|e| format!("small coherent: {e}"))?;
    if small.backing != (Backing::Buddy { order: 2 }) {
        return Err(format!("3-page coherent buffer came from {:?}, expected buddy order 2", small.backing));
    }
    let msg = match dma::alloc_coherent(&d, size) {
        Ok(c) => {
            if cma_free < size as u64 || !matches!(c.backing, Backing::Cma { .. }) {
                return Err(format!("12 MiB coherent buffer from {:?} with {cma_free} bytes of CMA", c.backing));
            }
            // SAFETY: the buffer is ours; check it is zeroed.
            let bytes = unsafe { core::slice::from_raw_parts(c.cpu, size) };
            if bytes.iter().any(|&b| b != 0) {
                return Err("CMA coherent buffer not zeroed".into());
            }
            let s = format!("12 MiB from CMA at {:#x}, bus {:#x}", c.pa, c.bus);
            dma::free_coherent(&d, c);
            s
        }
        Err(e) => {
            if cma_free >= size as u64 {
                return Err(format!("12 MiB coherent failed with {cma_free} bytes of CMA free: {e}"));
            }
            log::info!("  12 MiB coherent refused as expected without enough CMA: {e}");
            format!("12 MiB refused cleanly ({cma_free} bytes of CMA)")
        }
    };
    dma::free_coherent(&d, small);
    if snapshot() != before {
        return Err(format!("state not restored: {before:?} -> {:?}", snapshot()));
    }
    Ok(msg)
}

/// DMA-API debug must catch a double unmap, a wrong-size unmap and freeing
/// mapped memory, without corrupting anything.
pub fn debug_reports() -> Result<super::Outcome, String> {
    if !debug::enabled() {
        return Ok(super::Outcome::Skipped("dma_debug=off".into()));
    }
    let d = dev("test-debug", FULL, WindowPolicy::ForceSg);
    let errors0 = debug::errors();
    let pa = page::alloc_pages(0, true).map_err(|e| format!("{e}"))?;
    let bus = dma::map_single(&d, pa, 512, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    if dma::unmap_single(&d, bus, 256, Direction::ToDevice).is_ok() {
        return Err("wrong-size unmap accepted".into());
    }
    dma::unmap_single(&d, bus, 512, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    if dma::unmap_single(&d, bus, 512, Direction::ToDevice).is_ok() {
        return Err("double unmap accepted".into());
    }
    let bus2 = dma::map_single(&d, pa, 512, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    let _ = page::free_pages(pa, 0); // freed while mapped: reported
    let reported = debug::errors() - errors0;
    dma::unmap_single(&d, bus2, 512, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    if reported != 3 {
        return Err(format!("{reported} problems reported, expected 3"));
    }
    Ok(super::Outcome::Passed("wrong-size unmap, double unmap and free-while-mapped reported".into()))
}

/// Every error path of alloc_coherent and map_* leaves nothing allocated.
pub fn fault_injection() -> Result<String, String> {
    let before = snapshot();
    let sg = dev("test-fault", FULL, WindowPolicy::ForceSg);
    let mut seen = Vec::new();
    // Buddy fails: a small coherent buffer falls back to CMA (if any).
    fault::arm(fault::Site::Buddy, 1);
    match dma::alloc_coherent(&sg, 2 * PAGE_SIZE as usize) {
        Ok(c) if before.pages.cma_total > 0 && matches!(c.backing, Backing::Cma { .. }) => {
            seen.push("buddy failure -> CMA fallback");
            dma::free_coherent(&sg, c);
        }
        Err(DmaError::NoMemory { .. }) if before.pages.cma_total == 0 => seen.push("buddy failure, no CMA -> NoMemory"),
        other => return Err(format!("buddy failure gave {other:?}")),
    }
    // Buddy and CMA fail: NoMemory, nothing held.
    fault::arm(fault::Site::Buddy, 1);
    fault::arm(fault::Site::Cma, 1);
    match dma::alloc_coherent(&sg, 2 * PAGE_SIZE as usize) {
        Err(DmaError::NoMemory { .. }) => seen.push("buddy+CMA failure -> NoMemory"),
        other => return Err(format!("buddy+CMA failure gave {other:?}")),
    }
    fault::arm(fault::Site::Cma, 0);
    // IOMMU fails after the memory was allocated: it must be given back.
    fault::arm(fault::Site::Iommu, 1);
    match dma::alloc_coherent(&sg, 5 * PAGE_SIZE as usize) {
        Err(DmaError::IommuFull { .. }) => seen.push("IOMMU failure in alloc_coherent -> memory given back"),
        other => return Err(format!("IOMMU failure in alloc_coherent gave {other:?}")),
    }
    let pa = page::alloc_pages(1, false).map_err(|e| format!("{e}"))?;
    fault::arm(fault::Site::Iommu, 1);
    match dma::map_single(&sg, pa, 3000, Direction::ToDevice) {
        Err(DmaError::IommuFull { .. }) => seen.push("IOMMU failure in map_single"),
        other => return Err(format!("IOMMU failure in map_single gave {other:?}")),
    }
    fault::arm(fault::Site::Iommu, 1);
    let mut list = [SgEntry { pa, len: 100, bus: 0 }, SgEntry { pa: pa + PAGE_SIZE, len: 200, bus: 0 }];
    match dma::map_sg(&sg, &mut list, Direction::ToDevice) {
        Err(DmaError::IommuFull { .. }) => seen.push("IOMMU failure in map_sg"),
        other => return Err(format!("IOMMU failure in map_sg gave {other:?}")),
    }
    page::free_pages(pa, 1).map_err(|e| format!("{e}"))?;
    if snapshot() != before {
        return Err(format!("an error path leaked: {before:?} -> {:?}", snapshot()));
    }
    Ok(format!("{} error paths, nothing leaked: {}", seen.len(), seen.join("; ")))
}


/// Random map/unmap of singles, scatter-gather lists and coherent buffers
/// through every window; ends with the arenas empty and debug silent.
pub fn storm() -> Result<String, String> {
    let before = snapshot();
    let errors0 = debug::errors();
    let devs = [
        dev("storm-auto", FULL, WindowPolicy::Auto),
        dev("storm-sg", FULL, WindowPolicy::ForceSg),
        dev("storm-isa", 0x00ff_ffff, WindowPolicy::Auto),
    ];
    let pool = page::alloc_pages(6, false).map_err(|e| format!("{e}"))?; // 512 KiB to map from
    let mut rng = SplitMix(0xd0a5_7041_0000_0001);
    let mut singles: Vec<(usize, u64, usize)> = Vec::new();
    let mut sgs: Vec<(usize, Vec<SgEntry>)> = Vec::new();
    let mut coh: Vec<(usize, dma::Coherent)> = Vec::new();
    let (mut maps, mut full) = (0, 0);
    for _ in 0..3000 {
        let d = (rng.next() % 3) as usize;
        match rng.next() % 6 {
            0 | 1 => {
                let len = 1 + (rng.next() % (64 << 10)) as usize;
                let off = rng.next() % ((512 << 10) - len as u64);
                match dma::map_single(&devs[d], pool + off, len, Direction::Bidirectional) {
                    Ok(bus) => {
                        singles.push((d, bus, len));
                        maps += 1;
                    }
                    Err(DmaError::IommuFull { .. }) => full += 1,
                    Err(e) => return Err(format!("map_single: {e}")),
                }
            }
            2 if !singles.is_empty() => {
                let (d, bus, len) = singles.swap_remove((rng.next() % singles.len() as u64) as usize);
                dma::unmap_single(&devs[d], bus, len, Direction::Bidirectional).map_err(|e| format!("{e}"))?;
            }
            3 => {
                let n = 1 + (rng.next() % 6) as usize;
                let mut list: Vec<SgEntry> = (0..n)
                    .map(|_| {
                        let len = 1 + (rng.next() % 20_000) as usize;
                        SgEntry { pa: pool + rng.next() % ((512 << 10) - len as u64), len, bus: 0 }
                    })
                    .collect();
                match dma::map_sg(&devs[d], &mut list, Direction::ToDevice) {
                    Ok(()) => {
                        sgs.push((d, list));
                        maps += 1;
                    }
                    Err(DmaError::IommuFull { .. }) => full += 1,
                    Err(e) => return Err(format!("map_sg: {e}")),
                }
            }
            4 if !sgs.is_empty() => {
                let (d, list) = sgs.swap_remove((rng.next() % sgs.len() as u64) as usize);
                dma::unmap_sg(&devs[d], &list, Direction::ToDevice).map_err(|e| format!("{e}"))?;
            }
            5 => {
                if coh.len() < 16 {
                    let size = 1 + (rng.next() % (96 << 10)) as usize;
                    match dma::alloc_coherent(&devs[d], size) {
                        Ok(c) => {
                            coh.push((d, c));
                            maps += 1;
                        }
                        Err(DmaError::IommuFull { .. }) => full += 1,
                        Err(e) => return Err(format!("alloc_coherent: {e}")),
                    }
                } else {
                    let (d, c) = coh.swap_remove((rng.next() % coh.len() as u64) as usize);
                    dma::free_coherent(&devs[d], c);
                }
            }
            _ => {}
        }
    }
    let peak = iommu::used_entries();
    for (d, bus, len) in singles {
        dma::unmap_single(&devs[d], bus, len, Direction::Bidirectional).map_err(|e| format!("{e}"))?;
    }
    for (d, list) in sgs {
        dma::unmap_sg(&devs[d], &list, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    }
    for (d, c) in coh {
        dma::free_coherent(&devs[d], c);
    }
    page::free_pages(pool, 6).map_err(|e| format!("{e}"))?;
    let after = snapshot();
    if after != before || debug::errors() != errors0 {
        return Err(format!("storm left state behind: {before:?} -> {after:?}, {} debug reports", debug::errors() - errors0));
    }
    let (isa, pci) = iommu::stats().ok_or("no IOMMU arenas")?;
    Ok(format!(
        "{maps} mappings, {full} refused for a full window; IOMMU entries in use at the end of the storm: ISA {}, PCI {}; now 0/0, DMA-API debug silent; TLB invalidations since boot: ISA {} all + {} ranged over {} wraps, PCI {} all + {} ranged over {} wraps",
        peak.0, peak.1, isa.invalidate_all, isa.invalidate_range, isa.wraps, pci.invalidate_all, pci.invalidate_range, pci.wraps
    ))
}

/// Run at boot when a `fail_*=N` fault-injection parameter or
/// `dma_leak_test` is given: one coherent allocation and one streaming
/// mapping, each reported, then a check that nothing leaked. With
/// `dma_leak_test` one mapping is left behind on purpose, for DMA-API debug
/// to report at shutdown.
pub fn boot_probe(leak: bool) {
    let before = snapshot();
    let d = dev("fault-probe", FULL, WindowPolicy::ForceSg);
    match dma::alloc_coherent(&d, 4 * PAGE_SIZE as usize) {
        Ok(c) => {
            log::info!("dma probe: alloc_coherent gave {:?} at {:#x}, bus {:#x}", c.backing, c.pa, c.bus);
            dma::free_coherent(&d, c);
        }
        Err(e) => log::info!("dma probe: alloc_coherent failed cleanly: {e}"),
    }
    match page::alloc_pages(0, false) {
        Ok(pa) => {
            match dma::map_single(&d, pa, 1000, Direction::ToDevice) {
                Ok(bus) if leak => log::info!("dma probe: leaving {pa:#x} mapped at bus {bus:#x} on purpose (dma_leak_test)"),
                Ok(bus) => {
                    log::info!("dma probe: map_single gave bus {bus:#x}");
                    let _ = dma::unmap_single(&d, bus, 1000, Direction::ToDevice);
                }
                Err(e) => log::info!("dma probe: map_single failed cleanly: {e}"),
            }
            if !leak {
                let _ = page::free_pages(pa, 0);
            }
        }
        Err(e) => log::error!("dma probe: no page: {e}"),
    }
    if leak {
        return;
    }
    let after = snapshot();
    if after == before {
        log::info!("dma probe: nothing leaked (buddy, CMA, IOMMU and DMA-API debug all as before)");
    } else {
        log::error!("dma probe: LEAK: {before:?} -> {after:?}");
    }
}
