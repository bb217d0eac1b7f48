//! Every refusal this crate can make, each with a message that says what is
//! wrong, with the numbers involved, and (where there is one) what to do.

use std::fmt;

use crate::bootblock::{MAX_BOOT_PROGRAM_BYTES, SECTOR_SIZE};

/// Why an image was not built, or why one read back is not bootable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    // --- boot program ---------------------------------------------------
    /// The boot program has no bytes.
    EmptyProgram,
    /// The boot program is larger than [`MAX_BOOT_PROGRAM_BYTES`].
    ProgramTooLarge {
        bytes: u64,
    },

    // --- boot block (sector 0, bytes 480..512) ----------------------------
    /// Block count 0: SRM would load nothing and jump to garbage.
    ZeroBlocks,
    /// Start LBN 0: the boot program would overwrite the boot block itself.
    StartLbnZero,
    /// `start_lbn + blocks` (or its byte offset) does not fit in 64 bits.
    BlockRangeOverflow {
        start_lbn: u64,
        blocks: u64,
    },
    /// The quadword at 504 is not the sum of quadwords 0..63.
    BadChecksum {
        stored: u64,
        computed: u64,
    },
    /// The flags quadword at 496 is not 0.
    NonZeroFlags(u64),

    // --- BSD disklabel (sector 0, byte 64) ---------------------------------
    /// A disklabel is there (`d_magic` matches) but is not intact.
    LabelDamaged(String),
    /// More partition entries than fit before the boot fields at byte 480.
    LabelTooManyPartitions {
        npartitions: u16,
    },
    /// The label does not count 512-byte sectors, so its offsets and SRM's
    /// LBNs are not in the same unit.
    LabelSectorSize {
        secsize: u32,
    },
    /// The boot program would land on a partition that is in use.
    OverlapsPartition {
        letter: char,
        fstype: u8,
        offset: u32,
        size: u32,
        start_lbn: u64,
        end_lbn: u64,
    },
    /// The boot program would extend past the end of the labelled disk.
    BeyondEndOfDisk {
        end_lbn: u64,
        secperunit: u32,
    },

    // --- disk / BOOTP images -----------------------------------------------
    /// The base image given to preserve is shorter than one sector.
    BaseImageTooShort {
        len: usize,
    },
    /// Placing the program that far out would grow the image past what this
    /// tool builds in memory.
    ImageWouldBeTooLarge {
        bytes: u64,
    },
    /// An image read back is shorter than its boot block says.
    ImageTooShort {
        len: u64,
        needed: u64,
    },
    /// A BOOTP image whose length is not a multiple of 512.
    BootpNotPadded {
        len: u64,
    },
    /// Re-reading an image found a byte that is not what was meant to be
    /// written.
    VerifyMismatch {
        what: &'static str,
        offset: u64,
    },

    // --- ELF ----------------------------------------------------------------
    NotElf,
    ElfTruncated(String),
    NotElf64 {
        class: u8,
    },
    NotLittleEndian {
        data: u8,
    },
    NotAlpha {
        machine: u16,
    },
    NotExecutable {
        e_type: u16,
    },
    BadProgramHeaderSize {
        phentsize: u16,
    },
    NoLoadableSegment,
    SegmentFileSizeExceedsMemSize {
        index: usize,
        filesz: u64,
        memsz: u64,
    },
    SegmentOutsideFile {
        index: usize,
        offset: u64,
        filesz: u64,
        file_len: u64,
    },
    SegmentAddressOverflow {
        index: usize,
        vaddr: u64,
        memsz: u64,
    },
    SegmentsOverlap {
        first: usize,
        second: usize,
    },
    /// The entry point is not in bytes loaded from the file.
    EntryOutsideImage {
        entry: u64,
    },
    /// An ELF given as an SRM boot program is not linked at 0x20000000.
    WrongLoadAddress {
        base: u64,
        entry: u64,
    },
    /// SRM jumps to the first byte it loaded; the entry point is elsewhere.
    EntryNotFirstByte {
        entry: u64,
        base: u64,
    },

    // --- the SRM boot stub and its boot program ------------------------------
    /// The stub ELF has no empty "SRMSTUB1" header at a 64-byte boundary.
    NotAStub,
    /// The stub's header already carries a kernel.
    StubAlreadyFilled,
    /// Something other than zero padding follows the stub's header.
    StubHeaderNotLast {
        offset: u64,
    },
    /// The kernel ELF is not linked in KSEG.
    KernelNotInKseg {
        base: u64,
    },
    /// The kernel's first byte is not quadword aligned.
    KernelMisaligned {
        base: u64,
    },
    /// The kernel's command-line page is not a KSEG page below the image.
    KernelCmdlinePage {
        cmdline: u64,
        base: u64,
    },
    /// A program that should carry a kernel has no filled stub header.
    NotSrmBootProgram,
    /// The header promises more kernel bytes than the program has.
    KernelTruncated {
        len: u64,
        needed: u64,
    },
    /// The kernel's bytes do not add up to the header's checksum.
    KernelChecksum {
        stored: u64,
        computed: u64,
    },
    /// Non-zero bytes after the kernel (only zero padding may follow).
    KernelTrailingBytes {
        offset: u64,
    },
    /// A filled header whose addresses the stub would refuse.
    BadStubHeader(String),
    /// A physical address QEMU cannot load a test boot program at.
    QemuAddress {
        phys: u64,
        why: &'static str,
    },

    // --- files ----------------------------------------------------------------
    Io {
        path: String,
        message: String,
    },
}

impl ImageError {
    pub(crate) fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        ImageError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        }
    }
}

fn fstype_name(t: u8) -> &'static str {
    // BSD <sys/disklabel.h> fstypenames[]; only the common ones are named.
    match t {
        0 => "unused",
        1 => "swap",
        7 => "4.2BSD",
        8 => "MSDOS",
        9 => "4.4LFS",
        10 => "unknown",
        12 => "ISO9660",
        13 => "boot",
        _ => "other",
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImageError::*;
        let limit = MAX_BOOT_PROGRAM_BYTES;
        match self {
            EmptyProgram => write!(
                f,
                "the boot program is empty: SRM would load nothing and jump to 0x20000000"
            ),
            ProgramTooLarge { bytes } => write!(
                f,
                "the boot program is {bytes} bytes ({} blocks of {SECTOR_SIZE}), more than the {limit}-byte \
                 ({} MiB) limit this tool allows for an image SRM loads at 0x20000000 \
                 (see tools/srm-image/README.md, \"Size limit\")",
                bytes.div_ceil(SECTOR_SIZE as u64),
                limit >> 20
            ),
            ZeroBlocks => write!(
                f,
                "the boot block's block count (quadword at byte 480) is 0: there is no boot program to load"
            ),
            StartLbnZero => write!(
                f,
                "the boot program cannot start at LBN 0: that is the boot block itself (use 1 or more)"
            ),
            BlockRangeOverflow { start_lbn, blocks } => {
                write!(
                    f,
                    "start LBN {start_lbn} + {blocks} blocks does not fit in 64 bits"
                )
            }
            BadChecksum { stored, computed } => write!(
                f,
                "boot block checksum mismatch: byte 504 holds {stored:#018x} but the sum of the first 63 quadwords \
                 is {computed:#018x}; SRM would refuse this disk"
            ),
            NonZeroFlags(v) => write!(
                f,
                "the boot block's flags quadword (byte 496) is {v:#x}; SRM requires 0"
            ),
            LabelDamaged(why) => write!(
                f,
                "the BSD disklabel at byte 64 of sector 0 is damaged: {why}"
            ),
            LabelTooManyPartitions { npartitions } => write!(
                f,
                "the disklabel has {npartitions} partitions; entries past the 16th reach byte 480 and would be \
                 overwritten by the SRM boot block fields (480..512)"
            ),
            LabelSectorSize { secsize } => write!(
                f,
                "the disklabel counts {secsize}-byte sectors, but SRM's boot block counts 512-byte blocks: \
                 the start LBN and the partition offsets would not line up"
            ),
            OverlapsPartition {
                letter,
                fstype,
                offset,
                size,
                start_lbn,
                end_lbn,
            } => write!(
                f,
                "the boot program (LBN {start_lbn}..{end_lbn}) overlaps partition {letter} \
                 (sectors {offset}..{}, fstype {fstype} = {}); choose a start LBN in unpartitioned space \
                 or in a partition of type \"boot\"",
                *offset as u64 + *size as u64,
                fstype_name(*fstype)
            ),
            BeyondEndOfDisk {
                end_lbn,
                secperunit,
            } => write!(
                f,
                "the boot program would end at LBN {end_lbn}, past the end of the disk ({secperunit} sectors in the label)"
            ),
            BaseImageTooShort { len } => {
                write!(
                    f,
                    "the base image is {len} bytes, shorter than one {SECTOR_SIZE}-byte sector"
                )
            }
            ImageWouldBeTooLarge { bytes } => write!(
                f,
                "placing the boot program there would make a {bytes}-byte image; this tool grows images to at \
                 most {} bytes (pick a smaller start LBN, or pass a base image that is already that large)",
                crate::disk::MAX_GROWN_IMAGE_BYTES
            ),
            ImageTooShort { len, needed } => write!(
                f,
                "the image is {len} bytes but its boot block says the boot program ends at byte {needed}"
            ),
            BootpNotPadded { len } => {
                write!(
                    f,
                    "the BOOTP image is {len} bytes, not a multiple of {SECTOR_SIZE}"
                )
            }
            VerifyMismatch { what, offset } => write!(
                f,
                "verification after writing failed: {what} differs at byte {offset} of the image"
            ),
            NotElf => write!(f, "not an ELF file (no \\x7fELF magic)"),
            ElfTruncated(what) => write!(f, "the ELF file is truncated: {what}"),
            NotElf64 { class } => write!(
                f,
                "not a 64-bit ELF (EI_CLASS = {class}, expected 2 = ELFCLASS64)"
            ),
            NotLittleEndian { data } => {
                write!(
                    f,
                    "not a little-endian ELF (EI_DATA = {data}, expected 1 = ELFDATA2LSB)"
                )
            }
            NotAlpha { machine } => write!(
                f,
                "not an Alpha ELF (e_machine = {machine:#x}, expected EM_ALPHA = 0x9026)"
            ),
            NotExecutable { e_type } => write!(
                f,
                "not an executable ELF (e_type = {e_type}, expected 2 = ET_EXEC); link it, do not pass an object file"
            ),
            BadProgramHeaderSize { phentsize } => {
                write!(
                    f,
                    "ELF program header size is {phentsize}, expected 56 for ELF64"
                )
            }
            NoLoadableSegment => write!(f, "the ELF has no PT_LOAD segment with a non-zero size"),
            SegmentFileSizeExceedsMemSize {
                index,
                filesz,
                memsz,
            } => write!(
                f,
                "ELF program header {index}: p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}"
            ),
            SegmentOutsideFile {
                index,
                offset,
                filesz,
                file_len,
            } => write!(
                f,
                "ELF program header {index}: bytes {offset:#x}..{:#x} lie outside the {file_len}-byte file",
                offset.saturating_add(*filesz)
            ),
            SegmentAddressOverflow {
                index,
                vaddr,
                memsz,
            } => write!(
                f,
                "ELF program header {index}: p_vaddr {vaddr:#x} + p_memsz {memsz:#x} overflows"
            ),
            SegmentsOverlap { first, second } => {
                write!(
                    f,
                    "ELF PT_LOAD segments {first} and {second} overlap in memory"
                )
            }
            EntryOutsideImage { entry } => write!(
                f,
                "the ELF entry point {entry:#x} is not inside any segment's file bytes"
            ),
            WrongLoadAddress { base, entry } => {
                write!(
                    f,
                    "the ELF's lowest loaded address is {base:#x}, but SRM loads a boot program at virtual \
                     0x20000000 and jumps to its first byte: "
                )?;
                if *entry == crate::SRM_LOAD_ADDRESS && *base < *entry {
                    write!(
                        f,
                        "its entry point is 0x20000000 but its first PT_LOAD starts below it, which usually \
                         means the ELF and program headers were mapped into that segment; link with `ld -N` \
                         or a linker script that puts .text first at 0x20000000"
                    )
                } else {
                    write!(
                        f,
                        "link the boot stub at 0x20000000 (a kernel linked elsewhere, e.g. in KSEG, must be \
                         carried by such a stub; `srm-image flatten` makes the kernel's flat image)"
                    )
                }
            }
            EntryNotFirstByte { entry, base } => write!(
                f,
                "the ELF entry point {entry:#x} is not its first byte {base:#x}: SRM jumps to the first byte it \
                 loaded (0x20000000), so the entry code must come first"
            ),
            NotAStub => write!(
                f,
                "not the SRM boot stub: no empty \"SRMSTUB1\" header at a 64-byte boundary \
                 (build the stub with tools/build-srm-stub.sh: target/alpha-unknown-none/release/srm-stub.elf)"
            ),
            StubAlreadyFilled => write!(
                f,
                "the stub's header is already filled in, so this is a boot program that carries a kernel; \
                 pass the stub as tools/build-srm-stub.sh built it"
            ),
            StubHeaderNotLast { offset } => write!(
                f,
                "the stub has a non-zero byte at offset {offset}, after its header: the header must be the \
                 stub's last bytes, since the kernel is placed right after it"
            ),
            KernelNotInKseg { base } => write!(
                f,
                "the kernel is linked at {base:#x}, not in KSEG (0xfffffc0000000000-0xfffffe0000000000): the stub \
                 copies the kernel to a KSEG address (linker/kernel.ld links it at 0xfffffc0000310000)"
            ),
            KernelMisaligned { base } => write!(
                f,
                "the kernel's first byte {base:#x} is not 8-byte aligned; the stub copies quadwords"
            ),
            KernelCmdlinePage { cmdline, base } => write!(
                f,
                "the kernel's command-line page {cmdline:#x} is not an 8 KiB-aligned KSEG page that ends at or \
                 below its first byte {base:#x} (linker/kernel.ld's __cmdline)"
            ),
            NotSrmBootProgram => write!(
                f,
                "no filled SRM boot stub header (\"SRMSTUB1\" at a 64-byte boundary with a kernel length): \
                 not a boot program made by `srm-image srm-boot`"
            ),
            KernelTruncated { len, needed } => write!(
                f,
                "the boot program is {len} bytes but its header says the kernel ends at byte {needed}: cut short"
            ),
            KernelChecksum { stored, computed } => write!(
                f,
                "the kernel's checksum is {computed:#018x} but the header says {stored:#018x}: damaged \
                 (the stub would refuse to start it)"
            ),
            KernelTrailingBytes { offset } => write!(
                f,
                "non-zero byte at offset {offset} after the kernel; only zero padding may follow it"
            ),
            BadStubHeader(what) => write!(
                f,
                "the stub header's addresses are not what the stub accepts (KSEG, entry inside the kernel, \
                 command-line page below it, image end past it): {what}"
            ),
            QemuAddress { phys, why } => write!(
                f,
                "cannot place the boot program at physical {phys:#x} for QEMU: the address {why}"
            ),
            Io { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for ImageError {}
