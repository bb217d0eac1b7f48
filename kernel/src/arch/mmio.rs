//! Memory-mapped I/O: every access is one instruction in `boot/io.s`
//! behind an opaque call, with Alpha's I/O barriers. Use these, not
//! `read_volatile`/`write_volatile`, for device registers: the GCC backend
//! was seen folding a volatile read into the preceding volatile write to
//! the same register (see `boot/io.s`).

unsafe extern "C" {
    fn alpha_ioread8(addr: u64) -> u8;
    fn alpha_ioread16(addr: u64) -> u16;
    fn alpha_ioread32(addr: u64) -> u32;
    fn alpha_ioread64(addr: u64) -> u64;
    fn alpha_iowrite8(addr: u64, v: u8);
    fn alpha_iowrite16(addr: u64, v: u16);
    fn alpha_iowrite32(addr: u64, v: u32);
    fn alpha_iowrite64(addr: u64, v: u64);
}

// SAFETY (all): the caller guarantees `addr` is a device register (or
// memory) of this width, naturally aligned, mapped through KSEG.
pub unsafe fn read8(addr: u64) -> u8 {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_ioread8(addr) }
}
pub unsafe fn read16(addr: u64) -> u16 {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_ioread16(addr) }
}
pub unsafe fn read32(addr: u64) -> u32 {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_ioread32(addr) }
}
pub unsafe fn read64(addr: u64) -> u64 {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_ioread64(addr) }
}
pub unsafe fn write8(addr: u64, v: u8) {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_iowrite8(addr, v) }
}
pub unsafe fn write16(addr: u64, v: u16) {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_iowrite16(addr, v) }
}
pub unsafe fn write32(addr: u64, v: u32) {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_iowrite32(addr, v) }
}
pub unsafe fn write64(addr: u64, v: u64) {
    // SAFETY: the caller guarantees `addr` (this function's contract).
    unsafe { alpha_iowrite64(addr, v) }
}
