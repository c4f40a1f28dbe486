#!/bin/bash
# Keys and detached signatures: custody key and sign, checked against
# stock ssh-keygen and openssl (verify-signature is t-check.sh's).
. "$(dirname "$0")/lib.sh"

test_keys__help() {
	run key --help
	expect_rc 0
	expect_out_has "usage: custody key new"
	run sign --help
	expect_rc 0
	run key frobnicate
	expect_rc 2
}

test_keys__new_makes_an_encrypted_0600_key_that_openssl_opens() {
	own_keys
	run key new alice
	expect_rc 0
	expect_eq "$(stat -c %a keys)" 700 "key folder mode"
	expect_eq "$(stat -c %a keys/alice.key)" 600 "private key mode"
	expect_eq "$(head -1 keys/alice.key)" \
		"-----BEGIN ENCRYPTED PRIVATE KEY-----"
	# PBES2 with scrypt, AES-256-CBC, as the issue asks
	openssl asn1parse -in keys/alice.key >asn1 || fail "not ASN.1"
	grep -q 'OBJECT *:scrypt$' asn1 || fail "no scrypt: $(cat asn1)"
	# N = 2^14 (hex 4000), r = 8, p = 1: 16 MiB, within what openssl
	# itself agrees to spend when it opens the key
	expect_eq "$(grep -A5 'OBJECT *:scrypt$' asn1 | grep -o 'INTEGER *:.*' |
		tr -d ' ' | tr '\n' ' ')" "INTEGER:4000 INTEGER:08 INTEGER:01 " \
		"scrypt parameters"
	grep -q 'OBJECT *:aes-256-cbc$' asn1 || fail "no AES-256: $(cat asn1)"
	# openssl decrypts it with the passphrase, and its public key is
	# the one custody exports
	openssl pkey -in keys/alice.key -passin env:CUSTODY_PASSPHRASE \
		-pubout -outform DER | tail -c 32 >raw ||
		fail "openssl cannot open the key"
	expect_eq "$(base64 -w0 <raw)" "$("$PYTHON" -c '
import base64, sys
blob = base64.b64decode(open("keys/alice.pub").read().split()[1])
print(base64.b64encode(blob[-32:]).decode())')" "public key"
	openssl pkey -in keys/alice.key -passin pass:wrong -noout \
		2>/dev/null && fail "openssl opened it with a wrong passphrase"
	# fingerprints as ssh-keygen -lf shows them
	run key list
	expect_rc 0
	expect_out "$(printf '%-20s %s' alice "$(fingerprint keys/alice.pub)")"
	run key list --json
	expect_out_has "\"fingerprint\":\"$(fingerprint keys/alice.pub)\""
	grep -q 'PRIVATE' keys/alice.pub && fail "private data in .pub"
	# a key whose public file went missing is still listed
	run key new bob
	rm keys/bob.pub
	run key list
	expect_rc 0
	expect_out_has "bob                  (its bob.pub is missing or damaged)"
}

test_keys__new_never_overwrites_and_stays_out_of_collections() {
	own_keys
	run key new alice
	local before
	before=$(snapshot keys)
	run key new alice
	expect_rc 1
	expect_err "custody: a key named 'alice' exists in $TMP/keys; choose another name (custody never overwrites a key)"
	expect_eq "$(snapshot keys)" "$before" "key folder"
	run key new 'bad name'
	expect_rc 2
	expect_err "custody: NAME 'bad name' may hold only letters, digits and . _ @ + -
Try 'custody key --help'."
	run key import "$TMP/none" .dot
	expect_rc 2
	expect_err "custody: NAME '.dot' must not start with '.' or '-'
Try 'custody key --help'."
	make_collection coll
	(cd coll && CUSTODY_KEY_DIR="$TMP/keys" "$CUSTODY" init >/dev/null) ||
		fail "init"
	CUSTODY_KEY_DIR="$TMP/coll/private" run key new carol
	expect_rc 1
	expect_err_has "the key folder is inside the collection $TMP/coll"
	[ ! -e coll/private/carol.key ] || fail "key written in a collection"
	# nothing is made before the refusal, not even the folder
	[ ! -e coll/private ] || fail "key folder made in a collection"
	CUSTODY_KEY_DIR="$TMP/coll/a/b/keys" run key new carol
	expect_rc 1
	expect_err_has "the key folder is inside the collection $TMP/coll"
	[ ! -e coll/a ] || fail "folders made in a collection"
}

test_keys__wrong_passphrase_is_refused_and_nothing_is_written() {
	make_collection coll
	cd coll
	run init
	expect_rc 0
	local before
	before=$(snapshot .custody)
	CUSTODY_PASSPHRASE=wrong run add memos
	expect_rc 1
	expect_err "custody: $CUSTODY_KEY_DIR/tester.key: wrong passphrase (or a damaged key file); nothing was changed"
	expect_eq "$(snapshot .custody)" "$before" "archive"
	# the passphrase file is read the same way, first line only
	printf 'wrong\n' >"$TMP/pass"
	run add memos --passphrase-file "$TMP/pass"
	expect_rc 1
	expect_err_has "wrong passphrase"
	printf '%s\nignored\n' "$CUSTODY_PASSPHRASE" >"$TMP/pass"
	CUSTODY_PASSPHRASE=wrong run add memos --passphrase-file "$TMP/pass"
	expect_rc 0
}

# A NUL byte in a passphrase file: once the bytes after it went unread
# (the passphrase below was taken as $CUSTODY_PASSPHRASE alone).
test_keys__a_nul_byte_in_a_passphrase_file_is_refused() {
	make_collection coll
	cd coll
	run init
	expect_rc 0
	local before
	before=$(snapshot .custody)
	printf '%s\0more\n' "$CUSTODY_PASSPHRASE" >"$TMP/pass"
	run add memos --passphrase-file "$TMP/pass"
	expect_rc 1
	expect_err "custody: $TMP/pass: the passphrase holds a NUL byte (custody would read only the bytes before it)"
	expect_eq "$(snapshot .custody)" "$before" "archive"
	# an empty file, and a line of 1025 bytes
	: >"$TMP/pass"
	run add memos --passphrase-file "$TMP/pass"
	expect_rc 1
	expect_err "custody: $TMP/pass: the passphrase file is empty"
	printf '%01025d\n' 0 >"$TMP/pass"
	run add memos --passphrase-file "$TMP/pass"
	expect_rc 1
	expect_err "custody: $TMP/pass: the passphrase is longer than 1024 bytes"
	expect_eq "$(snapshot .custody)" "$before" "archive"
}

test_keys__no_passphrase_without_terminal_says_how() {
	make_collection coll
	cd coll
	(unset CUSTODY_PASSPHRASE; setsid "$CUSTODY" init </dev/null \
		>"$TMP/.out" 2>"$TMP/.err")
	RC=$?; ERR=$(cat "$TMP/.err")
	expect_rc 1
	expect_err "custody: no passphrase: there is no terminal to ask on; set CUSTODY_PASSPHRASE or use --passphrase-file FILE"
	[ ! -e .custody ] || fail "archive made without a key"
}

test_keys__a_key_others_can_read_is_refused() {
	cp -a "$CUSTODY_KEY_DIR" "$TMP/k"
	chmod 640 "$TMP/k/tester.key"
	make_collection coll
	cd coll
	CUSTODY_KEY_DIR="$TMP/k" run init
	expect_rc 1
	expect_err "custody: $TMP/k/tester.key: refused: group or others may access this private key (mode 0640); run \`chmod 600 $TMP/k/tester.key\` if nobody else could have read it, or make a new key"
	[ ! -e .custody ] || fail "archive made with an exposed key"
}

test_keys__one_key_is_used_unnamed_several_need_a_choice() {
	own_keys
	run init
	expect_rc 1
	expect_err "custody: no key in $TMP/keys: make one with \`custody key new NAME\`, or bring yours with \`custody key import\`"
	run key new alice
	make_collection coll
	cd coll
	run init
	expect_rc 0
	expect_out_has "member     alice"
	run key new bob
	run add memos
	expect_rc 1
	expect_err "custody: 2 keys in $TMP/keys (alice, bob): choose one with --key NAME or CUSTODY_KEY"
	run key export
	expect_rc 1
	expect_err "custody: 2 keys in $TMP/keys (alice, bob): choose one with --key NAME or CUSTODY_KEY"
	run add memos --key alice
	expect_rc 0
	CUSTODY_KEY=bob run add scans
	expect_rc 1
	expect_err_has "is not a member's key"
	run add scans --key nosuch
	expect_rc 1
	expect_err "custody: no key 'nosuch' in $TMP/keys (\`custody key list\` shows the keys there)"
}

test_keys__a_swapped_public_file_is_noticed() {
	own_keys
	run key new alice
	run key new bob
	cp keys/bob.pub keys/alice.pub
	make_collection coll
	cd coll
	run init --key alice
	expect_rc 1
	expect_err "custody: $TMP/keys/alice.key: its public half differs from the alice.pub beside it; one of the two files was replaced"
}

# Changes unlock the key while they work (scrypt on a thread of its own);
# what the key turns out to be is still checked before anything is
# written.
test_keys__a_swapped_public_file_is_noticed_by_a_change() {
	own_keys
	run key new alice
	run key new bob
	make_collection coll
	cd coll
	run init --key alice
	expect_rc 0
	run member add bob "$TMP/keys/bob.pub" --key alice
	expect_rc 0
	local before
	before=$(snapshot .custody)
	cp "$TMP/keys/alice.pub" "$TMP/alice.pub.real"
	# bob's public line beside alice's private key: bob is a member, so
	# only the key itself can tell
	cp "$TMP/keys/bob.pub" "$TMP/keys/alice.pub"
	run add . --key alice
	expect_rc 1
	expect_err "custody: $TMP/keys/alice.key: its public half differs from the alice.pub beside it; one of the two files was replaced"
	expect_eq "$(snapshot .custody)" "$before" "archive"
	# the public line of a key that is no member at all: the swap is
	# still what is named
	run key new carol
	cp "$TMP/keys/carol.pub" "$TMP/keys/alice.pub"
	run event memos/budget.txt --action accessed --key alice
	expect_rc 1
	expect_err "custody: $TMP/keys/alice.key: its public half differs from the alice.pub beside it; one of the two files was replaced"
	expect_eq "$(snapshot .custody)" "$before" "archive"
	cp "$TMP/alice.pub.real" "$TMP/keys/alice.pub"
	run add . --key alice
	expect_rc 0
}

test_keys__import_reuses_an_openssh_key() {
	alice
	expect_out_has "Imported key alice"
	expect_eq "$(stat -c %a keys/alice.key)" 600 "mode"
	run key export
	expect_rc 0
	expect_out "$(cut -d' ' -f1,2 "$TMP/id.pub") alice"
	run key list
	expect_out_has "$(fingerprint "$TMP/id.pub")"
	# an encrypted OpenSSH key, an RSA key: refused, nothing written
	local before
	before=$(snapshot keys)
	ssh-keygen -q -t ed25519 -N 'secret' -C locked -f "$TMP/locked"
	run key import "$TMP/locked"
	expect_rc 1
	expect_err_has "$TMP/locked: the key is encrypted with a passphrase; custody imports unencrypted keys"
	ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$TMP/rsa"
	run key import "$TMP/rsa"
	expect_rc 1
	expect_err "custody: $TMP/rsa: the key is not ssh-ed25519 (custody signs and checks Ed25519 keys only)"
	ssh-keygen -q -t ecdsa -N '' -C ecdsa -f "$TMP/ecdsa"
	run key import "$TMP/ecdsa"
	expect_rc 1
	expect_err "custody: $TMP/ecdsa: the key is not ssh-ed25519 (custody signs and checks Ed25519 keys only)"
	printf 'not a key\n' >"$TMP/junk"
	run key import "$TMP/junk" junk
	expect_rc 1
	expect_err "custody: $TMP/junk: is not an OpenSSH private key (no \"-----BEGIN OPENSSH PRIVATE KEY-----\" line)"
	expect_eq "$(snapshot keys)" "$before" "key folder"
}

test_keys__export_as_allowed_signers_and_verifier_key() {
	alice
	run key export alice --allowed-signers
	expect_out "alice namespaces=\"git,custody\" $(cut -d' ' -f1,2 "$TMP/id.pub")"
	run key export --vkey
	expect_rc 1
	run key export --vkey --origin example.org/log
	expect_rc 0
	# C2SP signed-note verifier key: name+keyid+base64(0x01 || key),
	# keyid = SHA-256(name || "\n" || 0x01 || key)[:4]
	expect_eq "$OUT" "$("$PYTHON" -c '
import base64, hashlib, sys
key = base64.b64decode(open(sys.argv[1]).read().split()[1])[-32:]
name = b"example.org/log"
kid = hashlib.sha256(name + b"\n" + b"\x01" + key).digest()[:4].hex()
print("example.org/log+%s+%s" % (kid, base64.b64encode(b"\x01" + key).decode()))
' "$TMP/id.pub")" "verifier key"
	run key export --vkey --origin 'has space'
	expect_rc 2
	expect_err "custody: --origin 'has space' must be printable ASCII without spaces
Try 'custody key --help'."
	run key export --origin x
	expect_rc 2
}

test_sign__ssh_keygen_accepts_custody_signatures_byte_for_byte() {
	alice
	printf 'The leaked memo, as published.\n' >doc.txt
	run sign doc.txt
	expect_rc 0
	expect_out "Signed doc.txt -> doc.txt.sig"
	ssh-keygen -Y verify -f "$TMP/allowed" -I alice -n custody \
		-s doc.txt.sig <doc.txt >v 2>&1 || fail "ssh-keygen: $(cat v)"
	# Ed25519 is deterministic: ssh-keygen makes the very same file
	cp doc.txt same.txt
	ssh-keygen -q -Y sign -f "$TMP/id" -n custody same.txt 2>/dev/null
	cmp -s doc.txt.sig same.txt.sig ||
		fail "custody's and ssh-keygen's signatures differ"
	# a large file is streamed
	head -c 3000000 /dev/urandom >big.bin
	run sign big.bin
	ssh-keygen -Y verify -f "$TMP/allowed" -I alice -n custody \
		-s big.bin.sig <big.bin >/dev/null 2>&1 || fail "big file"
	# an existing signature stays unless --force
	run sign doc.txt
	expect_rc 1
	expect_err "custody: doc.txt.sig: exists; use --force to replace it"
	run sign doc.txt --force --json
	expect_rc 0
	expect_out_has "\"namespace\":\"custody\""
}

run_tests
