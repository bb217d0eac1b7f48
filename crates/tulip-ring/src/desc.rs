//! Receive and transmit descriptors: bit layout, construction, decoding.

use crate::flags::flag_set;
use core::fmt;

/// Bytes per descriptor (with CSR0's descriptor skip length 0).
pub const DESC_SIZE: usize = 16;
/// Largest buffer size a descriptor can describe (11-bit fields).
pub const MAX_BUF_LEN: usize = 0x7ff;
/// The frame check sequence the chip appends on transmit and counts in the
/// received frame length.
pub const CRC_LEN: usize = 4;
/// Shortest legal Ethernet frame, CRC included.
pub const MIN_FRAME_LEN: usize = 64;
/// Longest untagged Ethernet frame, CRC included (the chip's "frame too
/// long" limit).
pub const MAX_FRAME_LEN: usize = 1518;
/// Longest VLAN-tagged Ethernet frame, CRC included.
pub const MAX_VLAN_FRAME_LEN: usize = 1522;

/// Receive descriptor word 0 (status), written by the chip.
pub mod rdes0 {
    /// Owned by the chip.
    pub const OWN: u32 = 1 << 31;
    /// Filtering fail: the frame failed the address filter and was passed
    /// only because of promiscuous / receive-all mode. (QEMU's model
    /// computes it but overwrites it before writing the descriptor, so it
    /// never shows there.)
    pub const FF: u32 = 1 << 30;
    /// Frame length (CRC included), valid in the last descriptor of a frame.
    pub const FL_SHIFT: u32 = 16;
    /// Mask of the frame length after shifting.
    pub const FL_MASK: u32 = 0x3fff;
    /// Error summary: DE | OF | TL | CS | RE | RF | CE.
    pub const ES: u32 = 1 << 15;
    /// Descriptor error: the frame was truncated because it did not fit the
    /// descriptor's buffers and the chip did not own the next descriptor.
    pub const DE: u32 = 1 << 14;
    /// Data type shift (0 serial, 1 internal loopback, 2 external loopback).
    pub const DT_SHIFT: u32 = 12;
    /// Data type mask after shifting.
    pub const DT_MASK: u32 = 3;
    /// Runt frame (shorter than 64 bytes).
    pub const RF: u32 = 1 << 11;
    /// Multicast frame.
    pub const MF: u32 = 1 << 10;
    /// First descriptor of a frame.
    pub const FS: u32 = 1 << 9;
    /// Last descriptor of a frame (the frame length is valid).
    pub const LS: u32 = 1 << 8;
    /// Frame too long (more than 1518 bytes; the frame is not truncated).
    pub const TL: u32 = 1 << 7;
    /// Late collision seen.
    pub const CS: u32 = 1 << 6;
    /// Frame type: Ethernet (length field > 1500).
    pub const FT: u32 = 1 << 5;
    /// Receive watchdog timeout (the frame length may be invalid).
    pub const RW: u32 = 1 << 4;
    /// MII report error.
    pub const RE: u32 = 1 << 3;
    /// Dribbling bit (frame not a whole number of bytes).
    pub const DB: u32 = 1 << 2;
    /// CRC error.
    pub const CE: u32 = 1 << 1;
    /// FIFO overflow (QEMU's `RDES0_OF`).
    pub const OF: u32 = 1 << 0;
}

/// Receive descriptor word 1 (control), written by the host.
pub mod rdes1 {
    /// Receive end of ring: the next descriptor is the ring base (CSR3).
    pub const RER: u32 = 1 << 25;
    /// Second address chained: word 3 is the next descriptor.
    pub const RCH: u32 = 1 << 24;
    /// Buffer 2 size shift.
    pub const RBS2_SHIFT: u32 = 11;
    /// Buffer 1 size shift.
    pub const RBS1_SHIFT: u32 = 0;
    /// Mask of a buffer size after shifting.
    pub const SIZE_MASK: u32 = 0x7ff;
    /// Every flag bit the host may set.
    pub const FLAGS: u32 = RER | RCH;
}

/// Transmit descriptor word 0 (status), written by the chip.
pub mod tdes0 {
    /// Owned by the chip.
    pub const OWN: u32 = 1 << 31;
    /// Error summary: UF | EC | LC | NC | LO | TO | LF.
    pub const ES: u32 = 1 << 15;
    /// Transmit jabber timeout.
    pub const TO: u32 = 1 << 14;
    /// Loss of carrier during transmission.
    pub const LO: u32 = 1 << 11;
    /// No carrier.
    pub const NC: u32 = 1 << 10;
    /// Late collision.
    pub const LC: u32 = 1 << 9;
    /// Excessive collisions (16).
    pub const EC: u32 = 1 << 8;
    /// Heartbeat fail.
    pub const HF: u32 = 1 << 7;
    /// Collision count shift.
    pub const CC_SHIFT: u32 = 3;
    /// Collision count mask after shifting.
    pub const CC_MASK: u32 = 0xf;
    /// Link fail report.
    pub const LF: u32 = 1 << 2;
    /// FIFO underflow.
    pub const UF: u32 = 1 << 1;
    /// Deferred (the medium was busy when the chip first tried).
    pub const DE: u32 = 1 << 0;
    /// What QEMU writes back for a setup frame or an empty descriptor
    /// (every bit but OWN): not an error report.
    pub const QEMU_SETUP_DONE: u32 = 0x7fff_ffff;
}

/// Transmit descriptor word 1 (control), written by the host.
pub mod tdes1 {
    /// Interrupt on completion (sets CSR5 TI when the frame is sent).
    pub const IC: u32 = 1 << 31;
    /// Last segment of a frame.
    pub const LS: u32 = 1 << 30;
    /// First segment of a frame.
    pub const FS: u32 = 1 << 29;
    /// Filtering type bit 1 (setup frames).
    pub const FT1: u32 = 1 << 28;
    /// Setup frame: buffer 1 holds the 192-byte address filter.
    pub const SET: u32 = 1 << 27;
    /// Add CRC disable.
    pub const AC: u32 = 1 << 26;
    /// Transmit end of ring: the next descriptor is the ring base (CSR4).
    pub const TER: u32 = 1 << 25;
    /// Second address chained: word 3 is the next descriptor.
    pub const TCH: u32 = 1 << 24;
    /// Disabled padding (frames shorter than 64 bytes are not padded).
    pub const DPD: u32 = 1 << 23;
    /// Filtering type bit 0 (setup frames).
    pub const FT0: u32 = 1 << 22;
    /// Buffer 2 size shift.
    pub const TBS2_SHIFT: u32 = 11;
    /// Buffer 1 size shift.
    pub const TBS1_SHIFT: u32 = 0;
    /// Mask of a buffer size after shifting.
    pub const SIZE_MASK: u32 = 0x7ff;
    /// Every flag bit the host may set.
    pub const FLAGS: u32 = IC | LS | FS | FT1 | SET | AC | TER | TCH | DPD | FT0;
}

/// Why a descriptor could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescError {
    /// A buffer longer than the 11-bit size field allows.
    BufferTooLong {
        /// Which buffer (1 or 2).
        which: u8,
        /// The length asked for.
        len: usize,
    },
    /// Buffer 1 of zero length (QEMU would write back `0x7fffffff`).
    EmptyBuffer,
    /// Bits outside [`tdes1::FLAGS`] / [`rdes1::FLAGS`] in the flags given.
    BadFlags(u32),
    /// A chained descriptor with a buffer 2 length (word 3 is the link).
    ChainedWithBuffer2,
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescError::BufferTooLong { which, len } => {
                write!(f, "buffer {which} of {len} bytes exceeds the descriptor's {MAX_BUF_LEN}-byte limit")
            }
            DescError::EmptyBuffer => f.write_str("buffer 1 is empty"),
            DescError::BadFlags(b) => write!(f, "flag bits {b:#010x} are not descriptor control flags"),
            DescError::ChainedWithBuffer2 => f.write_str("a chained descriptor cannot have a buffer 2 length"),
        }
    }
}

fn check_len(which: u8, len: usize) -> Result<u32, DescError> {
    if len > MAX_BUF_LEN {
        return Err(DescError::BufferTooLong { which, len });
    }
    Ok(len as u32)
}

fn words_to_le(w: &[u32; 4]) -> [u8; DESC_SIZE] {
    let mut b = [0u8; DESC_SIZE];
    for (i, word) in w.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    b
}

fn words_from_le(b: &[u8; DESC_SIZE]) -> [u32; 4] {
    core::array::from_fn(|i| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]))
}

/// A transmit descriptor: `[TDES0, TDES1, buffer 1, buffer 2]`.
///
/// Constructors leave OWN clear; [`TxDesc::owned`] sets it. A driver
/// writes words 1-3, a write barrier, then word 0 ([`TxDesc::status`]).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct TxDesc(pub [u32; 4]);

/// The accessors TDES and RDES share: the two descriptor formats put OWN,
/// the buffer sizes and the buffer addresses in the same places, under
/// their own names (`$d0::OWN`, `$d1::$s1`/`$s2`, `$d1::SIZE_MASK`).
macro_rules! common_accessors {
    ($d0:ident, $d1:ident, $s1:ident, $s2:ident) => {
        /// The same descriptor with OWN set (handed to the chip).
        pub const fn owned(mut self) -> Self {
            self.0[0] |= $d0::OWN;
            self
        }

        /// Word 0 (status).
        pub const fn status(&self) -> u32 {
            self.0[0]
        }
        /// Word 1 (control and buffer sizes).
        pub const fn control(&self) -> u32 {
            self.0[1]
        }
        /// Buffer 1 bus address.
        pub const fn buf1(&self) -> u32 {
            self.0[2]
        }
        /// Buffer 2 bus address (the next descriptor when chained).
        pub const fn buf2(&self) -> u32 {
            self.0[3]
        }
        /// Buffer 1 length.
        pub const fn len1(&self) -> usize {
            ((self.0[1] >> $d1::$s1) & $d1::SIZE_MASK) as usize
        }
        /// Buffer 2 length.
        pub const fn len2(&self) -> usize {
            ((self.0[1] >> $d1::$s2) & $d1::SIZE_MASK) as usize
        }
    };
}

impl TxDesc {
    /// A descriptor with two buffers and the given [`tdes1`] flags. With
    /// [`tdes1::TCH`], `buf2` is the next descriptor and `len2` must be 0.
    pub fn new(buf1: u32, len1: usize, buf2: u32, len2: usize, flags: u32) -> Result<Self, DescError> {
        if flags & !tdes1::FLAGS != 0 {
            return Err(DescError::BadFlags(flags & !tdes1::FLAGS));
        }
        if len1 == 0 {
            return Err(DescError::EmptyBuffer);
        }
        if flags & tdes1::TCH != 0 && len2 != 0 {
            return Err(DescError::ChainedWithBuffer2);
        }
        let l1 = check_len(1, len1)?;
        let l2 = check_len(2, len2)?;
        Ok(TxDesc([0, flags | l2 << tdes1::TBS2_SHIFT | l1 << tdes1::TBS1_SHIFT, buf1, buf2]))
    }

    /// A whole frame in one buffer (FS | LS), interrupt on completion,
    /// ring mode (end of ring on the ring's last slot).
    pub fn frame(buf: u32, len: usize, end_of_ring: bool) -> Result<Self, DescError> {
        let eor = if end_of_ring { tdes1::TER } else { 0 };
        TxDesc::new(buf, len, 0, 0, tdes1::FS | tdes1::LS | tdes1::IC | eor)
    }

    /// A perfect-filtering setup frame (FT1 = FT0 = 0) of
    /// [`SETUP_FRAME_LEN`](crate::SETUP_FRAME_LEN) bytes at `buf`.
    pub fn setup_frame(buf: u32, end_of_ring: bool) -> Self {
        let eor = if end_of_ring { tdes1::TER } else { 0 };
        let len = crate::SETUP_FRAME_LEN as u32;
        TxDesc([0, tdes1::SET | tdes1::IC | eor | len << tdes1::TBS1_SHIFT, buf, 0])
    }

    common_accessors!(tdes0, tdes1, TBS1_SHIFT, TBS2_SHIFT);
    /// The [`tdes1`] flag bits.
    pub const fn flags(&self) -> u32 {
        self.0[1] & tdes1::FLAGS
    }
    /// OWN: the chip has it.
    pub const fn is_owned(&self) -> bool {
        self.0[0] & tdes0::OWN != 0
    }
    /// A setup frame descriptor.
    pub const fn is_setup(&self) -> bool {
        self.0[1] & tdes1::SET != 0
    }
    /// Flagged end of ring.
    pub const fn end_of_ring(&self) -> bool {
        self.0[1] & tdes1::TER != 0
    }
    /// Chained (word 3 is the next descriptor).
    pub const fn chained(&self) -> bool {
        self.0[1] & tdes1::TCH != 0
    }

    /// The words as the chip reads them (little-endian, CSR0 DBO clear).
    pub fn to_le_bytes(&self) -> [u8; DESC_SIZE] {
        words_to_le(&self.0)
    }
    /// The inverse of [`TxDesc::to_le_bytes`].
    pub fn from_le_bytes(b: &[u8; DESC_SIZE]) -> Self {
        TxDesc(words_from_le(b))
    }

    /// The outcome, once the chip has given the descriptor back (`None`
    /// while OWN is set). A setup frame's status carries no meaning (QEMU
    /// writes `0x7fffffff`; the 21143 sets all ones as well), so it is
    /// reported as `setup` with no error.
    pub fn completion(&self) -> Option<TxCompletion> {
        if self.is_owned() {
            return None;
        }
        let s = self.status();
        if self.is_setup() {
            return Some(TxCompletion { status: s, errors: TxErrors::empty(), collisions: 0, deferred: false, setup: true });
        }
        let mut e = TxErrors::empty();
        e.set(TxErrors::UNDERFLOW, s & tdes0::UF != 0);
        e.set(TxErrors::JABBER, s & tdes0::TO != 0);
        e.set(TxErrors::LOSS_OF_CARRIER, s & tdes0::LO != 0);
        e.set(TxErrors::NO_CARRIER, s & tdes0::NC != 0);
        e.set(TxErrors::LATE_COLLISION, s & tdes0::LC != 0);
        e.set(TxErrors::EXCESSIVE_COLLISIONS, s & tdes0::EC != 0);
        e.set(TxErrors::HEARTBEAT_FAIL, s & tdes0::HF != 0);
        e.set(TxErrors::LINK_FAIL, s & tdes0::LF != 0);
        let detail = tdes0::UF | tdes0::TO | tdes0::LO | tdes0::NC | tdes0::LC | tdes0::EC | tdes0::LF;
        e.set(TxErrors::SUMMARY_ONLY, s & tdes0::ES != 0 && s & detail == 0);
        Some(TxCompletion {
            status: s,
            errors: e,
            collisions: ((s >> tdes0::CC_SHIFT) & tdes0::CC_MASK) as u8,
            deferred: s & tdes0::DE != 0,
            setup: false,
        })
    }
}

impl fmt::Debug for TxDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TxDesc {{ status: {:#010x}, control: {:#010x} (len1 {}, len2 {}), buf1: {:#010x}, buf2: {:#010x} }}",
            self.0[0],
            self.0[1],
            self.len1(),
            self.len2(),
            self.0[2],
            self.0[3]
        )
    }
}

flag_set! {
    /// Transmit errors decoded from TDES0.
    pub struct TxErrors: u16 {
        /// FIFO underflow (UF).
        const UNDERFLOW = 0, "underflow";
        /// Transmit jabber timeout (TO).
        const JABBER = 1, "jabber";
        /// Loss of carrier (LO); expected in internal loopback on real hardware.
        const LOSS_OF_CARRIER = 2, "loss-of-carrier";
        /// No carrier (NC); expected in internal loopback on real hardware.
        const NO_CARRIER = 3, "no-carrier";
        /// Late collision (LC).
        const LATE_COLLISION = 4, "late-collision";
        /// Excessive collisions (EC).
        const EXCESSIVE_COLLISIONS = 5, "excessive-collisions";
        /// Heartbeat fail (HF).
        const HEARTBEAT_FAIL = 6, "heartbeat-fail";
        /// Link fail (LF).
        const LINK_FAIL = 7, "link-fail";
        /// ES set with none of the bits it summarises.
        const SUMMARY_ONLY = 8, "error-summary";
    }
}

impl TxErrors {
    /// Errors that mean the frame did not go out intact whatever the
    /// medium (carrier and heartbeat reports are medium conditions).
    pub const FATAL: TxErrors = TxErrors(
        TxErrors::UNDERFLOW.0 | TxErrors::JABBER.0 | TxErrors::LATE_COLLISION.0 | TxErrors::EXCESSIVE_COLLISIONS.0,
    );
}

/// A transmit descriptor the chip has given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxCompletion {
    /// TDES0 as written by the chip.
    pub status: u32,
    /// Decoded errors (empty for setup frames).
    pub errors: TxErrors,
    /// Collisions before success (TDES0 CC).
    pub collisions: u8,
    /// The transmission was deferred (DE): not an error.
    pub deferred: bool,
    /// The descriptor was a setup frame.
    pub setup: bool,
}

/// A receive descriptor: `[RDES0, RDES1, buffer 1, buffer 2]`.
///
/// Constructors leave OWN clear; [`RxDesc::owned`] sets it.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct RxDesc(pub [u32; 4]);

impl RxDesc {
    /// A descriptor with two buffers and the given [`rdes1`] flags. With
    /// [`rdes1::RCH`], `buf2` is the next descriptor and `len2` must be 0.
    ///
    /// Linux gives the 21143 buffers of 1536 + 4 bytes (a multiple of 4
    /// that does not end on a cache line, for an erratum of rev 65).
    pub fn new(buf1: u32, len1: usize, buf2: u32, len2: usize, flags: u32) -> Result<Self, DescError> {
        if flags & !rdes1::FLAGS != 0 {
            return Err(DescError::BadFlags(flags & !rdes1::FLAGS));
        }
        if len1 == 0 {
            return Err(DescError::EmptyBuffer);
        }
        if flags & rdes1::RCH != 0 && len2 != 0 {
            return Err(DescError::ChainedWithBuffer2);
        }
        let l1 = check_len(1, len1)?;
        let l2 = check_len(2, len2)?;
        Ok(RxDesc([0, flags | l2 << rdes1::RBS2_SHIFT | l1 << rdes1::RBS1_SHIFT, buf1, buf2]))
    }

    /// One buffer, ring mode.
    pub fn single(buf: u32, len: usize, end_of_ring: bool) -> Result<Self, DescError> {
        RxDesc::new(buf, len, 0, 0, if end_of_ring { rdes1::RER } else { 0 })
    }

    common_accessors!(rdes0, rdes1, RBS1_SHIFT, RBS2_SHIFT);
    /// Bytes the descriptor's buffers hold together.
    pub const fn capacity(&self) -> usize {
        self.len1() + self.len2()
    }
    /// The [`rdes1`] flag bits.
    pub const fn flags(&self) -> u32 {
        self.0[1] & rdes1::FLAGS
    }
    /// OWN: the chip has it.
    pub const fn is_owned(&self) -> bool {
        self.0[0] & rdes0::OWN != 0
    }
    /// Flagged end of ring.
    pub const fn end_of_ring(&self) -> bool {
        self.0[1] & rdes1::RER != 0
    }
    /// Chained (word 3 is the next descriptor).
    pub const fn chained(&self) -> bool {
        self.0[1] & rdes1::RCH != 0
    }
    /// RDES0's frame length field (CRC included; valid with LS).
    pub const fn frame_len(&self) -> usize {
        ((self.0[0] >> rdes0::FL_SHIFT) & rdes0::FL_MASK) as usize
    }

    /// The words as the chip reads them (little-endian, CSR0 DBO clear).
    pub fn to_le_bytes(&self) -> [u8; DESC_SIZE] {
        words_to_le(&self.0)
    }
    /// The inverse of [`RxDesc::to_le_bytes`].
    pub fn from_le_bytes(b: &[u8; DESC_SIZE]) -> Self {
        RxDesc(words_from_le(b))
    }

    /// The received frame, once the chip has given the descriptor back
    /// (`None` while OWN is set), for a driver that gives every frame one
    /// descriptor (buffers of at least `max_len` bytes). `max_len` is the
    /// longest acceptable frame, CRC included ([`MAX_FRAME_LEN`], or
    /// [`MAX_VLAN_FRAME_LEN`]: Linux ignores the chip's TL bit and checks
    /// the length itself, for VLAN frames).
    ///
    /// `len` is the frame length field (CRC included) when the descriptor
    /// holds the frame's end (LS), else the descriptor's buffer capacity
    /// (all the chip wrote into it; the field is only valid with LS).
    ///
    /// Classification: [`RxErrors::TRUNCATED`] if the frame did not start
    /// and end in this descriptor (FS without LS: it went on into the next
    /// one; LS without FS, or neither: a piece of a frame whose start was
    /// elsewhere) or the chip reported a descriptor error (DE);
    /// [`RxErrors::RUNT`] for RF or a complete frame shorter than
    /// [`MIN_FRAME_LEN`]; [`RxErrors::TOO_LONG`] for a complete frame
    /// longer than `max_len` (TL alone is not an error: with a larger
    /// `max_len` the caller accepts long frames); [`RxErrors::BAD_LENGTH`]
    /// if a complete frame's length exceeds the descriptor's buffers or
    /// 2047 bytes, and the chip's own error bits one by one.
    pub fn received(&self, max_len: usize) -> Option<Received> {
        if self.is_owned() {
            return None;
        }
        let s = self.status();
        let first = s & rdes0::FS != 0;
        let last = s & rdes0::LS != 0;
        let complete = first && last;
        let len = if last { self.frame_len() } else { self.capacity() };
        let mut e = RxErrors::empty();
        e.set(RxErrors::TRUNCATED, !complete || s & rdes0::DE != 0);
        if complete {
            e.set(RxErrors::RUNT, s & rdes0::RF != 0 || len < MIN_FRAME_LEN);
            e.set(RxErrors::TOO_LONG, len > max_len);
            e.set(RxErrors::BAD_LENGTH, len > self.capacity() || len > MAX_BUF_LEN);
        } else {
            e.set(RxErrors::RUNT, s & rdes0::RF != 0);
        }
        e.set(RxErrors::CRC, s & rdes0::CE != 0);
        e.set(RxErrors::DRIBBLE, s & rdes0::DB != 0);
        e.set(RxErrors::COLLISION, s & rdes0::CS != 0);
        e.set(RxErrors::WATCHDOG, s & rdes0::RW != 0);
        e.set(RxErrors::MII, s & rdes0::RE != 0);
        e.set(RxErrors::OVERFLOW, s & rdes0::OF != 0);
        let detail = rdes0::DE | rdes0::OF | rdes0::TL | rdes0::CS | rdes0::RE | rdes0::RF | rdes0::CE;
        e.set(RxErrors::SUMMARY_ONLY, s & rdes0::ES != 0 && s & detail == 0);
        Some(Received { len, errors: e, status: s })
    }
}

impl fmt::Debug for RxDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RxDesc {{ status: {:#010x} (FL {}), control: {:#010x} (len1 {}, len2 {}), buf1: {:#010x}, buf2: {:#010x} }}",
            self.0[0],
            self.frame_len(),
            self.0[1],
            self.len1(),
            self.len2(),
            self.0[2],
            self.0[3]
        )
    }
}

flag_set! {
    /// Receive errors: the chip's bits and this crate's classification.
    pub struct RxErrors: u16 {
        /// The frame is not whole in this descriptor (FS without LS, LS
        /// without FS, neither), or DE.
        const TRUNCATED = 0, "truncated";
        /// Shorter than 64 bytes (RF, or the length says so).
        const RUNT = 1, "runt";
        /// Longer than the caller's limit.
        const TOO_LONG = 2, "too-long";
        /// A length the buffers cannot hold, or above 2047.
        const BAD_LENGTH = 3, "bad-length";
        /// CRC error (CE).
        const CRC = 4, "crc";
        /// Dribbling bit (DB).
        const DRIBBLE = 5, "dribble";
        /// Late collision seen (CS).
        const COLLISION = 6, "collision";
        /// Receive watchdog timeout (RW): the length may be invalid.
        const WATCHDOG = 7, "watchdog";
        /// MII report error (RE).
        const MII = 8, "mii";
        /// FIFO overflow (OF).
        const OVERFLOW = 9, "overflow";
        /// ES set with none of the bits it summarises.
        const SUMMARY_ONLY = 10, "error-summary";
    }
}

/// A receive descriptor the chip has given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// Frame length, CRC included (see [`RxDesc::received`]).
    pub len: usize,
    /// Errors; empty for a good frame.
    pub errors: RxErrors,
    /// RDES0 as written by the chip.
    pub status: u32,
}

impl Received {
    /// No error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
    /// The frame without its CRC.
    pub fn data_len(&self) -> usize {
        self.len.saturating_sub(CRC_LEN)
    }
    /// FF: passed only because of promiscuous mode.
    pub fn filter_failed(&self) -> bool {
        self.status & rdes0::FF != 0
    }
    /// MF: a multicast (or broadcast) destination.
    pub fn multicast(&self) -> bool {
        self.status & rdes0::MF != 0
    }
    /// RDES0 DT: 0 serial, 1 internal loopback, 2 external loopback.
    pub fn data_type(&self) -> u32 {
        (self.status >> rdes0::DT_SHIFT) & rdes0::DT_MASK
    }
}
