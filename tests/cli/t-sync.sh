#!/bin/bash
# Partner outlets (issue 14): clone, remote, fetch, sync and push over
# every transport, each served by a real server the test starts on
# 127.0.0.1: git daemon (git://), git http-backend behind
# tests/cli/git-http.py (http://) and sshd (ssh://), besides a local
# path and file://.
# under ASan, libgit2's SSH leaks are told apart by whole stacks
WHOLE_STACKS=1
. "$(dirname "$0")/lib.sh"

FILES=(memos/2019/meeting.txt memos/budget.txt scans/report.pdf
	"Überweisungen März.csv" scans/photo.png)

# The partner's archive: srv/coll, five stored documents (6 entries).
origin() {
	make_collection srv/coll
	(cd srv/coll && "$CUSTODY" init --origin example.org/leaks &&
		"$CUSTODY" add --store .) >"$TMP/.setup" 2>&1 ||
		fail "cannot make the origin: $(cat "$TMP/.setup")"
	ORIGIN=$TMP/srv/coll/.custody
}

# add_in DIR FILE TEXT: FILE registered (stored) in the collection DIR
add_in() {
	printf '%s\n' "$3" >"$1/$2"
	(cd "$1" && "$CUSTODY" add --store "$2") >"$TMP/.setup" 2>&1 ||
		fail "cannot add $2 in $1: $(cat "$TMP/.setup")"
}

short() { git --git-dir="$1" rev-parse --short=12 refs/heads/main </dev/null; }

# The collection's documents (not .custody), hashed.
documents() {
	(cd "$1" && find . -path ./.custody -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# expect_clone DIR URL: the clone in DIR holds the origin's documents,
# byte for byte, passes verify, and remembers URL as origin.
expect_clone() {
	local f
	for f in "${FILES[@]}"; do
		cmp "$TMP/srv/coll/$f" "$1/$f" || fail "$1/$f differs"
	done
	expect_eq "$(documents "$1")" "$(documents "$TMP/srv/coll")" \
		"the clone's documents"
	cd "$1"
	run verify
	expect_rc 0
	expect_out "ok: 2 commits, each signed by a member; 6 entries, 5 documents"
	run remote list
	expect_rc 0
	expect_out "origin	$2"
	expect_eq "$(git --git-dir=.custody rev-parse refs/remotes/origin/main \
		</dev/null)" "$(head_of "$ORIGIN")" "origin/main after clone"
	cd "$TMP"
}

# Every archive and collection of the test (the origin, and c if there).
snapshots() {
	snapshot "$TMP/srv/coll"
	[ ! -e "$TMP/c" ] || snapshot "$TMP/c"
}

# No quarantine is left behind in the archive GITDIR.
no_quarantine() {
	[ -z "$(ls -A "$1/quarantine" 2>/dev/null)" ] ||
		fail "a quarantine was left: $(ls "$1/quarantine")"
}

# ---- servers: each on a free port of 127.0.0.1, killed on exit ----

. "$(dirname "$0")/servers.sh"

# serve_http [CERT KEY]: git http-backend serving srv/ at
# http://127.0.0.1:$PORT/ (with CERT and KEY: https://)
serve_http() {
	local i pid
	trap stop_servers EXIT   # in this test's subshell
	"$PYTHON" "$SRCDIR/tests/cli/git-http.py" "$TMP/srv" "$TMP/http.port" \
		"$@" </dev/null 2>"$TMP/http.log" &
	pid=$!
	SERVERS+=("$pid")
	for i in $(seq 100); do
		[ -s "$TMP/http.port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$TMP/http.port" 2>/dev/null) && wait_port "$PORT" "$pid" ||
		fail "the HTTP server did not start: $(cat "$TMP/http.log")"
}

# ---- clone over every transport ----

test_clone__from_a_local_path() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
	expect_clone c "$ORIGIN"
	no_quarantine c/.custody
	# a relative path, and the collection folder for its archive: the
	# remote is remembered as the archive's absolute path
	run clone srv/coll c2
	expect_rc 0
	expect_clone c2 "$ORIGIN"
}

test_clone__from_a_file_url() {
	origin
	run clone "file://$ORIGIN" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
	expect_clone c "file://$ORIGIN"
}

# From a path on this machine a clone reads the source's packs and
# loose objects through libgit2's indexer (not a pack built anew); what
# it reads may be hostile like anything a partner sends: each refusal
# names the file and the reason, and leaves no clone and no quarantine.
clone_refused() {
	run clone "$@" c
	expect_rc 1
	[ ! -e c ] || fail "a refused clone left c"
	[ -z "$(ls . | grep -v -x -e srv -e S -e alt)" ] ||
		fail "a refused clone left $(ls -A .)"
}

test_clone__from_a_local_path_checks_what_it_reads() {
	origin
	local S=$TMP/S/.custody pack
	# the largest pack, cut to half: never whole
	pack=$(ls -S "$ORIGIN/objects/pack" | grep '\.pack$' | head -1)
	# a symlink where a pack would be
	mkdir S && cp -a "$ORIGIN" "$S"
	ln -s /etc/passwd "$S/objects/pack/pack-evil.pack"
	clone_refused "$S"
	expect_err "custody: $S/objects/pack/pack-evil.pack: not a plain file"
	# a pack cut short
	rm "$S/objects/pack/pack-evil.pack"
	head -c $(($(stat -c %s "$ORIGIN/objects/pack/$pack") / 2)) \
		"$ORIGIN/objects/pack/$pack" >"$S/objects/pack/pack-cut.pack"
	clone_refused "$S"
	expect_err_has "custody: $S/objects/pack/pack-cut.pack: not a whole pack: "
	rm "$S/objects/pack/pack-cut.pack"
	# a loose object whose bytes are another object's
	local id=$(printf 'one\n' | git hash-object --stdin)
	local other=$(printf 'two\n' | git --git-dir="$S" hash-object -w --stdin)
	mkdir -p "$S/objects/${id:0:2}"
	cp "$S/objects/${other:0:2}/${other:2}" "$S/objects/${id:0:2}/${id:2}"
	clone_refused "$S"
	expect_err_has "custody: $S/objects/${id:0:2}/${id:2}: not a git object of that id"
	rm -r "$S/objects/${id:0:2}" "$S/objects/${other:0:2}"
	# objects it only borrows (alternates) are not followed: main is
	# not there to verify
	mkdir -p alt/objects
	mv "$S/objects/pack" alt/objects/ && mkdir "$S/objects/pack"
	echo "$TMP/alt/objects" >"$S/objects/info/alternates"
	clone_refused "$S"
	expect_err_has "custody: $S: its main ($(short "$ORIGIN")) is not a custody archive: "
	expect_err_has ": object not found"
	rm "$S/objects/info/alternates" && rmdir "$S/objects/pack" &&
		mv alt/objects/pack "$S/objects/"
	# the size limit counts what is read
	clone_refused "$S" --max-bytes 1000
	expect_err "custody: $S: the remote sent more than 1000 bytes (limit --max-bytes 1000); nothing was changed"
	# and the whole of it, well formed, is a clone like any other
	run clone "$S" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
}

test_clone__over_git_daemon_then_push_and_sync() {
	origin
	serve_git
	local url=git://127.0.0.1:$PORT/coll/.custody
	mkdir work && cd work
	# the folder is the URL's last part but .custody
	trun clone "$url"
	expect_rc 0
	expect_out "cloned example.org/leaks into coll: 6 entries verified, 5 documents written"
	cd "$TMP"
	expect_clone work/coll "$url"
	add_in work/coll partner.txt 'from a partner'
	cd work/coll
	trun push
	expect_rc 0
	expect_out "pushed main to origin"
	expect_eq "$(head_of "$ORIGIN")" "$(head_of .custody)" "origin's main"
	cd "$TMP"
	add_in srv/coll second.txt 'the second drop'
	cd work/coll
	trun sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 8 entries) verified from entry 7 on; main moved to it
  1 document written, 0 kept because your copy differs"
	cmp second.txt "$TMP/srv/coll/second.txt"
	run verify
	expect_rc 0
}

# An outlet that serves its archive repacks it with stock git now and
# then (custody writes one pack per change, without deltas): after `git
# gc` (packed refs, one pack with deltas) the origin still verifies and
# takes changes, and a partner clones and syncs from it as before.
test_clone__from_an_origin_repacked_by_git_gc() {
	origin
	git --git-dir=srv/coll/.custody gc -q || fail "git gc failed"
	expect_eq "$(ls srv/coll/.custody/objects/pack/*.pack | wc -l)" 1 \
		"packs after git gc"
	[ -f srv/coll/.custody/packed-refs ] || fail "git gc packed no refs"
	(cd srv/coll && "$CUSTODY" verify >/dev/null) ||
		fail "verify refuses the repacked origin"
	serve_git
	local url=git://127.0.0.1:$PORT/coll/.custody
	mkdir work && cd work
	trun clone "$url"
	expect_rc 0
	expect_out "cloned example.org/leaks into coll: 6 entries verified, 5 documents written"
	# the replica, served in turn, skips git's delta search too
	expect_eq "$(git --git-dir=coll/.custody config pack.window)" 0
	cd "$TMP"
	add_in srv/coll second.txt 'the second drop'
	git --git-dir=srv/coll/.custody gc -q || fail "git gc failed"
	cd work/coll
	trun sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified from entry 6 on; main moved to it
  1 document written, 0 kept because your copy differs"
	cmp second.txt "$TMP/srv/coll/second.txt"
	run verify
	expect_rc 0
}

# https://: the server's certificate must be one custody trusts (the
# system's, or CUSTODY_TLS_CA_FILE's); an unknown one is refused and
# nothing is left behind.
test_clone__over_https_only_with_a_trusted_certificate() {
	origin
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/tls.key" -out "$TMP/tls.pem" -days 2 \
		-subj /CN=127.0.0.1 -addext "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1" \
		2>/dev/null || fail "openssl could not make a certificate"
	serve_http "$TMP/tls.pem" "$TMP/tls.key"
	local url=https://127.0.0.1:$PORT/coll/.custody
	trun clone "$url" c
	expect_rc 1
	expect_err_has "custody: $url: cannot fetch; nothing was changed: "
	[ ! -e c ] || fail "a refused clone left c behind"
	CUSTODY_TLS_CA_FILE=$TMP/tls.pem trun clone "$url" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
	expect_clone c "$url"
	cd c
	CUSTODY_TLS_CA_FILE=$TMP/none.pem trun fetch
	expect_rc 1
	expect_err "custody: $TMP/none.pem (CUSTODY_TLS_CA_FILE): cannot be read: No such file or directory"
}

test_clone__over_http_then_push() {
	origin
	serve_http
	local url=http://127.0.0.1:$PORT/coll/.custody before
	trun clone "$url" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
	expect_clone c "$url"
	add_in c partner.txt 'from a partner'
	# the server takes no push until the repository allows it
	before=$(snapshots)
	cd c
	trun push
	expect_rc 1
	expect_err "custody: $url: cannot connect: unexpected http status code: 403"
	cd "$TMP"
	expect_eq "$(snapshots)" "$before" "everything after a refused push"
	git --git-dir="$ORIGIN" config http.receivepack true </dev/null
	cd c
	trun push
	expect_rc 0
	expect_out "pushed main to origin"
	cd "$TMP/srv/coll"
	run verify
	expect_rc 0
	run log
	expect_out_has "register partner.txt  v1"
}

test_clone__over_ssh_then_push_and_sync() {
	origin
	serve_ssh
	trun clone "$SSH_URL" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 6 entries verified, 5 documents written"
	expect_clone c "$SSH_URL"
	add_in c partner.txt 'from a partner'
	cd c
	trun push
	expect_rc 0
	expect_out "pushed main to origin"
	expect_eq "$(head_of "$ORIGIN")" "$(head_of .custody)" "origin's main"
	cd "$TMP"
	add_in srv/coll second.txt 'the second drop'
	cd c
	trun sync
	expect_rc 0
	expect_out_has "main moved to it"
	cmp second.txt "$TMP/srv/coll/second.txt"
}

test_ssh__an_unknown_host_key_is_refused() {
	origin
	serve_ssh
	local fp before
	fp=$(fingerprint "$TMP/ssh/host.pub")
	before=$(snapshots)
	# another key for this host
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/other"
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$TMP/other.pub")" \
		>"$TMP/other_hosts"
	CUSTODY_SSH_KNOWN_HOSTS=$TMP/other_hosts trun clone "$SSH_URL" c
	expect_rc 1
	expect_err "custody: $SSH_URL: cannot fetch; nothing was changed: the SSH host 127.0.0.1's key ($fp) is not in $TMP/other_hosts; nothing was sent (add the host's key, checked with its owner, to CUSTODY_SSH_KNOWN_HOSTS or ~/.ssh/known_hosts)"
	[ ! -e c ] || fail "a refused clone left c"
	# no known_hosts file at all
	CUSTODY_SSH_KNOWN_HOSTS=$TMP/none trun clone "$SSH_URL" c
	expect_rc 1
	expect_err_has "the SSH host 127.0.0.1's key ($fp) is not in $TMP/none;"
	# revoked
	{ printf '@revoked '; cat "$KNOWN"; cat "$KNOWN"; } >"$TMP/revoked"
	CUSTODY_SSH_KNOWN_HOSTS=$TMP/revoked trun clone "$SSH_URL" c
	expect_rc 1
	expect_err_has "the SSH host 127.0.0.1's key ($fp) is revoked in $TMP/revoked;"
	# a comment longer than 16 KiB whose end is the host's line: all of
	# it is the comment (its tail was once read as a line of its own)
	{ printf '#%16894s' '' | tr ' ' x; cat "$KNOWN"; } >"$TMP/long"
	CUSTODY_SSH_KNOWN_HOSTS=$TMP/long trun clone "$SSH_URL" c
	expect_rc 1
	expect_err_has "the SSH host 127.0.0.1's key ($fp) is not in $TMP/long;"
	rm "$TMP/other" "$TMP/other.pub" "$TMP/other_hosts" "$TMP/revoked" \
		"$TMP/long"
	expect_eq "$(snapshots)" "$before" "everything after the refusals"
	# a push to a host not known is refused too
	trun clone "$SSH_URL" c
	expect_rc 0
	add_in c partner.txt 'from a partner'
	cd c
	before=$(snapshots)
	CUSTODY_SSH_KNOWN_HOSTS=$TMP/none trun push
	expect_rc 1
	expect_err_has "custody: $SSH_URL: cannot connect: the SSH host 127.0.0.1's key ($fp) is not in $TMP/none;"
	expect_eq "$(snapshots)" "$before" "everything after a refused push"
}

# libgit2 asks for credentials again after each refusal: a key offered
# again and again would keep the command waiting (trun stops at 20 s)
test_ssh__a_key_the_server_refuses_is_offered_once() {
	origin
	serve_ssh
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/stranger"
	CUSTODY_SSH_KEY=$TMP/stranger trun clone "$SSH_URL" c
	expect_rc 1
	expect_err "custody: $SSH_URL: cannot fetch; nothing was changed: the SSH host refused the key in $TMP/stranger (CUSTODY_SSH_KEY) for user $(id -un)"
	[ ! -e c ] || fail "a refused clone left c"
	trun clone "$SSH_URL" c
	expect_rc 0
	add_in c partner.txt 'from a partner'
	cd c
	CUSTODY_SSH_KEY=$TMP/stranger trun push
	expect_rc 1
	expect_err "custody: $SSH_URL: cannot connect: the SSH host refused the key in $TMP/stranger (CUSTODY_SSH_KEY) for user $(id -un)"
	expect_eq "$(git --git-dir="$ORIGIN" rev-parse main </dev/null)" \
		"$(git --git-dir=.custody rev-parse refs/remotes/origin/main \
		</dev/null)" "origin's main after a refused push"
}

# ---- fetch, sync, push ----

# A replica checks what a sync brings from its own verified main on: a
# new version, links to older entries (derive, event, publish), a new
# member and a new outlet key are judged by the state it verified before
# (its main and caches), and a verify from the root agrees.
test_sync__checks_new_entries_from_the_verified_main() {
	cp -a "$CUSTODY_KEY_DIR" "$TMP/keys"
	export CUSTODY_KEY_DIR="$TMP/keys"
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob" </dev/null
	(cd srv/coll &&
		printf 'Budget line 3\n' >>memos/budget.txt &&
		"$CUSTODY" add --store memos/budget.txt &&
		printf 'Budget line [removed]\n' >memos/budget-public.txt &&
		"$CUSTODY" derive memos/budget.txt memos/budget-public.txt \
			--action redact &&
		"$CUSTODY" event memos/2019/meeting.txt --action transferred \
			--from desk --to legal &&
		"$CUSTODY" publish memos/budget-public.txt \
			--url https://example.org/budget &&
		"$CUSTODY" member add bob "$TMP/bob.pub" &&
		"$CUSTODY" log-key rotate example.org-leaks-2027) \
		>"$TMP/.setup" 2>&1 || fail "origin: $(cat "$TMP/.setup")"
	cd c
	run sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 12 entries) verified from entry 6 on; main moved to it
  2 documents written, 0 kept because your copy differs"
	cmp memos/budget.txt "$TMP/srv/coll/memos/budget.txt"
	run verify
	expect_rc 0
	expect_out "ok: 8 commits, each signed by a member; 12 entries, 6 documents"
	# the caches followed main: the next sync starts from it again
	cd "$TMP"
	add_in srv/coll late.txt 'a late addition'
	cd c
	run fetch
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 13 entries) verified from entry 12 on"
}

# Names with tab, LF and CR (kept byte for byte, issue 19) travel to a
# replica by clone and by sync exactly, and the replica verifies.
test_sync__names_with_cr_lf_and_tab_reach_the_replica_exactly() {
	local name
	origin
	for name in $'tab\there.txt' $'line\nfeed.txt' $'Icon\r'; do
		add_in srv/coll "$name" "text of $name"
	done
	run clone "$ORIGIN" c
	expect_rc 0
	expect_out "cloned example.org/leaks into c: 9 entries verified, 8 documents written"
	for name in $'tab\there.txt' $'line\nfeed.txt' $'Icon\r'; do
		cmp "$TMP/srv/coll/$name" "c/$name" || fail "$name differs"
	done
	expect_eq "$(documents c)" "$(documents srv/coll)" "the clone's documents"
	add_in srv/coll $'a\r\n\tb' 'a late name'
	cd c
	run sync
	expect_rc 0
	expect_out_has "origin: main ($(short "$ORIGIN"), 10 entries) verified from entry 9 on; main moved to it"
	cmp "$TMP/srv/coll/"$'a\r\n\tb' $'a\r\n\tb' || fail "the late name differs"
	run verify
	expect_rc 0
	expect_out "ok: 6 commits, each signed by a member; 10 entries, 9 documents"
	git --git-dir=.custody fsck --strict 2>&1 || fail "git fsck refuses"
	cd "$TMP"
	expect_eq "$(documents c)" "$(documents srv/coll)" "the replica's documents"
}

# Without its caches (or with main not the one verified here) a replica
# verifies a partner's main from the root, and is then fast again.
test_sync__without_caches_verifies_from_the_root() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	add_in srv/coll second.txt 'the second drop'
	rm -rf c/.custody/cache
	cd c
	run fetch
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified"
	run sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified; main moved to it
  1 document written, 0 kept because your copy differs"
	cd "$TMP"
	add_in srv/coll third.txt 'the third drop'
	cd c
	run sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 8 entries) verified from entry 7 on; main moved to it
  1 document written, 0 kept because your copy differs"
}

test_fetch__moves_only_the_remote_tracking_ref() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	add_in srv/coll second.txt 'the second drop'
	cd c
	local main docs refs
	main=$(head_of .custody)
	docs=$(documents .)
	refs=$(git --git-dir=.custody for-each-ref refs/heads refs/tags \
		</dev/null)
	run fetch
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified from entry 6 on"
	expect_eq "$(head_of .custody)" "$main" "main after fetch"
	expect_eq "$(documents .)" "$docs" "the documents after fetch"
	expect_eq "$(git --git-dir=.custody for-each-ref refs/heads refs/tags \
		</dev/null)" "$refs" "refs after fetch"
	expect_eq "$(git --git-dir=.custody rev-parse refs/remotes/origin/main \
		</dev/null)" "$(head_of "$ORIGIN")" "origin/main after fetch"
	no_quarantine .custody
	run fetch
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified from entry 6 on"
	# sync brings the entry in and writes its document
	run sync
	expect_rc 0
	expect_out "origin: main ($(short "$ORIGIN"), 7 entries) verified from entry 6 on; main moved to it
  1 document written, 0 kept because your copy differs"
	expect_eq "$(head_of .custody)" "$(head_of "$ORIGIN")" "main after sync"
	cmp second.txt "$TMP/srv/coll/second.txt"
	run verify
	expect_rc 0
	run sync
	expect_rc 0
	expect_out "origin: main is the same ($(short "$ORIGIN"), 7 entries)"
}

test_push__a_clones_entry_reaches_the_origin() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	add_in c partner.txt 'from a partner'
	cd c
	run push
	expect_rc 0
	expect_out "pushed main to origin"
	expect_eq "$(head_of "$ORIGIN")" "$(head_of .custody)" "origin's main"
	expect_eq "$(git --git-dir=.custody rev-parse refs/remotes/origin/main \
		</dev/null)" "$(head_of .custody)" "origin/main after push"
	run push
	expect_rc 0
	expect_out "origin already has main ($(short .custody))"
	cd "$TMP/srv/coll"
	run verify
	expect_rc 0
	expect_out "ok: 3 commits, each signed by a member; 7 entries, 6 documents"
	run log
	expect_out_has "tester     register partner.txt  v1"
	expect_eq "$(git --git-dir="$ORIGIN" log -1 --format=%s main \
		</dev/null)" "custody add: 1 registered, 0 new versions" \
		"stock git's log of the origin"
	# the origin's folder gets the document by restore, not by push
	run status
	expect_out_has "missing   partner.txt"
}

test_push__refused_when_the_remote_moved_on() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	add_in srv/coll second.txt 'the second drop'
	add_in c partner.txt 'from a partner'
	local before
	before=$(snapshots)
	cd c
	run push
	expect_rc 1
	expect_err "custody: $ORIGIN has commits this archive does not (its main is $(short "$ORIGIN")): sync first; nothing was sent"
	cd "$TMP"
	expect_eq "$(snapshots)" "$before" "everything after a refused push"
}

# The remote's answer for the ref is what counts: a server whose hook
# declines the push is reported, and nothing moves on either side.
test_push__a_ref_the_server_declines_is_reported() {
	origin
	serve_git
	local url=git://127.0.0.1:$PORT/coll/.custody main
	trun clone "$url" c
	expect_rc 0
	printf '#!/bin/sh\nexit 1\n' >"$ORIGIN/hooks/pre-receive"
	chmod +x "$ORIGIN/hooks/pre-receive"
	main=$(head_of "$ORIGIN")
	add_in c partner.txt 'from a partner'
	cd c
	trun push
	expect_rc 1
	expect_err "custody: $url refused main: refs/heads/main: pre-receive hook declined"
	expect_eq "$(head_of "$ORIGIN")" "$main" "origin's main"
	expect_eq "$(git --git-dir=.custody rev-parse refs/remotes/origin/main \
		</dev/null)" "$main" "origin/main after a declined push"
	rm "$ORIGIN/hooks/pre-receive"
	trun push
	expect_rc 0
	expect_eq "$(head_of "$ORIGIN")" "$(head_of .custody)" "origin's main"
}

test_sync__a_fetch_past_max_bytes_is_refused() {
	origin
	serve_git
	local url=git://127.0.0.1:$PORT/coll/.custody before
	trun clone "$url" c
	expect_rc 0
	head -c 200000 /dev/urandom >srv/coll/big.bin
	(cd srv/coll && "$CUSTODY" add --store big.bin >/dev/null) ||
		fail "cannot add big.bin"
	before=$(snapshot "$TMP/c")
	cd c
	trun sync --max-bytes 100000
	expect_rc 1
	expect_err "custody: $url: the remote sent more than 100000 bytes (limit --max-bytes 100000); nothing was changed"
	expect_eq "$(snapshot "$TMP/c")" "$before" "the clone after a refusal"
	no_quarantine .custody
	trun sync --max-bytes 1000000
	expect_rc 0
	cmp big.bin "$TMP/srv/coll/big.bin"
}

test_fetch__an_unknown_remote_or_a_dead_server() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	cd c
	run fetch nosuch
	expect_rc 1
	expect_err "custody: no remote named 'nosuch', and no folder there"
	local port
	port=$(free_port)
	trun fetch "git://127.0.0.1:$port/coll/.custody"
	expect_rc 1
	expect_err_has "custody: git://127.0.0.1:$port/coll/.custody: cannot fetch; nothing was changed: "
	no_quarantine .custody
}

# ---- remotes, usage, --json, --help ----

test_remote__add_list_remove() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	cd c
	run remote add mirror ../srv/coll
	expect_rc 0
	expect_out ""
	run remote add mirror git://example.org/x
	expect_rc 1
	expect_err "custody: there is already a remote named 'mirror'"
	# a usage error, before the archive is opened
	run remote add 'bad name' git://example.org/x
	expect_rc 2
	expect_err "custody: NAME 'bad name' is not a name for a remote (letters, digits, '-', '_', '.')
Try 'custody remote --help'."
	run remote add a/b git://example.org/x
	expect_rc 2
	run remote list
	expect_rc 0
	expect_out "mirror	$ORIGIN
origin	$ORIGIN"
	run remote list --json
	expect_rc 0
	expect_out "{\"format\":\"custody-remote-list/v1\",\"remotes\":[{\"name\":\"mirror\",\"url\":\"$ORIGIN\"},{\"name\":\"origin\",\"url\":\"$ORIGIN\"}]}"
	run fetch mirror
	expect_rc 0
	expect_out "mirror: main is the same ($(short "$ORIGIN"), 6 entries)"
	run remote remove mirror
	expect_rc 0
	run remote remove mirror
	expect_rc 1
	expect_err "custody: no remote named 'mirror'"
	run remote list
	expect_out "origin	$ORIGIN"
}

test_usage__errors_exit_2() {
	origin
	run clone "$ORIGIN" c
	expect_rc 0
	cd c
	local args
	for args in "remote" "remote add x" "remote add" "remote remove" \
	    "remote list x" "remote frob" "fetch a b" "sync a b" "push a b" \
	    "clone" "clone a b c" "sync --max-bytes 0" "fetch --max-bytes x" \
	    "clone --max-bytes -1 $ORIGIN d" "push --frob"; do
		# $args unquoted: split into the command's words
		run $args
		[ "$RC" = 2 ] || fail "custody $args: exit $RC, expected 2: $ERR"
		contains "$ERR" "custody" || fail "custody $args: $ERR"
	done
	[ ! -e d ] || fail "a refused clone made d"
}

test_json__clone_fetch_sync_push() {
	origin
	run clone --json "$ORIGIN" c
	expect_rc 0
	expect_out "{\"format\":\"custody-clone/v1\",\"archive\":\"$TMP/c/.custody\",\"tip\":\"$(head_of "$ORIGIN")\",\"size\":6,\"documents_written\":5}"
	add_in srv/coll second.txt 'the second drop'
	cd c
	local tip
	tip=$(head_of "$ORIGIN")
	run fetch --json
	expect_rc 0
	expect_out "{\"format\":\"custody-fetch/v1\",\"remote\":\"origin\",\"tip\":\"$tip\",\"size\":7,\"relation\":\"ahead\",\"checked_from\":6}"
	run sync --json
	expect_rc 0
	expect_out "{\"format\":\"custody-sync/v1\",\"remote\":\"origin\",\"tip\":\"$tip\",\"size\":7,\"relation\":\"ahead\",\"documents_written\":1,\"documents_differing\":0,\"checked_from\":6}"
	run push --json
	expect_rc 0
	expect_out "{\"format\":\"custody-push/v1\",\"remote\":\"origin\",\"tip\":\"$tip\",\"size\":7,\"relation\":\"same\"}"
	add_in . partner.txt 'from a partner'
	run push --json
	expect_rc 0
	expect_out "{\"format\":\"custody-push/v1\",\"remote\":\"origin\",\"tip\":\"$(head_of .custody)\",\"size\":8,\"relation\":\"behind\"}"
}

test_help__each_sync_command() {
	local c
	for c in clone remote fetch sync push; do
		run "$c" --help
		expect_rc 0
		expect_out_has "usage: custody $c "
		[ -z "$ERR" ] || fail "custody $c --help: $ERR"
	done
	run fetch --help
	expect_out_has "CUSTODY_SSH_KNOWN_HOSTS"
	expect_out_has "--max-bytes N"
}

run_tests
