//! Small synthetic ELF64 files and disklabels for the tests.
#![allow(dead_code)]

pub const EM_ALPHA: u16 = 0x9026;
pub const PT_LOAD: u32 = 1;
pub const PT_NOTE: u32 = 4;

/// One program header and, for PT_LOAD, the bytes it loads.
#[derive(Clone)]
pub struct Seg {
    pub p_type: u32,
    pub vaddr: u64,
    pub data: Vec<u8>,
    pub memsz: u64,
}

impl Seg {
    pub fn load(vaddr: u64, data: &[u8], memsz: u64) -> Seg {
        Seg {
            p_type: PT_LOAD,
            vaddr,
            data: data.to_vec(),
            memsz,
        }
    }
}

/// Header fields a test may spoil.
#[derive(Clone)]
pub struct Elf {
    pub class: u8,
    pub data_enc: u8,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub phentsize: u16,
    pub segs: Vec<Seg>,
}

impl Elf {
    /// A well-formed ELF64 LE Alpha executable with these segments.
    pub fn new(entry: u64, segs: Vec<Seg>) -> Elf {
        Elf {
            class: 2,
            data_enc: 1,
            e_type: 2,
            machine: EM_ALPHA,
            entry,
            phentsize: 56,
            segs,
        }
    }

    /// Header, program headers, then each segment's bytes (8-byte aligned,
    /// in reverse order so that file order differs from address order).
    pub fn build(&self) -> Vec<u8> {
        let phoff = 64u64;
        let mut data_off = phoff + 56 * self.segs.len() as u64;
        let mut offsets = vec![0u64; self.segs.len()];
        for i in (0..self.segs.len()).rev() {
            data_off = data_off.next_multiple_of(8);
            offsets[i] = data_off;
            data_off += self.segs[i].data.len() as u64;
        }
        let mut f = vec![0u8; data_off as usize];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = self.class;
        f[5] = self.data_enc;
        f[6] = 1; // EV_CURRENT
        f[16..18].copy_from_slice(&self.e_type.to_le_bytes());
        f[18..20].copy_from_slice(&self.machine.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[24..32].copy_from_slice(&self.entry.to_le_bytes());
        f[32..40].copy_from_slice(&phoff.to_le_bytes());
        f[52..54].copy_from_slice(&64u16.to_le_bytes());
        f[54..56].copy_from_slice(&self.phentsize.to_le_bytes());
        f[56..58].copy_from_slice(&(self.segs.len() as u16).to_le_bytes());
        for (i, s) in self.segs.iter().enumerate() {
            let h = (phoff + 56 * i as u64) as usize;
            f[h..h + 4].copy_from_slice(&s.p_type.to_le_bytes());
            f[h + 4..h + 8].copy_from_slice(&5u32.to_le_bytes());
            f[h + 8..h + 16].copy_from_slice(&offsets[i].to_le_bytes());
            f[h + 16..h + 24].copy_from_slice(&s.vaddr.to_le_bytes());
            f[h + 24..h + 32].copy_from_slice(&s.vaddr.to_le_bytes());
            f[h + 32..h + 40].copy_from_slice(&(s.data.len() as u64).to_le_bytes());
            f[h + 40..h + 48].copy_from_slice(&s.memsz.to_le_bytes());
            f[h + 48..h + 56].copy_from_slice(&0x2000u64.to_le_bytes());
            let o = offsets[i] as usize;
            f[o..o + s.data.len()].copy_from_slice(&s.data);
        }
        f
    }
}

/// Offset of program header `i`'s field at `field` (e.g. 8 = p_offset).
pub fn phdr_field(i: usize, field: usize) -> usize {
    64 + 56 * i + field
}

/// Deterministic non-zero-ish bytes.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
        .collect()
}

/// A sector 0 with a valid BSD disklabel at byte 64 (512-byte sectors,
/// `secperunit` sectors) holding `parts` = (size, offset, fstype), and a
/// name in bytes 0..64.
pub fn labelled_sector0(secperunit: u32, parts: &[(u32, u32, u8)]) -> [u8; 512] {
    let mut s = [0u8; 512];
    s[..16].copy_from_slice(b"test disk label\0");
    let l = 64;
    s[l..l + 4].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    s[l + 4..l + 6].copy_from_slice(&4u16.to_le_bytes()); // DTYPE_SCSI
    s[l + 8..l + 16].copy_from_slice(b"SCSI dsk");
    s[l + 40..l + 44].copy_from_slice(&512u32.to_le_bytes());
    s[l + 44..l + 48].copy_from_slice(&32u32.to_le_bytes());
    s[l + 48..l + 52].copy_from_slice(&64u32.to_le_bytes());
    s[l + 60..l + 64].copy_from_slice(&secperunit.to_le_bytes());
    s[l + 72..l + 74].copy_from_slice(&3600u16.to_le_bytes());
    s[l + 132..l + 136].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    s[l + 138..l + 140].copy_from_slice(&(parts.len() as u16).to_le_bytes());
    s[l + 140..l + 144].copy_from_slice(&8192u32.to_le_bytes());
    s[l + 144..l + 148].copy_from_slice(&8192u32.to_le_bytes());
    for (i, &(size, offset, fstype)) in parts.iter().enumerate() {
        let p = l + 148 + 16 * i;
        s[p..p + 4].copy_from_slice(&size.to_le_bytes());
        s[p + 4..p + 8].copy_from_slice(&offset.to_le_bytes());
        s[p + 8..p + 12].copy_from_slice(&1024u32.to_le_bytes());
        s[p + 12] = fstype;
        s[p + 13] = 8;
        s[p + 14..p + 16].copy_from_slice(&16u16.to_le_bytes());
    }
    fix_label_checksum(&mut s);
    s
}

/// Recomputes d_checksum by hand: XOR of the label's u16 words with the
/// checksum field as 0.
pub fn fix_label_checksum(s: &mut [u8; 512]) {
    let n = u16::from_le_bytes([s[64 + 138], s[64 + 139]]) as usize;
    let end = (64 + 148 + 16 * n).min(512);
    s[64 + 136] = 0;
    s[64 + 137] = 0;
    let mut x = 0u16;
    let mut off = 64;
    while off < end {
        x ^= u16::from_le_bytes([s[off], s[off + 1]]);
        off += 2;
    }
    s[64 + 136..64 + 138].copy_from_slice(&x.to_le_bytes());
}

/// A scratch directory under the target dir, unique per test.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("srm-image-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
