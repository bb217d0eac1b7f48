//! What [`crate::Hwrpb::inspect`] found wrong with an HWRPB it still
//! accepted: problems the kernel only reports (warnings) and problems with
//! something the kernel needs, which it does without (errors).
//!
//! The split, and why:
//!
//! | the kernel needs (an [`Severity::Error`] when broken) | the kernel only reports (a [`Severity::Warning`]) |
//! |---|---|
//! | the header: magic, size, `pagesize`, `phys_addr`, `pa_bits` (broken: no HWRPB at all, a hard [`HwrpbError`]) | the header checksum |
//! | the memory data descriptor table and its clusters (broken: no memory map) | clusters out of order (sorted), overlapping (clipped, the overlap reserved), must-be-zero `usage` bits |
//! | the per-CPU slot of the CPU it runs on (broken: CPU type unknown) | the other per-CPU slots, `cpuid` out of range or not this CPU |
//! | `cycle_freq` (implausible: a default is assumed) | the CTBs, the CRB's map entries, the DSR and its name (broken: ignored) |

use core::fmt;

use crate::error::HwrpbError;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Something the kernel only reports; boot goes on as if it were fine.
    Warning,
    /// Something the kernel needs is unusable; the kernel goes without it.
    Error,
}

/// Cycle counter frequencies outside this range are implausible for any
/// Alpha (the fastest ran at 1.3 GHz; QEMU says 250 MHz): the kernel's
/// sanity bound.
pub const CYCLE_FREQ_PLAUSIBLE: core::ops::RangeInclusive<u64> = 1_000_000..=10_000_000_000;

/// One problem in an HWRPB that [`crate::Hwrpb::inspect`] accepted.
///
/// `repr(u8)`: it wraps other enums ([`HwrpbError`], which wraps
/// [`Table`]), the nesting the kernel's GCC backend miscompiles without an
/// explicit tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[non_exhaustive]
pub enum Finding {
    /// Warning: `chksum` does not match the sum of the header's quadwords.
    ChecksumMismatch {
        /// The value stored in `chksum` (0x120).
        stored: u64,
        /// The sum of the 36 quadwords at 0x000..0x120.
        computed: u64,
    },
    /// Warning: `cpuid` (the primary CPU) names no per-CPU slot.
    PrimaryCpuOutOfRange {
        /// `cpuid` (0x20).
        cpu_id: u64,
        /// `nr_processors` (0x90).
        nr_processors: u64,
        /// The CPU the kernel runs on (WHAMI), whose slot it uses instead.
        running: u64,
    },
    /// Warning: `cpuid` names another CPU than the one the kernel runs on.
    PrimaryCpuNotThisCpu {
        /// `cpuid` (0x20).
        cpu_id: u64,
        /// The CPU the kernel runs on (WHAMI).
        running: u64,
    },
    /// Warning: the per-CPU slot table as a whole (the other CPUs' slots)
    /// is unusable; only the running CPU's slot is used.
    OtherSlotsIgnored {
        /// Why.
        error: HwrpbError,
    },
    /// Warning: a table the kernel only reports (CTBs, CRB, DSR) is
    /// ignored.
    TableIgnored {
        /// Why (names the table).
        error: HwrpbError,
    },
    /// Warning: the CRB's virtual-to-physical map entries are ignored (the
    /// CRB's dispatch and fixup descriptors are kept).
    CrbMapIgnored {
        /// `map_entries` as declared.
        map_entries: u64,
        /// Why.
        error: HwrpbError,
    },
    /// Warning: the DSR's system name is ignored (the DSR is kept).
    DsrNameIgnored {
        /// Why.
        error: HwrpbError,
    },
    /// Warning: the memory clusters are not sorted by `start_pfn`; the
    /// memory map is read in sorted order.
    ClustersSorted {
        /// Index of the first cluster that starts below its predecessor.
        index: u64,
        /// Its `start_pfn`.
        start_pfn: u64,
        /// The predecessor's `start_pfn`.
        previous_start_pfn: u64,
        /// How many clusters start below their predecessor in the table.
        descents: u64,
    },
    /// Warning: two clusters describe the same pages. The memory map
    /// counts them once (the later cluster, in sorted order, is clipped)
    /// and lists the range as an overlap, which the kernel reserves.
    ClustersOverlap {
        /// Index (in the table) of the cluster reaching furthest so far.
        first: u64,
        /// Index of the cluster that starts inside it.
        second: u64,
        /// First doubly described page frame.
        start_pfn: u64,
        /// One past the last doubly described page frame.
        end_pfn: u64,
    },
    /// Warning: a cluster's `usage` has bits other than 0 and 1 set (the
    /// BSDs' `MDDT_mbz`). Linux ignores them; the memory map treats the
    /// cluster as not for the OS, as NetBSD does.
    ClusterUsageReservedBits {
        /// Index of the cluster.
        index: u64,
        /// Its `usage`.
        usage: u64,
    },
    /// Error: the memory data descriptor table is unusable: no memory map.
    NoMemoryMap {
        /// Why.
        error: HwrpbError,
    },
    /// Error: the running CPU's per-CPU slot is unusable.
    NoCpuSlot {
        /// The CPU (WHAMI).
        cpu: u64,
        /// Why.
        error: HwrpbError,
    },
    /// Error: `cycle_freq` is outside [`CYCLE_FREQ_PLAUSIBLE`].
    CycleFreqImplausible {
        /// `cycle_freq` (0x70).
        cycle_freq: u64,
    },
}

impl Finding {
    /// Whether the kernel can ignore it ([`Severity::Warning`]) or loses
    /// something it needs ([`Severity::Error`]).
    pub const fn severity(&self) -> Severity {
        match self {
            Finding::NoMemoryMap { .. }
            | Finding::NoCpuSlot { .. }
            | Finding::CycleFreqImplausible { .. } => Severity::Error,
            _ => Severity::Warning,
        }
    }

    /// The error [`crate::Hwrpb::parse`] (the strict parser) reports for
    /// this finding; `None` for findings it does not check (`cycle_freq`,
    /// `usage` bits, `cpuid` naming another CPU).
    pub const fn strict_error(&self) -> Option<HwrpbError> {
        match *self {
            Finding::ChecksumMismatch { stored, computed } => {
                Some(HwrpbError::ChecksumMismatch { stored, computed })
            }
            Finding::PrimaryCpuOutOfRange {
                cpu_id,
                nr_processors,
                ..
            } => Some(HwrpbError::PrimaryCpuOutOfRange {
                cpu_id,
                nr_processors,
            }),
            Finding::OtherSlotsIgnored { error }
            | Finding::TableIgnored { error }
            | Finding::CrbMapIgnored { error, .. }
            | Finding::DsrNameIgnored { error }
            | Finding::NoMemoryMap { error }
            | Finding::NoCpuSlot { error, .. } => Some(error),
            Finding::ClustersSorted {
                index,
                start_pfn,
                previous_start_pfn,
                ..
            } => Some(HwrpbError::ClustersOutOfOrder {
                index,
                start_pfn,
                previous_start_pfn,
            }),
            Finding::ClustersOverlap {
                second,
                start_pfn,
                end_pfn,
                ..
            } => Some(HwrpbError::ClustersOverlap {
                index: second,
                start_pfn,
                previous_end_pfn: end_pfn,
            }),
            Finding::PrimaryCpuNotThisCpu { .. }
            | Finding::ClusterUsageReservedBits { .. }
            | Finding::CycleFreqImplausible { .. } => None,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Finding::ChecksumMismatch { stored, computed } => write!(
                f,
                "HWRPB checksum (chksum at 0x120) is {stored:#018x}, but the header's quadwords \
                 sum to {computed:#018x}: reported only, every table is checked on its own"
            ),
            Finding::PrimaryCpuOutOfRange {
                cpu_id,
                nr_processors,
                running,
            } => write!(
                f,
                "HWRPB cpuid (primary CPU, 0x20) is {cpu_id}, but nr_processors is \
                 {nr_processors}: ignored, this CPU's slot (WHAMI {running}) is used"
            ),
            Finding::PrimaryCpuNotThisCpu { cpu_id, running } => write!(
                f,
                "HWRPB cpuid (primary CPU, 0x20) is {cpu_id}, but the kernel runs on CPU \
                 {running} (WHAMI): this CPU's slot is used"
            ),
            Finding::OtherSlotsIgnored { error } => write!(
                f,
                "{error}: the other CPUs' slots are ignored, only this CPU's slot is used"
            ),
            Finding::TableIgnored { error } => write!(f, "{error}: that table is ignored"),
            Finding::CrbMapIgnored { map_entries, error } => write!(
                f,
                "{error} (map_entries {map_entries:#x}): the CRB's map entries are ignored, its \
                 dispatch and fixup descriptors are kept"
            ),
            Finding::DsrNameIgnored { error } => {
                write!(f, "{error}: the system name is ignored, the DSR is kept")
            }
            Finding::ClustersSorted {
                index,
                start_pfn,
                previous_start_pfn,
                descents,
            } => write!(
                f,
                "HWRPB memory cluster {index} starts at pfn {start_pfn:#x}, below cluster {}'s \
                 start pfn {previous_start_pfn:#x} ({descents} such descent(s) in the table): the \
                 clusters are used sorted by start pfn",
                index.saturating_sub(1)
            ),
            Finding::ClustersOverlap {
                first,
                second,
                start_pfn,
                end_pfn,
            } => write!(
                f,
                "HWRPB memory clusters {first} and {second} both describe pfn \
                 {start_pfn:#x}-{end_pfn:#x} ({} pages): counted once, and reserved",
                end_pfn.saturating_sub(start_pfn)
            ),
            Finding::ClusterUsageReservedBits { index, usage } => write!(
                f,
                "HWRPB memory cluster {index} has usage {usage:#x}: bits {:#x} must be zero; the \
                 cluster is treated as not for the OS",
                usage & !crate::cluster_usage::NOT_FOR_OS
            ),
            Finding::NoMemoryMap { error } => write!(f, "{error}: no memory map"),
            Finding::NoCpuSlot { cpu, error } => {
                write!(f, "{error}: no per-CPU slot for this CPU (WHAMI {cpu})")
            }
            Finding::CycleFreqImplausible { cycle_freq } => write!(
                f,
                "HWRPB cycle_freq (0x70) is {cycle_freq} Hz, outside the plausible {}..={} Hz",
                CYCLE_FREQ_PLAUSIBLE.start(),
                CYCLE_FREQ_PLAUSIBLE.end()
            ),
        }
    }
}

/// Most findings kept; more are counted in [`Findings::dropped`].
pub const MAX_FINDINGS: usize = 16;

/// The findings of one [`crate::Hwrpb::inspect`], in the order they were
/// made. Fixed capacity (no allocation); further findings are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Findings {
    items: [Finding; MAX_FINDINGS],
    len: usize,
    dropped: usize,
}

impl Default for Findings {
    fn default() -> Self {
        Findings::new()
    }
}

impl Findings {
    /// No findings.
    pub const fn new() -> Self {
        Findings {
            items: [Finding::ChecksumMismatch {
                stored: 0,
                computed: 0,
            }; MAX_FINDINGS],
            len: 0,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, finding: Finding) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = finding;
                self.len = self.len.saturating_add(1);
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// The findings kept, in order.
    pub fn as_slice(&self) -> &[Finding] {
        self.items.get(..self.len).unwrap_or(&[])
    }

    /// Iterate over the findings kept.
    pub fn iter(&self) -> core::slice::Iter<'_, Finding> {
        self.as_slice().iter()
    }

    /// Number of findings kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No findings at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.dropped == 0
    }

    /// Findings made but not kept (beyond [`MAX_FINDINGS`]).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Number of findings of `severity` kept.
    pub fn count(&self, severity: Severity) -> usize {
        self.iter().filter(|f| f.severity() == severity).count()
    }

    /// The first finding the strict parser would reject the block for.
    pub fn first_strict_error(&self) -> Option<HwrpbError> {
        self.iter().find_map(Finding::strict_error)
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = core::slice::Iter<'a, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
