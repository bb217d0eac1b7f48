# Console callbacks (SRM, and QEMU's PALcode which implements GETC/PUTS):
# the CRB's DISPATCH routine uses the OpenVMS calling convention: $27 holds
# the *procedure descriptor*, whose second quadword is the code address;
# arguments in $16..$21 (function code first), their count in $25 (the
# OpenVMS "argument information" register: Linux's callback_srm.S passes 4
# for PUTS and GET_ENV and 2 for GETC, the code included; the caller packs
# the count into bits 31:16 of the code argument, as Linux's wrappers pack
# code and count into one data word; QEMU ignores $25); result in $0; it preserves
# $2..$15 and $29 as VMS requires, and may clobber what the Unix ABI lets
# a callee clobber anyway, so a C-ABI wrapper only has to keep $26 and $29.
#
#   u64 alpha_crb_call(u64 dispatch_pd, u64 code | argc << 16, u64 a1, u64 a2, u64 a3, u64 a4)
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
        extwl   $17, 2, $25             # argument count (bits 31:16)
        extwl   $17, 0, $16             # function code (bits 15:0)
        mov     $18, $17
        mov     $19, $18
        mov     $20, $19
        mov     $21, $20
        ldq     $28, 8($27)             # code address
        jsr     $26, ($28)
        ldq     $26, 0($30)
        ldq     $29, 8($30)
        lda     $30, 16($30)
        ret     $31, ($26), 1
        .end    alpha_crb_call
