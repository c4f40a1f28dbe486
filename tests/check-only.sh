#!/bin/bash
# tests/check-only.sh [FULL-BUILD-DIR]
#
# The check-only build (-Dcheck_only=true), as a fact-checker installs
# it: configure build-check beside the full build (once) and build it;
# its custody and libcustody-check.so must need no library the offline
# checks do without (libgit2, libmagic, libcurl, zlib, utf8proc), its
# custody must offer the checks alone, and pass the offline checks' CLI
# tests (tests/cli/t-check.sh) on what the full build's custody
# (FULL-BUILD-DIR/cmd/custody, default build/) made. Prints "ok"/"FAIL"
# lines and "N passed, N failed"; exit status 0 when all pass.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
full=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || full=${1:-$root/build}
dir=$root/build-check
tmp=$(mktemp -d /tmp/custody-check-only.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$full/cmd/custody" ]; then
	echo "check-only: no custody at $full/cmd/custody (build it first)" >&2
	exit 1
fi
if ! { { [ -f "$dir/build.ninja" ] ||
    meson setup "$dir" -Dcheck_only=true -Dwerror=true; } &&
    ninja -C "$dir"; } >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	echo "FAIL check-only: the build"
	echo "0 passed, 1 failed"
	exit 1
fi
custody=$dir/cmd/custody

passed=0 failed=0
# expect NAME COMMAND...: an "ok" or "FAIL" line for COMMAND's status
expect() {
	if "${@:2}"; then
		echo "ok   check-only: $1"
		passed=$((passed + 1))
	else
		echo "FAIL check-only: $1"
		failed=$((failed + 1))
	fi
}

# needs_no_archive_library FILE: no NEEDED entry of FILE names libgit2,
# libmagic, libcurl, libz or libutf8proc
needs_no_archive_library() {
	local bad
	bad=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' |
		grep -E '^lib(git2|magic|curl|z|utf8proc)([-.]|$)')
	[ -z "$bad" ] && return 0
	echo "    ${1#"$root"/} needs" $bad
	return 1
}

offers_the_checks_alone() {
	local commands
	commands=$("$custody" --help | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | tr '\n' ' ')
	[ "$commands" = "check check-reveal consistency verify-signature " ] &&
		return 0
	echo "    its commands: $commands"
	return 1
}

# `consistency OLD` makes a proof in an archive: a usage error here
making_a_proof_needs_the_full_build() {
	"$custody" consistency old.checkpoint >/dev/null 2>"$tmp/err"
	local rc=$?
	[ $rc = 2 ] && grep -q "needs the full build" "$tmp/err" && return 0
	echo "    exit status $rc: $(cat "$tmp/err")"
	return 1
}

expect "custody needs only OpenSSL and libyaml" \
	needs_no_archive_library "$custody"
expect "libcustody-check.so needs only OpenSSL and libyaml" \
	needs_no_archive_library "$dir/lib/libcustody-check.so"
expect "custody offers the offline checks alone" offers_the_checks_alone
expect "consistency without --proof says it needs the full build" \
	making_a_proof_needs_the_full_build
vectors() { bash "$root/tests/vectors/run.sh" "$custody" "$root" /usr/bin/python3; }
expect "the proof test vectors give every verdict" vectors

# the offline checks' CLI tests, made by the full build, checked by this one
CUSTODY=$custody CUSTODY_FULL=$full/cmd/custody SRCDIR=$root \
	bash "$root/tests/cli/t-check.sh" | tee "$tmp/cli" | sed '$d'
read -r cli_passed _ cli_failed _ < <(tail -1 "$tmp/cli")
case "$cli_passed$cli_failed" in
*[!0-9]* | "") cli_passed=0 cli_failed=1 ;;
esac
echo "$((passed + cli_passed)) passed, $((failed + cli_failed)) failed"
[ $((failed + cli_failed)) = 0 ]
