#!/usr/bin/python3
"""Make an edited entry consistent again, as a forger who holds the
archive (but not the outlet key) could: reseal-entry.py PUBLIC PRIVATE.

After a test edits a value in PRIVATE (the entry's private part), this
recomputes the public part's `private` commitment from PRIVATE's values
and opening, then PRIVATE's `leaf` from the new public bytes, and writes
both files back. The scheme is the one lib/src/entry.h documents; this is
an independent implementation of it (hashlib, hmac), so a test that
passes through it also checks custody's commitment against a second
reader.
"""
import hashlib
import hmac
import re
import sys

import yaml

ORDER = ["actor", "path", "version", "previous", "blob", "source",
         "member", "key", "action", "document", "from", "to", "at",
         "backdate_reason", "skipped", "note"]


def commitment(part):
    opening = bytes.fromhex(part["opening"])
    text = b"custody-private v2\n"
    for f in ORDER:
        if f not in part:
            continue
        value = str(part[f]).encode()
        nonce = hmac.new(opening, f.encode(), hashlib.sha256).digest()
        c = hashlib.sha256(b"custody-field v2\n" + f.encode() + b"\n" +
                           nonce + value).hexdigest()
        text += ("%s %s\n" % (f, c)).encode()
    return hashlib.sha256(text).hexdigest()


def main():
    public_path, private_path = sys.argv[1], sys.argv[2]
    private_text = open(private_path, encoding="utf-8").read()
    part = yaml.safe_load(private_text)
    public = open(public_path, "rb").read()
    public = re.sub(rb'^private: "[0-9a-f]{64}"$',
                    b'private: "%s"' % commitment(part).encode(), public,
                    flags=re.M)
    leaf = hashlib.sha256(b"\0" + public).hexdigest()
    private_text = re.sub(r'^leaf: "[0-9a-f]{64}"$', 'leaf: "%s"' % leaf,
                          private_text, flags=re.M)
    open(public_path, "wb").write(public)
    open(private_path, "w", encoding="utf-8").write(private_text)


if __name__ == "__main__":
    main()
