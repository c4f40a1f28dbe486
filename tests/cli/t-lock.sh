#!/bin/bash
# One process changes an archive at a time.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	run init
	expect_rc 0
}

# Hold the archive lock from another process, as a running custody would:
# flock plus "pid N host H" in the file. Prints the holder's pid.
hold_lock() { # hold_lock SECONDS
	"$PYTHON" - "$1" <<'PY' &
import fcntl, os, socket, sys, time
f = open(".custody/custody.lock", "r+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0)
f.write("pid %d host %s\n" % (os.getpid(), socket.gethostname()))
f.flush()
open("holder.ready", "w").close()
time.sleep(float(sys.argv[1]))
f.truncate(0)
PY
	HOLDER=$!
	while [ ! -e holder.ready ]; do sleep 0.05; done
	rm holder.ready
}

test_lock__second_writer_fails_at_once_naming_the_holder() {
	setup
	hold_lock 10
	local before
	before=$(snapshot .custody)
	run add memos
	expect_rc 1
	expect_err "custody: archive is locked by process $HOLDER on $(hostname) ($(pwd -P)/.custody/custody.lock); try again when it has finished"
	expect_eq "$(snapshot .custody)" "$before" "archive while locked"
	kill "$HOLDER"
}

# The holder's journal of new packs is the holder's: a writer refused
# at the lock must leave it, or a crash of the holder would leave its
# packs unaccounted for (custody_pack__recover reads that journal).
test_lock__a_refused_writer_leaves_the_holders_journal() {
	setup
	hold_lock 10
	printf 'pack-%040d\n' 7 >.custody/custody-new-packs
	run add memos
	expect_rc 1
	expect_err_has "archive is locked by process $HOLDER"
	expect_eq "$(cat .custody/custody-new-packs 2>&1)" \
		"$(printf 'pack-%040d' 7)" "the holder's journal"
	kill "$HOLDER"
}

test_lock__status_while_locked_reports_and_does_not_save_the_cache() {
	setup
	find . -path ./.custody -prune -o -type f -exec touch -d 2020-01-01 {} +
	run add .
	expect_rc 0
	rm -f .custody/cache/index .custody/cache/index.journal
	hold_lock 10
	run status
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
	expect_err "custody: note: the stat cache was not saved: the archive is locked by a writer"
	[ ! -e .custody/cache/index ] || fail "cache saved under a lock"
	kill "$HOLDER"
}

test_lock__status_with_nothing_to_save_does_not_take_the_lock() {
	setup
	find . -path ./.custody -prune -o -type f -exec touch -d 2020-01-01 {} +
	run add .
	expect_rc 0
	run status
	expect_err ""
	hold_lock 10
	local before
	before=$(snapshot .custody)
	run status
	expect_rc 0
	expect_out "clean: 5 documents as recorded"
	expect_err ""
	expect_eq "$(snapshot .custody)" "$before" "archive after status"
	kill "$HOLDER"
}

test_lock__wait_gets_the_lock_when_released() {
	setup
	hold_lock 1
	run add --wait 20 memos
	expect_rc 0
	expect_out_has "2 registered"
	wait "$HOLDER"
}

test_lock__stale_lock_of_a_dead_process_is_named_and_taken_over() {
	setup
	printf 'pid 4194300 host %s\n' "$(hostname)" >.custody/custody.lock
	run add memos
	expect_rc 0
	expect_err_has "custody: note: stale lock $(pwd -P)/.custody/custody.lock left by process 4194300 on $(hostname) (no longer running); taken over"
	expect_eq "$(cat .custody/custody.lock)" "" "lock file after release"
}

test_lock__two_adds_at_once_both_land_one_after_the_other() {
	setup
	"$CUSTODY" add --wait 60 memos >a.out 2>a.err &
	local first=$!
	"$CUSTODY" add --wait 60 scans >b.out 2>b.err
	local rc_b=$?
	wait $first
	local rc_a=$?
	expect_eq "$rc_a/$rc_b" "0/0" "exit codes ($(cat a.err b.err))"
	expect_eq "$(git --git-dir=.custody rev-list --count main)" 3 commits
	run verify
	expect_rc 0
}

run_tests
