//! Deliberate crashes (`-append "crash=KIND"`): each must end in a clear
//! report from the trap or panic handler, which the host runner checks.

use crate::arch;
use alloc::string::String;
use core::fmt::Write;
use log::{error, info};

unsafe extern "C" {
    fn alpha_raise_opdec();
    fn alpha_raise_overflow(a: i64, b: i64) -> i64;
    fn alpha_load_quad(addr: u64) -> u64;
    fn alpha_millicode_call(a: u64, b: u64, routine: unsafe extern "C" fn(), regs: *mut [u64; 32]) -> u64;
    fn __divq();
}

/// Every crash kind with the function that raises it (each returns only
/// if the machine did not trap): the one list of `crash=` values.
pub const KINDS: [(&str, fn()); 6] = [
    ("divzero", divzero),
    ("opdec", opdec),
    ("overflow", overflow),
    ("unaligned", unaligned),
    ("mm", mm),
    ("panic", deliberate_panic),
];

fn divzero() {
    let mut regs = [0; 32];
    // SAFETY: `__divq` is the division millicode; the call stub passes the
    // operands and collects the registers into `regs`, which it may write.
    let q = unsafe { alpha_millicode_call(0x1234, 0, __divq, &mut regs) };
    error!("crash test: __divq by zero returned {q:#x} instead of trapping");
}

fn opdec() {
    // SAFETY: executes a reserved opcode; the trap handler reports it and halts.
    unsafe { alpha_raise_opdec() }
}

fn overflow() {
    // SAFETY: an `addqv` that overflows; the arithmetic trap reports it and halts.
    let r = unsafe { alpha_raise_overflow(i64::MAX, 1) };
    error!("crash test: addqv overflow returned {r:#x} instead of trapping");
}

fn unaligned() {
    let base = arch::image::start();
    // SAFETY: a load from inside the kernel image (mapped), misaligned on
    // purpose; the unaligned-access trap reports it and halts.
    let v = unsafe { alpha_load_quad(base + 3) };
    error!("crash test: unaligned ldq returned {v:#x} instead of trapping");
}

fn mm() {
    // Virtual 0x2000 is in kuseg, which nothing maps: a TNV fault.
    // SAFETY: the load faults (nothing is mapped there); the memory
    // management trap reports it and halts.
    let v = unsafe { alpha_load_quad(0x2000) };
    error!("crash test: load from unmapped 0x2000 returned {v:#x} instead of faulting");
}

fn deliberate_panic() {
    panic!("deliberate panic for the crash test");
}

/// Raises the named crash; returns only if the kind is unknown.
pub fn raise(kind: &str) {
    info!("crash test: raising '{kind}'");
    let Some((_, crash)) = KINDS.iter().find(|(name, _)| *name == kind) else {
        let mut known = String::new();
        for (i, (name, _)) in KINDS.iter().enumerate() {
            let _ = write!(known, "{}{name}", if i > 0 { ", " } else { "" });
        }
        error!("crash test: unknown kind '{kind}' (known: {known})");
        return;
    };
    crash();
    arch::halt();
}
