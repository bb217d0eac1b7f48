//! The QEMU integration test cases. Each boots the kernel once.

pub struct Case {
    pub name: &'static str,
    /// Kernel command line (`-append`); empty for none.
    pub append: &'static str,
    /// Extra QEMU arguments (`-m 256M` is added unless `-m` is given).
    pub qemu: &'static [&'static str],
    pub timeout_s: u64,
    /// Substrings that must appear in the console output, in this order.
    pub expect: &'static [&'static str],
    /// Substrings that must not appear anywhere.
    pub forbid: &'static [&'static str],
    /// The trap report's PC must lie inside this function (crash tests).
    pub trap_pc_in: Option<&'static str>,
}

const NO_CRASH: &[&str] = &["*** TRAP", "*** KERNEL PANIC", "FAILED"];

const fn case(name: &'static str, append: &'static str) -> Case {
    Case { name, append, qemu: &[], timeout_s: 90, expect: &[], forbid: NO_CRASH, trap_pc_in: None }
}

pub fn all() -> Vec<Case> {
    vec![
        Case {
            expect: &[
                "alpha-unikernel 0.1.0",
                "command line: \"\"",
                "HWRPB: revision",
                "CPU: ",
                "system: ",
                "memory: 256 MiB",
                "heap: early arena",
                "ready; halting",
            ],
            ..case("boot-banner", "")
        },
        Case {
            qemu: &["-m", "1G", "-smp", "2"],
            expect: &["CPU: ", "2 processor", "memory: 1024 MiB", "ready; halting"],
            ..case("banner-1g-smp2", "")
        },
        Case {
            expect: &[
                "command line: \"hello=world loglevel=7 verbose\"",
                "boot parameter kept for later: hello=world",
                "boot parameter kept for later: verbose",
                "ready; halting",
            ],
            ..case("cmdline", "hello=world loglevel=7 verbose")
        },
        Case {
            expect: &["boot parameter ignored: loglevel=banana", "ready; halting"],
            ..case("bad-loglevel", "loglevel=banana")
        },
        Case {
            expect: &["crash test: unknown kind 'nonsense'", "ready; halting"],
            ..case("crash-unknown-kind", "crash=nonsense")
        },
        Case {
            timeout_s: 300,
            expect: &[
                "selftest division-millicode: ok",
                "selftest division-rust-ops: ok",
                "selftest wide-128bit: ok",
                "selftest atomics: ok",
                "selftest formatting: ok",
                "selftest heap: ok",
                "selftest summary: 6 passed, 0 failed",
                "KERNEL TEST RESULT: PASS",
            ],
            ..case("selftest", "test")
        },
        crash("crash-divzero", "crash=divzero", &[
            "crash test: raising 'divzero'",
            "*** TRAP: integer division by zero (gentrap GEN_INTDIV from the division millicode; dividend 0x1234",
        ], "__divq"),
        crash("crash-opdec", "crash=opdec", &[
            "crash test: raising 'opdec'",
            "*** TRAP: illegal instruction (OPCDEC",
        ], "alpha_raise_opdec"),
        crash("crash-overflow", "crash=overflow", &[
            "crash test: raising 'overflow'",
            "*** TRAP: arithmetic trap: exception summary 0x40 [integer overflow]",
        ], "alpha_raise_overflow"),
        crash("crash-unaligned", "crash=unaligned", &[
            "crash test: raising 'unaligned'",
            "*** TRAP: unaligned access at virtual address 0xfffffc0000310003",
        ], "alpha_load_quad"),
        crash("crash-mm", "crash=mm", &[
            "crash test: raising 'mm'",
            "*** TRAP: memory management fault: translation not valid on read at virtual address 0x0000000000002000",
        ], "alpha_load_quad"),
        Case {
            expect: &[
                "crash test: raising 'panic'",
                "*** KERNEL PANIC: deliberate panic for the crash test at kernel/src/selftest/crash.rs:",
                "*** kernel halted",
            ],
            forbid: &["*** TRAP", "ready; halting"],
            ..case("crash-panic", "crash=panic")
        },
    ]
}

/// A crash test: the report lines, then the trap's PC and registers and the
/// halt; the PC must lie in `pc_in`.
fn crash(name: &'static str, append: &'static str, report: &'static [&'static str], pc_in: &'static str) -> Case {
    Case {
        expect: report,
        forbid: &["*** KERNEL PANIC", "ready; halting", "instead of"],
        trap_pc_in: Some(pc_in),
        ..case(name, append)
    }
}
