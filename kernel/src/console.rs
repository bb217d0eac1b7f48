//! The serial console: COM1, a 16550 UART on the ISA bus behind the
//! Tsunami/Typhoon Pchip's PCI I/O space, written in the style of the
//! `uart_16550` crate. Register accesses go through `arch::mmio` (single
//! `ldbu`/`stb` instructions with I/O barriers) rather than the `volatile`
//! crate: the GCC backend was seen folding a volatile read into a preceding
//! volatile write to the same register (see `boot/io.s`).

use crate::arch::{mmio, phys_to_kseg};
use core::fmt;
use spin::{Mutex, MutexGuard};

/// Physical base of PCI I/O space on Pchip 0 of a Tsunami/Typhoon
/// (Linux: TSUNAMI_IO(0), KSEG 0xfffffd01fc000000).
pub const PCI_IO_PHYS: u64 = 0x801_fc00_0000;
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
const LSR_THR_EMPTY: u8 = 1 << 5;
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

    /// 115200 baud 8N1, FIFOs on, interrupts off. Returns whether the
    /// scratch register answered (a UART is present).
    pub fn init(&mut self) -> bool {
        self.write(reg::IER, 0x00);
        self.write(reg::LCR, 0x80); // DLAB
        self.write(reg::DATA, 0x01); // divisor 1: 115200 baud
        self.write(reg::IER, 0x00);
        self.write(reg::LCR, 0x03); // 8 bits, no parity, 1 stop
        self.write(reg::FCR, 0xc7); // enable + clear FIFOs, 14-byte threshold
        self.write(reg::MCR, 0x0b); // DTR, RTS, OUT2
        self.write(reg::SCR, 0x5a);
        self.read(reg::SCR) == 0x5a
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

static CONSOLE: Mutex<Uart16550> =
    Mutex::new(unsafe { Uart16550::new(phys_to_kseg(PCI_IO_PHYS + COM1_PORT)) });

/// Programs COM1; returns whether it answered.
pub fn init() -> bool {
    CONSOLE.lock().init()
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
