//! The kernel heap's allocator configuration (`linked_list_allocator::Heap`,
//! `allocate_first_fit`, over a fixed arena: kernel/src/mm/heap.rs) against
//! `talc` (crates.io; `Talc<Manual, DefaultBinning>` over the same size of
//! arena, `claim`ed once).
//!
//! Workload, identical for both: a 2 MiB arena (the kernel's early heap),
//! filled with random allocations of 8-512 bytes (uniform, align 8) to 15
//! points above the target share of the arena, then random ones freed down
//! to it. One operation = allocate 8-512 bytes, then free random live
//! allocations back to the target.

mod common;

use alloc_bench::{Arena, Bench, Case, Competitor, Pool, Rng, plot};
use linked_list_allocator::Heap;
use std::alloc::Layout;
use std::ptr::NonNull;
use talc::DefaultBinning;
use talc::base::Talc;
use talc::source::Manual;

const ARENA: usize = 2 << 20;
const SEED: u64 = 0x4ea9;

/// Page-aligned memory from the host, freed on drop.
struct Memory(NonNull<u8>);

impl Memory {
    fn new() -> Self {
        let p = unsafe { std::alloc::alloc_zeroed(Self::layout()) };
        Memory(NonNull::new(p).expect("host allocation"))
    }
    fn layout() -> Layout {
        Layout::from_size_align(ARENA, 8192).unwrap()
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        unsafe { std::alloc::dealloc(self.0.as_ptr(), Self::layout()) }
    }
}

#[inline]
fn layout(size: u32) -> Layout {
    Layout::from_size_align(size as usize, 8).unwrap()
}

struct Ours {
    heap: Heap,
    _mem: Memory,
}

impl Arena for Ours {
    type Handle = NonNull<u8>;
    #[inline]
    fn alloc(&mut self, size: u32) -> Option<NonNull<u8>> {
        self.heap.allocate_first_fit(layout(size)).ok()
    }
    #[inline]
    fn free(&mut self, p: NonNull<u8>, size: u32) {
        unsafe { self.heap.deallocate(p, layout(size)) }
    }
}

struct TalcArena {
    talc: Talc<Manual, DefaultBinning>,
    _mem: Memory,
}

impl Arena for TalcArena {
    type Handle = NonNull<u8>;
    #[inline]
    fn alloc(&mut self, size: u32) -> Option<NonNull<u8>> {
        unsafe { self.talc.allocate(layout(size)) }
    }
    #[inline]
    fn free(&mut self, p: NonNull<u8>, size: u32) {
        unsafe { self.talc.deallocate(p.as_ptr(), layout(size)) }
    }
}

fn draw(rng: &mut Rng) -> u32 {
    rng.range(8, 512) as u32
}

fn main() {
    let mut bench = Bench::new("heap", common::criterion);
    let nops = bench.pick(10_000, 300);
    let mut rng = Rng::new(3);
    let ops: Vec<u32> = (0..nops).map(|_| draw(&mut rng)).collect();
    bench.note(
        "one op = alloc of 8-512 bytes (uniform, align 8) + free(s) of random live allocations back to the \
         target share of a 2 MiB arena (occupancy = requested bytes / arena)",
    );
    for occ in [25u32, 50, 75] {
        let mem = Memory::new();
        let heap = unsafe { Heap::new(mem.0.as_ptr(), ARENA) };
        let ours = Pool::new(Ours { heap, _mem: mem }, ARENA, occ, SEED, draw);
        let mem = Memory::new();
        let mut talc = Talc::new(Manual);
        unsafe { talc.claim(mem.0.as_ptr(), ARENA).expect("talc claim") };
        let talc = Pool::new(TalcArena { talc, _mem: mem }, ARENA, occ, SEED, draw);
        println!("   {occ}%: {} live allocations after prefill", ours.live());
        let case = Case {
            label: format!("2MiB {occ}%"),
            size_bytes: ARENA as u64,
            occupancy_pct: occ,
            op_desc: "alloc+free pair, 8-512 bytes",
            ops: ops.clone(),
            competitors: vec![
                Competitor::new("ours linked_list_allocator first fit", true, ours),
                Competitor::new("talc", false, talc),
            ],
        };
        bench.run_case(case);
    }
    bench.finish();
    if let Some(p) = plot::plot_occupancy() {
        println!("wrote {}", p.display());
    }
}
