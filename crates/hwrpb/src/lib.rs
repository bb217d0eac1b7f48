//! Parse and validate the Alpha **HWRPB** (Hardware Restart Parameter Block).
//!
//! # What the HWRPB is
//!
//! When the console firmware (SRM on real machines, the PALcode shipped with
//! QEMU in emulation) starts an operating system on an Alpha, everything the
//! OS needs to know about the machine is in one block of memory, the HWRPB,
//! mapped at virtual address `0x10000000` ([`layout::INIT_HWRPB_VA`]):
//!
//! ```text
//! offset 0x000  header (struct hwrpb_struct, 0x140 bytes)
//!                 phys_addr, "HWRPB" magic, revision, size, primary cpuid,
//!                 pagesize, pa_bits, max_asn, serial number, system type,
//!                 clock frequencies, ... and offsets of the tables below,
//!                 closed by a checksum at 0x120
//! processor_offset  nr_processors per-CPU slots of processor_size bytes
//! ctbt_offset       console terminal blocks
//! crb_offset        console callback routine block (+ its VA->PA map)
//! mddt_offset       memory data descriptor table: the *memory map*
//!                     numclusters x (start_pfn, numpages, ..., usage)
//! dsr_offset        dynamic system recognition block (revision >= 5)
//! ```
//!
//! For a memory-management course the MDDT is the interesting part: it is
//! the Alpha's equivalent of the PC's e820 map. Linux walks it in
//! `setup_memory()` (`arch/alpha/kernel/setup.c`) and hands every cluster
//! whose `usage & 3 == 0` to its boot allocator; clusters with bit 0 set
//! belong to the console/PALcode and must never be touched.
//!
//! # How the kernel uses this crate
//!
//! ```ignore
//! // 1. Look at the first bytes (the page at 0x10000000 is always mapped).
//! let header = unsafe { core::slice::from_raw_parts(0x1000_0000 as *const u8, 32) };
//! let len = hwrpb::readable_size(header)?;       // size rounded up to pages
//! // 2. Look at the whole block and validate everything.
//! let bytes = unsafe { core::slice::from_raw_parts(0x1000_0000 as *const u8, len) };
//! let rpb = hwrpb::Hwrpb::parse(bytes)?;
//! for c in rpb.memory_clusters().filter(|c| c.is_available()) {
//!     frame_allocator.add_range(c.start_addr()..c.end_addr());
//! }
//! ```
//!
//! Why [`readable_size`] and not just [`declared_size`]: QEMU's PALcode sets
//! `size` to `sizeof(struct hwrpb_struct)` (0x140), the header only, and
//! puts the per-CPU slots, MDDT, CTB and CRB *after* it in the same 8 KiB
//! page. The tables are therefore validated against the slice handed to
//! [`Hwrpb::parse`], not against `size`; rounding `size` up to whole pages
//! covers QEMU (one page, the only one its PALcode maps at `0x10000000`) and
//! SRM (whose `size` covers its tables).
//!
//! # What is checked
//!
//! See [`Hwrpb::parse`]. In short: magic, size, checksum, page size,
//! alignment of `phys_addr`, `pa_bits`, that every table lies inside the
//! bytes with all its entries (with overflow-checked `count * size`), that
//! tables do not overlap each other or the header, that the primary CPU has a
//! slot, and that the memory clusters are non-empty, sorted, disjoint and
//! addressable. Any failure is a typed [`HwrpbError`] with a precise
//! [`Display`](core::fmt::Display) message.
//!
//! The parser never panics on any input: it uses only `get`-style slice
//! access and checked arithmetic, and it neither allocates nor needs `unsafe`.
//!
//! # Sources
//!
//! Layout: Linux `arch/alpha/include/asm/hwrpb.h` (the same file is copied
//! into QEMU's PALcode as `hwrpb.h`), BSD `sys/arch/alpha/include/rpb.h`
//! (from the DEC 3000 System Programmer's Manual) for the bit fields Linux
//! does not name. Semantics: Linux `arch/alpha/kernel/setup.c`, QEMU
//! PALcode `init.c` (`init_hwrpb`). See [`layout`] for every offset.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[cfg(any(test, feature = "builder"))]
extern crate alloc;

pub mod callback;
mod error;
mod findings;
pub mod layout;
mod names;
pub mod routing;
mod tables;

#[cfg(any(test, feature = "builder"))]
pub mod builder;

#[cfg(test)]
mod tests;

use core::fmt;
use core::iter::FusedIterator;

pub use error::{HwrpbError, Table};
pub use findings::{CYCLE_FREQ_PLAUSIBLE, Finding, Findings, MAX_FINDINGS, Severity};
use layout::{MAX_HWRPB_SIZE, PAGE_SHIFT, PAGE_SIZE, crb, ctb, dsr, header, mddt, slot};
pub use names::{
    cpu_type, cpu_type_name, normalize_sys_type, sys_type, system_family_name, system_type_name,
    system_variation_name,
};
use tables::Records;
pub use tables::{
    Crb, CrbMapEntries, CrbMapEntry, Ctb, Dsr, Mddt, MemCluster, MemClusters, ProcessorSlot,
    ProcessorSlots, cluster_usage, slot_flags,
};

/// The `id` quadword when the bytes in memory are `"HWRPB\0\0\0"` (ASCII
/// order, as the BSDs and Tru64 declare it: `char rpb_magic[8]`).
pub const MAGIC_ASCII: u64 = u64::from_le_bytes(*b"HWRPB\0\0\0");

/// The `id` quadword as QEMU's PALcode (and MILO, and LinuxBIOS) write it:
/// `'H' << 56 | 'W' << 48 | 'R' << 40 | 'P' << 32 | 'B' << 24`, i.e. the
/// bytes in memory are `"\0\0\0BPRWH"`. ("Yes, the 'HWRPB' magic is in
/// big-endian byte ordering", says `init.c`.)
pub const MAGIC_REVERSED: u64 = 0x4857_5250_4200_0000;

/// Which of the two byte orders of the magic the HWRPB uses. Linux never
/// checks the magic, so both exist in the wild; both are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MagicOrder {
    /// Bytes `"HWRPB\0\0\0"` in memory ([`MAGIC_ASCII`]).
    Ascii,
    /// Quadword `0x4857525042000000` ([`MAGIC_REVERSED`]), as QEMU writes it.
    Reversed,
}

impl MagicOrder {
    /// The `id` quadword for this byte order.
    pub const fn value(self) -> u64 {
        match self {
            MagicOrder::Ascii => MAGIC_ASCII,
            MagicOrder::Reversed => MAGIC_REVERSED,
        }
    }

    /// Recognise the magic.
    pub const fn from_id(id: u64) -> Option<MagicOrder> {
        match id {
            MAGIC_ASCII => Some(MagicOrder::Ascii),
            MAGIC_REVERSED => Some(MagicOrder::Reversed),
            _ => None,
        }
    }
}

/// Read the little-endian quadword at `offset`, if it is inside `bytes`.
pub(crate) fn read_u64(bytes: &[u8], offset: usize) -> Option<u64> {
    let end = offset.checked_add(8)?;
    let quad: [u8; 8] = bytes.get(offset..end)?.try_into().ok()?;
    Some(u64::from_le_bytes(quad))
}

/// [`read_u64`] for fields already known to be in bounds.
pub(crate) fn read_u64_or_zero(bytes: &[u8], offset: usize) -> u64 {
    read_u64(bytes, offset).unwrap_or(0)
}

fn usize_to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The HWRPB checksum as Linux's `hwrpb_update_checksum` and QEMU's
/// `init_hwrpb` compute it: the wrapping sum of the 36 quadwords at offsets
/// `0x000..0x120`, i.e. every header field before `chksum`.
///
/// Returns `None` if `bytes` is shorter than 0x120 bytes.
pub fn header_checksum(bytes: &[u8]) -> Option<u64> {
    let covered = bytes.get(..header::CHKSUM)?;
    Some(covered.chunks_exact(8).fold(0u64, |sum, quad| {
        let mut q = [0u8; 8];
        q.copy_from_slice(quad);
        sum.wrapping_add(u64::from_le_bytes(q))
    }))
}

/// Bytes [`declared_size`] needs: `phys_addr`, `id`, `revision`, `size`.
pub const DECLARED_SIZE_PREFIX: usize = header::SIZE + 8;

/// The HWRPB's `size` field, after checking the magic and that the size is
/// sane (at least the 0x140-byte header, at most [`MAX_HWRPB_SIZE`]).
///
/// Needs only the first [`DECLARED_SIZE_PREFIX`] (32) bytes.
///
/// Note that QEMU's `size` covers only the header; to know how many bytes
/// to hand to [`Hwrpb::parse`], use [`readable_size`].
pub fn declared_size(header: &[u8]) -> Result<usize, HwrpbError> {
    let too_short = HwrpbError::TooShort {
        needed: DECLARED_SIZE_PREFIX,
        available: header.len(),
    };
    let id = read_u64(header, header::ID).ok_or(too_short)?;
    let size = read_u64(header, header::SIZE).ok_or(too_short)?;
    if MagicOrder::from_id(id).is_none() {
        return Err(HwrpbError::BadMagic { found: id });
    }
    if size < usize_to_u64(header::SIZE_OF) {
        return Err(HwrpbError::SizeTooSmall { size });
    }
    match usize::try_from(size) {
        Ok(s) if s <= MAX_HWRPB_SIZE => Ok(s),
        _ => Err(HwrpbError::SizeTooLarge { size }),
    }
}

/// [`declared_size`] rounded up to whole 8 KiB pages: how many bytes,
/// starting at the HWRPB, the kernel should hand to [`Hwrpb::parse`].
///
/// The console maps the HWRPB page by page, so these bytes are readable;
/// for QEMU (size 0x140, tables after the header in the same page) this is
/// exactly the one page its PALcode maps.
pub fn readable_size(header: &[u8]) -> Result<usize, HwrpbError> {
    let size = declared_size(header)?;
    let page = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    // size <= MAX_HWRPB_SIZE, so neither operation can overflow.
    Ok(size.div_ceil(page).saturating_mul(page))
}

/// The decoded fixed header (`struct hwrpb_struct`).
///
/// Field names follow Linux; the doc comments give the layout offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `phys_addr` (0x00): physical address of the HWRPB. Linux switches
    /// to `__va(INIT_HWRPB->phys_addr)` (the KSEG alias) early in
    /// `setup_arch`.
    pub phys_addr: u64,
    /// `id` (0x08): which byte order the magic uses.
    pub magic: MagicOrder,
    /// `revision` (0x10). QEMU's PALcode never sets it: 0.
    pub revision: u64,
    /// `size` (0x18): declared size in bytes. QEMU: 0x140 (header only).
    pub size: u64,
    /// `cpuid` (0x20): WHAMI of the primary CPU, an index into the per-CPU
    /// slots. (Very old QEMU PALcode stored the CPU *type* here.)
    pub primary_cpu_id: u64,
    /// `pagesize` (0x28): validated to be 8192.
    pub page_size: u64,
    /// `pa_bits` (0x30), low 32 bits: physical address bits (QEMU: 40).
    pub pa_bits: u64,
    /// High 32 bits of Linux's `pa_bits` quadword, which the BSDs call the
    /// extended VA size (0 on QEMU).
    pub extended_va_size: u32,
    /// `max_asn` (0x38): largest address space number (QEMU: 255 for EV6,
    /// 127 for EV5, 63 for EV4).
    pub max_asn: u64,
    /// `ssn` (0x40): 16 bytes, the first 10 are the system serial number.
    pub ssn: [u8; header::SSN_LEN],
    /// `sys_type` (0x50): system family, e.g. 34 = Tsunami.
    pub sys_type: u64,
    /// `sys_variation` (0x58): member id in bits <15:10> (QEMU: 5 << 10,
    /// Clipper).
    pub sys_variation: u64,
    /// `sys_revision` (0x60).
    pub sys_revision: u64,
    /// `intr_freq` (0x68): interval clock frequency * 4096 (QEMU: 1024 Hz).
    pub intr_freq: u64,
    /// `cycle_freq` (0x70): cycle counter frequency in Hz (QEMU: 250 MHz).
    pub cycle_freq: u64,
    /// `vptb` (0x78): virtual page table base.
    pub vptb: u64,
    /// `tbhb_offset` (0x88): translation buffer hint block offset.
    pub tbhb_offset: u64,
    /// `nr_processors` (0x90): number of per-CPU slots.
    pub nr_processors: u64,
    /// `processor_size` (0x98): bytes per slot (QEMU/Linux: 0x270).
    pub processor_size: u64,
    /// `processor_offset` (0xA0): offset of slot 0.
    pub processor_offset: u64,
    /// `ctb_nr` (0xA8): number of CTBs (QEMU: 0, but it does provide one).
    pub ctb_nr: u64,
    /// `ctb_size` (0xB0): bytes per CTB.
    pub ctb_size: u64,
    /// `ctbt_offset` (0xB8): offset of the CTB table (0 = none).
    pub ctbt_offset: u64,
    /// `crb_offset` (0xC0): offset of the CRB (0 = none).
    pub crb_offset: u64,
    /// `mddt_offset` (0xC8): offset of the memory descriptor table.
    pub mddt_offset: u64,
    /// `cdb_offset` (0xD0): configuration data block (0 = none).
    pub cdb_offset: u64,
    /// `frut_offset` (0xD8): FRU table (0 = none).
    pub frut_offset: u64,
    /// `save_terminal` (0xE0).
    pub save_terminal: u64,
    /// `save_terminal_data` (0xE8).
    pub save_terminal_data: u64,
    /// `restore_terminal` (0xF0).
    pub restore_terminal: u64,
    /// `restore_terminal_data` (0xF8).
    pub restore_terminal_data: u64,
    /// `CPU_restart` (0x100): OS entry for restarts and secondary CPUs.
    pub cpu_restart: u64,
    /// `CPU_restart_data` (0x108).
    pub cpu_restart_data: u64,
    /// `chksum` (0x120): validated against [`header_checksum`].
    pub checksum: u64,
    /// `rxrdy` (0x128).
    pub rxrdy: u64,
    /// `txrdy` (0x130).
    pub txrdy: u64,
    /// `dsr_offset` (0x138): DSR offset, meaningful from revision 5.
    pub dsr_offset: u64,
}

impl Header {
    /// Decode the header fields without validating anything except that
    /// the magic is recognised and `bytes` holds the whole header.
    pub fn decode(bytes: &[u8]) -> Result<Header, HwrpbError> {
        if bytes.len() < header::SIZE_OF {
            return Err(HwrpbError::TooShort {
                needed: header::SIZE_OF,
                available: bytes.len(),
            });
        }
        let q = |off| read_u64_or_zero(bytes, off);
        let id = q(header::ID);
        let magic = MagicOrder::from_id(id).ok_or(HwrpbError::BadMagic { found: id })?;
        let mut ssn = [0u8; header::SSN_LEN];
        if let Some(src) = bytes.get(header::SSN..header::SSN.saturating_add(header::SSN_LEN)) {
            ssn.copy_from_slice(src);
        }
        let pa_quad = q(header::PA_BITS);
        Ok(Header {
            phys_addr: q(header::PHYS_ADDR),
            magic,
            revision: q(header::REVISION),
            size: q(header::SIZE),
            primary_cpu_id: q(header::CPUID),
            page_size: q(header::PAGESIZE),
            pa_bits: pa_quad & 0xffff_ffff,
            extended_va_size: (pa_quad >> 32) as u32,
            max_asn: q(header::MAX_ASN),
            ssn,
            sys_type: q(header::SYS_TYPE),
            sys_variation: q(header::SYS_VARIATION),
            sys_revision: q(header::SYS_REVISION),
            intr_freq: q(header::INTR_FREQ),
            cycle_freq: q(header::CYCLE_FREQ),
            vptb: q(header::VPTB),
            tbhb_offset: q(header::TBHB_OFFSET),
            nr_processors: q(header::NR_PROCESSORS),
            processor_size: q(header::PROCESSOR_SIZE),
            processor_offset: q(header::PROCESSOR_OFFSET),
            ctb_nr: q(header::CTB_NR),
            ctb_size: q(header::CTB_SIZE),
            ctbt_offset: q(header::CTBT_OFFSET),
            crb_offset: q(header::CRB_OFFSET),
            mddt_offset: q(header::MDDT_OFFSET),
            cdb_offset: q(header::CDB_OFFSET),
            frut_offset: q(header::FRUT_OFFSET),
            save_terminal: q(header::SAVE_TERMINAL),
            save_terminal_data: q(header::SAVE_TERMINAL_DATA),
            restore_terminal: q(header::RESTORE_TERMINAL),
            restore_terminal_data: q(header::RESTORE_TERMINAL_DATA),
            cpu_restart: q(header::CPU_RESTART),
            cpu_restart_data: q(header::CPU_RESTART_DATA),
            checksum: q(header::CHKSUM),
            rxrdy: q(header::RXRDY),
            txrdy: q(header::TXRDY),
            dsr_offset: q(header::DSR_OFFSET),
        })
    }

    /// The 10 architecturally valid bytes of the system serial number.
    pub fn serial_number(&self) -> [u8; header::SSN_VALID_LEN] {
        let mut out = [0u8; header::SSN_VALID_LEN];
        if let Some(src) = self.ssn.get(..header::SSN_VALID_LEN) {
            out.copy_from_slice(src);
        }
        out
    }

    /// The serial number as text, up to the first NUL (QEMU: `"QEMU"`;
    /// older QEMU PALcode: `"MILO QEMU"`).
    pub fn serial_str(&self) -> &str {
        tables::ascii_prefix(self.ssn.get(..header::SSN_VALID_LEN).unwrap_or(&[]))
    }

    /// Linux's test for "booted from MILO, not SRM" (no SRM callbacks):
    /// the serial number starts with `"MILO"`.
    pub fn is_milo(&self) -> bool {
        self.ssn.starts_with(b"MILO")
    }

    /// Interval timer frequency in Hz (`intr_freq / 4096`).
    pub const fn timer_hz(&self) -> u64 {
        self.intr_freq >> 12
    }

    /// The system's member id, `sys_variation` bits <15:10>.
    pub const fn sys_member(&self) -> u64 {
        (self.sys_variation >> sys_type::MEMBER_SHIFT) & sys_type::MEMBER_MASK
    }

    /// Most specific system name, e.g. `"Clipper"` (see
    /// [`system_type_name`]).
    pub fn system_name(&self) -> &'static str {
        system_type_name(self.sys_type, self.sys_variation)
    }

    /// System family name, e.g. `"Tsunami"`.
    pub fn system_family(&self) -> &'static str {
        system_family_name(self.sys_type)
    }
}

/// A validated byte range of the HWRPB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn of(self, bytes: &[u8]) -> &[u8] {
        bytes.get(self.start..self.end).unwrap_or(&[])
    }

    fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Locate a table of `fixed` bytes followed by `count` entries of `entry`
/// bytes at `offset`, checking alignment, overflow and bounds.
fn locate(
    available: usize,
    table: Table,
    offset: u64,
    fixed: u64,
    count: u64,
    entry: u64,
) -> Result<Span, HwrpbError> {
    if !offset.is_multiple_of(8) {
        return Err(HwrpbError::MisalignedTable { table, offset });
    }
    let overflow = HwrpbError::CountOverflow {
        table,
        count,
        entry_size: entry,
    };
    let entries = count.checked_mul(entry).ok_or(overflow)?;
    let length = fixed.checked_add(entries).ok_or(overflow)?;
    let out_of_bounds = HwrpbError::TableOutOfBounds {
        table,
        offset,
        length,
        available,
    };
    let end = offset.checked_add(length).ok_or(out_of_bounds)?;
    if end > usize_to_u64(available) {
        return Err(out_of_bounds);
    }
    match (usize::try_from(offset), usize::try_from(end)) {
        (Ok(start), Ok(end)) => Ok(Span { start, end }),
        _ => Err(out_of_bounds),
    }
}

fn check_entry_size(table: Table, size: u64, minimum: usize) -> Result<(), HwrpbError> {
    let minimum = usize_to_u64(minimum);
    if size < minimum || !size.is_multiple_of(8) {
        return Err(HwrpbError::BadEntrySize {
            table,
            size,
            minimum,
        });
    }
    Ok(())
}

/// Most memory clusters the MDDT may declare: the memory map is read in
/// sorted order without allocating (quadratic in the count), and the
/// kernel's memblock holds 128 regions. Real consoles describe a handful
/// (SRM on Tsunami machines: 3; QEMU: 2).
pub const MAX_CLUSTERS: u64 = 256;

/// Check each cluster's end: representable in 64 bits (as a PFN and in
/// bytes) and inside the physical address space.
fn check_cluster_ends(table: &Mddt<'_>, pa_bits: u64) -> Result<(), HwrpbError> {
    let limit = if pa_bits >= 64 {
        None
    } else {
        1u64.checked_shl(u32::try_from(pa_bits).unwrap_or(u32::MAX))
    };
    for (index, c) in (0u64..).zip(table.clusters()) {
        let overflow = HwrpbError::ClusterEndOverflow {
            index,
            start_pfn: c.start_pfn,
            numpages: c.numpages,
        };
        let end_pfn = c.start_pfn.checked_add(c.numpages).ok_or(overflow)?;
        let end_addr = end_pfn.checked_mul(PAGE_SIZE).ok_or(overflow)?;
        if let Some(limit) = limit
            && end_addr > limit
        {
            return Err(HwrpbError::ClusterBeyondPhysicalAddressSpace {
                index,
                end_addr,
                pa_bits,
            });
        }
    }
    Ok(())
}

/// A range of page frames two clusters both describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Overlap {
    /// Table index of the cluster reaching furthest before `second`
    /// (in sorted order).
    pub first: u64,
    /// Table index of the cluster starting inside it.
    pub second: u64,
    /// First doubly described page frame.
    pub start_pfn: u64,
    /// One past the last doubly described page frame.
    pub end_pfn: u64,
}

impl Overlap {
    /// Physical address of the first doubly described byte.
    pub const fn start_addr(&self) -> u64 {
        self.start_pfn.saturating_mul(PAGE_SIZE)
    }

    /// Physical address one past the last doubly described byte.
    pub const fn end_addr(&self) -> u64 {
        self.end_pfn.saturating_mul(PAGE_SIZE)
    }
}

/// One cluster of the [`MemoryMap`]: the declared cluster and the part of
/// it no cluster before it (in sorted order) describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapCluster {
    /// Its index in the MDDT.
    pub index: u64,
    /// The pages it adds to the map: `declared`, its start moved past every
    /// cluster before it in sorted order (same `usage`).
    pub cluster: MemCluster,
    /// The cluster as the MDDT declares it.
    pub declared: MemCluster,
}

impl MapCluster {
    /// Whether `declared` lost pages to a cluster before it.
    pub const fn is_clipped(&self) -> bool {
        self.cluster.start_pfn != self.declared.start_pfn
    }
}

/// One step of the sorted walk over the clusters.
#[derive(Clone, Copy, Debug)]
struct Step {
    index: u64,
    declared: MemCluster,
    kept_start: u64,
    overlap: Option<Overlap>,
}

/// The clusters in order of (`start_pfn`, table index), one linear scan
/// per step (no allocation; the count is at most [`MAX_CLUSTERS`]).
#[derive(Clone, Debug)]
struct SortedWalk<'a> {
    records: Records<'a>,
    last: Option<(u64, u64)>,
    covered_end: u64,
    reach: u64,
}

impl<'a> SortedWalk<'a> {
    fn new(mddt: &Mddt<'a>) -> Self {
        SortedWalk {
            records: mddt.clusters().records,
            last: None,
            covered_end: 0,
            reach: 0,
        }
    }
}

impl Iterator for SortedWalk<'_> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let mut best: Option<(u64, u64, MemCluster)> = None;
        for (i, raw) in self.records.clone() {
            let c = MemCluster::decode(raw);
            let key = (c.start_pfn, i);
            if self.last.is_some_and(|last| key <= last) {
                continue;
            }
            if best.is_none_or(|(s, bi, _)| key < (s, bi)) {
                best = Some((c.start_pfn, i, c));
            }
        }
        let (start, index, declared) = best?;
        self.last = Some((start, index));
        let end = declared.end_pfn();
        let overlap = (start < self.covered_end && end > start).then(|| Overlap {
            first: self.reach,
            second: index,
            start_pfn: start,
            end_pfn: end.min(self.covered_end),
        });
        let kept_start = start.max(self.covered_end).min(end);
        if end > self.covered_end {
            self.covered_end = end;
            self.reach = index;
        }
        Some(Step {
            index,
            declared,
            kept_start,
            overlap,
        })
    }
}

/// The memory map as the kernel should use it: the MDDT's clusters sorted
/// by `start_pfn`, each page counted once (a cluster starting inside an
/// earlier one is clipped), with the doubly described ranges listed
/// separately ([`MemoryMap::overlaps`]) so that they can be reserved.
/// For a well-formed MDDT (sorted, disjoint) this is the table itself.
#[derive(Clone, Copy, Debug)]
pub struct MemoryMap<'a> {
    mddt: Mddt<'a>,
}

/// Iterator over the [`MemoryMap`]'s clusters, sorted, clipped, empty
/// ones skipped.
#[derive(Clone, Debug)]
pub struct MapClusters<'a> {
    walk: SortedWalk<'a>,
}

impl Iterator for MapClusters<'_> {
    type Item = MapCluster;

    fn next(&mut self) -> Option<MapCluster> {
        loop {
            let s = self.walk.next()?;
            let end = s.declared.end_pfn();
            if s.kept_start < end {
                return Some(MapCluster {
                    index: s.index,
                    cluster: MemCluster {
                        start_pfn: s.kept_start,
                        numpages: end.saturating_sub(s.kept_start),
                        ..s.declared
                    },
                    declared: s.declared,
                });
            }
        }
    }
}

impl FusedIterator for MapClusters<'_> {}

/// Iterator over the ranges two clusters both describe, in sorted order.
#[derive(Clone, Debug)]
pub struct Overlaps<'a> {
    walk: SortedWalk<'a>,
}

impl Iterator for Overlaps<'_> {
    type Item = Overlap;

    fn next(&mut self) -> Option<Overlap> {
        loop {
            if let Some(o) = self.walk.next()?.overlap {
                return Some(o);
            }
        }
    }
}

impl FusedIterator for Overlaps<'_> {}

impl<'a> MemoryMap<'a> {
    /// The table the map is read from.
    pub fn mddt(&self) -> Mddt<'a> {
        self.mddt
    }

    /// The clusters, sorted by start, each page once; clusters left empty
    /// by clipping are skipped.
    pub fn clusters(&self) -> MapClusters<'a> {
        MapClusters {
            walk: SortedWalk::new(&self.mddt),
        }
    }

    /// The page ranges described by more than one cluster.
    pub fn overlaps(&self) -> Overlaps<'a> {
        Overlaps {
            walk: SortedWalk::new(&self.mddt),
        }
    }

    /// Whether the clusters are sorted and disjoint as declared.
    pub fn is_clean(&self) -> bool {
        let declared = self.mddt.clusters();
        let mut previous: Option<u64> = None;
        for c in declared {
            if previous.is_some_and(|p| c.start_pfn < p) {
                return false;
            }
            previous = Some(c.start_pfn);
        }
        self.overlaps().next().is_none()
    }

    /// Bytes in the map, console memory included, each page once.
    pub fn total_bytes(&self) -> u64 {
        self.clusters()
            .fold(0u64, |s, c| s.saturating_add(c.cluster.size_bytes()))
    }

    /// Bytes for the OS ([`MemCluster::is_for_os`]), each page once,
    /// doubly described pages excluded.
    pub fn available_bytes(&self) -> u64 {
        let free = self
            .clusters()
            .filter(|c| c.cluster.is_for_os())
            .fold(0u64, |s, c| s.saturating_add(c.cluster.size_bytes()));
        // Overlaps lying in a free cluster's kept part: the kernel
        // reserves them. Count each page once (overlaps may overlap).
        let mut reserved = 0u64;
        let mut done = 0u64;
        for o in self.overlaps() {
            let start = o.start_pfn.max(done);
            if start >= o.end_pfn {
                continue;
            }
            for c in self.clusters().filter(|c| c.cluster.is_for_os()) {
                let s = start.max(c.cluster.start_pfn);
                let e = o.end_pfn.min(c.cluster.end_pfn());
                reserved = reserved.saturating_add(e.saturating_sub(s).saturating_mul(PAGE_SIZE));
            }
            done = done.max(o.end_pfn);
        }
        free.saturating_sub(reserved)
    }

    /// The map cluster holding `pfn`, if any.
    pub fn cluster_containing_pfn(&self, pfn: u64) -> Option<MapCluster> {
        self.clusters()
            .find(|c| pfn >= c.cluster.start_pfn && pfn < c.cluster.end_pfn())
    }

    /// Whether `pfn` is described by more than one cluster.
    pub fn is_doubly_described(&self, pfn: u64) -> bool {
        self.overlaps()
            .any(|o| pfn >= o.start_pfn && pfn < o.end_pfn)
    }
}

/// What [`Hwrpb::inspect`] returns: the block, with whatever could not be
/// used left out, and what was wrong with it.
#[derive(Clone, Copy, Debug)]
pub struct Inspection<'a> {
    /// The block.
    pub hwrpb: Hwrpb<'a>,
    /// What was wrong, in the order found.
    pub findings: Findings,
}

/// An HWRPB, borrowing the bytes it was parsed from.
///
/// `Copy`, no allocation: the header is decoded eagerly, the tables lazily
/// through iterators over validated byte ranges. From [`Hwrpb::parse`]
/// everything is present and valid; from [`Hwrpb::inspect`] a table that
/// failed its checks is absent (`None`, or an empty iterator).
#[derive(Clone, Copy)]
pub struct Hwrpb<'a> {
    bytes: &'a [u8],
    header: Header,
    running_cpu: u64,
    this_slot: Option<Span>,
    slots: Option<Span>,
    mddt: Option<Span>,
    cluster_count: u64,
    crb: Option<Span>,
    crb_map_entries: u64,
    ctb: Option<Span>,
    dsr: Option<(Span, Option<Span>)>,
}

/// Shows the header and where the tables are, not the raw bytes.
impl fmt::Debug for Hwrpb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hwrpb")
            .field("len", &self.bytes.len())
            .field("header", &self.header)
            .field("running_cpu", &self.running_cpu)
            .field("this_slot", &self.this_slot)
            .field("slots", &self.slots)
            .field("mddt", &self.mddt)
            .field("cluster_count", &self.cluster_count)
            .field("crb", &self.crb)
            .field("crb_map_entries", &self.crb_map_entries)
            .field("ctb", &self.ctb)
            .field("dsr", &self.dsr)
            .finish()
    }
}

/// The first of two overlapping structures, by offset.
fn overlap_error(a: (Table, Span), b: (Table, Span)) -> HwrpbError {
    let (first, second) = if a.1.start <= b.1.start {
        (a.0, b.0)
    } else {
        (b.0, a.0)
    };
    HwrpbError::TablesOverlap { first, second }
}

/// The first structure in `kept` that `span` overlaps.
fn first_overlap(span: (Table, Span), kept: &[Option<(Table, Span)>]) -> Option<HwrpbError> {
    kept.iter()
        .flatten()
        .find(|k| k.1.overlaps(span.1))
        .map(|k| overlap_error(*k, span))
}

impl<'a> Hwrpb<'a> {
    /// Parse and validate an HWRPB strictly: any problem
    /// [`Hwrpb::inspect`] reports (except `cycle_freq`, `usage` bits and a
    /// `cpuid` naming another CPU, which it does not check) is an error.
    /// The primary CPU (`cpuid`) is taken as the running CPU.
    ///
    /// `bytes` starts at the HWRPB and must extend over all its tables (see
    /// [`readable_size`]). On success every table is present and valid:
    /// the per-CPU slots, the MDDT with its clusters sorted, disjoint and
    /// addressable, and the optional CRB, CTBs and DSR if they are there.
    pub fn parse(bytes: &'a [u8]) -> Result<Hwrpb<'a>, HwrpbError> {
        let cpuid = read_u64(bytes, header::CPUID).unwrap_or(0);
        let i = Hwrpb::inspect(bytes, cpuid)?;
        match i.findings.first_strict_error() {
            Some(e) => Err(e),
            None => Ok(i.hwrpb),
        }
    }

    /// Parse an HWRPB tolerantly, for the kernel running on CPU
    /// `running_cpu` (its WHAMI): strict where the kernel needs it,
    /// reporting the rest.
    ///
    /// A hard error (`Err`) only when the header itself is unusable:
    /// slice too short ([`HwrpbError::TooShort`]), magic
    /// ([`HwrpbError::BadMagic`]), `size` out of range or beyond the slice,
    /// `pagesize != 8192`, `phys_addr` not page aligned, `pa_bits` not in
    /// 1..=64. Everything else is a [`Finding`] and the block is returned
    /// without the part that failed:
    ///
    /// * errors (the kernel needs it): the running CPU's per-CPU slot
    ///   (at least one slot, `processor_size` a multiple of 8 and at least
    ///   [`layout::slot::MIN_SIZE`], the slot inside the slice, not
    ///   overlapping the header); the MDDT (present, at least one and at
    ///   most [`MAX_CLUSTERS`] clusters, inside the slice, not overlapping
    ///   the header or that slot, every cluster's end representable and
    ///   below `2^pa_bits`); `cycle_freq` in [`CYCLE_FREQ_PLAUSIBLE`];
    /// * warnings (reported only): the checksum; `cpuid` out of range or
    ///   not the running CPU; the whole slot table, the CRB and its map
    ///   entries, the CTBs (`max(ctb_nr, 1)` of `ctb_size` bytes), the DSR
    ///   and its name (each inside the slice and overlapping nothing kept
    ///   before it: header, slots, MDDT, CRB, CTB, DSR in that order);
    ///   clusters out of order (the [`MemoryMap`] sorts them), overlapping
    ///   (the map clips them and lists the overlap), with `usage` bits
    ///   other than 0 and 1.
    ///
    /// Not checked: `revision` (only gates the DSR), the MDDT checksum,
    /// `numtested` and the bitmap fields of clusters, `ctb_nr` (QEMU
    /// writes 0).
    pub fn inspect(bytes: &'a [u8], running_cpu: u64) -> Result<Inspection<'a>, HwrpbError> {
        let available = bytes.len();
        if available < header::SIZE_OF {
            return Err(HwrpbError::TooShort {
                needed: header::SIZE_OF,
                available,
            });
        }
        let size = declared_size(bytes)?;
        if size > available {
            return Err(HwrpbError::Truncated {
                size: usize_to_u64(size),
                available,
            });
        }
        let h = Header::decode(bytes)?;
        if h.page_size != PAGE_SIZE {
            return Err(HwrpbError::BadPageSize {
                page_size: h.page_size,
            });
        }
        if !h.phys_addr.is_multiple_of(PAGE_SIZE) {
            return Err(HwrpbError::MisalignedPhysAddr {
                phys_addr: h.phys_addr,
            });
        }
        if h.pa_bits == 0 || h.pa_bits > 64 {
            return Err(HwrpbError::BadPaBits { pa_bits: h.pa_bits });
        }

        let mut findings = Findings::new();
        let computed = header_checksum(bytes).unwrap_or(0);
        if computed != h.checksum {
            findings.push(Finding::ChecksumMismatch {
                stored: h.checksum,
                computed,
            });
        }

        // Per-CPU slots: `cpuid`, then the running CPU's slot (needed),
        // then the whole table (reported).
        if h.nr_processors > 0 && h.primary_cpu_id >= h.nr_processors {
            findings.push(Finding::PrimaryCpuOutOfRange {
                cpu_id: h.primary_cpu_id,
                nr_processors: h.nr_processors,
                running: running_cpu,
            });
        } else if h.nr_processors > 0 && h.primary_cpu_id != running_cpu {
            findings.push(Finding::PrimaryCpuNotThisCpu {
                cpu_id: h.primary_cpu_id,
                running: running_cpu,
            });
        }
        let this_slot = match locate_slot(available, &h, running_cpu) {
            Ok(s) => Some(s),
            Err(error) => {
                findings.push(Finding::NoCpuSlot {
                    cpu: running_cpu,
                    error,
                });
                None
            }
        };
        let mut slots = None;
        if this_slot.is_some() {
            match locate(
                available,
                Table::ProcessorSlots,
                h.processor_offset,
                0,
                h.nr_processors,
                h.processor_size,
            ) {
                Ok(s) => slots = Some(s),
                Err(error) => findings.push(Finding::OtherSlotsIgnored { error }),
            }
        }

        // Memory data descriptor table (needed).
        let (mut mddt, cluster_count) = match locate_mddt(bytes, &h) {
            Ok((span, count)) => (Some(span), count),
            Err(error) => {
                findings.push(Finding::NoMemoryMap { error });
                (None, 0)
            }
        };

        // Console callback routine block (reported): the fixed part, then
        // the map entries.
        let mut crb_map_entries = 0;
        let mut crb_span = None;
        if h.crb_offset != 0 {
            let t = Table::ConsoleCallbackBlock;
            match locate(available, t, h.crb_offset, usize_to_u64(crb::MAP), 0, 0) {
                Err(error) => findings.push(Finding::TableIgnored { error }),
                Ok(fixed) => {
                    let entries = read_u64_or_zero(fixed.of(bytes), crb::MAP_ENTRIES);
                    let entry = usize_to_u64(crb::MAP_ENTRY_SIZE);
                    let fixed_len = usize_to_u64(crb::MAP);
                    match locate(available, t, h.crb_offset, fixed_len, entries, entry) {
                        Ok(whole) => {
                            crb_span = Some(whole);
                            crb_map_entries = entries;
                        }
                        Err(error) => {
                            findings.push(Finding::CrbMapIgnored {
                                map_entries: entries,
                                error,
                            });
                            crb_span = Some(fixed);
                        }
                    }
                }
            }
        }

        // Console terminal blocks (reported).
        let mut ctb_span = None;
        if h.ctbt_offset != 0 {
            let t = Table::ConsoleTerminalBlocks;
            let located = check_entry_size(t, h.ctb_size, ctb::MIN_SIZE).and_then(|()| {
                locate(available, t, h.ctbt_offset, 0, h.ctb_nr.max(1), h.ctb_size)
            });
            match located {
                Ok(s) => ctb_span = Some(s),
                Err(error) => findings.push(Finding::TableIgnored { error }),
            }
        }

        // Dynamic system recognition block (revision >= 5, reported).
        let mut dsr_spans = None;
        if h.revision >= dsr::MIN_REVISION && h.dsr_offset != 0 {
            let t = Table::DynamicSystemRecognition;
            match locate(available, t, h.dsr_offset, usize_to_u64(dsr::SIZE_OF), 0, 0) {
                Err(error) => findings.push(Finding::TableIgnored { error }),
                Ok(fixed) => {
                    let sysname_off = read_u64_or_zero(fixed.of(bytes), dsr::SYSNAME_OFF);
                    let name = if sysname_off == 0 {
                        None
                    } else {
                        match locate_dsr_name(available, bytes, h.dsr_offset, sysname_off) {
                            Ok(n) => Some(n),
                            Err(error) => {
                                findings.push(Finding::DsrNameIgnored { error });
                                None
                            }
                        }
                    };
                    dsr_spans = Some((fixed, name));
                }
            }
        }

        // No two structures may share bytes. Needed ones first: a slot or
        // MDDT overlapping the header, or each other, is unusable.
        let header_span = (
            Table::Header,
            Span {
                start: 0,
                end: header::SIZE_OF,
            },
        );
        let mut this_slot = this_slot;
        if let Some(s) = this_slot
            && s.overlaps(header_span.1)
        {
            findings.push(Finding::NoCpuSlot {
                cpu: running_cpu,
                error: overlap_error(header_span, (Table::ProcessorSlots, s)),
            });
            this_slot = None;
            slots = None;
        }
        if let Some(m) = mddt {
            let m = (Table::MemoryDescriptorTable, m);
            let kept = [Some(header_span), this_slot.map(|s| (Table::ProcessorSlots, s))];
            if let Some(error) = first_overlap(m, &kept) {
                findings.push(Finding::NoMemoryMap { error });
                mddt = None;
            }
        }
        // Then the reported ones, each against everything kept before it.
        let mut kept: [Option<(Table, Span)>; 5] = [
            Some(header_span),
            this_slot.map(|s| (Table::ProcessorSlots, s)),
            mddt.map(|s| (Table::MemoryDescriptorTable, s)),
            None,
            None,
        ];
        if let (Some(all), Some(_)) = (slots, this_slot) {
            let others = [kept[0], kept[2]];
            if let Some(error) = first_overlap((Table::ProcessorSlots, all), &others) {
                findings.push(Finding::OtherSlotsIgnored { error });
                slots = None;
            } else {
                kept[1] = Some((Table::ProcessorSlots, all));
            }
        }
        if let Some(c) = crb_span {
            let c = (Table::ConsoleCallbackBlock, c);
            if let Some(error) = first_overlap(c, &kept) {
                findings.push(Finding::TableIgnored { error });
                crb_span = None;
                crb_map_entries = 0;
            } else {
                kept[3] = Some(c);
            }
        }
        if let Some(c) = ctb_span {
            let c = (Table::ConsoleTerminalBlocks, c);
            if let Some(error) = first_overlap(c, &kept) {
                findings.push(Finding::TableIgnored { error });
                ctb_span = None;
            } else {
                kept[4] = Some(c);
            }
        }
        if let Some((d, _)) = dsr_spans {
            let d = (Table::DynamicSystemRecognition, d);
            if let Some(error) = first_overlap(d, &kept) {
                findings.push(Finding::TableIgnored { error });
                dsr_spans = None;
            }
        }

        let rpb = Hwrpb {
            bytes,
            header: h,
            running_cpu,
            this_slot,
            slots,
            mddt,
            cluster_count: if mddt.is_some() { cluster_count } else { 0 },
            crb: crb_span,
            crb_map_entries,
            ctb: ctb_span,
            dsr: dsr_spans,
        };

        // The clusters (reported: the memory map sorts and clips).
        if let Some(table) = rpb.mddt() {
            check_cluster_order(&table, &mut findings);
        }

        if !CYCLE_FREQ_PLAUSIBLE.contains(&h.cycle_freq) {
            findings.push(Finding::CycleFreqImplausible {
                cycle_freq: h.cycle_freq,
            });
        }
        Ok(Inspection {
            hwrpb: rpb,
            findings,
        })
    }

    /// The bytes the HWRPB was parsed from.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The CPU the block was inspected for (its WHAMI; `cpuid` for
    /// [`Hwrpb::parse`]).
    pub fn running_cpu(&self) -> u64 {
        self.running_cpu
    }

    /// The per-CPU slots, in WHAMI order: all `nr_processors` of them, or
    /// only the running CPU's if the table as a whole was unusable, or none.
    pub fn processors(&self) -> ProcessorSlots<'a> {
        let size = usize::try_from(self.header.processor_size).unwrap_or(usize::MAX);
        let records = match (self.slots, self.this_slot) {
            (Some(all), _) => Records::new(all.of(self.bytes), size, self.header.nr_processors),
            (None, Some(one)) => Records::new_at(one.of(self.bytes), size, self.running_cpu, 1),
            (None, None) => Records::new(&[], size, 0),
        };
        ProcessorSlots { records }
    }

    /// The per-CPU slot of CPU `whami`, if it is usable.
    pub fn processor(&self, whami: u64) -> Option<ProcessorSlot> {
        let records = self.processors().records;
        records.get(whami).map(|s| ProcessorSlot::decode(whami, s))
    }

    /// The slot of the CPU the kernel runs on, if usable.
    pub fn this_processor(&self) -> Option<ProcessorSlot> {
        self.processor(self.running_cpu)
    }

    /// The primary CPU's slot (`cpuid`), or the running CPU's if `cpuid`
    /// has none, or an all-zero slot.
    pub fn primary_processor(&self) -> ProcessorSlot {
        self.processor(self.header.primary_cpu_id)
            .or_else(|| self.this_processor())
            .unwrap_or_default()
    }

    /// Number of CPUs Linux would count (`get_nr_processors`: slots whose
    /// flags include 0x1cc), among the usable slots.
    pub fn usable_processor_count(&self) -> usize {
        self.processors().filter(ProcessorSlot::is_usable).count()
    }

    /// The memory data descriptor table, if usable.
    pub fn mddt(&self) -> Option<Mddt<'a>> {
        self.mddt
            .map(|s| Mddt::decode(s.of(self.bytes), self.cluster_count))
    }

    /// The memory map: the MDDT's clusters sorted and clipped, with the
    /// overlaps listed; `None` if the MDDT is unusable.
    pub fn memory_map(&self) -> Option<MemoryMap<'a>> {
        self.mddt().map(|mddt| MemoryMap { mddt })
    }

    /// The memory clusters as declared, in table order (none if the MDDT
    /// is unusable). For the memory the kernel may use, see
    /// [`Hwrpb::memory_map`].
    pub fn memory_clusters(&self) -> MemClusters<'a> {
        match self.mddt() {
            Some(m) => m.clusters(),
            None => MemClusters {
                records: Records::new(&[], layout::cluster::SIZE_OF, 0),
            },
        }
    }

    /// Total memory in the memory map, in bytes, console memory included,
    /// each page once (0 without a memory map).
    pub fn total_memory_bytes(&self) -> u64 {
        self.memory_map().map_or(0, |m| m.total_bytes())
    }

    /// Memory the OS may use, in bytes ([`MemoryMap::available_bytes`]).
    pub fn available_memory_bytes(&self) -> u64 {
        self.memory_map().map_or(0, |m| m.available_bytes())
    }

    /// The memory map's cluster containing page frame `pfn`, as declared.
    pub fn cluster_containing_pfn(&self, pfn: u64) -> Option<MemCluster> {
        self.memory_map()?
            .cluster_containing_pfn(pfn)
            .map(|c| c.declared)
    }

    /// Linux `page_is_ram`: `pfn` lies in a cluster for the OS
    /// ([`MemCluster::is_for_os`]), and no other cluster describes it.
    pub fn page_is_ram(&self, pfn: u64) -> bool {
        self.memory_map().is_some_and(|m| {
            m.cluster_containing_pfn(pfn)
                .is_some_and(|c| c.cluster.is_for_os())
                && !m.is_doubly_described(pfn)
        })
    }

    /// Whether physical address `pa` is RAM the OS may use.
    pub fn addr_is_ram(&self, pa: u64) -> bool {
        self.page_is_ram(pa >> PAGE_SHIFT)
    }

    /// The console callback routine block, if present and usable.
    pub fn crb(&self) -> Option<Crb<'a>> {
        self.crb
            .map(|s| Crb::decode(s.of(self.bytes), self.crb_map_entries))
    }

    /// The first console terminal block, if present and usable.
    pub fn ctb(&self) -> Option<Ctb<'a>> {
        let span = self.ctb?;
        let size = usize::try_from(self.header.ctb_size).ok()?;
        let first = span.of(self.bytes).get(..size)?;
        Some(Ctb::decode(first, self.header.ctb_nr, self.header.ctb_size))
    }

    /// The dynamic system recognition block, if `revision >= 5`,
    /// `dsr_offset != 0` and it is usable.
    pub fn dsr(&self) -> Option<Dsr<'a>> {
        let (fixed, name) = self.dsr?;
        Some(Dsr::decode(
            fixed.of(self.bytes),
            name.map(|n| n.of(self.bytes)),
        ))
    }

    /// Name of the running CPU's type, e.g. `"EV67"` (`"unknown"` without
    /// its slot).
    pub fn cpu_name(&self) -> &'static str {
        self.this_processor().unwrap_or_default().type_name()
    }

    /// Most specific system name, e.g. `"Clipper"`. Applies Linux's quirk
    /// that an EB164 with an EV56 CPU is really a PC164.
    pub fn system_name(&self) -> &'static str {
        let name = self.header.system_name();
        if name == "EB164" && self.primary_processor().major_type() == 7 {
            "PC164"
        } else {
            name
        }
    }
}

/// The running CPU's slot: [`HwrpbError::NoProcessors`],
/// [`HwrpbError::MissingTable`], [`HwrpbError::BadEntrySize`],
/// [`HwrpbError::CpuOutOfRange`], or the slots up to it out of bounds.
fn locate_slot(available: usize, h: &Header, cpu: u64) -> Result<Span, HwrpbError> {
    let t = Table::ProcessorSlots;
    if h.nr_processors == 0 {
        return Err(HwrpbError::NoProcessors);
    }
    if h.processor_offset == 0 {
        return Err(HwrpbError::MissingTable { table: t });
    }
    check_entry_size(t, h.processor_size, slot::MIN_SIZE)?;
    if cpu >= h.nr_processors {
        return Err(HwrpbError::CpuOutOfRange {
            cpu_id: cpu,
            nr_processors: h.nr_processors,
        });
    }
    let upto = locate(
        available,
        t,
        h.processor_offset,
        0,
        cpu.saturating_add(1),
        h.processor_size,
    )?;
    // upto.end - processor_size >= upto.start, as locate checked.
    let size = usize::try_from(h.processor_size).unwrap_or(usize::MAX);
    Ok(Span {
        start: upto.end.saturating_sub(size),
        end: upto.end,
    })
}

/// The MDDT with all its clusters, and the cluster count.
fn locate_mddt(bytes: &[u8], h: &Header) -> Result<(Span, u64), HwrpbError> {
    let available = bytes.len();
    let t = Table::MemoryDescriptorTable;
    if h.mddt_offset == 0 {
        return Err(HwrpbError::MissingTable { table: t });
    }
    let mddt_fixed = usize_to_u64(mddt::CLUSTERS);
    let fixed = locate(available, t, h.mddt_offset, mddt_fixed, 0, 0)?;
    let count = read_u64_or_zero(fixed.of(bytes), mddt::NUMCLUSTERS);
    if count == 0 {
        return Err(HwrpbError::NoMemoryClusters);
    }
    let cluster_size = usize_to_u64(layout::cluster::SIZE_OF);
    let span = locate(available, t, h.mddt_offset, mddt_fixed, count, cluster_size)?;
    if count > MAX_CLUSTERS {
        return Err(HwrpbError::TooManyClusters {
            count,
            max: MAX_CLUSTERS,
        });
    }
    check_cluster_ends(&Mddt::decode(span.of(bytes), count), h.pa_bits)?;
    Ok((span, count))
}

/// The DSR's system name: a character count at `dsr_offset + sysname_off`,
/// then the characters.
fn locate_dsr_name(
    available: usize,
    bytes: &[u8],
    dsr_offset: u64,
    sysname_off: u64,
) -> Result<Span, HwrpbError> {
    let t = Table::DsrSystemName;
    let at = dsr_offset
        .checked_add(sysname_off)
        .ok_or(HwrpbError::TableOutOfBounds {
            table: t,
            offset: sysname_off,
            length: 8,
            available,
        })?;
    let count_span = locate(available, t, at, 8, 0, 0)?;
    let chars = read_u64_or_zero(count_span.of(bytes), 0);
    let whole = locate(available, t, at, 8, chars, 1)?;
    Ok(Span {
        start: count_span.end,
        end: whole.end,
    })
}

/// Clusters out of order, overlapping, or with must-be-zero usage bits:
/// one finding for the order, one for the first cluster with odd usage
/// bits, one per overlap.
fn check_cluster_order(table: &Mddt<'_>, findings: &mut Findings) {
    let mut previous: Option<u64> = None;
    let mut first_descent: Option<(u64, u64, u64)> = None;
    let mut descents = 0u64;
    let mut odd_usage: Option<(u64, u64)> = None;
    for (index, c) in (0u64..).zip(table.clusters()) {
        if let Some(p) = previous
            && c.start_pfn < p
        {
            descents = descents.saturating_add(1);
            first_descent.get_or_insert((index, c.start_pfn, p));
        }
        if c.has_reserved_usage_bits() {
            odd_usage.get_or_insert((index, c.usage));
        }
        previous = Some(c.start_pfn);
    }
    if let Some((index, start_pfn, previous_start_pfn)) = first_descent {
        findings.push(Finding::ClustersSorted {
            index,
            start_pfn,
            previous_start_pfn,
            descents,
        });
    }
    if let Some((index, usage)) = odd_usage {
        findings.push(Finding::ClusterUsageReservedBits { index, usage });
    }
    for o in (MemoryMap { mddt: *table }).overlaps() {
        findings.push(Finding::ClustersOverlap {
            first: o.first,
            second: o.second,
            start_pfn: o.start_pfn,
            end_pfn: o.end_pfn,
        });
    }
}

/// A multi-line summary, in the spirit of Linux's `/proc/cpuinfo` and its
/// `memcluster` boot messages.
impl fmt::Display for Hwrpb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.header;
        writeln!(
            f,
            "HWRPB at pa {:#x}: revision {}, size {:#x}, magic {:?}",
            h.phys_addr, h.revision, h.size, h.magic
        )?;
        writeln!(
            f,
            "  system: {} (family {}, type {}, variation {:#x}, revision {}), serial \"{}\"",
            self.system_name(),
            h.system_family(),
            h.sys_type,
            h.sys_variation,
            h.sys_revision,
            h.serial_str()
        )?;
        writeln!(
            f,
            "  cycle counter {} Hz, timer {} Hz, page size {}, {} PA bits, max ASN {}",
            h.cycle_freq,
            h.timer_hz(),
            h.page_size,
            h.pa_bits,
            h.max_asn
        )?;
        writeln!(
            f,
            "  processors: {} slots of {:#x} bytes at {:#x}, primary CPU {}",
            h.nr_processors, h.processor_size, h.processor_offset, h.primary_cpu_id
        )?;
        for p in self.processors() {
            writeln!(
                f,
                "    cpu {}: {} (type {:#x}), flags {:#x}, PALcode {}.{} type {}",
                p.index,
                p.type_name(),
                p.cpu_type,
                p.flags,
                p.pal_major(),
                p.pal_minor(),
                p.pal_type()
            )?;
        }
        match self.memory_map() {
            None => writeln!(f, "  memory: no usable memory data descriptor table")?,
            Some(m) => {
                writeln!(
                    f,
                    "  memory: {} clusters, {} KiB total, {} KiB available",
                    m.mddt().cluster_count,
                    m.total_bytes() >> 10,
                    m.available_bytes() >> 10
                )?;
                for c in m.clusters() {
                    let k = c.cluster;
                    writeln!(
                        f,
                        "    memcluster {}: usage {:#x}, pfn {:#x}..{:#x} ({:#x}..{:#x}){}{}",
                        c.index,
                        k.usage,
                        k.start_pfn,
                        k.end_pfn(),
                        k.start_addr(),
                        k.end_addr(),
                        if k.is_console() {
                            " console"
                        } else if k.is_nonvolatile() {
                            " non-volatile"
                        } else {
                            ""
                        },
                        if c.is_clipped() { " (clipped)" } else { "" }
                    )?;
                }
                for o in m.overlaps() {
                    writeln!(
                        f,
                        "    overlap: clusters {} and {} both describe pfn {:#x}..{:#x}",
                        o.first, o.second, o.start_pfn, o.end_pfn
                    )?;
                }
            }
        }
        if let Some(crb) = self.crb() {
            writeln!(
                f,
                "  CRB: dispatch va {:#x} pa {:#x}, fixup va {:#x} pa {:#x}, {} map entries",
                crb.dispatch_va, crb.dispatch_pa, crb.fixup_va, crb.fixup_pa, crb.map_entries
            )?;
            for e in crb.map() {
                writeln!(
                    f,
                    "    map va {:#x} -> pa {:#x}, {} pages",
                    e.va, e.pa, e.count
                )?;
            }
        }
        if let Some(ctb) = self.ctb() {
            writeln!(f, "  CTB: type {}, unit {}", ctb.ctb_type, ctb.unit)?;
        }
        if let Some(dsr) = self.dsr() {
            writeln!(
                f,
                "  DSR: smm {}, platform \"{}\"",
                dsr.smm,
                dsr.sysname().unwrap_or("")
            )?;
        }
        Ok(())
    }
}
