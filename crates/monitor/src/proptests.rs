//! Property tests: no input makes the editor, the parsers or the
//! dispatcher panic; the editor agrees with a simple model (a `Vec` line
//! and a `Vec` history) byte by byte; and the echo, replayed on a
//! simulated terminal, always shows exactly the line being edited.

extern crate std;
use crate::dispatch::dispatch;
use crate::editor::{Editor, Event, HISTORY, LINE_MAX};
use crate::parse;
use proptest::prelude::*;
use std::string::String;
use std::vec::Vec;
use std::vec;

/// The model: the same rules written as plainly as possible.
#[derive(Default)]
struct Model {
    line: Vec<u8>,
    overflow: bool,
    after_cr: bool,
    /// 0: none; 1: after ESC; 2: after ESC [ with n parameter bytes in `csi`; 3: after ESC O.
    esc: u8,
    csi: u8,
    history: Vec<Vec<u8>>,
    pos: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    None,
    Line(String),
    Cancelled,
    TooLong,
}

impl Model {
    fn show(&mut self, pos: usize) {
        self.pos = pos;
        self.overflow = false;
        self.line = if pos == 0 { Vec::new() } else { self.history[self.history.len() - pos].clone() };
    }

    fn end_line(&mut self) {
        self.line.clear();
        self.overflow = false;
        self.pos = 0;
    }

    fn feed(&mut self, b: u8) -> Ev {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        if b == 0x1b && self.esc != 0 {
            self.esc = 1;
            return Ev::None;
        }
        match self.esc {
            1 => {
                self.esc = match b {
                    b'[' => 2,
                    b'O' => 3,
                    _ => 0,
                };
                self.csi = 0;
                return Ev::None;
            }
            3 => {
                self.esc = 0;
                return Ev::None;
            }
            2 => {
                if (0x20..=0x3f).contains(&b) && self.csi < 16 {
                    self.csi += 1;
                    return Ev::None;
                }
                self.esc = 0;
                if self.csi == 0 && b == b'A' && self.pos < self.history.len() {
                    self.show(self.pos + 1);
                } else if self.csi == 0 && b == b'B' && self.pos > 0 {
                    self.show(self.pos - 1);
                }
                return Ev::None;
            }
            _ => {}
        }
        match b {
            0x20..=0x7e if self.line.len() < LINE_MAX => self.line.push(b),
            0x20..=0x7e => self.overflow = true,
            0x08 | 0x7f => {
                self.line.pop();
            }
            0x15 => {
                self.line.clear();
                self.overflow = false;
            }
            0x03 => {
                self.end_line();
                return Ev::Cancelled;
            }
            0x1b => self.esc = 1,
            b'\n' if after_cr => {}
            b'\r' | b'\n' => {
                self.after_cr = b == b'\r';
                let ev = if self.overflow {
                    Ev::TooLong
                } else {
                    let l = self.line.clone();
                    if !l.is_empty() && self.history.last() != Some(&l) {
                        self.history.push(l.clone());
                        if self.history.len() > HISTORY {
                            self.history.remove(0);
                        }
                    }
                    Ev::Line(String::from_utf8(l).unwrap())
                };
                self.end_line();
                return ev;
            }
            _ => {}
        }
        Ev::None
    }
}

/// A terminal's current line: characters overwrite at the cursor, BS moves
/// it left, CR LF starts a new line.
#[derive(Default)]
struct Terminal {
    line: Vec<u8>,
    cursor: usize,
}

impl Terminal {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                0x08 => self.cursor = self.cursor.saturating_sub(1),
                b'\r' => self.cursor = 0,
                b'\n' => self.line.clear(),
                _ => {
                    if self.cursor < self.line.len() {
                        self.line[self.cursor] = b;
                    } else {
                        self.line.push(b);
                    }
                    self.cursor += 1;
                }
            }
        }
    }

    /// What the line shows up to the cursor, trailing blanks after it ignored.
    fn shown(&self) -> &[u8] {
        &self.line[..self.cursor.min(self.line.len())]
    }
}

/// Bytes that exercise the editor: mostly printable, with line ends, erase
/// keys, arrows and garbage.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (0x20u8..0x7f).prop_map(|b| std::vec![b]),
        1 => Just(std::vec![b'\r']),
        1 => Just(std::vec![b'\n']),
        1 => Just(std::vec![0x7f]),
        1 => Just(std::vec![0x08]),
        1 => Just(std::vec![0x15]),
        1 => Just(std::vec![0x03]),
        1 => Just(b"\x1b[A".to_vec()),
        1 => Just(b"\x1b[B".to_vec()),
        1 => Just(std::vec![0x1b]),
        1 => any::<u8>().prop_map(|b| std::vec![b]),
        1 => (1usize..300).prop_map(|n| std::vec![b'x'; n]),
    ]
}

fn typed() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(key(), 0..80).prop_map(|v| v.concat())
}

const TABLE: &[(&str, &str)] = &[("help", ""), ("cma", ""), ("cma alloc", "<pages>"), ("dma alloc", "<size> [dev]")];

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut ed = Editor::new();
        for &b in &input {
            if let Event::Line(l) = ed.feed(b, &mut |_| {}) {
                prop_assert!(l.len() <= LINE_MAX);
                prop_assert!(l.bytes().all(|c| (0x20..0x7f).contains(&c)));
                if let Ok(w) = parse::words(l) {
                    let _ = dispatch(TABLE, |c| c.0, |c| c.1, w.as_slice());
                    for a in w.as_slice() {
                        let _ = (parse::number(a), parse::size(a), parse::pfn_or_addr(a));
                    }
                }
            }
            prop_assert!(ed.current().len() <= LINE_MAX);
        }
    }

    #[test]
    fn editor_matches_the_model_and_the_echo_shows_the_line(input in typed()) {
        let mut ed = Editor::new();
        let mut model = Model::default();
        let mut term = Terminal::default();
        for &b in &input {
            let got = match ed.feed(b, &mut |e| term.put(e)) {
                Event::None => Ev::None,
                Event::Line(l) => Ev::Line(String::from(l)),
                Event::Cancelled => Ev::Cancelled,
                Event::TooLong => Ev::TooLong,
            };
            let want = model.feed(b);
            prop_assert_eq!(&got, &want);
            if want == Ev::None {
                prop_assert_eq!(ed.current().as_bytes(), &model.line[..]);
                prop_assert_eq!(ed.overflowed(), model.overflow);
                prop_assert_eq!(term.shown(), &model.line[..]);
            } else {
                prop_assert!(term.shown().is_empty(), "a finished line leaves the cursor on a fresh line");
            }
            prop_assert_eq!(ed.history_len(), model.history.len());
        }
        for back in 1..=model.history.len() {
            prop_assert_eq!(ed.history(back).map(str::as_bytes), Some(&model.history[model.history.len() - back][..]));
        }
    }

    #[test]
    fn sizes_and_numbers_round_trip(n in any::<u64>(), shift in prop::sample::select(std::vec![(0u32, ""), (10, "K"), (20, "M"), (30, "G")])) {
        let (dec, hex) = (std::format!("{n}"), std::format!("{n:#x}"));
        prop_assert_eq!(parse::number(&dec).ok(), Some(n));
        prop_assert_eq!(parse::number(&hex).ok(), Some(n));
        let text = std::format!("{n}{}", shift.1);
        prop_assert_eq!(parse::size(&text).ok(), n.checked_mul(1 << shift.0));
    }
}
