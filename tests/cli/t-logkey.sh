#!/bin/bash
# The outlet key (issue 13): one log key per origin signs every
# checkpoint; a member without it still registers documents, and its
# holder signs the next checkpoint.
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

make_bob() {
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob.ssh"
	CUSTODY_KEY_DIR="$TMP/bobkeys" "$CUSTODY" key import "$TMP/bob.ssh" bob \
		>/dev/null || fail "cannot import bob's key"
	run member add bob "$TMP/bob.ssh.pub"
	expect_rc 0
}

# bob's key folder holds his member key and no outlet key
as_bob() { CUSTODY_KEY_DIR="$TMP/bobkeys" CUSTODY_KEY= run "$@"; }

test_outlet__a_journalist_without_it_registers_and_a_holder_signs() {
	setup
	make_bob
	local vkey before n
	vkey=$("$CUSTODY" key export --vkey)
	before=$(git --git-dir=$G show main:checkpoint)
	printf 'from the second drop\n' >memos/new.txt
	as_bob add memos/new.txt
	expect_rc 0
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	# bob's commit: signed by bob, entries added, the checkpoint kept
	expect_eq "$(git --git-dir=$G show main:checkpoint)" "$before" \
		"the checkpoint after bob's add"
	expect_eq "$(git --git-dir=$G show --format= --name-only main |
		grep -c checkpoint)" 0 "checkpoint files bob's commit changed"
	run verify
	expect_rc 0
	# a proof needs a checkpoint that covers the document
	as_bob proof memos/new.txt -o "$TMP/p"
	expect_rc 1
	expect_err "custody: entry $((n - 1)) is not yet covered by a signed checkpoint (the latest covers $(sed -n 2p <<<"$before") entries); whoever holds the outlet key signs one with \`custody checkpoint sign\`"
	# only the holder signs one
	as_bob checkpoint sign
	expect_rc 1
	expect_err "custody: this key folder does not hold the outlet key of example.org/leaks ($vkey): only its holder signs checkpoints"
	run checkpoint sign
	expect_rc 0
	expect_out_has "signed checkpoint of size $n: commit "
	run checkpoint sign
	expect_rc 1
	expect_err "custody: the checkpoint at head already covers all $n entries"
	# the commit that signed it adds no entry, and verify accepts it
	expect_eq "$(git --git-dir=$G show --format= --name-only main)" \
		checkpoint "files the checkpoint commit changed"
	run verify
	expect_rc 0
	# bob's document, checked with the outlet's one key
	as_bob proof memos/new.txt -o "$TMP/p"
	expect_rc 0
	cp memos/new.txt "$TMP/new.txt"
	(cd "$TMP" && CUSTODY_KEY_DIR=/nonexistent "$CUSTODY" check new.txt \
		--proof p --key "$vkey") >"$TMP/.out" 2>&1 ||
		fail "check: $(cat "$TMP/.out")"
	contains "$(cat "$TMP/.out")" "OK: new.txt is the document registered" ||
		fail "$(cat "$TMP/.out")"
	# and not with bob's own key, which signs commits, not checkpoints
	run check "$TMP/new.txt" --proof "$TMP/p" --key "$(cut -d' ' -f1,2 \
		"$TMP/bob.ssh.pub")"
	expect_rc 1
	expect_err_has "custody: check failed at step 'signature'"
}

test_outlet__it_is_kept_apart_encrypted_and_out_of_the_archive() {
	setup
	local k="$CUSTODY_KEY_DIR/log/example.org-leaks.key"
	expect_eq "$(stat -c %a "$k")" 600 "mode"
	openssl pkey -in "$k" -passin pass:wrong -noout 2>/dev/null &&
		fail "the outlet key opens without its passphrase"
	openssl pkey -in "$k" -passin env:CUSTODY_PASSPHRASE -noout ||
		fail "the outlet key does not open with its passphrase"
	git --git-dir=$G grep -q "PRIVATE KEY" main -- . &&
		fail "a private key is in the archive"
	# a member key is still the folder's only key: no --key needed
	run key list
	expect_rc 0
	contains "$OUT" "example.org-leaks" && fail "listed as a member key: $OUT"
	printf 'x\n' >x.txt
	CUSTODY_KEY= run add x.txt
	expect_rc 0
	# the outlet key's OpenSSH line and vkey name the same key
	expect_eq "$("$CUSTODY" key export --outlet | cut -d' ' -f2)" \
		"$(cut -d' ' -f2 "$CUSTODY_KEY_DIR/log/example.org-leaks.pub")" \
		"outlet key"
}

test_outlet__verify_refuses_a_checkpoint_another_key_signed() {
	setup
	tampered
	local size root tree commit vkey
	vkey=$("$CUSTODY" key export --vkey)
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	root=$(git --git-dir=$G show main:checkpoint | sed -n 3p)
	# the same tree, signed by the member's key instead
	printf 'example.org/leaks\n%s\n%s\n' "$size" "$root" >"$TMP/cp.txt"
	openssl pkeyutl -sign -rawin -inkey "$CUSTODY_KEY_DIR/tester.key" \
		-passin env:CUSTODY_PASSPHRASE -in "$TMP/cp.txt" \
		-out "$TMP/cp.sig" || fail "openssl cannot sign"
	"$PYTHON" - "$TMP/cp.txt" "$TMP/cp.sig" "$(tester_key)" \
		>"$TMP/cp" <<'PY'
import base64, hashlib, sys
text = open(sys.argv[1], "rb").read()
sig = open(sys.argv[2], "rb").read()
key = base64.b64decode(sys.argv[3].split()[1])[-32:]
kid = hashlib.sha256(b"example.org/leaks\n\x01" + key).digest()[:4]
sys.stdout.buffer.write(text + b"\n\xe2\x80\x94 example.org/leaks " +
    base64.b64encode(kid + sig) + b"\n")
PY
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$TMP/cp")",checkpoint
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m "custody checkpoint sign")
	git --git-dir=$G update-ref refs/heads/main "$commit"
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${commit:0:12}: its checkpoint is not signed by the outlet key $vkey: "
}

run_tests
