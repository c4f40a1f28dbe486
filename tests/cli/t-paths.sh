#!/bin/bash
# Bad paths: each refused with a clear message, the archive untouched.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init
	expect_rc 0
	run add memos
	expect_rc 0
	BEFORE=$(snapshot .custody)
}

unchanged() {
	expect_eq "$(snapshot .custody)" "$BEFORE" "archive after refused add"
}

test_paths__dotdot_and_absolute_outside_are_refused() {
	setup
	printf 'secret\n' >../outside.txt
	run add ../outside.txt
	expect_rc 1
	expect_err_has "custody: refused ../outside.txt: ../outside.txt: outside the collection $(pwd -P)"
	expect_err_has "1 path refused"
	expect_err_has "nothing was recorded"
	run add "$(cd .. && pwd)/outside.txt"
	expect_rc 1
	expect_err_has "outside the collection"
	run add memos/../../outside.txt
	expect_rc 1
	expect_err_has "outside the collection"
	unchanged
}

test_paths__absolute_path_inside_the_collection_is_accepted() {
	setup
	run add "$(pwd)/scans/report.pdf"
	expect_rc 0
	expect_out_has "registered  scans/report.pdf"
}

test_paths__symlinks_are_refused_never_followed() {
	setup
	printf 'secret\n' >../target.txt
	ln -s ../target.txt scans/link.txt
	run add scans
	expect_rc 1
	expect_err_has "custody: refused scans/link.txt: is a symbolic link; custody neither follows nor records links"
	unchanged
	# a folder reached through a link is refused too
	rm scans/link.txt
	mkdir ../elsewhere && printf 'x\n' >../elsewhere/f.txt
	ln -s ../elsewhere linked
	run add linked/f.txt
	expect_rc 1
	expect_err_has "goes through linked, which is a symbolic link"
	run add linked
	expect_rc 1
	expect_err_has "refused linked: is a symbolic link"
	unchanged
}

test_paths__reserved_names_in_any_spelling_are_refused() {
	setup
	for name in .git .GIT .Git. .custody .CUSTODY "git~1"; do
		mkdir -p "scans/$name"
		printf 'x\n' >"scans/$name/config"
		run add scans
		expect_rc 1
		contains "$ERR" "refused scans/$name" || fail "$name not refused: $ERR"
		rm -rf "scans/$name"
	done
	unchanged
}

test_paths__names_colliding_after_case_folding_or_nfc_are_refused() {
	setup
	printf 'a\n' >scans/Report.txt
	printf 'b\n' >scans/report.txt
	run add scans
	expect_rc 1
	expect_err_has "differs only in letter case or Unicode normalisation from 'scans/Report.txt'"
	unchanged
	rm scans/Report.txt scans/report.txt
	# differs in case from a registered path
	printf 'c\n' >memos/BUDGET.txt
	run add memos/BUDGET.txt
	expect_rc 1
	expect_err_has "refused memos/BUDGET.txt: differs only in letter case or Unicode normalisation from 'memos/budget.txt'"
	unchanged
}

test_paths__case_collisions_are_found_after_many_separate_adds() {
	setup
	# each add merges its new names into the index's sorted lists
	for name in m.txt c.txt x.txt a.txt q.txt; do
		printf '%s\n' "$name" >"scans/$name"
		run add "scans/$name"
		expect_rc 0
	done
	for name in A.TXT Q.txt M.Txt X.txt C.TXT; do
		printf 'other\n' >"scans/$name"
		run add "scans/$name"
		expect_rc 1
		expect_err_has "differs only in letter case or Unicode normalisation from 'scans/$(echo "$name" | tr 'A-Z' 'a-z')'"
		rm "scans/$name"
	done
	run status
	expect_out_has "7 unchanged, 3 new, 0 modified, 0 missing, 0 moved, 0 refused"
}

test_paths__names_not_in_nfc_are_refused() {
	setup
	printf 'x\n' >"$(printf 'Mu\xcc\x88ller.txt')"   # u + combining diaeresis
	run add .
	expect_rc 1
	expect_err_has "name is not in Unicode NFC form"
	unchanged
}

test_paths__names_with_control_characters_or_bad_utf8_are_refused() {
	setup
	printf 'x\n' >"$(printf 'bad\001name')"
	printf 'y\n' >"$(printf 'latin\xe9.txt')"
	run add .
	expect_rc 1
	expect_err_has "2 paths refused"
	unchanged
}

test_paths__fifo_is_refused() {
	setup
	mkfifo scans/pipe
	run add scans
	expect_rc 1
	expect_err_has "refused scans/pipe: is not a regular file"
	unchanged
}

test_paths__missing_path_is_refused() {
	setup
	run add nope.txt
	expect_rc 1
	expect_err_has "refused nope.txt: no such file or folder"
	unchanged
}

test_paths__unreadable_file_fails_cleanly() {
	setup
	printf 'x\n' >scans/locked.txt
	chmod 000 scans/locked.txt
	# root reads anything: run as nobody, on a copy nobody may write
	cd ..
	chmod 755 "$TMP"
	chown -R nobody: coll
	# nobody signs with a copy of the tester's key, which it must own
	cp -a "$CUSTODY_KEY_DIR" nobody-keys
	chown -R nobody: nobody-keys
	cd coll
	BEFORE=$(snapshot .custody)
	CUSTODY_KEY_DIR="$TMP/nobody-keys" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$CUSTODY" add scans >"$TMP/.out" 2>"$TMP/.err"
	RC=$?; ERR=$(cat "$TMP/.err"); OUT=$(cat "$TMP/.out")
	expect_rc 1
	expect_err_has "custody: scans/locked.txt: cannot open: Permission denied; nothing was recorded"
	unchanged
}

test_paths__the_archive_itself_is_skipped_when_walking() {
	setup
	run add .
	expect_rc 0
	git --git-dir=.custody ls-tree -r --name-only main | grep -q '^documents/.custody' &&
		fail "archive registered inside itself"
	true
}

run_tests
