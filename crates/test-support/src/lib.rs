//! What the property tests of the workspace share: a dev-dependency only
//! (std, proptest), never part of the kernel.
//!
//! Every property test takes its proptest configuration from here ([`config`],
//! or [`config_with_default`] for one with a smaller default), so
//! `PROPTEST_CASES` means the same thing everywhere.
//!
//! Many of them (`crates/buddy`, `crates/cma`, `crates/iommu-arena`,
//! `crates/memblock`, `crates/page-owner`, the ring of `crates/tulip-ring`,
//! the debug table of `crates/dma-policy`) are *model checking*:
//! a random sequence of operations is applied both to the real
//! implementation and to a simple, obviously correct model; each
//! operation's result must be exactly what the model predicts, and after
//! every operation the implementation's state must match the model's.
//! This crate holds the parts that are the same in all of them:
//!
//! * [`cases`] / [`config`]: the number of cases, `PROPTEST_CASES` or
//!   10 000 (what `tools/test.sh` sets); [`cases_or`] /
//!   [`config_with_default`] for a property that runs fewer cases when
//!   `PROPTEST_CASES` is unset;
//! * [`ModelCheck`] and [`run_ops`]: the driver loop (check, then for each
//!   operation: apply to both, check again);
//! * [`op_sequence`], [`pick`], [`near`], [`runs`]: generating and
//!   interpreting operations so that they shrink well (operations name a
//!   live object by an index taken modulo the number of live ones, so a
//!   shrunk sequence stays meaningful).

use core::ops::{ControlFlow, Range};
use proptest::collection::{VecStrategy, vec};
use proptest::strategy::Strategy;
use proptest::test_runner::Config;

/// Cases per property when `PROPTEST_CASES` is not set.
pub const DEFAULT_CASES: u32 = 10_000;

/// Cases per property: `PROPTEST_CASES` when it is set to a number, else
/// [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    cases_or(DEFAULT_CASES)
}

/// Cases per property: `PROPTEST_CASES` when it is set to a number, else
/// `default`.
pub fn cases_or(default: u32) -> u32 {
    cases_from_or(std::env::var("PROPTEST_CASES").ok().as_deref(), default)
}

/// [`cases`] for a given value of `PROPTEST_CASES` (`None`: unset); a
/// value that is not a number is ignored.
pub fn cases_from(var: Option<&str>) -> u32 {
    cases_from_or(var, DEFAULT_CASES)
}

/// [`cases_or`] for a given value of `PROPTEST_CASES` (`None`: unset); a
/// value that is not a number is ignored.
pub fn cases_from_or(var: Option<&str>, default: u32) -> u32 {
    var.and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// The proptest configuration of the properties: proptest's defaults with
/// [`cases`] cases.
///
/// A property cannot run a number of cases that ignores `PROPTEST_CASES`:
/// the `proptest!` macro applies the `PROPTEST_*` variables on top of the
/// configuration it is given (proptest's `contextualize_config`). What a
/// configuration chooses is the count when the variable is unset.
pub fn config() -> Config {
    Config::with_cases(cases())
}

/// [`config`] with `default` cases instead of [`DEFAULT_CASES`] when
/// `PROPTEST_CASES` is unset, for a property whose cases cost more than
/// most (`tools/test.sh` sets the variable, so it runs as many as the
/// others there).
pub fn config_with_default(default: u32) -> Config {
    Config::with_cases(cases_or(default))
}

/// An implementation and its model side by side, for [`run_ops`].
pub trait ModelCheck {
    /// One random operation.
    type Op;
    /// What a step may stop the run with (`core::convert::Infallible` if
    /// it never does).
    type Stop;

    /// Applies `op` to the implementation and to the model, asserting that
    /// the implementation's result is the one the model predicts.
    /// `Break` ends the run early (e.g. a device model that saw a stale
    /// translation, for a test that counts how often that happens).
    fn step(&mut self, op: Self::Op) -> ControlFlow<Self::Stop>;

    /// Asserts that the implementation's whole state matches the model.
    fn check(&self);
}

/// The driver loop: [`ModelCheck::check`] first, then for each operation
/// [`ModelCheck::step`] and [`ModelCheck::check`]. Returns the first
/// `Break` of a step, if any (no check after it).
pub fn run_ops<M: ModelCheck>(m: &mut M, ops: impl IntoIterator<Item = M::Op>) -> ControlFlow<M::Stop> {
    m.check();
    for op in ops {
        m.step(op)?;
        m.check();
    }
    ControlFlow::Continue(())
}

/// A sequence of `len` operations drawn from `op`; proptest shrinks it by
/// dropping operations and shrinking each one.
pub fn op_sequence<S: Strategy>(op: S, len: Range<usize>) -> VecStrategy<S> {
    vec(op, len)
}

/// The entry of `list` an operation's index `i` names (`i` modulo the
/// length, so any `usize` names one), with its slot; `None` for an empty
/// list (the operation is then skipped).
pub fn pick<T: Copy>(list: &[T], i: usize) -> Option<(usize, T)> {
    if list.is_empty() {
        return None;
    }
    let slot = i % list.len();
    Some((slot, list[slot]))
}

/// How far below the start of the managed range [`near`] reaches.
pub const BELOW: usize = 8;

/// `base + off - BELOW` (wrapping): an address near a managed range, from
/// a little below its start up to `off`'s bound past it, for operations
/// that are mostly invalid on purpose.
pub fn near(base: usize, off: usize) -> usize {
    base.wrapping_add(off).wrapping_sub(BELOW)
}

/// The maximal runs `[start, end)` of consecutive entries of `items` for
/// which `pred` holds, in order (to give back everything still allocated
/// one run at a time at the end of a test).
pub fn runs<T>(items: &[T], pred: impl Fn(&T) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        if pred(&items[i]) {
            let end = (i..items.len()).find(|&j| !pred(&items[j])).unwrap_or(items.len());
            out.push(i..end);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;
