//! Shared harness for the allocator benchmarks in `benches/benches/*.rs`.
//!
//! Every benchmark runs *all* competitors in the same process on the same
//! operation list, interleaved repetition by repetition (ours, baseline,
//! ours, baseline, ...), so that drift in machine load hits all of them
//! alike. For each case it prints the median ns per operation of every
//! competitor and the ratio `baseline / ours` (above 1: ours is faster),
//! writes the numbers to `<results>/<bench>.csv`, and then (under
//! `cargo bench`) lets criterion measure the same closures as well.
//!
//! The Linux baselines the issue asks for (the CMA bitmap search and the
//! Alpha IOMMU arena) live in [`linux`].

use std::fmt::Write as _;
use std::path::PathBuf;
use splitmix::SplitMix64;
use std::time::{Duration, Instant};

pub mod linux;
pub mod plot;

/// The benchmarks' draws of sizes and victims: the workspace's SplitMix64
/// (`crates/splitmix`) with `usize` ranges.
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (no division).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        self.0.below_scaled(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

/// Runs a batch of operations on a competitor's state.
pub type RunFn<'a, Op> = Box<dyn FnMut(&[Op]) + 'a>;

/// Performs `iters` operations, returns the time they took.
type MeasureFn<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// One contender in a case: a name, whether it is ours, and a closure that
/// performs the given operations on its own (persistent) state.
pub struct Competitor<'a, Op> {
    /// Shown in the tables; no commas (it goes into CSV).
    pub name: String,
    /// Ours (the kernel's crate) or a baseline.
    pub ours: bool,
    /// Runs the operations, in order, on the competitor's state.
    pub run: RunFn<'a, Op>,
    /// Reports the number of failed allocations so far (0 if it never fails).
    pub failures: Box<dyn Fn() -> u64 + 'a>,
}

impl<'a, Op> Competitor<'a, Op> {
    /// A competitor whose state lives in `state`, driven by `step` per op.
    pub fn new<S: Churn<Op> + 'a>(name: impl Into<String>, ours: bool, state: S) -> Self {
        let state = std::rc::Rc::new(std::cell::RefCell::new(state));
        let s2 = state.clone();
        Competitor {
            name: name.into(),
            ours,
            run: Box::new(move |ops: &[Op]| {
                let mut s = state.borrow_mut();
                for op in ops {
                    s.step(op);
                }
            }),
            failures: Box::new(move || s2.borrow().failures()),
        }
    }
}

/// A workload state machine: one `step` is one benchmarked operation
/// (typically one allocation plus the frees that bring occupancy back to
/// the target).
pub trait Churn<Op> {
    /// Performs one operation.
    fn step(&mut self, op: &Op);
    /// Failed allocations so far.
    fn failures(&self) -> u64 {
        0
    }
}

/// An allocator as the workloads see it: `alloc(size)` gives a handle that
/// `free(handle, size)` takes back. `size` is the op's parameter (pages,
/// bytes, or an order); `weight(size)` is what it adds to the occupancy.
pub trait Arena {
    /// What `alloc` returns (a pfn, an entry, a pointer).
    type Handle: Copy;
    /// Allocates, or `None` when there is no room.
    fn alloc(&mut self, size: u32) -> Option<Self::Handle>;
    /// Frees what `alloc(size)` returned.
    fn free(&mut self, h: Self::Handle, size: u32);
    /// Occupancy units used by an allocation of `size` (default: `size`).
    fn weight(size: u32) -> usize {
        size as usize
    }
}

/// The steady-state workload shared by all benchmarks: a set of live
/// allocations kept at a target occupancy. Built by allocating random sizes
/// (from the same seed for every competitor) up to 15 points above the
/// target (at most 95 %), then freeing random live allocations down to it,
/// so the arena starts fragmented. One [`Churn::step`] allocates the op's
/// size, then frees random live allocations until the occupancy is back at
/// or below the target: on average one free per allocation.
pub struct Pool<A: Arena> {
    /// The allocator under test.
    pub a: A,
    live: Vec<(A::Handle, u32)>,
    used: usize,
    target: usize,
    rng: Rng,
    fails: u64,
    window: usize,
}

impl<A: Arena> Pool<A> {
    /// Fills `a` (of `capacity` weight units) to `occupancy_pct`, drawing
    /// prefill sizes with `draw`.
    pub fn new(
        a: A,
        capacity: usize,
        occupancy_pct: u32,
        seed: u64,
        mut draw: impl FnMut(&mut Rng) -> u32,
    ) -> Self {
        let target = capacity * occupancy_pct as usize / 100;
        let mut p = Pool {
            a,
            live: Vec::new(),
            used: 0,
            target,
            rng: Rng::new(seed),
            fails: 0,
            window: 0,
        };
        let high = (target + capacity * 15 / 100).min(capacity * 95 / 100);
        let mut misses = 0;
        while p.used < high && misses < 1000 {
            let size = draw(&mut p.rng);
            match p.a.alloc(size) {
                Some(h) => {
                    p.live.push((h, size));
                    p.used += A::weight(size);
                }
                None => misses += 1,
            }
        }
        p.shrink();
        p
    }

    /// From now on, free only among the `window` most recently allocated
    /// live allocations (roughly: `swap_remove` moves the newest into the
    /// hole), so the memory the workload touches stays small whatever the
    /// managed size. 0 = any live allocation (the default).
    pub fn recent_only(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    #[inline]
    fn shrink(&mut self) {
        while self.used > self.target && !self.live.is_empty() {
            let n = self.live.len();
            let i = if self.window != 0 && n > self.window {
                n - self.window + self.rng.below(self.window)
            } else {
                self.rng.below(n)
            };
            let (h, size) = self.live.swap_remove(i);
            self.a.free(h, size);
            self.used -= A::weight(size);
        }
    }

    /// Occupancy units in use.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Live allocations.
    pub fn live(&self) -> usize {
        self.live.len()
    }
}

impl<A: Arena> Churn<u32> for Pool<A> {
    #[inline]
    fn step(&mut self, &size: &u32) {
        match self.a.alloc(size) {
            Some(h) => {
                self.live.push((h, size));
                self.used += A::weight(size);
            }
            None => self.fails += 1,
        }
        self.shrink();
    }

    fn failures(&self) -> u64 {
        self.fails
    }
}

/// Log-uniform in `1..=max` (`2^(u * log2 max)`, `u` uniform): many small
/// requests, a few large ones, every power of two equally likely.
pub fn log_uniform(rng: &mut Rng, max: u32) -> u32 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    ((u * (max as f64).log2()).exp2() as u32).clamp(1, max)
}

/// One benchmark case: a label, its parameters, the operation list and the
/// competitors (already set up at the case's occupancy).
pub struct Case<'a, Op> {
    /// e.g. `1 GiB 50 %`; no commas.
    pub label: String,
    /// Managed size in bytes (for the CSV and the size-independence table).
    pub size_bytes: u64,
    /// Target occupancy in percent.
    pub occupancy_pct: u32,
    /// What one operation is, for the table header.
    pub op_desc: &'static str,
    /// The operations, replayed in every repetition.
    pub ops: Vec<Op>,
    /// Ours first is customary but not required.
    pub competitors: Vec<Competitor<'a, Op>>,
}

/// The measured result of one competitor in one case.
#[derive(Clone, Debug)]
pub struct Row {
    /// Case label.
    pub case: String,
    /// Managed size in bytes.
    pub size_bytes: u64,
    /// Target occupancy in percent.
    pub occupancy_pct: u32,
    /// Competitor name.
    pub competitor: String,
    /// Ours or baseline.
    pub ours: bool,
    /// Median ns per operation over the repetitions.
    pub median_ns: f64,
    /// Fastest repetition.
    pub min_ns: f64,
    /// Slowest repetition.
    pub max_ns: f64,
    /// Failed allocations during the repetitions (timed and untimed passes).
    pub failures: u64,
    /// Operations run during the repetitions (half of them timed).
    pub ops: u64,
}

/// How the benchmark binary was invoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `cargo bench`: full sizes, criterion afterwards (unless disabled).
    Bench,
    /// Anything else (`cargo test --benches`, running the binary by hand):
    /// a small smoke run, no criterion.
    Quick,
}

/// Runs cases, prints tables, writes CSV, hands closures to criterion.
pub struct Bench {
    name: &'static str,
    mode: Mode,
    reps: usize,
    rows: Vec<Row>,
    criterion: Option<Box<dyn Measurer>>,
    notes: Vec<String>,
}

/// Medians of repeated interleaved timings.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Set by [`Bench::new`] in quick mode, so that smoke runs never overwrite
/// real results.
static QUICK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Where the CSV/SVG files go: `$ALLOC_BENCH_RESULTS`, else
/// `$CARGO_TARGET_DIR/bench-results`, else `<workspace>/target/bench-results`;
/// in quick (smoke) mode, its `quick/` subdirectory.
pub fn results_dir() -> PathBuf {
    let dir = if let Some(d) = std::env::var_os("ALLOC_BENCH_RESULTS") {
        PathBuf::from(d)
    } else if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(t).join("bench-results")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("bench-results")
    };
    let dir = if QUICK.load(std::sync::atomic::Ordering::Relaxed) {
        dir.join("quick")
    } else {
        dir
    };
    std::fs::create_dir_all(&dir).expect("create the results directory");
    dir
}

impl Bench {
    /// Reads the command line: `--bench` (what `cargo bench` passes) selects
    /// [`Mode::Bench`]. `ALLOC_BENCH_QUICK=1` forces the smoke run,
    /// `ALLOC_BENCH_NO_CRITERION=1` skips criterion, `ALLOC_BENCH_REPS=N`
    /// sets the repetitions of the in-process summary (default 21).
    pub fn new(name: &'static str, criterion: impl FnOnce() -> Box<dyn Measurer>) -> Self {
        let args: Vec<String> = std::env::args().collect();
        let quick = std::env::var_os("ALLOC_BENCH_QUICK").is_some_and(|v| v != "0");
        let mode = if args.iter().any(|a| a == "--bench") && !quick {
            Mode::Bench
        } else {
            Mode::Quick
        };
        let no_crit = std::env::var_os("ALLOC_BENCH_NO_CRITERION").is_some_and(|v| v != "0");
        let reps = std::env::var("ALLOC_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if mode == Mode::Bench { 21 } else { 3 });
        QUICK.store(mode == Mode::Quick, std::sync::atomic::Ordering::Relaxed);
        let criterion = (mode == Mode::Bench && !no_crit).then(criterion);
        println!(
            "== {name}: {} mode, {reps} interleaved repetitions per competitor{}",
            if mode == Mode::Bench {
                "bench"
            } else {
                "quick (smoke)"
            },
            if criterion.is_some() {
                ", then criterion"
            } else {
                ""
            }
        );
        Bench {
            name,
            mode,
            reps,
            rows: Vec::new(),
            criterion,
            notes: Vec::new(),
        }
    }

    /// The invocation mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Picks `full` under `cargo bench`, `quick` otherwise.
    pub fn pick<T>(&self, full: T, quick: T) -> T {
        if self.mode == Mode::Bench {
            full
        } else {
            quick
        }
    }

    /// A line printed under the final table (workload description, caveats).
    pub fn note(&mut self, s: impl Into<String>) {
        let s = s.into();
        println!("   {s}");
        self.notes.push(s);
    }

    /// Measures one case: two untimed passes of the operations per
    /// competitor (warm-up, steady state), then `reps` rounds in which every
    /// competitor replays the operations twice, the second time timed. Prints the case's lines and, in
    /// bench mode, runs criterion on the same closures.
    pub fn run_case<Op>(&mut self, mut case: Case<'_, Op>) {
        let n = case.competitors.len();
        for c in case.competitors.iter_mut() {
            (c.run)(&case.ops);
            (c.run)(&case.ops);
        }
        let fail0: Vec<u64> = case.competitors.iter().map(|c| (c.failures)()).collect();
        let mut samples = vec![Vec::with_capacity(self.reps); n];
        for rep in 0..self.reps {
            // Rotate the starting competitor so nobody always goes first.
            for k in 0..n {
                let i = (k + rep) % n;
                let c = &mut case.competitors[i];
                // Untimed pass first: the previous competitor's batch has
                // evicted this one's metadata from the caches, and refilling
                // them must not be charged to the timed pass (criterion,
                // which runs one competitor at a time, would not see it).
                (c.run)(&case.ops);
                let t = Instant::now();
                (c.run)(std::hint::black_box(&case.ops));
                let dt = t.elapsed();
                samples[i].push(dt.as_nanos() as f64 / case.ops.len() as f64);
            }
        }
        let mut rows = Vec::new();
        for (i, c) in case.competitors.iter().enumerate() {
            let s = &mut samples[i];
            let med = median(s);
            rows.push(Row {
                case: case.label.clone(),
                size_bytes: case.size_bytes,
                occupancy_pct: case.occupancy_pct,
                competitor: c.name.clone(),
                ours: c.ours,
                median_ns: med,
                min_ns: s[0],
                max_ns: s[s.len() - 1],
                // Over the timed and the untimed passes of the repetitions.
                failures: (c.failures)() - fail0[i],
                ops: (2 * self.reps * case.ops.len()) as u64,
            });
        }
        println!(
            "-- {} / {} ({}; {} ops x {} reps)",
            self.name,
            case.label,
            case.op_desc,
            case.ops.len(),
            self.reps
        );
        for r in &rows {
            println!(
                "   {:<44} median {:>10.1} ns  (min {:>9.1}, max {:>9.1}){}",
                r.competitor,
                r.median_ns,
                r.min_ns,
                r.max_ns,
                if r.failures > 0 {
                    format!(
                        "  [{:.1} % of allocations failed]",
                        100.0 * r.failures as f64 / r.ops as f64
                    )
                } else {
                    String::new()
                }
            );
        }
        for line in ratio_lines(&rows) {
            println!("   {line}");
        }
        if let Some(m) = &mut self.criterion {
            measure_with(
                &mut **m,
                self.name,
                &case.label,
                &case.ops,
                &mut case.competitors,
            );
        }
        self.rows.extend(rows);
    }

    /// Prints the summary table and writes `<results>/<name>.csv`.
    pub fn finish(mut self) -> Vec<Row> {
        if let Some(mut m) = self.criterion.take() {
            m.finish();
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n== {} summary: median ns per operation; ratio = baseline / (first) ours (> 1: ours faster)",
            self.name
        );
        let mut cases: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !cases.contains(&r.case.as_str()) {
                cases.push(&r.case);
            }
        }
        let _ = writeln!(
            out,
            "{:<22} {:<44} {:>12} {:>10} {:>12}",
            "case", "competitor", "median ns", "ratio", "allocs failed"
        );
        for case in &cases {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.case == *case).collect();
            let ours = rows.iter().find(|r| r.ours).map(|r| r.median_ns);
            for (k, r) in rows.iter().enumerate() {
                let ratio = match (r.ours, ours) {
                    (false, Some(o)) => format!("{:.2}", r.median_ns / o),
                    _ => "(ours)".to_string(),
                };
                let _ = writeln!(
                    out,
                    "{:<22} {:<44} {:>12.1} {:>10} {:>12}",
                    if k == 0 { case } else { "" },
                    r.competitor,
                    r.median_ns,
                    ratio,
                    if r.failures > 0 {
                        format!("{:.1} %", 100.0 * r.failures as f64 / r.ops as f64)
                    } else {
                        "-".into()
                    }
                );
            }
            let owned: Vec<Row> = rows.iter().map(|r| (*r).clone()).collect();
            for line in ratio_lines(&owned) {
                let _ = writeln!(out, "{:<22} {line}", "");
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        print!("{out}");
        let path = results_dir().join(format!("{}.csv", self.name));
        let mut csv = String::from(
            "bench,case,size_bytes,occupancy_pct,competitor,role,median_ns,min_ns,max_ns,failures,ops,ratio_baseline_over_ours\n",
        );
        for r in &self.rows {
            let ours = self
                .rows
                .iter()
                .find(|o| o.ours && o.case == r.case)
                .map(|o| o.median_ns);
            let ratio = match (r.ours, ours) {
                (false, Some(o)) => format!("{:.4}", r.median_ns / o),
                _ => String::new(),
            };
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{:.2},{:.2},{:.2},{},{},{}",
                self.name,
                r.case,
                r.size_bytes,
                r.occupancy_pct,
                r.competitor,
                if r.ours { "ours" } else { "baseline" },
                r.median_ns,
                r.min_ns,
                r.max_ns,
                r.failures,
                r.ops,
                ratio
            );
        }
        std::fs::write(&path, csv).expect("write the CSV");
        println!("wrote {}", path.display());
        self.rows
    }
}

/// `ours X ns, <baseline> Y ns, ratio Y/X = R (ours faster|slower)` for
/// every (ours, baseline) pair of one case.
pub fn ratio_lines(rows: &[Row]) -> Vec<String> {
    let mut v = Vec::new();
    for o in rows.iter().filter(|r| r.ours) {
        for b in rows.iter().filter(|r| !r.ours) {
            let ratio = b.median_ns / o.median_ns;
            v.push(format!(
                "{}: {:.1} ns, {}: {:.1} ns, ratio {:.2} ({})",
                o.competitor,
                o.median_ns,
                b.competitor,
                b.median_ns,
                ratio,
                if ratio >= 1.0 {
                    format!("ours {:.2}x faster", ratio)
                } else {
                    format!("OURS {:.2}x SLOWER", 1.0 / ratio)
                }
            ));
        }
    }
    v
}

/// Prints how the cost of each competitor changes between two sizes of
/// managed memory (same occupancy and variant: the case label without its
/// leading size word): `large / small`, 1.00 = size-independent.
pub fn print_size_scaling(rows: &[Row], small: u64, large: u64) {
    println!(
        "\n== cost against managed memory size ({} -> {}): median ns/op at each size and ratio large/small",
        human(small),
        human(large)
    );
    let variant = |r: &Row| {
        r.case
            .split_once(' ')
            .map_or(String::new(), |(_, v)| v.to_string())
    };
    let mut keys: Vec<(String, String)> = Vec::new();
    for r in rows {
        let k = (variant(r), r.competitor.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (var, comp) in keys {
        let find = |size| {
            rows.iter()
                .find(|r| variant(r) == var && r.competitor == comp && r.size_bytes == size)
        };
        if let (Some(s), Some(l)) = (find(small), find(large)) {
            println!(
                "   {:<12} {:<40} {:>9.1} ns @ {:<7} {:>9.1} ns @ {:<7} ratio {:.2}",
                var,
                comp,
                s.median_ns,
                human(small),
                l.median_ns,
                human(large),
                l.median_ns / s.median_ns
            );
        }
    }
}

/// `1 GiB`, `256 MiB`, `2 MiB`.
pub fn human(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{}GiB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{}MiB", bytes >> 20)
    } else {
        format!("{}KiB", bytes >> 10)
    }
}

/// A second measurer run on the same closures after the in-process summary
/// (criterion, from the benchmark binaries: it is a dev-dependency, so the
/// library cannot name it).
pub trait Measurer {
    /// Measures every competitor of one case; each closure performs `iters`
    /// operations and returns the time they took.
    fn measure(
        &mut self,
        bench: &str,
        case: &str,
        comps: &mut [(&str, &mut dyn FnMut(u64) -> Duration)],
    );
    /// Called once at the end.
    fn finish(&mut self) {}
}

fn measure_with<Op>(
    m: &mut dyn Measurer,
    bench: &str,
    case: &str,
    ops: &[Op],
    comps: &mut [Competitor<'_, Op>],
) {
    let mut closures: Vec<(String, MeasureFn<'_>)> = Vec::new();
    for c in comps.iter_mut() {
        let run = &mut c.run;
        closures.push((
            c.name.clone(),
            Box::new(move |iters: u64| {
                let mut left = iters as usize;
                let mut total = Duration::ZERO;
                while left > 0 {
                    let n = left.min(ops.len());
                    let t = Instant::now();
                    run(std::hint::black_box(&ops[..n]));
                    total += t.elapsed();
                    left -= n;
                }
                total
            }),
        ));
    }
    let mut refs: Vec<(&str, &mut dyn FnMut(u64) -> Duration)> = closures
        .iter_mut()
        .map(|(n, f)| (n.as_str(), &mut **f as &mut dyn FnMut(u64) -> Duration))
        .collect();
    m.measure(bench, case, &mut refs);
}

/// A `Duration` in seconds from an `f64`, for criterion settings.
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rng_below_stays_in_range() {
        let mut r = super::Rng::new(1);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
