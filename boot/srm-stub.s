# The SRM boot stub: the first thing that runs when an AlphaServer's SRM
# console boots this kernel from disk (`boot dka0`) or from the network
# (`boot ewa0 -protocols bootp`).
#
# What SRM gives us (SRM Console Architecture; Linux arch/alpha/boot/bootp.c):
#   * the boot program (this stub, its header and the kernel after it) copied
#     to VIRTUAL 0x20000000 under the console's own page tables, physically
#     wherever the console chose; we are entered at its first byte;
#   * kernel mode, a stack in $30 (virtually past the image), the HWRPB mapped
#     at virtual 0x10000000, console callbacks through the HWRPB's CRB;
#   * possibly OpenVMS PALcode rather than the OSF/1 PALcode the kernel needs.
#
# What the kernel expects (boot/entry.s, the same contract as QEMU's -kernel):
#   * OSF/1 PALcode, kernel mode, IPL 7, entered at its KSEG entry point;
#   * the kernel's bytes at their KSEG link address (physical 0x310000);
#   * the command line, NUL-terminated, in the page at KSEG 0x30a000.
#
# So the stub, step by step (each step prints a line through the console's
# PUTS callback, since the kernel's UART driver does not run yet):
#   1. check the HWRPB and that the VPTB (virtual page table) finds the
#      HWRPB's physical address: the stub translates addresses with it;
#   2. read the primary CPU's PALcode type from the HWRPB and, if it is not
#      OSF/1, switch with `call_pal swppal` (new PCB, same page tables);
#   3. fetch the boot flags (`boot ... -flags "..."`, SRM's booted_osflags)
#      with the GET_ENV callback: they become the kernel command line;
#   4. check the attached kernel against the checksum in the header;
#   5. plan the move: the destination must be free memory (HWRPB memory
#      map) and must not hold a console page table; if any physical page of
#      the kernel's source overlaps the destination, the kernel is first
#      copied to a bounce buffer above the kernel's image end, clear of the
#      stub's pages and their page tables (srm_image::relocate models this);
#   6. copy a small "tail" routine and the command-line page contents into
#      free memory, and jump there: the tail copies the kernel into place
#      (it may overwrite this stub), fills the command-line page, checks the
#      copy's checksum (a mismatch halts), and jumps to the kernel's entry.
#
# It is position-independent (every address is computed from the PC), so the
# very same bytes also run when QEMU's -kernel loads them at a KSEG address:
# that is how tools/runner tests it (see tools/srm-image: `qemu-elf`).
# Under QEMU, GET_ENV is not supported; only then, and only when running in
# KSEG (i.e. loaded by QEMU's -kernel, never under SRM), the stub takes the
# command line from the page QEMU fills 0x6000 below the loaded image.
#
# Layout of the boot program (tools/srm-image `srm-boot` builds it):
#   this stub's code and data | 64-byte header (last in the stub) | kernel
# The header is filled in by srm-image; the stub reads it PC-relatively.
#
# Register use: $13 always holds the runtime address of _stub_start (the
# console's callbacks follow the OpenVMS calling standard, which preserves
# $2..$15). Every other value that must survive lives in the state block
# (st_*) below. Subroutines take arguments in $16.., return in $0, preserve
# $9..$15, and may clobber everything else.

        .set noreorder
        .set noat
        .set nomacro

        PAGE    = 8192

# HWRPB offsets (Linux arch/alpha/include/asm/hwrpb.h, crates/hwrpb layout.rs)
        HWRPB_PHYS      = 0x00
        HWRPB_ID        = 0x08
        HWRPB_CPUID     = 0x20
        HWRPB_PAGESIZE  = 0x28
        HWRPB_VPTB      = 0x78
        HWRPB_PROC_SIZE = 0x98
        HWRPB_PROC_OFF  = 0xa0
        HWRPB_CRB_OFF   = 0xc0
        HWRPB_MDDT_OFF  = 0xc8
        SLOT_PAL_REV    = 0xa8          # minor 7:0, major 15:8, type 23:16
        SLOT_PAL_AVAIL  = 0x1d0         # palcode_avail[16], by variant
        MDDT_NCLUST     = 0x10
        MDDT_CLUST      = 0x18
        CLUST_SIZE      = 0x38          # start_pfn 0, numpages 8, usage 0x30

# Console callbacks (Linux asm/console.h)
        CCB_PUTS        = 0x02
        CCB_GET_ENV     = 0x22
        ENV_BOOTED_OSFLAGS = 0x08

# CALL_PAL numbers. Before the switch only the ones common to both PALcode
# flavours are used: halt, swppal, imb.
        PAL_HALT        = 0x00
        PAL_SWPPAL      = 0x0a
        PAL_TBI         = 0x33          # OSF/1 only
        PAL_SWPIPL      = 0x35          # OSF/1 only
        PAL_IMB         = 0x86
        PAL_OSF1        = 2             # swppal variant and HWRPB PAL type

# The header srm-image fills (offsets from stub_header)
        H_MAGIC         = 0x00
        H_SIZE          = 0x08
        H_LEN           = 0x10          # kernel bytes to copy (multiple of 8)
        H_LOAD          = 0x18          # KSEG address of the first byte
        H_ENTRY         = 0x20          # KSEG entry point
        H_IMAGE_END     = 0x28          # KSEG end of all the kernel uses
        H_CMDLINE       = 0x30          # KSEG command-line page
        H_SUM           = 0x38          # wrapping sum of the quadwords
        HEADER_SIZE     = 64

# The command-line page as the tail writes it: the text at +0 (256 bytes,
# NUL-terminated, like QEMU's -append), the handoff block at +0x100 (read by
# kernel/src/srmboot.rs; magic "SRMBOOT1").
        CMDLINE_MAX     = 256
        HO              = 0x100
        HO_MAGIC        = HO + 0x00
        HO_SIZE         = HO + 0x08
        HO_FLAGS        = HO + 0x10
        HO_LEN          = HO + 0x18
        HO_SUM          = HO + 0x20
        HO_MEASURED     = HO + 0x28     # the tail's checksum of the copy
        HO_STUB_VA      = HO + 0x30
        HO_SRC_PA       = HO + 0x38
        HO_BOUNCE       = HO + 0x40
        HO_TAIL         = HO + 0x48
        HO_PAL_BEFORE   = HO + 0x50
        HO_PAL_AFTER    = HO + 0x58
        HO_BLOCK_SIZE   = 0x60
        PREFIX_SIZE     = 512           # cmdline + handoff, what the tail copies
        F_SWPPAL        = 1             # handoff flags
        F_GET_ENV       = 2
        F_QEMU_APPEND   = 4
        F_BOUNCE        = 8
        F_KSEG          = 16

        TAIL_PREFIX     = 0x800         # where the prefix goes in the tail page

# Address of a stub label, PC-relative through $13.
        .macro  ADDR reg, label
        lda     \reg, (\label - _stub_start)($13)
        .endm
        .macro  LOAD reg, label
        ldq     \reg, (\label - _stub_start)($13)
        .endm
        .macro  STORE reg, label
        stq     \reg, (\label - _stub_start)($13)
        .endm
# Print a literal (kept in subsection 1, the stub's data).
        .macro  PRINT text
        .subsection 1
98:     .asciz  "\text"
        .subsection 0
        lda     $16, (98b - _stub_start)($13)
        bsr     $26, putz
        .endm
# Print a register in hex.
        .macro  PHEX reg
        mov     \reg, $16
        bsr     $26, puthex
        .endm
# Print a literal, then stop (back to the console prompt under SRM).
        .macro  FAIL text
        PRINT   "\text"
        br      $31, stop
        .endm

        .text
        .globl  _stub_start
_stub_start:
        br      $13, 1f
1:      lda     $13, -4($13)            # $13 = where we run
        STORE   $13, st_base

# --- 1. the HWRPB, the console callbacks, the VPTB -------------------------
        ldah    $9, 0x1000($31)         # $9 = 0x10000000, INIT_HWRPB
        STORE   $9, st_hwrpb
        ldq     $1, HWRPB_ID($9)        # the magic, in either byte order:
        LOAD    $2, k_hwrpb_id_ascii    # SRM stores the bytes "HWRPB\0\0\0"
        cmpeq   $1, $2, $3              # $3 = 1: ASCII order
        STORE   $3, st_magic_ascii
        LOAD    $2, k_hwrpb_id_quad     # QEMU's PALcode the quadword 0x4857525042000000
        cmpeq   $1, $2, $2
        bis     $2, $3, $2
        beq     $2, stop                # no HWRPB: no console to tell
        ldq     $1, HWRPB_CRB_OFF($9)
        beq     $1, stop                # no callbacks: nothing to print with
        addq    $9, $1, $1
        ldq     $1, 0($1)               # CRB dispatch procedure descriptor
        beq     $1, stop
        STORE   $1, st_dispatch

        PRINT   "\r\nsrm-stub: alpha-unikernel SRM boot stub running at "
        PHEX    $13
        PRINT   "\r\n"
        LOAD    $1, st_magic_ascii
        beq     $1, .Lmagic_quad
        PRINT   "srm-stub: the HWRPB's magic is in ASCII byte order (the bytes HWRPB followed by 3 NULs, as SRM stores it)\r\n"
        br      $31, .Lmagic_done
.Lmagic_quad:
        PRINT   "srm-stub: the HWRPB's magic is the quadword 0x4857525042000000 (the byte order QEMU's PALcode writes)\r\n"
.Lmagic_done:

        LOAD    $1, stub_header + H_LEN
        bne     $1, 2f
        FAIL    "srm-stub: no kernel attached to this stub (build the boot program with `srm-image srm-boot`)\r\n"
2:      ldq     $1, HWRPB_PAGESIZE($9)
        lda     $2, PAGE($31)
        cmpeq   $1, $2, $2
        bne     $2, 3f
        PRINT   "srm-stub: HWRPB page size "
        PHEX    $1
        FAIL    " is not 8 KiB\r\n"
3:      ldq     $1, HWRPB_VPTB($9)
        STORE   $1, st_vptb
        mov     $9, $16
        bsr     $26, find_pa            # the HWRPB's physical address through the VPT
        mov     $0, $10
        PRINT   "srm-stub: HWRPB at 0x10000000 -> physical "
        PHEX    $10
        PRINT   " through the VPTB "
        LOAD    $16, st_vptb
        bsr     $26, puthex
        PRINT   " (the HWRPB says "
        LOAD    $9, st_hwrpb
        ldq     $16, HWRPB_PHYS($9)
        bsr     $26, puthex
        ldq     $1, HWRPB_PHYS($9)
        cmpeq   $1, $10, $1
        bne     $1, 4f
        FAIL    "): mismatch, cannot translate addresses\r\n"
4:      # The level-1 page table: its self-map entry, found through the VPT
        # itself (the PTE of the PTE of the PTE of the VPT's first page).
        LOAD    $16, st_vptb
        bsr     $26, pte_va
        mov     $0, $16
        bsr     $26, pte_va
        mov     $0, $16
        bsr     $26, pte_va
        ldq     $1, 0($0)
        srl     $1, 32, $10             # its page frame number: the PTBR
        STORE   $10, st_ptbr
        PRINT   "): ok; level-1 page table at physical "
        sll     $10, 13, $16
        bsr     $26, puthex
        PRINT   "\r\n"

# --- 2. PALcode: switch to OSF/1 if needed ---------------------------------
        ldq     $1, HWRPB_CPUID($9)     # the primary CPU, which runs us
        ldq     $2, HWRPB_PROC_SIZE($9)
        mulq    $1, $2, $1
        ldq     $2, HWRPB_PROC_OFF($9)
        addq    $1, $2, $1
        addq    $9, $1, $1
        STORE   $1, st_slot
        ldq     $10, SLOT_PAL_REV($1)
        STORE   $10, st_pal_before
        STORE   $10, st_pal_after
        PRINT   "srm-stub: PAL revision "
        PHEX    $10
        PRINT   ", PALcode type "
        extbl   $10, 2, $16
        bsr     $26, puthex
        PRINT   " (1 = OpenVMS, 2 = OSF/1)\r\n"
        extbl   $10, 2, $1
        cmpeq   $1, PAL_OSF1, $1
        beq     $1, switch_pal
        PRINT   "srm-stub: already OSF/1 PALcode, no switch\r\n"
        br      $31, pal_ready

switch_pal:
        # The new PALcode starts from a PCB (OSF/1 layout: ksp 0, usp 8, ptbr
        # 16, pcc 24, asn 28, unique 32, flags 40): our stack, the console's
        # page tables (the PTBR found above), FEN on.
        LOAD    $10, st_ptbr
        ADDR    $11, pcb
        stq     $30, 0($11)             # ksp: continue on this stack
        stq     $31, 8($11)             # usp
        stq     $10, 16($11)            # ptbr
        stq     $31, 24($11)            # pcc, asn
        stq     $31, 32($11)            # unique
        lda     $1, 1($31)
        stq     $1, 40($11)             # flags: FEN (floating point enabled)
        stq     $31, 48($11)
        stq     $31, 56($11)
        mov     $11, $16
        bsr     $26, find_pa
        mov     $0, $12                 # $12 = the PCB's physical address
        PRINT   "srm-stub: switching to OSF/1 PALcode: swppal with the PCB at physical "
        PHEX    $12
        PRINT   "\r\n"
        # swppal: a0 = variant 2 (OSF/1), a1 = where the new PALcode
        # continues, a2 = the PCB's physical address, a3 = the VPTB, a4 = KSP.
        # On success it does not return here; on failure v0 = 1 (unknown
        # variant) or 2 (variant not loaded).
        ADDR    $1, pcb
        stq     $30, 0($1)              # the stack as it is now
        lda     $16, PAL_OSF1($31)
        ADDR    $17, pal_switched
        mov     $12, $18
        LOAD    $19, st_vptb
        mov     $30, $20
        call_pal PAL_SWPPAL
        mov     $0, $10
        PRINT   "srm-stub: swppal failed with status "
        PHEX    $10
        FAIL    " (1 = unknown variant, 2 = variant not loaded)\r\n"

pal_switched:
        # Now in OSF/1 PALcode, on the PCB's stack. Registers other than $30
        # may not have survived the switch: find ourselves again.
        br      $13, 1f
1:      lda     $13, (_stub_start - 1b)($13)
        LOAD    $1, st_slot
        ldq     $2, (SLOT_PAL_AVAIL + 8 * PAL_OSF1)($1)
        stq     $2, SLOT_PAL_REV($1)    # as Linux and the BSDs do after a switch
        STORE   $2, st_pal_after
        LOAD    $1, st_flags
        bis     $1, F_SWPPAL, $1
        STORE   $1, st_flags
        PRINT   "srm-stub: now in OSF/1 PALcode (revision "
        LOAD    $16, st_pal_after
        bsr     $26, puthex
        PRINT   ")\r\n"

pal_ready:
        lda     $16, -2($31)            # tbia: drop any translation of the old PALcode
        call_pal PAL_TBI
        lda     $16, 7($31)             # IPL 7: no interrupts, as the kernel expects
        call_pal PAL_SWPIPL

# --- 3. the command line: SRM's boot flags ---------------------------------
        ADDR    $11, prefix             # the command line goes to prefix+0
        lda     $16, CCB_GET_ENV($31)
        lda     $17, ENV_BOOTED_OSFLAGS($31)
        mov     $11, $18
        lda     $19, CMDLINE_MAX - 1($31)
        bsr     $26, crbcall
        mov     $0, $10
        srl     $10, 63, $1
        bne     $1, env_failed
        zapnot  $10, 0x0f, $1           # the length, status bits cleared
        cmpule  $1, CMDLINE_MAX - 1, $2
        bne     $2, 1f
        lda     $1, CMDLINE_MAX - 1($31)
1:      addq    $11, $1, $1
        stb     $31, 0($1)              # NUL-terminate
        LOAD    $1, st_flags
        bis     $1, F_GET_ENV, $1
        STORE   $1, st_flags
        PRINT   "srm-stub: boot flags (GET_ENV booted_osflags): \""
        mov     $11, $16
        bsr     $26, putz
        PRINT   "\"\r\n"
        br      $31, cmdline_done

env_failed:
        PRINT   "srm-stub: GET_ENV booted_osflags: status "
        PHEX    $10
        mov     $13, $16                # running in KSEG = loaded by QEMU's -kernel
        bsr     $26, in_kseg
        bne     $0, 2f
        stb     $31, 0($11)
        PRINT   "; the kernel command line is empty\r\n"
        br      $31, cmdline_done
2:      # QEMU's -kernel loader writes -append 0x6000 below the lowest loaded
        # address, at most 256 bytes: that is us.
        lda     $17, -0x6000($13)
        mov     $11, $16
        lda     $18, CMDLINE_MAX($31)
        bsr     $26, copyq
        stb     $31, CMDLINE_MAX - 1($11)
        LOAD    $1, st_flags
        bis     $1, F_QEMU_APPEND | F_KSEG, $1
        STORE   $1, st_flags
        PRINT   "; loaded by QEMU's -kernel, so the command line is its -append text: \""
        mov     $11, $16
        bsr     $26, putz
        PRINT   "\"\r\n"
cmdline_done:

# --- 4. the attached kernel ------------------------------------------------
        ADDR    $16, payload
        LOAD    $17, stub_header + H_LEN
        bsr     $26, checksum
        mov     $0, $10
        PRINT   "srm-stub: kernel: "
        LOAD    $16, stub_header + H_LEN
        bsr     $26, puthex
        PRINT   " bytes at "
        ADDR    $16, payload
        bsr     $26, puthex
        PRINT   ", checksum "
        PHEX    $10
        LOAD    $1, stub_header + H_SUM
        cmpeq   $1, $10, $1
        bne     $1, 1f
        PRINT   ", expected "
        LOAD    $16, stub_header + H_SUM
        bsr     $26, puthex
        FAIL    ": the boot program was damaged or cut short while loading\r\n"
1:      PRINT   " ok\r\n"
        # The destination must be KSEG addresses (load, entry, end, cmdline).
        LOAD    $16, stub_header + H_LOAD
        bsr     $26, kseg_pa
        blt     $0, bad_dest
        STORE   $0, st_dst_pa
        LOAD    $16, stub_header + H_CMDLINE
        bsr     $26, kseg_pa
        blt     $0, bad_dest
        STORE   $0, st_cmd_pa
        LOAD    $16, stub_header + H_IMAGE_END
        bsr     $26, kseg_pa
        blt     $0, bad_dest
        STORE   $0, st_end_pa
        LOAD    $16, stub_header + H_ENTRY
        bsr     $26, kseg_pa
        bge     $0, 2f
bad_dest:
        FAIL    "srm-stub: the header's kernel addresses are not KSEG addresses\r\n"
2:      PRINT   "srm-stub: destination: physical "
        LOAD    $16, st_dst_pa
        bsr     $26, puthex
        PRINT   "-"
        LOAD    $1, st_dst_pa
        LOAD    $2, stub_header + H_LEN
        addq    $1, $2, $16
        bsr     $26, puthex
        PRINT   " (command line page "
        LOAD    $16, st_cmd_pa
        bsr     $26, puthex
        PRINT   ", image end "
        LOAD    $16, st_end_pa
        bsr     $26, puthex
        PRINT   "), entry "
        LOAD    $16, stub_header + H_ENTRY
        bsr     $26, puthex
        PRINT   "\r\n"

# --- 5. plan the move --------------------------------------------------------
        # Everything the kernel will use must be free memory.
        LOAD    $16, st_cmd_pa
        LOAD    $17, st_end_pa
        bsr     $26, cluster_free
        bne     $0, 1f
        FAIL    "srm-stub: the destination is not free memory in the HWRPB's memory map\r\n"
1:      # Which of our physical pages lie where the kernel goes?
        LOAD    $16, st_cmd_pa
        LOAD    $1, st_dst_pa
        LOAD    $2, stub_header + H_LEN
        addq    $1, $2, $17
        bsr     $26, scan
        mov     $0, $10
        and     $10, 4, $1
        beq     $1, 2f
        FAIL    "srm-stub: a console page table lies where the kernel goes; cannot copy safely\r\n"
2:      and     $10, 1, $10             # $10 = 1: the kernel's source overlaps its destination
        # The tail page (and the bounce buffer if needed) goes above the
        # kernel's image end, at the first place that holds none of our
        # pages or their page tables and lies in free memory.
        lda     $11, PAGE($31)          # $11 = region size
        beq     $10, 3f
        LOAD    $1, stub_header + H_LEN
        lda     $1, PAGE - 1($1)
        srl     $1, 13, $1
        sll     $1, 13, $1
        addq    $11, $1, $11
3:      LOAD    $12, st_end_pa
        lda     $12, PAGE - 1($12)
        srl     $12, 13, $12
        sll     $12, 13, $12            # $12 = candidate, page aligned
4:      mov     $12, $16
        addq    $12, $11, $17
        bsr     $26, cluster_free
        bne     $0, 5f
        FAIL    "srm-stub: no free memory above the kernel for the copy routine and bounce buffer\r\n"
5:      mov     $12, $16
        addq    $12, $11, $17
        bsr     $26, scan
        beq     $0, 6f
        lda     $12, PAGE($12)
        br      $31, 4b
6:      bsr     $26, kseg_base
        addq    $12, $0, $1             # KSEG address of the region
        lda     $2, -PAGE($11)
        addq    $1, $2, $2              # the tail page is the region's last page
        STORE   $2, st_tail
        STORE   $31, st_bounce
        beq     $10, 7f
        STORE   $1, st_bounce
        LOAD    $1, st_flags
        bis     $1, F_BOUNCE, $1
        STORE   $1, st_flags
        PRINT   "srm-stub: the kernel's pages overlap its destination: copying it to "
        LOAD    $16, st_bounce
        bsr     $26, puthex
        PRINT   " first\r\n"
        br      $31, 8f
7:      PRINT   "srm-stub: no page of the kernel overlaps its destination: copying directly\r\n"
8:

# --- 6. hand over to the tail ----------------------------------------------
        # The handoff block for the kernel, after the command line.
        ADDR    $11, prefix
        LOAD    $1, k_handoff_magic
        stq     $1, HO_MAGIC($11)
        lda     $1, HO_BLOCK_SIZE($31)
        stq     $1, HO_SIZE($11)
        LOAD    $1, st_flags
        stq     $1, HO_FLAGS($11)
        LOAD    $1, stub_header + H_LEN
        stq     $1, HO_LEN($11)
        LOAD    $1, stub_header + H_SUM
        stq     $1, HO_SUM($11)
        stq     $31, HO_MEASURED($11)
        stq     $13, HO_STUB_VA($11)
        ADDR    $16, payload
        bsr     $26, find_pa
        stq     $0, HO_SRC_PA($11)
        LOAD    $1, st_bounce
        stq     $1, HO_BOUNCE($11)
        LOAD    $1, st_tail
        stq     $1, HO_TAIL($11)
        LOAD    $1, st_pal_before
        stq     $1, HO_PAL_BEFORE($11)
        LOAD    $1, st_pal_after
        stq     $1, HO_PAL_AFTER($11)

        PRINT   "srm-stub: final copy from "
        LOAD    $16, st_tail
        bsr     $26, puthex
        PRINT   " (a halt there means the copy failed its checksum); entering the kernel at "
        LOAD    $16, stub_header + H_ENTRY
        bsr     $26, puthex
        PRINT   "\r\n"
        # No console callback from here on: the copies below may overwrite the
        # console's stack pages for all we know.

        LOAD    $16, st_tail            # the tail routine
        ADDR    $17, tail_start
        lda     $18, tail_end - tail_start($31)
        bsr     $26, copyq
        LOAD    $16, st_tail            # the command line and handoff block
        lda     $16, TAIL_PREFIX($16)
        ADDR    $17, prefix
        lda     $18, PREFIX_SIZE($31)
        bsr     $26, copyq
        ADDR    $16, payload            # the kernel's source: here...
        LOAD    $1, st_bounce
        beq     $1, 1f
        mov     $1, $16                 # ...or the bounce buffer
        ADDR    $17, payload
        LOAD    $18, stub_header + H_LEN
        bsr     $26, copyq
        LOAD    $16, st_bounce
1:      call_pal PAL_IMB                # the tail is code we just wrote
        LOAD    $17, stub_header + H_LOAD
        LOAD    $18, stub_header + H_LEN
        LOAD    $19, stub_header + H_ENTRY
        LOAD    $20, stub_header + H_CMDLINE
        LOAD    $23, st_tail
        lda     $21, TAIL_PREFIX($23)
        LOAD    $22, stub_header + H_SUM
        jmp     $31, ($23)

stop:   call_pal PAL_HALT               # back to the console (QEMU: exit)
        br      $31, stop

# --- the tail: runs from its own page in free memory -------------------------
# In: $16 source, $17 destination (KSEG), $18 length (multiple of 8),
#     $19 entry, $20 command-line page (KSEG), $21 prefix (512 bytes),
#     $22 the expected checksum. Position-independent; no stack, no stub data.
        .align  4
tail_start:
        mov     $16, $1
        mov     $17, $2
        mov     $18, $3
1:      beq     $3, 2f                  # the kernel, quadword by quadword
        ldq     $4, 0($1)
        addq    $1, 8, $1
        stq     $4, 0($2)
        addq    $2, 8, $2
        subq    $3, 8, $3
        br      $31, 1b
2:      mov     $20, $2                 # zero the command-line page
        lda     $3, PAGE($31)
3:      stq     $31, 0($2)
        addq    $2, 8, $2
        subq    $3, 8, $3
        bne     $3, 3b
        mov     $21, $1                 # then the command line and handoff block
        mov     $20, $2
        lda     $3, PREFIX_SIZE($31)
4:      ldq     $4, 0($1)
        addq    $1, 8, $1
        stq     $4, 0($2)
        addq    $2, 8, $2
        subq    $3, 8, $3
        bne     $3, 4b
        mov     $17, $1                 # check the copy
        mov     $18, $3
        mov     $31, $5
5:      beq     $3, 6f
        ldq     $4, 0($1)
        addq    $5, $4, $5
        addq    $1, 8, $1
        subq    $3, 8, $3
        br      $31, 5b
6:      stq     $5, HO_MEASURED($20)
        cmpeq   $5, $22, $4
        beq     $4, 7f
        call_pal PAL_IMB                # the kernel is code we just wrote
        mov     $19, $27                # enter it as Linux's loaders do: $27 = entry
        mov     $31, $26
        jmp     $31, ($27)
7:      call_pal PAL_HALT               # the copy does not match its checksum
        br      $31, 7b
        .align  3
tail_end:

# --- subroutines -----------------------------------------------------------

# crbcall($16 code, $17, $18, $19) -> $0: a console callback through the
# CRB's dispatch procedure (OpenVMS calling standard: $27 = procedure
# descriptor, code address in its second quadword, $25 = argument count).
crbcall:
        lda     $30, -16($30)
        stq     $26, 0($30)
        LOAD    $27, st_dispatch
        ldq     $28, 8($27)
        lda     $25, 4($31)             # 4 arguments, as Linux's callback_srm.S passes
        jsr     $26, ($28)
        ldq     $26, 0($30)
        lda     $30, 16($30)
        ret     $31, ($26), 1

# putn($16 address, $17 length): PUTS to console unit 0 until all is written
# (PUTS may write less than asked) or the console reports an error.
putn:
        lda     $30, -32($30)
        stq     $26, 0($30)
        stq     $9, 8($30)
        stq     $10, 16($30)
        mov     $16, $9
        mov     $17, $10
1:      beq     $10, 9f
        lda     $16, CCB_PUTS($31)
        mov     $31, $17                # unit 0
        mov     $9, $18
        mov     $10, $19
        bsr     $26, crbcall
        srl     $0, 63, $1
        bne     $1, 9f                  # error: give up quietly
        zapnot  $0, 0x0f, $1            # bytes written
        beq     $1, 9f
        cmpult  $10, $1, $2
        cmovne  $2, $10, $1
        addq    $9, $1, $9
        subq    $10, $1, $10
        br      $31, 1b
9:      ldq     $26, 0($30)
        ldq     $9, 8($30)
        ldq     $10, 16($30)
        lda     $30, 32($30)
        ret     $31, ($26), 1

# putz($16 address): a NUL-terminated string.
putz:
        mov     $16, $1
1:      ldbu    $2, 0($1)
        beq     $2, 2f
        addq    $1, 1, $1
        br      $31, 1b
2:      subq    $1, $16, $17
        br      $31, putn               # tail call: returns to our caller

# puthex($16 value): "0x" and the hex digits, no leading zeros.
puthex:
        lda     $1, 1($31)              # $1 = digit count
        srl     $16, 4, $2
1:      beq     $2, 2f
        addq    $1, 1, $1
        srl     $2, 4, $2
        br      $31, 1b
2:      ADDR    $3, hexbuf
        lda     $4, 0x30($31)           # '0'
        stb     $4, 0($3)
        lda     $4, 0x78($31)           # 'x'
        stb     $4, 1($3)
        addq    $3, 2, $5
        addq    $5, $1, $5              # one past the last digit
        mov     $16, $2
        mov     $1, $8                  # digits left to write, last first
3:      and     $2, 15, $4
        cmpult  $4, 10, $6
        lda     $7, 0x30($4)            # '0' + d
        lda     $4, 0x57($4)            # 'a' - 10 + d
        cmovne  $6, $7, $4
        subq    $5, 1, $5
        stb     $4, 0($5)
        srl     $2, 4, $2
        subq    $8, 1, $8
        bne     $8, 3b
        mov     $3, $16
        addq    $1, 2, $17
        br      $31, putn

# kseg_base() -> $0 = 0xfffffc0000000000, the start of KSEG.
kseg_base:
        lda     $0, -1($31)
        sll     $0, 42, $0
        ret     $31, ($26), 1

# in_kseg($16 va) -> $0 = 1 if va is a KSEG address (0xfffffc0000000000 up
# to 0xfffffe0000000000: bits 63:41 sign-extend to -2). Uses $0, $1 only.
in_kseg:
        sra     $16, 41, $0
        lda     $1, -2($31)
        cmpeq   $0, $1, $0
        ret     $31, ($26), 1

# kseg_pa($16 va) -> $0: the physical address of a KSEG address, or -1.
kseg_pa:
        sra     $16, 41, $0
        lda     $1, -2($31)
        cmpeq   $0, $1, $0
        beq     $0, 1f
        lda     $0, -1($31)
        srl     $0, 22, $0              # 2^42 - 1
        and     $16, $0, $0
        ret     $31, ($26), 1
1:      lda     $0, -1($31)
        ret     $31, ($26), 1

# pte_va($16 va) -> $0: the address of va's page table entry in the virtual
# page table: VPTB + 8 * (virtual page number, 30 bits).
pte_va:
        srl     $16, 13, $0
        lda     $1, -1($31)
        srl     $1, 34, $1              # 2^30 - 1
        and     $0, $1, $0
        s8addq  $0, 0, $0
        LOAD    $1, st_vptb
        addq    $0, $1, $0
        ret     $31, ($26), 1

# find_pa($16 va) -> $0: the physical address behind a virtual address: KSEG
# by arithmetic, anything else through its PTE (page frame in bits 63:32);
# -1 if the PTE is not valid. Preserves $3..$15.
find_pa:
        sra     $16, 41, $0
        lda     $1, -2($31)
        cmpeq   $0, $1, $0
        beq     $0, 1f
        lda     $0, -1($31)
        srl     $0, 22, $0
        and     $16, $0, $0
        ret     $31, ($26), 1
1:      srl     $16, 13, $0
        lda     $1, -1($31)
        srl     $1, 34, $1
        and     $0, $1, $0
        s8addq  $0, 0, $0
        LOAD    $1, st_vptb
        addq    $0, $1, $0
        ldq     $0, 0($0)               # the PTE
        blbc    $0, 2f                  # bit 0: valid
        srl     $0, 32, $0
        sll     $0, 13, $0
        lda     $1, PAGE - 1($31)
        and     $16, $1, $1
        bis     $0, $1, $0
        ret     $31, ($26), 1
2:      lda     $0, -1($31)
        ret     $31, ($26), 1

# copyq($16 destination, $17 source, $18 length, a multiple of 8).
copyq:
        beq     $18, 2f
1:      ldq     $1, 0($17)
        addq    $17, 8, $17
        stq     $1, 0($16)
        addq    $16, 8, $16
        subq    $18, 8, $18
        bne     $18, 1b
2:      ret     $31, ($26), 1

# checksum($16 address, $17 length, a multiple of 8) -> $0: the wrapping sum
# of the quadwords (srm-image computes the same on the host).
checksum:
        mov     $31, $0
        beq     $17, 2f
1:      ldq     $1, 0($16)
        addq    $0, $1, $0
        addq    $16, 8, $16
        subq    $17, 8, $17
        bne     $17, 1b
2:      ret     $31, ($26), 1

# cluster_free($16 lo, $17 hi: physical) -> $0 = 1 if [lo, hi) lies inside
# one memory cluster of the HWRPB whose usage bits (console/PALcode,
# non-volatile) are clear, else 0.
cluster_free:
        LOAD    $1, st_hwrpb
        ldq     $2, HWRPB_MDDT_OFF($1)
        addq    $1, $2, $2              # the MDDT
        ldq     $3, MDDT_NCLUST($2)
        lda     $2, MDDT_CLUST($2)
1:      beq     $3, 3f
        ldq     $4, 0x30($2)            # usage
        and     $4, 3, $4
        bne     $4, 2f
        ldq     $4, 0($2)               # start pfn
        sll     $4, 13, $4
        ldq     $5, 8($2)               # pages
        sll     $5, 13, $5
        addq    $4, $5, $5              # end
        cmpule  $4, $16, $6
        cmpule  $17, $5, $7
        and     $6, $7, $6
        beq     $6, 2f
        lda     $0, 1($31)
        ret     $31, ($26), 1
2:      lda     $2, CLUST_SIZE($2)
        subq    $3, 1, $3
        br      $31, 1b
3:      mov     $31, $0
        ret     $31, ($26), 1

# scan($16 lo, $17 hi: physical) -> $0: which of our physical pages meet
# [lo, hi): bit 0 a page holding kernel bytes, bit 1 a page of the stub,
# bit 2 a page table that maps them (level 1, 2 or 3; none in KSEG).
scan:
        lda     $30, -64($30)
        stq     $26, 0($30)
        stq     $9, 8($30)
        stq     $10, 16($30)
        stq     $11, 24($30)
        stq     $12, 32($30)
        stq     $14, 40($30)
        stq     $15, 48($30)
        mov     $16, $14                # $14 = lo
        mov     $17, $15                # $15 = hi
        mov     $31, $12                # $12 = result
        lda     $1, -PAGE($31)
        and     $13, $1, $9             # $9 = the page being looked at
        ADDR    $10, payload
        LOAD    $1, stub_header + H_LEN
        addq    $10, $1, $11            # $11 = end of the kernel bytes
        # The level-1 page table (the console's; it maps the HWRPB too).
        LOAD    $16, st_ptbr
        sll     $16, 13, $16
        bsr     $26, meets
        cmovne  $0, 4, $0
        bis     $12, $0, $12
1:      cmpult  $9, $11, $1             # for each page up to the kernel's end
        beq     $1, 9f
        mov     $9, $16
        bsr     $26, find_pa
        lda     $1, -PAGE($31)
        and     $0, $1, $16
        bsr     $26, meets
        beq     $0, 3f
        lda     $1, PAGE($9)            # a page of the kernel? (it starts at payload)
        cmpult  $10, $1, $1
        bis     $12, $1, $12
        cmpult  $9, $10, $1             # a page of the stub?
        sll     $1, 1, $1
        bis     $12, $1, $12
3:      mov     $9, $16                 # its page tables (KSEG needs none)
        bsr     $26, in_kseg
        bne     $0, 4f
        mov     $9, $16
        bsr     $26, pte_va             # the level-3 table holding its PTE
        mov     $0, $16
        bsr     $26, find_pa
        lda     $1, -PAGE($31)
        and     $0, $1, $16
        bsr     $26, meets
        cmovne  $0, 4, $0
        bis     $12, $0, $12
        mov     $9, $16
        bsr     $26, pte_va
        mov     $0, $16
        bsr     $26, pte_va             # the level-2 table
        mov     $0, $16
        bsr     $26, find_pa
        lda     $1, -PAGE($31)
        and     $0, $1, $16
        bsr     $26, meets
        cmovne  $0, 4, $0
        bis     $12, $0, $12
4:      lda     $9, PAGE($9)
        br      $31, 1b
9:      mov     $12, $0
        ldq     $26, 0($30)
        ldq     $9, 8($30)
        ldq     $10, 16($30)
        ldq     $11, 24($30)
        ldq     $12, 32($30)
        ldq     $14, 40($30)
        ldq     $15, 48($30)
        lda     $30, 64($30)
        ret     $31, ($26), 1

# meets($16 page pa; $14 lo, $15 hi) -> $0 = 1 if [pa, pa + 8 KiB) meets
# [lo, hi). Used by scan only.
meets:
        cmpult  $16, $15, $0            # pa < hi
        lda     $1, PAGE($16)
        cmpult  $14, $1, $1             # lo < pa + PAGE
        and     $0, $1, $0
        ret     $31, ($26), 1

# --- data (subsection 1: after all the code) -------------------------------
        .subsection 1
        .align  3
k_hwrpb_id_ascii: .ascii "HWRPB\0\0\0"          # SRM (NetBSD's HWRPB_MAGIC): quadword 0x0000004250525748
k_hwrpb_id_quad: .quad   0x4857525042000000     # QEMU's PALcode: "\0\0\0BPRWH" in memory
k_handoff_magic: .ascii  "SRMBOOT1"
st_base:         .quad   0
st_magic_ascii:  .quad   0
st_hwrpb:        .quad   0
st_dispatch:     .quad   0
st_vptb:         .quad   0
st_slot:         .quad   0
st_ptbr:         .quad   0
st_pal_before:   .quad   0
st_pal_after:    .quad   0
st_flags:        .quad   0
st_dst_pa:       .quad   0
st_cmd_pa:       .quad   0
st_end_pa:       .quad   0
st_bounce:       .quad   0
st_tail:         .quad   0
hexbuf:          .space  24
        .align  7
pcb:             .space  128                    # the PCB for swppal
        .align  6
prefix:          .space  PREFIX_SIZE            # command line + handoff block

# --- the header (subsection 2: the stub's last 64 bytes) -------------------
# The section is 128-byte aligned (the PCB), and the assembler pads a code
# section's end to its alignment with no-ops: the header starts 64 bytes
# past a 128-byte boundary so that it ends exactly on one, with nothing
# after it (linker/srm-stub.ld checks this).
        .subsection 2
        .balign 128, 0
        .skip   64, 0
        .globl  stub_header
stub_header:
        .ascii  "SRMSTUB1"              # magic (srm-image looks for it)
        .quad   HEADER_SIZE
        .quad   0                       # kernel length    } filled in by
        .quad   0                       # load address     } `srm-image
        .quad   0                       # entry            }  srm-boot`
        .quad   0                       # image end        }
        .quad   0                       # command-line page}
        .quad   0                       # checksum         }
payload:                                # the kernel's bytes follow
