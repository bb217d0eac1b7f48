//! The size classes (Linux's `kmalloc-N` caches) and their slab geometry.

use crate::slab::Slab;
use core::alloc::Layout;

/// Every slab is one naturally aligned chunk of this many bytes (one Alpha
/// page), with its header at the start: `ptr & !(SLAB_SIZE - 1)` is the
/// header of the slab holding `ptr`.
pub const SLAB_SIZE: usize = 8192;

/// Number of size classes.
pub const NCLASSES: usize = 12;

/// Object sizes of the classes, in bytes. 16-byte steps up to 64, then the
/// power-of-two sizes with the 1.5x steps between them (Linux's
/// `kmalloc-96`/`kmalloc-192` idea), so a request wastes at most a third of
/// its object. 16 is the smallest: every class then guarantees 16-byte
/// alignment, and an object holds its free-list link. 1024 is the largest:
/// one 8 KiB slab holds 7 of them (a 2048 class would hold 3 and waste a
/// quarter of the slab); larger requests go to the regions.
pub const CLASS_SIZES: [usize; NCLASSES] = [16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];

/// The largest request (size and alignment) a slab serves.
pub const MAX_SMALL: usize = CLASS_SIZES[NCLASSES - 1];

/// Alignment every class guarantees (the largest power of two dividing 48).
pub const MIN_CLASS_ALIGN: usize = 16;

/// Geometry of one class's slabs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClassInfo {
    /// Object size.
    pub size: u32,
    /// Alignment of every object: the largest power of two dividing `size`
    /// (objects sit at `first + i * size` in a `SLAB_SIZE`-aligned chunk).
    pub align: u32,
    /// Offset of object 0: the header, rounded up to `align`.
    pub first: u32,
    /// Objects per slab.
    pub nobjs: u16,
    /// `ceil(2^32 / size)`: `(off * recip) >> 32 == off / size` for every
    /// `off < SLAB_SIZE` (the error is below `2^-19 < 1/size`). Alpha has
    /// no divide instruction.
    pub recip: u64,
}

const fn build_info() -> [ClassInfo; NCLASSES] {
    let hdr = core::mem::size_of::<Slab>();
    let mut out = [ClassInfo { size: 0, align: 0, first: 0, nobjs: 0, recip: 0 }; NCLASSES];
    let mut c = 0;
    while c < NCLASSES {
        let size = CLASS_SIZES[c];
        let align = 1usize << size.trailing_zeros();
        let first = hdr.div_ceil(align) * align;
        let nobjs = (SLAB_SIZE - first) / size;
        out[c] = ClassInfo {
            size: size as u32,
            align: align as u32,
            first: first as u32,
            nobjs: nobjs as u16,
            recip: (1u64 << 32).div_ceil(size as u64),
        };
        c += 1;
    }
    out
}

pub(crate) const INFO: [ClassInfo; NCLASSES] = build_info();

/// `LOOKUP[ceil(size / 16)]`: the smallest class holding `size` bytes.
const LOOKUP: [u8; MAX_SMALL / 16 + 1] = {
    let mut t = [0u8; MAX_SMALL / 16 + 1];
    let mut k = 0;
    while k < t.len() {
        let mut c = 0;
        while CLASS_SIZES[c] < k * 16 {
            c += 1;
        }
        t[k] = c as u8;
        k += 1;
    }
    t
};

const _: () = {
    let mut c = 0;
    while c < NCLASSES {
        let i = INFO[c];
        assert!(i.nobjs as usize <= crate::slab::MAP_WORDS * 64, "slab bitmap too small");
        assert!(i.nobjs >= 2 && (i.nobjs as u32) < crate::slab::NONE as u32);
        assert!(i.first as usize + i.nobjs as usize * i.size as usize <= SLAB_SIZE);
        assert!(i.align as usize >= MIN_CLASS_ALIGN);
        if c > 0 {
            assert!(CLASS_SIZES[c] > CLASS_SIZES[c - 1]);
        }
        c += 1;
    }
};

/// The class that serves `layout`: the smallest whose objects are at least
/// `layout.size()` bytes (0 counts as 1) and aligned to `layout.align()`;
/// `None` for larger or more aligned requests (they go to the regions).
/// Deterministic, so a free with the allocation's layout finds the same
/// answer.
#[inline]
pub fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size > MAX_SMALL {
        return None;
    }
    let mut c = LOOKUP[size.div_ceil(16).max(1)] as usize;
    if layout.align() > MIN_CLASS_ALIGN {
        while (INFO[c].align as usize) < layout.align() {
            c += 1;
            if c == NCLASSES {
                return None;
            }
        }
    }
    Some(c)
}

/// Object size of class `c`.
pub fn class_size(c: usize) -> usize {
    CLASS_SIZES[c]
}

/// Objects per slab of class `c`.
pub fn objects_per_slab(c: usize) -> usize {
    INFO[c].nobjs as usize
}
