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

# ---------------------------------------------------------------- 2. nightly
CHANNEL=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$REPO/rust-toolchain.toml")
[ -n "$CHANNEL" ] || { say "no channel in rust-toolchain.toml"; exit 1; }
export PATH=$HOME/.cargo/bin:$PATH
command -v rustup >/dev/null || { say "rustup not found: install it from rustup's distribution server first"; exit 1; }
have_toolchain() {
    rustup run "$CHANNEL" rustc --version >/dev/null 2>&1 &&
    [ -d "$(rustup run "$CHANNEL" rustc --print sysroot)/lib/rustlib/rustc-src/rust/compiler/rustc_codegen_gcc" ] &&
    [ -d "$(rustup run "$CHANNEL" rustc --print sysroot)/lib/rustlib/src/rust/library/core" ]
}
if ! have_toolchain; then
    # --no-self-update: installing the project's toolchain is no reason to
    # update the user's rustup (and a rustup that lives outside CARGO_HOME,
    # e.g. a system-wide one, cannot update itself: the install would fail
    # after the toolchain is in place).
    run_step rustup rustup toolchain install "$CHANNEL" --no-self-update --profile minimal -c rust-src -c rustc-dev
else
    say "toolchain $CHANNEL present"
fi
SYSROOT=$(rustup run "$CHANNEL" rustc --print sysroot)
RUSTC_COMMIT=$(rustup run "$CHANNEL" rustc -vV | sed -n 's/^commit-hash: //p' | cut -c1-12)
HOST=$(rustup run "$CHANNEL" rustc -vV | sed -n 's/^host: //p')

# ---------------------------------------------------------------- 3. libgccjit
GCC_TARBALL=/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz
GCC_DEB=$(dpkg-query -W -f='${Version}' gcc-12-source)
PATCH=$REPO/tools/libgccjit-alpha.patch
CONFIGURE_FLAGS=(--target=alpha-linux-gnu --enable-host-shared --enable-languages=jit
    --disable-bootstrap --disable-multilib --enable-checking=release --without-headers
    --disable-nls --disable-shared --disable-threads --disable-libsanitizer
    --disable-libquadmath --disable-libssp --disable-libgomp --disable-libatomic
    --with-as=/usr/bin/alpha-linux-gnu-as --with-ld=/usr/bin/alpha-linux-gnu-ld)
JIT_KEY=$( { echo "$GCC_DEB"; cat "$PATCH"; echo "${CONFIGURE_FLAGS[*]}"; } | sha256sum | cut -c1-16)
JIT_PREFIX=$CACHE/libgccjit-$JIT_KEY
JIT_SO=$JIT_PREFIX/lib/libgccjit.so
if [ ! -f "$JIT_PREFIX/.done" ]; then
    say "building libgccjit for alpha-linux-gnu (gcc-12-source $GCC_DEB, key $JIT_KEY); this is the long step (~8-15 min)"
    WORK=$CACHE/build-libgccjit-$JIT_KEY
    rm -rf "$WORK" "$JIT_PREFIX"
    mkdir -p "$WORK"
    run_step gcc-extract tar -C "$WORK" -xf "$GCC_TARBALL"
    run_step gcc-patch patch -d "$WORK/gcc-12.2.0" -p1 -i "$PATCH"
    gcc_configure() {
        mkdir -p "$WORK/build" && cd "$WORK/build"
        "$WORK/gcc-12.2.0/configure" "${CONFIGURE_FLAGS[@]}" --prefix="$JIT_PREFIX"
    }
    run_step gcc-configure gcc_configure
    gcc_make() {
        cd "$WORK/build"
        # Debian's dfsg tarball has no GCC manual; the tm.texi check would fail.
        mkdir -p gcc && touch gcc/s-tm-texi
        make -j"$JOBS" all-gcc
    }
    run_step gcc-make gcc_make
    gcc_install() {
        # The stamp again: the build made its prerequisites newer than it.
        touch "$WORK/build/gcc/s-tm-texi"
        make -C "$WORK/build" install-gcc
    }
    run_step gcc-install gcc_install
    [ -f "$JIT_SO" ] || { say "libgccjit.so missing after install (see $LOGS/gcc-install.log)"; exit 1; }
    touch "$JIT_PREFIX/.done"
    rm -rf "$WORK"
else
    say "libgccjit cached: $JIT_SO"
fi

# ---------------------------------------------------------------- 4. rustc_codegen_gcc
CG_KEY=$RUSTC_COMMIT
CG_DIR=$CACHE/cg_gcc-$CG_KEY
CG_SO=$CG_DIR/librustc_codegen_gcc.so
if [ ! -f "$CG_DIR/.done" ]; then
    build_cg() {
        rm -rf "$CG_DIR/src"
        mkdir -p "$CG_DIR"
        cp -r "$SYSROOT/lib/rustlib/rustc-src/rust/compiler/rustc_codegen_gcc" "$CG_DIR/src"
        rm -f "$CG_DIR/src/rust-toolchain" "$CG_DIR/src/rust-toolchain.toml"
        cd "$CG_DIR/src"
        # librustc_driver links libLLVM, which lives in the sysroot's lib/.
        CARGO_TARGET_DIR=$CG_DIR/target RUSTFLAGS="-L native=$SYSROOT/lib" \
            cargo +"$CHANNEL" build --release --no-default-features
        cp "$CG_DIR/target/release/librustc_codegen_gcc.so" "$CG_SO"
    }
    run_step cg_gcc build_cg
    touch "$CG_DIR/.done"
else
    say "rustc_codegen_gcc cached: $CG_SO"
fi

# ---------------------------------------------------------------- 5. sysroot
JIT_DEST=$SYSROOT/lib/rustlib/$HOST/codegen-backends/lib/alpha-unknown-none/libgccjit.so
if ! cmp -s "$JIT_SO" "$JIT_DEST" 2>/dev/null; then
    mkdir -p "$(dirname "$JIT_DEST")"
    cp "$JIT_SO" "$JIT_DEST"
    say "installed libgccjit.so into the sysroot: $JIT_DEST"
fi

# The env file the build scripts source.
ENV_FILE=$CACHE/env.sh
cat >"$ENV_FILE.tmp" <<EOF
# written by tools/bootstrap.sh
export ALPHA_TOOLCHAIN_CHANNEL=$CHANNEL
export ALPHA_CG_GCC=$CG_SO
export ALPHA_LIBGCCJIT=$JIT_SO
export ALPHA_CACHE=$CACHE
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"

# ---------------------------------------------------------------- 6. probe
PROBE_STAMP=$CACHE/probe-$JIT_KEY-$CG_KEY-$(sha256sum "$REPO/targets/alpha-unknown-none.json" "$REPO"/tools/probe/src/*.rs | sha256sum | cut -c1-12)
if [ ! -f "$PROBE_STAMP" ]; then
    probe() {
        cd "$REPO/tools/probe"
        CARGO_TARGET_DIR=$CACHE/probe-target RUSTFLAGS="-Zcodegen-backend=$CG_SO -Cllvm-args=-mcpu=ev6" \
            cargo +"$CHANNEL" build --release --target "$REPO/targets/alpha-unknown-none.json" \
            -Zjson-target-spec -Zbuild-std=core,compiler_builtins -Zbuild-std-features=compiler-builtins-mem
        local lib=$CACHE/probe-target/alpha-unknown-none/release/libalpha_probe.a
        # Whole outputs first: `tee | grep -q` under pipefail fails at
        # random when grep stops reading before tee is done (SIGPIPE).
        local head dis
        head=$(alpha-linux-gnu-objdump -f "$lib")
        dis=$(alpha-linux-gnu-objdump -d "$lib" | grep -A40 "<probe_mix>:")
        printf '%s\n%s\n' "$head" "$dis" >&2
        grep -q "file format elf64-alpha" <<<"$head"
        grep -qE "\s(mulq|addq|s8addq|sll|srl|zap|xor)\s" <<<"$dis"
    }
    run_step probe probe
    touch "$PROBE_STAMP"
    say "probe compiled for Alpha (elf64-alpha, Alpha instructions in probe_mix)"
else
    say "probe already checked for this toolchain"
fi

# ---------------------------------------------------------------- 7. QEMU
# Boots the floor kernel (tools/floor/floor.s: one line on COM1, then halt)
# exactly as tools/runner starts QEMU: the machine of tools/qemu-machine.args,
# then the runner's RUNNER_ARGS, -m 256M and -nic none (a host test of the
# runner checks this line); then once more with the 21143 that ./qemu-run.sh,
# the runner's network cases and tools/net-test give the kernel. Not cached:
# it runs on every bootstrap (about 0.1 s per boot), so a machine that lacks
# what QEMU needs (e.g. a ROM file of a device QEMU adds) fails here, with
# the file and its Debian package named, not in the middle of the tests.
FLOOR_LINE="floor: one line from a minimal Alpha kernel"
mapfile -t MACHINE < <(grep -v '^[[:space:]]*\(#\|$\)' "$REPO/tools/qemu-machine.args")
# rom_package FILE: the Debian package that ships QEMU's ROM FILE.
rom_package() {
    case $1 in
        vgabios-*|bios.bin|bios-256k.bin|sgabios.bin) echo seabios ;;
        efi-*.rom|pxe-*.rom) echo ipxe-qemu ;;
        *) echo "unknown (try: apt-file search $1)" ;;
    esac
}
# floor_boot WHAT QEMU-ARGS...: boots the floor with QEMU-ARGS after the
# machine's; fails with QEMU's own words if the floor's line does not come.
floor_boot() {
    local what=$1; shift
    local out=$FLOOR_DIR/$what.out err=$FLOOR_DIR/$what.err rc=0 t0 t1 rom
    t0=$EPOCHREALTIME
    timeout --kill-after=2 10 qemu-system-alpha "${MACHINE[@]}" "$@" -kernel "$FLOOR_DIR/floor.elf" \
        </dev/null >"$out" 2>"$err" || rc=$?
    t1=$EPOCHREALTIME
    if grep -q "$FLOOR_LINE" "$out"; then
        say "QEMU check ($what): the floor kernel booted in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s: qemu-system-alpha ${MACHINE[*]} $*"
        return 0
    fi
    rom=$(sed -n 's/.*failed to find romfile "\([^"]*\)".*/\1/p' "$err" | head -n 1)
    if [ -n "$rom" ]; then
        say "FAILED: QEMU check ($what): qemu-system-alpha needs the firmware file \"$rom\" (Debian package $(rom_package "$rom")), which this machine does not have."
        say "  The project must not need it: every QEMU it starts passes -vga none and chooses its NIC (tools/qemu-machine.args);"
        say "  this command line adds a device that needs a ROM: qemu-system-alpha ${MACHINE[*]} $*"
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        say "FAILED: QEMU check ($what): no \"$FLOOR_LINE\" within 10 s: qemu-system-alpha ${MACHINE[*]} $*"
    else
        say "FAILED: QEMU check ($what): qemu-system-alpha exited with status $rc before the floor kernel's line: qemu-system-alpha ${MACHINE[*]} $*"
    fi
    echo "----- QEMU's stderr -----" >&2; tail -n 20 "$err" >&2
    echo "----- QEMU's console -----" >&2; tail -n 20 "$out" >&2
    return 1
}
FLOOR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/alpha-unikernel-floor.XXXXXX")
trap 'rm -rf "$FLOOR_DIR"' EXIT
alpha-linux-gnu-as -mev6 -o "$FLOOR_DIR/floor.o" "$REPO/tools/floor/floor.s" &&
    alpha-linux-gnu-ld -T "$REPO/tools/floor/floor.ld" -o "$FLOOR_DIR/floor.elf" "$FLOOR_DIR/floor.o" ||
    { say "FAILED: QEMU check: could not assemble/link tools/floor/floor.s"; exit 1; }
floor_boot "as the runner starts it" -nographic -monitor none -no-reboot -m 256M -nic none || exit 1
floor_boot "with the 21143" -nographic -monitor none -no-reboot -m 256M -nic user,model=tulip || exit 1

say "toolchain ready: $ENV_FILE"
