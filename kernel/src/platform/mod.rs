//! The platform seam: the *machine vector* (Linux's `alpha_machine_vector`,
//! `arch/alpha/kernel/machvec_impl.h`), one per board, chosen once at boot
//! from the HWRPB's system type and variation (member id).
//!
//! A [`Machine`] holds everything that differs between Alpha systems and
//! that the rest of the kernel must not hard-code:
//!
//! * the chipset's physical address map: PCI memory, PCI I/O and PCI
//!   configuration space ([`AddressMap`]);
//! * the DMA windows the kernel programs into the host bridge
//!   ([`DmaLayout`]: the direct-mapped window, the ISA and PCI
//!   scatter-gather windows, the IOMMU TLB line size);
//! * PCI interrupt routing: (slot, pin) to interrupt line (Linux's
//!   `pci_map_irq`), from the board's routing table;
//! * the chipset operations ([`ChipsetOps`]): `init_arch` (save the
//!   firmware's DMA windows), programming the windows, `kill_arch` (give the
//!   firmware its windows back), the IOMMU TLB invalidation (Linux's
//!   `mv_pci_tbi`), the interrupt mask and pending registers, the PCI error
//!   check, and the clock (RTC periodic interrupt) programming.
//!
//! `pci`, `dma`, `irq`, `mm`, `net` and `drivers` ask [`machine()`] and never
//! name a chipset. The machines this kernel knows are all of the Tsunami/
//! Typhoon family (system type 34), in [`tsunami`].
//!
//! Choice ([`select`]), as Linux's `get_sysvec`:
//! * system type 34 with a known member: that member's vector (Clipper,
//!   Webbrick, and the members Linux drives with `dp264_mv`, `monet_mv`,
//!   `shark_mv`, whose interrupt routing this kernel does not carry:
//!   their devices are polled);
//! * system type 34 with an unknown member, or no HWRPB at all: the
//!   generic Tsunami vector (same chipset addresses, no interrupt routing),
//!   with a warning;
//! * any other system type: a refusal (its chipset is not a Tsunami, so the
//!   kernel touches no chipset register: no PCI scan, no DMA, no device
//!   interrupts); the generic vector stays the answer of [`machine()`] only
//!   for the boot console, which already runs through it.
//!
//! Verified under QEMU (`-M clipper`): the Clipper vector (system type 34,
//! member 5) end to end (address map, windows, routing, the RTC clock, the
//! 21143's interrupts); the *choice* for a Webbrick, an unknown member and
//! a non-Tsunami system (the runner's `platform-*` cases rewrite the
//! HWRPB's `sys_variation`/`sys_type` through gdb); the routing tables
//! against Linux's (`hwrpb::routing`'s host tests). Only a real DS10 can
//! confirm the Webbrick routing on the wire and the Typhoon-specific
//! behaviour (a real Pchip's PERROR and scatter-gather TLB, SRM's windows).

pub mod tsunami;

use core::fmt;
use dma_policy::WindowRange;
use log::{info, warn};
use spin::Once;

/// Where the CPU reaches the PCI spaces (physical addresses, through KSEG).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressMap {
    /// PCI memory space: physical = this + bus address.
    pub pci_mem: u64,
    /// PCI I/O space (and the ISA ports behind the bridge): physical = this + port.
    pub pci_io: u64,
    /// PCI configuration space (the encoding is the chipset's, see
    /// [`Machine::pci_conf_addr`]).
    pub pci_conf: u64,
}

/// The DMA windows the kernel programs into the host bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaLayout {
    /// Direct-mapped: bus `bus_base + pa` for `pa < size`.
    pub direct: WindowRange,
    /// The ISA scatter-gather window (for devices with 24-bit masks).
    pub isa_sg: WindowRange,
    /// Where the PCI scatter-gather window starts on the bus.
    pub pci_sg_base: u64,
    /// Its largest size (the kernel sizes it from memory up to this).
    pub pci_sg_max: u64,
    /// IOMMU entries per TLB line: scatter-gather runs start on this boundary.
    pub tlb_line_entries: usize,
}

impl DmaLayout {
    /// The windows as the DMA policy sees them, with the PCI SG window
    /// `pci_sg_size` bytes long.
    pub const fn windows(&self, pci_sg_size: u64) -> dma_policy::Windows {
        dma_policy::Windows {
            direct: self.direct,
            sg: Some(WindowRange { bus_base: self.pci_sg_base, size: pci_sg_size }),
            isa: Some(self.isa_sg),
        }
    }

    /// The highest physical address (exclusive) the direct window reaches:
    /// the limit of memory that must stay DMA-reachable without the IOMMU
    /// (the CMA area), as Linux's `dma_contiguous_reserve(limit)` takes it.
    pub const fn direct_limit(&self) -> u64 {
        self.direct.size
    }
}

/// The page tables of the two scatter-gather windows, handed to the
/// chipset to program (physical addresses).
#[derive(Clone, Copy, Debug)]
pub struct SgTables {
    pub isa_table: u64,
    pub pci_table: u64,
    pub pci_size: u64,
}

/// The interrupt controller's mask, pending and raw request registers,
/// with the chipset's names for them (for log lines).
#[derive(Clone, Copy, Debug)]
pub struct IrqState {
    pub mask: u64,
    pub pending: u64,
    pub raw: u64,
    pub names: [&'static str; 3],
}

impl fmt::Display for IrqState {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let [m, p, r] = self.names;
        write!(f, "{m} {:#x}, {p} {:#x}, {r} {:#x}", self.mask, self.pending, self.raw)
    }
}

/// The chipset's operations (shared by every member of a family).
pub struct ChipsetOps {
    /// The chipset's name for logs, e.g. "Tsunami/Typhoon".
    pub name: &'static str,
    /// Physical address of a configuration register (bus, device, function, register).
    pub pci_conf_addr: fn(base: u64, bus: u8, dev: u8, func: u8, reg: u8) -> u64,
    /// PCI memory and I/O space the CPU reaches (for BAR checks).
    pub pci_bar_windows: pci_config::Windows,
    /// Interrupt lines the controller has (one bit each in the mask).
    pub irq_lines: usize,
    pub irq_mask: fn() -> u64,
    pub set_irq_mask: fn(u64),
    pub irq_state: fn() -> IrqState,
    /// Linux's `init_arch`: saves (and logs) the firmware's DMA windows.
    pub init_arch: fn(),
    /// Programs the DMA windows of `layout` with these SG tables, flushes
    /// the IOMMU TLB, logs the result.
    pub program_windows: fn(layout: &DmaLayout, tables: &SgTables),
    /// Linux's `kill_arch`: gives the firmware its windows back.
    pub kill_arch: fn(),
    /// Linux's `mv_pci_tbi`: invalidates the IOMMU TLB for bus addresses
    /// `start..=end`.
    pub iommu_tbi: fn(start: u64, end: u64),
    /// Checks (and clears) the host bridge's PCI error register after `what`.
    pub pci_check_errors: fn(what: &str),
    /// Starts the periodic clock interrupt at `hz`; returns the firmware's
    /// clock setup (for the log).
    pub clock_start: fn(pci_io: u64) -> (u8, u8),
    pub clock_stop: fn(pci_io: u64),
    /// Acknowledges one clock interrupt (on real hardware the RTC waits for it).
    pub clock_ack: fn(pci_io: u64),
    /// The clock interrupt's nominal rate.
    pub clock_hz: u64,
}

/// One machine vector.
pub struct Machine {
    /// The vector's name (Linux's `mv_*`), e.g. "clipper".
    pub vector: &'static str,
    /// The family, e.g. "Tsunami".
    pub family: &'static str,
    /// The member names this vector serves, e.g. "Clipper".
    pub board: &'static str,
    pub addr: AddressMap,
    pub dma: DmaLayout,
    /// Linux's `pci_map_irq`: (slot, pin 1 = INTA) to interrupt line; `None`
    /// when this kernel carries no routing table for the board.
    pub pci_map_irq: Option<fn(slot: u8, pin: u8) -> Option<u32>>,
    pub ops: &'static ChipsetOps,
}

impl Machine {
    pub fn pci_io(&self) -> u64 {
        self.addr.pci_io
    }
    pub fn pci_mem(&self) -> u64 {
        self.addr.pci_mem
    }
    /// Physical address of configuration register `reg` of bus/dev/func.
    pub fn pci_conf_addr(&self, bus: u8, dev: u8, func: u8, reg: u8) -> u64 {
        (self.ops.pci_conf_addr)(self.addr.pci_conf, bus, dev, func, reg)
    }
    pub fn pci_bar_windows(&self) -> &'static pci_config::Windows {
        &self.ops.pci_bar_windows
    }
    pub fn dma_windows(&self) -> &DmaLayout {
        &self.dma
    }
    /// The interrupt line of PCI device `slot`, pin `pin` (1 = INTA).
    pub fn pci_line(&self, slot: u8, pin: u8) -> Result<u32, RoutingError> {
        let Some(map) = self.pci_map_irq else {
            return Err(RoutingError::NoTable { board: self.board });
        };
        map(slot, pin).ok_or(RoutingError::NotRouted { board: self.board, slot, pin })
    }
    pub fn irq_lines(&self) -> usize {
        self.ops.irq_lines
    }
    pub fn irq_mask(&self) -> u64 {
        (self.ops.irq_mask)()
    }
    pub fn set_irq_mask(&self, m: u64) {
        (self.ops.set_irq_mask)(m)
    }
    pub fn irq_state(&self) -> IrqState {
        (self.ops.irq_state)()
    }
    pub fn init_arch(&self) {
        (self.ops.init_arch)()
    }
    pub fn program_windows(&self, t: &SgTables) {
        (self.ops.program_windows)(&self.dma, t)
    }
    pub fn kill_arch(&self) {
        (self.ops.kill_arch)()
    }
    pub fn iommu_tbi(&self, start: u64, end: u64) {
        (self.ops.iommu_tbi)(start, end)
    }
    pub fn pci_check_errors(&self, what: &str) {
        (self.ops.pci_check_errors)(what)
    }
    pub fn clock_start(&self) -> (u8, u8) {
        (self.ops.clock_start)(self.addr.pci_io)
    }
    pub fn clock_stop(&self) {
        (self.ops.clock_stop)(self.addr.pci_io)
    }
    pub fn clock_ack(&self) {
        (self.ops.clock_ack)(self.addr.pci_io)
    }
    pub fn clock_hz(&self) -> u64 {
        self.ops.clock_hz
    }
}

/// Why a PCI interrupt has no line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingError {
    /// The kernel carries no routing table for this board.
    NoTable { board: &'static str },
    /// The table has no entry for this slot and pin.
    NotRouted { board: &'static str, slot: u8, pin: u8 },
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            RoutingError::NoTable { board } => write!(f, "no interrupt routing known for {board} (this kernel carries no table for it)"),
            RoutingError::NotRouted { board, slot, pin } => {
                write!(f, "no interrupt routing known for {board}, slot {slot}, pin {pin}")
            }
        }
    }
}

/// Why no machine vector fits (the kernel then leaves the chipset alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub sys_type: u64,
    pub family: &'static str,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "system type {} ({}) is not of the Tsunami/Typhoon family, the only chipset this kernel drives",
            self.sys_type, self.family
        )
    }
}

/// What the boot chose: the vector, and whether the chipset may be used.
#[derive(Clone, Copy)]
pub struct Choice {
    pub machine: &'static Machine,
    /// `Some`: no vector fits; the kernel leaves the chipset alone.
    pub refused: Option<Refusal>,
    /// The HWRPB's name for the system (e.g. "Clipper"), "unknown" without one.
    pub system_name: &'static str,
    /// The HWRPB's member id (`sys_variation` bits 15:10), 0 without one.
    pub member: u64,
}

impl Choice {
    /// Whether the kernel may touch the chipset (PCI, DMA, device interrupts).
    pub fn chipset_usable(&self) -> bool {
        self.refused.is_none()
    }
}

static CHOSEN: Once<Choice> = Once::new();

/// The machine vector for what the HWRPB says: `(system type, variation)`,
/// or `None` without an HWRPB. Pure: [`select`] logs and records it.
pub fn choose(system: Option<(u64, u64)>) -> (Choice, &'static str) {
    let Some((sys_type, variation)) = system else {
        let c = Choice { machine: &tsunami::GENERIC, refused: None, system_name: "unknown", member: 0 };
        return (c, "no HWRPB; assuming the Tsunami family");
    };
    let member = (variation >> hwrpb::sys_type::MEMBER_SHIFT) & hwrpb::sys_type::MEMBER_MASK;
    let c = |machine, refused| Choice { machine, refused, system_name: hwrpb::system_type_name(sys_type, variation), member };
    // "White box" consoles store the negated system type (as Linux fixes up).
    let t = hwrpb::normalize_sys_type(sys_type);
    if t != hwrpb::sys_type::TSUNAMI {
        let refused = Refusal { sys_type: t, family: hwrpb::system_family_name(t) };
        return (c(&tsunami::GENERIC, Some(refused)), "not a Tsunami family system");
    }
    match tsunami::member_vector(member) {
        Some(m) => (c(m, None), "member id known"),
        None => (c(&tsunami::GENERIC, None), "member id unknown: the generic Tsunami vector, no interrupt routing"),
    }
}

/// Chooses the machine vector once, from the HWRPB, and logs which and why
/// (allocates nothing: it runs before the heap). Later calls return the
/// first choice.
pub fn select(h: Option<&hwrpb::Hwrpb>) -> Choice {
    *CHOSEN.call_once(|| {
        let system = h.map(|h| (h.header().sys_type, h.header().sys_variation));
        let (c, why) = choose(system);
        let m = c.machine;
        match (system, c.refused) {
            (_, Some(r)) => warn!(
                "platform: {r}: no machine vector; the kernel leaves the chipset alone (no PCI scan, no DMA, no device interrupts)"
            ),
            (Some((t, v)), None) => {
                // Before the heap exists: no formatting into a String.
                let level = if core::ptr::eq(m, &tsunami::GENERIC) { log::Level::Warn } else { log::Level::Info };
                log::log!(
                    level,
                    "platform: {} family, {} (system type {t}, variation {v:#x}, member {}): machine vector \"{}\" ({why}; {} chipset)",
                    m.family,
                    c.system_name,
                    c.member,
                    m.vector,
                    m.ops.name
                );
            }
            (None, None) => warn!("platform: {why}: machine vector \"{}\"", m.vector),
        }
        if c.refused.is_none() && m.pci_map_irq.is_none() {
            info!("platform: no PCI interrupt routing for {}: devices are polled", m.board);
        }
        c
    })
}

/// The chosen machine vector (the generic Tsunami one before [`select`]:
/// the boot console runs through its address map from the first line).
pub fn machine() -> &'static Machine {
    CHOSEN.get().map_or(&tsunami::GENERIC, |c| c.machine)
}

/// PCI I/O space of the boot console, before the HWRPB is read: every
/// machine this kernel knows has its ISA ports there.
pub const BOOT_CONSOLE_IO: u64 = tsunami::PCI_IO_PHYS;
