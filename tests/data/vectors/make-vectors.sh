#!/bin/bash
# Make the proof test vectors in this folder from a small archive:
#   tests/data/vectors/make-vectors.sh BUILD_DIR
# (custody from BUILD_DIR/cmd/custody). The output is committed; run it
# again only when a format changes, and say so in the commit.
#
#   entries/NNN.yaml, NNN.private.yaml   both parts of every entry
#   leaves.txt                           each entry's leaf, and the root
#   checkpoint, outlet.vkey              the signed checkpoint, its key
#   docs/                                the documents the proofs are of
#   *.proof                              proofs, good and tampered
#   verdicts.txt                         DOC PROOF VERDICT, one a line:
#                                        "ok" or the step that fails
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
C="$build/cmd/custody"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CUSTODY_KEY_DIR="$work/keys" CUSTODY_PASSPHRASE=vectors
"$C" key new desk >/dev/null 2>&1
mkdir -p "$work/coll/memos"
cd "$work/coll"
printf 'Budget 2019\nline 1: 100\nline 2: 250\n' >memos/budget.txt
printf 'Meeting notes, 12 March\nAttendees: A, B, C\n' >memos/meeting.txt
printf 'Budget 2019\nline 1: ███\nline 2: 250\n' >budget-redacted.txt
"$C" init --origin example.org/vectors >/dev/null
"$C" add --note 'from the first drop' --source S-1 memos >/dev/null
"$C" derive memos/budget.txt budget-redacted.txt --action redact \
	--note 'the amount on line 1 removed' >/dev/null
"$C" publish budget-redacted.txt --url https://example.org/story \
	--title 'The budget' --at 2026-12-01T09:00:00Z >/dev/null
rm -rf "$here/entries" "$here/docs" "$here"/*.proof
mkdir -p "$here/entries" "$here/docs"
n=$(git --git-dir=.custody ls-tree -r --name-only main log | wc -l)
for ((i = 0; i < n; i++)); do
	f=$(printf '%03d/%03d/%09d.yaml' $((i / 1000000)) $((i / 1000 % 1000)) $i)
	git --git-dir=.custody show "main:log/$f" >"$here/entries/$(printf %03d $i).yaml"
	git --git-dir=.custody show "main:private/$f" \
		>"$here/entries/$(printf %03d $i).private.yaml"
done
git --git-dir=.custody show main:checkpoint >"$here/checkpoint"
"$C" key export --vkey >"$here/outlet.vkey"
"$C" key new other >/dev/null 2>&1
"$C" key export --vkey other >"$here/other.vkey"
cp memos/budget.txt memos/meeting.txt budget-redacted.txt "$here/docs/"
"$C" proof budget-redacted.txt -o "$here/published.proof" 2>/dev/null
"$C" proof memos/meeting.txt -o "$here/registered.proof" 2>/dev/null
"$C" proof memos/meeting.txt --disclose path,actor,note \
	-o "$here/disclosing.proof" 2>/dev/null
cd "$here"
python3 - <<'PY'
import base64
def edit(src, dst, fn):
    lines = open(src, "rb").read().split(b"\n")
    open(dst, "wb").write(b"\n".join(fn(lines)))
def flip(b):
    raw = bytearray(base64.b64decode(b))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw))
def at(prefix, fn):
    return lambda ls: [fn(l) if l.startswith(prefix) else l for l in ls]
b64 = base64.b64encode
# the entry's public part changed (its size)
edit("registered.proof", "tampered-entry.proof", at(b"extra ", lambda l:
    b"extra " + b64(base64.b64decode(l[6:]).replace(b"\nsize: ", b"\nsize: 1"))))
# one hash of the inclusion proof changed
def hash_line(ls):
    i = ls.index(b"c2sp.org/tlog-proof@v1") + 3
    ls[i] = flip(ls[i])
    return ls
edit("registered.proof", "tampered-hash.proof", hash_line)
# the checkpoint's size changed: the signature no longer holds
def size_line(ls):
    i = len(ls) - 5
    ls[i] = str(int(ls[i]) + 1).encode()
    return ls
edit("registered.proof", "tampered-checkpoint.proof", size_line)
# a disclosed value changed
edit("disclosing.proof", "tampered-disclosure.proof", at(b"disclose path ",
    lambda l: b" ".join(l.split(b" ")[:3] + [b64(b"memos/other.txt")])))
# the publication entry changed (its URL)
def url(l):
    w = l.split(b" ")
    w[6] = b64(base64.b64decode(w[6]).replace(b"example.org/story",
                                              b"example.org/other"))
    return b" ".join(w)
edit("published.proof", "tampered-publication.proof", at(b"publication ",
    url))
PY
python3 "$here/../../vectors/check_proof.py" --root entries >leaves.txt
cat >verdicts.txt <<'V'
# DOC PROOF KEY VERDICT: what `custody check DOC --proof PROOF --key KEY`
# must answer (ok, or the step that fails); tests/vectors/run.sh checks
# custody and the independent tests/vectors/check_proof.py against it.
budget-redacted.txt published.proof outlet.vkey ok
meeting.txt registered.proof outlet.vkey ok
meeting.txt disclosing.proof outlet.vkey ok
budget.txt registered.proof outlet.vkey file
budget-redacted.txt registered.proof outlet.vkey file
meeting.txt registered.proof other.vkey signature
meeting.txt tampered-entry.proof outlet.vkey file
meeting.txt tampered-hash.proof outlet.vkey inclusion
meeting.txt tampered-checkpoint.proof outlet.vkey signature
meeting.txt tampered-disclosure.proof outlet.vkey disclosure
budget-redacted.txt tampered-publication.proof outlet.vkey publication
V
