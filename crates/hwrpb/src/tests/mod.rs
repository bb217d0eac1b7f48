//! Tests: unit tests per error variant and for a QEMU-like image, property
//! tests, and the fuzz seed corpus as a regression suite.

mod corpus;
mod names;
mod props;
mod routing;
mod tolerant;
mod unit;

use crate::{Hwrpb, HwrpbError, Inspection, declared_size, readable_size};

/// `Hwrpb::inspect` with every invariant checked
/// ([`crate::builder::check_inspection`], shared with the fuzz targets).
pub(crate) fn inspect_all(bytes: &[u8], cpu: u64) -> Result<Inspection<'_>, HwrpbError> {
    crate::builder::check_inspection(bytes, cpu)
}

/// Feed `bytes` to every entry point and, if the HWRPB is accepted, walk
/// every iterator and check the invariants `parse` promises. This is what
/// the fuzz target does too.
pub(crate) fn exercise(bytes: &[u8]) -> Result<Hwrpb<'_>, HwrpbError> {
    let _ = declared_size(bytes);
    let _ = readable_size(bytes);
    let rpb = Hwrpb::parse(bytes)?;
    let h = rpb.header();

    let slots: Vec<_> = rpb.processors().collect();
    assert_eq!(slots.len() as u64, h.nr_processors);
    assert_eq!(rpb.processors().len(), slots.len());
    assert!(h.primary_cpu_id < h.nr_processors);
    let _ = rpb.primary_processor().type_name();
    for s in &slots {
        let _ = (s.serial_str(), s.pal_major(), s.is_usable());
    }

    let mddt = rpb.mddt().expect("parse guarantees an MDDT");
    let clusters: Vec<_> = rpb.memory_clusters().collect();
    assert_eq!(clusters.len() as u64, mddt.cluster_count);
    assert!(!clusters.is_empty());
    for w in clusters.windows(2) {
        assert!(w[0].start_pfn <= w[1].start_pfn, "clusters sorted");
    }
    // Non-empty clusters disjoint (an empty one describes no page).
    let full: Vec<_> = clusters.iter().filter(|c| c.numpages > 0).collect();
    for w in full.windows(2) {
        assert!(w[0].end_pfn() <= w[1].start_pfn, "clusters disjoint");
    }
    for c in &clusters {
        assert!(c.start_pfn.checked_add(c.numpages).is_some());
        assert!(c.end_pfn().checked_mul(crate::layout::PAGE_SIZE).is_some());
        if h.pa_bits < 64 {
            assert!(c.end_addr() <= 1u64 << h.pa_bits);
        }
    }
    let total: u64 = clusters.iter().map(|c| c.size_bytes()).sum();
    assert_eq!(rpb.total_memory_bytes(), total);
    assert!(rpb.available_memory_bytes() <= total);

    if let Some(crb) = rpb.crb() {
        assert_eq!(crb.map().count() as u64, crb.map_entries);
    }
    if let Some(ctb) = rpb.ctb() {
        let _ = ctb.term_type();
    }
    if let Some(dsr) = rpb.dsr() {
        let _ = dsr.sysname();
    }
    let _ = (
        rpb.system_name(),
        rpb.cpu_name(),
        rpb.usable_processor_count(),
    );
    let _ = rpb.page_is_ram(0);
    let text = format!("{rpb}");
    assert!(text.starts_with("HWRPB at pa "));
    let cpuid = h.primary_cpu_id;
    let i = inspect_all(bytes, cpuid).expect("parse accepted it");
    assert_eq!(i.findings.first_strict_error(), None);
    Ok(rpb)
}
