#!/usr/bin/env bash
# Runs the whole test suite:
#   1. host tests of every portable crate and tool (`cargo test`), property
#      tests with PROPTEST_CASES cases (default 10000);
#   2. the kernel built for Alpha, booted in QEMU once per integration case
#      by tools/runner, which checks what the kernel printed and did;
#   3. tools/net-test: the kernel with the 21143 under QEMU user networking
#      (hostfwd to 127.0.0.1 only), 10,000 UDP echoes, HTTP, a bounded soak.
# Ends with one line: `all: N passed, N failed`. Exit status 0 only if all passed.
# The first run bootstraps the Alpha toolchain (~10-15 min, cached).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH=$HOME/.cargo/bin:$PATH
export PROPTEST_CASES=${PROPTEST_CASES:-10000}
LOGDIR=$REPO/target/test-logs
mkdir -p "$LOGDIR"

ELF=$(tools/build-kernel.sh | tail -n 1) || { echo "kernel build failed"; echo "all: 0 passed, 1 failed"; exit 1; }

# summary RC LOG: the "N passed, N failed" closing line of LOG as "N N";
# a non-zero exit status with no failure counted (a crash) counts as one.
summary() {
    local line p f
    line=$(tail -n 1 "$2")
    p=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
    f=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
    p=${p:-0}; f=${f:-0}
    if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    echo "$p $f"
}

echo "== host tests (cargo test, PROPTEST_CASES=$PROPTEST_CASES)"
cargo test --workspace --exclude kernel 2>&1 | tee "$LOGDIR/cargo-test.log"
cargo_rc=${PIPESTATUS[0]}
read -r host_passed host_failed < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($i ~ /^passed;/) p += $(i-1); if ($i ~ /^failed;/) f += $(i-1) } }
    END { print p+0, f+0 }' "$LOGDIR/cargo-test.log")
host_passed=${host_passed:-0}; host_failed=${host_failed:-0}
if [ "$cargo_rc" -ne 0 ] && [ "$host_failed" -eq 0 ]; then host_failed=1; fi   # build failure

echo "== QEMU integration tests ($ELF)"
cargo run -q -p qemu-runner -- --kernel "$ELF" --logs "$REPO/target/qemu-logs" 2>&1 | tee "$LOGDIR/qemu.log"
read -r q_passed q_failed < <(summary "${PIPESTATUS[0]}" "$LOGDIR/qemu.log")

echo "== network tests from the host (tools/net-test: UDP echo, HTTP, soak; loopback only)"
cargo run -q --release -p net-test -- --kernel "$ELF" 2>&1 | tee "$LOGDIR/net.log"
read -r n_passed n_failed < <(summary "${PIPESTATUS[0]}" "$LOGDIR/net.log")

echo "host: $host_passed passed, $host_failed failed; qemu: $q_passed passed, $q_failed failed; net: $n_passed passed, $n_failed failed"
echo "all: $((host_passed + q_passed + n_passed)) passed, $((host_failed + q_failed + n_failed)) failed"
[ $((host_failed + q_failed + n_failed)) -eq 0 ]
