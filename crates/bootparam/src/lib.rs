//! Early boot parameters from the kernel command line, in the style of
//! Linux's `parse_early_param()`.
//!
//! The command line is split into words the way Linux's `next_arg()` does
//! (whitespace separated, `"` quotes may protect spaces, `--` ends the
//! kernel's part). Four *early parameters* are understood:
//!
//! | parameter            | meaning                               | field                                  |
//! |----------------------|---------------------------------------|----------------------------------------|
//! | `cma=nn[KMG][@[start][-end]]` | size and placement of the CMA area | [`EarlyParams::cma`]: [`CmaParam`] |
//! | `mem=nn[KMG]`        | use only this much memory             | [`EarlyParams::mem`]: `u64` bytes      |
//! | `loglevel=N`         | print messages below level N (Linux's meaning) | [`EarlyParams::loglevel`]: `u8` |
//! | `console_baud=N`     | serial console speed ([`CONSOLE_BAUDS`]) | [`EarlyParams::console_baud`]: `u32` |
//! | `cma_pernuma=nn[KMG]` | Linux's per-node CMA areas           | [`EarlyParams::cma_pernuma`]: `u64` bytes |
//! | `numa_cma=node:nn[KMG],...` | Linux's CMA sizes per node     | [`EarlyParams::numa_cma`]: the text    |
//!
//! Parameter names compare with `-` and `_` equal, as in Linux
//! (`console-baud=9600`), also in [`EarlyParams::get`] and
//! [`EarlyParams::has_flag`].
//!
//! Numbers follow Linux's `memparse()` ([`memparse`]): decimal, `0x` hex or
//! leading-`0` octal, optionally followed by `K`, `M`, `G`, `T`, `P` or `E`
//! (either case), each a factor of 1024 over the previous.
//!
//! Every other word is kept (as a slice of the command line) in
//! [`EarlyParams::unknown`], for the kernel to look at with
//! [`EarlyParams::has_flag`] and [`EarlyParams::get`].
//!
//! A malformed value is recorded as a [`ParamError`], which the kernel
//! prints, and the parameter keeps its previous value (`None` if it was not
//! given before). When a parameter is repeated, the last valid occurrence
//! wins, as in Linux; [`EarlyParams::repeated`] tells which were repeated.
//! (Linux's handlers apply even a malformed last value, e.g. `mem=banana`
//! reads as 0, "no limit"; here malformed values are reported and ignored.)
//!
//! ```
//! use bootparam::{EarlyParams, CmaParam};
//!
//! let p = EarlyParams::parse("console=ttyS0 cma=64M@0x10000000 mem=1G test loglevel=1k");
//! assert_eq!(p.cma, Some(CmaParam { size: 64 << 20, base: Some(0x1000_0000), limit: None }));
//! assert_eq!(p.mem, Some(1 << 30));
//! assert_eq!(p.loglevel, None); // 1k is not a log level...
//! assert_eq!(p.errors()[0].to_string(), "loglevel=1k: unexpected characters after the number (expected 0-8 or more; messages below the level are printed)");
//! assert!(p.has_flag("test"));
//! assert_eq!(p.get("console"), Some("ttyS0"));
//! assert_eq!(p.unknown(), ["console=ttyS0", "test"]);
//! ```
//!
//! Everything is fixed-size (no heap), nothing panics, no `unsafe`.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod number;

use core::fmt;

use number::junk;
pub use number::{Size, memparse, parse_number};

/// How many unrecognised words [`EarlyParams`] keeps; more are counted in
/// [`EarlyParams::dropped_unknown`].
pub const MAX_WORDS: usize = 32;

/// How many [`ParamError`]s [`EarlyParams`] keeps; more are counted in
/// [`EarlyParams::dropped_errors`].
pub const MAX_ERRORS: usize = 8;

/// The early parameters this crate understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    /// `cma=nn[KMG][@base]`: size (and optional base) of the contiguous
    /// memory allocator's area (Linux's `early_cma()`).
    Cma,
    /// `mem=nn[KMG]`: use only this much memory (Linux's `early_mem()`,
    /// applied with `memblock_enforce_memory_limit()`).
    Mem,
    /// `loglevel=N`: print only messages more important than `N`
    /// (Linux's `loglevel()`): 0 emerg, 1 alert, 2 crit, 3 err, 4 warning,
    /// 5 notice, 6 info, 7 debug.
    Loglevel,
    /// `console_baud=N`: the serial console's speed, one of
    /// [`CONSOLE_BAUDS`] (the kernel otherwise keeps the rate the firmware
    /// left in the UART).
    ConsoleBaud,
    /// `cma_pernuma=nn[KMG]`: Linux's per-NUMA-node CMA areas, each of
    /// this size besides the global one. Parsed so the kernel can explain
    /// what it means on a machine with one memory node.
    CmaPernuma,
    /// `numa_cma=<node>:nn[KMG][,<node>:nn[KMG]]`: Linux's CMA area sizes
    /// for chosen nodes. Parsed for the same reason.
    NumaCma,
}

/// The speeds `console_baud=` accepts: those a 16550 with the PC's 1.8432
/// MHz clock makes exactly (divisor [`uart_divisor`]), from SRM's default
/// 9600 up.
pub const CONSOLE_BAUDS: [u32; 5] = [9600, 19200, 38400, 57600, 115200];

/// The 16550 divisor latch value for `baud` with a 1.8432 MHz clock
/// (115200 / baud); `None` for a speed not in [`CONSOLE_BAUDS`].
pub fn uart_divisor(baud: u32) -> Option<u16> {
    CONSOLE_BAUDS.contains(&baud).then(|| (115_200 / baud) as u16)
}

impl Param {
    /// All parameters, in the order of their index.
    pub const ALL: [Param; 6] =
        [Param::Cma, Param::Mem, Param::Loglevel, Param::ConsoleBaud, Param::CmaPernuma, Param::NumaCma];

    /// The name on the command line, without `=`.
    pub const fn name(self) -> &'static str {
        match self {
            Param::Cma => "cma",
            Param::Mem => "mem",
            Param::Loglevel => "loglevel",
            Param::ConsoleBaud => "console_baud",
            Param::CmaPernuma => "cma_pernuma",
            Param::NumaCma => "numa_cma",
        }
    }

    /// The accepted syntax of the value, for error messages.
    pub const fn syntax(self) -> &'static str {
        match self {
            Param::Cma => "nn[KMG][@[start[KMG][-end[KMG]]]]",
            Param::Mem => "nn[KMG]",
            Param::Loglevel => "0-8 or more; messages below the level are printed",
            Param::ConsoleBaud => "9600|19200|38400|57600|115200",
            Param::CmaPernuma => "nn[KMG]",
            Param::NumaCma => "node:nn[KMG][,node:nn[KMG]...]",
        }
    }

    /// The parameter called `name`, with `-` and `_` equivalent as in
    /// Linux's `parameq()` (`console-baud` is `console_baud`).
    pub fn from_name(name: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| name_eq(p.name(), name))
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Whether two parameter names are the same, `-` and `_` being equal
/// (Linux's `parameq()`).
pub fn name_eq(a: &str, b: &str) -> bool {
    let norm = |c: u8| if c == b'-' { b'_' } else { c };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
}

/// The value of `cma=`, Linux's `nn[KMG]@[start[KMG][-end[KMG]]]`:
/// `size` bytes; with `@start` alone the area is placed exactly at
/// `start`; with `@start-end` it is searched for in `[start, end)` (placed
/// exactly when `start + size == end`, as Linux's `fixed`); `end` also caps
/// the kernel's own limit. A size of 0 is valid and means "no CMA area".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CmaParam {
    /// Size of the area in bytes.
    pub size: u64,
    /// Physical address after `@` (0 for `@-end`).
    pub base: Option<u64>,
    /// The end of the range after `-`.
    pub limit: Option<u64>,
}

impl CmaParam {
    /// Where the area must go: exactly at an address, or anywhere in a
    /// range (`None`: wherever the kernel's default places it).
    pub fn placement(&self) -> Option<CmaPlacement> {
        match (self.base, self.limit) {
            (None, _) => None,
            (Some(b), None) => Some(CmaPlacement::Fixed(b)),
            (Some(b), Some(e)) if b.checked_add(self.size) == Some(e) => Some(CmaPlacement::Fixed(b)),
            (Some(b), Some(e)) => Some(CmaPlacement::Range(b, e)),
        }
    }
}

/// See [`CmaParam::placement`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmaPlacement {
    /// Exactly at this physical address.
    Fixed(u64),
    /// Anywhere inside `[start, end)`.
    Range(u64, u64),
}

/// Prints the value in command line syntax, e.g. `64M@256M` or
/// `64M@0-512M`, so that `cma=` followed by it parses back to the same value.
impl fmt::Display for CmaParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Size(self.size))?;
        if let Some(base) = self.base {
            write!(f, "@{}", Size(base))?;
        }
        if let Some(limit) = self.limit {
            write!(f, "-{}", Size(limit))?;
        }
        Ok(())
    }
}

/// What is wrong with a parameter's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The parameter was given without `=` (e.g. `mem`).
    MissingValue,
    /// Nothing after `=` (e.g. `mem=`).
    EmptyValue,
    /// The value does not start with a number (e.g. `cma=banana`).
    NotANumber,
    /// A letter after the number that is not a size suffix (e.g. `cma=64Q`).
    UnknownSuffix(char),
    /// Other characters after the number (e.g. `mem=64M,`, `loglevel=3k`).
    TrailingCharacters,
    /// The number does not fit in 64 bits.
    TooLarge,
    /// `@` without a base address after it (e.g. `cma=64M@`).
    MissingBase,
    /// `-` without an end address after it (e.g. `cma=64M@0-`).
    MissingEnd,
    /// A range whose end is not above its start (e.g. `cma=64M@512M-256M`).
    EmptyRange,
    /// `numa_cma=` entry not of the form `node:size`.
    BadNodeEntry,
    /// The number is outside the allowed range (e.g. `loglevel=12`).
    OutOfRange,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::MissingValue => f.write_str("missing value"),
            Reason::EmptyValue => f.write_str("empty value"),
            Reason::NotANumber => f.write_str("not a number"),
            Reason::UnknownSuffix(c) => write!(f, "unknown size suffix '{c}'"),
            Reason::TrailingCharacters => f.write_str("unexpected characters after the number"),
            Reason::TooLarge => f.write_str("too large (does not fit in 64 bits)"),
            Reason::MissingBase => f.write_str("missing base address after '@'"),
            Reason::MissingEnd => f.write_str("missing end address after '-'"),
            Reason::EmptyRange => f.write_str("the range's end is not above its start"),
            Reason::BadNodeEntry => f.write_str("each entry must be node:size"),
            Reason::OutOfRange => f.write_str("out of range"),
        }
    }
}

/// A malformed early parameter, e.g. `cma=banana`.
///
/// Its `Display` says what is wrong and what was expected:
/// `cma=banana: not a size (expected nn[KMG][@base])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamError<'a> {
    /// Which parameter.
    pub param: Param,
    /// The value as given (without quotes); empty for [`Reason::MissingValue`].
    pub value: &'a str,
    /// What is wrong with it.
    pub reason: Reason,
}

impl fmt::Display for ParamError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.param.name();
        let syntax = self.param.syntax();
        match (self.reason, self.param) {
            (Reason::MissingValue, _) => {
                write!(f, "{name}: missing value (expected {name}={syntax})")
            }
            (Reason::NotANumber, Param::Cma | Param::Mem | Param::CmaPernuma) => {
                write!(f, "{name}={}: not a size (expected {syntax})", self.value)
            }
            (reason, _) => write!(f, "{name}={}: {reason} (expected {syntax})", self.value),
        }
    }
}

impl core::error::Error for ParamError<'_> {}

/// One word of the command line, split as Linux's `next_arg()` does.
#[derive(Clone, Copy, Debug)]
struct Arg<'a> {
    /// The whole word as written, quotes included.
    raw: &'a str,
    /// The part before the first `=` (or the whole word), outer quotes removed.
    key: &'a str,
    /// The part after the first `=`, quotes removed; `None` without `=`.
    value: Option<&'a str>,
}

/// Linux's `isspace()` (which, unlike Rust's `is_ascii_whitespace`,
/// includes the vertical tab).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn skip_spaces(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| is_space(b)).count();
    &s[n..]
}

/// Splits the first word off `args` (which starts with a non-space), like
/// Linux's `next_arg()`: spaces inside `"..."` do not end the word; a word
/// starting with `"` loses that quote and a closing one at its end; a value
/// starting with `"` loses it and a closing one. Returns the word and the rest.
fn next_arg(args: &str) -> (Arg<'_>, &str) {
    let quoted = args.starts_with('"');
    let body = if quoted { &args[1..] } else { args };
    let bytes = body.as_bytes();

    let mut in_quote = quoted;
    let mut equals = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_space(b) && !in_quote {
            break;
        }
        // As in Linux, an '=' in first position does not count.
        if equals.is_none() && b == b'=' && i > 0 {
            equals = Some(i);
        }
        if b == b'"' {
            in_quote = !in_quote;
        }
        i += 1;
    }
    let raw = &args[..i + usize::from(quoted)];
    let rest = &body[i..];
    let ends_with_quote = i > 0 && bytes[i - 1] == b'"';

    let (key, value) = match equals {
        None => {
            let end = if quoted && ends_with_quote { i - 1 } else { i };
            (&body[..end], None)
        }
        Some(eq) => {
            let mut start = eq + 1;
            let mut end = i;
            if bytes.get(start) == Some(&b'"') {
                start += 1;
                if ends_with_quote {
                    end = i - 1;
                }
            }
            if quoted && ends_with_quote {
                end = i - 1;
            }
            (&body[..eq], Some(&body[start..end.max(start)]))
        }
    };
    (Arg { raw, key, value }, rest)
}

/// The early parameters of a command line, and its other words
/// (borrowed from it).
#[derive(Clone, Debug)]
pub struct EarlyParams<'a> {
    /// `cma=`: the last valid value; `None` if absent or never valid.
    pub cma: Option<CmaParam>,
    /// `mem=` in bytes: the last valid value; `None` if absent or never valid.
    pub mem: Option<u64>,
    /// `loglevel=`: the last valid value; `None` if absent or never valid.
    /// As in Linux, a message is printed when its level is below this
    /// (3 error, 4 warning, 6 info, 7 debug): 8 shows everything, 7 (the
    /// default) up to info.
    pub loglevel: Option<u8>,
    /// `cma_pernuma=` in bytes: the last valid value.
    pub cma_pernuma: Option<u64>,
    /// `numa_cma=`: the last valid value, as written (checked to be
    /// `node:size` entries).
    pub numa_cma: Option<&'a str>,
    /// `console_baud=` (one of [`CONSOLE_BAUDS`]): the last valid value;
    /// `None` if absent or never valid.
    pub console_baud: Option<u32>,
    /// How often each [`Param`] appeared, valid or not.
    occurrences: [u32; Param::ALL.len()],
    words: [&'a str; MAX_WORDS],
    nwords: usize,
    dropped_unknown: usize,
    errors: [ParamError<'a>; MAX_ERRORS],
    nerrors: usize,
    dropped_errors: usize,
    init_args: Option<&'a str>,
}

impl Default for EarlyParams<'_> {
    fn default() -> Self {
        Self::parse("")
    }
}

impl<'a> EarlyParams<'a> {
    /// Parses a whole command line. Never fails: problems are recorded as
    /// [`errors`](Self::errors).
    pub fn parse(cmdline: &'a str) -> Self {
        let placeholder = ParamError {
            param: Param::Cma,
            value: "",
            reason: Reason::EmptyValue,
        };
        let mut params = EarlyParams {
            cma: None,
            mem: None,
            loglevel: None,
            cma_pernuma: None,
            numa_cma: None,
            console_baud: None,
            occurrences: [0; Param::ALL.len()],
            words: [""; MAX_WORDS],
            nwords: 0,
            dropped_unknown: 0,
            errors: [placeholder; MAX_ERRORS],
            nerrors: 0,
            dropped_errors: 0,
            init_args: None,
        };

        let mut args = skip_spaces(cmdline);
        while !args.is_empty() {
            let (arg, rest) = next_arg(args);
            args = skip_spaces(rest);
            // "--" ends the kernel's arguments; the rest is for init.
            if arg.raw == "--" {
                params.init_args = Some(args);
                break;
            }
            match Param::from_name(arg.key) {
                Some(param) => params.apply(param, arg.value),
                None => params.keep(arg.raw),
            }
        }
        params
    }

    /// Handles one occurrence of an early parameter.
    fn apply(&mut self, param: Param, value: Option<&'a str>) {
        let slot = &mut self.occurrences[param.index()];
        *slot = slot.saturating_add(1);
        let Some(value) = value else {
            return self.error(param, "", Reason::MissingValue);
        };
        let result = match param {
            Param::Cma => parse_cma(value).map(|v| self.cma = Some(v)),
            Param::Mem => parse_size(value).map(|v| self.mem = Some(v)),
            Param::Loglevel => parse_loglevel(value).map(|v| self.loglevel = Some(v)),
            Param::ConsoleBaud => parse_console_baud(value).map(|v| self.console_baud = Some(v)),
            Param::CmaPernuma => parse_size(value).map(|v| self.cma_pernuma = Some(v)),
            Param::NumaCma => parse_numa_cma(value).map(|()| self.numa_cma = Some(value)),
        };
        if let Err(reason) = result {
            self.error(param, value, reason);
        }
    }

    fn keep(&mut self, word: &'a str) {
        match self.words.get_mut(self.nwords) {
            Some(slot) => {
                *slot = word;
                self.nwords += 1;
            }
            None => self.dropped_unknown = self.dropped_unknown.saturating_add(1),
        }
    }

    fn error(&mut self, param: Param, value: &'a str, reason: Reason) {
        match self.errors.get_mut(self.nerrors) {
            Some(slot) => {
                *slot = ParamError {
                    param,
                    value,
                    reason,
                };
                self.nerrors += 1;
            }
            None => self.dropped_errors = self.dropped_errors.saturating_add(1),
        }
    }

    /// The words that are not early parameters (bare words and `key=value`),
    /// in command line order, as written (quotes included). At most
    /// [`MAX_WORDS`].
    pub fn unknown(&self) -> &[&'a str] {
        self.words.get(..self.nwords).unwrap_or(&[])
    }

    /// How many words did not fit in [`unknown`](Self::unknown).
    pub fn dropped_unknown(&self) -> usize {
        self.dropped_unknown
    }

    /// The malformed early parameters, in command line order. At most [`MAX_ERRORS`].
    pub fn errors(&self) -> &[ParamError<'a>] {
        self.errors.get(..self.nerrors).unwrap_or(&[])
    }

    /// How many errors did not fit in [`errors`](Self::errors).
    pub fn dropped_errors(&self) -> usize {
        self.dropped_errors
    }

    /// How many times `param` appeared (valid or not).
    pub fn occurrences(&self, param: Param) -> u32 {
        self.occurrences[param.index()]
    }

    /// The early parameters given more than once, with their count. The
    /// last valid occurrence is the one used.
    pub fn repeated(&self) -> impl Iterator<Item = (Param, u32)> + '_ {
        Param::ALL
            .into_iter()
            .map(|p| (p, self.occurrences(p)))
            .filter(|&(_, n)| n > 1)
    }

    /// What follows a `--` word, for init (Linux passes it to the init
    /// process); `None` if there is no `--`.
    pub fn init_args(&self) -> Option<&'a str> {
        self.init_args
    }

    /// Whether a kept word is exactly `word` (e.g. `has_flag("test")`,
    /// `has_flag("iommu=strict")`). A quoted bare word `"a b"` also matches
    /// `a b`.
    pub fn has_flag(&self, word: &str) -> bool {
        let (want, _) = next_arg(word);
        self.unknown().iter().any(|&w| {
            let (arg, _) = next_arg(w);
            w == word
                || (arg.value.is_none() && name_eq(arg.key, word))
                || (want.value.is_some() && name_eq(arg.key, want.key) && arg.value == want.value)
        })
    }

    /// The value of the last kept `key=value` word with this key, quotes
    /// removed (`get("iommu")` is `Some("strict")` for `iommu=strict`,
    /// `Some("")` for `iommu=`, `None` for a bare `iommu`).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.unknown().iter().rev().find_map(|&w| {
            let (arg, _) = next_arg(w);
            arg.value.filter(|_| name_eq(arg.key, key))
        })
    }

    /// The kept `key=value` words whose key appears more than once (`-`
    /// and `_` equal), with the count: Linux uses the last, and so does
    /// [`get`](Self::get). Each key is named once, at its last occurrence.
    pub fn repeated_kept(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        let keys = self.unknown();
        keys.iter().enumerate().filter_map(move |(i, &w)| {
            let (arg, _) = next_arg(w);
            arg.value?;
            let same = |&&x: &&&'a str| {
                let (a, _) = next_arg(x);
                a.value.is_some() && name_eq(a.key, arg.key)
            };
            let later = keys[i + 1..].iter().filter(same).count();
            let all = keys.iter().filter(same).count();
            (later == 0 && all > 1).then_some((arg.key, all))
        })
    }
}

/// A size with nothing after it.
fn parse_size(value: &str) -> Result<u64, Reason> {
    if value.is_empty() {
        return Err(Reason::EmptyValue);
    }
    match memparse(value)? {
        (size, "") => Ok(size),
        (_, rest) => Err(junk(rest)),
    }
}

/// `nn[KMG][@[start[KMG]][-end[KMG]]]` (Linux's `early_cma()`; `@-end`
/// means a start of 0, as Linux's `memparse` reads nothing as 0).
fn parse_cma(value: &str) -> Result<CmaParam, Reason> {
    if value.is_empty() {
        return Err(Reason::EmptyValue);
    }
    let (size, rest) = memparse(value)?;
    let Some(at) = rest.strip_prefix('@') else {
        return if rest.is_empty() { Ok(CmaParam { size, base: None, limit: None }) } else { Err(junk(rest)) };
    };
    if at.is_empty() {
        return Err(Reason::MissingBase);
    }
    let (base, rest) = if at.starts_with('-') { (0, at) } else { memparse(at)? };
    let limit = match rest.strip_prefix('-') {
        None if rest.is_empty() => None,
        None => return Err(junk(rest)),
        Some("") => return Err(Reason::MissingEnd),
        Some(end) => Some(parse_size(end)?),
    };
    if limit.is_some_and(|e| e <= base) {
        return Err(Reason::EmptyRange);
    }
    Ok(CmaParam { size, base: Some(base), limit })
}

/// A plain number (no suffix), 0 to 255: Linux's console log level, where
/// anything above 8 prints as much as 8.
fn parse_loglevel(value: &str) -> Result<u8, Reason> {
    if value.is_empty() {
        return Err(Reason::EmptyValue);
    }
    match parse_number(value)? {
        (level, "") => u8::try_from(level).map_err(|_| Reason::OutOfRange),
        (_, _) => Err(Reason::TrailingCharacters),
    }
}

/// `node:size[,node:size...]`.
fn parse_numa_cma(value: &str) -> Result<(), Reason> {
    if value.is_empty() {
        return Err(Reason::EmptyValue);
    }
    for entry in value.split(',') {
        let (node, size) = entry.split_once(':').ok_or(Reason::BadNodeEntry)?;
        match parse_number(node)? {
            (_, "") => {}
            _ => return Err(Reason::BadNodeEntry),
        }
        parse_size(size)?;
    }
    Ok(())
}

/// A plain number (no suffix) from [`CONSOLE_BAUDS`].
fn parse_console_baud(value: &str) -> Result<u32, Reason> {
    if value.is_empty() {
        return Err(Reason::EmptyValue);
    }
    match parse_number(value)? {
        (baud, "") => u32::try_from(baud)
            .ok()
            .filter(|b| CONSOLE_BAUDS.contains(b))
            .ok_or(Reason::OutOfRange),
        (_, _) => Err(Reason::TrailingCharacters),
    }
}

/// The disk self-test's write check, `disk_write=SEED@LBA+N`: the test
/// writes the image pattern of `seed` (the one `disk_test=` reads, with
/// another seed) to sectors `lba..lba + sectors`; the QEMU runner checks
/// the image after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskWrite {
    /// The pattern's seed.
    pub seed: u64,
    /// The first sector written.
    pub lba: u64,
    /// How many sectors (at least 1).
    pub sectors: u64,
}

impl DiskWrite {
    /// Reads `SEED@LBA+N` (each number decimal, `0x` hex or `0` octal, as
    /// [`parse_number`]); `N` must be at least 1 and `LBA + N` must fit.
    pub fn parse(s: &str) -> Result<DiskWrite, Reason> {
        let (seed, rest) = parse_number(s)?;
        let rest = rest.strip_prefix('@').ok_or(if rest.is_empty() { Reason::MissingBase } else { Reason::TrailingCharacters })?;
        let (lba, rest) = parse_number(rest)?;
        let rest = rest.strip_prefix('+').ok_or(if rest.is_empty() { Reason::MissingEnd } else { Reason::TrailingCharacters })?;
        let (sectors, rest) = parse_number(rest)?;
        if !rest.is_empty() {
            return Err(Reason::TrailingCharacters);
        }
        if sectors == 0 || lba.checked_add(sectors).is_none() {
            return Err(Reason::OutOfRange);
        }
        Ok(DiskWrite { seed, lba, sectors })
    }
}

/// Flags that ask for a one-shot run: the kernel does what they ask and
/// halts, instead of staying up with the network and the console monitor.
pub const ONE_SHOT_FLAGS: &[&str] = &["test", "bench", "net", "dma_leak_test", "dma_pool_leak_test", "mm_leak_test", "stack_test"];
/// `key=value` parameters that ask for a one-shot run (deliberate traps,
/// DMA-API debug probes, the fault injections probed at boot, and the disk
/// self-tests).
pub const ONE_SHOT_KEYS: &[&str] = &["crash", "dma_debug_test", "fail_buddy", "fail_cma", "fail_iommu", "fail_pte", "disk_test"];

/// The first word of the command line that asks for a one-shot run
/// ([`ONE_SHOT_FLAGS`], [`ONE_SHOT_KEYS`]), if any; `None`: the kernel
/// stays up after boot.
pub fn one_shot(params: &EarlyParams) -> Option<&'static str> {
    ONE_SHOT_FLAGS
        .iter()
        .find(|f| params.has_flag(f))
        .or_else(|| ONE_SHOT_KEYS.iter().find(|k| params.get(k).is_some()))
        .copied()
}

#[cfg(test)]
mod tests;
