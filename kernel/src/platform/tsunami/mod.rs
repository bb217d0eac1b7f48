//! The Tsunami/Typhoon family (21272 chipset; system type 34): DP264,
//! Clipper (ES40, QEMU's `-M clipper`), Goldrush (DS20), Webbrick (DS10,
//! DS10L) and their relatives. Linux: `core_tsunami.c`, `sys_dp264.c`.
//!
//! The chipset is a Cchip (the interrupt controller, [`cchip`]), one or two
//! Pchips (the PCI host bridges with their DMA windows and IOMMU,
//! [`pchip`]) and Dchips (data path, nothing to program). Every physical
//! address the kernel uses on these machines is defined here, once; the
//! ISA devices behind the PCI-ISA bridge (the RTC, [`rtc`]; the console
//! UART) are reached through Pchip 0's PCI I/O space.
//!
//! The machine vectors differ only in their PCI interrupt routing
//! ([`routing`]): Clipper and Webbrick have their tables; the members Linux
//! drives with `dp264_mv` (DP264, Warhol, Windjammer, Goldrush, Catamaran),
//! `monet_mv` and `shark_mv` are named but carry no table here, so their
//! devices are polled.
//!
//! Verified under QEMU's Clipper: addresses, windows, Cchip DIM0/DIR0, the
//! Clipper routing, the RTC. A DS10 is needed to confirm the Webbrick
//! routing (IdSel 9/11 and 14-17), the Typhoon's PERROR and TLB behaviour
//! (QEMU's PERROR always reads 0, its TLB caches nothing), and SRM's windows.

pub mod cchip;
pub mod pchip;
pub mod routing;
pub mod rtc;

use super::{AddressMap, ChipsetOps, DmaLayout, Machine};
use dma_policy::WindowRange;

/// Pchip 0 PCI memory space (Linux: TSUNAMI_MEM(0)).
pub const PCI_MEM_PHYS: u64 = 0x800_0000_0000;
/// Pchip 0 CSRs (Linux: TSUNAMI_pchip0).
pub const PCHIP0_CSR_PHYS: u64 = 0x801_8000_0000;
/// Cchip CSRs (Linux: TSUNAMI_cchip).
pub const CCHIP_CSR_PHYS: u64 = 0x801_a000_0000;
/// Pchip 0 PCI I/O space (Linux: TSUNAMI_IO(0)); ISA ports too.
pub const PCI_IO_PHYS: u64 = 0x801_fc00_0000;
/// Pchip 0 PCI configuration space (Linux: TSUNAMI_CONF(0)).
pub const PCI_CONF_PHYS: u64 = 0x801_fe00_0000;

/// A configuration register's address: `bus << 16 | dev << 11 | func << 8 | reg`.
fn conf_addr(base: u64, bus: u8, dev: u8, func: u8, reg: u8) -> u64 {
    base | (bus as u64) << 16 | (dev as u64 & 0x1f) << 11 | (func as u64 & 7) << 8 | reg as u64
}

/// The chipset operations of every member.
pub static OPS: ChipsetOps = ChipsetOps {
    name: "Tsunami/Typhoon",
    pci_conf_addr: conf_addr,
    // 4 GiB of PCI memory, 32 MiB of PCI I/O per Pchip (`pci_config`'s
    // BAR checks are host-tested against this layout).
    pci_bar_windows: pci_config::TSUNAMI,
    irq_lines: cchip::LINES,
    irq_mask: cchip::dim0,
    set_irq_mask: cchip::set_dim0,
    irq_state: cchip::state,
    init_arch: pchip::save_firmware_windows,
    program_windows: pchip::program,
    kill_arch: pchip::restore,
    iommu_tbi: pchip::tlb_invalidate,
    pci_check_errors: pchip::check_errors,
    clock_start: rtc::start,
    clock_stop: rtc::stop,
    clock_ack: rtc::ack,
    clock_hz: rtc::HZ,
};

const ADDR: AddressMap = AddressMap { pci_mem: PCI_MEM_PHYS, pci_io: PCI_IO_PHYS, pci_conf: PCI_CONF_PHYS };

/// The windows Linux's `core_tsunami.c` programs: window 0 scatter-gather
/// 8 MiB at bus 8 MiB (ISA masks); window 1 scatter-gather at bus 1 GiB,
/// sized from memory, at most 1 GiB; window 2 direct, bus 2 GiB..4 GiB ->
/// physical 0..2 GiB; window 3 off. The Pchip's TLB loads PTEs 4 at a time.
pub const DMA: DmaLayout = DmaLayout {
    direct: WindowRange { bus_base: 0x8000_0000, size: 0x8000_0000 },
    isa_sg: WindowRange { bus_base: 0x0080_0000, size: 0x0080_0000 },
    pci_sg_base: 0x4000_0000,
    pci_sg_max: 1 << 30,
    tlb_line_entries: 4,
};

const fn vector(vector: &'static str, board: &'static str, map: Option<fn(u8, u8) -> Option<u32>>) -> Machine {
    Machine { vector, family: "Tsunami", board, addr: ADDR, dma: DMA, pci_map_irq: map, ops: &OPS }
}

/// Clipper: AlphaServer ES40, and QEMU's `-M clipper` (member 5).
pub static CLIPPER: Machine = vector("clipper", "Clipper", Some(routing::clipper));
/// Webbrick: AlphaServer DS10, DS10L (member 7).
pub static WEBBRICK: Machine = vector("webbrick", "Webbrick", Some(routing::webbrick));
/// DP264, Warhol, Windjammer, Goldrush (DS20), Catamaran (Linux's `dp264_mv`).
pub static DP264: Machine = vector("dp264", "DP264/Goldrush", None);
/// Monet (Linux's `monet_mv`).
pub static MONET: Machine = vector("monet", "Monet", None);
/// Shark (Linux's `shark_mv`).
pub static SHARK: Machine = vector("shark", "Shark", None);
/// Any other member (or no HWRPB): the chipset, no interrupt routing.
pub static GENERIC: Machine = vector("tsunami", "an unknown Tsunami member", None);

/// The vector for a member id (`sys_variation` bits 15:10), as Linux's
/// `tsunami_vecs[]` (`hwrpb::routing::tsunami_vector`); `None` for members
/// Linux has no vector for either.
pub fn member_vector(member: u64) -> Option<&'static Machine> {
    use hwrpb::routing::{TsunamiVector, tsunami_vector};
    Some(match tsunami_vector(member)? {
        TsunamiVector::Clipper => &CLIPPER,
        TsunamiVector::Webbrick => &WEBBRICK,
        TsunamiVector::Dp264 => &DP264,
        TsunamiVector::Monet => &MONET,
        TsunamiVector::Shark => &SHARK,
    })
}
