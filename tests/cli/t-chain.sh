#!/bin/bash
# Chain of custody: events, derivatives, the timeline and the HTML report
# (rendered by Debian's headless Chromium). The check of a disclosure is
# t-check.sh's.
. "$(dirname "$0")/lib.sh"

G=.custody

setup() {
	make_collection coll
	cd coll
	run init --origin example.org/chain
	run add .
	expect_rc 0
}

entry_of() { entry_both $G "$1"; } # entry_of INDEX: both parts at main

last_index() { git --git-dir=$G ls-tree -r --name-only main log | wc -l | awk '{print $1 - 1}'; }

test_event__every_action_is_recorded_with_its_labels() {
	setup
	local a
	for a in received transferred copied accessed verified sealed \
	    returned destroyed note; do
		run event memos/budget.txt --action $a --from 'Desk A' \
			--to 'Desk B' --note "$a it"
		expect_rc 0
		expect_out_has "recorded $a of memos/budget.txt: entry "
	done
	local e
	e=$(entry_of "$(last_index)")
	contains "$e" 'type: "event"' || fail "$e"
	contains "$e" 'action: "note"' || fail "$e"
	contains "$e" 'from: "Desk A"' || fail "$e"
	contains "$e" "sha256: \"$(sha256sum memos/budget.txt | cut -c1-64)\"" ||
		fail "the event does not name the document's digest: $e"
	run verify
	expect_rc 0
}

test_event__bad_input_is_refused_and_nothing_is_written() {
	setup
	local before
	before=$(snapshot $G)
	# a value no entry takes is a usage error, named by its option
	run event memos/budget.txt --action teleported
	expect_rc 2
	expect_err_has "custody: --action 'teleported' must be \"received\","
	printf 'x\n' >unknown.txt
	run event unknown.txt --action received
	expect_rc 1
	expect_err_has "unknown.txt: not registered in this archive"
	run event memos/budget.txt --action received --from "$(printf 'a\nb')"
	expect_rc 2
	expect_err_has "custody: --from 'a\\nb' contains a control character"
	run event memos/budget.txt --action received --to "$(printf 'a\033b')"
	expect_rc 2
	expect_err_has "custody: --to 'a\\033b' contains a control character"
	run event memos/budget.txt --action note --note "$(head -c 5000 /dev/zero | tr '\0' x)"
	expect_rc 2
	expect_err_has "...' is longer than 4096 bytes"
	run event memos/budget.txt --action received --at 2001-01-01T00:00:00Z
	expect_rc 1
	expect_err_has "is before the document was registered"
	run event memos/budget.txt --action received --at yesterday
	expect_rc 2
	run event memos/budget.txt --action received --at 2999-01-01T00:00:00Z
	expect_rc 1
	expect_err_has "is in the future"
	run event memos/budget.txt
	expect_rc 2
	expect_eq "$(snapshot $G)" "$before" "archive after refusals"
	# backdated with a reason: accepted, and the reason is recorded
	run event memos/budget.txt --action received --from S-1 \
		--at 2001-01-01T00:00:00Z --backdate-reason 'handed over in 2001'
	expect_rc 0
	contains "$(entry_of "$(last_index)")" \
		'backdate_reason: "handed over in 2001"' || fail "no reason"
}

test_derive__links_by_index_and_leaf_never_by_digest() {
	setup
	printf 'Budget line 1\n[redacted]\n' >budget-redacted.txt
	run derive memos/budget.txt budget-redacted.txt --action redact \
		--note 'line 2 removed'
	expect_rc 0
	local e orig_index orig_sha leaf
	e=$(entry_of "$(last_index)")
	contains "$e" 'type: "derive"' || fail "$e"
	contains "$e" 'derivation: "redact"' || fail "$e"
	orig_index=$(echo "$e" | sed -n 's/^derived_from: //p')
	orig_sha=$(sha256sum memos/budget.txt | cut -c1-64)
	# the leaf of the original's public part, its bytes as stored
	leaf=$(entry_public $G "$orig_index" | "$PYTHON" -c '
import hashlib, sys
print(hashlib.sha256(b"\0" + sys.stdin.buffer.read()).hexdigest())')
	contains "$e" "original_leaf: \"$leaf\"" ||
		fail "original_leaf is not the leaf hash of entry $orig_index"
	contains "$e" "$orig_sha" && fail "the derive entry names the original's digest"
	# a derivative of a derivative
	printf 'Budget line 1\n' >budget-excerpt.txt
	run derive budget-redacted.txt budget-excerpt.txt --action excerpt
	expect_rc 0
	run verify
	expect_rc 0
	# its proof does not hold the original's digest either; the check
	# says it was derived from an earlier entry
	run proof budget-redacted.txt -o "$TMP/p"
	"$CUSTODY" key export --vkey >"$TMP/k"
	run check budget-redacted.txt --proof "$TMP/p" --key "$TMP/k"
	expect_rc 0
	expect_out_has "derived      by redact from entry $orig_index, registered earlier in the same log (the original is not disclosed)"
	"$PYTHON" - "$TMP/p" "$orig_sha" <<'PY' || fail "the original's digest leaks"
import base64, binascii, sys
data = open(sys.argv[1], "rb").read()
blobs = [data] + [base64.b64decode(t) for t in data.split()
    if len(t) % 4 == 0 and all(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=" for c in t)]
d = sys.argv[2]
sys.exit(1 if any(d.encode() in b or bytes.fromhex(d) in b for b in blobs) else 0)
PY
}

test_derive__unknown_originals_cycles_and_repeats_are_refused() {
	setup
	printf 'r\n' >r.txt
	run derive memos/budget.txt r.txt --action redact
	expect_rc 0
	local before
	before=$(snapshot $G)
	printf 'x\n' >x.txt
	run derive nowhere.txt x.txt --action redact
	expect_rc 1
	expect_err_has "nowhere.txt: not registered in this archive"
	run derive r.txt memos/budget.txt --action translate
	expect_rc 1
	expect_err "custody: memos/budget.txt cannot be derived from r.txt: it is one of its originals (a cycle)"
	run derive r.txt r.txt --action ocr
	expect_rc 1
	expect_err_has "it is the same document"
	run derive memos/budget.txt x.txt --action shred
	expect_rc 2
	expect_err_has "custody: --action 'shred' must be \"redact\","
	run derive memos/budget.txt r.txt --action redact
	expect_rc 1
	expect_err_has "already registered as it is"
	run derive memos/budget.txt memos --action redact
	expect_rc 1
	cp memos/budget.txt same.txt
	run derive memos/budget.txt same.txt --action convert
	expect_rc 1
	expect_err_has "would reveal the original's digest"
	expect_eq "$(snapshot $G)" "$before" "archive after refusals"
}

test_verify__a_forged_link_is_named() {
	setup
	tampered
	printf 'r\n' >r.txt
	run derive memos/budget.txt r.txt --action redact
	run event memos/budget.txt --action accessed
	expect_rc 0
	local n d ev tree commit
	n=$(last_index)
	d=$((n - 1))
	# rewrite both entries in place (a history rewrite, also reported):
	# the derivative's leaf and the event's digest no longer match
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
	put "$d" 's/^original_leaf: ".*"/original_leaf: "0000000000000000000000000000000000000000000000000000000000000000"/'
	put "$n" 's/^sha256: ".*"/sha256: "0000000000000000000000000000000000000000000000000000000000000000"/'
	tree=$(GIT_INDEX_FILE=$TMP/idx git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m forged)
	git --git-dir=$G update-ref refs/heads/main "$commit"
	run verify
	expect_rc 1
	expect_out_has "'original_leaf' is not the leaf hash of entry"
	expect_out_has "with another digest than that entry registered"
}

# a newsroom's story: received, handed to a partner, redacted, published
story() {
	setup
	run event memos/budget.txt --action received --from S-1 \
		--note 'on a USB stick'
	run event memos/budget.txt --action transferred --from 'Desk A' \
		--to 'Partner <Outlet>'
	printf 'Budget line 1\n[redacted]\n' >redacted.txt
	run derive memos/budget.txt redacted.txt --action redact
	run event redacted.txt --action verified --from 'Legal'
	run publish redacted.txt --url https://example.org/story
	expect_rc 0
}

test_log__the_chain_of_custody_reads_as_a_timeline() {
	story
	run log memos/budget.txt
	expect_rc 0
	expect_out_has "memos/budget.txt registered, version 1"
	expect_out_has "memos/budget.txt: received from S-1"
	expect_out_has "memos/budget.txt: transferred from Desk A to Partner <Outlet>"
	expect_out_has "memos/budget.txt: redacted.txt made from it (redact)"
	expect_out_has "  redacted.txt: verified from Legal"
	expect_out_has "  redacted.txt published at https://example.org/story"
	expect_out_has "GAP: memos/budget.txt: transferred to Partner <Outlet>"
	expect_out_has "nothing recorded from Partner <Outlet> since"
	run log memos/budget.txt --json
	expect_rc 0
	echo "$OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["format"] == "custody-log-document/v1" and d["path"] == "memos/budget.txt", d
steps = d["steps"]
kinds = [s["kind"] for s in steps]
assert kinds == ["registered", "event", "event", "derivative", "registered",
    "event", "published", "gap"], kinds
assert steps[4]["depth"] == 1 and steps[4]["path"] == "redacted.txt"
assert steps[2]["to"] == "Partner <Outlet>"
' || fail "timeline JSON: $OUT"
}

test_report__an_html_page_chromium_renders_with_every_event() {
	story
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	grep -q '<script' "$TMP/report.html" && fail "the report has scripts"
	grep -q 'Partner &lt;Outlet&gt;' "$TMP/report.html" ||
		fail "labels are not escaped"
	local chromium
	chromium=$(command -v chromium || command -v chromium-browser) ||
		fail "Debian's chromium is needed (./dev.sh test installs it)"
	HOME="$TMP" timeout 120 "$chromium" --headless --no-sandbox \
		--disable-gpu --disable-dev-shm-usage --no-first-run \
		--dump-dom "file://$TMP/report.html" >"$TMP/dom.html" \
		2>"$TMP/chromium.err" || fail "chromium: $(tail -3 "$TMP/chromium.err")"
	# the rendered page's text, rows as lines
	"$PYTHON" - "$TMP/dom.html" >"$TMP/text" <<'PY'
import html.parser, sys
class T(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.out = []; self.skip = False
    def handle_starttag(self, tag, a):
        if tag in ("tr", "li"): self.out.append("\n")
        if tag in ("style", "title"): self.skip = True
    def handle_endtag(self, tag):
        if tag in ("style", "title"): self.skip = False
    def handle_data(self, d):
        if not self.skip: self.out.append(d + " ")
import re
t = T(); t.feed(open(sys.argv[1], encoding="utf-8").read())
print(re.sub(r"[ \t]+", " ", "".join(t.out)))
PY
	local text
	text=$(cat "$TMP/text")
	contains "$text" "Chain of custody: memos/budget.txt" || fail "$text"
	contains "$text" "received from S-1" || fail "no receipt: $text"
	contains "$text" "transferred from Desk A to Partner <Outlet>" ||
		fail "no transfer: $text"
	contains "$text" "redacted.txt redact, entry" ||
		fail "no derivation tree: $text"
	contains "$text" "published at https://example.org/story" ||
		fail "no publication: $text"
	contains "$text" "gap in the record" || fail "no gap: $text"
}

run_tests
