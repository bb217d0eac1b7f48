//! The numbers `/status.json` and `/` show: uptime, memory (memblock,
//! buddy, CMA, heap), IOMMU arena occupancy, NIC counters, DMA-API debug.

use crate::dma::{self, iommu};
use super::{Counters, IrqCounters, MacDisplay, NetDevice};
use crate::mm::{self, PAGE_SIZE, heap, page};
use crate::mm::boot::MemReport;
use core::fmt::{self, Write};

/// Counters of the network services.
#[derive(Clone, Copy, Debug, Default)]
pub struct NetStats {
    pub udp_echoed: u64,
    pub udp_bytes: u64,
    /// Echoes not sent (socket buffer full).
    pub udp_dropped: u64,
    /// `STALL` datagrams echoed without stalling (debug hooks off).
    pub udp_stall_refused: u64,
    pub http: super::http::HttpStats,
    /// `net_debug_hooks`: `STALL` works.
    pub debug_hooks: bool,
}

/// One consistent-enough snapshot (each source read once).
pub struct Snapshot {
    pub uptime_us: u64,
    pub total_pages: u64,
    pub reserved_pages: u64,
    pub cma_pages: u64,
    pub memblock_total: u64,
    pub memblock_reserved: u64,
    pub pages: page::PageStats,
    pub heap: heap::HeapStats,
    /// Pages per owner (buddy, CMA), if the page allocator is up.
    pub owners: Option<page_owner::Counts>,
    pub iommu: (usize, usize),
    pub iommu_pci_entries: u64,
    pub nic: Counters,
    pub mac: [u8; 6],
    /// The device's name ("DEC 21143").
    pub model: &'static str,
    pub rx_in_flight: usize,
    pub tx_in_flight: usize,
    pub dma_debug: bool,
    pub dma_live: usize,
    pub dma_problems: u64,
    pub net: NetStats,
    /// The NIC's Cchip line while interrupts are on (`None`: polled).
    pub irq_line: Option<u32>,
    pub nic_irq: IrqCounters,
    pub irq: crate::irq::IrqStats,
}

pub fn uptime_us() -> u64 {
    let (s, us) = crate::time::uptime();
    s * 1_000_000 + us as u64
}

/// `memory`: the memory setup's report, from the boot configuration.
pub fn snapshot(nic: &dyn NetDevice, net: NetStats, memory: &MemReport) -> Snapshot {
    let (rx_in_flight, tx_in_flight) = nic.in_flight();
    let r = memory;
    let (memblock_total, memblock_reserved) = {
        let mb = mm::boot::MEMBLOCK.lock();
        (mb.total_memory(), mb.reserved_size())
    };
    let mem = dma::accounting();
    let dma_counts = mem.dma.unwrap_or_default();
    Snapshot {
        uptime_us: uptime_us(),
        total_pages: r.total_pages,
        reserved_pages: r.reserved_pages,
        cma_pages: r.cma_pages,
        memblock_total,
        memblock_reserved,
        pages: mem.pages,
        owners: mem.owners,
        heap: mem.heap,
        iommu: dma_counts.iommu_used,
        iommu_pci_entries: iommu::pci_sg_size() / PAGE_SIZE,
        nic: nic.counters(),
        mac: nic.mac(),
        model: nic.model(),
        rx_in_flight,
        tx_in_flight,
        dma_debug: dma_counts.debug_enabled,
        dma_live: dma_counts.live_mappings,
        dma_problems: dma_counts.problems,
        net,
        irq_line: nic.irq_line(),
        nic_irq: nic.irq_counters(),
        irq: crate::irq::stats(),
    }
}

/// `(owner, buddy pages, CMA pages)` of every owner holding pages.
fn owners(s: &Snapshot) -> impl Iterator<Item = (mm::owner::Owner, usize, usize)> + '_ {
    s.owners.iter().flat_map(|c| c.iter()).map(|(c, b, m)| (mm::owner::Owner::from_code(c), b, m))
}

struct List<'a>(&'a [usize]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[")?;
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{x}")?;
        }
        f.write_str("]")
    }
}

/// The counters as `"name":value` pairs, in one place for JSON and HTML.
fn nic_fields(c: &Counters) -> [(&'static str, u64); 19] {
    [
        ("rx_packets", c.rx_packets),
        ("rx_bytes", c.rx_bytes),
        ("tx_packets", c.tx_packets),
        ("tx_bytes", c.tx_bytes),
        ("rx_errors", c.rx_errors),
        ("tx_errors", c.tx_errors),
        ("rx_dropped", c.rx_dropped),
        ("tx_dropped", c.tx_dropped),
        ("rx_runts", c.rx_runts),
        ("rx_oversize", c.rx_oversize),
        ("rx_truncated", c.rx_truncated),
        ("rx_ring_full", c.rx_ring_full),
        ("tx_ring_full", c.tx_ring_full),
        ("rx_missed", c.rx_missed),
        ("rx_fifo_overflows", c.rx_fifo_overflows),
        ("dma_errors", c.dma_errors),
        ("fatal_bus_errors", c.fatal_bus_errors),
        ("tx_underflows", c.tx_underflows),
        ("desc_mismatch", c.desc_mismatch),
    ]
}

/// The HTTP counters as `"name":value` pairs, for JSON, HTML and the log.
pub fn http_fields(h: &super::http::HttpStats) -> [(&'static str, u64); 8] {
    [
        ("http_connections", h.connections),
        ("http_requests", h.requests),
        ("http_errors", h.errors),
        ("http_503", h.unavailable),
        ("http_alloc_failures", h.alloc_failures),
        ("http_idle_closed", h.idle_closed),
        ("http_evicted", h.evicted),
        ("http_throttled", h.throttled),
    ]
}

/// `/status.json`, written to `o` (a bounded response body: nothing here
/// allocates).
pub fn json(s: &Snapshot, o: &mut impl Write) -> fmt::Result {
    let p = &s.pages;
    write!(
        o,
        "{{\"kernel\":\"alpha-unikernel {}\",\"uptime_us\":{},\"page_size\":{},",
        crate::VERSION,
        s.uptime_us,
        PAGE_SIZE
    )?;
    write!(
        o,
        "\"memory\":{{\"memblock\":{{\"total_bytes\":{},\"reserved_bytes\":{},\"total_pages\":{},\"reserved_pages\":{},\"cma_pages\":{}}},",
        s.memblock_total, s.memblock_reserved, s.total_pages, s.reserved_pages, s.cma_pages
    )?;
    write!(
        o,
        "\"buddy\":{{\"managed_pages\":{},\"free_pages\":{},\"free_blocks_per_order\":{}",
        p.managed,
        p.free,
        List(&p.free_blocks)
    )?;
    write!(
        o,
        "}},\"cma\":{{\"total_pages\":{},\"free_pages\":{},\"total_kb\":{},\"free_kb\":{}}},",
        p.cma_total,
        p.cma_free,
        p.cma_total as u64 * PAGE_SIZE / 1024,
        p.cma_free as u64 * PAGE_SIZE / 1024
    )?;
    write!(
        o,
        "\"heap\":{{\"used_bytes\":{},\"free_bytes\":{},\"regions\":{},\"buddy_pages\":{}}},\"owners\":{{",
        s.heap.used, s.heap.free, s.heap.regions, s.heap.buddy_pages
    )?;
    for (i, (owner, buddy_pages, cma_pages)) in owners(s).enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(o, "{sep}\"{owner}\":{{\"buddy_pages\":{buddy_pages},\"cma_pages\":{cma_pages}}}")?;
    }
    o.write_str("}},")?;
    write!(
        o,
        "\"iommu\":{{\"isa_used_entries\":{},\"pci_used_entries\":{},\"pci_entries\":{}}},",
        s.iommu.0, s.iommu.1, s.iommu_pci_entries
    )?;
    write!(
        o,
        "\"nic\":{{\"mac\":\"{}\",\"rx_in_flight\":{},\"tx_in_flight\":{}",
        MacDisplay(&s.mac),
        s.rx_in_flight,
        s.tx_in_flight
    )?;
    for (k, v) in nic_fields(&s.nic) {
        write!(o, ",\"{k}\":{v}")?;
    }
    write!(
        o,
        "}},\"dma_debug\":{{\"enabled\":{},\"live_mappings\":{},\"problems\":{}}},",
        s.dma_debug, s.dma_live, s.dma_problems
    )?;
    write!(
        o,
        "\"interrupts\":{{\"mode\":\"{}\",\"line\":{},\"nic_taken\":{},\"nic_not_ours\":{},\"clock_ticks\":{},\"device\":{},\"spurious\":{},\"unhandled\":{}}},",
        if s.irq_line.is_some() { "interrupt" } else { "polled" },
        s.irq_line.map_or(-1, |l| l as i64),
        s.nic_irq.taken,
        s.nic_irq.not_ours,
        s.irq.ticks,
        s.irq.device,
        s.irq.spurious,
        s.irq.unhandled
    )?;
    let n = &s.net;
    write!(
        o,
        "\"net\":{{\"ip\":\"{}\",\"gateway\":\"{}\",\"debug_hooks\":{},\"udp_echoed\":{},\"udp_bytes\":{},\"udp_dropped\":{},\"udp_stall_refused\":{},\"http_sockets\":{}",
        super::IP_CIDR,
        super::GATEWAY,
        n.debug_hooks,
        n.udp_echoed,
        n.udp_bytes,
        n.udp_dropped,
        n.udp_stall_refused,
        super::http::SOCKETS
    )?;
    for (k, v) in http_fields(&n.http) {
        write!(o, ",\"{k}\":{v}")?;
    }
    o.write_str("}}\n")
}

/// `/`, written to `o` (as [`json`]).
pub fn html(s: &Snapshot, o: &mut impl Write) -> fmt::Result {
    let p = &s.pages;
    write!(
        o,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
         <title>alpha-unikernel status</title><style>body{{font-family:sans-serif}}td{{padding:0 1em}}\
         td:nth-child(2){{text-align:right;font-family:monospace}}</style></head><body>\n\
         <h1>alpha-unikernel {}</h1>\n<p>DEC Alpha (QEMU clipper), up {}.{:06} s. \
         <a href=\"/status.json\">status.json</a></p>\n<h2>Memory</h2><table>\n",
        crate::VERSION,
        s.uptime_us / 1_000_000,
        s.uptime_us % 1_000_000
    )?;
    fn row(o: &mut impl Write, k: impl fmt::Display, v: impl fmt::Display) -> fmt::Result {
        writeln!(o, "<tr><td>{k}</td><td>{v}</td></tr>")
    }
    row(o, "memblock total (bytes)", s.memblock_total)?;
    row(o, "memblock reserved (bytes)", s.memblock_reserved)?;
    row(o, "pages total / reserved / CMA", format_args!("{} / {} / {}", s.total_pages, s.reserved_pages, s.cma_pages))?;
    row(o, "buddy managed pages", p.managed)?;
    row(o, "buddy free pages", p.free)?;
    row(o, "free blocks per order 0..10", List(&p.free_blocks))?;
    row(
        o,
        "CMA total / free (kB)",
        format_args!("{} / {}", p.cma_total as u64 * PAGE_SIZE / 1024, p.cma_free as u64 * PAGE_SIZE / 1024),
    )?;
    row(o, "heap used / free (bytes)", format_args!("{} / {}", s.heap.used, s.heap.free))?;
    for (owner, buddy_pages, cma_pages) in owners(s) {
        row(o, format_args!("pages held by {owner} (buddy / CMA)"), format_args!("{buddy_pages} / {cma_pages}"))?;
    }
    row(
        o,
        "IOMMU entries used (ISA / PCI)",
        format_args!("{} / {} of {}", s.iommu.0, s.iommu.1, s.iommu_pci_entries),
    )?;
    row(o, "DMA-API debug live mappings", s.dma_live)?;
    write!(o, "</table>\n<h2>NIC ({}, {})</h2><table>\n", s.model, MacDisplay(&s.mac))?;
    for (k, v) in nic_fields(&s.nic) {
        row(o, k, v)?;
    }
    row(o, "rx / tx descriptors with the chip", format_args!("{} / {}", s.rx_in_flight, s.tx_in_flight))?;
    match s.irq_line {
        Some(l) => row(
            o,
            "interrupts: Cchip line / taken / not its own",
            format_args!("{l} / {} / {}", s.nic_irq.taken, s.nic_irq.not_ours),
        )?,
        None => row(o, "interrupts", "off (polled)")?,
    }
    row(
        o,
        "clock ticks / device interrupts / spurious / unhandled",
        format_args!("{} / {} / {} / {}", s.irq.ticks, s.irq.device, s.irq.spurious, s.irq.unhandled),
    )?;
    let n = &s.net;
    write!(o, "</table>\n<h2>Services ({} gw {})</h2><table>\n", super::IP_CIDR, super::GATEWAY)?;
    row(o, "UDP echo datagrams / bytes", format_args!("{} / {}", n.udp_echoed, n.udp_bytes))?;
    row(o, "UDP echoes dropped", n.udp_dropped)?;
    row(o, "UDP STALL refused (debug hooks off)", n.udp_stall_refused)?;
    for (k, v) in http_fields(&n.http) {
        row(o, k, v)?;
    }
    o.write_str("</table>\n</body></html>\n")
}
