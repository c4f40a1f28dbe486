# Shared helpers for the command-line tests. Each test file defines
# functions named test_<area>__<behaviour>; run_tests runs each in a
# subshell inside a fresh temporary folder, so one failure cannot leak
# into the next, and prints "N passed, N failed".
set -uo pipefail

: "${CUSTODY:?set CUSTODY to the custody binary}"
CUSTODY=$(readlink -f "$CUSTODY")
# The custody that makes archives, keys and proofs for a test: the same
# binary, unless CUSTODY is a check-only build (tests/check-only.sh runs
# t-check.sh so, with CUSTODY_FULL the full build's).
CUSTODY_FULL=$(readlink -f "${CUSTODY_FULL:-$CUSTODY}")
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
unset CUSTODY_ARCHIVE CUSTODY_KEY CUSTODY_ACTOR
# Every change is signed: the tests' member is "tester", whose key lives
# in a key folder of its own (made once per test file by run_tests).
export CUSTODY_PASSPHRASE='correct horse battery staple'

PYTHON=/usr/bin/python3

# A custody built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan, ./dev.sh sanitize) writes each report into a file of
# $SANITIZER_LOGS instead of its stderr: a finding then fails the test
# that ran it (run_tests prints the report), even where the test throws
# custody's stderr away or expects it to fail. RSS_BASE is the peak
# resident memory, in KiB, of a custody that only prints its version:
# what the sanitizers themselves need, added to the tests' memory bounds
# (0 for a plain build).
SANITIZED= SANITIZER_LOGS= RSS_BASE=0
# (ldd's listing is taken whole: grep -q stopping early would kill ldd
# with SIGPIPE and fail the pipeline)
if grep -q 'libasan\.so' <<<"$(ldd "$CUSTODY" 2>/dev/null)"; then
	SANITIZED=1
	SANITIZER_LOGS=$(mktemp -d /tmp/custody-sanitizer.XXXXXX)
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SANITIZER_LOGS/asan"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SANITIZER_LOGS/ubsan"
	# third-party libraries' known leaks (the file says which and why),
	# without a note of each use, which would count as a report
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}print_suppressions=0:suppressions=$SRCDIR/tests/sanitizer/lsan.supp"
	# a test file that meets a libgit2 leak only a whole stack tells
	# apart sets WHOLE_STACKS=1 before it reads lib.sh (slower)
	[ -z "${WHOLE_STACKS:-}" ] ||
		LSAN_OPTIONS="$LSAN_OPTIONS:fast_unwind_on_malloc=0"
	RSS_BASE=$(/usr/bin/time -f %M "$CUSTODY" --version 2>&1 >/dev/null |
		tail -1)
fi

# sanitizer_check: after a test, any sanitizer report fails it
sanitizer_check() {
	local report status=0
	[ -n "$SANITIZER_LOGS" ] || return 0
	for report in "$SANITIZER_LOGS"/*; do
		[ -e "$report" ] || continue
		echo "    sanitizer report ($report):" >&2
		sed 's/^/    /' "$report" >&2
		rm -f "$report"
		status=1
	done
	return $status
}

# limit_memory KIB: in the subshell that then execs custody, bound the
# memory it may take to KIB. A plain build gets ulimit -v. A sanitized
# one reserves terabytes of address space for its shadow memory, so it
# gets its own RSS limit instead (KIB + RSS_BASE), an allocation that
# cannot be met fails as under ulimit, and freed memory it keeps back to
# catch a use after free is capped at 16 MiB.
limit_memory() {
	if [ -z "$SANITIZED" ]; then
		ulimit -v "$1"
		return
	fi
	export ASAN_OPTIONS="$ASAN_OPTIONS:hard_rss_limit_mb=$((($1 + RSS_BASE) / 1024)):allocator_may_return_null=1:quarantine_size_mb=16"
}

fail() {
	echo "    $*" >&2
	exit 1
}

# check_json FILE ARGS...: when ARGS (what custody was run with) hold
# --json, FILE (its stdout) must be one JSON object of a format with a
# schema in schemas/json/ that accepts it, whatever the exit status
# (docs/json.md); else the test fails. --help prints help, not JSON.
check_json() {
	local file=$1
	shift
	case " $* " in *" --json "*) ;; *) return 0 ;; esac
	case " $* " in *" --help "* | *" -h "*) return 0 ;; esac
	"$PYTHON" "$SRCDIR/tests/schema/check_json.py" "$SRCDIR/schemas/json" \
		"$file" "$@" || fail "custody $* printed JSON its schema refuses"
}

# run ARGS...: run custody; stdout in $OUT, stderr in $ERR, status in $RC
# (a --json output is checked against its schema)
run() {
	"$CUSTODY" "$@" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
	check_json "$TMP/.out" "$@"
}

# run_full ARGS...: as run, with the full build's custody (to make what a
# check-only custody then checks)
run_full() {
	"$CUSTODY_FULL" "$@" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
	check_json "$TMP/.out" "$@"
}

# json ARGS...: custody ARGS (which hold --json) with its stdout on stdout
# once its schema accepts it, for a pipe; nothing when it does not (the
# reason on stderr), so that what reads it fails
json() {
	local out
	out=$(mktemp "$TMP/.json.XXXXXX")
	"$CUSTODY" "$@" >"$out"
	( check_json "$out" "$@" ) && cat "$out"
}

# Helpers several suites share (the full build's custody makes keys).

tester_key() { "$CUSTODY_FULL" key export tester | cut -d' ' -f1,2; }
# The outlet key of example.org/leaks (the archive's, run inside it) as
# an OpenSSH line, and its private key file (init keeps it in log/).
outlet_key() { "$CUSTODY_FULL" key export --outlet | cut -d' ' -f1,2; }
OUTLET_KEY_FILE=log/example.org-leaks.key

# forge_checkpoint SIZE ROOT_B64: a checkpoint note signed with the
# outlet's real key (openssl reads custody's key file), on stdout; run in
# the archive of example.org/leaks
forge_checkpoint() {
	printf 'example.org/leaks\n%s\n%s\n' "$1" "$2" >"$TMP/forged.txt"
	openssl pkeyutl -sign -rawin -inkey \
		"$CUSTODY_KEY_DIR/$OUTLET_KEY_FILE" \
		-passin env:CUSTODY_PASSPHRASE -in "$TMP/forged.txt" \
		-out "$TMP/forged.sig" || return 1
	"$PYTHON" - "$TMP/forged.txt" "$TMP/forged.sig" "$(outlet_key)" <<'PY'
import base64, hashlib, sys
text = open(sys.argv[1], "rb").read()
sig = open(sys.argv[2], "rb").read()
key = base64.b64decode(sys.argv[3].split()[1])[-32:]
kid = hashlib.sha256(b"example.org/leaks\n\x01" + key).digest()[:4]
sys.stdout.buffer.write(text + b"\n\xe2\x80\x94 example.org/leaks " +
    base64.b64encode(kid + sig) + b"\n")
PY
}

# own_keys: a key folder of this test's own, with no key in it yet.
own_keys() {
	export CUSTODY_KEY_DIR="$TMP/keys"
	unset CUSTODY_KEY
}

# alice: an OpenSSH key (id, id.pub) imported as custody key "alice".
alice() {
	own_keys
	ssh-keygen -q -t ed25519 -N '' -C alice -f "$TMP/id"
	run_full key import "$TMP/id"
	expect_rc 0
	echo "alice namespaces=\"custody\" $(cut -d' ' -f1,2 "$TMP/id.pub")" \
		>"$TMP/allowed"
}

fingerprint() { ssh-keygen -lf "$1" | cut -d' ' -f2; }

# trun ARGS...: run custody, but never wait more than 20 s for it
trun() {
	timeout 20 "$CUSTODY" "$@" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
	[ "$RC" != 124 ] || fail "custody $* waited on its input"
	check_json "$TMP/.out" "$@"
}

# peak memory of the last /usr/bin/time run, in KiB
rss() { tail -1 "$TMP/rss"; }

expect_rc() {
	[ "$RC" = "$1" ] || fail "exit status $RC, expected $1" \
		"; stdout: $OUT; stderr: $ERR"
}

expect_out() {
	[ "$OUT" = "$1" ] || fail "stdout was:
$OUT
--- expected:
$1"
}

expect_err() {
	[ "$ERR" = "$1" ] || fail "stderr was:
$ERR
--- expected:
$1"
}

contains() { # contains HAYSTACK NEEDLE
	case "$1" in *"$2"*) return 0 ;; esac
	return 1
}

expect_out_has() {
	contains "$OUT" "$1" || fail "stdout lacks '$1'; it was:
$OUT"
}

expect_err_has() {
	contains "$ERR" "$1" || fail "stderr lacks '$1'; it was:
$ERR"
}

# no_raw_controls: neither stdout nor stderr of the last run holds a C0
# control but LF (ESC, CR...), DEL, a C1 control, a bidi control or a
# line separator: a terminal would act on it
no_raw_controls() {
	! LC_ALL=C grep -qaP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]' \
		"$TMP/.out" "$TMP/.err" ||
		fail "a raw control character was printed: $(od -c "$TMP/.out" "$TMP/.err" | head -20)"
}

expect_eq() { # expect_eq ACTUAL EXPECTED [what]
	[ "$1" = "$2" ] || fail "${3:-value}: '$1', expected '$2'"
}

# A listing of every file under DIR with its SHA-256 and mode: two equal
# snapshots mean the folder is byte-for-byte the same.
snapshot() {
	(cd "$1" && find . \( -type f -o -type l -o -type d \) -printf '%p %m %s\n' |
		LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r sha256sum)
}

# A small collection: a few files of several kinds in nested folders.
# make_many_files DIR FOLDERS FILES: FOLDERS folders d00, d01, ... in DIR,
# each with FILES small files f0000.txt, f0001.txt, ... ("file D I").
make_many_files() {
	"$PYTHON" - "$@" <<'PY'
import os, sys
root, folders, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(folders):
    os.makedirs(os.path.join(root, "d%02d" % d), exist_ok=True)
    for i in range(files):
        with open(os.path.join(root, "d%02d" % d, "f%04d.txt" % i), "w") as f:
            f.write("file %d %d\n" % (d, i))
PY
}

make_collection() {
	mkdir -p "$1/memos/2019" "$1/scans"
	printf 'Meeting notes\nAttendees: A, B\n' >"$1/memos/2019/meeting.txt"
	printf 'Budget line 1\nBudget line 2\n' >"$1/memos/budget.txt"
	printf '%%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' \
		>"$1/scans/report.pdf"
	printf 'name,amount\nAcme,100\n' >"$1/Überweisungen März.csv"
	printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\b\2\0\0\0\x90wS\xde' \
		>"$1/scans/photo.png"
}

head_of() { git --git-dir="$1" rev-parse refs/heads/main; }

# entry_public GITDIR N / entry_private GITDIR N: the two parts of entry N
# at main, as stored (log/... is what the leaf hashes; private/... opens
# its commitment). entry_both: one after the other.
entry_part_path() { printf '%s/%03d/%03d/%09d.yaml' "$1" $(($2 / 1000000)) \
	$(($2 / 1000 % 1000)) "$2"; }
entry_public() { git --git-dir="$1" show "main:$(entry_part_path log "$2")"; }
entry_private() {
	git --git-dir="$1" show "main:$(entry_part_path private "$2")"
}
entry_both() { entry_public "$1" "$2" && entry_private "$1" "$2"; }

# A test that damages an archive on purpose says so; the others' archives
# are validated against the schemas after they pass.
tampered() { touch "$TMP/.tampered"; }

# Validate custody.yaml and both parts of every entry of every archive
# under $TMP with python3-jsonschema (tests/schema/check_schemas.py, which
# also checks that each private part is its public part's).
schema_check_archives() {
	local g n=0 out paths
	[ -e "$TMP/.tampered" ] && return 0
	out=$(mktemp -d /tmp/custody-schema.XXXXXX)
	while IFS= read -r -d '' g; do
		git --git-dir="$g" rev-parse -q --verify refs/heads/main \
			>/dev/null 2>&1 || continue
		n=$((n + 1))
		mkdir -p "$out/$n"
		paths=$(git --git-dir="$g" ls-tree --name-only main \
			custody.yaml log private) || { rm -rf "$out"; return 1; }
		# $paths unquoted: the top-level names, split on newlines
		git --git-dir="$g" archive main $paths |
			tar -x -m -C "$out/$n" || { rm -rf "$out"; return 1; }
	done < <(find "$TMP" -type d -name '.custody' -print0 -prune)
	if [ $n -gt 0 ] && ! "$PYTHON" "$SRCDIR/tests/schema/check_schemas.py" \
	    "$SRCDIR/schemas" "$out" >"$TMP/.schema" 2>&1; then
		cat "$TMP/.schema" >&2
		rm -rf "$out"
		return 1
	fi
	rm -rf "$out"
}

# Every proof a test wrote (and every disclosure's two proofs) holds no
# private value of any archive of the test that it was not asked to
# disclose (tests/cli/proof-leaks.py).
proof_leak_check() {
	"$PYTHON" "$SRCDIR/tests/cli/proof-leaks.py" "$TMP" >"$TMP/.leaks" 2>&1 ||
		{ cat "$TMP/.leaks" >&2; return 1; }
}

# new_key NAME: a key in the tests' key folder (passphrase as above).
new_key() {
	"$CUSTODY_FULL" key new "$1" >/dev/null 2>"$KEYS/.err" ||
		{ cat "$KEYS/.err" >&2; return 1; }
}

run_tests() {
	local passed=0 failed=0 name result
	KEYS=$(mktemp -d /tmp/custody-keys.XXXXXX)
	export CUSTODY_KEY_DIR="$KEYS/keys"
	# The tester's key is made by ssh-keygen and imported, so that stock
	# git can sign with the same key ($TESTER_SSH_KEY) where a test
	# forges a commit that only its content should betray.
	TESTER_SSH_KEY="$KEYS/tester.ssh"
	ssh-keygen -q -t ed25519 -N '' -C tester -f "$TESTER_SSH_KEY" &&
		"$CUSTODY_FULL" key import "$TESTER_SSH_KEY" >/dev/null ||
		{ echo "cannot make the test key"; return 1; }
	export CUSTODY_KEY=tester
	# ONLY=PATTERN runs the tests whose names match it (grep -E)
	for name in $(declare -F | awk '{print $3}' | grep '^test_' |
	    grep -E -- "${ONLY:-.}"); do
		TMP=$(mktemp -d /tmp/custody-test.XXXXXX)
		result=ok
		(cd "$TMP" && set -e && "$name") && schema_check_archives &&
			proof_leak_check || result=fail
		# a report is shown also when the test failed for it
		sanitizer_check || result=fail
		if [ "$result" = ok ]; then
			echo "ok   $name"
			passed=$((passed + 1))
		else
			echo "FAIL $name"
			failed=$((failed + 1))
		fi
		chmod -R u+rwX "$TMP" 2>/dev/null
		rm -rf "$TMP"
	done
	rm -rf "$KEYS"
	[ -z "$SANITIZER_LOGS" ] || rm -rf "$SANITIZER_LOGS"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
