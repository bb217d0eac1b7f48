//! A picture of physical memory, page by page, by what each page is used
//! for: the algorithmic part of the kernel's `GET /memory` page and its
//! monitor `map` command, host-tested.
//!
//! The kernel walks its memory structures (memblock's reservations, the
//! buddy allocator's blocks, the CMA bitmap, the page owner records) and
//! describes memory as [`Run`]s: a first page frame number, a page count
//! and a [`Class`]. Nothing here allocates and nothing is the size of
//! memory: every function consumes runs as a stream.
//!
//! * [`Merger`]: joins adjacent runs of the same class (run-length merging);
//! * [`Cells`]: scales pages to cells of `pages_per_cell` pages, each with
//!   its *dominant* class (the class holding most of its pages; a tie goes
//!   to the class met first, at the lowest page);
//! * [`grid_rects`]: a run of cells laid out row by row in a grid of
//!   `cols` columns as at most three rectangles;
//! * [`Counts`]: pages per class;
//! * [`text_map`]: one character per block of pages, lines of a given
//!   width (the monitor's `map`);
//! * [`page`]: the HTML page with its inline SVG, written in bounded chunks
//!   from a small resumable state ([`page::PageState`]).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

use core::fmt;

pub mod page;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// Buddy orders are `0..=MAX_ORDER` (as `crates/buddy`).
pub const MAX_ORDER: u8 = 10;
/// Owner codes are `1..OWNERS` (as `crates/page-owner`).
pub const OWNERS: usize = 64;

/// What a page is used for.
///
/// `repr(u8)`: an enum with data; the kernel's compiler backend
/// miscompiles niche-in-niche layouts (see the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Class {
    /// Not memory: between clusters, or beyond `mem=`.
    Hole,
    /// Reserved for the console firmware and PALcode (the HWRPB's
    /// clusters not for the OS).
    Firmware,
    /// The kernel image (with its early heap and boot stack).
    Kernel,
    /// Any other memblock reservation: HWRPB, command line page, console
    /// page tables, allocator metadata.
    Reserved,
    /// Free in the CMA area (by its bitmap).
    CmaFree,
    /// Free in the buddy allocator, in a block of this order.
    BuddyFree(u8),
    /// Held by this page owner code, from the buddy allocator or (`cma`)
    /// the CMA area.
    Owned { owner: u8, cma: bool },
    /// Handed out by an allocator, but no owner record names it (what the
    /// reconciliation calls a mismatch).
    Unowned,
}

/// Number of distinct class indices ([`Class::index`]).
pub const CLASSES: usize = 5 + (MAX_ORDER as usize + 1) + 2 * OWNERS + 1;
const FREE0: usize = 5;
const OWN0: usize = FREE0 + MAX_ORDER as usize + 1;
const CMA0: usize = OWN0 + OWNERS;
const UNOWNED: usize = CMA0 + OWNERS;

impl Class {
    /// A dense index `0..CLASSES` (out-of-range orders and owner codes are
    /// clamped, so every class has one).
    pub fn index(self) -> usize {
        match self {
            Class::Hole => 0,
            Class::Firmware => 1,
            Class::Kernel => 2,
            Class::Reserved => 3,
            Class::CmaFree => 4,
            Class::BuddyFree(o) => FREE0 + o.min(MAX_ORDER) as usize,
            Class::Owned { owner, cma: false } => OWN0 + (owner as usize).min(OWNERS - 1),
            Class::Owned { owner, cma: true } => CMA0 + (owner as usize).min(OWNERS - 1),
            Class::Unowned => UNOWNED,
        }
    }

    /// The class of an index from [`Class::index`].
    pub fn from_index(i: usize) -> Class {
        match i {
            0 => Class::Hole,
            1 => Class::Firmware,
            2 => Class::Kernel,
            3 => Class::Reserved,
            4 => Class::CmaFree,
            i if i < OWN0 => Class::BuddyFree((i - FREE0) as u8),
            i if i < CMA0 => Class::Owned { owner: (i - OWN0) as u8, cma: false },
            i if i < UNOWNED => Class::Owned { owner: (i - CMA0) as u8, cma: true },
            _ => Class::Unowned,
        }
    }

    /// Whether the page is memory (every class but [`Class::Hole`]).
    pub fn is_memory(self) -> bool {
        self != Class::Hole
    }
}

/// A short name for CSS classes and the DOM (`data-key`): `hole`,
/// `firmware`, `kernel`, `reserved`, `cma-free`, `free-N`, `own-N`
/// (owner code N, buddy), `cma-N` (owner code N, CMA), `unowned`.
pub struct Key(pub Class);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Class::Hole => f.write_str("hole"),
            Class::Firmware => f.write_str("firmware"),
            Class::Kernel => f.write_str("kernel"),
            Class::Reserved => f.write_str("reserved"),
            Class::CmaFree => f.write_str("cma-free"),
            Class::BuddyFree(o) => write!(f, "free-{o}"),
            Class::Owned { owner, cma: false } => write!(f, "own-{owner}"),
            Class::Owned { owner, cma: true } => write!(f, "cma-{owner}"),
            Class::Unowned => f.write_str("unowned"),
        }
    }
}

/// `pages` page frames from `start` of one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub pages: u64,
    pub class: Class,
}

impl Run {
    pub const fn new(start: u64, pages: u64, class: Class) -> Run {
        Run { start, pages, class }
    }

    /// One past the last page.
    pub const fn end(&self) -> u64 {
        self.start + self.pages
    }
}

/// Joins adjacent runs of the same class. Runs must come lowest first;
/// one that does not start where the previous ended is kept apart.
#[derive(Debug)]
pub struct Merger {
    /// The run being grown (`pages == 0`: none).
    cur: Run,
}

impl Default for Merger {
    fn default() -> Self {
        Merger::new()
    }
}

impl Merger {
    pub const fn new() -> Merger {
        Merger { cur: Run::new(0, 0, Class::Hole) }
    }

    /// Adds `r`; a finished run (the class changed) goes to `emit`.
    pub fn push(&mut self, r: Run, mut emit: impl FnMut(Run)) {
        if r.pages == 0 {
            return;
        }
        if self.cur.pages > 0 && self.cur.class == r.class && self.cur.end() == r.start {
            self.cur.pages += r.pages;
            return;
        }
        if self.cur.pages > 0 {
            emit(self.cur);
        }
        self.cur = r;
    }

    /// Emits the run being grown, if any.
    pub fn finish(&mut self, mut emit: impl FnMut(Run)) {
        if self.cur.pages > 0 {
            emit(self.cur);
        }
        self.cur.pages = 0;
    }
}

/// Pages per class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pages: [u64; CLASSES],
}

impl Default for Counts {
    fn default() -> Self {
        Counts { pages: [0; CLASSES] }
    }
}

impl Counts {
    pub fn add(&mut self, r: &Run) {
        self.pages[r.class.index()] += r.pages;
    }

    pub fn get(&self, c: Class) -> u64 {
        self.pages[c.index()]
    }

    /// Pages of memory (every class but holes).
    pub fn memory(&self) -> u64 {
        self.pages.iter().sum::<u64>() - self.pages[0]
    }

    /// Pages reserved in memblock (firmware, kernel, other), the CMA area
    /// excluded: `/status.json`'s `reserved_pages`.
    pub fn reserved(&self) -> u64 {
        self.pages[1] + self.pages[2] + self.pages[3]
    }

    /// Pages free in the buddy allocator, all orders.
    pub fn buddy_free(&self) -> u64 {
        self.pages[FREE0..OWN0].iter().sum()
    }

    /// Pages owners hold from the CMA area ("CMA used").
    pub fn cma_used(&self) -> u64 {
        self.pages[CMA0..UNOWNED].iter().sum()
    }

    /// Every class with at least one page, lowest index first.
    pub fn iter(&self) -> impl Iterator<Item = (Class, u64)> + '_ {
        self.pages.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (Class::from_index(i), *n))
    }
}

/// The most distinct classes counted in one cell; pages of further
/// classes count for the last one kept (only cells of more than this many
/// pages can meet more).
pub const MAX_CELL_CLASSES: usize = 64;

/// Scales a stream of runs to cells of `pages_per_cell` pages counted from
/// `origin`, each with its dominant class, and emits runs of cells
/// ([`Run`] with `start` = first cell index, `pages` = number of cells),
/// merged. With one page per cell the cells are the pages.
#[derive(Debug)]
pub struct Cells {
    origin: u64,
    ppc: u64,
    /// The cell being filled, and how many of its pages have been seen.
    cell: u64,
    filled: u64,
    /// Classes in the current cell, in the order met, with their pages.
    seen: [(Class, u64); MAX_CELL_CLASSES],
    n: usize,
    merger: Merger,
}

impl Cells {
    /// `pages_per_cell`: at least 1.
    pub fn new(origin: u64, pages_per_cell: u64) -> Cells {
        Cells {
            origin,
            ppc: pages_per_cell.max(1),
            cell: 0,
            filled: 0,
            seen: [(Class::Hole, 0); MAX_CELL_CLASSES],
            n: 0,
            merger: Merger::new(),
        }
    }

    pub fn pages_per_cell(&self) -> u64 {
        self.ppc
    }

    fn add_to_cell(&mut self, class: Class, pages: u64) {
        self.filled += pages;
        if let Some(e) = self.seen[..self.n].iter_mut().find(|e| e.0 == class) {
            e.1 += pages;
        } else if self.n < self.seen.len() {
            self.seen[self.n] = (class, pages);
            self.n += 1;
        } else {
            self.seen[self.n - 1].1 += pages;
        }
    }

    fn dominant(&self) -> Class {
        let mut best = self.seen[0];
        for &e in &self.seen[1..self.n] {
            if e.1 > best.1 {
                best = e;
            }
        }
        best.0
    }

    fn close_cell(&mut self, emit: &mut impl FnMut(Run)) {
        if self.filled > 0 {
            let c = self.dominant();
            self.merger.push(Run::new(self.cell, 1, c), &mut *emit);
            self.cell += 1;
        }
        self.filled = 0;
        self.n = 0;
    }

    /// Adds a run (runs must come lowest first, contiguous, from `origin`).
    pub fn push(&mut self, r: Run, mut emit: impl FnMut(Run)) {
        let (mut pfn, end) = (r.start.max(self.origin), r.end());
        while pfn < end {
            let rel = pfn - self.origin;
            let (cell, offset) = (rel / self.ppc, rel % self.ppc);
            if cell != self.cell || offset == 0 {
                // A new cell starts here (the previous one is complete).
                if self.filled > 0 {
                    self.close_cell(&mut emit);
                }
                self.cell = cell;
            }
            if offset == 0 && end - pfn >= self.ppc {
                // Whole cells of this class.
                let whole = (end - pfn) / self.ppc;
                self.merger.push(Run::new(cell, whole, r.class), &mut emit);
                self.cell = cell + whole;
                pfn += whole * self.ppc;
                continue;
            }
            let take = (self.ppc - offset).min(end - pfn);
            self.add_to_cell(r.class, take);
            pfn += take;
            if self.filled == self.ppc {
                self.close_cell(&mut emit);
            }
        }
    }

    /// Closes a partial last cell and emits what is pending.
    pub fn finish(&mut self, mut emit: impl FnMut(Run)) {
        self.close_cell(&mut emit);
        self.merger.finish(emit);
    }
}

/// A rectangle of grid cells: column, row, width and height in cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: u64,
    pub y: u64,
    pub w: u64,
    pub h: u64,
}

/// The rectangles (at most three: the rest of a first row, whole rows,
/// the start of a last row) that `cells` cells from cell `first` cover in
/// a grid of `cols` columns filled row by row.
pub fn grid_rects(first: u64, cells: u64, cols: u64, mut emit: impl FnMut(Rect)) {
    let cols = cols.max(1);
    let (mut c, end) = (first, first + cells);
    if c % cols != 0 && c < end {
        let n = (end - c).min(cols - c % cols);
        emit(Rect { x: c % cols, y: c / cols, w: n, h: 1 });
        c += n;
    }
    if end - c >= cols {
        let rows = (end - c) / cols;
        emit(Rect { x: 0, y: c / cols, w: cols, h: rows });
        c += rows * cols;
    }
    if c < end {
        emit(Rect { x: 0, y: c / cols, w: end - c, h: 1 });
    }
}

/// The fixed characters of [`text_map`]; owners get a letter from their
/// name (lower case from the buddy allocator, upper case from CMA).
pub fn fixed_char(c: Class) -> Option<char> {
    Some(match c {
        Class::Hole => ' ',
        Class::Firmware => '#',
        Class::Kernel => '=',
        Class::Reserved => '%',
        Class::CmaFree => '~',
        Class::BuddyFree(_) => '.',
        Class::Unowned => '!',
        Class::Owned { .. } => return None,
    })
}

/// How many pages each character of a text map stands for: the smallest
/// power of two that fits `pages` into `chars` characters (at least 1).
pub fn pages_per_char(pages: u64, chars: u64) -> u64 {
    pages.div_ceil(chars.max(1)).max(1).next_power_of_two()
}

/// Width of the address column of [`text_map`] (`0x0000000000 `).
pub const TEXT_PREFIX: usize = 13;

/// Writes a text map of `[from, to)`: lines of `width` characters (the
/// first [`TEXT_PREFIX`] the physical address of the line, at 8 KiB
/// pages), at most `max_lines` of them, each character one block of
/// [`pages_per_char`] pages shown by its dominant class through `ch`.
/// `runs` must cover `[from, to)` lowest first. Returns pages per char.
pub fn text_map(
    runs: impl IntoIterator<Item = Run>,
    from: u64,
    to: u64,
    width: usize,
    max_lines: usize,
    mut ch: impl FnMut(Class) -> char,
    out: &mut impl fmt::Write,
) -> Result<u64, fmt::Error> {
    let cols = width.saturating_sub(TEXT_PREFIX).max(8) as u64;
    let per = pages_per_char(to.saturating_sub(from), cols * max_lines.max(1) as u64);
    let mut err = Ok(());
    let mut col = 0u64;
    let mut line_start = from;
    let mut put = |class: Class, n: u64, err: &mut fmt::Result| {
        for _ in 0..n {
            if err.is_err() {
                return;
            }
            if col == 0 {
                *err = write!(out, "{:#012x} ", line_start << 13);
            }
            if err.is_ok() {
                *err = out.write_char(ch(class));
            }
            col += 1;
            line_start += per;
            if col == cols {
                col = 0;
                if err.is_ok() {
                    *err = out.write_char('\n');
                }
            }
        }
    };
    let mut cells = Cells::new(from, per);
    for r in runs {
        cells.push(r, |c| put(c.class, c.pages, &mut err));
    }
    cells.finish(|c| put(c.class, c.pages, &mut err));
    err?;
    if col != 0 {
        out.write_char('\n')?;
    }
    Ok(per)
}
