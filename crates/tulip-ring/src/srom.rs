//! The serial ROM (a 93C46-style Microwire EEPROM of 16-bit words) behind
//! CSR9, which holds the station address.
//!
//! The driver bit-bangs it through CSR9 (Linux `tulip_read_eeprom`): with
//! [`ENABLE`] (serial ROM selected, read mode, chip select) held, each bit
//! of [`read_command`] is put on DI ([`DI`]) and clocked with SK ([`SK`]);
//! then 16 more clocks shift the word out on DO ([`DO`]), most significant
//! bit first. A CSR9 read between steps stands in for the few hundred
//! nanoseconds the part needs.
//!
//! The station address is in bytes 20..26 (words 10-12) in the 21143's
//! SROM format (versions 1, 3, 4; QEMU's default image too).

/// CSR9: serial ROM chip select.
pub const CS: u32 = 1 << 0;
/// CSR9: serial ROM clock.
pub const SK: u32 = 1 << 1;
/// CSR9: data to the serial ROM.
pub const DI: u32 = 1 << 2;
/// CSR9: data from the serial ROM.
pub const DO: u32 = 1 << 3;
/// CSR9: serial ROM select.
pub const SR: u32 = 1 << 11;
/// CSR9: read operation.
pub const RD: u32 = 1 << 14;
/// CSR9 value that selects the ROM for reading with CS asserted (Linux
/// `EE_ENB`).
pub const ENABLE: u32 = RD | SR | CS;
/// Microwire READ opcode (start bit 1, then 10).
pub const READ_OPCODE: u32 = 0b110;
/// The station address's first word.
pub const MAC_WORD: usize = 10;
/// Address bits of a 64-word (93C46) part, what QEMU emulates.
pub const ADDR_BITS_93C46: u32 = 6;

/// The bits to clock out for READ of `word`, most significant first, as
/// Linux sends them: two zeros (ignored before the start bit by real parts;
/// QEMU's model wants a 0 first), the start bit 1, the opcode 10 and
/// `addr_bits` address bits. Address bits above `addr_bits` are dropped.
pub fn read_command(word: u16, addr_bits: u32) -> impl Iterator<Item = bool> {
    let cmd = (READ_OPCODE << addr_bits) | (word as u32 & ((1 << addr_bits) - 1));
    let nbits = 5 + addr_bits;
    (0..nbits).rev().map(move |i| cmd & (1 << i) != 0)
}

/// Why a serial ROM's words 10-12 are not a usable station address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressProblem {
    /// Fewer than 13 words were read.
    Short,
    /// All ones: an erased part, or no part answering on DO.
    Erased,
    /// All zeros: an unprogrammed part.
    Zero,
    /// A group (multicast or broadcast) address: bit 0 of the first byte
    /// is set, so it cannot name one station.
    Group([u8; 6]),
}

impl core::fmt::Display for AddressProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AddressProblem::Short => write!(f, "fewer than 13 words read"),
            AddressProblem::Erased => {
                write!(f, "words 10-12 read as all ones (the ROM is erased, or does not answer)")
            }
            AddressProblem::Zero => write!(f, "words 10-12 are all zeros (the ROM is not programmed)"),
            AddressProblem::Group(m) => write!(
                f,
                "{} is a group (multicast or broadcast) address, not a station's",
                crate::setup::mac_display(m)
            ),
        }
    }
}

/// The station address from SROM words (at least 13 words): words 10-12,
/// little-endian, or why they are not one.
pub fn station_address(words: &[u16]) -> Result<[u8; 6], AddressProblem> {
    let w = words.get(MAC_WORD..MAC_WORD + 3).ok_or(AddressProblem::Short)?;
    if w.iter().all(|&x| x == 0xffff) {
        return Err(AddressProblem::Erased);
    }
    let mut mac = [0u8; 6];
    for (i, word) in w.iter().enumerate() {
        mac[2 * i..2 * i + 2].copy_from_slice(&word.to_le_bytes());
    }
    if mac.iter().all(|&b| b == 0) {
        return Err(AddressProblem::Zero);
    }
    if !crate::setup::is_valid_unicast(&mac) {
        return Err(AddressProblem::Group(mac));
    }
    Ok(mac)
}

/// Reads one 16-bit word of the serial ROM through CSR9, as Linux's
/// `tulip_read_eeprom` does: `write` stores a CSR9 value, `read` loads
/// CSR9 (each read also paces the bit clock). `addr_bits` is 6 for the
/// 64-word parts QEMU and most 21143 boards have (Linux probes 8 first:
/// a 256-word part answers with a zero after 8 address bits).
pub fn read_word(word: u16, addr_bits: u32, mut write: impl FnMut(u32), mut read: impl FnMut() -> u32) -> u16 {
    write(ENABLE & !CS);
    write(ENABLE);
    for bit in read_command(word, addr_bits) {
        let di = if bit { DI } else { 0 };
        write(ENABLE | di);
        read();
        write(ENABLE | di | SK);
        read();
    }
    write(ENABLE);
    read();
    let mut value: u16 = 0;
    for _ in 0..16 {
        write(ENABLE | SK);
        read();
        value = (value << 1) | u16::from(read() & DO != 0);
        write(ENABLE);
        read();
    }
    write(ENABLE & !CS);
    value
}

/// The most words the driver reads: a 256-word part (93C66, 8 address
/// bits).
pub const MAX_WORDS: usize = 256;

/// The serial ROM as [`read_rom`] read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RomRead {
    /// The address width the whole ROM was read at (6 or 8).
    pub addr_bits: u32,
    /// Words read: `1 << addr_bits`.
    pub words: usize,
    /// The station address, or why words 10-12 hold none (at 6 bits when
    /// neither width gave one).
    pub mac: Result<[u8; 6], AddressProblem>,
}

/// Reads the serial ROM with `read_word(word, addr_bits)` into `out` (at
/// least [`MAX_WORDS`] long): words 10-12 at 6 address bits first (a
/// 64-word part, as QEMU has), then at 8 (a 256-word part); then the
/// whole ROM at the width that gave a valid station address, at 6 bits if
/// neither did (the address problem is then the 6-bit reading's).
pub fn read_rom(mut read_word: impl FnMut(u16, u32) -> u16, out: &mut [u16]) -> RomRead {
    let mut read3 = |bits: u32| {
        let mut words = [0u16; MAC_WORD + 3];
        for w in MAC_WORD..MAC_WORD + 3 {
            words[w] = read_word(w as u16, bits);
        }
        station_address(&words)
    };
    let first = read3(ADDR_BITS_93C46);
    let (mac, addr_bits) = match first {
        Ok(_) => (first, ADDR_BITS_93C46),
        Err(_) => match read3(8) {
            Ok(m) => (Ok(m), 8),
            Err(_) => (first, ADDR_BITS_93C46),
        },
    };
    let words = (1usize << addr_bits).min(out.len());
    for (w, o) in out[..words].iter_mut().enumerate() {
        *o = read_word(w as u16, addr_bits);
    }
    RomRead { addr_bits, words, mac }
}

/// A serial ROM image (bytes as the chip shifts them out) whose every
/// word is the same 0xffff or 0x0000: the data-out line never changed, so
/// nothing in it is information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The word every read gave.
    pub value: u16,
    /// How many words were read.
    pub words: usize,
}

/// Whether `rom` is all 0xff or all 0x00 bytes (and at least 26 bytes,
/// past the station address).
pub fn stuck(rom: &[u8]) -> Option<Stuck> {
    let first = *rom.first()?;
    if rom.len() < 2 * (MAC_WORD + 3) || !matches!(first, 0x00 | 0xff) || rom.iter().any(|&b| b != first) {
        return None;
    }
    Some(Stuck { value: u16::from_le_bytes([first, first]), words: rom.len() / 2 })
}

impl core::fmt::Display for Stuck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "reads {:#06x} in all {} words ", self.value, self.words)?;
        if self.value == 0xffff {
            write!(f, "(DO never goes low: the ROM is erased, missing or does not answer)")
        } else {
            write!(f, "(DO never goes high: the ROM is unprogrammed or not connected)")
        }
    }
}
