#!/bin/bash
# Two writers (issue 14, item 4): two copies of one archive both add
# entries; sync appends the local ones that no checkpoint known to
# others covers again after the remote's (new indexes, references moved
# along, stored content kept, nothing lost), and refuses, changing
# nothing, where a checkpoint that covers them was given out.
# under ASan, libgit2's SSH leaks are told apart by whole stacks
WHOLE_STACKS=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"

# A: the outlet's archive (two documents, stored); B: a clone of it.
setup() {
	mkdir A
	printf 'memo one\n' >A/memo.txt
	printf 'cable\n' >A/cable.txt
	(cd A && "$CUSTODY" init --origin example.org/two &&
		"$CUSTODY" add --store .) >"$TMP/.setup" 2>&1 ||
		fail "cannot make A: $(cat "$TMP/.setup")"
	"$CUSTODY" clone "$TMP/A" B >"$TMP/.setup" 2>&1 ||
		fail "cannot clone: $(cat "$TMP/.setup")"
}

# inside DIR ARGS...: custody ARGS in DIR, which must succeed
inside() {
	local dir=$1
	shift
	(cd "$TMP/$dir" && "$CUSTODY" "$@") >"$TMP/.in" 2>&1 ||
		fail "custody $* in $dir: $(cat "$TMP/.in")"
}

head_hex() { git --git-dir="$TMP/$1/.custody" rev-parse main </dev/null; }

# The log as "index type path-or-target version" lines.
log_of() {
	(cd "$TMP/$1" && json log --json) | "$PYTHON" -c '
import json, sys
for e in reversed(json.load(sys.stdin)["entries"]):
    t = e["type"]
    what = e.get("path") or e.get("url") or ""
    if t == "event":
        what = "#%d" % e["document"]
    if t == "derive":
        what += " from #%d" % e["derived_from"]
    if t == "publish":
        what += " " + ",".join("#%d" % d["index"] for d in e["documents"])
    v = " v%d" % e["version"] if "version" in e else ""
    print("%d %s %s%s" % (e["index"], t, what, v))'
}

# Both sides add: A a new document and a new version of memo.txt; B a
# new document, a new version of memo.txt, an event on it and a
# derivative of its new document, published.
two_writers() {
	printf 'from A\n' >A/a-only.txt
	inside A add --store a-only.txt
	printf 'memo two (A)\n' >A/memo.txt
	inside A add --store memo.txt
	printf 'from B\n' >B/b-only.txt
	inside B add --store b-only.txt
	printf 'memo two (B)\n' >B/memo.txt
	inside B add --store memo.txt
	inside B event memo.txt --action verified --note "read aloud"
	printf 'from B, redacted\n' >B/b-redacted.txt
	inside B derive b-only.txt b-redacted.txt --action redact
	inside B publish b-redacted.txt --url https://example.org/b
}

test_replay__local_entries_follow_the_remotes() {
	setup
	two_writers
	local before_b
	before_b=$(head_hex B)
	cd B
	run fetch
	expect_rc 0
	expect_out "origin: main ($(head_hex A | cut -c1-12), 5 entries) verified; both sides added entries since entry 3: \`custody sync\` appends yours again after theirs"
	expect_eq "$(head_hex B)" "$before_b" "B's main after fetch"
	run sync
	expect_rc 0
	expect_out "origin: both sides added entries; your 5 (from entry 3, known to no one else) appended again after theirs as entries 5-9; main is $(head_hex B | cut -c1-12) (10 entries)
  1 document written, 0 kept because your copy differs"
	cd "$TMP"
	expect_eq "$(log_of B)" "0 genesis 
1 register cable.txt v1
2 register memo.txt v1
3 register a-only.txt v1
4 register memo.txt v2
5 register b-only.txt v1
6 register memo.txt v3
7 event #6
8 derive b-redacted.txt from #5 v1
9 publish https://example.org/b #8" "B's log"
	# A's entries are A's, unchanged: the same bytes at the same paths
	local i
	for i in 0 1 2 3 4; do
		expect_eq "$(git --git-dir=B/.custody rev-parse "main:log/000/000/00000000$i.yaml" </dev/null)" \
			"$(git --git-dir=A/.custody rev-parse "main:log/000/000/00000000$i.yaml" </dev/null)" \
			"entry $i"
	done
	git --git-dir=B/.custody merge-base --is-ancestor "$(head_hex A)" main \
		</dev/null || fail "B's main does not extend A's"
	# nothing lost: every document in B's folder as it was written, and
	# A's new one written in
	expect_eq "$(cat B/memo.txt)" "memo two (B)" "B's memo"
	expect_eq "$(cat B/a-only.txt)" "from A" "A's document in B"
	cd B
	run status
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
	run restore memo.txt --version 2 -o "$TMP/v2"
	expect_rc 0
	expect_eq "$(cat "$TMP/v2")" "memo two (A)" "memo v2"
	run verify
	expect_rc 0
	expect_out "ok: 9 commits, each signed by a member; 10 entries, 5 documents"
	run evidence
	expect_rc 0
	expect_out "replay   $(ls .custody/evidence | sed 's/^replay-\(.\{13\}\)-\(..\)-\(..Z\)-1.txt$/\1:\2:\3/')  5 local entries appended again after the main of $TMP/A/.custody
         $(echo "$TMP"/B/.custody/evidence/replay-*)"
	# the record of what moved where
	expect_eq "$(sed -n '3p;5,$p' .custody/evidence/replay-*.txt)" \
		"local-main $before_b
entry 3 now 5
entry 4 now 6
entry 5 now 7
entry 6 now 8
entry 7 now 9" "the replay record"
	# B's main now extends A's: pushed, fast-forward, and A verifies it
	run push
	expect_rc 0
	expect_out "pushed main to origin"
	# pushed: known to others, never moved again
	expect_eq "$(tail -1 .custody/custody-shared)" 10 "noted as shared"
	cd "$TMP/A"
	run verify
	expect_rc 0
	expect_out "ok: 9 commits, each signed by a member; 10 entries, 5 documents"
	git --git-dir=.custody log --format=%s -1 </dev/null >"$TMP/subject"
	expect_eq "$(cat "$TMP/subject")" \
		"custody sync: local entry 7 again as entry 9" "A's last commit"
	# and a proof of the moved derivative checks offline
	cd "$TMP/B"
	run proof b-redacted.txt -o "$TMP/p"
	expect_rc 0
	"$CUSTODY" key export --vkey >"$TMP/k"
	run check b-redacted.txt --proof "$TMP/p" --key "$TMP/k"
	expect_rc 0
}

# B_state: every file of B, .custody included, hashed
b_state() { snapshot "$TMP/B"; }

# refused_sync MESSAGE...: sync in B exits 1 with each MESSAGE, and
# changes nothing in B but a new evidence/ folder
refused_sync() {
	local before
	before=$(b_state | grep -v '/evidence')
	cd "$TMP/B"
	run sync
	cd "$TMP"
	expect_rc 1
	local m
	for m in "$@"; do
		expect_err_has "$m"
	done
	expect_eq "$(b_state | grep -v '/evidence')" "$before" "B after a refused sync"
	[ -z "$(ls -A B/.custody/quarantine 2>/dev/null)" ] ||
		fail "the quarantine was left: $(ls B/.custody/quarantine)"
}

test_replay__a_skip_entry_is_appended_again_with_its_list() {
	setup
	printf 'from A\n' >A/a-only.txt
	inside A add --store a-only.txt
	printf 'from B\n' >B/b-only.txt
	ln -s b-only.txt B/b-link
	inside B add --store --skip-refused .
	cd B
	run sync
	expect_rc 0
	cd "$TMP"
	expect_eq "$(log_of B)" "0 genesis 
1 register cable.txt v1
2 register memo.txt v1
3 register a-only.txt v1
4 register b-only.txt v1
5 skip " "B's log"
	(cd B && json log --json) >"$TMP/log.json" || fail "log"
	expect_eq "$(jq -r '.. | objects | select(.type? == "skip") | .skipped[] | "\(.index? // "")\(.path): \(.reason)"' "$TMP/log.json")" \
		"b-link: is a symbolic link; custody neither follows nor records links (register the file it points to instead)" \
		"the skip list, moved along"
	cd B
	run verify
	expect_rc 0
}

test_replay__an_entry_given_out_in_a_proof_never_moves() {
	setup
	two_writers
	inside B proof b-only.txt -o "$TMP/given.proof"
	refused_sync "fork: $TMP/A/.custody's main" \
		"a checkpoint of 8 entries is known to others (given out in a proof, a checkpoint or a timestamp request, pushed, or received from a partner), and the remote's main holds only the first 3 of them"
	local fork
	fork=$(echo "$TMP"/B/.custody/evidence/fork-*)
	[ -f "$fork/ours.checkpoint" ] || fail "no evidence of the fork"
	cd B
	run evidence
	expect_rc 0
	expect_out "fork     $(basename "$fork" | sed 's/^fork-\(.\{13\}\)-\(..\)-\(..Z\)-1$/\1:\2:\3/')  two checkpoints that cannot both be true: ours of 8 entries, theirs of 5, from $TMP/A/.custody
         $fork"
	run evidence --json
	expect_rc 0
	expect_eq "$(printf '%s' "$OUT" | "$PYTHON" -c 'import json,sys; print([e["kind"] for e in json.load(sys.stdin)["evidence"]])')" \
		"['fork']" "evidence --json"
}

test_replay__a_checkpoint_handed_out_blocks_it_too() {
	setup
	two_writers
	inside B checkpoint
	refused_sync "a checkpoint of 8 entries is known to others"
}

test_replay__member_changes_are_never_replayed() {
	setup
	printf 'from A\n' >A/a-only.txt
	inside A add --store a-only.txt
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob"
	inside B member add bob "$TMP/bob.pub"
	refused_sync "the local commits since" \
		"change members/allowed_signers, which only their signer could make again (members, the outlet key and timestamps are not replayed)"
}

test_replay__without_a_key_nothing_moves() {
	setup
	two_writers
	local before
	before=$(b_state)
	cd B
	CUSTODY_KEY= run sync
	expect_rc 1
	expect_err "custody: $TMP/A/.custody's main and this archive's both added entries since entry 3 (nothing was changed): appending yours again after theirs takes your signing key, and no signing key was given; name it with --key NAME or CUSTODY_KEY"
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after a sync without a key"
}

test_replay__json_names_what_moved() {
	setup
	cd B
	run evidence
	expect_rc 0
	expect_out "no evidence kept"
	run evidence --json
	expect_out '{"format":"custody-evidence/v1","evidence":[]}'
	cd "$TMP"
	two_writers
	cd B
	run sync --json
	expect_rc 0
	expect_out "{\"format\":\"custody-sync/v1\",\"remote\":\"origin\",\"tip\":\"$(head_hex B)\",\"size\":10,\"relation\":\"diverged\",\"documents_written\":1,\"documents_differing\":0,\"replay_from\":3,\"replayed\":5}"
}

# A push that loses a race (the remote's main moves between push's look
# and its send) syncs and pushes again: A's pre-receive hook adds an
# entry to A once, while B's push is in flight.
test_replay__a_push_that_loses_a_race_syncs_and_tries_again() {
	setup
	serve_git "$TMP"
	local url=git://127.0.0.1:$PORT/A/.custody
	rm -rf B
	"$CUSTODY" clone "$url" B >"$TMP/.setup" 2>&1 ||
		fail "cannot clone: $(cat "$TMP/.setup")"
	printf 'raced in\n' >A/race.txt
	cat >A/.custody/hooks/pre-receive <<EOF
#!/bin/sh
[ -e "$TMP/raced" ] && exit 0
: >"$TMP/raced"
cd "$TMP/A" && env -u GIT_DIR -u GIT_OBJECT_DIRECTORY \\
	-u GIT_ALTERNATE_OBJECT_DIRECTORIES -u GIT_QUARANTINE_PATH \\
	"$CUSTODY" add --store race.txt >"$TMP/hook.log" 2>&1
exit 0
EOF
	chmod +x A/.custody/hooks/pre-receive
	printf 'from B\n' >B/b-only.txt
	inside B add --store b-only.txt
	cd B
	trun push
	expect_rc 0
	expect_err_has "custody: origin: "
	expect_err_has "; syncing and pushing again"
	expect_out "pushed main to origin"
	cd "$TMP"
	[ -e raced ] || fail "the hook did not run: $(cat daemon.log)"
	expect_eq "$(log_of A | tail -2)" "3 register race.txt v1
4 register b-only.txt v1" "A's log after the race"
	expect_eq "$(head_hex A)" "$(head_hex B)" "A's and B's main"
	cd A
	run verify
	expect_rc 0
}

# What `custody add` refuses is refused on the way too: a local path
# that differs from the remote's only in letter case, and stored content
# where the remote stores a file in the way. Nothing changes.
test_replay__a_path_add_would_refuse_is_refused() {
	setup
	printf 'A\n' >A/Report.txt
	inside A add --store Report.txt
	printf 'B\n' >B/report.txt
	inside B add --store report.txt
	refused_sync "custody: $TMP/A/.custody's main and this archive's both added entries, and this archive's cannot be appended again after theirs: local entry 3 registers report.txt, which differs only in letter case or Unicode normalisation from the remote's 'Report.txt'; both cannot be kept on every system; nothing was changed"
	rm -rf "$TMP/B" && "$CUSTODY" clone "$TMP/A" "$TMP/B" >/dev/null 2>&1 ||
		fail "cannot clone again"
	printf 'a file\n' >A/notes
	inside A add --store notes
	mkdir B/notes && printf 'in a folder\n' >B/notes/x.txt
	inside B add --store notes/x.txt
	refused_sync "local entry 4 stores notes/x.txt, where the remote stores the file notes"
}

# A quarantine a killed fetch left is removed by the next one; one that
# a live process holds (flock on its in-use file) is left alone.
test_replay__a_killed_fetchs_quarantine_is_removed() {
	setup
	mkdir -p B/.custody/quarantine/q.dead B/.custody/quarantine/q.live
	: >B/.custody/quarantine/q.dead/in-use
	printf 'left behind\n' >B/.custody/quarantine/q.dead/junk
	: >B/.custody/quarantine/q.live/in-use
	# the holder: a process with the file open and flocked (exec keeps
	# one process, so killing it lets go)
	(exec 9<B/.custody/quarantine/q.live/in-use && flock 9 &&
		exec sleep 30 9<&9) >/dev/null 2>&1 </dev/null &
	local holder=$! i
	for i in $(seq 50); do
		flock -n B/.custody/quarantine/q.live/in-use true || break
		sleep 0.1
	done
	cd B
	run fetch
	expect_rc 0
	cd "$TMP"
	[ ! -e B/.custody/quarantine/q.dead ] || fail "the dead quarantine was kept"
	[ -e B/.custody/quarantine/q.live/in-use ] || fail "a live quarantine was removed"
	expect_eq "$(ls B/.custody/quarantine)" "q.live" "quarantines left"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	true
}

run_tests
