/*
 * custody/archive.h - an archive: the record of a document collection.
 *
 * The archive is a bare git repository (normally <collection>/.custody).
 * Every change is one commit on refs/heads/main, signed (SSHSIG in the
 * gpgsig header, as git does with SSH keys) by the member who made it,
 * whose tree holds custody.yaml, the members' keys
 * (members/allowed_signers), the log of entries
 * (log/NNN/NNN/NNNNNNNNN.yaml) and the stored content
 * (documents/<path>). Local-only state (the lock, the
 * stat cache in cache/) lives beside it and never enters a commit.
 *
 * Thread safety: an archive handle is used by one thread at a time;
 * different handles (even on one archive) may be used at once, and the
 * archive lock serialises changes between processes.
 */
#ifndef CUSTODY_ARCHIVE_H
#define CUSTODY_ARCHIVE_H

#include <stdint.h>
#include "custody/common.h"
#include "custody/entry.h"
#include "custody/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custody_archive custody_archive;

/*
 * Progress of long work: `done` of `total` files and `bytes` of
 * `bytes_total` bytes so far in `phase` ("scanning", "hashing",
 * "checking"). Called from the calling thread, at most ~10 times a second.
 */
typedef void (*custody_progress_cb)(const char *phase, uint64_t done,
	uint64_t total, uint64_t bytes, uint64_t bytes_total, void *payload);

/* Something the caller should know that is not an error (a stale lock
 * taken over, a skipped folder). */
typedef void (*custody_notice_cb)(const char *message, void *payload);

/* A path refused by add (and why); add then records nothing, or with
 * skip_refused leaves it out and records it in a skip entry. */
typedef void (*custody_refused_cb)(const char *path, const char *reason,
	void *payload);

/* The reason add gives (this very text) when a stored file and a
 * stored folder would share a name: one of them can be registered
 * without storing its content (custody_add_options.store = 0). */
#define CUSTODY_REFUSED_STORED_CLASH "a stored file and a stored folder " \
	"would share a name in the archive"

/* Why a name of a .git folder (or inside one) is refused when its
 * content would be stored; with store = 0 (hashes only) it is
 * registered. */
#define CUSTODY_REFUSED_STORED_GIT "its content cannot be stored (git " \
	"refuses a folder of that name in the archive's tree, and a " \
	"restore would write a live git repository); register it with " \
	"--no-store, hashes only"

#define CUSTODY_INIT_OPTIONS_VERSION 3
typedef struct custody_init_options {
	unsigned int version;
	const char *collection;   /* the collection folder; NULL: cwd */
	const char *archive_path; /* NULL: <collection>/.custody */
	const char *origin;       /* log origin; NULL: "local/<folder name>" */
	int no_store;             /* policy: keep hashes only by default */
	int sha512;               /* policy: also record SHA-512 */
	const custody_key *key;   /* the founding member's key (required) */
	const char *member;       /* the founding member's name (required) */
	/* The outlet key (log key): it signs every checkpoint of the log,
	 * so readers and witnesses know the outlet by this one key. Kept
	 * apart from member keys (custody_keystore_log_dir). Required. */
	const custody_key *log_key;
	/* policy: registrations record no media type, and libmagic is not
	 * run ("media_types: none" in custody.yaml); 0: libmagic's type of
	 * the content, in every entry (version 3) */
	int no_media_types;
} custody_init_options;
#define CUSTODY_INIT_OPTIONS_INIT { CUSTODY_INIT_OPTIONS_VERSION, NULL, \
	NULL, NULL, 0, 0, NULL, NULL, NULL, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_INIT_OPTIONS_VERSION), as CUSTODY_INIT_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_init_options_init(
	custody_init_options *opts, unsigned int version);

/*
 * Create an archive for a collection: the bare repository, custody.yaml,
 * members/allowed_signers and the genesis entry naming the founding
 * member's key, in one commit that key signs. The repository is built
 * in a temporary folder and renamed into place, so a crash leaves either
 * no archive or a whole one. The returned handle signs with opts->key
 * (see custody_archive_set_signer). Errors: CUSTODY_EEXISTS if an
 * archive is already there, CUSTODY_EINVALID for a bad origin or member
 * name or no key, CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_archive_init(custody_archive **out,
	const custody_init_options *opts, custody_error **err);

#define CUSTODY_OPEN_OPTIONS_VERSION 1
typedef struct custody_open_options {
	unsigned int version;
	const char *archive_path; /* the archive, or the collection folder
	                           * holding it as .custody; NULL: search
	                           * from start_dir upwards */
	const char *start_dir;    /* NULL: cwd */
	custody_notice_cb notice;
	void *notice_payload;
} custody_open_options;
#define CUSTODY_OPEN_OPTIONS_INIT { CUSTODY_OPEN_OPTIONS_VERSION, NULL, \
	NULL, NULL, NULL }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_OPEN_OPTIONS_VERSION), as CUSTODY_OPEN_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_open_options_init(
	custody_open_options *opts, unsigned int version);

/*
 * Open an archive (read-only until a changing call takes the lock).
 * Errors: CUSTODY_ENOTFOUND (no archive here or above), CUSTODY_EINVALID
 * (not a custody archive, or custody.yaml refused), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_archive_open(custody_archive **out,
	const custody_open_options *opts, custody_error **err);

CUSTODY_EXTERN(void) custody_archive_free(custody_archive *archive);

/*
 * Sign every commit this handle makes with `key` (borrowed: it must
 * outlive the handle, or the next call to this function). Each changing
 * call checks that the key belongs to a current member and records that
 * member as the actor; otherwise it fails with CUSTODY_EVERIFY and
 * changes nothing. A changing call with no signer is CUSTODY_EINVALID.
 */
CUSTODY_EXTERN(void) custody_archive_set_signer(custody_archive *archive,
	const custody_key *key);

/*
 * The outlet key (log key) the handle signs checkpoints with (borrowed;
 * NULL: none). Who holds it is the outlet's choice: without it a member
 * still appends entries, and those commits carry no new checkpoint; a
 * holder signs the next one (custody_archive_checkpoint_sign), covering
 * everything so far. A key that is not the archive's outlet key is
 * refused when a checkpoint is signed (CUSTODY_EVERIFY).
 */
CUSTODY_EXTERN(void) custody_archive_set_log_key(custody_archive *archive,
	const custody_key *key);

/* The outlet key in force at head, as a C2SP vkey (borrowed), or NULL
 * before the archive is read. */
CUSTODY_EXTERN(const char *) custody_archive_log_key(
	custody_archive *archive);


/* Borrowed strings, valid while the archive is open. */
CUSTODY_EXTERN(const char *) custody_archive_path(
	const custody_archive *archive);
CUSTODY_EXTERN(const char *) custody_archive_collection(
	const custody_archive *archive);
CUSTODY_EXTERN(const char *) custody_archive_origin(
	const custody_archive *archive);
/* Number of entries in the log. */
CUSTODY_EXTERN(uint64_t) custody_archive_size(const custody_archive *archive);
/* The current commit id (40 hex), or "" for none. */
CUSTODY_EXTERN(const char *) custody_archive_head(
	const custody_archive *archive);

/* ---- add ---- */

#define CUSTODY_ADD_OPTIONS_VERSION 4
typedef struct custody_add_options {
	unsigned int version;
	int store;                /* -1: archive policy, 0: hashes only, 1 */
	const char *note;         /* recorded on every new entry; NULL */
	const char *source;       /* opaque source label; NULL */
	unsigned int threads;     /* 0: one per core */
	unsigned int lock_wait_ms;/* how long to wait for the lock */
	custody_progress_cb progress;
	custody_refused_cb refused;
	void *payload;            /* passed to progress and refused */
	/* Hash and decide, write nothing (no lock, no content, no commit,
	 * no cache; no key needed): entry_cb sees each entry that would be
	 * recorded, with the index it would get and no time or blob; every
	 * refusal is reported and the call then fails as the add would. */
	int dry_run;
	/* Patterns in .custodyignore syntax, relative to the collection,
	 * applied after every .custodyignore file: what they match is left
	 * out, unless it is registered. */
	const char *const *exclude;
	size_t nexclude;
	/* Register what can be and record the refused paths, with their
	 * reasons, in the commit (a skip entry) instead of failing. */
	int skip_refused;
} custody_add_options;
#define CUSTODY_ADD_OPTIONS_INIT { CUSTODY_ADD_OPTIONS_VERSION, -1, NULL, \
	NULL, 0, 0, NULL, NULL, NULL, 0, NULL, 0, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_ADD_OPTIONS_VERSION), as CUSTODY_ADD_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_add_options_init(
	custody_add_options *opts, unsigned int version);

/* The layout of custody_add_summary: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_ADD_SUMMARY_VERSION 2
typedef struct custody_add_summary {
	unsigned int struct_version; /* CUSTODY_ADD_SUMMARY_VERSION */
	uint64_t registered;      /* new documents (version 1) */
	uint64_t new_versions;    /* changed documents (version > 1) */
	uint64_t unchanged;       /* already recorded as they are */
	uint64_t hashed_bytes;    /* bytes read and hashed */
	char commit[CUSTODY_COMMIT_ID_SIZE]; /* the new commit, "" if none */
	uint64_t skipped;         /* refused paths left out (skip_refused),
				   * recorded in a skip entry of the commit */
} custody_add_summary;

/* Called after the commit, once for every entry it added, in log order. */
typedef int (*custody_entry_cb)(const custody_entry *entry, void *payload);

/*
 * Register the files at `paths` (files, or folders walked recursively;
 * relative to cwd, inside the collection). New files and changed files
 * get one entry each; unchanged files (same size, times and inode as when
 * last hashed, or same SHA-256) record nothing. All entries go in one
 * commit. What .custodyignore files and opts->exclude leave out is not
 * registered, unless registered before. Nothing is recorded if any path
 * is refused (each reported to opts->refused; then CUSTODY_EINVALID),
 * unless opts->skip_refused: then the rest is registered and the commit
 * ends with skip entries listing each refused path and its reason (only
 * when something else is recorded; summary->skipped counts them). Nor is
 * anything recorded if a file changes while it is read
 * (CUSTODY_ECHANGED), or on any error: the archive keeps its old state.
 * `entry_cb` (may be NULL) sees each new register entry.
 */
CUSTODY_EXTERN(int) custody_archive_add(custody_archive *archive,
	const char *const *paths, size_t npaths,
	const custody_add_options *opts, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err);

/* ---- status ---- */

typedef enum {
	CUSTODY_STATUS_NEW = 1,       /* on disk, never registered */
	CUSTODY_STATUS_MODIFIED,      /* content differs from the record */
	CUSTODY_STATUS_MISSING,       /* registered, gone from disk */
	CUSTODY_STATUS_MOVED,         /* registered content, now at path */
	CUSTODY_STATUS_REFUSED        /* on disk, but add would refuse it */
} custody_status_kind;

typedef struct custody_status_item {
	custody_status_kind kind;
	const char *path;          /* path now (or the missing path) */
	const char *from;          /* MOVED: registered path; else NULL */
	const char *duplicate_of;  /* same content as this other file */
	const char *reason;        /* REFUSED: why */
	uint64_t size;
} custody_status_item;

typedef int (*custody_status_cb)(const custody_status_item *item,
	void *payload);

#define CUSTODY_STATUS_OPTIONS_VERSION 2
typedef struct custody_status_options {
	unsigned int version;
	unsigned int threads;
	custody_progress_cb progress;
	void *payload;
	/* as custody_add_options.exclude: new files these patterns match
	 * are not reported (registered ones still are) */
	const char *const *exclude;
	size_t nexclude;
} custody_status_options;
#define CUSTODY_STATUS_OPTIONS_INIT { CUSTODY_STATUS_OPTIONS_VERSION, 0, \
	NULL, NULL, NULL, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_STATUS_OPTIONS_VERSION), as CUSTODY_STATUS_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_status_options_init(
	custody_status_options *opts, unsigned int version);

/* The layout of custody_status_summary: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_STATUS_SUMMARY_VERSION 1
typedef struct custody_status_summary {
	unsigned int struct_version; /* CUSTODY_STATUS_SUMMARY_VERSION */
	uint64_t unchanged, added, modified, missing, moved, refused;
	uint64_t hashed;          /* files hashed (stat cache misses) */
} custody_status_summary;

/*
 * Compare the collection on disk with the record. Files whose size,
 * times and inode match the stat cache are not read. Items are reported
 * sorted by path. Returns 0 (whatever the differences) or an error.
 */
CUSTODY_EXTERN(int) custody_archive_status(custody_archive *archive,
	const custody_status_options *opts, custody_status_cb cb,
	void *payload, custody_status_summary *summary, custody_error **err);

/* ---- verify ---- */

typedef struct custody_problem {
	const char *where;   /* a commit id, entry path, or document path */
	const char *message; /* what is wrong */
} custody_problem;

typedef int (*custody_problem_cb)(const custody_problem *problem,
	void *payload);

#define CUSTODY_VERIFY_OPTIONS_VERSION 1
typedef struct custody_verify_options {
	unsigned int version;
	int full;            /* rehash documents on disk and stored blobs */
	unsigned int threads;
	custody_progress_cb progress;
	void *payload;
} custody_verify_options;
#define CUSTODY_VERIFY_OPTIONS_INIT { CUSTODY_VERIFY_OPTIONS_VERSION, 0, 0, \
	NULL, NULL }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_VERIFY_OPTIONS_VERSION), as CUSTODY_VERIFY_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_verify_options_init(
	custody_verify_options *opts, unsigned int version);

/* The layout of custody_verify_summary: the library writes this
 * in struct_version when it fills one, so a caller can tell which
 * fields it filled. */
#define CUSTODY_VERIFY_SUMMARY_VERSION 1
typedef struct custody_verify_summary {
	unsigned int struct_version; /* CUSTODY_VERIFY_SUMMARY_VERSION */
	uint64_t commits, entries, documents, blobs_checked, files_checked;
	uint64_t signatures;      /* commit signatures checked and good */
	uint64_t problems;
} custody_verify_summary;

/*
 * Check the archive: every commit is signed (SSHSIG, namespace "git") by
 * a key that was a member's when the commit was made, replaying the
 * genesis and member entries; every commit only appends entries with
 * consecutive indexes, and entries name their signer as actor;
 * members/allowed_signers matches the log; the history still holds the
 * newest commit this machine recorded (so a ref moved back or a rewritten
 * history shows); every entry parses and obeys the schema, version
 * chains are sound, documents/ matches the entries, objects are intact.
 * With opts->full, also rehash every registered document on disk and
 * every stored blob. Each problem goes to `cb`. Returns 0 if there were
 * none, CUSTODY_EVERIFY if there were, or another error if the check
 * itself could not run.
 */
CUSTODY_EXTERN(int) custody_archive_verify(custody_archive *archive,
	const custody_verify_options *opts, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary,
	custody_error **err) CUSTODY_WARN_UNUSED;

/* ---- reading the log ---- */

/*
 * Call `cb` for entries newest first: all of them, or when `path` is not
 * NULL, the versions of that document. A non-zero return from cb stops
 * the walk and is returned. `limit` 0 means no limit.
 */
CUSTODY_EXTERN(int) custody_archive_log(custody_archive *archive,
	const char *path, uint64_t limit, custody_entry_cb cb, void *payload,
	custody_error **err);

/* Read entry `index`; *out is the caller's (custody_entry_free). */
CUSTODY_EXTERN(int) custody_archive_entry(custody_archive *archive,
	uint64_t index, custody_entry **out, custody_error **err);

/*
 * Write version `version` (0: the latest) of document `path` to `dest`
 * ("-" for standard output; NULL: back to its place in the collection),
 * byte for byte, after checking it against the entry's SHA-256. An
 * existing destination that differs is replaced only with `force`.
 * Errors: CUSTODY_ENOTFOUND (no such document, version, or content not
 * stored), CUSTODY_EEXISTS (destination differs, no force),
 * CUSTODY_EVERIFY (the stored content does not match its entry).
 */
CUSTODY_EXTERN(int) custody_archive_restore(custody_archive *archive,
	const char *path, uint64_t version, const char *dest, int force,
	custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
