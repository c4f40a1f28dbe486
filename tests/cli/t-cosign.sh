#!/bin/bash
# The outlet's side of witnessing and the reader's: an archive names its
# witnesses (custody witness add, a policy entry in the log), custody
# cosign collects their cosignatures from real witness servers on
# 127.0.0.1 (custody witness serve, three of them, two outlets), proofs
# carry them, and custody check --policy requires them. A split view, a
# rollback, a replayed request, a witness restarted mid-way, cosignatures
# from the future or over another checkpoint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"

# outlet DIR ORIGIN: an archive of ORIGIN in DIR (one document), its
# outlet vkey in $TMP/DIR.vkey
outlet() {
	make_collection "$1"
	(cd "$1" && "$CUSTODY" init --origin "$2" >/dev/null 2>"$TMP/.e" &&
		"$CUSTODY" add . >/dev/null 2>>"$TMP/.e" &&
		"$CUSTODY" key export --outlet --vkey >"$TMP/$1.vkey") ||
		fail "outlet $1: $(cat "$TMP/.e")"
}

# witness_up N [PORT]: witness wN (state $TMP/wN, name wN.test/<test>)
# made if new, trusting every outlet vkey in $TMP/*.vkey, serving on
# PORT (default a free one); its URL in $TMP/wN.url, vkey in
# $TMP/wN.wkey, pid in $TMP/wN.pid
witness_up() {
	local n=$1 port=${2:-0} dir=$TMP/w$1 v i addr
	if [ ! -d "$dir" ]; then
		"$CUSTODY" witness init "w$n.test/$(basename "$TMP")" \
			--state "$dir" >"$TMP/w$n.init" 2>&1 ||
			fail "witness init: $(cat "$TMP/w$n.init")"
		sed -n 2p "$TMP/w$n.init" >"$TMP/w$n.wkey"
	fi
	for v in "$TMP"/*.vkey; do
		"$CUSTODY" witness trust "$(cut -d+ -f1 "$v")" "$v" \
			--state "$dir" >/dev/null || fail "trust $v"
	done
	: >"$TMP/w$n.out"
	"$CUSTODY" witness serve --listen "127.0.0.1:$port" --state "$dir" \
		>"$TMP/w$n.out" 2>>"$TMP/w$n.err" </dev/null &
	echo $! >"$TMP/w$n.pid"
	SERVERS+=("$!")
	for i in $(seq 200); do
		addr=$(sed -n 's|^witness .* listening on ||p' "$TMP/w$n.out")
		if [ -n "$addr" ]; then
			echo "$addr" >"$TMP/w$n.url"
			return 0
		fi
		sleep 0.05
	done
	fail "witness $n did not start: $(cat "$TMP/w$n.err")"
}

witness_down() {
	kill "$(cat "$TMP/w$1.pid")" 2>/dev/null
	wait "$(cat "$TMP/w$1.pid")" 2>/dev/null || true
}

# three witnesses serving; the outlets in the current folder's parent
# must exist first (they are trusted at start)
three_witnesses() {
	trap stop_servers EXIT
	export no_proxy='*'
	witness_up 1
	witness_up 2
	witness_up 3
}

# add_witnesses: the three in the current archive's policy
add_witnesses() {
	local n
	for n in 1 2 3; do
		run witness add "w$n" "$(cat "$TMP/w$n.url")" "$TMP/w$n.wkey"
		expect_rc 0
	done
}

# cosignature_ok LINE NOTE WKEY: LINE is a valid cosignature/v1 by WKEY
# over NOTE's checkpoint text, checked with Python's cryptography from
# the C2SP text alone
cosignature_ok() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
line, note, vkey = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
name, kid, key = vkey.strip().split("+", 2)
key = base64.b64decode(key)
assert key[0] == 4 and len(key) == 33
dash, lname, sig = line.split(" ")
assert dash == "\u2014" and lname == name, line
raw = base64.b64decode(sig)
assert len(raw) == 76 and raw[:4].hex() == kid
ts = int.from_bytes(raw[4:12], "big")
text = note[:note.index(b"\n\n") + 1]
Ed25519PublicKey.from_public_bytes(key[1:]).verify(
    raw[12:], b"cosignature/v1\ntime %d\n" % ts + text)
PY
}

# the checkpoint note of a proof file (after its first empty line and
# the tlog-proof's own)
proof_note() {
	"$PYTHON" -c '
import sys
data = open(sys.argv[1], "rb").read()
header, tlog = data.split(b"\n\n", 1)
sys.stdout.buffer.write(tlog.split(b"\n\n", 1)[1])' "$1"
}

test_cosign__three_witnesses_cosign_and_a_reader_checks_the_quorum() {
	outlet coll example.org/leaks
	three_witnesses
	cd coll
	add_witnesses
	expect_out "the policy is now entry 8 of the log; \`custody witness list\` shows it"
	run witness list
	expect_rc 0
	expect_out "w1  $(cat "$TMP/w1.url")  $(cat "$TMP/w1.wkey")
w2  $(cat "$TMP/w2.url")  $(cat "$TMP/w2.wkey")
w3  $(cat "$TMP/w3.url")  $(cat "$TMP/w3.wkey")
quorum: 2 of the witnesses"
	run policy export
	expect_rc 0
	expect_out "log $(cat "$TMP/coll.vkey")
witness w1 $(cat "$TMP/w1.wkey") $(cat "$TMP/w1.url")
witness w2 $(cat "$TMP/w2.wkey") $(cat "$TMP/w2.url")
witness w3 $(cat "$TMP/w3.wkey") $(cat "$TMP/w3.url")
group witnesses 2 w1 w2 w3
quorum witnesses"
	cp "$TMP/.out" "$TMP/policy"
	# the log records the policy, and the tree holds the same bytes
	expect_eq "$(entry_public .custody 8 | "$PYTHON" -c '
import sys, yaml; print(yaml.safe_load(sys.stdin)["policy"], end="")')" \
		"$(git --git-dir=.custody show main:tlog-policy)" "policy entry"
	before=$(head_of .custody)
	run cosign
	expect_rc 0
	size=$(git --git-dir=.custody show main:checkpoint | sed -n 2p)
	expect_eq "$size" 9 "size"
	expect_out_has "w1: cosigned at "
	expect_out_has "w3: cosigned at "
	expect_out_has "(proof from size 0)"
	expect_out_has "checkpoint of size 9: 3 cosignatures, quorum met; commit "
	# one commit, holding the checkpoint then one line per witness
	expect_eq "$(git --git-dir=.custody rev-parse main~1)" "$before" "one commit"
	git --git-dir=.custody show main:witnesses/9.checkpoint >"$TMP/cosigned"
	expect_eq "$(head -c "$(git --git-dir=.custody show main:checkpoint |
		wc -c)" "$TMP/cosigned" | sha256sum)" \
		"$(git --git-dir=.custody show main:checkpoint | sha256sum)" \
		"the outlet's note first"
	for n in 1 2 3; do
		line=$(grep "^— w$n.test/" "$TMP/cosigned") || fail "no w$n line"
		cosignature_ok "$line" "$TMP/cosigned" "$(cat "$TMP/w$n.wkey")" ||
			fail "w$n's cosignature does not verify"
	done
	run verify
	expect_rc 0
	# asked again, nobody is asked twice and nothing is written
	before=$(head_of .custody)
	run cosign
	expect_rc 0
	expect_out_has "w2: had cosigned it at "
	expect_out_has "checkpoint of size 9: 3 cosignatures, quorum met"
	expect_eq "$(head_of .custody)" "$before" "nothing new"
	# the proof carries them, and a reader with the policy checks them
	run proof memos/budget.txt -o "$TMP/p.proof"
	expect_rc 0
	proof_note "$TMP/p.proof" >"$TMP/p.note"
	cmp -s "$TMP/p.note" "$TMP/cosigned" || fail "the proof's checkpoint is not the cosigned one"
	cd "$TMP"
	run check coll/memos/budget.txt --proof p.proof --policy policy
	expect_rc 0
	expect_out_has "  signed by    $(ssh-keygen -lf /dev/stdin <<<"$(cd coll && "$CUSTODY" key export --outlet)" | cut -d' ' -f2), the log key of the policy"
	expect_out_has "  witnesses    3 of the policy's 3 cosigned it, quorum witnesses met"
	expect_out_has "  cosigned     by w1 at "
	expect_out_has "  cosigned     by w3 at "
	run check coll/memos/budget.txt --proof p.proof --policy policy --json
	expect_rc 0
	"$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)["witnesses"]
assert r["quorum"] == "witnesses" and r["quorum_met"] is True, r
assert [c["name"] for c in r["cosigned"]] == ["w1", "w2", "w3"], r
assert r["policy_witnesses"] == 3' <"$TMP/.out" || fail "json: $(cat "$TMP/.out")"
	# --key and --policy: one of them
	run check coll/memos/budget.txt --proof p.proof --policy policy --key coll.vkey
	expect_rc 2
}

test_cosign__a_quorum_not_met_fails_and_keeps_what_came() {
	outlet coll example.org/leaks
	three_witnesses
	cd coll
	add_witnesses
	run witness quorum all
	expect_rc 0
	witness_down 2
	witness_down 3
	run cosign
	expect_rc 1
	expect_out_has "w1: cosigned at "
	expect_err_has "custody: w2: $(cat "$TMP/w2.url")/add-checkpoint: "
	expect_err_has "custody: the checkpoint of size 10 has 1 cosignature, short of the quorum (witnesses)"
	expect_out_has "checkpoint of size 10: 1 cosignature, quorum NOT met; commit "
	git --git-dir=.custody show main:witnesses/10.checkpoint | grep -c '^— ' >"$TMP/n"
	expect_eq "$(cat "$TMP/n")" 2 "the outlet's line and w1's"
	run proof memos/budget.txt -o "$TMP/p.proof"
	expect_rc 0
	run policy export -o "$TMP/policy"
	expect_rc 0
	cd "$TMP"
	run check coll/memos/budget.txt --proof p.proof --policy policy
	expect_rc 1
	expect_err "custody: check failed at step 'cosignature': cosignatures: the checkpoint carries 1 valid cosignature by the policy's 3 witnesses, short of its quorum (witnesses): its witnesses have not vouched for it"
	run check coll/memos/budget.txt --proof p.proof --policy policy --json
	expect_rc 1
	expect_out_has '"failed_step":"cosignature"'
	# JSON for a script, with the reasons
	cd coll
	run cosign --json
	expect_rc 1
	"$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
assert r["format"] == "custody-cosign/v1" and r["quorum_met"] is False, r
w = {x["name"]: x for x in r["witnesses"]}
assert w["w1"]["result"] == "already", w
assert w["w2"]["result"] == "failed" and "add-checkpoint" in w["w2"]["error"], w' \
		<"$TMP/.out" || fail "json: $(cat "$TMP/.out")"
}

test_cosign__a_witness_restarted_mid_way_cosigns_later() {
	outlet coll example.org/leaks
	trap stop_servers EXIT
	export no_proxy='*'
	port=$(free_port)
	witness_up 1
	witness_up 2 "$port"
	witness_up 3
	cd coll
	add_witnesses
	witness_down 2
	run cosign
	expect_rc 0
	expect_out_has "checkpoint of size 9: 2 cosignatures, quorum met"
	# back on the same port, with the same state: asked alone, from 0
	witness_up 2 "$port"
	run cosign
	expect_rc 0
	expect_out_has "w1: had cosigned it at "
	expect_out_has "w2: cosigned at "
	expect_out_has "checkpoint of size 9: 3 cosignatures, quorum met"
	# the next checkpoint: each proof starts where each witness was
	echo more >more.txt
	run add more.txt
	expect_rc 0
	run cosign
	expect_rc 0
	expect_out_has "w2: cosigned at "
	expect_out_has "(proof from size 9)"
	run verify
	expect_rc 0
}

test_cosign__the_size_is_learnt_from_a_409() {
	outlet coll example.org/leaks
	trap stop_servers EXIT
	export no_proxy='*'
	port=$(free_port)
	witness_up 1 "$port"
	witness_up 2
	witness_up 3
	cd coll
	add_witnesses
	run cosign
	expect_rc 0
	"$CUSTODY" checkpoint >"$TMP/cp9"
	# w1 cosigns size 10 offline: the archive does not know
	echo more >more.txt
	run add more.txt
	"$CUSTODY" checkpoint >"$TMP/cp10"
	run consistency "$TMP/cp9" "$TMP/cp10" -o "$TMP/c"
	expect_rc 0
	witness_down 1
	run witness cosign "$TMP/cp10" --old 9 --proof "$TMP/c" --state "$TMP/w1"
	expect_rc 0
	witness_up 1 "$port"
	echo again >again.txt
	run add again.txt
	run cosign
	expect_rc 0
	# w1 was asked from 9, answered 409 with 10, and cosigned from 10
	expect_out_has "w1: cosigned at "
	grep -q "^w1: cosigned at .* (proof from size 10)$" "$TMP/.out" ||
		fail "$(cat "$TMP/.out")"
	grep -q "^w2: cosigned at .* (proof from size 9)$" "$TMP/.out" ||
		fail "$(cat "$TMP/.out")"
	expect_eq "$(CUSTODY_WITNESS_DIR=$TMP/w1 json witness logs --json |
		"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["logs"][0]["size"])')" \
		11 "w1's state"
}

# A 409 whose body is not one size (c2sp.org/tlog-witness: decimal,
# then a newline) is the witness's answer, not a size to ask again
# from; once "1 cosigned already" was read as 1 and asked from.
test_cosign__a_409_body_that_is_not_a_size_is_refused() {
	outlet coll example.org/leaks
	trap stop_servers EXIT
	export no_proxy='*'
	witness_up 1
	local port url body
	url=$(cat "$TMP/w1.url")
	port=${url##*:}
	witness_down 1
	cd coll
	run witness add w1 "$url" "$TMP/w1.wkey"
	expect_rc 0
	cd "$TMP"
	for body in '1 cosigned already\n' '18446744073709551616\n' '01\n'; do
		"$PYTHON" - "$port" "$body" <<'PY' &
import http.server, sys
body = sys.argv[2].replace("\\n", "\n").encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(409)
        self.send_header("Content-Type", "text/x.tlog.size")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
		SERVERS+=("$!")
		wait_port "$port" "$!" || fail "the 409 server did not start"
		cd coll
		run cosign
		expect_rc 1
		expect_err_has "custody: w1: $url/add-checkpoint answered HTTP 409: ${body%\\n}"
		cd "$TMP"
		kill "$!" 2>/dev/null
		wait "$!" 2>/dev/null || true
	done
}

test_cosign__a_split_view_is_refused_kept_and_fails_the_reader() {
	outlet coll example.org/leaks
	three_witnesses
	cd coll
	add_witnesses
	run cosign
	expect_rc 0
	run policy export -o "$TMP/policy"
	cd "$TMP"
	# the same outlet (same key) keeps a second history from here
	cp -a coll fork
	(cd coll && echo public >public.txt && "$CUSTODY" add public.txt &&
		"$CUSTODY" cosign) >"$TMP/a.out" 2>&1 || fail "$(cat "$TMP/a.out")"
	cd fork
	echo other >court.txt
	run add court.txt
	expect_rc 0
	expect_eq "$(git --git-dir=.custody show main:checkpoint | sed -n 2p)" \
		"$(git --git-dir=../coll/.custody show main:checkpoint | sed -n 2p)" \
		"same size"
	before=$(head_of .custody)
	run cosign
	expect_rc 1
	expect_err_has "answered HTTP 422"
	expect_err_has "custody: the checkpoint of size 10 has 0 cosignatures, short of the quorum (witnesses)"
	expect_eq "$(head_of .custody)" "$before" "nothing stored"
	# every witness kept both signed checkpoints
	for n in 1 2 3; do
		CUSTODY_WITNESS_DIR=$TMP/w$n json witness evidence --json \
			>"$TMP/ev" || fail "evidence $n"
		"$PYTHON" -c '
import json, sys
e = json.load(sys.stdin)["evidence"]
assert len(e) == 1 and e[0]["origin"] == "example.org/leaks", e' <"$TMP/ev" ||
			fail "witness $n: $(cat "$TMP/ev")"
	done
	# a reader handed the other history's proof: signed by the outlet,
	# but no witness vouches for it
	run proof court.txt -o "$TMP/court.proof"
	expect_rc 0
	cd "$TMP"
	run check fork/court.txt --proof court.proof --key coll.vkey
	expect_rc 0
	run check fork/court.txt --proof court.proof --policy policy
	expect_rc 1
	expect_err_has "step 'cosignature': cosignatures: the checkpoint carries 0 valid cosignatures by the policy's 3 witnesses, short of its quorum"
	# the public history's proof passes
	(cd coll && "$CUSTODY" proof public.txt -o "$TMP/public.proof") ||
		fail "proof"
	run check coll/public.txt --proof public.proof --policy policy
	expect_rc 0
}

test_cosign__rollback_and_replay_get_nothing() {
	outlet coll example.org/leaks
	three_witnesses
	cd coll
	add_witnesses
	"$CUSTODY" checkpoint >"$TMP/cp9"
	run cosign
	expect_rc 0
	# the request custody sent for size 9, replayed after the log grew
	printf 'old 0\n\n' >"$TMP/body9"
	cat "$TMP/cp9" >>"$TMP/body9"
	echo more >more.txt
	run add more.txt
	run cosign
	expect_rc 0
	"$CUSTODY" checkpoint >"$TMP/cp10"
	curl -s -o "$TMP/b" -w '%{http_code}' --data-binary @"$TMP/body9" \
		"$(cat "$TMP/w1.url")/add-checkpoint" >"$TMP/code"
	expect_eq "$(cat "$TMP/code")" 409 "replay"
	expect_eq "$(cat "$TMP/b")" 10 "the size it holds"
	# a rollback: the old checkpoint, from the size the witness holds
	printf 'old 10\n\n' >"$TMP/body"
	cat "$TMP/cp9" >>"$TMP/body"
	curl -s -o "$TMP/b" -w '%{http_code}' --data-binary @"$TMP/body" \
		"$(cat "$TMP/w2.url")/add-checkpoint" >"$TMP/code"
	expect_eq "$(cat "$TMP/code")" 400 "rollback"
	run witness logs --state "$TMP/w2"
	expect_out_has "example.org/leaks  size 10  $(sed -n 3p "$TMP/cp10")"
}

test_cosign__two_outlets_share_three_witnesses() {
	outlet a example.org/a
	outlet b example.net/b
	three_witnesses
	for o in a b; do
		(cd "$o" && for n in 1 2 3; do
			"$CUSTODY" witness add "w$n" "$(cat "$TMP/w$n.url")" \
				"$TMP/w$n.wkey" || exit 1
		done && "$CUSTODY" cosign && "$CUSTODY" policy export \
			-o "$TMP/$o.policy" && "$CUSTODY" proof memos/budget.txt \
			-o "$TMP/$o.proof") >"$TMP/$o.log" 2>&1 ||
			fail "$o: $(cat "$TMP/$o.log")"
	done
	run check a/memos/budget.txt --proof a.proof --policy a.policy
	expect_rc 0
	run check b/memos/budget.txt --proof b.proof --policy b.policy
	expect_rc 0
	run check b/memos/budget.txt --proof b.proof --policy a.policy
	expect_rc 1
	expect_err "custody: check failed at step 'policy': policy: it names no log of origin example.net/b, the proof's; is it this outlet's policy?"
	run witness logs --state "$TMP/w3"
	expect_out_has "example.org/a  size 9"
	expect_out_has "example.net/b  size 9"
}

# a policy of the real witnesses plus one whose key the test holds
# ($TMP/fake.key, Ed25519 raw seed), and a cosignature by it with
# TIMESTAMP over TEXTFILE's checkpoint text, appended to the proof
forge_cosignature() {
	"$PYTHON" - "$@" <<'PY'
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
mode, proof, textfrom, ts, policy_in, policy_out = sys.argv[1:7]
ts = int(ts)
sk = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"fake").digest())
pub = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                   serialization.PublicFormat.Raw)
name = b"fake.test/w"
kid = hashlib.sha256(name + b"\n\x04" + pub).digest()[:4]
src = open(textfrom, "rb").read()
text = src[:src.index(b"\n\n") + 1]
sig = sk.sign(b"cosignature/v1\ntime %d\n" % ts + text)
line = "\u2014 ".encode() + name + b" " + base64.b64encode(kid + ts.to_bytes(8, "big") + sig) + b"\n"
data = open(proof, "rb").read()
open(proof, "wb").write(data + line)
vkey = name + b"+" + kid.hex().encode() + b"+" + base64.b64encode(b"\x04" + pub)
pol = open(policy_in, "rb").read().split(b"\n")
out = []
for l in pol:
    if l.startswith(b"group witnesses"):
        out.append(b"witness fake " + vkey)
        l = l.replace(b"group witnesses 2", b"group witnesses 4") + b" fake"
    out.append(l)
open(policy_out, "wb").write(b"\n".join(out))
PY
}

test_cosign__cosignatures_from_the_future_or_over_another_checkpoint() {
	outlet coll example.org/leaks
	three_witnesses
	cd coll
	git --git-dir=.custody show main:checkpoint >"$TMP/old-cp"
	add_witnesses
	run cosign
	expect_rc 0
	run proof memos/budget.txt -o "$TMP/p.proof"
	run policy export -o "$TMP/policy"
	cd "$TMP"
	proof_note p.proof >p.note
	now=$(date +%s)
	# by a witness the policy does not name: ignored
	cp p.proof unknown.proof
	forge_cosignature x unknown.proof p.note "$now" policy /dev/null
	run check coll/memos/budget.txt --proof unknown.proof --policy policy
	expect_rc 0
	# named, and an hour ahead of this clock
	cp p.proof future.proof
	forge_cosignature x future.proof p.note $((now + 3600)) policy policy4
	run check coll/memos/budget.txt --proof future.proof --policy policy4
	expect_rc 1
	expect_err_has "step 'cosignature': cosignatures: the cosignature of witness fake is dated $((now + 3600)), "
	expect_err_has "a cosignature from the future is refused"
	# named, valid, now: all four, the quorum of four met
	cp p.proof good.proof
	forge_cosignature x good.proof p.note "$now" policy policy4
	run check coll/memos/budget.txt --proof good.proof --policy policy4
	expect_rc 0
	expect_out_has "  witnesses    4 of the policy's 4 cosigned it"
	# named, over another checkpoint (the one before the policy changed)
	cp p.proof other.proof
	forge_cosignature x other.proof old-cp "$now" policy policy4
	run check coll/memos/budget.txt --proof other.proof --policy policy4
	expect_rc 1
	expect_err_has "step 'cosignature': cosignatures: the cosignature of witness fake: "
	expect_err_has "does not verify (a cosignature over another checkpoint, or forged)"
}

test_cosign__timestamp_and_cosignatures_in_one_proof() {
	mkdir pki
	sh "$SRCDIR/tests/data/tsa/make-pki.sh" "$TMP/pki" >/dev/null 2>&1 ||
		fail "cannot make the PKI"
	outlet coll example.org/leaks
	three_witnesses
	mkfifo "$TMP/tsa.in"
	"$PYTHON" "$SRCDIR/tests/interop/tsa-server.py" --key "$TMP/pki/tsa.key" \
		--cert "$TMP/pki/tsa.pem" --config "$TMP/pki/tsa.cnf" \
		<"$TMP/tsa.in" >"$TMP/port" 2>"$TMP/tsa.err" &
	SERVERS+=("$!")
	exec 7>"$TMP/tsa.in"
	for i in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
	cd coll
	add_witnesses
	run timestamp request --tsa "http://127.0.0.1:$(head -1 "$TMP/port")/" \
		--tsa-ca "$TMP/pki/ca.pem"
	expect_rc 0
	run cosign
	expect_rc 0
	run proof memos/budget.txt -o "$TMP/p.proof"
	run policy export -o "$TMP/policy"
	exec 7>&-
	cd "$TMP"
	run check coll/memos/budget.txt --proof p.proof --policy policy --tsa-ca pki/ca.pem
	expect_rc 0
	expect_out_has "  witnesses    3 of the policy's 3 cosigned it"
	expect_out_has "by an RFC 3161 timestamp from "
	# openssl agrees the token covers the note without the cosignatures
	proof_note p.proof | grep -v '^— w[123].test/' >stripped
	sed -n 's/^timestamp //p' p.proof | base64 -d >token.tsr
	openssl ts -verify -data stripped -in token.tsr -token_in \
		-CAfile pki/ca.pem >/dev/null 2>&1 || fail "openssl ts -verify"
}

test_cosign__policy_changes_are_checked_and_refusals_change_nothing() {
	outlet coll example.org/leaks
	cd coll
	"$CUSTODY" witness init "w1.test/$(basename "$TMP")" --state "$TMP/w1" \
		>"$TMP/w1.init" 2>&1 || fail "init"
	wkey=$(sed -n 2p "$TMP/w1.init")
	before=$(head_of .custody)
	run cosign
	expect_rc 1
	expect_err_has "has no witness to ask; add them with \`custody witness add NAME URL VKEY\`"
	run witness add w1 ftp://x "$wkey"
	expect_rc 2
	expect_err "custody: URL 'ftp://x' must start with https:// or http://
Try 'custody witness --help'."
	run witness add w1 http://127.0.0.1:9 "$(cat "$TMP/coll.vkey")"
	expect_rc 1
	expect_err_has "custody: witness key: "
	run witness add w1 http://127.0.0.1:9 "$wkey" --quorum 2
	expect_rc 1
	expect_err "custody: a quorum of 2 witnesses, but the policy has 1"
	run witness add w1 http://127.0.0.1:9 "$wkey" --quorum stolen
	expect_rc 2
	expect_err_has "custody: --quorum wants any, all, majority or a number of witnesses, not 'stolen'"
	run witness remove w9
	expect_rc 1
	expect_err "custody: the policy has no witness named 'w9' (\`custody witness list\` shows them)"
	expect_eq "$(head_of .custody)" "$before" "nothing written"
	run policy export
	expect_out "log $(cat "$TMP/coll.vkey")
quorum none"
	run witness add w1 http://127.0.0.1:9 "$wkey"
	expect_rc 0
	run witness add w1 http://127.0.0.1:9 "$wkey"
	expect_rc 1
	expect_err "custody: the policy already has a witness or group named 'w1'"
	run log
	expect_out_has "policy   witnesses now w1 (quorum: 1 of them)"
	# a policy of one's own, then edits refused on it
	{ echo "log $(cat "$TMP/coll.vkey")"; echo "witness w1 $wkey"
	  echo "group g any w1"; echo "quorum g"; } >"$TMP/own"
	run witness policy "$TMP/own"
	expect_rc 0
	run witness quorum all
	expect_rc 1
	expect_err_has "was given whole (\`custody witness policy\`) and has groups of its own"
	{ echo "log example.org/other+00000000+AAAA"; echo "quorum none"; } >"$TMP/bad"
	run witness policy "$TMP/bad"
	expect_rc 1
	run witness remove w1
	expect_rc 1
	run verify
	expect_rc 0
	# tlog-policy changed without a policy entry: verify says so
	git --git-dir=.custody show main:tlog-policy >"$TMP/p"
	echo "# edited" >>"$TMP/p"
	blob=$(git --git-dir=.custody hash-object -w "$TMP/p")
	git --git-dir=.custody read-tree main
	git --git-dir=.custody update-index --cacheinfo 100644 "$blob" tlog-policy
	tree=$(git --git-dir=.custody write-tree)
	commit=$(git --git-dir=.custody -c gpg.format=ssh \
		-c user.signingkey="$TESTER_SSH_KEY" -c user.name=t \
		-c user.email=t@t commit-tree -S -p main -m edit "$tree")
	git --git-dir=.custody update-ref refs/heads/main "$commit"
	rm -f .custody/index
	tampered
	run verify
	expect_rc 1
	expect_out_has "tlog-policy is not the policy that the log's last policy entry records"
}

run_tests
