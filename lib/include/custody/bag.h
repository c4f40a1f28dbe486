/*
 * custody/bag.h - BagIt bags (RFC 8493): validating any bag, and
 * handing a collection over as one. docs/bagit.md says what a bag made
 * by custody holds and what each check means.
 *
 * Thread safety: the functions may be called from any thread; a call
 * spreads its hashing over threads of its own and calls the callbacks
 * on the calling thread only.
 */
#ifndef CUSTODY_BAG_H
#define CUSTODY_BAG_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How bad a problem found in a bag is. */
typedef enum {
	CUSTODY_BAG_ERROR = 1,  /* the bag is not complete, or not valid */
	CUSTODY_BAG_WARNING = 2 /* valid, but a SHOULD is broken or a name
				 * would collide on some file systems */
} custody_bag_severity;

/* One problem, as custody_bag_validate reports it; every pointer is
 * borrowed and lives until the callback returns. */
typedef struct custody_bag_problem {
	custody_bag_severity severity;
	/* the file the problem is in or about, relative to the bag
	 * ("bagit.txt", "manifest-sha256.txt", "data/a.pdf") */
	const char *file;
	size_t line;            /* its line, from 1; 0: the whole file */
	/* the payload or tag file the line names (decoded), or NULL */
	const char *path;
	/* the RFC 8493 section whose rule is broken ("2.1.3", "3") */
	const char *section;
	const char *message;    /* one line, no trailing newline */
} custody_bag_problem;

/* Called once per problem, in a fixed order (the order of the checks,
 * then of the files); a non-zero return stops the reporting. */
typedef int (*custody_bag_problem_cb)(const custody_bag_problem *problem,
	void *payload);

#define CUSTODY_BAG_VALIDATE_OPTIONS_VERSION 2
typedef struct custody_bag_validate_options {
	unsigned int version;
	/* 1: take manifest and fetch.txt paths as written, with no
	 * percent-decoding at all (bags from tools that wrote raw names);
	 * 0: decode %0D, %0A and %25 (and only those), as RFC 8493 says */
	int legacy_encoding;
	/* hashing threads; 0: one per core */
	unsigned int threads;
	custody_bag_problem_cb problem;
	void *payload;
	/*
	 * The custody tag files (custody/checkpoint, custody/proofs/...), if
	 * the bag has them, are checked as `custody check` checks a proof:
	 * against this outlet key (C2SP verifier key or "ssh-ed25519" line)
	 * or this witness policy. Both NULL: they are checked as tag files
	 * (listed, digests) only, and a notice says so.
	 */
	const char *key;
	const char *policy;
	size_t policy_len;
	/* (version 2) the hashing's progress ("hashing": files and bytes
	 * of those the manifests list), with `payload`; NULL: none */
	custody_progress_cb progress;
} custody_bag_validate_options;
#define CUSTODY_BAG_VALIDATE_OPTIONS_INIT \
	{ CUSTODY_BAG_VALIDATE_OPTIONS_VERSION, 0, 0, NULL, NULL, NULL, \
	  NULL, 0, NULL }

/* What custody_bag_validate found, besides the problems. */
#define CUSTODY_BAG_SUMMARY_VERSION 1
typedef struct custody_bag_summary {
	unsigned int struct_version;  /* CUSTODY_BAG_SUMMARY_VERSION */
	char bagit_version[16];       /* "1.0"; "" if bagit.txt is unread */
	char encoding[32];            /* Tag-File-Character-Encoding */
	/* the payload manifests' algorithms, "sha256,sha512" */
	char algorithms[64];
	char tag_algorithms[64];      /* the tag manifests' */
	uint64_t payload_files;       /* present in data/ */
	uint64_t payload_bytes;
	uint64_t fetch_missing;       /* listed in fetch.txt, not present */
	size_t errors, warnings;
	int complete, valid;          /* RFC 8493 section 3 */
	/* custody tag files: 1 present, and with proofs checked (2) */
	int custody_files;
	size_t proofs_checked;
} custody_bag_summary;

/*
 * Validate the bag in the folder `bag` per RFC 8493: complete (section
 * 3: bagit.txt, data/, a payload manifest, every listed file present,
 * every payload file listed in every payload manifest) and valid (every
 * digest of every payload and tag manifest, in md5, sha1, sha224,
 * sha256, sha384 or sha512), with Payload-Oxum, fetch.txt, paths and
 * tag-file encoding checked on the way. Every problem is reported to
 * opts->problem, not only the first; `out` (may be NULL) is filled.
 *
 * Returns 0 when the bag is valid (warnings allowed), CUSTODY_EVERIFY
 * when it is not (every reason reported), or another error code when
 * the validation itself could not run (CUSTODY_ENOTFOUND: no such
 * folder; CUSTODY_ENOMEM; CUSTODY_EINVALID: bad options), with *err set.
 */
CUSTODY_EXTERN(int) custody_bag_validate(const char *bag,
	const custody_bag_validate_options *opts, custody_bag_summary *out,
	custody_error **err) CUSTODY_WARN_UNUSED;

/* ---- export ---- */

#define CUSTODY_BAG_EXPORT_OPTIONS_VERSION 2
typedef struct custody_bag_export_options {
	unsigned int version;
	/* hard-link payload files from the collection instead of copying
	 * them, where the file system allows (content not stored in the
	 * archive only; each is still read and checked) */
	int link;
	/*
	 * A holey bag: no payload is copied; fetch.txt lists each file as
	 * fetch_base followed by its path under data/ (percent-encoded as
	 * the manifests are), its length and its path. The SHA-512 manifest
	 * is written when every entry recorded a SHA-512. NULL: every file
	 * is copied, and one that is neither stored nor in the collection
	 * as registered fails the export.
	 */
	const char *fetch_base;
	/* the collection as it stood when the log had `at` entries (a
	 * checkpoint's size): each document's latest version among them;
	 * 0: at head */
	uint64_t at;
	/* (version 2) progress ("copying" the payload, then "proving":
	 * one custody proof per file), with `payload`; NULL: none */
	custody_progress_cb progress;
	void *payload;
} custody_bag_export_options;
#define CUSTODY_BAG_EXPORT_OPTIONS_INIT \
	{ CUSTODY_BAG_EXPORT_OPTIONS_VERSION, 0, NULL, 0, NULL, NULL }

#define CUSTODY_BAG_EXPORT_SUMMARY_VERSION 1
typedef struct custody_bag_export_summary {
	unsigned int struct_version;
	uint64_t files;        /* copied into data/ */
	uint64_t holes;        /* listed in fetch.txt */
	uint64_t bytes;        /* of the whole payload */
	uint64_t proofs;       /* custody/proofs/... written */
	uint64_t tree_size;    /* of the checkpoint in custody/checkpoint */
	char origin[CUSTODY_ORIGIN_SIZE];
} custody_bag_export_summary;

/*
 * Make the bag `out` (a folder that must not exist) of the registered
 * documents at `paths` (registered paths or folders of them; none: every
 * document), each at its latest version (or its latest among the first
 * opts->at entries): bagit.txt (1.0, UTF-8), data/
 * with the payload, manifest-sha256.txt and manifest-sha512.txt (both
 * computed in the one pass that copies a file, which is checked against
 * its entry's SHA-256 and size as it is copied), bag-info.txt
 * (Source-Organization: the log's origin, Bagging-Date, Payload-Oxum,
 * Bag-Software-Agent, External-Identifier: ORIGIN/SIZE of the
 * checkpoint), custody/checkpoint (the signed checkpoint at head),
 * custody/proofs/PATH.proof for each payload file (custody_archive_proof),
 * and tagmanifest-sha256.txt and tagmanifest-sha512.txt over every tag
 * file. The bag is made beside `out` and renamed to it when all of it is
 * synced: on failure nothing is left at `out`.
 *
 * Errors: CUSTODY_EEXISTS (out exists), CUSTODY_ENOTFOUND (a path holds
 * no registered document; a file neither stored nor in the collection,
 * with CUSTODY_HINT_NOT_STORED), CUSTODY_EVERIFY (content that is not
 * what its entry registered), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_bag_export(custody_archive *archive,
	const char *out, const char *const *paths, size_t npaths,
	const custody_bag_export_options *opts,
	custody_bag_export_summary *summary, custody_error **err)
	CUSTODY_WARN_UNUSED;

/* ---- import ---- */

#define CUSTODY_BAG_IMPORT_OPTIONS_VERSION 2
typedef struct custody_bag_import_options {
	unsigned int version;
	/* the collection folder the payload goes in (data/x becomes
	 * INTO/x); NULL: the collection's top */
	const char *into;
	int legacy_encoding;      /* as custody_bag_validate's */
	unsigned int threads;     /* 0: one per core */
	/* the validation's problems, as custody_bag_validate reports them */
	custody_bag_problem_cb problem;
	void *payload;
	int store;                /* -1: archive policy, 0: hashes, 1 */
	unsigned int lock_wait_ms;
	/* (version 2) progress ("hashing" the bag, "copying" its payload,
	 * then add's own phases), with `payload`; NULL: none */
	custody_progress_cb progress;
} custody_bag_import_options;
#define CUSTODY_BAG_IMPORT_OPTIONS_INIT \
	{ CUSTODY_BAG_IMPORT_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL, -1, 0, \
	  NULL }

#define CUSTODY_BAG_IMPORT_SUMMARY_VERSION 1
typedef struct custody_bag_import_summary {
	unsigned int struct_version;
	uint64_t files;               /* payload files */
	uint64_t registered, new_versions;
	uint64_t events;              /* `received` events recorded */
	char commit[CUSTODY_COMMIT_ID_SIZE];
	/* what names the bag in each event's note: the manifest (a tag
	 * manifest when the bag has one) and its SHA-256, and bag-info.txt's
	 * Bagging-Date and Source-Organization ("" when absent) */
	char manifest[64];
	char manifest_sha256[CUSTODY_SHA256_HEX_SIZE];
	char bagging_date[64];
	char source[CUSTODY_LABEL_SIZE];
} custody_bag_import_summary;

/*
 * Take in the bag `bag`: validate it (custody_bag_validate; an invalid
 * bag is CUSTODY_EVERIFY and imports nothing), copy its payload into the
 * collection (data/PATH to INTO/PATH), and register every file with a
 * `received` event naming the bag (from: its Source-Organization; note:
 * the manifest's SHA-256 and the Bagging-Date), documents and events in
 * one commit. Every destination is checked against the path rules of
 * custody_archive_add, and must not exist yet, before anything is
 * copied; a failure after copying removes the files it copied and the
 * folders it made for them (deepest first; only those it made).
 *
 * Errors: CUSTODY_EVERIFY (not a valid bag), CUSTODY_EINVALID (a name
 * the path rules refuse; an empty payload), CUSTODY_EEXISTS (a
 * destination exists), and those of custody_archive_add.
 */
CUSTODY_EXTERN(int) custody_bag_import(custody_archive *archive,
	const char *bag, const custody_bag_import_options *opts,
	custody_bag_import_summary *summary, custody_error **err)
	CUSTODY_WARN_UNUSED;

/* ---- holey bags ---- */

/* The most one fetched file may bring by default, as custody fetch. */
#define CUSTODY_BAG_FETCH_MAX_BYTES_DEFAULT ((uint64_t)16 << 30)

#define CUSTODY_BAG_FETCH_OPTIONS_VERSION 2
typedef struct custody_bag_fetch_options {
	unsigned int version;
	/* file:// URLs too (refused by default: a bag from elsewhere must
	 * not make custody read local files) */
	int allow_file;
	int legacy_encoding;      /* as custody_bag_validate's */
	/* with either, each fetched file must pass its custody proof
	 * (custody/proofs/PATH.proof, as custody_check) before it is put in
	 * data/ */
	const char *key;
	const char *policy;
	size_t policy_len;
	/* each file not fetched, and why */
	custody_bag_problem_cb problem;
	void *payload;
	/* (version 2) the most one file may bring, whatever fetch.txt
	 * gives (a length of "-" gives none): a download past it is
	 * stopped, and a file listed as longer is not fetched; 0:
	 * CUSTODY_BAG_FETCH_MAX_BYTES_DEFAULT */
	uint64_t max_bytes;
	/* (version 2) progress ("fetching": files of those missing, and
	 * bytes of the lengths fetch.txt gives), with `payload`; NULL: none */
	custody_progress_cb progress;
} custody_bag_fetch_options;
#define CUSTODY_BAG_FETCH_OPTIONS_INIT \
	{ CUSTODY_BAG_FETCH_OPTIONS_VERSION, 0, 0, NULL, NULL, 0, NULL, NULL, \
	  0, NULL }

#define CUSTODY_BAG_FETCH_SUMMARY_VERSION 1
typedef struct custody_bag_fetch_summary {
	unsigned int struct_version;
	size_t fetched;           /* put in data/ */
	size_t present;           /* there already, left alone */
	size_t failed;            /* reported to the problem callback */
	uint64_t bytes;
} custody_bag_fetch_summary;

/*
 * Complete a holey bag: every file fetch.txt lists that the bag lacks is
 * downloaded (http and https, redirects to those only; file:// with
 * allow_file) to a temporary file in the bag, checked against the length
 * fetch.txt gives, against every payload manifest that lists it (a file
 * no manifest lists is not fetched), and with a key against its custody
 * proof, and only then linked into data/ (never over a file). Files
 * already there are left alone. Returns 0 when every file is there,
 * CUSTODY_EVERIFY when some could not be fetched (each reported), or
 * another error code (the bag cannot be read or written).
 */
CUSTODY_EXTERN(int) custody_bag_fetch(const char *bag,
	const custody_bag_fetch_options *opts,
	custody_bag_fetch_summary *summary, custody_error **err)
	CUSTODY_WARN_UNUSED;

/*
 * Encode a file path for a manifest or fetch.txt line (RFC 8493 2.1.3):
 * CR, LF and '%' as %0D, %0A and %25, every other byte as it is. `out`
 * receives it, NUL-terminated (free it with custody_buf_dispose).
 * 0 or CUSTODY_ENOMEM.
 */
CUSTODY_EXTERN(int) custody_bag_encode_path(custody_buf *out,
	const char *path, custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
