//! Bus-master IDE (SFF-8038i): a generic channel core (`sff`: command
//! block, control block, bus-master registers; `ata`: taskfile, waits,
//! reset, IDENTIFY, PIO) and the chip parts (`cmd646`: QEMU clipper's
//! CMD646; `ali`: the DS10's ALi M5229), offered to the block layer as a
//! [`BlockDevice`].
//!
//! # Probe
//!
//! The programming interface says, per channel, whether it runs in native
//! PCI mode (bit 0 / bit 2: command and control blocks in BAR0/1 and
//! BAR2/3) or in compatibility mode (the legacy ports 0x1f0/0x3f6 and
//! 0x170/0x376, in PCI I/O space); the bus-master block is BAR4 (8 bytes
//! per channel). The first channel the chip has enabled with an ATA disk
//! as device 0 (master) is taken: soft reset, the presence check,
//! IDENTIFY DEVICE by PIO.
//!
//! # Transfers
//!
//! READ/WRITE DMA (EXT for LBA48) map the request's segments with
//! `dma::map_sg` (32-bit device, 64 KiB segments, no 64 KiB crossing),
//! build the PRD table (`ata::prd::build`) into a DMA pool object, start
//! the engine and wait for the interrupt (the machine's routing for the
//! slot and pin) or, with no line (or `ide_irq=off`), poll BMIS. READ/WRITE
//! SECTORS (EXT) move data by PIO; FLUSH CACHE (EXT) has no data phase. A
//! failed try (drive error, bus-master error, timeout) is logged, the channel
//! reset and the command tried again, twice at most.

mod ali;
mod ata;
mod cmd646;
mod sff;

use super::{Device, PciDriver, PciId, ProbeContext, Subsystem};
use crate::block::{BlockDevice, BlockError, Completion, Limits, Op, Request, SECTOR, Stats, Transfer};
use crate::dma::pool::{DmaPool, PoolObject};
use crate::dma::{self, Direction, DmaDevice, SgEntry, WindowPolicy};
use crate::irq::{self, Ipl};
use crate::pci::{Bar, BarExt, PciDevice};
use crate::time::{cycles, freq};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ::ata::identify::Identify;
use ::ata::prd::{self, PrdEntry};
use ::ata::status::{bm_describe, describe};
use ::ata::taskfile::{self, AtaError};
use ata::Presence;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use log::{info, warn};
use sff::{Channel, bm, ctl, st};

/// The disk's name in messages.
const UNIT: &str = "ide0";
/// PRD entries in a table: 4 KiB, what QEMU's model reads at most.
const PRD_ENTRIES: usize = prd::QEMU_MAX_ENTRIES;
/// The longest PRD region, and the boundary none may cross.
const PRD_MAX: u64 = prd::BOUNDARY;
/// Sectors per command for LBA48 drives (1 MiB: 16 full PRD entries at
/// least, and a request the queue can merge to without starving others).
const MAX_SECTORS_LBA48: u32 = 2048;
/// LBA28 commands move 256 sectors at most.
const MAX_SECTORS_LBA28: u32 = 256;
/// Tries after the first.
const RETRIES: u32 = 2;
/// FLUSH CACHE may take long on a real drive (ATA: up to 30 s).
const FLUSH_MS: u64 = 30_000;

/// What a chip part tells the generic core.
pub(super) struct ChipDma {
    /// DMA on unless `ide_dma=off`.
    pub default_on: bool,
    /// Why (the default's reason, for the log).
    pub why: &'static str,
    /// Whether `ide_dma=on` can turn it on.
    pub forceable: bool,
    /// LBA48 commands may use DMA.
    pub lba48_dma: bool,
    /// A lower sectors-per-command limit of the chip.
    pub max_sectors: Option<u32>,
}

/// A chip's own part.
pub(super) trait Chip: Sync {
    fn name(&self) -> &'static str;
    /// Chip setup at probe (channel enables, interrupt routing bits);
    /// per channel: usable, or why not.
    fn init(&self, pci: &PciDevice, unit: &str) -> [Result<(), &'static str>; 2];
    /// DMA for this chip and revision.
    fn dma(&self, pci: &PciDevice) -> ChipDma;
    /// After a DMA command: clears the chip's own interrupt latch.
    fn clear_irq(&self, _pci: &PciDevice, _channel: u8) {}
    /// The chip's interrupt registers, for `describe`.
    fn irq_status(&self, _pci: &PciDevice) -> Option<String> {
        None
    }
}

/// A registered IDE driver: the generic core with one chip part.
pub struct IdeDriver {
    name: &'static str,
    ids: &'static [PciId],
    hint: &'static str,
    chip: &'static dyn Chip,
}

static CMD646_IDS: [PciId; 1] = [PciId { vendor: 0x1095, device: 0x0646, name: "CMD646" }];
static ALI_IDS: [PciId; 1] = [PciId { vendor: 0x10b9, device: 0x5229, name: "ALi M5229" }];

pub static CMD646: IdeDriver = IdeDriver {
    name: "ide (CMD646)",
    ids: &CMD646_IDS,
    hint: "QEMU -M clipper has one; a disk: -drive file=IMG,if=ide,format=raw",
    chip: &cmd646::Cmd646,
};

pub static ALI: IdeDriver = IdeDriver {
    name: "ide (ALi M5229)",
    ids: &ALI_IDS,
    hint: "the DS10's M1543C southbridge",
    chip: &ali::AliM5229,
};

impl PciDriver for IdeDriver {
    fn name(&self) -> &'static str {
        self.name
    }

    fn ids(&self) -> &'static [PciId] {
        self.ids
    }

    fn hint(&self) -> &'static str {
        self.hint
    }

    fn subsystem(&self) -> Subsystem {
        Subsystem::Block
    }

    /// Finds a disk on the controller (`ide_dma=on|off`: the transfer mode).
    fn probe(&self, pci: &PciDevice, ctx: &ProbeContext) -> Result<Device, String> {
        IdeDisk::probe(pci, ctx, self.chip).map(|d| Device::Block(Box::new(d)))
    }
}

// The interrupt handler's view of the channel that has the line (one
// controller at a time): KSEG addresses of its command block and its
// bus-master registers (0: none), and what the handler found.
static IRQ_CMD: AtomicU64 = AtomicU64::new(0);
static IRQ_BM: AtomicU64 = AtomicU64::new(0);
static IRQ_DONE: AtomicBool = AtomicBool::new(false);
static IRQ_BMIS: AtomicU8 = AtomicU8::new(0);
static IRQ_STATUS: AtomicU8 = AtomicU8::new(0);
static IRQ_TAKEN: AtomicU64 = AtomicU64::new(0);
static IRQ_NOT_OURS: AtomicU64 = AtomicU64::new(0);

/// The device interrupt handler (raised IPL: atomics and registers only).
/// BMIS INTR set: the drive finished; reading the ATA status register
/// makes it drop INTRQ (and with it the chip's PCI line), writing BMIS
/// INTR clears the latch; the BMIS and status seen are kept for the
/// waiting code. Otherwise the status is read anyway, so a stray INTRQ
/// cannot hold the line up.
fn irq_handler(_line: u32) {
    let (cmd, bmr) = (IRQ_CMD.load(Ordering::Acquire), IRQ_BM.load(Ordering::Acquire));
    if cmd == 0 || bmr == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // SAFETY: `bmr` and `cmd` are the KSEG addresses of the channel's
    // bus-master registers and command block, published by `IdeDisk`
    // while it owns the line (cleared before the line is released).
    let bmis = unsafe { crate::arch::mmio::read8(bmr + bm::BMIS) };
    // SAFETY: as above (the status register, offset 7).
    let status = unsafe { crate::arch::mmio::read8(cmd + sff::reg::STATUS) };
    if bmis & bm::INTR == 0 {
        IRQ_NOT_OURS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // SAFETY: as above; INTR is write-1-to-clear, the drive bits kept.
    unsafe { crate::arch::mmio::write8(bmr + bm::BMIS, (bmis & (bm::DRV0_DMA | bm::DRV1_DMA)) | bm::INTR) };
    IRQ_BMIS.store(bmis, Ordering::Relaxed);
    IRQ_STATUS.store(status, Ordering::Relaxed);
    IRQ_TAKEN.fetch_add(1, Ordering::Relaxed);
    IRQ_DONE.store(true, Ordering::Release);
}

/// How a DMA command ended.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Ended {
    Irq,
    Polled,
}

/// A disk on a bus-master IDE channel.
pub struct IdeDisk {
    chip: &'static dyn Chip,
    pci: PciDevice,
    ch: Channel,
    channel: u8,
    drive: u8,
    native: bool,
    /// Where the channel's registers are, for messages.
    ports: String,
    id: Identify,
    /// IDENTIFY words 53, 63 and 88 (the DMA modes the drive runs now).
    modes: [u16; 3],
    capacity: u64,
    lba48: bool,
    dma_on: bool,
    dma_why: String,
    lba48_dma: bool,
    dev: DmaDevice,
    /// The PRD tables' pool, and the table (one object).
    pool: Option<DmaPool>,
    prd: Option<PoolObject>,
    /// Where `write_prd` builds a table before copying it into `prd`, and
    /// the mapped segments it builds from: made once with the table, so a
    /// command allocates nothing for them.
    prd_scratch: PrdScratch,
    irq_line: Option<u32>,
    irq_why: String,
    stats: Stats,
    limits: Limits,
    is_down: bool,
    /// DMA commands issued, and the one `fail_ide_dma=N` spoils (fault
    /// injection: its PRD table ends after half of its first region, so
    /// the engine stops short of the transfer).
    dma_issued: u64,
    fail_dma_at: Option<u64>,
}

/// The I/O port of a BAR, if it is an assigned I/O BAR of at least `min` bytes.
fn io_bar(pci: &PciDevice, i: usize, min: u32) -> Option<(Bar, u32)> {
    match pci.bars[i] {
        Some(b @ Bar::Io { port, size }) if port != 0 && size >= min => Some((b, port)),
        _ => None,
    }
}

/// The channel's registers: native mode from BARs, compatibility mode at
/// the legacy ports (in PCI I/O space); the bus-master block from BAR4.
fn channel_ports(pci: &PciDevice, c: u8, native: bool) -> Result<(Channel, String), String> {
    let (cmd, ctlr, desc) = if native {
        let (i, j) = (2 * c as usize, 2 * c as usize + 1);
        let (Some((cb, cp)), Some((kb, kp))) = (io_bar(pci, i, 8), io_bar(pci, j, 4)) else {
            return Err(format!("channel {c}: native mode but BAR{i}/BAR{j} are not assigned I/O BARs ({:?} / {:?})", pci.bars[i], pci.bars[j]));
        };
        (cb.kseg(), kb.kseg(), format!("native PCI mode: command block BAR{i} I/O {cp:#x}, control BAR{j} I/O {kp:#x}"))
    } else {
        let (cp, kp) = if c == 0 { (0x1f0u32, 0x3f4u32) } else { (0x170, 0x374) };
        let cb = Bar::Io { port: cp, size: 8 };
        let kb = Bar::Io { port: kp, size: 4 };
        (cb.kseg(), kb.kseg(), format!("compatibility mode: command block I/O {cp:#x}, control I/O {:#x}", kp + 2))
    };
    let (bmr, bdesc) = match io_bar(pci, 4, 16) {
        Some((b, p)) => (Some(b.kseg() + 8 * c as u64), format!(", bus master BAR4 I/O {:#x}", p + 8 * c as u32)),
        None => (None, String::from(", no bus-master block (BAR4 not an assigned I/O BAR)")),
    };
    Ok((Channel { cmd, ctl: ctlr, bm: bmr }, desc + &bdesc))
}

fn io_decode_on(pci: &PciDevice) -> bool {
    pci.config_read8(crate::pci::cfg::COMMAND) & crate::pci::cfg::CMD_IO as u8 != 0
}

impl IdeDisk {
    fn probe(pci: &PciDevice, ctx: &ProbeContext, chip: &'static dyn Chip) -> Result<IdeDisk, String> {
        let progif = pci.class.2;
        if !io_decode_on(pci) {
            pci.enable(true, false, false);
        }
        let usable = chip.init(pci, UNIT);
        let mut why_not = Vec::new();
        let mut found = None;
        for c in 0..2u8 {
            if let Err(e) = usable[c as usize] {
                why_not.push(format!("channel {c} {e}"));
                continue;
            }
            let native = progif & (1 << (2 * c)) != 0;
            let (ch, ports) = match channel_ports(pci, c, native) {
                Ok(p) => p,
                Err(e) => {
                    why_not.push(e);
                    continue;
                }
            };
            ch.stop();
            match ata::reset_and_probe(&ch, 0) {
                Presence::None(why) => why_not.push(format!("no drive on channel {c} ({why})")),
                Presence::Atapi => why_not.push(format!("channel {c} device 0 is an ATAPI device (not a disk this driver takes)")),
                Presence::Ata => match ata::identify(&ch, 0) {
                    Err(e) => why_not.push(format!("channel {c} device 0: {e}")),
                    Ok(words) => match ::ata::identify::parse(&words) {
                        Err(e) => why_not.push(format!("channel {c} device 0: {e} (word 0 {:#06x})", words[0])),
                        Ok(id) => {
                            found = Some((c, native, ch, ports, id, [words[53], words[63], words[88]]));
                            break;
                        }
                    },
                },
            }
        }
        let Some((channel, native, ch, ports, id, modes)) = found else {
            return Err(format!("{UNIT}: {} ({} at {})", why_not.join("; "), chip.name(), pci.bdf));
        };
        let mut disk = IdeDisk::new(pci, chip, channel, native, ch, ports.clone(), id, modes);
        disk.choose_dma(ctx);
        if let Some(v) = ctx.params.get("fail_ide_dma") {
            match v.parse::<u64>() {
                Ok(n) if n > 0 => {
                    disk.fail_dma_at = Some(n);
                    warn!("fault injection armed: fail_ide_dma={n}");
                }
                _ => warn!("fail_ide_dma={v}: expected a positive count; ignored"),
            }
        }
        disk.setup_irq(ctx);
        disk.limits = disk.compute_limits();
        let mib = disk.capacity * SECTOR as u64 / (1024 * 1024);
        info!(
            "{UNIT}: {} rev {:#04x} at {}, channel {channel} device 0, {ports}",
            chip.name(),
            pci.revision,
            pci.bdf
        );
        info!(
            "{UNIT}: {} ({}), {} sectors ({mib} MiB), LBA48 {}, DMA: {} ({})",
            disk.id.model(),
            disk.id.serial(),
            disk.capacity,
            if disk.lba48 { "yes" } else { "no" },
            if disk.dma_on { "on" } else { "off" },
            disk.dma_why
        );
        info!("{UNIT}: {}", disk.irq_why);
        Ok(disk)
    }

    #[allow(clippy::too_many_arguments)]
    fn new(pci: &PciDevice, chip: &'static dyn Chip, channel: u8, native: bool, ch: Channel, ports: String, id: Identify, modes: [u16; 3]) -> IdeDisk {
        IdeDisk {
            chip,
            pci: pci.clone(),
            ch,
            channel,
            drive: 0,
            native,
            ports,
            capacity: id.capacity(),
            lba48: id.lba48,
            id,
            modes,
            dma_on: false,
            dma_why: String::new(),
            lba48_dma: false,
            dev: DmaDevice::new(UNIT, 0xffff_ffff, WindowPolicy::Auto),
            pool: None,
            prd: None,
            prd_scratch: PrdScratch { segs: Vec::new(), entries: Vec::new() },
            irq_line: None,
            irq_why: String::new(),
            stats: Stats::default(),
            limits: Limits { max_sectors: 1, max_segments: 1, max_seg_size: PRD_MAX as usize, seg_boundary_mask: PRD_MAX - 1 },
            is_down: false,
            dma_issued: 0,
            fail_dma_at: None,
        }
    }

    /// DMA on or off, and why: the chip's default and limits, the drive,
    /// the bus-master block, `ide_dma=`; with DMA on, bus mastering and
    /// the PRD table.
    fn choose_dma(&mut self, ctx: &ProbeContext) {
        let cd = self.chip.dma(&self.pci);
        self.lba48_dma = cd.lba48_dma;
        let asked = match ctx.params.get("ide_dma") {
            None => None,
            Some("on") => Some(true),
            Some("off") => Some(false),
            Some(v) => {
                warn!("ide_dma={v}: expected on or off; using the default ({})", if cd.default_on { "on" } else { "off" });
                None
            }
        };
        let modes = match (self.id.best_udma(), self.id.best_mwdma()) {
            (Some(u), _) => format!("drive UDMA{u}"),
            (None, Some(m)) => format!("drive MWDMA{m}"),
            (None, None) => String::from("drive lists no DMA mode"),
        };
        let (on, why) = if self.ch.bm.is_none() {
            (false, String::from("no bus-master block (BAR4)"))
        } else if !self.id.dma {
            (false, String::from("the drive reports no DMA (IDENTIFY word 49 bit 8)"))
        } else {
            match asked {
                Some(false) => (false, String::from("ide_dma=off")),
                Some(true) if !cd.forceable => (false, format!("{}; ide_dma=on cannot change that", cd.why)),
                Some(true) if !cd.default_on => (true, format!("ide_dma=on; {modes}")),
                _ if cd.default_on => (true, format!("{}, {modes}", cd.why)),
                _ => (false, String::from(cd.why)),
            }
        };
        self.dma_why = why;
        if !on {
            return;
        }
        match self.dma_setup() {
            Ok(()) => {
                self.pci.enable(true, false, true);
                self.dma_on = true;
                self.ch.mark_dma_capable(self.drive);
                if !self.lba48_dma && self.lba48 {
                    self.dma_why.push_str("; LBA48 commands by PIO (chip revision below 0xc5, pata_ali)");
                }
            }
            Err(e) => {
                drop(self.prd.take());
                drop(self.pool.take());
                self.dma_why = format!("{e}: PIO only");
                warn!("{UNIT}: {e}: PIO only");
            }
        }
    }

    /// The DMA device (32-bit addresses, 64 KiB segments not crossing
    /// 64 KiB, as a PRD region must be), the PRD tables' pool and the
    /// table.
    fn dma_setup(&mut self) -> Result<(), String> {
        dma::set_mask(&mut self.dev, 0xffff_ffff).map_err(|e| format!("no DMA window for a 32-bit bus master: {e}"))?;
        dma::set_max_seg_size(&mut self.dev, PRD_MAX as usize).map_err(|e| format!("segment limits: {e}"))?;
        dma::set_seg_boundary(&mut self.dev, PRD_MAX - 1).map_err(|e| format!("segment limits: {e}"))?;
        let bytes = PRD_ENTRIES * prd::ENTRY_BYTES;
        let pool = DmaPool::create("ide0-prd", &self.dev, bytes, prd::ENTRY_BYTES, PRD_MAX as usize)
            .map_err(|e| format!("no PRD table pool: {e}"))?;
        let table = pool.alloc().map_err(|e| format!("no PRD table: {e}"))?;
        self.prd_scratch = PrdScratch::new(PRD_ENTRIES).map_err(|_| String::from("no heap for the PRD table's scratch copy"))?;
        self.pool = Some(pool);
        prd::table_fits(table.bus().as_u64(), PRD_ENTRIES).map_err(|e| format!("PRD table at bus {:#x}: {e}", table.bus()))?;
        self.prd = Some(table);
        Ok(())
    }

    /// The interrupt line (DMA only: PIO is polled): the machine's routing
    /// for the slot and pin in native mode; polled otherwise.
    fn setup_irq(&mut self, ctx: &ProbeContext) {
        if !self.dma_on {
            self.irq_why = String::from("PIO: polled, drive interrupts off (nIEN)");
            return;
        }
        // `ide_irq=N`: this Cchip line instead of the routed one (a test of
        // the fallback when the interrupt never comes).
        let mut forced = None;
        match ctx.params.get("ide_irq") {
            None | Some("auto") => {}
            Some("off") => {
                self.irq_why = String::from("DMA completion polled (ide_irq=off)");
                return;
            }
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (n as usize) < irq::LINES => forced = Some(n),
                _ => warn!("ide_irq={v}: expected auto, off or a Cchip line 0-{}; using auto", irq::LINES - 1),
            },
        }
        if !self.native && forced.is_none() {
            self.irq_why = format!(
                "DMA completion polled: channel {} in compatibility mode (its legacy ISA interrupt is not wired up)",
                self.channel
            );
            return;
        }
        let pin = self.pci.irq_pin;
        let routed = match forced {
            Some(l) => Ok(l),
            None => ctx.platform.machine.pci_line(self.pci.bdf.dev, pin),
        };
        let line = match routed {
            Ok(l) => l,
            Err(e) => {
                self.irq_why = format!("DMA completion polled: no interrupt line ({e})");
                return;
            }
        };
        IRQ_CMD.store(self.ch.cmd, Ordering::Release);
        IRQ_BM.store(self.ch.bm.unwrap_or(0), Ordering::Release);
        match irq::enable(line, irq_handler) {
            Ok(()) => {
                self.irq_line = Some(line);
                let p = (b'A' + pin.wrapping_sub(1)) as char;
                let from = match forced {
                    Some(l) => format!("ide_irq={l}"),
                    None => format!("interrupt routing of {}", ctx.platform.system_name),
                };
                self.irq_why = format!(
                    "DMA completion by interrupt: INT{p}, Cchip line {line} ({from}); firmware's interrupt line register: {}",
                    self.pci.irq_line
                );
            }
            Err(e) => {
                IRQ_CMD.store(0, Ordering::Release);
                IRQ_BM.store(0, Ordering::Release);
                self.irq_why = format!("DMA completion polled: Cchip line {line}: {e}");
            }
        }
    }

    fn compute_limits(&self) -> Limits {
        let mut max = if self.lba48 { MAX_SECTORS_LBA48 } else { MAX_SECTORS_LBA28 };
        if let Some(m) = self.chip.dma(&self.pci).max_sectors {
            max = max.min(m);
        }
        // The most segments whose worst case (each cut at every 64 KiB
        // boundary, plus one straddled) still fits the table.
        let blocks = (max as u64 * SECTOR as u64).div_ceil(PRD_MAX) as usize;
        let max_segments = (PRD_ENTRIES - blocks) / 2;
        debug_assert!(prd::worst_case_entries(max as u64 * SECTOR as u64, max_segments) <= PRD_ENTRIES);
        Limits {
            max_sectors: max,
            max_segments,
            max_seg_size: PRD_MAX as usize,
            seg_boundary_mask: PRD_MAX - 1,
        }
    }

    /// Soft reset of the channel, the drive selected again and checked.
    fn reset_channel(&self) {
        self.ch.stop();
        self.ch.clear_bmis(bm::ERROR | bm::INTR);
        match ata::reset_and_probe(&self.ch, self.drive) {
            Presence::Ata => {}
            Presence::Atapi => warn!("{UNIT}: after reset channel {} device {} answers as ATAPI", self.channel, self.drive),
            Presence::None(why) => warn!("{UNIT}: after reset no drive answers on channel {} ({why})", self.channel),
        }
        self.chip.clear_irq(&self.pci, self.channel);
        let _ = self.ch.status();
    }

    fn check(&self, req: &Request) -> Result<(), BlockError> {
        if req.op == Op::Flush {
            return if req.segs.is_empty() { Ok(()) } else { Err(BlockError::Invalid("a flush carries no segments")) };
        }
        if req.sectors == 0 || req.lba.checked_add(req.sectors as u64).map_or(true, |e| e > self.capacity) {
            return Err(BlockError::OutOfRange { lba: req.lba, sectors: req.sectors, capacity: self.capacity });
        }
        if req.sectors > self.limits.max_sectors {
            return Err(BlockError::Invalid("more sectors than the device's max_sectors"));
        }
        if req.segs.is_empty() || req.segs.len() > self.limits.max_segments {
            return Err(BlockError::Invalid("no segments, or more than the device's max_segments"));
        }
        if req.segs.iter().any(|s| s.len == 0) {
            return Err(BlockError::Invalid("a zero-length segment"));
        }
        let bytes: usize = req.segs.iter().map(|s| s.len).sum();
        if bytes != req.sectors as usize * SECTOR {
            return Err(BlockError::Invalid("segment lengths do not add up to sectors * 512"));
        }
        self.taskfile(req, false).map(|_| ())
    }

    /// The command for a read or write (`dma`: by DMA), checked against
    /// the drive by the `ata` crate.
    fn taskfile(&self, req: &Request, dma: bool) -> Result<taskfile::Taskfile, BlockError> {
        taskfile::rw(req.op == Op::Write, dma, req.lba, req.sectors, self.capacity, self.lba48).map_err(|e| match e {
            AtaError::ZeroSectors | AtaError::PastEnd { .. } | AtaError::NeedsLba48 { .. } => {
                BlockError::OutOfRange { lba: req.lba, sectors: req.sectors, capacity: self.capacity }
            }
            AtaError::TooMany { .. } => BlockError::Invalid("more sectors than one command moves on this drive"),
        })
    }

    /// How this request moves: `Err` for DMA asked of a device or a
    /// command that cannot have it.
    fn transfer_for(&self, req: &Request) -> Result<Transfer, BlockError> {
        if req.op == Op::Flush {
            return Ok(Transfer::None);
        }
        let ext = self.taskfile(req, true)?.command.is_lba48();
        let dma_ok = || -> Result<(), &'static str> {
            if !self.dma_on {
                return Err("DMA is off on this device (see the ide0 line at probe)");
            }
            if ext && !self.lba48_dma {
                return Err("this chip revision does LBA48 commands by PIO only (pata_ali: below 0xc5)");
            }
            if req.segs.iter().any(|s| s.pa.as_u64() % 2 != 0 || s.len % 2 != 0) {
                return Err("a segment with an odd address or length (PRD regions are even)");
            }
            Ok(())
        };
        match req.transfer {
            Transfer::Pio => Ok(Transfer::Pio),
            Transfer::Dma => dma_ok().map(|_| Transfer::Dma).map_err(BlockError::NoDma),
            Transfer::Auto => Ok(if dma_ok().is_ok() { Transfer::Dma } else { Transfer::Pio }),
            Transfer::None => Err(BlockError::Invalid("transfer None on a read or write")),
        }
    }

    /// Before a command run by polling (PIO data, or none): drive
    /// interrupts off, the drive selected and not busy; counted.
    fn start_polled(&mut self, name: &'static str) -> Result<(), BlockError> {
        self.ch.set_control(ctl::NIEN);
        ata::select(&self.ch, self.drive);
        ata::wait_not_busy(&self.ch, name, ata::BSY_MS)?;
        self.stats.commands += 1;
        self.stats.pio_commands += 1;
        Ok(())
    }

    fn pio_once(&mut self, req: &Request) -> Result<(), BlockError> {
        let write = req.op == Op::Write;
        let tf = self.taskfile(req, false)?;
        self.start_polled(tf.command.name())?;
        ata::issue(&self.ch, self.drive, &tf);
        ata::pio_transfer(&self.ch, tf.command, write, req.sectors, &req.segs)
    }

    /// FLUSH CACHE (EXT when the drive has it). A drive that lists
    /// neither command and has no write cache enabled gets none (as Linux's
    /// `ata_try_flush_cache`): nothing to write back.
    fn flush_once(&mut self) -> Result<(), BlockError> {
        let id = &self.id;
        if !id.flush_cache && !id.flush_cache_ext && !id.write_cache_enabled {
            return Ok(());
        }
        let tf = taskfile::flush(self.lba48 && id.flush_cache_ext);
        self.start_polled(tf.command.name())?;
        ata::non_data(&self.ch, self.drive, &tf, FLUSH_MS)
    }

    /// One DMA command: map, PRD table, start, wait, stop, unmap.
    fn dma_once(&mut self, req: &Request) -> Result<Ended, BlockError> {
        let write = req.op == Op::Write;
        let tf = self.taskfile(req, true)?;
        let name = tf.command.name();
        let dir = if write { Direction::ToDevice } else { Direction::FromDevice };
        let list: Vec<SgEntry> = req.segs.iter().map(|s| SgEntry::new(s.pa, s.len)).collect();
        let map = dma::map_sg(&self.dev, list, dir)?;
        let Some(table) = self.prd.as_ref() else {
            return Err(BlockError::NoDma("no PRD table"));
        };
        let n = self.prd_scratch.write(table, map.entries())?;
        self.dma_issued += 1;
        if self.fail_dma_at == Some(self.dma_issued) {
            short_prd(table, self.dma_issued, name);
        }
        prd::table_fits(table.bus().as_u64(), n).map_err(|_| BlockError::Invalid("the PRD table is not one the controller can read"))?;
        let table_bus = table.bus().as_u64() as u32;
        let ch = self.ch;
        ch.set_control(0);
        ata::select(&ch, self.drive);
        ata::wait_not_busy(&ch, name, ata::BSY_MS)?;
        ch.stop();
        ch.set_prd(table_bus);
        ch.set_bmic(if write { 0 } else { bm::TO_MEMORY });
        ch.clear_bmis(bm::ERROR | bm::INTR);
        self.chip.clear_irq(&self.pci, self.channel);
        IRQ_DONE.store(false, Ordering::Release);
        self.stats.commands += 1;
        self.stats.dma_commands += 1;
        ata::issue(&ch, self.drive, &tf);
        ch.set_bmic(if write { bm::START } else { bm::START | bm::TO_MEMORY });
        let waited = self.wait_dma(name);
        // BMIS before the stop (clearing Start ends ACTIVE); with the
        // interrupt, the ERROR bit the handler saw counts too.
        let now = ch.bmis();
        ch.stop();
        let (bmis, status) = match waited {
            Ok(Ended::Irq) => (now | (IRQ_BMIS.load(Ordering::Acquire) & bm::ERROR), IRQ_STATUS.load(Ordering::Acquire)),
            _ => (now, ch.status()),
        };
        let error = ch.read(sff::reg::ERROR);
        ch.clear_bmis(bm::ERROR | bm::INTR);
        self.chip.clear_irq(&self.pci, self.channel);
        ch.set_control(ctl::NIEN);
        if !write {
            for e in map.entries() {
                dma::sync_for_cpu(&self.dev, e.bus, e.len, dir);
            }
        }
        drop(map);
        let ended = waited?;
        if bmis & bm::ERROR != 0 {
            return Err(BlockError::Controller { cmd: name, bm_status: bmis });
        }
        if status & (st::ERR | st::DF) != 0 || status & st::BSY != 0 {
            return Err(BlockError::Device { cmd: name, status, error });
        }
        if bmis & bm::ACTIVE != 0 {
            // The drive finished before the PRD table was used up: the
            // table describes more than the command moves.
            return Err(BlockError::Controller { cmd: name, bm_status: bmis });
        }
        if ended == Ended::Polled && bmis & bm::INTR == 0 {
            // The engine stopped without the drive's interrupt: the table
            // ended before the transfer did (a short transfer).
            return Err(BlockError::Controller { cmd: name, bm_status: bmis });
        }
        Ok(ended)
    }

    /// Waits for a DMA command's end: the interrupt (IPL lowered so it is
    /// taken), or BMIS INTR by polling. An interrupt that does not come
    /// while BMIS shows the drive done means the line is wrong: logged
    /// once, and polling from then on.
    fn wait_dma(&mut self, name: &'static str) -> Result<Ended, BlockError> {
        let f = freq();
        let start = cycles();
        let ms = |c: u64| if f == 0 { 0 } else { (c - start) * 1000 / f };
        let mut polls: u64 = 0;
        let expired = |polls: u64| if f == 0 { polls > ata::DMA_MS * 10_000 } else { ms(cycles()) > ata::DMA_MS };
        if let Some(line) = self.irq_line {
            let _ipl = Ipl::lower();
            loop {
                if IRQ_DONE.load(Ordering::Acquire) {
                    return Ok(Ended::Irq);
                }
                if ms(cycles()) > 100 && self.ch.bmis() & bm::INTR != 0 && !IRQ_DONE.load(Ordering::Acquire) {
                    drop(_ipl);
                    warn!(
                        "{UNIT}: {name}: BMIS shows the drive done but no interrupt came on Cchip line {line} within 100 ms ({} taken on the line): polling from now on",
                        irq::line_count(line)
                    );
                    self.release_irq();
                    self.irq_why = format!("DMA completion polled: no interrupt arrived on Cchip line {line}");
                    return Ok(Ended::Polled);
                }
                polls += 1;
                if expired(polls) {
                    break;
                }
                core::hint::spin_loop();
            }
        } else {
            loop {
                let b = self.ch.bmis();
                if b & bm::INTR != 0 || (b & bm::ACTIVE == 0 && self.ch.alt_status() & st::BSY == 0) {
                    return Ok(Ended::Polled);
                }
                polls += 1;
                if expired(polls) {
                    break;
                }
                core::hint::spin_loop();
            }
        }
        Err(BlockError::Timeout {
            cmd: name,
            waiting_for: "DMA completion (BMIS interrupt)",
            status: self.ch.alt_status(),
            error: self.ch.read(sff::reg::ERROR),
            ms: ms(cycles()),
        })
    }

    fn release_irq(&mut self) {
        if let Some(line) = self.irq_line.take() {
            irq::disable(line);
            IRQ_CMD.store(0, Ordering::Release);
            IRQ_BM.store(0, Ordering::Release);
        }
    }

    fn count_ok(&mut self, req: &Request, ended: Option<Ended>) {
        match req.op {
            Op::Read => self.stats.sectors_read += req.sectors as u64,
            Op::Write => self.stats.sectors_written += req.sectors as u64,
            Op::Flush => {}
        }
        match ended {
            Some(Ended::Irq) => self.stats.irq_completions += 1,
            Some(Ended::Polled) | None => self.stats.polled_completions += 1,
        }
    }
}

/// `fail_ide_dma=N`'s fault: the table ends after half of its first
/// region, so it describes less than the command moves. SFF-8038i: the
/// engine then stops with neither INTR nor ERROR (QEMU clears ACTIVE and
/// raises no interrupt), which the driver must catch: a timeout with the
/// interrupt, a short transfer when polling.
fn short_prd(table: &PoolObject, nth: u64, name: &str) {
    let cpu = table.cpu();
    // SAFETY: the first entry (8 bytes) of the table the disk owns.
    let first = PrdEntry::from_le_bytes(core::array::from_fn(|j| unsafe { cpu.add(j).read_volatile() }));
    let half = (first.len() / 2).max(2) & !1;
    let cut = PrdEntry::new(first.addr, half, true);
    warn!(
        "fault injection: {UNIT}: DMA command #{nth} ({name}): PRD table cut to its first {half} bytes (of a {}-byte first region)",
        first.len()
    );
    for (j, v) in cut.to_le_bytes().iter().enumerate() {
        // SAFETY: as above.
        unsafe { cpu.add(j).write_volatile(*v) };
    }
    crate::arch::wmb();
}

/// The scratch space of [`PrdScratch::write`], made once per table.
struct PrdScratch {
    segs: Vec<(u32, u32)>,
    entries: Vec<PrdEntry>,
}

impl PrdScratch {
    /// Room for a table of `entries` entries, and as many segments.
    fn new(entries: usize) -> Result<PrdScratch, alloc::collections::TryReserveError> {
        let mut s = PrdScratch { segs: Vec::new(), entries: Vec::new() };
        s.segs.try_reserve_exact(entries)?;
        s.entries.try_reserve_exact(entries)?;
        s.entries.resize(entries, PrdEntry::new(0, 0, false));
        Ok(s)
    }

    /// Builds the PRD table for the mapped segments in `table` with
    /// `ata::prd::build` (regions even, at most 64 KiB, none crossing a
    /// 64 KiB boundary, end of table on the last); returns the entries
    /// used.
    fn write(&mut self, table: &PoolObject, mapped: &[SgEntry]) -> Result<usize, BlockError> {
        self.segs.clear();
        for e in mapped {
            let (Some(bus), Ok(len)) = (e.bus.to_u32(), u32::try_from(e.len)) else {
                return Err(BlockError::Invalid("a mapped segment above 4 GiB"));
            };
            if self.segs.len() == self.segs.capacity() {
                // More mapped segments than the table has entries: each
                // needs one at least.
                return Err(BlockError::Invalid("the request needs more PRD entries than the table holds"));
            }
            self.segs.push((bus, len));
        }
        let cap = (table.size() / prd::ENTRY_BYTES).min(self.entries.len());
        let out = &mut self.entries[..cap];
        let n = prd::build(&self.segs, out).map_err(|e| match e {
            prd::PrdError::TooManyEntries { .. } => BlockError::Invalid("the request needs more PRD entries than the table holds"),
            prd::PrdError::OddAddress { .. } | prd::PrdError::OddLength { .. } => {
                BlockError::Invalid("a mapped segment with an odd address or length")
            }
            _ => BlockError::Invalid("the mapped segments make no valid PRD table"),
        })?;
        let base = table.cpu();
        for (i, e) in out[..n].iter().enumerate() {
            let bytes = e.to_le_bytes();
            for (j, b) in bytes.iter().enumerate() {
                // SAFETY: `table` is a pool object of `cap * 8` bytes or
                // more the disk owns; i < n <= cap.
                unsafe { base.add(i * prd::ENTRY_BYTES + j).write_volatile(*b) };
            }
        }
        crate::arch::wmb();
        Ok(n)
    }
}

fn retryable(e: &BlockError) -> bool {
    matches!(e, BlockError::Device { .. } | BlockError::Timeout { .. } | BlockError::Controller { .. })
}

/// A failed try, for the WARN line.
struct FailText<'a>(&'a BlockError);

impl fmt::Display for FailText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            BlockError::Device { cmd, status, error } => write!(f, "{cmd} failed: {}", describe(*status, *error)),
            BlockError::Controller { cmd, bm_status } if bm_status & bm::ERROR != 0 => {
                write!(f, "{cmd}: bus-master error (a PCI abort during the transfer): {}", bm_describe(*bm_status))
            }
            BlockError::Controller { cmd, bm_status } if bm_status & bm::ACTIVE != 0 => {
                write!(f, "{cmd}: the drive finished with the engine still active (the PRD table is longer than the transfer): {}", bm_describe(*bm_status))
            }
            BlockError::Controller { cmd, bm_status } => {
                write!(f, "{cmd}: the engine stopped without the drive's interrupt (the PRD table ended before the transfer): {}", bm_describe(*bm_status))
            }
            BlockError::Timeout { cmd, waiting_for, status, error, ms } => {
                write!(f, "{cmd}: timed out after {ms} ms waiting for {waiting_for}: {}", describe(*status, *error))
            }
            e => write!(f, "{e}"),
        }
    }
}

impl BlockDevice for IdeDisk {
    fn name(&self) -> &str {
        UNIT
    }

    fn sector_size(&self) -> usize {
        SECTOR
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn submit(&mut self, req: &Request) -> Result<Completion, BlockError> {
        if self.is_down {
            return Err(BlockError::Invalid("the device is down"));
        }
        self.check(req)?;
        let via = self.transfer_for(req)?;
        let mut retries = 0;
        loop {
            let r = match via {
                Transfer::Dma => self.dma_once(req).map(Some),
                Transfer::Pio => self.pio_once(req).map(|_| None),
                _ => self.flush_once().map(|_| None),
            };
            match r {
                Ok(ended) => {
                    self.count_ok(req, ended);
                    return Ok(Completion { via, retries });
                }
                Err(e) if !retryable(&e) => {
                    self.stats.errors += 1;
                    return Err(e);
                }
                Err(e) => {
                    if matches!(e, BlockError::Timeout { .. }) {
                        self.stats.timeouts += 1;
                    }
                    if retries < RETRIES {
                        retries += 1;
                        self.stats.retries += 1;
                        warn!(
                            "{UNIT}: {} (sectors {}+{}); resetting the channel and trying again ({retries} of {RETRIES})",
                            FailText(&e),
                            req.lba,
                            req.sectors
                        );
                        self.reset_channel();
                        continue;
                    }
                    warn!("{UNIT}: {} (sectors {}+{}); giving up after {} tries", FailText(&e), req.lba, req.sectors, retries + 1);
                    self.stats.errors += 1;
                    self.reset_channel();
                    return Err(e);
                }
            }
        }
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn describe(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let p = &self.pci;
        writeln!(out, "{UNIT}: {} rev {:#04x} at {} (driver ide), channel {} device {}", self.chip.name(), p.revision, p.bdf, self.channel, self.drive)?;
        writeln!(out, "  registers: {}", self.ports)?;
        writeln!(out, "  mode: {}", if self.native { "native PCI" } else { "compatibility" })?;
        match self.irq_line {
            Some(l) => writeln!(out, "  interrupt: Cchip line {l} ({} taken, {} not ours); {}", IRQ_TAKEN.load(Ordering::Relaxed), IRQ_NOT_OURS.load(Ordering::Relaxed), self.irq_why)?,
            None => writeln!(out, "  interrupt: none: {}", self.irq_why)?,
        }
        if let Some(s) = self.chip.irq_status(p) {
            writeln!(out, "  chip interrupt registers: {s}")?;
        }
        if self.ch.bm.is_some() {
            writeln!(out, "  bus master: BMIC {:#04x}, {}, BMIDTP {:#010x}", self.ch.bmic(), bm_describe(self.ch.bmis()), self.ch.prd())?;
        }
        let id = &self.id;
        writeln!(out, "  model: {}", id.model())?;
        writeln!(out, "  serial: {}", id.serial())?;
        writeln!(out, "  firmware: {}", id.firmware())?;
        writeln!(
            out,
            "  capacity: {} sectors of {SECTOR} bytes ({} MiB), LBA48 {}",
            self.capacity,
            self.capacity * SECTOR as u64 / (1024 * 1024),
            if self.lba48 { "yes" } else { "no" }
        )?;
        let [w53, w63, w88] = self.modes;
        let mode = |m: Option<u8>| m.map_or(String::from("none"), |m| format!("{m}"));
        let sel = |bits: u16| (bits != 0).then(|| 15 - bits.leading_zeros() as u8);
        let udma_now = if w53 & 4 != 0 { sel((w88 >> 8) & 0x7f) } else { None };
        writeln!(
            out,
            "  DMA: drive {}, MWDMA modes {:#05b} (best {}, selected {}), UDMA modes {:#09b} (best {}, selected {})",
            if id.dma { "yes" } else { "no" },
            id.mwdma_modes,
            mode(id.best_mwdma()),
            mode(sel((w63 >> 8) & 7)),
            id.udma_modes,
            mode(id.best_udma()),
            mode(udma_now)
        )?;
        writeln!(out, "  transfer: {} ({})", if self.dma_on { "DMA" } else { "PIO" }, self.dma_why)?;
        let l = self.limits;
        writeln!(
            out,
            "  limits: {} sectors per command, {} segments of at most {} bytes, boundary mask {:#x}, PRD table {} entries",
            l.max_sectors, l.max_segments, l.max_seg_size, l.seg_boundary_mask, PRD_ENTRIES
        )?;
        if let Some(t) = &self.prd {
            writeln!(out, "  PRD table: bus {:#x}, {} bytes, an object of DMA pool ide0-prd", t.bus(), t.size())?;
        }
        let s = self.stats;
        writeln!(
            out,
            "  stats: {} commands ({} DMA, {} PIO), {} sectors read, {} written, {} retries, {} errors, {} timeouts, {} by interrupt, {} polled",
            s.commands, s.dma_commands, s.pio_commands, s.sectors_read, s.sectors_written, s.retries, s.errors, s.timeouts, s.irq_completions, s.polled_completions
        )
    }

    fn down(&mut self) {
        if self.is_down {
            return;
        }
        self.is_down = true;
        self.ch.stop();
        self.ch.clear_bmis(bm::ERROR | bm::INTR);
        self.ch.set_control(ctl::NIEN);
        let _ = self.ch.status();
        self.release_irq();
        self.chip.clear_irq(&self.pci, self.channel);
        // Bus mastering off before the table's memory goes back: the engine
        // is stopped, and with the function no longer a master nothing it
        // might still hold can reach memory that is reused.
        if self.dma_on {
            self.pci.disable_bus_master();
        }
        self.dma_on = false;
        // The table back to its pool, then the pool's chunk.
        drop(self.prd.take());
        if let Some(p) = self.pool.take() {
            if let Err(e) = p.destroy() {
                warn!("{UNIT}: destroying the PRD table pool: {e}");
            }
        }
        info!("{UNIT}: down ({} commands, {} errors)", self.stats.commands, self.stats.errors);
    }
}

impl Drop for IdeDisk {
    fn drop(&mut self) {
        self.down();
    }
}
