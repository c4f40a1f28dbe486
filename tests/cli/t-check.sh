#!/bin/bash
# The offline checks a fact-checker runs: check, check-reveal,
# consistency with --proof, verify-signature. Everything they check is
# made by the full build's custody (run_full, "$CUSTODY_FULL"), and only
# the checks run $CUSTODY: the suite runs this file with one binary in
# both roles, tests/check-only.sh with a check-only custody checking.
. "$(dirname "$0")/lib.sh"

G=.custody

setup() {
	make_collection coll
	cd coll
	run_full init --origin example.org/leaks
	expect_rc 0
	run_full add .
	expect_rc 0
}

# The check never answers "consistent" without the proof it was given:
# not for equal sizes, not from size 0, not with OLD and NEW swapped
# (issue 11, item 12).
test_consistency__the_proof_is_always_checked() {
	setup
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	run_full checkpoint
	printf '%s\n' "$OUT" >"$TMP/old"
	local old_size new_size
	old_size=$(sed -n 2p "$TMP/old")
	printf 'one\n' >memos/one.txt
	run_full add memos/one.txt
	run_full checkpoint
	printf '%s\n' "$OUT" >"$TMP/new"
	new_size=$(sed -n 2p "$TMP/new")
	run_full consistency "$TMP/old" -o "$TMP/c"
	expect_rc 0
	# swapped
	run consistency "$TMP/new" "$TMP/old" --proof "$TMP/c" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: the first checkpoint (size $new_size) is larger than the second (size $old_size): give the older checkpoint first"
	# one checkpoint twice, with a proof of other sizes
	run consistency "$TMP/new" "$TMP/new" --proof "$TMP/c" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: the consistency proof is from size $old_size to $new_size, not from $new_size to $new_size"
	# one checkpoint twice, with a proof that should be empty and is not
	sed "s/^old .*/old $new_size/" "$TMP/c" >"$TMP/c-equal"
	run consistency "$TMP/new" "$TMP/new" --proof "$TMP/c-equal" \
		--key "$TMP/k"
	expect_rc 1
	expect_err_has "custody: the consistency proof between two checkpoints of size $new_size has "
	expect_err_has " hashes, expected none"
	# from size 0: the root must be the empty tree's
	printf 'custody-consistency/v1\nold 0\nnew %s\n' "$new_size" >"$TMP/c0"
	forge_checkpoint 0 "$(head -c 32 /dev/urandom | base64)" >"$TMP/zero-bad" ||
		fail "cannot forge"
	run consistency "$TMP/zero-bad" "$TMP/new" --proof "$TMP/c0" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: the checkpoint of size 0 has root $(sed -n 3p "$TMP/zero-bad"), not the empty tree's (SHA-256 of nothing)"
	forge_checkpoint 0 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= \
		>"$TMP/zero" || fail "cannot forge"
	run consistency "$TMP/zero" "$TMP/new" --proof "$TMP/c0" --key "$TMP/k"
	expect_rc 0
	expect_out "consistent: the second checkpoint extends the first"
	# and the right order with the right proof still says so
	run consistency "$TMP/old" "$TMP/new" --proof "$TMP/c" --key "$TMP/k"
	expect_rc 0
	expect_out "consistent: the second checkpoint extends the first"
	# a member's key in place of the outlet's: told apart, both key ids
	"$CUSTODY_FULL" key export tester --vkey --origin example.org/leaks \
		>"$TMP/k-member"
	run consistency "$TMP/old" "$TMP/new" --proof "$TMP/c" \
		--key "$TMP/k-member"
	expect_rc 1
	expect_err "custody: the first checkpoint: checkpoint signed for example.org/leaks, but not by the key you gave (key id $(cut -d+ -f2 "$TMP/k-member"); it is signed by key id $(cut -d+ -f2 "$TMP/k"))"
}

test_proof__a_fact_checker_checks_a_published_document_offline() {
	setup
	run_full publish memos/budget.txt --url https://example.org/story
	run_full proof memos/budget.txt -o "$TMP/budget.proof"
	expect_rc 0
	"$CUSTODY_FULL" key export --vkey >"$TMP/outlet.vkey"
	cp memos/budget.txt "$TMP/budget.txt"
	# what the output must say, from the archive's own files
	local sum f doc=-1 size time pub_time root
	sum=$(sha256sum memos/budget.txt | cut -c1-64)
	for f in $(git --git-dir=$G ls-tree -r --name-only main log); do
		git --git-dir=$G show "main:$f" | grep -q "^sha256: \"$sum\"" &&
			doc=$((10#$(basename "$f" .yaml)))
	done
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	root=$(git --git-dir=$G show main:checkpoint | sed -n 3p)
	time=$(entry_public $G $doc | sed -n 's/^time: "\(.*\)"/\1/p')
	pub_time=$(entry_public $G $((size - 1)) |
		sed -n 's/^published: "\(.*\)"/\1/p')
	outlet_key >"$TMP/outlet.pub"
	# no archive, no network: another folder, and no key folder
	cd "$TMP"
	CUSTODY_KEY_DIR=/nonexistent run check budget.txt \
		--proof budget.proof --key outlet.vkey
	expect_rc 0
	expect_out "OK: budget.txt is the document registered in the log example.org/leaks
  registered   $time (the outlet's clock), entry $doc
  document     SHA-256 $sum, $(stat -c %s budget.txt) bytes
  publication  published at https://example.org/story on $pub_time (entry $((size - 1)))
  private      every field but the public ones (the outlet disclosed none)
  log          example.org/leaks at size $size, root $root
  signed by    $(fingerprint outlet.pub), the key you gave
  time         no timestamp: only the outlet's own records say when"
	expect_out_has "OK: budget.txt is the document registered in the log example.org/leaks"
	expect_out_has "document     SHA-256 $(sha256sum budget.txt | cut -c1-64), $(stat -c %s budget.txt) bytes"
	expect_out_has "publication  published at https://example.org/story on "
	expect_out_has "private      every field but the public ones (the outlet disclosed none)"
	expect_out_has "no timestamp: only the outlet's own records say when"
	# who registered it and where it sits are the outlet's to disclose
	contains "$OUT" "tester" && fail "the member is shown: $OUT"
	contains "$OUT" "memos/" && fail "the path is shown: $OUT"
	# the ssh-ed25519 line works as the key too
	run check budget.txt --proof budget.proof --key "$(cd coll && outlet_key)"
	expect_rc 0
	run check budget.txt --proof budget.proof --key outlet.vkey --json
	expect_out_has '"ok":true,"failed_step":null'
	# the proof is a C2SP tlog-proof under custody's header
	expect_eq "$(sed -n 1p budget.proof)" "custody-proof/v3"
	sed '1,/^$/d' budget.proof >plain.tlog-proof
	expect_eq "$(sed -n 1p plain.tlog-proof)" "c2sp.org/tlog-proof@v1"
	[ "$(stat -c %s budget.proof)" -lt 2048 ] ||
		fail "proof is $(stat -c %s budget.proof) bytes"
}

# edit_header PROOF OUT PY: OUT is PROOF with its header lines (a list
# `h` of bytes, without the version line) changed by the Python in PY;
# b64/unb64 help.
edit_header() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import base64, sys
src, dst, code = sys.argv[1:4]
data = open(src, "rb").read()
head, rest = data.split(b"\n\n", 1)
lines = head.split(b"\n")
h = lines[1:]
b64 = base64.b64encode
unb64 = base64.b64decode
exec(code)
open(dst, "wb").write(b"\n".join([lines[0]] + h) + b"\n\n" + rest)
PY
}

# A proof discloses only the private fields the outlet names, each with
# what checks it; the reader sees which stayed private.
test_disclose__named_fields_are_shown_checked_and_the_rest_kept() {
	setup
	printf 'Page one\n' >memos/one.txt
	run_full add --note 'from the drop' --source S-9 memos/one.txt
	local n
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	n=$((n - 1))
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	run_full proof memos/one.txt --disclose path,actor,note -o "$TMP/p"
	expect_rc 0
	run check memos/one.txt --proof "$TMP/p" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  registered   $(entry_public $G $n | sed -n 's/^time: "\(.*\)"/\1/p') (the outlet's clock), entry $n
  document     SHA-256 $(sha256sum memos/one.txt | cut -c1-64), 9 bytes
  publication  registered, not recorded as published
  disclosed    by the outlet: path = memos/one.txt
  disclosed    by the outlet: actor = tester
  disclosed    by the outlet: note = from the drop
  private      version, blob, source (not disclosed)
  log          example.org/leaks at size $((n + 1)), root "
	run check memos/one.txt --proof "$TMP/p" --key "$TMP/k" --json
	expect_rc 0
	"$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["path"] == "memos/one.txt" and d["actor"] == "tester", d
assert d["note"] == "from the drop" and d["source"] is None, d
assert d["version"] is None and d["blob"] is None, d
assert d["disclosed"] == ["path", "actor", "note"], d
assert d["private_fields"] == ["actor", "path", "version", "blob",
    "source", "note"], d
assert d["publication"] is None, d
' "$OUT" || fail "JSON: $OUT"
	# the same entry, by the recomputation docs/proof-format.md gives
	expect_eq "$(sed -n 's/^extra //p' "$TMP/p" | base64 -d | sha256sum)" \
		"$(entry_public $G $n | sha256sum)" "extra is the public part"
	expect_eq "$(sed -n 's/^extra //p' "$TMP/p" | base64 -d |
		{ printf '\0'; cat; } | sha256sum | cut -c1-64)" \
		"$(entry_private $G $n | sed -n 's/^leaf: "\(.*\)"/\1/p')" "leaf"
	# the opening and the commitments, by the shell lines of the docs
	local nonce commit
	nonce=$(sed -n 's/^disclose path \([^ ]*\) .*/\1/p' "$TMP/p")
	commit=$(sed -n 's/^commitment path //p' "$TMP/p" | base64 -d |
		od -An -tx1 | tr -d ' \n')
	expect_eq "$({ printf 'custody-field v2\npath\n'
		printf %s "$nonce" | base64 -d; printf %s 'memos/one.txt'; } |
		sha256sum | cut -c1-64)" "$commit" "commit_f of path"
	expect_eq "$({ printf 'custody-private v2\n'
		sed -n 's/^commitment //p' "$TMP/p" | while read -r f c; do
		printf '%s %s\n' "$f" "$(printf %s "$c" | base64 -d |
		od -An -tx1 | tr -d ' \n')"; done; } | sha256sum | cut -c1-64)" \
		"$(entry_public $G $n | sed -n 's/^private: "\(.*\)"/\1/p')" \
		"private from the commitment lines"
	# a value the outlet did not commit to
	edit_header "$TMP/p" "$TMP/bad" '
h = [l if not l.startswith(b"disclose path ") else
     b" ".join(l.split(b" ")[:3] + [b64(b"memos/two.txt")]) for l in h]'
	run check memos/one.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'disclosure': disclosure: the value disclosed for 'path' is not the one the entry committed to"
	run check memos/one.txt --proof "$TMP/bad" --key "$TMP/k" --json
	expect_out_has '"ok":false,"failed_step":"disclosure"'
	# another field's nonce
	edit_header "$TMP/p" "$TMP/bad" '
nonce = [l.split(b" ")[2] for l in h if l.startswith(b"disclose actor ")][0]
h = [l if not l.startswith(b"disclose path ") else
     b" ".join(l.split(b" ")[:2] + [nonce] + l.split(b" ")[3:]) for l in h]'
	run check memos/one.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'disclosure': disclosure: the value disclosed for 'path' is not the one the entry committed to"
	# a commitment line left out, or changed
	edit_header "$TMP/p" "$TMP/bad" 'h = [l for l in h if not l.startswith(b"commitment source ")]'
	run check memos/one.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'disclosure': disclosure: the commitments the proof lists are not the entry's ('private')"
	edit_header "$TMP/p" "$TMP/bad" '
h = [l if not l.startswith(b"commitment blob ") else
     b"commitment blob " + b64(bytes(32)) for l in h]'
	run check memos/one.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'disclosure': disclosure: the commitments the proof lists are not the entry's ('private')"
	# a field the entry does not hold, and names that are no field
	run_full proof memos/budget.txt --disclose source
	expect_rc 1
	expect_err "custody: entry 2 holds no private field 'source'"
	run_full proof memos/budget.txt --disclose path,salt
	expect_rc 2
	expect_err_has "custody: --disclose names the private fields path, actor, note, source, blob, version and previous, not 'salt'"
}

# A published document's proof carries the publication, proven in the
# same tree; a tampered or mismatched one fails at its own step.
test_publication__proven_beside_the_document_or_refused() {
	setup
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	run_full publish memos/budget.txt --url https://example.org/a \
		--title 'Story A' --at 2026-01-02T03:04:05Z
	expect_rc 0
	local pa
	pa=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	pa=$((pa - 1))
	run_full publish scans/report.pdf --url https://example.org/b
	expect_rc 0
	run_full proof memos/budget.txt -o "$TMP/a"
	run_full proof scans/report.pdf -o "$TMP/b"
	run_full proof memos/2019/meeting.txt -o "$TMP/u"
	run check memos/budget.txt --proof "$TMP/a" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  publication  published at https://example.org/a on 2026-01-02T03:04:05Z (entry $pa)"
	run check memos/budget.txt --proof "$TMP/a" --key "$TMP/k" --json
	expect_out_has "\"publication\":{\"entry\":$pa,\"url\":\"https://example.org/a\",\"title\":\"Story A\",\"published\":\"2026-01-02T03:04:05Z\"}"
	run check memos/2019/meeting.txt --proof "$TMP/u" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  publication  registered, not recorded as published"
	# the publication line is the entry packed: its index, time, salt,
	# commitment, published, url and title lines, and "*" for this
	# document
	"$PYTHON" - "$TMP/a" "$pa" <<'PY' || fail "the publication line"
import base64, sys
line = [l for l in open(sys.argv[1], "rb").read().split(b"\n")
        if l.startswith(b"publication ")][0].split(b" ")
assert len(line) == 8 and line[1] == sys.argv[2].encode(), line
assert line[5] == b"2026-01-02T03:04:05Z", line
assert base64.b64decode(line[6]) == \
    b'url: "https://example.org/a"\ntitle: "Story A"\n', line
assert line[7] == b"*", line
PY
	# the publication's public part, rebuilt by the shell lines of
	# docs/proof-format.md, is the entry's exact bytes
	expect_eq "$(P=$TMP/a; I=2; S=$(sha256sum memos/budget.txt | cut -c1-64)
		hex() { printf %s "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }
		sed -n 's/^publication //p' "$P" | {
		read -r j time salt private published lines documents
		printf 'custody-entry: 2\nindex: %s\ntype: "publish"\n' "$j"
		printf 'time: "%s"\nsalt: "%s"\n' "$time" "$(hex "$salt")"
		printf %s "$lines" | base64 -d
		printf 'published: "%s"\ndocuments:\n' "$published"
		printf '%s\n' "$documents" | tr , '\n' | while read -r d; do
			if [ "$d" = '*' ]; then i=$I s=$S
			else i=${d%%:*} s=$(hex "${d#*:}"); fi
			printf -- '- index: %s\n  sha256: "%s"\n' "$i" "$s"
		done
		printf 'private: "%s"\n' "$(hex "$private")"; } | sha256sum)" \
		"$(entry_public $G $pa | sha256sum)" "the publication rebuilt"
	# the publication entry's bytes changed (the URL)
	edit_header "$TMP/a" "$TMP/bad" '
def url(l):
    w = l.split(b" ")
    w[6] = b64(unb64(w[6]).replace(b"example.org/a", b"example.org/z"))
    return b" ".join(w)
h = [url(l) if l.startswith(b"publication ") else l for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: leaf $pa and its proof do not give the tree's root"
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k" --json
	expect_out_has '"ok":false,"failed_step":"publication"'
	# another document's publication: its pair proof is not one
	# beside this document
	edit_header "$TMP/a" "$TMP/bad" "
other = [l for l in open('$TMP/b', 'rb').read().split(b'\n\n')[0].split(b'\n')
         if l.startswith(b'publication')]
h = [l for l in h if not l.startswith(b'publication')] + other"
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: the proof of leaf $((pa + 1)) beside leaf 2 is too short"
	# a publication that names another document instead
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication ") else
     b" ".join(l.split(b" ")[:7] + [b"3:" + b64(bytes(32))]) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: entry $pa does not publish this document (entry 2, SHA-256 $(sha256sum memos/budget.txt | cut -c1-16)...)"
	# the index it claims is not the entry's
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication ") else
     b"publication 1 " + b" ".join(l.split(b" ")[2:]) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: the publication entry:10:1: 'documents' item 1: 'index' must name an earlier entry (1 to 0)"
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication ") else
     b"publication 5 " + b" ".join(l.split(b" ")[2:]) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: leaf 5 and its proof do not give the tree's root"
	# a line with a word left out, or a time not in UTC
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication ") else
     b" ".join(l.split(b" ")[:7]) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 2: a publication is \"publication INDEX TIME SALT PRIVATE PUBLISHED LINES DOCUMENTS\""
	edit_header "$TMP/a" "$TMP/bad" '
h = [l.replace(b" 2026-01-02T03:04:05Z ", b" 2026-01-02T03:04:05+01 ")
     for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 2: a publication's times are \"YYYY-MM-DDTHH:MM:SSZ\""
	# one hash of the pair proof changed, or left out
	grep -q '^publication-path ' "$TMP/a" || fail "no pair-proof hash"
	edit_header "$TMP/a" "$TMP/bad" '
i = [n for n, l in enumerate(h) if l.startswith(b"publication-path ")][0]
raw = bytearray(unb64(h[i][17:]))
raw[0] ^= 1
h[i] = b"publication-path " + b64(bytes(raw))'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: leaf $pa and its proof do not give the tree's root"
	edit_header "$TMP/a" "$TMP/bad" '
h = [l for l in h if not l.startswith(b"publication-path ")]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: the proof of leaf $pa beside leaf 2 is too short"
	# a hash too many, or part of one
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication-path ") else
     b"publication-path " + b64(unb64(l[17:]) + bytes(32)) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'publication': publication: the proof of leaf $pa beside leaf 2 has 1 hashes too many"
	edit_header "$TMP/a" "$TMP/bad" '
h = [l if not l.startswith(b"publication-path ") else
     b"publication-path " + b64(unb64(l[17:]) + bytes(1)) for l in h]'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 3: the publication path is not whole hashes"
	# out of order, unknown and repeated lines are malformed
	edit_header "$TMP/a" "$TMP/bad" 'h = [b"publication-path " + b64(bytes(32))] + h'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 2: a publication path without a publication"
	edit_header "$TMP/a" "$TMP/bad" 'h = [b"path " + b64(b"memos/budget.txt")] + h'
	run check memos/budget.txt --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 2: not a line custody writes in a proof's header"
	# (a forgery that holds the path on purpose: the leak check after
	# each test would rightly name it)
	rm -f "$TMP/bad"
	[ "$(stat -c %s "$TMP/a")" -lt 2048 ] ||
		fail "a published document's proof is $(stat -c %s "$TMP/a") bytes"
}

# Two proofs of one document made at different times have in common
# only what is public anyway: the entry's public part and hashes of the
# tree; nothing private, no salt of another entry.
test_proof__two_proofs_of_one_document_link_only_through_public_bytes() {
	setup
	run_full proof memos/budget.txt -o "$TMP/early"
	printf 'later\n' >memos/later.txt
	run_full add memos/later.txt
	run_full publish memos/budget.txt --url https://example.org/c
	run_full proof memos/budget.txt -o "$TMP/late"
	"$PYTHON" - "$TMP/early" "$TMP/late" <<'PY' || fail "proofs share more"
import base64, sys
a, b = (open(p, "rb").read().split(b"\n") for p in sys.argv[1:3])
common = set(a) & set(b)
extra = [l for l in a if l.startswith(b"extra ")][0]
allowed = {b"", b"c2sp.org/tlog-proof@v1", b"custody-proof/v3", extra,
           b"example.org/leaks"}
for line in common - allowed:
    if line.startswith(b"index "):
        continue
    # a hash of the tree: 32 bytes, and no entry's text
    raw = base64.b64decode(line, validate=True)
    assert len(raw) == 32, line
PY
}

# mutate_proof IN OUT KIND: change one thing in a proof file
mutate_proof() {
	"$PYTHON" - "$@" <<'PY'
import base64, sys
src, dst, kind = sys.argv[1:4]
lines = open(src, "rb").read().split(b"\n")
def flip_b64(line, prefix=b""):
    raw = bytearray(base64.b64decode(line[len(prefix):]))
    raw[len(raw) // 2] ^= 1
    return prefix + base64.b64encode(bytes(raw))
start = lines.index(b"c2sp.org/tlog-proof@v1")
i = start + 1
if kind == "entry":
    # the entry claims another index
    raw = base64.b64decode(lines[i][6:]).replace(b"\nindex: ", b"\nindex: 1", 1)
    lines[i] = b"extra " + base64.b64encode(raw)
elif kind == "entry-yaml":
    # the entry is no longer custody YAML
    raw = base64.b64decode(lines[i][6:]).replace(b'type: "register"', b"type: register")
    lines[i] = b"extra " + base64.b64encode(raw)
elif kind == "entry-salt":
    # a byte of the salt inside the entry: still a valid entry
    raw = base64.b64decode(lines[i][6:])
    at = raw.index(b'salt: "') + 7
    c = raw[at:at + 1]
    raw = raw[:at] + (b"1" if c != b"1" else b"2") + raw[at + 1:]
    lines[i] = b"extra " + base64.b64encode(raw)
elif kind == "hash":
    j = lines.index(b"", start) - 1
    lines[j] = flip_b64(lines[j])
elif kind == "checkpoint":
    j = lines.index(b"", start) + 2      # the size line
    lines[j] = str(int(lines[j]) + 1).encode()
elif kind == "root":
    j = lines.index(b"", start) + 3
    lines[j] = flip_b64(lines[j])
elif kind == "signature":
    j = len(lines) - 2
    name, sig = lines[j].rsplit(b" ", 1)
    lines[j] = name + b" " + flip_b64(sig)
open(dst, "wb").write(b"\n".join(lines))
PY
}

test_proof__tampering_fails_naming_the_step() {
	setup
	run_full proof memos/budget.txt -o "$TMP/p"
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	cp memos/budget.txt "$TMP/doc"
	cd "$TMP"
	check_fails() { # check_fails STEP [PROOF] [DOC] [KEY]
		run check "${3:-doc}" --proof "${2:-p}" --key "${4:-k}"
		expect_rc 1
		expect_err_has "custody: check failed at step '$1': "
	}
	# one byte of the published document
	cp doc doc2
	printf 'X' | dd of=doc2 bs=1 seek=3 conv=notrunc 2>/dev/null
	check_fails file p doc2
	expect_err_has "doc2 is not the registered document"
	local k
	for k in entry entry-yaml entry-salt hash checkpoint root signature; do
		mutate_proof p "p-$k" $k
	done
	check_fails entry p-entry
	expect_err_has "not the registration at index"
	check_fails entry p-entry-yaml
	expect_err_has "'type' must be a quoted string"
	check_fails inclusion p-entry-salt
	check_fails inclusion p-hash
	check_fails signature p-checkpoint
	check_fails signature p-root
	check_fails signature p-signature
	# another outlet's key
	ssh-keygen -q -t ed25519 -N '' -f other
	check_fails signature p doc "$(cut -d' ' -f1,2 other.pub)"
	# both C2SP key ids: the first 4 bytes of SHA-256(origin \n 0x01 key)
	other_id=$("$PYTHON" -c 'import base64, hashlib, sys
key = base64.b64decode(sys.argv[1].split()[1])[-32:]
print(hashlib.sha256(b"example.org/leaks\n\x01" + key).digest()[:4].hex())' \
		"$(cat other.pub)")
	expect_err "custody: check failed at step 'signature': checkpoint signed for example.org/leaks, but not by the key you gave (key id $other_id; the proof's checkpoint is signed by key id $(cut -d+ -f2 k))"
	# a verifier key named for another log
	"$CUSTODY_FULL" key export tester --vkey --origin other.example >k2
	check_fails signature p doc k2
	expect_err "custody: check failed at step 'signature': checkpoint signed for example.org/leaks, but the key you gave is named other.example (key id $(cut -d+ -f2 k2); the proof's checkpoint is signed by key id $(cut -d+ -f2 k))"
	# garbage, empty, truncated proofs
	printf 'not a proof\n' >junk
	check_fails proof junk
	: >empty
	check_fails proof empty
	head -c 200 p >short
	check_fails proof short
	# a keyword with nothing after its space says which line and what
	# it should hold (these once failed with no message: "failed")
	printf 'custody-proof/v3\ncommitment \n' >no-field
	check_fails proof no-field
	expect_err "custody: check failed at step 'proof': no-field: the proof file is malformed: proof line 2: a commitment is \"commitment FIELD HASH\""
	printf 'custody-proof/v3\ndisclose \n' >no-field
	check_fails proof no-field
	expect_err "custody: check failed at step 'proof': no-field: the proof file is malformed: proof line 2: a disclosure is \"disclose FIELD NONCE VALUE\""
	# a field name read as a C string would lose what follows a NUL
	cp "$SRCDIR/tests/fuzz/corpus/proof/refused-v3-field-name-with-nul.proof" nul
	check_fails proof nul
	expect_err "custody: check failed at step 'proof': nul: the proof file is malformed: proof line 2: the field name holds a NUL byte"
	true
}

# rotate_proof IN OUT OLD_KEY_PEM NEW_KEY_PEM INDEX: the proof as a log
# would write it after a rotation at entry INDEX from OLD_KEY_PEM to
# NEW_KEY_PEM (PKCS#8 files openssl reads): a log-key entry signed by
# both in the header, the checkpoint re-signed by the new key. Also
# writes $TMP/new.vkey.
rotate_proof() {
	local in=$1 out=$2 old=$3 new=$4 index=$5
	"$PYTHON" - "$in" "$old" "$new" "$index" "$TMP" <<'PY' || return 1
import base64, hashlib, subprocess, sys
src, old, new, index, tmp = sys.argv[1:6]
def raw_pub(pem):
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout",
        "-outform", "DER", "-passin", "env:CUSTODY_PASSPHRASE"],
        check=True, capture_output=True).stdout
    return der[-32:]
def sign(pem, msg):
    open(tmp + "/msg", "wb").write(msg)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", pem,
        "-passin", "env:CUSTODY_PASSPHRASE", "-in", tmp + "/msg", "-out",
        tmp + "/sig"], check=True)
    return open(tmp + "/sig", "rb").read()
origin = b"example.org/leaks"
def key_id(pub):
    return hashlib.sha256(origin + b"\n\x01" + pub).digest()[:4]
def vkey(pub):
    return (origin + b"+" + key_id(pub).hex().encode() + b"+" +
        base64.b64encode(b"\x01" + pub))
po, pn = raw_pub(old), raw_pub(new)
msg = (b"custody log-key rotation v1\nindex " + index.encode() +
    b"\nfrom " + vkey(po) + b"\nto " + vkey(pn) + b"\n")
entry = (b'custody-entry: 2\nindex: ' + index.encode() +
    b'\ntype: "log-key"\ntime: "2026-12-01T10:00:00Z"\nsalt: "' +
    b"ab" * 32 + b'"\nlog_key: "' + vkey(pn) + b'"\nprevious_log_key: "' +
    vkey(po) + b'"\nold_signature: "' + base64.b64encode(sign(old, msg)) +
    b'"\nnew_signature: "' + base64.b64encode(sign(new, msg)) +
    b'"\nprivate: "' + b"cd" * 32 + b'"\n')
proof = open(src, "rb").read()
head, tlog = proof.split(b"\n\n", 1)
text = tlog[tlog.index(b"\n\n") + 2:]
before = tlog[:tlog.index(b"\n\n") + 2]
cp = text.split(b"\n\n")[0] + b"\n"
sig = sign(new, cp)
note = cp + b"\n\xe2\x80\x94 " + origin + b" " + \
    base64.b64encode(key_id(pn) + sig) + b"\n"
sys.stdout.buffer.write(head + b"\nlog-key " + base64.b64encode(entry) +
    b"\n\n" + before + note)
open(tmp + "/new.vkey", "wb").write(vkey(pn) + b"\n")
PY
}

# A reader who kept the outlet's first key is told, at the signature step,
# that the key was rotated and to which key, when the proof carries the
# rotation signed by both keys; a rotation the old key did not sign says
# only that another key signed the checkpoint.
# An e-mail message signed here (tests/cli/dkim-sign, libopendkim's
# signer) and its DKIM verdict recorded from a key record in a file (no
# DNS): mail/m.eml (entry 1) with its dkim entry 3, mail/plain.eml
# (entry 2, unsigned, no dkim entry); rec.txt the key record, other.txt
# another key's; k the outlet key. OBS is when the keys were observed.
dkim_setup() {
	local sign=${DKIM_SIGN:-$(dirname "$CUSTODY_FULL")/../tests/cli/dkim-sign}
	openssl genrsa -out "$TMP/rsa.pem" 2048 2>/dev/null
	openssl genrsa -out "$TMP/other.pem" 2048 2>/dev/null
	printf 'v=DKIM1; k=rsa; p=%s' "$(openssl rsa -in "$TMP/rsa.pem" \
		-pubout -outform DER 2>/dev/null | base64 -w0)" >"$TMP/rec.txt"
	printf 'v=DKIM1; k=rsa; p=%s' "$(openssl rsa -in "$TMP/other.pem" \
		-pubout -outform DER 2>/dev/null | base64 -w0)" >"$TMP/other.txt"
	mkdir mail
	cd mail
	printf 'From: Joe <joe@example.org>\r\nTo: Sue <sue@example.net>\r\nSubject: the budget\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n\r\nThe numbers are attached.\r\n' >plain.eml
	"$sign" "$TMP/rsa.pem" rsa example.org relaxed/relaxed rsa-sha256 \
		<plain.eml >m.eml || fail "cannot sign"
	run_full init --origin example.org/leaks
	expect_rc 0
	run_full add m.eml
	expect_rc 0
	run_full add plain.eml
	expect_rc 0
	run_full dkim m.eml --key-record "$TMP/rec.txt"
	expect_rc 0
	expect_out_has "recorded: dkim entry 3"
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	OBS=$(entry_public $G 3 | sed -n 's/^observed: "\(.*\)"$/\1/p')
	[ -n "$OBS" ] || fail "no observation time"
}

# What the last line of the DKIM part says: this custody verifies the
# message again, or (the check-only build) shows the recorded verdict.
dkim_again() {
	if "$CUSTODY" dkim --help >/dev/null 2>&1; then
		echo "  dkim again   verified again here against the key records of entry $1 at $OBS: $2"
	else
		echo "  dkim again   not verified again: this custody has no DKIM verifier; the verdict shown is the one recorded"
	fi
}

# A message's proof carries its dkim entry, proven beside it; check
# shows the verdict per signature and what binds it (issue 20, item 4).
test_dkim__a_message_proof_carries_its_verdict() {
	dkim_setup
	run_full proof m.eml -o "$TMP/m.proof"
	expect_rc 0
	expect_eq "$(grep -c '^dkim ' "$TMP/m.proof")" 1 "dkim lines"
	# the dkim line is the entry's public part, byte for byte
	expect_eq "$(sed -n 's/^dkim //p' "$TMP/m.proof" | base64 -d | sha256sum)" \
		"$(entry_public $G 3 | sha256sum)" "the dkim entry"
	run check m.eml --proof "$TMP/m.proof" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  publication  registered, not recorded as published
  dkim         pass, entry 3: keys observed $OBS
  signature    d=example.org s=rsa a=rsa-sha256: pass (2048-bit key from file, DNSSEC -)
  dkim bound   entry 3 is in the same signed tree (size 4); no timestamp dates it
$(dkim_again 3 pass)
  private      every field but the public ones (the outlet disclosed none)"
	run check m.eml --proof "$TMP/m.proof" --key "$TMP/k" --json
	expect_rc 0
	local again=true
	"$CUSTODY" dkim --help >/dev/null 2>&1 || again=false
	expect_out_has "\"message\":true,\"dkim\":{\"entry\":3,\"verdict\":\"pass\",\"observed\":\"$OBS\",\"resolver\":\"-\",\"reverified\":$again,\"signatures\":[{\"domain\":\"example.org\",\"selector\":\"rsa\",\"algorithm\":\"rsa-sha256\",\"result\":\"pass\",\"key_source\":\"file\",\"key_dnssec\":\"-\",\"key_bits\":2048}]}"
	# a message without a dkim entry says so; other documents say nothing
	run_full proof plain.eml -o "$TMP/plain.proof"
	expect_rc 0
	grep -q '^dkim' "$TMP/plain.proof" && fail "a dkim line for plain.eml"
	run check plain.eml --proof "$TMP/plain.proof" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  publication  registered, not recorded as published
  dkim         no dkim entry: the outlet recorded no DKIM verdict on this message before this checkpoint
  private "
	run check plain.eml --proof "$TMP/plain.proof" --key "$TMP/k" --json
	expect_out_has '"message":true,"dkim":null,'
	# with a timestamp, the verdict is dated by it
	mkdir "$TMP/pki"
	sh "$SRCDIR/tests/data/tsa/make-pki.sh" "$TMP/pki" >/dev/null 2>&1 ||
		fail "cannot make the PKI"
	run_full timestamp request -o "$TMP/q.tsq"
	expect_rc 0
	openssl ts -reply -queryfile "$TMP/q.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r.tsr" 2>/dev/null || fail "openssl ts -reply"
	run_full timestamp add "$TMP/r.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	run_full proof m.eml -o "$TMP/ts.proof"
	expect_rc 0
	run check m.eml --proof "$TMP/ts.proof" --key "$TMP/k" --tsa-ca "$TMP/pki/ca.pem" --json
	expect_rc 0
	local gen
	gen=$(printf '%s' "$OUT" | sed -n 's/.*"timestamp":{"time":"\([^"]*\)".*/\1/p')
	[ -n "$gen" ] || fail "no timestamp time: $OUT"
	run check m.eml --proof "$TMP/ts.proof" --key "$TMP/k" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	expect_out_has "  dkim bound   entry 3 is in the same signed tree, which the timestamp dates: verdict and key records recorded before $gen
$(dkim_again 3 pass)"
	# a verdict recorded after the newest timestamp is not in its tree:
	# the proof says so as it is made, and check that there is none
	run_full dkim plain.eml --key-record "$TMP/rec.txt"
	expect_rc 1   # recorded, and not a pass: no signature
	expect_out_has "recorded: dkim entry 4"
	run_full proof plain.eml -o "$TMP/plain-ts.proof"
	expect_rc 0
	expect_err_has "custody: note: entry 2's DKIM verdict (dkim entry 4) came after the checkpoint of size 4 this proof is made at, so the proof does not carry it; timestamp the log again (\`custody timestamp\`) and make the proof again"
	run check plain.eml --proof "$TMP/plain-ts.proof" --key "$TMP/k"
	expect_rc 0
	expect_out_has "  dkim         no dkim entry: the outlet recorded no DKIM verdict on this message before this checkpoint"
}

# A dkim part that was changed, proven wrongly, or of another message
# fails at step 'dkim', and a verdict the message does not give again
# at step 'dkim-verdict' (where this custody can verify).
test_dkim__a_wrong_dkim_part_fails_its_own_step() {
	dkim_setup
	run_full proof m.eml -o "$TMP/m.proof"
	expect_rc 0
	# the entry changed: its leaf is no longer the tree's
	edit_header "$TMP/m.proof" "$TMP/bad" '
h = [b"dkim " + b64(unb64(l[5:]).replace(b"key-bits 2048", b"key-bits 4096"))
     if l.startswith(b"dkim ") else l for l in h]'
	run check m.eml --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'dkim': dkim: dkim entry 3 is not in the checkpoint's tree beside the message: leaf 3 and its proof do not give the tree's root"
	expect_out ""
	# its pair proof short of a hash, or with one too many
	edit_header "$TMP/m.proof" "$TMP/bad" '
h = [l for l in h if not l.startswith(b"dkim-path ")]'
	run check m.eml --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'dkim': dkim: dkim entry 3 is not in the checkpoint's tree beside the message: the proof of leaf 3 beside leaf 1 is too short"
	edit_header "$TMP/m.proof" "$TMP/bad" '
h = [b"dkim-path " + b64(unb64(l[10:]) + bytes(32))
     if l.startswith(b"dkim-path ") else l for l in h]'
	run check m.eml --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'dkim': dkim: dkim entry 3 is not in the checkpoint's tree beside the message: the proof of leaf 3 beside leaf 1 has 1 hashes too many"
	# a dkim line without the dkim line it belongs to
	edit_header "$TMP/m.proof" "$TMP/bad" '
h = [l for l in h if not l.startswith(b"dkim ")]'
	run check m.eml --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'proof': $TMP/bad: the proof file is malformed: proof line 2: a dkim path without a dkim entry"
	# the dkim entry of another message, proven in the same tree
	run_full dkim plain.eml --key-record "$TMP/rec.txt"
	expect_rc 1   # recorded, and not a pass: no signature
	expect_out_has "recorded: dkim entry 4"
	run_full proof plain.eml -o "$TMP/plain.proof"
	expect_rc 0
	run_full proof m.eml -o "$TMP/m5.proof"
	expect_rc 0
	expect_eq "$(sed -n 's/^dkim //p' "$TMP/m5.proof" | base64 -d | sha256sum)" \
		"$(entry_public $G 3 | sha256sum)" "the newest dkim entry of m.eml"
	local other
	other=$(grep '^dkim ' "$TMP/plain.proof")
	edit_header "$TMP/m5.proof" "$TMP/bad" "
h = [b'$other' if l.startswith(b'dkim ') else l for l in h]"
	run check m.eml --proof "$TMP/bad" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: check failed at step 'dkim': dkim: dkim entry 4 is the verdict on entry 2, not on this message (entry 1)"
	# an outlet that records "pass" for a key that does not sign the
	# message: entry 3 with another key record, in a tree of its own
	# the outlet signs (forged here with the outlet key)
	"$PYTHON" - "$TMP/m.proof" "$TMP/rec.txt" "$TMP/other.txt" \
		"$TMP/forged.entry" "$TMP/forged.root" <<'PY' || fail "forge"
import base64, hashlib, subprocess, sys
proof, rec, other, entry_out, root_out = sys.argv[1:6]
def git(*a):
    return subprocess.run(["git", "--git-dir=.custody"] + list(a),
                          capture_output=True, check=True).stdout
def public(i):
    return git("show", "main:log/000/000/%09d.yaml" % i)
b = lambda s: base64.b64encode(open(s, "rb").read())
e3 = public(3)
assert b(rec) in e3
e3 = e3.replace(b(rec), b(other))
leaf = lambda d: hashlib.sha256(b"\0" + d).digest()
node = lambda l, r: hashlib.sha256(b"\1" + l + r).digest()
l0, l1, l2, l3 = leaf(public(0)), leaf(public(1)), leaf(public(2)), leaf(e3)
open(entry_out, "wb").write(e3)
open(root_out, "wb").write(base64.b64encode(node(node(l0, l1), node(l2, l3))) + b"\n" +
    base64.b64encode(l0) + b"\n" + base64.b64encode(node(l2, l3)) + b"\n")
PY
	forge_checkpoint 4 "$(sed -n 1p "$TMP/forged.root")" >"$TMP/forged.cp" ||
		fail "cannot sign the forged checkpoint"
	"$PYTHON" - "$TMP/m.proof" "$TMP/forged.entry" "$TMP/forged.root" \
		"$TMP/forged.cp" "$TMP/forged.proof" <<'PY' || fail "forged proof"
import base64, sys
src, entry, roots, cp, dst = sys.argv[1:6]
head, tlog = open(src, "rb").read().split(b"\n\n", 1)
lines = [b"dkim " + base64.b64encode(open(entry, "rb").read())
         if l.startswith(b"dkim ") else l for l in head.split(b"\n")]
r = open(roots, "rb").read().split(b"\n")
t = tlog.split(b"\n")
# c2sp.org/tlog-proof@v1, extra, index, the two hashes, "", checkpoint
assert t[0] == b"c2sp.org/tlog-proof@v1" and t[2] == b"index 1", t[:3]
out = b"\n".join(lines) + b"\n\n" + b"\n".join(t[:3] + [r[1], r[2]]) + \
    b"\n\n" + open(cp, "rb").read()
open(dst, "wb").write(out)
PY
	run check m.eml --proof "$TMP/forged.proof" --key "$TMP/k"
	if "$CUSTODY" dkim --help >/dev/null 2>&1; then
		expect_rc 1
		expect_err "custody: check failed at step 'dkim-verdict': dkim-verdict: dkim entry 3 records the verdict pass, but the message, verified again against the key records it carries at $OBS, gives fail"
		expect_out ""
	else
		expect_rc 0
		expect_out_has "  dkim         pass, entry 3: keys observed $OBS
  signature    d=example.org s=rsa a=rsa-sha256: pass (2048-bit key from file, DNSSEC -)"
		expect_out_has "$(dkim_again)"
	fi
}

test_rotation__an_old_key_is_told_where_the_log_key_went() {
	setup
	run_full proof memos/budget.txt -o "$TMP/p"
	"$CUSTODY_FULL" key export --vkey >"$TMP/old.vkey"
	cp memos/budget.txt "$TMP/doc"
	cd "$TMP"
	openssl genpkey -algorithm ed25519 -out new.pem 2>/dev/null
	openssl genpkey -algorithm ed25519 -out third.pem 2>/dev/null
	rotate_proof p rotated "$CUSTODY_KEY_DIR/$OUTLET_KEY_FILE" new.pem 3 >rotated ||
		fail "cannot rotate"
	run check doc --proof rotated --key old.vkey
	expect_rc 1
	expect_err "custody: check failed at step 'signature': the checkpoint's signature: the outlet key was rotated at entry 3: the checkpoint is signed by the new key $(cat new.vkey), which the key you gave endorsed; check again with the new key"
	# with the key it names, the proof checks
	run check doc --proof rotated --key new.vkey
	expect_rc 0
	expect_out_has "OK: doc is the document registered in the log example.org/leaks"
	# the rotation signed by a third key in place of the old one
	rotate_proof p forged third.pem new.pem 3 >forged || fail "cannot forge"
	run check doc --proof forged --key old.vkey
	expect_rc 1
	expect_err "custody: check failed at step 'signature': checkpoint signed for example.org/leaks, but not by the key you gave (key id $(cut -d+ -f2 old.vkey); the proof's checkpoint is signed by key id $(cut -d+ -f2 new.vkey))"
	# one byte of the old key's signature
	"$PYTHON" - rotated <<'PY' >bad-sig
import base64, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
i = [n for n, l in enumerate(lines) if l.startswith(b"log-key ")][0]
e = base64.b64decode(lines[i][8:])
at = e.index(b'old_signature: "') + 20
e = e[:at] + (b"A" if e[at:at + 1] != b"A" else b"B") + e[at + 1:]
lines[i] = b"log-key " + base64.b64encode(e)
sys.stdout.buffer.write(b"\n".join(lines))
PY
	run check doc --proof bad-sig --key old.vkey
	expect_rc 1
	expect_err_has "the rotation at entry 3 is not signed by both the old and the new key"
	# a rotation inside the tree only: an index past the checkpoint
	rotate_proof p late "$CUSTODY_KEY_DIR/$OUTLET_KEY_FILE" new.pem 99999 >late ||
		fail "cannot rotate"
	run check doc --proof late --key old.vkey
	expect_rc 1
	expect_err_has "a log-key line holds entry 99999 (type log-key), not a rotation inside the checkpoint's tree (size "
}

test_consistency__a_saved_checkpoint_and_a_fork() {
	setup
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	run_full checkpoint
	printf '%s\n' "$OUT" >"$TMP/old"
	# a partner copies the archive; both go on differently
	cp -a "$TMP/coll" "$TMP/fork"
	printf 'one\n' >memos/one.txt
	run_full add memos/one.txt
	run_full publish memos/one.txt --url https://example.org/one
	run_full checkpoint
	printf '%s\n' "$OUT" >"$TMP/new"
	run_full consistency "$TMP/old" -o "$TMP/c"
	expect_rc 0
	expect_eq "$(head -1 "$TMP/c")" "custody-consistency/v1"
	run consistency "$TMP/old" "$TMP/new" --proof "$TMP/c" --key "$TMP/k"
	expect_rc 0
	expect_out "consistent: the second checkpoint extends the first"
	run_full proof memos/one.txt -o "$TMP/p"
	cp memos/one.txt "$TMP/one.txt"
	run check "$TMP/one.txt" --proof "$TMP/p" --key "$TMP/k" \
		--checkpoint "$TMP/old" --consistency "$TMP/c"
	expect_rc 0
	expect_out_has "history      consistent with the checkpoint of size"
	# without the consistency proof the check cannot tell: it says so
	run check "$TMP/one.txt" --proof "$TMP/p" --key "$TMP/k" \
		--checkpoint "$TMP/old"
	expect_rc 1
	expect_err_has "need a consistency proof"
	# the fork: same origin, same key, another history
	(cd "$TMP/fork" && printf 'two\n' >memos/two.txt &&
		"$CUSTODY_FULL" add memos/two.txt >/dev/null &&
		printf 'three\n' >memos/three.txt &&
		"$CUSTODY_FULL" add memos/three.txt >/dev/null &&
		"$CUSTODY_FULL" checkpoint >"$TMP/forked") || fail "fork"
	# equal sizes, two roots: evidence of a fork, no proof needed
	run consistency "$TMP/new" "$TMP/forked" --proof "$TMP/c" --key "$TMP/k"
	expect_rc 1
	expect_err_has "evidence of a fork: two checkpoints of example.org/leaks"
	# this archive refuses to prove the fork consistent
	run_full consistency "$TMP/forked"
	expect_rc 1
	expect_err_has "evidence of a fork"
	# a reader who saved the forked checkpoint is told, by the check
	(cd "$TMP/fork" && printf 'four\n' >memos/four.txt &&
		"$CUSTODY_FULL" add memos/four.txt >/dev/null &&
		"$CUSTODY_FULL" checkpoint >"$TMP/forked2") || fail "fork 2"
	run_full consistency "$TMP/old" -o "$TMP/c2"
	run check "$TMP/one.txt" --proof "$TMP/p" --key "$TMP/k" \
		--checkpoint "$TMP/forked2" --consistency "$TMP/c"
	expect_rc 1
	expect_err_has "step 'consistency'"
}

# A timestamped proof: the token is checked, and its authority trusted
# only when given (the same checks as tests/cli/t-timestamp.sh's, by the
# custody under test).
test_timestamp__the_check_trusts_only_the_authorities_given() {
	mkdir pki
	sh "$SRCDIR/tests/data/tsa/make-pki.sh" "$TMP/pki" >/dev/null 2>&1 ||
		fail "cannot make the PKI"
	setup
	run_full timestamp request -o "$TMP/q.tsq"
	expect_rc 0
	openssl ts -reply -queryfile "$TMP/q.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r.tsr" 2>/dev/null || fail "openssl ts -reply"
	run_full timestamp add "$TMP/r.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	run_full proof memos/budget.txt -o "$TMP/p"
	expect_rc 0
	expect_eq "$(sed -n 2p "$TMP/p" | cut -d' ' -f1)" "timestamp"
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	cp memos/budget.txt "$TMP/doc"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k" \
		--tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	expect_out_has "registered before "
	expect_out_has "(trusted: $TMP/pki/ca.pem)"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k"
	expect_rc 0
	expect_out_has "but no trusted authority was given (--tsa-ca)"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k" \
		--tsa-ca "$TMP/pki/other-ca.pem"
	expect_rc 1
	expect_err_has "check failed at step 'timestamp': timestamp: the TSA is not trusted"
}

test_reveal__discloses_the_original_and_checks_offline() {
	setup
	printf 'Budget line 1\n[redacted]\n' >redacted.txt
	run_full derive memos/budget.txt redacted.txt --action redact
	run_full publish redacted.txt --url https://example.org/story
	run_full reveal redacted.txt -o "$TMP/disclosure"
	expect_rc 0
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	cp memos/budget.txt "$TMP/original.txt"
	cp redacted.txt "$TMP/redacted.txt"
	cd "$TMP"
	run check-reveal disclosure --key k --original original.txt \
		--derivative redacted.txt
	expect_rc 0
	expect_out_has "OK: redacted.txt (entry "
	expect_out_has "was made by redact from memos/budget.txt (entry "
	expect_out_has "(the file given matches)"
	# another file as the original: refused, naming the step
	printf 'not it\n' >other.txt
	run check-reveal disclosure --key k --original other.txt
	expect_rc 1
	expect_err_has "check-reveal failed at step 'original'"
	# another outlet's key
	ssh-keygen -q -t ed25519 -N '' -f o
	run check-reveal disclosure --key "$(cut -d' ' -f1,2 o.pub)"
	expect_rc 1
	expect_err_has "step 'derivative'"
	# the original's proof swapped for another entry's
	(cd coll && "$CUSTODY_FULL" proof memos/meeting.txt 2>/dev/null ||
		"$CUSTODY_FULL" proof memos/2019/meeting.txt) >other.proof
	"$PYTHON" - disclosure other.proof <<'PY' >swapped
import base64, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
other = open(sys.argv[2], "rb").read()
lines[2] = b"original " + base64.b64encode(other)
sys.stdout.buffer.write(b"\n".join(lines))
PY
	run check-reveal swapped --key k
	expect_rc 1
	expect_err_has "step 'link'"
	printf 'custody-reveal/v2\ngarbage\n' >junk
	run check-reveal junk --key k
	expect_rc 1
	expect_err_has "step 'disclosure'"
}

# mutate IN OUT KIND: rewrite an SSHSIG file (PROTOCOL.sshsig) with one
# defect, re-armoured as ssh-keygen would.
mutate() {
	"$PYTHON" - "$@" <<'PY'
import base64, struct, sys
src, dst, kind = sys.argv[1:4]
lines = open(src).read().strip().split("\n")
blob = base64.b64decode("".join(lines[1:-1]))
def rd(b, o):
    n = struct.unpack(">I", b[o:o + 4])[0]
    return b[o + 4:o + 4 + n], o + 4 + n
def st(x):
    return struct.pack(">I", len(x)) + x
o = 10                              # "SSHSIG" + uint32 version
pk, o = rd(blob, o); ns, o = rd(blob, o); res, o = rd(blob, o)
alg, o = rd(blob, o); sig, o = rd(blob, o)
typ, so = rd(sig, 0); s, so = rd(sig, so)
L = 2**252 + 27742317777372353535851937790883648493
if kind == "truncated":
    s = s[:63]
elif kind == "padded":
    s = s + b"\0"
elif kind == "s-plus-l":
    S = int.from_bytes(s[32:], "little") + L
    s = s[:32] + S.to_bytes(32, "little")
elif kind == "small-order":
    # the identity point, and R = identity, S = 0: a "signature" that
    # holds for every message under this key
    ident = b"\x01" + b"\0" * 31
    pk = st(b"ssh-ed25519") + st(ident)
    s = ident + b"\0" * 32
out = b"SSHSIG" + struct.pack(">I", 1) + st(pk) + st(ns) + st(res) + \
    st(alg) + st(st(typ) + st(s))
if kind == "trailing":
    out += b"\0"
b = base64.b64encode(out).decode()
open(dst, "w").write("-----BEGIN SSH SIGNATURE-----\n" +
    "\n".join(b[i:i + 70] for i in range(0, len(b), 70)) +
    "\n-----END SSH SIGNATURE-----\n")
PY
}

test_verify_signature__help_and_usage() {
	run verify-signature --help
	expect_rc 0
	run verify-signature a b
	expect_rc 2
	expect_err_has "--key KEY"
}

test_sign__custody_accepts_ssh_keygen_signatures() {
	alice
	printf 'Published 2026-11-23.\n' >doc.txt
	ssh-keygen -q -Y sign -f "$TMP/id" -n custody doc.txt 2>/dev/null
	run verify-signature doc.txt doc.txt.sig --key "$TMP/id.pub"
	expect_rc 0
	expect_out "Good signature on doc.txt by $(fingerprint "$TMP/id.pub") (namespace custody)"
	run verify-signature doc.txt doc.txt.sig --key alice --json
	expect_rc 0
	fp=$(fingerprint "$TMP/id.pub")
	expect_out "{\"format\":\"custody-verify-signature/v1\",\"file\":\"doc.txt\",\"signature\":\"doc.txt.sig\",\"valid\":true,\"fingerprint\":\"$fp\",\"expected_fingerprint\":\"$fp\",\"namespace\":\"custody\",\"error\":null}"
	run verify-signature doc.txt doc.txt.sig \
		--key "$(cut -d' ' -f1,2 "$TMP/id.pub")"
	expect_rc 0
}

test_sign__bad_signatures_are_named() {
	alice
	local bad="custody: doc.txt: bad signature"
	printf 'original\n' >doc.txt
	run_full sign doc.txt
	# the document changed
	printf 'original.\n' >doc.txt
	run verify-signature doc.txt doc.txt.sig --key alice
	expect_rc 1
	expect_err "$bad doc.txt.sig: the signature does not match the signed data"
	printf 'original\n' >doc.txt
	# a valid signature for another namespace
	cp doc.txt git.txt
	ssh-keygen -q -Y sign -f "$TMP/id" -n git git.txt 2>/dev/null
	run verify-signature doc.txt git.txt.sig --key alice
	expect_rc 1
	expect_err "$bad git.txt.sig: the signature was made for namespace 'git', not 'custody'"
	mutate doc.txt.sig t.sig truncated
	run verify-signature doc.txt t.sig --key alice
	expect_rc 1
	expect_err "$bad t.sig: the signature is malformed: the Ed25519 signature is 63 bytes, not 64"
	mutate doc.txt.sig p.sig padded
	run verify-signature doc.txt p.sig --key alice
	expect_rc 1
	expect_err "$bad p.sig: the signature is malformed: the Ed25519 signature is 65 bytes, not 64"
	mutate doc.txt.sig x.sig trailing
	run verify-signature doc.txt x.sig --key alice
	expect_rc 1
	expect_err "$bad x.sig: the signature is malformed: bytes follow the signature"
	mutate doc.txt.sig s.sig s-plus-l
	run verify-signature doc.txt s.sig --key alice
	expect_rc 1
	expect_err "$bad s.sig: the signature's S is not below the group order L (a malleated signature)"
	mutate doc.txt.sig o.sig small-order
	run verify-signature doc.txt o.sig --key alice
	expect_rc 1
	expect_err "$bad o.sig: the signer's key is a point of small order (a key anyone could forge signatures for)"
	# ssh-keygen agrees about these; it accepts s.sig (OpenSSH 9.2's
	# Ed25519 code does not check S < L), which custody refuses
	for s in t p x o; do
		ssh-keygen -Y verify -f "$TMP/allowed" -I alice -n custody \
			-s $s.sig <doc.txt >/dev/null 2>&1 &&
			fail "ssh-keygen accepts $s.sig"
	done
	# good signature, other signer
	ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve"
	run verify-signature doc.txt doc.txt.sig --key "$TMP/eve.pub"
	expect_rc 1
	expect_err "custody: doc.txt: doc.txt.sig is a signature by $(fingerprint "$TMP/id.pub"), not by the key given ($(fingerprint "$TMP/eve.pub"))"
	# a small-order key is refused as the key to trust, too
	run verify-signature doc.txt doc.txt.sig --key 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
	expect_rc 1
	expect_err_has "small order"
}

# inputs_setup: a published document's proof ($TMP/p), the outlet's key
# ($TMP/k) and a FIFO ($TMP/fifo)
inputs_setup() {
	make_collection coll
	cd coll
	run_full init --origin example.org/inputs
	run_full add .
	run_full publish memos/budget.txt --url https://example.org/a
	run_full proof memos/budget.txt -o "$TMP/p"
	expect_rc 0
	"$CUSTODY_FULL" key export --vkey >"$TMP/k"
	mkfifo "$TMP/fifo"
}

test_inputs__a_fifo_or_device_is_refused_by_the_checks() {
	inputs_setup
	trun check "$TMP/fifo" --proof "$TMP/p" --key "$TMP/k"
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
	trun check /dev/zero --proof "$TMP/p" --key "$TMP/k"
	expect_rc 1
	expect_err_has "/dev/zero: is not a regular file (a character device)"
	trun check memos/budget.txt --proof "$TMP/fifo" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: $TMP/fifo: is not a regular file (a FIFO)"
	trun check memos/budget.txt --proof "$TMP/p" --key "$TMP/fifo"
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
	trun verify-signature "$TMP/fifo" "$TMP/fifo" --key "$TMP/k"
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
}

test_inputs__a_folder_given_as_a_file_says_so() {
	inputs_setup
	mkdir "$TMP/dir"
	run check memos/budget.txt --proof "$TMP/dir" --key "$TMP/k"
	expect_rc 1
	expect_err "custody: $TMP/dir: is a folder, not a file"
	run check "$TMP/dir" --proof "$TMP/p" --key "$TMP/k"
	expect_rc 1
	expect_err_has "$TMP/dir: is a folder, not a file"
}

test_inputs__an_oversized_file_is_refused_before_it_is_read() {
	inputs_setup
	head -c 20000000 /dev/zero >"$TMP/big"
	/usr/bin/time -f %M -o "$TMP/rss" "$CUSTODY" check memos/budget.txt \
		--proof "$TMP/big" --key "$TMP/k" >/dev/null 2>"$TMP/e"
	grep -q "$TMP/big: too big (20000000 bytes, at most " "$TMP/e" ||
		fail "$(cat "$TMP/e")"
	[ "$(rss)" -lt $((15000 + RSS_BASE)) ] ||
		fail "read $(rss) KiB to refuse it"
}

run_tests
