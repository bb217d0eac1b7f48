//! A minimal HTTP/1.1 client over std's TcpStream (GET, Content-Length).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn connect(port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// Sends raw request bytes and reads one response.
pub fn exchange(s: &mut TcpStream, request: &[u8]) -> Result<Reply, String> {
    s.write_all(request).map_err(|e| format!("send: {e}"))?;
    read_reply(s)
}

pub fn request_bytes(path: &str, keep_alive: bool) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 10.0.2.15\r\nUser-Agent: net-test\r\nConnection: {}\r\n\r\n",
        if keep_alive { "keep-alive" } else { "close" }
    )
    .into_bytes()
}

/// One GET on a fresh connection, closed afterwards.
pub fn get(port: u16, path: &str, timeout: Duration) -> Result<Reply, String> {
    let mut s = connect(port, timeout)?;
    exchange(&mut s, &request_bytes(path, false))
}

pub fn read_reply(s: &mut TcpStream) -> Result<Reply, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut chunk).map_err(|e| format!("reading the response head: {e}"))?;
        if n == 0 {
            return Err(format!("connection closed after {} bytes, before the end of the head", buf.len()));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status: u16 = parts.next().and_then(|c| c.parse().ok()).ok_or(format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .ok_or("no Content-Length")?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).map_err(|e| format!("reading the body ({} of {len} bytes): {e}", body.len()))?;
        if n == 0 {
            return Err(format!("connection closed after {} of {len} body bytes", body.len()));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if body.len() > len {
        return Err(format!("{} bytes after a {len}-byte body", body.len() - len));
    }
    Ok(Reply { status, headers, body })
}
