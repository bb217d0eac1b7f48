//! The BSD disklabel that Tru64, NetBSD, OpenBSD and Linux (aboot's
//! `sdisklabel`, fdisk's BSD mode) keep in sector 0 of an Alpha disk, at byte
//! 64 (Linux block/partitions/osf.c: `label = data + 64`).
//!
//! ```text
//! label byte   0  u32 d_magic      0x82564557
//!            40  u32 d_secsize    bytes per sector
//!            60  u32 d_secperunit sectors on the disk
//!           132  u32 d_magic2     0x82564557
//!           136  u16 d_checksum   XOR of the label's u16 words = 0
//!           138  u16 d_npartitions
//!           148  partitions, 16 bytes each:
//!                u32 p_size, u32 p_offset, u32 p_fsize, u8 p_fstype, u8 p_frag, u16 p_cpg
//! ```
//!
//! The label is only read here, never written: the boot block writer leaves
//! bytes 0..480 alone.

use crate::bootblock::{COUNT_OFFSET, SECTOR_SIZE};
use crate::error::ImageError;

/// Byte offset of the disklabel in sector 0.
pub const LABEL_OFFSET: usize = 64;
/// `DISKLABELMAGIC`, in both `d_magic` and `d_magic2`.
pub const DISKLABEL_MAGIC: u32 = 0x8256_4557;
/// Size of the label before its partition table.
pub const LABEL_HEADER_BYTES: usize = 148;
/// Size of one partition entry.
pub const PARTITION_ENTRY_BYTES: usize = 16;
/// The most partition entries that end before the boot fields at byte 480:
/// (480 - 64 - 148) / 16 = 16 (OpenBSD's MAXPARTITIONS; NetBSD and Linux's
/// mkbb use 8; Linux's reader accepts up to 18, whose last two would overlap).
pub const MAX_PARTITIONS: usize =
    (COUNT_OFFSET - LABEL_OFFSET - LABEL_HEADER_BYTES) / PARTITION_ENTRY_BYTES;

/// `FS_UNUSED`: a partition slot with no file system.
pub const FS_UNUSED: u8 = 0;
/// `FS_BOOT`: a partition reserved for a boot program.
pub const FS_BOOT: u8 = 13;

const D_SECSIZE: usize = 40;
const D_SECPERUNIT: usize = 60;
const D_MAGIC2: usize = 132;
const D_CHECKSUM: usize = 136;
const D_NPARTITIONS: usize = 138;

/// One partition entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Slot number: 0 is partition `a`.
    pub index: usize,
    pub size: u32,
    pub offset: u32,
    pub fsize: u32,
    pub fstype: u8,
    pub frag: u8,
    pub cpg: u16,
}

impl Partition {
    /// `a`, `b`, `c`, ...
    pub fn letter(&self) -> char {
        (b'a' + self.index as u8) as char
    }
    /// One past the partition's last sector.
    pub fn end(&self) -> u64 {
        self.offset as u64 + self.size as u64
    }
}

/// The parts of a disklabel this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskLabel {
    pub secsize: u32,
    pub secperunit: u32,
    pub npartitions: u16,
    pub checksum: u16,
    pub partitions: Vec<Partition>,
}

impl DiskLabel {
    /// Byte range of sector 0 the label occupies (header and its partitions).
    pub fn byte_range(&self) -> std::ops::Range<usize> {
        LABEL_OFFSET
            ..LABEL_OFFSET + LABEL_HEADER_BYTES + PARTITION_ENTRY_BYTES * self.npartitions as usize
    }

    /// Whether `p` is the raw whole-disk partition (conventionally `c`):
    /// it starts at sector 0 and covers the whole disk, so it overlaps the
    /// label and every other partition by design.
    pub fn is_whole_disk(&self, p: &Partition) -> bool {
        p.offset == 0 && self.secperunit != 0 && p.size >= self.secperunit
    }

    /// Refuses a boot program at LBN `start_lbn..start_lbn + blocks` that the
    /// label says would not line up or would land on data: a label not in
    /// 512-byte sectors, a program past the end of the disk, or one that
    /// overlaps a partition in use. Unused slots and the whole-disk partition
    /// are ignored; a partition of type `boot` may hold the whole program.
    pub fn check_boot_program(&self, start_lbn: u64, blocks: u64) -> Result<(), ImageError> {
        if self.secsize != SECTOR_SIZE as u32 {
            return Err(ImageError::LabelSectorSize {
                secsize: self.secsize,
            });
        }
        let end_lbn = start_lbn + blocks;
        if self.secperunit != 0 && end_lbn > self.secperunit as u64 {
            return Err(ImageError::BeyondEndOfDisk {
                end_lbn,
                secperunit: self.secperunit,
            });
        }
        for p in &self.partitions {
            if p.size == 0 || p.fstype == FS_UNUSED || self.is_whole_disk(p) {
                continue;
            }
            let overlaps = start_lbn < p.end() && (p.offset as u64) < end_lbn;
            let inside = start_lbn >= p.offset as u64 && end_lbn <= p.end();
            if overlaps && !(p.fstype == FS_BOOT && inside) {
                return Err(ImageError::OverlapsPartition {
                    letter: p.letter(),
                    fstype: p.fstype,
                    offset: p.offset,
                    size: p.size,
                    start_lbn,
                    end_lbn,
                });
            }
        }
        Ok(())
    }
}

fn u16_at(s: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([s[off], s[off + 1]])
}

fn u32_at(s: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(s[off..off + 4].try_into().unwrap())
}

/// The BSD `dkcksum`: XOR of the label's 16-bit words from `d_magic` to the
/// end of partition `npartitions - 1`, with `d_checksum` counted as 0.
pub fn disklabel_checksum(sector0: &[u8; SECTOR_SIZE], npartitions: usize) -> u16 {
    let end = LABEL_OFFSET + LABEL_HEADER_BYTES + PARTITION_ENTRY_BYTES * npartitions;
    (LABEL_OFFSET..end.min(SECTOR_SIZE))
        .step_by(2)
        .filter(|&off| off != LABEL_OFFSET + D_CHECKSUM)
        .fold(0u16, |x, off| x ^ u16_at(sector0, off))
}

/// Reads the disklabel at byte 64 of `sector0`: `Ok(None)` if there is none
/// (`d_magic` does not match), an error if one is there but damaged (second
/// magic, checksum) or has more partitions than fit before byte 480.
pub fn read_disklabel(sector0: &[u8; SECTOR_SIZE]) -> Result<Option<DiskLabel>, ImageError> {
    let l = &sector0[LABEL_OFFSET..];
    if u32_at(l, 0) != DISKLABEL_MAGIC {
        return Ok(None);
    }
    let magic2 = u32_at(l, D_MAGIC2);
    if magic2 != DISKLABEL_MAGIC {
        return Err(ImageError::LabelDamaged(format!(
            "d_magic is {DISKLABEL_MAGIC:#x} but d_magic2 is {magic2:#x}"
        )));
    }
    let npartitions = u16_at(l, D_NPARTITIONS);
    if npartitions as usize > MAX_PARTITIONS {
        return Err(ImageError::LabelTooManyPartitions { npartitions });
    }
    let stored = u16_at(l, D_CHECKSUM);
    let computed = disklabel_checksum(sector0, npartitions as usize);
    if stored != computed {
        return Err(ImageError::LabelDamaged(format!(
            "d_checksum is {stored:#06x} but the label's words XOR to {computed:#06x}"
        )));
    }
    let partitions = (0..npartitions as usize)
        .map(|i| {
            let p = &l[LABEL_HEADER_BYTES + i * PARTITION_ENTRY_BYTES..];
            Partition {
                index: i,
                size: u32_at(p, 0),
                offset: u32_at(p, 4),
                fsize: u32_at(p, 8),
                fstype: p[12],
                frag: p[13],
                cpg: u16_at(p, 14),
            }
        })
        .collect();
    Ok(Some(DiskLabel {
        secsize: u32_at(l, D_SECSIZE),
        secperunit: u32_at(l, D_SECPERUNIT),
        npartitions,
        checksum: stored,
        partitions,
    }))
}
