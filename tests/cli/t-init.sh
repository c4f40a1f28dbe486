#!/bin/bash
# custody init, and what every command shares (help, usage, exit codes).
. "$(dirname "$0")/lib.sh"

test_init__creates_bare_repository_with_genesis_entry() {
	mkdir coll && cd coll
	run init --origin example.org/test
	expect_rc 0
	expect_out_has "origin     example.org/test"
	expect_eq "$(git --git-dir=.custody rev-parse --is-bare-repository)" true
	# a stock git server serving it skips the delta search (bench/sync)
	expect_eq "$(git --git-dir=.custody config pack.window)" 0
	expect_eq "$(git --git-dir=.custody ls-tree -r --name-only main)" \
		"checkpoint
custody.yaml
log/000/000/000000000.yaml
members/allowed_signers
private/000/000/000000000.yaml"
	expect_eq "$(git --git-dir=.custody rev-list --count main)" 1
	local entry
	entry=$(entry_public .custody 0)
	contains "$entry" 'type: "genesis"' || fail "no genesis type: $entry"
	contains "$entry" 'origin: "example.org/test"' || fail "$entry"
	contains "$entry" 'actor:' && fail "actor in the public part: $entry"
	entry=$(entry_private .custody 0)
	contains "$entry" 'actor: "tester"' || fail "$entry"
	contains "$entry" 'member: "tester"' || fail "$entry"
	# the outlet key: made in the key folder's log/, named after the
	# origin, recorded in custody.yaml and the genesis entry
	local vkey
	vkey=$("$CUSTODY" key export --vkey)
	[[ "$vkey" =~ ^example\.org/test\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$ ]] ||
		fail "not a vkey: $vkey"
	expect_eq "$(git --git-dir=.custody show main:custody.yaml)" \
"custody-archive: 2
origin: \"example.org/test\"
log_key: \"$vkey\"
digests:
- \"sha256\"
store: true
media_types: \"libmagic\""
	contains "$(entry_public .custody 0)" "log_key: \"$vkey\"" ||
		fail "genesis lacks the outlet key"
	expect_out_has "outlet key example.org-test ($vkey)"
	expect_eq "$(stat -c %a "$CUSTODY_KEY_DIR/log/example.org-test.key")" \
		600 "outlet key mode"
	git --git-dir=.custody grep -q "PRIVATE KEY" main -- . &&
		fail "a private key is in the archive"
	expect_eq "$(stat -c %a .custody)" 700 "archive mode"
}

test_init__refuses_an_existing_archive_and_changes_nothing() {
	mkdir coll && cd coll
	run init
	expect_rc 0
	local before
	before=$(snapshot .custody)
	run init
	expect_rc 1
	expect_err "custody: $(pwd -P)/.custody: an archive (or something else) is already there"
	expect_eq "$(snapshot .custody)" "$before" "archive after refused init"
}

test_init__default_origin_comes_from_folder_name() {
	mkdir "my leak" && cd "my leak"
	run init --json
	expect_rc 0
	expect_out_has '"origin":"local/my_leak"'
}

test_init__rejects_origin_with_spaces() {
	mkdir coll && cd coll
	run init --origin "has space"
	expect_rc 2
	expect_err "custody: --origin 'has space' must be printable ASCII without spaces
Try 'custody init --help'."
	[ ! -e .custody ] || fail ".custody was created"
}

test_init__media_types_policy_is_recorded_and_checked() {
	mkdir coll && cd coll
	run init --media-types magic
	expect_rc 2
	expect_err "custody: --media-types must be libmagic or none, not 'magic'
Try 'custody init --help'."
	[ ! -e .custody ] || fail ".custody was created"
	run init --origin example.org/test --media-types none
	expect_rc 0
	expect_eq "$(git --git-dir=.custody show main:custody.yaml | tail -1)" \
		'media_types: "none"'
	rm -rf .custody
	run init --origin example.org/test --media-types libmagic
	expect_rc 0
	expect_eq "$(git --git-dir=.custody show main:custody.yaml | tail -1)" \
		'media_types: "libmagic"'
}

test_init__archive_elsewhere_by_flag_and_environment() {
	mkdir coll && cd coll
	printf 'x\n' >a.txt
	run init --archive ../arch.git
	expect_rc 0
	[ ! -e .custody ] || fail ".custody made in the collection"
	expect_eq "$(git --git-dir=../arch.git config custody.collection)" "$(pwd -P)"
	CUSTODY_ARCHIVE=../arch.git run add a.txt
	expect_rc 0
	run --help >/dev/null
	run add --archive ../arch.git a.txt
	expect_rc 0
	expect_out "nothing to record: 1 file unchanged"
	run status
	expect_rc 1
	expect_err_has "custody: no archive in . or any folder above it"
}

test_cli__every_command_answers_help() {
	local commands c n=0
	# every command custody --help lists
	commands=$("$CUSTODY" --help | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
	for c in $commands; do
		run "$c" --help
		expect_rc 0
		contains "$OUT" "usage: custody $c" || fail "$c --help: $OUT"
		# and refuses an unknown option as a usage error
		run "$c" --no-such-option
		expect_rc 2
		expect_err_has "Try 'custody $c --help'."
		n=$((n + 1))
	done
	[ "$n" -ge 16 ] || fail "only $n commands listed: $commands"
	run --help
	expect_rc 0
	expect_out_has "Exit status: 0 ok, 1 a check failed or an error, 2 usage."
}

test_cli__usage_errors_exit_2() {
	run bogus
	expect_rc 2
	expect_err_has "custody: 'bogus' is not a custody command"
	run add
	expect_rc 2
	expect_err "custody: name the files or folders to register (use . for the whole collection)
Try 'custody add --help'."
	run status --bogus
	expect_rc 2
	run log -n x
	expect_rc 2
	run restore
	expect_rc 2
	run add --threads 0 x
	expect_rc 2
}

run_tests
