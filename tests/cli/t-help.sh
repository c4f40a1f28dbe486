#!/bin/bash
# Every command's --help against the options it takes: an option it
# takes that its help does not list, or one its help lists that it does
# not take, fails here.
. "$(dirname "$0")/lib.sh"

# every command custody --help lists
commands() {
	"$CUSTODY" --help | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'
}

# listed CMD: the options CMD's help lists, one a line, "--name arg" or
# "--name flag" ("-x" for a short one): those in its usage lines (up to
# the first empty line) and those an option line (starting "  -") names
# before its description. An option followed by a word takes an
# argument, as "--key NAME" does; in "-o, --output FILE" both do.
listed() {
	"$CUSTODY" "$1" --help | "$PYTHON" -c '
import re, sys
usage = True
for line in sys.stdin.read().split("\n"):
    if line == "":
        usage = False
        continue
    if usage:
        part = line
    elif line.startswith("  -"):
        part = line[2:].split("  ")[0]
    else:
        continue
    found = list(re.finditer(r"(?<![A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*|"
                             r"-[A-Za-z0-9](?![A-Za-z0-9-]))"
                             r"( [A-Za-z0-9.])?(,)?", part))
    kind = "flag"
    for m in reversed(found):
        if m.group(2):
            kind = "arg"
        elif not m.group(3):
            kind = "flag"
        # else "-o, --output FILE": -o takes what --output takes
        print(m.group(1), kind)
' | sort -u
}

test_help__every_command_lists_every_option_it_takes() {
	local c n=0
	for c in $(commands); do
		# --help checks its text against the command's option table
		# and names what differs (cmd/cli.c)
		run "$c" --help
		[ "$RC" = 0 ] && [ -z "$ERR" ] ||
			fail "custody $c --help: exit $RC: $ERR"
		contains "$OUT" "usage: custody $c " ||
			fail "custody $c --help: $OUT"
		local help=$OUT
		run "$c" -h
		expect_rc 0
		expect_out "$help"
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] || fail "only $n commands listed"
}

# The check above is cli_getopt's: a command that read its options with
# getopt itself would escape it.
test_help__every_command_reads_its_options_through_cli_getopt() {
	local own
	own=$(cd "$SRCDIR/cmd" && grep -l '\<getopt\(_long\)\? *(' *.c |
		grep -vx cli.c) || true
	[ -z "$own" ] || fail "calls getopt itself, not cli_getopt: $own"
	grep -q '\<getopt_long *(' "$SRCDIR/cmd/cli.c" ||
		fail "cmd/cli.c no longer reads the options"
}

test_help__every_option_a_help_lists_is_taken() {
	local c option kind n=0
	for c in $(commands); do
		while read -r option kind; do
			# a value every option that takes one accepts; --help
			# after it prints the help and stops there
			if [ "$kind" = flag ]; then
				run "$c" "$option" --help
			elif [ "${option#--}" != "$option" ]; then
				run "$c" "$option=1" --help
			else
				run "$c" "${option}1" --help
			fi
			# the help printed, and no usage error (the test
			# above judges what --help says on stderr)
			[ "$RC" != 2 ] && contains "$OUT" "usage: custody $c " ||
				fail "custody $c: its help lists $option ($kind)," \
					"which it does not take so: exit $RC: $ERR"
			n=$((n + 1))
		done < <(listed "$c")
	done
	# not a check of nothing: the commands list about a hundred
	[ "$n" -ge 90 ] || fail "only $n options found in the helps"
}

# examples CMD: the invocations in CMD's "Examples:" block, one a line
# (a line ending in "\" joined with the next), without their comment
examples() {
	"$CUSTODY" "$1" --help | "$PYTHON" -c '
import sys
lines = sys.stdin.read().split("\n")
if "Examples:" not in lines:
    sys.exit(0)
block, joined = [], ""
for line in lines[lines.index("Examples:") + 1:]:
    if line == "":
        break
    if joined or line.startswith("  custody "):
        joined += " " + line.strip().split("  ")[0].rstrip("\\").strip()
        if not line.endswith("\\"):
            block.append(joined.strip())
            joined = ""
print("\n".join(block))
'
}

# Every --help ends its text with one to three real invocations, and an
# option an example uses is one the help lists
test_help__every_command_shows_one_to_three_examples() {
	local c n example option options
	for c in $(commands); do
		n=0
		options=$(listed "$c" | cut -d' ' -f1)
		while read -r example; do
			[ -n "$example" ] || continue
			n=$((n + 1))
			contains "$example" "custody $c" ||
				fail "custody $c --help: an example of another" \
					"command: $example"
			for option in $(grep -oE '(^| )--?[a-z][a-z0-9-]*' \
			    <<<"$example"); do
				grep -qxF -- "$option" <<<"$options" ||
					fail "custody $c --help: its example" \
						"'$example' uses $option," \
						"which the help does not list"
			done
		done < <(examples "$c")
		[ "$n" -ge 1 ] && [ "$n" -le 3 ] ||
			fail "custody $c --help: $n examples, not 1 to 3"
	done
}

# custody help CMD is CMD --help; an unknown one is a usage error
test_help__help_command_prints_that_commands_help() {
	run help add
	expect_rc 0
	expect_eq "$OUT" "$("$CUSTODY" add --help)" "custody help add"
	run help nosuch
	expect_rc 2
	expect_err "custody: 'nosuch' is not a custody command
Run 'custody --help' for the list."
}

# A typo gets a guess, not 30 lines of usage; a guess only when one
# name is near
test_usage__a_mistyped_command_or_option_gets_a_suggestion() {
	run stauts
	expect_rc 2
	expect_err "custody: 'stauts' is not a custody command; did you mean 'status'?
Run 'custody --help' for the list."
	run check-revel
	expect_rc 2
	expect_err_has "did you mean 'check-reveal'?"
	run frobnicate
	expect_rc 2
	expect_err "custody: 'frobnicate' is not a custody command
Run 'custody --help' for the list."
	run add --dry-rn .
	expect_rc 2
	expect_err "custody: unknown option '--dry-rn'; did you mean '--dry-run'?
Try 'custody add --help'."
	run add --note
	expect_rc 2
	expect_err "custody: option '--note' wants a value
Try 'custody add --help'."
	run status --zzzzzz
	expect_rc 2
	expect_err "custody: unknown or incomplete option '--zzzzzz'
Try 'custody status --help'."
}

# -C DIR and --archive DIR before the command, as git takes them;
# --archive names the collection folder or its .custody
test_usage__options_before_the_command() {
	make_collection coll
	(cd coll && "$CUSTODY" init --origin example.org/t &&
		"$CUSTODY" add .) >/dev/null 2>&1 || fail "cannot make coll"
	printf 'new\n' >coll/new.txt
	local want="new       new.txt
5 unchanged, 1 new, 0 modified, 0 missing, 0 moved, 0 refused"
	run -C coll status
	expect_rc 0
	expect_out "$want"
	for a in --archive=coll "--archive coll/.custody"; do
		# shellcheck disable=SC2086
		run $a status
		expect_rc 0
		expect_out "$want"
	done
	run status --archive coll
	expect_rc 0
	expect_out "$want"
	run -C coll status --archive "$TMP/coll/.custody" --exit-code
	expect_rc 1
	run -x status
	expect_rc 2
	expect_err "custody: unknown option '-x' before the command (only -C DIR and --archive DIR go there)
Try 'custody --help'."
	run -C
	expect_rc 2
	expect_err_has "custody: -C wants a folder"
	run -C "$TMP/nowhere" status
	expect_rc 1
	expect_err "custody: -C $TMP/nowhere: cannot go there: No such file or directory"
}

run_tests
