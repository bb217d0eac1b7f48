//! In-kernel benchmarks (`-append bench`): cycles per operation, from the
//! RPCC cycle counter, for the page allocators and the DMA API. Under QEMU
//! the counter runs at a fixed 250 MHz of virtual time, so the figures
//! compare operations with each other, not with real hardware.
//!
//! Allocation and free are timed separately: each round allocates a batch
//! of `n` (timed), then frees the `n` (timed), and each column is the median
//! over `ROUNDS` rounds of the batch's cycles divided by its operations.
//! So the allocation column sees the free lists as the frees of the
//! previous round left them, and the free column pays for the merges.

use crate::dma::{self, Direction, DmaDevice, WindowPolicy};
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page};
use crate::time;
use alloc::vec::Vec;
use log::{error, info};

const ROUNDS: usize = 256;

/// One row: median cycles per allocation and per free, the batch size,
/// and how many allocations and frees failed over all rounds.
struct Row {
    alloc: u64,
    free: u64,
    batch: usize,
    failed: usize,
    frees: usize,
    frees_failed: usize,
}

/// Times `ROUNDS` rounds of `batch` calls of `alloc` (the successes kept in
/// a vector reserved beforehand, so the timed loop does not touch the
/// heap), then `free` of each in allocation order (`free` says whether it
/// succeeded).
fn measure<T>(batch: usize, mut alloc: impl FnMut() -> Option<T>, mut free: impl FnMut(T) -> bool) -> Row {
    let mut held: Vec<T> = Vec::with_capacity(batch);
    let mut a = Vec::with_capacity(ROUNDS);
    let mut f = Vec::with_capacity(ROUNDS);
    let (mut failed, mut frees, mut frees_failed) = (0, 0, 0);
    for _ in 0..ROUNDS {
        let t0 = time::cycles();
        for _ in 0..batch {
            match alloc() {
                Some(x) => held.push(x),
                None => failed += 1,
            }
        }
        let t1 = time::cycles();
        let n = held.len() as u64;
        frees += held.len();
        for x in held.drain(..) {
            if !free(x) {
                frees_failed += 1;
            }
        }
        let t2 = time::cycles();
        if n > 0 {
            a.push((t1 - t0) / n);
            f.push((t2 - t1) / n);
        }
    }
    a.sort_unstable();
    f.sort_unstable();
    let mid = |v: &Vec<u64>| if v.is_empty() { 0 } else { v[v.len() / 2] };
    Row { alloc: mid(&a), free: mid(&f), batch, failed, frees, frees_failed }
}

fn row(label: &str, r: Row) {
    let mut what = Vec::new();
    if r.failed > 0 {
        what.push(alloc::format!("{} of {} allocations failed", r.failed, r.batch * ROUNDS));
    }
    if r.frees_failed > 0 {
        what.push(alloc::format!("{} of {} frees failed", r.frees_failed, r.frees));
    }
    let fails = if what.is_empty() { alloc::string::String::new() } else { alloc::format!("  ({})", what.join(", ")) };
    info!("bench: {:<34} {:>5} {:>10} {:>10}{}", label, r.batch, r.alloc, r.free, fails);
}

pub fn run() {
    info!(
        "bench: cycles per operation, allocation and free timed separately (median of {ROUNDS} rounds of a batch of \
         allocations, then their frees; {} MHz counter)",
        time::freq() / 1_000_000
    );
    info!("bench: {:<34} {:>5} {:>10} {:>10}", "operation", "batch", "alloc/map", "free/unmap");
    for order in [0u32, 1, 2, 4, 6, 8, 10] {
        // At most 8 MiB held at once (order 10 is 8 MiB).
        let batch = (1024usize >> order).clamp(1, 8);
        let r = measure(
            batch,
            || page::alloc_pages(order, false, Owner::BENCH).ok(),
            |pa| {
                page::free_pages(pa, order).is_ok()
            },
        );
        row(&alloc::format!("pages order {order}"), r);
    }
    let cma_total = page::stats().cma_total;
    if cma_total > 0 {
        for count in [1usize, 16, 128, 512] {
            // At most a quarter of the area held at once.
            let batch = (cma_total / 4 / count).clamp(1, 8);
            let r = measure(
                batch,
                || page::cma_alloc(count, 0, Owner::BENCH).ok(),
                |pa| {
                    page::cma_release(pa, count).is_ok()
                },
            );
            row(&alloc::format!("cma {count} pages"), r);
        }
    }
    let devs = [
        DmaDevice::new("bench-direct", u64::MAX, WindowPolicy::Auto),
        DmaDevice::new("bench-sg", u64::MAX, WindowPolicy::ForceSg),
    ];
    for d in &devs {
        for size in [PAGE_SIZE as usize, 16 * PAGE_SIZE as usize] {
            // A refused free is reported by DMA-API debug (ERROR lines).
            let r = measure(4, || dma::alloc_coherent(d, size).ok(), |buf| buf.free().is_ok());
            row(&alloc::format!("coherent {} KiB {}", size >> 10, d.name), r);
        }
        // Eight distinct 128 KiB buffers, so no two live mappings share
        // memory.
        const BUFS: usize = 8;
        let bufs: Vec<PhysAddr> = (0..BUFS).filter_map(|_| page::alloc_pages(4, false, Owner::BENCH).ok()).collect();
        if bufs.len() == BUFS {
            for len in [1500usize, 64 << 10] {
                let mut next = 0;
                let r = measure(
                    BUFS,
                    || {
                        let pa = bufs[next % BUFS];
                        next += 1;
                        dma::map_single(d, pa, len, Direction::ToDevice).ok()
                    },
                    |m| m.unmap().is_ok(),
                );
                row(&alloc::format!("map_single {len} B {}", d.name), r);
            }
        } else {
            info!("bench: map_single skipped: {BUFS} buffers of 128 KiB not available");
        }
        for pa in bufs {
            if let Err(e) = page::free_pages(pa, 4) {
                error!("bench: freeing a map_single buffer at {pa:#x} failed: {e}");
            }
        }
    }
    info!("bench: done");
}
