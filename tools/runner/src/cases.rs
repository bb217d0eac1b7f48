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
    /// The memory reconciliation line must add up, with this much memory
    /// and this much CMA (MiB).
    pub memory: Option<MemExpect>,
    /// What QEMU's `-kernel` loads: the kernel, or the SRM boot stub.
    pub boot: Boot,
    /// Change guest memory through QEMU's gdbstub before the guest runs.
    pub gdb: Option<GdbAction>,
    /// Once the output contains the first string, write the bytes to the
    /// serial console's input (QEMU's stdin).
    pub stdin_on: Option<(&'static str, &'static [u8])>,
    /// The one memory reconciliation allowed to fail: its label and the
    /// difference it must state (every other one must reconcile).
    pub mismatch: Option<(&'static str, i64)>,
}

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

const NO_CRASH: &[&str] = &["*** TRAP", "*** KERNEL PANIC", "FAILED"];

const fn case(name: &'static str, append: &'static str) -> Case {
    Case {
        name,
        append,
        qemu: &[],
        timeout_s: 90,
        expect: &[],
        forbid: NO_CRASH,
        trap_pc_in: None,
        memory: None,
        boot: Boot::Kernel,
        gdb: None,
        stdin_on: None,
        mismatch: None,
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "console: COM1 switching"],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "console: COM1 switching"],
            ..case("console-baud-same-as-firmware", "console_baud=9600")
        },
        Case {
            expect: &[
                "boot parameter ignored: console_baud=12345: out of range (expected 9600|19200|38400|57600|115200)",
                "boot parameter ignored: console_baud=fast: not a number (expected 9600|19200|38400|57600|115200)",
                "console: COM1 at 9600 baud (divisor 12, as the firmware left it; console_baud= ignored)",
                "ready; halting",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "console: COM1 switching"],
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
            stdin_on: Some(("GETC test: calling GETC", b"x")),
            ..case("console-callbacks-getc", "console_getc_test")
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
                "selftest codegen-enum-niche: ok",
                "selftest hwrpb-errors: ok (3 corrupted copies refused with the right error)",
                "selftest mm-page-owner: ok (pfn 0x",
                "held by selftest (order 3), allocated at kernel/src/selftest/mm.rs:",
                "selftest mm-bad-frees: ok",
                "memory (after mm-storm): total ",
                "selftest mm-storm: ok",
                "selftest dma-windows: ok",
                "selftest dma-coherent-cma-fallback: ok (12 MiB from CMA",
                "selftest dma-debug-reports: ok",
                "selftest dma-fault-injection: ok",
                "selftest dma-storm: ok",
                "selftest tulip-loopback-sg: ok (skipped: no DEC 21143",
                "selftest tulip-loopback-direct: ok (skipped: no DEC 21143",
                "selftest summary: 18 passed, 0 failed",
                "memory (after the self-tests): total ",
                "KERNEL TEST RESULT: PASS",
            ],
            memory: Some(MemExpect { total_mib: 256, cma_mib: 64 }),
            ..case("selftest", "test cma=64M")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            timeout_s: 300,
            expect: &[
                "driver: tulip (DEC 21143)",
                "selftest tulip-loopback-sg: ok (00:02.0 via BAR1 memory",
                "window ForceSg; rings bus 0x4",
                "(scatter-gather), TX pa",
                "1514-byte frame looped back (RDES0 0x05ee0300: FL 1518), data identical; stale mapping: bus 0x4",
                "refused the write",
                "still poison",
                "selftest tulip-loopback-direct: ok (00:02.0 via BAR1 memory",
                "window ForceDirect; rings bus 0x8",
                "1514-byte frame looped back (RDES0 0x05ee0300: FL 1518), data identical; stale-mapping phase skipped",
                "selftest summary: 18 passed, 0 failed",
                "KERNEL TEST RESULT: PASS",
                "DMA-API debug: 0 mappings live at shutdown",
            ],
            ..case("dma-device-proof-tulip", "test cma=64M")
        },
        Case {
            qemu: &["-nic", "user,model=tulip", "-m", "2G"],
            timeout_s: 300,
            expect: &[
                "iommu=strict: every device maps through the scatter-gather window",
                "selftest tulip-loopback-sg: ok (",
                "selftest tulip-loopback-direct: ok (",
                "KERNEL TEST RESULT: PASS",
            ],
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
            ..case("dma-no-cma", "test cma=0")
        },
        Case {
            timeout_s: 300,
            expect: &[
                "iommu=strict: every device maps through the scatter-gather window",
                "selftest dma-windows: ok",
                "selftest dma-storm: ok",
                "KERNEL TEST RESULT: PASS",
            ],
            ..case("dma-iommu-strict", "test iommu=strict")
        },
        Case {
            timeout_s: 300,
            expect: &["dma: DMA-API debug off (dma_debug=off)", "selftest dma-debug-reports: ok (skipped: dma_debug=off)", "KERNEL TEST RESULT: PASS"],
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
            ..case("dma-fail-iommu", "fail_iommu=1")
        },
        Case {
            expect: &[
                "fault injection: failing buddy allocation #1",
                "dma probe: alloc_coherent gave Cma",
                "dma probe: nothing leaked",
            ],
            ..case("dma-fail-buddy-cma-fallback", "fail_buddy=1")
        },
        Case {
            expect: &[
                "fault injection: failing buddy allocation #1",
                "fault injection: failing CMA allocation #1",
                "dma probe: alloc_coherent failed cleanly: no memory for 32768 bytes",
                "dma probe: nothing leaked",
            ],
            ..case("dma-fail-buddy-and-cma", "fail_buddy=1 fail_cma=1")
        },
        Case {
            expect: &[
                "dma probe: leaving ",
                "DMA-API: fault-probe: mapping leaked at shutdown: Single bus 0x4",
                "DMA-API debug: 1 mappings live at shutdown",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC"],
            ..case("dma-leak-reported", "dma_leak_test")
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
            ..case("mm-leak-mismatch", "mm_leak_test")
        },
        mem("mm-64m", "", &["-m", "64M"], 64, 16, &["cma: reserved 16 MiB at 0x0003000000-0x0004000000 (default"]),
        mem("mm-256m-cma64", "cma=64M", &["-m", "256M"], 256, 64, &["cma: reserved 64 MiB at 0x000c000000-0x0010000000 (cma="]),
        mem("mm-1g-cma-at-base", "cma=32M@256M", &["-m", "1G"], 1024, 32, &["cma: reserved 32 MiB at 0x0010000000-0x0012000000 (cma="]),
        mem("mm-2g-default", "", &["-m", "2G"], 2048, 16, &["cma: reserved 16 MiB at 0x007f000000-0x0080000000 (default"]),
        mem("mm-cma-rounded", "cma=10M", &["-m", "256M"], 256, 16, &["cma: cma= size 0xa00000 rounded up to 16 MiB"]),
        mem("mm-cma-too-large", "cma=1G", &["-m", "256M"], 256, 0, &[
            "cma: cannot reserve 1024 MiB (cma=): no free 8 MiB-aligned range below 0x80000000",
            "booting without CMA",
        ]),
        mem("mm-cma-malformed", "cma=banana", &["-m", "256M"], 256, 16, &[
            "boot parameter ignored: cma=banana",
            "cma: reserved 16 MiB at 0x000f000000-0x0010000000 (default",
        ]),
        mem("mm-cma-overlaps-kernel", "cma=16M@0", &["-m", "256M"], 256, 0, &[
            "cma: cannot reserve 16 MiB (cma= at 0x0): 0x0-0x1000000 overlaps a reservation; booting without CMA",
        ]),
        mem("mm-cma-unaligned-base", "cma=16M@0x1802000", &["-m", "256M"], 256, 0, &[
            "base is not aligned to 8 MiB; booting without CMA",
        ]),
        mem("mm-cma-off", "cma=0", &["-m", "256M"], 256, 0, &["cma: disabled (cma=0)"]),
        mem("mm-mem-limit", "mem=128M", &["-m", "512M"], 128, 16, &["mem=128M: memory limited to 128 MiB"]),
        Case {
            qemu: &["-m", "2G"],
            timeout_s: 300,
            expect: &["selftest mm-storm: ok", "KERNEL TEST RESULT: PASS"],
            memory: Some(MemExpect { total_mib: 2048, cma_mib: 64 }),
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
                "tulip: up: 00:02.0 via BAR1 memory 0x",
                "MAC 52:54:00:12:34:56, RX ring 32 x 1536 B, TX ring 32, rings in the direct window, CSR6 0x022c2202",
                "net: 00:02.0 21143 INTA: Cchip line 12 (interrupt routing of Clipper, member 5)",
                "net: interrupts on: Cchip line 12 (SCB vector 0x9c0), RTC clock 1024 Hz",
                "net: ping 10.0.2.2 (56 bytes): reply in ",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: 10.0.2.15/24 gateway 10.0.2.2, MAC 52:54:00:12:34:56, UDP echo on port 7, HTTP on port 80",
                "net: stopping (net_time elapsed)",
                "net: interrupts: line 12: ",
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", " ERROR ", " WARN "],
            ..case("net-tulip-up", "net net_time=2")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "iommu=strict",
                "tulip: up: 00:02.0",
                "rings in the scatter-gather window",
                "net: ping 10.0.2.2 (1400 bytes): reply in ",
                "net: ready: ",
                "tulip: down: DMA mappings live 33 -> 0",
                "IOMMU entries used (0, 0) (start (0, 0)), DMA mappings live 0 (start 0): all back",
                "DMA-API debug: 0 mappings live at shutdown, 0 problems reported in all",
            ],
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", " ERROR "],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", " ERROR "],
            ..case("net-tulip-small-rx-buffers", "net net_time=2 net_rxbuf=512")
        },
        Case {
            qemu: &["-nic", "user,model=tulip"],
            expect: &[
                "net: NIC not started: receive buffer length 30: must be a multiple of 4 in 64..=2044",
                "DMA mappings live 0 (start 0): all back",
                "ready; halting",
            ],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", " ERROR ", " WARN "],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", " ERROR ", " WARN "],
            ..case("net-tulip-media-100tx-fixed", "net net_time=1 tulip_media=100baseTX-FD")
        },
        Case {
            expect: &[
                "net: NIC not started: no DEC 21143 (1011:0019) on PCI bus 0",
                "all back",
                "ready; halting",
            ],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "HWRPB at 0x10000000 rejected", "quadword 0x4857525042000000"],
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
            forbid: &["*** TRAP", "*** KERNEL PANIC", "FAILED", "swppal", "now in OSF/1 PALcode", "HWRPB at 0x10000000 rejected"],
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
                "selftest summary: ",
                "KERNEL TEST RESULT: PASS",
            ],
            boot: Boot::SrmStub { phys: 0x20_0000 },
            ..case("srm-stub-bounce-selftest", "test cma=64M")
        },
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                ", expected 0x",
                ": the boot program was damaged or cut short while loading",
            ],
            forbid: &["entering the kernel", "alpha-unikernel 0.1.0", "*** TRAP"],
            boot: Boot::SrmStubCorrupt { phys: 0x100_0000 },
            ..case("srm-stub-refuses-damaged-kernel", "")
        },
        Case {
            expect: &[
                "srm-stub: alpha-unikernel SRM boot stub running at 0xfffffc0001000000",
                "srm-stub: no kernel attached to this stub (build the boot program with `srm-image srm-boot`)",
            ],
            forbid: &["srm-stub: HWRPB", "alpha-unikernel 0.1.0", "*** TRAP"],
            boot: Boot::SrmStubEmpty { phys: 0x100_0000 },
            ..case("srm-stub-without-kernel", "")
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
            ..case("hwrpb-no-memory-map", "")
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
