//! HTTP/1.1 requests: the parser ([`parse`]) and one connection's state
//! ([`Conn`]) with bounded buffers.
//!
//! Only `GET` and `HEAD` are served; a request with a body (a non-zero
//! `Content-Length`, or any `Transfer-Encoding`) is answered and the
//! connection closed, since the body is never read. Limits:
//!
//! * a request head (request line and header fields, leading empty lines
//!   included) longer than [`MAX_HEAD`] bytes is answered with 431 and the
//!   connection closed;
//! * the input buffer holds [`IN_CAP`] bytes: the bytes of the requests not
//!   parsed yet, pipelined ones included;
//! * the output buffer holds [`OUT_CAP`] bytes of responses not yet taken
//!   by the socket; a request is parsed only when [`RESP_MAX`] bytes are
//!   free there (a response's largest size), and nothing is read while
//!   they are not: a peer that never reads stops being read;
//! * a response body larger than [`BODY_MAX`] is replaced by a 503, unless
//!   the route streams it: [`Body::stream`] keeps a small state (four
//!   words) with the connection, and [`Conn::process_streaming`] asks for
//!   the next piece of at most [`BODY_MAX`] bytes each time the output has
//!   room for one, sent with `Transfer-Encoding: chunked` (HTTP/1.0:
//!   until the connection closes). A response of any length thus needs
//!   no more buffer than a bounded one; requests pipelined behind it wait.

use alloc::vec::Vec;
use core::fmt;

/// Longest request head (request line, header fields, the empty line).
pub const MAX_HEAD: usize = 8192;
/// Input buffer: one request head at most (so a full buffer without a
/// complete head is always a 431, never a stall).
pub const IN_CAP: usize = MAX_HEAD;
/// Largest response body.
pub const BODY_MAX: usize = 16 * 1024;
/// Largest response head this server writes.
pub const HEADER_MAX: usize = 512;
/// Largest response.
pub const RESP_MAX: usize = BODY_MAX + HEADER_MAX;
/// Output buffer: two responses.
pub const OUT_CAP: usize = 2 * RESP_MAX;

/// A parsed request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target as sent.
    pub path: &'a str,
    /// `1` for HTTP/1.1 (and later 1.x), `0` for HTTP/1.0.
    pub minor: u8,
    /// The client asked for the connection to be closed after the
    /// response (`Connection: close`, or HTTP/1.0 without `keep-alive`).
    pub close: bool,
    /// The request has a body (`Content-Length` > 0 or
    /// `Transfer-Encoding`), which this server does not read.
    pub body: bool,
}

/// What [`parse`] found at the start of a buffer.
///
/// `#[repr(u8)]`: this enum wraps a struct with niches; the kernel's
/// compiler backend miscompiles niche-in-niche layouts (see the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Parse<'a> {
    /// A prefix of a request head: more bytes are needed.
    Partial,
    /// A request whose head is the buffer's first `len` bytes.
    Request(Request<'a>, usize),
    /// Not a request this server takes: answer with this status and close.
    Error(u16),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// RFC 9110 `tchar`.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Parses the request at the start of `buf`. Leading empty lines are
/// skipped (RFC 9112 2.2). Never panics; looks at no more than
/// [`MAX_HEAD`] + 3 bytes.
pub fn parse(buf: &[u8]) -> Parse<'_> {
    let mut start = 0;
    while buf.len() >= start + 2 && &buf[start..start + 2] == b"\r\n" {
        start += 2;
    }
    let window = &buf[..buf.len().min(MAX_HEAD)];
    let rest = &window[start.min(window.len())..];
    match find(rest, b"\r\n\r\n") {
        None => {
            if buf.len() >= MAX_HEAD {
                Parse::Error(431)
            } else {
                Parse::Partial
            }
        }
        Some(end) => match parse_head(&rest[..end]) {
            Ok(r) => Parse::Request(r, start + end + 4),
            Err(status) => Parse::Error(status),
        },
    }
}

/// The request line and header fields, without the final CRLF CRLF.
fn parse_head(head: &[u8]) -> Result<Request<'_>, u16> {
    let (line, mut fields) = match find(head, b"\r\n") {
        Some(i) => (&head[..i], &head[i + 2..]),
        None => (head, &head[head.len()..]),
    };
    let mut parts = line.split(|&c| c == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if method.is_empty() || !method.iter().all(|&c| is_tchar(c)) {
        return Err(400);
    }
    if target.is_empty() || !target.iter().all(|&c| (0x21..0x7f).contains(&c)) {
        return Err(400);
    }
    let minor = match version {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', d] if d.is_ascii_digit() => (d - b'0').min(1),
        [b'H', b'T', b'T', b'P', b'/', d, b'.', e] if d.is_ascii_digit() && e.is_ascii_digit() => return Err(505),
        _ => return Err(400),
    };
    // Both are ASCII, checked above.
    let (Ok(method), Ok(path)) = (core::str::from_utf8(method), core::str::from_utf8(target)) else {
        return Err(400);
    };
    let mut close = minor == 0;
    let mut body = false;
    let mut length: Option<u64> = None;
    while !fields.is_empty() {
        let (field, next) = match find(fields, b"\r\n") {
            Some(i) => (&fields[..i], &fields[i + 2..]),
            None => (fields, &fields[fields.len()..]),
        };
        fields = next;
        let Some(colon) = field.iter().position(|&c| c == b':') else { return Err(400) };
        let (name, value) = (&field[..colon], trim(&field[colon + 1..]));
        // No obsolete line folding, no whitespace before the colon.
        if name.is_empty() || !name.iter().all(|&c| is_tchar(c)) {
            return Err(400);
        }
        if value.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0) {
            return Err(400);
        }
        if name.eq_ignore_ascii_case(b"connection") {
            for opt in value.split(|&c| c == b',').map(trim) {
                if opt.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if opt.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
                return Err(400);
            }
            let n = value.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            if length.is_some_and(|l| l != n) {
                return Err(400);
            }
            length = Some(n);
            body |= n > 0;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            body = true;
        }
    }
    Ok(Request { method, path, minor, close, body })
}

/// What a route answers (its body is written to the [`Body`] it is given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    /// Close the connection after this response.
    pub close: bool,
}

impl Reply {
    pub const fn new(status: u16, content_type: &'static str) -> Self {
        Reply { status, content_type, close: false }
    }
}

/// A response body being written: at most [`BODY_MAX`] bytes, into the
/// connection's output buffer (never past its reserved capacity).
pub struct Body<'a> {
    buf: &'a mut Vec<u8>,
    limit: usize,
    overflow: bool,
    /// Set by [`Body::stream`]: more of the body follows.
    stream: Option<[u64; 4]>,
}

impl Body<'_> {
    /// Bytes that can still be written to this body (or piece of one).
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.buf.len())
    }

    /// What is written so far is the first piece of a longer body: the
    /// response is sent chunked, and `state` is handed back to the
    /// `more` function of [`Conn::process_streaming`] for each next piece
    /// until it says the body is complete.
    pub fn stream(&mut self, state: [u64; 4]) {
        self.stream = Some(state);
    }

    /// Appends bytes; past [`BODY_MAX`] nothing more is written and the
    /// response becomes a 503.
    pub fn write_bytes(&mut self, b: &[u8]) -> fmt::Result {
        if self.overflow || self.buf.len() + b.len() > self.limit {
            self.overflow = true;
            return Err(fmt::Error);
        }
        self.buf.extend_from_slice(b);
        Ok(())
    }
}

impl fmt::Write for Body<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes())
    }
}

/// A fixed buffer for the response head.
struct HeadBuf {
    b: [u8; HEADER_MAX],
    n: usize,
}

impl fmt::Write for HeadBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.n + s.len();
        if end > HEADER_MAX {
            return Err(fmt::Error);
        }
        self.b[self.n..end].copy_from_slice(s.as_bytes());
        self.n = end;
        Ok(())
    }
}

/// The status line and headers of a response; `framing` is the line that
/// says where the body ends (`Content-Length`, chunked, or nothing when the
/// connection's close ends it).
fn response_head(r: &Reply, framing: fmt::Arguments) -> HeadBuf {
    use fmt::Write;
    let mut h = HeadBuf { b: [0; HEADER_MAX], n: 0 };
    let conn = if r.close { "close" } else { "keep-alive" };
    let w = write!(
        h,
        "HTTP/1.1 {} {}\r\nServer: alpha-unikernel\r\nContent-Type: {}\r\n{framing}Cache-Control: no-store\r\nConnection: {conn}\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
    );
    if w.is_err() {
        // Only a content type of hundreds of bytes gets here.
        h.n = 0;
        let _ = write!(h, "HTTP/1.1 {} {}\r\n{framing}Connection: {conn}\r\n\r\n", r.status, reason(r.status));
    }
    h
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// The whole response sent when a connection cannot be served at all
/// (its buffers could not be allocated): no allocation needed.
pub const UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nServer: alpha-unikernel\r\nContent-Type: text/plain\r\nContent-Length: 21\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nout of memory, sorry\n";

/// Counters of what [`Conn::process`] did (added to).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Responses written.
    pub requests: u64,
    /// Responses with a 4xx or 5xx status.
    pub errors: u64,
    /// 503 responses (a body too large for [`BODY_MAX`]).
    pub unavailable: u64,
}

/// A streamed response in progress.
#[derive(Clone, Copy, Debug)]
struct Streaming {
    /// The route's state for its next piece.
    state: [u64; 4],
    /// Pieces are chunks (HTTP/1.1); else raw bytes until the close.
    chunked: bool,
    /// Close the connection when the body is complete.
    close: bool,
}

/// One connection's buffers and state.
pub struct Conn {
    input: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    /// A response said `Connection: close`: nothing more is read or parsed.
    closing: bool,
    /// A streamed body being sent: no request is answered until it ends.
    streaming: Option<Streaming>,
}

impl Conn {
    /// Reserves both buffers (`IN_CAP` + `OUT_CAP` bytes); they never
    /// grow. `None` if the heap cannot give them.
    pub fn new() -> Option<Conn> {
        Self::reserving(OUT_CAP)
    }

    /// As [`Conn::new`], with `out` bytes (at least [`OUT_CAP`]) reserved
    /// for output: asking for more than the heap can give runs the real
    /// allocation failure path (the kernel's `net_http_fail=`).
    pub fn reserving(out: usize) -> Option<Conn> {
        let mut input = Vec::new();
        input.try_reserve_exact(IN_CAP).ok()?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(out.max(OUT_CAP)).ok()?;
        Some(Conn { input, out: buf, sent: 0, closing: false, streaming: None })
    }

    /// Unsent response bytes.
    pub fn unsent(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Whether a response can be written now.
    fn has_room(&self) -> bool {
        OUT_CAP - self.unsent() >= RESP_MAX
    }

    /// Output is full: no request is parsed and nothing read until the
    /// peer takes some.
    pub fn blocked(&self) -> bool {
        !self.closing && !self.has_room()
    }

    /// How many bytes [`Conn::feed`] takes now: none while closing or
    /// [`Conn::blocked`].
    pub fn read_room(&self) -> usize {
        if self.closing || !self.has_room() { 0 } else { IN_CAP - self.input.len() }
    }

    /// A closing response was written: nothing more is read or parsed
    /// (the peer's further bytes can be discarded).
    pub fn closing(&self) -> bool {
        self.closing
    }

    /// Request bytes buffered and not yet answered.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// Takes up to [`Conn::read_room`] bytes of `data`; returns how many.
    pub fn feed(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.read_room());
        self.input.extend_from_slice(&data[..n]);
        n
    }

    /// Response bytes to send.
    pub fn pending(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    /// `n` bytes of [`Conn::pending`] were sent.
    pub fn advance(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
    }

    /// The connection should be closed now: a closing response has been
    /// sent in full.
    pub fn done(&self) -> bool {
        self.closing && self.out.is_empty()
    }

    /// Whether a complete request (or an error to answer) is buffered, or
    /// a streamed body is still being written.
    pub fn has_request(&self) -> bool {
        self.streaming.is_some() || (!self.closing && !matches!(parse(&self.input), Parse::Partial))
    }

    /// After the peer's end of input: nothing left to answer or send, so
    /// the connection can be closed (a partial request never completes).
    pub fn finished_after_eof(&self) -> bool {
        self.out.is_empty() && !self.has_request()
    }

    /// Answers buffered requests one by one while the output has room for
    /// a response; `route(path, counts, body)` answers a `GET` or `HEAD`
    /// (for `HEAD` its body is dropped after its length is taken).
    pub fn process(&mut self, counts: &mut Counts, route: impl FnMut(&str, &Counts, &mut Body) -> Reply) {
        // No route here streams: a `more` call would be a bug; it ends the body.
        self.process_streaming(counts, route, |_, _| true)
    }

    /// As [`Conn::process`], for routes that may stream ([`Body::stream`]):
    /// `more(state, body)` writes the next piece of at most [`BODY_MAX`]
    /// bytes, updates `state`, and returns whether the body is complete.
    /// A piece that overflows its body ends the response there: the
    /// connection is closed without the last chunk, so the client sees an
    /// incomplete body (counted as a 503).
    pub fn process_streaming(
        &mut self,
        counts: &mut Counts,
        mut route: impl FnMut(&str, &Counts, &mut Body) -> Reply,
        mut more: impl FnMut(&mut [u64; 4], &mut Body) -> bool,
    ) {
        while self.has_room() && (self.streaming.is_some() || !self.closing) {
            // Keep the unsent bytes at the front when the tail is short.
            if OUT_CAP - self.out.len() < RESP_MAX {
                self.out.drain(..self.sent);
                self.sent = 0;
            }
            if let Some(mut s) = self.streaming {
                let start = self.out.len();
                let mut body = Body { buf: &mut self.out, limit: start + BODY_MAX, overflow: false, stream: None };
                let done = more(&mut s.state, &mut body);
                if body.overflow {
                    self.out.truncate(start);
                    counts.unavailable += 1;
                    self.streaming = None;
                    self.closing = true;
                    break;
                }
                if s.chunked {
                    frame_chunk(&mut self.out, start);
                    if done {
                        self.out.extend_from_slice(b"0\r\n\r\n");
                    }
                }
                if done {
                    self.streaming = None;
                    self.closing |= s.close;
                } else {
                    self.streaming = Some(s);
                }
                continue;
            }
            let Conn { input, out, closing, streaming, .. } = self;
            let used = match parse(input) {
                Parse::Partial => break,
                Parse::Error(status) => {
                    let body: &[u8] = match status {
                        431 => b"request head too large\n",
                        505 => b"only HTTP/1.x\n",
                        _ => b"bad request\n",
                    };
                    respond(out, counts, false, true, |_, b| {
                        let _ = b.write_bytes(body);
                        Reply { status, content_type: "text/plain", close: true }
                    });
                    *closing = true;
                    input.len()
                }
                Parse::Request(req, len) => {
                    let head_only = req.method == "HEAD";
                    let close = req.close || req.body;
                    let chunked = req.minor >= 1;
                    let (c, s) = if req.method == "GET" || head_only {
                        respond_streaming(out, counts, head_only, chunked, |counts, b| {
                            let mut r = route(req.path, counts, b);
                            r.close |= close;
                            r
                        })
                    } else {
                        let c = respond(out, counts, false, chunked, |_, b| {
                            let _ = b.write_bytes(b"only GET and HEAD\n");
                            Reply { status: 405, content_type: "text/plain", close: true }
                        });
                        (c, None)
                    };
                    match s {
                        // The rest of the body comes first; the close (if
                        // any) once it is complete.
                        Some(state) => *streaming = Some(Streaming { state, chunked, close: c }),
                        None => *closing = c,
                    }
                    len
                }
            };
            input.drain(..used);
        }
    }
}

/// Puts the chunk-size line before the bytes of `out` from `start` and the
/// CRLF after them (nothing for an empty piece: a zero-size chunk would
/// end the body).
fn frame_chunk(out: &mut Vec<u8>, start: usize) {
    use fmt::Write;
    let len = out.len() - start;
    if len == 0 {
        return;
    }
    let mut h = HeadBuf { b: [0; HEADER_MAX], n: 0 };
    let _ = write!(h, "{len:x}\r\n");
    out.extend_from_slice(&h.b[..h.n]);
    out[start..].rotate_right(h.n);
    out.extend_from_slice(b"\r\n");
}

/// Writes one response into `out` (which has [`RESP_MAX`] bytes free
/// within its capacity); returns whether it closes the connection.
fn respond(
    out: &mut Vec<u8>,
    counts: &mut Counts,
    head_only: bool,
    chunked: bool,
    route: impl FnOnce(&Counts, &mut Body) -> Reply,
) -> bool {
    respond_streaming(out, counts, head_only, chunked, route).0
}

/// [`respond`], where the route may start a streamed body: returns whether
/// the response closes the connection and, for a streamed body, the
/// route's state for the next piece (`None` for `HEAD`, whose body is
/// never sent).
fn respond_streaming(
    out: &mut Vec<u8>,
    counts: &mut Counts,
    head_only: bool,
    chunked: bool,
    route: impl FnOnce(&Counts, &mut Body) -> Reply,
) -> (bool, Option<[u64; 4]>) {
    let start = out.len();
    let mut body = Body { buf: out, limit: start + BODY_MAX, overflow: false, stream: None };
    let mut r = route(counts, &mut body);
    let stream = body.stream.filter(|_| !body.overflow);
    if stream.is_some() {
        // HTTP/1.0 has no chunks: the body ends with the connection.
        r.close |= !chunked;
        return (stream_head(out, start, counts, head_only, chunked, r), stream.filter(|_| !head_only));
    }
    if body.overflow {
        out.truncate(start);
        out.extend_from_slice(b"response too large\n");
        r = Reply { status: 503, content_type: "text/plain", close: r.close };
        counts.unavailable += 1;
    }
    let len = out.len() - start;
    let h = response_head(&r, format_args!("Content-Length: {len}\r\n"));
    out.extend_from_slice(&h.b[..h.n]);
    out[start..].rotate_right(h.n);
    if head_only {
        out.truncate(start + h.n);
    }
    counts.requests += 1;
    if r.status >= 400 {
        counts.errors += 1;
    }
    (r.close, None)
}

/// The head of a streamed response before its first piece (at `start`,
/// already in `out`), which becomes the first chunk.
fn stream_head(out: &mut Vec<u8>, start: usize, counts: &mut Counts, head_only: bool, chunked: bool, r: Reply) -> bool {
    let h = response_head(&r, format_args!("{}", if chunked { "Transfer-Encoding: chunked\r\n" } else { "" }));
    if head_only {
        out.truncate(start);
    } else if chunked {
        frame_chunk(out, start);
    }
    out.extend_from_slice(&h.b[..h.n]);
    out[start..].rotate_right(h.n);
    counts.requests += 1;
    if r.status >= 400 {
        counts.errors += 1;
    }
    r.close
}

#[cfg(test)]
mod tests;
