//! The MC146818-compatible RTC on the ISA bridge: index port 0x70, data
//! port 0x71. Its periodic interrupt is what the Tsunami turns into the
//! CPU's interval timer interrupt (the Cchip's IIC/MISC.ITI; the PALcode
//! acknowledges it and enters `entInt` with type 1). The firmware may
//! leave it off (QEMU's PALcode does), so the kernel sets it up.

use crate::arch::{mmio, phys_to_kseg};

const INDEX: u64 = 0x70;
const DATA: u64 = 0x71;
/// Register A: divider and rate select.
const REG_A: u8 = 0x0a;
/// Register B: PIE (periodic interrupt enable) is bit 6.
const REG_B: u8 = 0x0b;
/// Register C: interrupt flags, cleared by reading.
const REG_C: u8 = 0x0c;
const PIE: u8 = 1 << 6;
/// Divider 010 (32.768 kHz time base), rate 0110: 1024 Hz.
const RATE_1024HZ: u8 = 0x26;
/// The periodic interrupt's rate.
pub const HZ: u64 = 1024;

fn read(io: u64, reg: u8) -> u8 {
    // SAFETY: ISA ports 0x70/0x71 in the machine's PCI I/O space.
    unsafe {
        mmio::write8(phys_to_kseg(io + INDEX), reg);
        mmio::read8(phys_to_kseg(io + DATA))
    }
}

fn write(io: u64, reg: u8, v: u8) {
    // SAFETY: as in `read`.
    unsafe {
        mmio::write8(phys_to_kseg(io + INDEX), reg);
        mmio::write8(phys_to_kseg(io + DATA), v);
    }
}

/// Starts the periodic interrupt at [`HZ`]; returns registers A and B as
/// the firmware left them. Call with interrupts masked.
pub fn start(io: u64) -> (u8, u8) {
    let (a, b) = (read(io, REG_A), read(io, REG_B));
    if a & 0x7f != RATE_1024HZ {
        write(io, REG_A, RATE_1024HZ);
    }
    write(io, REG_B, b | PIE);
    let _ = read(io, REG_C);
    (a, b)
}

/// Stops the periodic interrupt. Call with interrupts masked.
pub fn stop(io: u64) {
    let b = read(io, REG_B);
    write(io, REG_B, b & !PIE);
    let _ = read(io, REG_C);
}

/// Register C must be read for the next periodic interrupt on real
/// hardware (QEMU's does not wait for it).
pub fn ack(io: u64) {
    let _ = read(io, REG_C);
}
