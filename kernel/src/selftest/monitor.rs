//! The monitor's memory and DMA commands (`monitor::mm`), called directly
//! as the dispatcher calls them, with a `String` for their output: `alloc`
//! and `free` move the buddy counts and bring them back exactly; `fragment
//! 9` leaves no free order-9 block, so `dma alloc 4M` is served by CMA (the
//! Alpha CMA patch's scenario); the monitor frees only what it handed out;
//! every bad argument is one error line that changes nothing; and the whole
//! run leaves every accounting count where it found it.

use crate::dma;
use crate::mm::accounting::{Accounting, Compare};
use crate::mm::page;
use crate::monitor::command::Command;
use crate::monitor::mm::{MM_COMMANDS, SLOTS};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Runs one command line as the dispatcher does: the command whose name
/// matches the most leading words, given the rest.
fn run(line: &str, out: &mut String) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let name_len = |c: &Command| c.name.split(' ').count();
    let cmd = MM_COMMANDS
        .iter()
        .filter(|c| words.len() >= name_len(c) && c.name.split(' ').zip(&words).all(|(a, b)| a == *b))
        .max_by_key(|c| name_len(c))
        .ok_or_else(|| format!("test bug: no command for '{line}'"))?;
    (cmd.run)(&words[name_len(cmd)..], out)
}

/// Runs a line that must succeed; returns what it printed.
fn ok(line: &str, out: &mut String) -> Result<String, String> {
    let from = out.len();
    run(line, out).map_err(|e| format!("'{line}' failed: {e}"))?;
    let text = String::from(&out[from..]);
    for l in text.lines() {
        log::info!("monitor-mm: alpha> {line}: {l}");
    }
    Ok(text)
}

/// The number after `key` in `text` (decimal, or hex with `0x`).
fn number_after(text: &str, key: &str) -> Option<u64> {
    let rest = &text[text.find(key)? + key.len()..];
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}

fn same(before: &Accounting, what: &str) -> Result<(), String> {
    let after = dma::accounting();
    let d = after.diff(before, Compare::Exact);
    if d.is_empty() { Ok(()) } else { Err(format!("{what}: accounting changed: {d}")) }
}

pub fn commands() -> Result<String, String> {
    // The table as the dispatcher and `help` use it.
    for (i, c) in MM_COMMANDS.iter().enumerate() {
        let words = c.name.split(' ').count();
        if c.help.is_empty() || !(1..=2).contains(&words) || MM_COMMANDS[..i].iter().any(|d| d.name == c.name) {
            return Err(format!("command '{}' ({}): empty help, not one or two words, or named twice", c.name, c.usage));
        }
    }
    // Room for all output first, so the heap does not grow in between the
    // accounting snapshots.
    let mut out = String::with_capacity(64 << 10);
    let start = dma::accounting();

    // alloc 3: the buddy counts change; free brings them back exactly.
    let s0 = page::stats();
    let text = ok("alloc 3", &mut out)?;
    let pa = number_after(&text, " at ").ok_or_else(|| format!("alloc 3: no address in '{text}'"))?;
    let s1 = page::stats();
    if s1.free + 8 != s0.free || s1.free_blocks == s0.free_blocks {
        return Err(format!("alloc 3: buddy free {} -> {}, blocks {:?} -> {:?}", s0.free, s1.free, s0.free_blocks, s1.free_blocks));
    }
    let owner = ok(&format!("pfn @{pa:#x}"), &mut out)?;
    if !owner.contains("held by monitor (order 3), allocated at kernel/src/monitor/mm.rs:") {
        return Err(format!("pfn @{pa:#x}: {owner}"));
    }
    ok(&format!("free {pa:#x}"), &mut out)?;
    let s2 = page::stats();
    if s2 != s0 {
        return Err(format!("free {pa:#x}: buddy blocks {:?}, before alloc {:?}", s2.free_blocks, s0.free_blocks));
    }

    // fragment 9, then dma alloc 4M: the buddy allocator cannot, CMA can.
    let text = ok("fragment 9", &mut out)?;
    let pinned = number_after(&text, "pinned ").unwrap_or(0);
    let sf = page::stats();
    if sf.free_blocks[9..].iter().any(|&n| n != 0) || pinned == 0 {
        return Err(format!("fragment 9 pinned {pinned} page(s) and left free blocks {:?}", sf.free_blocks));
    }
    let cma_scenario = if sf.cma_free >= 512 {
        let text = ok("dma alloc 4M", &mut out)?;
        if !text.contains("from CMA (512 pages; the buddy allocator has no free block of order 9") {
            return Err(format!("dma alloc 4M after fragment 9 not served by CMA: {text}"));
        }
        let id = number_after(&text, "handle ").ok_or("dma alloc: no handle")?;
        ok(&format!("dma free {id}"), &mut out)?;
        "served by CMA"
    } else {
        // No CMA area (cma=0): both allocators refuse, cleanly.
        let before = dma::accounting();
        match run("dma alloc 4M", &mut out) {
            Err(e) if e.contains("CMA: no CMA area") => {}
            other => return Err(format!("dma alloc 4M without CMA after fragment 9: {other:?}")),
        }
        same(&before, "refused dma alloc 4M")?;
        "refused: no CMA area"
    };
    let text = ok("unfragment", &mut out)?;
    if number_after(&text, "gave back ") != Some(pinned) {
        return Err(format!("unfragment did not give back the {pinned} pinned page(s): {text}"));
    }
    same(&start, "alloc/free/fragment/dma alloc/dma free/unfragment")?;

    // A mapping through the IOMMU of a block the monitor holds; the block
    // cannot be freed while it is mapped.
    let text = ok("alloc 0", &mut out)?;
    let pa = number_after(&text, " at ").ok_or("alloc 0: no address")?;
    let text = ok(&format!("dma map {pa:#x} 8K sg"), &mut out)?;
    if !text.contains("PCI scatter-gather window") {
        return Err(format!("dma map ... sg: {text}"));
    }
    let map_id = number_after(&text, "handle ").ok_or("dma map: no handle")?;
    let iommu = ok("iommu", &mut out)?;
    if !iommu.contains("iommu: PCI [") || !iommu.contains("iommu: direct window bus") {
        return Err(format!("iommu: {iommu}"));
    }
    for (line, why) in [
        (format!("free {pa:#x}"), "is mapped for DMA by handle"),
        (format!("dma free {map_id}"), "is a mapping"),
        (format!("dma map {:#x} 8K", pa + 8192), "is not inside a block the monitor holds"),
    ] {
        let before = dma::accounting();
        match run(&line, &mut out) {
            Err(e) if e.contains(why) => {}
            other => return Err(format!("'{line}': expected an error saying '{why}', got {other:?}")),
        }
        same(&before, &line)?;
    }
    ok(&format!("dma unmap {map_id}"), &mut out)?;
    ok(&format!("free {pa:#x}"), &mut out)?;
    ok("cma", &mut out)?;

    // The table is bounded: one more than it holds is refused.
    let mut held = Vec::new();
    for _ in 0..SLOTS {
        let text = ok("alloc 0", &mut out)?;
        held.push(number_after(&text, " at ").ok_or("alloc 0: no address")?);
    }
    let full = run("alloc 0", &mut out);
    for pa in &held {
        run(&format!("free {pa:#x}"), &mut out).map_err(|e| format!("free {pa:#x}: {e}"))?;
    }
    match full {
        Err(e) if e.contains("table is full") => {}
        other => return Err(format!("alloc beyond {SLOTS} entries: {other:?}")),
    }
    same(&start, "the commands above")?;

    // Bad arguments: one line of error each, no output, nothing changed.
    const BAD: &[&str] = &[
        "alloc",
        "alloc 11",
        "alloc x",
        "alloc -1",
        "alloc 3 4",
        "alloc 99999999999999999999999",
        "alloc 0xffffffffffffffffff",
        "free",
        "free 0x2000",
        "free 0x12345",
        "free banana",
        "cma x",
        "cma alloc 0",
        "cma alloc 999999999999",
        "cma alloc",
        "cma free 0x0",
        "dma alloc 0",
        "dma alloc 99999999999G",
        "dma alloc 2G",
        "dma alloc 4M nodev",
        "dma alloc 4Q",
        "dma free 999999",
        "dma free 99999999999",
        "dma unmap 999999",
        "dma unmap",
        "dma map 0x0 8192",
        "dma map 0x2000 0",
        "dma map 0xffffffffffffe000 0x4000",
        "fragment 99",
        "fragment 2",
        "fragment",
        "unfragment now",
        "pfn",
        "pfn zz",
        "pfn @",
        "pfn @0xz",
        "pfn 0xffffffffffffffff",
        "iommu now",
    ];
    for &line in BAD {
        let before = dma::accounting();
        let len = out.len();
        match run(line, &mut out) {
            Err(e) if !e.is_empty() && !e.contains('\n') => log::info!("monitor-mm: alpha> {line}: error: {e}"),
            Err(e) => return Err(format!("'{line}': error not one line: {e:?}")),
            Ok(()) => return Err(format!("'{line}' accepted: {}", &out[len..])),
        }
        if out.len() != len {
            return Err(format!("'{line}' printed before its error: {}", &out[len..]));
        }
        same(&before, line)?;
    }
    same(&start, "the whole test")?;
    Ok(format!(
        "alloc 3 and free: buddyinfo back exactly; fragment 9 pinned {pinned} page(s), dma alloc 4M {cma_scenario}; {} bad arguments refused, nothing changed; accounting back exactly",
        BAD.len()
    ))
}
