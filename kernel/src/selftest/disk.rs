//! The disk self-tests (`disk_test=SEED`, a one-shot run; main runs them
//! after the disk probe). The QEMU runner attaches a raw image whose
//! sectors hold the pattern of `SEED` ([`pattern`]; docs/testing.md, *The
//! disk image*), and the tests read it back in every way the block layer
//! offers, checking every byte against the pattern computed here:
//!
//! * reads by DMA of every size from 1 to 16 sectors, then 17, 31, 32, 33,
//!   63, 64, 65, 127, 128, 129, 255, 256 and the device's `max_sectors`,
//!   each at a seeded random LBA;
//! * buffers that straddle page and 64 KiB boundaries (data starting at
//!   `0x10000 - 512`, `0x10000 - 2`, ... inside an order-6+ block);
//! * multi-segment lists (segments from separate buddy pages, uneven even
//!   lengths adding up to whole sectors, a segment per sector);
//! * the same reads by PIO for a few sizes;
//! * merging: adjacent single-sector reads through the [`RequestQueue`],
//!   whose dispatches must each be one command (`Stats::commands`);
//! * with `disk_write=SEED2@LBA+N`, writes of `SEED2`'s pattern to that
//!   region by DMA (and its last sectors by PIO), read back, then FLUSH
//!   CACHE; the runner checks the image after QEMU exits;
//! * requests past the end, of zero sectors, over the device's limits or
//!   with segments that do not add up: refused, no command sent;
//! * at the end, every memory count exactly as before the tests
//!   (`Accounting::diff`, `Compare::Exact`) and no streaming DMA mapping
//!   live.
//!
//! Every buffer is poisoned (0xa5) before a read, and the bytes around it
//! are checked to be still poison after: data must come from the disk,
//! into the right place, and nowhere else.
//!
//! With `fail_iommu=N` (and `iommu=strict`, so that requests map through
//! the IOMMU) one request is expected to fail with a DMA error: it is
//! logged, counted as the expected failure and tried once more; a run in
//! which no request failed that way fails.
//!
//! One line per test, `disk: NAME: ok (DETAIL)`, `disk: NAME: skipped
//! (WHY)` or `ERROR disk: NAME: FAILED: WHY`, then `disk test: N passed, N
//! failed, N skipped`.

use super::Outcome;
use crate::block::buf::{PageBuf, SegCursor};
use crate::block::queue::RequestQueue;
use crate::block::{self, BlockDevice, BlockError, Completion, Limits, Op, Request, SECTOR, Segment, Transfer};
use crate::dma::{self, debug};
use crate::mm::PAGE_SIZE;
use crate::mm::accounting::Compare;
use crate::mm::owner::Owner;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use bootparam::DiskWrite;
use log::{error, info};
use splitmix::SplitMix64;

/// SplitMix64's increment: one generator step.
const STEP: u64 = 0x9E37_79B9_7F4A_7C15;
/// What a buffer holds before a read: bytes still holding it were not
/// written by the device.
const POISON: u8 = 0xa5;
/// Bytes checked around a buffer.
const GUARD: usize = 512;

/// Sector `lba` of the image pattern of `seed`: 64 little-endian words,
/// the outputs of `SplitMix64::new(seed + lba * 64 * STEP)`, that is
/// outputs `64 * lba + 1 ..= 64 * lba + 64` of `SplitMix64::new(seed)`.
pub fn pattern(seed: u64, lba: u64) -> [u8; SECTOR] {
    let mut g = SplitMix64::new(seed.wrapping_add(lba.wrapping_mul(64).wrapping_mul(STEP)));
    let mut s = [0u8; SECTOR];
    for word in s.chunks_exact_mut(8) {
        word.copy_from_slice(&g.next_u64().to_le_bytes());
    }
    s
}

/// The test run's state.
struct Ctx<'a> {
    dev: &'a mut dyn BlockDevice,
    seed: u64,
    capacity: u64,
    limits: Limits,
    /// The region to write (`disk_write=`).
    write: Option<DiskWrite>,
    /// The region the write test wrote (once it has).
    written: Option<DiskWrite>,
    /// `fail_iommu=` was given: one request is to fail with a DMA error.
    inject: bool,
    /// The request that failed as injected.
    injected: Option<String>,
    rng: SplitMix64,
}

/// Short description of a request for messages.
fn what(r: &Request) -> String {
    let op = match r.op {
        Op::Read => "read",
        Op::Write => "write",
        Op::Flush => "flush",
    };
    format!("{op} of {} sector(s) at {} ({:?}, {} segment(s))", r.sectors, r.lba, r.transfer, r.segs.len())
}

impl Ctx<'_> {
    /// What sector `lba` holds now.
    fn expected(&self, lba: u64) -> [u8; SECTOR] {
        match self.written {
            Some(w) if (w.lba..w.lba + w.sectors).contains(&lba) => pattern(w.seed, lba),
            _ => pattern(self.seed, lba),
        }
    }

    /// Submits `req`; with fault injection armed, the first DMA error is
    /// the expected one: logged, and the request tried once more.
    fn submit(&mut self, req: &Request) -> Result<Completion, String> {
        match self.dev.submit(req) {
            Ok(c) => Ok(c),
            Err(BlockError::Dma(e)) if self.inject && self.injected.is_none() => {
                info!("disk: {} failed as injected (fail_iommu): DMA: {e}; trying it again", what(req));
                self.injected = Some(what(req));
                self.dev.submit(req).map_err(|e| format!("{} failed again after the injected failure: {e}", what(req)))
            }
            Err(e) => Err(format!("{} failed: {e}", what(req))),
        }
    }

    /// Submits a read of `segs` and checks the data against the pattern
    /// (the segments are poisoned first); returns the bytes checked.
    fn read_check(&mut self, lba: u64, sectors: u32, segs: Vec<Segment>, transfer: Transfer) -> Result<u64, String> {
        let mut c = SegCursor::new(&segs);
        while c.write(POISON) {}
        let req = Request { op: Op::Read, lba, sectors, segs, transfer };
        let done = self.submit(&req)?;
        if transfer != Transfer::Auto && done.via != transfer {
            return Err(format!("{}: carried out by {:?}", what(&req), done.via));
        }
        self.check(&req)
    }

    /// Checks the data of a finished read against the pattern, byte by
    /// byte; the first difference is the error.
    fn check(&self, req: &Request) -> Result<u64, String> {
        let mut c = SegCursor::new(&req.segs);
        for s in 0..req.sectors as u64 {
            let want = self.expected(req.lba + s);
            for (i, &w) in want.iter().enumerate() {
                match c.read() {
                    Some(b) if b == w => {}
                    Some(b) => {
                        return Err(format!(
                            "{}: sector {} byte {i} is {b:#04x}, the pattern has {w:#04x}{}",
                            what(req),
                            req.lba + s,
                            if b == POISON { " (still the poison: not written by the device)" } else { "" }
                        ));
                    }
                    None => return Err(format!("{}: the segments hold less than the sectors", what(req))),
                }
            }
        }
        Ok(req.sectors as u64 * SECTOR as u64)
    }

    /// A random LBA where `sectors` sectors fit.
    fn lba_for(&mut self, sectors: u32) -> u64 {
        self.rng.below(self.capacity - sectors as u64 + 1)
    }
}

/// Poisons `[from, to)` of `buf` (clipped to it).
fn poison(buf: &PageBuf, from: usize, to: usize) {
    let to = to.min(buf.len());
    buf.fill(from, to.saturating_sub(from), POISON);
}

/// The bytes of `[from, to)` of `buf` must still be poison.
fn guard_intact(buf: &PageBuf, from: usize, to: usize, what: &str) -> Result<(), String> {
    match (from..to.min(buf.len())).find(|&i| buf.byte(i) != POISON) {
        Some(i) => Err(format!("{what}: byte {i:#x} of the buffer, outside the request's data, was written ({:#04x})", buf.byte(i))),
        None => Ok(()),
    }
}

/// The request sizes of the DMA read test: 1 to 16 sectors, the sizes
/// around powers of two, and the device's largest.
fn sizes(max: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (1..=16).chain([17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, max]).filter(|&n| n <= max).collect();
    v.dedup();
    v
}

/// A test: its label in the log line and its body.
type Test = fn(&mut Ctx) -> Result<Outcome, String>;

/// The largest request a test buffer of `buf_bytes` holds with room for
/// guards around it.
fn fit(ctx: &Ctx, buf_bytes: usize) -> u32 {
    let room = (buf_bytes - 2 * 0x1_0000) / SECTOR;
    ctx.limits.max_sectors.min(room as u32).min(ctx.capacity as u32)
}

/// Order of the large test buffer: at least 6 (512 KiB, several 64 KiB
/// boundaries), more when the device takes larger requests.
fn big_order(limits: &Limits) -> u32 {
    let want = limits.max_sectors as u64 * SECTOR as u64 + 2 * 0x1_0000;
    let pages = want.div_ceil(PAGE_SIZE).next_power_of_two();
    (pages.trailing_zeros()).clamp(6, buddy::MAX_ORDER)
}

fn reads_dma(ctx: &mut Ctx) -> Result<Outcome, String> {
    let buf = PageBuf::alloc_order(big_order(&ctx.limits), Owner::SELFTEST)?;
    let max = fit(ctx, buf.len());
    let (mut n, mut bytes) = (0, 0);
    for s in sizes(max) {
        let lba = ctx.lba_for(s);
        let len = s as usize * SECTOR;
        // At the start of the block, page-aligned; the guard after it.
        poison(&buf, 0, len + GUARD);
        match ctx.read_check(lba, s, vec![buf.seg(0, len)], Transfer::Dma) {
            Err(e) if n == 0 && e.contains("no DMA on this device") => return Ok(Outcome::Skipped(e)),
            r => bytes += r?,
        }
        guard_intact(&buf, len, len + GUARD, "read by DMA")?;
        n += 1;
    }
    let note = if max < ctx.limits.max_sectors { format!("; the device's max_sectors {} is above the buffer's", ctx.limits.max_sectors) } else { String::new() };
    Ok(Outcome::Passed(format!("{n} requests, sizes 1..={max} sectors, {bytes} bytes checked{note}")))
}

fn straddling(ctx: &mut Ctx) -> Result<Outcome, String> {
    let buf = PageBuf::alloc_order(big_order(&ctx.limits), Owner::SELFTEST)?;
    let max = fit(ctx, buf.len());
    let page = PAGE_SIZE as usize;
    // Starts just before a page boundary and just before a 64 KiB
    // boundary (a PRD region may not cross one), an odd number of words
    // before one, and one that ends exactly on it.
    let starts = [page - SECTOR, page - 2, 0x1_0000 - SECTOR, 0x1_0000 - 2, 0x1_0000 - 6, 0x2_0000 - 3 * SECTOR];
    let (mut n, mut bytes) = (0, 0);
    for &off in &starts {
        for s in [1u32, 2, 3, 8, 129, max] {
            let s = s.min(max);
            let len = s as usize * SECTOR;
            if off + len + GUARD > buf.len() {
                continue;
            }
            poison(&buf, off - GUARD.min(off), off + len + GUARD);
            let lba = ctx.lba_for(s);
            bytes += ctx.read_check(lba, s, vec![buf.seg(off, len)], Transfer::Dma)?;
            guard_intact(&buf, off - GUARD.min(off), off, "straddling read")?;
            guard_intact(&buf, off + len, off + len + GUARD, "straddling read")?;
            n += 1;
        }
    }
    let offs: Vec<String> = starts.iter().map(|o| format!("{o:#x}")).collect();
    Ok(Outcome::Passed(format!("{n} requests starting at {} in a {} KiB block, {bytes} bytes checked", offs.join(", "), buf.len() / 1024)))
}

/// Segment lists by their lengths; each segment in a page of its own, at
/// an even offset that varies.
const LISTS: &[&[usize]] = &[
    &[512, 1024, 2560],
    &[2, 510, 1024, 6, 1018],
    &[8192, 8192, 4096],
    &[1536, 2, 4094, 512, 2048, 4000, 2, 94],
];

fn multi_segment(ctx: &mut Ctx) -> Result<Outcome, String> {
    let mut pages: Vec<PageBuf> = Vec::new();
    for _ in 0..16 {
        pages.push(PageBuf::alloc_order(0, Owner::SELFTEST)?);
    }
    let page = PAGE_SIZE as usize;
    let mut lists: Vec<Vec<usize>> = LISTS.iter().map(|l| l.to_vec()).collect();
    // A segment per sector.
    lists.push(vec![SECTOR; 16.min(ctx.limits.max_segments).min(ctx.limits.max_sectors as usize)]);
    let (mut n, mut bytes, mut skipped) = (0, 0, 0);
    for (k, lens) in lists.iter().enumerate() {
        let total: usize = lens.iter().sum();
        if lens.len() > ctx.limits.max_segments || total / SECTOR > ctx.limits.max_sectors as usize {
            skipped += 1;
            continue;
        }
        let segs: Vec<Segment> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                // An even offset that differs per list and segment, with the segment inside the page.
                let off = ((k * 6 + i * 10) % (page - len + 1)) & !1;
                pages[i].seg(off, len)
            })
            .collect();
        for p in &pages[..lens.len()] {
            poison(p, 0, page);
        }
        let s = (total / SECTOR) as u32;
        let lba = ctx.lba_for(s);
        bytes += ctx.read_check(lba, s, segs.clone(), Transfer::Dma)?;
        for (i, seg) in segs.iter().enumerate() {
            let off = (seg.pa.as_u64() - pages[i].pa().as_u64()) as usize;
            guard_intact(&pages[i], 0, off, "multi-segment read")?;
            guard_intact(&pages[i], off + seg.len, page, "multi-segment read")?;
        }
        n += 1;
    }
    let note = if skipped > 0 { format!("; {skipped} list(s) over the device's limits not tried") } else { String::new() };
    Ok(Outcome::Passed(format!("{n} lists of up to {} segments from separate pages, {bytes} bytes checked{note}", lists.iter().map(Vec::len).max().unwrap_or(0))))
}

fn reads_pio(ctx: &mut Ctx) -> Result<Outcome, String> {
    let buf = PageBuf::alloc_order(big_order(&ctx.limits), Owner::SELFTEST)?;
    let max = fit(ctx, buf.len());
    let (mut n, mut bytes) = (0, 0);
    for (s, off) in [(1u32, 0usize), (2, 0x1_0000 - 2), (8, 0), (33, 0x1_0000 - SECTOR), (max.min(128), 0)] {
        let s = s.min(max);
        let len = s as usize * SECTOR;
        poison(&buf, off - GUARD.min(off), off + len + GUARD);
        let lba = ctx.lba_for(s);
        bytes += ctx.read_check(lba, s, vec![buf.seg(off, len)], Transfer::Pio)?;
        guard_intact(&buf, off - GUARD.min(off), off, "read by PIO")?;
        guard_intact(&buf, off + len, off + len + GUARD, "read by PIO")?;
        n += 1;
    }
    Ok(Outcome::Passed(format!("{n} requests of 1..={} sectors, {bytes} bytes checked", max.min(128))))
}

fn merging(ctx: &mut Ctx) -> Result<Outcome, String> {
    // Two runs of adjacent single-sector reads, the second not adjacent
    // to the first; each request's sector in its own 512 bytes.
    const RUNS: [u32; 2] = [24, 8];
    let total: u32 = RUNS.iter().sum();
    if ctx.capacity < 2 * total as u64 + 16 {
        return Ok(Outcome::Skipped(format!("the disk has {} sectors", ctx.capacity)));
    }
    let pages: Vec<PageBuf> = (0..(total as usize * SECTOR).div_ceil(PAGE_SIZE as usize))
        .map(|_| PageBuf::alloc_order(0, Owner::SELFTEST))
        .collect::<Result<_, _>>()?;
    let per_page = PAGE_SIZE as usize / SECTOR;
    let mut q = RequestQueue::new();
    let mut reqs = Vec::new();
    let mut i = 0;
    let base = ctx.lba_for(2 * total + 16);
    for (r, &len) in RUNS.iter().enumerate() {
        let start = base + r as u64 * (RUNS[0] as u64 + 16);
        for k in 0..len {
            let p = &pages[i / per_page];
            let seg = p.seg((i % per_page) * SECTOR, SECTOR);
            p.fill((i % per_page) * SECTOR, SECTOR, POISON);
            let req = Request { op: Op::Read, lba: start + k as u64, sectors: 1, segs: vec![seg], transfer: Transfer::Dma };
            reqs.push(req.clone());
            q.push(req);
            i += 1;
        }
    }
    let before = ctx.dev.stats().commands;
    let ran = q.run(ctx.dev);
    let commands = ctx.dev.stats().commands - before;
    let mut bytes = 0;
    for (k, req) in reqs.iter().enumerate() {
        match ran.result(k) {
            Some(Ok(_)) => bytes += ctx.check(req)?,
            Some(Err(e)) => return Err(format!("{}: its dispatch failed: {e}", what(req))),
            None => return Err(format!("{}: in no dispatch", what(req))),
        }
    }
    let planned = ran.dispatches.len() as u64;
    if commands != planned {
        return Err(format!("{} requests planned as {planned} dispatches, but the device counted {commands} commands", reqs.len()));
    }
    if ran.merged() == 0 && ctx.limits.max_segments > 1 && ctx.limits.max_sectors > 1 {
        return Err(format!("{} adjacent requests, none merged (limits {} sectors, {} segments)", reqs.len(), ctx.limits.max_sectors, ctx.limits.max_segments));
    }
    Ok(Outcome::Passed(format!(
        "{} single-sector reads in runs of {RUNS:?} -> {planned} command(s) ({} merged), {bytes} bytes checked",
        reqs.len(),
        ran.merged()
    )))
}

fn writes(ctx: &mut Ctx) -> Result<Outcome, String> {
    let Some(w) = ctx.write else { return Ok(Outcome::Skipped("no disk_write=SEED@LBA+N on the command line".into())) };
    if w.lba + w.sectors > ctx.capacity {
        return Err(format!("disk_write region {}..{} lies past the disk's {} sectors", w.lba, w.lba + w.sectors, ctx.capacity));
    }
    let buf = PageBuf::alloc_order(big_order(&ctx.limits), Owner::SELFTEST)?;
    let chunk = fit(ctx, buf.len()) as u64;
    // The last quarter (at most 16 sectors) by PIO, the rest by DMA.
    let pio = if w.sectors >= 2 { (w.sectors / 4).clamp(1, 16) } else { 0 };
    let dma_end = w.lba + w.sectors - pio;
    let written0 = ctx.dev.stats().sectors_written;
    let mut lba = w.lba;
    while lba < w.lba + w.sectors {
        let (transfer, end) = if lba < dma_end { (Transfer::Dma, dma_end) } else { (Transfer::Pio, w.lba + w.sectors) };
        let s = chunk.min(end - lba) as u32;
        let len = s as usize * SECTOR;
        let segs = vec![buf.seg(0, len)];
        let mut c = SegCursor::new(&segs);
        for k in 0..s as u64 {
            for &b in pattern(w.seed, lba + k).iter() {
                c.write(b);
            }
        }
        let req = Request { op: Op::Write, lba, sectors: s, segs, transfer };
        let done = ctx.submit(&req)?;
        if done.via != transfer {
            return Err(format!("{}: carried out by {:?}", what(&req), done.via));
        }
        lba += s as u64;
    }
    let flush = Request { op: Op::Flush, lba: 0, sectors: 0, segs: Vec::new(), transfer: Transfer::None };
    ctx.submit(&flush)?;
    let written = ctx.dev.stats().sectors_written - written0;
    if written != w.sectors {
        return Err(format!("wrote {} sectors, the device counted {written}", w.sectors));
    }
    ctx.written = Some(w);
    // Read back the region and a sector on each side.
    let (from, to) = (w.lba.saturating_sub(1), (w.lba + w.sectors + 1).min(ctx.capacity));
    let mut lba = from;
    let mut bytes = 0;
    while lba < to {
        let s = chunk.min(to - lba) as u32;
        bytes += ctx.read_check(lba, s, vec![buf.seg(0, s as usize * SECTOR)], Transfer::Dma)?;
        lba += s as u64;
    }
    Ok(Outcome::Passed(format!(
        "seed {:#x} to sectors {}..{} ({} by DMA, {pio} by PIO), flushed, read back with a sector each side ({bytes} bytes checked)",
        w.seed,
        w.lba,
        w.lba + w.sectors,
        w.sectors - pio
    )))
}

fn refusals(ctx: &mut Ctx) -> Result<Outcome, String> {
    let buf = PageBuf::alloc_order(0, Owner::SELFTEST)?;
    let cap = ctx.capacity;
    let max = ctx.limits.max_sectors;
    let one = || vec![buf.seg(0, SECTOR)];
    let two = || vec![buf.seg(0, 2 * SECTOR)];
    let read = |lba, sectors, segs| Request { op: Op::Read, lba, sectors, segs, transfer: Transfer::Dma };
    let mut cases: Vec<(&str, Request)> = vec![
        ("the last sector and one past it", read(cap - 1, 2, two())),
        ("the first sector past the end", read(cap, 1, one())),
        ("an LBA near 2^64", read(u64::MAX, 1, one())),
        ("zero sectors", read(0, 0, Vec::new())),
        ("2 sectors with 512 bytes of segments", read(0, 2, one())),
        ("a write past the end", Request { op: Op::Write, ..read(cap, 1, one()) }),
    ];
    let big = PageBuf::alloc((max as usize + 1) * SECTOR, Owner::SELFTEST).ok();
    if let Some(b) = &big {
        if (max as u64) < cap {
            cases.push(("one sector over max_sectors", read(0, max + 1, vec![b.seg(0, (max as usize + 1) * SECTOR)])));
        }
    }
    let before = ctx.dev.stats().commands;
    for (label, req) in &cases {
        match ctx.dev.submit(req) {
            Ok(_) => return Err(format!("{label} ({}) was carried out", what(req))),
            Err(e) => info!("disk:   {label}: refused: {e}"),
        }
    }
    let sent = ctx.dev.stats().commands - before;
    if sent != 0 {
        return Err(format!("{sent} command(s) reached the drive for refused requests"));
    }
    Ok(Outcome::Passed(format!("{} bad requests refused, no command sent", cases.len())))
}

/// Runs the disk self-tests on the disk `main` probed (`disk_test=SEED`).
pub fn run(params: &bootparam::EarlyParams) {
    let Some(word) = params.get("disk_test") else { return };
    let seed = match bootparam::parse_number(word) {
        Ok((n, "")) => n,
        _ => {
            error!("disk test: FAILED: disk_test={word}: expected a seed (a number)");
            return;
        }
    };
    let write = match params.get("disk_write").map(DiskWrite::parse) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => {
            error!("disk test: FAILED: disk_write={}: {e} (expected SEED@LBA+N)", params.get("disk_write").unwrap_or(""));
            return;
        }
    };
    let inject = params.get("fail_iommu").is_some();
    let before = dma::accounting();
    let counts = block::with_disk(|dev| run_on(dev, seed, write, inject));
    let (mut passed, mut failed, skipped) = match counts {
        Some(c) => c,
        None => {
            error!("disk test: FAILED: no disk (boot QEMU with -drive file=IMG,if=ide,format=raw)");
            (0, 1, 0)
        }
    };
    // Nothing left behind: every buffer freed, every mapping undone.
    let after = dma::accounting();
    let diff = after.diff(&before, Compare::Exact);
    let live = debug::live_streaming();
    if !diff.is_empty() || !live.is_empty() {
        error!("disk: nothing left behind: FAILED: {diff}; streaming mappings live: {live:?}");
        failed += 1;
    } else {
        info!("disk: nothing left behind: ok (memory counts exactly as before the tests, no streaming DMA mapping live)");
        passed += 1;
    }
    info!("disk test: {passed} passed, {failed} failed, {skipped} skipped");
    crate::mm::boot::reconcile("after the disk tests");
}

fn run_on(dev: &mut dyn BlockDevice, seed: u64, write: Option<DiskWrite>, inject: bool) -> (usize, usize, usize) {
    let capacity = dev.capacity();
    let limits = dev.limits();
    info!(
        "disk test: {} ({capacity} sectors; max {} sectors, {} segments per request), pattern seed {seed:#x}",
        dev.name(),
        limits.max_sectors,
        limits.max_segments
    );
    let mut ctx = Ctx { dev, seed, capacity, limits, write, written: None, inject, injected: None, rng: SplitMix64::new(seed ^ 0xd15c) };
    if capacity == 0 || limits.max_sectors == 0 || dev_sector_size(&ctx) != SECTOR {
        error!("disk test: FAILED: capacity {capacity}, max_sectors {}, sector size {}: nothing to test", limits.max_sectors, dev_sector_size(&ctx));
        return (0, 1, 0);
    }
    let max = limits.max_sectors;
    let tests: [(String, Test); 7] = [
        (format!("reads 1..={max} sectors by DMA"), reads_dma),
        ("buffers straddling page and 64 KiB boundaries by DMA".into(), straddling),
        ("multi-segment lists by DMA".into(), multi_segment),
        ("reads by PIO".into(), reads_pio),
        ("merging in the request queue".into(), merging),
        ("writes, read back and flush".into(), writes),
        ("refused requests".into(), refusals),
    ];
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut record = |name: &str, r: Result<Outcome, String>| match r {
        Ok(Outcome::Passed(d)) => {
            info!("disk: {name}: ok ({d})");
            passed += 1;
        }
        Ok(Outcome::Skipped(why)) => {
            info!("disk: {name}: skipped ({why})");
            skipped += 1;
        }
        Err(e) => {
            error!("disk: {name}: FAILED: {e}");
            failed += 1;
        }
    };
    for (name, t) in &tests {
        let r = t(&mut ctx);
        record(name, r);
    }
    if inject {
        match &ctx.injected {
            Some(req) => {
                info!("disk: injected IOMMU failure: ok (the {req} failed with a DMA error and was tried again)");
                passed += 1;
            }
            None => {
                error!("disk: injected IOMMU failure: FAILED: fail_iommu= was given, but no disk request failed with a DMA error");
                failed += 1;
            }
        }
    }
    let s = ctx.dev.stats();
    info!(
        "disk test: device counters: {} commands ({} DMA, {} PIO), {} sectors read, {} written, {} retries, {} errors, {} timeouts; {} completions by interrupt, {} polled",
        s.commands, s.dma_commands, s.pio_commands, s.sectors_read, s.sectors_written, s.retries, s.errors, s.timeouts, s.irq_completions, s.polled_completions
    );
    (passed, failed, skipped)
}

fn dev_sector_size(ctx: &Ctx) -> usize {
    ctx.dev.sector_size()
}
