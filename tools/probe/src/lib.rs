//! Toolchain probe: if this compiles to elf64-alpha with Alpha instructions,
//! rustc, rustc_codegen_gcc, libgccjit and binutils agree.
#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// Mixes multiply, shift and xor so the disassembly must contain real Alpha
/// integer instructions.
#[unsafe(no_mangle)]
pub extern "C" fn probe_mix(a: u64, b: u64) -> u64 {
    let x = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (b >> 7);
    x.rotate_left(13).wrapping_add(b << 3)
}
