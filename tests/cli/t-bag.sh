#!/bin/bash
# custody bag: validate any bag exactly to RFC 8493 (the known-answer bags
# of tests/data/bags, one per rule, and a bag written by shell commands as
# the RFC's examples are).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"

bags() { "$PYTHON" "$SRCDIR/tests/data/bags/make-bags.py" b; }

# validate_is NAME RC STDOUT [STDERR]: custody bag validate b/NAME says
# exactly this; a problem line's "custody: b/NAME/" is written as "@/"
validate_is() {
	run bag validate "b/$1"
	[ "$RC" = "$2" ] || fail "$1: exit $RC, expected $2; $OUT; $ERR"
	expect_out "$3"
	local problems=${4:-}
	expect_err "${problems//@\//custody: b/$1/}"
}

test_bag_validate__valid_bags_pass_with_their_summary() {
	bags
	validate_is valid 0 "valid: b/valid: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512, tag manifests sha256"
	# lines may end in CR LF or CR as well as LF (2.3)
	validate_is valid-crlf 0 "valid: b/valid-crlf: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512, tag manifests sha256"
	validate_is valid-cr 0 "valid: b/valid-cr: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512, tag manifests sha256"
	# CR, LF and % in names, percent-encoded (2.1.3); "x%0Ay" is
	# listed as x%250Ay and is not read as a line feed
	validate_is valid-encoded-names 0 "valid: b/valid-encoded-names: BagIt 1.0, 4 payload files, 8 bytes, manifests sha256,sha512, tag manifests sha256"
	validate_is valid-empty-payload 0 "valid: b/valid-empty-payload: BagIt 1.0, 0 payload files, 0 bytes, manifests sha256,sha512, tag manifests sha256"
}

test_bag_validate__every_algorithm_of_the_rfc_is_checked() {
	bags
	validate_is valid-all-algorithms 0 "valid: b/valid-all-algorithms: BagIt 1.0, 2 payload files, 19 bytes, manifests md5,sha1,sha256,sha512, tag manifests sha256; 2 warnings" \
"@/manifest-md5.txt: warning: md5 is weak; bags should carry sha512 (or sha256) (RFC 8493 2.4)
@/manifest-sha1.txt: warning: sha1 is weak; bags should carry sha512 (or sha256) (RFC 8493 2.4)"
	# a wrong md5 is found as surely as a wrong sha512
	printf '00000000000000000000000000000000  data/memo.txt\n' \
		>b/valid-all-algorithms/manifest-md5.txt
	printf '%s  data/scans/page 1.txt\n' "$(md5sum <'b/valid-all-algorithms/data/scans/page 1.txt' | cut -d' ' -f1)" \
		>>b/valid-all-algorithms/manifest-md5.txt
	run bag validate b/valid-all-algorithms
	expect_rc 1
	expect_err_has "custody: b/valid-all-algorithms/manifest-md5.txt:1: error: data/memo.txt: the file's md5 is $(md5sum <b/valid-all-algorithms/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)"
	# and the tag manifest, which lists manifest-md5.txt, sees it changed
	expect_err_has "custody: b/valid-all-algorithms/tagmanifest-sha256.txt:"
	expect_out "invalid: b/valid-all-algorithms: 2 errors, 2 warnings"
}

test_bag_validate__a_utf16_bag_decodes_its_tag_files() {
	bags
	validate_is valid-utf16 0 "valid: b/valid-utf16: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512; 1 warning" \
		"@/bagit.txt:2: warning: Tag-File-Character-Encoding UTF-16: UTF-8 is what version 1.0 bags should use (RFC 8493 2.1.1)"
	# the same manifests read as UTF-8 are not manifests
	sed -i 's/UTF-16/UTF-8/' b/valid-utf16/bagit.txt
	run bag validate b/valid-utf16
	expect_rc 1
	expect_err_has "custody: b/valid-utf16/manifest-sha256.txt:1: error: byte 1 is not UTF-8, the bag's Tag-File-Character-Encoding (RFC 8493 2.1.1)"
}

test_bag_validate__the_declaration_is_exactly_two_utf8_lines() {
	bags
	validate_is bom-in-bagit-txt 1 "invalid: b/bom-in-bagit-txt: 1 error, 0 warnings" \
		"@/bagit.txt:1: error: starts with a byte-order mark, which the declaration must not have (RFC 8493 2.1.1)"
	validate_is bagit-txt-three-lines 1 "invalid: b/bagit-txt-three-lines: 1 error, 0 warnings" \
		"@/bagit.txt:3: error: more than two lines: the declaration has exactly two (RFC 8493 2.1.1)"
	validate_is no-bagit-txt 1 "invalid: b/no-bagit-txt: 1 error, 0 warnings" \
		"@/bagit.txt: error: missing: every bag has its declaration (RFC 8493 2.1.1)"
}

test_bag_validate__completeness_lists_every_missing_and_unlisted_file() {
	bags
	validate_is no-payload-manifest 1 "invalid: b/no-payload-manifest: 1 error, 0 warnings" \
		"@/manifest-*.txt: error: missing: a bag has at least one payload manifest (manifest-<algorithm>.txt) (RFC 8493 2.1.3)"
	validate_is file-not-in-manifest 1 "invalid: b/file-not-in-manifest: 2 errors, 0 warnings" \
"@/data/extra.txt: error: not listed in manifest-sha256.txt: every payload file is in every payload manifest (RFC 8493 3)
@/data/extra.txt: error: not listed in manifest-sha512.txt: every payload file is in every payload manifest (RFC 8493 3)"
	validate_is missing-file 1 "invalid: b/missing-file: 2 errors, 0 warnings" \
"@/manifest-sha256.txt:1: error: data/memo.txt: listed, but not in the bag (RFC 8493 3)
@/manifest-sha512.txt:1: error: data/memo.txt: listed, but not in the bag (RFC 8493 3)"
	rm -r b/valid/data
	validate_is valid 1 "invalid: b/valid: 6 errors, 0 warnings" \
"@/data: error: missing: every bag has its payload folder, data/ (RFC 8493 2.1.2)
@/manifest-sha256.txt:1: error: data/memo.txt: listed, but not in the bag (RFC 8493 3)
@/manifest-sha256.txt:2: error: data/scans/page 1.txt: listed, but not in the bag (RFC 8493 3)
@/manifest-sha512.txt:1: error: data/memo.txt: listed, but not in the bag (RFC 8493 3)
@/manifest-sha512.txt:2: error: data/scans/page 1.txt: listed, but not in the bag (RFC 8493 3)
@/bag-info.txt:3: error: Payload-Oxum 19.2, but the payload is 0 bytes in 0 files (RFC 8493 2.2.2)"
}

test_bag_validate__checksums_and_duplicates() {
	bags
	validate_is wrong-checksum 1 "invalid: b/wrong-checksum: 2 errors, 0 warnings" \
"@/manifest-sha256.txt:1: error: data/memo.txt: the file's sha256 is $(sha256sum <b/wrong-checksum/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)
@/manifest-sha512.txt:1: error: data/memo.txt: the file's sha512 is $(sha512sum <b/wrong-checksum/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)"
	validate_is listed-twice-different 1 "invalid: b/listed-twice-different: 2 errors, 0 warnings" \
"@/manifest-sha256.txt:3: error: data/memo.txt: listed twice with different checksums (line 1 has another) (RFC 8493 2.1.3)
@/manifest-sha256.txt:3: error: data/memo.txt: the file's sha256 is $(sha256sum <b/listed-twice-different/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)"
}

test_bag_validate__listed_twice_with_one_checksum_is_a_warning() {
	bags
	validate_is listed-twice-same 0 "valid: b/listed-twice-same: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512; 1 warning" \
		"@/manifest-sha256.txt:3: warning: data/scans/page 1.txt: listed twice (also line 2), with the same checksum (RFC 8493 2.1.3)"
	validate_is bad-checksum-form 1 "invalid: b/bad-checksum-form: 3 errors, 0 warnings" \
"@/manifest-sha256.txt:1: error: data/memo.txt: 'XYZ' is not a sha256 checksum (64 hex digits) (RFC 8493 2.1.3)
@/data/memo.txt: error: not listed in manifest-sha256.txt: every payload file is in every payload manifest (RFC 8493 3)
@/data/scans/page 1.txt: error: not listed in manifest-sha256.txt: every payload file is in every payload manifest (RFC 8493 3)"
}

# Paths that would leave the bag, or name what is not its payload
# (RFC 8493 4.1), are refused before anything is opened.
test_bag_validate__paths_stay_inside_the_bag() {
	bags
	validate_is path-dotdot 1 "invalid: b/path-dotdot: 1 error, 0 warnings" \
		"@/manifest-sha256.txt:3: error: data/../bagit.txt: path has a '..' component (outside its folder) (RFC 8493 4.1)"
	validate_is path-absolute 1 "invalid: b/path-absolute: 1 error, 0 warnings" \
		"@/manifest-sha256.txt:3: error: /etc/hostname: path is absolute (RFC 8493 4.1)"
	validate_is path-tilde 1 "invalid: b/path-tilde: 1 error, 0 warnings" \
		"@/manifest-sha256.txt:3: error: ~/notes.txt: path starts with '~' (a home folder) (RFC 8493 4.1)"
	validate_is path-outside-data 1 "invalid: b/path-outside-data: 1 error, 0 warnings" \
		"@/manifest-sha256.txt:3: error: bagit.txt: a payload manifest lists only files under data/ (RFC 8493 2.1.3)"
	# a link in the payload is not followed out of the bag
	ln -s /etc/hostname b/valid/data/link
	validate_is valid 1 "invalid: b/valid: 1 error, 0 warnings" \
		"@/data/link: error: is a symbolic link, not a file: a bag holds files only (RFC 8493 4.1)"
}

# Only %0D, %0A and %25 are decoded (RFC 8493 2.1.3); another %XX is part
# of the name, and a '%' left unencoded is taken as written, with a
# warning.
test_bag_validate__percent_encoding_is_exact() {
	bags
	validate_is percent-literal 0 "valid: b/percent-literal: BagIt 1.0, 1 payload file, 2 bytes, manifests sha256; 1 warning" \
		"@/manifest-sha256.txt:1: warning: data/a%20b: '%' not percent-encoded as %25 (taken as written) (RFC 8493 2.1.3)"
	validate_is percent-not-decoded 1 "invalid: b/percent-not-decoded: 2 errors, 1 warning" \
"@/manifest-sha256.txt:1: warning: data/a%20b: '%' not percent-encoded as %25 (taken as written) (RFC 8493 2.1.3)
@/manifest-sha256.txt:1: error: data/a%20b: listed, but not in the bag (RFC 8493 3)
@/data/a b: error: not listed in manifest-sha256.txt: every payload file is in every payload manifest (RFC 8493 3)"
}

# A tool that wrote the name "data/50%25" raw: read as the RFC says, that
# is "data/50%"; --legacy-encoding reads it as written.
test_bag_validate__legacy_encoding_takes_names_as_written() {
	bags
	validate_is raw-names 1 "invalid: b/raw-names: 2 errors, 0 warnings" \
"@/manifest-sha256.txt:1: error: data/50%: listed, but not in the bag (RFC 8493 3)
@/data/50%25: error: not listed in manifest-sha256.txt: every payload file is in every payload manifest (RFC 8493 3)"
	run bag validate --legacy-encoding b/raw-names
	expect_rc 0
	expect_out "valid: b/raw-names: BagIt 1.0, 1 payload file, 2 bytes, manifests sha256"
	expect_err ""
	# and a correctly encoded bag read raw is not valid
	run bag validate --legacy-encoding b/valid-encoded-names
	expect_rc 1
}

test_bag_validate__payload_oxum_and_bag_info() {
	bags
	validate_is bad-payload-oxum 1 "invalid: b/bad-payload-oxum: 1 error, 0 warnings" \
		"@/bag-info.txt:3: error: Payload-Oxum 999.2, but the payload is 19 bytes in 2 files (RFC 8493 2.2.2)"
	validate_is malformed-payload-oxum 1 "invalid: b/malformed-payload-oxum: 1 error, 0 warnings" \
		"@/bag-info.txt:3: error: Payload-Oxum '19-2' is not OctetCount.StreamCount (RFC 8493 2.2.2)"
	validate_is bag-info-no-colon 1 "invalid: b/bag-info-no-colon: 1 error, 0 warnings" \
		"@/bag-info.txt:4: error: not 'Label: value' (no colon) (RFC 8493 2.2.2)"
}

test_bag_validate__tag_manifests_cover_the_tag_files() {
	bags
	validate_is tagmanifest-mismatch 1 "invalid: b/tagmanifest-mismatch: 1 error, 0 warnings" \
		"@/tagmanifest-sha256.txt:1: error: bag-info.txt: the file's sha256 is $(sha256sum <b/tagmanifest-mismatch/bag-info.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)"
	# a tag file the tag manifest does not list: a SHOULD, so a warning
	printf 'x\n' >b/valid/extra-tags.txt
	validate_is valid 0 "valid: b/valid: BagIt 1.0, 2 payload files, 19 bytes, manifests sha256,sha512, tag manifests sha256; 1 warning" \
		"@/extra-tags.txt: warning: a tag file not listed in tagmanifest-sha256.txt (RFC 8493 2.2.1)"
}

test_bag_validate__holey_bags_are_not_complete() {
	bags
	validate_is holey 1 "invalid: b/holey: 1 error, 0 warnings" \
		"@/fetch.txt:1: error: data/remote.txt: not fetched yet: the bag is not complete (custody bag fetch completes it) (RFC 8493 3)"
	printf 'fetched later\n' >b/holey/data/remote.txt
	validate_is holey 0 "valid: b/holey: BagIt 1.0, 3 payload files, 33 bytes, manifests sha256,sha512"
	validate_is fetch-outside-data 1 "invalid: b/fetch-outside-data: 2 errors, 0 warnings" \
"@/fetch.txt:1: error: data/../../etc/x: path has a '..' component (outside its folder) (RFC 8493 4.1)
@/fetch.txt:2: error: bagit.txt: path is not under data/: fetch.txt lists payload files only (RFC 8493 2.2.3)"
}

test_bag_validate__names_equal_after_normalisation_are_warned_about() {
	bags
	run bag validate b/normalisation-twins
	expect_rc 0
	expect_out "valid: b/normalisation-twins: BagIt 1.0, 2 payload files, 4 bytes, manifests sha256,sha512, tag manifests sha256; 1 warning"
	expect_err "custody: b/normalisation-twins/data/caf$(printf '\xc3\xa9').txt: warning: the same name as 'data/cafe$(printf '\xcc\x81').txt' after Unicode normalisation (NFC): one file on file systems that normalise (RFC 8493 A.1)"
}

# A bag as RFC 8493's examples make one, with nothing but the shell.
test_bag_validate__a_bag_written_by_shell_commands_validates() {
	mkdir -p mybag/data/docs
	printf 'first\n' >mybag/data/docs/letter.txt
	printf 'second\n' >mybag/data/report.csv
	printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' \
		>mybag/bagit.txt
	(cd mybag && find data -type f | LC_ALL=C sort | xargs sha512sum \
		>manifest-sha512.txt)
	printf 'Source-Organization: Example\nPayload-Oxum: 13.2\n' \
		>mybag/bag-info.txt
	(cd mybag && sha512sum bagit.txt bag-info.txt manifest-sha512.txt \
		>tagmanifest-sha512.txt)
	local before
	before=$(snapshot mybag)
	run bag validate mybag
	expect_rc 0
	expect_out "valid: mybag: BagIt 1.0, 2 payload files, 13 bytes, manifests sha512, tag manifests sha512"
	expect_err ""
	# validating changes nothing
	expect_eq "$(snapshot mybag)" "$before" "the bag after validate"
	# one thread or many, the same answer
	run bag validate --threads 1 mybag
	expect_rc 0
	expect_out "valid: mybag: BagIt 1.0, 2 payload files, 13 bytes, manifests sha512, tag manifests sha512"
}

test_bag_validate__json_lists_every_problem() {
	bags
	run bag validate b/missing-file --json
	expect_rc 1
	expect_err ""
	expect_out '{"format":"custody-bag-validate/v1","problems":[{"severity":"error","file":"manifest-sha256.txt","line":1,"path":"data/memo.txt","section":"3","message":"listed, but not in the bag"},{"severity":"error","file":"manifest-sha512.txt","line":1,"path":"data/memo.txt","section":"3","message":"listed, but not in the bag"}],"bag":"b/missing-file","valid":false,"complete":false,"bagit_version":"1.0","encoding":"UTF-8","algorithms":"sha256,sha512","tag_algorithms":"","payload_files":1,"payload_bytes":5,"fetch_missing":0,"errors":2,"warnings":0,"proofs_checked":0}'
}

test_bag_validate__names_with_controls_are_printed_escaped() {
	bags
	rm 'b/valid-encoded-names/data/a'$'\r''b'
	run bag validate b/valid-encoded-names
	expect_rc 1
	no_raw_controls
	expect_err "custody: b/valid-encoded-names/manifest-sha256.txt:2: error: \"data/a\\rb\": listed, but not in the bag (RFC 8493 3)
custody: b/valid-encoded-names/manifest-sha512.txt:2: error: \"data/a\\rb\": listed, but not in the bag (RFC 8493 3)
custody: b/valid-encoded-names/bag-info.txt:3: error: Payload-Oxum 8.4, but the payload is 6 bytes in 3 files (RFC 8493 2.2.2)"
}

test_bag_validate__usage_and_unreadable_bags() {
	run bag
	expect_rc 2
	run bag validate
	expect_rc 2
	run bag frobnicate x
	expect_rc 2
	run bag validate a b
	expect_rc 2
	run bag validate --threads 0 x
	expect_rc 2
	run bag validate nowhere
	expect_rc 1
	expect_err "custody: nowhere: cannot open the bag: No such file or directory"
}

# ---- export ----

# An archive of the sample collection, and names that are hard to carry:
# spaces, non-ASCII letters, '%' (CR and LF: hard_names below).
export_setup() {
	make_collection coll
	printf 'sale\n' >'coll/memos/50% off.txt'
	printf 'gr\xc3\xbc\xc3\x9fe\n' >$'coll/memos/Gr\xc3\xbc\xc3\x9fe an Zo\xc3\xab.txt'
	cd coll
	run init --origin example.org/leaks "$@"
	expect_rc 0
	run add .
	expect_rc 0
}

test_bag_export__round_trip_validates_and_matches_the_collection() {
	export_setup
	local n
	n=$(find . -path ./.custody -prune -o -type f -print | wc -l)
	run bag export ../out
	expect_rc 0
	expect_out "bag ../out: $n files, $(find . -path ./.custody -prune -o -type f -printf '%s\n' | paste -sd+ | bc) bytes, $n custody proofs at checkpoint example.org/leaks/$((n + 1))"
	# the payload is the collection, byte for byte
	diff -r -x .custody . ../out/data || fail "payload differs"
	# a manifest line per file, percent-encoded: only the % changes
	grep -qxF "$(sha256sum <'memos/50% off.txt' | cut -d' ' -f1)  data/memos/50%25 off.txt" \
		../out/manifest-sha256.txt || fail "$(cat ../out/manifest-sha256.txt)"
	# sha512sum agrees with every line it can read (those without '%')
	(cd ../out && grep -v % manifest-sha512.txt | sha512sum -c --quiet) ||
		fail "sha512sum disagrees"
	"$CUSTODY" key export --vkey >../outlet.vkey
	run bag validate ../out --key ../outlet.vkey
	expect_rc 0
	expect_err ""
	expect_out "valid: ../out: BagIt 1.0, $n payload files, $(find . -path ./.custody -prune -o -type f -printf '%s\n' | paste -sd+ | bc) bytes, manifests sha256,sha512, tag manifests sha256,sha512, $n custody proofs checked"
	# bag-info.txt as documented
	expect_eq "$(sed -n '1p;3,5p' ../out/bag-info.txt)" "Source-Organization: example.org/leaks
Payload-Oxum: $(find . -path ./.custody -prune -o -type f -printf '%s\n' | paste -sd+ | bc).$n
Bag-Software-Agent: custody $("$CUSTODY" --version | cut -d' ' -f2)
External-Identifier: example.org/leaks/$((n + 1))" "bag-info.txt"
	grep -qx "Bagging-Date: $(date -u +%Y-%m-%d)" ../out/bag-info.txt ||
		fail "no Bagging-Date"
	# the checkpoint and a proof per file, which custody check accepts
	run check '../out/data/memos/50% off.txt' --proof '../out/custody/proofs/memos/50% off.txt.proof' --key ../outlet.vkey
	expect_rc 0
	expect_eq "$(ls ../out/custody/proofs/memos | wc -l)" 4 "proofs in memos/"
}

test_bag_export__only_the_paths_named() {
	export_setup
	run bag export ../out memos/budget.txt scans/
	expect_rc 0
	expect_eq "$(cd ../out/data && find . -type f | LC_ALL=C sort)" "$(find scans -type f | sed 's|^|./|' | cat - <(echo ./memos/budget.txt) | LC_ALL=C sort)" "payload"
	run bag export ../out3 scans/ --json
	expect_rc 0
	expect_out_has '{"format":"custody-bag-export/v1","bag":"../out3","files":'
	run bag export ../out2 nowhere/ --json
	expect_rc 1
	expect_out_has '"format":"custody-error/v1"'
	run bag export ../out2 nowhere/
	expect_rc 1
	expect_err "custody: nowhere/: no registered document is there"
	[ ! -e ../out2 ] || fail "a bag was left"
}

test_bag_export__refuses_an_existing_folder_and_leaves_it_alone() {
	export_setup
	mkdir ../out
	printf 'mine\n' >../out/keep
	local before
	before=$(snapshot ../out)
	run bag export ../out
	expect_rc 1
	expect_err "custody: ../out: exists; a bag is made in a new folder"
	expect_eq "$(snapshot ../out)" "$before" "the folder"
}

test_bag_export__at_a_log_size_gives_the_collection_as_it_stood() {
	export_setup
	run checkpoint
	printf '%s\n' "$OUT" >../saved.checkpoint
	local size before
	size=$(sed -n 2p ../saved.checkpoint)
	before=$(sha256sum <memos/budget.txt | cut -d' ' -f1)
	printf 'Budget line 1\nBudget line 2\nBudget line 3\n' >memos/budget.txt
	printf 'later\n' >memos/later.txt
	run add .
	expect_rc 0
	run bag export ../then --at ../saved.checkpoint
	expect_rc 0
	expect_out_has "custody proofs at checkpoint example.org/leaks/$size"
	[ ! -e ../then/data/memos/later.txt ] || fail "a later document"
	expect_eq "$(sha256sum <../then/data/memos/budget.txt | cut -d' ' -f1)" "$before" "budget.txt then"
	grep -qx "External-Identifier: example.org/leaks/$size" ../then/bag-info.txt ||
		fail "$(cat ../then/bag-info.txt)"
	"$CUSTODY" key export --vkey >../outlet.vkey
	run bag validate ../then --key ../outlet.vkey
	expect_rc 0
	run bag export ../now
	expect_rc 0
	[ -e ../now/data/memos/later.txt ] || fail "head lacks later.txt"
	run bag export ../x --at 999999
	expect_rc 1
	run bag export ../x --at yesterday
	expect_rc 2
}

# Hashes only: the payload comes from the collection, checked as it is
# copied; a file changed since it was registered stops the export, and
# no bag is left behind.
test_bag_export__a_changed_file_is_refused_and_no_bag_is_left() {
	export_setup --no-store
	run bag export ../out --link
	expect_rc 0
	[ "$(stat -c %h memos/budget.txt)" = 2 ] || fail "not hard-linked"
	run bag validate ../out
	expect_rc 0
	printf 'Budget line 1\nBudget line 9\n' >memos/budget.txt
	run bag export ../out2
	expect_rc 1
	expect_err_has "custody: memos/budget.txt: is not the content registered as version 1"
	[ ! -e ../out2 ] || fail "a bag was left"
	[ -z "$(ls -d ../out2.partial-* 2>/dev/null)" ] || fail "a partial bag was left"
	rm memos/budget.txt
	run bag export ../out2
	expect_rc 1
	expect_err_has "custody: memos/budget.txt: not stored, and the collection's file cannot be read: No such file or directory"
}

test_bag_export__a_holey_bag_lists_every_file_in_fetch_txt() {
	export_setup --no-store
	run bag export ../out --fetch-base https://example.org/files/ 'memos/50% off.txt'
	expect_rc 0
	expect_eq "$(cat ../out/fetch.txt)" "https://example.org/files/memos/50%25%20off.txt 5 data/memos/50%25 off.txt" "fetch.txt"
	[ -z "$(ls ../out/data)" ] || fail "payload copied"
	run bag validate ../out
	expect_rc 1
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/50% off.txt: not fetched yet: the bag is not complete (custody bag fetch completes it) (RFC 8493 3)
custody: ../out/custody: warning: custody proofs present but not checked: no outlet key or policy was given (RFC 8493 2.2.4)"
	cp 'memos/50% off.txt' ../out/data/memos/ 2>/dev/null || { mkdir -p ../out/data/memos && cp 'memos/50% off.txt' ../out/data/memos/; }
	run bag validate ../out
	expect_rc 0
	run bag export ../out3 --fetch-base 'not a url'
	expect_rc 2
}

# rewrite_manifests BAG: every manifest and tag manifest made again for
# what the bag now holds, as someone who changed a file would
rewrite_manifests() {
	(cd "$1" && for a in 256 512; do
		find data -type f | LC_ALL=C sort | xargs -d '\n' sha${a}sum >manifest-sha$a.txt
	done && for a in 256 512; do
		find . -path ./data -prune -o -type f ! -name 'tagmanifest-*' -printf '%P\n' |
			LC_ALL=C sort | xargs -d '\n' sha${a}sum >tagmanifest-sha$a.txt
	done)
}

# A bag whose manifests were made again after a file was swapped is a
# valid bag; its custody proofs are what show the swap.
test_bag_validate__custody_proofs_catch_what_the_manifests_cannot() {
	export_setup
	"$CUSTODY" key export --vkey >../outlet.vkey
	run bag export ../out memos/budget.txt scans/
	expect_rc 0
	local n
	n=$(find ../out/data -type f | wc -l)
	run bag validate ../out --key ../outlet.vkey
	expect_rc 0
	expect_err ""
	expect_out_has ", $n custody proofs checked"
	run bag validate ../out
	expect_rc 0
	expect_err "custody: ../out/custody: warning: custody proofs present but not checked: no outlet key or policy was given (RFC 8493 2.2.4)"
	printf 'Budget line 1\nBudget line 99\n' >../out/data/memos/budget.txt
	sed -i 's/^Payload-Oxum: .*/Payload-Oxum: '"$(find ../out/data -type f -printf '%s\n' | paste -sd+ | bc).$n"'/' ../out/bag-info.txt
	rewrite_manifests ../out
	run bag validate ../out
	expect_rc 0
	run bag validate ../out --key ../outlet.vkey
	expect_rc 1
	expect_out "invalid: ../out: 1 error, 0 warnings"
	expect_err_has "custody: ../out/custody/proofs/memos/budget.txt.proof: error: data/memos/budget.txt: the proof fails at step 'file': "
	# another outlet's key: every proof fails at its signature
	mkdir ../other && (cd ../other && "$CUSTODY" init --origin example.org/other >/dev/null 2>&1 &&
		"$CUSTODY" key export --vkey >../other.vkey)
	run bag validate ../out --key ../other.vkey
	expect_rc 1
	expect_out "invalid: ../out: $n errors, 0 warnings"
	run bag validate ../out --key ../outlet.vkey --policy ../x
	expect_rc 2
}

# ---- import ----

commits() { git --git-dir="$1" rev-list --count main; }

test_bag_import__export_validate_import_round_trip_in_one_commit() {
	export_setup
	run bag export ../out
	expect_rc 0
	local n
	n=$(find ../out/data -type f | wc -l)
	mkdir ../desk && cd ../desk
	run init --origin example.org/desk
	expect_rc 0
	local before
	before=$(commits .custody)
	run bag import ../out --into received
	expect_rc 0
	expect_out "imported ../out: $n registered, $n received events; commit $(git --git-dir=.custody rev-parse --short=12 main)"
	expect_eq "$(commits .custody)" "$((before + 1))" "commits"
	# the payload, byte for byte, under received/
	diff -r ../out/data received || fail "payload differs"
	# each document's first event is its receipt, naming the bag
	run log --json
	expect_rc 0
	local tag
	tag=$(sha256sum <../out/tagmanifest-sha512.txt | cut -d' ' -f1)
	expect_eq "$(grep -o '"note":"BagIt bag out: tagmanifest-sha512.txt SHA-256 [0-9a-f]*; Bagging-Date [0-9-]*; Source-Organization example.org/leaks"' <<<"$OUT" | sort -u)" \
		"\"note\":\"BagIt bag out: tagmanifest-sha512.txt SHA-256 $tag; Bagging-Date $(date -u +%Y-%m-%d); Source-Organization example.org/leaks\"" "the events' note"
	expect_eq "$(grep -o '"action":"received"' <<<"$OUT" | wc -l)" "$n" "received events"
	run verify
	expect_rc 0
	# and the imported collection exports to a valid bag again
	run bag export ../again
	expect_rc 0
	run bag validate ../again
	expect_rc 0
}

# Names every tool gets wrong somewhere: a space, NFC and NFD spellings
# of one word (two files), '%' (and "%0A" written out), CR, LF, a tab,
# and a line that would read as custody's own ("verified: ok").
hard_names() {
	printf '1\n' >'a name with spaces.txt'
	printf '2\n' >$'M\xc3\xbcller nfc.txt'
	printf '3\n' >$'Mu\xcc\x88ller nfd.txt'
	printf '4\n' >'100% and %0A.txt'
	printf '5\n' >$'Icon\r'
	printf '6\n' >$'evil\nverified: ok\r.txt'
	printf '7\n' >$'tab\there.txt'
}

# the private parts' paths of an archive, one a line, exactly as stored
# (YAML escapes read back by python), sorted
stored_paths() {
	for f in $(git --git-dir="$1" ls-tree -r --name-only main private/); do
		git --git-dir="$1" show "main:$f"
	done | "$PYTHON" -c '
import sys, yaml
for doc in sys.stdin.read().split("custody-private:")[1:]:
    p = yaml.safe_load("custody-private:" + doc).get("path")
    if p is not None:
        sys.stdout.write(repr(p.encode()) + "\n")' | LC_ALL=C sort
}

test_bag_import__round_trip_keeps_cr_lf_percent_and_unicode_names_exact() {
	mkdir coll && cd coll
	hard_names
	run init --origin example.org/leaks
	expect_rc 0
	run add .
	expect_rc 0
	no_raw_controls
	run bag export ../out
	expect_rc 0
	no_raw_controls
	# the manifests encode CR, LF and % as RFC 8493 2.1.3 says, nothing else
	expect_eq "$(cut -d' ' -f3- ../out/manifest-sha256.txt | LC_ALL=C sort)" "$(printf '%s\n' 'data/100%25 and %250A.txt' 'data/Icon%0D' 'data/M'$'\xc3\xbc''ller nfc.txt' 'data/Mu'$'\xcc\x88''ller nfd.txt' 'data/a name with spaces.txt' 'data/evil%0Averified: ok%0D.txt' 'data/tab'$'\t''here.txt' | LC_ALL=C sort)" "manifest paths"
	"$CUSTODY" key export --vkey >../outlet.vkey
	run bag validate ../out --key ../outlet.vkey
	expect_rc 0
	expect_err ""
	expect_out_has ", 7 custody proofs checked"
	mkdir ../desk && cd ../desk
	run init --origin example.org/desk
	expect_rc 0
	run bag import ../out
	expect_rc 0
	no_raw_controls
	expect_out "imported ../out: 7 registered, 7 received events; commit $(git --git-dir=.custody rev-parse --short=12 main)"
	# the same files, the same bytes, under the same names
	diff -r -x .custody ../coll . || fail "imported files differ"
	expect_eq "$(stored_paths .custody)" "$(stored_paths ../coll/.custody)" "the names the entries hold"
	expect_eq "$(stored_paths .custody | wc -l)" 7 "entries with a path"
	run verify
	expect_rc 0
	git --git-dir=.custody fsck --strict 2>&1 || fail "git fsck refuses the archive"
	# restore gives the exact name back
	rm $'evil\nverified: ok\r.txt'
	run restore $'evil\nverified: ok\r.txt'
	expect_rc 0
	expect_err 'restored "evil\nverified: ok\r.txt"'
	expect_eq "$(cat $'evil\nverified: ok\r.txt')" 6 "restored content"
}

test_bag_import__an_invalid_bag_imports_nothing() {
	bags
	mkdir desk && cd desk
	run init --origin example.org/desk
	local before
	before=$(snapshot .)
	run bag import ../b/wrong-checksum
	expect_rc 1
	expect_err "custody: ../b/wrong-checksum/manifest-sha256.txt:1: error: data/memo.txt: the file's sha256 is $(sha256sum <../b/wrong-checksum/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)
custody: ../b/wrong-checksum/manifest-sha512.txt:1: error: data/memo.txt: the file's sha512 is $(sha512sum <../b/wrong-checksum/data/memo.txt | cut -d' ' -f1), not the one listed (RFC 8493 3)
custody: ../b/wrong-checksum: not a valid bag: 2 errors"
	expect_eq "$(snapshot .)" "$before" "the archive and collection"
}

test_bag_import__names_add_would_refuse_or_that_exist_import_nothing() {
	bags
	mkdir desk && cd desk
	run init --origin example.org/desk
	local before
	before=$(snapshot .)
	# ESC is valid in a bag, not in a registered path (CR and LF are)
	run bag import ../b/valid-escape-name
	expect_rc 1
	no_raw_controls
	expect_err_has 'custody: "data/e\033x": cannot be registered: '
	expect_err_has "; nothing was imported"
	expect_eq "$(snapshot .)" "$before" "after refused names"
	mkdir scans && printf 'mine\n' >'scans/page 1.txt'
	before=$(snapshot .)
	run bag import ../b/valid
	expect_rc 1
	expect_err "custody: scans/page 1.txt: is already in the collection; nothing was imported"
	expect_eq "$(snapshot .)" "$before" "after an existing name"
	# the same bag elsewhere goes in
	run bag import ../b/valid --into in --json
	expect_rc 0
	expect_out "{\"format\":\"custody-bag-import/v1\",\"bag\":\"../b/valid\",\"files\":2,\"registered\":2,\"new_versions\":0,\"received_events\":2,\"commit\":\"$(git --git-dir=.custody rev-parse main)\",\"manifest\":\"tagmanifest-sha256.txt\",\"manifest_sha256\":\"$(sha256sum <../b/valid/tagmanifest-sha256.txt | cut -d' ' -f1)\",\"bagging_date\":\"2026-12-06\",\"source_organization\":\"Example Library\"}"
}

# A failure after the payload is copied (here: another process holds
# the archive lock) takes back the files and the folders the import made,
# and only those: the collection is as it was, folders and all.
test_bag_import__a_failed_import_removes_the_folders_it_made() {
	bags
	mkdir desk && cd desk
	run init --origin example.org/desk
	mkdir -p in/old
	printf 'kept\n' >in/old/kept.txt
	"$PYTHON" - <<'PY' &
import fcntl, os, socket, time
f = open(".custody/custody.lock", "r+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0)
f.write("pid %d host %s\n" % (os.getpid(), socket.gethostname()))
f.flush()
open("holder.ready", "w").close()
time.sleep(30)
PY
	local holder=$! before
	while [ ! -e holder.ready ]; do sleep 0.05; done
	rm holder.ready
	before=$(snapshot .)
	run bag import ../b/valid --into in/new/deep
	kill "$holder"
	wait "$holder" 2>/dev/null
	expect_rc 1
	expect_err_has "custody: archive is locked by process $holder on "
	expect_eq "$(snapshot .)" "$before" "the collection and its folders"
	[ -d in/old ] || fail "a folder that was there is gone"
	[ ! -e in/new ] || fail "a folder the import made is left"
}

# ---- holey bags: fetch ----

# serve_files ROOT: python3's http.server for ROOT on loopback, at
# http://127.0.0.1:$PORT/
serve_files() {
	local try pid
	trap stop_servers EXIT
	for try in 1 2 3; do
		PORT=$(free_port)
		"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 \
			--directory "$1" </dev/null >>"$TMP/http.log" 2>&1 &
		pid=$!
		SERVERS+=("$pid")
		wait_port "$PORT" "$pid" && return 0
	done
	fail "http.server did not start: $(cat "$TMP/http.log")"
}

test_bag_fetch__completes_a_holey_bag_checking_each_file() {
	export_setup
	"$CUSTODY" key export --vkey >../outlet.vkey
	serve_files "$PWD"
	run bag export ../out --fetch-base "http://127.0.0.1:$PORT/" memos/
	expect_rc 0
	local n
	n=$(find memos -type f | wc -l)
	run bag validate ../out
	expect_rc 1
	run bag fetch ../out --key ../outlet.vkey
	expect_rc 0
	expect_err ""
	expect_out "fetched $n files ($(find memos -type f -printf '%s\n' | paste -sd+ | bc) bytes), 0 already there, 0 failed"
	diff -r memos ../out/data/memos || fail "fetched payload differs"
	[ -z "$(ls -A ../out | grep custody-fetch)" ] || fail "a temporary file was left"
	run bag validate ../out --key ../outlet.vkey
	expect_rc 0
	expect_out_has ", $n custody proofs checked"
	# a second fetch finds everything there
	run bag fetch ../out
	expect_rc 0
	expect_out "fetched 0 files (0 bytes), $n already there, 0 failed"
	run bag fetch ../out --json
	expect_rc 0
	expect_out "{\"format\":\"custody-bag-fetch/v1\",\"fetched\":0,\"present\":$n,\"failed\":0,\"bytes\":0}"
}

test_bag_fetch__a_file_that_is_not_the_listed_one_stays_out() {
	export_setup
	serve_files "$PWD"
	run bag export ../out --fetch-base "http://127.0.0.1:$PORT/" memos/budget.txt
	expect_rc 0
	# the server now has another file of the same length
	printf 'Budget line 1\nBudget line 3\n' >memos/budget.txt
	run bag fetch ../out
	expect_rc 1
	expect_out "fetched 0 files (0 bytes), 0 already there, 1 failed"
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: http://127.0.0.1:$PORT/memos/budget.txt: its sha256 is $(sha256sum <memos/budget.txt | cut -d' ' -f1), not the one manifest-sha256.txt lists (RFC 8493 2.2.3)"
	[ ! -e ../out/data/memos/budget.txt ] || fail "the wrong file went in"
	# longer than fetch.txt says: stopped
	printf 'Budget line 1\nBudget line 2, and more\n' >memos/budget.txt
	run bag fetch ../out
	expect_rc 1
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: http://127.0.0.1:$PORT/memos/budget.txt: longer than the 28 bytes fetch.txt gives (RFC 8493 2.2.3)"
	# gone from the server
	rm memos/budget.txt
	run bag fetch ../out
	expect_rc 1
	expect_err_has "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: http://127.0.0.1:$PORT/memos/budget.txt: "
	expect_err_has "404"
}

test_bag_fetch__file_urls_only_when_allowed() {
	export_setup --no-store
	run bag export ../out --fetch-base "file://$PWD/" memos/budget.txt
	expect_rc 0
	run bag fetch ../out
	expect_rc 1
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: 'file://$PWD/memos/budget.txt': only http and https URLs are fetched (file: with allow_file) (RFC 8493 2.2.3)"
	[ ! -e ../out/data/memos/budget.txt ] || fail "fetched"
	run bag fetch ../out --allow-file
	expect_rc 0
	cmp memos/budget.txt ../out/data/memos/budget.txt || fail "differs"
	run bag validate ../out
	expect_rc 0
	# a fetch.txt path outside data/ is never written
	printf 'file:///etc/hostname 5 data/../escape\n' >../out/fetch.txt
	run bag fetch ../out --allow-file
	expect_rc 1
	expect_err "custody: ../out/fetch.txt:1: error: data/../escape: path has a '..' component (outside its folder), not fetched (RFC 8493 2.2.3)"
	[ ! -e ../escape ] || fail "written outside the bag"
}

# ---- the progress line ----

# tty_run ARGS...: custody ARGS on a terminal (script(1)), stdout and
# stderr together in $TMP/tty.out
tty_run() {
	script -qec "$CUSTODY $*" /dev/null </dev/null >"$TMP/tty.out"
}

# tty_is PHASE EXPECTED: the last tty_run drew PHASE's progress line and
# erased it, and every other line is exactly EXPECTED, none glued to it
tty_is() {
	grep -q "$1: [0-9]*/[0-9]*" "$TMP/tty.out" ||
		fail "no $1 progress: $(cat -v "$TMP/tty.out")"
	grep -q $'\r\033\\[K' "$TMP/tty.out" ||
		fail "progress line not erased: $(cat -v "$TMP/tty.out")"
	expect_eq "$(tr '\r' '\n' <"$TMP/tty.out" | sed 's/^\x1b\[K//' |
		grep -Ev '^(hashing|copying|proving|fetching): [0-9]+/[0-9]+( files, [0-9.]+ [KMGT]?i?B/[0-9.]+ [KMGT]?i?B)?$' |
		grep -v '^$')" "$2" "the lines besides the progress line"
}

test_bag__progress_on_a_terminal_only_and_never_glued_to_a_line() {
	export_setup
	"$CUSTODY" key export --vkey >../outlet.vkey
	# export: copying, then proving; without a terminal, no progress
	tty_run bag export ../t1
	run bag export ../t2
	expect_rc 0
	expect_err ""
	tty_is copying "${OUT//t2/t1}"
	grep -q 'proving: [0-9]*/[0-9]*' "$TMP/tty.out" || fail "no proving progress"
	# validate: hashing, erased before the result
	run bag validate ../t1 --key ../outlet.vkey
	expect_rc 0
	expect_err ""
	tty_run bag validate ../t1 --key ../outlet.vkey
	tty_is hashing "$OUT"
	# and before every problem line of an invalid bag
	printf 'changed\n' >../t2/data/memos/budget.txt
	run bag validate ../t2
	expect_rc 1
	tty_run bag validate ../t2
	tty_is hashing "$ERR
$OUT"
	# --json: no progress line at all, on a terminal too
	tty_run bag validate ../t1 --json
	grep -q $'hashing\\|\033' "$TMP/tty.out" &&
		fail "progress beside --json: $(cat -v "$TMP/tty.out")"
	# import: hashing the bag, copying, then add's own phases
	mkdir ../desk && cd ../desk
	run init --origin example.org/desk
	run bag import ../t1 --into b
	expect_rc 0
	expect_err "custody: ../t1/custody: warning: custody proofs present but not checked: no outlet key or policy was given (RFC 8493 2.2.4)"
	tty_run bag import ../t1 --into a
	tty_is copying "$ERR
$(sed 's/commit [0-9a-f]*/commit '"$(git --git-dir=.custody rev-parse --short=12 main)"'/' <<<"$OUT")"
	cd ../coll
	# fetch: each missing file
	serve_files "$PWD"
	run bag export ../h1 --fetch-base "http://127.0.0.1:$PORT/" memos/
	run bag export ../h2 --fetch-base "http://127.0.0.1:$PORT/" memos/
	run bag fetch ../h2
	expect_rc 0
	expect_err ""
	tty_run bag fetch ../h1
	tty_is fetching "$OUT"
	diff -r ../h1/data ../h2/data || fail "fetched on a terminal, the payload differs"
}

# A fetch.txt length of "-" sets no bound: --max-bytes (default 16 GiB)
# does, and a listed length above it is not even asked for.
test_bag_fetch__max_bytes_stops_a_file_without_a_length() {
	export_setup
	serve_files "$PWD"
	run bag export ../out --fetch-base "http://127.0.0.1:$PORT/" memos/budget.txt
	expect_rc 0
	sed -i 's/ 28 / - /' ../out/fetch.txt
	grep -q "budget.txt - data/" ../out/fetch.txt || fail "fetch.txt: $(cat ../out/fetch.txt)"
	run bag fetch ../out --max-bytes 27
	expect_rc 1
	expect_out "fetched 0 files (0 bytes), 0 already there, 1 failed"
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: http://127.0.0.1:$PORT/memos/budget.txt: sent more than 27 bytes, the most a file may bring (max_bytes); not fetched (RFC 8493 2.2.3)"
	[ ! -e ../out/data/memos/budget.txt ] || fail "a file past the cap went in"
	[ -z "$(ls -A ../out | grep custody-fetch)" ] || fail "a temporary file was left"
	# a listed length above the cap: not fetched at all
	sed -i 's/ - / 28 /' ../out/fetch.txt
	: >"$TMP/http.log"
	run bag fetch ../out --max-bytes 27
	expect_rc 1
	expect_err "custody: ../out/fetch.txt:1: error: data/memos/budget.txt: http://127.0.0.1:$PORT/memos/budget.txt: fetch.txt gives 28 bytes, more than the 27 a file may bring (max_bytes); not fetched (RFC 8493 2.2.3)"
	grep -q 'GET /memos/budget.txt' "$TMP/http.log" && fail "asked for a file above the cap"
	# at the cap, or with the default, it comes in
	sed -i 's/ 28 / - /' ../out/fetch.txt
	run bag fetch ../out --max-bytes 28
	expect_rc 0
	expect_out "fetched 1 file (28 bytes), 0 already there, 0 failed"
	cmp memos/budget.txt ../out/data/memos/budget.txt || fail "differs"
	run bag fetch ../out --max-bytes 0
	expect_rc 2
	expect_err_has "custody: --max-bytes wants a number of bytes, not '0'"
	run bag validate ../out --max-bytes 5
	expect_rc 2
	expect_err_has "--allow-file and --max-bytes are for bag fetch"
}

run_tests
