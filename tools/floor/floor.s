# The floor: the least a kernel can do under `qemu-system-alpha -M clipper`.
# It prints one line on COM1 and halts, nothing else (no stack, no .bss, no
# traps). tools/boot-time.sh times it against the real kernel: whatever the
# floor takes is QEMU, the PALcode and the console, not the kernel.
#
# COM1 is a 16550 at ISA port 0x3f8 in the Tsunami/Typhoon Pchip 0 PCI I/O
# space (physical 0x801fc000000, Linux TSUNAMI_IO(0)), reached through KSEG:
# 0xfffffc0000000000 + 0x801fc0003f8. Byte accesses (ldbu/stb) need BWX:
# assemble with -mev6.
        .set noreorder
        .set noat
        .section .text.entry, "ax", @progbits
        .globl  _start
        .ent    _start
_start:
        br      $2, 0f                  # $2 = address of 0f (PC-relative base)
0:      lda     $1, com1 - 0b($2)       # (one lda; `ldq` with a symbol expands to a macro)
        ldq     $1, 0($1)               # $1 = COM1 data register (THR), KSEG
        lda     $3, msg - 0b($2)        # $3 = the message
1:      ldbu    $4, 0($3)               # next byte; 0 ends the message
        beq     $4, 3f
2:      ldbu    $5, 5($1)               # LSR
        mb
        and     $5, 0x20, $5            # bit 5: transmitter holding register empty
        beq     $5, 2b
        mb
        stb     $4, 0($1)               # THR
        mb
        addq    $3, 1, $3
        br      $31, 1b
3:      call_pal 0x00                   # halt: QEMU exits
        br      $31, 3b
        .align  3
com1:   .quad   0xfffffd01fc0003f8      # KSEG 0xfffffc0000000000 + physical 0x801fc0003f8
msg:    .asciz  "floor: one line from a minimal Alpha kernel; halting\r\n"
        .end    _start
