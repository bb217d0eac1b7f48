//! The console monitor: commands typed at the `alpha>` prompt. Each
//! command is a [`command::Command`]; [`mm`] holds the memory and DMA ones.
//! (This file carries only the modules; the line editor and the
//! dispatcher live beside them.)

pub mod command;
pub mod mm;
