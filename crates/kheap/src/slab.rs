//! One slab: a `SLAB_SIZE`-aligned chunk carved from a region, its header at
//! the start, then `nobjs` objects of one class.
//!
//! Objects `0..bump` have been handed out at least once; each is either
//! allocated (its bit in `map` set) or on the intrusive free list (a `u16`
//! index of the next free object stored in its first bytes, `NONE` ends the
//! list). Objects `bump..nobjs` were never used, so a new slab costs a
//! header write, not a pass over its objects. `map` is the authority: frees
//! check it (double free, not an object) and a free-list link that it
//! contradicts (a write after free) is detected and the list rebuilt from it.

use crate::class::{ClassInfo, SLAB_SIZE};

/// Bitmap words: enough for the most objects any class has (16-byte
/// objects after a 96-byte header: 506).
pub(crate) const MAP_WORDS: usize = 8;

/// End of a free list.
pub(crate) const NONE: u16 = u16::MAX;

/// Header magic, XORed with the header's own address: a copy of a header
/// anywhere else does not match, and memory that is not a slab matches only
/// by a 2^-64 accident. Cleared when the slab goes back to its region.
pub(crate) const MAGIC: usize = 0x5ab1_e0b1_ec75_4a1f_u64 as usize;

#[repr(C)]
pub(crate) struct Slab {
    /// `MAGIC ^ (address of this header)` while the slab is live.
    pub magic: usize,
    /// Neighbours on the class's partial list (null at the ends, and
    /// while the slab is full and on no list).
    pub next: *mut Slab,
    pub prev: *mut Slab,
    /// First free object, or `NONE`.
    pub head: u16,
    /// Allocated objects.
    pub inuse: u16,
    /// Objects ever handed out (the free list only holds indices below it).
    pub bump: u16,
    /// Class index.
    pub class: u8,
    /// Region slot the chunk was carved from.
    pub region: u8,
    /// Bit `i` set: object `i` is allocated.
    pub map: [u64; MAP_WORDS],
}

impl Slab {
    /// Address of object `i`.
    #[inline]
    pub fn obj(s: *mut Slab, info: &ClassInfo, i: u16) -> *mut u8 {
        (s as usize + info.first as usize + i as usize * info.size as usize) as *mut u8
    }

    /// Index of the object starting at `p`, if `p` is an object start
    /// below `bump`.
    ///
    /// # Safety
    /// `s` is a live slab header and `p` lies in its chunk.
    #[inline]
    pub unsafe fn index_of(s: *mut Slab, info: &ClassInfo, p: usize) -> Option<u16> {
        let off = p.checked_sub(s as usize + info.first as usize)?;
        let i = ((off as u64 * info.recip) >> 32) as usize;
        // SAFETY: the caller's contract.
        let bump = unsafe { (*s).bump } as usize;
        (i * info.size as usize == off && i < bump).then_some(i as u16)
    }

    /// # Safety
    /// `s` is a live slab header, `i < nobjs`.
    #[inline]
    pub unsafe fn is_allocated(s: *mut Slab, i: u16) -> bool {
        unsafe { (*s).map[i as usize / 64] >> (i % 64) & 1 != 0 }
    }

    /// # Safety
    /// As for [`Slab::is_allocated`].
    #[inline]
    pub unsafe fn toggle(s: *mut Slab, i: u16) {
        unsafe { (*s).map[i as usize / 64] ^= 1 << (i % 64) }
    }

    /// Makes a fresh slab header at `p` (a `SLAB_SIZE`-aligned chunk).
    ///
    /// # Safety
    /// `p` is a `SLAB_SIZE`-aligned chunk of `SLAB_SIZE` bytes owned by the
    /// caller.
    pub unsafe fn init(p: *mut u8, class: u8, region: u8) -> *mut Slab {
        debug_assert_eq!(p as usize % SLAB_SIZE, 0);
        let s = p as *mut Slab;
        // SAFETY: the caller's contract.
        unsafe {
            s.write(Slab {
                magic: MAGIC ^ p as usize,
                next: core::ptr::null_mut(),
                prev: core::ptr::null_mut(),
                head: NONE,
                inuse: 0,
                bump: 0,
                class,
                region,
                map: [0; MAP_WORDS],
            });
        }
        s
    }

    /// Takes a free object (the slab must not be full). Returns it and
    /// whether the free list had to be rebuilt (a link contradicted the
    /// bitmap: something wrote into a freed object).
    ///
    /// # Safety
    /// `s` is a live, non-full slab of class `info`.
    #[inline(always)]
    pub unsafe fn pop(s: *mut Slab, info: &ClassInfo) -> (*mut u8, bool) {
        unsafe {
            let head = (*s).head;
            let i = if head != NONE {
                // The common case: the head of the free list, whose link
                // must agree with the bitmap (else the slow path rebuilds).
                let next = (Slab::obj(s, info, head) as *const u16).read();
                if next != NONE && (next >= (*s).bump || next == head || Slab::is_allocated(s, next)) {
                    return Slab::pop_slow(s, info);
                }
                (*s).head = next;
                head
            } else if (*s).bump < info.nobjs {
                let i = (*s).bump;
                (*s).bump += 1;
                i
            } else {
                return Slab::pop_slow(s, info);
            };
            Slab::toggle(s, i);
            (*s).inuse += 1;
            (Slab::obj(s, info, i), false)
        }
    }

    /// [`Slab::pop`] when the free list contradicts the bitmap (a link cut
    /// or overwritten after free): rebuild the list from the bitmap, then
    /// take its head. Out of line, so the common path stays small.
    ///
    /// # Safety
    /// As for [`Slab::pop`].
    #[cold]
    #[inline(never)]
    unsafe fn pop_slow(s: *mut Slab, info: &ClassInfo) -> (*mut u8, bool) {
        unsafe {
            Slab::rebuild(s, info);
            // Not full, so the rebuilt list holds a free object below
            // `bump`, or (all below `bump` allocated) `bump` is unused.
            let i = if (*s).head != NONE {
                let i = (*s).head;
                (*s).head = (Slab::obj(s, info, i) as *const u16).read();
                i
            } else {
                let i = (*s).bump;
                (*s).bump += 1;
                i
            };
            Slab::toggle(s, i);
            (*s).inuse += 1;
            (Slab::obj(s, info, i), true)
        }
    }

    /// Puts object `i` (allocated) on the free list.
    ///
    /// # Safety
    /// `s` is a live slab of class `info`, object `i` is allocated.
    #[inline]
    pub unsafe fn push(s: *mut Slab, info: &ClassInfo, i: u16) {
        unsafe {
            Slab::toggle(s, i);
            (Slab::obj(s, info, i) as *mut u16).write((*s).head);
            (*s).head = i;
            (*s).inuse -= 1;
        }
    }

    /// Rebuilds the free list from the bitmap: every free object below
    /// `bump`, lowest first.
    ///
    /// # Safety
    /// `s` is a live slab of class `info`.
    pub unsafe fn rebuild(s: *mut Slab, info: &ClassInfo) {
        unsafe {
            let mut head = NONE;
            for i in (0..(*s).bump).rev() {
                if !Slab::is_allocated(s, i) {
                    (Slab::obj(s, info, i) as *mut u16).write(head);
                    head = i;
                }
            }
            (*s).head = head;
        }
    }

    /// Length of the free list, or `None` if it is inconsistent with the
    /// bitmap (for [`crate::KHeap::check`]).
    ///
    /// # Safety
    /// `s` is a live slab of class `info`.
    pub unsafe fn free_list_len(s: *mut Slab, info: &ClassInfo) -> Option<usize> {
        unsafe {
            let mut n = 0;
            let mut i = (*s).head;
            while i != NONE {
                if i >= (*s).bump || Slab::is_allocated(s, i) || n > info.nobjs as usize {
                    return None;
                }
                n += 1;
                i = (Slab::obj(s, info, i) as *const u16).read();
            }
            Some(n)
        }
    }
}
