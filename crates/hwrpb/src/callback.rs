//! Status words of the console callbacks the CRB's dispatch routine
//! serves (Alpha SRM, "Console Callback Routines"): bits 63:61 of the
//! returned quadword are a status, the rest the result.
//!
//! GETC's statuses, as Linux's `arch/alpha/kernel/srmcons.c` decodes them
//! (`status < 2` carries a character, `status & 1` means more are
//! waiting):
//!
//! | bits 63:61 | meaning                                   |
//! |------------|-------------------------------------------|
//! | 0          | success: a character (bits 7:0)           |
//! | 1          | success: a character, and more are pending |
//! | 2          | failure: no character waiting             |
//! | 3          | failure: a receive error                  |
//! | 4-7        | failure (e.g. 6: not supported by this console) |

/// The status field (bits 63:61) of a callback's result.
pub const fn status(result: u64) -> u8 {
    (result >> 61) as u8
}

/// What a GETC call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Getc {
    /// A character; `more` if the console says others are pending.
    Char {
        /// The character (bits 7:0).
        ch: u8,
        /// Status 1: more characters are waiting.
        more: bool,
    },
    /// Status 2: nothing was waiting.
    NoChar,
    /// Status 3 (receive error) or 4-7: the call failed.
    Error {
        /// The status field (bits 63:61).
        status: u8,
    },
}

impl Getc {
    /// Decodes a GETC result quadword.
    pub const fn decode(result: u64) -> Getc {
        match status(result) {
            0 => Getc::Char { ch: result as u8, more: false },
            1 => Getc::Char { ch: result as u8, more: true },
            2 => Getc::NoChar,
            s => Getc::Error { status: s },
        }
    }

    /// What the status means, in words.
    pub const fn describe(self) -> &'static str {
        match self {
            Getc::Char { more: false, .. } => "success, character received",
            Getc::Char { more: true, .. } => "success, character received, more pending",
            Getc::NoChar => "no character waiting",
            Getc::Error { status: 3 } => "failure: receive error",
            Getc::Error { status: 6 } => "failure: not supported by this console",
            Getc::Error { .. } => "failure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getc_statuses() {
        assert_eq!(Getc::decode(0x78), Getc::Char { ch: b'x', more: false });
        assert_eq!(Getc::decode(1 << 61 | 0x41), Getc::Char { ch: b'A', more: true });
        assert_eq!(Getc::decode(2 << 61), Getc::NoChar);
        assert_eq!(Getc::decode(3 << 61 | 0x41), Getc::Error { status: 3 });
        assert_eq!(Getc::decode(0x8000_0000_0000_0000), Getc::Error { status: 4 });
        assert_eq!(Getc::decode(0xc000_0000_0000_0000), Getc::Error { status: 6 });
        assert_eq!(Getc::decode(u64::MAX), Getc::Error { status: 7 });
        // Only bits 7:0 are the character.
        assert_eq!(Getc::decode(0x1234), Getc::Char { ch: 0x34, more: false });
    }

    #[test]
    fn every_status_decodes() {
        for s in 0u64..8 {
            let g = Getc::decode(s << 61 | 0x5a);
            assert_eq!(matches!(g, Getc::Char { .. }), s < 2, "status {s}");
            assert!(!g.describe().is_empty());
        }
    }
}
