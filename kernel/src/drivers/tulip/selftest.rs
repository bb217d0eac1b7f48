//! The DMA API's proof on the 21143: [`loopback_selftest`] (the
//! `tulip-loopback-*` self-tests) puts the chip in internal loopback,
//! transmits a 1514-byte frame from one buffer and receives it into
//! another, both reached by the chip through the DMA window the caller
//! forces (the descriptor rings too), and checks the data byte for byte.
//! A second phase then maps a fresh receive buffer, *unmaps* it, and gives
//! the chip a receive descriptor pointing at the stale bus address:
//! through the scatter-gather window the PTE is now invalid, so the chip's
//! write must not reach the memory. What QEMU's model and a real DS10 do
//! with each step: see the module documentation of [`super`].

use super::probe::{Tulip, probe};
use super::regs::{DMA_MASK, DescRing, FALLBACK_MAC, bus32, window_of};
use super::{DEVICE_21143, VENDOR_DEC};
use crate::arch::mb;
use crate::dma::{self, BusAddr, Coherent, Direction, DmaDevice, StreamingMapping, WindowPolicy, iommu};
use crate::mm::accounting::Compare;
use crate::mm::owner::Owner;
use crate::mm::{PAGE_SIZE, PhysAddr, page, phys_ptr};
use crate::time::wait_for;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bootparam::EarlyParams;
use core::fmt::Write;
use log::{error, info};
use tulip_ring::csr::{self, csr5, csr6};
use tulip_ring::{
    BROADCAST, CRC_LEN, DESC_SIZE, MAX_FRAME_LEN, Ring, RxDesc, SETUP_FRAME_LEN, TxDesc, TxErrors, mac_display, rdes1,
    setup_frame, tdes1,
};

const TX_SLOTS: usize = 4;
const RX_SLOTS: usize = 4;
/// Where the setup frame sits in the transmit ring's coherent block.
const SETUP_OFFSET: usize = 0x100;
/// The test frame: a full-sized untagged Ethernet frame without its CRC.
const FRAME_LEN: usize = 1514;
/// Receive buffer size per descriptor (Linux: 1536 + 4; a multiple of 4).
const RX_BUF_LEN: usize = 1536;
/// What receive memory holds before the chip writes it (Linux's POISON_FREE).
const POISON: u8 = 0x6b;
/// IEEE 802 local experimental EtherType.
const ETHERTYPE: u16 = 0x88b5;
/// How long the chip gets for each phase.
const TIMEOUT_US: u64 = 1_000_000;

/// Byte `i` of the test frame's payload: never the poison value, so every
/// byte the chip writes is visibly written.
fn pattern(i: usize) -> u8 {
    let b = (i.wrapping_mul(7) ^ (i >> 8).wrapping_mul(31)) as u8;
    if b == POISON { !b } else { b }
}

fn fill(pa: PhysAddr, len: usize, f: impl Fn(usize) -> u8) {
    let p = phys_ptr::<u8>(pa);
    for i in 0..len {
        // SAFETY: `pa` is a page this test owns, `len` at most its size.
        unsafe { p.add(i).write_volatile(f(i)) };
    }
}

fn byte(pa: PhysAddr, i: usize) -> u8 {
    // SAFETY: as in `fill`.
    unsafe { phys_ptr::<u8>(pa).add(i).read_volatile() }
}

/// The first offset in `[from, to)` of the page at `pa` not holding POISON.
fn first_unpoisoned(pa: PhysAddr, from: usize, to: usize) -> Option<usize> {
    mb();
    (from..to).find(|&i| byte(pa, i) != POISON)
}

/// Everything the test takes from the allocators, given back on drop in
/// the right order (chip stopped and reset first, then mappings, then
/// memory), on success and on every error path.
struct Session<'a> {
    nic: &'a Tulip,
    dev: DmaDevice,
    coherent: Vec<Coherent>,
    maps: Vec<StreamingMapping>,
    pages: Vec<PhysAddr>,
    /// CSR6 without SR/ST, once the chip was started.
    mode: Option<u32>,
}

impl<'a> Session<'a> {
    fn new(nic: &'a Tulip, dev: DmaDevice) -> Self {
        Session { nic, dev, coherent: Vec::new(), maps: Vec::new(), pages: Vec::new(), mode: None }
    }

    /// A zeroed coherent block: (CPU pointer, bus address).
    fn coherent(&mut self, what: &str, size: usize) -> Result<(*mut u8, BusAddr), String> {
        let c = dma::alloc_coherent(&self.dev, size).map_err(|e| format!("{what}: alloc_coherent: {e}"))?;
        let r = (c.cpu(), c.bus());
        self.coherent.push(c);
        Ok(r)
    }

    /// An order-0 buddy page (8 KiB).
    fn page(&mut self, what: &str) -> Result<PhysAddr, String> {
        let pa = page::alloc_pages(0, false, Owner::SELFTEST).map_err(|e| format!("{what}: alloc_pages: {e}"))?;
        self.pages.push(pa);
        Ok(pa)
    }

    fn map(&mut self, what: &str, pa: PhysAddr, len: usize, dir: Direction) -> Result<BusAddr, String> {
        let m = dma::map_single(&self.dev, pa, len, dir).map_err(|e| format!("{what}: map_single: {e}"))?;
        let bus = m.bus();
        self.maps.push(m);
        Ok(bus)
    }

    fn unmap(&mut self, what: &str, bus: BusAddr) -> Result<(), String> {
        let i = self.maps.iter().position(|m| m.bus() == bus).ok_or_else(|| format!("{what}: {bus:#x} is not mapped"))?;
        self.maps.remove(i).unmap().map_err(|e| format!("{what}: unmap_single: {e}"))
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(mode) = self.mode
            && !self.nic.stop(mode)
        {
            error!("tulip: processes did not stop: CSR5 {}", self.nic.status());
        }
        // The chip must forget the rings before they are freed.
        if let Err(e) = self.nic.reset() {
            error!("tulip: reset before teardown: {e}");
        }
        self.nic.pci.disable_bus_master();
        for m in self.maps.drain(..) {
            let (bus, len) = (m.bus(), m.len());
            if let Err(e) = m.unmap() {
                error!("tulip: unmapping {bus:#x}+{len:#x}: {e}");
            }
        }
        // Unmapped and given back as they are dropped (a refusal is
        // reported by DMA-API debug).
        self.coherent.clear();
        for pa in self.pages.drain(..) {
            if let Err(e) = page::free_pages(pa, 0) {
                error!("tulip: freeing page {pa:#x}: {e}");
            }
        }
    }
}

/// The internal-loopback DMA proof through the window `window` selects
/// (run it with [`WindowPolicy::ForceSg`] and [`WindowPolicy::ForceDirect`]).
///
/// Phase 1: descriptor rings from [`dma::alloc_coherent`], a transmit and a
/// receive buffer (buddy pages) mapped with [`dma::map_single`]
/// (`ToDevice` / `FromDevice`); a setup frame with the station address,
/// then a 1514-byte frame to that address (broadcast if the serial ROM has
/// none) in promiscuous mode; the receive descriptor must report a good
/// 1518-byte frame (CRC included), the data must equal what was sent byte
/// for byte, and nothing past the receive buffer may change.
///
/// Phase 2 (scatter-gather only; skipped and said so for the direct
/// window): a fresh receive buffer is mapped and unmapped, and a receive
/// descriptor pointing at the stale bus address is given to the chip with
/// a second transmission: the buffer must still hold only poison.
///
/// Everything is unmapped and freed on every path, and the page, CMA,
/// IOMMU and DMA-API-debug counts must end where they began. Returns a
/// summary naming the bus addresses and windows used.
pub fn loopback_selftest(window: WindowPolicy, params: &EarlyParams) -> Result<String, String> {
    let pci = crate::pci::find(VENDOR_DEC, DEVICE_21143)
        .ok_or_else(|| String::from("no DEC 21143 (1011:0019) on PCI bus 0 (QEMU: -nic user,model=tulip)"))?;
    // Probed first: the serial ROM copy it keeps is not the self-test's.
    let nic = probe(pci, params)?;
    let before = dma::accounting();
    let result = run(&nic, window);
    let after = dma::accounting();
    // The heap may grow while the test formats its messages: its pages
    // count as free.
    let diff = after.diff(&before, Compare::HeapAsFree);
    if !diff.is_empty() {
        let leak = format!("not everything was given back: {diff}");
        return Err(match result {
            Ok(s) => format!("{s}; but {leak}"),
            Err(e) => format!("{e}; and {leak}"),
        });
    }
    result
}

fn run(nic: &Tulip, window: WindowPolicy) -> Result<String, String> {
    let dev = DmaDevice::new("tulip", DMA_MASK, window);
    let mut s = Session::new(nic, dev);
    let c = nic.csrs;
    let mut out = String::new();
    let mac = nic.mac.ok();
    let _ = write!(
        out,
        "{} via {}, MAC {}, window {window:?}",
        nic.pci.bdf,
        nic.bar,
        match &mac {
            Some(m) => format!("{}", mac_display(m)),
            None => String::from("unknown (serial ROM)"),
        }
    );

    // Rings, the setup frame after the transmit ring.
    let (txr, txr_bus) = s.coherent("TX ring", SETUP_OFFSET + SETUP_FRAME_LEN)?;
    let (rxr, rxr_bus) = s.coherent("RX ring", RX_SLOTS * DESC_SIZE)?;
    let (txr32, rxr32) = (bus32("TX ring", txr_bus)?, bus32("RX ring", rxr_bus)?);
    // SAFETY: the two coherent blocks just allocated (page aligned; the TX
    // block holds TX_SLOTS descriptors before SETUP_OFFSET, the RX block
    // RX_SLOTS); the session keeps them until it is dropped at the end of
    // this function, after the chip is reset.
    let (tx_descs, rx_descs) = unsafe { (DescRing::new(txr, TX_SLOTS), DescRing::new(rxr, RX_SLOTS)) };

    // Buffers.
    let tx_pa = s.page("TX buffer")?;
    let rx_pa = s.page("RX buffer")?;
    let dst = mac.unwrap_or(BROADCAST);
    let src = mac.unwrap_or(FALLBACK_MAC);
    fill(tx_pa, PAGE_SIZE as usize, |i| match i {
        0..6 => dst[i],
        6..12 => src[i - 6],
        12 => (ETHERTYPE >> 8) as u8,
        13 => ETHERTYPE as u8,
        _ => pattern(i),
    });
    fill(rx_pa, PAGE_SIZE as usize, |_| POISON);
    let tx_bus = s.map("TX buffer", tx_pa, FRAME_LEN, Direction::ToDevice)?;
    let rx_bus = s.map("RX buffer", rx_pa, RX_BUF_LEN, Direction::FromDevice)?;
    let (tx32, rx32) = (bus32("TX buffer", tx_bus)?, bus32("RX buffer", rx_bus)?);

    // Every address must be in the window asked for.
    let want = match window {
        WindowPolicy::ForceSg => Some("scatter-gather"),
        WindowPolicy::ForceDirect => Some("direct"),
        WindowPolicy::Auto => None,
    };
    for (what, bus) in [("TX ring", txr_bus), ("RX ring", rxr_bus), ("TX buffer", tx_bus), ("RX buffer", rx_bus)] {
        let w = window_of(bus);
        if want.is_some_and(|want| want != w) {
            return Err(format!("{out}: {what} mapped at bus {bus:#x} ({w} window), not through the {window:?} window"));
        }
    }
    let sg = window_of(rx_bus) != "direct";
    if sg {
        for (what, pa, bus) in [("TX buffer", tx_pa, tx_bus), ("RX buffer", rx_pa, rx_bus)] {
            let pte = iommu::pte(bus);
            let want = (pa.as_u64() >> 12) | 1;
            if pte != Some(want) {
                return Err(format!("{out}: {what} pa {pa:#x} bus {bus:#x}: PTE {pte:x?}, expected {want:#x}"));
            }
        }
    }
    let _ = write!(
        out,
        "; rings bus {txr_bus:#x}/{rxr_bus:#x} ({}), TX pa {tx_pa:#x} -> bus {tx_bus:#x}, RX pa {rx_pa:#x} -> bus {rx_bus:#x} ({})",
        window_of(txr_bus),
        window_of(rx_bus)
    );

    // Setup frame: the perfect filter holds the station address.
    let filter: &[[u8; 6]] = match &mac {
        Some(m) => core::slice::from_ref(m),
        None => &[],
    };
    let frame = setup_frame(filter).map_err(|e| format!("setup frame: {e}"))?;
    for (i, b) in frame.iter().enumerate() {
        // SAFETY: the TX ring block is SETUP_OFFSET + SETUP_FRAME_LEN long.
        unsafe { txr.add(SETUP_OFFSET + i).write_volatile(*b) };
    }

    // Descriptors: every slot the host's, end of ring on the last.
    for slot in 0..TX_SLOTS {
        let eor = if Ring::<TX_SLOTS>::is_end_of_ring(slot) { tdes1::TER } else { 0 };
        // SAFETY: slot < TX_SLOTS, inside the TX ring block.
        tx_descs.write(slot, [0, eor, 0, 0]);
    }
    for slot in 0..RX_SLOTS {
        let eor = if Ring::<RX_SLOTS>::is_end_of_ring(slot) { rdes1::RER } else { 0 };
        // SAFETY: slot < RX_SLOTS, inside the RX ring block.
        rx_descs.write(slot, [0, eor, 0, 0]);
    }
    let mut txring = Ring::<TX_SLOTS>::new();
    let mut rxring = Ring::<RX_SLOTS>::new();
    let r0 = rxring.give().ok_or("RX ring full")?;
    let rd = RxDesc::single(rx32, RX_BUF_LEN, Ring::<RX_SLOTS>::is_end_of_ring(r0)).map_err(|e| format!("RX descriptor: {e}"))?;
    rx_descs.write(r0, rd.owned().0);
    let t_setup = txring.give().ok_or("TX ring full")?;
    let setup_bus = txr32 + SETUP_OFFSET as u32;
    tx_descs.write(t_setup, TxDesc::setup_frame(setup_bus, Ring::<TX_SLOTS>::is_end_of_ring(t_setup)).owned().0);
    let t_frame = txring.give().ok_or("TX ring full")?;
    let td = TxDesc::frame(tx32, FRAME_LEN, Ring::<TX_SLOTS>::is_end_of_ring(t_frame)).map_err(|e| format!("TX descriptor: {e}"))?;
    tx_descs.write(t_frame, td.owned().0);

    // Start: ring bases, the mode while stopped, then receive, then transmit.
    let mode = csr6::MBO | csr6::SF | csr6::PR | csr6::OM_INTERNAL_LOOPBACK;
    c.write(csr::CSR5, csr5::CLEAR_ALL);
    c.write(csr::CSR3, rxr32);
    c.write(csr::CSR4, txr32);
    c.write(csr::CSR6, mode);
    s.mode = Some(mode);
    c.write(csr::CSR6, mode | csr6::SR);
    c.write(csr::CSR6, mode | csr6::SR | csr6::ST);
    c.write(csr::CSR1, 0);

    let owned = |ring: &DescRing, slot: usize| ring.read(slot)[0] & (1 << 31) != 0;
    let done = wait_for(TIMEOUT_US, || {
        (!owned(&tx_descs, t_frame) && !owned(&rx_descs, r0)) || c.read(csr::CSR5) & csr5::FBE != 0
    });
    let st = nic.status();
    let (tsd, tfd, rxd) =
        (TxDesc(tx_descs.read(t_setup)), TxDesc(tx_descs.read(t_frame)), RxDesc(rx_descs.read(r0)));
    if !done {
        return Err(format!("{out}: no loopback within 1 s: CSR5 {st}, setup {tsd:?}, frame {tfd:?}, RX {rxd:?}"));
    }
    if st.0 & csr5::FBE != 0 {
        return Err(format!("{out}: fatal bus error: CSR5 {st}, setup {tsd:?}, frame {tfd:?}, RX {rxd:?}"));
    }
    // Transmit side, oldest first: the setup frame, then the frame.
    for (slot, d) in [(t_setup, tsd), (t_frame, tfd)] {
        if txring.oldest() != Some(slot) {
            return Err(format!("{out}: TX ring out of order at slot {slot}"));
        }
        let Some(done) = d.completion() else {
            return Err(format!("{out}: TX slot {slot} still owned by the chip: {d:?}, CSR5 {st}"));
        };
        if done.errors.intersects(TxErrors::FATAL) {
            return Err(format!("{out}: TX slot {slot} failed ({}): {d:?}", done.errors));
        }
        txring.take();
    }
    // Receive side.
    let Some(got) = rxd.received(MAX_FRAME_LEN) else {
        return Err(format!("{out}: RX descriptor still owned: {rxd:?}, CSR5 {st}"));
    };
    rxring.take();
    if !got.is_ok() || got.len != FRAME_LEN + CRC_LEN {
        return Err(format!(
            "{out}: received {} bytes with errors {} (expected {} and none): {rxd:?}",
            got.len,
            got.errors,
            FRAME_LEN + CRC_LEN
        ));
    }
    dma::sync_for_cpu(&s.dev, rx_bus, RX_BUF_LEN, Direction::FromDevice);
    if let Some(i) = (0..FRAME_LEN).find(|&i| byte(rx_pa, i) != byte(tx_pa, i)) {
        return Err(format!(
            "{out}: received data differs at byte {i}: {:#04x}, sent {:#04x}",
            byte(rx_pa, i),
            byte(tx_pa, i)
        ));
    }
    if let Some(i) = first_unpoisoned(rx_pa, RX_BUF_LEN, PAGE_SIZE as usize) {
        return Err(format!("{out}: the chip wrote past its {RX_BUF_LEN}-byte RX buffer (byte {i})"));
    }
    let _ = write!(
        out,
        "; {FRAME_LEN}-byte frame looped back (RDES0 {:#010x}: FL {}{}), data identical",
        got.status,
        got.len,
        if got.filter_failed() { ", FF" } else { "" }
    );
    info!("tulip: phase 1 ({window:?}): CSR5 {st}; setup {tsd:?}; frame {tfd:?}; RX {rxd:?}");

    // Phase 2: a removed mapping must stop the chip's write.
    if !sg {
        let _ = write!(out, "; stale-mapping phase skipped: the direct window maps all of memory, nothing to remove");
        return Ok(out);
    }
    let rx2_pa = s.page("stale RX buffer")?;
    fill(rx2_pa, PAGE_SIZE as usize, |_| POISON);
    let rx2_bus = s.map("stale RX buffer", rx2_pa, RX_BUF_LEN, Direction::FromDevice)?;
    let rx2_32 = bus32("stale RX buffer", rx2_bus)?;
    let pte_live = iommu::pte(rx2_bus);
    s.unmap("stale RX buffer", rx2_bus)?;
    let pte_dead = iommu::pte(rx2_bus);
    if pte_dead.is_some_and(|p| p & 1 != 0) {
        return Err(format!("{out}: PTE for {rx2_bus:#x} still valid after unmap: {pte_dead:x?}"));
    }
    let r1 = rxring.give().ok_or("RX ring full")?;
    let rd2 = RxDesc::single(rx2_32, RX_BUF_LEN, Ring::<RX_SLOTS>::is_end_of_ring(r1)).map_err(|e| format!("RX descriptor: {e}"))?;
    rx_descs.write(r1, rd2.owned().0);
    let t2 = txring.give().ok_or("TX ring full")?;
    let td2 = TxDesc::frame(tx32, FRAME_LEN, Ring::<TX_SLOTS>::is_end_of_ring(t2)).map_err(|e| format!("TX descriptor: {e}"))?;
    tx_descs.write(t2, td2.owned().0);
    c.write(csr::CSR5, csr5::CLEAR_ALL);
    c.write(csr::CSR2, 0);
    c.write(csr::CSR1, 0);
    let tx_done = wait_for(TIMEOUT_US, || !owned(&tx_descs, t2) || c.read(csr::CSR5) & csr5::FBE != 0);
    let rx_closed = wait_for(if tx_done { TIMEOUT_US } else { 0 }, || {
        !owned(&rx_descs, r1) || c.read(csr::CSR5) & csr5::FBE != 0
    }) && !owned(&rx_descs, r1);
    let st2 = nic.status();
    let (td2r, rd2r) = (TxDesc(tx_descs.read(t2)), RxDesc(rx_descs.read(r1)));
    info!("tulip: phase 2 ({window:?}): stale bus {rx2_bus:#x} PTE {pte_live:x?} -> {pte_dead:x?}; CSR5 {st2}; frame {td2r:?}; RX {rd2r:?}");
    if let Some(i) = first_unpoisoned(rx2_pa, 0, PAGE_SIZE as usize) {
        return Err(format!(
            "{out}; but the chip wrote through the removed mapping: byte {i} of pa {rx2_pa:#x} (bus {rx2_bus:#x}, PTE {pte_live:x?} -> {pte_dead:x?}) is {:#04x}; CSR5 {st2}, RX {rd2r:?}",
            byte(rx2_pa, i)
        ));
    }
    if !tx_done {
        return Err(format!("{out}: second transmission did not complete: CSR5 {st2}, {td2r:?}"));
    }
    let chip = if st2.0 & csr5::FBE != 0 {
        format!("the chip reported a fatal bus error (CSR5 {st2})")
    } else if rx_closed {
        format!(
            "the chip closed the RX descriptor unaware (RDES0 {:#010x}; QEMU ignores DMA errors)",
            rd2r.status()
        )
    } else {
        format!("the chip did not close the RX descriptor (CSR5 {st2})")
    };
    let _ = write!(
        out,
        "; stale mapping: bus {rx2_bus:#x} (PTE {:#x} -> {:#x}) refused the write, pa {rx2_pa:#x} still poison; {chip}",
        pte_live.unwrap_or(0),
        pte_dead.unwrap_or(0)
    );
    Ok(out)
}
