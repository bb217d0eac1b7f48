//! Who holds allocated pages (Linux's `page_owner`, always on). Every
//! allocation from the buddy allocator or the CMA area names an [`Owner`];
//! the page layer ([`super::page`]) records it with the block's size and
//! the caller's source location in `crates/page-owner`'s table, and clears
//! it at free. There is no "nobody" owner: an allocation without one does
//! not compile.

use core::fmt;
use page_owner::OwnerCode;
use spin::Mutex;

/// An owner of allocated pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner(OwnerCode);

/// Fixed owners; codes from [`FIRST_DEVICE`] up name DMA devices.
const NAMES: [&str; 7] = ["?", "heap", "iommu-tables", "net-buffers", "selftest", "bench", "monitor"];
/// Coherent DMA memory of devices beyond the registry's room.
const OTHER_DEVICES: u8 = 15;
const FIRST_DEVICE: u8 = 16;
const DEVICES: usize = page_owner::MAX_OWNERS - FIRST_DEVICE as usize;

/// Device names by code - FIRST_DEVICE, registered at their first
/// coherent allocation.
static DEVICE_NAMES: Mutex<[Option<&'static str>; DEVICES]> = Mutex::new([None; DEVICES]);

const fn fixed(code: u8) -> Owner {
    match OwnerCode::new(code) {
        Some(c) => Owner(c),
        None => panic!("owner code out of range"),
    }
}

impl Owner {
    /// The kernel heap's grown regions.
    pub const HEAP: Owner = fixed(1);
    /// The IOMMU's page tables and their dirty-entry bitmaps.
    pub const IOMMU_TABLES: Owner = fixed(2);
    /// Network packet buffers (mapped per frame with streaming DMA).
    pub const NET_BUFFERS: Owner = fixed(3);
    /// Memory the self-tests allocate.
    pub const SELFTEST: Owner = fixed(4);
    /// Memory the in-kernel benchmarks allocate.
    pub const BENCH: Owner = fixed(5);
    /// Memory the console monitor's commands allocate (`alloc`, `cma
    /// alloc`, the pages `fragment` pins).
    pub const MONITOR: Owner = fixed(6);

    /// Coherent DMA memory of the device called `dev` (one owner per
    /// device name; past 48 devices they share one owner, said by name).
    pub fn dma_coherent(dev: &'static str) -> Owner {
        let mut names = DEVICE_NAMES.lock();
        let i = match names.iter().position(|n| *n == Some(dev)) {
            Some(i) => i,
            None => match names.iter().position(Option::is_none) {
                Some(i) => {
                    names[i] = Some(dev);
                    i
                }
                None => return fixed(OTHER_DEVICES),
            },
        };
        fixed(FIRST_DEVICE + i as u8)
    }

    pub fn code(self) -> OwnerCode {
        self.0
    }

    pub fn from_code(code: OwnerCode) -> Owner {
        Owner(code)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let c = self.0.get();
        if let Some(n) = NAMES.get(c as usize) {
            return f.write_str(n);
        }
        if c == OTHER_DEVICES {
            return f.write_str("dma-coherent:(other devices)");
        }
        match c.checked_sub(FIRST_DEVICE).and_then(|i| DEVICE_NAMES.lock().get(i as usize).copied().flatten()) {
            Some(dev) => write!(f, "dma-coherent:{dev}"),
            None => write!(f, "owner#{c}"),
        }
    }
}
