#!/bin/bash
# custody status: new, modified, missing, moved, duplicates, refused.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init
	run add .
	expect_rc 0
}

test_status__clean_collection() {
	setup
	run status
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
}

# --exit-code: 1 when anything differs, as git diff --exit-code
test_status__exit_code_says_whether_anything_differs() {
	setup
	run status --exit-code
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
	printf 'new\n' >new.txt
	run status --exit-code
	expect_rc 1
	expect_out "new       new.txt
5 unchanged, 1 new, 0 modified, 0 missing, 0 moved, 0 refused"
	run status --exit-code --json
	expect_rc 1
	expect_eq "$(jq -r .new <<<"$OUT")" 1 "new files in JSON"
	run status
	expect_rc 0
}

test_status__reports_each_kind_of_change_sorted_by_path() {
	setup
	printf 'changed\n' >>memos/budget.txt
	rm memos/2019/meeting.txt
	mv scans/report.pdf scans/report-final.pdf
	printf 'fresh\n' >new.txt
	cp scans/photo.png photo-copy.png
	run status
	expect_rc 0
	expect_out "missing   memos/2019/meeting.txt
modified  memos/budget.txt
new       new.txt
new       photo-copy.png  (same content as scans/photo.png)
moved     scans/report.pdf -> scans/report-final.pdf
2 unchanged, 2 new, 1 modified, 1 missing, 1 moved, 0 refused"
}

test_status__saves_the_index_it_rebuilds() {
	make_collection coll
	cd coll
	find . -type f -exec touch -d '2020-01-01' {} +
	run init
	run add .
	rm .custody/cache/index .custody/cache/index.journal 2>/dev/null
	[ ! -e .custody/cache/index ] || fail "cache still there"
	run status --json
	expect_rc 0
	expect_err ""
	expect_out_has '"unchanged":5,"new":0,"modified":0,"missing":0,"moved":0,"refused":0,"hashed":5}'
	[ -e .custody/cache/index ] || fail "status did not save the cache"
	# the second status reads no document again
	run status --json
	expect_rc 0
	expect_out_has '"unchanged":5,"new":0,"modified":0,"missing":0,"moved":0,"refused":0,"hashed":0}'
	run status
	expect_out "clean: 5 documents as recorded"
}

test_status__duplicates_among_new_files_are_named() {
	setup
	printf 'same\n' >a.txt
	printf 'same\n' >b.txt
	run status
	expect_out_has "new       a.txt
new       b.txt  (same content as a.txt)"
}

test_status__unchanged_files_are_not_read_again() {
	make_collection coll
	cd coll
	# files written in the same second as the cache are read again
	# (git's "racily clean" rule): date these in the past
	find . -type f -exec touch -d '2020-01-01' {} +
	run init
	run add .
	run status --json
	expect_rc 0
	expect_out_has '"hashed":0'
	expect_out_has '"unchanged":5'
	# a touched file is read again (and found unchanged)
	touch -d '2001-01-01' memos/budget.txt
	run status --json
	expect_out_has '"hashed":1'
	expect_out_has '"unchanged":5'
}

# The racily-clean rule: a file whose modification time is not before
# the second the cache was saved may change again without its stat
# moving, so it is read every time until the cache is saved after it.
# Dated in the future, these stay "racy" however slow the machine.
test_status__files_dated_at_or_after_the_cache_are_read_again() {
	make_collection coll
	cd coll
	find . -type f -exec touch -d '2020-01-01' {} +
	touch -d '2099-01-01 12:00:00' memos/budget.txt scans/report.pdf
	run init
	run add .
	run status --json
	expect_rc 0
	expect_out_has '"unchanged":5,"new":0,"modified":0,"missing":0,"moved":0,"refused":0,"hashed":2}'
	run status --json
	expect_out_has '"unchanged":5,"new":0,"modified":0,"missing":0,"moved":0,"refused":0,"hashed":2}'
	# same size, same modification time, other content: modified
	printf 'Budget line 1\nBudget line X\n' >memos/budget.txt
	touch -d '2099-01-01 12:00:00' memos/budget.txt
	run status
	expect_rc 0
	expect_out "modified  memos/budget.txt
4 unchanged, 0 new, 1 modified, 0 missing, 0 moved, 0 refused"
}

# Past a thousand files, the stats are taken on a second thread while
# the folders are still read (walk.c, the follower), and what it has
# not reached by the end of the walk by the stat pool: every file must
# still get its own stat, as the cache's verdicts show.
test_status__stats_taken_while_the_walk_reads_are_each_files_own() {
	make_many_files coll 60 50
	mkdir coll/d30/sub
	for i in $(seq 0 39); do
		echo "deeper $i" >"coll/d30/sub/g$i.txt"
	done
	cd coll
	find . -type f -exec touch -d '2020-01-01' {} +
	run init
	run add .
	expect_rc 0
	run status --json
	expect_rc 0
	expect_out_has '"unchanged":3040,"new":0,"modified":0,"missing":0,"moved":0,"refused":0,"hashed":0}'
	# first folder, a folder in the middle, the last: each stat is read
	printf 'longer content now\n' >d00/f0000.txt
	touch -d '2020-01-01' d00/f0000.txt
	touch -d '2021-01-01' d30/sub/g7.txt
	printf 'file 59 49\n' >d59/f0049.txt
	touch -d '2001-01-01' d59/f0049.txt
	ln -s f0001.txt d45/link
	run status --exit-code
	expect_rc 1
	expect_out "modified  d00/f0000.txt
refused   d45/link: is a symbolic link; custody neither follows nor records links (register the file it points to instead)
3039 unchanged, 0 new, 1 modified, 0 missing, 0 moved, 1 refused"
	run status --json
	expect_out_has '"hashed":1}'
}

test_status__rebuilds_a_damaged_cache() {
	setup
	printf 'garbage' >.custody/cache/index
	run status
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
	expect_err_has "cache/index: damaged cache, rebuilt from the log"
}

test_status__cache_with_a_flipped_byte_is_rebuilt() {
	setup
	# a CRC-32 over the whole cache catches damage anywhere in it
	"$PYTHON" -c '
import sys
p = ".custody/cache/index"
d = bytearray(open(p, "rb").read())
d[len(d) // 2] ^= 0x01
open(p, "wb").write(d)
'
	printf 'changed\n' >>memos/budget.txt
	run status
	expect_rc 0
	expect_err_has "cache/index: damaged cache, rebuilt from the log"
	expect_out_has "modified  memos/budget.txt"
}

test_status__refused_names_between_subfolders_do_not_disturb_others() {
	setup
	# readdir order is arbitrary: with many subfolders and many refused
	# names side by side, some refusal follows a subfolder's files
	mkdir -p mix
	for i in $(seq 1 30); do
		mkdir "mix/sub$i"
		printf '%s\n' "$i" >"mix/sub$i/file.txt"
		printf 'x\n' >"mix/$(printf 'bad\001%d' "$i")"
	done
	run status --json
	expect_rc 0
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
new = [i["path"] for i in d["items"] if i["status"] == "new"]
refused = [i for i in d["items"] if i["status"] == "refused"]
assert len(new) == 30 and len(refused) == 30, (len(new), refused[:3])
assert all("control character" in i["reason"] for i in refused), refused
' || fail "wrong items: $OUT"
}

test_status__refused_names_are_listed_with_reason() {
	setup
	ln -s memos/budget.txt link.txt
	run status
	expect_rc 0
	expect_out_has "refused   link.txt: is a symbolic link"
}

test_status__json_is_valid_and_complete() {
	setup
	rm scans/photo.png
	run status --json
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["items"] == [{"status": "missing", "path": "scans/photo.png", "from": None, "duplicate_of": None, "reason": None}], d
assert d["missing"] == 1 and d["unchanged"] == 4, d
' || fail "bad JSON: $OUT"
}

# The cache/index journal: registering a few files appends them to
# cache/index.journal instead of rewriting cache/index.
journal_setup() {
	make_collection coll
	cd coll
	find . -type f -exec touch -d '2020-01-01' {} +
	run init
	run add .
	expect_rc 0
	printf 'later\n' >later.txt
	touch -d '2020-01-01' later.txt
	cp .custody/cache/index "$TMP/index.before"
	run add later.txt
	expect_rc 0
}

test_status__one_more_file_goes_to_the_journal_not_the_index() {
	journal_setup
	cmp -s .custody/cache/index "$TMP/index.before" ||
		fail "cache/index was rewritten for one file"
	[ -s .custody/cache/index.journal ] || fail "no journal written"
	# the journal's stat data are used: nothing is read again
	run status --json
	expect_rc 0
	expect_out_has '"items":[]'
	expect_out_has '"unchanged":6'
	expect_out_has '"hashed":0'
	expect_err ""
}

test_status__a_torn_journal_is_caught_up_from_the_log() {
	journal_setup
	# a crash in the middle of writing the frame
	size=$(stat -c %s .custody/cache/index.journal)
	truncate -s $((size - 5)) .custody/cache/index.journal
	run status --json
	expect_rc 0
	expect_out_has '"items":[]'
	expect_out_has '"unchanged":6'
	# later.txt's stat data were in the lost frame: read once more
	expect_out_has '"hashed":1'
	printf 'changed\n' >>later.txt
	run status
	expect_out_has "modified  later.txt"
}

test_status__a_journal_frame_with_a_flipped_byte_is_not_used() {
	journal_setup
	"$PYTHON" -c '
p = ".custody/cache/index.journal"
d = bytearray(open(p, "rb").read())
d[-3] ^= 0x01
open(p, "wb").write(d)
'
	printf 'changed\n' >>later.txt
	run status
	expect_rc 0
	expect_out "modified  later.txt
5 unchanged, 0 new, 1 modified, 0 missing, 0 moved, 0 refused"
	# the next add mends the journal; the one after reads it
	run add later.txt
	expect_rc 0
	run status --json
	expect_out_has '"items":[]'
}

test_status__a_journal_of_another_index_file_is_ignored() {
	journal_setup
	cp .custody/cache/index.journal "$TMP/journal"
	# the index is rebuilt and saved whole; the old journal is removed
	rm .custody/cache/index
	printf 'third\n' >third.txt
	run add third.txt
	expect_rc 0
	[ ! -e .custody/cache/index.journal ] ||
		fail "the journal of the old index file was kept"
	cp "$TMP/journal" .custody/cache/index.journal
	run status --json
	expect_rc 0
	expect_out_has '"items":[]'
	expect_out_has '"unchanged":7'
	expect_err ""
}

test_status__a_large_batch_rewrites_the_index_whole() {
	journal_setup
	# over 4,096 changed records: the journal is folded into the index
	"$PYTHON" -c '
import os
os.makedirs("many", exist_ok=True)
for i in range(4100):
    open("many/f%04d.txt" % i, "w").write("file %d\n" % i)
'
	run add many
	expect_rc 0
	[ ! -e .custody/cache/index.journal ] ||
		fail "the journal was kept after a whole rewrite"
	cmp -s .custody/cache/index "$TMP/index.before" &&
		fail "cache/index was not rewritten"
	run status --json
	expect_out_has '"items":[]'
	expect_out_has '"unchanged":4106'
}

run_tests
