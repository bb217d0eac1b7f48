//! Memory self-tests: an allocation storm over the buddy allocator, the CMA
//! area and the heap (mixed orders and sizes, contents checked) that must
//! end with every counter exactly where it started, and the detection of
//! bad frees.

use crate::mm::heap;
use crate::mm::page::{self, PageError};
use crate::mm::{PAGE_SIZE, phys_ptr};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use super::splitmix::SplitMix;
use buddy::MAX_ORDER;


/// Writes `tag` into the first and last quadword of `bytes` at `pa`.
fn stamp(pa: u64, bytes: u64, tag: u64) {
    // SAFETY: the caller owns [pa, pa + bytes).
    unsafe {
        phys_ptr::<u64>(pa).write_volatile(tag);
        phys_ptr::<u64>(pa + bytes - 8).write_volatile(!tag);
    }
}

fn check_stamp(pa: u64, bytes: u64, tag: u64) -> Result<(), String> {
    // SAFETY: as for `stamp`.
    let (a, b) = unsafe { (phys_ptr::<u64>(pa).read_volatile(), phys_ptr::<u64>(pa + bytes - 8).read_volatile()) };
    if a != tag || b != !tag {
        return Err(format!("block {pa:#x} ({bytes} bytes) overwritten: {a:#x}/{b:#x}, expected tag {tag:#x}"));
    }
    Ok(())
}

fn is_zero(pa: u64, bytes: u64) -> bool {
    // SAFETY: the caller owns [pa, pa + bytes).
    let words = unsafe { core::slice::from_raw_parts(phys_ptr::<u64>(pa), (bytes / 8) as usize) };
    words.iter().all(|&w| w == 0)
}

pub fn storm() -> Result<String, String> {
    let before = page::stats();
    let heap_before = heap::stats();
    if before.managed == 0 {
        return Err("no buddy allocator".into());
    }
    let mut rng = SplitMix(0x5707_0a1f_a000_0001);
    let mut pages: Vec<(u64, u32)> = Vec::new();
    let mut cma: Vec<(u64, usize)> = Vec::new();
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    let (mut n_pages, mut n_cma, mut n_heap, mut failures) = (0, 0, 0, 0);
    let mut peak = heap_before;
    for step in 0..4000u64 {
        match rng.below(8) {
            0..=2 => {
                // Small orders are common, large ones rare (as in real use).
                let order = (rng.below(MAX_ORDER as u64 + 1) * rng.below(MAX_ORDER as u64 + 1) / MAX_ORDER as u64) as u32;
                let zero = rng.below(2) == 0;
                match page::alloc_pages(order, zero) {
                    Ok(pa) => {
                        let bytes = PAGE_SIZE << order;
                        if zero && !is_zero(pa, bytes) {
                            return Err(format!("alloc_pages({order}, zero) gave non-zero memory at {pa:#x}"));
                        }
                        stamp(pa, bytes, pa ^ step);
                        pages.push((pa, order));
                        n_pages += 1;
                    }
                    Err(PageError::Buddy(buddy::BuddyError::OutOfMemory { .. })) => failures += 1,
                    Err(e) => return Err(format!("alloc_pages({order}): {e}")),
                }
            }
            3 if !pages.is_empty() => {
                let (pa, order) = pages.swap_remove(rng.below(pages.len() as u64) as usize);
                let _ = pa; // the stamp is checked at the end for the survivors
                page::free_pages(pa, order).map_err(|e| format!("free_pages({pa:#x}, {order}): {e}"))?;
            }
            4 if before.cma_total > 0 => {
                let count = 1 + rng.below(512) as usize;
                let align = rng.below(5) as u32;
                match page::cma_alloc(count, align) {
                    Ok(pa) => {
                        if pa % (PAGE_SIZE << align) != 0 {
                            return Err(format!("cma_alloc({count}, align {align}) gave misaligned {pa:#x}"));
                        }
                        stamp(pa, count as u64 * PAGE_SIZE, pa);
                        cma.push((pa, count));
                        n_cma += 1;
                    }
                    Err(PageError::Cma(cma::CmaError::NoSpace { .. })) => failures += 1,
                    Err(e) => return Err(format!("cma_alloc({count}): {e}")),
                }
            }
            5 if !cma.is_empty() => {
                let (pa, count) = cma.swap_remove(rng.below(cma.len() as u64) as usize);
                check_stamp(pa, count as u64 * PAGE_SIZE, pa)?;
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
                blobs.push(v);
                n_heap += 1;
                let now = heap::stats();
                if now.buddy_pages > peak.buddy_pages {
                    peak = now;
                }
            }
            _ if !blobs.is_empty() => {
                let b = blobs.swap_remove(rng.below(blobs.len() as u64) as usize);
                let fill = b[0];
                if b.iter().any(|&x| x != fill) {
                    return Err(format!("heap block of {} bytes overwritten", b.len()));
                }
            }
            _ => {}
        }
    }
    for (pa, order) in pages.drain(..) {
        page::free_pages(pa, order).map_err(|e| format!("free_pages({pa:#x}, {order}): {e}"))?;
    }
    for (pa, count) in cma.drain(..) {
        check_stamp(pa, count as u64 * PAGE_SIZE, pa)?;
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
    if !crate::mm::boot::reconcile() {
        return Err("memory totals do not reconcile after the storm".into());
    }
    Ok(format!(
        "{n_pages} page blocks, {n_cma} CMA ranges, {n_heap} heap blocks (heap peak: {} regions, {} pages from the buddy allocator), {failures} allocations refused for lack of space; free counts back to {} pages, CMA {} free",
        peak.regions, peak.buddy_pages, after.free, after.cma_free
    ))
}

/// Bad frees must be refused with a clear error and change nothing.
pub fn bad_frees() -> Result<String, String> {
    let before = page::stats();
    let pa = page::alloc_pages(2, true).map_err(|e| format!("alloc: {e}"))?;
    page::free_pages(pa, 2).map_err(|e| format!("free: {e}"))?;
    let mut seen = Vec::new();
    for (what, r) in [
        ("double free", page::free_pages(pa, 2)),
        ("free of a never-allocated block", page::free_pages(pa + (PAGE_SIZE << 3), 0)),
        ("free of an unaligned address", page::free_pages(pa + 8, 0)),
        ("free outside managed memory", page::free_pages(1 << 40, 0)),
    ] {
        match r {
            Err(e) => seen.push(format!("{what}: {e}")),
            Ok(()) => return Err(format!("{what} was accepted")),
        }
    }
    if before.cma_total > 0 {
        let c = page::cma_alloc(4, 0).map_err(|e| format!("cma_alloc: {e}"))?;
        page::cma_release(c, 4).map_err(|e| format!("cma_release: {e}"))?;
        match page::cma_release(c, 4) {
            Err(e) => seen.push(format!("CMA double release: {e}")),
            Ok(()) => return Err("CMA double release was accepted".into()),
        }
    }
    if page::stats() != before {
        return Err("a refused free changed the counters".into());
    }
    for s in &seen {
        log::info!("  refused as expected: {s}");
    }
    Ok(format!("{} bad frees refused, counters unchanged", seen.len()))
}
