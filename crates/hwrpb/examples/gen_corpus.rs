//! Write the fuzz seed corpus (`fuzz/corpus/parse/`) from
//! `hwrpb::builder::seed_corpus()`:
//!
//! ```sh
//! cargo run -p hwrpb --features builder --example gen_corpus
//! ```
//!
//! The `corpus_seeds_are_up_to_date` unit test fails when the committed
//! files differ from what the builder produces.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in hwrpb::builder::seed_corpus() {
        std::fs::write(dir.join(name), &bytes)?;
        let verdict = match hwrpb::Hwrpb::parse(&bytes) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        println!("{name:32} {:6} bytes  {verdict}", bytes.len());
    }
    Ok(())
}
