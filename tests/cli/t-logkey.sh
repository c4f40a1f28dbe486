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

# commit_file FILE PATH MESSAGE: main with PATH replaced by FILE, in a
# commit stock git signs with the tester's key; main moves to it and its
# id is printed.
commit_file() {
	local tree commit
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$1")","$2"
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m "$3") || return 1
	git --git-dir=$G update-ref refs/heads/main "$commit" && echo "$commit"
}

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
	# for a script: the size signed and the commit (docs/json.md)
	printf 'from the third drop\n' >memos/third.txt
	as_bob add memos/third.txt
	expect_rc 0
	run checkpoint sign --json
	expect_rc 0
	expect_out "{\"format\":\"custody-checkpoint-sign/v1\",\"size\":$((n + 1)),\"commit\":\"$(git --git-dir=$G rev-parse main)\"}"
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
	local size root commit vkey
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
	commit=$(commit_file "$TMP/cp" checkpoint "custody checkpoint sign")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${commit:0:12}: its checkpoint is not signed by the outlet key $vkey: "
}

# The rotation tests change the key folder's log/: each has its own copy.
setup_rotation() {
	cp -a "$CUSTODY_KEY_DIR" "$TMP/keys"
	export CUSTODY_KEY_DIR="$TMP/keys"
	setup
}

# rotation_sigs_hold GITDIR N: entry N's two signatures over the
# documented message, checked with python3-cryptography (not custody).
rotation_sigs_hold() {
	entry_public "$1" "$2" | "$PYTHON" -c '
import base64, sys, yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
e = yaml.safe_load(sys.stdin)
msg = ("custody log-key rotation v1\nindex %d\nfrom %s\nto %s\n" % (
    e["index"], e["previous_log_key"], e["log_key"])).encode()
for vkey, sig in ((e["previous_log_key"], e["old_signature"]),
                  (e["log_key"], e["new_signature"])):
    raw = base64.b64decode(vkey.split("+", 2)[2])
    assert raw[0] == 1 and len(raw) == 33
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(
        base64.b64decode(sig), msg)
'
}

test_rotation__old_proofs_keep_their_key_new_ones_name_the_new_key() {
	setup_rotation
	local old new n
	old=$("$CUSTODY" key export --vkey)
	run proof memos/budget.txt -o "$TMP/before.proof"
	expect_rc 0
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	run log-key rotate example.org-leaks-2027 --note "yearly rotation"
	expect_rc 0
	new=$("$CUSTODY" key export --vkey)
	[ "$new" != "$old" ] || fail "the vkey did not change"
	expect_out "rotated the outlet key at entry $n: commit $(git --git-dir=$G rev-parse --short=12 main)
  old $old
  new $new (example.org-leaks-2027)"
	# the entry names both keys, signed by both, and custody.yaml the new
	rotation_sigs_hold $G "$n" || fail "the rotation's signatures do not hold"
	expect_eq "$(entry_public $G "$n" | sed -n 's/^previous_log_key: "\(.*\)"$/\1/p')" \
		"$old" "previous_log_key"
	expect_eq "$(git --git-dir=$G show main:custody.yaml |
		sed -n 's/^log_key: "\(.*\)"$/\1/p')" "$new" "custody.yaml's log_key"
	expect_eq "$(git --git-dir=$G show --format= --name-only main | sort |
		tr '\n' ' ')" "checkpoint custody.yaml $(entry_part_path log "$n") $(entry_part_path private "$n") " \
		"files the rotation commit changed"
	# the new key is kept like the first: encrypted, 0600
	expect_eq "$(stat -c %a "$CUSTODY_KEY_DIR/log/example.org-leaks-2027.key")" \
		600 "mode of the new key"
	printf 'after the rotation\n' >memos/later.txt
	run add memos/later.txt
	expect_rc 0
	run proof memos/later.txt -o "$TMP/after.proof"
	expect_rc 0
	cp memos/later.txt memos/budget.txt "$TMP/"
	cd "$TMP"
	# the old proof with the old key; the new proof with the new key
	run check budget.txt --proof before.proof --key "$old"
	expect_rc 0
	run check later.txt --proof after.proof --key "$new"
	expect_rc 0
	# the new proof with the old key: told where the key went
	run check later.txt --proof after.proof --key "$old"
	expect_rc 1
	expect_err "custody: check failed at step 'signature': the checkpoint's signature: the outlet key was rotated at entry $n: the checkpoint is signed by the new key $new, which the key you gave endorsed; check again with the new key"
	cd coll
	run verify
	expect_rc 0
	run log -n 2
	expect_out_has "log-key  outlet key rotated to $new"
}

test_rotation__twice_and_only_by_the_holder() {
	setup_rotation
	local first second third before
	first=$("$CUSTODY" key export --vkey)
	before=$(head_of $G)
	# usage
	run log-key rotate
	expect_rc 2
	expect_err "custody: rotate wants the name of the new key
Try 'custody log-key --help'."
	run log-key turn x
	expect_rc 2
	expect_err_has "custody: unknown subcommand 'turn' (there is: rotate)"
	# the key in force is not a new key
	run log-key rotate example.org-leaks
	expect_rc 1
	expect_err "custody: $PWD/.custody: the new outlet key is the one in force ($first)"
	# a member without the outlet key cannot rotate it
	mkdir "$TMP/nolog" && cp "$CUSTODY_KEY_DIR"/tester.* "$TMP/nolog/"
	CUSTODY_KEY_DIR="$TMP/nolog" run log-key rotate other
	expect_rc 1
	expect_err "custody: this key folder does not hold the outlet key of example.org/leaks ($first): only its holder can rotate it"
	expect_eq "$(head_of $G)" "$before" "head after the refusals"
	# a member without the key added entries: the old key signs them
	# first, in a commit of its own
	make_bob
	printf 'bob\n' >memos/bob.txt
	as_bob add memos/bob.txt
	expect_rc 0
	run log-key rotate second --json
	expect_rc 0
	second=$("$CUSTODY" key export --vkey)
	expect_eq "$(git --git-dir=$G log -2 --format=%s main | tr '\n' '|')" \
		"custody log-key rotate|custody checkpoint sign|" "the last two commits"
	run log-key rotate third
	expect_rc 0
	third=$("$CUSTODY" key export --vkey)
	run verify
	expect_rc 0
	run proof memos/bob.txt -o "$TMP/bob.proof"
	expect_rc 0
	cp memos/bob.txt "$TMP/"
	cd "$TMP"
	run check bob.txt --proof bob.proof --key "$first"
	expect_rc 1
	expect_err_has "the outlet key was rotated at entry "
	expect_err_has " (the last of several rotations): the checkpoint is signed by the new key $third, which the key you gave endorsed"
	run check bob.txt --proof bob.proof --key "$second"
	expect_rc 1
	expect_err_has "signed by the new key $third"
	run check bob.txt --proof bob.proof --key "$third"
	expect_rc 0
}

# A commit (signed by a member) that puts another key in custody.yaml
# without a rotation entry, or a checkpoint the old key signed after the
# rotation: verify names both.
test_rotation__verify_holds_the_key_schedule() {
	setup_rotation
	tampered
	local old new n commit size root
	old=$("$CUSTODY" key export --vkey)
	run log-key rotate example.org-leaks-2
	expect_rc 0
	new=$("$CUSTODY" key export --vkey)
	n=$(git --git-dir=$G rev-parse main)
	# the old key signs the head's tree again after the rotation
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	root=$(git --git-dir=$G show main:checkpoint | sed -n 3p)
	forge_checkpoint "$size" "$root" >"$TMP/cp" || fail "cannot forge"
	commit=$(commit_file "$TMP/cp" checkpoint "custody checkpoint sign")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${commit:0:12}: its checkpoint is not signed by the outlet key $new: "
	# back to the rotation; then custody.yaml put back to the old key
	git --git-dir=$G update-ref refs/heads/main "$n"
	git --git-dir=$G show main:custody.yaml |
		sed "s|^log_key: .*|log_key: \"$old\"|" >"$TMP/c.yaml"
	commit=$(commit_file "$TMP/c.yaml" custody.yaml "policy")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${commit:0:12}: changes custody.yaml, the archive's policy, which only a rotation of the outlet key does"
}

test_proof__the_holder_signs_the_checkpoint_it_needs() {
	setup
	make_bob
	local n vkey
	printf 'second drop\n' >memos/new.txt
	as_bob add memos/new.txt
	expect_rc 0
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	run proof memos/new.txt -o "$TMP/p"
	expect_rc 0
	expect_err "custody: signed a checkpoint of size $n to cover the entry: commit $(git --git-dir=$G rev-parse --short=12 main)
custody: proof of memos/new.txt written to $TMP/p"
	expect_eq "$(git --git-dir=$G log -1 --format=%s main)" \
		"custody checkpoint sign" "the last commit"
	run verify
	expect_rc 0
	vkey=$("$CUSTODY" key export --vkey)
	cp memos/new.txt "$TMP/"
	cd "$TMP"
	run check new.txt --proof p --key "$vkey"
	expect_rc 0
}

run_tests
