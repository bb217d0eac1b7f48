#!/usr/bin/env python3
"""Captures the session that docs/tour.md walks through.

Boots the kernel exactly as the tour does,

    ./qemu-run.sh -m 1G -append "cma=64M"

with the serial console on QEMU's stdin/stdout, waits for the monitor's
prompt (`alpha> `), types the tour's commands one at a time (each after the
previous one's prompt; the addresses and handles that later commands need
are read from the earlier answers), takes chromium's screenshots of
`/memory` at boot and after `fragment 9`, and ends with `halt`.

Writes:
  target/tour/session.txt   the whole console output (CR LF as LF)
  target/tour/stderr.txt    qemu-run.sh's and QEMU's stderr
  docs/img/tour-boot.png, docs/img/tour-fragment.png, docs/img/tour-cma.png
                            (--no-screenshots skips them)

Usage (from the repository root): python3 tools/tour-capture.py [--no-screenshots]

The HTTP and UDP ports forwarded from 127.0.0.1 (QEMU_RUN_HTTP_PORT,
QEMU_RUN_UDP_PORT) are picked free. Any step that does not answer as the
tour expects stops the run with a message naming the step; QEMU is then
killed (only the process this script started).

Last, every line docs/tour.md quotes in its output blocks (all but the
`sh` block and the `...` lines) must appear in the new session, timestamps
aside; the lines that no longer do are listed and the exit status is 1, so
a change in what the kernel prints shows where the tour needs updating.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

PROMPT = "alpha> "
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "target", "tour")
IMG_DIR = os.path.join(REPO, "docs", "img")


def free_port(kind):
    """A port on 127.0.0.1 that nothing is bound to right now."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Session:
    """QEMU with the serial console on its stdin and stdout."""

    def __init__(self, http_port, udp_port):
        env = dict(os.environ, QEMU_RUN_HTTP_PORT=str(http_port), QEMU_RUN_UDP_PORT=str(udp_port))
        self.stderr_file = open(os.path.join(OUT_DIR, "stderr.txt"), "wb")
        self.proc = subprocess.Popen(
            ["./qemu-run.sh", "-m", "1G", "-append", "cma=64M"],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file)
        self.buf = bytearray()
        self.seen = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                break
            with self.lock:
                # The console ends lines with CR LF: keep the LF only.
                self.buf.extend(chunk.replace(b"\r", b""))

    def output(self):
        with self.lock:
            return self.buf.decode("utf-8", "replace")

    def wait_for(self, want, timeout):
        """The text after what earlier calls consumed, up to and including `want`."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                text = self.buf[self.seen:].decode("utf-8", "replace")
                i = text.find(want)
                if i >= 0:
                    self.seen += len(text[: i + len(want)].encode())
                    return text[: i + len(want)]
            if self.proc.poll() is not None:
                raise RuntimeError(f"QEMU exited ({self.proc.returncode}) while waiting for {want!r}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{want!r} did not appear within {timeout} s")
            time.sleep(0.01)

    def command(self, line, timeout=30):
        """Types `line` and Enter; the answer up to the next prompt."""
        self.proc.stdin.write(line.encode() + b"\r")
        self.proc.stdin.flush()
        text = self.wait_for("\n" + PROMPT, timeout)
        answer = text[: -len("\n" + PROMPT)]
        # The first line is the echo of what was typed.
        return answer.split("\n", 1)[1] if "\n" in answer else ""

    def halt(self):
        self.proc.stdin.write(b"halt\r")
        self.proc.stdin.flush()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError("QEMU did not exit within 60 s of halt")
        time.sleep(0.2)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def shrink_png(path):
    """Rewrites chromium's 8-bit RGB screenshot as a palette PNG.

    The picture's flat colours (a few dozen) stay exact; when there are more
    than 256 colours (the text's anti-aliasing), the rarer ones become the
    nearest of the 256 most frequent. A file of any other kind is left as it
    is. About a third of the size.
    """
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if ihdr is None or ihdr[2:] != (8, 2, 0, 0, 0):
        return
    w, h = ihdr[0], ihdr[1]
    raw, stride, bpp = zlib.decompress(idat), ihdr[0] * 3, 3
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    counts = {}
    for row in rows:
        for x in range(0, stride, 3):
            k = row[x:x + 3]
            counts[k] = counts.get(k, 0) + 1
    palette = sorted(counts, key=lambda k: -counts[k])[:256]
    index = {k: i for i, k in enumerate(palette)}
    for k in counts:
        if k not in index:
            index[k] = min(range(len(palette)), key=lambda i: sum((palette[i][j] - k[j]) ** 2 for j in range(3)))
    out = bytearray()
    for row in rows:
        out.append(0)
        out.extend(index[row[x:x + 3]] for x in range(0, stride, 3))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
           + chunk(b"PLTE", b"".join(palette)) + chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b""))
    if len(png) < len(data):
        open(path, "wb").write(png)


def screenshot(http_port, name, query="", size="800,1700"):
    """chromium's screenshot of /memory, as net-test's memory-picture check takes it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        print(f"[tour] no chromium on PATH: {name} not taken", file=sys.stderr)
        return
    path = os.path.join(IMG_DIR, name)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={profile}", f"--screenshot={path}", f"--window-size={size}",
             f"http://127.0.0.1:{http_port}/memory{query}"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    taken = os.path.getsize(path)
    shrink_png(path)
    print(f"[tour] {path}: {taken} bytes from chromium, {os.path.getsize(path)} as a palette PNG", file=sys.stderr)


def find(pattern, text, step):
    m = re.search(pattern, text)
    if m is None:
        raise RuntimeError(f"{step}: expected /{pattern}/ in:\n{text}")
    return m.group(1)


TIMESTAMP = re.compile(r"^\[ *[0-9]+\.[0-9]+\] ")


def check_tour(session):
    """The lines docs/tour.md quotes that the session does not contain."""
    seen = {TIMESTAMP.sub("", line.rstrip()) for line in session.splitlines()}
    doc = open(os.path.join(REPO, "docs", "tour.md")).read()
    missing = []
    for lang, block in re.findall(r"```(\w*)\n(.*?)```", doc, re.S):
        if lang == "sh":
            continue
        for line in block.splitlines():
            if line.strip() != "..." and TIMESTAMP.sub("", line.rstrip()) not in seen:
                missing.append(line)
    return missing


def main():
    shots = "--no-screenshots" not in sys.argv[1:]
    os.makedirs(OUT_DIR, exist_ok=True)
    http_port, udp_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    s = Session(http_port, udp_port)
    try:
        s.wait_for(PROMPT, 600)  # the first run also builds the kernel
        if shots:
            screenshot(http_port, "tour-boot.png")
        for c in ["help", "memblock", "cma", "meminfo", "owners", "buddyinfo"]:
            s.command(c)
        # 3. Buddy splitting and coalescing.
        a = s.command("alloc 8")
        addr = find(r"at (0x[0-9a-f]+)", a, "alloc 8")
        s.command("buddyinfo")
        s.command(f"pfn @{addr}")
        s.command(f"free {addr}")
        s.command("buddyinfo")
        # 4. dma alloc 4M before and after fragment 9.
        d = s.command("dma alloc 4M")
        s.command("dma free " + find(r"handle (\d+)", d, "dma alloc 4M"))
        s.command("fragment 9", timeout=120)
        s.command("buddyinfo")
        if shots:
            screenshot(http_port, "tour-fragment.png")
        d = s.command("dma alloc 4M")
        handle = find(r"handle (\d+)", d, "dma alloc 4M after fragment 9")
        if shots:
            # The top 128 MiB one cell per page: the pins, the allocator
            # metadata and the CMA area with the 4 MiB buffer in it.
            screenshot(http_port, "tour-cma.png", "?from=0x1c000&to=0x20000")
        s.command("cma")
        s.command("owners")
        s.command(f"dma free {handle}")
        s.command("unfragment", timeout=120)
        s.command("buddyinfo")
        # 5. A mapping through the scatter-gather window.
        a = s.command("alloc 0")
        addr = find(r"at (0x[0-9a-f]+)", a, "alloc 0")
        s.command("iommu")
        m = s.command(f"dma map {addr} 8K sg")
        handle = find(r"handle (\d+)", m, "dma map")
        s.command("iommu")
        s.command(f"pfn @{addr}")
        s.command(f"free {addr}")  # refused: still mapped
        s.command(f"dma unmap {handle}")
        s.command("iommu")
        s.command(f"free {addr}")
        # 6. The rest.
        s.command("pfn 0")
        s.command("map 72")
        s.command("reconcile")
        s.halt()
    finally:
        s.kill()
        with open(os.path.join(OUT_DIR, "session.txt"), "w") as f:
            f.write(s.output())
        print(f"[tour] console output in {os.path.join(OUT_DIR, 'session.txt')}", file=sys.stderr)
    missing = check_tour(s.output())
    for line in missing:
        print(f"[tour] docs/tour.md quotes a line this run did not print: {line}", file=sys.stderr)
    if missing:
        sys.exit(1)
    print("[tour] every line docs/tour.md quotes was printed by this run", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"[tour] {e}", file=sys.stderr)
        sys.exit(1)
