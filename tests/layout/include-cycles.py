#!/usr/bin/python3
"""Fail when the files of lib/src include each other in a cycle.

A private header lives beside its source and shares its name, so foo.c and
foo.h are one node, "foo".  An edge foo -> bar means foo.c or foo.h has
#include "bar.h" for a private header of lib/src.  Public headers
(custody/*.h) only declare, and are not nodes.  Prints every cycle found
and exits 1, or exits 0 with nothing to say.
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "lib", "src")
include = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.h"', re.M)

nodes = {}
for name in sorted(os.listdir(src)):
    stem, ext = os.path.splitext(name)
    if ext not in (".c", ".h"):
        continue
    with open(os.path.join(src, name), encoding="utf-8") as f:
        text = f.read()
    edges = nodes.setdefault(stem, set())
    for dep in include.findall(text):
        if dep != stem and os.path.exists(os.path.join(src, dep + ".h")):
            edges.add(dep)

cycles = []
state = {}  # 1 = on the stack, 2 = done
stack = []


def visit(n):
    state[n] = 1
    stack.append(n)
    for m in sorted(nodes.get(n, ())):
        if state.get(m) == 1:
            cycles.append(stack[stack.index(m):] + [m])
        elif m not in state:
            visit(m)
    stack.pop()
    state[n] = 2


for n in sorted(nodes):
    if n not in state:
        visit(n)

for c in cycles:
    print("include cycle: " + " -> ".join(c))
sys.exit(1 if cycles else 0)
