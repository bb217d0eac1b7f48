//! How the stub (`boot/srm-stub.s`, steps 5 and 6) decides to move the
//! kernel into place, as a model that runs on the host.
//!
//! SRM maps the boot program contiguously at virtual 0x20000000, but its
//! physical pages can be anywhere, including where the kernel must go
//! (Linux's `bootp.c`/`bootpz.c` comment on consoles doing exactly that).
//! The stub therefore:
//!
//! 1. requires `[command-line page, image end)` to lie inside one memory
//!    cluster of the HWRPB with no usage bits (not console, not
//!    non-volatile);
//! 2. looks up the physical page behind every virtual page of the stub and
//!    the kernel (and the level-2 and level-3 page tables that map them,
//!    and the level-1 table) and refuses if a page table lies in
//!    `[command-line page, destination end)`;
//! 3. if a page holding kernel bytes lies there, it must first copy the
//!    kernel to a *bounce buffer*: otherwise it copies directly;
//! 4. places one *tail* page (the copy routine, the command line and the
//!    handoff block) after the bounce buffer, if any, at the first
//!    page-aligned address at or above the image end where the whole region
//!    holds none of the pages of step 2 and lies in free memory;
//! 5. copies the kernel to the bounce buffer (if any) while still running in
//!    the stub, then jumps to the tail, which copies the kernel (from the
//!    bounce buffer or the original pages) to its destination, writes the
//!    command-line page, checks the copy's checksum and enters the kernel.
//!
//! [`plan_relocation`] is steps 1-4 as the assembly does them, with the page
//! size as a parameter so that tests can simulate small memories (see
//! `tests/relocate.rs`, which executes plans on a model memory and checks
//! that the kernel arrives intact and nothing else is damaged). The
//! assembly itself is tested in QEMU only (tools/runner, `srm-stub-*`);
//! the runner also predicts the stub's choices with this model and checks
//! that the stub printed the same addresses.

/// Bits of [`Layout::scan`]'s result.
pub const HIT_KERNEL: u8 = 1;
pub const HIT_STUB: u8 = 2;
pub const HIT_PAGE_TABLE: u8 = 4;

/// One virtual page of the boot program and what backs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Virtual address (page-aligned).
    pub va: u64,
    /// Physical address of the page (page-aligned).
    pub pa: u64,
    /// Physical addresses of the level-3 and level-2 page tables mapping
    /// it; empty for KSEG pages, which need none.
    pub tables: Vec<u64>,
}

/// A memory cluster from the HWRPB's memory data descriptor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cluster {
    pub start: u64,
    pub end: u64,
    /// Bit 0 console/PALcode, bit 1 non-volatile; 0 = free for the OS.
    pub usage: u64,
}

/// Everything the stub knows when it plans (physical addresses unless
/// said otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub page_size: u64,
    /// Virtual address of the stub's first byte.
    pub stub_va: u64,
    /// Virtual address of the kernel's first byte (after the header).
    pub kernel_va: u64,
    pub kernel_len: u64,
    /// Every page from the one holding `stub_va` to the one holding the
    /// kernel's last byte, in virtual order.
    pub pages: Vec<Page>,
    /// The level-1 page table.
    pub level1: u64,
    /// Where the kernel goes.
    pub dst: u64,
    /// The command-line page.
    pub cmdline: u64,
    /// End of all the memory the kernel uses.
    pub image_end: u64,
    pub clusters: Vec<Cluster>,
}

/// The stub's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The kernel's pages do not meet its destination: the tail copies them
    /// in place directly.
    Direct { tail: u64 },
    /// They do: the stub copies the kernel to `bounce` first.
    Bounce { bounce: u64, tail: u64 },
}

impl Plan {
    pub fn tail(&self) -> u64 {
        match *self {
            Plan::Direct { tail } | Plan::Bounce { tail, .. } => tail,
        }
    }
}

/// Why the stub refuses (each is a line it prints before halting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanError {
    /// "the destination is not free memory in the HWRPB's memory map"
    DestinationNotFree,
    /// "a console page table lies where the kernel goes"
    PageTableInDestination,
    /// "no free memory above the kernel for the copy routine and bounce buffer"
    NoRoom,
}

fn round_up(x: u64, page: u64) -> u64 {
    x.div_ceil(page) * page
}

impl Layout {
    fn meets(page_pa: u64, page: u64, lo: u64, hi: u64) -> bool {
        page_pa < hi && lo < page_pa + page
    }

    /// Which of the program's physical pages meet `[lo, hi)`: the stub's
    /// `scan` routine.
    pub fn scan(&self, lo: u64, hi: u64) -> u8 {
        let ps = self.page_size;
        let mut hits = 0;
        if Self::meets(self.level1, ps, lo, hi) {
            hits |= HIT_PAGE_TABLE;
        }
        for p in &self.pages {
            if Self::meets(p.pa, ps, lo, hi) {
                if self.kernel_va < p.va + ps {
                    hits |= HIT_KERNEL;
                }
                if p.va < self.kernel_va {
                    hits |= HIT_STUB;
                }
            }
            if p.tables.iter().any(|&t| Self::meets(t, ps, lo, hi)) {
                hits |= HIT_PAGE_TABLE;
            }
        }
        hits
    }

    /// `[lo, hi)` inside one cluster with no usage bits: the stub's
    /// `cluster_free` routine.
    pub fn cluster_free(&self, lo: u64, hi: u64) -> bool {
        self.clusters.iter().any(|c| c.usage & 3 == 0 && c.start <= lo && hi <= c.end)
    }

    /// The physical page behind virtual address `va` of the program.
    pub fn pa_of(&self, va: u64) -> Option<u64> {
        let ps = self.page_size;
        let base = self.pages.first()?.va;
        let i = va.checked_sub(base)? / ps;
        self.pages.get(i as usize).map(|p| p.pa + va % ps)
    }
}

/// Steps 1-4 above, as the stub does them.
pub fn plan_relocation(l: &Layout) -> Result<Plan, PlanError> {
    let ps = l.page_size;
    if !l.cluster_free(l.cmdline, l.image_end) {
        return Err(PlanError::DestinationNotFree);
    }
    let hits = l.scan(l.cmdline, l.dst + l.kernel_len);
    if hits & HIT_PAGE_TABLE != 0 {
        return Err(PlanError::PageTableInDestination);
    }
    let bounce = hits & HIT_KERNEL != 0;
    let size = ps + if bounce { round_up(l.kernel_len, ps) } else { 0 };
    let mut c = round_up(l.image_end, ps);
    loop {
        if !l.cluster_free(c, c + size) {
            return Err(PlanError::NoRoom);
        }
        if l.scan(c, c + size) == 0 {
            break;
        }
        c += ps;
    }
    let tail = c + size - ps;
    Ok(if bounce { Plan::Bounce { bounce: c, tail } } else { Plan::Direct { tail } })
}

/// The layout of a boot program that QEMU's `-kernel` loaded at physical
/// `phys` (contiguous KSEG pages, no page tables), with QEMU's memory map:
/// PALcode cluster `[0, console_end)`, the rest free up to `memory`. The
/// level-1 page table is QEMU's PALcode's (inside its cluster).
pub fn qemu_layout(
    phys: u64,
    header_offset: u64,
    header: &crate::stub::StubHeader,
    console_end: u64,
    level1: u64,
    memory: u64,
) -> Layout {
    use crate::stub::{KSEG_BASE, STUB_HEADER_SIZE};
    let ps = crate::stub::PAGE_SIZE;
    let stub_va = KSEG_BASE + phys;
    let kernel_va = stub_va + header_offset + STUB_HEADER_SIZE as u64;
    let end = kernel_va + header.kernel_len;
    let pages = (stub_va / ps * ps..end)
        .step_by(ps as usize)
        .map(|va| Page { va, pa: va - KSEG_BASE, tables: Vec::new() })
        .collect();
    Layout {
        page_size: ps,
        stub_va,
        kernel_va,
        kernel_len: header.kernel_len,
        pages,
        level1,
        dst: header.load_address - KSEG_BASE,
        cmdline: header.cmdline_page - KSEG_BASE,
        image_end: header.image_end - KSEG_BASE,
        clusters: vec![
            Cluster { start: 0, end: console_end, usage: 1 },
            Cluster { start: console_end, end: memory, usage: 0 },
        ],
    }
}
