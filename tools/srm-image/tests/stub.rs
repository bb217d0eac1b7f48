//! The SRM boot program: stub + header + kernel (header fields, round
//! trips, every refusal), the QEMU test ELF, ELF symbol lookup, the CLI
//! commands, and the real stub when tools/build-srm-stub.sh has built it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Elf, Seg, pattern, scratch};
use srm_image::stub::{HANDOFF_MAGIC, PAGE_SIZE, QEMU_CMDLINE_BELOW, header_summary};
use srm_image::{
    ImageError, KSEG_BASE, MAX_BOOT_PROGRAM_BYTES, SRM_LOAD_ADDRESS, STUB_HEADER_SIZE, STUB_MAGIC,
    StubHeader, build_bootp_image, build_srm_boot_program, elf_symbol, find_stub_header,
    flatten_elf, kernel_checksum, kernel_payload_from_elf, qemu_test_elf, read_srm_boot_program,
};

const KBASE: u64 = KSEG_BASE + 0x31_0000;

/// A stub's flat bytes: `code_len` bytes of "code", then the empty header.
fn stub_bytes(code_len: usize) -> Vec<u8> {
    assert_eq!(code_len % 64, 0);
    let mut b = pattern(code_len, 5);
    b.extend_from_slice(&STUB_MAGIC);
    b.extend_from_slice(&64u64.to_le_bytes());
    b.resize(code_len + STUB_HEADER_SIZE, 0);
    b
}

fn stub_elf(bytes: &[u8]) -> Vec<u8> {
    Elf::new(SRM_LOAD_ADDRESS, vec![Seg::load(SRM_LOAD_ADDRESS, bytes, bytes.len() as u64)]).build()
}

/// Appends a symbol table (`.symtab` + `.strtab` + a null section) to an
/// ELF built by `common::Elf` and points the ELF header at it.
fn with_symbols(mut elf: Vec<u8>, syms: &[(&str, u64)]) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24]; // the null symbol
    for (name, value) in syms {
        let off = strtab.len() as u32;
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        let mut s = [0u8; 24];
        s[..4].copy_from_slice(&off.to_le_bytes());
        s[4] = 0x10; // STB_GLOBAL, STT_NOTYPE
        s[6..8].copy_from_slice(&0xfff1u16.to_le_bytes()); // SHN_ABS
        s[8..16].copy_from_slice(&value.to_le_bytes());
        symtab.extend_from_slice(&s);
    }
    elf.resize(elf.len().next_multiple_of(8), 0);
    let str_off = elf.len() as u64;
    elf.extend_from_slice(&strtab);
    elf.resize(elf.len().next_multiple_of(8), 0);
    let sym_off = elf.len() as u64;
    elf.extend_from_slice(&symtab);
    elf.resize(elf.len().next_multiple_of(8), 0);
    let shoff = elf.len() as u64;
    let shdr = |ty: u32, off: u64, size: u64, link: u32| {
        let mut h = [0u8; 64];
        h[4..8].copy_from_slice(&ty.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h[40..44].copy_from_slice(&link.to_le_bytes());
        h
    };
    elf.extend_from_slice(&[0u8; 64]);
    elf.extend_from_slice(&shdr(3, str_off, strtab.len() as u64, 0)); // SHT_STRTAB
    elf.extend_from_slice(&shdr(2, sym_off, symtab.len() as u64, 1)); // SHT_SYMTAB -> 1
    elf[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    elf[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    elf[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    elf
}

/// A kernel like ours: text at KBASE, data with bss after a gap, entry at
/// the first byte, and (optionally) `__image_end` / `__cmdline` symbols.
fn kernel_elf(text_len: usize, data_len: usize, bss: u64, symbols: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let text = pattern(text_len, 11);
    let data = pattern(data_len, 23);
    let data_va = KBASE + 0x4000;
    let elf = Elf::new(
        KBASE,
        vec![Seg::load(KBASE, &text, text_len as u64), Seg::load(data_va, &data, data_len as u64 + bss)],
    )
    .build();
    let elf = if symbols {
        with_symbols(elf, &[("__image_end", data_va + data_len as u64 + bss + 0x10000), ("__cmdline", KBASE - 0x6000)])
    } else {
        elf
    };
    (elf, text, data)
}

#[test]
fn header_fields_and_round_trip() {
    let stub = stub_bytes(512);
    let (kelf, text, data) = kernel_elf(1000, 77, 300, true);
    let p = build_srm_boot_program(&stub_elf(&stub), &kelf).unwrap();
    assert_eq!(p.header_offset, 512);
    // The kernel: text, zero gap, data, padded to 8; no bss carried.
    let mut kernel = text.clone();
    kernel.resize(0x4000, 0);
    kernel.extend_from_slice(&data);
    kernel.resize(kernel.len().next_multiple_of(8), 0);
    assert_eq!(p.kernel(), &kernel[..]);
    assert_eq!(
        p.header,
        StubHeader {
            kernel_len: kernel.len() as u64,
            load_address: KBASE,
            entry: KBASE,
            image_end: KBASE + 0x4000 + 77 + 300 + 0x10000,
            cmdline_page: KBASE - 0x6000,
            checksum: kernel_checksum(&kernel),
        }
    );
    // The bytes: stub code, the header as the stub reads it, the kernel.
    assert_eq!(&p.bytes[..512], &stub[..512]);
    let h = &p.bytes[512..576];
    assert_eq!(&h[..8], b"SRMSTUB1");
    let q = |i: usize| u64::from_le_bytes(h[8 * i..8 * i + 8].try_into().unwrap());
    assert_eq!(
        [q(1), q(2), q(3), q(4), q(5), q(6), q(7)],
        [64, kernel.len() as u64, KBASE, KBASE, p.header.image_end, KBASE - 0x6000, p.header.checksum]
    );
    assert_eq!(&p.bytes[576..], &kernel[..]);
    assert_eq!(p.header.destination(), (0x31_0000, 0x31_0000 + kernel.len() as u64));
    assert_eq!(read_srm_boot_program(&p.bytes).unwrap(), p);
    assert!(header_summary(&p.header).contains("entry 0xfffffc0000310000"));
}

#[test]
fn without_symbols_the_conventions_are_used() {
    let (kelf, _, _) = kernel_elf(1000, 77, 300, false);
    let k = kernel_payload_from_elf(&kelf).unwrap();
    assert!(!k.image_end_from_symbol && !k.cmdline_from_symbol);
    assert_eq!(k.cmdline_page, KBASE - QEMU_CMDLINE_BELOW);
    assert_eq!(k.image_end, (KBASE + 0x4000 + 377).next_multiple_of(PAGE_SIZE));
    let (kelf, _, _) = kernel_elf(1000, 77, 300, true);
    let k = kernel_payload_from_elf(&kelf).unwrap();
    assert!(k.image_end_from_symbol && k.cmdline_from_symbol);
}

#[test]
fn checksum_vectors() {
    assert_eq!(kernel_checksum(&[]), 0);
    assert_eq!(kernel_checksum(&[0; 64]), 0);
    assert_eq!(kernel_checksum(&[1, 0, 0, 0, 0, 0, 0, 0]), 1);
    assert_eq!(kernel_checksum(&[0, 0, 0, 0, 0, 0, 0, 1]), 1 << 56, "little-endian");
    let mut wrap = u64::MAX.to_le_bytes().to_vec();
    wrap.extend_from_slice(&2u64.to_le_bytes());
    assert_eq!(kernel_checksum(&wrap), 1, "wrapping");
    assert_eq!(kernel_checksum(&[5, 0, 0]), 5, "a partial quadword counts zero-padded");
}

#[test]
fn stub_refusals() {
    let (kelf, _, _) = kernel_elf(256, 64, 0, true);
    // No header at all.
    let e = build_srm_boot_program(&stub_elf(&pattern(640, 3)), &kelf).unwrap_err();
    assert_eq!(e, ImageError::NotAStub);
    assert!(e.to_string().contains("tools/build-srm-stub.sh"));
    // A magic that is not at a 64-byte boundary does not count.
    let mut odd = pattern(600, 3);
    odd.extend_from_slice(&STUB_MAGIC);
    odd.extend_from_slice(&64u64.to_le_bytes());
    odd.resize(700, 0);
    assert_eq!(find_stub_header(&odd), Err(ImageError::NotAStub));
    // Already filled: a boot program given as the stub.
    let p = build_srm_boot_program(&stub_elf(&stub_bytes(256)), &kelf).unwrap();
    let e = build_srm_boot_program(&stub_elf(&p.bytes), &kelf).unwrap_err();
    assert_eq!(e, ImageError::StubAlreadyFilled);
    // Something after the header.
    let mut s = stub_bytes(256);
    s.extend_from_slice(&[0, 0, 7]);
    assert_eq!(find_stub_header(&s), Err(ImageError::StubHeaderNotLast { offset: 256 + 64 + 2 }));
    // Zero padding after it is dropped.
    let mut s = stub_bytes(256);
    s.extend_from_slice(&[0; 64]);
    assert_eq!(find_stub_header(&s), Ok(256));
    // A stub not linked at 0x20000000.
    let elsewhere = Elf::new(0x1000_0000, vec![Seg::load(0x1000_0000, &stub_bytes(256), 320)]).build();
    assert!(matches!(
        build_srm_boot_program(&elsewhere, &kelf).unwrap_err(),
        ImageError::WrongLoadAddress { base: 0x1000_0000, .. }
    ));
}

#[test]
fn kernel_refusals() {
    let stub = stub_elf(&stub_bytes(256));
    let at = |base: u64| Elf::new(base, vec![Seg::load(base, &pattern(512, 1), 512)]).build();
    // Not in KSEG (a program linked at 0x20000000, or just below KSEG).
    for base in [SRM_LOAD_ADDRESS, KSEG_BASE - 0x10_0000] {
        let e = build_srm_boot_program(&stub, &at(base)).unwrap_err();
        assert_eq!(e, ImageError::KernelNotInKseg { base });
        assert!(e.to_string().contains("linker/kernel.ld"));
    }
    // Not quadword aligned.
    assert_eq!(
        build_srm_boot_program(&stub, &at(KBASE + 4)).unwrap_err(),
        ImageError::KernelMisaligned { base: KBASE + 4 }
    );
    // A command-line page that overlaps the kernel, is unaligned, or is not KSEG.
    for cmdline in [KBASE - 0x1000, KBASE - 0x5000 - 8, 0x30_a000] {
        let elf = with_symbols(at(KBASE), &[("__cmdline", cmdline)]);
        assert_eq!(
            build_srm_boot_program(&stub, &elf).unwrap_err(),
            ImageError::KernelCmdlinePage { cmdline, base: KBASE }
        );
    }
    // The convention needs room below: a kernel at KSEG + 0x2000 has none.
    assert!(matches!(
        build_srm_boot_program(&stub, &at(KSEG_BASE + 0x2000)).unwrap_err(),
        ImageError::KernelCmdlinePage { .. }
    ));
    // Not an ELF, or a damaged one: flatten_elf's refusals come through.
    assert_eq!(build_srm_boot_program(&stub, b"not an elf").unwrap_err(), ImageError::NotElf);
    // Stub + kernel over the 8 MiB boot program limit.
    let big = MAX_BOOT_PROGRAM_BYTES as usize - 128;
    let elf = Elf::new(KBASE, vec![Seg::load(KBASE, &vec![1u8; big], big as u64)]).build();
    assert!(matches!(
        build_srm_boot_program(&stub, &elf).unwrap_err(),
        ImageError::ProgramTooLarge { .. }
    ));
}

#[test]
fn reading_back_refuses_damage() {
    let (kelf, _, _) = kernel_elf(3000, 500, 100, true);
    let p = build_srm_boot_program(&stub_elf(&stub_bytes(384)), &kelf).unwrap();
    let k0 = p.header_offset + STUB_HEADER_SIZE;
    // Cut short, as a console that reads fewer blocks would leave it.
    let cut = &p.bytes[..p.bytes.len() - 8];
    assert_eq!(
        read_srm_boot_program(cut).unwrap_err(),
        ImageError::KernelTruncated { len: cut.len() as u64, needed: p.bytes.len() as u64 }
    );
    // One bit changed anywhere in the kernel.
    for i in [0, 1, 777, p.header.kernel_len as usize - 1] {
        let mut b = p.bytes.clone();
        b[k0 + i] ^= 0x40;
        assert!(matches!(read_srm_boot_program(&b).unwrap_err(), ImageError::KernelChecksum { .. }), "byte {i}");
    }
    // Zero padding after the kernel is fine (BOOTP images, disk blocks); data is not.
    let img = build_bootp_image(&p.bytes).unwrap();
    assert!(img.len() > p.bytes.len());
    assert_eq!(read_srm_boot_program(&img).unwrap().header, p.header);
    let mut b = img.clone();
    *b.last_mut().unwrap() = 1;
    assert_eq!(
        read_srm_boot_program(&b).unwrap_err(),
        ImageError::KernelTrailingBytes { offset: img.len() as u64 - 1 }
    );
    // No filled header: the bare stub, or anything else.
    assert_eq!(read_srm_boot_program(&stub_bytes(384)).unwrap_err(), ImageError::NotSrmBootProgram);
    assert_eq!(read_srm_boot_program(&pattern(4096, 9)).unwrap_err(), ImageError::NotSrmBootProgram);
    // Header addresses the stub would refuse: each field spoiled in turn
    // (checksum left right, so only the address check can object).
    for (field, value) in [(3, SRM_LOAD_ADDRESS), (4, KBASE - 8), (5, KBASE), (6, KBASE), (6, KBASE - 0x6008), (2, 12)] {
        let mut b = p.bytes.clone();
        let at = p.header_offset + 8 * field;
        b[at..at + 8].copy_from_slice(&value.to_le_bytes());
        let e = read_srm_boot_program(&b).unwrap_err();
        assert!(
            matches!(e, ImageError::BadStubHeader(_) | ImageError::KernelChecksum { .. } | ImageError::KernelTrailingBytes { .. }),
            "field {field} = {value:#x}: {e}"
        );
        if field != 2 {
            assert!(matches!(e, ImageError::BadStubHeader(_)), "field {field}: {e}");
        }
    }
}

#[test]
fn qemu_elf_round_trip_and_refusals() {
    let (kelf, _, _) = kernel_elf(1000, 100, 0, true);
    let p = build_srm_boot_program(&stub_elf(&stub_bytes(256)), &kelf).unwrap();
    for phys in [0x10_0000, 0x38_0000, 0x100_0000] {
        let elf = qemu_test_elf(&p.bytes, phys).unwrap();
        let flat = flatten_elf(&elf).unwrap();
        assert_eq!((flat.base, flat.entry), (KSEG_BASE + phys, KSEG_BASE + phys));
        assert_eq!(flat.bytes, p.bytes);
        assert_eq!(flat.segments.len(), 1);
        assert_eq!(flat.segments[0].flags, 7);
    }
    for (phys, why) in [(0x10_0001, "8 KiB"), (0x8_0000, "below 1 MiB"), (0x3ff_ffff_e000, "2 TiB")] {
        let e = qemu_test_elf(&p.bytes, phys).unwrap_err();
        assert!(e.to_string().contains(why), "{phys:#x}: {e}");
    }
    assert_eq!(qemu_test_elf(&[], 0x10_0000).unwrap_err(), ImageError::EmptyProgram);
}

#[test]
fn symbol_lookup() {
    let (kelf, _, _) = kernel_elf(100, 8, 0, true);
    assert_eq!(elf_symbol(&kelf, "__cmdline"), Some(KBASE - 0x6000));
    assert!(elf_symbol(&kelf, "__image_end").is_some());
    assert_eq!(elf_symbol(&kelf, "__image"), None, "whole names only");
    assert_eq!(elf_symbol(&kelf, "missing"), None);
    let (plain, _, _) = kernel_elf(100, 8, 0, false);
    assert_eq!(elf_symbol(&plain, "__cmdline"), None);
    // A table past the end of the file is ignored, not trusted or panicked on.
    let cut = &kelf[..kelf.len() - 100];
    assert_eq!(elf_symbol(cut, "__cmdline"), None);
    assert_eq!(elf_symbol(b"\x7fELF", "x"), None);
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srm-image")).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_srm_boot_images_and_qemu_elf() {
    let dir = scratch("cli-stub");
    let (kelf, _, _) = kernel_elf(2000, 300, 100, true);
    std::fs::write(dir.join("stub.elf"), stub_elf(&stub_bytes(448))).unwrap();
    std::fs::write(dir.join("kernel.elf"), &kelf).unwrap();
    let (st, k) = (dir.join("stub.elf"), dir.join("kernel.elf"));
    let o = run(&["srm-boot", "--stub", s(&st), "--kernel", s(&k), "-o", s(&dir.join("boot.bin"))]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("header at offset 0x1c0") && out.contains("kernel checksum matches"), "{out}");
    let bin = std::fs::read(dir.join("boot.bin")).unwrap();
    assert_eq!(bin, build_srm_boot_program(&std::fs::read(&st).unwrap(), &kelf).unwrap().bytes);

    // bootp and disk take the same --stub/--kernel, and the checks report the kernel.
    for (cmd, check, file) in [("bootp", "check-bootp", "boot.bootp"), ("disk", "check-disk", "disk.img")] {
        let o = run(&[cmd, "--stub", s(&st), "--kernel", s(&k), "-o", s(&dir.join(file))]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = run(&[check, s(&dir.join(file))]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && out.contains("SRM boot stub (448 bytes) carrying a kernel, checksum verified"), "{out}");
    }
    // A BOOTP image whose kernel was damaged is refused by the check.
    let mut img = std::fs::read(dir.join("boot.bootp")).unwrap();
    img[448 + 64 + 10] ^= 1;
    std::fs::write(dir.join("bad.bootp"), &img).unwrap();
    let o = run(&["check-bootp", s(&dir.join("bad.bootp"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("damaged"));
    // A plain program is not an error for the checks, just described.
    let o = run(&["bootp", "--flat", s(&dir.join("kernel.elf")), "-o", s(&dir.join("plain.bootp"))]);
    assert!(o.status.success());
    let o = run(&["check-bootp", s(&dir.join("plain.bootp"))]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("no SRM boot stub header"));

    // qemu-elf from --stub/--kernel and from --flat give the same ELF.
    let o = run(&["qemu-elf", "--stub", s(&st), "--kernel", s(&k), "--at", "0x1000000", "-o", s(&dir.join("a.elf"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["qemu-elf", "--flat", s(&dir.join("boot.bin")), "--at", "16777216", "-o", s(&dir.join("b.elf"))]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("at 0xfffffc0001000000 (physical 0x1000000)"));
    assert_eq!(std::fs::read(dir.join("a.elf")).unwrap(), std::fs::read(dir.join("b.elf")).unwrap());
    let o = run(&["qemu-elf", "--flat", s(&dir.join("boot.bin")), "--at", "0x2000", "-o", s(&dir.join("c.elf"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("below 1 MiB"));
}

#[test]
fn cli_refusals_and_usage() {
    let dir = scratch("cli-stub-bad");
    let (kelf, _, _) = kernel_elf(500, 8, 0, true);
    std::fs::write(dir.join("stub.elf"), stub_elf(&stub_bytes(128))).unwrap();
    std::fs::write(dir.join("kernel.elf"), &kelf).unwrap();
    let (st, k, out) = (dir.join("stub.elf"), dir.join("kernel.elf"), dir.join("o"));
    // Swapped: the kernel as the stub is refused naming the kernel's file.
    let o = run(&["srm-boot", "--stub", s(&k), "--kernel", s(&st), "-o", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("kernel.elf") && err.contains("0x20000000"), "{err}");
    // The stub as the kernel.
    let o = run(&["srm-boot", "--stub", s(&st), "--kernel", s(&st), "-o", s(&out)]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not in KSEG"));
    assert!(!out.exists(), "nothing written on refusal");
    // Usage errors.
    for args in [
        vec!["srm-boot", "--stub", s(&st), "-o", s(&out)],
        vec!["bootp", "--stub", s(&st), "-o", s(&out)],
        vec!["bootp", "--kernel", s(&k), "-o", s(&out)],
        vec!["bootp", "--stub", s(&st), "--kernel", s(&k), "--flat", s(&k), "-o", s(&out)],
        vec!["qemu-elf", "--flat", s(&k), "-o", s(&out)],
        vec!["qemu-elf", "--flat", s(&k), "--at", "lots", "-o", s(&out)],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// The real stub, when tools/build-srm-stub.sh (run by tools/build-kernel.sh,
/// hence by tools/test.sh before these tests) has built it: its header is
/// found, empty and last, and it is linked where SRM puts it.
#[test]
fn the_real_stub_if_built() {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "target", "alpha-unknown-none", "release", "srm-stub.elf"]
        .iter()
        .collect();
    let Ok(elf) = std::fs::read(&path) else {
        eprintln!("skipped: {} not built (tools/build-srm-stub.sh)", path.display());
        return;
    };
    let flat = srm_image::boot_program_from_elf(&elf).unwrap();
    let off = find_stub_header(&flat.bytes).unwrap();
    assert_eq!(off + STUB_HEADER_SIZE, flat.bytes.len(), "the header is the stub's last 64 bytes");
    assert!(flat.bytes.len() < 0x8000, "PC-relative lda reaches 32 KiB");
    // The stub knows the handoff magic the kernel looks for.
    assert!(flat.bytes.windows(8).any(|w| w == HANDOFF_MAGIC));
}
