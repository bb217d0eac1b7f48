//! Disk images: build, parse back, compare every byte; disklabel
//! preservation and checks; every refusal with its message.

mod common;

use common::{Elf, Seg, fix_label_checksum, labelled_sector0, pattern, scratch};
use srm_image::disk::MAX_GROWN_IMAGE_BYTES;
use srm_image::{
    BootBlock, BootProgram, DiskImageOptions, ImageError, MAX_BOOT_PROGRAM_BYTES, SRM_LOAD_ADDRESS,
    build_disk_image, read_disk_image, verify_boot_block, verify_disk_image, write_disk_image,
};

fn opts(start_lbn: u64, base: Option<Vec<u8>>) -> DiskImageOptions {
    DiskImageOptions { start_lbn, base }
}

/// Parses `image` back and checks every byte of the payload against
/// `program` followed by zero padding.
fn assert_payload(image: &[u8], program: &[u8], start: u64) {
    let read = read_disk_image(image).unwrap();
    let blocks = program.len().div_ceil(512) as u64;
    assert_eq!(
        (read.boot_block.start_lbn, read.boot_block.blocks),
        (start, blocks)
    );
    assert_eq!(read.program.len() as u64, blocks * 512);
    assert_eq!(&read.program[..program.len()], program);
    assert!(read.program[program.len()..].iter().all(|&b| b == 0));
    let at = start as usize * 512;
    assert_eq!(
        &image[at..at + program.len()],
        program,
        "program at LBN {start} in the raw image"
    );
}

#[test]
fn default_layout_round_trip() {
    let program = pattern(5000, 11);
    let image = build_disk_image(&program, &DiskImageOptions::default()).unwrap();
    // sector 0 + ceil(5000/512) = 10 blocks from LBN 1.
    assert_eq!(image.len(), 512 * 11);
    assert!(image[..480].iter().all(|&b| b == 0));
    let s0: [u8; 512] = image[..512].try_into().unwrap();
    assert_eq!(
        verify_boot_block(&s0).unwrap(),
        BootBlock {
            blocks: 10,
            start_lbn: 1,
            flags: 0,
            checksum: 11
        }
    );
    assert_payload(&image, &program, 1);
}

#[test]
fn exact_multiple_of_512_has_no_padding() {
    let program = pattern(1024, 2);
    let image = build_disk_image(&program, &DiskImageOptions::default()).unwrap();
    assert_eq!(image.len(), 512 * 3);
    assert_payload(&image, &program, 1);
}

#[test]
fn custom_start_lbn() {
    let program = pattern(700, 4);
    let image = build_disk_image(&program, &opts(64, None)).unwrap();
    assert_eq!(image.len(), 512 * 66);
    assert!(
        image[512..64 * 512].iter().all(|&b| b == 0),
        "sectors 1..64 zero"
    );
    assert_payload(&image, &program, 64);
}

#[test]
fn elf_program_round_trip() {
    let text = pattern(3000, 8);
    let elf = Elf::new(
        SRM_LOAD_ADDRESS,
        vec![Seg::load(SRM_LOAD_ADDRESS, &text, 3000 + 1500)],
    )
    .build();
    let program = BootProgram::Elf(&elf).flat_bytes().unwrap();
    let image = build_disk_image(&program, &DiskImageOptions::default()).unwrap();
    let read = read_disk_image(&image).unwrap();
    assert_eq!(read.boot_block.blocks, 9); // 4500 bytes with bss
    assert_eq!(&read.program[..3000], &text[..]);
    assert!(
        read.program[3000..].iter().all(|&b| b == 0),
        "bss and padding are zeros on disk"
    );
}

#[test]
fn base_image_without_label_is_kept() {
    let mut base = pattern(512 * 40, 21);
    base[64..68].copy_from_slice(&[0, 0, 0, 0]); // surely no disklabel magic
    let program = pattern(1500, 5);
    let image = build_disk_image(&program, &opts(8, Some(base.clone()))).unwrap();
    assert_eq!(image.len(), base.len());
    assert_eq!(image[..480], base[..480]);
    assert_eq!(image[512..8 * 512], base[512..8 * 512]);
    assert_eq!(image[11 * 512..], base[11 * 512..]);
    assert_payload(&image, &program, 8);
}

#[test]
fn base_image_grows_when_program_reaches_past_it() {
    let base = pattern(512 * 2, 1);
    let program = pattern(2048, 3);
    let image = build_disk_image(&program, &opts(1, Some(base.clone()))).unwrap();
    assert_eq!(image.len(), 512 * 5);
    assert_eq!(image[..480], base[..480]);
    assert_payload(&image, &program, 1);
}

#[test]
fn disklabel_is_preserved() {
    // a: 4.2BSD from sector 2048, b: swap after it, c: whole disk (raw).
    let s0 = labelled_sector0(
        200_000,
        &[(100_000, 2048, 7), (50_000, 102_048, 1), (200_000, 0, 0)],
    );
    let program = pattern(512 * 100 + 3, 9);
    let image = build_disk_image(&program, &opts(1, Some(s0.to_vec()))).unwrap();
    assert_eq!(image[..480], s0[..480], "label and name untouched");
    let read = read_disk_image(&image).unwrap();
    let label = read.label.expect("label read back");
    assert_eq!(
        (label.npartitions, label.secperunit, label.secsize),
        (3, 200_000, 512)
    );
    assert_eq!(label.partitions[0].offset, 2048);
    assert_payload(&image, &program, 1);
}

#[test]
fn whole_disk_partition_with_a_type_is_still_raw() {
    // Some labels give `c` a type; covering the whole disk from 0 makes it raw.
    let s0 = labelled_sector0(10_000, &[(5000, 5000, 7), (0, 0, 0), (10_000, 0, 10)]);
    build_disk_image(&pattern(600, 1), &opts(1, Some(s0.to_vec()))).unwrap();
}

#[test]
fn program_inside_boot_partition_is_allowed() {
    let s0 = labelled_sector0(10_000, &[(4000, 6000, 7), (5000, 16, 13)]);
    let program = pattern(512 * 200, 2);
    let image = build_disk_image(&program, &opts(16, Some(s0.to_vec()))).unwrap();
    assert_payload(&image, &program, 16);
}

fn err(program: &[u8], o: &DiskImageOptions) -> (ImageError, String) {
    let e = build_disk_image(program, o).unwrap_err();
    let m = e.to_string();
    (e, m)
}

#[test]
fn refuses_overlap_with_used_partition() {
    // a: 4.2BSD at 16..1016. A 100-block program from LBN 1 reaches 101.
    let s0 = labelled_sector0(10_000, &[(1000, 16, 7), (0, 0, 0), (10_000, 0, 0)]);
    let (e, m) = err(&pattern(512 * 100, 1), &opts(1, Some(s0.to_vec())));
    assert_eq!(
        e,
        ImageError::OverlapsPartition {
            letter: 'a',
            fstype: 7,
            offset: 16,
            size: 1000,
            start_lbn: 1,
            end_lbn: 101
        }
    );
    assert!(
        m.contains("overlaps partition a") && m.contains("4.2BSD"),
        "{m}"
    );
    // Just before it is fine: 15 blocks at 1..16.
    build_disk_image(&pattern(512 * 15, 1), &opts(1, Some(s0.to_vec()))).unwrap();
    // Starting inside it, or straddling its end, is not.
    for start in [16, 500, 1015] {
        let (e, _) = err(&pattern(512 * 2, 1), &opts(start, Some(s0.to_vec())));
        assert!(
            matches!(e, ImageError::OverlapsPartition { letter: 'a', .. }),
            "start {start}: {e:?}"
        );
    }
    // After it is fine.
    build_disk_image(&pattern(512 * 2, 1), &opts(1016, Some(s0.to_vec()))).unwrap();
}

#[test]
fn refuses_partial_overlap_with_boot_partition() {
    let s0 = labelled_sector0(10_000, &[(100, 16, 13)]);
    let (e, m) = err(&pattern(512 * 200, 1), &opts(16, Some(s0.to_vec())));
    assert!(
        matches!(
            e,
            ImageError::OverlapsPartition {
                letter: 'a',
                fstype: 13,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(m.contains("boot"), "{m}");
}

#[test]
fn refuses_program_past_end_of_disk() {
    let s0 = labelled_sector0(50, &[(50, 0, 0)]);
    let (e, m) = err(&pattern(512 * 60, 1), &opts(1, Some(s0.to_vec())));
    assert_eq!(
        e,
        ImageError::BeyondEndOfDisk {
            end_lbn: 61,
            secperunit: 50
        }
    );
    assert!(m.contains("past the end of the disk"), "{m}");
}

#[test]
fn refuses_label_with_other_sector_size() {
    let mut s0 = labelled_sector0(10_000, &[(10_000, 0, 0)]);
    s0[64 + 40..64 + 44].copy_from_slice(&2048u32.to_le_bytes());
    fix_label_checksum(&mut s0);
    let (e, m) = err(&pattern(100, 1), &opts(1, Some(s0.to_vec())));
    assert_eq!(e, ImageError::LabelSectorSize { secsize: 2048 });
    assert!(
        m.contains("2048-byte sectors") && m.contains("would not line up"),
        "{m}"
    );
}

#[test]
fn refuses_damaged_label() {
    let good = labelled_sector0(10_000, &[(10_000, 0, 0)]);
    let mut bad_magic2 = good;
    bad_magic2[64 + 132] ^= 1;
    let (e, m) = err(&pattern(100, 1), &opts(1, Some(bad_magic2.to_vec())));
    assert!(matches!(e, ImageError::LabelDamaged(_)), "{e:?}");
    assert!(m.contains("d_magic2"), "{m}");
    let mut bad_sum = good;
    bad_sum[64 + 150] ^= 0x10; // inside partition a, checksum not updated
    let (e, m) = err(&pattern(100, 1), &opts(1, Some(bad_sum.to_vec())));
    assert!(matches!(e, ImageError::LabelDamaged(_)), "{e:?}");
    assert!(m.contains("d_checksum"), "{m}");
}

#[test]
fn refuses_label_reaching_the_boot_fields() {
    let parts: Vec<(u32, u32, u8)> = (0..18).map(|_| (0, 0, 0)).collect();
    let mut s0 = labelled_sector0(10_000, &parts[..16]);
    s0[64 + 138..64 + 140].copy_from_slice(&17u16.to_le_bytes());
    fix_label_checksum(&mut s0);
    let (e, m) = err(&pattern(100, 1), &opts(1, Some(s0.to_vec())));
    assert_eq!(e, ImageError::LabelTooManyPartitions { npartitions: 17 });
    assert!(m.contains("byte 480"), "{m}");
    // 16 partitions end at byte 468 and are accepted.
    let s16 = labelled_sector0(10_000, &parts[..16]);
    build_disk_image(&pattern(100, 1), &opts(1, Some(s16.to_vec()))).unwrap();
}

#[test]
fn refuses_empty_program() {
    let (e, m) = err(&[], &DiskImageOptions::default());
    assert_eq!(e, ImageError::EmptyProgram);
    assert!(m.contains("empty"), "{m}");
}

#[test]
fn refuses_too_large_program() {
    let at_limit = vec![0x11u8; MAX_BOOT_PROGRAM_BYTES as usize];
    let image = build_disk_image(&at_limit, &DiskImageOptions::default()).unwrap();
    assert_eq!(read_disk_image(&image).unwrap().boot_block.blocks, 16384);
    let over = vec![0x11u8; MAX_BOOT_PROGRAM_BYTES as usize + 1];
    let (e, m) = err(&over, &DiskImageOptions::default());
    assert_eq!(
        e,
        ImageError::ProgramTooLarge {
            bytes: MAX_BOOT_PROGRAM_BYTES + 1
        }
    );
    assert!(m.contains("8 MiB"), "{m}");
}

#[test]
fn refuses_start_lbn_zero() {
    let (e, m) = err(&[1, 2, 3], &opts(0, None));
    assert_eq!(e, ImageError::StartLbnZero);
    assert!(m.contains("LBN 0"), "{m}");
}

#[test]
fn refuses_short_base() {
    let (e, m) = err(&[1, 2, 3], &opts(1, Some(vec![0; 100])));
    assert_eq!(e, ImageError::BaseImageTooShort { len: 100 });
    assert!(m.contains("shorter than one 512-byte sector"), "{m}");
}

#[test]
fn refuses_growing_image_too_far() {
    let start = MAX_GROWN_IMAGE_BYTES / 512;
    let (e, m) = err(&[1, 2, 3], &opts(start, None));
    assert_eq!(
        e,
        ImageError::ImageWouldBeTooLarge {
            bytes: MAX_GROWN_IMAGE_BYTES + 512
        }
    );
    assert!(m.contains("smaller start LBN"), "{m}");
    let (e, _) = err(&[1], &opts(u64::MAX / 1024, None));
    assert!(
        matches!(e, ImageError::ImageWouldBeTooLarge { .. }),
        "{e:?}"
    );
}

#[test]
fn read_refuses_truncated_image() {
    let image = build_disk_image(&pattern(2000, 1), &DiskImageOptions::default()).unwrap();
    let e = read_disk_image(&image[..512 * 3]).unwrap_err();
    assert_eq!(
        e,
        ImageError::ImageTooShort {
            len: 1536,
            needed: 512 * 5
        }
    );
    assert!(e.to_string().contains("ends at byte 2560"));
    assert!(matches!(
        read_disk_image(&image[..100]),
        Err(ImageError::ImageTooShort { .. })
    ));
}

#[test]
fn verify_catches_tampering() {
    let program = pattern(2000, 1);
    let base = labelled_sector0(10_000, &[(10_000, 0, 0)]).to_vec();
    let o = opts(1, Some(base));
    let image = build_disk_image(&program, &o).unwrap();
    verify_disk_image(&image, &program, &o).unwrap();
    let check = |offset: usize, what: &str| {
        let mut t = image.clone();
        t[offset] ^= 0x80;
        // Keep the boot block checksum consistent so only the content check
        // can notice, where the byte is before 480.
        if offset < 480 {
            let s0: &mut [u8; 512] = (&mut t[..512]).try_into().unwrap();
            let sum = srm_image::boot_block_checksum(s0);
            s0[504..].copy_from_slice(&sum.to_le_bytes());
        }
        let e = verify_disk_image(&t, &program, &o).unwrap_err();
        assert!(e.to_string().contains(what), "byte {offset}: {e}");
    };
    check(10, "sector 0 outside the boot fields");
    check(512 + 7, "boot program");
    check(512 + 2000 + 5, "padding");
    check(504, "checksum mismatch");
    let mut longer = image.clone();
    longer.push(0);
    assert!(
        verify_disk_image(&longer, &program, &o)
            .unwrap_err()
            .to_string()
            .contains("length")
    );
    let other = opts(2, o.base.clone());
    assert!(
        verify_disk_image(&image, &program, &other)
            .unwrap_err()
            .to_string()
            .contains("start LBN")
    );
}

#[test]
fn write_to_file_and_reread() {
    let dir = scratch("disk-write");
    let path = dir.join("disk.img");
    let program = pattern(9999, 6);
    let s0 = labelled_sector0(100_000, &[(50_000, 4096, 7), (0, 0, 0), (100_000, 0, 0)]);
    let o = opts(1, Some(s0.to_vec()));
    let written = write_disk_image(&path, &program, &o).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(read_disk_image(&bytes).unwrap(), written);
    assert_payload(&bytes, &program, 1);
    assert_eq!(bytes[..480], s0[..480]);
    // A refusal leaves neither the output nor a temporary file behind.
    let bad = dir.join("bad.img");
    assert!(write_disk_image(&bad, &[], &o).is_err());
    assert!(!bad.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("disk.img")]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn write_reports_io_errors() {
    let e = write_disk_image(
        std::path::Path::new("/nonexistent-dir/x.img"),
        &[1],
        &DiskImageOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ImageError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("/nonexistent-dir/"), "{e}");
}
