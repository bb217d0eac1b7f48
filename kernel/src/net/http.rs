//! A tiny HTTP/1.1 server over smoltcp TCP sockets: `GET` only, responses
//! with `Content-Length`, persistent connections unless the client asks
//! for `Connection: close` (or speaks HTTP/1.0 without keep-alive).
//!
//! Each of [`SOCKETS`] sockets listens on the port; a connection's socket
//! is re-armed when it closes. A socket left in TIME-WAIT (the server
//! closed first) is reset and re-armed at once instead of waiting 10 s,
//! so a client that closes per request does not run the listeners out.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};

/// Concurrent connections.
pub const SOCKETS: usize = 8;
/// A request head larger than this is refused (431).
const MAX_HEAD: usize = 8192;
/// An established connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(30);

/// What a route returns.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Close the connection after this response.
    pub close: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: String) -> Self {
        Response { status, content_type, body, close: false }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct HttpStats {
    pub connections: u64,
    pub requests: u64,
    /// Responses with a 4xx/5xx status.
    pub errors: u64,
    /// Connections closed for idling.
    pub idle_closed: u64,
}

struct Conn {
    handle: SocketHandle,
    req: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    close_after: bool,
    last: Instant,
    was_active: bool,
}

pub struct Server {
    port: u16,
    conns: Vec<Conn>,
    pub stats: HttpStats,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

fn find_head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n")
}

/// A parsed request head: method, path, whether the client wants the
/// connection closed afterwards.
struct Head<'a> {
    method: &'a str,
    path: &'a str,
    close: bool,
}

fn parse_head(head: &[u8]) -> Option<Head<'_>> {
    let text = core::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut close = version == "HTTP/1.0";
    for l in lines {
        if let Some((k, v)) = l.split_once(':')
            && k.trim().eq_ignore_ascii_case("connection")
        {
            let v = v.trim();
            if v.eq_ignore_ascii_case("close") {
                close = true;
            } else if v.eq_ignore_ascii_case("keep-alive") {
                close = false;
            }
        }
    }
    Some(Head { method, path, close })
}

fn render(out: &mut Vec<u8>, r: &Response, head_only: bool) {
    use core::fmt::Write;
    let mut h = String::new();
    let _ = write!(
        h,
        "HTTP/1.1 {} {}\r\nServer: alpha-unikernel\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: {}\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len(),
        if r.close { "close" } else { "keep-alive" }
    );
    out.extend_from_slice(h.as_bytes());
    if !head_only {
        out.extend_from_slice(r.body.as_bytes());
    }
}

impl Server {
    /// Creates the listening sockets (each with `rx`/`tx` bytes of buffer).
    pub fn new(sockets: &mut SocketSet<'static>, port: u16, rx: usize, tx: usize, now: Instant) -> Self {
        let conns = (0..SOCKETS)
            .map(|_| {
                let mut s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; rx]), tcp::SocketBuffer::new(vec![0; tx]));
                s.set_nagle_enabled(false);
                let _ = s.listen(port);
                Conn {
                    handle: sockets.add(s),
                    req: Vec::new(),
                    out: Vec::new(),
                    sent: 0,
                    close_after: false,
                    last: now,
                    was_active: false,
                }
            })
            .collect();
        Server { port, conns, stats: HttpStats::default() }
    }

    /// Serves what the sockets hold; `route(method, path, stats)` answers
    /// each request.
    pub fn service(
        &mut self,
        sockets: &mut SocketSet<'static>,
        now: Instant,
        mut route: impl FnMut(&str, &HttpStats) -> Response,
    ) {
        let Server { port, conns, stats } = self;
        for c in conns.iter_mut() {
            let s = sockets.get_mut::<tcp::Socket>(c.handle);
            match s.state() {
                tcp::State::Closed | tcp::State::TimeWait => {
                    if s.state() == tcp::State::TimeWait {
                        s.abort();
                    }
                    c.req.clear();
                    c.out.clear();
                    c.sent = 0;
                    c.close_after = false;
                    c.was_active = false;
                    let _ = s.listen(*port);
                    continue;
                }
                tcp::State::Listen => continue,
                _ => {}
            }
            if !c.was_active {
                c.was_active = true;
                c.last = now;
                stats.connections += 1;
            }
            // Read what arrived (a request head, or several pipelined).
            if s.can_recv() && !c.close_after {
                let before = c.req.len();
                let _ = s.recv(|buf| {
                    let n = buf.len().min(MAX_HEAD + 4 - c.req.len().min(MAX_HEAD + 4));
                    c.req.extend_from_slice(&buf[..n]);
                    (buf.len(), ())
                });
                if c.req.len() != before {
                    c.last = now;
                }
            }
            while !c.close_after {
                let Some(end) = find_head_end(&c.req) else {
                    if c.req.len() > MAX_HEAD {
                        let mut r = Response::new(431, "text/plain", String::from("request head too large\n"));
                        r.close = true;
                        stats.requests += 1;
                        stats.errors += 1;
                        render(&mut c.out, &r, false);
                        c.close_after = true;
                        c.req.clear();
                    }
                    break;
                };
                let (r, head_only) = match parse_head(&c.req[..end]) {
                    None => {
                        let mut r = Response::new(400, "text/plain", String::from("bad request\n"));
                        r.close = true;
                        (r, false)
                    }
                    Some(h) if h.method == "GET" || h.method == "HEAD" => {
                        let mut r = route(h.path, stats);
                        r.close |= h.close;
                        (r, h.method == "HEAD")
                    }
                    Some(_) => {
                        let mut r = Response::new(405, "text/plain", String::from("only GET and HEAD\n"));
                        r.close = true;
                        (r, false)
                    }
                };
                stats.requests += 1;
                if r.status >= 400 {
                    stats.errors += 1;
                }
                render(&mut c.out, &r, head_only);
                c.req.drain(..end + 4);
                c.close_after = r.close;
            }
            // Send what is pending.
            if c.sent < c.out.len() && s.can_send() {
                if let Ok(n) = s.send_slice(&c.out[c.sent..]) {
                    c.sent += n;
                    if n > 0 {
                        c.last = now;
                    }
                }
            }
            if c.sent == c.out.len() {
                c.out.clear();
                c.sent = 0;
                if c.close_after || s.state() == tcp::State::CloseWait {
                    s.close();
                }
            }
            if now - c.last > IDLE && s.is_active() {
                stats.idle_closed += 1;
                if stats.idle_closed <= 10 {
                    log::info!(
                        "http: closing a connection idle for {} s in state {} (remote {:?}, {} request bytes pending)",
                        (now - c.last).secs(),
                        s.state(),
                        s.remote_endpoint(),
                        c.req.len()
                    );
                }
                s.abort();
            }
        }
    }

    /// Resets every connection (at shutdown).
    pub fn abort_all(&mut self, sockets: &mut SocketSet<'static>) {
        for c in &self.conns {
            sockets.get_mut::<tcp::Socket>(c.handle).abort();
        }
    }

    /// Connections not idle in LISTEN/CLOSED.
    pub fn active(&self, sockets: &mut SocketSet<'static>) -> usize {
        self.conns
            .iter()
            .filter(|c| {
                !matches!(
                    sockets.get_mut::<tcp::Socket>(c.handle).state(),
                    tcp::State::Listen | tcp::State::Closed | tcp::State::TimeWait
                )
            })
            .count()
    }
}
