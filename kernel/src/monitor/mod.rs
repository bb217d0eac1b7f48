//! The console monitor: a command prompt (`alpha> `) on the serial
//! console, for looking at (and, with the memory commands of [`mm`],
//! changing) the machine's memory while the kernel runs.
//!
//! How input works: [`poll`] reads what COM1's receiver holds without
//! waiting (the 16550's data-ready bit), at most [`BYTES_PER_POLL`] bytes
//! a call, and feeds them to the line editor (`crates/monitor`: printable
//! ASCII, Backspace/DEL, Ctrl-U, Ctrl-C, the arrow keys' history; a line
//! over 200 bytes is refused). Each completed line is split into words,
//! the dispatcher picks the command whose one- or two-word name matches
//! (longest match) and checks its argument count, and the command writes
//! its answer to the console. Every error is one line `error: ...`, and
//! the prompt comes back.
//!
//! Who calls [`poll`]: the network loop once per iteration when a network
//! device is up (`net::run`'s side task), or [`run_alone`] without one.
//! Neither waits for input, so neither blocks the other.
//!
//! Adding a command: a [`Command`] in [`INFO_COMMANDS`], in
//! [`mm::MM_COMMANDS`] (the memory commands) or in
//! [`disk::DISK_COMMANDS`] (the disk commands); `help` lists them all.

pub mod command;
pub mod disk;
pub mod mm;

use crate::irq::{self, Ipl};
use crate::{console, dma, drivers, logger, net, pci};
use crate::mm::{heap, owner::Owner, page, PAGE_SIZE};
use alloc::format;
use alloc::string::String;
pub use command::Command;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use log::info;
use ::monitor::editor::{Editor, Event, LINE_MAX};
use spin::Mutex;

/// The prompt.
pub const PROMPT: &str = "alpha> ";
/// The most input bytes one [`poll`] takes, so that a flood of input
/// cannot keep the network loop from its work.
pub const BYTES_PER_POLL: usize = 64;

static EDITOR: Mutex<Editor> = Mutex::new(Editor::new());
/// Set by `halt`; [`poll`] reports it.
static HALT: AtomicBool = AtomicBool::new(false);
/// [`start`] has run (the first [`poll`] runs it).
static STARTED: AtomicBool = AtomicBool::new(false);

/// The monitor's own commands: information about the machine, the log
/// level, the reconciliation, and `halt`.
pub const INFO_COMMANDS: &[Command] = &[
    Command { name: "help", usage: "", help: "list every command, one line each", run: help },
    Command { name: "memblock", usage: "", help: "memblock's memory and reserved regions (as at boot)", run: memblock },
    Command {
        name: "meminfo",
        usage: "",
        help: "MemTotal, MemFree, CmaTotal, CmaFree in kB (as /proc/meminfo) and the pages of each owner",
        run: meminfo,
    },
    Command { name: "buddyinfo", usage: "", help: "free blocks of each order (as /proc/buddyinfo)", run: buddyinfo },
    Command { name: "heap", usage: "", help: "the kernel heap: bytes used and free, pages, slabs per size class", run: heap_cmd },
    Command { name: "owners", usage: "", help: "pages held by each owner (buddy and CMA)", run: owners },
    Command {
        name: "map",
        usage: "[width]",
        help: "physical memory by owner, one character per block of pages, lines of width characters (default 64)",
        run: map_cmd,
    },
    Command { name: "lspci", usage: "", help: "the PCI functions on bus 0, their BARs and drivers", run: lspci },
    Command { name: "net", usage: "", help: "the network device's counters (or that there is none)", run: net_cmd },
    Command { name: "log", usage: "<level>", help: "set the console log level (Linux's loglevel: 0-3 none, 4 errors, 7 info, 8 all)", run: log_cmd },
    Command { name: "reconcile", usage: "", help: "check that every page is reserved, free or owned (the memory reconciliation)", run: reconcile },
    Command { name: "halt", usage: "", help: "stop: give back what the monitor holds, take the network down, check for leaks, halt the machine", run: halt },
];

/// Every command `help` lists and the dispatcher knows.
fn commands() -> impl Iterator<Item = &'static Command> + Clone {
    // The memory commands come from `mm.rs` (alloc/free, cma, dma,
    // fragment, pfn, iommu), the disk commands from `disk.rs`: listed
    // after the information commands.
    INFO_COMMANDS.iter().chain(mm::MM_COMMANDS.iter()).chain(disk::DISK_COMMANDS.iter())
}

/// The console as a `fmt::Write` for command output (`\n` becomes CR LF),
/// locking it per write so that log lines from elsewhere can interleave
/// only between pieces, never inside one.
struct Out;

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        console::lock().write_str(s)
    }
}

/// Says the monitor is there and shows the first prompt (once; the
/// first [`poll`] calls it, so that the prompt follows the network's
/// start-up lines).
pub fn start() {
    if STARTED.swap(true, Ordering::Relaxed) {
        return;
    }
    info!("monitor: ready on the serial console (type help; halt stops the kernel)");
    let _ = Out.write_str(PROMPT);
}

/// What [`poll`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Poll {
    /// Carry on.
    Continue,
    /// `halt` was typed: stop the run.
    Halt,
}

/// Takes what the console has received (at most [`BYTES_PER_POLL`]
/// bytes), edits the line, runs completed lines; never waits for input.
pub fn poll() -> Poll {
    start();
    for _ in 0..BYTES_PER_POLL {
        let Some(b) = console::try_read() else { break };
        let mut ed = EDITOR.lock();
        let line = match ed.feed(b, &mut |echo| {
            let mut c = console::lock();
            for &e in echo {
                c.send(e);
            }
        }) {
            Event::None => continue,
            Event::Line(l) => Some(String::from(l)),
            Event::Cancelled => None,
            Event::TooLong => {
                let _ = writeln!(Out, "error: line too long (max {LINE_MAX})");
                None
            }
        };
        drop(ed);
        if let Some(l) = line {
            execute(&l);
        }
        if HALT.load(Ordering::Relaxed) {
            return Poll::Halt;
        }
        let _ = Out.write_str(PROMPT);
    }
    Poll::Continue
}

/// Runs one line: every outcome is some output or one `error:` line.
fn execute(line: &str) {
    let words = match ::monitor::parse::words(line) {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(Out, "error: {e}");
            return;
        }
    };
    if words.as_slice().is_empty() {
        return;
    }
    match ::monitor::dispatch::dispatch(commands(), |c| c.name, |c| c.usage, words.as_slice()) {
        Ok((cmd, args)) => {
            if let Err(e) = (cmd.run)(args, &mut Out) {
                let _ = writeln!(Out, "error: {e}");
            }
        }
        Err(e) => {
            let _ = writeln!(Out, "error: {e}");
        }
    }
}

/// The monitor without a network device: polls the console; between
/// polls sleeps in `wtint` until the next clock tick (1024 Hz under QEMU)
/// when the machine has a clock to start, else polls. Returns on `halt`.
pub fn run_alone(clock: bool) {
    let _ipl = if clock {
        irq::start_clock();
        Some(Ipl::lower())
    } else {
        None
    };
    loop {
        if poll() == Poll::Halt {
            break;
        }
        if clock {
            let _masked = Ipl::raise();
            irq::wait();
        } else {
            core::hint::spin_loop();
        }
    }
    drop(_ipl);
    if clock {
        irq::stop_clock();
    }
}

type Res = Result<(), String>;

fn w(r: fmt::Result) -> Res {
    r.map_err(|_| String::from("output failed"))
}

fn help(_: &[&str], out: &mut dyn Write) -> Res {
    let width = commands().map(|c| c.name.len() + 1 + c.usage.len()).max().unwrap_or(0);
    for c in commands() {
        let synopsis = if c.usage.is_empty() { String::from(c.name) } else { format!("{} {}", c.name, c.usage) };
        w(writeln!(out, "  {synopsis:<width$}  {}", c.help))?;
    }
    Ok(())
}

fn memblock(_: &[&str], mut out: &mut dyn Write) -> Res {
    w(crate::mm::boot::MEMBLOCK.lock().dump(&mut out))
}

/// `/proc/meminfo`'s first lines: memory the allocators manage and what
/// is free (free CMA pages count as free, as in Linux).
fn meminfo(_: &[&str], mut out: &mut dyn Write) -> Res {
    let s = page::stats();
    let kb = |pages: usize| pages as u64 * PAGE_SIZE / 1024;
    w(writeln!(out, "{:<16}{:>8} kB", "MemTotal:", kb(s.managed + s.cma_total)))?;
    w(writeln!(out, "{:<16}{:>8} kB", "MemFree:", kb(s.free + s.cma_free)))?;
    w(page::cma_meminfo(&mut out))?;
    owners(&[], out)
}

fn buddyinfo(_: &[&str], mut out: &mut dyn Write) -> Res {
    if page::census().is_none() {
        return Err(String::from("no page allocator (no memory map at boot)"));
    }
    w(page::buddyinfo(&mut out))
}

fn heap_cmd(_: &[&str], out: &mut dyn Write) -> Res {
    let h = heap::stats();
    w(writeln!(
        out,
        "heap: {} bytes used, {} free, {} regions, {} pages from the buddy allocator, {} slabs; grow failures {}, bad frees {} (double {}), corrupt free lists {}",
        h.used, h.free, h.regions, h.buddy_pages, h.slabs, h.grow_failures, h.bad_frees, h.double_frees, h.corrupt_free_lists
    ))?;
    w(writeln!(out, "  {:>6} {:>6} {:>8} {:>8}", "size", "slabs", "live", "capacity"))?;
    for c in h.classes.iter().filter(|c| c.slabs > 0) {
        w(writeln!(out, "  {:>6} {:>6} {:>8} {:>8}", c.size, c.slabs, c.live, c.capacity))?;
    }
    Ok(())
}

fn owners(_: &[&str], out: &mut dyn Write) -> Res {
    let Some(counts) = page::owner_counts() else {
        return Err(String::from("no page allocator (no memory map at boot)"));
    };
    w(writeln!(out, "{:<32} {:>10} {:>10}", "owner", "buddy", "CMA"))?;
    for (code, buddy, cma) in counts.iter() {
        let name = format!("{}", Owner::from_code(code));
        w(writeln!(out, "{name:<32} {buddy:>10} {cma:>10}"))?;
    }
    Ok(())
}

/// Default width of `map`'s lines, and the range it accepts.
const MAP_WIDTH_DEFAULT: u64 = 64;
const MAP_WIDTH_MIN: u64 = 32;
const MAP_WIDTH_MAX: u64 = 200;

/// `map [width]`: the text map of `mm::map` (the same runs as `/memory`).
fn map_cmd(args: &[&str], out: &mut dyn Write) -> Res {
    let width = match args.first() {
        None => MAP_WIDTH_DEFAULT,
        Some(a) => ::monitor::parse::number(a).map_err(|e| format!("map width: {e}"))?,
    };
    if !(MAP_WIDTH_MIN..=MAP_WIDTH_MAX).contains(&width) {
        return Err(format!("map width {width}: expected {MAP_WIDTH_MIN}-{MAP_WIDTH_MAX} characters"));
    }
    w(crate::mm::map::render_text_map(width as usize, out))
}

fn lspci(_: &[&str], out: &mut dyn Write) -> Res {
    w(pci::write_list(out, drivers::driver_name))
}

fn net_cmd(_: &[&str], out: &mut dyn Write) -> Res {
    w(net::summary(out))
}

fn log_cmd(args: &[&str], out: &mut dyn Write) -> Res {
    let level = ::monitor::parse::number(args[0]).map_err(|e| format!("{e}"))?;
    let level = u8::try_from(level).ok().filter(|&l| l <= 15).ok_or_else(|| format!("log level {level}: expected 0-15"))?;
    let filter = logger::filter_for_loglevel(level);
    log::set_max_level(filter);
    w(writeln!(out, "log: console loglevel {level}: {filter} and more urgent are printed"))
}

fn reconcile(_: &[&str], out: &mut dyn Write) -> Res {
    let ok = crate::mm::boot::reconcile("monitor");
    let acct = dma::accounting();
    let live = acct.dma.map_or(0, |d| d.live_mappings);
    w(writeln!(
        out,
        "reconcile: {} (buddy free {} pages, CMA free {} pages, DMA mappings live {live})",
        if ok { "reconciled" } else { "MISMATCH (see the memory line above)" },
        acct.pages.free,
        acct.pages.cma_free
    ))
}

fn halt(_: &[&str], out: &mut dyn Write) -> Res {
    mm::release_all(out);
    HALT.store(true, Ordering::Relaxed);
    w(writeln!(out, "halting"))
}
