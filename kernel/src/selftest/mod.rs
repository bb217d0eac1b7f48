//! In-kernel self-tests (`-append "test"`): each test checks the kernel's
//! compiled Rust against values computed on the host by `build.rs`, or
//! against invariants, and the run ends with one summary line the host
//! runner reads (`selftest summary: N passed, N failed, N skipped`).
//!
//! A test passes (`selftest NAME: ok (DETAIL)`), fails (`selftest NAME:
//! FAILED: WHY`, an error) or, if it can say so, is skipped because what it
//! tests is absent (`selftest NAME: skipped (REASON)`): a skip is counted
//! as a skip, never as a pass.

mod arith;
pub mod bench;
pub mod disk;
pub mod dma;
mod mm;
mod monitor;
pub mod crash;

use alloc::string::String;
use log::{error, info};

pub struct TestResult {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// What a test that may be skipped returns when it did not fail.
/// (`#[repr(u8)]`: an explicit tag, as the README advises for the GCC
/// backend's niche bug; `Result` puts its own tag in this one's niche.)
#[repr(u8)]
pub enum Outcome {
    /// Ran and passed; the detail for the log line.
    Passed(String),
    /// Did not run; the reason (what is missing).
    Skipped(String),
}

/// A self-test: most always run; a few may be skipped.
enum Test {
    Runs(fn() -> Result<String, String>),
    MaySkip(fn() -> Result<Outcome, String>),
    /// May be skipped, and reads boot parameters (a driver's probe does).
    MaySkipWith(fn(&bootparam::EarlyParams) -> Result<Outcome, String>),
}

use Test::{MaySkip, MaySkipWith, Runs};

const TESTS: &[(&str, Test)] = &[
    ("division-millicode", Runs(arith::division_millicode)),
    ("division-rust-ops", Runs(arith::division_rust_ops)),
    ("wide-128bit", Runs(arith::wide_128bit)),
    ("atomics", Runs(arith::atomics)),
    ("formatting", Runs(arith::formatting)),
    ("heap", Runs(arith::heap)),
    ("codegen-enum-niche", Runs(arith::enum_niche)),
    ("hwrpb-errors", Runs(arith::hwrpb_errors)),
    ("mm-page-owner", Runs(mm::page_owner)),
    ("mm-bad-frees", Runs(mm::bad_frees)),
    ("mm-storm", Runs(mm::storm)),
    ("dma-windows", Runs(dma::windows)),
    ("dma-coherent-cma-fallback", Runs(dma::coherent_cma_fallback)),
    ("dma-debug-reports", MaySkip(dma::debug_reports)),
    ("dma-fault-injection", Runs(dma::fault_injection)),
    ("dma-storm", Runs(dma::storm)),
    ("dma-pool", Runs(dma::pool)),
    ("dma-sg-limits", Runs(dma::sg_limits)),
    ("dma-set-mask", Runs(dma::set_mask)),
    ("monitor-mm", Runs(monitor::commands)),
    ("tulip-loopback-sg", MaySkipWith(tulip_sg)),
    ("tulip-loopback-direct", MaySkipWith(tulip_direct)),
];

/// The DMA proof on a real emulated device: the 21143 in internal loopback,
/// through the scatter-gather window (with a removed mapping that must
/// stop the device's write) and through the direct window. Skipped, and
/// said so, when the machine has no 21143 (`-nic ...,model=tulip`).
fn tulip_sg(params: &bootparam::EarlyParams) -> Result<Outcome, String> {
    tulip(crate::dma::WindowPolicy::ForceSg, params)
}

fn tulip_direct(params: &bootparam::EarlyParams) -> Result<Outcome, String> {
    tulip(crate::dma::WindowPolicy::ForceDirect, params)
}

fn tulip(w: crate::dma::WindowPolicy, params: &bootparam::EarlyParams) -> Result<Outcome, String> {
    if !crate::drivers::tulip::present() {
        return Ok(Outcome::Skipped("no DEC 21143 on bus 0 (boot QEMU with -nic user,model=tulip)".into()));
    }
    crate::drivers::tulip::loopback_selftest(w, params).map(Outcome::Passed)
}

/// Runs every self-test, logging one line each.
pub fn run_all(params: &bootparam::EarlyParams) -> TestResult {
    let mut r = TestResult { passed: 0, failed: 0, skipped: 0 };
    for (name, test) in TESTS {
        let outcome = match test {
            Runs(f) => f().map(Outcome::Passed),
            MaySkip(f) => f(),
            MaySkipWith(f) => f(params),
        };
        match outcome {
            Ok(Outcome::Passed(detail)) => {
                info!("selftest {name}: ok ({detail})");
                r.passed += 1;
            }
            Ok(Outcome::Skipped(reason)) => {
                info!("selftest {name}: skipped ({reason})");
                r.skipped += 1;
            }
            Err(why) => {
                error!("selftest {name}: FAILED: {why}");
                r.failed += 1;
            }
        }
    }
    r
}
