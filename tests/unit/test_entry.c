/*
 * Log entries: the reader and the emitter (entry_yaml.c) with the checks
 * they share (entry_check.c), against the fixtures in tests/data/entries
 * (run from tests/, as meson does).
 */
#include "entry.h"
#include "fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" \
	"GFTiFngnT+PKfISS96Z2LV88qEbnNU0JeqEHL+jObUV"
#define SALT "5f0c6a1e2d3b4c5d6e7f80912a3b4c5d" \
	"6e7f8091a2b3c4d5e6f708192a3b4c5d"
#define SHA256 "9f86d081884c7d659a2feaa0c55ad015" \
	"a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA512 "ee26b0dd4af7e749aa1a8ee3c10ae992" \
	"3f618980772e473f8819a5d4940e0db2" \
	"7ac185f8a0e1d5f84f88bc887fd67b14" \
	"3732c304cc5fa9ad8e6f57f50028a8ff"
#define BLOB "30d74d258442c7c65512eafab474568dd706c430"
/* SHA-256(0x00 || data/entries/good/register-v1.yaml): that entry's leaf */
#define LEAF "0a8bbe8788357c8a50f06136ab8068dc" \
	"66b9f3fe2bf5cefc3d1c0c6616df4886"

static int same_documents(const struct custody_entry *a,
	const struct custody_entry *b)
{
	if (a->ndocuments != b->ndocuments)
		return 0;
	for (size_t i = 0; i < a->ndocuments; i++)
		if (a->documents[i].index != b->documents[i].index ||
		    !same_string(a->documents[i].sha256,
		    b->documents[i].sha256))
			return 0;
	return 1;
}

static int same_entry(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return a->index == b->index && a->type == b->type &&
		same_string(a->time, b->time) &&
		same_string(a->actor, b->actor) &&
		same_string(a->salt, b->salt) &&
		same_string(a->note, b->note) &&
		same_string(a->origin, b->origin) &&
		same_string(a->path, b->path) && a->size == b->size &&
		same_string(a->sha256, b->sha256) &&
		same_string(a->sha512, b->sha512) &&
		same_string(a->media_type, b->media_type) &&
		same_string(a->blob, b->blob) && a->version == b->version &&
		a->has_previous == b->has_previous &&
		a->previous == b->previous &&
		same_string(a->source, b->source) &&
		a->action == b->action &&
		same_string(a->member, b->member) &&
		same_string(a->key, b->key) &&
		a->document == b->document &&
		same_string(a->event_action, b->event_action) &&
		same_string(a->from, b->from) && same_string(a->to, b->to) &&
		same_string(a->at, b->at) &&
		same_string(a->backdate_reason, b->backdate_reason) &&
		a->derived_from == b->derived_from &&
		same_string(a->original_leaf, b->original_leaf) &&
		same_string(a->derivation, b->derivation) &&
		same_string(a->url, b->url) &&
		same_string(a->title, b->title) &&
		same_string(a->published, b->published) &&
		same_documents(a, b);
}

static void accept_entry(const char *path, const char *bytes, size_t len)
{
	struct custody_entry *e = NULL, *again = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT, yaml2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_entry__parse(&e, bytes, len, path, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	if (e != NULL) {
		/* emit -> parse gives the same entry; emit is a fixpoint */
		CHECK_INT(custody_entry__emit(&yaml, e, &err), 0);
		CHECK_INT(custody_entry__parse(&again, yaml.ptr, yaml.size,
			path, &err), 0);
		CHECK(again != NULL && same_entry(e, again));
		if (again != NULL) {
			CHECK_INT(custody_entry__emit(&yaml2, again, &err),
				0);
			CHECK(yaml.size == yaml2.size && yaml.ptr &&
				yaml2.ptr && memcmp(yaml.ptr, yaml2.ptr,
				yaml.size) == 0);
		}
	}
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&yaml2);
	custody_entry__free(again);
	custody_entry__free(e);
	custody_error_free(err);
}

static void refuse_entry(const char *path, const char *bytes, size_t len)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;

	CHECK_INT(custody_entry__parse(&e, bytes, len, path, &err),
		CUSTODY_EINVALID);
	CHECK(e == NULL);
	CHECK_INT(custody_error_code(err), CUSTODY_EINVALID);
	check_names_file(custody_error_message(err), path);
	custody_entry__free(e);
	custody_error_free(err);
}

static void test_entry__good_fixtures_parse_and_round_trip(void)
{
	CHECK(each_file("data/entries/good", accept_entry) >= 10);
}

static void test_entry__bad_fixtures_are_refused_naming_the_file(void)
{
	CHECK(each_file("data/entries/bad", refuse_entry) >= 60);
}

static void test_entry__c_only_fixtures_are_refused(void)
{
	CHECK(each_file("data/entries/bad-c-only", refuse_entry) >= 5);
}

/* Why each fixture is refused: the message says what is wrong. */
static const struct {
	const char *file;
	const char *reason;
} entry_reasons[] = {
	{ "bad/missing-time.yaml",
		":1:1: missing 'time' (required in a register entry)" },
	{ "bad/publish-url-ftp.yaml",
		":7:6: 'url' must start with https:// or http://" },
	{ "bad/publish-url-space.yaml", "'url' must be printable ASCII" },
	{ "bad/publish-document-twice.yaml",
		"'documents' item 2: entry 3 is named twice" },
	{ "bad-c-only/publish-document-not-earlier.yaml",
		"'documents' item 2: 'index' must name an earlier entry (1 to 8)" },
	{ "bad/publish-document-extra-key.yaml",
		"must be a mapping with exactly 'index' and 'sha256'" },
	{ "bad/publish-documents-empty.yaml", "'documents' must be a list" },
	{ "bad/publish-with-path.yaml",
		"'path' does not belong in a publish entry" },
	{ "bad/register-with-url.yaml",
		"'url' does not belong in a register entry" },
	{ "bad/unknown-field.yaml", ":12:1: unknown key 'colour'" },
	{ "bad/quoted-index.yaml",
		":2:8: 'index' must be an unquoted integer" },
	{ "bad/plain-string-actor.yaml",
		":5:8: 'actor' must be a quoted string" },
	{ "bad/index-leading-zero.yaml", "leading zeros, not '012345'" },
	{ "bad/plain-no.yaml", ":12:9: 'source' must be a quoted string" },
	{ "bad/plain-sexagesimal-time.yaml",
		":4:7: 'time' must be a quoted string" },
	{ "bad/alias.yaml", ":5:8: an anchor (&who)" },
	{ "bad/alias-undefined.yaml", ":12:9: an alias (*who)" },
	{ "bad/duplicate-key.yaml",
		":12:1: duplicate key 'actor' (first at line 5)" },
	{ "bad/duplicate-key-quoted.yaml", "duplicate key 'size'" },
	{ "bad/nested-too-deep.yaml", "nested deeper than 16 levels" },
	{ "bad/two-documents.yaml", ":12:1: a second document" },
	{ "bad/empty.yaml", "bad/empty.yaml: empty" },
	{ "bad/non-utf8.yaml", ":5:11: byte 84 (0xe9) is not valid UTF-8" },
	{ "bad/surrogate-utf8.yaml", "is not valid UTF-8" },
	{ "bad/utf16le-bom.yaml", ": starts with a UTF-16 byte-order mark" },
	{ "bad/utf16le-no-bom.yaml", ":1:2: a NUL byte" },
	{ "bad/utf8-bom.yaml", ":1:1: a byte-order mark" },
	{ "bad/tag-binary.yaml",
		"a tag (tag:yaml.org,2002:binary); explicit tags" },
	{ "bad/tag-str.yaml", "a tag (tag:yaml.org,2002:str)" },
	{ "bad/directive-yaml.yaml", "directives (%YAML, %TAG)" },
	{ "bad/nul-escape.yaml", "'actor' contains a NUL character" },
	{ "bad/path-dotdot.yaml",
		"path 'folder/../etc/passwd' has a '..' component" },
	{ "bad/path-absolute.yaml", "path '/etc/passwd' is absolute" },
	{ "bad/path-dotgit-upper.yaml", "component '.GIT' is reserved" },
	{ "bad/path-dotgit-trailing.yaml", "component '.git. .' is reserved" },
	{ "bad/path-dotgit-stream.yaml", "is reserved" },
	{ "bad/path-git-shortname.yaml", "component 'GIT~1' is reserved" },
	{ "bad/path-custody.yaml", "component '.custody' is reserved" },
	{ "bad/path-control.yaml",
		"path 'folder/a\\u{0001}b.pdf' contains a control character" },
	{ "bad/path-backslash.yaml", "contains a backslash" },
	{ "bad/path-double-slash.yaml", "has an empty component" },
	{ "bad/salt-short.yaml", ":6:7: 'salt' must be 64 hex digits" },
	{ "bad/salt-upper.yaml", "'salt' must be lowercase hexadecimal" },
	{ "bad/sha512-short.yaml", "'sha512' must be 128 hex digits" },
	{ "bad/blob-short.yaml", "'blob' must be 40 hex digits" },
	{ "bad/version2-no-previous.yaml",
		"'version' is more than 1, so 'previous'" },
	{ "bad/version1-with-previous.yaml",
		"'previous' must not be given for version 1" },
	{ "bad/genesis-with-path.yaml",
		":10:1: 'path' does not belong in a genesis entry" },
	{ "bad/member-action-unknown.yaml",
		":7:9: 'action' must be \"add\" or \"revoke\", not \"suspend\"" },
	{ "bad/member-name-space.yaml",
		":8:9: 'member' may hold only letters, digits and . _ @ + -" },
	{ "bad/member-name-comma.yaml", "'member' may hold only letters" },
	{ "bad/member-name-dash.yaml",
		"'member' must not start with '.' or '-'" },
	{ "bad/member-key-comment.yaml",
		":9:6: 'key' must be an OpenSSH Ed25519 public key" },
	{ "bad/member-key-rsa.yaml", "'key' must be an OpenSSH Ed25519" },
	{ "bad/member-key-short.yaml", "'key' must be an OpenSSH Ed25519" },
	{ "bad/member-missing-key.yaml",
		"missing 'key' (required in a member entry)" },
	{ "bad/member-with-path.yaml",
		"'path' does not belong in a member entry" },
	{ "bad/genesis-without-key.yaml",
		"missing 'key' (required in a genesis entry)" },
	{ "bad/register-with-key.yaml",
		"'key' does not belong in a register entry" },
	{ "bad-c-only/member-key-small-order.yaml",
		"'key' is a point of small order" },
	{ "bad-c-only/member-key-not-canonical.yaml",
		"'key' is not a canonical encoding of a point" },
	{ "bad/register-with-origin.yaml",
		"'origin' does not belong in a register entry" },
	{ "bad/format-2.yaml", "entry format 2; this custody reads format 1" },
	{ "bad/index-too-big.yaml", "more than 9007199254740991" },
	{ "bad/too-large.yaml", ": 70329 bytes, more than the 65536" },
	{ "bad/note-control.yaml", "'note' contains a control character" },
	{ "bad/media-type-upper.yaml", "'media_type' must be a lowercase" },
	{ "bad/time-trailing-newline.yaml", "'time' must be a UTC time" },
	{ "bad-c-only/path-not-nfc.yaml", "is not in Unicode NFC form" },
	{ "bad-c-only/path-dotgit-ignorable.yaml",
		"component '.g\\u{200c}it' is reserved" },
	{ "bad-c-only/path-custody-long-s.yaml", "is reserved" },
	{ "bad-c-only/time-february-30.yaml", "'time' is not a real date" },
	{ "bad-c-only/time-hour-24.yaml", "'time' is not a real time of day" },
	{ "bad-c-only/previous-not-less.yaml",
		"'previous' must be less than 'index'" },
	{ "bad-c-only/actor-too-many-bytes.yaml",
		"'actor' is longer than 256 bytes" },
	{ "bad/event-action-unknown.yaml",
		":7:9: 'action' must be \"received\", \"transferred\", "
		"\"copied\", \"accessed\", \"verified\", \"sealed\", "
		"\"returned\", \"destroyed\" or \"note\", not \"stolen\"" },
	{ "bad/event-action-member.yaml", "or \"note\", not \"add\"" },
	{ "bad/member-action-event.yaml",
		":7:9: 'action' must be \"add\" or \"revoke\", not "
		"\"received\"" },
	{ "bad/event-document-zero.yaml",
		":8:11: 'document' must name an earlier entry (1 to 12)" },
	{ "bad-c-only/event-document-not-earlier.yaml",
		":8:11: 'document' must name an earlier entry (1 to 12)" },
	{ "bad/event-missing-sha256.yaml",
		":1:1: missing 'sha256' (required in an event entry)" },
	{ "bad/event-from-newline.yaml",
		":10:7: 'from' contains a control character" },
	{ "bad/event-to-control.yaml",
		":11:5: 'to' contains a control character" },
	{ "bad/event-from-too-long.yaml",
		":10:7: 'from' is longer than 256 bytes" },
	{ "bad-c-only/event-from-too-many-bytes.yaml",
		"'from' is longer than 256 bytes" },
	{ "bad/event-at-not-time.yaml",
		":12:5: 'at' must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"" },
	{ "bad-c-only/event-at-february-30.yaml",
		"'at' is not a real date (no such day in that month)" },
	{ "bad/event-backdate-reason-without-at.yaml",
		":12:18: 'backdate_reason' is given without 'at'" },
	{ "bad/event-with-path.yaml",
		":10:1: 'path' does not belong in an event entry" },
	{ "bad/event-with-derivation.yaml",
		"'derivation' does not belong in an event entry" },
	{ "bad/derive-derivation-unknown.yaml",
		":14:13: 'derivation' must be \"redact\", \"translate\", "
		"\"ocr\", \"excerpt\", \"convert\" or "
		"\"watermark-removal\", not \"summarise\"" },
	{ "bad/derive-missing-original-leaf.yaml",
		":1:1: missing 'original_leaf' (required in a derive entry)" },
	{ "bad/derive-original-sha256.yaml",
		":15:1: unknown key 'original_sha256'" },
	{ "bad/derive-original-leaf-upper.yaml",
		":13:16: 'original_leaf' must be lowercase hexadecimal" },
	{ "bad/derive-derived-from-zero.yaml",
		":12:15: 'derived_from' must name an earlier entry (1 to 13)" },
	{ "bad-c-only/derive-derived-from-not-earlier.yaml",
		"'derived_from' must name an earlier entry (1 to 13)" },
	{ "bad/derive-with-action.yaml",
		":15:1: 'action' does not belong in a derive entry" },
	{ "bad/derive-version2-no-previous.yaml",
		"'version' is more than 1, so 'previous'" },
	{ "bad/register-with-derived-from.yaml",
		":12:1: 'derived_from' does not belong in a register entry" },
	{ "bad/publish-with-document.yaml",
		"'document' does not belong in a publish entry" },
	{ "bad/member-with-at.yaml",
		"'at' does not belong in a member entry" },
	{ NULL, NULL }
};

static void test_entry__bad_fixtures_are_refused_for_the_right_reason(void)
{
	for (size_t i = 0; entry_reasons[i].file != NULL; i++) {
		struct custody_entry *e = NULL;
		custody_error *err = NULL;
		char path[256];
		char *bytes;
		size_t len;

		snprintf(path, sizeof(path), "data/entries/%s",
			entry_reasons[i].file);
		bytes = read_file(path, &len);
		CHECK(bytes != NULL);
		if (bytes == NULL) {
			fprintf(stderr, "  missing fixture %s\n", path);
			continue;
		}
		CHECK_INT(custody_entry__parse(&e, bytes, len, path, &err),
			CUSTODY_EINVALID);
		check_names_file(custody_error_message(err), path);
		CHECK_CONTAINS(custody_error_message(err),
			entry_reasons[i].reason);
		custody_entry__free(e);
		custody_error_free(err);
		free(bytes);
	}
}

static void fill_register(struct custody_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->index = 12;
	e->type = CUSTODY_ENTRY_REGISTER;
	e->time = "2026-11-23T01:54:26Z";
	e->actor = "alice";
	e->salt = SALT;
	e->path = "folder/file name \xc3\xbc.pdf";
	e->size = 1234;
	e->sha256 = SHA256;
	e->sha512 = SHA512;
	e->media_type = "application/pdf";
	e->blob = BLOB;
	e->version = 2;
	e->has_previous = 1;
	e->previous = 5;
	e->source = "label";
	e->note = "text";
}

/* The exact bytes custody writes: if libyaml's output ever changes,
 * entries written before and after would differ, and this fails. */
static void test_entry__emit_writes_the_exact_bytes(void)
{
	static const char expected[] =
		"custody-entry: 1\n"
		"index: 12\n"
		"type: \"register\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"actor: \"alice\"\n"
		"salt: \"" SALT "\"\n"
		"path: \"folder/file name \xc3\xbc.pdf\"\n"
		"size: 1234\n"
		"sha256: \"" SHA256 "\"\n"
		"sha512: \"" SHA512 "\"\n"
		"media_type: \"application/pdf\"\n"
		"blob: \"" BLOB "\"\n"
		"version: 2\n"
		"previous: 5\n"
		"source: \"label\"\n"
		"note: \"text\"\n";
	struct custody_entry e;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_register(&e);
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	CHECK_INT(yaml.size, sizeof(expected) - 1);
	CHECK_STR(yaml.ptr, expected);
	custody_buf_dispose(&yaml);
	custody_error_free(err);
}

static void test_entry__emit_writes_the_exact_genesis_bytes(void)
{
	static const char expected[] =
		"custody-entry: 1\n"
		"index: 0\n"
		"type: \"genesis\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"actor: \"alice\"\n"
		"salt: \"" SALT "\"\n"
		"origin: \"example.org/leaks\"\n"
		"member: \"alice\"\n"
		"key: \"" KEY "\"\n";
	struct custody_entry e;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_GENESIS;
	e.time = "2026-11-23T01:54:26Z";
	e.actor = "alice";
	e.salt = SALT;
	e.origin = "example.org/leaks";
	e.member = "alice";
	e.key = KEY;
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	CHECK_STR(yaml.ptr, expected);
	custody_buf_dispose(&yaml);
	custody_error_free(err);
}

/* Long strings never fold, and escapes are libyaml's double-quoted ones
 * (characters outside the BMP are written \UXXXXXXXX by libyaml 0.2.5). */
static void test_entry__emit_never_folds_and_escapes_controls(void)
{
	static const char expected_note[] = "note: \"" "0123456789"
		"0123456789012345678901234567890123456789012345678901234567"
		"89 0123456789012345678901234567890123456789 end\\n\\tindented"
		"\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_register(&e);
	e.path = "dossier/\xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9.txt";
	e.note = "0123456789012345678901234567890123456789012345678901234567"
		"890123456789 0123456789012345678901234567890123456789 end\n"
		"\tindented";
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	CHECK_CONTAINS(yaml.ptr, expected_note);
	CHECK_CONTAINS(yaml.ptr,
		"path: \"dossier/\\U0001F600 \xc3\xa9t\xc3\xa9.txt\"\n");
	CHECK_INT(custody_entry__parse(&back, yaml.ptr, yaml.size, "x",
		&err), 0);
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&yaml);
	custody_error_free(err);
}

static void test_entry__emit_refuses_what_the_reader_refuses(void)
{
	static const struct {
		int field;
		const char *value;
		const char *reason;
	} cases[] = {
		{ 0, "ABC", "entry 12: 'salt' must be lowercase hexadecimal" },
		{ 1, "a/../b", "path 'a/../b' has a '..' component" },
		{ 1, "u\xcc\x88.txt", "is not in Unicode NFC form" },
		{ 2, "2026-02-30T00:00:00Z", "'time' is not a real date" },
		{ 3, "al\x01ice", "entry 12: 'actor' contains a control" },
		{ 3, "al\xffice", "entry 12: 'actor' is not valid UTF-8" },
		{ 4, "Text/Plain", "'media_type' must be a lowercase" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct custody_entry e;
		custody_buf yaml = CUSTODY_BUF_INIT;
		custody_error *err = NULL;

		fill_register(&e);
		if (cases[i].field == 0)
			e.salt = (char *)cases[i].value;
		else if (cases[i].field == 1)
			e.path = (char *)cases[i].value;
		else if (cases[i].field == 2)
			e.time = (char *)cases[i].value;
		else if (cases[i].field == 3)
			e.actor = (char *)cases[i].value;
		else
			e.media_type = (char *)cases[i].value;
		CHECK_INT(custody_entry__emit(&yaml, &e, &err),
			CUSTODY_EINVALID);
		CHECK(yaml.ptr == NULL && yaml.size == 0);
		CHECK_CONTAINS(custody_error_message(err), cases[i].reason);
		custody_error_free(err);
	}
}

static void test_entry__emit_refuses_inconsistent_versions(void)
{
	struct custody_entry e;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_register(&e);
	e.has_previous = 0;
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err), "'previous'");
	custody_error_free(err);
	err = NULL;
	fill_register(&e);
	e.type = CUSTODY_ENTRY_GENESIS;
	e.index = 0;
	e.origin = "example.org/leaks";
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		"entry 0: 'path' does not belong in a genesis entry");
	custody_error_free(err);
}

static void fill_event(struct custody_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->index = 13;
	e->type = CUSTODY_ENTRY_EVENT;
	e->time = "2026-11-24T09:15:00Z";
	e->actor = "alice";
	e->salt = SALT;
	e->event_action = "transferred";
	e->document = 12;
	e->sha256 = SHA256;
	e->from = "desk safe";
	e->to = "partner \xe2\x80\x94 legal";
	e->at = "2026-11-20T17:30:00Z";
	e->backdate_reason = "before the archive existed";
	e->note = "receipt 4411";
}

static void fill_derive(struct custody_entry *e)
{
	fill_register(e);
	e->index = 14;
	e->type = CUSTODY_ENTRY_DERIVE;
	e->path = "published/cable-1-redacted.pdf";
	e->derived_from = 12;
	e->original_leaf = LEAF;
	e->derivation = "redact";
}

/* Every field of an event, in the fixed order, "action" as the key. */
static void test_entry__emit_writes_the_exact_event_bytes(void)
{
	static const char expected[] =
		"custody-entry: 1\n"
		"index: 13\n"
		"type: \"event\"\n"
		"time: \"2026-11-24T09:15:00Z\"\n"
		"actor: \"alice\"\n"
		"salt: \"" SALT "\"\n"
		"action: \"transferred\"\n"
		"document: 12\n"
		"sha256: \"" SHA256 "\"\n"
		"from: \"desk safe\"\n"
		"to: \"partner \xe2\x80\x94 legal\"\n"
		"at: \"2026-11-20T17:30:00Z\"\n"
		"backdate_reason: \"before the archive existed\"\n"
		"note: \"receipt 4411\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_event(&e);
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	CHECK_STR(yaml.ptr, expected);
	CHECK_INT(custody_entry__parse(&back, yaml.ptr, yaml.size, "x",
		&err), 0);
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&yaml);
	custody_error_free(err);
}

/* A derive entry is a register entry's fields, then the original by
 * index and leaf hash; nothing else names the original. */
static void test_entry__emit_writes_the_exact_derive_bytes(void)
{
	static const char expected[] =
		"custody-entry: 1\n"
		"index: 14\n"
		"type: \"derive\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"actor: \"alice\"\n"
		"salt: \"" SALT "\"\n"
		"path: \"published/cable-1-redacted.pdf\"\n"
		"size: 1234\n"
		"sha256: \"" SHA256 "\"\n"
		"sha512: \"" SHA512 "\"\n"
		"media_type: \"application/pdf\"\n"
		"blob: \"" BLOB "\"\n"
		"version: 2\n"
		"previous: 5\n"
		"source: \"label\"\n"
		"derived_from: 12\n"
		"original_leaf: \"" LEAF "\"\n"
		"derivation: \"redact\"\n"
		"note: \"text\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_derive(&e);
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	CHECK_STR(yaml.ptr, expected);
	CHECK_INT(custody_entry__parse(&back, yaml.ptr, yaml.size, "x",
		&err), 0);
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&yaml);
	custody_error_free(err);
}

/* The emitter refuses what the reader refuses for the new types, and
 * keeps each type's fields out of the others. */
static void test_entry__emit_refuses_bad_events_and_derivations(void)
{
	static const struct {
		int which;
		const char *reason;
	} cases[] = {
		{ 0, "entry 13: 'action' is missing" },
		{ 1, "entry 13: 'action' must be \"received\"" },
		{ 2, "entry 13: 'document' must name an earlier entry "
			"(1 to 12)" },
		{ 3, "entry 13: 'document' must name an earlier entry "
			"(1 to 12)" },
		{ 4, "entry 13: 'from' contains a control character" },
		{ 5, "entry 13: 'to' is longer than 256 bytes" },
		{ 6, "entry 13: 'at' is not a real date" },
		{ 7, "entry 13: 'backdate_reason' is given without 'at'" },
		{ 8, "entry 13: 'path' does not belong in an event entry" },
		{ 9, "entry 13: 'action' does not belong in an event entry" },
		{ 10, "entry 13: 'sha256' is missing" },
		{ 11, "entry 14: 'original_leaf' is missing" },
		{ 12, "entry 14: 'derivation' must be \"redact\"" },
		{ 13, "entry 14: 'derived_from' must name an earlier entry" },
		{ 14, "entry 14: 'document' does not belong in a derive "
			"entry" },
		{ 15, "entry 14: 'from' does not belong in a derive entry" },
		{ 16, "entry 12: 'derived_from' does not belong in a register "
			"entry" },
		{ 17, "entry 12: 'original_leaf' does not belong in a register "
			"entry" },
		{ 18, "entry 14: 'path' is missing" },
		{ 19, "entry 1: 'document' must name an earlier entry, and "
			"only the genesis entry comes before this one" },
	};
	char long_label[300];

	memset(long_label, 'x', 257);
	long_label[257] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct custody_entry e;
		custody_buf yaml = CUSTODY_BUF_INIT;
		custody_error *err = NULL;

		if (cases[i].which <= 10 || cases[i].which == 19)
			fill_event(&e);
		else if (cases[i].which <= 15 || cases[i].which == 18)
			fill_derive(&e);
		else
			fill_register(&e);
		switch (cases[i].which) {
		case 0: e.event_action = NULL; break;
		case 1: e.event_action = "add"; break;
		case 2: e.document = 0; break;
		case 3: e.document = 13; break;
		case 4: e.from = "desk\nsafe"; break;
		case 5: e.to = long_label; break;
		case 6: e.at = "2026-02-30T00:00:00Z"; break;
		case 7: e.at = NULL; break;
		case 8: e.path = "a.pdf"; break;
		case 9: e.action = CUSTODY_MEMBER_ADD; break;
		case 10: e.sha256 = NULL; break;
		case 11: e.original_leaf = NULL; break;
		case 12: e.derivation = "summarise"; break;
		case 13: e.derived_from = 14; break;
		case 14: e.document = 12; break;
		case 15: e.from = "desk safe"; break;
		case 16: e.derived_from = 3; break;
		case 17: e.original_leaf = LEAF; break;
		case 18: e.path = NULL; break;
		case 19: e.index = 1; e.document = 1; break;
		}
		CHECK_INT(custody_entry__emit(&yaml, &e, &err),
			CUSTODY_EINVALID);
		CHECK(yaml.ptr == NULL && yaml.size == 0);
		CHECK_CONTAINS(custody_error_message(err), cases[i].reason);
		custody_error_free(err);
	}
}

static void test_entry__parse_reads_every_field(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char *bytes;
	size_t len;

	bytes = read_file("data/entries/good/register-full.yaml", &len);
	CHECK(bytes != NULL);
	if (bytes == NULL)
		return;
	CHECK_INT(custody_entry__parse(&e, bytes, len, "full", &err), 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(e->index, 12);
		CHECK_INT(e->type, CUSTODY_ENTRY_REGISTER);
		CHECK_STR(e->time, "2026-11-23T01:54:26Z");
		CHECK_STR(e->actor, "alice");
		CHECK_STR(e->salt, SALT);
		CHECK_STR(e->path, "folder/file name \xc3\xbc.pdf");
		CHECK_INT(e->size, 1234);
		CHECK_STR(e->sha256, SHA256);
		CHECK_STR(e->sha512, SHA512);
		CHECK_STR(e->media_type, "application/pdf");
		CHECK_STR(e->blob, BLOB);
		CHECK_INT(e->version, 2);
		CHECK_INT(e->has_previous, 1);
		CHECK_INT(e->previous, 5);
		CHECK_STR(e->source, "usb stick, 2026-11-20");
		CHECK_STR(e->note, "second copy\n\twith a tab");
		CHECK(e->origin == NULL);
	}
	custody_entry__free(e);
	custody_error_free(err);
	free(bytes);
}

static void test_entry__parse_reads_every_event_field(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char *bytes;
	size_t len;

	bytes = read_file("data/entries/good/event-full.yaml", &len);
	CHECK(bytes != NULL);
	if (bytes == NULL)
		return;
	CHECK_INT(custody_entry__parse(&e, bytes, len, "full", &err), 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(e->index, 13);
		CHECK_INT(e->type, CUSTODY_ENTRY_EVENT);
		CHECK_STR(e->event_action, "transferred");
		CHECK_INT(e->action, 0);
		CHECK_INT(e->document, 12);
		CHECK_STR(e->sha256, SHA256);
		CHECK_STR(e->from, "desk safe, room 4");
		CHECK_STR(e->to, "Partner outlet \xe2\x80\x94 legal desk");
		CHECK_STR(e->at, "2026-11-20T17:30:00Z");
		CHECK_STR(e->backdate_reason, "handed over before the archive "
			"existed; dated from the courier's receipt");
		CHECK_STR(e->note, "sealed envelope, tamper tape intact\n"
			"receipt 4411");
		CHECK(e->path == NULL && e->derived_from == 0);
		CHECK_INT(custody_entry__registers(e), 0);
	}
	custody_entry__free(e);
	custody_error_free(err);
	free(bytes);
}

static void test_entry__parse_reads_every_derive_field(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char *bytes;
	size_t len;

	bytes = read_file("data/entries/good/derive-full.yaml", &len);
	CHECK(bytes != NULL);
	if (bytes == NULL)
		return;
	CHECK_INT(custody_entry__parse(&e, bytes, len, "full", &err), 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(e->index, 20);
		CHECK_INT(e->type, CUSTODY_ENTRY_DERIVE);
		CHECK_STR(e->path, "published/cable-1-redacted.pdf");
		CHECK_INT(e->size, 15);
		/* the derivative's own digest: sha256 of "redacted cable\n" */
		CHECK_STR(e->sha256, "5e2c850431f2147a5d85db4253a70c1f"
			"4b6aedc417397fc07ecb3e74a1752a92");
		CHECK_INT(e->version, 2);
		CHECK_INT(e->has_previous, 1);
		CHECK_INT(e->previous, 14);
		CHECK_STR(e->source, "the China Cables set");
		CHECK_INT(e->derived_from, 12);
		CHECK_STR(e->original_leaf, LEAF);
		CHECK_STR(e->derivation, "watermark-removal");
		CHECK(e->document == 0 && e->event_action == NULL);
		CHECK_INT(custody_entry__registers(e), 1);
	}
	custody_entry__free(e);
	custody_error_free(err);
	free(bytes);
}

static void test_entry__type_names(void)
{
	struct custody_entry e;

	CHECK_STR(custody_entry__type_name(CUSTODY_ENTRY_GENESIS), "genesis");
	CHECK_STR(custody_entry__type_name(CUSTODY_ENTRY_REGISTER),
		"register");
	CHECK_STR(custody_entry__type_name(CUSTODY_ENTRY_EVENT), "event");
	CHECK_STR(custody_entry__type_name(CUSTODY_ENTRY_DERIVE), "derive");
	CHECK(custody_entry__type_name((custody_entry_type)0) == NULL);
	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_REGISTER;
	CHECK_INT(custody_entry__registers(&e), 1);
	e.type = CUSTODY_ENTRY_DERIVE;
	CHECK_INT(custody_entry__registers(&e), 1);
	e.type = CUSTODY_ENTRY_EVENT;
	CHECK_INT(custody_entry__registers(&e), 0);
	e.type = CUSTODY_ENTRY_PUBLISH;
	CHECK_INT(custody_entry__registers(&e), 0);
}

static const struct test tests[] = {
	TEST(test_entry__good_fixtures_parse_and_round_trip),
	TEST(test_entry__bad_fixtures_are_refused_naming_the_file),
	TEST(test_entry__c_only_fixtures_are_refused),
	TEST(test_entry__bad_fixtures_are_refused_for_the_right_reason),
	TEST(test_entry__emit_writes_the_exact_bytes),
	TEST(test_entry__emit_writes_the_exact_genesis_bytes),
	TEST(test_entry__emit_never_folds_and_escapes_controls),
	TEST(test_entry__emit_refuses_what_the_reader_refuses),
	TEST(test_entry__emit_refuses_inconsistent_versions),
	TEST(test_entry__emit_writes_the_exact_event_bytes),
	TEST(test_entry__emit_writes_the_exact_derive_bytes),
	TEST(test_entry__emit_refuses_bad_events_and_derivations),
	TEST(test_entry__parse_reads_every_field),
	TEST(test_entry__parse_reads_every_event_field),
	TEST(test_entry__parse_reads_every_derive_field),
	TEST(test_entry__type_names),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
