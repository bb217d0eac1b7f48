//! The boot configuration: what `kernel_main` learns once at boot (the
//! parsed command line, the machine vector, what the memory setup made)
//! and hands down. No module re-reads the command line or the HWRPB: they
//! get what they need of this as an argument (drivers: in their probe
//! context; the network run: the whole configuration).

use crate::mm::boot::MemReport;
use crate::platform;
use bootparam::EarlyParams;
use spin::Once;

/// Built once in `kernel_main`.
pub struct BootConfig {
    /// The command line's parsed parameters (they borrow the line).
    pub params: EarlyParams<'static>,
    /// The machine vector chosen from the HWRPB (`platform.machine`), and
    /// whether the chipset may be used.
    pub platform: platform::Choice,
    /// Pages in memory, reserved and given to CMA (`None`: no memory map,
    /// so no page allocator).
    pub memory: Option<MemReport>,
}

static CONFIG: Once<BootConfig> = Once::new();

/// Records the configuration (the first call wins) and returns it.
pub fn set(c: BootConfig) -> &'static BootConfig {
    CONFIG.call_once(|| c)
}
