#!/bin/bash
# custody dkim: messages signed here by libopendkim's own signer
# (tests/cli/dkim-sign.c) with RSA and Ed25519 in every canonicalisation,
# key records served by a dnsmasq on 127.0.0.1, verified by custody and
# by dkimpy from the archived record; the negatives of issue 20; the
# recheck from evidence after the DNS server is gone.
# Under ASan, whole stacks: the test signer meets libopendkim's known
# leak (tests/sanitizer/lsan.supp), whose OpenSSL parts only a whole
# stack ties to it.
WHOLE_STACKS=1
. "$(dirname "$0")/lib.sh"

: "${DKIM_SIGN:=$BUILDDIR/tests/cli/dkim-sign}"

# keys: ed.pem, rsa.pem, and their key records' p= values
make_keys() {
	openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null
	openssl genrsa -out rsa.pem 2048 2>/dev/null
	openssl genrsa -out weak.pem 768 2>/dev/null
	ED=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
	RSA=$(openssl rsa -in rsa.pem -pubout -outform DER 2>/dev/null | base64 -w0)
	WEAK=$(openssl rsa -in weak.pem -pubout -outform DER 2>/dev/null | base64 -w0)
	printf 'From: Joe <joe@example.org>\r\nTo: Sue <sue@example.net>\r\nSubject: the  budget\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n\r\nThe numbers  are \r\nattached.\r\n\r\n\r\n' >plain.eml
}

# start_dns RECORD...: a dnsmasq on 127.0.0.1 serving each
# "NAME,TEXT" TXT record (a long TEXT cut into strings of 200 bytes);
# PORT is its port, stopped when the test's shell ends
start_dns() {
	local args=() r name text cut
	for r in "$@"; do
		name=${r%%,*}
		text=${r#*,}
		cut=""
		while [ ${#text} -gt 200 ]; do
			cut+="${text:0:200},"
			text=${text:200}
		done
		args+=(--txt-record="$name,$cut$text")
	done
	for _ in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 30000))
		dnsmasq --keep-in-foreground --port="$PORT" \
			--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
			--no-hosts --conf-file=/dev/null --pid-file= \
			--local=/example.org/ \
			"${args[@]}" >"$TMP/dnsmasq.log" 2>&1 &
		DNS_PID=$!
		sleep 0.5
		if kill -0 "$DNS_PID" 2>/dev/null; then
			trap 'kill "$DNS_PID" 2>/dev/null || true' EXIT
			return 0
		fi
	done
	fail "dnsmasq does not start: $(cat "$TMP/dnsmasq.log")"
}

records() {
	start_dns "ed._domainkey.example.org,v=DKIM1; k=ed25519; p=$ED" \
		"rsa._domainkey.example.org,v=DKIM1; k=rsa; p=$RSA" \
		"weak._domainkey.example.org,v=DKIM1; k=rsa; p=$WEAK" \
		"gone._domainkey.example.org,v=DKIM1; k=rsa; p=" \
		"bad._domainkey.example.org,v=DKIM1; k=rsa; p=%%%notbase64" \
		"edasrsa._domainkey.example.org,v=DKIM1; k=rsa; p=$RSA"
}

sign() { # sign KEY SELECTOR CANON ALG [TTL] < MSG
	"$DKIM_SIGN" "$1" "$2" example.org "$3" "$4" ${5:+"$5"}
}

test_dkim__every_canonicalisation_verifies_by_custody_and_dkimpy() {
	make_keys
	records
	local c alg key sel n=0
	for c in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
		for alg in rsa-sha256 ed25519-sha256; do
			key=rsa.pem sel=rsa
			[ "$alg" = ed25519-sha256 ] && key=ed.pem sel=ed
			n=$((n + 1))
			sign "$key" "$sel" "$c" "$alg" <plain.eml >"m$n.eml"
			run dkim "m$n.eml" --resolver "127.0.0.1:$PORT" -o "m$n.ev"
			expect_rc 0
			contains "$OUT" "m$n.eml: pass (keys observed " ||
				fail "$c $alg: $OUT"
			expect_out_has "  d=example.org s=$sel a=$alg: pass"
			grep -qx "canonicalization $c" "m$n.ev" || fail "$c not kept"
			grep -qx "key-source dns" "m$n.ev" || fail "source"
			grep -qx "resolver 127.0.0.1:$PORT" "m$n.ev" || fail "resolver"
			expect_eq "$("$PYTHON" "$SRCDIR/tests/cli/dkim-verify.py" \
				"m$n.eml" "m$n.ev")" pass "dkimpy on $c $alg"
		done
	done
	# LF line ends, as most .eml files have, are read as CRLF
	tr -d '\r' <m1.eml >lf.eml
	run dkim lf.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
}

test_dkim__json_gives_verdict_and_findings() {
	make_keys
	records
	sign ed.pem ed relaxed/relaxed ed25519-sha256 <plain.eml >m.eml
	run dkim m.eml --resolver "127.0.0.1:$PORT" --json
	expect_rc 0
	expect_out_has '"format":"custody-dkim/v1","messages":[{"file":"m.eml","verdict":"pass"'
	expect_out_has '"signatures":[{"result":"pass","finding":"d=example.org s=ed a=ed25519-sha256: pass"}],"unsigned_headers":""}]}'
}

test_dkim__check_reverifies_from_the_evidence_after_dns_is_gone() {
	make_keys
	records
	sign rsa.pem rsa relaxed/simple rsa-sha256 3 <plain.eml >m.eml
	run dkim m.eml --resolver "127.0.0.1:$PORT" -o m.ev
	expect_rc 0
	kill "$DNS_PID"
	# x= passes now, but it had not at the observation time
	sleep 4
	run dkim check m.eml --evidence m.ev
	expect_rc 0
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: pass"
	expect_out_has "This proves: the key the signing domain published in DNS, as observed at "
	expect_out_has "It does not prove who wrote the message,"
	run dkim check m.eml --evidence m.ev --json
	expect_rc 0
	expect_out_has '"format":"custody-dkim-check/v1","evidence":"m.ev","message":{"file":"m.eml","verdict":"pass"'
	# the same evidence does not fit a changed message
	sed 's/attached/attacked/' m.eml >changed.eml
	run dkim check changed.eml --evidence m.ev
	expect_rc 1
	expect_err_has "custody: changed.eml: m.ev: the message's SHA-256 is "
	expect_out ""
	# evidence is text: a NUL would hide what follows it
	{ head -c 20 m.ev; printf '\0'; tail -c +21 m.ev; } >nul.ev
	run dkim check m.eml --evidence nul.ev
	expect_rc 1
	expect_err "custody: nul.ev: byte 21 is a NUL byte: not DKIM evidence (custody-dkim/v1 is text)"
	expect_out ""
	# empty evidence says so, naming no line
	: >empty.ev
	run dkim check m.eml --evidence empty.ev
	expect_rc 1
	expect_err "custody: m.eml: empty.ev: DKIM evidence: empty, not what custody writes (custody-dkim/v1)"
}

test_dkim__negatives_say_exactly_what_failed() {
	make_keys
	records
	local r="127.0.0.1:$PORT"
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >m.eml
	# a body byte changed
	sed 's/numbers/Numbers/' m.eml >body.eml
	run dkim body.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: fail (the body hash does not match: the body changed)"
	# a signed header changed
	sed 's/^Subject: the  budget/Subject: the  budgets/' m.eml >subject.eml
	run dkim subject.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: fail (the signature does not verify: a signed header changed, or another key signed it)"
	# a From: added on top after signing: the signature holds, the
	# unsigned From: is reported
	{ printf 'From: Mallory <m@example.com>\r\n'; cat m.eml; } >top.eml
	run dkim top.eml --resolver "$r"
	expect_rc 0
	expect_out_has "  not signed: from(top)"
	# a revoked key (p= empty)
	sign rsa.pem gone relaxed/relaxed rsa-sha256 <plain.eml >gone.eml
	run dkim gone.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=gone a=rsa-sha256: revoked (the key record's p= is empty: the key is revoked)"
	# an Ed25519 signature, an RSA key record
	sign ed.pem edasrsa relaxed/relaxed ed25519-sha256 <plain.eml >alg.eml
	run dkim alg.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=edasrsa a=ed25519-sha256: permerror ("
	# x= passed
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 1 <plain.eml >x.eml
	sleep 2
	run dkim x.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: expired (x= had passed at the observation time)"
	# a malformed TXT record
	sign rsa.pem bad relaxed/relaxed rsa-sha256 <plain.eml >bad.eml
	run dkim bad.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=bad a=rsa-sha256: permerror ("
	# no such record
	sign rsa.pem none relaxed/relaxed rsa-sha256 <plain.eml >none.eml
	run dkim none.eml --resolver "$r"
	expect_rc 1
	expect_out_has "  d=example.org s=none a=rsa-sha256: nokey ("
	# a 768-bit key verifies, weak
	sign weak.pem weak relaxed/relaxed rsa-sha256 <plain.eml >weak.eml
	run dkim weak.eml --resolver "$r"
	expect_rc 1
	expect_out_has "weak.eml: weak (keys observed "
	expect_out_has "  d=example.org s=weak a=rsa-sha256: weak (the key is shorter than 1024 bits)"
}

test_dkim__a_dns_that_does_not_answer_is_a_temperror() {
	make_keys
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >m.eml
	# nothing listens on this port: the lookup fails, quickly
	CUSTODY_RESOLVER=127.0.0.1:9 run dkim m.eml -o m.ev
	expect_rc 1
	expect_out_has "m.eml: temperror (keys observed "
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: temperror (the DNS server did not answer, or answered with an error)"
	grep -qx "key-status temperror" m.ev || fail "the failed lookup is not kept"
	grep -qx "key-rdata -" m.ev || fail "rdata"
}

test_dkim__hostile_messages_are_refused_and_nothing_written() {
	make_keys
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >one.eml
	local i
	: >fifty.eml
	for i in $(seq 50); do head -5 one.eml | sed -n '/^DKIM/,/^From/p' |
		sed '$d' >>fifty.eml; done
	sed -n '/^From/,$p' one.eml >>fifty.eml
	run dkim fifty.eml --resolver 127.0.0.1:9 -o f.ev
	expect_rc 1
	expect_err "custody: fifty.eml: 50 DKIM-Signature headers, more than the 16 custody checks"
	[ ! -e f.ev ] || fail "evidence written for a refused message"
	printf 'From: a\r\nX: \0\r\n\r\nbody\r\n' >nul.eml
	run dkim nul.eml --resolver 127.0.0.1:9
	expect_rc 1
	expect_err "custody: nul.eml: byte 12: a NUL byte, which no RFC 5322 message holds"
	{ printf 'Subject: x\r\n'; yes ' more' | head -20000; printf '\r\nbody\r\n'; } >long.eml
	run dkim long.eml --resolver 127.0.0.1:9
	expect_rc 1
	expect_err_has "custody: long.eml: byte 0: one header of "
	printf 'From someone Fri Dec  4 10:00:00 2026\nFrom: a\n\nx\n' >box.eml
	run dkim box.eml --resolver 127.0.0.1:9
	expect_rc 1
	expect_err 'custody: box.eml: byte 0: a line that is neither a header nor a continuation line (an mbox "From " line: a mailbox, not one message)'
}

G=.custody

# an archive in mail/ holding m1.eml (RSA) and m2.eml (Ed25519), signed
# here, registered by one add (entries 1 and 2)
mail_archive() {
	make_keys
	records
	mkdir mail
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >mail/m1.eml
	sign ed.pem ed simple/simple ed25519-sha256 <plain.eml >mail/m2.eml
	cd mail
	run init --origin example.org/mail
	expect_rc 0
	run add m1.eml m2.eml
	expect_rc 0
}

commits() { git --git-dir=$G rev-list --count main; }

test_dkim__records_one_entry_per_message_in_one_commit() {
	mail_archive
	local before leaf e
	before=$(commits)
	run dkim m1.eml m2.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
	expect_out_has "m1.eml: pass (keys observed "
	expect_out_has "  d=example.org s=rsa a=rsa-sha256: pass
  recorded: dkim entry 3"
	expect_out_has "  d=example.org s=ed a=ed25519-sha256: pass
  recorded: dkim entry 4"
	expect_out_has "recorded 2 dkim entries, commit "
	expect_eq "$(commits)" $((before + 1)) "commits"
	e=$(entry_public $G 3)
	contains "$e" 'type: "dkim"' || fail "$e"
	contains "$e" 'message: 1' || fail "$e"
	leaf=$( { printf '\0'; entry_public $G 1; } | sha256sum | cut -c1-64)
	contains "$e" "message_leaf: \"$leaf\"" ||
		fail "message_leaf is not entry 1's leaf hash: $e"
	contains "$e" 'verdict: "pass"' || fail "$e"
	contains "$e" "key-source dns\\nkey-time " || fail "$e"
	contains "$e" "resolver 127.0.0.1:$PORT\\n" || fail "$e"
	contains "$e" "canonicalization relaxed/relaxed\\n" || fail "$e"
	contains "$(entry_public $G 4)" 'message: 2' || fail "entry 4"
	# only the actor (and a note) are private
	expect_eq "$(entry_private $G 3 | grep -c '^[a-z_-]*:')" 5 \
		"private keys of a dkim entry"
	run verify
	expect_rc 0
	# the evidence in the entry verifies by dkimpy too
	"$PYTHON" -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(sys.stdin)["evidence"])' \
		< <(entry_public $G 4) >m2.ev
	expect_eq "$("$PYTHON" "$SRCDIR/tests/cli/dkim-verify.py" m2.eml m2.ev)" \
		pass "dkimpy on the archived evidence"
	run log --json
	expect_rc 0
	expect_out_has '"type":"dkim",'
	expect_out_has ',"message":2,"message_leaf":"'
	run log -n 1
	expect_rc 0
	expect_out_has " dkim     pass for #2  keys observed "
	expect_out_has "
         d=example.org s=ed a=ed25519-sha256: pass"
	run log m1.eml
	expect_rc 0
	expect_out_has "m1.eml: DKIM pass (keys observed then; entry 1 registered it)  [entry 3, by tester]"
	run log m1.eml --json
	expect_rc 0
	expect_out_has '{"kind":"dkim","entry":3,'
	run report m1.eml -o "$TMP/report.html"
	expect_rc 0
	grep -q 'DKIM checked: pass (keys observed at this time)' \
		"$TMP/report.html" || fail "the report does not show the verdict"
	run dkim m1.eml --resolver "127.0.0.1:$PORT" --json --note 'first look'
	expect_rc 0
	expect_out_has '"entry":5}],"commit":"'
	contains "$(entry_private $G 5)" 'note: "first look"' || fail "note"
}

test_dkim__a_failed_verdict_is_recorded_too() {
	mail_archive
	sed 's/numbers/Numbers/' m1.eml >body.eml
	run add body.eml
	expect_rc 0
	run dkim body.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_out_has "body.eml: fail (keys observed "
	expect_out_has "  recorded: dkim entry 4"
	contains "$(entry_public $G 4)" 'verdict: "fail"' || fail "entry 4"
	run dkim check body.eml
	expect_rc 1
	expect_out_has "  dkim entry 4 recorded: fail"
	expect_out_has "Not every message passed."
}

test_dkim__refusals_record_nothing() {
	mail_archive
	local before
	snapshot $G >"$TMP/before"
	# not registered
	sign ../rsa.pem rsa relaxed/relaxed rsa-sha256 <../plain.eml >new.eml
	run dkim m1.eml new.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_err_has "custody: "
	expect_err_has "new.eml"
	expect_out ""
	# changed since it was registered (stored content is checked, so
	# the stored copy wins; a --no-store registration reads the file)
	run add --no-store new.eml
	expect_rc 0
	snapshot $G >"$TMP/before"
	echo 'tail' >>new.eml
	run dkim new.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_err_has "custody: new.eml: not the message entry 3 registered (its SHA-256 differs)"
	snapshot $G >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || fail "the archive changed"
	# a hostile message, registered: refused whole, with the good one
	printf 'From: a\r\nX: \0\r\n\r\nbody\r\n' >nul.eml
	run add nul.eml
	expect_rc 0
	snapshot $G >"$TMP/before"
	run dkim m1.eml nul.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_err "custody: nul.eml: byte 12: a NUL byte, which no RFC 5322 message holds"
	snapshot $G >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || fail "the archive changed"
	# --no-record verifies only
	run dkim m1.eml --no-record --resolver "127.0.0.1:$PORT"
	expect_rc 0
	snapshot $G >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || fail "--no-record recorded"
	contains "$OUT" "recorded" && fail "--no-record says recorded: $OUT"
	return 0
}

test_dkim__check_from_the_archive_after_dns_is_gone() {
	mail_archive
	run dkim m1.eml m2.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
	kill "$DNS_PID"
	run dkim check
	expect_rc 0
	expect_out_has "m1.eml: pass (keys observed "
	expect_out_has "  dkim entry 3 recorded: pass"
	expect_out_has "m2.eml: pass (keys observed "
	expect_out_has "  dkim entry 4 recorded: pass"
	expect_out_has "Every message passed. This proves: the keys as DNS served them then"
	run dkim check m2.eml --json
	expect_rc 0
	expect_out_has '"format":"custody-dkim-check/v1","messages":[{"file":"m2.eml","verdict":"pass"'
	expect_out_has '"entry":4,"recorded_verdict":"pass"}]}'
	# a message with no dkim entry
	cp m1.eml m3.eml
	run add m3.eml
	run dkim check m3.eml
	expect_rc 1
	expect_err "custody: m3.eml: no dkim entry records this version (entry 5); run \`custody dkim m3.eml\` first"
	# the dkim entries are found by the log index, a cache: one that
	# names the wrong message is caught when the entry is read, and
	# verify rebuilds it
	grep -qx 'dkim 4 2' .custody/cache/tlog-index || fail "$(cat .custody/cache/tlog-index)"
	sed -i 's/^dkim 4 2$/dkim 4 1/' .custody/cache/tlog-index
	run dkim check m1.eml
	expect_rc 1
	expect_err "custody: entry 4: not a dkim entry of entry 1, as the log index (.custody/cache/tlog-index) says; \`custody verify\` rebuilds it"
	run verify
	expect_rc 0
	run dkim check
	expect_rc 0
	expect_out_has "  dkim entry 3 recorded: pass"
	expect_out_has "  dkim entry 4 recorded: pass"
}

# `dkim check MSG...` looks every path up in one path index. The path
# index learns the head of every recording (so the next command does
# not read the dkim entries again), and one that `dkim check` had to
# rebuild or catch up is kept, as status does.
test_dkim__check_of_named_messages_keeps_the_caught_up_index() {
	mail_archive
	run dkim m1.eml m2.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
	head=$(git --git-dir=.custody rev-parse HEAD)
	grep -qa "$head" .custody/cache/index .custody/cache/index.journal \
		2>/dev/null || fail "the recording did not keep the index"
	rm -f .custody/cache/index .custody/cache/index.journal
	run dkim check m2.eml m1.eml m2.eml
	expect_rc 0
	expect_out_has "m2.eml: pass (keys observed "
	# in the order given, each path as often as given
	[ "$(printf '%s\n' "$OUT" | grep '^m[12].eml: pass' | cut -d: -f1 |
		tr '\n' ' ')" = "m2.eml m1.eml m2.eml " ] || fail "order: $OUT"
	grep -qa "$head" .custody/cache/index .custody/cache/index.journal \
		2>/dev/null || fail "dkim check did not keep the rebuilt index"
	run dkim check m1.eml nothere.eml
	expect_rc 1
	expect_err "custody: nothere.eml: not registered in this archive"
}

# `dkim check` reads the messages in batches that grow (8, 16, 32, then
# 64) while the batches read before are verified; the reports still come
# in the log's order, or in the order the paths were given.
test_dkim__check_of_many_messages_reports_in_order() {
	mail_archive
	local i names=() reversed=()
	for i in $(seq -w 1 150); do
		sed "s/the  budget/budget $i/" ../plain.eml |
			sign ../rsa.pem rsa relaxed/relaxed rsa-sha256 >n$i.eml
		names+=("n$i.eml")
		reversed=("n$i.eml" "${reversed[@]}")
	done
	run add "${names[@]}"
	expect_rc 0
	run dkim --resolver "127.0.0.1:$PORT" m1.eml "${names[@]}"
	expect_rc 0
	run dkim check "${reversed[@]}"
	expect_rc 0
	expect_eq "$(printf '%s\n' "$OUT" | grep -o '^n[0-9]*\.eml: [a-z]*' |
		tr '\n' ' ')" "$(printf '%s: pass ' "${reversed[@]}")" \
		"the order of the named reports"
	run dkim check
	expect_rc 0
	expect_eq "$(printf '%s\n' "$OUT" | grep -o '^[mn][0-9]*\.eml: [a-z]*' |
		tr '\n' ' ')" "m1.eml: pass $(printf '%s: pass ' "${names[@]}")" \
		"the order of the reports"
}

# On a terminal a progress line counts the messages, and is erased
# before anything else is printed; without a terminal there is none.
test_dkim__progress_on_a_terminal_only() {
	mail_archive
	local out
	# recording: the line while verifying, erased before the report
	script -qec "$CUSTODY dkim m1.eml m2.eml --resolver 127.0.0.1:$PORT" \
		/dev/null </dev/null >"$TMP/tty.out"
	grep -q 'dkim: [12]/2' "$TMP/tty.out" ||
		fail "no progress: $(cat -v "$TMP/tty.out")"
	grep -q $'\r\033\\[K' "$TMP/tty.out" ||
		fail "progress line not erased: $(cat -v "$TMP/tty.out")"
	out=$(tr '\r' '\n' <"$TMP/tty.out" | sed 's/^\x1b\[K//' |
		grep -Ev '^dkim: [0-9]+/[0-9]+$' | grep -v '^$')
	contains "$out" "m1.eml: pass (keys observed " || fail "$out"
	contains "$out" "recorded 2 dkim entries, commit " || fail "$out"
	# checking with the reports in a file: the line on the terminal
	script -qec "$CUSTODY dkim check >check.out" /dev/null </dev/null \
		>"$TMP/tty.out"
	grep -q 'dkim check: [12] files' "$TMP/tty.out" ||
		fail "no check progress: $(cat -v "$TMP/tty.out")"
	grep -q 'dkim check' check.out && fail "progress in the reports"
	grep -q '^m2.eml: pass (keys observed ' check.out ||
		fail "reports: $(cat check.out)"
	# verifying only, reports in a file
	script -qec "$CUSTODY dkim --no-record m1.eml m2.eml --resolver 127.0.0.1:$PORT >v.out" \
		/dev/null </dev/null >"$TMP/tty.out"
	grep -q 'dkim: 2/2' "$TMP/tty.out" ||
		fail "no verify progress: $(cat -v "$TMP/tty.out")"
	# no terminal: no progress line at all
	run dkim check
	expect_rc 0
	expect_err ""
}

# a message registered as hashes only, changed since: its dkim entry
# cannot be checked against it, and check says so
test_dkim__check_says_when_a_message_cannot_be_checked() {
	make_keys
	records
	mkdir mail
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >mail/m.eml
	cd mail
	run init --origin example.org/mail
	run add --no-store --dkim m.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
	run dkim check
	expect_rc 0
	echo 'tail' >>m.eml
	run dkim check
	expect_rc 1
	expect_out_has "m.eml: not checked (dkim entry 2 says pass): m.eml: not the message entry 1 registered (its SHA-256 differs)"
	expect_out_has "Not every message passed."
	run dkim check --json
	expect_rc 1
	expect_out_has '"messages":[{"file":"m.eml","entry":2,"recorded_verdict":"pass","problem":"m.eml: not the message entry 1 registered (its SHA-256 differs)"}]'
}

# verify checks each dkim entry's link and its evidence against the
# stored message: a forged verdict and a wrong leaf are both reported
test_dkim__verify_rechecks_the_entries() {
	mail_archive
	run dkim m1.eml m2.eml --resolver "127.0.0.1:$PORT"
	expect_rc 0
	kill "$DNS_PID"
	run verify
	expect_rc 0
	tampered
	local tree commit
	GIT_INDEX_FILE=$TMP/idx git --git-dir=$G read-tree main
	put() { # put INDEX SED: edit the public part, reseal the private
		entry_public $G "$1" | sed "$2" >"$TMP/e.yaml"
		entry_private $G "$1" >"$TMP/p.yaml"
		"$SRCDIR/tests/cli/reseal-entry.py" "$TMP/e.yaml" "$TMP/p.yaml"
		GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
			100644,"$(git --git-dir=$G hash-object -w "$TMP/e.yaml")",$(entry_part_path log "$1")
		GIT_INDEX_FILE=$TMP/idx git --git-dir=$G update-index --cacheinfo \
			100644,"$(git --git-dir=$G hash-object -w "$TMP/p.yaml")",$(entry_part_path private "$1")
	}
	# entry 3: m1's pass made a fail, in the verdict and the evidence
	put 3 's/^verdict: "pass"/verdict: "fail"/; s/\\nverdict pass\\n/\\nverdict fail\\n/'
	# entry 4: names m1 with m2's leaf
	put 4 's/^message: 2/message: 1/'
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m forged)
	git --git-dir=$G update-ref refs/heads/main "$commit"
	run verify
	expect_rc 1
	expect_out_has "records verdict fail, but the stored message of entry 1 gives pass from its evidence"
	expect_out_has "'message_leaf' is not the leaf hash of entry 1, the message it names"
}

test_dkim__add_dkim_records_the_entries_in_the_add_commit() {
	make_keys
	records
	mkdir mail
	sign rsa.pem rsa relaxed/relaxed rsa-sha256 <plain.eml >mail/m1.eml
	sign ed.pem ed relaxed/simple ed25519-sha256 <plain.eml >mail/m2.eml
	echo 'not mail' >mail/notes.txt
	cd mail
	run init --origin example.org/mail
	local before leaf
	before=$(commits)
	run add --dkim --resolver "127.0.0.1:$PORT" .
	expect_rc 0
	expect_out_has "dkim m1.eml: pass, entry 4
  d=example.org s=rsa a=rsa-sha256: pass
dkim m2.eml: pass, entry 5
  d=example.org s=ed a=ed25519-sha256: pass"
	expect_out_has "3 registered, 0 new versions, 0 unchanged; commit "
	expect_eq "$(commits)" $((before + 1)) "commits"
	# entries 1-3 the files (m1, m2, notes), 4-5 the dkim entries
	contains "$(entry_public $G 4)" 'message: 1' || fail "entry 4"
	contains "$(entry_public $G 5)" 'message: 2' || fail "entry 5"
	leaf=$( { printf '\0'; entry_public $G 2; } | sha256sum | cut -c1-64)
	contains "$(entry_public $G 5)" "message_leaf: \"$leaf\"" ||
		fail "the linked leaf is not entry 2's"
	run verify
	expect_rc 0
	# without --dkim, add records no dkim entry
	sign ../rsa.pem rsa relaxed/relaxed rsa-sha256 <../plain.eml >m3.eml
	run add m3.eml
	expect_rc 0
	contains "$(entry_public $G 6)" 'type: "register"' || fail "entry 6"
	[ "$(git --git-dir=$G ls-tree -r --name-only main log | wc -l)" = 7 ] ||
		fail "an add without --dkim recorded more than the file"
	sign ../rsa.pem rsa relaxed/relaxed rsa-sha256 <../plain.eml >m4.eml
	CUSTODY_RESOLVER=127.0.0.1:$PORT run add --dkim m4.eml --json
	expect_rc 0
	expect_out_has '"dkim":[{"file":"m4.eml","verdict":"pass","entry":8}]'
	kill "$DNS_PID"
	run dkim check
	expect_rc 0
	expect_out_has "  dkim entry 8 recorded: pass"
}

# The verdict travels with the message: the proof of a message checked
# at add --dkim carries its dkim entry (keys from the DNS server here),
# and check shows it and verifies it again after the server is gone
# (issue 20, item 4; t-check.sh has the failures).
test_dkim__a_proof_carries_the_verdict_recorded_at_add() {
	make_keys
	records
	mkdir mail
	sign ed.pem ed relaxed/relaxed ed25519-sha256 <plain.eml >mail/m1.eml
	cp plain.eml mail/m2.eml
	cd mail
	run init --origin example.org/mail
	expect_rc 0
	run add --dkim --resolver "127.0.0.1:$PORT" m1.eml m2.eml --note 'from S'
	expect_rc 0
	expect_out_has "dkim m1.eml: pass, entry 3"
	expect_out_has "dkim m2.eml: none, entry 4"
	kill "$DNS_PID"
	"$CUSTODY" key export --vkey >"$TMP/outlet.vkey"
	run proof m1.eml -o "$TMP/m1.proof"
	expect_rc 0
	run proof m2.eml -o "$TMP/m2.proof"
	expect_rc 0
	local obs
	obs=$(entry_public $G 3 | sed -n 's/^observed: "\(.*\)"$/\1/p')
	run check m1.eml --proof "$TMP/m1.proof" --key "$TMP/outlet.vkey"
	expect_rc 0
	expect_out_has "  dkim         pass, entry 3: keys observed $obs, asked of 127.0.0.1:$PORT
  signature    d=example.org s=ed a=ed25519-sha256: pass (key from dns, DNSSEC no)
  dkim bound   entry 3 is in the same signed tree (size 5); no timestamp dates it
  dkim again   verified again here against the key records of entry 3 at $obs: pass"
	# an unsigned message's recorded "none" travels as well
	run check m2.eml --proof "$TMP/m2.proof" --key "$TMP/outlet.vkey"
	expect_rc 0
	expect_out_has "  dkim         none, entry 4: keys observed "
	expect_out_has "  dkim again   verified again here against the key records of entry 4 at "
	run check m1.eml --proof "$TMP/m1.proof" --key "$TMP/outlet.vkey" --json
	expect_rc 0
	expect_out_has "\"dkim\":{\"entry\":3,\"verdict\":\"pass\",\"observed\":\"$obs\",\"resolver\":\"127.0.0.1:$PORT\",\"reverified\":true,\"signatures\":[{\"domain\":\"example.org\",\"selector\":\"ed\",\"algorithm\":\"ed25519-sha256\",\"result\":\"pass\",\"key_source\":\"dns\",\"key_dnssec\":\"no\",\"key_bits\":null}]}"
	# the note and the actor of the dkim entries stay private (the
	# suite's proof-leaks.py checks every proof written here for them)
	contains "$(entry_private $G 3)" 'actor: "tester"' || fail "actor"
	grep -q "tester" <(sed -n 's/^dkim //p' "$TMP/m1.proof" | base64 -d) &&
		fail "the proof names the actor"
	# after a second dkim entry, the proof carries the newest
	printf 'v=DKIM1; k=ed25519; p=%s' "$ED" >"$TMP/ed.txt"
	run dkim m1.eml --key-record "$TMP/ed.txt"
	expect_rc 0
	expect_out_has "recorded: dkim entry 5"
	run proof m1.eml -o "$TMP/newer.proof"
	expect_rc 0
	expect_eq "$(sed -n 's/^dkim //p' "$TMP/newer.proof" | base64 -d | sha256sum)" \
		"$(entry_public $G 5 | sha256sum)" "the newest dkim entry"
	run check m1.eml --proof "$TMP/newer.proof" --key "$TMP/outlet.vkey"
	expect_rc 0
	expect_out_has "  signature    d=example.org s=ed a=ed25519-sha256: pass (key from file, DNSSEC -)"
}

# mbox lines (LF, as mailboxes are), each message signed here
make_mbox() {
	local i
	: >"$1"
	for i in 1 2 3; do
		printf 'From: Joe <joe@example.org>\r\nTo: Sue <sue@example.net>\r\nSubject: part %s\r\n\r\nFrom the desk:\r\nline %s\r\n' "$i" "$i" >"p$i.eml"
		sign ../rsa.pem rsa relaxed/relaxed rsa-sha256 <"p$i.eml" |
			tr -d '\r' >"s$i.eml"
		{ echo "From joe@example.org Fri Dec  4 10:0$i:00 2026"
		  sed 's/^From the desk:/>From the desk:/' "s$i.eml"
		  echo; } >>"$1"
	done
}

test_dkim__add_mbox_splits_registers_and_checks_each_message() {
	make_keys
	records
	mkdir mail
	cd mail
	make_mbox inbox.mbox
	run init --origin example.org/mail
	run add --mbox inbox.mbox --resolver "127.0.0.1:$PORT"
	expect_rc 0
	expect_out_has "dkim inbox.mbox.d/0001.eml: pass, entry 5"
	expect_out_has "dkim inbox.mbox.d/0003.eml: pass, entry 7"
	expect_out_has "4 registered, 0 new versions, 0 unchanged; commit "
	# each message is the signed one, its ">From " unescaped
	cmp -s inbox.mbox.d/0002.eml s2.eml || fail "message 2 is not as signed"
	"$PYTHON" "$SRCDIR/tests/cli/dkim-verify.py" inbox.mbox.d/0002.eml \
		<(entry_public $G 6 | "$PYTHON" -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(sys.stdin)["evidence"])') \
		>"$TMP/dkimpy" || true
	expect_eq "$(cat "$TMP/dkimpy")" pass "dkimpy on message 2"
	run verify
	expect_rc 0
	# again: the same files, nothing new
	run add --mbox inbox.mbox --resolver "127.0.0.1:$PORT"
	expect_rc 0
	expect_out_has "nothing to record: 4 files unchanged"
}

test_dkim__a_malicious_mbox_is_refused_whole() {
	make_keys
	records
	mkdir mail
	cd mail
	run init --origin example.org/mail
	snapshot $G >"$TMP/before"
	local r="127.0.0.1:$PORT"
	refused() { # refused FILE ERROR: add --mbox FILE fails with ERROR
		run add --mbox "$1" --resolver "$r"
		expect_rc 1
		expect_err "$2"
		expect_out ""
		snapshot $G >"$TMP/after"
		cmp -s "$TMP/before" "$TMP/after" || fail "$1: the archive changed"
		[ ! -e "$1.d" ] || fail "$1: split messages left behind"
	}
	make_mbox good.mbox
	# a NUL byte in the second message
	sed '8s/line/li\x00ne/' good.mbox >nul.mbox
	refused nul.mbox "custody: nul.mbox: line 8, byte $(($(head -7 good.mbox | wc -c) + 2)): a NUL byte, which no mbox or message holds"
	# an empty message
	{ echo 'From a Fri Dec  4 10:00:00 2026'; echo; cat good.mbox; } >empty.mbox
	refused empty.mbox "custody: empty.mbox: message 1 (line 1): an empty message"
	# not an mbox
	cp s1.eml notbox.mbox
	refused notbox.mbox 'custody: notbox.mbox: line 1: not an mbox (it does not begin with a "From " line)'
	# a huge header block, endless continuation lines
	{ echo 'From a Fri Dec  4 10:00:00 2026'; printf 'Subject: x\n'; yes ' more' | head -20000; printf '\nbody\n'; } >long.mbox
	refused long.mbox "custody: long.mbox: message 1 (line 1): byte 0: one header of 140010 bytes with its continuation lines, more than 65536"
	# FILE.d a link to elsewhere: nothing is written through it
	mkdir "$TMP/elsewhere"
	cp good.mbox link.mbox
	ln -s "$TMP/elsewhere" link.mbox.d
	run add --mbox link.mbox --resolver "$r"
	expect_rc 1
	expect_err "custody: link.mbox.d exists and is not a folder (a symbolic link?); the messages go in a real folder"
	[ -z "$(ls "$TMP/elsewhere")" ] || fail "written through the link"
	rm link.mbox.d
	# a "From " line inside a body (after a text line) stays in the body
	{ echo 'From a Fri Dec  4 10:00:00 2026'; printf 'From: a@example.org\nSubject: s\n\nhello\nFrom the start\n'; } >inbody.mbox
	run add --mbox inbody.mbox --resolver "$r"
	expect_rc 0
	expect_out_has "dkim inbody.mbox.d/0001.eml: none, entry "
	expect_eq "$(tail -1 inbody.mbox.d/0001.eml)" "From the start" "body line"
	snapshot $G >"$TMP/before"
	# more messages than custody splits
	"$PYTHON" -c '
import sys
w = sys.stdout.write
for i in range(10001):
    w("From a Fri Dec  4 10:00:00 2026\nFrom: a@example.org\n\nx\n\n")' >many.mbox
	refused many.mbox "custody: many.mbox: line 50001: more than 10000 messages; split the mailbox first"
}

# a key record of 64 KiB: from a file it is refused before anything is
# asked or written; served by DNS (dnsmasq cuts such an answer) it is a
# permerror finding, recorded as what DNS served
test_dkim__a_64_kib_key_record_is_refused_or_a_permerror() {
	make_keys
	local big
	big="v=DKIM1; k=rsa; p=$RSA; n=$(head -c 49152 /dev/zero | base64 -w0)"
	start_dns "huge._domainkey.example.org,$big"
	mkdir mail
	sign rsa.pem huge relaxed/relaxed rsa-sha256 <plain.eml >mail/m.eml
	echo "$big" >huge.txt
	cd mail
	run init --origin example.org/mail
	run add m.eml
	expect_rc 0
	snapshot $G >"$TMP/before"
	run dkim m.eml --key-record ../huge.txt
	expect_rc 1
	expect_err "custody: ../huge.txt: too big (65951 bytes, at most 65536)"
	expect_out ""
	snapshot $G >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || fail "the archive changed"
	run dkim m.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_out_has "  d=example.org s=huge a=rsa-sha256: permerror (a TXT string runs past its record)
  recorded: dkim entry 2"
	contains "$(entry_public $G 2)" 'verdict: "fail"' || fail "entry 2"
}

test_dkim__usage_errors() {
	run dkim
	expect_rc 2
	run dkim a.eml b.eml -o x
	expect_rc 2
	expect_err_has "-o writes the evidence of one MSG"
	run dkim check a.eml b.eml --evidence e
	expect_rc 2
	expect_err_has "--evidence is the evidence of one MSG"
	run dkim check a.eml --evidence e --resolver 127.0.0.1
	expect_rc 2
	run dkim check a.eml --note x
	expect_rc 2
	run dkim a.eml --no-record --note x
	expect_rc 2
	# outside an archive, check without --evidence has nothing to read
	run dkim check a.eml
	expect_rc 1
	expect_err_has "custody: no archive in "
	run dkim a.eml --resolver '::1'
	expect_rc 1
}

run_tests
