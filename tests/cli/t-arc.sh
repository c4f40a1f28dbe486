#!/bin/bash
# custody dkim and ARC (RFC 8617): messages ARC-sealed here by Debian's
# dkimpy (tests/cli/arc-seal.py) with an RSA key served by a dnsmasq on
# 127.0.0.1, chains of 1, 3 and 50 sets, evaluated by custody and by
# dkimpy's arc_verify with the archived records (tests/cli/arc-verify.py),
# which must agree; the negatives and the malformed chains, each with its
# exact finding; the chain kept in the dkim entry and checked again from
# it after the DNS server is gone.
. "$(dirname "$0")/lib.sh"

G=.custody
SEAL=$SRCDIR/tests/cli/arc-seal.py
EDIT=$SRCDIR/tests/cli/arc-edit.py

# arc.pem and its key record's p= ($ARC); plain.eml, not DKIM-signed;
# rec.txt, the record as --key-record reads it
make_keys() {
	openssl genrsa -out arc.pem 2048 2>/dev/null
	ARC=$(openssl rsa -in arc.pem -pubout -outform DER 2>/dev/null | base64 -w0)
	printf 'v=DKIM1; k=rsa; p=%s\n' "$ARC" >rec.txt
	printf 'From: Joe <joe@example.org>\r\nTo: Sue <sue@example.net>\r\nSubject: the  budget\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n\r\nThe numbers  are \r\nattached.\r\n\r\n\r\n' >plain.eml
}

# a dnsmasq on 127.0.0.1 serving arc._domainkey.example.org (as
# t-dkim.sh's start_dns); PORT is its port
start_dns() {
	local text="v=DKIM1; k=rsa; p=$ARC" cut=""
	while [ ${#text} -gt 200 ]; do
		cut+="${text:0:200},"
		text=${text:200}
	done
	for _ in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 30000))
		dnsmasq --keep-in-foreground --port="$PORT" \
			--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
			--no-hosts --conf-file=/dev/null --pid-file= \
			--local=/example.org/ \
			--txt-record="arc._domainkey.example.org,$cut$text" \
			>"$TMP/dnsmasq.log" 2>&1 &
		DNS_PID=$!
		sleep 0.5
		if kill -0 "$DNS_PID" 2>/dev/null; then
			trap 'kill "$DNS_PID" 2>/dev/null || true' EXIT
			return 0
		fi
	done
	fail "dnsmasq does not start: $(cat "$TMP/dnsmasq.log")"
}

seal() { # seal COUNT < MSG: COUNT intermediaries 1.mx.example.net, ...
	"$PYTHON" "$SEAL" arc.pem arc example.org mx.example.net none "$1"
}

dkimpy() { "$PYTHON" "$SRCDIR/tests/cli/arc-verify.py" "$1" "$2"; }

SET="d=example.org s=arc a=rsa-sha256 (2048 bits): seal pass, message signature pass (body pass)"

test_arc__chains_of_one_and_three_pass_by_custody_and_dkimpy() {
	make_keys
	start_dns
	seal 1 <plain.eml >a1.eml
	seal 3 <plain.eml >a3.eml
	# no DKIM signature: the DKIM verdict stays none, and the exit 1
	run dkim a1.eml --resolver "127.0.0.1:$PORT" -o a1.ev
	expect_rc 1
	expect_out_has "  ARC: pass (1 set, oldest-pass 0)
  ARC i=1 cv=none $SET
    results: 1.mx.example.net; arc=none"
	expect_eq "$(dkimpy a1.eml a1.ev)" pass "dkimpy on 1 set"
	run dkim a3.eml --resolver "127.0.0.1:$PORT" -o a3.ev
	expect_rc 1
	expect_out_has "a3.eml: none (keys observed "
	expect_out_has "  ARC: pass (3 sets, oldest-pass 0)
  ARC i=1 cv=none $SET
    results: 1.mx.example.net; arc=none
  ARC i=2 cv=pass $SET
    results: 2.mx.example.net; arc=pass
  ARC i=3 cv=pass $SET
    results: 3.mx.example.net; arc=pass"
	expect_eq "$(dkimpy a3.eml a3.ev)" pass "dkimpy on 3 sets"
	# one key record asked for, from DNS, kept with the chain
	expect_eq "$(grep -c '^arc-key ' a3.ev)" 1 "arc keys"
	grep -qx "key-source dns" a3.ev || fail "key source"
	# the raw RDATA DNS answered, the time and the AD bit, as for DKIM
	sed -n '/^arc-key 1$/,/^key-reason/p' a3.ev >key.txt
	grep -q "^key-rdata [A-Za-z0-9+/]" key.txt || fail "no RDATA: $(cat key.txt)"
	grep -q "^key-time [0-9]" key.txt || fail "no key time"
	grep -qx "key-dnssec no" key.txt || fail "no DNSSEC status"
	grep -qx "arc-chain pass" a3.ev || fail "arc-chain"
	# later, from the evidence alone: the DNS server is gone
	kill "$DNS_PID"
	run dkim check a3.eml --evidence a3.ev
	expect_rc 1
	expect_out_has "  ARC: pass (3 sets, oldest-pass 0)"
	expect_out_has "The ARC chain passes: each intermediary sealed what it says it found
(the results lines), a claim about earlier checks, weaker than a DKIM pass."
}

# a DKIM-signed message that then passed two intermediaries: the DKIM
# verdict is its own, the ARC headers they added are listed as not
# signed, and the chain passes beside it
test_arc__dkim_verdict_and_chain_side_by_side() {
	make_keys
	"$PYTHON" -c 'import dkim, sys
m = open("plain.eml", "rb").read()
sys.stdout.buffer.write(dkim.sign(m, b"arc", b"example.org",
    open("arc.pem", "rb").read(),
    include_headers=[b"from", b"to", b"subject", b"date"]) + m)' >signed.eml
	seal 2 <signed.eml >sa.eml
	run dkim sa.eml --key-record rec.txt
	expect_rc 0
	expect_out_has "sa.eml: pass (keys observed "
	expect_out_has "  d=example.org s=arc a=rsa-sha256: pass
  not signed: arc-seal,arc-message-signature,arc-authentication-results,authentication-results,arc-seal,arc-message-signature,arc-authentication-results,authentication-results
  ARC: pass (2 sets, oldest-pass 0)"
}

test_arc__json_gives_each_set() {
	make_keys
	seal 1 <plain.eml >a1.eml
	run dkim a1.eml --key-record rec.txt --json
	expect_rc 1
	expect_out_has '"signatures":[],"unsigned_headers":"","arc":{"chain":"pass","reason":"","failed_instance":0,"oldest_pass":0,"sets":[{"instance":1,"cv":"none","seal":{"domain":"example.org","selector":"arc","algorithm":"rsa-sha256","result":"pass","key_bits":2048},"message":{"domain":"example.org","selector":"arc","algorithm":"rsa-sha256","result":"pass","key_bits":2048,"body_hash":"pass"},"auth_results":"1.mx.example.net; arc=none","finding":"i=1 cv=none '"$SET"'"}]}}]}'
}

# arc_fails MSG REASON: custody finds the chain fail for REASON, and
# dkimpy finds it fail too, from the same key records ($RECORDS, or
# rec.txt)
arc_fails() {
	rm -f x.ev
	run dkim "$1" --key-record "${RECORDS:-rec.txt}" -o x.ev
	expect_rc 1
	expect_out_has "  ARC: fail ($2)"
	expect_eq "$(dkimpy "$1" x.ev)" fail "dkimpy on $1"
}

test_arc__negatives_say_exactly_what_failed() {
	make_keys
	seal 3 <plain.eml >a3.eml
	sed 's/attached/attacked/' a3.eml >body.eml
	arc_fails body.eml "ARC-Message-Signature i=3 does not verify: the body hash does not match: the body changed"
	expect_out_has "  ARC i=1 cv=none d=example.org s=arc a=rsa-sha256 (2048 bits): seal pass, message signature fail (body fail) (the body hash does not match: the body changed)"
	# a seal changed: the newer seal, which covers it, fails first
	"$PYTHON" "$EDIT" sub "i=2; cv=pass; a=rsa-sha256; d=example.org; s=arc; t=1796000000" \
		"i=2; cv=pass; a=rsa-sha256; d=example.org; s=arc; t=1796000001" \
		<a3.eml >seal.eml
	arc_fails seal.eml "ARC-Seal i=3 does not verify: the signature does not verify"
	expect_out_has "  ARC i=2 cv=pass d=example.org s=arc a=rsa-sha256 (2048 bits): seal fail (the signature does not verify), message signature pass (body pass)"
	"$PYTHON" "$EDIT" drop ams 2 <a3.eml >member.eml
	arc_fails member.eml "ARC set 2 has no ARC-Message-Signature"
	"$PYTHON" "$EDIT" drop set 2 <a3.eml >gap.eml
	arc_fails gap.eml "no ARC set 2: instances must run from 1 to the newest, 3"
	"$PYTHON" "$SEAL" arc.pem arc example.org mx4.example.net fail \
		<a3.eml >cvfail.eml
	arc_fails cvfail.eml "the newest ARC-Seal (i=4) says cv=fail: an intermediary found the chain broken"
	expect_out_has "  ARC i=4 cv=fail d=example.org s=arc a=rsa-sha256: seal untested, message signature untested (body untested)"
	# the key revoked since: every signature fails with it
	printf 'v=DKIM1; k=rsa; p=\n' >gone.txt
	run dkim a3.eml --key-record gone.txt
	expect_rc 1
	expect_out_has "  ARC: fail (ARC-Message-Signature i=3 does not verify: the key record's p= is empty: the key is revoked)"
}

test_arc__fifty_sets_pass_and_fifty_one_fail() {
	make_keys
	seal 50 <plain.eml >a50.eml
	run dkim a50.eml --key-record rec.txt -o a50.ev
	expect_rc 1
	expect_out_has "  ARC: pass (50 sets, oldest-pass 0)"
	expect_out_has "  ARC i=50 cv=pass $SET"
	expect_eq "$(dkimpy a50.eml a50.ev)" pass "dkimpy on 50 sets"
	"$PYTHON" "$EDIT" copy set 50 51 <a50.eml >a51.eml
	arc_fails a51.eml "header 1 (ARC-Seal): i=51: more than the 50 ARC sets RFC 8617 allows"
}

test_arc__malformed_chains_are_findings_not_crashes() {
	make_keys
	seal 3 <plain.eml >a3.eml
	"$PYTHON" "$EDIT" copy aar 2 2 <a3.eml >dup.eml
	arc_fails dup.eml "two ARC-Authentication-Results headers with i=2"
	"$PYTHON" "$EDIT" sub "ARC-Authentication-Results: i=1;" \
		"ARC-Authentication-Results: i=0;" <a3.eml >zero.eml
	arc_fails zero.eml "header 11 (ARC-Authentication-Results): i=0, but instances start at 1"
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" "ARC-Seal: i=1; ;" <a3.eml >empty.eml
	arc_fails empty.eml 'header 9 (ARC-Seal): an empty tag between two ";"'
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" "ARC-Seal: i=1; cv" <a3.eml >noeq.eml
	arc_fails noeq.eml 'header 9 (ARC-Seal): a tag without "="'
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" "ARC-Seal: i=one;" <a3.eml >nan.eml
	arc_fails nan.eml "header 9 (ARC-Seal): i= is not a number"
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" "ARC-Seal: i=1; i=1;" <a3.eml >twice.eml
	arc_fails twice.eml 'header 9 (ARC-Seal): the tag "i" twice'
	# a long seal is read (and fails its signature); one over the
	# header limit refuses the message, writing nothing
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" \
		"ARC-Seal: i=1; x=$(head -c 60000 /dev/zero | tr '\0' a);" \
		<a3.eml >long.eml
	arc_fails long.eml "ARC-Seal i=3 does not verify: the signature does not verify"
	"$PYTHON" "$EDIT" sub "ARC-Seal: i=1;" \
		"ARC-Seal: i=1; x=$(head -c 70000 /dev/zero | tr '\0' a);" \
		<a3.eml >huge.eml
	run dkim huge.eml --key-record rec.txt -o huge.ev
	expect_rc 1
	expect_err_has ": one header of 70438 bytes with its continuation lines, more than 65536"
	expect_out ""
	[ ! -e huge.ev ] || fail "evidence written for a refused message"
}

# a chain sealed by two intermediaries with their own keys: a key-record
# file names each record, and a signature whose record it lacks is nokey
test_arc__key_record_file_names_each_sealers_record() {
	make_keys
	local list
	openssl genrsa -out list.pem 2048 2>/dev/null
	list=$(openssl rsa -in list.pem -pubout -outform DER 2>/dev/null | base64 -w0)
	seal 1 <plain.eml >a1.eml
	"$PYTHON" "$SEAL" list.pem list lists.example.org lists.example.org \
		pass <a1.eml >two.eml
	printf 'arc._domainkey.example.org %s\n\nlist._domainkey.lists.example.org v=DKIM1; k=rsa; p=%s\n' \
		"$(cat rec.txt)" "$list" >both.txt
	run dkim two.eml --key-record both.txt -o two.ev
	expect_rc 1
	expect_out_has "  ARC: pass (2 sets, oldest-pass 0)
  ARC i=1 cv=none $SET
    results: 1.mx.example.net; arc=none
  ARC i=2 cv=pass d=lists.example.org s=list a=rsa-sha256 (2048 bits): seal pass, message signature pass (body pass)"
	expect_eq "$(grep -c '^arc-key ' two.ev)" 2 "arc keys"
	expect_eq "$(dkimpy two.eml two.ev)" pass "dkimpy on two sealers"
	head -1 both.txt >one.txt
	RECORDS=one.txt arc_fails two.eml "ARC-Message-Signature i=2 does not verify: the key records given hold none named list._domainkey.lists.example.org"
	printf 'arc._domainkey.example.org v=DKIM1; p=\nlist v=DKIM1\n' >bad.txt
	run dkim two.eml --key-record bad.txt
	expect_rc 1
	expect_err 'custody: two.eml: the key records: line 2 is not "NAME RECORD" (NAME being SELECTOR._domainkey.DOMAIN)'
	expect_out ""
}

test_arc__the_dkim_entry_keeps_the_chain() {
	make_keys
	start_dns
	mkdir mail
	seal 3 <plain.eml >mail/a3.eml
	cd mail
	run init --origin example.org/mail
	expect_rc 0
	run add a3.eml
	expect_rc 0
	run dkim a3.eml --resolver "127.0.0.1:$PORT"
	expect_rc 1
	expect_out_has "  ARC: pass (3 sets, oldest-pass 0)"
	expect_out_has "  recorded: dkim entry 2"
	contains "$(entry_public "$G" 2)" "arc-chain pass" || fail "entry 2"
	run log -n 1
	expect_rc 0
	expect_out_has "
         ARC: pass
         ARC i=1 cv=none $SET"
	run log --json
	expect_rc 0
	run log a3.eml
	expect_rc 0
	expect_out_has "a3.eml: DKIM none, ARC pass (keys observed then; entry 1 registered it)"
	run report a3.eml -o "$TMP/report.html"
	expect_rc 0
	grep -q 'DKIM checked: none, ARC pass (keys observed at this time)' \
		"$TMP/report.html" || fail "the report does not show the chain"
	# verify finds the recorded chain again from the stored message
	run verify
	expect_rc 0
	kill "$DNS_PID"
	run dkim check a3.eml
	expect_rc 1
	expect_out_has "  ARC: pass (3 sets, oldest-pass 0)"
	expect_out_has "  dkim entry 2 recorded: none"
	run dkim check a3.eml --json
	expect_rc 1
	expect_out_has '"arc":{"chain":"pass","reason":"","failed_instance":0,"oldest_pass":0,"sets":[{"instance":1,'
}

run_tests
