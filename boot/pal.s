# Typed wrappers for the OSF/1 CALL_PAL functions and the few Alpha
# instructions the kernel needs, each an ordinary C-ABI function so that the
# compiler saves whatever the call may clobber. Rust declares them in
# kernel/src/arch/pal.rs.
        .set noreorder
        .set noat
        .text

        .macro  PALFN name, code
        .globl  \name
        .ent    \name
        .align  4
\name:
        call_pal \code
        ret     $31, ($26), 1
        .end    \name
        .endm

        PALFN   pal_halt, 0x00          # halt (ends QEMU)
        PALFN   pal_draina, 0x02        # drain aborts
        PALFN   pal_cserve, 0x09        # console service (a0 = function)
        PALFN   pal_wrvptptr, 0x2d      # a0 = virtual page table pointer
        PALFN   pal_tbi, 0x33           # a0 = type, a1 = va
        PALFN   pal_wrent, 0x34         # a0 = entry address, a1 = entry number
        PALFN   pal_swpipl, 0x35        # a0 = new IPL; v0 = old PS
        PALFN   pal_rdps, 0x36          # v0 = PS
        PALFN   pal_wrkgp, 0x37         # a0 = kernel gp for trap entry
        PALFN   pal_whami, 0x3c         # v0 = this CPU's number
        PALFN   pal_wtint, 0x3e         # wait for interrupt; a0 = max ticks to skip
        PALFN   pal_imb, 0x86           # instruction memory barrier

# u64 alpha_rpcc(void): the process cycle counter (low 32 bits count cycles).
        .globl  alpha_rpcc
        .ent    alpha_rpcc
        .align  4
alpha_rpcc:
        rpcc    $0
        ret     $31, ($26), 1
        .end    alpha_rpcc

# void alpha_mb(void), alpha_wmb(void): memory barriers.
        .globl  alpha_mb
        .ent    alpha_mb
        .align  4
alpha_mb:
        mb
        ret     $31, ($26), 1
        .end    alpha_mb

        .globl  alpha_wmb
        .ent    alpha_wmb
        .align  4
alpha_wmb:
        wmb
        ret     $31, ($26), 1
        .end    alpha_wmb

# u64 alpha_implver(void), u64 alpha_amask(u64 mask)
        .globl  alpha_implver
        .ent    alpha_implver
        .align  4
alpha_implver:
        implver $0
        ret     $31, ($26), 1
        .end    alpha_implver

        .globl  alpha_amask
        .ent    alpha_amask
        .align  4
alpha_amask:
        amask   $16, $0
        ret     $31, ($26), 1
        .end    alpha_amask

# Deliberate faults, for the kernel's crash tests (each traps, never returns
# normally): an illegal opcode, an integer overflow trap, an unaligned
# load and a load from an unmapped address.
        .globl  alpha_raise_opdec
        .ent    alpha_raise_opdec
        .align  4
alpha_raise_opdec:
        .long   0x04000000              # opcode 0x01: reserved -> OPCDEC
        ret     $31, ($26), 1
        .end    alpha_raise_opdec

        .globl  alpha_raise_overflow
        .ent    alpha_raise_overflow
        .align  4
alpha_raise_overflow:
        addqv   $16, $17, $0            # traps when a0 + a1 overflows
        trapb
        ret     $31, ($26), 1
        .end    alpha_raise_overflow

        .globl  alpha_load_quad
        .ent    alpha_load_quad
        .align  4
alpha_load_quad:
        ldq     $0, 0($16)              # unaligned a0 -> entUna; unmapped -> entMM
        ret     $31, ($26), 1
        .end    alpha_load_quad


# u64 alpha_millicode_call(u64 a, u64 b, void *routine, u64 regs_out[32])
# Calls a division millicode routine with its own convention (a in $24, b in
# $25, result in $27, return through $23) after loading canaries
# 0x1000 + n into registers $0..$22, then stores the registers as the
# routine left them into regs_out, so the self-test can check that it
# preserved every register it must. Returns the routine's result.
        .globl  alpha_millicode_call
        .ent    alpha_millicode_call
        .align  4
alpha_millicode_call:
        lda     $30, -80($30)
        stq     $26, 0($30)
        stq     $19, 8($30)
        stq     $9, 16($30)
        stq     $10, 24($30)
        stq     $11, 32($30)
        stq     $12, 40($30)
        stq     $13, 48($30)
        stq     $14, 56($30)
        stq     $15, 64($30)
        mov     $16, $24
        mov     $17, $25
        mov     $18, $27
        lda     $0, 0x1000($31)
        lda     $1, 0x1001($31)
        lda     $2, 0x1002($31)
        lda     $3, 0x1003($31)
        lda     $4, 0x1004($31)
        lda     $5, 0x1005($31)
        lda     $6, 0x1006($31)
        lda     $7, 0x1007($31)
        lda     $8, 0x1008($31)
        lda     $9, 0x1009($31)
        lda     $10, 0x100a($31)
        lda     $11, 0x100b($31)
        lda     $12, 0x100c($31)
        lda     $13, 0x100d($31)
        lda     $14, 0x100e($31)
        lda     $15, 0x100f($31)
        lda     $16, 0x1010($31)
        lda     $17, 0x1011($31)
        lda     $18, 0x1012($31)
        lda     $19, 0x1013($31)
        lda     $20, 0x1014($31)
        lda     $21, 0x1015($31)
        lda     $22, 0x1016($31)
        jsr     $23, ($27)
        ldq     $28, 8($30)
        stq     $0, 0($28)
        stq     $1, 8($28)
        stq     $2, 16($28)
        stq     $3, 24($28)
        stq     $4, 32($28)
        stq     $5, 40($28)
        stq     $6, 48($28)
        stq     $7, 56($28)
        stq     $8, 64($28)
        stq     $9, 72($28)
        stq     $10, 80($28)
        stq     $11, 88($28)
        stq     $12, 96($28)
        stq     $13, 104($28)
        stq     $14, 112($28)
        stq     $15, 120($28)
        stq     $16, 128($28)
        stq     $17, 136($28)
        stq     $18, 144($28)
        stq     $19, 152($28)
        stq     $20, 160($28)
        stq     $21, 168($28)
        stq     $22, 176($28)
        stq     $24, 192($28)
        stq     $25, 200($28)
        stq     $27, 216($28)
        stq     $29, 232($28)
        stq     $30, 240($28)
        mov     $27, $0
        ldq     $26, 0($30)
        ldq     $9, 16($30)
        ldq     $10, 24($30)
        ldq     $11, 32($30)
        ldq     $12, 40($30)
        ldq     $13, 48($30)
        ldq     $14, 56($30)
        ldq     $15, 64($30)
        lda     $30, 80($30)
        ret     $31, ($26), 1
        .end    alpha_millicode_call

# u64 alpha_read_gp(void): the global pointer ($29) all kernel code shares,
# for `wrkgp` (the linker computes it; see linker/kernel.ld).
        .globl  alpha_read_gp
        .ent    alpha_read_gp
        .align  4
alpha_read_gp:
        mov     $29, $0
        ret     $31, ($26), 1
        .end    alpha_read_gp

# void abort(void): what the GCC backend calls for core::intrinsics::abort;
# goes to the kernel's report-and-halt (kernel/src/main.rs).
        .globl  abort
        .ent    abort
        .align  4
abort:
        br      $27, 1f
1:      ldah    $29, 0($27)     !gpdisp!2
        lda     $29, 0($29)     !gpdisp!2
        ldq     $27, kernel_abort($29)  !literal
        jsr     $26, ($27), kernel_abort
        call_pal 0x00
        .end    abort
