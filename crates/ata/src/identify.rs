//! IDENTIFY DEVICE data (ATA/ATAPI-8 ACS, "IDENTIFY DEVICE", table
//! "IDENTIFY DEVICE data"): 256 little-endian words, read from the data
//! register after the command.
//!
//! What [`parse`] checks: word 0 bit 15 clear (an ATA device, not ATAPI);
//! the integrity word 255 when its low byte is the signature 0xA5 (then
//! the 512 bytes sum to 0 mod 256; without the signature there is no
//! checksum, as with QEMU's drives); word 49 bit 9 (LBA supported, the
//! only addressing used here); a capacity other than 0.
//!
//! The words decoded: strings (10-19 serial, 23-26 firmware, 27-46 model:
//! two characters per word, the first in the high byte), 47 (READ/WRITE
//! MULTIPLE block), 49 (DMA, LBA), 53 (which of words 64-70 and 88 are
//! valid), 60-61 (28-bit capacity), 63 (multiword DMA modes), 64 (PIO
//! modes 3 and 4), 82-83 (command sets: write cache, FLUSH CACHE (EXT),
//! 48-bit Address; valid when word 83 bits 15:14 are 01), 85 (write cache
//! enabled), 88 (Ultra DMA modes), 100-103 (48-bit capacity).

use core::fmt;

/// Why the data is not a usable ATA disk's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentifyError {
    /// Word 0 bit 15 is set: not an ATA device (ATAPI, or no device:
    /// 0xFFFF). The caller has word 0 to log.
    NotAta,
    /// Word 255 has the signature 0xA5 but the bytes do not sum to 0
    /// ([`checksum`] gives the sum).
    BadChecksum,
    /// Word 49 bit 9 is clear: the drive has no LBA addressing.
    NoLba,
    /// The drive reports 0 sectors.
    ZeroCapacity,
}

impl fmt::Display for IdentifyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            IdentifyError::NotAta => write!(f, "IDENTIFY DEVICE: not an ATA disk (word 0 bit 15 set)"),
            IdentifyError::BadChecksum => {
                write!(f, "IDENTIFY DEVICE: bad checksum (word 255: the 512 bytes do not sum to 0)")
            }
            IdentifyError::NoLba => write!(f, "IDENTIFY DEVICE: the drive has no LBA addressing (word 49 bit 9)"),
            IdentifyError::ZeroCapacity => write!(f, "IDENTIFY DEVICE: the drive reports 0 sectors"),
        }
    }
}

/// The decoded data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identify {
    /// Words 27-46, in reading order (see [`Identify::model`]).
    pub model: [u8; 40],
    /// Words 10-19.
    pub serial: [u8; 20],
    /// Words 23-26.
    pub firmware: [u8; 8],
    /// Words 60-61: sectors addressable with 28-bit commands.
    pub lba28_sectors: u32,
    /// Word 83 bit 10: the 48-bit Address feature set.
    pub lba48: bool,
    /// Words 100-103: sectors addressable with 48-bit commands.
    pub lba48_sectors: u64,
    /// Word 49 bit 8: DMA supported.
    pub dma: bool,
    /// Word 63 bits 2:0: multiword DMA modes supported (bit n: mode n).
    pub mwdma_modes: u8,
    /// Word 88 bits 7:0 when word 53 bit 2 says it is valid, else 0:
    /// Ultra DMA modes supported (bit n: mode n).
    pub udma_modes: u8,
    /// Word 64 bits 1:0 when word 53 bit 1 says it is valid, else 0:
    /// bit 0 PIO mode 3, bit 1 PIO mode 4 (modes 0-2 every drive has).
    pub pio_modes: u8,
    /// Word 83 bit 12: FLUSH CACHE supported.
    pub flush_cache: bool,
    /// Word 83 bit 13: FLUSH CACHE EXT supported.
    pub flush_cache_ext: bool,
    /// Word 82 bit 5: the drive has a volatile write cache.
    pub write_cache: bool,
    /// Word 85 bit 5: the write cache is enabled.
    pub write_cache_enabled: bool,
    /// Word 47 bits 7:0: most sectors per block of READ/WRITE MULTIPLE.
    pub max_multiple: u8,
    /// Word 80: major versions supported (bit n: ATA/ATAPI-n).
    pub major_version: u16,
}

/// `bytes` trimmed of spaces (and NULs) at both ends, as text.
fn text(bytes: &[u8]) -> &str {
    let is_pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !is_pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_pad(b)).map_or(start, |i| i + 1);
    // `parse` stores printable ASCII only, so this never fails.
    core::str::from_utf8(&bytes[start..end]).unwrap_or("?")
}

impl Identify {
    /// The model number, trimmed ("QEMU HARDDISK").
    pub fn model(&self) -> &str {
        text(&self.model)
    }

    /// The serial number, trimmed.
    pub fn serial(&self) -> &str {
        text(&self.serial)
    }

    /// The firmware revision, trimmed.
    pub fn firmware(&self) -> &str {
        text(&self.firmware)
    }

    /// Sectors on the drive: the 48-bit count when the drive has the
    /// 48-bit feature set and reports one, else the 28-bit count.
    pub fn capacity(&self) -> u64 {
        if self.lba48 && self.lba48_sectors != 0 { self.lba48_sectors } else { self.lba28_sectors as u64 }
    }

    /// The fastest Ultra DMA mode supported.
    pub fn best_udma(&self) -> Option<u8> {
        highest(self.udma_modes)
    }

    /// The fastest multiword DMA mode supported.
    pub fn best_mwdma(&self) -> Option<u8> {
        highest(self.mwdma_modes)
    }

    /// The fastest PIO mode supported (0-4; 2 when words 64 say nothing).
    pub fn best_pio(&self) -> u8 {
        match highest(self.pio_modes) {
            Some(m) => 3 + m,
            None => 2,
        }
    }
}

/// One line for a `disk` listing: `"QEMU HARDDISK" serial QM00001
/// firmware 2.5+, 131072 sectors (64 MiB), LBA48, UDMA0-5 MWDMA0-2 PIO4,
/// write cache on, FLUSH CACHE EXT`.
impl fmt::Display for Identify {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let cap = self.capacity();
        write!(f, "\"{}\" serial {} firmware {}, {cap} sectors ({} MiB)", self.model(), self.serial(), self.firmware(), cap / 2048)?;
        f.write_str(if self.lba48 { ", LBA48" } else { ", LBA28" })?;
        if !self.dma {
            f.write_str(", no DMA")?;
        }
        if let Some(m) = self.best_udma() {
            write!(f, ", UDMA0-{m}")?;
        }
        if let Some(m) = self.best_mwdma() {
            write!(f, "{}MWDMA0-{m}", if self.udma_modes != 0 { " " } else { ", " })?;
        }
        write!(f, " PIO{}", self.best_pio())?;
        match (self.write_cache, self.write_cache_enabled) {
            (false, _) => f.write_str(", no write cache")?,
            (true, on) => f.write_str(if on { ", write cache on" } else { ", write cache off" })?,
        }
        f.write_str(match (self.flush_cache_ext, self.flush_cache) {
            (true, _) => ", FLUSH CACHE EXT",
            (false, true) => ", FLUSH CACHE",
            (false, false) => ", no FLUSH CACHE",
        })
    }
}

fn highest(bits: u8) -> Option<u8> {
    (bits != 0).then(|| 7 - bits.leading_zeros() as u8)
}

/// Copies words `from..from + N/2` as a string (high byte first in each
/// word), anything but printable ASCII replaced by `?`.
fn string<const N: usize>(words: &[u16; 256], from: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, pair) in out.chunks_exact_mut(2).enumerate() {
        let [hi, lo] = words[from + i].to_be_bytes();
        pair[0] = hi;
        pair[1] = lo;
    }
    for b in &mut out {
        if !(b' '..=b'~').contains(b) && *b != 0 {
            *b = b'?';
        }
    }
    out
}

/// The sum of the 512 bytes mod 256 (0 when the integrity word is right).
pub fn checksum(words: &[u16; 256]) -> u8 {
    words.iter().fold(0u8, |s, w| {
        let [a, b] = w.to_le_bytes();
        s.wrapping_add(a).wrapping_add(b)
    })
}

/// Checks and decodes the 256 words of IDENTIFY DEVICE (see the module
/// docs for the checks, in the order made).
pub fn parse(words: &[u16; 256]) -> Result<Identify, IdentifyError> {
    let bit = |w: usize, b: u32| words[w] & (1 << b) != 0;
    if bit(0, 15) {
        return Err(IdentifyError::NotAta);
    }
    if words[255] & 0xff == 0xa5 && checksum(words) != 0 {
        return Err(IdentifyError::BadChecksum);
    }
    if !bit(49, 9) {
        return Err(IdentifyError::NoLba);
    }
    // Words 82-84 are valid when word 83 bits 15:14 are 01.
    let sets = words[83] & 0xc000 == 0x4000;
    let valid53 = |b: u32| bit(53, b);
    let id = Identify {
        model: string(words, 27),
        serial: string(words, 10),
        firmware: string(words, 23),
        lba28_sectors: words[60] as u32 | (words[61] as u32) << 16,
        lba48: sets && bit(83, 10),
        lba48_sectors: (0..4).fold(0u64, |s, i| s | (words[100 + i] as u64) << (16 * i)),
        dma: bit(49, 8),
        mwdma_modes: (words[63] & 0x07) as u8,
        udma_modes: if valid53(2) { (words[88] & 0xff) as u8 } else { 0 },
        pio_modes: if valid53(1) { (words[64] & 0x03) as u8 } else { 0 },
        flush_cache: sets && bit(83, 12),
        flush_cache_ext: sets && bit(83, 13),
        write_cache: sets && bit(82, 5),
        write_cache_enabled: sets && bit(85, 5),
        max_multiple: (words[47] & 0xff) as u8,
        major_version: if words[80] == 0xffff { 0 } else { words[80] },
    };
    if id.capacity() == 0 {
        return Err(IdentifyError::ZeroCapacity);
    }
    Ok(id)
}
