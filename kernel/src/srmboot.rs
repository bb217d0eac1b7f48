//! What the SRM boot stub (`boot/srm-stub.s`) tells the kernel, and the
//! kernel's own check of the image the stub copied.
//!
//! The stub writes the command line at the start of the command-line page
//! (as QEMU's `-append` does) and, at +0x100, a handoff block: magic
//! "SRMBOOT1", then what it did (PAL switch, where the command line came
//! from, direct or bounce copy), the kernel's length and checksum from the
//! boot program's header, and the checksum it measured on the copy. A boot
//! by QEMU's `-kernel` leaves that page zero past the command line, so no
//! block is found and nothing is reported.
//!
//! [`measure`] must run first thing in `kernel_main`: it sums the kernel's
//! loaded bytes (text, rodata, data) before anything writes to `.data`.

use crate::arch::image;
use log::{error, info};

const MAGIC: [u8; 8] = *b"SRMBOOT1";
/// Offset of the block in the command-line page (after 256 bytes of text).
const OFFSET: u64 = 0x100;
/// Size the stub writes into the block's second quadword.
const SIZE: u64 = 0x60;

/// Flag bits (the stub's `F_*`).
mod flag {
    pub const SWPPAL: u64 = 1;
    pub const GET_ENV: u64 = 2;
    pub const QEMU_APPEND: u64 = 4;
    pub const BOUNCE: u64 = 8;
}

/// The handoff block, plus the kernel's own measurement.
#[derive(Clone, Copy, Debug)]
pub struct Handoff {
    flags: u64,
    len: u64,
    checksum: u64,
    stub_measured: u64,
    /// `None` if the length is not one the kernel can check (not a multiple
    /// of 8, or larger than the image).
    kernel_measured: Option<u64>,
    stub_va: u64,
    src_pa: u64,
    bounce: u64,
    tail: u64,
    pal_before: u64,
    pal_after: u64,
}

/// Reads the stub's handoff block, if there is one, and sums the kernel's
/// first `len` bytes as they are now (before `.data` is first written).
pub fn measure() -> Option<Handoff> {
    let block = image::cmdline() + OFFSET;
    // SAFETY: the command-line page is part of the kernel's reserved layout
    // (linker/kernel.ld); reading it has no side effects.
    let q = |i: u64| unsafe { core::ptr::read_volatile((block + 8 * i) as *const u64) };
    if q(0).to_le_bytes() != MAGIC || q(1) != SIZE {
        return None;
    }
    let len = q(3);
    let start = image::start();
    let kernel_measured = (len % 8 == 0 && len <= image::end() - start).then(|| {
        (0..len / 8).fold(0u64, |sum, i| {
            // SAFETY: inside the kernel's own image, which is mapped (KSEG).
            sum.wrapping_add(unsafe { core::ptr::read_volatile((start + 8 * i) as *const u64) })
        })
    });
    Some(Handoff {
        flags: q(2),
        len,
        checksum: q(4),
        stub_measured: q(5),
        kernel_measured,
        stub_va: q(6),
        src_pa: q(7),
        bounce: q(8),
        tail: q(9),
        pal_before: q(10),
        pal_after: q(11),
    })
}

/// Logs what the stub did and whether the image the kernel runs from is the
/// one the boot program carried (an error if not).
pub fn report(h: Option<&Handoff>) {
    let Some(h) = h else {
        return;
    };
    let pal = if h.flags & flag::SWPPAL != 0 {
        "switched to OSF/1 PALcode with swppal"
    } else {
        "already in OSF/1 PALcode"
    };
    let cmdline = if h.flags & flag::GET_ENV != 0 {
        "SRM's boot flags (GET_ENV booted_osflags)"
    } else if h.flags & flag::QEMU_APPEND != 0 {
        "QEMU's -append page (GET_ENV not supported)"
    } else {
        "nowhere (GET_ENV failed; empty)"
    };
    info!(
        "srm boot stub: booted by the stub at {:#x}: {pal} (PAL revision {:#x} -> {:#x}); command line from {cmdline}",
        h.stub_va, h.pal_before, h.pal_after
    );
    if h.flags & flag::BOUNCE != 0 {
        info!(
            "srm boot stub: kernel copied from physical {:#x} through a bounce buffer at {:#x} (its pages overlapped the destination), by the tail at {:#x}",
            h.src_pa, h.bounce, h.tail
        );
    } else {
        info!("srm boot stub: kernel copied directly from physical {:#x} by the tail at {:#x}", h.src_pa, h.tail);
    }
    match h.kernel_measured {
        Some(k) if k == h.checksum && h.stub_measured == h.checksum => info!(
            "srm boot stub: image check: {} bytes at {:#x}, checksum {:#018x} as in the boot program's header, on the stub's copy and by the kernel's own sum",
            h.len,
            image::start(),
            h.checksum
        ),
        k => error!(
            "srm boot stub: image check FAILED: {} bytes, header checksum {:#018x}, the stub measured {:#018x}, the kernel measured {}",
            h.len,
            h.checksum,
            h.stub_measured,
            match k {
                Some(k) => alloc::format!("{k:#018x}"),
                None => alloc::string::String::from("nothing (length not a multiple of 8 or larger than the image)"),
            }
        ),
    }
}
