# Memory-mapped I/O accessors: one load or store of the given width, with
# the barrier Alpha needs for ordering against other I/O (`mb` before a
# store, `mb` after a load, like Linux's writel/readl). They are in
# assembly, behind extern "C" calls, so the compiler can neither fold a
# read into an earlier write to the same register nor move it past a later
# access: with the GCC backend as pinned, `read_volatile` right after
# `write_volatile` to the same address was seen to be folded away (PCI BAR
# sizing read back the value it wrote). Byte and word accesses need BWX (EV56+).
        .set noreorder
        .set noat
        .text

        .macro  IOREAD name, insn
        .globl  \name
        .ent    \name
        .align  4
\name:
        \insn   $0, 0($16)
        mb
        ret     $31, ($26), 1
        .end    \name
        .endm

        .macro  IOWRITE name, insn
        .globl  \name
        .ent    \name
        .align  4
\name:
        mb
        \insn   $17, 0($16)
        mb
        ret     $31, ($26), 1
        .end    \name
        .endm

        IOREAD  alpha_ioread8, ldbu
        IOREAD  alpha_ioread16, ldwu
        IOREAD  alpha_ioread32, ldl
        IOREAD  alpha_ioread64, ldq
        IOWRITE alpha_iowrite8, stb
        IOWRITE alpha_iowrite16, stw
        IOWRITE alpha_iowrite32, stl
        IOWRITE alpha_iowrite64, stq
