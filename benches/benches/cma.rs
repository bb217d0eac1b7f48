//! Our `cma` crate (bitmap searched a word at a time on the raw words;
//! `bitvec` only for setting and clearing ranges)
//! against Linux's `cma_alloc` bitmap search, `bitmap_find_next_zero_area_off`
//! from lib/bitmap.c, written in this crate (`alloc_bench::linux`) twice:
//! with `find_next_zero_bit`/`find_next_bit` a word at a time as
//! lib/find_bit.c really does it, and one bit at a time.
//!
//! Workload, identical for all: a 256 MiB area (32768 pages of 8 KiB, one
//! bit per page) filled with random requests to 15 points above the target
//! occupancy, then random allocations released down to it (fragmented).
//! One operation = allocate 1-512 pages (log-uniform) aligned as
//! `dma_alloc_contiguous` does (`min(get_order(size), CONFIG_CMA_ALIGNMENT = 8)`),
//! then release random live allocations back to the target.

mod common;

use alloc_bench::linux::LinuxCma;
use alloc_bench::{Arena, Bench, Case, Competitor, Pool, Rng, log_uniform, plot};
use cma::{Cma, bitmap_words};

/// `min(get_order(count pages), CONFIG_CMA_ALIGNMENT)`.
fn align_order(count: u32) -> u32 {
    count.next_power_of_two().trailing_zeros().min(8)
}

struct Ours<'a>(Cma<'a>);

impl Arena for Ours<'_> {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, count: u32) -> Option<usize> {
        self.0.alloc(count as usize, align_order(count)).ok()
    }
    #[inline]
    fn free(&mut self, pfn: usize, count: u32) {
        self.0.release(pfn, count as usize).expect("cma release");
    }
}

struct Linux<const BITWISE: bool>(LinuxCma<BITWISE>);

impl<const BITWISE: bool> Arena for Linux<BITWISE> {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, count: u32) -> Option<usize> {
        self.0.alloc(count as usize, align_order(count))
    }
    #[inline]
    fn free(&mut self, pfn: usize, count: u32) {
        assert!(self.0.release(pfn, count as usize));
    }
}

const SEED: u64 = 0xc0a1_e5ce;
const BASE_PFN: usize = 0x1_0000;
const PAGES: usize = (256 << 20) / 8192;

fn draw(rng: &mut Rng) -> u32 {
    log_uniform(rng, 512)
}

fn main() {
    let mut bench = Bench::new("cma", common::criterion);
    let nops = bench.pick(10_000, 300);
    let mut rng = Rng::new(7);
    let ops: Vec<u32> = (0..nops).map(|_| draw(&mut rng)).collect();
    bench.note(
        "one op = cma alloc of 1-512 pages (log-uniform, align min(order,8)) + release(s) of random live \
         allocations back to the target; 256 MiB area, 1 bit per page",
    );
    let mut bitmap = vec![0usize; bitmap_words(PAGES, 0)];
    for occ in [25u32, 50, 75] {
        let ours = Cma::new(BASE_PFN, PAGES, 0, &mut bitmap).unwrap();
        let ours = Pool::new(Ours(ours), PAGES, occ, SEED, draw);
        let word = Pool::new(
            Linux::<false>(LinuxCma::new(BASE_PFN, PAGES, 0)),
            PAGES,
            occ,
            SEED,
            draw,
        );
        let bit = Pool::new(
            Linux::<true>(LinuxCma::new(BASE_PFN, PAGES, 0)),
            PAGES,
            occ,
            SEED,
            draw,
        );
        println!("   {occ}%: {} live allocations after prefill", ours.live());
        let case = Case {
            label: format!("256MiB {occ}%"),
            size_bytes: 256 << 20,
            occupancy_pct: occ,
            op_desc: "alloc+release pair, 1-512 pages",
            ops: ops.clone(),
            competitors: vec![
                Competitor::new("ours cma::Cma", true, ours),
                Competitor::new("Linux cma_alloc (find_bit.c word-wise)", false, word),
                Competitor::new("Linux cma_alloc (bit-at-a-time search)", false, bit),
            ],
        };
        bench.run_case(case);
    }
    bench.finish();
    if let Some(p) = plot::plot_occupancy() {
        println!("wrote {}", p.display());
    }
}
