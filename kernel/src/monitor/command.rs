//! What a monitor command is: a name (one or two words, e.g. `buddyinfo`,
//! `cma alloc`), its arguments and one line of help, and the function that
//! runs it. The dispatcher (in `monitor/mod.rs`) picks the command whose
//! name matches the most leading words of the line and hands it the rest.

use core::fmt;

/// A command's body: `args` are the words after the command's name; it
/// writes its output to `out`. `Err(message)` is printed as one line
/// `error: message` and the prompt comes back; a command never panics.
pub type Run = fn(args: &[&str], out: &mut dyn fmt::Write) -> Result<(), alloc::string::String>;

/// One monitor command.
pub struct Command {
    /// One or two words, e.g. "meminfo" or "dma alloc".
    pub name: &'static str,
    /// Its arguments as `help` shows them, e.g. "<size> [dev]" ("" for none).
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
    pub run: Run,
}
