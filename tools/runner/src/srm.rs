//! The `srm-stub-*` cases: the SRM boot program (the stub with the kernel
//! attached, built with the srm-image library exactly as `srm-image
//! srm-boot` does), wrapped in an ELF that QEMU's `-kernel` loads at a KSEG
//! address (`srm-image qemu-elf`), and the stub's copy plan predicted by the
//! host model (`srm_image::relocate`), which the stub must then print.

use std::path::{Path, PathBuf};

use crate::cases::{Boot, Case};
use srm_image::relocate::{Plan, PlanError, plan_relocation, qemu_layout};
use srm_image::{KSEG_BASE, STUB_HEADER_SIZE, SrmBootProgram};

/// QEMU's PALcode (palcode-clipper): its memory cluster ends here and its
/// level-1 page table lies here, as the kernel's banner and the stub print
/// them. The prediction depends on them only if the stub's pages came near.
const QEMU_CONSOLE_END: u64 = 0x1e000;
const QEMU_LEVEL1: u64 = 0xc000;

/// The ELF to give QEMU for `case`, and the lines the stub's plan predicts.
pub fn image_for(case: &Case, kernel: &Path, stub: &Path, logs: &Path) -> Result<(PathBuf, Vec<String>), String> {
    let phys = match case.boot {
        Boot::Kernel => return Ok((kernel.to_path_buf(), Vec::new())),
        Boot::SrmStub { phys } | Boot::SrmStubCorrupt { phys } | Boot::SrmStubEmpty { phys } => phys,
    };
    let stub_elf = std::fs::read(stub).map_err(|e| {
        format!("SRM boot stub {}: {e} (tools/build-kernel.sh builds it; or pass --srm-stub PATH)", stub.display())
    })?;
    let (program, predicted) = if case.boot == (Boot::SrmStubEmpty { phys }) {
        let flat = srm_image::boot_program_from_elf(&stub_elf).map_err(|e| format!("{}: {e}", stub.display()))?;
        (flat.bytes, Vec::new())
    } else {
        let kernel_elf = std::fs::read(kernel).map_err(|e| format!("{}: {e}", kernel.display()))?;
        let p = srm_image::build_srm_boot_program(&stub_elf, &kernel_elf)
            .map_err(|e| format!("building the SRM boot program: {e}"))?;
        let mut bytes = p.bytes.clone();
        if case.boot == (Boot::SrmStubCorrupt { phys }) {
            // One bit of the kernel, well inside it, as a bad disk block would.
            bytes[p.header_offset + STUB_HEADER_SIZE + 4096] ^= 0x10;
            (bytes, Vec::new())
        } else {
            (bytes, predict(phys, &p, memory_bytes(case)))
        }
    };
    let elf = srm_image::qemu_test_elf(&program, phys).map_err(|e| format!("wrapping for QEMU: {e}"))?;
    std::fs::create_dir_all(logs).ok();
    let path = logs.join(format!("{}.elf", case.name));
    std::fs::write(&path, elf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, predicted))
}

/// The stub's plan lines as the host model predicts them, in output order.
fn predict(phys: u64, p: &SrmBootProgram, memory: u64) -> Vec<String> {
    let layout = qemu_layout(phys, p.header_offset as u64, &p.header, QEMU_CONSOLE_END, QEMU_LEVEL1, memory);
    match plan_relocation(&layout) {
        Ok(Plan::Direct { tail }) => vec![
            "srm-stub: no page of the kernel overlaps its destination: copying directly".into(),
            format!("srm-stub: final copy from {:#x} ", KSEG_BASE + tail),
            format!("by the tail at {:#x}", KSEG_BASE + tail),
        ],
        Ok(Plan::Bounce { bounce, tail }) => vec![
            format!("srm-stub: the kernel's pages overlap its destination: copying it to {:#x} first", KSEG_BASE + bounce),
            format!("srm-stub: final copy from {:#x} ", KSEG_BASE + tail),
            format!("through a bounce buffer at {:#x}", KSEG_BASE + bounce),
            format!("by the tail at {:#x}", KSEG_BASE + tail),
        ],
        Err(PlanError::DestinationNotFree) => vec!["srm-stub: the destination is not free memory".into()],
        Err(PlanError::PageTableInDestination) => vec!["srm-stub: a console page table lies where the kernel goes".into()],
        Err(PlanError::NoRoom) => vec!["srm-stub: no free memory above the kernel".into()],
    }
}

/// The memory QEMU gives the case (`-m`, default 256 MiB as the runner adds).
fn memory_bytes(case: &Case) -> u64 {
    let m = case.qemu.iter().position(|a| *a == "-m").and_then(|i| case.qemu.get(i + 1)).copied().unwrap_or("256M");
    let (num, unit) = m.split_at(m.find(|c: char| !c.is_ascii_digit()).unwrap_or(m.len()));
    let n: u64 = num.parse().unwrap_or(256);
    match unit {
        "G" | "g" => n << 30,
        _ => n << 20,
    }
}

/// The runner's "ok" detail for a case whose plan was predicted.
pub fn detail(predicted: &[&str]) -> String {
    match predicted.first() {
        Some(l) if l.contains("bounce") || l.contains("first") => ", bounce copy where the host model predicted".into(),
        Some(_) => ", direct copy as the host model predicted".into(),
        None => String::new(),
    }
}
