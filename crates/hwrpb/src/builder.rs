//! Build HWRPB byte images for tests, fuzzing seeds and host-side kernel
//! tests (feature `builder`, always on under `cfg(test)`).
//!
//! [`HwrpbBuilder::qemu`] lays the block out exactly like QEMU's PALcode
//! (`init.c`, `struct hwrpb_combine`):
//!
//! ```text
//! 0x000  struct hwrpb_struct       header, size = 0x140 (header only!)
//! 0x140  struct percpu_struct[4]   4 slots of 0x270 reserved, nr_processors = cpus
//! 0xb00  struct memdesc_struct     MDDT, 2 clusters
//! 0xb18  struct memclust_struct[2] [0, pal_pages) console, [pal_pages, mem) free
//! 0xb88  struct ctb_struct         one CTB, type 2 (serial), ctb_nr left 0
//! 0xc98  struct crb_struct         CRB with one map entry (the HWRPB page)
//! 0xce0  struct procdesc_struct x2 dispatch and fixup descriptors
//! ```
//!
//! and pads the image to a whole 8 KiB page, the page QEMU maps at
//! `0x10000000`. Fields can be changed before [`HwrpbBuilder::build`], and
//! [`write_u64`] + [`fix_checksum`] corrupt single fields afterwards.

#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use alloc::vec;
use alloc::vec::Vec;

use crate::layout::{PAGE_SIZE, cluster, crb, ctb, dsr, header, mddt, procdesc, slot};
use crate::names::{cpu_type, sys_type};
use crate::{Hwrpb, HwrpbError, Inspection, MagicOrder, MemCluster, header_checksum, slot_flags};

/// KSEG base: QEMU's PALcode runs at `0xfffffc0000000000 + pa` and writes
/// such addresses into the CRB.
pub const KSEG_BASE: u64 = 0xffff_fc00_0000_0000;

/// `VPTPTR` in QEMU's `init.c`: the virtual page table base.
pub const QEMU_VPTB: u64 = 0xffff_fffe_0000_0000;

/// Number of per-CPU slots QEMU's `struct hwrpb_combine` reserves.
pub const QEMU_CPU_SLOTS: u64 = 4;

/// CTB type 2, "printer port" (serial console), what QEMU writes without
/// VGA.
pub const CTB_PRINTERPORT: u64 = 2;

/// Overwrite the little-endian quadword at `offset`.
///
/// # Panics
/// If `offset + 8 > bytes.len()` (test helper).
pub fn write_u64(bytes: &mut [u8], offset: usize, value: u64) {
    bytes[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
}

/// Read the little-endian quadword at `offset`.
///
/// # Panics
/// If `offset + 8 > bytes.len()` (test helper).
pub fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

/// Recompute and store the header checksum (Linux
/// `hwrpb_update_checksum`), so a corrupted field is reported as itself
/// rather than as a checksum mismatch.
///
/// # Panics
/// If `bytes` is shorter than the header (test helper).
pub fn fix_checksum(bytes: &mut [u8]) {
    let sum = header_checksum(bytes).expect("image shorter than the HWRPB header");
    write_u64(bytes, header::CHKSUM, sum);
}

/// The two clusters QEMU's PALcode describes for `memory_bytes` of RAM:
/// `[0, console_pages)` with `usage = 1` (PALcode, its page tables and the
/// HWRPB itself) and `[console_pages, memory_bytes / 8K)` with `usage = 0`.
pub fn qemu_clusters(memory_bytes: u64, console_pages: u64) -> Vec<MemCluster> {
    let total = memory_bytes / PAGE_SIZE;
    vec![
        MemCluster::new(0, console_pages, 1),
        MemCluster::new(console_pages, total.saturating_sub(console_pages), 0),
    ]
}

/// Offsets of the structures in a built image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuiltLayout {
    /// `processor_offset`.
    pub processors: usize,
    /// `mddt_offset`.
    pub mddt: usize,
    /// `ctbt_offset` (0 if none).
    pub ctb: usize,
    /// `crb_offset` (0 if none).
    pub crb: usize,
    /// `dsr_offset` (0 if none).
    pub dsr: usize,
    /// Bytes actually used by structures (before page padding).
    pub used: usize,
}

/// Parameters of an HWRPB image. Public fields; start from
/// [`HwrpbBuilder::qemu`] and change what the test needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HwrpbBuilder {
    /// `phys_addr`.
    pub phys_addr: u64,
    /// Byte order of the magic.
    pub magic: MagicOrder,
    /// `revision` (QEMU: 0).
    pub revision: u64,
    /// `cpuid` (QEMU: 0).
    pub primary_cpu_id: u64,
    /// `pagesize`.
    pub page_size: u64,
    /// `pa_bits` quadword.
    pub pa_bits: u64,
    /// `max_asn`.
    pub max_asn: u64,
    /// `ssn` (16 bytes).
    pub ssn: [u8; 16],
    /// `sys_type`.
    pub sys_type: u64,
    /// `sys_variation`.
    pub sys_variation: u64,
    /// `sys_revision`.
    pub sys_revision: u64,
    /// `intr_freq` (Hz * 4096).
    pub intr_freq: u64,
    /// `cycle_freq` (Hz).
    pub cycle_freq: u64,
    /// `vptb`.
    pub vptb: u64,
    /// `nr_processors`.
    pub cpus: u64,
    /// Slots reserved in the image (at least `cpus`; QEMU: 4).
    pub reserved_cpu_slots: u64,
    /// `type` of every populated slot.
    pub cpu_type: u64,
    /// `flags` of every populated slot (QEMU: 0x1cc).
    pub cpu_flags: u64,
    /// `pal_revision` of every populated slot (QEMU: 0).
    pub pal_revision: u64,
    /// `processor_size` (QEMU: 0x270).
    pub processor_size: u64,
    /// The memory clusters, written as given (unsorted lists make invalid
    /// images on purpose).
    pub clusters: Vec<MemCluster>,
    /// Write a CTB (QEMU does).
    pub with_ctb: bool,
    /// Write a CRB (QEMU does).
    pub with_crb: bool,
    /// CRB map entries `(va, pa, count)`; `None` = QEMU's single entry
    /// mapping the HWRPB page.
    pub crb_map: Option<Vec<(u64, u64, u64)>>,
    /// Write a DSR with this system name (SRM does, for revision >= 5).
    pub dsr_sysname: Option<Vec<u8>>,
    /// Set `size` to the whole image (SRM style) instead of the header only
    /// (QEMU style).
    pub size_covers_tables: bool,
}

impl HwrpbBuilder {
    /// An HWRPB as QEMU's PALcode builds it for `memory_bytes` of RAM and
    /// one EV67 CPU on a Clipper (ES40) at 250 MHz.
    ///
    /// `console_pages` (PALcode image + its page tables, rounded up to
    /// pages) and `phys_addr` depend on the PALcode build; the defaults
    /// here (32 pages, HWRPB at 0x10000, inside the console cluster) are
    /// illustrative.
    pub fn qemu(memory_bytes: u64) -> Self {
        let mut ssn = [0u8; 16];
        ssn[..4].copy_from_slice(b"QEMU");
        HwrpbBuilder {
            phys_addr: 0x1_0000,
            magic: MagicOrder::Reversed,
            revision: 0,
            primary_cpu_id: 0,
            page_size: PAGE_SIZE,
            pa_bits: 40,
            max_asn: 255,
            ssn,
            sys_type: sys_type::TSUNAMI,
            sys_variation: sys_type::variation_for_member(5),
            sys_revision: 0,
            intr_freq: 1024 * 4096,
            cycle_freq: 250_000_000,
            vptb: QEMU_VPTB,
            cpus: 1,
            reserved_cpu_slots: QEMU_CPU_SLOTS,
            cpu_type: cpu_type::EV67,
            cpu_flags: slot_flags::USABLE,
            pal_revision: 0,
            processor_size: slot::LINUX_SIZE as u64,
            clusters: qemu_clusters(memory_bytes, 32),
            with_ctb: true,
            with_crb: true,
            crb_map: None,
            dsr_sysname: None,
            size_covers_tables: false,
        }
    }

    /// Set the number of CPUs.
    pub fn cpus(mut self, cpus: u64) -> Self {
        self.cpus = cpus;
        self
    }

    /// Set the CPU type of every slot.
    pub fn cpu_type(mut self, cpu_type: u64) -> Self {
        self.cpu_type = cpu_type;
        self
    }

    /// Set the cycle counter frequency.
    pub fn cycle_freq(mut self, hz: u64) -> Self {
        self.cycle_freq = hz;
        self
    }

    /// Replace the memory clusters.
    pub fn clusters(mut self, clusters: Vec<MemCluster>) -> Self {
        self.clusters = clusters;
        self
    }

    /// SRM style: revision 5+ with a DSR naming the platform, and `size`
    /// covering every table.
    pub fn srm_style(mut self, sysname: &[u8]) -> Self {
        self.revision = 9;
        self.magic = MagicOrder::Ascii;
        self.dsr_sysname = Some(sysname.to_vec());
        self.size_covers_tables = true;
        self
    }

    /// Where each structure goes.
    pub fn layout(&self) -> BuiltLayout {
        let slots = self.reserved_cpu_slots.max(self.cpus) as usize;
        let processors = header::SIZE_OF;
        let mddt_at = processors + slots * self.processor_size as usize;
        let mut at = mddt_at + mddt::CLUSTERS + self.clusters.len() * cluster::SIZE_OF;
        let ctb_at = if self.with_ctb {
            let p = at;
            at += ctb::QEMU_SIZE;
            p
        } else {
            0
        };
        let crb_at = if self.with_crb {
            let p = at;
            let entries = self.crb_map.as_ref().map_or(1, Vec::len);
            // QEMU's crb_struct has map[1], so it is 0x48 bytes even with
            // zero entries; then the two procedure descriptors.
            at += crb::MAP + entries.max(1) * crb::MAP_ENTRY_SIZE + 2 * procdesc::SIZE_OF;
            p
        } else {
            0
        };
        let dsr_at = if let Some(name) = &self.dsr_sysname {
            let p = at;
            at += dsr::SIZE_OF + 8 + name.len().next_multiple_of(8);
            p
        } else {
            0
        };
        BuiltLayout {
            processors,
            mddt: mddt_at,
            ctb: ctb_at,
            crb: crb_at,
            dsr: dsr_at,
            used: at,
        }
    }

    /// Build the image: all structures, correct checksum, padded to a whole
    /// number of 8 KiB pages.
    pub fn build(&self) -> Vec<u8> {
        let l = self.layout();
        let len = l.used.next_multiple_of(PAGE_SIZE as usize);
        let mut b = vec![0u8; len];
        let w = |b: &mut Vec<u8>, off: usize, v: u64| write_u64(b, off, v);

        // Header.
        w(&mut b, header::PHYS_ADDR, self.phys_addr);
        w(&mut b, header::ID, self.magic.value());
        w(&mut b, header::REVISION, self.revision);
        let size = if self.size_covers_tables {
            l.used as u64
        } else {
            header::SIZE_OF as u64
        };
        w(&mut b, header::SIZE, size);
        w(&mut b, header::CPUID, self.primary_cpu_id);
        w(&mut b, header::PAGESIZE, self.page_size);
        w(&mut b, header::PA_BITS, self.pa_bits);
        w(&mut b, header::MAX_ASN, self.max_asn);
        b[header::SSN..header::SSN + 16].copy_from_slice(&self.ssn);
        w(&mut b, header::SYS_TYPE, self.sys_type);
        w(&mut b, header::SYS_VARIATION, self.sys_variation);
        w(&mut b, header::SYS_REVISION, self.sys_revision);
        w(&mut b, header::INTR_FREQ, self.intr_freq);
        w(&mut b, header::CYCLE_FREQ, self.cycle_freq);
        w(&mut b, header::VPTB, self.vptb);
        w(&mut b, header::NR_PROCESSORS, self.cpus);
        w(&mut b, header::PROCESSOR_SIZE, self.processor_size);
        w(&mut b, header::PROCESSOR_OFFSET, l.processors as u64);
        w(&mut b, header::MDDT_OFFSET, l.mddt as u64);

        // Per-CPU slots.
        for i in 0..self.cpus as usize {
            let s = l.processors + i * self.processor_size as usize;
            w(&mut b, s + slot::FLAGS, self.cpu_flags);
            w(&mut b, s + slot::PAL_REVISION, self.pal_revision);
            w(&mut b, s + slot::TYPE, self.cpu_type);
        }

        // MDDT and clusters (chksum and optional_pa stay 0, as in QEMU).
        w(
            &mut b,
            l.mddt + mddt::NUMCLUSTERS,
            self.clusters.len() as u64,
        );
        for (i, c) in self.clusters.iter().enumerate() {
            let at = l.mddt + mddt::CLUSTERS + i * cluster::SIZE_OF;
            w(&mut b, at + cluster::START_PFN, c.start_pfn);
            w(&mut b, at + cluster::NUMPAGES, c.numpages);
            w(&mut b, at + cluster::NUMTESTED, c.numtested);
            w(&mut b, at + cluster::BITMAP_VA, c.bitmap_va);
            w(&mut b, at + cluster::BITMAP_PA, c.bitmap_pa);
            w(&mut b, at + cluster::BITMAP_CHKSUM, c.bitmap_chksum);
            w(&mut b, at + cluster::USAGE, c.usage);
        }

        // CTB: serial console, ctb_nr left 0 like QEMU.
        if self.with_ctb {
            w(&mut b, header::CTBT_OFFSET, l.ctb as u64);
            w(&mut b, header::CTB_SIZE, ctb::QEMU_SIZE as u64);
            w(&mut b, l.ctb + ctb::TYPE, CTB_PRINTERPORT);
            // len = sizeof(ctb) - offsetof(ctb_struct, ipl)
            w(&mut b, l.ctb + ctb::LEN, (ctb::QEMU_SIZE - 0x20) as u64);
            w(&mut b, l.ctb + ctb::TERM_TYPE, CTB_PRINTERPORT);
        }

        // CRB: procedure descriptors after the map; KSEG virtual addresses.
        if self.with_crb {
            let kseg = |off: usize| KSEG_BASE + self.phys_addr + off as u64;
            let pa = |off: usize| self.phys_addr + off as u64;
            let map = self
                .crb_map
                .clone()
                .unwrap_or_else(|| vec![(KSEG_BASE + self.phys_addr, self.phys_addr, 1)]);
            let map_slots = map.len().max(1);
            let dispatch = l.crb + crb::MAP + map_slots * crb::MAP_ENTRY_SIZE;
            let fixup = dispatch + procdesc::SIZE_OF;
            w(&mut b, header::CRB_OFFSET, l.crb as u64);
            w(&mut b, l.crb + crb::DISPATCH_VA, kseg(dispatch));
            w(&mut b, l.crb + crb::DISPATCH_PA, pa(dispatch));
            w(&mut b, l.crb + crb::FIXUP_VA, kseg(fixup));
            w(&mut b, l.crb + crb::FIXUP_PA, pa(fixup));
            w(&mut b, l.crb + crb::MAP_ENTRIES, map.len() as u64);
            w(
                &mut b,
                l.crb + crb::MAP_PAGES,
                map.iter().fold(0u64, |s, e| s.wrapping_add(e.2)),
            );
            for (i, (va, p, count)) in map.iter().enumerate() {
                let e = l.crb + crb::MAP + i * crb::MAP_ENTRY_SIZE;
                w(&mut b, e + crb::MAP_VA, *va);
                w(&mut b, e + crb::MAP_PA, *p);
                w(&mut b, e + crb::MAP_COUNT, *count);
            }
        }

        // DSR: sysname right after the fixed part.
        if let Some(name) = &self.dsr_sysname {
            w(&mut b, header::DSR_OFFSET, l.dsr as u64);
            w(&mut b, l.dsr + dsr::SYSNAME_OFF, dsr::SIZE_OF as u64);
            let count_at = l.dsr + dsr::SIZE_OF;
            w(&mut b, count_at, name.len() as u64);
            b[count_at + 8..count_at + 8 + name.len()].copy_from_slice(name);
        }

        fix_checksum(&mut b);
        b
    }
}

/// The seed corpus for the `parse` fuzz target: named valid images and
/// single-field corruptions of them (checksum re-fixed, so each one reaches
/// the check it targets). Names start with `valid-` or `invalid-`; the
/// corpus regression test relies on that.
pub fn seed_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let qemu = HwrpbBuilder::qemu(128 << 20).build();
    out.push(("valid-qemu-128m-ev67", qemu.clone()));
    out.push((
        "valid-qemu-1g-4cpu-ev68cb",
        HwrpbBuilder::qemu(1 << 30)
            .cpus(4)
            .cpu_type(cpu_type::EV68CB)
            .build(),
    ));
    out.push((
        "valid-srm-ds10-dsr",
        HwrpbBuilder {
            sys_variation: sys_type::variation_for_member(7),
            cpu_type: cpu_type::EV6,
            ..HwrpbBuilder::qemu(256 << 20)
        }
        .srm_style(b"AlphaServer DS10 466 MHz")
        .build(),
    ));
    out.push((
        "valid-holes-nvram",
        HwrpbBuilder::qemu(0)
            .clusters(vec![
                MemCluster::new(0, 64, 1),
                MemCluster::new(64, 8000, 0),
                MemCluster::new(9000, 100, 2),
                MemCluster::new(1 << 20, 1 << 16, 0),
            ])
            .build(),
    ));

    let corrupt = |name: &'static str, offset: usize, value: u64, fix: bool| {
        let mut img = qemu.clone();
        write_u64(&mut img, offset, value);
        if fix {
            fix_checksum(&mut img);
        }
        (name, img)
    };
    let l = HwrpbBuilder::qemu(128 << 20).layout();
    let c1 = l.mddt + mddt::CLUSTERS + cluster::SIZE_OF;
    out.push(corrupt(
        "invalid-bad-magic",
        header::ID,
        0x4857_5250_4200_0001,
        true,
    ));
    out.push(corrupt("invalid-checksum", header::CYCLE_FREQ, 1, false));
    out.push(corrupt("invalid-page-size", header::PAGESIZE, 4096, true));
    out.push(corrupt("invalid-size-huge", header::SIZE, u64::MAX, true));
    out.push(corrupt("invalid-no-cpus", header::NR_PROCESSORS, 0, true));
    out.push(corrupt("invalid-primary-cpu", header::CPUID, 11, true));
    out.push(corrupt(
        "invalid-slot-count-overflow",
        header::NR_PROCESSORS,
        1 << 60,
        true,
    ));
    out.push(corrupt(
        "invalid-mddt-out-of-bounds",
        header::MDDT_OFFSET,
        0x1ff8,
        true,
    ));
    out.push(corrupt(
        "invalid-ctb-overlaps-crb",
        header::CTBT_OFFSET,
        (l.crb - 8) as u64,
        true,
    ));
    out.push(corrupt(
        "invalid-ctb-overlaps-header",
        header::CTBT_OFFSET,
        0x100,
        true,
    ));
    out.push(corrupt(
        "invalid-no-clusters",
        l.mddt + mddt::NUMCLUSTERS,
        0,
        true,
    ));
    out.push(corrupt(
        "invalid-many-clusters",
        l.mddt + mddt::NUMCLUSTERS,
        u64::MAX,
        true,
    ));
    out.push(corrupt(
        "invalid-clusters-overlap",
        c1 + cluster::START_PFN,
        31,
        true,
    ));
    let c0 = l.mddt + mddt::CLUSTERS;
    out.push(corrupt(
        "invalid-clusters-unsorted",
        c0 + cluster::START_PFN,
        100,
        true,
    ));
    out.push(corrupt(
        "invalid-cluster-end-overflow",
        c1 + cluster::NUMPAGES,
        u64::MAX,
        true,
    ));
    out.push(corrupt(
        "invalid-crb-map-entries",
        l.crb + crb::MAP_ENTRIES,
        1 << 40,
        true,
    ));
    out.push(("invalid-truncated-header", qemu[..0x100].to_vec()));
    out.push(("invalid-empty", Vec::new()));
    out
}

/// [`Hwrpb::inspect`](crate::Hwrpb::inspect) for CPU `cpu`, and the
/// invariants it promises, panicking if one fails: the
/// memory map sorted, disjoint, covering exactly the union of the declared
/// clusters; every overlap inside two declared clusters; the iterators
/// consistent; the strict parser agreeing with the findings. What the
/// fuzz targets check too.
pub fn check_inspection(bytes: &[u8], cpu: u64) -> Result<Inspection<'_>, HwrpbError> {
    let i = Hwrpb::inspect(bytes, cpu)?;
    let rpb = i.hwrpb;
    let _ = alloc::format!("{rpb}");
    for f in &i.findings {
        let _ = (alloc::string::ToString::to_string(f), f.severity(), f.strict_error());
    }
    assert_eq!(rpb.running_cpu(), cpu);
    if let Some(p) = rpb.this_processor() {
        assert_eq!(p.index, cpu);
    }
    for (n, p) in rpb.processors().enumerate() {
        assert!(rpb.processor(p.index).is_some(), "slot {n}");
    }
    if let Some(crb) = rpb.crb() {
        let n = crb.map().count() as u64;
        assert!(n == crb.map_entries || n == 0);
    }
    let _ = (rpb.ctb().map(|c| c.term_type()), rpb.dsr().map(|d| d.sysname()));
    let _ = (rpb.system_name(), rpb.cpu_name(), rpb.usable_processor_count());
    match rpb.memory_map() {
        None => assert_eq!(rpb.memory_clusters().count(), 0),
        Some(m) => {
            let declared: alloc::vec::Vec<_> = m.mddt().clusters().collect();
            assert!(!declared.is_empty() && declared.len() as u64 <= crate::MAX_CLUSTERS);
            let kept: alloc::vec::Vec<_> = m.clusters().collect();
            for w in kept.windows(2) {
                assert!(w[0].cluster.end_pfn() <= w[1].cluster.start_pfn, "sorted, disjoint");
            }
            for k in &kept {
                assert!(k.cluster.numpages > 0);
                assert!(k.cluster.start_pfn >= k.declared.start_pfn);
                assert_eq!(k.cluster.end_pfn(), k.declared.end_pfn());
                assert_eq!(declared[k.index as usize], k.declared);
            }
            // Union of the declared clusters == union of the kept ones:
            // every declared page is in a kept cluster (checked at the
            // ends of each declared cluster and the kept boundaries).
            let covered = |pfn: u64| kept.iter().any(|k| pfn >= k.cluster.start_pfn && pfn < k.cluster.end_pfn());
            for d in declared.iter().filter(|d| d.numpages > 0) {
                assert!(covered(d.start_pfn) && covered(d.end_pfn() - 1), "{d:?} lost");
            }
            let total: u64 = kept.iter().map(|k| k.cluster.numpages * 8192).sum();
            assert_eq!(m.total_bytes(), total);
            assert!(m.available_bytes() <= total);
            for (n, o) in m.overlaps().enumerate() {
                assert!(o.start_pfn < o.end_pfn);
                let holds = |c: &MemCluster| o.start_pfn >= c.start_pfn && o.end_pfn <= c.end_pfn();
                assert!(holds(&declared[o.first as usize]) && holds(&declared[o.second as usize]), "{o:?}");
                // Quadratic per call: the first few are enough.
                if n < 4 {
                    assert!(m.is_doubly_described(o.start_pfn));
                }
            }
            if m.is_clean() {
                assert_eq!(kept.len(), declared.iter().filter(|d| d.numpages > 0).count());
            }
        }
    }
    // The strict parser rejects exactly when a finding it checks exists
    // (for the primary CPU as the running one).
    let cpuid = rpb.header().primary_cpu_id;
    if cpu == cpuid {
        match (Hwrpb::parse(bytes), i.findings.first_strict_error()) {
            (Ok(_), None) => {}
            (Err(e), Some(f)) => assert_eq!(e, f),
            (a, b) => panic!("strict {a:?} vs findings {b:?}"),
        }
    }
    Ok(i)
}

/// Reads the input front to back; zeros once it runs out.
struct FuzzReader<'a>(&'a [u8]);

impl FuzzReader<'_> {
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

const FUZZ_INTERESTING: [u64; 16] = [
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

/// The structure-aware fuzz target's input decoding (`fuzz/fuzz_targets/
/// mutate.rs`), here so that `cargo test` replays its corpus: a valid
/// image from the builder (QEMU or SRM style, 1-4 CPUs, QEMU's clusters or
/// up to 6 chosen by the input, possibly unsorted or overlapping), one
/// named field changed (two, 1 time in 4) to a boundary value, a flipped
/// bit, a nearby value, a multiple or raw input bytes, the checksum
/// re-fixed 7 times in 8. Returns the image and the CPU (0-4) to inspect
/// it for.
pub fn mutated_image(data: &[u8]) -> (Vec<u8>, u64) {

    let mut r = FuzzReader(data);
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
            0 => FUZZ_INTERESTING[usize::from(r.u8()) % FUZZ_INTERESTING.len()],
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
    (img, cpu)
}
