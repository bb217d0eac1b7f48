//! Property tests of the boot block writer: any sector-0 content, any valid
//! (start, count), round-trips through write + verify with every byte
//! outside 480..512 untouched; and any single corrupted byte is detected.
//! Cases: `PROPTEST_CASES` (default 10 000).

use proptest::prelude::*;
use srm_image::{MAX_BOOT_PROGRAM_BLOCKS, read_disklabel, verify_boot_block, write_boot_block};

fn sector() -> impl Strategy<Value = [u8; 512]> {
    prop::collection::vec(any::<u8>(), 512).prop_map(|v| v.try_into().unwrap())
}

/// Start LBNs near 1, mid-range and near the largest whose byte end fits.
fn start_lbn() -> impl Strategy<Value = u64> {
    let max = u64::MAX / 512 - MAX_BOOT_PROGRAM_BLOCKS;
    prop_oneof![1u64..64, 1u64..1 << 32, (max - 1000)..=max]
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn write_then_verify_round_trips(
        orig in sector(),
        start in start_lbn(),
        blocks in 1u64..=MAX_BOOT_PROGRAM_BLOCKS,
    ) {
        let mut s = orig;
        write_boot_block(&mut s, start, blocks).unwrap();
        let bb = verify_boot_block(&s).unwrap();
        prop_assert_eq!(bb.start_lbn, start);
        prop_assert_eq!(bb.blocks, blocks);
        prop_assert_eq!(bb.flags, 0);
        prop_assert_eq!(&s[..480], &orig[..480]);
        // The checksum, recomputed independently.
        let sum = s[..504].chunks(8).fold(0u64, |a, c| a.wrapping_add(u64::from_le_bytes(c.try_into().unwrap())));
        prop_assert_eq!(bb.checksum, sum);
        // Whatever label state the sector had, it reads the same after.
        prop_assert_eq!(read_disklabel(&s), read_disklabel(&orig));
        // Writing again is idempotent.
        let mut again = s;
        write_boot_block(&mut again, start, blocks).unwrap();
        prop_assert_eq!(again, s);
    }

    #[test]
    fn any_single_byte_change_is_detected(
        orig in sector(),
        start in 1u64..1 << 20,
        blocks in 1u64..=MAX_BOOT_PROGRAM_BLOCKS,
        pos in 0usize..512,
        flip in 1u8..=255,
    ) {
        let mut s = orig;
        write_boot_block(&mut s, start, blocks).unwrap();
        s[pos] ^= flip;
        // One changed byte changes one quadword by a non-zero amount below
        // 2^64, so the sum (or the stored checksum itself) no longer matches:
        // every position 0..512 is covered.
        match verify_boot_block(&s) {
            Err(_) => {}
            Ok(bb) => prop_assert!(false, "corruption at byte {} not detected: {:?}", pos, bb),
        }
    }
}
