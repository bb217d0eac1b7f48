//! The request queue: requests wait here until [`RequestQueue::run`],
//! which plans the dispatches with `crates/blkqueue` (back merges of
//! adjacent reads or writes in submission order, up to the device's
//! [`Limits`](super::Limits); host-tested there), hands each dispatch to
//! the driver as one [`Request`] whose segment list is its requests'
//! lists one after the other, and completes every request of the
//! dispatch with the dispatch's result (Linux's `blk_mq` with a single
//! software queue, run to completion).
//!
//! Requests merge only with requests of the same [`Transfer`]: the queue
//! is planned in runs of consecutive requests that ask for the same one.

use super::{BlockDevice, BlockError, Completion, Request, Transfer};
use alloc::vec::Vec;

/// Requests waiting for [`RequestQueue::run`].
#[derive(Default)]
pub struct RequestQueue {
    pending: Vec<Request>,
}

/// One dispatch of a run: the command the driver got, and its result.
pub struct Dispatched {
    /// Requests `first..first + count` of the run, in submission order.
    pub first: usize,
    pub count: usize,
    pub result: Result<Completion, BlockError>,
}

/// What [`RequestQueue::run`] did.
pub struct Ran {
    /// The dispatches, in the order they were submitted.
    pub dispatches: Vec<Dispatched>,
}

impl Ran {
    /// The result of request `i` (in the order it was pushed): its
    /// dispatch's.
    pub fn result(&self, i: usize) -> Option<&Result<Completion, BlockError>> {
        self.dispatches.iter().find(|d| (d.first..d.first + d.count).contains(&i)).map(|d| &d.result)
    }

    /// Requests that went with an earlier one.
    pub fn merged(&self) -> usize {
        self.dispatches.iter().map(|d| d.count - 1).sum()
    }
}

impl RequestQueue {
    pub const fn new() -> Self {
        RequestQueue { pending: Vec::new() }
    }

    /// Queues `req`; returns its index in the next run.
    pub fn push(&mut self, req: Request) -> usize {
        self.pending.push(req);
        self.pending.len() - 1
    }

    /// Submits every waiting request to `dev`, merged where blkqueue's
    /// plan says, and empties the queue.
    pub fn run(&mut self, dev: &mut dyn BlockDevice) -> Ran {
        let reqs = core::mem::take(&mut self.pending);
        let l = dev.limits();
        let limits = blkqueue::Limits { max_sectors: l.max_sectors, max_segments: l.max_segments };
        let mut dispatches = Vec::new();
        let mut start = 0;
        while start < reqs.len() {
            // A run of requests asking for the same transfer.
            let transfer: Transfer = reqs[start].transfer;
            let end = start + reqs[start..].iter().take_while(|r| r.transfer == transfer).count();
            let pending: Vec<blkqueue::Pending> = reqs[start..end]
                .iter()
                .map(|r| blkqueue::Pending { op: r.op, lba: r.lba, sectors: r.sectors, segments: r.segs.len() })
                .collect();
            for d in blkqueue::plan(&pending, &limits) {
                let members = &reqs[start + d.first..start + d.first + d.count];
                let first = &members[0];
                let req = Request {
                    op: first.op,
                    lba: d.lba,
                    sectors: d.sectors,
                    segs: members.iter().flat_map(|r| r.segs.iter().copied()).collect(),
                    transfer,
                };
                let result = dev.submit(&req);
                dispatches.push(Dispatched { first: start + d.first, count: d.count, result });
            }
            start = end;
        }
        Ran { dispatches }
    }
}
