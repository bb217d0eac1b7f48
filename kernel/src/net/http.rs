//! HTTP/1.1 over smoltcp TCP sockets: the thin layer between the sockets
//! and `netproto::http` (the parser and each connection's bounded buffers,
//! host-tested and fuzzed). `GET` and `HEAD` only, persistent connections
//! unless the client asks for `Connection: close`, pipelined requests
//! answered in order.
//!
//! Limits, so that no peer can run the kernel out of memory:
//!
//! * [`SOCKETS`] connections at once, each on its own listening socket; a
//!   socket is re-armed when its connection closes, one left in TIME-WAIT
//!   (the server closed first) at once. When no socket is listening, the
//!   connection idle longest (at least [`EVICT_IDLE`]) is reset to make room
//!   for a new one (counted as `evicted`); one idle for [`IDLE`] is reset
//!   anyway (`idle_closed`);
//! * a connection's buffers (`netproto::http::IN_CAP` bytes of requests,
//!   `OUT_CAP` of responses) are reserved with `try_reserve_exact` when it
//!   opens and freed when it closes; if they cannot be had, the peer gets a
//!   fixed 503 and the connection is closed (`alloc_failures`);
//! * a response is written only when the output buffer has room for one,
//!   and nothing is read while it has not: a peer that sends requests and
//!   never reads fills its own TCP window and stops (`throttled` counts
//!   each time a connection stops being read). Nothing on this path
//!   allocates once a connection is open; a body larger than
//!   `netproto::http::BODY_MAX` becomes a 503.

use netproto::http::{Body, Conn, Counts, Reply, UNAVAILABLE};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};

/// Concurrent connections.
pub const SOCKETS: usize = 8;
/// An established connection without progress this long is reset.
const IDLE: Duration = Duration::from_secs(30);
/// A connection without progress this long may be reset to make room.
pub const EVICT_IDLE: Duration = Duration::from_secs(1);
/// Log lines for idle and evicted connections (the counters go on).
const LOG_LIMIT: u64 = 10;

#[derive(Clone, Copy, Debug, Default)]
pub struct HttpStats {
    pub connections: u64,
    /// Responses sent (fixed 503s included).
    pub requests: u64,
    /// Responses with a 4xx/5xx status.
    pub errors: u64,
    /// 503 responses: buffers not available, or a body too large.
    pub unavailable: u64,
    /// Connections whose buffers could not be allocated.
    pub alloc_failures: u64,
    /// Connections reset for idling [`IDLE`].
    pub idle_closed: u64,
    /// Idle connections reset to make room for a new one.
    pub evicted: u64,
    /// Times a connection stopped being read because its output was full.
    pub throttled: u64,
}

struct Slot {
    handle: SocketHandle,
    /// The open connection's buffers (`None` while listening, or refused).
    conn: Option<Conn>,
    /// Counted as a connection (not listening).
    active: bool,
    /// Answered with [`UNAVAILABLE`] and closing.
    refused: bool,
    /// Which connection this is (1, 2, ... since the start).
    number: u64,
    /// Last progress: bytes read or sent, or the connection opening.
    last: Instant,
    blocked: bool,
}

pub struct Server {
    port: u16,
    /// Filled at start, never grown.
    slots: alloc::vec::Vec<Slot>,
    counts: Counts,
    stats: HttpStats,
    /// `net_http_fail=N`: the Nth connection asks for buffers the heap
    /// cannot give (to test that path).
    fail_conn: Option<u64>,
}

impl Server {
    /// Creates the listening sockets (each with `rx`/`tx` bytes of buffer).
    pub fn new(sockets: &mut SocketSet<'static>, port: u16, rx: usize, tx: usize, now: Instant, fail_conn: Option<u64>) -> Self {
        let slots = (0..SOCKETS)
            .map(|_| {
                let mut s = tcp::Socket::new(
                    tcp::SocketBuffer::new(alloc::vec![0; rx]),
                    tcp::SocketBuffer::new(alloc::vec![0; tx]),
                );
                s.set_nagle_enabled(false);
                let _ = s.listen(port);
                Slot { handle: sockets.add(s), conn: None, active: false, refused: false, number: 0, last: now, blocked: false }
            })
            .collect();
        Server { port, slots, counts: Counts::default(), stats: HttpStats::default(), fail_conn }
    }

    /// The counters so far.
    pub fn stats(&self) -> HttpStats {
        with_counts(self.stats, &self.counts)
    }

    /// Serves what the sockets hold; `route(path, stats, body)` answers
    /// each `GET`/`HEAD`, writing its body to `body`; a body the route
    /// streams (`Body::stream`) is continued by `more(state, body)`
    /// (`netproto::http::Conn::process_streaming`).
    pub fn service(
        &mut self,
        sockets: &mut SocketSet<'static>,
        now: Instant,
        mut route: impl FnMut(&str, &HttpStats, &mut Body) -> Reply,
        mut more: impl FnMut(&mut [u64; 4], &mut Body) -> bool,
    ) {
        let Server { port, slots, counts, stats, fail_conn } = self;
        let mut listening = 0;
        for slot in slots.iter_mut() {
            let s = sockets.get_mut::<tcp::Socket>(slot.handle);
            match s.state() {
                tcp::State::Closed | tcp::State::TimeWait => {
                    rearm(slot, s, *port);
                    listening += 1;
                    continue;
                }
                tcp::State::Listen => {
                    listening += 1;
                    continue;
                }
                _ => {}
            }
            if !slot.active {
                slot.active = true;
                slot.last = now;
                stats.connections += 1;
                slot.number = stats.connections;
            }
            // Buffers once the handshake is done (a half-open connection
            // holds none; it is evicted or timed out like any idle one).
            if slot.conn.is_none() && !slot.refused && s.may_send() {
                // Injected: ask for 1 GiB of output buffer, which the heap
                // cannot give (its largest block is 8 MiB), so the real
                // failure path runs.
                let injected = *fail_conn == Some(slot.number);
                match if injected { Conn::reserving(1 << 30) } else { Conn::new() } {
                    Some(c) => slot.conn = Some(c),
                    None => {
                        stats.alloc_failures += 1;
                        stats.unavailable += 1;
                        stats.requests += 1;
                        stats.errors += 1;
                        slot.refused = true;
                        // The socket's own (preallocated) buffer takes it.
                        let _ = s.send_slice(UNAVAILABLE);
                        s.close();
                        if stats.alloc_failures <= LOG_LIMIT {
                            log::info!(
                                "http: connection {} from {:?}: no memory for its buffers{}: answered 503 and closed",
                                slot.number,
                                s.remote_endpoint(),
                                if injected { " (net_http_fail)" } else { "" }
                            );
                        }
                    }
                }
            }
            if let Some(c) = slot.conn.as_mut() {
                // Read only what the connection can hold.
                if c.read_room() > 0 && s.can_recv() {
                    let n = s.recv(|b| {
                        let n = c.feed(b);
                        (n, n)
                    });
                    if n.is_ok_and(|n| n > 0) {
                        slot.last = now;
                    }
                }
                if c.closing() && s.can_recv() {
                    // Answered and closing: what the peer still sends is
                    // dropped, so that its FIN can be taken.
                    let _ = s.recv(|b| (b.len(), ()));
                }
                let base = *stats;
                c.process_streaming(counts, |path, counts, body| route(path, &with_counts(base, counts), body), &mut more);
                let blocked = c.blocked();
                if blocked && !slot.blocked {
                    stats.throttled += 1;
                }
                slot.blocked = blocked;
                if !c.pending().is_empty() && s.can_send() {
                    if let Ok(n) = s.send_slice(c.pending()) {
                        c.advance(n);
                        if n > 0 {
                            slot.last = now;
                        }
                    }
                }
                // Close after a closing response, or once the peer has
                // closed its side and everything it sent is answered.
                let eof = s.state() == tcp::State::CloseWait && !s.can_recv();
                if c.done() || (eof && c.finished_after_eof()) {
                    s.close();
                }
            } else if slot.refused && s.can_recv() {
                let _ = s.recv(|b| (b.len(), ()));
            } else if slot.refused && s.state() == tcp::State::CloseWait {
                s.close();
            }
            if now - slot.last > IDLE && s.is_active() {
                stats.idle_closed += 1;
                if stats.idle_closed <= LOG_LIMIT {
                    log::info!(
                        "http: closing a connection idle for {} s in state {} (remote {:?}, {} request bytes and {} response bytes pending)",
                        (now - slot.last).secs(),
                        s.state(),
                        s.remote_endpoint(),
                        slot.conn.as_ref().map_or(0, Conn::buffered),
                        slot.conn.as_ref().map_or(0, Conn::unsent)
                    );
                }
                // The RST goes out at the next poll; the socket listens
                // again at the next call.
                s.abort();
                listening += 1;
            }
        }
        if listening == 0 {
            // Every socket holds a connection: make room for the next one.
            let oldest = slots
                .iter_mut()
                .filter(|sl| sl.active && now - sl.last >= EVICT_IDLE)
                .min_by_key(|sl| sl.last);
            if let Some(slot) = oldest {
                let s = sockets.get_mut::<tcp::Socket>(slot.handle);
                stats.evicted += 1;
                if stats.evicted <= LOG_LIMIT {
                    log::info!(
                        "http: all {SOCKETS} connections in use: resetting the one idle longest ({} ms, state {}, remote {:?}, {} request bytes and {} response bytes pending) to make room",
                        (now - slot.last).total_millis(),
                        s.state(),
                        s.remote_endpoint(),
                        slot.conn.as_ref().map_or(0, Conn::buffered),
                        slot.conn.as_ref().map_or(0, Conn::unsent)
                    );
                }
                s.abort();
            }
        }
    }

    /// Resets every connection and frees its buffers (at shutdown).
    pub fn abort_all(&mut self, sockets: &mut SocketSet<'static>) {
        for slot in self.slots.iter_mut() {
            sockets.get_mut::<tcp::Socket>(slot.handle).abort();
            slot.conn = None;
        }
    }

    /// Connections not idle in LISTEN/CLOSED.
    pub fn active(&self, sockets: &mut SocketSet<'static>) -> usize {
        self.slots
            .iter()
            .filter(|sl| {
                !matches!(
                    sockets.get_mut::<tcp::Socket>(sl.handle).state(),
                    tcp::State::Listen | tcp::State::Closed | tcp::State::TimeWait
                )
            })
            .count()
    }
}

/// Frees a slot's connection and listens again.
fn rearm(slot: &mut Slot, s: &mut tcp::Socket, port: u16) {
    if s.state() == tcp::State::TimeWait {
        s.abort();
    }
    slot.conn = None;
    slot.active = false;
    slot.refused = false;
    slot.blocked = false;
    if s.state() == tcp::State::Closed {
        let _ = s.listen(port);
    }
}

fn with_counts(mut s: HttpStats, c: &Counts) -> HttpStats {
    s.requests += c.requests;
    s.errors += c.errors;
    s.unavailable += c.unavailable;
    s
}
