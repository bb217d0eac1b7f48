//! Boot-time memory setup: HWRPB clusters -> memblock -> early parameters
//! (`mem=`, `cma=`) -> reservations -> CMA area -> buddy allocator. At the
//! end the log shows the clusters, the memblock dump, the CMA reservation
//! and the buddy totals, and checks that they add up to the page.

use super::page::{self, PAGES, Site};
use super::{LogLines, PAGE_SIZE, PhysAddr, phys_slice_mut, phys_to_pfn, virt_to_phys, zero_phys};
use crate::arch::image;
use buddy::{BuddyAllocator, FrameMeta, MAX_ORDER};
use cma::Cma;
use alloc::format;
use alloc::string::{String, ToString};
use log::{debug, error, info, warn};
use memblock::{Direction, Memblock, Region};
use page_owner::Source;
use spin::Mutex;

/// The memblock table: live during boot, kept afterwards for reports.
pub static MEMBLOCK: Mutex<Memblock<128>> = Mutex::new(Memblock::new());

/// The largest buddy block (2^MAX_ORDER pages, 8 MiB): the CMA area is
/// aligned to it, as Linux aligns CMA to its largest page block.
pub const CMA_ALIGN: u64 = PAGE_SIZE << MAX_ORDER;
/// CMA size without `cma=` (Linux's CONFIG_CMA_SIZE_MBYTES default).
pub const CMA_DEFAULT: u64 = 16 << 20;

/// What boot set up, for the reconciliation and the status reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemReport {
    pub total_pages: u64,
    pub reserved_pages: u64,
    pub cma_pages: u64,
}

/// The report of [`init`], for [`reconcile`] (everyone else gets it from
/// the boot configuration).
static REPORT: Mutex<MemReport> = Mutex::new(MemReport { total_pages: 0, reserved_pages: 0, cma_pages: 0 });

/// Which memblock reservations are the firmware's and which the kernel
/// image (page frame ranges), for the picture of memory (`super::map`);
/// every other reservation is "other".
pub(super) static NAMED: Mutex<[(u64, u64, super::map::Reservation); 16]> =
    Mutex::new([(0, 0, super::map::Reservation::Other); 16]);

/// Remembers that `[base, base + size)` is a reservation of `kind`
/// (rounded out to whole pages; past 16 ranges the rest count as other).
fn name_reservation(kind: super::map::Reservation, base: u64, size: u64) {
    let (b, e) = (base / PAGE_SIZE, (base + size).div_ceil(PAGE_SIZE));
    if let Some(slot) = NAMED.lock().iter_mut().find(|r| r.0 == r.1) {
        *slot = (b, e, kind);
    }
}

fn reserve(mb: &mut Memblock<128>, what: &str, base: u64, size: u64) {
    let (b, e) = (base & !(PAGE_SIZE - 1), (base + size).next_multiple_of(PAGE_SIZE));
    match mb.reserve(b, e - b) {
        Ok(()) => info!("memblock: reserve {b:#012x}-{e:#012x} {what}"),
        Err(err) => error!("memblock: cannot reserve {what} {b:#x}-{e:#x}: {err}"),
    }
}

/// Allocates page-rounded, zeroed, permanently reserved memory from
/// memblock (for allocator metadata), top-down below `limit`.
fn memblock_alloc_zeroed(mb: &mut Memblock<128>, what: &str, bytes: u64) -> Option<u64> {
    let size = bytes.next_multiple_of(PAGE_SIZE);
    match mb.alloc(size, PAGE_SIZE, 0, memblock::ALLOC_ANYWHERE, Direction::TopDown) {
        Ok(pa) => {
            // SAFETY: memblock just reserved these bytes for us alone.
            unsafe { zero_phys(PhysAddr::new(pa), size as usize) };
            info!("memblock: alloc {pa:#012x}-{:#012x} {what}", pa + size);
            Some(pa)
        }
        Err(e) => {
            error!("memblock: cannot allocate {size} bytes for {what}: {e}");
            None
        }
    }
}

/// Sets up memblock, CMA and the buddy allocator from the HWRPB's memory
/// map (`map`, its clusters sorted and clipped by `Hwrpb::memory_map`).
/// `dma_limit`: the CMA area must lie below this physical address (the
/// machine's direct-mapped DMA window ends there), so devices reach it
/// without the IOMMU; as Linux's `dma_contiguous_reserve(limit)`.
/// Returns what it set up (for the boot configuration), `None` when there
/// is no page allocator.
pub fn init(hwrpb: &hwrpb::Hwrpb, map: &hwrpb::MemoryMap, params: &bootparam::EarlyParams, dma_limit: u64) -> Option<MemReport> {
    let mut mb = MEMBLOCK.lock();

    // 1. Every cluster is memory (each page once, in address order); those
    //    not for the OS are reserved, and so is every page two clusters
    //    both describe (which of them is right is unknown: hand out none).
    for c in map.clusters() {
        let k = c.cluster;
        if let Err(e) = mb.add(k.start_addr(), k.size_bytes()) {
            error!("memblock: cannot add cluster {} {:#x}-{:#x}: {e}", c.index, k.start_addr(), k.end_addr());
            continue;
        }
        if !k.is_for_os() {
            let what = if k.is_console() {
                String::from("(console/PALcode cluster)")
            } else if k.is_nonvolatile() {
                String::from("(non-volatile cluster)")
            } else {
                format!("(cluster {} with usage {:#x})", c.index, k.usage)
            };
            reserve(&mut mb, &what, k.start_addr(), k.size_bytes());
            name_reservation(super::map::Reservation::Firmware, k.start_addr(), k.size_bytes());
        }
    }
    for o in map.overlaps() {
        let what = format!("(pfn {:#x}-{:#x} in both clusters {} and {})", o.start_pfn, o.end_pfn, o.first, o.second);
        reserve(&mut mb, &what, o.start_addr(), o.end_addr() - o.start_addr());
        name_reservation(super::map::Reservation::Firmware, o.start_addr(), o.end_addr() - o.start_addr());
    }

    // 2. mem=: keep only the first N bytes of memory (never the kernel).
    let kernel_end = virt_to_phys(image::end() as *const u8).as_u64();
    if params.mem == Some(0) {
        info!("mem=0: no limit (as Linux reads mem=0): all {} MiB of memory used", mb.total_memory() >> 20);
    } else if let Some(asked) = params.mem {
        let limit = asked & !(PAGE_SIZE - 1);
        let given = bootparam::Size(asked);
        if limit != asked {
            info!("mem={given}: not a whole number of {} KiB pages; rounded down to {limit:#x}", PAGE_SIZE >> 10);
        }
        let mut trial = mb.clone();
        match trial.enforce_memory_limit(limit) {
            _ if limit == 0 => warn!("mem={given} is less than one page: ignored"),
            Some(max) if max >= kernel_end => {
                *mb = trial;
                info!("mem={given}: memory limited to {} MiB, everything at or above {max:#x} dropped", mb.total_memory() >> 20);
            }
            Some(max) => warn!("mem={given} would end memory at {max:#x}, inside the kernel (ends {kernel_end:#x}): ignored"),
            None => info!("mem={given} is not less than the {} MiB of memory: nothing to drop", mb.total_memory() >> 20),
        }
    }

    // 3. What is already in use.
    let image_start = virt_to_phys(image::start() as *const u8).as_u64();
    reserve(&mut mb, "(kernel image, early heap, boot stack)", image_start, kernel_end - image_start);
    name_reservation(super::map::Reservation::Kernel, image_start, kernel_end - image_start);
    reserve(&mut mb, "(command line page)", virt_to_phys(image::cmdline() as *const u8).as_u64(), PAGE_SIZE);
    let hd = hwrpb.header();
    reserve(&mut mb, "(HWRPB)", hd.phys_addr, hwrpb.bytes().len() as u64);
    reserve_console_page_tables(&mut mb, hwrpb);

    // 4. CMA, while memblock is live.
    explain_numa_cma(params);
    let cma_area = reserve_cma(&mut mb, params, dma_limit);

    // 5. The buddy allocator: metadata for every frame from the first to
    //    the last page of memory, then every free page.
    let (Some(start), Some(end)) = (mb.start_of_dram(), mb.end_of_dram()) else {
        error!("memblock: no memory at all; no page allocator");
        return None;
    };
    let (base_pfn, end_pfn) = (phys_to_pfn(PhysAddr::new(start)), phys_to_pfn(PhysAddr::new(end)));
    let frames = (end_pfn - base_pfn) as usize;
    let meta_bytes = (frames * core::mem::size_of::<FrameMeta>()) as u64;
    let cma_bitmap = cma_area.and_then(|(base, pages)| {
        let words = cma::bitmap_words(pages as usize, 0);
        memblock_alloc_zeroed(&mut mb, "(CMA bitmap)", (words * 8) as u64).map(|pa| (base, pages, pa, words))
    });
    let Some(meta_pa) = memblock_alloc_zeroed(&mut mb, "(buddy frame metadata)", meta_bytes) else {
        return None;
    };
    let owner_bytes = (frames * core::mem::size_of::<page_owner::Slot<Site>>()) as u64;
    let Some(owner_pa) = memblock_alloc_zeroed(&mut mb, "(page owner records)", owner_bytes) else {
        error!("page owners: no memory for the records; no page allocator (every allocation must be owned)");
        return None;
    };
    // SAFETY: reserved for this use forever; PageOwners::new writes every
    // slot before anything reads one.
    let owner_slots: &'static mut [page_owner::Slot<Site>] =
        unsafe { phys_slice_mut(PhysAddr::new(owner_pa), frames) };
    let owners = page_owner::PageOwners::new(base_pfn as usize, owner_slots);
    // SAFETY: reserved for this use forever; zeroed; FrameMeta is plain
    // integers, so any bit pattern is a valid value.
    let meta: &'static mut [FrameMeta] = unsafe { phys_slice_mut(PhysAddr::new(meta_pa), frames) };
    let mut buddy = match BuddyAllocator::new(base_pfn as usize, meta) {
        Ok(b) => b,
        Err(e) => {
            error!("buddy: cannot set up over pfn {base_pfn:#x}-{end_pfn:#x}: {e}");
            return None;
        }
    };
    for r in mb.free_ranges() {
        let (s, e) = (r.base.next_multiple_of(PAGE_SIZE), r.end() & !(PAGE_SIZE - 1));
        if s < e {
            if let Err(err) = buddy.add_free_range(phys_to_pfn(PhysAddr::new(s)) as usize, phys_to_pfn(PhysAddr::new(e)) as usize) {
                error!("buddy: cannot add {s:#x}-{e:#x}: {err}");
            }
        }
    }
    if let Some((base, pages, bitmap_pa, words)) = cma_bitmap {
        // SAFETY: reserved and zeroed above, for this bitmap alone.
        let bitmap: &'static mut [usize] = unsafe { phys_slice_mut(PhysAddr::new(bitmap_pa), words) };
        match Cma::new(phys_to_pfn(PhysAddr::new(base)) as usize, pages as usize, 0, bitmap) {
            Ok(c) => PAGES.lock().cma = Some(c),
            Err(e) => error!("cma: cannot manage {base:#x} ({pages} pages): {e}"),
        }
    }

    // 6. Report and reconcile.
    let mut out = LogLines::new();
    let _ = mb.dump(&mut out);
    drop(out);
    let total_pages = mb.total_memory() / PAGE_SIZE;
    let cma_pages = cma_area.map_or(0, |(_, p)| p);
    let reserved_pages = reserved_in_memory(&mb) / PAGE_SIZE - cma_pages;
    let report = MemReport { total_pages, reserved_pages, cma_pages };
    *REPORT.lock() = report;
    {
        let mut pages = PAGES.lock();
        pages.buddy = Some(buddy);
        pages.owners = Some(owners);
    }
    drop(mb);
    let mut out = LogLines::new();
    let _ = super::page::report(&mut out);
    drop(out);
    reconcile("boot");
    if params.has_flag("memmap") {
        // The text map of memory (the monitor's `map`), once at boot.
        let _ = super::map::render_text_map(100, &mut LogLines::new());
    }
    Some(report)
}

/// The most console page-table pages the walk accepts (8 MiB of tables;
/// QEMU's PALcode has 3, SRM a handful).
const MAX_CONSOLE_TABLES: usize = 1024;
/// How many table addresses the summary line lists.
const LIST_TABLES: usize = 8;

/// Reserves the console's page-table pages that lie in free memory.
///
/// The kernel never loads page tables of its own: the HWRPB at 0x10000000
/// and the console callbacks (CRB dispatch, PUTS, GETC, GET_ENV) run
/// through the console's (SRM's, or QEMU PALcode's). The HWRPB marks the
/// console's memory clusters as in use, but SRM's level-1/2/3 tables may
/// sit in a cluster it calls free; the buddy allocator would then hand
/// them out, and the first write over one breaks those mappings. Linux
/// does not meet this: `callback_init` moves to its own page tables before
/// `setup_memory` hands memory out. So: walk the tables through the
/// virtual page table (crates/vptwalk), check that they translate the
/// HWRPB's address to its `phys_addr`, and reserve every table page in
/// free memory. A malformed tree is reported; the pages found before the
/// error are still reserved, and boot goes on.
fn reserve_console_page_tables(mb: &mut Memblock<128>, hwrpb: &hwrpb::Hwrpb) {
    let hd = hwrpb.header();
    let opts = vptwalk::Options {
        vptb: hd.vptb,
        page_size: hd.page_size,
        check: Some((crate::arch::HWRPB_VA, hd.phys_addr)),
    };
    let mut out = alloc::vec![vptwalk::TablePage::EMPTY; MAX_CONSOLE_TABLES];
    // SAFETY: the walk reads only quadwords of the virtual page table
    // whose path it has checked (the self-map entry, then level-1 entries
    // that are valid and name memory), which the console's page tables,
    // still in use, map for the kernel.
    let read_pte = |va: u64| unsafe { core::ptr::read_volatile(va as *const u64) };
    let is_memory = |pfn: u64| hwrpb.cluster_containing_pfn(pfn).is_some();
    let (found, failure) = match vptwalk::walk(&opts, read_pte, is_memory, &mut out) {
        Ok(s) => (s.tables, None),
        Err(f) => (f.found, Some(f.error)),
    };
    let tables = &out[..found];

    // Which lie in free memory (reserved now, in runs of contiguous
    // pages), which in the console's clusters, which elsewhere (already
    // reserved, or beyond mem=).
    let (mut in_console, mut in_free, mut elsewhere) = (0usize, 0usize, 0usize);
    let mut run: Option<(u64, u64)> = None;
    for t in tables {
        let pa = t.pfn * PAGE_SIZE;
        debug!("mm: console page table: {} at {pa:#012x}, maps from {:#x}", t.level, t.va);
        if mb.is_memory(pa, PAGE_SIZE) && !mb.overlaps_reserved(pa, PAGE_SIZE) {
            in_free += 1;
            run = match run {
                Some((b, e)) if e == pa => Some((b, pa + PAGE_SIZE)),
                Some((b, e)) => {
                    reserve(mb, "(console page tables)", b, e - b);
                    Some((pa, pa + PAGE_SIZE))
                }
                None => Some((pa, pa + PAGE_SIZE)),
            };
        } else if hwrpb.cluster_containing_pfn(t.pfn).is_some_and(|c| !c.is_available()) {
            in_console += 1;
        } else {
            elsewhere += 1;
        }
    }
    if let Some((b, e)) = run {
        reserve(mb, "(console page tables)", b, e - b);
    }

    let mut list = String::new();
    for (i, t) in tables.iter().take(LIST_TABLES).enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        list.push_str(&format!("{sep}L{} {:#x}", t.level.number(), t.pfn * PAGE_SIZE));
    }
    if tables.len() > LIST_TABLES {
        list.push_str(&format!(", {} more", tables.len() - LIST_TABLES));
    }
    let free = if in_free == 0 {
        "0 in free memory, nothing to reserve".to_string()
    } else {
        format!("{in_free} in free memory, reserved")
    };
    let other = if elsewhere == 0 { String::new() } else { format!(", {elsewhere} in other reserved memory or beyond mem=") };
    match failure {
        None => info!(
            "mm: console page tables: {} pages ({list}; VPTB {:#x}, HWRPB {:#x} -> {:#x} through them): {in_console} in console memory, {free}{other}",
            tables.len(),
            hd.vptb,
            crate::arch::HWRPB_VA,
            hd.phys_addr
        ),
        Some(e) => error!(
            "mm: console page tables: walk through the VPTB {:#x} failed: {e}; {} pages found before that ({list}): {in_console} in console memory, {free}{other}; console callbacks may break if a missed table is handed out",
            hd.vptb,
            tables.len()
        ),
    }
}

/// Bytes of `reserved` that lie in `memory`.
fn reserved_in_memory(mb: &Memblock<128>) -> u64 {
    let mut sum = 0;
    for r in mb.reserved_regions() {
        for m in mb.memory_regions() {
            let (s, e) = (r.base.max(m.base), r.end().min(m.end()));
            sum += e.saturating_sub(s);
        }
    }
    sum
}

/// Reserves the CMA area in memblock: returns (base, pages), or None with
/// a message saying why the kernel boots without CMA. `cma=` as Linux
/// documents it: a size alone goes top-down below the direct DMA window;
/// `@start` places it exactly (also `@start-end` when start + size = end,
/// Linux's `fixed`); `@start-end` searches [start, end), end capped by the
/// window.
fn reserve_cma(mb: &mut Memblock<128>, params: &bootparam::EarlyParams, dma_limit: u64) -> Option<(u64, u64)> {
    let (req, placement) = match params.cma {
        Some(p) => (p.size, p.placement()),
        None => (CMA_DEFAULT, None),
    };
    let src = match params.cma {
        Some(p) => format!("cma={p}"),
        None => "default".to_string(),
    };
    if req == 0 {
        info!("cma: disabled (cma=0)");
        return None;
    }
    let size = req.next_multiple_of(CMA_ALIGN);
    if size != req {
        info!("cma: {src}: size {req:#x} rounded up to {} MiB (a multiple of the {} MiB largest buddy block)", size >> 20, CMA_ALIGN >> 20);
    }
    let placed = match placement {
        Some(bootparam::CmaPlacement::Fixed(b)) => {
            let why = if b % CMA_ALIGN != 0 {
                Some(format!("base is not aligned to {} MiB", CMA_ALIGN >> 20))
            } else if b.checked_add(size).is_none_or(|e| e > dma_limit) {
                Some(format!("the area must end below {:#x} (the direct-mapped DMA window)", dma_limit))
            } else if !mb.is_memory(b, size) {
                Some(format!("{b:#x}-{:#x} is not all memory", b + size))
            } else if mb.overlaps_reserved(b, size) {
                Some(format!("{b:#x}-{:#x} overlaps a reservation", b + size))
            } else {
                None
            };
            match why {
                Some(why) => Err(format!("at {b:#x}: {why}")),
                None => mb.reserve(b, size).map(|()| b).map_err(|e| e.to_string()),
            }
        }
        Some(bootparam::CmaPlacement::Range(start, end)) => {
            let limit = end.min(dma_limit);
            let capped = if end > dma_limit { format!(" (the end capped at the direct DMA window's {:#x})", dma_limit) } else { String::new() };
            if limit <= start {
                Err(format!("the range {start:#x}-{end:#x} lies above the direct DMA window (which ends at {dma_limit:#x})"))
            } else {
                let free_mib = mb.free_ranges_in(start, limit).map(|r: Region| r.size).sum::<u64>() >> 20;
                mb.alloc(size, CMA_ALIGN, start, limit, Direction::TopDown).map_err(|_| {
                    format!("no free {} MiB-aligned range of {} MiB in {start:#x}-{limit:#x}{capped} ({free_mib} MiB free there)", CMA_ALIGN >> 20, size >> 20)
                })
            }
        }
        None => {
            let free_mib = mb.free_ranges_in(0, dma_limit).map(|r: Region| r.size).sum::<u64>() >> 20;
            mb.alloc(size, CMA_ALIGN, 0, dma_limit, Direction::TopDown)
                .map_err(|_| format!("no free {} MiB-aligned range below {:#x} ({free_mib} MiB free there)", CMA_ALIGN >> 20, dma_limit))
        }
    };
    match placed {
        Ok(b) => {
            info!("cma: reserved {} MiB at {b:#012x}-{:#012x} ({src}; below the {} GiB direct DMA window)", size >> 20, b + size, dma_limit >> 30);
            Some((b, size / PAGE_SIZE))
        }
        Err(why) => {
            error!("cma: cannot reserve {} MiB ({src}): {why}; booting without CMA", size >> 20);
            None
        }
    }
}

/// `cma_pernuma=` and `numa_cma=` on this machine: one memory node (the
/// Tsunami/Typhoon systems this kernel runs on are not NUMA), so say in one
/// line what Linux would do and what this kernel does.
fn explain_numa_cma(params: &bootparam::EarlyParams) {
    if let Some(size) = params.cma_pernuma {
        info!(
            "cma_pernuma={}M: one memory node here; Linux would add a {} MiB CMA area on node 0 beside the global one; this kernel keeps its one area (cma=)",
            size >> 20,
            size >> 20
        );
    }
    if let Some(spec) = params.numa_cma {
        info!("numa_cma={spec}: one memory node here; Linux would size node 0's CMA area as given and ignore other nodes; this kernel keeps its one area (cma=)");
    }
}

/// The reconciliation: every page of memory is reserved in memblock, free
/// in CMA, free in the buddy allocator, or held by an owner, and three
/// independent sources must agree to the page: memblock's reservations,
/// the allocators' structures (the buddy free lists walked, the CMA bitmap's
/// bits counted) and the owner records. The owner counts kept at each
/// allocation must also equal a recount of the per-frame records. One line,
/// `memory (WHEN): ...: reconciled` or `...: MISMATCH by N page(s) ...`;
/// returns whether it reconciled.
pub fn reconcile(when: &str) -> bool {
    let r = *REPORT.lock();
    let Some(c) = page::census() else {
        error!("memory ({when}): no page allocator to reconcile");
        return false;
    };
    let owned = c.owned.source_total(Source::Buddy) + c.owned.source_total(Source::Cma);
    let cma_used = c.owned.source_total(Source::Cma);
    let mut owners = String::new();
    for (code, buddy_pages, cma_pages) in c.owned.iter() {
        let sep = if owners.is_empty() { "" } else { ", " };
        let owner = super::owner::Owner::from_code(code);
        owners.push_str(&format!("{sep}{owner} {}", buddy_pages + cma_pages));
        if cma_pages > 0 {
            owners.push_str(&format!(" ({cma_pages} CMA)"));
        }
    }
    let sum = r.reserved_pages + c.cma_free as u64 + c.buddy_free as u64 + owned as u64;
    let diff = sum as i64 - r.total_pages as i64;
    let recount_ok = c.recount.counts == c.owned && c.recount.overlaps == 0 && c.recount.corrupt == 0;
    let line = format!(
        "memory ({when}): total {} pages ({} MiB) = reserved {} + CMA free {} + buddy free {} + owned {owned} [{owners}]",
        r.total_pages,
        r.total_pages * PAGE_SIZE >> 20,
        r.reserved_pages,
        c.cma_free,
        c.buddy_free,
    );
    if diff == 0 && recount_ok {
        info!("{line}: reconciled");
        return true;
    }
    let mut why = String::new();
    if diff != 0 {
        why.push_str(&format!(
            "MISMATCH by {diff:+} page(s): the sources add up to {sum}; the buddy allocator's counters say {} free and {} allocated, its free lists {} free, its owners {}; CMA: {} pages, {} free by its bitmap, {cma_used} owned",
            c.buddy_free_counter,
            c.buddy_allocated_counter,
            c.buddy_free,
            c.owned.source_total(Source::Buddy),
            c.cma_total,
            c.cma_free,
        ));
    }
    if !recount_ok {
        let sep = if why.is_empty() { "MISMATCH" } else { ";" };
        why.push_str(&format!(
            "{sep} the owner counts kept at each allocation ({owned} pages) differ from a recount of the records ({} pages, {} overlapping, {} corrupt)",
            c.recount.counts.source_total(Source::Buddy) + c.recount.counts.source_total(Source::Cma),
            c.recount.overlaps,
            c.recount.corrupt
        ));
    }
    error!("{line}: {why}");
    false
}

/// `mm_leak_test` (for the test of the reconciliation itself): one page
/// taken from the buddy allocator with no owner record. The reconciliation
/// that follows must say `MISMATCH by -1 page(s)`.
pub fn leak_test() {
    match page::leak_one_page_unowned() {
        Ok(pa) => {
            warn!("mm_leak_test: took the page at {pa:#x} from the buddy allocator with no owner record; the reconciliation must come out 1 page short");
            reconcile("after the deliberate leak");
        }
        Err(e) => error!("mm_leak_test: could not take a page: {e}"),
    }
}
