#!/usr/bin/env bash
# Compares the in-kernel benchmark (`-append bench`) of two kernel ELFs in
# one run: boots them alternately RUNS times each under the same QEMU
# (clipper, 256 MiB, no VGA, no NIC), takes each row's median alloc and free
# cycles per kernel, and prints them with the ratio B/A (above 1: B is
# slower). QEMU's cycle counter follows the host's clock, so only ratios
# from one run on one machine mean anything.
#
#   tools/bench-compare.sh [--runs N] A.elf B.elf
set -euo pipefail
RUNS=3
[ "${1:-}" = "--runs" ] && { RUNS=$2; shift 2; }
[ $# -eq 2 ] || { echo "usage: $0 [--runs N] A.elf B.elf" >&2; exit 2; }
A=$1 B=$2
# The machine every tool starts (-M clipper -vga none), see tools/qemu-machine.args.
mapfile -t MACHINE < <(grep -v '^[[:space:]]*\(#\|$\)' "$(dirname "${BASH_SOURCE[0]}")/qemu-machine.args")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for i in $(seq "$RUNS"); do
    for k in A B; do
        elf=$A; [ $k = B ] && elf=$B
        timeout 120 qemu-system-alpha "${MACHINE[@]}" -nographic -nic none -monitor none -no-reboot \
            -m 256M -kernel "$elf" -append bench </dev/null >"$OUT/$k.$i" 2>&1 || true
        grep -q "bench: done" "$OUT/$k.$i" || { echo "bench-compare: kernel $k run $i did not finish (see below)" >&2; tail -5 "$OUT/$k.$i" >&2; exit 1; }
    done
done
# Rows: "bench: <label> <batch> <alloc> <free>"; label = everything between.
for k in A B; do
    cat "$OUT/$k".* | tr -d '\r' | sed -n 's/.*INFO  bench: //p' | sed 's/  (.*//' | awk -v k=$k '
        NF >= 4 && $(NF) ~ /^[0-9]+$/ && $(NF-1) ~ /^[0-9]+$/ && $(NF-2) ~ /^[0-9]+$/ {
            label = $1; for (i = 2; i <= NF - 3; i++) label = label " " $i
            print k "\t" label "\t" $(NF-1) "\t" $(NF)
        }'
done | python3 -c '
import sys, statistics, collections
rows = collections.OrderedDict()
for line in sys.stdin:
    k, label, a, f = line.rstrip("\n").split("\t")
    rows.setdefault(label, {"A": ([], []), "B": ([], [])})[k][0].append(int(a))
    rows[label][k][1].append(int(f))
print("%-34s %8s %8s %5s  %8s %8s %5s" % ("operation", "alloc A", "alloc B", "B/A", "free A", "free B", "B/A"))
for label, d in rows.items():
    if not d["A"][0] or not d["B"][0]:
        print(f"{label:34} missing in one kernel"); continue
    aa, ab = statistics.median(d["A"][0]), statistics.median(d["B"][0])
    fa, fb = statistics.median(d["A"][1]), statistics.median(d["B"][1])
    print(f"{label:34} {aa:8.0f} {ab:8.0f} {ab/aa:5.2f}  {fa:8.0f} {fb:8.0f} {fb/fa:5.2f}")
'
