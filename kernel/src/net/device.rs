//! smoltcp's `phy::Device` over the polled 21143 driver.
//!
//! A receive token holds a frame the driver has already unmapped (the CPU
//! owns the buffer); consuming it, or dropping it unconsumed, gives the
//! buffer back, and the driver maps it again for the chip. A transmit
//! token lets smoltcp write straight into a driver buffer, which is mapped
//! `ToDevice` once written and unmapped when the chip has sent it.

use crate::drivers::tulip::{MTU_FRAME, Nic, RxFrame, RxPart, TxPart};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

pub struct TulipDevice {
    pub nic: Nic,
}

pub struct RxToken<'a> {
    rx: &'a mut RxPart,
    frame: Option<RxFrame>,
}

pub struct TxToken<'a> {
    tx: &'a mut TxPart,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F>(mut self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        // `frame` is always Some until here or until Drop.
        let frame = self.frame.take().expect("receive token consumed twice");
        let r = f(frame.data());
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
        self.tx.send(len, f)
    }
}

impl phy::Device for TulipDevice {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let frame = self.nic.rx.next()?;
        Some((RxToken { rx: &mut self.nic.rx, frame: Some(frame) }, TxToken { tx: &mut self.nic.tx }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        if self.nic.tx.ready() { Some(TxToken { tx: &mut self.nic.tx }) } else { None }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU_FRAME;
        caps.max_burst_size = Some(16);
        caps
    }
}
