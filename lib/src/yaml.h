/*
 * A strict YAML reader on libyaml's event stream, for files custody reads
 * back (entries, custody.yaml). It builds a small tree and refuses what
 * custody never writes and what makes YAML dangerous to read:
 *   - input that is not UTF-8, or starts with a byte-order mark (libyaml
 *     would decode UTF-16), or holds a NUL byte;
 *   - zero or several documents; %TAG directives;
 *   - anchors, aliases and explicit tags;
 *   - nesting deeper than CUSTODY_YAML_MAX_DEPTH (libyaml has no limit);
 *   - mapping keys that are not scalars, and duplicate keys.
 * Scalars keep their style, so typed reads can tell `12` from `"12"`.
 * Errors read "<name>:<line>:<column>: <reason>".
 */
#ifndef CUSTODY_SRC_YAML_H
#define CUSTODY_SRC_YAML_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

#define CUSTODY_YAML_MAX_DEPTH 16

enum custody_yaml_kind {
	CUSTODY_YAML_SCALAR,
	CUSTODY_YAML_MAPPING,
	CUSTODY_YAML_SEQUENCE
};

struct custody_yaml_node {
	enum custody_yaml_kind kind;
	char *value;        /* scalar text (NUL-terminated) */
	size_t length;
	int plain;          /* scalar written without quotes */
	/* mapping: key, value, key, value...; sequence: items */
	struct custody_yaml_node **items;
	size_t count;
	size_t line, column; /* 1-based */
};

int custody_yaml__parse(struct custody_yaml_node **out, const char *bytes,
	size_t len, const char *name, custody_error **err);

void custody_yaml__free(struct custody_yaml_node *node);

/* 0 if `bytes` is valid UTF-8 without NUL, else the offset + 1 of the
 * first bad byte. */
size_t custody_yaml__bad_utf8(const char *bytes, size_t len);

#endif
