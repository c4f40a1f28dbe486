#!/bin/bash
# custody add: entries, versions, one commit per change, storage.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/t
	expect_rc 0
}

entry() { entry_both .custody "$1"; }

test_add__registers_a_folder_in_one_commit() {
	setup
	run add .
	expect_rc 0
	expect_out_has "5 registered, 0 new versions, 0 unchanged; commit"
	expect_eq "$(git --git-dir=.custody rev-list --count main)" 2 commits
	expect_eq "$(git --git-dir=.custody ls-tree -r --name-only main log | wc -l)" 6
	# entries are in path order, so their indexes are predictable
	local e
	e=$(entry 3)
	contains "$e" 'path: "scans/photo.png"' || fail "$e"
	contains "$e" 'media_type: "image/png"' || fail "$e"
	contains "$e" "sha256: \"$(sha256sum scans/photo.png | cut -c1-64)\"" || fail "$e"
	contains "$e" "blob: \"$(git hash-object scans/photo.png)\"" || fail "$e"
	contains "$e" 'version: 1' || fail "$e"
	contains "$e" "size: $(stat -c %s scans/photo.png)" || fail "$e"
	[[ "$e" =~ salt:\ \"[0-9a-f]{64}\" ]] || fail "no salt: $e"
	# what a reader needs is public; the path, the blob and the actor
	# only in the private part, which opens the public part's commitment
	e=$(entry_public .custody 3)
	[[ "$e" =~ private:\ \"[0-9a-f]{64}\" ]] || fail "no commitment: $e"
	contains "$e" 'media_type: "image/png"' || fail "$e"
	for f in path blob actor version; do
		contains "$e" "$f:" && fail "$f in the public part: $e"
	done
	e=$(entry_private .custody 3)
	[[ "$e" =~ opening:\ \"[0-9a-f]{64}\" ]] || fail "no opening: $e"
	contains "$e" "leaf: \"$(git --git-dir=.custody show \
		main:log/000/000/000000003.yaml | { printf '\0'; cat; } |
		sha256sum | cut -c1-64)\"" || fail "leaf: $e"
	contains "$e" 'sha256:' && fail "digest in the private part: $e"
	# a fresh salt for every entry, however many are drawn at once
	expect_eq "$(for i in 0 1 2 3 4 5; do entry $i; done |
		grep '^salt: ' | sort -u | wc -l)" 6 "distinct salts"
	expect_eq "$(for i in 0 1 2 3 4 5; do entry $i; done |
		grep -E '^(salt|opening): ' | cut -d' ' -f2 | sort -u | wc -l)" \
		12 "distinct salts and openings"
	e=$(entry 5)
	contains "$e" 'path: "Überweisungen März.csv"' || fail "$e"
	e=$(entry 4)
	contains "$e" 'media_type: "application/pdf"' || fail "$e"
}

test_add__unchanged_files_record_nothing() {
	setup
	run add .
	local head
	head=$(head_of .custody)
	run add .
	expect_rc 0
	expect_out "nothing to record: 5 files unchanged"
	expect_eq "$(head_of .custody)" "$head" "head after re-adding"
	# touched but same content: hashed again, still nothing recorded
	touch -d '2001-01-01' memos/budget.txt
	run add memos
	expect_rc 0
	expect_out "nothing to record: 2 files unchanged"
	expect_eq "$(head_of .custody)" "$head" "head after touch"
}

test_add__changed_file_gets_a_new_version_linked_to_the_old() {
	setup
	run add .
	printf 'more\n' >>memos/budget.txt
	run add memos/budget.txt
	expect_rc 0
	expect_out_has "new version memos/budget.txt  (entry 6, v2,"
	local e
	e=$(entry 6)
	contains "$e" 'version: 2' || fail "$e"
	contains "$e" 'previous: 2' || fail "$e"
	expect_eq "$(git --git-dir=.custody rev-list --count main)" 3 commits
	expect_eq "$(git --git-dir=.custody show main:documents/memos/budget.txt | sha256sum)" \
		"$(sha256sum <memos/budget.txt | sed 's/-$/-/')"
}

test_add__no_store_records_hashes_only() {
	setup
	run add --no-store scans/report.pdf
	expect_rc 0
	local e
	e=$(entry 1)
	contains "$e" 'blob:' && fail "blob recorded with --no-store: $e"
	contains "$e" 'sha256:' || fail "$e"
	git --git-dir=.custody cat-file -e main:documents/scans/report.pdf 2>/dev/null &&
		fail "content stored"
	run restore scans/report.pdf -o out.pdf
	expect_rc 1
	expect_err "custody: scans/report.pdf: version 1 was registered without storing its content (--no-store); only its hashes are kept"
}

test_add__archive_policy_no_store_and_sha512() {
	make_collection coll && cd coll
	run init --no-store --sha512
	run add memos/budget.txt
	expect_rc 0
	local e
	e=$(entry 1)
	contains "$e" "sha512: \"$(sha512sum memos/budget.txt | cut -c1-128)\"" || fail "$e"
	contains "$e" 'blob:' && fail "stored despite policy: $e"
	run add --store memos/2019/meeting.txt
	contains "$(entry 2)" "blob: \"$(git hash-object memos/2019/meeting.txt)\"" ||
		fail "--store ignored"
}

test_add__note_source_and_actor_are_recorded() {
	setup
	run add --note 'from the USB stick' --source 'S-17' memos/budget.txt
	expect_rc 0
	local e
	e=$(entry 1)
	contains "$e" 'actor: "tester"' || fail "$e"
	contains "$e" 'note: "from the USB stick"' || fail "$e"
	contains "$e" 'source: "S-17"' || fail "$e"
	expect_eq "$(git --git-dir=.custody log -1 --format=%an main)" "tester"
}

test_add__values_are_quoted_so_yaml_cannot_misread_them() {
	mkdir coll && cd coll
	printf 'x' >012345 && printf 'y' >no && printf 'z' >12:30:00
	run init
	run add --note 'yes' .
	expect_rc 0
	local e
	e=$(entry 1)
	contains "$e" 'path: "012345"' || fail "$e"
	contains "$e" 'note: "yes"' || fail "$e"
	contains "$(entry 3)" 'path: "no"' || fail "$(entry 3)"
	contains "$(entry 2)" 'path: "12:30:00"' || fail "$(entry 2)"
	# and a YAML 1.1 reader gets strings back
	git --git-dir=.custody show main:private/000/000/000000001.yaml >e1.yaml
	"$PYTHON" -c 'import yaml,sys; d=yaml.safe_load(open("e1.yaml")); sys.exit(0 if d["path"]=="012345" and d["note"]=="yes" else 1)' ||
		fail "PyYAML misread the entry"
}

test_add__json_lists_the_new_entries() {
	setup
	run add --json memos
	expect_rc 0
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["registered"] == 2 and d["new_versions"] == 0, d
assert [e["path"] for e in d["entries"]] == ["memos/2019/meeting.txt", "memos/budget.txt"], d
assert all(len(e["sha256"]) == 64 and e["version"] == 1 for e in d["entries"]), d
assert len(d["commit"]) == 40
' || fail "bad JSON: $OUT"
}

test_add__file_changing_while_read_is_refused_and_nothing_recorded() {
	setup
	head -c 67108864 /dev/zero >big.bin
	local before
	before=$(snapshot .custody)
	( while :; do printf x >>big.bin; done ) &
	local writer=$!
	run add big.bin
	kill "$writer"; wait "$writer" 2>/dev/null
	expect_rc 1
	expect_err_has "custody: big.bin: file changed while it was being read"
	expect_err_has "nothing was recorded"
	expect_eq "$(snapshot .custody)" "$before" "archive after refused add"
}

test_add__file_replaced_by_folder_is_refused_clearly() {
	setup
	run add .
	local before
	before=$(snapshot .custody)
	rm memos/budget.txt
	mkdir memos/budget.txt
	printf 'inside\n' >memos/budget.txt/page.txt
	run add memos
	expect_rc 1
	expect_err "custody: refused memos/budget.txt/page.txt: a stored file and a stored folder would share a name in the archive (register one of them with --no-store)
custody: memos/budget.txt/page.txt: a stored file and a stored folder would share a name in the archive; nothing was recorded
custody: to register the rest and record what was refused, run: custody add --skip-refused memos"
	expect_eq "$(snapshot .custody)" "$before" "archive after refused add"
	run add --no-store memos
	expect_rc 0
	expect_out_has "registered  memos/budget.txt/page.txt"
}

test_add__progress_line_only_on_a_terminal() {
	setup
	# not a terminal: stderr stays empty
	run add memos
	expect_rc 0
	expect_err ""
	# a terminal (script(1) gives one): a progress line, then erased
	script -qec "$CUSTODY add scans" /dev/null </dev/null >tty.out
	grep -q 'hashing: [0-9]*/2 files' tty.out || fail "no progress: $(cat -v tty.out)"
	grep -q $'\r\033\[K' tty.out || fail "progress line not erased"
	# on a terminal, only the summary, on a line of its own after the
	# erased progress line
	grep -q 'registered  scans/' tty.out &&
		fail "a line per file on a terminal: $(cat -v tty.out)"
	[ "$(tr '\r' '\n' <tty.out | sed 's/^\x1b\[K//' | grep -v '^hashing: ' |
		grep -v '^$')" = "$(tr '\r' '\n' <tty.out | grep -o \
		'2 registered, 0 new versions, 0 unchanged; commit [0-9a-f]*')" ] ||
		fail "the summary is not on its own line: $(cat -v tty.out)"
	# --verbose: each file too, none glued to the progress line
	printf 'one more\n' >scans/more.txt
	printf 'another\n' >scans/another.txt
	script -qec "$CUSTODY add -v scans" /dev/null </dev/null >tty.out
	tr '\r' '\n' <tty.out | sed 's/^\x1b\[K//' |
		grep -q '^registered  scans/another.txt  (entry 5, v1, ' ||
		fail "no line for the file: $(cat -v tty.out)"
	grep -q 'files[^'$'\r'']*registered' tty.out &&
		fail "a line glued to the progress line: $(cat -v tty.out)"
	true
}

# --dry-run hashes and decides and writes nothing: not the content,
# not a commit, not even the stat cache; refusals are listed and make
# it fail as the add would. No key is needed.
test_add__dry_run_says_what_would_be_recorded_and_writes_nothing() {
	setup
	run add memos
	expect_rc 0
	printf 'Budget line 1\nBudget line 3\n' >memos/budget.txt
	local before
	before=$(snapshot "$TMP/coll")
	CUSTODY_KEY_DIR=$TMP/nokeys run add --dry-run .
	expect_rc 0
	expect_out "would be new version memos/budget.txt  (entry 3, v2, $(sha256sum memos/budget.txt | cut -c1-16)…, text/plain)
would be registered  scans/photo.png  (entry 4, v1, $(sha256sum scans/photo.png | cut -c1-16)…, image/png)
would be registered  scans/report.pdf  (entry 5, v1, $(sha256sum scans/report.pdf | cut -c1-16)…, application/pdf)
would be registered  Überweisungen März.csv  (entry 6, v1, $(sha256sum 'Überweisungen März.csv' | cut -c1-16)…, text/plain)
dry run: 3 would be registered, 1 new version, 1 unchanged; nothing was written"
	expect_eq "$(snapshot "$TMP/coll")" "$before" "the collection and archive after a dry run"
	ln -s memos/budget.txt link
	before=$(snapshot "$TMP/coll")
	run add -n --json .
	expect_rc 1
	expect_err "custody: refused link: is a symbolic link; custody neither follows nor records links (register the file it points to instead)
custody: 1 path refused (link: is a symbolic link; custody neither follows nor records links (register the file it points to instead)); an add would record nothing
custody: to register the rest and record what was refused, run: custody add --skip-refused -n --json ."
	expect_eq "$(snapshot "$TMP/coll")" "$before" "after a refused dry run"
	rm link
	run add --dry-run --json scans/photo.png
	expect_rc 0
	expect_eq "$(jq -c '[.dry_run, .commit, .registered, .entries[0].index, .entries[0].blob]' <<<"$OUT")" \
		'[true,null,1,3,null]' "dry run JSON"
	# and the add itself gives what the dry run said
	run add .
	expect_rc 0
	expect_out_has "new version memos/budget.txt  (entry 3, v2, "
	expect_out_has "registered  Überweisungen März.csv  (entry 6, v1, "
}

test_add__quiet_prints_nothing_but_errors() {
	setup
	run add -q memos
	expect_rc 0
	expect_out ""
	expect_err ""
	run add --quiet --verbose scans
	expect_rc 2
	expect_err_has "custody: --quiet goes with neither --verbose nor --json"
	ln -s memos/budget.txt link
	run add -q link
	expect_rc 1
	expect_out ""
	expect_err_has "custody: refused link: is a symbolic link"
}

# A messy folder: a link, a case twin, a .git folder of leaked code.
messy() {
	mkdir -p leak/.git/hooks leak/src
	printf 'int main;\n' >leak/src/main.c
	printf '[core]\n' >leak/.git/config
	printf '#!/bin/sh\n' >leak/.git/hooks/post-checkout
	ln -s main.c leak/src/link.c
	printf 'A\n' >leak/README
	printf 'a\n' >leak/readme
}

REASON_LINK="is a symbolic link; custody neither follows nor records links (register the file it points to instead)"
REASON_GIT="path 'leak/.git': component '.git' is reserved for git; its content cannot be stored (git refuses a folder of that name in the archive's tree, and a restore would write a live git repository); register it with --no-store, hashes only"
REASON_CASE="differs only in letter case or Unicode normalisation from 'leak/README'; both cannot be kept on every system"

test_add__refused_paths_stop_the_add_and_the_message_says_how_to_go_on() {
	setup
	run add .
	expect_rc 0
	messy
	local before
	before=$(snapshot .custody)
	run add --note 'from S-1' leak
	expect_rc 1
	expect_out ""
	expect_err "custody: refused leak/src/link.c: $REASON_LINK
custody: refused leak/.git: $REASON_GIT
custody: refused leak/readme: $REASON_CASE
custody: 3 paths refused (leak/src/link.c: $REASON_LINK); nothing was recorded
custody: to register the rest and record what was refused, run: custody add --skip-refused --note 'from S-1' leak
custody: or, to register the .git folders too, hashes only (no content stored): custody add --no-store --note 'from S-1' leak"
	expect_eq "$(snapshot .custody)" "$before" "archive after a refused add"
	# the command it names goes on
	run add --skip-refused --note 'from S-1' leak
	expect_rc 0
}

test_add__skip_refused_registers_the_rest_and_records_what_it_left_out() {
	setup
	run add .
	expect_rc 0
	messy
	run add --skip-refused --note 'from S-1' -v leak
	expect_rc 0
	expect_err "custody: skipped leak/src/link.c: $REASON_LINK
custody: skipped leak/.git: $REASON_GIT
custody: skipped leak/readme: $REASON_CASE"
	expect_out "registered  leak/README  (entry 6, v1, $(sha256sum leak/README | cut -c1-16)…, text/plain)
registered  leak/src/main.c  (entry 7, v1, $(sha256sum leak/src/main.c | cut -c1-16)…, text/plain)
2 registered, 0 new versions, 0 unchanged, 3 skipped (on the record); commit $(git --git-dir=.custody rev-parse --short=12 main)"
	# one commit: the registrations, then the skip entry
	expect_eq "$(git --git-dir=.custody show --stat --format= main -- log | grep -c yaml)" 3 "entries in the commit"
	local tab=$'\t'
	expect_eq "$(entry_private .custody 8 | sed -n 's/^skipped: //p')" \
		"\"leak/.git\\t$REASON_GIT\\nleak/readme\\t$REASON_CASE\\nleak/src/link.c\\t$REASON_LINK\\n\"" \
		"the skip list in the private part"
	contains "$(entry_public .custody 8)" 'type: "skip"' || fail "no skip entry"
	contains "$(entry_public .custody 8)" leak && fail "the public part names a path"
	expect_eq "$(entry_private .custody 8 | sed -n 's/^note: //p')" '"from S-1"' "its note"
	run log
	expect_out_has "#8      "
	expect_out_has " skip     paths left out by add --skip-refused:
         skipped leak/.git: $REASON_GIT
         skipped leak/readme: $REASON_CASE
         skipped leak/src/link.c: $REASON_LINK
         note: from S-1"
	run log --json
	expect_eq "$(jq -r '.. | objects | select(.type? == "skip") | .skipped[] | "\(.path) | \(.reason)"' <<<"$OUT")" \
		"leak/.git | $REASON_GIT
leak/readme | $REASON_CASE
leak/src/link.c | $REASON_LINK" "the skip list in log --json"
	run verify
	expect_rc 0
	expect_out_has "9 entries, 7 documents"
}

test_add__skip_refused_leaves_out_a_file_whose_stored_name_would_clash() {
	setup
	run add .
	expect_rc 0
	rm memos/budget.txt
	mkdir memos/budget.txt
	printf 'inside\n' >memos/budget.txt/page.txt
	printf 'new\n' >memos/new.txt
	run add --skip-refused -v memos
	expect_rc 0
	expect_err "custody: skipped memos/budget.txt/page.txt: a stored file and a stored folder would share a name in the archive (register one of them with --no-store)"
	expect_out "registered  memos/new.txt  (entry 6, v1, $(sha256sum memos/new.txt | cut -c1-16)…, text/plain)
1 registered, 0 new versions, 1 unchanged, 1 skipped (on the record); commit $(git --git-dir=.custody rev-parse --short=12 main)"
	expect_eq "$(entry_private .custody 7 | sed -n 's/^skipped: //p')" \
		'"memos/budget.txt/page.txt\ta stored file and a stored folder would share a name in the archive\n"' \
		"the skip list"
	run verify
	expect_rc 0
}

test_add__verify_checks_the_skip_list_of_a_forged_skip_entry() {
	setup
	mkdir leak
	printf 'a\n' >leak/a
	ln -s a leak/l1
	ln -s a leak/l2
	run add --skip-refused leak
	expect_rc 0
	run verify
	expect_rc 0
	# the skip entry's lines swapped, resealed as one holding the archive
	# could, in a commit in place of the real one
	local G=.custody tree new
	git --git-dir=$G show main:log/000/000/000000002.yaml >"$TMP/e.yaml"
	git --git-dir=$G show main:private/000/000/000000002.yaml |
		sed 's|^skipped: "leak/l1\\t\(.*\)\\nleak/l2\\t\(.*\)\\n"$|skipped: "leak/l2\\t\2\\nleak/l1\\t\1\\n"|' \
		>"$TMP/p.yaml"
	grep -q '^skipped: "leak/l2' "$TMP/p.yaml" || fail "the list was not swapped"
	"$SRCDIR/tests/cli/reseal-entry.py" "$TMP/e.yaml" "$TMP/p.yaml"
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$TMP/e.yaml")",log/000/000/000000002.yaml
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$TMP/p.yaml")",private/000/000/000000002.yaml
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(git --git-dir=$G -c user.name=m -c user.email=m@example.org \
		commit-tree "$tree" -p main~1 -m 'custody add: forged')
	git --git-dir=$G update-ref refs/heads/main "$new"
	tampered
	run verify
	expect_rc 1
	expect_out_has "problem: log/000/000/000000002.yaml: private/000/000/000000002.yaml:6:10: 'skipped' must list each path once, in byte order"
}

test_add__skip_refused_in_a_dry_run_writes_nothing() {
	setup
	run add .
	expect_rc 0
	messy
	local before
	before=$(snapshot .custody)
	run add -n --skip-refused leak
	expect_rc 0
	expect_out_has "dry run: 2 would be registered, 0 new versions, 0 unchanged, 3 skipped; nothing was written"
	expect_eq "$(snapshot .custody)" "$before" "archive after a dry run"
	# with nothing else to register, the refusals are not recorded alone
	run add leak/src/main.c leak/README
	expect_rc 0
	# (the stat cache may learn: compare the record, not the folder)
	before=$(head_of .custody)
	run add --skip-refused leak
	expect_rc 0
	expect_out "nothing to record: 2 files unchanged, 3 skipped (not recorded: nothing else was)"
	expect_eq "$(head_of .custody)" "$before" "the record after an add that skipped only"
}

test_add__a_git_folder_is_registered_with_no_store_and_never_stored() {
	setup
	messy
	rm leak/src/link.c leak/readme
	run add --no-store -v leak
	expect_rc 0
	expect_out_has "registered  leak/.git/config  (entry 1, v1,"
	expect_out_has "registered  leak/.git/hooks/post-checkout  (entry 2, v1,"
	expect_eq "$(git --git-dir=.custody ls-tree -r --name-only main | grep -c '\.git/')" 0 "stored .git files"
	run verify
	expect_rc 0
	run status
	expect_out "new       memos/2019/meeting.txt
new       memos/budget.txt
new       scans/photo.png
new       scans/report.pdf
new       Überweisungen März.csv
4 unchanged, 5 new, 0 modified, 0 missing, 0 moved, 0 refused"
	# a change to a registered .git file, or a new one: storing refused
	printf '[user]\n' >>leak/.git/config
	printf 'x\n' >leak/.git/HEAD
	run status
	expect_out_has "refused   leak/.git: $REASON_GIT
modified  leak/.git/config"
	local before
	before=$(snapshot .custody)
	run add leak
	expect_rc 1
	expect_err_has "custody: refused leak/.git: $REASON_GIT"
	expect_eq "$(snapshot .custody)" "$before" "archive after a refused add"
	run add --no-store -v leak
	expect_rc 0
	expect_out_has "registered  leak/.git/HEAD"
	expect_out_has "new version leak/.git/config"
	# and there is nothing to restore from hashes
	rm leak/.git/HEAD
	run restore leak/.git/HEAD
	expect_rc 1
	expect_err_has "registered without storing its content (--no-store)"
	[ -e leak/.git/HEAD ] && fail "a .git file was written"
	return 0
}

# With custody.yaml's media_types "none", entries record no media type
# and every reader of entries does without one.
test_add__media_types_none_records_no_media_type() {
	make_collection coll && cd coll
	run init --origin example.org/plain --media-types none
	expect_rc 0
	run add memos/budget.txt
	expect_rc 0
	expect_out "registered  memos/budget.txt  (entry 1, v1, $(sha256sum memos/budget.txt | cut -c1-16)…)
1 registered, 0 new versions, 0 unchanged; commit $(head_of .custody | cut -c1-12)"
	run add --json scans
	expect_rc 0
	contains "$OUT" media_type && fail "a media type in $OUT"
	expect_out_has '"path":"scans/report.pdf"'
	local i
	for i in 1 2 3; do
		contains "$(entry_public .custody $i)" media_type &&
			fail "entry $i has a media type"
		contains "$(entry_public .custody $i)" 'type: "register"' ||
			fail "entry $i is not a registration"
	done
	run log -n 1
	expect_rc 0
	contains "$OUT" "(null)" && fail "log prints (null): $OUT"
	expect_out_has "  $(stat -c %s scans/report.pdf) bytes"
	run log --json
	expect_rc 0
	contains "$OUT" media_type && fail "a media type in $OUT"
	run add .
	expect_rc 0
	run status
	expect_rc 0
	run verify --full
	expect_rc 0
	expect_out_has "ok: "
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	grep -q "not recorded" "$TMP/report.html" || fail "no 'not recorded'"
	run bag export ../bag
	expect_rc 0
	run proof memos/budget.txt -o "$TMP/budget.proof"
	expect_rc 0
	"$CUSTODY_FULL" key export --vkey >"$TMP/outlet.vkey"
	run check memos/budget.txt --proof "$TMP/budget.proof" \
		--key "$TMP/outlet.vkey"
	expect_rc 0
	expect_out_has "OK: memos/budget.txt is the document registered in the log example.org/plain"
	run check memos/budget.txt --proof "$TMP/budget.proof" \
		--key "$TMP/outlet.vkey" --json
	expect_rc 0
	expect_out_has '"ok":true,"failed_step":null'
}

# The default policy, libmagic, gives every registration a media type.
test_add__media_types_libmagic_is_the_default() {
	make_collection coll && cd coll
	run init --origin example.org/typed
	expect_rc 0
	run add scans/report.pdf
	expect_rc 0
	expect_out_has ", application/pdf)"
	contains "$(entry_public .custody 1)" 'media_type: "application/pdf"' ||
		fail "no media type: $(entry_public .custody 1)"
}

run_tests
