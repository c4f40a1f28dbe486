#!/bin/bash
# Every text the verifier page shows is in web/verifier/strings.js
# (strings-check.mjs); and the check catches a literal reason, a key
# strings.js lacks, a value a text wants and is not given, a text nobody
# uses and a local t in a planted copy.
set -u
check="$SRCDIR/tests/browser/strings-check.mjs"
command -v node >/dev/null || { echo "no node: skipped"; exit 77; }
fail=0

out=$(node "$check" "$SRCDIR/web/verifier" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL web/verifier: exit $rc"
	echo "$out"
	fail=1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$SRCDIR"/web/verifier/*.js "$SRCDIR"/web/verifier/index.html "$tmp"/
cat >>"$tmp/proof.js" <<'JS'
export function planted(t2) {
	if (t2)
		throw new CheckError('a planted reason');
	const t = 1;
	return t('reason.proof.noSuchText');
}
export function plantedToo(size) {
	return t('reason.merkle.fails', { size });
}
JS
sed -i "s/^\t\treason: {/\t\tplanted: 'nobody shows this',\n&/" "$tmp/strings.js"
want="proof.js:LINE1: t('reason.proof.noSuchText'): strings.js has no such text
proof.js:LINE4: t('reason.merkle.fails') wants {what}, is given size
proof.js:LINE2: a local 't' hides strings.js's t()
proof.js:LINE3: 'a planted reason' reaches the user but is not in strings.js
strings.js: 'planted' is not used"
n=$(wc -l <"$SRCDIR/web/verifier/proof.js")
want=${want/LINE1/$((n + 5))}
want=${want/LINE2/$((n + 4))}
want=${want/LINE3/$((n + 3))}
want=${want/LINE4/$((n + 8))}
out=$(node "$check" "$tmp" 2>&1)
rc=$?
if [ $rc -ne 1 ] || [ "$out" != "$want" ]; then
	echo "FAIL planted copy: exit $rc (want 1), output:"
	echo "$out"
	echo "want:"
	echo "$want"
	fail=1
fi
[ $fail -eq 0 ] && echo "PASS strings"
exit $fail
