//! Checks against SplitMix64's published reference outputs (Vigna's
//! `splitmix64.c`; the same values computed independently with a few lines
//! of Python big integers), and the helpers' ranges.

use super::*;

#[test]
fn seed_0_matches_the_reference() {
    let mut g = SplitMix64::new(0);
    let want = [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f, 0xf88b_b8a8_724c_81ec, 0x1b39_896a_51a8_749b];
    for (i, w) in want.into_iter().enumerate() {
        assert_eq!(g.next_u64(), w, "output {i} of seed 0");
    }
}

#[test]
fn seed_1234567_matches_the_reference() {
    let mut g = SplitMix64::new(1_234_567);
    let want: [u64; 5] =
        [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
    for (i, w) in want.into_iter().enumerate() {
        assert_eq!(g.next_u64(), w, "output {i} of seed 1234567");
    }
}

#[test]
fn same_seed_same_sequence_and_clone_continues() {
    let mut a = SplitMix64::new(0xa1fa);
    let _ = a.next_u64();
    let mut b = a.clone();
    for _ in 0..100 {
        assert_eq!(a.next_u64(), b.next_u64());
    }
    assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
}

#[test]
fn below_is_the_remainder_and_in_range() {
    let (mut g, mut h) = (SplitMix64::new(42), SplitMix64::new(42));
    for n in 1..2000u64 {
        let x = g.below(n);
        assert!(x < n);
        assert_eq!(x, h.next_u64() % n);
    }
    // n == 0: no panic, 0, one output drawn.
    assert_eq!(g.below(0), 0);
    let _ = h.next_u64();
    assert_eq!(g.next_u64(), h.next_u64());
}

#[test]
fn below_scaled_is_in_range_and_covers_it() {
    let mut g = SplitMix64::new(7);
    let mut seen = [false; 7];
    for _ in 0..1000 {
        let x = g.below_scaled(7);
        assert!(x < 7);
        seen[x as usize] = true;
    }
    assert!(seen.iter().all(|&s| s), "{seen:?}");
    assert_eq!(g.below_scaled(0), 0);
    assert!(g.below_scaled(u64::MAX) < (1 << 32));
    // The top 32 bits scaled: for n = 2^32 it is those bits themselves.
    let mut h = SplitMix64::new(9);
    let top = SplitMix64::new(9).next_u64() >> 32;
    assert_eq!(h.below_scaled(1 << 32), top);
}

#[test]
fn fill_bytes_is_little_endian_outputs() {
    let mut g = SplitMix64::new(0);
    let mut buf = [0u8; 13];
    g.fill_bytes(&mut buf);
    assert_eq!(&buf[..8], &0xe220_a839_7b1d_cdafu64.to_le_bytes());
    assert_eq!(&buf[8..], &0x6e78_9e6a_a1b9_65f4u64.to_le_bytes()[..5]);
    // The cut-short output is consumed whole.
    assert_eq!(g.next_u64(), 0x06c4_5d18_8009_454f);
}
