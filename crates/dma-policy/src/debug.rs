//! The bookkeeping of DMA-API debug (after Linux's `kernel/dma/debug.c`),
//! as a plain table that the kernel keeps behind its lock and reports from.
//!
//! * Mappings are found by device and bus address, and several live
//!   mappings may share one: two direct-window mappings of the same page have
//!   the same bus address, which is legal (Linux's `__hash_bucket_find`
//!   comment: "Some drivers map the same physical address multiple times").
//!   An IOMMU bus address, however, belongs to one mapping at a time: a
//!   second live mapping at the same scatter-gather bus address means the
//!   arena handed a run out twice, and [`Table::insert`] says so.
//! * An unmap names device, bus address, size, kind and direction (and for a
//!   scatter-gather list its segments); [`Table::remove`] picks the best
//!   fitting mapping of that device at that bus address (as
//!   `__hash_bucket_find` does), removes it only if everything matches, and
//!   otherwise returns every difference, like `check_unmap`.
//! * A sync must lie inside one segment of a live mapping of the same device
//!   and use a compatible direction: the mapping's own, or any if the
//!   mapping is bidirectional (`check_sync`).
//!
//! Generic over `S`, what the kernel records about the call site.

use alloc::vec::Vec;

/// Who may write the memory while it is mapped (Linux's
/// `enum dma_data_direction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The device reads, the CPU wrote.
    ToDevice,
    /// The device writes, the CPU reads.
    FromDevice,
    /// Both.
    Bidirectional,
}

impl Direction {
    /// Whether a sync with `sync` is allowed on a mapping made with `self`
    /// (`check_sync`: the same direction, or any on a bidirectional mapping).
    pub fn accepts_sync(self, sync: Direction) -> bool {
        self == Direction::Bidirectional || self == sync
    }
}

/// Which API made a mapping; the matching unmap must be the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Coherent,
    Single,
    Sg,
}

/// One range in bus address space and the memory behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub bus: u64,
    /// Physical address (compared on unmap only for coherent buffers, as
    /// Linux compares their CPU address; unknown to `unmap_single`).
    pub pa: u64,
    pub len: u64,
}

impl Seg {
    fn bus_end(&self) -> u64 {
        self.bus.saturating_add(self.len)
    }

    /// Whether `[bus, bus + len)` lies inside this segment.
    fn contains(&self, bus: u64, len: u64) -> bool {
        self.bus <= bus && bus.saturating_add(len) <= self.bus_end()
    }
}

/// One live mapping: a single or coherent buffer (one segment) or a
/// scatter-gather list (one segment per list element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping<S> {
    pub dev: &'static str,
    pub kind: Kind,
    pub dir: Direction,
    pub segs: Vec<Seg>,
    pub site: S,
}

impl<S> Mapping<S> {
    /// The bus address the mapping is found by: its first segment's.
    pub fn bus(&self) -> u64 {
        self.segs.first().map_or(0, |s| s.bus)
    }

    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        self.segs.iter().map(|s| s.len).sum()
    }

    /// Physical address of the first segment.
    pub fn first_pa(&self) -> u64 {
        self.segs.first().map_or(0, |s| s.pa)
    }
}

/// What an unmap says about the mapping it undoes.
#[derive(Clone, Copy, Debug)]
pub struct Unmap<'a> {
    pub dev: &'static str,
    pub kind: Kind,
    pub dir: Direction,
    /// One segment for a single or coherent buffer, the list for `unmap_sg`.
    pub segs: &'a [Seg],
}

impl Unmap<'_> {
    pub fn bus(&self) -> u64 {
        self.segs.first().map_or(0, |s| s.bus)
    }

    pub fn len(&self) -> u64 {
        self.segs.iter().map(|s| s.len).sum()
    }
}

/// One way an unmap differs from the mapping it names (each is one of
/// `check_unmap`'s reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diff {
    /// "frees DMA memory with different size"
    Size { mapped: u64, unmapped: u64 },
    /// "frees DMA memory with wrong function"
    Kind { mapped: Kind, unmapped: Kind },
    /// "frees DMA memory with different CPU address" (coherent buffers)
    CpuAddress { mapped: u64, unmapped: u64 },
    /// "frees DMA sg list with different entry count"
    Entries { mapped: usize, unmapped: usize },
    /// Same count and total size, but segment `index` differs.
    Segment { index: usize, mapped: Seg, unmapped: Seg },
    /// "frees DMA memory with different direction"
    Direction { mapped: Direction, unmapped: Direction },
}

/// Why [`Table::remove`] removed nothing.
///
/// `repr(u8)` (also on [`SyncProblem`]): without an explicit tag rustc may
/// store the tag in the niche of a `Mapping` field's enum inside another
/// niche (the `Option` here, the `Result` around these), the layout the
/// kernel's compiler backend (rustc_codegen_gcc) miscompiles; see the
/// README's "A backend bug to know about".
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum UnmapProblem<S> {
    /// No live mapping of this device at this bus address (double unmap,
    /// or never mapped). `other` is a mapping of another device at the same
    /// bus address, if there is one.
    NotMapped { other: Option<Mapping<S>> },
    /// The best-fitting mapping differs in these respects (never empty).
    Mismatch { mapped: Mapping<S>, diffs: Vec<Diff> },
}

/// Why [`Table::check_sync`] refused a sync (`repr(u8)`: see
/// [`UnmapProblem`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SyncProblem<S> {
    /// The range lies in no live mapping of this device.
    NotMapped,
    /// The range starts inside a segment of this mapping but runs past its
    /// end (`check_sync`'s "outside allocated range").
    Outside { mapped: Mapping<S>, seg: Seg },
    /// Inside this mapping, but its direction does not accept the sync's.
    Direction { mapped: Mapping<S> },
}

/// The live mappings, found by the bus address of their first segment.
/// One flat list, grown only with `try_reserve` (a mapping made while the
/// heap is exhausted is refused, not a panic; the kernel then stops
/// debugging, as Linux's `debug.c` does when it runs out of entries), and
/// searched linearly: a few hundred live mappings at most.
#[derive(Debug)]
pub struct Table<S> {
    list: Vec<Mapping<S>>,
    /// Bus addresses here may be shared by several live mappings (a
    /// direct-mapped window: bus = base + physical address).
    shared: (u64, u64),
}

impl<S: Clone> Table<S> {
    /// An empty table; bus addresses in `shared_base .. shared_base +
    /// shared_size` (the direct window) may be live more than once.
    pub const fn new(shared_base: u64, shared_size: u64) -> Self {
        Table { list: Vec::new(), shared: (shared_base, shared_size) }
    }

    /// Number of live mappings.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every live mapping (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = &Mapping<S>> {
        self.list.iter()
    }

    fn shared(&self, bus: u64) -> bool {
        bus.wrapping_sub(self.shared.0) < self.shared.1
    }

    /// Records a mapping. If its bus address is outside the shared window
    /// and already live, the mapping is still recorded (both must be
    /// unmapped) and the one already there is returned: an IOMMU bus
    /// address handed out twice. `Err` gives the mapping back, unrecorded,
    /// when there is no memory for it.
    pub fn try_insert(&mut self, m: Mapping<S>) -> Result<Option<Mapping<S>>, Mapping<S>> {
        if self.list.try_reserve(1).is_err() {
            return Err(m);
        }
        let bus = m.bus();
        let clash = if self.shared(bus) { None } else { self.list.iter().find(|x| x.bus() == bus).cloned() };
        self.list.push(m);
        Ok(clash)
    }

    /// The differences between mapping `m` and unmap `u`.
    fn diffs(m: &Mapping<S>, u: &Unmap) -> Vec<Diff> {
        let mut d = Vec::new();
        if m.len() != u.len() {
            d.push(Diff::Size { mapped: m.len(), unmapped: u.len() });
        }
        if m.kind != u.kind {
            d.push(Diff::Kind { mapped: m.kind, unmapped: u.kind });
        } else if m.kind == Kind::Coherent && m.first_pa() != u.segs.first().map_or(0, |s| s.pa) {
            d.push(Diff::CpuAddress { mapped: m.first_pa(), unmapped: u.segs.first().map_or(0, |s| s.pa) });
        }
        if u.kind == Kind::Sg && m.segs.len() != u.segs.len() {
            d.push(Diff::Entries { mapped: m.segs.len(), unmapped: u.segs.len() });
        } else if u.kind == Kind::Sg && m.len() == u.len() {
            let bad = m.segs.iter().zip(u.segs).enumerate().find(|(_, (a, b))| a.bus != b.bus || a.len != b.len);
            if let Some((index, (a, b))) = bad {
                d.push(Diff::Segment { index, mapped: *a, unmapped: *b });
            }
        }
        if m.dir != u.dir {
            d.push(Diff::Direction { mapped: m.dir, unmapped: u.dir });
        }
        d
    }

    /// Removes the mapping `u` undoes and returns it. Among the device's
    /// mappings at that bus address the best fit is taken (the fewest
    /// differences; of identical ones, any): if it differs in anything,
    /// nothing is removed and the differences are returned.
    pub fn remove(&mut self, u: &Unmap) -> Result<Mapping<S>, UnmapProblem<S>> {
        let bus = u.bus();
        let list = &mut self.list;
        let mut best: Option<(usize, Vec<Diff>)> = None;
        for (i, m) in list.iter().enumerate().filter(|(_, m)| m.bus() == bus && m.dev == u.dev) {
            let d = Self::diffs(m, u);
            if d.is_empty() {
                best = Some((i, d));
                break;
            }
            if best.as_ref().is_none_or(|(_, b)| d.len() < b.len()) {
                best = Some((i, d));
            }
        }
        match best {
            None => Err(UnmapProblem::NotMapped { other: list.iter().find(|m| m.bus() == bus).cloned() }),
            Some((i, d)) if d.is_empty() => Ok(list.swap_remove(i)),
            Some((i, diffs)) => Err(UnmapProblem::Mismatch { mapped: list[i].clone(), diffs }),
        }
    }

    /// Checks a sync of `[bus, bus + len)` for `dev` with `dir` (a zero
    /// length counts as one byte). Fine if some live mapping of the device
    /// has a segment containing the range and accepts the direction.
    pub fn check_sync(&self, dev: &str, bus: u64, len: u64, dir: Direction) -> Result<(), SyncProblem<S>> {
        let len = len.max(1);
        let mut wrong_dir = None;
        let mut outside = None;
        for m in self.iter().filter(|m| m.dev == dev) {
            for s in &m.segs {
                if s.contains(bus, len) {
                    if m.dir.accepts_sync(dir) {
                        return Ok(());
                    }
                    wrong_dir.get_or_insert(m);
                } else if s.contains(bus, 1) {
                    outside.get_or_insert((m, *s));
                }
            }
        }
        match (wrong_dir, outside) {
            (Some(m), _) => Err(SyncProblem::Direction { mapped: m.clone() }),
            (None, Some((m, seg))) => Err(SyncProblem::Outside { mapped: m.clone(), seg }),
            (None, None) => Err(SyncProblem::NotMapped),
        }
    }

    /// A live mapping with memory in `[pa, pa + len)`, if any.
    pub fn overlapping_phys(&self, pa: u64, len: u64) -> Option<&Mapping<S>> {
        let end = pa.saturating_add(len);
        self.iter().find(|m| m.segs.iter().any(|s| s.pa < end && pa < s.pa.saturating_add(s.len)))
    }
}

#[cfg(test)]
#[path = "debug_tests.rs"]
mod tests;
