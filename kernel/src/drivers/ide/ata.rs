//! The ATA side of a channel: issuing a taskfile (from the host-tested
//! `ata` crate, which builds and orders it), the wait loops (each with a
//! timeout whose error names the command and the status and error
//! registers), soft reset and presence check, IDENTIFY DEVICE and the PIO
//! data phase between the data register and a request's segments.

use super::sff::{Channel, ctl, reg, st};
use crate::block::buf::SegCursor;
use crate::block::{BlockError, SECTOR, Segment};
use crate::time::{cycles, delay_us, freq};
use ::ata::taskfile::{self, Command, Taskfile};

/// Waits: the drive leaving BSY after a command.
pub const BSY_MS: u64 = 2_000;
/// A data request (DRQ) after BSY clears.
pub const DRQ_MS: u64 = 1_000;
/// BSY after a soft reset (a drive spinning up takes seconds).
pub const RESET_MS: u64 = 10_000;
/// A DMA command's completion.
pub const DMA_MS: u64 = 5_000;

fn elapsed_ms(start: u64) -> u64 {
    let f = freq();
    if f == 0 { 0 } else { (cycles() - start) * 1000 / f }
}

/// Polls the alternate status until `done` holds, at most `ms`; the
/// timeout names the command, what was awaited, and the registers.
fn wait(ch: &Channel, cmd: &'static str, waiting_for: &'static str, ms: u64, done: impl Fn(u8) -> bool) -> Result<u8, BlockError> {
    let start = cycles();
    let f = freq();
    let limit = if f == 0 { u64::MAX } else { ms * f / 1000 };
    let mut polls: u64 = 0;
    loop {
        let s = ch.alt_status();
        if done(s) {
            return Ok(s);
        }
        polls += 1;
        let expired = if f == 0 { polls > ms * 10_000 } else { cycles() - start > limit };
        if expired {
            let s = ch.alt_status();
            if done(s) {
                return Ok(s);
            }
            let error = ch.read(reg::ERROR);
            return Err(BlockError::Timeout { cmd, waiting_for, status: s, error, ms: elapsed_ms(start) });
        }
        core::hint::spin_loop();
    }
}

/// Waits for BSY to clear.
pub fn wait_not_busy(ch: &Channel, cmd: &'static str, ms: u64) -> Result<u8, BlockError> {
    wait(ch, cmd, "BSY to clear", ms, |s| s & st::BSY == 0)
}

/// Waits for BSY clear and DRQ (or an error) set.
pub fn wait_drq(ch: &Channel, cmd: &'static str, ms: u64) -> Result<u8, BlockError> {
    wait(ch, cmd, "DRQ", ms, |s| s & st::BSY == 0 && s & (st::DRQ | st::ERR | st::DF) != 0)
}

/// The drive's error, from the status register (acknowledges INTRQ).
pub fn device_error(ch: &Channel, cmd: &'static str) -> BlockError {
    let status = ch.status();
    BlockError::Device { cmd, status, error: ch.read(reg::ERROR) }
}

/// Selects `drive` (0 master, 1 slave) with LBA addressing.
pub fn select(ch: &Channel, drive: u8) {
    ch.write(reg::DEVICE, taskfile::DEVICE_OBS | taskfile::DEVICE_LBA | (drive & 1) << 4);
    ch.settle();
}

/// What a channel answered to a soft reset.
pub enum Presence {
    /// An ATA device answered (its signature).
    Ata,
    /// No device: why (for the "no drive" line).
    None(alloc::string::String),
    /// An ATAPI device (signature 0x14/0xeb): not a disk this driver takes.
    Atapi,
}

/// Soft reset (SRST) of the channel with interrupts off, then the
/// presence check of `drive`: a floating bus (status 0xff/0x7f), a test
/// pattern that does not stick in the count/LBA registers, or a device
/// that stays busy means no drive.
pub fn reset_and_probe(ch: &Channel, drive: u8) -> Presence {
    use alloc::format;
    let s0 = ch.alt_status();
    if s0 == 0xff || s0 == 0x7f {
        return Presence::None(format!("status {s0:#04x}: floating bus"));
    }
    ch.set_control(ctl::NIEN | ctl::SRST);
    delay_us(10);
    ch.set_control(ctl::NIEN);
    delay_us(2_000);
    // A device that is there is busy for a while after the reset and
    // ignores register writes until it is done; an absent one is not
    // busy (or floats, seen above).
    if let Err(e) = wait_not_busy(ch, "soft reset", RESET_MS) {
        return Presence::None(format!("{e}"));
    }
    select(ch, drive);
    // The pattern test (Linux's ata_devchk): registers of an absent
    // device do not keep what is written.
    for (c, l) in [(0x55u8, 0xaau8), (0xaa, 0x55), (0x55, 0xaa)] {
        ch.write(reg::COUNT, c);
        ch.write(reg::LBA_LOW, l);
    }
    let (c, l) = (ch.read(reg::COUNT), ch.read(reg::LBA_LOW));
    let s = ch.alt_status();
    if s == 0xff || s == 0x7f {
        return Presence::None(format!("status {s:#04x} after reset: floating bus"));
    }
    if (c, l) != (0x55, 0xaa) {
        return Presence::None(format!(
            "status {s:#04x}; a test pattern written to the count/LBA low registers read back as {c:#04x}/{l:#04x}, not 0x55/0xaa"
        ));
    }
    select(ch, drive);
    let (mid, high) = (ch.read(reg::LBA_MID), ch.read(reg::LBA_HIGH));
    if (mid, high) == (0x14, 0xeb) {
        return Presence::Atapi;
    }
    let s = ch.alt_status();
    if s == 0 && (mid, high) != (0, 0) {
        return Presence::None(format!("status 0x00, signature {mid:#04x}/{high:#04x}: not an ATA disk"));
    }
    Presence::Ata
}

/// Writes a taskfile in the order `ata::taskfile::register_writes` gives
/// (HOB bytes first for LBA48, the command last), for `drive`, with the
/// device register's obsolete bits set as older drives expect.
pub fn issue(ch: &Channel, drive: u8, tf: &Taskfile) {
    let mut tf = tf.on_dev1(drive == 1);
    tf.device |= taskfile::DEVICE_OBS;
    let (writes, n) = taskfile::register_writes(&tf);
    for &(r, v) in &writes[..n] {
        ch.write(r.offset(), v);
    }
    ch.settle();
}

/// IDENTIFY DEVICE by PIO (interrupts off).
pub fn identify(ch: &Channel, drive: u8) -> Result<[u16; 256], BlockError> {
    let tf = taskfile::identify();
    let name = tf.command.name();
    select(ch, drive);
    wait_not_busy(ch, name, BSY_MS)?;
    issue(ch, drive, &tf);
    let s = wait_drq(ch, name, BSY_MS)?;
    if s & (st::ERR | st::DF) != 0 || s & st::DRQ == 0 {
        return Err(device_error(ch, name));
    }
    let mut words = [0u16; 256];
    for w in words.iter_mut() {
        *w = ch.read_data();
    }
    let _ = ch.status();
    Ok(words)
}

/// The PIO data phase of a read or write command already issued:
/// `sectors` sectors, one DRQ block each, between the data register and
/// `segs`; then the final status.
pub fn pio_transfer(ch: &Channel, cmd: Command, write: bool, sectors: u32, segs: &[Segment]) -> Result<(), BlockError> {
    let name = cmd.name();
    let mut cur = SegCursor::new(segs);
    let mut buf = [0u8; SECTOR];
    for i in 0..sectors {
        // The first block comes after the command's own work.
        let s = wait_drq(ch, name, if i == 0 { BSY_MS } else { DRQ_MS })?;
        if s & (st::ERR | st::DF) != 0 || s & st::DRQ == 0 {
            return Err(device_error(ch, name));
        }
        if write {
            cur.copy_out(&mut buf)?;
            for i in 0..SECTOR / 2 {
                ch.write_data(u16::from_le_bytes([buf[2 * i], buf[2 * i + 1]]));
            }
        } else {
            for i in 0..SECTOR / 2 {
                let w = ch.read_data().to_le_bytes();
                buf[2 * i] = w[0];
                buf[2 * i + 1] = w[1];
            }
            cur.copy_in(&buf)?;
        }
        ch.settle();
    }
    let s = wait_not_busy(ch, name, BSY_MS)?;
    if s & (st::ERR | st::DF | st::DRQ) != 0 {
        return Err(device_error(ch, name));
    }
    let _ = ch.status();
    Ok(())
}

/// A command without data phase (a flush), to completion.
pub fn non_data(ch: &Channel, drive: u8, tf: &Taskfile, ms: u64) -> Result<(), BlockError> {
    let name = tf.command.name();
    issue(ch, drive, tf);
    let s = wait_not_busy(ch, name, ms)?;
    if s & (st::ERR | st::DF) != 0 {
        return Err(device_error(ch, name));
    }
    let _ = ch.status();
    Ok(())
}

