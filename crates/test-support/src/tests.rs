use super::*;
use proptest::prelude::*;

#[test]
fn cases_reads_a_number_and_ignores_the_rest() {
    assert_eq!(cases_from(None), DEFAULT_CASES);
    assert_eq!(cases_from(Some("250")), 250);
    assert_eq!(cases_from(Some("many")), DEFAULT_CASES);
    assert_eq!(cases_from(Some("")), DEFAULT_CASES);
    assert_eq!(config().cases, cases());
}

#[test]
fn another_default_only_when_unset() {
    assert_eq!(cases_from_or(None, 500), 500);
    assert_eq!(cases_from_or(Some("20000"), 500), 20_000);
    assert_eq!(cases_from_or(Some("many"), 500), 500);
    assert_eq!(config_with_default(500).cases, cases_or(500));
    let d = Config::default();
    let c = config_with_default(7);
    assert_eq!((c.max_shrink_iters, c.max_local_rejects), (d.max_shrink_iters, d.max_local_rejects));
}

#[test]
fn pick_wraps_the_index_and_skips_empty_lists() {
    assert_eq!(pick::<u8>(&[], 5), None);
    assert_eq!(pick(&[10, 20, 30], 4), Some((1, 20)));
    assert_eq!(pick(&[10, 20, 30], usize::MAX), Some((usize::MAX % 3, [10, 20, 30][usize::MAX % 3])));
}

#[test]
fn near_reaches_below_the_base() {
    assert_eq!(near(100, 0), 92);
    assert_eq!(near(100, 8), 100);
    assert_eq!(near(0, 3), 3usize.wrapping_sub(8));
}

#[test]
fn runs_are_maximal_and_in_order() {
    let v = [0, 1, 1, 0, 0, 1, 0, 1, 1, 1];
    assert_eq!(runs(&v, |&x| x == 1), vec![1..3, 5..6, 7..10]);
    assert_eq!(runs(&v, |&x| x == 0), vec![0..1, 3..5, 6..7]);
    assert!(runs::<u8>(&[], |_| true).is_empty());
}

/// A counter and its model; `Sub` below zero is refused by both.
struct Counter {
    real: u32,
    model: i64,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Add(u8),
    Sub(u8),
    Stop,
}

impl ModelCheck for Counter {
    type Op = Op;
    type Stop = u32;
    fn step(&mut self, op: Op) -> ControlFlow<u32> {
        match op {
            Op::Add(n) => {
                self.real += u32::from(n);
                self.model += i64::from(n);
            }
            Op::Sub(n) => {
                let got = self.real.checked_sub(u32::from(n));
                let want = (self.model >= i64::from(n)).then(|| (self.model - i64::from(n)) as u32);
                assert_eq!(got, want);
                if let Some(v) = got {
                    self.real = v;
                    self.model = i64::from(v);
                }
            }
            Op::Stop => return ControlFlow::Break(self.real),
        }
        ControlFlow::Continue(())
    }
    fn check(&self) {
        assert_eq!(i64::from(self.real), self.model);
    }
}

#[test]
fn run_ops_checks_before_and_after_each_step_and_stops_on_break() {
    let mut c = Counter { real: 0, model: 0 };
    assert_eq!(run_ops(&mut c, [Op::Add(5), Op::Sub(2), Op::Sub(9)]), ControlFlow::Continue(()));
    assert_eq!(c.real, 3);
    assert_eq!(run_ops(&mut c, [Op::Add(1), Op::Stop, Op::Add(100)]), ControlFlow::Break(4));
    assert_eq!(c.real, 4, "no step after the break");
}

/// Counts checks to show the loop checks once up front and once per step.
struct Checked<'a> {
    checks: &'a core::cell::Cell<usize>,
}

impl ModelCheck for Checked<'_> {
    type Op = ();
    type Stop = core::convert::Infallible;
    fn step(&mut self, _: ()) -> ControlFlow<Self::Stop> {
        ControlFlow::Continue(())
    }
    fn check(&self) {
        self.checks.set(self.checks.get() + 1);
    }
}

#[test]
fn run_ops_checks_n_plus_one_times() {
    let n = core::cell::Cell::new(0);
    let _ = run_ops(&mut Checked { checks: &n }, [(); 7]);
    assert_eq!(n.get(), 8);
}

proptest! {
    #![proptest_config(Config::with_cases(64))]

    #[test]
    fn op_sequence_respects_its_length(v in op_sequence(any::<u8>(), 1..5)) {
        prop_assert!((1..5).contains(&v.len()));
    }
}
