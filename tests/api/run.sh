#!/bin/bash
# tests/api/run.sh BUILD-DIR NAME: compile tests/api/test_NAME.c the way an
# outside program would -- with nothing but what the uninstalled
# pkg-config file of the build says -- link it against the shared library
# and run it. The program makes (and removes) its own temporary folder.
set -euo pipefail
build=$(cd "$1" && pwd)
name=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH=$build/meson-uninstalled
flags=$(pkg-config --cflags --libs custody)
# A library built with AddressSanitizer (build-asan) needs its runtime
# loaded first: the program is built with the same sanitizers, which
# then check the test's own code too.
if grep -q 'libasan\.so' <<<"$(ldd "$build/lib/libcustody.so")"; then
	flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined $flags"
	# third-party libraries' known leaks (the file says which and why)
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$here/../sanitizer/lsan.supp"
fi
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror -o "$tmp/test_$name" \
	"$here/test_$name.c" $flags
# The program must load the build's libcustody, and only the shared one.
# (ldd's listing is taken whole first: grep -q stopping early would
# make ldd die of SIGPIPE and fail the pipeline under pipefail)
libs=$(LD_LIBRARY_PATH=$build/lib ldd "$tmp/test_$name")
grep -q "$build/lib/libcustody.so" <<<"$libs"
cd "$tmp"
API_TEST_DATA=$here/../data GIT_CONFIG_NOSYSTEM=1 HOME=$tmp \
	LD_LIBRARY_PATH=$build/lib \
	"$tmp/test_$name"
