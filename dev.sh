#!/bin/bash
# dev.sh demo | test | sanitize | build
#
# Installs what is missing (Debian 12 packages), builds with meson, then
# runs the demo or every test (sanitize: every test again under ASan and
# UBSan, and the unit tests under valgrind). Safe to run again: it only installs and
# reconfigures what is needed.
set -euo pipefail
cd "$(dirname "$0")"

# What building custody and running the demo need (./dev.sh demo and
# ./dev.sh build install only these).
build_packages=(
	gcc meson ninja-build pkg-config
	libssl-dev libgit2-dev libyaml-dev libmagic-dev libutf8proc-dev
	libcurl4-openssl-dev
	zlib1g-dev
	# DKIM verification of e-mail (custody/dkim.h)
	libopendkim-dev
	# the demo: git reads the archive, python3 makes the sample leak,
	# ssh-keygen checks a signature, openssl makes a mail server's key
	git file python3 coreutils openssh-client openssl
	# the verifier page (web/), built into custody: node runs esbuild
	# (the browser tests then drive Debian's chromium with puppeteer-core)
	nodejs
)

# What only the tests need (./dev.sh test installs these too).
test_packages=(
	python3-yaml python3-jsonschema python3-cryptography
	strace util-linux hashdeep openssl
	# t-chain.sh renders the HTML report in headless chromium
	chromium
	# t-sync.sh: sshd (git daemon, git http-backend and unshare are in
	# git and util-linux)
	openssh-server
	# t-witness.sh sends its requests with curl
	curl
	# peak memory of a run (t-inputs.sh, t-check.sh, t-sync-hostile.sh)
	time
	# t-manual.sh renders the manual pages with man and runs the zsh
	# completion
	man-db zsh
	# t-report.sh reads the report printed to PDF with pdftotext
	poppler-utils
	# meson test --setup=valgrind (README, "Building and testing by hand")
	valgrind
	# t-dkim.sh: a real signer (opendkim-testmsg), a second verifier
	# (dkimpy) and a DNS server on 127.0.0.1 serving the key records
	opendkim-tools python3-dkim python3-authres dnsmasq
)
# npm is Debian's own package; a node that brings its own npm needs none
command -v npm >/dev/null 2>&1 || build_packages+=(npm)

# install_missing PACKAGE...: apt-get install those not installed yet
install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing: ${missing[*]}" >&2
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# Programs (git among them) read /dev/null as empty input. If something
# once replaced it with a regular file, they read its stale bytes as
# input and fail in ways that look like custody's; put it back (root)
# or say so, before anything runs.
check_dev_null() {
	[ -c /dev/null ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "dev.sh: /dev/null is not a device; making it again" >&2
		rm -f /dev/null && mknod -m 666 /dev/null c 1 3
	else
		echo "dev.sh: /dev/null is not a device (ask root to run" \
			"'rm /dev/null; mknod -m 666 /dev/null c 1 3')" >&2
		exit 1
	fi
}

# web/node_modules as package-lock.json pins it (npm ci), when missing
# or older than the lock file; then meson builds the verifier page.
web_modules() {
	if [ ! -d web/node_modules ] ||
	    [ web/package-lock.json -nt web/node_modules ]; then
		(cd web && npm ci --no-audit --no-fund --ignore-scripts \
			--loglevel=error >/dev/null) || return 1
		touch web/node_modules
		[ ! -f build/build.ninja ] || meson setup --reconfigure build \
			>/dev/null
	fi
}

build() {
	check_dev_null
	web_modules
	if [ ! -f build/build.ninja ]; then
		# the verifier page is part of custody: a missing node or
		# web/node_modules fails the build instead of leaving it out
		meson setup build -Dwerror=true -Dverifier=enabled >/dev/null
	fi
	ninja -C build >/dev/null
}

# Print the plain "N passed, N failed" line from meson's test log, with
# the check-only build's run (tests/check-only.sh) as one more test:
# summary CHECK_ONLY_STATUS [TESTLOG] (default build/'s log; "-" for no
# check-only run).
summary() {
	/usr/bin/python3 - "${2:-build/meson-logs/testlog.json}" "$1" <<'PY'
import json, sys
passed = failed = skipped = 0
if sys.argv[2] == "0":
    passed += 1
elif sys.argv[2] != "-":
    failed += 1
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
}

# build-asan/: custody built with AddressSanitizer and
# UndefinedBehaviorSanitizer, where any undefined behaviour stops the
# program (-fno-sanitize-recover); the verifier page as in build/.
build_asan() {
	if [ ! -f build-asan/build.ninja ]; then
		meson setup build-asan -Dwerror=true -Dverifier=enabled \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dc_args=-fno-sanitize-recover=undefined >/dev/null
	fi
	ninja -C build-asan >/dev/null
}

case "${1:-}" in
demo)
	install_missing "${build_packages[@]}"
	build
	CUSTODY=build/cmd/custody demo/run
	;;
test)
	install_missing "${build_packages[@]}" "${test_packages[@]}"
	build
	status=0 check_only=0
	meson test -C build --print-errorlogs --num-processes 2 || status=$?
	# the verifier alone (-Dcheck_only=true), in build-check
	tests/check-only.sh build || check_only=$?
	[ "$check_only" = 0 ] || status=1
	summary "$check_only"
	exit $status
	;;
sanitize)
	# the same set-up as test, then the whole suite in build-asan (the
	# tests that need sanitizer options set them themselves), then the
	# unit tests under valgrind in build (the valgrind test setup)
	install_missing "${build_packages[@]}" "${test_packages[@]}"
	build
	build_asan
	status=0
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		meson test -C build-asan --print-errorlogs --num-processes 2 ||
		status=$?
	echo "under ASan and UBSan (build-asan):"
	summary - build-asan/meson-logs/testlog.json
	meson test -C build --setup=valgrind --suite unit --print-errorlogs \
		--num-processes 2 || status=1
	echo "under valgrind (build, unit tests):"
	summary - build/meson-logs/testlog-valgrind.json
	exit $status
	;;
build)
	install_missing "${build_packages[@]}"
	build
	;;
*)
	echo "usage: ./dev.sh demo | test | sanitize | build" >&2
	exit 2
	;;
esac
