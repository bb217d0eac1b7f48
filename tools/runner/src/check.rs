//! Judging one QEMU run: did the kernel halt by itself, print what the case
//! expects in order, print nothing forbidden, and trap where it should?

use crate::Run;
use crate::cases::{Case, MemExpect};
use qemu_common::{Level, parse_reconcile_line};
use std::path::Path;
use std::process::Command;

/// The kernel's text symbols, sorted by address (from `alpha-linux-gnu-nm`).
pub struct Symbols(Vec<(u64, String)>);

impl Symbols {
    pub fn load(elf: &Path) -> Result<Symbols, String> {
        let out = Command::new("alpha-linux-gnu-nm")
            .args(["-n", "--defined-only"])
            .arg(elf)
            .output()
            .map_err(|e| format!("cannot run alpha-linux-gnu-nm: {e}"))?;
        if !out.status.success() {
            return Err(format!("alpha-linux-gnu-nm failed on {}", elf.display()));
        }
        Ok(Symbols::parse(&String::from_utf8_lossy(&out.stdout)))
    }

    pub fn parse(nm: &str) -> Symbols {
        let mut v: Vec<(u64, String)> = nm
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let addr = u64::from_str_radix(f.next()?, 16).ok()?;
                let kind = f.next()?;
                let name = f.next()?;
                matches!(kind, "t" | "T").then(|| (addr, name.to_string()))
            })
            .collect();
        v.sort();
        Symbols(v)
    }

    /// The function containing `pc` (the last text symbol at or below it).
    pub fn lookup(&self, pc: u64) -> Option<&str> {
        let i = self.0.partition_point(|(a, _)| *a <= pc);
        i.checked_sub(1).map(|i| self.0[i].1.as_str())
    }
}

/// Finds each expected string after the previous one; the first missing
/// one is the error.
pub fn in_order(output: &str, expect: &[&str]) -> Result<(), String> {
    let mut pos = 0;
    for e in expect {
        match output[pos..].find(e) {
            Some(i) => pos += i + e.len(),
            None => {
                return Err(if output.contains(e) {
                    format!("{e:?} printed, but out of order")
                } else {
                    format!("expected {e:?} in the console output")
                });
            }
        }
    }
    Ok(())
}

/// The PC of the first trap report (`*** at PC 0x...`).
pub fn trap_pc(output: &str) -> Option<u64> {
    let i = output.find("*** at PC 0x")? + "*** at PC 0x".len();
    let hex: String = output[i..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    u64::from_str_radix(&hex, 16).ok()
}

/// Output only a crash case may print (the trap handler's and the panic
/// handler's reports).
pub const CRASH_MARKS: &[&str] = &["*** TRAP", "*** KERNEL PANIC", "*** KERNEL ABORT"];

pub fn judge(case: &Case, run: &Run, symbols: &Symbols) -> Result<String, String> {
    if run.timed_out {
        return Err(format!("no halt within {} s (hung or looping)", case.timeout_s));
    }
    if run.exit != Some(0) {
        return Err(format!("QEMU exited with {:?}", run.exit));
    }
    if !case.crash {
        if let Some(l) = run.output.lines().find(|l| CRASH_MARKS.iter().any(|m| l.contains(m))) {
            return Err(format!("crash output {:?} (only the crash cases may trap or panic)", l.trim()));
        }
    }
    check_skips(case, &run.output)?;
    in_order(&run.output, case.expect)?;
    if let Some(f) = case.forbid.iter().find(|f| run.output.contains(*f)) {
        return Err(format!("forbidden output {f:?} present"));
    }
    let mut detail = qemu_common::check_warnings(&run.output, case.allow)?;
    detail.push_str(&check_loglevel(case.append, &run.output)?);
    detail.push_str(&check_monitor(case, &run.output)?);
    if let Some(func) = case.trap_pc_in {
        in_order(&run.output, &["*** at PC ", "*** kernel halted after an unexpected trap"])?;
        let pc = trap_pc(&run.output).ok_or("no trap PC in the output")?;
        match symbols.lookup(pc) {
            Some(s) if s == func => detail.push_str(&format!(", trap PC {pc:#x} in {s}")),
            other => return Err(format!("trap PC {pc:#x} is in {other:?}, expected {func}")),
        }
    }
    if case.qemu.iter().any(|a| a.contains("model=tulip")) {
        detail.push_str(&check_nic(&run.output, !case.append.contains("net_irq="))?);
    }
    detail.push_str(&check_reconciliations(&run.output, case.memory, case.mismatch)?);
    detail.push_str(&check_stack(&run.output)?);
    if case.memory.is_some() {
        detail.push_str(&check_console_tables(&run.output)?);
    }
    if case.name == "kernel-bench" {
        detail.push_str(&check_bench(&run.output)?);
    }
    Ok(detail)
}

/// A kernel that reaches the normal halt (`ready; halting`) reports its
/// stack's peak after it (`stack: peak N of M bytes`, an ERROR line when
/// close to the end, which the warnings check judges): the line must be
/// there, and its numbers sane.
fn check_stack(output: &str) -> Result<String, String> {
    let Some(halt) = output.rfind("ready; halting") else {
        return Ok(String::new());
    };
    let Some(at) = output[halt..].find("stack: peak ") else {
        return Err("no \"stack: peak\" line after \"ready; halting\"".into());
    };
    let rest = &output[halt + at + "stack: peak ".len()..];
    let line = rest.lines().next().unwrap_or("");
    let mut words = line.split_whitespace();
    let used = words.next().and_then(|w| w.parse::<u64>().ok());
    let size = words.nth(1).and_then(|w| w.parse::<u64>().ok());
    match (used, size) {
        (Some(u), Some(s)) if u > 0 && u <= s => Ok(format!(", stack peak {u} of {s} bytes")),
        _ => Err(format!("stack line unreadable: \"stack: peak {line}\"")),
    }
}

/// A kernel that stays up ([`crate::cases::stays_up`]) shows the
/// monitor's prompt, answers the `halt` the runner types, and ends with
/// the halt path's reconciliation (when boot had one) and `ready; halting` (at a log level
/// that prints them); a one-shot run shows no prompt. Crash cases are
/// judged by their crash reports instead.
pub fn check_monitor(case: &Case, output: &str) -> Result<String, String> {
    if case.crash {
        // A crash case is judged by its crash report.
        return Ok(String::new());
    }
    // The prompt starts a line (a log line may quote it, as the self-test
    // of the memory commands does).
    let prompted = |typed: &str| output.lines().any(|l| l.starts_with(crate::cases::PROMPT) && l[crate::cases::PROMPT.len()..].starts_with(typed));
    if !crate::cases::stays_up(case) {
        if prompted("") {
            return Err("the monitor's prompt appeared in a one-shot run".into());
        }
        return Ok(String::new());
    }
    if !prompted("halt") {
        return Err("monitor: no prompt with the typed halt".into());
    }
    in_order(output, &["alpha> halt\n", "halting\n"]).map_err(|e| format!("monitor: {e}"))?;
    let level = bootparam::EarlyParams::parse(case.append).loglevel.unwrap_or(qemu_common::DEFAULT_LOGLEVEL);
    if level >= 7 {
        let halt = output.rfind("halting\n").unwrap_or(0);
        let tail = &output[halt..];
        // Without a memory map there is no page allocator to reconcile.
        let reconciled = !output.contains("memory (boot): ")
            || tail.contains("memory (monitor halt): ")
            || tail.contains("memory (end of the network run): ");
        if !reconciled || !tail.contains("ready; halting (stopped)") {
            return Err("monitor: halt did not end with the reconciliation and \"ready; halting (stopped)\"".into());
        }
    }
    Ok(", monitor halted".into())
}

/// `selftest NAME: skipped (REASON)` lines as (NAME, REASON).
pub fn skipped_selftests(output: &str) -> Vec<(&str, &str)> {
    output
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("selftest ")? + "selftest ".len()..];
            let (name, why) = rest.split_once(": skipped (")?;
            Some((name, why.strip_suffix(')').unwrap_or(why)))
        })
        .collect()
}

/// A case that expects `selftest NAME: ok` fails with the reason when NAME
/// was skipped instead (rather than with "expected ... in the output").
pub fn check_skips(case: &Case, output: &str) -> Result<(), String> {
    for (name, why) in skipped_selftests(output) {
        if case.expect.iter().any(|e| e.starts_with(&format!("selftest {name}: ok"))) {
            return Err(format!("selftest {name} was skipped ({why}), but this case needs it to run"));
        }
    }
    Ok(())
}

/// The level `loglevel=` on the case's command line asks for (the kernel
/// parses it with the same `bootparam` crate; default 7) must have taken
/// effect, by Linux's rule (a message is printed when its level is below
/// N): no line the level should hide, and with `loglevel=8` or more at
/// least one `DEBUG` line.
pub fn check_loglevel(cmdline: &str, output: &str) -> Result<String, String> {
    let n = bootparam::EarlyParams::parse(cmdline).loglevel.unwrap_or(qemu_common::DEFAULT_LOGLEVEL);
    if let Some(l) = qemu_common::lines_not_printed_at(output, n).next() {
        return Err(format!("loglevel {n} prints only levels below {n}, yet: {:?}", l.trim()));
    }
    if Level::Debug.printed_at(n) {
        let count = output.lines().filter(|l| qemu_common::log_level(l) == Some(Level::Debug)).count();
        if count == 0 {
            return Err(format!("loglevel {n}, but no DEBUG line"));
        }
        return Ok(format!(", loglevel {n}: {count} DEBUG lines"));
    }
    Ok(String::new())
}

/// The number right after `key` in `s`.
fn num_after(s: &str, key: &str) -> Option<u64> {
    let r = &s[s.find(key)? + key.len()..];
    r.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// The DEC 21143 wherever QEMU put it: the PCI address in the kernel's
/// listing (00:01.0 with `-vga none`) is the one every `tulip: up:` and
/// loopback self-test line names, and its Cchip line by the Clipper rule
/// (slot s INTA: line 8 + (s - 1) * 4) is the one the firmware wrote into
/// the interrupt line register and, with `lines`, the one the kernel
/// routed, enabled and counted on (`net: ... Cchip line N`, `net:
/// interrupts on: Cchip line N (SCB vector V)`, `net: interrupts: line N:`).
pub fn check_nic(output: &str, lines: bool) -> Result<String, String> {
    let (f, line) = qemu_common::tulip_slot_line(output)?;
    for key in ["tulip: up: ", "selftest tulip-loopback-sg: ok (", "selftest tulip-loopback-direct: ok (", "net: "] {
        for l in output.lines().filter(|l| l.contains(key)) {
            let at = l[l.find(key).unwrap() + key.len()..].split_whitespace().next().unwrap_or("");
            if key == "net: " && !l.contains(" 21143 INT") {
                continue;
            }
            if at != f.bdf {
                return Err(format!("{:?} names {at}, but the 21143 is at {} in the PCI listing", l.trim(), f.bdf));
            }
        }
    }
    if let Some(fw) = f.irq_line {
        if fw != line {
            return Err(format!("the firmware wrote interrupt line {fw} for the 21143 at {}; Clipper's rule gives {line}", f.bdf));
        }
    }
    if lines {
        let bad = |l: &str, got: Option<u64>| -> Result<(), String> {
            if got != Some(line as u64) {
                return Err(format!("{:?}: the 21143 at {} (slot {}) is on Cchip line {line}", l.trim(), f.bdf, f.slot));
            }
            Ok(())
        };
        for l in output.lines() {
            if l.contains(" 21143 INT") && l.contains(": Cchip line ") {
                bad(l, num_after(l, ": Cchip line "))?;
            } else if l.contains("net: interrupts on: Cchip line ") {
                bad(l, num_after(l, "net: interrupts on: Cchip line "))?;
                let want = 0x800 + (16 + line as u64) * 16;
                let vec = l.split("SCB vector 0x").nth(1).and_then(|r| {
                    u64::from_str_radix(&r.chars().take_while(char::is_ascii_hexdigit).collect::<String>(), 16).ok()
                });
                if vec != Some(want) {
                    return Err(format!("{:?}: line {line}'s SCB vector is {want:#x}", l.trim()));
                }
            } else if l.contains("net: interrupts: line ") {
                bad(l, num_after(l, "net: interrupts: line "))?;
            }
        }
    }
    Ok(format!(", 21143 at {} (Cchip line {line})", f.bdf))
}

/// Every row the in-kernel benchmark (`kernel/src/selftest/bench.rs`)
/// prints with `-append bench` (default memory and CMA).
pub const BENCH_ROWS: &[&str] = &[
    "pages order 0",
    "pages order 1",
    "pages order 2",
    "pages order 4",
    "pages order 6",
    "pages order 8",
    "pages order 10",
    "cma 1 pages",
    "cma 16 pages",
    "cma 128 pages",
    "cma 512 pages",
    "coherent 8 KiB bench-direct",
    "coherent 128 KiB bench-direct",
    "map_single 1500 B bench-direct",
    "map_single 65536 B bench-direct",
    "coherent 8 KiB bench-sg",
    "coherent 128 KiB bench-sg",
    "map_single 1500 B bench-sg",
    "map_single 65536 B bench-sg",
];

/// One benchmark row, `bench: <label> <batch> <alloc> <free>`, optionally
/// followed by `  (N of M allocations failed, N of M frees failed)`: the
/// label and the three numbers.
pub fn parse_bench_row(line: &str) -> Option<(String, u64, u64, u64)> {
    let rest = &line[line.find("bench: ")? + "bench: ".len()..];
    let rest = rest.split("  (").next()?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    if f.len() < 4 {
        return None;
    }
    let n = |s: &str| s.parse::<u64>().ok();
    let (batch, alloc, free) = (n(f[f.len() - 3])?, n(f[f.len() - 2])?, n(f[f.len() - 1])?);
    Some((f[..f.len() - 3].join(" "), batch, alloc, free))
}

/// The benchmark table: every row of [`BENCH_ROWS`] present exactly once,
/// its batch, alloc and free cycles parsed and positive, and no allocation
/// or free failed.
pub fn check_bench(output: &str) -> Result<String, String> {
    let rows: Vec<(String, u64, u64, u64)> = output.lines().filter_map(parse_bench_row).collect();
    for want in BENCH_ROWS {
        let found: Vec<_> = rows.iter().filter(|r| r.0 == *want).collect();
        let (_, batch, alloc, free) = match found.as_slice() {
            [one] => *one,
            [] => return Err(format!("bench row {want:?} missing or its numbers unparsable")),
            _ => return Err(format!("bench row {want:?} printed {} times", found.len())),
        };
        if *batch == 0 || *alloc == 0 || *free == 0 {
            return Err(format!("bench row {want:?}: batch {batch}, alloc {alloc}, free {free} cycles: not all positive"));
        }
    }
    if let Some(l) = output.lines().find(|l| l.contains("bench: ") && l.contains("allocations failed")) {
        return Err(format!("a benchmark allocation failed: {}", l.trim()));
    }
    if let Some(l) = output.lines().find(|l| l.contains("bench: ") && l.contains("frees failed")) {
        return Err(format!("a benchmark free returned an error: {}", l.trim()));
    }
    Ok(format!(", {} bench rows", BENCH_ROWS.len()))
}

/// Every reconciliation line of a run, checked independently of the
/// kernel's verdict: the four parts must add up to the total, the owners
/// to the owned count; a `reconciled` line must really add up, and a
/// `MISMATCH by D` must state the runner's own difference. Only the
/// mismatch the case expects (`(label, D)`) is accepted. With `memory`,
/// each line's total and CMA size are checked, and the boot line must be
/// there. Returns a detail for the case's line.
pub fn check_reconciliations(output: &str, memory: Option<MemExpect>, mismatch: Option<(&str, i64)>) -> Result<String, String> {
    let lines: Vec<&str> = output.lines().filter(|l| l.contains("memory (") && l.contains("): total ")).collect();
    let mut labels = Vec::new();
    let mut mismatch_seen = false;
    for line in &lines {
        let r = parse_reconcile_line(line).map_err(|e| format!("unreadable reconciliation line ({e}): {line}"))?;
        let owners_sum: u64 = r.owners.iter().map(|o| o.1).sum();
        if owners_sum != r.owned {
            return Err(format!("memory ({}): the owners add up to {owners_sum} pages, the line says owned {}", r.when, r.owned));
        }
        let diff = r.sum() as i64 - r.total as i64;
        match (r.verdict.as_str(), mismatch) {
            ("reconciled", _) if diff == 0 => {}
            ("reconciled", _) => {
                return Err(format!("memory ({}): says reconciled but the parts add up to {} of {} pages", r.when, r.sum(), r.total));
            }
            (v, Some((label, want))) if v.starts_with("MISMATCH") && r.when == label => {
                let said = v.strip_prefix("MISMATCH by ").and_then(|x| x.split(' ').next()).and_then(|x| x.parse::<i64>().ok());
                if said != Some(diff) || diff != want {
                    return Err(format!("memory ({}): kernel says {v:?}; the runner's difference is {diff}, the case expects {want}", r.when));
                }
                mismatch_seen = true;
            }
            (v, _) => return Err(format!("memory ({}): {v} (parts add up to {} of {} pages)", r.when, r.sum(), r.total)),
        }
        if let Some(m) = memory {
            if r.total * 8 / 1024 != m.total_mib || r.mib != m.total_mib {
                return Err(format!("memory ({}): total {} pages ({} MiB), expected {} MiB", r.when, r.total, r.mib, m.total_mib));
            }
            if r.cma_total() * 8 / 1024 != m.cma_mib {
                return Err(format!("memory ({}): CMA {} pages, expected {} MiB", r.when, r.cma_total(), m.cma_mib));
            }
        }
        labels.push(r.when);
    }
    if let Some((label, want)) = mismatch {
        if !mismatch_seen {
            return Err(format!("expected `memory ({label}): ... MISMATCH by {want:+}` and saw none"));
        }
    }
    if memory.is_some() && !labels.iter().any(|l| l == "boot") {
        return Err("no `memory (boot): ...` reconciliation line".into());
    }
    if labels.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(", memory reconciled at {}", labels.join(", ")))
}

/// `start-end` of every `memblock: reserve 0x...-0x... (what)` line, with
/// what.
fn reservations(output: &str) -> Vec<(u64, u64, String)> {
    output
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("memblock: reserve 0x")? + "memblock: reserve ".len()..];
            let (range, what) = rest.split_once(' ')?;
            let (a, b) = range.split_once('-')?;
            let hex = |x: &str| u64::from_str_radix(x.trim_start_matches("0x"), 16).ok();
            Some((hex(a)?, hex(b)?, what.to_string()))
        })
        .collect()
}

/// The console page tables line (`mm: console page tables: N pages (L1
/// 0x..., L2 0x..., ...; ...): C in console memory, F in free memory...`),
/// checked against the rest of the log: at least 2 pages (the level-1
/// table and the one mapping the HWRPB), a level-1 table listed (the one
/// the SRM stub found, when it ran), every listed page inside a memblock
/// reservation, and F equal to the pages reserved as console page tables.
pub fn check_console_tables(output: &str) -> Result<String, String> {
    let key = "mm: console page tables: ";
    let line = output.lines().find(|l| l.contains(key)).ok_or("no console page tables line")?;
    let rest = &line[line.find(key).unwrap() + key.len()..];
    if rest.contains("failed") {
        return Err(format!("console page table walk failed: {rest}"));
    }
    let num_before = |s: &str, word: &str| -> Option<u64> {
        let i = s.find(word)?;
        s[..i].split(|c: char| !c.is_ascii_digit()).rfind(|w| !w.is_empty())?.parse().ok()
    };
    let pages = num_before(rest, " pages (").ok_or("no page count")?;
    let free = num_before(rest, " in free memory").ok_or("no free-memory count")?;
    let inside = &rest[rest.find('(').ok_or("no table list")? + 1..rest.find(';').ok_or("no table list end")?];
    let listed: Vec<(String, u64)> = inside
        .split(", ")
        .filter_map(|t| {
            let (level, pa) = t.split_once(' ')?;
            Some((level.to_string(), u64::from_str_radix(pa.strip_prefix("0x")?, 16).ok()?))
        })
        .collect();
    if pages < 2 {
        return Err(format!("only {pages} console page-table pages (expected the level-1 table and at least the one mapping the HWRPB)"));
    }
    let l1 = listed.iter().find(|(l, _)| l == "L1").map(|&(_, pa)| pa).ok_or("no level-1 table listed")?;
    let stub_key = "level-1 page table at physical 0x";
    if let Some(i) = output.find(stub_key) {
        let hex: String = output[i + stub_key.len()..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        if u64::from_str_radix(&hex, 16).ok() != Some(l1) {
            return Err(format!("the SRM stub found the level-1 table at 0x{hex}, the kernel at {l1:#x}"));
        }
    }
    let res = reservations(output);
    for (level, pa) in &listed {
        if !res.iter().any(|(a, b, _)| a <= pa && pa + 8192 <= *b) {
            return Err(format!("console page table {level} at {pa:#x} lies in no memblock reservation"));
        }
    }
    let reserved: u64 = res.iter().filter(|(_, _, w)| w == "(console page tables)").map(|(a, b, _)| (b - a) / 8192).sum();
    if reserved != free {
        return Err(format!("{free} console page-table pages in free memory, but {reserved} reserved as console page tables"));
    }
    Ok(format!(", console page tables {pages} pages ({free} were free)"))
}

pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("      | {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        assert!(in_order("a b c", &["a", "c"]).is_ok());
        assert!(in_order("a b c", &["c", "a"]).unwrap_err().contains("out of order"));
        assert!(in_order("a b c", &["d"]).unwrap_err().contains("expected"));
    }

    #[test]
    fn symbol_lookup() {
        let s = Symbols::parse(
            "fffffc0000310000 T _start\nfffffc0000310040 t helper\nfffffc0000320000 D data\nfffffc0000310100 T __divq\n",
        );
        assert_eq!(s.lookup(0xfffffc0000310004), Some("_start"));
        assert_eq!(s.lookup(0xfffffc0000310044), Some("helper"));
        assert_eq!(s.lookup(0xfffffc0000310200), Some("__divq"));
        assert_eq!(s.lookup(0x10), None);
    }

    #[test]
    fn reconcile_parse_and_check() {
        let out = "[ 0.1] INFO  memory (boot): total 32768 pages (256 MiB) = reserved 450 + CMA free 2048 + buddy free 30266 + owned 4 [iommu-tables 4]: reconciled\n";
        let r = parse_reconcile_line(out).unwrap();
        assert_eq!((r.total, r.mib, r.reserved, r.cma_free, r.buddy_free, r.owned), (32768, 256, 450, 2048, 30266, 4));
        assert_eq!(r.owners, vec![("iommu-tables".to_string(), 4, 0)]);
        let m = |t, c| Some(MemExpect { total_mib: t, cma_mib: c });
        assert!(check_reconciliations(out, m(256, 16), None).unwrap().contains("reconciled at boot"));
        assert!(check_reconciliations(out, m(512, 16), None).unwrap_err().contains("expected 512 MiB"));
        assert!(check_reconciliations(out, m(256, 0), None).unwrap_err().contains("CMA"));
        let bad = out.replace("free 30266", "free 30265");
        assert!(check_reconciliations(&bad, m(256, 16), None).unwrap_err().contains("says reconciled but"));
        let owners = out.replace("[iommu-tables 4]", "[iommu-tables 3]");
        assert!(check_reconciliations(&owners, None, None).unwrap_err().contains("owners add up to 3"));
        // CMA held by an owner still counts towards the CMA size.
        let cma = "INFO  memory (after the self-tests): total 32768 pages (256 MiB) = reserved 450 + CMA free 2000 + buddy free 30266 + owned 52 [iommu-tables 4, dma-coherent:x 48 (48 CMA)]: reconciled\n";
        assert_eq!(parse_reconcile_line(cma).unwrap().cma_total(), 2048);
        assert!(check_reconciliations(cma, m(256, 16), None).unwrap_err().contains("no `memory (boot)"));
        assert!(check_reconciliations(&format!("{out}{cma}"), m(256, 16), None).is_ok());
        // A mismatch passes only where the case expects it, with the runner's own difference.
        let leak = "ERROR memory (after the deliberate leak): total 32768 pages (256 MiB) = reserved 450 + CMA free 2048 + buddy free 30265 + owned 4 [iommu-tables 4]: MISMATCH by -1 page(s): the sources add up to 32767\n";
        let both = format!("{out}{leak}");
        assert!(check_reconciliations(&both, m(256, 16), None).unwrap_err().contains("MISMATCH"));
        assert!(check_reconciliations(&both, m(256, 16), Some(("after the deliberate leak", -1))).is_ok());
        assert!(check_reconciliations(&both, m(256, 16), Some(("after the deliberate leak", -2))).is_err());
        assert!(check_reconciliations(out, m(256, 16), Some(("after the deliberate leak", -1))).unwrap_err().contains("saw none"));
        let lying = leak.replace("by -1", "by -3");
        assert!(check_reconciliations(&format!("{out}{lying}"), m(256, 16), Some(("after the deliberate leak", -1))).is_err());
        assert!(check_reconciliations("memory (boot): total x", None, None).unwrap_err().contains("unreadable"));
    }

    #[test]
    fn console_tables() {
        let log = "INFO  memblock: reserve 0x0000000000-0x000001e000 (console/PALcode cluster)\n\
                   INFO  mm: console page tables: 3 pages (L1 0xc000, L2 0x1a000, L3 0x1c000; VPTB 0xfffffffe00000000, HWRPB 0x10000000 -> 0x18000 through them): 3 in console memory, 0 in free memory, nothing to reserve\n";
        assert_eq!(check_console_tables(log).unwrap(), ", console page tables 3 pages (0 were free)");
        let stub = format!("srm-stub: ...: ok; level-1 page table at physical 0xe000\n{log}");
        assert!(check_console_tables(&stub).unwrap_err().contains("the SRM stub found"));
        let outside = log.replace("L3 0x1c000", "L3 0x1e000");
        assert!(check_console_tables(&outside).unwrap_err().contains("L3 at 0x1e000 lies in no memblock reservation"));
        let one = log.replace("3 pages (L1 0xc000, L2 0x1a000, L3 0x1c000;", "1 pages (L1 0xc000;");
        assert!(check_console_tables(&one).unwrap_err().contains("only 1"));
        let srm = "INFO  memblock: reserve 0x0000000000-0x000001e000 (console/PALcode cluster)\n\
                   INFO  memblock: reserve 0x0007000000-0x0007004000 (console page tables)\n\
                   INFO  mm: console page tables: 4 pages (L1 0x2000, L2 0x4000, L3 0x7000000, L3 0x7002000; VPTB 0x200000000, HWRPB 0x10000000 -> 0x2000 through them): 2 in console memory, 2 in free memory, reserved\n";
        assert!(check_console_tables(srm).is_ok());
        assert!(check_console_tables(&srm.replace("2 in free", "3 in free")).unwrap_err().contains("but 2 reserved"));
        assert!(check_console_tables("nothing").is_err());
        assert!(check_console_tables("mm: console page tables: walk through the VPTB 0x0 failed: x").unwrap_err().contains("failed"));
    }

    #[test]
    fn bench_table() {
        let mut out = String::from("[ 0.1] INFO  bench: operation                          batch  alloc/map free/unmap\n");
        for r in BENCH_ROWS {
            out.push_str(&format!("[ 0.2] INFO  bench: {r:<34} {:>5} {:>10} {:>10}\n", 8, 120, 95));
        }
        assert_eq!(check_bench(&out).unwrap(), format!(", {} bench rows", BENCH_ROWS.len()));
        assert_eq!(
            parse_bench_row("INFO  bench: pages order 10                           1       4021       3100"),
            Some(("pages order 10".into(), 1, 4021, 3100))
        );
        let row = |r: &str, a: u64| format!("bench: {r:<34} {:>5} {:>10} {:>10}", 8, a, 95);
        let zero = out.replace(&row("cma 16 pages", 120), &row("cma 16 pages", 0));
        assert_ne!(zero, out);
        assert!(check_bench(&zero).unwrap_err().contains("not all positive"));
        let missing = out.replace("pages order 10 ", "pages order 11 ");
        assert!(check_bench(&missing).unwrap_err().contains("\"pages order 10\" missing"));
        let failed = out.replace("       95\n", "       95  (3 of 2048 allocations failed)\n");
        assert!(check_bench(&failed).unwrap_err().contains("allocation failed"));
        let free_failed = out.replace("       95\n", "       95  (1 of 2048 frees failed)\n");
        assert!(check_bench(&free_failed).unwrap_err().contains("a benchmark free returned an error"));
        assert_eq!(
            parse_bench_row("INFO  bench: cma 1 pages  8  119  112  (2 of 2048 allocations failed, 1 of 2046 frees failed)"),
            Some(("cma 1 pages".into(), 8, 119, 112))
        );
        assert!(check_bench("nothing").is_err());
    }

    #[test]
    fn pc_parse() {
        assert_eq!(trap_pc("x\n*** at PC 0xfffffc0000310abc, PS 0x7"), Some(0xfffffc0000310abc));
        assert_eq!(trap_pc("nothing"), None);
    }

    fn run(output: &str) -> Run {
        Run { output: output.to_string(), exit: Some(0), timed_out: false, seconds: 1.0 }
    }

    /// A run that stays up: the prompt, the `halt` the runner types, the
    /// halt path's reconciliation and the last line.
    const LINE: &str = "alpha> halt\nhalting\n[    0.000090] INFO  memory (monitor halt): total 128 pages (1 MiB) = reserved 8 + CMA free 16 + buddy free 100 + owned 4 [iommu-tables 4]: reconciled\n[    0.000100] INFO  ready; halting (stopped)\n[    0.000110] INFO  stack: peak 4096 of 131072 bytes";

    #[test]
    fn judge_checks_the_monitor_session() {
        let syms = Symbols::parse("");
        let up = Case { expect: &["ready; halting"], ..crate::cases::case("t", "") };
        assert!(judge(&up, &run(LINE), &syms).unwrap().contains("monitor halted"));
        let no_prompt = "[    0.000100] INFO  ready; halting (stopped)";
        assert!(judge(&up, &run(no_prompt), &syms).unwrap_err().contains("monitor:"));
        let boot = "[    0.000010] INFO  memory (boot): total 128 pages (1 MiB) = reserved 8 + CMA free 16 + buddy free 104 + owned 0 []: reconciled";
        let no_reconcile = format!("{boot}\nalpha> halt\nhalting\n[    0.000100] INFO  ready; halting (stopped)");
        assert!(judge(&up, &run(&format!("{boot}\n{LINE}")), &syms).is_ok());
        assert!(judge(&up, &run(&no_reconcile), &syms).unwrap_err().contains("reconciliation"));
        // A log line quoting the prompt is not the prompt.
        let quoted = "[    0.000100] INFO  monitor-mm: alpha> pfn 1: ok\n[    0.000200] INFO  ready; halting (one-shot run: test)\n[    0.000110] INFO  stack: peak 4096 of 131072 bytes";
        let test = Case { expect: &[], ..crate::cases::case("t", "crash=nonsense") };
        assert!(judge(&test, &run(quoted), &syms).is_ok());
        // A one-shot run must not offer the prompt.
        let once = Case { expect: &[], ..crate::cases::case("t", "crash=nonsense") };
        assert!(judge(&once, &run("[    0.000100] INFO  ready; halting (one-shot run: crash)\n[    0.000110] INFO  stack: peak 4096 of 131072 bytes"), &syms).is_ok());
        assert!(judge(&once, &run(LINE), &syms).unwrap_err().contains("one-shot"));
    }

    #[test]
    fn judge_rejects_timeouts_crashes_and_forbidden_output() {
        let syms = Symbols::parse("");
        let c = Case { expect: &["ready; halting"], forbid: &["nope"], ..crate::cases::case("t", "") };
        let hung = Run { output: String::new(), exit: None, timed_out: true, seconds: 1.0 };
        assert!(judge(&c, &hung, &syms).unwrap_err().contains("no halt"));
        assert!(judge(&c, &run(LINE), &syms).is_ok());
        let trapped = format!("{LINE}\n*** TRAP: x");
        assert!(judge(&c, &run(&trapped), &syms).unwrap_err().contains("only the crash cases"));
        let panicked = format!("{LINE}\n*** KERNEL PANIC: x");
        assert!(judge(&c, &run(&panicked), &syms).unwrap_err().contains("crash output"));
        let crash = Case { crash: true, ..crate::cases::case("t", "") };
        assert!(judge(&crash, &run(&panicked), &syms).is_ok());
        assert!(judge(&c, &run(&format!("{LINE} nope")), &syms).unwrap_err().contains("forbidden"));
    }

    #[test]
    fn judge_is_strict_about_errors_and_warnings() {
        let syms = Symbols::parse("");
        let c = Case { expect: &["ready; halting"], ..crate::cases::case("t", "") };
        let warned = format!("[    0.000050] WARN  boot parameter ignored: cma=banana\n{LINE}");
        assert!(judge(&c, &run(&warned), &syms).unwrap_err().contains("unexpected log line"));
        let errored = format!("[    0.000050] ERROR dma probe: leaked\n{LINE}");
        assert!(judge(&c, &run(&errored), &syms).unwrap_err().contains("unexpected log line"));
        let allowed = Case { allow: &["cma=banana"], ..c };
        assert!(judge(&allowed, &run(&warned), &syms).unwrap().contains("1 ERROR/WARN line(s), all expected"));
        // Listed but never printed: the list is stale.
        assert!(judge(&allowed, &run(LINE), &syms).unwrap_err().contains("lists as expected"));
        // Every case's list is checked the same way.
        for case in crate::cases::all() {
            assert!(case.allow.iter().all(|a| !a.is_empty()), "{}: empty pattern", case.name);
        }
    }

    #[test]
    fn judge_wants_the_stack_line_after_a_normal_halt() {
        assert!(check_stack("no halt here").unwrap().is_empty());
        assert!(check_stack("INFO  ready; halting (stopped)").unwrap_err().contains("no \"stack: peak\""));
        let ok = "INFO  ready; halting (stopped)\nINFO  stack: peak 35360 of 131072 bytes";
        assert_eq!(check_stack(ok).unwrap(), ", stack peak 35360 of 131072 bytes");
        assert!(check_stack("ready; halting\nstack: peak 9 of 8 bytes").unwrap_err().contains("unreadable"));
        assert!(check_stack("ready; halting\nstack: peak lots").unwrap_err().contains("unreadable"));
    }

    #[test]
    fn judge_checks_the_log_level() {
        let syms = Symbols::parse("");
        let debug = format!("[    0.000050] DEBUG mm: console page table: L1 at 0x000000c000\n{LINE}");
        let default = Case { expect: &["ready; halting"], ..crate::cases::case("t", "") };
        assert!(judge(&default, &run(LINE), &syms).is_ok());
        assert!(judge(&default, &run(&debug), &syms).unwrap_err().contains("loglevel 7 prints only levels below 7"));
        let eight = Case { expect: &["ready; halting"], ..crate::cases::case("t", "x loglevel=8") };
        assert!(judge(&eight, &run(LINE), &syms).unwrap_err().contains("no DEBUG line"));
        assert!(judge(&eight, &run(&debug), &syms).unwrap().contains("1 DEBUG lines"));
        // A malformed value leaves the default.
        let banana = Case { expect: &["ready; halting"], ..crate::cases::case("t", "loglevel=banana") };
        assert!(judge(&banana, &run(&debug), &syms).is_err());
        let four = Case { expect: &[], ..crate::cases::case("t", "loglevel=4") };
        assert!(judge(&four, &run(LINE), &syms).unwrap_err().contains("loglevel 4 prints only levels below 4"));
        assert!(judge(&four, &run("alpha> halt\nhalting\n"), &syms).is_ok());
    }

    #[test]
    fn a_needed_selftest_must_not_be_skipped() {
        let syms = Symbols::parse("");
        let out = "[    0.000050] INFO  selftest tulip-loopback-sg: skipped (no DEC 21143 on bus 0)\n\
                   selftest summary: 0 passed, 0 failed, 1 skipped\n";
        assert_eq!(skipped_selftests(out), [("tulip-loopback-sg", "no DEC 21143 on bus 0")]);
        let needs = Case { expect: &["selftest tulip-loopback-sg: ok ("], ..crate::cases::case("t", "test") };
        let e = judge(&needs, &run(out), &syms).unwrap_err();
        assert!(e.contains("selftest tulip-loopback-sg was skipped (no DEC 21143 on bus 0)"), "{e}");
        let counts = Case { expect: &["selftest summary: 0 passed, 0 failed, 1 skipped"], ..crate::cases::case("t", "test") };
        assert!(judge(&counts, &run(out), &syms).is_ok());
        // The patterns of the cases that need the 21143 cannot match a skip.
        for c in crate::cases::all().iter().filter(|c| c.name.starts_with("dma-device-proof")) {
            for e in c.expect.iter().filter(|e| e.starts_with("selftest tulip")) {
                assert!(!out.contains(e), "{}: {e:?} matches a skip line", c.name);
            }
            assert!(c.expect.iter().any(|e| e.contains(", 0 skipped")), "{}: no summary with 0 skipped", c.name);
        }
    }

    #[test]
    fn the_nic_is_where_the_pci_listing_says() {
        let log = "[    0.020100] INFO    00:01.0 Ethernet controller [0200]: 1011:0019 (rev 00), IRQ line 8, pin A\n\
                   [    0.030000] INFO  tulip: up: 00:01.0 via BAR1 memory 0x10000000, MAC 52:54:00:12:34:56\n\
                   [    0.030100] INFO  net: 00:01.0 21143 INTA: Cchip line 8 (interrupt routing of Clipper, member 5); firmware's interrupt line register: 8\n\
                   [    0.030200] INFO  net: interrupts on: Cchip line 8 (SCB vector 0x980), RTC clock 1024 Hz\n\
                   [    0.040000] INFO  net: interrupts: line 8: 12 taken by the 21143\n";
        assert_eq!(check_nic(log, true).unwrap(), ", 21143 at 00:01.0 (Cchip line 8)");
        assert!(check_nic(&log.replace("up: 00:01.0", "up: 00:02.0"), true).unwrap_err().contains("names 00:02.0"));
        assert!(check_nic(&log.replace("INTA: Cchip line 8", "INTA: Cchip line 12"), true).unwrap_err().contains("is on Cchip line 8"));
        assert!(check_nic(&log.replace("0x980", "0x9c0"), true).unwrap_err().contains("SCB vector is 0x980"));
        assert!(check_nic(&log.replace("interrupts: line 8", "interrupts: line 13"), true).is_err());
        assert!(check_nic(&log.replace("interrupts: line 8", "interrupts: line 13"), false).is_ok());
        assert!(check_nic(&log.replace("IRQ line 8", "IRQ line 12"), true).unwrap_err().contains("firmware wrote"));
        // The same in slot 2 (QEMU with its VGA): line 12.
        let slot2 = log.replace("00:01.0", "00:02.0").replace("line 8", "line 12").replace(" 8\n", " 12\n").replace("0x980", "0x9c0");
        assert_eq!(check_nic(&slot2, true).unwrap(), ", 21143 at 00:02.0 (Cchip line 12)");
        assert!(check_nic("no listing", true).is_err());
    }
}
