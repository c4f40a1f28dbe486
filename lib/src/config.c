/*
 * custody.yaml, the archive's policy: read through the strict reader and
 * written with the emitter of yaml.c, in the style of the entries.
 */
#include "config.h"
#include "entry_check.h"
#include "common.h"
#include "yaml.h"

#include "note.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* custody.yaml's format: 2 added the outlet key. */
#define CONFIG_FORMAT 2

static const char *const config_keys[] = { "custody-archive", "origin",
	"log_key", "digests", "store", "media_types", NULL };

/* Keys an archive made before them may lack: "media_types" came after
 * format 2 was fixed, and its absence means libmagic, as it was then. */
static int optional_key(const char *key)
{
	return strcmp(key, "media_types") == 0;
}

void custody_config__free(struct custody_config *config)
{
	if (config == NULL)
		return;
	free(config->origin);
	free(config->log_key);
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

/* The document: a mapping, in the archive format this custody reads. */
static int check_format(const struct custody_yaml_node *root,
	const char *name, custody_error **err)
{
	return custody_yaml__check_format(root, name, "custody.yaml",
		"custody-archive", "a custody policy file", "archive",
		CONFIG_FORMAT, err);
}

/* Every key known, and every one there. */
static int check_keys(const struct custody_yaml_node *root,
	const char *name, custody_error **err)
{
	for (size_t i = 0; i < root->count; i += 2) {
		const struct custody_yaml_node *key = root->items[i];
		size_t k;

		for (k = 0; config_keys[k] != NULL; k++)
			if (strlen(config_keys[k]) == key->length &&
			    memcmp(config_keys[k], key->value, key->length)
			    == 0)
				break;
		if (config_keys[k] == NULL)
			return custody_yaml__error(err, name, key, "unknown "
				"key '%.64s'", key->value);
	}
	for (size_t k = 0; config_keys[k] != NULL; k++) {
		if (!optional_key(config_keys[k]) &&
		    custody_yaml__get(root, config_keys[k]) == NULL)
			return custody_yaml__error(err, name, root, "missing "
				"'%s'", config_keys[k]);
	}
	return 0;
}

/* How registrations learn a document's media type: "libmagic" (by its
 * content) or "none" (they record none). */
static int read_media_types(const struct custody_yaml_node *root,
	int *no_media_types, const char *name, custody_error **err)
{
	const struct custody_yaml_node *n = custody_yaml__get(root,
		"media_types");
	const char *value;
	int rc;

	*no_media_types = 0;
	if (n == NULL)
		return 0;
	if ((rc = custody_yaml__string(n, &value, name, "media_types",
	    err)) != 0)
		return rc;
	if (custody_config__media_types(value, no_media_types) != 0)
		return custody_yaml__error(err, name, n, "'media_types' must "
			"be \"libmagic\" or \"none\", not \"%.32s\"", value);
	return 0;
}

int custody_config__media_types(const char *value, int *no_media_types)
{
	if (strcmp(value, "libmagic") == 0)
		*no_media_types = 0;
	else if (strcmp(value, "none") == 0)
		*no_media_types = 1;
	else
		return CUSTODY_EINVALID;
	return 0;
}

/* The outlet key: a vkey of this origin. */
static const char *check_log_key(const struct custody_config *c)
{
	struct custody_note_verifier v;
	custody_error *verr = NULL;

	if (c->log_key == NULL)
		return "is missing (the outlet key, a C2SP verifier key)";
	if (custody_note__verifier_from_vkey(&v, c->log_key,
	    strlen(c->log_key), &verr) != 0) {
		custody_error_free(verr);
		return "must be a C2SP Ed25519 verifier key \"origin+keyid+"
			"base64\"";
	}
	if (strcmp(v.name, c->origin) != 0)
		return "must be a key named by the origin";
	return NULL;
}

static int read_values(const struct custody_yaml_node *root,
	struct custody_config *config, const char *name, custody_error **err)
{
	const char *reason;
	int rc;

	if ((rc = custody_yaml__copy_string(root, "origin", &config->origin,
	    name, err)) != 0 ||
	    (rc = read_digests(custody_yaml__get(root, "digests"),
	    &config->sha512, name, err)) != 0 ||
	    (rc = custody_yaml__bool(custody_yaml__get(root, "store"),
	    &config->store, name, "store", err)) != 0 ||
	    (rc = read_media_types(root, &config->no_media_types, name,
	    err)) != 0)
		return rc;
	if ((reason = custody_entry__check_origin(config->origin)) != NULL)
		return custody_yaml__error(err, name, custody_yaml__get(root,
			"origin"), "'origin' %s", reason);
	if ((rc = custody_yaml__copy_string(root, "log_key", &config->log_key,
	    name, err)) != 0)
		return rc;
	if ((reason = check_log_key(config)) != NULL)
		return custody_yaml__error(err, name, custody_yaml__get(root,
			"log_key") ? custody_yaml__get(root, "log_key") : root,
			"'log_key' %s", reason);
	return 0;
}

int custody_config__parse(struct custody_config **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	struct custody_config *config = NULL;
	int rc;

	*out = NULL;
	if ((rc = custody_yaml__parse(&root, bytes, len,
	    CUSTODY_CONFIG_MAX_BYTES, name, err)) != 0 ||
	    (rc = check_format(root, name, err)) != 0 ||
	    (rc = check_keys(root, name, err)) != 0)
		goto cleanup;
	if ((config = calloc(1, sizeof(*config))) == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if ((rc = read_values(root, config, name, err)) != 0)
		goto cleanup;
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
	if ((reason = custody_entry__check_origin(config->origin)) != NULL) {
		rc = custody__error(err, CUSTODY_EINVALID, "custody.yaml: "
			"'origin' %s", reason);
		goto cleanup;
	}
	if ((reason = check_log_key(config)) != NULL) {
		rc = custody__error(err, CUSTODY_EINVALID, "custody.yaml: "
			"'log_key' %s", reason);
		goto cleanup;
	}
	if ((rc = custody_yaml__emit_begin(&em, out, err)) != 0 ||
	    (rc = custody_yaml__emit_uint(em, "custody-archive",
	    CONFIG_FORMAT)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "origin",
	    config->origin)) != 0 ||
	    (rc = custody_yaml__emit_string(em, "log_key",
	    config->log_key)) != 0 ||
	    (rc = custody_yaml__emit_plain(em, "digests")) != 0 ||
	    (rc = custody_yaml__emit_sequence_start(em)) != 0 ||
	    (rc = custody_yaml__emit_quoted(em, "sha256")) != 0 ||
	    (config->sha512 &&
	    (rc = custody_yaml__emit_quoted(em, "sha512")) != 0) ||
	    (rc = custody_yaml__emit_sequence_end(em)) != 0 ||
	    (rc = custody_yaml__emit_plain(em, "store")) != 0 ||
	    (rc = custody_yaml__emit_plain(em, config->store ? "true" :
	    "false")) != 0 ||
	    (rc = custody_yaml__emit_string(em, "media_types",
	    config->no_media_types ? "none" : "libmagic")) != 0 ||
	    (rc = custody_yaml__emit_end(em)) != 0)
		goto cleanup;
cleanup:
	custody_yaml__emitter_free(em);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}
