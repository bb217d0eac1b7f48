//! Our `iommu-arena` crate against Linux's Alpha `iommu_arena_alloc` /
//! `iommu_arena_find_pages` (arch/alpha/kernel/pci_iommu.c), written in this
//! crate (`alloc_bench::linux::LinuxIommuArena`): a linear first-fit scan
//! from `next_entry`, one PTE at a time, flush and restart from 0 at the end.
//!
//! Ours runs twice: with `FlushPolicy::LazyWrap` (Linux's policy) and with
//! `FlushPolicy::DirtyBitmap` (what the kernel uses). The TLB is a no-op
//! for all three (Linux's `mv_pci_tbi` is a counted no-op).
//!
//! Workload, identical for all: the 1 GiB PCI scatter-gather window
//! (131072 PTEs, bus base 1 GiB, `align_entry` 4 as on Tsunami) filled with
//! random mappings to 15 points above the target occupancy, then random
//! mappings unmapped down to it. One operation = map 8 KiB-1 MiB (1-128
//! pages, log-uniform; `alloc`), then unmap random live mappings (`free`)
//! back to the target.

mod common;

use alloc_bench::linux::LinuxIommuArena;
use alloc_bench::{Arena, Bench, Case, Competitor, Pool, Rng, log_uniform, plot};
use iommu_arena::{FlushPolicy, IommuArena, IommuTlb, dirty_bitmap_words};

struct NopTlb;

impl IommuTlb for NopTlb {
    #[inline]
    fn invalidate_all(&mut self) {}
    #[inline]
    fn invalidate_range(&mut self, _first: u64, _last: u64) {}
}

struct Ours<'a>(IommuArena<'a>);

impl Arena for Ours<'_> {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, npages: u32) -> Option<usize> {
        // As the kernel's DMA API calls it (kernel/src/dma/iommu.rs).
        self.0.alloc(npages as usize, 1, None, &mut NopTlb).ok()
    }
    #[inline]
    fn free(&mut self, entry: usize, npages: u32) {
        self.0
            .free(entry, npages as usize, &mut NopTlb)
            .expect("arena free");
    }
}

struct Linux(LinuxIommuArena);

impl Arena for Linux {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, npages: u32) -> Option<usize> {
        // pci_map_single: align 0 (mask = align_entry - 1).
        self.0.alloc(npages as usize, 0)
    }
    #[inline]
    fn free(&mut self, entry: usize, npages: u32) {
        self.0.free(entry, npages as usize)
    }
}

const SEED: u64 = 0x10_3300;
const DMA_BASE: u64 = 0x4000_0000;
const ENTRIES: usize = (1 << 30) / 8192;
const ALIGN_ENTRY: usize = 4;

fn draw(rng: &mut Rng) -> u32 {
    log_uniform(rng, 128)
}

fn main() {
    let mut bench = Bench::new("iommu", common::criterion);
    let nops = bench.pick(20_000, 500);
    let mut rng = Rng::new(11);
    let ops: Vec<u32> = (0..nops).map(|_| draw(&mut rng)).collect();
    bench.note(
        "one op = map of 1-128 pages (8 KiB-1 MiB, log-uniform) + unmap(s) of random live mappings back to the \
         target; 1 GiB window, align_entry 4, no-op TLB",
    );
    let mut ptes_lazy = vec![0u64; ENTRIES];
    let mut ptes_dirty = vec![0u64; ENTRIES];
    let mut dirty = vec![0u64; dirty_bitmap_words(ENTRIES)];
    for occ in [25u32, 50, 75] {
        let lazy =
            IommuArena::new(DMA_BASE, &mut ptes_lazy, ALIGN_ENTRY, FlushPolicy::LazyWrap).unwrap();
        let dbm = IommuArena::new(
            DMA_BASE,
            &mut ptes_dirty,
            ALIGN_ENTRY,
            FlushPolicy::DirtyBitmap(&mut dirty),
        )
        .unwrap();
        let linux = LinuxIommuArena::new(DMA_BASE, ENTRIES, ALIGN_ENTRY);
        let case = Case {
            label: format!("1GiB {occ}%"),
            size_bytes: 1 << 30,
            occupancy_pct: occ,
            op_desc: "map+unmap pair, 1-128 pages",
            ops: ops.clone(),
            competitors: vec![
                Competitor::new(
                    "ours IommuArena LazyWrap",
                    true,
                    Pool::new(Ours(lazy), ENTRIES, occ, SEED, draw),
                ),
                Competitor::new(
                    "ours IommuArena DirtyBitmap",
                    true,
                    Pool::new(Ours(dbm), ENTRIES, occ, SEED, draw),
                ),
                Competitor::new(
                    "Linux iommu_arena_alloc",
                    false,
                    Pool::new(Linux(linux), ENTRIES, occ, SEED, draw),
                ),
            ],
        };
        bench.run_case(case);
    }
    bench.finish();
    if let Some(p) = plot::plot_occupancy() {
        println!("wrote {}", p.display());
    }
}
