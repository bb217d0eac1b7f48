//! The boot configuration: what `kernel_main` learns once at boot (the
//! parsed command line, the machine vector) and hands
//! down. No module re-reads the command line or the HWRPB: they get what
//! they need of this as an argument (drivers: in their probe context).

use crate::platform::{self, Machine};
use bootparam::EarlyParams;
use spin::Once;

/// Built once in `kernel_main`.
pub struct BootConfig {
    /// The command line's parsed parameters (they borrow the line).
    pub params: EarlyParams<'static>,
    /// The machine vector chosen from the HWRPB.
    pub machine: &'static Machine,
    /// What the platform chose, and whether the chipset may be used.
    pub platform: platform::Choice,
}

static CONFIG: Once<BootConfig> = Once::new();

/// Records the configuration (the first call wins) and returns it.
pub fn set(c: BootConfig) -> &'static BootConfig {
    CONFIG.call_once(|| c)
}
