//! The checks, each a function over a running [`Session`]: it types
//! commands, judges the answers, and returns a short detail or what went
//! wrong. [`ALL`] is the list `main` runs, in order, in every session;
//! after each one `main` checks that `reconcile` holds. A check's `when`
//! says whether it runs in a session (the browser test needs the HTTP
//! server, and chromium). To add checks, write a module with such
//! functions and list them here.

use crate::session::Session;

mod garbage;
mod info;
mod mm;
mod picture;

/// One check: its name, its function, and whether it runs.
pub struct Check {
    pub name: &'static str,
    pub run: fn(&mut Session, &Options) -> Result<String, String>,
    pub when: fn(&Session) -> When,
}

/// Whether a check runs in a session.
pub enum When {
    /// It runs.
    Run,
    /// It does not apply here (not run, not counted).
    NotHere,
    /// It should run but cannot: counted as skipped, with the reason.
    Skip(String),
}

/// Every session.
fn always(_: &Session) -> When {
    When::Run
}

/// What the command line chose.
pub struct Options {
    /// Random lines for `garbage`.
    pub lines: usize,
    /// Seed of the random lines.
    pub seed: u64,
}

pub const ALL: &[Check] = &[
    Check { name: "help", run: info::help, when: always },
    Check { name: "meminfo", run: info::meminfo, when: always },
    Check { name: "buddyinfo", run: info::buddyinfo, when: always },
    Check { name: "errors", run: info::errors, when: always },
    Check { name: "alloc-free", run: mm::alloc_free, when: always },
    Check { name: "fragment-cma", run: mm::fragment_cma, when: always },
    Check { name: "map", run: mm::map, when: always },
    Check { name: "memory-picture", run: picture::memory, when: picture::when },
    Check { name: "random-lines", run: garbage::random_lines, when: always },
];
