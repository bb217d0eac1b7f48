//! DMA self-tests: window choice by mask and policy, PTE contents, the
//! coherent allocator's CMA fallback, DMA-API debug reports, fault
//! injection on every error path, and a map/unmap storm that must leave
//! the IOMMU arenas empty and DMA-API debug silent.

use crate::dma::{self, Backing, BusAddr, Direction, DmaDevice, DmaError, SgEntry, WindowPolicy, by_hand, debug, fault, iommu};
use crate::mm::accounting::Compare;
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page, read_phys, write_phys};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use splitmix::SplitMix64;

const FULL: u64 = u64::MAX;

fn dev(name: &'static str, mask: u64, policy: WindowPolicy) -> DmaDevice {
    DmaDevice::new(name, mask, policy)
}

/// Every count of the accounting snapshot must be back exactly where it
/// was after a DMA test: pages (down to the free blocks of each order),
/// CMA, IOMMU entries and live mappings.
const EXACT: Compare = Compare::Exact;

fn in_range(bus: BusAddr, base: u64, size: u64) -> bool {
    (base..base + size).contains(&bus.as_u64())
}

/// The valid PTE the IOMMU must hold for a page at `pa`.
fn pte_for(pa: PhysAddr) -> u64 {
    (pa.as_u64() >> 12) | 1
}

pub fn windows() -> Result<String, String> {
    let before = dma::accounting();
    let pa = page::alloc_pages(0, true, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    let auto = dev("test-auto", FULL, WindowPolicy::Auto);
    let sg = dev("test-sg", FULL, WindowPolicy::ForceSg);
    let isa = dev("test-isa24", 0x00ff_ffff, WindowPolicy::Auto);
    let tiny = dev("test-16bit", 0xffff, WindowPolicy::Auto);
    let m_auto = dma::map_single(&auto, pa + 0x10, 100, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    let b_auto = m_auto.bus();
    let strict = iommu::strict();
    let auto_ok = if strict {
        in_range(b_auto, iommu::pci_sg_window().bus_base, iommu::pci_sg_size())
    } else {
        b_auto.as_u64() == iommu::direct_window().bus_base + pa.as_u64() + 0x10
    };
    if !auto_ok {
        return Err(format!("auto mapping of {pa:#x} got bus {b_auto:#x} (strict {strict})"));
    }
    let m_sg = dma::map_single(&sg, pa + 0x20, 200, Direction::FromDevice).map_err(|e| format!("{e}"))?;
    let b_sg = m_sg.bus();
    if !in_range(b_sg, iommu::pci_sg_window().bus_base, iommu::pci_sg_size()) || b_sg.offset_in(PAGE_SIZE) != 0x20 {
        return Err(format!("forced-SG mapping got bus {b_sg:#x}"));
    }
    let pte = iommu::pte(b_sg).ok_or("no PTE for the SG mapping")?;
    if pte != pte_for(pa) {
        return Err(format!("PTE for bus {b_sg:#x} is {pte:#x}, expected {:#x}", pte_for(pa)));
    }
    let m_isa = dma::map_single(&isa, pa, 64, Direction::ToDevice).map_err(|e| format!("{e}"))?;
    let b_isa = m_isa.bus();
    if !in_range(b_isa, iommu::isa_sg_window().bus_base, iommu::isa_sg_window().size) {
        return Err(format!("24-bit device got bus {b_isa:#x}, outside the ISA window"));
    }
    let err = match dma::map_single(&tiny, pa, 64, Direction::ToDevice) {
        Err(e @ DmaError::NoWindow { .. }) => format!("{e}"),
        other => return Err(format!("16-bit mask mapping should fail with NoWindow, got {other:?}")),
    };
    m_auto.unmap().map_err(|e| format!("{e}"))?;
    m_sg.unmap().map_err(|e| format!("{e}"))?;
    if iommu::pte(b_sg) != Some(0) {
        return Err(format!("PTE for {b_sg:#x} still valid after unmap"));
    }
    // Dropped, not unmapped by hand: the drop must undo it as well.
    drop(m_isa);
    if iommu::pte(b_isa) != Some(0) {
        return Err(format!("PTE for {b_isa:#x} still valid after the mapping was dropped"));
    }
    page::free_pages(pa, 0).map_err(|e| format!("{e}"))?;
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("state not restored: {diff}"));
    }
    log::info!("  16-bit mask refused as expected: {err}");
    Ok(format!("auto {b_auto:#x}, forced SG {b_sg:#x} (PTE {pte:#x}), ISA {b_isa:#x}; 16-bit mask refused"))
}

/// A coherent buffer larger than the buddy allocator's largest block must
/// come from CMA when there is enough CMA, and fail cleanly otherwise.
pub fn coherent_cma_fallback() -> Result<String, String> {
    let before = dma::accounting();
    let d = dev("test-coherent", FULL, WindowPolicy::Auto);
    let size = 12 << 20; // 12 MiB > the 8 MiB order-10 block
    let cma_free = before.pages.cma_free as u64 * PAGE_SIZE;
    let small = dma::alloc_coherent(&d, 3 * PAGE_SIZE as usize).map_err(|e| format!("small coherent: {e}"))?;
    if small.backing() != (Backing::Buddy { order: 2 }) {
        return Err(format!("3-page coherent buffer came from {:?}, expected buddy order 2", small.backing()));
    }
    let msg = match dma::alloc_coherent(&d, size) {
        Ok(c) => {
            if cma_free < size as u64 || !matches!(c.backing(), Backing::Cma { .. }) {
                return Err(format!("12 MiB coherent buffer from {:?} with {cma_free} bytes of CMA", c.backing()));
            }
            // SAFETY: the buffer is ours and no device was given its bus
            // address; `size` is what was asked for.
            let bytes = unsafe { core::slice::from_raw_parts(c.cpu(), size) };
            if bytes.iter().any(|&b| b != 0) {
                return Err("CMA coherent buffer not zeroed".into());
            }
            let s = format!("12 MiB from CMA at {:#x}, bus {:#x}", c.pa(), c.bus());
            c.free().map_err(|e| format!("freeing the 12 MiB buffer: {e}"))?;
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
    // Dropped: the drop gives it back as `free` does.
    drop(small);
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("state not restored: {diff}"));
    }
    Ok(msg)
}

/// Problems DMA-API debug reported since `before`, which must be `n`.
fn expect_reports(before: &mut u64, n: u64, what: &str) -> Result<(), String> {
    let now = debug::errors();
    let got = now - *before;
    *before = now;
    if got != n {
        return Err(format!("{what}: {got} problems reported, expected {n}"));
    }
    Ok(())
}

/// DMA-API debug must catch a wrong-size, wrong-direction, wrong-kind and
/// wrong-device unmap, a double unmap, freeing mapped memory, and syncs
/// outside a mapping or with the wrong direction, each counted once,
/// without corrupting anything; and it must stay silent for the same page
/// mapped twice through the direct window and for correct syncs.
pub fn debug_reports() -> Result<super::Outcome, String> {
    if !debug::enabled() {
        return Ok(super::Outcome::Skipped("dma_debug=off".into()));
    }
    let before = dma::accounting();
    let d = dev("test-debug", FULL, WindowPolicy::ForceSg);
    let other = dev("test-debug-other", FULL, WindowPolicy::ForceSg);
    let auto = dev("test-debug-auto", FULL, WindowPolicy::Auto);
    let mut n = debug::errors();
    let e = |e: DmaError| format!("{e}");
    let pa = page::alloc_pages(0, true, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    // The same page twice through the direct window (one bus address),
    // once each way; correct syncs; unmapped in the other order.
    let m1 = dma::map_single(&auto, pa, 512, Direction::ToDevice).map_err(e)?;
    let m2 = dma::map_single(&auto, pa, 256, Direction::FromDevice).map_err(e)?;
    let (b1, b2) = (m1.bus(), m2.bus());
    let shared = b1 == b2;
    if !iommu::strict() && !(shared && in_range(b1, iommu::direct_window().bus_base, iommu::direct_window().size)) {
        return Err(format!("the page mapped twice got bus {b1:#x} and {b2:#x}, expected one direct-window address"));
    }
    dma::sync_for_cpu(&auto, b2, 256, Direction::FromDevice);
    dma::sync_for_device(&auto, b1 + 8, 100, Direction::ToDevice);
    m1.unmap().map_err(e)?;
    m2.unmap().map_err(e)?;
    expect_reports(&mut n, 0, "a page mapped twice, synced and unmapped correctly")?;
    // Wrong-size, wrong-direction, wrong-kind and wrong-device unmaps,
    // described by hand as a C driver would: each reported and refused,
    // the mapping stays.
    let m = dma::map_single(&d, pa, 512, Direction::ToDevice).map_err(e)?;
    let bus = m.bus();
    if by_hand::unmap_single(&d, bus, 256, Direction::ToDevice).is_ok() {
        return Err("wrong-size unmap accepted".into());
    }
    expect_reports(&mut n, 1, "wrong-size unmap")?;
    if by_hand::unmap_single(&d, bus, 512, Direction::FromDevice).is_ok() {
        return Err("wrong-direction unmap accepted".into());
    }
    expect_reports(&mut n, 1, "wrong-direction unmap")?;
    if by_hand::unmap_sg(&d, &[SgEntry { pa, len: 512, bus }], Direction::ToDevice).is_ok() {
        return Err("unmap_sg of a map_single mapping accepted".into());
    }
    expect_reports(&mut n, 1, "unmap_sg of a single mapping")?;
    if by_hand::unmap_single(&other, bus, 512, Direction::ToDevice).is_ok() {
        return Err("unmap by another device accepted".into());
    }
    expect_reports(&mut n, 1, "unmap by another device")?;
    // Syncs: inside is fine; outside, running past the end, and the wrong
    // direction are reported.
    dma::sync_for_device(&d, bus + 100, 412, Direction::ToDevice);
    dma::sync_for_cpu(&d, bus, 512, Direction::ToDevice);
    expect_reports(&mut n, 0, "correct syncs")?;
    dma::sync_for_cpu(&d, bus + PAGE_SIZE, 16, Direction::ToDevice);
    expect_reports(&mut n, 1, "sync outside any mapping")?;
    dma::sync_for_cpu(&d, bus + 500, 16, Direction::ToDevice);
    expect_reports(&mut n, 1, "sync running past the end of the mapping")?;
    dma::sync_for_device(&d, bus, 512, Direction::FromDevice);
    expect_reports(&mut n, 1, "sync with the wrong direction")?;
    dma::sync_for_cpu(&other, bus, 512, Direction::ToDevice);
    expect_reports(&mut n, 1, "sync by another device")?;
    m.unmap().map_err(e)?;
    if by_hand::unmap_single(&d, bus, 512, Direction::ToDevice).is_ok() {
        return Err("double unmap accepted".into());
    }
    expect_reports(&mut n, 1, "double unmap")?;
    let m2 = dma::map_single(&d, pa, 512, Direction::ToDevice).map_err(e)?;
    let _ = page::free_pages(pa, 0); // freed while mapped: reported
    expect_reports(&mut n, 1, "free while mapped")?;
    m2.unmap().map_err(e)?;
    expect_reports(&mut n, 0, "the final unmap")?;
    // `forget` is the only way out of an owned mapping: it must stay live
    // (IOMMU entry and DMA-API debug record), for the shutdown leak report
    // to name. Undone here by hand so the test leaves nothing behind.
    let pa = page::alloc_pages(0, true, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    let live = debug::live();
    let m = dma::map_single(&d, pa, 300, Direction::FromDevice).map_err(e)?;
    let bus = m.bus();
    core::mem::forget(m);
    let still = (debug::live(), iommu::pte(bus));
    by_hand::unmap_single(&d, bus, 300, Direction::FromDevice).map_err(|e| format!("undoing the forgotten mapping: {e}"))?;
    page::free_pages(pa, 0).map_err(|e| format!("{e}"))?;
    if still != (live + 1, Some(pte_for(pa))) {
        return Err(format!("a forgotten mapping left {} live records (expected {}) and PTE {:x?}", still.0, live + 1, still.1));
    }
    expect_reports(&mut n, 0, "a forgotten mapping, undone by hand")?;
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("state not restored: {diff}"));
    }
    Ok(super::Outcome::Passed(format!(
        "page mapped twice {} silent; wrong-size, wrong-direction, wrong-kind, wrong-device and double unmap, 4 bad syncs and free-while-mapped reported once each; a forgotten mapping stays live for the leak report",
        if shared { "at one direct-window address" } else { "(iommu=strict: two IOMMU addresses)" }
    )))
}

/// Every error path of alloc_coherent and map_* leaves nothing allocated.
pub fn fault_injection() -> Result<String, String> {
    let before = dma::accounting();
    let sg = dev("test-fault", FULL, WindowPolicy::ForceSg);
    let mut seen = Vec::new();
    // Buddy fails: a small coherent buffer falls back to CMA (if any).
    fault::arm(fault::Site::Buddy, 1);
    match dma::alloc_coherent(&sg, 2 * PAGE_SIZE as usize) {
        Ok(c) if before.pages.cma_total > 0 && matches!(c.backing(), Backing::Cma { .. }) => {
            seen.push("buddy failure -> CMA fallback");
            c.free().map_err(|e| format!("freeing the CMA fallback buffer: {e}"))?;
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
    let pa = page::alloc_pages(1, false, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    fault::arm(fault::Site::Iommu, 1);
    match dma::map_single(&sg, pa, 3000, Direction::ToDevice) {
        Err(DmaError::IommuFull { .. }) => seen.push("IOMMU failure in map_single"),
        other => return Err(format!("IOMMU failure in map_single gave {other:?}")),
    }
    fault::arm(fault::Site::Iommu, 1);
    let list = alloc::vec![SgEntry::new(pa, 100), SgEntry::new(pa + PAGE_SIZE, 200)];
    match dma::map_sg(&sg, list, Direction::ToDevice) {
        Err(DmaError::IommuFull { .. }) => seen.push("IOMMU failure in map_sg"),
        other => return Err(format!("IOMMU failure in map_sg gave {other:?}")),
    }
    page::free_pages(pa, 1).map_err(|e| format!("{e}"))?;
    // A PTE write fails half-way: the run (the entries already written
    // included) is freed again and the error names the entry.
    let pa = page::alloc_pages(2, false, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    fault::arm(fault::Site::Pte, 3);
    match dma::map_single(&sg, pa + 100, 3 * PAGE_SIZE as usize, Direction::ToDevice) {
        Err(DmaError::IommuPte { written: 2, pages: 4, .. }) => seen.push("PTE write failure in map_single -> run unwound"),
        other => return Err(format!("a failed third PTE write in map_single gave {other:?}")),
    }
    let iommu_before = before.dma.unwrap_or_default().iommu_used;
    if iommu::used_entries() != iommu_before {
        return Err(format!("IOMMU entries in use after the unwound map_single: {:?}, before {iommu_before:?}", iommu::used_entries()));
    }
    fault::arm(fault::Site::Pte, 2);
    let list = alloc::vec![SgEntry::new(pa, 100), SgEntry::new(pa + 2 * PAGE_SIZE, PAGE_SIZE as usize)];
    match dma::map_sg(&sg, list, Direction::ToDevice) {
        Err(DmaError::IommuPte { written: 1, pages: 2, .. }) => seen.push("PTE write failure in map_sg -> run unwound"),
        other => return Err(format!("a failed second PTE write in map_sg gave {other:?}")),
    }
    page::free_pages(pa, 2).map_err(|e| format!("{e}"))?;
    fault::arm(fault::Site::Pte, 4);
    match dma::alloc_coherent(&sg, 5 * PAGE_SIZE as usize) {
        Err(e @ DmaError::IommuPte { written: 3, .. }) => {
            log::info!("  PTE write failure as reported: {e}");
            seen.push("PTE write failure in alloc_coherent -> run unwound, memory given back");
        }
        other => return Err(format!("a failed fourth PTE write in alloc_coherent gave {other:?}")),
    }
    // unmap_sg of an empty list (described by hand: an SgMapping is
    // never empty): an error, nothing touched.
    let n = debug::errors();
    match by_hand::unmap_sg(&sg, &[], Direction::ToDevice) {
        Err(DmaError::Empty) if debug::errors() == n => seen.push("unmap_sg of an empty list -> Empty"),
        other => return Err(format!("unmap_sg of an empty list gave {other:?}, {} debug reports", debug::errors() - n)),
    }
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("an error path leaked: {diff}"));
    }
    Ok(format!("{} error paths, nothing leaked: {}", seen.len(), seen.join("; ")))
}


/// The window a storm device's mappings must land in: (name, base, size).
fn storm_window(d: &DmaDevice) -> (&'static str, u64, u64) {
    let sg = ("the PCI SG window", iommu::pci_sg_window().bus_base, iommu::pci_sg_size());
    if d.dma_mask <= 0x00ff_ffff {
        ("the ISA window", iommu::isa_sg_window().bus_base, iommu::isa_sg_window().size)
    } else if d.policy == WindowPolicy::ForceSg || iommu::strict() {
        sg
    } else {
        ("the direct window", iommu::direct_window().bus_base, iommu::direct_window().size)
    }
}

/// Where the chipset sends a device's access to `bus`: the direct window
/// maps bus minus the direct window's base; a scatter-gather window goes through the PTE
/// for that bus page (`(pa >> 12) | 1`). Returns the physical address and
/// how it was found.
fn chipset_translate(bus: BusAddr) -> Result<(PhysAddr, String), String> {
    let d = iommu::direct_window();
    if in_range(bus, d.bus_base, d.size) {
        return Ok((PhysAddr::new(bus.as_u64() - d.bus_base), "direct".into()));
    }
    let pte = iommu::pte(bus).ok_or_else(|| format!("bus {bus:#x} is in no window"))?;
    let page_pa = iommu_arena::iommu_pte_pa(pte).ok_or_else(|| format!("the PTE for bus {bus:#x} is {pte:#x}, not valid"))?;
    Ok((PhysAddr::new(page_pa) + bus.offset_in(PAGE_SIZE), format!("PTE {pte:#x}")))
}

/// The storm's test pattern: the byte for physical address `pa` in the
/// mapping with this stamp (different pages and offsets get different
/// values, so a translation to the wrong page or offset shows).
fn pattern(stamp: u64, pa: PhysAddr) -> u8 {
    (stamp ^ (pa.as_u64().wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 29)) as u8
}

/// One mapped segment as the storm checks it: bus address, physical
/// address, length.
type SegCheck = (BusAddr, PhysAddr, usize);

/// Checks one storm mapping as a device would see it: every segment lies
/// in the device's window, and for every page of every segment, bytes the
/// CPU wrote at the start and end of the segment's part of that page are
/// found at the physical address the chipset translates their bus address
/// to (read through KSEG).
fn check_mapping(what: &str, d: &DmaDevice, segs: &[SegCheck], stamp: u64) -> Result<(), String> {
    let (wname, wbase, wsize) = storm_window(d);
    for (i, &(bus, _, len)) in segs.iter().enumerate() {
        let last = bus + (len as u64 - 1);
        if !in_range(bus, wbase, wsize) || !in_range(last, wbase, wsize) {
            return Err(format!(
                "{what} ({}, mask {:#x}) segment {i}: bus {bus:#x}-{last:#x} lies outside {wname} {wbase:#x}-{:#x}",
                d.name,
                d.dma_mask,
                wbase + wsize - 1
            ));
        }
    }
    // The byte offsets (within a segment) checked in each page it spans.
    let offsets = |pa: PhysAddr, len: usize| {
        let mut v = Vec::new();
        let (first, len) = (pa.offset_in(PAGE_SIZE), len as u64);
        let mut start = 0;
        while start < len {
            let end = (start + PAGE_SIZE - (first + start) % PAGE_SIZE).min(len); // this page's part
            v.extend(start..(start + 8).min(end));
            v.extend((end.saturating_sub(8)).max(start + 8).min(end)..end);
            start = end;
        }
        v
    };
    // The CPU writes first, every segment. The value depends on the
    // physical address (and the mapping's stamp), so segments of one list
    // that overlap in memory write the same values there.
    for &(_, pa, len) in segs {
        for o in offsets(pa, len) {
            // SAFETY: the storm's pool, which the mapping lies in.
            unsafe { write_phys(pa + o, pattern(stamp, pa + o)) };
        }
    }
    crate::arch::mb();
    for (i, &(bus, pa, len)) in segs.iter().enumerate() {
        for o in offsets(pa, len) {
            let page = (pa.offset_in(PAGE_SIZE) + o) / PAGE_SIZE;
            let want = pattern(stamp, pa + o);
            let (dpa, how) = chipset_translate(bus + o).map_err(|e| format!("{what} ({}) segment {i} page {page}: {e}", d.name))?;
            // SAFETY: the chipset's translation of a bus address the
            // storm mapped: a byte of the storm's pool.
            let got: u8 = unsafe { read_phys(dpa) };
            if got != want {
                return Err(format!(
                    "{what} ({}) segment {i} page {page}: the device's byte at bus {:#x} ({how} -> pa {dpa:#x}) is {got:#04x}, expected {want:#04x} (written by the CPU at pa {:#x})",
                    d.name,
                    bus + o,
                    pa + o
                ));
            }
        }
    }
    Ok(())
}

/// After an IOMMU mapping is undone, none of its pages may still translate.
fn check_unmapped(what: &str, segs: &[SegCheck]) -> Result<(), String> {
    for &(bus, _, len) in segs {
        if in_range(bus, iommu::direct_window().bus_base, iommu::direct_window().size) {
            continue;
        }
        let mut b = bus.align_down(PAGE_SIZE);
        while b < bus + len as u64 {
            match iommu::pte(b) {
                Some(0) => {}
                other => return Err(format!("{what}: after the unmap the PTE for bus {b:#x} is {other:x?}, expected 0")),
            }
            b += PAGE_SIZE;
        }
    }
    Ok(())
}

/// Random map/unmap of singles, scatter-gather lists and coherent buffers
/// through every window. Each mapping is checked as the device would see
/// it (window by mask and policy, data through the chipset's translation,
/// see [`check_mapping`]), each undone IOMMU mapping leaves no valid PTE;
/// ends with the arenas empty and DMA-API debug silent.
pub fn storm() -> Result<String, String> {
    let before = dma::accounting();
    let errors0 = debug::errors();
    let devs = [
        dev("storm-auto", FULL, WindowPolicy::Auto),
        dev("storm-sg32", 0xffff_ffff, WindowPolicy::ForceSg),
        dev("storm-isa", 0x00ff_ffff, WindowPolicy::Auto),
    ];
    const POOL: u64 = 512 << 10;
    let pool = page::alloc_pages(6, false, Owner::SELFTEST).map_err(|e| format!("{e}"))?; // 512 KiB to map from
    let mut rng = SplitMix64::new(0xd0a5_7041_0000_0001);
    let mut singles: Vec<dma::StreamingMapping> = Vec::new();
    let mut sgs: Vec<dma::SgMapping> = Vec::new();
    let mut coh: Vec<dma::Coherent> = Vec::new();
    let (mut maps, mut full, mut pages_checked) = (0u64, 0, 0u64);
    let span = |segs: &[SegCheck]| segs.iter().map(|&(_, pa, len)| dma_policy::span_pages(pa.as_u64(), len as u64)).sum::<u64>();
    let sg_checks = |m: &dma::SgMapping| -> Vec<SegCheck> { m.entries().iter().map(|s| (s.bus, s.pa, s.len)).collect() };
    for _ in 0..3000 {
        let d = (rng.next_u64() % 3) as usize;
        let stamp = rng.next_u64();
        match rng.next_u64() % 6 {
            0 | 1 => {
                let len = 1 + (rng.next_u64() % (64 << 10)) as usize;
                let pa = pool + rng.next_u64() % (POOL - len as u64);
                match dma::map_single(&devs[d], pa, len, Direction::Bidirectional) {
                    Ok(m) => {
                        maps += 1;
                        let segs = [(m.bus(), pa, len)];
                        check_mapping(&format!("map_single #{maps}"), &devs[d], &segs, stamp)?;
                        pages_checked += span(&segs);
                        singles.push(m);
                    }
                    Err(DmaError::IommuFull { .. }) => full += 1,
                    Err(e) => return Err(format!("map_single: {e}")),
                }
            }
            2 if !singles.is_empty() => {
                let m = singles.swap_remove((rng.next_u64() % singles.len() as u64) as usize);
                let segs = [(m.bus(), m.pa(), m.len())];
                m.unmap().map_err(|e| format!("{e}"))?;
                check_unmapped("unmap_single", &segs)?;
            }
            3 => {
                let n = 1 + (rng.next_u64() % 6) as usize;
                let list: Vec<SgEntry> = (0..n)
                    .map(|_| {
                        let len = 1 + (rng.next_u64() % 20_000) as usize;
                        SgEntry::new(pool + rng.next_u64() % (POOL - len as u64), len)
                    })
                    .collect();
                match dma::map_sg(&devs[d], list, Direction::ToDevice) {
                    Ok(m) => {
                        maps += 1;
                        let segs = sg_checks(&m);
                        check_mapping(&format!("map_sg #{maps} ({n} segments)"), &devs[d], &segs, stamp)?;
                        pages_checked += span(&segs);
                        sgs.push(m);
                    }
                    Err(DmaError::IommuFull { .. }) => full += 1,
                    Err(e) => return Err(format!("map_sg: {e}")),
                }
            }
            4 if !sgs.is_empty() => {
                let m = sgs.swap_remove((rng.next_u64() % sgs.len() as u64) as usize);
                let segs = sg_checks(&m);
                m.unmap().map_err(|e| format!("{e}"))?;
                check_unmapped("unmap_sg", &segs)?;
            }
            5 => {
                if coh.len() < 16 {
                    let size = 1 + (rng.next_u64() % (96 << 10)) as usize;
                    match dma::alloc_coherent(&devs[d], size) {
                        Ok(c) => {
                            maps += 1;
                            let segs = [(c.bus(), c.pa(), c.size())];
                            check_mapping(&format!("alloc_coherent #{maps}"), &devs[d], &segs, stamp)?;
                            pages_checked += span(&segs);
                            coh.push(c);
                        }
                        Err(DmaError::IommuFull { .. }) => full += 1,
                        Err(e) => return Err(format!("alloc_coherent: {e}")),
                    }
                } else {
                    let c = coh.swap_remove((rng.next_u64() % coh.len() as u64) as usize);
                    let segs = [(c.bus(), c.pa(), c.size())];
                    // Half given back by `free`, half by dropping.
                    if stamp & 1 == 0 {
                        c.free().map_err(|e| format!("free: {e}"))?;
                    } else {
                        drop(c);
                    }
                    check_unmapped("free_coherent", &segs)?;
                }
            }
            _ => {}
        }
    }
    let peak = iommu::used_entries();
    for m in singles {
        m.unmap().map_err(|e| format!("{e}"))?;
    }
    for m in sgs {
        m.unmap().map_err(|e| format!("{e}"))?;
    }
    // The coherent buffers go back as they are dropped.
    drop(coh);
    page::free_pages(pool, 6).map_err(|e| format!("{e}"))?;
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() || debug::errors() != errors0 {
        return Err(format!("storm left state behind: {diff}, {} debug reports", debug::errors() - errors0));
    }
    let (isa, pci) = iommu::stats().ok_or("no IOMMU arenas")?;
    Ok(format!(
        "{maps} mappings, each in its window and its data read back through the chipset's translation ({pages_checked} pages), {full} refused for a full window; IOMMU entries in use at the end of the storm: ISA {}, PCI {}; now 0/0, DMA-API debug silent; TLB invalidations since boot: ISA {} all + {} ranged over {} wraps, PCI {} all + {} ranged over {} wraps",
        peak.0, peak.1, isa.invalidate_all, isa.invalidate_range, isa.wraps, pci.invalidate_all, pci.invalidate_range, pci.wraps
    ))
}

/// Run at boot when a `fail_*=N` fault-injection parameter or
/// `dma_leak_test` is given: one coherent allocation and one streaming
/// mapping, each reported, then a check that nothing leaked. With
/// `dma_leak_test` one mapping escapes on purpose by `core::mem::forget`
/// (the only way out of an owned mapping), for DMA-API debug to report at
/// shutdown.
pub fn boot_probe(leak: bool) {
    let before = dma::accounting();
    let d = dev("fault-probe", FULL, WindowPolicy::ForceSg);
    match dma::alloc_coherent(&d, 4 * PAGE_SIZE as usize) {
        Ok(c) => {
            log::info!("dma probe: alloc_coherent gave {:?} at {:#x}, bus {:#x}", c.backing(), c.pa(), c.bus());
            if let Err(e) = c.free() {
                log::error!("dma probe: freeing the coherent buffer: {e}");
            }
        }
        Err(e) => log::info!("dma probe: alloc_coherent failed cleanly: {e}"),
    }
    match page::alloc_pages(0, false, Owner::SELFTEST) {
        Ok(pa) => {
            match dma::map_single(&d, pa, 1000, Direction::ToDevice) {
                Ok(m) if leak => {
                    log::info!("dma probe: leaving {pa:#x} mapped at bus {:#x} on purpose (dma_leak_test)", m.bus());
                    core::mem::forget(m);
                }
                Ok(m) => {
                    log::info!("dma probe: map_single gave bus {:#x}", m.bus());
                    if let Err(e) = m.unmap() {
                        log::error!("dma probe: unmap refused: {e}");
                    }
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
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if diff.is_empty() {
        log::info!("dma probe: nothing leaked (buddy, CMA, IOMMU and DMA-API debug all as before)");
    } else {
        log::error!("dma probe: LEAK: {diff}");
    }
}

/// Run at boot with `dma_debug_test=KIND`: a scenario for DMA-API debug
/// whose reports (or their absence) the runner checks, down to the
/// shutdown line `DMA-API debug: N mappings live at shutdown, M problems
/// reported in all`.
///
/// * `mapped-twice`: one page mapped twice `ToDevice` and once
///   `FromDevice` through the direct window (one bus address), synced
///   correctly, unmapped in another order: nothing may be reported;
/// * `sync`: a mapped buffer synced correctly, then outside any mapping,
///   past its end, and with the wrong direction: three reports;
/// * `unmap-sg-empty`: `unmap_sg` of an empty list is refused with an
///   error, and a real list maps and unmaps after it: nothing reported.
pub fn debug_probe(kind: &str) {
    let before = dma::accounting();
    let errors0 = debug::errors();
    let pa = match page::alloc_pages(0, true, Owner::SELFTEST) {
        Ok(pa) => pa,
        Err(e) => return log::error!("dma probe: no page: {e}"),
    };
    let expected = match kind {
        "mapped-twice" => {
            probe_mapped_twice(pa);
            0
        }
        "sync" => {
            probe_sync(pa);
            3
        }
        "unmap-sg-empty" => {
            probe_unmap_sg_empty(pa);
            0
        }
        other => {
            log::error!("dma_debug_test={other}: expected mapped-twice, sync or unmap-sg-empty");
            0
        }
    };
    let _ = page::free_pages(pa, 0);
    let reported = debug::errors() - errors0;
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if reported == expected && diff.is_empty() {
        log::info!("dma probe: {kind}: {reported} problems reported by DMA-API debug, as expected; nothing leaked");
    } else {
        log::error!("dma probe: {kind}: FAILED: {reported} problems reported (expected {expected}); state: {diff}");
    }
}

fn probe_mapped_twice(pa: PhysAddr) {
    let d = dev("dma-twice-probe", FULL, WindowPolicy::Auto);
    let maps = [(1000, Direction::ToDevice), (1000, Direction::ToDevice), (600, Direction::FromDevice)];
    let mut mapped = Vec::new();
    for (len, dir) in maps {
        match dma::map_single(&d, pa, len, dir) {
            Ok(m) => mapped.push(Some(m)),
            Err(e) => return log::error!("dma probe: map_single of {pa:#x} failed: {e}"),
        }
    }
    let buses: Vec<u64> = mapped.iter().flatten().map(|m| m.bus().as_u64()).collect();
    let bus0 = BusAddr::new(buses[0]);
    if buses.iter().all(|&b| b == buses[0]) && in_range(bus0, iommu::direct_window().bus_base, iommu::direct_window().size) {
        log::info!("dma probe: {pa:#x} mapped three times through the direct window (twice ToDevice, once FromDevice), all at bus {bus0:#x}");
    } else {
        log::error!("dma probe: {pa:#x} mapped at buses {buses:x?}, expected one direct-window address");
    }
    dma::sync_for_cpu(&d, BusAddr::new(buses[2]), 600, Direction::FromDevice);
    dma::sync_for_device(&d, bus0, 1000, Direction::ToDevice);
    // The FromDevice mapping first: the best fit must take it, not one of
    // the ToDevice ones at the same address.
    let mut ok = 0;
    for i in [2, 0, 1] {
        let (len, dir) = maps[i];
        let Some(m) = mapped[i].take() else { continue };
        match m.unmap() {
            Ok(()) => ok += 1,
            Err(e) => log::error!("dma probe: unmap_single #{i} ({len} bytes {dir:?}) refused: {e}"),
        }
    }
    log::info!("dma probe: {ok} of 3 unmaps accepted, {} mappings live", debug::live());
}

fn probe_sync(pa: PhysAddr) {
    let d = dev("dma-sync-probe", FULL, WindowPolicy::Auto);
    let m = match dma::map_single(&d, pa + 0x100, 1000, Direction::ToDevice) {
        Ok(m) => m,
        Err(e) => return log::error!("dma probe: map_single failed: {e}"),
    };
    let bus = m.bus();
    log::info!("dma probe: {:#x}+1000 mapped ToDevice at bus {bus:#x}; a correct sync_for_device, then three bad syncs", pa + 0x100);
    dma::sync_for_device(&d, bus, 1000, Direction::ToDevice);
    log::info!("dma probe: sync_for_cpu outside any mapping (bus {:#x})", bus + 0x1000);
    dma::sync_for_cpu(&d, bus + 0x1000, 16, Direction::ToDevice);
    log::info!("dma probe: sync_for_device with the wrong direction (FromDevice)");
    dma::sync_for_device(&d, bus, 1000, Direction::FromDevice);
    log::info!("dma probe: sync_for_cpu running past the end of the mapping");
    dma::sync_for_cpu(&d, bus + 900, 200, Direction::ToDevice);
    if let Err(e) = m.unmap() {
        log::error!("dma probe: unmap_single refused: {e}");
    }
}

fn probe_unmap_sg_empty(pa: PhysAddr) {
    let d = dev("dma-sg-probe", FULL, WindowPolicy::ForceSg);
    // Described by hand, as a C driver would: an SgMapping is never empty.
    match by_hand::unmap_sg(&d, &[], Direction::ToDevice) {
        Err(e) => log::info!("dma probe: unmap_sg of an empty list refused: {e}"),
        Ok(()) => log::error!("dma probe: unmap_sg of an empty list accepted"),
    }
    let list = alloc::vec![SgEntry::new(pa, 100), SgEntry::new(pa + 0x1000, 200)];
    match dma::map_sg(&d, list, Direction::ToDevice) {
        Ok(m) => {
            let bus = m.entries()[0].bus;
            match m.unmap() {
                Ok(()) => log::info!("dma probe: then a 2-segment list mapped at bus {bus:#x} and unmapped"),
                Err(e) => log::error!("dma probe: unmap_sg of a mapped list refused: {e}"),
            }
        }
        Err(e) => log::error!("dma probe: map_sg failed: {e}"),
    }
}

/// A pool of 16-byte objects aligned to 16 that never cross 4 KiB (a PRD
/// table pool's parameters), through the direct window and forced through
/// the IOMMU: 1100 objects (three chunks) each zeroed, aligned on the bus
/// and in memory, inside one 4 KiB block on the bus, translated by the
/// chipset to its own physical address, and overlapping no other (each
/// holds its own stamp to the end); half freed and allocated again (the
/// freed slots are reused, no chunk added); then all freed (at most one
/// empty chunk kept), the pool destroyed, and every count of the
/// accounting back exactly. A chunk that cannot be allocated (buddy and
/// CMA made to fail) is `NoMemory` with nothing held; bad parameters are
/// refused with the error naming them.
pub fn pool() -> Result<String, String> {
    use crate::dma::pool::DmaPool;
    let before = dma::accounting();
    let errors0 = debug::errors();
    const N: usize = 1100;
    let mut detail = String::new();
    for d in [dev("test-pool", FULL, WindowPolicy::Auto), dev("test-pool-sg", 0xffff_ffff, WindowPolicy::ForceSg)] {
        let p = DmaPool::create("test-prd", &d, 16, 16, 4096).map_err(|e| format!("{e}"))?;
        let mut objs = Vec::new();
        for i in 0..N {
            let o = p.alloc().map_err(|e| format!("{}: object {i}: {e}", d.name))?;
            let (bus, pa, cpu) = (o.bus().as_u64(), o.pa(), o.cpu());
            if o.size() != 16 || bus % 16 != 0 || pa.as_u64() % 16 != 0 || cpu as usize % 16 != 0 {
                return Err(format!("{}: object {i} at bus {bus:#x}, pa {pa:#x}, size {}: misaligned", d.name, o.size()));
            }
            if bus / 4096 != (bus + 15) / 4096 {
                return Err(format!("{}: object {i} at bus {bus:#x} crosses 4 KiB", d.name));
            }
            let (tpa, how) = chipset_translate(o.bus())?;
            if tpa != pa {
                return Err(format!("{}: object {i}: bus {bus:#x} reaches {tpa:#x} ({how}), not its pa {pa:#x}", d.name));
            }
            // SAFETY: the object's 16 bytes are ours until it is dropped.
            let bytes = unsafe { core::slice::from_raw_parts_mut(cpu, 16) };
            if bytes.iter().any(|&b| b != 0) {
                return Err(format!("{}: object {i} at {pa:#x} not zeroed", d.name));
            }
            bytes.fill(i as u8 ^ 0x5a);
            objs.push((i, o));
        }
        let c = p.counts();
        if c.objects != N || c.chunks != N.div_ceil(512) {
            return Err(format!("{}: {} objects in {} chunks, expected {N} in {}", d.name, c.objects, c.chunks, N.div_ceil(512)));
        }
        let mut by_bus: Vec<u64> = objs.iter().map(|(_, o)| o.bus().as_u64()).collect();
        by_bus.sort_unstable();
        if let Some(w) = by_bus.windows(2).find(|w| w[0] + 16 > w[1]) {
            return Err(format!("{}: objects at bus {:#x} and {:#x} overlap", d.name, w[0], w[1]));
        }
        for (i, o) in &objs {
            // SAFETY: as above.
            let bytes = unsafe { core::slice::from_raw_parts(o.cpu(), 16) };
            if bytes.iter().any(|&b| b != *i as u8 ^ 0x5a) {
                return Err(format!("{}: object {i} at {:#x} overwritten by another", d.name, o.pa()));
            }
        }
        // Every other one back, then as many again: the same slots.
        let mut freed: Vec<u64> = Vec::new();
        let mut k = 0;
        objs.retain(|(_, o)| {
            k += 1;
            if k % 2 == 0 {
                freed.push(o.bus().as_u64());
                false
            } else {
                true
            }
        });
        freed.sort_unstable();
        let mut again: Vec<u64> = Vec::new();
        for _ in 0..freed.len() {
            let o = p.alloc().map_err(|e| format!("{}: realloc: {e}", d.name))?;
            again.push(o.bus().as_u64());
            objs.push((0, o));
        }
        again.sort_unstable();
        if again != freed || p.counts().chunks != N.div_ceil(512) {
            return Err(format!("{}: freed slots not reused ({} chunks)", d.name, p.counts().chunks));
        }
        drop(objs);
        let c = p.counts();
        if c.objects != 0 || c.chunks > 1 {
            return Err(format!("{}: after freeing all: {} objects, {} chunks (at most 1 kept)", d.name, c.objects, c.chunks));
        }
        p.destroy().map_err(|e| format!("{}: destroy: {e}", d.name))?;
        detail += &format!("{}: {N} objects in {} chunks; ", d.name, N.div_ceil(512));
    }
    // No memory for a chunk: the error, and nothing held.
    {
        let p = DmaPool::create("test-nomem", &dev("test-pool", FULL, WindowPolicy::Auto), 64, 64, 0).map_err(|e| format!("{e}"))?;
        fault::arm(fault::Site::Buddy, 1);
        fault::arm(fault::Site::Cma, 1);
        let r = p.alloc();
        fault::arm(fault::Site::Buddy, 0);
        fault::arm(fault::Site::Cma, 0);
        match r {
            Err(DmaError::NoMemory { .. }) if p.counts() == Default::default() => detail += "no memory for a chunk -> NoMemory; ",
            Err(e) => return Err(format!("alloc without memory: {e}, counts {:?}", p.counts())),
            Ok(o) => return Err(format!("alloc without memory gave bus {:#x}", o.bus())),
        }
        p.destroy().map_err(|e| format!("{e}"))?;
    }
    for (size, align, boundary) in [(16, 3, 0), (32, 16, 16), (16, 16, 1000), (0, 8, 0)] {
        match DmaPool::create("test-bad", &dev("test-pool", FULL, WindowPolicy::Auto), size, align, boundary) {
            Err(e @ DmaError::PoolParams { .. }) => {
                if size == 32 && align == 16 {
                    detail += &format!("refused: {e}; ");
                }
            }
            Err(e) => return Err(format!("create({size}, {align}, {boundary:#x}): wrong error {e}")),
            Ok(_) => return Err(format!("create({size}, {align}, {boundary:#x}) accepted")),
        }
    }
    if debug::errors() != errors0 {
        return Err(format!("{} DMA-API problems reported", debug::errors() - errors0));
    }
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("state not restored: {diff}"));
    }
    detail += "accounting back exactly";
    Ok(detail)
}

/// Run at boot with `dma_pool_leak_test`: the leaks a DMA pool can have,
/// for the shutdown report the runner checks. Pool `leak-prd` hands out
/// two objects; one is dropped, the other escapes by `core::mem::forget`;
/// destroying the pool then reports the escaped object (naming the pool
/// and the line that allocated it) and returns `PoolBusy`, and its chunk
/// stays allocated. Pool `leak-kept` is itself forgotten with one object.
/// At shutdown both pools' objects are reported as leaked, `leak-kept` as
/// still alive, and DMA-API debug reports the two chunks' coherent mappings.
pub fn pool_leak_probe() {
    use crate::dma::pool::DmaPool;
    let d = dev("pool-probe", FULL, WindowPolicy::ForceSg);
    let p = match DmaPool::create("leak-prd", &d, 16, 16, 4096) {
        Ok(p) => p,
        Err(e) => return log::error!("dma pool probe: {e}"),
    };
    match (p.alloc(), p.alloc()) {
        (Ok(a), Ok(b)) => {
            log::info!("dma pool probe: leaving the object at bus {:#x} of {} allocated on purpose (dma_pool_leak_test)", b.bus(), p.name());
            drop(a);
            core::mem::forget(b);
        }
        (a, b) => log::error!("dma pool probe: alloc failed: {:?} {:?}", a.err(), b.err()),
    }
    match p.destroy() {
        Err(e @ DmaError::PoolBusy { .. }) => log::info!("dma pool probe: destroy: {e}"),
        other => log::error!("dma pool probe: destroy with a live object returned {:?}", other.err()),
    }
    match DmaPool::create("leak-kept", &d, 64, 64, 0) {
        Ok(p) => {
            match p.alloc() {
                Ok(o) => core::mem::forget(o),
                Err(e) => log::error!("dma pool probe: {e}"),
            }
            core::mem::forget(p);
        }
        Err(e) => log::error!("dma pool probe: {e}"),
    }
}

/// `map_sg` with a device that has the SFF-8038i limits (64 KiB segments,
/// no crossing of a 64 KiB boundary), for a list whose segments cross 64
/// KiB boundaries (on the physical side; the bus side is what is checked):
/// through the device's usual window (the direct one, or the IOMMU under
/// `iommu=strict`), forced through the PCI IOMMU, and through the ISA one.
/// Every entry returned is read back: at most 64 KiB, inside one 64 KiB
/// block of the bus, the entries cover the list in order byte for byte,
/// and the chipset translates each entry's first and last bus byte to its
/// physical address. The list is unmapped (no PTE left), the accounting is
/// back exactly and DMA-API debug was silent; then debug's own check is
/// given a bad segment and must report it.
pub fn sg_limits() -> Result<String, String> {
    let before = dma::accounting();
    let mut errors0 = debug::errors();
    let mut detail = String::new();
    // 512 KiB, aligned to 512 KiB.
    let pa = page::alloc_pages(6, true, Owner::SELFTEST).map_err(|e| format!("{e}"))?;
    let list = [(0xe000u64, 0x1_8000usize), (0x2f800, 0x1000), (0x40000, 0x1_0000), (0x5fff0, 0x20), (0x61234, 0x1_1000)];
    let limited = |name, mask, policy| -> Result<DmaDevice, String> {
        let mut d = dev(name, mask, policy);
        dma::set_max_seg_size(&mut d, 0x1_0000).map_err(|e| format!("{e}"))?;
        dma::set_seg_boundary(&mut d, 0xffff).map_err(|e| format!("{e}"))?;
        Ok(d)
    };
    for d in [
        limited("test-seg-auto", FULL, WindowPolicy::Auto)?,
        limited("test-seg-sg", 0xffff_ffff, WindowPolicy::ForceSg)?,
        limited("test-seg-isa", 0x00ff_ffff, WindowPolicy::Auto)?,
    ] {
        let sg: Vec<SgEntry> = list.iter().map(|&(off, len)| SgEntry::new(pa + off, len)).collect();
        let m = dma::map_sg(&d, sg, Direction::FromDevice).map_err(|e| format!("{}: {e}", d.name))?;
        let e = m.entries();
        // In order, byte for byte: the entries' physical ranges concatenate
        // to the list's, each input segment's pieces back to back.
        let mut k = 0;
        let mut crossing = 0;
        for &(off, len) in &list {
            let (start, end) = (pa + off, pa + off + len as u64);
            let mut at = start;
            if (off >> 16) != ((off + len as u64 - 1) >> 16) {
                crossing += 1;
            }
            while at < end {
                let s = e.get(k).ok_or_else(|| format!("{}: entries end before {at:#x}", d.name))?;
                if s.pa != at || s.len == 0 || s.pa + s.len as u64 > end {
                    return Err(format!("{}: entry {k} is {:#x}+{:#x}, expected to start at {at:#x} and end by {end:#x}", d.name, s.pa, s.len));
                }
                at = s.pa + s.len as u64;
                k += 1;
            }
        }
        if k != e.len() {
            return Err(format!("{}: {} entries, {k} cover the list", d.name, e.len()));
        }
        for (i, s) in e.iter().enumerate() {
            let (b, last) = (s.bus.as_u64(), s.bus.as_u64() + s.len as u64 - 1);
            if s.len > 0x1_0000 || b >> 16 != last >> 16 {
                return Err(format!("{}: entry {i} at bus {b:#x}+{:#x} breaks the 64 KiB limits", d.name, s.len));
            }
            for (bus, want) in [(s.bus, s.pa), (s.bus + (s.len as u64 - 1), s.pa + (s.len as u64 - 1))] {
                let (got, how) = chipset_translate(bus)?;
                if got != want {
                    return Err(format!("{}: entry {i}: bus {bus:#x} reaches {got:#x} ({how}), expected {want:#x}", d.name));
                }
            }
        }
        let (wname, _, _) = storm_window(&d);
        if !in_range(e[0].bus, storm_window(&d).1, storm_window(&d).2) {
            return Err(format!("{}: bus {:#x} is not in {wname}", d.name, e[0].bus));
        }
        let checks: Vec<SegCheck> = e.iter().map(|s| (s.bus, s.pa, s.len)).collect();
        detail += &format!("{}: {} segments ({crossing} crossing) -> {} entries in {wname}; ", d.name, list.len(), e.len());
        m.unmap().map_err(|e| format!("{}: unmap: {e}", d.name))?;
        check_unmapped(d.name, &checks)?;
    }
    let _ = page::free_pages(pa, 6);
    expect_reports(&mut errors0, 0, "mapping within the limits")?;
    let after = dma::accounting();
    let diff = after.diff(&before, EXACT);
    if !diff.is_empty() {
        return Err(format!("state not restored: {diff}"));
    }
    // Debug's check must catch what map_sg would never give.
    if debug::enabled() {
        let l = dma_policy::seg::SegLimits { max_seg_size: 0x1_0000, boundary_mask: 0xffff };
        let bad = [debug::seg(BusAddr::new(0x4000_f000), PhysAddr::ZERO, 0x2000)];
        let n = debug::check_seg_limits("test-seg-check", &l, bad.into_iter(), core::panic::Location::caller());
        expect_reports(&mut errors0, 1, "a segment across 64 KiB given to DMA-API debug's check")?;
        if n != 1 {
            return Err(format!("debug's check reported {n} segments, expected 1"));
        }
        detail += "a crossing segment reported by DMA-API debug; ";
    }
    // Limits that cannot be obeyed.
    let mut d = dev("test-seg-bad", FULL, WindowPolicy::Auto);
    match dma::set_seg_boundary(&mut d, 0xfeff) {
        Err(DmaError::SegLimits { .. }) => {}
        other => return Err(format!("seg_boundary_mask 0xfeff accepted: {:?}", other.err())),
    }
    if dma::set_max_seg_size(&mut d, 0).is_ok() || d.max_seg_size != 0x1_0000 {
        return Err(format!("max_seg_size 0 accepted by set_max_seg_size (now {:#x})", d.max_seg_size));
    }
    // Set by hand, the field is not checked: map_sg refuses it.
    d.max_seg_size = 0;
    match dma::map_sg(&d, alloc::vec![SgEntry::new(PhysAddr::new(0x10_0000), 16)], Direction::ToDevice) {
        Err(e @ DmaError::SegLimits { .. }) => detail += &format!("refused: {e}"),
        Err(e) => return Err(format!("max_seg_size 0: wrong error {e}")),
        Ok(_) => return Err("max_seg_size 0 accepted by map_sg".into()),
    }
    Ok(detail)
}

/// `set_mask` (Linux's `dma_set_mask`): a 24-bit mask gets the ISA window
/// only, a 32-bit one the PCI SG window and the direct window below 2 GiB
/// (not under `iommu=strict`), and a 16-bit mask is refused with the error
/// naming the mask and the windows, the device's mask left as it was.
pub fn set_mask() -> Result<String, String> {
    let mut d = dev("test-mask", FULL, WindowPolicy::Auto);
    let isa = dma::set_mask(&mut d, 0x00ff_ffff).map_err(|e| format!("{e}"))?;
    if isa.direct_below != 0 || isa.sg || !isa.isa || d.dma_mask != 0x00ff_ffff {
        return Err(format!("24-bit mask: {isa} (mask now {:#x})", d.dma_mask));
    }
    let w32 = dma::set_mask(&mut d, 0xffff_ffff).map_err(|e| format!("{e}"))?;
    let direct = iommu::direct_window();
    let want_direct = if iommu::strict() { 0 } else { (0xffff_ffff - direct.bus_base + 1).min(direct.size) };
    if w32.direct_below != want_direct || !w32.sg {
        return Err(format!("32-bit mask: {w32}, expected direct below {want_direct:#x} and PCI SG"));
    }
    let err = match dma::set_mask(&mut d, 0xffff) {
        Err(e @ DmaError::NoWindowForMask { .. }) => format!("{e}"),
        other => return Err(format!("16-bit mask: expected NoWindowForMask, got {other:?}")),
    };
    if d.dma_mask != 0xffff_ffff {
        return Err(format!("the refused mask changed the device's mask to {:#x}", d.dma_mask));
    }
    let mut fd = dev("test-mask-direct", FULL, WindowPolicy::ForceDirect);
    if dma::set_mask(&mut fd, 0x00ff_ffff).is_ok() {
        return Err("a direct-only device accepted a 24-bit mask".into());
    }
    Ok(format!("24-bit: {isa}; 32-bit: {w32}; refused: {err}"))
}
