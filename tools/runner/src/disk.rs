//! The disk a case attaches (`Case::disk`): the runner writes a raw image
//! whose every sector holds a pattern derived from its LBA and a seed,
//! attaches it to the CMD646's first channel (`-drive
//! file=IMG,if=ide,format=raw`, or through QEMU's `blkdebug` driver with
//! error rules), and after QEMU exits checks the image sector by sector:
//! the region the kernel's write test wrote (`disk_write=SEED@LBA+N`)
//! must hold that seed's pattern, every other sector the image's own.
//! It also checks what the monitor's `disk read` and `disk bench`
//! printed.
//!
//! The pattern, computed here independently of the kernel's copy in
//! `kernel/src/selftest/disk.rs` (docs/testing.md, *The disk image*):
//! sector `lba` is 64 little-endian words, the outputs of
//! `SplitMix64::new(seed + lba * 64 * 0x9E37_79B9_7F4A_7C15)` (wrapping),
//! that is outputs `64 * lba + 1 ..= 64 * lba + 64` of the one stream
//! `SplitMix64::new(seed)`: no two words of the disk come from the same
//! generator state, so data read from the wrong place never matches.

use crate::cases::Case;
use bootparam::DiskWrite;
use splitmix::SplitMix64;
use std::path::{Path, PathBuf};

/// Bytes per sector.
pub const SECTOR: usize = 512;

/// SplitMix64's increment: one generator step.
const STEP: u64 = 0x9E37_79B9_7F4A_7C15;

/// A disk for a case.
#[derive(Clone, Copy, Debug)]
pub struct Disk {
    /// The image's size.
    pub sectors: u64,
    /// The seed of the pattern every sector holds at the start.
    pub seed: u64,
    /// The region the kernel writes with another seed (the case's
    /// `disk_write=` says the same; a host test checks that it does).
    pub write: Option<DiskWrite>,
    /// QEMU `blkdebug` rules (the config file's text), for error
    /// injection; `None` attaches the image directly.
    pub blkdebug: Option<&'static str>,
}

/// Sector `lba` of the pattern of `seed`.
pub fn pattern(seed: u64, lba: u64) -> [u8; SECTOR] {
    let mut g = SplitMix64::new(seed.wrapping_add(lba.wrapping_mul(64).wrapping_mul(STEP)));
    let mut s = [0u8; SECTOR];
    for word in s.chunks_exact_mut(8) {
        word.copy_from_slice(&g.next_u64().to_le_bytes());
    }
    s
}

impl Disk {
    /// What sector `lba` must hold after the run.
    pub fn expected(&self, lba: u64) -> [u8; SECTOR] {
        match self.write {
            Some(w) if (w.lba..w.lba + w.sectors).contains(&lba) => pattern(w.seed, lba),
            _ => pattern(self.seed, lba),
        }
    }

    /// The image at the start of the run.
    pub fn image(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.sectors as usize * SECTOR);
        for lba in 0..self.sectors {
            v.extend_from_slice(&pattern(self.seed, lba));
        }
        v
    }
}

/// Where the case's image goes.
pub fn image_path(case: &Case, logs: &Path) -> PathBuf {
    logs.join(format!("{}.img", case.name))
}

/// The blkdebug rules file of `case`.
fn rules_path(case: &Case, logs: &Path) -> PathBuf {
    logs.join(format!("{}.blkdebug", case.name))
}

/// QEMU's arguments that attach the case's disk (none without one).
pub fn prepare_args(case: &Case, logs: &Path) -> Vec<String> {
    let Some(disk) = case.disk else { return Vec::new() };
    let img = image_path(case, logs);
    let file = match disk.blkdebug {
        None => img.display().to_string(),
        Some(_) => format!("blkdebug:{}:{}", rules_path(case, logs).display(), img.display()),
    };
    vec!["-drive".into(), format!("file={file},if=ide,format=raw")]
}

/// Writes the image (and the blkdebug rules) for `case` into `logs`;
/// returns QEMU's arguments that attach it (none without a disk).
pub fn prepare(case: &Case, logs: &Path) -> Result<Vec<String>, String> {
    let Some(disk) = case.disk else { return Ok(Vec::new()) };
    let img = image_path(case, logs);
    std::fs::write(&img, disk.image()).map_err(|e| format!("cannot write the disk image {}: {e}", img.display()))?;
    if let Some(rules) = disk.blkdebug {
        let conf = rules_path(case, logs);
        std::fs::write(&conf, rules).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
    }
    Ok(prepare_args(case, logs))
}

/// After the run: the image sector by sector (the first mismatching LBA
/// and how many differ), and what the monitor printed.
pub fn check(case: &Case, logs: &Path, output: &str) -> Result<String, String> {
    let Some(disk) = case.disk else { return Ok(String::new()) };
    let img = image_path(case, logs);
    let data = std::fs::read(&img).map_err(|e| format!("cannot read the disk image {}: {e}", img.display()))?;
    let mut detail = check_image(&disk, &data)?;
    detail.push_str(&check_dump(&disk, output)?);
    // `disk read 0 ...` typed: the dump of sector 0 must be there, its
    // first line as computed here.
    let typed_read_0 = case.stdin_on.iter().any(|(_, b)| b.starts_with(b"disk read 0 ") || *b == b"disk read 0\r");
    let first = dump_line(0, &disk.expected(0)[..16]);
    if typed_read_0 && !output.lines().any(|l| l.trim_end() == first) {
        return Err(format!("`disk read 0` was typed, but the dump's first line {first:?} is not in the output"));
    }
    if case.stdin_on.iter().any(|(_, b)| b.starts_with(b"disk bench")) {
        detail.push_str(&check_bench(output)?);
    }
    Ok(detail)
}

/// The image after the run against [`Disk::expected`].
pub fn check_image(disk: &Disk, data: &[u8]) -> Result<String, String> {
    if data.len() as u64 != disk.sectors * SECTOR as u64 {
        return Err(format!("disk image: {} bytes after the run, {} sectors expected", data.len(), disk.sectors));
    }
    let mut bad = data.chunks_exact(SECTOR).enumerate().filter(|(lba, s)| *s != disk.expected(*lba as u64));
    if let Some((first, s)) = bad.next() {
        let was_first = *s == pattern(disk.seed, first as u64);
        let more = bad.count();
        return Err(format!(
            "disk image: sector {first} does not hold what it should ({}; {more} more sector(s) differ after it)",
            if was_first { "it still holds the first pattern; the write did not reach it" } else { "neither pattern" }
        ));
    }
    let written = disk.write.map_or(String::new(), |w| format!(", sectors {}..{} hold seed {:#x}'s pattern", w.lba, w.lba + w.sectors, w.seed));
    Ok(format!(", disk image checked ({} sectors{written})", disk.sectors))
}

/// One line of the monitor's hex dump of the disk, as `disk read`
/// prints it (hexdump -C's layout): the byte offset on the disk, 16 bytes
/// in two groups of 8, and the printable ASCII (`.` for the rest).
pub fn dump_line(offset: u64, bytes: &[u8]) -> String {
    let mut s = format!("{offset:08x} ");
    for (i, b) in bytes.iter().enumerate() {
        if i % 8 == 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x} "));
    }
    s.push_str(" |");
    s.extend(bytes.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }));
    s.push('|');
    s
}

/// The offset of a hex dump line (8 or more hex digits, two spaces, a
/// byte), if `line` is one.
fn dump_offset(line: &str) -> Option<u64> {
    let (off, rest) = line.split_once("  ")?;
    if off.len() < 8 || !off.bytes().all(|b| b.is_ascii_hexdigit()) || !rest.get(..2)?.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(off, 16).ok()
}

/// Every hex dump line the monitor printed must be the image's bytes at
/// its offset; the dump of sector 0 (`disk read 0 ...`) must start with
/// the line computed here.
pub fn check_dump(disk: &Disk, output: &str) -> Result<String, String> {
    let mut lines = 0;
    for line in output.lines().map(str::trim_end) {
        let Some(off) = dump_offset(line) else { continue };
        let (lba, within) = (off / SECTOR as u64, off as usize % SECTOR);
        if within % 16 != 0 || lba >= disk.sectors {
            return Err(format!("hex dump line at offset {off:#x}: not a 16-byte line of the disk: {line:?}"));
        }
        let want = dump_line(off, &disk.expected(lba)[within..within + 16]);
        if line != want {
            return Err(format!("hex dump of sector {lba} +{within:#x}: printed {line:?}, the image holds {want:?}"));
        }
        lines += 1;
    }
    Ok(if lines > 0 { format!(", {lines} hex dump lines match the image") } else { String::new() })
}

/// The rows `disk bench` prints: transfer and access pattern.
pub const BENCH_ROWS: &[(&str, &str)] = &[("DMA", "sequential"), ("PIO", "sequential"), ("DMA", "random")];

/// `disk bench`'s table: each row of [`BENCH_ROWS`] once, `via pattern
/// SIZE KiB requests bytes ms rate unit` with bytes = requests x size and
/// every number positive, then the DMA/PIO ratio line.
pub fn check_bench(output: &str) -> Result<String, String> {
    let mut rates = Vec::new();
    for (via, pat) in BENCH_ROWS {
        let rows: Vec<Vec<&str>> = output
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() == 9 && f[0] == *via && f[1] == *pat)
            .collect();
        let [f] = rows.as_slice() else {
            return Err(format!("disk bench: {} row(s) for {via} {pat}, expected one", rows.len()));
        };
        let n = |i: usize| f[i].parse::<f64>().ok().filter(|v| *v > 0.0);
        let (Some(kib), Some(reqs), Some(bytes), Some(ms), Some(rate)) = (n(2), n(4), n(5), n(6), n(7)) else {
            return Err(format!("disk bench: {via} {pat}: not all numbers positive: {}", f.join(" ")));
        };
        if f[3] != "KiB" || (kib * 1024.0 * reqs - bytes).abs() > 0.5 {
            return Err(format!("disk bench: {via} {pat}: {reqs} requests of {kib} KiB are not {bytes} bytes"));
        }
        let unit = if *pat == "random" { "reads/s" } else { "MB/s" };
        if f[8] != unit {
            return Err(format!("disk bench: {via} {pat}: rate in {}, expected {unit}", f[8]));
        }
        let _ = ms;
        rates.push(rate);
    }
    let ratio = output
        .lines()
        .find_map(|l| l.split("disk bench: DMA/PIO sequential ratio ").nth(1))
        .and_then(|r| r.split_whitespace().next()?.parse::<f64>().ok())
        .ok_or("disk bench: no DMA/PIO ratio line")?;
    if (ratio - rates[0] / rates[1]).abs() > 0.01 * ratio.max(1.0) {
        return Err(format!("disk bench: DMA/PIO ratio {ratio}, but the rows give {:.2}", rates[0] / rates[1]));
    }
    Ok(format!(", disk bench: DMA {:.1} MB/s, PIO {:.1} MB/s, {:.0} random reads/s", rates[0], rates[1], rates[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISK: Disk = Disk { sectors: 64, seed: 0x5eed, write: Some(DiskWrite { seed: 9, lba: 10, sectors: 4 }), blkdebug: None };

    #[test]
    fn the_pattern_is_one_splitmix_stream() {
        // Sector lba holds outputs 64 * lba + 1 ..= 64 * lba + 64 of the stream.
        let mut g = SplitMix64::new(7);
        let words: Vec<u64> = (0..64 * 3).map(|_| g.next_u64()).collect();
        for lba in 0..3u64 {
            let s = pattern(7, lba);
            for k in 0..64 {
                let w = u64::from_le_bytes(s[k * 8..k * 8 + 8].try_into().unwrap());
                assert_eq!(w, words[lba as usize * 64 + k], "sector {lba} word {k}");
            }
        }
        // A known value: SplitMix64(0)'s first output (Vigna's splitmix64.c).
        assert_eq!(&pattern(0, 0)[..8], &0xe220_a839_7b1d_cdafu64.to_le_bytes());
        assert_ne!(pattern(7, 1), pattern(8, 1));
    }

    #[test]
    fn image_check_names_the_first_bad_sector() {
        let mut img = DISK.image();
        assert!(check_image(&DISK, &img).unwrap_err().contains("sector 10 does not hold what it should (it still holds the first pattern"));
        for lba in 10..14 {
            img[lba * SECTOR..(lba + 1) * SECTOR].copy_from_slice(&pattern(9, lba as u64));
        }
        assert!(check_image(&DISK, &img).unwrap().contains("sectors 10..14 hold seed 0x9's pattern"));
        img[20 * SECTOR + 5] ^= 1;
        img[30 * SECTOR] ^= 1;
        let e = check_image(&DISK, &img).unwrap_err();
        assert!(e.contains("sector 20 does not hold what it should (neither pattern; 1 more"), "{e}");
        assert!(check_image(&DISK, &img[..SECTOR]).unwrap_err().contains("64 sectors expected"));
    }

    #[test]
    fn dump_lines_are_checked_against_the_image() {
        let s0 = pattern(DISK.seed, 0);
        let first = dump_line(0, &s0[..16]);
        assert_eq!(first.len(), 8 + 2 + 16 * 3 + 1 + 2 + 16 + 1);
        assert!(first.starts_with("00000000  "));
        assert_eq!(dump_line(0x200, b"ABCDEFGH\x00\x7f ~abcd"), "00000200  41 42 43 44 45 46 47 48  00 7f 20 7e 61 62 63 64  |ABCDEFGH.. ~abcd|");
        let s10 = DISK.expected(10);
        let out = format!("alpha> disk read 0 1\n{first}\n{}\nalpha> ", dump_line(10 * 512 + 32, &s10[32..48]));
        assert_eq!(check_dump(&DISK, &out).unwrap(), ", 2 hex dump lines match the image");
        let wrong = format!("{}\n", dump_line(10 * 512, &pattern(DISK.seed, 10)[..16]));
        assert!(check_dump(&DISK, &wrong).unwrap_err().contains("hex dump of sector 10 +0x0"));
        assert!(check_dump(&DISK, &format!("{}\n", dump_line(64 * 512, &[0; 16]))).is_err());
        assert_eq!(check_dump(&DISK, "[    0.1] INFO  nothing\n").unwrap(), "");
    }

    #[test]
    fn bench_table() {
        let out = "disk bench: ide0 ...\n  transfer pattern request requests bytes ms rate\n\
                   \x20 DMA sequential 128 KiB 32 4194304 100 41.94 MB/s\n\
                   \x20 PIO sequential 128 KiB 32 4194304 400 10.49 MB/s\n\
                   \x20 DMA random 4 KiB 500 2048000 1000 500 reads/s\n\
                   disk bench: DMA/PIO sequential ratio 4.00\n";
        assert!(check_bench(out).unwrap().contains("DMA 41.9 MB/s"));
        assert!(check_bench(&out.replace("ratio 4.00", "ratio 2.00")).unwrap_err().contains("ratio"));
        assert!(check_bench(&out.replace("32 4194304 400", "31 4194304 400")).unwrap_err().contains("are not"));
        assert!(check_bench(&out.replace("500 reads/s", "0 reads/s")).unwrap_err().contains("positive"));
        assert!(check_bench(&out.replace("  PIO", "  XIO")).unwrap_err().contains("PIO sequential"));
        assert!(check_bench(&out.replace("ratio", "x")).unwrap_err().contains("ratio line"));
    }

    /// Every case with a disk says on its command line what the disk
    /// holds: `disk_test=` its seed, `disk_write=` its written region.
    #[test]
    fn cases_agree_with_their_disks() {
        for c in crate::cases::all() {
            let p = bootparam::EarlyParams::parse(c.append);
            let Some(d) = c.disk else {
                assert!(p.get("disk_test").is_none() && p.get("disk_write").is_none(), "{}: disk parameters without a disk", c.name);
                continue;
            };
            if let Some(seed) = p.get("disk_test") {
                // disk-wrong-seed is told another seed on purpose.
                let told = bootparam::parse_number(seed).map(|n| n.0);
                assert_eq!(told == Ok(d.seed), c.name != "disk-wrong-seed", "{}: disk_test={seed}, image seed {:#x}", c.name, d.seed);
            }
            let w = p.get("disk_write").map(|w| DiskWrite::parse(w).unwrap());
            assert_eq!(w, d.write, "{}", c.name);
            if let Some(w) = w {
                assert!(w.lba + w.sectors <= d.sectors, "{}: the write region lies past the image", c.name);
            }
        }
    }
}
