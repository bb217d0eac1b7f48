//! Fuzz target: any UTF-8 command line parses without panicking, and what
//! comes out is consistent.
#![no_main]

use std::fmt::Write;

use bootparam::{EarlyParams, MAX_ERRORS, MAX_WORDS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let p = EarlyParams::parse(line);
    assert!(p.unknown().len() <= MAX_WORDS && p.errors().len() <= MAX_ERRORS);

    let mut out = String::new();
    for e in p.errors() {
        write!(out, "{e}").unwrap();
    }
    for w in p.unknown() {
        assert!(p.has_flag(w));
        let _ = p.get(w);
    }
    let _ = (p.loglevel, p.cma_pernuma, p.numa_cma, p.repeated_kept().count());
    // A parsed cma= value prints back as valid syntax for the same value.
    if let Some(cma) = p.cma {
        assert_eq!(EarlyParams::parse(&format!("cma={cma}")).cma, Some(cma));
    }
    let _ = (
        p.mem,
        p.init_args(),
        p.repeated().count(),
        p.dropped_unknown(),
        p.dropped_errors(),
    );
});
