//! Raw Ethernet frames to and from the kernel's NIC, for what QEMU's user
//! network never sends: runts, oversized frames, frames longer than a
//! receive buffer, garbage, and ICMP echo requests from a station of our
//! own on the guest's segment.
//!
//! QEMU's NIC has a `socket` netdev for its only peer: each frame is one
//! UDP datagram between QEMU and a socket on 127.0.0.1 here, so the test
//! is the whole segment (no user network: nothing can leave the machine).
//! A thread plays the gateway 10.0.2.2 (ARP and ICMP echo, for the
//! kernel's start-up pings) and answers ARP for the test's own station
//! 10.0.2.99; every other frame goes to the test.

use std::net::UdpSocket;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_ARP: u16 = 0x0806;
pub const ETH_HLEN: usize = 14;
pub const IP_ICMP: u8 = 1;
pub const IP_UDP: u8 = 17;

/// The kernel's address ("net: ready: 10.0.2.15/24 gateway 10.0.2.2").
pub const GUEST_IP: [u8; 4] = [10, 0, 2, 15];
/// The gateway the kernel pings at start, played by [`RawPort`]'s thread
/// with QEMU's user-network MAC for it.
pub const GATEWAY_IP: [u8; 4] = [10, 0, 2, 2];
pub const GATEWAY_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
/// The test's own station (locally administered MAC).
pub const STATION_IP: [u8; 4] = [10, 0, 2, 99];
pub const STATION_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x99];

/// The RFC 1071 Internet checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { u16::from(c[0]) << 8 };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The shortest frame a station sends, without the CRC (its NIC pads).
pub const ETH_ZLEN: usize = 60;

/// An Ethernet II frame as a station's NIC sends it: zero-padded to
/// [`ETH_ZLEN`] (the receiver's CRC makes 64), no CRC.
pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = ethernet_unpadded(dst, src, ethertype, payload);
    if f.len() < ETH_ZLEN {
        f.resize(ETH_ZLEN, 0);
    }
    f
}

/// An Ethernet II frame exactly as long as its header and payload (a
/// runt if under [`ETH_ZLEN`]).
pub fn ethernet_unpadded(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(ETH_HLEN + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 packet (20-byte header, DF clear, TTL 64) with a valid checksum.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0, 0, 64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    let c = checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An ICMP echo request (type 8) or reply (type 0) with a valid checksum.
pub fn icmp_echo(kind: u8, id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(data);
    let c = checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// An ARP reply for Ethernet/IPv4: `sha`/`spa` answer `tha`/`tpa`.
pub fn arp_reply(sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 2];
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa);
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa);
    ethernet(tha, sha, ETH_ARP, &a)
}

/// An ARP request in `frame`: (sender MAC, sender IP, target IP).
pub fn arp_request(frame: &[u8]) -> Option<([u8; 6], [u8; 4], [u8; 4])> {
    let a = frame.get(ETH_HLEN..ETH_HLEN + 28)?;
    if u16::from_be_bytes([frame[12], frame[13]]) != ETH_ARP || a[..8] != [0, 1, 8, 0, 6, 4, 0, 1] {
        return None;
    }
    Some((a[8..14].try_into().ok()?, a[14..18].try_into().ok()?, a[24..28].try_into().ok()?))
}

/// A UDP datagram (checksum over the IPv4 pseudo-header) in an IPv4
/// packet.
pub fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, id: u16, data: &[u8]) -> Vec<u8> {
    let len = (8 + data.len()) as u16;
    let mut u = Vec::with_capacity(8 + data.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let c = udp_checksum(src, dst, &u);
    u[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    ipv4(src, dst, IP_UDP, id, &u)
}

fn udp_checksum(src: [u8; 4], dst: [u8; 4], u: &[u8]) -> u16 {
    let mut p = Vec::with_capacity(12 + u.len());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&[0, IP_UDP]);
    p.extend_from_slice(&(u.len() as u16).to_be_bytes());
    p.extend_from_slice(u);
    checksum(&p)
}

/// The IPv4 packet in `frame` (header checks verified, padding cut):
/// (protocol, source, destination, payload).
fn ipv4_in(frame: &[u8]) -> Option<Result<(u8, [u8; 4], [u8; 4], &[u8]), String>> {
    if frame.len() < ETH_HLEN + 20 || u16::from_be_bytes([frame[12], frame[13]]) != ETH_IPV4 {
        return None;
    }
    let ip = &frame[ETH_HLEN..];
    let ihl = usize::from(ip[0] & 0xf) * 4;
    if ip[0] >> 4 != 4 || ihl < 20 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if total < ihl || total > ip.len() {
        return Some(Err(format!("IPv4 total length {total} for {} bytes after the Ethernet header", ip.len())));
    }
    if checksum(&ip[..ihl]) != 0 {
        return Some(Err(String::from("bad IPv4 header checksum")));
    }
    Some(Ok((ip[9], ip[12..16].try_into().unwrap(), ip[16..20].try_into().unwrap(), &ip[ihl..total])))
}

/// A UDP datagram parsed out of a frame, its checksum verified.
#[derive(Debug, PartialEq, Eq)]
pub struct Datagram {
    pub src: ([u8; 4], u16),
    pub dst: ([u8; 4], u16),
    pub data: Vec<u8>,
}

/// The UDP datagram in `frame`, if it is one; `Err` if it is damaged.
pub fn datagram(frame: &[u8]) -> Option<Result<Datagram, String>> {
    let (proto, src, dst, u) = match ipv4_in(frame)? {
        Ok(p) => p,
        Err(e) => return Some(Err(e)),
    };
    if proto != IP_UDP {
        return None;
    }
    Some((|| {
        if u.len() < 8 || usize::from(u16::from_be_bytes([u[4], u[5]])) != u.len() {
            return Err(format!("UDP length field does not match the {} bytes of the IP payload", u.len()));
        }
        if u[6..8] != [0, 0] && udp_checksum(src, dst, u) != 0 {
            return Err(String::from("bad UDP checksum"));
        }
        Ok(Datagram {
            src: (src, u16::from_be_bytes([u[0], u[1]])),
            dst: (dst, u16::from_be_bytes([u[2], u[3]])),
            data: u[8..].to_vec(),
        })
    })())
}

/// An ICMP echo reply parsed out of a frame, every checksum verified.
#[derive(Debug, PartialEq, Eq)]
pub struct EchoReply {
    pub dst_mac: [u8; 6],
    pub src_mac: [u8; 6],
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub id: u16,
    pub seq: u16,
    pub data: Vec<u8>,
}

/// The ICMP echo (`kind` 0: reply, 8: request) in `frame`, if it is one;
/// `Err` if it is one whose header, lengths or checksums are wrong.
pub fn icmp_echo_in(frame: &[u8], kind: u8) -> Option<Result<EchoReply, String>> {
    let (proto, src, dst, m) = match ipv4_in(frame)? {
        Ok(p) => p,
        Err(e) => return Some(Err(e)),
    };
    if proto != IP_ICMP || m.first() != Some(&kind) {
        return None;
    }
    if m.len() < 8 {
        return Some(Err(format!("{}-byte ICMP message", m.len())));
    }
    if checksum(m) != 0 {
        return Some(Err(String::from("bad ICMP checksum")));
    }
    Some(Ok(EchoReply {
        dst_mac: frame[..6].try_into().unwrap(),
        src_mac: frame[6..12].try_into().unwrap(),
        src_ip: src,
        dst_ip: dst,
        id: u16::from_be_bytes([m[4], m[5]]),
        seq: u16::from_be_bytes([m[6], m[7]]),
        data: m[8..].to_vec(),
    }))
}

/// The ICMP echo reply in `frame` (see [`icmp_echo_in`]).
pub fn echo_reply(frame: &[u8]) -> Option<Result<EchoReply, String>> {
    icmp_echo_in(frame, 0)
}

/// The test's end of the segment: frames out through [`RawPort::send`],
/// frames in (less those the gateway thread answered) through
/// [`RawPort::until`].
pub struct RawPort {
    sock: UdpSocket,
    rx: Receiver<Vec<u8>>,
}

impl RawPort {
    /// Takes `sock` (connected to QEMU's end) and starts the thread that
    /// plays the gateway and answers ARP for the station; the thread ends
    /// when QEMU's end goes away or [`RawPort`] is dropped.
    pub fn start(sock: UdpSocket) -> std::io::Result<RawPort> {
        let (tx, rx) = channel();
        let reader = sock.try_clone()?;
        reader.set_read_timeout(Some(Duration::from_millis(200)))?;
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            loop {
                let n = match reader.recv(&mut buf) {
                    Ok(n) => n,
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                        // Still wanted? A closed receiver says no.
                        if tx.send(Vec::new()).is_err() {
                            return;
                        }
                        continue;
                    }
                    Err(_) => continue, // ICMP port unreachable before QEMU binds
                };
                let f = &buf[..n];
                if let Some(answer) = segment_answer(f) {
                    let _ = reader.send(&answer);
                } else if tx.send(f.to_vec()).is_err() {
                    return;
                }
            }
        });
        Ok(RawPort { sock, rx })
    }

    pub fn send(&self, frame: &[u8]) -> Result<(), String> {
        self.sock.send(frame).map(|_| ()).map_err(|e| format!("sending a {}-byte frame: {e}", frame.len()))
    }

    /// Sends `frame` up to `sends` times, waiting 500 ms after each for a
    /// frame that `take` accepts; the answer (if any) and how many times
    /// `frame` was sent again.
    pub fn ask<T>(
        &self,
        frame: &[u8],
        sends: u32,
        mut take: impl FnMut(&[u8]) -> Option<T>,
    ) -> Result<(Option<T>, u32), String> {
        for n in 0..sends {
            self.send(frame)?;
            if let Some(t) = self.until(Instant::now() + Duration::from_millis(500), &mut take) {
                return Ok((Some(t), n));
            }
        }
        Ok((None, sends.saturating_sub(1)))
    }

    /// Frames that arrive until `deadline`, each offered to `take`, which
    /// returns `Some` to finish; `None` at the deadline.
    pub fn until<T>(&self, deadline: Instant, mut take: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(f) if f.is_empty() => {}
                Ok(f) => {
                    if let Some(t) = take(&f) {
                        return Some(t);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// What the segment's other stations say to `frame`: the gateway answers
/// ARP and ICMP echo; the test's station answers ARP (its ICMP and UDP are
/// the test's own business).
pub fn segment_answer(frame: &[u8]) -> Option<Vec<u8>> {
    if let Some((sha, spa, tpa)) = arp_request(frame) {
        return match tpa {
            GATEWAY_IP => Some(arp_reply(GATEWAY_MAC, GATEWAY_IP, sha, spa)),
            STATION_IP => Some(arp_reply(STATION_MAC, STATION_IP, sha, spa)),
            _ => None,
        };
    }
    let req = icmp_echo_in(frame, 8)?.ok()?;
    (req.dst_ip == GATEWAY_IP).then(|| {
        ethernet(
            req.src_mac,
            GATEWAY_MAC,
            ETH_IPV4,
            &ipv4(GATEWAY_IP, req.src_ip, IP_ICMP, req.seq, &icmp_echo(0, req.id, req.seq, &req.data)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_rfc1071_and_verifies_to_zero() {
        // RFC 1071's example words 0001 f203 f4f5 f6f7: sum ddf2, checksum 220d.
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d);
        // Odd length: the last byte is the high half of a word.
        assert_eq!(checksum(&[0xff]), !0xff00);
        let p = ipv4([10, 0, 2, 99], [10, 0, 2, 15], 1, 7, &[1, 2, 3]);
        assert_eq!(checksum(&p[..20]), 0);
        assert_eq!(checksum(&icmp_echo(8, 1, 2, b"odd")), 0);
    }

    #[test]
    fn echo_reply_round_trip_and_damage() {
        let mac = [2, 0, 0, 0, 0, 0x99];
        let ip = ipv4([10, 0, 2, 15], [10, 0, 2, 99], 1, 1, &icmp_echo(0, 0x1234, 5, b"payload"));
        let f = ethernet(mac, [2; 6], ETH_IPV4, &ip);
        let r = echo_reply(&f).unwrap().unwrap();
        assert_eq!(
            r,
            EchoReply {
                dst_mac: mac,
                src_mac: [2; 6],
                src_ip: [10, 0, 2, 15],
                dst_ip: [10, 0, 2, 99],
                id: 0x1234,
                seq: 5,
                data: b"payload".to_vec()
            }
        );
        // Padding after the IP packet (a frame padded to 60 bytes) is not data.
        let mut padded = f.clone();
        padded.resize(f.len() + 9, 0);
        assert_eq!(echo_reply(&padded).unwrap().unwrap().data, b"payload");
        let empty = ethernet(mac, [2; 6], ETH_IPV4, &ipv4([1; 4], [2; 4], 1, 1, &icmp_echo(0, 1, 1, b"")));
        assert_eq!(empty.len(), ETH_ZLEN);
        assert_eq!(echo_reply(&empty).unwrap().unwrap().data, b"");
        // The frame is padded to 60 bytes: damage the last byte of the
        // packet, not of the padding (which no checksum covers).
        let mut bad = f.clone();
        bad[ETH_HLEN + ip.len() - 1] ^= 1;
        assert_eq!(echo_reply(&bad).unwrap().unwrap_err(), "bad ICMP checksum");
        let mut pad = f.clone();
        *pad.last_mut().unwrap() ^= 1;
        assert!(echo_reply(&pad).unwrap().is_ok());
        let mut bad = f.clone();
        bad[ETH_HLEN + 8] = 63; // TTL changed, header checksum not
        assert_eq!(echo_reply(&bad).unwrap().unwrap_err(), "bad IPv4 header checksum");
        // A request, or not IPv4 at all, is not a reply.
        let req = ethernet(mac, [2; 6], ETH_IPV4, &ipv4([1; 4], [2; 4], 1, 1, &icmp_echo(8, 1, 1, b"x")));
        assert!(echo_reply(&req).is_none());
        assert!(echo_reply(&ethernet(mac, [2; 6], ETH_ARP, &[0; 28])).is_none());
    }

    #[test]
    fn udp_round_trip_and_damage() {
        let ip = udp(STATION_IP, 40000, GUEST_IP, 7, 9, b"hello, Alpha");
        let f = ethernet([2; 6], STATION_MAC, ETH_IPV4, &ip);
        assert_eq!(
            datagram(&f).unwrap().unwrap(),
            Datagram { src: (STATION_IP, 40000), dst: (GUEST_IP, 7), data: b"hello, Alpha".to_vec() }
        );
        let mut bad = f.clone();
        bad[ETH_HLEN + ip.len() - 1] ^= 0x40;
        assert_eq!(datagram(&bad).unwrap().unwrap_err(), "bad UDP checksum");
        // Zero-length data, padded frame; no checksum (0) is accepted.
        let e = ethernet([2; 6], STATION_MAC, ETH_IPV4, &udp(STATION_IP, 1, GUEST_IP, 2, 3, b""));
        assert_eq!(e.len(), ETH_ZLEN);
        assert_eq!(datagram(&e).unwrap().unwrap().data, b"");
        let mut nock = e.clone();
        nock[ETH_HLEN + 26..ETH_HLEN + 28].copy_from_slice(&[0, 0]);
        assert!(datagram(&nock).unwrap().is_ok());
        assert!(datagram(&ethernet([2; 6], STATION_MAC, ETH_IPV4, &icmp_echo_frame_ip())).is_none());
    }

    fn icmp_echo_frame_ip() -> Vec<u8> {
        ipv4(STATION_IP, GUEST_IP, IP_ICMP, 1, &icmp_echo(8, 1, 1, b"x"))
    }

    #[test]
    fn the_gateway_answers_arp_and_ping_and_nothing_else() {
        let kernel = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
        let arp = |tpa: [u8; 4]| {
            let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
            a.extend_from_slice(&kernel);
            a.extend_from_slice(&GUEST_IP);
            a.extend_from_slice(&[0; 6]);
            a.extend_from_slice(&tpa);
            ethernet([0xff; 6], kernel, ETH_ARP, &a)
        };
        let gw = segment_answer(&arp(GATEWAY_IP)).unwrap();
        assert_eq!((&gw[..6], &gw[6..12]), (&kernel[..], &GATEWAY_MAC[..]));
        assert_eq!(&gw[ETH_HLEN + 8..ETH_HLEN + 14], &GATEWAY_MAC);
        let st = segment_answer(&arp(STATION_IP)).unwrap();
        assert_eq!(&st[ETH_HLEN + 8..ETH_HLEN + 14], &STATION_MAC);
        assert!(segment_answer(&arp([10, 0, 2, 3])).is_none());
        let ping = ethernet(
            GATEWAY_MAC,
            kernel,
            ETH_IPV4,
            &ipv4(GUEST_IP, GATEWAY_IP, IP_ICMP, 5, &icmp_echo(8, 0x21a3, 2, &[7; 1400])),
        );
        let pong = echo_reply(&segment_answer(&ping).unwrap()).unwrap().unwrap();
        assert_eq!((pong.dst_mac, pong.src_ip, pong.dst_ip), (kernel, GATEWAY_IP, GUEST_IP));
        assert_eq!((pong.id, pong.seq, pong.data), (0x21a3, 2, vec![7; 1400]));
        // A ping to the station is the test's, not the thread's.
        let to_station = ethernet(
            STATION_MAC,
            kernel,
            ETH_IPV4,
            &ipv4(GUEST_IP, STATION_IP, IP_ICMP, 5, &icmp_echo(8, 1, 1, b"x")),
        );
        assert!(segment_answer(&to_station).is_none());
    }

    #[test]
    fn arp_request_and_reply() {
        let me = [2, 0, 0, 0, 0, 0x99];
        let kernel = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
        let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
        a.extend_from_slice(&kernel);
        a.extend_from_slice(&[10, 0, 2, 15]);
        a.extend_from_slice(&[0; 6]);
        a.extend_from_slice(&[10, 0, 2, 99]);
        let req = ethernet([0xff; 6], kernel, ETH_ARP, &a);
        assert_eq!(arp_request(&req), Some((kernel, [10, 0, 2, 15], [10, 0, 2, 99])));
        let rep = arp_reply(me, [10, 0, 2, 99], kernel, [10, 0, 2, 15]);
        assert_eq!(&rep[..6], &kernel);
        assert_eq!(arp_request(&rep), None, "a reply is not a request");
        assert_eq!(rep.len(), ETH_ZLEN, "padded like a station's frame");
        assert_eq!(ethernet_unpadded(me, me, ETH_ARP, &[1]).len(), ETH_HLEN + 1);
    }
}
