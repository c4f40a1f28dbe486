#!/bin/bash
# custody report: the HTML page for an editor or a lawyer. Every figure
# it must show (each version's SHA-256, size and media type, the
# registering member's key, the checkpoint, the verify verdict) is read
# back from the DOM Debian's headless Chromium renders at 360, 700 and
# 1280 px, with no column cut; on paper (PDF, read by pdftotext); and
# the page's hash and SSHSIG signature are checked by sha256sum,
# ssh-keygen and custody. The timeline's content is t-chain.sh's.
. "$(dirname "$0")/lib.sh"

G=.custody
BUDGET_V1='Budget line 1\nBudget line 2\n'
BUDGET_V2='Budget line 1\nBudget line 2\nBudget line 3\n'
REDACTED_PDF='%%PDF-1.4\n1 0 obj<<>>endobj\n%% [redacted]\ntrailer<<>>\n%%%%EOF\n'

chromium_bin() {
	command -v chromium || command -v chromium-browser ||
		fail "Debian's chromium is needed (./dev.sh test installs it)"
}

# story: a document in two versions, received, sent to a partner (a
# gap: nothing recorded from it since), redacted into a PDF, published
story() {
	make_collection coll
	cd coll
	run init --origin example.org/report
	printf "$BUDGET_V1" >memos/budget.txt
	run add .
	expect_rc 0
	run event memos/budget.txt --action received --from S-1 \
		--note '<script>alert(1)</script> on a USB stick'
	run event memos/budget.txt --action transferred --from 'Desk A' \
		--to 'Partner <Outlet>'
	printf "$REDACTED_PDF" >redacted.pdf
	run derive memos/budget.txt redacted.pdf --action redact
	run publish redacted.pdf --url https://example.org/story
	printf "$BUDGET_V2" >memos/budget.txt
	run add memos/budget.txt
	expect_rc 0
}

sha_of() { printf "$1" | sha256sum | cut -c1-64; }
size_of() { printf "$1" | wc -c | tr -d ' '; }

# The figures the page must show, one a line, for figures_on.
expected_figures() {
	local v
	for v in "$BUDGET_V1" "$BUDGET_V2" "$REDACTED_PDF"; do
		sha_of "$v"
		echo "$(size_of "$v") bytes"
	done
	echo "text/plain"
	echo "application/pdf"
	fingerprint "$TESTER_SSH_KEY.pub"
	run checkpoint --json
	echo "$OUT" | "$PYTHON" -c 'import json, sys
c = json.load(sys.stdin)
print("at size %d, root %s" % (c["size"], c["root"]))'
	echo "passed: custody verify found no problem"
}

# render FILE WIDTH: Chromium lays out a copy of FILE with
# report-measure.js appended (the report itself has no script) at WIDTH
# px and prints what the script found, as JSON. Chromium's window is at
# least 500 px wide: a narrower page is laid out in a frame that wide.
render() {
	local file=$1 width=$2 page
	mkdir -p "$TMP/render"
	cp "$file" "$TMP/render/copy.html"
	{ echo '<script>'; cat "$SRCDIR/tests/cli/report-measure.js"
	  echo '</script>'; } >>"$TMP/render/copy.html"
	page="$TMP/render/copy.html"
	if [ "$width" -lt 500 ]; then
		cat >"$TMP/render/frame.html" <<EOF
<!DOCTYPE html><html><body style="margin:0">
<script>
window.addEventListener("message", function (e) {
  var pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = e.data;
  document.body.appendChild(pre);
});
</script>
<iframe src="copy.html" style="border:0;width:${width}px;height:900px"></iframe>
</body></html>
EOF
		page="$TMP/render/frame.html"
	fi
	HOME="$TMP" timeout 120 "$(chromium_bin)" --headless --no-sandbox \
		--disable-gpu --disable-dev-shm-usage --no-first-run \
		--window-size="$((width < 500 ? 800 : width)),900" \
		--virtual-time-budget=5000 --dump-dom "file://$page" \
		>"$TMP/render/dom.html" 2>"$TMP/render/chromium.err" ||
		fail "chromium: $(tail -3 "$TMP/render/chromium.err")"
	"$PYTHON" - "$TMP/render/dom.html" <<'PY'
import html, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
if not m:
    sys.exit("the measuring script wrote no result")
print(html.unescape(m.group(1)))
PY
}

# laid_out JSON WIDTH: the page was laid out at WIDTH px, nothing is cut,
# nothing sticks out, every table shows; the page's visible text goes to
# $TMP/text
laid_out() {
	echo "$1" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
width = int(sys.argv[1])
assert r["width"] == width, "laid out at %d px, not %d" % (r["width"], width)
for what in ("cut", "wide", "hidden"):
    assert not r[what], "%d px: %s: %s" % (width, what, r[what][:5])
open(sys.argv[2], "w", encoding="utf-8").write(r["text"])
' "$2" "$TMP/text" || fail "the page at $2 px"
}

# figures_on FILE: each expected figure is in the text of FILE, spaces
# and line breaks aside (a hash may wrap)
figures_on() {
	local text fig
	text=$(tr -d ' \n' <"$1")
	while IFS= read -r fig; do
		contains "$text" "${fig// /}" ||
			fail "'$fig' is not shown; the text was: $(cat "$1")"
	done < <(expected_figures)
}

test_report__every_figure_shows_and_no_column_is_cut_at_360_700_1280_px() {
	story
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	local width json
	for width in 360 700 1280; do
		json=$(render "$TMP/report.html" $width) || fail "$json"
		laid_out "$json" $width
		figures_on "$TMP/text"
	done
}

test_report__the_page_fails_the_measure_when_a_column_sticks_out() {
	# the measure itself can fail: a cell too wide for 700 px
	story
	run report memos/budget.txt -o "$TMP/report.html"
	sed 's|</body>|<table><tr><td style="white-space:nowrap">'"$(printf 'x%.0s' $(seq 200))"'</td></tr></table></body>|' \
		"$TMP/report.html" >"$TMP/wide.html"
	local json
	json=$(render "$TMP/wide.html" 700) || fail "$json"
	contains "$json" "the page scrolls sideways" || fail "$json"
	( laid_out "$json" 700 ) 2>/dev/null && fail "a wide cell passed"
	return 0
}

test_report__printed_every_figure_is_on_paper() {
	story
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	command -v pdftotext >/dev/null ||
		fail "poppler-utils' pdftotext is needed (./dev.sh test installs it)"
	HOME="$TMP" timeout 120 "$(chromium_bin)" --headless --no-sandbox \
		--disable-gpu --disable-dev-shm-usage --no-first-run \
		--no-pdf-header-footer --print-to-pdf="$TMP/report.pdf" \
		"file://$TMP/report.html" 2>"$TMP/chromium.err" ||
		fail "chromium: $(tail -3 "$TMP/chromium.err")"
	pdftotext "$TMP/report.pdf" "$TMP/paper.txt" || fail "pdftotext"
	figures_on "$TMP/paper.txt"
}

test_report__no_script_no_outside_resource_no_markdown() {
	story
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	local found
	found=$(grep -noiE '<script|src=|href=http|url\(|@import|<link|<img|<iframe|<object' \
		"$TMP/report.html") && fail "the page loads or runs: $found"
	# a note's markup is shown as text
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; on a USB stick' \
		"$TMP/report.html" || fail "the note is not escaped"
	# the footer speaks HTML, not Markdown
	found=$(grep -n '`' "$TMP/report.html") && fail "backticks: $found"
	grep -qF '<code>custody verify</code> checks the whole record' \
		"$TMP/report.html" || fail "no footer"
}

test_report__a_gap_row_says_its_message_once() {
	story
	run report memos/budget.txt -o "$TMP/report.html"
	expect_rc 0
	"$PYTHON" - "$TMP/report.html" <<'PY' || fail "the gap row"
import html.parser, sys
class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.cell = None
    def handle_starttag(self, tag, a):
        if tag == "tr": self.rows.append((dict(a).get("class"), []))
        if tag == "td": self.cell = ""
    def handle_endtag(self, tag):
        if tag == "td": self.rows[-1][1].append(self.cell); self.cell = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = Rows(); p.feed(open(sys.argv[1], encoding="utf-8").read())
gaps = [cells for kind, cells in p.rows if kind == "gap"]
assert len(gaps) == 1, gaps
when, doc, what, details, recorded, by, entry = gaps[0]
transfer = [c for k, c in p.rows if k == "event" and c[2] == "transferred"]
assert len(transfer) == 1, transfer
assert when == transfer[0][0] and doc == "memos/budget.txt", gaps
assert what == "gap in the record", what
assert details == ("transferred to Partner <Outlet> at %s (entry %s); "
    "nothing recorded from Partner <Outlet> since" % (when,
    transfer[0][6])), details
assert (recorded, by, entry) == ("", "", "after " + transfer[0][6]), gaps
PY
}

test_report__signed_and_hashed_checked_by_ssh_keygen_custody_and_sha256sum() {
	story
	local fp hex
	fp=$(fingerprint "$TESTER_SSH_KEY.pub")
	run report memos/budget.txt -o report.html
	expect_rc 0
	hex=$(sha256sum report.html | cut -c1-64)
	expect_out "report.html: report of memos/budget.txt
  SHA-256    $hex (in report.html.sha256)
  signature  report.html.sig, by tester, key $fp"
	expect_err ""
	expect_eq "$(cat report.html.sha256)" "$hex  report.html" "sidecar"
	sha256sum -c --status report.html.sha256 || fail "sha256sum -c"
	# what `custody sign` writes for these bytes (Ed25519 is
	# deterministic): the same signing path
	cmp -s report.html.sig <("$CUSTODY" sign report.html --output -) ||
		fail "report.html.sig is not what custody sign writes"
	echo "tester namespaces=\"custody\" $(cut -d' ' -f1,2 \
		"$TESTER_SSH_KEY.pub")" >allowed_signers
	ssh-keygen -Y verify -f allowed_signers -I tester -n custody \
		-s report.html.sig <report.html >"$TMP/ssh.out" 2>&1 ||
		fail "ssh-keygen: $(cat "$TMP/ssh.out")"
	run verify-signature report.html report.html.sig \
		--key "$TESTER_SSH_KEY.pub"
	expect_rc 0
	# the page says how, with the signer's key and fingerprint
	grep -qF "ssh-keygen -Y verify -f allowed_signers -I tester -n custody -s report.html.sig &lt;report.html" \
		report.html || fail "the page does not say how to check it"
	grep -qF "tester namespaces=\"custody\" $(cut -d' ' -f1,2 \
		"$TESTER_SSH_KEY.pub")" report.html || fail "no signer key line"
	grep -qF "sha256sum -c report.html.sha256" report.html ||
		fail "the page does not say how to check its hash"
	# one byte changed: all three refuse
	cp report.html "$TMP/good.html"
	"$PYTHON" -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.index(b"Chain of custody")
b[i] ^= 0x20
open(p, "wb").write(b)' report.html
	cmp -s report.html "$TMP/good.html" && fail "nothing was changed"
	ssh-keygen -Y verify -f allowed_signers -I tester -n custody \
		-s report.html.sig <report.html >"$TMP/ssh.out" 2>&1 &&
		fail "ssh-keygen accepted a changed page"
	run verify-signature report.html report.html.sig \
		--key "$TESTER_SSH_KEY.pub"
	expect_rc 1
	sha256sum -c --status report.html.sha256 &&
		fail "sha256sum accepted a changed page"
	return 0
}

test_report__existing_files_are_kept_without_force() {
	story
	local before refs
	printf 'an older page\n' >report.html
	before=$(snapshot "$G")
	refs=$(git --git-dir=$G for-each-ref)
	run report memos/budget.txt -o report.html
	expect_rc 1
	expect_out ""
	expect_err "custody: report.html: exists; use --force to replace it"
	expect_eq "$(cat report.html)" "an older page" "report.html"
	[ ! -e report.html.sig ] && [ ! -e report.html.sha256 ] ||
		fail "a signature or hash was written beside a refused page"
	expect_eq "$(snapshot "$G")" "$before" "the archive"
	# a signature or hash left beside it is kept too
	rm report.html
	printf 'an older signature\n' >report.html.sig
	run report memos/budget.txt -o report.html
	expect_rc 1
	expect_err "custody: report.html.sig: exists; use --force to replace it"
	[ ! -e report.html ] || fail "the page was written"
	expect_eq "$(cat report.html.sig)" "an older signature" "the .sig"
	run report memos/budget.txt -o report.html --force
	expect_rc 0
	sha256sum -c --status report.html.sha256 || fail "sha256sum -c"
	run verify-signature report.html report.html.sig \
		--key "$TESTER_SSH_KEY.pub"
	expect_rc 0
	# verify, run for the page, keeps its local notes (the newest
	# commit seen); the record itself is as it was
	expect_eq "$(git --git-dir=$G for-each-ref)" "$refs" "the refs"
}

test_report__on_standard_output_unsigned_with_its_hash_on_stderr() {
	story
	"$CUSTODY" report memos/budget.txt >page.html 2>"$TMP/err" ||
		fail "exit status $?: $(cat "$TMP/err")"
	expect_eq "$(cat "$TMP/err")" "custody: report SHA-256 $(sha256sum page.html | cut -c1-64) (unsigned: -o FILE signs it)" "stderr"
	grep -qF 'This page was written to standard output, unsigned' \
		page.html || fail "the page does not say it is unsigned"
	[ ! -e page.html.sig ] || fail "a signature was written"
	run report memos/budget.txt --force
	expect_rc 2
	expect_err_has "custody: --force goes with -o FILE"
}

test_report__without_a_key_no_sign_still_hashes() {
	story
	run report memos/budget.txt -o report.html --no-sign
	expect_rc 0
	expect_out "report.html: report of memos/budget.txt
  SHA-256    $(sha256sum report.html | cut -c1-64) (in report.html.sha256)"
	[ ! -e report.html.sig ] || fail "a signature was written"
	grep -qF '<dd id="signer">not signed</dd>' report.html ||
		fail "the page does not say it is unsigned"
}

test_report__a_key_that_is_no_members_is_refused_before_writing() {
	story
	new_key outsider
	run report memos/budget.txt -o report.html --key outsider
	expect_rc 1
	expect_err_has "custody: the key 'outsider' (SHA256:"
	expect_err_has "is not a member's key in this archive"
	[ ! -e report.html ] || fail "the page was written"
}

# A member revoked and added again under a new key: each version shows
# the key that could sign it when it was registered, not the newest.
test_report__each_version_names_the_key_of_its_time() {
	make_collection coll
	cd coll
	run init --origin example.org/report
	run add .
	new_key jane1 && new_key jane2 || fail "cannot make jane's keys"
	"$CUSTODY" key export jane1 >"$TMP/jane1.pub"
	"$CUSTODY" key export jane2 >"$TMP/jane2.pub"
	run member add jane "$TMP/jane1.pub"
	expect_rc 0
	printf 'v2\n' >>memos/budget.txt
	CUSTODY_KEY=jane1 run add memos/budget.txt
	expect_rc 0
	run member revoke jane
	expect_rc 0
	run member add jane "$TMP/jane2.pub"
	expect_rc 0
	printf 'v3\n' >>memos/budget.txt
	CUSTODY_KEY=jane2 run add memos/budget.txt
	expect_rc 0
	run report memos/budget.txt -o report.html --no-sign
	expect_rc 0
	local one two rows
	one=$(fingerprint "$TMP/jane1.pub")
	two=$(fingerprint "$TMP/jane2.pub")
	[ "$one" != "$two" ] || fail "the two keys have one fingerprint"
	# the rows of the versions table, one a line, in version order
	rows=$(tr -d '\n' <report.html | sed 's#</tr>#</tr>\n#g' |
		grep -F 'class="fingerprint"' | sed 's/<[^>]*>//g')
	expect_eq "$(grep -c "jane, key $one" <<<"$rows")" 1 "rows with jane's first key"
	expect_eq "$(grep -c "jane, key $two" <<<"$rows")" 1 "rows with jane's second key"
	[ "$(grep -n "jane, key $one" <<<"$rows" | cut -d: -f1)" -lt \
	  "$(grep -n "jane, key $two" <<<"$rows" | cut -d: -f1)" ] ||
		fail "the keys are not in version order: $rows"
}

test_report__a_failed_verify_is_on_the_page_and_exits_1() {
	story
	tampered
	# a file in documents/ that no entry registered, committed and
	# signed with the member's key as custody would
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G read-tree main
	GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G update-index --add \
		--cacheinfo 100644,"$(printf 'stray\n' |
		git --git-dir=$G hash-object -w --stdin)",documents/stray.txt
	local tree commit
	tree=$(GIT_INDEX_FILE="$TMP/idx" git --git-dir=$G write-tree)
	commit=$(git --git-dir=$G -c user.name=x -c user.email=x \
		-c gpg.format=ssh -c user.signingkey="$TESTER_SSH_KEY" \
		commit-tree -S "$tree" -p main -m stray)
	git --git-dir=$G update-ref refs/heads/main "$commit"
	run verify
	expect_rc 1
	local problem=${OUT#problem: } n
	n=$(echo "$OUT" | grep -c '^problem: ')
	[ "$n" -ge 1 ] || fail "verify found no problem"
	run report memos/budget.txt -o report.html
	expect_rc 1
	expect_err "custody: verify found $n problems; the report lists them"
	sha256sum -c --status report.html.sha256 || fail "no hash"
	local json
	json=$(render report.html 1280) || fail "$json"
	laid_out "$json" 1280
	contains "$(cat "$TMP/text")" "FAILED: custody verify found $n problems" ||
		fail "no verdict: $(cat "$TMP/text")"
	contains "$(tr '\n' ' ' <"$TMP/text")" "${problem%%:*}" ||
		fail "the problem ($problem) is not named"
}

run_tests
