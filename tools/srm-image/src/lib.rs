//! Host tools that build boot images the DEC Alpha SRM console accepts, and
//! check them by reading them back.
//!
//! * [`write_boot_block`] / [`verify_boot_block`]: the 32 bytes at the end of
//!   a disk's sector 0 that tell SRM where the boot program is (count at 480,
//!   start LBN at 488, flags 0 at 496, checksum at 504), leaving a BSD
//!   disklabel at byte 64 untouched.
//! * [`build_disk_image`] / [`write_disk_image`]: a disk image (`boot dka0`,
//!   `boot dqa0`) with the boot program in contiguous blocks from a start LBN.
//! * [`build_bootp_image`] / [`write_bootp_image`]: the file SRM fetches by
//!   TFTP for `boot ewa0 -protocols bootp`.
//! * [`flatten_elf`] / [`boot_program_from_elf`]: an ELF64 Alpha executable
//!   turned into the flat memory image SRM copies, bss included.
//!
//! * [`build_srm_boot_program`] / [`read_srm_boot_program`]: the boot stub
//!   (`boot/srm-stub.s`) with the kernel attached, the program the disk and
//!   BOOTP images carry; [`qemu_test_elf`] wraps one for QEMU's `-kernel`.
//! * [`relocate::plan_relocation`]: the stub's copy plan (direct or through a
//!   bounce buffer) as a host-testable model of what the assembly does.
//!
//! In both cases SRM places the boot program at virtual 0x20000000 and jumps
//! to its first byte. The program is given as a flat binary ([`BootProgram::Flat`])
//! or as an ELF linked at 0x20000000 ([`BootProgram::Elf`]).
//!
//! Sources for every layout and number: README.md in this crate.

pub mod bootblock;
pub mod bootp;
pub mod disk;
pub mod disklabel;
pub mod elf;
pub mod error;
pub mod relocate;
pub mod stub;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use bootblock::{
    BootBlock, MAX_BOOT_PROGRAM_BLOCKS, MAX_BOOT_PROGRAM_BYTES, SECTOR_SIZE, SRM_LOAD_ADDRESS,
    boot_block_checksum, check_block_range, verify_boot_block, write_boot_block,
};
pub use bootp::{
    BootpImage, build_bootp_image, read_bootp_image, verify_bootp_image, write_bootp_image,
};
pub use disk::{
    DEFAULT_START_LBN, DiskImage, DiskImageOptions, build_disk_image, read_disk_image,
    verify_disk_image, write_disk_image,
};
pub use disklabel::{DiskLabel, Partition, read_disklabel};
pub use elf::{EM_ALPHA, FlatImage, LoadSegment, boot_program_from_elf, elf_symbol, flatten_elf};
pub use stub::{
    KSEG_BASE, KernelPayload, SrmBootProgram, STUB_HEADER_SIZE, STUB_MAGIC, StubHeader,
    build_srm_boot_program, find_stub_header, kernel_checksum, kernel_payload_from_elf,
    qemu_test_elf, read_srm_boot_program,
};
pub use error::ImageError;

/// A boot program as given on input.
#[derive(Debug, Clone, Copy)]
pub enum BootProgram<'a> {
    /// Already flat: byte 0 is what SRM places at 0x20000000 and jumps to.
    /// Nothing in it can be checked but its size.
    Flat(&'a [u8]),
    /// An ELF64 Alpha executable linked at 0x20000000 with its entry point
    /// there; flattened with [`boot_program_from_elf`].
    Elf(&'a [u8]),
}

impl BootProgram<'_> {
    /// The flat bytes SRM is to load, checked for size (and, for an ELF,
    /// everything [`boot_program_from_elf`] checks).
    pub fn flat_bytes(&self) -> Result<Vec<u8>, ImageError> {
        match self {
            BootProgram::Flat(b) => {
                check_program(b)?;
                Ok(b.to_vec())
            }
            BootProgram::Elf(e) => Ok(boot_program_from_elf(e)?.bytes),
        }
    }
}

/// Refuses an empty program or one larger than [`MAX_BOOT_PROGRAM_BYTES`];
/// returns its size in 512-byte blocks.
pub fn check_program(program: &[u8]) -> Result<u64, ImageError> {
    if program.is_empty() {
        return Err(ImageError::EmptyProgram);
    }
    let bytes = program.len() as u64;
    if bytes > MAX_BOOT_PROGRAM_BYTES {
        return Err(ImageError::ProgramTooLarge { bytes });
    }
    Ok(bytes.div_ceil(SECTOR_SIZE as u64))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".srm-image-tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to a temporary file next to `path`, reads the file back,
/// checks the bytes read with `verify` and that they are `bytes`, and only
/// then renames it to `path`. On any failure the temporary file is removed
/// and `path` is left as it was.
pub(crate) fn write_verified<T>(
    path: &Path,
    bytes: &[u8],
    verify: impl FnOnce(&[u8]) -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| ImageError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| ImageError::io(&tmp, e))?;
        f.sync_all().map_err(|e| ImageError::io(&tmp, e))?;
        drop(f);
        let back = std::fs::read(&tmp).map_err(|e| ImageError::io(&tmp, e))?;
        if back.len() != bytes.len() {
            return Err(ImageError::VerifyMismatch {
                what: "the file length",
                offset: back.len() as u64,
            });
        }
        if let Some(i) = back.iter().zip(bytes).position(|(a, b)| a != b) {
            return Err(ImageError::VerifyMismatch {
                what: "the file read back",
                offset: i as u64,
            });
        }
        let out = verify(&back)?;
        std::fs::rename(&tmp, path).map_err(|e| ImageError::io(path, e))?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
