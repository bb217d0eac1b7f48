//! The `srm-image` binary: each command once, refusals with exit status 1
//! and their message, usage errors with status 2.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Elf, Seg, labelled_sector0, pattern, scratch};
use srm_image::{SRM_LOAD_ADDRESS, read_bootp_image, read_disk_image};

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srm-image"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn disk_bootp_and_checks_from_an_elf() {
    let dir = scratch("cli-ok");
    let text_bytes = pattern(5000, 3);
    let elf = Elf::new(
        SRM_LOAD_ADDRESS,
        vec![Seg::load(SRM_LOAD_ADDRESS, &text_bytes, 6000)],
    )
    .build();
    std::fs::write(dir.join("boot.elf"), &elf).unwrap();
    std::fs::write(
        dir.join("label.bin"),
        labelled_sector0(100_000, &[(90_000, 10_000, 7), (0, 0, 0), (100_000, 0, 0)]),
    )
    .unwrap();

    let o = run(&[
        "disk",
        "--elf",
        s(&dir.join("boot.elf")),
        "-o",
        s(&dir.join("disk.img")),
        "--base",
        s(&dir.join("label.bin")),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("12 blocks at LBN 1..12")
            && out.contains("disklabel kept")
            && out.contains("verified"),
        "{out}"
    );
    let disk = std::fs::read(dir.join("disk.img")).unwrap();
    let read = read_disk_image(&disk).unwrap();
    assert_eq!(&read.program[..5000], &text_bytes[..]);

    let o = run(&["check-disk", s(&dir.join("disk.img"))]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("SRM boot block OK") && out.contains("a: sectors 10000..100000 fstype 7"),
        "{out}"
    );

    let o = run(&[
        "bootp",
        "--elf",
        s(&dir.join("boot.elf")),
        "-o",
        s(&dir.join("boot.img")),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("BOOTP image 6144 bytes") && out.contains("jumps to 0x20000000"),
        "{out}"
    );
    let bootp = std::fs::read(dir.join("boot.img")).unwrap();
    assert_eq!(bootp, read.program);
    read_bootp_image(&bootp).unwrap();

    let o = run(&["check-bootp", s(&dir.join("boot.img"))]);
    assert!(o.status.success(), "{:?}", text(&o));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn flat_input_and_start_lbn() {
    let dir = scratch("cli-flat");
    std::fs::write(dir.join("boot.bin"), pattern(700, 1)).unwrap();
    let o = run(&[
        "disk",
        "--flat",
        s(&dir.join("boot.bin")),
        "--start-lbn",
        "0x10",
        "-o",
        s(&dir.join("d.img")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let read = read_disk_image(&std::fs::read(dir.join("d.img")).unwrap()).unwrap();
    assert_eq!((read.boot_block.start_lbn, read.boot_block.blocks), (16, 2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn flatten_any_elf() {
    let dir = scratch("cli-flatten");
    let kseg = 0xffff_fc00_0031_0000u64;
    let elf = Elf::new(kseg, vec![Seg::load(kseg, &pattern(100, 2), 300)]).build();
    std::fs::write(dir.join("k.elf"), &elf).unwrap();
    let o = run(&[
        "flatten",
        "--elf",
        s(&dir.join("k.elf")),
        "-o",
        s(&dir.join("k.bin")),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("300 bytes") && out.contains("0xfffffc0000310000"),
        "{out}"
    );
    assert_eq!(std::fs::read(dir.join("k.bin")).unwrap().len(), 300);
    // The same ELF is not an SRM boot program.
    let o = run(&[
        "bootp",
        "--elf",
        s(&dir.join("k.elf")),
        "-o",
        s(&dir.join("b.img")),
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("refused") && err.contains("link the boot stub at 0x20000000"),
        "{err}"
    );
    assert!(!dir.join("b.img").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refusals_exit_1_with_the_reason() {
    let dir = scratch("cli-refuse");
    std::fs::write(dir.join("empty.bin"), b"").unwrap();
    std::fs::write(dir.join("x86.elf"), {
        let mut e = Elf::new(
            SRM_LOAD_ADDRESS,
            vec![Seg::load(SRM_LOAD_ADDRESS, &[1; 8], 8)],
        );
        e.machine = 62;
        e.build()
    })
    .unwrap();
    std::fs::write(
        dir.join("label.bin"),
        labelled_sector0(100_000, &[(1000, 8, 7)]),
    )
    .unwrap();
    std::fs::write(dir.join("big.bin"), pattern(8 * 512, 1)).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let cases: [(Vec<String>, &str); 5] = [
        (
            vec![
                "disk".into(),
                "--flat".into(),
                p("empty.bin"),
                "-o".into(),
                p("o.img"),
            ],
            "empty",
        ),
        (
            vec![
                "bootp".into(),
                "--elf".into(),
                p("x86.elf"),
                "-o".into(),
                p("o.img"),
            ],
            "EM_ALPHA = 0x9026",
        ),
        (
            vec![
                "disk".into(),
                "--flat".into(),
                p("big.bin"),
                "--base".into(),
                p("label.bin"),
                "-o".into(),
                p("o.img"),
            ],
            "overlaps partition a",
        ),
        (vec!["check-disk".into(), p("big.bin")], "checksum mismatch"),
        (
            vec![
                "disk".into(),
                "--flat".into(),
                p("missing.bin"),
                "-o".into(),
                p("o.img"),
            ],
            "missing.bin",
        ),
    ];
    for (args, msg) in cases {
        let o = run(&args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    assert!(!dir.join("o.img").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["disk", "-o", "x.img"],
        &["disk", "--elf", "a", "--flat", "b", "-o", "x.img"],
        &["disk", "--flat", "a"],
        &["disk", "--flat", "a", "-o", "x", "--start-lbn", "one"],
        &["bootp", "--flat", "a", "-o", "x", "--start-lbn", "1"],
        &["check-disk"],
    ] {
        let o = run(args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("usage:"), "{args:?}: {err}");
    }
    let o = run(&["--help"]);
    assert!(o.status.success() && text(&o).0.contains("boot ewa0 -protocols bootp"));
}
