//! Issue 13: the network path cannot be used to stop the kernel. One boot
//! without `net_debug_hooks` and with `net_http_fail=1` (the first HTTP
//! connection asks for buffers the heap cannot give):
//!
//! * the refused connection gets a 503, counted;
//! * `STALL` is echoed at once and nothing stalls (no debug hooks);
//! * 10,000 pipelined `GET /status.json` on one connection that never
//!   reads: the kernel stops reading it (throttled), the heap stays
//!   bounded, and other clients are answered; 1,000 pipelined requests on
//!   a connection that does read are all answered, in order;
//! * 64 connections opened and abandoned: a new client is still answered
//!   (the idlest connection is evicted);
//! * 1 MB of garbage on a connection: one error response, then closed;
//! * once the connections close, the heap is back to its starting count;
//! * the stop log has the refusal counters, the memory is all back, and
//!   the kernel never printed `PANIC`.

use crate::http;
use crate::udp::Echoer;
use crate::{jnum, status_json};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The kernel's per-connection buffers (netproto's IN_CAP + OUT_CAP) and
/// connection count: the most the HTTP server may hold.
const CONN_BYTES: u64 = 8192 + 2 * (16 * 1024 + 512);
const SOCKETS: u64 = 8;

/// A status.json that may take a few tries (the server may be evicting).
fn status_retry(port: u16, within: Duration) -> Result<Value, String> {
    let end = Instant::now() + within;
    loop {
        match status_json(port) {
            Ok(j) => return Ok(j),
            Err(e) if Instant::now() >= end => return Err(format!("no status.json within {within:?}: {e}")),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

pub fn heap_of(j: &Value) -> Result<(u64, u64), String> {
    Ok((jnum(j, "memory.heap.used_bytes")?, jnum(j, "memory.heap.buddy_pages")?))
}

/// The first connection is refused with the fixed 503 (`net_http_fail=1`).
pub fn alloc_503(port: u16) -> Result<String, String> {
    let r = http::get(port, "/status.json", Duration::from_secs(5))?;
    if r.status != 503 || r.header("connection") != Some("close") || !r.text().contains("out of memory") {
        return Err(format!("status {} connection {:?} body {:?}", r.status, r.header("connection"), r.text()));
    }
    let j = status_retry(port, Duration::from_secs(5))?;
    let (n503, fails) = (jnum(&j, "net.http_503")?, jnum(&j, "net.http_alloc_failures")?);
    if n503 != 1 || fails != 1 {
        return Err(format!("http_503 {n503}, http_alloc_failures {fails}: expected 1 and 1"));
    }
    Ok(String::from("connection 1 (net_http_fail=1) answered 503 `out of memory`, closed; http_503 1, http_alloc_failures 1"))
}

/// Without `net_debug_hooks`, `STALL 3000` is echoed at once and the next
/// datagram too.
pub fn stall_off(port: u16, http_port: u16) -> Result<String, String> {
    let mut e = Echoer::new(port).map_err(|e| e.to_string())?;
    e.retries = 0;
    e.timeout = Duration::from_millis(1000);
    let t = Instant::now();
    if !e.echo(0, b"STALL 3000") {
        return Err(String::from("STALL 3000 not echoed within 1 s"));
    }
    let stall_ms = t.elapsed().as_millis();
    let t = Instant::now();
    if !e.echo(1, b"right after") {
        return Err(String::from("the datagram after STALL was not echoed within 1 s"));
    }
    let next_ms = t.elapsed().as_millis();
    let j = status_retry(http_port, Duration::from_secs(5))?;
    let refused = jnum(&j, "net.udp_stall_refused")?;
    let hooks = j.pointer("/net/debug_hooks").and_then(Value::as_bool);
    if refused != 1 || hooks != Some(false) {
        return Err(format!("net.udp_stall_refused {refused}, net.debug_hooks {hooks:?}"));
    }
    Ok(format!("STALL 3000 echoed in {stall_ms} ms, the next datagram in {next_ms} ms; udp_stall_refused 1, debug_hooks false"))
}

/// Writes `n` pipelined requests from a thread (so a full window blocks
/// only it); returns the thread, which gives the bytes written.
fn pipeline_writer(mut s: TcpStream, n: usize) -> std::thread::JoinHandle<Result<usize, String>> {
    std::thread::spawn(move || {
        let one = http::request_bytes("/status.json", true);
        let all: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
        let _ = s.set_write_timeout(Some(Duration::from_secs(20)));
        let mut done = 0;
        while done < all.len() {
            match s.write(&all[done..(done + 65536).min(all.len())]) {
                Ok(0) => return Err(format!("write returned 0 after {done} bytes")),
                Ok(k) => done += k,
                // Blocked for good by the kernel's backpressure: fine.
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break,
                Err(e) => return Err(format!("write after {done} of {} bytes: {e}", all.len())),
            }
        }
        // Keep the socket (and its unread responses) open a while.
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
        Ok(done)
    })
}

/// 10,000 pipelined requests on a connection that never reads.
pub fn pipeline_flood(port: u16, heap0: (u64, u64)) -> Result<String, String> {
    let s = http::connect(port, Duration::from_secs(5))?;
    let w = pipeline_writer(s.try_clone().map_err(|e| e.to_string())?, 10_000);
    let t = Instant::now();
    // While it sits there: others are answered, the heap stays bounded.
    let mut throttled = 0;
    let mut peak = heap0;
    let mut answered = 0;
    while t.elapsed() < Duration::from_secs(8) {
        let j = status_retry(port, Duration::from_secs(5))?;
        answered += 1;
        let h = heap_of(&j)?;
        peak = (peak.0.max(h.0), peak.1.max(h.1));
        throttled = jnum(&j, "net.http_throttled")?;
        if throttled > 0 && t.elapsed() > Duration::from_secs(3) {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let written = w.join().map_err(|_| "writer thread panicked")??;
    drop(s);
    let bound = heap0.0 + SOCKETS * CONN_BYTES + 16384;
    let d = format!(
        "10,000 requests ({written} bytes) written, none read; throttled {throttled}; {answered} status.json from other connections answered meanwhile; heap used {} -> peak {} bytes (bound {bound}), heap pages {} -> peak {}",
        heap0.0, peak.0, heap0.1, peak.1
    );
    if throttled == 0 || peak.0 > bound || peak.1 > heap0.1 + 8 {
        return Err(d);
    }
    Ok(d)
}

/// 1,000 pipelined requests written in one go, then read: every one
/// answered, in order (pipelined bytes kept, not dropped).
pub fn pipeline_read(port: u16) -> Result<String, String> {
    let n = 1000;
    let mut s = http::connect(port, Duration::from_secs(10))?;
    let w = pipeline_writer(s.try_clone().map_err(|e| e.to_string())?, n);
    let t = Instant::now();
    let mut last_req = 0;
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 65536];
    for i in 0..n {
        // One response off the front of the stream (several may be in one
        // read: they are pipelined).
        let (status, body) = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let status: u16 = head.get(9..12).and_then(|x| x.parse().ok()).ok_or(format!("response {i}: head {head:?}"))?;
                let len: usize = head
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|x| x.parse().ok())
                    .ok_or(format!("response {i}: no Content-Length in {head:?}"))?;
                if buf.len() >= end + 4 + len {
                    let body = buf[end + 4..end + 4 + len].to_vec();
                    buf.drain(..end + 4 + len);
                    break (status, body);
                }
            }
            let k = s.read(&mut chunk).map_err(|e| format!("response {i}: {e}"))?;
            if k == 0 {
                return Err(format!("response {i}: connection closed"));
            }
            buf.extend_from_slice(&chunk[..k]);
        };
        if status != 200 {
            return Err(format!("response {i}: status {status}"));
        }
        let j: Value = serde_json::from_slice(&body).map_err(|e| format!("response {i}: JSON: {e}"))?;
        let req = jnum(&j, "net.http_requests")?;
        if req <= last_req {
            return Err(format!("response {i}: http_requests {req} after {last_req}: out of order"));
        }
        last_req = req;
    }
    if !buf.is_empty() {
        return Err(format!("{} bytes after the {n}th response", buf.len()));
    }
    let secs = t.elapsed().as_secs_f64();
    let written = w.join().map_err(|_| "writer thread panicked")??;
    Ok(format!("{n} pipelined requests ({written} bytes, written in one go) answered in order in {secs:.2} s"))
}

/// 64 connections opened and left idle; then a normal request must be
/// answered (within 10 s: the idlest connection is evicted for it).
pub fn abandoned(port: u16) -> Result<(String, Vec<TcpStream>), String> {
    let mut held = Vec::new();
    for i in 0..64 {
        held.push(http::connect(port, Duration::from_secs(5)).map_err(|e| format!("connection {i}: {e}"))?);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    let j = status_retry(port, Duration::from_secs(10))?;
    let evicted = jnum(&j, "net.http_evicted")?;
    let d = format!("64 connections opened and left idle; a new request answered after {:.2} s; http_evicted {evicted}", t.elapsed().as_secs_f64());
    if evicted == 0 {
        return Err(d);
    }
    Ok((d, held))
}

/// 1 MB of garbage on one connection: one error response, the connection
/// closed, the server fine.
pub fn garbage(port: u16, seed: u64) -> Result<String, String> {
    let mut s = http::connect(port, Duration::from_secs(5))?;
    let mut rng = crate::udp::Rng::new(seed);
    let mut junk = vec![0u8; 1 << 20];
    rng.fill(&mut junk);
    let mut written = 0;
    let mut write_err = String::new();
    for c in junk.chunks(16384) {
        match s.write_all(c) {
            Ok(()) => written += c.len(),
            Err(e) => {
                write_err = format!(" (then {e})");
                break;
            }
        }
    }
    let mut back = Vec::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.read_to_end(&mut back);
    let text = String::from_utf8_lossy(&back[..back.len().min(200)]).into_owned();
    let first = text.lines().next().unwrap_or("").to_string();
    if !(first.starts_with("HTTP/1.1 400") || first.starts_with("HTTP/1.1 431")) && !back.is_empty() {
        return Err(format!("after {written} bytes of garbage the server answered {first:?}"));
    }
    let r = http::get(port, "/", Duration::from_secs(5))?;
    if r.status != 200 {
        return Err(format!("GET / after the garbage: status {}", r.status));
    }
    Ok(format!(
        "{written} bytes of garbage sent{write_err}; answer {:?} ({} bytes), connection closed; GET / then 200",
        first,
        back.len()
    ))
}

/// With every test connection closed: the heap back to where it was.
pub fn heap_back(port: u16, heap0: (u64, u64)) -> Result<String, String> {
    let end = Instant::now() + Duration::from_secs(40);
    loop {
        let j = status_retry(port, Duration::from_secs(5))?;
        let h = heap_of(&j)?;
        // The buffers of the connection serving this request are in both;
        // allow a little for the DMA-API debug table (its nodes follow the
        // frames in flight), far less than one connection's buffers.
        if h.1 == heap0.1 && h.0.abs_diff(heap0.0) <= 4096 {
            return Ok(format!(
                "heap used {} bytes, {} pages; at the start {} bytes, {} pages (one connection's buffers: {CONN_BYTES} bytes)",
                h.0, h.1, heap0.0, heap0.1
            ));
        }
        if Instant::now() >= end {
            return Err(format!("heap used {} bytes, {} pages; at the start {} bytes, {} pages", h.0, h.1, heap0.0, heap0.1));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The refusal counters in the stop log, no less than in the last
/// status.json, and no `PANIC` anywhere.
pub fn stop_log(lines: &[String], last: &Value) -> Result<String, String> {
    if let Some(p) = lines.iter().find(|l| l.contains("PANIC")) {
        return Err(format!("the kernel printed {p:?}"));
    }
    let l = lines.iter().find(|l| l.contains("net: services:")).ok_or("no `net: services:` line")?;
    let mut d = Vec::new();
    for (json, key, min) in [
        ("net.http_503", "refused: 503", 1),
        ("net.http_alloc_failures", "(no memory", 1),
        ("net.http_evicted", "evicted", 1),
        ("net.http_throttled", "throttled", 1),
        ("net.udp_stall_refused", "STALL refused", 1),
        ("net.udp_dropped", "(dropped", 0),
    ] {
        let logged = crate::number_after(l, key).ok_or(format!("no number after {key:?} in {l:?}"))?;
        let j = jnum(last, json)?;
        if logged < j || logged < min {
            return Err(format!("logged {key} {logged}, status.json {json} {j} (at least {min} expected): {l}"));
        }
        d.push(format!("{key} {logged}"));
    }
    Ok(format!("no PANIC; stop log: {}", d.join(", ")))
}
