/*
 * custody's YAML: a strict reader for the files custody reads back (log
 * entries, custody.yaml) and the emitter that writes them (below).
 *
 * The reader works on libyaml's event stream. It builds a small tree and
 * refuses what custody never writes and what makes YAML dangerous to read:
 *   - input longer than the caller's limit;
 *   - input that is not UTF-8, holds a NUL byte, or holds a byte-order
 *     mark anywhere (checked on the bytes before libyaml sees them:
 *     libyaml would decode UTF-16 behind a BOM);
 *   - zero or several documents; %YAML and %TAG directives;
 *   - anchors, aliases and explicit tags (including "!" and "!!str");
 *   - nesting deeper than CUSTODY_YAML_MAX_DEPTH collections (libyaml has
 *     no limit) and more than CUSTODY_YAML_MAX_NODES nodes in all;
 *   - mapping keys that are not scalars, and duplicate keys.
 *
 * Scalars keep their style, so typed reads can tell `12` from `"12"`:
 * custody_yaml__uint accepts only a plain scalar matching
 * ^(0|[1-9][0-9]*)$, custody_yaml__bool only plain `true` or `false`, and
 * custody_yaml__string only a quoted (or block) scalar. `012345`, `no` and
 * `12:30:00` can never be misread: they are refused wherever they appear.
 *
 * Every error is CUSTODY_EINVALID (or CUSTODY_ENOMEM) with a message
 * "<name>:<line>:<column>: <reason>" (1-based, from libyaml's marks), or
 * "<name>: <reason>" when there is no position.
 *
 * Thread safety: no shared state; a tree may be read from several threads.
 */
#ifndef CUSTODY_SRC_YAML_H
#define CUSTODY_SRC_YAML_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "custody/common.h"

/* Collections nested inside each other, the document's root included. */
#define CUSTODY_YAML_MAX_DEPTH 16
/* Scalars and collections in one document. */
#define CUSTODY_YAML_MAX_NODES 4096
/* Largest integer custody_yaml__uint accepts: 2^53 - 1, the largest every
 * JSON and YAML reader holds exactly. */
#define CUSTODY_YAML_MAX_INT UINT64_C(9007199254740991)

enum custody_yaml_kind {
	CUSTODY_YAML_SCALAR,
	CUSTODY_YAML_MAPPING,
	CUSTODY_YAML_SEQUENCE
};

struct custody_yaml_node {
	enum custody_yaml_kind kind;
	char *value;        /* scalar: its text, in the node's own
	                     * allocation, NUL-terminated; an escape such
	                     * as "\0" may put a NUL inside, so use
	                     * length, or custody_yaml__string */
	size_t length;      /* scalar: bytes in value */
	int plain;          /* scalar written without quotes or block */
	/* mapping: key, value, key, value...; sequence: items */
	struct custody_yaml_node **items;
	size_t count;
	size_t line, column; /* where the node starts, 1-based */
};

/*
 * Parse `len` bytes (at most `max_bytes`) holding exactly one document.
 * `name` (a path, for messages) prefixes every error. On success *out is
 * the document's root node, freed with custody_yaml__free().
 * Errors: CUSTODY_EINVALID, CUSTODY_ENOMEM.
 */
int custody_yaml__parse(struct custody_yaml_node **out, const char *bytes,
	size_t len, size_t max_bytes, const char *name, custody_error **err);

/* Free a tree. NULL is a no-op. */
void custody_yaml__free(struct custody_yaml_node *node);

/*
 * 0 if `bytes` is valid UTF-8 (no overlong forms, no surrogates) without
 * NUL, else the offset + 1 of the first bad byte.
 */
size_t custody_yaml__bad_utf8(const char *bytes, size_t len);

/*
 * Fill *err with CUSTODY_EINVALID and "<name>:<line>:<column>: <reason>",
 * the position taken from `at` ("<name>: <reason>" when at is NULL).
 * Returns CUSTODY_EINVALID.
 */
int custody_yaml__error(custody_error **err, const char *name,
	const struct custody_yaml_node *at, const char *fmt, ...)
	CUSTODY_PRINTF(4, 5);

/* The value of `key` in mapping `map` (borrowed), or NULL if absent. */
const struct custody_yaml_node *custody_yaml__get(
	const struct custody_yaml_node *map, const char *key);

/*
 * Typed reads of a value node `n`, found under `key` (for messages).
 * uint: a plain decimal integer without leading zeros, 0..max (at most
 * CUSTODY_YAML_MAX_INT). bool: plain true or false. string: a quoted or
 * block scalar without NUL; *out is borrowed from the node.
 * Errors: CUSTODY_EINVALID, naming the key and the position.
 */
int custody_yaml__uint(const struct custody_yaml_node *n, uint64_t max,
	uint64_t *out, const char *name, const char *key,
	custody_error **err);
int custody_yaml__bool(const struct custody_yaml_node *n, int *out,
	const char *name, const char *key, custody_error **err);
int custody_yaml__string(const struct custody_yaml_node *n,
	const char **out, const char *name, const char *key,
	custody_error **err);

/*
 * The string under `key` of mapping `root`, copied into *out (malloc'd,
 * free with free()); an absent key leaves *out NULL and returns 0.
 * Errors: those of custody_yaml__string, CUSTODY_ENOMEM.
 */
int custody_yaml__copy_string(const struct custody_yaml_node *root,
	const char *key, char **out, const char *name, custody_error **err);

/*
 * The writer: libyaml's emitter, in the one style custody writes. The
 * root is a block mapping; keys, integers and true/false are plain
 * scalars, strings double-quoted, so no YAML reader can misread a value.
 * Unicode is written as is, lines never fold, breaks are "\n", and the
 * document has no "---" or "...".
 *
 * Each emit function returns 0, or CUSTODY_ENOMEM or CUSTODY_ERROR
 * (libyaml's problem) with the message in the begin call's `err`.
 */
struct custody_yaml_emitter;

/*
 * Start a document written into `buf` (emptied first), its root mapping
 * open. On success *out is the emitter, freed with
 * custody_yaml__emitter_free(); on failure *out is NULL. Either way the
 * caller disposes of `buf` (custody_buf_dispose) if it does not keep it.
 */
int custody_yaml__emit_begin(struct custody_yaml_emitter **out,
	custody_buf *buf, custody_error **err);
/* Close the root mapping and the document, and flush into the buffer. */
int custody_yaml__emit_end(struct custody_yaml_emitter *em);
/* NULL is a no-op. */
void custody_yaml__emitter_free(struct custody_yaml_emitter *em);

/* One scalar: plain (a key, an integer, true or false) or quoted. */
int custody_yaml__emit_plain(struct custody_yaml_emitter *em,
	const char *value);
int custody_yaml__emit_quoted(struct custody_yaml_emitter *em,
	const char *value);
/* key: "value" (nothing at all when value is NULL), and key: 123. */
int custody_yaml__emit_string(struct custody_yaml_emitter *em,
	const char *key, const char *value);
int custody_yaml__emit_uint(struct custody_yaml_emitter *em,
	const char *key, uint64_t value);
/* Block collections, as the value of the key emitted just before. */
int custody_yaml__emit_sequence_start(struct custody_yaml_emitter *em);
int custody_yaml__emit_sequence_end(struct custody_yaml_emitter *em);
int custody_yaml__emit_mapping_start(struct custody_yaml_emitter *em);
int custody_yaml__emit_mapping_end(struct custody_yaml_emitter *em);

/*
 * The top of one of custody's documents: a mapping holding `key`, a
 * format number equal to `format`. `subject` names the document in the
 * first message ("an entry"), `kind` says what a document without the
 * key is likely not ("a custody log entry"), `format_name` prefixes the
 * number ("entry"). 0, or CUSTODY_EINVALID at the place.
 */
int custody_yaml__check_format(const struct custody_yaml_node *root,
	const char *name, const char *subject, const char *key,
	const char *kind, const char *format_name, uint64_t format,
	custody_error **err);

#endif
