#!/bin/bash
# A change is never built on a history this machine cannot vouch for: a
# main moved back or rewritten, or new commits that fail verify's checks
# (issue 11, items 2, 6 and 14). The evidence stays where it was.
. "$(dirname "$0")/lib.sh"

G=.custody
gitc() {
	git --git-dir=$G -c user.name=mallory -c user.email=m@example.org \
		-c gpg.format=ssh "$@"
}
short() { git --git-dir=$G rev-parse --short=12 "$1"; }

# An archive with an event and a publication on top of the registration.
setup() {
	make_collection coll
	cd coll
	run init --origin example.org/history
	run add .
	run event memos/budget.txt --action transferred --from desk --to legal
	run publish memos/budget.txt --url https://example.org/a
	expect_rc 0
	run verify
	expect_rc 0
}

# The archive (objects, refs, custody-seen) as it is now.
archive_state() {
	(cd $G && find . -path ./cache -prune -o -type f \
		! -name custody-evidence ! -name custody.lock -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum)
}

# refused CMD...: the command exits 1 with MESSAGE in stderr, and neither
# the archive nor custody-seen moved.
expect_refused() { # expect_refused MESSAGE CMD...
	local message=$1 before
	shift
	before=$(archive_state)
	run "$@"
	expect_rc 1
	expect_err_has "$message"
	[ "$(archive_state)" = "$before" ] ||
		fail "the archive changed after a refused '$*'"
}

test_history__add_refuses_a_main_moved_back() {
	setup
	local seen full_seen
	seen=$(short main)
	full_seen=$(git --git-dir=$G rev-parse main)
	git --git-dir=$G update-ref refs/heads/main main~2
	tampered
	printf 'new\n' >new.txt
	expect_refused "custody: main (now $(short main)) no longer holds commit $seen, which this machine made or verified: the history was moved back or rewritten, and a change built on it would hide that; nothing was changed. If commit $seen still exists, put it back with \`git --git-dir=$TMP/coll/.custody update-ref refs/heads/main $full_seen\`; \`custody verify\` says more" \
		add new.txt
	[ "$(cat $G/custody-seen)" = "$full_seen" ] ||
		fail "custody-seen was changed"
	grep -q "refused a change: main is $(git --git-dir=$G rev-parse main), which does not extend $full_seen, seen here before" \
		$G/custody-evidence || fail "no evidence recorded"
	# verify still reports the rollback afterwards
	run verify
	expect_rc 1
	expect_out_has "no longer holds commit $seen"
	# and the way back the message names works
	git --git-dir=$G update-ref refs/heads/main "$full_seen"
	run add new.txt
	expect_rc 0
	run verify
	expect_rc 0
}

test_history__every_writer_refuses_a_main_moved_back() {
	setup
	git --git-dir=$G update-ref refs/heads/main main~1
	tampered
	printf 'derived\n' >memos/budget-redacted.txt
	expect_refused "which this machine made or verified" \
		event memos/budget.txt --action accessed
	expect_refused "which this machine made or verified" \
		derive memos/budget.txt memos/budget-redacted.txt \
		--action redact
	expect_refused "which this machine made or verified" \
		publish memos/budget.txt --url https://example.org/b
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob"
	expect_refused "which this machine made or verified" \
		member add bob "$TMP/bob.pub"
	[ "$(grep -c 'refused a change' $G/custody-evidence)" = 4 ] ||
		fail "each refusal is recorded once"
}

test_history__a_squashed_history_is_refused() {
	setup
	local tree new
	# the whole history in one parentless commit, signed by the member
	tree=$(git --git-dir=$G rev-parse 'main^{tree}')
	new=$(gitc -c user.signingkey="$TESTER_SSH_KEY" commit-tree -S \
		"$tree" -m 'custody init: genesis entry')
	git --git-dir=$G update-ref refs/heads/main "$new"
	tampered
	printf 'new\n' >new.txt
	expect_refused "custody: main (now $(short "$new")) no longer holds commit" \
		add new.txt
}

test_history__add_refuses_an_unsigned_commit_that_changed_the_origin() {
	setup
	local tree new
	# the origin and the outlet key's name, as a forger would write them
	git --git-dir=$G show main:custody.yaml | "$PYTHON" -c '
import base64, hashlib, re, sys
text = sys.stdin.read()
key = base64.b64decode(re.search(r"log_key: \"[^+]*\+[0-9a-f]{8}\+([^\"]*)\"",
    text).group(1))
kid = hashlib.sha256(b"example.org/forged\n" + key).hexdigest()[:8]
vkey = "example.org/forged+%s+%s" % (kid, base64.b64encode(key).decode())
text = re.sub(r"log_key: \"[^\"]*\"", "log_key: \"%s\"" % vkey, text)
print(text.replace("example.org/history", "example.org/forged"), end="")
' >c.yaml
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
		100644,"$(git --git-dir=$G hash-object -w c.yaml)",custody.yaml
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	new=$(gitc commit-tree "$tree" -p main -m 'policy')
	git --git-dir=$G update-ref refs/heads/main "$new"
	tampered
	rm c.yaml
	printf 'new\n' >new.txt
	expect_refused "custody: main (now $(short "$new")) has commits that this machine has not verified, and they fail its checks; nothing was changed. Run \`custody verify\` for the " \
		add new.txt
	expect_err_has "commit $(short "$new"): is not signed"
	# no checkpoint for the forged origin was signed
	grep -q example.org/forged <<<"$(git --git-dir=$G show main:checkpoint)" &&
		fail "a checkpoint names the forged origin"
	grep -q "refused a change: main $(git --git-dir=$G rev-parse main) fails verify" \
		$G/custody-evidence || fail "no evidence recorded"
}

test_history__verified_new_commits_are_built_on() {
	setup
	# commits this machine did not make, but that pass verify: a partner's
	# change, here made in a clone with the same member key
	git clone -q --bare $G ../partner.custody
	mkdir ../partner && cp -r memos ../partner/
	(cd ../partner && mv ../partner.custody .custody &&
		printf 'partner\n' >>memos/budget.txt &&
		"$CUSTODY" add memos >/dev/null 2>&1) || fail "partner add failed"
	git --git-dir=$G fetch -q ../partner/.custody main:main
	printf 'new\n' >new.txt
	run add new.txt
	expect_rc 0
	run verify
	expect_rc 0
}

test_history__a_damaged_seen_file_is_reported_not_overwritten() {
	setup
	printf 'not a commit id\n' >$G/custody-seen
	tampered
	printf 'new\n' >new.txt
	expect_refused "custody: $TMP/coll/.custody/custody-seen is damaged, so this machine can no longer tell whether main was moved back or rewritten; nothing was changed." \
		add new.txt
	[ "$(cat $G/custody-seen)" = "not a commit id" ] ||
		fail "the damaged file was overwritten"
	run verify
	expect_rc 1
	expect_out_has "custody-seen: is damaged"
}

test_history__a_clone_without_a_seen_file_verifies_before_it_builds() {
	setup
	rm $G/custody-seen
	printf 'new\n' >new.txt
	run add new.txt
	expect_rc 0
	[ "$(cat $G/custody-seen)" = "$(git --git-dir=$G rev-parse main)" ] ||
		fail "custody-seen does not hold the new head"
}

run_tests
