#include "yaml.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

size_t custody_yaml__bad_utf8(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i + 1;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

void custody_yaml__free(struct custody_yaml_node *node)
{
	if (node == NULL)
		return;
	for (size_t i = 0; i < node->count; i++)
		custody_yaml__free(node->items[i]);
	free(node->items);
	free(node->value);
	free(node);
}

static int add_child(struct custody_yaml_node *parent,
	struct custody_yaml_node *child)
{
	struct custody_yaml_node **grown;

	grown = realloc(parent->items, (parent->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	parent->items = grown;
	parent->items[parent->count++] = child;
	return 0;
}

static struct custody_yaml_node *new_node(enum custody_yaml_kind kind,
	const yaml_mark_t *mark)
{
	struct custody_yaml_node *n = calloc(1, sizeof(*n));

	if (n != NULL) {
		n->kind = kind;
		n->line = mark->line + 1;
		n->column = mark->column + 1;
	}
	return n;
}

int custody_yaml__parse(struct custody_yaml_node **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct custody_yaml_node *stack[CUSTODY_YAML_MAX_DEPTH + 1];
	struct custody_yaml_node *root = NULL;
	size_t depth = 0, documents = 0, bad;
	int rc = 0, done = 0, have_event = 0;

	*out = NULL;
	if (len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0)
		return custody__error(err, CUSTODY_EINVALID, "%s: starts with "
			"a byte-order mark; custody files are plain UTF-8",
			name);
	if ((bad = custody_yaml__bad_utf8(bytes, len)) != 0)
		return custody__error(err, CUSTODY_EINVALID, "%s: byte %zu is "
			"not valid UTF-8%s", name, bad, bytes[bad - 1] == 0 ?
			" (a NUL byte)" : "");
	if (!yaml_parser_initialize(&parser))
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)bytes,
		len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	while (!done) {
		struct custody_yaml_node *node = NULL;
		const yaml_mark_t *m;
		const char *anchor = NULL, *tag = NULL;
		int implicit = 1;

		if (!yaml_parser_parse(&parser, &event)) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"%s:%zu:%zu: %s%s%s", name,
				parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "bad YAML",
				parser.context ? " " : "",
				parser.context ? parser.context : "");
			break;
		}
		have_event = 1;
		m = &event.start_mark;
		switch (event.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s:%zu:%zu: a second document; custody "
					"files hold exactly one", name,
					m->line + 1, m->column + 1);
				break;
			}
			if (event.data.document_start.tag_directives.start !=
			    event.data.document_start.tag_directives.end)
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s:%zu:%zu: %%TAG directives are not "
					"allowed", name, m->line + 1,
					m->column + 1);
			break;
		case YAML_ALIAS_EVENT:
			rc = custody__error(err, CUSTODY_EINVALID, "%s:%zu:%zu: "
				"aliases (*%s) are not allowed", name,
				m->line + 1, m->column + 1,
				(const char *)event.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)event.data.scalar.anchor;
			tag = (const char *)event.data.scalar.tag;
			implicit = event.data.scalar.plain_implicit ||
				event.data.scalar.quoted_implicit;
			node = new_node(CUSTODY_YAML_SCALAR, m);
			if (node != NULL) {
				node->value = malloc(event.data.scalar.length
					+ 1);
				if (node->value != NULL) {
					memcpy(node->value,
						event.data.scalar.value,
						event.data.scalar.length);
					node->value[event.data.scalar.length] =
						'\0';
				}
				node->length = event.data.scalar.length;
				node->plain = event.data.scalar.style ==
					YAML_PLAIN_SCALAR_STYLE;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = (const char *)event.data.sequence_start.anchor;
			tag = (const char *)event.data.sequence_start.tag;
			implicit = event.data.sequence_start.implicit;
			node = new_node(CUSTODY_YAML_SEQUENCE, m);
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = (const char *)event.data.mapping_start.anchor;
			tag = (const char *)event.data.mapping_start.tag;
			implicit = event.data.mapping_start.implicit;
			node = new_node(CUSTODY_YAML_MAPPING, m);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (rc == 0 && (event.type == YAML_SCALAR_EVENT ||
		    event.type == YAML_SEQUENCE_START_EVENT ||
		    event.type == YAML_MAPPING_START_EVENT)) {
			struct custody_yaml_node *parent = depth ?
				stack[depth - 1] : NULL;

			if (node == NULL || (node->kind == CUSTODY_YAML_SCALAR &&
			    node->value == NULL)) {
				custody_yaml__free(node);
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
			} else if (anchor != NULL) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s:%zu:%zu: anchors (&%s) are not "
					"allowed", name, m->line + 1,
					m->column + 1, anchor);
			} else if (tag != NULL && !implicit) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s:%zu:%zu: tags (%s) are not allowed",
					name, m->line + 1, m->column + 1, tag);
			} else if (parent && parent->kind ==
			    CUSTODY_YAML_MAPPING && parent->count % 2 == 0) {
				/* a key */
				if (node->kind != CUSTODY_YAML_SCALAR)
					rc = custody__error(err,
						CUSTODY_EINVALID, "%s:%zu:%zu: "
						"a key must be a scalar", name,
						m->line + 1, m->column + 1);
				for (size_t k = 0; rc == 0 &&
				    k < parent->count; k += 2)
					if (strcmp(parent->items[k]->value,
					    node->value) == 0)
						rc = custody__error(err,
							CUSTODY_EINVALID,
							"%s:%zu:%zu: duplicate "
							"key '%s'", name,
							m->line + 1,
							m->column + 1,
							node->value);
			}
			if (rc == 0 && node->kind != CUSTODY_YAML_SCALAR &&
			    depth >= CUSTODY_YAML_MAX_DEPTH)
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s:%zu:%zu: nested deeper than %d "
					"levels", name, m->line + 1,
					m->column + 1, CUSTODY_YAML_MAX_DEPTH);
			if (rc == 0) {
				if (parent == NULL)
					root = node;
				else if (add_child(parent, node) != 0)
					rc = custody__error(err,
						CUSTODY_ENOMEM,
						"out of memory");
				if (rc == 0 && node->kind !=
				    CUSTODY_YAML_SCALAR)
					stack[depth++] = node;
				if (rc != 0 && parent != NULL)
					custody_yaml__free(node);
			} else if (node != NULL && node != root) {
				custody_yaml__free(node);
			}
		}
		yaml_event_delete(&event);
		have_event = 0;
		if (rc != 0)
			break;
	}
	if (have_event)
		yaml_event_delete(&event);
	if (rc == 0 && root == NULL)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: empty; no "
			"document", name);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		custody_yaml__free(root);
		return rc;
	}
	*out = root;
	return 0;
}
