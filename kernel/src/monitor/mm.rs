//! The monitor's memory and DMA commands: allocate and free pages from the
//! buddy allocator and the CMA area, allocate coherent DMA memory and map
//! memory for a device, fragment the buddy allocator on purpose, and look
//! at one page frame, the CMA bitmap and the IOMMU arenas.
//!
//! Everything the monitor allocates is owned by `monitor` (pages) or
//! `dma-coherent:monitor...` (coherent DMA memory), so it shows up in the
//! per-owner counts and the reconciliation. The monitor remembers what it
//! holds in a small table ([`SLOTS`] entries): `free`, `cma free`, `dma
//! free` and `dma unmap` accept only what is in it, so a typing mistake
//! cannot free someone else's memory. `fragment` keeps the pages it pins
//! in a list of its own, given back by `unfragment`.
//!
//! Numbers are decimal or `0x` hexadecimal; sizes may end in `K`, `M` or
//! `G` (KiB, MiB, GiB); `pfn` takes a frame number or `@` and an address.
//! The monitor crate's parsers read them all. Every error is one line and
//! changes nothing.

use super::command::Command;
use crate::dma::{self, Backing, BusAddr, Coherent, Direction, DmaDevice, StreamingMapping, WindowPolicy};
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SHIFT, PAGE_SIZE, PhysAddr, heap, page, pfn_to_phys, phys_to_pfn};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use buddy::MAX_ORDER;
use core::fmt::{self, Write};
use spin::Mutex;

/// The memory and DMA commands, for the monitor's dispatcher.
pub const MM_COMMANDS: &[Command] = &[
    Command { name: "alloc", usage: "<order>", help: "allocate 2^order pages from the buddy allocator (owner monitor)", run: alloc },
    Command { name: "free", usage: "<addr>", help: "give back a block `alloc` handed out", run: free },
    Command { name: "cma", usage: "", help: "the CMA area: size, use, its bitmap as a map, largest free run", run: cma },
    Command { name: "cma alloc", usage: "<pages>", help: "allocate contiguous pages from the CMA area (owner monitor)", run: cma_alloc },
    Command { name: "cma free", usage: "<addr>", help: "give back pages `cma alloc` handed out", run: cma_free },
    Command {
        name: "dma alloc",
        usage: "<size> [dev]",
        help: "coherent DMA memory, buddy first then CMA; says which served it (dev: monitor, sg, isa, direct)",
        run: dma_alloc,
    },
    Command { name: "dma free", usage: "<handle>", help: "free coherent DMA memory `dma alloc` handed out", run: dma_free },
    Command {
        name: "dma map",
        usage: "<addr> <len> [dev]",
        help: "map memory the monitor holds for a device (streaming, to the device)",
        run: dma_map,
    },
    Command { name: "dma unmap", usage: "<handle>", help: "undo a `dma map`", run: dma_unmap },
    Command {
        name: "fragment",
        usage: "<order>",
        help: "pin as few pages as possible so that no free buddy block of this order or above remains",
        run: fragment,
    },
    Command { name: "unfragment", usage: "", help: "give back every page `fragment` pinned", run: unfragment },
    Command { name: "pfn", usage: "<n> | @<addr>", help: "one page frame: owner, block, allocation site, bus address", run: pfn },
    Command { name: "iommu", usage: "", help: "DMA windows, the IOMMU arenas as maps, pending TLB invalidations", run: iommu },
];

// ----------------------------------------------------------------------
// Arguments: read by the monitor crate's parsers (`crates/monitor`,
// tested on the host); each error starts with what the word was for.
// ----------------------------------------------------------------------

/// A number (decimal, or hex with `0x`); `what` names it in the error.
fn number(word: &str, what: &str) -> Result<u64, String> {
    ::monitor::parse::number(word).map_err(|e| format!("{what}: {e}"))
}

/// A size in bytes, optionally ending in K, M or G.
fn size(word: &str, what: &str) -> Result<u64, String> {
    ::monitor::parse::size(word).map_err(|e| format!("{what}: {e}"))
}

/// A physical address.
fn parse_pa(word: &str) -> Result<PhysAddr, String> {
    ::monitor::parse::address(word).map(PhysAddr::new).map_err(|e| format!("address: {e}"))
}

/// At most 24 characters of a word, for error messages (a word may be
/// binary garbage or very long).
fn clip(word: &str) -> String {
    let mut s: String = word.chars().take(24).map(|c| if c.is_control() { '?' } else { c }).collect();
    if word.chars().count() > 24 {
        s.push_str("...");
    }
    s
}

/// Between `min` and `max` arguments, else an error naming the usage.
fn expect_args(args: &[&str], min: usize, max: usize, usage: &str) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        return Err(format!("usage: {usage}"));
    }
    Ok(())
}

// ----------------------------------------------------------------------
// What the monitor holds
// ----------------------------------------------------------------------

/// Entries of the monitor's table: blocks, CMA runs, coherent buffers and
/// mappings together.
pub const SLOTS: usize = 32;

/// One thing the monitor holds. `repr(u8)`: an explicit tag (it sits in
/// an `Option`; see the backend's enum-niche note).
#[repr(u8)]
enum Held {
    /// A buddy block from `alloc`.
    Pages { pa: PhysAddr, order: u32 },
    /// CMA pages from `cma alloc`.
    Cma { pa: PhysAddr, pages: usize },
    /// Coherent DMA memory from `dma alloc`.
    Coherent { id: u32, buf: Coherent },
    /// A streaming mapping from `dma map`.
    Mapping { id: u32, map: StreamingMapping },
}

impl Held {
    /// The physical range of a block the monitor may map (pages, CMA).
    fn block(&self) -> Option<(PhysAddr, u64)> {
        match *self {
            Held::Pages { pa, order } => Some((pa, PAGE_SIZE << order)),
            Held::Cma { pa, pages } => Some((pa, pages as u64 * PAGE_SIZE)),
            _ => None,
        }
    }
}

struct Table {
    slots: [Option<Held>; SLOTS],
    next_id: u32,
}

// SAFETY: `Coherent` holds a raw KSEG pointer to the buffer it owns, which
// keeps it from being `Send`. The kernel runs on one CPU, and the buffers
// in the table are reached only through the table's lock.
unsafe impl Send for Table {}

static TABLE: Mutex<Table> = Mutex::new(Table { slots: [const { None }; SLOTS], next_id: 1 });

/// Pages `fragment` pinned (physical addresses of single pages).
static PINS: Mutex<Vec<PhysAddr>> = Mutex::new(Vec::new());

impl Table {
    fn free_slot(&self) -> Result<usize, String> {
        self.slots
            .iter()
            .position(Option::is_none)
            .ok_or_else(|| format!("the monitor already holds {SLOTS} blocks and mappings (its table is full): free one first"))
    }

    fn new_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    /// The slot whose entry `pred` accepts.
    fn find(&self, pred: impl Fn(&Held) -> bool) -> Option<usize> {
        self.slots.iter().position(|s| s.as_ref().is_some_and(&pred))
    }

    /// The id of a mapping that overlaps `[pa, pa + len)`.
    fn mapping_in(&self, pa: PhysAddr, len: u64) -> Option<u32> {
        self.slots.iter().flatten().find_map(|h| match h {
            Held::Mapping { id, map } => {
                let (a, b) = (map.pa().as_u64(), map.pa().as_u64() + map.len() as u64);
                (a < pa.as_u64().saturating_add(len) && pa.as_u64() < b).then_some(*id)
            }
            _ => None,
        })
    }
}

// ----------------------------------------------------------------------
// Output helpers
// ----------------------------------------------------------------------

/// Writes to the monitor's output; a failed write becomes an error.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).map_err(|_| String::from("output failed"))?
    };
}

/// A byte count, in the largest binary unit that divides it.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            n if n >= 1 << 30 && n % (1 << 30) == 0 => write!(f, "{} GiB", n >> 30),
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{} MiB", n >> 20),
            n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{} KiB", n >> 10),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// The character for one cell of a compact map: `.` all free, `#` all
/// used, `1`-`9` tenths used (rounded up, so a cell with anything used is
/// never `.`).
fn cell(used: usize, total: usize) -> u8 {
    match (used, total) {
        (_, 0) => b' ',
        (0, _) => b'.',
        (u, t) if u >= t => b'#',
        (u, t) => b'0' + ((u * 10).div_ceil(t)).clamp(1, 9) as u8,
    }
}

/// Width of the compact maps.
const MAP_WIDTH: usize = 64;

/// A compact map of `units` units: cell `i` covers units
/// `[i * units / w, (i + 1) * units / w)`; `used(unit)` says whether one
/// is in use, `marked(unit)` whether a free one is to be shown as `,`
/// (IOMMU entries awaiting invalidation). Returns the map and its width.
fn compact_map(units: usize, used: impl Fn(usize) -> bool, marked: impl Fn(usize) -> bool) -> ([u8; MAP_WIDTH], usize) {
    let w = units.min(MAP_WIDTH);
    let mut map = [b' '; MAP_WIDTH];
    for (i, c) in map.iter_mut().enumerate().take(w) {
        let (from, to) = (i * units / w, (i + 1) * units / w);
        let n = (from..to).filter(|&u| used(u)).count();
        *c = cell(n, to - from);
        if n == 0 && (from..to).any(&marked) {
            *c = b',';
        }
    }
    (map, w)
}

fn map_str(map: &[u8]) -> &str {
    core::str::from_utf8(map).unwrap_or("?")
}

/// Which window a bus address lies in.
fn window_of(bus: BusAddr) -> &'static str {
    let b = bus.as_u64();
    let (d, sg, isa) = (dma::iommu::direct_window(), dma::iommu::pci_sg_window(), dma::iommu::isa_sg_window());
    if b.wrapping_sub(d.bus_base) < d.size {
        "direct window"
    } else if b.wrapping_sub(sg.bus_base) < sg.size {
        "PCI scatter-gather window, through the IOMMU"
    } else if b.wrapping_sub(isa.bus_base) < isa.size {
        "ISA scatter-gather window, through the IOMMU"
    } else {
        "no window"
    }
}

// ----------------------------------------------------------------------
// alloc / free
// ----------------------------------------------------------------------

fn alloc(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "alloc <order>")?;
    let order = number(args[0], "order")?;
    if order > u64::from(MAX_ORDER) {
        return Err(format!("order {order} is above the buddy allocator's largest, {MAX_ORDER} ({})", Size(PAGE_SIZE << MAX_ORDER)));
    }
    let order = order as u32;
    let mut t = TABLE.lock();
    let slot = t.free_slot()?;
    let pa = page::alloc_pages(order, false, Owner::MONITOR).map_err(|e| format!("alloc {order}: {e}"))?;
    t.slots[slot] = Some(Held::Pages { pa, order });
    drop(t);
    say!(out, "alloc: order-{order} block ({} page(s), {}) at {pa:#x} (pfn {:#x}), owner monitor", 1u64 << order, Size(PAGE_SIZE << order), phys_to_pfn(pa));
    Ok(())
}

fn free(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "free <addr>")?;
    let pa = parse_pa(args[0])?;
    let mut t = TABLE.lock();
    let Some(i) = t.find(|h| matches!(h, Held::Pages { pa: p, .. } if *p == pa)) else {
        return Err(format!("{pa:#x} is not a block `alloc` handed out (see `pfn @{pa:#x}`)"));
    };
    let Some(Held::Pages { order, .. }) = t.slots[i] else { return Err("monitor table changed".into()) };
    if let Some(id) = t.mapping_in(pa, PAGE_SIZE << order) {
        return Err(format!("{pa:#x} is mapped for DMA by handle {id}: `dma unmap {id}` first"));
    }
    page::free_pages(pa, order).map_err(|e| format!("free {pa:#x}: {e}"))?;
    t.slots[i] = None;
    drop(t);
    say!(out, "free: order-{order} block at {pa:#x} given back to the buddy allocator");
    Ok(())
}

// ----------------------------------------------------------------------
// CMA
// ----------------------------------------------------------------------

fn cma(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("cma: unexpected '{}' (cma, cma alloc <pages>, cma free <addr>)", clip(a)));
    }
    // Read under the page lock into fixed storage (nothing allocated).
    let view = page::with_cma(|c| {
        let (base, total, per_bit) = (c.base_pfn(), c.total_pages(), c.order_per_bit());
        let (map, w) = compact_map(total, |p| c.is_allocated(base + p), |_| false);
        (base, total, c.free_pages(), c.largest_free_run(), per_bit, map, w)
    });
    let Some((base, total, free, run, per_bit, map, w)) = view else {
        say!(out, "cma: no CMA area (cma=0, or its reservation failed at boot: see the boot log)");
        return Ok(());
    };
    let pa = pfn_to_phys(base as u64);
    let bytes = |pages: usize| Size(pages as u64 * PAGE_SIZE);
    say!(
        out,
        "cma: area {pa:#x}-{:#x} (pfn {base:#x}-{:#x}), {} in {total} pages, {} page(s) per bitmap bit",
        pa + (total as u64 * PAGE_SIZE - 1),
        base + total - 1,
        bytes(total),
        1u64 << per_bit
    );
    say!(out, "cma: used {} pages ({}), free {free} pages ({}), largest free run {run} pages ({})", total - free, bytes(total - free), bytes(free), bytes(run));
    say!(out, "cma: [{}] {} page(s) per character; '.' free, '#' used, 1-9 tenths used", map_str(&map[..w]), total.div_ceil(w.max(1)));
    Ok(())
}

fn cma_alloc(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "cma alloc <pages>")?;
    let n = number(args[0], "page count")?;
    let total = page::with_cma(|c| c.total_pages()).ok_or("cma alloc: no CMA area")?;
    if n == 0 || n > total as u64 {
        return Err(format!("cma alloc: page count {n} is outside 1..={total} (the area's size)"));
    }
    let n = n as usize;
    let mut t = TABLE.lock();
    let slot = t.free_slot()?;
    let pa = page::cma_alloc(n, 0, Owner::MONITOR).map_err(|e| format!("cma alloc {n}: {e}"))?;
    t.slots[slot] = Some(Held::Cma { pa, pages: n });
    drop(t);
    say!(out, "cma alloc: {n} page(s) ({}) at {pa:#x} (pfn {:#x}), owner monitor", Size(n as u64 * PAGE_SIZE), phys_to_pfn(pa));
    Ok(())
}

fn cma_free(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "cma free <addr>")?;
    let pa = parse_pa(args[0])?;
    let mut t = TABLE.lock();
    let Some(i) = t.find(|h| matches!(h, Held::Cma { pa: p, .. } if *p == pa)) else {
        return Err(format!("{pa:#x} is not a run `cma alloc` handed out (see `pfn @{pa:#x}`)"));
    };
    let Some(Held::Cma { pages, .. }) = t.slots[i] else { return Err("monitor table changed".into()) };
    if let Some(id) = t.mapping_in(pa, pages as u64 * PAGE_SIZE) {
        return Err(format!("{pa:#x} is mapped for DMA by handle {id}: `dma unmap {id}` first"));
    }
    page::cma_release(pa, pages).map_err(|e| format!("cma free {pa:#x}: {e}"))?;
    t.slots[i] = None;
    drop(t);
    say!(out, "cma free: {pages} page(s) at {pa:#x} given back to the CMA area");
    Ok(())
}

// ----------------------------------------------------------------------
// DMA
// ----------------------------------------------------------------------

/// The devices `dma alloc` and `dma map` can act for: (word, device).
/// Each has its own name, so its coherent memory has its own owner.
const DEVICES: [(&str, DmaDevice); 4] = [
    // A 32-bit PCI device: the direct window when it reaches.
    ("monitor", DmaDevice::new("monitor", 0xffff_ffff, WindowPolicy::Auto)),
    // Always through the IOMMU (as every device with iommu=strict).
    ("sg", DmaDevice::new("monitor-sg", 0xffff_ffff, WindowPolicy::ForceSg)),
    // A 24-bit (ISA-sized) DMA mask: only the ISA scatter-gather window.
    ("isa", DmaDevice::new("monitor-isa", 0xff_ffff, WindowPolicy::Auto)),
    // Only the direct window.
    ("direct", DmaDevice::new("monitor-direct", 0xffff_ffff, WindowPolicy::ForceDirect)),
];

fn device(word: Option<&&str>) -> Result<DmaDevice, String> {
    let Some(w) = word else { return Ok(DEVICES[0].1) };
    DEVICES
        .iter()
        .find(|(n, _)| n == w)
        .map(|(_, d)| *d)
        .ok_or_else(|| format!("unknown device '{}' (monitor, sg, isa, direct)", clip(w)))
}

/// The largest `dma alloc`.
const DMA_ALLOC_MAX: u64 = 1 << 30;

fn dma_alloc(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 2, "dma alloc <size> [monitor|sg|isa|direct]")?;
    let size = size(args[0], "size")?;
    if size == 0 || size > DMA_ALLOC_MAX {
        return Err(format!("dma alloc: size {} is outside 1 byte to {}", Size(size), Size(DMA_ALLOC_MAX)));
    }
    let dev = device(args.get(1))?;
    let mut t = TABLE.lock();
    let slot = t.free_slot()?;
    let buf = dma::alloc_coherent(&dev, size as usize).map_err(|e| format!("dma alloc {}: {e}", Size(size)))?;
    let id = t.new_id();
    let (pa, bus) = (buf.pa(), buf.bus());
    let served = match buf.backing() {
        Backing::Buddy { order } => format!("from the buddy allocator (an order-{order} block)"),
        Backing::Cma { pages } => {
            let order = (pages as u64).next_power_of_two().trailing_zeros();
            let why = if order > MAX_ORDER {
                format!("larger than the buddy allocator's largest block, order {MAX_ORDER}")
            } else {
                match page::with_buddy(|b| b.largest_free_order()).flatten() {
                    Some(l) if l >= order => String::from("the buddy allocator failed"),
                    Some(l) => format!("the buddy allocator has no free block of order {order}: its largest is order {l}"),
                    None => String::from("the buddy allocator has no free page"),
                }
            };
            format!("from CMA ({pages} pages; {why})")
        }
    };
    t.slots[slot] = Some(Held::Coherent { id, buf });
    drop(t);
    say!(out, "dma alloc: handle {id}: {} for {} {served}", Size(size), dev.name);
    say!(out, "dma alloc: handle {id}: physical {pa:#x}, bus {bus:#x} ({}), owner {}", window_of(bus), Owner::dma_coherent(dev.name));
    Ok(())
}

/// A handle number.
fn parse_handle(word: &str) -> Result<u32, String> {
    let n = number(word, "handle")?;
    u32::try_from(n).map_err(|_| format!("handle {n} was never handed out"))
}

fn dma_free(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "dma free <handle>")?;
    let id = parse_handle(args[0])?;
    let mut t = TABLE.lock();
    let Some(i) = t.find(|h| matches!(h, Held::Coherent { id: x, .. } | Held::Mapping { id: x, .. } if *x == id)) else {
        return Err(format!("no DMA handle {id} (dma alloc hands them out)"));
    };
    if matches!(t.slots[i], Some(Held::Mapping { .. })) {
        return Err(format!("handle {id} is a mapping: `dma unmap {id}`"));
    }
    let Some(Held::Coherent { buf, .. }) = t.slots[i].take() else { return Err("monitor table changed".into()) };
    drop(t);
    let (size, backing) = (buf.size(), buf.backing());
    buf.free().map_err(|e| format!("dma free {id}: {e}"))?;
    let to = match backing {
        Backing::Buddy { .. } => "the buddy allocator",
        Backing::Cma { .. } => "the CMA area",
    };
    say!(out, "dma free: handle {id}: {} unmapped and given back to {to}", Size(size as u64));
    Ok(())
}

/// The largest `dma map`.
const DMA_MAP_MAX: u64 = 1 << 30;

fn dma_map(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 2, 3, "dma map <addr> <len> [monitor|sg|isa|direct]")?;
    let pa = parse_pa(args[0])?;
    let len = size(args[1], "length")?;
    if len == 0 || len > DMA_MAP_MAX {
        return Err(format!("dma map: length {} is outside 1 byte to {}", Size(len), Size(DMA_MAP_MAX)));
    }
    let dev = device(args.get(2))?;
    let end = pa.as_u64().checked_add(len).ok_or("dma map: the range wraps around")?;
    let mut t = TABLE.lock();
    let inside = t.slots.iter().flatten().filter_map(Held::block).any(|(b, n)| b.as_u64() <= pa.as_u64() && end <= b.as_u64() + n);
    if !inside {
        return Err(format!("{pa:#x}+{len:#x} is not inside a block the monitor holds (`alloc` or `cma alloc` one first)"));
    }
    let slot = t.free_slot()?;
    let map = dma::map_single(&dev, pa, len as usize, Direction::ToDevice).map_err(|e| format!("dma map: {e}"))?;
    let id = t.new_id();
    let bus = map.bus();
    t.slots[slot] = Some(Held::Mapping { id, map });
    drop(t);
    say!(out, "dma map: handle {id}: {pa:#x}+{len:#x} for {} -> bus {bus:#x} ({})", dev.name, window_of(bus));
    Ok(())
}

fn dma_unmap(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "dma unmap <handle>")?;
    let id = parse_handle(args[0])?;
    let mut t = TABLE.lock();
    let Some(i) = t.find(|h| matches!(h, Held::Coherent { id: x, .. } | Held::Mapping { id: x, .. } if *x == id)) else {
        return Err(format!("no DMA handle {id} (dma map hands them out)"));
    };
    if matches!(t.slots[i], Some(Held::Coherent { .. })) {
        return Err(format!("handle {id} is coherent memory: `dma free {id}`"));
    }
    let Some(Held::Mapping { map, .. }) = t.slots[i].take() else { return Err("monitor table changed".into()) };
    drop(t);
    let bus = map.bus();
    map.unmap().map_err(|e| format!("dma unmap {id}: {e}"))?;
    say!(out, "dma unmap: handle {id}: bus {bus:#x} unmapped");
    Ok(())
}

// ----------------------------------------------------------------------
// fragment / unfragment
// ----------------------------------------------------------------------

/// The lowest order `fragment` accepts: one above the heap's growth
/// block, so the kernel heap can still grow while memory is fragmented.
fn min_fragment_order() -> u32 {
    (heap::GROW_MIN / PAGE_SIZE).trailing_zeros() + 1
}

fn fragment(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "fragment <order>")?;
    let order = number(args[0], "order")?;
    let min = min_fragment_order();
    if order > u64::from(MAX_ORDER) {
        return Err(format!("fragment: order {order} is above the buddy allocator's largest, {MAX_ORDER}"));
    }
    if order < u64::from(min) {
        return Err(format!(
            "fragment: order {order} is below {min}: the kernel heap, which grows by {} blocks, could no longer grow",
            Size(heap::GROW_MIN)
        ));
    }
    let order = order as u32;
    // One page in each order-`order` region of every free block of that
    // order or above: the fewest pins that leave no such block.
    let needed = page::with_buddy(|b| (order..=MAX_ORDER).map(|k| b.free_count(k) << (k - order)).sum::<usize>()).ok_or("fragment: no buddy allocator")?;
    let mut pins = PINS.lock();
    // Room for every pin first: nothing below allocates from the heap.
    pins.try_reserve(needed).map_err(|_| format!("fragment: no heap memory for a list of {needed} pins"))?;
    let mut pinned = 0usize;
    let mut failed = None;
    while pins.len() < pins.capacity() {
        // The first free block of the largest order >= `order`.
        let block = page::with_buddy(|b| (order..=MAX_ORDER).rev().find_map(|k| b.free_blocks(k).next())).flatten();
        let Some(pfn) = block else { break };
        let pa = pfn_to_phys(pfn as u64);
        if let Err(e) = page::alloc_pages_at(pa, 0, Owner::MONITOR) {
            failed = Some(format!("pinning {pa:#x}: {e}"));
            break;
        }
        pins.push(pa);
        pinned += 1;
    }
    let total = pins.len();
    drop(pins);
    let largest = page::with_buddy(|b| b.largest_free_order()).flatten();
    say!(out, "fragment: pinned {pinned} page(s) (one in each free order-{order} region; {total} pinned in all), owner monitor");
    match largest {
        Some(l) if l >= order => say!(out, "fragment: a free order-{l} block remains ({})", failed.as_deref().unwrap_or("stopped early")),
        Some(l) => say!(out, "fragment: the largest free buddy block is now order {l}: no free block of order {order} or above"),
        None => say!(out, "fragment: the buddy allocator has no free page left"),
    }
    Ok(())
}

fn unfragment(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unfragment takes no argument (got '{}')", clip(a)));
    }
    let pins = core::mem::take(&mut *PINS.lock());
    let (mut given, mut failed) = (0usize, 0usize);
    for &pa in &pins {
        match page::free_pages(pa, 0) {
            Ok(()) => given += 1,
            Err(e) => {
                failed += 1;
                log::error!("unfragment: giving back {pa:#x} failed: {e}");
            }
        }
    }
    drop(pins);
    let largest = page::with_buddy(|b| b.largest_free_order()).flatten();
    say!(out, "unfragment: gave back {given} pinned page(s); largest free buddy block order {}", largest.map_or(String::from("none"), |l| format!("{l}")));
    if failed > 0 {
        return Err(format!("unfragment: {failed} page(s) could not be given back (see the log)"));
    }
    Ok(())
}

// ----------------------------------------------------------------------
// pfn
// ----------------------------------------------------------------------

fn pfn(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    expect_args(args, 1, 1, "pfn <n> | pfn @<addr>")?;
    let pfn = ::monitor::parse::pfn_or_addr(args[0]).map_err(|e| format!("pfn: {e}"))?.pfn(PAGE_SHIFT);
    if pfn > u64::MAX >> PAGE_SHIFT {
        return Err(format!("pfn {pfn:#x} is beyond any physical address"));
    }
    let pa = pfn_to_phys(pfn);
    say!(out, "pfn {pfn:#x}: physical {pa:#x}-{:#x}", pa + (PAGE_SIZE - 1));
    let p = usize::try_from(pfn).unwrap_or(usize::MAX);
    let in_cma = page::with_cma(|c| c.contains(p).then(|| (c.base_pfn(), c.end_pfn(), c.is_allocated(p)))).flatten();
    if let Some(info) = page::page_owner(pfn) {
        say!(out, "  {info}");
    } else if let Some((head, order)) = page::with_buddy(|b| b.block_at(p).filter(|i| i.free).map(|i| (i.head_pfn, i.order))).flatten() {
        say!(out, "  free: in the free order-{order} buddy block at pfn {head:#x} ({} page(s))", 1u64 << order);
    } else if let Some((_, _, false)) = in_cma {
        say!(out, "  free: in the CMA area (its bitmap bit is clear)");
    } else if let Some((_, _, true)) = in_cma {
        say!(out, "  in use in the CMA area, but no owner record (a page nobody owns: the reconciliation reports it)");
    } else {
        let managed = page::with_buddy(|b| b.base_pfn() <= p && p < b.end_pfn()).unwrap_or(false);
        if managed {
            // What the picture of memory calls it (one source for both).
            let mut run = [memmap::Run::new(0, 0, memmap::Class::Hole)];
            let what = match (crate::mm::map::runs(pfn, pfn + 1, &mut run), run[0].class) {
                (1, memmap::Class::Firmware) => "firmware/PALcode (a console cluster memblock keeps)",
                (1, memmap::Class::Kernel) => "the kernel image (with its early heap and boot stack)",
                (1, memmap::Class::Reserved) => "a memblock reservation (HWRPB, command line page, console page tables or allocator metadata)",
                (1, memmap::Class::Hole) => "a hole (not memory)",
                _ => "reserved at boot or a hole",
            };
            say!(out, "  not handed out by the buddy allocator or CMA: {what}");
        } else {
            say!(out, "  outside the memory the page allocators manage");
        }
    }
    if let Some((base, end, _)) = in_cma {
        say!(out, "  in the CMA area (pfn {base:#x}-{:#x})", end - 1);
    }
    let d = dma::iommu::direct_window();
    if pa.as_u64() < d.size && PAGE_SIZE <= d.size - pa.as_u64() {
        say!(out, "  bus: {:#x} through the direct window (bus {:#x}-{:#x} = physical 0-{:#x})", d.bus_base + pa.as_u64(), d.bus_base, d.bus_last(), d.size - 1);
    } else {
        say!(out, "  bus: beyond the direct window (physical 0-{:#x}): a device reaches it only through an IOMMU mapping", d.size.wrapping_sub(1));
    }
    let t = TABLE.lock();
    for h in t.slots.iter().flatten() {
        if let Held::Mapping { id, map } = h {
            let (a, n) = (map.pa().as_u64(), map.len() as u64);
            if a < pa.as_u64().saturating_add(PAGE_SIZE) && pa.as_u64() < a + n {
                let bus = map.bus() + pa.as_u64().saturating_sub(a);
                say!(out, "  mapped by monitor handle {id}: bus {bus:#x} ({})", window_of(bus));
            }
        }
    }
    Ok(())
}

// ----------------------------------------------------------------------
// iommu
// ----------------------------------------------------------------------

/// What `iommu` shows of one arena, read under its lock.
struct ArenaView {
    base: u64,
    size: u64,
    entries: usize,
    used: usize,
    dirty: usize,
    largest_run: usize,
    invalidations: u64,
    map: [u8; MAP_WIDTH],
    w: usize,
}

fn arena_view(a: &iommu_arena::IommuArena<'static>) -> ArenaView {
    let ptes = a.ptes();
    let (map, w) = compact_map(ptes.len(), |e| ptes[e] != 0, |e| a.is_dirty(e));
    ArenaView {
        base: a.dma_base(),
        size: a.window_size(),
        entries: a.total_entries(),
        used: a.used_entries(),
        dirty: (0..ptes.len()).filter(|&e| a.is_dirty(e)).count(),
        largest_run: a.largest_free_run(),
        invalidations: a.stats().invalidate_all + a.stats().invalidate_range,
        map,
        w,
    }
}

fn iommu(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("iommu takes no argument (got '{}')", clip(a)));
    }
    let d = dma::iommu::direct_window();
    say!(out, "iommu: direct window bus {:#010x}-{:#010x} -> physical 0x0 ({}), no IOMMU", d.bus_base, d.bus_last(), Size(d.size));
    let Some((isa, pci)) = dma::iommu::with_arenas(|isa, pci| (arena_view(isa), arena_view(pci))) else {
        say!(out, "iommu: no scatter-gather windows (not set up: see the boot log)");
        return Ok(());
    };
    for (name, v) in [("ISA", &isa), ("PCI", &pci)] {
        say!(
            out,
            "iommu: {name} SG window bus {:#010x}-{:#010x} ({}, {} entries): {} used, {} free (largest run {}), {} freed awaiting TLB invalidation, TLB invalidations so far: {}",
            v.base,
            v.base + (v.size - 1),
            Size(v.size),
            v.entries,
            v.used,
            v.entries - v.used,
            v.largest_run,
            v.dirty,
            v.invalidations
        );
        say!(out, "iommu: {name} [{}] {} entries per character", map_str(&v.map[..v.w]), v.entries.div_ceil(v.w.max(1)));
    }
    say!(
        out,
        "iommu: '.' free, '#' used, 1-9 tenths used, ',' free but awaiting invalidation (dirty bitmap: the TLB is flushed before such an entry is reused){}",
        if dma::iommu::strict() { "; iommu=strict" } else { "" }
    );
    Ok(())
}

// ----------------------------------------------------------------------
// halt
// ----------------------------------------------------------------------

/// Gives back everything the monitor holds (mappings first, then buffers,
/// blocks, CMA runs and pinned pages), so that `halt` ends with nothing
/// lost: the leak checks and the reconciliation that follow see the
/// memory where it was before the session. Says what it gave back.
pub fn release_all(out: &mut dyn Write) {
    let held: Vec<Held> = TABLE.lock().slots.iter_mut().filter_map(Option::take).collect();
    let pins = core::mem::take(&mut *PINS.lock());
    if held.is_empty() && pins.is_empty() {
        return;
    }
    let (mut maps, mut bufs, mut blocks, mut runs, mut failed) = (0, 0, 0, 0, 0);
    let mut note = |r: Result<(), String>| {
        if let Err(e) = r {
            failed += 1;
            log::error!("monitor: giving back at halt: {e}");
        }
    };
    // Mappings before the memory they map.
    let (mappings, rest): (Vec<Held>, Vec<Held>) = held.into_iter().partition(|h| matches!(h, Held::Mapping { .. }));
    for h in mappings.into_iter().chain(rest) {
        match h {
            Held::Mapping { map, .. } => {
                maps += 1;
                note(map.unmap().map_err(|e| format!("a mapping: {e}")));
            }
            Held::Coherent { buf, .. } => {
                bufs += 1;
                note(buf.free().map_err(|e| format!("a coherent buffer: {e}")));
            }
            Held::Pages { pa, order } => {
                blocks += 1;
                note(page::free_pages(pa, order).map_err(|e| format!("block {pa:#x}: {e}")));
            }
            Held::Cma { pa, pages } => {
                runs += 1;
                note(page::cma_release(pa, pages).map_err(|e| format!("CMA run {pa:#x}: {e}")));
            }
        }
    }
    for &pa in &pins {
        note(page::free_pages(pa, 0).map_err(|e| format!("pinned page {pa:#x}: {e}")));
    }
    let _ = writeln!(
        out,
        "monitor: gave back what it held: {maps} mapping(s), {bufs} coherent buffer(s), {blocks} block(s), {runs} CMA run(s), {} pinned page(s){}",
        pins.len(),
        if failed > 0 { " (some failed: see the log)" } else { "" }
    );
}
