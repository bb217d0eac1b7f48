//! Flattening synthetic ELF64 Alpha executables, and every refusal.

mod common;

use common::{Elf, PT_NOTE, Seg, pattern, phdr_field};
use srm_image::{
    BootProgram, ImageError, MAX_BOOT_PROGRAM_BYTES, SRM_LOAD_ADDRESS, boot_program_from_elf,
    flatten_elf,
};

const BASE: u64 = SRM_LOAD_ADDRESS;

#[test]
fn flattens_segments_gaps_and_bss() {
    let text = pattern(1000, 3);
    let data = pattern(77, 9);
    // text at BASE (file 1000, mem 1000), data at BASE+0x2000 (file 77,
    // mem 77+300 bss), a PT_NOTE that must be ignored.
    let elf = Elf::new(
        BASE,
        vec![
            Seg::load(BASE, &text, 1000),
            Seg {
                p_type: PT_NOTE,
                vaddr: 0,
                data: vec![0xee; 24],
                memsz: 24,
            },
            Seg::load(BASE + 0x2000, &data, 377),
        ],
    )
    .build();
    let flat = flatten_elf(&elf).unwrap();
    assert_eq!(flat.base, BASE);
    assert_eq!(flat.entry, BASE);
    assert_eq!(flat.entry_offset(), 0);
    assert_eq!(flat.segments.len(), 2);
    assert_eq!(flat.bytes.len(), 0x2000 + 377);
    assert_eq!(&flat.bytes[..1000], &text[..]);
    assert!(
        flat.bytes[1000..0x2000].iter().all(|&b| b == 0),
        "gap zero-filled"
    );
    assert_eq!(&flat.bytes[0x2000..0x2000 + 77], &data[..]);
    assert!(
        flat.bytes[0x2000 + 77..].iter().all(|&b| b == 0),
        "bss zero-filled"
    );
    assert_eq!(boot_program_from_elf(&elf).unwrap(), flat);
}

#[test]
fn segments_in_any_header_order() {
    let a = pattern(64, 1);
    let b = pattern(64, 2);
    let elf = Elf::new(
        BASE,
        vec![Seg::load(BASE + 0x100, &b, 64), Seg::load(BASE, &a, 64)],
    )
    .build();
    let flat = flatten_elf(&elf).unwrap();
    assert_eq!(flat.bytes.len(), 0x140);
    assert_eq!(&flat.bytes[..64], &a[..]);
    assert_eq!(&flat.bytes[0x100..], &b[..]);
}

#[test]
fn kernel_style_elf_flattens_at_its_own_base() {
    // Linked in KSEG like the kernel: flatten_elf takes it, the SRM boot
    // program check does not.
    let kseg = 0xffff_fc00_0031_0000u64;
    let elf = Elf::new(kseg, vec![Seg::load(kseg, &pattern(256, 5), 4096)]).build();
    let flat = flatten_elf(&elf).unwrap();
    assert_eq!((flat.base, flat.bytes.len()), (kseg, 4096));
    let e = boot_program_from_elf(&elf).unwrap_err();
    assert_eq!(
        e,
        ImageError::WrongLoadAddress {
            base: kseg,
            entry: kseg
        }
    );
    assert!(
        e.to_string().contains("link the boot stub at 0x20000000"),
        "{e}"
    );
}

#[test]
fn empty_memsz_segments_are_skipped() {
    let elf = Elf::new(
        BASE,
        vec![
            Seg::load(BASE - 0x1000, &[], 0),
            Seg::load(BASE, &[1, 2, 3, 4], 4),
        ],
    )
    .build();
    assert_eq!(boot_program_from_elf(&elf).unwrap().bytes, vec![1, 2, 3, 4]);
}

#[test]
fn boot_program_input_kinds() {
    let elf = Elf::new(BASE, vec![Seg::load(BASE, &[9; 10], 20)]).build();
    assert_eq!(
        BootProgram::Elf(&elf).flat_bytes().unwrap(),
        [[9u8; 10].as_slice(), &[0; 10]].concat()
    );
    assert_eq!(BootProgram::Flat(&[7; 3]).flat_bytes().unwrap(), vec![7; 3]);
    assert_eq!(
        BootProgram::Flat(&[]).flat_bytes(),
        Err(ImageError::EmptyProgram)
    );
}

fn good() -> Elf {
    Elf::new(BASE, vec![Seg::load(BASE, &pattern(128, 7), 256)])
}

fn refused(elf: &[u8]) -> (ImageError, String) {
    let e = flatten_elf(elf).unwrap_err();
    let m = e.to_string();
    (e, m)
}

#[test]
fn refuses_non_elf() {
    for bytes in [
        &b""[..],
        b"\x7fEL",
        b"MZ\x90\x00 not an elf at all",
        &[0u8; 64],
    ] {
        let (e, m) = refused(bytes);
        assert_eq!(e, ImageError::NotElf);
        assert!(m.contains("not an ELF"));
    }
}

#[test]
fn refuses_32_bit() {
    let mut elf = good();
    elf.class = 1;
    let (e, m) = refused(&elf.build());
    assert_eq!(e, ImageError::NotElf64 { class: 1 });
    assert!(m.contains("not a 64-bit ELF"), "{m}");
}

#[test]
fn refuses_big_endian() {
    let mut elf = good();
    elf.data_enc = 2;
    let (e, m) = refused(&elf.build());
    assert_eq!(e, ImageError::NotLittleEndian { data: 2 });
    assert!(m.contains("not a little-endian ELF"), "{m}");
}

#[test]
fn refuses_other_machines() {
    for machine in [
        62u16, /* x86-64 */
        41,    /* the gABI number for Alpha, which Alpha toolchains do not write */
        0,
    ] {
        let mut elf = good();
        elf.machine = machine;
        let (e, m) = refused(&elf.build());
        assert_eq!(e, ImageError::NotAlpha { machine });
        assert!(m.contains("EM_ALPHA = 0x9026"), "{m}");
    }
}

#[test]
fn refuses_objects_and_shared_objects() {
    for e_type in [1u16, 3] {
        let mut elf = good();
        elf.e_type = e_type;
        let (e, m) = refused(&elf.build());
        assert_eq!(e, ImageError::NotExecutable { e_type });
        assert!(m.contains("ET_EXEC"), "{m}");
    }
}

#[test]
fn refuses_truncated_header() {
    let elf = good().build();
    let (e, m) = refused(&elf[..40]);
    assert!(matches!(e, ImageError::ElfTruncated(_)), "{e:?}");
    assert!(m.contains("truncated") && m.contains("64-byte"), "{m}");
}

#[test]
fn refuses_truncated_program_headers() {
    let elf = good().build();
    let (e, m) = refused(&elf[..64 + 30]);
    assert!(matches!(e, ImageError::ElfTruncated(_)), "{e:?}");
    assert!(m.contains("program headers"), "{m}");
}

#[test]
fn refuses_bad_phentsize() {
    let mut elf = good();
    elf.phentsize = 32;
    let (e, m) = refused(&elf.build());
    assert_eq!(e, ImageError::BadProgramHeaderSize { phentsize: 32 });
    assert!(m.contains("expected 56"), "{m}");
}

#[test]
fn refuses_no_loadable_segment() {
    let only_note = Elf::new(
        BASE,
        vec![Seg {
            p_type: PT_NOTE,
            vaddr: 0,
            data: vec![1; 8],
            memsz: 8,
        }],
    );
    for elf in [
        Elf::new(BASE, vec![]),
        only_note,
        Elf::new(BASE, vec![Seg::load(BASE, &[], 0)]),
    ] {
        let (e, m) = refused(&elf.build());
        assert_eq!(e, ImageError::NoLoadableSegment);
        assert!(m.contains("no PT_LOAD"), "{m}");
    }
}

#[test]
fn refuses_filesz_above_memsz() {
    let elf = Elf::new(BASE, vec![Seg::load(BASE, &[1; 100], 50)]).build();
    let (e, m) = refused(&elf);
    assert_eq!(
        e,
        ImageError::SegmentFileSizeExceedsMemSize {
            index: 0,
            filesz: 100,
            memsz: 50
        }
    );
    assert!(
        m.contains("p_filesz 0x64 is larger than p_memsz 0x32"),
        "{m}"
    );
}

#[test]
fn refuses_segment_outside_file() {
    let mut elf = good().build();
    let len = elf.len() as u64;
    elf[phdr_field(0, 8)..phdr_field(0, 16)].copy_from_slice(&(len - 10).to_le_bytes());
    let (e, m) = refused(&elf);
    assert!(
        matches!(e, ImageError::SegmentOutsideFile { index: 0, .. }),
        "{e:?}"
    );
    assert!(m.contains("outside the"), "{m}");
    // An offset so large that offset + filesz overflows.
    elf[phdr_field(0, 8)..phdr_field(0, 16)].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        flatten_elf(&elf),
        Err(ImageError::SegmentOutsideFile { .. })
    ));
}

#[test]
fn refuses_address_overflow() {
    let top = u64::MAX - 10;
    let elf = Elf::new(top, vec![Seg::load(top, &[1; 4], 100)]).build();
    let (e, m) = refused(&elf);
    assert!(
        matches!(e, ImageError::SegmentAddressOverflow { index: 0, .. }),
        "{e:?}"
    );
    assert!(m.contains("overflows"), "{m}");
}

#[test]
fn refuses_overlapping_segments() {
    let elf = Elf::new(
        BASE,
        vec![
            Seg::load(BASE, &[1; 64], 0x200),
            Seg::load(BASE + 0x100, &[2; 8], 8),
        ],
    )
    .build();
    let (e, m) = refused(&elf);
    assert_eq!(
        e,
        ImageError::SegmentsOverlap {
            first: 0,
            second: 1
        }
    );
    assert!(m.contains("overlap"), "{m}");
}

#[test]
fn refuses_entry_outside_loaded_bytes() {
    // In the bss (memsz but no file bytes), and past the end.
    for entry in [BASE + 200, BASE + 0x10000, BASE - 8] {
        let mut elf = good();
        elf.entry = entry;
        let (e, m) = refused(&elf.build());
        assert_eq!(e, ImageError::EntryOutsideImage { entry });
        assert!(m.contains("entry point"), "{m}");
    }
}

#[test]
fn refuses_spans_over_the_limit_without_allocating() {
    // Two tiny segments 1 TiB apart: refused from the header alone.
    let elf = Elf::new(
        BASE,
        vec![
            Seg::load(BASE, &[1; 8], 8),
            Seg::load(BASE + (1 << 40), &[2; 8], 8),
        ],
    )
    .build();
    let (e, m) = refused(&elf);
    assert_eq!(
        e,
        ImageError::ProgramTooLarge {
            bytes: (1 << 40) + 8
        }
    );
    assert!(m.contains("limit"), "{m}");
    // Exactly at the limit is fine (bss makes up the size).
    let at = Elf::new(BASE, vec![Seg::load(BASE, &[1; 8], MAX_BOOT_PROGRAM_BYTES)]).build();
    assert_eq!(
        flatten_elf(&at).unwrap().bytes.len() as u64,
        MAX_BOOT_PROGRAM_BYTES
    );
    let over = Elf::new(
        BASE,
        vec![Seg::load(BASE, &[1; 8], MAX_BOOT_PROGRAM_BYTES + 1)],
    )
    .build();
    assert!(matches!(
        flatten_elf(&over),
        Err(ImageError::ProgramTooLarge { .. })
    ));
}

#[test]
fn boot_program_refuses_entry_not_first() {
    let mut elf = good();
    elf.entry = BASE + 16;
    let elf = elf.build();
    assert_eq!(flatten_elf(&elf).unwrap().entry_offset(), 16);
    let e = boot_program_from_elf(&elf).unwrap_err();
    assert_eq!(
        e,
        ImageError::EntryNotFirstByte {
            entry: BASE + 16,
            base: BASE
        }
    );
    assert!(e.to_string().contains("SRM jumps to the first byte"), "{e}");
}

#[test]
fn boot_program_refuses_headers_below_load_address() {
    // ELF headers mapped in the first segment put its base below
    // 0x20000000 even with the entry point at 0x20000000.
    let elf = Elf::new(
        BASE,
        vec![Seg::load(BASE - 0x1000, &pattern(0x1100, 1), 0x1100)],
    )
    .build();
    let e = boot_program_from_elf(&elf).unwrap_err();
    assert_eq!(
        e,
        ImageError::WrongLoadAddress {
            base: BASE - 0x1000,
            entry: BASE
        }
    );
    assert!(e.to_string().contains("ld -N"), "{e}");
}
