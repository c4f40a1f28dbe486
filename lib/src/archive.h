/* The archive handle and the helpers its modules share. */
#ifndef CUSTODY_SRC_ARCHIVE_H
#define CUSTODY_SRC_ARCHIVE_H

#include <git2.h>
#include "custody/archive.h"
#include "config.h"
#include "entry.h"

#define CUSTODY_REF "refs/heads/main"
#define CUSTODY_MAX_ENTRIES 1000000000ULL

struct custody_archive {
	char *gitdir;              /* absolute path of the bare repository */
	char *collection;          /* absolute, resolved collection folder */
	int root_fd;               /* the collection folder, held open: every
	                              document is opened beneath it */
	git_repository *repo;
	struct custody_config *config;
	git_oid head;
	int has_head;
	char head_hex[41];
	/* config->origin, copied: custody_archive_origin's string must
	 * outlive the config a refresh frees and reads again */
	char origin[CUSTODY_ORIGIN_SIZE];
	uint64_t size;             /* entries in the log at head */
	custody_notice_cb notice;
	void *notice_payload;
	const custody_key *signer; /* borrowed; signs every commit */
	const custody_key *log_signer; /* borrowed; signs checkpoints */
	/* during a rotation of the outlet key, the new key's vkey: the one
	 * that signs the rotation's checkpoint (proof_log_key.c) */
	const char *rotating_to;
	char *actor;               /* the signer's member name at head */
	int64_t not_before;        /* custody_change__now never says less */
	/* the folders of log/ and private/ read last (entries are mostly
	 * read in order) */
	struct custody_leaf_folder {
		git_tree *tree;
		git_oid root;          /* the tree it was found in */
		uint64_t number;       /* index / 1000 */
	} leaf, private_leaf;
	/* the time and salts of the last append's entries, which point
	 * here until the next one (see custody_change__append) */
	char change_time[32];
	char (*change_salts)[65];
	/* the leaf hashes a change's dkim entries got from the entries of
	 * the same change they name (custody_change__append) */
	char (*change_links)[65];
	/* the largest size this handle has noted in custody-shared (only
	 * the largest is ever read): a smaller or equal one is not written
	 * and synced again, so a bag of n proofs costs one fsync, not n */
	uint64_t shared_noted;
};

/*
 * Checkpoints others know: one log size per line, appended each time a
 * proof, a checkpoint, a consistency proof or a timestamp request is
 * made, main is pushed, or a partner's history is taken in (its entries
 * are the partner's, not ours to move). A sync may re-sequence local
 * entries onto a partner's history only where none of these covers them.
 */
#define CUSTODY_SHARED_FILE "custody-shared"

/* Note that a checkpoint of `size` entries left this machine (fsynced:
 * a proof is refused when this cannot be written). */
int custody_archive__note_shared(custody_archive *a, uint64_t size,
	custody_error **err);
/* The same for the archive in `gitdir` (one no handle has open yet). */
int custody_archive__note_shared_in(const char *gitdir, uint64_t size,
	custody_error **err);
/* The largest size noted (0: none); CUSTODY_EVERIFY when the file is
 * damaged. */
int custody_archive__shared_size(custody_archive *a, uint64_t *out,
	custody_error **err);

/* Local evidence of refused histories (appended to, never rewritten). */
#define CUSTODY_EVIDENCE_FILE "custody-evidence"

/*
 * May a change be built on the current head? Only when it extends the
 * commit this machine last made or verified (custody-seen), and when the
 * commits since then pass every check `custody verify` makes (then they
 * become the seen head). A head that moved back or was rewritten, a
 * damaged custody-seen, or a new commit that fails a check is refused
 * with CUSTODY_EVERIFY, saying what to do; custody-seen is left as it
 * was and the refusal is appended to custody-evidence. Called with the
 * archive's lock held, after custody_archive__refresh.
 */
int custody_archive__check_history(custody_archive *a, custody_error **err);

/* "log/000/000/000000012.yaml" for index 12. */
void custody_archive__entry_path(char out[64], uint64_t index);
/* "private/NNN/NNN/NNNNNNNNN.yaml": where entry `index`'s private part
 * sits, beside its public part under log/. */
void custody_archive__private_path(char out[64], uint64_t index);

/* Entry `index`'s private part's blob id, as custody_archive__entry_id. */
int custody_archive__private_id(custody_archive *a, git_tree *tree,
	uint64_t index, git_oid *out, custody_error **err);

/*
 * Read entry e's private part from `tree` into e (parsed from the public
 * bytes given), checked against its commitment. Errors name the path.
 */
int custody_archive__open_entry(custody_archive *a, git_tree *tree,
	struct custody_entry *e, const void *public_bytes, size_t len,
	custody_error **err);

/* The log's size in `tree` (any commit's). */
int custody_archive__log_size(custody_archive *a, git_tree *tree,
	uint64_t *out, custody_error **err);

/* Re-read HEAD, custody.yaml and the log's size. */
int custody_archive__refresh(custody_archive *a, custody_error **err);

/* The blob `id` (caller frees); one over `max` bytes (SIZE_MAX: no
 * bound) is refused from its object header, without being read. `name`
 * names it in messages. */
int custody_archive__bounded_blob(git_repository *repo, const git_oid *id,
	size_t max, const char *name, git_blob **out, custody_error **err);

/* 0 when object `id` is at most `max` bytes by its header (or has none
 * that can be read: the read that follows says why); else
 * CUSTODY_EINVALID naming it. */
int custody_archive__blob_fits(git_odb *odb, const git_oid *id, size_t max,
	const char *name, custody_error **err);

/* The tree at head (caller frees), or NULL with an error. */
int custody_archive__head_tree(custody_archive *a, git_tree **out,
	custody_error **err);

/*
 * The blob id of entry `index` in `tree` (its log/ folder is cached in
 * the archive between calls). Errors name the entry's path:
 * CUSTODY_ENOTFOUND (missing), CUSTODY_EINVALID (not a file).
 */
int custody_archive__entry_id(custody_archive *a, git_tree *tree,
	uint64_t index, git_oid *out, custody_error **err);

/*
 * Parse the bytes of entry `index` and check that it says it is that
 * entry. Uses nothing but its arguments: callable from any thread.
 */
int custody_archive__parse_entry(const char *content, size_t len,
	uint64_t index, struct custody_entry **out, custody_error **err);

/*
 * Read and parse entry `index` from `tree`, both its parts; `bytes_out`
 * (may be NULL) gets the public part's exact bytes (the leaf's). Errors
 * name the part's path.
 */
int custody_archive__read_entry(custody_archive *a, git_tree *tree,
	uint64_t index, struct custody_entry **out, custody_buf *bytes_out,
	custody_error **err);

/*
 * As custody_archive__read_entry without `bytes_out`, but the private
 * part is read only when `wanted` says yes to the public part; else
 * *out is NULL and 0 is returned. For a walk over many entries of which
 * few are wanted.
 */
int custody_archive__read_entry_if(custody_archive *a, git_tree *tree,
	uint64_t index, int (*wanted)(const struct custody_entry *),
	struct custody_entry **out, custody_error **err);

/*
 * Version `version` (0: the latest) of the document at user-given path
 * `given`: its register entry into *out and the collection-relative path
 * into *rel_out (malloc'd). Errors: CUSTODY_ENOTFOUND (not registered,
 * no such version), CUSTODY_EVERIFY (a broken version chain).
 */
/* custody_archive_restore of entry `e` (a registration, found by the
 * caller) at collection-relative `rel`. */
int custody_archive__restore_entry(custody_archive *a,
	const struct custody_entry *e, const char *rel, const char *dest,
	int force, custody_error **err);

/*
 * Verify the message a dkim entry names again, from its stored content
 * and the entry's evidence: *problem_out (malloc'd) says what does not
 * hold (the stored content is not the registered message, the verdict
 * differs), NULL when it holds or the content is not stored. Errors
 * (returned) only for out of memory and unreadable objects.
 */
int custody_archive__dkim_recheck_entry(custody_archive *a, git_tree *tree,
	const struct custody_entry *dkim, char **problem_out,
	custody_error **err);

/*
 * The register entry of version `version` (0: the latest) of the
 * document at user-given path `given`, and its collection-relative path
 * (*rel_out, malloc'd). _in looks the path up in an index loaded once
 * by the caller (custody_index__load), for many paths in a row.
 */
int custody_archive__find_version(custody_archive *a, const char *given,
	uint64_t version, char **rel_out, struct custody_entry **out,
	custody_error **err);
struct custody_index;
int custody_archive__find_version_in(custody_archive *a,
	struct custody_index *index, const char *given, uint64_t version,
	char **rel_out, struct custody_entry **out, custody_error **err);

/* The archive's tlog-policy at head, parsed (*out NULL when it has
 * none; free()), and its bytes appended to `text` when not NULL. */
struct custody_policy;
int custody_archive__policy(custody_archive *a, struct custody_policy **out,
	custody_buf *text, custody_error **err);

/* The blob of `path` in the head tree (caller frees), or an error. */
int custody_archive__head_blob(custody_archive *a, const char *path,
	git_blob **out, custody_error **err);

/* The file in the git folder that remembers the newest commit this
 * machine made or verified: a history that no longer holds it was
 * rewritten or moved back. */
#define CUSTODY_SEEN_FILE "custody-seen"

/* Tell the user something through the notice callback. */
void custody_archive__notice(custody_archive *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The objects/pack folder (malloc'd). */
char *custody_archive__pack_dir(const custody_archive *a);

/* A pack "exists" callback for the archive's object database. */
int custody_archive__object_exists(const unsigned char id[20], void *a);

/*
 * Turn a path given by the user (relative to cwd, or absolute) into a
 * collection-relative path, without following symbolic links: it must
 * lie inside the collection, and every folder on the way must be a real
 * folder. "" stands for the collection itself. *out is malloc'd.
 */
int custody_archive__relpath(custody_archive *a, const char *given,
	char **out, custody_error **err);

#endif
