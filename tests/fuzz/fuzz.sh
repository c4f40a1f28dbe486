#!/bin/bash
# Fuzz one target with libFuzzer for a given time (docs/fuzzing.md).
#
#   tests/fuzz/fuzz.sh TARGET [SECONDS] [LIBFUZZER OPTIONS...]
#   tests/fuzz/fuzz.sh pubkey 120
#   tests/fuzz/fuzz.sh list
#
# Builds the library once with clang, AddressSanitizer, UndefinedBehavior-
# Sanitizer and libFuzzer's coverage (in build-fuzz/, beside build/), links
# tests/fuzz/fuzz_TARGET.c with libFuzzer, and runs it on one core for
# SECONDS (default 60), starting from tests/fuzz/corpus/TARGET. New inputs
# go to build-fuzz/corpus/TARGET, never into the saved corpus; a crash is
# written to build-fuzz/crashes/ (add it to the saved corpus once fixed).
# Exits as libFuzzer does: 0 when the time ran out without a finding.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$src/build-fuzz
target=${1:?usage: fuzz.sh TARGET [SECONDS] [OPTIONS...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))

if [ "$target" = list ]; then
	for f in "$src"/tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done
	exit 0
fi
[ -f "$src/tests/fuzz/fuzz_$target.c" ] || {
	echo "fuzz.sh: no target $target (tests/fuzz/fuzz_$target.c)" >&2
	exit 2
}
command -v clang >/dev/null || {
	echo "fuzz.sh: needs clang (apt-get install clang)" >&2
	exit 2
}

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
if [ ! -f "$out/build.ninja" ]; then
	CC=clang meson setup "$out" "$src" --buildtype=debugoptimized \
		-Dc_args="-fsanitize=fuzzer-no-link $sanitize -g" \
		-Dc_link_args="$sanitize" -Db_lundef=false >/dev/null
fi
ninja -C "$out" lib/libcustody-internal.a >/dev/null

deps="openssl yaml-0.1 libgit2 libutf8proc zlib libcurl opendkim"
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer $sanitize -D_GNU_SOURCE \
	-I"$src/lib/include" -I"$src/lib/src" -I"$out/lib/include" \
	$(pkg-config --cflags $deps) \
	-o "$out/fuzz_$target" "$src/tests/fuzz/fuzz_$target.c" \
	"$out/lib/libcustody-internal.a" \
	$(pkg-config --libs $deps) -lresolv -lmagic -lm -lpthread

mkdir -p "$out/corpus/$target" "$out/crashes"
cd "$out"
# one core (the machine is shared); leaks are findings too
exec "./fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$out/crashes/$target-" "$@" \
	"$out/corpus/$target" "$src/tests/fuzz/corpus/$target"
