#!/usr/bin/env bash
# Runs the whole test suite:
#   1. host tests of every portable crate and tool (`cargo test`), property
#      tests with PROPTEST_CASES cases (default 10000);
#   2. the kernel built for Alpha, booted in QEMU once per integration case
#      by tools/runner, which checks what the kernel printed and did;
#   3. tools/net-test: the kernel with the 21143 under QEMU user networking
#      (hostfwd to 127.0.0.1 only), 10,000 UDP echoes, HTTP, a bounded soak;
#   4. tools/monitor-test: the console monitor driven through QEMU's serial
#      console (without a NIC and with the 21143): help, meminfo, buddyinfo,
#      alloc/free, fragment then dma alloc 4M from CMA, map, /memory in
#      chromium before and after the monitor allocates (with the 21143),
#      1,000 random lines, reconcile after each check, halt;
#   5. tools/check-layers.sh: no chipset address or register outside
#      kernel/src/platform, no dependency cycle between kernel modules.
# Each part ends with `N passed, N failed, N skipped` (host: cargo test's
# "ignored" tests count as skipped; the runner, net-test and monitor-test print their own
# counts); the whole ends with one line: `all: N passed, N failed, N skipped`.
# Exit status 0 only if nothing failed.
# The first run bootstraps the Alpha toolchain (~10-15 min, cached).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH=$HOME/.cargo/bin:$PATH
export PROPTEST_CASES=${PROPTEST_CASES:-10000}
LOGDIR=$REPO/target/test-logs
mkdir -p "$LOGDIR"

ELF=$(tools/build-kernel.sh | tail -n 1) || { echo "kernel build failed"; echo "all: 0 passed, 1 failed, 0 skipped"; exit 1; }

# summary RC LOG: the "N passed, N failed, N skipped" closing line of LOG as
# "N N N"; a non-zero exit status with no failure counted (a crash) counts
# as one.
summary() {
    local line p f s
    line=$(tail -n 1 "$2")
    read -r p f s < <(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/p')
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    echo "$p $f $s"
}

echo "== host tests (cargo test, PROPTEST_CASES=$PROPTEST_CASES)"
cargo test --no-fail-fast --workspace --exclude kernel 2>&1 | tee "$LOGDIR/cargo-test.log"
cargo_rc=${PIPESTATUS[0]}
read -r host_passed host_failed host_skipped < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) {
        if ($i ~ /^passed;/) p += $(i-1); if ($i ~ /^failed;/) f += $(i-1); if ($i ~ /^ignored;/) s += $(i-1) } }
    END { print p+0, f+0, s+0 }' "$LOGDIR/cargo-test.log")
host_passed=${host_passed:-0}; host_failed=${host_failed:-0}; host_skipped=${host_skipped:-0}
if [ "$cargo_rc" -ne 0 ] && [ "$host_failed" -eq 0 ]; then host_failed=1; fi   # build failure

echo "== QEMU integration tests ($ELF)"
cargo run -q -p qemu-runner -- --kernel "$ELF" --logs "$REPO/target/qemu-logs" 2>&1 | tee "$LOGDIR/qemu.log"
read -r q_passed q_failed q_skipped < <(summary "${PIPESTATUS[0]}" "$LOGDIR/qemu.log")

echo "== network tests from the host (tools/net-test: UDP echo, HTTP, soak; loopback only)"
cargo run -q --release -p net-test -- --kernel "$ELF" 2>&1 | tee "$LOGDIR/net.log"
read -r n_passed n_failed n_skipped < <(summary "${PIPESTATUS[0]}" "$LOGDIR/net.log")

echo "== console monitor from the host (tools/monitor-test: no NIC and the 21143; help, meminfo, alloc/free, fragment/CMA, map, /memory in chromium, random lines, halt)"
cargo run -q --release -p monitor-test -- --kernel "$ELF" --logs "$REPO/target/monitor-logs" 2>&1 | tee "$LOGDIR/monitor.log"
read -r m_passed m_failed m_skipped < <(summary "${PIPESTATUS[0]}" "$LOGDIR/monitor.log")

echo "== kernel layering (tools/check-layers.sh)"
tools/check-layers.sh 2>&1 | tee "$LOGDIR/layers.log"
read -r l_passed l_failed l_skipped < <(summary "${PIPESTATUS[0]}" "$LOGDIR/layers.log")

echo "host: $host_passed passed, $host_failed failed, $host_skipped skipped;" \
    "qemu: $q_passed passed, $q_failed failed, $q_skipped skipped;" \
    "net: $n_passed passed, $n_failed failed, $n_skipped skipped;" \
    "monitor: $m_passed passed, $m_failed failed, $m_skipped skipped;" \
    "layers: $l_passed passed, $l_failed failed, $l_skipped skipped"
echo "all: $((host_passed + q_passed + n_passed + m_passed + l_passed)) passed," \
    "$((host_failed + q_failed + n_failed + m_failed + l_failed)) failed," \
    "$((host_skipped + q_skipped + n_skipped + m_skipped + l_skipped)) skipped"
[ $((host_failed + q_failed + n_failed + m_failed + l_failed)) -eq 0 ]
