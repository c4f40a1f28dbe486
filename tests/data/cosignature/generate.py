#!/usr/bin/python3
"""Compute the cosignature/v1 known-answer vectors in generated.txt.

Written from the text of c2sp.org/tlog-cosignature (C2SP/C2SP commit
5ba5ee830903e91240fc6f9f3a7a9293d49e69c9), not from custody's code, with
Python's `cryptography` (OpenSSL underneath, but none of custody's
encoding): the key id, the signed message, the timestamp's encoding and
the signature line are each computed here by hand. Ed25519 signatures
are deterministic (RFC 8032), so the output never changes:

    python3 tests/data/cosignature/generate.py > tests/data/cosignature/generated.txt

The seeds are RFC 8032 section 7.1's TEST 1 and TEST 2 secret keys.
Each vector is a block of "field value" lines, blocks separated by an
empty line; "message" and "checkpoint" are base64 of the exact bytes.
"""
import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

CHECKPOINT = (b"example.com/behind-the-sofa\n20852163\n"
              b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
# a checkpoint with an extension line: the cosignature covers it too
CHECKPOINT_EXT = (b"news.example/leaks\n7\n"
                  b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
                  b"extension line\n")

VECTORS = [
    # name, RFC 8032 seed, timestamp, checkpoint text
    ("witness.example/w1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     1679315147, CHECKPOINT),
    # every byte of the timestamp distinct: shows the byte order
    ("witness.example/w1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     0x0102030405060708, CHECKPOINT),
    # the largest timestamp the spec allows, 2^63 - 1
    ("oid/1.3.6.1.4.1.99999.1",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     2**63 - 1, CHECKPOINT_EXT),
]


def main():
    blocks = []
    for name, seed, timestamp, text in VECTORS:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
        pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" +
                                pub).digest()[:4]
        vkey = "%s+%s+%s" % (name, key_id.hex(),
                             base64.b64encode(b"\x04" + pub).decode())
        message = (b"cosignature/v1\n" + b"time %d\n" % timestamp + text)
        sig = key.sign(message)
        stamp = timestamp.to_bytes(8, "big")
        line = "\u2014 %s %s" % (
            name, base64.b64encode(key_id + stamp + sig).decode())
        blocks.append("\n".join([
            "name " + name,
            "seed " + seed,
            "public " + pub.hex(),
            "key_id " + key_id.hex(),
            "vkey " + vkey,
            "timestamp %d" % timestamp,
            "timestamp_bytes " + stamp.hex(),
            "checkpoint " + base64.b64encode(text).decode(),
            "message " + base64.b64encode(message).decode(),
            "line " + line,
        ]))
    print("\n\n".join(blocks))


if __name__ == "__main__":
    main()
