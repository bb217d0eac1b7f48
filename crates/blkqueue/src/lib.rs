//! Merge planning for a block request queue, after Linux's block layer
//! back merges (`blk_rq_merge_ok` / `ll_back_merge_fn`), cut down to one
//! queue run: given the requests waiting, in submission order, decide
//! which go to the driver together as one command.
//!
//! The rules ([`plan`]):
//!
//! * requests are dispatched in submission order; a dispatch is a run of
//!   consecutive requests;
//! * a request joins the current dispatch only when it has the same
//!   operation, which is a read or a write (a flush is always alone, so it
//!   is a barrier: nothing merges across it), when it starts at the
//!   sector where the dispatch ends (a back merge; no front merge, no
//!   reordering), and when the dispatch's sectors and segments, with it,
//!   stay within the device's [`Limits`];
//! * a request of 0 sectors, or one that alone is over the limits, is a
//!   dispatch of its own: nothing joins it and it joins nothing. The
//!   driver refuses it (its own error); merging never makes an invalid
//!   request valid or a valid one invalid.
//!
//! The segment count of a merged dispatch is the sum of its requests'
//! (segments that happen to be contiguous in memory are not counted as
//! one, so the count is an upper bound of what `map_sg` produces).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// What one command may carry, at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sectors in one command.
    pub max_sectors: u32,
    /// Segments in one command's scatter-gather list.
    pub max_segments: usize,
}

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Device to memory.
    Read,
    /// Memory to device.
    Write,
    /// Write the device's cache to the medium (never merged).
    Flush,
}

/// A request waiting in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// What it does.
    pub op: Op,
    /// First sector.
    pub lba: u64,
    /// Sectors.
    pub sectors: u32,
    /// Entries of its scatter-gather list.
    pub segments: usize,
}

/// One command for the driver: requests `first..first + count` of the
/// queue, which together cover `sectors` sectors from `lba`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dispatch {
    /// What it does.
    pub op: Op,
    /// First sector (the first request's).
    pub lba: u64,
    /// Sectors, the sum of the requests'.
    pub sectors: u32,
    /// Index of the first request in the queue.
    pub first: usize,
    /// Number of requests (at least 1).
    pub count: usize,
}

/// Whether `p` alone is a request other requests may join: a read or a
/// write of at least one sector within the limits.
fn mergeable(p: &Pending, limits: &Limits) -> bool {
    p.op != Op::Flush && p.sectors != 0 && p.sectors <= limits.max_sectors && p.segments <= limits.max_segments
}

/// The dispatches for `queue` under `limits` (see the crate docs for the
/// rules). Every request is in exactly one dispatch; dispatches are in
/// submission order. A request of 0 sectors or over the limits by itself
/// is a dispatch of its own, which the driver then refuses.
pub fn plan(queue: &[Pending], limits: &Limits) -> Vec<Dispatch> {
    let mut out: Vec<Dispatch> = Vec::new();
    // Segments of the current dispatch, when it may still grow.
    let mut open: Option<usize> = None;
    for (i, p) in queue.iter().enumerate() {
        if let (Some(segs), Some(d)) = (open, out.last_mut()) {
            let joins = mergeable(p, limits)
                && p.op == d.op
                && d.lba.checked_add(d.sectors as u64) == Some(p.lba)
                && d.sectors.checked_add(p.sectors).is_some_and(|s| s <= limits.max_sectors)
                && segs.checked_add(p.segments).is_some_and(|s| s <= limits.max_segments);
            if joins {
                d.sectors += p.sectors;
                d.count += 1;
                open = Some(segs + p.segments);
                continue;
            }
        }
        out.push(Dispatch { op: p.op, lba: p.lba, sectors: p.sectors, first: i, count: 1 });
        open = mergeable(p, limits).then_some(p.segments);
    }
    out
}

/// How many requests of `plan`'s answer went with an earlier one (the
/// queue's length minus the number of dispatches).
pub fn merged_count(dispatches: &[Dispatch]) -> usize {
    dispatches.iter().map(|d| d.count - 1).sum()
}
