#!/bin/bash
# custody restore and custody log.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init
	run add .
	cp memos/budget.txt ../budget.v1
	printf 'v2\n' >>memos/budget.txt
	run add memos
	cp memos/budget.txt ../budget.v2
}

test_restore__gives_back_every_version_byte_for_byte() {
	setup
	run restore memos/budget.txt --version 1 -o v1.out
	expect_rc 0
	cmp v1.out ../budget.v1 || fail "version 1 differs"
	run restore memos/budget.txt -o v2.out
	cmp v2.out ../budget.v2 || fail "latest differs"
	"$CUSTODY" restore memos/budget.txt --version 1 -o - >stdout.out
	cmp stdout.out ../budget.v1 || fail "stdout differs"
}

test_restore__puts_a_deleted_file_back_in_place() {
	setup
	rm -r memos
	run restore memos/budget.txt
	expect_rc 0
	cmp memos/budget.txt ../budget.v2 || fail "restored file differs"
	run status
	expect_out_has "missing   memos/2019/meeting.txt"
}

test_restore__refuses_to_overwrite_a_different_file() {
	setup
	run restore memos/budget.txt --version 1
	expect_rc 1
	expect_err "custody: $(pwd -P)/memos/budget.txt: exists and differs from version 1; use --force to replace it"
	cmp memos/budget.txt ../budget.v2 || fail "file was overwritten"
	run restore memos/budget.txt --version 1 --force
	expect_rc 0
	cmp memos/budget.txt ../budget.v1 || fail "not replaced"
}

test_restore__unknown_document_or_version() {
	setup
	run restore nope.txt
	expect_rc 1
	expect_err "custody: nope.txt: not registered in this archive"
	run restore memos/budget.txt --version 3
	expect_rc 1
	expect_err "custody: memos/budget.txt: has 2 version(s), not 3"
}

test_log__newest_first_for_the_collection_and_one_document() {
	setup
	run log
	expect_rc 0
	expect_eq "$(echo "$OUT" | head -1 | awk '{print $1, $4, $5, $6}')" \
		"#6 register memos/budget.txt v2"
	expect_eq "$(echo "$OUT" | tail -1 | awk '{print $1, $4, $5, $6, $7, $8, $9}')" \
		"#0 genesis origin local/coll, founding member tester"
	# one document: its chain of custody, oldest first
	run log memos/budget.txt
	expect_eq "$(echo "$OUT" | sed 's/^[^ ]* *//; s/ *\[.*//')" \
		"memos/budget.txt registered, version 1
memos/budget.txt registered, version 2"
	run log -n 2 --json
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["format"] == "custody-log/v1", d
d = d["entries"]
assert [e["index"] for e in d] == [6, 5], d
assert d[0]["previous"] == 2 and d[0]["version"] == 2, d
' || fail "bad JSON: $OUT"
}

run_tests
