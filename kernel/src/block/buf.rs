//! Data buffers for block requests: a block of pages from the buddy
//! allocator under an owner (`selftest`, `monitor`), given back when the
//! value is dropped, so that no error path of a test or a monitor command
//! can leak it. The bytes are reached through KSEG.

use super::{BlockError, Segment};
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, fill_phys, page, phys_ptr, read_phys};
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
        // above); no reference into it is live.
        unsafe { fill_phys(self.pa + offset as u64, len, byte) };
    }

    /// The byte at `offset`.
    pub fn byte(&self, offset: usize) -> u8 {
        assert!(offset < self.len(), "read past the buffer");
        // SAFETY: inside the block this value owns (checked above).
        unsafe { read_phys(self.pa + offset as u64) }
    }
}

impl Drop for PageBuf {
    fn drop(&mut self) {
        if let Err(e) = page::free_pages(self.pa, self.order) {
            log::error!("disk buffer {:#x} (order {}): free failed: {e}", self.pa, self.order);
        }
    }
}

/// A position in a segment list, read and written as one stream of
/// bytes in the order the device sees them: a PIO transfer copies sectors
/// through it, the disk tests fill and check buffers with it.
///
/// The segments are memory the caller owns (a request's data, which the
/// device does not touch while the CPU copies: before `submit` hands it
/// over, after `submit` returned, or during a PIO transfer).
pub struct SegCursor<'a> {
    segs: &'a [Segment],
    i: usize,
    off: usize,
}

impl<'a> SegCursor<'a> {
    pub fn new(segs: &'a [Segment]) -> Self {
        SegCursor { segs, i: 0, off: 0 }
    }

    /// Copies `src` into the segments at the cursor, moving past it.
    pub fn copy_in(&mut self, src: &[u8]) -> Result<(), BlockError> {
        self.copy(src.len(), |pa, done, n| {
            // SAFETY: [pa, pa + n) lies inside one segment (see `copy`),
            // memory the caller owns (the type's text); KSEG maps it.
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr().add(done), phys_ptr::<u8>(pa), n) }
        })
    }

    /// Copies from the segments at the cursor into `dst`, moving past it.
    pub fn copy_out(&mut self, dst: &mut [u8]) -> Result<(), BlockError> {
        let out = dst.as_mut_ptr();
        self.copy(dst.len(), |pa, done, n| {
            // SAFETY: as in `copy_in`, reading; `done + n <= dst.len()`.
            unsafe { core::ptr::copy_nonoverlapping(phys_ptr::<u8>(pa) as *const u8, out.add(done), n) }
        })
    }

    /// The next byte of the stream; `None` at the end.
    pub fn read(&mut self) -> Option<u8> {
        let mut b = [0u8];
        self.copy_out(&mut b).ok().map(|_| b[0])
    }

    /// Writes the next byte of the stream; false at the end.
    pub fn write(&mut self, b: u8) -> bool {
        self.copy_in(&[b]).is_ok()
    }

    /// Walks `len` bytes from the cursor, one piece per segment: `each(pa,
    /// done, n)` for the piece at `pa` of `n` bytes, `done` bytes into the
    /// walk. Stops with an error, the cursor at the end, when the segments
    /// run out first.
    fn copy(&mut self, len: usize, mut each: impl FnMut(PhysAddr, usize, usize)) -> Result<(), BlockError> {
        let mut done = 0;
        while done < len {
            let seg = self.segs.get(self.i).ok_or(BlockError::Invalid("segments shorter than the sectors"))?;
            let n = (seg.len - self.off).min(len - done);
            each(seg.pa + self.off as u64, done, n);
            done += n;
            self.off += n;
            while self.i < self.segs.len() && self.off >= self.segs[self.i].len {
                self.off -= self.segs[self.i].len;
                self.i += 1;
            }
        }
        Ok(())
    }
}
