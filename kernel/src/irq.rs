//! Interrupts: the OSF/1 PALcode's `entInt` dispatch, the Tsunami/Typhoon
//! Cchip's device interrupt mask (DIM0) and request (DIR0) registers, the
//! clock tick, and the IPL.
//!
//! How an interrupt reaches the kernel (Tsunami/Typhoon, as QEMU's
//! `palcode-clipper` and SRM's OSF/1 PALcode do it):
//!
//! * a PCI device asserts its INTx line; the Cchip latches it in DRIR bit
//!   *n*; if DIM0 bit *n* is set, DIR0 bit *n* is set and the CPU sees a
//!   device interrupt (IPL 20 in hardware terms, OSF/1 IPL 3);
//! * if the CPU's IPL is below that, the PALcode pushes its frame, raises
//!   the IPL, reads DIR0, takes the lowest set bit *n*, and enters `entInt`
//!   with a0 = 3 (device) and a1 = the SCB vector `0x800 + (16 + n) * 16`
//!   (Linux's IRQ number is `16 + n`);
//! * the clock (the RTC's periodic interrupt, 1024 Hz under QEMU) enters
//!   with a0 = 1 after the PALcode has acknowledged it (so the kernel has
//!   nothing to do but count); a0 = 0 is an interprocessor interrupt, 2 a
//!   machine check, 4 a performance counter;
//! * the device interrupt is level-triggered: the handler must make the
//!   device drop its line (the 21143: mask CSR7 or clear CSR5) before
//!   `rti`, or it is taken again at once.
//!
//! Handlers run on the interrupted code's stack with the IPL raised; they
//! must not take a lock that code at a lower IPL may hold (the logger, the
//! clock, the heap): they touch atomics and device registers only, and
//! leave the rest to the code they wake up.
//!
//! The kernel runs at IPL 7 (everything masked) except where it opts in
//! with [`Ipl::lower`]: today, only the network loop.

use crate::arch::{self, mmio, phys_to_kseg};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Cchip CSRs (Tsunami/Typhoon; Linux: TSUNAMI_cchip), 64-bit registers.
pub const CCHIP_CSR_PHYS: u64 = 0x801_a000_0000;
const DIM0: u64 = 0x200;
const DIR0: u64 = 0x280;
const DRIR: u64 = 0x300;

/// OSF/1 `entInt` types (a0).
pub const INT_IPI: u64 = 0;
pub const INT_CLOCK: u64 = 1;
pub const INT_MCHK: u64 = 2;
pub const INT_DEVICE: u64 = 3;
pub const INT_PERF: u64 = 4;

/// Cchip interrupt lines (DIM/DIR bits).
pub const LINES: usize = 64;

/// A device interrupt handler; gets its Cchip line. Runs at raised IPL:
/// atomics and device registers only (see the module text).
pub type Handler = fn(line: u32);

static HANDLERS: [AtomicUsize; LINES] = [const { AtomicUsize::new(0) }; LINES];
static PER_LINE: [AtomicU64; LINES] = [const { AtomicU64::new(0) }; LINES];
static TICKS: AtomicU64 = AtomicU64::new(0);
static DEVICE: AtomicU64 = AtomicU64::new(0);
static SPURIOUS: AtomicU64 = AtomicU64::new(0);
static UNHANDLED: AtomicU64 = AtomicU64::new(0);
static OTHER: AtomicU64 = AtomicU64::new(0);
/// Lines masked because nothing handles them (bit n = line n).
static MASKED_UNHANDLED: AtomicU64 = AtomicU64::new(0);

fn cchip_read(off: u64) -> u64 {
    // SAFETY: an 8-byte access to a Cchip CSR (they accept only those).
    unsafe { mmio::read64(phys_to_kseg(CCHIP_CSR_PHYS + off)) }
}

fn cchip_write(off: u64, v: u64) {
    // SAFETY: as in `cchip_read`.
    unsafe { mmio::write64(phys_to_kseg(CCHIP_CSR_PHYS + off), v) }
}

/// DIM0, DIR0 and DRIR as they are now.
pub fn cchip_state() -> (u64, u64, u64) {
    (cchip_read(DIM0), cchip_read(DIR0), cchip_read(DRIR))
}

/// Changes DIM0 with every interrupt masked, then reads it back (the
/// write must reach the Cchip before the IPL drops again).
fn update_dim(f: impl FnOnce(u64) -> u64) -> u64 {
    let ipl = Ipl::raise();
    let new = f(cchip_read(DIM0));
    cchip_write(DIM0, new);
    arch::mb();
    let back = cchip_read(DIM0);
    drop(ipl);
    back
}

/// Why a line could not be enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum IrqError {
    /// Not a Cchip line (0..63).
    BadLine(u32),
    /// Another handler has the line (no sharing yet).
    Busy(u32),
    /// DIM0 did not keep the bit (read back without it).
    NotLatched { line: u32, dim: u64 },
}

impl core::fmt::Display for IrqError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match *self {
            IrqError::BadLine(l) => write!(f, "line {l} is not a Cchip interrupt line (0-63)"),
            IrqError::Busy(l) => write!(f, "line {l} already has a handler"),
            IrqError::NotLatched { line, dim } => {
                write!(f, "DIM0 did not keep bit {line} (read back {dim:#018x})")
            }
        }
    }
}

/// Installs `handler` for Cchip `line` and unmasks the line in DIM0.
pub fn enable(line: u32, handler: Handler) -> Result<(), IrqError> {
    if line as usize >= LINES {
        return Err(IrqError::BadLine(line));
    }
    let slot = &HANDLERS[line as usize];
    if slot.compare_exchange(0, handler as usize, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(IrqError::Busy(line));
    }
    let dim = update_dim(|d| d | 1 << line);
    if dim & (1 << line) == 0 {
        slot.store(0, Ordering::Release);
        return Err(IrqError::NotLatched { line, dim });
    }
    Ok(())
}

/// Masks `line` in DIM0 and removes its handler.
pub fn disable(line: u32) {
    if line as usize >= LINES {
        return;
    }
    update_dim(|d| d & !(1 << line));
    HANDLERS[line as usize].store(0, Ordering::Release);
}

/// Counters since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqStats {
    /// Clock interrupts.
    pub ticks: u64,
    /// Device interrupts dispatched to a handler.
    pub device: u64,
    /// Device interrupts with no line set in DIR0 (the PALcode normally
    /// filters these) or a vector outside the Cchip's range.
    pub spurious: u64,
    /// Device interrupts on a line nobody handles (the line is then masked).
    pub unhandled: u64,
    /// Interprocessor and performance counter interrupts (ignored).
    pub other: u64,
    /// Lines masked because they had no handler.
    pub masked_unhandled: u64,
}

pub fn stats() -> IrqStats {
    IrqStats {
        ticks: TICKS.load(Ordering::Relaxed),
        device: DEVICE.load(Ordering::Relaxed),
        spurious: SPURIOUS.load(Ordering::Relaxed),
        unhandled: UNHANDLED.load(Ordering::Relaxed),
        other: OTHER.load(Ordering::Relaxed),
        masked_unhandled: MASKED_UNHANDLED.load(Ordering::Relaxed),
    }
}

/// Interrupts taken on `line` since boot.
pub fn line_count(line: u32) -> u64 {
    PER_LINE.get(line as usize).map_or(0, |c| c.load(Ordering::Relaxed))
}

/// The Cchip line of an SCB device vector (`0x800 + (16 + n) * 16`).
pub const fn vector_line(vector: u64) -> Option<u32> {
    if vector < 0x900 || vector % 16 != 0 {
        return None;
    }
    let n = (vector - 0x900) / 16;
    if n < LINES as u64 { Some(n as u32) } else { None }
}

/// Called by `arch::trap` for `entInt`; returns false for what the trap
/// code must report (a machine check, an unknown type).
pub fn dispatch(kind: u64, vector: u64) -> bool {
    match kind {
        INT_CLOCK => {
            TICKS.fetch_add(1, Ordering::Relaxed);
            // The RTC's flag register must be read for the next periodic
            // interrupt on real hardware (QEMU's does not wait for it).
            let _ = rtc::read(rtc::REG_C);
            true
        }
        INT_DEVICE => {
            let Some(line) = vector_line(vector) else {
                SPURIOUS.fetch_add(1, Ordering::Relaxed);
                return true;
            };
            PER_LINE[line as usize].fetch_add(1, Ordering::Relaxed);
            let h = HANDLERS[line as usize].load(Ordering::Acquire);
            if h == 0 {
                // Nobody will make the device drop the line: mask it, or
                // the interrupt comes back forever. Reported by the code
                // that reads `stats`.
                UNHANDLED.fetch_add(1, Ordering::Relaxed);
                MASKED_UNHANDLED.fetch_or(1 << line, Ordering::Relaxed);
                cchip_write(DIM0, cchip_read(DIM0) & !(1 << line));
                arch::mb();
                return true;
            }
            DEVICE.fetch_add(1, Ordering::Relaxed);
            // SAFETY: only `enable` stores into HANDLERS, and only `Handler`s.
            let h: Handler = unsafe { core::mem::transmute::<usize, Handler>(h) };
            h(line);
            true
        }
        INT_IPI | INT_PERF => {
            OTHER.fetch_add(1, Ordering::Relaxed);
            true
        }
        // A machine check (a real Pchip's answer to a DMA through a
        // removed mapping, or a hardware error) is reported as a trap.
        INT_MCHK => false,
        _ => false,
    }
}

/// The IPL, raised or lowered for a scope: dropping the guard restores it.
pub struct Ipl {
    old: u64,
}

impl Ipl {
    /// Masks every interrupt (IPL 7).
    pub fn raise() -> Ipl {
        Ipl { old: arch::swpipl(7) & 7 }
    }

    /// Lets every interrupt in (IPL 0).
    pub fn lower() -> Ipl {
        Ipl { old: arch::swpipl(0) & 7 }
    }
}

impl Drop for Ipl {
    fn drop(&mut self) {
        arch::swpipl(self.old);
    }
}

/// Waits for an interrupt: call with interrupts masked (inside
/// [`Ipl::raise`]) after checking there is nothing to do; returns when an
/// interrupt is pending (it is taken when the IPL drops). `wtint` wakes on
/// a pending interrupt even while it is masked, so nothing that arrived
/// between the check and the wait is missed.
pub fn wait() {
    arch::wtint();
}

/// The MC146818-compatible RTC on the ISA bridge: index port 0x70, data
/// port 0x71. Its periodic interrupt is what the Tsunami turns into the
/// CPU's interval timer interrupt (the Cchip's IIC/MISC.ITI; the PALcode
/// acknowledges it and enters `entInt` with type 1). The firmware may
/// leave it off (QEMU's PALcode does), so the kernel sets it up.
mod rtc {
    use crate::arch::{mmio, phys_to_kseg};
    use crate::pci::PCI_IO_PHYS;

    const INDEX: u64 = 0x70;
    const DATA: u64 = 0x71;
    /// Register A: divider and rate select.
    pub const REG_A: u8 = 0x0a;
    /// Register B: PIE (periodic interrupt enable) is bit 6.
    pub const REG_B: u8 = 0x0b;
    /// Register C: interrupt flags, cleared by reading.
    pub const REG_C: u8 = 0x0c;
    pub const PIE: u8 = 1 << 6;
    /// Divider 010 (32.768 kHz time base), rate 0110: 1024 Hz.
    pub const RATE_1024HZ: u8 = 0x26;

    pub fn read(reg: u8) -> u8 {
        // SAFETY: ISA ports 0x70/0x71 through the Pchip's PCI I/O space.
        unsafe {
            mmio::write8(phys_to_kseg(PCI_IO_PHYS + INDEX), reg);
            mmio::read8(phys_to_kseg(PCI_IO_PHYS + DATA))
        }
    }

    pub fn write(reg: u8, v: u8) {
        // SAFETY: as in `read`.
        unsafe {
            mmio::write8(phys_to_kseg(PCI_IO_PHYS + INDEX), reg);
            mmio::write8(phys_to_kseg(PCI_IO_PHYS + DATA), v);
        }
    }
}

/// The clock interrupt's nominal rate.
pub const CLOCK_HZ: u64 = 1024;

/// Starts the RTC's periodic interrupt at [`CLOCK_HZ`]; returns register A
/// and B as the firmware left them (for the log). The interrupt arrives
/// only while the IPL is below 5.
pub fn start_clock() -> (u8, u8) {
    let _masked = Ipl::raise();
    let (a, b) = (rtc::read(rtc::REG_A), rtc::read(rtc::REG_B));
    if a & 0x7f != rtc::RATE_1024HZ {
        rtc::write(rtc::REG_A, rtc::RATE_1024HZ);
    }
    rtc::write(rtc::REG_B, b | rtc::PIE);
    let _ = rtc::read(rtc::REG_C);
    (a, b)
}

/// Stops the RTC's periodic interrupt.
pub fn stop_clock() {
    let _masked = Ipl::raise();
    let b = rtc::read(rtc::REG_B);
    rtc::write(rtc::REG_B, b & !rtc::PIE);
    let _ = rtc::read(rtc::REG_C);
}

/// The Cchip line of PCI device `slot` (IdSel), interrupt pin `pin`
/// (1 = INTA), on bus 0 of the first Pchip, for the Tsunami family members
/// this kernel knows (HWRPB `sys_variation` member id). From the
/// platforms' interrupt routing (Linux's `clipper_map_irq` and
/// `webbrick_map_irq` tables, minus 16).
pub fn tsunami_pci_line(member: u64, slot: u8, pin: u8) -> Option<u32> {
    if !(1..=4).contains(&pin) {
        return None;
    }
    let p = (pin - 1) as u32;
    match member {
        // Clipper (ES40 and QEMU's `-M clipper`): slots 1-6, 4 lines each
        // from line 8 (INTA of slot 1).
        5 => (1..=6).contains(&slot).then(|| 8 + (slot as u32 - 1) * 4 + p),
        // Webbrick (DS10, DS10L): the two 21143s at IdSel 9 and 11 have
        // one line each; the four PCI slots (IdSel 14-17) count down.
        7 => match slot {
            9 => Some(13),
            11 => Some(14),
            14..=17 => Some(19 + (slot as u32 - 14) * 4 - p),
            _ => None,
        },
        _ => None,
    }
}

#[allow(dead_code)]
const _: () = {
    assert!(matches!(vector_line(0x900), Some(0)));
    assert!(matches!(vector_line(0x800 + (16 + 12) * 16), Some(12)));
    assert!(vector_line(0x8f0).is_none());
};
