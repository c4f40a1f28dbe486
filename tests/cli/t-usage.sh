#!/bin/bash
# A value an option cannot take is a usage error (exit 2) that names the
# option, the value and what it may be, said before any archive is
# opened: never the entry it would have made ("entry 7: 'action' must
# be ..."), and nothing is written.
. "$(dirname "$0")/lib.sh"

setup() {
	make_collection coll
	cd coll
	"$CUSTODY" init --origin example.org/leaks >/dev/null 2>&1 &&
		"$CUSTODY" add . >/dev/null 2>&1 || fail "cannot make the archive"
	printf 'new\n' >new.txt
}

# refused MESSAGE COMMAND ARGS...: custody COMMAND ARGS exits 2, says
# exactly "custody: MESSAGE" and where to look, and leaves the archive
# as it was: main where it was, every file of .custody the same
refused() {
	local want=$1 before
	shift
	before="$(head_of .custody) $(snapshot .custody)"
	run "$@"
	expect_rc 2
	expect_err "custody: $want
Try 'custody $1 --help'."
	[ "$(head_of .custody) $(snapshot .custody)" = "$before" ] ||
		fail "custody $*: the archive changed"
}

long() { head -c "$1" /dev/zero | tr '\0' "$2"; }
forty() { long 40 "$1"; }

test_usage__an_event_option_with_a_value_no_entry_takes() {
	setup
	refused "--action 'stolen' must be \"received\", \"transferred\", \"copied\", \"accessed\", \"verified\", \"sealed\", \"returned\", \"destroyed\" or \"note\"" \
		event memos/budget.txt --action stolen
	refused "--at 'yesterday' must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"" \
		event memos/budget.txt --action received --at yesterday
	refused "--at '2025-02-29T10:00:00Z' is not a real date (no such day in that month)" \
		event memos/budget.txt --action received --at 2025-02-29T10:00:00Z
	refused "--at '2025-01-01T24:00:00Z' is not a real time of day" \
		event memos/budget.txt --action received --at 2025-01-01T24:00:00Z
	refused "--from '' must not be empty" \
		event memos/budget.txt --action transferred --from ''
	refused "--to '$(forty b)...' is longer than 256 bytes" \
		event memos/budget.txt --action transferred --to "$(long 257 b)"
	refused "--backdate-reason 'late\\tby a day' contains a control character" \
		event memos/budget.txt --action received \
		--at 2001-01-01T00:00:00Z --backdate-reason "$(printf 'late\tby a day')"
	refused "--note '$(forty n)...' is longer than 4096 bytes" \
		event memos/budget.txt --action note --note "$(long 4097 n)"
	# the value is shown escaped: a terminal never gets it raw
	refused "--note 'a\\033[2Jb' contains a control character (only newline and tab are allowed)" \
		event memos/budget.txt --action note --note "$(printf 'a\033[2Jb')"
	no_raw_controls
	# what only the archive can say stays its to say
	run event memos/budget.txt --action received --at 2999-01-01T00:00:00Z
	expect_rc 1
	expect_err_has "is in the future"
}

test_usage__derive_publish_add_member_and_log_key_values() {
	setup
	refused "--action 'paint' must be \"redact\", \"translate\", \"ocr\", \"excerpt\", \"convert\" or \"watermark-removal\"" \
		derive memos/budget.txt new.txt --action paint
	refused "--note 'a\\rb' contains a control character (only newline and tab are allowed)" \
		derive memos/budget.txt new.txt --action redact --note "$(printf 'a\rb')"
	refused "--url 'ftp://example.org/s' must start with https:// or http://" \
		publish memos/budget.txt --url ftp://example.org/s
	refused "--url 'https://' has no host" \
		publish memos/budget.txt --url https://
	refused "--url 'https://example.org/a story' must be printable ASCII without spaces (percent-encode the rest)" \
		publish memos/budget.txt --url 'https://example.org/a story'
	refused "--at 'next week' must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"" \
		publish memos/budget.txt --url https://example.org/s --at 'next week'
	refused "--title '$(forty t)...' is longer than 256 bytes" \
		publish memos/budget.txt --url https://example.org/s \
		--title "$(long 300 t)"
	refused "--source '' must not be empty" add --source '' new.txt
	refused "--note 'a\\001' contains a control character (only newline and tab are allowed)" \
		add --note "$(printf 'a\001')" new.txt
	refused "--note 'x\\177' contains a control character (only newline and tab are allowed)" \
		member add bob "$(tester_key)" --note "$(printf 'x\177')"
	refused "--note '$(forty r)...' is longer than 4096 bytes" \
		log-key rotate example.org-leaks-2 --note "$(long 5000 r)"
	refused "--tsa 'ftp://tsa.example/' must start with https:// or http://" \
		timestamp request --tsa ftp://tsa.example/
	# a value cut short is cut at a character, not inside one
	refused "--title 'a$(for _ in $(seq 19); do printf 'é'; done)...' is longer than 256 bytes" \
		publish memos/budget.txt --url https://example.org/s \
		--title "a$(for _ in $(seq 130); do printf 'é'; done)"
}

test_usage__init_key_and_witness_values() {
	mkdir fresh && cd fresh
	run init --origin 'example.org/a leak'
	expect_rc 2
	expect_err "custody: --origin 'example.org/a leak' must be printable ASCII without spaces
Try 'custody init --help'."
	[ ! -e .custody ] || fail "init made .custody"
	run init --origin ''
	expect_rc 2
	expect_err "custody: --origin '' must be 1 to 255 characters long
Try 'custody init --help'."
	run key export tester --vkey --origin 'a b'
	expect_rc 2
	expect_err "custody: --origin 'a b' must be printable ASCII without spaces
Try 'custody key --help'."
	run key export tester --vkey --origin 'a+b'
	expect_rc 2
	expect_err "custody: --origin 'a+b' cannot name a verifier key: it holds a '+'
Try 'custody key --help'."
	run witness cosign missing.checkpoint --old ten --state "$TMP/w"
	expect_rc 2
	expect_err "custody: --old wants a size, not 'ten'
Try 'custody witness --help'."
	for bad in 8080 :8080 localhost:65536 'localhost:' '[]:80'; do
		run witness serve --listen "$bad" --state "$TMP/w"
		expect_rc 2
		expect_err "custody: --listen wants ADDR:PORT (a port up to 65535), not '$bad'
Try 'custody witness --help'."
	done
	[ ! -e "$TMP/w" ] || fail "the witness state folder was made"
	[ -z "$(ls -A)" ] || fail "files were made: $(ls -A)"
}

# Values given as arguments, not options, are usage errors too, worded
# about the argument, before the archive is touched
test_usage__member_and_witness_arguments() {
	setup
	"$CUSTODY" key export tester >"$TMP/t.pub"
	refused "NAME 'bad name' may hold only letters, digits and . _ @ + -" \
		member add 'bad name' "$TMP/t.pub"
	refused "NAME '$(forty j)...' must be 1 to 64 characters long" \
		member add "$(long 65 j)" "$TMP/t.pub"
	refused "NAME '.hidden' must not start with '.' or '-'" \
		member revoke .hidden
	local vkey=w.example/a+fe162bf8+BEhrmR3vrj/qYf6qJ3sMv6zlP6Y3D4IAJeKsf9bjFCYc
	refused "NAME 'bad name' must be printable ASCII without spaces" \
		witness add 'bad name' https://w.example "$vkey"
	refused "URL 'ftp://w.example' must start with https:// or http://" \
		witness add w1 ftp://w.example "$vkey"
}

# The values the checks above refuse are the ones an entry refuses:
# each one they let through is recorded
test_usage__every_value_the_checks_allow_is_recorded() {
	local action n=0
	setup
	for action in received transferred copied accessed verified sealed \
	    returned destroyed note; do
		run event memos/budget.txt --action "$action" --from desk \
			--to "$(long 256 t)" --note "$(printf 'line\n\tline')"
		expect_rc 0
		n=$((n + 1))
	done
	for action in redact translate ocr excerpt convert watermark-removal; do
		printf '%s\n' "$action" >"d-$action.txt"
		run derive memos/budget.txt "d-$action.txt" --action "$action"
		expect_rc 0
	done
	run publish memos/budget.txt --url 'http://example.org/a%20story?x=1' \
		--title "$(long 256 t)"
	expect_rc 0
	run verify
	expect_rc 0
	[ "$n" = 9 ] || fail "$n events"
}

run_tests
