//! SFF-8038i Physical Region Descriptor (PRD) tables.
//!
//! A bus-master IDE controller reads the data of one DMA command from a
//! table of descriptors in memory (SFF-8038i, "Physical Region Descriptor
//! Table"). Each entry is 8 bytes, little endian:
//!
//! | bytes | meaning |
//! |-------|---------|
//! | 0..4  | memory region's bus address; bit 0 must be 0 |
//! | 4..6  | byte count; bit 0 must be 0; 0 means 64 KiB |
//! | 6..8  | reserved, except bit 15 (bit 31 of the dword): end of table (EOT) |
//!
//! A region must not cross a 64 KiB boundary, and the table itself must
//! be dword aligned and must not cross a 64 KiB boundary either. The
//! controller does not report a violation: it transfers to the wrong
//! place. QEMU's model does not enforce the 64 KiB rule (and stops after
//! 4 KiB of table, [`QEMU_MAX_ENTRIES`] entries), so these rules are
//! enforced here, by construction, and tested on the host.

use core::fmt;

/// No region (and no table) may cross a multiple of this.
pub const BOUNDARY: u64 = 0x1_0000;
/// The table's alignment (a dword).
pub const TABLE_ALIGN: u64 = 4;
/// The longest region one entry describes (count 0).
pub const MAX_REGION: u32 = 0x1_0000;
/// Entries in a table of 64 KiB, the most that do not cross a boundary.
pub const MAX_ENTRIES: usize = (BOUNDARY / ENTRY_BYTES as u64) as usize;
/// Bytes in one entry.
pub const ENTRY_BYTES: usize = 8;
/// QEMU's bus-master model (hw/ide/pci.c, `BMDMA_PAGE_SIZE`) stops
/// reading a table after 4 KiB: a table longer than this many entries is
/// cut short there and the command moves less than asked. A driver keeps
/// `worst_case_entries(max_sectors * 512, max_segments)` within this (for
/// example 16384 sectors and 128 segments: 128 + 256 = 384 entries).
pub const QEMU_MAX_ENTRIES: usize = 4096 / ENTRY_BYTES;
/// The largest transfer of one command: 65536 sectors of 512 bytes, the
/// most a 48-bit command moves (ATA/ATAPI-8 ACS, READ DMA EXT: count 0
/// means 65536).
pub const MAX_BYTES: u64 = 65536 * 512;
/// End-of-table bit of `flags_count`.
pub const EOT: u32 = 1 << 31;

/// One table entry, as the controller reads it (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrdEntry {
    /// The region's bus address.
    pub addr: u32,
    /// Byte count in bits 15:0 (0 means 65536), EOT in bit 31.
    pub flags_count: u32,
}

impl PrdEntry {
    /// An entry for `len` bytes at `addr` (`len` in 1..=65536; 65536 is
    /// stored as 0), with EOT when `last`.
    pub const fn new(addr: u32, len: u32, last: bool) -> PrdEntry {
        let count = len & 0xffff;
        PrdEntry { addr, flags_count: count | if last { EOT } else { 0 } }
    }

    /// The region's length in bytes (1..=65536).
    pub const fn len(&self) -> u32 {
        match self.flags_count & 0xffff {
            0 => MAX_REGION,
            n => n,
        }
    }

    /// Whether this is the table's last entry (EOT set).
    pub const fn is_last(&self) -> bool {
        self.flags_count & EOT != 0
    }

    /// The 8 bytes the controller reads: `addr` then `flags_count`, both
    /// little endian.
    pub const fn to_le_bytes(&self) -> [u8; 8] {
        let a = self.addr.to_le_bytes();
        let f = self.flags_count.to_le_bytes();
        [a[0], a[1], a[2], a[3], f[0], f[1], f[2], f[3]]
    }

    /// The entry stored in `bytes` (the inverse of [`to_le_bytes`](Self::to_le_bytes)).
    pub const fn from_le_bytes(bytes: [u8; 8]) -> PrdEntry {
        PrdEntry {
            addr: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            flags_count: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }
}

/// Why a table cannot be built or placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrdError {
    /// No segments, a segment of length 0, or a table of 0 entries.
    Empty,
    /// Segment `index` starts at an odd address.
    OddAddress {
        /// The segment's index in the list.
        index: usize,
    },
    /// Segment `index` has an odd length.
    OddLength {
        /// The segment's index in the list.
        index: usize,
    },
    /// Segment `index` ends above 4 GiB (the entries hold 32-bit addresses).
    CrossesFourGiB {
        /// The segment's index in the list.
        index: usize,
    },
    /// The table needs `needed` entries; there is room for `max`.
    TooManyEntries {
        /// Entries the request needs.
        needed: usize,
        /// Entries available.
        max: usize,
    },
    /// The segments add up to `total` bytes, more than one command moves.
    TooLong {
        /// Bytes in the request.
        total: u64,
        /// [`MAX_BYTES`].
        max: u64,
    },
    /// The table's bus address is not dword aligned.
    TableMisaligned {
        /// The table's bus address.
        bus: u64,
    },
    /// The table's `bytes` bytes from `bus` cross a 64 KiB boundary.
    TableCrossesBoundary {
        /// The table's bus address.
        bus: u64,
        /// The table's size.
        bytes: u64,
    },
    /// The table is above 4 GiB (the table pointer register holds 32 bits).
    TableAboveFourGiB {
        /// The table's bus address.
        bus: u64,
    },
}

impl fmt::Display for PrdError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            PrdError::Empty => write!(f, "PRD table: no data (no segment, a segment of 0 bytes, or 0 entries)"),
            PrdError::OddAddress { index } => write!(f, "PRD table: segment {index} starts at an odd address"),
            PrdError::OddLength { index } => write!(f, "PRD table: segment {index} has an odd length"),
            PrdError::CrossesFourGiB { index } => write!(f, "PRD table: segment {index} ends above 4 GiB"),
            PrdError::TooManyEntries { needed, max } => {
                write!(f, "PRD table: {needed} entries needed, room for {max}")
            }
            PrdError::TooLong { total, max } => {
                write!(f, "PRD table: {total} bytes in the request, at most {max} in one command")
            }
            PrdError::TableMisaligned { bus } => write!(f, "PRD table at bus {bus:#x} is not dword aligned"),
            PrdError::TableCrossesBoundary { bus, bytes } => {
                write!(f, "PRD table at bus {bus:#x} ({bytes} bytes) crosses a 64 KiB boundary")
            }
            PrdError::TableAboveFourGiB { bus } => write!(f, "PRD table at bus {bus:#x} is above 4 GiB"),
        }
    }
}

/// Entries segment (`addr`, `len`) takes: one per 64 KiB window it touches.
fn pieces(addr: u64, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let first = addr / BOUNDARY;
    let last = (addr + len - 1) / BOUNDARY;
    last - first + 1
}

/// How many entries [`build`] makes for `segs` (it does not check them:
/// a segment of length 0 counts 0).
pub fn entries_needed(segs: &[(u32, u32)]) -> usize {
    segs.iter().map(|&(a, l)| pieces(a as u64, l as u64) as usize).sum()
}

/// An upper bound on [`entries_needed`] for any request of at most
/// `max_bytes` bytes in at most `max_segments` segments: every segment
/// takes at most one entry per started 64 KiB of its length plus one
/// (the boundary it may straddle). A driver sizes its table (or its
/// limits) with this.
pub const fn worst_case_entries(max_bytes: u64, max_segments: usize) -> usize {
    max_bytes.div_ceil(BOUNDARY) as usize + 2 * max_segments
}

/// Fills `out` with the table for the scatter-gather list `segs`
/// (bus address, length), in order, and returns the number of entries.
///
/// Every segment is cut at each 64 KiB boundary it crosses (so no region
/// crosses one, and none is longer than 64 KiB); segments are never
/// joined. The last entry has EOT.
///
/// Checked first, segment by segment in order: a length of 0 or no
/// segment at all ([`PrdError::Empty`]), an odd address, an odd length, an
/// end above 4 GiB; then the total ([`MAX_BYTES`]); then the room in `out`
/// (and at most [`MAX_ENTRIES`]). On error `out` is left as it was.
pub fn build(segs: &[(u32, u32)], out: &mut [PrdEntry]) -> Result<usize, PrdError> {
    if segs.is_empty() {
        return Err(PrdError::Empty);
    }
    let mut total = 0u64;
    for (index, &(addr, len)) in segs.iter().enumerate() {
        if len == 0 {
            return Err(PrdError::Empty);
        }
        if addr & 1 != 0 {
            return Err(PrdError::OddAddress { index });
        }
        if len & 1 != 0 {
            return Err(PrdError::OddLength { index });
        }
        if addr as u64 + len as u64 > 1 << 32 {
            return Err(PrdError::CrossesFourGiB { index });
        }
        total += len as u64;
    }
    if total > MAX_BYTES {
        return Err(PrdError::TooLong { total, max: MAX_BYTES });
    }
    let needed = entries_needed(segs);
    let max = out.len().min(MAX_ENTRIES);
    if needed > max {
        return Err(PrdError::TooManyEntries { needed, max });
    }
    let mut n = 0;
    for &(addr, len) in segs {
        let mut at = addr as u64;
        let end = at + len as u64;
        while at < end {
            let room = BOUNDARY - at % BOUNDARY;
            let take = room.min(end - at);
            out[n] = PrdEntry::new(at as u32, take as u32, false);
            n += 1;
            at += take;
        }
    }
    out[n - 1].flags_count |= EOT;
    Ok(n)
}

/// Checks that a table of `entries` entries at bus address `table_bus`
/// is one the controller can read: dword aligned, below 4 GiB, not
/// crossing a 64 KiB boundary, 1..=[`MAX_ENTRIES`] entries.
pub fn table_fits(table_bus: u64, entries: usize) -> Result<(), PrdError> {
    if entries == 0 {
        return Err(PrdError::Empty);
    }
    if entries > MAX_ENTRIES {
        return Err(PrdError::TooManyEntries { needed: entries, max: MAX_ENTRIES });
    }
    if table_bus % TABLE_ALIGN != 0 {
        return Err(PrdError::TableMisaligned { bus: table_bus });
    }
    if table_bus >= 1 << 32 {
        return Err(PrdError::TableAboveFourGiB { bus: table_bus });
    }
    let bytes = (entries * ENTRY_BYTES) as u64;
    if table_bus % BOUNDARY + bytes > BOUNDARY {
        return Err(PrdError::TableCrossesBoundary { bus: table_bus, bytes });
    }
    Ok(())
}

/// The SFF-8038i bus-master register block (one per channel, 8 bytes:
/// the primary channel at offset 0 of the BAR, the secondary at 8).
pub mod bm {
    /// Bus Master IDE Command register (offset 0).
    pub const COMMAND: u64 = 0;
    /// Bus Master IDE Status register (offset 2).
    pub const STATUS: u64 = 2;
    /// Descriptor Table Pointer register (offset 4, 32 bits, bits 1:0 reserved).
    pub const TABLE: u64 = 4;
    /// Bytes of one channel's block.
    pub const CHANNEL_STRIDE: u64 = 8;

    /// Command bit 0: start (1) or stop (0) the bus master.
    pub const CMD_START: u8 = 1 << 0;
    /// Command bit 3: direction, 1 = the controller writes memory (a
    /// device read), 0 = it reads memory (a device write).
    pub const CMD_WRITE_MEMORY: u8 = 1 << 3;

    /// Status bit 0: the bus master is active.
    pub const STATUS_ACTIVE: u8 = 1 << 0;
    /// Status bit 1: a PCI error during the transfer (write 1 to clear).
    pub const STATUS_ERROR: u8 = 1 << 1;
    /// Status bit 2: the drive raised its interrupt (write 1 to clear).
    pub const STATUS_INTR: u8 = 1 << 2;
    /// Status bit 5: drive 0 is DMA capable (set by software).
    pub const STATUS_DRV0_DMA: u8 = 1 << 5;
    /// Status bit 6: drive 1 is DMA capable (set by software).
    pub const STATUS_DRV1_DMA: u8 = 1 << 6;
    /// Status bit 7: only one channel may run DMA at a time (read only).
    pub const STATUS_SIMPLEX: u8 = 1 << 7;
}
