//! Trap entry: `boot/trap.s` saves every register into a [`TrapFrame`] and
//! calls [`alpha_trap`]. Interrupts (clock, device, interprocessor) go to
//! the handler `irq` registers with [`set_interrupt_handler`] and return;
//! every other trap (and a machine check) is unexpected in a kernel with no
//! user mode, so it is reported through the sink given to [`init`] (the
//! console) with everything the frame holds, and the CPU halts.
//!
//! `arch` calls no module above it: the interrupt handler and the report
//! sink are function pointers handed down at boot.

use super::{Entry, wrent, wrkgp};
use core::fmt::{self, Write};
use spin::Once;

/// Where trap reports go: writes its arguments somewhere the operator sees
/// them, even if the interrupted code held that output's lock.
pub type ReportSink = fn(fmt::Arguments);

/// `entInt`'s handler: gets the interrupt type (a0) and vector (a1);
/// returns false for what must be reported as a trap.
pub type InterruptHandler = fn(kind: u64, vector: u64) -> bool;

static SINK: Once<ReportSink> = Once::new();
static INTERRUPT: Once<InterruptHandler> = Once::new();

/// Installs the interrupt handler (once; later calls are ignored).
pub fn set_interrupt_handler(h: InterruptHandler) {
    INTERRUPT.call_once(|| h);
}

/// A `Write` over the report sink.
struct Report(ReportSink);

impl Write for Report {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        (self.0)(format_args!("{s}"));
        Ok(())
    }
    fn write_fmt(&mut self, args: fmt::Arguments) -> fmt::Result {
        (self.0)(args);
        Ok(())
    }
}

/// Without a sink (not reached: `init` sets one first) the report is lost.
fn no_sink(_: fmt::Arguments) {}

/// The PALcode's frame (OSF/1 `FRM_*`): pushed on kernel entry.
#[repr(C)]
#[derive(Debug)]
pub struct PalFrame {
    pub ps: u64,
    pub pc: u64,
    pub gp: u64,
    pub a0: u64,
    pub a1: u64,
    pub a2: u64,
}

/// All integer registers as they were at the trap (`regs[n]` is `$n`;
/// `$16..$18` hold the PALcode's trap arguments, the interrupted code's a0-a2
/// and gp are in `pal`; `regs[30]` is the stack pointer before the trap).
#[repr(C)]
pub struct TrapFrame {
    pub regs: [u64; 32],
    pub pal: PalFrame,
}

unsafe extern "C" {
    fn entInt();
    fn entArith();
    fn entMM();
    fn entIF();
    fn entUna();
    fn entSys();
}

/// Installs every kernel entry point with `wrent` and the kernel's $gp with
/// `wrkgp`; unexpected traps are reported through `sink`.
pub fn init(sink: ReportSink) {
    SINK.call_once(|| sink);
    // SAFETY: the kernel's own $gp (from the linker), before any entry point
    // is installed; every entry below then runs with it.
    unsafe { wrkgp(super::kernel_gp()) };
    let entries: [(Entry, unsafe extern "C" fn()); 6] = [
        (Entry::Interrupt, entInt),
        (Entry::Arithmetic, entArith),
        (Entry::MemoryManagement, entMM),
        (Entry::InstructionFault, entIF),
        (Entry::Unaligned, entUna),
        (Entry::System, entSys),
    ];
    for (entry, handler) in entries {
        // SAFETY: each handler is the matching stub in `boot/trap.s`, which
        // saves a `TrapFrame`, calls `alpha_trap` and returns with `rti`.
        unsafe { wrent(entry, handler) };
    }
}

const REG_NAMES: [&str; 32] = [
    "v0", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "s0", "s1", "s2", "s3", "s4", "s5",
    "fp", "a0", "a1", "a2", "a3", "a4", "a5", "t8", "t9", "t10", "t11", "ra", "pv", "at", "gp",
    "sp", "zero",
];

/// What a trap was, decoded from its kind and the PALcode's arguments.
pub fn describe(kind: u64, f: &TrapFrame, w: &mut impl Write) -> core::fmt::Result {
    let (a0, a1, a2) = (f.regs[16], f.regs[17], f.regs[18]);
    match kind {
        0 => {
            // OSF/1 entInt types (PALcode's INT_K_*; Linux's do_entInt).
            let what = match a0 {
                0 => "interprocessor interrupt",
                1 => "clock interrupt",
                2 => "machine check",
                3 => "I/O device interrupt",
                4 => "performance counter interrupt",
                _ => "unknown interrupt type",
            };
            write!(w, "unexpected interrupt: {what} (type {a0}, vector {a1:#x}, logout {a2:#x})")
        }
        1 => {
            write!(w, "arithmetic trap: exception summary {a0:#x} [")?;
            let bits = [
                (0, "software completion"),
                (1, "invalid operation"),
                (2, "division by zero (FP)"),
                (3, "FP overflow"),
                (4, "FP underflow"),
                (5, "inexact"),
                (6, "integer overflow"),
            ];
            let mut first = true;
            for (bit, name) in bits {
                if a0 & (1 << bit) != 0 {
                    write!(w, "{}{name}", if first { "" } else { ", " })?;
                    first = false;
                }
            }
            write!(w, "], register write mask {a1:#x}")
        }
        2 => {
            let why = match a1 {
                0 => "translation not valid",
                1 => "access violation",
                2 => "fault on read",
                3 => "fault on execute",
                4 => "fault on write",
                _ => "unknown MMCSR",
            };
            let access = match a2 as i64 {
                -1 => "instruction fetch",
                0 => "read",
                1 => "write",
                _ => "unknown access",
            };
            write!(w, "memory management fault: {why} on {access} at virtual address {a0:#018x}")
        }
        3 => match a0 {
            0 => write!(w, "instruction fault: breakpoint (bpt)"),
            1 => write!(w, "instruction fault: bugcheck (bugchk)"),
            2 => {
                let code = f.pal.a0 as i64;
                if code == -2 {
                    write!(w, "integer division by zero (gentrap GEN_INTDIV from the division millicode; dividend {:#x}, caller ra t9={:#x})", f.pal.a1, f.regs[23])
                } else {
                    write!(w, "instruction fault: gentrap code {code}")
                }
            }
            3 => write!(w, "instruction fault: floating point disabled (FEN)"),
            4 => write!(w, "illegal instruction (OPCDEC: reserved or privileged opcode)"),
            _ => write!(w, "instruction fault: unknown type {a0}"),
        },
        4 => write!(
            w,
            "unaligned access at virtual address {a0:#018x} (opcode {a1:#x}, register ${a2})"
        ),
        5 => write!(w, "system call (callsys) from kernel mode: v0={:#x}", f.regs[0]),
        _ => write!(w, "unknown trap kind {kind}"),
    }
}

/// Called by `boot/trap.s` for every kernel entry.
#[unsafe(no_mangle)]
extern "C" fn alpha_trap(frame: &mut TrapFrame, kind: u64) {
    if kind == 0 && INTERRUPT.get().is_some_and(|h| h(frame.regs[16], frame.regs[17])) {
        return;
    }
    let mut out = Report(*SINK.get().unwrap_or(&(no_sink as ReportSink)));
    let _ = write!(out, "\n*** TRAP: ");
    let _ = describe(kind, frame, &mut out);
    let _ = writeln!(
        out,
        "\n*** at PC {:#018x}, PS {:#x} (IPL {}, {} mode)",
        frame.pal.pc,
        frame.pal.ps,
        frame.pal.ps & 7,
        if frame.pal.ps & 8 != 0 { "user" } else { "kernel" }
    );
    let _ = writeln!(
        out,
        "*** interrupted a0={:#018x} a1={:#018x} a2={:#018x} gp={:#018x}",
        frame.pal.a0, frame.pal.a1, frame.pal.a2, frame.pal.gp
    );
    for row in 0..8 {
        let _ = write!(out, "***");
        for col in 0..4 {
            let n = row * 4 + col;
            let v = match n {
                16..=18 => [frame.pal.a0, frame.pal.a1, frame.pal.a2][n - 16],
                29 => frame.pal.gp,
                _ => frame.regs[n],
            };
            let _ = write!(out, " {:>4}=${:<2} {:#018x}", REG_NAMES[n], n, v);
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "*** kernel halted after an unexpected trap");
    super::halt();
}
