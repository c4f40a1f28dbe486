#!/usr/bin/env python3
"""Make the verifier corpus: a real archive made with custody, its proofs,
and each tampering custody's own tests do, one case a line.

    make-corpus.py CUSTODY OUT_DIR

OUT_DIR gets files/ (documents, proofs, keys, checkpoints, certificates)
and cases.tsv: NAME DOCUMENT PROOF KEY SAVED CONSISTENCY TSA_CA VERDICT
STEP, tab-separated, "-" for none; VERDICT is "ok" or "failed", STEP the
step `custody check` names when it fails. tests/browser/t-corpus.sh runs
every case through `custody check` and through the page. The committed
copy in tests/data/verifier/ is made by

    tests/data/verifier/make-corpus.py build/cmd/custody tests/data/verifier
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

CUSTODY = os.path.abspath(sys.argv[1])
OUT = os.path.abspath(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
PKI_SCRIPT = os.path.join(HERE, "..", "tsa", "make-pki.sh")
FILES = os.path.join(OUT, "files")
cases = []

work = tempfile.mkdtemp(prefix="custody-corpus.")
env = dict(os.environ, CUSTODY_PASSPHRASE="correct horse battery staple",
           CUSTODY_KEY_DIR=os.path.join(work, "keys"), CUSTODY_KEY="tester")
for k in ("CUSTODY_ARCHIVE",):
    env.pop(k, None)


def sh(*args, cwd=None, stdin=None):
    r = subprocess.run(args, cwd=cwd, env=env, input=stdin,
                       capture_output=True)
    if r.returncode != 0:
        sys.exit("make-corpus: %s failed: %s" % (" ".join(args),
                                                 r.stderr.decode()))
    return r.stdout


def custody(*args, cwd=None):
    return sh(CUSTODY, *args, cwd=cwd or coll)


def put(name, data):
    path = os.path.join(FILES, name)
    with open(path, "wb") as f:
        f.write(data)
    return name


def get(name):
    with open(os.path.join(FILES, name), "rb") as f:
        return f.read()


def case(name, doc, proof, key, verdict, step="-", saved="-",
         consistency="-", tsa="-"):
    cases.append((name, doc, proof, key, saved, consistency, tsa, verdict,
                  step))


def flip_b64(text, at=None):
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2 if at is None else at] ^= 1
    return base64.b64encode(bytes(raw))


def mutate(proof, kind):
    """One change to a proof, as tests/cli/t-check.sh's mutate_proof."""
    lines = proof.split(b"\n")
    start = lines.index(b"c2sp.org/tlog-proof@v1")
    i = start + 1
    extra = base64.b64decode(lines[i][6:])
    if kind == "entry-index":
        lines[i] = b"extra " + base64.b64encode(
            extra.replace(b"\nindex: ", b"\nindex: 1", 1))
    elif kind == "entry-yaml":
        lines[i] = b"extra " + base64.b64encode(
            extra.replace(b'type: "register"', b"type: register"))
    elif kind == "entry-salt":
        at = extra.index(b'salt: "') + 7
        c = b"1" if extra[at:at + 1] != b"1" else b"2"
        lines[i] = b"extra " + base64.b64encode(extra[:at] + c +
                                                extra[at + 1:])
    elif kind == "entry-size":
        lines[i] = b"extra " + base64.b64encode(
            extra.replace(b"\nsize: ", b"\nsize: 1", 1))
    elif kind == "entry-sha256":
        at = extra.index(b'sha256: "') + 9
        c = b"0" if extra[at:at + 1] != b"0" else b"1"
        lines[i] = b"extra " + base64.b64encode(extra[:at] + c +
                                                extra[at + 1:])
    elif kind == "no-extra":
        del lines[i]
    elif kind == "index":
        j = i + 1
        lines[j] = b"index " + str(int(lines[j][6:]) + 1).encode()
    elif kind == "hash":
        j = lines.index(b"", start) - 1
        lines[j] = flip_b64(lines[j])
    elif kind == "hash-removed":
        j = lines.index(b"", start) - 1
        del lines[j]
    elif kind == "hash-added":
        j = lines.index(b"", start)
        lines.insert(j, base64.b64encode(bytes(32)))
    elif kind == "checkpoint-size":
        j = lines.index(b"", start) + 2
        lines[j] = str(int(lines[j]) + 1).encode()
    elif kind == "checkpoint-root":
        j = lines.index(b"", start) + 3
        lines[j] = flip_b64(lines[j])
    elif kind == "signature":
        j = len(lines) - 2
        name, sig = lines[j].rsplit(b" ", 1)
        lines[j] = name + b" " + flip_b64(sig)
    elif kind == "signature-removed":
        del lines[-2]
    elif kind == "unknown-line":
        lines.insert(1, b"comment hello")
    elif kind == "v1":
        lines[0] = b"custody-proof/v1"
    else:
        raise ValueError(kind)
    return b"\n".join(lines)


def header_line(proof, keyword, change):
    out = []
    for line in proof.split(b"\n"):
        if line.startswith(keyword + b" "):
            line = change(line)
            if line is None:
                continue
        out.append(line)
    return b"\n".join(out)


try:
    os.makedirs(FILES, exist_ok=True)
    for old in os.listdir(FILES):
        os.unlink(os.path.join(FILES, old))
    os.makedirs(env["CUSTODY_KEY_DIR"])
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester", "-f",
       os.path.join(work, "tester.ssh"))
    coll = os.path.join(work, "coll")
    os.makedirs(os.path.join(coll, "memos"))
    docs = {
        "budget.txt": b"Budget line 1\nBudget line 2\n",
        "meeting.txt": b"Meeting notes\nAttendees: A, B\n",
        "report.pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "unpublished.txt": b"Not published yet\n",
    }
    for name, data in docs.items():
        with open(os.path.join(coll, "memos", name), "wb") as f:
            f.write(data)
        put(name, data)
    sh(CUSTODY, "key", "import", os.path.join(work, "tester.ssh"), cwd=work)
    custody("init", "--origin", "example.org/leaks")
    custody("add", ".")
    put("outlet.vkey", custody("key", "export", "--vkey"))
    put("outlet.pub", b" ".join(custody("key", "export", "--outlet")
                                .split(b" ")[:2]) + b"\n")
    put("saved-early.checkpoint", custody("checkpoint"))
    custody("publish", "memos/budget.txt", "--url",
            "https://example.org/story")
    with open(os.path.join(coll, "memos", "redacted.txt"), "wb") as f:
        f.write(b"Budget line 1\n[redacted]\n")
    put("redacted.txt", b"Budget line 1\n[redacted]\n")
    custody("derive", "memos/budget.txt", "memos/redacted.txt", "--action",
            "redact")
    custody("publish", "memos/meeting.txt", "memos/redacted.txt", "--url",
            "https://example.org/meeting", "--title", "Notes of the meeting")
    for i in range(5):
        with open(os.path.join(coll, "memos", "later%d.txt" % i), "wb") as f:
            f.write(b"later %d\n" % i)
    custody("add", ".")
    custody("publish", "memos/report.pdf", "--url",
            "https://example.org/report")
    # a timestamp by the test TSA (tests/data/tsa/make-pki.sh)
    pki = os.path.join(work, "pki")
    os.makedirs(pki)
    sh("sh", PKI_SCRIPT, pki)
    custody("timestamp", "request", "-o", os.path.join(work, "q.tsq"))
    sh("openssl", "ts", "-reply", "-queryfile", os.path.join(work, "q.tsq"),
       "-inkey", os.path.join(pki, "tsa.key"), "-signer",
       os.path.join(pki, "tsa.pem"), "-config", os.path.join(pki, "tsa.cnf"),
       "-out", os.path.join(work, "r.tsr"))
    custody("timestamp", "add", os.path.join(work, "r.tsr"), "--tsa-ca",
            os.path.join(pki, "ca.pem"))
    shutil.copy(os.path.join(pki, "ca.pem"), os.path.join(FILES, "ca.pem"))
    shutil.copy(os.path.join(pki, "other-ca.pem"),
                os.path.join(FILES, "other-ca.pem"))
    put("saved.checkpoint", custody("checkpoint"))
    custody("add", ".")  # nothing new: the checkpoint stays

    def proof(doc, name, *more):
        custody("proof", "memos/" + doc, "-o", os.path.join(FILES, name),
                *more)
        return get(name)

    stamped = proof("budget.txt", "budget.proof")
    with open(os.path.join(coll, "memos", "newer.txt"), "wb") as f:
        f.write(b"newer\n")
    custody("add", ".")
    put("saved-newer.checkpoint", custody("checkpoint"))
    put("newer.txt", b"newer\n")
    proof("unpublished.txt", "unpublished.proof")
    # registered after the timestamp: its proof has none
    plain = proof("newer.txt", "newer.proof")
    late = proof("report.pdf", "report.proof")
    meeting = proof("meeting.txt", "meeting.proof")
    derived = proof("redacted.txt", "redacted.proof")
    disclosed = proof("budget.txt", "budget-path.proof", "--disclose",
                      "path")
    disclosed2 = proof("budget.txt", "budget-path-actor.proof", "--disclose",
                       "path,actor")
    put("consistency.proof", custody("consistency", os.path.join(
        FILES, "saved-early.checkpoint")))
    put("consistency-same.proof", custody("consistency", os.path.join(
        FILES, "saved.checkpoint")))

    # an e-mail message signed by the build's test signer
    # (tests/cli/dkim-sign, libopendkim), its DKIM verdict recorded from
    # a key record in a file: its proof carries the dkim entry
    sign = os.path.join(os.path.dirname(CUSTODY), "..", "tests", "cli",
                        "dkim-sign")
    rsa = os.path.join(work, "dkim.pem")
    sh("openssl", "genrsa", "-out", rsa, "2048")
    der = sh("openssl", "rsa", "-in", rsa, "-pubout", "-outform", "DER")
    with open(os.path.join(work, "dkim.txt"), "wb") as f:
        f.write(b"v=DKIM1; k=rsa; p=" + base64.b64encode(der))
    mail = sh(sign, rsa, "rsa", "example.org", "relaxed/relaxed",
              "rsa-sha256", stdin=b"From: Joe <joe@example.org>\r\n"
              b"To: Sue <sue@example.net>\r\nSubject: the budget\r\n"
              b"\r\nThe numbers are attached.\r\n")
    with open(os.path.join(coll, "memos", "mail.eml"), "wb") as f:
        f.write(mail)
    put("mail.eml", mail)
    custody("add", "memos/mail.eml")
    custody("dkim", "memos/mail.eml", "--key-record",
            os.path.join(work, "dkim.txt"))
    dkim = proof("mail.eml", "mail.proof")

    # another outlet's key and its checkpoint
    other = os.path.join(work, "other")
    os.makedirs(other)
    custody("init", "--origin", "example.org/other", cwd=other)
    put("other-outlet.vkey", custody("key", "export", "--vkey", cwd=other))
    put("other-outlet.pub", b" ".join(custody(
        "key", "export", "--outlet", cwd=other).split(b" ")[:2]) + b"\n")
    fork = custody("checkpoint", cwd=other)

    vk, pub = "outlet.vkey", "outlet.pub"
    # -- good proofs
    case("good-unpublished", "newer.txt", "newer.proof", vk, "ok")
    case("good-dkim", "mail.eml", "mail.proof", vk, "ok")
    case("good-unpublished-timestamped", "unpublished.txt",
         "unpublished.proof", vk, "ok", tsa="ca.pem")
    case("good-unpublished-ssh-key", "newer.txt", "newer.proof",
         pub, "ok")
    case("good-published", "meeting.txt", "meeting.proof", vk, "ok")
    case("good-published-later", "report.pdf", "report.proof", vk, "ok")
    case("good-derivative", "redacted.txt", "redacted.proof", vk, "ok")
    case("good-disclosed-path", "budget.txt", "budget-path.proof", vk, "ok")
    case("good-disclosed-path-actor", "budget.txt",
         "budget-path-actor.proof", vk, "ok")
    case("good-timestamp", "budget.txt", "budget.proof", vk, "ok")
    case("good-timestamp-trusted", "budget.txt", "budget.proof", vk, "ok",
         tsa="ca.pem")
    case("good-timestamp-ssh-key", "budget.txt", "budget.proof", pub, "ok",
         tsa="ca.pem")
    case("good-consistency", "newer.txt", "newer.proof", vk, "ok",
         saved="saved-early.checkpoint", consistency="consistency.proof")
    case("good-saved-same-size", "newer.txt", "newer.proof", vk,
         "ok", saved="saved-newer.checkpoint")
    put("budget-nots.proof", header_line(stamped, b"timestamp",
                                         lambda l: None))
    case("good-timestamp-left-out", "budget.txt", "budget-nots.proof", vk,
         "ok")

    # -- the document
    d = bytearray(docs["budget.txt"])
    d[3] ^= 0x20
    case("document-byte", put("budget-byte.txt", bytes(d)), "budget.proof",
         vk, "failed", "file")
    case("document-truncated", put("budget-short.txt",
         docs["budget.txt"][:-1]), "budget.proof", vk, "failed", "file")
    case("document-padded", put("budget-long.txt",
         docs["budget.txt"] + b"\n"), "budget.proof", vk, "failed", "file")
    case("document-crlf", put("budget-crlf.txt",
         docs["budget.txt"].replace(b"\n", b"\r\n")), "budget.proof", vk,
         "failed", "file")
    case("document-another", "meeting.txt", "budget.proof", vk, "failed",
         "file")
    case("document-empty", put("empty.txt", b""), "unpublished.proof", vk,
         "failed", "file")

    # -- the proof's entry, hashes, checkpoint and signature
    for kind, step in [("entry-index", "entry"), ("entry-yaml", "entry"),
                       ("no-extra", "entry"), ("index", "entry"),
                       ("entry-salt", "inclusion"),
                       ("entry-size", "file"), ("entry-sha256", "file"),
                       ("hash", "inclusion"), ("hash-removed", "inclusion"),
                       ("hash-added", "inclusion"),
                       ("checkpoint-size", "signature"),
                       ("checkpoint-root", "signature"),
                       ("signature", "signature"),
                       ("signature-removed", "proof"),
                       ("unknown-line", "proof"), ("v1", "proof")]:
        name = "proof-%s.proof" % kind
        put(name, mutate(plain, kind))
        case("proof-" + kind, "newer.txt", name, vk, "failed", step)
    put("proof-truncated.proof", plain[:len(plain) // 2])
    case("proof-truncated", "newer.txt", "proof-truncated.proof", vk,
         "failed", "proof")
    put("proof-last-byte.proof", plain[:-1])
    case("proof-last-byte-cut", "newer.txt", "proof-last-byte.proof",
         vk, "failed", "proof")
    put("proof-padded.proof", plain + b"\n")
    case("proof-padded", "newer.txt", "proof-padded.proof", vk,
         "failed", "proof")
    put("proof-crlf.proof", plain.replace(b"\n", b"\r\n"))
    case("proof-crlf", "newer.txt", "proof-crlf.proof", vk, "failed",
         "proof")
    put("proof-empty.proof", b"")
    case("proof-empty", "newer.txt", "proof-empty.proof", vk,
         "failed", "proof")

    # -- the key
    case("key-another-outlet", "newer.txt", "newer.proof",
         "other-outlet.vkey", "failed", "signature")
    case("key-another-outlet-ssh", "newer.txt", "newer.proof",
         "other-outlet.pub", "failed", "signature")
    case("key-garbage", "newer.txt", "newer.proof",
         put("garbage.key", b"not a key\n"), "failed", "key")
    v = get(vk).decode().strip()
    bad_id = v.split("+")
    bad_id[1] = "%08x" % (int(bad_id[1], 16) ^ 1)
    case("key-wrong-key-id", "newer.txt", "newer.proof",
         put("wrong-id.vkey", "+".join(bad_id).encode() + b"\n"), "failed",
         "key")

    # -- disclosures
    def change_value(line):
        w = line.split(b" ")
        w[3] = base64.b64encode(base64.b64decode(w[3]) + b"x")
        return b" ".join(w)
    put("disclosed-value.proof", header_line(disclosed, b"disclose",
                                             change_value))
    case("disclosure-value", "budget.txt", "disclosed-value.proof", vk,
         "failed", "disclosure")

    def change_commit(line):
        w = line.split(b" ")
        w[2] = flip_b64(w[2])
        return b" ".join(w)
    put("disclosed-commitment.proof", header_line(
        disclosed2, b"commitment", lambda l: change_commit(l)
        if l.startswith(b"commitment actor") else l))
    case("disclosure-commitment", "budget.txt", "disclosed-commitment.proof",
         vk, "failed", "disclosure")
    put("disclosed-no-commitments.proof", header_line(
        disclosed, b"commitment", lambda l: None))
    case("disclosure-without-commitments", "budget.txt",
         "disclosed-no-commitments.proof", vk, "failed", "disclosure")

    # -- the dkim entry and its pair proof beside the message
    put("dkim-entry.proof", header_line(
        dkim, b"dkim", lambda l: b"dkim " + base64.b64encode(
            base64.b64decode(l[5:]).replace(b"key-bits 2048",
                                            b"key-bits 4096"))))
    case("dkim-entry", "mail.eml", "dkim-entry.proof", vk, "failed", "dkim")
    if b"\ndkim-path " in dkim:
        bad_path = header_line(dkim, b"dkim-path",
                               lambda l: b"dkim-path " + flip_b64(l[10:]))
    else:
        bad_path = header_line(dkim, b"dkim", lambda l: l +
                               b"\ndkim-path " + base64.b64encode(bytes(32)))
    put("dkim-path.proof", bad_path)
    case("dkim-path", "mail.eml", "dkim-path.proof", vk, "failed", "dkim")

    # -- publication
    def change_url(line):
        w = line.split(b" ")
        w[6] = base64.b64encode(base64.b64decode(w[6]).replace(
            b"example.org", b"example.net"))
        return b" ".join(w)
    put("publication-url.proof", header_line(meeting, b"publication",
                                             change_url))
    case("publication-url", "meeting.txt", "publication-url.proof", vk,
         "failed", "publication")

    def change_date(line):
        w = line.split(b" ")
        w[5] = b"2020" + w[5][4:]
        return b" ".join(w)
    put("publication-date.proof", header_line(meeting, b"publication",
                                              change_date))
    case("publication-date", "meeting.txt", "publication-date.proof", vk,
         "failed", "publication")
    put("publication-path.proof", header_line(
        late, b"publication-path", lambda l: b"publication-path " +
        flip_b64(l.split(b" ")[1])))
    case("publication-path", "report.pdf", "publication-path.proof", vk,
         "failed", "publication")
    put("publication-bad-time.proof", header_line(
        meeting, b"publication", lambda l: l.replace(b"Z ", b" ", 1)))
    case("publication-bad-time", "meeting.txt", "publication-bad-time.proof",
         vk, "failed", "proof")

    # -- consistency with a saved checkpoint
    case("consistency-missing-proof", "newer.txt", "newer.proof",
         vk, "failed", "consistency", saved="saved-early.checkpoint")
    case("consistency-wrong-proof", "newer.txt", "newer.proof",
         vk, "failed", "consistency", saved="saved-early.checkpoint",
         consistency="consistency-same.proof")
    put("fork.checkpoint", fork)
    case("consistency-another-key", "newer.txt", "newer.proof",
         vk, "failed", "consistency", saved="fork.checkpoint")

    # -- timestamp
    put("budget-token.proof", header_line(
        stamped, b"timestamp", lambda l: b"timestamp " +
        flip_b64(l.split(b" ")[1])))
    case("timestamp-token-byte", "budget.txt", "budget-token.proof", vk,
         "failed", "timestamp")
    # the token's last byte (its signature), and one in its first third
    # (the TSTInfo or the certificate)
    for where, at in [("end", -1), ("third", None)]:
        name = "budget-token-%s.proof" % where
        put(name, header_line(stamped, b"timestamp", lambda l: b"timestamp " +
            flip_b64(l.split(b" ")[1], at if at is not None else
                     len(base64.b64decode(l.split(b" ")[1])) // 3)))
        case("timestamp-token-" + where, "budget.txt", name, vk, "failed",
             "timestamp")
    case("timestamp-untrusted-authority", "budget.txt", "budget.proof", vk,
         "failed", "timestamp", tsa="other-ca.pem")
    tok = [l for l in stamped.split(b"\n") if l.startswith(b"timestamp ")][0]
    put("newer-token.proof", plain.replace(
        b"custody-proof/v3\n", b"custody-proof/v3\n" + tok + b"\n", 1))
    case("timestamp-of-another-checkpoint", "newer.txt",
         "newer-token.proof", vk, "failed", "timestamp")

    # -- a witness policy: three witnesses, a quorum of two. Their keys
    # and cosignatures are made here (c2sp.org/tlog-cosignature), over
    # the proofs' own checkpoints.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import \
        Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, \
        PublicFormat

    def witness(name):
        key = Ed25519PrivateKey.generate()
        pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
        vkey = "%s+%s+%s" % (name, kid.hex(),
                             base64.b64encode(b"\x04" + pub).decode())
        return {"name": name, "key": key, "kid": kid, "vkey": vkey}

    ws = [witness("w%d.example" % i) for i in range(3)]

    def policy(log_vkey, quorum="two"):
        return ("log %s\n" % log_vkey + "".join(
            "witness w%d %s\n" % (i, w["vkey"]) for i, w in enumerate(ws)) +
            "group two 2 w0 w1 w2\nquorum %s\n" % quorum).encode()

    def cosign(proof, which, when=1790000000, forge=False):
        head, tail = proof.split(b"\n\n" + get(vk).split(b"+")[0] + b"\n",
                                 1)
        note = get(vk).split(b"+")[0] + b"\n" + tail
        text = note[:note.rindex(b"\n\n") + 1]
        lines = b""
        for i in which:
            w = ws[i]
            msg = b"cosignature/v1\ntime %d\n" % when + text
            sig = w["key"].sign(msg if not forge else msg + b"x")
            lines += ("\u2014 %s " % w["name"]).encode() + base64.b64encode(
                w["kid"] + when.to_bytes(8, "big") + sig) + b"\n"
        return head + b"\n\n" + note + lines

    pol = put("policy.txt", policy(get(vk).decode().strip()))
    put("policy-other-log.txt", policy(get("other-outlet.vkey").decode()
                                       .strip()))
    put("policy-none.txt", policy(get(vk).decode().strip(), "none"))
    put("newer-2-cosigned.proof", cosign(plain, [0, 2]))
    put("newer-1-cosigned.proof", cosign(plain, [1]))
    put("newer-forged-cosigned.proof", cosign(plain, [0, 1], forge=True))
    put("newer-future-cosigned.proof", cosign(plain, [0, 1],
                                              when=4102444800))
    put("budget-cosigned.proof", cosign(stamped, [0, 1, 2]))
    case("good-policy-quorum", "newer.txt", "newer-2-cosigned.proof", pol,
         "ok")
    case("good-policy-timestamp", "budget.txt", "budget-cosigned.proof",
         pol, "ok", tsa="ca.pem")
    case("good-policy-quorum-none", "newer.txt", "newer.proof",
         "policy-none.txt", "ok")
    case("policy-quorum-not-met", "newer.txt", "newer-1-cosigned.proof",
         pol, "failed", "cosignature")
    case("policy-not-cosigned", "newer.txt", "newer.proof", pol, "failed",
         "cosignature")
    case("policy-forged-cosignature", "newer.txt",
         "newer-forged-cosigned.proof", pol, "failed", "cosignature")
    case("policy-cosignature-from-the-future", "newer.txt",
         "newer-future-cosigned.proof", pol, "failed", "cosignature")
    case("policy-of-another-log", "newer.txt", "newer-2-cosigned.proof",
         "policy-other-log.txt", "failed", "policy")

    # -- a rotated outlet key (custody log-key rotate): a newer proof
    # checked with the old key names the new one, and passes with it
    rot = os.path.join(work, "rot")
    os.makedirs(rot)
    with open(os.path.join(rot, "before.txt"), "wb") as f:
        f.write(b"before the rotation\n")
    put("before.txt", b"before the rotation\n")
    custody("init", "--origin", "example.org/rotated", cwd=rot)
    custody("add", ".", cwd=rot)
    put("rotated-old.vkey", custody("key", "export", "--vkey", cwd=rot))
    custody("log-key", "rotate", "example.org-rotated-2", cwd=rot)
    put("rotated-new.vkey", custody("key", "export", "--vkey", cwd=rot))
    custody("proof", "before.txt", "-o", os.path.join(FILES,
            "rotated.proof"), cwd=rot)
    case("good-rotated-new-key", "before.txt", "rotated.proof",
         "rotated-new.vkey", "ok")
    case("key-rotated-old-key", "before.txt", "rotated.proof",
         "rotated-old.vkey", "failed", "signature")
    rp = get("rotated.proof")

    def break_rotation(line):
        raw = bytearray(base64.b64decode(line.split(b" ")[1]))
        at = raw.index(b"new_signature: \"") + 20
        raw[at] = ord("A") if raw[at] != ord("A") else ord("B")
        return b"log-key " + base64.b64encode(bytes(raw))
    put("rotated-bad.proof", header_line(rp, b"log-key", break_rotation))
    case("key-rotation-forged", "before.txt", "rotated-bad.proof",
         "rotated-old.vkey", "failed", "signature")

    # -- an archive whose policy records no media types (custody init
    # --media-types none): its entries have no media_type, and verify
    nomagic = os.path.join(work, "nomagic")
    os.makedirs(nomagic)
    with open(os.path.join(nomagic, "plain.txt"), "wb") as f:
        f.write(b"registered without a media type\n")
    put("plain.txt", b"registered without a media type\n")
    custody("init", "--origin", "example.org/no-media-types",
            "--media-types", "none", cwd=nomagic)
    custody("add", ".", cwd=nomagic)
    put("no-media-types.vkey", custody("key", "export", "--vkey",
                                       cwd=nomagic))
    custody("proof", "plain.txt", "-o", os.path.join(FILES,
            "no-media-types.proof"), cwd=nomagic)
    case("good-no-media-types", "plain.txt", "no-media-types.proof",
         "no-media-types.vkey", "ok")

    with open(os.path.join(OUT, "cases.tsv"), "w") as f:
        f.write("# name\tdocument\tproof\tkey\tsaved\tconsistency\ttsa_ca\t"
                "verdict\tstep (made by make-corpus.py)\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    print("%d cases in %s" % (len(cases), OUT))
finally:
    shutil.rmtree(work, ignore_errors=True)
