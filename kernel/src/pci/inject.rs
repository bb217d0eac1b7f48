//! `pci_inject=BDF:FAULT[,BDF:FAULT...]`: odd configuration-space answers
//! for the tests, which QEMU's devices never give. Each fault changes what
//! one function's registers read during the bus scan (and only then):
//!
//! * `id-invalid`: the vendor/device ID reads vendor 0xffff with the real
//!   device ID;
//! * `header-ones`: the header type reads 0xff;
//! * `vanish`: the function stops answering (everything reads all ones,
//!   writes are dropped) from the moment all ones are written into BAR0;
//! * `barN-ones`: BAR N reads all ones, writes dropped (a dead register);
//! * `barN-zero`: BAR N has no writable address bit: it reads its type
//!   bits only (I/O: 0x1; memory: 0x8, prefetchable), writes dropped;
//! * `barN-huge`: BAR N sizes past the host bridge's window: an I/O BAR reads
//!   back 0xfc000001 (64 MiB, the window has 32 MiB), a memory BAR claims
//!   64 bits and its upper half (BAR N+1) reads back 0xfffffffe (8 GiB);
//! * `barN-at=ADDR`: BAR N holds ADDR (its type bits kept) but sizes as
//!   it really does (to make two BARs overlap).
//!
//! The device's real registers are never left changed: what the sizing
//! writes back is the real value.

use super::{Bdf, Conf};
use alloc::vec::Vec;
use log::warn;
use pci_config::ConfigSpace;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    IdInvalid,
    HeaderOnes,
    Vanish,
    BarOnes(u8),
    BarZero(u8),
    BarHuge(u8),
    BarAt(u8, u32),
}

fn parse_bdf(s: &str) -> Option<Bdf> {
    let (bus, rest) = s.split_once(':')?;
    let (dev, func) = rest.split_once('.')?;
    let bus = u8::from_str_radix(bus, 16).ok()?;
    let dev = u8::from_str_radix(dev, 16).ok().filter(|d| *d < 32)?;
    let func = func.parse::<u8>().ok().filter(|f| *f < 8)?;
    Some(Bdf { bus, dev, func })
}

fn parse_num(s: &str) -> Option<u32> {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_fault(s: &str) -> Option<Fault> {
    match s {
        "id-invalid" => return Some(Fault::IdInvalid),
        "header-ones" => return Some(Fault::HeaderOnes),
        "vanish" => return Some(Fault::Vanish),
        _ => {}
    }
    let rest = s.strip_prefix("bar")?;
    let n = rest.as_bytes().first()?.wrapping_sub(b'0');
    if n > 5 {
        return None;
    }
    match &rest[1..] {
        "-ones" => Some(Fault::BarOnes(n)),
        "-zero" => Some(Fault::BarZero(n)),
        "-huge" if n < 5 => Some(Fault::BarHuge(n)),
        r => Some(Fault::BarAt(n, parse_num(r.strip_prefix("-at=")?)?)),
    }
}

/// The faults the command line asks for (malformed entries are reported
/// and ignored).
pub fn from_params(params: &bootparam::EarlyParams) -> Vec<(Bdf, Fault)> {
    let Some(v) = params.get("pci_inject") else { return Vec::new() };
    let mut out = Vec::new();
    for item in v.split(',') {
        let parsed = item.rsplit_once(':').and_then(|(b, f)| Some((parse_bdf(b)?, parse_fault(f)?)));
        match parsed {
            Some((bdf, fault)) => {
                warn!("pci_inject: {bdf} will answer oddly ({fault:?}) during the bus scan (a test)");
                out.push((bdf, fault));
            }
            None => warn!(
                "pci_inject: {item:?} ignored: expected BB:DD.F:FAULT, FAULT one of id-invalid, header-ones, vanish, barN-ones, barN-zero, barN-huge, barN-at=ADDR"
            ),
        }
    }
    out
}

/// A function's configuration space with its faults applied.
pub struct Faulty {
    c: Conf,
    faults: Vec<Fault>,
    /// All ones were just written to BAR n (the next read is the sizing's).
    sizing: [bool; 6],
    /// BAR n's real value, saved before the sizing wrote all ones.
    saved: [u32; 6],
    gone: bool,
}

const fn bar(n: u8) -> u8 {
    0x10 + 4 * n
}

fn bar_index(reg: u8) -> Option<usize> {
    (0x10..0x28).contains(&reg).then(|| ((reg - 0x10) / 4) as usize)
}

impl Faulty {
    pub fn new(c: Conf, faults: Vec<Fault>) -> Faulty {
        Faulty { c, faults, sizing: [false; 6], saved: [0; 6], gone: false }
    }

    /// What `fault` makes register `reg` read, if it concerns it.
    fn apply(&mut self, fault: Fault, reg: u8, real: u32, sizing: bool) -> Option<u32> {
        Some(match fault {
            Fault::IdInvalid if reg == 0 => (real & 0xffff_0000) | 0xffff,
            Fault::HeaderOnes if reg == 0x0c => real | 0x00ff_0000,
            Fault::BarOnes(n) if reg == bar(n) => u32::MAX,
            Fault::BarZero(n) if reg == bar(n) => {
                if real & 1 == 1 {
                    0x1
                } else {
                    0x8
                }
            }
            Fault::BarHuge(n) if reg == bar(n) => match (real & 1 == 1, sizing) {
                (true, true) => 0xfc00_0001,
                (true, false) => real,
                (false, true) => 0x4 | (real & 8),
                (false, false) => (real & !6) | 4,
            },
            Fault::BarHuge(n) if reg == bar(n + 1) && self.c.read32(bar(n)) & 1 == 0 => {
                if sizing {
                    0xffff_fffe
                } else {
                    0
                }
            }
            Fault::BarAt(n, a) if reg == bar(n) && !sizing => {
                let flags = if real & 1 == 1 { 3 } else { 0xf };
                (a & !flags) | (real & flags)
            }
            _ => return None,
        })
    }
}

impl ConfigSpace for Faulty {
    fn read32(&mut self, reg: u8) -> u32 {
        if self.gone {
            return u32::MAX;
        }
        let real = self.c.read32(reg);
        let sizing = bar_index(reg).is_some_and(|i| self.sizing[i]);
        for k in 0..self.faults.len() {
            if let Some(v) = self.apply(self.faults[k], reg, real, sizing) {
                return v;
            }
        }
        real
    }

    fn write32(&mut self, reg: u8, v: u32) {
        if self.gone {
            return;
        }
        let Some(i) = bar_index(reg) else {
            return self.c.write32(reg, v);
        };
        if v == u32::MAX {
            self.saved[i] = self.c.read32(reg);
        }
        for &f in &self.faults {
            match f {
                Fault::Vanish if i == 0 && v == u32::MAX => {
                    self.gone = true;
                    return;
                }
                Fault::BarOnes(n) | Fault::BarZero(n) if i == n as usize => return,
                _ => {}
            }
        }
        let sizing = v == u32::MAX;
        let was = core::mem::replace(&mut self.sizing[i], sizing);
        // Put back what the register really held, not what it was made
        // to read.
        self.c.write32(reg, if !sizing && was { self.saved[i] } else { v });
    }

    fn read16(&mut self, reg: u8) -> u16 {
        if self.gone { u16::MAX } else { self.c.read16(reg) }
    }

    fn write16(&mut self, reg: u8, v: u16) {
        if !self.gone {
            self.c.write16(reg, v)
        }
    }

    fn read8(&mut self, reg: u8) -> u8 {
        if self.gone {
            return u8::MAX;
        }
        if reg == 0x0e && self.faults.contains(&Fault::HeaderOnes) {
            return 0xff;
        }
        (self.read32(reg & !3) >> (8 * (reg & 3))) as u8
    }
}
