//! The `log` backend: every record goes to the console with an uptime
//! stamp and its level, like the Linux kernel's `[    0.123456]` prefix.

use crate::console;
use crate::time;
use core::fmt::Write;
use log::{Level, LevelFilter, Log, Metadata, Record};

struct ConsoleLogger;

static LOGGER: ConsoleLogger = ConsoleLogger;

impl Log for ConsoleLogger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let (s, us) = time::uptime();
        let tag = match r.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let _ = writeln!(console::lock(), "[{s:5}.{us:06}] {tag} {}", r.args());
    }

    fn flush(&self) {}
}

/// Linux's console log level: a message is printed when its level is
/// below `level` (`loglevel=N`). The kernel's messages have Linux's levels
/// 3 (error), 4 (warning), 6 (info) and 7 (debug; trace too), so 8 and up
/// show everything, 7 (Linux's default) up to info, 5 and 6 warnings and
/// errors, 4 errors only, and 0-3 none (traps and panics print anyway).
pub fn filter_for_loglevel(level: u8) -> LevelFilter {
    match level {
        0..=3 => LevelFilter::Off,
        4 => LevelFilter::Error,
        5 | 6 => LevelFilter::Warn,
        7 => LevelFilter::Info,
        _ => LevelFilter::Trace,
    }
}

/// Linux's `CONSOLE_LOGLEVEL_DEFAULT`: info and more urgent.
pub const DEFAULT_LOGLEVEL: u8 = 7;

pub fn init(filter: LevelFilter) {
    if log::set_logger(&LOGGER).is_err() {
        crate::kprintln!("logger: already initialised");
    }
    log::set_max_level(filter);
}
