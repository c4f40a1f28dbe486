/*
 * Log entries: the reader and the emitter (entry_yaml.c) with the checks
 * they share (entry_check.c), against the fixtures in tests/data/entries
 * (run from tests/, as meson does).
 */
#include "entry.h"
#include "fsutil.h"
#include "merkle.h"
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
#define LEAF "5b22efae7f14859d2c70c6bd182e4c05" \
	"5c28cdfa923901d0f02228e0adcf3ec2"
#define FULL "data/entries/good/register-full.yaml"
/* The opening of the entries the emit tests fill in: bytes 0 to 31. */
#define OPENING "000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

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

static int same_keys(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return same_string(a->log_key, b->log_key) &&
		same_string(a->previous_log_key, b->previous_log_key) &&
		same_string(a->old_signature, b->old_signature) &&
		same_string(a->new_signature, b->new_signature);
}

static int same_entry(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return a->index == b->index && a->type == b->type &&
		same_string(a->time, b->time) &&
		same_string(a->actor, b->actor) &&
		same_string(a->salt, b->salt) &&
		same_string(a->opening, b->opening) &&
		same_string(a->note, b->note) &&
		same_string(a->origin, b->origin) && same_keys(a, b) &&
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

/* "x/NAME.yaml" -> "x/NAME.private.yaml" */
static void private_path(char out[512], const char *path)
{
	size_t n = strlen(path);

	snprintf(out, 512, "%.*s.private.yaml", (int)(n > 5 ? n - 5 : 0),
		path);
}

static int is_private_path(const char *path)
{
	size_t n = strlen(path);

	return n > 13 && strcmp(path + n - 13, ".private.yaml") == 0;
}

/* Read an entry as custody does: the public part, then its private
 * part opened against the public part's leaf hash. */
static int read_entry(struct custody_entry **out, const char *bytes,
	size_t len, const char *name, const char *priv, size_t priv_len,
	const char *priv_name, custody_error **err)
{
	unsigned char leaf[32];
	int rc;

	if ((rc = custody_entry__parse(out, bytes, len, name, err)) != 0)
		return rc;
	custody_merkle__leaf_hash(bytes, len, leaf);
	if ((rc = custody_entry__open(*out, priv, priv_len, priv_name, leaf,
	    err)) != 0) {
		custody_entry__free(*out);
		*out = NULL;
	}
	return rc;
}

/* Read the fixture pair PATH and PATH's private part. */
static int read_pair(struct custody_entry **out, const char *path,
	custody_error **err)
{
	char ppath[512], *bytes, *priv;
	size_t len, plen;
	int rc;

	*out = NULL;
	private_path(ppath, path);
	bytes = read_file(path, &len);
	priv = read_file(ppath, &plen);
	CHECK(bytes != NULL && priv != NULL);
	if (bytes == NULL || priv == NULL) {
		fprintf(stderr, "  missing fixture %s or %s\n", path, ppath);
		free(bytes);
		free(priv);
		return -1;
	}
	rc = read_entry(out, bytes, len, path, priv, plen, ppath, err);
	free(bytes);
	free(priv);
	return rc;
}

/* emit -> parse + open gives the same entry, in both parts. */
static int round_trip(const struct custody_entry *e,
	struct custody_entry **back, custody_buf *pub, custody_buf *priv,
	custody_error **err)
{
	unsigned char leaf[32];
	int rc;

	*back = NULL;
	if ((rc = custody_entry__emit(pub, e, err)) != 0)
		return rc;
	custody_merkle__leaf_hash(pub->ptr, pub->size, leaf);
	if ((rc = custody_entry__emit_private(priv, e, leaf, err)) != 0)
		return rc;
	return read_entry(back, pub->ptr, pub->size, "public", priv->ptr,
		priv->size, "private", err);
}

static int same_buf(const custody_buf *a, const custody_buf *b)
{
	return a->size == b->size && a->ptr != NULL && b->ptr != NULL &&
		memcmp(a->ptr, b->ptr, a->size) == 0;
}

static void accept_entry(const char *path, const char *bytes, size_t len)
{
	struct custody_entry *e = NULL, *again = NULL, *third = NULL;
	custody_buf pub = CUSTODY_BUF_INIT, priv = CUSTODY_BUF_INIT;
	custody_buf pub2 = CUSTODY_BUF_INIT, priv2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	(void)bytes;
	(void)len;
	if (is_private_path(path))
		return;
	CHECK_INT(read_pair(&e, path, &err), 0);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	if (e != NULL) {
		/* both parts are a fixpoint of emit -> read */
		CHECK_INT(round_trip(e, &again, &pub, &priv, &err), 0);
		CHECK(again != NULL && same_entry(e, again));
		if (again != NULL) {
			CHECK_INT(round_trip(again, &third, &pub2, &priv2,
				&err), 0);
			CHECK(same_buf(&pub, &pub2) &&
				same_buf(&priv, &priv2));
		}
	}
	custody_buf_dispose(&pub);
	custody_buf_dispose(&priv);
	custody_buf_dispose(&pub2);
	custody_buf_dispose(&priv2);
	custody_entry__free(third);
	custody_entry__free(again);
	custody_entry__free(e);
	custody_error_free(err);
}

/*
 * A bad fixture without a private part has a bad public part; one with
 * a private part has a good public part, and the private part is refused
 * (the message names the private part's file).
 */
static void refuse_entry(const char *path, const char *bytes, size_t len)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char ppath[512];
	char *priv;
	size_t plen;

	if (is_private_path(path))
		return;
	private_path(ppath, path);
	if ((priv = read_file(ppath, &plen)) == NULL) {
		CHECK_INT(custody_entry__parse(&e, bytes, len, path, &err),
			CUSTODY_EINVALID);
		check_names_file(custody_error_message(err), path);
	} else {
		CHECK_INT(custody_entry__parse(&e, bytes, len, path, &err), 0);
		if (err != NULL)
			fprintf(stderr, "  %s\n", custody_error_message(err));
		custody_entry__free(e);
		custody_error_free(err);
		err = NULL;
		e = NULL;
		CHECK_INT(read_entry(&e, bytes, len, path, priv, plen, ppath,
			&err), CUSTODY_EINVALID);
		check_names_file(custody_error_message(err), ppath);
	}
	CHECK(e == NULL);
	CHECK_INT(custody_error_code(err), CUSTODY_EINVALID);
	custody_entry__free(e);
	custody_error_free(err);
	free(priv);
}

static void test_entry__good_fixtures_parse_and_round_trip(void)
{
	CHECK(each_file("data/entries/good", accept_entry) >= 2 * 20);
}

static void test_entry__bad_fixtures_are_refused_naming_the_file(void)
{
	CHECK(each_file("data/entries/bad", refuse_entry) >= 200);
}

static void test_entry__c_only_fixtures_are_refused(void)
{
	CHECK(each_file("data/entries/bad-c-only", refuse_entry) >= 19);
}

/* Why each fixture is refused: the message says what is wrong. Reasons
 * starting ".private.yaml" are the private part's. */
static const struct {
	const char *file;
	const char *reason;
} entry_reasons[] = {
	{ "bad/missing-time.yaml",
		":1:1: missing 'time' (required in a register entry)" },
	{ "bad/publish-url-ftp.yaml",
		":6:6: 'url' must start with https:// or http://" },
	{ "bad/publish-url-space.yaml",
		"'url' must be printable ASCII" },
	{ "bad/publish-document-twice.yaml",
		"'documents' item 2: entry 3 is named twice" },
	{ "bad-c-only/publish-document-not-earlier.yaml",
		"'documents' item 2: 'index' must name an earlier entry"
		" (1 to 8)" },
	{ "bad/publish-document-extra-key.yaml",
		"must be a mapping with exactly 'index' and 'sha256'" },
	{ "bad/publish-documents-empty.yaml",
		"'documents' must be a list" },
	{ "bad/publish-with-path.yaml",
		"'path' does not belong in the private part of a publish"
		" entry" },
	{ "bad/register-with-url.yaml",
		"'url' does not belong in a register entry" },
	{ "bad/unknown-field.yaml",
		":9:1: unknown key 'colour'" },
	{ "bad/quoted-index.yaml",
		":2:8: 'index' must be an unquoted integer" },
	{ "bad/plain-string-actor.yaml",
		":5:8: 'actor' must be a quoted string" },
	{ "bad/index-leading-zero.yaml",
		"leading zeros, not '012345'" },
	{ "bad/plain-no.yaml",
		":8:9: 'source' must be a quoted string" },
	{ "bad/plain-sexagesimal-time.yaml",
		":4:7: 'time' must be a quoted string" },
	{ "bad/alias.yaml",
		":5:8: an anchor (&who)" },
	{ "bad/alias-undefined.yaml",
		":8:9: an alias (*who)" },
	{ "bad/duplicate-key.yaml",
		":8:1: duplicate key 'actor' (first at line 5)" },
	{ "bad/duplicate-key-quoted.yaml",
		"duplicate key 'size'" },
	{ "bad/nested-too-deep.yaml",
		"nested deeper than 16 levels" },
	{ "bad/two-documents.yaml",
		":10:1: a second document" },
	{ "bad/empty.yaml",
		"bad/empty.yaml: empty" },
	{ "bad/non-utf8.yaml",
		":5:11: byte 189 (0xe9) is not valid UTF-8" },
	{ "bad/surrogate-utf8.yaml",
		"is not valid UTF-8" },
	{ "bad/utf16le-bom.yaml",
		": starts with a UTF-16 byte-order mark" },
	{ "bad/utf16le-no-bom.yaml",
		":1:2: a NUL byte" },
	{ "bad/utf8-bom.yaml",
		":1:1: a byte-order mark" },
	{ "bad/tag-binary.yaml",
		"a tag (tag:yaml.org,2002:binary); explicit tags" },
	{ "bad/tag-str.yaml",
		"a tag (tag:yaml.org,2002:str)" },
	{ "bad/directive-yaml.yaml",
		"directives (%YAML, %TAG)" },
	{ "bad/nul-escape.yaml",
		"'actor' contains a NUL character" },
	{ "bad/path-dotdot.yaml",
		"path 'folder/../etc/passwd' has a '..' component" },
	{ "bad/path-absolute.yaml",
		"path '/etc/passwd' is absolute" },
	{ "bad/path-dotgit-upper.yaml",
		"component '.GIT' is reserved" },
	{ "bad/path-dotgit-trailing.yaml",
		"component '.git. .' is reserved" },
	{ "bad/path-dotgit-stream.yaml",
		"is reserved" },
	{ "bad/path-git-shortname.yaml",
		"component 'GIT~1' is reserved" },
	{ "bad/path-custody.yaml",
		"component '.custody' is reserved" },
	{ "bad/path-control.yaml",
		"path 'folder/a\\u{0001}b.pdf' contains a control"
		" character" },
	{ "bad/path-backslash.yaml",
		"contains a backslash" },
	{ "bad/path-double-slash.yaml",
		"has an empty component" },
	{ "bad/salt-short.yaml",
		":5:7: 'salt' must be 64 hex digits" },
	{ "bad/salt-upper.yaml",
		"'salt' must be lowercase hexadecimal" },
	{ "bad/sha512-short.yaml",
		"'sha512' must be 128 hex digits" },
	{ "bad/blob-short.yaml",
		"'blob' must be 40 hex digits" },
	{ "bad/version2-no-previous.yaml",
		"'version' is more than 1, so 'previous'" },
	{ "bad/version1-with-previous.yaml",
		"'previous' must not be given for version 1" },
	{ "bad/genesis-with-path.yaml",
		":8:1: 'path' does not belong in the private part of a"
		" genesis entry" },
	{ "bad/member-action-unknown.yaml",
		":6:9: 'action' must be \"add\" or \"revoke\", not"
		" \"suspend\"" },
	/* a private field's value error names its line and column too */
	{ "bad/member-name-space.yaml",
		"member-name-space.private.yaml:7:9: 'member' may hold only"
		" letters, digits and . _ @ + -" },
	{ "bad/member-name-comma.yaml",
		"'member' may hold only letters" },
	{ "bad/member-name-dash.yaml",
		"'member' must not start with '.' or '-'" },
	{ "bad/member-key-comment.yaml",
		": 'key' must be an OpenSSH Ed25519 public key" },
	{ "bad/member-key-rsa.yaml",
		"'key' must be an OpenSSH Ed25519" },
	{ "bad/member-key-short.yaml",
		"'key' must be an OpenSSH Ed25519" },
	{ "bad/member-missing-key.yaml",
		"missing 'key' (required in the private part of a member"
		" entry)" },
	{ "bad/member-with-path.yaml",
		"'path' does not belong in the private part of a member"
		" entry" },
	{ "bad/genesis-without-key.yaml",
		"missing 'key' (required in the private part of a"
		" genesis entry)" },
	{ "bad/genesis-without-log-key.yaml",
		"missing 'log_key' (required in a genesis entry)" },
	{ "bad/register-with-key.yaml",
		"'key' does not belong in the private part of a register"
		" entry" },
	{ "bad-c-only/member-key-small-order.yaml",
		"'key' is a point of small order" },
	{ "bad-c-only/member-key-not-canonical.yaml",
		"'key' is not a canonical encoding of a point" },
	{ "bad/register-with-origin.yaml",
		"'origin' does not belong in a register entry" },
	{ "bad/format-3.yaml",
		":1:16: entry format 3; this custody reads format 2" },
	{ "bad/index-too-big.yaml",
		"more than 9007199254740991" },
	{ "bad/too-large.yaml",
		": 70245 bytes, more than the 65536 allowed" },
	{ "bad/note-control.yaml",
		"'note' contains a control character" },
	{ "bad/media-type-upper.yaml",
		"'media_type' must be a lowercase" },
	{ "bad/time-trailing-newline.yaml",
		"'time' must be a UTC time" },
	{ "bad-c-only/path-dotgit-ignorable.yaml",
		"component '.g\\u{200c}it' is reserved" },
	{ "bad-c-only/path-custody-long-s.yaml",
		"is reserved" },
	{ "bad-c-only/time-february-30.yaml",
		"'time' is not a real date" },
	{ "bad-c-only/time-hour-24.yaml",
		"'time' is not a real time of day" },
	{ "bad-c-only/previous-not-less.yaml",
		"'previous' must be less than 'index'" },
	{ "bad-c-only/actor-too-many-bytes.yaml",
		"'actor' is longer than 256 bytes" },
	{ "bad/event-action-unknown.yaml",
		":6:9: 'action' must be \"received\", \"transferred\","
		" \"copied\", \"accessed\", \"verified\", \"sealed\","
		" \"returned\", \"destroyed\" or \"note\", not \"stolen\"" },
	{ "bad/event-action-member.yaml",
		"or \"note\", not \"add\"" },
	{ "bad/member-action-event.yaml",
		":6:9: 'action' must be \"add\" or \"revoke\", not"
		" \"received\"" },
	{ "bad/event-document-zero.yaml",
		": 'document' must name an earlier entry (1 to 12)" },
	{ "bad-c-only/event-document-not-earlier.yaml",
		": 'document' must name an earlier entry (1 to 12)" },
	{ "bad/event-missing-sha256.yaml",
		":1:1: missing 'sha256' (required in an event entry)" },
	{ "bad/event-from-newline.yaml",
		": 'from' contains a control character" },
	{ "bad/event-to-control.yaml",
		": 'to' contains a control character" },
	{ "bad/event-from-too-long.yaml",
		": 'from' is longer than 256 bytes" },
	{ "bad-c-only/event-from-too-many-bytes.yaml",
		"'from' is longer than 256 bytes" },
	{ "bad/event-at-not-time.yaml",
		": 'at' must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"" },
	{ "bad-c-only/event-at-february-30.yaml",
		"'at' is not a real date (no such day in that month)" },
	{ "bad/event-backdate-reason-without-at.yaml",
		": 'backdate_reason' is given without 'at'" },
	{ "bad/event-with-path.yaml",
		":8:1: 'path' does not belong in the private part of an"
		" event entry" },
	{ "bad/event-with-derivation.yaml",
		"'derivation' does not belong in an event entry" },
	{ "bad/derive-derivation-unknown.yaml",
		":11:13: 'derivation' must be \"redact\", \"translate\","
		" \"ocr\", \"excerpt\", \"convert\" or"
		" \"watermark-removal\", not \"summarise\"" },
	{ "bad/derive-missing-original-leaf.yaml",
		":1:1: missing 'original_leaf' (required in a derive"
		" entry)" },
	{ "bad/derive-original-sha256.yaml",
		":12:1: unknown key 'original_sha256'" },
	{ "bad/derive-original-leaf-upper.yaml",
		":10:16: 'original_leaf' must be lowercase hexadecimal" },
	{ "bad/derive-derived-from-zero.yaml",
		":9:15: 'derived_from' must name an earlier entry (1 to"
		" 13)" },
	{ "bad-c-only/derive-derived-from-not-earlier.yaml",
		"'derived_from' must name an earlier entry (1 to 13)" },
	{ "bad/derive-with-action.yaml",
		":8:1: 'action' does not belong in the private part of a"
		" derive entry" },
	{ "bad/derive-version2-no-previous.yaml",
		"'version' is more than 1, so 'previous'" },
	{ "bad/register-with-derived-from.yaml",
		":9:1: 'derived_from' does not belong in a register entry" },
	{ "bad/publish-with-document.yaml",
		"'document' does not belong in the private part of a"
		" publish entry" },
	{ "bad/member-with-at.yaml",
		"'at' does not belong in the private part of a member"
		" entry" },
	{ "bad/public-with-path.yaml",
		":6:1: 'path' does not belong in a register entry" },
	{ "bad/public-with-actor.yaml",
		":5:1: 'actor' does not belong in a register entry" },
	{ "bad/public-with-opening.yaml",
		":9:1: 'opening' does not belong in a register entry" },
	{ "bad/public-with-leaf.yaml",
		":9:1: 'leaf' does not belong in a register entry" },
	{ "bad/missing-private.yaml",
		":1:1: missing 'private' (required in a register entry)" },
	{ "bad/private-not-hex.yaml",
		":9:10: 'private' must be lowercase hexadecimal" },
	{ "bad/private-short.yaml",
		":9:10: 'private' must be 64 hex digits" },
	{ "bad/private-index-not-its-entry.yaml",
		": is the private part of entry 13, not of entry 12" },
	{ "bad/private-leaf-not-its-entry.yaml",
		": 'leaf' is not the leaf hash of entry 12's public part" },
	{ "bad/private-with-size.yaml",
		":8:1: 'size' does not belong in the private part of a"
		" register entry" },
	{ "bad/private-with-salt.yaml",
		":5:1: 'salt' does not belong in the private part of a"
		" register entry" },
	{ "bad/private-with-private.yaml",
		":5:1: 'private' does not belong in the private part of"
		" a register entry" },
	{ "bad/private-unknown-key.yaml",
		":8:1: unknown key 'colour'" },
	{ "bad/private-missing-leaf.yaml",
		":1:1: missing 'leaf' (required in the private part of a"
		" register entry)" },
	{ "bad/private-missing-opening.yaml",
		":1:1: missing 'opening' (required in the private part"
		" of a register entry)" },
	{ "bad/private-missing-index.yaml",
		":1:1: missing 'index' (required in the private part of"
		" a register entry)" },
	{ "bad/private-missing-actor.yaml",
		":1:1: missing 'actor' (required in the private part of"
		" a register entry)" },
	{ "bad/private-missing-version.yaml",
		":1:1: missing 'version' (required in the private part"
		" of a register entry)" },
	{ "bad/private-missing-format.yaml",
		":1:1: missing 'custody-private' (not the private part"
		" of a custody log entry?)" },
	{ "bad/private-format-entry.yaml",
		":1:1: missing 'custody-private' (not the private part"
		" of a custody log entry?)" },
	{ "bad/private-format-3.yaml",
		":1:18: private part format 3; this custody reads format"
		" 2" },
	{ "bad/private-value-changed.yaml",
		": the private fields do not match entry 12's commitment"
		" ('private')" },
	{ "bad/private-field-added.yaml",
		": the private fields do not match entry 12's commitment"
		" ('private')" },
	{ "bad/private-field-removed.yaml",
		": the private fields do not match entry 12's commitment"
		" ('private')" },
	{ "bad/private-opening-changed.yaml",
		": the private fields do not match entry 12's commitment"
		" ('private')" },
	{ "bad/private-opening-short.yaml",
		".private.yaml: 'opening' must be 64 lowercase hex digits" },
	{ "bad/private-opening-upper.yaml",
		".private.yaml: 'opening' must be 64 lowercase hex digits" },
	{ "bad/log-key-missing-new-signature.yaml",
		":1:1: missing 'new_signature' (required in a log-key "
		"entry)" },
	{ "bad/log-key-not-vkey.yaml",
		":6:10: 'log_key' must be a C2SP Ed25519 verifier key" },
	{ "bad-c-only/log-key-same-key.yaml",
		":6:10: 'log_key' is the key it replaces" },
	{ "bad/log-key-signature-short.yaml",
		":8:16: 'old_signature' must be an Ed25519 signature in base64"
		" (88 characters)" },
	{ "bad/log-key-with-origin.yaml",
		":6:1: 'origin' does not belong in a log-key entry" },
	{ "bad/genesis-log-key-not-vkey.yaml",
		":7:10: 'log_key' must be a C2SP Ed25519 verifier key" },
	{ NULL, NULL }
};

/* The message for fixture `file` (public part, or private part when it
 * has one); NULL if the fixture is missing. Free with free(). */
static char *refusal(const char *file)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char path[256], ppath[512];
	char *bytes, *priv, *msg = NULL;
	size_t len, plen;
	int rc;

	snprintf(path, sizeof(path), "data/entries/%s", file);
	private_path(ppath, path);
	if ((bytes = read_file(path, &len)) == NULL)
		return NULL;
	if ((priv = read_file(ppath, &plen)) != NULL)
		rc = read_entry(&e, bytes, len, path, priv, plen, ppath, &err);
	else
		rc = custody_entry__parse(&e, bytes, len, path, &err);
	CHECK_INT(rc, CUSTODY_EINVALID);
	check_names_file(custody_error_message(err), priv ? ppath : path);
	if (err != NULL)
		msg = strdup(custody_error_message(err));
	custody_entry__free(e);
	custody_error_free(err);
	free(bytes);
	free(priv);
	return msg;
}

static void test_entry__bad_fixtures_are_refused_for_the_right_reason(void)
{
	for (size_t i = 0; entry_reasons[i].file != NULL; i++) {
		char *msg = refusal(entry_reasons[i].file);

		CHECK(msg != NULL);
		if (msg == NULL) {
			fprintf(stderr, "  missing or accepted fixture %s\n",
				entry_reasons[i].file);
			continue;
		}
		CHECK_CONTAINS(msg, entry_reasons[i].reason);
		free(msg);
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
	e->opening = OPENING;
}

/* Both parts of the entry, emitted, are exactly `pub` and `priv`. */
static void check_emits(const struct custody_entry *e, const char *pub,
	const char *priv)
{
	custody_buf yaml = CUSTODY_BUF_INIT, yaml2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	unsigned char leaf[32];

	CHECK_INT(custody_entry__emit(&yaml, e, &err), 0);
	CHECK_INT(yaml.size, strlen(pub));
	CHECK_STR(yaml.ptr, pub);
	custody_merkle__leaf_hash(pub, strlen(pub), leaf);
	CHECK_INT(custody_entry__emit_private(&yaml2, e, leaf, &err), 0);
	CHECK_INT(yaml2.size, strlen(priv));
	CHECK_STR(yaml2.ptr, priv);
	if (err != NULL)
		fprintf(stderr, "  %s\n", custody_error_message(err));
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&yaml2);
	custody_error_free(err);
}

/*
 * The exact bytes custody writes: if libyaml's output ever changes,
 * entries written before and after would differ, and this fails. The
 * `private` values are make-format2.py's commitment() of the private
 * part below (Python hashlib/hmac); the `leaf` values SHA-256(0x00 ||
 * the public part), by `sha256sum` of the bytes with a NUL in front.
 */
static void test_entry__emit_writes_the_exact_bytes(void)
{
	static const char pub[] =
		"custody-entry: 2\n"
		"index: 12\n"
		"type: \"register\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"salt: \"" SALT "\"\n"
		"size: 1234\n"
		"sha256: \"" SHA256 "\"\n"
		"sha512: \"" SHA512 "\"\n"
		"media_type: \"application/pdf\"\n"
		"private: \"3f33ab9f0fe8f1862da50fa892731750"
		"d5671b76be4fab7a3644809f8efaa638\"\n";
	static const char priv[] =
		"custody-private: 2\n"
		"index: 12\n"
		"leaf: \"a2e0fbc4bd94e847d70c4d1c3080d196"
		"ec40d6d87e1a5f0dff2a37a5f329f831\"\n"
		"opening: \"" OPENING "\"\n"
		"actor: \"alice\"\n"
		"path: \"folder/file name \xc3\xbc.pdf\"\n"
		"blob: \"" BLOB "\"\n"
		"version: 2\n"
		"previous: 5\n"
		"source: \"label\"\n"
		"note: \"text\"\n";
	struct custody_entry e;

	fill_register(&e);
	check_emits(&e, pub, priv);
}

static void test_entry__emit_writes_the_exact_genesis_bytes(void)
{
	static const char pub[] =
		"custody-entry: 2\n"
		"index: 0\n"
		"type: \"genesis\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"salt: \"" SALT "\"\n"
		"origin: \"example.org/leaks\"\n"
		"private: \"0d7a070fec6898f436f1759922243571"
		"81a1f352cb3ffc18a54d72c3dda40958\"\n";
	static const char priv[] =
		"custody-private: 2\n"
		"index: 0\n"
		"leaf: \"9a968b2378f676a1eae189b50972d852"
		"6abea1fc9823eb32a6e68aea563227a4\"\n"
		"opening: \"" OPENING "\"\n"
		"actor: \"alice\"\n"
		"member: \"alice\"\n"
		"key: \"" KEY "\"\n";
	struct custody_entry e;

	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_GENESIS;
	e.time = "2026-11-23T01:54:26Z";
	e.actor = "alice";
	e.salt = SALT;
	e.opening = OPENING;
	e.origin = "example.org/leaks";
	e.member = "alice";
	e.key = KEY;
	check_emits(&e, pub, priv);
}

static void test_entry__emit_never_folds_and_escapes_controls(void)
{
	static const char expected_note[] = "note: \"" "0123456789"
		"0123456789012345678901234567890123456789012345678901234567"
		"89 0123456789012345678901234567890123456789 end\\n\\tindented"
		"\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf pub = CUSTODY_BUF_INIT, yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_register(&e);
	e.path = "dossier/\xf0\x9f\x98\x80 \xc3\xa9t\xc3\xa9.txt";
	e.note = "0123456789012345678901234567890123456789012345678901234567"
		"890123456789 0123456789012345678901234567890123456789 end\n"
		"\tindented";
	CHECK_INT(round_trip(&e, &back, &pub, &yaml, &err), 0);
	CHECK_CONTAINS(yaml.ptr, expected_note);
	CHECK_CONTAINS(yaml.ptr,
		"path: \"dossier/\\U0001F600 \xc3\xa9t\xc3\xa9.txt\"\n");
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&pub);
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
		{ 1, ".git/config", "component '.git' is reserved for git" },
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

/* A skip entry (add --skip-refused): emitted, read back, its list of
 * skipped paths opened from the private part as it was written. */
static void test_entry__a_skip_entry_round_trips_with_its_list(void)
{
	static const char list[] = "leak/.git\tpath 'leak/.git': component "
		"'.git' is reserved for git\nleak/link\tis a symbolic link\n";
	struct custody_entry e, *back = NULL;
	custody_buf pub = CUSTODY_BUF_INIT, priv = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	unsigned char leaf[32];

	memset(&e, 0, sizeof(e));
	e.index = 12;
	e.type = CUSTODY_ENTRY_SKIP;
	e.time = "2026-11-23T01:54:26Z";
	e.actor = "alice";
	e.salt = SALT;
	e.opening = OPENING;
	e.skipped = (char *)list;
	CHECK_INT(custody_entry__emit(&pub, &e, &err), 0);
	CHECK(strstr(pub.ptr, "type: \"skip\"\n") != NULL);
	/* the list is private: the public part shows none of it */
	CHECK(strstr(pub.ptr, "leak") == NULL);
	custody_merkle__leaf_hash(pub.ptr, pub.size, leaf);
	CHECK_INT(custody_entry__emit_private(&priv, &e, leaf, &err), 0);
	CHECK(strstr(priv.ptr, "skipped: \"leak/.git\\tpath 'leak/.git': "
		"component '.git' is reserved for git\\nleak/link\\tis a "
		"symbolic link\\n\"\n") != NULL);
	CHECK_INT(custody_entry__parse(&back, pub.ptr, pub.size, "pub", &err),
		0);
	CHECK(back != NULL && back->skipped == NULL);
	CHECK_INT(custody_entry__open(back, priv.ptr, priv.size, "priv", leaf,
		&err), 0);
	CHECK_STR(back->skipped, list);
	CHECK_STR(custody_entry__type_name(back->type), "skip");
	custody_entry__free(back);
	custody_buf_dispose(&pub);
	custody_buf_dispose(&priv);
	custody_error_free(err);
}

static void test_entry__a_skip_list_must_be_sorted_lines_of_path_and_reason(
	void)
{
	static const struct {
		const char *list;
		const char *reason;
	} cases[] = {
		{ "", "'skipped' must name at least one path" },
		{ "b\tx\na\tx\n", "must list each path once, in byte order" },
		{ "a\tx\na\ty\n", "must list each path once, in byte order" },
		{ "a\tx", "must end each line with a newline" },
		{ "a x\n", "must be lines of a path, a tab and a reason" },
		{ "\tx\n", "must be lines of a path, a tab and a reason" },
		{ "a\t\n", "must be lines of a path, a tab and a reason" },
		{ "a\x1b[1m\tx\n", "without other control characters" },
		{ "a\txy\tz\n", "without other control characters" },
		{ "a\xff\tx\n", "is not valid UTF-8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct custody_entry e;
		custody_buf yaml = CUSTODY_BUF_INIT;
		custody_error *err = NULL;

		memset(&e, 0, sizeof(e));
		e.index = 12;
		e.type = CUSTODY_ENTRY_SKIP;
		e.time = "2026-11-23T01:54:26Z";
		e.actor = "alice";
		e.salt = SALT;
		e.opening = OPENING;
		e.skipped = (char *)cases[i].list;
		CHECK_INT(custody_entry__emit(&yaml, &e, &err),
			CUSTODY_EINVALID);
		CHECK_CONTAINS(custody_error_message(err), cases[i].reason);
		custody_error_free(err);
	}
	/* "a" before "a b": byte order, a prefix first */
	{
		struct custody_entry e;
		custody_buf yaml = CUSTODY_BUF_INIT;
		custody_error *err = NULL;

		memset(&e, 0, sizeof(e));
		e.index = 12;
		e.type = CUSTODY_ENTRY_SKIP;
		e.time = "2026-11-23T01:54:26Z";
		e.actor = "alice";
		e.salt = SALT;
		e.opening = OPENING;
		e.skipped = "a\tx\na b\ty\n";
		CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
		custody_buf_dispose(&yaml);
		custody_error_free(err);
	}
}

/* A .git folder is registered by its hashes only: a path through one is
 * accepted without a blob, refused with one. */
static void test_entry__a_git_folder_path_needs_hashes_only(void)
{
	struct custody_entry e;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_register(&e);
	e.path = "leak/.git/config";
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err), "path 'leak/.git/config': "
		"component '.git' is reserved for git; its content cannot be "
		"stored");
	custody_error_free(err);
	err = NULL;
	e.blob = NULL;
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), 0);
	custody_buf_dispose(&yaml);
	/* .custody stays reserved, stored or not */
	e.path = "leak/.custody/config";
	CHECK_INT(custody_entry__emit(&yaml, &e, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err), "component '.custody' is "
		"reserved");
	custody_error_free(err);
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
	e->opening = OPENING;
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

/* Every field of an event, in the fixed order, "action" as the key:
 * only the document's digest is public. */
static void test_entry__emit_writes_the_exact_event_bytes(void)
{
	static const char pub[] =
		"custody-entry: 2\n"
		"index: 13\n"
		"type: \"event\"\n"
		"time: \"2026-11-24T09:15:00Z\"\n"
		"salt: \"" SALT "\"\n"
		"sha256: \"" SHA256 "\"\n"
		"private: \"85829d63e5b0fb220e85c11b1b9566f1"
		"cb7745c6f0dc49c1537c4d2654849b42\"\n";
	static const char priv[] =
		"custody-private: 2\n"
		"index: 13\n"
		"leaf: \"cfc67376ba9bce6ea8fca9a306ee8d25"
		"245d7f2072607b48675db4ec955077a1\"\n"
		"opening: \"" OPENING "\"\n"
		"actor: \"alice\"\n"
		"action: \"transferred\"\n"
		"document: 12\n"
		"from: \"desk safe\"\n"
		"to: \"partner \xe2\x80\x94 legal\"\n"
		"at: \"2026-11-20T17:30:00Z\"\n"
		"backdate_reason: \"before the archive existed\"\n"
		"note: \"receipt 4411\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT, yaml2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_event(&e);
	check_emits(&e, pub, priv);
	CHECK_INT(round_trip(&e, &back, &yaml, &yaml2, &err), 0);
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&yaml2);
	custody_error_free(err);
}

/* A derive entry is a register entry's fields, then the original by
 * index and leaf hash; nothing else names the original. */
static void test_entry__emit_writes_the_exact_derive_bytes(void)
{
	static const char pub[] =
		"custody-entry: 2\n"
		"index: 14\n"
		"type: \"derive\"\n"
		"time: \"2026-11-23T01:54:26Z\"\n"
		"salt: \"" SALT "\"\n"
		"size: 1234\n"
		"sha256: \"" SHA256 "\"\n"
		"sha512: \"" SHA512 "\"\n"
		"media_type: \"application/pdf\"\n"
		"derived_from: 12\n"
		"original_leaf: \"" LEAF "\"\n"
		"derivation: \"redact\"\n"
		"private: \"c3e7429e90b2755cbe787737d7dec457"
		"4f09cdefd4b5fd1aa38159bfb82113f0\"\n";
	static const char priv[] =
		"custody-private: 2\n"
		"index: 14\n"
		"leaf: \"b81ffc5ca3e01752cb7af9642186660d"
		"41ec7fae7c21047ff031e1c686806dda\"\n"
		"opening: \"" OPENING "\"\n"
		"actor: \"alice\"\n"
		"path: \"published/cable-1-redacted.pdf\"\n"
		"blob: \"" BLOB "\"\n"
		"version: 2\n"
		"previous: 5\n"
		"source: \"label\"\n"
		"note: \"text\"\n";
	struct custody_entry e, *back = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT, yaml2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	fill_derive(&e);
	check_emits(&e, pub, priv);
	CHECK_INT(round_trip(&e, &back, &yaml, &yaml2, &err), 0);
	CHECK(back != NULL && same_entry(&e, back));
	custody_entry__free(back);
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&yaml2);
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

	CHECK_INT(read_pair(&e, FULL, &err), 0);
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
}

static void test_entry__parse_reads_every_event_field(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;

	CHECK_INT(read_pair(&e, "data/entries/good/event-full.yaml", &err), 0);
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
}

static void test_entry__parse_reads_every_derive_field(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;

	CHECK_INT(read_pair(&e, "data/entries/good/derive-full.yaml", &err),
		0);
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
}

#define V1 "data/entries/good/register-v1.yaml"
#define V1_PRIVATE "data/entries/good/register-v1.private.yaml"

/* Open V1's private part, with `from` replaced by `to` in it, against
 * `leaf` (V1's own when NULL); the message, or NULL if opened. */
static char *open_edited(const char *from, const char *to,
	const unsigned char *leaf)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	unsigned char own[32];
	char *pub, *priv, *msg = NULL, edited[4096];
	size_t len, plen;
	const char *at;

	pub = read_file(V1, &len);
	priv = read_file(V1_PRIVATE, &plen);
	CHECK(pub != NULL && priv != NULL && plen < 2048);
	if (pub == NULL || priv == NULL || plen >= 2048 ||
	    (at = strstr(priv, from)) == NULL) {
		free(pub);
		free(priv);
		return strdup("fixture or text missing");
	}
	snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - priv), priv,
		to, at + strlen(from));
	custody_merkle__leaf_hash(pub, len, own);
	CHECK_INT(custody_entry__parse(&e, pub, len, V1, &err), 0);
	if (e != NULL && custody_entry__open(e, edited, strlen(edited),
	    V1_PRIVATE, leaf != NULL ? leaf : own, &err) != 0) {
		CHECK_INT(custody_error_code(err), CUSTODY_EINVALID);
		msg = strdup(custody_error_message(err));
	}
	custody_entry__free(e);
	custody_error_free(err);
	free(pub);
	free(priv);
	return msg;
}

static void check_open_refusal(const char *from, const char *to,
	const unsigned char *leaf, const char *expected)
{
	char *msg = open_edited(from, to, leaf);

	CHECK(msg != NULL);
	if (msg != NULL)
		CHECK_STR(msg, expected);
	free(msg);
}

/* custody_entry__open refuses a private part that is not its entry's,
 * or whose fields are not the ones committed to, naming it. */
static void test_entry__open_refuses_what_is_not_the_entry_s(void)
{
	unsigned char other[32];
	char *msg;

	/* unedited, it opens */
	msg = open_edited("actor", "actor", NULL);
	CHECK(msg == NULL);
	free(msg);
	custody_merkle__leaf_hash("x", 1, other);
	check_open_refusal("actor", "actor", other, V1_PRIVATE ": 'leaf' is "
		"not the leaf hash of entry 12's public part");
	check_open_refusal("index: 12", "index: 11", NULL, V1_PRIVATE ": is "
		"the private part of entry 11, not of entry 12");
	check_open_refusal("\"alice\"", "\"alicf\"", NULL, V1_PRIVATE ": the "
		"private fields do not match entry 12's commitment "
		"('private')");
	check_open_refusal("version: 1\n", "version: 1\nnote: \"x\"\n", NULL,
		V1_PRIVATE ": the private fields do not match entry 12's "
		"commitment ('private')");
	check_open_refusal("version: 1\n", "version: 1\nsize: 1234\n", NULL,
		V1_PRIVATE ":8:1: 'size' does not belong in the private part "
		"of a register entry");
	check_open_refusal("version: 1\n", "version: 1\nmember: \"bob\"\n",
		NULL, V1_PRIVATE ":8:1: 'member' does not belong in the "
		"private part of a register entry");
	check_open_refusal("version: 1\n", "", NULL, V1_PRIVATE ":1:1: "
		"missing 'version' (required in the private part of a "
		"register entry)");
	check_open_refusal("custody-private: 2", "custody-private: 1", NULL,
		V1_PRIVATE ":1:18: private part format 1; this custody reads "
		"format 2");
}

/* The opening of good/register-full.private.yaml, and the known answers
 * for it: `tests/data/entries/make-format2.py field OPENING NAME VALUE`
 * (Python hmac and hashlib, not custody). */
#define FULL_OPENING "2358b868b58ebbec7eef61717a154ef5" \
	"a2a404d37e6159b972d0cbf80e5294f4"
#define FULL_PRIVATE "6b5a712fef976482a532b272e63eb30e" \
	"bda8040ea6427800b0a62385441c05c2"

static void check_field(const struct custody_entry *e, const char *field,
	const char *value, const char *nonce_hex, const char *commit_hex)
{
	unsigned char nonce[32], commit[32];
	custody_error *err = NULL;
	char hex[65];
	char *got = NULL;

	CHECK_INT(custody_entry__opening(e, field, nonce, &got, &err), 0);
	CHECK_STR(got, value);
	custody_hex(hex, nonce, 32);
	CHECK_STR(hex, nonce_hex);
	custody_entry__commit_field(field, nonce, value, strlen(value),
		commit);
	custody_hex(hex, commit, 32);
	CHECK_STR(hex, commit_hex);
	free(got);
	custody_error_free(err);
}

/* The commitment, against values computed independently in Python. */
static void test_entry__commitment_known_answers(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	char hex[65];

	CHECK_INT(read_pair(&e, FULL, &err), 0);
	if (e == NULL)
		return;
	CHECK_STR(e->opening, FULL_OPENING);
	CHECK_STR(e->private_commitment, FULL_PRIVATE);
	CHECK_INT(custody_entry__private_hex(e, hex, &err), 0);
	CHECK_STR(hex, FULL_PRIVATE);
	check_field(e, "actor", "alice",
		"7cd1f765207a53ed524ba016819bf9b1"
		"c082579696d95faa8444f424a8927602",
		"bcd2d763180b0a714e1ad61499e78bff"
		"79f00488da6e61f39d25850c6e785b09");
	check_field(e, "path", "folder/file name \xc3\xbc.pdf",
		"03f88c6dda8c0c19594332c925326b5e"
		"fd5525df09eecd1a4a460bc35b1d0fc3",
		"f25478f1d049fe57dcc2a09057b6447e"
		"c95cc6c9fa7e0d8181a681e7d5008066");
	check_field(e, "note", "second copy\n\twith a tab",
		"7160e8cf16d509b6e3b09e571f837be8"
		"1f7d00434259a850f6026376669f261c",
		"1d2d49b682bef5590a204e1155954fdc"
		"3c178fdc8f0ee5adf75aa90ae5fd1968");
	custody_entry__free(e);
	custody_error_free(err);
}

/*
 * A disclosure of one field: its value and nonce, and the other fields'
 * commitments. From those alone the public `private` is recomputed; a
 * changed value is not.
 */
static void test_entry__disclosing_one_field_matches_the_commitment(void)
{
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE];
	unsigned char commits[CUSTODY_ENTRY_MAX_PRIVATE][32], nonce[32];
	unsigned char want[32], got[32];
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	size_t n, path_at = CUSTODY_ENTRY_MAX_PRIVATE;
	char *value = NULL;

	CHECK_INT(read_pair(&e, FULL, &err), 0);
	if (e == NULL)
		return;
	n = custody_entry__private_fields(e, names);
	CHECK_INT(n, 7);
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(custody_entry__opening(e, names[i], nonce, &value,
			&err), 0);
		custody_entry__commit_field(names[i], nonce, value,
			value ? strlen(value) : 0, commits[i]);
		if (strcmp(names[i], "path") == 0)
			path_at = i;
		free(value);
		value = NULL;
	}
	CHECK_INT(path_at, 1);
	CHECK_INT(custody_unhex(want, e->private_commitment, 32), 0);
	custody_entry__commit_private(names,
		(const unsigned char (*)[32])commits, n, got);
	CHECK(memcmp(want, got, 32) == 0);
	/* the disclosed path, from its nonce and value only */
	CHECK_INT(custody_entry__opening(e, "path", nonce, &value, &err), 0);
	custody_entry__commit_field("path", nonce, value, strlen(value),
		commits[path_at]);
	custody_entry__commit_private(names,
		(const unsigned char (*)[32])commits, n, got);
	CHECK(memcmp(want, got, 32) == 0);
	custody_entry__commit_field("path", nonce, "other.pdf", 9,
		commits[path_at]);
	custody_entry__commit_private(names,
		(const unsigned char (*)[32])commits, n, got);
	CHECK(memcmp(want, got, 32) != 0);
	free(value);
	custody_entry__free(e);
	custody_error_free(err);
}

/* Only a field the entry holds, and only once its private part is open,
 * has an opening. */
static void test_entry__opening_of_an_absent_field_is_not_found(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;
	unsigned char nonce[32];
	char *value = NULL, *bytes;
	size_t len;

	CHECK_INT(read_pair(&e, FULL, &err), 0);
	if (e == NULL)
		return;
	CHECK_INT(custody_entry__opening(e, "member", nonce, &value, &err),
		CUSTODY_ENOTFOUND);
	CHECK_STR(custody_error_message(err),
		"entry 12 holds no private field 'member'");
	CHECK(value == NULL);
	custody_error_free(err);
	err = NULL;
	custody_entry__free(e);
	e = NULL;
	bytes = read_file(FULL, &len);
	CHECK_INT(custody_entry__parse(&e, bytes, len, FULL, &err), 0);
	CHECK(e != NULL && e->path == NULL && e->opening == NULL);
	if (e != NULL)
		CHECK_INT(custody_entry__opening(e, "path", nonce, &value,
			&err), CUSTODY_ENOTFOUND);
	CHECK(value == NULL);
	free(bytes);
	custody_entry__free(e);
	custody_error_free(err);
}

#define OLD_KEY "example.org/leaks+5aa0c654+" \
	"ASoD9mDkUTdqyAPzmlroJtvp3VhR3LA/7/otlnM04Ujq"
#define NEW_KEY "example.org/leaks+f513c8fc+" \
	"AVJBDryUzgODMC3Ly0wpgRxC4F3BIAiY6PAeSK48tti+"

/* The outlet key, in the genesis entry and in a rotation. */
static void test_entry__parse_reads_the_log_keys(void)
{
	struct custody_entry *e = NULL;
	custody_error *err = NULL;

	CHECK_INT(read_pair(&e, "data/entries/good/genesis-log-key.yaml",
		&err), 0);
	if (e != NULL) {
		CHECK_STR(e->log_key, OLD_KEY);
		CHECK(e->previous_log_key == NULL);
		CHECK_STR(e->member, "alice");
	}
	custody_entry__free(e);
	e = NULL;
	CHECK_INT(read_pair(&e, "data/entries/good/log-key.yaml", &err), 0);
	if (e != NULL) {
		CHECK_INT(e->type, CUSTODY_ENTRY_LOG_KEY);
		CHECK_INT(e->index, 21);
		CHECK_STR(e->log_key, NEW_KEY);
		CHECK_STR(e->previous_log_key, OLD_KEY);
		CHECK_INT(strlen(e->old_signature), 88);
		CHECK_INT(strlen(e->new_signature), 88);
		CHECK_STR(e->actor, "alice");
		CHECK_STR(e->note, "the old key's laptop was stolen");
		CHECK(e->origin == NULL && e->path == NULL);
	}
	custody_entry__free(e);
	custody_error_free(err);
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
	TEST(test_entry__a_skip_entry_round_trips_with_its_list),
	TEST(test_entry__a_skip_list_must_be_sorted_lines_of_path_and_reason),
	TEST(test_entry__a_git_folder_path_needs_hashes_only),
	TEST(test_entry__emit_writes_the_exact_event_bytes),
	TEST(test_entry__emit_writes_the_exact_derive_bytes),
	TEST(test_entry__emit_refuses_bad_events_and_derivations),
	TEST(test_entry__parse_reads_every_field),
	TEST(test_entry__parse_reads_every_event_field),
	TEST(test_entry__parse_reads_every_derive_field),
	TEST(test_entry__open_refuses_what_is_not_the_entry_s),
	TEST(test_entry__commitment_known_answers),
	TEST(test_entry__disclosing_one_field_matches_the_commitment),
	TEST(test_entry__opening_of_an_absent_field_is_not_found),
	TEST(test_entry__parse_reads_the_log_keys),
	TEST(test_entry__type_names),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
