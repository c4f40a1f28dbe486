#!/usr/bin/python3
# arc-seal.py KEY SELECTOR DOMAIN SERVER ARC [COUNT] < MSG > SEALED:
# Debian's dkimpy (python3-dkim), not custody, adds an ARC set to MSG as
# the intermediary SERVER would: it first writes the
# Authentication-Results SERVER found ("arc=ARC", ARC being none, pass
# or fail; the seal's cv= follows it), then dkim.arc_sign seals with the
# RSA key in KEY (PEM). With COUNT, COUNT intermediaries in a row
# (1.SERVER, 2.SERVER, ...), the later ones finding arc=pass.
import sys

import dkim

key, selector, domain, server, arc = sys.argv[1:6]
count = int(sys.argv[6]) if len(sys.argv) > 6 else 0
private = open(key, "rb").read()
message = sys.stdin.buffer.read()
for hop in range(max(count, 1)):
    name = "%d.%s" % (hop + 1, server) if count else server
    found = arc if hop == 0 else "pass"
    results = "Authentication-Results: %s; arc=%s\r\n" % (name, found)
    message = results.encode() + message
    arc_set = dkim.arc_sign(message, selector.encode(), domain.encode(),
                            private, name.encode(), timestamp=1796000000)
    if not arc_set:
        sys.exit("arc-seal.py: dkimpy made no ARC set")
    message = b"".join(arc_set) + message
sys.stdout.buffer.write(message)
