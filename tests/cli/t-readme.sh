#!/bin/bash
# The README's shell examples, run as written, so that they cannot go
# stale. Every ```sh block runs, in order, in one shell (a `cd` in one
# block holds for the next), from a folder holding the sample collection
# leak/; a block marked on the line above with
#   <!-- readme-test: skip: WHY -->
# is not run (it needs a server, or runs this very suite), and
#   <!-- readme-test: setup: COMMANDS -->
# runs COMMANDS first (what the text takes for granted, such as a file
# made in another program). Other fences (```, ```yaml) are output and
# formats, never run. A command that fails stops the run, naming its
# README line.
. "$(dirname "$0")/lib.sh"

README=$SRCDIR/README.md

# readme_script FILE: the bash script that runs FILE's sh blocks; one
# line per block in $TMP/readme.blocks ("run LINE" or "skip LINE: WHY")
readme_script() {
	"$PYTHON" - "$1" "$TMP/readme.blocks" <<'PY'
import os, re, shlex, sys

path, blocks_out = sys.argv[1], sys.argv[2]
name = os.path.basename(path)
lines = open(path, encoding="utf-8").read().split("\n")
# each command's status checked on the line after it (a comment may end
# the command's own line), so that a failure anywhere in `a && b` counts
out = ["set -o pipefail",
       "readme_fail() { echo \"%s line $README_LINE: exit status $1: "
       "$README_CMD\" >&2; exit 1; }" % name]
check = 'README_RC=$?; [ "$README_RC" = 0 ] || readme_fail "$README_RC"'

blocks = []
marker = re.compile(r"^<!-- readme-test: (skip|setup): (.*) -->$")
i = 0
while i < len(lines):
    if lines[i] != "```sh":
        i += 1
        continue
    start = i + 1              # 1-based line of the fence
    skip = setup = None
    j = i - 1
    while j >= 0 and marker.match(lines[j]):
        kind, text = marker.match(lines[j]).groups()
        if kind == "skip":
            skip = text
        else:
            setup = text
        j -= 1
    body = []
    i += 1
    while lines[i] != "```":
        body.append((i + 1, lines[i]))
        i += 1
    i += 1
    if skip is not None:
        blocks.append("skip %d: %s" % (start, skip))
        continue
    blocks.append("run %d" % start)
    if setup is not None:
        out.append("README_LINE=%d README_CMD=%s" % (start - 1,
                   shlex.quote("setup: " + setup)))
        out.append(setup)
        out.append(check)
    k = 0
    while k < len(body):
        n, text = body[k]
        while text.endswith("\\") and k + 1 < len(body):
            k += 1
            text = text[:-1] + " " + body[k][1].strip()
        k += 1
        if text.strip() == "" or text.lstrip().startswith("#"):
            continue
        out.append("README_LINE=%d README_CMD=%s" % (n, shlex.quote(
            text.strip())))
        out.append(text)
        out.append(check)
    out.append("echo %d >>\"$TMP/readme.done\"" % start)
open(blocks_out, "w").write("\n".join(blocks) + "\n")
print("\n".join(out))
PY
}

# The collection the examples name: a leak with memos, a PDF or two.
readme_collection() {
	make_collection "$1"
	cp "$1/scans/report.pdf" "$1/report.pdf"
	printf '%%PDF-1.4\n%% memo of 2019-03-04\ntrailer<<>>\n%%%%EOF\n' \
		>"$1/memo.pdf"
}

# run_readme FILE: its script, run in $TMP/work; $RC, $ERR as run sets
run_readme() {
	readme_script "$1" >"$TMP/readme.sh" || fail "cannot read $1"
	mkdir -p "$TMP/work"
	readme_collection "$TMP/work/leak"
	: >"$TMP/readme.done"
	(cd "$TMP/work" && TMP=$TMP PATH="$(dirname "$CUSTODY"):$PATH" \
		bash "$TMP/readme.sh") >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

test_readme__every_example_runs_as_written() {
	own_keys
	run_readme "$README"
	[ "$RC" = 0 ] || fail "$(tail -1 "$TMP/.err")
--- the run's last output:
$(tail -15 "$TMP/.out")
--- its stderr:
$(tail -15 "$TMP/.err")"
	# every block that was to run ran to its end, and they are many
	local ran
	ran=$(grep -c '^run ' "$TMP/readme.blocks")
	[ "$ran" -ge 4 ] || fail "only $ran blocks run: $(cat "$TMP/readme.blocks")"
	expect_eq "$(tr '\n' ' ' <"$TMP/readme.done")" \
		"$(sed -n 's/^run //p' "$TMP/readme.blocks" | tr '\n' ' ')" \
		"the blocks run to their end"
	# what the examples say they do, done
	[ -e "$TMP/work/leak/.custody" ] || fail "no archive"
	[ -s "$TMP/work/budget.proof" ] || fail "no proof"
	cmp -s "$TMP/work/leak/old.txt" "$TMP/work/leak/memos/budget.txt" ||
		fail "restore --version 1 gave other bytes"
}

test_readme__every_skipped_block_says_why() {
	readme_script "$README" >/dev/null
	! grep -q '^skip [0-9]*: *$' "$TMP/readme.blocks" ||
		fail "a block is skipped without a reason"
	# the two top commands install packages: never run by a test
	expect_eq "$(head -1 "$TMP/readme.blocks")" \
		"skip 4: installs packages and runs the whole suite" "first"
}

test_readme__a_failing_example_is_named_by_its_line() {
	own_keys
	cat >"$TMP/README.md" <<'EOF'
# a README

```sh
custody key new jane
cd leak/
custody init --origin example.org/x
```

<!-- readme-test: skip: would fail -->
```sh
false
```

```
custody not-run  # output, not run
```

<!-- readme-test: setup: printf 'new\n' >new.txt -->
```sh
custody add new.txt \
    --note "one note"
custody restore nothing.txt -o x && echo restored  # a comment
custody status
```
EOF
	run_readme "$TMP/README.md"
	expect_rc 1
	expect_eq "$(tail -1 "$TMP/.err")" \
		"README.md line 22: exit status 1: custody restore nothing.txt -o x && echo restored  # a comment"
	expect_eq "$(cat "$TMP/readme.blocks" | tr '\n' '|')" \
		"run 3|skip 10: would fail|run 19|" "blocks"
	expect_eq "$(tr '\n' ' ' <"$TMP/readme.done")" "3 " "blocks run"
	# the setup ran, and the continued line was one command
	expect_eq "$(cat "$TMP/work/leak/new.txt")" "new" "setup"
	expect_out_has "registered  new.txt"
	expect_eq "$(cd "$TMP/work/leak" && json log -n 1 --json |
		grep -o '"note":"one note"')" '"note":"one note"' "the note"
}

run_tests
