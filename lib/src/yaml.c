/*
 * The strict reader and the emitter (see yaml.h). "yaml.h" is ours and
 * <yaml.h> libyaml's: the library's include path does not hold lib/src,
 * so the angle brackets find libyaml. The unit tests' path does, so no
 * private header includes <yaml.h>: only .c files of lib/src do.
 */
#include "yaml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

size_t custody_yaml__bad_utf8(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t more, k;
		uint32_t cp;

		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return i + 1;
		}
		for (k = 1; k <= more; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += more + 1;
	}
	return 0;
}

void custody_yaml__free(struct custody_yaml_node *node)
{
	/* Recursion is bounded: the parser builds no tree deeper than
	 * CUSTODY_YAML_MAX_DEPTH. */
	if (node == NULL)
		return;
	for (size_t i = 0; i < node->count; i++)
		custody_yaml__free(node->items[i]);
	free(node->items);
	free(node);  /* a scalar's text lives in the same allocation */
}

static int vformat(custody_error **err, const char *name, size_t line,
	size_t column, const char *fmt, va_list ap) CUSTODY_PRINTF(5, 0);

static int vformat(custody_error **err, const char *name, size_t line,
	size_t column, const char *fmt, va_list ap)
{
	char reason[768];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (line == 0)
		return custody__error(err, CUSTODY_EINVALID, "%s: %s", name,
			reason);
	return custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: %s", name,
		line, column, reason);
}

static int error_at(custody_error **err, const char *name, size_t line,
	size_t column, const char *fmt, ...) CUSTODY_PRINTF(5, 6);

static int error_at(custody_error **err, const char *name, size_t line,
	size_t column, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(err, name, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

int custody_yaml__error(custody_error **err, const char *name,
	const struct custody_yaml_node *at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(err, name, at ? at->line : 0, at ? at->column : 0, fmt,
		ap);
	va_end(ap);
	return rc;
}

/* Line and column (1-based, in characters) of a byte offset: libyaml's
 * reader errors carry only an offset. */
static void offset_position(const char *bytes, size_t len, size_t offset,
	size_t *line, size_t *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];

		if (c == '\n') {
			(*line)++;
			*column = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*column)++;
		}
	}
}

static int parser_error(const yaml_parser_t *parser, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	const char *problem = parser->problem ? parser->problem :
		"cannot parse YAML";
	size_t line, column;

	if (parser->error == YAML_MEMORY_ERROR)
		return custody__error(err, CUSTODY_ENOMEM, "%s: out of memory",
			name);
	if (parser->error == YAML_READER_ERROR) {
		offset_position(bytes, len, parser->problem_offset, &line,
			&column);
		return error_at(err, name, line, column, "%s", problem);
	}
	line = parser->problem_mark.line + 1;
	column = parser->problem_mark.column + 1;
	if (parser->context != NULL)
		return error_at(err, name, line, column, "%s (%s, from line "
			"%zu)", problem, parser->context,
			parser->context_mark.line + 1);
	return error_at(err, name, line, column, "%s", problem);
}

/* A byte-order mark anywhere: at the start libyaml would take it as an
 * encoding signature; elsewhere it is invisible text custody never writes
 * (its emitter escapes U+FEFF). */
static size_t find_bom(const char *bytes, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (memcmp(bytes + i, "\xef\xbb\xbf", 3) == 0)
			return i + 1;
	return 0;
}

static int check_bytes(const char *bytes, size_t len, size_t max_bytes,
	const char *name, custody_error **err)
{
	size_t bad, line, column;

	if (len > max_bytes)
		return custody__error(err, CUSTODY_EINVALID, "%s: %zu bytes, "
			"more than the %zu allowed", name, len, max_bytes);
	if (len >= 2 && ((bytes[0] == '\xfe' && bytes[1] == '\xff') ||
	    (bytes[0] == '\xff' && bytes[1] == '\xfe')))
		return custody__error(err, CUSTODY_EINVALID, "%s: starts with "
			"a UTF-16 byte-order mark; custody files are UTF-8",
			name);
	if ((bad = custody_yaml__bad_utf8(bytes, len)) != 0) {
		offset_position(bytes, len, bad - 1, &line, &column);
		if (bytes[bad - 1] == '\0')
			return error_at(err, name, line, column, "a NUL byte "
				"(at byte %zu); custody files are UTF-8 text",
				bad);
		return error_at(err, name, line, column, "byte %zu (0x%02x) "
			"is not valid UTF-8", bad,
			(unsigned)(unsigned char)bytes[bad - 1]);
	}
	if ((bad = find_bom(bytes, len)) != 0) {
		offset_position(bytes, len, bad - 1, &line, &column);
		return error_at(err, name, line, column, "a byte-order mark "
			"(U+FEFF); custody files are plain UTF-8 without one");
	}
	return 0;
}

struct builder {
	const char *name;
	custody_error **err;
	struct custody_yaml_node *root;
	struct custody_yaml_node *stack[CUSTODY_YAML_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	size_t documents;
};

static int add_child(struct custody_yaml_node *parent,
	struct custody_yaml_node *child)
{
	struct custody_yaml_node **grown;
	size_t room;

	/* Grow by doubling: a mapping may hold thousands of keys. */
	if ((parent->count & (parent->count - 1)) == 0) {
		room = parent->count ? parent->count * 2 : 4;
		if (parent->count >= room ||
		    room > SIZE_MAX / sizeof(*grown))
			return -1;
		grown = realloc(parent->items, room * sizeof(*grown));
		if (grown == NULL)
			return -1;
		parent->items = grown;
	}
	parent->items[parent->count++] = child;
	return 0;
}

/* Refuse what a node event must not carry: anchors and explicit tags. */
static int check_properties(struct builder *b, const yaml_event_t *event,
	const yaml_char_t *anchor, const yaml_char_t *tag)
{
	size_t line = event->start_mark.line + 1;
	size_t column = event->start_mark.column + 1;

	if (anchor != NULL)
		return error_at(b->err, b->name, line, column, "an anchor "
			"(&%.64s); anchors and aliases are not allowed",
			(const char *)anchor);
	if (tag != NULL)
		return error_at(b->err, b->name, line, column, "a tag "
			"(%.64s); explicit tags are not allowed",
			(const char *)tag);
	return 0;
}

static int add_node(struct builder *b, const yaml_event_t *event,
	enum custody_yaml_kind kind)
{
	struct custody_yaml_node *node = NULL, *parent;
	size_t line = event->start_mark.line + 1;
	size_t column = event->start_mark.column + 1;
	int rc = 0;

	parent = b->depth ? b->stack[b->depth - 1] : NULL;
	if (parent == NULL && b->root != NULL)
		return error_at(b->err, b->name, line, column, "more than one "
			"node at the top of the document");
	if (++b->nodes > CUSTODY_YAML_MAX_NODES)
		return error_at(b->err, b->name, line, column, "more than %d "
			"nodes", CUSTODY_YAML_MAX_NODES);
	if (kind != CUSTODY_YAML_SCALAR && b->depth >= CUSTODY_YAML_MAX_DEPTH)
		return error_at(b->err, b->name, line, column, "nested deeper "
			"than %d levels", CUSTODY_YAML_MAX_DEPTH);
	/* a scalar and its text in one allocation: an entry has dozens */
	node = calloc(1, sizeof(*node) + (kind == CUSTODY_YAML_SCALAR ?
		event->data.scalar.length + 1 : 0));
	if (node == NULL) {
		rc = custody__error(b->err, CUSTODY_ENOMEM,
			"%s: out of memory", b->name);
		goto done;
	}
	node->kind = kind;
	node->line = line;
	node->column = column;
	if (kind == CUSTODY_YAML_SCALAR) {
		size_t length = event->data.scalar.length;

		node->value = (char *)(node + 1);
		memcpy(node->value, event->data.scalar.value, length);
		node->value[length] = '\0';
		node->length = length;
		node->plain = event->data.scalar.style ==
			YAML_PLAIN_SCALAR_STYLE;
	}
	if (parent != NULL && parent->kind == CUSTODY_YAML_MAPPING &&
	    parent->count % 2 == 0) {
		if (kind != CUSTODY_YAML_SCALAR) {
			rc = error_at(b->err, b->name, line, column, "a "
				"mapping key must be a scalar");
			goto done;
		}
		for (size_t k = 0; k < parent->count; k += 2) {
			const struct custody_yaml_node *other =
				parent->items[k];

			if (other->length == node->length &&
			    memcmp(other->value, node->value,
			    node->length) == 0) {
				rc = error_at(b->err, b->name, line, column,
					"duplicate key '%.64s' (first at line "
					"%zu)", node->value, other->line);
				goto done;
			}
		}
	}
	if (parent == NULL) {
		b->root = node;
	} else if (add_child(parent, node) != 0) {
		rc = custody__error(b->err, CUSTODY_ENOMEM,
			"%s: out of memory", b->name);
		goto done;
	}
	if (kind != CUSTODY_YAML_SCALAR)
		b->stack[b->depth++] = node;
	node = NULL;
done:
	custody_yaml__free(node);
	return rc;
}

static int on_event(struct builder *b, const yaml_event_t *event)
{
	size_t line = event->start_mark.line + 1;
	size_t column = event->start_mark.column + 1;
	int rc = 0;

	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return error_at(b->err, b->name, line, column, "a "
				"second document; custody files hold exactly "
				"one");
		if (event->data.document_start.version_directive != NULL ||
		    event->data.document_start.tag_directives.start !=
		    event->data.document_start.tag_directives.end)
			return error_at(b->err, b->name, line, column,
				"directives (%%YAML, %%TAG) are not allowed");
		break;
	case YAML_ALIAS_EVENT:
		return error_at(b->err, b->name, line, column, "an alias "
			"(*%.64s); anchors and aliases are not allowed",
			(const char *)event->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		if ((rc = check_properties(b, event,
		    event->data.scalar.anchor, event->data.scalar.tag)) != 0)
			return rc;
		return add_node(b, event, CUSTODY_YAML_SCALAR);
	case YAML_SEQUENCE_START_EVENT:
		if ((rc = check_properties(b, event,
		    event->data.sequence_start.anchor,
		    event->data.sequence_start.tag)) != 0)
			return rc;
		return add_node(b, event, CUSTODY_YAML_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		if ((rc = check_properties(b, event,
		    event->data.mapping_start.anchor,
		    event->data.mapping_start.tag)) != 0)
			return rc;
		return add_node(b, event, CUSTODY_YAML_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		break;
	default:
		break;
	}
	return 0;
}

int custody_yaml__parse(struct custody_yaml_node **out, const char *bytes,
	size_t len, size_t max_bytes, const char *name, custody_error **err)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct builder b;
	int rc, done = 0, parser_ready = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.name = name;
	b.err = err;
	if ((rc = check_bytes(bytes, len, max_bytes, name, err)) != 0)
		goto cleanup;
	if (!yaml_parser_initialize(&parser)) {
		rc = custody__error(err, CUSTODY_ENOMEM, "%s: out of memory",
			name);
		goto cleanup;
	}
	parser_ready = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)bytes,
		len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = parser_error(&parser, bytes, len, name, err);
			goto cleanup;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &event);
		yaml_event_delete(&event);
		if (rc != 0)
			goto cleanup;
	}
	if (b.root == NULL) {
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: empty; custody files hold exactly one document",
			name);
		goto cleanup;
	}
	*out = b.root;
	b.root = NULL;
cleanup:
	if (parser_ready)
		yaml_parser_delete(&parser);
	custody_yaml__free(b.root);
	return rc;
}

const struct custody_yaml_node *custody_yaml__get(
	const struct custody_yaml_node *map, const char *key)
{
	size_t len = strlen(key);

	if (map == NULL || map->kind != CUSTODY_YAML_MAPPING)
		return NULL;
	for (size_t i = 0; i + 1 < map->count; i += 2)
		if (map->items[i]->length == len &&
		    memcmp(map->items[i]->value, key, len) == 0)
			return map->items[i + 1];
	return NULL;
}

static const char *kind_name(const struct custody_yaml_node *n)
{
	if (n->kind == CUSTODY_YAML_MAPPING)
		return "a mapping";
	if (n->kind == CUSTODY_YAML_SEQUENCE)
		return "a sequence";
	return n->plain ? "a plain scalar" : "a quoted string";
}

int custody_yaml__uint(const struct custody_yaml_node *n, uint64_t max,
	uint64_t *out, const char *name, const char *key,
	custody_error **err)
{
	uint64_t value = 0;

	*out = 0;
	if (n->kind != CUSTODY_YAML_SCALAR || !n->plain)
		return custody_yaml__error(err, name, n, "'%s' must be an "
			"unquoted integer, not %s", key, kind_name(n));
	if (n->length == 0 || n->length > 16 ||
	    (n->value[0] == '0' && n->length > 1))
		goto bad;
	for (size_t i = 0; i < n->length; i++) {
		if (n->value[i] < '0' || n->value[i] > '9')
			goto bad;
		value = value * 10 + (uint64_t)(n->value[i] - '0');
	}
	if (value > max || value > CUSTODY_YAML_MAX_INT)
		return custody_yaml__error(err, name, n, "'%s' is %.32s, more "
			"than %llu", key, n->value, (unsigned long long)(max <
			CUSTODY_YAML_MAX_INT ? max : CUSTODY_YAML_MAX_INT));
	*out = value;
	return 0;
bad:
	return custody_yaml__error(err, name, n, "'%s' must be a decimal "
		"integer without sign or leading zeros, not '%.32s'", key,
		n->value);
}

int custody_yaml__bool(const struct custody_yaml_node *n, int *out,
	const char *name, const char *key, custody_error **err)
{
	*out = 0;
	if (n->kind == CUSTODY_YAML_SCALAR && n->plain) {
		if (strcmp(n->value, "true") == 0 && n->length == 4) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->value, "false") == 0 && n->length == 5)
			return 0;
	}
	if (n->kind == CUSTODY_YAML_SCALAR && n->plain)
		return custody_yaml__error(err, name, n, "'%s' must be true "
			"or false, not '%.32s'", key, n->value);
	return custody_yaml__error(err, name, n, "'%s' must be true or false "
		"(unquoted), not %s", key, kind_name(n));
}

int custody_yaml__string(const struct custody_yaml_node *n,
	const char **out, const char *name, const char *key,
	custody_error **err)
{
	*out = NULL;
	if (n->kind != CUSTODY_YAML_SCALAR)
		return custody_yaml__error(err, name, n, "'%s' must be a "
			"quoted string, not %s", key, kind_name(n));
	if (n->plain)
		return custody_yaml__error(err, name, n, "'%s' must be a "
			"quoted string; unquoted values are read only as "
			"integers and true/false", key);
	if (strlen(n->value) != n->length)
		return custody_yaml__error(err, name, n, "'%s' contains a NUL "
			"character", key);
	*out = n->value;
	return 0;
}

/* Copy an optional string field; absent leaves *out NULL. */
int custody_yaml__copy_string(const struct custody_yaml_node *root,
	const char *key, char **out, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root, key);
	const char *value;
	int rc;

	*out = NULL;
	if (n == NULL)
		return 0;
	if ((rc = custody_yaml__string(n, &value, name, key, err)) != 0)
		return rc;
	if ((*out = strdup(value)) == NULL)
		return custody__oom(err);
	return 0;
}

/*
 * The emitter: libyaml's, unicode on, unlimited width (a long string never
 * folds), "\n" line breaks, implicit document start and end.
 *
 * Most documents custody writes (every entry and private part) are one
 * flat mapping of identifier keys to numbers and printable ASCII strings,
 * which libyaml writes as `key: 12` and `key: "text"` lines. Such a
 * document is written directly (libyaml's per-event work was about a
 * third of an entry's cost); the first event that is anything else
 * (a nested node, a string with a byte to escape, an unusual key) starts
 * libyaml and replays what was written so far through it, so the bytes
 * are always libyaml's.
 */
struct direct_scalar {
	size_t offset, length;    /* the scalar's text in the output */
	int plain;
};

struct custody_yaml_emitter {
	yaml_emitter_t yaml;
	int yaml_started;         /* 0 while the document is written directly */
	struct direct_scalar *scalars;
	size_t nscalars, alloc_scalars;
	custody_buf *buf;
	size_t capacity;
	int out_of_memory;
	custody_error **err;
};

static int write_bytes(void *data, unsigned char *bytes, size_t size)
{
	struct custody_yaml_emitter *em = data;
	custody_buf *buf = em->buf;

	if (size + 1 > em->capacity - buf->size) {
		size_t want = em->capacity ? em->capacity : 512;
		char *grown;

		while (want - buf->size < size + 1) {
			if (want > SIZE_MAX / 2) {
				em->out_of_memory = 1;
				return 0;
			}
			want *= 2;
		}
		if ((grown = realloc(buf->ptr, want)) == NULL) {
			em->out_of_memory = 1;
			return 0;
		}
		buf->ptr = grown;
		em->capacity = want;
	}
	memcpy(buf->ptr + buf->size, bytes, size);
	buf->size += size;
	buf->ptr[buf->size] = '\0';
	return 1;
}

static int emitter_failed(struct custody_yaml_emitter *em)
{
	if (em->out_of_memory || em->yaml.error == YAML_MEMORY_ERROR)
		return custody__oom(em->err);
	return custody__error(em->err, CUSTODY_ERROR, "cannot write YAML: "
		"%s", em->yaml.problem ? em->yaml.problem : "libyaml error");
}

static int emit_event(struct custody_yaml_emitter *em, yaml_event_t *event,
	int made)
{
	/* yaml_emitter_emit owns the event from here, even on failure. */
	if (!made)
		return custody__oom(em->err);
	if (!yaml_emitter_emit(&em->yaml, event))
		return emitter_failed(em);
	return 0;
}

static int start_libyaml(struct custody_yaml_emitter *em);

static int emit(struct custody_yaml_emitter *em, yaml_event_t *event,
	int made)
{
	int rc;

	if (!em->yaml_started && (rc = start_libyaml(em)) != 0) {
		if (made)
			yaml_event_delete(event);
		return rc;
	}
	return emit_event(em, event, made);
}

static int emit_scalar_event(struct custody_yaml_emitter *em,
	const char *value, size_t len, int plain)
{
	yaml_event_t event;

	return emit_event(em, &event, yaml_scalar_event_initialize(&event,
		NULL, NULL, (yaml_char_t *)value, (int)len, plain, !plain,
		plain ? YAML_PLAIN_SCALAR_STYLE :
		YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

/* A key libyaml writes plain as it is: a short identifier. */
static int direct_key(const char *s, size_t len)
{
	if (len == 0 || len > 64 || !(*s >= 'a' && *s <= 'z'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* A number libyaml writes plain as it is. */
static int direct_number(const char *s, size_t len)
{
	if (len == 0 || len > 20)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A string libyaml double-quotes with no escape: printable ASCII. */
static int direct_quoted(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* Write one scalar of the flat mapping directly: 0, or 1 when it is not
 * one libyaml would write the same way. */
static int emit_direct(struct custody_yaml_emitter *em, const char *value,
	size_t len, int plain, int *rc)
{
	int is_key = em->nscalars % 2 == 0;
	const char *before = is_key ? (em->nscalars ? "\n" : "") :
		plain ? ": " : ": \"";
	size_t nbefore = strlen(before);
	struct direct_scalar *d;

	*rc = 0;
	if (is_key ? !plain || !direct_key(value, len) :
	    plain ? !direct_number(value, len) : !direct_quoted(value, len))
		return 1;
	if (em->nscalars == em->alloc_scalars) {
		size_t alloc = em->alloc_scalars ? em->alloc_scalars * 2 : 32;
		struct direct_scalar *grown = realloc(em->scalars,
			alloc * sizeof(*grown));

		if (grown == NULL) {
			*rc = custody__oom(em->err);
			return 0;
		}
		em->scalars = grown;
		em->alloc_scalars = alloc;
	}
	if (!write_bytes(em, (unsigned char *)before, nbefore) ||
	    !write_bytes(em, (unsigned char *)value, len) ||
	    (!plain && !write_bytes(em, (unsigned char *)"\"", 1))) {
		*rc = custody__oom(em->err);
		return 0;
	}
	d = &em->scalars[em->nscalars++];
	d->offset = em->buf->size - len - !plain;
	d->length = len;
	d->plain = plain;
	return 0;
}

static int emit_scalar(struct custody_yaml_emitter *em, const char *value,
	yaml_scalar_style_t style)
{
	int plain = style == YAML_PLAIN_SCALAR_STYLE;
	size_t len = strlen(value);
	int rc;

	if (!em->yaml_started && emit_direct(em, value, len, plain, &rc) == 0)
		return rc;
	if (!em->yaml_started && (rc = start_libyaml(em)) != 0)
		return rc;
	return emit_scalar_event(em, value, len, plain);
}

int custody_yaml__emit_plain(struct custody_yaml_emitter *em,
	const char *value)
{
	return emit_scalar(em, value, YAML_PLAIN_SCALAR_STYLE);
}

int custody_yaml__emit_quoted(struct custody_yaml_emitter *em,
	const char *value)
{
	return emit_scalar(em, value, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

int custody_yaml__emit_string(struct custody_yaml_emitter *em,
	const char *key, const char *value)
{
	int rc;

	if (value == NULL)
		return 0;
	if ((rc = emit_scalar(em, key, YAML_PLAIN_SCALAR_STYLE)) != 0)
		return rc;
	return emit_scalar(em, value, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

int custody_yaml__emit_uint(struct custody_yaml_emitter *em,
	const char *key, uint64_t value)
{
	char text[24];
	int rc;

	snprintf(text, sizeof(text), "%" PRIu64, value);
	if ((rc = emit_scalar(em, key, YAML_PLAIN_SCALAR_STYLE)) != 0)
		return rc;
	return emit_scalar(em, text, YAML_PLAIN_SCALAR_STYLE);
}

int custody_yaml__emit_sequence_start(struct custody_yaml_emitter *em)
{
	yaml_event_t event;

	return emit(em, &event, yaml_sequence_start_event_initialize(&event,
		NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

int custody_yaml__emit_sequence_end(struct custody_yaml_emitter *em)
{
	yaml_event_t event;

	return emit(em, &event, yaml_sequence_end_event_initialize(&event));
}

int custody_yaml__emit_mapping_start(struct custody_yaml_emitter *em)
{
	yaml_event_t event;

	return emit(em, &event, yaml_mapping_start_event_initialize(&event,
		NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

int custody_yaml__emit_mapping_end(struct custody_yaml_emitter *em)
{
	yaml_event_t event;

	return emit(em, &event, yaml_mapping_end_event_initialize(&event));
}

void custody_yaml__emitter_free(struct custody_yaml_emitter *em)
{
	if (em == NULL)
		return;
	if (em->yaml_started)
		yaml_emitter_delete(&em->yaml);
	free(em->scalars);
	free(em);
}

/* Hand the document to libyaml: the output so far is taken back and its
 * scalars replayed as events. */
static int start_libyaml(struct custody_yaml_emitter *em)
{
	yaml_event_t event;
	char *written = em->buf->ptr;
	int rc;

	em->buf->ptr = NULL;
	em->buf->size = 0;
	em->capacity = 0;
	if (!yaml_emitter_initialize(&em->yaml)) {
		free(written);
		return custody__oom(em->err);
	}
	em->yaml_started = 1;
	yaml_emitter_set_output(&em->yaml, write_bytes, em);
	yaml_emitter_set_encoding(&em->yaml, YAML_UTF8_ENCODING);
	yaml_emitter_set_unicode(&em->yaml, 1);
	yaml_emitter_set_width(&em->yaml, -1);
	yaml_emitter_set_indent(&em->yaml, 2);
	yaml_emitter_set_break(&em->yaml, YAML_LN_BREAK);
	if ((rc = emit_event(em, &event,
	    yaml_stream_start_event_initialize(&event,
	    YAML_UTF8_ENCODING))) != 0 ||
	    (rc = emit_event(em, &event,
	    yaml_document_start_event_initialize(&event, NULL, NULL, NULL,
	    1))) != 0 ||
	    (rc = emit_event(em, &event,
	    yaml_mapping_start_event_initialize(&event, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE))) != 0) {
		free(written);
		return rc;
	}
	for (size_t i = 0; i < em->nscalars && rc == 0; i++)
		rc = emit_scalar_event(em, written + em->scalars[i].offset,
			em->scalars[i].length, em->scalars[i].plain);
	free(written);
	return rc;
}

int custody_yaml__emit_begin(struct custody_yaml_emitter **out,
	custody_buf *buf, custody_error **err)
{
	struct custody_yaml_emitter *em;

	*out = NULL;
	buf->ptr = NULL;
	buf->size = 0;
	if ((em = calloc(1, sizeof(*em))) == NULL)
		return custody__oom(err);
	em->buf = buf;
	em->err = err;
	*out = em;
	return 0;
}

int custody_yaml__emit_end(struct custody_yaml_emitter *em)
{
	yaml_event_t event;
	int rc;

	if (!em->yaml_started && em->nscalars > 0 && em->nscalars % 2 == 0) {
		/* the flat mapping is complete: its last line's break */
		if (!write_bytes(em, (unsigned char *)"\n", 1))
			return custody__oom(em->err);
		return 0;
	}
	if ((rc = custody_yaml__emit_mapping_end(em)) != 0 ||
	    (rc = emit(em, &event, yaml_document_end_event_initialize(&event,
	    1))) != 0 ||
	    (rc = emit(em, &event, yaml_stream_end_event_initialize(&event)))
	    != 0)
		return rc;
	if (!yaml_emitter_flush(&em->yaml))
		return emitter_failed(em);
	return 0;
}

int custody_yaml__check_format(const struct custody_yaml_node *root,
	const char *name, const char *subject, const char *key,
	const char *kind, const char *format_name, uint64_t format,
	custody_error **err)
{
	const struct custody_yaml_node *n;
	uint64_t got;
	int rc;

	if (root->kind != CUSTODY_YAML_MAPPING)
		return custody_yaml__error(err, name, root, "%s must be a "
			"mapping of keys to values", subject);
	if ((n = custody_yaml__get(root, key)) == NULL)
		return custody_yaml__error(err, name, root, "missing '%s' (not "
			"%s?)", key, kind);
	if ((rc = custody_yaml__uint(n, CUSTODY_YAML_MAX_INT, &got, name,
	    key, err)) != 0)
		return rc;
	if (got != format)
		return custody_yaml__error(err, name, n, "%s format %" PRIu64
			"; this custody reads format %" PRIu64, format_name,
			got, format);
	return 0;
}
