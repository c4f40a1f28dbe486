#!/bin/bash
# Crash safety: kill -9 at many points of `custody add` (strace's fault
# injection), and disk-full / I/O errors; the archive must always be at
# the old state or the new one, never between.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || { echo "strace missing"; exit 1; }
# LeakSanitizer cannot stop the threads of a process strace already
# traces, and reports that as a failure: a sanitized custody under
# strace runs without its leak check (its other checks stay on; the
# checks after each run, and the other tests, look for leaks).
TRACED_ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

prepare() {
	make_collection pristine
	mkdir -p pristine/more
	for i in 1 2 3 4 5 6; do
		head -c $((i * 70000)) /dev/urandom >"pristine/more/file$i.bin"
	done
	(cd pristine && "$CUSTODY" init >/dev/null && "$CUSTODY" add memos >/dev/null) ||
		fail "setup failed"
	OLD=$(head_of pristine/.custody)
	OLD_SIZE=$(json log --archive pristine/.custody -n 1 --json |
		"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["index"] + 1)')
	BEFORE=$(snapshot pristine/.custody)
}

# After an interrupted or failed add in ./work: the state is old or new,
# the archive passes custody verify and git fsck, and a new add succeeds.
check_state() { # check_state LABEL
	local head size
	head=$(head_of work/.custody)
	git --git-dir=work/.custody fsck --no-dangling >/dev/null 2>&1 ||
		fail "$1: git fsck failed"
	(cd work && "$CUSTODY" verify >/dev/null 2>"$TMP/verify.err") ||
		fail "$1: custody verify failed: $(cat "$TMP/verify.err")"
	size=$(json log --archive work/.custody -n 1 --json |
		"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["index"] + 1)')
	if [ "$head" = "$OLD" ]; then
		expect_eq "$size" "$OLD_SIZE" "$1: log size at the old head"
		STATE=old
	else
		expect_eq "$size" $((OLD_SIZE + 9)) "$1: log size at a new head"
		STATE=new
	fi
	(cd work && "$CUSTODY" add . >/dev/null 2>"$TMP/again.err") ||
		fail "$1: the next add failed: $(cat "$TMP/again.err")"
	(cd work && "$CUSTODY" status) | grep -q '^clean: ' ||
		fail "$1: not clean after the next add"
}

# Kill at the Nth call of SYSCALL, for N = 1, 2, ... until a run is no
# longer killed (the command made fewer such calls).
kill_points() { # kill_points SYSCALL STEP
	local n=1 rc olds=0 news=0
	while :; do
		rm -rf work && cp -a pristine work
		(cd work && ASAN_OPTIONS=$TRACED_ASAN_OPTIONS \
			exec strace -f -o /dev/null -e trace="$1" \
			-e inject="$1":signal=SIGKILL:when=$n \
			"$CUSTODY" add . >/dev/null 2>&1) 2>/dev/null
		rc=$?
		check_state "$1 #$n"
		[ "$STATE" = old ] && olds=$((olds + 1)) || news=$((news + 1))
		[ $rc = 137 ] || break
		n=$((n + $2))
		[ $n -lt 2000 ] || fail "$1: too many calls"
	done
	echo "    $1: killed at $((olds + news - 1)) points ($olds old, $news new state)"
	[ $n -gt 1 ] || fail "$1: never killed: strace injection not working?"
}

test_crash__kill_at_every_write_fsync_and_rename_leaves_old_or_new() {
	prepare
	kill_points write 1
	kill_points pwrite64 1
	kill_points fsync 1
	kill_points rename 1
	kill_points ftruncate 1
}

test_crash__kill_at_file_opens_and_ref_update() {
	prepare
	kill_points openat 3
	kill_points close 5
}

test_crash__disk_full_and_io_errors_leave_the_archive_unchanged() {
	prepare
	local n rc seen=0
	for spec in write:error=ENOSPC fsync:error=EIO rename:error=EIO \
	    pwrite64:error=ENOSPC; do
		local sc=${spec%%:*}
		for n in 1 2 3 5 8 13 21 34 55; do
			rm -rf work && cp -a pristine work
			(cd work && ASAN_OPTIONS=$TRACED_ASAN_OPTIONS \
				strace -f -o /dev/null -e trace="$sc" \
				-e inject="$spec":when=$n \
				"$CUSTODY" add . >/dev/null 2>"$TMP/err")
			rc=$?
			case $rc in
			0) check_state "$spec #$n" ;;
			1)
				expect_eq "$(snapshot work/.custody)" "$BEFORE" \
					"$spec #$n: archive after failure ($(cat "$TMP/err"))"
				seen=$((seen + 1))
				;;
			*) fail "$spec #$n: exit $rc: $(cat "$TMP/err")" ;;
			esac
		done
	done
	[ $seen -gt 5 ] || fail "only $seen injected failures were reported"
}

# kill_at PATH SYSCALLS: run `custody add .` in ./work, killed at the
# first of SYSCALLS that touches PATH (inside work/.custody)
kill_at() {
	(cd work && ASAN_OPTIONS=$TRACED_ASAN_OPTIONS exec strace -f -o /dev/null \
		-P "$TMP/work/.custody/$1" \
		-e trace="$2" -e inject="$2":signal=SIGKILL \
		"$CUSTODY" add . >/dev/null 2>&1) 2>/dev/null
	[ $? = 137 ] || fail "add was not killed at $1"
}

packs() { ls work/.custody/objects/pack | LC_ALL=C sort; }

# Killed after its packs were renamed into place but before the ref
# moved: the next writer removes exactly those packs (issue 11, item 11).
test_crash__packs_of_a_change_killed_before_its_ref_moved_are_removed() {
	prepare
	rm -rf work && cp -a pristine work
	local before after
	before=$(packs)
	kill_at refs/heads/main.lock rename,renameat,renameat2
	[ "$(packs)" != "$before" ] || fail "no pack was left behind"
	[ "$(head_of work/.custody)" = "$OLD" ] || fail "the ref moved"
	printf 'next\n' >work/memos/next.txt
	(cd work && "$CUSTODY" add memos/next.txt >/dev/null 2>"$TMP/err") ||
		fail "the next add failed: $(cat "$TMP/err")"
	[ "$(grep -c 'written by an interrupted run that never recorded its commit' "$TMP/err")" -ge 1 ] ||
		fail "no pack was named as removed: $(cat "$TMP/err")"
	# what is left: the old packs and the new add's, nothing else
	after=$(packs)
	for p in $(comm -13 <(echo "$before") <(echo "$after")); do
		git --git-dir=work/.custody verify-pack -v \
			"work/.custody/objects/pack/${p%.*}.idx" >/dev/null ||
			fail "$p is damaged"
	done
	git --git-dir=work/.custody fsck --strict --unreachable 2>&1 |
		grep -q unreachable && fail "unreachable objects remain"
	(cd work && "$CUSTODY" verify >/dev/null) || fail "verify failed"
	[ ! -e work/.custody/custody-new-packs ] || fail "journal left behind"
}

# Killed after the ref moved but before the journal was cleared: the
# change happened, and its packs stay.
test_crash__packs_of_a_change_killed_after_its_ref_moved_are_kept() {
	prepare
	rm -rf work && cp -a pristine work
	kill_at custody-new-packs unlink,unlinkat
	[ "$(head_of work/.custody)" != "$OLD" ] || fail "the ref did not move"
	printf 'next\n' >work/memos/next.txt
	(cd work && "$CUSTODY" add memos/next.txt >/dev/null 2>"$TMP/err") ||
		fail "the next add failed: $(cat "$TMP/err")"
	grep -q 'never recorded its commit' "$TMP/err" &&
		fail "a recorded change's pack was removed"
	git --git-dir=work/.custody fsck --strict >/dev/null 2>&1 ||
		fail "git fsck failed"
	(cd work && "$CUSTODY" verify >/dev/null) || fail "verify failed"
}

run_tests
