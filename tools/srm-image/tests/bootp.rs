//! BOOTP images: build, parse back, compare every byte; refusals.

mod common;

use common::{Elf, Seg, pattern, scratch};
use srm_image::{
    BootProgram, DiskImageOptions, ImageError, MAX_BOOT_PROGRAM_BYTES, SRM_LOAD_ADDRESS,
    build_bootp_image, build_disk_image, read_bootp_image, read_disk_image, verify_bootp_image,
    write_bootp_image,
};

#[test]
fn round_trip_with_padding() {
    let program = pattern(1234, 7);
    let image = build_bootp_image(&program).unwrap();
    assert_eq!(image.len(), 1536);
    assert_eq!(&image[..1234], &program[..]);
    assert!(image[1234..].iter().all(|&b| b == 0));
    let read = read_bootp_image(&image).unwrap();
    assert_eq!(read.len, 1536);
    assert_eq!(read.load_address, 0x2000_0000);
    assert_eq!(read.end_address, 0x2000_0000 + 1536);
}

#[test]
fn exact_multiple_is_unchanged() {
    let program = pattern(4096, 1);
    assert_eq!(build_bootp_image(&program).unwrap(), program);
}

#[test]
fn same_bytes_as_the_disk_payload() {
    let text = pattern(2222, 4);
    let elf = Elf::new(
        SRM_LOAD_ADDRESS,
        vec![Seg::load(SRM_LOAD_ADDRESS, &text, 2222 + 100)],
    )
    .build();
    let program = BootProgram::Elf(&elf).flat_bytes().unwrap();
    let bootp = build_bootp_image(&program).unwrap();
    let disk = build_disk_image(&program, &DiskImageOptions::default()).unwrap();
    assert_eq!(read_disk_image(&disk).unwrap().program, bootp);
    assert_eq!(&bootp[..2222], &text[..]);
}

#[test]
fn refuses_empty() {
    let e = build_bootp_image(&[]).unwrap_err();
    assert_eq!(e, ImageError::EmptyProgram);
    assert!(e.to_string().contains("empty"));
    assert_eq!(read_bootp_image(&[]), Err(ImageError::EmptyProgram));
}

#[test]
fn refuses_too_large() {
    let at = vec![1u8; MAX_BOOT_PROGRAM_BYTES as usize];
    assert_eq!(
        build_bootp_image(&at).unwrap().len() as u64,
        MAX_BOOT_PROGRAM_BYTES
    );
    let over = vec![1u8; MAX_BOOT_PROGRAM_BYTES as usize + 1];
    let e = build_bootp_image(&over).unwrap_err();
    assert_eq!(
        e,
        ImageError::ProgramTooLarge {
            bytes: MAX_BOOT_PROGRAM_BYTES + 1
        }
    );
    assert!(e.to_string().contains("8388608-byte"), "{e}");
    let over_padded = vec![0u8; MAX_BOOT_PROGRAM_BYTES as usize + 512];
    assert!(matches!(
        read_bootp_image(&over_padded),
        Err(ImageError::ProgramTooLarge { .. })
    ));
}

#[test]
fn read_refuses_unpadded() {
    let e = read_bootp_image(&[1; 700]).unwrap_err();
    assert_eq!(e, ImageError::BootpNotPadded { len: 700 });
    assert!(e.to_string().contains("not a multiple of 512"));
}

#[test]
fn verify_catches_tampering() {
    let program = pattern(1000, 3);
    let image = build_bootp_image(&program).unwrap();
    let mut t = image.clone();
    t[999] ^= 1;
    assert!(
        verify_bootp_image(&t, &program)
            .unwrap_err()
            .to_string()
            .contains("boot program")
    );
    let mut t = image.clone();
    t[1000] = 1;
    assert!(
        verify_bootp_image(&t, &program)
            .unwrap_err()
            .to_string()
            .contains("padding")
    );
    let mut t = image.clone();
    t.extend([0; 512]);
    assert!(
        verify_bootp_image(&t, &program)
            .unwrap_err()
            .to_string()
            .contains("length")
    );
}

#[test]
fn write_to_file_and_reread() {
    let dir = scratch("bootp-write");
    let path = dir.join("boot.img");
    let program = pattern(3000, 9);
    let written = write_bootp_image(&path, &program).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(read_bootp_image(&bytes).unwrap(), written);
    assert_eq!(verify_bootp_image(&bytes, &program).unwrap(), written);
    assert!(write_bootp_image(&dir.join("empty.img"), &[]).is_err());
    assert!(!dir.join("empty.img").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
