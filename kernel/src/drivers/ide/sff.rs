//! A generic SFF-8038i channel: the ATA command block (eight byte
//! registers, the 16-bit data register at offset 0), the control block
//! (alternate status / device control) and the channel's eight bytes of
//! the bus-master block: BMIC (command: start, direction), BMIS (status:
//! active, error, interrupt, drive DMA-capable bits) and BMIDTP (the PRD
//! table's bus address). Every access goes through `arch::mmio` at the
//! KSEG address of the port (PCI I/O space, byte and word accesses).

use crate::arch::mmio;

/// Command block register offsets (the data register is 16 bits at 0).
pub mod reg {
    use ::ata::taskfile::Reg;
    pub const DATA: u64 = 0;
    /// Read: error (write: features).
    pub const ERROR: u64 = Reg::Features.offset();
    pub const COUNT: u64 = Reg::SectorCount.offset();
    pub const LBA_LOW: u64 = Reg::LbaLow.offset();
    pub const LBA_MID: u64 = Reg::LbaMid.offset();
    pub const LBA_HIGH: u64 = Reg::LbaHigh.offset();
    pub const DEVICE: u64 = Reg::Device.offset();
    /// Read: status (clears the drive's interrupt); write: command.
    pub const STATUS: u64 = Reg::Command.offset();
}

/// ATA status bits.
pub use ::ata::status as st;

/// Device control bits (control block, offset 2 of the native-mode
/// control BAR, port 0x3f6/0x376 in compatibility mode).
pub mod ctl {
    /// Interrupts off (the drive does not assert INTRQ).
    pub const NIEN: u8 = 0x02;
    /// Software reset of both devices on the channel.
    pub const SRST: u8 = 0x04;
}

/// Bus-master registers (offsets in the channel's 8 bytes) and bits.
pub mod bm {
    pub use ::ata::prd::bm::{
        CMD_START as START, CMD_WRITE_MEMORY as TO_MEMORY, COMMAND as BMIC, STATUS as BMIS, STATUS_ACTIVE as ACTIVE,
        STATUS_DRV0_DMA as DRV0_DMA, STATUS_DRV1_DMA as DRV1_DMA, STATUS_ERROR as ERROR, STATUS_INTR as INTR, TABLE as BMIDTP,
    };
}

/// One channel's registers through KSEG.
#[derive(Clone, Copy, Debug)]
pub struct Channel {
    /// Command block base.
    pub cmd: u64,
    /// Control block base (the register is at +2).
    pub ctl: u64,
    /// The channel's bus-master registers (`None`: PIO only).
    pub bm: Option<u64>,
}

impl Channel {
    pub fn read(&self, r: u64) -> u8 {
        // SAFETY: `cmd` is the KSEG address of the channel's 8-byte command
        // block in PCI I/O space (decode enabled at probe); `r` < 8.
        unsafe { mmio::read8(self.cmd + r) }
    }

    pub fn write(&self, r: u64, v: u8) {
        // SAFETY: as in `read`.
        unsafe { mmio::write8(self.cmd + r, v) }
    }

    pub fn read_data(&self) -> u16 {
        // SAFETY: as in `read`; the data register is 16 bits wide at 0.
        unsafe { mmio::read16(self.cmd + reg::DATA) }
    }

    pub fn write_data(&self, v: u16) {
        // SAFETY: as in `read_data`.
        unsafe { mmio::write16(self.cmd + reg::DATA, v) }
    }

    /// Alternate status: the status without clearing the interrupt.
    pub fn alt_status(&self) -> u8 {
        // SAFETY: `ctl` is the KSEG address of the channel's control block
        // (4 bytes, the register at +2), decode enabled at probe.
        unsafe { mmio::read8(self.ctl + 2) }
    }

    pub fn set_control(&self, v: u8) {
        // SAFETY: as in `alt_status`.
        unsafe { mmio::write8(self.ctl + 2, v) }
    }

    /// The status register (reading it acknowledges the drive's interrupt).
    pub fn status(&self) -> u8 {
        self.read(reg::STATUS)
    }

    /// The ~400 ns the drive may take before its status is valid after a
    /// command or a device selection (four alternate status reads).
    pub fn settle(&self) {
        for _ in 0..4 {
            let _ = self.alt_status();
        }
    }

    pub fn bmic(&self) -> u8 {
        self.bm.map_or(0, |b| {
            // SAFETY: `b` is the KSEG address of the channel's 8 bytes of the
            // bus-master block (BAR4), I/O decode enabled at probe.
            unsafe { mmio::read8(b + bm::BMIC) }
        })
    }

    pub fn set_bmic(&self, v: u8) {
        if let Some(b) = self.bm {
            // SAFETY: as in `bmic`.
            unsafe { mmio::write8(b + bm::BMIC, v) }
        }
    }

    pub fn bmis(&self) -> u8 {
        self.bm.map_or(0, |b| {
            // SAFETY: as in `bmic`.
            unsafe { mmio::read8(b + bm::BMIS) }
        })
    }

    /// Writes BMIS: `clear` (ERROR and/or INTR) are write-1-to-clear;
    /// the drive DMA-capable bits are kept as they are.
    pub fn clear_bmis(&self, clear: u8) {
        if let Some(b) = self.bm {
            let keep = self.bmis() & (bm::DRV0_DMA | bm::DRV1_DMA);
            // SAFETY: as in `bmic`.
            unsafe { mmio::write8(b + bm::BMIS, keep | (clear & (bm::ERROR | bm::INTR))) }
        }
    }

    /// Sets the drive DMA-capable bit of `drive` (informational for the
    /// controller, as the firmware would).
    pub fn mark_dma_capable(&self, drive: u8) {
        if let Some(b) = self.bm {
            let v = (self.bmis() & (bm::DRV0_DMA | bm::DRV1_DMA)) | if drive == 0 { bm::DRV0_DMA } else { bm::DRV1_DMA };
            // SAFETY: as in `bmic`.
            unsafe { mmio::write8(b + bm::BMIS, v) }
        }
    }

    pub fn set_prd(&self, bus: u32) {
        if let Some(b) = self.bm {
            // SAFETY: as in `bmic`; BMIDTP is a dword at +4.
            unsafe { mmio::write32(b + bm::BMIDTP, bus) }
        }
    }

    pub fn prd(&self) -> u32 {
        self.bm.map_or(0, |b| {
            // SAFETY: as in `set_prd`.
            unsafe { mmio::read32(b + bm::BMIDTP) }
        })
    }

    /// Stops the engine (BMIC start bit clear, direction kept).
    pub fn stop(&self) {
        let v = self.bmic() & !bm::START;
        self.set_bmic(v);
    }
}
