//! In-kernel benchmarks (`-append bench`): cycles per operation, from the
//! RPCC cycle counter, for the page allocators and the DMA API. Under QEMU
//! the counter runs at a fixed 250 MHz of virtual time, so the figures
//! compare operations with each other, not with real hardware.

use crate::dma::{self, Direction, DmaDevice, WindowPolicy};
use crate::mm::{PAGE_SIZE, page};
use crate::time;
use alloc::vec::Vec;
use log::info;

const ROUNDS: usize = 256;

/// Median cycles per call of `op` over `ROUNDS` timed batches of `batch`.
fn measure(batch: usize, mut op: impl FnMut()) -> u64 {
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t0 = time::cycles();
        for _ in 0..batch {
            op();
        }
        samples.push((time::cycles() - t0) / batch as u64);
    }
    samples.sort_unstable();
    samples[ROUNDS / 2]
}

pub fn run() {
    info!("bench: cycles per operation (median of {ROUNDS} batches; {} MHz counter)", time::freq() / 1_000_000);
    info!("bench: {:<34} {:>10}", "operation", "cycles");
    for order in [0u32, 1, 2, 4, 6, 8, 10] {
        let c = measure(8, || {
            if let Ok(pa) = page::alloc_pages(order, false) {
                let _ = page::free_pages(pa, order);
            }
        });
        info!("bench: {:<34} {:>10}", alloc::format!("alloc_pages+free_pages order {order}"), c);
    }
    if page::stats().cma_total > 0 {
        for count in [1usize, 16, 128, 512] {
            let c = measure(8, || {
                if let Ok(pa) = page::cma_alloc(count, 0) {
                    let _ = page::cma_release(pa, count);
                }
            });
            info!("bench: {:<34} {:>10}", alloc::format!("cma_alloc+cma_release {count} pages"), c);
        }
    }
    let devs = [
        DmaDevice { name: "bench-direct", dma_mask: u64::MAX, policy: WindowPolicy::Auto },
        DmaDevice { name: "bench-sg", dma_mask: u64::MAX, policy: WindowPolicy::ForceSg },
    ];
    for d in &devs {
        for size in [PAGE_SIZE as usize, 16 * PAGE_SIZE as usize] {
            let c = measure(4, || {
                if let Ok(buf) = dma::alloc_coherent(d, size) {
                    dma::free_coherent(d, buf);
                }
            });
            info!("bench: {:<34} {:>10}", alloc::format!("alloc+free_coherent {} KiB {}", size >> 10, d.name), c);
        }
        if let Ok(pa) = page::alloc_pages(4, false) {
            for len in [1500usize, 64 << 10] {
                let c = measure(8, || {
                    if let Ok(bus) = dma::map_single(d, pa, len, Direction::ToDevice) {
                        let _ = dma::unmap_single(d, bus, len, Direction::ToDevice);
                    }
                });
                info!("bench: {:<34} {:>10}", alloc::format!("map+unmap_single {len} B {}", d.name), c);
            }
            let _ = page::free_pages(pa, 4);
        }
    }
    info!("bench: done");
}
