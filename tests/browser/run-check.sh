#!/bin/bash
# run-check.sh CUSTODY CORPUS_DIR: each case of CORPUS_DIR/cases.tsv
# through `custody check`, one line a case: NAME VERDICT STEP MESSAGE
# (tab-separated; STEP and MESSAGE "-" when it passes). A KEY file that
# starts with "log " is a witness policy (--policy). With LINES_DIR set,
# each passing case's output goes to LINES_DIR/NAME.command as "label
# value" lines (the page's form: its one difference, the option name
# "(--tsa-ca)", left out).
set -uo pipefail
custody=$(readlink -f "$1") dir=$2
out=$(mktemp /tmp/custody-run-check.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT
cd "$dir/files" || exit 1
while IFS=$'\t' read -r name doc proof key saved consistency tsa _; do
	case "$name" in '#'*|'') continue ;; esac
	# a witness policy starts with its log line
	if head -c 4 "$key" | grep -q '^log '; then
		args=("$doc" --proof "$proof" --policy "$key")
	else
		args=("$doc" --proof "$proof" --key "$key")
	fi
	[ "$saved" = - ] || args+=(--checkpoint "$saved")
	[ "$consistency" = - ] || args+=(--consistency "$consistency")
	[ "$tsa" = - ] || args+=(--tsa-ca "$tsa")
	err=$("$custody" check "${args[@]}" 2>&1 >"$out")
	rc=$?
	if [ $rc = 0 ] && [ -n "${LINES_DIR:-}" ]; then
		mkdir -p "$LINES_DIR"
		{ head -1 "$out"; tail -n +2 "$out" |
			sed -E 's/^  (.{12}) /\1\t/; s/ +\t/\t/; s/\t/ /' |
			sed 's/ (--tsa-ca)$//'; } >"$LINES_DIR/$name.command"
	fi
	if [ $rc = 0 ]; then
		printf '%s\tok\t-\t-\n' "$name"
	else
		step=$(printf '%s\n' "$err" |
			sed -n "s/^custody: check failed at step '\([a-z]*\)'.*/\1/p" |
			head -1)
		printf '%s\tfailed\t%s\t%s\n' "$name" "${step:-?rc$rc}" \
			"$(printf '%s' "$err" | head -1)"
	fi
done <"$dir/cases.tsv"
