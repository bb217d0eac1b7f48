//! The Tsunami vectors and routing tables against Linux's `sys_dp264.c`.

use crate::routing::{TsunamiVector as V, clipper_pci_line, tsunami_vector, webbrick_pci_line};

#[test]
fn vectors_as_linux_tsunami_vecs() {
    let want = [None, Some(V::Dp264), Some(V::Dp264), Some(V::Dp264), Some(V::Monet), Some(V::Clipper), Some(V::Dp264), Some(V::Webbrick), Some(V::Dp264), None, None, None, Some(V::Shark), None];
    for (member, w) in want.iter().enumerate() {
        assert_eq!(tsunami_vector(member as u64), *w, "member {member}");
    }
    assert_eq!(tsunami_vector(63), None);
}

#[test]
fn clipper_table() {
    // Linux's clipper irq_tab: slot 1 { 16+8, 16+9, 16+10, 16+11 } ... slot 6 { 16+28 .. 16+31 }.
    for slot in 1..=6u8 {
        for pin in 1..=4u8 {
            assert_eq!(clipper_pci_line(slot, pin), Some(8 + 4 * (slot as u32 - 1) + pin as u32 - 1));
        }
    }
    assert_eq!(clipper_pci_line(1, 1), Some(8)); // QEMU's first NIC slot
    assert_eq!(clipper_pci_line(2, 1), Some(12));
    for (slot, pin) in [(0, 1), (7, 1), (1, 0), (1, 5), (31, 1)] {
        assert_eq!(clipper_pci_line(slot, pin), None, "slot {slot} pin {pin}");
    }
}

#[test]
fn webbrick_table() {
    assert_eq!(webbrick_pci_line(9, 1), Some(13));
    assert_eq!(webbrick_pci_line(11, 1), Some(14));
    // Linux's webbrick irq_tab (min_idsel 7): IdSel 9 { 29, .. }, 11 { 30, .. },
    // 14 { 35, 35, 34, 33, 32 }, 17 { 47, 47, 46, 45, 44 }; minus 16.
    assert_eq!([1, 2, 3, 4].map(|p| webbrick_pci_line(14, p)), [Some(19), Some(18), Some(17), Some(16)]);
    assert_eq!([1, 2, 3, 4].map(|p| webbrick_pci_line(17, p)), [Some(31), Some(30), Some(29), Some(28)]);
    for (slot, pin) in [(10, 1), (12, 1), (13, 1), (18, 1), (14, 0), (14, 5)] {
        assert_eq!(webbrick_pci_line(slot, pin), None, "slot {slot} pin {pin}");
    }
}
