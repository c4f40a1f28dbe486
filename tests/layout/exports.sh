#!/bin/bash
# tests/layout/exports.sh LIBRARY HEADER-DIR
#
# The shared library exports exactly the functions the public headers
# declare with CUSTODY_EXTERN: no private helper leaks out, no declared
# function is missing. Prints the difference and fails on any.
set -euo pipefail
lib=$1
headers=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined, exported code symbols of the library.
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' |
	sort -u >"$tmp/exported"
# Every name declared as CUSTODY_EXTERN(type) [*]name( in the headers;
# declarations span lines, so join each file first (without its
# preprocessor lines, where the macro itself is defined).
for h in "$headers"/custody.h "$headers"/custody/*.h; do
	grep -v '^[[:space:]]*#' "$h" | tr '\n' ' '
	echo
done | grep -oE 'CUSTODY_EXTERN\([^)]*\) *\**[a-z_][a-z0-9_]* *\(' |
	sed -E 's/.*\) *\**([a-z0-9_]+) *\($/\1/' | sort -u >"$tmp/declared"

[ -s "$tmp/declared" ] || { echo "no declarations found in $headers"; exit 1; }
[ -s "$tmp/exported" ] || { echo "no exports found in $lib"; exit 1; }
if ! diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
	echo "exports differ from the public headers (- declared only, + exported only):"
	grep -E '^[-+][a-z]' "$tmp/diff"
	exit 1
fi
echo "$(wc -l <"$tmp/exported") exported functions, all declared"
