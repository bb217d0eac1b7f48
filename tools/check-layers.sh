#!/usr/bin/env bash
# Checks the kernel's layering (issue 14), from the sources alone:
#   1. `pci`, `dma`, `irq`, `mm`, `net` and `drivers` name no Tsunami/Typhoon
#      physical address (0x800_..., 0x801_...) and no Cchip/Pchip register
#      or module: the chipset lives in `platform/` only;
#   2. the top-level modules of kernel/src (from `crate::X`, `use crate::{X, ..}`,
#      `super::` paths and the console's print macros, outside comments) form
#      no dependency cycle; every cycle found is printed.
# Prints what it checked and ends with `N passed, N failed, 0 skipped`;
# exit status 0 only if nothing failed. Usage: tools/check-layers.sh [SRC_DIR]
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=${1:-$REPO/kernel/src}
exec python3 - "$SRC" <<'PY'
import os, re, sys

src = sys.argv[1]
passed = failed = 0

def result(ok, what, details=()):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    for d in details:
        print("       " + d)
    if ok:
        passed += 1
    else:
        failed += 1

def rust_files(path):
    if os.path.isfile(path):
        yield path
        return
    for root, _, files in os.walk(path):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(root, f)

def code_lines(path):
    """(line number, text) of each line with its `//` comment removed
    (string literals kept: a log line may not hide an address either)."""
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        stripped = line.lstrip()
        if stripped.startswith("//"):
            continue
        yield n, line.rstrip("\n")

# 1. No chipset in the generic layers (code and log text; comments may
#    explain the hardware).
GUARDED = ["pci", "dma", "irq.rs", "mm", "net", "drivers"]
ADDRESS = re.compile(r"0x80[01]_|0x80[01][0-9a-fA-F]{7,}")
REGISTER = re.compile(
    r"\b(DIM[0-3]|DIR[0-3]|DRIR|MISC|WSBA\w*|WSM|TBA|TLBIV|TLBIA|PERROR|CCHIP\w*|PCHIP\w*)\b"
    r"|\b(cchip|pchip)::|(?i:tsunami|typhoon)"
)
# Words allowed in log text the tests grep for ("Cchip line N"): the
# concept of an interrupt line, not a register.
ALLOWED = re.compile(r"Cchip line")
for g in GUARDED:
    path = os.path.join(src, g)
    hits = []
    for f in rust_files(path):
        for n, line in code_lines(f):
            text = ALLOWED.sub("", line)
            if ADDRESS.search(text) or REGISTER.search(text):
                hits.append(f"{os.path.relpath(f, src)}:{n}: {line.strip()}")
    result(not hits, f"{g}: no Tsunami/Typhoon address, Cchip/Pchip register or chipset module"
           f" ({sum(1 for _ in rust_files(path))} files)", hits[:20])

# 2. The top-level module graph.
tops = {}
for entry in sorted(os.listdir(src)):
    p = os.path.join(src, entry)
    if entry == "main.rs":
        continue  # the crate root wires everything together
    if entry.endswith(".rs"):
        tops[entry[:-3]] = p
    elif os.path.isdir(p):
        tops[entry] = p

# Macros exported at the crate root, by the module that defines them.
macro_home = {}
for name, p in tops.items():
    for f in rust_files(p):
        text = open(f, encoding="utf-8").read()
        for m in re.finditer(r"#\[macro_export\]\s*macro_rules!\s*(\w+)", text):
            macro_home[m.group(1)] = name

def module_path(f, top):
    rel = os.path.relpath(f, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return rel

CRATE = re.compile(r"\$?crate::(\{[^}]*\}|\w+)")
SUPER = re.compile(r"\b((?:super::)+)(\{[^}]*\}|\w+)")
MACRO = re.compile(r"\b(\w+)!")
edges = {}
for name, p in tops.items():
    deps = edges.setdefault(name, {})
    for f in rust_files(p):
        mpath = module_path(f, name)
        for n, line in code_lines(f):
            where = f"{os.path.relpath(f, src)}:{n}"
            targets = []
            for m in CRATE.finditer(line):
                t = m.group(1)
                if t.startswith("{"):
                    targets += [x.strip().split("::")[0] for x in t[1:-1].split(",") if x.strip()]
                else:
                    targets.append(t)
            for m in SUPER.finditer(line):
                up = m.group(1).count("super::")
                base = mpath[:-up] if up <= len(mpath) else []
                if not base:
                    t = m.group(2)
                    targets += ([x.strip().split("::")[0] for x in t[1:-1].split(",") if x.strip()]
                                if t.startswith("{") else [t])
            for m in MACRO.finditer(line):
                if m.group(1) in macro_home:
                    targets.append(m.group(1))
            for t in targets:
                t = macro_home.get(t, t)
                if t in tops and t != name:
                    deps.setdefault(t, where)

print("module graph (top-level modules of kernel/src, main.rs excluded):")
for name in sorted(edges):
    print(f"  {name} -> {', '.join(sorted(edges[name])) or '(nothing)'}")

# Tarjan's strongly connected components; each one larger than a module is
# a cycle, printed as one concrete loop with the line that makes each edge.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        sccs.append(sorted(comp))
for v in sorted(edges):
    if v not in index:
        strong(v)

def loop_in(comp):
    start = comp[0]
    members = set(comp)
    # breadth-first back to start
    prev, queue, seen = {}, [start], {start}
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v]):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if w in members and w not in seen:
                seen.add(w); prev[w] = v; queue.append(w)
    return comp

cycles = [c for c in sccs if len(c) > 1]
details = []
for c in cycles:
    loop = loop_in(c)
    details.append("modules that depend on each other: " + ", ".join(c))
    details.append("cycle: " + " -> ".join(loop))
    for a, b in zip(loop, loop[1:]):
        details.append(f"  {a} -> {b} at {edges[a][b]}")
result(not cycles, f"no dependency cycle among the {len(edges)} top-level modules"
       f" ({sum(len(d) for d in edges.values())} edges)", details)

print(f"{passed} passed, {failed} failed, 0 skipped")
sys.exit(1 if failed else 0)
PY
