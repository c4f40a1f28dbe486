#!/bin/bash
# Files custody writes where the user says (-o FILE and the like): never
# over an existing file without --force, and messages that name the
# user's path, never a temporary file beside it. Files custody reads
# back (proofs, checkpoints, policies) saved with CRLF line endings: a
# message that says so and how to convert them, never a silent change of
# signed bytes.
. "$(dirname "$0")/lib.sh"

ORIGIN=example.org/leaks

setup() {
	make_collection coll
	cd coll
	run init --origin "$ORIGIN"
	expect_rc 0
	run add .
	expect_rc 0
	"$CUSTODY" checkpoint >"$TMP/saved.checkpoint"
	printf 'two\n' >two.txt
	run add two.txt
	expect_rc 0
}

# refused_then_forced WHAT CMD...: CMD (custody arguments, -o target)
# refuses to replace target, which stays byte for byte, and the archive
# is unchanged; with --force it is replaced.
refused_then_forced() {
	local what=$1 before target=$TMP/target
	shift
	printf 'keep me\n' >"$target"
	before=$(snapshot .custody)
	run "$@"
	expect_rc 1
	expect_err "custody: $target: exists; use --force to replace it"
	expect_out ""
	printf 'keep me\n' | cmp -s - "$target" ||
		fail "$what: the file changed"
	expect_eq "$(snapshot .custody)" "$before" "$what: the archive"
	ls "$TMP" | grep -q '\.tmp' && fail "$what: a temporary file was left"
	run "$@" --force
	expect_rc 0
	printf 'keep me\n' | cmp -s - "$target" && fail "$what: not replaced"
	return 0
}

test_files__every_output_refuses_an_existing_file_without_force() {
	local target=$TMP/target
	setup
	refused_then_forced proof proof two.txt -o "$target"
	expect_eq "$(head -1 "$target")" "custody-proof/v3" "proof"
	refused_then_forced consistency consistency "$TMP/saved.checkpoint" \
		-o "$target"
	refused_then_forced "policy export" policy export -o "$target"
	expect_eq "$(head -1 "$target")" \
		"log $("$CUSTODY" key export --outlet --vkey)" "policy"
	# a refused request keeps no nonce for a reply that cannot come
	refused_then_forced "timestamp request" timestamp request -o "$target"
	[ -e .custody/custody-timestamp-request ] ||
		fail "the forced request kept no nonce"
	# sign and restore, which asked for --force already, say the same
	printf 'keep me\n' >"$target"
	run sign two.txt --output "$target"
	expect_rc 1
	expect_err "custody: $target: exists; use --force to replace it"
	printf 'keep me\n' | cmp -s - "$target" || fail "sign: the file changed"
	run restore two.txt -o "$target"
	expect_rc 1
	expect_err "custody: $target: exists and differs from version 1; use --force to replace it"
	printf 'keep me\n' | cmp -s - "$target" ||
		fail "restore: the file changed"
	run sign two.txt --output "$target" --force
	expect_rc 0
	expect_eq "$(head -1 "$target")" "-----BEGIN SSH SIGNATURE-----" "sign"
}

test_files__reveal_refuses_an_existing_file_without_force() {
	local target=$TMP/target
	setup
	printf 'two, redacted\n' >two-redacted.txt
	run derive two.txt two-redacted.txt --action redact
	expect_rc 0
	refused_then_forced reveal reveal two-redacted.txt -o "$target"
	expect_eq "$(head -1 "$target")" "custody-reveal/v2" "reveal"
}

test_files__witness_cosign_refuses_before_the_state_moves() {
	local target=$TMP/target before
	setup
	export CUSTODY_WITNESS_DIR=$TMP/wstate
	run witness init "witness.test/$(basename "$TMP")"
	expect_rc 0
	"$CUSTODY" key export --outlet --vkey >"$TMP/log.vkey"
	run witness trust "$ORIGIN" "$TMP/log.vkey"
	expect_rc 0
	"$CUSTODY" checkpoint >"$TMP/now.checkpoint"
	printf 'keep me\n' >"$target"
	before=$(snapshot "$TMP/wstate")
	run witness cosign "$TMP/now.checkpoint" -o "$target"
	expect_rc 1
	expect_err "custody: $target: exists; use --force to replace it"
	expect_eq "$(snapshot "$TMP/wstate")" "$before" "the witness state"
	run witness cosign "$TMP/now.checkpoint" -o "$target" --force
	expect_rc 0
	contains "$(cat "$target")" "— witness.test/" ||
		fail "no cosignature line: $(cat "$target")"
}

test_files__devices_and_standard_output_need_no_force() {
	setup
	run proof two.txt -o /dev/null
	expect_rc 0
	run proof two.txt -o -
	expect_rc 0
	expect_eq "$(echo "$OUT" | head -1)" "custody-proof/v3" "stdout"
	run timestamp request --force
	expect_rc 2
	expect_err "custody: --force goes with -o FILE
Try 'custody timestamp --help'."
}

test_files__a_missing_folder_is_named_not_a_temporary_file() {
	setup
	before=$(snapshot .custody)
	run restore two.txt -o missing/two.txt
	expect_rc 1
	expect_err "custody: missing/two.txt: cannot write: folder missing does not exist"
	run proof two.txt -o missing/two.proof
	expect_rc 1
	expect_err "custody: missing/two.proof: cannot write: folder missing does not exist"
	run sign two.txt --output missing/two.sig
	expect_rc 1
	expect_err "custody: missing/two.sig: cannot write: folder missing does not exist"
	run policy export -o "$TMP/missing/p"
	expect_rc 1
	expect_err "custody: $TMP/missing/p: cannot write: folder $TMP/missing does not exist"
	expect_eq "$(snapshot .custody)" "$before" "the archive"
	[ -e missing ] && fail "a folder was made"
	run restore two.txt -o two.txt/inside
	expect_rc 1
	expect_err "custody: two.txt/inside: cannot write into folder two.txt: Not a directory"
	run proof two.txt -o two.txt/inside.proof
	expect_rc 1
	expect_err "custody: two.txt/inside.proof: cannot write: two.txt is not a folder"
	expect_eq "$(cat two.txt)" "two" "two.txt"
}

# crlf FILE: a copy of FILE with CRLF line endings, in FILE.crlf
crlf() { sed 's/$/\r/' "$1" >"$1.crlf"; }

crlf_message() { # crlf_message FILE LINE
	echo "custody: $1 line $2: the file has CRLF (Windows) line endings; custody writes LF only, and signatures cover those exact bytes: convert it back with \`dos2unix $1\` (or \`sed -i 's/\\r\$//' $1\`) and try again"
}

test_files__crlf_line_endings_are_named_with_the_fix() {
	setup
	run proof two.txt -o p
	expect_rc 0
	"$CUSTODY" key export --vkey >vkey
	"$CUSTODY" policy export -o policy
	crlf p
	cp p.crlf p.before
	run check two.txt --proof p.crlf --key vkey
	expect_rc 1
	# a proof is judged by the check, at its proof step (as the browser
	# page judges it); its file named
	expect_err "custody: check failed at step 'proof': p.crlf: the proof file is malformed: the proof has CRLF (Windows) line endings, from line 1; custody writes LF only, and what is signed is those exact bytes: convert it back (dos2unix) and check again"
	expect_out ""
	cmp -s p.crlf p.before || fail "the proof was changed"
	# the fix the message gives gives back the bytes custody wrote
	sed -i 's/\r$//' p.crlf
	cmp -s p p.crlf || fail "sed did not give back the proof"
	run check two.txt --proof p.crlf --key vkey
	expect_rc 0
	expect_out_has "OK: two.txt is the document registered in the log $ORIGIN"
	# CRLF from line 3 on only: that line is named
	{ head -2 policy; sed -n '3,$p' policy | sed 's/$/\r/'; } >mixed.policy
	printf 'quorum none\r\n' >>mixed.policy
	run check two.txt --proof p --policy mixed.policy
	expect_rc 1
	expect_err "$(crlf_message mixed.policy 3)"
	# a saved checkpoint, in the outlet's consistency and in check
	crlf "$TMP/saved.checkpoint"
	run consistency "$TMP/saved.checkpoint.crlf"
	expect_rc 1
	expect_err "$(crlf_message "$TMP/saved.checkpoint.crlf" 1)"
	"$CUSTODY" consistency "$TMP/saved.checkpoint" -o c
	run check two.txt --proof p --key vkey --checkpoint \
		"$TMP/saved.checkpoint.crlf" --consistency c
	expect_rc 1
	expect_err "$(crlf_message "$TMP/saved.checkpoint.crlf" 1)"
	# a key is not signed text: its line ending is taken off
	sed 's/$/\r/' vkey >vkey.crlf
	run check two.txt --proof p --key vkey.crlf
	expect_rc 0
}

run_tests
