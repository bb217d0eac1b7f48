//! Criterion as the second measurer of every benchmark binary.

use alloc_bench::{Measurer, secs};
use criterion::Criterion;
use std::time::Duration;

struct Crit(Criterion);

impl Measurer for Crit {
    fn measure(
        &mut self,
        bench: &str,
        case: &str,
        comps: &mut [(&str, &mut dyn FnMut(u64) -> Duration)],
    ) {
        let mut g = self.0.benchmark_group(format!("{bench}/{case}"));
        for (name, f) in comps.iter_mut() {
            g.bench_function(*name, |b| b.iter_custom(&mut **f));
        }
        g.finish();
    }

    fn finish(&mut self) {
        self.0.final_summary();
    }
}

/// Short by default (the machine is shared); the command line overrides
/// (`cargo bench -p alloc-bench -- --measurement-time 5`).
pub fn criterion() -> Box<dyn Measurer> {
    Box::new(Crit(
        Criterion::default()
            .warm_up_time(secs(1.0))
            .measurement_time(secs(2.0))
            .sample_size(10)
            .without_plots()
            .configure_from_args(),
    ))
}
