#!/bin/bash
# Folders swapped for symbolic links while custody runs: nothing from
# outside the collection may ever be read into the archive, and nothing
# may be written outside it (issue 11, items 1 and 3).
. "$(dirname "$0")/lib.sh"

SWAP="$SRCDIR/tests/cli/swap-loop.py"

# coll/a/b/f*.txt inside; outside/a/b/f*.txt the same names and sizes,
# holding a marker that must never reach the archive.
make_race() { # make_race [FILES]
	local i
	mkdir -p coll/a/b outside/a/b
	for i in $(seq 1 "${1:-40}"); do
		printf 'inside document %02d ........\n' "$i" >"coll/a/b/f$i.txt"
		printf 'OUTSIDE-MARKER-%02d-secret!!\n' "$i" >"outside/a/b/f$i.txt"
	done
	(cd coll && "$CUSTODY" init >/dev/null 2>&1) || fail "init failed"
}

# No object of the archive holds the marker, and no entry records an
# outside file's digest.
expect_no_outside_bytes() {
	local sums
	# whole listings first: a grep that stops at the first match would
	# end the writer with SIGPIPE, and pipefail would hide the match
	git --git-dir=coll/.custody cat-file --batch-all-objects --batch \
		>objects || fail "cannot list the archive's objects"
	grep -a -q OUTSIDE-MARKER objects &&
		fail "an object of the archive holds outside content"
	sums=$(cd outside/a/b && sha256sum -- *.txt | cut -d' ' -f1)
	git --git-dir=coll/.custody archive main log | tar -xO >entries ||
		fail "cannot read the entries"
	grep -q -F -f <(echo "$sums") entries &&
		fail "an entry records the digest of an outside file"
	return 0
}

# One file: an add that meets a refusal records nothing, so the fewer the
# files the likelier an add that read through the link would record.
test_race__add_never_registers_a_file_from_outside() {
	make_race 1
	"$PYTHON" "$SWAP" "$TMP/coll/a" "$TMP/outside/a" 20 >swaps &
	local loop=$! n=0
	while [ $n -lt 300 ] && kill -0 $loop 2>/dev/null; do
		(cd coll && "$CUSTODY" add --store a >/dev/null 2>&1)
		n=$((n + 1))
	done
	touch coll/a.stop
	wait $loop
	[ "$(cat swaps)" -gt 0 ] || fail "the folder was never swapped"
	expect_no_outside_bytes
	(cd coll && run verify && expect_rc 0)
}

test_race__status_and_verify_never_read_a_file_from_outside() {
	make_race
	(cd coll && "$CUSTODY" add a >/dev/null 2>&1) || fail "add failed"
	"$PYTHON" "$SWAP" "$TMP/coll/a" "$TMP/outside/a" 20 >swaps &
	local loop=$! n=0
	while [ $n -lt 60 ] && kill -0 $loop 2>/dev/null; do
		(cd coll && "$CUSTODY" status >out 2>&1)
		# an outside file has other content: seen, it would read as
		# modified
		grep -q '^modified' coll/out && { touch coll/a.stop;
			fail "status read a file through the link"; }
		n=$((n + 1))
	done
	touch coll/a.stop
	wait $loop
	expect_no_outside_bytes
}

test_race__restore_never_writes_outside() {
	make_race
	(cd coll && "$CUSTODY" add a >/dev/null 2>&1) || fail "add failed"
	local before round i loop
	before=$(snapshot outside)
	for round in 1 2 3; do
		rm -f coll/a/b/*.txt
		"$PYTHON" "$SWAP" "$TMP/coll/a" "$TMP/outside/a" 10 >swaps &
		loop=$!
		for i in $(seq 1 40); do
			(cd coll && "$CUSTODY" restore --force a/b/f$i.txt \
				>/dev/null 2>&1)
		done
		touch coll/a.stop
		wait $loop
		rm coll/a.stop
	done
	[ "$(snapshot outside)" = "$before" ] ||
		fail "restore changed the outside folder"
	[ -z "$(find outside -name '*.tmp*')" ] ||
		fail "restore left temporary files outside"
}

run_tests
