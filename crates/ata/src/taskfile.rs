//! ATA commands and the command block register writes that issue them
//! (ATA/ATAPI-8 ACS "Command descriptions"; ATA8-APT "Register
//! addressing" and "Command block registers").
//!
//! Which command carries a transfer ([`rw`]): a 28-bit command (READ DMA,
//! READ SECTOR(S), ...) when the transfer is at most 256 sectors and lies
//! below the 28-bit limit, otherwise the 48-bit one (READ DMA EXT, ...)
//! when the drive has the 48-bit Address feature set (IDENTIFY word 83
//! bit 10), at most 65536 sectors. The 28-bit limit is taken as IDENTIFY
//! words 60-61 define it: at most 0x0FFF_FFFF sectors are addressable
//! with 28-bit commands, so the last sector a 28-bit command touches is
//! 0x0FFF_FFFE (as Linux's `lba_28_ok`).

use core::fmt;

/// The commands the driver sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// IDENTIFY DEVICE (PIO data in, 512 bytes).
    IdentifyDevice = 0xEC,
    /// READ DMA (28-bit).
    ReadDma = 0xC8,
    /// READ DMA EXT (48-bit).
    ReadDmaExt = 0x25,
    /// WRITE DMA (28-bit).
    WriteDma = 0xCA,
    /// WRITE DMA EXT (48-bit).
    WriteDmaExt = 0x35,
    /// READ SECTOR(S) (28-bit PIO).
    ReadSectors = 0x20,
    /// READ SECTOR(S) EXT (48-bit PIO).
    ReadSectorsExt = 0x24,
    /// WRITE SECTOR(S) (28-bit PIO).
    WriteSectors = 0x30,
    /// WRITE SECTOR(S) EXT (48-bit PIO).
    WriteSectorsExt = 0x34,
    /// FLUSH CACHE (no data).
    FlushCache = 0xE7,
    /// FLUSH CACHE EXT (no data).
    FlushCacheExt = 0xEA,
    /// SET FEATURES (no data).
    SetFeatures = 0xEF,
}

impl Command {
    /// The command's name as the ATA standard spells it.
    pub const fn name(&self) -> &'static str {
        match self {
            Command::IdentifyDevice => "IDENTIFY DEVICE",
            Command::ReadDma => "READ DMA",
            Command::ReadDmaExt => "READ DMA EXT",
            Command::WriteDma => "WRITE DMA",
            Command::WriteDmaExt => "WRITE DMA EXT",
            Command::ReadSectors => "READ SECTOR(S)",
            Command::ReadSectorsExt => "READ SECTOR(S) EXT",
            Command::WriteSectors => "WRITE SECTOR(S)",
            Command::WriteSectorsExt => "WRITE SECTOR(S) EXT",
            Command::FlushCache => "FLUSH CACHE",
            Command::FlushCacheExt => "FLUSH CACHE EXT",
            Command::SetFeatures => "SET FEATURES",
        }
    }

    /// The opcode written to the Command register.
    pub const fn opcode(&self) -> u8 {
        *self as u8
    }

    /// The command with this opcode, if it is one of these.
    pub const fn from_opcode(op: u8) -> Option<Command> {
        Some(match op {
            0xEC => Command::IdentifyDevice,
            0xC8 => Command::ReadDma,
            0x25 => Command::ReadDmaExt,
            0xCA => Command::WriteDma,
            0x35 => Command::WriteDmaExt,
            0x20 => Command::ReadSectors,
            0x24 => Command::ReadSectorsExt,
            0x30 => Command::WriteSectors,
            0x34 => Command::WriteSectorsExt,
            0xE7 => Command::FlushCache,
            0xEA => Command::FlushCacheExt,
            0xEF => Command::SetFeatures,
            _ => return None,
        })
    }

    /// A 48-bit command (its registers are written twice, high order first).
    pub const fn is_lba48(&self) -> bool {
        matches!(
            self,
            Command::ReadDmaExt
                | Command::WriteDmaExt
                | Command::ReadSectorsExt
                | Command::WriteSectorsExt
                | Command::FlushCacheExt
        )
    }

    /// A DMA data transfer.
    pub const fn is_dma(&self) -> bool {
        matches!(self, Command::ReadDma | Command::ReadDmaExt | Command::WriteDma | Command::WriteDmaExt)
    }

    /// Data moves from the device to memory.
    pub const fn data_in(&self) -> bool {
        matches!(
            self,
            Command::IdentifyDevice
                | Command::ReadDma
                | Command::ReadDmaExt
                | Command::ReadSectors
                | Command::ReadSectorsExt
        )
    }

    /// Data moves from memory to the device.
    pub const fn data_out(&self) -> bool {
        matches!(
            self,
            Command::WriteDma | Command::WriteDmaExt | Command::WriteSectors | Command::WriteSectorsExt
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Device register bit 6: the address is an LBA.
pub const DEVICE_LBA: u8 = 1 << 6;
/// Device register bit 4: the command is for device 1 (the slave).
pub const DEVICE_DEV1: u8 = 1 << 4;
/// Device register bits 7 and 5: obsolete, set to 1 by older hosts (and
/// by Linux) for drives of before ATA-4.
pub const DEVICE_OBS: u8 = 0xA0;

/// SET FEATURES subcommand: set the transfer mode (count = the mode).
pub const FEATURE_XFER_MODE: u8 = 0x03;
/// SET FEATURES subcommand: enable the volatile write cache.
pub const FEATURE_WCACHE_ON: u8 = 0x02;
/// SET FEATURES subcommand: disable the volatile write cache.
pub const FEATURE_WCACHE_OFF: u8 = 0x82;
/// SET FEATURES transfer mode values (count register): PIO flow control
/// mode `n` is `XFER_PIO | n`, multiword DMA `XFER_MWDMA | n`, Ultra DMA
/// `XFER_UDMA | n`.
pub const XFER_PIO: u8 = 0x08;
/// See [`XFER_PIO`].
pub const XFER_MWDMA: u8 = 0x20;
/// See [`XFER_PIO`].
pub const XFER_UDMA: u8 = 0x40;

/// The largest LBA28 transfer, in sectors (count 0).
pub const LBA28_MAX_SECTORS: u32 = 256;
/// The largest LBA48 transfer, in sectors (count 0).
pub const LBA48_MAX_SECTORS: u32 = 65536;
/// 28-bit commands address sectors below this (see the module docs).
pub const LBA28_LIMIT: u64 = (1 << 28) - 1;

/// One command with its register contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taskfile {
    /// The command.
    pub command: Command,
    /// Features register (high byte: its previous content, 48-bit only).
    pub features: u16,
    /// Sectors; 0 means 256 (LBA28) or 65536 (LBA48).
    pub count: u16,
    /// The first sector (bits 27..0 for 28-bit commands, 47..0 for 48-bit).
    pub lba: u64,
    /// Device register: [`DEVICE_LBA`] for a transfer, and for a 28-bit
    /// one the LBA's bits 27..24 in bits 3..0. The drive bit
    /// ([`DEVICE_DEV1`]) is the driver's to add ([`Taskfile::on_dev1`]).
    pub device: u8,
}

impl Taskfile {
    /// This command for device 1 (sets [`DEVICE_DEV1`]) when `dev1`.
    pub const fn on_dev1(mut self, dev1: bool) -> Taskfile {
        if dev1 {
            self.device |= DEVICE_DEV1;
        }
        self
    }

    /// The number of sectors `count` stands for (0 is 256 or 65536).
    pub const fn sectors(&self) -> u32 {
        match (self.count, self.command.is_lba48()) {
            (0, true) => LBA48_MAX_SECTORS,
            (0, false) => LBA28_MAX_SECTORS,
            (n, _) => n as u32,
        }
    }
}

/// Why no command fits a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtaError {
    /// A transfer of 0 sectors.
    ZeroSectors,
    /// Sectors `lba..lba+sectors` are not all below `capacity`.
    PastEnd {
        /// First sector.
        lba: u64,
        /// Sectors asked for.
        sectors: u32,
        /// Sectors on the drive.
        capacity: u64,
    },
    /// More sectors than one command moves on this drive.
    TooMany {
        /// Sectors asked for.
        sectors: u32,
        /// 256, or 65536 with LBA48.
        max: u32,
    },
    /// Beyond the 28-bit limit on a drive without LBA48.
    NeedsLba48 {
        /// First sector.
        lba: u64,
        /// Sectors asked for.
        sectors: u32,
    },
}

impl fmt::Display for AtaError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            AtaError::ZeroSectors => write!(f, "a transfer of 0 sectors"),
            AtaError::PastEnd { lba, sectors, capacity } => write!(
                f,
                "sectors {lba}..{} are past the end of the drive ({capacity} sectors)",
                lba.saturating_add(sectors as u64)
            ),
            AtaError::TooMany { sectors, max } => {
                write!(f, "{sectors} sectors in one command, at most {max} on this drive")
            }
            AtaError::NeedsLba48 { lba, sectors } => write!(
                f,
                "sectors {lba}..{} need 48-bit commands, which the drive lacks",
                lba.saturating_add(sectors as u64)
            ),
        }
    }
}

/// The command for a transfer of `sectors` sectors from `lba`: a write
/// when `write`, by DMA when `dma`, on a drive of `capacity` sectors that
/// has the 48-bit feature set when `lba48`. See the module docs for the
/// choice. Errors are checked in the order: [`AtaError::ZeroSectors`],
/// [`AtaError::PastEnd`], [`AtaError::TooMany`], [`AtaError::NeedsLba48`].
pub fn rw(write: bool, dma: bool, lba: u64, sectors: u32, capacity: u64, lba48: bool) -> Result<Taskfile, AtaError> {
    if sectors == 0 {
        return Err(AtaError::ZeroSectors);
    }
    let end = lba.checked_add(sectors as u64);
    if end.is_none_or(|end| end > capacity) {
        return Err(AtaError::PastEnd { lba, sectors, capacity });
    }
    let end = lba + sectors as u64;
    let max = if lba48 { LBA48_MAX_SECTORS } else { LBA28_MAX_SECTORS };
    if sectors > max {
        return Err(AtaError::TooMany { sectors, max });
    }
    let fits28 = sectors <= LBA28_MAX_SECTORS && end <= LBA28_LIMIT;
    if !fits28 && !lba48 {
        return Err(AtaError::NeedsLba48 { lba, sectors });
    }
    if !fits28 && end > 1 << 48 {
        // Only a capacity beyond the 48-bit range gets here.
        return Err(AtaError::PastEnd { lba, sectors, capacity: 1 << 48 });
    }
    let command = match (write, dma, fits28) {
        (false, true, true) => Command::ReadDma,
        (false, true, false) => Command::ReadDmaExt,
        (true, true, true) => Command::WriteDma,
        (true, true, false) => Command::WriteDmaExt,
        (false, false, true) => Command::ReadSectors,
        (false, false, false) => Command::ReadSectorsExt,
        (true, false, true) => Command::WriteSectors,
        (true, false, false) => Command::WriteSectorsExt,
    };
    // 256 (28-bit) and 65536 (48-bit) are written as 0.
    let count = if fits28 { sectors % LBA28_MAX_SECTORS } else { sectors % LBA48_MAX_SECTORS } as u16;
    let device = if fits28 { DEVICE_LBA | ((lba >> 24) & 0x0f) as u8 } else { DEVICE_LBA };
    Ok(Taskfile { command, features: 0, count, lba, device })
}

/// FLUSH CACHE EXT when `lba48`, else FLUSH CACHE.
pub const fn flush(lba48: bool) -> Taskfile {
    let command = if lba48 { Command::FlushCacheExt } else { Command::FlushCache };
    Taskfile { command, features: 0, count: 0, lba: 0, device: 0 }
}

/// IDENTIFY DEVICE.
pub const fn identify() -> Taskfile {
    Taskfile { command: Command::IdentifyDevice, features: 0, count: 0, lba: 0, device: 0 }
}

/// SET FEATURES with subcommand `feature` (Features register) and `count`
/// (e.g. [`FEATURE_XFER_MODE`] with `XFER_UDMA | 5`).
pub const fn set_features(feature: u8, count: u8) -> Taskfile {
    Taskfile { command: Command::SetFeatures, features: feature as u16, count: count as u16, lba: 0, device: 0 }
}

/// A command block register, as written (ATA8-APT "Command block registers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reg {
    /// Features (Error when read).
    Features,
    /// Sector Count.
    SectorCount,
    /// LBA Low (Sector Number).
    LbaLow,
    /// LBA Mid (Cylinder Low).
    LbaMid,
    /// LBA High (Cylinder High).
    LbaHigh,
    /// Device (Drive/Head).
    Device,
    /// Command (Status when read).
    Command,
}

impl Reg {
    /// The register's offset in the command block (Data is 0), to add to
    /// the block's address.
    pub const fn offset(&self) -> u64 {
        match self {
            Reg::Features => 1,
            Reg::SectorCount => 2,
            Reg::LbaLow => 3,
            Reg::LbaMid => 4,
            Reg::LbaHigh => 5,
            Reg::Device => 6,
            Reg::Command => 7,
        }
    }

    /// The register's name.
    pub const fn name(&self) -> &'static str {
        match self {
            Reg::Features => "FEATURES",
            Reg::SectorCount => "SECTOR COUNT",
            Reg::LbaLow => "LBA LOW",
            Reg::LbaMid => "LBA MID",
            Reg::LbaHigh => "LBA HIGH",
            Reg::Device => "DEVICE",
            Reg::Command => "COMMAND",
        }
    }
}

/// The most writes [`register_writes`] returns.
pub const MAX_WRITES: usize = 12;

/// The register writes that issue `tf`, in order; the first `n` of the
/// array (the second value) are the writes. A 48-bit command writes
/// Features, Sector Count, LBA Low, Mid and High twice, first with the
/// high-order bytes (features 15:8, count 15:8, LBA 31:24, 39:32, 47:40),
/// then the low-order ones (7:0, 7:0, LBA 7:0, 15:8, 23:16); a 28-bit one
/// writes them once. Then Device, and Command last (it starts the command).
pub fn register_writes(tf: &Taskfile) -> ([(Reg, u8); MAX_WRITES], usize) {
    let mut w = [(Reg::Command, 0u8); MAX_WRITES];
    let mut n = 0;
    let mut put = |reg: Reg, val: u8| {
        w[n] = (reg, val);
        n += 1;
    };
    let lba = tf.lba;
    if tf.command.is_lba48() {
        put(Reg::Features, (tf.features >> 8) as u8);
        put(Reg::SectorCount, (tf.count >> 8) as u8);
        put(Reg::LbaLow, (lba >> 24) as u8);
        put(Reg::LbaMid, (lba >> 32) as u8);
        put(Reg::LbaHigh, (lba >> 40) as u8);
    }
    put(Reg::Features, tf.features as u8);
    put(Reg::SectorCount, tf.count as u8);
    put(Reg::LbaLow, lba as u8);
    put(Reg::LbaMid, (lba >> 8) as u8);
    put(Reg::LbaHigh, (lba >> 16) as u8);
    put(Reg::Device, tf.device);
    put(Reg::Command, tf.command.opcode());
    (w, n)
}
