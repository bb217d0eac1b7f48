//! Typed errors of memblock operations.

use core::fmt;

/// Which of the two region lists an error is about (Linux's
/// `memblock_type.name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// `memblock.memory`: the physical memory the kernel may use.
    Memory,
    /// `memblock.reserved`: ranges already in use (kernel image, allocations...).
    Reserved,
}

impl RegionKind {
    /// `"memory"` or `"reserved"`, as Linux names the lists.
    pub const fn name(self) -> &'static str {
        match self {
            RegionKind::Memory => "memory",
            RegionKind::Reserved => "reserved",
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a memblock operation failed. A failed operation changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The region array of `kind` would need more than `capacity` entries.
    /// (Linux would try to double the array with `memblock_double_array()`;
    /// without a heap we cannot.)
    Full {
        /// The list that is full.
        kind: RegionKind,
        /// Its capacity, the `N` of [`Memblock<N>`](crate::Memblock).
        capacity: usize,
    },
    /// `base + size` does not fit in 64 bits: the range would wrap around
    /// the top of the address space.
    Overflow {
        /// Start of the rejected range.
        base: u64,
        /// Its size.
        size: u64,
    },
    /// The alignment is not a power of two (0 included).
    BadAlign {
        /// The rejected alignment.
        align: u64,
    },
    /// An allocation of 0 bytes was requested.
    ZeroSize,
    /// No free range of `size` bytes aligned to `align` lies inside
    /// `[min_addr, max_addr)`.
    NoSpace {
        /// Requested size in bytes.
        size: u64,
        /// Requested alignment.
        align: u64,
        /// Lowest acceptable address.
        min_addr: u64,
        /// Exclusive upper bound of the allocation.
        max_addr: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Full { kind, capacity } => {
                write!(f, "the {kind} region array is full ({capacity} regions)")
            }
            Error::Overflow { base, size } => write!(
                f,
                "range at {base:#x} of size {size:#x} wraps past the end of the 64-bit address space"
            ),
            Error::BadAlign { align } => {
                write!(f, "alignment {align:#x} is not a power of two")
            }
            Error::ZeroSize => f.write_str("cannot allocate 0 bytes"),
            Error::NoSpace {
                size,
                align,
                min_addr,
                max_addr,
            } => write!(
                f,
                "no free range of {size:#x} bytes aligned to {align:#x} in [{min_addr:#x}-{max_addr:#x})"
            ),
        }
    }
}

impl core::error::Error for Error {}
