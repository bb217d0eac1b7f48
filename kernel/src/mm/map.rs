//! The picture of physical memory, page by page (`GET /memory`, the
//! monitor's `map`): what every page frame is used for, as a stream of
//! runs ([`memmap::Run`]: first frame, pages, [`memmap::Class`]), taken
//! from the same structures the reconciliation reads: memblock's memory
//! and reservations (firmware, kernel image, other), the CMA bitmap, the
//! buddy allocator's blocks (free with their order, or allocated) and the
//! page owner records (who holds each allocated block, by [`Owner`]: a new
//! owner shows up without a change here). Nothing is allocated: [`runs`]
//! fills a caller's small array from any frame on, and [`Runs`] iterates
//! over a range in batches.

use super::boot::{MEMBLOCK, NAMED};
use super::owner::Owner;
use super::page::PAGES;
use super::PAGE_SIZE;
use core::fmt;
use memmap::{Class, Merger, Run};
use page_owner::{OwnerCode, Source};

/// What a memblock reservation outside the CMA area is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reservation {
    /// The HWRPB's clusters not for the OS (console firmware, PALcode).
    Firmware,
    /// The kernel image with its early heap and boot stack.
    Kernel,
    /// Anything else: HWRPB, command line page, console page tables,
    /// allocator metadata.
    Other,
}

/// First page frame of memory and one past the last (`None` before
/// memblock knows any memory).
pub fn span() -> Option<(u64, u64)> {
    let mb = MEMBLOCK.lock();
    Some((mb.start_of_dram()? / PAGE_SIZE, mb.end_of_dram()?.div_ceil(PAGE_SIZE)))
}

/// The CMA area's frames `[base, end)` (empty without one).
pub fn cma_area() -> (u64, u64) {
    PAGES.lock().cma.as_ref().map_or((0, 0), |c| (c.base_pfn() as u64, c.end_pfn() as u64))
}

/// Fills `out` with runs describing frames `[from, to)` from `from` on,
/// lowest first, adjacent runs of one class merged; returns how many
/// (the last one ends where the next call should start). Reads memblock,
/// the allocators and the owner records under their locks, once per call.
pub fn runs(from: u64, to: u64, out: &mut [Run]) -> usize {
    let mb = MEMBLOCK.lock();
    let named = *NAMED.lock();
    let pages = PAGES.lock();
    let (Some(buddy), Some(owners)) = (pages.buddy.as_ref(), pages.owners.as_ref()) else {
        return 0;
    };
    let cma = pages.cma.as_ref();
    let to_pfn = |a: u64| a / PAGE_SIZE;
    let mut merger = Merger::new();
    let mut n = 0;
    let mut p = from;
    while p < to && n < out.len() {
        let mut end = to;
        // Memory, or a hole up to the next region.
        let region = mb.memory_regions().iter().find(|r| to_pfn(r.base) <= p && p < r.end().div_ceil(PAGE_SIZE));
        let class = match region {
            None => {
                let next = mb.memory_regions().iter().map(|r| to_pfn(r.base)).filter(|&b| b > p).min();
                end = end.min(next.unwrap_or(to));
                Class::Hole
            }
            Some(r) => {
                end = end.min(r.end().div_ceil(PAGE_SIZE));
                let (cb, ce) = cma.map_or((0, 0), |c| (c.base_pfn() as u64, c.end_pfn() as u64));
                if let Some(c) = cma.filter(|c| c.contains(p as usize)) {
                    end = end.min(ce);
                    let rec = owners.record_starting_at(p as usize).or_else(|| {
                        // A walk that starts inside a block.
                        owners.lookup(p as usize).filter(|r| p == from && r.source == Source::Cma)
                    });
                    match rec {
                        Some(r) => {
                            end = end.min((r.pfn + r.pages) as u64);
                            Class::Owned { owner: r.owner.get(), cma: true }
                        }
                        None if c.is_free(p as usize) => {
                            let mut q = p + 1;
                            while q < end && c.is_free(q as usize) {
                                q += 1;
                            }
                            end = q;
                            Class::CmaFree
                        }
                        None => {
                            let mut q = p + 1;
                            while q < end && !c.is_free(q as usize) && owners.record_starting_at(q as usize).is_none() {
                                q += 1;
                            }
                            end = q;
                            Class::Unowned
                        }
                    }
                } else {
                    if cb > p {
                        end = end.min(cb);
                    }
                    let reserved = mb.reserved_regions().iter().find(|r| to_pfn(r.base) <= p && p < r.end().div_ceil(PAGE_SIZE));
                    match reserved {
                        Some(r) => {
                            end = end.min(r.end().div_ceil(PAGE_SIZE));
                            // The named range holding p (firmware before
                            // kernel before other), cut where any named
                            // range starts or ends.
                            let mut kind = Reservation::Other;
                            for &(b, e, k) in named.iter().filter(|x| x.0 < x.1) {
                                if (b..e).contains(&p) {
                                    end = end.min(e);
                                    if k == Reservation::Firmware || (k == Reservation::Kernel && kind == Reservation::Other) {
                                        kind = k;
                                    }
                                } else if b > p {
                                    end = end.min(b);
                                }
                            }
                            match kind {
                                Reservation::Firmware => Class::Firmware,
                                Reservation::Kernel => Class::Kernel,
                                Reservation::Other => Class::Reserved,
                            }
                        }
                        None => {
                            if let Some(next) = mb.reserved_regions().iter().map(|r| to_pfn(r.base)).filter(|&b| b > p).min() {
                                end = end.min(next);
                            }
                            match buddy.block_at(p as usize) {
                                Some(b) => {
                                    end = end.min((b.head_pfn + (1 << b.order)) as u64);
                                    if b.free {
                                        Class::BuddyFree(b.order as u8)
                                    } else {
                                        match owners.record_starting_at(b.head_pfn) {
                                            Some(r) => {
                                                end = end.min((r.pfn + r.pages) as u64);
                                                Class::Owned { owner: r.owner.get(), cma: false }
                                            }
                                            None => Class::Unowned,
                                        }
                                    }
                                }
                                None => {
                                    end = p + 1;
                                    Class::Unowned
                                }
                            }
                        }
                    }
                }
            }
        };
        let end = end.max(p + 1);
        merger.push(Run::new(p, end - p, class), |r| {
            if n < out.len() {
                out[n] = r;
                n += 1;
            }
        });
        p = end;
    }
    if p >= to && n < out.len() {
        merger.finish(|r| {
            out[n] = r;
            n += 1;
        });
    }
    n
}

/// The runs of `[from, to)` as an iterator, fetched 32 at a time.
pub struct Runs {
    next: u64,
    to: u64,
    buf: [Run; 32],
    i: usize,
    n: usize,
}

impl Runs {
    pub fn new(from: u64, to: u64) -> Runs {
        Runs { next: from, to, buf: [Run::new(0, 0, Class::Hole); 32], i: 0, n: 0 }
    }
}

impl Iterator for Runs {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        if self.i == self.n {
            if self.next >= self.to {
                return None;
            }
            self.n = runs(self.next, self.to, &mut self.buf);
            self.i = 0;
            if self.n == 0 {
                return None;
            }
            self.next = self.buf[self.n - 1].end();
        }
        self.i += 1;
        Some(self.buf[self.i - 1])
    }
}

/// The name of an owner code (as `/status.json` and the reconciliation
/// name it).
pub fn owner_name(code: u8, w: &mut dyn fmt::Write) -> fmt::Result {
    match OwnerCode::new(code) {
        Some(c) => write!(w, "{}", Owner::from_code(c)),
        None => write!(w, "owner#{code}"),
    }
}

/// The character of a class in [`render_text_map`].
fn map_char(c: Class) -> char {
    if let Some(ch) = memmap::fixed_char(c) {
        return ch;
    }
    let Class::Owned { owner, cma } = c else { return '?' };
    let mut first = FirstChar(None);
    let _ = owner_name(owner, &mut first);
    let ch = first.0.unwrap_or('?');
    if cma { ch.to_ascii_uppercase() } else { ch.to_ascii_lowercase() }
}

struct FirstChar(Option<char>);

impl fmt::Write for FirstChar {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.is_none() {
            self.0 = s.chars().next();
        }
        Ok(())
    }
}

/// Most lines [`render_text_map`] writes.
pub const TEXT_MAP_LINES: usize = 24;

/// The monitor's `map`: all of physical memory, one character per block
/// of pages (a power of two, so that the map fits [`TEXT_MAP_LINES`]
/// lines of `width` characters), each block shown by its dominant class:
/// `#` firmware/PALcode, `=` kernel image, `%` other memblock
/// reservations, `~` CMA free, `.` buddy free, `!` allocated without an
/// owner record, a space for a hole; an owner by the first letter of its
/// name (`h` heap, `i` iommu-tables, `n` net-buffers, `s` selftest, `d`
/// dma-coherent:..., `m` monitor...), upper case for pages from CMA. Each
/// line starts with its physical address; a last line says what a
/// character stands for. Writes nothing but that line's error without a
/// page allocator.
pub fn render_text_map(width: usize, out: &mut dyn fmt::Write) -> fmt::Result {
    let Some((from, to)) = span() else {
        return writeln!(out, "map: no page allocator");
    };
    if PAGES.lock().buddy.is_none() {
        return writeln!(out, "map: no page allocator");
    }
    let mut w = DynWrite(out);
    let per = memmap::text_map(Runs::new(from, to), from, to, width, TEXT_MAP_LINES, map_char, &mut w)?;
    writeln!(
        w.0,
        "one character = {} KiB: # firmware = kernel % reserved ~ CMA free . buddy free ! unowned; letters: owners (upper case: from CMA)",
        per * PAGE_SIZE / 1024
    )
}

struct DynWrite<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for DynWrite<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}
