#!/usr/bin/env bash
# Builds the kernel (bootstrapping the Alpha toolchain on first use: ~10-15
# minutes once, seconds afterwards) and boots it on QEMU's AlphaServer
# DS10-like "clipper" machine with the serial console on this terminal.
#
#   ./qemu-run.sh                          boot with 256 MiB
#   ./qemu-run.sh -m 1G -smp 2             any extra arguments go to QEMU
#   ./qemu-run.sh -append "test"           run the in-kernel self-tests
#   ./qemu-run.sh -s -S                    wait for gdb on :1234 (see README)
#
# QEMU exits when the kernel halts. To quit by hand: Ctrl-A then X.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ELF=$("$REPO/tools/build-kernel.sh" | tail -n 1)
MEM=(-m 256M)
for a in "$@"; do [ "$a" = "-m" ] && MEM=(); done
echo "[qemu-run] booting $ELF" >&2
exec qemu-system-alpha -M clipper -nographic "${MEM[@]}" -kernel "$ELF" "$@"
