//! Unit tests of the single decisions, with the values a broken device
//! gives.

use super::*;

const W: Windows = TSUNAMI;

#[test]
fn ids() {
    assert_eq!(classify_id(0xffff_ffff), IdAnswer::Empty);
    assert_eq!(classify_id(0x0019_1011), IdAnswer::Device { vendor: 0x1011, device: 0x0019 });
    assert_eq!(classify_id(0x1234_ffff), IdAnswer::Invalid(0x1234_ffff));
    assert_eq!(classify_id(0), IdAnswer::Invalid(0));
    assert_eq!(classify_id(0x0019_0000), IdAnswer::Invalid(0x0019_0000));
    // Device ID 0xffff with a real vendor is allowed.
    assert_eq!(classify_id(0xffff_1011), IdAnswer::Device { vendor: 0x1011, device: 0xffff });
}

#[test]
fn header_kinds() {
    assert_eq!(HeaderKind::from_byte(0x80), HeaderKind::Normal);
    assert_eq!(HeaderKind::from_byte(0x01).bar_count(), 2);
    assert_eq!(HeaderKind::from_byte(0x82).bar_count(), 1);
    assert_eq!(HeaderKind::from_byte(0x03), HeaderKind::Unknown(0x03));
    assert_eq!(HeaderKind::from_byte(0xff).bar_count(), 0);
}

#[test]
fn plain_bars() {
    assert_eq!(decode(0, 0, None, &W), Ok(None));
    assert_eq!(decode(0x8001, 0xffff_ff81, None, &W), Ok(Some(Bar::Io { port: 0x8000, size: 128 })));
    // A 16-bit I/O decoder: nothing above bit 15 reads back.
    assert_eq!(decode(0x8001, 0x0000_ff81, None, &W), Ok(Some(Bar::Io { port: 0x8000, size: 128 })));
    assert_eq!(
        decode(0x1000_0000, 0xffff_ff80, None, &W),
        Ok(Some(Bar::Memory { addr: 0x1000_0000, size: 128, prefetchable: false, is64: false }))
    );
    assert_eq!(
        decode(0x1000_000c, 0xff00_000c, Some((0, 0xffff_ffff)), &W),
        Ok(Some(Bar::Memory { addr: 0x1000_0000, size: 16 << 20, prefetchable: true, is64: true }))
    );
    // 2 GiB, 32-bit, at 2 GiB: the last half of the window exactly.
    assert_eq!(
        decode(0x8000_0000, 0x8000_0000, None, &W),
        Ok(Some(Bar::Memory { addr: 0x8000_0000, size: 1 << 31, prefetchable: false, is64: false }))
    );
}

#[test]
fn odd_bars() {
    assert_eq!(decode(0x1000_0000, 0xffff_ffff, None, &W), Err(BarProblem::AllOnes));
    assert_eq!(decode(0xffff_ffff, 0xffff_ffff, None, &W), Err(BarProblem::AllOnes));
    assert_eq!(decode(0x1000_0000, 0, None, &W), Err(BarProblem::NotWritable));
    // Only the type bits: size zero.
    assert_eq!(decode(0x8, 0x8, None, &W), Err(BarProblem::ZeroSize));
    assert_eq!(decode(0x1, 0x1, None, &W), Err(BarProblem::ZeroSize));
    assert_eq!(decode(0x4, 0x4, Some((0, 0)), &W), Err(BarProblem::ZeroSize));
    // A 64-bit BAR with only upper bits writable: at least 4 GiB.
    assert_eq!(
        decode(0x4, 0x4, Some((0, 0xffff_fffe)), &W),
        Err(BarProblem::TooLarge { size: 1 << 33, window: 1 << 32 })
    );
    assert_eq!(decode(0x6, 0xffff_f006, None, &W), Err(BarProblem::ReservedType));
    assert_eq!(decode(0x4, 0xffff_f004, None, &W), Err(BarProblem::NoUpperHalf));
    assert_eq!(
        decode(0, 0xfff0_f000, None, &W),
        Err(BarProblem::NotContiguous { mask: 0xffff_ffff_fff0_f000 })
    );
    assert_eq!(decode(0x1, 0xffff_ff80, None, &W), Err(BarProblem::TypeChanged));
    // Above the 4 GiB window.
    assert_eq!(
        decode(0x4, 0xffff_f004, Some((0x1, 0xffff_ffff)), &W),
        Err(BarProblem::OutsideWindow { start: 1 << 32, size: 4096, window: 1 << 32 })
    );
    // An I/O BAR above the Pchip's 32 MiB of I/O space.
    assert_eq!(
        decode(0x0400_0001, 0xffff_ff01, None, &W),
        Err(BarProblem::OutsideWindow { start: 0x0400_0000, size: 256, window: 1 << 25 })
    );
    // A value that is not aligned to the size read back.
    assert_eq!(
        decode(0x1000_0800, 0xffff_f000, None, &W),
        Err(BarProblem::Misaligned { start: 0x1000_0800, size: 4096 })
    );
}

#[test]
fn messages() {
    let i = BarIssue { index: 1, value: 0x8, readback: 0x8, problem: BarProblem::ZeroSize };
    assert_eq!(
        i.to_string(),
        "BAR1 (register 0x14) holds 0x00000008 and reads back 0x00000008 after writing all ones: no writable address bit: the BAR sizes to zero"
    );
    assert_eq!(
        BarProblem::TooLarge { size: 1 << 33, window: 1 << 32 }.to_string(),
        "size 0x200000000 (8G) is larger than the Pchip's 4G window (0x100000000)"
    );
    assert_eq!(
        BarProblem::OutsideWindow { start: 0xffff_f000, size: 0x2000, window: 1 << 32 }.to_string(),
        "0xfffff000-0x100000fff runs past the end of the Pchip's window (0x100000000): the CPU cannot reach it"
    );
}

#[test]
fn overlaps() {
    let m = |addr, size| Bar::Memory { addr, size, prefetchable: false, is64: false };
    assert!(overlap(&m(0x1000, 0x1000), &m(0x1800, 0x100)));
    assert!(!overlap(&m(0x1000, 0x1000), &m(0x2000, 0x100)));
    assert!(!overlap(&m(0, 0x1000), &m(0, 0x1000)), "unassigned BARs overlap nothing");
    assert!(!overlap(&m(0x1000, 0x1000), &Bar::Io { port: 0x1000, size: 0x100 }));
}

#[test]
fn slot_lists() {
    assert_eq!(SlotList { bus: 0, mask: 0 }.to_string(), "none");
    assert_eq!(SlotList { bus: 0, mask: 1 }.to_string(), "00:00");
    let mask = !((1 << 1) | (1 << 2) | (1 << 7));
    assert_eq!(SlotList { bus: 0, mask }.to_string(), "00:00, 00:03-00:06, 00:08-00:1f");
}

#[test]
fn perror() {
    let p = Perror(Perror::NDS | 0x0000_1234_5678_0000 | 0xa << 52);
    assert!(p.only_no_device());
    assert_eq!(p.address(), 0x1234_5678);
    assert_eq!(p.command(), 0xa);
    assert_eq!(p.to_string(), "0x00a0123456780100 [NDS] address field 0x12345678, command 0xa");
    let q = Perror(Perror::NDS | Perror::SGE | Perror::LOST);
    assert!(!q.only_no_device() && !q.is_clear());
    assert!(q.to_string().contains("[LOST SGE NDS]"));
    assert!(Perror(0xffff_0000).is_clear());
}
