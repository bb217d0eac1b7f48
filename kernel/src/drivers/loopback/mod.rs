//! A software network device for tests (`net net_dev=loopback`): the same
//! `net/` code the 21143 runs (smoltcp, the UDP echo and HTTP services,
//! the start-up pings) serves over a wire whose other end is a second,
//! in-kernel smoltcp stack, [`client`], playing the gateway 10.0.2.2.
//!
//! The wire is two bounded frame queues, one each way. The device's
//! [`NetDevice::poll`] (the service call the network loop makes on every
//! iteration, where the 21143 acknowledges its events) runs the client:
//! it takes the frames the server sent, lets the client stack answer
//! (ARP, the pings) and advance its checks, and queues what the client
//! sent. The client sends UDP echoes and HTTP requests, checks every
//! reply byte for byte, and ends the run with `GET /shutdown`; its
//! verdict is logged when the device goes down.
//!
//! `net_loopback_corrupt=N` (a test of the checks themselves) inverts the
//! last byte of the Nth UDP datagram the server sends; the client then
//! leaves UDP checksums unverified, so its byte-for-byte check is what
//! must catch it.
//!
//! Nothing here is DMA: frames are heap buffers, so the run checks the
//! network code and the heap, not a device's mappings. Interrupts: none;
//! the loop polls.

mod client;

use super::ProbeContext;
use crate::net::{Counters, IrqCounters, MacDisplay, NetDevice, RxFrame, RxQueue, TxQueue};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use client::Client;
use log::warn;

/// The server's (the kernel's) station address: locally administered.
const SERVER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x0f, 0x01];
/// The client's.
const CLIENT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x0f, 0x02];
/// Frames each queue of the wire holds; more are dropped and counted.
const QUEUE_FRAMES: usize = 32;
/// The largest frame either side may send (Ethernet without a CRC).
const MAX_FRAME: usize = 1514;

/// One direction of the wire.
pub(super) struct Queue {
    frames: VecDeque<Vec<u8>>,
}

impl Queue {
    fn new() -> Result<Queue, String> {
        let mut frames = VecDeque::new();
        frames.try_reserve_exact(QUEUE_FRAMES).map_err(|_| String::from("no memory for the wire's queues"))?;
        Ok(Queue { frames })
    }

    fn is_full(&self) -> bool {
        self.frames.len() >= QUEUE_FRAMES
    }

    /// Lets `fill` write a `len`-byte frame and queues it; false (the
    /// frame dropped, `fill` run on a scratch buffer) if the queue is full,
    /// the frame too long or no memory is left.
    fn send<R>(&mut self, len: usize, fill: impl FnOnce(&mut [u8]) -> R) -> (R, bool) {
        let mut frame = Vec::new();
        if len == 0 || len > MAX_FRAME || self.is_full() || frame.try_reserve_exact(len).is_err() {
            let mut scratch = [0u8; MAX_FRAME];
            return (fill(&mut scratch[..len.min(MAX_FRAME)]), false);
        }
        frame.resize(len, 0);
        let r = fill(&mut frame);
        self.frames.push_back(frame);
        (r, true)
    }
}

/// The server's receive half: frames the client sent.
struct Rx {
    queue: Queue,
    /// The frame lent to the stack (at most one: smoltcp takes one at a
    /// time), with its handle.
    lent: Option<(u64, Vec<u8>)>,
    next_handle: u64,
    counters: Counters,
}

/// The server's transmit half: frames for the client.
struct Tx {
    queue: Queue,
    counters: Counters,
    /// UDP datagrams sent so far.
    udp_sent: u64,
    /// `net_loopback_corrupt=`: the datagram whose last byte is inverted.
    corrupt: Option<u64>,
}

impl Tx {
    /// Counts the UDP datagram just queued, inverting its last byte if it
    /// is the one `net_loopback_corrupt=` names.
    fn tamper(&mut self) {
        let Some(frame) = self.queue.frames.back_mut() else { return };
        // Ethernet type IPv4, IP protocol 17 (UDP).
        if frame.len() <= 42 || frame[12..14] != [0x08, 0x00] || frame[23] != 17 {
            return;
        }
        self.udp_sent += 1;
        if self.corrupt == Some(self.udp_sent) {
            let last = frame.len() - 1;
            frame[last] ^= 0xff;
            warn!(
                "loopback: net_loopback_corrupt={}: byte {last} of that UDP datagram's frame inverted on the wire (a test)",
                self.udp_sent
            );
        }
    }
}

impl RxQueue for Rx {
    fn next(&mut self) -> Option<RxFrame> {
        if self.lent.is_some() {
            return None;
        }
        let frame = self.queue.frames.pop_front()?;
        self.next_handle += 1;
        self.counters.rx_packets += 1;
        self.counters.rx_bytes += frame.len() as u64;
        let f = RxFrame::new(self.next_handle, frame.len());
        self.lent = Some((self.next_handle, frame));
        Some(f)
    }

    fn data<'a>(&'a self, frame: &'a RxFrame) -> &'a [u8] {
        match &self.lent {
            Some((h, data)) if *h == frame.handle() => &data[..frame.len()],
            _ => &[],
        }
    }

    fn recycle(&mut self, frame: RxFrame) {
        if self.lent.as_ref().is_some_and(|(h, _)| *h == frame.handle()) {
            self.lent = None;
        }
    }
}

impl TxQueue for Tx {
    fn ready(&mut self) -> bool {
        let ok = !self.queue.is_full();
        if !ok {
            self.counters.tx_ring_full += 1;
        }
        ok
    }

    fn send(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) {
        let ((), sent) = self.queue.send(len, fill);
        if sent {
            self.counters.tx_packets += 1;
            self.counters.tx_bytes += len as u64;
            self.tamper();
        } else {
            self.counters.tx_dropped += 1;
        }
    }
}

/// The loopback device: the server's two halves, and the client on the
/// other end of the wire.
pub struct Loopback {
    rx: Rx,
    tx: Tx,
    client: Client,
    /// Frames the client sent while the server's queue was full.
    client_dropped: u64,
    stopped: bool,
}

/// Opens the loopback device (`net_dev=loopback`).
/// (`net_loopback_corrupt=N`: see the module documentation.)
pub fn open(ctx: &ProbeContext) -> Result<Loopback, String> {
    let corrupt = match ctx.params.get("net_loopback_corrupt").map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            warn!("net_loopback_corrupt: expected a positive datagram count; ignored");
            None
        }
    };
    let mut rx = Rx { queue: Queue::new()?, lent: None, next_handle: 0, counters: Counters::default() };
    let mut tx = Tx { queue: Queue::new()?, counters: Counters::default(), udp_sent: 0, corrupt };
    let mut client_dropped = 0;
    let client = Client::new(CLIENT_MAC, corrupt.is_none(), &mut tx.queue, &mut rx.queue, &mut client_dropped)?;
    Ok(Loopback { rx, tx, client, client_dropped, stopped: false })
}

impl NetDevice for Loopback {
    fn driver(&self) -> &'static str {
        "loopback"
    }

    fn chip(&self) -> &'static str {
        "loopback"
    }

    fn model(&self) -> &'static str {
        "software loopback"
    }

    fn location(&self) -> String {
        String::from("software")
    }

    fn mac(&self) -> [u8; 6] {
        SERVER_MAC
    }

    fn max_frame(&self) -> usize {
        MAX_FRAME
    }

    fn describe(&self) -> String {
        format!(
            "software device, MAC {}, wire of {QUEUE_FRAMES} frames each way to an in-kernel smoltcp client at {} (MAC {})",
            MacDisplay(&SERVER_MAC),
            client::CLIENT_IP,
            MacDisplay(&CLIENT_MAC)
        )
    }

    /// Runs the other end of the wire: the client reads what the server
    /// sent, advances its checks and sends.
    fn poll(&mut self) {
        if self.stopped {
            return;
        }
        self.client.step(&mut self.tx.queue, &mut self.rx.queue, &mut self.client_dropped);
    }

    fn queues(&mut self) -> (&mut dyn RxQueue, &mut dyn TxQueue) {
        (&mut self.rx, &mut self.tx)
    }

    fn in_flight(&self) -> (usize, usize) {
        (self.rx.queue.frames.len(), self.tx.queue.frames.len())
    }

    fn counters(&self) -> Counters {
        let (r, t) = (&self.rx.counters, &self.tx.counters);
        Counters {
            rx_packets: r.rx_packets,
            rx_bytes: r.rx_bytes,
            tx_packets: t.tx_packets,
            tx_bytes: t.tx_bytes,
            rx_dropped: self.client_dropped,
            rx_ring_full: self.client_dropped,
            tx_dropped: t.tx_dropped,
            tx_ring_full: t.tx_ring_full,
            ..Counters::default()
        }
    }

    fn routed_line(&self) -> Option<Result<u32, String>> {
        None
    }

    fn enable_interrupts(&mut self, line: u32) -> Result<(), String> {
        Err(format!("the loopback device raises no interrupt (line {line} asked)"))
    }

    fn disable_interrupts(&mut self) {}

    fn arm_interrupts(&self) {}

    fn irq_line(&self) -> Option<u32> {
        None
    }

    fn irq_work_pending(&self) -> bool {
        false
    }

    fn irq_counters(&self) -> IrqCounters {
        IrqCounters::default()
    }

    /// Reports the client's verdict and empties the wire.
    fn down(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.client.report();
        self.rx.lent = None;
        self.rx.queue.frames.clear();
        self.tx.queue.frames.clear();
    }
}
