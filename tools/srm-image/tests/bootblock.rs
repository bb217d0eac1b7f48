//! The sector-0 boot block: field positions, checksums computed by hand,
//! label preservation, and every refusal with its message.

mod common;

use common::labelled_sector0;
use srm_image::{
    BootBlock, ImageError, MAX_BOOT_PROGRAM_BLOCKS, boot_block_checksum, read_disklabel,
    verify_boot_block, write_boot_block,
};

fn q(s: &[u8; 512], off: usize) -> u64 {
    u64::from_le_bytes(s[off..off + 8].try_into().unwrap())
}

#[test]
fn zero_sector_fields_and_checksum() {
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 1, 16).unwrap();
    assert_eq!(q(&s, 480), 16, "count at byte 480");
    assert_eq!(q(&s, 488), 1, "start LBN at byte 488");
    assert_eq!(q(&s, 496), 0, "flags at byte 496");
    // Only count and start are non-zero: 16 + 1.
    assert_eq!(q(&s, 504), 17, "checksum at byte 504");
    assert!(s[..480].iter().all(|&b| b == 0));
    assert_eq!(
        verify_boot_block(&s).unwrap(),
        BootBlock {
            blocks: 16,
            start_lbn: 1,
            flags: 0,
            checksum: 17
        }
    );
}

#[test]
fn checksum_is_little_endian() {
    let mut s = [0u8; 512];
    s[0] = 0x01; // quadword 0 = 1
    s[15] = 0x02; // quadword 1 = 0x02 << 56
    write_boot_block(&mut s, 3, 5).unwrap();
    assert_eq!(q(&s, 504), 1 + 0x0200_0000_0000_0000 + 3 + 5);
    assert_eq!(&s[504..512], &[0x09, 0, 0, 0, 0, 0, 0, 0x02]);
}

#[test]
fn linux_objstrip_style_vector() {
    // objstrip -p writes "Linux SRM bootblock" at byte 0, count, start 1.
    // The string as little-endian quadwords:
    //   "Linux SR" = 4c 69 6e 75 78 20 53 52 -> 0x52532078756e694c
    //   "M bootbl" = 4d 20 62 6f 6f 74 62 6c -> 0x6c62746f6f62204d
    //   "ock\0...." = 6f 63 6b 00 ..        -> 0x00000000006b636f
    // sum = 0xbeb594e7e53bed08; + count 16 + start 1 = 0xbeb594e7e53bed19.
    let mut s = [0u8; 512];
    s[..19].copy_from_slice(b"Linux SRM bootblock");
    assert_eq!(
        0x5253_2078_756e_694cu64
            .wrapping_add(0x6c62_746f_6f62_204d)
            .wrapping_add(0x6b_636f),
        0xbeb5_94e7_e53b_ed08
    );
    write_boot_block(&mut s, 1, 16).unwrap();
    assert_eq!(q(&s, 504), 0xbeb5_94e7_e53b_ed19);
    assert_eq!(boot_block_checksum(&s), 0xbeb5_94e7_e53b_ed19);
}

#[test]
fn every_quadword_counts() {
    // 60 quadwords of 0x0101010101010101 = 0x3c3c3c3c3c3c3c3c, + 3 + 1.
    let mut s = [0x01u8; 512];
    write_boot_block(&mut s, 1, 3).unwrap();
    assert_eq!(q(&s, 504), 0x3c3c_3c3c_3c3c_3c40);
}

#[test]
fn checksum_wraps() {
    // 60 quadwords of u64::MAX = -60 (mod 2^64), + 2 + 1 = -57 = 0x...ffc7.
    let mut s = [0xffu8; 512];
    write_boot_block(&mut s, 1, 2).unwrap();
    assert_eq!(q(&s, 504), 0xffff_ffff_ffff_ffc7);
    assert_eq!(
        q(&s, 496),
        0,
        "flags cleared even if the sector had bits there"
    );
    verify_boot_block(&s).unwrap();
}

#[test]
fn rewriting_replaces_old_fields() {
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 100, 50).unwrap();
    write_boot_block(&mut s, 2, 7).unwrap();
    assert_eq!(
        verify_boot_block(&s).unwrap(),
        BootBlock {
            blocks: 7,
            start_lbn: 2,
            flags: 0,
            checksum: 9
        }
    );
}

#[test]
fn label_is_preserved_and_checksummed() {
    let orig = labelled_sector0(1_000_000, &[(100_000, 16, 7), (0, 0, 0), (1_000_000, 0, 0)]);
    let mut s = orig;
    write_boot_block(&mut s, 1, 15).unwrap();
    assert_eq!(
        s[..480],
        orig[..480],
        "nothing before the boot fields changes"
    );
    let label = read_disklabel(&s).unwrap().expect("label still there");
    assert_eq!(label.npartitions, 3);
    assert_eq!(label.partitions[0].offset, 16);
    // The label is part of what SRM sums.
    let by_hand = (0..60)
        .fold(0u64, |a, i| a.wrapping_add(q(&orig, i * 8)))
        .wrapping_add(16);
    assert_eq!(verify_boot_block(&s).unwrap().checksum, by_hand);
}

fn err_msg(e: ImageError) -> String {
    e.to_string()
}

#[test]
fn refuses_zero_blocks() {
    let mut s = [0u8; 512];
    let e = write_boot_block(&mut s, 1, 0).unwrap_err();
    assert_eq!(e, ImageError::ZeroBlocks);
    assert!(err_msg(e).contains("block count"));
    assert_eq!(s, [0u8; 512], "nothing written on refusal");
}

#[test]
fn refuses_start_lbn_zero() {
    let mut s = [0u8; 512];
    let e = write_boot_block(&mut s, 0, 4).unwrap_err();
    assert_eq!(e, ImageError::StartLbnZero);
    assert!(err_msg(e).contains("LBN 0"));
}

#[test]
fn refuses_too_many_blocks() {
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 1, MAX_BOOT_PROGRAM_BLOCKS).unwrap();
    let e = write_boot_block(&mut s, 1, MAX_BOOT_PROGRAM_BLOCKS + 1).unwrap_err();
    assert_eq!(
        e,
        ImageError::ProgramTooLarge {
            bytes: (MAX_BOOT_PROGRAM_BLOCKS + 1) * 512
        }
    );
    let m = err_msg(e);
    assert!(m.contains("8388608-byte") && m.contains("README"), "{m}");
}

#[test]
fn refuses_overflowing_range() {
    let mut s = [0u8; 512];
    for start in [u64::MAX, u64::MAX / 512] {
        let e = write_boot_block(&mut s, start, 1).unwrap_err();
        assert!(matches!(e, ImageError::BlockRangeOverflow { .. }), "{e:?}");
        assert!(err_msg(e).contains("does not fit in 64 bits"));
    }
}

#[test]
fn verify_refuses_bad_checksum() {
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 1, 16).unwrap();
    s[200] ^= 0x40; // quadword 25 grows by 0x40 << 0
    let e = verify_boot_block(&s).unwrap_err();
    assert_eq!(
        e,
        ImageError::BadChecksum {
            stored: 17,
            computed: 17 + 0x40
        }
    );
    assert!(err_msg(e).contains("checksum mismatch"));
    // A corrupted checksum field itself.
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 1, 16).unwrap();
    s[504] = 0;
    assert!(matches!(
        verify_boot_block(&s),
        Err(ImageError::BadChecksum {
            stored: 0,
            computed: 17
        })
    ));
}

#[test]
fn verify_refuses_nonzero_flags() {
    let mut s = [0u8; 512];
    write_boot_block(&mut s, 1, 16).unwrap();
    s[496] = 1;
    s[504] = 18; // checksum 17 + 1 keeps it consistent
    let e = verify_boot_block(&s).unwrap_err();
    assert_eq!(e, ImageError::NonZeroFlags(1));
    assert!(err_msg(e).contains("flags"));
}

#[test]
fn verify_refuses_blank_sector() {
    // All zeros: the checksum (0) matches, but there is nothing to boot.
    assert_eq!(verify_boot_block(&[0u8; 512]), Err(ImageError::ZeroBlocks));
}

#[test]
fn verify_refuses_what_write_refuses() {
    let mut s = [0u8; 512];
    s[480..488].copy_from_slice(&5u64.to_le_bytes()); // count 5, start 0
    s[504..512].copy_from_slice(&5u64.to_le_bytes());
    assert_eq!(verify_boot_block(&s), Err(ImageError::StartLbnZero));
    let mut s = [0u8; 512];
    let n = MAX_BOOT_PROGRAM_BLOCKS + 1;
    s[480..488].copy_from_slice(&n.to_le_bytes());
    s[488..496].copy_from_slice(&1u64.to_le_bytes());
    s[504..512].copy_from_slice(&(n + 1).to_le_bytes());
    assert!(matches!(
        verify_boot_block(&s),
        Err(ImageError::ProgramTooLarge { .. })
    ));
}
