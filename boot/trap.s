# Trap entry points, installed with `wrent` (kernel/src/arch/trap.rs).
#
# On entry the OSF/1 PALcode has pushed its 48-byte frame on the kernel stack
# (PS, PC, GP, a0, a1, a2), loaded $gp with the value given to `wrkgp`, and
# put trap-specific values in a0..a2. Each entry point saves all 32 integer
# registers below that frame (a `TrapFrame`, 256 bytes, register n at 8*n,
# with $30 holding the stack pointer before the trap) and calls
#       void alpha_trap(TrapFrame *frame, u64 kind)
# kind: 0 interrupt, 1 arithmetic, 2 memory management, 3 instruction fault,
# 4 unaligned access, 5 system call. If alpha_trap returns, the registers are
# restored and `rti` resumes the interrupted code.
        .set noreorder
        .set noat
        .text

        .macro  TRAPENTRY name, kind
        .globl  \name
        .ent    \name
        .align  4
\name:
        lda     $30, -256($30)
        stq     $0, 0($30)
        stq     $1, 8($30)
        lda     $1, \kind($31)
        br      $31, alpha_trap_common
        .end    \name
        .endm

        TRAPENTRY entInt, 0
        TRAPENTRY entArith, 1
        TRAPENTRY entMM, 2
        TRAPENTRY entIF, 3
        TRAPENTRY entUna, 4
        TRAPENTRY entSys, 5

        .ent    alpha_trap_common
        .align  4
alpha_trap_common:
        stq     $2, 16($30)
        stq     $3, 24($30)
        stq     $4, 32($30)
        stq     $5, 40($30)
        stq     $6, 48($30)
        stq     $7, 56($30)
        stq     $8, 64($30)
        stq     $9, 72($30)
        stq     $10, 80($30)
        stq     $11, 88($30)
        stq     $12, 96($30)
        stq     $13, 104($30)
        stq     $14, 112($30)
        stq     $15, 120($30)
        stq     $16, 128($30)
        stq     $17, 136($30)
        stq     $18, 144($30)
        stq     $19, 152($30)
        stq     $20, 160($30)
        stq     $21, 168($30)
        stq     $22, 176($30)
        stq     $23, 184($30)
        stq     $24, 192($30)
        stq     $25, 200($30)
        stq     $26, 208($30)
        stq     $27, 216($30)
        stq     $28, 224($30)
        stq     $29, 232($30)
        lda     $2, 304($30)            # SP before the trap: above our frame and PAL's
        stq     $2, 240($30)
        stq     $31, 248($30)
        mov     $30, $16                # a0 = frame
        mov     $1, $17                 # a1 = kind
        ldq     $27, alpha_trap($29)    !literal
        jsr     $26, ($27), alpha_trap
        # Resume: restore everything but $30 (popped) and $31.
        ldq     $0, 0($30)
        ldq     $1, 8($30)
        ldq     $2, 16($30)
        ldq     $3, 24($30)
        ldq     $4, 32($30)
        ldq     $5, 40($30)
        ldq     $6, 48($30)
        ldq     $7, 56($30)
        ldq     $8, 64($30)
        ldq     $9, 72($30)
        ldq     $10, 80($30)
        ldq     $11, 88($30)
        ldq     $12, 96($30)
        ldq     $13, 104($30)
        ldq     $14, 112($30)
        ldq     $15, 120($30)
        ldq     $19, 152($30)
        ldq     $20, 160($30)
        ldq     $21, 168($30)
        ldq     $22, 176($30)
        ldq     $23, 184($30)
        ldq     $24, 192($30)
        ldq     $25, 200($30)
        ldq     $26, 208($30)
        ldq     $27, 216($30)
        ldq     $28, 224($30)
        # a0..a2 and gp come back from the PAL frame through rti.
        lda     $30, 256($30)
        call_pal 0x3f                   # rti
        .end    alpha_trap_common
