//! The DEC 21143 "Tulip" Ethernet controller's memory interface, as data:
//! descriptors, ring bookkeeping, the perfect-filter setup frame, the serial
//! ROM's MAC address and the CSR bits. No hardware access happens here (the
//! kernel's driver does the volatile CSR and descriptor accesses), so all of
//! it is tested on the host.
//!
//! # The 21143's descriptors
//!
//! The chip reads and writes 16-byte descriptors in host memory: four
//! little-endian 32-bit words (with CSR0's DBO bit clear, which is how this
//! crate encodes them):
//!
//! | word | receive (`RDES`) | transmit (`TDES`) |
//! |---|---|---|
//! | 0 | status: OWN, frame length, FS/LS, errors ([`rdes0`]) | status: OWN, errors, collision count ([`tdes0`]) |
//! | 1 | control: end of ring, chained, two 11-bit buffer sizes ([`rdes1`]) | control: IC, FS/LS, setup frame, end of ring, chained, buffer sizes ([`tdes1`]) |
//! | 2 | buffer 1 bus address | buffer 1 bus address |
//! | 3 | buffer 2 bus address, or the next descriptor when chained | same |
//!
//! OWN (bit 31 of word 0) says who may touch the descriptor: set, the chip;
//! clear, the host. A driver fills words 1-3, then writes word 0 with OWN
//! set *last* (after a write barrier); the chip clears OWN when it is done,
//! having written the status. [`TxDesc`] and [`RxDesc`] build and decode
//! the words; [`Ring`] keeps track of which ring slots are with the chip.
//!
//! Descriptors are laid out as a ring (consecutive, the last one flagged
//! "end of ring", CSR0's descriptor skip length 0) or chained (word 3 points
//! at the next). The chip starts at the ring bases written to CSR3 (receive)
//! and CSR4 (transmit).
//!
//! # Media
//!
//! [`srom_info`] parses the serial ROM's info leaf and media blocks,
//! [`mii`] encodes the MII management frames bit-banged on CSR9 (behind a
//! pin trait, so the tests run them against model PHYs), and [`media`]
//! has the 802.3 autonegotiation resolution and the CSR6 and CSR12-CSR15
//! values of each port. The kernel's `drivers/tulip/media.rs` does the
//! register accesses and the waiting.
//!
//! # What is not here
//!
//! The 512-bit hash filter, interrupts, following link changes at run time.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod csr;
mod desc;
mod flags;
pub mod media;
pub mod mii;
mod ring;
mod setup;
pub mod srom;
pub mod srom_info;

pub use desc::*;
pub use ring::Ring;
pub use setup::*;

#[cfg(test)]
mod media_proptests;
#[cfg(test)]
mod media_tests;
#[cfg(test)]
mod models;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
