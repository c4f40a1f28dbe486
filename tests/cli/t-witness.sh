#!/bin/bash
# custody witness: a real archive's checkpoints, a real witness server on
# 127.0.0.1 (custody witness serve) and real requests (curl): every
# status code of C2SP tlog-witness, a split view kept as evidence, a
# rollback, a replay, restarts, kill -9 at many points, concurrent
# requests, the offline cosign, and hostile input.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"

ORIGIN=example.org/leaks

# an archive of $ORIGIN in coll/ (the current folder afterwards), its
# outlet vkey in $TMP/log.vkey, and its first checkpoint in $TMP/cp1
archive() {
	make_collection coll
	cd coll
	run_full init --origin "$ORIGIN"
	expect_rc 0
	run_full add .
	expect_rc 0
	"$CUSTODY_FULL" key export --outlet --vkey >"$TMP/log.vkey"
	"$CUSTODY_FULL" checkpoint >"$TMP/cp1"
}

# grow NAME: one more entry, its checkpoint in $TMP/NAME
grow() {
	printf '%s\n' "$1" >"doc-$1.txt"
	"$CUSTODY_FULL" add "doc-$1.txt" >/dev/null 2>"$TMP/.grow" ||
		fail "add: $(cat "$TMP/.grow")"
	"$CUSTODY_FULL" checkpoint >"$TMP/$1"
}

size_of() { sed -n 2p "$1"; }
root_of() { sed -n 3p "$1"; }

# a witness of its own per test (its key in the shared key folder under
# a name no other test uses), trusting $ORIGIN
witness() {
	export CUSTODY_WITNESS_DIR=$TMP/wstate
	WNAME=witness.test/$(basename "$TMP")
	run witness init "$WNAME"
	expect_rc 0
	WVKEY=$(sed -n 2p "$TMP/.out")
	run witness trust "$ORIGIN" "$TMP/log.vkey"
	expect_rc 0
	expect_out "trusting $ORIGIN ($(cat "$TMP/log.vkey"))"
}

# start_witness: serve on a free port; $ADDR, $WPID
start_witness() {
	local i
	trap stop_servers EXIT
	: >"$TMP/w.out"
	"$CUSTODY" witness serve --listen 127.0.0.1:0 --timeout 2 \
		>"$TMP/w.out" 2>>"$TMP/w.err" </dev/null &
	WPID=$!
	SERVERS+=("$WPID")
	for i in $(seq 200); do
		ADDR=$(sed -n 's|^witness .* listening on http://||p' \
			"$TMP/w.out")
		[ -n "$ADDR" ] && return 0
		kill -0 "$WPID" 2>/dev/null || fail "witness died: $(cat "$TMP/w.err")"
		sleep 0.05
	done
	fail "witness did not start"
}

# body FILE OLD PROOF CHECKPOINT: an add-checkpoint body (PROOF a custody
# consistency file, or "" for none)
body() {
	{
		printf 'old %s\n' "$2"
		[ -z "$3" ] || tail -n +4 "$3"
		printf '\n'
		cat "$4"
	} >"$1"
}

# post FILE: POST it; $STATUS, $BODY, $TYPE
post() {
	curl -s -S -m 10 -o "$TMP/.body" -D "$TMP/.head" -w '%{http_code}' \
		--data-binary @"$1" "http://$ADDR/add-checkpoint" \
		>"$TMP/.code" 2>"$TMP/.curl"
	CURL_RC=$?
	STATUS=$(cat "$TMP/.code")
	BODY=$(cat "$TMP/.body" 2>/dev/null)
	TYPE=$(sed -n 's/^Content-Type: \(.*\)\r$/\1/p' "$TMP/.head")
}

expect_status() {
	[ "$STATUS" = "$1" ] || fail "HTTP $STATUS, expected $1: $BODY"
}

# consistency OLD NEW: the proof file $TMP/c-OLD-NEW
consistency() {
	"$CUSTODY_FULL" consistency "$TMP/$1" "$TMP/$2" \
		-o "$TMP/c-$1-$2" 2>"$TMP/.c" || fail "consistency: $(cat "$TMP/.c")"
}

# check_cosignature LINE CHECKPOINT: the line is a valid cosignature/v1
# by the witness ($WVKEY) over the checkpoint, checked independently
# (Python's cryptography, from the C2SP text), with a timestamp within a
# minute of now
check_cosignature() {
	"$PYTHON" - "$1" "$2" "$WVKEY" <<'PY' || fail "bad cosignature: $1"
import base64, hashlib, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
line, note, vkey = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
name, kid, key = vkey.split("+", 2)
key = base64.b64decode(key)
assert key[0] == 4 and len(key) == 33
pub = key[1:]
assert hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4].hex() == kid
dash, lname, sig = line.split(" ")
assert dash == "\u2014" and lname == name
raw = base64.b64decode(sig)
assert len(raw) == 76 and raw[:4].hex() == kid
ts = int.from_bytes(raw[4:12], "big")
assert abs(ts - time.time()) < 60, ts
text = note[:note.index(b"\n\n") + 1]
msg = b"cosignature/v1\ntime %d\n" % ts + text
Ed25519PublicKey.from_public_bytes(pub).verify(raw[12:], msg)
PY
}

# the size and root the witness holds for $ORIGIN ("none" if none)
held() {
	json witness logs --json | "$PYTHON" -c '
import json, sys
logs = json.load(sys.stdin)["logs"]
print(" ".join(str(l["size"]) + " " + str(l["root"]) for l in logs
               if l["origin"] == "example.org/leaks" and
               l["size"] is not None) or "none")'
}

test_witness__every_status_code_of_add_checkpoint() {
	archive
	witness
	grow cp2
	grow cp3
	consistency cp1 cp2
	consistency cp2 cp3
	start_witness
	# 404: a log this witness does not trust (another archive's origin)
	body "$TMP/r" 0 "" "$TMP/cp1"
	sed -i "s|^$ORIGIN\$|example.org/other|" "$TMP/r"
	post "$TMP/r"
	expect_status 404
	expect_eq "$BODY" "unknown log: this witness does not cosign for origin 'example.org/other'"
	# 403: the log's signature does not verify (a root changed under it)
	body "$TMP/r" 0 "" "$TMP/cp1"
	sed -i "s|^$(root_of "$TMP/cp1")\$|$(root_of "$TMP/cp2")|" "$TMP/r"
	post "$TMP/r"
	expect_status 403
	contains "$BODY" "the signature by $ORIGIN+" || fail "$BODY"
	contains "$BODY" "does not verify" || fail "$BODY"
	# 403: no signature by a trusted key at all (another key's)
	printf '%s\n%s\n%s\n' "$ORIGIN" 1 "$(root_of "$TMP/cp1")" >"$TMP/t"
	head -4 "$TMP/cp1" >"$TMP/unsigned"
	printf '\xe2\x80\x94 someone.else AAAAAAAA\n' >>"$TMP/unsigned"
	body "$TMP/r" 0 "" "$TMP/unsigned"
	post "$TMP/r"
	expect_status 403
	expect_eq "$BODY" "note: not signed by $ORIGIN"
	# 400: not a request; old size above the checkpoint's
	printf 'hello\n' >"$TMP/r"
	post "$TMP/r"
	expect_status 400
	expect_eq "$BODY" 'line 1: want "old <size>" (decimal, no leading zeros)'
	body "$TMP/r" 01 "" "$TMP/cp1"
	post "$TMP/r"
	expect_status 400
	body "$TMP/r" 9 "" "$TMP/cp1"
	post "$TMP/r"
	expect_status 400
	expect_eq "$BODY" "old size 9 is larger than the checkpoint's size $(size_of "$TMP/cp1")"
	# 422: a proof from size 0
	body "$TMP/r" 0 "$TMP/c-cp1-cp2" "$TMP/cp1"
	post "$TMP/r"
	expect_status 422
	expect_eq "$BODY" "a consistency proof from size 0 must be empty (it has $(($(wc -l <"$TMP/c-cp1-cp2") - 3)) hashes)"
	# 200: the first checkpoint, cosigned
	body "$TMP/r1" 0 "" "$TMP/cp1"
	post "$TMP/r1"
	expect_status 200
	expect_eq "$TYPE" "text/plain; charset=utf-8"
	check_cosignature "$BODY" "$TMP/cp1"
	# 409: the old size is not the one cosigned, answered with it
	body "$TMP/r" 0 "" "$TMP/cp2"
	post "$TMP/r"
	expect_status 409
	expect_eq "$TYPE" "text/x.tlog.size"
	expect_eq "$BODY" "$(size_of "$TMP/cp1")"
	od -c "$TMP/.body" | grep -q '\\n' || fail "409 body without its newline"
	# 422: a proof that does not hold (one hash changed)
	cp "$TMP/c-cp1-cp2" "$TMP/c-bad"
	sed -i '4{s/^A/Q/;t;s/^./A/}' "$TMP/c-bad"
	cmp -s "$TMP/c-bad" "$TMP/c-cp1-cp2" && fail "proof not changed"
	body "$TMP/r" "$(size_of "$TMP/cp1")" "$TMP/c-bad" "$TMP/cp2"
	post "$TMP/r"
	expect_status 422
	contains "$BODY" "the consistency proof from size $(size_of "$TMP/cp1") to $(size_of "$TMP/cp2") does not hold" ||
		fail "$BODY"
	# 200 along the history, twice
	body "$TMP/r2" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp2" "$TMP/cp2"
	post "$TMP/r2"
	expect_status 200
	check_cosignature "$BODY" "$TMP/cp2"
	body "$TMP/r3" "$(size_of "$TMP/cp2")" "$TMP/c-cp2-cp3" "$TMP/cp3"
	post "$TMP/r3"
	expect_status 200
	check_cosignature "$BODY" "$TMP/cp3"
	expect_eq "$(held)" "$(size_of "$TMP/cp3") $(root_of "$TMP/cp3")"
	# the same checkpoint again: cosigned again (nothing new, nothing
	# inconsistent)
	body "$TMP/r" "$(size_of "$TMP/cp3")" "" "$TMP/cp3"
	post "$TMP/r"
	expect_status 200
	# the monitor's view: the checkpoint with the log's and our lines
	local hash
	hash=$(printf '%s' "$ORIGIN" | sha256sum | cut -d' ' -f1)
	curl -s -S -o "$TMP/latest" -w '%{http_code}' \
		"http://$ADDR/$hash/checkpoint" >"$TMP/.code"
	expect_eq "$(cat "$TMP/.code")" 200
	expect_eq "$(head -3 "$TMP/latest")" "$(head -3 "$TMP/cp3")"
	grep -q "^— $WNAME " "$TMP/latest" || fail "no cosignature in $(cat "$TMP/latest")"
	# other paths and methods
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/add-checkpoint")" 405
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/nothing")" 404
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/$(printf 0%.0s $(seq 64))/checkpoint")" 404
	# 413: more than 128 KiB
	head -c 140000 /dev/zero | tr '\0' a >"$TMP/big"
	post "$TMP/big"
	expect_status 413
	# the server logged each request, one line each
	grep -q '^POST /add-checkpoint 200 size ' "$TMP/w.err" || fail "$(cat "$TMP/w.err")"
	grep -q '^POST /add-checkpoint 409 ' "$TMP/w.err" || fail "$(cat "$TMP/w.err")"
}

test_witness__a_split_view_is_refused_and_kept_as_evidence() {
	archive
	witness
	grow cp2
	consistency cp1 cp2
	start_witness
	body "$TMP/r" 0 "" "$TMP/cp2"
	post "$TMP/r"
	expect_status 200
	# the log signs a second checkpoint of the same size, another root
	forge_checkpoint "$(size_of "$TMP/cp2")" \
		"$(head -c 32 /dev/urandom | base64)" >"$TMP/split" ||
		fail "cannot sign"
	body "$TMP/rs" "$(size_of "$TMP/cp2")" "" "$TMP/split"
	post "$TMP/rs"
	expect_status 422
	expect_eq "$BODY" "the checkpoint of size $(size_of "$TMP/cp2") has another root than the one cosigned at that size (both signed checkpoints are kept as evidence)"
	# the state did not move
	expect_eq "$(held)" "$(size_of "$TMP/cp2") $(root_of "$TMP/cp2")"
	# both signed checkpoints are kept, and listed
	run witness evidence --json
	expect_rc 0
	"$PYTHON" - "$OUT" "$(size_of "$TMP/cp2")" "$(root_of "$TMP/cp2")" \
		"$(root_of "$TMP/split")" <<'PY' || fail "evidence: $OUT"
import json, sys
ev = json.loads(sys.argv[1])["evidence"]
assert len(ev) == 1, ev
e = ev[0]
size = int(sys.argv[2])
assert e["origin"] == "example.org/leaks" and e["kind"] == "same-size"
assert e["cosigned"] == {"size": size, "root": sys.argv[3]}, e
assert e["presented"] == {"size": size, "root": sys.argv[4]}, e
PY
	local dir
	dir=$(echo "$OUT" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["evidence"][0]["path"])')
	cmp "$dir/presented" "$TMP/split" || fail "presented note differs"
	expect_eq "$(head -3 "$dir/cosigned")" "$(head -3 "$TMP/cp2")"
	grep -q "^— $ORIGIN " "$dir/cosigned" || fail "cosigned without the log's signature"
	cmp "$dir/request" "$TMP/rs" || fail "request not kept"
	# both verify under the log's key, by custody's own offline check
	run consistency "$dir/cosigned" "$dir/presented" --proof "$TMP/c-cp1-cp2" --key "$TMP/log.vkey"
	expect_rc 1
	# shown again: one record still, the same answer
	post "$TMP/rs"
	expect_status 422
	run witness evidence
	expect_rc 0
	expect_eq "$(grep -c 'same-size' <<<"$OUT")" 1
	expect_out_has "  cosigned:  size $(size_of "$TMP/cp2") $(root_of "$TMP/cp2")"
	expect_out_has "  presented: size $(size_of "$TMP/cp2") $(root_of "$TMP/split")"
	# a larger checkpoint signed by the log whose proof fails: kept too
	forge_checkpoint $(($(size_of "$TMP/cp2") + 5)) \
		"$(head -c 32 /dev/urandom | base64)" >"$TMP/bigger" ||
		fail "cannot sign"
	body "$TMP/rb" "$(size_of "$TMP/cp2")" "$TMP/c-cp1-cp2" "$TMP/bigger"
	post "$TMP/rb"
	expect_status 422
	contains "$BODY" "(both signed checkpoints are kept as evidence)" || fail "$BODY"
	run witness evidence --json
	expect_eq "$(grep -o '"kind":"[a-z-]*"' <<<"$OUT" | sort | tr '\n' ' ')" '"kind":"bad-proof" "kind":"same-size" '
	# and it still cosigns the real history
	grow cp3
	consistency cp2 cp3
	body "$TMP/r" "$(size_of "$TMP/cp2")" "$TMP/c-cp2-cp3" "$TMP/cp3"
	post "$TMP/r"
	expect_status 200
}

test_witness__rollback_and_replay_are_refused() {
	archive
	witness
	grow cp2
	grow cp3
	consistency cp1 cp2
	consistency cp2 cp3
	consistency cp1 cp3
	start_witness
	body "$TMP/r1" 0 "" "$TMP/cp1"
	post "$TMP/r1"
	expect_status 200
	body "$TMP/r12" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp2" "$TMP/cp2"
	post "$TMP/r12"
	expect_status 200
	body "$TMP/r23" "$(size_of "$TMP/cp2")" "$TMP/c-cp2-cp3" "$TMP/cp3"
	post "$TMP/r23"
	expect_status 200
	# replays of answered requests: 409 with the size held now
	for r in r1 r12 r23; do
		post "$TMP/$r"
		expect_status 409
		expect_eq "$BODY" "$(size_of "$TMP/cp3")"
	done
	# a rollback: an older checkpoint, claimed from an older size
	body "$TMP/r" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp2" "$TMP/cp2"
	post "$TMP/r"
	expect_status 409
	expect_eq "$BODY" "$(size_of "$TMP/cp3")"
	# an older checkpoint claimed from the size held: 400
	body "$TMP/r" "$(size_of "$TMP/cp3")" "" "$TMP/cp2"
	post "$TMP/r"
	expect_status 400
	expect_eq "$BODY" "old size $(size_of "$TMP/cp3") is larger than the checkpoint's size $(size_of "$TMP/cp2")"
	expect_eq "$(held)" "$(size_of "$TMP/cp3") $(root_of "$TMP/cp3")"
	run witness evidence
	expect_rc 0
	expect_out ""
}

test_witness__a_restarted_witness_keeps_its_state() {
	archive
	witness
	grow cp2
	consistency cp1 cp2
	start_witness
	body "$TMP/r" 0 "" "$TMP/cp1"
	post "$TMP/r"
	expect_status 200
	kill "$WPID"
	wait "$WPID"
	expect_eq "$?" 0 "exit status after SIGTERM"
	start_witness
	post "$TMP/r"
	expect_status 409
	expect_eq "$BODY" "$(size_of "$TMP/cp1")"
	body "$TMP/r" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp2" "$TMP/cp2"
	post "$TMP/r"
	expect_status 200
	kill -9 "$WPID"
	{ wait "$WPID"; } 2>/dev/null
	start_witness
	post "$TMP/r"
	expect_status 409
	expect_eq "$BODY" "$(size_of "$TMP/cp2")"
}

# kill -9 at random points of a stream of requests: the state is always
# a checkpoint the log signed, never behind the last 200 answered, and
# the stream goes on from what the witness says it holds.
test_witness__kill_9_at_many_points_never_loses_a_cosignature() {
	archive
	witness
	local n=8 i j known=0 last200=0 round=0 want
	local -a sizes
	sizes[1]=$(size_of "$TMP/cp1")
	for i in $(seq 2 $n); do
		grow "cp$i"
		sizes[i]=$(size_of "$TMP/cp$i")
	done
	for i in $(seq 2 $n); do
		for j in $(seq 1 $((i - 1))); do
			consistency "cp$j" "cp$i"
		done
	done
	# the request from size `known` to checkpoint i
	request() {
		local k from=""
		for k in $(seq 1 $n); do
			[ "${sizes[k]}" = "$known" ] && from=cp$k
		done
		if [ "$known" = 0 ]; then
			body "$TMP/req" 0 "" "$TMP/cp$1"
		else
			body "$TMP/req" "$known" "$TMP/c-$from-cp$1" "$TMP/cp$1"
		fi
	}
	# the next checkpoint above `known`
	next() {
		local k
		for k in $(seq 1 $n); do
			[ "${sizes[k]}" -gt "$known" ] && { echo "$k"; return; }
		done
		echo 0
	}
	# 16 rounds: the next checkpoint, or once all are cosigned a replay
	# of the last request; killed after 0 to 9 ms (even rounds: while
	# the request is on its way or being judged) or 0 to 99 ms
	local killed=0 answered=0
	while [ $round -lt 16 ]; do
		round=$((round + 1))
		start_witness
		i=$(next)
		if [ "$i" != 0 ]; then
			request "$i"
		else
			i=$n
		fi
		( post "$TMP/req"; echo "$STATUS $CURL_RC $BODY" >"$TMP/answer" ) &
		local client=$!
		if [ $((round % 2)) = 0 ]; then
			sleep "0.00$((RANDOM % 10))"
		else
			sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		fi
		kill -9 "$WPID" 2>/dev/null
		wait "$client"
		{ wait "$WPID"; } 2>/dev/null
		read -r STATUS rc BODY <"$TMP/answer" || true
		# killed between the status line and the end of the body: curl
		# got a 200 but not all of it (exit 18), which is no answer
		[ "$STATUS" = 200 ] && [ "$rc" != 0 ] && STATUS=000
		case $STATUS in
		200) check_cosignature "$BODY" "$TMP/cp$i"
			known=${sizes[i]}; last200=$known
			answered=$((answered + 1)) ;;
		409) known=$BODY; answered=$((answered + 1)) ;;
		000) killed=$((killed + 1)) ;; # killed before it answered
		*) fail "round $round: HTTP $STATUS $BODY" ;;
		esac
		# the state: one of the log's checkpoints, not behind a 200
		want=$(held)
		if [ "$want" != none ]; then
			local ok=0 hs=${want% *} hr=${want#* }
			for j in $(seq 1 $n); do
				[ "${sizes[j]} $(root_of "$TMP/cp$j")" = "$hs $hr" ] && ok=1
			done
			[ $ok = 1 ] || fail "round $round: state $want is no checkpoint of the log"
			[ "$hs" -ge "$last200" ] || fail "round $round: state $hs behind the last 200 ($last200)"
		else
			[ "$last200" = 0 ] || fail "round $round: state lost"
		fi
	done
	# the stream reaches the end, with one last witness that is not killed
	start_witness
	while [ "$(next)" != 0 ]; do
		i=$(next)
		request "$i"
		post "$TMP/req"
		case $STATUS in
		200) known=${sizes[i]} ;;
		409) known=$BODY ;;
		*) fail "HTTP $STATUS $BODY" ;;
		esac
	done
	expect_eq "$(held)" "${sizes[n]} $(root_of "$TMP/cp$n")"
	# both kinds of kill happened: before an answer, and after one
	[ "$killed" -ge 1 ] && [ "$answered" -ge 1 ] ||
		fail "killed $killed times before an answer, $answered after"
	run witness evidence
	expect_out ""
}

# Requests for one origin at once: one wins, the others hear its size.
test_witness__concurrent_requests_for_one_origin_serialize() {
	archive
	witness
	local i n=8 wins=0
	for i in $(seq 2 $((n + 1))); do
		grow "cp$i"
		consistency cp1 "cp$i"
	done
	start_witness
	body "$TMP/r" 0 "" "$TMP/cp1"
	post "$TMP/r"
	expect_status 200
	for i in $(seq 2 $((n + 1))); do
		body "$TMP/r$i" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp$i" "$TMP/cp$i"
	done
	for i in $(seq 2 $((n + 1))); do
		curl -s -m 10 -o "$TMP/a$i" -w '%{http_code}' --data-binary \
			@"$TMP/r$i" "http://$ADDR/add-checkpoint" >"$TMP/s$i" &
	done
	wait_clients() { local p; for p in $(jobs -p); do [ "$p" = "$WPID" ] || wait "$p"; done; }
	wait_clients
	local winner=""
	for i in $(seq 2 $((n + 1))); do
		case $(cat "$TMP/s$i") in
		200) wins=$((wins + 1)); winner=$i
			check_cosignature "$(cat "$TMP/a$i")" "$TMP/cp$i" ;;
		409) ;;
		*) fail "request $i: $(cat "$TMP/s$i") $(cat "$TMP/a$i")" ;;
		esac
	done
	expect_eq "$wins" 1 "requests cosigned"
	for i in $(seq 2 $((n + 1))); do
		[ "$(cat "$TMP/s$i")" = 409 ] || continue
		expect_eq "$(cat "$TMP/a$i")" "$(size_of "$TMP/cp$winner")"
	done
	expect_eq "$(held)" "$(size_of "$TMP/cp$winner") $(root_of "$TMP/cp$winner")"
	# the same checkpoint from many clients at once: every one cosigned
	# or told the size, the state that checkpoint
	body "$TMP/same" "$(size_of "$TMP/cp$winner")" "" "$TMP/cp$winner"
	for i in $(seq 1 8); do
		curl -s -m 10 -o /dev/null -w '%{http_code}\n' --data-binary \
			@"$TMP/same" "http://$ADDR/add-checkpoint" >>"$TMP/same-codes" &
	done
	wait_clients
	expect_eq "$(sort -u "$TMP/same-codes")" 200
	expect_eq "$(held)" "$(size_of "$TMP/cp$winner") $(root_of "$TMP/cp$winner")"
}

test_witness__offline_cosign_shares_the_state() {
	archive
	witness
	grow cp2
	grow cp3
	consistency cp1 cp2
	consistency cp2 cp3
	run witness cosign "$TMP/cp1"
	expect_rc 0
	check_cosignature "$OUT" "$TMP/cp1"
	# from a custody consistency file, its old size taken from it
	run witness cosign "$TMP/cp2" --proof "$TMP/c-cp1-cp2" -o "$TMP/cosig2"
	expect_rc 0
	expect_out ""
	check_cosignature "$(cat "$TMP/cosig2")" "$TMP/cp2"
	# a rollback, offline
	run witness cosign "$TMP/cp1"
	expect_rc 1
	expect_err "custody: refused (409): this witness last cosigned size $(size_of "$TMP/cp2") of this log: give --old $(size_of "$TMP/cp2") and a proof from there"
	# --old that the proof file contradicts
	run witness cosign "$TMP/cp3" --old 1 --proof "$TMP/c-cp2-cp3"
	expect_rc 1
	expect_err "custody: $TMP/c-cp2-cp3 proves from size $(size_of "$TMP/cp2"), not from --old 1"
	# a plain list of hashes, as the HTTP body has them
	tail -n +4 "$TMP/c-cp2-cp3" >"$TMP/hashes"
	# the server sees what the offline cosign did
	start_witness
	body "$TMP/r" "$(size_of "$TMP/cp1")" "$TMP/c-cp1-cp2" "$TMP/cp2"
	post "$TMP/r"
	expect_status 409
	expect_eq "$BODY" "$(size_of "$TMP/cp2")"
	run witness cosign "$TMP/cp3" --old "$(size_of "$TMP/cp2")" --proof "$TMP/hashes"
	expect_rc 0
	check_cosignature "$OUT" "$TMP/cp3"
	post "$TMP/r"
	expect_status 409
	expect_eq "$BODY" "$(size_of "$TMP/cp3")"
	# a split view offline: refused, kept
	forge_checkpoint "$(size_of "$TMP/cp3")" "$(head -c 32 /dev/urandom | base64)" \
		>"$TMP/split" || fail "cannot sign"
	run witness cosign "$TMP/split" --old "$(size_of "$TMP/cp3")"
	expect_rc 1
	expect_err_has "custody: refused (422): the checkpoint of size $(size_of "$TMP/cp3") has another root"
	run witness evidence
	expect_out_has "same-size  $ORIGIN"
}

# Bytes no client should send: the server answers or drops the
# connection, and goes on serving.
test_witness__hostile_input_never_stops_the_server() {
	archive
	witness
	start_witness
	local port=${ADDR##*:} raw
	raw() { # raw BYTES: send them, print the status line
		(exec 3<>"/dev/tcp/127.0.0.1/$port"; printf "$1" >&3
			timeout 5 head -1 <&3) 2>/dev/null | tr -d '\r'
	}
	expect_eq "$(raw 'GARBAGE\r\n\r\n')" "HTTP/1.1 400 Bad Request"
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\n\r\n')" "HTTP/1.1 411 Length Required"
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n')" \
		"HTTP/1.1 413 Content Too Large"
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nold 0')" \
		"HTTP/1.1 400 Bad Request"
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" \
		"HTTP/1.1 501 Not Implemented"
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\nContent-Length: 3\r\n\r\n\0\0\0')" \
		"HTTP/1.1 400 Bad Request"
	# a head that never ends, then a body that never comes: timed out
	expect_eq "$(raw 'POST /add-checkpoint HTTP/1.1\r\nContent-Length: 10\r\n\r\nold')" \
		"HTTP/1.1 408 Request Timeout"
	head -c 9000 /dev/zero | tr '\0' x >"$TMP/long"
	expect_eq "$(raw "$(cat "$TMP/long")")" "HTTP/1.1 431 Request Header Fields Too Large"
	# random bytes, many times
	local i
	for i in $(seq 20); do
		head -c $((RANDOM % 3000)) /dev/urandom >"$TMP/junk"
		curl -s -m 5 -o /dev/null --data-binary @"$TMP/junk" \
			"http://$ADDR/add-checkpoint" || true
	done
	kill -0 "$WPID" || fail "the witness died"
	# at most 63 proof lines: 63 (wrong) hashes are judged, 64 are not
	body "$TMP/r" 0 "" "$TMP/cp1"
	post "$TMP/r"
	expect_status 200
	grow cp2
	for i in $(seq 64); do head -c 32 /dev/urandom | base64; done >"$TMP/h64"
	{ printf 'old %s\n' "$(size_of "$TMP/cp1")"; head -63 "$TMP/h64"
	  printf '\n'; cat "$TMP/cp2"; } >"$TMP/r63"
	post "$TMP/r63"
	expect_status 422
	{ printf 'old %s\n' "$(size_of "$TMP/cp1")"; cat "$TMP/h64"
	  printf '\n'; cat "$TMP/cp2"; } >"$TMP/r64"
	post "$TMP/r64"
	expect_status 400
	expect_eq "$BODY" "more than 63 consistency proof lines"
	# a checkpoint with 99 other signature lines is taken, 100 are not
	# (the witness adds its own, and a note holds at most 100)
	cp "$TMP/cp2" "$TMP/many"
	for i in $(seq 98); do
		printf '\xe2\x80\x94 other%s AAAAAAAA\n' "$i" >>"$TMP/many"
	done
	body "$TMP/r" "$(size_of "$TMP/cp2")" "" "$TMP/many"
	post "$TMP/r"
	expect_status 409
	printf '\xe2\x80\x94 other99 AAAAAAAA\n' >>"$TMP/many"
	body "$TMP/r" "$(size_of "$TMP/cp2")" "" "$TMP/many"
	post "$TMP/r"
	expect_status 400
	expect_eq "$BODY" "the checkpoint carries 100 signature lines, at most 99 are taken"
}

# A request line's method and target are visible ASCII: a NUL byte in
# them (which once cut "/add-checkpoint\0x" short to "/add-checkpoint"
# and had it cosigned) is a bad request, and nothing is cosigned.
test_witness__a_request_line_with_a_nul_byte_is_refused() {
	archive
	witness
	start_witness
	local port=${ADDR##*:}
	body "$TMP/r" 0 "" "$TMP/cp1"
	{ printf 'POST /add-checkpoint\0x HTTP/1.1\r\nContent-Length: %s\r\n\r\n' \
		"$(wc -c <"$TMP/r")"; cat "$TMP/r"; } >"$TMP/nul"
	expect_eq "$( (exec 3<>"/dev/tcp/127.0.0.1/$port"; cat "$TMP/nul" >&3
		timeout 5 head -1 <&3) 2>/dev/null | tr -d '\r')" \
		"HTTP/1.1 400 Bad Request"
	expect_eq "$(held)" "none"
	grep -q '^- - 400 bad request line$' "$TMP/w.err" || fail "$(cat "$TMP/w.err")"
	# the same body, asked properly, is cosigned from size 0
	post "$TMP/r"
	expect_status 200
}

test_witness__usage_help_and_errors() {
	local verb
	for verb in init trust logs serve cosign evidence; do
		run witness "$verb" --help
		expect_rc 0
		expect_out_has "usage: custody witness init NAME"
	done
	run witness
	expect_rc 2
	expect_err_has "custody: say init, trust, logs, serve, cosign, evidence, add, remove, quorum, policy or list"
	run witness frobnicate
	expect_rc 2
	run witness init
	expect_rc 2
	run witness serve
	expect_rc 2
	export CUSTODY_WITNESS_DIR=$TMP/nowhere
	run witness logs
	expect_rc 1
	expect_err "custody: $TMP/nowhere: no witness here (no config) (make one with \`custody witness init NAME\`, or name its folder with --state DIR or CUSTODY_WITNESS_DIR)"
	# --state wins over the variable
	run witness init "witness.test/$(basename "$TMP")" --state "$TMP/w2"
	expect_rc 0
	[ -f "$TMP/w2/config" ] || fail "no config in --state DIR"
	[ "$(stat -c %a "$TMP/w2")" = 700 ] || fail "state folder mode $(stat -c %a "$TMP/w2")"
	local key="$CUSTODY_KEY_DIR/witness/witness.test-$(basename "$TMP").key"
	[ "$(stat -c %a "$key")" = 600 ] || fail "key mode"
	grep -q 'ENCRYPTED PRIVATE KEY' "$key" || fail "key not encrypted"
	run witness init other.name --state "$TMP/w2"
	expect_rc 1
	expect_err "custody: $TMP/w2 holds the witness witness.test/$(basename "$TMP") already"
	run witness trust "$ORIGIN" 'not a vkey' --state "$TMP/w2"
	expect_rc 1
	run witness trust "$ORIGIN" "witness.example+00000000+BAAA" --state "$TMP/w2"
	expect_rc 1
	run witness serve --listen nonsense --state "$TMP/w2"
	expect_rc 2
	expect_err "custody: --listen wants ADDR:PORT (a port up to 65535), not 'nonsense'
Try 'custody witness --help'."
}

run_tests
