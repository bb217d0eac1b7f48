//! One accounting snapshot of the kernel's memory: what the buddy allocator
//! and CMA have free, the pages each owner holds, what the heap uses, and
//! (filled in by the DMA layer) the IOMMU arena entries and the mappings
//! DMA-API debug tracks. Tests take one before and one after and compare
//! them with [`Accounting::diff`]; the status page shows one.
//!
//! `mm` sits below `dma` (the DMA API allocates pages), so this module
//! does not read DMA state itself: [`accounting`] leaves
//! [`Accounting::dma`] empty, and `dma::accounting()` returns the same
//! snapshot with the DMA part filled in. The dependency runs one way, from
//! `dma` to `mm`.

use super::{heap, page};
use core::fmt;

/// The DMA layer's counts, as `dma::accounting()` reads them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaCounts {
    /// IOMMU scatter-gather arena entries in use: (ISA window, PCI window).
    pub iommu_used: (usize, usize),
    /// Whether DMA-API debug tracks mappings (`dma_debug=`).
    pub debug_enabled: bool,
    /// Mappings DMA-API debug tracks now.
    pub live_mappings: usize,
    /// Problems DMA-API debug has reported since boot.
    pub problems: u64,
    /// DMA pools: (chunks held, objects allocated), over every pool alive.
    pub pool_objects: (usize, usize),
}

/// A snapshot of the memory counters, each source read once.
#[derive(Clone, Copy, Debug)]
pub struct Accounting {
    /// Buddy allocator (managed, free, free blocks per order) and CMA
    /// (total, free) page counts.
    pub pages: page::PageStats,
    /// The heap: bytes used and free, pages it took from the buddy allocator.
    pub heap: heap::HeapStats,
    /// Pages per owner (buddy, CMA), once the page allocator is up.
    pub owners: Option<page_owner::Counts>,
    /// IOMMU and DMA-API debug counts; `None` when taken by
    /// [`accounting`] alone (see the module documentation).
    pub dma: Option<DmaCounts>,
}

/// The memory part of the snapshot (no DMA counts; `dma::accounting()`
/// adds them).
pub fn accounting() -> Accounting {
    Accounting { pages: page::stats(), heap: heap::stats(), owners: page::owner_counts(), dma: None }
}

/// Which differences between two snapshots count as something not given
/// back. DMA counts are compared only when both snapshots have them; the
/// heap's byte counts and DMA-API debug's problem count never are (the
/// first change with every log line, the second is what a test checks on
/// its own terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Compare {
    /// Every page count as it is: buddy managed and free pages, the free
    /// blocks of each order, CMA total and free, heap pages; IOMMU entries
    /// and live mappings, DMA pool chunks and objects.
    Exact,
    /// The page counts, not how free pages are split into blocks: buddy
    /// free pages, heap pages, CMA free; IOMMU entries and live mappings, DMA pool chunks and objects.
    Pages,
    /// As [`Compare::Pages`], but pages the heap took from the buddy
    /// allocator count as free (the heap may grow while a test formats
    /// its messages): buddy free plus heap pages, CMA free; IOMMU entries
    /// and live mappings, DMA pool chunks and objects.
    HeapAsFree,
}

/// One quantity of a snapshot, for naming what differs.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Quantity {
    Managed,
    BuddyFree,
    FreeBlocks,
    BuddyAndHeap,
    HeapPages,
    CmaTotal,
    CmaFree,
    IommuUsed,
    LiveMappings,
    PoolObjects,
}

impl Quantity {
    fn name(self) -> &'static str {
        match self {
            Quantity::Managed => "buddy managed pages",
            Quantity::BuddyFree => "buddy free pages",
            Quantity::FreeBlocks => "buddy free blocks per order",
            Quantity::BuddyAndHeap => "buddy free + heap pages",
            Quantity::HeapPages => "heap pages",
            Quantity::CmaTotal => "CMA total pages",
            Quantity::CmaFree => "CMA free pages",
            Quantity::IommuUsed => "IOMMU entries used (ISA, PCI)",
            Quantity::LiveMappings => "DMA mappings live",
            Quantity::PoolObjects => "DMA pool chunks, objects",
        }
    }

    /// The quantities `rule` compares, in the order a report names them.
    fn compared(rule: Compare) -> &'static [Quantity] {
        use Quantity::*;
        match rule {
            Compare::Exact => &[Managed, BuddyFree, FreeBlocks, HeapPages, CmaTotal, CmaFree, IommuUsed, LiveMappings, PoolObjects],
            Compare::Pages => &[BuddyFree, HeapPages, CmaFree, IommuUsed, LiveMappings, PoolObjects],
            Compare::HeapAsFree => &[BuddyAndHeap, CmaFree, IommuUsed, LiveMappings, PoolObjects],
        }
    }
}

/// A value of one [`Quantity`], printable.
#[derive(PartialEq, Eq)]
#[repr(u8)]
enum Value<'a> {
    Count(usize),
    Pair((usize, usize)),
    Blocks(&'a [usize]),
    /// A DMA count one of the snapshots lacks: not compared.
    Absent,
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Pair(p) => write!(f, "{p:?}"),
            Value::Blocks(b) => write!(f, "{b:?}"),
            Value::Absent => f.write_str("-"),
        }
    }
}

impl Accounting {
    /// Buddy free pages plus the pages the heap holds.
    pub fn buddy_and_heap_pages(&self) -> usize {
        self.pages.free + self.heap.buddy_pages
    }

    fn value(&self, q: Quantity) -> Value<'_> {
        match q {
            Quantity::Managed => Value::Count(self.pages.managed),
            Quantity::BuddyFree => Value::Count(self.pages.free),
            Quantity::FreeBlocks => Value::Blocks(&self.pages.free_blocks),
            Quantity::BuddyAndHeap => Value::Count(self.buddy_and_heap_pages()),
            Quantity::HeapPages => Value::Count(self.heap.buddy_pages),
            Quantity::CmaTotal => Value::Count(self.pages.cma_total),
            Quantity::CmaFree => Value::Count(self.pages.cma_free),
            Quantity::IommuUsed => self.dma.map_or(Value::Absent, |d| Value::Pair(d.iommu_used)),
            Quantity::LiveMappings => self.dma.map_or(Value::Absent, |d| Value::Count(d.live_mappings)),
            Quantity::PoolObjects => self.dma.map_or(Value::Absent, |d| Value::Pair(d.pool_objects)),
        }
    }

    /// What differs from `before` under `rule`; empty when everything
    /// `rule` compares is back where it was. Its `Display` names each
    /// difference as `name before -> after`.
    pub fn diff<'a>(&'a self, before: &'a Accounting, rule: Compare) -> Diff<'a> {
        Diff { before, after: self, rule }
    }
}

/// The differences between two snapshots under a [`Compare`] rule.
pub struct Diff<'a> {
    before: &'a Accounting,
    after: &'a Accounting,
    rule: Compare,
}

impl Diff<'_> {
    fn differing(&self) -> impl Iterator<Item = (Quantity, Value<'_>, Value<'_>)> + '_ {
        Quantity::compared(self.rule).iter().filter_map(|&q| {
            let (b, a) = (self.before.value(q), self.after.value(q));
            let comparable = b != Value::Absent && a != Value::Absent;
            (comparable && b != a).then_some((q, b, a))
        })
    }

    /// Whether nothing the rule compares differs.
    pub fn is_empty(&self) -> bool {
        self.differing().next().is_none()
    }
}

impl fmt::Display for Diff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut any = false;
        for (q, b, a) in self.differing() {
            if any {
                f.write_str(", ")?;
            }
            write!(f, "{} {b} -> {a}", q.name())?;
            any = true;
        }
        if !any {
            f.write_str("nothing differs")?;
        }
        Ok(())
    }
}
