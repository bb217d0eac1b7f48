//! Unit tests: exact encodings, the classification of received
//! descriptors, the setup frame layout, the serial ROM protocol against a
//! model of QEMU's 93xx EEPROM, and ring bookkeeping.

use super::*;
use crate::csr::{Csr5, RxState, TxState, csr0, csr5, csr6};

// ---------------------------------------------------------------- ring

#[test]
fn ring_gives_in_order_and_takes_back_in_order() {
    let mut r = Ring::<4>::new();
    assert!(r.is_empty() && !r.is_full());
    assert_eq!(r.oldest(), None);
    assert_eq!(r.take(), None);
    assert_eq!((r.give(), r.give(), r.give()), (Some(0), Some(1), Some(2)));
    assert_eq!(r.in_flight(), 3);
    assert_eq!(r.free(), 1);
    assert_eq!(r.oldest(), Some(0));
    assert_eq!(r.take(), Some(0));
    assert_eq!(r.give(), Some(3));
    assert_eq!(r.give(), Some(0)); // wrapped
    assert!(r.is_full());
    assert_eq!(r.give(), None);
    assert_eq!(r.next_free(), None);
    assert_eq!(r.given_slots().collect::<Vec<_>>(), [1, 2, 3, 0]);
    assert!(r.is_given(0) && r.is_given(3) && !r.is_given(4));
    for want in [1, 2, 3, 0] {
        assert_eq!(r.take(), Some(want));
    }
    assert!(r.is_empty());
    assert_eq!(r.take(), None);
    assert_eq!(r.next_free(), Some(1));
}

#[test]
fn ring_of_one() {
    let mut r = Ring::<1>::new();
    for _ in 0..3 {
        assert_eq!(r.give(), Some(0));
        assert_eq!(r.give(), None);
        assert_eq!(r.take(), Some(0));
        assert_eq!(r.take(), None);
    }
    assert!(Ring::<1>::is_end_of_ring(0));
}

#[test]
fn ring_geometry_and_reset() {
    assert_eq!(Ring::<8>::BYTES, 128);
    assert_eq!(Ring::<8>::offset(3), 48);
    assert!(Ring::<8>::is_end_of_ring(7) && !Ring::<8>::is_end_of_ring(6));
    assert_eq!(Ring::<8>::next(7), 0);
    let mut r = Ring::<8>::default();
    r.give();
    r.give();
    r.take();
    r.reset();
    assert_eq!(r, Ring::<8>::new());
    assert_eq!(r.give(), Some(0));
}

// ---------------------------------------------------------------- TX

#[test]
fn tx_frame_encoding() {
    let d = TxDesc::frame(0x4000_2010, 1514, true).unwrap();
    assert_eq!(d.0, [0, tdes1::IC | tdes1::LS | tdes1::FS | tdes1::TER | 1514, 0x4000_2010, 0]);
    assert!(!d.is_owned());
    let o = d.owned();
    assert_eq!(o.status(), 0x8000_0000);
    assert!(o.is_owned() && o.end_of_ring() && !o.chained() && !o.is_setup());
    assert_eq!((o.len1(), o.len2(), o.buf1()), (1514, 0, 0x4000_2010));
    assert_eq!(
        o.to_le_bytes(),
        [0, 0, 0, 0x80, 0xea, 0x05, 0, 0xe2, 0x10, 0x20, 0, 0x40, 0, 0, 0, 0],
    );
    assert_eq!(TxDesc::from_le_bytes(&o.to_le_bytes()), o);
    assert_eq!(o.completion(), None);
}

#[test]
fn tx_setup_encoding() {
    let d = TxDesc::setup_frame(0x8012_3400, false);
    assert_eq!(d.control(), tdes1::SET | tdes1::IC | 192);
    assert!(d.is_setup());
    assert_eq!(d.len1(), SETUP_FRAME_LEN);
    assert_eq!(d.flags() & (tdes1::FT0 | tdes1::FT1), 0, "perfect filtering");
}

#[test]
fn tx_two_buffers_and_chained() {
    let d = TxDesc::new(0x1000, 100, 0x2000, 2047, tdes1::FS | tdes1::LS).unwrap();
    assert_eq!((d.len1(), d.len2(), d.buf2()), (100, 2047, 0x2000));
    let c = TxDesc::new(0x1000, 100, 0x3000, 0, tdes1::TCH | tdes1::FS).unwrap();
    assert!(c.chained());
    assert_eq!(c.buf2(), 0x3000);
}

#[test]
fn tx_refuses_bad_descriptors() {
    assert_eq!(TxDesc::frame(0, 2048, false), Err(DescError::BufferTooLong { which: 1, len: 2048 }));
    assert_eq!(TxDesc::new(0, 1, 0, 5000, 0), Err(DescError::BufferTooLong { which: 2, len: 5000 }));
    assert_eq!(TxDesc::frame(0, 0, false), Err(DescError::EmptyBuffer));
    assert_eq!(TxDesc::new(0, 10, 0, 0, tdes1::IC | 1 << 21 | 1), Err(DescError::BadFlags(1 << 21 | 1)));
    assert_eq!(TxDesc::new(0, 10, 0x40, 4, tdes1::TCH), Err(DescError::ChainedWithBuffer2));
    let msg = format!("{}", DescError::BufferTooLong { which: 1, len: 2048 });
    assert!(msg.contains("2048") && msg.contains("2047"), "{msg}");
}

#[test]
fn tx_completion_decoding() {
    let sent = TxDesc([0, tdes1::FS | tdes1::LS | 60, 0, 0]);
    let c = sent.completion().unwrap();
    assert!(c.errors.is_empty() && !c.setup && c.collisions == 0);

    let bad = TxDesc([tdes0::ES | tdes0::UF | tdes0::NC | 5 << tdes0::CC_SHIFT | tdes0::DE, tdes1::FS | tdes1::LS | 60, 0, 0]);
    let c = bad.completion().unwrap();
    assert_eq!(c.errors, TxErrors::UNDERFLOW | TxErrors::NO_CARRIER);
    assert_eq!(c.collisions, 5);
    assert!(c.deferred);
    assert!(c.errors.intersects(TxErrors::FATAL));
    assert!(!TxErrors::NO_CARRIER.intersects(TxErrors::FATAL));
    assert_eq!(format!("{}", c.errors), "underflow|no-carrier");

    let summary = TxDesc([tdes0::ES, tdes1::FS | tdes1::LS | 60, 0, 0]).completion().unwrap();
    assert_eq!(summary.errors, TxErrors::SUMMARY_ONLY);

    // QEMU writes 0x7fffffff back for a setup frame: not an error.
    let setup = TxDesc([tdes0::QEMU_SETUP_DONE, tdes1::SET | 192, 0, 0]).completion().unwrap();
    assert!(setup.setup && setup.errors.is_empty());
}

// ---------------------------------------------------------------- RX

fn rx_done(status: u32, len1: usize) -> RxDesc {
    let mut d = RxDesc::single(0x4000_0000, len1, false).unwrap();
    d.0[0] = status;
    d
}

fn fl(len: usize) -> u32 {
    (len as u32) << rdes0::FL_SHIFT
}

#[test]
fn rx_encoding() {
    let d = RxDesc::single(0x4000_6000, 1536, true).unwrap().owned();
    assert_eq!(d.0, [rdes0::OWN, rdes1::RER | 1536, 0x4000_6000, 0]);
    assert!(d.end_of_ring() && !d.chained() && d.is_owned());
    assert_eq!(d.capacity(), 1536);
    assert_eq!(RxDesc::from_le_bytes(&d.to_le_bytes()), d);
    assert_eq!(d.received(MAX_FRAME_LEN), None);
    let c = RxDesc::new(0x10, 64, 0x20, 0, rdes1::RCH).unwrap();
    assert!(c.chained());
    assert_eq!(RxDesc::new(0x10, 64, 0x20, 8, rdes1::RCH), Err(DescError::ChainedWithBuffer2));
    assert_eq!(RxDesc::new(0, 64, 0, 0, 1 << 31), Err(DescError::BadFlags(1 << 31)));
    assert_eq!(RxDesc::single(0, 2048, false), Err(DescError::BufferTooLong { which: 1, len: 2048 }));
    assert_eq!(RxDesc::single(0, 0, false), Err(DescError::EmptyBuffer));
}

#[test]
fn rx_good_frame_as_qemu_writes_it() {
    // QEMU 7.2's loopback of a 1514-byte frame, as logged by the kernel's
    // self-test: RDES0 0x05ee0300 = FS | LS, FL = 1514 + 4, nothing else.
    let d = rx_done(0x05ee_0300, 1536);
    let r = d.received(MAX_FRAME_LEN).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!((r.len, r.data_len()), (1518, 1514));
    assert!(!r.filter_failed() && !r.multicast());
    assert_eq!(r.data_type(), 0);
    // A real 21143 in promiscuous mode adds FF for a frame the filter
    // would have dropped; internal loopback sets DT = 1. Neither is an error.
    let d = rx_done(0x05ee_0300 | rdes0::FF | 1 << rdes0::DT_SHIFT, 1536);
    let r = d.received(MAX_FRAME_LEN).unwrap();
    assert!(r.is_ok() && r.filter_failed());
    assert_eq!(r.data_type(), 1);
}

#[test]
fn rx_runts() {
    let r = rx_done(rdes0::FS | rdes0::LS | fl(60), 1536).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::RUNT);
    let r = rx_done(rdes0::FS | rdes0::LS | fl(64), 1536).received(MAX_FRAME_LEN).unwrap();
    assert!(r.is_ok());
    let r = rx_done(rdes0::FS | rdes0::LS | rdes0::ES | rdes0::RF | fl(100), 1536).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::RUNT);
}

#[test]
fn rx_too_long_is_the_callers_limit() {
    let d = rx_done(rdes0::FS | rdes0::LS | rdes0::TL | fl(1522), 1536);
    assert_eq!(d.received(MAX_FRAME_LEN).unwrap().errors, RxErrors::TOO_LONG);
    assert!(d.received(MAX_VLAN_FRAME_LEN).unwrap().is_ok(), "TL alone is not an error");
}

#[test]
fn rx_truncated() {
    // FS without LS: went on into the next descriptor.
    let r = rx_done(rdes0::FS, 512).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::TRUNCATED);
    assert_eq!(r.len, 512);
    // LS without FS: the tail of a frame.
    let r = rx_done(rdes0::LS | fl(1000), 512).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::TRUNCATED);
    assert_eq!(r.len, 1000);
    // Neither: the middle.
    let r = rx_done(0, 512).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::TRUNCATED);
    // Descriptor error.
    let r = rx_done(rdes0::FS | rdes0::LS | rdes0::ES | rdes0::DE | fl(512), 512).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::TRUNCATED);
}

#[test]
fn rx_bad_length_and_chip_errors() {
    let r = rx_done(rdes0::FS | rdes0::LS | fl(1518), 1024).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::BAD_LENGTH);
    let r = rx_done(rdes0::FS | rdes0::LS | fl(0x3000), 1536).received(0x4000).unwrap();
    assert_eq!(r.errors, RxErrors::BAD_LENGTH);
    let all = rdes0::ES | rdes0::CE | rdes0::DB | rdes0::CS | rdes0::RW | rdes0::RE | rdes0::OF;
    let r = rx_done(rdes0::FS | rdes0::LS | fl(100) | all, 1536).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(
        r.errors,
        RxErrors::CRC | RxErrors::DRIBBLE | RxErrors::COLLISION | RxErrors::WATCHDOG | RxErrors::MII | RxErrors::OVERFLOW
    );
    assert_eq!(format!("{}", r.errors), "crc|dribble|collision|watchdog|mii|overflow");
    let r = rx_done(rdes0::FS | rdes0::LS | fl(100) | rdes0::ES, 1536).received(MAX_FRAME_LEN).unwrap();
    assert_eq!(r.errors, RxErrors::SUMMARY_ONLY);
    assert_eq!(format!("{}", RxErrors::empty()), "none");
}

#[test]
fn flag_set_operations() {
    let mut e = RxErrors::empty();
    e.insert(RxErrors::CRC);
    e |= RxErrors::RUNT;
    assert!(e.contains(RxErrors::CRC | RxErrors::RUNT));
    e.remove(RxErrors::CRC);
    assert_eq!(e, RxErrors::RUNT);
    assert_eq!(RxErrors::from_bits_truncate(0xffff).names().count(), RxErrors::ALL.len());
    assert_eq!(format!("{e:?}"), "RxErrors(runt)");
}

// ---------------------------------------------------------------- setup frame

const MAC_A: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const MAC_B: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

#[test]
fn setup_frame_layout_matches_linux() {
    let f = setup_frame(&[MAC_A, MAC_B]).unwrap();
    // Linux: u16 setup_frame[96]; entry = e[0], e[0], e[1], e[1], e[2], e[2]
    // with e = the address as little-endian u16s.
    assert_eq!(&f[0..12], &[0x52, 0x54, 0x52, 0x54, 0x00, 0x12, 0x00, 0x12, 0x34, 0x56, 0x34, 0x56]);
    assert_eq!(setup_frame_entry(&f, 0), MAC_A);
    assert_eq!(setup_frame_entry(&f, 1), MAC_B);
    for i in 2..16 {
        assert_eq!(setup_frame_entry(&f, i), BROADCAST);
    }
    assert!(f[24..].iter().all(|&b| b == 0xff));
}

#[test]
fn setup_frame_limits() {
    let all = [MAC_A; 16];
    let f = setup_frame(&all).unwrap();
    assert!((0..16).all(|i| setup_frame_entry(&f, i) == MAC_A));
    assert_eq!(setup_frame(&[MAC_A; 17]), Err(SetupError::TooMany(17)));
    assert_eq!(setup_frame(&[]).unwrap(), [0xff; SETUP_FRAME_LEN]);
}

#[test]
fn mac_helpers() {
    assert!(is_valid_unicast(&MAC_A));
    assert!(!is_valid_unicast(&MAC_B));
    assert!(!is_valid_unicast(&BROADCAST));
    assert!(!is_valid_unicast(&[0; 6]));
    assert_eq!(format!("{}", mac_display(&MAC_A)), "52:54:00:12:34:56");
}

// ---------------------------------------------------------------- serial ROM

/// QEMU's `hw/nvram/eeprom93xx.c` read path (start bit 0 then 1, two opcode
/// bits, address bits, a dummy 0, then 16 data bits on rising SK edges),
/// behind QEMU's CSR9 (`tulip_csr9_write` / `tulip_csr9_read`).
struct QemuSrom {
    contents: Vec<u16>,
    addrbits: u32,
    tick: u32,
    eecs: bool,
    eesk: bool,
    eedo: bool,
    address: u32,
    command: u32,
    data: u16,
    csr9: u32,
}

impl QemuSrom {
    fn new(contents: Vec<u16>) -> Self {
        QemuSrom { contents, addrbits: 6, tick: 0, eecs: false, eesk: false, eedo: true, address: 0, command: 0, data: 0, csr9: 0 }
    }

    fn eeprom_write(&mut self, cs: bool, sk: bool, di: bool) {
        if !self.eecs && cs {
            self.tick = 0;
            self.command = 0;
            self.address = 0;
        } else if self.eecs && !cs {
            self.eedo = true;
        } else if cs && !self.eesk && sk {
            let ab = self.addrbits;
            if self.tick == 0 {
                self.tick = if di { 2 } else { 1 };
            } else if self.tick == 1 {
                if di {
                    self.tick += 1;
                }
            } else if self.tick < 4 {
                self.tick += 1;
                self.command = (self.command << 1) | di as u32;
            } else if self.tick < 4 + ab {
                self.tick += 1;
                self.address = (self.address << 1) | di as u32;
                if self.tick == 4 + ab {
                    if self.command == 2 {
                        self.eedo = false;
                    }
                    self.address %= self.contents.len() as u32;
                    self.data = self.contents[self.address as usize];
                }
            } else if self.tick < 4 + ab + 16 {
                self.tick += 1;
                if self.command == 2 {
                    self.eedo = self.data & 0x8000 != 0;
                }
                self.data = (self.data << 1) | di as u16;
            }
        }
        self.eecs = cs;
        self.eesk = sk;
    }

    fn csr9_write(&mut self, v: u32) {
        if v & srom::SR != 0 {
            self.eeprom_write(v & srom::CS != 0, v & srom::SK != 0, v & srom::DI != 0);
        }
        self.csr9 = v;
    }

    fn csr9_read(&mut self) -> u32 {
        if self.csr9 & srom::SR != 0 {
            if self.eedo {
                self.csr9 |= srom::DO;
            } else {
                self.csr9 &= !srom::DO;
            }
        }
        self.csr9
    }
}

#[test]
fn srom_read_command_bits() {
    let bits: Vec<u8> = srom::read_command(10, 6).map(u8::from).collect();
    assert_eq!(bits, [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0]);
    let bits: Vec<u8> = srom::read_command(0xff, 8).map(u8::from).collect();
    assert_eq!(bits, [0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
}

#[test]
fn srom_reads_every_word_of_qemus_model() {
    let contents: Vec<u16> = (0..64u16).map(|i| i.wrapping_mul(0x9e37) ^ 0x5a5a).collect();
    let rom = std::cell::RefCell::new(QemuSrom::new(contents.clone()));
    for w in 0..64u16 {
        let got = srom::read_word(w, 6, |v| rom.borrow_mut().csr9_write(v), || rom.borrow_mut().csr9_read());
        assert_eq!(got, contents[w as usize], "word {w}");
    }
}

#[test]
fn srom_mac_from_qemus_default_image() {
    // QEMU's tulip_fill_eeprom: words 10-12 = the MAC, little-endian.
    let mut words = vec![0u16; 64];
    words[10] = u16::from_le_bytes([MAC_A[0], MAC_A[1]]);
    words[11] = u16::from_le_bytes([MAC_A[2], MAC_A[3]]);
    words[12] = u16::from_le_bytes([MAC_A[4], MAC_A[5]]);
    let rom = std::cell::RefCell::new(QemuSrom::new(words.clone()));
    let read: Vec<u16> = (0..13u16)
        .map(|w| srom::read_word(w, 6, |v| rom.borrow_mut().csr9_write(v), || rom.borrow_mut().csr9_read()))
        .collect();
    assert_eq!(srom::station_address(&read), Ok(MAC_A));
    assert_eq!(srom::station_address(&[0xffff; 13]), Err(srom::AddressProblem::Erased));
    assert_eq!(srom::station_address(&[0; 13]), Err(srom::AddressProblem::Zero));
    assert_eq!(srom::station_address(&[0; 12]), Err(srom::AddressProblem::Short));
    // A multicast address (01:00:5e:00:00:fb, words little-endian) and
    // broadcast: group addresses, named in the message.
    let mut w = [0u16; 13];
    w[10..13].copy_from_slice(&[0x0001, 0x005e, 0xfb00]);
    assert_eq!(srom::station_address(&w), Err(srom::AddressProblem::Group([1, 0, 0x5e, 0, 0, 0xfb])));
    assert!(srom::AddressProblem::Group([1, 0, 0x5e, 0, 0, 0xfb]).to_string().contains("01:00:5e:00:00:fb is a group"));
    w[10..13].copy_from_slice(&[0xffff, 0xffff, 0xfffe]);
    assert!(matches!(srom::station_address(&w), Err(srom::AddressProblem::Group(_))));
    // One word short of all ones is a (locally administered) address.
    w[10..13].copy_from_slice(&[0xfffe, 0xffff, 0xffff]);
    assert_eq!(srom::station_address(&w), Ok([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]));
}

// ---------------------------------------------------------------- CSRs

#[test]
fn csr_offsets_and_values() {
    assert_eq!((csr::CSR0, csr::CSR3, csr::CSR4, csr::CSR5, csr::CSR6, csr::CSR15), (0, 0x18, 0x20, 0x28, 0x30, 0x78));
    assert_eq!(csr0::LINUX_ALPHA, 0x01A0_E000);
    assert_eq!(csr6::OM_INTERNAL_LOOPBACK, 0x400);
    assert_eq!(csr6::SR | csr6::ST, 0x2002);
    assert_eq!(csr6::RESET_VALUE & csr6::MBO, csr6::MBO);
    assert_eq!(csr5::CLEAR_ALL & (csr5::RS_MASK << csr5::RS_SHIFT | csr5::TS_MASK << csr5::TS_SHIFT), 0);
}

#[test]
fn csr5_decoding() {
    // QEMU after a loopback: RI | TI | TU, rx waiting (3), tx suspended (6).
    let v = csr5::RI | csr5::TI | csr5::TU | 3 << csr5::RS_SHIFT | 6 << csr5::TS_SHIFT;
    assert_eq!(csr::rx_state(v), RxState::Waiting);
    assert_eq!(csr::tx_state(v), TxState::Suspended);
    assert_eq!(format!("{}", Csr5(v)), "0x00660045 [TI TU RI] rx Waiting tx Suspended");
    let fbe = csr5::FBE | 2 << csr5::EB_SHIFT;
    assert!(format!("{}", Csr5(fbe)).ends_with("bus error 2 (target abort)"));
    assert_eq!(csr::rx_state(0xf000_0000), RxState::Stopped);
    assert_eq!(csr::tx_state(0xffff_ffff), TxState::Closing);
}

// ------------------------------------------------- serial ROM that reads all ones

/// A CSR9 with no serial ROM behind it (or an erased one): DO held at
/// `level` whatever is clocked in.
struct DeadSrom {
    level: bool,
    csr9: u32,
    reads: usize,
}

impl DeadSrom {
    fn read_word(&mut self, w: u16, bits: u32) -> u16 {
        let cell = std::cell::RefCell::new(self);
        srom::read_word(
            w,
            bits,
            |v| cell.borrow_mut().csr9 = v,
            || {
                let mut s = cell.borrow_mut();
                s.reads += 1;
                if s.level { s.csr9 | srom::DO } else { s.csr9 & !srom::DO }
            },
        )
    }
}

fn read_whole(mut f: impl FnMut(u16, u32) -> u16) -> (srom::RomRead, Vec<u16>) {
    let mut out = [0u16; srom::MAX_WORDS];
    let r = srom::read_rom(&mut f, &mut out);
    (r, out[..r.words].to_vec())
}

#[test]
fn srom_reading_all_ones_is_one_clear_problem() {
    let mut dead = DeadSrom { level: true, csr9: 0, reads: 0 };
    let (r, words) = read_whole(|w, b| dead.read_word(w, b));
    // Both widths tried, neither gave an address: the 6-bit reading's
    // problem, the whole 64 words read at 6 bits.
    assert_eq!(r, srom::RomRead { addr_bits: 6, words: 64, mac: Err(srom::AddressProblem::Erased) });
    assert!(words.iter().all(|&w| w == 0xffff));
    let mut rom = vec![0u8; 2 * words.len()];
    srom_info::words_to_bytes(&words, &mut rom);
    let s = srom::stuck(&rom).expect("an all-ones ROM is stuck");
    assert_eq!(s, srom::Stuck { value: 0xffff, words: 64 });
    assert_eq!(
        s.to_string(),
        "reads 0xffff in all 64 words (DO never goes low: the ROM is erased, missing or does not answer)"
    );
    // What else the driver would check says the same, not more: the
    // info leaf is blank, and the checksum cannot match.
    assert_eq!(srom_info::parse(&rom, 1).unwrap_err(), srom_info::SromError::Blank { byte: 0xff });
    assert!(!srom_info::check_crc(&rom).unwrap().ok());

    let mut low = DeadSrom { level: false, csr9: 0, reads: 0 };
    let (r, words) = read_whole(|w, b| low.read_word(w, b));
    assert_eq!(r.mac, Err(srom::AddressProblem::Zero));
    let mut rom = vec![0u8; 2 * words.len()];
    srom_info::words_to_bytes(&words, &mut rom);
    assert_eq!(srom::stuck(&rom), Some(srom::Stuck { value: 0, words: 64 }));
    assert!(srom::stuck(&rom).unwrap().to_string().contains("DO never goes high"));
}

#[test]
fn srom_stuck_only_when_every_word_is() {
    assert_eq!(srom::stuck(&[]), None);
    assert_eq!(srom::stuck(&[0xff; 20]), None, "too short to say");
    let mut rom = [0xffu8; 128];
    rom[127] = 0xfe;
    assert_eq!(srom::stuck(&rom), None);
    assert_eq!(srom::stuck(&[0x55; 128]), None);
}

#[test]
fn srom_read_rom_finds_the_width() {
    // QEMU's 64-word part: 6 bits.
    let mut words = vec![0u16; 64];
    words[10..13].copy_from_slice(&[0x5452, 0x1200, 0x5634]);
    let q = std::cell::RefCell::new(QemuSrom::new(words.clone()));
    let (r, got) = read_whole(|w, b| srom::read_word(w, b, |v| q.borrow_mut().csr9_write(v), || q.borrow_mut().csr9_read()));
    assert_eq!(r.addr_bits, 6);
    assert_eq!(r.mac, Ok([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]));
    assert_eq!(got, words);
    // A 256-word part: read at 6 bits it takes the first two data clocks
    // as address bits and answers words 40, 44, 48 shifted, all ones here,
    // so 8 bits are tried and give the address. (Were words 40-48 to read
    // as a unicast address at 6 bits, the 6-bit reading would be taken:
    // Linux sizes the address through the part's dummy zero bit instead.)
    let mut big = vec![0xffffu16; 256];
    for (i, w) in big.iter_mut().enumerate().skip(64) {
        *w = (i as u16).wrapping_mul(0x3b1);
    }
    big[10..13].copy_from_slice(&[0x5452, 0x1200, 0x5634]);
    let mut model = QemuSrom::new(big.clone());
    model.addrbits = 8;
    let q = std::cell::RefCell::new(model);
    let (r, got) = read_whole(|w, b| srom::read_word(w, b, |v| q.borrow_mut().csr9_write(v), || q.borrow_mut().csr9_read()));
    assert_eq!((r.addr_bits, r.words), (8, 256));
    assert_eq!(r.mac, Ok([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]));
    assert_eq!(got, big);
}
