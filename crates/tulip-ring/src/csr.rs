//! Control and status registers: offsets and bits.
//!
//! CSR0..CSR15 are 32-bit registers 8 bytes apart (BAR offsets
//! 0x00..0x78), in both the I/O BAR (BAR0) and the memory BAR (BAR1).
//! Accesses must be 32-bit ("longword instructions and quadword aligned",
//! Linux); QEMU implements exactly 4-byte accesses.

use crate::flags::BitNames;
use core::fmt;

/// Byte offset of CSR `n` (0..=15).
pub const fn offset(n: usize) -> usize {
    n * 8
}

/// Bus mode.
pub const CSR0: usize = offset(0);
/// Transmit poll demand (any write).
pub const CSR1: usize = offset(1);
/// Receive poll demand (any write).
pub const CSR2: usize = offset(2);
/// Receive list base address.
pub const CSR3: usize = offset(3);
/// Transmit list base address.
pub const CSR4: usize = offset(4);
/// Status (write 1 to clear).
pub const CSR5: usize = offset(5);
/// Operating mode.
pub const CSR6: usize = offset(6);
/// Interrupt enable.
pub const CSR7: usize = offset(7);
/// Missed frames and overflow counter.
pub const CSR8: usize = offset(8);
/// Boot ROM, serial ROM and MII management.
pub const CSR9: usize = offset(9);
/// Boot ROM programming address.
pub const CSR10: usize = offset(10);
/// General-purpose timer.
pub const CSR11: usize = offset(11);
/// SIA status.
pub const CSR12: usize = offset(12);
/// SIA connectivity.
pub const CSR13: usize = offset(13);
/// SIA transmit and receive.
pub const CSR14: usize = offset(14);
/// SIA and general-purpose port.
pub const CSR15: usize = offset(15);
/// Size of the CSR window.
pub const WINDOW_LEN: usize = 0x80;

/// CSR0, bus mode.
pub mod csr0 {
    /// Software reset (the chip resets; wait 50 PCI clocks, Linux waits 100 µs).
    pub const SWR: u32 = 1 << 0;
    /// Bus arbitration (1: round robin).
    pub const BAR: u32 = 1 << 1;
    /// Descriptor skip length shift (longwords between ring descriptors).
    pub const DSL_SHIFT: u32 = 2;
    /// Descriptor skip length mask after shifting.
    pub const DSL_MASK: u32 = 0x1f;
    /// Big/little endian for data buffers.
    pub const BLE: u32 = 1 << 7;
    /// Programmable burst length shift (longwords; 0 unlimited).
    pub const PBL_SHIFT: u32 = 8;
    /// Programmable burst length mask after shifting.
    pub const PBL_MASK: u32 = 0x3f;
    /// Cache alignment shift (0 none, 1: 8, 2: 16, 3: 32 longwords).
    pub const CAL_SHIFT: u32 = 14;
    /// Cache alignment mask after shifting.
    pub const CAL_MASK: u32 = 3;
    /// Transmit automatic polling shift (0 off).
    pub const TAP_SHIFT: u32 = 17;
    /// Transmit automatic polling mask after shifting.
    pub const TAP_MASK: u32 = 7;
    /// Descriptor byte ordering (1: big-endian descriptors).
    pub const DBO: u32 = 1 << 20;
    /// Read multiple enable.
    pub const RME: u32 = 1 << 21;
    /// Read line enable.
    pub const RLE: u32 = 1 << 23;
    /// Write and invalidate enable.
    pub const WIE: u32 = 1 << 24;
    /// What Linux programs on Alpha (`csr0 = 0x01A00000 | 0xE000`): WIE,
    /// RLE, RME, 32-longword cache alignment and bursts, little-endian
    /// descriptors and buffers, descriptor skip length 0.
    pub const LINUX_ALPHA: u32 = WIE | RLE | RME | 3 << CAL_SHIFT | 0x20 << PBL_SHIFT;
}

/// CSR5 (status; write 1 to clear the interrupt bits) and CSR7 (interrupt
/// enable: the same bit positions for the interrupt bits).
pub mod csr5 {
    /// Transmit interrupt (a frame with IC completed).
    pub const TI: u32 = 1 << 0;
    /// Transmit process stopped.
    pub const TPS: u32 = 1 << 1;
    /// Transmit buffer unavailable (the next descriptor is not owned; the
    /// transmit process suspends until a poll demand).
    pub const TU: u32 = 1 << 2;
    /// Transmit jabber timeout.
    pub const TJT: u32 = 1 << 3;
    /// Link pass / autonegotiation complete.
    pub const LNP_ANC: u32 = 1 << 4;
    /// Transmit underflow.
    pub const UNF: u32 = 1 << 5;
    /// Receive interrupt (a frame was received).
    pub const RI: u32 = 1 << 6;
    /// Receive buffer unavailable (the next descriptor is not owned).
    pub const RU: u32 = 1 << 7;
    /// Receive process stopped.
    pub const RPS: u32 = 1 << 8;
    /// Receive watchdog timeout.
    pub const RWT: u32 = 1 << 9;
    /// Early transmit interrupt.
    pub const ETI: u32 = 1 << 10;
    /// General-purpose timer expired.
    pub const GTE: u32 = 1 << 11;
    /// Link fail.
    pub const LNF: u32 = 1 << 12;
    /// Fatal bus error (a PCI master or target abort, or parity error, on
    /// the chip's own DMA; [`EB_SHIFT`] says which). The chip stops.
    pub const FBE: u32 = 1 << 13;
    /// Early receive interrupt.
    pub const ERI: u32 = 1 << 14;
    /// Abnormal interrupt summary.
    pub const AIS: u32 = 1 << 15;
    /// Normal interrupt summary.
    pub const NIS: u32 = 1 << 16;
    /// Receive process state shift.
    pub const RS_SHIFT: u32 = 17;
    /// Receive process state mask after shifting.
    pub const RS_MASK: u32 = 7;
    /// Transmit process state shift.
    pub const TS_SHIFT: u32 = 20;
    /// Transmit process state mask after shifting.
    pub const TS_MASK: u32 = 7;
    /// Error bits shift (with FBE: 0 parity, 1 master abort, 2 target abort).
    pub const EB_SHIFT: u32 = 23;
    /// Error bits mask after shifting.
    pub const EB_MASK: u32 = 7;
    /// General-purpose port interrupt.
    pub const GPI: u32 = 1 << 26;
    /// Link changed.
    pub const LC: u32 = 1 << 27;
    /// Every write-1-to-clear bit.
    pub const CLEAR_ALL: u32 =
        TI | TPS | TU | TJT | LNP_ANC | UNF | RI | RU | RPS | RWT | ETI | GTE | LNF | FBE | ERI | AIS | NIS | GPI | LC;
}

/// CSR6, operating mode.
pub mod csr6 {
    /// Hash/perfect receive filtering mode.
    pub const HP: u32 = 1 << 0;
    /// Start/stop receive.
    pub const SR: u32 = 1 << 1;
    /// Hash-only filtering.
    pub const HO: u32 = 1 << 2;
    /// Pass bad frames.
    pub const PB: u32 = 1 << 3;
    /// Inverse filtering.
    pub const IF: u32 = 1 << 4;
    /// Start/stop backoff counter.
    pub const SB: u32 = 1 << 5;
    /// Promiscuous mode (set after reset).
    pub const PR: u32 = 1 << 6;
    /// Pass all multicast.
    pub const PM: u32 = 1 << 7;
    /// Full duplex.
    pub const FD: u32 = 1 << 9;
    /// Operating mode shift.
    pub const OM_SHIFT: u32 = 10;
    /// Operating mode mask after shifting.
    pub const OM_MASK: u32 = 3;
    /// Operating mode: normal.
    pub const OM_NORMAL: u32 = 0 << OM_SHIFT;
    /// Operating mode: internal (FIFO) loopback.
    pub const OM_INTERNAL_LOOPBACK: u32 = 1 << OM_SHIFT;
    /// Operating mode: external loopback.
    pub const OM_EXTERNAL_LOOPBACK: u32 = 2 << OM_SHIFT;
    /// Force collision mode (loopback testing).
    pub const FC: u32 = 1 << 12;
    /// Start/stop transmission.
    pub const ST: u32 = 1 << 13;
    /// Threshold control shift.
    pub const TR_SHIFT: u32 = 14;
    /// Threshold control mask after shifting.
    pub const TR_MASK: u32 = 3;
    /// Capture effect enable.
    pub const CA: u32 = 1 << 17;
    /// Port select (1: MII/SYM).
    pub const PS: u32 = 1 << 18;
    /// Heartbeat disable.
    pub const HBD: u32 = 1 << 19;
    /// Store and forward (transmit starts once the whole frame is in the FIFO).
    pub const SF: u32 = 1 << 21;
    /// Transmit threshold mode.
    pub const TTM: u32 = 1 << 22;
    /// PCS function.
    pub const PCS: u32 = 1 << 23;
    /// Scrambler mode.
    pub const SCR: u32 = 1 << 24;
    /// Must be one (21143).
    pub const MBO: u32 = 1 << 25;
    /// Receive all.
    pub const RA: u32 = 1 << 30;
    /// Special capture effect enable.
    pub const SC: u32 = 1 << 31;
    /// Value after reset (21143 data sheet; QEMU's too).
    pub const RESET_VALUE: u32 = 0x3200_0040;
}

/// The receive process state (CSR5 RS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxState {
    /// Reset or stopped.
    Stopped,
    /// Fetching a receive descriptor.
    Fetching,
    /// Checking for the end of a frame.
    CheckingEnd,
    /// Waiting for a frame.
    Waiting,
    /// Suspended: no descriptor owned.
    Suspended,
    /// Closing a descriptor.
    Closing,
    /// Flushing the frame (no buffer).
    Flushing,
    /// Moving a frame to memory.
    Queuing,
}

/// The transmit process state (CSR5 TS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    /// Reset or stopped.
    Stopped,
    /// Fetching a transmit descriptor.
    Fetching,
    /// Waiting for the end of transmission.
    WaitingEnd,
    /// Reading a buffer into the FIFO.
    Reading,
    /// Reserved state 4.
    Reserved,
    /// Processing a setup frame.
    Setup,
    /// Suspended: no descriptor owned (or underflow).
    Suspended,
    /// Closing a descriptor.
    Closing,
}

/// The receive process state in a CSR5 value.
pub const fn rx_state(csr5_value: u32) -> RxState {
    match (csr5_value >> csr5::RS_SHIFT) & csr5::RS_MASK {
        0 => RxState::Stopped,
        1 => RxState::Fetching,
        2 => RxState::CheckingEnd,
        3 => RxState::Waiting,
        4 => RxState::Suspended,
        5 => RxState::Closing,
        6 => RxState::Flushing,
        _ => RxState::Queuing,
    }
}

/// The transmit process state in a CSR5 value.
pub const fn tx_state(csr5_value: u32) -> TxState {
    match (csr5_value >> csr5::TS_SHIFT) & csr5::TS_MASK {
        0 => TxState::Stopped,
        1 => TxState::Fetching,
        2 => TxState::WaitingEnd,
        3 => TxState::Reading,
        4 => TxState::Reserved,
        5 => TxState::Setup,
        6 => TxState::Suspended,
        _ => TxState::Closing,
    }
}

/// A CSR5 value for messages: `0x... [RI TU] rx Waiting tx Suspended`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Csr5(pub u32);

/// CSR5's status bits with their names (the 21143 manual's), in bit order.
pub const CSR5_NAMES: [(u32, &str); 19] = [
    (csr5::TI, "TI"),
    (csr5::TPS, "TPS"),
    (csr5::TU, "TU"),
    (csr5::TJT, "TJT"),
    (csr5::LNP_ANC, "LNP"),
    (csr5::UNF, "UNF"),
    (csr5::RI, "RI"),
    (csr5::RU, "RU"),
    (csr5::RPS, "RPS"),
    (csr5::RWT, "RWT"),
    (csr5::ETI, "ETI"),
    (csr5::GTE, "GTE"),
    (csr5::LNF, "LNF"),
    (csr5::FBE, "FBE"),
    (csr5::ERI, "ERI"),
    (csr5::AIS, "AIS"),
    (csr5::NIS, "NIS"),
    (csr5::GPI, "GPI"),
    (csr5::LC, "LC"),
];

impl fmt::Display for Csr5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = BitNames { bits: self.0, table: &CSR5_NAMES, empty: "" };
        write!(f, "{:#010x} [{names}] rx {:?} tx {:?}", self.0, rx_state(self.0), tx_state(self.0))?;
        if self.0 & csr5::FBE != 0 {
            let eb = (self.0 >> csr5::EB_SHIFT) & csr5::EB_MASK;
            let what = match eb {
                0 => "parity error",
                1 => "master abort",
                2 => "target abort",
                _ => "reserved",
            };
            write!(f, " bus error {eb} ({what})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Csr5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Csr5({self})")
    }
}
