//! The Alpha unikernel's entry: console, traps, command line, logging,
//! HWRPB banner, the machine vector, the boot configuration, heap, memory,
//! PCI and DMA, then the self-tests or the crash tests if asked; unless
//! the command line asks for such a one-shot run, the kernel stays up:
//! the network (if there is a device) and the console monitor, until
//! `halt`, `GET /shutdown` or UDP `STOP`.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod block;
mod bootinfo;
mod config;
mod console;
mod dma;
mod drivers;
mod irq;
mod logger;
mod mm;
mod monitor;
mod net;
mod pci;
mod platform;
mod selftest;
mod srmboot;
mod time;

use core::fmt::Write;
use log::{error, info, warn};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Called from `boot/entry.s` with the boot stack set and `.bss` cleared.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_main() -> ! {
    // First, before anything writes .data: the SRM boot stub's handoff, and
    // the sum of the image it copied (nothing if QEMU's -kernel loaded us).
    let srm_handoff = srmboot::measure();
    arch::stack::paint();
    let uart = console::init();
    arch::trap::init(console::emergency_print);
    irq::init();
    kprintln!();
    kprintln!("alpha-unikernel {VERSION} (Rust on Alpha via rustc_codegen_gcc)");
    if !uart.present {
        kprintln!("console: COM1 scratch register did not answer; output may be lost");
    }

    let cmdline = bootinfo::read_cmdline();
    let params = bootparam::EarlyParams::parse(cmdline);
    logger::init(logger::filter_for_loglevel(params.loglevel.unwrap_or(logger::DEFAULT_LOGLEVEL)));

    let hwrpb = bootinfo::hwrpb_at_boot();
    time::init(bootinfo::cycle_freq(hwrpb.as_ref()));
    info!("command line: \"{cmdline}\"");
    for e in params.errors() {
        warn!("boot parameter ignored: {e}");
    }
    if params.dropped_errors() > 0 {
        warn!("boot parameters: {} more malformed parameter(s) not listed (the parser keeps {})", params.dropped_errors(), bootparam::MAX_ERRORS);
    }
    for (p, n) in params.repeated() {
        info!("boot parameter {}= given {n} times: the last valid one is used, as in Linux", p.name());
    }
    for (key, n) in params.repeated_kept() {
        info!("boot parameter {key}= given {n} times: the last one is used, as in Linux");
    }
    for w in params.unknown() {
        info!("boot parameter kept for later: {w}");
    }
    if params.dropped_unknown() > 0 {
        warn!(
            "boot parameters: {} more word(s) not kept (the parser keeps {}); flags among them have no effect",
            params.dropped_unknown(),
            bootparam::MAX_WORDS
        );
    }
    let baud_refused = params.occurrences(bootparam::Param::ConsoleBaud) > 0 && params.console_baud.is_none();
    console::configure_speed(uart, params.console_baud, baud_refused);
    bootinfo::banner(hwrpb.as_ref());
    srmboot::report(srm_handoff.as_ref());
    bootinfo::console_callbacks(hwrpb.as_ref(), params.has_flag("console_getc_test"));
    let choice = platform::select(hwrpb.as_ref());
    mm::heap::init();
    let (hs, he) = mm::heap::arena();
    info!("heap: early arena {:#x}-{:#x} ({} KiB)", hs, he, (he - hs) / 1024);
    let memory = match hwrpb.as_ref().map(|h| (h, h.memory_map())) {
        Some((h, Some(map))) => Some(mm::boot::init(h, &map, &params, choice.machine.dma_windows().direct_limit())),
        Some((_, None)) => {
            error!(
                "no memory map (the HWRPB's memory data descriptor table is unusable, see above): running on the early heap alone; no page allocator, so no PCI scan and no DMA"
            );
            None
        }
        None => {
            error!("no HWRPB, so no memory map: running on the early heap alone");
            None
        }
    };
    // Built once, handed down from here on.
    let cfg = config::set(config::BootConfig { params, platform: choice, memory: memory.flatten() });
    let params = &cfg.params;
    let ctx = drivers::ProbeContext { params, platform: cfg.platform };
    if let Some(mem_setup) = memory {
        if params.has_flag("mm_leak_test") {
            mm::boot::leak_test();
        }
        if cfg.platform.chipset_usable() {
            pci::enumerate(params, drivers::driver_name);
            dma::init(params, mem_setup.map_or(0, |m| m.total_pages));
            // The disk, probed once; none is an INFO line, not a fault.
            match drivers::open_block(&ctx) {
                Ok(d) => block::set_disk(d),
                Err(e) => info!("{e}"),
            }
        } else {
            error!("no machine vector for this system: no PCI scan and no DMA");
        }
    }

    let leak = params.has_flag("dma_leak_test");
    if leak || dma::fault::Site::all().any(|s| s.probed_at_boot() && params.get(s.param()).is_some()) {
        selftest::dma::boot_probe(leak);
    }
    if params.has_flag("stack_test") {
        let frames = arch::stack::use_down_to(8192);
        info!("stack_test: {frames} frames of 1 KiB deep, down to about 8 KiB above the stack's bottom");
    }
    if params.has_flag("dma_pool_leak_test") {
        selftest::dma::pool_leak_probe();
    }
    if let Some(kind) = params.get("dma_debug_test") {
        selftest::dma::debug_probe(kind);
    }
    if params.get("disk_test").is_some() {
        selftest::disk::run(params);
    }
    if let Some(kind) = params.get("crash") {
        selftest::crash::raise(kind);
    }
    if params.has_flag("test") {
        let r = selftest::run_all(params);
        let verdict = if r.failed == 0 { "PASS" } else { "FAIL" };
        kprintln!("selftest summary: {} passed, {} failed, {} skipped", r.passed, r.failed, r.skipped);
        mm::boot::reconcile("after the self-tests");
        kprintln!("KERNEL TEST RESULT: {verdict}");
    }
    let dropped = console::lock().dropped();
    if dropped > 0 {
        warn!("console: {dropped} characters dropped (transmitter never ready)");
    }
    if params.has_flag("bench") {
        selftest::bench::run();
    }
    if params.has_flag("net") {
        net::run(cfg, || drivers::open_net(&ctx), drivers::close_net, None);
    }
    match bootparam::one_shot(params) {
        Some(flag) => info!("ready; halting (one-shot run: {flag})"),
        None => {
            // Staying up: the network and the monitor in one loop.
            let mut served = false;
            if drivers::has_net(&ctx) {
                let mut side = || monitor::poll() == monitor::Poll::Halt;
                served = net::run(cfg, || drivers::open_net(&ctx), drivers::close_net, Some(&mut side));
            } else {
                info!("net: no network device: the monitor runs alone");
            }
            if !served {
                monitor::run_alone(cfg.platform.chipset_usable());
                if cfg.memory.is_some() {
                    mm::boot::reconcile("monitor halt");
                }
            }
            info!("ready; halting (stopped)");
        }
    }
    // The disk down (bus mastering off, its PRD table given back) before
    // the DMA layer's leak report.
    if let Some(d) = block::take_disk() {
        drivers::close_block(d);
    }
    if cfg.platform.chipset_usable() {
        dma::shutdown();
    }
    arch::stack::report();
    arch::halt();
}

/// The GCC backend lowers `core::intrinsics::abort` (used by `core` on
/// "cannot happen" paths such as a sort's broken `Ord`) to a call to C's
/// `abort`, which `boot/pal.s` routes here (defining `abort` in Rust would
/// clash with the backend's own declaration of it): report it and halt.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_abort() -> ! {
    let mut out = console::emergency();
    let _ = writeln!(out, "\n*** KERNEL ABORT: core::intrinsics::abort() was called\n*** kernel halted");
    arch::halt();
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut out = console::emergency();
    let _ = write!(out, "\n*** KERNEL PANIC: {}", info.message());
    match info.location() {
        Some(l) => {
            let _ = writeln!(out, " at {}:{}:{}", l.file(), l.line(), l.column());
        }
        None => {
            let _ = writeln!(out, " (no location)");
        }
    }
    let _ = writeln!(out, "*** kernel halted");
    arch::halt();
}
