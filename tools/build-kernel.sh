#!/usr/bin/env bash
# Builds the kernel ELF for Alpha (bootstrapping the toolchain on first use)
# and prints its path on the last line of stdout.
#   tools/build-kernel.sh [--debug]
# It also builds the SRM boot stub (tools/build-srm-stub.sh) next to it.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=release
[ "${1:-}" = "--debug" ] && PROFILE=dev

"$REPO/tools/bootstrap.sh" >&2
CACHE=${ALPHA_UNIKERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alpha-unikernel}
# shellcheck source=/dev/null
. "$CACHE/env.sh"
export PATH=$HOME/.cargo/bin:$PATH

cd "$REPO"
echo "[build] compiling the kernel for Alpha ($PROFILE)" >&2
# -fconserve-stack (to GCC, through -Cllvm-args): GCC then does not inline
# a function when that would grow the caller's frame much. Without it GCC
# may inline mm::boot::init (an 18 KiB frame: every local has its own slot)
# into kernel_main, whose frame lives for the whole run, and the network
# run's stack peak is then 78 KiB of the 128 KiB boot stack instead of 61.
# (#[inline(never)] does not help: this rustc_codegen_gcc build does not
# pass it on to GCC.)
RUSTFLAGS="-Zcodegen-backend=$ALPHA_CG_GCC -Cllvm-args=-mcpu=ev6 -Cllvm-args=-fconserve-stack" \
cargo +"$ALPHA_TOOLCHAIN_CHANNEL" build -p kernel --profile "$PROFILE" \
    --target "$REPO/targets/alpha-unknown-none.json" -Zjson-target-spec \
    -Zbuild-std=core,alloc,compiler_builtins -Zbuild-std-features=compiler-builtins-mem >&2
dir=release; [ "$PROFILE" = dev ] && dir=debug
ELF=$REPO/target/alpha-unknown-none/$dir/alpha-kernel
alpha-linux-gnu-objdump -f "$ELF" | grep -q "elf64-alpha" || { echo "[build] $ELF is not an Alpha ELF" >&2; exit 1; }
# The SRM boot stub, next to the kernel (the runner's srm-stub-* cases use it).
"$REPO/tools/build-srm-stub.sh" "$(dirname "$ELF")" >/dev/null
echo "$ELF"
