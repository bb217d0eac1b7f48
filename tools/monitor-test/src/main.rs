//! Host-side test of the kernel's console monitor: boots the kernel in
//! QEMU with the serial console on stdin/stdout, once without a network
//! device (`-nic none`: the monitor runs alone) and once with the 21143 on
//! QEMU's user network (the monitor shares the network loop; the kernel's
//! port 80 forwarded to a free port on 127.0.0.1), and drives the monitor:
//! `help`, `meminfo`, `buddyinfo`, one-line errors, `alloc`/`free` seen in
//! `buddyinfo`, `fragment 9` then `dma alloc 4M` served by CMA, `map`,
//! the browser test of `/memory` before and after the monitor allocates
//! (with the 21143; skipped without chromium), 1,000 random lines (binary,
//! control bytes, 10 KB lines, unknown commands) each followed by the
//! prompt answering, `reconcile` after every check, then `halt`: QEMU must
//! exit with the halt path's reconciliation and no unexpected
//! `ERROR`/`WARN` line. Prints one line per check and
//! `N passed, N failed, N skipped`.
//!
//!   monitor-test --kernel PATH [--logs DIR] [--lines N] [--seed N] [--only SESSION]
//!
//! The checks are in `checks/` (a list of functions; add a module there).

mod checks;
mod picture;
mod session;

use checks::{Options, When, ALL};
use session::Session;
use std::path::PathBuf;

/// The QEMU sessions: a name and whether it has the 21143.
const SESSIONS: &[(&str, bool)] = &[("no-nic", false), ("tulip", true)];

/// The network arguments of a session and the host port forwarded to the
/// kernel's HTTP server (a free port on 127.0.0.1, never another address).
fn nic_args(tulip: bool) -> Result<(Vec<String>, Option<u16>), String> {
    if !tulip {
        return Ok((vec!["-nic".into(), "none".into()], None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("no free local port: {e}"))?.port();
    Ok((vec!["-nic".into(), format!("user,model=tulip,hostfwd=tcp:127.0.0.1:{port}-:80")], Some(port)))
}

struct Args {
    kernel: PathBuf,
    logs: PathBuf,
    opts: Options,
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut kernel = None;
    let mut logs = PathBuf::from("target/monitor-logs");
    let mut opts = Options { lines: 1000, seed: 0x5eed_0015 };
    let mut only = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--kernel" => kernel = Some(PathBuf::from(val()?)),
            "--logs" => logs = PathBuf::from(val()?),
            "--lines" => opts.lines = val()?.parse().map_err(|_| "--lines: expected a number")?,
            "--seed" => opts.seed = val()?.parse().map_err(|_| "--seed: expected a number")?,
            "--only" => only = Some(val()?),
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    Ok(Args { kernel: kernel.ok_or("--kernel PATH is required")?, logs, opts, only })
}

/// Counts and prints results.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Tally {
    fn skip(&mut self, name: &str, why: &str) {
        self.skipped += 1;
        println!("monitor test {name} ... skipped ({why})");
    }

    fn report(&mut self, name: &str, r: Result<String, String>) -> bool {
        match r {
            Ok(d) => {
                self.passed += 1;
                println!("monitor test {name} ... ok ({d})");
                true
            }
            Err(e) => {
                self.failed += 1;
                println!("monitor test {name} ... FAILED: {e}");
                false
            }
        }
    }
}

/// After `halt`: QEMU exited, the halt path ran with its reconciliation,
/// every reconciliation line holds, and no unexpected ERROR/WARN line.
fn check_halt(output: &str) -> Result<String, String> {
    let tail = &output[output.rfind("alpha> halt").ok_or("no halt typed")?..];
    if !tail.contains("ready; halting (stopped)") {
        return Err("no \"ready; halting (stopped)\" after halt".into());
    }
    if !tail.contains("memory (monitor halt): ") && !tail.contains("memory (end of the network run): ") {
        return Err("no reconciliation after halt".into());
    }
    let mut n = 0;
    for line in output.lines().filter(|l| l.contains("memory (") && l.contains("): total ")) {
        let r = qemu_common::parse_reconcile_line(line)?;
        if r.verdict != "reconciled" || r.sum() != r.total {
            return Err(format!("reconciliation does not hold: {line}"));
        }
        n += 1;
    }
    let warnings = qemu_common::check_warnings(output, &[])?;
    Ok(format!("{n} reconciliations, all hold{warnings}"))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("monitor-test: {e}");
            std::process::exit(2);
        }
    };
    let _ = std::fs::create_dir_all(&args.logs);
    let mut t = Tally::default();
    for (name, nic) in SESSIONS.iter().filter(|(n, _)| args.only.as_ref().is_none_or(|o| n.contains(o.as_str()))) {
        let log = args.logs.join(format!("{name}.log"));
        let started = nic_args(*nic).and_then(|(nic, port)| Session::start(&args.kernel, &nic, port, log.clone()));
        let mut s = match started {
            Ok(s) => s,
            Err(e) => {
                t.report(&format!("{name}/boot"), Err(format!("{e} (log: {})", log.display())));
                continue;
            }
        };
        t.report(&format!("{name}/boot"), Ok("prompt shown".into()));
        for c in ALL {
            match (c.when)(&s) {
                When::Run => {}
                When::NotHere => continue,
                When::Skip(why) => {
                    t.skip(&format!("{name}/{}", c.name), &why);
                    continue;
                }
            }
            let r = (c.run)(&mut s, &args.opts).and_then(|d| s.reconcile().map(|()| format!("{d}; reconcile holds")));
            t.report(&format!("{name}/{}", c.name), r.map_err(|e| format!("{e} (log: {})", log.display())));
        }
        let r = s.halt().and_then(|out| check_halt(&out));
        t.report(&format!("{name}/halt"), r.map_err(|e| format!("{e} (log: {})", log.display())));
    }
    println!("{} passed, {} failed, {} skipped", t.passed, t.failed, t.skipped);
    std::process::exit(if t.failed == 0 { 0 } else { 1 });
}
