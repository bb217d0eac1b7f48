#!/usr/bin/env bash
# Boot time of the kernel against the floor.
#
# Boots the kernel to its line "ready; halting" and a minimal assembly kernel
# (tools/floor/floor.s: prints one line on COM1 and halts) under
#   qemu-system-alpha -M clipper -vga none -nographic -monitor none -m 256M -nic none -kernel ...
# (the machine from tools/qemu-machine.args; `-nic none` unless the extra QEMU
# arguments choose a NIC: QEMU's default e1000 needs a ROM from ipxe-qemu)
# alternating kernel and floor, RUNS times each, each run bounded by a
# timeout; prints every run, both medians and their ratio. Times are wall
# clock from starting QEMU to the line appearing on the console (and, for
# information, to QEMU exiting after the halt). The floor is what QEMU, its
# PALcode and the console cost by themselves; the difference is the kernel.
#
#   tools/boot-time.sh [--runs N] [--timeout SECONDS] [--kernel ELF] [-- extra QEMU args]
#
# One untimed boot of each comes first (page cache, QEMU's own start-up).
# Without --kernel, the kernel is built with tools/build-kernel.sh (which
# prints the ELF path on its last stdout line). The floor is assembled and
# linked into target/boot-time/ with alpha-linux-gnu-as/-ld. The numbers also
# go to target/bench-results/boot-time.csv. Exit status 1 if any run failed
# (no line before the timeout).
set -uo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=10
TIMEOUT=30
KERNEL=
QEMU_EXTRA=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --kernel) KERNEL=$2; shift 2 ;;
        --) shift; QEMU_EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "boot-time: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
for tool in qemu-system-alpha alpha-linux-gnu-as alpha-linux-gnu-ld timeout; do
    command -v "$tool" >/dev/null || { echo "boot-time: $tool not found (run tools/bootstrap.sh)" >&2; exit 2; }
done

if [ -z "$KERNEL" ]; then
    KERNEL=$("$REPO/tools/build-kernel.sh" | tail -n 1) || { echo "boot-time: kernel build failed" >&2; exit 2; }
fi
[ -f "$KERNEL" ] || { echo "boot-time: no kernel at $KERNEL" >&2; exit 2; }

mapfile -t MACHINE < <(grep -v '^[[:space:]]*\(#\|$\)' "$REPO/tools/qemu-machine.args")
NIC=(-nic none)
for a in "${QEMU_EXTRA[@]}"; do
    case $a in -nic|-netdev|-net|-device|-nodefaults) NIC=() ;; esac
done

OUT=$REPO/target/boot-time
mkdir -p "$OUT" "$REPO/target/bench-results"
FLOOR=$OUT/floor.elf
alpha-linux-gnu-as -mev6 -o "$OUT/floor.o" "$REPO/tools/floor/floor.s" &&
    alpha-linux-gnu-ld -T "$REPO/tools/floor/floor.ld" -o "$FLOOR" "$OUT/floor.o" ||
    { echo "boot-time: could not assemble/link the floor kernel" >&2; exit 2; }

KERNEL_LINE="ready; halting"
FLOOR_LINE="floor: one line from a minimal Alpha kernel"

# $EPOCHREALTIME as integer microseconds.
now_us() { local t=$EPOCHREALTIME; echo $(( ${t/./} )); }

# run_once ELF PATTERN LOG: boots ELF, copies the console to LOG, and prints
# "<us to PATTERN> <us to QEMU exit>"; returns 1 if PATTERN never appeared.
run_once() {
    local elf=$1 pattern=$2 log=$3 line t0 t_line= t_exit pid fifo=$OUT/console.fifo
    rm -f "$fifo" && mkfifo "$fifo" || return 1
    : >"$log"
    t0=$(now_us)
    timeout --kill-after=5 "$TIMEOUT" qemu-system-alpha "${MACHINE[@]}" -nographic -monitor none -m 256M "${NIC[@]}" \
        -kernel "$elf" "${QEMU_EXTRA[@]}" </dev/null >"$fifo" 2>&1 &
    pid=$!
    while IFS= read -r line; do
        [ -z "$t_line" ] && [[ $line == *"$pattern"* ]] && t_line=$(now_us)
        printf '%s\n' "$line" >>"$log"
    done <"$fifo"
    t_exit=$(now_us)
    wait "$pid" 2>/dev/null
    rm -f "$fifo"
    [ -n "$t_line" ] || return 1
    echo "$((t_line - t0)) $((t_exit - t0))"
}

# median of integers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

echo "boot-time: $RUNS runs each, alternating, timeout ${TIMEOUT}s per run"
echo "  kernel: $KERNEL (until \"$KERNEL_LINE\")"
echo "  floor:  $FLOOR (until \"$FLOOR_LINE\")"
echo "  qemu-system-alpha ${MACHINE[*]} -nographic -monitor none -m 256M ${NIC[*]} -kernel ELF ${QEMU_EXTRA[*]}"
printf '%4s  %16s %16s   %16s %16s\n' run "kernel line ms" "kernel exit ms" "floor line ms" "floor exit ms"
K_LINE=() K_EXIT=() F_LINE=() F_EXIT=() failed=0
CSV=$REPO/target/bench-results/boot-time.csv
echo "run,which,us_to_line,us_to_exit" >"$CSV"
run_once "$KERNEL" "$KERNEL_LINE" "$OUT/kernel-warmup.log" >/dev/null || echo "  (warm-up boot of the kernel did not reach its line)"
run_once "$FLOOR" "$FLOOR_LINE" "$OUT/floor-warmup.log" >/dev/null || echo "  (warm-up boot of the floor did not reach its line)"
for i in $(seq 1 "$RUNS"); do
    if r=$(run_once "$KERNEL" "$KERNEL_LINE" "$OUT/kernel-$i.log"); then
        read -r kl ke <<<"$r"; K_LINE+=("$kl"); K_EXIT+=("$ke"); echo "$i,kernel,$kl,$ke" >>"$CSV"
        kcol=$(printf '%16s %16s' "$(ms "$kl")" "$(ms "$ke")")
    else
        failed=$((failed + 1)); kcol=$(printf '%33s' "FAILED (see $OUT/kernel-$i.log)")
    fi
    if r=$(run_once "$FLOOR" "$FLOOR_LINE" "$OUT/floor-$i.log"); then
        read -r fl fe <<<"$r"; F_LINE+=("$fl"); F_EXIT+=("$fe"); echo "$i,floor,$fl,$fe" >>"$CSV"
        fcol=$(printf '%16s %16s' "$(ms "$fl")" "$(ms "$fe")")
    else
        failed=$((failed + 1)); fcol=$(printf '%33s' "FAILED (see $OUT/floor-$i.log)")
    fi
    printf '%4s  %s   %s\n' "$i" "$kcol" "$fcol"
done

if [ ${#K_LINE[@]} -gt 0 ] && [ ${#F_LINE[@]} -gt 0 ]; then
    mk=$(printf '%s\n' "${K_LINE[@]}" | median); mke=$(printf '%s\n' "${K_EXIT[@]}" | median)
    mf=$(printf '%s\n' "${F_LINE[@]}" | median); mfe=$(printf '%s\n' "${F_EXIT[@]}" | median)
    echo "kernel: median $(ms "$mk") ms to \"$KERNEL_LINE\" ($(ms "$mke") ms to QEMU exit), ${#K_LINE[@]} runs"
    echo "floor:  median $(ms "$mf") ms to its line ($(ms "$mfe") ms to QEMU exit), ${#F_LINE[@]} runs"
    echo "ratio kernel/floor: $(awk -v a="$mk" -v b="$mf" 'BEGIN { printf "%.2f", a / b }') to the line," \
        "$(awk -v a="$mke" -v b="$mfe" 'BEGIN { printf "%.2f", a / b }') to exit;" \
        "the kernel's own share: $(ms $((mk - mf))) ms"
fi
echo "wrote $CSV"
[ "$failed" -eq 0 ] || { echo "boot-time: $failed run(s) failed"; exit 1; }
