//! Device drivers.

pub mod tulip;
pub mod tulip_media;
