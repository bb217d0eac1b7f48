//! The fuzz seed corpus (`fuzz/corpus/parse/`) as a regression suite.

use std::path::PathBuf;

use super::exercise;
use crate::builder::seed_corpus;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse")
}

/// Every file in the corpus goes through the parser without panicking;
/// files named `valid-*` must parse, `invalid-*` must be rejected. (Files
/// the fuzzer adds, named by hash, only have to not panic.)
#[test]
fn corpus_files_parse_as_named() {
    let mut seen = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/parse exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let result = exercise(&bytes);
        if name.starts_with("valid-") {
            assert!(result.is_ok(), "{name}: {}", result.unwrap_err());
        } else if name.starts_with("invalid-") {
            assert!(result.is_err(), "{name} was accepted");
        }
        seen += 1;
    }
    assert!(seen >= seed_corpus().len(), "corpus has {seen} files");
}

/// The committed seeds are what `builder::seed_corpus` produces; if the
/// builder changes, regenerate them with
/// `cargo run -p hwrpb --features builder --example gen_corpus`.
#[test]
fn corpus_seeds_are_up_to_date() {
    for (name, bytes) in seed_corpus() {
        let on_disk = std::fs::read(corpus_dir().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}; run the gen_corpus example"));
        assert!(
            on_disk == bytes,
            "{name} is stale; run the gen_corpus example"
        );
    }
}

/// Each invalid seed fails for the reason its name gives.
#[test]
fn seeds_fail_for_their_reason() {
    use crate::HwrpbError as E;
    for (name, bytes) in seed_corpus() {
        let r = exercise(&bytes).map(|_| ());
        let ok = match name {
            n if n.starts_with("valid-") => r.is_ok(),
            "invalid-bad-magic" => matches!(r, Err(E::BadMagic { .. })),
            "invalid-checksum" => matches!(r, Err(E::ChecksumMismatch { .. })),
            "invalid-page-size" => matches!(r, Err(E::BadPageSize { .. })),
            "invalid-size-huge" => matches!(r, Err(E::SizeTooLarge { .. })),
            "invalid-no-cpus" => matches!(r, Err(E::NoProcessors)),
            "invalid-primary-cpu" => matches!(r, Err(E::PrimaryCpuOutOfRange { .. })),
            "invalid-slot-count-overflow" => matches!(r, Err(E::CountOverflow { .. })),
            "invalid-mddt-out-of-bounds" => matches!(r, Err(E::TableOutOfBounds { .. })),
            "invalid-ctb-overlaps-crb" | "invalid-ctb-overlaps-header" => {
                matches!(r, Err(E::TablesOverlap { .. }))
            }
            "invalid-no-clusters" => matches!(r, Err(E::NoMemoryClusters)),
            "invalid-many-clusters" => matches!(r, Err(E::CountOverflow { .. })),
            "invalid-clusters-overlap" => matches!(r, Err(E::ClustersOverlap { .. })),
            "invalid-clusters-unsorted" => matches!(r, Err(E::ClustersOutOfOrder { .. })),
            "invalid-cluster-end-overflow" => matches!(r, Err(E::ClusterEndOverflow { .. })),
            "invalid-crb-map-entries" => matches!(r, Err(E::TableOutOfBounds { .. })),
            "invalid-truncated-header" | "invalid-empty" => matches!(r, Err(E::TooShort { .. })),
            other => panic!("seed {other} has no expectation here"),
        };
        assert!(ok, "{name}: {r:?}");
    }
}

/// Inputs the fuzzers found (`fuzz/regressions/`), each replayed through
/// every entry point with every invariant checked, and what each one
/// showed pinned down.
#[test]
fn fuzz_regressions_replay() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let _ = exercise(&bytes);
        for cpu in 0..5 {
            let _ = super::inspect_all(&bytes, cpu);
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// `parse` fuzz target, first run: clusters [0, 64) then three empty
/// clusters at pfn 0. The old strict parser called an empty cluster
/// starting inside the previous one an overlap; the memory map ignores
/// empty clusters (they describe no page), so the strict parser now
/// accepts it, and the target's own "sorted, disjoint" check was wrong.
#[test]
fn fuzz_finding_empty_cluster_inside_another_is_no_overlap() {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/parse-unsorted-accepted"),
    )
    .unwrap();
    let rpb = exercise(&bytes).expect("accepted");
    let m = rpb.memory_map().unwrap();
    assert_eq!(m.overlaps().count(), 0);
    assert_eq!(m.clusters().count(), 1);
    assert!(m.is_clean());
    let img = crate::builder::HwrpbBuilder::qemu(0)
        .clusters(vec![
            crate::MemCluster::new(0, 64, 0),
            crate::MemCluster::new(10, 0, 0),
            crate::MemCluster::new(64, 8, 1),
        ])
        .build();
    let i = super::inspect_all(&img, 0).unwrap();
    assert!(i.findings.is_empty(), "{:?}", i.findings);
}

/// The `mutate` fuzz target's corpus (`fuzz/corpus/mutate/`): each input
/// decoded into an image as the target does and inspected with every
/// invariant checked.
#[test]
fn mutate_corpus_replays() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/mutate");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/corpus/mutate exists") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let (img, cpu) = crate::builder::mutated_image(&bytes);
        let _ = super::inspect_all(&img, cpu);
        if let Ok(len) = crate::readable_size(&img) {
            let _ = super::inspect_all(&img[..len.min(img.len())], cpu);
        }
        seen += 1;
    }
    assert!(seen >= 2, "corpus has {seen} files");
}
