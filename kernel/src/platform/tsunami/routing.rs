//! PCI interrupt routing of the Tsunami boards this kernel knows: the
//! Cchip line of PCI device `slot` (IdSel), interrupt pin `pin` (1 = INTA),
//! on bus 0 of the first Pchip. From the boards' routing (Linux's
//! `clipper_map_irq` and `webbrick_map_irq` tables, minus 16: Linux's IRQ
//! number is 16 + line).

/// Clipper (ES40 and QEMU's `-M clipper`): slots 1-6, 4 lines each from
/// line 8 (INTA of slot 1). Verified under QEMU.
pub fn clipper(slot: u8, pin: u8) -> Option<u32> {
    if !(1..=4).contains(&pin) {
        return None;
    }
    let p = (pin - 1) as u32;
    (1..=6).contains(&slot).then(|| 8 + (slot as u32 - 1) * 4 + p)
}

/// Webbrick (DS10, DS10L): the two 21143s at IdSel 9 and 11 have one line
/// each; the four PCI slots (IdSel 14-17) count down. Only a DS10 can
/// confirm it.
pub fn webbrick(slot: u8, pin: u8) -> Option<u32> {
    if !(1..=4).contains(&pin) {
        return None;
    }
    let p = (pin - 1) as u32;
    match slot {
        9 => Some(13),
        11 => Some(14),
        14..=17 => Some(19 + (slot as u32 - 14) * 4 - p),
        _ => None,
    }
}
