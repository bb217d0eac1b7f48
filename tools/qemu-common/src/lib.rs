//! What the host tools (`tools/runner`, `tools/net-test`) share about
//! starting QEMU and reading the kernel's console:
//!
//! * the machine's arguments, from `tools/qemu-machine.args` (the shell
//!   scripts read the same file), and which options choose a NIC;
//! * the kernel's log lines (`kernel/src/logger.rs`: `[    0.123456] WARN
//!   ...`) and the strict check every boot gets: no `ERROR` or `WARN` line
//!   that the test does not list as expected, and no listed one missing;
//! * the Clipper's PCI interrupt routing, to check the NIC's Cchip line
//!   against the slot the kernel found it in.

/// `tools/qemu-machine.args`: one argument per line, `#` comment lines.
const MACHINE_ARGS: &str = include_str!("../../qemu-machine.args");

/// The arguments every QEMU this project starts begins with (`-M clipper
/// -vga none`): see `tools/qemu-machine.args`.
pub fn machine_args() -> Vec<&'static str> {
    MACHINE_ARGS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Options with which a QEMU command line chooses its own network devices
/// (or none at all): without any of them the tools add theirs, since
/// QEMU's default NIC on clipper is an e1000 that needs `efi-e1000.rom`
/// (Debian's `ipxe-qemu`).
pub const NET_OPTIONS: &[&str] = &["-nic", "-netdev", "-net", "-device", "-nodefaults"];

/// Whether `args` choose the network devices themselves ([`NET_OPTIONS`]).
pub fn chooses_nic<S: AsRef<str>>(args: &[S]) -> bool {
    args.iter().any(|a| NET_OPTIONS.contains(&a.as_ref()))
}

/// A kernel log level, most urgent first (`log`'s order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    /// The tag the kernel's logger prints (without its padding).
    pub fn tag(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// Linux's number for the level (`KERN_ERR` 3, `KERN_WARNING` 4,
    /// `KERN_INFO` 6, `KERN_DEBUG` 7; trace prints as debug).
    pub fn linux(self) -> u8 {
        match self {
            Level::Error => 3,
            Level::Warn => 4,
            Level::Info => 6,
            Level::Debug | Level::Trace => 7,
        }
    }

    /// Whether the kernel prints this level with `loglevel=n`: Linux's
    /// rule, as `kernel/src/logger.rs` applies it (below `n`; the default
    /// is 7, info).
    pub fn printed_at(self, n: u8) -> bool {
        self.linux() < n
    }
}

/// The level of a kernel log line: `[SSSSS.UUUUUU] LEVEL message` as
/// `kernel/src/logger.rs` prints it, found anywhere in the line (other
/// output may precede it without a newline).
pub fn log_level(line: &str) -> Option<Level> {
    let mut from = 0;
    while let Some(i) = line[from..].find("] ").map(|i| from + i) {
        from = i + 2;
        let Some(open) = line[..i].rfind('[') else { continue };
        let stamp = line[open + 1..i].trim_start();
        let Some((s, us)) = stamp.split_once('.') else { continue };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || us.len() != 6 || !us.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let rest = &line[i + 2..];
        for (tag, level) in [
            ("ERROR ", Level::Error),
            ("WARN  ", Level::Warn),
            ("INFO  ", Level::Info),
            ("DEBUG ", Level::Debug),
            ("TRACE ", Level::Trace),
        ] {
            if rest.starts_with(tag) {
                return Some(level);
            }
        }
    }
    None
}

/// The strict check of a boot's console: every `ERROR` or `WARN` line must
/// contain one of the `allowed` substrings, and every allowed substring
/// must match at least one such line (so a list cannot go stale). Returns
/// a short description (`", 2 ERROR/WARN lines, all expected"`, or empty
/// when there were none).
pub fn check_warnings(output: &str, allowed: &[&str]) -> Result<String, String> {
    let warnings: Vec<&str> =
        output.lines().filter(|l| matches!(log_level(l), Some(Level::Error | Level::Warn))).collect();
    let unexpected: Vec<&str> =
        warnings.iter().copied().filter(|l| !allowed.iter().any(|a| l.contains(a))).collect();
    if !unexpected.is_empty() {
        let more = if unexpected.len() > 1 { format!(" (and {} more)", unexpected.len() - 1) } else { String::new() };
        return Err(format!("unexpected log line {:?}{more}", unexpected[0].trim()));
    }
    if let Some(a) = allowed.iter().find(|a| !warnings.iter().any(|l| l.contains(*a))) {
        return Err(format!("no ERROR/WARN line containing {a:?}, which this test lists as expected"));
    }
    Ok(if warnings.is_empty() { String::new() } else { format!(", {} ERROR/WARN line(s), all expected", warnings.len()) })
}

/// The kernel's default `loglevel` (Linux's `CONSOLE_LOGLEVEL_DEFAULT`).
pub const DEFAULT_LOGLEVEL: u8 = 7;

/// The log lines of `output` that `loglevel=n` should not have printed.
pub fn lines_not_printed_at(output: &str, n: u8) -> impl Iterator<Item = &str> {
    output.lines().filter(move |l| log_level(l).is_some_and(|lv| !lv.printed_at(n)))
}

/// The Cchip interrupt line of PCI bus 0 slot `slot`, pin `pin` (1 = INTA)
/// on QEMU's clipper (Clipper, HWRPB member 5): slots 1-6, four lines
/// each, INTA of slot 1 on line 8 (Linux's `clipper_map_irq` minus 16;
/// the kernel's `hwrpb::routing::clipper_pci_line`, which the Clipper
/// machine vector in `kernel/src/platform/tsunami/routing.rs` uses).
pub fn clipper_line(slot: u8, pin: u8) -> Option<u32> {
    ((1..=6).contains(&slot) && (1..=4).contains(&pin)).then(|| 8 + (slot as u32 - 1) * 4 + (pin as u32 - 1))
}

/// A PCI function as the kernel's bus listing prints it (`  00:01.0
/// Ethernet controller [0200]: 1011:0019 (rev 00), IRQ line 8, pin A`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciFunction {
    /// `bb:dd.f`, as printed.
    pub bdf: String,
    pub slot: u8,
    pub irq_line: Option<u32>,
    /// 1 = INTA .. 4 = INTD.
    pub pin: Option<u8>,
}

/// The first function with vendor:device `id` (e.g. `"1011:0019"`, the
/// 21143) in the kernel's PCI listing.
pub fn pci_function(output: &str, id: &str) -> Option<PciFunction> {
    let key = format!(": {id} (rev ");
    let line = output.lines().find(|l| l.contains(&key) && log_level(l).is_some())?;
    let text = &line[line.find("] ")? + 2..];
    let bdf = text.split_whitespace().nth(1)?;
    let (bus_dev, _func) = bdf.split_once('.')?;
    let (_bus, dev) = bus_dev.split_once(':')?;
    let slot = u8::from_str_radix(dev, 16).ok()?;
    let num_after = |k: &str| -> Option<u32> {
        let r = &text[text.find(k)? + k.len()..];
        r.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    };
    let pin = text.split(", pin ").nth(1).and_then(|p| p.chars().next()).and_then(|c| match c {
        'A'..='D' => Some(c as u8 - b'A' + 1),
        _ => None,
    });
    Some(PciFunction { bdf: bdf.to_string(), slot, irq_line: num_after("IRQ line "), pin })
}

/// The DEC 21143 in the kernel's PCI listing and its Cchip line by the
/// Clipper rule ([`clipper_line`], INTA unless the listing says another
/// pin).
pub fn tulip_slot_line(output: &str) -> Result<(PciFunction, u32), String> {
    let f = pci_function(output, "1011:0019").ok_or("no DEC 21143 (1011:0019) in the kernel's PCI listing")?;
    let pin = f.pin.unwrap_or(1);
    let line = clipper_line(f.slot, pin)
        .ok_or(format!("the 21143 at {} (slot {}, pin {pin}) has no Clipper interrupt line", f.bdf, f.slot))?;
    Ok((f, line))
}

/// One memory reconciliation line of the kernel (`kernel/src/mm/boot.rs`,
/// `reconcile`):
/// `memory (WHEN): total T pages (M MiB) = reserved R + CMA free F + buddy
/// free B + owned O [owner N, owner N (C CMA), ...]: reconciled` (or
/// `: MISMATCH by D page(s): ...`).
#[derive(Debug, PartialEq, Eq)]
pub struct Reconcile {
    pub when: String,
    pub total: u64,
    pub mib: u64,
    pub reserved: u64,
    pub cma_free: u64,
    pub buddy_free: u64,
    pub owned: u64,
    /// (owner, pages, of which CMA pages)
    pub owners: Vec<(String, u64, u64)>,
    pub verdict: String,
}

impl Reconcile {
    /// The runner's own sum of the four parts.
    pub fn sum(&self) -> u64 {
        self.reserved + self.cma_free + self.buddy_free + self.owned
    }

    /// CMA pages in all: free plus what owners hold from CMA.
    pub fn cma_total(&self) -> u64 {
        self.cma_free + self.owners.iter().map(|o| o.2).sum::<u64>()
    }
}

/// `text` must start with `prefix`, then a decimal number: the number and
/// the rest.
fn number_after<'a>(text: &'a str, prefix: &str) -> Result<(u64, &'a str), String> {
    let rest = text.strip_prefix(prefix).ok_or_else(|| format!("expected {prefix:?} at {text:?}"))?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let n = rest[..digits].parse().map_err(|_| format!("expected a number after {prefix:?} at {rest:?}"))?;
    Ok((n, &rest[digits..]))
}

pub fn parse_reconcile_line(line: &str) -> Result<Reconcile, String> {
    let key = "memory (";
    let rest = &line[line.find(key).ok_or("not a reconciliation line")? + key.len()..];
    let (when, rest) = rest.split_once("): ").ok_or("no `): ` after the label")?;
    let (total, rest) = number_after(rest, "total ")?;
    let (mib, rest) = number_after(rest, " pages (")?;
    let (reserved, rest) = number_after(rest, " MiB) = reserved ")?;
    let (cma_free, rest) = number_after(rest, " + CMA free ")?;
    let (buddy_free, rest) = number_after(rest, " + buddy free ")?;
    let (owned, rest) = number_after(rest, " + owned ")?;
    let rest = rest.strip_prefix(" [").ok_or("no owner list")?;
    let (list, verdict) = rest.split_once("]: ").ok_or("owner list not closed by `]: `")?;
    let mut owners = Vec::new();
    for item in list.split(", ").filter(|s| !s.is_empty()) {
        let (item, cma) = match item.strip_suffix(" CMA)") {
            Some(x) => {
                let (head, c) = x.rsplit_once(" (").ok_or_else(|| format!("bad owner entry {item:?}"))?;
                (head, c.parse::<u64>().map_err(|_| format!("bad CMA count in {item:?}"))?)
            }
            None => (item, 0),
        };
        let (name, n) = item.rsplit_once(' ').ok_or_else(|| format!("bad owner entry {item:?}"))?;
        let n = n.parse::<u64>().map_err(|_| format!("bad page count in {item:?}"))?;
        owners.push((name.to_string(), n, cma));
    }
    Ok(Reconcile { when: when.to_string(), total, mib, reserved, cma_free, buddy_free, owned, owners, verdict: verdict.trim().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_has_no_vga_and_no_nic_of_its_own() {
        let a = machine_args();
        assert_eq!(a, ["-M", "clipper", "-vga", "none"]);
        assert!(!chooses_nic(&a));
        assert!(chooses_nic(&["-m", "1G", "-nic", "user,model=tulip"]));
        assert!(chooses_nic(&["-nodefaults"]));
        assert!(!chooses_nic(&["-m", "1G", "-smp", "2"]));
    }

    #[test]
    fn levels() {
        assert_eq!(log_level("[    0.000105] INFO  command line: \"\""), Some(Level::Info));
        assert_eq!(log_level("[   12.345678] WARN  net: x"), Some(Level::Warn));
        assert_eq!(log_level("[    0.1] ERROR x"), None, "the stamp has six decimals");
        assert_eq!(log_level("srm-stub: x[    0.000105] ERROR selftest x: FAILED"), Some(Level::Error));
        assert_eq!(log_level("[    0.000105] DEBUG mm: console page table: L1"), Some(Level::Debug));
        assert_eq!(log_level("selftest x: ok (WARN  nothing)"), None);
        assert_eq!(log_level("x [a] ERROR y"), None);
        assert_eq!(log_level("[    0.000105] INFO  [1.000000] ERROR quoted"), Some(Level::Info));
        assert!(Level::Info.printed_at(7) && !Level::Debug.printed_at(7));
        assert!(Level::Debug.printed_at(8));
        assert!(Level::Error.printed_at(4) && !Level::Warn.printed_at(4));
        assert!(Level::Warn.printed_at(5) && !Level::Info.printed_at(6));
        assert!(!Level::Error.printed_at(3));
        let log = "[    0.1 ] x\n[    0.000001] DEBUG a\n[    0.000002] INFO  b\n";
        assert_eq!(lines_not_printed_at(log, 7).count(), 1);
        assert_eq!(lines_not_printed_at(log, 8).count(), 0);
        assert_eq!(lines_not_printed_at(log, 0).count(), 2);
    }

    #[test]
    fn strict_warnings() {
        let log = "[    0.000100] INFO  fine\n\
                   [    0.000200] WARN  boot parameter ignored: cma=banana: not a size\n\
                   [    0.000300] ERROR dma probe: x\n";
        assert_eq!(check_warnings(log, &["cma=banana", "dma probe"]).unwrap(), ", 2 ERROR/WARN line(s), all expected");
        let e = check_warnings(log, &["cma=banana"]).unwrap_err();
        assert!(e.contains("unexpected log line") && e.contains("dma probe"), "{e}");
        let e = check_warnings(log, &["cma=banana", "dma probe", "never printed"]).unwrap_err();
        assert!(e.contains("\"never printed\""), "{e}");
        assert_eq!(check_warnings("[    0.000100] INFO  ok\n", &[]).unwrap(), "");
        // An allowed pattern must match a WARN/ERROR line, not an INFO one.
        assert!(check_warnings("[    0.000100] INFO  cma=banana\n", &["cma=banana"]).is_err());
        let two = format!("{log}[    0.000400] WARN  other\n[    0.000500] WARN  other 2\n");
        assert!(check_warnings(&two, &["cma=banana", "dma probe"]).unwrap_err().contains("(and 1 more)"));
    }

    #[test]
    fn clipper_routing() {
        assert_eq!(clipper_line(1, 1), Some(8));
        assert_eq!(clipper_line(2, 1), Some(12));
        assert_eq!(clipper_line(2, 2), Some(13));
        assert_eq!(clipper_line(6, 4), Some(31));
        assert_eq!(clipper_line(7, 1), None);
        assert_eq!(clipper_line(0, 1), None);
        assert_eq!(clipper_line(1, 0), None);
    }

    #[test]
    fn pci_listing() {
        let log = "[    0.023569] INFO  pci: bus 0 has 3 functions\n\
                   [    0.023862] INFO    00:01.0 Ethernet controller [0200]: 1011:0019 (rev 00), IRQ line 8, pin A\n\
                   [    0.024330] INFO        BAR0: I/O ports at 0xc000 [size=128]\n\
                   [    0.025137] INFO    00:02.0 IDE interface [0101]: 1095:0646 (rev 07), IRQ line 12, pin A\n";
        let f = pci_function(log, "1011:0019").unwrap();
        assert_eq!(f, PciFunction { bdf: "00:01.0".into(), slot: 1, irq_line: Some(8), pin: Some(1) });
        assert_eq!(tulip_slot_line(log).unwrap().1, 8);
        assert_eq!(pci_function(log, "1095:0646").unwrap().slot, 2);
        let intb = log.replace("IRQ line 8, pin A", "IRQ line 9, pin B");
        assert_eq!(pci_function(&intb, "1011:0019").unwrap().pin, Some(2));
        assert_eq!(tulip_slot_line(&intb).unwrap().1, 9);
        let moved = log.replace("00:01.0 Ethernet", "00:0a.0 Ethernet");
        assert_eq!(pci_function(&moved, "1011:0019").unwrap().slot, 10);
        assert!(tulip_slot_line(&moved).unwrap_err().contains("no Clipper interrupt line"));
        assert!(tulip_slot_line("nothing").is_err());
    }
}
