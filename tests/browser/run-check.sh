#!/bin/bash
# run-check.sh CUSTODY CORPUS_DIR: each case of CORPUS_DIR/cases.tsv
# through `custody check`, one line a case: NAME VERDICT STEP MESSAGE
# (tab-separated; STEP and MESSAGE "-" when it passes). A KEY file that
# starts with "log " is a witness policy (--policy).
set -uo pipefail
custody=$(readlink -f "$1") dir=$2
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
	err=$("$custody" check "${args[@]}" 2>&1 >/dev/null)
	rc=$?
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
