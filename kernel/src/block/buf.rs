//! Data buffers for block requests: a block of pages from the buddy
//! allocator under an owner (`selftest`, `monitor`), given back when the
//! value is dropped, so that no error path of a test or a monitor command
//! can leak it. The bytes are reached through KSEG.

use super::Segment;
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page, phys_ptr};
use alloc::format;
use alloc::string::String;

/// `2^order` pages, owned until dropped.
pub struct PageBuf {
    pa: PhysAddr,
    order: u32,
}

impl PageBuf {
    /// The smallest block of at least `bytes` bytes (zeroed: no earlier
    /// owner's data can pass for a device's).
    pub fn alloc(bytes: usize, owner: Owner) -> Result<PageBuf, String> {
        let pages = (bytes as u64).div_ceil(PAGE_SIZE).max(1);
        let order = pages.next_power_of_two().trailing_zeros();
        Self::alloc_order(order, owner)
    }

    pub fn alloc_order(order: u32, owner: Owner) -> Result<PageBuf, String> {
        page::alloc_pages(order, true, owner)
            .map(|pa| PageBuf { pa, order })
            .map_err(|e| format!("no order-{order} block for a disk buffer: {e}"))
    }

    pub fn pa(&self) -> PhysAddr {
        self.pa
    }

    pub fn len(&self) -> usize {
        (PAGE_SIZE << self.order) as usize
    }

    /// The segment of `len` bytes at `offset`.
    pub fn seg(&self, offset: usize, len: usize) -> Segment {
        assert!(offset + len <= self.len(), "segment past the buffer");
        Segment { pa: self.pa + offset as u64, len }
    }

    /// Sets `len` bytes at `offset` to `byte`.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) {
        assert!(offset + len <= self.len(), "fill past the buffer");
        // SAFETY: the range lies inside the block this value owns (checked
        // above), reached through KSEG; no reference into it is live.
        unsafe { core::ptr::write_bytes(phys_ptr::<u8>(self.pa + offset as u64), byte, len) };
    }

    /// The byte at `offset`.
    pub fn byte(&self, offset: usize) -> u8 {
        assert!(offset < self.len(), "read past the buffer");
        // SAFETY: inside the block this value owns (checked above).
        unsafe { phys_ptr::<u8>(self.pa + offset as u64).read_volatile() }
    }
}

impl Drop for PageBuf {
    fn drop(&mut self) {
        if let Err(e) = page::free_pages(self.pa, self.order) {
            log::error!("disk buffer {:#x} (order {}): free failed: {e}", self.pa, self.order);
        }
    }
}

/// Reads and writes the bytes of a segment list in order, as the device
/// sees them: one stream across the segments.
pub struct SegCursor<'a> {
    segs: &'a [Segment],
    i: usize,
    off: usize,
}

impl<'a> SegCursor<'a> {
    pub fn new(segs: &'a [Segment]) -> Self {
        SegCursor { segs, i: 0, off: 0 }
    }

    /// Where the next byte is, moving past it; `None` at the end.
    fn next_pa(&mut self) -> Option<PhysAddr> {
        while let Some(s) = self.segs.get(self.i) {
            if self.off < s.len {
                let pa = s.pa + self.off as u64;
                self.off += 1;
                return Some(pa);
            }
            self.i += 1;
            self.off = 0;
        }
        None
    }

    /// The next byte of the stream.
    pub fn read(&mut self) -> Option<u8> {
        let pa = self.next_pa()?;
        // SAFETY: the segments are memory the caller owns (a request's
        // data, which the device no longer touches once `submit` returned).
        Some(unsafe { phys_ptr::<u8>(pa).read_volatile() })
    }

    /// Writes the next byte of the stream; false at the end.
    pub fn write(&mut self, b: u8) -> bool {
        let Some(pa) = self.next_pa() else { return false };
        // SAFETY: as in `read`; the caller owns the memory and has not
        // handed it to the device yet.
        unsafe { phys_ptr::<u8>(pa).write_volatile(b) };
        true
    }
}
