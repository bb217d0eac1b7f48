//! Trap entry: `boot/trap.s` saves every register into a [`TrapFrame`] and
//! calls [`alpha_trap`]. Interrupts (clock, device, interprocessor) go to
//! [`crate::irq::dispatch`] and return; every other trap (and a machine
//! check) is unexpected in a kernel with no user mode, so it is reported
//! with everything the frame holds and the CPU halts.

use super::{Entry, wrent, wrkgp};
use crate::console;
use core::fmt::Write;

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
/// `wrkgp`.
pub fn init() {
    wrkgp(super::kernel_gp());
    wrent(Entry::Interrupt, entInt);
    wrent(Entry::Arithmetic, entArith);
    wrent(Entry::MemoryManagement, entMM);
    wrent(Entry::InstructionFault, entIF);
    wrent(Entry::Unaligned, entUna);
    wrent(Entry::System, entSys);
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
    if kind == 0 && crate::irq::dispatch(frame.regs[16], frame.regs[17]) {
        return;
    }
    let mut out = console::emergency();
    let _ = write!(out, "\n*** TRAP: ");
    let _ = describe(kind, frame, &mut *out);
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
