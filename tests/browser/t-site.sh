#!/bin/bash
# custody site: the outlet's public folder (documents published, proofs,
# checkpoint, key, policy, verifier) and its opening from disk in
# headless Chromium; and the page itself with a big document and with
# the keyboard alone.
. "$SRCDIR/tests/cli/lib.sh"

case "$("$CUSTODY" verifier 2>&1 >/dev/null)" in
*"built without the verifier page"*)
	echo "custody was built without the verifier page: skipped"
	exit 77
	;;
esac

setup() {
	make_collection coll
	cd coll
	run_full init --origin example.org/leaks
	run_full add .
	run_full publish memos/budget.txt --url https://example.org/story
	run_full publish scans/report.pdf --url https://example.org/report \
		--title 'The report & its <scans>'
	cd ..
	# the entries that registered them
	BUDGET=$(cd coll && "$CUSTODY_FULL" proof memos/budget.txt |
		sed -n 's/^index //p')
	REPORT=$(cd coll && "$CUSTODY_FULL" proof scans/report.pdf |
		sed -n 's/^index //p')
}

test_site__lists_the_publications_with_proofs_that_check() {
	setup
	cd coll
	run site ../out
	expect_rc 0
	local size
	size=$("$CUSTODY" checkpoint | sed -n 2p)
	expect_out "wrote ../out: 2 published documents, checkpoint of size $size"
	expect_eq "$(cat ../out/checkpoint.txt)" "$("$CUSTODY" checkpoint)"
	expect_eq "$(cat ../out/outlet.vkey)" "$("$CUSTODY" key export --vkey)"
	expect_eq "$(cat ../out/policy.txt)" "$("$CUSTODY" policy export)"
	expect_eq "$(sha256sum <../out/verify.html | cut -d' ' -f1)" \
		"$("$CUSTODY" verifier | cut -d' ' -f1)"
	expect_eq "$(cd ../out && find . -type f | sort | tr '\n' ' ')" \
		"./checkpoint.txt ./index.html ./outlet.vkey ./policy.txt ./proofs/$BUDGET.proof ./proofs/$REPORT.proof ./verify.html "
	run check memos/budget.txt --proof ../out/proofs/$BUDGET.proof \
		--key ../out/outlet.vkey
	expect_rc 0
	expect_out_has "published at https://example.org/story on "
	run check scans/report.pdf --proof ../out/proofs/$REPORT.proof \
		--key ../out/outlet.vkey
	expect_rc 0
	# the title is HTML-escaped, and no collection path is shown
	grep -q 'The report &amp; its &lt;scans&gt;' ../out/index.html ||
		fail "the title is not escaped"
	! grep -rq 'memos/\|scans/' ../out || fail "the site names a path"
}

test_site__refuses_a_folder_that_holds_files() {
	setup
	mkdir out
	printf 'mine\n' >out/notes.txt
	cd coll
	run site ../out
	expect_rc 1
	expect_err "custody: ../out: exists and holds files; use --force to write into it"
	expect_eq "$(ls ../out)" "notes.txt"
	run site ../out --force
	expect_rc 0
	expect_eq "$(cat ../out/notes.txt)" "mine"
	[ -s ../out/index.html ] || fail "no index.html"
	run site
	expect_rc 2
}

# --url: the page is a document of the collection, registered and
# published once, listed with its proof, checked by custody check.
test_site__registers_and_publishes_the_verifier_page() {
	setup
	cd coll
	local sha size url=https://example.org/custody/verify.html
	sha=$("$CUSTODY" verifier | cut -d' ' -f1)
	# refused before anything is recorded
	mkdir ../full && touch ../full/x
	size=$("$CUSTODY" checkpoint | sed -n 2p)
	run site ../full --url "$url"
	expect_rc 1
	expect_eq "$("$CUSTODY" checkpoint | sed -n 2p)" "$size"
	[ ! -e custody-verifier ] || fail "the page was written before the refusal"
	run site ../out --url "$url"
	expect_rc 0
	expect_out "registered the verifier page (custody-verifier/verify.html, SHA-256 ${sha:0:16}...) and published it at $url: entry $((size + 1))
wrote ../out: 3 published documents, checkpoint of size $((size + 2))"
	cmp custody-verifier/verify.html ../out/verify.html ||
		fail "the registered page is not the site's"
	run check ../out/verify.html --proof "../out/proofs/$size.proof" \
		--key ../out/outlet.vkey
	expect_rc 0
	expect_out_has "published at $url on "
	grep -q "custody verifier page" ../out/index.html ||
		fail "the page is not listed"
	# once only
	run site ../out --force --url "$url"
	expect_rc 0
	expect_out "the verifier page (custody-verifier/verify.html, SHA-256 ${sha:0:16}...) is published at $url already
wrote ../out: 3 published documents, checkpoint of size $((size + 2))"
	run verify
	expect_rc 0
}

# A big document is read in 4 MiB pieces, the progress bar moving for
# each: 96 MiB in 24, and once more when done (a changed last byte is
# still found).
test_page__hashes_a_big_document_in_pieces() {
	mkdir -p coll/big corpus/files
	head -c $((96 << 20)) /dev/zero | tr '\0' 'a' >coll/big/video.bin
	(cd coll && "$CUSTODY_FULL" init --origin example.org/leaks >/dev/null &&
		"$CUSTODY_FULL" add . >/dev/null &&
		"$CUSTODY_FULL" proof big/video.bin -o ../corpus/files/p \
			2>/dev/null &&
		"$CUSTODY_FULL" key export --vkey >../corpus/files/k) ||
		fail "cannot make the archive"
	ln coll/big/video.bin corpus/files/video.bin
	cp coll/big/video.bin corpus/files/changed.bin
	printf 'b' | dd of=corpus/files/changed.bin bs=1 seek=$(((96 << 20) - 1)) \
		conv=notrunc 2>/dev/null
	printf 'big\tvideo.bin\tp\tk\t-\t-\t-\tok\t-\nchanged\tchanged.bin\tp\tk\t-\t-\t-\tfailed\tfile\n' \
		>corpus/cases.tsv
	(cd coll && "$CUSTODY" verifier -o ../verify.html >/dev/null) || fail "verifier"
	WEB_DIR=$SRCDIR/web node "$SRCDIR/tests/browser/page-check.mjs" \
		verify.html corpus page.tsv || fail "page-check"
	expect_eq "$(cut -f1-3,5 page.tsv)" "big	ok	-	25
changed	failed	file	25"
}

# With the keyboard alone: every control in reading order, Enter on
# Check, the focus on the verdict.
test_page__works_with_the_keyboard_alone() {
	setup
	(cd coll && "$CUSTODY_FULL" proof memos/budget.txt -o ../p 2>/dev/null &&
		"$CUSTODY_FULL" key export --vkey >../k &&
		"$CUSTODY" verifier -o ../verify.html >/dev/null) || fail "setup"
	WEB_DIR=$SRCDIR/web node "$SRCDIR/tests/browser/keyboard-check.mjs" \
		verify.html coll/memos/budget.txt p k >keys.txt 2>&1 ||
		fail "keyboard-check: $(cat keys.txt)"
	expect_eq "$(cat keys.txt)" "document proof key keytext summary check
ok result"
}

# From disk, in Chromium: the list, links that all resolve, the verifier
# opening, and a proof of the site checked by the site's own verifier.
test_site__opens_from_disk_in_chromium() {
	[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium"
	setup
	(cd coll && "$CUSTODY" site ../out >/dev/null) || fail "site"
	WEB_DIR=$SRCDIR/web node "$SRCDIR/tests/browser/site-check.mjs" out \
		>site.txt 2>site.err || fail "site-check: $(cat site.err)"
	local h1 h3
	h1=$(sha256sum <coll/memos/budget.txt | cut -d' ' -f1)
	h3=$(sha256sum <coll/scans/report.pdf | cut -d' ' -f1)
	expect_eq "$(grep -c '^row' site.txt)" 2
	grep -q "^row	.*	The report & its <scans> https://example.org/report	$REPORT	$h3	$REPORT.proof$" site.txt ||
		fail "no row for the report: $(cat site.txt)"
	grep -q "^row	.*	https://example.org/story	$BUDGET	$h1	$BUDGET.proof$" site.txt ||
		fail "no row for the budget: $(cat site.txt)"
	expect_eq "$(grep '^opened' site.txt)" "opened	Check a document against its custody proof"
	mkdir -p corpus
	ln -s ../out corpus/files
	cp coll/memos/budget.txt out/budget.txt
	printf 'budget\tbudget.txt\tproofs/%s.proof\toutlet.vkey\t-\t-\t-\tok\t-\n' \
		"$BUDGET" \
		>corpus/cases.tsv
	WEB_DIR=$SRCDIR/web node "$SRCDIR/tests/browser/page-check.mjs" \
		out/verify.html corpus page.tsv || fail "page-check"
	expect_eq "$(cut -f1-3 page.tsv)" "budget	ok	-"
}

run_tests
