//! The HTTP request parser and a connection fed in two different
//! chunkings (same answers, bounded buffers), the UDP echo commands and
//! the ICMP echo reply parser, over arbitrary bytes. The body is
//! `netproto::fuzzing::run`, which `cargo test` also runs over the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    netproto::fuzzing::run(data);
});
