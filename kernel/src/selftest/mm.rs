//! Memory self-tests: an allocation storm over the buddy allocator, the CMA
//! area and the heap (mixed orders and sizes, contents checked) that must
//! end with every counter exactly where it started, and the detection of
//! bad frees.

use crate::mm::heap;
use crate::mm::owner::Owner;
use crate::mm::page::{self, PageError};
use crate::mm::{PAGE_SIZE, PhysAddr, read_phys, write_phys};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use splitmix::SplitMix64;
use buddy::MAX_ORDER;


/// Stamps a block: the first quadword of every page gets `tag ^ page`,
/// the block's last quadword `!tag`. Two blocks handed out over each other
/// would overwrite each other's stamps.
fn stamp(pa: PhysAddr, bytes: u64, tag: u64) {
    for p in 0..bytes / PAGE_SIZE {
        // SAFETY: the caller owns [pa, pa + bytes), page aligned.
        unsafe { write_phys(pa + p * PAGE_SIZE, tag ^ p) };
    }
    // SAFETY: as above.
    unsafe { write_phys(pa + (bytes - 8), !tag) };
}

fn check_stamp(pa: PhysAddr, bytes: u64, tag: u64) -> Result<(), String> {
    for p in 0..bytes / PAGE_SIZE {
        // SAFETY: as for `stamp`.
        let got: u64 = unsafe { read_phys(pa + p * PAGE_SIZE) };
        if got != tag ^ p {
            return Err(format!("block {pa:#x} ({bytes} bytes): page {p} stamp overwritten: {got:#x}, expected {:#x}", tag ^ p));
        }
    }
    // SAFETY: as for `stamp`.
    let last: u64 = unsafe { read_phys(pa + (bytes - 8)) };
    if last != !tag {
        return Err(format!("block {pa:#x} ({bytes} bytes): last quadword overwritten: {last:#x}, expected {:#x}", !tag));
    }
    Ok(())
}

/// A heap block must still hold the byte it was filled with.
fn check_fill(b: &[u8], fill: u8) -> Result<(), String> {
    match b.iter().position(|&x| x != fill) {
        Some(i) => Err(format!("heap block of {} bytes at {:p} overwritten at offset {i}: {:#x}, filled with {fill:#x}", b.len(), b.as_ptr(), b[i])),
        None => Ok(()),
    }
}

fn is_zero(pa: PhysAddr, bytes: u64) -> bool {
    (0..bytes / 8).all(|i| {
        // SAFETY: the caller owns [pa, pa + bytes), page aligned.
        let w: u64 = unsafe { read_phys(pa + i * 8) };
        w == 0
    })
}

pub fn storm() -> Result<String, String> {
    let before = page::stats();
    let heap_before = heap::stats();
    if before.managed == 0 {
        return Err("no buddy allocator".into());
    }
    let mut rng = SplitMix64::new(0x5707_0a1f_a000_0001);
    let mut pages: Vec<(PhysAddr, u32, u64)> = Vec::new();
    let mut cma: Vec<(PhysAddr, usize, u64)> = Vec::new();
    let mut blobs: Vec<(Vec<u8>, u8)> = Vec::new();
    let (mut n_pages, mut n_cma, mut n_heap, mut failures) = (0, 0, 0, 0);
    let mut peak = heap_before;
    for step in 0..4000u64 {
        match rng.below(8) {
            0..=2 => {
                // Small orders are common, large ones rare (as in real use).
                let order = (rng.below(MAX_ORDER as u64 + 1) * rng.below(MAX_ORDER as u64 + 1) / MAX_ORDER as u64) as u32;
                let zero = rng.below(2) == 0;
                match page::alloc_pages(order, zero, Owner::SELFTEST) {
                    Ok(pa) => {
                        let bytes = PAGE_SIZE << order;
                        if zero && !is_zero(pa, bytes) {
                            return Err(format!("alloc_pages({order}, zero) gave non-zero memory at {pa:#x}"));
                        }
                        stamp(pa, bytes, pa.as_u64() ^ step);
                        pages.push((pa, order, pa.as_u64() ^ step));
                        n_pages += 1;
                    }
                    Err(PageError::Buddy(buddy::BuddyError::OutOfMemory { .. })) => failures += 1,
                    Err(e) => return Err(format!("alloc_pages({order}): {e}")),
                }
            }
            3 if !pages.is_empty() => {
                let (pa, order, tag) = pages.swap_remove(rng.below(pages.len() as u64) as usize);
                check_stamp(pa, PAGE_SIZE << order, tag)?;
                page::free_pages(pa, order).map_err(|e| format!("free_pages({pa:#x}, {order}): {e}"))?;
            }
            4 if before.cma_total > 0 => {
                let count = 1 + rng.below(512) as usize;
                let align = rng.below(5) as u32;
                match page::cma_alloc(count, align, Owner::SELFTEST) {
                    Ok(pa) => {
                        if !pa.is_aligned(PAGE_SIZE << align) {
                            return Err(format!("cma_alloc({count}, align {align}) gave misaligned {pa:#x}"));
                        }
                        stamp(pa, count as u64 * PAGE_SIZE, pa.as_u64() ^ step);
                        cma.push((pa, count, pa.as_u64() ^ step));
                        n_cma += 1;
                    }
                    Err(PageError::Cma(cma::CmaError::NoSpace { .. })) => failures += 1,
                    Err(e) => return Err(format!("cma_alloc({count}): {e}")),
                }
            }
            5 if !cma.is_empty() => {
                let (pa, count, tag) = cma.swap_remove(rng.below(cma.len() as u64) as usize);
                check_stamp(pa, count as u64 * PAGE_SIZE, tag)?;
                page::cma_release(pa, count).map_err(|e| format!("cma_release({pa:#x}, {count}): {e}"))?;
            }
            6 => {
                // Mostly small, sometimes up to 1.5 MiB, and now and then
                // 2-6 MiB, more than the early arena: the heap must grow.
                let len = if rng.below(40) == 0 {
                    (2 << 20) + rng.below(4 << 20) as usize
                } else {
                    1 + (rng.below(1 << 20) >> rng.below(12)) as usize * 3 / 2
                };
                let fill = step as u8;
                let mut v = Vec::new();
                if v.try_reserve_exact(len).is_err() {
                    failures += 1; // heap could not grow: memory is short
                    continue;
                }
                v.resize(len, fill);
                blobs.push((v, fill));
                n_heap += 1;
                let now = heap::stats();
                if now.buddy_pages > peak.buddy_pages {
                    peak = now;
                }
            }
            _ if !blobs.is_empty() => {
                let (b, fill) = blobs.swap_remove(rng.below(blobs.len() as u64) as usize);
                check_fill(&b, fill)?;
            }
            _ => {}
        }
    }
    // The survivors: every stamp and fill still intact, then freed.
    for (b, fill) in &blobs {
        check_fill(b, *fill)?;
    }
    for (pa, order, tag) in pages.drain(..) {
        check_stamp(pa, PAGE_SIZE << order, tag)?;
        page::free_pages(pa, order).map_err(|e| format!("free_pages({pa:#x}, {order}): {e}"))?;
    }
    for (pa, count, tag) in cma.drain(..) {
        check_stamp(pa, count as u64 * PAGE_SIZE, tag)?;
        page::cma_release(pa, count).map_err(|e| format!("cma_release: {e}"))?;
    }
    drop(blobs);
    drop(pages);
    drop(cma);
    let after = page::stats();
    let heap_after = heap::stats();
    if after != before {
        return Err(format!("page counters not restored:\n before {before:?}\n after  {after:?}"));
    }
    if heap_after.used != heap_before.used || heap_after.buddy_pages != heap_before.buddy_pages {
        return Err(format!("heap not restored: before {heap_before:?}, after {heap_after:?}"));
    }
    if !crate::mm::boot::reconcile("after mm-storm") {
        return Err("memory totals do not reconcile after the storm".into());
    }
    Ok(format!(
        "{n_pages} page blocks, {n_cma} CMA ranges, {n_heap} heap blocks (heap peak: {} regions, {} pages from the buddy allocator), {failures} allocations refused for lack of space; free counts back to {} pages, CMA {} free",
        peak.regions, peak.buddy_pages, after.free, after.cma_free
    ))
}

/// Bad frees must be refused with a clear error and change nothing. Each
/// bad address is one the test has proven is not the head of any live
/// block: inside a block it holds itself, just freed by itself, or a frame
/// the owner records say nobody holds.
pub fn bad_frees() -> Result<String, String> {
    let before = page::stats();
    let pa = page::alloc_pages(2, true, Owner::SELFTEST).map_err(|e| format!("alloc: {e}"))?;
    let pfn = crate::mm::phys_to_pfn(pa);
    // The second page of our own live order-2 block is no block's head.
    let inside = pa + PAGE_SIZE;
    match page::page_owner(pfn + 1) {
        Some(o) if o.head_pfn == pfn && o.pages == 4 && o.owner == Owner::SELFTEST => {}
        other => return Err(format!("page_owner(pfn {:#x}) inside our block says {other:?}", pfn + 1)),
    }
    let mut seen = Vec::new();
    let mut refuse = |what: &str, r: Result<(), PageError>| match r {
        Err(e) => {
            seen.push(format!("{what}: {e}"));
            Ok(())
        }
        Ok(()) => Err(format!("{what} was accepted")),
    };
    refuse("free of a page inside a live block", page::free_pages(inside, 0))?;
    refuse("free of a live block with the wrong order", page::free_pages(pa, 1))?;
    page::free_pages(pa, 2).map_err(|e| format!("free: {e}"))?;
    refuse("double free", page::free_pages(pa, 2))?;
    // A frame nobody holds, per the owner records, above our old block.
    let lo = crate::mm::phys_to_pfn(pa) + 4;
    let unowned = (lo..lo + 4096).find(|&f| page::page_owner(f).is_none()).ok_or("no unowned frame within 4096 of our block")?;
    refuse("free of a never-allocated block", page::free_pages(crate::mm::pfn_to_phys(unowned), 0))?;
    refuse("free of an unaligned address", page::free_pages(pa + 8, 0))?;
    refuse("free outside managed memory", page::free_pages(PhysAddr::new(1 << 40), 0))?;
    if before.cma_total > 0 {
        let c = page::cma_alloc(4, 0, Owner::SELFTEST).map_err(|e| format!("cma_alloc: {e}"))?;
        refuse("CMA release of part of an allocation", page::cma_release(c, 2))?;
        page::cma_release(c, 4).map_err(|e| format!("cma_release: {e}"))?;
        refuse("CMA double release", page::cma_release(c, 4))?;
    }
    if page::stats() != before {
        return Err("a refused free changed the counters".into());
    }
    for s in &seen {
        log::info!("  refused as expected: {s}");
    }
    Ok(format!("{} bad frees refused, counters unchanged", seen.len()))
}

/// Page owners: an allocation is recorded with its owner, size and call
/// site, a frame inside it finds it, the per-owner count moves by exactly
/// its size and back, and the counts kept equal a recount of the records.
pub fn page_owner() -> Result<String, String> {
    let held = |o: Owner| page::owner_counts().map_or(0, |c| c.owner_total(o.code()));
    let before = held(Owner::SELFTEST);
    let line = line!() + 1;
    let pa = page::alloc_pages(3, false, Owner::SELFTEST).map_err(|e| format!("alloc: {e}"))?;
    let pfn = crate::mm::phys_to_pfn(pa);
    let check = || -> Result<String, String> {
        if held(Owner::SELFTEST) != before + 8 {
            return Err(format!("selftest owner holds {} pages, expected {} + 8", held(Owner::SELFTEST), before));
        }
        let info = page::page_owner(pfn + 5).ok_or_else(|| format!("no owner for pfn {:#x} inside the block", pfn + 5))?;
        let site = info.site.ok_or("no allocation site")?;
        if info.head_pfn != pfn || info.pages != 8 || info.owner != Owner::SELFTEST || !site.file().ends_with("selftest/mm.rs") || site.line() != line {
            return Err(format!("page_owner(pfn {:#x}) = {info}, expected the 8-page block at pfn {pfn:#x} from selftest/mm.rs:{line}", pfn + 5));
        }
        if page::page_owner(pfn + 8).is_some_and(|o| o.head_pfn == pfn) {
            return Err("the frame past the block is reported inside it".into());
        }
        let c = page::census().ok_or("no page allocator")?;
        if c.recount.counts != c.owned || c.recount.overlaps != 0 || c.recount.corrupt != 0 {
            return Err(format!("owner counts kept differ from the recount ({} overlaps, {} corrupt)", c.recount.overlaps, c.recount.corrupt));
        }
        Ok(format!("{info}"))
    };
    let r = check();
    page::free_pages(pa, 3).map_err(|e| format!("free: {e}"))?;
    let found = r?;
    if held(Owner::SELFTEST) != before || page::page_owner(pfn).is_some() {
        return Err("the record was not cleared at free".into());
    }
    Ok(format!("pfn {:#x}: {found}; cleared at free", pfn + 5))
}
