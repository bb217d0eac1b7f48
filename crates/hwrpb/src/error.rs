//! Everything that can be wrong with an HWRPB, as a typed error.

use core::fmt;

use crate::layout::{MAX_HWRPB_SIZE, PAGE_SIZE, header};

/// The sub-structures an HWRPB points at with its `*_offset` fields.
///
/// Used by [`HwrpbError`] to say *which* table is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// The fixed header itself, bytes `0..0x140`.
    Header,
    /// The per-CPU slots (`processor_offset`, `nr_processors` x
    /// `processor_size`).
    ProcessorSlots,
    /// The console terminal blocks (`ctbt_offset`, `ctb_nr` x `ctb_size`).
    ConsoleTerminalBlocks,
    /// The console callback routine block (`crb_offset`) with its
    /// `map_entries` virtual-to-physical map entries.
    ConsoleCallbackBlock,
    /// The memory data descriptor table (`mddt_offset`) with its
    /// `numclusters` memory clusters.
    MemoryDescriptorTable,
    /// The dynamic system recognition block (`dsr_offset`).
    DynamicSystemRecognition,
    /// The system name the DSR points at (`sysname_off`).
    DsrSystemName,
}

impl Table {
    /// A short name naming the Linux field that locates the table.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Header => "fixed header (0x000..0x140)",
            Table::ProcessorSlots => "per-CPU slot table (processor_offset)",
            Table::ConsoleTerminalBlocks => "console terminal block table (ctbt_offset)",
            Table::ConsoleCallbackBlock => "console callback routine block (crb_offset)",
            Table::MemoryDescriptorTable => "memory data descriptor table (mddt_offset)",
            Table::DynamicSystemRecognition => "dynamic system recognition block (dsr_offset)",
            Table::DsrSystemName => "DSR system name (sysname_off)",
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an HWRPB was rejected.
///
/// Every variant carries the offending values so the kernel can print a
/// precise message (via [`Display`](fmt::Display)).
///
/// `repr(u8)`: some variants hold a [`Table`], and the kernel's GCC backend
/// miscompiles an enum whose tag sits in a niche of another enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[non_exhaustive]
pub enum HwrpbError {
    /// The byte slice is too short to contain what must be read.
    TooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The `id` quadword at offset 8 is not "HWRPB\0\0\0" in either byte
    /// order.
    BadMagic {
        /// The quadword found (little-endian).
        found: u64,
    },
    /// `size` is smaller than the fixed header.
    SizeTooSmall {
        /// The declared size.
        size: u64,
    },
    /// `size` exceeds [`MAX_HWRPB_SIZE`].
    SizeTooLarge {
        /// The declared size.
        size: u64,
    },
    /// `size` is larger than the byte slice handed to the parser.
    Truncated {
        /// The declared size.
        size: u64,
        /// Bytes available.
        available: usize,
    },
    /// The header checksum (`chksum`) does not match the sum of the
    /// quadwords before it.
    ChecksumMismatch {
        /// The value stored in `chksum`.
        stored: u64,
        /// The sum computed over bytes `0..0x120`.
        computed: u64,
    },
    /// `pagesize` is not 8192.
    BadPageSize {
        /// The value found.
        page_size: u64,
    },
    /// `phys_addr` is not page aligned (the console maps the HWRPB page by
    /// page at the page-aligned virtual address 0x10000000).
    MisalignedPhysAddr {
        /// The value found.
        phys_addr: u64,
    },
    /// `pa_bits` (low 32 bits) is 0 or larger than 64.
    BadPaBits {
        /// The value found.
        pa_bits: u64,
    },
    /// `nr_processors` is 0.
    NoProcessors,
    /// `cpuid` (the primary CPU) has no per-CPU slot.
    PrimaryCpuOutOfRange {
        /// The primary CPU id.
        cpu_id: u64,
        /// Number of slots.
        nr_processors: u64,
    },
    /// The CPU the kernel runs on (WHAMI) has no per-CPU slot.
    CpuOutOfRange {
        /// The CPU.
        cpu_id: u64,
        /// Number of slots.
        nr_processors: u64,
    },
    /// The MDDT declares more clusters than [`crate::MAX_CLUSTERS`].
    TooManyClusters {
        /// `numclusters`.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// A mandatory table has offset 0.
    MissingTable {
        /// Which table.
        table: Table,
    },
    /// A table offset is not a multiple of 8 (quadword aligned).
    MisalignedTable {
        /// Which table.
        table: Table,
        /// Its offset from the HWRPB start.
        offset: u64,
    },
    /// The per-entry size of a table is too small or not a multiple of 8.
    BadEntrySize {
        /// Which table.
        table: Table,
        /// The declared entry size.
        size: u64,
        /// The smallest acceptable size.
        minimum: u64,
    },
    /// `count * entry size` of a table does not fit in 64 bits.
    CountOverflow {
        /// Which table.
        table: Table,
        /// The declared number of entries.
        count: u64,
        /// The size of one entry.
        entry_size: u64,
    },
    /// A table (with all its entries) does not lie inside the bytes given.
    TableOutOfBounds {
        /// Which table.
        table: Table,
        /// Its offset from the HWRPB start.
        offset: u64,
        /// Its total length in bytes.
        length: u64,
        /// Bytes available.
        available: usize,
    },
    /// Two tables (or a table and the header) share bytes.
    TablesOverlap {
        /// The table at the lower offset.
        first: Table,
        /// The other table.
        second: Table,
    },
    /// The memory data descriptor table has zero clusters: no memory.
    NoMemoryClusters,
    /// A cluster starts below the previous one (clusters must be sorted by
    /// `start_pfn`).
    ClustersOutOfOrder {
        /// Index of the offending cluster.
        index: u64,
        /// Its `start_pfn`.
        start_pfn: u64,
        /// The previous cluster's `start_pfn`.
        previous_start_pfn: u64,
    },
    /// A cluster starts inside the previous one.
    ClustersOverlap {
        /// Index of the offending cluster.
        index: u64,
        /// Its `start_pfn`.
        start_pfn: u64,
        /// The previous cluster's end (exclusive) PFN.
        previous_end_pfn: u64,
    },
    /// `start_pfn + numpages`, or that end converted to bytes, overflows 64
    /// bits.
    ClusterEndOverflow {
        /// Index of the offending cluster.
        index: u64,
        /// Its `start_pfn`.
        start_pfn: u64,
        /// Its `numpages`.
        numpages: u64,
    },
    /// A cluster ends above `2^pa_bits`: memory that cannot be addressed.
    ClusterBeyondPhysicalAddressSpace {
        /// Index of the offending cluster.
        index: u64,
        /// Its end address (exclusive, bytes).
        end_addr: u64,
        /// The HWRPB's `pa_bits`.
        pa_bits: u64,
    },
}

impl fmt::Display for HwrpbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HwrpbError::TooShort { needed, available } => write!(
                f,
                "HWRPB too short: need {needed:#x} bytes, only {available:#x} available"
            ),
            HwrpbError::BadMagic { found } => write!(
                f,
                "HWRPB magic mismatch at offset {:#x}: found {found:#018x}, expected \
                 \"HWRPB\\0\\0\\0\" ({:#018x} in ASCII order or {:#018x} as QEMU's PALcode \
                 writes it)",
                header::ID,
                crate::MAGIC_ASCII,
                crate::MAGIC_REVERSED,
            ),
            HwrpbError::SizeTooSmall { size } => write!(
                f,
                "HWRPB size {size:#x} is smaller than its {:#x}-byte fixed header",
                header::SIZE_OF
            ),
            HwrpbError::SizeTooLarge { size } => write!(
                f,
                "HWRPB size {size:#x} exceeds the sanity limit of {MAX_HWRPB_SIZE:#x} bytes"
            ),
            HwrpbError::Truncated { size, available } => write!(
                f,
                "HWRPB declares {size:#x} bytes but only {available:#x} bytes were provided"
            ),
            HwrpbError::ChecksumMismatch { stored, computed } => write!(
                f,
                "HWRPB checksum mismatch: stored {stored:#018x}, computed {computed:#018x}"
            ),
            HwrpbError::BadPageSize { page_size } => write!(
                f,
                "HWRPB page size is {page_size} bytes, expected {PAGE_SIZE}"
            ),
            HwrpbError::MisalignedPhysAddr { phys_addr } => write!(
                f,
                "HWRPB physical address {phys_addr:#x} is not aligned to an {PAGE_SIZE}-byte page"
            ),
            HwrpbError::BadPaBits { pa_bits } => write!(
                f,
                "HWRPB pa_bits is {pa_bits}, expected 1..=64 physical address bits"
            ),
            HwrpbError::NoProcessors => {
                f.write_str("HWRPB has no per-CPU slots (nr_processors is 0)")
            }
            HwrpbError::PrimaryCpuOutOfRange {
                cpu_id,
                nr_processors,
            } => write!(
                f,
                "HWRPB primary CPU id {cpu_id} has no per-CPU slot (nr_processors is {nr_processors})"
            ),
            HwrpbError::CpuOutOfRange {
                cpu_id,
                nr_processors,
            } => write!(
                f,
                "HWRPB has no per-CPU slot for CPU {cpu_id} (nr_processors is {nr_processors})"
            ),
            HwrpbError::TooManyClusters { count, max } => write!(
                f,
                "HWRPB memory data descriptor table declares {count} clusters (numclusters), more \
                 than the {max} this kernel reads"
            ),
            HwrpbError::MissingTable { table } => {
                write!(f, "HWRPB has no {table}: its offset is 0")
            }
            HwrpbError::MisalignedTable { table, offset } => write!(
                f,
                "HWRPB {table} at offset {offset:#x} is not quadword (8-byte) aligned"
            ),
            HwrpbError::BadEntrySize {
                table,
                size,
                minimum,
            } => write!(
                f,
                "HWRPB {table} entry size {size:#x} is invalid: must be a multiple of 8 and at \
                 least {minimum:#x}"
            ),
            HwrpbError::CountOverflow {
                table,
                count,
                entry_size,
            } => write!(
                f,
                "HWRPB {table} is impossibly large: {count} entries of {entry_size:#x} bytes \
                 overflow 64 bits"
            ),
            HwrpbError::TableOutOfBounds {
                table,
                offset,
                length,
                available,
            } => write!(
                f,
                "HWRPB {table} at offset {offset:#x} with length {length:#x} does not fit in the \
                 {available:#x} bytes provided"
            ),
            HwrpbError::TablesOverlap { first, second } => {
                write!(f, "HWRPB {first} overlaps the {second}")
            }
            HwrpbError::NoMemoryClusters => {
                f.write_str("HWRPB memory data descriptor table has no memory clusters")
            }
            HwrpbError::ClustersOutOfOrder {
                index,
                start_pfn,
                previous_start_pfn,
            } => write!(
                f,
                "HWRPB memory cluster {index} starts at pfn {start_pfn:#x}, below the previous \
                 cluster's start pfn {previous_start_pfn:#x} (clusters must be sorted)"
            ),
            HwrpbError::ClustersOverlap {
                index,
                start_pfn,
                previous_end_pfn,
            } => write!(
                f,
                "HWRPB memory cluster {index} starts at pfn {start_pfn:#x}, inside the previous \
                 cluster which ends at pfn {previous_end_pfn:#x}"
            ),
            HwrpbError::ClusterEndOverflow {
                index,
                start_pfn,
                numpages,
            } => write!(
                f,
                "HWRPB memory cluster {index} (start pfn {start_pfn:#x}, {numpages:#x} pages) \
                 ends beyond the 64-bit address space"
            ),
            HwrpbError::ClusterBeyondPhysicalAddressSpace {
                index,
                end_addr,
                pa_bits,
            } => write!(
                f,
                "HWRPB memory cluster {index} ends at {end_addr:#x}, beyond the {pa_bits}-bit \
                 physical address space"
            ),
        }
    }
}

impl core::error::Error for HwrpbError {}
