//! The information commands: `help`, `meminfo`, `buddyinfo`, and the
//! one-line errors for bad commands and arguments.

use super::Options;
use crate::session::Session;

/// The commands `help` must list: the monitor's own, then the memory and
/// DMA commands (`kernel/src/monitor/mm.rs`), then the disk commands
/// (`kernel/src/monitor/disk.rs`).
const COMMANDS: &[&str] = &[
    "help", "memblock", "meminfo", "buddyinfo", "heap", "owners", "map", "lspci", "net", "log", "reconcile", "halt",
    "alloc", "free", "cma", "cma alloc", "cma free", "dma alloc", "dma free", "dma map", "dma unmap", "fragment", "unfragment", "pfn", "iommu",
    "disk", "disk read", "disk bench",
];

/// The command a `help` line lists: its first word, or its first two when
/// they are a two-word name of [`COMMANDS`].
fn listed(line: &str) -> Option<String> {
    let mut w = line.split_whitespace();
    let first = w.next()?;
    match w.next() {
        Some(second) if COMMANDS.contains(&format!("{first} {second}").as_str()) => Some(format!("{first} {second}")),
        _ => Some(first.to_string()),
    }
}

pub fn help(s: &mut Session, _: &Options) -> Result<String, String> {
    let a = s.command("help")?;
    let lines: Vec<&str> = a.lines().collect();
    for c in COMMANDS {
        let n = lines.iter().filter(|l| listed(l).as_deref() == Some(*c)).count();
        if n != 1 {
            return Err(format!("help lists {c:?} {n} times"));
        }
    }
    if let Some(l) = lines.iter().find(|l| l.split_whitespace().count() < 2) {
        return Err(format!("help line without a description: {l:?}"));
    }
    Ok(format!("{} commands", lines.len()))
}

/// A `/proc/meminfo`-style line: `Name:   N kB`.
pub fn kb(answer: &str, name: &str) -> Result<u64, String> {
    let line = answer.lines().find(|l| l.starts_with(&format!("{name}:"))).ok_or(format!("no {name} line"))?;
    let rest = line[name.len() + 1..].trim();
    rest.strip_suffix(" kB").and_then(|n| n.trim().parse().ok()).ok_or(format!("unreadable {name} line: {line:?}"))
}

pub fn meminfo(s: &mut Session, _: &Options) -> Result<String, String> {
    let a = s.command("meminfo")?;
    let (total, free, cma_total, cma_free) = (kb(&a, "MemTotal")?, kb(&a, "MemFree")?, kb(&a, "CmaTotal")?, kb(&a, "CmaFree")?);
    if !(free <= total && cma_free <= cma_total && cma_total <= total && total > 200 * 1024 && total <= 256 * 1024) {
        return Err(format!("implausible: MemTotal {total} MemFree {free} CmaTotal {cma_total} CmaFree {cma_free} kB (256 MiB guest)"));
    }
    if !a.lines().any(|l| l.starts_with("iommu-tables ")) {
        return Err("the owner table has no iommu-tables line".into());
    }
    Ok(format!("MemTotal {total} kB, MemFree {free} kB, CmaTotal {cma_total} kB"))
}

/// `Node 0, zone   Normal  n0 n1 ... n10`: the free blocks per order.
pub fn buddyinfo_counts(answer: &str) -> Result<Vec<u64>, String> {
    let line = answer.lines().find(|l| l.starts_with("Node 0, zone")).ok_or("no buddyinfo line")?;
    let counts: Vec<u64> = line.split_whitespace().skip(4).map(|w| w.parse().map_err(|_| format!("bad count {w:?}"))).collect::<Result<_, _>>()?;
    if counts.len() != 11 {
        return Err(format!("{} orders in {line:?}, expected 11 (0-10)", counts.len()));
    }
    Ok(counts)
}

pub fn buddyinfo(s: &mut Session, _: &Options) -> Result<String, String> {
    let a = s.command("buddyinfo")?;
    let counts = buddyinfo_counts(&a)?;
    let pages: u64 = counts.iter().enumerate().map(|(o, n)| n << o).sum();
    // Compare with meminfo's MemFree less CMA's free pages (8 KiB pages).
    let m = s.command("meminfo")?;
    let buddy_free_kb = kb(&m, "MemFree")? - kb(&m, "CmaFree")?;
    if pages * 8 != buddy_free_kb {
        return Err(format!("buddyinfo counts {pages} free pages, meminfo {buddy_free_kb} kB outside CMA"));
    }
    Ok(format!("{pages} free pages in 11 orders, as meminfo says"))
}

pub fn errors(s: &mut Session, _: &Options) -> Result<String, String> {
    let cases: &[(&str, &str)] = &[
        ("frobnicate", "error: unknown command 'frobnicate' (try help)"),
        ("log", "error: usage: log <level>"),
        ("log banana", "error: 'banana' is not a number"),
        ("log 99", "error: log level 99: expected 0-15"),
        ("meminfo extra", "error: usage: meminfo (no arguments)"),
        ("a b c d e f g h i j k l m n o p q", "error: too many words (max 16)"),
    ];
    for (line, want) in cases {
        let a = s.command(line)?;
        if a.trim() != *want && !a.trim().starts_with(want) {
            return Err(format!("{line:?} answered {:?}, expected {want:?}", a.trim()));
        }
        if a.trim().lines().count() != 1 {
            return Err(format!("{line:?}: more than one line: {a:?}"));
        }
    }
    // Back to the default log level.
    s.command("log 7")?;
    Ok(format!("{} bad lines, one error line each", cases.len()))
}
