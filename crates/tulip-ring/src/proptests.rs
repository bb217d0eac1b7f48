//! Property tests.
//!
//! * The ring against a model (a FIFO of given slots): over random give /
//!   take / reset sequences on rings of 1, 2, 3, 4, 7 and 16 slots, a slot
//!   is never handed out while it is given (no double hand-out), every
//!   take returns the oldest given slot (nothing lost or reordered), the
//!   counters match, and draining at the end gives back exactly the slots
//!   still given.
//! * Descriptor encode/decode: any valid field combination builds, and its
//!   words, bytes and accessors give the fields back; any 16 bytes decode
//!   and re-encode unchanged.
//! * Received-descriptor classification: a complete frame of any length
//!   and status gets exactly the errors the rules predict, computed
//!   independently here from the fields.
//! * Setup frames: any up-to-16 addresses read back through the chip's
//!   view of the entries.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::*;
use core::convert::Infallible;
use core::ops::ControlFlow;
use proptest::prelude::*;
use std::collections::VecDeque;
use test_support::{ModelCheck, run_ops};

#[derive(Clone, Copy, Debug)]
enum Op {
    Give,
    Take,
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![10 => Just(Op::Give), 9 => Just(Op::Take), 1 => Just(Op::Reset)]
}

/// A ring of `N` slots and its model, stepped together by
/// [`test_support::run_ops`].
struct Sut<const N: usize> {
    ring: Ring<N>,
    /// The given slots, oldest first.
    model: VecDeque<usize>,
    /// How often each slot was handed out / came back.
    handed: [u64; N],
    returned: [u64; N],
}

impl<const N: usize> ModelCheck for Sut<N> {
    type Op = Op;
    type Stop = Infallible;

    fn step(&mut self, o: Op) -> ControlFlow<Infallible> {
        let Sut { ring, model, handed, returned } = self;
        match o {
            Op::Give => {
                let want = ring.next_free();
                match ring.give() {
                    Some(s) => {
                        assert_eq!(want, Some(s));
                        assert!(s < N);
                        assert!(!model.contains(&s), "slot {s} handed out twice: given {model:?}");
                        // Ring order: the slot after the newest given one.
                        if let Some(&newest) = model.back() {
                            assert_eq!(s, (newest + 1) % N);
                        }
                        model.push_back(s);
                        handed[s] += 1;
                    }
                    None => assert_eq!(model.len(), N, "refused to give with {} given", model.len()),
                }
            }
            Op::Take => {
                let want = ring.oldest();
                let got = ring.take();
                assert_eq!(got, want);
                assert_eq!(got, model.pop_front(), "took back something else than the oldest given slot");
                if let Some(s) = got {
                    returned[s] += 1;
                }
            }
            Op::Reset => {
                ring.reset();
                // Everything given is dropped (the chip was reset too).
                for s in model.drain(..) {
                    returned[s] += 1;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn check(&self) {
        let Sut { ring, model, .. } = self;
        assert_eq!(ring.in_flight(), model.len());
        assert_eq!(ring.free(), N - model.len());
        assert_eq!(ring.is_full(), model.len() == N);
        assert_eq!(ring.is_empty(), model.is_empty());
        assert!(ring.given_slots().eq(model.iter().copied()));
        for s in 0..N {
            assert_eq!(ring.is_given(s), model.contains(&s));
        }
    }
}

fn run_ring<const N: usize>(ops: &[Op]) {
    let mut sut = Sut::<N> { ring: Ring::new(), model: VecDeque::new(), handed: [0; N], returned: [0; N] };
    let _ = run_ops(&mut sut, ops.iter().copied());
    let Sut { mut ring, mut model, handed, mut returned } = sut;
    // Drain: exactly the given slots come back, oldest first; none is lost.
    while let Some(s) = ring.take() {
        assert_eq!(Some(s), model.pop_front());
        returned[s] += 1;
    }
    assert!(model.is_empty());
    assert_eq!(handed, returned, "every slot handed out came back exactly once");
}

fn addr() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()]
}

fn len() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), Just(1), Just(MAX_BUF_LEN), 0..=MAX_BUF_LEN]
}

/// Any status, or a mostly good one: FS | LS and only the bits that are
/// no error by themselves (FF, MF, FT, DT, TL, ES) plus, rarely, one more.
fn rx_status() -> impl Strategy<Value = u32> {
    let benign = rdes0::FF | rdes0::MF | rdes0::FT | rdes0::DT_MASK << rdes0::DT_SHIFT | rdes0::TL | rdes0::ES;
    prop_oneof![
        any::<u32>(),
        (any::<u32>(), prop_oneof![Just(0u32), (0u32..16).prop_map(|b| 1 << b)])
            .prop_map(move |(s, extra)| (s & benign) | rdes0::FS | rdes0::LS | extra),
    ]
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn ring_never_hands_out_twice_nor_loses(n in 0usize..6, ops in prop::collection::vec(op(), 0..80)) {
        match n {
            0 => run_ring::<1>(&ops),
            1 => run_ring::<2>(&ops),
            2 => run_ring::<3>(&ops),
            3 => run_ring::<4>(&ops),
            4 => run_ring::<7>(&ops),
            _ => run_ring::<16>(&ops),
        }
    }

    #[test]
    fn tx_desc_round_trips(buf1 in addr(), len1 in len(), buf2 in addr(), len2 in len(), flags in any::<u32>(), own in any::<bool>()) {
        let flags = flags & tdes1::FLAGS;
        let len2 = if flags & tdes1::TCH != 0 { 0 } else { len2 };
        match TxDesc::new(buf1, len1, buf2, len2, flags) {
            Err(e) => prop_assert!(len1 == 0 && e == DescError::EmptyBuffer, "{e:?}"),
            Ok(d) => {
                let d = if own { d.owned() } else { d };
                prop_assert_eq!((d.buf1(), d.len1(), d.buf2(), d.len2(), d.flags()), (buf1, len1, buf2, len2, flags));
                prop_assert_eq!(d.is_owned(), own);
                prop_assert_eq!(d.is_setup(), flags & tdes1::SET != 0);
                prop_assert_eq!(d.end_of_ring(), flags & tdes1::TER != 0);
                prop_assert_eq!(d.chained(), flags & tdes1::TCH != 0);
                prop_assert_eq!(TxDesc::from_le_bytes(&d.to_le_bytes()), d);
                prop_assert_eq!(d.completion().is_none(), own);
            }
        }
    }

    #[test]
    fn rx_desc_round_trips(buf1 in addr(), len1 in len(), buf2 in addr(), len2 in len(), flags in any::<u32>(), own in any::<bool>()) {
        let flags = flags & rdes1::FLAGS;
        let len2 = if flags & rdes1::RCH != 0 { 0 } else { len2 };
        match RxDesc::new(buf1, len1, buf2, len2, flags) {
            Err(e) => prop_assert!(len1 == 0 && e == DescError::EmptyBuffer, "{e:?}"),
            Ok(d) => {
                let d = if own { d.owned() } else { d };
                prop_assert_eq!((d.buf1(), d.len1(), d.buf2(), d.len2(), d.flags()), (buf1, len1, buf2, len2, flags));
                prop_assert_eq!(d.capacity(), len1 + len2);
                prop_assert_eq!(d.is_owned(), own);
                prop_assert_eq!(RxDesc::from_le_bytes(&d.to_le_bytes()), d);
                prop_assert_eq!(d.received(MAX_FRAME_LEN).is_none(), own);
            }
        }
    }

    #[test]
    fn any_bytes_decode_and_reencode(bytes in any::<[u8; 16]>()) {
        let t = TxDesc::from_le_bytes(&bytes);
        prop_assert_eq!(t.to_le_bytes(), bytes);
        let r = RxDesc::from_le_bytes(&bytes);
        prop_assert_eq!(r.to_le_bytes(), bytes);
        // Word i is bytes 4i..4i+4, little-endian.
        for i in 0..4 {
            prop_assert_eq!(t.0[i], u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()));
        }
        // Decoding never panics, whatever the chip wrote.
        let _ = t.completion();
        let _ = r.received(MAX_FRAME_LEN);
    }

    #[test]
    fn rx_classification(frame_len in prop_oneof![0usize..=0x3fff, 0usize..=1600], cap in prop_oneof![1usize..=MAX_BUF_LEN, Just(1536)], status in rx_status(), max in prop_oneof![Just(MAX_FRAME_LEN), Just(MAX_VLAN_FRAME_LEN), 0usize..4000]) {
        let status = (status & !(rdes0::OWN | rdes0::FL_MASK << rdes0::FL_SHIFT)) | (frame_len as u32) << rdes0::FL_SHIFT;
        let mut d = RxDesc::single(0x1000, cap, false).unwrap();
        d.0[0] = status;
        let r = d.received(max).unwrap();
        let fs = status & rdes0::FS != 0;
        let ls = status & rdes0::LS != 0;
        let complete = fs && ls;
        prop_assert_eq!(r.len, if ls { frame_len } else { cap });
        prop_assert_eq!(r.status, status);
        prop_assert_eq!(r.errors.contains(RxErrors::TRUNCATED), !complete || status & rdes0::DE != 0);
        prop_assert_eq!(r.errors.contains(RxErrors::RUNT), status & rdes0::RF != 0 || (complete && frame_len < MIN_FRAME_LEN));
        prop_assert_eq!(r.errors.contains(RxErrors::TOO_LONG), complete && frame_len > max);
        prop_assert_eq!(r.errors.contains(RxErrors::BAD_LENGTH), complete && (frame_len > cap || frame_len > MAX_BUF_LEN));
        prop_assert_eq!(r.errors.contains(RxErrors::CRC), status & rdes0::CE != 0);
        prop_assert_eq!(r.errors.contains(RxErrors::OVERFLOW), status & rdes0::OF != 0);
        // A good frame is exactly: whole, sane length, no error bit.
        // ES summarises DE | OF | TL | CS | RE | RF | CE; with TL alone it
        // is no error (the caller's `max` decides), without any of them it
        // is reported on its own.
        let error_bits = rdes0::DE | rdes0::RF | rdes0::CE | rdes0::DB | rdes0::CS | rdes0::RW | rdes0::RE | rdes0::OF;
        let summarised = rdes0::DE | rdes0::OF | rdes0::TL | rdes0::CS | rdes0::RE | rdes0::RF | rdes0::CE;
        let summary_only = status & rdes0::ES != 0 && status & summarised == 0;
        prop_assert_eq!(r.errors.contains(RxErrors::SUMMARY_ONLY), summary_only);
        let good = complete
            && status & error_bits == 0
            && !summary_only
            && (MIN_FRAME_LEN..=max).contains(&frame_len)
            && frame_len <= cap;
        prop_assert_eq!(r.is_ok(), good, "{:?}", r);
    }

    #[test]
    fn setup_frame_holds_the_addresses(addrs in prop::collection::vec(any::<[u8; 6]>(), 0..=16)) {
        let f = setup_frame(&addrs).unwrap();
        for i in 0..SETUP_MAX_ADDRS {
            let want = addrs.get(i).copied().unwrap_or(BROADCAST);
            prop_assert_eq!(setup_frame_entry(&f, i), want);
            // The high half of each longword repeats the low half.
            for k in 0..3 {
                let o = i * SETUP_ENTRY_LEN + 4 * k;
                prop_assert_eq!(&f[o..o + 2], &f[o + 2..o + 4]);
            }
        }
    }
}
