//! One QEMU run of the kernel with user networking forwarded to loopback
//! ports on this host, and its console captured line by line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::raw::RawPort;

pub struct Vm {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub udp_port: u16,
    pub http_port: u16,
    pub log_path: PathBuf,
    /// With [`Vm::start`]'s `raw`: our end of the NIC's raw frame port.
    pub raw: Option<RawPort>,
    /// Substrings of the `ERROR`/`WARN` lines this boot expects (see
    /// `qemu_common::check_warnings`; checked when the kernel has stopped).
    pub allowed: &'static [&'static str],
    started: Instant,
}

/// Two ports free on 127.0.0.1 right now (QEMU binds them just after).
fn free_ports() -> std::io::Result<(u16, u16)> {
    let u = UdpSocket::bind("127.0.0.1:0")?;
    let t = TcpListener::bind("127.0.0.1:0")?;
    Ok((u.local_addr()?.port(), t.local_addr()?.port()))
}

impl Vm {
    /// Starts QEMU; forwards 127.0.0.1:udp_port -> guest UDP 7 and
    /// 127.0.0.1:http_port -> guest TCP 80. With `raw`, the NIC's peer is
    /// instead a `socket` netdev whose frames are UDP datagrams to and from
    /// [`Vm::raw`] (see [`crate::raw`]; the ports are then unused). Only
    /// loopback addresses are used.
    pub fn start(
        qemu: &str,
        kernel: &Path,
        append: &str,
        log_path: PathBuf,
        raw: bool,
        allowed: &'static [&'static str],
    ) -> Result<Vm, String> {
        let mut last_err = String::new();
        for _ in 0..5 {
            let (udp_port, http_port) = free_ports().map_err(|e| format!("no free local port: {e}"))?;
            let fwd = format!("hostfwd=udp:127.0.0.1:{udp_port}-:7,hostfwd=tcp:127.0.0.1:{http_port}-:80");
            let mut net: Vec<String> = Vec::new();
            let mut port = None;
            if raw {
                // The NIC's only peer is a socket here: no user network.
                let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("no local UDP socket: {e}"))?;
                let ours = sock.local_addr().map_err(|e| e.to_string())?.port();
                let theirs = UdpSocket::bind("127.0.0.1:0")
                    .and_then(|s| s.local_addr())
                    .map_err(|e| format!("no free local port: {e}"))?
                    .port();
                sock.connect(("127.0.0.1", theirs)).map_err(|e| e.to_string())?;
                net.extend([
                    String::from("-nic"),
                    format!("socket,model=tulip,udp=127.0.0.1:{ours},localaddr=127.0.0.1:{theirs}"),
                ]);
                port = Some(RawPort::start(sock).map_err(|e| format!("raw port: {e}"))?);
            } else {
                net.extend([String::from("-nic"), format!("user,model=tulip,{fwd}")]);
            }
            // The machine of tools/qemu-machine.args (-M clipper -vga none),
            // as every tool starts it; the NIC is always ours.
            let mut child = Command::new(qemu)
                .args(qemu_common::machine_args())
                .args(["-nographic", "-monitor", "none", "-no-reboot", "-m", "256M"])
                .args(&net)
                .arg("-kernel")
                .arg(kernel)
                .args(["-append", append])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {qemu}: {e}"))?;
            let lines = Arc::new(Mutex::new(Vec::new()));
            if let Some(parent) = log_path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let log = Arc::new(Mutex::new(
                std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?,
            ));
            for pipe in
                [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())]
            {
                let (lines, log) = (lines.clone(), log.clone());
                std::thread::spawn(move || {
                    let mut r = BufReader::new(pipe);
                    let mut raw = Vec::new();
                    while let Ok(n) = r.read_until(b'\n', &mut raw) {
                        if n == 0 {
                            break;
                        }
                        let l = String::from_utf8_lossy(&raw).trim_end_matches(['\r', '\n']).to_string();
                        let _ = writeln!(log.lock().unwrap(), "{l}");
                        lines.lock().unwrap().push(l);
                        raw.clear();
                    }
                });
            }
            let vm = Vm {
                child,
                lines,
                udp_port,
                http_port,
                log_path: log_path.clone(),
                raw: port,
                allowed,
                started: Instant::now(),
            };
            // A port taken between our probe and QEMU's bind: try others.
            std::thread::sleep(Duration::from_millis(300));
            if let Some(l) = vm.find("Could not set up host forwarding rule").or_else(|| vm.find("Address already in use")) {
                last_err = format!("ports {udp_port}/{http_port} refused: {l}");
                drop(vm);
                continue;
            }
            return Ok(vm);
        }
        Err(last_err)
    }

    /// The first console line containing `needle`.
    pub fn find(&self, needle: &str) -> Option<String> {
        self.lines.lock().unwrap().iter().find(|l| l.contains(needle)).cloned()
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a console line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(l) = self.find(needle) {
                return Some(l);
            }
            if Instant::now() >= end || self.exited() {
                return self.find(needle);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits for QEMU to exit (the kernel halted); true if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.exited() {
                // Let the readers drain the pipes.
                std::thread::sleep(Duration::from_millis(100));
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
