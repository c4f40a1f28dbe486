#!/usr/bin/python3
"""transparency-dev/merkle's probes (tests/data/merkle) through the
command line, as tests/unit/test_merkle.c puts them through the library.

    merkle_probes.py CUSTODY SRCDIR

Consistency probes: each becomes two checkpoints signed by one key (RFC
8032's TEST 1 seed) with the probe's sizes and roots, and a consistency
file with its hashes; `custody consistency OLD NEW --proof C --key K`
must exit 0 for an "ok" probe and 1 for a "fail" one. A probe's root
that is not 32 bytes cannot be put in a checkpoint; its checkpoint gets
the bytes anyway (so custody sees and refuses them), and a proof hash
that is not 32 bytes is written as the base64 it is. One "ok" probe
("sizes are equal (one) and proof is empty") has 12-byte roots: no
checkpoint can hold it, so custody must refuse it (test_merkle.c counts
it the same way and checks the case with real hashes).

Inclusion probes: `custody check` takes a leaf only as the hash of an
entry it reads, so a probe's bare leaf hash cannot reach it; they go
through the independent checker's inclusion_root (check_proof.py, the
other half of tests/vectors), which must agree with each verdict.

Prints one line per probe and exits 1 if any verdict differs. Needs
Debian's python3-cryptography.
"""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, \
    PublicFormat

SEED = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
ORIGIN = "probes.example/log"
INCLUSION_COUNT = 98
CONSISTENCY_COUNT = 98
UNREPRESENTABLE_OK = 1


def probes(path):
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split()
            hashes = [b"" if h == "-" else bytes.fromhex(h)
                      for h in fields[4:]]
            yield (fields[0], fields[1] == "ok", int(fields[2]),
                   int(fields[3]), hashes[0], hashes[1], hashes[2:])


def key_id(pub):
    return hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]


def checkpoint(key, pub, size, root):
    text = "%s\n%d\n%s\n" % (ORIGIN, size,
                             base64.b64encode(root).decode())
    sig = key.sign(text.encode())
    return text + "\n\u2014 %s %s\n" % (
        ORIGIN, base64.b64encode(key_id(pub) + sig).decode())


def consistency_file(old, new, proof):
    return "custody-consistency/v1\nold %d\nnew %d\n" % (old, new) + \
        "".join(base64.b64encode(h).decode() + "\n" for h in proof)


def run_consistency(custody, src, folder):
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    vkey = os.path.join(folder, "k.vkey")
    with open(vkey, "w") as f:
        f.write("%s+%s+%s\n" % (ORIGIN, key_id(pub).hex(),
                                base64.b64encode(b"\x01" + pub).decode()))
    wrong = count = unrepresentable = 0
    path = os.path.join(src, "tests/data/merkle/consistency_probes.txt")
    for name, ok, old, new, root1, root2, proof in probes(path):
        count += 1
        if ok and not all(len(h) == 32 for h in [root1, root2] + proof):
            unrepresentable += 1
            ok = False
        files = {}
        for part, text in (("old", checkpoint(key, pub, old, root1)),
                           ("new", checkpoint(key, pub, new, root2)),
                           ("c", consistency_file(old, new, proof))):
            files[part] = os.path.join(folder, part)
            with open(files[part], "w") as f:
                f.write(text)
        r = subprocess.run([custody, "consistency", files["old"],
                            files["new"], "--proof", files["c"],
                            "--key", vkey], capture_output=True, text=True)
        want = 0 if ok else 1
        err = r.stderr.strip().splitlines()
        if r.returncode != want or (not ok and not err):
            wrong += 1
            print("FAIL consistency %s: exit %d, not %d: %s" % (
                name, r.returncode, want, r.stderr.strip()))
        else:
            print("ok   consistency %s: %s" % (
                name, "holds" if ok else err[0]))
    if count != CONSISTENCY_COUNT or unrepresentable != UNREPRESENTABLE_OK:
        wrong += 1
        print("FAIL %d consistency probes (%d unrepresentable), not %d"
              " (%d)" % (count, unrepresentable, CONSISTENCY_COUNT,
                         UNREPRESENTABLE_OK))
    return wrong


def run_inclusion(src):
    sys.path.insert(0, os.path.join(src, "tests/vectors"))
    import check_proof

    wrong = count = 0
    path = os.path.join(src, "tests/data/merkle/inclusion_probes.txt")
    for name, ok, index, size, leaf, root, proof in probes(path):
        count += 1
        fits = all(len(h) == 32 for h in [leaf, root] + proof)
        got = fits and check_proof.inclusion_root(
            leaf, index, size, proof) == root
        if got != ok:
            wrong += 1
            print("FAIL inclusion %s: check_proof.py says %s" % (
                name, "ok" if got else "fail"))
        else:
            print("ok   inclusion %s" % name)
    if count != INCLUSION_COUNT:
        wrong += 1
        print("FAIL %d inclusion probes, not %d" % (count, INCLUSION_COUNT))
    return wrong


def main():
    custody, src = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as folder:
        wrong = run_consistency(custody, src, folder) + run_inclusion(src)
    print("%d verdicts differ" % wrong)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
