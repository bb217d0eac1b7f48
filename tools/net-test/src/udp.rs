//! UDP echo against the kernel's port 7 (through QEMU's forwarding).

use std::collections::VecDeque;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use splitmix::SplitMix64;

/// Seeded, reproducible payloads and sizes: the workspace's SplitMix64
/// (`crates/splitmix`) with `usize` ranges.
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }
    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.0.below((hi - lo + 1) as u64) as usize
    }
    /// Fills `buf` with outputs, 8 little-endian bytes each.
    pub fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf)
    }
}

/// The largest UDP payload that fits a 1500-byte IP packet.
pub const MAX_PAYLOAD: usize = 1472;

/// Payloads the kernel treats as commands must not occur by chance.
pub fn is_command(p: &[u8]) -> bool {
    p == b"STOP" || p.starts_with(b"STALL ")
}

#[derive(Default, Debug, Clone)]
pub struct EchoStats {
    pub sent: u64,
    pub ok: u64,
    /// Datagrams that needed more than one send.
    pub retried: u64,
    pub resends: u64,
    /// Never echoed within the retries: (index, size).
    pub lost: Vec<(u64, usize)>,
    /// Echoes that matched no datagram sent recently: (index, size, got).
    pub corrupt: Vec<(u64, usize, usize)>,
    /// Late echoes of earlier (retried) datagrams, ignored.
    pub stale: u64,
    pub bytes: u64,
}

pub struct Echoer {
    sock: UdpSocket,
    history: VecDeque<Vec<u8>>,
    buf: Vec<u8>,
    pub timeout: Duration,
    pub retries: u32,
    pub stats: EchoStats,
}

impl Echoer {
    pub fn new(port: u16) -> std::io::Result<Self> {
        let sock = UdpSocket::bind("127.0.0.1:0")?;
        sock.connect(("127.0.0.1", port))?;
        Ok(Echoer {
            sock,
            history: VecDeque::new(),
            buf: vec![0; 65536],
            timeout: Duration::from_millis(500),
            retries: 3,
            stats: EchoStats::default(),
        })
    }

    /// Sends `payload` and waits for its echo (resending up to `retries`
    /// times); true if it came back byte for byte.
    pub fn echo(&mut self, index: u64, payload: &[u8]) -> bool {
        self.stats.sent += 1;
        for attempt in 0..=self.retries {
            if attempt > 0 {
                self.stats.resends += 1;
                if attempt == 1 {
                    self.stats.retried += 1;
                }
            }
            if self.sock.send(payload).is_err() {
                continue;
            }
            let end = Instant::now() + self.timeout;
            loop {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let _ = self.sock.set_read_timeout(Some(left));
                let n = match self.sock.recv(&mut self.buf) {
                    Ok(n) => n,
                    Err(_) => break, // timeout (or ICMP refused): resend
                };
                let got = &self.buf[..n];
                if got == payload {
                    self.stats.ok += 1;
                    self.stats.bytes += n as u64;
                    self.history.push_back(payload.to_vec());
                    if self.history.len() > 64 {
                        self.history.pop_front();
                    }
                    return true;
                }
                if self.history.iter().any(|h| h.as_slice() == got) {
                    self.stats.stale += 1;
                } else {
                    self.stats.corrupt.push((index, payload.len(), n));
                }
            }
        }
        self.stats.lost.push((index, payload.len()));
        false
    }

    /// Sends without waiting (for bursts); echoes are collected by `drain`.
    pub fn send_only(&mut self, payload: &[u8]) -> bool {
        self.sock.send(payload).is_ok()
    }

    /// Receives echoes until `quiet` passes without one; returns them.
    pub fn drain(&mut self, quiet: Duration) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let _ = self.sock.set_read_timeout(Some(quiet));
        while let Ok(n) = self.sock.recv(&mut self.buf) {
            out.push(self.buf[..n].to_vec());
        }
        out
    }

    /// A random payload of a size in lo..=hi that is not a command.
    pub fn payload(rng: &mut Rng, lo: usize, hi: usize) -> Vec<u8> {
        let mut p = vec![0u8; rng.range(lo, hi)];
        rng.fill(&mut p);
        if is_command(&p) {
            p[0] ^= 0x80;
        }
        p
    }
}
