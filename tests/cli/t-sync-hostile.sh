#!/bin/bash
# Hostile partners (issue 14, items 2 and 6): what a partner's archive
# holds is checked in quarantine before anything moves. Each case makes
# a copy H of the outlet's archive A, damages it with stock git, and has
# the replica B fetch and sync from it: both exit 1 naming the commit
# and the reason, and B is byte-for-byte what it was.
# under ASan, libgit2's SSH leaks are told apart by whole stacks
WHOLE_STACKS=1
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

# B, every file and folder with its digest; with EVIDENCE set, but for
# what a fork leaves in .custody/evidence/
b_state() {
	snapshot "$TMP/B" | if [ -n "${EVIDENCE:-}" ]; then
		grep -v '\./\.custody/evidence'; else cat; fi
}

# refused MESSAGE...: fetch and sync from H both exit 1 with every
# MESSAGE on stderr, and leave B (folder and archive) as it was, the
# quarantine empty
refused() {
	local before cmd m
	before=$(b_state)
	for cmd in fetch sync; do
		cd "$TMP/B"
		trun "$cmd" "${REMOTE:-$TMP/$HG}"
		cd "$TMP"
		expect_rc 1
		for m in "$@"; do
			expect_err_has "$m"
		done
		no_raw_controls
		[ "$(b_state)" = "$before" ] ||
			fail "custody $cmd changed B: $(diff <(echo "$before") \
				<(b_state))"
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
	# B checks only what extends its own main (so do the refusals
	# below: each is found from B's verified main on)
	expect_out "$TMP/$HG: main ($(short main), 5 entries) verified from entry 4 on"
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

# Checked from B's main on, documents/ may change only where a new
# entry registers: a stored copy of an older document swapped in the
# same commit as a good entry is refused.
test_hostile__a_document_changed_that_no_new_entry_registers() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	local tree c
	tree=$(with_file documents/budget.txt 100644 "$(blob 'Budget line 0')")
	c=$(commit_tree "$tree" main~1)
	refused "$(fails_verification)" \
		"documents/: changes budget.txt, which no new entry registers"
}

# A private part is written with its entry, never later: an entry
# committed without one, its private part slipped in by the next
# commit, is refused (the tree at the end would look whole).
test_hostile__a_private_part_added_after_its_entry() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	local whole bare c1
	whole=$(gith rev-parse 'main^{tree}')
	GIT_INDEX_FILE=$TMP/idx gith read-tree main &&
		printf '0 %040d\tprivate/000/000/000000004.yaml\n' 0 |
		GIT_INDEX_FILE=$TMP/idx githi update-index --index-info &&
		bare=$(GIT_INDEX_FILE=$TMP/idx gith write-tree) ||
		fail "cannot make the bare tree"
	c1=$(commit_tree "$bare" main~1)
	commit_tree "$whole" "$c1" >/dev/null
	refused "$(fails_verification)" \
		"commit $(short main): adds the private part of entry 4, which an earlier commit added"
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
	# nor is it cloned: nothing is left
	run clone "$TMP/$HG" C
	expect_rc 1
	expect_err_has "$(fails_verification)"
	expect_err_has "commit $(short "$c"): adds documents/link as a symlink (mode 120000): a custody tree holds only plain files"
	[ ! -e C ] || fail "the refused clone left C: $(ls -A C)"
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

# forget_seen: H moved back with stock git, so custody in H (which
# remembers its head) may build on it, as a forger's copy would
forget_seen() { rm -f "$TMP/$HG/custody-seen"; }

test_hostile__a_history_rewritten_with_the_same_entries() {
	setup
	local c
	# main's last commit made again: other commit, same entries
	c=$(commit_tree "main^{tree}" main~1)
	refused "$TMP/$HG's main ($(short "$c")) does not extend this archive's ($(head_of B/.custody | cut -c1-12)), nor it theirs: both added commits, and this archive's cannot be appended again after theirs: a checkpoint of 4 entries is known to others (given out in a proof, a checkpoint or a timestamp request, pushed, or received from a partner), and the remote's main holds only the first 3 of them: entries others may rely on are never given new indexes; nothing was changed"
}

test_hostile__a_checkpoint_that_does_not_extend_the_last_one() {
	setup
	# H rolled back one commit, then two others on it: its checkpoint of
	# size 5 does not hold the log of size 4 that B has seen
	gith update-ref refs/heads/main main~1
	forget_seen
	printf 'other\n' >H/other.txt
	printf 'more\n' >H/more.txt
	in_h add other.txt
	in_h add more.txt
	EVIDENCE=1 refused "fork: $TMP/$HG's main ($(short main), checkpoint of size 5) and this archive's ($(head_of B/.custody | cut -c1-12), size 4) are two histories of example.org/leaks that cannot both be true; both checkpoints are kept in $TMP/B/.custody/evidence/fork-"
}

test_hostile__a_fork_is_kept_as_evidence_and_checked_offline() {
	setup
	gith update-ref refs/heads/main main~1
	forget_seen
	printf 'other\n' >H/sums.csv
	in_h add sums.csv
	EVIDENCE=1 refused "fork: " "cannot both be true"
	# one folder per refusal, none overwritten
	local d n=0
	for d in B/.custody/evidence/fork-*; do
		n=$((n + 1))
		expect_eq "$(cat "$d/ours.checkpoint")" \
			"$(git --git-dir=B/.custody show main:checkpoint)" "ours"
		expect_eq "$(cat "$d/theirs.checkpoint")" \
			"$(gith show main:checkpoint)" "theirs"
		[ -s "$d/README" ] || fail "$d lacks its README"
	done
	expect_eq "$n" 2 "evidence folders"
	# anyone with the outlet's key sees the fork, offline
	(cd A && "$CUSTODY_FULL" key export --vkey) >"$TMP/k"
	printf 'custody-consistency/v1\nold 4\nnew 4\n' >"$TMP/c"
	run consistency "$d/ours.checkpoint" "$d/theirs.checkpoint" \
		--proof "$TMP/c" --key "$TMP/k"
	expect_rc 1
	expect_err_has "evidence of a fork: two checkpoints of example.org/leaks"
}

# Only refs/heads/main is asked for: other branches, tags and HEAD are
# never fetched, so nothing of theirs is taken in (nor is it an error);
# a remote without main is refused.
test_hostile__only_main_is_taken() {
	setup
	local c
	# another branch, HEAD on it, and a tag: a symlink, unsigned
	c=$(gith commit-tree "$(with_file documents/link 120000 \
		"$(blob /etc/passwd)")" -p main -m evil)
	gith update-ref refs/heads/evil "$c"
	gith update-ref refs/tags/evil "$c"
	gith symbolic-ref HEAD refs/heads/evil
	local before
	before=$(b_state)
	cd B
	for cmd in fetch sync; do
		trun "$cmd" "$TMP/$HG"
		expect_rc 0
		expect_out "$TMP/$HG: main is the same ($(head_of .custody | cut -c1-12), 4 entries)"
	done
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after fetch and sync"
	! git --git-dir=B/.custody cat-file -e "$c" 2>/dev/null ||
		fail "the other branch's commit was taken in"
	# without main, nothing is taken
	gith update-ref -d refs/heads/main
	refused "$TMP/$HG: has no main branch: not a custody archive"
}

test_hostile__a_missing_object() {
	setup
	ls $HG/objects/pack >"$TMP/packs"
	printf 'more\n' >H/more.txt
	in_h add more.txt
	local pack missing
	# the new packs, unpacked, less the blob of entry 4
	mkdir "$TMP/out"
	for pack in $(ls $HG/objects/pack | grep -vxFf "$TMP/packs" |
	    grep '\.pack$'); do
		mv $HG/objects/pack/"${pack%.pack}".* "$TMP/out/"
		githi unpack-objects -q <"$TMP/out/$pack"
	done
	missing=$(gith rev-parse main:log/000/000/000000004.yaml)
	rm "$HG/objects/${missing:0:2}/${missing:2}"
	refused "$TMP/$HG: cannot fetch; nothing was changed: object not found - cannot read header for ($missing)"
	verify_fails "commit $(short main): adds log/000/000/000000004.yaml, whose object $missing is missing from the archive"
}

test_hostile__a_missing_document_in_the_history() {
	setup
	local junk c
	# a commit adds documents/junk, whose blob is then lost: no later
	# check reads it, but the history is incomplete
	junk=$(blob junk)
	c=$(commit_tree "$(with_file documents/junk 100644 "$junk")")
	rm "$HG/objects/${junk:0:2}/${junk:2}"
	verify_fails "commit $(short "$c"): adds documents/junk, whose object $junk is missing from the archive"
	refused "$TMP/$HG: cannot fetch; nothing was changed: object not found"
}

test_hostile__a_huge_stream_is_stopped() {
	setup
	head -c 3000000 /dev/urandom >H/big.bin
	in_h add big.bin
	local before
	before=$(b_state)
	cd B
	for cmd in fetch sync; do
		trun "$cmd" "$TMP/$HG" --max-bytes 100000
		expect_rc 1
		expect_err "custody: $TMP/$HG: the remote sent more than 100000 bytes (limit --max-bytes 100000); nothing was changed"
	done
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after fetch and sync"
	[ -z "$(ls -A B/.custody/quarantine)" ] || fail "quarantine left"
}

. "$(dirname "$0")/servers.sh"   # free_port

# wait_listen PORT: until something listens on it (at most 10 s)
wait_listen() {
	local i
	for i in $(seq 200); do
		"$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
			"$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "nothing listens on port $1"
}

# serve [OPTION...]: git daemon (with OPTIONs) on 127.0.0.1 serving $TMP
# (H at git://127.0.0.1:$DPORT/H/.custody), killed when the test ends
serve() {
	DPORT=$(free_port)
	git daemon --listen=127.0.0.1 --port="$DPORT" --base-path="$TMP" \
		--export-all --reuseaddr "$@" "$TMP" </dev/null \
		>"$TMP/daemon.log" 2>&1 &
	DAEMON=$!
	trap 'kill $DAEMON ${PROXY:-} 2>/dev/null' EXIT
	wait_listen "$DPORT"
}

# proxy LIMIT: a TCP proxy in front of the daemon that hangs up on both
# sides once LIMIT bytes came from the daemon (port $PPORT)
proxy() {
	cat >"$TMP/proxy.py" <<'PY'
import socket, sys, threading
limit, upstream = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)

def pump(src, dst, counted, both):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if counted and sent + len(data) > limit:
                dst.sendall(data[:limit - sent])
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in both:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

while True:
    client, _ = srv.accept()
    server = socket.create_connection(("127.0.0.1", upstream))
    both = (client, server)
    threading.Thread(target=pump, args=(client, server, False, both),
                     daemon=True).start()
    threading.Thread(target=pump, args=(server, client, True, both),
                     daemon=True).start()
PY
	"$PYTHON" "$TMP/proxy.py" "$1" "$DPORT" >"$TMP/proxy.port" \
		2>"$TMP/proxy.log" </dev/null &
	PROXY=$!
	local i
	for i in $(seq 200); do
		[ -s "$TMP/proxy.port" ] && break
		sleep 0.05
	done
	PPORT=$(cat "$TMP/proxy.port")
	[ -n "$PPORT" ] || fail "the proxy did not start"
	wait_listen "$PPORT"
}

test_hostile__a_huge_stream_over_git_is_stopped() {
	setup
	head -c 3000000 /dev/urandom >H/big.bin
	in_h add big.bin
	serve
	local before url=git://127.0.0.1:$DPORT/H/.custody
	before=$(b_state)
	cd B
	for cmd in fetch sync; do
		trun "$cmd" "$url" --max-bytes 100000
		expect_rc 1
		expect_err "custody: $url: the remote sent more than 100000 bytes (limit --max-bytes 100000); nothing was changed"
	done
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after fetch and sync"
	[ -z "$(ls -A B/.custody/quarantine)" ] || fail "quarantine left"
	# the same partner, with no limit, is taken in
	cd B
	trun sync "$url"
	expect_rc 0
	expect_eq "$(head_of .custody)" "$(head_of "$TMP/$HG")" "B's main"
	cmp big.bin "$TMP/H/big.bin" || fail "big.bin differs"
}

test_hostile__a_connection_dropped_half_way() {
	setup
	head -c 1000000 /dev/urandom >H/big.bin
	in_h add big.bin
	serve
	proxy 200000
	local before url=git://127.0.0.1:$PPORT/H/.custody
	before=$(b_state)
	cd B
	for cmd in fetch sync; do
		trun "$cmd" "$url"
		expect_rc 1
		expect_err "custody: $url: cannot fetch; nothing was changed: early EOF"
	done
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after fetch and sync"
	[ -z "$(ls -A B/.custody/quarantine)" ] || fail "quarantine left"
	# a first clone cut off half way leaves nothing behind
	trun clone "$url" "$TMP/c"
	expect_rc 1
	expect_err "custody: $url: cannot fetch; nothing was changed: early EOF"
	[ -z "$(ls -A "$TMP" | grep -E '^c$|^\.c\.|custody\.tmp')" ] ||
		fail "the clone left $(ls -A "$TMP")"
	# the daemon itself serves it whole
	cd B
	trun sync "git://127.0.0.1:$DPORT/H/.custody"
	expect_rc 0
	cmp big.bin "$TMP/H/big.bin" || fail "big.bin differs"
}

test_hostile__a_named_remote_moved_back() {
	setup
	(cd B && "$CUSTODY" remote add h "$TMP/$HG") || fail "remote add"
	printf 'more\n' >H/more.txt
	in_h add more.txt
	cd B
	run fetch h
	expect_rc 0
	cd "$TMP"
	local seen
	seen=$(git --git-dir=B/.custody rev-parse refs/remotes/h/main)
	expect_eq "$seen" "$(head_of "$TMP/$HG")" "h's main, fetched"
	# h takes back what it published: its main is B's again
	gith update-ref refs/heads/main main~1
	REMOTE=h refused "$TMP/$HG: its main ($(short main)) does not extend ${seen:0:12}, which it had before (refs/remotes/h/main): its history was moved back or rewritten; nothing was changed"
	# a remote merely behind this archive is no rollback
	cd B
	run fetch "$TMP/$HG"
	expect_rc 0
}

test_hostile__a_sync_refused_for_the_local_history_takes_nothing_in() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	# B can no longer tell whether its own main was moved back
	echo damaged >B/.custody/custody-seen
	local objects
	objects=$(snapshot B/.custody/objects)
	cd B
	trun sync "$TMP/$HG"
	cd "$TMP"
	expect_rc 1
	expect_err_has "custody: $TMP/B/.custody/custody-seen is damaged, so this machine can no longer tell whether main was moved back or rewritten; nothing was changed."
	expect_eq "$(snapshot B/.custody/objects)" "$objects" "B's objects"
	expect_eq "$(head_of B/.custody)" "$(head_of A/.custody)" "B's main"
}

# endless: a git:// server on $EPORT that offers main at B's tip's
# child and then sends a pack that never ends (one blob of 1 TiB, its
# deflate stream unending)
endless() {
	cat >"$TMP/endless.py" <<'PY'
import os, socket, struct, sys, threading, zlib
tip = sys.argv[1].encode()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)

def pkt(data):
    return b"%04x" % (len(data) + 4) + data

def serve(c):
    try:
        c.recv(65536)        # git-upload-pack /path
        c.sendall(pkt(tip + b" refs/heads/main\0side-band-64k ofs-delta\n")
                  + b"0000")
        got = b""
        while b"done\n" not in got:
            data = c.recv(65536)
            if not data:
                return
            got += data
        c.sendall(pkt(b"NAK\n"))
        size = 1 << 40
        head = bytes([0x80 | (3 << 4) | (size & 15)])
        size >>= 4
        while size:
            head += bytes([(0x80 if size >> 7 else 0) | (size & 127)])
            size >>= 7
        z = zlib.compressobj(0)
        data = b"PACK" + struct.pack(">II", 2, 1) + head
        while True:
            data += z.compress(os.urandom(60000))
            while len(data) >= 65000:
                c.sendall(pkt(b"\1" + data[:65000]))
                data = data[65000:]
    except OSError:
        pass
    finally:
        c.close()

while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	"$PYTHON" "$TMP/endless.py" "$1" >"$TMP/endless.port" \
		2>"$TMP/endless.log" </dev/null &
	ENDLESS=$!
	trap 'kill $ENDLESS 2>/dev/null' EXIT
	local i
	for i in $(seq 200); do
		[ -s "$TMP/endless.port" ] && break
		sleep 0.05
	done
	EPORT=$(cat "$TMP/endless.port")
	[ -n "$EPORT" ] || fail "the endless server did not start"
	wait_listen "$EPORT"
}

test_hostile__an_endless_stream_is_stopped() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	endless "$(head_of "$TMP/$HG")"
	local before url=git://127.0.0.1:$EPORT/H/.custody
	before=$(b_state)
	cd B
	for cmd in fetch sync; do
		trun "$cmd" "$url" --max-bytes 1000000
		expect_rc 1
		expect_err "custody: $url: the remote sent more than 1000000 bytes (limit --max-bytes 1000000); nothing was changed"
	done
	cd "$TMP"
	expect_eq "$(b_state)" "$before" "B after fetch and sync"
	[ -z "$(ls -A B/.custody/quarantine)" ] || fail "quarantine left"
}

# ---- a list of refs that never ends ----

# endless_refs MODE [CERT KEY]: tests/cli/endless-refs.py on $EPORT, its
# list of refs endless over MODE (git, http; with CERT and KEY, https)
endless_refs() {
	local i pid
	trap stop_servers EXIT
	"$PYTHON" "$SRCDIR/tests/cli/endless-refs.py" "$1" "$TMP/refs.port" \
		"${@:2}" </dev/null 2>"$TMP/refs.log" &
	pid=$!
	SERVERS+=("$pid")
	for i in $(seq 200); do
		[ -s "$TMP/refs.port" ] && break
		sleep 0.05
	done
	EPORT=$(cat "$TMP/refs.port" 2>/dev/null) && wait_port "$EPORT" "$pid" ||
		fail "endless-refs.py did not start: $(cat "$TMP/refs.log")"
}

REFS_LIMIT=$((8 << 20))
too_many_refs() {
	echo "custody: $1: the remote's list of refs ran past $REFS_LIMIT bytes, the most custody reads before the pack (a custody archive has one branch, main); nothing was changed"
}

# bounded_refusal URL MESSAGE [ARGS...]: clone, fetch, sync and push
# with ARGS each exit 1 saying MESSAGE alone, their
# peak memory far below what the stream would take (200 MB: one takes
# about 30), and leave B as it was, no quarantine, no clone
bounded_refusal() {
	local before cmd
	before=$(b_state)
	for cmd in clone fetch sync push; do
		cd "$TMP/B"
		timeout 60 /usr/bin/time -f %M -o "$TMP/rss" "$CUSTODY" \
			"$cmd" "$1" $([ "$cmd" != clone ] || echo "$TMP/c") \
			"${@:3}" >"$TMP/.out" 2>"$TMP/.err" </dev/null
		RC=$? OUT=$(cat "$TMP/.out") ERR=$(cat "$TMP/.err")
		cd "$TMP"
		[ "$RC" != 124 ] || fail "custody $cmd $1 did not stop"
		expect_rc 1
		expect_err "$2"
		[ "$(rss)" -lt 200000 ] ||
			fail "custody $cmd $1 took $(rss) KiB of memory"
		[ "$(b_state)" = "$before" ] ||
			fail "custody $cmd changed B: $(diff <(echo "$before") \
				<(b_state))"
		[ -z "$(ls -A B/.custody/quarantine 2>/dev/null)" ] ||
			fail "the quarantine was left: $(ls -A B/.custody/quarantine)"
		[ ! -e "$TMP/c" ] || fail "a refused clone left c behind"
	done
}

test_hostile__an_endless_list_of_refs_over_git() {
	setup
	endless_refs git
	local url=git://127.0.0.1:$EPORT/H/.custody
	bounded_refusal "$url" "$(too_many_refs "$url")"
	# a smaller --max-bytes is the limit, and says so
	bounded_refusal "$url" "custody: $url: the remote sent more than 100000 bytes (limit --max-bytes 100000); nothing was changed" --max-bytes 100000
}

test_hostile__an_endless_list_of_refs_over_http() {
	setup
	endless_refs http
	local url=http://127.0.0.1:$EPORT/H/.custody
	bounded_refusal "$url" "$(too_many_refs "$url")"
}

test_hostile__an_endless_list_of_refs_over_https() {
	setup
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/tls.key" -out "$TMP/tls.pem" -days 2 \
		-subj /CN=127.0.0.1 \
		-addext "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1" \
		2>/dev/null || fail "openssl could not make a certificate"
	endless_refs http "$TMP/tls.pem" "$TMP/tls.key"
	local url=https://127.0.0.1:$EPORT/H/.custody
	CUSTODY_TLS_CA_FILE=$TMP/tls.pem bounded_refusal "$url" \
		"$(too_many_refs "$url")"
}

test_hostile__an_endless_list_of_refs_over_ssh() {
	setup
	# the host answers every login with the endless list
	serve_ssh "$PYTHON $SRCDIR/tests/cli/endless-refs.py stdio"
	local url=ssh://$(id -un)@127.0.0.1:$PORT$TMP/H/.custody
	bounded_refusal "$url" "$(too_many_refs "$url")"
}

# many_refs N: N more branches in H, all at its main (packed, the file
# no longer said to be sorted)
many_refs() {
	local tip
	tip=$(head_of "$TMP/$HG")
	gith pack-refs --all
	sed -i '1s/ sorted//' "$HG/packed-refs"
	seq "$1" | sed "s|.*|$tip refs/heads/b$2&|" >>"$HG/packed-refs"
}

# A remote may have other branches (they are not taken, test
# only_main_is_taken): a long list of them under the limit is read and
# main alone taken in; one past the limit is refused for its length.
test_hostile__many_refs_under_the_limit_are_read() {
	setup
	printf 'more\n' >H/more.txt
	in_h add more.txt
	many_refs 50000 x   # 3.2 MB of refs
	serve --enable=receive-pack
	local url=git://127.0.0.1:$DPORT/H/.custody
	cd B
	trun fetch "$url"
	expect_rc 0
	expect_out "$url: main ($(short main), 5 entries) verified from entry 4 on"
	trun sync "$url"
	expect_rc 0
	cd "$TMP"
	expect_eq "$(head_of B/.custody)" "$(head_of "$TMP/$HG")" "B's main"
	expect_eq "$(git --git-dir=B/.custody for-each-ref \
		--format='%(refname)' | tr '\n' ' ')" \
		"refs/heads/main refs/remotes/origin/main " "B's refs"
	many_refs 100000 y  # 150,000 in all: 10 MB
	bounded_refusal "$url" "$(too_many_refs "$url")"
}

run_tests
