//! In-kernel self-tests (`-append "test"`): each test checks the kernel's
//! compiled Rust against values computed on the host by `build.rs`, or
//! against invariants, and the run ends with one summary line the host
//! runner reads.

mod arith;
pub mod bench;
mod splitmix;
pub mod dma;
mod mm;
pub mod crash;

use alloc::string::String;
use log::{error, info};

pub struct TestResult {
    pub passed: usize,
    pub failed: usize,
}

type Test = (&'static str, fn() -> Result<String, String>);

const TESTS: &[Test] = &[
    ("division-millicode", arith::division_millicode),
    ("division-rust-ops", arith::division_rust_ops),
    ("wide-128bit", arith::wide_128bit),
    ("atomics", arith::atomics),
    ("formatting", arith::formatting),
    ("heap", arith::heap),
    ("codegen-enum-niche", arith::enum_niche),
    ("hwrpb-errors", arith::hwrpb_errors),
    ("mm-page-owner", mm::page_owner),
    ("mm-bad-frees", mm::bad_frees),
    ("mm-storm", mm::storm),
    ("dma-windows", dma::windows),
    ("dma-coherent-cma-fallback", dma::coherent_cma_fallback),
    ("dma-debug-reports", dma::debug_reports),
    ("dma-fault-injection", dma::fault_injection),
    ("dma-storm", dma::storm),
    ("tulip-loopback-sg", tulip_sg),
    ("tulip-loopback-direct", tulip_direct),
];

/// The DMA proof on a real emulated device: the 21143 in internal loopback,
/// through the scatter-gather window (with a removed mapping that must
/// stop the device's write) and through the direct window. Skipped, and
/// said so, when the machine has no 21143 (`-nic ...,model=tulip`).
fn tulip_sg() -> Result<String, String> {
    tulip(crate::dma::WindowPolicy::ForceSg)
}

fn tulip_direct() -> Result<String, String> {
    tulip(crate::dma::WindowPolicy::ForceDirect)
}

fn tulip(w: crate::dma::WindowPolicy) -> Result<String, String> {
    if !crate::drivers::tulip::present() {
        return Ok("skipped: no DEC 21143 on bus 0 (boot QEMU with -nic user,model=tulip)".into());
    }
    crate::drivers::tulip::loopback_selftest(w)
}

/// Runs every self-test, logging one line each.
pub fn run_all() -> TestResult {
    let mut r = TestResult { passed: 0, failed: 0 };
    for (name, test) in TESTS {
        match test() {
            Ok(detail) => {
                info!("selftest {name}: ok ({detail})");
                r.passed += 1;
            }
            Err(why) => {
                error!("selftest {name}: FAILED: {why}");
                r.failed += 1;
            }
        }
    }
    r
}
