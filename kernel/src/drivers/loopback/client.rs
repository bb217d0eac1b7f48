//! The other end of the loopback wire: a smoltcp stack at 10.0.2.2 (the
//! address of QEMU's gateway, so the server's start-up pings reach it;
//! smoltcp answers them itself) that checks the server's services:
//!
//! 1. [`ECHOES`] UDP datagrams to port 7, of 1 to 1472 bytes (the largest
//!    in one frame), one at a time: each must come back from port 7 equal
//!    byte for byte, within [`REPLY_TIMEOUT`];
//! 2. `GET /status.json`: the head must be exactly what the server's
//!    HTTP code promises for a 200 `application/json` reply with a
//!    `Content-Length` equal to the body's length, and the body a JSON
//!    object whose `udp_echoed` is [`ECHOES`];
//! 3. `GET /memory?from=5&to=1`: the whole 400 reply, byte for byte;
//!    `GET /memory`: the exact head of a chunked HTML reply, and chunks
//!    that decode to the whole page with its map;
//! 4. `GET /nope` and `GET /shutdown`: the whole replies, byte for byte
//!    (404 `not found`, 200 `stopping`); the second stops the server.
//!
//! A failed check is an `ERROR` line, and a UDP `STOP` then ends the
//! server's run early.

use super::{MAX_FRAME, Queue};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use log::{error, info};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint};

/// The client's address (the server's gateway).
pub const CLIENT_IP: &str = "10.0.2.2";
const CLIENT: [u8; 4] = [10, 0, 2, 2];
/// The server's address and ports (`net/`'s).
const SERVER: [u8; 4] = [10, 0, 2, 15];
const ECHO_PORT: u16 = 7;
const HTTP_PORT: u16 = 80;
/// UDP echoes sent.
pub const ECHOES: usize = 16;
/// Payload sizes, cycled: 1472 is the largest UDP payload in one frame.
const SIZES: [usize; 8] = [1, 18, 64, 200, 512, 999, 1400, 1472];
/// How long a reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest HTTP response kept.
const RESPONSE_MAX: usize = 64 * 1024;

/// What a response must be.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Want {
    /// Exactly these bytes.
    Exact(&'static str),
    /// `/status.json`, whose body changes: checked in parts.
    StatusJson,
    /// `/memory`: a streamed (chunked) HTML page, checked in parts.
    MemoryPage,
}

/// The HTTP requests, in order: path, and what the response must be.
const REQUESTS: [(&str, Want); 5] = [
    ("/status.json", Want::StatusJson),
    (
        "/memory?from=5&to=1",
        Want::Exact("HTTP/1.1 400 Bad Request\r\nServer: alpha-unikernel\r\nContent-Type: text/plain\r\nContent-Length: 54\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nthe range is empty or reversed: from must be below to\n"),
    ),
    ("/memory", Want::MemoryPage),
    (
        "/nope",
        Want::Exact("HTTP/1.1 404 Not Found\r\nServer: alpha-unikernel\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nnot found\n"),
    ),
    (
        "/shutdown",
        Want::Exact("HTTP/1.1 200 OK\r\nServer: alpha-unikernel\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nstopping\n"),
    ),
];

fn now() -> Instant {
    let (s, us) = crate::time::uptime();
    Instant::from_micros((s * 1_000_000 + us as u64) as i64)
}

/// Byte `j` of echo `i`'s payload (lower case first: never a UDP command).
fn echo_byte(i: usize, j: usize) -> u8 {
    if j == 0 { b'e' } else { (i.wrapping_mul(31) ^ j.wrapping_mul(7)) as u8 }
}

/// Where the client is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Echo `n`.
    Echo,
    /// HTTP request `n` of [`REQUESTS`].
    Http,
    /// Every check passed.
    Done,
    /// A check failed (said in an ERROR line).
    Failed,
}

/// smoltcp's device for the client: the wire's two queues.
struct ClientPhy<'a> {
    /// Frames from the server.
    rx: &'a mut Queue,
    /// Frames to the server.
    tx: &'a mut Queue,
    dropped: &'a mut u64,
    /// Verify UDP checksums on receipt (off under `net_loopback_corrupt=`).
    verify_udp: bool,
}

struct ClientRx(Vec<u8>);

struct ClientTx<'a> {
    tx: &'a mut Queue,
    dropped: &'a mut u64,
}

impl phy::RxToken for ClientRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for ClientTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let (r, sent) = self.tx.send(len, f);
        if !sent {
            *self.dropped += 1;
        }
        r
    }
}

impl phy::Device for ClientPhy<'_> {
    type RxToken<'b>
        = ClientRx
    where
        Self: 'b;
    type TxToken<'b>
        = ClientTx<'b>
    where
        Self: 'b;

    fn receive(&mut self, _now: Instant) -> Option<(ClientRx, ClientTx<'_>)> {
        let frame = self.rx.frames.pop_front()?;
        Some((ClientRx(frame), ClientTx { tx: self.tx, dropped: self.dropped }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<ClientTx<'_>> {
        Some(ClientTx { tx: self.tx, dropped: self.dropped })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        if !self.verify_udp {
            caps.checksum.udp = phy::Checksum::Tx;
        }
        caps
    }
}

/// The client stack and its checks.
pub struct Client {
    iface: Interface,
    sockets: SocketSet<'static>,
    udp: SocketHandle,
    tcp: [SocketHandle; REQUESTS.len()],
    phase: Phase,
    /// The echo or request under way.
    n: usize,
    /// When it was sent (`None`: not yet).
    sent: Option<Instant>,
    echo_bytes: u64,
    verify_udp: bool,
    /// The HTTP request under way is queued.
    request_sent: bool,
    buf: Vec<u8>,
    response: Vec<u8>,
}

impl Client {
    /// A client stack at [`CLIENT_IP`] with station address `mac`, on the
    /// wire `rx` (from the server) / `tx` (to it).
    /// `verify_udp`: check UDP checksums on receipt.
    pub(super) fn new(mac: [u8; 6], verify_udp: bool, rx: &mut Queue, tx: &mut Queue, dropped: &mut u64) -> Result<Client, String> {
        let mut phy = ClientPhy { rx, tx, dropped, verify_udp };
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = crate::arch::rpcc() ^ 0x10_0b_ac_c1;
        let mut iface = Interface::new(config, &mut phy, now());
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(IpAddress::v4(CLIENT[0], CLIENT[1], CLIENT[2], CLIENT[3]), 24));
        });
        let mut sockets = SocketSet::new(Vec::new());
        let udp_buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 8], vec![0u8; 8 * 1024]);
        let mut u = udp::Socket::new(udp_buf(), udp_buf());
        u.bind(4007).map_err(|e| format!("client UDP bind: {e:?}"))?;
        let udp = sockets.add(u);
        let tcp = core::array::from_fn(|_| {
            sockets.add(tcp::Socket::new(tcp::SocketBuffer::new(vec![0u8; 4096]), tcp::SocketBuffer::new(vec![0u8; 16384])))
        });
        Ok(Client {
            iface,
            sockets,
            udp,
            tcp,
            phase: Phase::Echo,
            n: 0,
            sent: None,
            echo_bytes: 0,
            verify_udp,
            request_sent: false,
            buf: vec![0u8; MAX_FRAME],
            response: Vec::new(),
        })
    }

    /// One turn: frames in, checks advanced, frames out.
    pub(super) fn step(&mut self, rx: &mut Queue, tx: &mut Queue, dropped: &mut u64) {
        let t = now();
        let mut phy = ClientPhy { rx, tx, dropped, verify_udp: self.verify_udp };
        self.iface.poll(t, &mut phy, &mut self.sockets);
        match self.phase {
            Phase::Echo => self.echo(t),
            Phase::Http => self.http(t),
            Phase::Done | Phase::Failed => {}
        }
        self.iface.poll(t, &mut phy, &mut self.sockets);
    }

    fn server(port: u16) -> IpEndpoint {
        IpEndpoint::new(IpAddress::v4(SERVER[0], SERVER[1], SERVER[2], SERVER[3]), port)
    }

    /// A check failed: says why, and stops the server (UDP `STOP`).
    fn fail(&mut self, why: String) {
        error!("loopback: client: {why}");
        self.phase = Phase::Failed;
        let s = self.sockets.get_mut::<udp::Socket>(self.udp);
        let _ = s.send_slice(b"STOP", Self::server(ECHO_PORT));
    }

    fn echo(&mut self, t: Instant) {
        let i = self.n;
        let size = SIZES[i % SIZES.len()];
        let Some(at) = self.sent else {
            for j in 0..size {
                self.buf[j] = echo_byte(i, j);
            }
            let s = self.sockets.get_mut::<udp::Socket>(self.udp);
            match s.send_slice(&self.buf[..size], Self::server(ECHO_PORT)) {
                Ok(()) => self.sent = Some(t),
                Err(e) => self.fail(format!("UDP echo {i}: send: {e:?}")),
            }
            return;
        };
        let s = self.sockets.get_mut::<udp::Socket>(self.udp);
        if let Ok((n, meta)) = s.recv_slice(&mut self.buf) {
            let from = meta.endpoint;
            if from != Self::server(ECHO_PORT) {
                return self.fail(format!("UDP echo {i}: reply from {from}, not {}", Self::server(ECHO_PORT)));
            }
            if n != size {
                return self.fail(format!("UDP echo {i}: {n} bytes came back, {size} sent"));
            }
            if let Some(j) = (0..n).find(|&j| self.buf[j] != echo_byte(i, j)) {
                return self.fail(format!("UDP echo {i}: byte {j} came back {:#04x}, sent {:#04x}", self.buf[j], echo_byte(i, j)));
            }
            self.echo_bytes += n as u64;
            self.n += 1;
            self.sent = None;
            if self.n == ECHOES {
                info!(
                    "loopback: client: UDP echo: {ECHOES} of {ECHOES} datagrams of 1 to 1472 bytes came back identical ({} bytes)",
                    self.echo_bytes
                );
                self.phase = Phase::Http;
                self.n = 0;
            }
        } else if t - at > REPLY_TIMEOUT {
            self.fail(format!("UDP echo {i} ({size} bytes): no reply within {} ms", REPLY_TIMEOUT.total_millis()));
        }
    }

    fn http(&mut self, t: Instant) {
        let k = self.n;
        let (path, want) = REQUESTS[k];
        let h = self.tcp[k];
        let Some(at) = self.sent else {
            let cx = self.iface.context();
            let s = self.sockets.get_mut::<tcp::Socket>(h);
            match s.connect(cx, Self::server(HTTP_PORT), 49152 + k as u16) {
                Ok(()) => {
                    self.sent = Some(t);
                    self.request_sent = false;
                    self.response.clear();
                }
                Err(e) => self.fail(format!("GET {path}: connect: {e:?}")),
            }
            return;
        };
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        let request = format!("GET {path} HTTP/1.1\r\nHost: 10.0.2.15\r\nConnection: close\r\n\r\n");
        if !self.request_sent && s.may_send() {
            match s.send_slice(request.as_bytes()) {
                Ok(n) if n == request.len() => self.request_sent = true,
                r => return self.fail(format!("GET {path}: request not queued whole: {r:?}")),
            }
        }
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        while s.can_recv() {
            let r = s.recv(|data| {
                let room = RESPONSE_MAX.saturating_sub(self.response.len());
                let n = data.len().min(room);
                self.response.extend_from_slice(&data[..n]);
                (data.len(), ())
            });
            if r.is_err() {
                break;
            }
        }
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        let finished = s.state() != tcp::State::SynSent && !s.may_recv() && !self.response.is_empty();
        if !finished {
            if t - at > REPLY_TIMEOUT {
                let state = s.state();
                self.fail(format!("GET {path}: no whole response within {} ms (TCP {state}, {} bytes)", REPLY_TIMEOUT.total_millis(), self.response.len()));
            }
            return;
        }
        s.close();
        let result = match want {
            Want::Exact(w) => check_exact(&self.response, w),
            Want::StatusJson => check_status_json(&self.response),
            Want::MemoryPage => check_memory_page(&self.response),
        };
        match result {
            Ok(what) => info!("loopback: client: GET {path}: {what}"),
            Err(why) => return self.fail(format!("GET {path}: {why}")),
        }
        self.n += 1;
        self.sent = None;
        if self.n == REQUESTS.len() {
            self.phase = Phase::Done;
        }
    }

    /// The verdict, at the end of the run.
    pub(super) fn report(&self) {
        match self.phase {
            Phase::Done => info!(
                "loopback: client: all checks passed ({ECHOES} UDP echoes, {} HTTP requests)",
                REQUESTS.len()
            ),
            Phase::Failed => error!("loopback: client: the checks failed (see above)"),
            p => error!("loopback: client: the run stopped before the checks finished ({p:?}, step {})", self.n),
        }
    }
}

/// A response that must equal `want` byte for byte.
fn check_exact(got: &[u8], want: &str) -> Result<String, String> {
    if got == want.as_bytes() {
        let status = want.lines().next().unwrap_or("");
        return Ok(format!("{status}, identical to the {} bytes expected", want.len()));
    }
    let at = got.iter().zip(want.as_bytes()).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
    Err(format!(
        "response differs from the {} bytes expected at byte {at} ({} bytes came): {:?}",
        want.len(),
        got.len(),
        String::from_utf8_lossy(&got[..got.len().min(200)])
    ))
}

/// `/memory`: the exact head of a chunked HTML response, chunks that
/// decode to the whole page (from the doctype to `</body></html>`, with
/// the map), and the terminating zero-size chunk.
fn check_memory_page(got: &[u8]) -> Result<String, String> {
    let split = got.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of head")? + 4;
    let (head, mut rest) = got.split_at(split);
    let want = "HTTP/1.1 200 OK\r\nServer: alpha-unikernel\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    if head != want.as_bytes() {
        return Err(format!("head {:?}, expected {want:?}", String::from_utf8_lossy(head)));
    }
    let mut body = alloc::vec::Vec::new();
    let mut chunks = 0;
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or("a chunk without its size line")?;
        let size = core::str::from_utf8(&rest[..eol]).ok().and_then(|s| usize::from_str_radix(s, 16).ok()).ok_or("a bad chunk size")?;
        rest = &rest[eol + 2..];
        if size == 0 {
            if rest != b"\r\n" {
                return Err(format!("{} bytes after the last chunk", rest.len()));
            }
            break;
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(format!("chunk {chunks} of {size} bytes is cut short or not followed by CRLF"));
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
        chunks += 1;
    }
    let text = core::str::from_utf8(&body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    if !text.starts_with("<!DOCTYPE html>") || !text.ends_with("</body></html>\n") || !text.contains("<svg id=\"map\"") {
        return Err(format!("not the whole page ({} bytes): {:?}", text.len(), &text[..text.len().min(80)]));
    }
    Ok(format!("200 OK, chunked, {chunks} chunks, {} bytes of HTML with {} rectangles", body.len(), text.matches("<rect ").count()))
}

/// `/status.json`: the exact head for its length, and a JSON object
/// whose `udp_echoed` counts every echo.
fn check_status_json(got: &[u8]) -> Result<String, String> {
    let split = got.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of head")? + 4;
    let (head, body) = got.split_at(split);
    let want = format!(
        "HTTP/1.1 200 OK\r\nServer: alpha-unikernel\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if head != want.as_bytes() {
        return Err(format!("head {:?}, expected {want:?}", String::from_utf8_lossy(head)));
    }
    let text = core::str::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    let t = text.trim_end();
    if !t.starts_with('{') || !t.ends_with('}') {
        return Err(format!("body is no JSON object: {:?}", &text[..text.len().min(80)]));
    }
    // Braces and brackets balance outside strings.
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for c in t.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (false, _, '"') => in_str = true,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return Err(String::from("body's braces do not balance"));
        }
    }
    if depth != 0 || in_str {
        return Err(String::from("body's braces do not balance"));
    }
    let key = format!("\"udp_echoed\":{ECHOES},");
    if !t.contains(&key) {
        return Err(format!("body lacks {key}"));
    }
    Ok(format!("200 OK, application/json, {} bytes, udp_echoed {ECHOES}", body.len()))
}
