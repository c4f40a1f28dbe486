#!/bin/bash
# The transparency log: checkpoints, publications and proofs, with the
# Merkle root and the note signature recomputed by tools this project did
# not write (python3's hashlib, openssl pkeyutl). The offline check of
# proofs and consistency proofs is t-check.sh's.
. "$(dirname "$0")/lib.sh"

G=.custody

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/leaks
	expect_rc 0
	run add .
	expect_rc 0
}

# rfc6962_root: the RFC 6962 root of every entry at main, from the
# entry files' bytes, by a few lines of python that share nothing with
# custody.
rfc6962_root() {
	local d
	d=$(mktemp -d "$TMP/entries.XXXXXX")
	git --git-dir=$G archive main log | tar -x -m -C "$d"
	"$PYTHON" - "$d" <<'PY'
import base64, hashlib, os, sys
root = sys.argv[1]
files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs)
leaves = [hashlib.sha256(b"\0" + open(f, "rb").read()).digest() for f in files]
def mth(h):
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return hashlib.sha256(b"\1" + mth(h[:k]) + mth(h[k:])).digest()
print(base64.b64encode(mth(leaves)).decode())
PY
}

# note_signature_ok NOTE PUBKEY_LINE: check a C2SP note's Ed25519 signature
# with openssl pkeyutl (the key id too), as a fact-checker's own tool would.
note_signature_ok() {
	"$PYTHON" - "$1" "$2" "$TMP" <<'PY' || return 1
import base64, hashlib, sys
note = open(sys.argv[1], "rb").read()
text, sigs = note.split(b"\n\n", 1)
text += b"\n"
line = sigs.decode().splitlines()[0]
assert line.startswith("\u2014 "), line
name, b64 = line[2:].rsplit(" ", 1)
raw = base64.b64decode(b64)
key = base64.b64decode(sys.argv[2].split()[1])[-32:]
kid = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
assert raw[:4] == kid, "key id"
d = sys.argv[3]
open(d + "/text", "wb").write(text)
open(d + "/sig", "wb").write(raw[4:])
der = bytes.fromhex("302a300506032b6570032100") + key
open(d + "/pub.pem", "w").write("-----BEGIN PUBLIC KEY-----\n" +
    base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n")
PY
	openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin \
		-in "$TMP/text" -sigfile "$TMP/sig" >/dev/null 2>&1
}

test_checkpoint__every_change_signs_one_with_the_rfc6962_root() {
	setup
	run checkpoint
	expect_rc 0
	printf '%s\n' "$OUT" >cp
	local n
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	expect_eq "$(sed -n 1p cp)" "example.org/leaks" "origin"
	expect_eq "$(sed -n 2p cp)" "$n" "size"
	expect_eq "$(sed -n 3p cp)" "$(rfc6962_root)" "root"
	expect_eq "$(sed -n 4p cp)" "" "blank line"
	contains "$(sed -n 5p cp)" "— example.org/leaks " || fail "$(cat cp)"
	note_signature_ok cp "$(outlet_key)" || fail "openssl rejects the note"
	# the same file is in the tree, and every commit carries one
	git --git-dir=$G show main:checkpoint >tree-cp
	cmp -s cp tree-cp || fail "custody checkpoint differs from the tree's"
	run checkpoint --json
	expect_out_has "\"origin\":\"example.org/leaks\",\"size\":$n,"
	# after more changes, still the RFC 6962 root of all entries
	printf 'new\n' >memos/new.txt
	run add memos/new.txt
	run member add bob "$(ssh-keygen -q -t ed25519 -N '' -f "$TMP/b" &&
		cat "$TMP/b.pub")"
	expect_rc 0
	git --git-dir=$G show main:checkpoint >cp2
	expect_eq "$(sed -n 2p cp2)" "$((n + 2))" "size after two changes"
	expect_eq "$(sed -n 3p cp2)" "$(rfc6962_root)" "root after two changes"
	note_signature_ok cp2 "$(outlet_key)" || fail "openssl rejects cp2"
	run verify
	expect_rc 0
}

test_checkpoint__verify_rebuilds_a_lost_or_damaged_tile_cache() {
	setup
	rm -rf $G/cache/tiles
	run verify
	expect_rc 0
	[ -d $G/cache/tiles ] || fail "no tile cache after verify"
	# damage a tile: verify notices, rebuilds, passes
	local tile
	tile=$(find $G/cache/tiles -type f -path '*tile/0/*' | head -1)
	[ -n "$tile" ] || fail "no level-0 tile"
	printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd of="$tile" bs=1 seek=0 \
		conv=notrunc 2>/dev/null
	run verify
	expect_rc 0
	expect_err_has "rebuilt from the entries"
	run verify
	expect_rc 0
	expect_err ""
	printf 'more\n' >memos/more.txt
	run add memos/more.txt
	expect_rc 0
	expect_eq "$(git --git-dir=$G show main:checkpoint | sed -n 3p)" \
		"$(rfc6962_root)" "root after the rebuild"
}

test_checkpoint__custody_never_signs_one_inconsistent_with_head() {
	setup
	tampered
	local size tree commit before
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	# someone with the outlet key commits a checkpoint for another tree
	forge_checkpoint "$size" "$(head -c 32 /dev/urandom | base64)" >forged ||
		fail "cannot forge"
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w forged)",checkpoint
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m forged)
	git --git-dir=$G update-ref refs/heads/main "$commit"
	before=$(snapshot $G)
	printf 'next\n' >memos/next.txt
	run add memos/next.txt
	expect_rc 1
	# the commit is new to this machine, so verify's checks run first
	# and refuse it (before the signer's own consistency check would)
	expect_err_has "has commits that this machine has not verified, and they fail its checks; nothing was changed."
	expect_err_has "commit $(git --git-dir=$G rev-parse --short=12 main): its checkpoint's root is not the Merkle root of the log's first $size entries"
	expect_eq "$(snapshot $G | grep -v custody-evidence)" \
		"$(echo "$before" | grep -v custody-evidence)" \
		"archive after the refusal"
	run verify
	expect_rc 1
	expect_out_has "commit $(git --git-dir=$G rev-parse --short=12 main): its checkpoint's root is not the Merkle root of the log's first $size entries"
}

test_publish__records_where_and_when_and_lists_it() {
	setup
	run publish memos/budget.txt scans/report.pdf \
		--url https://example.org/story --title 'The budget' \
		--at 2026-11-22T18:00:00Z
	expect_rc 0
	expect_out_has "published 2 documents at https://example.org/story: entry "
	run log --published
	expect_rc 0
	expect_out_has "2026-11-22T18:00:00Z  https://example.org/story  memos/budget.txt"
	expect_out_has "2026-11-22T18:00:00Z  https://example.org/story  scans/report.pdf"
	run log --published --json
	expect_out_has '"title":"The budget"'
	run verify
	expect_rc 0
	# a changed file, an unknown one, a bad URL: refused, nothing written
	local before
	before=$(snapshot $G)
	printf 'changed\n' >>memos/budget.txt
	run publish memos/budget.txt --url https://example.org/x
	expect_rc 1
	expect_err_has "memos/budget.txt: differs from version 1 as registered"
	printf 'x\n' >unregistered.txt
	run publish unregistered.txt --url https://example.org/x
	expect_rc 1
	expect_err_has "unregistered.txt: not registered in this archive"
	run publish scans/report.pdf --url ftp://example.org/x
	expect_rc 2
	expect_err "custody: --url 'ftp://example.org/x' must start with https:// or http://
Try 'custody publish --help'."
	run publish scans/report.pdf
	expect_rc 2
	expect_eq "$(snapshot $G)" "$before" "archive after refusals"
}

test_proof__reveals_no_other_document_and_no_recomputable_leaf() {
	setup
	run proof memos/budget.txt -o "$TMP/p"
	# decode every base64 token of the proof, and look for the digest of
	# every other registered document, in hex and raw
	"$PYTHON" - "$TMP/p" $(git --git-dir=$G ls-tree -r --name-only main log |
		while read -r f; do git --git-dir=$G show "main:$f" |
		sed -n 's/^sha256: "\(.*\)"/\1/p'; done) <<'PY' || fail "a digest leaks"
import base64, binascii, sys
proof = open(sys.argv[1], "rb").read()
own = None
blobs = [proof]
for tok in proof.split():
    try:
        blobs.append(base64.b64decode(tok, validate=True))
    except (binascii.Error, ValueError):
        pass
extra = [b for b in blobs if b.startswith(b"custody-entry: 2")][0]
own = extra.split(b'sha256: "')[1][:64].decode()
for d in sys.argv[2:]:
    if d == own:
        continue
    for b in blobs:
        if d.encode() in b or bytes.fromhex(d) in b:
            sys.exit("digest %s of another document is in the proof" % d)
PY
	# the leaf is salted: hashing the document, or its entry without the
	# salt the proof carries, does not give the leaf
	local leaf
	leaf=$("$PYTHON" -c '
import base64, hashlib, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
extra = [l for l in lines if l.startswith(b"extra ")][0][6:]
print(hashlib.sha256(b"\0" + base64.b64decode(extra)).hexdigest())' "$TMP/p")
	[ "$leaf" != "$("$PYTHON" -c '
import hashlib, sys
print(hashlib.sha256(b"\0" + open(sys.argv[1], "rb").read()).hexdigest())' memos/budget.txt)" ] ||
		fail "the leaf is the document's own hash"
	grep -q '^salt: "[0-9a-f]\{64\}"' <(git --git-dir=$G show \
		main:log/000/000/000000001.yaml) || fail "entries are not salted"
}


# publication_of PROOF: the index of the publication entry a proof
# carries, or nothing.
publication_of() { sed -n 's/^publication \([0-9]*\) .*/\1/p' "$1"; }

test_proof__carries_a_publication_that_came_in_by_stock_git() {
	setup
	local size
	run proof memos/budget.txt -o "$TMP/before.proof"
	expect_rc 0
	expect_eq "$(publication_of "$TMP/before.proof")" "" "publication"
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	expect_eq "$(sed -n 2p $G/cache/tlog-index)" "size $size" \
		"entries the index covers"
	# a partner publishes; the commit comes in by git fetch, past custody
	git clone -q --bare $G ../partner.custody
	mkdir ../partner && cp -r memos scans ../partner/
	(cd ../partner && mv ../partner.custody .custody &&
		"$CUSTODY" publish memos/budget.txt \
		--url https://example.org/story >/dev/null 2>&1) ||
		fail "partner publish failed"
	git --git-dir=$G fetch -q ../partner/.custody main:main
	expect_eq "$(git --git-dir=$G show main:checkpoint | sed -n 2p)" \
		"$((size + 1))" "size after the fetch"
	run proof memos/budget.txt -o "$TMP/after.proof"
	expect_rc 0
	expect_eq "$(publication_of "$TMP/after.proof")" "$size" "publication"
	expect_eq "$(sed -n 2p $G/cache/tlog-index)" "size $((size + 1))" \
		"entries the index covers after the fetch"
	"$CUSTODY" key export --vkey >"$TMP/vkey"
	cp memos/budget.txt "$TMP/"
	cd "$TMP"
	run check budget.txt --proof after.proof --key vkey
	expect_rc 0
	expect_out_has "publication  published at https://example.org/story on "
	expect_out_has " (entry $size)"
}

test_proof__verify_corrects_an_entry_index_that_omits_a_publication() {
	setup
	local pub
	run publish memos/budget.txt --url https://example.org/story
	expect_rc 0
	pub=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	pub=$((pub - 1))
	run proof memos/budget.txt -o "$TMP/good.proof"
	expect_rc 0
	expect_eq "$(publication_of "$TMP/good.proof")" "$pub" "publication"
	cp $G/cache/tlog-index "$TMP/index"
	grep -q "^publish $pub [0-9]" "$TMP/index" || fail "$(cat "$TMP/index")"
	# the cache is not evidence: edited, it hides the publication...
	sed -i '/^publish /d' $G/cache/tlog-index
	run proof memos/budget.txt -o "$TMP/hidden.proof"
	expect_rc 0
	expect_eq "$(publication_of "$TMP/hidden.proof")" "" "publication"
	# ...until verify compares it with the entries and rewrites it
	run verify
	expect_rc 0
	expect_err "custody: note: $TMP/coll/.custody/cache/tlog-index: the entry index differed from the log's publish, log-key and dkim entries; rebuilt from the entries"
	cmp -s $G/cache/tlog-index "$TMP/index" || fail "index not rewritten"
	run verify
	expect_rc 0
	expect_err ""
	run proof memos/budget.txt -o "$TMP/again.proof"
	expect_rc 0
	cmp -s "$TMP/good.proof" "$TMP/again.proof" || fail "proofs differ"
	# damaged: rebuilt, told
	printf 'garbage\n' >$G/cache/tlog-index
	run proof memos/budget.txt -o "$TMP/again.proof" --force
	expect_rc 0
	expect_err "custody: note: $TMP/coll/.custody/cache/tlog-index: damaged; the entry index is rebuilt from the entries
custody: proof of memos/budget.txt written to $TMP/again.proof"
	cmp -s "$TMP/good.proof" "$TMP/again.proof" || fail "proofs differ"
	cmp -s $G/cache/tlog-index "$TMP/index" || fail "index not rebuilt"
}

test_proof__deleting_the_entry_index_changes_nothing_but_time() {
	cp -a "$CUSTODY_KEY_DIR" "$TMP/keys"
	export CUSTODY_KEY_DIR="$TMP/keys"
	setup
	local rot
	run publish memos/budget.txt --url https://example.org/story
	expect_rc 0
	rot=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	run log-key rotate example.org-leaks-2027
	expect_rc 0
	run publish memos/budget.txt --url https://example.org/again
	expect_rc 0
	run proof memos/budget.txt -o "$TMP/a.proof"
	expect_rc 0
	expect_eq "$(publication_of "$TMP/a.proof")" "$((rot + 1))" \
		"the newest publication"
	grep -q "^log-key $rot$" $G/cache/tlog-index ||
		fail "$(cat $G/cache/tlog-index)"
	[ "$(grep -c '^log-key ' "$TMP/a.proof")" = 1 ] ||
		fail "the proof does not carry the rotation"
	cp $G/cache/tlog-index "$TMP/index"
	rm $G/cache/tlog-index
	# verify does not make it (a refused change must leave no file)
	run verify
	expect_rc 0
	expect_err ""
	[ -e $G/cache/tlog-index ] && fail "verify made the index"
	run proof memos/budget.txt -o "$TMP/b.proof"
	expect_rc 0
	expect_err "custody: proof of memos/budget.txt written to $TMP/b.proof"
	cmp -s "$TMP/a.proof" "$TMP/b.proof" || fail "proofs differ"
	cmp -s $G/cache/tlog-index "$TMP/index" || fail "another index"
}

run_tests
