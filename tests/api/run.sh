#!/bin/bash
# tests/api/run.sh BUILD-DIR: compile tests/api/api.c the way an outside
# program would -- with nothing but what the uninstalled pkg-config file
# of the build says -- link it against the shared library and run it.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH=$build/meson-uninstalled
flags=$(pkg-config --cflags --libs custody)
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror -o "$tmp/api" "$here/api.c" $flags
# The program must load the build's libcustody, and only the shared one.
LD_LIBRARY_PATH=$build/lib ldd "$tmp/api" | grep -q "$build/lib/libcustody.so"
mkdir "$tmp/collection"
cd "$tmp"
GIT_CONFIG_NOSYSTEM=1 HOME=$tmp LD_LIBRARY_PATH=$build/lib \
	"$tmp/api" "$tmp/collection"
