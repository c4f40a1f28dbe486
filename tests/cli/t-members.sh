#!/bin/bash
# Members and signed commits: who may change an archive, checked by
# custody itself and by stock git and ssh-keygen.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/members
	expect_rc 0
}

# bob: a second person with his own key folder, and an OpenSSH copy of
# his key for stock git (bob.ssh, bob.ssh.pub).
make_bob() {
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob.ssh"
	CUSTODY_KEY_DIR="$TMP/bobkeys" "$CUSTODY" key import "$TMP/bob.ssh" bob \
		>/dev/null || fail "cannot import bob's key"
}

as_bob() { CUSTODY_KEY_DIR="$TMP/bobkeys" CUSTODY_KEY=bob run "$@"; }

allowed_signers() { git --git-dir=.custody show main:members/allowed_signers; }

test_members__init_records_the_founder_in_genesis_and_allowed_signers() {
	setup
	local key
	key=$("$CUSTODY" key export tester | cut -d' ' -f1,2)
	contains "$(entry_private .custody 0)" \
		"key: \"$key\"" || fail "genesis lacks the key"
	expect_eq "$(allowed_signers | grep -v '^#')" \
		"tester namespaces=\"git,custody\" $key"
	run member list
	expect_rc 0
	expect_out_has "tester"
	expect_out_has "founding member"
}

test_members__every_commit_is_signed_and_git_verify_commit_accepts_it() {
	setup
	make_bob
	run add memos
	run member add bob "$TMP/bob.ssh.pub" --note 'partner desk'
	expect_rc 0
	as_bob add scans
	expect_rc 0
	run member revoke bob
	expect_rc 0
	allowed_signers >"$TMP/allowed"
	local c n=0
	for c in $(git --git-dir=.custody rev-list main); do
		git --git-dir=.custody -c gpg.format=ssh \
			-c gpg.ssh.allowedSignersFile="$TMP/allowed" \
			verify-commit "$c" 2>"$TMP/v" ||
			fail "git verify-commit refuses $c: $(cat "$TMP/v")"
		n=$((n + 1))
	done
	expect_eq "$n" 5 "commits checked"
	# who signed what, as git shows it
	expect_eq "$(git --git-dir=.custody -c gpg.format=ssh \
		-c gpg.ssh.allowedSignersFile="$TMP/allowed" \
		log --format='%G? %GS %s' main)" \
"G tester custody member revoke: bob
G bob custody add: 2 registered, 0 new versions
G tester custody member add: bob
G tester custody add: 2 registered, 0 new versions
G tester custody init: genesis entry"
	run verify
	expect_rc 0
}

test_members__show_signature_names_the_member() {
	setup
	allowed_signers >"$TMP/allowed"
	git --git-dir=.custody -c gpg.format=ssh \
		-c gpg.ssh.allowedSignersFile="$TMP/allowed" \
		log --show-signature -1 main >"$TMP/log" 2>&1
	contains "$(cat "$TMP/log")" 'Good "git" signature for tester with ED25519 key' ||
		fail "$(cat "$TMP/log")"
}

test_members__revoked_key_keeps_a_line_limited_by_valid_before() {
	setup
	make_bob
	run member add bob "$(cat "$TMP/bob.ssh.pub")"
	expect_rc 0
	run member revoke bob --note 'left the project'
	expect_rc 0
	local line
	line=$(allowed_signers | grep '^bob ')
	[[ "$line" =~ ^bob\ namespaces=\"git,custody\",valid-after=\"[0-9]{14}Z\",valid-before=\"[0-9]{14}Z\"\ ssh-ed25519\ [A-Za-z0-9+/]{68}$ ]] ||
		fail "bob's line: $line"
	run member list --json
	expect_rc 0
	"$PYTHON" -c '
import json, sys
m = json.loads(sys.argv[1])["members"]
assert [x["name"] for x in m] == ["tester", "bob"], m
assert m[0]["founding"] and not m[0]["revoked"] and m[0]["since"] is None
assert m[1]["revoked"] and m[1]["until"] and m[1]["since"], m[1]
assert m[1]["fingerprint"].startswith("SHA256:")
' "$OUT" || fail "$OUT"
	# the entry
	local e
	e=$(entry_both .custody 2)
	contains "$e" 'type: "member"' || fail "$e"
	contains "$e" 'action: "revoke"' || fail "$e"
	contains "$e" 'member: "bob"' || fail "$e"
	contains "$e" 'note: "left the project"' || fail "$e"
}

test_members__a_non_member_cannot_change_the_archive() {
	setup
	make_bob
	local before
	before=$(snapshot .custody)
	as_bob add memos
	expect_rc 1
	expect_err_has "is not a member's key; a member must add it with \`custody member add\`"
	as_bob member add eve "$TMP/bob.ssh.pub"
	expect_rc 1
	expect_err_has "is not a member's key"
	expect_eq "$(snapshot .custody)" "$before" "archive after refusals"
}

test_members__a_revoked_member_cannot_change_the_archive() {
	setup
	make_bob
	run member add bob "$TMP/bob.ssh.pub"
	run member revoke bob
	expect_rc 0
	local before
	before=$(snapshot .custody)
	as_bob add memos
	expect_rc 1
	expect_err_has "was revoked"
	expect_eq "$(snapshot .custody)" "$before" "archive after refusal"
}

test_members__refusals_leave_the_archive_unchanged() {
	setup
	make_bob
	run member add bob "$TMP/bob.ssh.pub"
	expect_rc 0
	local before
	before=$(snapshot .custody)
	run member add bob "$TMP/bob.ssh.pub"
	expect_rc 1
	expect_err "custody: key $(ssh-keygen -lf "$TMP/bob.ssh.pub" | cut -d' ' -f2) already belongs to member 'bob' (entry 1); a key is added once"
	run member add robert "$TMP/bob.ssh.pub"
	expect_rc 1
	expect_err_has "already belongs to member 'bob'"
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/other"
	run member add bob "$TMP/other.pub"
	expect_rc 1
	expect_err "custody: 'bob' is already a member (entry 1)"
	run member revoke carol
	expect_rc 1
	expect_err "custody: 'carol' is not a member of this archive"
	run member add 'bad name' "$TMP/other.pub"
	expect_rc 2
	expect_err_has "custody: NAME 'bad name' may hold only letters"
	run member revoke bob
	run member revoke tester
	expect_rc 1
	expect_err_has "revokes 'tester', the last member; an archive always has one"
	before=$(snapshot .custody)
	run member add eve "$TMP/bob.ssh.pub"
	expect_rc 1
	expect_err_has "already belonged to revoked member 'bob'"
	expect_eq "$(snapshot .custody)" "$before" "archive after refusals"
}

test_members__member_add_refuses_bad_keys() {
	setup
	run member add bob 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
	expect_rc 1
	expect_err_has "small order"
	# y = p + 2: not a canonical encoding (OpenSSL 3.0 would take it)
	run member add bob 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO////////////////////////////////////////9/'
	expect_rc 1
	expect_err "custody: the public key is not a canonical encoding of a point"
	run member add bob 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7'
	expect_rc 1
	expect_err "custody: a ssh-rsa key; custody uses Ed25519 keys (ssh-ed25519) only"
	run member add bob /nonexistent/key.pub
	expect_rc 1
	expect_err_has "/nonexistent/key.pub"
	run member
	expect_rc 2
	run member add bob
	expect_rc 2
}

test_members__help() {
	run member --help
	expect_rc 0
	expect_out_has "usage: custody member add NAME KEY"
}

run_tests
