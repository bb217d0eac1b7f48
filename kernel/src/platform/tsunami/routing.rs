//! PCI interrupt routing of the Tsunami boards this kernel knows: the
//! Cchip line of PCI device `slot` (IdSel), interrupt pin `pin` (1 = INTA),
//! on bus 0 of the first Pchip. The tables are `hwrpb::routing`'s (Linux's
//! `clipper_map_irq` and `webbrick_map_irq` minus 16: Linux's IRQ number is
//! 16 + line), host-tested there.

/// Clipper (ES40 and QEMU's `-M clipper`): slots 1-6, 4 lines each from
/// line 8 (INTA of slot 1). Verified under QEMU.
pub fn clipper(slot: u8, pin: u8) -> Option<u32> {
    hwrpb::routing::clipper_pci_line(slot, pin)
}

/// Webbrick (DS10, DS10L): the two 21143s at IdSel 9 and 11 have one line
/// each; the four PCI slots (IdSel 14-17) count down. Only a DS10 can
/// confirm it.
pub fn webbrick(slot: u8, pin: u8) -> Option<u32> {
    hwrpb::routing::webbrick_pci_line(slot, pin)
}
