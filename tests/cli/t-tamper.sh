#!/bin/bash
# History rewritten with stock git: custody verify names what happened.
. "$(dirname "$0")/lib.sh"

# The public part's path of the entry that registered PATH.
entry_named() {
	git --git-dir=$G grep -l "^path: \"$1\"\$" main -- private/ |
		sed 's/^main:private/log/'
}

# commit_parts ENTRY MESSAGE: a commit on main (signed by nobody) whose
# entry ENTRY's two parts are $TMP/e.yaml and $TMP/p.yaml.
commit_parts() {
	local tree new
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$TMP/e.yaml")","$1"
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w "$TMP/p.yaml")",\
"${1/#log/private}"
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(gitc commit-tree "$tree" -p main -m "$2")
	git --git-dir=$G update-ref refs/heads/main "$new"
	echo "$new"
}

G=.custody
gitc() {
	git --git-dir=$G -c user.name=mallory -c user.email=m@example.org \
		-c gpg.format=ssh "$@"
}

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/tamper
	run add memos
	run add scans
	run add "Überweisungen März.csv"
	expect_rc 0
	run verify
	expect_rc 0
}

expect_verify_fails_with() {
	tampered
	run verify
	expect_rc 1
	local m
	for m in "$@"; do
		expect_out_has "$m"
	done
}

short() { git --git-dir=$G rev-parse --short=12 "$1"; }

test_tamper__an_amended_entry_is_caught() {
	setup
	local old tree new
	old=$(short main)
	# change the last entry's note, as `git commit --amend` would
	git --git-dir=$G show main:log/000/000/000000003.yaml |
		sed 's/^salt: .*/salt: "'"$(printf '0%.0s' {1..64})"'"/' >e.yaml
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w e.yaml)",log/000/000/000000003.yaml
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(gitc commit-tree "$tree" -p main~1 -m 'custody add: amended')
	git --git-dir=$G update-ref refs/heads/main "$new"
	expect_verify_fails_with \
		"commit $(short "$new"): is not signed" \
		"no longer holds commit $old, which this machine recorded earlier"
}

test_tamper__an_entry_rewritten_in_a_new_commit_is_not_trusted_from_the_cache() {
	setup
	# the cache stands at this head, and every file is as recorded
	run status
	expect_out "clean: 5 documents as recorded"
	local entry tree new
	entry=$(entry_named memos/budget.txt)
	[ -n "$entry" ] || fail "no entry for memos/budget.txt"
	# a new commit on top that rewrites that entry's hash (and reseals
	# its private part, as a forger with the archive could): the log
	# keeps its size and the new head descends from the cached one
	git --git-dir=$G show "main:$entry" |
		sed 's/^sha256: .*/sha256: "'"$(printf '0%.0s' {1..64})"'"/' >"$TMP/e.yaml"
	git --git-dir=$G show "main:${entry/#log/private}" >"$TMP/p.yaml"
	"$SRCDIR/tests/cli/reseal-entry.py" "$TMP/e.yaml" "$TMP/p.yaml"
	new=$(commit_parts "$entry" 'custody add: rewritten')
	run status
	expect_rc 0
	expect_out "modified  memos/budget.txt
4 unchanged, 0 new, 1 modified, 0 missing, 0 moved, 0 refused"
	expect_verify_fails_with "commit $(short "$new"): is not signed" \
		"commit $(short "$new"): changes entry $entry: the log is append-only; history was rewritten"
}

test_tamper__a_recorded_name_with_bidi_or_c1_controls_is_read_and_printed_quoted() {
	setup
	local entry tree new name
	entry=$(entry_named memos/budget.txt)
	# an entry whose name holds U+202E and U+009B, as custody accepted
	# before it refused them: the archive still reads, and the name is
	# never printed raw
	# (written as YAML writes U+009B: an escape, \x9b)
	name=$(printf 'memos/inv\342\200\256fdp\\\\x9b.txt')
	git --git-dir=$G show "main:$entry" >"$TMP/e.yaml"
	git --git-dir=$G show "main:${entry/#log/private}" |
		sed "s|^path: .*|path: \"$name\"|" >"$TMP/p.yaml"
	"$SRCDIR/tests/cli/reseal-entry.py" "$TMP/e.yaml" "$TMP/p.yaml"
	new=$(commit_parts "$entry" 'custody add: renamed')
	run status
	expect_rc 0
	expect_out 'moved     "memos/inv\342\200\256fdp\302\233.txt" -> memos/budget.txt
4 unchanged, 0 new, 0 modified, 0 missing, 1 moved, 0 refused'
	no_raw_controls
	run log
	expect_out_has ' register "memos/inv\342\200\256fdp\302\233.txt"  v1  sha256:'
	no_raw_controls
	expect_verify_fails_with "commit $(short "$new"): changes entry $entry: the log is append-only; history was rewritten"
	no_raw_controls
}

test_tamper__a_dropped_commit_is_caught() {
	setup
	local old tree new
	old=$(short main)
	# drop the commit that registered scans/: its entries go too
	local dropped first last
	dropped=$(git --git-dir=$G diff --name-only main~2 main~1 -- log/)
	first=$(echo "$dropped" | head -1 | sed 's|.*/0*\([0-9]\)|\1|; s|\.yaml||')
	last=$(git --git-dir=$G ls-tree -r --name-only main log/ | tail -1 |
		sed 's|.*/0*\([0-9]\)|\1|; s|\.yaml||')
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	echo "$dropped" | GIT_INDEX_FILE=$TMP/idx xargs git --git-dir=$G \
		rm -q --cached
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(gitc commit-tree "$tree" -p main~2 -m 'custody add')
	git --git-dir=$G update-ref refs/heads/main "$new"
	expect_verify_fails_with \
		"adds entry $last where entry $first was due" \
		"commit $(short "$new"): is not signed" \
		"no longer holds commit $old"
}

test_tamper__a_commit_signed_by_a_non_member_is_caught() {
	setup
	ssh-keygen -q -t ed25519 -N '' -C mallory -f "$TMP/mallory"
	local fp new
	fp=$(ssh-keygen -lf "$TMP/mallory.pub" | cut -d' ' -f2)
	new=$(gitc -c user.signingkey="$TMP/mallory" commit-tree -S \
		"main^{tree}" -p main~1 -m 'custody add: re-signed')
	git --git-dir=$G update-ref refs/heads/main "$new"
	expect_verify_fails_with \
		"commit $(short "$new"): signed by key $fp, which is not a member's key"
}

test_tamper__a_ref_forced_back_is_caught() {
	setup
	local old
	old=$(short main)
	git --git-dir=$G update-ref refs/heads/main main~2
	expect_verify_fails_with \
		"main (now $(short main)) no longer holds commit $old, which this machine recorded earlier: the history was moved back or rewritten"
}

test_tamper__a_changed_commit_keeping_its_signature_is_caught() {
	setup
	local new
	# same signature, other content: the message gains a word
	new=$(git --git-dir=$G cat-file commit main |
		sed 's/^custody add: 1 registered/custody add: 9 registered/' |
		git --git-dir=$G hash-object -t commit -w --stdin)
	git --git-dir=$G update-ref refs/heads/main "$new"
	expect_verify_fails_with \
		"commit $(short "$new"): bad signature: "
}

test_tamper__a_signature_by_a_revoked_member_is_caught() {
	setup
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob"
	run member add bob "$TMP/bob.pub"
	run member revoke bob
	expect_rc 0
	local before tree new revoke
	before=$(git --git-dir=$G rev-parse main)
	revoke=$(git --git-dir=$G ls-tree -r --name-only main log/ | tail -1 |
		sed 's|.*/0*\([0-9]\)|\1|; s|\.yaml||')
	printf 'more\n' >memos/more.txt
	run add memos/more.txt
	expect_rc 0
	tree=$(git --git-dir=$G rev-parse 'main^{tree}')
	# the same change, signed by bob's (revoked) key instead
	new=$(gitc -c user.signingkey="$TMP/bob" commit-tree -S "$tree" \
		-p "$before" -m 'custody add: 1 registered, 0 new versions')
	git --git-dir=$G update-ref refs/heads/main "$new"
	rm -f $G/custody-seen
	expect_verify_fails_with \
		"commit $(short "$new"): signed by bob ($(ssh-keygen -lf "$TMP/bob.pub" | cut -d' ' -f2)), whose key was revoked by entry $revoke"
}

test_tamper__an_edited_allowed_signers_is_caught() {
	setup
	ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve"
	local tree new
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	{ git --git-dir=$G show main:members/allowed_signers
	  echo "eve namespaces=\"git,custody\" $(cut -d' ' -f1,2 "$TMP/eve.pub")"; } >as
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w as)",members/allowed_signers
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(gitc -c user.signingkey="$TMP/eve" commit-tree -S "$tree" -p main -m x)
	git --git-dir=$G update-ref refs/heads/main "$new"
	expect_verify_fails_with \
		"commit $(short "$new"): signed by key $(ssh-keygen -lf "$TMP/eve.pub" | cut -d' ' -f2), which is not a member's key" \
		"members/allowed_signers does not list the members that the log's genesis and member entries name"
}

run_tests
