//! Interrupts: the OSF/1 PALcode's `entInt` dispatch, the device interrupt
//! lines (masked and unmasked through the machine's interrupt controller,
//! see [`crate::platform`]), the clock tick, and the IPL.
//!
//! How an interrupt reaches the kernel (as the OSF/1 PALcode does it; the
//! controller's registers are named in `platform`):
//!
//! * a PCI device asserts its INTx line; the interrupt controller latches
//!   it as line *n* (the board's routing says which); if line *n* is
//!   unmasked it is pending and the CPU sees a device interrupt (IPL 20 in
//!   hardware terms, OSF/1 IPL 3);
//! * if the CPU's IPL is below that, the PALcode pushes its frame, raises
//!   the IPL, reads the pending lines, takes the lowest *n*, and enters `entInt`
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

use crate::arch;
use crate::platform::{self, IrqState};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// OSF/1 `entInt` types (a0).
pub const INT_IPI: u64 = 0;
pub const INT_CLOCK: u64 = 1;
pub const INT_MCHK: u64 = 2;
pub const INT_DEVICE: u64 = 3;
pub const INT_PERF: u64 = 4;

/// Interrupt lines the kernel tracks (one bit each in the interrupt
/// controller's 64-bit mask; the machine may have fewer).
pub const LINES: usize = 64;

/// A device interrupt handler; gets its interrupt line. Runs at raised IPL:
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

/// The interrupt controller's mask, pending and raw request registers as
/// they are now (with the chipset's names for them).
pub fn line_state() -> IrqState {
    platform::machine().irq_state()
}

/// Installs the interrupt dispatcher with the trap code (call once, early:
/// until then an interrupt is reported as an unexpected trap).
pub fn init() {
    arch::trap::set_interrupt_handler(dispatch);
}

/// Changes the interrupt mask with every interrupt masked, then reads it
/// back (the write must reach the controller before the IPL drops again).
fn update_mask(f: impl FnOnce(u64) -> u64) -> u64 {
    let m = platform::machine();
    let ipl = Ipl::raise();
    let new = f(m.irq_mask());
    m.set_irq_mask(new);
    arch::mb();
    let back = m.irq_mask();
    drop(ipl);
    back
}

/// Why a line could not be enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum IrqError {
    /// Not an interrupt line of this machine.
    BadLine(u32),
    /// Another handler has the line (no sharing yet).
    Busy(u32),
    /// The mask register did not keep the bit (read back without it).
    NotLatched { line: u32, dim: u64 },
}

impl core::fmt::Display for IrqError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match *self {
            IrqError::BadLine(l) => write!(f, "line {l} is not an interrupt line of this machine (0-{})", platform::machine().irq_lines().min(LINES) - 1),
            IrqError::Busy(l) => write!(f, "line {l} already has a handler"),
            IrqError::NotLatched { line, dim } => {
                let name = platform::machine().irq_state().names[0];
                write!(f, "{name} did not keep bit {line} (read back {dim:#018x})")
            }
        }
    }
}

/// Installs `handler` for interrupt `line` and unmasks the line.
pub fn enable(line: u32, handler: Handler) -> Result<(), IrqError> {
    if line as usize >= LINES.min(platform::machine().irq_lines()) {
        return Err(IrqError::BadLine(line));
    }
    let slot = &HANDLERS[line as usize];
    if slot.compare_exchange(0, handler as usize, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(IrqError::Busy(line));
    }
    let dim = update_mask(|d| d | 1 << line);
    if dim & (1 << line) == 0 {
        slot.store(0, Ordering::Release);
        return Err(IrqError::NotLatched { line, dim });
    }
    Ok(())
}

/// Masks `line` and removes its handler.
pub fn disable(line: u32) {
    if line as usize >= LINES {
        return;
    }
    update_mask(|d| d & !(1 << line));
    HANDLERS[line as usize].store(0, Ordering::Release);
}

/// Counters since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqStats {
    /// Clock interrupts.
    pub ticks: u64,
    /// Device interrupts dispatched to a handler.
    pub device: u64,
    /// Device interrupts with no line pending (the PALcode normally
    /// filters these) or a vector outside the controller's range.
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

/// The interrupt line of an SCB device vector (`0x800 + (16 + n) * 16`).
pub const fn vector_line(vector: u64) -> Option<u32> {
    if vector < 0x900 || vector % 16 != 0 {
        return None;
    }
    let n = (vector - 0x900) / 16;
    if n < LINES as u64 { Some(n as u32) } else { None }
}

/// Registered with `arch::trap` for `entInt` (see [`init`]); returns false for what the trap
/// code must report (a machine check, an unknown type).
pub fn dispatch(kind: u64, vector: u64) -> bool {
    match kind {
        INT_CLOCK => {
            TICKS.fetch_add(1, Ordering::Relaxed);
            platform::machine().clock_ack();
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
                let m = platform::machine();
                m.set_irq_mask(m.irq_mask() & !(1 << line));
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
        // A machine check (a real host bridge's answer to a DMA through a
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
        // SAFETY: raising the IPL masks interrupts; it cannot let one in.
        Ipl { old: unsafe { arch::swpipl(7) } & 7 }
    }

    /// Lets every interrupt in (IPL 0).
    pub fn lower() -> Ipl {
        // SAFETY: `kernel_main` installs the entry points (`trap::init`) and
        // the dispatcher (`init`) before anything can get here, and handlers
        // take no lock (module text); the guard restores the old IPL.
        Ipl { old: unsafe { arch::swpipl(0) } & 7 }
    }
}

impl Drop for Ipl {
    fn drop(&mut self) {
        // SAFETY: puts back the IPL this guard found (see `raise`/`lower`).
        unsafe { arch::swpipl(self.old) };
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

/// The clock interrupt's nominal rate (the machine's).
pub fn clock_hz() -> u64 {
    platform::machine().clock_hz()
}

/// Starts the machine's periodic clock interrupt at [`clock_hz`]; returns
/// the firmware's clock registers (for the log). The interrupt arrives only
/// while the IPL is below 5.
pub fn start_clock() -> (u8, u8) {
    let _masked = Ipl::raise();
    platform::machine().clock_start()
}

/// Stops the periodic clock interrupt.
pub fn stop_clock() {
    let _masked = Ipl::raise();
    platform::machine().clock_stop();
}

#[allow(dead_code)]
const _: () = {
    assert!(matches!(vector_line(0x900), Some(0)));
    assert!(matches!(vector_line(0x800 + (16 + 12) * 16), Some(12)));
    assert!(vector_line(0x8f0).is_none());
};
