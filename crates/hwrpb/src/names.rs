//! Human-readable names for CPU and system types, as Linux prints them
//! (`show_cpuinfo` and `get_sysnames` in `arch/alpha/kernel/setup.c`).

/// Architected CPU type numbers (Linux `*_CPU` in `asm/hwrpb.h`). The major
/// type lives in bits <31:0> of a per-CPU slot's `type`.
pub mod cpu_type {
    /// EV3.
    pub const EV3: u64 = 1;
    /// EV4 (21064).
    pub const EV4: u64 = 2;
    /// Simulator (BSD `PCS_PROC_SIMULATION`).
    pub const SIMULATION: u64 = 3;
    /// LCA4 (21066/21068).
    pub const LCA4: u64 = 4;
    /// EV5 (21164).
    pub const EV5: u64 = 5;
    /// EV4.5 (21064A).
    pub const EV45: u64 = 6;
    /// EV5.6 (21164A).
    pub const EV56: u64 = 7;
    /// EV6 (21264).
    pub const EV6: u64 = 8;
    /// PCA56 (21164PC).
    pub const PCA56: u64 = 9;
    /// PCA57.
    pub const PCA57: u64 = 10;
    /// EV67 (21264A): what QEMU's PALcode reports for QEMU's default CPU.
    pub const EV67: u64 = 11;
    /// EV68CB (21264C).
    pub const EV68CB: u64 = 12;
    /// EV68AL (21264B).
    pub const EV68AL: u64 = 13;
    /// EV68CX (21264D).
    pub const EV68CX: u64 = 14;
    /// EV7 (21364).
    pub const EV7: u64 = 15;
    /// EV79.
    pub const EV79: u64 = 16;
    /// EV69.
    pub const EV69: u64 = 17;
}

/// A few architected system type numbers (Linux `ST_*` in `asm/hwrpb.h`).
pub mod sys_type {
    /// `ST_DEC_EB164`: EB164 family (QEMU's old SX164 emulation).
    pub const EB164: u64 = 26;
    /// `ST_DEC_TSUNAMI`: Tsunami/Typhoon family (DP264, Clipper = ES40,
    /// Webbrick = DS10, ...). QEMU emulates a Clipper.
    pub const TSUNAMI: u64 = 34;
    /// `ST_DEC_TITAN`.
    pub const TITAN: u64 = 38;
    /// `ST_DEC_MARVEL`.
    pub const MARVEL: u64 = 39;
    /// `ST_DTI_RUFFIAN` (unofficial range, bias 100).
    pub const RUFFIAN: u64 = 101;
    /// `ST_API_NAUTILUS` (Alpha Processor Inc. range, bias 200).
    pub const NAUTILUS: u64 = 201;

    /// Where the member id lives in `sys_variation`: bits <15:10>
    /// (Linux: `(variation >> 10) & 0x3f`).
    pub const MEMBER_SHIFT: u32 = 10;
    /// Mask applied after [`MEMBER_SHIFT`].
    pub const MEMBER_MASK: u64 = 0x3f;

    /// Build a `sys_variation` value for member id `member`.
    pub const fn variation_for_member(member: u64) -> u64 {
        (member & MEMBER_MASK) << MEMBER_SHIFT
    }
}

/// Linux `cpu_names[]`, indexed by `type - 1`.
const CPU_NAMES: [&str; 17] = [
    "EV3", "EV4", "Simulate", "LCA4", "EV5", "EV45", "EV56", "EV6", "PCA56", "PCA57", "EV67",
    "EV68CB", "EV68AL", "EV68CX", "EV7", "EV79", "EV69",
];

/// Name of a CPU type, e.g. `cpu_type_name(11) == "EV67"`.
///
/// Only the major type (bits <31:0>) is used, as Linux does
/// (`cpu &= 0xffffffff`); unknown types give `"Unknown"`.
///
/// ```
/// assert_eq!(hwrpb::cpu_type_name(hwrpb::cpu_type::EV6), "EV6");
/// assert_eq!(hwrpb::cpu_type_name(12), "EV68CB");
/// assert_eq!(hwrpb::cpu_type_name(99), "Unknown");
/// ```
pub fn cpu_type_name(cpu_type: u64) -> &'static str {
    let major = cpu_type & 0xffff_ffff;
    major
        .checked_sub(1)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| CPU_NAMES.get(i))
        .copied()
        .unwrap_or("Unknown")
}

/// Linux `systype_names[]`, indexed by `sys_type`. Linux's placeholders
/// "0" and "29" are mapped to "Unknown" by [`system_family_name`].
const SYSTYPE_NAMES: [&str; 40] = [
    "0",
    "ADU",
    "Cobra",
    "Ruby",
    "Flamingo",
    "Mannequin",
    "Jensen",
    "Pelican",
    "Morgan",
    "Sable",
    "Medulla",
    "Noname",
    "Turbolaser",
    "Avanti",
    "Mustang",
    "Alcor",
    "Tradewind",
    "Mikasa",
    "EB64",
    "EB66",
    "EB64+",
    "AlphaBook1",
    "Rawhide",
    "K2",
    "Lynx",
    "XL",
    "EB164",
    "Noritake",
    "Cortex",
    "29",
    "Miata",
    "XXM",
    "Takara",
    "Yukon",
    "Tsunami",
    "Wildfire",
    "CUSCO",
    "Eiger",
    "Titan",
    "Marvel",
];

const UNOFFICIAL_BIAS: u64 = 100;
const UNOFFICIAL_NAMES: [&str; 2] = ["100", "Ruffian"];
const API_BIAS: u64 = 200;
const API_NAMES: [&str; 2] = ["200", "Nautilus"];

// Per-family variation tables: `names[indices[member]]`, exactly as Linux.
const EB164_NAMES: [&str; 5] = ["EB164", "PC164", "LX164", "SX164", "RX164"];
const EB164_INDICES: [usize; 17] = [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4];
const ALCOR_NAMES: [&str; 3] = ["Alcor", "Maverick", "Bret"];
const ALCOR_INDICES: [usize; 18] = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2];
const EB64P_NAMES: [&str; 3] = ["EB64+", "Cabriolet", "AlphaPCI64"];
const EB64P_INDICES: [usize; 4] = [0, 0, 1, 2];
const EB66_NAMES: [&str; 2] = ["EB66", "EB66+"];
const EB66_INDICES: [usize; 3] = [0, 0, 1];
const MARVEL_NAMES: [&str; 1] = ["Marvel/EV7"];
const MARVEL_INDICES: [usize; 1] = [0];
const RAWHIDE_NAMES: [&str; 5] = ["Dodge", "Wrangler", "Durango", "Tincup", "DaVinci"];
const RAWHIDE_INDICES: [usize; 11] = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4];
const TITAN_NAMES: [&str; 4] = ["DEFAULT", "Privateer", "Falcon", "Granite"];
const TITAN_INDICES: [usize; 5] = [0, 1, 2, 2, 3];
const TSUNAMI_NAMES: [&str; 13] = [
    "0",
    "DP264",
    "Warhol",
    "Windjammer",
    "Monet",
    "Clipper",
    "Goldrush",
    "Webbrick",
    "Catamaran",
    "Brisbane",
    "Melbourne",
    "Flying Clipper",
    "Shark",
];
const TSUNAMI_INDICES: [usize; 13] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// Linux fixes up "white box" AS800/AS1200 consoles that store the negated
/// system type (`if ((long)hwrpb->sys_type < 0) sys_type = -sys_type`).
pub fn normalize_sys_type(sys_type: u64) -> u64 {
    if sys_type.cast_signed() < 0 {
        sys_type.wrapping_neg()
    } else {
        sys_type
    }
}

/// The system family name, e.g. `system_family_name(34) == "Tsunami"`.
///
/// Negative (white box) types are normalised first; unknown types give
/// `"Unknown"`.
pub fn system_family_name(sys_type: u64) -> &'static str {
    let t = normalize_sys_type(sys_type);
    let name = if let Some(name) = usize::try_from(t).ok().and_then(|i| SYSTYPE_NAMES.get(i)) {
        *name
    } else if t > API_BIAS {
        lookup(&API_NAMES, t.wrapping_sub(API_BIAS)).unwrap_or("Unknown")
    } else if t > UNOFFICIAL_BIAS {
        lookup(&UNOFFICIAL_NAMES, t.wrapping_sub(UNOFFICIAL_BIAS)).unwrap_or("Unknown")
    } else {
        "Unknown"
    };
    match name {
        "0" | "29" => "Unknown",
        n => n,
    }
}

fn lookup(names: &[&'static str], index: u64) -> Option<&'static str> {
    usize::try_from(index)
        .ok()
        .and_then(|i| names.get(i))
        .copied()
}

fn member_lookup(member: u64, names: &[&'static str], indices: &[usize]) -> Option<&'static str> {
    usize::try_from(member)
        .ok()
        .and_then(|m| indices.get(m))
        .and_then(|&i| names.get(i))
        .copied()
}

/// The name of the family member selected by `sys_variation` bits <15:10>,
/// if Linux knows one, e.g. `system_variation_name(34, 5 << 10) ==
/// Some("Clipper")`.
///
/// Returns `None` when the variation is 0, the family has no member table,
/// or the member is unknown (Linux prints variation "0" then, or "DEFAULT"
/// for Titan).
pub fn system_variation_name(sys_type: u64, sys_variation: u64) -> Option<&'static str> {
    if sys_variation == 0 {
        return None;
    }
    let member = (sys_variation >> sys_type::MEMBER_SHIFT) & sys_type::MEMBER_MASK;
    let name = match normalize_sys_type(sys_type) {
        26 => member_lookup(member, &EB164_NAMES, &EB164_INDICES),
        15 => member_lookup(member, &ALCOR_NAMES, &ALCOR_INDICES),
        20 => member_lookup(member, &EB64P_NAMES, &EB64P_INDICES),
        19 => member_lookup(member, &EB66_NAMES, &EB66_INDICES),
        39 => member_lookup(member, &MARVEL_NAMES, &MARVEL_INDICES),
        22 => member_lookup(member, &RAWHIDE_NAMES, &RAWHIDE_INDICES),
        38 => member_lookup(member, &TITAN_NAMES, &TITAN_INDICES),
        34 => member_lookup(member, &TSUNAMI_NAMES, &TSUNAMI_INDICES),
        _ => None,
    };
    match name {
        Some("0" | "DEFAULT") | None => None,
        some => some,
    }
}

/// The most specific name for a system: the member name when Linux knows
/// one (`"Clipper"`, `"Webbrick"`, `"SX164"`, ...), else the family name
/// (`"Tsunami"`), else `"Unknown"`.
///
/// QEMU's emulated machine is `system_type_name(34, 5 << 10) == "Clipper"`
/// (an AlphaServer ES40); the DS10 is member 7, `"Webbrick"`.
///
/// ```
/// use hwrpb::{system_type_name, sys_type::{TSUNAMI, variation_for_member}};
/// assert_eq!(system_type_name(TSUNAMI, variation_for_member(5)), "Clipper");
/// assert_eq!(system_type_name(TSUNAMI, variation_for_member(7)), "Webbrick");
/// assert_eq!(system_type_name(TSUNAMI, 0), "Tsunami");
/// ```
pub fn system_type_name(sys_type: u64, sys_variation: u64) -> &'static str {
    system_variation_name(sys_type, sys_variation).unwrap_or_else(|| system_family_name(sys_type))
}
