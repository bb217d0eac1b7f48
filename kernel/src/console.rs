//! The serial console: COM1, a 16550 UART on the ISA bus behind the
//! machine's PCI I/O space ([`platform::BOOT_CONSOLE_IO`]), written in the style of the
//! `uart_16550` crate. Register accesses go through `arch::mmio` (single
//! `ldbu`/`stb` instructions with I/O barriers) rather than the `volatile`
//! crate: the GCC backend was seen folding a volatile read into a preceding
//! volatile write to the same register (see `boot/io.s`).

use crate::arch::{mmio, phys_to_kseg};
use crate::platform;
use core::fmt;
use spin::{Mutex, MutexGuard};
/// COM1's ISA port.
pub const COM1_PORT: u64 = 0x3f8;

/// Register offsets (DLAB=0 unless noted).
mod reg {
    pub const DATA: u64 = 0; // RBR / THR; DLL with DLAB=1
    pub const IER: u64 = 1; // DLM with DLAB=1
    pub const FCR: u64 = 2;
    pub const LCR: u64 = 3;
    pub const MCR: u64 = 4;
    pub const LSR: u64 = 5;
    pub const SCR: u64 = 7;
}
const LSR_DATA_READY: u8 = 1 << 0;
const LSR_THR_EMPTY: u8 = 1 << 5;
const LSR_TX_IDLE: u8 = 1 << 6; // THR and the shift register empty
const LCR_DLAB: u8 = 0x80;
const LCR_8N1: u8 = 0x03;
/// The divisor for 9600 baud (1.8432 MHz / 16 / 9600): SRM's default
/// console speed, used when the firmware left no divisor.
const DIVISOR_9600: u16 = 12;
/// Bound on the busy-wait for the transmitter: a UART that never drains
/// must not hang the kernel silently; the character is dropped instead.
const TX_SPIN_LIMIT: u32 = 1_000_000;

/// A 16550 UART whose registers are byte-wide and memory-mapped.
pub struct Uart16550 {
    base: u64,
    dropped: u64,
}

impl Uart16550 {
    /// # Safety
    /// `base` must be the KSEG address of a 16550's register block.
    pub const unsafe fn new(base: u64) -> Self {
        Uart16550 { base, dropped: 0 }
    }

    fn read(&self, off: u64) -> u8 {
        // SAFETY: the constructor's contract: base..base+8 are UART registers.
        unsafe { mmio::read8(self.base + off) }
    }

    fn write(&self, off: u64, v: u8) {
        // SAFETY: as for `read`.
        unsafe { mmio::write8(self.base + off, v) }
    }

    /// The divisor latch (DLM:DLL), read with DLAB set.
    fn divisor(&self) -> u16 {
        self.write(reg::LCR, LCR_DLAB);
        let d = u16::from(self.read(reg::IER)) << 8 | u16::from(self.read(reg::DATA));
        self.write(reg::LCR, LCR_8N1);
        d
    }

    fn set_divisor(&mut self, d: u16) {
        self.write(reg::LCR, LCR_DLAB);
        self.write(reg::DATA, d as u8);
        self.write(reg::IER, (d >> 8) as u8);
        self.write(reg::LCR, LCR_8N1);
    }

    /// 8N1, FIFOs on, interrupts off, at the speed the firmware left in the
    /// divisor latch (SRM runs COM1 at its `com1_baud` setting, commonly
    /// 9600; a terminal set to that must keep working), or 9600 baud if the
    /// latch reads 0. Says what it found and whether a UART answered.
    pub fn init(&mut self) -> UartInit {
        self.write(reg::IER, 0x00);
        let found = self.divisor();
        let divisor = if found == 0 { DIVISOR_9600 } else { found };
        self.set_divisor(divisor); // also leaves DLAB clear and 8N1
        self.write(reg::IER, 0x00);
        self.write(reg::FCR, 0xc7); // enable + clear FIFOs, 14-byte threshold
        self.write(reg::MCR, 0x0b); // DTR, RTS, OUT2
        self.write(reg::SCR, 0x5a);
        UartInit { present: self.read(reg::SCR) == 0x5a, found, divisor }
    }

    /// Changes the speed once everything queued has left the UART (bounded
    /// wait), so that no character goes out half at each rate.
    pub fn change_divisor(&mut self, d: u16) {
        let mut spins = 0;
        while self.read(reg::LSR) & LSR_TX_IDLE == 0 && spins < TX_SPIN_LIMIT {
            spins += 1;
            core::hint::spin_loop();
        }
        self.set_divisor(d);
    }

    pub fn send(&mut self, byte: u8) {
        let mut spins = 0;
        while self.read(reg::LSR) & LSR_THR_EMPTY == 0 {
            spins += 1;
            if spins == TX_SPIN_LIMIT {
                self.dropped += 1;
                return;
            }
            core::hint::spin_loop();
        }
        self.write(reg::DATA, byte);
    }

    /// One received byte, if the receiver has one (LSR's data-ready bit);
    /// never waits.
    pub fn try_recv(&mut self) -> Option<u8> {
        if self.read(reg::LSR) & LSR_DATA_READY == 0 {
            return None;
        }
        Some(self.read(reg::DATA))
    }

    /// Characters dropped because the transmitter never became ready.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl fmt::Write for Uart16550 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.send(b'\r');
            }
            self.send(b);
        }
        Ok(())
    }
}

/// What [`init`] found and did.
#[derive(Clone, Copy, Debug)]
pub struct UartInit {
    /// The scratch register answered (a UART is present).
    pub present: bool,
    /// The divisor latch as the firmware left it (0: none set).
    pub found: u16,
    /// The divisor the console runs with.
    pub divisor: u16,
}

/// Baud rate of a divisor with the 16550's 1.8432 MHz clock.
fn baud(divisor: u16) -> u32 {
    115_200 / u32::from(divisor.max(1))
}

static CONSOLE: Mutex<Uart16550> =
    // SAFETY: COM1's registers in the boot machine's PCI I/O space, used
    // only through this mutex.
    Mutex::new(unsafe { Uart16550::new(phys_to_kseg(platform::BOOT_CONSOLE_IO + COM1_PORT)) });

/// Programs COM1, keeping the firmware's speed (see [`Uart16550::init`]).
pub fn init() -> UartInit {
    CONSOLE.lock().init()
}

/// Once the command line is known: logs the speed and why, and applies a
/// valid `console_baud=` (`requested`); `refused` says a `console_baud=`
/// was given but malformed (already reported), so the speed stays.
pub fn configure_speed(init: UartInit, requested: Option<u32>, refused: bool) {
    let now = baud(init.divisor);
    let why = match (init.found, refused) {
        (0, _) => "the firmware left divisor 0, so SRM's default",
        (_, false) => "as the firmware left it",
        (_, true) => "as the firmware left it; console_baud= ignored",
    };
    let Some(want) = requested else {
        return log::info!("console: COM1 at {now} baud (divisor {}, {why})", init.divisor);
    };
    let Some(d) = bootparam::uart_divisor(want) else {
        // EarlyParams only keeps valid speeds.
        return log::warn!("console: console_baud={want} has no divisor; staying at {now} baud");
    };
    if d == init.divisor {
        return log::info!("console: COM1 at {now} baud (divisor {d}, console_baud={want}: {why} already)");
    }
    log::info!(
        "console: COM1 switching from {now} baud (divisor {}, {why}) to {want} baud (divisor {d}, console_baud={want}); set the terminal to {want}",
        init.divisor
    );
    CONSOLE.lock().change_divisor(d);
    log::info!("console: COM1 now at {want} baud (divisor {d}, console_baud={want})");
}

/// One byte typed on the console, if one has arrived (non-blocking).
pub fn try_read() -> Option<u8> {
    CONSOLE.lock().try_recv()
}

/// The console, locked.
pub fn lock() -> MutexGuard<'static, Uart16550> {
    CONSOLE.lock()
}

/// The console for trap and panic reports: takes the lock even if the
/// code that was interrupted held it (the CPU halts afterwards anyway).
pub fn emergency() -> MutexGuard<'static, Uart16550> {
    if CONSOLE.is_locked() {
        // SAFETY: single CPU, called only on the way to a halt.
        unsafe { CONSOLE.force_unlock() };
    }
    CONSOLE.lock()
}

/// The trap code's report sink (see `arch::trap::init`): writes through
/// [`emergency`].
pub fn emergency_print(args: fmt::Arguments) {
    use fmt::Write;
    let _ = emergency().write_fmt(args);
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    use fmt::Write;
    let _ = CONSOLE.lock().write_fmt(args);
}

/// Prints to the console (no log prefix).
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints a line to the console (no log prefix).
#[macro_export]
macro_rules! kprintln {
    () => ($crate::kprint!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}
