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

/// Busy-waits `us` microseconds on the cycle counter (a bounded spin when
/// the frequency is not known yet). For short device delays: a reset
/// pulse, a settling time.
pub fn delay_us(us: u64) {
    let f = freq();
    if f == 0 {
        for _ in 0..us * 100 {
            core::hint::spin_loop();
        }
        return;
    }
    let start = cycles();
    let n = us * f / 1_000_000;
    while cycles() - start < n {
        core::hint::spin_loop();
    }
}

/// Polls `done` until it holds or `us` microseconds pass; true if it held
/// (it is asked once more at the deadline). Without a known frequency the
/// polls are bounded instead (ten per microsecond asked).
pub fn wait_for(us: u64, mut done: impl FnMut() -> bool) -> bool {
    let f = freq();
    let start = cycles();
    let limit = us * f / 1_000_000;
    let mut polls: u64 = 0;
    loop {
        if done() {
            return true;
        }
        polls += 1;
        // Without a known frequency, bound the polls instead.
        let expired = if f == 0 { polls > us * 10 } else { cycles() - start > limit };
        if expired {
            return done();
        }
        core::hint::spin_loop();
    }
}

/// Milliseconds since `start`, a value of [`cycles`] (0 while the
/// frequency is not known).
pub fn ms_since(start: u64) -> u64 {
    let f = freq();
    if f == 0 { 0 } else { (cycles() - start) * 1000 / f }
}
