#!/bin/bash
# Every YAML file custody writes is valid against its schema in schemas/,
# checked by python3-jsonschema; and what the schema refuses, custody's
# reader refuses too (custody verify).
. "$(dirname "$0")/lib.sh"

CHECK="$PYTHON $SRCDIR/tests/schema/check_schemas.py"

# Export custody.yaml and every entry at head into ./out (log/ layout).
export_yaml() {
	rm -rf out && mkdir -p out
	git --git-dir=.custody show main:custody.yaml >out/custody.yaml
	git --git-dir=.custody ls-tree -r --name-only main log | while read -r p; do
		mkdir -p "out/$(dirname "$p")"
		git --git-dir=.custody show "main:$p" >"out/$p"
	done
}

test_schema__every_file_custody_writes_validates() {
	make_collection coll
	cd coll
	run init --sha512 --origin example.org/schema
	run add --note 'first batch
two lines' --source 'S-1' memos scans
	run add --no-store "Überweisungen März.csv"
	printf 'v2\n' >>memos/budget.txt
	run add memos
	expect_rc 0
	export_yaml
	expect_eq "$(find out -name "*.yaml" | wc -l)" 8 "files exported"
	$CHECK "$SRCDIR/schemas" $(find out -name '*.yaml' | sort) ||
		fail "schema validation failed"
}

test_schema__both_refuse_a_tampered_entry() {
	tampered
	make_collection coll
	cd coll
	run init
	run add memos
	export_yaml
	# the size written as a quoted string: valid YAML, invalid entry
	sed -i 's/^size: \([0-9]*\)$/size: "\1"/' out/log/000/000/000000001.yaml
	$CHECK --expect-invalid "$SRCDIR/schemas" out/log/000/000/000000001.yaml ||
		fail "the schema accepted a quoted size"
	local id
	id=$(git --git-dir=.custody hash-object -w out/log/000/000/000000001.yaml)
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=.custody read-tree main
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=.custody update-index \
		--cacheinfo 100644,"$id",log/000/000/000000001.yaml
	local tree commit
	tree=$(GIT_INDEX_FILE="$TMP/idx" git --git-dir=.custody write-tree)
	commit=$(git --git-dir=.custody -c user.name=x -c user.email=x \
		commit-tree "$tree" -p main -m x)
	git --git-dir=.custody update-ref refs/heads/main "$commit"
	run verify
	expect_rc 1
	expect_out_has "problem: log/000/000/000000001.yaml: log/000/000/000000001.yaml:"
	expect_out_has "'size'"
}

run_tests
