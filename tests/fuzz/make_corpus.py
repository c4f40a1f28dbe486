#!/usr/bin/python3
"""Seed corpora for the fuzz targets added with docs/fuzzing.md:
pubkey, sshsig, openssh_key, pkcs8, policy, allowed_signers, cosignature,
tsa, index, ignore, dkim_evidence, bag, consistency, reveal,
tlog_index, dkim_dns, witness_http, tiles, known_hosts, passphrase and
witness_409 (entry, proof and witness have
theirs). Run from anywhere, after building (the index seeds are the cache
files fuzz_index_replay's own archive saved):

    python3 tests/fuzz/make_corpus.py [BUILD_DIR [TARGET...]]
                                  (default: build, every target)

The ignore, dkim_evidence and bag seeds are the same each run (the bags
are tests/data/bags/make-bags.py's, the DKIM messages and key records
tests/data/dkim's).

Writes tests/fuzz/corpus/<target>/ from the fixtures in tests/data, from
keys of fixed seeds (RFC 8032 section 7.1 TEST 1 and TEST 2) with
Python's cryptography package, and with the openssl and ssh-keygen
command lines (the PKCS#8 files, an OpenSSH-made signature and the
RFC 3161 replies, which change each run: the saved corpus is what one
run made). Needs Debian's python3-cryptography, openssl, ssh-keygen.
"""
import base64
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PrivateKey

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(SRC, "tests", "data")
TEST1 = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
TEST2 = bytes.fromhex(
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
SMALL_ORDER = bytes([1]) + bytes(31)          # the identity point
NOT_CANONICAL = bytes([0xee]) + b"\xff" * 30 + b"\x7f"   # y = p + 1
MESSAGE = b"fuzz"


def raw_pub(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def ssh_blob(pub):
    return sshstr(b"ssh-ed25519") + sshstr(pub)


def ssh_line(pub, comment=""):
    line = "ssh-ed25519 " + base64.b64encode(ssh_blob(pub)).decode()
    return line + (" " + comment if comment else "")


def key_id(name, kind, pub):
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) +
                          pub).digest()[:4]


def vkey(name, kind, pub, kid=None):
    kid = key_id(name, kind, pub) if kid is None else kid
    return "%s+%s+%s" % (name, kid.hex(),
                         base64.b64encode(bytes([kind]) + pub).decode())


def out(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(target, name, path):
    with open(path, "rb") as f:
        out(target, name, f.read())


def pubkey(k1, k2):
    p1, p2 = raw_pub(k1), raw_pub(k2)
    for f in ("ed25519-unencrypted.pub", "ed25519-encrypted.pub",
              "rsa-unencrypted.pub"):
        copy("pubkey", "openssh-" + f, os.path.join(DATA, "openssh", f))
    for f in ("c2sp-example.vkey", "go-peter.vkey", "go-enoch.vkey",
              "go-sumdb.vkey"):
        copy("pubkey", "note-" + f, os.path.join(DATA, "note", f))
    out("pubkey", "ssh-test1", ssh_line(p1) + "\n")
    out("pubkey", "ssh-test1-comment", ssh_line(p1, "jane@example") + "\n")
    out("pubkey", "ssh-test1-no-newline", ssh_line(p1))
    out("pubkey", "ssh-options-refused",
        'namespaces="custody" ' + ssh_line(p1) + "\n")
    out("pubkey", "ssh-small-order", ssh_line(SMALL_ORDER) + "\n")
    out("pubkey", "ssh-not-canonical", ssh_line(NOT_CANONICAL) + "\n")
    out("pubkey", "ssh-short-key", ssh_line(p1[:31]) + "\n")
    out("pubkey", "ssh-trailing-blob-bytes", "ssh-ed25519 " +
        base64.b64encode(ssh_blob(p1) + b"\0").decode() + "\n")
    out("pubkey", "vkey-log-test1", vkey("fuzz.example/log", 1, p1) + "\n")
    out("pubkey", "vkey-witness-test2",
        vkey("fuzz.example/witness", 4, p2) + "\n")
    out("pubkey", "vkey-wrong-id",
        vkey("fuzz.example/log", 1, p1, b"\0\0\0\0") + "\n")
    out("pubkey", "vkey-small-order",
        vkey("fuzz.example/log", 1, SMALL_ORDER) + "\n")
    out("pubkey", "vkey-unknown-type", vkey("fuzz.example/log", 2, p1))
    out("pubkey", "vkey-name-with-space", vkey("fuzz example", 1, p1))


def sshsig(k1, tmp):
    p1 = raw_pub(k1)
    hashed = hashlib.sha512(MESSAGE).digest()
    signed = b"SSHSIG" + sshstr(b"custody") + sshstr(b"") + \
        sshstr(b"sha512") + sshstr(hashed)

    def armour(sig_blob):
        blob = b"SSHSIG" + struct.pack(">I", 1) + sshstr(ssh_blob(p1)) + \
            sshstr(b"custody") + sshstr(b"") + sshstr(b"sha512") + \
            sshstr(sig_blob)
        b64 = base64.b64encode(blob).decode()
        lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
        return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + \
            "\n-----END SSH SIGNATURE-----\n"

    sig = k1.sign(signed)
    good = armour(sshstr(b"ssh-ed25519") + sshstr(sig))
    out("sshsig", "valid-test1", good)
    out("sshsig", "refused-s-plus-l", armour(
        sshstr(b"ssh-ed25519") + sshstr(sig[:32] + (
            int.from_bytes(sig[32:], "little") + 2**252 +
            27742317777372353535851937790883648493).to_bytes(32, "little"))))
    out("sshsig", "refused-short-signature", armour(
        sshstr(b"ssh-ed25519") + sshstr(sig[:63])))
    out("sshsig", "refused-bytes-after", good + "x\n")
    # line breaks are the armour's, not the signature's (as ssh-keygen
    # reads it): a blank line (what the fuzzer first found), CRLF
    lines = good.split("\n")
    out("sshsig", "valid-blank-line-in-armour",
        "\n".join(lines[:3] + [""] + lines[3:]))
    out("sshsig", "valid-crlf-no-final-newline",
        good.rstrip("\n").replace("\n", "\r\n") + "\r")
    out("sshsig", "refused-no-end", good.rsplit("-----END", 1)[0])
    out("sshsig", "refused-one-line", good.replace("\n", "", 2))
    # ssh-keygen's own, with the RSA-free OpenSSH fixture key
    key = os.path.join(tmp, "id")
    shutil.copy(os.path.join(DATA, "openssh", "ed25519-unencrypted"), key)
    os.chmod(key, 0o600)
    msg = os.path.join(tmp, "msg")
    with open(msg, "wb") as f:
        f.write(MESSAGE)
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "custody",
                    "-f", key, msg], check=True, capture_output=True)
    copy("sshsig", "valid-ssh-keygen", msg + ".sig")
    os.unlink(msg + ".sig")  # ssh-keygen keeps an existing one
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git",
                    "-f", key, "-O", "hashalg=sha256", msg], check=True,
                   capture_output=True)
    copy("sshsig", "refused-git-sha256", msg + ".sig")


def openssh_key(k1):
    for f in ("ed25519-unencrypted", "ed25519-encrypted", "rsa-unencrypted"):
        copy("openssh_key", f, os.path.join(DATA, "openssh", f))
    out("openssh_key", "test1", k1.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption()))


def pkcs8(k1, tmp):
    plain = os.path.join(tmp, "plain.pem")
    with open(plain, "wb") as f:
        f.write(k1.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))
    copy("pkcs8", "refused-unencrypted", plain)
    for name, args in (("valid-scrypt", ["-scrypt"]),
                       ("valid-pbkdf2-aes256", ["-v2", "aes-256-cbc"]),
                       ("refused-wrong-passphrase", ["-scrypt"])):
        dest = os.path.join(tmp, name)
        password = "wrong" if "wrong" in name else "fuzz"
        subprocess.run(["openssl", "pkcs8", "-topk8", "-in", plain,
                        "-out", dest, "-passout", "pass:" + password] + args,
                       check=True, capture_output=True)
        copy("pkcs8", name, dest)
    # key derivations that cost too much, refused before decryption
    # (the first is what the fuzzer found: scrypt's p made 97)
    with open(os.path.join(HERE, "corpus", "pkcs8", "valid-scrypt")) as f:
        der = pem_der(f.read())
    params = bytes.fromhex("020240000201080201")
    assert der.count(params + b"\x01") == 1
    out("pkcs8", "refused-scrypt-p-97",
        der_pem(der.replace(params + b"\x01", params + b"\x61")))
    with open(os.path.join(HERE, "corpus", "pkcs8",
                           "valid-pbkdf2-aes256")) as f:
        der = pem_der(f.read())
    out("pkcs8", "refused-pbkdf2-2-to-31-iterations",
        der_pem(set_pbkdf2_iterations(der, 2**31 - 1)))
    rsa = os.path.join(tmp, "rsa.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed448", "-out",
                    rsa], check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", rsa, "-out",
                    rsa + ".enc", "-scrypt", "-passout", "pass:fuzz"],
                   check=True, capture_output=True)
    copy("pkcs8", "refused-ed448", rsa + ".enc")


def pem_der(pem):
    body = "".join(line for line in pem.splitlines()
                   if not line.startswith("-----"))
    return base64.b64decode(body)


def der_pem(der):
    b64 = base64.b64encode(der).decode()
    return "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "".join(
        b64[i:i + 64] + "\n" for i in range(0, len(b64), 64)) + \
        "-----END ENCRYPTED PRIVATE KEY-----\n"


def der_read(der, at=0):
    """(tag, content, end) of the DER element at `at`."""
    tag, n = der[at], der[at + 1]
    at += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(der[at:at + k], "big")
        at += k
    return tag, der[at:at + n], at + n


def der_write(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    k = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | k]) + n.to_bytes(k, "big") + content


def der_children(content):
    items, at = [], 0
    while at < len(content):
        tag, body, end = der_read(content, at)
        items.append((tag, body))
        at = end
    return items


def set_pbkdf2_iterations(der, iterations):
    """EncryptedPrivateKeyInfo -> the same with PBKDF2's count changed:
    SEQ { SEQ { pbes2, SEQ { SEQ { pbkdf2, SEQ { salt, iter, ... } },
    enc } }, data }."""
    _, top, _ = der_read(der)
    (t_alg, alg), (t_data, data) = der_children(top)
    (t_oid, oid), (t_p2, p2) = der_children(alg)
    (t_kf, kf), (t_enc, enc) = der_children(p2)
    (t_kid, kid), (t_kp, kp) = der_children(kf)
    kp_items = der_children(kp)
    assert kp_items[1][0] == 0x02
    kp_items[1] = (0x02, iterations.to_bytes(
        (iterations.bit_length() + 8) // 8, "big"))
    kp = b"".join(der_write(t, c) for t, c in kp_items)
    kf = der_write(t_kid, kid) + der_write(t_kp, kp)
    p2 = der_write(t_kf, kf) + der_write(t_enc, enc)
    alg = der_write(t_oid, oid) + der_write(t_p2, p2)
    return der_write(0x30, der_write(t_alg, alg) + der_write(t_data, data))


def policy(k1, k2):
    p1, p2 = raw_pub(k1), raw_pub(k2)
    log = vkey("fuzz.example/log", 1, p1)
    w1 = vkey("fuzz.example/witness", 4, p2)
    w2 = vkey("w2.example", 4, p1)
    out("policy", "valid-one-witness", "log %s https://log.example/\n"
        "witness w1 %s https://w1.example/\nquorum w1\n" % (log, w1))
    out("policy", "valid-groups", "# groups of groups\nlog %s\n\n"
        "witness w1 %s\nwitness w2 %s\ngroup inner all w1\n"
        "group either any inner w2\nquorum either\n" % (log, w1, w2))
    out("policy", "valid-k-of-n", "log %s\nwitness w1 %s\nwitness w2 %s\n"
        "group two 2 w1 w2\nquorum two\n" % (log, w1, w2))
    out("policy", "valid-none", "log %s\nquorum none\n" % log)
    out("policy", "refused-two-quorums",
        "log %s\nquorum none\nquorum none\n" % log)
    out("policy", "refused-undefined", "log %s\nquorum nobody\n" % log)
    out("policy", "refused-no-newline", "log %s\nquorum none" % log)
    out("policy", "refused-same-key-twice", "log %s\nwitness w1 %s\n"
        "witness w3 %s\nquorum w1\n" % (log, w1, w1))


def allowed_signers(k1, k2):
    l1 = ssh_line(raw_pub(k1))
    l2 = ssh_line(raw_pub(k2))
    ns = 'namespaces="git,custody"'
    founder = "# jane: founding member (entry 0)\njane %s %s\n" % (ns, l1)
    out("allowed_signers", "valid-founder", founder)
    out("allowed_signers", "valid-added", founder +
        "# joe: added by entry 3\n"
        'joe %s,valid-after="20261123015426Z" %s\n' % (ns, l2))
    out("allowed_signers", "valid-revoked", founder +
        "# joe: added by entry 3, revoked by entry 7\n"
        'joe %s,valid-after="20261123015426Z",'
        'valid-before="20261124091500Z" %s\n' % (ns, l2))
    out("allowed_signers", "refused-no-comment", "jane %s %s\n" % (ns, l1))
    out("allowed_signers", "refused-nul-byte", founder + "\0not a line\n")
    out("allowed_signers", "refused-only-revoked",
        "# jane: founding member (entry 0), revoked by entry 2\n"
        'jane %s,valid-before="20261124091500Z" %s\n' % (ns, l1))
    out("allowed_signers", "refused-bad-time", founder +
        "# joe: added by entry 3\n"
        'joe %s,valid-after="2026112301542Z" %s\n' % (ns, l2))


def cosignature(k1, k2):
    p1 = raw_pub(k1)
    copy("cosignature", "c2sp-cosigned.note",
         os.path.join(DATA, "cosignature", "c2sp-cosigned.note"))
    copy("cosignature", "c2sp-checkpoint.note",
         os.path.join(DATA, "note", "c2sp-checkpoint.note"))
    text = "fuzz.example/log\n5\n%s\n" % base64.b64encode(
        hashlib.sha256(b"fuzz").digest()).decode()
    log_line = "\u2014 fuzz.example/log %s\n" % base64.b64encode(
        key_id("fuzz.example/log", 1, p1) + k1.sign(text.encode())).decode()

    def cosig(key, name, ts, over=text):
        msg = ("cosignature/v1\ntime %d\n" % ts + over).encode()
        body = key_id(name, 4, raw_pub(key)) + struct.pack(">Q", ts) + \
            key.sign(msg)
        return "\u2014 %s %s\n" % (name, base64.b64encode(body).decode())

    w = cosig(k2, "fuzz.example/witness", 1765000000)
    out("cosignature", "valid-cosigned", text + "\n" + log_line + w)
    out("cosignature", "valid-two-witnesses", text + "\n" + log_line + w +
        cosig(k1, "other.example/witness", 1765000001))
    out("cosignature", "refused-other-checkpoint", text + "\n" + log_line +
        cosig(k2, "fuzz.example/witness", 1765000000,
              text.replace("\n5\n", "\n6\n")))
    out("cosignature", "refused-time-too-big", text + "\n" + log_line +
        cosig(k2, "fuzz.example/witness", 2**63))
    out("cosignature", "not-cosigned", text + "\n" + log_line)
    out("cosignature", "not-a-note", text)


def tsa(tmp):
    pki = os.path.join(tmp, "pki")
    os.mkdir(pki)
    subprocess.run(["sh", os.path.join(DATA, "tsa", "make-pki.sh"), pki],
                   check=True, capture_output=True)
    data = os.path.join(tmp, "data")
    with open(data, "wb") as f:
        f.write(MESSAGE)

    def ts(*args):
        subprocess.run(["openssl", "ts"] + list(args), check=True,
                       capture_output=True)

    q = os.path.join(tmp, "q.tsq")
    ts("-query", "-data", data, "-sha256", "-cert", "-out", q)
    for name, extra in (("valid-response", []),
                        ("valid-token", ["-token_out"])):
        r = os.path.join(tmp, name)
        ts("-reply", "-queryfile", q, "-inkey",
           os.path.join(pki, "tsa.key"), "-signer",
           os.path.join(pki, "tsa.pem"), "-config",
           os.path.join(pki, "tsa.cnf"), "-out", r, *extra)
        copy("tsa", name, r)
    other = os.path.join(tmp, "other")
    with open(other, "wb") as f:
        f.write(b"not fuzz")
    q2 = os.path.join(tmp, "q2.tsq")
    ts("-query", "-data", other, "-sha256", "-out", q2)
    r = os.path.join(tmp, "other-data")
    ts("-reply", "-queryfile", q2, "-inkey", os.path.join(pki, "tsa.key"),
       "-signer", os.path.join(pki, "tsa.pem"), "-config",
       os.path.join(pki, "tsa.cnf"), "-out", r)
    copy("tsa", "refused-other-data", r)
    copy("tsa", "refused-a-query", q)


def index(build):
    folder = os.path.join(HERE, "corpus", "index")
    os.makedirs(folder, exist_ok=True)
    subprocess.run([os.path.join(build, "tests", "fuzz_index_replay"),
                    os.devnull], check=True, capture_output=True,
                   env=dict(os.environ, CUSTODY_FUZZ_SEEDS=folder))
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), 0o644)


def tlog_index(build):
    """fuzz_tlog_index seeds: the cache its own archive saved (the
    replay writes it), and that cache damaged, planted and moved."""
    folder = os.path.join(HERE, "corpus", "tlog_index")
    os.makedirs(folder, exist_ok=True)
    subprocess.run([os.path.join(build, "tests", "fuzz_tlog_index_replay"),
                    os.devnull], check=True, capture_output=True,
                   env=dict(os.environ, CUSTODY_FUZZ_SEEDS=folder))
    path = os.path.join(folder, "as-saved")
    os.chmod(path, 0o644)
    with open(path, "rb") as f:
        saved = f.read()[1:]
    fixed, kept = b"\0", b"\1"
    out("tlog_index", "planted-records", fixed + saved.replace(
        b"publish 5 1 2", b"publish 3 1\nlog-key 4\npublish 5 4"))
    out("tlog_index", "log-key-and-publish", fixed + saved.replace(
        b"publish 4 1\n", b"log-key 2\npublish 4 1 3\n"))
    out("tlog_index", "dkim-records", fixed + saved.replace(
        b"publish 4 1\n", b"log-key 2\ndkim 3 1\npublish 4 1 3\n"))
    out("tlog_index", "dkim-two-messages", fixed + saved.replace(
        b"publish 4 1\n", b"log-key 2\ndkim 3 1 2\npublish 4 1 3\n"))
    out("tlog_index", "version-1", fixed + saved.replace(
        b"tlog-index 2", b"tlog-index 1"))
    out("tlog_index", "no-final-newline", kept + saved[:-1])
    out("tlog_index", "size-beyond-log", fixed + saved.replace(
        b"size 6", b"size 60"))
    out("tlog_index", "smaller-size", fixed + saved.replace(
        b"size 6", b"size 5").replace(b"publish 5 1 2\n", b""))
    out("tlog_index", "other-log", kept + saved.replace(
        saved.split(b"\n")[2][5:], b"0" * 40))
    out("tlog_index", "empty-log", kept + b"custody tlog-index 2\nsize 0\n"
        b"last \n")
    out("tlog_index", "records-out-of-order", fixed + saved.replace(
        b"publish 4 1\npublish 5 1 2", b"publish 5 1 2\npublish 4 1"))


# ---- .custodyignore rules (fuzz_ignore: RULES, then NUL and paths) ----

IGNORE_RULES = """# a comment, then a blank line

*.log
!important.log
/rootonly.txt
build/
doc/frotz/
**/deep/**/x.txt
foo/**
!foo/keep
a?c.md
[ab]*.csv
\\#hash
\\!bang
trail\\ 
*.o
sub/*.tmp
only-dir/
stars/a**b.txt
q/[[]x].txt
\u00fcmlaut/\u00e4*
"""
IGNORE_PATHS = """x.log
important.log
sub/important.log
rootonly.txt
sub/rootonly.txt
build/
build
doc/frotz/
a/doc/frotz/
deep/x.txt
a/deep/b/c/x.txt
foo/bar/baz
foo/keep
abc.md
b1.csv
#hash
!bang
trail 
sub/x.tmp
sub/in/x.tmp
only-dir/
only-dir
stars/a**b.txt
stars/aXYb.txt
q/[x].txt
\u00fcmlaut/\u00e4.txt
"""


def ignore():
    out("ignore", "gitignore-rules", IGNORE_RULES)
    out("ignore", "gitignore-rules-and-paths",
        IGNORE_RULES + "\0" + IGNORE_PATHS)
    out("ignore", "bom-crlf", "\ufeff*.tmp\r\n!keep.tmp\r\nlogs/\r\n\0"
        "a.tmp\nkeep.tmp\nlogs/\nx/logs/\n")
    out("ignore", "double-star-forms", "**/x\na/**/b\na/**\n**\n"
        "/**/c\n\0x\na/x\na/b\na/q/r/b\nc\nz/c\n")
    out("ignore", "escapes-and-classes", "\\\\\n\\*\n[!a]?\n[a-c]\n"
        "[]]x\n[\n\\\n \n  \\ \n!\n/\n//\n\0*\n\\\nb\nd\n]x\n[\n")
    # twelve '**' against 200 folders: hung the matcher that tried
    # every split (lib/src/ignore.c)
    out("ignore", "regression-many-double-stars", "**/" * 12 + "x\n\0" +
        "/".join(["a"] * 200) + "\n")
    out("ignore", "base-folder-rules", "/a\nb/\n!c\n/d/e/\n\0a\n"
        "x/a\nb/\nb\nc\nd/e/\n")


# ---- DKIM evidence (fuzz_dkim_evidence: EVIDENCE, NUL, MESSAGE) ----

def dkim_record(name):
    with open(os.path.join(DATA, "dkim", name), "rb") as f:
        return f.read().strip()


def dkim_evidence_text(message, signatures, observed=1700000000,
                       verdict="pass", arc_keys=()):
    """Evidence as custody writes it; each signature a dict of the
    key-* fields (key-record: the record's bytes, None: "-"); arc_keys,
    the same for the keys of an ARC chain (after "arc-chain pass")."""
    lines = ["custody-dkim/v1",
             "message-sha256 " + hashlib.sha256(message).hexdigest(),
             "observed %d" % observed, "resolver -", "verdict " + verdict]
    for i, sig in enumerate(signatures):
        record = sig.get("record")
        lines += ["signature %d" % (i + 1),
                  "domain " + sig["domain"], "selector " + sig["selector"],
                  "key-query %s._domainkey.%s" % (sig["selector"],
                                                  sig["domain"]),
                  "key-source archived", "key-time %d" % observed,
                  "key-dnssec -", "key-status " + sig.get("status", "ok"),
                  "key-rdata -",
                  "key-record " + (base64.b64encode(record).decode()
                                   if record is not None else "-"),
                  "reason " + sig.get("reason", "-")]
    if arc_keys:
        lines += ["arc-chain pass", "arc-reason -", "arc-failed 0",
                  "arc-oldest-pass 0"]
    for i, key in enumerate(arc_keys):
        record = key.get("record")
        lines += ["arc-key %d" % (i + 1),
                  "key-query %s._domainkey.%s" % (key["selector"],
                                                  key["domain"]),
                  "key-source archived", "key-time %d" % observed,
                  "key-dnssec -", "key-status " + key.get("status", "ok"),
                  "key-rdata -",
                  "key-record " + (base64.b64encode(record).decode()
                                   if record is not None else "-"),
                  "key-reason " + key.get("reason", "-")]
    return ("\n".join(lines) + "\nend\n").encode()


def dkim_evidence():
    with open(os.path.join(DATA, "dkim", "rfc8463-a.eml"), "rb") as f:
        m8463 = f.read()
    with open(os.path.join(DATA, "dkim", "rfc6376-a2.eml"), "rb") as f:
        m6376 = f.read()
    both = [{"domain": "football.example.com", "selector": "brisbane",
             "record": dkim_record("rfc8463-brisbane.txt")},
            {"domain": "football.example.com", "selector": "test",
             "record": dkim_record("rfc8463-test.txt")}]
    good = dkim_evidence_text(m8463, both)

    def seed(name, evidence, message=m8463):
        out("dkim_evidence", name, evidence + b"\0" + message)

    seed("valid-rfc8463-both-keys", good)
    seed("valid-rfc8463-one-key", dkim_evidence_text(m8463, both[:1]))
    seed("valid-rfc8463-nokey", dkim_evidence_text(m8463, [
        dict(both[0], status="nokey", record=None,
             reason="no such record")]))
    seed("valid-rfc8463-wrong-key", dkim_evidence_text(m8463, [
        dict(both[0], record=both[1]["record"]),
        dict(both[1], record=both[0]["record"])]))
    seed("valid-rfc6376", dkim_evidence_text(m6376, [
        {"domain": "example.com", "selector": "brisbane",
         "record": dkim_record("rfc6376-brisbane.txt")}]), m6376)
    seed("valid-expired-at-observation", dkim_evidence_text(
        m8463, both, observed=1000000000))
    seed("valid-no-signature", dkim_evidence_text(
        b"From: a@example\r\n\r\nhello\r\n", [], verdict="none"),
        b"From: a@example\r\n\r\nhello\r\n")
    # an ARC chain (tests/data/dkim/arc-3.eml) and its key
    with open(os.path.join(DATA, "dkim", "arc-3.eml"), "rb") as f:
        marc = f.read()
    arc_key = {"domain": "example.org", "selector": "arc",
               "record": dkim_record("arc-key.txt")}
    seed("valid-arc-3-sets", dkim_evidence_text(
        marc, [], verdict="none", arc_keys=[arc_key]), marc)
    seed("valid-arc-nokey", dkim_evidence_text(
        marc, [], verdict="none", arc_keys=[dict(
            arc_key, status="nokey", record=None,
            reason="no such record")]), marc)
    seed("refused-arc-key-status-pass", dkim_evidence_text(
        marc, [], verdict="none", arc_keys=[dict(arc_key,
                                                 status="pass")]), marc)
    # a status is a result when not "ok": only custody's own are read
    seed("refused-key-status-pass", dkim_evidence_text(m8463, [
        dict(both[0], record=both[1]["record"], status="pass"),
        dict(both[1], record=both[0]["record"], status="pass")]))
    # "ok" with no record: a NULL record was copied (a crash)
    seed("refused-ok-without-key-record", dkim_evidence_text(m8463, [
        dict(both[0], record=None), both[1]]))
    # a NUL inside a record: copied to the NUL, read to its length
    seed("refused-ok-nul-in-key-record", dkim_evidence_text(m8463, [
        dict(both[0], record=b"v=\0DKIM1"), both[1]]))
    seed("refused-other-message", good, m6376)
    seed("refused-no-end", good[:-4])
    seed("refused-first-line", b"custody-dkim/v2" + good[15:])
    seed("refused-short-sha256", good.replace(b"message-sha256 f7",
                                              b"message-sha256 ", 1))
    seed("refused-observed-zero", good.replace(b"observed 1700000000",
                                               b"observed 0", 1))
    seed("refused-bad-base64", good.replace(b"key-record dj1", b"key-record "
                                            b"!j1", 1))
    seed("refused-field-before-signature", good.replace(
        b"verdict pass\n", b"verdict pass\nkey-status ok\n", 1))
    seed("refused-17-signatures", dkim_evidence_text(m8463, both * 8 +
                                                     both[:1]))
    out("dkim_evidence", "refused-no-message", good)


# ---- BagIt (fuzz_bag: "@@ PATH" then the file's bytes, per file) ----

BAG_VALID = {"valid", "valid-all-algorithms", "valid-cr", "valid-crlf",
             "valid-encoded-names", "valid-empty-payload", "valid-utf16",
             "valid-escape-name", "listed-twice-same", "percent-literal",
             "normalisation-twins"}


def bag_text(root, legacy=False):
    """The bag at root in fuzz_bag's input form, and whether every file
    fitted (a name with LF cannot be a marker line)."""
    parts, whole = [], True
    for top, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        rel = os.path.relpath(top, root).encode()
        if not files and not dirs and rel != b".":
            parts.append(b"@@ " + rel + b"/")
        for name in sorted(os.fsencode(f) for f in files):
            path = name if rel == b"." else rel + b"/" + name
            if b"\n" in path:
                whole = False
                continue
            with open(os.path.join(top.encode(), name), "rb") as f:
                body = f.read()
            if b"\n@@ " in body:
                whole = False
                continue
            parts.append(b"@@ " + path + b"\n" + body)
    # the newline before each marker belongs to the marker
    return (b"legacy\n" if legacy else b"") + b"\n".join(parts), whole


def bag(tmp):
    bags = os.path.join(tmp, "bags")
    subprocess.run([sys.executable, os.path.join(DATA, "bags",
                                                 "make-bags.py"), bags],
                   check=True)
    for name in sorted(os.listdir(bags)):
        text, whole = bag_text(os.path.join(bags, name))
        verdict = ("valid-" if name in BAG_VALID else "refused-") \
            if whole else "bag-"
        short = "plain" if name == "valid" else \
            name[6:] if name.startswith("valid-") else name
        out("bag", verdict + short, text)
        if name == "raw-names":
            out("bag", "valid-raw-names-legacy",
                bag_text(os.path.join(bags, name), legacy=True)[0])
    x = hashlib.sha256(b"x").hexdigest().encode()
    out("bag", "refused-newlines-in-listed-paths",
        b"@@ bagit.txt\nBagIt-Version: 1.0\n"
        b"Tag-File-Character-Encoding: UTF-8\n\n@@ data/\n"
        b"@@ manifest-sha256.txt\n" + x + b"  data/a%0Ab\n" + x +
        b"  data/../x%0Dy\n\n@@ fetch.txt\nhttp://x/%0A 3 data/q%0Ar\n")
    out("bag", "refused-empty", b"")
    out("bag", "refused-data-is-a-file",
        b"@@ bagit.txt\nBagIt-Version: 1.0\n"
        b"Tag-File-Character-Encoding: UTF-8\n\n@@ data\nx\n"
        b"@@ manifest-sha256.txt\n")


# ---- consistency proofs and disclosures, from an archive made here ----

def archive_seeds(build, tmp):
    """fuzz_consistency (OLD, NEW, PROOF, KEY) and fuzz_reveal (KEY,
    DISCLOSURE) seeds from an archive the build's custody makes (its key
    is new each run, so these seeds differ each time)."""
    exe = os.path.abspath(os.path.join(build, "cmd", "custody"))
    coll = os.path.join(tmp, "archive")
    env = dict(os.environ, CUSTODY_KEY_DIR=os.path.join(tmp, "keys"),
               CUSTODY_PASSPHRASE="correct horse battery staple",
               CUSTODY_KEY="tester")

    def run(*args):
        done = subprocess.run([exe] + list(args), cwd=coll, env=env,
                              capture_output=True)
        if done.returncode != 0:
            sys.exit("custody %s: %s" % (" ".join(args),
                                         done.stderr.decode()))
        return done.stdout

    os.makedirs(os.path.join(coll, "memos"))
    for name, text in (("memos/budget.txt", "Budget line 1\nBudget 2\n"),
                       ("memos/meeting.txt", "Meeting notes\n"),
                       ("scan.txt", "scanned\n")):
        with open(os.path.join(coll, name), "w") as f:
            f.write(text)
    run("key", "new", "tester")
    run("init", "--origin", "example.org/fuzz")
    # an old size that is not a power of two: a proof of several hashes
    run("add", "memos")
    key = run("key", "export", "--vkey")
    member = run("key", "export", "tester", "--vkey", "--origin",
                 "example.org/fuzz")
    old = run("checkpoint")
    with open(os.path.join(coll, "memos", "more.txt"), "w") as f:
        f.write("more\n")
    with open(os.path.join(coll, "redacted.txt"), "w") as f:
        f.write("Budget line 1\n[redacted]\n")
    run("add", "memos/more.txt", "scan.txt")
    run("derive", "memos/budget.txt", "redacted.txt", "--action", "redact")
    run("publish", "redacted.txt", "--url", "https://example.org/story")
    new = run("checkpoint")
    proof_path = os.path.join(tmp, "consistency")
    with open(os.path.join(tmp, "old"), "wb") as f:
        f.write(old)
    run("consistency", os.path.join(tmp, "old"), "-o", proof_path)
    with open(proof_path, "rb") as f:
        proof = f.read()
    size = new.split(b"\n")[1]

    def c(name, *parts):
        out("consistency", name, b"\0".join(parts))

    c("valid-old-to-new", old, new, proof, key)
    c("valid-same-checkpoint", new, new, b"custody-consistency/v1\nold " +
      size + b"\nnew " + size + b"\n", key)
    c("refused-swapped", new, old, proof, key)
    c("refused-member-key", old, new, proof, member)
    c("refused-no-proof", old, new, b"", key)
    c("refused-hash-changed", old, new, proof[:-3] + (b"A" if proof[-3:-2]
      != b"A" else b"B") + proof[-2:], key)
    c("refused-other-origin", old, new.replace(b"example.org/fuzz",
                                               b"example.org/fuzz2"),
      proof, key)

    disclosure_path = os.path.join(tmp, "disclosure")
    run("reveal", "redacted.txt", "-o", disclosure_path)
    with open(disclosure_path, "rb") as f:
        disclosure = f.read()
    head, derivative, original = disclosure.split(b"\n")[:3]

    def r(name, text, k=key):
        out("reveal", name, k + b"\0" + text)

    r("valid-disclosure", disclosure)
    r("refused-swapped", b"\n".join([head, derivative.replace(
        b"derivative ", b"original ", 1), original.replace(
        b"original ", b"derivative ", 1)]) + b"\n")
    r("refused-member-key", disclosure, member)
    r("refused-no-original", b"\n".join([head, derivative]) + b"\n")
    r("refused-text-after", disclosure + b"more\n")
    r("refused-v1", disclosure.replace(b"custody-reveal/v2",
                                       b"custody-reveal/v1", 1))


# ---- DNS replies for DKIM key records (fuzz_dkim_dns) ----

def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode()
                    for label in name.split(".")) + b"\0"


def dns_strings(text):
    """A TXT RDATA: text in character-strings of at most 255 bytes."""
    return b"".join(bytes([len(text[i:i + 255])]) + text[i:i + 255]
                    for i in range(0, len(text), 255)) or b"\0"


def dns_rr(rtype, rdata, name=b"\xc0\x0c"):
    return name + struct.pack(">HHIH", rtype, 1, 300, len(rdata)) + rdata


def dns_reply(answers, flags=0x8180, rcode=0, count=None):
    query = "brisbane._domainkey.example.com"
    head = struct.pack(">HHHHHH", 0x1234, flags | rcode, 1,
                       len(answers) if count is None else count, 0, 0)
    return (head + dns_name(query) + struct.pack(">HH", 16, 1) +
            b"".join(answers))


def dkim_dns():
    record = dkim_record("rfc8463-brisbane.txt")
    rsa = dkim_record("rfc6376-brisbane.txt")
    txt = 16
    r = lambda name, data: out("dkim_dns", name, data)
    r("valid-one-string", dns_reply([dns_rr(txt, dns_strings(record))]))
    r("valid-rsa", dns_reply([dns_rr(txt, dns_strings(rsa))]))
    r("valid-long-record-in-strings-of-255", dns_reply([dns_rr(
        txt, dns_strings(rsa + b"; n=" + b"x" * 300))]))
    r("valid-split-strings", dns_reply([dns_rr(txt, dns_strings(
        record[:10]) + dns_strings(record[10:]))]))
    r("valid-ad-bit", dns_reply([dns_rr(txt, dns_strings(record))],
                                flags=0x81a0))
    cname = dns_rr(5, dns_name("key.example.net"))
    r("valid-after-a-cname", dns_reply([cname, dns_rr(
        txt, dns_strings(record), name=dns_name("key.example.net"))]))
    r("valid-empty-string", dns_reply([dns_rr(txt, b"\0")]))
    r("refused-no-answer", dns_reply([]))
    r("refused-only-a-cname", dns_reply([cname]))
    r("refused-two-txt-records", dns_reply([
        dns_rr(txt, dns_strings(record)), dns_rr(txt, dns_strings(b"v=x"))]))
    r("refused-string-past-record", dns_reply([dns_rr(
        txt, bytes([200]) + record[:50])]))
    r("refused-nul-in-record", dns_reply([dns_rr(
        txt, dns_strings(record[:5] + b"\0" + record[5:]))]))
    r("refused-answer-count-too-high", dns_reply([dns_rr(
        txt, dns_strings(record))], count=2))
    whole = dns_reply([dns_rr(txt, dns_strings(record))])
    r("refused-cut-short", whole[:len(whole) - 7])
    r("refused-header-only", whole[:12])
    r("refused-empty", b"")
    # the TXT record was kept from a reply whose next record is broken
    r("refused-txt-then-a-broken-record", dns_reply([dns_rr(
        txt, dns_strings(record)), dns_rr(txt, b"\3v=x",
                                          name=b"\xc0\xf2")]))


def tiles(build):
    """The seeds fuzz_tiles_replay's own store made (its roots)."""
    folder = os.path.join(HERE, "corpus", "tiles")
    os.makedirs(folder, exist_ok=True)
    subprocess.run([os.path.join(build, "tests", "fuzz_tiles_replay"),
                    "/dev/null"], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, CUSTODY_FUZZ_SEEDS=folder))


# ---- known_hosts (fuzz_known_hosts: HOST, NUL, FILE) ----

def known_hosts(k1):
    import hmac
    key = base64.b64encode(ssh_blob(raw_pub(k1))).decode()
    other = base64.b64encode(ssh_blob(bytes(31) + b"\x01")).decode()
    salt = bytes(range(20))
    def hashed(host):
        mac = hmac.new(salt, host.encode(), "sha1").digest()
        return "|1|%s|%s" % (base64.b64encode(salt).decode(),
                             base64.b64encode(mac).decode())
    line = "partner.example ssh-ed25519 " + key + "\n"
    r = lambda name, text, host="": out("known_hosts", name,
                                        host.encode() + b"\0" + text.encode())
    r("valid-plain", line)
    r("valid-hashed", hashed("partner.example") + " ssh-ed25519 " + key +
      " comment\n")
    r("valid-bracket-port", "[partner.example]:2222 ssh-ed25519 " + key +
      "\n")
    r("valid-in-a-list", "a.example,partner.example,b.example\t"
      "ssh-ed25519\t" + key + "\r\n")
    r("valid-among-others", "# custody partners\n\n"
      "other.example ssh-ed25519 " + key + "\n"
      "partner.example ssh-ed25519 " + other + "\n" + line)
    r("valid-other-host-name", "git.example.org ssh-ed25519 " + key + "\n",
      "git.example.org")
    r("refused-empty", "")
    r("refused-other-host", "other.example ssh-ed25519 " + key + "\n")
    r("refused-other-key", "partner.example ssh-ed25519 " + other + "\n")
    r("refused-revoked", "@revoked partner.example ssh-ed25519 " + key +
      "\n" + line)
    r("refused-revoked-after-known", line + "@revoked partner.example "
      "ssh-ed25519 " + key + "\n")
    r("refused-cert-authority", "@cert-authority partner.example "
      "ssh-ed25519 " + key + "\n")
    r("refused-wildcard", "*.example ssh-ed25519 " + key + "\n")
    r("refused-comment", "#" + line)
    r("refused-hashed-other-host", hashed("other.example") +
      " ssh-ed25519 " + key + "\n")
    r("refused-bracket-other-host", "[partner.example.evil]:22 "
      "ssh-ed25519 " + key + "\n")
    r("refused-key-cut-short", "partner.example ssh-ed25519 " +
      key[:-4] + "\n")
    # fgets cut this at 16,895 bytes and read the rest as a line: known
    r("refused-comment-over-16-kib", "#" + "x" * 16894 + line)


# ---- passphrase files (fuzz_passphrase) ----

def passphrase():
    r = lambda name, data: out("passphrase", name, data)
    r("valid-line", "correct horse battery staple\n")
    r("valid-no-newline", "correct horse battery staple")
    r("valid-crlf-and-more-lines", "s3cret\r\nsecond line\n")
    r("valid-empty-line", "\n")
    r("valid-1024-bytes", "x" * 1024 + "\n")
    r("valid-1024-bytes-crlf", "x" * 1024 + "\r\n")
    r("valid-utf8", "pässwört ✓\n")
    r("refused-empty", "")
    r("refused-1025-bytes", "x" * 1025 + "\n")
    r("refused-1025-bytes-no-newline", "x" * 1025)
    # read as "abc" once: the bytes after a NUL went unread
    r("refused-nul-byte", "abc\0def\n")


# ---- a witness's 409 answer to cosign (fuzz_witness_409) ----

def witness_409():
    r = lambda name, data: out("witness_409", name, data)
    r("valid-size", "10\n")
    r("valid-zero", "0\n")
    r("valid-no-newline", "123456")
    r("valid-largest", "18446744073709551615\n")
    r("refused-empty", "")
    r("refused-newline-only", "\n")
    r("refused-over-64-bits", "18446744073709551616\n")
    r("refused-leading-zero", "010\n")
    r("refused-text-after", "10 cosigned already\n")
    r("refused-two-lines", "10\n11\n")
    r("refused-crlf", "10\r\n")
    r("refused-sign", "+10\n")
    r("refused-space-before", " 10\n")


# ---- witness serve's request heads (fuzz_witness_http) ----

def witness_http():
    h = b"a" * 64
    body = b"old 0\n\nexample.com/log\n1\nAAAA\n\n"
    add = b"POST /add-checkpoint HTTP/1.1\r\n"
    r = lambda name, data: out("witness_http", name, data)
    r("valid-add-checkpoint", add + b"Host: w.example\r\nContent-Length: "
      b"%d\r\n\r\n" % len(body) + body)
    r("valid-add-checkpoint-head-only", add + b"content-length:\t12 \r\n"
      b"Expect: 100-continue\r\n\r\n")
    r("valid-add-checkpoint-http10", b"POST /add-checkpoint HTTP/1.0\r\n"
      b"CONTENT-LENGTH: 0\r\n\r\n")
    r("valid-latest-get", b"GET /" + h + b"/checkpoint HTTP/1.1\r\n"
      b"Host: w\r\n\r\n")
    r("valid-latest-head", b"HEAD /" + h + b"/checkpoint HTTP/1.1\r\n\r\n")
    r("refused-no-empty-line", add + b"Content-Length: 3\r\n")
    r("refused-bad-request-line", b"POST /add-checkpoint\r\n\r\n")
    r("refused-http2", b"GET / HTTP/2.0\r\n\r\n")
    r("refused-two-lengths", add + b"Content-Length: 1\r\n"
      b"Content-Length: 1\r\n\r\nx")
    r("refused-length-not-digits", add + b"Content-Length: 0x10\r\n\r\n")
    r("refused-length-over-128k", add + b"Content-Length: 131073\r\n\r\n")
    r("refused-huge-length", add + b"Content-Length: " + b"9" * 26 +
      b"\r\n\r\n")
    r("refused-chunked", add + b"Transfer-Encoding: chunked\r\n\r\n"
      b"0\r\n\r\n")
    r("refused-get-add-checkpoint", b"GET /add-checkpoint HTTP/1.1\r\n\r\n")
    r("refused-post-latest", b"POST /" + h + b"/checkpoint HTTP/1.1\r\n"
      b"Content-Length: 0\r\n\r\n")
    r("refused-no-length", add + b"\r\n")
    r("refused-extra-bytes", add + b"Content-Length: 2\r\n\r\nabc")
    r("refused-unknown-target", b"GET /index.html HTTP/1.1\r\n\r\n")
    r("refused-uppercase-hash", b"GET /" + h.upper() +
      b"/checkpoint HTTP/1.1\r\n\r\n")
    # a NUL cut the target short: routed as /add-checkpoint, cosigned
    r("refused-nul-after-add-checkpoint",
      b"GET /add-checkpoint\0 HTTP/1.1\r\n\r\n")
    r("refused-tab-in-method", b"POS\tT /add-checkpoint HTTP/1.1\r\n"
      b"Content-Length: 0\r\n\r\n")
    r("refused-non-ascii-target", "GET /café HTTP/1.1\r\n\r\n")


TARGETS = ("pubkey", "sshsig", "openssh_key", "pkcs8", "policy",
           "allowed_signers", "cosignature", "tsa", "index", "ignore",
           "dkim_evidence", "bag", "consistency", "reveal", "tlog_index",
           "dkim_dns", "witness_http", "tiles", "known_hosts",
           "passphrase", "witness_409")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRC, "build")
    only = set(sys.argv[2:]) or set(TARGETS)
    if "reveal" in only:
        only.add("consistency")
    unknown = only - set(TARGETS)
    if unknown:
        sys.exit("make_corpus.py: no such target: " +
                 " ".join(sorted(unknown)))
    k1 = Ed25519PrivateKey.from_private_bytes(TEST1)
    k2 = Ed25519PrivateKey.from_private_bytes(TEST2)
    with tempfile.TemporaryDirectory() as tmp:
        makers = {
            "pubkey": lambda: pubkey(k1, k2),
            "sshsig": lambda: sshsig(k1, tmp),
            "openssh_key": lambda: openssh_key(k1),
            "pkcs8": lambda: pkcs8(k1, tmp),
            "policy": lambda: policy(k1, k2),
            "allowed_signers": lambda: allowed_signers(k1, k2),
            "cosignature": lambda: cosignature(k1, k2),
            "tsa": lambda: tsa(tmp),
            "index": lambda: index(build),
            "ignore": ignore,
            "dkim_evidence": dkim_evidence,
            "bag": lambda: bag(tmp),
            "consistency": lambda: archive_seeds(build, tmp),
            "reveal": lambda: None,     # made with consistency's
            "tlog_index": lambda: tlog_index(build),
            "dkim_dns": dkim_dns,
            "witness_http": witness_http,
            "tiles": lambda: tiles(build),
            "known_hosts": lambda: known_hosts(k1),
            "passphrase": passphrase,
            "witness_409": witness_409,
        }
        for target in TARGETS:
            if target in only:
                makers[target]()


if __name__ == "__main__":
    main()
