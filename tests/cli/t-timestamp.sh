#!/bin/bash
# Trusted time (RFC 3161): custody asks a real timestamp authority on
# loopback (openssl ts -reply behind tests/interop/tsa-server.py), stores
# the token with the checkpoint it covers, and openssl ts -verify agrees.
. "$(dirname "$0")/lib.sh"

G=.custody
PKI_SH="$SRCDIR/tests/data/tsa/make-pki.sh"
SERVER="$SRCDIR/tests/interop/tsa-server.py"

setup() {
	mkdir pki
	sh "$PKI_SH" "$TMP/pki" >/dev/null 2>&1 || fail "cannot make the PKI"
	make_collection coll
	cd coll
	run init --origin example.org/ts
	run add .
	expect_rc 0
}

# start_tsa [OPTIONS]: the loopback TSA; its URL in $TSA. The server
# stops when its standard input (a FIFO this shell holds) closes.
start_tsa() {
	mkfifo "$TMP/tsa.in"
	"$PYTHON" "$SERVER" --key "$TMP/pki/tsa.key" \
		--cert "$TMP/pki/tsa.pem" --config "$TMP/pki/tsa.cnf" "$@" \
		<"$TMP/tsa.in" >"$TMP/port" 2>"$TMP/tsa.err" &
	TSA_PID=$!
	exec 7>"$TMP/tsa.in"
	local i
	for i in $(seq 50); do
		[ -s "$TMP/port" ] && break
		sleep 0.1
	done
	[ -s "$TMP/port" ] || fail "the TSA did not start: $(cat "$TMP/tsa.err")"
	TSA="http://127.0.0.1:$(head -1 "$TMP/port")/"
	export no_proxy='*'
}

stop_tsa() {
	exec 7>&-
	kill "$TSA_PID" 2>/dev/null
	wait "$TSA_PID" 2>/dev/null
	true
}

checkpoint_sha256() { git --git-dir=$G show main:checkpoint | sha256sum | cut -c1-64; }
cpsize() { git --git-dir=$G show main:checkpoint | sed -n 2p; }

test_timestamp__request_reply_add_and_openssl_agrees() {
	setup
	run timestamp request -o "$TMP/q.tsq"
	expect_rc 0
	# the query's imprint is the SHA-256 of the signed checkpoint file
	openssl ts -query -in "$TMP/q.tsq" -text >"$TMP/q.txt" 2>/dev/null ||
		fail "openssl cannot read the query"
	grep -q 'Hash Algorithm: sha256' "$TMP/q.txt" || fail "$(cat "$TMP/q.txt")"
	expect_eq "$(openssl asn1parse -inform DER -in "$TMP/q.tsq" |
		sed -n 's/.*prim: OCTET STRING *\[HEX DUMP\]://p' |
		tr 'A-F' 'a-f')" "$(checkpoint_sha256)" "imprint"
	grep -q 'Certificate required: yes' "$TMP/q.txt" || fail "no certReq"
	# the authority answers (here: openssl by hand)
	openssl ts -reply -queryfile "$TMP/q.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r.tsr" 2>/dev/null || fail "openssl ts -reply"
	local size
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	run timestamp add "$TMP/r.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	expect_out_has "timestamped the checkpoint of size $size: "
	expect_out_has "CN"
	# stored beside the checkpoint it covers; openssl checks it alone
	git --git-dir=$G show "main:timestamps/$size.checkpoint" >"$TMP/cp"
	git --git-dir=$G show "main:timestamps/$size.tsr" >"$TMP/token.der"
	openssl ts -verify -data "$TMP/cp" -in "$TMP/token.der" -token_in \
		-CAfile "$TMP/pki/ca.pem" >"$TMP/v" 2>&1 ||
		fail "openssl ts -verify: $(cat "$TMP/v")"
	run verify
	expect_rc 0
	# the same checkpoint twice: refused
	run timestamp add "$TMP/r.tsr"
	expect_rc 1
	expect_err_has "already has a timestamp"
}

# Under --json (docs/json.md): request -o names the file, add says what
# was stamped, and a refusal is custody-error/v1.
test_timestamp__json_request_and_add() {
	setup
	run timestamp request -o "$TMP/q.tsq" --json
	expect_rc 0
	expect_out "{\"format\":\"custody-timestamp-request/v1\",\"query\":\"$TMP/q.tsq\",\"bytes\":$(stat -c %s "$TMP/q.tsq")}"
	openssl ts -reply -queryfile "$TMP/q.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r.tsr" 2>/dev/null || fail "openssl ts -reply"
	run timestamp add "$TMP/r.tsr" --tsa-ca "$TMP/pki/ca.pem" --json
	expect_rc 0
	expect_out_has "{\"format\":\"custody-timestamp/v1\",\"size\":$(cpsize),\"time\":\""
	expect_out_has "\"trusted\":true,\"commit\":\"$(git --git-dir=$G rev-parse main)\"}"
	run timestamp add "$TMP/r.tsr" --json
	expect_rc 1
	expect_out_has '{"format":"custody-error/v1","command":"timestamp","error":{"message":"'
	expect_err_has "already has a timestamp"
}

test_timestamp__custody_posts_to_the_authority_and_proofs_carry_it() {
	setup
	start_tsa
	run timestamp request --tsa "$TSA" --tsa-ca "$TMP/pki/ca.pem"
	stop_tsa
	expect_rc 0
	expect_out_has "timestamped the checkpoint of size "
	run proof memos/budget.txt -o "$TMP/p"
	expect_rc 0
	expect_eq "$(sed -n 2p "$TMP/p" | cut -d' ' -f1)" "timestamp"
	"$CUSTODY" key export --vkey >"$TMP/k"
	cp memos/budget.txt "$TMP/doc"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k" \
		--tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	expect_out_has "registered before "
	expect_out_has "(trusted: $TMP/pki/ca.pem)"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k"
	expect_rc 0
	expect_out_has "but no trusted authority was given (--tsa-ca)"
	run check "$TMP/doc" --proof "$TMP/p" --key "$TMP/k" \
		--tsa-ca "$TMP/pki/other-ca.pem"
	expect_rc 1
	expect_err_has "check failed at step 'timestamp': timestamp: the TSA is not trusted"
	# entries added later: the proof still uses the timestamped
	# checkpoint, which holds the document
	printf 'later\n' >memos/later.txt
	run add memos/later.txt
	run proof memos/budget.txt -o "$TMP/p2"
	expect_eq "$(sed -n 2p "$TMP/p2" | cut -d' ' -f1)" "timestamp"
	run proof memos/later.txt -o "$TMP/p3"
	expect_eq "$(sed -n 2p "$TMP/p3")" "" "no timestamp for a later entry"
	run verify
	expect_rc 0
}

# A holder of the outlet key who asks for a timestamp after entries that
# no checkpoint covers (a member without the key made them) signs one
# first: the time covers every entry.
# libcurl (and the twenty libraries it brings) is loaded by the
# commands that talk to a server, when they do, not at every start.
test_timestamp__libcurl_is_loaded_only_to_talk_to_the_authority() {
	setup
	LD_DEBUG=files "$CUSTODY" status >/dev/null 2>"$TMP/ld.status"
	grep -q 'file=libgit2' "$TMP/ld.status" ||
		fail "LD_DEBUG shows no library: cannot tell what is loaded"
	grep -q 'file=libcurl' "$TMP/ld.status" &&
		fail "status loaded libcurl"
	start_tsa
	LD_DEBUG=files "$CUSTODY" timestamp request --tsa "$TSA" \
		--tsa-ca "$TMP/pki/ca.pem" >"$TMP/out" 2>"$TMP/ld.ts"
	RC=$?
	stop_tsa
	expect_rc 0
	grep -q 'file=libcurl.so.4 .*dynamically loaded by' "$TMP/ld.ts" ||
		fail "timestamp did not load libcurl.so.4 when it posted"
	expect_eq "$(grep -c '^timestamped the checkpoint of size ' \
		"$TMP/out")" 1 "the request was answered"
}

test_timestamp__a_holder_stamps_every_entry_so_far() {
	setup
	local n
	cp -a "$CUSTODY_KEY_DIR" "$TMP/nolog" && rm -r "$TMP/nolog/log"
	printf 'later\n' >memos/later.txt
	CUSTODY_KEY_DIR="$TMP/nolog" run add memos/later.txt
	expect_rc 0
	n=$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)
	[ "$(git --git-dir=$G show main:checkpoint | sed -n 2p)" -lt "$n" ] ||
		fail "the member's add signed a checkpoint"
	start_tsa
	run timestamp request --tsa "$TSA" --tsa-ca "$TMP/pki/ca.pem"
	stop_tsa
	expect_rc 0
	expect_out_has "timestamped the checkpoint of size $n"
	expect_eq "$(git --git-dir=$G log -2 --format=%s main | tail -1)" \
		"custody checkpoint sign" "the commit before the timestamp"
	git --git-dir=$G cat-file -e "main:timestamps/$n.tsr" ||
		fail "no token for size $n"
	run proof memos/later.txt -o "$TMP/p"
	expect_rc 0
	expect_eq "$(sed -n 2p "$TMP/p" | cut -d' ' -f1)" "timestamp"
	run verify
	expect_rc 0
}

# A reply counts only if it answers this archive's own request: its nonce
# (issue 11, item 13).
test_timestamp__a_reply_to_another_request_is_refused() {
	setup
	local before size
	size=$(git --git-dir=$G show main:checkpoint | sed -n 2p)
	git --git-dir=$G show main:checkpoint >"$TMP/cp"
	# a request for the same checkpoint that custody did not make
	openssl ts -query -data "$TMP/cp" -sha256 -cert -out "$TMP/x.tsq" \
		2>/dev/null || fail "openssl ts -query"
	openssl ts -reply -queryfile "$TMP/x.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/x.tsr" 2>/dev/null || fail "openssl ts -reply"
	before=$(snapshot $G)
	run timestamp add "$TMP/x.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err "custody: no timestamp request of this archive is waiting for a reply: run \`custody timestamp request\` and send that request to the authority; a reply to any other request is refused"
	expect_eq "$(snapshot $G)" "$before" "archive after the refusal"
	# two requests: only the last is waiting
	run timestamp request -o "$TMP/q1.tsq"
	run timestamp request -o "$TMP/q2.tsq"
	openssl ts -reply -queryfile "$TMP/q1.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r1.tsr" 2>/dev/null || fail "openssl ts -reply"
	# openssl agrees that this reply is not the answer to q2
	openssl ts -verify -queryfile "$TMP/q2.tsq" -in "$TMP/r1.tsr" \
		-CAfile "$TMP/pki/ca.pem" >"$TMP/v" 2>&1 &&
		fail "openssl accepted another request's reply"
	grep -q "nonce mismatch" "$TMP/v" || fail "openssl: $(cat "$TMP/v")"
	before=$(snapshot $G)
	run timestamp add "$TMP/r1.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err "custody: the timestamp for the checkpoint of size $size is refused: its nonce differs from the request's: it answers another request"
	expect_eq "$(snapshot $G)" "$before" "archive after the refusal"
	# the answer to q2 is taken, and openssl agrees it is q2's
	openssl ts -reply -queryfile "$TMP/q2.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r2.tsr" 2>/dev/null || fail "openssl ts -reply"
	openssl ts -verify -queryfile "$TMP/q2.tsq" -in "$TMP/r2.tsr" \
		-CAfile "$TMP/pki/ca.pem" >"$TMP/v" 2>&1 ||
		fail "openssl ts -verify: $(cat "$TMP/v")"
	run timestamp add "$TMP/r2.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	expect_out_has "timestamped the checkpoint of size $size: "
	[ ! -e $G/custody-timestamp-request ] ||
		fail "the answered request is still waiting"
}

test_timestamp__bad_tokens_are_refused_and_nothing_is_written() {
	setup
	local before digest now
	before=$(snapshot $G)
	digest=$(checkpoint_sha256)
	now=$(date -u +%Y%m%d%H%M%SZ)
	# a token for other data
	printf 'something else\n' >"$TMP/other"
	openssl ts -query -data "$TMP/other" -sha256 -cert -out "$TMP/o.tsq" \
		2>/dev/null
	openssl ts -reply -queryfile "$TMP/o.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/o.tsr" 2>/dev/null
	run timestamp add "$TMP/o.tsr" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err_has "is refused: the token is for other data"
	# a TSA certificate without the timeStamping usage
	sh "$PKI_SH" --token "$TMP/pki" noeku "$digest" "$now" "$TMP/noeku.der"
	run timestamp add "$TMP/noeku.der" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err_has "timeStamping"
	# a genTime outside the certificate's validity
	sh "$PKI_SH" --token "$TMP/pki" expired "$digest" "$now" "$TMP/late.der"
	run timestamp add "$TMP/late.der" --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err_has "outside the TSA certificate's validity"
	# an authority nobody trusts
	run timestamp request -o "$TMP/q.tsq"
	openssl ts -reply -queryfile "$TMP/q.tsq" -inkey "$TMP/pki/tsa.key" \
		-signer "$TMP/pki/tsa.pem" -config "$TMP/pki/tsa.cnf" \
		-out "$TMP/r.tsr" 2>/dev/null
	run timestamp add "$TMP/r.tsr" --tsa-ca "$TMP/pki/other-ca.pem"
	expect_rc 1
	expect_err_has "the TSA is not trusted"
	# garbage
	printf 'not DER' >"$TMP/junk"
	run timestamp add "$TMP/junk"
	expect_rc 1
	# an authority that is down
	run timestamp request --tsa http://127.0.0.1:9/ --tsa-ca "$TMP/pki/ca.pem"
	expect_rc 1
	expect_err_has "http://127.0.0.1:9/"
	# (the requests made on the way are kept, locally, for their
	# replies, and the checkpoint they sent is noted as known to others)
	expect_eq "$(cat $G/custody-shared)" "$(printf '%s\n' "$(cpsize)" \
		"$(cpsize)")" "custody-shared"
	expect_eq "$(snapshot $G | grep -v 'custody-timestamp-request\|custody-shared')" \
		"$before" "archive after refusals"
}

run_tests
