#!/bin/bash
# custody verifier: the page it writes is the one built from
# web/verifier/, the same bytes from the same source, with the SHA-256
# it prints; an existing file is kept unless --force.
. "$(dirname "$0")/lib.sh"

# A custody built without node or web/node_modules has no page to write.
case "$("$CUSTODY" verifier 2>&1 >/dev/null)" in
*"built without the verifier page"*)
	echo "custody was built without the verifier page: skipped"
	exit 77
	;;
esac

test_verifier__writes_the_page_and_prints_its_sha256() {
	run verifier -o verify.html
	expect_rc 0
	expect_out "$(sha256sum verify.html)"
	expect_eq "$(head -c 15 verify.html)" "<!doctype html>"
	run verifier
	expect_rc 0
	expect_out "$(sha256sum verify.html)"
	run verifier --json
	expect_out "{\"format\":\"custody-verifier/v1\",\"sha256\":\"$(sha256sum verify.html | cut -d' ' -f1)\",\"size\":$(stat -c %s verify.html),\"output\":null}"
}

test_verifier__refuses_to_overwrite_without_force() {
	printf 'a page of mine\n' >verify.html
	run verifier -o verify.html
	expect_rc 1
	expect_err "custody: verify.html: exists; use --force to replace it"
	expect_eq "$(cat verify.html)" "a page of mine"
	run verifier -o verify.html --force
	expect_rc 0
	expect_out "$(sha256sum verify.html)"
	run verifier --force
	expect_rc 2
	expect_err_has "custody: --force needs -o FILE"
	run verifier -o -
	expect_rc 2
}

# The page loads nothing: no src= or href= to anything, no fetch, no
# XMLHttpRequest, no WebSocket; and its policy forbids connections.
test_verifier__the_page_names_no_outside_resource() {
	run verifier -o verify.html
	expect_rc 0
	! grep -Eqi '(src|href)=["'"'"']?(https?:|//)' verify.html ||
		fail "the page links an outside resource"
	! grep -Eq '\b(XMLHttpRequest|WebSocket|EventSource|sendBeacon)\b' \
		verify.html || fail "the page can open a connection"
	grep -q "default-src 'none'" verify.html ||
		fail "the page's content security policy is not default-src 'none'"
}

# Same source, same bytes: built twice into two folders, and the same as
# custody's own copy.
test_verifier__the_build_is_reproducible() {
	command -v node >/dev/null || fail "node is not installed"
	node "$SRCDIR/web/build.mjs" "$SRCDIR/web/verifier" one/verify.html ||
		fail "build 1"
	node "$SRCDIR/web/build.mjs" "$SRCDIR/web/verifier" two/verify.html ||
		fail "build 2"
	cmp one/verify.html two/verify.html || fail "two builds differ"
	run verifier -o verify.html
	cmp one/verify.html verify.html ||
		fail "custody's page is not the one its source builds"
}

run_tests
