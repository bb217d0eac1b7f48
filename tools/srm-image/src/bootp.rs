//! BOOTP (network) images for `boot ewa0 -protocols bootp`: SRM asks a
//! BOOTP/DHCP server for a file name, fetches the file by TFTP, places its
//! bytes at virtual 0x20000000 and jumps there, as it does with a disk's boot
//! program (Linux arch/alpha/boot/bootp.c: "all the SRM consoles load the
//! BOOTP image at virtual 0x20000000").
//!
//! The image is the flat boot program, byte 0 = virtual 0x20000000 = the
//! first instruction, zero-padded to a multiple of 512 bytes (as objstrip's
//! `-b` pads Linux's `bootph`): the very same bytes as a disk image's
//! boot-program blocks. No header, no trailer.

use std::path::Path;

use crate::bootblock::{MAX_BOOT_PROGRAM_BYTES, SECTOR_SIZE, SRM_LOAD_ADDRESS};
use crate::error::ImageError;
use crate::{check_program, write_verified};

/// A BOOTP image read back by [`read_bootp_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootpImage {
    /// File size in bytes (a multiple of 512).
    pub len: u64,
    /// Where SRM places byte 0 and jumps: 0x20000000.
    pub load_address: u64,
    /// One past the last byte SRM places.
    pub end_address: u64,
}

/// Builds the BOOTP image of `program`: the program, zero-padded to whole
/// 512-byte blocks. Refuses an empty or too large program.
pub fn build_bootp_image(program: &[u8]) -> Result<Vec<u8>, ImageError> {
    let blocks = check_program(program)?;
    let mut image = program.to_vec();
    image.resize(blocks as usize * SECTOR_SIZE, 0);
    verify_bootp_image(&image, program)?;
    Ok(image)
}

/// Checks a BOOTP image on its own: not empty, a multiple of 512 bytes, at
/// most [`MAX_BOOT_PROGRAM_BYTES`].
pub fn read_bootp_image(image: &[u8]) -> Result<BootpImage, ImageError> {
    let len = image.len() as u64;
    if len == 0 {
        return Err(ImageError::EmptyProgram);
    }
    if len > MAX_BOOT_PROGRAM_BYTES {
        return Err(ImageError::ProgramTooLarge { bytes: len });
    }
    if !len.is_multiple_of(SECTOR_SIZE as u64) {
        return Err(ImageError::BootpNotPadded { len });
    }
    Ok(BootpImage {
        len,
        load_address: SRM_LOAD_ADDRESS,
        end_address: SRM_LOAD_ADDRESS + len,
    })
}

/// Checks that `image` is exactly the BOOTP image of `program`.
pub fn verify_bootp_image(image: &[u8], program: &[u8]) -> Result<BootpImage, ImageError> {
    let read = read_bootp_image(image)?;
    let expected = (program.len() as u64).div_ceil(SECTOR_SIZE as u64) * SECTOR_SIZE as u64;
    if read.len != expected {
        return Err(ImageError::VerifyMismatch {
            what: "the image length",
            offset: read.len,
        });
    }
    if let Some(i) = image.iter().zip(program).position(|(a, b)| a != b) {
        return Err(ImageError::VerifyMismatch {
            what: "the boot program",
            offset: i as u64,
        });
    }
    if let Some(i) = image[program.len()..].iter().position(|&b| b != 0) {
        return Err(ImageError::VerifyMismatch {
            what: "the padding after the boot program",
            offset: (program.len() + i) as u64,
        });
    }
    Ok(read)
}

/// Builds the BOOTP image, writes it to `path` (through a temporary file
/// renamed into place once verified), re-reads it and checks it.
pub fn write_bootp_image(path: &Path, program: &[u8]) -> Result<BootpImage, ImageError> {
    let image = build_bootp_image(program)?;
    write_verified(path, &image, |bytes| verify_bootp_image(bytes, program))
}
