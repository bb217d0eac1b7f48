//! One QEMU run of the kernel with its serial console on QEMU's stdin and
//! stdout, and the monitor driven through it: type a line, wait for the
//! answer and the next prompt.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The monitor's prompt.
pub const PROMPT: &str = "alpha> ";

pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    /// Output before this offset has been consumed by earlier commands.
    seen: usize,
    pub log_path: PathBuf,
    /// The host port forwarded to the kernel's HTTP server (port 80), in
    /// sessions with a network device.
    pub http_port: Option<u16>,
}

impl Session {
    /// Starts QEMU with `nic` (e.g. `["-nic", "none"]`) and waits for the
    /// monitor's first prompt; `http_port` is the host port `nic`
    /// forwards to the kernel's port 80, if any.
    pub fn start(kernel: &Path, nic: &[String], http_port: Option<u16>, log_path: PathBuf) -> Result<Session, String> {
        let mut cmd = Command::new("qemu-system-alpha");
        cmd.args(qemu_common::machine_args());
        cmd.args(["-nographic", "-monitor", "none", "-no-reboot", "-m", "256M"]);
        cmd.args(nic);
        cmd.arg("-kernel").arg(kernel);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start qemu-system-alpha: {e}"))?;
        let stdin = child.stdin.take();
        let out = Arc::new(Mutex::new(Vec::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    // The console ends lines with CR LF: keep the LF only.
                    out.lock().unwrap().extend(chunk[..n].iter().filter(|&&b| b != b'\r'));
                }
            });
        }
        let mut s = Session { child, stdin, out, seen: 0, log_path, http_port };
        s.wait_for(PROMPT, Duration::from_secs(60)).map_err(|e| format!("no first prompt: {e}"))?;
        Ok(s)
    }

    /// Everything the console printed so far (CR LF as LF).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Writes raw bytes to the console.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let w = self.stdin.as_mut().ok_or("stdin closed")?;
        w.write_all(bytes).and_then(|()| w.flush()).map_err(|e| format!("writing QEMU's stdin: {e}"))
    }

    /// Waits until `want` appears after what earlier calls consumed; the
    /// text up to and including it (CR LF as LF), then consumed.
    pub fn wait_for(&mut self, want: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let out = self.out.lock().unwrap();
                let text = String::from_utf8_lossy(&out[self.seen..]).into_owned();
                if let Some(i) = text.find(want) {
                    // Offsets in the lossy text equal the bytes' when the
                    // output is ASCII, as the kernel's is; else consume all.
                    let end = i + want.len();
                    self.seen += if text.len() == out.len() - self.seen { end } else { out.len() - self.seen };
                    return Ok(text[..end].to_string());
                }
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                return Err(format!("QEMU exited ({st}) while waiting for {want:?}"));
            }
            if Instant::now() >= deadline {
                return Err(format!("{want:?} did not appear within {} s", timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Types `line` and Enter; the answer up to the next prompt (without
    /// the echoed line and the prompt).
    pub fn command(&mut self, line: &str) -> Result<String, String> {
        self.send(format!("{line}\r").as_bytes())?;
        let text = self.wait_for(&format!("\n{PROMPT}"), Duration::from_secs(10)).map_err(|e| format!("{line}: {e}"))?;
        let answer = text.strip_suffix(&format!("\n{PROMPT}")).unwrap_or(&text);
        Ok(answer.split_once('\n').map_or("", |(_, rest)| rest).to_string())
    }

    /// `reconcile`: the memory reconciliation must hold.
    pub fn reconcile(&mut self) -> Result<(), String> {
        let a = self.command("reconcile")?;
        if a.contains("reconcile: reconciled") {
            Ok(())
        } else {
            Err(format!("reconcile does not hold: {}", a.trim()))
        }
    }

    /// Types `halt` and waits for QEMU to exit; the whole output.
    pub fn halt(mut self) -> Result<String, String> {
        self.send(b"halt\r")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(st) = self.child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.save();
                return Err("no exit within 30 s of halt".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        self.save();
        if !status.success() {
            return Err(format!("QEMU exited with {status}"));
        }
        Ok(self.output())
    }

    /// Writes the console output to the log file.
    pub fn save(&self) {
        let _ = std::fs::write(&self.log_path, self.output());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.save();
        }
    }
}
