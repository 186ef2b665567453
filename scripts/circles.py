#!/usr/bin/env python3
"""Import circles between the files of each crate: a file's `use crate::…`, `crate::…` paths, `super::…` and
`mod` lines (outside #[cfg(test)] modules) give arrows to module files; prints each strongly connected component
of more than one file. Usage: circles.py CRATES_DIR. Last line: 'circles: N'; exits 1 when N > 0 (CI runs it)."""
import os, re, sys

def modfile(src, parts):
    """The file that holds module path `parts` (list) under src, longest prefix that exists."""
    for n in range(len(parts), 0, -1):
        base = os.path.join(src, *parts[:n])
        for cand in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.isfile(cand):
                return cand
    return None

def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod": rel = rel[:-1]
    if rel in (["lib"], ["main"]): rel = []
    return rel

def strip_tests(text):
    i = text.find("#[cfg(test)]")
    return text if i < 0 else text[:i]

def crate_graph(src):
    files = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".rs")]
    g = {f: set() for f in files}
    for f in files:
        me = module_of(src, f)
        text = strip_tests(open(f, encoding="utf-8", errors="replace").read())
        text = re.sub(r"//[^\n]*", "", text)
        for m in re.finditer(r"\bcrate::((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
            parts = m.group(1).split("::")
            t = modfile(src, parts)
            if t and t != f: g[f].add(t)
        # use crate::{a::X, b::{Y}} groups
        for m in re.finditer(r"use\s+crate::\{([^;]*)\};", text, re.S):
            for item in re.findall(r"([a-z_][a-z0-9_]*)::", m.group(1)):
                t = modfile(src, [item])
                if t and t != f: g[f].add(t)
        for m in re.finditer(r"\b((?:super::)+)((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
            up = m.group(1).count("super::")
            base = me[:-up] if up <= len(me) else []
            parts = base + m.group(2).split("::")
            t = modfile(src, parts) if parts else modfile(src, ["lib"]) or modfile(src, ["main"])
            if t and t != f: g[f].add(t)
        # use super::{a, b::X} groups
        for m in re.finditer(r"use\s+((?:super::)+)\{([^;]*)\};", text, re.S):
            up = m.group(1).count("super::")
            base = me[:-up] if up <= len(me) else []
            for item in re.findall(r"(?:^|[{,\s])([a-z_][a-z0-9_]*)\b", m.group(2)):
                if item == "self": continue
                t = modfile(src, base + [item])
                if t and t != f: g[f].add(t)
    return g

def sccs(g):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in g[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in g:
        if v not in index: visit(v)
    return [c for c in out if len(c) > 1]

root = sys.argv[1] if len(sys.argv) > 1 else "crates"
total = 0
for crate in sorted(os.listdir(root)):
    src = os.path.join(root, crate, "src")
    if not os.path.isdir(src): continue
    g = crate_graph(src)
    # a parent mod.rs/lib.rs declaring children is not an import; drop arrows to a file's own ancestors' mod files
    for comp in sccs(g):
        total += 1
        print(f"{crate}: " + ", ".join(sorted(os.path.relpath(c, src) for c in comp)))
print(f"circles: {total}")
sys.exit(1 if total else 0)
