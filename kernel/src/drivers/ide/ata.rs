//! The ATA side of a channel: the taskfile, the wait loops (each with a
//! timeout whose error names the command and the status and error
//! registers), soft reset and presence check, IDENTIFY DEVICE and the
//! PIO data phase between the data register and a request's segments.
//!
//! The command encoding and the IDENTIFY parser here are minimal private
//! versions (`proto`) until the host-tested `ata` crate is merged.

use super::sff::{Channel, StatusText, ctl, reg, st};
use crate::block::{BlockError, SECTOR, Segment};
use crate::mm::phys_ptr;
use crate::time::{cycles, delay_us, freq};

pub use proto::{Command, Identify, Taskfile};

/// Waits: the drive leaving BSY after a command.
pub const BSY_MS: u64 = 2_000;
/// A data request (DRQ) after BSY clears.
pub const DRQ_MS: u64 = 1_000;
/// BSY after a soft reset (a drive spinning up takes seconds).
pub const RESET_MS: u64 = 10_000;
/// A DMA command's completion.
pub const DMA_MS: u64 = 5_000;

/// Minimal ATA protocol helpers (command codes, taskfile, IDENTIFY).
pub mod proto {
    use alloc::string::String;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(u8)]
    pub enum Command {
        Identify = 0xec,
        ReadSectors = 0x20,
        ReadSectorsExt = 0x24,
        WriteSectors = 0x30,
        WriteSectorsExt = 0x34,
        ReadDma = 0xc8,
        ReadDmaExt = 0x25,
        WriteDma = 0xca,
        WriteDmaExt = 0x35,
        FlushCache = 0xe7,
        FlushCacheExt = 0xea,
    }

    impl Command {
        pub fn name(self) -> &'static str {
            match self {
                Command::Identify => "IDENTIFY DEVICE",
                Command::ReadSectors => "READ SECTORS",
                Command::ReadSectorsExt => "READ SECTORS EXT",
                Command::WriteSectors => "WRITE SECTORS",
                Command::WriteSectorsExt => "WRITE SECTORS EXT",
                Command::ReadDma => "READ DMA",
                Command::ReadDmaExt => "READ DMA EXT",
                Command::WriteDma => "WRITE DMA",
                Command::WriteDmaExt => "WRITE DMA EXT",
                Command::FlushCache => "FLUSH CACHE",
                Command::FlushCacheExt => "FLUSH CACHE EXT",
            }
        }
    }

    /// A command's register values.
    #[derive(Clone, Copy, Debug)]
    pub struct Taskfile {
        pub command: Command,
        /// Sector count as written (0 means 256, or 65536 for LBA48).
        pub count: u16,
        pub lba: u64,
        /// The LBA48 register layout (HOB bytes first).
        pub lba48: bool,
    }

    /// A read or write of `sectors` sectors from `lba`: LBA48 commands
    /// when `lba48` (the caller has checked the drive has it) and either
    /// the range or the count needs them, else LBA28.
    pub fn rw(write: bool, dma: bool, lba: u64, sectors: u32, lba48: bool) -> Taskfile {
        let ext = lba48 && (lba + sectors as u64 > (1 << 28) || sectors > 256);
        let command = match (write, dma, ext) {
            (false, false, false) => Command::ReadSectors,
            (false, false, true) => Command::ReadSectorsExt,
            (true, false, false) => Command::WriteSectors,
            (true, false, true) => Command::WriteSectorsExt,
            (false, true, false) => Command::ReadDma,
            (false, true, true) => Command::ReadDmaExt,
            (true, true, false) => Command::WriteDma,
            (true, true, true) => Command::WriteDmaExt,
        };
        Taskfile { command, count: sectors as u16, lba, lba48: ext }
    }

    /// Whether an LBA28 command can address `sectors` from `lba`.
    pub fn fits_lba28(lba: u64, sectors: u32) -> bool {
        lba + sectors as u64 <= (1 << 28) && sectors <= 256
    }

    /// IDENTIFY DEVICE data.
    #[derive(Clone)]
    pub struct Identify {
        pub words: [u16; 256],
    }

    impl Identify {
        /// `Err` says why the data is no ATA disk's.
        pub fn parse(words: &[u16; 256]) -> Result<Identify, &'static str> {
            if words.iter().all(|&w| w == 0) || words.iter().all(|&w| w == 0xffff) {
                return Err("IDENTIFY data all zeros or all ones");
            }
            if words[0] & 0x8000 != 0 {
                return Err("word 0 bit 15 set: not an ATA device");
            }
            if words[49] & (1 << 9) == 0 {
                return Err("no LBA (word 49 bit 9 clear)");
            }
            let id = Identify { words: *words };
            if id.capacity() == 0 {
                return Err("capacity 0");
            }
            Ok(id)
        }

        fn string(&self, from: usize, to: usize) -> String {
            let mut s = String::new();
            for &w in &self.words[from..to] {
                for b in [(w >> 8) as u8, w as u8] {
                    s.push(if (0x20..0x7f).contains(&b) { b as char } else { '?' });
                }
            }
            String::from(s.trim())
        }

        pub fn model(&self) -> String {
            self.string(27, 47)
        }

        pub fn serial(&self) -> String {
            self.string(10, 20)
        }

        pub fn firmware(&self) -> String {
            self.string(23, 27)
        }

        /// LBA48 supported and enabled (words 83 and 86 bit 10).
        pub fn lba48(&self) -> bool {
            let w = &self.words;
            w[83] & 0xc000 == 0x4000 && w[83] & (1 << 10) != 0 && w[86] & (1 << 10) != 0
        }

        /// Sectors addressable: words 100-103 with LBA48, else 60-61.
        pub fn capacity(&self) -> u64 {
            let w = &self.words;
            if self.lba48() {
                let c = w[100] as u64 | (w[101] as u64) << 16 | (w[102] as u64) << 32 | (w[103] as u64) << 48;
                if c != 0 {
                    return c;
                }
            }
            w[60] as u64 | (w[61] as u64) << 16
        }

        /// DMA supported (word 49 bit 8).
        pub fn dma(&self) -> bool {
            self.words[49] & (1 << 8) != 0
        }

        /// Multiword DMA modes supported / selected (word 63).
        pub fn mwdma(&self) -> (u8, u8) {
            let w = self.words[63];
            ((w & 7) as u8, ((w >> 8) & 7) as u8)
        }

        /// Ultra DMA modes supported / selected (word 88, valid with
        /// word 53 bit 2).
        pub fn udma(&self) -> (u8, u8) {
            if self.words[53] & 4 == 0 {
                return (0, 0);
            }
            let w = self.words[88];
            ((w & 0x7f) as u8, ((w >> 8) & 0x7f) as u8)
        }
    }
}

/// The highest set bit of a mode mask as a mode number.
pub fn top_mode(mask: u8) -> Option<u8> {
    (mask != 0).then(|| 7 - mask.leading_zeros() as u8)
}

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
    ch.write(reg::DEVICE, 0xe0 | (drive & 1) << 4);
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

/// Writes a taskfile (HOB bytes first for LBA48) and the command.
pub fn issue(ch: &Channel, drive: u8, tf: &Taskfile) {
    let l = tf.lba;
    if tf.lba48 {
        ch.write(reg::FEATURES, 0);
        ch.write(reg::COUNT, (tf.count >> 8) as u8);
        ch.write(reg::LBA_LOW, (l >> 24) as u8);
        ch.write(reg::LBA_MID, (l >> 32) as u8);
        ch.write(reg::LBA_HIGH, (l >> 40) as u8);
        ch.write(reg::FEATURES, 0);
        ch.write(reg::COUNT, tf.count as u8);
        ch.write(reg::LBA_LOW, l as u8);
        ch.write(reg::LBA_MID, (l >> 8) as u8);
        ch.write(reg::LBA_HIGH, (l >> 16) as u8);
        ch.write(reg::DEVICE, 0x40 | (drive & 1) << 4);
    } else {
        ch.write(reg::FEATURES, 0);
        ch.write(reg::COUNT, tf.count as u8);
        ch.write(reg::LBA_LOW, l as u8);
        ch.write(reg::LBA_MID, (l >> 8) as u8);
        ch.write(reg::LBA_HIGH, (l >> 16) as u8);
        ch.write(reg::DEVICE, 0xe0 | (drive & 1) << 4 | ((l >> 24) & 0xf) as u8);
    }
    ch.write(reg::COMMAND, tf.command as u8);
    ch.settle();
}

/// IDENTIFY DEVICE by PIO (interrupts off).
pub fn identify(ch: &Channel, drive: u8) -> Result<[u16; 256], BlockError> {
    let name = Command::Identify.name();
    select(ch, drive);
    wait_not_busy(ch, name, BSY_MS)?;
    ch.write(reg::COMMAND, Command::Identify as u8);
    ch.settle();
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

/// A position in a request's segments.
pub struct Cursor<'a> {
    segs: &'a [Segment],
    i: usize,
    off: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(segs: &'a [Segment]) -> Self {
        Cursor { segs, i: 0, off: 0 }
    }

    /// Copies one sector into the segments at the cursor.
    fn put(&mut self, buf: &[u8; SECTOR]) -> Result<(), BlockError> {
        let mut done = 0;
        while done < SECTOR {
            let seg = self.segs.get(self.i).ok_or(BlockError::Invalid("segments shorter than the sectors"))?;
            let n = (seg.len - self.off).min(SECTOR - done);
            // SAFETY: the request's segments are memory its caller owns for
            // the length of the request (block layer contract); the range
            // [pa + off, +n) lies inside segment i; KSEG maps it.
            unsafe { core::ptr::copy_nonoverlapping(buf.as_ptr().add(done), phys_ptr::<u8>(seg.pa + self.off as u64), n) };
            self.advance(n);
            done += n;
        }
        Ok(())
    }

    /// Copies one sector from the segments at the cursor.
    fn take(&mut self, buf: &mut [u8; SECTOR]) -> Result<(), BlockError> {
        let mut done = 0;
        while done < SECTOR {
            let seg = self.segs.get(self.i).ok_or(BlockError::Invalid("segments shorter than the sectors"))?;
            let n = (seg.len - self.off).min(SECTOR - done);
            // SAFETY: as in `put`, reading.
            unsafe { core::ptr::copy_nonoverlapping(phys_ptr::<u8>(seg.pa + self.off as u64) as *const u8, buf.as_mut_ptr().add(done), n) };
            self.advance(n);
            done += n;
        }
        Ok(())
    }

    fn advance(&mut self, n: usize) {
        self.off += n;
        while self.i < self.segs.len() && self.off >= self.segs[self.i].len {
            self.off -= self.segs[self.i].len;
            self.i += 1;
        }
    }
}

/// The PIO data phase of a read or write command already issued:
/// `sectors` sectors, one DRQ block each, between the data register and
/// `segs`; then the final status.
pub fn pio_transfer(ch: &Channel, cmd: Command, write: bool, sectors: u32, segs: &[Segment]) -> Result<(), BlockError> {
    let name = cmd.name();
    let mut cur = Cursor::new(segs);
    let mut buf = [0u8; SECTOR];
    for _ in 0..sectors {
        let s = wait_drq(ch, name, BSY_MS)?;
        if s & (st::ERR | st::DF) != 0 || s & st::DRQ == 0 {
            return Err(device_error(ch, name));
        }
        if write {
            cur.take(&mut buf)?;
            for i in 0..SECTOR / 2 {
                ch.write_data(u16::from_le_bytes([buf[2 * i], buf[2 * i + 1]]));
            }
        } else {
            for i in 0..SECTOR / 2 {
                let w = ch.read_data().to_le_bytes();
                buf[2 * i] = w[0];
                buf[2 * i + 1] = w[1];
            }
            cur.put(&buf)?;
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

/// The status/error pair decoded (for WARN lines).
pub fn describe(status: u8, error: u8) -> StatusText {
    StatusText(status, error)
}
