//! Replays the committed fuzz corpus (`fuzz/corpus/netproto`, seeds and
//! what `cargo fuzz run netproto` found and `cargo fuzz cmin` kept)
//! through the fuzz target's body: no panic, bounded buffers, the same
//! answers however the input is split.

#[test]
fn fuzz_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/netproto");
    let mut count = 0;
    for e in std::fs::read_dir(dir).expect("the committed corpus") {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        netproto::fuzzing::run(&data);
        count += 1;
    }
    assert!(count >= 10, "expected a corpus, found {count} files");
}
