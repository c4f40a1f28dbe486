#!/usr/bin/python3
"""The known-answer bags of tests/cli/t-bag.sh, each written into OUT.

    make-bags.py OUT

Each bag tests one rule of RFC 8493 (README.md in this folder names the
section); the expected verdicts and messages are in t-bag.sh. The bags
are made here rather than stored because several hold names no checkout
keeps well (CR, LF, two normalisations of one name).
"""
import hashlib
import os
import sys

OUT = sys.argv[1]


def encode(path):
    """RFC 8493 2.1.3: CR, LF and % percent-encoded, nothing else."""
    return (path.replace(b"%", b"%25").replace(b"\r", b"%0D")
            .replace(b"\n", b"%0A"))


class Bag:
    def __init__(self, name, files, algs=("sha256", "sha512"),
                 version=b"1.0", encoding=b"UTF-8", info=True, nl=b"\n"):
        self.root = os.path.join(OUT, name).encode()
        self.nl = nl
        self.algs = algs
        os.makedirs(os.path.join(self.root, b"data"))
        self.files = {}
        for path, content in files.items():
            self.write(b"data/" + path, content)
            self.files[b"data/" + path] = content
        self.declaration = (b"BagIt-Version: " + version + nl +
                            b"Tag-File-Character-Encoding: " + encoding + nl)
        self.write(b"bagit.txt", self.declaration)
        self.info = info

    def write(self, rel, content):
        full = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)

    def manifest(self, alg, lines=None, name=None):
        """manifest-ALG.txt of every payload file, or of `lines`."""
        if lines is None:
            lines = [(hashlib.new(alg, c).hexdigest().encode(), encode(p))
                     for p, c in sorted(self.files.items())]
        text = b"".join(d + b"  " + p + self.nl for d, p in lines)
        self.write(name or b"manifest-" + alg.encode() + b".txt", text)

    def oxum(self):
        size = sum(len(c) for c in self.files.values())
        return b"%d.%d" % (size, len(self.files))

    def finish(self, tag=True, info_extra=b"", oxum=None):
        for alg in self.algs:
            self.manifest(alg)
        if self.info:
            self.write(b"bag-info.txt", b"Source-Organization: Example "
                       b"Library" + self.nl + b"Bagging-Date: 2026-12-06" +
                       self.nl + b"Payload-Oxum: " + (oxum or self.oxum()) +
                       self.nl + info_extra)
        if tag:
            self.tagmanifest()

    def tagmanifest(self, alg="sha256"):
        tags = []
        for dirpath, dirs, names in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            if rel.split(b"/")[0] == b"data":
                continue
            for n in names:
                p = n if rel == b"." else rel + b"/" + n
                if p.startswith(b"tagmanifest-"):
                    continue
                with open(os.path.join(self.root, p), "rb") as f:
                    tags.append((hashlib.new(alg, f.read()).hexdigest()
                                 .encode(), encode(p)))
        self.manifest(alg, sorted(tags, key=lambda t: t[1]),
                      b"tagmanifest-" + alg.encode() + b".txt")


PAYLOAD = {b"memo.txt": b"Meeting notes\n", b"scans/page 1.txt": b"page\n"}

# valid bags
Bag("valid", PAYLOAD).finish()
Bag("valid-all-algorithms", PAYLOAD,
    algs=("md5", "sha1", "sha256", "sha512")).finish()
Bag("valid-crlf", PAYLOAD, nl=b"\r\n").finish()
Bag("valid-cr", PAYLOAD, nl=b"\r").finish()
Bag("valid-encoded-names", {b"a\rb": b"1\n", b"c\nd": b"2\n",
                            b"50% off": b"3\n", b"x%0Ay": b"4\n"}).finish()
Bag("valid-empty-payload", {}).finish()
# valid for BagIt, but ESC is a control character add still refuses
Bag("valid-escape-name", {b"e\x1bx": b"1\n", b"ok": b"2\n"}).finish()

# UTF-16 tag files: the declaration stays UTF-8, the others are UTF-16
b = Bag("valid-utf16", PAYLOAD, encoding=b"UTF-16", info=False)
for alg in b.algs:
    lines = [hashlib.new(alg, c).hexdigest() + "  " + p.decode()
             for p, c in sorted(b.files.items())]
    b.write(b"manifest-" + alg.encode() + b".txt",
            ("\n".join(lines) + "\n").encode("utf-16"))

# invalid: the declaration (2.1.1)
b = Bag("bom-in-bagit-txt", PAYLOAD)
b.finish(tag=False)
b.write(b"bagit.txt", b"\xef\xbb\xbf" + b.declaration)
b = Bag("bagit-txt-three-lines", PAYLOAD)
b.finish(tag=False)
b.write(b"bagit.txt", b.declaration + b"Extra: line\n")
b = Bag("no-bagit-txt", PAYLOAD)
b.finish(tag=False)
os.unlink(os.path.join(b.root, b"bagit.txt"))

# invalid: payload folder and manifests (2.1.2, 2.1.3, 3)
b = Bag("no-payload-manifest", PAYLOAD, algs=())
b.finish(tag=False)
b = Bag("file-not-in-manifest", PAYLOAD)
b.finish(tag=False)
b.write(b"data/extra.txt", b"not listed\n")
b.files[b"data/extra.txt"] = b"not listed\n"
b.write(b"bag-info.txt", b"Payload-Oxum: " + b.oxum() + b"\n")
b = Bag("missing-file", PAYLOAD)
b.finish(tag=False)
os.unlink(os.path.join(b.root, b"data/memo.txt"))
b.files.pop(b"data/memo.txt")
b.write(b"bag-info.txt", b"Payload-Oxum: " + b.oxum() + b"\n")
b = Bag("listed-twice-different", PAYLOAD, algs=())
b.finish(tag=False)
b.manifest("sha256", [(hashlib.sha256(b"Meeting notes\n").hexdigest()
                       .encode(), b"data/memo.txt"),
                      (hashlib.sha256(b"page\n").hexdigest().encode(),
                       b"data/scans/page 1.txt"),
                      (b"0" * 64, b"data/memo.txt")])
b = Bag("listed-twice-same", PAYLOAD)
b.finish(tag=False)
with open(os.path.join(b.root, b"manifest-sha256.txt"), "ab") as f:
    f.write(hashlib.sha256(b"page\n").hexdigest().encode() +
            b" data/scans/page 1.txt\n")
b = Bag("wrong-checksum", PAYLOAD)
b.finish(tag=False)
b.write(b"data/memo.txt", b"Meeting notex\n")
b = Bag("bad-checksum-form", PAYLOAD, algs=("sha512",))
b.finish(tag=False)
b.manifest("sha256", [(b"XYZ", b"data/memo.txt")])

# invalid: paths (security considerations: special directory characters)
for name, path in (("path-dotdot", b"data/../bagit.txt"),
                   ("path-absolute", b"/etc/hostname"),
                   ("path-tilde", b"~/notes.txt"),
                   ("path-outside-data", b"bagit.txt")):
    b = Bag(name, PAYLOAD, algs=("sha512",))
    b.finish(tag=False)
    b.manifest("sha256", [(hashlib.sha256(c).hexdigest().encode(), encode(p))
                          for p, c in sorted(b.files.items())] +
               [(b"0" * 64, path)])

# percent-encoding exactly: other %XX is literal; raw names need
# --legacy-encoding
b = Bag("percent-literal", {b"a%20b": b"1\n"}, algs=())
b.finish(tag=False)
b.manifest("sha256", [(hashlib.sha256(b"1\n").hexdigest().encode(),
                       b"data/a%20b")])
b = Bag("percent-not-decoded", {b"a b": b"1\n"}, algs=())
b.finish(tag=False)
b.manifest("sha256", [(hashlib.sha256(b"1\n").hexdigest().encode(),
                       b"data/a%20b")])
b = Bag("raw-names", {b"50%25": b"1\n"}, algs=())
b.finish(tag=False)
b.manifest("sha256", [(hashlib.sha256(b"1\n").hexdigest().encode(),
                       b"data/50%25")])
os.rename(os.path.join(b.root, b"data/50%25"),
          os.path.join(b.root, b"data/50%25"))

# bag-info.txt (2.2.2)
Bag("bad-payload-oxum", PAYLOAD).finish(oxum=b"999.2")
Bag("malformed-payload-oxum", PAYLOAD).finish(oxum=b"19-2")
Bag("bag-info-no-colon", PAYLOAD).finish(info_extra=b"Just text\n")

# tag manifests (2.2.1)
b = Bag("tagmanifest-mismatch", PAYLOAD)
b.finish()
with open(os.path.join(b.root, b"bag-info.txt"), "ab") as f:
    f.write(b"Contact-Name: added after the tag manifest\n")

# holey bags (2.2.3)
b = Bag("holey", PAYLOAD)
b.files[b"data/remote.txt"] = b"fetched later\n"
b.finish(tag=False)
b.write(b"fetch.txt", b"https://example.org/remote.txt 14 data/remote.txt\n")
b = Bag("fetch-outside-data", PAYLOAD)
b.finish(tag=False)
b.write(b"fetch.txt", b"https://example.org/x 1 data/../../etc/x\n"
        b"https://example.org/y 1 bagit.txt\n")

# names equal after Unicode normalisation (interoperability)
Bag("normalisation-twins", {"caf\u00e9.txt".encode(): b"1\n",
                            "cafe\u0301.txt".encode(): b"2\n"}).finish()
