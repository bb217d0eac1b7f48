//! The line editor: fed one byte at a time (as the serial port delivers
//! them), it keeps the line being typed, tells the caller what to echo so
//! that the terminal shows that line, and reports each completed line.
//!
//! What each byte does:
//!
//! | byte | effect |
//! |---|---|
//! | printable ASCII (0x20-0x7e) | appended and echoed |
//! | Backspace (0x08), DEL (0x7f) | erases the last character (`BS SP BS`) |
//! | Ctrl-U (0x15) | erases the whole line |
//! | CR (0x0d) or LF (0x0a) | ends the line; CR LF counts once |
//! | Ctrl-C (0x03) | drops the line (`^C`) |
//! | ESC `[` `A` / ESC `[` `B` | the previous / next line of the history |
//! | any other ESC sequence | ignored (an ESC inside one starts a new one) |
//! | any other control byte, any byte >= 0x80 | ignored |
//!
//! A line longer than [`LINE_MAX`] is never cut silently: the characters
//! past the limit are not kept, and the line ends as [`Event::TooLong`]
//! (discarded; the caller prints `error: line too long (max 200)`).
//! The history keeps the last [`HISTORY`] non-empty lines.

/// The longest line the editor keeps, in bytes.
pub const LINE_MAX: usize = 200;
/// Lines kept in the history.
pub const HISTORY: usize = 16;
/// The longest escape sequence (after ESC) the editor waits through
/// before it gives up on it.
const ESC_MAX: u8 = 16;

const BS: u8 = 0x08;
const DEL: u8 = 0x7f;
const CTRL_C: u8 = 0x03;
const CTRL_U: u8 = 0x15;
const ESC: u8 = 0x1b;
const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// What one byte did.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// Nothing to act on (the echo, if any, was written).
    None,
    /// A line ended (possibly empty): printable ASCII, at most [`LINE_MAX`].
    Line(&'a str),
    /// Ctrl-C dropped the line.
    Cancelled,
    /// The line was longer than [`LINE_MAX`]; it is discarded.
    TooLong,
}

/// Where the editor is in an escape sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Esc {
    /// Not in one.
    No,
    /// After ESC.
    Start,
    /// After ESC `[`; `n` bytes of parameters so far.
    Csi(u8),
    /// After ESC `O`: one more byte ends it.
    Ss3,
}

/// A fixed-size line of printable ASCII.
#[derive(Clone, Copy)]
struct Line {
    bytes: [u8; LINE_MAX],
    len: usize,
}

impl Line {
    const EMPTY: Line = Line { bytes: [0; LINE_MAX], len: 0 };

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The line editor's state. About 3.5 KiB; the kernel keeps one in a
/// static.
pub struct Editor {
    line: Line,
    /// Characters were lost past [`LINE_MAX`]: the line will be refused.
    overflow: bool,
    /// The previous byte was CR (a following LF is the same line end).
    after_cr: bool,
    /// The last call returned a line: clear it before the next byte.
    done: bool,
    esc: Esc,
    history: [Line; HISTORY],
    /// Lines in the history (at most [`HISTORY`]).
    hist_len: usize,
    /// Index of the newest line in `history`.
    hist_newest: usize,
    /// How far back the arrow keys went: 0 is the line being typed,
    /// 1 the newest history line, ...
    hist_pos: usize,
}

impl Default for Editor {
    fn default() -> Self {
        Self::new()
    }
}

impl Editor {
    pub const fn new() -> Editor {
        Editor {
            line: Line::EMPTY,
            overflow: false,
            after_cr: false,
            done: false,
            esc: Esc::No,
            history: [Line::EMPTY; HISTORY],
            hist_len: 0,
            hist_newest: 0,
            hist_pos: 0,
        }
    }

    /// The line as typed so far.
    pub fn current(&self) -> &str {
        // Only printable ASCII is ever stored.
        core::str::from_utf8(self.line.as_bytes()).unwrap_or("")
    }

    /// Whether characters past [`LINE_MAX`] were lost from this line.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Lines in the history.
    pub fn history_len(&self) -> usize {
        self.hist_len
    }

    /// History line `back` (1 = the newest).
    pub fn history(&self, back: usize) -> Option<&str> {
        if back == 0 || back > self.hist_len {
            return None;
        }
        let i = (self.hist_newest + HISTORY - (back - 1)) % HISTORY;
        core::str::from_utf8(self.history[i].as_bytes()).ok()
    }

    /// Feeds one byte; `echo` receives what the terminal should show.
    pub fn feed(&mut self, b: u8, echo: &mut dyn FnMut(&[u8])) -> Event<'_> {
        if self.done {
            self.done = false;
            self.line.len = 0;
            self.overflow = false;
            self.hist_pos = 0;
        }
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        if b == ESC && self.esc != Esc::No {
            // An ESC inside a sequence abandons it and starts another.
            self.esc = Esc::Start;
            return Event::None;
        }
        match self.esc {
            Esc::No => {}
            Esc::Start => {
                self.esc = match b {
                    b'[' => Esc::Csi(0),
                    b'O' => Esc::Ss3,
                    _ => Esc::No,
                };
                return Event::None;
            }
            Esc::Ss3 => {
                self.esc = Esc::No;
                return Event::None;
            }
            Esc::Csi(n) => {
                match b {
                    // Parameter and intermediate bytes.
                    0x20..=0x3f if n < ESC_MAX => self.esc = Esc::Csi(n + 1),
                    b'A' if n == 0 => {
                        self.esc = Esc::No;
                        self.recall_older(echo);
                    }
                    b'B' if n == 0 => {
                        self.esc = Esc::No;
                        self.recall_newer(echo);
                    }
                    // The final byte of any other sequence, or a byte that
                    // cannot be part of one: the sequence is over.
                    _ => self.esc = Esc::No,
                }
                return Event::None;
            }
        }
        match b {
            0x20..=0x7e => {
                if self.line.len < LINE_MAX {
                    self.line.bytes[self.line.len] = b;
                    self.line.len += 1;
                    echo(&[b]);
                } else {
                    self.overflow = true;
                }
                Event::None
            }
            BS | DEL => {
                if self.line.len > 0 {
                    self.line.len -= 1;
                    echo(b"\x08 \x08");
                }
                Event::None
            }
            CTRL_U => {
                self.erase_line(echo);
                self.overflow = false;
                Event::None
            }
            CTRL_C => {
                echo(b"^C\r\n");
                self.done = true;
                Event::Cancelled
            }
            ESC => {
                self.esc = Esc::Start;
                Event::None
            }
            LF if after_cr => Event::None,
            CR | LF => {
                self.after_cr = b == CR;
                echo(b"\r\n");
                self.done = true;
                if self.overflow {
                    return Event::TooLong;
                }
                self.remember();
                Event::Line(core::str::from_utf8(self.line.as_bytes()).unwrap_or(""))
            }
            _ => Event::None,
        }
    }

    /// Puts the finished line in the history (not empty ones, nor one equal
    /// to the newest).
    fn remember(&mut self) {
        if self.line.len == 0 || self.history(1).is_some_and(|h| h.as_bytes() == self.line.as_bytes()) {
            return;
        }
        self.hist_newest = (self.hist_newest + 1) % HISTORY;
        self.history[self.hist_newest] = self.line;
        self.hist_len = (self.hist_len + 1).min(HISTORY);
    }

    fn erase_line(&mut self, echo: &mut dyn FnMut(&[u8])) {
        for _ in 0..self.line.len {
            echo(b"\x08 \x08");
        }
        self.line.len = 0;
    }

    /// Replaces the line with history line `back` (0: an empty line).
    fn show(&mut self, back: usize, echo: &mut dyn FnMut(&[u8])) {
        self.erase_line(echo);
        self.overflow = false;
        self.hist_pos = back;
        if back > 0 {
            let i = (self.hist_newest + HISTORY - (back - 1)) % HISTORY;
            self.line = self.history[i];
            echo(self.line.as_bytes());
        }
    }

    fn recall_older(&mut self, echo: &mut dyn FnMut(&[u8])) {
        if self.hist_pos < self.hist_len {
            self.show(self.hist_pos + 1, echo);
        }
    }

    fn recall_newer(&mut self, echo: &mut dyn FnMut(&[u8])) {
        if self.hist_pos > 0 {
            self.show(self.hist_pos - 1, echo);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    /// Feeds `input`; the events (as strings) and the echo.
    fn run(ed: &mut Editor, input: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mut echoed = Vec::new();
        let mut events = Vec::new();
        for &b in input {
            let ev = ed.feed(b, &mut |e| echoed.extend_from_slice(e));
            match ev {
                Event::None => {}
                Event::Line(l) => events.push(std::format!("line:{l}")),
                Event::Cancelled => events.push("cancelled".into()),
                Event::TooLong => events.push("too long".into()),
            }
        }
        (events, echoed)
    }

    #[test]
    fn typing_and_enter() {
        let mut ed = Editor::new();
        let (ev, echo) = run(&mut ed, b"help\r");
        assert_eq!(ev, ["line:help"]);
        assert_eq!(echo, b"help\r\n");
    }

    #[test]
    fn crlf_is_one_line_end_but_two_crs_are_two() {
        let mut ed = Editor::new();
        assert_eq!(run(&mut ed, b"a\r\nb\n\r\r").0, ["line:a", "line:b", "line:", "line:"]);
    }

    #[test]
    fn backspace_del_and_ctrl_u() {
        let mut ed = Editor::new();
        let (ev, echo) = run(&mut ed, b"abc\x08d\x7f\x7f\x7fX\x15yz\r");
        assert_eq!(ev, ["line:yz"]);
        assert!(echo.starts_with(b"abc\x08 \x08d"));
        // Backspace on an empty line does nothing.
        let (ev, echo) = run(&mut ed, b"\x08\x7fq\r");
        assert_eq!(ev, ["line:q"]);
        assert_eq!(echo, b"q\r\n");
    }

    #[test]
    fn control_and_high_bytes_are_ignored() {
        let mut ed = Editor::new();
        let (ev, echo) = run(&mut ed, b"a\x00\x01\x07\t\xff\x80\xc3\xa9b\r");
        assert_eq!(ev, ["line:ab"]);
        assert_eq!(echo, b"ab\r\n");
    }

    #[test]
    fn ctrl_c_drops_the_line() {
        let mut ed = Editor::new();
        let (ev, echo) = run(&mut ed, b"halt\x03meminfo\r");
        assert_eq!(ev, ["cancelled", "line:meminfo"]);
        assert!(echo.starts_with(b"halt^C\r\n"));
        assert_eq!(ed.history_len(), 1);
    }

    #[test]
    fn a_long_line_is_refused_not_cut() {
        let mut ed = Editor::new();
        let mut input = std::vec![b'x'; LINE_MAX + 1];
        input.push(b'\r');
        let (ev, echo) = run(&mut ed, &input);
        assert_eq!(ev, ["too long"]);
        assert_eq!(echo.len(), LINE_MAX + 2);
        // Exactly LINE_MAX is fine.
        let mut input = std::vec![b'y'; LINE_MAX];
        input.push(b'\r');
        let (ev, _) = run(&mut ed, &input);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].len(), 5 + LINE_MAX);
        // Backspacing after the overflow does not rescue the line; Ctrl-U does.
        let mut input = std::vec![b'z'; LINE_MAX + 3];
        input.extend_from_slice(b"\x08\x08\x08\x08\r");
        assert_eq!(run(&mut ed, &input).0, ["too long"]);
        let mut input = std::vec![b'z'; LINE_MAX + 3];
        input.extend_from_slice(b"\x15ok\r");
        assert_eq!(run(&mut ed, &input).0, ["line:ok"]);
    }

    #[test]
    fn history_with_arrow_keys() {
        let mut ed = Editor::new();
        run(&mut ed, b"one\rtwo\rtwo\r\rthree\r");
        assert_eq!(ed.history_len(), 3, "empty lines and repeats are not kept");
        let (ev, _) = run(&mut ed, b"\x1b[A\x1b[A\r");
        assert_eq!(ev, ["line:two"]);
        // Up past the oldest stays at the oldest; down past the newest is an empty line.
        let (ev, _) = run(&mut ed, b"\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A\r");
        assert_eq!(ev, ["line:one"]);
        let (ev, _) = run(&mut ed, b"x\x1b[A\x1b[B\x1b[B\r");
        assert_eq!(ev, ["line:"]);
        // Recalling erases what was typed on the terminal.
        let (_, echo) = run(&mut ed, b"ab\x1b[A");
        assert_eq!(echo, b"ab\x08 \x08\x08 \x08one");
        run(&mut ed, b"\x15\r");
    }

    #[test]
    fn history_keeps_the_last_sixteen() {
        let mut ed = Editor::new();
        for i in 0..40 {
            run(&mut ed, std::format!("l{i}\r").as_bytes());
        }
        assert_eq!(ed.history_len(), HISTORY);
        assert_eq!(ed.history(1), Some("l39"));
        assert_eq!(ed.history(HISTORY), Some("l24"));
        assert_eq!(ed.history(HISTORY + 1), None);
    }

    #[test]
    fn other_escape_sequences_are_ignored() {
        let mut ed = Editor::new();
        // Right arrow, F5 (ESC [ 1 5 ~), SS3 F1 (ESC O P), Alt-x, a colour code.
        let (ev, echo) = run(&mut ed, b"a\x1b[Cb\x1b[15~c\x1bOPd\x1bxe\x1b[1;31mf\r");
        assert_eq!(ev, ["line:abcdef"]);
        assert_eq!(echo, b"abcdef\r\n");
        // An ESC inside a sequence starts a new one.
        let (ev, _) = run(&mut ed, b"a\x1b[\x1bOPb\x1b\x1b[Ac\r");
        assert_eq!(ev, ["line:abcdefc"], "the ESC [ A after ESC recalls the history");
        // A parameter flood gives up after ESC_MAX bytes instead of eating everything.
        let mut input = std::vec![0x1b, b'['];
        input.extend(std::iter::repeat_n(b'1', 40));
        input.extend_from_slice(b"\rok\r");
        let (ev, _) = run(&mut ed, &input);
        assert_eq!(ev.last().map(String::as_str), Some("line:ok"));
    }
}
