//! The boot stack's high-water mark. The kernel runs on one stack
//! (`__boot_stack_bottom`..`__boot_stack_top` in `linker/kernel.ld`), in
//! KSEG, with no guard page below it, and `.bss` (the allocators' state)
//! lies right below: an overflow would corrupt memory silently. So the
//! stack is painted with a pattern at boot ([`paint`]) and, at halt, the
//! deepest word no longer holding it gives the peak ([`peak`]), checked
//! against the size ([`report`]).
//!
//! Painting and reading go through `arch::mmio` (one load or store
//! instruction each): a plain volatile read of a word the same code wrote
//! could be folded by the GCC backend.

use super::{image, mmio};

/// What an unused stack word holds.
const PAINT: u64 = 0x57ac_c0de_57ac_c0de;
/// Bytes below the caller's frame left unpainted (the painting call's own
/// frame and those it makes).
const MARGIN: u64 = 4096;

/// Paints the unused part of the stack, from the bottom to `MARGIN` below
/// the caller's frame. Call once, first thing at boot.
#[inline(never)]
pub fn paint() {
    let here = 0u64;
    let sp = &raw const here as u64;
    let (bottom, top) = image::boot_stack();
    if sp < bottom + MARGIN || sp > top {
        return; // Not on the boot stack: nothing to paint.
    }
    let mut a = bottom;
    while a < (sp - MARGIN) & !7 {
        // SAFETY: `a` is an aligned word of the boot stack below the
        // current frame and its callees' (MARGIN), which nothing uses yet.
        unsafe { mmio::write64(a, PAINT) };
        a += 8;
    }
}

/// The most stack used since [`paint`] (bytes from the top down to the
/// deepest word no longer holding the paint), and the stack's size.
pub fn peak() -> (u64, u64) {
    let (bottom, top) = image::boot_stack();
    let mut a = bottom;
    // SAFETY: `a` stays inside the boot stack, aligned.
    while a < top && unsafe { mmio::read64(a) } == PAINT {
        a += 8;
    }
    (top - a, top - bottom)
}

/// The halt's line: the peak, as INFO; an ERROR when the paint's last
/// word is gone (the stack may have run into `.bss`) or less than an
/// eighth of the stack was left.
pub fn report() {
    let (used, size) = peak();
    if used >= size {
        log::error!(
            "stack: all {size} bytes used: the stack may have overflowed into .bss (the allocators' state) below it; raise BOOT_STACK_SIZE in linker/kernel.ld"
        );
    } else if used > size - size / 8 {
        log::error!("stack: peak {used} of {size} bytes: less than an eighth left; raise BOOT_STACK_SIZE in linker/kernel.ld");
    } else {
        log::info!("stack: peak {used} of {size} bytes");
    }
}

/// `stack_test`: uses the stack down to `left` bytes above its bottom (1
/// KiB frames, one call each), so that [`report`] at halt must complain;
/// proves the check can fail. Returns the frames used.
#[inline(never)]
pub fn use_down_to(left: u64) -> u32 {
    let mut frame = [0u8; 1024];
    // Keeps the frame: the optimiser may not drop or shrink it.
    frame[0] = 1;
    let frame = core::hint::black_box(frame);
    let (bottom, _) = image::boot_stack();
    let here = &raw const frame as u64;
    if here < bottom + left + 2048 {
        return frame[0] as u32;
    }
    1 + use_down_to(left)
}
