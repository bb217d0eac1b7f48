//! Deliberate crashes (`-append "crash=KIND"`): each must end in a clear
//! report from the trap or panic handler, which the host runner checks.

use crate::arch;
use log::{error, info};

unsafe extern "C" {
    fn alpha_raise_opdec();
    fn alpha_raise_overflow(a: i64, b: i64) -> i64;
    fn alpha_load_quad(addr: u64) -> u64;
    fn alpha_millicode_call(a: u64, b: u64, routine: unsafe extern "C" fn(), regs: *mut [u64; 32]) -> u64;
    fn __divq();
}

pub const KINDS: &[&str] = &["divzero", "opdec", "overflow", "unaligned", "mm", "panic"];

/// Raises the named crash; returns only if the kind is unknown.
pub fn raise(kind: &str) {
    info!("crash test: raising '{kind}'");
    match kind {
        "divzero" => {
            let mut regs = [0; 32];
            // SAFETY: a millicode call; dividing by zero traps, which is
            // the point (the trap handler reports and halts).
            let q = unsafe { alpha_millicode_call(0x1234, 0, __divq, &mut regs) };
            error!("crash test: __divq by zero returned {q:#x} instead of trapping");
        }
        // SAFETY: raises an illegal-instruction trap on purpose.
        "opdec" => unsafe { alpha_raise_opdec() },
        "overflow" => {
            // SAFETY: an addqv that overflows: an arithmetic trap on purpose.
            let r = unsafe { alpha_raise_overflow(i64::MAX, 1) };
            error!("crash test: addqv overflow returned {r:#x} instead of trapping");
        }
        "unaligned" => {
            let base = arch::image::start();
            // SAFETY: a load from the kernel image, misaligned on purpose
            // (an unaligned-access trap).
            let v = unsafe { alpha_load_quad(base + 3) };
            error!("crash test: unaligned ldq returned {v:#x} instead of trapping");
        }
        "mm" => {
            // Virtual 0x2000 is in kuseg, which nothing maps: a TNV fault.
            // SAFETY: a load the MMU refuses, on purpose (the fault handler
            // reports and halts).
            let v = unsafe { alpha_load_quad(0x2000) };
            error!("crash test: load from unmapped 0x2000 returned {v:#x} instead of faulting");
        }
        "panic" => panic!("deliberate panic for the crash test"),
        other => {
            error!("crash test: unknown kind '{other}' (known: {})", KINDS.join(", "));
            return;
        }
    }
    arch::halt();
}
