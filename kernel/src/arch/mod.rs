//! The thin Alpha-only layer: PAL calls, barriers, KSEG addresses, traps.
//! Everything here wraps assembly in `boot/*.s` behind typed functions.
//! It is the whole OSF/1 PAL interface the kernel needs; some calls (IPL
//! changes, TLB invalidation, barriers) have no user until interrupts and
//! DMA arrive, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod callback;
pub mod mmio;
pub mod stack;
pub mod trap;

/// KSEG: the superpage that maps all physical memory 1:1 at this offset
/// (43-bit KSEG on EV6: virtual bit 40 selects physical bit 43).
pub const KSEG_BASE: u64 = 0xffff_fc00_0000_0000;
/// Alpha pages are 8 KiB.
pub const PAGE_SIZE: u64 = 8192;
/// Where the PALcode (and SRM) map the HWRPB.
pub const HWRPB_VA: u64 = 0x1000_0000;

/// Physical address to KSEG virtual address.
pub const fn phys_to_kseg(pa: u64) -> u64 {
    KSEG_BASE + (pa & 0x0000_00ff_ffff_ffff) + ((pa >> 43 & 1) << 40)
}

/// KSEG virtual address to physical address.
pub const fn kseg_to_phys(va: u64) -> u64 {
    let low = va & 0x0000_00ff_ffff_ffff;
    let io = (va >> 40) & 1;
    low + (io << 43)
}

unsafe extern "C" {
    fn pal_halt() -> !;
    fn pal_swpipl(ipl: u64) -> u64;
    fn pal_rdps() -> u64;
    fn pal_wrent(entry: u64, which: u64);
    fn pal_wrkgp(gp: u64);
    fn pal_whami() -> u64;
    fn pal_wrvptptr(vptptr: u64);
    fn pal_cserve(function: u64, a1: u64, a2: u64) -> u64;
    fn pal_tbi(kind: i64, va: u64);
    fn pal_imb();
    fn pal_draina();
    fn pal_wtint(max_ticks: u64) -> u64;
    fn alpha_rpcc() -> u64;
    fn alpha_mb();
    fn alpha_wmb();
    fn alpha_implver() -> u64;
    fn alpha_amask(mask: u64) -> u64;
}

/// `call_pal halt`: stops the CPU; under QEMU this ends the emulator.
pub fn halt() -> ! {
    // SAFETY: stops the CPU; nothing runs after it, so no state can be broken.
    unsafe { pal_halt() }
}

/// `call_pal swpipl`: sets the interrupt priority level, returns the old PS.
///
/// # Safety
/// Lowering the IPL lets interrupts in: the caller must have installed the
/// entry points (`trap::init`) and must not hold anything an interrupt
/// handler takes (handlers touch atomics and device registers only); and
/// whoever raised the IPL to protect a critical section must not see it
/// lowered underneath them (restore what was there, as `irq::Ipl` does).
pub unsafe fn swpipl(ipl: u64) -> u64 {
    // SAFETY: the PAL call itself only changes the IPL; the caller keeps the
    // contract above.
    unsafe { pal_swpipl(ipl & 7) }
}

/// `call_pal rdps`: the processor status (IPL in bits 2:0, mode in bit 3).
pub fn rdps() -> u64 {
    // SAFETY: reads the processor status; no side effect.
    unsafe { pal_rdps() }
}

/// The system entry points that `wrent` installs (OSF/1 numbering).
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Entry {
    Interrupt = 0,
    Arithmetic = 1,
    MemoryManagement = 2,
    InstructionFault = 3,
    Unaligned = 4,
    System = 5,
}

/// `call_pal wrent`: installs a kernel entry point.
///
/// # Safety
/// `handler` must be an assembly entry stub that follows the OSF/1 PALcode
/// entry convention for `entry` (saves what it uses, returns with `rti`):
/// every later trap of that kind jumps there.
pub unsafe fn wrent(entry: Entry, handler: unsafe extern "C" fn()) {
    // SAFETY: the caller guarantees the handler (see above).
    unsafe { pal_wrent(handler as usize as u64, entry as u64) }
}

/// `call_pal wrkgp`: the $gp the PALcode loads on every kernel entry.
///
/// # Safety
/// `gp` must be the kernel's global pointer ([`kernel_gp`]): every kernel
/// entry runs Rust code that addresses its data through it.
pub unsafe fn wrkgp(gp: u64) {
    // SAFETY: the caller guarantees the value (see above).
    unsafe { pal_wrkgp(gp) }
}

/// `call_pal whami`: this CPU's number.
pub fn whami() -> u64 {
    // SAFETY: reads the CPU number; no side effect.
    unsafe { pal_whami() }
}

/// `call_pal wrvptptr`: the virtual page table pointer.
///
/// # Safety
/// The PALcode's TLB miss handler walks page tables through this address:
/// it must be where the current page tables map themselves, or every TLB
/// miss on a non-KSEG address faults.
pub unsafe fn wrvptptr(vptptr: u64) {
    // SAFETY: the caller guarantees the address (see above).
    unsafe { pal_wrvptptr(vptptr) }
}

/// `call_pal cserve`: console services (function codes are PALcode-specific).
pub fn cserve(function: u64, a1: u64, a2: u64) -> u64 {
    // SAFETY: the PALcode checks the function code; the codes the kernel passes (`bootinfo`) only read or write console state.
    unsafe { pal_cserve(function, a1, a2) }
}

/// `call_pal tbi` with type -2 (TBIA): invalidate every translation.
///
/// # Safety
/// After it every non-KSEG access refills from the page tables: they must
/// be valid (and `wrvptptr` must point at them) for everything the kernel
/// touches next.
pub unsafe fn tbia() {
    // SAFETY: the caller guarantees the page tables (see above).
    unsafe { pal_tbi(-2, 0) }
}

/// `call_pal tbi` with type 3 (TBIS): invalidate one translation.
///
/// # Safety
/// As [`tbia`], for the page of `va`.
pub unsafe fn tbis(va: u64) {
    // SAFETY: the caller guarantees the page tables (see above).
    unsafe { pal_tbi(3, va) }
}

/// `call_pal imb`: instruction memory barrier (after writing code).
pub fn imb() {
    // SAFETY: a barrier; no side effect on state.
    unsafe { pal_imb() }
}

/// `call_pal draina`: wait for outstanding aborts (machine checks).
pub fn draina() {
    // SAFETY: waits for pending aborts; no side effect on state.
    unsafe { pal_draina() }
}

/// `call_pal wtint`: waits until an interrupt is pending (even a masked
/// one), or returns at once where the PALcode cannot wait.
pub fn wtint() {
    // SAFETY: waits for an interrupt without taking it (the IPL is unchanged).
    unsafe { pal_wtint(0) };
}

/// `rpcc`: the cycle counter (bits 31:0 count cycles, 63:32 the OS offset).
pub fn rpcc() -> u64 {
    // SAFETY: `rpcc` reads the cycle counter.
    unsafe { alpha_rpcc() }
}

/// `mb`: full memory barrier.
pub fn mb() {
    // SAFETY: a barrier instruction.
    unsafe { alpha_mb() }
}

/// `wmb`: write memory barrier.
pub fn wmb() {
    // SAFETY: a barrier instruction.
    unsafe { alpha_wmb() }
}

/// `implver`: 0 EV4, 1 EV5, 2 EV6 family.
pub fn implver() -> u64 {
    // SAFETY: `implver` reads a constant.
    unsafe { alpha_implver() }
}

/// `amask`: the returned value has bits *cleared* for present extensions
/// (bit 0 BWX, 1 FIX, 2 CIX, 8 MVI, 9 precise traps).
pub fn amask(mask: u64) -> u64 {
    // SAFETY: `amask` computes from its operand only.
    unsafe { alpha_amask(mask) }
}

/// The global pointer (`$29`) the linker chose for the kernel: every kernel
/// entry must run with it.
pub fn kernel_gp() -> u64 {
    unsafe extern "C" {
        fn alpha_read_gp() -> u64;
    }
    // SAFETY: copies $29 into v0; no side effect.
    unsafe { alpha_read_gp() }
}

/// Image bounds from the link script.
pub mod image {
    unsafe extern "C" {
        static __image_start: u8;
        static __image_end: u8;
        static __etext: u8;
        static __bss_start: u8;
        static __bss_end: u8;
        static __boot_stack_bottom: u8;
        static __boot_stack_top: u8;
        static __cmdline: u8;
    }
    pub fn start() -> u64 { &raw const __image_start as u64 }
    pub fn end() -> u64 { &raw const __image_end as u64 }
    pub fn etext() -> u64 { &raw const __etext as u64 }
    pub fn bss() -> (u64, u64) { (&raw const __bss_start as u64, &raw const __bss_end as u64) }
    pub fn boot_stack() -> (u64, u64) {
        (&raw const __boot_stack_bottom as u64, &raw const __boot_stack_top as u64)
    }
    /// The page below the image where QEMU writes the `-append` text.
    pub fn cmdline() -> u64 { &raw const __cmdline as u64 }
}
