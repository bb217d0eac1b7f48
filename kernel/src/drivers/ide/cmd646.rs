//! The CMD646 (PCI 1095:0646), QEMU clipper's IDE controller.
//!
//! Facts from QEMU's `hw/ide/cmd646.c` and Linux's `pata_cmd64x.c`:
//!
//! * CNTRL (config 0x51) bit 2 / bit 3 enable channel 0 / 1; QEMU enables
//!   channel 0 only.
//! * The interrupt status of channel 0 is CFR (0x50) bit 2, of channel 1
//!   ARTTIM23 (0x57) bit 4; MRDMODE (0x71) bits 2/3 mirror both, and its
//!   bits 4/5 block each channel's interrupt from the PCI line. All three
//!   interrupt bits are write-1-to-clear through configuration space.
//!   The PCI line (INTA) is asserted while a channel's bit is set and not
//!   blocked. Linux clears CFR/ARTTIM23 after a DMA on the CMD648/649 and
//!   relies on the ATA status read on the 646; clearing it on the 646 as
//!   well is harmless (QEMU mirrors the bits both ways).
//! * Linux unblocks both channels' interrupts at probe (MRDMODE bits 4/5
//!   clear) and sets bit 1 (memory read line); so does this driver.
//! * Revision 1 has DMA quirks Linux treats apart; revisions above 4 do
//!   UDMA. This driver uses whatever mode the drive runs (it programs no
//!   chip timing), which QEMU does not model.

use super::{Chip, ChipDma};
use crate::pci::PciDevice;
use log::info;

const CFR: u8 = 0x50;
const CFR_INTR_CH0: u8 = 0x04;
const CNTRL: u8 = 0x51;
const CNTRL_EN_CH0: u8 = 0x04;
const CNTRL_EN_CH1: u8 = 0x08;
const ARTTIM23: u8 = 0x57;
const ARTTIM23_INTR_CH1: u8 = 0x10;
const MRDMODE: u8 = 0x71;
const MRDMODE_INTR: u8 = 0x0c;
const MRDMODE_BLOCK: u8 = 0x30;
const MRDMODE_READ_LINE: u8 = 0x02;

pub struct Cmd646;

impl Chip for Cmd646 {
    fn name(&self) -> &'static str {
        "CMD646"
    }

    fn init(&self, pci: &PciDevice, unit: &str) -> [Result<(), &'static str>; 2] {
        let mrd = pci.config_read8(MRDMODE);
        // Interrupt bits written as 0: a pending one stays pending.
        pci.config_write8(MRDMODE, (mrd & !(MRDMODE_BLOCK | MRDMODE_INTR)) | MRDMODE_READ_LINE);
        let mut cntrl = pci.config_read8(CNTRL);
        if cntrl & CNTRL_EN_CH0 == 0 {
            pci.config_write8(CNTRL, cntrl | CNTRL_EN_CH0);
            cntrl = pci.config_read8(CNTRL);
            info!("{unit}: CMD646 channel 0 was disabled (CNTRL {cntrl:#04x}); enabled it");
        }
        [
            if cntrl & CNTRL_EN_CH0 != 0 { Ok(()) } else { Err("disabled (CNTRL 0x51 bit 2 does not stay set)") },
            if cntrl & CNTRL_EN_CH1 != 0 { Ok(()) } else { Err("disabled by the firmware (CNTRL 0x51 bit 3 clear)") },
        ]
    }

    fn dma(&self, pci: &PciDevice) -> ChipDma {
        let _ = pci;
        ChipDma { default_on: true, why: "CMD646 bus master", forceable: true, lba48_dma: true, max_sectors: None }
    }

    fn clear_irq(&self, pci: &PciDevice, channel: u8) {
        let (reg, bit) = if channel == 0 { (CFR, CFR_INTR_CH0) } else { (ARTTIM23, ARTTIM23_INTR_CH1) };
        let v = pci.config_read8(reg);
        if v & bit != 0 {
            pci.config_write8(reg, v | bit);
        }
        let mrd = pci.config_read8(MRDMODE);
        let mine = 0x04 << channel;
        if mrd & mine != 0 {
            pci.config_write8(MRDMODE, (mrd & !MRDMODE_INTR) | mine);
        }
    }

    fn irq_status(&self, pci: &PciDevice) -> Option<alloc::string::String> {
        Some(alloc::format!(
            "CFR {:#04x}, ARTTIM23 {:#04x}, MRDMODE {:#04x}",
            pci.config_read8(CFR),
            pci.config_read8(ARTTIM23),
            pci.config_read8(MRDMODE)
        ))
    }
}
