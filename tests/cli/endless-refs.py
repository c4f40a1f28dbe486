#!/usr/bin/python3
# endless-refs.py git|http PORTFILE [CERT KEY], or endless-refs.py
# stdio: a hostile git server whose list of refs never ends (valid
# pkt-lines, each a new branch at one made-up commit, no flush ever),
# over git:// or smart HTTP (with CERT and KEY, PEM: over TLS) on a free
# port of 127.0.0.1 (written to PORTFILE once it listens), or on
# standard output (an ssh forced command). For the
# hostile partner tests (t-sync-hostile.sh); not a server for anything
# else.
import os
import socket
import ssl
import sys
import threading

OID = b"1" * 40


def pkt(data):
    return b"%04x" % (len(data) + 4) + data


def refs():
    """The advertisement, in pieces of about 1 MB, forever."""
    yield pkt(OID + b" refs/heads/main\0side-band-64k ofs-delta "
              b"report-status\n")
    n = 0
    while True:
        piece = []
        for _ in range(16000):
            n += 1
            piece.append(pkt(OID + b" refs/heads/b%d\n" % n))
        yield b"".join(piece)


def send_forever(write):
    try:
        for piece in refs():
            write(piece)
    except OSError:
        pass


def serve_git(conn):
    try:
        conn.recv(65536)    # git-upload-pack /path\0host=...\0
        send_forever(conn.sendall)
    finally:
        conn.close()


def serve_http(conn):
    try:
        f = conn.makefile("rb")
        line = f.readline()
        while f.readline() not in (b"\r\n", b"\n", b""):
            pass
        service = b"git-receive-pack" if b"receive-pack" in line \
            else b"git-upload-pack"
        conn.sendall(b"HTTP/1.1 200 OK\r\n"
                     b"Content-Type: application/x-" + service +
                     b"-advertisement\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        head = pkt(b"# service=" + service + b"\n") + b"0000"

        def chunk(data):
            conn.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
        chunk(head)
        send_forever(chunk)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode = sys.argv[1]
    if mode == "stdio":
        out = sys.stdout.buffer
        sys.stdin.close()

        def write(data):
            out.write(data)
            out.flush()
        send_forever(write)
        return
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    if len(sys.argv) > 4:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[3], sys.argv[4])
        srv = tls.wrap_socket(srv, server_side=True)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    serve = serve_git if mode == "git" else serve_http
    while True:
        try:
            conn, _ = srv.accept()
        except OSError:     # a client that gave up its TLS handshake
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
