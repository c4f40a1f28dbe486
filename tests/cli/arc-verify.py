#!/usr/bin/python3
# arc-verify.py MSG EVIDENCE: Debian's dkimpy (python3-dkim), not
# custody, evaluates the ARC chain of MSG with the key records archived
# in EVIDENCE (custody-dkim/v1: each arc-key's key-query and key-record)
# as the DNS answers; prints the chain result (pass, fail, none).
import base64
import sys

import dkim

records = {}
query = None
for line in open(sys.argv[2]).read().split("\n"):
    if line.startswith("key-query "):
        query = line.split(" ", 1)[1]
    elif line.startswith("key-record ") and line != "key-record -":
        records[query] = base64.b64decode(line.split(" ", 1)[1])


def txt(name, timeout=5):
    return records.get(name.decode().rstrip("."))


message = open(sys.argv[1], "rb").read()
cv, _, _ = dkim.arc_verify(message, dnsfunc=txt)
print(cv.decode())
