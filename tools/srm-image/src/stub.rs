//! The SRM boot program this project boots from: the boot stub
//! (`boot/srm-stub.s`, linked at 0x20000000 by `linker/srm-stub.ld`), its
//! 64-byte header, and the kernel's bytes right after it:
//!
//! ```text
//! 0x20000000  stub code and data            (PC-relative, runs anywhere)
//!             header, the stub's last 64 B  (magic "SRMSTUB1", filled here)
//!             the kernel: its loadable bytes from its lowest address to the
//!             end of its last file-backed byte (bss is cleared by the kernel)
//! ```
//!
//! The header (little-endian quadwords):
//!
//! ```text
//! 0x00  magic "SRMSTUB1"           0x20  entry point (KSEG)
//! 0x08  header size, 64            0x28  image end (KSEG): all the kernel uses
//! 0x10  kernel length (x 8 bytes)  0x30  command-line page (KSEG)
//! 0x18  load address (KSEG)        0x38  checksum: wrapping sum of the kernel's quadwords
//! ```
//!
//! The stub checks the checksum before it copies the kernel, and again on
//! the copy, so a boot program cut short by the console or damaged on the
//! way is refused with a message rather than run.
//!
//! [`qemu_test_elf`] wraps a boot program in an ELF that QEMU's `-kernel`
//! loads at a chosen KSEG address: how the runner tests the stub, since QEMU
//! cannot reproduce SRM's 0x20000000 mapping (see tools/srm-image/README.md).

use crate::bootblock::MAX_BOOT_PROGRAM_BYTES;
use crate::check_program;
use crate::elf::{EM_ALPHA, boot_program_from_elf, elf_symbol, flatten_elf};
use crate::error::ImageError;

/// The stub header's magic, first 8 bytes of the header.
pub const STUB_MAGIC: [u8; 8] = *b"SRMSTUB1";
/// Size of the stub header; it is 64-byte aligned.
pub const STUB_HEADER_SIZE: usize = 64;
/// Magic of the block the stub leaves for the kernel at command-line page
/// + 0x100 (read by `kernel/src/srmboot.rs`).
pub const HANDOFF_MAGIC: [u8; 8] = *b"SRMBOOT1";
/// Offset of that handoff block in the command-line page.
pub const HANDOFF_OFFSET: u64 = 0x100;
/// The Alpha superpage: physical address + this, for physical addresses
/// below 2^41 (what the stub accepts).
pub const KSEG_BASE: u64 = 0xffff_fc00_0000_0000;
/// First address past the KSEG range the stub accepts.
pub const KSEG_END: u64 = 0xffff_fe00_0000_0000;
/// Alpha pages are 8 KiB.
pub const PAGE_SIZE: u64 = 8192;
/// QEMU's `-kernel` loader writes the `-append` text this far below the
/// lowest loaded address (and Linux's layout has its ZERO_PGE there).
pub const QEMU_CMDLINE_BELOW: u64 = 0x6000;
/// The lowest physical address [`qemu_test_elf`] places a boot program at:
/// clear of QEMU's PALcode (which ends near 0x20000) with room below it for
/// the command-line page QEMU writes.
pub const QEMU_MIN_PHYS: u64 = 0x10_0000;

/// True for the KSEG addresses the stub accepts.
pub fn in_kseg(va: u64) -> bool {
    (KSEG_BASE..KSEG_END).contains(&va)
}

/// The stub header's fields (everything after magic and size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StubHeader {
    /// Bytes of kernel after the header (a multiple of 8).
    pub kernel_len: u64,
    /// KSEG address of the kernel's first byte.
    pub load_address: u64,
    /// KSEG entry point.
    pub entry: u64,
    /// KSEG end of all the memory the kernel uses (bss, boot stack).
    pub image_end: u64,
    /// KSEG address of the command-line page.
    pub cmdline_page: u64,
    /// Wrapping sum of the kernel's little-endian quadwords.
    pub checksum: u64,
}

impl StubHeader {
    /// The 64 bytes the stub reads.
    pub fn to_bytes(&self) -> [u8; STUB_HEADER_SIZE] {
        let mut b = [0u8; STUB_HEADER_SIZE];
        b[..8].copy_from_slice(&STUB_MAGIC);
        let fields = [
            STUB_HEADER_SIZE as u64,
            self.kernel_len,
            self.load_address,
            self.entry,
            self.image_end,
            self.cmdline_page,
            self.checksum,
        ];
        for (i, v) in fields.iter().enumerate() {
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Reads the fields of a header whose magic and size are right.
    fn from_bytes(b: &[u8]) -> StubHeader {
        let q = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
        StubHeader {
            kernel_len: q(2),
            load_address: q(3),
            entry: q(4),
            image_end: q(5),
            cmdline_page: q(6),
            checksum: q(7),
        }
    }

    /// Physical address range the kernel is copied to.
    pub fn destination(&self) -> (u64, u64) {
        let pa = self.load_address - KSEG_BASE;
        (pa, pa + self.kernel_len)
    }
}

fn is_header_at(bytes: &[u8], off: usize) -> bool {
    bytes.len() >= off + STUB_HEADER_SIZE
        && bytes[off..off + 8] == STUB_MAGIC
        && bytes[off + 8..off + 16] == (STUB_HEADER_SIZE as u64).to_le_bytes()
}

/// The wrapping sum of the little-endian quadwords of `bytes`; a last
/// partial quadword counts as if zero-padded. The stub computes the same.
pub fn kernel_checksum(bytes: &[u8]) -> u64 {
    bytes.chunks(8).fold(0u64, |sum, c| {
        let mut q = [0u8; 8];
        q[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u64::from_le_bytes(q))
    })
}

/// Finds the empty header in a freshly built stub's flat image: the first
/// 64-byte-aligned "SRMSTUB1" with size 64. Refuses a stub without one, one
/// whose header already carries a kernel, and one with non-zero bytes after
/// the header (the kernel goes right after it; the assembler may pad the
/// section with zeros, which are dropped).
pub fn find_stub_header(stub: &[u8]) -> Result<usize, ImageError> {
    let off = (0..stub.len())
        .step_by(STUB_HEADER_SIZE)
        .find(|&o| is_header_at(stub, o))
        .ok_or(ImageError::NotAStub)?;
    if stub[off + 16..off + STUB_HEADER_SIZE].iter().any(|&b| b != 0) {
        return Err(ImageError::StubAlreadyFilled);
    }
    if let Some(i) = stub[off + STUB_HEADER_SIZE..].iter().position(|&b| b != 0) {
        return Err(ImageError::StubHeaderNotLast {
            offset: (off + STUB_HEADER_SIZE + i) as u64,
        });
    }
    Ok(off)
}

/// The kernel as the stub carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelPayload {
    /// From the lowest loaded address to the last file-backed byte, zero
    /// padded to a multiple of 8 (the bss after it is not carried).
    pub bytes: Vec<u8>,
    pub load_address: u64,
    pub entry: u64,
    pub image_end: u64,
    pub cmdline_page: u64,
    /// Where `image_end` came from: the `__image_end` symbol, or the end of
    /// the last segment rounded up to a page.
    pub image_end_from_symbol: bool,
    /// Where `cmdline_page` came from: the `__cmdline` symbol, or QEMU's
    /// convention (load address - 0x6000).
    pub cmdline_from_symbol: bool,
}

/// The kernel ELF (linked in KSEG, e.g. at 0xfffffc0000310000) as the stub
/// carries it; `__image_end` and `__cmdline` are read from its symbol table
/// when present (linker/kernel.ld defines both).
pub fn kernel_payload_from_elf(elf: &[u8]) -> Result<KernelPayload, ImageError> {
    let flat = flatten_elf(elf)?;
    let base = flat.base;
    let mem_end = base + flat.bytes.len() as u64;
    if !in_kseg(base) || !in_kseg(mem_end - 1) {
        return Err(ImageError::KernelNotInKseg { base });
    }
    if base % 8 != 0 {
        return Err(ImageError::KernelMisaligned { base });
    }
    let file_end = flat
        .segments
        .iter()
        .map(|s| s.vaddr + s.filesz)
        .max()
        .unwrap_or(base);
    let mut bytes = flat.bytes[..(file_end - base) as usize].to_vec();
    bytes.resize(bytes.len().next_multiple_of(8), 0);
    let sym_end = elf_symbol(elf, "__image_end").filter(|&e| e >= mem_end && in_kseg(e - 1));
    let image_end = sym_end.unwrap_or(mem_end.next_multiple_of(PAGE_SIZE));
    let sym_cmdline = elf_symbol(elf, "__cmdline");
    let cmdline_page = sym_cmdline.unwrap_or(base.wrapping_sub(QEMU_CMDLINE_BELOW));
    if !in_kseg(cmdline_page)
        || cmdline_page % PAGE_SIZE != 0
        || cmdline_page.checked_add(PAGE_SIZE).is_none_or(|end| end > base)
    {
        return Err(ImageError::KernelCmdlinePage { cmdline: cmdline_page, base });
    }
    Ok(KernelPayload {
        bytes,
        load_address: base,
        entry: flat.entry,
        image_end,
        cmdline_page,
        image_end_from_symbol: sym_end.is_some(),
        cmdline_from_symbol: sym_cmdline.is_some(),
    })
}

/// A boot program: stub, filled header, kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrmBootProgram {
    /// The flat bytes SRM places at 0x20000000.
    pub bytes: Vec<u8>,
    /// Offset of the header in `bytes` (the stub's length before it).
    pub header_offset: usize,
    pub header: StubHeader,
}

impl SrmBootProgram {
    /// The kernel's bytes inside the program.
    pub fn kernel(&self) -> &[u8] {
        let start = self.header_offset + STUB_HEADER_SIZE;
        &self.bytes[start..start + self.header.kernel_len as usize]
    }
}

/// Builds the boot program from the stub's ELF (checked like any boot
/// program: linked at 0x20000000, entry first) and the kernel's ELF, then
/// reads it back with [`read_srm_boot_program`].
pub fn build_srm_boot_program(stub_elf: &[u8], kernel_elf: &[u8]) -> Result<SrmBootProgram, ImageError> {
    let stub = boot_program_from_elf(stub_elf)?;
    let header_offset = find_stub_header(&stub.bytes)?;
    let kernel = kernel_payload_from_elf(kernel_elf)?;
    let header = StubHeader {
        kernel_len: kernel.bytes.len() as u64,
        load_address: kernel.load_address,
        entry: kernel.entry,
        image_end: kernel.image_end,
        cmdline_page: kernel.cmdline_page,
        checksum: kernel_checksum(&kernel.bytes),
    };
    let mut bytes = stub.bytes[..header_offset].to_vec();
    bytes.extend_from_slice(&header.to_bytes());
    bytes.extend_from_slice(&kernel.bytes);
    check_program(&bytes)?;
    let back = read_srm_boot_program(&bytes)?;
    if back.header != header || back.header_offset != header_offset {
        return Err(ImageError::VerifyMismatch {
            what: "the boot program's header",
            offset: header_offset as u64,
        });
    }
    Ok(back)
}

/// Reads a boot program (or a BOOTP image / disk program blocks, whose
/// zero padding after the kernel is accepted): finds the filled header at a
/// 64-byte boundary and checks the kernel's addresses, length and checksum.
pub fn read_srm_boot_program(program: &[u8]) -> Result<SrmBootProgram, ImageError> {
    let header_offset = (0..program.len())
        .step_by(STUB_HEADER_SIZE)
        .find(|&o| is_header_at(program, o) && program[o + 16..o + 24] != [0; 8])
        .ok_or(ImageError::NotSrmBootProgram)?;
    let header = StubHeader::from_bytes(&program[header_offset..header_offset + STUB_HEADER_SIZE]);
    let start = (header_offset + STUB_HEADER_SIZE) as u64;
    let needed = start.checked_add(header.kernel_len).unwrap_or(u64::MAX);
    if needed > program.len() as u64 {
        return Err(ImageError::KernelTruncated { len: program.len() as u64, needed });
    }
    let h = &header;
    let addresses_ok = header.kernel_len % 8 == 0
        && in_kseg(h.load_address)
        && h.load_address.checked_add(h.kernel_len).is_some_and(|e| in_kseg(e - 1) && e <= h.image_end)
        && in_kseg(h.image_end.wrapping_sub(1))
        && (h.load_address..h.load_address + h.kernel_len).contains(&h.entry)
        && in_kseg(h.cmdline_page)
        && h.cmdline_page % PAGE_SIZE == 0
        && h.cmdline_page + PAGE_SIZE <= h.load_address;
    if !addresses_ok {
        return Err(ImageError::BadStubHeader(header_summary(h)));
    }
    let kernel = &program[start as usize..needed as usize];
    let computed = kernel_checksum(kernel);
    if computed != header.checksum {
        return Err(ImageError::KernelChecksum { stored: header.checksum, computed });
    }
    if let Some(i) = program[needed as usize..].iter().position(|&b| b != 0) {
        return Err(ImageError::KernelTrailingBytes { offset: needed + i as u64 });
    }
    Ok(SrmBootProgram { bytes: program.to_vec(), header_offset, header })
}

/// One line describing a header, for messages.
pub fn header_summary(h: &StubHeader) -> String {
    format!(
        "kernel {} bytes for {:#x}, entry {:#x}, image end {:#x}, command-line page {:#x}, checksum {:#018x}",
        h.kernel_len, h.load_address, h.entry, h.image_end, h.cmdline_page, h.checksum
    )
}

/// An ELF64 Alpha executable with one PT_LOAD segment holding `program` at
/// KSEG address `KSEG_BASE + phys`, entry at its first byte: what QEMU's
/// `-kernel` loads to run a boot program (the stub then finds itself in KSEG
/// instead of at 0x20000000). `phys` must be page-aligned and at least
/// [`QEMU_MIN_PHYS`]. The result is flattened back and compared.
pub fn qemu_test_elf(program: &[u8], phys: u64) -> Result<Vec<u8>, ImageError> {
    if program.is_empty() {
        return Err(ImageError::EmptyProgram);
    }
    if program.len() as u64 > MAX_BOOT_PROGRAM_BYTES {
        return Err(ImageError::ProgramTooLarge { bytes: program.len() as u64 });
    }
    if phys % PAGE_SIZE != 0 {
        return Err(ImageError::QemuAddress { phys, why: "is not a multiple of 8 KiB" });
    }
    if phys < QEMU_MIN_PHYS {
        return Err(ImageError::QemuAddress {
            phys,
            why: "is below 1 MiB (QEMU's PALcode and the command-line page QEMU writes 0x6000 below the image)",
        });
    }
    if phys + program.len() as u64 > KSEG_END - KSEG_BASE {
        return Err(ImageError::QemuAddress { phys, why: "puts the program past the 2 TiB KSEG range" });
    }
    let va = KSEG_BASE + phys;
    let offset = PAGE_SIZE as usize;
    let mut f = vec![0u8; offset + program.len()];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // ELFCLASS64
    f[5] = 1; // little-endian
    f[6] = 1; // EV_CURRENT
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&EM_ALPHA.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&va.to_le_bytes()); // e_entry
    f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    f[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
    let ph = 64;
    f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f[ph + 4..ph + 8].copy_from_slice(&7u32.to_le_bytes()); // R W X
    for (i, v) in [offset as u64, va, va, program.len() as u64, program.len() as u64, PAGE_SIZE]
        .iter()
        .enumerate()
    {
        f[ph + 8 + 8 * i..ph + 16 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    f[offset..].copy_from_slice(program);
    let back = flatten_elf(&f)?;
    if back.base != va || back.entry != va || back.bytes != program {
        return Err(ImageError::VerifyMismatch { what: "the QEMU test ELF", offset: 0 });
    }
    Ok(f)
}
