/*
 * custody/check.h - the checks a fact-checker runs offline, with the
 * outlet's public key and nothing else: no archive, no network, no
 * account. A document against its proof file (custody_archive_proof),
 * two checkpoints against a consistency proof
 * (custody_archive_consistency), a disclosure of a derivative's original
 * (custody_archive_reveal). docs/proof-format.md describes the files.
 *
 * These functions need only OpenSSL and libyaml: a build with
 * -Dcheck_only=true makes them alone into libcustody-check, the small
 * verifier a fact-checker installs.
 *
 * Thread safety: every function may be called from any thread; none
 * keeps state between calls.
 */
#ifndef CUSTODY_CHECK_H
#define CUSTODY_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a document and its proof ---- */

#define CUSTODY_CHECK_OPTIONS_VERSION 2
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
	/*
	 * Version 2: a C2SP tlog-policy (c2sp.org/tlog-policy) instead of
	 * `key`: its log line for the checkpoint's origin is the outlet's
	 * key, and the checkpoint must carry valid cosignatures by its
	 * witnesses to its quorum. Cosignatures by keys the policy does not
	 * name are ignored; one by a witness it names that does not verify,
	 * or made after `now` (plus ten minutes for clocks), fails the check.
	 * NULL: no witnesses are required (those the proof carries are not
	 * looked at).
	 */
	const char *policy;
	size_t policy_len;
	/* the reader's clock, POSIX seconds; 0: the system's */
	int64_t now;
} custody_check_options;
#define CUSTODY_CHECK_OPTIONS_INIT { CUSTODY_CHECK_OPTIONS_VERSION, NULL, \
	NULL, 0, NULL, 0, NULL, NULL, 0, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_CHECK_OPTIONS_VERSION), as CUSTODY_CHECK_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_check_options_init(
	custody_check_options *opts, unsigned int version);

/* The layout of custody_check_result: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_CHECK_RESULT_VERSION 4
typedef struct custody_check_result {
	unsigned int struct_version; /* CUSTODY_CHECK_RESULT_VERSION */
	/* the step that failed ("options", "key", "file", "proof",
	 * "entry", "signature", "disclosure", "inclusion", "publication",
	 * "dkim", "dkim-verdict", "consistency", "timestamp", "policy",
	 * "cosignature"), "" when all passed */
	char failed_step[CUSTODY_STEP_SIZE];
	char origin[CUSTODY_ORIGIN_SIZE];         /* the log */
	uint64_t tree_size;       /* the checkpoint's size */
	char root[CUSTODY_ROOT_B64_SIZE];
	/* of the key that signed the checkpoint */
	char fingerprint[CUSTODY_FINGERPRINT_SIZE];
	uint64_t index;           /* the entry */
	/*
	 * The private fields the outlet disclosed, each checked against its
	 * commitment; "" (version 0, has_previous 0) for one not disclosed.
	 * `disclosed` names them ("path,actor"); `private_fields` names every
	 * private field of the entry when the proof lists them (it does when
	 * it discloses any), else it is "" and private_fields_known 0.
	 */
	char path[CUSTODY_PATH_SIZE];          /* as registered */
	uint64_t version;
	char actor[CUSTODY_ACTOR_SIZE]; /* the member who registered it */
	char note[CUSTODY_NOTE_SIZE];
	char source[CUSTODY_LABEL_SIZE];
	char blob[CUSTODY_COMMIT_ID_SIZE];
	int has_previous;
	uint64_t previous;
	char disclosed[CUSTODY_FIELDS_SIZE];
	int private_fields_known;
	char private_fields[CUSTODY_FIELDS_SIZE];
	uint64_t size;
	char sha256[CUSTODY_SHA256_HEX_SIZE];
	/* the entry's time (the outlet's clock) */
	char registered[CUSTODY_TIME_SIZE];
	/* the publication entry that names the document, proven in the
	 * same tree; published 0: registered, not recorded as published */
	int published;
	uint64_t publication;     /* its index */
	char url[CUSTODY_URL_SIZE];
	char title[CUSTODY_LABEL_SIZE];
	char published_at[CUSTODY_TIME_SIZE];
	int has_timestamp;
	int timestamp_trusted;    /* the TSA chains to tsa_ca */
	char timestamp_time[CUSTODY_TIME_SIZE];  /* genTime */
	char timestamp_authority[CUSTODY_ORIGIN_SIZE];
	int has_old_checkpoint;
	uint64_t old_size;        /* the saved checkpoint's size */
	/* a derivative: how it was made, and from which earlier entry (the
	 * original itself stays undisclosed) */
	int is_derivative;
	char derivation[CUSTODY_DERIVATION_SIZE];
	uint64_t derived_from;
	/* version 3: with a policy, the witnesses whose cosignatures on the
	 * checkpoint verify (in the policy's order), and the quorum's name */
	int has_policy;
	int quorum_met;
	char quorum[CUSTODY_ORIGIN_SIZE];
	size_t nwitnesses;          /* the policy's */
	size_t ncosigners;
	struct custody_check_cosigner {
		char name[CUSTODY_ORIGIN_SIZE];   /* as the policy names it */
		uint64_t timestamp;               /* POSIX seconds */
	} cosigners[32];
	/*
	 * version 4: an e-mail message's DKIM verdict, from the message's
	 * dkim entry that the proof carries, proven in the same tree (so
	 * bound to the checkpoint, and to its timestamp when there is
	 * one). has_dkim 0: the proof carries none. is_message: the entry's
	 * media type is a message/ one, or the file checked is named
	 * *.eml (any case), as `custody add --dkim` takes messages.
	 */
	int is_message;
	int has_dkim;
	uint64_t dkim_entry;               /* its index */
	char dkim_verdict[16];             /* "pass", "weak", "fail", ... */
	char dkim_observed[CUSTODY_TIME_SIZE]; /* when the keys were seen */
	char dkim_resolver[64];            /* the DNS server asked, or "-" */
	/* 1: the message was verified again here, against the key records
	 * the entry carries, at its observation time, and gave the
	 * recorded verdict; 0: this build has no DKIM verifier (the
	 * check-only build), or no file was checked */
	int dkim_reverified;
	size_t ndkim_signatures;
	struct custody_check_dkim_signature {
		char domain[256];
		char selector[128];
		char algorithm[32];            /* "rsa-sha256", "ed25519-sha256" */
		char result[16];               /* as recorded */
		char key_source[8];            /* "dns", "file", "-" */
		char key_dnssec[8];            /* "ad", "no", "-" */
		long key_bits;                 /* -1: not known */
	} dkim_signatures[16];
} custody_check_result;

/*
 * Check that the file at `file_path` is the document of the proof: its
 * SHA-256 and size are the entry's, the entry hashes to the leaf, the
 * leaf is in the tree, the tree's checkpoint is signed by opts->key, the
 * publication and the dkim entry the proof carries (if any) are of this
 * document and in the same tree, the message verified again gives the
 * dkim entry's verdict (in a build with libopendkim; the check-only
 * library shows the recorded verdict, result->dkim_reverified 0), the
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

/* ---- a disclosure of a derivative's original ---- */

/* The layout of custody_reveal_result: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_REVEAL_RESULT_VERSION 1
typedef struct custody_reveal_result {
	unsigned int struct_version; /* CUSTODY_REVEAL_RESULT_VERSION */
	char failed_step[CUSTODY_STEP_SIZE];
	uint64_t derivative, original;  /* entry indexes */
	char derivative_path[CUSTODY_PATH_SIZE];
	char original_path[CUSTODY_PATH_SIZE];
	char derivation[CUSTODY_DERIVATION_SIZE];
	char original_sha256[CUSTODY_SHA256_HEX_SIZE];
	char origin[CUSTODY_ORIGIN_SIZE];
	uint64_t tree_size;
	int original_file_checked;
} custody_reveal_result;

/*
 * Check a disclosure offline with the outlet's key (as custody_check):
 * both proofs hold under one checkpoint, the derivative's entry links to
 * the original's entry (index and leaf hash), and, when given, the files
 * are the documents their entries describe. 0 or CUSTODY_EVERIFY /
 * CUSTODY_EINVALID with result->failed_step set.
 */
CUSTODY_EXTERN(int) custody_reveal_check(const char *reveal, size_t len,
	const char *key, const char *original_file,
	const char *derivative_file, custody_reveal_result *result,
	custody_error **err) CUSTODY_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
