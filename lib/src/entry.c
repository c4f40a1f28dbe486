#include "entry.h"
#include "error.h"
#include "fsutil.h"
#include "path.h"
#include "yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_INTEGER 9007199254740991ULL /* 2^53 - 1, as JSON can hold */

const char *custody_entry__type_name(custody_entry_type type)
{
	switch (type) {
	case CUSTODY_ENTRY_GENESIS: return "genesis";
	case CUSTODY_ENTRY_REGISTER: return "register";
	}
	return NULL;
}

void custody_entry__free(struct custody_entry *e)
{
	if (e == NULL)
		return;
	free(e->time);
	free(e->actor);
	free(e->salt);
	free(e->note);
	free(e->origin);
	free(e->path);
	free(e->sha256);
	free(e->sha512);
	free(e->media_type);
	free(e->blob);
	free(e->source);
	free(e);
}

/* ---- typed reads: each error names the file, the place, the field ---- */

struct reader {
	const char *name;
	custody_error **err;
};

static int bad(struct reader *r, const struct custody_yaml_node *n,
	const char *key, const char *what)
{
	return custody__error(r->err, CUSTODY_EINVALID, "%s:%zu:%zu: '%s' %s",
		r->name, n->line, n->column, key, what);
}

static int read_uint(struct reader *r, const struct custody_yaml_node *n,
	const char *key, uint64_t *out)
{
	char *end;

	if (n->kind != CUSTODY_YAML_SCALAR || !n->plain ||
	    n->length == 0 || n->length > 16 ||
	    (n->value[0] == '0' && n->length > 1))
		return bad(r, n, key, "must be a whole number written plainly, "
			"like 42");
	for (size_t i = 0; i < n->length; i++)
		if (n->value[i] < '0' || n->value[i] > '9')
			return bad(r, n, key, "must be a whole number written "
				"plainly, like 42");
	errno = 0;
	*out = strtoull(n->value, &end, 10);
	if (errno || *out > MAX_INTEGER)
		return bad(r, n, key, "is too large");
	return 0;
}

static int read_bool(struct reader *r, const struct custody_yaml_node *n,
	const char *key, int *out)
{
	if (n->kind == CUSTODY_YAML_SCALAR && n->plain &&
	    strcmp(n->value, "true") == 0)
		*out = 1;
	else if (n->kind == CUSTODY_YAML_SCALAR && n->plain &&
	    strcmp(n->value, "false") == 0)
		*out = 0;
	else
		return bad(r, n, key, "must be true or false");
	return 0;
}

/* A quoted string of min..max bytes; `controls` lists the control
 * characters allowed (others are refused). */
static int read_string(struct reader *r, const struct custody_yaml_node *n,
	const char *key, size_t min, size_t max, const char *controls,
	char **out)
{
	if (n->kind != CUSTODY_YAML_SCALAR || n->plain)
		return bad(r, n, key, "must be a quoted string");
	if (n->length < min || n->length > max) {
		char what[96];

		snprintf(what, sizeof(what), "must be %zu to %zu bytes long",
			min, max);
		return bad(r, n, key, what);
	}
	if (strlen(n->value) != n->length)
		return bad(r, n, key, "contains a NUL character");
	for (size_t i = 0; i < n->length; i++) {
		unsigned char c = (unsigned char)n->value[i];

		if ((c < 0x20 || c == 0x7f) && strchr(controls, c) == NULL)
			return bad(r, n, key, "contains a control character");
	}
	free(*out);
	*out = strdup(n->value);
	if (*out == NULL)
		return custody__error(r->err, CUSTODY_ENOMEM, "out of memory");
	return 0;
}

static int read_hex(struct reader *r, const struct custody_yaml_node *n,
	const char *key, size_t digits, char **out)
{
	char what[64];
	int rc = read_string(r, n, key, digits, digits, "", out);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < digits; i++) {
		char c = (*out)[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			snprintf(what, sizeof(what), "must be %zu lowercase hex "
				"digits", digits);
			return bad(r, n, key, what);
		}
	}
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int read_time(struct reader *r, const struct custody_yaml_node *n,
	const char *key, char **out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, d, h, mi, s, rc;

	if ((rc = read_string(r, n, key, 20, 20, "", out)) != 0)
		return rc;
	for (size_t i = 0; i < 20; i++) {
		char c = (*out)[i];

		if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i])
			return bad(r, n, key, "must be a UTC time like "
				"2026-11-23T01:54:26Z");
	}
	if (sscanf(*out, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s)
	    != 6 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
		return bad(r, n, key, "is not a real date and time");
	return 0;
}

static int read_media_type(struct reader *r,
	const struct custody_yaml_node *n, const char *key, char **out)
{
	const char *p, *slash;
	int rc = read_string(r, n, key, 3, 255, "", out);

	if (rc != 0)
		return rc;
	slash = strchr(*out, '/');
	for (p = *out; *p; p++) {
		int first = p == *out || p == slash + 1;
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			(!first && strchr("!#$&^_.+-", *p) != NULL) ||
			p == slash;

		if (!ok)
			break;
	}
	if (*p != '\0' || slash == NULL || slash == *out ||
	    slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
		return bad(r, n, key, "must be a media type like "
			"application/pdf");
	return 0;
}

static int read_origin(struct reader *r, const struct custody_yaml_node *n,
	const char *key, char **out)
{
	int rc = read_string(r, n, key, 1, 255, "", out);

	if (rc != 0)
		return rc;
	for (const char *p = *out; *p; p++)
		if (*p < '!' || *p > '~')
			return bad(r, n, key, "must be printable ASCII without "
				"spaces");
	return 0;
}

/* ---- entries ---- */

enum {
	F_FORMAT = 1 << 0, F_INDEX = 1 << 1, F_TYPE = 1 << 2,
	F_TIME = 1 << 3, F_ACTOR = 1 << 4, F_SALT = 1 << 5, F_NOTE = 1 << 6,
	F_ORIGIN = 1 << 7, F_PATH = 1 << 8, F_SIZE = 1 << 9,
	F_SHA256 = 1 << 10, F_SHA512 = 1 << 11, F_MEDIA = 1 << 12,
	F_BLOB = 1 << 13, F_VERSION = 1 << 14, F_PREVIOUS = 1 << 15,
	F_SOURCE = 1 << 16
};

static const struct {
	const char *key;
	unsigned int flag;
} entry_fields[] = {
	{ "custody-entry", F_FORMAT }, { "index", F_INDEX },
	{ "type", F_TYPE }, { "time", F_TIME }, { "actor", F_ACTOR },
	{ "salt", F_SALT }, { "note", F_NOTE }, { "origin", F_ORIGIN },
	{ "path", F_PATH }, { "size", F_SIZE }, { "sha256", F_SHA256 },
	{ "sha512", F_SHA512 }, { "media_type", F_MEDIA }, { "blob", F_BLOB },
	{ "version", F_VERSION }, { "previous", F_PREVIOUS },
	{ "source", F_SOURCE }, { NULL, 0 }
};

#define COMMON (F_FORMAT | F_INDEX | F_TYPE | F_TIME | F_ACTOR | F_SALT)
#define GENESIS_ALLOWED (COMMON | F_NOTE | F_ORIGIN)
#define GENESIS_REQUIRED (COMMON | F_ORIGIN)
#define REGISTER_ALLOWED (COMMON | F_NOTE | F_PATH | F_SIZE | F_SHA256 | \
	F_SHA512 | F_MEDIA | F_BLOB | F_VERSION | F_PREVIOUS | F_SOURCE)
#define REGISTER_REQUIRED (COMMON | F_PATH | F_SIZE | F_SHA256 | F_MEDIA | \
	F_VERSION)

static int read_field(struct reader *r, struct custody_entry *e,
	unsigned int flag, const char *key, const struct custody_yaml_node *v)
{
	uint64_t format;
	char *type = NULL;
	int rc = 0;

	switch (flag) {
	case F_FORMAT:
		if ((rc = read_uint(r, v, key, &format)) == 0 &&
		    format != CUSTODY_ENTRY_FORMAT)
			rc = bad(r, v, key, "names a format this custody does "
				"not know (expected 1)");
		return rc;
	case F_INDEX: return read_uint(r, v, key, &e->index);
	case F_TYPE:
		if ((rc = read_string(r, v, key, 1, 32, "", &type)) != 0)
			return rc;
		if (strcmp(type, "genesis") == 0)
			e->type = CUSTODY_ENTRY_GENESIS;
		else if (strcmp(type, "register") == 0)
			e->type = CUSTODY_ENTRY_REGISTER;
		else
			rc = bad(r, v, key, "must be \"genesis\" or "
				"\"register\"");
		free(type);
		return rc;
	case F_TIME: return read_time(r, v, key, &e->time);
	case F_ACTOR: return read_string(r, v, key, 1, 256, "", &e->actor);
	case F_SALT: return read_hex(r, v, key, 64, &e->salt);
	case F_NOTE: return read_string(r, v, key, 0, 4096, "\n\t", &e->note);
	case F_ORIGIN: return read_origin(r, v, key, &e->origin);
	case F_PATH:
		if ((rc = read_string(r, v, key, 1, 4096, "", &e->path)) != 0)
			return rc;
		{
			custody_error *perr = NULL;

			if (custody_path__check(e->path, &perr) != 0) {
				rc = bad(r, v, key, custody_error_message(perr));
				custody_error_free(perr);
			} else if (!custody_path__is_nfc(e->path)) {
				rc = bad(r, v, key, "is not in Unicode NFC");
			}
		}
		return rc;
	case F_SIZE: return read_uint(r, v, key, &e->size);
	case F_SHA256: return read_hex(r, v, key, 64, &e->sha256);
	case F_SHA512: return read_hex(r, v, key, 128, &e->sha512);
	case F_MEDIA: return read_media_type(r, v, key, &e->media_type);
	case F_BLOB: return read_hex(r, v, key, 40, &e->blob);
	case F_VERSION:
		if ((rc = read_uint(r, v, key, &e->version)) == 0 &&
		    e->version == 0)
			rc = bad(r, v, key, "must be 1 or more");
		return rc;
	case F_PREVIOUS:
		e->has_previous = 1;
		return read_uint(r, v, key, &e->previous);
	case F_SOURCE: return read_string(r, v, key, 1, 256, "", &e->source);
	}
	return 0;
}

int custody_entry__parse(struct custody_entry **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	struct custody_entry *e = NULL;
	struct reader r = { name, err };
	unsigned int seen = 0, allowed, required;
	int rc;

	*out = NULL;
	if (len > CUSTODY_ENTRY_MAX_BYTES)
		return custody__error(err, CUSTODY_EINVALID, "%s: %zu bytes; an "
			"entry is at most %d", name, len,
			CUSTODY_ENTRY_MAX_BYTES);
	if ((rc = custody_yaml__parse(&root, bytes, len, name, err)) != 0)
		return rc;
	if (root->kind != CUSTODY_YAML_MAPPING) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: an "
			"entry must be a mapping of fields", name, root->line,
			root->column);
		goto done;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i + 1 < root->count; i += 2) {
		const struct custody_yaml_node *k = root->items[i];
		unsigned int flag = 0;

		for (int f = 0; entry_fields[f].key; f++)
			if (strcmp(entry_fields[f].key, k->value) == 0)
				flag = entry_fields[f].flag;
		if (flag == 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: "
				"unknown field '%s'", name, k->line, k->column,
				k->value);
			goto done;
		}
		if (!k->plain) {
			rc = bad(&r, k, k->value, "is a quoted key; custody "
				"writes keys plainly");
			goto done;
		}
		seen |= flag;
		if ((rc = read_field(&r, e, flag, k->value,
		    root->items[i + 1])) != 0)
			goto done;
	}
	if (!(seen & F_TYPE)) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: missing field "
			"'type'", name);
		goto done;
	}
	allowed = e->type == CUSTODY_ENTRY_GENESIS ? GENESIS_ALLOWED :
		REGISTER_ALLOWED;
	required = e->type == CUSTODY_ENTRY_GENESIS ? GENESIS_REQUIRED :
		REGISTER_REQUIRED;
	for (int f = 0; entry_fields[f].key; f++) {
		unsigned int flag = entry_fields[f].flag;

		if ((required & flag) && !(seen & flag)) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: missing "
				"field '%s'", name, entry_fields[f].key);
			goto done;
		}
		if (!(allowed & flag) && (seen & flag)) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: field "
				"'%s' does not belong in a %s entry", name,
				entry_fields[f].key,
				custody_entry__type_name(e->type));
			goto done;
		}
	}
	if (e->type == CUSTODY_ENTRY_REGISTER) {
		if (e->version > 1 && !e->has_previous) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: version "
				"%" PRIu64 " needs 'previous'", name,
				e->version);
			goto done;
		}
		if (e->version == 1 && e->has_previous) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: version "
				"1 cannot have 'previous'", name);
			goto done;
		}
		if (e->has_previous && e->previous >= e->index) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: "
				"'previous' (%" PRIu64 ") must come before the "
				"entry's own index (%" PRIu64 ")", name,
				e->previous, e->index);
			goto done;
		}
	}
	*out = e;
	e = NULL;
done:
	custody_entry__free(e);
	custody_yaml__free(root);
	return rc;
}

/* ---- emitting ---- */

struct emitter {
	yaml_emitter_t yaml;
	custody_buf *out;
	int oom;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct emitter *em = data;

	if (custody_buf__append(em->out, buffer, size) != 0) {
		em->oom = 1;
		return 0;
	}
	return 1;
}

static int emit_scalar(struct emitter *em, const char *value,
	yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)value, (int)strlen(value), 1, 1, style))
		return -1;
	return yaml_emitter_emit(&em->yaml, &ev) ? 0 : -1;
}

static int emit_str(struct emitter *em, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	if (emit_scalar(em, key, YAML_PLAIN_SCALAR_STYLE) != 0)
		return -1;
	return emit_scalar(em, value, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static int emit_uint(struct emitter *em, const char *key, uint64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	if (emit_scalar(em, key, YAML_PLAIN_SCALAR_STYLE) != 0)
		return -1;
	return emit_scalar(em, text, YAML_PLAIN_SCALAR_STYLE);
}

static int emit_begin(struct emitter *em, custody_buf *out)
{
	yaml_event_t ev;

	memset(em, 0, sizeof(*em));
	em->out = out;
	out->ptr = NULL;
	out->size = 0;
	if (!yaml_emitter_initialize(&em->yaml))
		return -1;
	yaml_emitter_set_output(&em->yaml, write_handler, em);
	yaml_emitter_set_unicode(&em->yaml, 1);
	yaml_emitter_set_width(&em->yaml, -1);
	yaml_emitter_set_encoding(&em->yaml, YAML_UTF8_ENCODING);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em->yaml, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em->yaml, &ev) ||
	    !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE) || !yaml_emitter_emit(&em->yaml, &ev))
		return -1;
	return 0;
}

static int emit_end(struct emitter *em)
{
	yaml_event_t ev;

	if (!yaml_mapping_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(&em->yaml, &ev) ||
	    !yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(&em->yaml, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(&em->yaml, &ev) ||
	    !yaml_emitter_flush(&em->yaml))
		return -1;
	return 0;
}

static int emit_finish(struct emitter *em, int failed, custody_buf *out,
	const char *what, custody_error **err)
{
	const char *problem = em->yaml.problem;
	int rc = 0;

	if (failed || em->oom)
		rc = em->oom ? custody__error(err, CUSTODY_ENOMEM,
			"out of memory") : custody__error(err, CUSTODY_ERROR,
			"cannot write %s: %s", what, problem ? problem :
			"libyaml emitter error");
	yaml_emitter_delete(&em->yaml);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}

int custody_entry__emit(custody_buf *out, const struct custody_entry *e,
	custody_error **err)
{
	struct emitter em;
	int failed;

	failed = emit_begin(&em, out) != 0 ||
		emit_uint(&em, "custody-entry", CUSTODY_ENTRY_FORMAT) != 0 ||
		emit_uint(&em, "index", e->index) != 0 ||
		emit_str(&em, "type", custody_entry__type_name(e->type)) != 0 ||
		emit_str(&em, "time", e->time) != 0 ||
		emit_str(&em, "actor", e->actor) != 0 ||
		emit_str(&em, "salt", e->salt) != 0;
	if (!failed && e->type == CUSTODY_ENTRY_GENESIS)
		failed = emit_str(&em, "origin", e->origin) != 0;
	if (!failed && e->type == CUSTODY_ENTRY_REGISTER)
		failed = emit_str(&em, "path", e->path) != 0 ||
			emit_uint(&em, "size", e->size) != 0 ||
			emit_str(&em, "sha256", e->sha256) != 0 ||
			emit_str(&em, "sha512", e->sha512) != 0 ||
			emit_str(&em, "media_type", e->media_type) != 0 ||
			emit_str(&em, "blob", e->blob) != 0 ||
			emit_uint(&em, "version", e->version) != 0 ||
			(e->has_previous && emit_uint(&em, "previous",
			e->previous) != 0) ||
			emit_str(&em, "source", e->source) != 0;
	if (!failed)
		failed = emit_str(&em, "note", e->note) != 0 ||
			emit_end(&em) != 0;
	return emit_finish(&em, failed, out, "an entry", err);
}

/* ---- custody.yaml ---- */

void custody_config__free(struct custody_config *c)
{
	if (c == NULL)
		return;
	free(c->origin);
	free(c);
}

int custody_config__parse(struct custody_config **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	struct custody_config *c = NULL;
	struct reader r = { name, err };
	int rc, seen_format = 0, seen_digests = 0, seen_store = 0;

	*out = NULL;
	if (len > CUSTODY_ENTRY_MAX_BYTES)
		return custody__error(err, CUSTODY_EINVALID, "%s: too large",
			name);
	if ((rc = custody_yaml__parse(&root, bytes, len, name, err)) != 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	if (root->kind != CUSTODY_YAML_MAPPING) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: must be "
			"a mapping", name, root->line, root->column);
		goto done;
	}
	for (size_t i = 0; i + 1 < root->count; i += 2) {
		const struct custody_yaml_node *k = root->items[i],
			*v = root->items[i + 1];
		uint64_t format;

		if (!k->plain) {
			rc = bad(&r, k, k->value, "is a quoted key");
		} else if (strcmp(k->value, "custody-archive") == 0) {
			seen_format = 1;
			if ((rc = read_uint(&r, v, k->value, &format)) == 0 &&
			    format != 1)
				rc = bad(&r, v, k->value, "names a format this "
					"custody does not know (expected 1)");
		} else if (strcmp(k->value, "origin") == 0) {
			rc = read_origin(&r, v, k->value, &c->origin);
		} else if (strcmp(k->value, "store") == 0) {
			seen_store = 1;
			rc = read_bool(&r, v, k->value, &c->store);
		} else if (strcmp(k->value, "digests") == 0) {
			seen_digests = 1;
			if (v->kind != CUSTODY_YAML_SEQUENCE || v->count < 1 ||
			    v->count > 2) {
				rc = bad(&r, v, k->value, "must list \"sha256\" "
					"and optionally \"sha512\"");
				goto done;
			}
			for (size_t j = 0; j < v->count && rc == 0; j++) {
				char *d = NULL;

				rc = read_string(&r, v->items[j], k->value, 1,
					16, "", &d);
				if (rc == 0 && j == 0 && strcmp(d, "sha256"))
					rc = bad(&r, v->items[j], k->value,
						"must start with \"sha256\"");
				else if (rc == 0 && j == 1 &&
				    strcmp(d, "sha512") == 0)
					c->sha512 = 1;
				else if (rc == 0 && j == 1)
					rc = bad(&r, v->items[j], k->value,
						"may add only \"sha512\"");
				free(d);
			}
		} else {
			rc = custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: "
				"unknown field '%s'", name, k->line, k->column,
				k->value);
		}
		if (rc != 0)
			goto done;
	}
	if (!seen_format || c->origin == NULL || !seen_digests ||
	    !seen_store) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: missing field "
			"'%s'", name, !seen_format ? "custody-archive" :
			c->origin == NULL ? "origin" : !seen_digests ?
			"digests" : "store");
		goto done;
	}
	*out = c;
	c = NULL;
done:
	custody_config__free(c);
	custody_yaml__free(root);
	return rc;
}

int custody_config__emit(custody_buf *out, const struct custody_config *c,
	custody_error **err)
{
	struct emitter em;
	yaml_event_t ev;
	int failed;

	failed = emit_begin(&em, out) != 0 ||
		emit_uint(&em, "custody-archive", 1) != 0 ||
		emit_str(&em, "origin", c->origin) != 0 ||
		emit_scalar(&em, "digests", YAML_PLAIN_SCALAR_STYLE) != 0 ||
		!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		YAML_BLOCK_SEQUENCE_STYLE) || !yaml_emitter_emit(&em.yaml, &ev) ||
		emit_scalar(&em, "sha256", YAML_DOUBLE_QUOTED_SCALAR_STYLE) ||
		(c->sha512 && emit_scalar(&em, "sha512",
		YAML_DOUBLE_QUOTED_SCALAR_STYLE)) ||
		!yaml_sequence_end_event_initialize(&ev) ||
		!yaml_emitter_emit(&em.yaml, &ev) ||
		emit_scalar(&em, "store", YAML_PLAIN_SCALAR_STYLE) != 0 ||
		emit_scalar(&em, c->store ? "true" : "false",
		YAML_PLAIN_SCALAR_STYLE) != 0 || emit_end(&em) != 0;
	return emit_finish(&em, failed, out, "custody.yaml", err);
}
