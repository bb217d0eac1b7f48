//! The Tsunami family's boards as Linux tells them apart (`setup.c`'s
//! `tsunami_vecs[]`, `sys_dp264.c`): which machine vector each member id
//! (`sys_variation` bits <15:10>) gets, and the PCI interrupt routing of
//! the boards whose tables the kernel carries. Pure data and functions, so
//! that the host tests check them; the kernel's `platform::tsunami` builds
//! its machine vectors on them.

/// Linux's machine vectors for the Tsunami family (`*_mv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TsunamiVector {
    /// `dp264_mv`: DP264, Warhol, Windjammer, Goldrush (DS20), Catamaran.
    Dp264,
    /// `monet_mv`.
    Monet,
    /// `clipper_mv`: Clipper (ES40; QEMU's `-M clipper`).
    Clipper,
    /// `webbrick_mv`: Webbrick (DS10, DS10L).
    Webbrick,
    /// `shark_mv`.
    Shark,
}

/// The vector Linux picks for a Tsunami member id; `None` where Linux has
/// none either (member 0, Brisbane, Melbourne, Flying Clipper, 13 and up).
pub const fn tsunami_vector(member: u64) -> Option<TsunamiVector> {
    match member {
        1 | 2 | 3 | 6 | 8 => Some(TsunamiVector::Dp264),
        4 => Some(TsunamiVector::Monet),
        5 => Some(TsunamiVector::Clipper),
        7 => Some(TsunamiVector::Webbrick),
        12 => Some(TsunamiVector::Shark),
        _ => None,
    }
}

/// Clipper: the Cchip line of PCI device `slot` (IdSel), pin `pin`
/// (1 = INTA), bus 0 of Pchip 0. Slots 1-6, four lines each from line 8
/// (Linux's `clipper_map_irq` table minus 16, its IRQ offset).
pub const fn clipper_pci_line(slot: u8, pin: u8) -> Option<u32> {
    if pin < 1 || pin > 4 || slot < 1 || slot > 6 {
        return None;
    }
    Some(8 + (slot as u32 - 1) * 4 + (pin as u32 - 1))
}

/// Webbrick: the two 21143s at IdSel 9 and 11 have one line each (13, 14);
/// the four PCI slots (IdSel 14-17) count down from 19, 23, 27, 31 (Linux's
/// `webbrick_map_irq` table minus 16).
pub const fn webbrick_pci_line(slot: u8, pin: u8) -> Option<u32> {
    if pin < 1 || pin > 4 {
        return None;
    }
    match slot {
        9 => Some(13),
        11 => Some(14),
        14..=17 => Some(19 + (slot as u32 - 14) * 4 - (pin as u32 - 1)),
        _ => None,
    }
}
