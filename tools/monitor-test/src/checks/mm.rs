//! The memory commands, as issue 15's test asks: `alloc 3` splits a
//! buddy block (seen in `buddyinfo`) and `free` brings `buddyinfo` and
//! `meminfo` back exactly; `fragment 9` leaves no free order-9 block, so
//! `dma alloc 4M` is served by CMA (the Alpha CMA patch's scenario), then
//! `dma free` and `unfragment` bring everything back; `map` draws memory.
//! `reconcile` must hold after every step. The answers are read in the
//! formats `kernel/src/monitor/mm.rs` prints.

use super::info::{buddyinfo_counts, kb};
use super::Options;
use crate::session::Session;

/// The number after `key` in `text` (decimal, or hex with `0x`).
fn number_after(text: &str, key: &str) -> Result<u64, String> {
    let at = text.find(key).ok_or_else(|| format!("no {key:?} in {:?}", text.trim()))?;
    let word: String = text[at + key.len()..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let n = match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    };
    n.ok_or_else(|| format!("no number after {key:?} in {:?}", text.trim()))
}

/// The `buddyinfo` line itself and its counts.
fn buddyinfo(s: &mut Session) -> Result<(String, Vec<u64>), String> {
    let a = s.command("buddyinfo")?;
    let line = a.lines().find(|l| l.starts_with("Node 0, zone")).ok_or("no buddyinfo line")?.to_string();
    Ok((line, buddyinfo_counts(&a)?))
}

/// Types `line`, which must succeed, then `reconcile`; the answer.
fn step(s: &mut Session, line: &str) -> Result<String, String> {
    let a = s.command(line)?;
    if a.lines().any(|l| l.starts_with("error:")) {
        return Err(format!("{line}: {}", a.trim()));
    }
    s.reconcile().map_err(|e| format!("after {line}: {e}"))?;
    Ok(a)
}

/// What taking one order-`order` block does to the free counts: the
/// smallest free block of that order or above is split, leaving one free
/// block of each order from `order` up to the one below it.
fn after_split(before: &[u64], order: usize) -> Option<Vec<u64>> {
    let from = (order..before.len()).find(|&k| before[k] > 0)?;
    let mut v = before.to_vec();
    v[from] -= 1;
    for c in &mut v[order..from] {
        *c += 1;
    }
    Some(v)
}

pub fn alloc_free(s: &mut Session, _: &Options) -> Result<String, String> {
    let (line0, c0) = buddyinfo(s)?;
    let free0 = kb(&s.command("meminfo")?, "MemFree")?;
    let a = step(s, "alloc 3")?;
    if !a.contains("alloc: order-3 block (8 page(s), 64 KiB) at ") || !a.contains("owner monitor") {
        return Err(format!("alloc 3: {:?}", a.trim()));
    }
    let pa = number_after(&a, " at ")?;
    let (line1, c1) = buddyinfo(s)?;
    let want = after_split(&c0, 3).ok_or("no free block of order 3 or above before alloc 3")?;
    if c1 != want {
        return Err(format!("after alloc 3 buddyinfo is {line1:?}; from {line0:?} a split gives {want:?}"));
    }
    let free1 = kb(&s.command("meminfo")?, "MemFree")?;
    if free1 + 64 != free0 {
        return Err(format!("alloc 3: MemFree {free0} -> {free1} kB, expected 64 kB less"));
    }
    let p = s.command(&format!("pfn @{pa:#x}"))?;
    if !p.contains("held by monitor (order 3)") {
        return Err(format!("pfn @{pa:#x}: {:?}", p.trim()));
    }
    let f = step(s, &format!("free {pa:#x}"))?;
    if !f.contains(&format!("free: order-3 block at {pa:#x} given back to the buddy allocator")) {
        return Err(format!("free {pa:#x}: {:?}", f.trim()));
    }
    let (line2, _) = buddyinfo(s)?;
    let free2 = kb(&s.command("meminfo")?, "MemFree")?;
    if line2 != line0 || free2 != free0 {
        return Err(format!("after free: {line2:?}, MemFree {free2} kB; before alloc: {line0:?}, MemFree {free0} kB"));
    }
    let from = c0.iter().zip(&c1).position(|(a, b)| b < a).unwrap_or(3);
    let how = if from == 3 { String::from("took a free order-3 block") } else { format!("split an order-{from} block") };
    Ok(format!("alloc 3 at {pa:#x} {how} ({line0:?} -> {line1:?}), MemFree -64 kB; free brought both back exactly"))
}

pub fn fragment_cma(s: &mut Session, _: &Options) -> Result<String, String> {
    let (line0, _) = buddyinfo(s)?;
    let m0 = s.command("meminfo")?;
    let (free0, cma0) = (kb(&m0, "MemFree")?, kb(&m0, "CmaFree")?);
    if cma0 < 4096 {
        return Err(format!("CmaFree {cma0} kB: no room for 4 MiB (the default command line reserves CMA)"));
    }
    let a = step(s, "fragment 9")?;
    if !a.contains("fragment: the largest free buddy block is now order ") || !a.contains("no free block of order 9 or above") {
        return Err(format!("fragment 9: {:?}", a.trim()));
    }
    let pinned = number_after(&a, "fragment: pinned ")?;
    let (line1, c1) = buddyinfo(s)?;
    if c1[9] != 0 || c1[10] != 0 || pinned == 0 {
        return Err(format!("fragment 9 pinned {pinned} page(s) and buddyinfo is {line1:?}"));
    }
    let d = step(s, "dma alloc 4M")?;
    if !d.contains("from CMA (512 pages; the buddy allocator has no free block of order 9") {
        return Err(format!("dma alloc 4M after fragment 9 not served by CMA: {:?}", d.trim()));
    }
    let id = number_after(&d, "dma alloc: handle ")?;
    let cma1 = kb(&s.command("meminfo")?, "CmaFree")?;
    if cma1 + 4096 != cma0 {
        return Err(format!("dma alloc 4M: CmaFree {cma0} -> {cma1} kB, expected 4096 kB less"));
    }
    let f = step(s, &format!("dma free {id}"))?;
    if !f.contains(&format!("dma free: handle {id}: 4 MiB unmapped and given back to the CMA area")) {
        return Err(format!("dma free {id}: {:?}", f.trim()));
    }
    let u = step(s, "unfragment")?;
    if number_after(&u, "unfragment: gave back ")? != pinned {
        return Err(format!("unfragment did not give back the {pinned} pinned page(s): {:?}", u.trim()));
    }
    let (line2, _) = buddyinfo(s)?;
    let m2 = s.command("meminfo")?;
    let (free2, cma2) = (kb(&m2, "MemFree")?, kb(&m2, "CmaFree")?);
    if line2 != line0 || free2 != free0 || cma2 != cma0 {
        return Err(format!("after unfragment: {line2:?}, MemFree {free2}, CmaFree {cma2} kB; before: {line0:?}, {free0}, {cma0} kB"));
    }
    Ok(format!("fragment 9 pinned {pinned} page(s) ({line1:?}); dma alloc 4M served by CMA (CmaFree -4096 kB); dma free, unfragment: buddyinfo and meminfo back exactly"))
}

pub fn map(s: &mut Session, _: &Options) -> Result<String, String> {
    let mut widths = Vec::new();
    for (line, width) in [("map", 64), ("map 100", 100)] {
        let a = step(s, line)?;
        let rows: Vec<&str> = a.lines().filter(|l| l.starts_with("0x")).collect();
        let legend = a.lines().last().unwrap_or("");
        if rows.is_empty() || rows.len() > 24 || !legend.starts_with("one character = ") {
            return Err(format!("{line}: {} rows, last line {legend:?}", rows.len()));
        }
        if let Some(r) = rows.iter().find(|r| r.len() > width) {
            return Err(format!("{line}: a row wider than {width}: {r:?}"));
        }
        if !rows.iter().any(|r| r[13..].contains('.')) {
            return Err(format!("{line}: no buddy-free character '.' in the map"));
        }
        widths.push(format!("{line}: {} rows, {}", rows.len(), legend.split(':').next().unwrap_or("")));
    }
    for bad in ["map 5", "map wide", "map 64 2"] {
        let a = s.command(bad)?;
        if !a.trim().starts_with("error: ") || a.trim().lines().count() != 1 {
            return Err(format!("{bad}: {:?}", a.trim()));
        }
    }
    Ok(widths.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_from_the_smallest_order_above() {
        let before = [5, 0, 1, 0, 0, 2, 1, 0, 0, 0, 30];
        assert_eq!(after_split(&before, 3).unwrap(), [5, 0, 1, 1, 1, 1, 1, 0, 0, 0, 30]);
        assert_eq!(after_split(&before, 2).unwrap(), [5, 0, 0, 0, 0, 2, 1, 0, 0, 0, 30]);
        assert!(after_split(&[1, 0, 0], 1).is_none());
    }

    #[test]
    fn numbers_after_keys() {
        assert_eq!(number_after("alloc: order-3 block at 0x2a0000 (pfn", " at ").unwrap(), 0x2a0000);
        assert_eq!(number_after("dma alloc: handle 7: 4 MiB", "handle ").unwrap(), 7);
        assert!(number_after("nothing", "handle ").is_err());
    }
}
