//! Device drivers.

pub mod tulip;
