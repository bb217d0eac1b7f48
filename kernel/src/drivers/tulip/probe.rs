//! Finding and resetting the 21143: the CSR BAR, the software reset, the
//! serial ROM (station address and the media info leaf), and the station
//! address the NIC runs with.

use super::regs::{Csrs, FALLBACK_MAC};
use crate::pci::{Bar, BarExt, PciDevice};
use crate::time::{delay_us, wait_for};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use bootparam::EarlyParams;
use log::{error, warn};
use tulip_ring::csr::{self, Csr5, RxState, TxState, csr0, csr5, csr6};
use tulip_ring::{mac_display, srom, srom_info};

/// A found, reset 21143.
pub struct Tulip {
    pub pci: PciDevice,
    pub(super) csrs: Csrs,
    /// Which BAR the CSRs are reached through, for messages.
    pub bar: String,
    /// The station address from the serial ROM, or why it holds none.
    pub mac: Result<[u8; 6], srom::AddressProblem>,
    /// The whole serial ROM (64 or 256 words, as the address was found),
    /// as bytes in the order the chip shifts them out.
    pub(super) srom: Vec<u8>,
}

/// The CSR window: BAR1 (memory) if assigned, else BAR0 (I/O), as
/// (KSEG address, description, I/O decode, memory decode), from the BARs
/// the enumeration decoded.
fn csr_bar(pci: &PciDevice) -> Result<(u64, String, bool, bool), String> {
    let min = csr::WINDOW_LEN as u64;
    match (pci.bars[1], pci.bars[0]) {
        (Some(b @ Bar::Memory { addr, size, .. }), _) if addr != 0 && size >= min => {
            return Ok((b.kseg(), format!("BAR1 memory {addr:#x}"), false, true));
        }
        (_, Some(b @ Bar::Io { port, size })) if port != 0 && size as u64 >= min => {
            return Ok((b.kseg(), format!("BAR0 I/O {port:#x}"), true, false));
        }
        _ => {}
    }
    let show = |b: Option<Bar>| b.map_or(String::from("none (absent, or left out by the bus scan: see its pci line)"), |b| format!("{b}"));
    Err(format!(
        "{}: no usable CSR BAR: BAR1 (register 0x14) {}, BAR0 (register 0x10) {}; the CSRs need {} bytes at a non-zero address",
        pci.bdf,
        show(pci.bars[1]),
        show(pci.bars[0]),
        min
    ))
}

/// Takes the 21143 at `pci`: enables its CSR BAR and bus mastering, resets
/// it and reads its station address (`params`: `tulip_srom=`).
pub fn probe(pci: PciDevice, params: &EarlyParams) -> Result<Tulip, String> {
    let (base, bar, io, memory) = csr_bar(&pci)?;
    pci.enable(io, memory, true);
    let mut nic =
        Tulip { pci, csrs: Csrs { base }, bar, mac: Err(srom::AddressProblem::Short), srom: Vec::new() };
    nic.reset()?;
    nic.read_srom(params);
    Ok(nic)
}

impl Tulip {
    /// Software reset (CSR0 SWR), then Linux's Alpha bus mode, interrupts
    /// off (the self-test polls), status cleared; both processes must be
    /// stopped afterwards.
    pub fn reset(&self) -> Result<(), String> {
        let c = self.csrs;
        c.write(csr::CSR0, csr0::SWR);
        delay_us(100);
        c.write(csr::CSR0, csr0::LINUX_ALPHA);
        delay_us(10);
        if c.read(csr::CSR0) == 0xffff_ffff {
            return Err(format!("{}: CSR0 reads all ones through {}: the chip does not answer", self.pci.bdf, self.bar));
        }
        c.write(csr::CSR7, 0);
        c.write(csr::CSR5, csr5::CLEAR_ALL);
        let s = c.read(csr::CSR5);
        if csr::rx_state(s) != RxState::Stopped || csr::tx_state(s) != TxState::Stopped {
            return Err(format!("{}: not stopped after reset: CSR5 {}", self.pci.bdf, Csr5(s)));
        }
        Ok(())
    }

    /// CSR5.
    pub fn status(&self) -> Csr5 {
        Csr5(self.csrs.read(csr::CSR5))
    }

    /// Reads the station address from serial ROM words 10-12 (a 64-word
    /// part first, as QEMU has, then a 256-word one), then the whole ROM
    /// at the address width that gave a valid address (6 bits if none did:
    /// `mac` then says why the 64-word reading is no station address);
    /// `tulip_ring::srom::read_rom` decides.
    ///
    /// `tulip_srom=ones` (or `zeros`), a test: CSR9's data-out bit reads
    /// as stuck high (low) while the ROM is read, as with no ROM fitted or
    /// an erased one, which QEMU's NIC never has.
    fn read_srom(&mut self, params: &EarlyParams) {
        let stuck = match params.get("tulip_srom") {
            Some("ones") => Some(true),
            Some("zeros") => Some(false),
            Some(v) => {
                warn!("tulip: tulip_srom={v} ignored: expected ones or zeros");
                None
            }
            None => None,
        };
        if let Some(high) = stuck {
            warn!(
                "tulip: {}: tulip_srom=: CSR9's serial ROM data-out bit will read {} (a test)",
                self.pci.bdf,
                if high { "high" } else { "low" }
            );
        }
        let c = self.csrs;
        let mut words = [0u16; srom::MAX_WORDS];
        let r = srom::read_rom(
            |w, bits| {
                srom::read_word(
                    w,
                    bits,
                    |v| c.write(csr::CSR9, v),
                    || match stuck {
                        None => c.read(csr::CSR9),
                        Some(true) => c.read(csr::CSR9) | srom::DO,
                        Some(false) => c.read(csr::CSR9) & !srom::DO,
                    },
                )
            },
            &mut words,
        );
        let mut rom = alloc::vec![0u8; 2 * r.words];
        srom_info::words_to_bytes(&words[..r.words], &mut rom);
        self.mac = r.mac;
        self.srom = rom;
    }

    /// Clears SR and ST and waits (10 ms at most) for both processes to stop.
    pub(super) fn stop(&self, mode: u32) -> bool {
        self.csrs.write(csr::CSR6, mode & !(csr6::SR | csr6::ST));
        wait_for(10_000, || {
            let s = self.csrs.read(csr::CSR5);
            csr::rx_state(s) == RxState::Stopped && csr::tx_state(s) == TxState::Stopped
        })
    }
}

/// The station address to use: the serial ROM's, or, with an error that
/// says why, the locally administered fallback. A ROM whose checksum does
/// not match is reported too; its address is still used when it is a
/// valid unicast one (a real board's own address is likelier right than
/// any made-up one), and the media code still reads its info leaf, whose
/// parser checks every block's bounds.
pub(super) fn station_address(chip: &Tulip) -> [u8; 6] {
    // A ROM that reads the same 0xffff (or 0x0000) in every word holds
    // nothing: one message for it, not a checksum mismatch and a missing
    // address besides.
    if let Some(s) = srom::stuck(&chip.srom) {
        error!(
            "tulip: {}: serial ROM (read through CSR9) {s}: no station address or media information in it; using the locally administered {} instead (unique only while one such NIC is on the segment)",
            chip.pci.bdf,
            mac_display(&FALLBACK_MAC)
        );
        return FALLBACK_MAC;
    }
    if let Some(c) = srom_info::check_crc(&chip.srom).filter(|c| !c.ok()) {
        error!(
            "tulip: {}: serial ROM checksum mismatch (stored {:#06x}, computed {:#06x} over {} bytes): its contents may be corrupt",
            chip.pci.bdf,
            c.stored,
            c.computed,
            chip.srom.len()
        );
    }
    match chip.mac {
        Ok(m) => m,
        Err(p) => {
            error!(
                "tulip: {}: serial ROM holds no station address: {p}; using the locally administered {} instead (unique only while one such NIC is on the segment)",
                chip.pci.bdf,
                mac_display(&FALLBACK_MAC)
            );
            FALLBACK_MAC
        }
    }
}
