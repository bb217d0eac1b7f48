//! Typed addresses for the page layer, the DMA API and the drivers.
//!
//! On Alpha the same bits mean different things depending on who uses
//! them: the CPU reads physical memory at a [`PhysAddr`] (through KSEG, the
//! superpage the kernel runs in), while a PCI device reaches memory at a
//! [`BusAddr`], which the chipset's windows translate: a direct-mapped
//! window adds an offset, a scatter-gather window looks the page up in the
//! IOMMU. Handing a physical address to a device is a classic DMA bug (the
//! device then writes somewhere else). As distinct types, the compiler
//! refuses it: a device register takes a `BusAddr`, and the only way from a
//! `PhysAddr` to a `BusAddr` is the DMA API's mapping.
//!
//! Both are plain `u64` newtypes with the few operations the kernel needs:
//! offsets, alignment checks, page frame numbers (physical only), and
//! `as_u64` for registers, page tables and arithmetic the types do not
//! cover. They print as their number does (`{:#x}` gives `0x2000`), so log
//! lines read the same as with bare integers.
//!
//! KSEG conversion is not here: the KSEG base is Alpha's, and lives in the
//! kernel's `arch` module.

#![no_std]

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

macro_rules! address {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Address zero.
            pub const ZERO: $name = $name(0);

            pub const fn new(a: u64) -> Self {
                $name(a)
            }

            /// The number, for registers, page tables and logs.
            pub const fn as_u64(self) -> u64 {
                self.0
            }

            /// This address plus `off` bytes, or `None` past the top of
            /// the address space.
            pub const fn checked_add(self, off: u64) -> Option<Self> {
                match self.0.checked_add(off) {
                    Some(a) => Some($name(a)),
                    None => None,
                }
            }

            /// True if a multiple of `align` (a power of two).
            pub const fn is_aligned(self, align: u64) -> bool {
                self.0 & (align - 1) == 0
            }

            /// Rounded down to a multiple of `align` (a power of two).
            pub const fn align_down(self, align: u64) -> Self {
                $name(self.0 & !(align - 1))
            }

            /// The offset inside the `align`-sized block (a power of two)
            /// the address lies in: `addr % align`.
            pub const fn offset_in(self, align: u64) -> u64 {
                self.0 & (align - 1)
            }

            /// Bytes from `base` up to this address, or `None` if `base`
            /// lies above it.
            pub const fn offset_from(self, base: Self) -> Option<u64> {
                self.0.checked_sub(base.0)
            }
        }

        /// An offset in bytes. Overflow is a bug (it panics in debug
        /// builds, as `u64` addition does).
        impl Add<u64> for $name {
            type Output = $name;
            fn add(self, off: u64) -> $name {
                $name(self.0 + off)
            }
        }

        impl AddAssign<u64> for $name {
            fn add_assign(&mut self, off: u64) {
                self.0 += off;
            }
        }

        impl Sub<u64> for $name {
            type Output = $name;
            fn sub(self, off: u64) -> $name {
                $name(self.0 - off)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }

        impl fmt::UpperHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                fmt::UpperHex::fmt(&self.0, f)
            }
        }

        /// In hex with `0x`, as addresses are logged.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }

        /// The type's name and the address in hex: `PhysAddr(0x2000)`.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }
    };
}

address! {
    /// A physical memory address, as the CPU's memory controller sees it
    /// (the kernel reaches it through KSEG).
    PhysAddr
}

address! {
    /// An address a PCI device puts on the bus to reach memory; the
    /// chipset's DMA windows translate it to a physical address. Only the
    /// DMA API makes one from a `PhysAddr`.
    BusAddr
}

impl PhysAddr {
    /// The first byte of page frame `pfn`, with pages of 2^`page_shift` bytes.
    pub const fn from_pfn(pfn: u64, page_shift: u32) -> Self {
        PhysAddr(pfn << page_shift)
    }

    /// The page frame number holding this address.
    pub const fn pfn(self, page_shift: u32) -> u64 {
        self.0 >> page_shift
    }
}

impl BusAddr {
    /// The address as a 32-bit bus address, for devices and descriptors
    /// with 32-bit address fields (the 21143's CSR3/CSR4 and buffer
    /// pointers); `None` if it does not fit.
    pub const fn to_u32(self) -> Option<u32> {
        if self.0 <= u32::MAX as u64 { Some(self.0 as u32) } else { None }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn prints_like_the_number() {
        let pa = PhysAddr::new(0x1_2000);
        assert_eq!(format!("{pa:#x}"), format!("{:#x}", 0x1_2000u64));
        assert_eq!(format!("{pa:x}"), "12000");
        assert_eq!(format!("{pa:#010x}"), "0x00012000");
        assert_eq!(format!("{pa:#X}"), "0x12000");
        assert_eq!(format!("{pa}"), "0x12000");
        assert_eq!(format!("{pa:?}"), "PhysAddr(0x12000)");
        assert_eq!(format!("{:?}", BusAddr::new(0x8000_0000)), "BusAddr(0x80000000)");
        assert_eq!(format!("{:?}", Some(BusAddr::ZERO)), "Some(BusAddr(0x0))");
    }

    #[test]
    fn offsets_and_alignment() {
        let pa = PhysAddr::new(0x4010);
        assert_eq!(pa + 0x10, PhysAddr::new(0x4020));
        assert_eq!(pa - 0x10, PhysAddr::new(0x4000));
        let mut b = BusAddr::new(0x4000_0000);
        b += 0x2000;
        assert_eq!(b.as_u64(), 0x4000_2000);
        assert!(PhysAddr::new(0x4000).is_aligned(0x2000));
        assert!(!pa.is_aligned(0x2000));
        assert!(pa.is_aligned(16) && !pa.is_aligned(32));
        assert_eq!(pa.align_down(0x2000), PhysAddr::new(0x4000));
        assert_eq!(pa.offset_in(0x2000), 0x10);
        assert_eq!(pa.offset_from(PhysAddr::new(0x4000)), Some(0x10));
        assert_eq!(PhysAddr::new(0x4000).offset_from(pa), None);
        assert_eq!(PhysAddr::new(u64::MAX).checked_add(1), None);
        assert_eq!(PhysAddr::new(1).checked_add(1), Some(PhysAddr::new(2)));
        assert!(PhysAddr::new(0x2000) < PhysAddr::new(0x4000));
    }

    #[test]
    fn page_frames() {
        // Alpha: 8 KiB pages.
        assert_eq!(PhysAddr::from_pfn(3, 13), PhysAddr::new(0x6000));
        assert_eq!(PhysAddr::new(0x7fff).pfn(13), 3);
        for pfn in [0u64, 1, 0x1234, 1 << 30] {
            assert_eq!(PhysAddr::from_pfn(pfn, 13).pfn(13), pfn);
        }
    }

    #[test]
    fn bus_to_u32_is_checked() {
        assert_eq!(BusAddr::new(0xffff_ffff).to_u32(), Some(0xffff_ffff));
        assert_eq!(BusAddr::new(0x8000_2000).to_u32(), Some(0x8000_2000));
        assert_eq!(BusAddr::new(0x1_0000_0000).to_u32(), None);
        assert_eq!(BusAddr::new(u64::MAX).to_u32(), None);
    }
}
