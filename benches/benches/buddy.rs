//! Our `buddy` crate against `buddy_system_allocator::FrameAllocator`
//! (crates.io, per-order `BTreeSet` free lists), both with orders 0..=10.
//!
//! Workload, identical for both: managed memory of 1 GiB and 32 GiB of
//! 8 KiB frames, filled with random blocks of order 0..=4 to 15 points above
//! the target occupancy, then random blocks freed down to it (fragmented).
//! One operation = allocate a block of a random order 0..=4, then free
//! random live blocks until the allocated pages are back at or below the
//! target (on average one free per allocation): an alloc+free pair.

mod common;

use alloc_bench::{Arena, Bench, Case, Competitor, Pool, Rng, human, plot, print_size_scaling};
use buddy::{BuddyAllocator, FrameMeta};
use buddy_system_allocator::FrameAllocator;

struct Ours<'a>(BuddyAllocator<'a>);

impl Arena for Ours<'_> {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<usize> {
        self.0.alloc(order).ok()
    }
    #[inline]
    fn free(&mut self, pfn: usize, order: u32) {
        self.0.free(pfn, order).expect("buddy free");
    }
    fn weight(order: u32) -> usize {
        1 << order
    }
}

/// Max order 10 (`ORDER - 1`), like ours.
struct Bsa(FrameAllocator<11>);

impl Arena for Bsa {
    type Handle = usize;
    #[inline]
    fn alloc(&mut self, order: u32) -> Option<usize> {
        self.0.alloc(1 << order)
    }
    #[inline]
    fn free(&mut self, pfn: usize, order: u32) {
        self.0.dealloc(pfn, 1 << order)
    }
    fn weight(order: u32) -> usize {
        1 << order
    }
}

const SEED: u64 = 0x5eed_b0dd;
/// The "recent" variant frees only among the 1024 newest live blocks.
const RECENT: usize = 1024;

fn order(rng: &mut Rng) -> u32 {
    rng.range(0, 4) as u32
}

fn main() {
    let mut bench = Bench::new("buddy", common::criterion);
    const FRAME: u64 = 8192;
    let sizes: Vec<u64> = bench.pick(vec![1 << 30, 32 << 30], vec![64 << 20, 1 << 30]);
    let nops = bench.pick(20_000, 500);
    let mut rng = Rng::new(42);
    let ops: Vec<u32> = (0..nops).map(|_| order(&mut rng)).collect();
    let max_frames = (*sizes.iter().max().unwrap() / FRAME) as usize;
    bench.note(format!(
        "one op = alloc of a random order 0-4 + free(s) of random live blocks back to the target occupancy; \
         FrameMeta {} bytes/frame ({} for {}); \"recent\": frees only among the {RECENT} newest live blocks \
         (small working set, isolates the algorithm from cache misses over the metadata)",
        std::mem::size_of::<FrameMeta>(),
        human((std::mem::size_of::<FrameMeta>() * max_frames) as u64),
        human(*sizes.iter().max().unwrap())
    ));
    let mut meta = vec![FrameMeta::UNMANAGED; max_frames];
    for &size in &sizes {
        let frames = (size / FRAME) as usize;
        for (variant, window) in [("", 0), (" recent", RECENT)] {
            for occ in [25u32, 50, 75] {
                let mut ours = BuddyAllocator::new(0, &mut meta[..frames]).unwrap();
                ours.add_free_range(0, frames).unwrap();
                let mut bsa = FrameAllocator::<11>::new();
                bsa.add_frame(0, frames);
                let case = Case {
                    label: format!("{} {}%{variant}", human(size), occ),
                    size_bytes: size,
                    occupancy_pct: occ,
                    op_desc: "alloc+free pair, random order 0-4",
                    ops: ops.clone(),
                    competitors: vec![
                        Competitor::new(
                            "ours buddy::BuddyAllocator",
                            true,
                            Pool::new(Ours(ours), frames, occ, SEED, order).recent_only(window),
                        ),
                        Competitor::new(
                            "buddy_system_allocator::FrameAllocator",
                            false,
                            Pool::new(Bsa(bsa), frames, occ, SEED, order).recent_only(window),
                        ),
                    ],
                };
                bench.run_case(case);
            }
        }
    }
    let rows = bench.finish();
    print_size_scaling(&rows, sizes[0], sizes[1]);
    if let Some(p) = plot::plot_occupancy() {
        println!("wrote {}", p.display());
    }
}
