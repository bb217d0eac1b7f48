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
    /// Substrings of the kernel's `ERROR` and `WARN` log lines this case
    /// expects (bad parameters, fault injection, refusals...). Any other
    /// `ERROR`/`WARN` line fails the case, and so does a pattern here that
    /// matches none (the list cannot go stale).
    pub allow: &'static [&'static str],
    /// A crash case: trap and panic reports (`*** TRAP`, `*** KERNEL
    /// PANIC`) are what it checks. Every other case fails on them.
    pub crash: bool,
    /// The trap report's PC must lie inside this function (crash tests).
    pub trap_pc_in: Option<&'static str>,
    /// The memory reconciliation line must add up, with this much memory
    /// and this much CMA (MiB).
    pub memory: Option<MemExpect>,
    /// What QEMU's `-kernel` loads: the kernel, or the SRM boot stub.
    pub boot: Boot,
    /// Change guest memory through QEMU's gdbstub before the guest runs.
    pub gdb: Option<GdbAction>,
    /// Console input, in order: once the output (after the previous
    /// input was written) contains the string, write the bytes to the
    /// serial console's input (QEMU's stdin). A case whose kernel stays up
    /// ([`stays_up`]) also gets `halt` typed at the monitor's prompt after
    /// these.
    pub stdin_on: &'static [(&'static str, &'static [u8])],
    /// The one memory reconciliation allowed to fail: its label and the
    /// difference it must state (every other one must reconcile).
    pub mismatch: Option<(&'static str, i64)>,
    /// A disk on the CMD646's first channel: the runner writes the image,
    /// attaches it and checks it after the run ([`crate::disk`]).
    pub disk: Option<Disk>,
}

pub use crate::disk::Disk;

pub use crate::gdb::GdbAction;

/// What the runner gives QEMU's `-kernel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// The kernel ELF itself.
    Kernel,
    /// The SRM boot program (the stub with the kernel attached, as
    /// `srm-image srm-boot` makes it), wrapped by `srm-image qemu-elf` at
    /// physical `phys`: QEMU cannot map it at 0x20000000 as SRM does, so the
    /// position-independent stub runs in KSEG. The runner predicts the
    /// stub's copy plan with srm_image::relocate and expects those lines.
    SrmStub { phys: u64 },
    /// The same with one kernel byte changed after the header was made.
    SrmStubCorrupt { phys: u64 },
    /// The stub alone, no kernel attached.
    SrmStubEmpty { phys: u64 },
}

#[derive(Clone, Copy, Debug)]
pub struct MemExpect {
    pub total_mib: u64,
    pub cma_mib: u64,
}

/// Forbidden in every case unless it says otherwise (a failed self-test or
/// image check; trap and panic reports are refused by the judge itself).
const NO_FAILURE: &[&str] = &["FAILED"];
/// No failure and no DMA-API debug report.
const NO_DMA_REPORT: &[&str] = &["FAILED", "DMA-API: "];

/// The `ERROR`/`WARN` lines of the self-tests (`-append test`): the
/// DMA-API debug reports `dma-debug-reports` provokes on purpose (a
/// wrong-size unmap, a double unmap, freeing mapped memory) and the
/// allocations `dma-fault-injection` makes fail.
const SELFTEST_ALLOW: &[&str] = &[
    // dma-debug-reports, each once (the bus addresses differ with iommu=strict).
    "with a different size: mapped 512 bytes at kernel/src/selftest/dma.rs:",
    "with a different direction: mapped ToDevice at kernel/src/selftest/dma.rs:",
    "with the wrong function: mapped as Single at kernel/src/selftest/dma.rs:",
    "DMA-API: test-debug-other: unmapping bus address 0x",
    "+16 (ToDevice), which lies in no mapping of this device",
    "+16 (ToDevice) runs past the end of the mapping at bus 0x",
    "+512 with direction FromDevice, but the mapping at bus 0x",
    "DMA-API: test-debug-other: sync_for_cpu of bus 0x",
    "(512 bytes, Single), which is not mapped (double unmap?)",
    "DMA-API: test-debug: freeing memory 0x",
    // dma-sg-limits: DMA-API debug's segment check given a bad segment.
    "DMA-API: test-seg-check: segment 0 at bus 0x4000f000+0x2000 crosses 0x40010000, a boundary of the device's seg_boundary_mask 0xffff",
    // dma-fault-injection.
    "fault injection: failing buddy allocation #1",
    "fault injection: failing CMA allocation #1",
    "fault injection: failing IOMMU allocation #1",
    "fault injection: failing IOMMU PTE write #2",
    "fault injection: failing IOMMU PTE write #3",
    "fault injection: failing IOMMU PTE write #4",
];

/// The same with `dma_debug=off`: the debug reports are not made.
const SELFTEST_DEBUG_OFF_ALLOW: &[&str] = &[
    "fault injection: failing buddy allocation #1",
    "fault injection: failing CMA allocation #1",
    "fault injection: failing IOMMU allocation #1",
    "fault injection: failing IOMMU PTE write #2",
    "fault injection: failing IOMMU PTE write #3",
    "fault injection: failing IOMMU PTE write #4",
];

/// The disk of the disk cases: 8 MiB of seed 0x5eed's pattern, and the
/// region the write test writes with seed 0xc0ffee (`disk_write=`).
const DISK: Disk = Disk {
    sectors: 16384,
    seed: 0x5eed,
    write: Some(bootparam::DiskWrite { seed: 0xc0ffee, lba: 1000, sectors: 300 }),
    blkdebug: None,
};

/// QEMU blkdebug rules: every read that touches sector 100 fails with
/// EIO (errno 5), each time (no `once`), so every retry fails too.
const BLKDEBUG_SECTOR_100: &str = "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"100\"\n";

/// What `disk_test=` prints when every test passes.
const DISK_TEST_EXPECT: &[&str] = &[
    "ide0: QEMU HARDDISK (QM00001), 16384 sectors (8 MiB)",
    "disk test: ide0 (16384 sectors; max ",
    "pattern seed 0x5eed",
    "disk: reads 1..=",
    " sectors by DMA: ok (",
    "disk: buffers straddling page and 64 KiB boundaries by DMA: ok (",
    "disk: multi-segment lists by DMA: ok (",
    "disk: reads by PIO: ok (",
    "disk: merging in the request queue: ok (32 single-sector reads in runs of [24, 8] -> 2 command(s) (30 merged)",
    "disk: writes, read back and flush: ok (seed 0xc0ffee to sectors 1000..1300 (284 by DMA, 16 by PIO), flushed",
    "disk: refused requests: ok (7 bad requests refused, no command sent)",
    "disk: nothing left behind: ok",
    "disk test: 8 passed, 0 failed, 0 skipped",
    "memory (after the disk tests): total ",
    "ready; halting (one-shot run: disk_test)",
    "ide0: down (",
    "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
];

/// The monitor's prompt.
pub const PROMPT: &str = "alpha> ";

/// Whether the kernel stays up after boot in this case (no one-shot flag
/// on its command line, and the kernel itself boots, not just the SRM
/// stub that refuses it): the runner types `halt` at the monitor's prompt
/// and checks that the prompt came and the halt path ran.
pub fn stays_up(case: &Case) -> bool {
    matches!(case.boot, Boot::Kernel | Boot::SrmStub { .. })
        && !case.crash
        && bootparam::one_shot(&bootparam::EarlyParams::parse(case.append)).is_none()
}

pub const fn case(name: &'static str, append: &'static str) -> Case {
    Case {
        name,
        append,
        qemu: &[],
        timeout_s: 90,
        expect: &[],
        forbid: NO_FAILURE,
        allow: &[],
        crash: false,
        trap_pc_in: None,
        memory: None,
        boot: Boot::Kernel,
        gdb: None,
        stdin_on: &[],
        mismatch: None,
        disk: None,
    }
}

pub fn all() -> Vec<Case> {
    vec![
        Case {
            expect: &[
                "alpha-unikernel 0.1.0",
                "command line: \"\"",
                "HWRPB: revision",
                "HWRPB: magic as the quadword 0x4857525042000000 (as QEMU's PALcode writes it)",
                "CPU: ",
                "system: ",
                "memory: 256 MiB",
                "heap: early arena",
                // QEMU's PALcode (init.c: init_page_table) builds its page
                // table in its own image: page_dir with the self-map in
                // entry 1023, plus one level-2 and one level-3 table for
                // the HWRPB at 0x10000000, all inside the console/PALcode
                // cluster 0. The memory check also checks them (at least 2
                // pages, each inside a reservation).
                "mm: console page tables: 3 pages (L1 0x",
                "; VPTB 0xfffffffe00000000, HWRPB 0x10000000 -> 0x",
                "3 in console memory, 0 in free memory, nothing to reserve",
                "ready; halting",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            ..case("boot-banner", "")
        },
        Case {
            expect: &[
                "console callbacks: this line was written by the console's CRB PUTS routine",
                "console callbacks: PUTS wrote 76 bytes",
                "console callback GET_ENV: not supported by this console (status 0xc000000000000000)",
                "ready; halting",
            ],
            ..case("console-callbacks", "")
        },
        // The serial console keeps the speed the firmware left in the 16550
        // (QEMU's PALcode, like SRM by default, programs 9600 baud: divisor
        // 12); console_baud= changes it, nonsense is refused.
        Case {
            expect: &["console: COM1 at 9600 baud (divisor 12, as the firmware left it)", "ready; halting"],
            forbid: &["FAILED", "console: COM1 switching"],
            ..case("console-baud-firmware", "")
        },
        Case {
            expect: &[
                "console: COM1 switching from 9600 baud (divisor 12, as the firmware left it) to 115200 baud (divisor 1, console_baud=115200); set the terminal to 115200",
                "console: COM1 now at 115200 baud (divisor 1, console_baud=115200)",
                "ready; halting",
            ],
            ..case("console-baud-override", "console_baud=115200")
        },
        Case {
            expect: &[
                "console: COM1 at 9600 baud (divisor 12, console_baud=9600: as the firmware left it already)",
                "ready; halting",
            ],
            forbid: &["FAILED", "console: COM1 switching"],
            ..case("console-baud-same-as-firmware", "console_baud=9600")
        },
        Case {
            expect: &[
                "boot parameter ignored: console_baud=12345: out of range (expected 9600|19200|38400|57600|115200)",
                "boot parameter ignored: console_baud=fast: not a number (expected 9600|19200|38400|57600|115200)",
                "console: COM1 at 9600 baud (divisor 12, as the firmware left it; console_baud= ignored)",
                "ready; halting",
            ],
            forbid: &["FAILED", "console: COM1 switching"],
            allow: &["boot parameter ignored: console_baud=12345", "boot parameter ignored: console_baud=fast"],
            ..case("console-baud-bad", "console_baud=12345 console_baud=fast")
        },
        // GETC through the CRB with 2 arguments in $25 as Linux passes;
        // QEMU's PALcode waits for a character, so the runner types one once
        // the kernel says it is calling (status 0: success, character).
        Case {
            expect: &[
                "console callbacks: GETC test: calling GETC on terminal 0",
                "console callbacks: GETC returned 0x0000000000000078: status 0 (success, character received): character 'x' (0x78)",
                "ready; halting",
            ],
            stdin_on: &[("GETC test: calling GETC", b"x")],
            ..case("console-callbacks-getc", "console_getc_test")
        },
        Case {
            qemu: &["-m", "1G", "-smp", "2"],
            expect: &["CPU: ", "2 processor", "memory: 1024 MiB", "ready; halting"],
            ..case("banner-1g-smp2", "")
        },
        Case {
            expect: &[
                "command line: \"hello=world loglevel=8 verbose\"",
                "boot parameter kept for later: hello=world",
                "boot parameter kept for later: verbose",
                "ready; halting",
            ],
            ..case("cmdline", "hello=world loglevel=8 verbose")
        },
        // More words than the parser keeps: the rest are counted and said.
        Case {
            expect: &[
                "boot parameter kept for later: w32",
                "boot parameters: 8 more word(s) not kept (the parser keeps 32); flags among them have no effect",
                "ready; halting",
            ],
            forbid: &["FAILED", "kept for later: w33"],
            allow: &["boot parameters: 8 more word(s) not kept"],
            ..case("cmdline-too-many-words", "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 w38 w39 w40")
        },
        // A malformed loglevel= leaves the default (7, Linux's: info and
        // more urgent): INFO lines, no DEBUG line (the judge checks the
        // level of every case).
        Case {
            expect: &["boot parameter ignored: loglevel=banana", "ready; halting"],
            allow: &["boot parameter ignored: loglevel=banana"],
            ..case("bad-loglevel", "loglevel=banana")
        },
        // loglevel=5: warnings and errors only (Linux: levels below 5). The malformed cma= is the
        // warning that must get through; no INFO line may.
        Case {
            expect: &["alpha-unikernel 0.1.0", "WARN  boot parameter ignored: cma=banana"],
            allow: &["boot parameter ignored: cma=banana"],
            ..case("loglevel-warn", "loglevel=5 cma=banana")
        },
        Case {
            expect: &["crash test: unknown kind 'nonsense'", "ready; halting"],
            allow: &["crash test: unknown kind 'nonsense'"],
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
                "selftest codegen-enum-niche: ok",
                "selftest hwrpb-errors: ok (3 corrupted copies refused with the right error)",
                "selftest mm-page-owner: ok (pfn 0x",
                "held by selftest (order 3), allocated at kernel/src/selftest/mm.rs:",
                "selftest mm-bad-frees: ok",
                "memory (after mm-storm): total ",
                "selftest mm-storm: ok",
                "selftest dma-windows: ok",
                "selftest dma-coherent-cma-fallback: ok (12 MiB from CMA",
                "selftest dma-debug-reports: ok (page mapped twice at one direct-window address silent;",
                "selftest dma-fault-injection: ok (9 error paths, nothing leaked",
                "selftest dma-storm: ok (",
                " mappings, each in its window and its data read back through the chipset's translation (",
                "selftest dma-pool: ok (test-pool: 1100 objects in 3 chunks; test-pool-sg: 1100 objects in 3 chunks; no memory for a chunk -> NoMemory; refused: ",
                "selftest dma-sg-limits: ok (test-seg-auto: 5 segments (4 crossing) -> 10 entries in the direct window; test-seg-sg: 5 segments (4 crossing) -> ",
                " entries in the PCI SG window; test-seg-isa: 5 segments (4 crossing) -> ",
                " entries in the ISA window; a crossing segment reported by DMA-API debug; refused: test-seg-bad: segment limits max_seg_size 0x0",
                "selftest dma-set-mask: ok (24-bit: ISA SG; 32-bit: direct (memory below 0x80000000), PCI SG, ISA SG; refused: test-mask: DMA mask 0xffff reaches no DMA window",
                "monitor-mm: alpha> fragment 9: fragment: the largest free buddy block is now order 8: no free block of order 9 or above",
                "monitor-mm: alpha> dma alloc 4M: dma alloc: handle ",
                "from CMA (512 pages; the buddy allocator has no free block of order 9: its largest is order 8)",
                "selftest monitor-mm: ok (alloc 3 and free: buddyinfo back exactly; fragment 9 pinned ",
                "dma alloc 4M served by CMA;",
                // No 21143 without -nic ...,model=tulip: the loopback
                // proofs are skipped, and counted as skipped.
                "selftest tulip-loopback-sg: skipped (no DEC 21143 on bus 0",
                "selftest tulip-loopback-direct: skipped (no DEC 21143 on bus 0",
                "selftest summary: 20 passed, 0 failed, 2 skipped",
                "memory (after the self-tests): total ",
                "KERNEL TEST RESULT: PASS",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 64 }),
            allow: SELFTEST_ALLOW,
            ..case("selftest", "test cma=64M")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            timeout_s: 300,
            expect: &[
                "driver: tulip (DEC 21143)",
                // The address is the 21143's in the PCI listing (checked
                // with its Cchip line for every case with a 21143).
                "selftest tulip-loopback-sg: ok (00:0",
                " via BAR1 memory",
                "window ForceSg; rings bus 0x4",
                "(scatter-gather), TX pa",
                "1514-byte frame looped back (RDES0 0x05ee0300: FL 1518), data identical; stale mapping: bus 0x4",
                "refused the write",
                "still poison",
                "selftest tulip-loopback-direct: ok (00:0",
                " via BAR1 memory",
                "window ForceDirect; rings bus 0x8",
                "1514-byte frame looped back (RDES0 0x05ee0300: FL 1518), data identical; stale-mapping phase skipped",
                "selftest summary: 22 passed, 0 failed, 0 skipped",
                "KERNEL TEST RESULT: PASS",
                "DMA-API debug: 0 mappings live at shutdown",
            ],
            allow: SELFTEST_ALLOW,
            ..case("dma-device-proof-tulip", "test cma=64M")
        },
        Case {
            qemu: &["-nic", "user,model=tulip", "-m", "2G"],
            timeout_s: 300,
            expect: &[
                "iommu=strict: every device maps through the scatter-gather window",
                "selftest tulip-loopback-sg: ok (",
                "selftest tulip-loopback-direct: ok (",
                "selftest summary: 22 passed, 0 failed, 0 skipped",
                "KERNEL TEST RESULT: PASS",
            ],
            allow: SELFTEST_ALLOW,
            ..case("dma-device-proof-tulip-strict-2g", "test iommu=strict")
        },
        Case {
            timeout_s: 120,
            expect: &[
                "bench: cycles per operation, allocation and free timed separately",
                "bench: pages order 0 ",
                "bench: pages order 10 ",
                "bench: cma 512 pages ",
                "bench: coherent 128 KiB bench-sg ",
                "bench: map_single 65536 B bench-sg ",
                "bench: done",
            ],
            ..case("kernel-bench", "bench")
        },
        Case {
            expect: &[
                "pci: bus 0 has ",
                "00:07.0 ISA bridge [0601]: 8086:0484",
                "pchip: firmware window 0:",
                "pchip: window 0: scatter-gather bus 0x00800000-0x00ffffff",
                "pchip: window 1: scatter-gather bus 0x40000000-0x4fffffff",
                "pchip: window 2: direct bus 0x80000000-0xffffffff -> physical 0x0",
                "pchip: window 3: disabled",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
                "pchip: firmware DMA windows restored",
            ],
            ..case("pci-and-windows", "")
        },
        Case {
            timeout_s: 300,
            expect: &["selftest dma-coherent-cma-fallback: ok (12 MiB refused cleanly", "KERNEL TEST RESULT: PASS"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 0 }),
            allow: SELFTEST_ALLOW,
            ..case("dma-no-cma", "test cma=0")
        },
        Case {
            timeout_s: 300,
            expect: &[
                "iommu=strict: every device maps through the scatter-gather window",
                "selftest dma-windows: ok",
                "selftest dma-storm: ok",
                "selftest dma-pool: ok (",
                "selftest dma-sg-limits: ok (test-seg-auto: 5 segments (4 crossing) -> ",
                " entries in the PCI SG window; test-seg-sg: ",
                "selftest dma-set-mask: ok (24-bit: ISA SG; 32-bit: PCI SG, ISA SG; refused: ",
                "KERNEL TEST RESULT: PASS",
            ],
            allow: SELFTEST_ALLOW,
            ..case("dma-iommu-strict", "test iommu=strict")
        },
        Case {
            timeout_s: 300,
            expect: &["dma: DMA-API debug off (dma_debug=off)", "selftest dma-debug-reports: skipped (dma_debug=off)", "selftest summary: 19 passed, 0 failed, 3 skipped", "KERNEL TEST RESULT: PASS"],
            allow: SELFTEST_DEBUG_OFF_ALLOW,
            ..case("dma-debug-off", "test dma_debug=off")
        },
        Case {
            expect: &[
                "fault injection armed: fail_iommu=1",
                "fault injection: failing IOMMU allocation #1",
                "dma probe: alloc_coherent failed cleanly: fault-probe: no 4 free IOMMU entries",
                "dma probe: map_single gave bus 0x4",
                "dma probe: nothing leaked",
            ],
            allow: &["fault injection armed: fail_iommu=1", "fault injection: failing IOMMU allocation #1"],
            ..case("dma-fail-iommu", "fail_iommu=1")
        },
        Case {
            expect: &[
                "fault injection: failing buddy allocation #1",
                "dma probe: alloc_coherent gave Cma",
                "dma probe: nothing leaked",
            ],
            allow: &["fault injection armed: fail_buddy=1", "fault injection: failing buddy allocation #1"],
            ..case("dma-fail-buddy-cma-fallback", "fail_buddy=1")
        },
        Case {
            expect: &[
                "fault injection: failing buddy allocation #1",
                "fault injection: failing CMA allocation #1",
                "dma probe: alloc_coherent failed cleanly: no memory for 32768 bytes",
                "dma probe: nothing leaked",
            ],
            allow: &[
                "fault injection armed: fail_buddy=1",
                "fault injection armed: fail_cma=1",
                "fault injection: failing buddy allocation #1",
                "fault injection: failing CMA allocation #1",
            ],
            ..case("dma-fail-buddy-and-cma", "fail_buddy=1 fail_cma=1")
        },
        Case {
            expect: &[
                "dma probe: leaving ",
                "DMA-API: fault-probe: mapping leaked at shutdown: Single bus 0x4",
                "DMA-API debug: 1 mappings live at shutdown",
            ],
            allow: &["DMA-API: fault-probe: mapping leaked at shutdown: Single bus 0x4"],
            ..case("dma-leak-reported", "dma_leak_test")
        },
        // A DMA pool's leaks (kernel/src/selftest/dma.rs pool_leak_probe):
        // destroy with an object forgotten, a pool forgotten with one.
        Case {
            expect: &[
                "dma pool leak-prd for pool-probe: 16-byte objects, align 16, boundary 0x1000, 8192-byte chunks",
                "dma pool probe: leaving the object at bus 0x4",
                "DMA-API: pool-probe: pool leak-prd destroyed at kernel/src/selftest/dma.rs:",
                "dma pool probe: destroy: DMA pool leak-prd destroyed with 1 object(s) still allocated (their chunks stay allocated)",
                "DMA-API: pool-probe: pool leak-prd object at bus 0x4",
                "DMA-API: pool-probe: pool leak-kept still alive at shutdown (1 chunk(s) held) [at kernel/src/selftest/dma.rs:",
                "DMA-API: pool-probe: pool leak-kept object at bus 0x4",
                "DMA-API: pool-probe: mapping leaked at shutdown: Coherent bus 0x4",
                "DMA-API debug: 2 mappings live at shutdown",
            ],
            allow: &[
                "DMA-API: pool-probe: pool leak-prd destroyed at kernel/src/selftest/dma.rs:",
                "DMA-API: pool-probe: pool leak-kept still alive at shutdown",
                "DMA-API: pool-probe: pool leak-prd object at bus 0x4",
                "DMA-API: pool-probe: pool leak-kept object at bus 0x4",
                "DMA-API: pool-probe: mapping leaked at shutdown: Coherent bus 0x4",
            ],
            ..case("dma-pool-leak-reported", "dma_pool_leak_test")
        },
        // The stack check at halt can fail: `stack_test` uses the stack down
        // to about 8 KiB above its bottom, and the halt must say so.
        Case {
            expect: &["stack_test: ", " frames of 1 KiB deep", "stack: peak ", "less than an eighth left"],
            allow: &["less than an eighth left; raise BOOT_STACK_SIZE in linker/kernel.ld"],
            ..case("stack-check-can-fail", "stack_test")
        },
        // The reconciliation can fail: one page taken from the buddy
        // allocator with no owner record must come out as MISMATCH by -1
        // (the runner recomputes the difference from the line's parts).
        Case {
            expect: &[
                "memory (boot): total ",
                ": reconciled",
                "mm_leak_test: took the page at 0x",
                "memory (after the deliberate leak): total ",
                ": MISMATCH by -1 page(s): the sources add up to ",
                "ready; halting",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            mismatch: Some(("after the deliberate leak", -1)),
            allow: &["mm_leak_test: took the page at 0x", "memory (after the deliberate leak): total 32768 pages (256 MiB) = "],
            ..case("mm-leak-mismatch", "mm_leak_test")
        },
        Case {
            expect: &[
                "fault injection armed: fail_pte=2",
                "fault injection: failing IOMMU PTE write #2",
                "dma probe: alloc_coherent failed cleanly: fault-probe: IOMMU entry ",
                "(after 1 of 4 entries; all 4 freed again)",
                "dma probe: map_single gave bus 0x4",
                "dma probe: nothing leaked",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            allow: &["fault injection armed: fail_pte=2", "fault injection: failing IOMMU PTE write #2"],
            ..case("dma-fail-pte", "fail_pte=2")
        },
        // DMA-API debug probes (kernel/src/selftest/dma.rs debug_probe).
        Case {
            expect: &[
                "mapped three times through the direct window (twice ToDevice, once FromDevice), all at bus 0x8",
                "dma probe: 3 of 3 unmaps accepted, 0 mappings live",
                "dma probe: mapped-twice: 0 problems reported by DMA-API debug, as expected; nothing leaked",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            ..case("dma-debug-mapped-twice", "dma_debug_test=mapped-twice")
        },
        Case {
            expect: &[
                "mapped ToDevice at bus 0x8",
                "dma probe: sync_for_cpu outside any mapping (bus 0x",
                "ERROR DMA-API: dma-sync-probe: sync_for_cpu of bus 0x",
                "+16 (ToDevice), which lies in no mapping of this device [at kernel/src/selftest/dma.rs:",
                "dma probe: sync_for_device with the wrong direction (FromDevice)",
                "ERROR DMA-API: dma-sync-probe: sync_for_device of bus 0x",
                "+1000 with direction FromDevice, but the mapping at bus 0x",
                " was made ToDevice at kernel/src/selftest/dma.rs:",
                "[at kernel/src/selftest/dma.rs:",
                "dma probe: sync_for_cpu running past the end of the mapping",
                "ERROR DMA-API: dma-sync-probe: sync_for_cpu of bus 0x",
                "+200 (ToDevice) runs past the end of the mapping at bus 0x",
                "+1000 (Single, mapped at kernel/src/selftest/dma.rs:",
                "dma probe: sync: 3 problems reported by DMA-API debug, as expected; nothing leaked",
                "DMA-API debug: 0 mappings live at shutdown, 3 problems reported in all",
            ],
            allow: &[
                "DMA-API: dma-sync-probe: sync_for_cpu of bus 0x",
                "DMA-API: dma-sync-probe: sync_for_device of bus 0x",
            ],
            ..case("dma-debug-sync-checked", "dma_debug_test=sync")
        },
        Case {
            expect: &[
                "dma probe: unmap_sg of an empty list refused: zero-length DMA request",
                "dma probe: then a 2-segment list mapped at bus 0x4",
                "dma probe: unmap-sg-empty: 0 problems reported by DMA-API debug, as expected; nothing leaked",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            ..case("dma-unmap-sg-empty", "dma_debug_test=unmap-sg-empty")
        },
        mem("mm-64m", "", &["-m", "64M"], 64, 16, &["cma: reserved 16 MiB at 0x0003000000-0x0004000000 (default"]),
        mem("mm-256m-cma64", "cma=64M", &["-m", "256M"], 256, 64, &["cma: reserved 64 MiB at 0x000c000000-0x0010000000 (cma="]),
        mem("mm-1g-cma-at-base", "cma=32M@256M", &["-m", "1G"], 1024, 32, &["cma: reserved 32 MiB at 0x0010000000-0x0012000000 (cma="]),
        mem("mm-2g-default", "", &["-m", "2G"], 2048, 16, &["cma: reserved 16 MiB at 0x007f000000-0x0080000000 (default"]),
        mem("mm-cma-rounded", "cma=10M", &["-m", "256M"], 256, 16, &["cma: cma=10M: size 0xa00000 rounded up to 16 MiB"]),
        Case {
            allow: &["cma: cannot reserve 1024 MiB (cma=1G): no free 8 MiB-aligned range below 0x80000000"],
            ..mem("mm-cma-too-large", "cma=1G", &["-m", "256M"], 256, 0, &[
                "cma: cannot reserve 1024 MiB (cma=1G): no free 8 MiB-aligned range below 0x80000000",
                "booting without CMA",
            ])
        },
        Case {
            allow: &["boot parameter ignored: cma=banana"],
            ..mem("mm-cma-malformed", "cma=banana", &["-m", "256M"], 256, 16, &[
                "boot parameter ignored: cma=banana",
                "cma: reserved 16 MiB at 0x000f000000-0x0010000000 (default",
            ])
        },
        Case {
            allow: &["cma: cannot reserve 16 MiB (cma=16M@0): at 0x0: 0x0-0x1000000 overlaps a reservation"],
            ..mem("mm-cma-overlaps-kernel", "cma=16M@0", &["-m", "256M"], 256, 0, &[
                "cma: cannot reserve 16 MiB (cma=16M@0): at 0x0: 0x0-0x1000000 overlaps a reservation; booting without CMA",
            ])
        },
        Case {
            allow: &["cma: cannot reserve 16 MiB (cma=16M@24584K): at 0x1802000: base is not aligned to 8 MiB"],
            ..mem("mm-cma-unaligned-base", "cma=16M@0x1802000", &["-m", "256M"], 256, 0, &[
                "base is not aligned to 8 MiB; booting without CMA",
            ])
        },
        mem("mm-cma-off", "cma=0", &["-m", "256M"], 256, 0, &["cma: disabled (cma=0)"]),
        mem("mm-mem-limit", "mem=128M", &["-m", "512M"], 128, 16, &["mem=128M: memory limited to 128 MiB"]),
        // Linux's forms of cma= (docs/params.md): a range searched
        // top-down, a range that fixes the base (start + size = end), a
        // range open at the start, an end capped by the direct window, and
        // ranges that cannot hold the area.
        mem("mm-cma-range", "cma=64M@0-512M", &["-m", "1G"], 1024, 64, &[
            "cma: reserved 64 MiB at 0x001c000000-0x0020000000 (cma=64M@0-512M;",
        ]),
        mem("mm-cma-range-fixed", "cma=32M@256M-288M", &["-m", "1G"], 1024, 32, &[
            "cma: reserved 32 MiB at 0x0010000000-0x0012000000 (cma=32M@256M-288M;",
        ]),
        mem("mm-cma-range-open-start", "cma=16M@-128M", &["-m", "1G"], 1024, 16, &[
            "cma: reserved 16 MiB at 0x0007000000-0x0008000000 (cma=16M@0-128M;",
        ]),
        mem("mm-cma-range-capped", "cma=16M@1G-4G", &["-m", "3G"], 3072, 16, &[
            "cma: reserved 16 MiB at 0x007f000000-0x0080000000 (cma=16M@1G-4G;",
        ]),
        Case {
            allow: &["cma: cannot reserve 64 MiB (cma=64M@256M-300M): no free 8 MiB-aligned range"],
            ..mem("mm-cma-range-too-small", "cma=64M@256M-300M", &["-m", "1G"], 1024, 0, &[
                "cma: cannot reserve 64 MiB (cma=64M@256M-300M): no free 8 MiB-aligned range of 64 MiB in 0x10000000-0x12c00000 (44 MiB free there); booting without CMA",
            ])
        },
        Case {
            allow: &["cma: cannot reserve 16 MiB (cma=16M@3G-4G): the range 0xc0000000-0x100000000 lies above"],
            ..mem("mm-cma-range-above-window", "cma=16M@3G-4G", &["-m", "3G"], 3072, 0, &[
                "cma: cannot reserve 16 MiB (cma=16M@3G-4G): the range 0xc0000000-0x100000000 lies above the direct DMA window (which ends at 0x80000000); booting without CMA",
            ])
        },
        Case {
            allow: &["boot parameter ignored: cma=16M@512M-256M: the range's end is not above its start"],
            ..mem("mm-cma-range-backwards", "cma=16M@512M-256M", &["-m", "1G"], 1024, 16, &[
                "boot parameter ignored: cma=16M@512M-256M: the range's end is not above its start",
                "cma: reserved 16 MiB at 0x003f000000-0x0040000000 (default",
            ])
        },
        mem("mm-mem-zero", "mem=0", &["-m", "256M"], 256, 16, &["mem=0: no limit (as Linux reads mem=0): all 256 MiB of memory used"]),
        mem("mm-numa-cma-explained", "cma_pernuma=16M numa_cma=0:32M cma-pernuma=8M", &["-m", "256M"], 256, 16, &[
            "boot parameter cma_pernuma= given 2 times: the last valid one is used, as in Linux",
            "cma_pernuma=8M: one memory node here; Linux would add a 8 MiB CMA area on node 0 beside the global one; this kernel keeps its one area (cma=)",
            "numa_cma=0:32M: one memory node here;",
        ]),
        Case {
            qemu: &["-m", "2G"],
            timeout_s: 300,
            expect: &["selftest mm-storm: ok", "KERNEL TEST RESULT: PASS"],
            memory: Some(MemExpect { total_mib: 2048, cma_mib: 64 }),
            allow: SELFTEST_ALLOW,
            ..case("mm-storm-2g-cma64", "test cma=64M")
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
            crash: true,
            ..case("crash-panic", "crash=panic")
        },
        // Networking (-append net): the 21143 up with interrupts under smoltcp;
        // no traffic from the host here (tools/net-test does that), only the
        // kernel's own pings to QEMU's gateway, then the timed stop.
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "net: start: buddy free ",
                "tulip: SROM: 128 bytes, format 4, controller 0 of 1 (device 0), info leaf at 0x1e: connection 0x0800 (autosense), 1 media block(s); CRC ",
                "tulip: SROM block 0: MII PHY #0 (GP init [], reset [], capabilities 0x7800, advertise 0x01e0, FDX 0x5000, TTM 0x1800",
                // QEMU's PHY; its model loses bit 15 of every register read (BMSR 0xf02c).
                "tulip: media: MII PHY 1 (ID 0x7810:0x0000): link up, autonegotiated 100BASE-TX full duplex (ANAR 0x0501, ANLPAR 0x4181); CSR6 0x000c0200 [PS HBD FD]; BMCR 0x3100 BMSR 0x702c",
                "tulip: up: 00:0",
                " via BAR1 memory 0x",
                "MAC 52:54:00:12:34:56, RX ring 32 x 1536 B, TX ring 32, rings in the direct window, CSR6 0x022c2202",
                // Slot and line: checked against the PCI listing and the
                // Clipper's routing (the runner's check_nic).
                " 21143 INTA: Cchip line ",
                " (interrupt routing of Clipper, member 5)",
                "net: interrupts on: Cchip line ",
                "), RTC clock 1024 Hz",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: 10.0.2.15/24 gateway 10.0.2.2, MAC 52:54:00:12:34:56, UDP echo on port 7, HTTP on port 80",
                "net: stopping (net_time elapsed)",
                "net: interrupts: line ",
                "spurious 0, unhandled 0",
                "tulip: counters: rx ",
                "rx errors 0, tx errors 0, rx dropped 0, tx dropped 0; runts 0, oversize 0, truncated 0; rx ring full 0",
                "tulip: down: DMA mappings live 33 -> 0",
                "IOMMU entries used (0, 0) (start (0, 0)), DMA mappings live 0 (start 0): all back",
                "memory (end of the network run): total ",
                "net: stopped (net_time elapsed)",
                "ready; halting",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_FAILURE,
            ..case("net-tulip-up", "net net_time=2")
        },
        // DMA-API debug's bookkeeping allocates fallibly: the 5th record
        // failing (as on a full heap) switches debugging off with one ERROR
        // line, and the network goes on.
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "fault injection armed: fail_dma_debug=5",
                "fault injection: failing DMA-API debug record #5",
                "DMA-API debug: no memory to record a mapping for tulip (4 live); debugging disabled from here on",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: ",
                "tulip: down: ",
                "memory (end of the network run): total ",
                "ready; halting",
            ],
            allow: &[
                "fault injection armed: fail_dma_debug=5",
                "fault injection: failing DMA-API debug record #5",
                "DMA-API debug: no memory to record a mapping for tulip",
            ],
            ..case("dma-debug-out-of-memory", "net net_time=2 fail_dma_debug=5")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "iommu=strict",
                "tulip: up: 00:0",
                "rings in the scatter-gather window",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: ",
                "tulip: down: DMA mappings live 33 -> 0",
                "IOMMU entries used (0, 0) (start (0, 0)), DMA mappings live 0 (start 0): all back",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_FAILURE,
            ..case("net-tulip-iommu-strict", "net net_time=2 iommu=strict")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "RX ring 32 x 512 B",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): no reply within 1 s",
                "net: ready: ",
                "rx dropped 1, tx dropped 0; runts 0, oversize 0, truncated 1;",
                "all back",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_FAILURE,
            // The 1400-byte reply spans two 512-byte buffers: dropped.
            allow: &["net: ping 10.0.2.2 (1400 bytes): no reply within 1 s"],
            ..case("net-tulip-small-rx-buffers", "net net_time=2 net_rxbuf=512")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "net: NIC not started: receive buffer length 30: must be a multiple of 4 in 64..=2044",
                "DMA mappings live 0 (start 0): all back",
                "ready; halting",
            ],
            allow: &["net: NIC not started: receive buffer length 30"],
            ..case("net-bad-rxbuf", "net net_rxbuf=30")
        },
        // Media set up through the SIA instead of the MII PHY: the 21143's
        // own autonegotiation (QEMU's CSR12 reads "complete" with no partner
        // code word: parallel detection), and a fixed 100BASE-TX on the SYM
        // port. QEMU ignores the port, so traffic must still flow.
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "boot parameter kept for later: tulip_media=sia",
                "tulip: media: SIA 10BASE-T half duplex: autonegotiation complete, the partner does not negotiate (parallel detection)",
                "advertised 10T-FD 10T (no SIA/SYM blocks in the SROM: 10BASE-T only); CSR6 0x00400000 [TTM]; CSR12 0x00005000",
                "CSR13 0x00000001 CSR14 0x0000ffff CSR15 0x00000008; MII scan skipped (tulip_media=sia)",
                "rings in the direct window, CSR6 0x02602002",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
            ],
            forbid: NO_FAILURE,
            ..case("net-tulip-media-sia", "net net_time=1 tulip_media=sia")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "tulip: media: SYM 100BASE-TX full duplex (fixed): link pass; CSR6 0x018c0200 [PS HBD PCS SCR FD]",
                "CSR13 0x00000001 CSR14 0x0003ff7f CSR15 0x00000008; manual's values, no SROM block",
                "rings in the direct window, CSR6 0x03ac2202",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
            ],
            forbid: NO_FAILURE,
            ..case("net-tulip-media-100tx-fixed", "net net_time=1 tulip_media=100baseTX-FD")
        },
        // net/ over the test-only loopback device (net_dev=loopback): the
        // same server code as the 21143's, its wire connected to an
        // in-kernel smoltcp client at 10.0.2.2 that answers the start-up
        // pings, checks 16 UDP echoes and three HTTP replies byte for byte
        // and stops the run with GET /shutdown. No NIC on the machine.
        Case {
            expect: &[
                "boot parameter kept for later: net_dev=loopback",
                "net: start: buddy free ",
                "loopback: up: software device, MAC 02:00:00:00:0f:01, wire of 32 frames each way to an in-kernel smoltcp client at 10.0.2.2 (MAC 02:00:00:00:0f:02)",
                "net: software loopback: no interrupt line: polling at IPL 7",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: 10.0.2.15/24 gateway 10.0.2.2, MAC 02:00:00:00:0f:01, UDP echo on port 7, HTTP on port 80",
                "loopback: client: UDP echo: 16 of 16 datagrams of 1 to 1472 bytes came back identical (9332 bytes)",
                "loopback: client: GET /status.json: 200 OK, application/json, ",
                " bytes, udp_echoed 16",
                "loopback: client: GET /nope: HTTP/1.1 404 Not Found, identical to the 151 bytes expected",
                "net: stop requested (GET /shutdown)",
                "loopback: client: GET /shutdown: HTTP/1.1 200 OK, identical to the 142 bytes expected",
                "net: stopping (GET /shutdown)",
                "net: interrupts: none (polled)",
                "loopback: counters: rx ",
                "rx errors 0, tx errors 0, rx dropped 0, tx dropped 0;",
                "net: services: UDP echoed 16 datagrams 9332 bytes (dropped 0, STALL refused 0); HTTP 5 connections, 5 requests, 2 errors;",
                "loopback: client: all checks passed (16 UDP echoes, 5 HTTP requests)",
                "loopback: down: DMA mappings live 0 -> 0",
                "DMA mappings live 0 (start 0): all back",
                "memory (end of the network run): total ",
                "net: stopped (GET /shutdown)",
                "ready; halting",
            ],
            forbid: NO_FAILURE,
            ..case("net-loopback", "net net_dev=loopback net_time=30")
        },
        // The loopback client's checks can fail: the 3rd UDP datagram the
        // server sends (echo 2, 64 bytes) gets its last byte inverted on the
        // wire; the client (UDP checksums unverified for this test) must
        // name the byte, and its UDP STOP ends the run.
        Case {
            expect: &[
                "loopback: net_loopback_corrupt=3: byte ",
                "ERROR loopback: client: UDP echo 2: byte 63 came back 0x78, sent 0x87",
                "net: stop requested (UDP from 10.0.2.2:4007)",
                "ERROR loopback: client: the checks failed (see above)",
                "loopback: down: DMA mappings live 0 -> 0",
                "DMA mappings live 0 (start 0): all back",
                "net: stopped (UDP STOP)",
                "ready; halting",
            ],
            forbid: &["FAILED", "client: all checks passed", "GET /status.json: 200"],
            allow: &[
                "loopback: net_loopback_corrupt=3: byte ",
                "loopback: client: UDP echo 2: byte 63 came back 0x78, sent 0x87",
                "loopback: client: the checks failed (see above)",
            ],
            ..case("net-loopback-detects-corruption", "net net_dev=loopback net_time=30 net_loopback_corrupt=3")
        },
        Case {
            expect: &[
                "net: NIC not started: no DEC 21143 (1011:0019) on PCI bus 0",
                "all back",
                "ready; halting",
            ],
            allow: &["net: NIC not started: no DEC 21143 (1011:0019) on PCI bus 0"],
            ..case("net-no-nic", "net")
        },
        // The SRM boot stub (boot/srm-stub.s) carrying the kernel, loaded by
        // QEMU's -kernel at a KSEG address instead of SRM's 0x20000000. The
        // runner also expects the copy plan it predicts (srm_image::relocate).
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                "srm-stub: the HWRPB's magic is the quadword 0x4857525042000000 (the byte order QEMU's PALcode writes)",
                "srm-stub: HWRPB at 0x10000000 -> physical 0x",
                "): ok; level-1 page table at physical 0x",
                "PALcode type 0x0 (1 = OpenVMS, 2 = OSF/1)",
                "srm-stub: switching to OSF/1 PALcode: swppal with the PCB at physical 0x1001",
                "srm-stub: now in OSF/1 PALcode (revision 0x0)",
                "srm-stub: GET_ENV booted_osflags: status 0xc000000000000000; loaded by QEMU's -kernel, so the command line is its -append text: \"\"",
                "srm-stub: kernel: 0x",
                " ok\n",
                "srm-stub: destination: physical 0x310000-0x",
                "(command line page 0x30a000, image end 0x",
                "), entry 0xfffffc0000310000",
                "entering the kernel at 0xfffffc0000310000",
                "alpha-unikernel 0.1.0",
                "command line: \"\"",
                "srm boot stub: booted by the stub at 0xfffffc0001000000: switched to OSF/1 PALcode with swppal (PAL revision 0x0 -> 0x0); command line from QEMU's -append page (GET_ENV not supported)",
                "srm boot stub: kernel copied directly from physical 0x1001",
                "srm boot stub: image check: ",
                "as in the boot program's header, on the stub's copy and by the kernel's own sum",
                "ready; halting",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            boot: Boot::SrmStub { phys: 0x100_0000 },
            ..case("srm-stub-direct", "")
        },
        // The HWRPB's magic as real SRM stores it (the bytes "HWRPB\0\0\0"):
        // QEMU's PALcode writes the other byte order, so the runner stops
        // QEMU at the stub's first instruction through its gdbstub and
        // rewrites the id quadword (and the header checksum) first.
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0001000000",
                "runner: gdb: HWRPB id 0x4857525042000000 -> 0x0000004250525748",
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                "srm-stub: the HWRPB's magic is in ASCII byte order (the bytes HWRPB followed by 3 NULs, as SRM stores it)",
                "srm-stub: HWRPB at 0x10000000 -> physical 0x",
                "entering the kernel at 0xfffffc0000310000",
                "alpha-unikernel 0.1.0",
                "HWRPB: magic in ASCII byte order (the bytes \"HWRPB\\0\\0\\0\", as SRM stores it)",
                "srm boot stub: image check: ",
                "ready; halting",
            ],
            forbid: &["FAILED", "HWRPB at 0x10000000 rejected", "quadword 0x4857525042000000"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            boot: Boot::SrmStub { phys: 0x100_0000 },
            gdb: Some(GdbAction::HwrpbMagicAscii),
            ..case("srm-stub-hwrpb-magic-ascii", "")
        },
        // The primary CPU's PALcode already OSF/1 (type 2), as on a DS10 whose
        // SRM runs OSF/1 PALcode: QEMU's PALcode reports type 0, so the
        // runner stops QEMU at the stub's first instruction and sets the
        // type in the per-CPU slot's pal_revision (past the header checksum).
        // The stub must not call swppal, and the kernel must boot as usual.
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0001000000",
                "runner: gdb: CPU 0's slot (HWRPB + 0x",
                ") pal_revision 0x0 -> 0x20000 (PALcode type 0 -> 2, OSF/1)",
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                "srm-stub: the HWRPB's magic is the quadword 0x4857525042000000 (the byte order QEMU's PALcode writes)",
                "srm-stub: HWRPB at 0x10000000 -> physical 0x",
                "): ok; level-1 page table at physical 0x",
                "srm-stub: PAL revision 0x20000, PALcode type 0x2 (1 = OpenVMS, 2 = OSF/1)",
                "srm-stub: already OSF/1 PALcode, no switch",
                "srm-stub: GET_ENV booted_osflags: status 0xc000000000000000; loaded by QEMU's -kernel, so the command line is its -append text: \"\"",
                "srm-stub: kernel: 0x",
                " ok\n",
                "srm-stub: destination: physical 0x310000-0x",
                "entering the kernel at 0xfffffc0000310000",
                "alpha-unikernel 0.1.0",
                "command line: \"\"",
                "srm boot stub: booted by the stub at 0xfffffc0001000000: already in OSF/1 PALcode (PAL revision 0x20000 -> 0x20000); command line from QEMU's -append page (GET_ENV not supported)",
                "srm boot stub: kernel copied directly from physical 0x1001",
                "srm boot stub: image check: ",
                "as in the boot program's header, on the stub's copy and by the kernel's own sum",
                "ready; halting",
            ],
            forbid: &["FAILED", "swppal", "now in OSF/1 PALcode", "HWRPB at 0x10000000 rejected"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            boot: Boot::SrmStub { phys: 0x100_0000 },
            gdb: Some(GdbAction::PalTypeOsf1),
            ..case("srm-stub-pal-already-osf1", "")
        },
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0000380000",
                "-append text: \"hello=world loglevel=7\"",
                "srm-stub: the kernel's pages overlap its destination: copying it to 0x",
                "entering the kernel at 0xfffffc0000310000",
                "command line: \"hello=world loglevel=7\"",
                "boot parameter kept for later: hello=world",
                "srm boot stub: kernel copied from physical 0x381",
                "through a bounce buffer at 0x",
                "as in the boot program's header, on the stub's copy and by the kernel's own sum",
                "ready; halting",
            ],
            boot: Boot::SrmStub { phys: 0x38_0000 },
            ..case("srm-stub-bounce-stub-inside-destination", "hello=world loglevel=7")
        },
        Case {
            timeout_s: 300,
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0000200000",
                "srm-stub: the kernel's pages overlap its destination: copying it to 0x",
                "srm boot stub: kernel copied from physical 0x201",
                "as in the boot program's header, on the stub's copy and by the kernel's own sum",
                "selftest summary: 20 passed, 0 failed, 2 skipped",
                "KERNEL TEST RESULT: PASS",
            ],
            boot: Boot::SrmStub { phys: 0x20_0000 },
            allow: SELFTEST_ALLOW,
            ..case("srm-stub-bounce-selftest", "test cma=64M")
        },
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                ", expected 0x",
                ": the boot program was damaged or cut short while loading",
            ],
            forbid: &["entering the kernel", "alpha-unikernel 0.1.0"],
            boot: Boot::SrmStubCorrupt { phys: 0x100_0000 },
            ..case("srm-stub-refuses-damaged-kernel", "")
        },
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                "srm-stub: no kernel attached to this stub (build the boot program with `srm-image srm-boot`)",
            ],
            forbid: &["srm-stub: HWRPB", "alpha-unikernel 0.1.0"],
            boot: Boot::SrmStubEmpty { phys: 0x100_0000 },
            ..case("srm-stub-without-kernel", "")
        },
        // Odd hardware answers (issue 13, part 4). Empty slots read all
        // ones: listed once at info level, nothing else said. The rest
        // are answers QEMU's devices never give, made by pci_inject= for
        // the bus scan only (kernel/src/pci/inject.rs): each must be named
        // with its function, register and value, and the kernel must go
        // on (the NIC through its other BAR where one is left).
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "pci: bus 0 has 3 functions; empty slots (vendor/device ID reads 0xffffffff): 00:00, 00:03-00:06, 00:08-00:1f",
                "00:01.0 Ethernet controller [0200]: 1011:0019",
                "BAR0: I/O ports at 0x",
                "BAR1: memory at 0x",
                "ready; halting",
            ],
            forbid: &["FAILED", "PERROR"],
            ..case("pci-empty-slots-quiet", "")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:01.0: 1011:0019: BAR1 (register 0x14) holds 0x00000008 and reads back 0x00000008 after writing all ones: no writable address bit: the BAR sizes to zero; BAR1 left out",
                "tulip: up: 00:01.0 via BAR0 I/O 0x",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "DMA mappings live 0 (start 0): all back",
                "ready; halting",
            ],
            forbid: &["FAILED"],
            allow: &["pci_inject: 00:01.0 will answer oddly (BarZero(1))", "BAR1 (register 0x14) holds 0x00000008 and reads back 0x00000008 after writing all ones"],
            ..case("pci-bar-sizes-to-zero", "net net_time=1 pci_inject=00:01.0:bar1-zero")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:01.0: 1011:0019: BAR1 (register 0x14) holds 0x10000004 and reads back 0x00000004 after writing all ones: size 0x200000000 (8G) is larger than the Pchip's 4G window (0x100000000); BAR1 left out",
                "tulip: up: 00:01.0 via BAR0 I/O 0x",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED"],
            allow: &["pci_inject: 00:01.0 will answer oddly (BarHuge(1))", "size 0x200000000 (8G) is larger than the Pchip's 4G window"],
            ..case("pci-bar-larger-than-window", "net net_time=1 pci_inject=00:01.0:bar1-huge")
        },
        // No usable BAR left: the driver says so, the kernel goes on.
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:01.0: 1011:0019: BAR0 (register 0x10) holds 0x0000c001 and reads back 0xfc000001 after writing all ones: size 0x4000000 (64M) is larger than the Pchip's 32M window (0x2000000); BAR0 left out",
                "WARN  pci 00:01.0: 1011:0019: BAR1 (register 0x14) holds 0xffffffff and reads back 0xffffffff after writing all ones: all ones: the function does not answer (empty, gone, or a master abort); BAR1 left out",
                "ERROR net: NIC not started: 00:01.0: no usable CSR BAR: BAR1 (register 0x14) none (absent, or left out by the bus scan: see its pci line), BAR0 (register 0x10) none",
                "DMA mappings live 0 (start 0): all back",
                "ready; halting",
            ],
            forbid: &["FAILED"],
            allow: &["pci_inject: 00:01.0 will answer oddly (BarHuge(0))", "pci_inject: 00:01.0 will answer oddly (BarOnes(1))", "size 0x4000000 (64M) is larger than the Pchip's 32M window", "BAR1 (register 0x14) holds 0xffffffff and reads back 0xffffffff", "net: NIC not started: 00:01.0: no usable CSR BAR"],
            ..case("pci-no-usable-bar", "net net_time=1 pci_inject=00:01.0:bar0-huge,00:01.0:bar1-ones")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:01.0: BAR0 (register 0x10) I/O ports at 0xc000 [size=128] overlaps pci 00:02.0 BAR0 (register 0x10) I/O ports at 0xc000 [size=8]: both would answer there; both BARs left out",
                "tulip: up: 00:01.0 via BAR1 memory 0x",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED"],
            allow: &["pci_inject: 00:02.0 will answer oddly (BarAt(0, 49152))", "overlaps pci 00:02.0 BAR0 (register 0x10)"],
            ..case("pci-bars-overlap", "net net_time=1 pci_inject=00:02.0:bar0-at=0xc000")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:02.0: 1095:0646: vendor/device ID register (0x00) reads 0xffffffff after its BARs were sized (it read 0x06461095 before): the function stopped answering; left out",
                "WARN  pci 00:07.0: vendor/device ID register (0x00) reads 0x0484ffff: vendor 0xffff is no vendor (0xffff means none, 0x0000 is never assigned); function skipped",
                "pci: bus 0 has 1 functions; empty slots (vendor/device ID reads 0xffffffff): 00:00, 00:03-00:06, 00:08-00:1f",
                "tulip: up: 00:01.0 via BAR1 memory 0x",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED", "IDE interface", "ISA bridge"],
            allow: &["pci_inject: 00:02.0 will answer oddly (Vanish)", "pci_inject: 00:07.0 will answer oddly (IdInvalid)", "the function stopped answering; left out", "vendor/device ID register (0x00) reads 0x0484ffff"],
            ..case("pci-function-vanishes-invalid-id", "net net_time=1 pci_inject=00:02.0:vanish,00:07.0:id-invalid")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "WARN  pci 00:02.0: 1095:0646: header type register (0x0e) reads 0xff, header 0xff (all ones: the function stopped answering); its BARs are not sized or used",
                "00:02.0 IDE interface [0101]: 1095:0646",
                "00:07.0 ISA bridge",
                "tulip: up: 00:01.0 via BAR1 memory 0x",
                "ready; halting",
            ],
            forbid: &["FAILED", "I/O ports at 0xc08"],
            allow: &["pci_inject: 00:02.0 will answer oddly (HeaderOnes)", "header type register (0x0e) reads 0xff"],
            ..case("pci-header-type-all-ones", "net net_time=1 pci_inject=00:02.0:header-ones")
        },
        // The NIC's interrupt forced onto a line nothing raises (13; the
        // 21143 is on line 8 here): after the start-up pings the kernel
        // must see frames but no interrupt, say so with the Cchip's
        // registers, fall back to polling, and go on (tools/net-test's
        // irq-wrong-line then also checks UDP echo after the fallback).
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "net: interrupts on: Cchip line 13 (SCB vector 0x9d0)",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: 00:01.0 21143: ",
                "frames received but no interrupt on Cchip line 13 (DIM0 0x2000, DIR0 0x",
                "the line is wrong or broken; falling back to polling at IPL 7",
                "net: ready: 10.0.2.15/24",
                "net: interrupts: none (polled)",
                "tulip: down: DMA mappings live 33 -> 0",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED"],
            allow: &["frames received but no interrupt on Cchip line 13"],
            ..case("net-irq-never-arrives", "net net_time=2 net_irq=13")
        },
        // A serial ROM that reads all ones (none fitted, or erased) or all
        // zeros: tulip_srom= holds CSR9's data-out bit high or low while
        // the driver reads it. One error naming the NIC, CSR9 and the
        // value (not a checksum mismatch besides); the NIC comes up with
        // the locally administered address, media from the PHY.
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "ERROR tulip: 00:01.0: serial ROM (read through CSR9) reads 0xffff in all 64 words (DO never goes low: the ROM is erased, missing or does not answer): no station address or media information in it; using the locally administered 02:00:00:21:14:30 instead",
                "tulip: SROM: no usable media information (every byte is 0xff (blank or absent))",
                "tulip: media: MII PHY 1",
                "tulip: up: 00:01.0 via BAR1 memory 0x",
                "MAC 02:00:00:21:14:30",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED", "checksum mismatch", "holds no station address"],
            allow: &["tulip_srom=: CSR9's serial ROM data-out bit will read high", "serial ROM (read through CSR9) reads 0xffff in all 64 words", "tulip: SROM: no usable media information (every byte is 0xff"],
            ..case("tulip-srom-all-ones", "net net_time=1 tulip_srom=ones")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "ERROR tulip: 00:01.0: serial ROM (read through CSR9) reads 0x0000 in all 64 words (DO never goes high: the ROM is unprogrammed or not connected)",
                "MAC 02:00:00:21:14:30",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "all back",
                "ready; halting",
            ],
            forbid: &["FAILED", "checksum mismatch", "holds no station address"],
            allow: &["tulip_srom=: CSR9's serial ROM data-out bit will read low", "serial ROM (read through CSR9) reads 0x0000 in all 64 words", "tulip: SROM: no usable media information"],
            ..case("tulip-srom-all-zeros", "net net_time=1 tulip_srom=zeros")
        },
        // A tolerant HWRPB (issue 13): oddities in what the kernel only
        // reports are one WARN each, naming the field and the value, and
        // boot goes on with the memory map, PCI and DMA. The runner stops
        // QEMU at the kernel's own entry through its gdbstub and rewrites
        // QEMU's HWRPB first.
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0000310000",
                "runner: gdb: HWRPB ctb_size 0x110 -> 0x11, checksum ",
                "WARN  HWRPB console terminal block table (ctbt_offset) entry size 0x11 is invalid: must be a multiple of 8 and at least 0x20: that table is ignored",
                "HWRPB: 1 warning(s), 0 error(s); booting with what is usable",
                "memory: 256 MiB in 2 clusters",
                "memory (boot): total 32768 pages (256 MiB) = ",
                ": reconciled",
                "pchip: window 2: direct bus 0x80000000-0xffffffff -> physical 0x0",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR", "rejected", "checksum (chksum"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            gdb: Some(GdbAction::HwrpbCtbSizeBad),
            allow: &["entry size 0x11 is invalid: must be a multiple of 8 and at least 0x20: that table is ignored"],
            ..case("hwrpb-ctb-entry-size", "")
        },
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0000310000",
                "runner: gdb: HWRPB memory clusters reversed: start pfns [0x0, 0x",
                "WARN  HWRPB memory cluster 1 starts at pfn 0x0, below cluster 0's start pfn 0x",
                " (1 such descent(s) in the table): the clusters are used sorted by start pfn",
                "HWRPB: 1 warning(s), 0 error(s); booting with what is usable",
                "memory: 256 MiB in 2 clusters, 255 MiB available to the OS",
                "  cluster 1: pfn 0x0-0x",
                " console/PALcode",
                "  cluster 0: pfn 0x",
                "-0x8000 (",
                "memblock: reserve 0x0000000000-0x",
                " (console/PALcode cluster)",
                "memory (boot): total 32768 pages (256 MiB) = ",
                ": reconciled",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR", "overlap"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            gdb: Some(GdbAction::HwrpbClustersReversed),
            allow: &["HWRPB memory cluster 1 starts at pfn 0x0, below cluster 0's start pfn 0x"],
            ..case("hwrpb-clusters-reversed", "")
        },
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0000310000",
                "runner: gdb: HWRPB memory cluster 1: pfn 0x",
                "(overlapping cluster 0 by 7 pages; past the header checksum)",
                "WARN  HWRPB memory clusters 0 and 1 both describe pfn 0x",
                " (7 pages): counted once, and reserved",
                "HWRPB: 1 warning(s), 0 error(s); booting with what is usable",
                "memory: 256 MiB in 2 clusters",
                "  cluster 1: pfn 0x",
                "(declared from pfn 0x",
                "  overlap: pfn 0x",
                "is in clusters 0 and 1: reserved",
                "memblock: reserve 0x",
                " in both clusters 0 and 1)",
                "memory (boot): total 32768 pages (256 MiB) = ",
                ": reconciled",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            gdb: Some(GdbAction::HwrpbClustersOverlap),
            allow: &["HWRPB memory clusters 0 and 1 both describe pfn 0x"],
            ..case("hwrpb-clusters-overlap", "")
        },
        Case {
            expect: &[
                "runner: gdb: stopped at the entry 0xfffffc0000310000",
                "runner: gdb: HWRPB chksum 0x",
                " (left wrong)",
                "WARN  HWRPB checksum (chksum at 0x120) is 0x",
                ", but the header's quadwords sum to 0x",
                ": reported only, every table is checked on its own",
                "HWRPB: 1 warning(s), 0 error(s); booting with what is usable",
                "memory: 256 MiB in 2 clusters",
                "console callbacks: PUTS wrote 76 bytes",
                "memory (boot): total 32768 pages (256 MiB) = ",
                ": reconciled",
                "pchip: window 2: direct bus 0x80000000-0xffffffff -> physical 0x0",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR", "rejected"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            gdb: Some(GdbAction::HwrpbChecksumBad),
            allow: &["HWRPB checksum (chksum at 0x120) is 0x"],
            ..case("hwrpb-bad-checksum", "")
        },
        // What the kernel needs, broken: the MDDT out of the HWRPB's page.
        // An ERROR saying so and what the kernel does without it; boot
        // still reaches the end, on the early heap alone.
        Case {
            expect: &[
                "runner: gdb: HWRPB mddt_offset 0xb00 -> 0x1ff8, checksum ",
                "ERROR HWRPB memory data descriptor table (mddt_offset) at offset 0x1ff8 with length 0x18 does not fit in the 0x2000 bytes provided: no memory map: the kernel runs on its early heap alone (no page allocator, no PCI scan, no DMA)",
                "HWRPB: 0 warning(s), 1 error(s); booting with what is usable",
                "CPU: EV67",
                "memory: no memory map (the HWRPB's memory data descriptor table is unusable, see above)",
                "console callbacks: PUTS wrote 76 bytes",
                "heap: early arena",
                "no memory map (the HWRPB's memory data descriptor table is unusable, see above): running on the early heap alone; no page allocator, so no PCI scan and no DMA",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "WARN", "memory (boot)"],
            gdb: Some(GdbAction::HwrpbMddtOutOfBounds),
            allow: &["HWRPB memory data descriptor table (mddt_offset) at offset 0x1ff8", "memory: no memory map (the HWRPB", "no memory map (the HWRPB's memory data descriptor table is unusable, see above): running on the early heap alone"],
            ..case("hwrpb-no-memory-map", "")
        },
        // The machine vector follows the HWRPB: a DS10 (Webbrick, member 7)
        // gets the "webbrick" vector (same chipset, its own routing table);
        // PCI and DMA run as on the Clipper.
        Case {
            expect: &[
                "runner: gdb: HWRPB sys_variation 0x1400 -> 0x1c00 (member 7), checksum 0x",
                "system: Webbrick (type 34, variation 0x1c00",
                "INFO  platform: Tsunami family, Webbrick (system type 34, variation 0x1c00, member 7): machine vector \"webbrick\" (member id known; Tsunami/Typhoon chipset)",
                "pci: bus 0 has ",
                "pchip: window 2: direct bus 0x80000000-0xffffffff -> physical 0x0",
                "ready; halting",
                "pchip: firmware DMA windows restored",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR", "WARN", "machine vector \"clipper\""],
            gdb: Some(GdbAction::HwrpbMember(7)),
            ..case("platform-webbrick", "")
        },
        // A Tsunami member Linux has no vector for (13): the generic Tsunami
        // vector, with a warning, and no interrupt routing.
        Case {
            expect: &[
                "runner: gdb: HWRPB sys_variation 0x1400 -> 0x3400 (member 13), checksum 0x",
                "WARN  platform: Tsunami family, Tsunami (system type 34, variation 0x3400, member 13): machine vector \"tsunami\" (member id unknown: the generic Tsunami vector, no interrupt routing; Tsunami/Typhoon chipset)",
                "platform: no PCI interrupt routing for an unknown Tsunami member: devices are polled",
                "pchip: window 2: direct bus 0x80000000-0xffffffff -> physical 0x0",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "ERROR"],
            gdb: Some(GdbAction::HwrpbMember(13)),
            allow: &["platform: Tsunami family, Tsunami (system type 34, variation 0x3400, member 13)"],
            ..case("platform-unknown-member", "")
        },
        // Another family (38, Titan): no machine vector; the kernel leaves
        // the chipset alone (no PCI scan, no DMA windows) and still boots.
        Case {
            expect: &[
                "runner: gdb: HWRPB sys_type 34 -> 38, checksum 0x",
                "WARN  platform: system type 38 (Titan) is not of the Tsunami/Typhoon family, the only chipset this kernel drives: no machine vector; the kernel leaves the chipset alone (no PCI scan, no DMA, no device interrupts)",
                "ERROR no machine vector for this system: no PCI scan and no DMA",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "pci: bus 0", "pchip:", "dma: DMA-API debug"],
            gdb: Some(GdbAction::HwrpbSysType(38)),
            allow: &["platform: system type 38 (Titan) is not of the Tsunami/Typhoon family", "no machine vector for this system: no PCI scan and no DMA"],
            ..case("platform-not-tsunami", "")
        },
        // The monitor: help lists every command, one line each, and the
        // halt the runner types ends the run with the reconciliation.
        Case {
            expect: &[
                "monitor: ready on the serial console",
                "alpha> help",
                "  help ",
                "  memblock ",
                "  meminfo ",
                "  buddyinfo ",
                "  heap ",
                "  owners ",
                "  map [width] ",
                "  lspci ",
                "  net ",
                "  log <level> ",
                "  reconcile ",
                "  halt ",
                "  alloc <order> ",
                "  free <addr> ",
                "  cma ",
                "  cma alloc <pages> ",
                "  cma free <addr> ",
                "  dma alloc <size> [dev] ",
                "  dma free <handle> ",
                "  dma map <addr> <len> [dev] ",
                "  dma unmap <handle> ",
                "  fragment <order> ",
                "  unfragment ",
                "  pfn <n> | @<addr> ",
                "  iommu ",
                "  disk ",
                "  disk read <lba> [n] ",
                "  disk bench ",
                "alpha> halt",
                "halting",
                "memory (monitor halt): ",
                "ready; halting (stopped)",
            ],
            stdin_on: &[(PROMPT, b"help\r")],
            ..case("monitor-halt", "")
        },
        // Binary bytes and a 10 KB line, then meminfo still answers.
        Case {
            expect: &[
                "alpha> ",
                "error: unknown command 'garbage' (try help)",
                "error: line too long (max 200)",
                "alpha> meminfo",
                "MemTotal:",
                "MemFree:",
                "CmaTotal:",
                "CmaFree:",
                "iommu-tables",
                "ready; halting (stopped)",
            ],
            stdin_on: &[
                // No Ctrl-A (0x01): QEMU's stdio multiplexer takes it as its escape.
                (PROMPT, b"\x00\x02\xff\xfe\x80\x1b[\x1bO\x1b[1;5~\x07\x09\x08\x7f\x15garbage\x1b[A\x1b[B\xc3\xa9\x03\x1b\r"),
                (PROMPT, b"garbage\r"),
                (PROMPT, &[b'x'; 10240]),
                ("", b"\r"),
                (PROMPT, b"meminfo\r"),
            ],
            ..case("monitor-garbage", "")
        },
        // What the monitor holds at halt is given back before the checks:
        // the reconciliation owes nothing to the owner `monitor`.
        Case {
            expect: &[
                "alpha> alloc 3",
                "alpha> cma alloc 8",
                "alpha> fragment 9",
                "monitor: gave back what it held: 0 mapping(s), 0 coherent buffer(s), 1 block(s), 1 CMA run(s),",
                "memory (monitor halt): total",
                "ready; halting (stopped)",
            ],
            stdin_on: &[(PROMPT, b"alloc 3\r"), (PROMPT, b"cma alloc 8\r"), (PROMPT, b"fragment 9\r")],
            // The owner would be listed in the halt's reconciliation line.
            forbid: &["FAILED", "[monitor ", ", monitor "],
            ..case("monitor-halt-gives-back", "")
        },
        // The disk (docs/testing.md, *The disk*): the runner writes the
        // pattern image, attaches it to the CMD646, and checks it after
        // the run; the kernel reads it back every way the block layer
        // offers and writes a second pattern (disk_write=).
        Case {
            expect: DISK_TEST_EXPECT,
            forbid: NO_DMA_REPORT,
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-direct", "disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
        Case {
            expect: DISK_TEST_EXPECT,
            forbid: NO_DMA_REPORT,
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-iommu-strict", "iommu=strict disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
        // The Nth IOMMU allocation fails inside a disk request (through the
        // IOMMU with iommu=strict): that request fails with a DMA error, the
        // test counts it as the expected failure and tries it again;
        // nothing leaks.
        Case {
            expect: &[
                "fault injection armed: fail_iommu=40",
                "fault injection: failing IOMMU allocation #40",
                "failed as injected (fail_iommu): DMA: ",
                "disk: injected IOMMU failure: ok (the read of ",
                "disk: nothing left behind: ok",
                "disk test: 9 passed, 0 failed, 0 skipped",
                "memory (after the disk tests): total ",
                "ready; halting (one-shot run: fail_iommu)",
                "ide0: down (",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            allow: &["fault injection armed: fail_iommu=40", "fault injection: failing IOMMU allocation #40"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-fail-iommu", "iommu=strict disk_test=0x5eed disk_write=0xc0ffee@1000+300 fail_iommu=40")
        },
        // The checks can fail: told the wrong seed, every test that reads
        // finds the first byte wrong and says so; the refusals and the
        // leak check still pass (the error paths give everything back).
        Case {
            expect: &[
                "disk: reads 1..=",
                " sectors by DMA: FAILED: read of 1 sector(s) at ",
                "byte 0 is 0x",
                ", the pattern has 0x",
                "disk: buffers straddling page and 64 KiB boundaries by DMA: FAILED: read of ",
                "disk: multi-segment lists by DMA: FAILED: read of ",
                "disk: reads by PIO: FAILED: read of ",
                "disk: merging in the request queue: FAILED: read of ",
                "disk: writes, read back and flush: FAILED: read of ",
                "disk: refused requests: ok (",
                "disk: nothing left behind: ok",
                "disk test: 2 passed, 6 failed, 0 skipped",
                "memory (after the disk tests): total ",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: &["DMA-API: "],
            allow: &[": FAILED: read of "],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-wrong-seed", "disk_test=0x5eee disk_write=0xc0ffee@1000+300")
        },
        // No disk attached: one line says so; `disk` and `disk read` answer
        // with one line each.
        Case {
            expect: &[
                "ide0: no drive on channel 0 (",
                "alpha> disk\n",
                "disk: no disk (attach one to QEMU with -drive file=IMG,if=ide,format=raw)",
                "alpha> disk read 0 1",
                "error: disk read: no disk",
                "ready; halting (stopped)",
            ],
            forbid: &["FAILED", "00000000  "],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            stdin_on: &[(PROMPT, b"disk\r"), (PROMPT, b"disk read 0 1\r")],
            ..case("disk-none", "")
        },
        // The monitor's disk commands on the pattern image: every dump
        // line is checked against the image, and the table of disk bench.
        Case {
            timeout_s: 120,
            expect: &[
                "alpha> disk\n",
                "ide0: CMD646 rev ",
                "  model: QEMU HARDDISK",
                "  capacity: 16384 sectors of 512 bytes (8 MiB)",
                "alpha> disk read 0 2",
                "00000000  ",
                "000003f0  ",
                "alpha> disk read 16383 2",
                "error: disk read: ",
                "alpha> disk read 1 9",
                "error: disk read: sector count 9 is outside 1..=8",
                "alpha> disk bench",
                "disk bench: ",
                "disk bench: DMA/PIO sequential ratio ",
                "memory (monitor halt): ",
                "ready; halting (stopped)",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: &["FAILED", "[monitor ", ", monitor "],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            stdin_on: &[
                (PROMPT, b"disk\r"),
                (PROMPT, b"disk read 0 2\r"),
                (PROMPT, b"disk read 16383 2\r"),
                (PROMPT, b"disk read 1 9\r"),
                (PROMPT, b"disk bench\r"),
            ],
            disk: Some(Disk { write: None, ..DISK }),
            ..case("disk-monitor", "")
        },
        // QEMU's blkdebug fails every read touching sector 100 with EIO:
        // the IDE model reports an error to the guest, the driver resets
        // and retries, then fails the request with one line; the kernel
        // keeps working (the next read succeeds, the halt reconciles).
        Case {
            expect: &[
                "alpha> disk read 96 8",
                "WARN  ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); resetting the channel and trying again (1 of 2)",
                "WARN  ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); resetting the channel and trying again (2 of 2)",
                "WARN  ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); giving up after 3 tries",
                "error: disk read: READ DMA failed: status 0x41, error 0x04",
                "alpha> disk read 0 1",
                "00000000  ",
                "memory (monitor halt): ",
                "ready; halting (stopped)",
                // Three tries of the failed read, then the good one.
                "ide0: down (4 commands, 1 errors)",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            allow: &[
                "ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); resetting the channel and trying again (1 of 2)",
                "ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); resetting the channel and trying again (2 of 2)",
                "ide0: READ DMA failed: status 0x41 (DRDY ERR), error 0x04 (ABRT) (sectors 96+8); giving up after 3 tries",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            stdin_on: &[(PROMPT, b"disk read 96 8\r"), (PROMPT, b"disk read 0 1\r")],
            disk: Some(Disk { write: None, blkdebug: Some(BLKDEBUG_SECTOR_100), ..DISK }),
            ..case("disk-error", "")
        },
        // The IDE driver's transfer and interrupt choices. ide_dma=off: the
        // disk runs PIO and says why; the monitor's reads still match the
        // image (the runner checks every dump line).
        Case {
            expect: &[
                "ide0: QEMU HARDDISK (QM00001), 16384 sectors (8 MiB), LBA48 yes, DMA: off (ide_dma=off)",
                "ide0: PIO: polled, drive interrupts off (nIEN)",
                "alpha> disk\n",
                "  transfer: PIO (ide_dma=off)",
                "alpha> disk read 0 2",
                "00000000  ",
                "000003f0  ",
                "ide0: down (",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: &["FAILED", "dma pool ide0-prd", "[monitor ", ", monitor "],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            stdin_on: &[(PROMPT, b"disk\r"), (PROMPT, b"disk read 0 2\r")],
            disk: Some(Disk { write: None, ..DISK }),
            ..case("disk-ide-dma-off", "ide_dma=off")
        },
        // ide_irq=20, a line nothing drives: the first DMA command ends
        // with BMIS showing it done and no interrupt; one warning, polling
        // from then on, and every disk test passes.
        Case {
            expect: &[
                "ide0: DMA completion by interrupt: INTA, Cchip line 20 (ide_irq=20)",
                "ide0: READ DMA: BMIS shows the drive done but no interrupt came on Cchip line 20 within 100 ms (0 taken on the line): polling from now on",
                "disk test: 8 passed, 0 failed, 0 skipped",
                "ide0: down (",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            allow: &["but no interrupt came on Cchip line 20 within 100 ms"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-ide-irq-fallback", "ide_irq=20 disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
        // ide_irq=off: DMA completion by polling BMIS; a bad ide_dma= is
        // one warning and the chip's default (DMA on for the CMD646).
        Case {
            expect: &[
                "ide_dma=sometimes: expected on or off; using the default (on)",
                "ide0: QEMU HARDDISK (QM00001), 16384 sectors (8 MiB), LBA48 yes, DMA: on (CMD646 bus master, drive UDMA5)",
                "ide0: DMA completion polled (ide_irq=off)",
                "disk test: 8 passed, 0 failed, 0 skipped",
                "ide0: down (",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            allow: &["ide_dma=sometimes: expected on or off"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-ide-irq-off", "ide_irq=off ide_dma=sometimes disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
        // fail_ide_dma=3: the third DMA command's PRD table ends early, so
        // the engine stops with no interrupt. With the interrupt the wait
        // times out (5 s), the channel is reset and the retry succeeds;
        // polled, the missing INTR is caught at once. Either way every
        // disk test passes and the counters show the one retry.
        Case {
            timeout_s: 120,
            expect: &[
                "fault injection armed: fail_ide_dma=3",
                "fault injection: ide0: DMA command #3 (READ DMA): PRD table cut to its first ",
                ": timed out after ",
                " ms waiting for DMA completion (BMIS interrupt): status 0x50 (DRDY DSC), error 0x00 (-) (sectors ",
                "; resetting the channel and trying again (1 of 2)",
                " 1 retries, 0 errors, 1 timeouts; ",
                "disk test: 8 passed, 0 failed, 0 skipped",
                "ide0: down (",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            allow: &["fault injection armed: fail_ide_dma=3", "fault injection: ide0: DMA command #3", "waiting for DMA completion (BMIS interrupt)"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-ide-dma-timeout", "fail_ide_dma=3 disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
        Case {
            expect: &[
                "fault injection armed: fail_ide_dma=3",
                "fault injection: ide0: DMA command #3 (READ DMA): PRD table cut to its first ",
                "ide0: READ DMA: the engine stopped without the drive's interrupt (the PRD table ended before the transfer): bm status 0x20 (DRV0DMA) (sectors ",
                "; resetting the channel and trying again (1 of 2)",
                " 1 retries, 0 errors, 0 timeouts; 0 completions by interrupt, ",
                "disk test: 8 passed, 0 failed, 0 skipped",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: NO_DMA_REPORT,
            allow: &["fault injection armed: fail_ide_dma=3", "fault injection: ide0: DMA command #3", "the engine stopped without the drive's interrupt"],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 16 }),
            disk: Some(DISK),
            ..case("disk-ide-short-prd", "ide_irq=off fail_ide_dma=3 disk_test=0x5eed disk_write=0xc0ffee@1000+300")
        },
    ]
}

/// A crash test: the report lines, then the trap's PC and registers and the
/// halt; the PC must lie in `pc_in`.
fn crash(name: &'static str, append: &'static str, report: &'static [&'static str], pc_in: &'static str) -> Case {
    Case {
        expect: report,
        forbid: &["*** KERNEL PANIC", "ready; halting", "instead of"],
        crash: true,
        trap_pc_in: Some(pc_in),
        ..case(name, append)
    }
}

/// A memory-layout case: boots, checks the expected lines, and that the
/// reconciliation line adds up to `total_mib` with `cma_mib` of CMA.
fn mem(
    name: &'static str,
    append: &'static str,
    qemu: &'static [&'static str],
    total_mib: u64,
    cma_mib: u64,
    expect: &'static [&'static str],
) -> Case {
    Case { qemu, expect, memory: Some(MemExpect { total_mib, cma_mib }), ..case(name, append) }
}
