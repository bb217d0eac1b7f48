//! The ALi M5229 (PCI 10b9:5229), the IDE function of the DS10's M1543C
//! southbridge.
//!
//! * DMA is off by default: NetBSD turns it off for the DS10's on-board
//!   ALi IDE as "not working correctly" (`sys/arch/alpha/alpha/dec_6600.c`,
//!   `dec_6600_device_register`); the driver runs PIO and says so.
//!   `ide_dma=on` turns it on.
//! * Revision limits, as Linux's `pata_ali` (`ali_init_one`): below 0x20
//!   there is no DMA at all (`info_early`: PIO only, `ide_dma=on` cannot
//!   change that); below 0xC5, LBA48 commands go by PIO
//!   (`ATA_FLAG_PIO_LBA48`) and a command moves at most 255 sectors
//!   (`ali_lock_sectors`); 0xC5 and later do LBA48 DMA.
//! * Its interrupt status is the SFF one (BMIS); nothing in configuration
//!   space to clear.

use super::{Chip, ChipDma};
use crate::pci::PciDevice;

pub struct AliM5229;

impl Chip for AliM5229 {
    fn name(&self) -> &'static str {
        "ALi M5229"
    }

    fn init(&self, _pci: &PciDevice, _unit: &str) -> [Result<(), &'static str>; 2] {
        [Ok(()), Ok(())]
    }

    fn dma(&self, pci: &PciDevice) -> ChipDma {
        let rev = pci.revision;
        if rev < 0x20 {
            return ChipDma {
                default_on: false,
                why: "ALi M5229 revision below 0x20 has no DMA (pata_ali)",
                forceable: false,
                lba48_dma: false,
                max_sectors: None,
            };
        }
        ChipDma {
            default_on: false,
            why: "ALi M5229: DMA off as NetBSD has it on the DS10 (dec_6600.c: not working correctly); ide_dma=on forces it",
            forceable: true,
            lba48_dma: rev >= 0xc5,
            max_sectors: if rev < 0xc5 { Some(255) } else { None },
        }
    }
}
