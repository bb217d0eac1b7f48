//! `srm-image`: build and check DEC Alpha SRM boot images.
//!
//! ```text
//! srm-image srm-boot --stub STUB.elf --kernel KERNEL.elf -o OUT
//! srm-image disk    PROGRAM -o OUT [--start-lbn N] [--base IMAGE]
//! srm-image bootp   PROGRAM -o OUT
//! srm-image qemu-elf PROGRAM --at PHYS -o OUT
//! srm-image flatten --elf FILE -o OUT
//! srm-image check-disk IMAGE
//! srm-image check-bootp IMAGE
//! ```
//!
//! Exit status: 0 done (and verified), 1 refused or failed (the message says
//! why), 2 bad command line.

use std::path::PathBuf;
use std::process::ExitCode;

use srm_image::stub::{STUB_HEADER_SIZE, header_summary};
use srm_image::{
    BootProgram, DEFAULT_START_LBN, DiskImageOptions, ImageError, MAX_BOOT_PROGRAM_BYTES,
    SECTOR_SIZE, SRM_LOAD_ADDRESS, STUB_MAGIC, build_srm_boot_program, flatten_elf,
    qemu_test_elf, read_bootp_image, read_disk_image, read_srm_boot_program, write_bootp_image,
    write_disk_image,
};

const USAGE: &str = "\
usage:
  srm-image srm-boot --stub STUB.elf --kernel KERNEL.elf -o OUT
      The boot program SRM loads: the boot stub (tools/build-srm-stub.sh) with
      the kernel attached after its header (length, addresses, checksum).
  srm-image disk    PROGRAM -o OUT [--start-lbn N] [--base IMAGE]
      Disk image for `boot dka0` / `boot dqa0`: boot block in sector 0, the
      boot program from LBN N (default 1). --base IMAGE keeps every byte of
      IMAGE (e.g. a copy of the disk's sector 0 with its disklabel) except
      the boot fields and the program's blocks; a disklabel is checked.
  srm-image bootp   PROGRAM -o OUT
      BOOTP image for `boot ewa0 -protocols bootp`: the flat boot program,
      zero-padded to 512 bytes.
  srm-image qemu-elf PROGRAM --at PHYS -o OUT
      An ELF that QEMU's -kernel loads at KSEG + PHYS (page-aligned, at least
      1 MiB) and enters at the program's first byte: runs the stub in QEMU.
  srm-image flatten --elf FILE -o OUT
      Flat memory image of any ELF64 Alpha executable (PT_LOAD segments from
      the lowest address, gaps and bss zero-filled), e.g. the kernel for the
      boot stub to carry.
  srm-image check-disk IMAGE
  srm-image check-bootp IMAGE
      Read an image back and check it as SRM would.

PROGRAM is one of: --stub STUB.elf --kernel KERNEL.elf (built as by srm-boot);
--elf FILE, an ELF64 Alpha executable linked at 0x20000000 with its entry
point there; --flat FILE, bytes to be placed at 0x20000000 as they are.
Boot programs are limited to 8 MiB (see tools/srm-image/README.md).";

enum Failure {
    Usage(String),
    Refused(ImageError),
}

impl From<ImageError> for Failure {
    fn from(e: ImageError) -> Self {
        Failure::Refused(e)
    }
}

fn usage<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(msg.into()))
}

#[derive(Default)]
struct Opts {
    elf: Option<PathBuf>,
    flat: Option<PathBuf>,
    out: Option<PathBuf>,
    start_lbn: Option<u64>,
    base: Option<PathBuf>,
    stub: Option<PathBuf>,
    kernel: Option<PathBuf>,
    at: Option<u64>,
    positional: Vec<PathBuf>,
}

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_opts(args: &[String], allowed: &[&str]) -> Result<Opts, Failure> {
    let mut o = Opts::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !a.starts_with('-') {
            o.positional.push(a.into());
            continue;
        }
        if !allowed.contains(&a.as_str()) {
            return usage(format!("unknown option {a} for this command"));
        }
        let Some(v) = it.next() else {
            return usage(format!("{a} needs a value"));
        };
        match a.as_str() {
            "--elf" => o.elf = Some(v.into()),
            "--flat" => o.flat = Some(v.into()),
            "-o" | "--output" => o.out = Some(v.into()),
            "--base" => o.base = Some(v.into()),
            "--stub" => o.stub = Some(v.into()),
            "--kernel" => o.kernel = Some(v.into()),
            "--at" => match parse_u64(v) {
                Some(n) => o.at = Some(n),
                None => return usage(format!("--at {v}: not a number")),
            },
            "--start-lbn" => match parse_u64(v) {
                Some(n) => o.start_lbn = Some(n),
                None => return usage(format!("--start-lbn {v}: not a number")),
            },
            _ => unreachable!(),
        }
    }
    Ok(o)
}

fn read(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure::Refused(ImageError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    })
}

/// The boot program from --stub and --kernel: stub + header + kernel.
fn stub_program(stub: &PathBuf, kernel: &PathBuf) -> Result<Vec<u8>, Failure> {
    let stub_elf = read(stub)?;
    let kernel_elf = read(kernel)?;
    if let Err(e) = srm_image::boot_program_from_elf(&stub_elf).and_then(|f| srm_image::find_stub_header(&f.bytes)) {
        return Err(in_file(stub, e));
    }
    if let Err(e) = srm_image::kernel_payload_from_elf(&kernel_elf) {
        return Err(in_file(kernel, e));
    }
    let p = build_srm_boot_program(&stub_elf, &kernel_elf)?;
    println!(
        "{} + {}: boot program {} bytes: stub {} bytes, header at offset {:#x}, {}",
        stub.display(),
        kernel.display(),
        p.bytes.len(),
        p.header_offset,
        p.header_offset,
        header_summary(&p.header)
    );
    Ok(p.bytes)
}

/// The flat boot program from --stub/--kernel, --elf or --flat (exactly one).
fn program(o: &Opts) -> Result<Vec<u8>, Failure> {
    match (&o.stub, &o.kernel) {
        (Some(s), Some(k)) if o.elf.is_none() && o.flat.is_none() => return stub_program(s, k),
        (Some(_), Some(_)) => return usage("give --stub and --kernel, or --elf, or --flat: only one program"),
        (Some(_), None) => return usage("--stub needs --kernel KERNEL.elf"),
        (None, Some(_)) => return usage("--kernel needs --stub STUB.elf"),
        (None, None) => {}
    }
    match (&o.elf, &o.flat) {
        (Some(p), None) => {
            let bytes = read(p)?;
            let flat = BootProgram::Elf(&bytes)
                .flat_bytes()
                .map_err(|e| in_file(p, e))?;
            println!(
                "{}: ELF linked at {SRM_LOAD_ADDRESS:#x}, flat image {} bytes (bss and gaps zero-filled)",
                p.display(),
                flat.len()
            );
            Ok(flat)
        }
        (None, Some(p)) => {
            let bytes = read(p)?;
            Ok(BootProgram::Flat(&bytes)
                .flat_bytes()
                .map_err(|e| in_file(p, e))?)
        }
        (Some(_), Some(_)) => usage("give either --elf or --flat, not both"),
        (None, None) => usage("give the boot program with --stub FILE --kernel FILE, --elf FILE or --flat FILE"),
    }
}

fn in_file(p: &std::path::Path, e: ImageError) -> Failure {
    match e {
        ImageError::Io { .. } => Failure::Refused(e),
        e => Failure::Refused(ImageError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        }),
    }
}

fn output(o: &Opts) -> Result<PathBuf, Failure> {
    o.out
        .clone()
        .map_or_else(|| usage("give the output file with -o OUT"), Ok)
}

fn no_positional(o: &Opts) -> Result<(), Failure> {
    match o.positional.first() {
        Some(p) => usage(format!("unexpected argument {}", p.display())),
        None => Ok(()),
    }
}

const PROGRAM_OPTS: [&str; 4] = ["--elf", "--flat", "--stub", "--kernel"];

fn with_program(extra: &[&'static str]) -> Vec<&'static str> {
    PROGRAM_OPTS.iter().chain(extra).copied().collect()
}

/// For the check commands: describe the stub and kernel a program carries,
/// if it carries one (a damaged one is refused).
fn describe_carried_kernel(path: &std::path::Path, program: &[u8]) -> Result<(), Failure> {
    let has_header = program
        .chunks(STUB_HEADER_SIZE)
        .any(|c| c.len() >= 24 && c[..8] == STUB_MAGIC && c[16..24] != [0; 8]);
    if !has_header {
        println!("  no SRM boot stub header: not a program made by `srm-image srm-boot`");
        return Ok(());
    }
    let p = read_srm_boot_program(program).map_err(|e| in_file(path, e))?;
    println!(
        "  SRM boot stub ({} bytes) carrying a kernel, checksum verified: {}",
        p.header_offset,
        header_summary(&p.header)
    );
    Ok(())
}

fn cmd_srm_boot(args: &[String]) -> Result<(), Failure> {
    let o = parse_opts(args, &["--stub", "--kernel", "-o", "--output"])?;
    no_positional(&o)?;
    let out = output(&o)?;
    let (Some(stub), Some(kernel)) = (&o.stub, &o.kernel) else {
        return usage("srm-boot needs --stub STUB.elf and --kernel KERNEL.elf");
    };
    let bytes = stub_program(stub, kernel)?;
    srm_image_write(&out, &bytes)?;
    let back = read(&out)?;
    read_srm_boot_program(&back).map_err(|e| in_file(&out, e))?;
    println!("{}: written; verified: re-read, header found, kernel checksum matches", out.display());
    Ok(())
}

fn cmd_qemu_elf(args: &[String]) -> Result<(), Failure> {
    let o = parse_opts(args, &with_program(&["--at", "-o", "--output"]))?;
    no_positional(&o)?;
    let out = output(&o)?;
    let Some(at) = o.at else {
        return usage("qemu-elf needs --at PHYS (the physical address to load the program at)");
    };
    let prog = program(&o)?;
    let elf = qemu_test_elf(&prog, at)?;
    srm_image_write(&out, &elf)?;
    println!(
        "{}: ELF for qemu-system-alpha -M clipper -kernel: {} bytes at {:#x} (physical {at:#x}), entry there",
        out.display(),
        prog.len(),
        srm_image::KSEG_BASE + at
    );
    Ok(())
}

fn cmd_disk(args: &[String]) -> Result<(), Failure> {
    let o = parse_opts(args, &with_program(&["-o", "--output", "--start-lbn", "--base"]))?;
    no_positional(&o)?;
    let out = output(&o)?;
    let prog = program(&o)?;
    let base = o.base.as_ref().map(read).transpose()?;
    let opts = DiskImageOptions {
        start_lbn: o.start_lbn.unwrap_or(DEFAULT_START_LBN),
        base,
    };
    let img = write_disk_image(&out, &prog, &opts)?;
    let bb = img.boot_block;
    println!(
        "{}: boot program {} bytes = {} blocks at LBN {}..{} (bytes {:#x}..{:#x}), flags 0, checksum {:#018x}",
        out.display(),
        prog.len(),
        bb.blocks,
        bb.start_lbn,
        bb.end_lbn() - 1,
        bb.program_offset(),
        bb.program_offset() + bb.program_bytes(),
        bb.checksum
    );
    match &img.label {
        Some(l) => println!(
            "  disklabel kept: {} partitions, {} sectors; the program overlaps no partition in use",
            l.npartitions, l.secperunit
        ),
        None if opts.base.is_some() => println!("  base image kept (no disklabel in it)"),
        None => {}
    }
    println!(
        "  verified: re-read the file, boot block checksum and every byte of the program match"
    );
    Ok(())
}

fn cmd_bootp(args: &[String]) -> Result<(), Failure> {
    let o = parse_opts(args, &with_program(&["-o", "--output"]))?;
    no_positional(&o)?;
    let out = output(&o)?;
    let prog = program(&o)?;
    let img = write_bootp_image(&out, &prog)?;
    println!(
        "{}: BOOTP image {} bytes (program {} + {} bytes of zero padding), SRM places it at {:#x}..{:#x} and jumps to {:#x}",
        out.display(),
        img.len,
        prog.len(),
        img.len - prog.len() as u64,
        img.load_address,
        img.end_address,
        img.load_address
    );
    println!("  verified: re-read the file, every byte matches");
    Ok(())
}

fn cmd_flatten(args: &[String]) -> Result<(), Failure> {
    let o = parse_opts(args, &["--elf", "-o", "--output"])?;
    no_positional(&o)?;
    let out = output(&o)?;
    let Some(elf_path) = &o.elf else {
        return usage("give the ELF with --elf FILE");
    };
    let elf = read(elf_path)?;
    let flat = flatten_elf(&elf).map_err(|e| in_file(elf_path, e))?;
    srm_image_write(&out, &flat.bytes)?;
    println!(
        "{}: {} bytes = memory {:#x}..{:#x}, entry {:#x} (offset {:#x}), from {} PT_LOAD segments",
        out.display(),
        flat.bytes.len(),
        flat.base,
        flat.base + flat.bytes.len() as u64,
        flat.entry,
        flat.entry_offset(),
        flat.segments.len()
    );
    Ok(())
}

/// Plain write + read-back for `flatten` (no SRM layout to check).
fn srm_image_write(path: &PathBuf, bytes: &[u8]) -> Result<(), Failure> {
    let io = |e: std::io::Error| {
        Failure::Refused(ImageError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    };
    std::fs::write(path, bytes).map_err(io)?;
    let back = std::fs::read(path).map_err(io)?;
    if back != bytes {
        return Err(Failure::Refused(ImageError::VerifyMismatch {
            what: "the file read back",
            offset: back
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(back.len()) as u64,
        }));
    }
    Ok(())
}

fn one_image(args: &[String]) -> Result<(PathBuf, Vec<u8>), Failure> {
    let o = parse_opts(args, &[])?;
    match o.positional.as_slice() {
        [p] => Ok((p.clone(), read(p)?)),
        _ => usage("give exactly one IMAGE"),
    }
}

fn cmd_check_disk(args: &[String]) -> Result<(), Failure> {
    let (path, bytes) = one_image(args)?;
    let img = read_disk_image(&bytes).map_err(|e| in_file(&path, e))?;
    let bb = img.boot_block;
    println!(
        "{}: SRM boot block OK: {} blocks ({} bytes) at LBN {}..{}, checksum {:#018x}",
        path.display(),
        bb.blocks,
        bb.program_bytes(),
        bb.start_lbn,
        bb.end_lbn() - 1,
        bb.checksum
    );
    if let Some(l) = &img.label {
        println!(
            "  disklabel: {} partitions, {}-byte sectors, {} sectors",
            l.npartitions, l.secsize, l.secperunit
        );
        for p in l.partitions.iter().filter(|p| p.size != 0) {
            println!(
                "    {}: sectors {}..{} fstype {}",
                p.letter(),
                p.offset,
                p.end(),
                p.fstype
            );
        }
        l.check_boot_program(bb.start_lbn, bb.blocks)
            .map_err(|e| in_file(&path, e))?;
        println!("  the boot program overlaps no partition in use");
    }
    describe_carried_kernel(&path, &img.program)?;
    Ok(())
}

fn cmd_check_bootp(args: &[String]) -> Result<(), Failure> {
    let (path, bytes) = one_image(args)?;
    let img = read_bootp_image(&bytes).map_err(|e| in_file(&path, e))?;
    println!(
        "{}: BOOTP image OK: {} bytes, placed at {:#x}..{:#x} (limit {} bytes, {}-byte blocks)",
        path.display(),
        img.len,
        img.load_address,
        img.end_address,
        MAX_BOOT_PROGRAM_BYTES,
        SECTOR_SIZE
    );
    describe_carried_kernel(&path, &bytes)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("srm-boot") => cmd_srm_boot(&args[1..]),
        Some("qemu-elf") => cmd_qemu_elf(&args[1..]),
        Some("disk") => cmd_disk(&args[1..]),
        Some("bootp") => cmd_bootp(&args[1..]),
        Some("flatten") => cmd_flatten(&args[1..]),
        Some("check-disk") => cmd_check_disk(&args[1..]),
        Some("check-bootp") => cmd_check_bootp(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => usage(format!("unknown command {other}")),
        None => usage("no command"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("srm-image: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(e)) => {
            eprintln!("srm-image: refused: {e}");
            ExitCode::from(1)
        }
    }
}
