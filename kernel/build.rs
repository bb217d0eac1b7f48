//! Build script for the kernel (runs on the host):
//! 1. assembles `boot/*.s` with `alpha-linux-gnu-as` and links the objects
//!    into the kernel, with `linker/kernel.ld`;
//! 2. computes, on the host, the expected results of the division and
//!    128-bit self-tests, so that the kernel checks its own arithmetic
//!    against values it did not compute itself.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

// The test-vector draws: the same SplitMix64 the self-tests use.
use splitmix::SplitMix64;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest.parent().unwrap().to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap_or_default();

    if target.contains("alpha") {
        for name in ["entry", "pal", "trap", "divide", "io", "callback"] {
            let src = repo.join("boot").join(format!("{name}.s"));
            let obj = out.join(format!("{name}.o"));
            println!("cargo:rerun-if-changed={}", src.display());
            let status = Command::new("alpha-linux-gnu-as")
                .args(["-mev6", "-o"])
                .arg(&obj)
                .arg(&src)
                .status()
                .expect("running alpha-linux-gnu-as (install binutils-alpha-linux-gnu: tools/bootstrap.sh)");
            assert!(status.success(), "assembling {} failed", src.display());
            println!("cargo:rustc-link-arg={}", obj.display());
        }
        let script = repo.join("linker").join("kernel.ld");
        println!("cargo:rerun-if-changed={}", script.display());
        println!("cargo:rustc-link-arg=-T{}", script.display());
        println!("cargo:rustc-link-arg=-static");
        // rustc adds a `symbols.o` made for its stand-in arch (mips64) to
        // keep exported symbols alive; Alpha ld cannot read it and would
        // refuse the link. Its only content is undefined references to
        // symbols the kernel defines anyway.
        println!("cargo:rustc-link-arg=--accept-unknown-input-arch");
    }

    fs::write(out.join("div_vectors.rs"), division_vectors()).unwrap();
    fs::write(out.join("wide_vectors.rs"), wide_vectors()).unwrap();
    fs::write(out.join("fmt_expected.rs"), fmt_expected()).unwrap();
    println!("cargo:rerun-if-changed=src/selftest/fmt_cases.rs");
    println!("cargo:rerun-if-changed=build.rs");
}

include!("src/selftest/fmt_cases.rs");

/// The formatting cases, formatted by the host's `core::fmt`.
fn fmt_expected() -> String {
    let mut cases = Vec::new();
    format_cases(&mut |args| cases.push(std::fmt::format(args)));
    let mut s = String::from("pub static FMT_EXPECTED: &[&str] = &[\n");
    for c in cases {
        writeln!(s, "    {c:?},").unwrap();
    }
    s.push_str("];\n");
    s
}

const EDGES: &[u64] = &[
    0, 1, 2, 3, 5, 7, 10, 255, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
    0x1_0000_0001, 1_000_000_007, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000,
    0x8000_0000_0000_0001, 0xffff_ffff_0000_0000, 0xffff_ffff_8000_0000, 0xffff_ffff_ffff_fffe,
    0xffff_ffff_ffff_ffff, 0xdead_beef_cafe_babe, 0x0123_4567_89ab_cdef,
];

fn division_vectors() -> String {
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    for &a in EDGES {
        for &b in EDGES {
            pairs.push((a, b));
        }
    }
    let mut rng = SplitMix64::new(0xa1fa_0d1f_5eed_0001);
    for _ in 0..4000 {
        let a = rng.next_u64() >> (rng.next_u64() % 64);
        let b = rng.next_u64() >> (rng.next_u64() % 64);
        pairs.push((a, b));
    }
    let mut s = String::new();
    writeln!(s, "/// (a, b, [divq, remq, divqu, remqu, divl, reml, divlu, remlu]); a result").unwrap();
    writeln!(s, "/// of `None` marks a zero divisor for that width.").unwrap();
    writeln!(s, "pub static DIV_VECTORS: &[(u64, u64, [Option<u64>; 8])] = &[").unwrap();
    for (a, b) in pairs {
        let q = |v: Option<u64>| match v {
            Some(x) => format!("Some({x:#x})"),
            None => "None".to_string(),
        };
        let (sa, sb) = (a as i64, b as i64);
        let (la, lb) = (a as i32, b as i32);
        let (ua, ub) = (a as u32, b as u32);
        let r = [
            (b != 0).then(|| sa.wrapping_div(sb) as u64),
            (b != 0).then(|| sa.wrapping_rem(sb) as u64),
            (b != 0).then(|| a / b),
            (b != 0).then(|| a % b),
            (lb != 0).then(|| la.wrapping_div(lb) as i64 as u64),
            (lb != 0).then(|| la.wrapping_rem(lb) as i64 as u64),
            (ub != 0).then(|| (ua / ub) as i32 as i64 as u64),
            (ub != 0).then(|| (ua % ub) as i32 as i64 as u64),
        ];
        let r: Vec<String> = r.into_iter().map(q).collect();
        writeln!(s, "    ({a:#x}, {b:#x}, [{}]),", r.join(", ")).unwrap();
    }
    writeln!(s, "];").unwrap();
    s
}

fn wide_vectors() -> String {
    let mut rng = SplitMix64::new(0xa1fa_0d1f_5eed_0128);
    let mut s = String::new();
    writeln!(s, "/// (a, b, a*b, a/b, a%b, a<<(b%128), a>>(b%128), (a as i128)/(b as i128))").unwrap();
    writeln!(s, "pub static WIDE_VECTORS: &[(u128, u128, u128, u128, u128, u128, u128, i128)] = &[").unwrap();
    for i in 0..512 {
        let mut a = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
        let mut b = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
        a >>= rng.next_u64() % 128;
        b >>= rng.next_u64() % 128;
        if i % 7 == 0 {
            b = (rng.next_u64() % 1000) as u128 + 1;
        }
        if b == 0 {
            b = 3;
        }
        let sh = (b % 128) as u32;
        let sdiv = (a as i128).checked_div(b as i128).unwrap_or(i128::MIN);
        writeln!(
            s,
            "    ({a:#x}, {b:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {}),",
            a.wrapping_mul(b),
            a / b,
            a % b,
            a << sh,
            a >> sh,
            sdiv
        )
        .unwrap();
    }
    writeln!(s, "];").unwrap();
    s
}
