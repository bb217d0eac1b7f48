//! Structure-aware fuzz target: a valid HWRPB from `hwrpb::builder` (QEMU
//! or SRM style, 1-4 CPUs, QEMU's clusters or a list of up to 6 chosen by
//! the input, which may be unsorted or overlapping), then one named field
//! (sometimes two) changed to a boundary value, a flipped bit, a nearby
//! value or raw input bytes, the header checksum re-fixed (7 times in 8),
//! and `Hwrpb::inspect` run for a CPU 0-4 with every invariant checked
//! (`check_inspection`). Reaches the table and cluster checks far more
//! often than random bytes do.
//!
//! Run from `crates/hwrpb`: `cargo fuzz run mutate`.

#![no_main]

use hwrpb::MemCluster;
use hwrpb::builder::{HwrpbBuilder, check_inspection, fix_checksum, read_u64, write_u64};
use hwrpb::layout::{cluster, crb, ctb, dsr, header, mddt, slot};
use libfuzzer_sys::fuzz_target;

/// Reads the input front to back; zeros once it runs out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }
}

const INTERESTING: [u64; 16] = [
    0,
    1,
    7,
    8,
    0x140,
    0x270,
    0x1ff8,
    0x2000,
    1 << 20,
    1 << 32,
    1 << 40,
    1 << 51,
    1 << 63,
    u64::MAX - 7,
    u64::MAX,
    0xffff_fc00_0000_0000,
];

fuzz_target!(|data: &[u8]| {
    let mut r = Reader(data);
    let mem = (u64::from(r.u8() % 64) + 1) << 24; // 16 MiB..1 GiB
    let cpus = u64::from(r.u8() % 4) + 1;
    let mut b = HwrpbBuilder::qemu(mem).cpus(cpus);
    if r.u8() & 1 == 1 {
        b = b.srm_style(b"AlphaServer DS10 466 MHz");
    }
    let n = r.u8() % 7;
    if n > 0 {
        b.clusters = (0..n)
            .map(|_| {
                let start = u64::from(r.u16()) * 8;
                let pages = u64::from(r.u16());
                MemCluster::new(start, pages, u64::from(r.u8() % 4))
            })
            .collect();
    }
    let l = b.layout();
    let mut img = b.build();

    // The fields worth changing, by offset.
    let mut fields: Vec<usize> = (0..header::SIZE_OF).step_by(8).collect();
    for cpu in 0..cpus as usize {
        let s = l.processors + cpu * slot::LINUX_SIZE;
        fields.extend([s + slot::FLAGS, s + slot::PAL_REVISION, s + slot::TYPE]);
    }
    fields.extend([l.mddt + mddt::CHKSUM, l.mddt + mddt::NUMCLUSTERS]);
    for i in 0..b.clusters.len() {
        let c = l.mddt + mddt::CLUSTERS + i * cluster::SIZE_OF;
        fields.extend([c + cluster::START_PFN, c + cluster::NUMPAGES, c + cluster::USAGE]);
    }
    if l.ctb != 0 {
        fields.extend([l.ctb + ctb::TYPE, l.ctb + ctb::LEN]);
    }
    if l.crb != 0 {
        fields.extend([
            l.crb + crb::DISPATCH_VA,
            l.crb + crb::MAP_ENTRIES,
            l.crb + crb::MAP_PAGES,
            l.crb + crb::MAP + crb::MAP_COUNT,
        ]);
    }
    if l.dsr != 0 {
        fields.extend([l.dsr + dsr::SMM, l.dsr + dsr::SYSNAME_OFF, l.dsr + dsr::SIZE_OF]);
    }

    let edits = if r.u8() % 4 == 0 { 2 } else { 1 };
    for _ in 0..edits {
        let at = fields[usize::from(r.u16()) % fields.len()];
        let old = read_u64(&img, at);
        let value = match r.u8() % 5 {
            0 => INTERESTING[usize::from(r.u8()) % INTERESTING.len()],
            1 => old ^ (1u64 << (r.u8() % 64)),
            2 => old.wrapping_add(u64::from(r.u8())).wrapping_sub(128),
            3 => old.wrapping_mul(u64::from(r.u8() % 4) + 2),
            _ => r.u64(),
        };
        write_u64(&mut img, at, value);
    }
    if r.u8() % 8 != 0 {
        fix_checksum(&mut img);
    }
    let cpu = u64::from(r.u8() % 5);
    let _ = check_inspection(&img, cpu);
    // What the kernel reads: `readable_size` bytes from the start.
    if let Ok(len) = hwrpb::readable_size(&img) {
        let _ = check_inspection(&img[..len.min(img.len())], cpu);
    }
});
