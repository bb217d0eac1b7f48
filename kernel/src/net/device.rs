//! The network-device interface `net/` runs over, and smoltcp's
//! `phy::Device` adapting any such device.
//!
//! A driver (`drivers/`) implements [`NetDevice`] for its NIC: station
//! address, the frame queues, counters, interrupts, and taking it down.
//! `net/` knows nothing else about the NIC, as Linux's network stack
//! knows a `net_device` and its `net_device_ops`; `main` hands the device
//! the drivers opened to [`super::run`], so the dependency goes one way
//! (drivers use `net`'s interface, `net` never names a driver).
//!
//! The device splits into a receive and a transmit queue ([`NetDevice::queues`])
//! because smoltcp holds a received frame and writes its reply at the
//! same time. A receive token holds a frame the driver has lent to the
//! stack ([`RxFrame`]); consuming it, or dropping it unconsumed, gives it
//! back ([`RxQueue::recycle`]). A transmit token lets smoltcp write
//! straight into a driver buffer ([`TxQueue::send`]).

use alloc::string::String;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// What a NIC counted since it was brought up. The names follow the
/// 21143's sources; a counter a device has no source for stays 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Frames received with errors (the 21143: RDES0 ES: CRC, collision,
    /// watchdog, ...), not counting runts, oversized and truncated frames.
    pub rx_errors: u64,
    /// Transmissions the device reported failed.
    pub tx_errors: u64,
    /// Received frames dropped for any reason (the sum of the causes).
    pub rx_dropped: u64,
    /// Frames not sent: queue full at send time, too long, or unmappable.
    pub tx_dropped: u64,
    pub rx_runts: u64,
    pub rx_oversize: u64,
    /// Frames spread over several descriptors (or closed with DE).
    pub rx_truncated: u64,
    /// The device found its receive ring full (the 21143: CSR5 RU).
    pub rx_ring_full: u64,
    /// Times the stack asked to send with every transmit slot busy.
    pub tx_ring_full: u64,
    /// Missed-frame and FIFO-overflow counts (the 21143's CSR8).
    pub rx_missed: u64,
    pub rx_fifo_overflows: u64,
    /// DMA map/unmap failures (each one's frame dropped).
    pub dma_errors: u64,
    /// Fatal bus errors (the 21143: CSR5 FBE; the chip stops).
    pub fatal_bus_errors: u64,
    /// Transmit underflows (the 21143: CSR5 UNF).
    pub tx_underflows: u64,
    /// Descriptors handed back with another buffer address than given.
    pub desc_mismatch: u64,
}

/// Interrupt counters of a device's handler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqCounters {
    /// Interrupts the device raised (handled).
    pub taken: u64,
    /// Interrupts on the line that the device had not raised.
    pub not_ours: u64,
}

/// A station address as `52:54:00:12:34:56`.
pub struct MacDisplay<'a>(pub &'a [u8; 6]);

impl core::fmt::Display for MacDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let m = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
    }
}

/// A received frame the driver lends to the stack: the driver's handle of
/// the buffer and the frame's length. Only the driver that made it can
/// read or take it back; it is neither `Clone` nor `Copy`, so it is given
/// back exactly once.
#[derive(Debug)]
pub struct RxFrame {
    handle: u64,
    len: usize,
}

impl RxFrame {
    /// A frame of `len` bytes in the driver's buffer `handle` (for
    /// drivers: the buffer stays the stack's until [`RxQueue::recycle`]).
    pub fn new(handle: u64, len: usize) -> Self {
        RxFrame { handle, len }
    }

    /// The driver's handle of the buffer.
    pub fn handle(&self) -> u64 {
        self.handle
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

/// The receive half of a network device.
pub trait RxQueue {
    /// The next good frame the device received, if any; frames with errors
    /// are counted and dropped on the way.
    fn next(&mut self) -> Option<RxFrame>;
    /// The bytes of a frame [`RxQueue::next`] returned (without the CRC).
    fn data<'a>(&'a self, frame: &'a RxFrame) -> &'a [u8];
    /// Takes a frame's buffer back.
    fn recycle(&mut self, frame: RxFrame);
}

/// The transmit half of a network device.
pub trait TxQueue {
    /// True if a frame can be queued now.
    fn ready(&mut self) -> bool;
    /// Calls `fill` exactly once with a `len`-byte buffer and queues what
    /// it wrote. If the frame cannot be sent (queue full, too long, no
    /// memory), `fill` still runs (on a scratch buffer) and the frame is
    /// counted as dropped.
    fn send(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8]));
}

/// A network device as `net/` drives it.
pub trait NetDevice {
    /// The driver's name, the prefix of its `up:`, `counters:` and `down:`
    /// lines ("tulip").
    fn driver(&self) -> &'static str;
    /// The chip's name in messages ("21143").
    fn chip(&self) -> &'static str;
    /// The device's full name for the status page ("DEC 21143").
    fn model(&self) -> &'static str;
    /// Where the device is, for messages (a PCI address).
    fn location(&self) -> String;
    /// The station address.
    fn mac(&self) -> [u8; 6];
    /// The largest frame the stack may send (without a CRC).
    fn max_frame(&self) -> usize;
    /// One line about the running device (what `DRIVER: up:` says).
    fn describe(&self) -> String;
    /// Services the device: acknowledges and counts its events, reclaims
    /// sent frames, refills the receive side. Called on every iteration
    /// of the network loop.
    fn poll(&mut self);
    /// The receive and transmit halves, borrowed together.
    fn queues(&mut self) -> (&mut dyn RxQueue, &mut dyn TxQueue);
    /// Frames the device owns now: (receive, transmit).
    fn in_flight(&self) -> (usize, usize);
    /// Every counter since the device came up.
    fn counters(&self) -> Counters;
    /// The interrupt line the platform's routing gives the device: `None`
    /// for a device without one (it is polled), `Err` when it has one but
    /// the routing is not known (the reason).
    fn routed_line(&self) -> Option<Result<u32, String>>;
    /// Turns interrupts on, the handler on `line` (a Cchip line).
    fn enable_interrupts(&mut self, line: u32) -> Result<(), String>;
    /// Turns interrupts off: the device is polled from now on.
    fn disable_interrupts(&mut self);
    /// Unmasks the device's interrupts (if on) before the loop sleeps.
    fn arm_interrupts(&self);
    /// The line while interrupts are on.
    fn irq_line(&self) -> Option<u32>;
    /// Whether the handler ran since the last [`NetDevice::poll`].
    fn irq_work_pending(&self) -> bool;
    /// The handler's counters.
    fn irq_counters(&self) -> IrqCounters;
    /// Stops the device and gives back every buffer and mapping.
    fn down(&mut self);
}

/// smoltcp's view of a [`NetDevice`].
pub struct Phy {
    pub dev: alloc::boxed::Box<dyn NetDevice>,
}

pub struct RxToken<'a> {
    rx: &'a mut dyn RxQueue,
    frame: Option<RxFrame>,
}

pub struct TxToken<'a> {
    tx: &'a mut dyn TxQueue,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F>(mut self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        // `frame` is always Some until here or until Drop.
        let frame = self.frame.take().expect("receive token consumed twice");
        let r = f(self.rx.data(&frame));
        self.rx.recycle(frame);
        r
    }
}

impl Drop for RxToken<'_> {
    fn drop(&mut self) {
        if let Some(frame) = self.frame.take() {
            self.rx.recycle(frame);
        }
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut f = Some(f);
        let mut r = None;
        self.tx.send(len, &mut |buf| {
            if let Some(f) = f.take() {
                r = Some(f(buf));
            }
        });
        // `TxQueue::send` calls its closure exactly once.
        r.expect("transmit queue did not call its fill closure")
    }
}

impl phy::Device for Phy {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let (rx, tx) = self.dev.queues();
        let frame = rx.next()?;
        Some((RxToken { rx, frame: Some(frame) }, TxToken { tx }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        let (_, tx) = self.dev.queues();
        if tx.ready() { Some(TxToken { tx }) } else { None }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.dev.max_frame();
        caps.max_burst_size = Some(16);
        caps
    }
}
