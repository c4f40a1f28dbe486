#!/bin/bash
# Leaving files out: .custodyignore files and --exclude, in gitignore
# syntax, judged as git judges .gitignore; and what is left out of add
# and status, and what is not (registered files).
. "$(dirname "$0")/lib.sh"

# The names both trees hold: plain, nested, odd characters, names that
# only some rules match.
NAMES=(
	a.log important.log b.txt rootonly.txt sub/rootonly.txt
	build/out.o build/deep/x.c src/build/y.c build.txt
	doc/frotz/a.txt a/doc/frotz/b.txt doc/frotz.txt
	deep/a/b/x.txt deep/x.txt x/deep/y/x.txt x.txt
	foo/bar/baz.txt foo/keep foo/other foo.txt
	abc.md a_c.md ab.md acc.md
	a.csv b1.csv c.csv
	'#hash' '!bang' 'trail ' 'trail' 'sp ace.txt'
	y.o lib/z.o
	sub/t.tmp sub/keep.tmp sub/local.txt sub/anch.txt sub/in/anch.txt
	sub/in/local.txt top.tmp sub/in/x.tmp
	logs/x.log logs/y.txt logs/old/z.log
	n/m/only-dir n/m/only-dir.txt
	'stars/a**b.txt' stars/ab.txt stars/aXYb.txt
	'q/[x].txt' q/x.txt
	'ümlaut/ä.txt' 'ümlaut/b.txt'
)

make_tree() { # make_tree DIR RULEFILE-NAME
	local name
	for name in "${NAMES[@]}"; do
		mkdir -p "$1/$(dirname "$name")"
		printf '%s\n' "$name" >"$1/$name"
	done
	mkdir -p "$1/n/m/only-dir-folder/only-dir"
	printf 'x\n' >"$1/n/m/only-dir-folder/only-dir/f.txt"
	cat >"$1/$2" <<'RULES'
# a comment, then a blank line

*.log
!important.log
/rootonly.txt
build/
doc/frotz/
**/deep/**/x.txt
foo/**
!foo/keep
a?c.md
[ab]*.csv
\#hash
\!bang
trail\ 
*.o
sub/*.tmp
only-dir/
stars/a**b.txt
q/[[]x].txt
ümlaut/ä*
RULES
	cat >"$1/sub/$2" <<'RULES'
!keep.tmp
local.txt
/anch.txt
RULES
	cat >"$1/logs/$2" <<'RULES'
!*.log
old/
RULES
	# written on Windows: CR LF line ends
	printf 'x.txt\r\n' >"$1/q/$2"
}

test_ignore__verdicts_are_those_of_git_check_ignore() {
	make_tree coll .custodyignore
	make_tree gitcoll .gitignore
	(cd gitcoll && git init -q . && git config core.quotePath false) ||
		fail "git init"
	cd coll
	run init
	expect_rc 0
	run add --dry-run -v .
	expect_rc 0
	local ours theirs
	ours=$(sed -n 's/^would be registered  \(.*\)  (entry .*/\1/p' \
		<<<"$OUT" | sed 's/\.custodyignore$/.gitignore/' | LC_ALL=C sort)
	theirs=$(cd ../gitcoll && git ls-files -z --others \
		--exclude-standard | tr '\0' '\n' | LC_ALL=C sort)
	[ -n "$theirs" ] || fail "git listed nothing"
	# the rules do leave things out, and take some back
	expect_eq "$(tr '\n' '|' <<<"$theirs")" ".gitignore|a/doc/frotz/b.txt|ab.md|b.txt|build.txt|c.csv|doc/frotz.txt|foo.txt|foo/keep|important.log|logs/.gitignore|logs/x.log|logs/y.txt|n/m/only-dir|n/m/only-dir.txt|q/.gitignore|sp ace.txt|sub/.gitignore|sub/in/anch.txt|sub/in/x.tmp|sub/keep.tmp|sub/rootonly.txt|top.tmp|trail|x.txt|ümlaut/b.txt|" "what git keeps"
	expect_eq "$ours" "$theirs" "files registered, against git"
	# and name by name, as git check-ignore says
	local name verdict
	for name in "${NAMES[@]}" n/m/only-dir-folder/only-dir/f.txt; do
		if (cd ../gitcoll && git check-ignore -q --no-index "$name"); then
			verdict=ignored
		else
			verdict=kept
		fi
		if grep -qxF -- "$name" <<<"$ours"; then
			expect_eq kept "$verdict" "$name: custody keeps it"
		else
			expect_eq ignored "$verdict" "$name: custody leaves it out"
		fi
	done
}

test_ignore__exclude_matches_as_git_command_line_patterns() {
	make_tree coll .custodyignore
	make_tree gitcoll .gitignore
	(cd gitcoll && git init -q .) || fail "git init"
	cd coll
	run init
	expect_rc 0
	run add --dry-run -v --exclude '*.txt' --exclude '!b.txt' \
		--exclude 'sub/' --exclude '/ümlaut/**' .
	expect_rc 0
	local ours theirs
	ours=$(sed -n 's/^would be registered  \(.*\)  (entry .*/\1/p' \
		<<<"$OUT" | sed 's/\.custodyignore$/.gitignore/' | LC_ALL=C sort)
	theirs=$(cd ../gitcoll && git -c core.quotePath=false ls-files -z \
		--others --exclude-standard -x '*.txt' -x '!b.txt' -x 'sub/' \
		-x '/ümlaut/**' | tr '\0' '\n' | LC_ALL=C sort)
	expect_eq "$ours" "$theirs" "files registered with --exclude, against git -x"
}

setup() {
	make_collection coll
	cd coll
	run init
	expect_rc 0
}

test_ignore__add_and_status_leave_out_what_the_rules_match() {
	setup
	mkdir -p cache/deep
	printf 'tmp\n' >notes.tmp
	printf 'c\n' >cache/deep/c.bin
	ln -s memos cache/link
	printf '*.tmp\ncache/\n' >.custodyignore
	run status
	expect_rc 0
	expect_out "new       .custodyignore
new       memos/2019/meeting.txt
new       memos/budget.txt
new       scans/photo.png
new       scans/report.pdf
new       Überweisungen März.csv
0 unchanged, 6 new, 0 modified, 0 missing, 0 moved, 0 refused"
	run add .
	expect_rc 0
	expect_out_has "registered  .custodyignore  (entry "
	expect_out_has "6 registered, 0 new versions, 0 unchanged; commit"
	run status
	expect_rc 0
	expect_out "clean: 6 documents as recorded"
	# the link inside an ignored folder is not refused: nobody asked
	run status --exclude 'scans/*.png'
	expect_out "clean: 6 documents as recorded"
}

test_ignore__a_registered_file_stays_on_the_record_when_a_rule_matches_it() {
	setup
	run add .
	expect_rc 0
	printf 'scans/\nmemos/budget.txt\n' >.custodyignore
	printf 'changed\n' >>memos/budget.txt
	rm scans/photo.png
	printf 'new\n' >scans/new.pdf
	run status
	expect_rc 0
	expect_out "new       .custodyignore
modified  memos/budget.txt
missing   scans/photo.png
3 unchanged, 1 new, 1 modified, 1 missing, 0 moved, 0 refused"
	run add .
	expect_rc 0
	expect_out_has "new version memos/budget.txt  (entry 7, v2,"
	expect_out_has "1 registered, 1 new version, 3 unchanged; commit"
	# scans/new.pdf is not registered, scans/report.pdf stays as it was
	run log
	contains "$OUT" "scans/new.pdf" && fail "an ignored new file was registered"
	run verify
	expect_rc 0
}

test_ignore__a_nested_file_applies_below_its_folder_and_can_take_back() {
	setup
	printf '*.txt\n' >.custodyignore
	printf '!budget.txt\n' >memos/.custodyignore
	run add -v .
	expect_rc 0
	expect_out_has "registered  memos/budget.txt"
	expect_out_has "registered  memos/.custodyignore"
	contains "$OUT" "meeting.txt" && fail "memos/2019/meeting.txt was registered"
	# a file named on the command line: its folders' rules apply too
	run add memos/2019/meeting.txt
	expect_rc 1
	expect_err_has "custody: refused memos/2019/meeting.txt: is left out by a rule (.custodyignore or --exclude)"
}

test_ignore__an_explicitly_named_ignored_file_is_refused_and_nothing_recorded() {
	setup
	run add .
	expect_rc 0
	local before
	printf 'x\n' >secret.tmp
	before=$(snapshot .custody)
	run add --exclude '*.tmp' secret.tmp
	expect_rc 1
	expect_err "custody: refused secret.tmp: is left out by a rule (.custodyignore or --exclude)
custody: 1 path refused (secret.tmp: is left out by a rule (.custodyignore or --exclude)); nothing was recorded
custody: to register the rest and record what was refused, run: custody add --skip-refused --exclude '*.tmp' secret.tmp"
	expect_eq "$(snapshot .custody)" "$before" "archive after a refused add"
}

run_tests "$@"
