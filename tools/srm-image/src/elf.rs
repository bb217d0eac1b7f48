//! Flattening an ELF64 Alpha executable into the memory image its PT_LOAD
//! segments describe, the way Linux's arch/alpha/boot/tools/objstrip.c turns
//! `vmlinux` into `vmlinux.nh`: file bytes copied at their address, gaps
//! between segments and each segment's bss (`p_memsz - p_filesz`) zero-filled,
//! since SRM only copies bytes and clears nothing.

use crate::bootblock::{MAX_BOOT_PROGRAM_BYTES, SRM_LOAD_ADDRESS};
use crate::error::ImageError;

/// `EM_ALPHA` (Linux include/uapi/linux/elf-em.h; the value every Alpha
/// toolchain writes).
pub const EM_ALPHA: u16 = 0x9026;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

/// One PT_LOAD segment that went into a [`FlatImage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSegment {
    /// Index in the program header table.
    pub index: usize,
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub flags: u32,
}

/// The flat memory image of an ELF executable: `bytes[i]` is the byte at
/// virtual address `base + i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatImage {
    /// Lowest `p_vaddr` of the PT_LOAD segments.
    pub base: u64,
    /// `e_entry`.
    pub entry: u64,
    /// From `base` to the highest `p_vaddr + p_memsz`.
    pub bytes: Vec<u8>,
    /// The segments, sorted by address.
    pub segments: Vec<LoadSegment>,
}

impl FlatImage {
    /// Offset of the entry point in `bytes`.
    pub fn entry_offset(&self) -> u64 {
        self.entry - self.base
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&self, off: usize, what: &str) -> Result<[u8; N], ImageError> {
        off.checked_add(N)
            .and_then(|end| self.0.get(off..end))
            .map(|s| s.try_into().unwrap())
            .ok_or_else(|| {
                ImageError::ElfTruncated(format!(
                    "{what} at byte {off} is past its end ({} bytes)",
                    self.0.len()
                ))
            })
    }
    fn u16(&self, off: usize, what: &str) -> Result<u16, ImageError> {
        self.bytes::<2>(off, what).map(u16::from_le_bytes)
    }
    fn u32(&self, off: usize, what: &str) -> Result<u32, ImageError> {
        self.bytes::<4>(off, what).map(u32::from_le_bytes)
    }
    fn u64(&self, off: usize, what: &str) -> Result<u64, ImageError> {
        self.bytes::<8>(off, what).map(u64::from_le_bytes)
    }
}

/// Flattens any ELF64 little-endian Alpha executable (at whatever address it
/// is linked), refusing other files, malformed program headers, overlapping
/// segments, an entry point outside the loaded bytes, and an image larger
/// than [`MAX_BOOT_PROGRAM_BYTES`] (checked before anything is allocated).
pub fn flatten_elf(elf: &[u8]) -> Result<FlatImage, ImageError> {
    if elf.len() < 4 || elf[..4] != *b"\x7fELF" {
        return Err(ImageError::NotElf);
    }
    let r = Reader(elf);
    let ident = r.bytes::<16>(0, "the ELF identification")?;
    if ident[4] != ELFCLASS64 {
        return Err(ImageError::NotElf64 { class: ident[4] });
    }
    if ident[5] != ELFDATA2LSB {
        return Err(ImageError::NotLittleEndian { data: ident[5] });
    }
    if elf.len() < EHDR_SIZE {
        return Err(ImageError::ElfTruncated(format!(
            "{} bytes, shorter than the 64-byte ELF64 header",
            elf.len()
        )));
    }
    let machine = r.u16(18, "e_machine")?;
    if machine != EM_ALPHA {
        return Err(ImageError::NotAlpha { machine });
    }
    let e_type = r.u16(16, "e_type")?;
    if e_type != ET_EXEC {
        return Err(ImageError::NotExecutable { e_type });
    }
    let entry = r.u64(24, "e_entry")?;
    let phoff = r.u64(32, "e_phoff")?;
    let phentsize = r.u16(54, "e_phentsize")?;
    let phnum = r.u16(56, "e_phnum")? as usize;
    if phnum > 0 && phentsize as usize != PHDR_SIZE {
        return Err(ImageError::BadProgramHeaderSize { phentsize });
    }
    let phoff = usize::try_from(phoff)
        .ok()
        .filter(|o| {
            o.checked_add(phnum * PHDR_SIZE)
                .is_some_and(|end| end <= elf.len())
        })
        .ok_or_else(|| {
            ImageError::ElfTruncated(format!(
                "{phnum} program headers at byte {phoff} do not fit in its {} bytes",
                elf.len()
            ))
        })?;

    let mut segments = Vec::new();
    for index in 0..phnum {
        let h = phoff + index * PHDR_SIZE;
        if r.u32(h, "p_type")? != PT_LOAD {
            continue;
        }
        let seg = LoadSegment {
            index,
            flags: r.u32(h + 4, "p_flags")?,
            offset: r.u64(h + 8, "p_offset")?,
            vaddr: r.u64(h + 16, "p_vaddr")?,
            filesz: r.u64(h + 32, "p_filesz")?,
            memsz: r.u64(h + 40, "p_memsz")?,
        };
        if seg.filesz > seg.memsz {
            return Err(ImageError::SegmentFileSizeExceedsMemSize {
                index,
                filesz: seg.filesz,
                memsz: seg.memsz,
            });
        }
        if seg
            .offset
            .checked_add(seg.filesz)
            .is_none_or(|end| end > elf.len() as u64)
        {
            return Err(ImageError::SegmentOutsideFile {
                index,
                offset: seg.offset,
                filesz: seg.filesz,
                file_len: elf.len() as u64,
            });
        }
        if seg.vaddr.checked_add(seg.memsz).is_none() {
            return Err(ImageError::SegmentAddressOverflow {
                index,
                vaddr: seg.vaddr,
                memsz: seg.memsz,
            });
        }
        if seg.memsz > 0 {
            segments.push(seg);
        }
    }
    if segments.is_empty() {
        return Err(ImageError::NoLoadableSegment);
    }
    segments.sort_by_key(|s| s.vaddr);
    for w in segments.windows(2) {
        if w[0].vaddr + w[0].memsz > w[1].vaddr {
            let (a, b) = (w[0].index.min(w[1].index), w[0].index.max(w[1].index));
            return Err(ImageError::SegmentsOverlap {
                first: a,
                second: b,
            });
        }
    }
    let base = segments[0].vaddr;
    let end = segments.iter().map(|s| s.vaddr + s.memsz).max().unwrap();
    let span = end - base;
    if span > MAX_BOOT_PROGRAM_BYTES {
        return Err(ImageError::ProgramTooLarge { bytes: span });
    }
    if !segments
        .iter()
        .any(|s| entry >= s.vaddr && entry - s.vaddr < s.filesz)
    {
        return Err(ImageError::EntryOutsideImage { entry });
    }

    let mut bytes = vec![0u8; span as usize];
    for s in &segments {
        let dst = (s.vaddr - base) as usize;
        let src = s.offset as usize;
        bytes[dst..dst + s.filesz as usize].copy_from_slice(&elf[src..src + s.filesz as usize]);
    }
    Ok(FlatImage {
        base,
        entry,
        bytes,
        segments,
    })
}

/// Flattens an ELF that is to be the SRM boot program itself: besides
/// [`flatten_elf`]'s checks, it must be linked at [`SRM_LOAD_ADDRESS`]
/// (0x20000000, where SRM maps what it loads) with its entry point at that
/// first byte (where SRM jumps).
pub fn boot_program_from_elf(elf: &[u8]) -> Result<FlatImage, ImageError> {
    let flat = flatten_elf(elf)?;
    if flat.base != SRM_LOAD_ADDRESS {
        return Err(ImageError::WrongLoadAddress {
            base: flat.base,
            entry: flat.entry,
        });
    }
    if flat.entry != flat.base {
        return Err(ImageError::EntryNotFirstByte {
            entry: flat.entry,
            base: flat.base,
        });
    }
    Ok(flat)
}

/// The value of the symbol `name` in an ELF64 little-endian file's symbol
/// tables (`SHT_SYMTAB`), or `None` if the file has no section headers, no
/// symbol table, no such symbol, or tables that do not fit in the file
/// (every offset is bounds-checked; a damaged table is treated as absent).
pub fn elf_symbol(elf: &[u8], name: &str) -> Option<u64> {
    const SHT_SYMTAB: u32 = 2;
    const SHDR_SIZE: usize = 64;
    const SYM_SIZE: usize = 24;
    let r = Reader(elf);
    if elf.len() < EHDR_SIZE || elf[..4] != *b"\x7fELF" {
        return None;
    }
    let shoff = usize::try_from(r.u64(0x28, "e_shoff").ok()?).ok()?;
    let shentsize = r.u16(0x3a, "e_shentsize").ok()? as usize;
    let shnum = r.u16(0x3c, "e_shnum").ok()? as usize;
    if shoff == 0 || shentsize != SHDR_SIZE {
        return None;
    }
    let section = |i: usize| -> Option<(u32, usize, usize, u32)> {
        let h = shoff.checked_add(i.checked_mul(SHDR_SIZE)?)?;
        let ty = r.u32(h + 4, "sh_type").ok()?;
        let off = usize::try_from(r.u64(h + 24, "sh_offset").ok()?).ok()?;
        let size = usize::try_from(r.u64(h + 32, "sh_size").ok()?).ok()?;
        let link = r.u32(h + 40, "sh_link").ok()?;
        off.checked_add(size).filter(|&end| end <= elf.len())?;
        Some((ty, off, size, link))
    };
    for i in 0..shnum {
        let Some((SHT_SYMTAB, off, size, link)) = section(i) else {
            continue;
        };
        let Some((_, str_off, str_size, _)) = section(link as usize) else {
            continue;
        };
        let strtab = &elf[str_off..str_off + str_size];
        for s in (off..off + size - size % SYM_SIZE).step_by(SYM_SIZE) {
            let name_off = r.u32(s, "st_name").ok()? as usize;
            let Some(rest) = strtab.get(name_off..) else {
                continue;
            };
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            if &rest[..end] == name.as_bytes() {
                return r.u64(s + 8, "st_value").ok();
            }
        }
    }
    None
}
