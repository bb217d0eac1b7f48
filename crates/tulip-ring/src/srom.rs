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
