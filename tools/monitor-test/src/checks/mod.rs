//! The checks, each a function over a running [`Session`]: it types
//! commands, judges the answers, and returns a short detail or what went
//! wrong. [`ALL`] is the list `main` runs, in order, in every session;
//! after each one `main` checks that `reconcile` holds. To add checks,
//! write a module with such functions and list them here.

use crate::session::Session;

mod garbage;
mod info;
mod mm;

/// One check: its name and its function.
pub struct Check {
    pub name: &'static str,
    pub run: fn(&mut Session, &Options) -> Result<String, String>,
}

/// What the command line chose.
pub struct Options {
    /// Random lines for `garbage`.
    pub lines: usize,
    /// Seed of the random lines.
    pub seed: u64,
}

pub const ALL: &[Check] = &[
    Check { name: "help", run: info::help },
    Check { name: "meminfo", run: info::meminfo },
    Check { name: "buddyinfo", run: info::buddyinfo },
    Check { name: "errors", run: info::errors },
    Check { name: "alloc-free", run: mm::alloc_free },
    Check { name: "fragment-cma", run: mm::fragment_cma },
    Check { name: "map", run: mm::map },
    Check { name: "random-lines", run: garbage::random_lines },
];
