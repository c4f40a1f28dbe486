#!/usr/bin/python3
"""Fail if a proof a test wrote holds a private value it was not asked to
disclose: proof-leaks.py DIR.

Every file under DIR that is a custody proof (custody-proof/v3), or a
disclosure (custody-reveal/v2, whose two proofs are checked the same
way), is decoded: its text and every base64 word in it. The private
values are those of every archive under DIR (the private/ parts at
main): path, actor, note, source and blob. A proof may hold a value only
if one of its own `disclose` lines opens a field with that value. Values
shorter than four bytes are not searched (they occur by chance).
Prints what leaked where and exits 1; exits 0 when nothing leaked.
"""
import base64
import binascii
import os
import stat
import subprocess
import sys

import yaml

FIELDS = ("path", "actor", "note", "source", "blob")


def archives(top):
    for root, dirs, _files in os.walk(top):
        if ".custody" in dirs:
            yield os.path.join(root, ".custody")
        dirs[:] = [d for d in dirs if d != ".custody"]


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir=" + gitdir] + list(args),
                          capture_output=True, check=False).stdout


def private_values(top):
    values = set()
    for g in archives(top):
        names = git(g, "ls-tree", "-r", "--name-only", "main", "private/")
        for name in names.decode().split():
            try:
                part = yaml.safe_load(git(g, "show", "main:" + name))
            except yaml.YAMLError:
                continue
            if not isinstance(part, dict):
                continue
            for f in FIELDS:
                v = part.get(f)
                if isinstance(v, str) and len(v.encode()) >= 4:
                    values.add(v.encode())
    return values


def decoded(text):
    out = [text]
    # a publication's documents are INDEX:BASE64 words between commas
    for word in text.replace(b",", b" ").replace(b":", b" ").split():
        try:
            out.append(base64.b64decode(word, validate=True))
        except (binascii.Error, ValueError):
            pass
    return out


def disclosed(proof):
    allowed = set()
    for line in proof.split(b"\n\n", 1)[0].split(b"\n"):
        parts = line.split(b" ")
        if parts[0] == b"disclose" and len(parts) == 4:
            allowed.add(base64.b64decode(parts[3]))
    return allowed


def proofs_in(path):
    data = open(path, "rb").read()
    if data.startswith(b"custody-proof/v3\n"):
        yield data
    elif data.startswith(b"custody-reveal/v2\n"):
        for line in data.split(b"\n")[1:]:
            if b" " in line:
                inner = base64.b64decode(line.split(b" ", 1)[1])
                if inner.startswith(b"custody-proof/v3\n"):
                    yield inner


def main():
    top = sys.argv[1]
    values = private_values(top)
    leaks = []
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d != ".custody"]
        for f in files:
            path = os.path.join(root, f)
            # only regular files: a test's FIFO or socket would block
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            try:
                found = list(proofs_in(path))
            except (OSError, binascii.Error, ValueError):
                continue
            for proof in found:
                allowed = disclosed(proof)
                blobs = decoded(proof)
                for v in values - allowed:
                    if any(v in b for b in blobs):
                        leaks.append("%s holds %r, not disclosed" %
                                     (path, v.decode(errors="replace")))
    for leak in leaks:
        print(leak)
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
