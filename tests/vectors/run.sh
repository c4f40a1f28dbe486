#!/bin/bash
# The proof test vectors (tests/data/vectors, made by make-vectors.sh):
# custody check and the independent checker written from
# docs/proof-format.md (check_proof.py) must both give every verdict in
# verdicts.txt, and the leaves and root recomputed from the entries must
# be those recorded and the checkpoint's.
#   run.sh CUSTODY SRCDIR PYTHON
set -uo pipefail
custody=$1 src=$2 python=$3
v="$src/tests/data/vectors"
checker="$src/tests/vectors/check_proof.py"
failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# the leaves and the root, from the entries' bytes alone
got=$("$python" "$checker" --root "$v/entries")
[ "$got" = "$(cat "$v/leaves.txt")" ] || fail "leaves.txt: recomputed
$got"
for f in "$v"/entries/[0-9][0-9][0-9].yaml; do
	leaf=$({ printf '\0'; cat "$f"; } | sha256sum | cut -c1-64)
	grep -qx "$(basename "$f" .yaml) $leaf" "$v/leaves.txt" ||
		fail "$f: sha256sum gives leaf $leaf"
done
[ "$(sed -n 's/^root //p' "$v/leaves.txt")" = "$(sed -n 3p "$v/checkpoint")" ] ||
	fail "the root is not the checkpoint's"

while read -r doc proof key want; do
	case $doc in '#'* | '') continue ;; esac
	out=$("$custody" check "$v/docs/$doc" --proof "$v/$proof" \
		--key "$v/$key" --json 2>/dev/null)
	rc=$?
	# every verdict is one object its schema accepts (docs/json.md)
	printf '%s\n' "$out" >"${TMPDIR:-/tmp}/vector-check.$$.json"
	"$python" "$src/tests/schema/check_json.py" "$src/schemas/json" \
		"${TMPDIR:-/tmp}/vector-check.$$.json" check --json ||
		fail "custody: $doc $proof $key: check --json refused by its schema"
	rm -f "${TMPDIR:-/tmp}/vector-check.$$.json"
	step=$(printf '%s' "$out" | "$python" -c \
		'import json,sys; d=json.load(sys.stdin); print(d["failed_step"] or "ok")')
	[ "$step" = "$want" ] || fail "custody: $doc $proof $key: $step, not $want"
	{ [ "$want" = ok ] && [ $rc = 0 ]; } || { [ "$want" != ok ] && [ $rc = 1 ]; } ||
		fail "custody: $doc $proof $key: exit $rc"
	ind=$("$python" "$checker" "$v/docs/$doc" "$v/$proof" "$v/$key")
	[ "${ind%%:*}" = "$( [ "$want" = ok ] && echo ok || echo "fail $want")" ] ||
		fail "check_proof.py: $doc $proof $key: $ind, not $want"
	echo "ok   $doc $proof $key: $want"
done <"$v/verdicts.txt"
[ $failed = 0 ]
