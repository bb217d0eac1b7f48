//! The running 21143: polled receive and transmit in normal mode, the
//! device `net/` drives through [`crate::net::NetDevice`].
//!
//! # Buffers and the streaming DMA API
//!
//! Receive buffers (`BUF_STRIDE` bytes each, four to an 8 KiB buddy page)
//! are mapped `FromDevice` when a descriptor is given to the chip (refill)
//! and unmapped when the chip hands the descriptor back; only then does the
//! CPU read them. Transmit buffers (same carving) are filled by the CPU,
//! mapped `ToDevice` for exactly the frame's length, and unmapped when the
//! chip closes the descriptor. The descriptor rings and the setup frame are
//! in coherent memory. Every mapping is thus live only while the chip owns
//! it, and DMA-API debug sees each one.
//!
//! # Receive errors
//!
//! A frame the chip closes with errors is dropped and counted, its buffer
//! refilled at once: runts (RDES0 RF, or shorter than an Ethernet header
//! plus CRC), oversized frames (longer than a VLAN-tagged 1522-byte frame,
//! RDES0 TL, or longer than the buffer), frames spread over several
//! descriptors (FS without LS: the buffer was too small; every descriptor
//! up to the one with LS is dropped with it) and frames with other errors
//! (RDES0 ES: CRC, collision, watchdog, overflow...). QEMU copies frames as
//! given and does not pad short ones (a 42-byte ARP reply arrives with FL
//! 46); real hardware would see them padded to 64, so frames from 18 bytes
//! (with CRC) up are accepted.
//!
//! When the chip finds no descriptor it owns (the ring is full of frames
//! the stack has not taken yet) it sets CSR5 RU and drops the frame (QEMU
//! drops it too); the next poll counts the event, refills, and writes CSR2
//! (receive poll demand) so that a suspended receive process resumes.
//!
//! # QEMU hazard: frames over several descriptors
//!
//! QEMU's model keeps a partly copied frame (`rx_frame_len`) when it runs
//! out of descriptors in the middle of it and never resumes copying: every
//! later frame is then refused. This cannot happen with buffers of at least
//! 1518 bytes (QEMU's user network sends at most 1514-byte frames); small
//! buffers (`net_rxbuf=`, for testing the truncation path) need the ring
//! drained faster than frames arrive.
//!
//! # QEMU hazard: descriptor write-back
//!
//! QEMU's model closes a receive descriptor by writing all four words back
//! from its I/O thread, status (OWN clear) *first*, while the CPU runs on.
//! A driver that refills the very descriptor it just took (which is what a
//! full ring does: the slot freed is the next one to give) can write the
//! new buffer address and OWN before QEMU's stale buffer-address write
//! lands: the chip then owns a descriptor pointing at the old, unmapped
//! buffer. The soak test saw this about once every 15 s under load. The
//! ring therefore never has more than `RX_RING - 1` descriptors with the
//! chip: the slot refilled is then always one the chip finished before the
//! frame whose status the CPU has seen, so its write-back is complete. (A
//! real 21143 writes only RDES0, so this costs it one descriptor.) Should
//! a descriptor still come back with another buffer address than the one
//! given, the frame is dropped and counted (`desc_mismatch`).
//!
//! # Media
//!
//! `Nic::start` first sets the medium up (`media.rs`: serial ROM
//! info leaf, MII PHY scan and autonegotiation, or the SIA/SYM port with
//! the 21143's own autonegotiation) and runs with the CSR6 media bits it
//! returns (PS/HBD/TTM/PCS/SCR/FD). QEMU's model ignores them; a real
//! DS10 needs them. Link changes after start are not followed.

use super::irq::{CSR7_ENABLE, IRQ_CSRS, IRQ_WORK, irq_handler};
use super::probe::{Tulip, probe, station_address};
use super::regs::{DMA_MASK, DescRing, bus32, window_of};
use super::rx::RxPart;
use super::tx::TxPart;
use crate::dma::{self, Coherent, DmaDevice, WindowPolicy};
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page};
use crate::net::Counters;
use crate::pci::PciDevice;
use crate::platform::Choice;
use crate::time::wait_for;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bootparam::EarlyParams;
use core::sync::atomic::Ordering;
use log::error;
use tulip_ring::csr::{self, Csr5, csr5, csr6};
use tulip_ring::{DESC_SIZE, Ring, RxErrors, SETUP_FRAME_LEN, TxDesc, mac_display, rdes1, setup_frame, tdes1};

/// Receive descriptors in the ring.
pub const RX_RING: usize = 32;
/// Transmit descriptors in the ring.
pub const TX_RING: usize = 32;
/// Receive buffers beyond the ring's (one is lent to the stack while it
/// reads a frame).
const RX_SPARE: usize = 4;
/// Carving stride of packet buffers inside a buddy page.
const BUF_STRIDE: usize = 2048;
/// Default receive buffer length (Linux's PKT_BUF_SZ): any Ethernet frame
/// with its CRC fits one descriptor.
pub const RX_BUF_DEFAULT: usize = 1536;
/// The largest frame the stack may send (without the CRC the chip adds).
pub const MTU_FRAME: usize = 1514;
/// Longest acceptable received frame, CRC included (VLAN tagged).
pub(super) const RX_MAX_FL: usize = tulip_ring::MAX_VLAN_FRAME_LEN;
/// Chip-reported errors that drop a whole frame (a dribbling bit alone
/// does not: with a good CRC the frame is whole).
pub(super) const RX_DROP_ERRORS: RxErrors = RxErrors::CRC
    .union(RxErrors::COLLISION)
    .union(RxErrors::WATCHDOG)
    .union(RxErrors::MII)
    .union(RxErrors::OVERFLOW)
    .union(RxErrors::SUMMARY_ONLY);

/// The 21143 up in normal mode: perfect filter on its own address and
/// broadcast, receive and transmit started, polled.
pub struct Nic {
    chip: Tulip,
    dev: DmaDevice,
    pub mac: [u8; 6],
    mode: u32,
    rx_ring: Option<Coherent>,
    tx_ring: Option<Coherent>,
    pages: Vec<PhysAddr>,
    pub rx: RxPart,
    pub tx: TxPart,
    /// Counters of chip-wide events (CSR5, CSR8).
    events: Counters,
    stopped: bool,
    /// The Cchip line while interrupts are on (`None`: polled).
    irq_line: Option<u32>,
    /// What the media setup chose (its log line).
    media: String,
    /// The machine the NIC sits in (its interrupt routing).
    platform: Choice,
}

/// Tunables (boot parameters `net_rxbuf=`).
#[derive(Clone, Copy, Debug)]
pub struct NicConfig {
    /// Receive buffer length: a multiple of 4, 64..=2044.
    pub rx_buf_len: usize,
}

impl Default for NicConfig {
    fn default() -> Self {
        NicConfig { rx_buf_len: RX_BUF_DEFAULT }
    }
}

fn carve(pages: &[PhysAddr], count: usize) -> Vec<PhysAddr> {
    let per_page = PAGE_SIZE as usize / BUF_STRIDE;
    (0..count).map(|i| pages[i / per_page] + ((i % per_page) * BUF_STRIDE) as u64).collect()
}

impl Nic {
    /// Probes, allocates rings and buffers, loads the perfect filter (own
    /// address + broadcast), and starts receive and transmit in normal mode.
    /// `params`: the boot parameters the serial ROM and media setup read
    /// (`tulip_srom=`, `tulip_media=`).
    /// `platform`: the machine, whose routing gives the interrupt line.
    pub fn up(pci: PciDevice, cfg: NicConfig, params: &EarlyParams, platform: Choice) -> Result<Nic, String> {
        let buf_len = cfg.rx_buf_len;
        if !(64..=0x7fc).contains(&buf_len) || buf_len % 4 != 0 {
            return Err(format!("receive buffer length {buf_len}: must be a multiple of 4 in 64..=2044"));
        }
        let chip = probe(pci, params)?;
        let mac = station_address(&chip);
        let dev = DmaDevice::new("tulip", DMA_MASK, WindowPolicy::Auto);
        let csrs = chip.csrs;
        let (c0, d0) = (csrs, dev);
        let mut nic = Nic {
            chip,
            dev,
            mac,
            mode: 0,
            rx_ring: None,
            tx_ring: None,
            pages: Vec::new(),
            rx: RxPart {
                csrs: c0,
                dev: d0,
                descs: DescRing::NONE,
                ring: Ring::new(),
                slot: [const { None }; RX_RING],
                free: Vec::new(),
                buf_len,
                discarding: false,
                suspended: false,
                counters: Counters::default(),
            },
            tx: TxPart {
                csrs: c0,
                dev: d0,
                descs: DescRing::NONE,
                ring: Ring::new(),
                slot: [const { None }; TX_RING],
                free: Vec::new(),
                scratch: Vec::new(),
                counters: Counters::default(),
            },
            events: Counters::default(),
            stopped: false,
            irq_line: None,
            media: String::new(),
            platform,
        };
        // From here on, `Drop` gives everything back on error.
        nic.start(params)?;
        Ok(nic)
    }

    fn start(&mut self, params: &EarlyParams) -> Result<(), String> {
        // The medium first, with both processes stopped (after probe's reset).
        let media = super::media::setup(&self.chip, params);
        let media_bits = media.csr6 & tulip_ring::media::CSR6_MEDIA_MASK;
        self.media = media.summary;
        let rx_ring = dma::alloc_coherent(&self.dev, RX_RING * DESC_SIZE).map_err(|e| format!("RX ring: {e}"))?;
        let (rx_cpu, rx_bus) = (rx_ring.cpu(), rx_ring.bus());
        self.rx_ring = Some(rx_ring);
        let tx_ring = dma::alloc_coherent(&self.dev, TX_RING * DESC_SIZE + SETUP_FRAME_LEN).map_err(|e| format!("TX ring: {e}"))?;
        let (tx_cpu, tx_bus) = (tx_ring.cpu(), tx_ring.bus());
        self.tx_ring = Some(tx_ring);
        let (rx32, tx32) = (bus32("RX ring", rx_bus)?, bus32("TX ring", tx_bus)?);
        // SAFETY: the ring blocks are the coherent buffers just allocated
        // (page aligned, RX_RING and TX_RING descriptors long); the Nic
        // keeps them in rx_ring/tx_ring until `down`, which stops the chip
        // and the parts before giving them back.
        self.rx.descs = unsafe { DescRing::new(rx_cpu, RX_RING) };
        self.tx.descs = unsafe { DescRing::new(tx_cpu, TX_RING) };

        let per_page = PAGE_SIZE as usize / BUF_STRIDE;
        let nbufs = RX_RING + RX_SPARE + TX_RING;
        for _ in 0..nbufs.div_ceil(per_page) {
            let pa = page::alloc_pages(0, false, Owner::NET_BUFFERS).map_err(|e| format!("packet buffers: {e}"))?;
            self.pages.push(pa);
        }
        let bufs = carve(&self.pages, nbufs);
        self.rx.free = bufs[..RX_RING + RX_SPARE].to_vec();
        self.tx.free = bufs[RX_RING + RX_SPARE..].to_vec();

        // Every descriptor the host's, end of ring on the last ones.
        for slot in 0..RX_RING {
            let eor = if Ring::<RX_RING>::is_end_of_ring(slot) { rdes1::RER } else { 0 };
            self.rx.descs.write(slot, [0, eor, 0, 0]);
        }
        for slot in 0..TX_RING {
            let eor = if Ring::<TX_RING>::is_end_of_ring(slot) { tdes1::TER } else { 0 };
            self.tx.descs.write(slot, [0, eor, 0, 0]);
        }
        self.rx.refill();
        if self.rx.ring.in_flight() == 0 {
            return Err(String::from("no receive buffer could be mapped"));
        }

        // The setup frame: perfect filtering, own address (unused entries
        // are broadcast, which the chip accepts anyway).
        let frame = setup_frame(core::slice::from_ref(&self.mac)).map_err(|e| format!("setup frame: {e}"))?;
        let setup_off = TX_RING * DESC_SIZE;
        for (i, b) in frame.iter().enumerate() {
            // SAFETY: the TX ring block has SETUP_FRAME_LEN bytes after the ring.
            unsafe { tx_cpu.add(setup_off + i).write_volatile(*b) };
        }
        let t = self.tx.ring.give().ok_or("TX ring full")?;
        let setup = TxDesc::setup_frame(tx32 + setup_off as u32, Ring::<TX_RING>::is_end_of_ring(t));
        self.tx.descs.write(t, setup.owned().0);

        // Normal mode, store and forward, not promiscuous (CSR6 PR, set at
        // reset, is cleared by writing the whole register), perfect filter.
        let c = self.chip.csrs;
        self.mode = csr6::MBO | csr6::SF | csr6::OM_NORMAL | media_bits;
        c.write(csr::CSR7, 0);
        c.write(csr::CSR5, csr5::CLEAR_ALL);
        c.write(csr::CSR3, rx32);
        c.write(csr::CSR4, tx32);
        c.write(csr::CSR6, self.mode);
        // Transmit first, so the filter is loaded before anything arrives.
        c.write(csr::CSR6, self.mode | csr6::ST);
        c.write(csr::CSR1, 0);
        let loaded = wait_for(100_000, || !TxDesc(self.tx.descs.read(t)).is_owned());
        if !loaded {
            return Err(format!("setup frame not taken within 100 ms: CSR5 {}", self.chip.status()));
        }
        self.tx.reclaim();
        c.write(csr::CSR6, self.mode | csr6::ST | csr6::SR);
        c.write(csr::CSR2, 0);
        Ok(())
    }

    /// Acknowledges CSR5 events, counts them, reclaims transmitted frames
    /// and refills the receive ring. Call often.
    pub fn poll(&mut self) {
        let c = self.chip.csrs;
        IRQ_WORK.store(false, Ordering::Release);
        let s = c.read(csr::CSR5);
        let ev = s & csr5::CLEAR_ALL;
        if ev != 0 {
            c.write(csr::CSR5, ev);
        }
        if s & csr5::RU != 0 {
            self.events.rx_ring_full += 1;
            self.rx.suspended = true;
        }
        if s & csr5::UNF != 0 {
            self.events.tx_underflows += 1;
        }
        if s & csr5::FBE != 0 {
            self.events.fatal_bus_errors += 1;
            if self.events.fatal_bus_errors <= 3 {
                error!("tulip: fatal bus error: CSR5 {} (the chip has stopped; a reset is needed)", Csr5(s));
            }
        }
        if s & (csr5::RU | csr5::RPS) != 0 {
            // CSR8 (read clears it on a real chip): missed frames, FIFO overflows.
            let m = c.read(csr::CSR8);
            self.events.rx_missed += (m & 0xffff) as u64;
            self.events.rx_fifo_overflows += ((m >> 17) & 0x7ff) as u64;
        }
        self.tx.reclaim();
        self.rx.refill();
    }

    /// Unmasks the chip's interrupts (CSR7) if they are on; the caller is
    /// about to sleep until one. The handler masks them again when it runs,
    /// so a busy loop works by polling, not one interrupt per frame. An
    /// event that arrived since the last poll is still set in CSR5, so the
    /// line rises at once and nothing is missed.
    pub fn arm_interrupts(&self) {
        if self.irq_line.is_some() {
            self.chip.csrs.write(csr::CSR7, CSR7_ENABLE);
        }
    }

    /// Turns interrupts on: the handler on Cchip `line`, then CSR7. The
    /// caller lowers the IPL; [`Nic::poll`] keeps working the same way.
    pub fn enable_interrupts(&mut self, line: u32) -> Result<(), String> {
        if IRQ_CSRS.compare_exchange(0, self.chip.csrs.base, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return Err(String::from("another 21143 already uses interrupts"));
        }
        if let Err(e) = crate::irq::enable(line, irq_handler) {
            IRQ_CSRS.store(0, Ordering::Release);
            return Err(format!("Cchip line {line}: {e}"));
        }
        self.irq_line = Some(line);
        self.chip.csrs.write(csr::CSR7, CSR7_ENABLE);
        Ok(())
    }

    /// Turns interrupts off (CSR7 masked, the Cchip line masked, the
    /// handler removed): the NIC is polled from now on.
    pub fn disable_interrupts(&mut self) {
        if let Some(line) = self.irq_line.take() {
            self.chip.csrs.write(csr::CSR7, 0);
            crate::irq::disable(line);
            IRQ_CSRS.store(0, Ordering::Release);
        }
    }

    /// The Cchip line while interrupts are on.
    pub fn irq_line(&self) -> Option<u32> {
        self.irq_line
    }

    /// What the media setup chose (the `tulip: media:` line's text).
    #[allow(dead_code)]
    pub fn media(&self) -> &str {
        &self.media
    }

    /// Every counter, summed over both halves and the chip events.
    pub fn counters(&self) -> Counters {
        let (r, t, e) = (&self.rx.counters, &self.tx.counters, &self.events);
        Counters {
            rx_packets: r.rx_packets,
            rx_bytes: r.rx_bytes,
            tx_packets: t.tx_packets,
            tx_bytes: t.tx_bytes,
            rx_errors: r.rx_errors,
            tx_errors: t.tx_errors,
            rx_dropped: r.rx_dropped,
            tx_dropped: t.tx_dropped,
            rx_runts: r.rx_runts,
            rx_oversize: r.rx_oversize,
            rx_truncated: r.rx_truncated,
            rx_ring_full: e.rx_ring_full,
            tx_ring_full: t.tx_ring_full,
            rx_missed: e.rx_missed,
            rx_fifo_overflows: e.rx_fifo_overflows,
            dma_errors: r.dma_errors + t.dma_errors,
            fatal_bus_errors: e.fatal_bus_errors,
            tx_underflows: e.tx_underflows,
            desc_mismatch: r.desc_mismatch,
        }
    }

    /// PCI location and CSR BAR, for messages.
    pub fn describe(&self) -> String {
        let window = self.rx_ring.as_ref().map_or("none", |r| window_of(r.bus()));
        format!(
            "{} via {}, MAC {}, RX ring {RX_RING} x {} B, TX ring {TX_RING}, rings in the {window} window, CSR6 {:#010x}",
            self.chip.pci.bdf,
            self.chip.bar,
            mac_display(&self.mac),
            self.rx.buf_len,
            self.mode | csr6::ST | csr6::SR
        )
    }

    /// Stops both processes, resets the chip, then unmaps and frees every
    /// buffer and both rings. Also done by `Drop`.
    pub fn down(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.disable_interrupts();
        if self.mode != 0 && !self.chip.stop(self.mode) {
            error!("tulip: processes did not stop: CSR5 {}", self.chip.status());
        }
        // The chip must forget the rings before they are freed.
        if let Err(e) = self.chip.reset() {
            error!("tulip: reset before teardown: {e}");
        }
        self.chip.pci.disable_bus_master();
        // Frames the chip sent are counted; the rest are simply released.
        self.tx.reclaim();
        for m in self.rx.slot.iter_mut().chain(self.tx.slot.iter_mut()).filter_map(Option::take) {
            let (bus, len) = (m.bus(), m.len());
            if let Err(e) = m.unmap() {
                error!("tulip: unmapping {bus:#x}+{len:#x}: {e}");
            }
        }
        self.rx.ring.reset();
        self.tx.ring.reset();
        self.rx.free.clear();
        self.tx.free.clear();
        // Unmapped and given back as they are dropped (a refusal is
        // reported by DMA-API debug).
        drop(self.rx_ring.take());
        drop(self.tx_ring.take());
        for pa in self.pages.drain(..) {
            if let Err(e) = page::free_pages(pa, 0) {
                error!("tulip: freeing page {pa:#x}: {e}");
            }
        }
    }
}

impl Drop for Nic {
    fn drop(&mut self) {
        self.down();
    }
}

impl crate::net::NetDevice for Nic {
    fn driver(&self) -> &'static str {
        "tulip"
    }

    fn chip(&self) -> &'static str {
        "21143"
    }

    fn model(&self) -> &'static str {
        "DEC 21143"
    }

    fn location(&self) -> String {
        format!("{}", self.chip.pci.bdf)
    }

    fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn max_frame(&self) -> usize {
        MTU_FRAME
    }

    fn describe(&self) -> String {
        Nic::describe(self)
    }

    fn poll(&mut self) {
        Nic::poll(self)
    }

    fn queues(&mut self) -> (&mut dyn crate::net::RxQueue, &mut dyn crate::net::TxQueue) {
        (&mut self.rx, &mut self.tx)
    }

    fn in_flight(&self) -> (usize, usize) {
        (self.rx.in_flight(), self.tx.in_flight())
    }

    fn counters(&self) -> Counters {
        Nic::counters(self)
    }

    fn routed_line(&self) -> Option<Result<u32, String>> {
        Some(super::irq::routed_line(&self.chip.pci, &self.platform))
    }

    fn enable_interrupts(&mut self, line: u32) -> Result<(), String> {
        Nic::enable_interrupts(self, line)
    }

    fn disable_interrupts(&mut self) {
        Nic::disable_interrupts(self)
    }

    fn arm_interrupts(&self) {
        Nic::arm_interrupts(self)
    }

    fn irq_line(&self) -> Option<u32> {
        Nic::irq_line(self)
    }

    fn irq_work_pending(&self) -> bool {
        super::irq::irq_work_pending()
    }

    fn irq_counters(&self) -> crate::net::IrqCounters {
        super::irq::irq_counters()
    }

    fn down(&mut self) {
        Nic::down(self)
    }
}
