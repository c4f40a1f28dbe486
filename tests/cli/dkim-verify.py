#!/usr/bin/python3
# dkim-verify.py MSG EVIDENCE: Debian's dkimpy (python3-dkim), not
# custody, verifies the first DKIM signature of MSG with the key record
# archived in EVIDENCE (custody-dkim/v1, its first key-record line) as
# the DNS answer; prints "pass" or "fail".
import base64
import sys

import dkim

lines = open(sys.argv[2]).read().split("\n")
records = [base64.b64decode(line.split(" ", 1)[1]) for line in lines
           if line.startswith("key-record ") and line != "key-record -"]
message = open(sys.argv[1], "rb").read()
ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: records[0])
print("pass" if ok else "fail")
