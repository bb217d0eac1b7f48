//! Arithmetic, atomics, formatting and heap self-tests.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering::SeqCst};

include!(concat!(env!("OUT_DIR"), "/div_vectors.rs"));
include!(concat!(env!("OUT_DIR"), "/wide_vectors.rs"));
include!(concat!(env!("OUT_DIR"), "/fmt_expected.rs"));
include!("fmt_cases.rs");

unsafe extern "C" {
    fn alpha_millicode_call(a: u64, b: u64, routine: unsafe extern "C" fn(), regs: *mut [u64; 32]) -> u64;
    fn __divq();
    fn __remq();
    fn __divqu();
    fn __remqu();
    fn __divl();
    fn __reml();
    fn __divlu();
    fn __remlu();
}

const ROUTINES: [(&str, unsafe extern "C" fn()); 8] = [
    ("__divq", __divq),
    ("__remq", __remq),
    ("__divqu", __divqu),
    ("__remqu", __remqu),
    ("__divl", __divl),
    ("__reml", __reml),
    ("__divlu", __divlu),
    ("__remlu", __remlu),
];

/// Calls each millicode routine directly (its own register convention) for
/// every host-computed vector, including MIN / -1, and checks the result and
/// that every register other than the result and `at` was preserved.
pub fn division_millicode() -> Result<String, String> {
    let mut checked = 0;
    for &(a, b, expect) in DIV_VECTORS {
        for (i, (name, routine)) in ROUTINES.iter().enumerate() {
            let Some(want) = expect[i] else { continue };
            let mut regs = [0u64; 32];
            // SAFETY: the trampoline calls a millicode routine with a and
            // b and stores the registers it returned with into `regs`.
            let got = unsafe { alpha_millicode_call(a, b, *routine, &mut regs) };
            if got != want {
                return Err(format!("{name}({a:#x}, {b:#x}) = {got:#x}, host says {want:#x}"));
            }
            for (r, &v) in regs.iter().enumerate().take(23) {
                if v != 0x1000 + r as u64 {
                    return Err(format!("{name}({a:#x}, {b:#x}) clobbered ${r}: {v:#x}"));
                }
            }
            if regs[24] != a || regs[25] != b {
                return Err(format!("{name}({a:#x}, {b:#x}) clobbered its operands $24/$25"));
            }
            checked += 1;
        }
    }
    Ok(format!("{checked} calls over {} vectors, registers preserved", DIV_VECTORS.len()))
}

/// The same vectors through Rust's `/` and `%`, i.e. through whatever the
/// GCC backend emits (calls to the millicode).
pub fn division_rust_ops() -> Result<String, String> {
    let mut checked = 0;
    for &(a, b, e) in DIV_VECTORS {
        let (a, b) = (black_box(a), black_box(b));
        let got: [Option<u64>; 8] = [
            (b != 0).then(|| (a as i64).wrapping_div(b as i64) as u64),
            (b != 0).then(|| (a as i64).wrapping_rem(b as i64) as u64),
            (b != 0).then(|| a / b),
            (b != 0).then(|| a % b),
            (b as i32 != 0).then(|| (a as i32).wrapping_div(b as i32) as i64 as u64),
            (b as i32 != 0).then(|| (a as i32).wrapping_rem(b as i32) as i64 as u64),
            (b as u32 != 0).then(|| (a as u32 / b as u32) as i32 as i64 as u64),
            (b as u32 != 0).then(|| (a as u32 % b as u32) as i32 as i64 as u64),
        ];
        for i in 0..8 {
            if got[i] != e[i] {
                return Err(format!("op {} ({a:#x}, {b:#x}) = {:?}, host says {:?}", ROUTINES[i].0, got[i], e[i]));
            }
            checked += got[i].is_some() as usize;
        }
    }
    Ok(format!("{checked} results"))
}

pub fn wide_128bit() -> Result<String, String> {
    for &(a, b, mul, div, rem, shl, shr, sdiv) in WIDE_VECTORS {
        let (a, b) = (black_box(a), black_box(b));
        let sh = (b % 128) as u32;
        let got = (
            a.wrapping_mul(b),
            a / b,
            a % b,
            a << sh,
            a >> sh,
            (a as i128).checked_div(b as i128).unwrap_or(i128::MIN),
        );
        if got != (mul, div, rem, shl, shr, sdiv) {
            return Err(format!("u128 ops on ({a:#x}, {b:#x}) gave {got:x?}"));
        }
    }
    Ok(format!("{} vectors: mul, div, rem, shl, shr, i128 div", WIDE_VECTORS.len()))
}

pub fn atomics() -> Result<String, String> {
    fn check(what: &str, ok: bool) -> Result<(), String> {
        if ok { Ok(()) } else { Err(format!("atomic check failed: {what}")) }
    }
    let a = AtomicU64::new(black_box(10));
    check("u64 fetch_add", a.fetch_add(5, SeqCst) == 10 && a.load(SeqCst) == 15)?;
    check("u64 cas ok", a.compare_exchange(15, 99, SeqCst, SeqCst) == Ok(15))?;
    check("u64 cas fail", a.compare_exchange(15, 1, SeqCst, SeqCst) == Err(99))?;
    check("u64 swap", a.swap(u64::MAX, SeqCst) == 99)?;
    check("u64 wrap", a.fetch_add(2, SeqCst) == u64::MAX && a.load(SeqCst) == 1)?;
    check("u64 fetch_max", a.fetch_max(50, SeqCst) == 1 && a.load(SeqCst) == 50)?;
    let b = AtomicU32::new(0xffff_fff0);
    check("u32 fetch_add wraps", b.fetch_add(0x20, SeqCst) == 0xffff_fff0 && b.load(SeqCst) == 0x10)?;
    check("u32 fetch_or/and/xor", {
        b.fetch_or(0x100, SeqCst);
        b.fetch_and(0x1f0, SeqCst);
        b.fetch_xor(0x1, SeqCst);
        b.load(SeqCst) == 0x111
    })?;
    // Sub-word atomics must leave their neighbours alone.
    let bytes = [AtomicU8::new(0x11), AtomicU8::new(0x22), AtomicU8::new(0x33), AtomicU8::new(0x44)];
    bytes[1].fetch_add(0xf0, SeqCst);
    bytes[2].swap(0xaa, SeqCst);
    check("u8 neighbours", bytes.iter().map(|x| x.load(SeqCst)).eq([0x11, 0x12, 0xaa, 0x44]))?;
    let halves = [AtomicU16::new(1), AtomicU16::new(0xfffe), AtomicU16::new(3)];
    check("u16 cas", halves[1].compare_exchange(0xfffe, 0xbeef, SeqCst, SeqCst).is_ok())?;
    halves[1].fetch_add(2, SeqCst);
    check("u16 neighbours", halves.iter().map(|x| x.load(SeqCst)).eq([1, 0xbef1, 3]))?;
    let f = AtomicBool::new(false);
    check("bool fetch_or", !f.fetch_or(true, SeqCst) && f.load(SeqCst))?;
    let m = spin::Mutex::new(Vec::<u32>::new());
    for i in 0..100 {
        m.lock().push(black_box(i));
    }
    check("spin::Mutex", m.lock().iter().sum::<u32>() == 4950 && !m.is_locked())?;
    Ok("u8/u16/u32/u64/bool RMW and CAS, spin::Mutex".to_string())
}

pub fn formatting() -> Result<String, String> {
    let mut got: Vec<String> = Vec::new();
    format_cases(&mut |args| got.push(alloc::fmt::format(args)));
    if got.len() != FMT_EXPECTED.len() {
        return Err(format!("{} cases formatted, host has {}", got.len(), FMT_EXPECTED.len()));
    }
    for (g, e) in got.iter().zip(FMT_EXPECTED) {
        if g != e {
            return Err(format!("formatted {g:?}, host formatted {e:?}"));
        }
    }
    Ok(format!("{} cases identical to the host's", got.len()))
}

pub fn heap() -> Result<String, String> {
    let used_before = crate::mm::heap::stats().used;
    {
        let v: Vec<u64> = (0..10_000u64).map(|x| black_box(x) * 3).collect();
        if v.iter().sum::<u64>() != 3 * 9_999 * 10_000 / 2 {
            return Err("Vec<u64> of 10,000 has the wrong sum".into());
        }
        let mut map = BTreeMap::new();
        for i in 0..2_000u32 {
            map.insert(black_box(i).wrapping_mul(2_654_435_761), i);
        }
        for i in (0..2_000u32).step_by(2) {
            map.remove(&i.wrapping_mul(2_654_435_761));
        }
        if map.len() != 1_000 || map.values().any(|v| v % 2 == 0) {
            return Err("BTreeMap insert/remove gave the wrong contents".into());
        }
        let mut s = String::new();
        for i in 0..500 {
            s.push_str(&i.to_string());
        }
        if s.len() != 10 + 90 * 2 + 400 * 3 {
            return Err(format!("String of numbers has length {}", s.len()));
        }
        let big = alloc::vec![0xa5u8; 512 * 1024];
        if big.iter().any(|&x| x != 0xa5) {
            return Err("512 KiB vec! contents wrong".into());
        }
    }
    let crate::mm::heap::HeapStats { used: used_after, free, .. } = crate::mm::heap::stats();
    if used_after != used_before {
        return Err(format!("heap use {used_before} bytes before, {used_after} after dropping everything"));
    }
    Ok(format!("Vec, BTreeMap, String, 512 KiB block; heap back to {used_after} bytes used, {free} free"))
}

/// Enums whose variants hold `Option`s of other enums, built and decoded
/// through `black_box`: rustc_codegen_gcc miscompiles the niche-in-niche
/// layout rustc picks for them unless the outer enum has an explicit tag
/// (`repr(u8)`), which the kernel's error types use. This checks that the
/// kernel's own error types round-trip, and the `repr(u8)` pattern itself.
pub fn enum_niche() -> Result<String, String> {
    use crate::dma::DmaError;
    use crate::mm::page::PageError;
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Inner {
        A,
        B(u64),
        C { x: u64, y: u32 },
    }
    #[derive(Debug, PartialEq)]
    #[repr(u8)]
    enum Outer {
        N,
        M { size: usize, b: Option<Inner>, c: Option<Inner> },
        E,
    }
    for (b, c) in [(None, Some(Inner::A)), (Some(Inner::B(7)), None), (None, None), (Some(Inner::C { x: 1, y: 2 }), Some(Inner::A))] {
        let v = black_box(Outer::M { size: 5, b, c });
        match &v {
            Outer::M { size: 5, b: bb, c: cc } if *bb == b && *cc == c => {}
            other => return Err(format!("Outer::M {{ b: {b:?}, c: {c:?} }} decoded as {other:?}")),
        }
    }
    if black_box(Outer::N) != Outer::N || black_box(Outer::E) != Outer::E {
        return Err("Outer::N / Outer::E decoded wrongly".into());
    }
    let e = black_box(DmaError::NoMemory { size: 5, buddy: None, cma: Some(PageError::NoCma) });
    let text = format!("{e}");
    if text != "no memory for 5 bytes (buddy: not tried; CMA: no CMA area)" {
        return Err(format!("DmaError::NoMemory formats as {text:?}"));
    }
    match black_box(Some(PageError::Misaligned(crate::mm::PhysAddr::new(3)))) {
        Some(PageError::Misaligned(pa)) if pa.as_u64() == 3 => {}
        other => return Err(format!("Some(PageError::Misaligned(3)) decoded as {other:?}")),
    }
    Ok("Option-of-enum fields inside repr(u8) enums and the kernel's error types decode correctly".into())
}

/// The HWRPB parser's error paths on Alpha: copies of the live HWRPB with
/// one field broken must be refused with the right variant and message
/// (`HwrpbError` holds a `Table` enum inside some variants and travels in
/// a `Result`: the nesting the backend's niche bug is about).
pub fn hwrpb_errors() -> Result<String, String> {
    use hwrpb::{Hwrpb, HwrpbError};
    // SAFETY: the console maps at least the HWRPB's fixed header at
    // HWRPB_VA (checked at boot).
    let len = hwrpb::readable_size(unsafe {
        core::slice::from_raw_parts(crate::arch::HWRPB_VA as *const u8, hwrpb::DECLARED_SIZE_PREFIX)
    })
    .map_err(|e| format!("live HWRPB: {e}"))?;
    // SAFETY: the console maps `len` bytes of HWRPB at HWRPB_VA (checked at boot).
    let live = unsafe { core::slice::from_raw_parts(crate::arch::HWRPB_VA as *const u8, len) };
    Hwrpb::parse(black_box(live)).map_err(|e| format!("the live HWRPB no longer parses: {e}"))?;
    let mut seen = Vec::new();
    // Magic (quadword at 0x08).
    let mut bad = live.to_vec();
    bad[0x08] ^= 0xff;
    match Hwrpb::parse(black_box(&bad)) {
        Err(e @ HwrpbError::BadMagic { .. }) => seen.push(format!("{e}")),
        other => return Err(format!("broken magic gave {other:?}")),
    }
    // Checksum (quadword at 0x120).
    let mut bad = live.to_vec();
    bad[0x120] ^= 1;
    match Hwrpb::parse(black_box(&bad)) {
        Err(e @ HwrpbError::ChecksumMismatch { .. }) => seen.push(format!("{e}")),
        other => return Err(format!("broken checksum gave {other:?}")),
    }
    // The MDDT offset (0xc8) pointed far outside the block, checksum fixed.
    let mut bad = live.to_vec();
    bad[0xc8..0xd0].copy_from_slice(&0x7fff_0000u64.to_le_bytes());
    let sum = hwrpb::header_checksum(&bad).ok_or("short HWRPB")?;
    bad[0x120..0x128].copy_from_slice(&sum.to_le_bytes());
    match Hwrpb::parse(black_box(&bad)) {
        Err(e @ HwrpbError::TableOutOfBounds { .. }) => seen.push(format!("{e}")),
        other => return Err(format!("MDDT offset out of bounds gave {other:?}")),
    }
    for s in &seen {
        log::info!("  refused as expected: {s}");
    }
    Ok(format!("{} corrupted copies refused with the right error", seen.len()))
}
