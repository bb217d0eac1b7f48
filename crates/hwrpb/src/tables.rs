//! Decoded records of the HWRPB's sub-tables and iterators over them.
//!
//! The iterators read from a byte slice that [`crate::Hwrpb::parse`] has
//! already bounds-checked, but they still use only `get`-style accesses: if
//! something were out of range they would yield zeros or stop early, never
//! panic.

use core::iter::FusedIterator;

use crate::layout::{PAGE_SHIFT, PAGE_SIZE, cluster, crb, ctb, dsr, mddt, slot};
use crate::names::cpu_type_name;
use crate::{read_u64, read_u64_or_zero};

/// Fixed-stride records inside a byte slice (the common part of all
/// iterators below).
#[derive(Clone, Debug)]
pub(crate) struct Records<'a> {
    bytes: &'a [u8],
    stride: usize,
    /// Index of the record at the start of `bytes`.
    first: u64,
    next: u64,
    end: u64,
}

impl<'a> Records<'a> {
    pub(crate) fn new(bytes: &'a [u8], stride: usize, count: u64) -> Self {
        Records::new_at(bytes, stride, 0, count)
    }

    /// Records numbered `first..first + count`, the first at the start of
    /// `bytes`.
    pub(crate) fn new_at(bytes: &'a [u8], stride: usize, first: u64, count: u64) -> Self {
        Records {
            bytes,
            stride,
            first,
            next: first,
            end: first.saturating_add(count),
        }
    }

    /// The `index`-th record, if it lies inside the slice.
    pub(crate) fn get(&self, index: u64) -> Option<&'a [u8]> {
        if index >= self.end || index < self.first || self.stride == 0 {
            return None;
        }
        let start = usize::try_from(index.checked_sub(self.first)?)
            .ok()?
            .checked_mul(self.stride)?;
        let end = start.checked_add(self.stride)?;
        self.bytes.get(start..end)
    }

    /// Records left: bounded both by the declared count and by how many
    /// whole records the slice holds, so the iterator's length is exact.
    fn remaining(&self) -> usize {
        let in_slice = u64::try_from(self.bytes.len().checked_div(self.stride).unwrap_or(0))
            .unwrap_or(u64::MAX);
        let end = self.end.min(self.first.saturating_add(in_slice));
        usize::try_from(end.saturating_sub(self.next)).unwrap_or(usize::MAX)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.next;
        let record = self.get(index)?;
        self.next = index.saturating_add(1);
        Some((index, record))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Records<'_> {}
impl FusedIterator for Records<'_> {}

/// Bits of a per-CPU slot's `flags` quadword (BSD `PCS_*`; the QEMU PALcode
/// comment in `init.c` names bits 2, 3, 6, 7 and 8).
pub mod slot_flags {
    /// Bit 0, BIP: bootstrap in progress.
    pub const BOOTSTRAP_IN_PROGRESS: u64 = 1 << 0;
    /// Bit 1, RC: restart capable.
    pub const RESTART_CAPABLE: u64 = 1 << 1;
    /// Bit 2, PA: processor available.
    pub const PROCESSOR_AVAILABLE: u64 = 1 << 2;
    /// Bit 3, PP: processor present.
    pub const PROCESSOR_PRESENT: u64 = 1 << 3;
    /// Bit 4, OH: operator halted.
    pub const OPERATOR_HALTED: u64 = 1 << 4;
    /// Bit 5, CV: context valid.
    pub const CONTEXT_VALID: u64 = 1 << 5;
    /// Bit 6, PV: PALcode valid.
    pub const PALCODE_VALID: u64 = 1 << 6;
    /// Bit 7, PMV: PALcode memory valid.
    pub const PALCODE_MEMORY_VALID: u64 = 1 << 7;
    /// Bit 8, PL: PALcode loaded.
    pub const PALCODE_LOADED: u64 = 1 << 8;
    /// Bits <23:16>: halt request code.
    pub const HALT_REQUEST_MASK: u64 = 0xff << 16;
    /// PA | PP | PV | PMV | PL = 0x1cc: the bits QEMU sets and Linux's
    /// `get_nr_processors` requires for a CPU to count.
    pub const USABLE: u64 = PROCESSOR_AVAILABLE
        | PROCESSOR_PRESENT
        | PALCODE_VALID
        | PALCODE_MEMORY_VALID
        | PALCODE_LOADED;
}

/// One per-CPU slot (`struct percpu_struct`), decoded up to `serial_no`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorSlot {
    /// Slot number (= the CPU's WHAMI).
    pub index: u64,
    /// `flags`: see [`slot_flags`].
    pub flags: u64,
    /// `pal_mem_size`.
    pub pal_mem_size: u64,
    /// `pal_scratch_size`.
    pub pal_scratch_size: u64,
    /// `pal_mem_pa`.
    pub pal_mem_pa: u64,
    /// `pal_scratch_pa`.
    pub pal_scratch_pa: u64,
    /// `pal_revision`: see [`ProcessorSlot::pal_major`] and friends.
    pub pal_revision: u64,
    /// `type`: CPU type, major in <31:0> (e.g. 11 = EV67), minor in <63:32>.
    pub cpu_type: u64,
    /// `variation`: bit 0 VAX FP, bit 1 IEEE FP, bit 2 primary eligible.
    pub variation: u64,
    /// `revision`: 4 ASCII characters on real consoles.
    pub revision: u64,
    /// `serial_no`: 16 bytes, the first 10 are the ASCII serial number.
    pub serial_no: [u8; slot::SERIAL_NO_LEN],
}

impl ProcessorSlot {
    pub(crate) fn decode(index: u64, s: &[u8]) -> Self {
        let mut serial_no = [0u8; slot::SERIAL_NO_LEN];
        if let Some(src) =
            s.get(slot::SERIAL_NO..slot::SERIAL_NO.saturating_add(slot::SERIAL_NO_LEN))
        {
            serial_no.copy_from_slice(src);
        }
        ProcessorSlot {
            index,
            flags: read_u64_or_zero(s, slot::FLAGS),
            pal_mem_size: read_u64_or_zero(s, slot::PAL_MEM_SIZE),
            pal_scratch_size: read_u64_or_zero(s, slot::PAL_SCRATCH_SIZE),
            pal_mem_pa: read_u64_or_zero(s, slot::PAL_MEM_PA),
            pal_scratch_pa: read_u64_or_zero(s, slot::PAL_SCRATCH_PA),
            pal_revision: read_u64_or_zero(s, slot::PAL_REVISION),
            cpu_type: read_u64_or_zero(s, slot::TYPE),
            variation: read_u64_or_zero(s, slot::VARIATION),
            revision: read_u64_or_zero(s, slot::REVISION),
            serial_no,
        }
    }

    /// Major CPU type, bits <31:0> of `type` (what Linux switches on).
    pub const fn major_type(&self) -> u32 {
        (self.cpu_type & 0xffff_ffff) as u32
    }

    /// Minor CPU type, bits <63:32> of `type` (processor specific).
    pub const fn minor_type(&self) -> u32 {
        (self.cpu_type >> 32) as u32
    }

    /// The CPU's name as Linux prints it, e.g. `"EV67"`.
    pub fn type_name(&self) -> &'static str {
        cpu_type_name(self.cpu_type)
    }

    /// PALcode minor revision, `pal_revision` <7:0>.
    pub const fn pal_minor(&self) -> u8 {
        (self.pal_revision & 0xff) as u8
    }

    /// PALcode major revision, `pal_revision` <15:8>.
    pub const fn pal_major(&self) -> u8 {
        ((self.pal_revision >> 8) & 0xff) as u8
    }

    /// PALcode type, `pal_revision` <23:16>: 0 standard, 1 OpenVMS,
    /// 2 OSF/1 (Digital UNIX, used by Linux).
    pub const fn pal_type(&self) -> u8 {
        ((self.pal_revision >> 16) & 0xff) as u8
    }

    /// PALcode compatibility revision, `pal_revision` <47:32>.
    pub const fn pal_compatibility(&self) -> u16 {
        ((self.pal_revision >> 32) & 0xffff) as u16
    }

    /// Number of processors the PALcode supports, `pal_revision` <63:48>.
    pub const fn pal_processor_count(&self) -> u16 {
        (self.pal_revision >> 48) as u16
    }

    /// Whether every bit of `mask` (see [`slot_flags`]) is set in `flags`.
    pub const fn has_flags(&self, mask: u64) -> bool {
        self.flags & mask == mask
    }

    /// Processor present (PP, bit 3).
    pub const fn is_present(&self) -> bool {
        self.has_flags(slot_flags::PROCESSOR_PRESENT)
    }

    /// Processor available (PA, bit 2).
    pub const fn is_available(&self) -> bool {
        self.has_flags(slot_flags::PROCESSOR_AVAILABLE)
    }

    /// Linux's test in `get_nr_processors`: `(flags & 0x1cc) == 0x1cc`
    /// (present, available, PALcode valid, loaded and its memory valid).
    pub const fn is_usable(&self) -> bool {
        self.has_flags(slot_flags::USABLE)
    }

    /// The serial number: the valid first 10 bytes up to the first NUL, if
    /// ASCII/UTF-8 (QEMU leaves it all zero, giving `""`).
    pub fn serial_str(&self) -> &str {
        ascii_prefix(self.serial_no.get(..10).unwrap_or(&[]))
    }
}

/// Iterator over the per-CPU slots, in slot (WHAMI) order.
#[derive(Clone, Debug)]
pub struct ProcessorSlots<'a> {
    pub(crate) records: Records<'a>,
}

impl Iterator for ProcessorSlots<'_> {
    type Item = ProcessorSlot;

    fn next(&mut self) -> Option<ProcessorSlot> {
        self.records
            .next()
            .map(|(i, s)| ProcessorSlot::decode(i, s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl FusedIterator for ProcessorSlots<'_> {}
impl ExactSizeIterator for ProcessorSlots<'_> {}

/// Bits of a memory cluster's `usage` quadword.
pub mod cluster_usage {
    /// Bit 0: reserved for the console and PALcode (BSD `MDDT_PALCODE`).
    pub const CONSOLE: u64 = 1 << 0;
    /// Bit 1: non-volatile memory (BSD `MDDT_NONVOLATILE`).
    pub const NONVOLATILE: u64 = 1 << 1;
    /// Bits Linux tests: a cluster is free for the OS iff `usage & 3 == 0`.
    pub const NOT_FOR_OS: u64 = CONSOLE | NONVOLATILE;
}

/// One memory cluster (`struct memclust_struct`): `numpages` 8 KiB page
/// frames starting at `start_pfn`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemCluster {
    /// `start_pfn`: first page frame number.
    pub start_pfn: u64,
    /// `numpages`: number of page frames.
    pub numpages: u64,
    /// `numtested`: pages tested by the console (QEMU leaves 0).
    pub numtested: u64,
    /// `bitmap_va`: virtual address of the good-page bitmap (QEMU: 0).
    pub bitmap_va: u64,
    /// `bitmap_pa`: physical address of the good-page bitmap (QEMU: 0).
    pub bitmap_pa: u64,
    /// `bitmap_chksum`: checksum of the bitmap.
    pub bitmap_chksum: u64,
    /// `usage`: see [`cluster_usage`].
    pub usage: u64,
}

impl MemCluster {
    /// A cluster of `numpages` pages at `start_pfn` with the given `usage`,
    /// the other fields zero (what QEMU writes).
    pub const fn new(start_pfn: u64, numpages: u64, usage: u64) -> Self {
        MemCluster {
            start_pfn,
            numpages,
            numtested: 0,
            bitmap_va: 0,
            bitmap_pa: 0,
            bitmap_chksum: 0,
            usage,
        }
    }

    pub(crate) fn decode(c: &[u8]) -> Self {
        MemCluster {
            start_pfn: read_u64_or_zero(c, cluster::START_PFN),
            numpages: read_u64_or_zero(c, cluster::NUMPAGES),
            numtested: read_u64_or_zero(c, cluster::NUMTESTED),
            bitmap_va: read_u64_or_zero(c, cluster::BITMAP_VA),
            bitmap_pa: read_u64_or_zero(c, cluster::BITMAP_PA),
            bitmap_chksum: read_u64_or_zero(c, cluster::BITMAP_CHKSUM),
            usage: read_u64_or_zero(c, cluster::USAGE),
        }
    }

    /// Reserved for the console/PALcode (`usage` bit 0).
    pub const fn is_console(&self) -> bool {
        self.usage & cluster_usage::CONSOLE != 0
    }

    /// Non-volatile memory (`usage` bit 1).
    pub const fn is_nonvolatile(&self) -> bool {
        self.usage & cluster_usage::NONVOLATILE != 0
    }

    /// Free for the operating system: `usage & 3 == 0`, Linux's test in
    /// `setup_memory`.
    pub const fn is_available(&self) -> bool {
        self.usage & cluster_usage::NOT_FOR_OS == 0
    }

    /// `usage` has bits set beyond 0 and 1 (the BSDs' `MDDT_mbz`, "must be
    /// zero").
    pub const fn has_reserved_usage_bits(&self) -> bool {
        self.usage & !cluster_usage::NOT_FOR_OS != 0
    }

    /// What the kernel hands to its allocators: `usage == 0`. Linux's
    /// [`MemCluster::is_available`], and no must-be-zero bit set (NetBSD
    /// skips such clusters as "weird").
    pub const fn is_for_os(&self) -> bool {
        self.usage == 0
    }

    /// One past the last page frame number (saturating; never saturates for
    /// a cluster of a parsed HWRPB).
    pub const fn end_pfn(&self) -> u64 {
        self.start_pfn.saturating_add(self.numpages)
    }

    /// Physical address of the first byte (saturating).
    pub const fn start_addr(&self) -> u64 {
        self.start_pfn.saturating_mul(PAGE_SIZE)
    }

    /// Physical address one past the last byte (saturating; exact for a
    /// cluster of a parsed HWRPB).
    pub const fn end_addr(&self) -> u64 {
        self.end_pfn().saturating_mul(PAGE_SIZE)
    }

    /// Size in bytes (saturating).
    pub const fn size_bytes(&self) -> u64 {
        self.numpages.saturating_mul(PAGE_SIZE)
    }

    /// Whether physical address `pa` lies in this cluster (Linux
    /// `page_is_ram` tests the same per PFN).
    pub const fn contains_addr(&self, pa: u64) -> bool {
        let pfn = pa >> PAGE_SHIFT;
        pfn >= self.start_pfn && pfn < self.end_pfn()
    }
}

/// Iterator over the memory clusters, in table order (validated to be
/// sorted by `start_pfn` and non-overlapping).
#[derive(Clone, Debug)]
pub struct MemClusters<'a> {
    pub(crate) records: Records<'a>,
}

impl Iterator for MemClusters<'_> {
    type Item = MemCluster;

    fn next(&mut self) -> Option<MemCluster> {
        self.records.next().map(|(_, c)| MemCluster::decode(c))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl FusedIterator for MemClusters<'_> {}
impl ExactSizeIterator for MemClusters<'_> {}

/// The memory data descriptor table (`struct memdesc_struct`).
#[derive(Clone, Copy, Debug)]
pub struct Mddt<'a> {
    /// `chksum`. Not verified: QEMU leaves it 0 and Linux never reads it.
    pub checksum: u64,
    /// `optional_pa`: implementation-specific physical address (BSD: bank
    /// configuration).
    pub impl_specific_pa: u64,
    /// `numclusters` (validated to be at least 1).
    pub cluster_count: u64,
    pub(crate) clusters: &'a [u8],
}

impl<'a> Mddt<'a> {
    pub(crate) fn decode(table: &'a [u8], count: u64) -> Self {
        Mddt {
            checksum: read_u64_or_zero(table, mddt::CHKSUM),
            impl_specific_pa: read_u64_or_zero(table, mddt::OPTIONAL_PA),
            cluster_count: count,
            clusters: table.get(mddt::CLUSTERS..).unwrap_or(&[]),
        }
    }

    /// The memory clusters.
    pub fn clusters(&self) -> MemClusters<'a> {
        MemClusters {
            records: Records::new(self.clusters, cluster::SIZE_OF, self.cluster_count),
        }
    }

    /// The `index`-th cluster.
    pub fn cluster(&self, index: u64) -> Option<MemCluster> {
        self.clusters().records.get(index).map(MemCluster::decode)
    }

    /// Sum of the sizes of all clusters, in bytes (console-owned included).
    pub fn total_memory_bytes(&self) -> u64 {
        self.clusters()
            .fold(0u64, |sum, c| sum.saturating_add(c.size_bytes()))
    }

    /// Sum of the sizes of the clusters the OS may use (`usage & 3 == 0`).
    pub fn available_memory_bytes(&self) -> u64 {
        self.clusters()
            .filter(MemCluster::is_available)
            .fold(0u64, |sum, c| sum.saturating_add(c.size_bytes()))
    }
}

/// One virtual-to-physical map entry of the CRB (`struct vf_map_struct`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrbMapEntry {
    /// `va`: virtual address the OS must map.
    pub va: u64,
    /// `pa`: physical address it maps to.
    pub pa: u64,
    /// `count`: number of pages.
    pub count: u64,
}

/// Iterator over the CRB's map entries.
#[derive(Clone, Debug)]
pub struct CrbMapEntries<'a> {
    pub(crate) records: Records<'a>,
}

impl Iterator for CrbMapEntries<'_> {
    type Item = CrbMapEntry;

    fn next(&mut self) -> Option<CrbMapEntry> {
        self.records.next().map(|(_, e)| CrbMapEntry {
            va: read_u64_or_zero(e, crb::MAP_VA),
            pa: read_u64_or_zero(e, crb::MAP_PA),
            count: read_u64_or_zero(e, crb::MAP_COUNT),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl FusedIterator for CrbMapEntries<'_> {}
impl ExactSizeIterator for CrbMapEntries<'_> {}

/// The console callback routine block (`struct crb_struct`): where the
/// console's callback entry points are and which pages the OS must map for
/// them to work.
#[derive(Clone, Copy, Debug)]
pub struct Crb<'a> {
    /// `dispatch_va`: VA of the dispatch routine's procedure descriptor.
    pub dispatch_va: u64,
    /// `dispatch_pa`: PA of the same descriptor.
    pub dispatch_pa: u64,
    /// `fixup_va`: VA of the fixup routine's procedure descriptor.
    pub fixup_va: u64,
    /// `fixup_pa`: PA of the same descriptor.
    pub fixup_pa: u64,
    /// `map_entries`: number of map entries.
    pub map_entries: u64,
    /// `map_pages`: number of pages to be mapped.
    pub map_pages: u64,
    pub(crate) map: &'a [u8],
    /// Entries [`Crb::map`] yields: `map_entries`, or 0 if they were
    /// ignored (out of bounds).
    pub(crate) map_usable: u64,
}

impl<'a> Crb<'a> {
    pub(crate) fn decode(table: &'a [u8], map_usable: u64) -> Self {
        Crb {
            dispatch_va: read_u64_or_zero(table, crb::DISPATCH_VA),
            dispatch_pa: read_u64_or_zero(table, crb::DISPATCH_PA),
            fixup_va: read_u64_or_zero(table, crb::FIXUP_VA),
            fixup_pa: read_u64_or_zero(table, crb::FIXUP_PA),
            map_entries: read_u64_or_zero(table, crb::MAP_ENTRIES),
            map_pages: read_u64_or_zero(table, crb::MAP_PAGES),
            map: table.get(crb::MAP..).unwrap_or(&[]),
            map_usable,
        }
    }

    /// The virtual-to-physical map entries (none if `map_entries` did not
    /// fit: see [`crate::Finding::CrbMapIgnored`]).
    pub fn map(&self) -> CrbMapEntries<'a> {
        CrbMapEntries {
            records: Records::new(self.map, crb::MAP_ENTRY_SIZE, self.map_usable),
        }
    }
}

/// The first console terminal block (`struct ctb_struct`, common prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctb<'a> {
    /// `ctb_nr` from the header (QEMU leaves it 0 although it provides one
    /// CTB).
    pub count: u64,
    /// `ctb_size` from the header.
    pub entry_size: u64,
    /// `type`: 0 none, 1 service processor, 2 serial ("printer port"),
    /// 3 graphics, 4 multipurpose.
    pub ctb_type: u64,
    /// `unit`.
    pub unit: u64,
    /// `len`: bytes of type-specific data after the common prefix.
    pub len: u64,
    /// The whole first CTB (`ctb_size` bytes).
    pub bytes: &'a [u8],
}

impl<'a> Ctb<'a> {
    pub(crate) fn decode(first: &'a [u8], count: u64, entry_size: u64) -> Self {
        Ctb {
            count,
            entry_size,
            ctb_type: read_u64_or_zero(first, ctb::TYPE),
            unit: read_u64_or_zero(first, ctb::UNIT),
            len: read_u64_or_zero(first, ctb::LEN),
            bytes: first,
        }
    }

    /// `term_type` at 0x38, if the CTB is that long (QEMU writes it).
    pub fn term_type(&self) -> Option<u64> {
        read_u64(self.bytes, ctb::TERM_TYPE)
    }
}

/// The dynamic system recognition data block (`struct dsr_struct`,
/// HWRPB revision >= 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dsr<'a> {
    /// `smm`: SMM number used by LMF (signed).
    pub smm: i64,
    /// `lurt_off`: offset of the LURT table, relative to the DSR.
    pub lurt_off: u64,
    /// `sysname_off`: offset of the system name, relative to the DSR
    /// (0 = none).
    pub sysname_off: u64,
    pub(crate) sysname: Option<&'a [u8]>,
}

impl<'a> Dsr<'a> {
    pub(crate) fn decode(fixed: &[u8], sysname: Option<&'a [u8]>) -> Self {
        Dsr {
            smm: read_u64_or_zero(fixed, dsr::SMM).cast_signed(),
            lurt_off: read_u64_or_zero(fixed, dsr::LURT_OFF),
            sysname_off: read_u64_or_zero(fixed, dsr::SYSNAME_OFF),
            sysname,
        }
    }

    /// The system name bytes (the character count's worth), if any.
    pub fn sysname_bytes(&self) -> Option<&'a [u8]> {
        self.sysname
    }

    /// The system name (what Linux prints as "platform string"), up to the
    /// first NUL, if it is UTF-8.
    pub fn sysname(&self) -> Option<&'a str> {
        self.sysname.map(ascii_prefix)
    }
}

/// The bytes up to the first NUL as `&str` (empty if not UTF-8).
pub(crate) fn ascii_prefix(bytes: &[u8]) -> &str {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(bytes.get(..len).unwrap_or(&[])).unwrap_or("")
}
