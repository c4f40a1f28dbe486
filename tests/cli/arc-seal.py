#!/usr/bin/python3
# arc-seal.py KEY SELECTOR DOMAIN SERVER ARC < MSG > SEALED: Debian's
# dkimpy (python3-dkim), not custody, adds one ARC set to MSG as the
# intermediary SERVER would: it first writes the Authentication-Results
# SERVER found ("arc=ARC", ARC being none, pass or fail; the seal's cv=
# follows it), then dkim.arc_sign seals with the RSA key in KEY (PEM).
import sys

import dkim

key, selector, domain, server, arc = sys.argv[1:6]
message = sys.stdin.buffer.read()
results = ("Authentication-Results: %s; arc=%s\r\n" % (server, arc)).encode()
message = results + message
arc_set = dkim.arc_sign(message, selector.encode(), domain.encode(),
                        open(key, "rb").read(), server.encode(),
                        timestamp=1796000000)
if not arc_set:
    sys.exit("arc-seal.py: dkimpy made no ARC set")
sys.stdout.buffer.write(b"".join(arc_set) + message)
