//! Physical memory management, the Linux way: the HWRPB's memory clusters
//! fill a memblock table ([`boot`]), which reserves what is in use, places
//! the CMA area, and hands every remaining page to the buddy allocator
//! ([`page`]); the kernel heap ([`heap`]) grows from buddy pages.

pub mod accounting;
pub mod boot;
pub mod heap;
pub mod owner;
pub mod page;

use crate::arch::{kseg_to_phys, phys_to_kseg};

pub use accounting::accounting;

/// Alpha pages are 8 KiB.
pub const PAGE_SHIFT: u32 = 13;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

pub const fn pfn_to_phys(pfn: u64) -> u64 {
    pfn << PAGE_SHIFT
}

pub const fn phys_to_pfn(pa: u64) -> u64 {
    pa >> PAGE_SHIFT
}

/// A kernel pointer to physical memory (through KSEG).
pub fn phys_ptr<T>(pa: u64) -> *mut T {
    phys_to_kseg(pa) as *mut T
}

/// The physical address of a kernel pointer into KSEG.
pub fn virt_to_phys<T>(p: *const T) -> u64 {
    kseg_to_phys(p as u64)
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
