//! The Cchip's device interrupt registers (CPU 0): DIM0 (mask), DIR0
//! (masked requests) and DRIR (raw requests), one bit per interrupt line.
//! The CSRs are 64 bits wide and accept only 8-byte accesses.
//!
//! A PCI device's INTx reaches the Cchip as line *n* (the board's routing,
//! [`super::routing`]); the Cchip latches it in DRIR bit *n*; if DIM0 bit
//! *n* is set, DIR0 bit *n* is set and the CPU sees a device interrupt.
//! The OSF/1 PALcode (QEMU's `palcode-clipper`, SRM's) reads DIR0, takes
//! the lowest set bit and enters `entInt` with SCB vector
//! `0x800 + (16 + n) * 16`.

use super::CCHIP_CSR_PHYS;
use crate::arch::{mmio, phys_to_kseg};
use crate::platform::IrqState;

const DIM0: u64 = 0x200;
const DIR0: u64 = 0x280;
const DRIR: u64 = 0x300;

/// Interrupt lines (DIM/DIR bits).
pub const LINES: usize = 64;

fn read(off: u64) -> u64 {
    // SAFETY: an 8-byte access to a Cchip CSR (they accept only those).
    unsafe { mmio::read64(phys_to_kseg(CCHIP_CSR_PHYS + off)) }
}

fn write(off: u64, v: u64) {
    // SAFETY: as in `read`.
    unsafe { mmio::write64(phys_to_kseg(CCHIP_CSR_PHYS + off), v) }
}

pub fn dim0() -> u64 {
    read(DIM0)
}

pub fn set_dim0(v: u64) {
    write(DIM0, v)
}

pub fn state() -> IrqState {
    IrqState { mask: read(DIM0), pending: read(DIR0), raw: read(DRIR), names: ["DIM0", "DIR0", "DRIR"] }
}
