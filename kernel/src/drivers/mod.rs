//! Device drivers.

pub mod tulip;
pub mod tulip_media;

/// The drivers the kernel has, by PCI vendor/device ID (the bus scan names
/// them in its listing).
pub static DRIVERS: &[crate::pci::Driver] = &[crate::pci::Driver {
    vendor: tulip::VENDOR_DEC,
    device: tulip::DEVICE_21143,
    name: "tulip (DEC 21143)",
}];
