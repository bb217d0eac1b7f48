//! The stub's copy plan (srm_image::relocate): fixed layouts, including the
//! ones the QEMU runner boots, and a property test that *executes* each plan
//! on a simulated physical memory, the way the stub and its tail do, with
//! the boot program's pages scattered at random (SRM may place them
//! anywhere), and checks that the kernel arrives intact while no page
//! table, console page, or code still to run is overwritten. Refusals are
//! checked against a brute-force search.
//!
//! This tests the algorithm, not the assembly: boot/srm-stub.s is tested in
//! QEMU (tools/runner, srm-stub-*), where the runner also compares the
//! stub's printed choices with this model's.

use proptest::prelude::*;
use srm_image::relocate::{
    Cluster, HIT_KERNEL, HIT_PAGE_TABLE, HIT_STUB, Layout, Page, Plan, PlanError, plan_relocation, qemu_layout,
};
use srm_image::{KSEG_BASE, StubHeader};

const K: u64 = KSEG_BASE;

/// Our kernel's header as srm-image writes it today (sizes rounded).
fn header(kernel_len: u64) -> StubHeader {
    StubHeader {
        kernel_len,
        load_address: K + 0x31_0000,
        entry: K + 0x31_0000,
        image_end: K + 0x67_4000,
        cmdline_page: K + 0x30_a000,
        checksum: 0,
    }
}

#[test]
fn the_qemu_layouts_the_runner_boots() {
    let h = header(0x14_f480);
    let mem = 256 << 20;
    // 16 MiB: far above the kernel, copied directly; the tail at the image end.
    let l = qemu_layout(0x100_0000, 0x14c0, &h, 0x1e000, 0xc000, mem);
    assert_eq!(l.scan(0x30_a000, 0x31_0000 + 0x14_f480), 0);
    assert_eq!(plan_relocation(&l), Ok(Plan::Direct { tail: 0x67_4000 }));
    // 0x380000: stub and kernel pages inside the destination: bounce at the
    // image end, tail after the bounce buffer (what the stub printed).
    let l = qemu_layout(0x38_0000, 0x14c0, &h, 0x1e000, 0xc000, mem);
    assert_eq!(l.scan(0x30_a000, 0x31_0000 + 0x14_f480), HIT_KERNEL | HIT_STUB);
    assert_eq!(plan_relocation(&l), Ok(Plan::Bounce { bounce: 0x67_4000, tail: 0x7c_4000 }));
    // 0x200000: the stub below the destination, the kernel across it.
    let l = qemu_layout(0x20_0000, 0x14c0, &h, 0x1e000, 0xc000, mem);
    assert_eq!(l.scan(0x30_a000, 0x31_0000 + 0x14_f480), HIT_KERNEL);
    assert!(matches!(plan_relocation(&l), Ok(Plan::Bounce { bounce: 0x67_4000, .. })));
    // 0x600000: the program lies where the tail would go: the search moves up.
    let l = qemu_layout(0x60_0000, 0x14c0, &h, 0x1e000, 0xc000, mem);
    assert_eq!(plan_relocation(&l), Ok(Plan::Direct { tail: 0x75_2000 }));
}

#[test]
fn refusals() {
    let h = header(0x14_f480);
    // Only 6 MiB of memory: no room for the tail above the image end + bounce.
    let l = qemu_layout(0x38_0000, 0x14c0, &h, 0x1e000, 0xc000, 7 << 20);
    assert_eq!(plan_relocation(&l), Err(PlanError::NoRoom));
    // The console owns the destination.
    let l = qemu_layout(0x100_0000, 0x14c0, &h, 0x40_0000, 0xc000, 256 << 20);
    assert_eq!(plan_relocation(&l), Err(PlanError::DestinationNotFree));
    // The level-1 page table where the kernel goes.
    let l = qemu_layout(0x100_0000, 0x14c0, &h, 0x1e000, 0x32_0000, 256 << 20);
    assert_eq!(l.scan(0x30_a000, 0x46_0000), HIT_PAGE_TABLE);
    assert_eq!(plan_relocation(&l), Err(PlanError::PageTableInDestination));
    // A level-3 table mapping the program where the kernel goes.
    let mut l = qemu_layout(0x100_0000, 0x14c0, &h, 0x1e000, 0xc000, 256 << 20);
    l.pages[3].tables = vec![0x40_0000, 0x10000];
    assert_eq!(plan_relocation(&l), Err(PlanError::PageTableInDestination));
}

// --- the simulation ---------------------------------------------------------

const PS: u64 = 128; // a small page: 16 quadwords
const Q: u64 = PS / 8;

/// A layout over a memory of `npages` small pages, with the memory filled
/// so that every quadword is distinct, and the program written through its
/// page map.
#[derive(Debug, Clone)]
struct World {
    layout: Layout,
    mem: Vec<u64>,
    kernel: Vec<u64>,
}

impl World {
    fn read_va(&self, va: u64) -> u64 {
        self.mem[(self.layout.pa_of(va).unwrap() / 8) as usize]
    }
}

/// The tokens the stub's code and data hold; the tail page's.
const TAIL_TOKEN: u64 = 0x7a11_0000_0000_0000;

/// Runs `plan` as the stub and tail do; returns the first thing that went
/// wrong.
fn execute(w: &World, plan: Plan) -> Result<(), String> {
    let l = &w.layout;
    let mut mem = w.mem.clone();
    let before = mem.clone();
    let q = |pa: u64| (pa / 8) as usize;
    let tail = plan.tail();
    // Stub: write the tail page (routine + command line + handoff block).
    for i in 0..Q {
        mem[q(tail) + i as usize] = TAIL_TOKEN + i;
    }
    // Stub: the bounce copy, reading the kernel through its virtual pages.
    let src_phys = if let Plan::Bounce { bounce, .. } = plan {
        for i in 0..w.kernel.len() as u64 {
            let pa = l.pa_of(l.kernel_va + 8 * i).unwrap();
            mem[q(bounce) + i as usize] = mem[q(pa)];
        }
        Some(bounce)
    } else {
        None
    };
    // The stub is still running until it jumps: its pages must be intact.
    for p in &l.pages {
        for i in 0..Q {
            let va = p.va + 8 * i;
            if va < l.kernel_va && mem[q(p.pa) + i as usize] != before[q(p.pa) + i as usize] {
                return Err(format!("the stub's own page at {:#x} was overwritten before it jumped", p.pa));
            }
        }
    }
    // Tail: the final copy. Every write is checked against the tail page
    // (code still running) and every read sees earlier writes.
    let tail_range = tail..tail + PS;
    for i in 0..w.kernel.len() as u64 {
        let from = match src_phys {
            Some(b) => b + 8 * i,
            None => l.pa_of(l.kernel_va + 8 * i).unwrap(),
        };
        let to = l.dst + 8 * i;
        if tail_range.contains(&to) {
            return Err(format!("the final copy overwrote the tail at {to:#x}"));
        }
        mem[q(to)] = mem[q(from)];
    }
    // Tail: the command-line page, from the prefix in its own page.
    for i in 0..Q {
        let to = l.cmdline + 8 * i;
        if tail_range.contains(&to) {
            return Err(format!("the command-line page overwrote the tail at {to:#x}"));
        }
        mem[q(to)] = mem[q(tail) + i as usize];
    }
    // The kernel arrived.
    for (i, &k) in w.kernel.iter().enumerate() {
        if mem[q(l.dst) + i] != k {
            return Err(format!("kernel quadword {i} at {:#x} is wrong", l.dst + 8 * i as u64));
        }
    }
    // Nothing the console owns, and no page table, was touched.
    let protected = |pa: u64| {
        let page = pa / PS * PS;
        page == l.level1
            || l.pages.iter().any(|p| p.tables.contains(&page))
            || !l.clusters.iter().any(|c| c.usage == 0 && c.start <= pa && pa < c.end)
    };
    for (i, (a, b)) in mem.iter().zip(&before).enumerate() {
        if a != b && protected(8 * i as u64) {
            return Err(format!("protected memory at {:#x} was written", 8 * i));
        }
    }
    Ok(())
}

/// An independent search for a tail/bounce region the stub could use: page-
/// aligned, at or above the image end, in the free cluster that holds the
/// image end, holding no page of the program or its tables.
fn some_region_exists(l: &Layout, size: u64) -> bool {
    let Some(c) = l.clusters.iter().find(|c| c.usage == 0 && c.start <= l.image_end && l.image_end <= c.end) else {
        return false;
    };
    let used = |pa: u64| {
        let page = pa / PS * PS;
        page == l.level1 || l.pages.iter().any(|p| p.pa == page || p.tables.contains(&page))
    };
    let mut start = l.image_end.div_ceil(PS) * PS;
    while start + size <= c.end {
        if (start..start + size).step_by(PS as usize).all(|pa| !used(pa)) {
            return true;
        }
        start += PS;
    }
    false
}

prop_compose! {
    fn world()(
        npages in 64u64..160,
        console_low in 1u64..6,
        console_high in 0u64..4,
        stub_quads_64 in 1u64..5,       // the stub in 64-byte units (header-aligned)
        kernel_quads in 1u64..120,
        placement in 0u8..3,            // contiguous / scattered / contiguous over the destination
        tables_free in prop::bool::ANY, // the program's page tables in free memory (else console)
        seed in any::<u64>(),
        dst_page in 0u64..1000,
        cmd_below in 1u64..4,
        end_extra in 0u64..4,
    ) -> World {
        let mut rng = seed | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let (free_lo, free_hi) = (console_low, npages - console_high);
        let mut clusters = vec![
            Cluster { start: 0, end: free_lo * PS, usage: 1 },
            Cluster { start: free_lo * PS, end: free_hi * PS, usage: 0 },
        ];
        if console_high > 0 {
            clusters.push(Cluster { start: free_hi * PS, end: npages * PS, usage: 1 });
        }
        let kernel_len = kernel_quads * 8;
        let kernel_pages = kernel_len.div_ceil(PS);
        // The destination and what surrounds it, inside the free cluster
        // (the generator wraps; a layout that no longer fits is refused
        // by the plan, which the property then checks).
        let span = (free_hi - free_lo).saturating_sub(kernel_pages + cmd_below + end_extra + 2).max(1);
        let dst = (free_lo + cmd_below + dst_page % span) * PS;
        let cmdline = dst - cmd_below * PS;
        let image_end = dst + kernel_pages * PS + end_extra * PS;
        // The program's virtual pages, SRM-like at 0x20000000.
        let stub_va = 0x2000_0000u64;
        let kernel_va = stub_va + stub_quads_64 * 64;
        let npg = (kernel_va + kernel_len - stub_va).div_ceil(PS);
        let free_pages: Vec<u64> = (free_lo..free_hi).collect();
        let nfree = free_pages.len() as u64;
        let mut pas: Vec<u64> = match placement {
            0 => {
                // Contiguous, anywhere in free memory.
                let s = next() % (nfree - npg.min(nfree) + 1);
                (0..npg).map(|i| free_pages[((s + i) as usize).min(free_pages.len() - 1)] * PS).collect()
            }
            1 => {
                // Scattered: a random permutation of the free pages.
                let mut f = free_pages.clone();
                for i in (1..f.len()).rev() {
                    f.swap(i, (next() % (i as u64 + 1)) as usize);
                }
                f.iter().take(npg as usize).map(|p| p * PS).collect()
            }
            _ => {
                // Contiguous, starting at or a little below the destination.
                let s = (dst / PS).saturating_sub(next() % (npg + 2)).max(free_lo);
                (0..npg).map(|i| (s + i).min(free_hi - 1) * PS).collect()
            }
        };
        // Distinct pages only (one physical page backs one virtual page).
        pas.sort();
        pas.dedup();
        while (pas.len() as u64) < npg {
            let p = free_pages[(next() % nfree) as usize] * PS;
            if !pas.contains(&p) {
                pas.push(p);
            }
        }
        if placement != 0 {
            for i in (1..pas.len()).rev() {
                pas.swap(i, (next() % (i as u64 + 1)) as usize);
            }
        }
        // Page tables: level 1 in the console's memory; levels 2 and 3 there
        // too, or (tables_free) on free pages that do not back the program.
        let level1 = (next() % free_lo) * PS;
        let mut table_pages = Vec::new();
        if tables_free {
            while table_pages.len() < 2 {
                let p = free_pages[(next() % nfree) as usize] * PS;
                if !pas.contains(&p) && !table_pages.contains(&p) {
                    table_pages.push(p);
                }
            }
        } else {
            table_pages = vec![(next() % free_lo) * PS, (next() % free_lo) * PS];
        }
        let pages: Vec<Page> = (0..npg)
            .map(|i| Page { va: stub_va + i * PS, pa: pas[i as usize], tables: table_pages.clone() })
            .collect();
        let layout = Layout { page_size: PS, stub_va, kernel_va, kernel_len, pages, level1, dst, cmdline, image_end, clusters };
        // Every quadword of memory distinct; the kernel written through its pages.
        let mut mem: Vec<u64> = (0..npages * Q).map(|i| 0x5eed_0000_0000_0000 | i).collect();
        let kernel: Vec<u64> = (0..kernel_quads).map(|i| 0xce11_0000_0000_0000 | (seed & 0xffff) << 20 | i).collect();
        for (i, &k) in kernel.iter().enumerate() {
            let pa = layout.pa_of(kernel_va + 8 * i as u64).unwrap();
            mem[(pa / 8) as usize] = k;
        }
        World { layout, mem, kernel }
    }
}

proptest! {
#![proptest_config(test_support::config())]

    /// Every plan the model makes moves the kernel intact and harms nothing;
    /// every refusal is justified.
    #[test]
    fn plans_work_and_refusals_are_justified(w in world()) {
        let l = &w.layout;
        match plan_relocation(l) {
            Ok(plan) => {
                prop_assert!(execute(&w, plan).is_ok(), "{plan:?}: {}", execute(&w, plan).unwrap_err());
                // A direct copy is chosen exactly when no kernel page meets the destination.
                let overlap = l.pages.iter().any(|p| p.pa < l.dst + l.kernel_len && l.cmdline < p.pa + PS && l.kernel_va < p.va + PS);
                prop_assert_eq!(matches!(plan, Plan::Bounce { .. }), overlap);
            }
            Err(PlanError::DestinationNotFree) => {
                prop_assert!(!l.clusters.iter().any(|c| c.usage == 0 && c.start <= l.cmdline && l.image_end <= c.end));
            }
            Err(PlanError::PageTableInDestination) => {
                let hi = l.dst + l.kernel_len;
                let t = l.pages.iter().flat_map(|p| p.tables.iter().copied()).chain([l.level1]);
                prop_assert!(t.into_iter().any(|t| t < hi && l.cmdline < t + PS));
            }
            Err(PlanError::NoRoom) => {
                let bounce = l.scan(l.cmdline, l.dst + l.kernel_len) & HIT_KERNEL != 0;
                let size = PS + if bounce { l.kernel_len.div_ceil(PS) * PS } else { 0 };
                prop_assert!(!some_region_exists(l, size));
            }
        }
    }
}

#[test]
fn the_simulation_catches_a_wrong_plan() {
    // A kernel page over the destination, copied directly anyway: the
    // simulated copy must notice (otherwise the property test proves nothing).
    let h = StubHeader { kernel_len: 40 * 8, load_address: K + 20 * PS, entry: K + 20 * PS, image_end: K + 24 * PS, cmdline_page: K + 18 * PS, checksum: 0 };
    let mut l = qemu_layout(0, 0, &h, 2 * PS, 0, 64 * PS);
    l.page_size = PS;
    let stub_va = 0x2000_0000;
    l.stub_va = stub_va;
    l.kernel_va = stub_va + 64;
    let npg = (64 + 320u64).div_ceil(PS);
    // Backed by pages 19, 20, 21, ...: over the destination, one page below
    // it, so a forward copy overwrites source it has not read yet.
    l.pages = (0..npg).map(|i| Page { va: stub_va + i * PS, pa: (19 + i) * PS, tables: vec![] }).collect();
    let mut mem: Vec<u64> = (0..64 * Q).collect();
    let kernel: Vec<u64> = (0..40).map(|i| 0xabc0_0000 + i).collect();
    for (i, &k) in kernel.iter().enumerate() {
        mem[(l.pa_of(l.kernel_va + 8 * i as u64).unwrap() / 8) as usize] = k;
    }
    let w = World { layout: l.clone(), mem, kernel };
    assert!(matches!(plan_relocation(&l), Ok(Plan::Bounce { .. })));
    assert!(execute(&w, plan_relocation(&l).unwrap()).is_ok());
    let wrong = Plan::Direct { tail: plan_relocation(&l).unwrap().tail() };
    assert!(execute(&w, wrong).is_err(), "a direct copy over its own source must be caught");
    // A tail placed inside the destination is caught too.
    assert!(execute(&w, Plan::Bounce { bounce: 40 * PS, tail: 21 * PS }).is_err());
    let _ = w.read_va(l.kernel_va);
}

#[test]
fn the_generator_reaches_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = world();
    let (mut direct, mut bounce, mut not_free, mut table, mut no_room) = (0, 0, 0, 0, 0);
    for _ in 0..5000 {
        let w = strategy.new_tree(&mut runner).unwrap().current();
        match plan_relocation(&w.layout) {
            Ok(Plan::Direct { .. }) => direct += 1,
            Ok(Plan::Bounce { .. }) => bounce += 1,
            Err(PlanError::DestinationNotFree) => not_free += 1,
            Err(PlanError::PageTableInDestination) => table += 1,
            Err(PlanError::NoRoom) => no_room += 1,
        }
    }
    eprintln!("direct {direct}, bounce {bounce}, not free {not_free}, page table {table}, no room {no_room}");
    assert!(direct > 100 && bounce > 100, "direct {direct}, bounce {bounce}");
    assert!(table > 0 && no_room > 0, "page table {table}, no room {no_room}");
}
