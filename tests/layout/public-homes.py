#!/usr/bin/python3
"""Every public function lives in the file named after its header.

A function declared with CUSTODY_EXTERN in lib/include/custody/<m>.h must
be defined in lib/src/<m>.c or lib/src/<m>_<part>.c, so a reader finds a
module by one name. (A function declared in two headers may live with
either.) Prints each one that lives elsewhere, or is defined nowhere, and
exits 1; exits 0 with a count otherwise.
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..")
inc = os.path.join(root, "lib", "include", "custody")
src = os.path.join(root, "lib", "src")

decl = re.compile(r"CUSTODY_EXTERN\([^)]*\)\s*\**\s*([a-z_][a-z0-9_]*)\s*\(")
homes = {}
for name in sorted(os.listdir(inc)):
    if not name.endswith(".h"):
        continue
    text = "\n".join(l for l in open(os.path.join(inc, name))
                     if not l.lstrip().startswith("#"))
    for fn in decl.findall(text):
        homes.setdefault(fn, set()).add(name[:-2])

# A definition: the name at the start of a declarator, followed by its
# parameter list and, after it, a body.
defined = {}
for name in sorted(os.listdir(src)):
    if not name.endswith(".c"):
        continue
    text = open(os.path.join(src, name)).read()
    for fn in homes:
        if re.search(r"^[a-z][^;{}()]*\b%s\([^;{]*\)\s*\{" % fn, text, re.M):
            defined.setdefault(fn, []).append(name[:-2])

bad = 0
for fn in sorted(homes):
    files = defined.get(fn, [])
    if not files:
        print("%s: declared in custody/%s.h, defined nowhere in lib/src"
              % (fn, "/".join(sorted(homes[fn]))))
        bad += 1
        continue
    for f in files:
        if not any(f == m or f.startswith(m + "_") for m in homes[fn]):
            print("%s: declared in custody/%s.h, defined in lib/src/%s.c"
                  % (fn, " and ".join(sorted(homes[fn])), f))
            bad += 1
if bad:
    sys.exit(1)
print("%d public functions, each in its header's module" % len(homes))
