//! The receive half of the running 21143: the ring of receive
//! descriptors, its buffers mapped `FromDevice` while the chip owns them,
//! and the classification of what the chip closes.

use super::nic::{RX_DROP_ERRORS, RX_MAX_FL, RX_RING};
use super::regs::{Csrs, DescRing};
use crate::dma::{self, Direction, DmaDevice, StreamingMapping};
use crate::mm::{PhysAddr, phys_ptr};
use crate::net::{self, Counters};
use alloc::vec::Vec;
use log::error;
use tulip_ring::csr;
use tulip_ring::{CRC_LEN, Ring, RxDesc, RxErrors, rdes0};

/// A received frame, unmapped: the CPU owns its buffer until it is given
/// back with [`RxPart::recycle`].
#[derive(Debug)]
pub struct RxFrame {
    pub(super) pa: PhysAddr,
    pub(super) len: usize,
}

/// The receive half: ring, buffers, counters of its own.
pub struct RxPart {
    pub(super) csrs: Csrs,
    pub(super) dev: DmaDevice,
    /// The descriptors the chip reads (the ring block).
    pub(super) descs: DescRing,
    pub(super) ring: Ring<RX_RING>,
    /// The buffer in each slot the chip owns, mapped for it.
    pub(super) slot: [Option<StreamingMapping>; RX_RING],
    pub(super) free: Vec<PhysAddr>,
    pub(super) buf_len: usize,
    /// Dropping the rest of a frame that spans descriptors.
    pub(super) discarding: bool,
    /// CSR5 RU seen: write CSR2 after the next refill.
    pub(super) suspended: bool,
    pub counters: Counters,
}

impl RxPart {
    /// Gives free buffers to the chip, keeping one descriptor the host's
    /// (see "QEMU hazard: descriptor write-back" in `nic`).
    pub(super) fn refill(&mut self) {
        while self.ring.in_flight() < RX_RING - 1 {
            let Some(pa) = self.free.pop() else { break };
            let m = match dma::map_single(&self.dev, pa, self.buf_len, Direction::FromDevice) {
                Ok(m) => m,
                Err(e) => {
                    self.free.push(pa);
                    self.counters.dma_errors += 1;
                    error!("tulip: mapping a receive buffer: {e}");
                    break;
                }
            };
            let Some(bus32) = m.bus().to_u32() else {
                drop(m); // unmapped
                self.free.push(pa);
                self.counters.dma_errors += 1;
                break;
            };
            let Some(slot) = self.ring.next_free() else { break };
            let eor = Ring::<RX_RING>::is_end_of_ring(slot);
            let d = match RxDesc::single(bus32, self.buf_len, eor) {
                Ok(d) => d,
                Err(e) => {
                    // Cannot happen with a checked buf_len; undo and stop.
                    error!("tulip: RX descriptor: {e}");
                    drop(m); // unmapped
                    self.free.push(pa);
                    break;
                }
            };
            self.ring.give();
            self.slot[slot] = Some(m);
            self.descs.write(slot, d.owned().0);
        }
        if self.suspended && !self.ring.is_empty() {
            self.suspended = false;
            self.csrs.write(csr::CSR2, 0);
        }
    }

    /// Gives a frame's buffer back (it is mapped again by the refill).
    pub fn recycle(&mut self, f: RxFrame) {
        self.free.push(f.pa);
        self.refill();
    }

    fn drop_frame(&mut self, pa: PhysAddr) {
        self.counters.rx_dropped += 1;
        self.free.push(pa);
    }

    /// The next good frame the chip has closed, if any; frames with errors
    /// are counted and dropped on the way.
    pub fn next(&mut self) -> Option<RxFrame> {
        let r = self.next_inner();
        self.refill();
        r
    }

    fn next_inner(&mut self) -> Option<RxFrame> {
        loop {
            let slot = self.ring.oldest()?;
            let d = RxDesc(self.descs.read(slot));
            if d.is_owned() {
                return None;
            }
            self.ring.take();
            let Some(m) = self.slot[slot].take() else {
                error!("tulip: RX slot {slot} closed without a buffer: {d:?}");
                continue;
            };
            let (pa, bus) = (m.pa(), m.bus());
            if let Err(e) = m.unmap() {
                self.counters.dma_errors += 1;
                error!("tulip: unmapping RX buffer {bus:#x}: {e}");
            }
            if Some(d.buf1()) != bus.to_u32() {
                // The chip wrote somewhere else than this buffer: its
                // contents are not the frame.
                self.counters.rx_errors += 1;
                self.counters.desc_mismatch += 1;
                if self.counters.desc_mismatch <= 3 {
                    error!("tulip: RX slot {slot} came back with buffer {:#x}, given {bus:#x}: {d:?}", d.buf1());
                }
                self.drop_frame(pa);
                continue;
            }
            // The crate's classification (host-tested against a model of
            // the chip's status words); OWN was checked above.
            let Some(r) = d.received(RX_MAX_FL) else { continue };
            let last = r.status & rdes0::LS != 0;
            if self.discarding {
                // The rest of a frame already counted as truncated.
                self.discarding = !last;
                self.free.push(pa);
                continue;
            }
            if r.errors.contains(RxErrors::TRUNCATED) {
                self.counters.rx_truncated += 1;
                self.discarding = !last;
                self.drop_frame(pa);
                continue;
            }
            if r.errors.contains(RxErrors::RUNT) {
                self.counters.rx_runts += 1;
                self.drop_frame(pa);
                continue;
            }
            if r.errors.intersects(RxErrors::TOO_LONG | RxErrors::BAD_LENGTH) {
                self.counters.rx_oversize += 1;
                self.drop_frame(pa);
                continue;
            }
            if r.errors.intersects(RX_DROP_ERRORS) {
                self.counters.rx_errors += 1;
                self.drop_frame(pa);
                continue;
            }
            // Unmapping above was the CPU's sync point for the buffer.
            let len = r.len - CRC_LEN;
            self.counters.rx_packets += 1;
            self.counters.rx_bytes += len as u64;
            return Some(RxFrame { pa, len });
        }
    }

    /// Descriptors the chip owns now.
    pub fn in_flight(&self) -> usize {
        self.ring.in_flight()
    }
}

impl net::RxQueue for RxPart {
    fn next(&mut self) -> Option<net::RxFrame> {
        RxPart::next(self).map(|f| net::RxFrame::new(f.pa.as_u64(), f.len))
    }

    fn data<'a>(&'a self, frame: &'a net::RxFrame) -> &'a [u8] {
        // SAFETY: a frame `next` lent: `handle` is the physical address of
        // a receive buffer of at least `len` bytes that no mapping covers
        // any more; the driver does not reuse it before `recycle` takes the
        // frame back.
        unsafe { core::slice::from_raw_parts(phys_ptr::<u8>(PhysAddr::new(frame.handle())), frame.len()) }
    }

    fn recycle(&mut self, frame: net::RxFrame) {
        RxPart::recycle(self, RxFrame { pa: PhysAddr::new(frame.handle()), len: frame.len() });
    }
}
