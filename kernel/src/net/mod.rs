//! Networking (`-append net`): smoltcp over a [`NetDevice`] (the DEC 21143
//! in QEMU or on a DS10, or the test-only software loopback device), on
//! QEMU's user network (10.0.2.15/24, gateway 10.0.2.2):
//!
//! * ARP and ICMP echo (smoltcp answers pings itself);
//! * UDP echo on port 7. A datagram `STOP` is echoed and then stops the
//!   network loop. With the boot flag `net_debug_hooks` only, `STALL <ms>`
//!   (at most 5000) is echoed after the kernel has stopped polling for that
//!   long, to fill the receive ring on purpose (the NIC's ring-full path);
//!   without it, it is echoed like any datagram (counted);
//! * HTTP/1.1 on port 80 ([`http`]): `/` (HTML), `/status.json`,
//!   `/memory` (the live picture of physical memory, streamed: [`memory`]),
//!   `/shutdown` (stops the loop), with bounded connections, buffers and
//!   backpressure;
//!
//! The protocol logic (HTTP parser and connection buffers, the UDP
//! commands, ICMP echo) is `crates/netproto`, host-tested and fuzzed; this
//! module moves bytes between it and smoltcp. Nothing on the path of a
//! frame, datagram or HTTP request allocates without `try_reserve`.
//! * at start, two pings to the gateway (56 and 1400 bytes) as a self-check
//!   that also fills both sides' ARP caches.
//!
//! The loop works the NIC (events, reclaim, refill), then smoltcp, then
//! the services, and when an iteration found nothing to do it sleeps in
//! `wtint` until an interrupt: the NIC's (the 21143's: receive, transmit
//! done, ring full, errors) on its interrupt line, or the clock's (1024 Hz under QEMU),
//! which keeps smoltcp's timers going. `net_irq=off` polls instead, never
//! sleeping, at IPL 7 (the fallback; also taken by itself when the NIC's
//! line turns out not to deliver: the start-up pings are received but no
//! interrupt came). It stops on a stop request or after
//! `net_time=` seconds (default 300), gives pending replies 300 ms to
//! leave, takes the NIC down (every buffer unmapped and freed) and
//! reports the counters and whether the page, CMA, IOMMU and DMA-API debug
//! counts are back where they were.
//!
//! The device comes from `drivers::open_net` through the closure `main`
//! passes to [`run`]; this module names no driver.
//!
//! Staying up: when the kernel stays up after boot (no one-shot flag on
//! the command line), `main` passes [`run`] a side task (the console
//! monitor's poll). The loop calls it once per iteration, after the
//! services and before it sleeps, so the monitor shares the loop and never
//! blocks the network (nor the network the monitor: the clock's interrupt
//! ends every sleep); when it returns `true` the run stops as for a UDP
//! `STOP`, and there is no `net_time=` deadline. Meanwhile [`summary`]
//! writes the device's counters for the monitor's `net` command.
//!
//! Parameters: `net_time=SECONDS`, `net_dev=pci|loopback` and `net_rxbuf=BYTES`
//! (the drivers': which device, the 21143's receive buffer
//! length, 64..=2044, multiple of 4; smaller than a frame exercises the
//! multi-descriptor drop path), `net_irq=auto|off|LINE` (interrupts on the
//! line the platform's routing gives, none, or interrupt line LINE 0-63),
//! `net_debug_hooks` (enables `STALL`), `net_http_fail=N` (the Nth HTTP
//! connection asks for 1 GiB of buffer, which the heap cannot give: the
//! allocation failure path runs for real).

mod device;
mod http;
mod memory;
mod status;

use crate::dma;
use crate::irq::{self, Ipl};
use crate::config::BootConfig;
use crate::mm::accounting::Compare;
use crate::mm::boot::MemReport;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;
pub use device::{Counters, IrqCounters, MacDisplay, NetDevice, RxFrame, RxQueue, TxQueue};
use device::Phy;
use log::{error, info, warn};
use netproto::http::Reply;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::socket::{icmp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};
use spin::Mutex;
use status::NetStats;

pub const IP_CIDR: &str = "10.0.2.15/24";
pub const GATEWAY: &str = "10.0.2.2";
const IP: [u8; 4] = [10, 0, 2, 15];
const GW: [u8; 4] = [10, 0, 2, 2];
const ECHO_PORT: u16 = 7;
const HTTP_PORT: u16 = 80;
const DEFAULT_TIME_S: u64 = 300;
/// How long replies get to leave after a stop request.
const GRACE: Duration = Duration::from_millis(300);
const PING_IDENT: u16 = 0x21a3;


fn now() -> Instant {
    Instant::from_micros(status::uptime_us() as i64)
}

/// Why the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Stop {
    Udp,
    Http,
    Timeout,
    /// The side task (the console monitor's `halt`).
    Side,
}

impl core::fmt::Display for Stop {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(match self {
            Stop::Udp => "UDP STOP",
            Stop::Http => "GET /shutdown",
            Stop::Timeout => "net_time elapsed",
            Stop::Side => "monitor halt",
        })
    }
}

/// Byte `i` of ping payloads.
fn ping_byte(i: usize) -> u8 {
    (i as u8).wrapping_mul(13).wrapping_add(7)
}

/// Pings the gateway once with `size` bytes of payload; the round trip in
/// microseconds, or why not.
fn ping(
    iface: &mut Interface,
    dev: &mut Phy,
    sockets: &mut SocketSet<'static>,
    h: smoltcp::iface::SocketHandle,
    seq: u16,
    size: usize,
) -> Result<u64, String> {
    let data: Vec<u8> = (0..size).map(ping_byte).collect();
    let gw = IpAddress::v4(GW[0], GW[1], GW[2], GW[3]);
    let start = now();
    {
        let s = sockets.get_mut::<icmp::Socket>(h);
        let buf = s.send(netproto::icmp::HEADER_LEN + size, gw).map_err(|e| alloc::format!("send: {e:?}"))?;
        netproto::icmp::echo_request(buf, PING_IDENT, seq, &data).ok_or("ICMP buffer too short")?;
    }
    while now() - start < Duration::from_secs(1) {
        dev.dev.poll();
        iface.poll(now(), dev, sockets);
        let s = sockets.get_mut::<icmp::Socket>(h);
        while s.can_recv() {
            let Ok((payload, from)) = s.recv() else { break };
            if from != gw {
                continue;
            }
            match netproto::icmp::matches_request(payload, PING_IDENT, seq, &data) {
                Some(true) => return Ok((now() - start).total_micros()),
                Some(false) => return Err(String::from("reply data differs")),
                None => {}
            }
        }
    }
    Err(String::from("no reply within 1 s"))
}

/// `net_irq=`: how the NIC tells the kernel about events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IrqMode {
    /// The line from the platform's interrupt routing.
    Auto,
    /// Polling only.
    Off,
    /// This interrupt line (to test a wrong one, or a board with no routing table).
    Line(u32),
}

fn irq_mode(params: &bootparam::EarlyParams) -> IrqMode {
    match params.get("net_irq") {
        None | Some("auto") => IrqMode::Auto,
        Some("off") => IrqMode::Off,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (n as usize) < irq::LINES => IrqMode::Line(n),
            _ => {
                warn!("net_irq={v}: expected auto, off or a Cchip line 0-63; using auto");
                IrqMode::Auto
            }
        },
    }
}

/// What the monitor's `net` command shows while the loop runs: the
/// device's names and counters and the services' counts, refreshed once
/// per loop iteration; `None` when no device is up.
#[derive(Clone, Copy)]
struct Summary {
    driver: &'static str,
    chip: &'static str,
    mac: [u8; 6],
    counters: Counters,
    stats: NetStats,
}

static SUMMARY: Mutex<Option<Summary>> = Mutex::new(None);

/// Writes the running network device's counters (or `no network
/// device`) for the console monitor's `net` command.
pub fn summary(w: &mut dyn Write) -> core::fmt::Result {
    let Some(s) = *SUMMARY.lock() else {
        return writeln!(w, "no network device");
    };
    let c = &s.counters;
    writeln!(w, "{}: {} {IP_CIDR} gateway {GATEWAY}, MAC {}", s.driver, s.chip, MacDisplay(&s.mac))?;
    writeln!(w, "  rx {} packets {} bytes, tx {} packets {} bytes", c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes)?;
    writeln!(
        w,
        "  rx errors {}, tx errors {}, rx dropped {}, tx dropped {}, rx ring full {}, tx ring full {}, missed {}",
        c.rx_errors, c.tx_errors, c.rx_dropped, c.tx_dropped, c.rx_ring_full, c.tx_ring_full, c.rx_missed
    )?;
    let h = &s.stats.http;
    writeln!(
        w,
        "  UDP echoed {} datagrams {} bytes (dropped {}); HTTP {} connections, {} requests, {} errors",
        s.stats.udp_echoed, s.stats.udp_bytes, s.stats.udp_dropped, h.connections, h.requests, h.errors
    )
}

/// The network run: opens the device with `open` (after the memory
/// baseline), serves until a stop, takes the device down with `close` and
/// checks that everything came back; returns whether a device came up.
/// `side`: a task polled once per loop
/// iteration (the console monitor; see the module text); with one the
/// run has no `net_time=` deadline and also stops when it returns `true`.
pub fn run(
    cfg: &BootConfig,
    open: impl FnOnce() -> Result<Box<dyn NetDevice>, String>,
    close: impl FnOnce(Box<dyn NetDevice>),
    side: Option<&mut dyn FnMut() -> bool>,
) -> bool {
    let params = &cfg.params;
    let time_s = match params.get("net_time").map(str::parse::<u64>) {
        _ if side.is_some() => None,
        None => Some(DEFAULT_TIME_S),
        Some(Ok(s)) if s > 0 => Some(s),
        Some(_) => {
            warn!("net_time: expected a positive number of seconds; using {DEFAULT_TIME_S}");
            Some(DEFAULT_TIME_S)
        }
    };
    let mode = irq_mode(params);
    let debug_hooks = params.has_flag("net_debug_hooks");
    let http_fail = match params.get("net_http_fail").map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            warn!("net_http_fail: expected a positive connection count; ignored");
            None
        }
    };
    let before = dma::accounting();
    let (b_dma, b_heap) = (before.dma.unwrap_or_default(), before.heap);
    // Logged, not part of the verdict: the first network run leaves 384
    // bytes allocated for good, whatever the traffic (most likely the
    // emptied root node DMA-API debug's BTreeMap keeps after first use).
    info!(
        "net: start: buddy free {} pages, heap {} pages ({} bytes used), CMA free {} pages, IOMMU entries used {:?}, DMA mappings live {}",
        before.pages.free, b_heap.buddy_pages, b_heap.used, before.pages.cma_free, b_dma.iommu_used, b_dma.live_mappings
    );
    let reason = match open() {
        Ok(dev) => {
            info!("{}: up: {}", dev.driver(), dev.describe());
            serve(dev, close, time_s, side, mode, debug_hooks, http_fail, cfg.memory.unwrap_or_default())
        }
        Err(e) => {
            error!("net: NIC not started: {e}");
            None
        }
    };
    let served = reason.is_some();
    let after = dma::accounting();
    let (a_dma, a_heap) = (after.dma.unwrap_or_default(), after.heap);
    let back = after.diff(&before, Compare::Pages).is_empty();
    let verdict = if back { "all back" } else { "NOT BACK" };
    let msg = alloc::format!(
        "net: end: buddy free {} pages (start {}), heap {} pages (start {}), heap used {} bytes (start {}), CMA free {} pages (start {}), IOMMU entries used {:?} (start {:?}), DMA mappings live {} (start {}): {verdict}",
        after.pages.free,
        before.pages.free,
        a_heap.buddy_pages,
        b_heap.buddy_pages,
        a_heap.used,
        b_heap.used,
        after.pages.cma_free,
        before.pages.cma_free,
        a_dma.iommu_used,
        b_dma.iommu_used,
        a_dma.live_mappings,
        b_dma.live_mappings
    );
    if back {
        info!("{msg}")
    } else {
        error!("{msg}")
    }
    crate::mm::boot::reconcile("end of the network run");
    if let Some(r) = reason {
        info!("net: stopped ({r})");
    }
    served
}

/// The service loop; returns why it stopped. Everything it creates is
/// gone when it returns (the NIC down).
fn serve(
    mut nic: Box<dyn NetDevice>,
    close: impl FnOnce(Box<dyn NetDevice>),
    time_s: Option<u64>,
    mut side: Option<&mut dyn FnMut() -> bool>,
    mode: IrqMode,
    debug_hooks: bool,
    http_fail: Option<u64>,
    memory: MemReport,
) -> Option<Stop> {
    let line = match mode {
        IrqMode::Off => {
            info!("net: interrupts off (net_irq=off): polling at IPL 7");
            None
        }
        IrqMode::Line(l) => Some(l),
        IrqMode::Auto => match nic.routed_line() {
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                warn!("net: {e}: polling at IPL 7");
                None
            }
            None => {
                info!("net: {} {}: no interrupt line: polling at IPL 7", nic.location(), nic.chip());
                None
            }
        },
    };
    let mut ipl = None;
    if let Some(l) = line {
        match nic.enable_interrupts(l) {
            Ok(()) => {
                let (a, b) = irq::start_clock();
                ipl = Some(Ipl::lower());
                info!(
                    "net: interrupts on: Cchip line {l} (SCB vector {:#x}), RTC clock {} Hz (firmware left RTC A {a:#04x} B {b:#04x}), IPL 0",
                    0x800 + (16 + l) * 16,
                    irq::clock_hz()
                );
            }
            Err(e) => warn!("net: cannot use interrupts: {e}: polling at IPL 7"),
        }
    }
    let irq_start = irq::stats();
    let loop_start = now();
    let mac = nic.mac();
    let mut dev = Phy { dev: nic };
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    config.random_seed = crate::arch::rpcc() ^ 0x5eed_a1fa_0000_0000;
    let mut iface = Interface::new(config, &mut dev, now());
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(IpAddress::v4(IP[0], IP[1], IP[2], IP[3]), 24));
    });
    if iface.routes_mut().add_default_ipv4_route(Ipv4Address::new(GW[0], GW[1], GW[2], GW[3])).is_err() {
        error!("net: cannot add the default route");
    }
    let mut sockets = SocketSet::new(Vec::new());

    let udp_buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 256], vec![0u8; 256 * 1024]);
    let mut echo = udp::Socket::new(udp_buf(), udp_buf());
    if let Err(e) = echo.bind(ECHO_PORT) {
        error!("net: UDP bind {ECHO_PORT}: {e:?}");
    }
    let echo = sockets.add(echo);
    let icmp_buf = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0u8; 4096]);
    let mut pinger = icmp::Socket::new(icmp_buf(), icmp_buf());
    let _ = pinger.bind(icmp::Endpoint::Ident(PING_IDENT));
    let pinger = sockets.add(pinger);
    let mut web = http::Server::new(&mut sockets, HTTP_PORT, 4096, 16384, now(), http_fail);

    for (seq, size) in [(1u16, 56usize), (2, 1400)] {
        match ping(&mut iface, &mut dev, &mut sockets, pinger, seq, size) {
            Ok(us) => info!("net: ping {GATEWAY} ({size} bytes): reply in {us} us"),
            Err(e) => warn!("net: ping {GATEWAY} ({size} bytes): {e}"),
        }
    }
    sockets.remove(pinger);
    if let Some(l) = dev.dev.irq_line() {
        let taken = irq::line_count(l);
        let rx = dev.dev.counters().rx_packets;
        if taken == 0 && rx > 0 {
            let state = irq::line_state();
            warn!(
                "net: {} {}: {rx} frames received but no interrupt on Cchip line {l} ({state}): the line is wrong or broken; falling back to polling at IPL 7",
                dev.dev.location(),
                dev.dev.chip()
            );
            drop(ipl.take());
            dev.dev.disable_interrupts();
            irq::stop_clock();
        }
    }

    let until = match time_s {
        Some(s) => alloc::format!("or after {s} s"),
        None => String::from("or the monitor's halt"),
    };
    info!(
        "net: ready: {IP_CIDR} gateway {GATEWAY}, MAC {}, UDP echo on port {ECHO_PORT}, HTTP on port {HTTP_PORT} ({} connections, {} + {} bytes of buffers each); stops on UDP \"STOP\", GET /shutdown, {until}; debug hooks (UDP STALL) {}",
        MacDisplay(&mac),
        http::SOCKETS,
        netproto::http::IN_CAP,
        netproto::http::OUT_CAP,
        if debug_hooks { "on (net_debug_hooks)" } else { "off" }
    );
    let deadline = time_s.map(|s| now() + Duration::from_secs(s));
    let (driver, chip) = (dev.dev.driver(), dev.dev.chip());
    let mut stats = NetStats { debug_hooks, ..NetStats::default() };
    let mut stop: Option<(Stop, Instant)> = None;
    let mut buf = vec![0u8; 2048];
    let mut sleeps = 0u64;
    loop {
        let t = now();
        if let Some((_, at)) = stop
            && t - at >= GRACE
        {
            break;
        }
        if stop.is_none() && deadline.is_some_and(|d| t >= d) {
            stop = Some((Stop::Timeout, t));
        }
        dev.dev.poll();
        iface.poll(t, &mut dev, &mut sockets);

        // UDP echo.
        let mut busy = false;
        let s = sockets.get_mut::<udp::Socket>(echo);
        while let Ok((n, meta)) = s.recv_slice(&mut buf) {
            busy = true;
            let data = &buf[..n];
            match netproto::udp::command(data, debug_hooks) {
                netproto::udp::Command::Stop if stop.is_none() => {
                    info!("net: stop requested (UDP from {})", meta.endpoint);
                    stop = Some((Stop::Udp, t));
                }
                netproto::udp::Command::Stall(ms) => {
                    info!("net: stalling {ms} ms (UDP request; net_debug_hooks is on)");
                    let until = now() + Duration::from_millis(ms);
                    while now() < until {
                        core::hint::spin_loop();
                    }
                }
                netproto::udp::Command::StallRefused => {
                    stats.udp_stall_refused += 1;
                    if stats.udp_stall_refused == 1 {
                        info!("net: UDP STALL from {} echoed without stalling (net_debug_hooks is off)", meta.endpoint);
                    }
                }
                _ => {}
            }
            match s.send_slice(data, meta) {
                Ok(()) => {
                    stats.udp_echoed += 1;
                    stats.udp_bytes += n as u64;
                }
                Err(_) => stats.udp_dropped += 1,
            }
        }

        // HTTP.
        let nic = &*dev.dev;
        let mut want_stop = false;
        web.service(&mut sockets, t, |path, hs, body| {
            let mut net = stats;
            net.http = *hs;
            net.http.requests += 1;
            // A body that does not fit makes the write fail, and the
            // response a 503: ignoring the result here is deliberate.
            match path {
                "/" | "/index.html" => {
                    let _ = status::html(&status::snapshot(nic, net, &memory), body);
                    Reply::new(200, "text/html; charset=utf-8")
                }
                "/status.json" => {
                    let _ = status::json(&status::snapshot(nic, net, &memory), body);
                    Reply::new(200, "application/json")
                }
                p if p == "/memory" || p.starts_with("/memory?") => memory::route(p.get(8..).unwrap_or(""), body),
                "/shutdown" => {
                    want_stop = true;
                    let _ = body.write_str("stopping\n");
                    Reply { status: 200, content_type: "text/plain", close: true }
                }
                _ => {
                    let _ = body.write_str("not found\n");
                    Reply::new(404, "text/plain")
                }
            }
        }, memory::more);
        if want_stop && stop.is_none() {
            info!("net: stop requested (GET /shutdown)");
            stop = Some((Stop::Http, t));
        }
        stats.http = web.stats();
        *SUMMARY.lock() = Some(Summary { driver, chip, mac, counters: dev.dev.counters(), stats });

        // The side task (the monitor) after the services, before the sleep.
        if let Some(f) = side.as_mut()
            && f()
            && stop.is_none()
        {
            info!("net: stop requested (monitor halt)");
            stop = Some((Stop::Side, now()));
        }

        if dev.dev.irq_line().is_some() {
            // Send what the services queued, then sleep if nothing is left:
            // with every interrupt masked, so that one arriving after the
            // check still ends the wait (wtint returns on a pending one).
            let t = now();
            let egress = iface.poll(t, &mut dev, &mut sockets);
            let due = iface.poll_delay(t, &sockets).is_some_and(|d| d == Duration::ZERO);
            if !busy && !due && egress == smoltcp::iface::PollResult::None {
                let _masked = Ipl::raise();
                // Unmask the NIC only now (NAPI's way): while the loop is
                // busy it finds the work by polling, without an interrupt
                // per frame. An event already pending raises the line at
                // once, and wtint returns for it.
                dev.dev.arm_interrupts();
                if !dev.dev.irq_work_pending() {
                    irq::wait();
                    sleeps += 1;
                }
            }
        }
    }
    let irq_end = irq::stats();
    let loop_us = (now() - loop_start).total_micros().max(1);

    let reason = stop.map(|s| s.0);
    *SUMMARY.lock() = None;
    if let Some(r) = reason {
        info!("net: stopping ({r}); {} HTTP connections still open", web.active(&mut sockets));
    }
    web.abort_all(&mut sockets);
    let ic = dev.dev.irq_counters();
    match dev.dev.irq_line() {
        Some(l) => {
            let ticks = irq_end.ticks - irq_start.ticks;
            info!(
                "net: interrupts: line {l}: {} taken by the {} ({} not its own), clock ticks {ticks} in {} ms ({} Hz), sleeps {sleeps}; spurious {}, unhandled {}",
                ic.taken,
                dev.dev.chip(),
                ic.not_ours,
                loop_us / 1000,
                ticks * 1_000_000 / loop_us as u64,
                irq_end.spurious - irq_start.spurious,
                irq_end.unhandled - irq_start.unhandled
            )
        }
        None => info!("net: interrupts: none (polled)"),
    }
    if ipl.is_some() {
        drop(ipl);
        irq::stop_clock();
    }
    let c = dev.dev.counters();
    info!(
        "{}: counters: rx {} packets {} bytes, tx {} packets {} bytes; rx errors {}, tx errors {}, rx dropped {}, tx dropped {}; runts {}, oversize {}, truncated {}; rx ring full {}, tx ring full {}; missed {}, FIFO overflows {}, DMA errors {}, bus errors {}, underflows {}, descriptor mismatches {}",
        dev.dev.driver(),
        c.rx_packets,
        c.rx_bytes,
        c.tx_packets,
        c.tx_bytes,
        c.rx_errors,
        c.tx_errors,
        c.rx_dropped,
        c.tx_dropped,
        c.rx_runts,
        c.rx_oversize,
        c.rx_truncated,
        c.rx_ring_full,
        c.tx_ring_full,
        c.rx_missed,
        c.rx_fifo_overflows,
        c.dma_errors,
        c.fatal_bus_errors,
        c.tx_underflows,
        c.desc_mismatch
    );
    let h = &stats.http;
    info!(
        "net: services: UDP echoed {} datagrams {} bytes (dropped {}, STALL refused {}); HTTP {} connections, {} requests, {} errors; refused: 503 {} (no memory {}), connections closed idle {} evicted {}, throttled {}",
        stats.udp_echoed,
        stats.udp_bytes,
        stats.udp_dropped,
        stats.udp_stall_refused,
        h.connections,
        h.requests,
        h.errors,
        h.unavailable,
        h.alloc_failures,
        h.idle_closed,
        h.evicted,
        h.throttled
    );
    drop(sockets);
    drop(iface);
    let nic = dev.dev;
    let driver = nic.driver();
    let live = dma::debug::live();
    close(nic);
    info!("{driver}: down: DMA mappings live {live} -> {}", dma::debug::live());
    reason
}
