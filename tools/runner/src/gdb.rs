//! A minimal GDB remote serial protocol client, enough to change guest
//! memory at a chosen moment: QEMU starts stopped (`-S -gdb tcp:...`), the
//! runner sets a breakpoint, continues, reads and writes memory while the
//! guest is stopped there, removes the breakpoint and detaches (which lets
//! the guest run on).
//!
//! Used by the cases that boot the SRM stub with the HWRPB's magic in the
//! byte order real SRM firmware stores (QEMU's PALcode writes the other),
//! and with the primary CPU's PALcode type already OSF/1 (QEMU's reads 0).

use hwrpb::layout::{header, slot};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What to do to the guest before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GdbAction {
    /// Stop at the SRM stub's entry (the ELF entry point), then rewrite the
    /// HWRPB's `id` quadword from QEMU's order (0x4857525042000000) to the
    /// ASCII order SRM uses (bytes "HWRPB\0\0\0", quadword
    /// 0x0000004250525748) and adjust the header checksum to match.
    HwrpbMagicAscii,
    /// Stop at the SRM stub's entry, then set the PALcode type (bits 23:16
    /// of `pal_revision`, slot offset 0xa8) in the primary CPU's per-CPU
    /// slot to 2, OSF/1, as the stub reads it. The slots lie past the
    /// header's checksum (which covers 0x000..0x120), and have none of
    /// their own; the runner checks the slot lies past it.
    PalTypeOsf1,
    /// Stop at the entry (the kernel's, for a kernel case), then set the
    /// HWRPB's `ctb_size` (0xb0) to 0x11 (not a multiple of 8, below the
    /// CTB's 0x20-byte common part) and adjust the header checksum.
    HwrpbCtbSizeBad,
    /// Stop at the entry, then reverse the order of the memory clusters in
    /// the MDDT (past the header checksum, which stays).
    HwrpbClustersReversed,
    /// Stop at the entry, then move the second memory cluster's start 7
    /// pages down (its size 7 pages up) so that it overlaps the end of the
    /// first (past the header checksum).
    HwrpbClustersOverlap,
    /// Stop at the entry, then point `mddt_offset` (0xc8) at 0x1ff8, where
    /// the MDDT cannot fit in the HWRPB's page, and adjust the checksum.
    HwrpbMddtOutOfBounds,
    /// Stop at the entry, then add 1 to the header checksum (`chksum`,
    /// 0x120), and leave it wrong.
    HwrpbChecksumBad,
    /// Stop at the entry, then set `sys_variation` (0x58) to this member id
    /// (bits 15:10) and adjust the checksum: the kernel sees another board
    /// of the Tsunami family.
    HwrpbMember(u64),
    /// Stop at the entry, then set `sys_type` (0x50) to this value and
    /// adjust the checksum: the kernel sees another system family.
    HwrpbSysType(u64),
}

/// The HWRPB as QEMU's PALcode maps it (virtual; the stub and kernel read
/// it there too).
const HWRPB_VA: u64 = 0x1000_0000;
// The HWRPB's layout, magic values and header checksum are the `hwrpb`
// crate's, as the kernel parses them.
const ID_OFF: u64 = header::ID as u64;
const CHKSUM_OFF: u64 = header::CHKSUM as u64;
const MAGIC_QEMU: u64 = hwrpb::MAGIC_REVERSED;
const MAGIC_ASCII: u64 = hwrpb::MAGIC_ASCII;
const CPUID_OFF: u64 = header::CPUID as u64;
const PROC_SIZE_OFF: u64 = header::PROCESSOR_SIZE as u64;
const PROC_OFF_OFF: u64 = header::PROCESSOR_OFFSET as u64;
/// `pal_revision` in a per-CPU slot (boot/srm-stub.s SLOT_PAL_REV).
const SLOT_PAL_REV: u64 = slot::PAL_REVISION as u64;
/// The PALcode type field of `pal_revision` and OSF/1's value in it.
const PAL_TYPE_SHIFT: u64 = 16;
const PAL_TYPE_OSF1: u64 = 2;

/// `pal_revision` with its type field (bits 23:16) set to OSF/1.
fn with_pal_type_osf1(rev: u64) -> u64 {
    (rev & !(0xff << PAL_TYPE_SHIFT)) | (PAL_TYPE_OSF1 << PAL_TYPE_SHIFT)
}

struct Client {
    s: TcpStream,
}

fn checksum(body: &str) -> u8 {
    body.bytes().fold(0u8, |a, b| a.wrapping_add(b))
}

impl Client {
    fn connect(port: u16, within: Duration) -> Result<Client, String> {
        let deadline = Instant::now() + within;
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
                    s.set_nodelay(true).ok();
                    return Ok(Client { s });
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("gdb: cannot connect to QEMU's gdbstub on port {port}: {e}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let mut b = [0u8; 1];
        match self.s.read(&mut b) {
            Ok(1) => Ok(b[0]),
            Ok(_) => Err("gdb: QEMU closed the connection".into()),
            Err(e) => Err(format!("gdb: reading from QEMU: {e}")),
        }
    }

    /// Sends one packet and returns the reply packet's body (acks skipped).
    fn command(&mut self, body: &str) -> Result<String, String> {
        let pkt = format!("${body}#{:02x}", checksum(body));
        self.s.write_all(pkt.as_bytes()).map_err(|e| format!("gdb: writing to QEMU: {e}"))?;
        // Skip acks ('+') and anything else until a packet starts.
        loop {
            match self.byte()? {
                b'$' => break,
                b'-' => return Err(format!("gdb: QEMU refused packet {body:?} (bad checksum?)")),
                _ => {}
            }
        }
        let mut reply = Vec::new();
        loop {
            match self.byte()? {
                b'#' => break,
                b => reply.push(b),
            }
        }
        let sum = [self.byte()?, self.byte()?];
        let reply = String::from_utf8_lossy(&reply).into_owned();
        let want = format!("{:02x}", checksum(&reply));
        if !want.as_bytes().eq_ignore_ascii_case(&sum) {
            return Err(format!("gdb: reply to {body:?} has a bad checksum"));
        }
        self.s.write_all(b"+").map_err(|e| format!("gdb: writing to QEMU: {e}"))?;
        Ok(reply)
    }

    fn ok(&mut self, body: &str) -> Result<(), String> {
        match self.command(body)? {
            r if r == "OK" => Ok(()),
            r => Err(format!("gdb: {body:?} answered {r:?}")),
        }
    }

    fn read_u64(&mut self, addr: u64) -> Result<u64, String> {
        let r = self.command(&format!("m{addr:x},8"))?;
        if r.len() != 16 || r.starts_with('E') {
            return Err(format!("gdb: reading 8 bytes at {addr:#x}: {r:?}"));
        }
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&r[2 * i..2 * i + 2], 16).map_err(|e| format!("gdb: {r:?}: {e}"))?;
        }
        Ok(u64::from_le_bytes(bytes))
    }

    fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), String> {
        let hex: String = v.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect();
        self.ok(&format!("M{addr:x},8:{hex}"))
    }
}

/// Runs `action` against the QEMU listening on `port`, stopped before its
/// first instruction; `entry` is the guest's entry point. Returns a report
/// of what was done, one line per step (the runner prints it before the
/// console output).
pub fn run(action: GdbAction, port: u16, entry: u64) -> Result<String, String> {
    let mut c = Client::connect(port, Duration::from_secs(10))?;
    let mut log = String::new();
    c.command("?")?;
    c.ok(&format!("Z0,{entry:x},4"))?;
    let stop = c.command("c")?;
    if !stop.starts_with('T') && !stop.starts_with('S') {
        return Err(format!("gdb: expected a stop at {entry:#x}, got {stop:?}"));
    }
    log.push_str(&format!("runner: gdb: stopped at the entry {entry:#x} ({stop})\n"));
    match action {
        GdbAction::HwrpbMagicAscii => {
            // The header's checksum must hold before (so this is the HWRPB)
            // and after the change (so the stub and kernel accept it).
            let stored = header_checksum_holds(&mut c)?;
            let id = c.read_u64(HWRPB_VA + ID_OFF)?;
            if id != MAGIC_QEMU {
                return Err(format!("gdb: HWRPB at {HWRPB_VA:#x}: id {id:#018x}, expected {MAGIC_QEMU:#018x} (QEMU's order)"));
            }
            let new_sum = stored.wrapping_sub(MAGIC_QEMU).wrapping_add(MAGIC_ASCII);
            c.write_u64(HWRPB_VA + ID_OFF, MAGIC_ASCII)?;
            c.write_u64(HWRPB_VA + CHKSUM_OFF, new_sum)?;
            let (id2, sum2) = (c.read_u64(HWRPB_VA + ID_OFF)?, c.read_u64(HWRPB_VA + CHKSUM_OFF)?);
            if id2 != MAGIC_ASCII || sum2 != new_sum {
                return Err(format!("gdb: the HWRPB write did not stick: id {id2:#018x}, checksum {sum2:#x}"));
            }
            log.push_str(&format!(
                "runner: gdb: HWRPB id {id:#018x} -> {MAGIC_ASCII:#018x} (bytes \"HWRPB\\0\\0\\0\"), checksum {stored:#x} -> {new_sum:#x}\n"
            ));
        }
        GdbAction::PalTypeOsf1 => {
            // The slot the stub reads: HWRPB + proc_off + cpuid * proc_size.
            let id = c.read_u64(HWRPB_VA + ID_OFF)?;
            let cpu = c.read_u64(HWRPB_VA + CPUID_OFF)?;
            let size = c.read_u64(HWRPB_VA + PROC_SIZE_OFF)?;
            let off = c.read_u64(HWRPB_VA + PROC_OFF_OFF)?;
            let field = off.wrapping_add(cpu.wrapping_mul(size)).wrapping_add(SLOT_PAL_REV);
            if id != MAGIC_QEMU || cpu > 64 || size < SLOT_PAL_REV + 8 || field < CHKSUM_OFF + 8 || field > 0x10_0000 {
                return Err(format!(
                    "gdb: HWRPB at {HWRPB_VA:#x}: id {id:#018x}, primary CPU {cpu}, slots of {size:#x} bytes at {off:#x}: not the HWRPB expected"
                ));
            }
            let stored = c.read_u64(HWRPB_VA + CHKSUM_OFF)?;
            let rev = c.read_u64(HWRPB_VA + field)?;
            let new_rev = with_pal_type_osf1(rev);
            c.write_u64(HWRPB_VA + field, new_rev)?;
            let (rev2, sum2) = (c.read_u64(HWRPB_VA + field)?, c.read_u64(HWRPB_VA + CHKSUM_OFF)?);
            if rev2 != new_rev || sum2 != stored {
                return Err(format!("gdb: the slot write did not stick: pal_revision {rev2:#x}, checksum {sum2:#x}"));
            }
            log.push_str(&format!(
                "runner: gdb: CPU {cpu}'s slot (HWRPB + {:#x}) pal_revision {rev:#x} -> {new_rev:#x} (PALcode type {} -> 2, OSF/1); past the header checksum, which stays {stored:#x}\n",
                off + cpu * size,
                (rev >> PAL_TYPE_SHIFT) & 0xff
            ));
        }
        GdbAction::HwrpbCtbSizeBad => {
            let (old, new, sum, new_sum) = rewrite_header_field(&mut c, header::CTB_SIZE as u64, |_| 0x11)?;
            log.push_str(&format!(
                "runner: gdb: HWRPB ctb_size {old:#x} -> {new:#x}, checksum {sum:#x} -> {new_sum:#x}\n"
            ));
        }
        GdbAction::HwrpbClustersReversed => {
            let (at, n) = clusters(&mut c)?;
            let mut all = Vec::new();
            for i in 0..n {
                let mut q = Vec::new();
                for k in 0..CLUSTER_QUADS {
                    q.push(c.read_u64(at + i * CLUSTER_SIZE + 8 * k)?);
                }
                all.push(q);
            }
            for (i, q) in all.iter().rev().enumerate() {
                for (k, v) in q.iter().enumerate() {
                    c.write_u64(at + i as u64 * CLUSTER_SIZE + 8 * k as u64, *v)?;
                }
            }
            let starts: Vec<String> =
                (0..n).map(|i| c.read_u64(at + i * CLUSTER_SIZE).map(|v| format!("{v:#x}"))).collect::<Result<_, _>>()?;
            let before: Vec<String> = all.iter().map(|q| format!("{:#x}", q[0])).collect();
            log.push_str(&format!(
                "runner: gdb: HWRPB memory clusters reversed: start pfns [{}] -> [{}] (MDDT at HWRPB + {:#x}, past the header checksum)\n",
                before.join(", "),
                starts.join(", "),
                at - HWRPB_VA - MDDT_CLUSTERS
            ));
        }
        GdbAction::HwrpbClustersOverlap => {
            let (at, n) = clusters(&mut c)?;
            if n < 2 {
                return Err(format!("gdb: the MDDT has {n} cluster(s); need 2 to make an overlap"));
            }
            let second = at + CLUSTER_SIZE;
            let (start, pages) = (c.read_u64(second)?, c.read_u64(second + 8)?);
            if start < OVERLAP_PAGES {
                return Err(format!("gdb: cluster 1 starts at pfn {start:#x}, too low to move {OVERLAP_PAGES} pages down"));
            }
            c.write_u64(second, start - OVERLAP_PAGES)?;
            c.write_u64(second + 8, pages + OVERLAP_PAGES)?;
            log.push_str(&format!(
                "runner: gdb: HWRPB memory cluster 1: pfn {start:#x}+{pages:#x} -> {:#x}+{:#x} (overlapping cluster 0 by {OVERLAP_PAGES} pages; past the header checksum)\n",
                start - OVERLAP_PAGES,
                pages + OVERLAP_PAGES
            ));
        }
        GdbAction::HwrpbMddtOutOfBounds => {
            let (old, new, sum, new_sum) = rewrite_header_field(&mut c, MDDT_OFF_OFF, |_| 0x1ff8)?;
            log.push_str(&format!(
                "runner: gdb: HWRPB mddt_offset {old:#x} -> {new:#x}, checksum {sum:#x} -> {new_sum:#x}\n"
            ));
        }
        GdbAction::HwrpbMember(member) => {
            let off = header::SYS_VARIATION as u64;
            let (old, new, sum, new_sum) = rewrite_header_field(&mut c, off, |_| hwrpb::sys_type::variation_for_member(member))?;
            log.push_str(&format!(
                "runner: gdb: HWRPB sys_variation {old:#x} -> {new:#x} (member {member}), checksum {sum:#x} -> {new_sum:#x}\n"
            ));
        }
        GdbAction::HwrpbSysType(t) => {
            let (old, new, sum, new_sum) = rewrite_header_field(&mut c, header::SYS_TYPE as u64, |_| t)?;
            log.push_str(&format!("runner: gdb: HWRPB sys_type {old} -> {new}, checksum {sum:#x} -> {new_sum:#x}\n"));
        }
        GdbAction::HwrpbChecksumBad => {
            header_checksum_holds(&mut c)?;
            let stored = c.read_u64(HWRPB_VA + CHKSUM_OFF)?;
            let bad = stored.wrapping_add(1);
            c.write_u64(HWRPB_VA + CHKSUM_OFF, bad)?;
            if c.read_u64(HWRPB_VA + CHKSUM_OFF)? != bad {
                return Err("gdb: the checksum write did not stick".into());
            }
            log.push_str(&format!("runner: gdb: HWRPB chksum {stored:#x} -> {bad:#x} (left wrong)\n"));
        }
    }
    c.ok(&format!("z0,{entry:x},4"))?;
    // Detach: QEMU removes its debug state and lets the guest run.
    c.ok("D")?;
    Ok(log)
}

/// `mddt_offset` in the header, and where the clusters start in the MDDT.
const MDDT_OFF_OFF: u64 = header::MDDT_OFFSET as u64;
const MDDT_CLUSTERS: u64 = hwrpb::layout::mddt::CLUSTERS as u64;
const MDDT_NUMCLUSTERS: u64 = hwrpb::layout::mddt::NUMCLUSTERS as u64;
const CLUSTER_SIZE: u64 = hwrpb::layout::cluster::SIZE_OF as u64;
const CLUSTER_QUADS: u64 = CLUSTER_SIZE / 8;
/// Pages by which `HwrpbClustersOverlap` moves cluster 1 into cluster 0.
pub const OVERLAP_PAGES: u64 = 7;

/// The HWRPB's header checksum holds (so this is the HWRPB, unchanged);
/// returns the stored value.
fn header_checksum_holds(c: &mut Client) -> Result<u64, String> {
    let mut covered = Vec::with_capacity(header::CHKSUM);
    for off in (0..CHKSUM_OFF).step_by(8) {
        covered.extend_from_slice(&c.read_u64(HWRPB_VA + off)?.to_le_bytes());
    }
    let sum = hwrpb::header_checksum(&covered).unwrap_or(0);
    let id = c.read_u64(HWRPB_VA + ID_OFF)?;
    let stored = c.read_u64(HWRPB_VA + CHKSUM_OFF)?;
    if hwrpb::MagicOrder::from_id(id).is_none() || sum != stored {
        return Err(format!(
            "gdb: HWRPB at {HWRPB_VA:#x}: id {id:#018x}, checksum {stored:#x} (computed {sum:#x}): not the HWRPB expected"
        ));
    }
    Ok(stored)
}

/// Rewrites the header quadword at `off` to `f(old)` and the checksum to
/// match: (old, new, old checksum, new checksum).
fn rewrite_header_field(c: &mut Client, off: u64, f: impl Fn(u64) -> u64) -> Result<(u64, u64, u64, u64), String> {
    let stored = header_checksum_holds(c)?;
    let old = c.read_u64(HWRPB_VA + off)?;
    let new = f(old);
    let new_sum = stored.wrapping_sub(old).wrapping_add(new);
    c.write_u64(HWRPB_VA + off, new)?;
    c.write_u64(HWRPB_VA + CHKSUM_OFF, new_sum)?;
    if c.read_u64(HWRPB_VA + off)? != new || c.read_u64(HWRPB_VA + CHKSUM_OFF)? != new_sum {
        return Err(format!("gdb: the write of {new:#x} at HWRPB + {off:#x} did not stick"));
    }
    Ok((old, new, stored, new_sum))
}

/// The address of the first memory cluster and how many there are,
/// checked to lie in the HWRPB's first page (the one QEMU maps).
fn clusters(c: &mut Client) -> Result<(u64, u64), String> {
    header_checksum_holds(c)?;
    let mddt = c.read_u64(HWRPB_VA + MDDT_OFF_OFF)?;
    let n = c.read_u64(HWRPB_VA + mddt + MDDT_NUMCLUSTERS)?;
    let end = mddt + MDDT_CLUSTERS + n * CLUSTER_SIZE;
    if mddt < CHKSUM_OFF + 8 || n == 0 || n > 16 || end > 0x2000 {
        return Err(format!("gdb: HWRPB MDDT at {mddt:#x} with {n} clusters: not the MDDT expected"));
    }
    Ok((HWRPB_VA + mddt + MDDT_CLUSTERS, n))
}

/// A free TCP port on 127.0.0.1 (racy, but only the runner asks).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("gdb: no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// The entry point of an ELF64 file.
pub fn elf_entry(elf: &[u8]) -> Result<u64, String> {
    let e = elf.get(24..32).ok_or("gdb: file too short for an ELF header")?;
    if !elf.starts_with(b"\x7fELF") {
        return Err("gdb: not an ELF file".into());
    }
    Ok(u64::from_le_bytes(e.try_into().unwrap()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_checksum() {
        // From the GDB manual's examples: "$OK#9a".
        assert_eq!(checksum("OK"), 0x9a);
    }

    #[test]
    fn magic_orders() {
        assert_eq!(MAGIC_ASCII, 0x0000_0042_5052_5748);
        assert_eq!(MAGIC_QEMU.to_be_bytes()[..5], *b"HWRPB");
    }

    #[test]
    fn pal_type_field() {
        assert_eq!(with_pal_type_osf1(0), 0x2_0000);
        assert_eq!(with_pal_type_osf1(0x0001_0000_0001_0105), 0x0001_0000_0002_0105);
    }
}
