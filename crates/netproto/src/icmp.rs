//! ICMPv4 echo (RFC 792): building a request, checking a reply. Used by
//! the kernel's start-up pings of the gateway (smoltcp itself answers
//! echo requests).

pub const ECHO_REPLY: u8 = 0;
pub const ECHO_REQUEST: u8 = 8;
/// Type, code, checksum, identifier, sequence number.
pub const HEADER_LEN: usize = 8;

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes an echo request with `data` into `buf`; returns its length, or
/// `None` if `buf` is too short.
pub fn echo_request(buf: &mut [u8], ident: u16, seq: u16, data: &[u8]) -> Option<usize> {
    let len = HEADER_LEN + data.len();
    let pkt = buf.get_mut(..len)?;
    pkt[0] = ECHO_REQUEST;
    pkt[1] = 0;
    pkt[2..4].copy_from_slice(&[0, 0]);
    pkt[4..6].copy_from_slice(&ident.to_be_bytes());
    pkt[6..8].copy_from_slice(&seq.to_be_bytes());
    pkt[8..].copy_from_slice(data);
    let c = checksum(pkt);
    pkt[2..4].copy_from_slice(&c.to_be_bytes());
    Some(len)
}

/// A valid echo reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoReply<'a> {
    pub ident: u16,
    pub seq: u16,
    pub data: &'a [u8],
}

/// Why a packet is not a valid echo reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NotReply {
    /// Shorter than the 8-byte header.
    Short,
    /// Another type or code.
    Kind { icmp_type: u8, code: u8 },
    /// The checksum does not add up.
    Checksum,
}

/// Checks an ICMP packet (header and data) as an echo reply. Never panics.
pub fn parse_echo_reply(pkt: &[u8]) -> Result<EchoReply<'_>, NotReply> {
    if pkt.len() < HEADER_LEN {
        return Err(NotReply::Short);
    }
    if pkt[0] != ECHO_REPLY || pkt[1] != 0 {
        return Err(NotReply::Kind { icmp_type: pkt[0], code: pkt[1] });
    }
    if checksum(pkt) != 0 {
        return Err(NotReply::Checksum);
    }
    Ok(EchoReply {
        ident: u16::from_be_bytes([pkt[4], pkt[5]]),
        seq: u16::from_be_bytes([pkt[6], pkt[7]]),
        data: &pkt[HEADER_LEN..],
    })
}

/// `ping`'s check of what came back for (`ident`, `seq`, `data`):
/// `None` if the packet is not the reply to that request (another
/// request's, or not a reply), `Some(true)` if it is and carries `data`
/// back unchanged, `Some(false)` if its data differ.
pub fn matches_request(pkt: &[u8], ident: u16, seq: u16, data: &[u8]) -> Option<bool> {
    let r = parse_echo_reply(pkt).ok()?;
    (r.ident == ident && r.seq == seq).then_some(r.data == data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_then_reply() {
        let mut buf = [0u8; 64];
        let n = echo_request(&mut buf, 0x21a3, 7, b"abcde").unwrap();
        assert_eq!(n, 13);
        assert_eq!(checksum(&buf[..n]), 0);
        // The peer turns it into a reply: type 0, checksum adjusted.
        buf[0] = ECHO_REPLY;
        buf[2..4].copy_from_slice(&[0, 0]);
        let c = checksum(&buf[..n]);
        buf[2..4].copy_from_slice(&c.to_be_bytes());
        let r = parse_echo_reply(&buf[..n]).unwrap();
        assert_eq!((r.ident, r.seq, r.data), (0x21a3, 7, &b"abcde"[..]));
        assert_eq!(matches_request(&buf[..n], 0x21a3, 7, b"abcde"), Some(true));
        assert_eq!(matches_request(&buf[..n], 0x21a3, 7, b"abcdf"), Some(false));
        assert_eq!(matches_request(&buf[..n], 0x21a3, 8, b"abcde"), None);
        buf[9] ^= 1;
        assert_eq!(parse_echo_reply(&buf[..n]), Err(NotReply::Checksum));
        assert_eq!(parse_echo_reply(&buf[..7]), Err(NotReply::Short));
        assert!(echo_request(&mut buf[..12], 1, 1, b"abcde").is_none());
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3's example bytes sum to 0xddf2.
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), !0xddf2);
        assert_eq!(checksum(&[0xff]), !0xff00);
    }
}
