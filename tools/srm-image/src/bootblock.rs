//! The SRM boot block: the last 32 bytes of a disk's sector 0.
//!
//! ```text
//! byte   0 ..  64   free (Linux's objstrip writes "Linux SRM bootblock" here)
//! byte  64 .. 480   BSD disklabel, if the disk has one (magic 0x82564557)
//! byte 480          u64 LE  count: size of the boot program, in 512-byte blocks
//! byte 488          u64 LE  starting LBN of the boot program
//! byte 496          u64 LE  flags: must be 0
//! byte 504          u64 LE  checksum: wrapping sum of the quadwords at 0, 8, .. 496
//! ```
//!
//! SRM checks the checksum, reads `count` blocks from `start` into memory
//! mapped at virtual 0x20000000 and jumps there. Only bytes 480..512 are
//! written here; everything before them (a disklabel, a name) is kept.

use crate::error::ImageError;

/// SRM's block size, and the size of sector 0.
pub const SECTOR_SIZE: usize = 512;
/// Byte offset of the block count in sector 0.
pub const COUNT_OFFSET: usize = 480;
/// Byte offset of the starting LBN in sector 0.
pub const START_OFFSET: usize = 488;
/// Byte offset of the flags quadword in sector 0.
pub const FLAGS_OFFSET: usize = 496;
/// Byte offset of the checksum in sector 0.
pub const CHECKSUM_OFFSET: usize = 504;

/// Virtual address at which SRM places the boot program (disk or BOOTP) and
/// to which it jumps: Linux `BOOT_ADDR` (asm/setup.h), the link address of
/// arch/alpha/boot/bootloader.lds, NetBSD's `REGION1_START`.
pub const SRM_LOAD_ADDRESS: u64 = 0x2000_0000;

/// The largest boot program this tool writes: 8 MiB. See README.md, "Size
/// limit", for why this number and what is known about SRM's own limit.
pub const MAX_BOOT_PROGRAM_BYTES: u64 = 8 << 20;
/// [`MAX_BOOT_PROGRAM_BYTES`] in 512-byte blocks (16384).
pub const MAX_BOOT_PROGRAM_BLOCKS: u64 = MAX_BOOT_PROGRAM_BYTES / SECTOR_SIZE as u64;

/// The boot fields of sector 0, as read and checked by [`verify_boot_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootBlock {
    /// Size of the boot program in 512-byte blocks.
    pub blocks: u64,
    /// First LBN of the boot program.
    pub start_lbn: u64,
    /// Always 0 in a block that verified.
    pub flags: u64,
    /// The stored (and matching) checksum.
    pub checksum: u64,
}

impl BootBlock {
    /// One past the last LBN of the boot program.
    pub fn end_lbn(&self) -> u64 {
        self.start_lbn + self.blocks
    }
    /// Byte offset of the boot program in the disk.
    pub fn program_offset(&self) -> u64 {
        self.start_lbn * SECTOR_SIZE as u64
    }
    /// Size of the boot program in bytes (whole blocks).
    pub fn program_bytes(&self) -> u64 {
        self.blocks * SECTOR_SIZE as u64
    }
}

pub(crate) fn read_u64(buf: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(buf[off..off + 8].try_into().unwrap())
}

fn write_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// The SRM checksum of sector 0: the wrapping sum of its first 63
/// little-endian quadwords (bytes 0..504).
pub fn boot_block_checksum(sector0: &[u8; SECTOR_SIZE]) -> u64 {
    (0..CHECKSUM_OFFSET)
        .step_by(8)
        .fold(0u64, |sum, off| sum.wrapping_add(read_u64(sector0, off)))
}

/// Checks a (start LBN, block count) pair as SRM would need it: at least one
/// block, not starting on the boot block, within [`MAX_BOOT_PROGRAM_BLOCKS`],
/// and with its end (in blocks and in bytes) representable.
pub fn check_block_range(start_lbn: u64, blocks: u64) -> Result<(), ImageError> {
    if blocks == 0 {
        return Err(ImageError::ZeroBlocks);
    }
    if blocks > MAX_BOOT_PROGRAM_BLOCKS {
        return Err(ImageError::ProgramTooLarge {
            bytes: blocks.saturating_mul(SECTOR_SIZE as u64),
        });
    }
    if start_lbn == 0 {
        return Err(ImageError::StartLbnZero);
    }
    start_lbn
        .checked_add(blocks)
        .and_then(|end| end.checked_mul(SECTOR_SIZE as u64))
        .map(|_| ())
        .ok_or(ImageError::BlockRangeOverflow { start_lbn, blocks })
}

/// Writes the boot fields (count, start, flags = 0, checksum) into `sector0`.
/// Bytes 0..480 are not touched, so a disklabel at byte 64 is preserved (and
/// is part of the checksum, as SRM computes it).
pub fn write_boot_block(
    sector0: &mut [u8; SECTOR_SIZE],
    start_lbn: u64,
    blocks: u64,
) -> Result<(), ImageError> {
    check_block_range(start_lbn, blocks)?;
    write_u64(sector0, COUNT_OFFSET, blocks);
    write_u64(sector0, START_OFFSET, start_lbn);
    write_u64(sector0, FLAGS_OFFSET, 0);
    let sum = boot_block_checksum(sector0);
    write_u64(sector0, CHECKSUM_OFFSET, sum);
    Ok(())
}

/// Reads and checks the boot fields of `sector0` the way SRM does (checksum,
/// flags 0), and refuses a block count or start this tool would not write
/// (see [`check_block_range`]).
pub fn verify_boot_block(sector0: &[u8; SECTOR_SIZE]) -> Result<BootBlock, ImageError> {
    let stored = read_u64(sector0, CHECKSUM_OFFSET);
    let computed = boot_block_checksum(sector0);
    if stored != computed {
        return Err(ImageError::BadChecksum { stored, computed });
    }
    let flags = read_u64(sector0, FLAGS_OFFSET);
    if flags != 0 {
        return Err(ImageError::NonZeroFlags(flags));
    }
    let blocks = read_u64(sector0, COUNT_OFFSET);
    let start_lbn = read_u64(sector0, START_OFFSET);
    check_block_range(start_lbn, blocks)?;
    Ok(BootBlock {
        blocks,
        start_lbn,
        flags,
        checksum: stored,
    })
}
