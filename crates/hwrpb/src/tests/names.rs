//! CPU and system names, as Linux's setup.c prints them.

use crate::{
    cpu_type, cpu_type_name, normalize_sys_type, sys_type, system_family_name, system_type_name,
    system_variation_name,
};

#[test]
fn cpu_names() {
    assert_eq!(cpu_type_name(cpu_type::EV6), "EV6");
    assert_eq!(cpu_type_name(8), "EV6");
    assert_eq!(cpu_type_name(11), "EV67");
    assert_eq!(cpu_type_name(12), "EV68CB");
    assert_eq!(cpu_type_name(1), "EV3");
    assert_eq!(cpu_type_name(3), "Simulate");
    assert_eq!(cpu_type_name(17), "EV69");
    assert_eq!(cpu_type_name(0), "Unknown");
    assert_eq!(cpu_type_name(18), "Unknown");
    assert_eq!(cpu_type_name(u64::MAX), "Unknown");
    // Minor type in the high half is ignored.
    assert_eq!(cpu_type_name((7 << 32) | 11), "EV67");
}

#[test]
fn tsunami_family() {
    let v = sys_type::variation_for_member;
    assert_eq!(system_type_name(34, v(5)), "Clipper"); // QEMU, ES40
    assert_eq!(system_type_name(34, v(7)), "Webbrick"); // DS10
    assert_eq!(system_type_name(34, v(1)), "DP264");
    assert_eq!(system_type_name(34, v(4)), "Monet");
    assert_eq!(system_type_name(34, v(11)), "Flying Clipper");
    assert_eq!(system_type_name(34, v(12)), "Shark");
    assert_eq!(system_type_name(34, 0), "Tsunami");
    assert_eq!(system_type_name(34, v(0) | 1), "Tsunami"); // member 0 = "0"
    assert_eq!(system_type_name(34, v(13)), "Tsunami");
    assert_eq!(system_variation_name(34, v(5)), Some("Clipper"));
    assert_eq!(system_variation_name(34, 0), None);
    assert_eq!(system_family_name(34), "Tsunami");
    // Flag bits outside <15:10> do not matter.
    assert_eq!(system_type_name(34, v(5) | 0x1ff | (1 << 16)), "Clipper");
}

#[test]
fn other_families() {
    let v = sys_type::variation_for_member;
    assert_eq!(system_type_name(26, v(12)), "SX164"); // old QEMU PALcode
    assert_eq!(system_type_name(26, v(15)), "SX164");
    assert_eq!(system_type_name(26, v(16)), "RX164");
    assert_eq!(system_type_name(26, v(17)), "EB164"); // beyond the table
    assert_eq!(system_type_name(15, v(12)), "Bret");
    assert_eq!(system_type_name(20, v(3)), "AlphaPCI64");
    assert_eq!(system_type_name(19, v(2)), "EB66+");
    assert_eq!(system_type_name(22, v(10)), "DaVinci");
    assert_eq!(system_type_name(38, v(1)), "Privateer");
    assert_eq!(system_type_name(38, v(9)), "Titan"); // Linux: "DEFAULT"
    assert_eq!(system_type_name(39, v(0) | 1), "Marvel/EV7");
    assert_eq!(system_type_name(30, v(3)), "Miata"); // no member table
    assert_eq!(system_type_name(101, 0), "Ruffian");
    assert_eq!(system_type_name(201, 0), "Nautilus");
    assert_eq!(system_type_name(100, 0), "Unknown");
    assert_eq!(system_type_name(200, 0), "Unknown");
    assert_eq!(system_type_name(202, 0), "Unknown");
    assert_eq!(system_type_name(40, 0), "Unknown");
    assert_eq!(system_type_name(0, 0), "Unknown");
    assert_eq!(system_type_name(29, 0), "Unknown");
    assert_eq!(system_type_name(u64::MAX, u64::MAX), "ADU"); // -(-1) = 1
}

#[test]
fn negative_white_box_types() {
    assert_eq!(normalize_sys_type(34u64.wrapping_neg()), 34);
    assert_eq!(normalize_sys_type(34), 34);
    assert_eq!(normalize_sys_type(i64::MIN as u64), i64::MIN as u64);
    assert_eq!(system_type_name(22u64.wrapping_neg(), 0), "Rawhide");
    assert_eq!(system_type_name(i64::MIN as u64, 0), "Unknown");
}
