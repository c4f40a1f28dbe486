#!/bin/bash
# restore and verify --full stream a stored document in bounded chunks:
# with 128 MiB of address space, a document bigger than that comes back
# byte for byte and verifies, whether its blob is stored or deflated.
. "$(dirname "$0")/lib.sh"

LIMIT_KIB=131072             # limit_memory (lib.sh): 128 MiB
SIZE=$((160 * 1024 * 1024))  # more than the limit: cannot be read whole

setup() { # setup random|pattern
	mkdir coll
	cd coll
	if [ "$1" = random ]; then
		head -c $SIZE /dev/urandom >big.bin   # stored uncompressed
	else
		yes 'custody streams this line' | head -c $SIZE >big.bin
	fi
	run init
	expect_rc 0
	run add .
	expect_rc 0
	G=".custody"
	BLOB=$(git hash-object big.bin)
}

bounded() { # bounded CMD...: run with LIMIT_KIB of memory
	( limit_memory $LIMIT_KIB; exec "$CUSTODY" "$@" ) \
		>"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

pack_bytes() { cat $G/objects/pack/*.pack | wc -c; }

restores_and_verifies() {
	bounded verify --full
	expect_rc 0
	expect_out_has "ok: "
	bounded restore big.bin -o "$TMP/back.bin"
	expect_rc 0
	cmp big.bin "$TMP/back.bin" || fail "restored file differs"
	( limit_memory $LIMIT_KIB; exec "$CUSTODY" restore big.bin -o - ) |
		cmp - big.bin || fail "restored stream differs"
}

test_bigblob__stored_blob_streams() {
	setup random
	[ "$(pack_bytes)" -gt $SIZE ] || fail "random data was deflated"
	restores_and_verifies
}

test_bigblob__deflated_blob_streams() {
	setup pattern
	[ "$(pack_bytes)" -lt $((SIZE / 10)) ] || fail "pattern not deflated"
	restores_and_verifies
	# and as a loose object, as a partner's git may hold it
	mkdir "$TMP/packs"
	mv $G/objects/pack/* "$TMP/packs/"
	local pack
	for pack in "$TMP"/packs/*.pack; do
		git --git-dir=$G unpack-objects -q <"$pack"
	done
	[ -f $G/objects/${BLOB:0:2}/${BLOB:2} ] || fail "the blob is not loose"
	restores_and_verifies
}

test_bigblob__damaged_blob_is_reported() {
	setup random
	local pack
	pack=$(ls -S $G/objects/pack/*.pack | head -n 1)  # the big blob's
	chmod u+w "$pack"
	python3 - "$pack" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(80 * 1024 * 1024)
    b = f.read(1)
    f.seek(80 * 1024 * 1024)
    f.write(bytes([b[0] ^ 0xff]))
PY
	bounded verify --full
	expect_rc 1
	expect_out "problem: entry 1: stored content $BLOB of big.bin cannot be read from the archive"
	expect_err "custody: 1 problem found"
	bounded restore big.bin -o "$TMP/back.bin"
	expect_rc 1
	expect_err_has "custody: big.bin: stored content $BLOB of version 1 cannot be read: "
	[ ! -e "$TMP/back.bin" ] || fail "a damaged blob was restored"
	ls "$TMP" | grep -q tmp && fail "a temporary file was left"
	true
}

# Objects a partner's git rewrote: deltas (git repack) and loose objects
# (unpacked) are read too, and still checked.
test_bigblob__repacked_and_loose_objects_are_read() {
	mkdir coll
	cd coll
	seq 1 20000 >doc.txt
	run init
	run add .
	expect_rc 0
	seq 2 20001 >doc.txt
	run add .
	expect_rc 0
	G=".custody"
	git --git-dir=$G repack -a -d -f -q --window=50 --depth=10 </dev/null
	# (the listing is taken whole first: grep -q stopping early would
	# end verify-pack with SIGPIPE, which pipefail counts as failure)
	local listing
	listing=$(git --git-dir=$G verify-pack -v $G/objects/pack/*.idx)
	grep -q ' blob .* [0-9a-f]\{40\}$' <<<"$listing" ||
		fail "git made no delta of a blob"
	run verify --full
	expect_rc 0
	run restore doc.txt --version 1 -o "$TMP/v1"
	expect_rc 0
	cmp "$TMP/v1" <(seq 1 20000) || fail "version 1 differs"
	mkdir "$TMP/packs"
	mv $G/objects/pack/* "$TMP/packs/"
	git --git-dir=$G unpack-objects -q <"$TMP"/packs/*.pack
	run verify --full
	expect_rc 0
	run restore doc.txt --version 2 -o "$TMP/v2"
	expect_rc 0
	cmp "$TMP/v2" doc.txt || fail "version 2 differs"
}

run_tests
