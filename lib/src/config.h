/*
 * The archive's policy file, custody.yaml, at the root of every commit
 * (see schemas/custody.schema.yaml): the log's origin name and outlet
 * key, the digests
 * each registration records, whether content is stored by default and
 * whether registrations record a media type.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_CONFIG_H
#define CUSTODY_SRC_CONFIG_H

#include "custody/common.h"

/* custody.yaml is a handful of lines. */
#define CUSTODY_CONFIG_MAX_BYTES (16 * 1024)

struct custody_config {
	char *origin;      /* the log's origin name (printable ASCII) */
	char *log_key;     /* the outlet key at genesis: a C2SP vkey of
			    * the origin; later ones are log-key entries */
	int sha512;        /* 1 when registrations also record SHA-512 */
	int store;         /* 1 when content is stored by default */
	int no_media_types; /* 1: entries record no media type
			     * ("media_types: none"); 0: libmagic's */
};

/*
 * Parse and validate custody.yaml. `name` prefixes every error message,
 * with line:column where there is one. On success *out is a new config
 * the caller frees with custody_config__free().
 * Errors: CUSTODY_EINVALID (with the reason), CUSTODY_ENOMEM.
 */
int custody_config__parse(struct custody_config **out, const char *bytes,
	size_t len, const char *name, custody_error **err);

/*
 * Write custody.yaml into *out (the caller disposes of it with
 * custody_buf_dispose); it parses back to an equal config.
 * Errors: CUSTODY_EINVALID (no origin, or a bad one), CUSTODY_ENOMEM.
 */
int custody_config__emit(custody_buf *out,
	const struct custody_config *config, custody_error **err);

/*
 * The policy of a "media_types" value: "libmagic" sets *no_media_types
 * to 0, "none" to 1; anything else is CUSTODY_EINVALID.
 */
int custody_config__media_types(const char *value, int *no_media_types);

/* NULL is a no-op. */
void custody_config__free(struct custody_config *config);

#endif
