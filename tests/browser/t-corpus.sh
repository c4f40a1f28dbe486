#!/bin/bash
# Every case of the verifier corpus through `custody check` and through
# the page in headless Chromium: the verdict and the failing step must be
# the same, and the command's the one the corpus expects. Two corpora:
# the committed one (tests/data/verifier/) and one made now from a fresh
# archive by make-corpus.py. Screenshots of a passing and a failing check
# (360 px wide) go to $BUILDDIR/browser/; docs/images/ holds copies
# (README.md, "Checking in a browser", says how to refresh them).
#
#   CUSTODY=build/cmd/custody SRCDIR=. BUILDDIR=build bash tests/browser/t-corpus.sh
set -uo pipefail
: "${CUSTODY:?set CUSTODY to the custody binary}"
: "${SRCDIR:?set SRCDIR to the source folder}"
: "${BUILDDIR:?set BUILDDIR to the build folder}"
CUSTODY=$(readlink -f "$CUSTODY")
here=$SRCDIR/tests/browser
out=$BUILDDIR/browser
chromium=${CHROMIUM:-/usr/bin/chromium}

case "$("$CUSTODY" verifier 2>&1 >/dev/null)" in
*"built without the verifier page"*)
	echo "custody was built without the verifier page: skipped"
	exit 77
	;;
esac
[ -x "$chromium" ] || { echo "no $chromium: skipped"; exit 77; }
[ -d "$SRCDIR/web/node_modules/puppeteer-core" ] ||
	{ echo "no web/node_modules/puppeteer-core: skipped"; exit 77; }

rm -rf "$out" && mkdir -p "$out/shots" || exit 1
"$CUSTODY" verifier -o "$out/verify.html" >/dev/null || exit 1
python3 "$SRCDIR/tests/data/verifier/make-corpus.py" "$CUSTODY" \
	"$out/fresh" >/dev/null || { echo "cannot make the corpus"; exit 1; }

status=0
# compare NAME A B: the two tables' verdicts and steps, line by line
compare() {
	local bad
	bad=$(paste <(cut -f1-3 "$2") <(cut -f1-3 "$3") |
		awk -F'\t' '$1 != $4 || $2 != $5 || $3 != $6')
	if [ -n "$bad" ]; then
		echo "FAIL $1 (name verdict step | name verdict step):"
		printf '%s\n' "$bad"
		status=1
	else
		echo "ok   $1 ($(grep -c . "$2") cases)"
	fi
}

for corpus in "$SRCDIR/tests/data/verifier" "$out/fresh"; do
	name=$(basename "$corpus")
	grep -v '^#' "$corpus/cases.tsv" | awk -F'\t' -v OFS='\t' \
		'{ print $1, $8, $9 }' >"$out/$name.expected"
	n=$(grep -c . "$out/$name.expected")
	[ "$n" -ge 40 ] || { echo "FAIL $name: $n cases, fewer than 40"; status=1; }
	LINES_DIR=$out/$name.lines bash "$here/run-check.sh" "$CUSTODY" \
		"$corpus" >"$out/$name.command"
	compare "custody check gives the verdicts of corpus $name" \
		"$out/$name.expected" "$out/$name.command"
	shots=
	[ "$name" = fresh ] && shots=$out/shots
	if ! LINES_DIR=$out/$name.lines WEB_DIR=$SRCDIR/web \
	    CHROMIUM=$chromium timeout 600 node \
	    "$here/page-check.mjs" "$out/verify.html" "$corpus" \
	    "$out/$name.page" $shots; then
		echo "FAIL the page could not run corpus $name"
		status=1
		continue
	fi
	compare "the page gives custody check's verdicts on corpus $name" \
		"$out/$name.command" "$out/$name.page"
	# a check that passes: the page says what the command says, line
	# for line, but for a message's "dkim again": custody verifies its
	# DKIM verdict again, the page (no DKIM verifier) says it does not
	bad=0
	for f in "$out/$name.lines"/*.command; do
		if ! diff -u <(grep -v '^dkim again ' "$f") \
		    <(grep -v '^dkim again ' "${f%.command}.page") >"$out/.diff" ||
		    { grep -q '^dkim again ' "$f" && ! grep -qx 'dkim again not verified again: this page has no DKIM verifier; the verdict shown is the one recorded (custody check verifies it again)' "${f%.command}.page"; }; then
			[ $bad = 1 ] || echo "FAIL the page's words differ from custody check's on corpus $name:"
			bad=1
			cat "$out/.diff"
		fi
	done
	[ $bad = 0 ] && echo "ok   the page's result lines are custody check's on corpus $name ($(ls "$out/$name.lines"/*.command | wc -l) cases)"
	[ $bad = 0 ] || status=1
done
for f in verifier-passed.png verifier-failed.png; do
	[ -s "$out/shots/$f" ] || { echo "FAIL no screenshot $f"; status=1; }
done
exit $status
