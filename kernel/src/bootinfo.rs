//! What the firmware left for the kernel: the command line QEMU wrote below
//! the image, and the HWRPB.

use crate::arch::{self, image};
use log::{error, info, warn};

/// " (declared from pfn ...)" for a cluster the memory map clipped.
struct Clipped(Option<u64>);

impl core::fmt::Display for Clipped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(pfn) => write!(f, " (declared from pfn {pfn:#x}; the pages before are another cluster's)"),
            None => Ok(()),
        }
    }
}

/// QEMU writes at most this many bytes of `-append` text (NUL included).
pub const CMDLINE_MAX: usize = 0x100;

/// The kernel command line, from the page below the image. Bytes after the
/// first NUL are ignored; a line that is not printable ASCII is cut at the
/// first bad byte, and the cut is reported.
pub fn read_cmdline() -> &'static str {
    // SAFETY: the link script leaves this page (inside RAM, below the image)
    // for the command line; nothing else writes it.
    let raw = unsafe { core::slice::from_raw_parts(image::cmdline() as *const u8, CMDLINE_MAX) };
    let len = raw.iter().position(|&b| b == 0).unwrap_or(CMDLINE_MAX);
    let good = raw[..len].iter().position(|&b| !(0x20..0x7f).contains(&b) && b != b'\t').unwrap_or(len);
    if good < len {
        crate::kprintln!(
            "command line: byte {:#04x} at offset {good} is not printable ASCII; using the first {good} bytes",
            raw[good]
        );
    } else if len == CMDLINE_MAX {
        crate::kprintln!("command line: no terminating NUL in {CMDLINE_MAX} bytes; using them all");
    }
    // Printable ASCII is valid UTF-8.
    core::str::from_utf8(&raw[..good]).unwrap_or("")
}

/// Inspects the HWRPB at virtual 0x10000000 for the CPU the kernel runs
/// on (`Hwrpb::inspect`): `Err` only if its header is unusable.
fn inspect_hwrpb() -> Result<hwrpb::Inspection<'static>, hwrpb::HwrpbError> {
    // SAFETY: the console maps the HWRPB's first page at HWRPB_VA;
    // `readable_size` only reads the first 32 bytes of it.
    let head = unsafe {
        core::slice::from_raw_parts(arch::HWRPB_VA as *const u8, hwrpb::DECLARED_SIZE_PREFIX)
    };
    let len = hwrpb::readable_size(head)?;
    // SAFETY: the console maps the HWRPB page by page, `len` whole pages.
    let bytes = unsafe { core::slice::from_raw_parts(arch::HWRPB_VA as *const u8, len) };
    hwrpb::Hwrpb::inspect(bytes, arch::whami())
}

/// Reads the HWRPB at boot and logs what is wrong with it: a problem with
/// something the kernel only reports (checksum, CTB, CRB map, DSR, other
/// CPUs' slots, `cpuid`, cluster order and overlaps) is a `WARN` naming the
/// field and its value, and boot goes on; a problem with something it
/// needs (the memory map, this CPU's slot, `cycle_freq`) is an `ERROR`
/// saying what the kernel does without it. Only an unusable header leaves
/// the kernel without an HWRPB.
pub fn hwrpb_at_boot() -> Option<hwrpb::Hwrpb<'static>> {
    use hwrpb::{Finding, Severity};
    let i = match inspect_hwrpb() {
        Ok(i) => i,
        Err(e) => {
            error!("HWRPB at {:#x} unusable: {e}; no HWRPB: no memory map, CPU and clock from defaults", arch::HWRPB_VA);
            return None;
        }
    };
    for f in &i.findings {
        match (f.severity(), f) {
            (Severity::Warning, _) => warn!("{f}"),
            (Severity::Error, Finding::NoMemoryMap { .. }) => {
                error!("{f}: the kernel runs on its early heap alone (no page allocator, no PCI scan, no DMA)")
            }
            (Severity::Error, Finding::NoCpuSlot { .. }) => error!("{f}: CPU type unknown"),
            (Severity::Error, Finding::CycleFreqImplausible { .. }) => {
                error!("{f}: assuming a {FALLBACK_CYCLE_FREQ} Hz cycle counter")
            }
            (Severity::Error, _) => error!("{f}"),
        }
    }
    if i.findings.dropped() > 0 {
        warn!("HWRPB: {} more finding(s) not listed", i.findings.dropped());
    }
    if !i.findings.is_empty() {
        let (w, e) = (i.findings.count(Severity::Warning), i.findings.count(Severity::Error));
        info!("HWRPB: {w} warning(s), {e} error(s); booting with what is usable");
    }
    Some(i.hwrpb)
}

/// QEMU's RPCC runs at 250 MHz whatever the HWRPB says; used only when the
/// HWRPB is missing or its `cycle_freq` is implausible.
const FALLBACK_CYCLE_FREQ: u64 = 250_000_000;

/// The cycle counter's frequency from the HWRPB, if plausible (the
/// inspection reported it otherwise), else the fallback.
pub fn cycle_freq(h: Option<&hwrpb::Hwrpb>) -> u64 {
    match h.map(|h| h.header().cycle_freq) {
        Some(f) if hwrpb::CYCLE_FREQ_PLAUSIBLE.contains(&f) => f,
        _ => FALLBACK_CYCLE_FREQ,
    }
}

/// The boot banner: CPU, system, memory, from the HWRPB.
pub fn banner(h: Option<&hwrpb::Hwrpb>) {
    let implver = arch::implver();
    let amask = !arch::amask(0x30f) & 0x30f;
    let family = match implver {
        0 => "EV4",
        1 => "EV5",
        2 => "EV6",
        _ => "unknown",
    };
    let Some(h) = h else {
        warn!("no valid HWRPB: CPU family {family} (implver {implver}), memory size unknown");
        return;
    };
    let hd = h.header();
    info!(
        "HWRPB: revision {}, {} bytes at physical {:#x}, {} KiB pages, {}-bit physical addresses, serial \"{}\"",
        hd.revision,
        hd.size,
        hd.phys_addr,
        hd.page_size / 1024,
        hd.pa_bits,
        hd.serial_str()
    );
    info!(
        "HWRPB: magic {}",
        match hd.magic {
            hwrpb::MagicOrder::Ascii => "in ASCII byte order (the bytes \"HWRPB\\0\\0\\0\", as SRM stores it)",
            hwrpb::MagicOrder::Reversed => "as the quadword 0x4857525042000000 (as QEMU's PALcode writes it)",
        }
    );
    match h.this_processor() {
        Some(p) => info!(
            "CPU: {} (HWRPB type {:#x}; implver {implver} = {family}, amask extensions {amask:#x}), {} processor(s) in the HWRPB, {} usable, this is CPU {}",
            p.type_name(),
            p.cpu_type,
            hd.nr_processors,
            h.usable_processor_count(),
            arch::whami()
        ),
        None => warn!(
            "CPU: no usable HWRPB slot for this CPU ({}): type unknown; implver {implver} = {family}, amask extensions {amask:#x}",
            arch::whami()
        ),
    }
    info!(
        "system: {} (type {}, variation {:#x}, revision {}), cycle counter {} MHz, timer {} Hz",
        h.system_name(),
        hd.sys_type,
        hd.sys_variation,
        hd.sys_revision,
        hd.cycle_freq / 1_000_000,
        hd.timer_hz()
    );
    match h.memory_map() {
        None => error!("memory: no memory map (the HWRPB's memory data descriptor table is unusable, see above)"),
        Some(m) => {
            let count = m.mddt().cluster_count;
            info!(
                "memory: {} MiB in {count} clusters, {} MiB available to the OS",
                m.total_bytes() >> 20,
                m.available_bytes() >> 20
            );
            for c in m.clusters() {
                let k = c.cluster;
                // The banner runs before the heap exists: no String here.
                let clipped = Clipped(c.is_clipped().then_some(c.declared.start_pfn));
                info!(
                    "  cluster {}: pfn {:#x}-{:#x} ({:#x}-{:#x}, {} pages){}{}{}",
                    c.index,
                    k.start_pfn,
                    k.end_pfn(),
                    k.start_addr(),
                    k.end_addr(),
                    k.numpages,
                    if k.is_console() { " console/PALcode" } else { "" },
                    if k.is_nonvolatile() { " non-volatile" } else { "" },
                    clipped
                );
            }
            for o in m.overlaps() {
                info!(
                    "  overlap: pfn {:#x}-{:#x} ({:#x}-{:#x}) is in clusters {} and {}: reserved",
                    o.start_pfn,
                    o.end_pfn,
                    o.start_addr(),
                    o.end_addr(),
                    o.first,
                    o.second
                );
            }
        }
    }
    let (is, ie) = (image::start(), image::end());
    info!(
        "image: {:#x}-{:#x} ({} KiB; text ends {:#x}), boot stack {:#x}-{:#x}, command line at {:#x}",
        is,
        ie,
        (ie - is) / 1024,
        image::etext(),
        image::boot_stack().0,
        image::boot_stack().1,
        image::cmdline()
    );
}

/// Exercises the console callbacks (the path an SRM boot uses before the
/// UART driver takes over): one line through CRB PUTS, and GET_ENV of the
/// boot flags, each reported.
///
/// With `getc_test` (boot flag `console_getc_test`) it also calls GETC once
/// on terminal 0 and logs the raw result and its decoding. QEMU's PALcode
/// waits for a character (the runner types one); SRM returns at once,
/// normally with status 2, "no character".
pub fn console_callbacks(h: Option<&hwrpb::Hwrpb>, getc_test: bool) {
    use crate::arch::callback::{ConsoleCallbacks, env};
    let Some(cb) = h.and_then(ConsoleCallbacks::from_hwrpb) else {
        warn!("console callbacks: no CRB dispatch routine in the HWRPB");
        return;
    };
    // Hold the console lock so the callback's line is not interleaved.
    let guard = crate::console::lock();
    let r = cb.puts(0, b"console callbacks: this line was written by the console's CRB PUTS routine\r\n");
    drop(guard);
    match r {
        Ok(n) => info!("console callbacks: PUTS wrote {n} bytes"),
        Err(e) => warn!("{e}"),
    }
    let mut buf = [0u8; 64];
    match cb.get_env(env::BOOTED_OSFLAGS, &mut buf) {
        Ok(n) => info!("console callbacks: BOOTED_OSFLAGS = {:?}", core::str::from_utf8(&buf[..n]).unwrap_or("<not UTF-8>")),
        Err(e) => info!("{e}; boot flags come from the command line page instead"),
    }
    if getc_test {
        info!("console callbacks: GETC test: calling GETC on terminal 0 (QEMU's PALcode waits for a character; SRM returns at once)");
        let r = cb.getc_raw(0);
        let what = hwrpb::callback::Getc::decode(r).describe();
        match crate::arch::callback::decode_getc(r) {
            Ok(Some(c)) => info!(
                "console callbacks: GETC returned {r:#018x}: status {} ({what}): character {:?} ({c:#04x})",
                r >> 61,
                char::from(c)
            ),
            Ok(None) => info!("console callbacks: GETC returned {r:#018x}: status {} ({what}): no character", r >> 61),
            Err(e) => warn!("console callbacks: GETC returned {r:#018x} ({what}): {e}"),
        }
    }
}
