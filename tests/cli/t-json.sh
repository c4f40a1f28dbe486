#!/bin/bash
# Output for scripts (docs/json.md): every --json output is one object
# with a "format" its schema in schemas/json/ describes (run checks each
# against it), failures under --json are JSON too, and the checker itself
# refuses what a script could not rely on.
. "$(dirname "$0")/lib.sh"

CHECK_JSON="$SRCDIR/tests/schema/check_json.py"
SCHEMAS="$SRCDIR/schemas/json"

# An archive of example.org/leaks with the test collection registered.
setup() {
	make_collection coll
	cd coll
	run init --origin example.org/leaks --json
	expect_rc 0
	run add --json .
	expect_rc 0
}

# format_of: the "format" of the last run's stdout
format_of() {
	"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["format"])' \
		<"$TMP/.out"
}

# expect_format NAME: the last run printed custody-NAME/v1
expect_format() { expect_eq "$(format_of)" "custody-$1/v1" "format"; }

test_json__every_command_prints_one_object_its_schema_accepts() {
	setup
	expect_format add
	run status --json
	expect_rc 0
	expect_format status
	run verify --full --json
	expect_rc 0
	expect_format verify
	run log --json
	expect_rc 0
	expect_format log
	run event memos/budget.txt --action received --from S-1 --json
	expect_rc 0
	expect_format event
	printf 'Budget line 1\n' >memos/budget-redacted.txt
	run derive memos/budget.txt memos/budget-redacted.txt --action redact \
		--json
	expect_rc 0
	expect_format derive
	run publish memos/budget-redacted.txt --url https://example.org/s \
		--json
	expect_rc 0
	expect_format publish
	run log memos/budget.txt --json
	expect_rc 0
	expect_format log-document
	run log --published --json
	expect_rc 0
	expect_format log-published
	run checkpoint --json
	expect_rc 0
	expect_format checkpoint
	# nothing to sign: a failure, as custody-error/v1
	run checkpoint sign --json
	expect_rc 1
	expect_format error
	run member list --json
	expect_rc 0
	expect_format member-list
	run member list --allowed-signers --json
	expect_rc 0
	expect_format member-allowed-signers
	run key list --json
	expect_rc 0
	expect_format key-list
	run remote add mirror /nowhere --json
	expect_rc 0
	expect_out '{"format":"custody-remote/v1","action":"add","name":"mirror","url":"/nowhere"}'
	run remote list --json
	expect_rc 0
	expect_format remote-list
	run remote remove mirror --json
	expect_rc 0
	expect_out '{"format":"custody-remote/v1","action":"remove","name":"mirror","url":null}'
	run evidence --json
	expect_rc 0
	expect_out '{"format":"custody-evidence/v1","evidence":[]}'
	run witness list --json
	expect_rc 0
	expect_format witness-list
	run sign memos/budget.txt --json
	expect_rc 0
	expect_format sign
	run verify-signature memos/budget.txt memos/budget.txt.sig \
		--key tester --json
	expect_rc 0
	expect_format verify-signature
	# a file that cannot be signed: a failure, not a shorter list
	run sign memos/budget.txt nothere.txt --force --json
	expect_rc 1
	expect_format error
	expect_out_has '"command":"sign","error":{"message":"nothere.txt: cannot read'
}

test_json__keys_members_and_disclosures_in_json() {
	setup
	run key new second --json
	expect_rc 0
	expect_format key
	expect_out_has '"name":"second",'
	ssh-keygen -q -t ed25519 -N '' -C bob -f "$TMP/bob"
	run member add bob "$TMP/bob.pub" --json
	expect_rc 0
	expect_format member
	expect_out_has '"action":"add","member":"bob","commit":"'
	run member revoke bob --json
	expect_rc 0
	expect_out_has '"action":"revoke","member":"bob",'
	printf 'Budget line 1\n' >redacted.txt
	run derive memos/budget.txt redacted.txt --action redact
	expect_rc 0
	run reveal redacted.txt -o redacted.reveal
	expect_rc 0
	"$CUSTODY" key export --vkey >outlet.vkey
	run check-reveal redacted.reveal --key outlet.vkey --json
	expect_rc 0
	expect_format check-reveal
	expect_out_has '"ok":true,'
	printf 'x' >>redacted.reveal
	run check-reveal redacted.reveal --key outlet.vkey --json
	expect_rc 1
	expect_format check-reveal
	expect_out_has '"ok":false,"failed_step":'
}

test_json__a_witness_answers_in_json() {
	setup
	"$CUSTODY" key export --vkey >"$TMP/log.vkey"
	"$CUSTODY" checkpoint >"$TMP/cp"
	export CUSTODY_WITNESS_DIR=$TMP/wstate
	run witness init "witness.test/$(basename "$TMP")" --json
	expect_rc 0
	expect_format witness-init
	local wvkey
	wvkey=$("$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["vkey"])' <"$TMP/.out")
	run witness trust example.org/leaks "$TMP/log.vkey" --json
	expect_rc 0
	expect_out "{\"format\":\"custody-witness-trust/v1\",\"origin\":\"example.org/leaks\",\"vkey\":\"$(cat "$TMP/log.vkey")\",\"added\":true}"
	run witness cosign "$TMP/cp" --json
	expect_rc 0
	expect_format witness-cosign
	expect_out_has '"output":null,"cosignature":"— witness.test/'
	run witness cosign "$TMP/cp" --old "$(sed -n 2p "$TMP/cp")" \
		-o "$TMP/cosig" --json
	expect_rc 0
	expect_out_has "\"output\":\"$TMP/cosig\","
	expect_eq "$("$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["cosignature"])' <"$TMP/.out")" \
		"$(cat "$TMP/cosig")" "the cosignature in the object and the file"
	run witness logs --json
	expect_rc 0
	expect_format witness-logs
	run witness evidence --json
	expect_rc 0
	expect_out '{"format":"custody-witness-evidence/v1","evidence":[]}'
	run witness serve --listen 127.0.0.1:0 --json
	expect_rc 2
	expect_format error
	run witness add w1 http://127.0.0.1:1/ "$wvkey" --json
	expect_rc 0
	expect_out_has '{"format":"custody-witness-change/v1","action":"add","entry":'
}

test_json__key_export_prints_the_key_as_json() {
	setup
	local line fp vkey
	line=$(tester_key)
	fp=$(ssh-keygen -lf <(echo "$line") | cut -d' ' -f2)
	run key export tester --json
	expect_rc 0
	expect_out "{\"format\":\"custody-key-export/v1\",\"name\":\"tester\",\"outlet\":false,\"fingerprint\":\"$fp\",\"public_key\":\"$line\",\"form\":\"openssh\",\"line\":\"$line tester\"}"
	run key export tester --allowed-signers --json
	expect_rc 0
	expect_out_has "\"form\":\"allowed-signers\",\"line\":\"tester namespaces=\\\"git,custody\\\" $line\"}"
	vkey=$("$CUSTODY" key export --vkey)
	run key export --vkey --json
	expect_rc 0
	expect_out_has "\"name\":\"example.org/leaks\",\"outlet\":true,"
	expect_out_has "\"form\":\"vkey\",\"line\":\"$vkey\"}"
	run key export --outlet --json
	expect_rc 0
	expect_out_has "\"form\":\"openssh\",\"line\":\"$(outlet_key) example.org/leaks\"}"
}

test_json__a_bad_signature_is_a_verdict_not_silence() {
	setup
	run sign memos/budget.txt
	expect_rc 0
	printf 'changed\n' >>memos/budget.txt
	run verify-signature memos/budget.txt memos/budget.txt.sig \
		--key tester --json
	expect_rc 1
	expect_out_has '{"format":"custody-verify-signature/v1","file":"memos/budget.txt","signature":"memos/budget.txt.sig","valid":false,"fingerprint":null,'
	expect_err_has "custody: memos/budget.txt: bad signature memos/budget.txt.sig"
	# another key's signature: both fingerprints, and why
	printf 'Budget line 1\nBudget line 2\n' >memos/budget.txt
	new_key other
	run sign memos/budget.txt --key other --force
	expect_rc 0
	run verify-signature memos/budget.txt memos/budget.txt.sig \
		--key tester --json
	expect_rc 1
	expect_out_has '"valid":false,'
	expect_out_has "\"fingerprint\":\"$(ssh-keygen -lf "$CUSTODY_KEY_DIR/other.pub" | cut -d' ' -f2)\""
	expect_out_has '"error":"a signature by another key"}'
}

test_json__timestamp_request_to_a_file_says_so() {
	setup
	run timestamp request -o q.tsq --json
	expect_rc 0
	expect_out "{\"format\":\"custody-timestamp-request/v1\",\"query\":\"q.tsq\",\"bytes\":$(stat -c %s q.tsq)}"
	openssl ts -query -in q.tsq -text >/dev/null 2>&1 || fail "not a query"
	# the query is binary: it cannot share standard output with JSON
	run timestamp request --json
	expect_rc 2
	expect_format error
	expect_err_has "custody: --json prints on standard output; write the query to a file with -o FILE"
}

test_json__a_failure_is_custody_error_on_stdout_and_the_message_on_stderr() {
	mkdir empty && cd empty
	run log --json
	expect_rc 1
	expect_format error
	local message
	message=$(head -1 "$TMP/.err" | sed 's/^custody: //')
	expect_err "custody: $message"
	contains "$message" "no archive in . or any folder above it" ||
		fail "stderr: $ERR"
	"$PYTHON" - "$message" "$TMP/.out" <<'PY' || fail "error object: $OUT"
import json, sys
d = json.load(open(sys.argv[2]))
assert d["command"] == "log", d
assert d["error"]["exit"] == 1, d
assert d["error"]["message"] == sys.argv[1], (d, sys.argv[1])
assert d["error"]["messages"] == [sys.argv[1]], d
PY
}

test_json__a_usage_error_is_custody_error_with_exit_2() {
	run status --frobnicate --json
	expect_rc 2
	expect_out '{"format":"custody-error/v1","command":"status","error":{"message":"unknown or incomplete option '"'"'--frobnicate'"'"'","exit":2,"messages":["unknown or incomplete option '"'"'--frobnicate'"'"'"]}}'
	expect_err_has "custody: unknown or incomplete option '--frobnicate'"
	run statsu --json
	expect_rc 2
	expect_out_has '"command":"statsu","error":{"message":"'"'"'statsu'"'"' is not a custody command; did you mean '"'"'status'"'"'?"'
	# a command without --json refuses it like any unknown option
	run restore memos/budget.txt --json
	expect_rc 2
	expect_format error
}

test_json__a_refused_add_prints_no_half_object_and_changes_nothing() {
	setup
	ln -s memos/budget.txt link
	printf 'new\n' >new.txt
	local before
	before=$(snapshot .custody)
	run add --json .
	expect_rc 1
	expect_format error
	expect_out_has '"command":"add","error":{"message":"1 path refused'
	expect_out_has '"messages":["refused link: is a symbolic link;'
	expect_eq "$(snapshot .custody)" "$before" "the archive"
}

test_json__help_stays_text() {
	run status --help --json
	expect_rc 0
	expect_out_has "usage: custody status"
}

# The checker fails a test when a field is dropped, renamed or added, the
# format is missing or another command's, or the top level is no object.
test_json__the_checker_refuses_what_scripts_could_not_rely_on() {
	setup
	run status --json
	expect_rc 0
	cp "$TMP/.out" good.json
	"$PYTHON" "$CHECK_JSON" "$SCHEMAS" good.json status --json ||
		fail "a good output refused"
	mutate() { # mutate NAME PYTHON-EXPRESSION-ON-d
		"$PYTHON" -c "import json,sys
d = json.load(open('good.json'))
$2
print(json.dumps(d))" >"$1.json"
	}
	mutate dropped 'del d["unchanged"]'
	mutate renamed 'd["moves"] = d.pop("moved")'
	mutate added 'd["extra"] = 1'
	mutate typed 'd["hashed"] = "0"'
	mutate unversioned 'del d["format"]'
	mutate version2 'd["format"] = "custody-status/v2"'
	mutate array 'd = [d]'
	mutate nested 'd["items"] = [{"status": "new", "path": "x"}]'
	for bad in dropped renamed added typed unversioned version2 array \
	    nested; do
		"$PYTHON" "$CHECK_JSON" "$SCHEMAS" $bad.json status --json \
			2>"$bad.err" && fail "$bad: accepted"
		[ -s "$bad.err" ] || fail "$bad: refused without a reason"
	done
	grep -q "'unchanged' is a required property" dropped.err ||
		fail "$(cat dropped.err)"
	grep -q "'moves' was unexpected" renamed.err || fail "$(cat renamed.err)"
	# another command's output, or none
	"$PYTHON" "$CHECK_JSON" "$SCHEMAS" good.json verify --json 2>other.err &&
		fail "status output taken for verify's"
	grep -q "is not custody verify's" other.err || fail "$(cat other.err)"
	: >empty.json
	"$PYTHON" "$CHECK_JSON" "$SCHEMAS" empty.json status --json 2>/dev/null &&
		fail "no output accepted"
	# a format with no schema
	sed 's/custody-status/custody-status-new/' good.json >unknown.json
	"$PYTHON" "$CHECK_JSON" "$SCHEMAS" unknown.json status --json \
		2>unknown.err && fail "a format without a schema accepted"
	grep -q "no schema for" unknown.err || fail "$(cat unknown.err)"
}

test_json__every_schema_is_valid_and_closed() {
	"$PYTHON" "$CHECK_JSON" "$SCHEMAS" --schemas >out 2>err ||
		fail "$(cat err)"
	grep -q '^[0-9]* JSON schemas valid$' out || fail "$(cat out)"
	# one a schema that is not closed is refused
	mkdir open
	"$PYTHON" -c 'import json
s = json.load(open("'"$SCHEMAS"'/status.schema.json"))
del s["additionalProperties"]
json.dump(s, open("open/status.schema.json", "w"))'
	"$PYTHON" "$CHECK_JSON" open --schemas 2>err && fail "an open schema passed"
	grep -q "not closed" err || fail "$(cat err)"
}

# A test that ran custody --json outside run/run_full/trun/json would go
# unchecked.
test_json__no_test_runs_custody_json_unchecked() {
	local found
	found=$(grep -n -E '"\$CUSTODY(_FULL)?"[^|]*--json' \
		"$SRCDIR"/tests/cli/t-*.sh || true)
	[ -z "$found" ] || fail "custody --json run directly: $found"
}

run_tests
