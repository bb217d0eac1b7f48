//! The block layer: what a disk driver offers ([`BlockDevice`]) and what
//! the rest of the kernel (the disk self-tests, the monitor's `disk`
//! commands) asks of it ([`Request`]), after Linux's `struct
//! block_device_operations` and `struct request`, cut down to a
//! unikernel's needs: one request at a time, carried out to completion
//! before `submit` returns (the controller's interrupt, or polling when
//! there is none, ends the wait).
//!
//! Who owns what: a [`Request`]'s segments are memory the caller owns
//! (buddy pages, a coherent buffer, a CMA run); the driver maps them for
//! the device for the length of the request (`dma::map_sg`, so the
//! device's segment limits are honoured) and unmaps them before `submit`
//! returns. The caller may touch the memory again once `submit` has
//! returned, whatever the result.
//!
//! The request queue (merging adjacent requests up to the device's
//! [`Limits`]) sits above this trait; drivers see single requests.
//!
//! The disk: `main` probes once at boot (`drivers::open_block`) and keeps
//! the device here ([`set_disk`]); its users reach it through
//! [`with_disk`]; `main` takes it back ([`take_disk`]) and closes it
//! before the shutdown's leak report.

pub mod buf;
pub mod queue;

use crate::dma::DmaError;
use crate::mm::PhysAddr;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use spin::Mutex;

/// Bytes in a sector (the only sector size the drivers take).
pub const SECTOR: usize = 512;

/// What a request does: `Read`, `Write`, or `Flush` (no data, no
/// segments). The request queue's planner (`crates/blkqueue`) defines it,
/// so the queue hands requests to it as they are.
pub use blkqueue::Op;

/// How the data moves: what the caller asks for in a [`Request`], and
/// what the driver reports it used in a [`Completion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Transfer {
    /// The driver's choice: DMA when the device has it enabled, else PIO.
    Auto,
    /// Bus-master DMA (an error if the device has DMA off).
    Dma,
    /// Programmed I/O through the data register.
    Pio,
    /// No data phase (a flush).
    None,
}

/// A piece of the caller's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub pa: PhysAddr,
    pub len: usize,
}

/// One request: `sectors` sectors from `lba`, the data in `segs` (whose
/// lengths add up to `sectors * SECTOR`; empty for a flush).
#[derive(Clone, Debug)]
pub struct Request {
    pub op: Op,
    pub lba: u64,
    pub sectors: u32,
    pub segs: Vec<Segment>,
    pub transfer: Transfer,
}

/// What one request may be, at most (from the controller and the drive):
/// the request queue merges only up to these, and `submit` refuses more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sectors in one command.
    pub max_sectors: u32,
    /// Segments in one request's list.
    pub max_segments: usize,
    /// The longest segment the device takes (bytes).
    pub max_seg_size: usize,
    /// No segment may cross an address with these bits clear
    /// (`0xffff`: no 64 KiB boundary), as Linux's `seg_boundary_mask`.
    pub seg_boundary_mask: u64,
}

/// How a request was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// DMA, PIO or none (a flush).
    pub via: Transfer,
    /// Tries after the first (each after a controller reset).
    pub retries: u32,
}

/// Counters a device keeps from probe on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Commands sent to the drive (a merged request is one).
    pub commands: u64,
    pub dma_commands: u64,
    pub pio_commands: u64,
    pub sectors_read: u64,
    pub sectors_written: u64,
    /// Failed tries that were retried, and requests that failed for good.
    pub retries: u64,
    pub errors: u64,
    pub timeouts: u64,
    /// Commands that ended by interrupt, and by polling.
    pub irq_completions: u64,
    pub polled_completions: u64,
}

/// Why a request failed. `repr(u8)`: `DmaError` holds a niche inside a
/// niche (see `DmaError`), which the GCC backend miscompiles when this
/// enum would store its tag there.
#[derive(Debug)]
#[repr(u8)]
pub enum BlockError {
    /// Past the end of the device, or zero sectors.
    OutOfRange { lba: u64, sectors: u32, capacity: u64 },
    /// The request itself is malformed (what is wrong).
    Invalid(&'static str),
    /// Mapping the data or building the descriptor table failed.
    Dma(DmaError),
    /// DMA was asked for but this device runs PIO only (why).
    NoDma(&'static str),
    /// The drive reported an error (command name, status and error).
    Device { cmd: &'static str, status: u8, error: u8 },
    /// A wait ran out (command name, what was awaited, status and error
    /// registers when it gave up, milliseconds waited).
    Timeout { cmd: &'static str, waiting_for: &'static str, status: u8, error: u8, ms: u64 },
    /// The controller reported a bus-master error (its status register).
    Controller { cmd: &'static str, bm_status: u8 },
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BlockError::OutOfRange { lba, sectors, capacity } => {
                write!(f, "sectors {lba}..{} are not on the device ({capacity} sectors)", lba.saturating_add(*sectors as u64))
            }
            BlockError::Invalid(why) => write!(f, "invalid request: {why}"),
            BlockError::Dma(e) => write!(f, "DMA: {e}"),
            BlockError::NoDma(why) => write!(f, "no DMA on this device: {why}"),
            BlockError::Device { cmd, status, error } => write!(f, "{cmd} failed: status {status:#04x}, error {error:#04x}"),
            BlockError::Timeout { cmd, waiting_for, status, error, ms } => {
                write!(f, "{cmd}: timed out after {ms} ms waiting for {waiting_for} (status {status:#04x}, error {error:#04x})")
            }
            BlockError::Controller { cmd, bm_status } => write!(f, "{cmd}: bus-master error (status {bm_status:#04x})"),
        }
    }
}

impl From<DmaError> for BlockError {
    fn from(e: DmaError) -> Self {
        BlockError::Dma(e)
    }
}

/// A disk, as its driver offers it.
pub trait BlockDevice: Send {
    /// The device's name in messages ("ide0").
    fn name(&self) -> &str;
    /// Bytes per sector ([`SECTOR`]).
    fn sector_size(&self) -> usize;
    /// Sectors on the device.
    fn capacity(&self) -> u64;
    fn limits(&self) -> Limits;
    /// Carries out one request to completion.
    fn submit(&mut self, req: &Request) -> Result<Completion, BlockError>;
    /// The counters since probe.
    fn stats(&self) -> Stats;
    /// What the monitor's `disk` prints: the controller, the drive's
    /// identify data, the transfer mode and why.
    fn describe(&self, out: &mut dyn fmt::Write) -> fmt::Result;
    /// Quiesces the device and gives back every buffer and mapping.
    fn down(&mut self);
}

/// The disk the kernel runs with (`None`: none found, or closed).
static DISK: Mutex<Option<Box<dyn BlockDevice>>> = Mutex::new(None);

/// Makes `dev` the disk (a disk already set is closed by dropping it:
/// `main` sets it once).
pub fn set_disk(dev: Box<dyn BlockDevice>) {
    let old = DISK.lock().replace(dev);
    if let Some(mut old) = old {
        old.down();
    }
}

/// Runs `f` on the disk; `None` when there is none. Not from an interrupt
/// handler (the disk is behind a lock).
pub fn with_disk<R>(f: impl FnOnce(&mut dyn BlockDevice) -> R) -> Option<R> {
    let mut g = DISK.lock();
    g.as_mut().map(|d| f(d.as_mut()))
}

/// Takes the disk away (for closing it at shutdown).
pub fn take_disk() -> Option<Box<dyn BlockDevice>> {
    DISK.lock().take()
}
