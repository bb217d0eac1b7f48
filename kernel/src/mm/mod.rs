//! Physical memory management, the Linux way: the HWRPB's memory clusters
//! fill a memblock table ([`boot`]), which reserves what is in use, places
//! the CMA area, and hands every remaining page to the buddy allocator
//! ([`page`]); the kernel heap ([`heap`]) grows from buddy pages.

pub mod accounting;
pub mod boot;
pub mod heap;
pub mod map;
pub mod owner;
pub mod page;

use crate::arch::{kseg_to_phys, phys_to_kseg};

pub use addr::PhysAddr;
pub use accounting::accounting;

/// Alpha pages are 8 KiB.
pub const PAGE_SHIFT: u32 = 13;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

pub const fn pfn_to_phys(pfn: u64) -> PhysAddr {
    PhysAddr::from_pfn(pfn, PAGE_SHIFT)
}

pub const fn phys_to_pfn(pa: PhysAddr) -> u64 {
    pa.pfn(PAGE_SHIFT)
}

/// A kernel pointer to physical memory (through KSEG, which maps all of
/// it). Making the pointer is safe; using it is the caller's `unsafe`.
pub fn phys_ptr<T>(pa: PhysAddr) -> *mut T {
    phys_to_kseg(pa.as_u64()) as *mut T
}

/// The physical address of a kernel pointer into KSEG.
pub fn virt_to_phys<T>(p: *const T) -> PhysAddr {
    PhysAddr::new(kseg_to_phys(p as u64))
}

/// `len` values of `T` in physical memory at `pa`, through KSEG, for the
/// rest of the kernel's life: the one place a physical range becomes a
/// slice (allocator metadata, IOMMU page tables).
///
/// # Safety
/// `[pa, pa + len * size_of::<T>())` is memory reserved for this use alone
/// and never given back, `pa` is aligned for `T`, and every element holds
/// a valid `T` before it is read (zeroed memory, for the integer and
/// plain-data types the callers use).
pub unsafe fn phys_slice_mut<T>(pa: PhysAddr, len: usize) -> &'static mut [T] {
    // SAFETY: the caller's promise above; KSEG maps all of physical
    // memory, so the pointer is valid, non-null and in bounds.
    unsafe { core::slice::from_raw_parts_mut(phys_ptr::<T>(pa), len) }
}

/// Reads a `T` at physical `pa` (through KSEG), volatile: memory a device
/// may write, or that a test checks was not moved.
///
/// # Safety
/// `pa` is memory the caller owns or may read (allocated to it, or mapped
/// for a device it drives), aligned for `T`, holding a valid `T`.
pub unsafe fn read_phys<T: Copy>(pa: PhysAddr) -> T {
    // SAFETY: the caller's promise above; KSEG maps all of physical memory.
    unsafe { phys_ptr::<T>(pa).read_volatile() }
}

/// Writes a `T` at physical `pa` (through KSEG), volatile.
///
/// # Safety
/// `pa` is memory the caller owns, aligned for `T`, and no reference into
/// it is live.
pub unsafe fn write_phys<T: Copy>(pa: PhysAddr, v: T) {
    // SAFETY: the caller's promise above; KSEG maps all of physical memory.
    unsafe { phys_ptr::<T>(pa).write_volatile(v) }
}

/// Sets `len` bytes of physical memory at `pa` to `byte` (through KSEG).
///
/// # Safety
/// `[pa, pa + len)` is memory the caller owns (just allocated, or
/// reserved for it), and no reference into it is live.
pub unsafe fn fill_phys(pa: PhysAddr, len: usize, byte: u8) {
    // SAFETY: the caller owns the range (see above); KSEG maps all of
    // physical memory, so the pointer is valid for `len` bytes.
    unsafe { core::ptr::write_bytes(phys_ptr::<u8>(pa), byte, len) };
}

/// Zeroes `len` bytes of physical memory at `pa` (through KSEG).
///
/// # Safety
/// As [`fill_phys`].
pub unsafe fn zero_phys(pa: PhysAddr, len: usize) {
    // SAFETY: the caller's promise, as `fill_phys` needs it.
    unsafe { fill_phys(pa, len, 0) };
}

/// Writes formatted text to the log at INFO level, one record per line
/// (for the multi-line dumps of memblock, buddyinfo and meminfo).
pub struct LogLines {
    buf: [u8; 200],
    len: usize,
}

impl LogLines {
    pub const fn new() -> Self {
        LogLines { buf: [0; 200], len: 0 }
    }

    fn flush(&mut self) {
        let s = core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<non-UTF-8 line>");
        log::info!("{s}");
        self.len = 0;
    }
}

impl core::fmt::Write for LogLines {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if b == b'\n' {
                self.flush();
            } else if self.len < self.buf.len() {
                self.buf[self.len] = if b == b'\t' { b' ' } else { b };
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl Drop for LogLines {
    fn drop(&mut self) {
        if self.len > 0 {
            self.flush();
        }
    }
}
