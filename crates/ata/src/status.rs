//! The Status and Error registers (ATA/ATAPI-8 ACS, "Normal and Error
//! Outputs"; ATA8-APT "Status register", "Error register") and the
//! SFF-8038i Bus Master IDE Status register, as words for log lines:
//! `status 0x51 (DRDY DSC ERR), error 0x04 (ABRT)`.

use core::fmt;

/// Status bit 7: the device is busy (the other bits are not valid).
pub const BSY: u8 = 1 << 7;
/// Status bit 6: the device is ready for a command.
pub const DRDY: u8 = 1 << 6;
/// Status bit 5: device fault.
pub const DF: u8 = 1 << 5;
/// Status bit 4: seek complete (obsolete).
pub const DSC: u8 = 1 << 4;
/// Status bit 3: the device wants to move a block of data (PIO).
pub const DRQ: u8 = 1 << 3;
/// Status bit 2: corrected data (obsolete).
pub const CORR: u8 = 1 << 2;
/// Status bit 1: index (obsolete).
pub const IDX: u8 = 1 << 1;
/// Status bit 0: the command ended in error (see the Error register).
pub const ERR: u8 = 1 << 0;

/// Error bit 7: interface CRC error (Ultra DMA).
pub const ICRC: u8 = 1 << 7;
/// Error bit 6: uncorrectable data error.
pub const UNC: u8 = 1 << 6;
/// Error bit 5: media changed.
pub const MC: u8 = 1 << 5;
/// Error bit 4: ID (address) not found.
pub const IDNF: u8 = 1 << 4;
/// Error bit 3: media change request.
pub const MCR: u8 = 1 << 3;
/// Error bit 2: command aborted.
pub const ABRT: u8 = 1 << 2;
/// Error bit 1: track 0 not found.
pub const TK0NF: u8 = 1 << 1;
/// Error bit 0: address mark not found.
pub const AMNF: u8 = 1 << 0;

const STATUS_NAMES: [&str; 8] = ["ERR", "IDX", "CORR", "DRQ", "DSC", "DF", "DRDY", "BSY"];
const ERROR_NAMES: [&str; 8] = ["AMNF", "TK0NF", "ABRT", "MCR", "IDNF", "MC", "UNC", "ICRC"];
const BM_NAMES: [&str; 8] = ["ACTIVE", "ERROR", "INTR", "bit3", "bit4", "DRV0DMA", "DRV1DMA", "SIMPLEX"];

/// The names of the set bits of `v`, most significant first, separated by
/// spaces; `-` when none is set.
fn bits(f: &mut fmt::Formatter, v: u8, names: &[&str; 8]) -> fmt::Result {
    if v == 0 {
        return f.write_str("-");
    }
    let mut first = true;
    for b in (0..8).rev() {
        if v & (1 << b) != 0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(names[b])?;
            first = false;
        }
    }
    Ok(())
}

/// A Status and an Error register value, for `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Describe {
    /// The Status register.
    pub status: u8,
    /// The Error register.
    pub error: u8,
}

/// `status` and `error` for a log line; see the module docs for the form.
/// A status of 0xFF is what a channel with no drive reads (a floating
/// bus) and says so.
pub const fn describe(status: u8, error: u8) -> Describe {
    Describe { status, error }
}

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "status {:#04x} (", self.status)?;
        bits(f, self.status, &STATUS_NAMES)?;
        if self.status == 0xff {
            f.write_str(": floating bus, no drive?")?;
        }
        write!(f, "), error {:#04x} (", self.error)?;
        bits(f, self.error, &ERROR_NAMES)?;
        f.write_str(")")
    }
}

/// A Bus Master IDE Status register value, for `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BmDescribe(pub u8);

/// The bus-master status for a log line: `bm status 0x24 (DRV0DMA INTR)`.
pub const fn bm_describe(status: u8) -> BmDescribe {
    BmDescribe(status)
}

impl fmt::Display for BmDescribe {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "bm status {:#04x} (", self.0)?;
        bits(f, self.0, &BM_NAMES)?;
        f.write_str(")")
    }
}
