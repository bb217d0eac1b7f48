//! The monitor's disk commands: `disk` (what the driver says of the
//! controller and the drive), `disk read <lba> [n]` (a hex dump) and
//! `disk bench` (sequential MB/s by DMA and by PIO, random 4 KiB reads per
//! second). Buffers are buddy pages owned by `monitor`, given back before
//! the command returns (whatever happens: [`PageBuf`] frees on drop), so
//! the monitor holds nothing between commands. Every error is one line.

use super::command::Command;
use crate::block::buf::PageBuf;
use crate::block::{self, BlockDevice, Op, Request, SECTOR, Transfer};
use crate::mm::owner::Owner;
use crate::time;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use core::fmt::Write;
use splitmix::SplitMix64;

pub const DISK_COMMANDS: &[Command] = &[
    Command { name: "disk", usage: "", help: "the disk: controller, drive identify data, transfer mode (or that there is none)", run: disk },
    Command {
        name: "disk read",
        usage: "<lba> [n]",
        help: "hex dump of n sectors (default 1, at most 8) from sector lba, with disk offsets and ASCII",
        run: disk_read,
    },
    Command {
        name: "disk bench",
        usage: "",
        help: "sequential read MB/s by DMA and by PIO (128 KiB requests), random 4 KiB reads per second",
        run: disk_bench,
    },
];

/// The most sectors `disk read` dumps.
pub const READ_MAX: u64 = 8;

const NO_DISK: &str = "no disk (attach one to QEMU with -drive file=IMG,if=ide,format=raw)";

fn w(r: core::fmt::Result) -> Result<(), String> {
    r.map_err(|_| String::from("output failed"))
}

fn disk(_: &[&str], out: &mut dyn Write) -> Result<(), String> {
    match block::with_disk(|d| d.describe(&mut *out)) {
        Some(r) => w(r),
        None => w(writeln!(out, "disk: {NO_DISK}")),
    }
}

fn number(word: &str, what: &str) -> Result<u64, String> {
    ::monitor::parse::number(word).map_err(|e| format!("{what}: {e}"))
}

/// One line of a hex dump: the byte offset on the disk, 16 bytes in two
/// groups of 8, and the printable ASCII (`.` for the rest), as
/// `hexdump -C` lays it out.
fn dump_line(out: &mut dyn Write, offset: u64, bytes: &[u8; 16]) -> core::fmt::Result {
    write!(out, "{offset:08x} ")?;
    for (i, b) in bytes.iter().enumerate() {
        if i % 8 == 0 {
            out.write_char(' ')?;
        }
        write!(out, "{b:02x} ")?;
    }
    out.write_str(" |")?;
    for &b in bytes {
        out.write_char(if (0x20..0x7f).contains(&b) { b as char } else { '.' })?;
    }
    out.write_str("|\n")
}

fn disk_read(args: &[&str], out: &mut dyn Write) -> Result<(), String> {
    let lba = number(args[0], "lba")?;
    let n = match args.get(1) {
        None => 1,
        Some(a) => number(a, "sector count")?,
    };
    if n == 0 || n > READ_MAX {
        return Err(format!("disk read: sector count {n} is outside 1..={READ_MAX}"));
    }
    let buf = PageBuf::alloc(n as usize * SECTOR, Owner::MONITOR)?;
    let req = Request { op: Op::Read, lba, sectors: n as u32, segs: vec![buf.seg(0, n as usize * SECTOR)], transfer: Transfer::Auto };
    match block::with_disk(|d| d.submit(&req)) {
        None => return Err(format!("disk read: {NO_DISK}")),
        Some(Err(e)) => return Err(format!("disk read: {e}")),
        Some(Ok(_)) => {}
    }
    let base = lba * SECTOR as u64;
    for line in 0..n as usize * SECTOR / 16 {
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = buf.byte(line * 16 + i);
        }
        w(dump_line(out, base + line as u64 * 16, &bytes))?;
    }
    Ok(())
}

/// `disk bench`'s sequential pass: this much, in requests of
/// [`BENCH_REQUEST`] sectors (fewer when the device takes less).
const BENCH_BYTES: u64 = 4 << 20;
const BENCH_REQUEST: u32 = 256;
/// A sequential pass faster than this is repeated until this much time
/// has passed (DMA under QEMU reads 4 MiB in about 10 ms).
const SEQUENTIAL_MIN_MS: u64 = 500;
/// The random reads: 4 KiB each, for this long.
const RANDOM_SECTORS: u32 = 8;
const RANDOM_MS: u64 = 1000;

/// One row of the table: requests made, bytes moved, cycles taken.
struct Row {
    requests: u64,
    bytes: u64,
    cycles: u64,
}

/// Reads `total` sectors from sector 0 in requests of `req` sectors, as
/// many times as it takes to fill [`SEQUENTIAL_MIN_MS`] (at least once).
fn sequential(d: &mut dyn BlockDevice, buf: &PageBuf, req: u32, total: u64, transfer: Transfer, freq: u64) -> Result<Row, String> {
    let start = time::cycles();
    let mut requests = 0;
    let mut passes = 0;
    while passes == 0 || time::cycles() - start < freq * SEQUENTIAL_MIN_MS / 1000 {
        let mut lba = 0;
        while lba < total {
            let s = (req as u64).min(total - lba) as u32;
            let r = Request { op: Op::Read, lba, sectors: s, segs: vec![buf.seg(0, s as usize * SECTOR)], transfer };
            d.submit(&r).map_err(|e| format!("disk bench: {transfer:?} read of {s} sectors at {lba}: {e}"))?;
            lba += s as u64;
            requests += 1;
        }
        passes += 1;
    }
    Ok(Row { requests, bytes: passes * total * SECTOR as u64, cycles: time::cycles() - start })
}

/// 4 KiB reads at random 4 KiB-aligned places by DMA for [`RANDOM_MS`].
fn random(d: &mut dyn BlockDevice, buf: &PageBuf, freq: u64) -> Result<Row, String> {
    let slots = d.capacity() / RANDOM_SECTORS as u64;
    let mut rng = SplitMix64::new(time::cycles());
    let start = time::cycles();
    let limit = freq * RANDOM_MS / 1000;
    let mut requests = 0;
    loop {
        let now = time::cycles() - start;
        if now >= limit {
            return Ok(Row { requests, bytes: requests * (RANDOM_SECTORS as u64 * SECTOR as u64), cycles: now });
        }
        let lba = rng.below(slots) * RANDOM_SECTORS as u64;
        let r = Request { op: Op::Read, lba, sectors: RANDOM_SECTORS, segs: vec![buf.seg(0, RANDOM_SECTORS as usize * SECTOR)], transfer: Transfer::Dma };
        d.submit(&r).map_err(|e| format!("disk bench: random read at {lba}: {e}"))?;
        requests += 1;
    }
}

/// Hundredths of `bytes` per `cycles` in MB/s (10^6 bytes).
fn mb_s_centi(bytes: u64, cycles: u64, freq: u64) -> u64 {
    (bytes as u128 * 100 * freq as u128 / (cycles.max(1) as u128 * 1_000_000)) as u64
}

fn disk_bench(_: &[&str], out: &mut dyn Write) -> Result<(), String> {
    let freq = time::freq();
    if freq == 0 {
        return Err("disk bench: the cycle counter's frequency is not known".into());
    }
    let r = block::with_disk(|d| -> Result<(), String> {
        let req = BENCH_REQUEST.min(d.limits().max_sectors);
        let total = (BENCH_BYTES / SECTOR as u64).min(d.capacity()) / req as u64 * req as u64;
        if total == 0 || d.capacity() < RANDOM_SECTORS as u64 {
            return Err(format!("disk bench: the disk's {} sectors are too few", d.capacity()));
        }
        let buf = PageBuf::alloc(req as usize * SECTOR, Owner::MONITOR)?;
        w(writeln!(
            out,
            "disk bench: {}, {} KiB sequential from sector 0 in {} KiB requests by DMA and by PIO (repeated for at least {SEQUENTIAL_MIN_MS} ms); {} KiB random reads by DMA for {RANDOM_MS} ms",
            d.name(),
            total * SECTOR as u64 / 1024,
            req as usize * SECTOR / 1024,
            RANDOM_SECTORS as usize * SECTOR / 1024
        ))?;
        let dma = sequential(d, &buf, req, total, Transfer::Dma, freq)?;
        let pio = sequential(d, &buf, req, total, Transfer::Pio, freq)?;
        let rnd = random(d, &buf, freq)?;
        w(writeln!(out, "  {:<8} {:<12} {:>8} {:>9} {:>10} {:>7} {:>11}", "transfer", "pattern", "request", "requests", "bytes", "ms", "rate"))?;
        let ms = |c: u64| c * 1000 / freq;
        let mut rates = [0u64; 2];
        for (i, (via, row)) in [("DMA", &dma), ("PIO", &pio)].into_iter().enumerate() {
            let c = mb_s_centi(row.bytes, row.cycles, freq);
            rates[i] = c;
            w(writeln!(
                out,
                "  {via:<8} {:<12} {:>4} KiB {:>9} {:>10} {:>7} {:>6}.{:02} MB/s",
                "sequential",
                req as usize * SECTOR / 1024,
                row.requests,
                row.bytes,
                ms(row.cycles),
                c / 100,
                c % 100
            ))?;
        }
        let per_s = rnd.requests * freq / rnd.cycles.max(1);
        w(writeln!(
            out,
            "  {:<8} {:<12} {:>4} KiB {:>9} {:>10} {:>7} {per_s:>9} reads/s",
            "DMA",
            "random",
            RANDOM_SECTORS as usize * SECTOR / 1024,
            rnd.requests,
            rnd.bytes,
            ms(rnd.cycles)
        ))?;
        let ratio = rates[0] * 100 / rates[1].max(1);
        w(writeln!(out, "disk bench: DMA/PIO sequential ratio {}.{:02}", ratio / 100, ratio % 100))
    });
    r.unwrap_or_else(|| Err(format!("disk bench: {NO_DISK}")))
}
