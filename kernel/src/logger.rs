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

/// Linux console log levels (`loglevel=N` prints messages more urgent than
/// N) mapped onto `log`'s levels: 0-3 errors, 4 warnings, 5-6 info,
/// 7 everything including debug.
pub fn filter_for_loglevel(level: u8) -> LevelFilter {
    match level {
        0..=3 => LevelFilter::Error,
        4 => LevelFilter::Warn,
        5 | 6 => LevelFilter::Info,
        _ => LevelFilter::Debug,
    }
}

pub fn init(filter: LevelFilter) {
    if log::set_logger(&LOGGER).is_err() {
        crate::kprintln!("logger: already initialised");
    }
    log::set_max_level(filter);
}
