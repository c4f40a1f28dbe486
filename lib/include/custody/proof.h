/*
 * custody/proof.h - the transparency log's public face: publication
 * records, signed checkpoints, trusted time and stand-alone proofs. The
 * offline check of what these functions hand out is custody/check.h's
 * (included here).
 *
 * The log is a Merkle tree (RFC 6962) over the entries' public parts.
 * Every change carries a checkpoint (c2sp.org/tlog-checkpoint) signed by
 * the acting member as a C2SP signed note named by the archive's origin.
 * A proof file (see docs/proof-format.md) is a C2SP tlog-proof whose
 * "extra" is the entry's public part, under a header with the RFC 3161
 * timestamp token of its checkpoint when there is one, the private
 * fields the outlet chose to disclose, the publication that names the
 * document, and a message's DKIM verdict (its dkim entry).
 *
 * Thread safety: as custody/archive.h.
 */
#ifndef CUSTODY_PROOF_H
#define CUSTODY_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"
#include "custody/check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- publication ---- */

#define CUSTODY_PUBLISH_OPTIONS_VERSION 1
typedef struct custody_publish_options {
	unsigned int version;
	const char *url;          /* required: http(s) URL */
	const char *title;        /* NULL */
	const char *published;    /* "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
	const char *note;         /* NULL */
	unsigned int lock_wait_ms;
} custody_publish_options;
#define CUSTODY_PUBLISH_OPTIONS_INIT { CUSTODY_PUBLISH_OPTIONS_VERSION, \
	NULL, NULL, NULL, NULL, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_PUBLISH_OPTIONS_VERSION), as CUSTODY_PUBLISH_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_publish_options_init(
	custody_publish_options *opts, unsigned int version);

/*
 * Record that the documents at `paths` (registered, and unchanged on
 * disk since: each is rehashed and must match its latest entry) were
 * published: one publish entry, one signed commit with a new checkpoint.
 * *index_out (may be NULL) receives the entry's index, commit_out (may
 * be NULL) the commit id. Errors: CUSTODY_ENOTFOUND (a path never
 * registered), CUSTODY_EVERIFY (a file differs from its entry),
 * CUSTODY_EINVALID (URL, time), CUSTODY_ELOCKED.
 */
CUSTODY_EXTERN(int) custody_archive_publish(custody_archive *archive,
	const char *const *paths, size_t npaths,
	const custody_publish_options *opts, uint64_t *index_out,
	char commit_out[CUSTODY_COMMIT_ID_SIZE], custody_error **err);

/* One published document, for custody_archive_published. */
typedef struct custody_publication {
	uint64_t entry;           /* the publish entry */
	const char *url;
	const char *title;        /* NULL if none */
	const char *published;    /* when it was published */
	const char *recorded;     /* when the entry was made */
	const char *actor;
	uint64_t document;        /* the register entry published */
	const char *path;
	const char *sha256;
} custody_publication;

typedef int (*custody_publication_cb)(const custody_publication *p,
	void *payload);

/* Every published document, newest publication first. */
CUSTODY_EXTERN(int) custody_archive_published(custody_archive *archive,
	custody_publication_cb cb, void *payload, custody_error **err);

/* ---- checkpoints ---- */

/* The layout of custody_checkpoint_info: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_CHECKPOINT_INFO_VERSION 1
typedef struct custody_checkpoint_info {
	unsigned int struct_version; /* CUSTODY_CHECKPOINT_INFO_VERSION */
	char origin[CUSTODY_ORIGIN_SIZE];
	uint64_t size;
	char root[CUSTODY_ROOT_B64_SIZE]; /* base64, as in the checkpoint */
} custody_checkpoint_info;

/* The checkpoint at head: the signed note's bytes into note_out. */
CUSTODY_EXTERN(int) custody_archive_checkpoint(custody_archive *archive,
	custody_buf *note_out, custody_checkpoint_info *info,
	custody_error **err);

/*
 * A consistency proof from checkpoint `old_note` (an earlier checkpoint
 * of this log, as a reader saved it) to `new_note` (NULL: the checkpoint
 * at head), written to out as a text file: "custody-consistency/v1\n",
 * "old <size>\n", "new <size>\n", then one base64 hash per line. Both
 * checkpoints must be of this log (origin) and match its tree at their
 * sizes, else CUSTODY_EVERIFY.
 */
/*
 * Sign a checkpoint covering every entry so far with the outlet key (set
 * with custody_archive_set_log_key), in a commit that adds no entry and
 * that the member's key signs. CUSTODY_EEXISTS when the checkpoint at
 * head already covers every entry (nothing to sign); CUSTODY_EINVALID
 * without an outlet key; CUSTODY_EVERIFY for a key that is not the
 * archive's outlet key. *size_out (may be NULL): the checkpoint's size.
 */
CUSTODY_EXTERN(int) custody_archive_checkpoint_sign(custody_archive *archive,
	unsigned int lock_wait_ms, uint64_t *size_out, char
	commit_out[CUSTODY_COMMIT_ID_SIZE], custody_error **err);

/*
 * Rotate the outlet key to `new_key` (borrowed; keep it while the handle
 * signs): a log-key entry naming the new key and the one in force (the
 * handle's, set with custody_archive_set_log_key), signed by both, and
 * custody.yaml naming the new key, in one commit whose checkpoint the
 * new key signs. Checkpoints up to the entry's index stay the old key's;
 * when head's checkpoint does not cover every entry, the old key first
 * signs one that does (a commit of its own). The handle then signs with
 * new_key. `note` may be NULL. *index_out (may be NULL): the entry's
 * index. CUSTODY_EINVALID without the key in force or with a new key
 * that is the same; CUSTODY_EVERIFY for a handle key that is not the
 * one in force.
 */
CUSTODY_EXTERN(int) custody_archive_rotate_log_key(custody_archive *archive,
	const custody_key *new_key, const char *note,
	unsigned int lock_wait_ms, uint64_t *index_out,
	char commit_out[CUSTODY_COMMIT_ID_SIZE], custody_error **err);

CUSTODY_EXTERN(int) custody_archive_consistency(custody_archive *archive,
	const char *old_note, size_t old_len, const char *new_note,
	size_t new_len, custody_buf *out, custody_error **err);

/* ---- trusted time (RFC 3161) ---- */

/* The layout of custody_timestamp_info: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_TIMESTAMP_INFO_VERSION 1
typedef struct custody_timestamp_info {
	unsigned int struct_version; /* CUSTODY_TIMESTAMP_INFO_VERSION */
	uint64_t size;            /* the checkpoint's size */
	char time[CUSTODY_TIME_SIZE];            /* the authority's genTime */
	char authority[CUSTODY_ORIGIN_SIZE]; /* the TSA certificate's subject */
	int trusted;              /* chained to the CA file given */
	char commit[CUSTODY_COMMIT_ID_SIZE]; /* the commit that stored it */
} custody_timestamp_info;

/*
 * An RFC 3161 request (DER) for the checkpoint at head: SHA-256 of the
 * signed checkpoint file's bytes, certReq set, a random nonce. The nonce
 * is also kept in the archive's folder (custody-timestamp-request, local,
 * replaced by the next request) until a reply to it is added.
 */
CUSTODY_EXTERN(int) custody_archive_timestamp_request(
	custody_archive *archive, custody_buf *tsq_out, uint64_t *nonce_out,
	custody_error **err);

/*
 * Check a timestamp response or token (DER) for the checkpoint at head
 * and store it, with that checkpoint, as
 * timestamps/<size>.tsr and timestamps/<size>.checkpoint in one signed
 * commit. `tsa_ca`: PEM file of trusted authorities (NULL: the token is
 * checked but its authority is not; info->trusted says which). Errors:
 * The token must carry the request's nonce: `nonce`, or when it is 0 the
 * nonce of the last custody_archive_timestamp_request on this archive
 * (refused when there is none). Errors:
 * CUSTODY_EVERIFY (other data, a bad signature, no timeStamping usage,
 * a time outside the certificate, an untrusted authority, another
 * request's nonce or none), CUSTODY_EEXISTS (that checkpoint already has
 * a timestamp).
 */
CUSTODY_EXTERN(int) custody_archive_timestamp_add(custody_archive *archive,
	const void *response, size_t len, uint64_t nonce, const char *tsa_ca,
	custody_timestamp_info *info, custody_error **err);

/* Request, POST to `url` (application/timestamp-query) and add. */
CUSTODY_EXTERN(int) custody_archive_timestamp_fetch(custody_archive *archive,
	const char *url, const char *tsa_ca, custody_timestamp_info *info,
	custody_error **err);

/* ---- proofs ---- */

/*
 * The proof of document `path` (version `version`, 0: the latest),
 * at the newest timestamped checkpoint that holds it, else at head:
 * with the newest publication entry naming it and, for a registered
 * e-mail message, its newest dkim entry, each below the checkpoint's
 * size and proven in the same tree (docs/proof-format.md).
 */
CUSTODY_EXTERN(int) custody_archive_proof(custody_archive *archive,
	const char *path, uint64_t version, custody_buf *out,
	custody_error **err);

/*
 * The same, disclosing the private fields named in fields[0, nfields)
 * ("path", "actor", "note", "source", "blob", "version", "previous"):
 * the proof then carries the commitment of every private field of the
 * entry and the opening of each one named, so a reader checks the
 * values against the entry. custody_archive_proof discloses none.
 * Errors: CUSTODY_EINVALID (not a private field), CUSTODY_ENOTFOUND
 * (the entry holds no such field: no note, say).
 */
CUSTODY_EXTERN(int) custody_archive_proof_disclosing(
	custody_archive *archive, const char *path, uint64_t version,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
