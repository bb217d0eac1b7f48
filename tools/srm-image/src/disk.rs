//! Disk images SRM boots with `boot dka0` / `boot dqa0`: sector 0 holds the
//! boot block (and possibly a disklabel), and the boot program sits in
//! contiguous 512-byte blocks from a start LBN (default 1, as Linux's
//! objstrip, NetBSD's installboot and aboot's swriteboot use).
//!
//! ```text
//! LBN 0                         sector 0: [0..480 kept] [count][start][0][checksum]
//! LBN 1 .. start-1              kept from the base image, or zero
//! LBN start .. start+count-1    the boot program, its last block zero-padded
//! after                         kept from the base image (nothing if none)
//! ```

use std::path::Path;

use crate::bootblock::{
    BootBlock, COUNT_OFFSET, SECTOR_SIZE, check_block_range, verify_boot_block, write_boot_block,
};
use crate::disklabel::{DiskLabel, read_disklabel};
use crate::error::ImageError;
use crate::{check_program, write_verified};

/// Where the boot program starts unless told otherwise: the sector right
/// after the boot block.
pub const DEFAULT_START_LBN: u64 = 1;

/// The largest image this tool grows in memory (1 GiB). A base image that is
/// already larger is fine; a start LBN that would make a new image larger is
/// refused instead of allocating it.
pub const MAX_GROWN_IMAGE_BYTES: u64 = 1 << 30;

/// How to build a disk image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskImageOptions {
    /// First LBN of the boot program (>= 1).
    pub start_lbn: u64,
    /// An existing image (at least its sector 0) to build on: every byte of
    /// it is kept except the boot fields (480..512) and the boot program's
    /// blocks. Its disklabel, if any, is checked against the program.
    pub base: Option<Vec<u8>>,
}

impl Default for DiskImageOptions {
    fn default() -> Self {
        DiskImageOptions {
            start_lbn: DEFAULT_START_LBN,
            base: None,
        }
    }
}

/// A disk image read back by [`read_disk_image`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskImage {
    pub boot_block: BootBlock,
    pub label: Option<DiskLabel>,
    /// The `boot_block.blocks` whole blocks from `boot_block.start_lbn`.
    pub program: Vec<u8>,
}

fn sector0_of(image: &[u8]) -> Result<[u8; SECTOR_SIZE], ImageError> {
    image
        .get(..SECTOR_SIZE)
        .map(|s| s.try_into().unwrap())
        .ok_or(ImageError::ImageTooShort {
            len: image.len() as u64,
            needed: SECTOR_SIZE as u64,
        })
}

/// Builds a disk image holding `program` (a flat boot program, see
/// [`crate::boot_program_from_elf`]) and checks the result by parsing it
/// back. Refuses an empty or too large program, start LBN 0, and, when the
/// base image carries a disklabel, a damaged label or a placement that does
/// not line up with it or overlaps a partition in use.
pub fn build_disk_image(program: &[u8], opts: &DiskImageOptions) -> Result<Vec<u8>, ImageError> {
    let blocks = check_program(program)?;
    let start = opts.start_lbn;
    check_block_range(start, blocks)?;
    let mut image = match &opts.base {
        Some(base) if base.len() < SECTOR_SIZE => {
            return Err(ImageError::BaseImageTooShort { len: base.len() });
        }
        Some(base) => base.clone(),
        None => vec![0u8; SECTOR_SIZE],
    };
    let mut sector0 = sector0_of(&image)?;
    if let Some(label) = read_disklabel(&sector0)? {
        label.check_boot_program(start, blocks)?;
    }
    let begin = start * SECTOR_SIZE as u64;
    let end = begin + blocks * SECTOR_SIZE as u64;
    if end > image.len() as u64 && end > MAX_GROWN_IMAGE_BYTES {
        return Err(ImageError::ImageWouldBeTooLarge { bytes: end });
    }
    write_boot_block(&mut sector0, start, blocks)?;
    image[..SECTOR_SIZE].copy_from_slice(&sector0);
    let (begin, end) = (begin as usize, end as usize);
    if image.len() < end {
        image.resize(end, 0);
    }
    image[begin..begin + program.len()].copy_from_slice(program);
    image[begin + program.len()..end].fill(0);
    verify_disk_image(&image, program, opts)?;
    Ok(image)
}

/// Reads a disk image's boot block (checked as SRM would), its disklabel if
/// any, and the boot program it points to.
pub fn read_disk_image(image: &[u8]) -> Result<DiskImage, ImageError> {
    let sector0 = sector0_of(image)?;
    let boot_block = verify_boot_block(&sector0)?;
    let label = read_disklabel(&sector0)?;
    let begin = boot_block.program_offset();
    let end = begin + boot_block.program_bytes();
    if end > image.len() as u64 {
        return Err(ImageError::ImageTooShort {
            len: image.len() as u64,
            needed: end,
        });
    }
    Ok(DiskImage {
        boot_block,
        label,
        program: image[begin as usize..end as usize].to_vec(),
    })
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// Checks that `image` is exactly what [`build_disk_image`] makes of
/// `program` and `opts`: the boot block points at `opts.start_lbn` with the
/// right count and checksum, the program's blocks hold `program` then zeros,
/// and every other byte (all of sector 0 before byte 480, the rest of the
/// base image) is what the base had, or zero.
pub fn verify_disk_image(
    image: &[u8],
    program: &[u8],
    opts: &DiskImageOptions,
) -> Result<DiskImage, ImageError> {
    let read = read_disk_image(image)?;
    let blocks = (program.len() as u64).div_ceil(SECTOR_SIZE as u64);
    let bb = read.boot_block;
    if bb.start_lbn != opts.start_lbn {
        return Err(ImageError::VerifyMismatch {
            what: "the boot block's start LBN",
            offset: 488,
        });
    }
    if bb.blocks != blocks {
        return Err(ImageError::VerifyMismatch {
            what: "the boot block's block count",
            offset: 480,
        });
    }
    let begin = bb.program_offset() as usize;
    let end = begin + bb.program_bytes() as usize;
    if let Some(i) = first_difference(&read.program[..program.len()], program) {
        return Err(ImageError::VerifyMismatch {
            what: "the boot program",
            offset: (begin + i) as u64,
        });
    }
    if let Some(i) = read.program[program.len()..].iter().position(|&b| b != 0) {
        return Err(ImageError::VerifyMismatch {
            what: "the padding after the boot program",
            offset: (begin + program.len() + i) as u64,
        });
    }
    let empty = [0u8; SECTOR_SIZE];
    let base: &[u8] = opts.base.as_deref().unwrap_or(&empty);
    let expected_len = base.len().max(end);
    if image.len() != expected_len {
        return Err(ImageError::VerifyMismatch {
            what: "the image length",
            offset: image.len() as u64,
        });
    }
    // Every byte outside the boot fields and the program: as in the base.
    let kept = |i: usize| i < COUNT_OFFSET || (SECTOR_SIZE..begin).contains(&i) || i >= end;
    for (i, &b) in image.iter().enumerate() {
        if kept(i) && b != base.get(i).copied().unwrap_or(0) {
            let what = if i < SECTOR_SIZE {
                "sector 0 outside the boot fields"
            } else {
                "a byte outside the boot program"
            };
            return Err(ImageError::VerifyMismatch {
                what,
                offset: i as u64,
            });
        }
    }
    Ok(read)
}

/// Builds the disk image, writes it to `path` (through a temporary file in
/// the same directory, renamed into place only once verified), re-reads the
/// file and checks it with [`verify_disk_image`].
pub fn write_disk_image(
    path: &Path,
    program: &[u8],
    opts: &DiskImageOptions,
) -> Result<DiskImage, ImageError> {
    let image = build_disk_image(program, opts)?;
    write_verified(path, &image, |bytes| {
        verify_disk_image(bytes, program, opts)
    })
}
