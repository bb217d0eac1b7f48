use super::*;
use crate::fuzzing::{converse, route};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use proptest::prelude::*;
use std::vec::Vec;

fn req(path: &str, close: bool) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: {}\r\n\r\n", if close { "close" } else { "keep-alive" })
        .into_bytes()
}

/// The responses in a byte stream: (status, body).
fn responses(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let end = find(b, b"\r\n\r\n").expect("a response head");
        let head = core::str::from_utf8(&b[..end]).unwrap();
        let status: u16 = head[9..12].parse().unwrap();
        let len: usize = head
            .split("\r\n")
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        v.push((status, b[end + 4..end + 4 + len].to_vec()));
        b = &b[end + 4 + len..];
    }
    v
}

#[test]
fn parses_a_request() {
    let r = req("/status.json", false);
    match parse(&r) {
        Parse::Request(q, n) => {
            assert_eq!(n, r.len());
            assert_eq!((q.method, q.path, q.minor, q.close, q.body), ("GET", "/status.json", 1, false, false));
        }
        p => panic!("{p:?}"),
    }
    for i in 0..r.len() {
        assert_eq!(parse(&r[..i]), Parse::Partial, "prefix of {i} bytes");
    }
}

#[test]
fn versions_and_connection() {
    fn p(s: &str) -> Parse<'_> {
        parse(s.as_bytes())
    }
    assert!(matches!(p("GET / HTTP/1.0\r\n\r\n"), Parse::Request(Request { close: true, minor: 0, .. }, _)));
    assert!(matches!(
        p("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
        Parse::Request(Request { close: false, .. }, _)
    ));
    assert!(matches!(p("GET / HTTP/1.1\r\nconnection: foo, close\r\n\r\n"), Parse::Request(Request { close: true, .. }, _)));
    assert!(matches!(p("GET / HTTP/1.9\r\n\r\n"), Parse::Request(Request { minor: 1, .. }, _)));
    assert_eq!(p("GET / HTTP/2.0\r\n\r\n"), Parse::Error(505));
    assert_eq!(p("BREW /coffee HTCPCP/1.0\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET  / HTTP/1.1\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET / HTTP/1.1 x\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET /\x7f HTTP/1.1\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET / HTTP/1.1\r\nno colon\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), Parse::Error(400));
    assert_eq!(p("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), Parse::Error(400));
    assert!(matches!(p("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), Parse::Request(Request { body: false, .. }, _)));
    assert!(matches!(p("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), Parse::Request(Request { body: true, .. }, _)));
    assert!(matches!(p("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), Parse::Request(Request { body: true, .. }, _)));
    // Leading empty lines are skipped; obs-text in a value is accepted.
    let r = "\r\n\r\nGET / HTTP/1.1\r\nX: \u{e9}\r\n\r\n";
    assert!(matches!(p(r), Parse::Request(_, n) if n == r.len()));
}

#[test]
fn head_limit() {
    let mut r = b"GET / HTTP/1.1\r\nX: ".to_vec();
    r.resize(MAX_HEAD - 4, b'a');
    r.extend_from_slice(b"\r\n\r\n");
    assert!(matches!(parse(&r), Parse::Request(_, n) if n == MAX_HEAD));
    r.insert(20, b'a');
    assert_eq!(parse(&r), Parse::Error(431));
    assert_eq!(parse(&r[..MAX_HEAD - 1]), Parse::Partial);
    assert_eq!(parse(&vec![b'z'; MAX_HEAD]), Parse::Error(431));
}

#[test]
fn pipelined_answered_in_order() {
    let mut input = Vec::new();
    for p in ["/s1", "/", "/nope", "/s2"] {
        input.extend(req(p, false));
    }
    input.extend(b"HEAD /s3 HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
    let (out, closed) = converse(&input, &[], 0);
    assert!(closed);
    let r = responses_with_head(&out);
    let st: Vec<u16> = r.iter().map(|x| x.0).collect();
    assert_eq!(st, [200, 200, 404, 200, 200, 405]);
    assert!(r[4].1.is_empty(), "HEAD has no body");
    assert_eq!(&r[0].1[..], &b"{\"path\":\"/s1\",\"n\":0}"[..]);
    assert_eq!(&r[3].1[..], &b"{\"path\":\"/s2\",\"n\":3}"[..]);
}

/// Like [`responses`], but a HEAD response's declared length is not sent.
fn responses_with_head(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let end = find(b, b"\r\n\r\n").unwrap();
        let head = core::str::from_utf8(&b[..end]).unwrap();
        let status: u16 = head[9..12].parse().unwrap();
        let len: usize = head.split("\r\n").find_map(|l| l.strip_prefix("Content-Length: ")).unwrap().parse().unwrap();
        // The only HEAD in these tests answers /s3, whose body would be
        // {"path":"/s3","n":4} (20 bytes).
        let rest = &b[end + 4..];
        let take = if len <= rest.len() && (rest.len() == len || rest[len..].starts_with(b"HTTP/1.1 ")) { len } else { 0 };
        v.push((status, rest[..take].to_vec()));
        b = &rest[take..];
    }
    v
}

#[test]
fn too_large_body_is_503() {
    let (out, closed) = converse(&[req("/big", false), req("/", true)].concat(), &[], 0);
    assert!(closed);
    let r = responses(&out);
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].0, &r[0].1[..]), (503, &b"response too large\n"[..]));
    assert_eq!(r[1].0, 200);
}

#[test]
fn garbage_gets_one_error_and_closes() {
    let (out, closed) = converse(&vec![0xa5; 1 << 20], &[1000], 0);
    assert!(closed);
    assert_eq!(responses(&out).iter().map(|r| r.0).collect::<Vec<_>>(), [431]);
    let (out, closed) = converse(b"\x16\x03\x01\r\n\r\nGET / HTTP/1.1\r\n\r\n", &[], 0);
    assert!(closed);
    assert_eq!(responses(&out).iter().map(|r| r.0).collect::<Vec<_>>(), [400]);
}

/// A peer that sends 10,000 pipelined requests and never reads: the
/// connection takes input only until its output is full, and the buffers
/// never grow.
#[test]
fn backpressure_when_the_peer_does_not_read() {
    let mut c = Conn::new().unwrap();
    let caps = (c.input.capacity(), c.out.capacity());
    let one = req("/status.json", false);
    let all: Vec<u8> = one.iter().copied().cycle().take(one.len() * 10_000).collect();
    let mut counts = Counts::default();
    let mut pos = 0;
    for _ in 0..1000 {
        pos += c.feed(&all[pos..]);
        c.process(&mut counts, |_, _, b| {
            let _ = b.write_bytes(&[b'j'; 4000]);
            Reply::new(200, "application/json")
        });
    }
    assert!(c.blocked());
    assert_eq!(c.read_room(), 0);
    assert!(c.unsent() <= OUT_CAP && c.buffered() <= IN_CAP);
    assert_eq!((c.input.capacity(), c.out.capacity()), caps);
    let answered = counts.requests as usize;
    assert!((3..=8).contains(&answered), "{answered} answered without the peer reading");
    // The unread requests are kept, not dropped: once the peer reads, all
    // 10,000 are answered.
    let mut total = 0;
    let mut bytes = 0;
    while counts.requests < 10_000 {
        total += c.pending().len();
        let n = c.pending().len();
        c.advance(n);
        bytes += n;
        pos += c.feed(&all[pos..]);
        c.process(&mut counts, |_, _, b| {
            let _ = b.write_bytes(&[b'j'; 4000]);
            Reply::new(200, "application/json")
        });
        assert_eq!((c.input.capacity(), c.out.capacity()), caps);
    }
    assert_eq!(pos, all.len());
    assert!(total > 0 && bytes > 10_000 * 4000 - OUT_CAP);
}

#[test]
fn eof_with_a_partial_request_finishes() {
    let mut c = Conn::new().unwrap();
    c.feed(b"GET / HTTP/1.1\r\nHost");
    c.process(&mut Counts::default(), route);
    assert!(c.finished_after_eof());
    c.feed(b": x\r\n\r\n");
    assert!(!c.finished_after_eof());
    c.process(&mut Counts::default(), route);
    assert!(!c.finished_after_eof(), "a response is still to be sent");
    let n = c.pending().len();
    c.advance(n);
    assert!(c.finished_after_eof());
}

/// A request drawn from a small grammar: (bytes, method, path, close).
fn arb_request() -> impl Strategy<Value = (Vec<u8>, String, String, bool)> {
    let method = prop_oneof![Just("GET"), Just("HEAD"), Just("GET")];
    let path = "/[a-z0-9._/-]{0,20}";
    let conn = prop_oneof![Just(None), Just(Some("keep-alive")), Just(Some("close")), Just(Some("Upgrade, Close"))];
    let extra = proptest::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,40}"), 0..4);
    (method, path, 0u8..2, conn, extra, 0usize..3).prop_map(|(m, p, minor, conn, extra, blank)| {
        let mut s = String::new();
        for _ in 0..blank {
            s.push_str("\r\n");
        }
        s.push_str(&format!("{m} {p} HTTP/1.{minor}\r\n"));
        for (k, v) in &extra {
            let k = if k.eq_ignore_ascii_case("connection")
                || k.eq_ignore_ascii_case("content-length")
                || k.eq_ignore_ascii_case("transfer-encoding")
            {
                "X-Other"
            } else {
                k
            };
            s.push_str(&format!("{k}: {}\r\n", v.trim()));
        }
        if let Some(c) = conn {
            s.push_str(&format!("Connection: {c}\r\n"));
        }
        let close = match conn {
            Some("keep-alive") => false,
            Some(c) if c.to_ascii_lowercase().contains("close") => true,
            _ => minor == 0,
        };
        s.push_str("\r\n");
        (s.into_bytes(), m.to_string(), p, close)
    })
}

proptest! {
    #![proptest_config(test_support::config_with_default(500))]

    /// Pipelined requests, however the bytes are split, parse to the same
    /// requests, in order, with the same lengths.
    #[test]
    fn split_pipelined_requests_parse_the_same(
        reqs in proptest::collection::vec(arb_request(), 1..12),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
    ) {
        let stream: Vec<u8> = reqs.iter().flat_map(|r| r.0.clone()).collect();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cuts.push(stream.len());
        cuts.sort_unstable();
        // Incremental parsing, as a connection does: bytes arrive up to each
        // cut, and complete requests are taken off the front.
        let mut buf: Vec<u8> = Vec::new();
        let mut got = Vec::new();
        let mut at = 0;
        for &cut in &cuts {
            buf.extend_from_slice(&stream[at..cut]);
            at = cut;
            loop {
                match parse(&buf) {
                    Parse::Partial => break,
                    Parse::Request(r, n) => {
                        got.push((r.method.to_string(), r.path.to_string(), r.close, n));
                        buf.drain(..n);
                    }
                    Parse::Error(s) => prop_assert!(false, "error {} on {:?}", s, String::from_utf8_lossy(&buf)),
                }
            }
        }
        prop_assert!(buf.is_empty());
        let want: Vec<_> = reqs.iter().map(|r| (r.1.clone(), r.2.clone(), r.3, r.0.len())).collect();
        prop_assert_eq!(got, want);
    }

    /// Through a connection: the bytes sent back do not depend on how the
    /// input is split or how fast the peer reads.
    #[test]
    fn split_pipelined_requests_answer_the_same(
        reqs in proptest::collection::vec(arb_request(), 1..12),
        chunks in proptest::collection::vec(0usize..300, 1..8),
        drain in 0usize..5000,
    ) {
        let stream: Vec<u8> = reqs.iter().flat_map(|r| r.0.clone()).collect();
        let whole = converse(&stream, &[], 0);
        let split = converse(&stream, &chunks, drain);
        prop_assert!(whole == split);
        let until_close = reqs.iter().position(|r| r.3).map_or(reqs.len(), |i| i + 1);
        prop_assert_eq!(whole.1, until_close < reqs.len() || reqs[reqs.len() - 1].3);
    }

    /// Arbitrary bytes: never a panic, bounded buffers, and the same
    /// answers however they are split.
    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..2000), cfg in any::<[u8; 2]>()) {
        let mut d = cfg.to_vec();
        d.extend(data);
        crate::fuzzing::run(&d);
    }
}

#[test]
fn the_fixed_503_is_well_formed() {
    let r = responses(UNAVAILABLE);
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0, &r[0].1[..]), (503, &b"out of memory, sorry\n"[..]));
}

#[test]
fn an_impossible_reservation_is_refused() {
    assert!(Conn::reserving(usize::MAX).is_none());
    assert!(Conn::reserving(isize::MAX as usize - 1).is_none());
    assert!(Conn::reserving(0).is_some_and(|c| c.out.capacity() >= OUT_CAP));
}

/// A route that streams `pieces` pieces of 10,000 bytes (piece k filled
/// with byte b'a' + k % 26) after a first piece "start\n".
fn streaming_route(pieces: u64) -> impl FnMut(&str, &Counts, &mut Body) -> Reply {
    move |path, c, b| {
        if path == "/big" {
            let _ = b.write_bytes(b"start\n");
            b.stream([0, pieces, 0, 0]);
            Reply::new(200, "text/plain")
        } else {
            route(path, c, b)
        }
    }
}

fn more(s: &mut [u64; 4], b: &mut Body) -> bool {
    let k = s[0];
    assert!(b.room() >= 10_000);
    let _ = b.write_bytes(&[b'a' + (k % 26) as u8; 10_000]);
    s[0] += 1;
    s[0] == s[1]
}

fn expected_big(pieces: u64) -> Vec<u8> {
    let mut v = b"start\n".to_vec();
    for k in 0..pieces {
        v.extend(core::iter::repeat_n(b'a' + (k % 26) as u8, 10_000));
    }
    v
}

/// Runs a connection until it has nothing more to send; returns the bytes.
fn drain(c: &mut Conn, counts: &mut Counts, pieces: u64) -> Vec<u8> {
    let mut got = Vec::new();
    let mut route = streaming_route(pieces);
    for _ in 0..10_000 {
        c.process_streaming(counts, &mut route, more);
        assert!(c.unsent() <= OUT_CAP, "the output grew past its capacity");
        if c.pending().is_empty() {
            break;
        }
        got.extend_from_slice(c.pending());
        let n = c.pending().len();
        c.advance(n);
    }
    got
}

/// Decodes one chunked body at the start of `b`; returns it and the rest.
fn dechunk(mut b: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut body = Vec::new();
    loop {
        let eol = find(b, b"\r\n").unwrap();
        let n = usize::from_str_radix(core::str::from_utf8(&b[..eol]).unwrap(), 16).unwrap();
        b = &b[eol + 2..];
        if n == 0 {
            assert_eq!(&b[..2], b"\r\n");
            return (body, &b[2..]);
        }
        body.extend_from_slice(&b[..n]);
        assert_eq!(&b[n..n + 2], b"\r\n");
        b = &b[n + 2..];
    }
}

#[test]
fn a_streamed_body_is_chunked_and_pipelined_requests_wait() {
    let mut c = Conn::new().unwrap();
    let caps = (c.input.capacity(), c.out.capacity());
    let mut input = req("/big", false);
    input.extend(req("/status.json", true));
    c.feed(&input);
    let mut counts = Counts::default();
    let out = drain(&mut c, &mut counts, 40);
    assert_eq!((c.input.capacity(), c.out.capacity()), caps, "buffers grew");
    let end = find(&out, b"\r\n\r\n").unwrap();
    let head = core::str::from_utf8(&out[..end]).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Transfer-Encoding: chunked\r\n"));
    assert!(!head.contains("Content-Length"));
    let (body, rest) = dechunk(&out[end + 4..]);
    assert_eq!(body, expected_big(40));
    // The pipelined request is answered after the stream, then the close.
    assert_eq!(responses(rest).iter().map(|r| r.0).collect::<Vec<_>>(), [200]);
    assert!(c.done());
    assert_eq!(counts.requests, 2);
}

#[test]
fn a_streamed_body_over_http_1_0_ends_with_the_connection() {
    let mut c = Conn::new().unwrap();
    c.feed(b"GET /big HTTP/1.0\r\n\r\n");
    let mut counts = Counts::default();
    let out = drain(&mut c, &mut counts, 7);
    let end = find(&out, b"\r\n\r\n").unwrap();
    let head = core::str::from_utf8(&out[..end]).unwrap();
    assert!(head.contains("Connection: close") && !head.contains("chunked") && !head.contains("Content-Length"));
    assert_eq!(&out[end + 4..], &expected_big(7)[..]);
    assert!(c.done());
}

#[test]
fn head_of_a_streamed_route_sends_no_body() {
    let mut c = Conn::new().unwrap();
    c.feed(b"HEAD /big HTTP/1.1\r\n\r\nGET /status.json HTTP/1.1\r\n\r\n");
    let mut counts = Counts::default();
    let out = drain(&mut c, &mut counts, 5);
    let end = find(&out, b"\r\n\r\n").unwrap();
    assert!(core::str::from_utf8(&out[..end]).unwrap().contains("Transfer-Encoding: chunked"));
    assert_eq!(responses(&out[end + 4..]).len(), 1);
}

#[test]
fn an_overflowing_piece_ends_the_response_and_closes() {
    let mut c = Conn::new().unwrap();
    c.feed(&req("/big", false));
    let mut counts = Counts::default();
    let mut route = streaming_route(3);
    let mut out = Vec::new();
    for _ in 0..10 {
        c.process_streaming(&mut counts, &mut route, |_, b| b.write_bytes(&[0; BODY_MAX + 1]).is_ok());
        out.extend_from_slice(c.pending());
        let n = c.pending().len();
        c.advance(n);
    }
    assert!(c.done(), "closed");
    assert_eq!(counts.unavailable, 1);
    let end = find(&out, b"\r\n\r\n").unwrap();
    // Only the first chunk, no terminating zero chunk.
    assert_eq!(&out[end + 4..], b"6\r\nstart\n\r\n");
}
