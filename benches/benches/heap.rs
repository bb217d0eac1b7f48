//! The kernel heap (`crates/kheap`: size-class slabs in front of first-fit
//! `linked_list_allocator` regions, the 2 MiB early arena as a permanent
//! region, growing from a page source: kernel/src/mm/heap.rs; here the page
//! source is host memory) against its previous configuration
//! (`linked_list_allocator::Heap::allocate_first_fit` alone over the arena)
//! and `talc` (crates.io; `Talc<Manual, DefaultBinning>` over the same size
//! of arena, `claim`ed once). A fourth contender is kheap confined to the
//! 2 MiB arena (its page source refuses), the same memory as the baselines:
//! at 75 % the growing kheap takes a 256 KiB block the others do not have.
//!
//! Workload, identical for all three: a 2 MiB arena (the kernel's early heap),
//! filled with random allocations of 8-512 bytes (uniform, align 8) to 15
//! points above the target share of the arena, then random ones freed down
//! to it. One operation = allocate 8-512 bytes, then free random live
//! allocations back to the target.

mod common;

use alloc_bench::{Arena, Bench, Case, Competitor, Pool, Rng, plot};
use kheap::{KHeap, PageSource};
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

/// The kernel's page source (the buddy allocator) stood in for by host
/// memory: 8 KiB pages, blocks aligned to their size, orders 0-10.
#[derive(Default)]
struct HostPages(Vec<(*mut u8, Layout)>);

impl PageSource for HostPages {
    type Error = &'static str;
    const PAGE_SIZE: usize = 8192;
    const MAX_ORDER: u32 = 10;
    fn alloc_block(&mut self, order: u32) -> Result<NonNull<u8>, &'static str> {
        let l = Layout::from_size_align(8192 << order, 8192 << order).unwrap();
        let p = NonNull::new(unsafe { std::alloc::alloc(l) }).ok_or("host allocation failed")?;
        self.0.push((p.as_ptr(), l));
        Ok(p)
    }
    fn free_block(&mut self, b: NonNull<u8>, _order: u32) -> Result<(), &'static str> {
        let i = self.0.iter().position(|&(p, _)| p == b.as_ptr()).ok_or("not a block of ours")?;
        let (p, l) = self.0.swap_remove(i);
        unsafe { std::alloc::dealloc(p, l) };
        Ok(())
    }
}

impl Drop for HostPages {
    fn drop(&mut self) {
        for &(p, l) in &self.0 {
            unsafe { std::alloc::dealloc(p, l) }
        }
    }
}

/// A page source that has nothing: the heap cannot grow past its arena,
/// like the two baselines (the equal-memory comparison).
#[derive(Default)]
struct NoPages;

impl PageSource for NoPages {
    type Error = &'static str;
    const PAGE_SIZE: usize = 8192;
    const MAX_ORDER: u32 = 10;
    fn alloc_block(&mut self, _order: u32) -> Result<NonNull<u8>, &'static str> {
        Err("no pages: arena only")
    }
    fn free_block(&mut self, _b: NonNull<u8>, _order: u32) -> Result<(), &'static str> {
        Err("no pages: arena only")
    }
}

/// The kernel heap's configuration: `KHeap::new(buddy, GROW_MIN)` plus
/// the early arena (kernel/src/mm/heap.rs). With `NoPages`, the arena alone.
struct Ours<S: PageSource> {
    heap: KHeap<S>,
    _mem: Memory,
}

impl<S: PageSource + Default> Ours<S> {
    fn new() -> Self {
        let mem = Memory::new();
        let mut heap = KHeap::new(S::default(), 256 << 10);
        unsafe { heap.add_region(mem.0.as_ptr(), ARENA).expect("arena") };
        Ours { heap, _mem: mem }
    }
}

impl<S: PageSource> Arena for Ours<S> {
    type Handle = NonNull<u8>;
    #[inline]
    fn alloc(&mut self, size: u32) -> Option<NonNull<u8>> {
        self.heap.alloc(layout(size)).ok()
    }
    #[inline]
    fn free(&mut self, p: NonNull<u8>, size: u32) {
        let r = unsafe { self.heap.free(p.as_ptr(), layout(size)) };
        debug_assert!(r.is_ok());
    }
}

/// The previous kernel heap: first fit over the arena alone.
struct Previous {
    heap: Heap,
    _mem: Memory,
}

impl Arena for Previous {
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
         target share of a 2 MiB arena (occupancy = requested bytes / arena); kheap may grow past the arena \
         (size classes round up), as the kernel heap does, the others cannot; 'kheap, 2 MiB arena only' is the same \
         heap with a page source that refuses, so it has exactly the memory the baselines have (its ratio is \
         ours-that-grows / arena-only)",
    );
    for occ in [25u32, 50, 75] {
        let ours = Pool::new(Ours::<HostPages>::new(), ARENA, occ, SEED, draw);
        let fixed = Pool::new(Ours::<NoPages>::new(), ARENA, occ, SEED, draw);
        let mem = Memory::new();
        let heap = unsafe { Heap::new(mem.0.as_ptr(), ARENA) };
        let previous = Pool::new(Previous { heap, _mem: mem }, ARENA, occ, SEED, draw);
        let mem = Memory::new();
        let mut talc = Talc::new(Manual);
        unsafe { talc.claim(mem.0.as_ptr(), ARENA).expect("talc claim") };
        let talc = Pool::new(TalcArena { talc, _mem: mem }, ARENA, occ, SEED, draw);
        let st = ours.a.heap.stats();
        println!(
            "   {occ}%: {} live allocations after prefill; kheap: {} slabs, {} KiB used ({} KiB requested), {} region(s), {} KiB grown from the page source",
            ours.live(),
            st.slabs,
            st.used >> 10,
            ours.used() >> 10,
            st.regions,
            st.source_pages * 8
        );
        let fx = fixed.a.heap.stats();
        println!(
            "   {occ}%: kheap arena only: {} live allocations after prefill, {} KiB used ({} KiB requested), {} slabs",
            fixed.live(),
            fx.used >> 10,
            fixed.used() >> 10,
            fx.slabs
        );
        let case = Case {
            label: format!("2MiB {occ}%"),
            size_bytes: ARENA as u64,
            occupancy_pct: occ,
            op_desc: "alloc+free pair, 8-512 bytes",
            ops: ops.clone(),
            competitors: vec![
                Competitor::new("ours kheap slabs + regions", true, ours),
                Competitor::new("previous linked_list_allocator first fit", false, previous),
                Competitor::new("talc", false, talc),
                Competitor::new("kheap, 2 MiB arena only (cannot grow)", false, fixed),
            ],
        };
        bench.run_case(case);
    }
    bench.finish();
    if let Some(p) = plot::plot_occupancy() {
        println!("wrote {}", p.display());
    }
}
