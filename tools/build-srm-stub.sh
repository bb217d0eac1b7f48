#!/usr/bin/env bash
# Assembles and links the SRM boot stub (boot/srm-stub.s, linker/srm-stub.ld)
# with binutils-alpha-linux-gnu and prints the ELF's path on the last line.
#   tools/build-srm-stub.sh [OUTPUT_DIR]      (default: target/alpha-unknown-none/release)
# `srm-image srm-boot --stub ELF --kernel KERNEL` then attaches the kernel.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/target/alpha-unknown-none/release}
mkdir -p "$OUT"
alpha-linux-gnu-as -mev6 -o "$OUT/srm-stub.o" "$REPO/boot/srm-stub.s"
alpha-linux-gnu-ld -static -N --no-warn-rwx-segments -T "$REPO/linker/srm-stub.ld" -o "$OUT/srm-stub.elf" "$OUT/srm-stub.o"
alpha-linux-gnu-objdump -f "$OUT/srm-stub.elf" | grep -q "start address 0x0000000020000000" \
    || { echo "[build] $OUT/srm-stub.elf does not start at 0x20000000" >&2; exit 1; }
echo "[build] SRM boot stub: $OUT/srm-stub.elf ($(alpha-linux-gnu-size -A "$OUT/srm-stub.elf" | awk '$1==".text"{print $2}') bytes)" >&2
echo "$OUT/srm-stub.elf"
