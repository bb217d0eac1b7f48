//! Splitting a line into words, and reading the arguments commands take:
//! numbers (decimal, or hexadecimal with `0x`), sizes (`8192`, `64K`,
//! `4M`, `1G`; binary units, as Linux's `memparse`), physical addresses,
//! and page frames named by number or by an address inside them
//! (`pfn 8192`, `pfn 0x2000`, `pfn @0x4000000`: see [`pfn_or_addr`]).
//! Every error names the word (shortened) and what was expected.

use core::fmt;

/// The most words a line may have.
pub const MAX_WORDS: usize = 16;

/// The words of a line, split at ASCII whitespace.
pub struct Words<'a> {
    words: [&'a str; MAX_WORDS],
    len: usize,
}

impl<'a> Words<'a> {
    pub fn as_slice(&self) -> &[&'a str] {
        &self.words[..self.len]
    }
}

/// A line with more than [`MAX_WORDS`] words.
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyWords;

impl fmt::Display for TooManyWords {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "too many words (max {MAX_WORDS})")
    }
}

/// Splits `line` into words.
pub fn words(line: &str) -> Result<Words<'_>, TooManyWords> {
    let mut w = Words { words: [""; MAX_WORDS], len: 0 };
    for word in line.split_ascii_whitespace() {
        if w.len == MAX_WORDS {
            return Err(TooManyWords);
        }
        w.words[w.len] = word;
        w.len += 1;
    }
    Ok(w)
}

/// What an argument should have been.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    Number,
    Size,
    Address,
}

/// An argument that could not be read: the text (shortened when shown),
/// what was expected, and whether it was one but too large for 64 bits.
#[derive(Debug, PartialEq, Eq)]
pub struct BadArg<'a> {
    pub text: &'a str,
    pub expected: Expected,
    pub too_large: bool,
}

impl<'a> BadArg<'a> {
    fn new(text: &'a str, expected: Expected) -> Self {
        BadArg { text, expected, too_large: false }
    }
}

/// Longest piece of a bad argument an error message repeats.
const SHOW_MAX: usize = 24;

impl fmt::Display for BadArg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let what = match self.expected {
            Expected::Number => "a number (decimal, or hex with 0x)",
            Expected::Size => "a size (bytes, or with K, M or G: 8192, 64K, 4M)",
            Expected::Address => "an address (decimal, or hex with 0x)",
        };
        // At most SHOW_MAX bytes, cut at a character boundary.
        let mut end = self.text.len().min(SHOW_MAX);
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let shown = &self.text[..end];
        let more = if end < self.text.len() { "..." } else { "" };
        if self.too_large {
            write!(f, "'{shown}{more}' is too large")
        } else {
            write!(f, "'{shown}{more}' is not {what}")
        }
    }
}

/// A decimal number, or a hexadecimal one after `0x`/`0X`; no sign, no
/// overflow.
pub fn number(s: &str) -> Result<u64, BadArg<'_>> {
    let bad = BadArg::new(s, Expected::Number);
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return Err(bad);
    }
    // Only digits are left: the one way to fail is overflow.
    u64::from_str_radix(digits, radix).map_err(|_| BadArg { too_large: true, ..bad })
}

/// A size in bytes: a number, optionally followed by `K`, `M` or `G`
/// (either case; KiB, MiB, GiB).
pub fn size(s: &str) -> Result<u64, BadArg<'_>> {
    let bad = BadArg::new(s, Expected::Size);
    let (num, shift) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n = number(num).map_err(|e| BadArg { too_large: e.too_large, ..bad })?;
    n.checked_mul(1 << shift).ok_or(BadArg { too_large: true, ..bad })
}

/// A page frame, as `pfn` takes it: a page frame number, or `@` and a
/// physical address inside the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PfnOrAddr {
    /// `<n>`: a page frame number (decimal, or hex with `0x`).
    Pfn(u64),
    /// `@<addr>`: a physical address.
    Addr(u64),
}

impl PfnOrAddr {
    /// The page frame number, with pages of `2^page_shift` bytes.
    pub fn pfn(self, page_shift: u32) -> u64 {
        match self {
            PfnOrAddr::Addr(a) => a >> page_shift,
            PfnOrAddr::Pfn(p) => p,
        }
    }
}

/// `@<addr>` is a physical address, anything else a page frame number.
pub fn pfn_or_addr(s: &str) -> Result<PfnOrAddr, BadArg<'_>> {
    match s.strip_prefix('@') {
        Some(a) => address(a).map(PfnOrAddr::Addr),
        None => number(s).map(PfnOrAddr::Pfn),
    }
}

/// A physical address: a number in either base.
pub fn address(s: &str) -> Result<u64, BadArg<'_>> {
    number(s).map_err(|e| BadArg { expected: Expected::Address, ..e })
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn words_split_and_limit() {
        assert_eq!(words("  cma   alloc 16 ").unwrap().as_slice(), ["cma", "alloc", "16"]);
        assert!(words("").unwrap().as_slice().is_empty());
        let sixteen = "a ".repeat(MAX_WORDS);
        assert_eq!(words(&sixteen).unwrap().as_slice().len(), MAX_WORDS);
        let seventeen = "a ".repeat(MAX_WORDS + 1);
        assert_eq!(words(&seventeen).err(), Some(TooManyWords));
    }

    #[test]
    fn numbers() {
        assert_eq!(number("0"), Ok(0));
        assert_eq!(number("8192"), Ok(8192));
        assert_eq!(number("0x2000"), Ok(0x2000));
        assert_eq!(number("0XfF"), Ok(255));
        assert_eq!(number("18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "0x", "-1", "+1", "12a", "0xg", "18446744073709551616", "1.5", "１"] {
            assert!(number(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(size("8192"), Ok(8192));
        assert_eq!(size("64K"), Ok(64 << 10));
        assert_eq!(size("4m"), Ok(4 << 20));
        assert_eq!(size("1G"), Ok(1 << 30));
        assert_eq!(size("0x10K"), Ok(16 << 10));
        for bad in ["", "K", "4T", "4MB", "17179869184G", "-4M"] {
            assert!(size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_and_pfns() {
        assert_eq!(pfn_or_addr("@0x4000"), Ok(PfnOrAddr::Addr(0x4000)));
        assert_eq!(pfn_or_addr("@0x4000").unwrap().pfn(13), 2);
        assert_eq!(pfn_or_addr("@16384").unwrap().pfn(13), 2);
        assert_eq!(pfn_or_addr("12"), Ok(PfnOrAddr::Pfn(12)));
        assert_eq!(pfn_or_addr("0x12"), Ok(PfnOrAddr::Pfn(0x12)));
        assert_eq!(pfn_or_addr("12").unwrap().pfn(13), 12);
        for bad in ["page", "@", "@0xz", "@@1", "1@"] {
            assert!(pfn_or_addr(bad).is_err(), "{bad:?}");
        }
        assert_eq!(pfn_or_addr("@x").unwrap_err().expected, Expected::Address);
        assert_eq!(pfn_or_addr("x").unwrap_err().expected, Expected::Number);
        assert_eq!(address("4096"), Ok(4096));
        assert!(address("0x1g").unwrap_err().to_string().contains("is not an address"));
    }

    #[test]
    fn overflow_says_too_large() {
        assert_eq!(number("18446744073709551616").unwrap_err().to_string(), "'18446744073709551616' is too large");
        assert!(number("0x10000000000000000").unwrap_err().too_large);
        assert!(size("17179869184G").unwrap_err().too_large);
        assert!(size("18446744073709551616K").unwrap_err().too_large);
        assert!(address("0xffffffffffffffffff").unwrap_err().to_string().contains("too large"));
        // Not digits at all: not "too large".
        assert!(!number("12a").unwrap_err().too_large);
        assert!(!size("4T").unwrap_err().too_large);
    }

    #[test]
    fn error_text_cuts_at_a_character_boundary() {
        let word = "\u{e9}".repeat(30);
        let msg = number(&word).unwrap_err().to_string();
        assert!(msg.starts_with("'\u{e9}") && msg.contains("...' is not a number"), "{msg}");
        assert!(msg.len() < 100, "{msg}");
    }

    #[test]
    fn error_text_is_short_and_says_what_was_expected() {
        let long = "x".repeat(5000);
        let msg = number(&long).unwrap_err().to_string();
        assert!(msg.len() < 100, "{msg}");
        assert!(msg.contains("is not a number"));
        assert!(size("4T").unwrap_err().to_string().contains("'4T' is not a size"));
    }
}
