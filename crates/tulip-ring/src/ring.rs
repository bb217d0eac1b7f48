//! Which slots of a descriptor ring are with the chip.

use crate::desc::DESC_SIZE;

/// The bookkeeping of a ring of `N` descriptors, as Linux's tulip driver
/// keeps `cur_tx`/`dirty_tx`: slots are handed to the chip in ring order
/// ([`Ring::give`], at the head) and taken back in the same order
/// ([`Ring::take`], at the tail), which is the order the chip processes
/// them in. It never hands out a slot that is still given, and never takes
/// back one that was not given; `N` given slots is full, none is empty.
///
/// The ring does not look at OWN bits: the driver gives slot
/// [`Ring::give`] returns (fills it, then sets OWN), and takes the slot
/// [`Ring::oldest`] names once the chip has cleared its OWN.
///
/// After a chip reset (or writing CSR3/CSR4), the chip starts at slot 0:
/// call [`Ring::reset`] at the same time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring<const N: usize> {
    /// The next slot to give.
    head: usize,
    /// The oldest slot given (the next to take back), when any is.
    tail: usize,
    /// Slots given and not yet taken back.
    given: usize,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ring<N> {
    /// Slots in the ring.
    pub const SIZE: usize = N;
    /// The ring's size in bytes (ring mode, descriptor skip length 0).
    pub const BYTES: usize = N * DESC_SIZE;

    /// An empty ring starting at slot 0. `N` must be at least 1 (checked at
    /// compile time).
    pub const fn new() -> Self {
        const { assert!(N > 0, "a descriptor ring needs at least one slot") };
        Ring { head: 0, tail: 0, given: 0 }
    }

    /// Forgets every given slot and starts again at slot 0.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Takes the next slot for the chip; `None` when all `N` are given.
    pub fn give(&mut self) -> Option<usize> {
        if self.given == N {
            return None;
        }
        let slot = self.head;
        self.head = (self.head + 1) % N;
        self.given += 1;
        Some(slot)
    }

    /// Takes back the oldest given slot; `None` when none is given.
    pub fn take(&mut self) -> Option<usize> {
        if self.given == 0 {
            return None;
        }
        let slot = self.tail;
        self.tail = (self.tail + 1) % N;
        self.given -= 1;
        Some(slot)
    }

    /// The slot [`Ring::take`] would return.
    pub fn oldest(&self) -> Option<usize> {
        (self.given > 0).then_some(self.tail)
    }

    /// The slot [`Ring::give`] would return.
    pub fn next_free(&self) -> Option<usize> {
        (self.given < N).then_some(self.head)
    }

    /// Slots with the chip.
    pub fn in_flight(&self) -> usize {
        self.given
    }

    /// Slots the driver may still give.
    pub fn free(&self) -> usize {
        N - self.given
    }

    /// No slot may be given.
    pub fn is_full(&self) -> bool {
        self.given == N
    }

    /// No slot is given.
    pub fn is_empty(&self) -> bool {
        self.given == 0
    }

    /// True if `slot` is with the chip.
    pub fn is_given(&self, slot: usize) -> bool {
        slot < N && (slot + N - self.tail) % N < self.given
    }

    /// The given slots, oldest first.
    pub fn given_slots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.given).map(move |i| (self.tail + i) % N)
    }

    /// The last slot carries the end-of-ring flag (TER / RER).
    pub const fn is_end_of_ring(slot: usize) -> bool {
        slot == N - 1
    }

    /// Byte offset of `slot` from the ring base (what CSR3/CSR4 hold).
    pub const fn offset(slot: usize) -> usize {
        slot * DESC_SIZE
    }

    /// The slot after `slot` in ring order.
    pub const fn next(slot: usize) -> usize {
        (slot + 1) % N
    }
}
