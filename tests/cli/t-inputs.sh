#!/bin/bash
# Files a user names (keys, proofs, documents, replies) and blobs an
# archive holds may be FIFOs, devices, folders or huge: each is refused
# at once with its reason, never waited on or read whole (issue 11,
# items 10 and 14).
. "$(dirname "$0")/lib.sh"

G=.custody

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/inputs
	run add .
	run publish memos/budget.txt --url https://example.org/a
	run proof memos/budget.txt -o "$TMP/p"
	expect_rc 0
	"$CUSTODY" key export --vkey >"$TMP/k"
	mkfifo "$TMP/fifo"
	printf 'x\n' >memos/x.txt
}

test_inputs__a_fifo_or_device_is_refused_not_waited_on() {
	setup
	trun timestamp add "$TMP/fifo"
	expect_rc 1
	expect_err "custody: $TMP/fifo: is not a regular file (a FIFO)"
	trun sign "$TMP/fifo"
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
	trun key import "$TMP/fifo" fifo
	expect_rc 1
	expect_err "custody: $TMP/fifo: is not a regular file (a FIFO)"
	trun add memos/x.txt --passphrase-file "$TMP/fifo"
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
	# a signing key file that is a FIFO
	CUSTODY_KEY="$TMP/fifo" trun add memos/x.txt
	expect_rc 1
	expect_err_has "$TMP/fifo: is not a regular file (a FIFO)"
}

# An output (-o) that is a pipe or a device is written into, never
# replaced by a file: renaming over /dev/null would break the machine.
# A link to a file has the file replaced, not the link.
test_inputs__an_output_that_is_a_pipe_or_link_is_written_through() {
	setup
	timeout 20 cat "$TMP/fifo" >"$TMP/from-fifo" &
	trun proof memos/budget.txt -o "$TMP/fifo"
	expect_rc 0
	wait
	[ -p "$TMP/fifo" ] || fail "the FIFO was replaced"
	cmp "$TMP/from-fifo" "$TMP/p" || fail "the FIFO got other bytes"
	trun proof memos/budget.txt -o /dev/stdout
	expect_rc 0
	expect_eq "$OUT" "$(cat "$TMP/p")" "proof on /dev/stdout"
	: >"$TMP/real"
	ln -s "$TMP/real" "$TMP/link"
	# the file the link names exists: replacing it takes --force
	trun proof memos/budget.txt -o "$TMP/link"
	expect_rc 1
	expect_err "custody: $TMP/link: exists; use --force to replace it"
	trun proof memos/budget.txt -o "$TMP/link" --force
	expect_rc 0
	[ -L "$TMP/link" ] || fail "the link was replaced"
	cmp "$TMP/real" "$TMP/p" || fail "the linked file was not written"
	mkdir "$TMP/dir"
	trun proof memos/budget.txt -o "$TMP/dir"
	expect_rc 1
	expect_err "custody: $TMP/dir: exists and is not a regular file (a folder)"
}

# commit_with PATH BLOB: a commit on main whose tree has BLOB at PATH
commit_with() {
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$2","$1"
	local tree
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	git --git-dir=$G -c user.name=m -c user.email=m@example.org \
		commit-tree "$tree" -p main -m big
}

test_inputs__a_huge_custody_yaml_or_entry_is_refused_unread() {
	setup
	tampered
	local blob commit
	blob=$(head -c 100000000 /dev/zero | git --git-dir=$G hash-object -w --stdin)
	commit=$(commit_with custody.yaml "$blob")
	git --git-dir=$G update-ref refs/heads/main "$commit"
	/usr/bin/time -f %M -o "$TMP/rss" "$CUSTODY" status >/dev/null \
		2>"$TMP/e"
	grep -q "custody.yaml: 100000000 bytes, more than the 16384 allowed" \
		"$TMP/e" || fail "$(cat "$TMP/e")"
	[ "$(rss)" -lt $((60000 + RSS_BASE)) ] ||
		fail "read $(rss) KiB to refuse it"
	git --git-dir=$G update-ref refs/heads/main main~1
	commit=$(commit_with log/000/000/000000001.yaml "$blob")
	git --git-dir=$G update-ref refs/heads/main "$commit"
	/usr/bin/time -f %M -o "$TMP/rss" "$CUSTODY" log >/dev/null 2>"$TMP/e"
	grep -q "log/000/000/000000001.yaml: 100000000 bytes, more than the 65536 allowed" \
		"$TMP/e" || fail "$(cat "$TMP/e")"
	[ "$(rss)" -lt $((60000 + RSS_BASE)) ] ||
		fail "read $(rss) KiB to refuse it"
}

run_tests
