//! Page owner records, after Linux's `mm/page_owner.c`: every block the
//! page allocators hand out (a buddy block of `2^order` frames, or a run of
//! CMA pages) carries the code of its owner, its size, where it came from
//! and the call site that asked for it, recorded on its first frame when it
//! is allocated and cleared when it is freed.
//!
//! # Why a table of its own
//!
//! The memory reconciliation of the kernel adds up three sources that must
//! agree to the page: memblock's reservations, the allocators' own free
//! structures (the buddy free lists, the CMA bitmap), and these records.
//! They are only independent if the records are kept by a layer that does
//! not read the allocators' counters. A page taken from the buddy allocator
//! without a record is then a page nobody owns, and the sum comes out short.
//!
//! # Layout
//!
//! One [`Slot`] per frame of the managed span (16 bytes with an 8-byte
//! site), supplied by the caller (memblock memory in the kernel). Only the
//! first frame of a block is written, so recording and clearing are O(1);
//! [`PageOwners::lookup`] of a frame inside a block walks back to the
//! block's first frame, at most as far as the largest block ever recorded.
//!
//! Per-owner page counts (per [`Source`]) are kept incrementally;
//! [`PageOwners::recount`] computes them again from the slots alone, so the
//! two can be compared.
//!
//! # Errors, not panics
//!
//! Every operation validates first and changes nothing on error: a record
//! on a frame that already starts a block, a release that does not match
//! the record (another size, another source, no record), a frame outside the
//! span.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

use core::fmt;
use core::num::NonZeroU8;

/// Owner codes are `1..MAX_OWNERS`; what each means is the caller's.
pub const MAX_OWNERS: usize = 64;

/// Which allocator a block came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Source {
    Buddy = 1,
    Cma = 2,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Buddy, Source::Cma];

    fn index(self) -> usize {
        self as usize - 1
    }

    fn from_u8(v: u8) -> Option<Source> {
        match v {
            1 => Some(Source::Buddy),
            2 => Some(Source::Cma),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Buddy => "buddy",
            Source::Cma => "CMA",
        })
    }
}

/// An owner: a non-zero code below [`MAX_OWNERS`]. There is no "nobody"
/// value, so a record always names someone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerCode(NonZeroU8);

impl OwnerCode {
    /// `None` for 0 and for codes at or above [`MAX_OWNERS`].
    pub const fn new(code: u8) -> Option<OwnerCode> {
        if code as usize >= MAX_OWNERS {
            return None;
        }
        match NonZeroU8::new(code) {
            Some(c) => Some(OwnerCode(c)),
            None => None,
        }
    }

    pub const fn get(self) -> u8 {
        self.0.get()
    }
}

/// One frame's record. `pages == 0`: no block starts at this frame.
#[derive(Clone, Copy, Debug)]
pub struct Slot<S> {
    site: Option<S>,
    pages: u32,
    owner: u8,
    source: u8,
}

impl<S> Slot<S> {
    pub const EMPTY: Slot<S> = Slot { site: None, pages: 0, owner: 0, source: 0 };
}

/// What is recorded for one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<S> {
    /// The block's first frame.
    pub pfn: usize,
    pub pages: usize,
    pub source: Source,
    pub owner: OwnerCode,
    pub site: Option<S>,
}

/// Why an operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerError {
    /// The block does not lie inside the span the table covers.
    OutOfRange { pfn: usize, pages: usize, base_pfn: usize, end_pfn: usize },
    /// A block of zero pages, or more than `u32::MAX`.
    BadSize { pages: usize },
    /// A block already starts at this frame.
    AlreadyRecorded { pfn: usize, pages: usize, owner: u8 },
    /// No block starts at this frame.
    NotRecorded { pfn: usize },
    /// A block starts here, but not of this size or from this allocator.
    Mismatch { pfn: usize, pages: usize, source: Source, recorded_pages: usize, recorded_source: Source },
}

impl fmt::Display for OwnerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OwnerError::OutOfRange { pfn, pages, base_pfn, end_pfn } => write!(
                f,
                "pfn {pfn:#x}+{pages} lies outside the owner table (pfn {base_pfn:#x}-{end_pfn:#x})"
            ),
            OwnerError::BadSize { pages } => write!(f, "a block of {pages} pages cannot be recorded"),
            OwnerError::AlreadyRecorded { pfn, pages, owner } => {
                write!(f, "pfn {pfn:#x} already starts a block of {pages} pages held by owner {owner}")
            }
            OwnerError::NotRecorded { pfn } => {
                write!(f, "no allocated block starts at pfn {pfn:#x} (freed already, or never allocated)")
            }
            OwnerError::Mismatch { pfn, pages, source, recorded_pages, recorded_source } => write!(
                f,
                "pfn {pfn:#x} starts a {recorded_source} block of {recorded_pages} pages, not a {source} block of {pages}"
            ),
        }
    }
}

/// Pages per owner code, per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pages: [[usize; MAX_OWNERS]; 2],
}

impl Default for Counts {
    fn default() -> Self {
        Counts { pages: [[0; MAX_OWNERS]; 2] }
    }
}

impl Counts {
    /// Pages held by `owner` from `source`.
    pub fn get(&self, source: Source, owner: OwnerCode) -> usize {
        self.pages[source.index()][owner.get() as usize]
    }

    /// Pages held by `owner` from both sources.
    pub fn owner_total(&self, owner: OwnerCode) -> usize {
        Source::ALL.iter().map(|&s| self.get(s, owner)).sum()
    }

    /// Pages recorded from `source`, all owners.
    pub fn source_total(&self, source: Source) -> usize {
        self.pages[source.index()].iter().sum()
    }

    /// `(owner, buddy pages, CMA pages)` for every owner holding a page.
    pub fn iter(&self) -> impl Iterator<Item = (OwnerCode, usize, usize)> + '_ {
        (1..MAX_OWNERS as u8).filter_map(move |c| {
            let o = OwnerCode::new(c)?;
            let (b, m) = (self.get(Source::Buddy, o), self.get(Source::Cma, o));
            (b + m > 0).then_some((o, b, m))
        })
    }

    fn add(&mut self, source: Source, owner: u8, pages: usize) {
        self.pages[source.index()][owner as usize] += pages;
    }

    fn sub(&mut self, source: Source, owner: u8, pages: usize) {
        self.pages[source.index()][owner as usize] -= pages;
    }
}

/// What [`PageOwners::recount`] found walking every slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recount {
    pub counts: Counts,
    /// Blocks whose first frame lies inside the previous block (never
    /// happens unless the table was recorded wrongly).
    pub overlaps: usize,
    /// Slots with a size but an invalid owner or source code.
    pub corrupt: usize,
}

/// The owner table over frames `base_pfn..base_pfn + slots.len()`.
pub struct PageOwners<'a, S> {
    base_pfn: usize,
    slots: &'a mut [Slot<S>],
    counts: Counts,
    /// The largest block ever recorded: how far `lookup` walks back.
    max_pages: usize,
}

impl<'a, S: Copy> PageOwners<'a, S> {
    /// A table with no records (every slot is reset).
    pub fn new(base_pfn: usize, slots: &'a mut [Slot<S>]) -> Self {
        slots.fill(Slot::EMPTY);
        PageOwners { base_pfn, slots, counts: Counts::default(), max_pages: 0 }
    }

    pub fn base_pfn(&self) -> usize {
        self.base_pfn
    }

    pub fn end_pfn(&self) -> usize {
        self.base_pfn + self.slots.len()
    }

    fn index(&self, pfn: usize, pages: usize) -> Result<usize, OwnerError> {
        let out = OwnerError::OutOfRange { pfn, pages, base_pfn: self.base_pfn, end_pfn: self.end_pfn() };
        let end = pfn.checked_add(pages).ok_or(out)?;
        if pfn < self.base_pfn || end > self.end_pfn() {
            return Err(out);
        }
        Ok(pfn - self.base_pfn)
    }

    /// Records that `owner` now holds `pages` frames from `pfn`, given by
    /// `source`, asked for at `site`.
    pub fn record(&mut self, pfn: usize, pages: usize, source: Source, owner: OwnerCode, site: S) -> Result<(), OwnerError> {
        if pages == 0 || pages > u32::MAX as usize {
            return Err(OwnerError::BadSize { pages });
        }
        let i = self.index(pfn, pages)?;
        let slot = &mut self.slots[i];
        if slot.pages != 0 {
            return Err(OwnerError::AlreadyRecorded { pfn, pages: slot.pages as usize, owner: slot.owner });
        }
        *slot = Slot { site: Some(site), pages: pages as u32, owner: owner.get(), source: source as u8 };
        self.counts.add(source, owner.get(), pages);
        self.max_pages = self.max_pages.max(pages);
        Ok(())
    }

    /// The record of the block starting at `pfn`, if it is exactly `pages`
    /// frames from `source` (what a free must match); changes nothing.
    pub fn check(&self, pfn: usize, pages: usize, source: Source) -> Result<Record<S>, OwnerError> {
        let i = self.index(pfn, pages.max(1))?;
        let r = self.record_at(i).ok_or(OwnerError::NotRecorded { pfn })?;
        if r.pages != pages || r.source != source {
            return Err(OwnerError::Mismatch { pfn, pages, source, recorded_pages: r.pages, recorded_source: r.source });
        }
        Ok(r)
    }

    /// Clears the record of the block at `pfn` (after [`check`](Self::check)'s
    /// rules); returns what it was.
    pub fn release(&mut self, pfn: usize, pages: usize, source: Source) -> Result<Record<S>, OwnerError> {
        let r = self.check(pfn, pages, source)?;
        self.forget(&r);
        Ok(r)
    }

    /// Clears a record [`check`](Self::check) just returned (for a caller
    /// that frees the block between the two, and must not clear the record
    /// if that fails). A record that is no longer there changes nothing.
    pub fn forget(&mut self, r: &Record<S>) {
        let Some(i) = r.pfn.checked_sub(self.base_pfn) else { return };
        match self.slots.get_mut(i) {
            Some(s) if s.pages as usize == r.pages && s.source == r.source as u8 && s.owner == r.owner.get() => {
                *s = Slot::EMPTY;
                self.counts.sub(r.source, r.owner.get(), r.pages);
            }
            _ => {}
        }
    }

    fn record_at(&self, i: usize) -> Option<Record<S>> {
        let s = self.slots.get(i)?;
        if s.pages == 0 {
            return None;
        }
        Some(Record {
            pfn: self.base_pfn + i,
            pages: s.pages as usize,
            source: Source::from_u8(s.source)?,
            owner: OwnerCode::new(s.owner)?,
            site: s.site,
        })
    }

    /// The block holding frame `pfn` (Linux's `page_owner` lookup of one
    /// page): its first frame, size, source, owner and allocation site.
    pub fn lookup(&self, pfn: usize) -> Option<Record<S>> {
        let i = self.index(pfn, 1).ok()?;
        let lowest = i.saturating_sub(self.max_pages.saturating_sub(1));
        (lowest..=i).rev().find_map(|j| self.record_at(j)).filter(|r| r.pfn + r.pages > pfn)
    }

    /// The block whose first frame is `pfn`, if one starts there: O(1),
    /// unlike [`lookup`](Self::lookup), for walks that go block by block.
    pub fn record_starting_at(&self, pfn: usize) -> Option<Record<S>> {
        self.record_at(self.index(pfn, 1).ok()?)
    }

    /// Every recorded block, lowest frame first.
    pub fn records(&self) -> impl Iterator<Item = Record<S>> + '_ {
        (0..self.slots.len()).filter_map(move |i| self.record_at(i))
    }

    /// The counts kept at each record and release.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The counts computed again by walking every slot.
    pub fn recount(&self) -> Recount {
        let mut r = Recount { counts: Counts::default(), overlaps: 0, corrupt: 0 };
        let mut covered_to = 0usize; // first index past the last block seen
        for (i, s) in self.slots.iter().enumerate() {
            if s.pages == 0 {
                continue;
            }
            match (Source::from_u8(s.source), OwnerCode::new(s.owner)) {
                (Some(src), Some(o)) => r.counts.add(src, o.get(), s.pages as usize),
                _ => {
                    r.corrupt += 1;
                    continue;
                }
            }
            if i < covered_to {
                r.overlaps += 1;
            }
            covered_to = covered_to.max(i + s.pages as usize);
        }
        r
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod proptests;
