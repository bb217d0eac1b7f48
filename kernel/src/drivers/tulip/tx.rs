//! The transmit half of the running 21143: the ring of transmit
//! descriptors and its buffers, each mapped `ToDevice` for exactly the
//! frame's length until the chip has sent it.

use super::nic::{MTU_FRAME, TX_RING};
use super::regs::{Csrs, DescRing};
use crate::dma::{self, Direction, DmaDevice, StreamingMapping};
use crate::mm::{PhysAddr, phys_ptr};
use crate::net::Counters;
use alloc::vec::Vec;
use log::error;
use tulip_ring::csr;
use tulip_ring::{Ring, TxDesc, TxErrors, tdes1};

/// The transmit half.
pub struct TxPart {
    pub(super) csrs: Csrs,
    pub(super) dev: DmaDevice,
    /// The descriptors the chip reads (the ring block).
    pub(super) descs: DescRing,
    pub(super) ring: Ring<TX_RING>,
    /// The buffer in each slot the chip owns, mapped for it.
    pub(super) slot: [Option<StreamingMapping>; TX_RING],
    pub(super) free: Vec<PhysAddr>,
    /// Where frames go when they cannot be sent (the stack always gets a
    /// buffer to write into).
    pub(super) scratch: Vec<u8>,
    pub counters: Counters,
}

impl TxPart {
    /// Takes back what the chip has sent: unmaps, frees the buffers, counts.
    pub fn reclaim(&mut self) {
        while let Some(slot) = self.ring.oldest() {
            let d = TxDesc(self.descs.read(slot));
            let Some(done) = d.completion() else { break };
            self.ring.take();
            let Some(m) = self.slot[slot].take() else {
                continue; // the setup frame (coherent memory)
            };
            let (pa, bus, len) = (m.pa(), m.bus(), m.len());
            if let Err(e) = m.unmap() {
                self.counters.dma_errors += 1;
                error!("tulip: unmapping TX buffer {bus:#x}: {e}");
            }
            self.free.push(pa);
            if done.setup {
                continue;
            }
            if done.errors.intersects(TxErrors::FATAL) {
                self.counters.tx_errors += 1;
            } else {
                self.counters.tx_packets += 1;
                self.counters.tx_bytes += len as u64;
            }
        }
    }

    /// True if a frame can be queued now (after reclaiming).
    pub fn ready(&mut self) -> bool {
        self.reclaim();
        let ok = !self.ring.is_full() && !self.free.is_empty();
        if !ok {
            self.counters.tx_ring_full += 1;
        }
        ok
    }

    /// Lets `fill` write a `len`-byte frame and queues it. If it cannot be
    /// sent (ring full, too long, not mappable), `fill` still runs (on a
    /// scratch buffer) and the frame is counted as dropped.
    pub fn send<R>(&mut self, len: usize, fill: impl FnOnce(&mut [u8]) -> R) -> R {
        self.reclaim();
        if len == 0 || len > MTU_FRAME || self.ring.is_full() || self.free.is_empty() {
            self.counters.tx_dropped += 1;
            if self.scratch.len() < len {
                self.scratch.resize(len, 0);
            }
            return fill(&mut self.scratch[..len]);
        }
        let Some(pa) = self.free.pop() else { unreachable!() };
        // SAFETY: a transmit buffer of BUF_STRIDE >= len bytes, not mapped.
        let buf = unsafe { core::slice::from_raw_parts_mut(phys_ptr::<u8>(pa), len) };
        let r = fill(buf);
        let m = match dma::map_single(&self.dev, pa, len, Direction::ToDevice) {
            Ok(m) => m,
            Err(e) => {
                self.free.push(pa);
                self.counters.tx_dropped += 1;
                self.counters.dma_errors += 1;
                error!("tulip: mapping a transmit buffer: {e}");
                return r;
            }
        };
        let (Some(bus32), Some(slot)) = (m.bus().to_u32(), self.ring.give()) else {
            drop(m); // unmapped
            self.free.push(pa);
            self.counters.tx_dropped += 1;
            return r;
        };
        let eor = Ring::<TX_RING>::is_end_of_ring(slot);
        // len is in 1..=MTU_FRAME, so the descriptor is valid.
        let d = TxDesc::new(bus32, len, 0, 0, tdes1::FS | tdes1::LS | if eor { tdes1::TER } else { 0 })
            .unwrap_or_default();
        self.slot[slot] = Some(m);
        self.descs.write(slot, d.owned().0);
        // Transmit poll demand (QEMU sends during this write).
        self.csrs.write(csr::CSR1, 0);
        r
    }

    pub fn in_flight(&self) -> usize {
        self.ring.in_flight()
    }
}

impl crate::net::TxQueue for TxPart {
    fn ready(&mut self) -> bool {
        TxPart::ready(self)
    }

    fn send(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) {
        TxPart::send(self, len, fill)
    }
}
