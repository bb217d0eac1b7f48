//! The device-independent parts of a bus-master IDE (ATA) driver: what a
//! driver builds, sends and decodes, without touching any hardware.
//!
//! * [`prd`]: the Physical Region Descriptor table of SFF-8038i
//!   ("Bus Master Programming Interface for IDE ATA Controllers",
//!   section "Physical Region Descriptor"): 8-byte entries (32-bit bus
//!   address, byte count in bits 15:0 with 0 meaning 64 KiB, end of table
//!   in bit 31). [`prd::build`] enforces the rules the controller relies on
//!   and QEMU's model does not check: every region even in address and
//!   length, none crossing a 64 KiB boundary, none longer than 64 KiB,
//!   nothing above 4 GiB; [`prd::table_fits`] checks the table itself
//!   (dword aligned, not crossing 64 KiB, below 4 GiB). The bus-master
//!   register block (command, status, table pointer) is [`prd::bm`].
//! * [`taskfile`]: the commands of ATA/ATAPI-8 ACS ("Command
//!   descriptions": READ/WRITE DMA (EXT), READ/WRITE SECTOR(S) (EXT),
//!   FLUSH CACHE (EXT), IDENTIFY DEVICE, SET FEATURES), which command a
//!   transfer needs (28-bit commands only up to 256 sectors and below the
//!   28-bit limit, 48-bit ones up to 65536 sectors when the drive has the
//!   48-bit Address feature set), and the order the command block
//!   registers are written in (ATA/ATAPI-8 ATA8-APT, "Register
//!   addressing": for 48-bit commands the previous-content (high order)
//!   bytes first).
//! * [`identify`]: the IDENTIFY DEVICE data (ACS, "IDENTIFY DEVICE",
//!   table "IDENTIFY DEVICE data"), checked (word 0, the integrity word
//!   255, LBA support, a capacity) and decoded.
//! * [`status`]: the Status and Error register bits (ACS, "Normal and
//!   Error Outputs") and the SFF-8038i Bus Master IDE Status register,
//!   as words for log lines.
//!
//! Nothing here panics on bad input: every check is a typed error whose
//! `Display` names the value at fault.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod identify;
pub mod prd;
pub mod status;
pub mod taskfile;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
