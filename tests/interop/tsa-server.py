#!/usr/bin/env python3
"""A tiny RFC 3161 timestamp authority on 127.0.0.1, for tests only.

It answers each POST of application/timestamp-query by running
`openssl ts -reply` with the given key, certificate and configuration,
and returns the TimeStampResp as application/timestamp-reply.

The first line on stdout is the chosen port. The server exits when its
standard input reaches end of file (its parent closed the pipe or died)
or on SIGTERM.

Modes for testing clients' error handling:
  --status-fail         answer a TimeStampResp with status "rejection"
                        (failInfo badRequest) instead of a token
  --content-type TYPE   send TYPE as the reply's Content-Type
  --http-status N       answer with HTTP status N (and for 3xx a
                        Location header pointing back at the server)
  --oversize            send a 2 MiB body of zeros
"""

import argparse
import http.server
import os
import signal
import subprocess
import sys
import tempfile
import threading

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_QUERY = 64 * 1024


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, body):
    return bytes([tag]) + der_length(len(body)) + body


def rejection():
    """TimeStampResp { status PKIStatusInfo { rejection, statusString,
    failInfo badRequest } } with no token (RFC 3161 section 2.4.2)."""
    status = der(0x02, b"\x02")
    text = der(0x30, der(0x0C, b"request refused by the test TSA"))
    # badRequest is bit 2: one content byte 0x20, 5 unused bits
    fail_info = der(0x03, b"\x05\x20")
    return der(0x30, der(0x30, status + text + fail_info))


class Handler(http.server.BaseHTTPRequestHandler):
    options = None

    def log_message(self, fmt, *args):
        sys.stderr.write("tsa-server: " + (fmt % args) + "\n")

    def send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        o = self.options
        length = int(self.headers.get("Content-Length", "0"))
        if length <= 0 or length > MAX_QUERY:
            self.send(400, b"bad length\n", "text/plain")
            return
        query = self.rfile.read(length)
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != QUERY_TYPE:
            self.send(415, b"not a timestamp query\n", "text/plain")
            return
        if o.http_status is not None:
            extra = ()
            if 300 <= o.http_status < 400:
                extra = (("Location", "http://127.0.0.1:%d/elsewhere" %
                          self.server.server_address[1]),)
            self.send(o.http_status, b"as you asked\n", "text/plain", extra)
            return
        if o.oversize:
            self.send(200, bytes(2 << 20), o.content_type)
            return
        if o.status_fail:
            self.send(200, rejection(), o.content_type)
            return
        with tempfile.TemporaryDirectory(prefix="tsa-server.") as work:
            qpath = os.path.join(work, "q.tsq")
            rpath = os.path.join(work, "r.tsr")
            with open(qpath, "wb") as f:
                f.write(query)
            run = subprocess.run(
                ["openssl", "ts", "-reply", "-queryfile", qpath,
                 "-inkey", o.key, "-signer", o.cert, "-config", o.config,
                 "-out", rpath],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if run.returncode != 0 or not os.path.exists(rpath):
                sys.stderr.write(run.stderr.decode(errors="replace"))
                self.send(500, b"openssl ts -reply failed\n", "text/plain")
                return
            with open(rpath, "rb") as f:
                reply = f.read()
        self.send(200, reply, o.content_type)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--status-fail", action="store_true")
    p.add_argument("--content-type", default=REPLY_TYPE)
    p.add_argument("--http-status", type=int)
    p.add_argument("--oversize", action="store_true")
    options = p.parse_args()
    Handler.options = options

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def stop(*_):
        # shutdown() waits for serve_forever, so never call it from the
        # thread that runs it: leave at once instead.
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
