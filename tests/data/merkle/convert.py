#!/usr/bin/env python3
"""Regenerate the Merkle tree vectors in this folder from a checkout of
https://github.com/transparency-dev/merkle (its JSON probes and Go
constants become the plain-text files test_merkle.c reads).

    git clone https://github.com/transparency-dev/merkle /tmp/tdm
    python3 convert.py /tmp/tdm
"""
import base64
import json
import os
import re
import subprocess
import sys

REPO = "https://github.com/transparency-dev/merkle"


def commit_of(checkout):
    return subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"],
                          capture_output=True, text=True,
                          check=True).stdout.strip()


def hexfield(b64):
    raw = base64.b64decode(b64)
    return raw.hex() if raw else "-"


def header(out, title, source, commit, fmt):
    out.write("# %s\n" % title)
    out.write("# Source: %s\n#   %s\n#   commit %s\n" % (REPO, source, commit))
    out.write("# Converted to text by tests/data/merkle/convert.py.\n")
    for line in fmt:
        out.write("# %s\n" % line)


def probes(checkout, kind):
    root = os.path.join(checkout, "testdata", kind)
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".json"):
                path = os.path.join(folder, name)
                found.append((os.path.relpath(path, checkout), path))
    return sorted(found)


HASH_NOTE = [
    "Hashes are lowercase hex, \"-\" an empty byte string. Some failing",
    "probes carry byte strings that are not 32 bytes long (\"garbage\");",
    "custody takes 32-byte hashes only, so those never reach verification.",
]


def write_inclusion(checkout, commit, out_dir):
    with open(os.path.join(out_dir, "inclusion_probes.txt"), "w") as out:
        header(out, "Inclusion proof verification probes (RFC 6962 SHA-256)",
               "testdata/inclusion/**/*.json", commit,
               ["One probe a line: <file> <ok|fail> <leafIdx> <treeSize>",
                "  <leafHash> <root> [<proof hash>...]"] + HASH_NOTE)
        for rel, path in probes(checkout, "inclusion"):
            with open(path) as f:
                p = json.load(f)
            fields = [rel, "fail" if p["wantErr"] else "ok",
                      str(p["leafIdx"]), str(p["treeSize"]),
                      hexfield(p["leafHash"]), hexfield(p["root"])]
            fields += [hexfield(h) for h in p["proof"] or []]
            out.write(" ".join(fields) + "\n")


def write_consistency(checkout, commit, out_dir):
    with open(os.path.join(out_dir, "consistency_probes.txt"), "w") as out:
        header(out, "Consistency proof verification probes (RFC 6962 SHA-256)",
               "testdata/consistency/**/*.json", commit,
               ["One probe a line: <file> <ok|fail> <size1> <size2>",
                "  <root1> <root2> [<proof hash>...]"] + HASH_NOTE)
        for rel, path in probes(checkout, "consistency"):
            with open(path) as f:
                p = json.load(f)
            fields = [rel, "fail" if p["wantErr"] else "ok",
                      str(p["size1"]), str(p["size2"]),
                      hexfield(p["root1"]), hexfield(p["root2"])]
            fields += [hexfield(h) for h in p["proof"] or []]
            out.write(" ".join(fields) + "\n")


def go_function(text, name):
    start = text.index("func %s(" % name)
    end = text.index("\n}\n", start)
    return text[start:end]


def write_tree(checkout, commit, out_dir):
    with open(os.path.join(checkout, "testonly", "constants.go")) as f:
        text = f.read()
    leaves = re.findall(r'hd\("([0-9a-f]*)"\)',
                        go_function(text, "LeafInputs"))
    levels = go_function(text, "NodeHashes").split("}, {")
    roots = re.findall(r'hd\("([0-9a-f]*)"\)', go_function(text, "RootHashes"))
    empty = re.findall(r'hd\("([0-9a-f]*)"\)',
                       go_function(text, "EmptyRootHash"))
    with open(os.path.join(out_dir, "tree.txt"), "w") as out:
        header(out, "The 8 test leaves, their node hashes and the roots of "
               "trees of size 0..8", "testonly/constants.go (LeafInputs, "
               "NodeHashes, RootHashes, EmptyRootHash)", commit,
               ["leaf <index> <leaf input, hex; - if empty>",
                "node <level> <index> <hash of that complete subtree>",
                "root <tree size> <root hash>"])
        for i, leaf in enumerate(leaves):
            out.write("leaf %d %s\n" % (i, leaf or "-"))
        for level, block in enumerate(levels):
            for i, h in enumerate(re.findall(r'hd\("([0-9a-f]*)"\)', block)):
                out.write("node %d %d %s\n" % (level, i, h))
        out.write("root 0 %s\n" % empty[0])
        for size, h in enumerate(roots, start=1):
            out.write("root %d %s\n" % (size, h))


def go_vectors(text, name):
    start = text.index("\t%s = []" % name)
    body = text[start:text.index("\n\t}\n", start)]
    found = []
    for m in re.finditer(r'\{(\d+), (\d+), (nil|\[\]\[\]byte\{(.*?)\})\}',
                         body, re.S):
        hashes = re.findall(r'dh\("([0-9a-f]+)", 32\)', m.group(4) or "")
        found.append((int(m.group(1)), int(m.group(2)), hashes))
    return found


def write_proofs(checkout, commit, out_dir):
    with open(os.path.join(checkout, "cmd", "proofgen", "main.go")) as f:
        text = f.read()
    with open(os.path.join(out_dir, "proofs.txt"), "w") as out:
        header(out, "Expected proofs over the 8 test leaves of tree.txt",
               "cmd/proofgen/main.go (inclusionProofs, consistencyProofs)",
               commit,
               ["inclusion <leaf index> <tree size> [<hash>...]",
                "consistency <old size> <new size> [<hash>...]",
                "Leaf indexes here start at 0 (the source counts from 1)."])
        for index, size, hashes in go_vectors(text, "inclusionProofs"):
            out.write(" ".join(["inclusion", str(index - 1), str(size)] +
                               hashes) + "\n")
        for old, new, hashes in go_vectors(text, "consistencyProofs"):
            out.write(" ".join(["consistency", str(old), str(new)] + hashes)
                      + "\n")


def main():
    checkout = sys.argv[1]
    out_dir = os.path.dirname(os.path.abspath(__file__))
    commit = commit_of(checkout)
    write_tree(checkout, commit, out_dir)
    write_proofs(checkout, commit, out_dir)
    write_inclusion(checkout, commit, out_dir)
    write_consistency(checkout, commit, out_dir)


if __name__ == "__main__":
    main()
