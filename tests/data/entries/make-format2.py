#!/usr/bin/python3
"""Entry fixtures in format 2, made reproducibly.

    make-format2.py split OLD.yaml...   a format-1 fixture (one file with
        every field) becomes the pair OLD.yaml (public part) and
        OLD.private.yaml (private part); the bytes of each field's lines
        are kept as they were, so a fixture's defect stays where it was.
    make-format2.py field OPENING NAME VALUE   prints one field's nonce_f
        and commit_f (hex), the known answers of tests/unit/test_entry.c.
    make-format2.py seal PUBLIC.yaml... after a fixture is edited by hand:
        recompute the public part's `private` from its private part, then
        the private part's `leaf` from the new public bytes.

The commitment is the scheme of lib/src/entry.h, computed here with
Python's hashlib and hmac (independently of custody's C):

    nonce_f  = HMAC-SHA256(key = opening, message = f)
    commit_f = SHA-256("custody-field v2\\n" || f || "\\n" || nonce_f || value)
    private  = SHA-256("custody-private v2\\n" || f " " hex(commit_f) "\\n" ...)

for the private fields f present, in ORDER below; value is the field's
text as YAML reads it (integers in decimal). leaf = SHA-256(0x00 ||
public part). A fixture's opening is fixed, SHA-256("custody fixture
opening\\n" || file name), so the output is the same on every run.

A private part holding the comment "# not sealed" is left alone by
seal (its leaf or commitment is wrong on purpose). A private part YAML
cannot read (a bad fixture) gets an all-zero
`private`; so does a fixture with no private part.
"""
import hashlib
import hmac
import os
import re
import sys

import yaml

ORDER = ["actor", "path", "version", "previous", "blob", "source",
         "member", "key", "action", "document", "from", "to", "at",
         "backdate_reason", "skipped", "note"]
PRIVATE_KEYS = set(ORDER) | {"custody-private", "leaf", "opening"}
ZERO = "0" * 64
NOT_SEALED = b"# not sealed"
KEY_RE = re.compile(rb'^"?([A-Za-z0-9_-]+)"?\s*:')


def opening_for(path):
    name = os.path.basename(path).encode()
    return hashlib.sha256(b"custody fixture opening\n" + name).hexdigest()


def commitment(private_bytes):
    """The commitment the private part makes, or ZERO if YAML cannot read it."""
    try:
        part = yaml.safe_load(private_bytes.decode("utf-8"))
        opening = bytes.fromhex(part["opening"])
    except Exception:
        return ZERO
    text = b"custody-private v2\n"
    for f in ORDER:
        if f not in part:
            continue
        value = part[f]
        if not isinstance(value, str):
            value = str(value)  # an integer, or a bad fixture's oddity
        value = value.encode("utf-8", "surrogatepass")
        nonce = hmac.new(opening, f.encode(), hashlib.sha256).digest()
        c = hashlib.sha256(b"custody-field v2\n" + f.encode() + b"\n" +
                           nonce + value).hexdigest()
        text += ("%s %s\n" % (f, c)).encode()
    return hashlib.sha256(text).hexdigest()


def field(opening, name, value):
    nonce = hmac.new(bytes.fromhex(opening), name.encode(), hashlib.sha256)
    nonce = nonce.digest()
    commit = hashlib.sha256(b"custody-field v2\n" + name.encode() + b"\n" +
                            nonce + value.encode()).hexdigest()
    print("nonce  %s\ncommit %s" % (nonce.hex(), commit))


def leaf_of(public_bytes):
    return hashlib.sha256(b"\0" + public_bytes).hexdigest()


def items(data):
    """Top-level items (key, bytes); lines before any key have key None."""
    out = [(None, b"")]
    for line in data.splitlines(keepends=True):
        m = KEY_RE.match(line)
        if m and not line[:1].isspace():
            out.append((m.group(1).decode(), line))
        else:
            key, text = out[-1]
            out[-1] = (key, text + line)
    return out


def split(path):
    data = open(path, "rb").read()
    public, private, index = b"", b"", b"index: 0\n"
    for key, text in items(data):
        if key == "custody-entry":
            text = text.replace(b"custody-entry: 1", b"custody-entry: 2", 1)
        if key == "index":
            index = text
        if key in PRIVATE_KEYS:
            private += text
        else:
            public += text
    if not public.endswith(b"\n"):
        public += b"\n"
    public += b'private: "%s"\n' % ZERO.encode()
    head = b'custody-private: 2\n' + index + b'leaf: "%s"\nopening: "%s"\n' % (
        ZERO.encode(), opening_for(path).encode())
    private_path = path[:-len(".yaml")] + ".private.yaml"
    open(path, "wb").write(public)
    open(private_path, "wb").write(head + private)
    seal(path)


def seal(path):
    private_path = path[:-len(".yaml")] + ".private.yaml"
    public = open(path, "rb").read()
    private = open(private_path, "rb").read() if os.path.exists(
        private_path) else None
    if private is not None and NOT_SEALED in private:
        return  # a fixture whose commitment or leaf is wrong on purpose
    c = commitment(private) if private is not None else ZERO
    public = re.sub(rb'(?<![\w-])private: "[0-9a-f]{64}"',
                    b'private: "%s"' % c.encode(), public, count=1)
    open(path, "wb").write(public)
    if private is not None:
        private = re.sub(rb'(?<![\w-])leaf: "[0-9a-f]{64}"',
                         b'leaf: "%s"' % leaf_of(public).encode(), private,
                         count=1)
        open(private_path, "wb").write(private)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "field":
        return field(*sys.argv[2:])
    if len(sys.argv) < 3 or sys.argv[1] not in ("split", "seal"):
        sys.exit("usage: make-format2.py split|seal FILE.yaml... | "
                 "field OPENING NAME VALUE")
    for path in sys.argv[2:]:
        (split if sys.argv[1] == "split" else seal)(path)


if __name__ == "__main__":
    main()
