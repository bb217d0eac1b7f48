//! Numbers as Linux's command line accepts them: `simple_strtoull(s, _, 0)`
//! and `memparse()` (lib/cmdline.c).

use core::fmt;

use crate::Reason;

/// Parses an unsigned number at the start of `s` with C's base 0 rules, as
/// Linux's `simple_strtoull(s, &end, 0)`:
///
/// * `0x` or `0X` followed by a hex digit: hexadecimal (`0x1f`);
/// * otherwise a leading `0`: octal (`010` is 8; `0` alone is zero);
/// * otherwise decimal.
///
/// Returns the value and the unparsed rest. Unlike Linux, which silently
/// wraps, a value that does not fit in 64 bits is an error.
///
/// # Errors
/// [`Reason::NotANumber`] if `s` does not start with a digit (or is `0x`
/// without a hex digit after it, which Linux would read as 0),
/// [`Reason::TooLarge`] on overflow.
pub fn parse_number(s: &str) -> Result<(u64, &str), Reason> {
    let bytes = s.as_bytes();
    let (radix, digits_start) = match bytes {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, 2),
        // Linux would read "0" and stop at the 'x'; say what is wrong instead.
        [b'0', b'x' | b'X', ..] => return Err(Reason::NotANumber),
        [b'0', ..] => (8, 0),
        _ => (10, 0),
    };
    let digits = &s[digits_start..];
    let len = digits
        .bytes()
        .take_while(|b| (*b as char).is_digit(radix))
        .count();
    if len == 0 {
        return Err(Reason::NotANumber);
    }
    let mut value: u64 = 0;
    for c in digits[..len].chars() {
        let d = u64::from(c.to_digit(radix).unwrap_or(0));
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(d))
            .ok_or(Reason::TooLarge)?;
    }
    Ok((value, &digits[len..]))
}

/// The binary shift of a memparse size suffix: `K` 10, `M` 20, `G` 30,
/// `T` 40, `P` 50, `E` 60 (either case).
fn suffix_shift(c: u8) -> Option<u32> {
    match c.to_ascii_uppercase() {
        b'K' => Some(10),
        b'M' => Some(20),
        b'G' => Some(30),
        b'T' => Some(40),
        b'P' => Some(50),
        b'E' => Some(60),
        _ => None,
    }
}

/// Parses a size `nn[KMGTPE]` at the start of `s`, as Linux's `memparse()`:
/// a number (see [`parse_number`]) optionally followed by one suffix letter
/// that multiplies it by a power of 1024 (`64M` = 64 MiB, `0x10k` = 16 KiB).
///
/// Returns the value and the unparsed rest; the caller decides what may
/// follow. Unlike Linux, overflow is an error instead of a wrapped value.
///
/// # Errors
/// [`Reason::NotANumber`], [`Reason::TooLarge`].
pub fn memparse(s: &str) -> Result<(u64, &str), Reason> {
    let (value, rest) = parse_number(s)?;
    let Some(shift) = rest.bytes().next().and_then(suffix_shift) else {
        return Ok((value, rest));
    };
    let value = value.checked_mul(1u64 << shift).ok_or(Reason::TooLarge)?;
    Ok((value, &rest[1..]))
}

/// What is wrong with characters left after a number: an unknown suffix
/// letter, or anything else.
pub(crate) fn junk(rest: &str) -> Reason {
    match rest.chars().next() {
        Some(c) if c.is_alphabetic() => Reason::UnknownSuffix(c),
        _ => Reason::TrailingCharacters,
    }
}

/// A size printed in `memparse()` syntax with the largest exact suffix:
/// `Size(64 << 20)` prints `64M`, `Size(1536)` prints `1536`, `Size(0)` `0`.
/// Parsing the output with [`memparse`] gives the value back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SUFFIXES: [(u32, char); 6] = [
            (60, 'E'),
            (50, 'P'),
            (40, 'T'),
            (30, 'G'),
            (20, 'M'),
            (10, 'K'),
        ];
        if self.0 != 0 {
            for (shift, suffix) in SUFFIXES {
                if self.0.trailing_zeros() >= shift {
                    return write!(f, "{}{suffix}", self.0 >> shift);
                }
            }
        }
        write!(f, "{}", self.0)
    }
}
