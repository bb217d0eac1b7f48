//! Property tests: random queues against a model, and the rules checked
//! directly on every plan.
//!
//! The model groups the queue one request at a time and decides whether a
//! request joins the last group by checking the whole group with it from
//! scratch (same read or write op everywhere, each one alone within the
//! limits and of at least one sector, each starting where the one before
//! ends, the sums within the limits), in 128-bit arithmetic. The plan must
//! be exactly the model's. Independently of the model, every plan is
//! checked: every request in exactly one dispatch, in order; a dispatch's
//! sectors the sum of its requests'; merged dispatches within the limits;
//! and maximal (the request after a dispatch could not have joined it).
//!
//! Number of cases: `PROPTEST_CASES` (default 10 000).

use super::*;
use proptest::prelude::*;

fn model(queue: &[Pending], limits: &Limits) -> Vec<Dispatch> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..queue.len() {
        if let Some(g) = groups.last() {
            let members: Vec<&Pending> = g.iter().chain([&i]).map(|&j| &queue[j]).collect();
            if group_ok(&members, limits) {
                groups.last_mut().unwrap().push(i);
                continue;
            }
        }
        groups.push(vec![i]);
    }
    groups
        .iter()
        .map(|g| Dispatch {
            op: queue[g[0]].op,
            lba: queue[g[0]].lba,
            sectors: g.iter().map(|&j| queue[j].sectors).sum(),
            first: g[0],
            count: g.len(),
        })
        .collect()
}

/// Whether `members` (two or more) may go as one command.
fn group_ok(members: &[&Pending], limits: &Limits) -> bool {
    let op = members[0].op;
    let each = members.iter().all(|p| {
        p.op == op
            && (op == Op::Read || op == Op::Write)
            && p.sectors >= 1
            && p.sectors <= limits.max_sectors
            && p.segments <= limits.max_segments
    });
    let chained = members.windows(2).all(|w| w[0].lba as u128 + w[0].sectors as u128 == w[1].lba as u128);
    let sectors: u128 = members.iter().map(|p| p.sectors as u128).sum();
    let segments: u128 = members.iter().map(|p| p.segments as u128).sum();
    each && chained && sectors <= limits.max_sectors as u128 && segments <= limits.max_segments as u128
}

fn check_rules(queue: &[Pending], limits: &Limits, plan: &[Dispatch]) -> Result<(), TestCaseError> {
    let mut next = 0;
    for (k, d) in plan.iter().enumerate() {
        prop_assert_eq!(d.first, next, "dispatch {} does not follow on", k);
        prop_assert!(d.count >= 1);
        next = d.first + d.count;
        prop_assert!(next <= queue.len());
        let reqs = &queue[d.first..next];
        prop_assert_eq!((d.op, d.lba), (reqs[0].op, reqs[0].lba));
        prop_assert_eq!(d.sectors as u128, reqs.iter().map(|p| p.sectors as u128).sum::<u128>());
        if d.count > 1 {
            prop_assert!(group_ok(&reqs.iter().collect::<Vec<_>>(), limits), "dispatch {} breaks a rule", k);
            prop_assert!(d.op != Op::Flush);
        }
        if let Some(after) = queue.get(next) {
            let mut with: Vec<&Pending> = reqs.iter().collect();
            with.push(after);
            prop_assert!(!group_ok(&with, limits), "request {} could have joined dispatch {}", next, k);
        }
    }
    prop_assert_eq!(next, queue.len(), "requests left out");
    prop_assert_eq!(merged_count(plan), queue.len() - plan.len());
    Ok(())
}

#[derive(Clone, Debug)]
enum Where {
    /// Right after the previous request.
    After,
    /// Somewhere near it (overlapping, a gap, before it).
    Near(i64),
    /// Anywhere.
    Any(u64),
}

fn req_strategy() -> impl Strategy<Value = (Op, Where, u32, usize)> {
    let op = prop_oneof![5 => Just(Op::Read), 4 => Just(Op::Write), 1 => Just(Op::Flush)];
    let at = prop_oneof![
        6 => Just(Where::After),
        2 => (-300i64..300).prop_map(Where::Near),
        1 => prop_oneof![any::<u64>(), (u64::MAX - 600)..=u64::MAX].prop_map(Where::Any),
    ];
    let sectors = prop_oneof![6 => 1u32..=64, 2 => 0u32..=600, 1 => any::<u32>()];
    let segments = prop_oneof![6 => 1usize..=4, 2 => 0usize..=40, 1 => any::<usize>()];
    (op, at, sectors, segments)
}

fn queue_strategy() -> impl Strategy<Value = Vec<Pending>> {
    proptest::collection::vec(req_strategy(), 0..=40).prop_map(|reqs| {
        let mut q: Vec<Pending> = Vec::new();
        for (op, at, sectors, segments) in reqs {
            let end = q.last().map_or(0, |p| p.lba.wrapping_add(p.sectors as u64));
            let lba = match at {
                Where::After => end,
                Where::Near(d) => end.wrapping_add_signed(d),
                Where::Any(x) => x,
            };
            let (sectors, segments) = if op == Op::Flush { (0, 0) } else { (sectors, segments) };
            q.push(Pending { op, lba, sectors, segments });
        }
        q
    })
}

fn limits_strategy() -> impl Strategy<Value = Limits> {
    let s = prop_oneof![4 => 1u32..=512, 1 => Just(0u32), 1 => Just(u32::MAX)];
    let g = prop_oneof![4 => 1usize..=32, 1 => Just(0usize), 1 => Just(usize::MAX)];
    (s, g).prop_map(|(max_sectors, max_segments)| Limits { max_sectors, max_segments })
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn plan_matches_the_model(queue in queue_strategy(), limits in limits_strategy()) {
        let p = plan(&queue, &limits);
        prop_assert_eq!(&p, &model(&queue, &limits));
        check_rules(&queue, &limits, &p)?;
    }
}
