/*
 * Entries as YAML: read through the strict reader and written with the
 * emitter of yaml.c. Both ways run the same checks (entry_check.c), so
 * custody never writes what it would refuse to read.
 */
#include "entry.h"
#include "entry_check.h"
#include "common.h"
#include "path.h"
#include "yaml.h"
#include "fsutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int read_action(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root, "action");
	custody_member_action *out = &e->action;
	const char *value;
	int rc;

	*out = 0;
	if (e->type == CUSTODY_ENTRY_EVENT)
		return read_choice(root, "action",
			custody_entry__check_event_action, &e->event_action,
			name, err);
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
		return custody__oom(err);
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
			return custody__oom(err);
		e->ndocuments = i + 1;
	}
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
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "log_key", &e->log_key,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "previous_log_key",
	    &e->previous_log_key, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "old_signature",
	    &e->old_signature, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "new_signature",
	    &e->new_signature, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "policy", &e->policy, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "private",
	    &e->private_commitment, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "opening", &e->opening,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "leaf", &e->private_leaf,
	    name, err)) != 0)
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
static int read_member(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = custody_yaml__copy_string(root, "note", &e->note, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "member", &e->member, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "key", &e->key, name,
	    err)) != 0 ||
	    (rc = read_action(root, e, name, err)) != 0)
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
	    (rc = read_choice(root, "derivation",
	    custody_entry__check_derivation, &e->derivation, name,
	    err)) != 0)
		return rc;
	return 0;
}

static int read_dkim(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_uint(root, "message", &e->message, NULL, name,
	    err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "message_leaf",
	    &e->message_leaf, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "verdict", &e->verdict,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "observed", &e->observed,
	    name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "evidence",
	    &e->dkim_evidence, name, err)) != 0)
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

static int read_fields(const struct custody_yaml_node *root,
	struct custody_entry *e, const char *name, custody_error **err)
{
	int rc;

	if ((rc = read_common(root, e, name, err)) != 0 ||
	    (rc = read_registration(root, e, name, err)) != 0 ||
	    (rc = read_member(root, e, name, err)) != 0 ||
	    (rc = read_event(root, e, name, err)) != 0 ||
	    (rc = read_derivation(root, e, name, err)) != 0 ||
	    (rc = read_publication(root, e, name, err)) != 0 ||
	    (rc = read_dkim(root, e, name, err)) != 0 ||
	    (rc = custody_yaml__copy_string(root, "skipped", &e->skipped,
	    name, err)) != 0)
		return rc;
	return 0;
}

/* The document: a mapping, in the entry format this custody reads. */
static int check_format(const struct custody_yaml_node *root,
	const char *name, custody_error **err)
{
	return custody_yaml__check_format(root, name, "an entry",
		"custody-entry", "a custody log entry", "entry",
		CUSTODY_ENTRY_FORMAT, err);
}

/* The type named under 'type' (the types are numbered from genesis to
 * derive). */
static int read_type(const struct custody_yaml_node *root,
	custody_entry_type *out, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root, "type");
	const char *type;
	int rc;

	*out = (custody_entry_type)0;
	if (n == NULL)
		return custody_yaml__error(err, name, root, "missing 'type'");
	if ((rc = custody_yaml__string(n, &type, name, "type", err)) != 0)
		return rc;
	for (int t = CUSTODY_ENTRY_GENESIS; t <= CUSTODY_ENTRY_DKIM; t++) {
		if (strcmp(type, custody_entry__type_name(
		    (custody_entry_type)t)) == 0) {
			*out = (custody_entry_type)t;
			return 0;
		}
	}
	return custody_yaml__error(err, name, n, "'type' %s, not \"%.64s\"",
		CUSTODY_ENTRY_TYPE_NAMES, type);
}

int custody_entry__parse(struct custody_entry **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	struct custody_entry *e = NULL;
	custody_entry_type type;
	int rc;

	*out = NULL;
	if ((rc = custody_yaml__parse(&root, bytes, len,
	    CUSTODY_ENTRY_MAX_BYTES, name, err)) != 0 ||
	    (rc = check_format(root, name, err)) != 0 ||
	    (rc = read_type(root, &type, name, err)) != 0 ||
	    (rc = custody_entry__check_keys(root, type, 0, name, err)) != 0)
		goto cleanup;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	e->type = type;
	if ((rc = read_fields(root, e, name, err)) != 0 ||
	    (rc = custody_entry__check(e, root, name, err)) != 0)
		goto cleanup;
	*out = e;
	e = NULL;
cleanup:
	custody_entry__free(e);
	custody_yaml__free(root);
	return rc;
}

int custody_entry__parse_private(struct custody_entry **out,
	struct custody_yaml_node **root_out, const struct custody_entry *entry,
	const char *bytes, size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	struct custody_entry *e = NULL;
	int rc;

	*out = NULL;
	if (root_out != NULL)
		*root_out = NULL;
	if ((rc = custody_yaml__parse(&root, bytes, len,
	    CUSTODY_ENTRY_MAX_BYTES, name, err)) != 0 ||
	    (rc = custody_yaml__check_format(root, name, "a private part",
	    "custody-private", "the private part of a custody log entry",
	    "private part", CUSTODY_PRIVATE_FORMAT, err)) != 0 ||
	    (rc = custody_entry__check_keys(root, entry->type, 1, name, err))
	    != 0)
		goto cleanup;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	e->type = entry->type;
	if ((rc = read_fields(root, e, name, err)) != 0)
		goto cleanup;
	*out = e;
	e = NULL;
	if (root_out != NULL) {
		*root_out = root;
		root = NULL;
	}
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

/* A register entry's public fields, which a derive entry holds too. */
static int emit_registration(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_uint(em, "size", e->size)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "sha256", e->sha256)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "sha512", e->sha512)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "media_type",
	    e->media_type)) != 0)
		return rc;
	if (e->type != CUSTODY_ENTRY_DERIVE)
		return 0;
	/* the original, by index and leaf hash */
	if ((rc = custody_yaml__emit_uint(em, "derived_from",
	    e->derived_from)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "original_leaf",
	    e->original_leaf)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "derivation",
	    e->derivation)) != 0)
		return rc;
	return 0;
}

/* The fields every public part begins with. */
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
	    (rc = custody_yaml__emit_string(em, "salt", e->salt)) != 0)
		return rc;
	return 0;
}

/* genesis: the origin and the outlet key; log-key: the new outlet key,
 * the old one and both signatures. */
static int emit_log_key(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_string(em, "origin", e->origin)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "log_key", e->log_key)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "previous_log_key",
	    e->previous_log_key)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "old_signature",
	    e->old_signature)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "new_signature",
	    e->new_signature)) != 0)
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

/* The message by index and leaf hash, the verdict, the evidence. */
static int emit_dkim(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	int rc;

	if ((rc = custody_yaml__emit_uint(em, "message", e->message)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "message_leaf",
	    e->message_leaf)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "verdict", e->verdict)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "observed", e->observed))
	    != 0 ||
	    (rc = custody_yaml__emit_string(em, "evidence",
	    e->dkim_evidence)) != 0)
		return rc;
	return 0;
}

/* The public fields of the entry's own type, between the common ones
 * and the commitment. */
static int emit_typed(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	switch (e->type) {
	case CUSTODY_ENTRY_GENESIS:
	case CUSTODY_ENTRY_LOG_KEY:
		return emit_log_key(em, e);
	case CUSTODY_ENTRY_MEMBER:
	case CUSTODY_ENTRY_SKIP:
		return 0;
	case CUSTODY_ENTRY_POLICY:
		return custody_yaml__emit_string(em, "policy", e->policy);
	case CUSTODY_ENTRY_PUBLISH:
		return emit_publication(em, e);
	case CUSTODY_ENTRY_EVENT:
		return custody_yaml__emit_string(em, "sha256", e->sha256);
	case CUSTODY_ENTRY_DKIM:
		return emit_dkim(em, e);
	default:
		return emit_registration(em, e);
	}
}

int custody_entry__emit(custody_buf *out, const struct custody_entry *entry,
	custody_error **err)
{
	struct custody_yaml_emitter *em = NULL;
	char name[48], commitment[65];
	int rc;

	out->ptr = NULL;
	out->size = 0;
	snprintf(name, sizeof(name), "entry %" PRIu64, entry->index);
	if ((rc = custody_entry__check(entry, NULL, name, err)) != 0 ||
	    (rc = custody_entry__private_hex(entry, commitment, err)) != 0 ||
	    (rc = custody_yaml__emit_begin(&em, out, err)) != 0 ||
	    (rc = emit_common(em, entry)) != 0 ||
	    (rc = emit_typed(em, entry)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "private", commitment)) != 0 ||
	    (rc = custody_yaml__emit_end(em)) != 0)
		goto cleanup;
cleanup:
	custody_yaml__emitter_free(em);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}

/* The private fields, in the order of the entry keys. */
static int emit_private_fields(struct custody_yaml_emitter *em,
	const struct custody_entry *e)
{
	const char *action = e->type == CUSTODY_ENTRY_EVENT ? e->event_action :
		e->action == CUSTODY_MEMBER_ADD ? "add" :
		e->action == CUSTODY_MEMBER_REVOKE ? "revoke" : NULL;
	int registers = custody_entry__registers(e), rc;

	if ((rc = custody_yaml__emit_string(em, "actor", e->actor)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "action", action)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "member", e->member)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "key", e->key)) != 0 ||
	    (e->type == CUSTODY_ENTRY_EVENT && (rc = custody_yaml__emit_uint(
	    em, "document", e->document)) != 0) ||
	    (rc = custody_yaml__emit_string(em, "path", e->path)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "blob", e->blob)) != 0 ||
	    (registers && (rc = custody_yaml__emit_uint(em, "version",
	    e->version)) != 0) ||
	    (e->has_previous && (rc = custody_yaml__emit_uint(em,
	    "previous", e->previous)) != 0) ||
	    (rc = custody_yaml__emit_string(em, "source", e->source)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "from", e->from)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "to", e->to)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "at", e->at)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "backdate_reason",
	    e->backdate_reason)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "skipped", e->skipped))
	    != 0 ||
	    (rc = custody_yaml__emit_string(em, "note", e->note)) != 0)
		return rc;
	return 0;
}

int custody_entry__emit_private(custody_buf *out,
	const struct custody_entry *entry, const unsigned char leaf[32],
	custody_error **err)
{
	struct custody_yaml_emitter *em = NULL;
	char name[48], leaf_hex[65];
	int rc;

	out->ptr = NULL;
	out->size = 0;
	snprintf(name, sizeof(name), "entry %" PRIu64, entry->index);
	custody_hex(leaf_hex, leaf, 32);
	if ((rc = custody_entry__check(entry, NULL, name, err)) != 0 ||
	    (rc = custody_yaml__emit_begin(&em, out, err)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "custody-private",
	    CUSTODY_PRIVATE_FORMAT)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "index", entry->index)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "leaf", leaf_hex)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "opening",
	    entry->opening)) != 0 ||
	    (rc = emit_private_fields(em, entry)) != 0 ||
	    (rc = custody_yaml__emit_end(em)) != 0)
		goto cleanup;
cleanup:
	custody_yaml__emitter_free(em);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}
