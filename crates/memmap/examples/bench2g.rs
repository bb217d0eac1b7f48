//! The cost of the `/memory` page for a 2 GiB machine (262,144 pages of
//! 8 KiB), on the host: a synthetic map like the kernel's after boot, and
//! a fragmented one (a class change every 1-8 pages over all of memory),
//! written in 16 KiB chunks as the kernel streams it. Prints bytes,
//! chunks, the largest chunk and the time.
//!
//! `cargo run --release -p memmap --example bench2g`

use memmap::page::{Memory, PageState, Sink, write_chunk};
use memmap::{Class, Run};
use std::fmt::{self, Write};
use std::time::Instant;

const PAGES: u64 = 262_144;

struct Map(Vec<Run>);

impl Memory for Map {
    fn runs(&self, from: u64, to: u64, out: &mut [Run]) -> usize {
        let mut i = self.0.partition_point(|r| r.end() <= from);
        let mut n = 0;
        let mut pfn = from;
        while pfn < to && n < out.len() && i < self.0.len() {
            let r = self.0[i];
            let end = r.end().min(to);
            out[n] = Run::new(pfn, end - pfn, r.class);
            n += 1;
            pfn = end;
            i += 1;
        }
        n
    }
    fn owner_name(&self, owner: u8, w: &mut dyn Write) -> fmt::Result {
        w.write_str(["?", "heap", "iommu-tables", "net-buffers", "selftest", "bench"].get(owner as usize).unwrap_or(&"dma-coherent:tulip"))
    }
    fn span(&self) -> (u64, u64) {
        (0, PAGES)
    }
    fn cma_area(&self) -> (u64, u64) {
        (0x3f000, 0x3f800)
    }
    fn iommu_arena(&self, i: usize) -> Option<(&'static str, u64)> {
        [("ISA", 1024u64), ("PCI", 131_072)].get(i).copied()
    }
    fn iommu_runs(&self, i: usize, from: u64, out: &mut [(u64, u64, u8)]) -> usize {
        let total = [1024u64, 131_072][i];
        if from >= total || out.is_empty() {
            return 0;
        }
        out[0] = (from, total - from, 0);
        1
    }
}

struct Chunk(String);

impl Write for Chunk {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > 16 * 1024 {
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

impl Sink for Chunk {
    fn room(&self) -> usize {
        16 * 1024 - self.0.len()
    }
}

fn build(runs: &[(u64, Class)]) -> Map {
    let mut v = Vec::new();
    let mut pfn = 0;
    for &(n, c) in runs {
        v.push(Run::new(pfn, n, c));
        pfn += n;
    }
    assert_eq!(pfn, PAGES);
    Map(v)
}

fn measure(name: &str, map: &Map, query: &str) {
    let t = Instant::now();
    let mut st = PageState::parse(query, map.span()).unwrap();
    let (mut bytes, mut chunks, mut largest) = (0usize, 0usize, 0usize);
    loop {
        let mut c = Chunk(String::with_capacity(16 * 1024));
        let done = write_chunk(map, &mut st, &mut c).expect("a chunk overflowed");
        bytes += c.0.len();
        largest = largest.max(c.0.len());
        chunks += 1;
        if done {
            break;
        }
    }
    let us = t.elapsed().as_micros();
    println!(
        "{name:<34} {:>6} runs  {bytes:>9} bytes  {chunks:>4} chunks (largest {largest} bytes)  {:>8.2} ms",
        map.0.len(),
        us as f64 / 1000.0
    );
}

fn main() {
    // Like the kernel at 2 GiB after boot: firmware, free space, kernel,
    // free blocks, allocator metadata, CMA below 2 GiB... mostly order-10
    // free blocks.
    let mut boot = vec![(15, Class::Firmware), (1, Class::BuddyFree(0)), (16, Class::BuddyFree(4)), (32, Class::BuddyFree(5)), (64, Class::BuddyFree(6)), (264, Class::BuddyFree(7)), (472, Class::Kernel)];
    boot.push((35, Class::Owned { owner: 2, cma: false }));
    boot.push((17, Class::Owned { owner: 3, cma: false }));
    boot.push((2, Class::Owned { owner: 16, cma: false }));
    let used: u64 = boot.iter().map(|r| r.0).sum();
    let to_cma = 0x3f000 - used - 600;
    boot.push((to_cma, Class::BuddyFree(10)));
    boot.push((600, Class::Reserved));
    boot.push((2048, Class::CmaFree));
    boot.push((PAGES - 0x3f800, Class::BuddyFree(10)));
    let boot = build(&boot);
    // Fragmented: a class change every 1-8 pages everywhere.
    let mut frag = Vec::new();
    let (mut pfn, mut x) = (0u64, 0x9e37_79b9_7f4a_7c15u64);
    while pfn < PAGES {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (1 + x % 8).min(PAGES - pfn);
        let c = match (x >> 8) % 6 {
            0 => Class::BuddyFree((x >> 16) as u8 % 11),
            1 => Class::Owned { owner: 1, cma: false },
            2 => Class::Owned { owner: 4, cma: false },
            3 => Class::Reserved,
            4 => Class::Owned { owner: 16, cma: false },
            _ => Class::BuddyFree(0),
        };
        frag.push((n, c));
        pfn += n;
    }
    let frag = build(&frag);
    println!("/memory for 2 GiB (262,144 pages; 32,768 cells of 64 KiB), 16 KiB chunks:");
    measure("boot-like map, whole memory", &boot, "");
    measure("fragmented map, whole memory", &frag, "");
    measure("fragmented map, zoom 256 MiB", &frag, "from=0x8000&to=0x10000");
}
