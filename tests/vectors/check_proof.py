#!/usr/bin/python3
"""An independent checker of custody proof files, written from
docs/proof-format.md alone (not from custody's C code), so the test
vectors check the document as much as the program.

    check_proof.py FILE PROOF VKEY      prints "ok" or "fail STEP: why"
    check_proof.py --root ENTRIES_DIR   prints each leaf and the root

Steps, as the document lists them: proof, signature, entry, disclosure,
file, inclusion, publication. Timestamps are not checked here (openssl ts
does that; see the document). Needs Debian's python3-yaml and
python3-cryptography.
"""
import base64
import binascii
import hashlib
import hmac
import os
import sys

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PublicKey

ORDER = ["actor", "path", "version", "previous", "blob", "source",
         "member", "key", "action", "document", "from", "to", "at",
         "backdate_reason", "note"]


class Fail(Exception):
    def __init__(self, step, why):
        super().__init__("%s: %s" % (step, why))
        self.step = step


def b64(text, step="proof"):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Fail(step, "not base64: %r" % text[:40])


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_of(leaves, lo, hi):
    if hi - lo == 1:
        return leaves[lo]
    k = split(hi - lo)
    return node_hash(root_of(leaves, lo, lo + k), root_of(leaves, lo + k, hi))


def inclusion_root(leaf, index, size, path):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def pair_root(i, leaf_i, path_i, j, leaf_j, extra, n):
    """The document's recursion for two leaves (docs/proof-format.md)."""
    extra = list(extra)

    def walk(lo, hi, d):
        if hi - lo == 1:
            return leaf_i if lo == i else leaf_j
        k = split(hi - lo)
        parts = []
        for a, b in ((lo, lo + k), (lo + k, hi)):
            if a <= i < b or a <= j < b:
                parts.append(walk(a, b, d + 1))
            elif lo <= i < hi:
                if len(path_i) - 1 - d < 0:
                    raise Fail("publication", "the proof is too short")
                parts.append(path_i[len(path_i) - 1 - d])
            else:
                if not extra:
                    raise Fail("publication", "the proof is too short")
                parts.append(extra.pop(0))
        return node_hash(parts[0], parts[1])

    r = walk(0, n, 0)
    if extra:
        raise Fail("publication", "hashes left over")
    return r


def parse(proof):
    if not proof.startswith(b"custody-proof/v3\n"):
        raise Fail("proof", "not custody-proof/v3")
    # header lines up to the first empty line
    lines = proof.split(b"\n")
    end = lines.index(b"")
    header = lines[1:end]
    rest = lines[end + 1:]
    h = {"commitments": [], "disclose": [], "publication": None,
         "publication_hashes": []}
    for line in header:
        word = line.split(b" ")
        if word[0] == b"commitment" and len(word) == 3:
            h["commitments"].append((word[1].decode(), b64(word[2])))
        elif word[0] == b"disclose" and len(word) == 4:
            h["disclose"].append((word[1].decode(), b64(word[2]),
                                  b64(word[3])))
        elif word[0] == b"publication" and len(word) == 8:
            h["publication"] = word[1:]
        elif word[0] == b"publication-path" and len(word) == 2:
            raw = b64(word[1])
            if not raw or len(raw) % 32:
                raise Fail("proof", "the publication path is not hashes")
            h["publication_hashes"] = [raw[k:k + 32]
                                       for k in range(0, len(raw), 32)]
        elif word[0] in (b"timestamp", b"log-key"):
            pass
        else:
            raise Fail("proof", "unknown header line %r" % line[:40])
    # the C2SP tlog-proof
    if not rest or rest[0] != b"c2sp.org/tlog-proof@v1":
        raise Fail("proof", "no tlog-proof")
    k = 1
    extra = index = None
    if rest[k].startswith(b"extra "):
        extra = b64(rest[k][6:])
        k += 1
    if not rest[k].startswith(b"index "):
        raise Fail("proof", "no index")
    index = int(rest[k][6:])
    k += 1
    path = []
    while rest[k] != b"":
        path.append(b64(rest[k]))
        k += 1
    note = b"\n".join(rest[k + 1:])
    return h, extra, index, path, note


def publication_entry(words, index, sha256):
    """The publish entry's public part, rebuilt from its packed line
    (docs/proof-format.md, "The publication line")."""
    j, time, salt, private, published, lines, documents = words
    out = b"custody-entry: 2\nindex: " + j + b"\ntype: \"publish\"\n"
    out += b"time: \"" + time + b"\"\nsalt: \"" + b64(salt).hex().encode()
    out += b"\"\n" + b64(lines) + b"published: \"" + published + b"\"\n"
    out += b"documents:\n"
    for d in documents.split(b","):
        if d == b"*":
            i, sha = str(index).encode(), sha256.encode()
        else:
            i, _, sha = d.partition(b":")
            sha = b64(sha).hex().encode()
        out += b"- index: " + i + b"\n  sha256: \"" + sha + b"\"\n"
    return int(j), out + b"private: \"" + b64(private).hex().encode() + \
        b"\"\n"


def check_note(note, vkey):
    name, keyid_hex, key_b64 = vkey.strip().split(b"+", 2)
    raw = base64.b64decode(key_b64)
    if raw[0] != 1:
        raise Fail("key", "not an Ed25519 vkey")
    text, _, sigs = note.partition(b"\n\n")
    text += b"\n"
    for line in sigs.split(b"\n"):
        if not line.startswith("\u2014 ".encode() + name + b" "):
            continue
        blob = base64.b64decode(line.split(b" ")[2])
        if blob[:4] != bytes.fromhex(keyid_hex.decode()):
            continue
        try:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:],
                                                                text)
        except InvalidSignature:
            raise Fail("signature", "bad signature by the key given")
        origin, size, root = text.split(b"\n")[:3]
        return origin, int(size), base64.b64decode(root)
    raise Fail("signature", "not signed by the key given")


def commitment_of(pairs):
    text = b"custody-private v2\n"
    for f, c in pairs:
        text += f.encode() + b" " + c.hex().encode() + b"\n"
    return hashlib.sha256(text).hexdigest()


def commit_field(f, nonce, value):
    return hashlib.sha256(b"custody-field v2\n" + f.encode() + b"\n" +
                          nonce + value).digest()


def check(file_path, proof, vkey):
    h, extra, index, path, note = parse(proof)
    origin, size, root = check_note(note, vkey)
    e = yaml.safe_load(extra) if extra else None
    if not isinstance(e, dict) or e.get("custody-entry") != 2 or \
            e.get("type") not in ("register", "derive") or \
            e.get("index") != index:
        raise Fail("entry", "not a registration at the proof's index")
    if h["commitments"] or h["disclose"]:
        if commitment_of(h["commitments"]) != e["private"]:
            raise Fail("disclosure", "the commitments are not the entry's")
        commits = dict(h["commitments"])
        for f, nonce, value in h["disclose"]:
            if f not in commits or commit_field(f, nonce, value) != \
                    commits[f]:
                raise Fail("disclosure", "the value of %s is not the one "
                           "committed to" % f)
    data = open(file_path, "rb").read()
    if hashlib.sha256(data).hexdigest() != e["sha256"] or \
            len(data) != e["size"]:
        raise Fail("file", "not the registered document")
    leaf = leaf_hash(extra)
    if inclusion_root(leaf, index, size, path) != root:
        raise Fail("inclusion", "the entry is not in the tree")
    if h["publication"] is not None:
        j, pub = publication_entry(h["publication"], index, e["sha256"])
        p = yaml.safe_load(pub)
        if not isinstance(p, dict) or p.get("type") != "publish" or \
                p.get("index") != j:
            raise Fail("publication", "not that publish entry")
        if {"index": index, "sha256": e["sha256"]} not in p["documents"]:
            raise Fail("publication", "does not name this document")
        if pair_root(index, leaf, path, j, leaf_hash(pub),
                     h["publication_hashes"], size) != root:
            raise Fail("publication", "not in the tree")
    return "ok"


def show_root(folder):
    names = sorted(n for n in os.listdir(folder)
                   if n.endswith(".yaml") and ".private." not in n)
    leaves = [leaf_hash(open(os.path.join(folder, n), "rb").read())
              for n in names]
    for n, l in zip(names, leaves):
        print("%s %s" % (n[:-5], l.hex()))
    print("root %s" % base64.b64encode(root_of(leaves, 0, len(leaves)))
          .decode())


def main():
    if sys.argv[1] == "--root":
        show_root(sys.argv[2])
        return 0
    proof = open(sys.argv[2], "rb").read()
    vkey = open(sys.argv[3], "rb").read()
    try:
        print(check(sys.argv[1], proof, vkey))
    except Fail as f:
        print("fail %s" % f)
    except (ValueError, KeyError, IndexError, TypeError,
            yaml.YAMLError) as x:
        print("fail proof: malformed (%s)" % x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
