/*
 * Entry checks: what each field may hold and which fields each type
 * holds. The reader and the emitter both run them, so custody never
 * writes what it would refuse to read.
 */
#include "entry_check.h"
#include "custody/entry.h"
#include "sshwire.h"
#include "ed25519.h"
#include "common.h"
#include "path.h"
#include "note.h"
#include "base64.h"
#include "policy.h"

#include <stdlib.h>

#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define LABEL_MAX_BYTES 256
#define NOTE_MAX_BYTES 4096
#define ORIGIN_MAX_BYTES 255
#define MEDIA_TYPE_MAX_BYTES 255

enum {
	IN_GENESIS = 1,
	IN_REGISTER = 2,
	IN_MEMBER = 4,
	IN_PUBLISH = 8,
	IN_EVENT = 16,
	IN_DERIVE = 32,
	IN_LOG_KEY = 64,
	IN_POLICY = 128,
	IN_SKIP = 256,
	IN_DKIM = 512,
	IN_ALL = 1023
};

/* A derive entry holds everything a register entry does. */
#define IN_REGISTERS (IN_REGISTER | IN_DERIVE)

/* Which part of an entry a key sits in. */
enum { PUB = 1, PRIV = 2 };

/* Every key an entry may hold, where it belongs, whether it must be
 * there, and in which part; in the order custody writes them. */
static const struct entry_key {
	const char *key;
	int in;
	int required;
	int part;
} entry_keys[] = {
	{ "custody-entry", IN_ALL, IN_ALL, PUB },
	{ "custody-private", IN_ALL, IN_ALL, PRIV },
	{ "index", IN_ALL, IN_ALL, PUB | PRIV },
	{ "type", IN_ALL, IN_ALL, PUB },
	{ "time", IN_ALL, IN_ALL, PUB },
	{ "salt", IN_ALL, IN_ALL, PUB },
	{ "leaf", IN_ALL, IN_ALL, PRIV },
	{ "opening", IN_ALL, IN_ALL, PRIV },
	{ "actor", IN_ALL, IN_ALL, PRIV },
	{ "origin", IN_GENESIS, IN_GENESIS, PUB },
	{ "log_key", IN_GENESIS | IN_LOG_KEY, IN_GENESIS | IN_LOG_KEY, PUB },
	{ "previous_log_key", IN_LOG_KEY, IN_LOG_KEY, PUB },
	{ "old_signature", IN_LOG_KEY, IN_LOG_KEY, PUB },
	{ "new_signature", IN_LOG_KEY, IN_LOG_KEY, PUB },
	{ "policy", IN_POLICY, IN_POLICY, PUB },
	{ "action", IN_MEMBER | IN_EVENT, IN_MEMBER | IN_EVENT, PRIV },
	{ "member", IN_GENESIS | IN_MEMBER, IN_GENESIS | IN_MEMBER, PRIV },
	{ "key", IN_GENESIS | IN_MEMBER, IN_GENESIS | IN_MEMBER, PRIV },
	{ "document", IN_EVENT, IN_EVENT, PRIV },
	{ "path", IN_REGISTERS, IN_REGISTERS, PRIV },
	{ "size", IN_REGISTERS, IN_REGISTERS, PUB },
	{ "sha256", IN_REGISTERS | IN_EVENT, IN_REGISTERS | IN_EVENT, PUB },
	{ "sha512", IN_REGISTERS, 0, PUB },
	{ "media_type", IN_REGISTERS, 0, PUB },
	{ "blob", IN_REGISTERS, 0, PRIV },
	{ "version", IN_REGISTERS, IN_REGISTERS, PRIV },
	{ "previous", IN_REGISTERS, 0, PRIV },
	{ "source", IN_REGISTERS, 0, PRIV },
	{ "derived_from", IN_DERIVE, IN_DERIVE, PUB },
	{ "original_leaf", IN_DERIVE, IN_DERIVE, PUB },
	{ "derivation", IN_DERIVE, IN_DERIVE, PUB },
	{ "from", IN_EVENT, 0, PRIV },
	{ "to", IN_EVENT, 0, PRIV },
	{ "at", IN_EVENT, 0, PRIV },
	{ "backdate_reason", IN_EVENT, 0, PRIV },
	{ "url", IN_PUBLISH, IN_PUBLISH, PUB },
	{ "title", IN_PUBLISH, 0, PUB },
	{ "published", IN_PUBLISH, IN_PUBLISH, PUB },
	{ "documents", IN_PUBLISH, IN_PUBLISH, PUB },
	{ "skipped", IN_SKIP, IN_SKIP, PRIV },
	{ "message", IN_DKIM, IN_DKIM, PUB },
	{ "message_leaf", IN_DKIM, IN_DKIM, PUB },
	{ "verdict", IN_DKIM, IN_DKIM, PUB },
	{ "observed", IN_DKIM, IN_DKIM, PUB },
	{ "evidence", IN_DKIM, IN_DKIM, PUB },
	{ "note", IN_ALL, 0, PRIV },
	{ "private", IN_ALL, IN_ALL, PUB },
	{ NULL, 0, 0, 0 }
};

/* The article before a type name: "a register entry", "an event entry". */
static const char *article(const char *type)
{
	return type[0] != '\0' && strchr("aeiou", type[0]) != NULL ? "an" :
		"a";
}

/*
 * Value checks. Each returns NULL when the value is acceptable, else the
 * reason, worded to follow the quoted key: "'salt' must be ...".
 */

static const char *check_utf8(const char *s)
{
	if (custody_yaml__bad_utf8(s, strlen(s)) != 0)
		return "is not valid UTF-8";
	return NULL;
}

static int is_leap(unsigned year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned digits(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static const char *check_time(const char *s)
{
	static const unsigned days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	static const char shape[] = "0000-00-00T00:00:00Z";
	unsigned year, month, day, month_days;

	if (strlen(s) != sizeof(shape) - 1)
		goto shape;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == '0' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != shape[i])
			goto shape;
	}
	year = digits(s, 4);
	month = digits(s + 5, 2);
	day = digits(s + 8, 2);
	if (month < 1 || month > 12)
		return "is not a real date (no such month)";
	month_days = days[month - 1] + (month == 2 && is_leap(year));
	if (day < 1 || day > month_days)
		return "is not a real date (no such day in that month)";
	if (digits(s + 11, 2) > 23 || digits(s + 14, 2) > 59 ||
	    digits(s + 17, 2) > 59)
		return "is not a real time of day";
	return NULL;
shape:
	return "must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"";
}

static int has_control(const char *s, int allow_newline_tab)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (allow_newline_tab && (*p == '\n' || *p == '\t'))
			continue;
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	}
	return 0;
}

static const char *check_label(const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return "must not be empty";
	if (len > LABEL_MAX_BYTES)
		return "is longer than 256 bytes";
	if (has_control(s, 0))
		return "contains a control character";
	return check_utf8(s);
}

static const char *check_note(const char *s)
{
	if (strlen(s) > NOTE_MAX_BYTES)
		return "is longer than 4096 bytes";
	if (has_control(s, 1))
		return "contains a control character (only newline and tab "
			"are allowed)";
	return check_utf8(s);
}

#define URL_MAX_BYTES 2048

/* http:// or https://, then printable ASCII without spaces: a URL as a
 * browser shows it, with anything else percent-encoded. */
static const char *check_url(const char *s)
{
	size_t len = strlen(s);

	if (len > URL_MAX_BYTES)
		return "is longer than 2048 bytes";
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return "must start with https:// or http://";
	if (len <= (s[4] == 's' ? 8u : 7u))
		return "has no host";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return "must be printable ASCII without spaces "
				"(percent-encode the rest)";
	return NULL;
}

static const char *check_hex(const char *s, size_t ndigits)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return "must be lowercase hexadecimal digits only";
	if (i != ndigits) {
		switch (ndigits) {
		case 40:
			return "must be 40 hex digits (a git blob id)";
		case 128:
			return "must be 128 hex digits";
		default:
			return "must be 64 hex digits";
		}
	}
	return NULL;
}

const char *custody_entry__check_origin(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '!' || s[i] > '~')
			return "must be printable ASCII without spaces";
	if (i == 0 || i > ORIGIN_MAX_BYTES)
		return "must be 1 to 255 characters long";
	return NULL;
}

static int media_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$&^_.+-", c) != NULL);
}

/* ^[a-z0-9][a-z0-9!#$&^_.+-]* / [a-z0-9][a-z0-9!#$&^_.+-]*$ */
static const char *check_media_type(const char *s)
{
	const char *reason = "must be a lowercase media type \"type/subtype\"";
	size_t len = strlen(s);
	const char *slash = strchr(s, '/');

	if (len > MEDIA_TYPE_MAX_BYTES)
		return "is longer than 255 bytes";
	if (slash == NULL || slash == s || slash[1] == '\0')
		return reason;
	for (const char *part = s; part != NULL;
	    part = part == s ? slash + 1 : NULL) {
		const char *end = part == s ? slash : s + len;

		if (!media_char(*part) || !((*part >= 'a' && *part <= 'z') ||
		    (*part >= '0' && *part <= '9')))
			return reason;
		for (const char *c = part; c < end; c++)
			if (!media_char(*c))
				return reason;
	}
	return NULL;
}

static int is_one_of(const char *s, const char *const *choices)
{
	for (size_t i = 0; choices[i] != NULL; i++)
		if (strcmp(s, choices[i]) == 0)
			return 1;
	return 0;
}

static const char *const event_actions[] = { "received", "transferred",
	"copied", "accessed", "verified", "sealed", "returned", "destroyed",
	"note", NULL };

const char *custody_entry__check_event_action(const char *s)
{
	if (!is_one_of(s, event_actions))
		return "must be \"received\", \"transferred\", \"copied\", "
			"\"accessed\", \"verified\", \"sealed\", "
			"\"returned\", \"destroyed\" or \"note\"";
	return NULL;
}

static const char *const derivations[] = { "redact", "translate", "ocr",
	"excerpt", "convert", "watermark-removal", NULL };

const char *custody_entry__check_derivation(const char *s)
{
	if (!is_one_of(s, derivations))
		return "must be \"redact\", \"translate\", \"ocr\", "
			"\"excerpt\", \"convert\" or \"watermark-removal\"";
	return NULL;
}

static const char *check_member_name(const char *s);

const char *custody_entry_check_value(custody_field field,
	const char *value)
{
	assert(value != NULL);
	switch (field) {
	case CUSTODY_FIELD_TIME: return check_time(value);
	case CUSTODY_FIELD_LABEL: return check_label(value);
	case CUSTODY_FIELD_NOTE: return check_note(value);
	case CUSTODY_FIELD_URL: return check_url(value);
	case CUSTODY_FIELD_ORIGIN: return custody_entry__check_origin(value);
	case CUSTODY_FIELD_EVENT_ACTION:
		return custody_entry__check_event_action(value);
	case CUSTODY_FIELD_DERIVATION:
		return custody_entry__check_derivation(value);
	case CUSTODY_FIELD_MEMBER: return check_member_name(value);
	}
	return "is of a kind this library does not know";
}

/* A member's name becomes an allowed_signers principal and a key file
 * name: 1-64 of A-Z a-z 0-9 . _ @ + -, not starting with "." or "-". */
static const char *check_member_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("._@+-", s[i])))
			return "may hold only letters, digits and . _ @ + -";
	if (i == 0 || i > 64)
		return "must be 1 to 64 characters long";
	if (s[0] == '.' || s[0] == '-')
		return "must not start with '.' or '-'";
	return NULL;
}

static const char *check_key(const char *s)
{
	unsigned char raw[32];
	const char *problem;

	if (custody_sshwire__key_line_raw(s, raw) != 0)
		return "must be an OpenSSH Ed25519 public key, "
			"\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...\", "
			"without a comment";
	if ((problem = custody_ed25519__public_key_problem(raw)) != NULL)
		return problem;
	return NULL;
}

/*
 * Entry checks, shared by the reader (root is the document, for positions)
 * and the emitter (root NULL, name "entry N").
 */
struct checker {
	const struct custody_yaml_node *root;
	const char *name;
	custody_error **err;
	int priv;      /* the private part is loaded: check its fields */
};

static int fail(const struct checker *c, const char *key,
	const char *reason)
{
	return custody_yaml__error(c->err, c->name,
		custody_yaml__get(c->root, key), "'%s' %s", key, reason);
}

static int check_string(const struct checker *c, const char *key,
	const char *value, int required, const char *(*check)(const char *))
{
	const char *reason;

	if (value == NULL) {
		if (required)
			return fail(c, key, "is missing");
		return 0;
	}
	if ((reason = check(value)) != NULL)
		return fail(c, key, reason);
	return 0;
}

static const char *check_hex64(const char *s)
{
	return check_hex(s, 64);
}

static const char *check_hex128(const char *s)
{
	return check_hex(s, 128);
}

static const char *check_hex40(const char *s)
{
	return check_hex(s, 40);
}

static int check_path_value(const struct checker *c, const char *path,
	int stored)
{
	const struct custody_yaml_node *at = custody_yaml__get(c->root,
		"path");
	custody_error *perr = NULL;
	int rc;

	if (path == NULL)
		return fail(c, "path", "is missing");
	if ((rc = stored ? custody_path__check_recorded(path, &perr) :
	    custody_path__check_hashes_only(path, 1, &perr)) != 0) {
		if (rc == CUSTODY_ENOMEM)
			custody__error(c->err, rc, "out of memory");
		else
			custody_yaml__error(c->err, c->name, at, "%s",
				custody_error_message(perr));
		custody_error_free(perr);
		return rc;
	}
	return 0;
}

/* Fields that only some types hold must be absent from the others. */
static int check_absent(const struct custody_entry *e,
	const struct checker *c, int in)
{
	static const struct { const char *key; size_t offset; int in; }
	fields[] = {
		{ "origin", offsetof(struct custody_entry, origin), IN_GENESIS },
		{ "log_key", offsetof(struct custody_entry, log_key),
			IN_GENESIS | IN_LOG_KEY },
		{ "previous_log_key", offsetof(struct custody_entry,
			previous_log_key), IN_LOG_KEY },
		{ "old_signature", offsetof(struct custody_entry,
			old_signature), IN_LOG_KEY },
		{ "new_signature", offsetof(struct custody_entry,
			new_signature), IN_LOG_KEY },
		{ "policy", offsetof(struct custody_entry, policy),
			IN_POLICY },
		{ "member", offsetof(struct custody_entry, member),
			IN_GENESIS | IN_MEMBER },
		{ "key", offsetof(struct custody_entry, key),
			IN_GENESIS | IN_MEMBER },
		{ "action", offsetof(struct custody_entry, event_action),
			IN_EVENT },
		{ "from", offsetof(struct custody_entry, from), IN_EVENT },
		{ "to", offsetof(struct custody_entry, to), IN_EVENT },
		{ "at", offsetof(struct custody_entry, at), IN_EVENT },
		{ "backdate_reason", offsetof(struct custody_entry,
			backdate_reason), IN_EVENT },
		{ "path", offsetof(struct custody_entry, path), IN_REGISTERS },
		{ "sha256", offsetof(struct custody_entry, sha256),
			IN_REGISTERS | IN_EVENT },
		{ "sha512", offsetof(struct custody_entry, sha512),
			IN_REGISTERS },
		{ "media_type", offsetof(struct custody_entry, media_type),
			IN_REGISTERS },
		{ "blob", offsetof(struct custody_entry, blob), IN_REGISTERS },
		{ "source", offsetof(struct custody_entry, source),
			IN_REGISTERS },
		{ "original_leaf", offsetof(struct custody_entry,
			original_leaf), IN_DERIVE },
		{ "derivation", offsetof(struct custody_entry, derivation),
			IN_DERIVE },
		{ "url", offsetof(struct custody_entry, url), IN_PUBLISH },
		{ "title", offsetof(struct custody_entry, title), IN_PUBLISH },
		{ "published", offsetof(struct custody_entry, published),
			IN_PUBLISH },
		{ "skipped", offsetof(struct custody_entry, skipped),
			IN_SKIP },
		{ "message_leaf", offsetof(struct custody_entry,
			message_leaf), IN_DKIM },
		{ "verdict", offsetof(struct custody_entry, verdict),
			IN_DKIM },
		{ "observed", offsetof(struct custody_entry, observed),
			IN_DKIM },
		{ "evidence", offsetof(struct custody_entry, dkim_evidence),
			IN_DKIM },
	};
	const char *type = custody_entry__type_name(e->type);
	char reason[64];

	snprintf(reason, sizeof(reason), "does not belong in %s %s entry",
		article(type), type);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = *(char *const *)((const char *)e +
			fields[i].offset);

		if (!(fields[i].in & in) && value != NULL)
			return fail(c, fields[i].key, reason);
	}
	if (!(in & IN_REGISTERS) && e->has_previous)
		return fail(c, "previous", reason);
	if (in != IN_MEMBER && e->action != 0)
		return fail(c, "action", reason);
	if (in != IN_EVENT && e->document != 0)
		return fail(c, "document", reason);
	if (in != IN_DERIVE && e->derived_from != 0)
		return fail(c, "derived_from", reason);
	if (in != IN_PUBLISH && e->ndocuments != 0)
		return fail(c, "documents", reason);
	if (in != IN_DKIM && e->message != 0)
		return fail(c, "message", reason);
	return 0;
}

static int check_publish_fields(const struct custody_entry *e,
	const struct checker *c)
{
	char reason[96];
	int rc;

	if ((rc = check_string(c, "url", e->url, 1, check_url)) != 0 ||
	    (rc = check_string(c, "title", e->title, 0, check_label)) != 0 ||
	    (rc = check_string(c, "published", e->published, 1,
	    check_time)) != 0)
		return rc;
	if (e->ndocuments == 0)
		return fail(c, "documents", "must name at least one document");
	if (e->ndocuments > CUSTODY_PUBLISH_MAX_DOCUMENTS)
		return fail(c, "documents", "names more than 1000 documents");
	for (size_t i = 0; i < e->ndocuments; i++) {
		const struct custody_published *d = &e->documents[i];

		if (d->index == 0 || d->index >= e->index) {
			snprintf(reason, sizeof(reason), "item %zu: 'index' "
				"must name an earlier entry (1 to %" PRIu64 ")",
				i + 1, e->index - 1);
			return fail(c, "documents", reason);
		}
		if (d->sha256 == NULL || check_hex64(d->sha256) != NULL) {
			snprintf(reason, sizeof(reason), "item %zu: 'sha256' "
				"must be 64 lowercase hex digits", i + 1);
			return fail(c, "documents", reason);
		}
		for (size_t j = 0; j < i; j++)
			if (e->documents[j].index == d->index) {
				snprintf(reason, sizeof(reason), "item %zu: "
					"entry %" PRIu64 " is named twice",
					i + 1, d->index);
				return fail(c, "documents", reason);
			}
	}
	return 0;
}

static int check_member_fields(const struct custody_entry *e,
	const struct checker *c)
{
	int rc;

	if (!c->priv)
		return 0;
	if ((rc = check_string(c, "member", e->member, 1,
	    check_member_name)) != 0 ||
	    (rc = check_string(c, "key", e->key, 1, check_key)) != 0)
		return rc;
	return 0;
}

static int check_register_fields(const struct custody_entry *e,
	const struct checker *c)
{
	int rc;

	if (e->size > CUSTODY_YAML_MAX_INT)
		return fail(c, "size", "is too large");
	if ((rc = check_string(c, "sha256", e->sha256, 1, check_hex64))
	    != 0 ||
	    (rc = check_string(c, "sha512", e->sha512, 0, check_hex128))
	    != 0 ||
	    (rc = check_string(c, "media_type", e->media_type, 0,
	    check_media_type)) != 0)
		return rc;
	if (!c->priv)
		return 0;
	if ((rc = check_path_value(c, e->path, e->blob != NULL)) != 0 ||
	    (rc = check_string(c, "blob", e->blob, 0, check_hex40)) != 0 ||
	    (rc = check_string(c, "source", e->source, 0, check_label)) != 0)
		return rc;
	if (e->version < 1 || e->version > CUSTODY_YAML_MAX_INT)
		return fail(c, "version", "must be 1 or more");
	if (e->version > 1 && !e->has_previous)
		return fail(c, "version", "is more than 1, so 'previous' (the "
			"index of the version before) is required");
	if (e->version == 1 && e->has_previous)
		return fail(c, "previous", "must not be given for version 1");
	if (e->has_previous && e->previous >= e->index)
		return fail(c, "previous", "must be less than 'index' (an "
			"earlier entry)");
	return 0;
}

/* `key` names an entry before this one (not the genesis entry). */
static int check_earlier(const struct custody_entry *e,
	const struct checker *c, const char *key, uint64_t value)
{
	char reason[80];

	if (value != 0 && value < e->index)
		return 0;
	if (e->index < 2)
		return fail(c, key, "must name an earlier entry, and only the "
			"genesis entry comes before this one");
	snprintf(reason, sizeof(reason), "must name an earlier entry (1 to %"
		PRIu64 ")", e->index - 1);
	return fail(c, key, reason);
}

static int check_event_fields(const struct custody_entry *e,
	const struct checker *c)
{
	int rc;

	if ((rc = check_string(c, "sha256", e->sha256, 1, check_hex64)) != 0)
		return rc;
	if (!c->priv)
		return 0;
	if ((rc = check_string(c, "action", e->event_action, 1,
	    custody_entry__check_event_action)) != 0 ||
	    (rc = check_earlier(e, c, "document", e->document)) != 0 ||
	    (rc = check_string(c, "from", e->from, 0, check_label)) != 0 ||
	    (rc = check_string(c, "to", e->to, 0, check_label)) != 0 ||
	    (rc = check_string(c, "at", e->at, 0, check_time)) != 0 ||
	    (rc = check_string(c, "backdate_reason", e->backdate_reason, 0,
	    check_label)) != 0)
		return rc;
	/* Without `at` the event happened when it was recorded: no
	 * backdating to explain. */
	if (e->backdate_reason != NULL && e->at == NULL)
		return fail(c, "backdate_reason", "is given without 'at'");
	return 0;
}

static int check_derive_fields(const struct custody_entry *e,
	const struct checker *c)
{
	int rc;

	if ((rc = check_register_fields(e, c)) != 0 ||
	    (rc = check_earlier(e, c, "derived_from", e->derived_from))
	    != 0 ||
	    (rc = check_string(c, "original_leaf", e->original_leaf, 1,
	    check_hex64)) != 0 ||
	    (rc = check_string(c, "derivation", e->derivation, 1,
	    custody_entry__check_derivation)) != 0)
		return rc;
	return 0;
}

/*
 * skipped: lines "<path>\t<reason>\n", each part not empty, no control
 * character but the tab between them and the newline after (custody
 * quotes both parts); paths in byte order, none twice.
 */
static const char *check_skipped(const char *s)
{
	const char *line = s, *previous = NULL;
	size_t previous_len = 0;

	if (*s == '\0')
		return "must name at least one path";
	while (*line != '\0') {
		const char *tab = NULL, *c;
		size_t len;

		for (c = line; *c != '\n'; c++) {
			if (*c == '\0')
				return "must end each line with a newline";
			if (*c == '\t' && tab == NULL)
				tab = c;
			else if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return "must be lines of a path, a tab and a "
					"reason, without other control "
					"characters";
		}
		if (tab == NULL || tab == line || tab + 1 == c)
			return "must be lines of a path, a tab and a reason";
		len = (size_t)(tab - line);
		if (previous != NULL) {
			int order = memcmp(previous, line, previous_len < len ?
				previous_len : len);

			if (order > 0 || (order == 0 && previous_len >= len))
				return "must list each path once, in byte "
					"order";
		}
		previous = line;
		previous_len = len;
		line = c + 1;
	}
	return check_utf8(s);
}

/* A C2SP verifier key for Ed25519 whose id matches its name and key. */
static const char *check_vkey(const char *s)
{
	struct custody_note_verifier v;
	custody_error *verr = NULL;

	if (custody_note__verifier_from_vkey(&v, s, strlen(s), &verr) != 0) {
		custody_error_free(verr);
		return "must be a C2SP Ed25519 verifier key "
			"\"origin+keyid+base64\"";
	}
	return NULL;
}

/* 64 bytes of Ed25519 signature in standard base64 with padding. */
static const char *check_signature(const char *s)
{
	unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES + 3];
	size_t n;

	if (strlen(s) != 88 || custody_base64_decode(sig, &n, s,
	    strlen(s)) != 0 || n != CUSTODY_ED25519_SIGNATURE_BYTES)
		return "must be an Ed25519 signature in base64 (88 "
			"characters)";
	return NULL;
}

static int check_log_key_fields(const struct custody_entry *e,
	const struct checker *c)
{
	int rc;

	if ((rc = check_string(c, "log_key", e->log_key, 1, check_vkey))
	    != 0 ||
	    (rc = check_string(c, "previous_log_key", e->previous_log_key, 1,
	    check_vkey)) != 0 ||
	    (rc = check_string(c, "old_signature", e->old_signature, 1,
	    check_signature)) != 0 ||
	    (rc = check_string(c, "new_signature", e->new_signature, 1,
	    check_signature)) != 0)
		return rc;
	if (strcmp(e->log_key, e->previous_log_key) == 0)
		return fail(c, "log_key", "is the key it replaces");
	return 0;
}

/* policy: a whole C2SP tlog-policy, as strict as custody reads one. */
static int check_policy_field(const struct custody_entry *e,
	const struct checker *c)
{
	struct custody_policy *p = NULL;
	custody_error *why = NULL;
	int rc;

	if (e->policy == NULL)
		return fail(c, "policy", "is missing");
	rc = custody_policy__parse(&p, e->policy, strlen(e->policy),
		"the policy", &why);
	free(p);
	if (rc == CUSTODY_ENOMEM) {
		custody_error_free(why);
		return custody__oom(c->err);
	}
	if (rc != 0) {
		char reason[300];

		snprintf(reason, sizeof(reason), "is not a valid tlog-policy "
			"(%s)", custody_error_message(why));
		custody_error_free(why);
		return fail(c, "policy", reason);
	}
	return 0;
}

static const char *const dkim_verdicts[] = { "pass", "weak", "fail",
	"temperror", "none", NULL };

static const char *check_verdict(const char *s)
{
	if (!is_one_of(s, dkim_verdicts))
		return "must be \"pass\", \"weak\", \"fail\", "
			"\"temperror\" or \"none\"";
	return NULL;
}

/*
 * The evidence as custody writes it (custody-dkim/v1): lines of printable
 * ASCII, the first the format, the last "end", with the verdict the
 * entry states. The library that re-verifies it (dkim.c) reads it
 * further; this check stays in the check-only build, without it.
 */
static const char *check_dkim_evidence(const char *s)
{
	static const char head[] = "custody-dkim/v1\n";
	size_t n = strlen(s);

	if (n > CUSTODY_ENTRY_DKIM_MAX_EVIDENCE)
		return "is longer than an entry may hold";
	if (strncmp(s, head, sizeof(head) - 1) != 0)
		return "must begin with the line \"custody-dkim/v1\"";
	if (n < 5 || strcmp(s + n - 5, "\nend\n") != 0)
		return "must end with the line \"end\"";
	for (const char *p = s; *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
			return "must be lines of printable ASCII";
	return NULL;
}

static int check_dkim_fields(const struct custody_entry *e,
	const struct checker *c)
{
	const char *line;
	size_t n;
	int rc;

	if ((rc = check_earlier(e, c, "message", e->message)) != 0 ||
	    (rc = check_string(c, "message_leaf", e->message_leaf, 1,
	    check_hex64)) != 0 ||
	    (rc = check_string(c, "verdict", e->verdict, 1,
	    check_verdict)) != 0 ||
	    (rc = check_string(c, "observed", e->observed, 1,
	    check_time)) != 0 ||
	    (rc = check_string(c, "evidence", e->dkim_evidence, 1,
	    check_dkim_evidence)) != 0)
		return rc;
	line = strstr(e->dkim_evidence, "\nverdict ");
	n = strlen(e->verdict);
	if (line == NULL || strncmp(line + 9, e->verdict, n) != 0 ||
	    line[9 + n] != '\n')
		return fail(c, "verdict", "is not the verdict of its "
			"'evidence'");
	return 0;
}

static int type_flag(custody_entry_type type)
{
	switch (type) {
	case CUSTODY_ENTRY_GENESIS:
		return IN_GENESIS;
	case CUSTODY_ENTRY_REGISTER:
		return IN_REGISTER;
	case CUSTODY_ENTRY_MEMBER:
		return IN_MEMBER;
	case CUSTODY_ENTRY_PUBLISH:
		return IN_PUBLISH;
	case CUSTODY_ENTRY_EVENT:
		return IN_EVENT;
	case CUSTODY_ENTRY_DERIVE:
		return IN_DERIVE;
	case CUSTODY_ENTRY_LOG_KEY:
		return IN_LOG_KEY;
	case CUSTODY_ENTRY_POLICY:
		return IN_POLICY;
	case CUSTODY_ENTRY_SKIP:
		return IN_SKIP;
	case CUSTODY_ENTRY_DKIM:
		return IN_DKIM;
	default:
		return 0;
	}
}

static int check_entry(const struct custody_entry *e,
	const struct checker *c)
{
	int in = type_flag(e->type), rc;

	if (in == 0)
		return fail(c, "type", CUSTODY_ENTRY_TYPE_NAMES);
	if (e->index > CUSTODY_YAML_MAX_INT)
		return fail(c, "index", "is too large");
	if (in == IN_GENESIS && e->index != 0)
		return fail(c, "index", "must be 0 in the genesis entry");
	if (in != IN_GENESIS && e->index == 0)
		return fail(c, "index", "must be 1 or more (entry 0 is the "
			"genesis entry)");
	if ((rc = check_string(c, "time", e->time, 1, check_time)) != 0 ||
	    (rc = check_string(c, "salt", e->salt, 1, check_hex64)) != 0 ||
	    (rc = check_string(c, "private", e->private_commitment, 0,
	    check_hex64)) != 0 ||
	    (rc = check_absent(e, c, in)) != 0)
		return rc;
	if (c->priv &&
	    ((rc = check_string(c, "opening", e->opening, 1, check_hex64))
	    != 0 ||
	    (rc = check_string(c, "actor", e->actor, 1, check_label)) != 0 ||
	    (rc = check_string(c, "note", e->note, 0, check_note)) != 0))
		return rc;
	switch (in) {
	case IN_GENESIS:
		if ((rc = check_string(c, "origin", e->origin, 1,
		    custody_entry__check_origin)) != 0 ||
		    (rc = check_string(c, "log_key", e->log_key, 0,
		    check_vkey)) != 0)
			return rc;
		return check_member_fields(e, c);
	case IN_LOG_KEY:
		return check_log_key_fields(e, c);
	case IN_POLICY:
		return check_policy_field(e, c);
	case IN_SKIP:
		return c->priv ? check_string(c, "skipped", e->skipped, 1,
			check_skipped) : 0;
	case IN_MEMBER:
		if (c->priv && e->action != CUSTODY_MEMBER_ADD &&
		    e->action != CUSTODY_MEMBER_REVOKE)
			return fail(c, "action", "must be \"add\" or "
				"\"revoke\"");
		return check_member_fields(e, c);
	case IN_PUBLISH:
		return check_publish_fields(e, c);
	case IN_EVENT:
		return check_event_fields(e, c);
	case IN_DERIVE:
		return check_derive_fields(e, c);
	case IN_DKIM:
		return check_dkim_fields(e, c);
	default:
		return check_register_fields(e, c);
	}
}

static const struct entry_key *find_entry_key(const char *key,
	size_t length)
{
	for (const struct entry_key *k = entry_keys; k->key != NULL; k++)
		if (strlen(k->key) == length &&
		    memcmp(k->key, key, length) == 0)
			return k;
	return NULL;
}

int custody_entry__check_keys(const struct custody_yaml_node *root,
	custody_entry_type t, int private_part, const char *name,
	custody_error **err)
{
	const char *type = custody_entry__type_name(t);
	const char *part = private_part ? "the private part of " : "";
	int in = type_flag(t), where = private_part ? PRIV : PUB;

	for (size_t i = 0; i < root->count; i += 2) {
		const struct custody_yaml_node *key = root->items[i];
		const struct entry_key *k = find_entry_key(key->value,
			key->length);

		if (k == NULL)
			return custody_yaml__error(err, name, key, "unknown "
				"key '%.64s'", key->value);
		if (!(k->in & in) || !(k->part & where))
			return custody_yaml__error(err, name, key, "'%s' does "
				"not belong in %s%s %s entry", k->key, part,
				article(type), type);
	}
	for (const struct entry_key *k = entry_keys; k->key != NULL; k++)
		if ((k->required & in) && (k->part & where) &&
		    custody_yaml__get(root, k->key) == NULL)
			return custody_yaml__error(err, name, root, "missing "
				"'%s' (required in %s%s %s entry)", k->key, part,
				article(type), type);
	return 0;
}

int custody_entry__check(const struct custody_entry *e,
	const struct custody_yaml_node *root, const char *name,
	custody_error **err)
{
	struct checker checker;

	checker.root = root;
	checker.name = name;
	checker.err = err;
	checker.priv = e->opening != NULL;
	return check_entry(e, &checker);
}
