#!/bin/bash
# custody verify: a sound archive passes; every kind of damage is named.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	head -c 8192 /dev/urandom >scans/random.bin
	run init
	run add .
	expect_rc 0
	G=".custody"
}

# Commit a tree changed with stock git on top of main, as an attacker
# with write access to the repository could.
tamper_commit() { # tamper_commit MESSAGE  (edits made in $TMP/idx via fns)
	local tree commit
	tree=$(GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G write-tree)
	# signed by the member, as custody would: only the content is wrong
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m "$1")
	git --git-dir=$G update-ref refs/heads/main "$commit"
	echo "$commit"
}

index_from_main() { GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G read-tree main; }

put_file() { # put_file PATH CONTENT
	local id
	id=$(printf '%s' "$2" | git --git-dir=$G hash-object -w --stdin)
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G update-index --add \
		--cacheinfo 100644,"$id","$1"
}

test_verify__sound_archive_passes() {
	setup
	run verify
	expect_rc 0
	expect_out "ok: 2 commits, each signed by a member; 7 entries, 6 documents"
	run verify --full
	expect_rc 0
	expect_out "ok: 2 commits, each signed by a member; 7 entries, 6 documents; every file and stored blob rehashed"
	run verify --json
	expect_out_has '"ok":true,"full":false,"commits":2,"signatures":2,"entries":7'
}

test_verify__full_catches_modified_and_missing_files() {
	setup
	local old
	old=$(sha256sum memos/budget.txt | cut -c1-64)
	printf 'forged\n' >>memos/budget.txt
	rm scans/photo.png
	run verify
	expect_rc 0
	run verify --full
	expect_rc 1
	expect_out "problem: memos/budget.txt: modified: its SHA-256 is $(sha256sum memos/budget.txt | cut -c1-64), the record (entry 2) says $old
problem: scans/photo.png: missing from the collection (registered at entry 3)"
	expect_err "custody: 2 problems found"
	run verify --full --json
	expect_rc 1
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False and len(d["problems"]) == 2, d
assert d["problems"][1]["where"] == "scans/photo.png", d
' || fail "bad JSON: $OUT"
}

test_verify__rewritten_entry_is_named() {
	setup
	tampered
	index_from_main
	put_file log/000/000/000000001.yaml "$(git --git-dir=$G show main:log/000/000/000000001.yaml | sed 's/tester/mallory/')"
	local c
	c=$(tamper_commit "innocent")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${c:0:12}: changes entry log/000/000/000000001.yaml: the log is append-only; history was rewritten"
	expect_out_has "problem: commit ${c:0:12}: adds no entry"
}

# A private part opens its entry's commitment: changed, removed or
# swapped, it is named, and so is the commit that did it.
test_verify__rewritten_private_part_is_named() {
	setup
	tampered
	index_from_main
	put_file private/000/000/000000001.yaml "$(entry_private $G 1 |
		sed 's/tester/mallory/')
"
	local c
	c=$(tamper_commit "innocent")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${c:0:12}: changes private/000/000/000000001.yaml: private parts are written once, with their entries"
	expect_out_has "problem: log/000/000/000000001.yaml: private/000/000/000000001.yaml: the private fields do not match entry 1's commitment ('private')"
}

test_verify__removed_or_swapped_private_part_is_named() {
	setup
	tampered
	index_from_main
	printf '0 %040d\tprivate/000/000/000000006.yaml\n' 0 |
		GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G update-index --index-info
	put_file private/000/000/000000005.yaml "$(entry_private $G 4)
"
	local c
	c=$(tamper_commit "drop")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${c:0:12}: removes private/000/000/000000006.yaml: private parts are written once, with their entries"
	expect_out_has "problem: log/000/000/000000006.yaml: private/000/000/000000006.yaml: missing from the archive"
	expect_out_has "problem: log/000/000/000000005.yaml: private/000/000/000000005.yaml: is the private part of entry 4, not of entry 5"
}

test_verify__removed_entry_is_named() {
	setup
	tampered
	index_from_main
	printf '0 %040d\tlog/000/000/000000006.yaml\n' 0 |
		GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G update-index --index-info
	local c
	c=$(tamper_commit "drop")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${c:0:12}: removes entry log/000/000/000000006.yaml"
}

test_verify__gap_in_the_log_is_named() {
	setup
	tampered
	index_from_main
	put_file log/000/000/000000008.yaml "$(git --git-dir=$G show main:log/000/000/000000006.yaml | sed 's/^index: 6$/index: 8/')"
	local c
	c=$(tamper_commit "skip")
	run verify
	expect_rc 1
	expect_out_has "problem: commit ${c:0:12}: adds entry 8 where entry 7 was due: the log has a gap or a repeat"
}

test_verify__hostile_entry_yaml_is_named() {
	setup
	tampered
	index_from_main
	put_file log/000/000/000000007.yaml "$(printf 'custody-entry: 1\nindex: &a 7\ntype: "register"\n')"
	tamper_commit "alias" >/dev/null
	run verify
	expect_rc 1
	expect_out_has "problem: log/000/000/000000007.yaml: log/000/000/000000007.yaml:2:8: an anchor (&a); anchors and aliases are not allowed"
}

test_verify__document_tree_out_of_step_is_named() {
	setup
	tampered
	index_from_main
	put_file documents/memos/budget.txt "not what was registered"
	put_file log/000/000/000000007.yaml "$(git --git-dir=$G show main:log/000/000/000000006.yaml | sed 's/^index: 6$/index: 7/')"
	tamper_commit "swap content" >/dev/null
	run verify
	expect_rc 1
	expect_out_has "problem: documents/: holds memos/budget.txt as "
}

test_verify__corrupted_stored_content_is_caught() {
	setup
	tampered
	# random bytes are stored uncompressed: find them in a pack, flip one
	"$PYTHON" - <<'PY' || fail "could not corrupt the pack"
import glob, sys
needle = open("scans/random.bin", "rb").read()[1000:1032]
for pack in glob.glob(".custody/objects/pack/*.pack"):
    data = bytearray(open(pack, "rb").read())
    at = data.find(needle)
    if at >= 0:
        data[at + 5] ^= 0xff
        import os
        os.chmod(pack, 0o644)
        open(pack, "wb").write(data)
        sys.exit(0)
sys.exit(1)
PY
	run verify --full
	expect_rc 1
	expect_out_has "stored content $(git hash-object scans/random.bin) of scans/random.bin cannot be read from the archive"
	git --git-dir=$G fsck --full >/dev/null 2>&1 && fail "git fsck accepted the corrupted pack"
	true
}

# Entries are written by every core (2,048 or more each, into a pack
# each), then read and parsed in batches of 2,048 on every core and
# checked in log order: every batch is checked, and a bad entry in a
# late batch is named as in an early one.
test_verify__entries_in_every_read_batch_are_checked() {
	make_many_files coll 5 1000
	cd coll
	run init --no-store
	run add .
	expect_rc 0
	G=".custody"
	run verify
	expect_rc 0
	expect_out "ok: 2 commits, each signed by a member; 5001 entries, 5000 documents"
	git --git-dir=$G fsck --strict --no-dangling >"$TMP/fsck" 2>&1 ||
		fail "git fsck: $(cat "$TMP/fsck")"
	# entry 4000 was written by another thread than entry 1
	git --git-dir=$G show main:log/000/004/000004000.yaml |
		grep -qx 'index: 4000' || fail "entry 4000 is not in its place"
	tampered
	index_from_main
	put_file log/000/005/000005001.yaml "$(printf 'custody-entry: 1\nindex: &a 5001\ntype: "register"\n')"
	tamper_commit "alias" >/dev/null
	run verify --json
	expect_rc 1
	expect_out_has '"entries":5002'
	run verify
	expect_rc 1
	expect_out_has "problem: log/000/005/000005001.yaml: log/000/005/000005001.yaml:2:8: an anchor (&a); anchors and aliases are not allowed"
}

run_tests
