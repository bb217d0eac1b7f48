//! The fuzz target's body, here so that `cargo test` replays the committed
//! corpus through exactly the code the fuzzer ran
//! (`crates/netproto/fuzz/fuzz_targets/netproto.rs` calls [`run`]).

use crate::http::{self, Body, Conn, Counts, Reply};
use crate::{icmp, udp};
use alloc::vec::Vec;
use core::fmt::Write;

/// A route like the kernel's: a body whose size depends on the path (up to
/// past [`http::BODY_MAX`], to reach the 503), and on the counters.
pub fn route(path: &str, c: &Counts, b: &mut Body) -> Reply {
    match path {
        "/" => {
            let _ = write!(b, "<html>{} requests</html>\n", c.requests);
            Reply::new(200, "text/html; charset=utf-8")
        }
        "/big" => {
            for _ in 0..(http::BODY_MAX / 64 + 1) {
                if b.write_bytes(&[b'x'; 64]).is_err() {
                    break;
                }
            }
            Reply::new(200, "text/plain")
        }
        "/shutdown" => {
            let _ = b.write_bytes(b"stopping\n");
            Reply { status: 200, content_type: "text/plain", close: true }
        }
        p if p.len() < 64 => {
            let _ = write!(b, "{{\"path\":\"{}\",\"n\":{}}}", p.escape_default(), c.requests);
            Reply::new(if p.starts_with("/s") { 200 } else { 404 }, "application/json")
        }
        _ => Reply::new(404, "text/plain"),
    }
}

/// Feeds `input` to a connection in chunks of the sizes `chunk` gives
/// (cycled; 0 means a step where only `drain` bytes are taken), taking at
/// most `drain` output bytes per step (0: all). Returns everything the
/// connection sent and whether it ended closing. Checks the buffer bounds
/// at every step.
pub fn converse(input: &[u8], chunk: &[usize], drain: usize) -> (Vec<u8>, bool) {
    let mut c = Conn::new().expect("two small buffers");
    let mut counts = Counts::default();
    let mut sent = Vec::new();
    let mut pos = 0;
    let mut stuck = 0;
    let mut step = 0usize;
    loop {
        let want = if chunk.iter().all(|&c| c == 0) { input.len() } else { chunk[step % chunk.len()] };
        step += 1;
        let end = (pos + want).min(input.len());
        let took = c.feed(&input[pos..end]);
        pos += took;
        c.process(&mut counts, route);
        assert!(c.buffered() <= http::IN_CAP);
        assert!(c.unsent() <= http::OUT_CAP);
        let p = c.pending();
        let n = if drain == 0 { p.len() } else { p.len().min(drain) };
        sent.extend_from_slice(&p[..n]);
        c.advance(n);
        if c.done() {
            return (sent, true);
        }
        if pos == input.len() && c.pending().is_empty() && !c.has_request() {
            return (sent, false);
        }
        // Progress is guaranteed: each step drains output or takes input.
        stuck = if n == 0 && took == 0 { stuck + 1 } else { 0 };
        assert!(stuck < 4 + chunk.len(), "no progress at {pos}/{} ({} unsent)", input.len(), c.unsent());
    }
}

/// One fuzz input: the first two bytes choose the chunking and the output
/// drain per step; the rest is the peer's bytes (and, as is, a UDP payload
/// and an ICMP packet).
pub fn run(data: &[u8]) {
    let (cfg, bytes) = data.split_at(data.len().min(2));
    let _ = http::parse(bytes);
    let chunk = cfg.first().map_or(0, |&c| usize::from(c));
    let drain = cfg.get(1).map_or(0, |&d| usize::from(d) * 97);
    let (whole, closed) = converse(bytes, &[], 0);
    let (chunked, closed2) = converse(bytes, &[chunk % 61, chunk + 1, 3], drain);
    assert_eq!(closed, closed2);
    assert!(whole == chunked, "chunking changed the responses");
    if !whole.is_empty() {
        assert!(whole.starts_with(b"HTTP/1.1 "));
    }
    for hooks in [false, true] {
        if let udp::Command::Stall(ms) = udp::command(bytes, hooks) {
            assert!(hooks && ms <= udp::STALL_MAX_MS);
        }
    }
    if let Ok(r) = icmp::parse_echo_reply(bytes) {
        assert_eq!(r.data.len() + icmp::HEADER_LEN, bytes.len());
        let _ = icmp::matches_request(bytes, r.ident, r.seq, r.data);
    }
}
