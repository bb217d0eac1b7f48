//! Network tests of the kernel from the host: boots it in QEMU with user
//! networking forwarded to free ports on 127.0.0.1 (nothing else is ever
//! contacted), waits for `net: ready`, then checks UDP echo (10,000 seeded
//! random datagrams, byte for byte), the HTTP status page and JSON against
//! what the kernel logged, the NIC's receive-ring-full path, a soak of mixed
//! traffic (150 s by default), and a clean stop (DMA-API debug: 0 mappings
//! live; buddy free count back to where it started). A second boot with
//! small receive buffers checks that frames spread over several descriptors
//! are dropped and counted without harm; a third puts the NIC on a raw
//! frame port too ([`raw`]) for runts, oversized frames, garbage and ICMP
//! echo from the segment. `--bench` prints UDP round trips/s and HTTP
//! requests/s instead (numbers only, plus the boot and stop checks).
//!
//!   net-test --kernel PATH [--datagrams N] [--seed S] [--soak SECONDS]
//!            [--bench [--bench-secs S]] [--append "KERNEL PARAMS"] [--only CHECK]
//!            [--logs DIR] [--qemu BINARY]
//!
//! QEMU starts with the machine of `tools/qemu-machine.args` (`-M clipper
//! -vga none`) and the 21143 as its only NIC. Every boot's console is held
//! to the strict rule of the runner: no `ERROR` or `WARN` line that the
//! boot does not list as expected, and every listed one present.
//!
//! Prints one line per check and a final `N passed, N failed, N skipped`
//! (a check is skipped when the one it depends on failed); the exit
//! status is 0 only if every check passed.

mod hardening;
mod http;
mod qemu;
mod raw;
mod udp;

use qemu::Vm;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use udp::{Echoer, Rng};

struct Args {
    kernel: PathBuf,
    qemu: String,
    logs: PathBuf,
    datagrams: u64,
    seed: u64,
    soak: u64,
    bench: bool,
    bench_secs: u64,
    /// Extra kernel parameters for every boot (e.g. `iommu=strict`).
    append: String,
    /// Run only the checks whose names contain this (boot and stop always run).
    only: Option<String>,
}

impl Args {
    fn want(&self, check: &str) -> bool {
        self.only.as_ref().is_none_or(|o| check.contains(o.as_str()))
    }
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        kernel: PathBuf::new(),
        qemu: String::from("qemu-system-alpha"),
        logs: PathBuf::from("target/net-test-logs"),
        datagrams: 10_000,
        seed: 0x2114_3a1f,
        soak: 150,
        bench: false,
        bench_secs: 10,
        append: String::new(),
        only: None,
    };
    let mut kernel = None;
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        let v = v.ok_or(format!("{what} needs a value"))?;
        let r = match v.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16),
            None => v.parse(),
        };
        r.map_err(|_| format!("{what}: {v:?} is not a number"))
    };
    while let Some(x) = it.next() {
        match x.as_str() {
            "--kernel" => kernel = it.next().map(PathBuf::from),
            "--qemu" => a.qemu = it.next().ok_or("--qemu needs a binary")?,
            "--logs" => a.logs = it.next().map(PathBuf::from).ok_or("--logs needs a directory")?,
            "--datagrams" => a.datagrams = num(it.next(), "--datagrams")?,
            "--seed" => a.seed = num(it.next(), "--seed")?,
            "--soak" => a.soak = num(it.next(), "--soak")?,
            "--bench" => a.bench = true,
            "--only" => a.only = Some(it.next().ok_or("--only needs a check name")?),
            "--append" => a.append = it.next().ok_or("--append needs kernel parameters")?,
            "--bench-secs" => a.bench_secs = num(it.next(), "--bench-secs")?.max(1),
            "-h" | "--help" => {
                println!(
                    "net-test --kernel PATH [--datagrams N] [--seed S] [--soak SECONDS] [--bench [--bench-secs S]] [--append \"KERNEL PARAMS\"] [--logs DIR] [--qemu BINARY]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    a.kernel = kernel.ok_or("--kernel PATH is required")?;
    if !a.kernel.is_file() {
        return Err(format!("{}: no such kernel", a.kernel.display()));
    }
    Ok(a)
}

#[derive(Default)]
struct Report {
    passed: u32,
    failed: u32,
    skipped: u32,
}

impl Report {
    fn check(&mut self, name: &str, r: Result<String, String>) -> bool {
        match r {
            Ok(d) => {
                self.passed += 1;
                println!("ok   {name}: {d}");
                true
            }
            Err(e) => {
                self.failed += 1;
                println!("FAIL {name}: {e}");
                false
            }
        }
    }

    /// A check not run because one it depends on failed.
    fn skip(&mut self, name: &str, why: &str) {
        self.skipped += 1;
        println!("skip {name}: {why}");
    }
}

/// The number after `key` in `line` (`key` then optional spaces).
fn number_after(line: &str, key: &str) -> Option<u64> {
    let rest = &line[line.find(key)? + key.len()..];
    let digits: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Values the kernel logged at boot, to compare /status.json against.
#[derive(Debug, Default)]
struct BootLog {
    cma_total_kb: u64,
    total_pages: u64,
    reserved_pages: u64,
    cma_pages: u64,
    buddy_free: u64,
    buddy_allocated: u64,
    mac: String,
    net_start_buddy_free: u64,
    /// The 21143's Cchip line by the Clipper rule from the slot the
    /// kernel's PCI listing puts it in (slot 1 with `-vga none`: line 8).
    nic_line: u32,
}

fn boot_log(vm: &Vm) -> Result<BootLog, String> {
    let mem = vm.find("memory (boot): total ").ok_or("no `memory (boot): total` line")?;
    let mem = qemu_common::parse_reconcile_line(&mem).map_err(|e| format!("the boot reconciliation line: {e}"))?;
    // What owners already hold from CMA counts towards its size.
    let owned_cma: u64 = mem.owners.iter().map(|o| o.2).sum();
    let cma = vm.find("CmaTotal:").ok_or("no CmaTotal line")?;
    let up = vm.find("tulip: up:").ok_or("no `tulip: up:` line")?;
    let start = vm.find("net: start:").ok_or("no `net: start:` line")?;
    let g = |l: &str, k: &str| number_after(l, k).ok_or(format!("no number after {k:?} in {l:?}"));
    let mac = mac_in_up_line(&up).ok_or("no MAC in the `tulip: up:` line")?;
    Ok(BootLog {
        cma_total_kb: g(&cma, "CmaTotal:")?,
        total_pages: mem.total,
        reserved_pages: mem.reserved,
        cma_pages: mem.cma_free + owned_cma,
        buddy_free: mem.buddy_free,
        buddy_allocated: mem.owned - owned_cma,
        mac: mac.to_string(),
        net_start_buddy_free: g(&start, "buddy free")?,
        nic_line: qemu_common::tulip_slot_line(&vm.lines().join("\n"))?.1,
    })
}

fn jnum(v: &Value, path: &str) -> Result<u64, String> {
    let mut cur = v;
    for k in path.split('.') {
        cur = cur.get(k).ok_or(format!("status.json has no {path}"))?;
    }
    cur.as_u64().ok_or(format!("status.json {path} is not a number: {cur}"))
}

fn status_json(port: u16) -> Result<Value, String> {
    let r = http::get(port, "/status.json", Duration::from_secs(5))?;
    if r.status != 200 {
        return Err(format!("GET /status.json: status {}", r.status));
    }
    if r.header("content-type") != Some("application/json") {
        return Err(format!("GET /status.json: content type {:?}", r.header("content-type")));
    }
    serde_json::from_slice(&r.body).map_err(|e| format!("status.json does not parse: {e}: {}", r.text()))
}

/// DMA-API debug must see exactly the two rings plus the buffers the chip holds.
fn dma_consistent(j: &Value) -> Result<String, String> {
    let live = jnum(j, "dma_debug.live_mappings")?;
    let rx = jnum(j, "nic.rx_in_flight")?;
    let tx = jnum(j, "nic.tx_in_flight")?;
    if live != 2 + rx + tx {
        return Err(format!("{live} live DMA mappings, but 2 rings + {rx} RX + {tx} TX buffers with the chip"));
    }
    Ok(format!("{live} live mappings = 2 rings + {rx} RX + {tx} TX"))
}

/// The `interrupts` object of status.json, checked for `mode`: with
/// interrupts, the NIC's line (`nic_line`: from its slot by the Clipper
/// rule, see [`BootLog::nic_line`]) must have delivered
/// (every interrupt answers at least one chip event, so no more than the
/// frames moved plus a margin for abnormal events) and the clock ticked;
/// polled, no NIC interrupt at all. Never a spurious or unhandled one.
fn interrupts_json(j: &Value, mode: &str, nic_line: Option<u32>) -> Result<String, String> {
    let got = j.pointer("/interrupts/mode").and_then(Value::as_str).ok_or("status.json has no interrupts.mode")?;
    if got != mode {
        return Err(format!("interrupts.mode is {got:?}, expected {mode:?}"));
    }
    let taken = jnum(j, "interrupts.nic_taken")?;
    let ticks = jnum(j, "interrupts.clock_ticks")?;
    let frames = jnum(j, "nic.rx_packets")? + jnum(j, "nic.tx_packets")?;
    for k in ["spurious", "unhandled", "nic_not_ours"] {
        let v = jnum(j, &format!("interrupts.{k}"))?;
        if v != 0 {
            return Err(format!("interrupts.{k} = {v}"));
        }
    }
    let line = j.pointer("/interrupts/line").and_then(Value::as_i64).ok_or("no interrupts.line")?;
    if mode == "interrupt" {
        let want = nic_line.ok_or("no Cchip line expected for the NIC")?;
        if line != want as i64 {
            return Err(format!("interrupts.line {line}, but the Clipper routes the 21143's slot (INTA) to Cchip line {want}"));
        }
        if taken == 0 || taken > frames + 64 {
            return Err(format!("{taken} NIC interrupts for {frames} frames moved"));
        }
        if ticks == 0 {
            return Err(String::from("no clock tick"));
        }
        if jnum(j, "interrupts.device")? < taken {
            return Err(format!("interrupts.device {} < NIC interrupts {taken}", jnum(j, "interrupts.device")?));
        }
        Ok(format!("interrupts on line {line}: {taken} from the NIC for {frames} frames, {ticks} clock ticks"))
    } else {
        if taken != 0 || line != -1 {
            return Err(format!("polled, yet line {line} and {taken} NIC interrupts"));
        }
        Ok(format!("polled: 0 NIC interrupts for {frames} frames"))
    }
}

/// The hexadecimal number after `key` (`key 0x1234`).
fn hex_after(line: &str, key: &str) -> Option<u32> {
    let rest = line[line.find(key)? + key.len()..].trim_start().strip_prefix("0x")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    u32::from_str_radix(&digits, 16).ok()
}

/// The kernel's `tulip: media:` line in QEMU: the MII PHY QEMU emulates
/// (address 1, ID 0x7810:0x0000), the mode autonegotiation must give for
/// the ANAR and ANLPAR it printed (802.3 28B.3 priority, computed here),
/// and CSR6 media bits that agree with that mode (PS for the MII, FD for
/// full duplex, TTM only at 10 Mb/s) and that the running CSR6 carries.
fn media_line(line: &str, up: &str) -> Result<String, String> {
    let text = &line[line.find("tulip: media: ").map_or(0, |i| i + 14)..];
    let head = text.strip_prefix("MII PHY ").ok_or(format!("not the MII PHY: {text:?}"))?;
    let addr: u32 = head.split(' ').next().and_then(|a| a.parse().ok()).ok_or(format!("no PHY address in {text:?}"))?;
    let id = text.split("(ID ").nth(1).and_then(|r| r.split(')').next()).ok_or(format!("no PHY ID in {text:?}"))?;
    let (id1, id2) = match id.split_once(':') {
        Some((a, b)) => (hex_after(a, ""), hex_after(b, "")),
        None => (None, None),
    };
    let (Some(id1), Some(id2)) = (id1, id2) else { return Err(format!("PHY ID {id:?} is not 0xHHHH:0xHHHH")) };
    if (addr, id1, id2) != (1, 0x7810, 0x0000) {
        return Err(format!("PHY {addr} ID {id1:#06x}:{id2:#06x}, expected QEMU's PHY 1 ID 0x7810:0x0000: {text:?}"));
    }
    let anar = hex_after(text, "(ANAR").ok_or(format!("no ANAR in {text:?}"))?;
    let anlpar = hex_after(text, "ANLPAR").ok_or(format!("no ANLPAR in {text:?}"))?;
    let modes = [
        (0x100, "100BASE-TX full duplex", true, 100),
        (0x200, "100BASE-T4", false, 100),
        (0x080, "100BASE-TX half duplex", false, 100),
        (0x040, "10BASE-T full duplex", true, 10),
        (0x020, "10BASE-T half duplex", false, 10),
    ];
    let &(_, name, fd, speed) =
        modes.iter().find(|m| anar & anlpar & m.0 != 0).ok_or(format!("ANAR {anar:#06x} & ANLPAR {anlpar:#06x} share no mode"))?;
    let want = format!("link up, autonegotiated {name} (ANAR {anar:#06x}, ANLPAR {anlpar:#06x})");
    if !text.contains(&want) {
        return Err(format!("expected {want:?} in {text:?}"));
    }
    let csr6 = hex_after(text, "CSR6").ok_or(format!("no CSR6 in {text:?}"))?;
    let (ps, fd_bit, ttm) = (1 << 18, 1 << 9, 1 << 22);
    if csr6 & ps == 0 || (csr6 & fd_bit != 0) != fd || (csr6 & ttm != 0) != (speed == 10) {
        return Err(format!("CSR6 media bits {csr6:#010x} do not fit {name} on the MII (PS, FD {fd}, TTM {})", speed == 10));
    }
    let running = hex_after(up, "CSR6").ok_or(format!("no CSR6 in {up:?}"))?;
    let media_mask = 0x01cc_0200; // PS HBD TTM PCS SCR FD
    if running & media_mask != csr6 {
        return Err(format!("the NIC runs with CSR6 {running:#010x}, media bits {:#010x}, not {csr6:#010x}", running & media_mask));
    }
    Ok(format!(
        "PHY {addr} ID {id1:#06x}:{id2:#06x}; ANAR {anar:#06x} & ANLPAR {anlpar:#06x} -> {name}, as the kernel says; CSR6 media {csr6:#010x}, running {running:#010x}"
    ))
}

/// The kernel's `net: interrupts:` line at the end of a run with
/// interrupts: the clock's measured rate near 1024 Hz (QEMU's RTC; allow
/// for a loaded host), and no spurious or unhandled interrupt.
fn interrupts_log(line: &str) -> Result<String, String> {
    let hz = line
        .split(" ms (")
        .nth(1)
        .and_then(|r| r.split(" Hz").next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or(format!("no clock rate in {line:?}"))?;
    if !(500..=1100).contains(&hz) {
        return Err(format!("clock at {hz} Hz, expected about 1024: {line:?}"));
    }
    for k in ["spurious", "unhandled"] {
        if number_after(line, k) != Some(0) {
            return Err(format!("{k} interrupts: {line:?}"));
        }
    }
    Ok(line[line.find("line ").unwrap_or(0)..].to_string())
}

fn check_status(j: &Value, b: &BootLog, min_echoed: u64) -> Result<String, String> {
    let eq = |path: &str, want: u64, what: &str| -> Result<(), String> {
        let got = jnum(j, path)?;
        if got != want {
            return Err(format!("{path} = {got}, but the kernel logged {what} {want}"));
        }
        Ok(())
    };
    eq("memory.cma.total_kb", b.cma_total_kb, "CmaTotal")?;
    eq("memory.memblock.total_pages", b.total_pages, "total pages")?;
    eq("memory.memblock.reserved_pages", b.reserved_pages, "reserved pages")?;
    eq("memory.memblock.cma_pages", b.cma_pages, "CMA pages")?;
    eq("memory.memblock.total_bytes", b.total_pages * 8192, "total pages x 8 KiB =")?;
    eq("memory.buddy.managed_pages", b.buddy_free + b.buddy_allocated, "buddy free + allocated at boot =")?;
    let free = jnum(j, "memory.buddy.free_pages")?;
    let blocks = j
        .pointer("/memory/buddy/free_blocks_per_order")
        .and_then(Value::as_array)
        .ok_or("no free_blocks_per_order array")?;
    if blocks.len() != 11 {
        return Err(format!("free_blocks_per_order has {} orders, not 11", blocks.len()));
    }
    let sum: u64 = blocks.iter().enumerate().map(|(o, n)| n.as_u64().unwrap_or(0) << o).sum();
    if sum != free {
        return Err(format!("free blocks per order add up to {sum} pages, free_pages is {free}"));
    }
    if free > b.net_start_buddy_free {
        return Err(format!("buddy free {free} pages is more than at net start ({})", b.net_start_buddy_free));
    }
    // The owners' pages, from the owner records, with the buddy free count
    // (a counter the owner records never read) make up the managed pages.
    let owners = j.pointer("/memory/owners").and_then(Value::as_object).ok_or("status.json has no memory.owners object")?;
    let owned: u64 = owners.values().map(|o| o.get("buddy_pages").and_then(Value::as_u64).unwrap_or(u64::MAX / 4)).sum();
    let managed = jnum(j, "memory.buddy.managed_pages")?;
    if free + owned != managed {
        return Err(format!("buddy free {free} + owners' buddy pages {owned} = {}, but {managed} pages are managed", free + owned));
    }
    let heap_owned = owners.get("heap").and_then(|o| o.get("buddy_pages")).and_then(Value::as_u64).unwrap_or(0);
    if heap_owned != jnum(j, "memory.heap.buddy_pages")? {
        return Err(format!("owner heap holds {heap_owned} pages, the heap says {}", jnum(j, "memory.heap.buddy_pages")?));
    }
    if !owners.contains_key("net-buffers") || !owners.contains_key("dma-coherent:tulip") || !owners.contains_key("iommu-tables") {
        return Err(format!("memory.owners lacks net-buffers, dma-coherent:tulip or iommu-tables: {owners:?}"));
    }
    let cma_free = jnum(j, "memory.cma.free_kb")?;
    if cma_free > b.cma_total_kb {
        return Err(format!("CMA free {cma_free} kB > total {}", b.cma_total_kb));
    }
    let mac = j.pointer("/nic/mac").and_then(Value::as_str).unwrap_or("");
    if mac != b.mac {
        return Err(format!("nic.mac {mac:?}, but the kernel logged {:?}", b.mac));
    }
    let (used, entries) = (jnum(j, "iommu.pci_used_entries")?, jnum(j, "iommu.pci_entries")?);
    if used > entries {
        return Err(format!("IOMMU: {used} of {entries} entries used"));
    }
    jnum(j, "iommu.isa_used_entries")?;
    jnum(j, "memory.heap.used_bytes")?;
    let dma = dma_consistent(j)?;
    let echoed = jnum(j, "net.udp_echoed")?;
    if echoed < min_echoed {
        return Err(format!("net.udp_echoed {echoed}, but {min_echoed} echoes were received"));
    }
    let rxp = jnum(j, "nic.rx_packets")?;
    if rxp < echoed {
        return Err(format!("nic.rx_packets {rxp} < udp_echoed {echoed}"));
    }
    for k in [
        "rx_errors",
        "tx_errors",
        "rx_runts",
        "rx_oversize",
        "rx_truncated",
        "dma_errors",
        "fatal_bus_errors",
        "desc_mismatch",
    ] {
        let v = jnum(j, &format!("nic.{k}"))?;
        if v != 0 {
            return Err(format!("nic.{k} = {v}"));
        }
    }
    if jnum(j, "dma_debug.problems")? != 0 {
        return Err(format!("DMA-API debug reported {} problems", jnum(j, "dma_debug.problems")?));
    }
    let irq = interrupts_json(j, "interrupt", Some(b.nic_line))?;
    Ok(format!(
        "{irq}; CmaTotal {} kB, pages {}/{}/{} (total/reserved/CMA), buddy managed {} free {}, MAC {}, {dma}, uptime {:.1} s",
        b.cma_total_kb,
        b.total_pages,
        b.reserved_pages,
        b.cma_pages,
        b.buddy_free + b.buddy_allocated,
        free,
        b.mac,
        jnum(j, "uptime_us")? as f64 / 1e6
    ))
}

fn udp_echo_test(port: u16, n: u64, seed: u64) -> Result<String, String> {
    let mut e = Echoer::new(port).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    for i in 0..n {
        let p = Echoer::payload(&mut rng, 1, udp::MAX_PAYLOAD);
        e.echo(i, &p);
    }
    let s = &e.stats;
    let secs = start.elapsed().as_secs_f64();
    let summary = format!(
        "{}/{} datagrams echoed byte for byte (sizes 1..={}, seed {seed:#x}, {} bytes), {} needed a resend ({} resends), {} late duplicates ignored, {:.1} s ({:.0} round trips/s)",
        s.ok,
        s.sent,
        udp::MAX_PAYLOAD,
        s.bytes,
        s.retried,
        s.resends,
        s.stale,
        secs,
        s.ok as f64 / secs
    );
    if !s.lost.is_empty() || !s.corrupt.is_empty() {
        let lost: Vec<String> = s.lost.iter().take(20).map(|(i, l)| format!("#{i} ({l} B)")).collect();
        let bad: Vec<String> = s.corrupt.iter().take(20).map(|(i, l, g)| format!("#{i} ({l} B, got {g} B)")).collect();
        return Err(format!(
            "{summary}; lost after {} resends: {} [{}]; wrong data: {} [{}]",
            e.retries,
            s.lost.len(),
            lost.join(", "),
            s.corrupt.len(),
            bad.join(", ")
        ));
    }
    Ok(summary)
}

fn udp_edge_sizes(port: u16) -> Result<String, String> {
    let mut e = Echoer::new(port).map_err(|e| e.to_string())?;
    let sizes = [1usize, 2, 3, 4, 5, 17, 18, 19, 26, 27, 45, 46, 47, 1000, 1470, 1471, 1472];
    let mut rng = Rng::new(7);
    let mut bad = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let mut p = vec![0u8; n];
        rng.fill(&mut p);
        if udp::is_command(&p) {
            p[0] ^= 0x80;
        }
        if !e.echo(i as u64, &p) {
            bad.push(n);
        }
    }
    if bad.is_empty() {
        Ok(format!(
            "sizes {sizes:?} (frames from 43 bytes, which QEMU's user network pads to 60 as a station's NIC does; the kernel drops shorter ones as runts) all echoed"
        ))
    } else {
        Err(format!("not echoed: sizes {bad:?}"))
    }
}

fn http_index(port: u16) -> Result<String, String> {
    let r = http::get(port, "/", Duration::from_secs(5))?;
    let ct = r.header("content-type").unwrap_or("");
    let body = r.text();
    if r.status != 200 || !ct.starts_with("text/html") {
        return Err(format!("GET /: status {}, content type {ct:?}", r.status));
    }
    for want in ["<!DOCTYPE html>", "alpha-unikernel", "buddy free pages", "CMA total", "rx_packets", "</html>"] {
        if !body.contains(want) {
            return Err(format!("GET /: the page lacks {want:?}"));
        }
    }
    Ok(format!("200, {ct}, {} bytes, Connection: {:?}", r.body.len(), r.header("connection").unwrap_or("")))
}

fn http_errors(port: u16) -> Result<String, String> {
    let r = http::get(port, "/no-such-page", Duration::from_secs(5))?;
    if r.status != 404 {
        return Err(format!("GET /no-such-page: status {}", r.status));
    }
    let mut s = http::connect(port, Duration::from_secs(5))?;
    let r2 = http::exchange(&mut s, b"BREW /coffee HTCPCP/1.0\r\n\r\n")?;
    let mut s = http::connect(port, Duration::from_secs(5))?;
    let r3 = http::exchange(&mut s, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")?;
    if r2.status != 400 || r3.status != 405 {
        return Err(format!("bad request line: {} (want 400); POST: {} (want 405)", r2.status, r3.status));
    }
    Ok(String::from("404 for an unknown path, 400 for a bad request line, 405 for POST"))
}

fn http_keepalive(port: u16, n: usize) -> Result<String, String> {
    let mut s = http::connect(port, Duration::from_secs(5))?;
    let start = Instant::now();
    for i in 0..n {
        let path = if i % 2 == 0 { "/status.json" } else { "/" };
        let r = http::exchange(&mut s, &http::request_bytes(path, true)).map_err(|e| format!("request {i}: {e}"))?;
        if r.status != 200 {
            return Err(format!("request {i} ({path}): status {}", r.status));
        }
        if path == "/status.json" {
            serde_json::from_slice::<Value>(&r.body).map_err(|e| format!("request {i}: JSON: {e}"))?;
        }
    }
    Ok(format!("{n} requests on one connection in {:.2} s", start.elapsed().as_secs_f64()))
}

/// Stops the kernel from polling, floods it, and checks that it survives
/// the full receive ring, counts it, and echoes normally afterwards.
fn ring_full(port: u16, http_port: u16) -> Result<String, String> {
    let before = jnum(&status_json(http_port)?, "nic.rx_ring_full")?;
    let mut e = Echoer::new(port).map_err(|e| e.to_string())?;
    let burst = 100u32;
    e.send_only(b"STALL 500");
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..burst {
        let mut p = vec![0u8; 600];
        p[..4].copy_from_slice(&i.to_le_bytes());
        e.send_only(&p);
    }
    let got = e.drain(Duration::from_millis(1500));
    let stall_echo = got.iter().any(|g| g == b"STALL 500");
    let echoed = got.iter().filter(|g| g.len() == 600).count();
    let j = status_json(http_port)?;
    let after = jnum(&j, "nic.rx_ring_full")?;
    let mut rng = Rng::new(99);
    let mut e2 = Echoer::new(port).map_err(|e| e.to_string())?;
    for i in 0..50 {
        let p = Echoer::payload(&mut rng, 1, udp::MAX_PAYLOAD);
        e2.echo(i, &p);
    }
    let detail = format!(
        "STALL echoed: {stall_echo}; {echoed}/{burst} burst datagrams echoed; rx_ring_full {before} -> {after}; afterwards {}/50 echoed",
        e2.stats.ok
    );
    if !stall_echo || after <= before || echoed == 0 || echoed >= burst as usize || e2.stats.ok != 50 {
        return Err(detail);
    }
    dma_consistent(&j).map(|d| format!("{detail}; {d}"))
}

/// Mixed UDP and HTTP traffic from three threads for `secs` seconds.
fn soak(port: u16, http_port: u16, secs: u64, seed: u64) -> Result<String, String> {
    let j0 = status_json(http_port)?;
    let free0 = jnum(&j0, "memory.buddy.free_pages")?;
    let stop = Arc::new(AtomicBool::new(false));
    let end = Instant::now() + Duration::from_secs(secs);
    let s1 = stop.clone();
    let udp_t = std::thread::spawn(move || {
        let mut e = Echoer::new(port).expect("UDP socket");
        let mut rng = Rng::new(seed ^ 0x50a4);
        let mut i = 0;
        while !s1.load(Ordering::Relaxed) && Instant::now() < end {
            let p = Echoer::payload(&mut rng, 1, udp::MAX_PAYLOAD);
            e.echo(i, &p);
            i += 1;
        }
        e.stats
    });
    let mut http_threads = Vec::new();
    for keep_alive in [false, true] {
        let s2 = stop.clone();
        http_threads.push(std::thread::spawn(move || {
            let (mut ok, mut failed, mut errors) = (0u64, 0u64, Vec::new());
            let mut conn = None;
            let mut i = 0u64;
            while !s2.load(Ordering::Relaxed) && Instant::now() < end {
                let path = ["/", "/status.json", "/nope"][(i % 3) as usize];
                let want = if path == "/nope" { 404 } else { 200 };
                let r = if keep_alive {
                    if conn.is_none() {
                        conn = http::connect(http_port, Duration::from_secs(5)).ok();
                    }
                    match conn.as_mut() {
                        Some(c) => http::exchange(c, &http::request_bytes(path, true)),
                        None => Err(String::from("connect failed")),
                    }
                } else {
                    http::get(http_port, path, Duration::from_secs(5))
                };
                match r {
                    Ok(r) if r.status == want => ok += 1,
                    Ok(r) => {
                        failed += 1;
                        errors.push(format!("{path}: status {}", r.status));
                    }
                    Err(e) => {
                        failed += 1;
                        conn = None;
                        errors.push(format!("{path}: {e}"));
                    }
                }
                i += 1;
            }
            (ok, failed, errors)
        }));
    }
    let u = udp_t.join().map_err(|_| "UDP thread panicked")?;
    let mut h = (0, 0, Vec::new());
    for t in http_threads {
        let (o, f, e) = t.join().map_err(|_| "HTTP thread panicked")?;
        h.0 += o;
        h.1 += f;
        h.2.extend(e);
    }
    stop.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));
    let j1 = status_json(http_port)?;
    let free1 = jnum(&j1, "memory.buddy.free_pages")?;
    let dma = dma_consistent(&j1)?;
    let detail = format!(
        "{secs} s: UDP {}/{} echoed ({} resent, {} lost, {} wrong), HTTP {} ok / {} failed; buddy free {free0} -> {free1}; {dma}",
        u.ok,
        u.sent,
        u.retried,
        u.lost.len(),
        u.corrupt.len(),
        h.0,
        h.1
    );
    if !u.lost.is_empty() || !u.corrupt.is_empty() || h.1 > 0 || free0 != free1 || u.ok == 0 || h.0 == 0 {
        let errs: Vec<_> = h.2.iter().take(5).cloned().collect();
        return Err(format!("{detail}; HTTP errors: {errs:?}; lost: {:?}", &u.lost[..u.lost.len().min(10)]));
    }
    Ok(detail)
}

/// The MAC text in the `tulip: up: ..., MAC 52:54:00:12:34:56, ...` line.
fn mac_in_up_line(up: &str) -> Option<&str> {
    up.split("MAC ").nth(1).and_then(|r| r.split(',').next())
}

/// The station address the kernel's NIC came up with, from its log.
fn kernel_mac(vm: &Vm) -> Result<[u8; 6], String> {
    let up = vm.find("tulip: up:").ok_or("no `tulip: up:` line")?;
    let s = mac_in_up_line(&up).ok_or("no MAC in the `tulip: up:` line")?;
    let v: Vec<u8> = s.split(':').filter_map(|h| u8::from_str_radix(h, 16).ok()).collect();
    v.try_into().map_err(|_| format!("{s:?} is not a MAC address"))
}

/// Frame sizes (without CRC) for each kind the NIC must drop: runts (14 to
/// 59 bytes: under 64 with the CRC; QEMU's model passes anything from 14),
/// oversized frames that still fit one 1536-byte receive buffer (1519 to
/// 1532: above the 1522 of a VLAN-tagged frame), and frames that spill
/// into a second descriptor (1533 to 2044, the longest QEMU's model takes).
/// Each range's ends are always in; the rest are drawn from `rng`.
fn raw_sizes(rng: &mut Rng) -> [(&'static str, Vec<usize>); 3] {
    let mut pick = |lo: usize, hi: usize, n: usize| {
        let mut v = vec![lo, hi];
        v.extend((2..n).map(|_| rng.range(lo, hi)));
        v
    };
    [("rx_runts", pick(14, 59, 20)), ("rx_oversize", pick(1519, 1532, 10)), ("rx_truncated", pick(1533, 2044, 10))]
}

/// Frames QEMU's user network never sends, injected through the raw port
/// (the test is the NIC's whole segment, see [`raw`]): runts, oversized and
/// descriptor-spanning frames (`raw_sizes`), then 200 frames of garbage,
/// ICMP echo requests from the test's station (answered byte for byte),
/// and UDP echo of random datagrams. Returns the detail and how many frames
/// of each kind were sent, for [`raw_counters`] after the stop.
fn raw_frames(vm: &Vm, seed: u64) -> Result<(String, Vec<(&'static str, u64)>), String> {
    let port = vm.raw.as_ref().ok_or("QEMU was started without the raw port")?;
    let mac = kernel_mac(vm)?;
    let mut rng = Rng::new(seed);
    let pace = || std::thread::sleep(Duration::from_millis(3));
    let mut sent = Vec::new();
    for (counter, sizes) in raw_sizes(&mut rng) {
        for &n in &sizes {
            let mut body = vec![0u8; n - raw::ETH_HLEN];
            rng.fill(&mut body);
            port.send(&raw::ethernet_unpadded(mac, raw::STATION_MAC, raw::ETH_IPV4, &body))?;
            pace();
        }
        sent.push((counter, sizes.len() as u64));
    }
    // Garbage of legal sizes, to the kernel and to everyone: IPv4 packets
    // of random bytes (a wrong header checksum, or a right one over
    // nonsense) and random EtherTypes.
    let garbage = 200u64;
    for i in 0..garbage {
        let mut body = vec![0u8; rng.range(46, 1500)];
        rng.fill(&mut body);
        let ethertype = if i % 2 == 0 {
            body[0] = 0x45;
            body[10..12].copy_from_slice(&[0, 0]);
            let c = raw::checksum(&body[..20]) ^ if i % 4 == 0 { 0x5a5a } else { 0 };
            body[10..12].copy_from_slice(&c.to_be_bytes());
            raw::ETH_IPV4
        } else {
            (rng.next() as u16) | 0x0600
        };
        let dst = if i % 8 == 1 { [0xff; 6] } else { mac };
        port.send(&raw::ethernet(dst, raw::STATION_MAC, ethertype, &body))?;
        pace();
    }
    sent.push(("rx_packets", garbage));
    let mut d: Vec<String> =
        sent.iter().map(|(k, n)| format!("{n} {}", if *k == "rx_packets" { "garbage" } else { k })).collect();

    // ICMP echo from the test's station; the kernel learns its MAC by ARP
    // (answered by the port's thread), so a request may be resent once.
    let mut rtts = Vec::new();
    for (i, size) in [0usize, 56, 1000, 1472].into_iter().enumerate() {
        let mut data = vec![0u8; size];
        rng.fill(&mut data);
        let (id, seq) = (0x4e54, i as u16 + 1);
        let req = raw::ethernet(
            mac,
            raw::STATION_MAC,
            raw::ETH_IPV4,
            &raw::ipv4(raw::STATION_IP, raw::GUEST_IP, raw::IP_ICMP, seq, &raw::icmp_echo(8, id, seq, &data)),
        );
        let t = Instant::now();
        let (answer, _) = port.ask(&req, 4, |f| match raw::echo_reply(f) {
            Some(Ok(r)) if r.id == id && r.seq == seq => Some(Ok(r)),
            Some(Err(e)) => Some(Err(e)),
            _ => None,
        })?;
        let r = answer.ok_or(format!("no ICMP echo reply to a {size}-byte request (seq {seq}) in 2 s"))??;
        if r.src_mac != mac
            || r.dst_mac != raw::STATION_MAC
            || r.src_ip != raw::GUEST_IP
            || r.dst_ip != raw::STATION_IP
            || r.data != data
        {
            return Err(format!(
                "ICMP echo reply to seq {seq} ({size} bytes) is wrong: {:02x?} -> {:02x?}, {:?} -> {:?}, {} bytes of data{}",
                r.src_mac,
                r.dst_mac,
                r.src_ip,
                r.dst_ip,
                r.data.len(),
                if r.data.len() == data.len() { " (contents differ)" } else { "" }
            ));
        }
        rtts.push(format!("{size} B in {} us", t.elapsed().as_micros()));
    }
    d.push(format!("ICMP echo from 10.0.2.99 answered byte for byte ({})", rtts.join(", ")));

    // UDP echo from the station, every datagram checked.
    let n = 300;
    let mut resent = 0;
    for i in 0..n {
        let mut data = vec![0u8; rng.range(1, udp::MAX_PAYLOAD)];
        rng.fill(&mut data);
        if udp::is_command(&data) {
            data.push(0);
        }
        let sport = 40000 + (i % 1000) as u16;
        let frame = raw::ethernet(
            mac,
            raw::STATION_MAC,
            raw::ETH_IPV4,
            &raw::udp(raw::STATION_IP, sport, raw::GUEST_IP, 7, i as u16, &data),
        );
        let (echoed, again) = port.ask(&frame, 3, |f| match raw::datagram(f) {
            Some(Ok(u)) if u.dst == (raw::STATION_IP, sport) => Some(Ok(u)),
            Some(Err(e)) => Some(Err(e)),
            _ => None,
        })?;
        resent += again;
        let u = echoed.ok_or(format!("datagram {i} ({} bytes) not echoed after 3 sends", data.len()))??;
        if u.src != (raw::GUEST_IP, 7) || u.data != data {
            return Err(format!(
                "datagram {i}: echo from {:?} with {} bytes, sent {} bytes{}",
                u.src,
                u.data.len(),
                data.len(),
                if u.data.len() == data.len() { " (contents differ)" } else { "" }
            ));
        }
    }
    d.push(format!("{n} UDP datagrams of 1-1472 bytes echoed byte for byte ({resent} resent)"));
    Ok((d.join("; "), sent))
}

/// After the raw-frame run's stop: the counters the kernel logged must show
/// exactly the bad frames sent (nothing else on the segment makes them),
/// every one dropped, and at least the garbage taken as packets.
fn raw_counters(vm: &Vm, sent: &[(&str, u64)]) -> Result<String, String> {
    let line = vm.find("tulip: counters:").ok_or("no `tulip: counters:` line")?;
    let logged = |k: &str| number_after(&line, k).ok_or(format!("no number after {k:?} in {line:?}"));
    let mut d = Vec::new();
    let mut bad = 0;
    for &(json, n) in sent {
        let key = match json {
            "rx_runts" => "runts",
            "rx_oversize" => "oversize",
            "rx_truncated" => "truncated",
            _ => continue,
        };
        let got = logged(key)?;
        if got != n {
            return Err(format!("{key} {got} for {n} such frames sent: {line}"));
        }
        bad += n;
        d.push(format!("{key} {got}"));
    }
    let (dropped, errors, mismatches) = (logged("rx dropped")?, logged("rx errors")?, logged("descriptor mismatches")?);
    if dropped != bad || errors != 0 || mismatches != 0 {
        return Err(format!("rx dropped {dropped} for {bad} bad frames, rx errors {errors}, descriptor mismatches {mismatches}"));
    }
    let garbage = sent.iter().find(|(k, _)| *k == "rx_packets").map_or(0, |s| s.1);
    let packets = logged("counters: rx")?;
    if packets < garbage {
        return Err(format!("rx packets {packets} < {garbage} garbage frames sent"));
    }
    Ok(format!("logged: {}, rx dropped {dropped}, rx errors 0; rx packets {packets}", d.join(", ")))
}

/// The counters the kernel logged when it stopped against the last
/// status.json: the drop counters must be equal (nothing bad arrived
/// since), the traffic counters no smaller.
fn counters_match_json(vm: &Vm, j: &Value) -> Result<String, String> {
    let line = vm.find("tulip: counters:").ok_or("no `tulip: counters:` line")?;
    let logged = |k: &str| number_after(&line, k).ok_or(format!("no number after {k:?} in {line:?}"));
    let mut d = Vec::new();
    for (json, key) in [("rx_runts", "runts"), ("rx_oversize", "oversize"), ("rx_truncated", "truncated")] {
        let (l, j) = (logged(key)?, jnum(j, &format!("nic.{json}"))?);
        if l != j {
            return Err(format!("logged {key} {l}, status.json {json} {j}"));
        }
        d.push(format!("{key} {l}"));
    }
    for (json, key) in [("rx_packets", "counters: rx"), ("tx_packets", "bytes, tx")] {
        let (l, j) = (logged(key)?, jnum(j, &format!("nic.{json}"))?);
        if l < j {
            return Err(format!("logged {json} {l} < status.json's earlier {j}"));
        }
        d.push(format!("{json} {l} >= {j}"));
    }
    Ok(format!("log agrees with status.json: {}", d.join(", ")))
}

/// How a test asks the kernel to stop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StopVia {
    /// UDP `STOP` through the forwarded port.
    Udp,
    /// `GET /shutdown`.
    Http,
    /// UDP `STOP` from the test's station on the raw port.
    Raw,
}

fn stop_and_check_log(vm: &mut Vm, via: StopVia) -> Result<String, String> {
    if via == StopVia::Raw {
        let port = vm.raw.as_ref().ok_or("QEMU was started without the raw port")?;
        let mac = kernel_mac(vm)?;
        let stop = raw::udp(raw::STATION_IP, 39999, raw::GUEST_IP, 7, 0x5709, b"STOP");
        port.send(&raw::ethernet(mac, raw::STATION_MAC, raw::ETH_IPV4, &stop))?;
        let echoed = port.until(Instant::now() + Duration::from_secs(3), |f| {
            raw::datagram(f).and_then(|u| u.ok()).filter(|u| u.data == b"STOP").map(|_| ())
        });
        echoed.ok_or("STOP (from the raw port) was not echoed")?;
    } else if via == StopVia::Http {
        let r = http::get(vm.http_port, "/shutdown", Duration::from_secs(5))?;
        if r.status != 200 {
            return Err(format!("GET /shutdown: status {}", r.status));
        }
    } else {
        let mut e = Echoer::new(vm.udp_port).map_err(|e| e.to_string())?;
        e.retries = 0;
        e.timeout = Duration::from_secs(3);
        if !e.echo(0, b"STOP") {
            return Err(String::from("STOP was not echoed"));
        }
    }
    if !vm.wait_exit(Duration::from_secs(30)) {
        return Err(String::from("the kernel did not halt within 30 s of the stop request"));
    }
    let log = vm.lines();
    let has = |s: &str| log.iter().find(|l| l.contains(s)).cloned();
    let want = if via == StopVia::Http { "net: stop requested (GET /shutdown)" } else { "net: stop requested (UDP" };
    has(want).ok_or(format!("no {want:?} line"))?;
    let end = has("net: end:").ok_or("no `net: end:` line")?;
    if !end.ends_with("all back") {
        return Err(format!("not everything was given back: {end}"));
    }
    let (now, start) = (number_after(&end, "buddy free"), number_after(&end, "(start"));
    if now.is_none() || now != start {
        return Err(format!("buddy free count not back: {end}"));
    }
    has("DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all")
        .ok_or("no `DMA-API debug: 0 mappings live at shutdown, 0 problems` line")?;
    has("ready; halting").ok_or("the kernel did not reach `ready; halting`")?;
    let console = console_check(&log.join("\n"), vm.allowed)?;
    let irq = match has("net: interrupts: line") {
        Some(l) => interrupts_log(&l)?,
        None => {
            let l = has("net: interrupts: none").ok_or("no `net: interrupts:` line")?;
            l[l.find("interrupts:").unwrap_or(0)..].to_string()
        }
    };
    let counters = has("tulip: counters:").unwrap_or_default();
    let counters = counters.split("tulip: counters: ").nth(1).unwrap_or("").to_string();
    Ok(format!(
        "halted; buddy free {} pages as at start, DMA-API debug 0 mappings live, 0 problems; {irq}; {counters}; {console}",
        now.unwrap_or(0)
    ))
}

/// A whole boot's console, held to the runner's rule: no trap or panic
/// report (`*** `), no `ERROR`/`WARN` line but those `allowed` lists, and
/// every one of those present.
fn console_check(log: &str, allowed: &[&str]) -> Result<String, String> {
    if let Some(bad) = log.lines().find(|l| l.contains("*** ")) {
        return Err(format!("the log has {bad:?}"));
    }
    let d = qemu_common::check_warnings(log, allowed)?;
    Ok(if d.is_empty() { String::from("no ERROR/WARN line") } else { d.trim_start_matches(", ").to_string() })
}

/// Boots the kernel with `append` and waits for `net: ready`. `allowed`:
/// the `ERROR`/`WARN` lines this boot expects (substrings), checked with
/// the rest of the console when it stops ([`console_check`]).
fn boot(r: &mut Report, a: &Args, name: &str, append: &str, allowed: &'static [&'static str]) -> Option<Vm> {
    boot_with(r, a, name, append, false, allowed)
}

/// [`boot`], with the NIC on a raw frame port instead if `raw` (see [`raw`]).
fn boot_with(
    r: &mut Report,
    a: &Args,
    name: &str,
    append: &str,
    raw: bool,
    allowed: &'static [&'static str],
) -> Option<Vm> {
    let log = a.logs.join(format!("{name}.log"));
    let append = &format!("{append} {}", a.append).trim().to_string();
    let mut vm = match Vm::start(&a.qemu, &a.kernel, append, log, raw, allowed) {
        Ok(vm) => vm,
        Err(e) => {
            r.check(&format!("{name}: boot"), Err(e));
            return None;
        }
    };
    let ready = vm.wait_for("net: ready", Duration::from_secs(90));
    let ok = r.check(
        &format!("{name}: boot"),
        match ready {
            Some(l) => Ok(format!(
                "`-append \"{append}\"`, ready after {:.1} s, {} (log {})",
                vm.seconds(),
                if vm.raw.is_some() {
                    String::from("the NIC on a raw frame port on 127.0.0.1")
                } else {
                    format!("UDP 127.0.0.1:{} -> :7, TCP 127.0.0.1:{} -> :80", vm.udp_port, vm.http_port)
                },
                vm.log_path.display()
            ) + &l[l.find("net: ready").unwrap_or(0) + 10..l.find(',').unwrap_or(l.len())]),
            None => Err(format!("no `net: ready` within 90 s; see {}", vm.log_path.display())),
        },
    );
    ok.then_some(vm)
}

fn bench(a: &Args, vm: &Vm) {
    let secs = Duration::from_secs(a.bench_secs);
    for size in [64usize, 1472] {
        let mut e = Echoer::new(vm.udp_port).expect("UDP socket");
        let mut rng = Rng::new(a.seed);
        let mut p = vec![0u8; size];
        rng.fill(&mut p);
        let start = Instant::now();
        let mut rtts = Vec::new();
        let mut i = 0;
        while start.elapsed() < secs {
            let t = Instant::now();
            if e.echo(i, &p) {
                rtts.push(t.elapsed().as_micros() as u64);
            }
            i += 1;
        }
        rtts.sort_unstable();
        let el = start.elapsed().as_secs_f64();
        println!(
            "bench: UDP echo {size} B: {:.0} round trips/s ({} in {el:.1} s; RTT median {} us, p99 {} us; lost {})",
            rtts.len() as f64 / el,
            rtts.len(),
            rtts.get(rtts.len() / 2).copied().unwrap_or(0),
            rtts.get(rtts.len() * 99 / 100).copied().unwrap_or(0),
            e.stats.lost.len()
        );
    }
    for (keep_alive, path) in [(false, "/status.json"), (true, "/status.json"), (true, "/")] {
        let start = Instant::now();
        let (mut ok, mut failed) = (0u64, 0u64);
        let mut conn = None;
        while start.elapsed() < secs {
            let r = if keep_alive {
                if conn.is_none() {
                    conn = http::connect(vm.http_port, Duration::from_secs(5)).ok();
                }
                match conn.as_mut() {
                    Some(c) => http::exchange(c, &http::request_bytes(path, true)),
                    None => Err(String::new()),
                }
            } else {
                http::get(vm.http_port, path, Duration::from_secs(5))
            };
            match r {
                Ok(r) if r.status == 200 => ok += 1,
                _ => {
                    failed += 1;
                    conn = None;
                }
            }
        }
        let el = start.elapsed().as_secs_f64();
        println!(
            "bench: HTTP GET {path} ({}): {:.0} requests/s ({ok} in {el:.1} s, {failed} failed)",
            if keep_alive { "one keep-alive connection" } else { "new connection per request" },
            ok as f64 / el
        );
    }
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("net-test: {e}");
            eprintln!(
                "usage: net-test --kernel PATH [--datagrams N] [--seed S] [--soak SECONDS] [--bench [--bench-secs S]] [--append \"KERNEL PARAMS\"] [--logs DIR] [--qemu BINARY]"
            );
            std::process::exit(2);
        }
    };
    let mut r = Report::default();
    let t0 = Instant::now();

    if let Some(mut vm) = boot(&mut r, &a, "net", "net net_time=3600 net_debug_hooks", &[]) {
        let bl = boot_log(&vm);
        r.check(
            "nic-up",
            match (&bl, vm.find("tulip: up:")) {
                (Ok(b), Some(l)) => Ok(format!("MAC {}; {}", b.mac, &l[l.find("RX ring").unwrap_or(0)..])),
                (Err(e), _) => Err(e.clone()),
                (_, None) => Err(String::from("no `tulip: up:` line")),
            },
        );
        r.check(
            "nic-media",
            match (vm.find("tulip: media:"), vm.find("tulip: up:")) {
                (Some(m), Some(up)) => media_line(&m, &up),
                _ => Err(String::from("no `tulip: media:` or `tulip: up:` line")),
            },
        );
        let pings: Vec<String> = [56, 1400]
            .iter()
            .map(|n| vm.find(&format!("net: ping 10.0.2.2 ({n} bytes)")).unwrap_or_default())
            .collect();
        r.check(
            "gateway-ping",
            if pings.iter().all(|l| l.contains("reply in")) {
                Ok(pings
                    .iter()
                    .map(|l| l[l.find("net: ping").unwrap_or(0)..].to_string())
                    .collect::<Vec<_>>()
                    .join("; "))
            } else {
                Err(format!("{pings:?}"))
            },
        );
        if a.bench {
            bench(&a, &vm);
        } else {
            let mut echoed = 0;
            if a.want("udp-edge-sizes") {
                r.check("udp-edge-sizes", udp_edge_sizes(vm.udp_port));
            }
            if a.want("udp-echo") {
                r.check("udp-echo", udp_echo_test(vm.udp_port, a.datagrams, a.seed));
                echoed = a.datagrams;
            }
            if a.want("http-index") {
                r.check("http-index", http_index(vm.http_port));
            }
            if a.want("http-status-json") {
                r.check(
                    "http-status-json",
                    match &bl {
                        Ok(b) => status_json(vm.http_port).and_then(|j| check_status(&j, b, echoed)),
                        Err(e) => Err(e.clone()),
                    },
                );
            }
            if a.want("http-errors") {
                r.check("http-errors", http_errors(vm.http_port));
            }
            if a.want("http-keepalive") {
                r.check("http-keepalive", http_keepalive(vm.http_port, 50));
            }
            if a.want("rx-ring-full") {
                r.check("rx-ring-full", ring_full(vm.udp_port, vm.http_port));
            }
            if a.soak > 0 && a.want("soak") {
                r.check("soak", soak(vm.udp_port, vm.http_port, a.soak, a.seed));
            }
        }
        // The counters in the last status.json, against those the kernel
        // logs when it stops.
        let last = status_json(vm.http_port);
        r.check("stop-udp", stop_and_check_log(&mut vm, StopVia::Udp));
        if !a.bench {
            r.check("counters-log-json", last.and_then(|j| counters_match_json(&vm, &j)));
        }
    }

    if !a.bench && a.want("rx-truncated") {
        // Receive buffers of 512 bytes: longer frames span descriptors.
        // Also the polled fallback (`net_irq=off`): nothing else differs.
        if let Some(mut vm) = boot(
            &mut r,
            &a,
            "net-rxbuf512",
            "net net_time=600 net_rxbuf=512 net_irq=off",
            // The start-up ping's 1400-byte reply spans two 512-byte buffers.
            &["net: ping 10.0.2.2 (1400 bytes): no reply within 1 s"],
        ) {
            let res = (|| {
                let ping = vm.find("net: ping 10.0.2.2 (1400 bytes)").unwrap_or_default();
                if !ping.contains("no reply") {
                    return Err(format!("the 1400-byte ping reply should have been dropped: {ping:?}"));
                }
                let mut e = Echoer::new(vm.udp_port).map_err(|e| e.to_string())?;
                e.retries = 0;
                e.timeout = Duration::from_millis(700);
                let big = vec![0x5au8; 1000];
                let small = vec![0xa5u8; 400];
                let big_echoed = e.echo(0, &big);
                e.retries = 3;
                let small_echoed = e.echo(1, &small);
                let j = status_json(vm.http_port)?;
                let (trunc, dropped) = (jnum(&j, "nic.rx_truncated")?, jnum(&j, "nic.rx_dropped")?);
                let dma = dma_consistent(&j)?;
                let irq = interrupts_json(&j, "polled", None)?;
                let d = format!(
                    "1400-byte ping reply dropped; 1000-byte datagram echoed: {big_echoed}; 400-byte datagram echoed: {small_echoed}; rx_truncated {trunc}, rx_dropped {dropped}; {dma}; {irq}"
                );
                if big_echoed || !small_echoed || trunc < 2 || dropped < trunc {
                    return Err(d);
                }
                Ok(d)
            })();
            r.check("rx-truncated", res);
            r.check("stop-http", stop_and_check_log(&mut vm, StopVia::Http));
        }
    }

    if !a.bench && a.want("irq-wrong-line") {
        // A NIC interrupt routed to a line nobody raises (13): the kernel
        // must notice after the start-up pings and fall back to polling.
        if let Some(mut vm) = boot(&mut r, &a, "net-irq13", "net net_time=600 net_irq=13", &["no interrupt on Cchip line 13"]) {
            let res = (|| {
                let warn = vm
                    .find("no interrupt on Cchip line 13")
                    .ok_or("no warning that line 13 delivered no interrupt")?;
                if !warn.contains("falling back to polling") {
                    return Err(format!("no fallback in {warn:?}"));
                }
                let d = udp_echo_test(vm.udp_port, 300, a.seed ^ 13)?;
                let j = status_json(vm.http_port)?;
                let irq = interrupts_json(&j, "polled", None)?;
                Ok(format!("fell back to polling; {d}; {irq}"))
            })();
            r.check("irq-wrong-line", res);
            r.check("stop-irq13", stop_and_check_log(&mut vm, StopVia::Udp));
        }
    }

    if !a.bench && a.want("raw-frames") {
        // The NIC also on a raw port: runts, oversized and spanning frames,
        // garbage, ICMP echo from a station of ours.
        if let Some(mut vm) = boot_with(&mut r, &a, "net-raw", "net net_time=600", true, &[]) {
            match raw_frames(&vm, a.seed ^ 0x7a) {
                Ok((d, sent)) => {
                    r.check("raw-frames", Ok(d));
                    if r.check("stop-raw", stop_and_check_log(&mut vm, StopVia::Raw)) {
                        r.check("raw-counters", raw_counters(&vm, &sent));
                    } else {
                        r.skip("raw-counters", "the kernel did not stop cleanly (stop-raw)");
                    }
                }
                Err(e) => {
                    r.check("raw-frames", Err(e));
                }
            }
        }
    }

    if !a.bench && a.want("hardening") {
        // Issue 13: no debug hooks, the first connection's buffers not
        // available (it asks for 1 GiB), floods of requests, connections
        // and garbage.
        if let Some(mut vm) = boot(&mut r, &a, "net-hardening", "net net_time=900 net_http_fail=1", &[]) {
            let port = vm.http_port;
            r.check("http-alloc-503", hardening::alloc_503(port));
            r.check("udp-stall-off", hardening::stall_off(vm.udp_port, port));
            match status_json(port).and_then(|j| hardening::heap_of(&j)) {
                Ok(heap0) => {
                    r.check("http-pipeline-flood", hardening::pipeline_flood(port, heap0));
                    r.check("http-pipeline-read", hardening::pipeline_read(port));
                    let held = match hardening::abandoned(port) {
                        Ok((d, held)) => {
                            r.check("http-abandoned", Ok(d));
                            held
                        }
                        Err(e) => {
                            r.check("http-abandoned", Err(e));
                            Vec::new()
                        }
                    };
                    r.check("http-garbage", hardening::garbage(port, a.seed ^ 0x6a4b));
                    drop(held);
                    r.check("http-heap-back", hardening::heap_back(port, heap0));
                }
                Err(e) => {
                    r.check("http-heap-start", Err(e));
                }
            }
            let last = status_json(port);
            r.check("stop-hardening", stop_and_check_log(&mut vm, StopVia::Udp));
            r.check("hardening-stop-log", last.and_then(|j| hardening::stop_log(&vm.lines(), &j)));
        }
    }

    println!("net-test: {:.1} s", t0.elapsed().as_secs_f64());
    println!("{} passed, {} failed, {} skipped", r.passed, r.failed, r.skipped);
    std::process::exit(if r.failed == 0 { 0 } else { 1 });
}

#[cfg(test)]
mod tests {
    use super::{console_check, interrupts_json, media_line};

    const UP: &str = "INFO  tulip: up: 00:01.0 via BAR1 memory 0x12001000, MAC 52:54:00:12:34:56, RX ring 32 x 1536 B, TX ring 32, rings in the direct window, CSR6 0x022c2202";
    const MEDIA: &str = "INFO  tulip: media: MII PHY 1 (ID 0x7810:0x0000): link up, autonegotiated 100BASE-TX full duplex (ANAR 0x0501, ANLPAR 0x4181); CSR6 0x000c0200 [PS HBD FD]; BMCR 0x3100 BMSR 0x702c";

    #[test]
    fn media_line_recomputes_the_mode() {
        assert!(media_line(MEDIA, UP).is_ok(), "{:?}", media_line(MEDIA, UP));
        // A mode the numbers do not give, a PHY that is not QEMU's, CSR6
        // bits that do not fit, a running CSR6 without them.
        let wrong_mode = MEDIA.replace("ANAR 0x0501", "ANAR 0x0081");
        assert!(media_line(&wrong_mode, UP).unwrap_err().contains("autonegotiated 100BASE-TX half duplex"));
        assert!(media_line(&MEDIA.replace("PHY 1 ", "PHY 2 "), UP).is_err());
        assert!(media_line(&MEDIA.replace("0x7810:", "0x7811:"), UP).is_err());
        assert!(media_line(&MEDIA.replace("CSR6 0x000c0200", "CSR6 0x000c0000"), UP).is_err());
        assert!(media_line(MEDIA, &UP.replace("0x022c2202", "0x02202002")).is_err());
        assert!(media_line("INFO  tulip: media: SIA 10BASE-T half duplex: ...", UP).is_err());
    }

    #[test]
    fn console_is_strict() {
        let log = "[    0.000100] INFO  net: ready\n[    0.000200] WARN  net: 12 frames received but no interrupt on Cchip line 13 (...): falling back to polling at IPL 7\n";
        assert!(console_check(log, &["no interrupt on Cchip line 13"]).unwrap().contains("1 ERROR/WARN line(s), all expected"));
        assert!(console_check(log, &[]).unwrap_err().contains("unexpected log line"));
        assert!(console_check("[    0.000100] INFO  net: ready\n", &["no interrupt"]).unwrap_err().contains("lists as expected"));
        assert!(console_check("*** TRAP: x\n", &[]).is_err());
        assert_eq!(console_check("[    0.000100] INFO  x\n", &[]).unwrap(), "no ERROR/WARN line");
    }

    #[test]
    fn the_interrupt_line_follows_the_slot() {
        let j: serde_json::Value = serde_json::from_str(
            r#"{"interrupts": {"mode": "interrupt", "line": 8, "nic_taken": 10, "clock_ticks": 100, "device": 10,
                "spurious": 0, "unhandled": 0, "nic_not_ours": 0}, "nic": {"rx_packets": 20, "tx_packets": 20}}"#,
        )
        .unwrap();
        assert!(interrupts_json(&j, "interrupt", Some(8)).is_ok());
        assert!(interrupts_json(&j, "interrupt", Some(12)).unwrap_err().contains("Cchip line 12"));
        assert!(interrupts_json(&j, "interrupt", None).is_err());
    }
}
