# Integer division millicode for GCC on Alpha, which has no divide
# instruction: __divq __remq __divqu __remqu (64-bit) and __divl __reml
# __divlu __remlu (32-bit operands, sign-extended 32-bit result).
#
# Calling convention (GCC's, as in Linux's arch/alpha/lib/divide.S, whose
# code is not used here): dividend in $24 (t10), divisor in $25 (t11), result
# in $27 (t12), return address in $23 (t9): `ret $31,($23),1`. Every other
# register, $24 and $25 included, is preserved; $28 (at) is not used.
#
# Division by zero raises `gentrap` with a0 = -2 (GEN_INTDIV), which the
# kernel's entIF handler reports as an integer division by zero.
#
# Algorithm: restoring shift-subtract over the 128-bit pair (r:q), one
# quotient bit per iteration, 64 iterations. Quotient and remainder of
# signed forms follow C (and Rust): truncate toward zero, the remainder
# takes the sign of the dividend; MIN / -1 wraps to MIN without a trap.
        .set noreorder
        .set noat
        .text

# Unsigned 64-bit: q = q / d, r = q % d. Uses $4 (count), $5, $6.
        .macro  UDIVMOD q, d, r
        mov     $31, \r
        lda     $4, 64($31)
1:      srl     \r, 63, $5              # carry out of the remainder
        addq    \r, \r, \r
        srl     \q, 63, $6              # next dividend bit
        addq    \q, \q, \q
        bis     \r, $6, \r
        cmpule  \d, \r, $6              # d <= r ?
        bis     $5, $6, $5
        beq     $5, 2f
        subq    \r, \d, \r
        bis     \q, 1, \q
2:      subq    $4, 1, $4
        bne     $4, 1b
        .endm

# DIVFN name, signed, bits (32/64), want (q or r)
        .macro  DIVFN name, signed, bits, want
        .globl  \name
        .ent    \name
        .align  4
\name:
        lda     $30, -64($30)
        stq     $1, 0($30)
        stq     $2, 8($30)
        stq     $3, 16($30)
        stq     $4, 24($30)
        stq     $5, 32($30)
        stq     $6, 40($30)
        stq     $7, 48($30)
        stq     $8, 56($30)
        .if \bits == 32
          .if \signed
            addl    $24, 0, $7          # sign-extend the 32-bit operands
            addl    $25, 0, $8
          .else
            zapnot  $24, 15, $7         # zero-extend the 32-bit operands
            zapnot  $25, 15, $8
          .endif
        .else
            mov     $24, $7
            mov     $25, $8
        .endif
        beq     $8, 9f
        .if \signed
            subq    $31, $7, $1         # $1 = |n|
            cmovge  $7, $7, $1
            subq    $31, $8, $2         # $2 = |d|
            cmovge  $8, $8, $2
        .else
            mov     $7, $1
            mov     $8, $2
        .endif
        UDIVMOD $1, $2, $3
        .ifc \want, q
          .if \signed
            xor     $7, $8, $5          # signs differ: negate the quotient
            subq    $31, $1, $6
            cmovlt  $5, $6, $1
          .endif
            mov     $1, $27
        .else
          .if \signed
            subq    $31, $3, $6         # negative dividend: negate the remainder
            cmovlt  $7, $6, $3
          .endif
            mov     $3, $27
        .endif
        .if \bits == 32
            addl    $27, 0, $27         # 32-bit results are sign-extended
        .endif
        ldq     $1, 0($30)
        ldq     $2, 8($30)
        ldq     $3, 16($30)
        ldq     $4, 24($30)
        ldq     $5, 32($30)
        ldq     $6, 40($30)
        ldq     $7, 48($30)
        ldq     $8, 56($30)
        lda     $30, 64($30)
        ret     $31, ($23), 1
9:      lda     $16, -2($31)            # GEN_INTDIV
        mov     $24, $17                # the dividend, for the report
        call_pal 0xaa                   # gentrap
        call_pal 0x00                   # halt: never resume with no result
        .end    \name
        .endm

        DIVFN   __divq,  1, 64, q
        DIVFN   __remq,  1, 64, r
        DIVFN   __divqu, 0, 64, q
        DIVFN   __remqu, 0, 64, r
        DIVFN   __divl,  1, 32, q
        DIVFN   __reml,  1, 32, r
        DIVFN   __divlu, 0, 32, q
        DIVFN   __remlu, 0, 32, r
