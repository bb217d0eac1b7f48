//! Judging one QEMU run: did the kernel halt by itself, print what the case
//! expects in order, print nothing forbidden, and trap where it should?

use crate::Run;
use crate::cases::Case;
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

pub fn judge(case: &Case, run: &Run, symbols: &Symbols) -> Result<String, String> {
    if run.timed_out {
        return Err(format!("no halt within {} s (hung or looping)", case.timeout_s));
    }
    if run.exit != Some(0) {
        return Err(format!("QEMU exited with {:?}", run.exit));
    }
    in_order(&run.output, case.expect)?;
    if let Some(f) = case.forbid.iter().find(|f| run.output.contains(*f)) {
        return Err(format!("forbidden output {f:?} present"));
    }
    let mut detail = String::new();
    if let Some(func) = case.trap_pc_in {
        in_order(&run.output, &["*** at PC ", "*** kernel halted after an unexpected trap"])?;
        let pc = trap_pc(&run.output).ok_or("no trap PC in the output")?;
        match symbols.lookup(pc) {
            Some(s) if s == func => detail = format!(", trap PC {pc:#x} in {s}"),
            other => return Err(format!("trap PC {pc:#x} is in {other:?}, expected {func}")),
        }
    }
    if let Some(m) = case.memory {
        detail.push_str(&check_memory(&run.output, m.total_mib, m.cma_mib)?);
    }
    Ok(detail)
}

/// The numbers of the kernel's memory reconciliation line:
/// `memory: total T pages (M MiB) = reserved R + CMA C + buddy free F +
/// buddy allocated A (heap H): reconciled`.
#[derive(Debug, PartialEq, Eq)]
pub struct Reconcile {
    pub total: u64,
    pub mib: u64,
    pub reserved: u64,
    pub cma: u64,
    pub free: u64,
    pub allocated: u64,
    pub verdict: String,
}

pub fn parse_reconcile(output: &str) -> Option<Reconcile> {
    let line = output.lines().find(|l| l.contains("memory: total "))?;
    let rest = &line[line.find("memory: total ")? + "memory: total ".len()..];
    let nums: Vec<u64> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let verdict = rest.rsplit(": ").next()?.trim().to_string();
    match nums[..] {
        [total, mib, reserved, cma, free, allocated, _heap, ..] => {
            Some(Reconcile { total, mib, reserved, cma, free, allocated, verdict })
        }
        _ => None,
    }
}

/// Checks the reconciliation independently of the kernel's own verdict.
pub fn check_memory(output: &str, total_mib: u64, cma_mib: u64) -> Result<String, String> {
    let r = parse_reconcile(output).ok_or("no memory reconciliation line")?;
    let sum = r.reserved + r.cma + r.free + r.allocated;
    if sum != r.total || r.verdict != "reconciled" {
        return Err(format!("memory does not add up: {r:?} (sum {sum})"));
    }
    if r.total * 8 / 1024 != total_mib || r.mib != total_mib {
        return Err(format!("total memory {} pages ({} MiB), expected {total_mib} MiB", r.total, r.mib));
    }
    if r.cma * 8 / 1024 != cma_mib {
        return Err(format!("CMA {} pages, expected {cma_mib} MiB", r.cma));
    }
    Ok(format!(", memory {} pages = {} reserved + {} CMA + {} free + {} allocated", r.total, r.reserved, r.cma, r.free, r.allocated))
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
        let out = "[ 0.1] INFO  memory: total 32768 pages (256 MiB) = reserved 448 + CMA 2048 + buddy free 30272 + buddy allocated 0 (heap 0): reconciled\n";
        let r = parse_reconcile(out).unwrap();
        assert_eq!((r.total, r.mib, r.reserved, r.cma, r.free, r.allocated), (32768, 256, 448, 2048, 30272, 0));
        assert!(check_memory(out, 256, 16).is_ok());
        assert!(check_memory(out, 512, 16).unwrap_err().contains("expected 512 MiB"));
        assert!(check_memory(out, 256, 0).unwrap_err().contains("CMA"));
        let bad = out.replace("free 30272", "free 30271");
        assert!(check_memory(&bad, 256, 16).unwrap_err().contains("does not add up"));
    }

    #[test]
    fn pc_parse() {
        assert_eq!(trap_pc("x\n*** at PC 0xfffffc0000310abc, PS 0x7"), Some(0xfffffc0000310abc));
        assert_eq!(trap_pc("nothing"), None);
    }

    #[test]
    fn judge_rejects_timeouts_and_forbidden_output() {
        let syms = Symbols::parse("");
        let c = crate::cases::all().into_iter().find(|c| c.name == "boot-banner").unwrap();
        let hung = Run { output: String::new(), exit: None, timed_out: true, seconds: 1.0 };
        assert!(judge(&c, &hung, &syms).unwrap_err().contains("no halt"));
        let mut out: String = c.expect.join("\n");
        out.push_str("\n*** TRAP: x");
        let trapped = Run { output: out, exit: Some(0), timed_out: false, seconds: 1.0 };
        assert!(judge(&c, &trapped, &syms).unwrap_err().contains("forbidden"));
        let good = Run { output: c.expect.join("\n"), exit: Some(0), timed_out: false, seconds: 1.0 };
        assert!(judge(&c, &good, &syms).is_ok());
    }
}
