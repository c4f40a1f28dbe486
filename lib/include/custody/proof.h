/*
 * custody/proof.h - the transparency log's public face: publication
 * records, signed checkpoints, stand-alone proofs and the offline check.
 *
 * The log is a Merkle tree (RFC 6962) over the entries' exact bytes.
 * Every change carries a checkpoint (c2sp.org/tlog-checkpoint) signed by
 * the acting member as a C2SP signed note named by the archive's origin.
 * A proof file (see docs/proof-format.md) is a C2SP tlog-proof whose
 * "extra" is the entry's bytes, wrapped with the RFC 3161 timestamp
 * token of its checkpoint when there is one. custody_check needs no
 * archive and no network.
 *
 * Thread safety: as custody/archive.h; custody_check keeps no state.
 */
#ifndef CUSTODY_PROOF_H
#define CUSTODY_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"

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
	char commit_out[41], custody_error **err);

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

typedef struct custody_checkpoint_info {
	char origin[256];
	uint64_t size;
	char root[45];            /* base64, as in the checkpoint */
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
CUSTODY_EXTERN(int) custody_archive_consistency(custody_archive *archive,
	const char *old_note, size_t old_len, const char *new_note,
	size_t new_len, custody_buf *out, custody_error **err);

/* ---- trusted time (RFC 3161) ---- */

typedef struct custody_timestamp_info {
	uint64_t size;            /* the checkpoint's size */
	char time[32];            /* the authority's genTime */
	char authority[256];      /* the TSA certificate's subject */
	int trusted;              /* chained to the CA file given */
	char commit[41];          /* the commit that stored it */
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
 * at the newest timestamped checkpoint that holds it, else at head.
 */
CUSTODY_EXTERN(int) custody_archive_proof(custody_archive *archive,
	const char *path, uint64_t version, custody_buf *out,
	custody_error **err);

/* ---- the offline check ---- */

#define CUSTODY_CHECK_OPTIONS_VERSION 1
typedef struct custody_check_options {
	unsigned int version;
	/* The outlet's key: a C2SP verifier key or an "ssh-ed25519" line
	 * (then named by the checkpoint's origin). Required. */
	const char *key;
	/* A checkpoint the reader saved earlier (signed note) and the
	 * consistency proof from it to the proof's checkpoint (or the
	 * other way round when the saved one is newer); NULL for none. */
	const char *old_checkpoint;
	size_t old_checkpoint_len;
	const char *consistency;
	size_t consistency_len;
	/* PEM file of the timestamp authorities' CA certificates to trust;
	 * NULL: a token is checked but its authority is not trusted. */
	const char *tsa_ca;
} custody_check_options;
#define CUSTODY_CHECK_OPTIONS_INIT { CUSTODY_CHECK_OPTIONS_VERSION, NULL, \
	NULL, 0, NULL, 0, NULL }

typedef struct custody_check_result {
	/* the step that failed ("file", "proof", "entry", "signature",
	 * "inclusion", "consistency", "timestamp"), "" when all passed */
	char failed_step[16];
	char origin[256];         /* the log */
	uint64_t tree_size;       /* the checkpoint's size */
	char root[45];
	char fingerprint[64];     /* of the key that signed the checkpoint */
	uint64_t index;           /* the entry */
	char path[4097];          /* as registered */
	uint64_t version;
	uint64_t size;
	char sha256[65];
	char registered[32];      /* the entry's time (the outlet's clock) */
	char actor[257];          /* the member who registered it */
	int has_timestamp;
	int timestamp_trusted;    /* the TSA chains to tsa_ca */
	char timestamp_time[32];  /* genTime */
	char timestamp_authority[256];
	int has_old_checkpoint;
	uint64_t old_size;        /* the saved checkpoint's size */
	/* a derivative: how it was made, and from which earlier entry (the
	 * original itself stays undisclosed) */
	int is_derivative;
	char derivation[32];
	uint64_t derived_from;
} custody_check_result;

/*
 * Check that the file at `file_path` is the document of the proof: its
 * SHA-256 and size are the entry's, the entry hashes to the leaf, the
 * leaf is in the tree, the tree's checkpoint is signed by opts->key, the
 * saved checkpoint (if any) is consistent with it, and the timestamp (if
 * any) covers the checkpoint. 0 when every check passes; else
 * CUSTODY_EVERIFY (a check failed) or CUSTODY_EINVALID (a malformed
 * proof or key), with result->failed_step set and the message naming
 * the step. Two validly signed, inconsistent checkpoints are reported
 * as evidence of a fork.
 */
CUSTODY_EXTERN(int) custody_check(const char *file_path, const char *proof,
	size_t proof_len, const custody_check_options *opts,
	custody_check_result *result, custody_error **err)
	CUSTODY_WARN_UNUSED;

/*
 * Check two checkpoints of one log against each other with a
 * consistency proof (custody_archive_consistency's output): both signed
 * by `key`, same origin, the proof holds. Inconsistent but validly
 * signed checkpoints are CUSTODY_EVERIFY with a message beginning
 * "evidence of a fork:".
 */
CUSTODY_EXTERN(int) custody_consistency_check(const char *old_note,
	size_t old_len, const char *new_note, size_t new_len,
	const char *consistency, size_t consistency_len, const char *key,
	custody_error **err) CUSTODY_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
