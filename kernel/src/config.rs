//! The boot configuration: what `kernel_main` learns once at boot (the
//! parsed command line, the machine vector) and hands
//! down. No module re-reads the command line or the HWRPB: they get this
//! (as an argument, or through [`get`] where a call chain is deep).

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

/// The configuration, once `kernel_main` has built it.
pub fn get() -> Option<&'static BootConfig> {
    CONFIG.get()
}

/// A parameter's value (`None` before the configuration exists or when
/// the command line does not give it).
pub fn param(key: &str) -> Option<&'static str> {
    get().and_then(|c| c.params.get(key))
}
