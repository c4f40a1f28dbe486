/*
 * Entries and custody.yaml: read through the strict reader in yaml.c,
 * written with libyaml's emitter. One set of value checks serves both
 * ways, so custody never writes what it would refuse to read.
 */
#include "entry.h"
#include "custody/entry.h"
#include "base64.h"
#include "ed25519.h"
#include "error.h"
#include "path.h"
#include "yaml.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_NAMES "must be \"genesis\", \"register\", \"member\", " \
	"\"publish\", \"event\" or \"derive\""
#define LABEL_MAX_BYTES 256
#define NOTE_MAX_BYTES 4096
#define ORIGIN_MAX_BYTES 255
#define MEDIA_TYPE_MAX_BYTES 255
#define CONFIG_MAX_BYTES CUSTODY_CONFIG_MAX_BYTES

enum {
	IN_GENESIS = 1,
	IN_REGISTER = 2,
	IN_MEMBER = 4,
	IN_PUBLISH = 8,
	IN_EVENT = 16,
	IN_DERIVE = 32,
	IN_ALL = 63
};

/* A derive entry holds everything a register entry does. */
#define IN_REGISTERS (IN_REGISTER | IN_DERIVE)

/* Every key an entry may hold, where it belongs and whether it must be
 * there; in the order custody writes them. */
static const struct entry_key {
	const char *key;
	int in;
	int required;
} entry_keys[] = {
	{ "custody-entry", IN_ALL, IN_ALL },
	{ "index", IN_ALL, IN_ALL },
	{ "type", IN_ALL, IN_ALL },
	{ "time", IN_ALL, IN_ALL },
	{ "actor", IN_ALL, IN_ALL },
	{ "salt", IN_ALL, IN_ALL },
	{ "origin", IN_GENESIS, IN_GENESIS },
	{ "action", IN_MEMBER | IN_EVENT, IN_MEMBER | IN_EVENT },
	{ "member", IN_GENESIS | IN_MEMBER, IN_GENESIS | IN_MEMBER },
	{ "key", IN_GENESIS | IN_MEMBER, IN_GENESIS | IN_MEMBER },
	{ "document", IN_EVENT, IN_EVENT },
	{ "path", IN_REGISTERS, IN_REGISTERS },
	{ "size", IN_REGISTERS, IN_REGISTERS },
	{ "sha256", IN_REGISTERS | IN_EVENT, IN_REGISTERS | IN_EVENT },
	{ "sha512", IN_REGISTERS, 0 },
	{ "media_type", IN_REGISTERS, IN_REGISTERS },
	{ "blob", IN_REGISTERS, 0 },
	{ "version", IN_REGISTERS, IN_REGISTERS },
	{ "previous", IN_REGISTERS, 0 },
	{ "source", IN_REGISTERS, 0 },
	{ "derived_from", IN_DERIVE, IN_DERIVE },
	{ "original_leaf", IN_DERIVE, IN_DERIVE },
	{ "derivation", IN_DERIVE, IN_DERIVE },
	{ "from", IN_EVENT, 0 },
	{ "to", IN_EVENT, 0 },
	{ "at", IN_EVENT, 0 },
	{ "backdate_reason", IN_EVENT, 0 },
	{ "url", IN_PUBLISH, IN_PUBLISH },
	{ "title", IN_PUBLISH, 0 },
	{ "published", IN_PUBLISH, IN_PUBLISH },
	{ "documents", IN_PUBLISH, IN_PUBLISH },
	{ "note", IN_ALL, 0 },
	{ NULL, 0, 0 }
};

static const char *const config_keys[] = { "custody-archive", "origin",
	"digests", "store", NULL };

const char *custody_entry__type_name(custody_entry_type type)
{
	switch (type) {
	case CUSTODY_ENTRY_GENESIS:
		return "genesis";
	case CUSTODY_ENTRY_REGISTER:
		return "register";
	case CUSTODY_ENTRY_MEMBER:
		return "member";
	case CUSTODY_ENTRY_PUBLISH:
		return "publish";
	case CUSTODY_ENTRY_EVENT:
		return "event";
	case CUSTODY_ENTRY_DERIVE:
		return "derive";
	default:
		return NULL;
	}
}

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

static const char *check_origin(const char *s)
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

static const char *check_event_action(const char *s)
{
	if (!is_one_of(s, event_actions))
		return "must be \"received\", \"transferred\", \"copied\", "
			"\"accessed\", \"verified\", \"sealed\", "
			"\"returned\", \"destroyed\" or \"note\"";
	return NULL;
}

static const char *const derivations[] = { "redact", "translate", "ocr",
	"excerpt", "convert", "watermark-removal", NULL };

static const char *check_derivation(const char *s)
{
	if (!is_one_of(s, derivations))
		return "must be \"redact\", \"translate\", \"ocr\", "
			"\"excerpt\", \"convert\" or \"watermark-removal\"";
	return NULL;
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

/* The OpenSSH wire form of an Ed25519 public key is string "ssh-ed25519"
 * then string <32 bytes>: 51 bytes, 68 base64 characters, of which the
 * first 19 bytes are always the same. */
static const unsigned char ssh_ed25519_prefix[19] = { 0, 0, 0, 11, 's',
	's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32 };

int custody_entry__key_raw(const char *key, unsigned char out[32])
{
	unsigned char blob[51];
	size_t len;

	if (strncmp(key, "ssh-ed25519 ", 12) != 0 || strlen(key) != 12 + 68 ||
	    custody_base64_decode(blob, &len, key + 12, 68) != 0 ||
	    len != sizeof(blob) ||
	    memcmp(blob, ssh_ed25519_prefix, sizeof(ssh_ed25519_prefix)) != 0)
		return -1;
	memcpy(out, blob + sizeof(ssh_ed25519_prefix), 32);
	return 0;
}

void custody_entry__key_line(char out[81], const unsigned char key[32])
{
	unsigned char blob[51];

	memcpy(blob, ssh_ed25519_prefix, sizeof(ssh_ed25519_prefix));
	memcpy(blob + sizeof(ssh_ed25519_prefix), key, 32);
	memcpy(out, "ssh-ed25519 ", 12);
	custody_base64_encode(out + 12, blob, sizeof(blob));
}

static const char *check_key(const char *s)
{
	unsigned char raw[32];
	const char *problem;

	if (custody_entry__key_raw(s, raw) != 0)
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

static int check_path_value(const struct checker *c, const char *path)
{
	const struct custody_yaml_node *at = custody_yaml__get(c->root,
		"path");
	custody_error *perr = NULL;
	char shown[320];
	int rc;

	if (path == NULL)
		return fail(c, "path", "is missing");
	if ((rc = custody_path__check_recorded(path, &perr)) != 0) {
		if (rc == CUSTODY_ENOMEM)
			custody__error(c->err, rc, "out of memory");
		else
			custody_yaml__error(c->err, c->name, at, "%s",
				custody_error_message(perr));
		custody_error_free(perr);
		return rc;
	}
	if (!custody_path__is_nfc(path)) {
		custody_path__quote(shown, sizeof(shown), path);
		return custody_yaml__error(c->err, c->name, at, "path '%s' is "
			"not in Unicode NFC form", shown);
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

	if ((rc = check_path_value(c, e->path)) != 0)
		return rc;
	if (e->size > CUSTODY_YAML_MAX_INT)
		return fail(c, "size", "is too large");
	if ((rc = check_string(c, "sha256", e->sha256, 1, check_hex64))
	    != 0 ||
	    (rc = check_string(c, "sha512", e->sha512, 0, check_hex128))
	    != 0 ||
	    (rc = check_string(c, "media_type", e->media_type, 1,
	    check_media_type)) != 0 ||
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

	if ((rc = check_string(c, "action", e->event_action, 1,
	    check_event_action)) != 0 ||
	    (rc = check_earlier(e, c, "document", e->document)) != 0 ||
	    (rc = check_string(c, "sha256", e->sha256, 1, check_hex64))
	    != 0 ||
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
	    check_derivation)) != 0)
		return rc;
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
	default:
		return 0;
	}
}

static int check_entry(const struct custody_entry *e,
	const struct checker *c)
{
	int in = type_flag(e->type), rc;

	if (in == 0)
		return fail(c, "type", TYPE_NAMES);
	if (e->index > CUSTODY_YAML_MAX_INT)
		return fail(c, "index", "is too large");
	if (in == IN_GENESIS && e->index != 0)
		return fail(c, "index", "must be 0 in the genesis entry");
	if (in != IN_GENESIS && e->index == 0)
		return fail(c, "index", "must be 1 or more (entry 0 is the "
			"genesis entry)");
	if ((rc = check_string(c, "time", e->time, 1, check_time)) != 0 ||
	    (rc = check_string(c, "actor", e->actor, 1, check_label)) != 0 ||
	    (rc = check_string(c, "salt", e->salt, 1, check_hex64)) != 0 ||
	    (rc = check_string(c, "note", e->note, 0, check_note)) != 0 ||
	    (rc = check_absent(e, c, in)) != 0)
		return rc;
	switch (in) {
	case IN_GENESIS:
		if ((rc = check_string(c, "origin", e->origin, 1,
		    check_origin)) != 0)
			return rc;
		return check_member_fields(e, c);
	case IN_MEMBER:
		if (e->action != CUSTODY_MEMBER_ADD &&
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
	default:
		return check_register_fields(e, c);
	}
}

void custody_entry__free(struct custody_entry *entry)
{
	if (entry == NULL)
		return;
	free(entry->time);
	free(entry->actor);
	free(entry->salt);
	free(entry->note);
	free(entry->origin);
	free(entry->path);
	free(entry->sha256);
	free(entry->sha512);
	free(entry->media_type);
	free(entry->blob);
	free(entry->source);
	free(entry->member);
	free(entry->key);
	free(entry->url);
	free(entry->title);
	free(entry->published);
	free(entry->event_action);
	free(entry->from);
	free(entry->to);
	free(entry->at);
	free(entry->backdate_reason);
	free(entry->original_leaf);
	free(entry->derivation);
	for (size_t i = 0; i < entry->ndocuments; i++)
		free(entry->documents[i].sha256);
	free(entry->documents);
	free(entry);
}

static int read_uint(const struct custody_yaml_node *root, const char *key,
	uint64_t *out, int *present, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root, key);

	*out = 0;
	if (present != NULL)
		*present = n != NULL;
	if (n == NULL)
		return 0;
	return custody_yaml__uint(n, CUSTODY_YAML_MAX_INT, out, name, key,
		err);
}

/* A string that must be one of a few words: the reader names the word it
 * got, which the shared check cannot. */
static int read_choice(const struct custody_yaml_node *root,
	const char *key, const char *(*check)(const char *), char **out,
	const char *name, custody_error **err)
{
	const char *reason;
	char shown[48];
	int rc;

	if ((rc = custody_yaml__copy_string(root, key, out, name, err)) != 0 ||
	    *out == NULL)
		return rc;
	if ((reason = check(*out)) == NULL)
		return 0;
	custody_path__quote(shown, sizeof(shown), *out);
	return custody_yaml__error(err, name, custody_yaml__get(root, key),
		"'%s' %s, not \"%s\"", key, reason, shown);
}

/* 'action': add or revoke in a member entry, the event's own words in an
 * event entry. */
static int read_action(const struct custody_yaml_node *root, int in,
	struct custody_entry *e, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root, "action");
	custody_member_action *out = &e->action;
	const char *value;
	int rc;

	*out = 0;
	if (in == IN_EVENT)
		return read_choice(root, "action", check_event_action,
			&e->event_action, name, err);
	if (n == NULL)
		return 0;
	if ((rc = custody_yaml__string(n, &value, name, "action", err)) != 0)
		return rc;
	if (strcmp(value, "add") == 0)
		*out = CUSTODY_MEMBER_ADD;
	else if (strcmp(value, "revoke") == 0)
		*out = CUSTODY_MEMBER_REVOKE;
	else
		return custody_yaml__error(err, name, n, "'action' must be "
			"\"add\" or \"revoke\", not \"%.32s\"", value);
	return 0;
}

/* documents: a sequence of mappings, each exactly {index, sha256}. */
static int read_documents(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root,
		"documents");
	int rc;

	if (n == NULL)
		return 0;
	if (n->kind != CUSTODY_YAML_SEQUENCE || n->count == 0)
		return custody_yaml__error(err, name, n, "'documents' must be "
			"a list of {index, sha256}, at least one");
	if (n->count > CUSTODY_PUBLISH_MAX_DOCUMENTS)
		return custody_yaml__error(err, name, n, "'documents' names "
			"more than %d documents", CUSTODY_PUBLISH_MAX_DOCUMENTS);
	if ((e->documents = calloc(n->count, sizeof(*e->documents))) == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	for (size_t i = 0; i < n->count; i++) {
		const struct custody_yaml_node *item = n->items[i];
		const struct custody_yaml_node *index, *digest;
		const char *value;

		if (item->kind != CUSTODY_YAML_MAPPING || item->count != 4 ||
		    (index = custody_yaml__get(item, "index")) == NULL ||
		    (digest = custody_yaml__get(item, "sha256")) == NULL)
			return custody_yaml__error(err, name, item, "each of "
				"'documents' must be a mapping with exactly "
				"'index' and 'sha256'");
		if ((rc = custody_yaml__uint(index, CUSTODY_YAML_MAX_INT,
		    &e->documents[i].index, name, "index", err)) != 0 ||
		    (rc = custody_yaml__string(digest, &value, name, "sha256",
		    err)) != 0)
			return rc;
		if ((e->documents[i].sha256 = strdup(value)) == NULL)
			return custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
		e->ndocuments = i + 1;
	}
	return 0;
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

/* The keys: all known, each allowed in this type, the required ones
 * there. */
static int check_entry_keys(const struct custody_yaml_node *root, int in,
	const char *type, const char *name, custody_error **err)
{
	for (size_t i = 0; i < root->count; i += 2) {
		const struct custody_yaml_node *key = root->items[i];
		const struct entry_key *k = find_entry_key(key->value,
			key->length);

		if (k == NULL)
			return custody_yaml__error(err, name, key, "unknown "
				"key '%.64s'", key->value);
		if (!(k->in & in))
			return custody_yaml__error(err, name, key, "'%s' does "
				"not belong in %s %s entry", k->key,
				article(type), type);
	}
	for (const struct entry_key *k = entry_keys; k->key != NULL; k++)
		if ((k->required & in) && custody_yaml__get(root, k->key) ==
		    NULL)
			return custody_yaml__error(err, name, root, "missing "
				"'%s' (required in %s %s entry)", k->key,
				article(type), type);
	return 0;
}

/*
 * The fields, read in one fixed order: of several bad fields, the first
 * in this order is the one the error names. Each group reads a run of
 * that order.
 */
static int read_common(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_uint(root, "index", &e->index, NULL, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "time", &e->time, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "actor", &e->actor, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "salt", &e->salt, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "origin", &e->origin, name,
	    err)) != 0)
		return rc;
	return 0;
}

static int read_registration(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = custody_yaml__copy_string(root, "path", &e->path, name,
	    err)) != 0 ||
	    (rc = read_uint(root, "size", &e->size, NULL, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "sha256", &e->sha256, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "sha512", &e->sha512, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "media_type",
	    &e->media_type, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "blob", &e->blob, name,
	    err)) != 0 ||
	    (rc = read_uint(root, "version", &e->version, NULL, name,
	    err)) != 0 ||
	    (rc = read_uint(root, "previous", &e->previous, &e->has_previous,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "source", &e->source, name,
	    err)) != 0)
		return rc;
	return 0;
}

/* The note, then the member fields and the action. */
static int read_member(const struct custody_yaml_node *root, int in,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = custody_yaml__copy_string(root, "note", &e->note, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "member", &e->member, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "key", &e->key, name,
	    err)) != 0 ||
	    (rc = read_action(root, in, e, name, err)) != 0)
		return rc;
	return 0;
}

static int read_event(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_uint(root, "document", &e->document, NULL, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "from", &e->from, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "to", &e->to, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "at", &e->at, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "backdate_reason",
	    &e->backdate_reason, name, err)) != 0)
		return rc;
	return 0;
}

static int read_derivation(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_uint(root, "derived_from", &e->derived_from, NULL,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "original_leaf",
	    &e->original_leaf, name, err)) != 0 ||
	    (rc = read_choice(root, "derivation", check_derivation,
	    &e->derivation, name, err)) != 0)
		return rc;
	return 0;
}

static int read_publication(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = custody_yaml__copy_string(root, "url", &e->url, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "title", &e->title, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "published", &e->published,
	    name, err)) != 0 ||
	    (rc = read_documents(root, e, name, err)) != 0)
		return rc;
	return 0;
}

static int read_fields(const struct custody_yaml_node *root, int in,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_common(root, e, name, err)) != 0 ||
	    (rc = read_registration(root, e, name, err)) != 0 ||
	    (rc = read_member(root, in, e, name, err)) != 0 ||
	    (rc = read_event(root, e, name, err)) != 0 ||
	    (rc = read_derivation(root, e, name, err)) != 0 ||
	    (rc = read_publication(root, e, name, err)) != 0)
		return rc;
	return 0;
}

int custody_entry__parse(struct custody_entry **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	const struct custody_yaml_node *n;
	struct custody_entry *e = NULL;
	struct checker checker;
	const char *type;
	uint64_t format;
	int rc, in;

	*out = NULL;
	if ((rc = custody_yaml__parse(&root, bytes, len,
	    CUSTODY_ENTRY_MAX_BYTES, name, err)) != 0)
		goto cleanup;
	if (root->kind != CUSTODY_YAML_MAPPING) {
		rc = custody_yaml__error(err, name, root, "an entry must be a "
			"mapping of keys to values");
		goto cleanup;
	}
	if ((n = custody_yaml__get(root, "custody-entry")) == NULL) {
		rc = custody_yaml__error(err, name, root, "missing "
			"'custody-entry' (not a custody log entry?)");
		goto cleanup;
	}
	if ((rc = custody_yaml__uint(n, CUSTODY_YAML_MAX_INT, &format, name,
	    "custody-entry", err)) != 0)
		goto cleanup;
	if (format != CUSTODY_ENTRY_FORMAT) {
		rc = custody_yaml__error(err, name, n, "entry format %" PRIu64
			"; this custody reads format %d", format,
			CUSTODY_ENTRY_FORMAT);
		goto cleanup;
	}
	if ((n = custody_yaml__get(root, "type")) == NULL) {
		rc = custody_yaml__error(err, name, root, "missing 'type'");
		goto cleanup;
	}
	if ((rc = custody_yaml__string(n, &type, name, "type", err)) != 0)
		goto cleanup;
	if (strcmp(type, "genesis") == 0) {
		in = IN_GENESIS;
	} else if (strcmp(type, "register") == 0) {
		in = IN_REGISTER;
	} else if (strcmp(type, "member") == 0) {
		in = IN_MEMBER;
	} else if (strcmp(type, "publish") == 0) {
		in = IN_PUBLISH;
	} else if (strcmp(type, "event") == 0) {
		in = IN_EVENT;
	} else if (strcmp(type, "derive") == 0) {
		in = IN_DERIVE;
	} else {
		rc = custody_yaml__error(err, name, n, "'type' %s, not "
			"\"%.64s\"", TYPE_NAMES, type);
		goto cleanup;
	}
	if ((rc = check_entry_keys(root, in, type, name, err)) != 0)
		goto cleanup;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto cleanup;
	}
	e->type = in == IN_GENESIS ? CUSTODY_ENTRY_GENESIS :
		in == IN_MEMBER ? CUSTODY_ENTRY_MEMBER :
		in == IN_PUBLISH ? CUSTODY_ENTRY_PUBLISH :
		in == IN_EVENT ? CUSTODY_ENTRY_EVENT :
		in == IN_DERIVE ? CUSTODY_ENTRY_DERIVE : CUSTODY_ENTRY_REGISTER;
	if ((rc = read_fields(root, in, e, name, err)) != 0)
		goto cleanup;
	checker.root = root;
	checker.name = name;
	checker.err = err;
	if ((rc = check_entry(e, &checker)) != 0)
		goto cleanup;
	*out = e;
	e = NULL;
cleanup:
	custody_entry__free(e);
	custody_yaml__free(root);
	return rc;
}

/* documents: a block sequence of {index, sha256} mappings. */
static int emit_documents(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_plain(em, "documents")) != 0 ||
	    (rc = custody_yaml__emit_sequence_start(em)) != 0)
		return rc;
	for (size_t i = 0; i < e->ndocuments; i++) {
		if ((rc = custody_yaml__emit_mapping_start(em)) != 0 ||
		    (rc = custody_yaml__emit_uint(em, "index",
		    e->documents[i].index)) != 0 ||
		    (rc = custody_yaml__emit_string(em, "sha256",
		    e->documents[i].sha256)) != 0 ||
		    (rc = custody_yaml__emit_mapping_end(em)) != 0)
			return rc;
	}
	return custody_yaml__emit_sequence_end(em);
}

/* A register entry's fields, which a derive entry holds too. */
static int emit_registration(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_string(em, "path", e->path)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "size", e->size)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "sha256", e->sha256)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "sha512", e->sha512)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "media_type",
	    e->media_type)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "blob", e->blob)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "version", e->version)) != 0 ||
	    (e->has_previous && (rc = custody_yaml__emit_uint(em,
	    "previous", e->previous)) != 0) ||
	    (rc = custody_yaml__emit_string(em, "source", e->source)) != 0)
		return rc;
	return 0;
}

/* What a derive entry adds: the original, by index and leaf hash. */
static int emit_derivation(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_uint(em, "derived_from",
	    e->derived_from)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "original_leaf",
	    e->original_leaf)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "derivation",
	    e->derivation)) != 0)
		return rc;
	return 0;
}

/* The fields every entry begins with. */
static int emit_common(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_uint(em, "custody-entry",
	    CUSTODY_ENTRY_FORMAT)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "index", e->index)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "type",
	    custody_entry__type_name(e->type))) != 0 ||
	    (rc = custody_yaml__emit_string(em, "time", e->time)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "actor", e->actor)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "salt", e->salt)) != 0)
		return rc;
	return 0;
}

/* genesis: the origin and the founding member; member: the change. */
static int emit_membership(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if (e->type == CUSTODY_ENTRY_GENESIS)
		rc = custody_yaml__emit_string(em, "origin", e->origin);
	else
		rc = custody_yaml__emit_string(em, "action", e->action ==
			CUSTODY_MEMBER_ADD ? "add" : "revoke");
	if (rc != 0 ||
	    (rc = custody_yaml__emit_string(em, "member", e->member)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "key", e->key)) != 0)
		return rc;
	return 0;
}

static int emit_publication(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_string(em, "url", e->url)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "title", e->title)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "published",
	    e->published)) != 0 ||
	    (rc = emit_documents(em, e)) != 0)
		return rc;
	return 0;
}

static int emit_event(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_string(em, "action",
	    e->event_action)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "document", e->document)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "sha256", e->sha256)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "from", e->from)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "to", e->to)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "at", e->at)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "backdate_reason",
	    e->backdate_reason)) != 0)
		return rc;
	return 0;
}

/* The fields of the entry's own type, between the common ones and the
 * note. */
static int emit_typed(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	switch (e->type) {
	case CUSTODY_ENTRY_GENESIS:
	case CUSTODY_ENTRY_MEMBER:
		return emit_membership(em, e);
	case CUSTODY_ENTRY_PUBLISH:
		return emit_publication(em, e);
	case CUSTODY_ENTRY_EVENT:
		return emit_event(em, e);
	default:
		if ((rc = emit_registration(em, e)) != 0)
			return rc;
		if (e->type == CUSTODY_ENTRY_DERIVE)
			return emit_derivation(em, e);
		return 0;
	}
}

int custody_entry__emit(custody_buf *out, const struct custody_entry *entry,
	custody_error **err)
{
	struct custody_yaml_emitter *em = NULL;
	struct checker checker;
	char name[48];
	int rc;

	out->ptr = NULL;
	out->size = 0;
	snprintf(name, sizeof(name), "entry %" PRIu64, entry->index);
	checker.root = NULL;
	checker.name = name;
	checker.err = err;
	if ((rc = check_entry(entry, &checker)) != 0 ||
	    (rc = custody_yaml__emit_begin(&em, out, err)) != 0 ||
	    (rc = emit_common(em, entry)) != 0 ||
	    (rc = emit_typed(em, entry)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "note", entry->note)) != 0 ||
	    (rc = custody_yaml__emit_end(em)) != 0)
		goto cleanup;
cleanup:
	custody_yaml__emitter_free(em);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}

void custody_config__free(struct custody_config *config)
{
	if (config == NULL)
		return;
	free(config->origin);
	free(config);
}

static int read_digests(const struct custody_yaml_node *n, int *sha512,
	const char *name, custody_error **err)
{
	static const char *const expected[] = { "sha256", "sha512" };
	const char *value;
	int rc;

	*sha512 = 0;
	if (n->kind != CUSTODY_YAML_SEQUENCE || n->count < 1 || n->count > 2)
		return custody_yaml__error(err, name, n, "'digests' must be a "
			"list: \"sha256\", optionally followed by \"sha512\"");
	for (size_t i = 0; i < n->count; i++) {
		if ((rc = custody_yaml__string(n->items[i], &value, name,
		    "digests", err)) != 0)
			return rc;
		if (strcmp(value, expected[i]) != 0)
			return custody_yaml__error(err, name, n->items[i],
				"'digests' item %zu must be \"%s\", not "
				"\"%.32s\"", i + 1, expected[i], value);
	}
	*sha512 = n->count == 2;
	return 0;
}

int custody_config__parse(struct custody_config **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	const struct custody_yaml_node *n;
	struct custody_config *config = NULL;
	const char *reason;
	uint64_t format;
	int rc;

	*out = NULL;
	if ((rc = custody_yaml__parse(&root, bytes, len, CONFIG_MAX_BYTES,
	    name, err)) != 0)
		goto cleanup;
	if (root->kind != CUSTODY_YAML_MAPPING) {
		rc = custody_yaml__error(err, name, root, "custody.yaml must "
			"be a mapping of keys to values");
		goto cleanup;
	}
	if ((n = custody_yaml__get(root, "custody-archive")) == NULL) {
		rc = custody_yaml__error(err, name, root, "missing "
			"'custody-archive' (not a custody policy file?)");
		goto cleanup;
	}
	if ((rc = custody_yaml__uint(n, CUSTODY_YAML_MAX_INT, &format, name,
	    "custody-archive", err)) != 0)
		goto cleanup;
	if (format != 1) {
		rc = custody_yaml__error(err, name, n, "archive format %"
			PRIu64 "; this custody reads format 1", format);
		goto cleanup;
	}
	for (size_t i = 0; i < root->count; i += 2) {
		const struct custody_yaml_node *key = root->items[i];
		size_t k;

		for (k = 0; config_keys[k] != NULL; k++)
			if (strlen(config_keys[k]) == key->length &&
			    memcmp(config_keys[k], key->value, key->length)
			    == 0)
				break;
		if (config_keys[k] == NULL) {
			rc = custody_yaml__error(err, name, key, "unknown key "
				"'%.64s'", key->value);
			goto cleanup;
		}
	}
	for (size_t k = 0; config_keys[k] != NULL; k++) {
		if (custody_yaml__get(root, config_keys[k]) == NULL) {
			rc = custody_yaml__error(err, name, root, "missing "
				"'%s'", config_keys[k]);
			goto cleanup;
		}
	}
	if ((config = calloc(1, sizeof(*config))) == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = custody_yaml__copy_string(root, "origin", &config->origin,
	    name, err)) != 0 ||
	    (rc = read_digests(custody_yaml__get(root, "digests"),
	    &config->sha512, name, err)) != 0 ||
	    (rc = custody_yaml__bool(custody_yaml__get(root, "store"),
	    &config->store, name, "store", err)) != 0)
		goto cleanup;
	if ((reason = check_origin(config->origin)) != NULL) {
		rc = custody_yaml__error(err, name, custody_yaml__get(root,
			"origin"), "'origin' %s", reason);
		goto cleanup;
	}
	*out = config;
	config = NULL;
cleanup:
	custody_config__free(config);
	custody_yaml__free(root);
	return rc;
}

int custody_config__emit(custody_buf *out,
	const struct custody_config *config, custody_error **err)
{
	struct custody_yaml_emitter *em = NULL;
	const char *reason;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if (config->origin == NULL) {
		rc = custody__error(err, CUSTODY_EINVALID, "custody.yaml: "
			"'origin' is missing");
		goto cleanup;
	}
	if ((reason = check_origin(config->origin)) != NULL) {
		rc = custody__error(err, CUSTODY_EINVALID, "custody.yaml: "
			"'origin' %s", reason);
		goto cleanup;
	}
	if ((rc = custody_yaml__emit_begin(&em, out, err)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "custody-archive", 1)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "origin",
	    config->origin)) != 0 ||
	    (rc = custody_yaml__emit_plain(em, "digests")) != 0 ||
	    (rc = custody_yaml__emit_sequence_start(em)) != 0 ||
	    (rc = custody_yaml__emit_quoted(em, "sha256")) != 0 ||
	    (config->sha512 &&
	    (rc = custody_yaml__emit_quoted(em, "sha512")) != 0) ||
	    (rc = custody_yaml__emit_sequence_end(em)) != 0 ||
	    (rc = custody_yaml__emit_plain(em, "store")) != 0 ||
	    (rc = custody_yaml__emit_plain(em, config->store ? "true" :
	    "false")) != 0 ||
	    (rc = custody_yaml__emit_end(em)) != 0)
		goto cleanup;
cleanup:
	custody_yaml__emitter_free(em);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}

/* The public accessors (custody/entry.h). */
uint64_t custody_entry_index(const custody_entry *e) { return e->index; }
const char *custody_entry_type_name(const custody_entry *e)
{
	return custody_entry__type_name(e->type);
}
const char *custody_entry_time(const custody_entry *e) { return e->time; }
const char *custody_entry_actor(const custody_entry *e) { return e->actor; }
const char *custody_entry_note(const custody_entry *e) { return e->note; }
const char *custody_entry_origin(const custody_entry *e) { return e->origin; }
const char *custody_entry_path(const custody_entry *e) { return e->path; }
uint64_t custody_entry_size(const custody_entry *e) { return e->size; }
const char *custody_entry_sha256(const custody_entry *e) { return e->sha256; }
const char *custody_entry_sha512(const custody_entry *e) { return e->sha512; }
const char *custody_entry_media_type(const custody_entry *e)
{
	return e->media_type;
}
const char *custody_entry_blob(const custody_entry *e) { return e->blob; }
uint64_t custody_entry_version(const custody_entry *e) { return e->version; }
const char *custody_entry_source(const custody_entry *e) { return e->source; }
const char *custody_entry_member(const custody_entry *e) { return e->member; }
const char *custody_entry_key(const custody_entry *e) { return e->key; }
const char *custody_entry_action(const custody_entry *e)
{
	if (e->type == CUSTODY_ENTRY_EVENT)
		return e->event_action;
	return e->action == CUSTODY_MEMBER_ADD ? "add" :
		e->action == CUSTODY_MEMBER_REVOKE ? "revoke" : NULL;
}
uint64_t custody_entry_event_document(const custody_entry *e)
{
	return e->document;
}
const char *custody_entry_from(const custody_entry *e) { return e->from; }
const char *custody_entry_to(const custody_entry *e) { return e->to; }
const char *custody_entry_at(const custody_entry *e) { return e->at; }
const char *custody_entry_backdate_reason(const custody_entry *e)
{
	return e->backdate_reason;
}
uint64_t custody_entry_derived_from(const custody_entry *e)
{
	return e->derived_from;
}
const char *custody_entry_original_leaf(const custody_entry *e)
{
	return e->original_leaf;
}
const char *custody_entry_derivation(const custody_entry *e)
{
	return e->derivation;
}
const char *custody_entry_url(const custody_entry *e) { return e->url; }
const char *custody_entry_title(const custody_entry *e) { return e->title; }
const char *custody_entry_published(const custody_entry *e)
{
	return e->published;
}
size_t custody_entry_document_count(const custody_entry *e)
{
	return e->ndocuments;
}
const char *custody_entry_document(const custody_entry *e, size_t i,
	uint64_t *index)
{
	if (i >= e->ndocuments)
		return NULL;
	if (index != NULL)
		*index = e->documents[i].index;
	return e->documents[i].sha256;
}

int custody_entry_previous(const custody_entry *e, uint64_t *out)
{
	*out = e->has_previous ? e->previous : 0;
	return e->has_previous;
}

void custody_entry_free(custody_entry *e)
{
	custody_entry__free(e);
}
