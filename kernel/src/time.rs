//! Uptime from the RPCC cycle counter, scaled by the HWRPB's `cycle_freq`.
//!
//! RPCC's low 32 bits count cycles and wrap (every ~17 s at QEMU's 250 MHz);
//! the clock extends them to 64 bits on every read, so it stays right as
//! long as it is read at least once per wrap period. Every log line reads
//! it, and the network loop reads it on every wake-up (the clock interrupt,
//! `crate::irq`, wakes it at least every millisecond); code that waits
//! longer without either must read it itself.

use crate::arch::rpcc;
use spin::Mutex;

struct Clock {
    last: u32,
    cycles: u64,
    freq: u64,
}

static CLOCK: Mutex<Clock> = Mutex::new(Clock { last: 0, cycles: 0, freq: 0 });

/// Starts the clock at zero with the given cycle frequency (Hz).
pub fn init(freq: u64) {
    let mut c = CLOCK.lock();
    c.last = rpcc() as u32;
    c.cycles = 0;
    c.freq = freq;
}

/// Cycles since `init`, extended to 64 bits.
pub fn cycles() -> u64 {
    let mut c = CLOCK.lock();
    let now = rpcc() as u32;
    c.cycles += now.wrapping_sub(c.last) as u64;
    c.last = now;
    c.cycles
}

/// The cycle frequency in Hz (0 before `init`).
pub fn freq() -> u64 {
    CLOCK.lock().freq
}

/// Uptime as (seconds, microseconds); (0, 0) before the frequency is known.
pub fn uptime() -> (u64, u32) {
    let cyc = cycles();
    let f = freq();
    if f == 0 {
        return (0, 0);
    }
    let secs = cyc / f;
    let micros = ((cyc % f) as u128 * 1_000_000 / f as u128) as u32;
    (secs, micros)
}
