//! Byte offsets of every HWRPB structure this crate reads.
//!
//! All values are little-endian quadwords (Alpha is little-endian) unless
//! noted. Field names follow Linux `arch/alpha/include/asm/hwrpb.h`
//! (identical to `hwrpb.h` in QEMU's PALcode, which is copied from Linux);
//! where the BSDs (`sys/arch/alpha/include/rpb.h`, derived from the DEC 3000
//! System Programmer's Manual) know more about a field, the doc comment says
//! so.
//!
//! Offsets are relative to the start of their own structure; the HWRPB's
//! `*_offset` fields are relative to the start of the HWRPB.

/// Size of an Alpha page (and of one PFN step in the memory cluster table).
/// The HWRPB's own `pagesize` field must hold this value.
pub const PAGE_SIZE: u64 = 8192;

/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 13;

/// The virtual address at which the console (SRM, or QEMU's PALcode) maps the
/// HWRPB before jumping to the kernel (Linux `INIT_HWRPB`).
pub const INIT_HWRPB_VA: u64 = 0x1000_0000;

/// Largest `size` this crate accepts. Not architectural: a sanity bound so a
/// corrupted `size` cannot make the kernel map gigabytes. Real consoles use a
/// few pages (SRM) or less than one page (QEMU); 1 MiB is 128 pages.
pub const MAX_HWRPB_SIZE: usize = 1 << 20;

/// `struct hwrpb_struct`: the fixed header at the start of the block.
pub mod header {
    /// `phys_addr`: physical address of the HWRPB itself.
    pub const PHYS_ADDR: usize = 0x00;
    /// `id`: the magic "HWRPB\0\0\0" (see [`crate::MagicOrder`]).
    pub const ID: usize = 0x08;
    /// `revision`: HWRPB revision (the DSR exists from revision 5 on).
    pub const REVISION: usize = 0x10;
    /// `size`: size of the HWRPB in bytes.
    pub const SIZE: usize = 0x18;
    /// `cpuid`: WHAMI (processor number) of the primary CPU.
    pub const CPUID: usize = 0x20;
    /// `pagesize`: 8192.
    pub const PAGESIZE: usize = 0x28;
    /// `pa_bits`: number of physical address bits. Linux reads a quadword;
    /// the BSDs read the low longword and call the high one the
    /// "extended VA size".
    pub const PA_BITS: usize = 0x30;
    /// `max_asn`: largest address space number.
    pub const MAX_ASN: usize = 0x38;
    /// `ssn[16]`: system serial number, 10 ASCII characters are valid.
    pub const SSN: usize = 0x40;
    /// Length of the `ssn` field.
    pub const SSN_LEN: usize = 16;
    /// Number of `ssn` bytes that are architecturally valid.
    pub const SSN_VALID_LEN: usize = 10;
    /// `sys_type`: system family (`ST_*`, e.g. 34 = Tsunami).
    pub const SYS_TYPE: usize = 0x50;
    /// `sys_variation`: member id in bits <15:10>, plus flag bits.
    pub const SYS_VARIATION: usize = 0x58;
    /// `sys_revision`: BSD: 4 ASCII characters.
    pub const SYS_REVISION: usize = 0x60;
    /// `intr_freq`: interval clock frequency * 4096.
    pub const INTR_FREQ: usize = 0x68;
    /// `cycle_freq`: cycle counter (RPCC) frequency in Hz.
    pub const CYCLE_FREQ: usize = 0x70;
    /// `vptb`: virtual page table base.
    pub const VPTB: usize = 0x78;
    /// `res1`: reserved for architecture.
    pub const RES1: usize = 0x80;
    /// `tbhb_offset`: translation buffer hint block offset.
    pub const TBHB_OFFSET: usize = 0x88;
    /// `nr_processors`: number of per-CPU slots.
    pub const NR_PROCESSORS: usize = 0x90;
    /// `processor_size`: size of one per-CPU slot in bytes.
    pub const PROCESSOR_SIZE: usize = 0x98;
    /// `processor_offset`: offset of the first per-CPU slot.
    pub const PROCESSOR_OFFSET: usize = 0xA0;
    /// `ctb_nr`: number of console terminal blocks.
    pub const CTB_NR: usize = 0xA8;
    /// `ctb_size`: size of one CTB in bytes.
    pub const CTB_SIZE: usize = 0xB0;
    /// `ctbt_offset`: offset of the CTB table.
    pub const CTBT_OFFSET: usize = 0xB8;
    /// `crb_offset`: offset of the console callback routine block.
    pub const CRB_OFFSET: usize = 0xC0;
    /// `mddt_offset`: offset of the memory data descriptor table.
    pub const MDDT_OFFSET: usize = 0xC8;
    /// `cdb_offset`: configuration data block (or 0).
    pub const CDB_OFFSET: usize = 0xD0;
    /// `frut_offset`: FRU table (or 0).
    pub const FRUT_OFFSET: usize = 0xD8;
    /// `save_terminal`: terminal save routine (VA).
    pub const SAVE_TERMINAL: usize = 0xE0;
    /// `save_terminal_data`.
    pub const SAVE_TERMINAL_DATA: usize = 0xE8;
    /// `restore_terminal`: terminal restore routine (VA).
    pub const RESTORE_TERMINAL: usize = 0xF0;
    /// `restore_terminal_data`.
    pub const RESTORE_TERMINAL_DATA: usize = 0xF8;
    /// `CPU_restart`: where secondary CPUs / restarts enter the OS.
    pub const CPU_RESTART: usize = 0x100;
    /// `CPU_restart_data`.
    pub const CPU_RESTART_DATA: usize = 0x108;
    /// `res2`: reserved for system software.
    pub const RES2: usize = 0x110;
    /// `res3`: reserved for hardware.
    pub const RES3: usize = 0x118;
    /// `chksum`: sum of the 36 quadwords at 0x000..0x120.
    pub const CHKSUM: usize = 0x120;
    /// `rxrdy`: bitmask of CPUs with a message for the primary.
    pub const RXRDY: usize = 0x128;
    /// `txrdy`: bitmask of CPUs the primary sent a message to.
    pub const TXRDY: usize = 0x130;
    /// `dsr_offset`: dynamic system recognition data block (revision >= 5).
    pub const DSR_OFFSET: usize = 0x138;
    /// `sizeof(struct hwrpb_struct)`: the fixed header.
    pub const SIZE_OF: usize = 0x140;
}

/// `struct percpu_struct`: one per-CPU slot ("PCS").
pub mod slot {
    /// `hwpcb[16]`: the hardware privileged context block (128 bytes).
    pub const HWPCB: usize = 0x00;
    /// `flags`: state bits, see [`crate::slot_flags`].
    pub const FLAGS: usize = 0x80;
    /// `pal_mem_size`.
    pub const PAL_MEM_SIZE: usize = 0x88;
    /// `pal_scratch_size`.
    pub const PAL_SCRATCH_SIZE: usize = 0x90;
    /// `pal_mem_pa`.
    pub const PAL_MEM_PA: usize = 0x98;
    /// `pal_scratch_pa`.
    pub const PAL_SCRATCH_PA: usize = 0xA0;
    /// `pal_revision`: minor <7:0>, major <15:8>, type <23:16>,
    /// compatibility <47:32>, processor count <63:48> (BSD `pcs_pal_rev`).
    pub const PAL_REVISION: usize = 0xA8;
    /// `type`: CPU type; major in <31:0>, minor in <63:32>.
    pub const TYPE: usize = 0xB0;
    /// `variation`: bit 0 VAX FP, bit 1 IEEE FP, bit 2 primary eligible.
    pub const VARIATION: usize = 0xB8;
    /// `revision`: BSD: 4 ASCII characters.
    pub const REVISION: usize = 0xC0;
    /// `serial_no[2]`: 16 bytes, 10 ASCII characters valid.
    pub const SERIAL_NO: usize = 0xC8;
    /// Length of `serial_no`.
    pub const SERIAL_NO_LEN: usize = 16;
    /// Smallest slot this crate accepts: everything up to and including
    /// `serial_no` (the fields decoded into [`crate::ProcessorSlot`]).
    pub const MIN_SIZE: usize = 0xD8;
    /// `sizeof(struct percpu_struct)` in Linux and QEMU's PALcode.
    pub const LINUX_SIZE: usize = 0x270;
}

/// `struct memdesc_struct`: the memory data descriptor table (MDDT).
pub mod mddt {
    /// `chksum`: table checksum (QEMU leaves it 0, Linux ignores it).
    pub const CHKSUM: usize = 0x00;
    /// `optional_pa`: implementation-specific physical address (BSD: "bank
    /// config addr").
    pub const OPTIONAL_PA: usize = 0x08;
    /// `numclusters`: number of memory clusters that follow.
    pub const NUMCLUSTERS: usize = 0x10;
    /// `cluster[]`: the first `struct memclust_struct`.
    pub const CLUSTERS: usize = 0x18;
}

/// `struct memclust_struct`: one memory cluster (a run of page frames).
pub mod cluster {
    /// `start_pfn`: first page frame number (8 KiB pages).
    pub const START_PFN: usize = 0x00;
    /// `numpages`: number of pages.
    pub const NUMPAGES: usize = 0x08;
    /// `numtested`: number of pages the console tested.
    pub const NUMTESTED: usize = 0x10;
    /// `bitmap_va`: virtual address of the good-page bitmap.
    pub const BITMAP_VA: usize = 0x18;
    /// `bitmap_pa`: physical address of the good-page bitmap.
    pub const BITMAP_PA: usize = 0x20;
    /// `bitmap_chksum`: checksum of the bitmap.
    pub const BITMAP_CHKSUM: usize = 0x28;
    /// `usage`: bit 0 = console/PALcode only, bit 1 = non-volatile.
    pub const USAGE: usize = 0x30;
    /// `sizeof(struct memclust_struct)`.
    pub const SIZE_OF: usize = 0x38;
}

/// `struct crb_struct`: console callback routine block.
pub mod crb {
    /// `dispatch_va`: VA of the dispatch procedure descriptor.
    pub const DISPATCH_VA: usize = 0x00;
    /// `dispatch_pa`: PA of the dispatch procedure descriptor.
    pub const DISPATCH_PA: usize = 0x08;
    /// `fixup_va`: VA of the fixup procedure descriptor.
    pub const FIXUP_VA: usize = 0x10;
    /// `fixup_pa`: PA of the fixup procedure descriptor.
    pub const FIXUP_PA: usize = 0x18;
    /// `map_entries`: number of `vf_map_struct` entries.
    pub const MAP_ENTRIES: usize = 0x20;
    /// `map_pages`: number of pages to be mapped (BSD `crb_page_cnt`).
    pub const MAP_PAGES: usize = 0x28;
    /// `map[]`: the first `struct vf_map_struct`.
    pub const MAP: usize = 0x30;
    /// `sizeof(struct vf_map_struct)`: va, pa, count.
    pub const MAP_ENTRY_SIZE: usize = 0x18;
    /// Offset of `va` in a map entry.
    pub const MAP_VA: usize = 0x00;
    /// Offset of `pa` in a map entry.
    pub const MAP_PA: usize = 0x08;
    /// Offset of `count` (pages) in a map entry.
    pub const MAP_COUNT: usize = 0x10;
}

/// `struct ctb_struct`: console terminal block (only the common prefix).
pub mod ctb {
    /// `type`: 0 none, 1 service processor, 2 serial ("printer port"),
    /// 3 graphics, 4 multipurpose ("type 4").
    pub const TYPE: usize = 0x00;
    /// `unit`.
    pub const UNIT: usize = 0x08;
    /// `res0`.
    pub const RES0: usize = 0x10;
    /// `len`: bytes of type-specific information that follow.
    pub const LEN: usize = 0x18;
    /// Smallest `ctb_size` accepted: the four quadwords above.
    pub const MIN_SIZE: usize = 0x20;
    /// `sizeof(struct ctb_struct)` in QEMU's PALcode (33 quadwords + 1 byte,
    /// padded to 8).
    pub const QEMU_SIZE: usize = 0x110;
    /// Offset of `term_type` (written by QEMU).
    pub const TERM_TYPE: usize = 0x38;
}

/// `struct dsr_struct`: dynamic system recognition data block.
pub mod dsr {
    /// `smm`: SMM number used by LMF (signed).
    pub const SMM: usize = 0x00;
    /// `lurt_off`: offset (from the DSR) of the LURT table.
    pub const LURT_OFF: usize = 0x08;
    /// `sysname_off`: offset (from the DSR) of a quadword character count
    /// followed by the system name.
    pub const SYSNAME_OFF: usize = 0x10;
    /// `sizeof(struct dsr_struct)`.
    pub const SIZE_OF: usize = 0x18;
    /// First HWRPB revision that has a DSR (Linux `platform_string`).
    pub const MIN_REVISION: u64 = 5;
}

/// `struct procdesc_struct`: the procedure descriptors the CRB points at.
pub mod procdesc {
    /// `sizeof(struct procdesc_struct)`.
    pub const SIZE_OF: usize = 0x10;
    /// Offset of `address` (the routine's entry point).
    pub const ADDRESS: usize = 0x08;
}
