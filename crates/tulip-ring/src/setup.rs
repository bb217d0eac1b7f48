//! The setup frame: a pseudo transmit frame ([`tdes1::SET`](crate::tdes1::SET))
//! that loads the chip's receive address filter.
//!
//! In perfect filtering mode (TDES1 FT1 = FT0 = 0) the 192-byte frame holds
//! 16 entries of 12 bytes: three little-endian longwords per address, each
//! carrying two address bytes in its low 16 bits. The high 16 bits are
//! ignored by the chip; like Linux (`build_setup_frame`), this crate repeats
//! the low half there, so the frame is right whichever way a big-endian host
//! would have laid it out. QEMU reads bytes 0, 1, 4, 5, 8, 9 of each entry.
//!
//! Unused entries are filled with the broadcast address (as Linux does),
//! which every frame filter accepts anyway.

use core::fmt;

/// Length of a setup frame.
pub const SETUP_FRAME_LEN: usize = 192;
/// Addresses a perfect-filtering setup frame holds.
pub const SETUP_MAX_ADDRS: usize = 16;
/// Bytes per entry.
pub const SETUP_ENTRY_LEN: usize = 12;
/// The broadcast address.
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// Why a setup frame could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// More than [`SETUP_MAX_ADDRS`] addresses (use the hash filter).
    TooMany(usize),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::TooMany(n) => write!(f, "{n} addresses; a perfect-filtering setup frame holds {SETUP_MAX_ADDRS}"),
        }
    }
}

/// The perfect-filtering setup frame for `addrs` (at most 16; unused
/// entries get the broadcast address).
pub fn setup_frame(addrs: &[[u8; 6]]) -> Result<[u8; SETUP_FRAME_LEN], SetupError> {
    if addrs.len() > SETUP_MAX_ADDRS {
        return Err(SetupError::TooMany(addrs.len()));
    }
    let mut frame = [0u8; SETUP_FRAME_LEN];
    for i in 0..SETUP_MAX_ADDRS {
        let mac = addrs.get(i).copied().unwrap_or(BROADCAST);
        let entry = &mut frame[i * SETUP_ENTRY_LEN..(i + 1) * SETUP_ENTRY_LEN];
        for k in 0..3 {
            let half = [mac[2 * k], mac[2 * k + 1]];
            entry[4 * k..4 * k + 2].copy_from_slice(&half);
            entry[4 * k + 2..4 * k + 4].copy_from_slice(&half);
        }
    }
    Ok(frame)
}

/// The address in entry `i` of a setup frame, read the way the chip (and
/// QEMU) reads it: the low 16 bits of each of the entry's three longwords.
pub fn setup_frame_entry(frame: &[u8; SETUP_FRAME_LEN], i: usize) -> [u8; 6] {
    let e = &frame[i * SETUP_ENTRY_LEN..(i + 1) * SETUP_ENTRY_LEN];
    [e[0], e[1], e[4], e[5], e[8], e[9]]
}

/// True for an address a NIC may own: not multicast/broadcast, not zero.
pub fn is_valid_unicast(mac: &[u8; 6]) -> bool {
    mac[0] & 1 == 0 && mac.iter().any(|&b| b != 0)
}

/// Formats an address as `00:11:22:33:44:55`.
pub fn mac_display(mac: &[u8; 6]) -> impl fmt::Display + '_ {
    struct M<'a>(&'a [u8; 6]);
    impl fmt::Display for M<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let m = self.0;
            write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
        }
    }
    M(mac)
}
