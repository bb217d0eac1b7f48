//! Structure-aware fuzz target: a valid HWRPB from `hwrpb::builder` (QEMU
//! or SRM style, 1-4 CPUs, QEMU's clusters or a list of up to 6 chosen by
//! the input, which may be unsorted or overlapping), then one named field
//! (sometimes two) changed to a boundary value, a flipped bit, a nearby
//! value or raw input bytes, the header checksum re-fixed (7 times in 8),
//! and `Hwrpb::inspect` run for a CPU 0-4 with every invariant checked
//! (`check_inspection`). Reaches the table and cluster checks far more
//! often than random bytes do.
//!
//! Run from `crates/hwrpb`: `cargo fuzz run mutate`.

#![no_main]

use hwrpb::builder::{check_inspection, mutated_image};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (img, cpu) = mutated_image(data);
    let _ = check_inspection(&img, cpu);
    // What the kernel reads: `readable_size` bytes from the start.
    if let Ok(len) = hwrpb::readable_size(&img) {
        let _ = check_inspection(&img[..len.min(img.len())], cpu);
    }
});
