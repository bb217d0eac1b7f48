//! The monitor's memory commands (alloc/free, cma, dma, fragment, pfn,
//! iommu). A placeholder: the table is filled in by the memory commands'
//! own change; the dispatcher and `help` already include it.

use super::Command;

/// The memory commands, listed by `help` after the information commands.
pub const MM_COMMANDS: &[Command] = &[];
