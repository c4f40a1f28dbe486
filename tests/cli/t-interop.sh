#!/bin/bash
# What custody writes, read by tools this project did not write.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/interop
	run add memos scans
	run add --no-store "Überweisungen März.csv"
	printf 'v2\n' >>memos/budget.txt
	run add memos
	expect_rc 0
}

test_interop__git_fsck_accepts_the_archive() {
	setup
	git --git-dir=.custody fsck --full --strict --no-dangling ||
		fail "git fsck failed"
}

test_interop__git_log_and_show_read_it() {
	setup
	expect_eq "$(git --git-dir=.custody log --format=%s main)" \
"custody add: 0 registered, 1 new version
custody add: 1 registered, 0 new versions
custody add: 4 registered, 0 new versions
custody init: genesis entry"
	git --git-dir=.custody show main:documents/memos/budget.txt >b.out
	cmp b.out memos/budget.txt || fail "git show gives other bytes"
}

test_interop__sha256sum_agrees_with_every_entry() {
	setup
	json log --json | "$PYTHON" -c '
import json, sys
seen = set()
for e in json.load(sys.stdin)["entries"]:
    if e["type"] == "register" and e["path"] not in seen:
        seen.add(e["path"])
        print(e["sha256"] + "  " + e["path"])
' >SHA256SUMS
	expect_eq "$(wc -l <SHA256SUMS)" 5 "documents listed"
	sha256sum --strict -c SHA256SUMS >/dev/null || fail "sha256sum -c failed"
}

test_interop__stored_blobs_are_the_files() {
	setup
	json log --json | "$PYTHON" -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    if e.get("blob"):
        print(e["blob"], e["path"])
' | while read -r blob path; do
		[ "$(git hash-object "$path")" = "$blob" ] || \
			git --git-dir=.custody cat-file -e "$blob" || fail "$blob missing"
	done
}

run_tests
