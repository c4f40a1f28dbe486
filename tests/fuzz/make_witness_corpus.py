#!/usr/bin/python3
"""Write the fuzz_witness corpus, tests/fuzz/corpus/witness: add-checkpoint
request bodies for the log "fuzz.example/log", signed with the fixed log
key fuzz_witness.c trusts (RFC 8032 section 7.1 TEST 1's seed). They run
in name order against one witness state, so they walk the verdicts: the
first cosigned, growth with a proof, a replay (409), a split view (422,
evidence), a bad proof, rollbacks, an unknown origin, a bad signature,
size 0. Deterministic: rerunning writes the same bytes.

    python3 tests/fuzz/make_witness_corpus.py
"""
import base64, hashlib, os
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

here = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "corpus", "witness")
key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
ORIGIN = "fuzz.example/log"

def leaf(d): return hashlib.sha256(b"\x00" + d).digest()
def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()
def b64(b): return base64.b64encode(b).decode()

def note(size, root, origin=ORIGIN, signer=key):
    text = ("%s\n%d\n%s\n" % (origin, size, b64(root))).encode()
    kid = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]
    sig = signer.sign(text)
    return text + b"\n\xe2\x80\x94 " + ORIGIN.encode() + b" " + \
        base64.b64encode(kid + sig) + b"\n"

def body(old, proof, n):
    return ("old %d\n" % old).encode() + b"".join(
        b64(h).encode() + b"\n" for h in proof) + b"\n" + n

a, b, c = leaf(b"a"), leaf(b"b"), leaf(b"c")
r1, r2 = a, node(a, b)
r3 = node(node(a, b), c)
other = hashlib.sha256(b"another history").digest()
empty = hashlib.sha256(b"").digest()
stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
cases = {
    # before anything is cosigned: the checks that need no state
    "00a-size-zero-bad-root.req": body(0, [], note(0, other)),
    "00b-proof-from-zero.req": body(0, [a], note(1, r1)),
    "01-first.req": body(0, [], note(1, r1)),
    "02-grow.req": body(1, [b], note(2, r2)),
    "03-replay.req": body(0, [], note(1, r1)),
    "04-split-view.req": body(2, [], note(2, other)),
    "05-bad-proof.req": body(2, [a], note(3, r3)),
    "06-grow-again.req": body(2, [c], note(3, r3)),
    "07-old-above-size.req": body(5, [], note(3, r3)),
    "08-rollback.req": body(1, [b], note(2, r2)),
    "09-unknown-origin.req": body(0, [], note(1, r1, "other.example/log")),
    "10-stranger-signed.req": body(3, [], note(3, r3, signer=stranger)),
    "11-size-zero-bad-root.req": body(0, [], note(0, other)),
    "12-size-zero.req": body(0, [], note(0, empty)),
    "13-same-again.req": body(3, [], note(3, r3)),
    "14-proof-from-zero.req": body(0, [a], note(3, r3)),
    "15-not-a-request.req": b"hello\n",
}
for name, data in cases.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
