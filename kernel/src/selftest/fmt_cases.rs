// Formatting cases shared by the kernel's self-test and its build script:
// the build script formats them on the host, the kernel on Alpha, and the
// strings must match. (`include!`d by both; no `use` of kernel items.)
pub fn format_cases(out: &mut dyn FnMut(core::fmt::Arguments)) {
    use core::hint::black_box as b;
    out(format_args!("{}", b(0u64)));
    out(format_args!("{}", b(u64::MAX)));
    out(format_args!("{}", b(i64::MIN)));
    out(format_args!("{}", b(u128::MAX)));
    out(format_args!("{}", b(i128::MIN)));
    out(format_args!("{:#x}", b(0xdead_beef_u32)));
    out(format_args!("{:#018x}", b(0xffff_fc00_0031_0000_u64)));
    out(format_args!("{:b}", b(0b1011_0010_u8)));
    out(format_args!("{:o}", b(0o755_u16)));
    out(format_args!("{:>8}|{:<8}|{:^8}", b("r"), b("l"), b("c")));
    out(format_args!("{:+}", b(42i32)));
    out(format_args!("{:.3}", b(3.14159265f64)));
    out(format_args!("{}", b(1.5e300f64)));
    out(format_args!("{:e}", b(6.02214076e23f64)));
    out(format_args!("{}", b(-0.1f32)));
    out(format_args!("{}", b(f64::NAN)));
    out(format_args!("{:?}", b((1u8, -2i16, "three", 'ß', true))));
    out(format_args!("{:?}", b([1u32, 2, 3])));
    out(format_args!("{:?}", b(Some(7i64))));
    out(format_args!("{:10.2e}", b(123456.0f64)));
}
