# Console callbacks (SRM, and QEMU's PALcode which implements GETC/PUTS):
# the CRB's DISPATCH routine uses the OpenVMS calling convention: $27 holds
# the *procedure descriptor*, whose second quadword is the code address;
# arguments in $16..$21 (function code first), their count in $25 (the
# OpenVMS "argument information" register: Linux's callback_srm.S passes 4
# for PUTS and GET_ENV and 2 for GETC; this wrapper passes 4 for all, which
# for GETC is untested on SRM; QEMU ignores $25); result in $0; it preserves
# $2..$15 and $29 as VMS requires, and may clobber what the Unix ABI lets
# a callee clobber anyway, so a C-ABI wrapper only has to keep $26 and $29.
#
#   u64 alpha_crb_call(u64 dispatch_pd, u64 code, u64 a1, u64 a2, u64 a3, u64 a4)
        .set noreorder
        .set noat
        .text
        .globl  alpha_crb_call
        .ent    alpha_crb_call
        .align  4
alpha_crb_call:
        lda     $30, -16($30)
        stq     $26, 0($30)
        stq     $29, 8($30)
        mov     $16, $27                # procedure descriptor
        mov     $17, $16                # function code
        mov     $18, $17
        mov     $19, $18
        mov     $20, $19
        mov     $21, $20
        ldq     $28, 8($27)             # code address
        lda     $25, 4($31)             # argument count: code + 3 arguments
        jsr     $26, ($28)
        ldq     $26, 0($30)
        ldq     $29, 8($30)
        lda     $30, 16($30)
        ret     $31, ($26), 1
        .end    alpha_crb_call
