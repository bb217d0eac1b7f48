//! The console monitor's portable parts, tested on the host: everything
//! the kernel's monitor (`kernel/src/monitor/`) does with the bytes a user
//! types, and nothing that touches the machine.
//!
//! * [`editor`]: the line editor, a state machine fed one byte at a time
//!   from the serial port. It says what to echo and hands back completed
//!   lines (printable ASCII only, at most [`editor::LINE_MAX`] bytes);
//! * [`parse`]: splitting a line into words and reading numbers, sizes
//!   (`4M`, `64K`, `8192`) and addresses or page frame numbers;
//! * [`dispatch`]: finding the command whose one- or two-word name
//!   matches the line (the longest match wins) and checking the number of
//!   arguments against its usage text.
//!
//! `no_std` and no `alloc`: the editor's buffers are fixed arrays, so
//! nothing a user types can make the kernel allocate.
#![no_std]

pub mod dispatch;
pub mod editor;
pub mod parse;

#[cfg(test)]
mod proptests;
