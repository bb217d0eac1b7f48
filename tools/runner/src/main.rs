//! Host-side integration test runner: boots the kernel in
//! `qemu-system-alpha -M clipper` once per test case, with a timeout,
//! captures the serial console, and checks what the kernel printed and did
//! (expected lines in order, forbidden lines, no `ERROR`/`WARN` line the
//! case does not expect, and per-case checks such as "the trap's PC lies in
//! the function that raised it"). Prints one line per case and a final
//! `N passed, N failed, N skipped`.
//!
//! QEMU starts as `tools/qemu-machine.args` says (`-M clipper -vga none`),
//! then [`RUNNER_ARGS`], `-m 256M` unless the case gives `-m`, and `-nic
//! none` unless the case chooses its own NIC: no device that needs a ROM
//! file a fresh machine lacks.
//!
//!   qemu-runner --kernel PATH [--srm-stub PATH] [--logs DIR] [--only SUBSTRING] [--list]
//!
//! `--srm-stub` is the SRM boot stub's ELF (default: `srm-stub.elf` next to
//! the kernel, where tools/build-kernel.sh puts it), for the `srm-stub-*`
//! cases, which boot the stub with the kernel attached.

mod cases;
mod check;
mod disk;
mod gdb;
mod srm;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cases::Case;
use check::Symbols;

struct Args {
    kernel: PathBuf,
    srm_stub: Option<PathBuf>,
    logs: PathBuf,
    only: Option<String>,
    list: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut kernel = None;
    let mut srm_stub = None;
    let mut logs = PathBuf::from("target/qemu-logs");
    let mut only = None;
    let mut list = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" => kernel = it.next().map(PathBuf::from),
            "--srm-stub" => srm_stub = it.next().map(PathBuf::from),
            "--logs" => logs = it.next().map(PathBuf::from).ok_or("--logs needs a directory")?,
            "--only" => only = it.next(),
            "--list" => list = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let kernel = kernel.ok_or("--kernel PATH is required")?;
    Ok(Args { kernel, srm_stub, logs, only, list })
}

/// What the runner passes QEMU after the machine's own arguments
/// ([`qemu_common::machine_args`]). The floor check at the end of
/// `tools/bootstrap.sh` starts QEMU with these too (a host test below
/// checks that it does).
pub const RUNNER_ARGS: &[&str] = &["-nographic", "-monitor", "none", "-no-reboot"];

/// QEMU's arguments for `case`, up to `-kernel`: the machine, [`RUNNER_ARGS`],
/// `-m 256M` unless the case sets `-m`, `-nic none` unless it chooses its
/// network devices itself, then the case's own.
pub fn qemu_args(case: &Case) -> Vec<String> {
    let mut v: Vec<String> = qemu_common::machine_args().into_iter().map(String::from).collect();
    v.extend(RUNNER_ARGS.iter().map(|a| a.to_string()));
    if !case.qemu.contains(&"-m") {
        v.extend(["-m".into(), "256M".into()]);
    }
    if !qemu_common::chooses_nic(case.qemu) {
        v.extend(["-nic".into(), "none".into()]);
    }
    v.extend(case.qemu.iter().map(|a| a.to_string()));
    v
}

/// Output of one QEMU run.
pub struct Run {
    pub output: String,
    pub exit: Option<i32>,
    pub timed_out: bool,
    pub seconds: f64,
}

fn boot(kernel: &Path, case: &Case, logs: &Path) -> Result<Run, String> {
    let mut cmd = Command::new("qemu-system-alpha");
    cmd.args(qemu_args(case));
    cmd.args(disk::prepare(case, logs)?);
    cmd.arg("-kernel").arg(kernel);
    if !case.append.is_empty() {
        cmd.args(["-append", case.append]);
    }
    // A case that changes guest memory first starts QEMU stopped, with its
    // gdbstub on a free local port.
    let gdb_port = match case.gdb {
        Some(_) => {
            let port = gdb::free_port()?;
            cmd.args(["-S", "-gdb", &format!("tcp:127.0.0.1:{port}")]);
            Some(port)
        }
        None => None,
    };
    let mut inputs: Vec<(&str, &[u8])> = case.stdin_on.to_vec();
    if cases::stays_up(case) {
        inputs.push((cases::PROMPT, b"halt\r"));
    }
    let stdin = if inputs.is_empty() { Stdio::null() } else { Stdio::piped() };
    cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start qemu-system-alpha: {e}"))?;
    let mut child_stdin = child.stdin.take();
    let buf = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    for mut pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let buf = buf.clone();
        readers.push(std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        }));
    }
    let mut prefix = String::new();
    if let (Some(action), Some(port)) = (case.gdb, gdb_port) {
        let entry = std::fs::read(kernel).map_err(|e| e.to_string()).and_then(|elf| gdb::elf_entry(&elf));
        match entry.and_then(|entry| gdb::run(action, port, entry)) {
            Ok(log) => prefix = log,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        }
    }
    let deadline = start + Duration::from_secs(case.timeout_s);
    let mut timed_out = false;
    let mut inputs = inputs.into_iter();
    let mut input = inputs.next();
    // Where the output stood when the last input was written: the next
    // trigger must come after it.
    let mut seen_upto = 0;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(st);
        }
        // Console input once the kernel has said it waits for it (earlier,
        // the UART's FIFO reset at console init would discard it).
        if let Some((trigger, bytes)) = input {
            let out = buf.lock().unwrap().clone();
            if String::from_utf8_lossy(&out[seen_upto..]).contains(trigger) {
                if let Some(w) = child_stdin.as_mut() {
                    w.write_all(bytes).and_then(|()| w.flush()).map_err(|e| format!("writing QEMU's stdin: {e}"))?;
                }
                seen_upto = out.len();
                input = inputs.next();
            }
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for r in readers {
        let _ = r.join();
    }
    let raw = buf.lock().unwrap().clone();
    drop(child_stdin);
    let output = prefix + &String::from_utf8_lossy(&raw).replace("\r\n", "\n");
    Ok(Run { output, exit: status.and_then(|s| s.code()), timed_out, seconds: start.elapsed().as_secs_f64() })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("qemu-runner: {e}");
            std::process::exit(2);
        }
    };
    let all = cases::all();
    let selected: Vec<&Case> =
        all.iter().filter(|c| args.only.as_ref().is_none_or(|o| c.name.contains(o.as_str()))).collect();
    if args.list {
        for c in &selected {
            let disk = disk::prepare_args(c, &args.logs).join(" ");
            println!("{}  (-append \"{}\" {} {disk})", c.name, c.append, qemu_args(c).join(" "));
        }
        return;
    }
    let symbols = match Symbols::load(&args.kernel) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qemu-runner: {e}");
            std::process::exit(2);
        }
    };
    std::fs::create_dir_all(&args.logs).ok();
    let (mut passed, mut failed) = (0, 0);
    let stub = args.srm_stub.clone().unwrap_or_else(|| args.kernel.with_file_name("srm-stub.elf"));
    for case in selected {
        let image = srm::image_for(case, &args.kernel, &stub, &args.logs);
        let result = image.and_then(|(elf, predicted)| {
            boot(&elf, case, &args.logs).map(|run| (run, predicted))
        }).and_then(|(run, predicted)| {
            let log = args.logs.join(format!("{}.log", case.name));
            std::fs::write(&log, &run.output).ok();
            let predicted: Vec<&str> = predicted.iter().map(String::as_str).collect();
            check::judge(case, &run, &symbols)
                .and_then(|detail| disk::check(case, &args.logs, &run.output).map(|d| detail + &d))
                .and_then(|detail| {
                    check::in_order(&run.output, &predicted)
                        .map(|()| format!("{detail}{}", srm::detail(&predicted)))
                        .map_err(|e| format!("the stub's copy plan differs from the host model's prediction: {e}"))
                })
                .map(|detail| (detail, run.seconds))
                .map_err(|e| format!("{e}\n      log: {}\n{}", log.display(), check::tail(&run.output, 12)))
        });
        match result {
            Ok((detail, secs)) => {
                passed += 1;
                println!("qemu test {} ... ok ({secs:.1}s{detail})", case.name);
            }
            Err(e) => {
                failed += 1;
                println!("qemu test {} ... FAILED: {e}", case.name);
            }
        }
    }
    // No case is skipped today (every one runs on any machine the
    // bootstrap has set up); the count keeps the summary's shape the same
    // as net-test's and tools/test.sh's.
    let skipped = 0;
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(name: &str) -> Vec<String> {
        qemu_args(cases::all().iter().find(|c| c.name == name).unwrap())
    }

    #[test]
    fn every_qemu_has_no_vga_and_no_default_nic() {
        for c in cases::all() {
            let a = qemu_args(&c);
            assert!(a.windows(2).any(|w| w == ["-vga", "none"]), "{}: {a:?}", c.name);
            assert!(qemu_common::chooses_nic(&a), "{}: QEMU would add its e1000: {a:?}", c.name);
            assert_eq!(a.iter().filter(|x| *x == "-m").count(), 1, "{}: {a:?}", c.name);
        }
        let plain = args_of("boot-banner");
        assert!(plain.ends_with(&["-m".into(), "256M".into(), "-nic".into(), "none".into()]), "{plain:?}");
        let nic = args_of("net-tulip-up");
        assert!(nic.windows(2).any(|w| w == ["-nic", "user,model=tulip"]), "{nic:?}");
        assert!(!nic.windows(2).any(|w| w == ["-nic", "none"]), "{nic:?}");
    }

    /// tools/bootstrap.sh boots the floor kernel as the runner starts QEMU.
    #[test]
    fn bootstrap_floor_check_starts_qemu_like_the_runner() {
        let sh = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../bootstrap.sh")).unwrap();
        let want = format!("{} -m 256M -nic none", RUNNER_ARGS.join(" "));
        assert!(sh.contains(&want), "tools/bootstrap.sh does not start QEMU with {want:?}");
        assert!(sh.contains("qemu-machine.args"), "tools/bootstrap.sh does not read tools/qemu-machine.args");
    }
}
