# Kernel entry: the first instructions run after QEMU's PALcode (or the SRM
# boot stub) jumps to the ELF entry point in KSEG, in kernel mode, OSF/1
# PALcode, IPL 7, with a stack inside PALcode memory.
#
# It sets up $gp, moves to the kernel's own boot stack, clears .bss and calls
# the Rust entry point `kernel_main`, which does not return.
        .set noreorder
        .set noat
        .section .text.entry, "ax", @progbits
        .globl  _start
        .ent    _start
_start:
        br      $27, 1f                 # $27 = address of 1f
1:      ldah    $29, 0($27)     !gpdisp!1
        lda     $29, 0($29)     !gpdisp!1
        ldq     $30, __boot_stack_top($29)      !literal
        ldq     $1, __bss_start($29)    !literal
        ldq     $2, __bss_end($29)      !literal
2:      cmpult  $1, $2, $3              # while (p < end)
        beq     $3, 3f
        stq     $31, 0($1)              #     *p++ = 0
        addq    $1, 8, $1
        br      $31, 2b
3:      mov     $31, $15                # frame pointer: none
        mov     $31, $26                # no caller: backtraces stop here
        ldq     $27, kernel_main($29)   !literal
        jsr     $26, ($27), kernel_main
        call_pal 0x00                   # halt, should kernel_main return
        br      $31, 3b
        .end    _start
