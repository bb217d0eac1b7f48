//! Property tests against models written for clarity, not speed.
//!
//! * PRD tables ([`prd::build`]): the model walks every request two bytes
//!   at a time and starts a new region at the first byte of each segment
//!   and at every byte whose address is a multiple of 64 KiB; the table
//!   must be exactly those regions. Requests of any size up to the
//!   maximum (32 MiB) are checked against the SFF-8038i rules directly
//!   (no region crosses 64 KiB, lengths even and in 2..=65536, regions in
//!   order cover exactly the input bytes, EOT only on the last) and
//!   against a count of the 64 KiB multiples inside each segment.
//! * Errors: a model of the checks in the order documented.
//! * Taskfiles ([`taskfile::rw`], [`taskfile::register_writes`]): a model
//!   of the choice written from the standard's limits, and a simulated
//!   drive that latches the register writes (each register keeps its
//!   previous content, as a 48-bit drive does) and decodes the LBA and
//!   count back.
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use crate::prd::{self, BOUNDARY, MAX_BYTES, PrdEntry, PrdError};
use crate::taskfile::{self, AtaError, Command, Reg};
use proptest::prelude::*;

// ------------------------------------------------------------ prd model

/// Regions (address, length) by the two-byte walk.
fn walk_model(segs: &[(u32, u32)]) -> Vec<(u64, u64)> {
    let mut regions: Vec<(u64, u64)> = Vec::new();
    for &(addr, len) in segs {
        let (addr, len) = (addr as u64, len as u64);
        let mut x = addr;
        while x < addr + len {
            if x == addr || x % 65536 == 0 {
                regions.push((x, 2));
            } else {
                regions.last_mut().unwrap().1 += 2;
            }
            x += 2;
        }
    }
    regions
}

/// Entries a segment needs: one, plus one per multiple of 64 KiB strictly
/// inside it (counted one by one).
fn count_model(segs: &[(u32, u32)]) -> usize {
    let mut n = 0;
    for &(addr, len) in segs {
        let (start, end) = (addr as u64, addr as u64 + len as u64);
        n += 1;
        let mut m = (start / 65536 + 1) * 65536;
        while m < end {
            n += 1;
            m += 65536;
        }
    }
    n
}

/// The error `build` must return, by the documented order of checks.
fn error_model(segs: &[(u32, u32)], room: usize) -> Option<PrdError> {
    if segs.is_empty() {
        return Some(PrdError::Empty);
    }
    for (index, &(a, l)) in segs.iter().enumerate() {
        if l == 0 {
            return Some(PrdError::Empty);
        }
        if a % 2 == 1 {
            return Some(PrdError::OddAddress { index });
        }
        if l % 2 == 1 {
            return Some(PrdError::OddLength { index });
        }
        if a as u128 + l as u128 > 1u128 << 32 {
            return Some(PrdError::CrossesFourGiB { index });
        }
    }
    let total: u64 = segs.iter().map(|s| s.1 as u64).sum();
    if total > MAX_BYTES {
        return Some(PrdError::TooLong { total, max: MAX_BYTES });
    }
    let needed = count_model(segs);
    let max = room.min(8192);
    (needed > max).then_some(PrdError::TooManyEntries { needed, max })
}

/// Checks `table` against the SFF-8038i rules and `segs`.
fn check_rules(segs: &[(u32, u32)], table: &[PrdEntry]) -> Result<(), TestCaseError> {
    let mut cursor = segs.iter().map(|&(a, l)| (a as u64, a as u64 + l as u64));
    let (mut at, mut end) = cursor.next().unwrap();
    for (i, e) in table.iter().enumerate() {
        let (addr, len) = (e.addr as u64, e.len() as u64);
        prop_assert_eq!(e.is_last(), i == table.len() - 1, "EOT on entry {}", i);
        prop_assert_eq!(e.flags_count & 0x7fff_0000, 0, "reserved bits in entry {}", i);
        prop_assert!(len % 2 == 0 && (2..=65536).contains(&len), "length {} in entry {}", len, i);
        prop_assert!(addr % 2 == 0);
        prop_assert!(addr % BOUNDARY + len <= BOUNDARY, "entry {} crosses 64 KiB", i);
        if at == end {
            let next = cursor.next();
            prop_assert!(next.is_some(), "entry {} past the input", i);
            (at, end) = next.unwrap();
        }
        prop_assert_eq!(addr, at, "entry {} does not continue the input", i);
        prop_assert!(addr + len <= end, "entry {} past its segment", i);
        at += len;
    }
    prop_assert!(at == end && cursor.next().is_none(), "input not all covered");
    let total: u64 = table.iter().map(|e| e.len() as u64).sum();
    prop_assert_eq!(total, segs.iter().map(|s| s.1 as u64).sum::<u64>());
    Ok(())
}

/// An even address: anywhere, just below or at a 64 KiB multiple, or
/// right after the previous segment (a contiguous list).
fn addr_strategy() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        3 => (0u32..1 << 31).prop_map(|x| Some(x * 2)),
        3 => (0u32..1 << 16, 0u32..64).prop_map(|(k, d)| Some((k << 16).wrapping_sub(d * 2))),
        1 => (0u32..1 << 16, 0u32..32).prop_map(|(k, d)| Some((k << 16) + d * 2)),
        2 => Just(None),
    ]
}

fn place(parts: Vec<(Option<u32>, u32)>) -> Vec<(u32, u32)> {
    let mut segs: Vec<(u32, u32)> = Vec::new();
    for (addr, len) in parts {
        let after = segs.last().map_or(0, |&(a, l)| a as u64 + l as u64);
        let mut a = addr.map_or(after, |a| a as u64);
        // Keep below 4 GiB: move down by whole 64 KiB windows (the
        // offset in the window, which is what matters, stays).
        while a + len as u64 > 1 << 32 {
            a -= 1 << 24;
        }
        segs.push((a as u32, len));
    }
    segs
}

/// Valid lists of 1..=24 segments, each up to `max_len` bytes, total up
/// to `max_total`.
fn segs_strategy(max_len: u32, max_total: u64) -> impl Strategy<Value = Vec<(u32, u32)>> {
    let len = prop_oneof![
        4 => 1u32..=2048,
        3 => 1u32..=(max_len / 2).min(65536),
        2 => 1u32..=max_len / 2,
        1 => Just(32768u32),
    ]
    .prop_map(|h| h * 2);
    proptest::collection::vec((addr_strategy(), len), 1..=24).prop_map(move |parts| {
        let mut total = 0u64;
        let parts: Vec<_> = parts
            .into_iter()
            .take_while(|p| {
                total += p.1 as u64;
                total <= max_total
            })
            .collect();
        if parts.is_empty() { vec![(Some(0x10_0000), 512)] } else { parts }
    })
    .prop_map(place)
}

fn empty_table(n: usize) -> Vec<PrdEntry> {
    vec![PrdEntry { addr: 0, flags_count: 0 }; n]
}

// ------------------------------------------------------------ taskfile model

#[derive(Debug, PartialEq)]
struct Expect {
    name: String,
    count: u16,
    device: u8,
}

fn rw_model(write: bool, dma: bool, lba: u64, sectors: u32, capacity: u64, lba48: bool) -> Result<Expect, AtaError> {
    if sectors == 0 {
        return Err(AtaError::ZeroSectors);
    }
    if lba as u128 + sectors as u128 > capacity as u128 {
        return Err(AtaError::PastEnd { lba, sectors, capacity });
    }
    let max = if lba48 { 65536 } else { 256 };
    if sectors > max {
        return Err(AtaError::TooMany { sectors, max });
    }
    let last = lba + sectors as u64 - 1;
    let short = sectors <= 256 && last <= 0x0fff_fffe;
    if !short && !lba48 {
        return Err(AtaError::NeedsLba48 { lba, sectors });
    }
    if !short && last >= 1 << 48 {
        return Err(AtaError::PastEnd { lba, sectors, capacity: 1 << 48 });
    }
    let name = format!(
        "{} {}{}",
        if write { "WRITE" } else { "READ" },
        if dma { "DMA" } else { "SECTOR(S)" },
        if short { "" } else { " EXT" }
    );
    let count = if short { sectors % 256 } else { sectors % 65536 } as u16;
    let device = if short { 0x40 | (lba >> 24) as u8 & 0x0f } else { 0x40 };
    Ok(Expect { name, count, device })
}

/// What a drive latches: each register's content and its previous one.
#[derive(Default)]
struct Drive {
    cur: [u8; 8],
    prev: [u8; 8],
    command: Option<u8>,
    device_before_command: bool,
    writes_after_command: usize,
}

impl Drive {
    fn write(&mut self, reg: Reg, v: u8) {
        if self.command.is_some() {
            self.writes_after_command += 1;
        }
        let o = reg.offset() as usize;
        if reg == Reg::Command {
            self.command = Some(v);
            return;
        }
        if reg == Reg::Device {
            self.device_before_command = true;
        }
        self.prev[o] = self.cur[o];
        self.cur[o] = v;
    }

    /// (lba, sectors) as the drive reads them for a 48-bit or 28-bit command.
    fn decode(&self, ext: bool) -> (u64, u32) {
        let c = |r: Reg| self.cur[r.offset() as usize] as u64;
        let p = |r: Reg| self.prev[r.offset() as usize] as u64;
        let low = c(Reg::LbaHigh) << 16 | c(Reg::LbaMid) << 8 | c(Reg::LbaLow);
        if ext {
            let lba = p(Reg::LbaHigh) << 40 | p(Reg::LbaMid) << 32 | p(Reg::LbaLow) << 24 | low;
            let n = (p(Reg::SectorCount) << 8 | c(Reg::SectorCount)) as u32;
            (lba, if n == 0 { 65536 } else { n })
        } else {
            let lba = (c(Reg::Device) & 0x0f) << 24 | low;
            let n = c(Reg::SectorCount) as u32;
            (lba, if n == 0 { 256 } else { n })
        }
    }
}

fn lba_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..1000,
        3 => (0u64..600).prop_map(|d| (1 << 28) - 300 + d),
        2 => 0u64..1 << 28,
        2 => 0u64..1 << 48,
        1 => (0u64..70000).prop_map(|d| (1 << 48) - 65536 + d),
        1 => any::<u64>(),
    ]
}

fn sectors_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..=300,
        1 => 250u32..=260,
        2 => 0u32..=70000,
        1 => 65530u32..=65540,
        1 => any::<u32>(),
    ]
}

proptest! {
    #![proptest_config(test_support::config())]

    /// Requests up to 2 MiB: the table is exactly the two-byte walk's.
    #[test]
    fn build_matches_the_walk(segs in segs_strategy(1 << 18, 1 << 21)) {
        let mut out = empty_table(1024);
        let n = prd::build(&segs, &mut out).unwrap();
        let got: Vec<(u64, u64)> = out[..n].iter().map(|e| (e.addr as u64, e.len() as u64)).collect();
        prop_assert_eq!(&got, &walk_model(&segs));
        prop_assert_eq!(n, prd::entries_needed(&segs));
        check_rules(&segs, &out[..n])?;
    }

    /// Any list, valid or not, and any room: the error the checks give, or
    /// a table by the rules.
    #[test]
    fn build_errors_match_the_model(
        parts in proptest::collection::vec((any::<u32>(), prop_oneof![0u32..=20, 0u32..=200_000, any::<u32>()]), 0..=6),
        room in 0usize..=40,
    ) {
        let segs: Vec<(u32, u32)> = parts.into_iter().map(|(a, l)| (a & !0xfff0, l)).collect();
        let mut out = empty_table(room);
        match (prd::build(&segs, &mut out), error_model(&segs, room)) {
            (Err(e), Some(m)) => prop_assert_eq!(e, m),
            (Ok(n), None) => check_rules(&segs, &out[..n])?,
            (got, want) => prop_assert!(false, "build gave {:?}, the model {:?}", got, want),
        }
    }

    /// The table's own placement.
    #[test]
    fn table_fits_matches_the_rules(bus in prop_oneof![0u64..1 << 20, any::<u64>()], entries in 0usize..=9000) {
        let bytes = entries as u64 * 8;
        let ok = entries >= 1 && entries <= 8192 && bus % 4 == 0 && bus < 1 << 32
            && bus / 65536 == (bus + bytes - 1) / 65536;
        prop_assert_eq!(prd::table_fits(bus, entries).is_ok(), ok);
    }

    /// The command chosen and its register contents.
    #[test]
    fn rw_matches_the_model(
        write in any::<bool>(), dma in any::<bool>(), lba in lba_strategy(), sectors in sectors_strategy(),
        slack in prop_oneof![Just(0u64), 0u64..1000, any::<u64>()], short in 0u64..3, lba48 in any::<bool>(),
    ) {
        // Capacity: mostly enough (end + slack), sometimes short of it.
        let capacity = (lba as u128 + sectors as u128 + slack as u128 - short.min(sectors as u64) as u128)
            .min(u64::MAX as u128) as u64;
        let got = taskfile::rw(write, dma, lba, sectors, capacity, lba48);
        let want = rw_model(write, dma, lba, sectors, capacity, lba48);
        match (got, want) {
            (Err(e), Err(m)) => prop_assert_eq!(e, m),
            (Ok(tf), Ok(m)) => {
                prop_assert_eq!(tf.command.name(), m.name.as_str());
                prop_assert_eq!((tf.count, tf.device, tf.lba, tf.features), (m.count, m.device, lba, 0));
                prop_assert_eq!(tf.sectors(), sectors);
                prop_assert_eq!(tf.command.is_dma(), dma);
                prop_assert_eq!(tf.command.data_out(), write);
                // Replay the writes into a drive and read the request back.
                let (w, n) = taskfile::register_writes(&tf);
                let mut drive = Drive::default();
                for &(r, v) in &w[..n] {
                    drive.write(r, v);
                }
                prop_assert_eq!(drive.command, Some(tf.command as u8));
                prop_assert!(drive.device_before_command);
                prop_assert_eq!(drive.writes_after_command, 0);
                prop_assert_eq!(drive.decode(tf.command.is_lba48()), (lba, sectors));
            }
            (got, want) => prop_assert!(false, "rw gave {:?}, the model {:?}", got, want),
        }
    }
}

proptest! {
    #![proptest_config(test_support::config())]

    /// Requests up to the maximum (32 MiB): the rules, the count, and too
    /// little room.
    #[test]
    fn build_large_requests(segs in segs_strategy(MAX_BYTES as u32, MAX_BYTES), short in 1usize..=4) {
        let needed = count_model(&segs);
        prop_assert_eq!(prd::entries_needed(&segs), needed);
        let total: u64 = segs.iter().map(|s| s.1 as u64).sum();
        prop_assert!(needed <= prd::worst_case_entries(total, segs.len()));
        let mut out = empty_table(needed);
        let n = prd::build(&segs, &mut out).unwrap();
        prop_assert_eq!(n, needed);
        check_rules(&segs, &out)?;
        let room = needed.saturating_sub(short);
        let mut small = empty_table(room);
        prop_assert_eq!(prd::build(&segs, &mut small), Err(PrdError::TooManyEntries { needed, max: room }));
    }
}

#[test]
fn command_of_every_name_exists() {
    // The model names the commands by the standard's words; each exists.
    for w in ["READ", "WRITE"] {
        for k in ["DMA", "SECTOR(S)"] {
            for e in ["", " EXT"] {
                let name = format!("{w} {k}{e}");
                let found = (0..=255u8).filter_map(Command::from_opcode).any(|c| c.name() == name);
                assert!(found, "{name}");
            }
        }
    }
}

// ------------------------------------------------------------ identify

/// A string of printable ASCII with spaces around, up to `n` bytes.
fn ata_string(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![3 => 0x21u8..=0x7e, 1 => Just(b' ')], 0..=n)
        .prop_map(|b| String::from_utf8(b).unwrap())
}

proptest! {
    #![proptest_config(test_support::config())]

    /// Any 256 words: `parse` answers without panicking; when it accepts,
    /// the checks it documents hold.
    #[test]
    fn identify_any_words(mut words in proptest::collection::vec(any::<u16>(), 256), sign in any::<bool>()) {
        if sign {
            words[255] = words[255] & 0xff00 | 0xa5;
        }
        let w: [u16; 256] = words.try_into().unwrap();
        if let Ok(id) = crate::identify::parse(&w) {
            prop_assert_eq!(w[0] & 0x8000, 0);
            prop_assert!(w[49] & 0x200 != 0);
            prop_assert!(id.capacity() != 0);
            prop_assert!(w[255] & 0xff != 0xa5 || crate::identify::checksum(&w) == 0);
            prop_assert!(id.model().len() <= 40 && id.serial().len() <= 20 && id.firmware().len() <= 8);
        }
    }

    /// Strings and sizes written as the standard lays them out come back.
    #[test]
    fn identify_round_trip(
        model in ata_string(40), serial in ata_string(20), firmware in ata_string(8),
        lba28 in 0u32..1 << 28, lba48 in any::<u64>(), has48 in any::<bool>(), udma in any::<u8>(),
    ) {
        let mut w = [0u16; 256];
        let put = |w: &mut [u16; 256], from: usize, len: usize, s: &str| {
            let mut b = s.as_bytes().to_vec();
            b.resize(len, b' ');
            for i in 0..len / 2 {
                w[from + i] = u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
            }
        };
        put(&mut w, 27, 40, &model);
        put(&mut w, 10, 20, &serial);
        put(&mut w, 23, 8, &firmware);
        w[0] = 0x0040;
        w[49] = 0x0300;
        w[53] = 0x0004;
        w[60] = lba28 as u16;
        w[61] = (lba28 >> 16) as u16;
        w[83] = 0x4000 | if has48 { 0x0400 } else { 0 };
        w[88] = udma as u16;
        for i in 0..4 {
            w[100 + i] = (lba48 >> (16 * i)) as u16;
        }
        let want = if has48 && lba48 != 0 { lba48 } else { lba28 as u64 };
        match crate::identify::parse(&w) {
            Ok(id) => {
                prop_assert_eq!(id.model(), model.trim());
                prop_assert_eq!(id.serial(), serial.trim());
                prop_assert_eq!(id.firmware(), firmware.trim());
                prop_assert_eq!(id.capacity(), want);
                prop_assert_eq!(id.lba48, has48);
                prop_assert_eq!(id.udma_modes, udma);
            }
            Err(e) => {
                prop_assert_eq!(want, 0);
                prop_assert_eq!(e, crate::identify::IdentifyError::ZeroCapacity);
            }
        }
    }
}
