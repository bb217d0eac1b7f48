//! DEC 21143 "Tulip" Ethernet (PCI 1011:0019): the DMA API's proof on a
//! real (emulated) device, and a polled driver in normal mode ([`Nic`],
//! used by `net/` under smoltcp; see "The running NIC" further down).
//!
//! [`loopback_selftest`] puts the chip in internal loopback, transmits a
//! 1514-byte frame from one buffer and receives it into another, both
//! reached by the chip through the DMA window the caller forces (the
//! descriptor rings too), and checks the data byte for byte. A second phase
//! then maps a fresh receive buffer, *unmaps* it, and gives the chip a
//! receive descriptor pointing at the stale bus address: through the
//! scatter-gather window the PTE is now invalid, so the chip's write must
//! not reach the memory.
//!
//! # What QEMU's model does (`hw/net/tulip.c`, `hw/alpha/typhoon.c`)
//!
//! * CSRs are 32-bit, 8 bytes apart, in both BAR0 (I/O) and BAR1 (memory,
//!   128 bytes each); only 4-byte accesses are implemented.
//! * Writing CSR6 with ST processes the transmit list at once, during the
//!   CSR write; CSR1 does so again when the transmit process is suspended.
//!   A setup frame (192 bytes) loads the 16-entry perfect filter and gets
//!   status `0x7fffffff` back. With CSR6's operating mode non-zero (internal
//!   or external loopback), a transmitted frame is handed straight to the
//!   receive path instead of the network; without RX started (SR) it is
//!   dropped.
//! * Receive copies the frame plus 4 bytes (an unwritten CRC: whatever the
//!   model's frame buffer held) and reports FL = length + 4 and FS | LS
//!   only (the FF/MF bits its filter computes are overwritten before the
//!   descriptor is written). No CRC is computed. Broadcast always passes
//!   the filter; promiscuous (CSR6 PR, set after reset) passes everything.
//! * DMA errors are ignored: `pci_dma_write`/`pci_dma_read` results are not
//!   checked, CSR5 FBE is never set. The Typhoon IOMMU model has no TLB: it
//!   reads the PTE on every access, and an invalid PTE (or a bus address
//!   outside every window) makes the access fail silently (writes dropped,
//!   reads see nothing); "a translation failure here ought to ... generate
//!   a machine check" is a TODO there. So in phase 2 QEMU closes the
//!   receive descriptor as a good frame while the buffer stays untouched.
//!
//! # On a real DS10
//!
//! The Pchip would report the invalid PTE (a PCI target abort and a
//! machine check), and the 21143 would set CSR5 FBE and stop; the kernel
//! does not handle machine checks yet, so phase 2 is for QEMU (or a kernel
//! that handles them). Internal loopback on the 21143 reports no carrier
//! (TDES0 NC/LO) on the transmit side; those are not treated as errors.

use crate::arch::{mb, mmio, wmb};
use crate::dma::{self, Coherent, Direction, DmaDevice, WindowPolicy, iommu};
use crate::mm::owner::Owner;
use crate::mm::accounting::Compare;
use crate::mm::{PAGE_SIZE, page, phys_ptr};
use crate::pci::{self, Bar, BarExt, PciDevice};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use log::{error, info, warn};
use tulip_ring::csr::{self, Csr5, RxState, TxState, csr0, csr5, csr6};
use tulip_ring::{
    BROADCAST, CRC_LEN, DESC_SIZE, MAX_FRAME_LEN, Ring, RxDesc, RxErrors, SETUP_FRAME_LEN, TxDesc, TxErrors,
    mac_display, rdes0, rdes1, setup_frame, srom, srom_info, tdes1,
};

/// PCI vendor ID of Digital Equipment Corporation.
pub const VENDOR_DEC: u16 = 0x1011;
/// PCI device ID of the 21142/21143.
pub const DEVICE_21143: u16 = 0x0019;

/// The 21143 generates 32-bit bus addresses (no dual address cycles).
const DMA_MASK: u64 = 0xffff_ffff;
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
/// Source address when the serial ROM gives none (locally administered).
const FALLBACK_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x21, 0x14, 0x30];
/// How long the chip gets for each phase.
const TIMEOUT_US: u64 = 1_000_000;

/// The chip's CSR window (I/O or memory BAR) through KSEG.
#[derive(Clone, Copy)]
pub(super) struct Csrs {
    base: u64,
}

impl Csrs {
    /// A 32-bit CSR read (`arch::mmio`: one `ldl`, then `mb`).
    pub(super) fn read(self, off: usize) -> u32 {
        debug_assert!(off < csr::WINDOW_LEN && off % 4 == 0);
        // SAFETY: `base` is the KSEG address of the chip's 128-byte CSR BAR
        // with decode enabled; `off` is an aligned CSR offset inside it.
        unsafe { mmio::read32(self.base + off as u64) }
    }

    /// A 32-bit CSR write (`arch::mmio`: `mb`, one `stl`, `mb`): the
    /// barrier before makes descriptor writes reach memory before a start
    /// or poll demand.
    pub(super) fn write(self, off: usize, v: u32) {
        debug_assert!(off < csr::WINDOW_LEN && off % 4 == 0);
        // SAFETY: as in `read`.
        unsafe { mmio::write32(self.base + off as u64, v) }
    }
}

/// The CSR5 events that raise the 21143's interrupt line when interrupts
/// are on (CSR7 has the same layout as CSR5): the two summaries, receive,
/// transmit done, and the abnormal events the driver counts.
pub const CSR7_ENABLE: u32 =
    csr5::NIS | csr5::AIS | csr5::RI | csr5::TI | csr5::RU | csr5::UNF | csr5::FBE | csr5::TJT | csr5::RWT;

/// The CSR window of the NIC that owns an interrupt line, for the handler
/// (0: none). One NIC at a time.
static IRQ_CSRS: AtomicU64 = AtomicU64::new(0);
/// Interrupts the handler found the chip asserting (and masked).
static IRQ_TAKEN: AtomicU64 = AtomicU64::new(0);
/// Interrupts on the line while the chip showed no enabled event.
static IRQ_NOT_OURS: AtomicU64 = AtomicU64::new(0);
/// Set by the handler, cleared by [`Nic::poll`]: there is work.
static IRQ_WORK: AtomicBool = AtomicBool::new(false);

/// The device interrupt handler (runs at raised IPL: atomics and CSRs only).
/// The 21143's line is level-triggered and stays up while CSR5 & CSR7 has
/// a summary bit; instead of acknowledging here, the handler masks CSR7
/// (so the line drops at once) and leaves CSR5 to [`Nic::poll`], which
/// counts and acknowledges every event in one place; the loop unmasks with
/// [`Nic::arm_interrupts`] when it has nothing left to do.
fn irq_handler(_line: u32) {
    let base = IRQ_CSRS.load(Ordering::Acquire);
    if base == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let c = Csrs { base };
    if c.read(csr::CSR5) & c.read(csr::CSR7) & (csr5::NIS | csr5::AIS) == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    c.write(csr::CSR7, 0);
    IRQ_TAKEN.fetch_add(1, Ordering::Relaxed);
    IRQ_WORK.store(true, Ordering::Release);
}

/// Interrupt counters of the driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqCounters {
    /// Interrupts the chip raised (handled).
    pub taken: u64,
    /// Interrupts on the line that the chip had not raised.
    pub not_ours: u64,
}

pub fn irq_counters() -> IrqCounters {
    IrqCounters { taken: IRQ_TAKEN.load(Ordering::Relaxed), not_ours: IRQ_NOT_OURS.load(Ordering::Relaxed) }
}

/// Whether the interrupt handler has run since the last [`Nic::poll`].
pub fn irq_work_pending() -> bool {
    IRQ_WORK.load(Ordering::Acquire)
}

/// A found, reset 21143.
pub struct Tulip {
    pub pci: PciDevice,
    pub(super) csrs: Csrs,
    /// Which BAR the CSRs are reached through, for messages.
    pub bar: String,
    /// The station address from the serial ROM, or why it holds none.
    pub mac: Result<[u8; 6], srom::AddressProblem>,
    /// The whole serial ROM (64 or 256 words, as the address was found),
    /// as bytes in the order the chip shifts them out.
    pub(super) srom: Vec<u8>,
}

/// Busy-waits `us` microseconds on the cycle counter.
pub(super) fn delay_us(us: u64) {
    let f = crate::time::freq();
    if f == 0 {
        for _ in 0..us * 100 {
            core::hint::spin_loop();
        }
        return;
    }
    let start = crate::time::cycles();
    let n = us * f / 1_000_000;
    while crate::time::cycles() - start < n {
        core::hint::spin_loop();
    }
}

/// Polls `done` until it holds or `us` microseconds pass; true if it held.
pub(super) fn wait_for(us: u64, mut done: impl FnMut() -> bool) -> bool {
    let f = crate::time::freq();
    let start = crate::time::cycles();
    let limit = us * f / 1_000_000;
    let mut polls: u64 = 0;
    loop {
        if done() {
            return true;
        }
        polls += 1;
        // Without a known frequency, bound the polls instead.
        let expired = if f == 0 { polls > us * 10 } else { crate::time::cycles() - start > limit };
        if expired {
            return done();
        }
        core::hint::spin_loop();
    }
}

/// The CSR window: BAR1 (memory) if assigned, else BAR0 (I/O), as
/// (KSEG address, description, I/O decode, memory decode), from the BARs
/// the enumeration decoded.
fn csr_bar(pci: &PciDevice) -> Result<(u64, String, bool, bool), String> {
    let min = csr::WINDOW_LEN as u64;
    match (pci.bars[1], pci.bars[0]) {
        (Some(b @ Bar::Memory { addr, size, .. }), _) if addr != 0 && size >= min => {
            return Ok((b.kseg(), format!("BAR1 memory {addr:#x}"), false, true));
        }
        (_, Some(b @ Bar::Io { port, size })) if port != 0 && size as u64 >= min => {
            return Ok((b.kseg(), format!("BAR0 I/O {port:#x}"), true, false));
        }
        _ => {}
    }
    let show = |b: Option<Bar>| b.map_or(String::from("none (absent, or left out by the bus scan: see its pci line)"), |b| format!("{b}"));
    Err(format!(
        "{}: no usable CSR BAR: BAR1 (register 0x14) {}, BAR0 (register 0x10) {}; the CSRs need {} bytes at a non-zero address",
        pci.bdf,
        show(pci.bars[1]),
        show(pci.bars[0]),
        min
    ))
}

/// True if a 21143 was found on bus 0 (to skip the self-test without one).
#[allow(dead_code)]
pub fn present() -> bool {
    pci::find(VENDOR_DEC, DEVICE_21143).is_some()
}

/// Finds the 21143 on bus 0, enables its CSR BAR and bus mastering, resets
/// it and reads its station address.
pub fn probe() -> Result<Tulip, String> {
    let pci = pci::find(VENDOR_DEC, DEVICE_21143)
        .ok_or_else(|| String::from("no DEC 21143 (1011:0019) on PCI bus 0 (QEMU: -nic user,model=tulip)"))?;
    let (base, bar, io, memory) = csr_bar(&pci)?;
    pci.enable(io, memory, true);
    let mut nic =
        Tulip { pci, csrs: Csrs { base }, bar, mac: Err(srom::AddressProblem::Short), srom: Vec::new() };
    nic.reset()?;
    nic.read_srom();
    Ok(nic)
}

impl Tulip {
    /// Software reset (CSR0 SWR), then Linux's Alpha bus mode, interrupts
    /// off (the self-test polls), status cleared; both processes must be
    /// stopped afterwards.
    pub fn reset(&self) -> Result<(), String> {
        let c = self.csrs;
        c.write(csr::CSR0, csr0::SWR);
        delay_us(100);
        c.write(csr::CSR0, csr0::LINUX_ALPHA);
        delay_us(10);
        if c.read(csr::CSR0) == 0xffff_ffff {
            return Err(format!("{}: CSR0 reads all ones through {}: the chip does not answer", self.pci.bdf, self.bar));
        }
        c.write(csr::CSR7, 0);
        c.write(csr::CSR5, csr5::CLEAR_ALL);
        let s = c.read(csr::CSR5);
        if csr::rx_state(s) != RxState::Stopped || csr::tx_state(s) != TxState::Stopped {
            return Err(format!("{}: not stopped after reset: CSR5 {}", self.pci.bdf, Csr5(s)));
        }
        Ok(())
    }

    /// CSR5.
    pub fn status(&self) -> Csr5 {
        Csr5(self.csrs.read(csr::CSR5))
    }

    /// Reads the station address from serial ROM words 10-12 (a 64-word
    /// part first, as QEMU has, then a 256-word one), then the whole ROM
    /// at the address width that gave a valid address (6 bits if none did:
    /// `mac` then says why the 64-word reading is no station address);
    /// `tulip_ring::srom::read_rom` decides.
    ///
    /// `tulip_srom=ones` (or `zeros`), a test: CSR9's data-out bit reads
    /// as stuck high (low) while the ROM is read, as with no ROM fitted or
    /// an erased one, which QEMU's NIC never has.
    fn read_srom(&mut self) {
        let params = bootparam::EarlyParams::parse(crate::bootinfo::read_cmdline());
        let stuck = match params.get("tulip_srom") {
            Some("ones") => Some(true),
            Some("zeros") => Some(false),
            Some(v) => {
                warn!("tulip: tulip_srom={v} ignored: expected ones or zeros");
                None
            }
            None => None,
        };
        if let Some(high) = stuck {
            warn!(
                "tulip: {}: tulip_srom=: CSR9's serial ROM data-out bit will read {} (a test)",
                self.pci.bdf,
                if high { "high" } else { "low" }
            );
        }
        let c = self.csrs;
        let mut words = [0u16; srom::MAX_WORDS];
        let r = srom::read_rom(
            |w, bits| {
                srom::read_word(
                    w,
                    bits,
                    |v| c.write(csr::CSR9, v),
                    || match stuck {
                        None => c.read(csr::CSR9),
                        Some(true) => c.read(csr::CSR9) | srom::DO,
                        Some(false) => c.read(csr::CSR9) & !srom::DO,
                    },
                )
            },
            &mut words,
        );
        let mut rom = alloc::vec![0u8; 2 * r.words];
        srom_info::words_to_bytes(&words[..r.words], &mut rom);
        self.mac = r.mac;
        self.srom = rom;
    }

    /// Clears SR and ST and waits (10 ms at most) for both processes to stop.
    fn stop(&self, mode: u32) -> bool {
        self.csrs.write(csr::CSR6, mode & !(csr6::SR | csr6::ST));
        wait_for(10_000, || {
            let s = self.csrs.read(csr::CSR5);
            csr::rx_state(s) == RxState::Stopped && csr::tx_state(s) == TxState::Stopped
        })
    }
}

/// Writes a descriptor: words 1-3, a write barrier, then word 0 (OWN) last.
///
/// SAFETY (callers): `ring` is a coherent block holding at least
/// `slot + 1` descriptors.
unsafe fn write_desc(ring: *mut u8, slot: usize, w: [u32; 4]) {
    // SAFETY: inside the ring block, 4-byte aligned (the block is page aligned).
    let p = unsafe { ring.add(slot * DESC_SIZE) } as *mut u32;
    unsafe {
        p.add(1).write_volatile(w[1].to_le());
        p.add(2).write_volatile(w[2].to_le());
        p.add(3).write_volatile(w[3].to_le());
    }
    wmb();
    unsafe { p.write_volatile(w[0].to_le()) };
    wmb();
}

/// Reads a descriptor as the chip left it.
///
/// SAFETY (callers): as for [`write_desc`].
unsafe fn read_desc(ring: *mut u8, slot: usize) -> [u32; 4] {
    mb();
    // SAFETY: inside the ring block, aligned.
    let p = unsafe { ring.add(slot * DESC_SIZE) } as *const u32;
    core::array::from_fn(|i| u32::from_le(unsafe { p.add(i).read_volatile() }))
}

/// Which window a bus address lies in.
fn window_of(bus: u64) -> &'static str {
    if (iommu::DIRECT_BASE..iommu::DIRECT_BASE + iommu::DIRECT_SIZE).contains(&bus) {
        "direct"
    } else if (iommu::PCI_SG_BASE..iommu::PCI_SG_BASE + iommu::pci_sg_size()).contains(&bus) {
        "scatter-gather"
    } else if (iommu::ISA_SG_BASE..iommu::ISA_SG_BASE + iommu::ISA_SG_SIZE).contains(&bus) {
        "ISA scatter-gather"
    } else {
        "no window"
    }
}

fn bus32(what: &str, bus: u64) -> Result<u32, String> {
    u32::try_from(bus).map_err(|_| format!("{what}: bus address {bus:#x} does not fit the 21143's 32 bits"))
}

/// Byte `i` of the test frame's payload: never the poison value, so every
/// byte the chip writes is visibly written.
fn pattern(i: usize) -> u8 {
    let b = (i.wrapping_mul(7) ^ (i >> 8).wrapping_mul(31)) as u8;
    if b == POISON { !b } else { b }
}

fn fill(pa: u64, len: usize, f: impl Fn(usize) -> u8) {
    let p = phys_ptr::<u8>(pa);
    for i in 0..len {
        // SAFETY: `pa` is a page this test owns, `len` at most its size.
        unsafe { p.add(i).write_volatile(f(i)) };
    }
}

fn byte(pa: u64, i: usize) -> u8 {
    // SAFETY: as in `fill`.
    unsafe { phys_ptr::<u8>(pa).add(i).read_volatile() }
}

/// The first offset in `[from, to)` of the page at `pa` not holding POISON.
fn first_unpoisoned(pa: u64, from: usize, to: usize) -> Option<usize> {
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
    maps: Vec<(u64, usize, Direction)>,
    pages: Vec<u64>,
    /// CSR6 without SR/ST, once the chip was started.
    mode: Option<u32>,
}

impl<'a> Session<'a> {
    fn new(nic: &'a Tulip, dev: DmaDevice) -> Self {
        Session { nic, dev, coherent: Vec::new(), maps: Vec::new(), pages: Vec::new(), mode: None }
    }

    /// A zeroed coherent block: (CPU pointer, bus address).
    fn coherent(&mut self, what: &str, size: usize) -> Result<(*mut u8, u64), String> {
        let c = dma::alloc_coherent(&self.dev, size).map_err(|e| format!("{what}: alloc_coherent: {e}"))?;
        let r = (c.cpu, c.bus);
        self.coherent.push(c);
        Ok(r)
    }

    /// An order-0 buddy page (8 KiB).
    fn page(&mut self, what: &str) -> Result<u64, String> {
        let pa = page::alloc_pages(0, false, Owner::SELFTEST).map_err(|e| format!("{what}: alloc_pages: {e}"))?;
        self.pages.push(pa);
        Ok(pa)
    }

    fn map(&mut self, what: &str, pa: u64, len: usize, dir: Direction) -> Result<u64, String> {
        let bus = dma::map_single(&self.dev, pa, len, dir).map_err(|e| format!("{what}: map_single: {e}"))?;
        self.maps.push((bus, len, dir));
        Ok(bus)
    }

    fn unmap(&mut self, what: &str, bus: u64) -> Result<(), String> {
        let i = self.maps.iter().position(|m| m.0 == bus).ok_or_else(|| format!("{what}: {bus:#x} is not mapped"))?;
        let (bus, len, dir) = self.maps.remove(i);
        dma::unmap_single(&self.dev, bus, len, dir).map_err(|e| format!("{what}: unmap_single: {e}"))
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
        for (bus, len, dir) in self.maps.drain(..) {
            if let Err(e) = dma::unmap_single(&self.dev, bus, len, dir) {
                error!("tulip: unmapping {bus:#x}+{len:#x}: {e}");
            }
        }
        for c in self.coherent.drain(..) {
            dma::free_coherent(&self.dev, c);
        }
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
pub fn loopback_selftest(window: WindowPolicy) -> Result<String, String> {
    // Probed first: the serial ROM copy it keeps is not the self-test's.
    let nic = probe()?;
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
    let dev = DmaDevice { name: "tulip", dma_mask: DMA_MASK, policy: window };
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
            if pte != Some((pa >> 12) | 1) {
                return Err(format!("{out}: {what} pa {pa:#x} bus {bus:#x}: PTE {pte:x?}, expected {:#x}", (pa >> 12) | 1));
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
        unsafe { write_desc(txr, slot, [0, eor, 0, 0]) };
    }
    for slot in 0..RX_SLOTS {
        let eor = if Ring::<RX_SLOTS>::is_end_of_ring(slot) { rdes1::RER } else { 0 };
        // SAFETY: slot < RX_SLOTS, inside the RX ring block.
        unsafe { write_desc(rxr, slot, [0, eor, 0, 0]) };
    }
    let mut txring = Ring::<TX_SLOTS>::new();
    let mut rxring = Ring::<RX_SLOTS>::new();
    let r0 = rxring.give().ok_or("RX ring full")?;
    let rd = RxDesc::single(rx32, RX_BUF_LEN, Ring::<RX_SLOTS>::is_end_of_ring(r0)).map_err(|e| format!("RX descriptor: {e}"))?;
    // SAFETY (all descriptor accesses below): the slots come from the rings.
    unsafe { write_desc(rxr, r0, rd.owned().0) };
    let t_setup = txring.give().ok_or("TX ring full")?;
    let setup_bus = txr32 + SETUP_OFFSET as u32;
    unsafe { write_desc(txr, t_setup, TxDesc::setup_frame(setup_bus, Ring::<TX_SLOTS>::is_end_of_ring(t_setup)).owned().0) };
    let t_frame = txring.give().ok_or("TX ring full")?;
    let td = TxDesc::frame(tx32, FRAME_LEN, Ring::<TX_SLOTS>::is_end_of_ring(t_frame)).map_err(|e| format!("TX descriptor: {e}"))?;
    unsafe { write_desc(txr, t_frame, td.owned().0) };

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

    let owned = |ring: *mut u8, slot: usize| unsafe { read_desc(ring, slot) }[0] & (1 << 31) != 0;
    let done = wait_for(TIMEOUT_US, || {
        (!owned(txr, t_frame) && !owned(rxr, r0)) || c.read(csr::CSR5) & csr5::FBE != 0
    });
    let st = nic.status();
    let (tsd, tfd, rxd) =
        unsafe { (TxDesc(read_desc(txr, t_setup)), TxDesc(read_desc(txr, t_frame)), RxDesc(read_desc(rxr, r0))) };
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
    unsafe { write_desc(rxr, r1, rd2.owned().0) };
    let t2 = txring.give().ok_or("TX ring full")?;
    let td2 = TxDesc::frame(tx32, FRAME_LEN, Ring::<TX_SLOTS>::is_end_of_ring(t2)).map_err(|e| format!("TX descriptor: {e}"))?;
    unsafe { write_desc(txr, t2, td2.owned().0) };
    c.write(csr::CSR5, csr5::CLEAR_ALL);
    c.write(csr::CSR2, 0);
    c.write(csr::CSR1, 0);
    let tx_done = wait_for(TIMEOUT_US, || !owned(txr, t2) || c.read(csr::CSR5) & csr5::FBE != 0);
    let rx_closed = wait_for(if tx_done { TIMEOUT_US } else { 0 }, || {
        !owned(rxr, r1) || c.read(csr::CSR5) & csr5::FBE != 0
    }) && !owned(rxr, r1);
    let st2 = nic.status();
    let (td2r, rd2r) = unsafe { (TxDesc(read_desc(txr, t2)), RxDesc(read_desc(rxr, r1))) };
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

// ---------------------------------------------------------------------------
// The running NIC: polled receive and transmit in normal mode.
// ---------------------------------------------------------------------------
//
// # Buffers and the streaming DMA API
//
// Receive buffers (`BUF_STRIDE` bytes each, four to an 8 KiB buddy page)
// are mapped `FromDevice` when a descriptor is given to the chip (refill)
// and unmapped when the chip hands the descriptor back; only then does the
// CPU read them. Transmit buffers (same carving) are filled by the CPU,
// mapped `ToDevice` for exactly the frame's length, and unmapped when the
// chip closes the descriptor. The descriptor rings and the setup frame are
// in coherent memory. Every mapping is thus live only while the chip owns
// it, and DMA-API debug sees each one.
//
// # Receive errors
//
// A frame the chip closes with errors is dropped and counted, its buffer
// refilled at once: runts (RDES0 RF, or shorter than an Ethernet header
// plus CRC), oversized frames (longer than a VLAN-tagged 1522-byte frame,
// RDES0 TL, or longer than the buffer), frames spread over several
// descriptors (FS without LS: the buffer was too small; every descriptor
// up to the one with LS is dropped with it) and frames with other errors
// (RDES0 ES: CRC, collision, watchdog, overflow...). QEMU copies frames as
// given and does not pad short ones (a 42-byte ARP reply arrives with FL
// 46); real hardware would see them padded to 64, so frames from 18 bytes
// (with CRC) up are accepted.
//
// When the chip finds no descriptor it owns (the ring is full of frames
// the stack has not taken yet) it sets CSR5 RU and drops the frame (QEMU
// drops it too); the next poll counts the event, refills, and writes CSR2
// (receive poll demand) so that a suspended receive process resumes.
//
// # QEMU hazard: frames over several descriptors
//
// QEMU's model keeps a partly copied frame (`rx_frame_len`) when it runs
// out of descriptors in the middle of it and never resumes copying: every
// later frame is then refused. This cannot happen with buffers of at least
// 1518 bytes (QEMU's user network sends at most 1514-byte frames); small
// buffers (`net_rxbuf=`, for testing the truncation path) need the ring
// drained faster than frames arrive.
//
// # QEMU hazard: descriptor write-back
//
// QEMU's model closes a receive descriptor by writing all four words back
// from its I/O thread, status (OWN clear) *first*, while the CPU runs on.
// A driver that refills the very descriptor it just took (which is what a
// full ring does: the slot freed is the next one to give) can write the
// new buffer address and OWN before QEMU's stale buffer-address write
// lands: the chip then owns a descriptor pointing at the old, unmapped
// buffer. The soak test saw this about once every 15 s under load. The
// ring therefore never has more than `RX_RING - 1` descriptors with the
// chip: the slot refilled is then always one the chip finished before the
// frame whose status the CPU has seen, so its write-back is complete. (A
// real 21143 writes only RDES0, so this costs it one descriptor.) Should
// a descriptor still come back with another buffer address than the one
// given, the frame is dropped and counted (`desc_mismatch`).
//
// # Media
//
// `Nic::start` first sets the medium up (`tulip_media.rs`: serial ROM
// info leaf, MII PHY scan and autonegotiation, or the SIA/SYM port with
// the 21143's own autonegotiation) and runs with the CSR6 media bits it
// returns (PS/HBD/TTM/PCS/SCR/FD). QEMU's model ignores them; a real
// DS10 needs them. Link changes after start are not followed.

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
const RX_MAX_FL: usize = tulip_ring::MAX_VLAN_FRAME_LEN;
/// Chip-reported errors that drop a whole frame (a dribbling bit alone
/// does not: with a good CRC the frame is whole).
const RX_DROP_ERRORS: RxErrors = RxErrors::CRC
    .union(RxErrors::COLLISION)
    .union(RxErrors::WATCHDOG)
    .union(RxErrors::MII)
    .union(RxErrors::OVERFLOW)
    .union(RxErrors::SUMMARY_ONLY);

/// What the NIC counted since it was brought up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Frames received with RDES0 ES (CRC, collision, watchdog, ...), not
    /// counting runts, oversized and truncated frames.
    pub rx_errors: u64,
    /// Transmissions the chip reported failed (fatal TDES0 bits).
    pub tx_errors: u64,
    /// Received frames dropped for any reason (the sum of the causes).
    pub rx_dropped: u64,
    /// Frames not sent: ring full at send time, too long, or unmappable.
    pub tx_dropped: u64,
    pub rx_runts: u64,
    pub rx_oversize: u64,
    /// Frames spread over several descriptors (or closed with DE).
    pub rx_truncated: u64,
    /// CSR5 RU events: the chip found the receive ring full.
    pub rx_ring_full: u64,
    /// Times the stack asked to send with every transmit slot busy.
    pub tx_ring_full: u64,
    /// CSR8 missed-frame and FIFO-overflow counts (both 0 in QEMU).
    pub rx_missed: u64,
    pub rx_fifo_overflows: u64,
    /// DMA map/unmap failures (each one's frame dropped).
    pub dma_errors: u64,
    /// CSR5 FBE: a fatal bus error (the chip stops; never set by QEMU).
    pub fatal_bus_errors: u64,
    /// Transmit underflows (CSR5 UNF).
    pub tx_underflows: u64,
    /// Descriptors handed back with another buffer address than given.
    pub desc_mismatch: u64,
}

/// One receive or transmit buffer while the chip owns it.
#[derive(Clone, Copy, Debug)]
struct Mapped {
    pa: u64,
    bus: u64,
    len: usize,
}

/// A received frame, unmapped: the CPU owns its buffer until it is given
/// back with [`RxPart::recycle`].
#[derive(Debug)]
pub struct RxFrame {
    pa: u64,
    len: usize,
}

impl RxFrame {
    /// The frame's bytes (without the CRC).
    pub fn data(&self) -> &[u8] {
        // SAFETY: `pa` is a receive buffer of at least `len` bytes that no
        // mapping covers any more (unmapped when the chip handed it back);
        // the driver does not reuse it before `recycle` consumes `self`.
        unsafe { core::slice::from_raw_parts(phys_ptr::<u8>(self.pa), self.len) }
    }
}

/// The receive half: ring, buffers, counters of its own.
pub struct RxPart {
    csrs: Csrs,
    dev: DmaDevice,
    ring_cpu: *mut u8,
    ring: Ring<RX_RING>,
    slot: [Option<Mapped>; RX_RING],
    free: Vec<u64>,
    buf_len: usize,
    /// Dropping the rest of a frame that spans descriptors.
    discarding: bool,
    /// CSR5 RU seen: write CSR2 after the next refill.
    suspended: bool,
    pub counters: Counters,
}

/// The transmit half.
pub struct TxPart {
    csrs: Csrs,
    dev: DmaDevice,
    ring_cpu: *mut u8,
    ring: Ring<TX_RING>,
    slot: [Option<Mapped>; TX_RING],
    free: Vec<u64>,
    /// Where frames go when they cannot be sent (the stack always gets a
    /// buffer to write into).
    scratch: Vec<u8>,
    pub counters: Counters,
}

/// The 21143 up in normal mode: perfect filter on its own address and
/// broadcast, receive and transmit started, polled.
pub struct Nic {
    chip: Tulip,
    dev: DmaDevice,
    pub mac: [u8; 6],
    mode: u32,
    rx_ring: Option<Coherent>,
    tx_ring: Option<Coherent>,
    pages: Vec<u64>,
    pub rx: RxPart,
    pub tx: TxPart,
    /// Counters of chip-wide events (CSR5, CSR8).
    events: Counters,
    stopped: bool,
    /// The Cchip line while interrupts are on (`None`: polled).
    irq_line: Option<u32>,
    /// What the media setup chose (its log line).
    media: String,
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

impl RxPart {
    /// Gives free buffers to the chip, keeping one descriptor the host's
    /// (see "QEMU hazard: descriptor write-back" above).
    fn refill(&mut self) {
        while self.ring.in_flight() < RX_RING - 1 {
            let Some(pa) = self.free.pop() else { break };
            let bus = match dma::map_single(&self.dev, pa, self.buf_len, Direction::FromDevice) {
                Ok(b) => b,
                Err(e) => {
                    self.free.push(pa);
                    self.counters.dma_errors += 1;
                    error!("tulip: mapping a receive buffer: {e}");
                    break;
                }
            };
            let Ok(bus32) = u32::try_from(bus) else {
                let _ = dma::unmap_single(&self.dev, bus, self.buf_len, Direction::FromDevice);
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
                    let _ = dma::unmap_single(&self.dev, bus, self.buf_len, Direction::FromDevice);
                    self.free.push(pa);
                    break;
                }
            };
            self.ring.give();
            self.slot[slot] = Some(Mapped { pa, bus, len: self.buf_len });
            // SAFETY: slot < RX_RING, inside the coherent ring block.
            unsafe { write_desc(self.ring_cpu, slot, d.owned().0) };
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

    fn drop_frame(&mut self, pa: u64) {
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
            // SAFETY: slot < RX_RING, inside the ring block.
            let d = RxDesc(unsafe { read_desc(self.ring_cpu, slot) });
            if d.is_owned() {
                return None;
            }
            self.ring.take();
            let Some(m) = self.slot[slot].take() else {
                error!("tulip: RX slot {slot} closed without a buffer: {d:?}");
                continue;
            };
            if let Err(e) = dma::unmap_single(&self.dev, m.bus, m.len, Direction::FromDevice) {
                self.counters.dma_errors += 1;
                error!("tulip: unmapping RX buffer {:#x}: {e}", m.bus);
            }
            if d.buf1() != m.bus as u32 {
                // The chip wrote somewhere else than this buffer: its
                // contents are not the frame.
                self.counters.rx_errors += 1;
                self.counters.desc_mismatch += 1;
                if self.counters.desc_mismatch <= 3 {
                    error!("tulip: RX slot {slot} came back with buffer {:#x}, given {:#x}: {d:?}", d.buf1(), m.bus);
                }
                self.drop_frame(m.pa);
                continue;
            }
            // The crate's classification (host-tested against a model of
            // the chip's status words); OWN was checked above.
            let Some(r) = d.received(RX_MAX_FL) else { continue };
            let last = r.status & rdes0::LS != 0;
            if self.discarding {
                // The rest of a frame already counted as truncated.
                self.discarding = !last;
                self.free.push(m.pa);
                continue;
            }
            if r.errors.contains(RxErrors::TRUNCATED) {
                self.counters.rx_truncated += 1;
                self.discarding = !last;
                self.drop_frame(m.pa);
                continue;
            }
            if r.errors.contains(RxErrors::RUNT) {
                self.counters.rx_runts += 1;
                self.drop_frame(m.pa);
                continue;
            }
            if r.errors.intersects(RxErrors::TOO_LONG | RxErrors::BAD_LENGTH) {
                self.counters.rx_oversize += 1;
                self.drop_frame(m.pa);
                continue;
            }
            if r.errors.intersects(RX_DROP_ERRORS) {
                self.counters.rx_errors += 1;
                self.drop_frame(m.pa);
                continue;
            }
            // Unmapping above was the CPU's sync point for the buffer.
            let len = r.len - CRC_LEN;
            self.counters.rx_packets += 1;
            self.counters.rx_bytes += len as u64;
            return Some(RxFrame { pa: m.pa, len });
        }
    }

    /// Descriptors the chip owns now.
    pub fn in_flight(&self) -> usize {
        self.ring.in_flight()
    }
}

impl TxPart {
    /// Takes back what the chip has sent: unmaps, frees the buffers, counts.
    pub fn reclaim(&mut self) {
        while let Some(slot) = self.ring.oldest() {
            // SAFETY: slot < TX_RING, inside the ring block.
            let d = TxDesc(unsafe { read_desc(self.ring_cpu, slot) });
            let Some(done) = d.completion() else { break };
            self.ring.take();
            let Some(m) = self.slot[slot].take() else {
                continue; // the setup frame (coherent memory)
            };
            if let Err(e) = dma::unmap_single(&self.dev, m.bus, m.len, Direction::ToDevice) {
                self.counters.dma_errors += 1;
                error!("tulip: unmapping TX buffer {:#x}: {e}", m.bus);
            }
            self.free.push(m.pa);
            if done.setup {
                continue;
            }
            if done.errors.intersects(TxErrors::FATAL) {
                self.counters.tx_errors += 1;
            } else {
                self.counters.tx_packets += 1;
                self.counters.tx_bytes += m.len as u64;
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
        let bus = match dma::map_single(&self.dev, pa, len, Direction::ToDevice) {
            Ok(b) => b,
            Err(e) => {
                self.free.push(pa);
                self.counters.tx_dropped += 1;
                self.counters.dma_errors += 1;
                error!("tulip: mapping a transmit buffer: {e}");
                return r;
            }
        };
        let (Ok(bus32), Some(slot)) = (u32::try_from(bus), self.ring.give()) else {
            let _ = dma::unmap_single(&self.dev, bus, len, Direction::ToDevice);
            self.free.push(pa);
            self.counters.tx_dropped += 1;
            return r;
        };
        let eor = Ring::<TX_RING>::is_end_of_ring(slot);
        // len is in 1..=MTU_FRAME, so the descriptor is valid.
        let d = TxDesc::new(bus32, len, 0, 0, tdes1::FS | tdes1::LS | if eor { tdes1::TER } else { 0 })
            .unwrap_or_default();
        self.slot[slot] = Some(Mapped { pa, bus, len });
        // SAFETY: slot < TX_RING, inside the ring block.
        unsafe { write_desc(self.ring_cpu, slot, d.owned().0) };
        // Transmit poll demand (QEMU sends during this write).
        self.csrs.write(csr::CSR1, 0);
        r
    }

    pub fn in_flight(&self) -> usize {
        self.ring.in_flight()
    }
}

/// The station address to use: the serial ROM's, or, with an error that
/// says why, the locally administered fallback. A ROM whose checksum does
/// not match is reported too; its address is still used when it is a
/// valid unicast one (a real board's own address is likelier right than
/// any made-up one), and the media code still reads its info leaf, whose
/// parser checks every block's bounds.
fn station_address(chip: &Tulip) -> [u8; 6] {
    // A ROM that reads the same 0xffff (or 0x0000) in every word holds
    // nothing: one message for it, not a checksum mismatch and a missing
    // address besides.
    if let Some(s) = srom::stuck(&chip.srom) {
        error!(
            "tulip: {}: serial ROM (read through CSR9) {s}: no station address or media information in it; using the locally administered {} instead (unique only while one such NIC is on the segment)",
            chip.pci.bdf,
            mac_display(&FALLBACK_MAC)
        );
        return FALLBACK_MAC;
    }
    if let Some(c) = srom_info::check_crc(&chip.srom).filter(|c| !c.ok()) {
        error!(
            "tulip: {}: serial ROM checksum mismatch (stored {:#06x}, computed {:#06x} over {} bytes): its contents may be corrupt",
            chip.pci.bdf,
            c.stored,
            c.computed,
            chip.srom.len()
        );
    }
    match chip.mac {
        Ok(m) => m,
        Err(p) => {
            error!(
                "tulip: {}: serial ROM holds no station address: {p}; using the locally administered {} instead (unique only while one such NIC is on the segment)",
                chip.pci.bdf,
                mac_display(&FALLBACK_MAC)
            );
            FALLBACK_MAC
        }
    }
}

fn carve(pages: &[u64], count: usize) -> Vec<u64> {
    let per_page = PAGE_SIZE as usize / BUF_STRIDE;
    (0..count).map(|i| pages[i / per_page] + ((i % per_page) * BUF_STRIDE) as u64).collect()
}

impl Nic {
    /// Probes, allocates rings and buffers, loads the perfect filter (own
    /// address + broadcast), and starts receive and transmit in normal mode.
    pub fn up(cfg: NicConfig) -> Result<Nic, String> {
        let buf_len = cfg.rx_buf_len;
        if !(64..=0x7fc).contains(&buf_len) || buf_len % 4 != 0 {
            return Err(format!("receive buffer length {buf_len}: must be a multiple of 4 in 64..=2044"));
        }
        let chip = probe()?;
        let mac = station_address(&chip);
        let dev = DmaDevice { name: "tulip", dma_mask: DMA_MASK, policy: WindowPolicy::Auto };
        let csrs = chip.csrs;
        let (c0, d0, p0) = (csrs, dev, core::ptr::null_mut());
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
                ring_cpu: p0,
                ring: Ring::new(),
                slot: [None; RX_RING],
                free: Vec::new(),
                buf_len,
                discarding: false,
                suspended: false,
                counters: Counters::default(),
            },
            tx: TxPart {
                csrs: c0,
                dev: d0,
                ring_cpu: p0,
                ring: Ring::new(),
                slot: [None; TX_RING],
                free: Vec::new(),
                scratch: Vec::new(),
                counters: Counters::default(),
            },
            events: Counters::default(),
            stopped: false,
            irq_line: None,
            media: String::new(),
        };
        // From here on, `Drop` gives everything back on error.
        nic.start()?;
        Ok(nic)
    }

    fn start(&mut self) -> Result<(), String> {
        // The medium first, with both processes stopped (after probe's reset).
        let media = super::tulip_media::setup(&self.chip);
        let media_bits = media.csr6 & tulip_ring::media::CSR6_MEDIA_MASK;
        self.media = media.summary;
        let rx_ring = dma::alloc_coherent(&self.dev, RX_RING * DESC_SIZE).map_err(|e| format!("RX ring: {e}"))?;
        let (rx_cpu, rx_bus) = (rx_ring.cpu, rx_ring.bus);
        self.rx_ring = Some(rx_ring);
        let tx_ring = dma::alloc_coherent(&self.dev, TX_RING * DESC_SIZE + SETUP_FRAME_LEN).map_err(|e| format!("TX ring: {e}"))?;
        let (tx_cpu, tx_bus) = (tx_ring.cpu, tx_ring.bus);
        self.tx_ring = Some(tx_ring);
        let (rx32, tx32) = (bus32("RX ring", rx_bus)?, bus32("TX ring", tx_bus)?);
        self.rx.ring_cpu = rx_cpu;
        self.tx.ring_cpu = tx_cpu;

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
            // SAFETY: slot < RX_RING, inside the RX ring block.
            unsafe { write_desc(rx_cpu, slot, [0, eor, 0, 0]) };
        }
        for slot in 0..TX_RING {
            let eor = if Ring::<TX_RING>::is_end_of_ring(slot) { tdes1::TER } else { 0 };
            // SAFETY: slot < TX_RING, inside the TX ring block.
            unsafe { write_desc(tx_cpu, slot, [0, eor, 0, 0]) };
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
        // SAFETY: slot from the ring.
        unsafe { write_desc(tx_cpu, t, setup.owned().0) };

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
        let loaded = wait_for(100_000, || {
            // SAFETY: slot t of the TX ring.
            !TxDesc(unsafe { read_desc(tx_cpu, t) }).is_owned()
        });
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

    /// The PCI device (for interrupt routing).
    pub fn pci(&self) -> &PciDevice {
        &self.chip.pci
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
        let window = self.rx_ring.as_ref().map_or("none", |r| window_of(r.bus));
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
        for (m, dir) in self
            .rx
            .slot
            .iter_mut()
            .map(|s| (s.take(), Direction::FromDevice))
            .chain(self.tx.slot.iter_mut().map(|s| (s.take(), Direction::ToDevice)))
        {
            if let Some(m) = m
                && let Err(e) = dma::unmap_single(&self.dev, m.bus, m.len, dir)
            {
                error!("tulip: unmapping {:#x}+{:#x}: {e}", m.bus, m.len);
            }
        }
        self.rx.ring.reset();
        self.tx.ring.reset();
        self.rx.free.clear();
        self.tx.free.clear();
        for c in [self.rx_ring.take(), self.tx_ring.take()].into_iter().flatten() {
            dma::free_coherent(&self.dev, c);
        }
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
