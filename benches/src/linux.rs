//! Baselines transcribed from Linux, written for these benchmarks.
//!
//! * `bitmap`: `lib/find_bit.c` (`find_next_bit`, `find_next_zero_bit`,
//!   a word at a time, as Linux really does it), a bit-at-a-time variant of
//!   the same two functions, and `lib/bitmap.c`
//!   (`bitmap_find_next_zero_area_off`, `__bitmap_set`, `__bitmap_clear`);
//! * `LinuxCma`: the bitmap part of `mm/cma.c` (`cma_alloc` without the
//!   migration step, `cma_release`), on top of either search;
//! * `LinuxIommuArena`: `arch/alpha/kernel/pci_iommu.c`
//!   (`iommu_arena_find_pages`, `iommu_arena_alloc`, `iommu_arena_free`
//!   and the unmap path's flush check), with `lib/iommu-helper.c`'s
//!   `iommu_is_span_boundary`.
//!
//! `unsigned long` is `u64` (Alpha, and the x86-64 host), so the bitmaps are
//! `[u64]`, bit `i` in word `i / 64` at position `i % 64`.

/// `lib/find_bit.c` and `lib/bitmap.c`.
pub mod bitmap {
    const BITS: usize = 64;

    /// `BITMAP_FIRST_WORD_MASK(start)`.
    #[inline]
    fn first_word_mask(start: usize) -> u64 {
        !0u64 << (start % BITS)
    }

    /// `BITMAP_LAST_WORD_MASK(nbits)`.
    #[inline]
    fn last_word_mask(nbits: usize) -> u64 {
        !0u64 >> (nbits.wrapping_neg() % BITS)
    }

    /// `FIND_NEXT_BIT(FETCH, MUNGE, size, start)` with `FETCH` = `map[idx]`
    /// or `~map[idx]` (`invert`).
    #[inline]
    fn find_next(map: &[u64], size: usize, start: usize, invert: bool) -> usize {
        if start >= size {
            return size;
        }
        let fetch = |i: usize| if invert { !map[i] } else { map[i] };
        let mut idx = start / BITS;
        let mut tmp = fetch(idx) & first_word_mask(start);
        while tmp == 0 {
            idx += 1;
            if idx * BITS >= size {
                return size;
            }
            tmp = fetch(idx);
        }
        (idx * BITS + tmp.trailing_zeros() as usize).min(size)
    }

    /// `find_next_bit`: the first set bit at or after `start`, else `size`.
    pub fn find_next_bit(map: &[u64], size: usize, start: usize) -> usize {
        find_next(map, size, start, false)
    }

    /// `find_next_zero_bit`: the first clear bit at or after `start`, else `size`.
    pub fn find_next_zero_bit(map: &[u64], size: usize, start: usize) -> usize {
        find_next(map, size, start, true)
    }

    #[inline]
    fn test_bit(map: &[u64], i: usize) -> bool {
        map[i / BITS] >> (i % BITS) & 1 != 0
    }

    /// `find_next_bit` one bit at a time (`test_bit` in a loop).
    pub fn find_next_bit_bitwise(map: &[u64], size: usize, start: usize) -> usize {
        let mut i = start;
        while i < size && !test_bit(map, i) {
            i += 1;
        }
        i.min(size)
    }

    /// `find_next_zero_bit` one bit at a time.
    pub fn find_next_zero_bit_bitwise(map: &[u64], size: usize, start: usize) -> usize {
        let mut i = start;
        while i < size && test_bit(map, i) {
            i += 1;
        }
        i.min(size)
    }

    /// `bitmap_find_next_zero_area_off` (lib/bitmap.c), with the word-wise
    /// (`BITWISE = false`, what Linux runs) or the bit-at-a-time search.
    /// Returns the start, or a value `> size - nr` (Linux returns `end`)
    /// when there is no room.
    pub fn find_next_zero_area_off<const BITWISE: bool>(
        map: &[u64],
        size: usize,
        mut start: usize,
        nr: usize,
        align_mask: usize,
        align_offset: usize,
    ) -> usize {
        loop {
            let index = if BITWISE {
                find_next_zero_bit_bitwise(map, size, start)
            } else {
                find_next_zero_bit(map, size, start)
            };
            // Align allocation: __ALIGN_MASK(index + align_offset, align_mask) - align_offset
            let index = ((index + align_offset + align_mask) & !align_mask) - align_offset;
            let end = index + nr;
            if end > size {
                return end;
            }
            let i = if BITWISE {
                find_next_bit_bitwise(map, end, index)
            } else {
                find_next_bit(map, end, index)
            };
            if i < end {
                start = i + 1;
                continue;
            }
            return index;
        }
    }

    /// `__bitmap_set`.
    pub fn bitmap_set(map: &mut [u64], start: usize, len: usize) {
        let size = start + len;
        let mut p = start / BITS;
        let mut len = len as isize;
        let mut bits_to_set = (BITS - start % BITS) as isize;
        let mut mask = first_word_mask(start);
        while len - bits_to_set >= 0 {
            map[p] |= mask;
            len -= bits_to_set;
            bits_to_set = BITS as isize;
            mask = !0;
            p += 1;
        }
        if len != 0 {
            mask &= last_word_mask(size);
            map[p] |= mask;
        }
    }

    /// `__bitmap_clear`.
    pub fn bitmap_clear(map: &mut [u64], start: usize, len: usize) {
        let size = start + len;
        let mut p = start / BITS;
        let mut len = len as isize;
        let mut bits_to_clear = (BITS - start % BITS) as isize;
        let mut mask = first_word_mask(start);
        while len - bits_to_clear >= 0 {
            map[p] &= !mask;
            len -= bits_to_clear;
            bits_to_clear = BITS as isize;
            mask = !0;
            p += 1;
        }
        if len != 0 {
            mask &= last_word_mask(size);
            map[p] &= !mask;
        }
    }
}

/// The bitmap allocator of `mm/cma.c` (`cma_alloc` / `cma_release`), without
/// page migration (`alloc_contig_range`), which the kernel's CMA does not
/// do either. `BITWISE` selects the bit-at-a-time search.
pub struct LinuxCma<const BITWISE: bool> {
    base_pfn: usize,
    count: usize,
    order_per_bit: u32,
    bitmap: Vec<u64>,
}

impl<const BITWISE: bool> LinuxCma<BITWISE> {
    /// `count` pages from `base_pfn`, one bit per `2^order_per_bit` pages.
    pub fn new(base_pfn: usize, count: usize, order_per_bit: u32) -> Self {
        let bits = count >> order_per_bit;
        LinuxCma {
            base_pfn,
            count,
            order_per_bit,
            bitmap: vec![0; bits.div_ceil(64)],
        }
    }

    fn bitmap_maxno(&self) -> usize {
        self.count >> self.order_per_bit
    }

    fn aligned_mask(&self, align_order: u32) -> usize {
        if align_order <= self.order_per_bit {
            0
        } else {
            (1usize << (align_order - self.order_per_bit)) - 1
        }
    }

    fn aligned_offset(&self, align_order: u32) -> usize {
        (self.base_pfn & ((1usize << align_order) - 1)) >> self.order_per_bit
    }

    fn pages_to_bits(&self, pages: usize) -> usize {
        pages.next_multiple_of(1 << self.order_per_bit) >> self.order_per_bit
    }

    /// `cma_alloc(cma, count, align, ...)`: the first pfn, or `None`.
    pub fn alloc(&mut self, count: usize, align_order: u32) -> Option<usize> {
        if count == 0 {
            return None;
        }
        let mask = self.aligned_mask(align_order);
        let offset = self.aligned_offset(align_order);
        let maxno = self.bitmap_maxno();
        let nbits = self.pages_to_bits(count);
        if nbits > maxno {
            return None;
        }
        let no =
            bitmap::find_next_zero_area_off::<BITWISE>(&self.bitmap, maxno, 0, nbits, mask, offset);
        if no >= maxno || no + nbits > maxno {
            return None;
        }
        bitmap::bitmap_set(&mut self.bitmap, no, nbits);
        Some(self.base_pfn + (no << self.order_per_bit))
    }

    /// `cma_release(cma, pages, count)` (`cma_clear_bitmap`).
    pub fn release(&mut self, pfn: usize, count: usize) -> bool {
        if pfn < self.base_pfn || pfn + count > self.base_pfn + self.count {
            return false;
        }
        let no = (pfn - self.base_pfn) >> self.order_per_bit;
        let nbits = self.pages_to_bits(count);
        bitmap::bitmap_clear(&mut self.bitmap, no, nbits);
        true
    }
}

/// `IOMMU_INVALID_PTE` (arch/alpha/kernel/pci_impl.h).
const IOMMU_INVALID_PTE: u64 = 0x2;
const PAGE_SHIFT: u32 = 13;

/// `struct pci_iommu_arena` and its allocator, arch/alpha/kernel/pci_iommu.c.
pub struct LinuxIommuArena {
    ptes: Vec<u64>,
    dma_base: u64,
    next_entry: usize,
    align_entry: usize,
    /// `dma_get_seg_boundary_nr_pages(dev, PAGE_SHIFT)` for the default
    /// 4 GiB segment boundary.
    boundary_size: usize,
    /// `alpha_mv.mv_pci_tbi` calls: (all, ranged).
    pub tbi: (u64, u64),
}

/// `iommu_is_span_boundary` (lib/iommu-helper.c).
#[inline]
fn iommu_is_span_boundary(index: usize, nr: usize, shift: usize, boundary_size: usize) -> bool {
    let shift = (shift + index) & (boundary_size - 1);
    shift + nr > boundary_size
}

#[inline]
fn align(x: usize, a: usize) -> usize {
    (x + a - 1) & !(a - 1)
}

impl LinuxIommuArena {
    /// `iommu_arena_new` + `arena->align_entry = align_entry` (4 on
    /// Tsunami: "Tsunami caches 4 PTEs at a time").
    pub fn new(dma_base: u64, entries: usize, align_entry: usize) -> Self {
        LinuxIommuArena {
            ptes: vec![0; entries],
            dma_base,
            next_entry: 0,
            align_entry,
            boundary_size: ((u32::MAX as u64) >> PAGE_SHIFT) as usize + 1,
            tbi: (0, 0),
        }
    }

    /// `alpha_mv.mv_pci_tbi(hose, start, end)`: counted, otherwise a no-op
    /// (like the benchmark's `IommuTlb` for ours).
    #[inline(never)]
    fn pci_tbi(&mut self, start: u64, end: u64) {
        if start == 0 && end == u64::MAX {
            self.tbi.0 += 1;
        } else {
            self.tbi.1 += 1;
        }
        std::hint::black_box((start, end));
    }

    /// `iommu_arena_find_pages`: linear first fit from `next_entry`, one PTE
    /// at a time; on reaching the end, flush the TLB and search from 0.
    fn find_pages(&mut self, n: usize, mask: usize) -> Option<usize> {
        let base = (self.dma_base >> PAGE_SHIFT) as usize;
        let nent = self.ptes.len();
        let mut p = align(self.next_entry, mask + 1);
        let mut i = 0;
        let mut pass = 0;
        loop {
            while i < n && p + i < nent {
                if i == 0 && iommu_is_span_boundary(p, n, base, self.boundary_size) {
                    p = align(p + 1, mask + 1);
                    continue;
                }
                if self.ptes[p + i] != 0 {
                    p = align(p + i + 1, mask + 1);
                    i = 0;
                } else {
                    i += 1;
                }
            }
            if i < n {
                if pass < 1 {
                    // Reached the end. Flush the TLB and restart the search
                    // from the beginning.
                    self.pci_tbi(0, u64::MAX);
                    pass += 1;
                    p = 0;
                    i = 0;
                    continue;
                }
                return None;
            }
            return Some(p);
        }
    }

    /// `iommu_arena_alloc(dev, arena, n, align)`: the first entry, or `None`.
    pub fn alloc(&mut self, n: usize, align: usize) -> Option<usize> {
        let mask = align.max(self.align_entry) - 1;
        let p = self.find_pages(n, mask)?;
        for pte in &mut self.ptes[p..p + n] {
            *pte = IOMMU_INVALID_PTE;
        }
        self.next_entry = p + n;
        Some(p)
    }

    /// `iommu_arena_free` plus the flush check of `alpha_pci_unmap_page`:
    /// "If we're freeing ptes above the `next_entry' pointer ... we need to
    /// flush the TLB before reallocating the latter."
    pub fn free(&mut self, ofs: usize, n: usize) {
        for pte in &mut self.ptes[ofs..ofs + n] {
            *pte = 0;
        }
        if ofs >= self.next_entry {
            let dma = self.dma_base + ((ofs as u64) << PAGE_SHIFT);
            self.pci_tbi(dma, dma + ((n as u64) << PAGE_SHIFT) - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_search_word_and_bit_agree() {
        let mut map = vec![0u64; 4];
        bitmap::bitmap_set(&mut map, 3, 70);
        for (nr, mask) in [(1, 0), (5, 7), (100, 0)] {
            let a = bitmap::find_next_zero_area_off::<false>(&map, 256, 0, nr, mask, 0);
            let b = bitmap::find_next_zero_area_off::<true>(&map, 256, 0, nr, mask, 0);
            assert_eq!(a, b);
        }
        assert_eq!(
            bitmap::find_next_zero_area_off::<false>(&map, 256, 0, 2, 0, 0),
            0
        );
        assert_eq!(
            bitmap::find_next_zero_area_off::<false>(&map, 256, 0, 4, 0, 0),
            73
        );
        bitmap::bitmap_clear(&mut map, 3, 70);
        assert!(map.iter().all(|&w| w == 0));
    }

    #[test]
    fn iommu_arena_first_fit_with_lines() {
        let mut a = LinuxIommuArena::new(0x4000_0000, 64, 4);
        assert_eq!(a.alloc(3, 0), Some(0));
        assert_eq!(a.alloc(1, 0), Some(4));
        a.free(0, 3);
        assert_eq!(a.alloc(2, 0), Some(8));
    }
}
