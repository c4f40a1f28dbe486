#!/usr/bin/python3
# arc-edit.py OP... < MSG > EDITED: breaks an ARC-sealed message the way
# t-arc.sh's negatives need, on the header level:
#   drop KIND I     remove the KIND header(s) of instance I
#   copy KIND I J   add a copy of KIND i=I on top, as instance J
#   sub OLD NEW     replace the first OLD by NEW (bytes, anywhere)
# KIND: seal, ams, aar, or set (all three).
import re
import sys

NAMES = {"seal": [b"arc-seal"], "ams": [b"arc-message-signature"],
         "aar": [b"arc-authentication-results"]}
NAMES["set"] = NAMES["seal"] + NAMES["ams"] + NAMES["aar"]

message = sys.stdin.buffer.read()
head, body = message.split(b"\r\n\r\n", 1)
headers = re.split(b"\r\n(?![ \t])", head)


def instance(h):
    m = re.search(br"\bi\s*=\s*(\d+)", h.split(b":", 1)[1])
    return int(m.group(1)) if m else None


def kind_of(h, kind):
    return h.split(b":", 1)[0].strip().lower() in NAMES[kind]


args = sys.argv[1:]
while args:
    op = args.pop(0)
    if op == "drop":
        kind, i = args.pop(0), int(args.pop(0))
        headers = [h for h in headers
                   if not (kind_of(h, kind) and instance(h) == i)]
    elif op == "copy":
        kind, i, j = args.pop(0), int(args.pop(0)), int(args.pop(0))
        new = [re.sub(br"\bi=%d;" % i, b"i=%d;" % j, h, count=1)
               for h in headers if kind_of(h, kind) and instance(h) == i]
        headers = new + headers
    elif op == "sub":
        old, new = args.pop(0).encode(), args.pop(0).encode()
        head = b"\r\n".join(headers)
        if old not in head + body:
            sys.exit("arc-edit.py: no %r" % old)
        if old in head:
            headers = re.split(b"\r\n(?![ \t])", head.replace(old, new, 1))
        else:
            body = body.replace(old, new, 1)
    else:
        sys.exit("arc-edit.py: unknown operation " + op)
sys.stdout.buffer.write(b"\r\n".join(headers) + b"\r\n\r\n" + body)
