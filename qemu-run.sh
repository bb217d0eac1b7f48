#!/usr/bin/env bash
# Builds the kernel (bootstrapping the Alpha toolchain on first use: ~10-15
# minutes once, seconds afterwards) and boots it on QEMU's AlphaServer
# DS10-like "clipper" machine with the serial console on this terminal.
#
#   ./qemu-run.sh                          boot with 256 MiB and the 21143 NIC; the kernel
#                                          stays up: network and the monitor (alpha> prompt;
#                                          help lists the commands, halt stops)
#   ./qemu-run.sh -m 1G -smp 2             any extra arguments go to QEMU
#   ./qemu-run.sh -append "test"           run the in-kernel self-tests
#   ./qemu-run.sh -append "net"            a timed network run (net_time=), then halt
#   ./qemu-run.sh -s -S                    wait for gdb on :1234 (see README)
#
# The kernel also gets a disk on the CMD646 IDE controller: a 64 MiB scratch
# image, target/qemu-run-disk.img, made on first use (sparse; sector 0 says
# what it is), so the monitor's `disk`, `disk read 0` and `disk bench` have
# something to read. Any -drive, -hda or -nodefaults of your own replaces it
# (`./qemu-run.sh -drive file=my.img,if=ide,format=raw`).
#
# The machine is tools/qemu-machine.args (-M clipper -vga none: no VGA, whose
# ROM comes from Debian's seabios). The kernel gets its own NIC, the DEC
# 21143 (the DS10's), never QEMU's default e1000 (its ROM comes from
# ipxe-qemu), on QEMU's user network with two ports forwarded from this host's
# loopback address only:
#
#   -nic user,model=tulip,hostfwd=udp:127.0.0.1:$QEMU_RUN_UDP_PORT-:7,hostfwd=tcp:127.0.0.1:$QEMU_RUN_HTTP_PORT-:80
#
# (defaults 5007 and 8080: UDP echo and HTTP while the kernel is up; try
# `curl http://127.0.0.1:8080/status.json`). Any -nic, -netdev, -net, -device
# or -nodefaults of your own replaces that NIC (`-nic none` for none).
#
# QEMU exits when the kernel halts. To quit by hand: Ctrl-A then X.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ELF=$("$REPO/tools/build-kernel.sh" | tail -n 1)
mapfile -t MACHINE < <(grep -v '^[[:space:]]*\(#\|$\)' "$REPO/tools/qemu-machine.args")
MEM=(-m 256M)
UDP_PORT=${QEMU_RUN_UDP_PORT:-5007}
HTTP_PORT=${QEMU_RUN_HTTP_PORT:-8080}
NIC=(-nic "user,model=tulip,hostfwd=udp:127.0.0.1:$UDP_PORT-:7,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80")
DISK_IMG="$REPO/target/qemu-run-disk.img"
DISK=(-drive "file=$DISK_IMG,if=ide,format=raw")
for a in "$@"; do
    case $a in
        -m) MEM=() ;;
        -nic|-netdev|-net|-device) NIC=() ;;
        -drive|-hda) DISK=() ;;
        -nodefaults) NIC=(); DISK=() ;;
    esac
done
if ((${#DISK[@]})) && [[ ! -e $DISK_IMG ]]; then
    mkdir -p "$(dirname "$DISK_IMG")"
    truncate -s 64M "$DISK_IMG"
    printf 'alpha-unikernel scratch disk, made by qemu-run.sh; the kernel may write to it.\n' |
        dd of="$DISK_IMG" conv=notrunc status=none
fi
echo "[qemu-run] booting $ELF" >&2
if ((${#NIC[@]})); then
    echo "[qemu-run] NIC: DEC 21143 on QEMU's user network; host 127.0.0.1:$UDP_PORT/udp -> :7, 127.0.0.1:$HTTP_PORT/tcp -> :80" >&2
fi
if ((${#DISK[@]})); then
    echo "[qemu-run] disk: $DISK_IMG on the CMD646 (64 MiB scratch image)" >&2
fi
exec qemu-system-alpha "${MACHINE[@]}" -nographic "${MEM[@]}" "${NIC[@]}" "${DISK[@]}" -kernel "$ELF" "$@"
