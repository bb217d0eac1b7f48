//! Find the page-table pages of an Alpha page table, walking it through its
//! **virtual page table** (the VPTB self-map).
//!
//! # Why
//!
//! The kernel keeps running on the console's page tables (SRM's, or QEMU
//! PALcode's): the HWRPB at virtual `0x10000000` and the console callbacks
//! (CRB dispatch, PUTS, GETC, GET_ENV) are reached through them. Their
//! pages must therefore never be handed out by the page allocator. The
//! HWRPB's memory map marks the console's own memory as in use, but nothing
//! promises that the console's level-1, level-2 and level-3 tables lie in
//! it. This crate lists those pages so that the kernel can reserve them.
//!
//! # The Alpha page table (Alpha Architecture Reference Manual, part II-A,
//! "Memory Management"; OSF/1 PALcode)
//!
//! With 8 KiB pages a virtual address has 43 significant bits (sign
//! extended to 64): three 10-bit indices and a 13-bit byte offset.
//!
//! ```text
//!  42        33 32        23 22        13 12           0
//! +------------+------------+------------+--------------+
//! |  level 1   |  level 2   |  level 3   | byte offset  |
//! +------------+------------+------------+--------------+
//! ```
//!
//! The PTBR names the level-1 table; each table is one page of 1024 PTEs.
//! An OSF/1 PTE is valid when bit 0 is set and holds its page frame number
//! in bits 63:32 (Linux `arch/alpha/include/asm/pgtable.h`).
//!
//! # The virtual page table
//!
//! One level-1 entry, at index `s`, points at the level-1 table itself (the
//! *self-map*). The 8 GiB of virtual space that entry covers, starting at
//! the **VPTB** (`s << 33`, sign-extended; the HWRPB's `vptb` field), then
//! shows every level-3 table in order: the PTE of `va` is at
//! `VPTB + 8 * ((va >> 13) mod 2^30)` (the PALcode's TB-miss handler reads
//! it there). Going through the self-map once more shows the level-2
//! tables, and twice more the level-1 table:
//!
//! | table                      | virtual address                      |
//! |----------------------------|--------------------------------------|
//! | level 3 for `(i1, i2)`     | `VPTB + (i1 << 23) + (i2 << 13)`     |
//! | level 2 for `i1`           | `VPTB + (s << 23) + (i1 << 13)`      |
//! | level 1                    | `VPTB + (s << 23) + (s << 13)`       |
//!
//! So a kernel that reads quadwords at those addresses reads the tables
//! without knowing where they are physically; reading a level-2 table
//! needs only the self-map and that table's level-1 entry to be valid.
//! SRM puts the self-map in entry 1 (`VPTB = 0x200000000`), QEMU's PALcode
//! (`init.c`, `init_page_table`) and Linux (`switch_to_system_map`) in
//! entry 1023 (`VPTB = 0xfffffffe00000000`). The SRM boot stub
//! (`boot/srm-stub.s`) finds the level-1 table the same way.
//!
//! # What [`walk`] does
//!
//! 1. checks the geometry: page size, VPTB aligned to the virtual page
//!    table's size, canonical (sign-extended) and outside KSEG;
//! 2. reads the self-map entry: its frame is the level-1 table;
//! 3. reads the 1024 level-1 entries: each valid one (other than a second
//!    self-map) names a level-2 table;
//! 4. reads each level-2 table once, through the VPT: each valid entry
//!    names a level-3 table. Level-3 tables are not read (their entries
//!    name data pages, not tables);
//! 5. optionally translates one virtual address (the kernel uses the HWRPB:
//!    `0x10000000` must give the HWRPB's own `phys_addr`), which proves that
//!    the VPTB and the self-map are what they claim.
//!
//! Every frame is checked against `is_memory` **before** anything is read
//! through it, so a corrupted entry never makes the walk read outside
//! memory. A page that shows up at two levels (an entry pointing back at
//! the level-1 table or at a level-2 table) is a cycle and an error; a table
//! shared by several entries of the same level is listed once. The output
//! buffer's length is the limit on the number of tables. The walk reads at
//! most `1 + entries * (2 + level-2 tables)` PTEs (3 more for the check)
//! and never loops.
//!
//! Nothing here panics, allocates, or uses `unsafe`; the caller supplies
//! the PTE reads (a volatile load in the kernel, a model in the tests).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;

/// The valid bit of an OSF/1 PTE.
pub const PTE_VALID: u64 = 1;
/// The page frame number of an OSF/1 PTE is in bits 63:32.
pub const PTE_PFN_SHIFT: u32 = 32;
/// Alpha's 8 KiB page (the only size the PALcodes in use implement).
pub const PAGE_SIZE_8K: u64 = 8192;

/// The page frame number in a PTE.
pub const fn pte_pfn(pte: u64) -> u64 {
    pte >> PTE_PFN_SHIFT
}

/// Whether a PTE is valid (bit 0).
pub const fn pte_valid(pte: u64) -> bool {
    pte & PTE_VALID != 0
}

/// The level of a page table. `#[repr(u8)]`: it is carried inside
/// [`WalkError`] (the kernel's code generator needs plain tags there).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The level-1 table (the PTBR's page).
    L1 = 1,
    /// A level-2 table, named by a level-1 entry.
    L2 = 2,
    /// A level-3 table, named by a level-2 entry; its entries map pages.
    L3 = 3,
}

impl Level {
    /// 1, 2 or 3.
    pub const fn number(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level-{}", self.number())
    }
}

/// One page-table page found by the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TablePage {
    /// Its page frame number.
    pub pfn: u64,
    /// Which level it serves.
    pub level: Level,
    /// The lowest virtual address it maps (through the first entry found
    /// naming it; 0 for the level-1 table, which maps everything).
    pub va: u64,
}

impl TablePage {
    /// A filler value for output buffers.
    pub const EMPTY: TablePage = TablePage { pfn: 0, level: Level::L1, va: 0 };
}

impl Default for TablePage {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// Why the walk stopped. `#[repr(u8)]` because it holds a [`Level`] (see
/// the kernel's note on niche-in-niche enums under rustc_codegen_gcc).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WalkError {
    /// The page size is not 8, 16, 32 or 64 KiB.
    BadPageSize {
        /// The rejected size.
        page_size: u64,
    },
    /// The VPTB is not a multiple of the virtual page table's size (8 GiB
    /// with 8 KiB pages).
    VptbMisaligned {
        /// The rejected VPTB.
        vptb: u64,
        /// The required alignment.
        align: u64,
    },
    /// The VPTB is not a sign-extended virtual address.
    VptbNotCanonical {
        /// The rejected VPTB.
        vptb: u64,
        /// Significant virtual address bits (43 with 8 KiB pages).
        va_bits: u32,
    },
    /// The VPTB lies in KSEG, which is not mapped by page tables.
    VptbInKseg {
        /// The rejected VPTB.
        vptb: u64,
    },
    /// The level-1 entry the VPTB selects is not valid: no self-map there.
    SelfMapInvalid {
        /// Its index in the level-1 table.
        index: u64,
        /// The entry's value.
        pte: u64,
    },
    /// A valid entry names a frame outside memory (nothing is read there).
    PfnOutsideMemory {
        /// The level of the table the entry would name.
        level: Level,
        /// The lowest virtual address that table would map.
        va: u64,
        /// The entry's value.
        pte: u64,
    },
    /// A page serves at two levels: the tree points back at itself.
    Cycle {
        /// The page's frame number.
        pfn: u64,
        /// The level it was found at first.
        first: Level,
        /// The level an entry names it at now.
        again: Level,
        /// The lowest virtual address of that second use.
        va: u64,
    },
    /// More tables than the output buffer holds.
    TooManyTables {
        /// The buffer's length.
        limit: usize,
    },
    /// The check address is not mapped: the entry at `level` is invalid
    /// or names a frame outside memory.
    CheckNotMapped {
        /// The checked virtual address.
        va: u64,
        /// The level whose entry is missing.
        level: Level,
        /// That entry's value.
        pte: u64,
    },
    /// The check address translates to another physical address than
    /// expected: the VPTB or the self-map is not what it claims.
    CheckMismatch {
        /// The checked virtual address.
        va: u64,
        /// The physical address it should have.
        expected: u64,
        /// The one the tables give.
        found: u64,
    },
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WalkError::BadPageSize { page_size } => {
                write!(f, "page size {page_size:#x} is not 8, 16, 32 or 64 KiB")
            }
            WalkError::VptbMisaligned { vptb, align } => write!(
                f,
                "VPTB {vptb:#x} is not aligned to the virtual page table's size {align:#x}"
            ),
            WalkError::VptbNotCanonical { vptb, va_bits } => write!(
                f,
                "VPTB {vptb:#x} is not a sign-extended {va_bits}-bit virtual address"
            ),
            WalkError::VptbInKseg { vptb } => {
                write!(f, "VPTB {vptb:#x} lies in KSEG, which page tables do not map")
            }
            WalkError::SelfMapInvalid { index, pte } => write!(
                f,
                "no self-map: level-1 entry {index} (selected by the VPTB) is not valid (PTE {pte:#018x})"
            ),
            WalkError::PfnOutsideMemory { level, va, pte } => write!(
                f,
                "the {level} table for {va:#x} would be at pfn {:#x}, outside memory (PTE {pte:#018x})",
                pte_pfn(pte)
            ),
            WalkError::Cycle { pfn, first, again, va } => write!(
                f,
                "cycle: the page at pfn {pfn:#x} is a {first} table and also named as the {again} table for {va:#x}"
            ),
            WalkError::TooManyTables { limit } => {
                write!(f, "more than {limit} page-table pages (the walk's limit)")
            }
            WalkError::CheckNotMapped { va, level, pte } => write!(
                f,
                "{va:#x} is not mapped: its {level} entry is {pte:#018x} (invalid or outside memory)"
            ),
            WalkError::CheckMismatch { va, expected, found } => write!(
                f,
                "{va:#x} translates to {found:#x} through the VPTB, not {expected:#x}: wrong VPTB or self-map"
            ),
        }
    }
}

/// A stopped walk: the error, and how many tables had been found (sorted
/// at the start of the output buffer, as for a successful walk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Why it stopped.
    pub error: WalkError,
    /// Tables found before that, in `out[..found]`.
    pub found: usize,
}

/// What a successful walk found; the tables themselves are in
/// `out[..tables]`, sorted by frame number, each frame once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    /// Number of table pages (level 1 + level 2 + level 3).
    pub tables: usize,
    /// The level-1 table's frame (the PTBR).
    pub l1_pfn: u64,
    /// Distinct level-2 tables.
    pub l2: usize,
    /// Distinct level-3 tables.
    pub l3: usize,
    /// The self-map's index in the level-1 table.
    pub self_index: u64,
    /// Other level-1 entries that also point at the level-1 table.
    pub extra_self_maps: usize,
    /// PTEs read.
    pub ptes_read: usize,
}

/// The address arithmetic of one VPTB and page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    vptb: u64,
    shift: u32,
    bits: u32,
    self_index: u64,
}

impl Geometry {
    /// Checks the page size and the VPTB.
    ///
    /// # Errors
    /// [`WalkError::BadPageSize`], [`WalkError::VptbMisaligned`],
    /// [`WalkError::VptbNotCanonical`], [`WalkError::VptbInKseg`].
    pub fn new(vptb: u64, page_size: u64) -> Result<Geometry, WalkError> {
        if !page_size.is_power_of_two() || !(8192..=65536).contains(&page_size) {
            return Err(WalkError::BadPageSize { page_size });
        }
        let shift = page_size.trailing_zeros();
        let bits = shift - 3;
        let g = Geometry { vptb, shift, bits, self_index: 0 };
        let align = g.vpt_size();
        if vptb % align != 0 {
            return Err(WalkError::VptbMisaligned { vptb, align });
        }
        let va_bits = g.va_bits();
        if g.sext(vptb) != vptb {
            return Err(WalkError::VptbNotCanonical { vptb, va_bits });
        }
        // KSEG: bits va_bits-1..va_bits-2 are 0b10 (0xfffffc0000000000 up
        // to 0xfffffe0000000000 with 43-bit addresses).
        if (vptb as i64) >> (va_bits - 2) == -2 {
            return Err(WalkError::VptbInKseg { vptb });
        }
        let self_index = (vptb >> (va_bits - bits)) & g.index_mask();
        Ok(Geometry { self_index, ..g })
    }

    /// The VPTB.
    pub const fn vptb(&self) -> u64 {
        self.vptb
    }

    /// log2 of the page size.
    pub const fn page_shift(&self) -> u32 {
        self.shift
    }

    /// PTEs per table (1024 with 8 KiB pages).
    pub const fn entries(&self) -> u64 {
        1 << self.bits
    }

    /// Significant virtual address bits (43 with 8 KiB pages).
    pub const fn va_bits(&self) -> u32 {
        self.shift + 3 * self.bits
    }

    /// Size of the virtual page table (8 GiB with 8 KiB pages).
    pub const fn vpt_size(&self) -> u64 {
        1 << (3 * self.bits + 3)
    }

    /// The self-map's index in the level-1 table.
    pub const fn self_index(&self) -> u64 {
        self.self_index
    }

    const fn index_mask(&self) -> u64 {
        (1 << self.bits) - 1
    }

    /// Sign-extends a virtual address from [`va_bits`](Self::va_bits).
    pub const fn sext(&self, va: u64) -> u64 {
        let unused = 64 - self.va_bits();
        (((va << unused) as i64) >> unused) as u64
    }

    /// The three table indices of a virtual address.
    pub const fn indices(&self, va: u64) -> (u64, u64, u64) {
        let m = self.index_mask();
        let b = self.bits;
        let s = self.shift;
        ((va >> (s + 2 * b)) & m, (va >> (s + b)) & m, (va >> s) & m)
    }

    /// The virtual address of `va`'s PTE in the virtual page table (what
    /// the stub's `pte_va` computes).
    pub const fn pte_va(&self, va: u64) -> u64 {
        let vpn = (va >> self.shift) & ((1 << (3 * self.bits)) - 1);
        self.vptb.wrapping_add(vpn * 8)
    }

    const fn vpt_page(&self, a: u64, b: u64) -> u64 {
        self.vptb.wrapping_add(((a << self.bits) | b) << self.shift)
    }

    /// Where the level-1 table shows in the virtual page table.
    pub const fn l1_table_va(&self) -> u64 {
        self.vpt_page(self.self_index, self.self_index)
    }

    /// Where the level-2 table of level-1 index `i1` shows.
    pub const fn l2_table_va(&self, i1: u64) -> u64 {
        self.vpt_page(self.self_index, i1)
    }

    /// Where the level-3 table of indices `(i1, i2)` shows.
    pub const fn l3_table_va(&self, i1: u64, i2: u64) -> u64 {
        self.vpt_page(i1, i2)
    }

    /// The lowest virtual address a level-2 table at `i1` maps.
    pub const fn l2_region(&self, i1: u64) -> u64 {
        self.sext(i1 << (self.shift + 2 * self.bits))
    }

    /// The lowest virtual address a level-3 table at `(i1, i2)` maps.
    pub const fn l3_region(&self, i1: u64, i2: u64) -> u64 {
        self.sext((i1 << (self.shift + 2 * self.bits)) | (i2 << (self.shift + self.bits)))
    }
}

/// What to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The virtual page table base (HWRPB `vptb`).
    pub vptb: u64,
    /// The page size (HWRPB `pagesize`).
    pub page_size: u64,
    /// A virtual address and the physical address it must translate to,
    /// checked after the walk (the kernel passes the HWRPB's).
    pub check: Option<(u64, u64)>,
}

struct Walker<'o, R, M> {
    g: Geometry,
    read: R,
    is_memory: M,
    out: &'o mut [TablePage],
    len: usize,
    ptes_read: usize,
}

impl<R: FnMut(u64) -> u64, M: Fn(u64) -> bool> Walker<'_, R, M> {
    fn read(&mut self, va: u64) -> u64 {
        self.ptes_read += 1;
        (self.read)(va)
    }

    fn find(&self, pfn: u64) -> Result<usize, usize> {
        self.out[..self.len].binary_search_by_key(&pfn, |t| t.pfn)
    }

    /// Adds a table, keeping `out[..len]` sorted; a frame already listed at
    /// the same level is not added again, at another level it is a cycle.
    fn insert(&mut self, t: TablePage) -> Result<(), WalkError> {
        match self.find(t.pfn) {
            Ok(i) => {
                let first = self.out[i].level;
                if first == t.level {
                    Ok(())
                } else {
                    Err(WalkError::Cycle { pfn: t.pfn, first, again: t.level, va: t.va })
                }
            }
            Err(i) => {
                if self.len == self.out.len() {
                    return Err(WalkError::TooManyTables { limit: self.out.len() });
                }
                self.out.copy_within(i..self.len, i + 1);
                self.out[i] = t;
                self.len += 1;
                Ok(())
            }
        }
    }

    /// A valid entry's frame, checked against memory.
    fn target(&self, pte: u64, level: Level, va: u64) -> Result<u64, WalkError> {
        let pfn = pte_pfn(pte);
        if (self.is_memory)(pfn) { Ok(pfn) } else { Err(WalkError::PfnOutsideMemory { level, va, pte }) }
    }

    fn run(&mut self, check: Option<(u64, u64)>) -> Result<Summary, WalkError> {
        let g = self.g;
        let s = g.self_index();
        let n = g.entries();
        let l1_va = g.l1_table_va();

        // The self-map entry names the level-1 table.
        let pte = self.read(l1_va.wrapping_add(s * 8));
        if !pte_valid(pte) {
            return Err(WalkError::SelfMapInvalid { index: s, pte });
        }
        let l1 = self.target(pte, Level::L1, 0)?;
        self.insert(TablePage { pfn: l1, level: Level::L1, va: 0 })?;

        // Level 1: every valid entry names a level-2 table.
        let mut sum = Summary { l1_pfn: l1, self_index: s, ..Summary::default() };
        for i1 in (0..n).filter(|&i| i != s) {
            let pte = self.read(l1_va.wrapping_add(i1 * 8));
            if !pte_valid(pte) {
                continue;
            }
            if pte_pfn(pte) == l1 {
                sum.extra_self_maps += 1;
                continue;
            }
            let va = g.l2_region(i1);
            let pfn = self.target(pte, Level::L2, va)?;
            self.insert(TablePage { pfn, level: Level::L2, va })?;
        }

        // Level 2: each table once (through the first level-1 entry naming
        // it); every valid entry names a level-3 table.
        for i1 in (0..n).filter(|&i| i != s) {
            let pte = self.read(l1_va.wrapping_add(i1 * 8));
            if !pte_valid(pte) || pte_pfn(pte) == l1 {
                continue;
            }
            let first = self.find(pte_pfn(pte)).ok().map(|i| self.out[i]);
            if first.is_none_or(|t| t.level != Level::L2 || t.va != g.l2_region(i1)) {
                continue;
            }
            let l2_va = g.l2_table_va(i1);
            for i2 in 0..n {
                let pte = self.read(l2_va.wrapping_add(i2 * 8));
                if !pte_valid(pte) {
                    continue;
                }
                let va = g.l3_region(i1, i2);
                let pfn = self.target(pte, Level::L3, va)?;
                self.insert(TablePage { pfn, level: Level::L3, va })?;
            }
        }

        let table_pages = &self.out[..self.len];
        sum.tables = self.len;
        sum.l2 = table_pages.iter().filter(|t| t.level == Level::L2).count();
        sum.l3 = table_pages.iter().filter(|t| t.level == Level::L3).count();
        if let Some((va, expected)) = check {
            let Walker { read, is_memory, ptes_read, .. } = self;
            let mut counted = |a| {
                *ptes_read += 1;
                read(a)
            };
            let found = translate_with(&g, &mut counted, is_memory, va)?;
            if found != expected {
                return Err(WalkError::CheckMismatch { va, expected, found });
            }
        }
        sum.ptes_read = self.ptes_read;
        Ok(sum)
    }
}

/// Walks the page table behind `opts.vptb`, reading PTEs with `read_pte`
/// (a virtual address in the virtual page table -> the quadword there),
/// and lists every page-table page in `out`, sorted by frame number, each
/// once. `is_memory(pfn)` says whether a frame is memory; nothing is read
/// through a frame it refuses. `out.len()` is the limit on tables.
///
/// # Errors
/// A [`Failure`]: the [`WalkError`] and how many tables were found before
/// it (in `out[..found]`, sorted).
pub fn walk<R, M>(opts: &Options, read_pte: R, is_memory: M, out: &mut [TablePage]) -> Result<Summary, Failure>
where
    R: FnMut(u64) -> u64,
    M: Fn(u64) -> bool,
{
    let g = Geometry::new(opts.vptb, opts.page_size).map_err(|error| Failure { error, found: 0 })?;
    let mut w = Walker { g, read: read_pte, is_memory, out, len: 0, ptes_read: 0 };
    w.run(opts.check).map_err(|error| Failure { error, found: w.len })
}

/// Translates `va` through the virtual page table (three PTE reads, each
/// frame checked against memory before the next read goes through it).
///
/// # Errors
/// [`WalkError::CheckNotMapped`] if an entry is invalid or outside memory,
/// or the geometry errors of [`Geometry::new`].
pub fn translate<R, M>(vptb: u64, page_size: u64, mut read_pte: R, is_memory: M, va: u64) -> Result<u64, WalkError>
where
    R: FnMut(u64) -> u64,
    M: Fn(u64) -> bool,
{
    let g = Geometry::new(vptb, page_size)?;
    translate_with(&g, &mut read_pte, &is_memory, va)
}

fn translate_with(
    g: &Geometry,
    read: &mut dyn FnMut(u64) -> u64,
    is_memory: &dyn Fn(u64) -> bool,
    va: u64,
) -> Result<u64, WalkError> {
    let (i1, i2, i3) = g.indices(va);
    let steps = [
        (Level::L1, g.l1_table_va().wrapping_add(i1 * 8)),
        (Level::L2, g.l2_table_va(i1).wrapping_add(i2 * 8)),
        (Level::L3, g.l3_table_va(i1, i2).wrapping_add(i3 * 8)),
    ];
    let mut pfn = 0;
    for (level, pte_va) in steps {
        let pte = read(pte_va);
        // A table frame must be memory before the next read goes through
        // it; the last one maps the page itself, which need not be.
        if !pte_valid(pte) || (level != Level::L3 && !is_memory(pte_pfn(pte))) {
            return Err(WalkError::CheckNotMapped { va, level, pte });
        }
        pfn = pte_pfn(pte);
    }
    Ok((pfn << g.page_shift()) | (va & ((1 << g.page_shift()) - 1)))
}

#[cfg(test)]
mod tests;
