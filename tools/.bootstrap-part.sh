#!/usr/bin/env bash
# Bootstrap the Rust-to-Alpha toolchain, idempotently.
#
#   tools/bootstrap.sh            build what is missing, then check a probe
#   tools/bootstrap.sh --print-env   (after a bootstrap) print the env file path
#
# Steps (each logs to $CACHE/logs/<step>.log; a failure names the step and log):
#   1. Debian packages (binutils-alpha-linux-gnu, qemu-system-misc, gcc-12-source, ...)
#   2. the pinned nightly from rust-toolchain.toml, with rust-src and rustc-dev
#   3. libgccjit.so for alpha-linux-gnu from Debian's GCC 12 source, with
#      tools/libgccjit-alpha.patch applied       (~8-15 minutes on 2 cores)
#   4. rustc_codegen_gcc from the nightly's rustc-dev sources (~1 minute)
#   5. libgccjit.so installed where the backend looks for it in the sysroot
#   6. a tiny no_std probe compiled for Alpha and checked with objdump
#   7. QEMU: the floor kernel (tools/floor/floor.s) booted as the test runner
#      starts QEMU, every time (nothing about it is cached): a firmware file
#      QEMU needs and this machine lacks fails here, naming file and package
#
# Everything lands in a cache outside the repository:
#   ${ALPHA_UNIKERNEL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/alpha-unikernel}
# keyed by the GCC source version, the patch's hash and the rustc commit, so a
# changed patch rebuilds libgccjit and an unchanged one costs seconds.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ALPHA_UNIKERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alpha-unikernel}
LOGS=$CACHE/logs
mkdir -p "$LOGS"
START=$(date +%s)
JOBS=$(nproc 2>/dev/null || echo 2)

say() { printf '[bootstrap %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# run_step NAME CMD...: run CMD with output to $LOGS/NAME.log, printing the
# elapsed time every 30 s; on failure, name the step and the log and show its tail.
run_step() {
    local name=$1; shift
    local log=$LOGS/$name.log
    local t0; t0=$(date +%s)
    say "step '$name' started (log: $log)"
    ( "$@" ) >"$log" 2>&1 &
    local pid=$!
    local next=$(( t0 + 30 ))
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        if kill -0 "$pid" 2>/dev/null && (( $(date +%s) >= next )); then
            next=$(( next + 30 ))
            say "  ... '$name' still running, $(( $(date +%s) - t0 ))s elapsed; last log line: $(tail -n 1 "$log" | cut -c1-100)"
        fi
    done
    if ! wait "$pid"; then
        say "FAILED at step '$name' after $(( $(date +%s) - t0 ))s; full log: $log"
        echo "----- last 30 lines of $log -----" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    say "step '$name' done in $(( $(date +%s) - t0 ))s"
}

# ---------------------------------------------------------------- 1. packages
# chromium: the headless browser of net-test's /memory check.
PKGS=(binutils-alpha-linux-gnu qemu-system-misc gcc-12-source libgmp-dev libmpfr-dev
      libmpc-dev flex bison make xz-utils gdb-multiarch python3 chromium)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    install_pkgs() {
        $SUDO apt-get update
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
    }
    say "installing Debian packages: ${missing[*]}"
    run_step apt install_pkgs
else
    say "Debian packages present"
fi

