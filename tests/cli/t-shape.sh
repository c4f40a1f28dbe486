#!/bin/bash
# custody verify on a crafted log layout: the work is sized by the entries
# that exist, a gap is named once, and the problem lines are bounded.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init
	run add .
	expect_rc 0
	G=".custody"
}

# Stock-git plumbing only: entry blobs at crafted paths, one commit on
# main signed by the member (only the layout is wrong).
craft_entries() { # craft_entries PATH INDEX [PATH INDEX]...
	local id tree
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G read-tree main
	while [ $# -gt 0 ]; do
		id=$(git --git-dir=$G show main:log/000/000/000000001.yaml |
			sed "s/^index: 1\$/index: $2/" |
			git --git-dir=$G hash-object -w --stdin)
		GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G update-index \
			--add --cacheinfo 100644,"$id","$1"
		shift 2
	done
	tree=$(GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G write-tree)
	CRAFTED=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m "craft")
	git --git-dir=$G update-ref refs/heads/main "$CRAFTED"
}

# verify with 1 GiB of memory (limit_memory) and a minute: a table sized from
# the highest index, or a line per missing index, would not finish.
run_bounded() {
	( limit_memory 1048576; exec timeout 60 "$CUSTODY" "$@" ) \
		>"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

entries() { git --git-dir=$G ls-tree -r --name-only main log/ | wc -l; }

test_shape__entry_far_ahead_is_one_gap() {
	setup
	craft_entries log/030/000/030000000.yaml 30000000
	run_bounded verify
	expect_rc 1
	local c=${CRAFTED:0:12}
	expect_out "problem: commit $c: adds entry 30000000 where entry 6 was due: the log has a gap or a repeat
problem: history: the commits add 7 entries, but the log at head has 30000001
problem: log/: entries 6 to 29999999 are missing"
	expect_err "custody: 3 problems found"
}

test_shape__entry_at_the_last_index_is_bounded() {
	setup
	craft_entries log/999/999/999999999.yaml 999999999
	run_bounded verify
	expect_rc 1
	local c=${CRAFTED:0:12}
	expect_out "problem: commit $c: adds entry 999999999 where entry 6 was due: the log has a gap or a repeat
problem: history: the commits add 7 entries, but the log at head has 1000000000
problem: log/: entries 6 to 999999998 are missing"
	expect_err "custody: 3 problems found"
}

test_shape__one_missing_entry_is_named_once() {
	setup
	craft_entries log/000/000/000000007.yaml 7
	run_bounded verify
	expect_rc 1
	expect_out_has "problem: log/: entry 6 is missing"
}

test_shape__misplaced_entry_is_named() {
	setup
	craft_entries log/000/001/000000002.yaml 2
	run_bounded verify
	expect_rc 1
	local c=${CRAFTED:0:12}
	expect_out "problem: commit $c: adds log/000/001/000000002.yaml, which is not where custody puts entries
problem: commit $c: adds no entry; every custody commit adds at least one, but for one that only signs a checkpoint or adds a timestamp
problem: history: the commits add 6 entries, but the log at head has 3
problem: log/: holds 000/001/000000002.yaml, which is not where custody puts an entry"
	expect_err "custody: 4 problems found"
}

# 150 misplaced files: two problems each, and more. The first 100 are
# shown, then one line counts the rest.
test_shape__problem_lines_are_bounded() {
	setup
	local args=() k
	for k in $(seq 1000 1149); do
		args+=("log/000/002/00000$k.yaml" "$k")
	done
	craft_entries "${args[@]}"
	run_bounded verify
	expect_rc 1
	local c=${CRAFTED:0:12}
	expect_eq "$(grep -c '^problem: ' "$TMP/.out")" 101 "problem lines"
	expect_eq "$(head -n 1 "$TMP/.out")" "problem: commit $c: adds log/000/002/000001000.yaml, which is not where custody puts entries" "first line"
	expect_eq "$(tail -n 1 "$TMP/.out")" "problem: verify: 203 more problems are not shown" "last line"
	expect_err "custody: 303 problems found"
}

run_tests
