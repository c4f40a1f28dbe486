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

# One add whose names sort one way by path and another by fold key
# (capitals sort before small letters, folded they do not): the index's
# fold order must still be sorted for the collision search.
test_paths__case_collisions_are_found_after_one_add_of_mixed_case() {
	setup
	for name in Zeta.txt alpha.txt Beta.txt delta.txt Gamma.txt; do
		printf '%s\n' "$name" >"scans/$name"
	done
	run add scans
	expect_rc 0
	for pair in ZETA.txt:Zeta.txt ALPHA.txt:alpha.txt beta.TXT:Beta.txt \
	    Delta.txt:delta.txt gAMMA.txt:Gamma.txt; do
		printf 'other\n' >"scans/${pair%%:*}"
		run add "scans/${pair%%:*}"
		expect_rc 1
		expect_err_has "differs only in letter case or Unicode normalisation from 'scans/${pair##*:}'"
		rm "scans/${pair%%:*}"
	done
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

test_paths__names_in_nfd_are_registered_byte_for_byte_as_on_disk() {
	setup
	local nfd
	nfd=$(printf 'Mu\xcc\x88ller.txt')   # u + combining diaeresis
	printf 'x\n' >"$nfd"
	run add -v .
	expect_rc 0
	expect_out_has "registered  $nfd  (entry "
	# the entry holds the bytes of the name on disk, not its NFC form
	entry_private .custody 3 | grep -a '^path:' >"$TMP/path"
	expect_eq "$(od -An -tx1 "$TMP/path" | tr -d ' \n')" \
		"$(printf 'path: "%s"\n' "$nfd" | od -An -tx1 | tr -d ' \n')" \
		"the recorded path's bytes"
	run verify
	expect_rc 0
	run status
	expect_out "clean: 6 documents as recorded"
	# restored, the name is the same bytes again
	rm "$nfd"
	run restore "$nfd"
	expect_rc 0
	expect_eq "$("$PYTHON" -c 'import os; print([n for n in os.listdir(b".") if n.startswith(b"Mu")])')" \
		"[b'Mu\\xcc\\x88ller.txt']" "the name on disk after restore"
	# its NFC twin is still refused: both cannot live on macOS
	printf 'y\n' >"$(printf 'M\xc3\xbcller.txt')"
	BEFORE=$(snapshot .custody)
	run add .
	expect_rc 1
	expect_err_has "custody: refused Müller.txt: differs only in letter case or Unicode normalisation from '$nfd'"
	unchanged
}

test_paths__refused_names_are_skipped_on_the_record_quoted_and_in_order() {
	setup
	# raw, the SOH sorts first; quoted (\u{0001}), after the space
	printf 'x\n' >"$(printf 'x\001b')"
	ln -s memos "x b"
	printf 'y\n' >"$(printf 'latin\xe9.txt')"
	run add --skip-refused -v .
	expect_rc 0
	no_raw_controls
	expect_out_has "3 registered, 0 new versions, 2 unchanged, 3 skipped (on the record)"
	expect_eq "$(entry_private .custody 6 | sed -n 's/^skipped: //p')" \
		"\"latin\\\\xe9.txt\\tpath 'latin\\\\xe9.txt' is not valid UTF-8 (at byte 6)\\nx b\\tis a symbolic link; custody neither follows nor records links (register the file it points to instead)\\nx\\\\u{0001}b\\tpath 'x\\\\u{0001}b' contains a control character (at byte 2); of those, only tab, line feed and carriage return may be in a name\\n\"" \
		"the skip list"
	run verify
	expect_rc 0
	run log
	no_raw_controls
	expect_out_has "         skipped x\\u{0001}b: path 'x\\u{0001}b' contains a control character (at byte 2); of those, only tab, line feed and carriage return may be in a name"
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

# octal BYTES: the bytes printf makes of BYTES, as \ooo escapes
octal() { printf "$1" | od -An -to1 | tr -d ' \n' | sed 's/[0-7]\{3\}/\\&/g'; }

test_paths__c1_bidi_and_separator_code_points_are_refused_naming_them() {
	setup
	local cp bytes what name reason
	while read -r cp bytes what; do
		name="a$(printf "$bytes")b.txt"
		printf 'x\n' >"$name"
		run add "$name"
		expect_rc 1
		reason="path 'a\\u{$(echo "$cp" | tr A-F a-f)}b.txt' contains U+$cp ($what) at byte 2; names that terminals act on or that reorder text are never registered"
		expect_err "custody: refused \"a$(octal "$bytes")b.txt\": $reason
custody: 1 path refused (a$(octal "$bytes")b.txt: $reason); nothing was recorded
custody: to register the rest and record what was refused, run: custody add --skip-refused \$'a${bytes}b.txt'"
		no_raw_controls
		unchanged
		rm "$name"
	done <<'LIST'
0080 \xc2\x80 a C1 control character
0085 \xc2\x85 a C1 control character
009B \xc2\x9b a C1 control character
009F \xc2\x9f a C1 control character
061C \xd8\x9c ARABIC LETTER MARK
200E \xe2\x80\x8e LEFT-TO-RIGHT MARK
200F \xe2\x80\x8f RIGHT-TO-LEFT MARK
202A \xe2\x80\xaa LEFT-TO-RIGHT EMBEDDING
202B \xe2\x80\xab RIGHT-TO-LEFT EMBEDDING
202C \xe2\x80\xac POP DIRECTIONAL FORMATTING
202D \xe2\x80\xad LEFT-TO-RIGHT OVERRIDE
202E \xe2\x80\xae RIGHT-TO-LEFT OVERRIDE
2066 \xe2\x81\xa6 LEFT-TO-RIGHT ISOLATE
2067 \xe2\x81\xa7 RIGHT-TO-LEFT ISOLATE
2068 \xe2\x81\xa8 FIRST STRONG ISOLATE
2069 \xe2\x81\xa9 POP DIRECTIONAL ISOLATE
2028 \xe2\x80\xa8 LINE SEPARATOR
2029 \xe2\x80\xa9 PARAGRAPH SEPARATOR
LIST
}

test_paths__names_with_esc_cr_lf_are_printed_quoted() {
	setup
	printf 'x\n' >"$(printf 'e\033[31mred\rz\nq')"
	printf 'y\n' >"$(printf 'inv\342\200\256fdp.txt')"
	run add .
	expect_rc 1
	no_raw_controls
	expect_err_has 'custody: refused "e\033[31mred\rz\nq": path '"'"'e\u{001b}[31mred\u{000d}z\u{000a}q'"'"' contains a control character (at byte 2); of those, only tab, line feed and carriage return may be in a name'
	expect_err_has 'custody: refused "inv\342\200\256fdp.txt": path '"'"'inv\u{202e}fdp.txt'"'"' contains U+202E (RIGHT-TO-LEFT OVERRIDE) at byte 4'
	unchanged
	run status
	expect_rc 0
	no_raw_controls
	expect_out 'refused   "e\033[31mred\rz\nq": path '"'"'e\u{001b}[31mred\u{000d}z\u{000a}q'"'"' contains a control character (at byte 2); of those, only tab, line feed and carriage return may be in a name
refused   "inv\342\200\256fdp.txt": path '"'"'inv\u{202e}fdp.txt'"'"' contains U+202E (RIGHT-TO-LEFT OVERRIDE) at byte 4; names that terminals act on or that reorder text are never registered
new       scans/photo.png
new       scans/report.pdf
new       Überweisungen März.csv
2 unchanged, 3 new, 0 modified, 0 missing, 0 moved, 2 refused'
	run status --json
	no_raw_controls
	expect_out_has '"path":"e\u001b[31mred\rz\nq"'
	expect_out_has '"path":"inv\u202efdp.txt"'
}

test_paths__a_registered_name_needing_quotes_is_printed_quoted() {
	setup
	printf 'q\n' >'say "hi".txt'
	run add 'say "hi".txt'
	expect_rc 0
	expect_out_has 'registered  "say \"hi\".txt"  (entry 3, v1, '
	printf 'changed\n' >'say "hi".txt'
	run status
	expect_out_has 'modified  "say \"hi\".txt"'
	run log -n 1
	expect_out_has ' register "say \"hi\".txt"  v1  sha256:'
	# ordinary names, spaces and letters beyond ASCII, print as they are
	printf 'x\n' >'Zahlungen Mai ä.txt'
	run status
	expect_out_has 'new       Zahlungen Mai ä.txt'
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


test_paths__cr_lf_and_tab_are_registered_byte_for_byte() {
	setup
	local name
	for name in $'tab\there' $'line\nfeed' $'Icon\r' $'a\r\n\tb'; do
		printf '%s\n' "$name" >"$name"
		run add "$name"
		expect_rc 0
		no_raw_controls
	done
	run verify
	expect_rc 0
	git --git-dir=.custody fsck --strict 2>&1 || fail "git fsck refuses"
	expect_eq "$(git --git-dir=.custody ls-tree --name-only main documents/ | grep -c '^"documents/')" 4 "stored under the exact names"
	# the private part holds the name as YAML escapes it
	expect_eq "$(entry_private .custody 5 | sed -n 's/^path: //p')" '"Icon\r"' "the stored name"
}

test_paths__other_control_characters_are_refused_with_the_exact_message() {
	setup
	local c name
	for c in 001 002 016 020 033 037 177; do
		name="x$(printf "\\$c")y"
		printf 'x\n' >"$name"
		run add "$name"
		expect_rc 1
		no_raw_controls
		expect_err_has "custody: refused \"x\\${c}y\": path 'x\\u{$(printf '%04x' "$((8#$c))")}y' contains a control character (at byte 2); of those, only tab, line feed and carriage return may be in a name"
		unchanged
		rm "$name"
	done
}

# no_forged_lines: no line of the last run's stdout or stderr starts
# with what follows a line feed in the hostile names below
no_forged_lines() {
	! grep -q '^verified: ok\|^FORGED' "$TMP/.out" "$TMP/.err" ||
		fail "a name broke a line: $(cat "$TMP/.out" "$TMP/.err")"
}

test_paths__names_with_cr_lf_never_break_an_output_line() {
	setup
	local evil=$'evil\nverified: ok\r.txt' red=$'red\nFORGED\t.txt'
	local cmd
	printf 'x\n' >"$evil"
	printf 'r\n' >"$red"
	"$CUSTODY" key export --vkey >../outlet.vkey
	# every command that names a document, on the hostile names: each
	# succeeds, and no line it prints holds a raw CR or tab or starts
	# with what a name holds after its line feed
	while IFS= read -r cmd; do
		eval "run $cmd"
		[ "$RC" = 0 ] || fail "custody $cmd: exit $RC; $OUT $ERR"
		no_raw_controls
		no_forged_lines
	done <<'LIST'
status
status --json
add -v "$evil"
add --json "$evil"
status
log
log --json
log "$evil"
verify
verify --json
event "$evil" --action received --from src
derive "$evil" "$red" --action redact
log "$red"
publish "$red" --url https://example.org/a
proof "$evil" -o ../evil.proof
check "$evil" --proof ../evil.proof --key ../outlet.vkey
check "$evil" --proof ../evil.proof --key ../outlet.vkey --json
reveal "$red" -o ../red.reveal
check-reveal ../red.reveal --key ../outlet.vkey --original "$evil" --derivative "$red"
report "$evil" -o ../evil.html --no-sign
restore "$evil" -o ../evil.copy
bag export ../bag
bag validate ../bag --key ../outlet.vkey
bag validate ../bag --json
evidence
LIST
	# a changed, a missing and an unregistered document
	printf 'changed\n' >>"$evil"
	rm "$red"
	for cmd in status verify "restore \"\$red\"" "log \"\$(printf 'no\\nFORGED')\"" \
	    "add \"\$(printf 'no\\nFORGED')\""; do
		eval "run $cmd"
		no_raw_controls
		no_forged_lines
	done
	# the report shows the name escaped; its .sha256 line is as
	# sha256sum writes such a name (a leading backslash, \n escaped)
	grep -qF 'evil\nverified: ok\r.txt' ../evil.html || fail "report name"
	! grep -q '^verified: ok' ../evil.html || fail "report broke the name"
	run report "$evil" -o ../$'r\nFORGED.html' --no-sign
	expect_rc 0
	no_raw_controls
	no_forged_lines
	expect_eq "$(cut -c1 <../$'r\nFORGED.html.sha256')" '\' "the escaped line's mark"
	(cd .. && sha256sum -c --quiet $'r\nFORGED.html.sha256') ||
		fail "sha256sum -c refuses the report's .sha256"
}

run_tests
