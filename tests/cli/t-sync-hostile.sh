#!/bin/bash
# Hostile partners (issue 14, items 2 and 6): what a partner's archive
# holds is checked in quarantine before anything moves. Each case makes
# a copy H of the outlet's archive A, damages it with stock git, and has
# the replica B fetch and sync from it: both exit 1 naming the commit
# and the reason, and B is byte-for-byte what it was.
. "$(dirname "$0")/lib.sh"

# setup: the outlet's archive A (three documents), its replica B, and H,
# a copy of A for the test to damage.
setup() {
	mkdir A
	printf 'Meeting notes\n' >A/meeting.txt
	printf 'Budget line 1\n' >A/budget.txt
	printf 'name,amount\nAcme,100\n' >A/sums.csv
	(cd A && "$CUSTODY_FULL" init --origin example.org/leaks &&
		"$CUSTODY_FULL" add meeting.txt &&
		"$CUSTODY_FULL" add budget.txt &&
		"$CUSTODY_FULL" add sums.csv) >/dev/null || fail "cannot make A"
	run_full clone "$TMP/A/.custody" B
	expect_rc 0
	cp -a A H
	tampered
}

HG=H/.custody
# stock git in H (signs with the tester's key when asked: -S)
gith() {
	git --git-dir="$TMP/$HG" -c user.name=mallory \
		-c user.email=m@example.org -c gpg.format=ssh \
		-c user.signingkey="${SIGNER:-$TESTER_SSH_KEY}" "$@" </dev/null
}
# the same, reading its standard input
githi() {
	git --git-dir="$TMP/$HG" -c user.name=mallory \
		-c user.email=m@example.org "$@"
}
in_h() { (cd "$TMP/H" && "$CUSTODY_FULL" "$@") >/dev/null; }
short() { gith rev-parse --short=12 "$1"; }

# commit_tree TREE [PARENT]: a commit of TREE on PARENT (default main),
# signed with the tester's key (or $SIGNER's), main moved to it; its id
commit_tree() {
	local c
	c=$(gith commit-tree -S "$1" -p "${2:-main}" -m 'custody add') ||
		return 1
	gith update-ref refs/heads/main "$c" && echo "$c"
}

# with_file PATH MODE OBJECT: main's tree with PATH set to OBJECT
with_file() {
	GIT_INDEX_FILE=$TMP/idx gith read-tree main &&
		GIT_INDEX_FILE=$TMP/idx gith update-index --add --cacheinfo \
			"$2,$3,$1" &&
		GIT_INDEX_FILE=$TMP/idx gith write-tree
}

blob() { printf '%s' "$1" | githi hash-object -w --stdin; }

# refused MESSAGE...: fetch and sync from H both exit 1 with every
# MESSAGE on stderr, and leave B (folder and archive) as it was, the
# quarantine empty
refused() {
	local before cmd m
	before=$(snapshot "$TMP/B")
	for cmd in fetch sync; do
		cd "$TMP/B"
		trun "$cmd" "$TMP/$HG"
		cd "$TMP"
		expect_rc 1
		for m in "$@"; do
			expect_err_has "$m"
		done
		no_raw_controls
		[ "$(snapshot "$TMP/B")" = "$before" ] ||
			fail "custody $cmd changed B: $(diff <(echo "$before") \
				<(snapshot "$TMP/B"))"
		[ -z "$(ls -A B/.custody/quarantine 2>/dev/null)" ] ||
			fail "the quarantine was left: $(ls -A B/.custody/quarantine)"
	done
}

# verify_fails MESSAGE: plain `custody verify` of H says it too
verify_fails() {
	cd "$TMP/H"
	run verify
	cd "$TMP"
	expect_rc 1
	expect_out_has "$1"
}

fails_verification() { echo "its main ($(short main)) fails verification"; }

test_hostile__a_good_partner_is_taken_in() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	cd B
	run fetch "$TMP/$HG"
	expect_rc 0
	expect_eq "$(head_of .custody)" "$(head_of "$TMP/A/.custody")" \
		"B's main after fetch"
	run sync "$TMP/$HG"
	expect_rc 0
	expect_eq "$(head_of .custody)" "$(head_of "$TMP/$HG")" "B's main"
	expect_eq "$(cat more.txt)" more "the new document"
	run verify
	expect_rc 0
	rm -f "$TMP/.tampered"
}

test_hostile__an_unsigned_commit() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	local c
	# the same commit without its signature
	c=$(gith cat-file commit main | awk '/^gpgsig /{s=1; next}
		s && /^ /{next} {s=0; print}' | githi hash-object -t commit -w \
		--stdin)
	gith update-ref refs/heads/main "$c"
	refused "$(fails_verification)" "commit $(short "$c"): is not signed"
}

test_hostile__a_commit_signed_by_a_non_member() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	ssh-keygen -q -t ed25519 -N '' -C mallory -f "$TMP/mallory"
	local c
	c=$(SIGNER=$TMP/mallory commit_tree "main^{tree}" main~1)
	refused "$(fails_verification)" \
		"commit $(short "$c"): signed by key $(fingerprint "$TMP/mallory.pub"), which is not a member's key"
}

test_hostile__a_commit_signed_by_a_revoked_member() {
	setup
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob"
	in_h member add bob "$TMP/bob.pub"
	in_h member revoke bob
	local revoked c
	revoked=$(gith ls-tree -r --name-only main log/ | tail -1 |
		sed 's|.*/0*\([0-9]\)|\1|; s|\.yaml||')
	printf 'more\n' >H/more.txt
	in_h add more.txt
	c=$(SIGNER=$TMP/bob commit_tree "main^{tree}" main~1)
	refused "$(fails_verification)" \
		"commit $(short "$c"): signed by bob ($(fingerprint "$TMP/bob.pub")), whose key was revoked by entry $revoked"
}

test_hostile__an_entry_rewritten_in_place() {
	setup
	local e=log/000/000/000000002.yaml c
	gith show "main:$e" | sed 's/^salt: .*/salt: "'"$(printf '0%.0s' \
		{1..64})"'"/' >"$TMP/e.yaml"
	c=$(commit_tree "$(with_file $e 100644 \
		"$(gith hash-object -w "$TMP/e.yaml")")")
	refused "$(fails_verification)" \
		"commit $(short "$c"): changes entry $e: the log is append-only; history was rewritten"
}

# renumber FROM TO: main's last commit again, its entry FROM (both
# parts) moved to index TO, signed by the tester
renumber() {
	local from to tree
	from=$(entry_part_path log "$1")
	to=$(entry_part_path log "$2")
	GIT_INDEX_FILE=$TMP/idx gith read-tree main
	for part in log private; do
		GIT_INDEX_FILE=$TMP/idx gith update-index --add --cacheinfo \
			"100644,$(gith rev-parse "main:${from/#log/$part}"),${to/#log/$part}"
		GIT_INDEX_FILE=$TMP/idx gith rm -q --cached \
			"${from/#log/$part}"
	done
	tree=$(GIT_INDEX_FILE=$TMP/idx gith write-tree)
	commit_tree "$tree" main~1
}

test_hostile__a_gap_in_the_indexes() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	local c
	c=$(renumber 4 5)
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds entry 5 where entry 4 was due: the log has a gap or a repeat"
}

test_hostile__two_entries_with_one_index() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	# a tree log/000/000 naming 000000004.yaml twice (stock git writes
	# what it is given, with --literally)
	local leaf e4 dup top log0 log00 c
	e4=$(gith rev-parse main:log/000/000/000000004.yaml)
	dup=$(blob 'a second entry 4')
	leaf=$({ gith cat-file tree main:log/000/000
		"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"100644 000000004.yaml\0" + bytes.fromhex(sys.argv[1]))' "$dup"; } |
		githi hash-object -t tree -w --literally --stdin)
	log00=$(printf '040000 tree %s\t000\n' "$leaf" | githi mktree)
	log0=$(printf '040000 tree %s\t000\n' "$log00" | githi mktree)
	top=$(gith ls-tree main | sed "s|^040000 tree [0-9a-f]*\tlog\$|040000 tree $log0\tlog|" |
		githi mktree)
	c=$(commit_tree "$top" main~1)
	[ -n "$e4" ] || fail "no entry 4"
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds entry 4 where entry 5 was due: the log has a gap or a repeat"
}

test_hostile__a_checkpoint_signed_by_a_wrong_key() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	# the right text (origin, size, root), signed by another key
	openssl genpkey -algorithm ed25519 -out "$TMP/wrong.pem" 2>/dev/null
	gith show main:checkpoint | sed -n 1,3p >"$TMP/cp.txt"
	openssl pkeyutl -sign -rawin -inkey "$TMP/wrong.pem" -in "$TMP/cp.txt" \
		-out "$TMP/cp.sig"
	openssl pkey -in "$TMP/wrong.pem" -pubout -outform DER \
		-out "$TMP/wrong.der"
	"$PYTHON" - "$TMP/cp.txt" "$TMP/cp.sig" "$TMP/wrong.der" \
		>"$TMP/cp" <<'PY'
import base64, hashlib, sys
text = open(sys.argv[1], "rb").read()
sig = open(sys.argv[2], "rb").read()
key = open(sys.argv[3], "rb").read()[-32:]
kid = hashlib.sha256(b"example.org/leaks\n\x01" + key).digest()[:4]
sys.stdout.buffer.write(text + b"\n\xe2\x80\x94 example.org/leaks " +
    base64.b64encode(kid + sig) + b"\n")
PY
	local c
	c=$(commit_tree "$(with_file checkpoint 100644 \
		"$(gith hash-object -w "$TMP/cp")")" main)
	refused "$(fails_verification)" \
		"commit $(short "$c"): its checkpoint is not signed by the outlet key $(cd A && "$CUSTODY_FULL" key export --vkey): note: not signed by example.org/leaks"
}

test_hostile__a_tree_with_a_symlink() {
	setup
	local c
	c=$(commit_tree "$(with_file documents/link 120000 \
		"$(blob /etc/passwd)")")
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds documents/link as a symlink"
	verify_fails "commit $(short "$c"): adds documents/link as a symlink"
}

test_hostile__a_registered_document_made_a_symlink() {
	setup
	local c
	# the same blob, so documents/ still names what the entry names
	c=$(commit_tree "$(with_file documents/budget.txt 120000 \
		"$(gith rev-parse main:documents/budget.txt)")")
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds documents/budget.txt as a symlink"
	verify_fails "commit $(short "$c"): adds documents/budget.txt as a symlink"
}

test_hostile__a_tree_with_a_gitlink() {
	setup
	local c
	c=$(commit_tree "$(with_file documents/sub 160000 \
		"$(gith rev-parse main)")")
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds documents/sub as a gitlink"
	verify_fails "commit $(short "$c"): adds documents/sub as a gitlink"
}

test_hostile__a_name_outside_the_layout() {
	setup
	local c
	c=$(commit_tree "$(with_file hooks/post-checkout 100644 \
		"$(blob 'rm -rf ~')")")
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds or changes hooks/post-checkout, which custody never writes"
}

# dotted NAME: main's tree with documents/ holding an entry NAME (a
# tree holding one file, as git would never write it); its commit
dotted() {
	local inner docs top
	inner=$(printf '100644 blob %s\tx\n' "$(blob evil)" | githi mktree)
	docs=$({ gith cat-file tree main:documents
		"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"40000 " + sys.argv[1].encode() + b"\0" + bytes.fromhex(sys.argv[2]))' "$1" "$inner"; } |
		githi hash-object -t tree -w --literally --stdin)
	top=$(gith ls-tree main | sed "s|^040000 tree [0-9a-f]*\tdocuments\$|040000 tree $docs\tdocuments|" |
		githi mktree)
	commit_tree "$top"
}

test_hostile__a_dot_dot_name() {
	setup
	local c
	c=$(dotted ..)
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds documents/../x, a name no custody tree holds"
	verify_fails "commit $(short "$c"): adds documents/../x, a name no custody tree holds"
}

test_hostile__a_dot_git_name() {
	setup
	local c
	c=$(dotted .GIT)
	refused "$(fails_verification)" \
		"commit $(short "$c"): adds documents/.GIT/x, a name no custody tree holds"
}

run_tests
