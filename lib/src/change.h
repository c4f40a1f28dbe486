/*
 * Making a change: every command that changes the archive begins it
 * here (lock, clean-up, head re-read, signer), then appends its entries
 * and files in one signed commit that carries the next checkpoint. A
 * layer above the archive handle (archive.h) and the log (tlog.h).
 */
#ifndef CUSTODY_SRC_CHANGE_H
#define CUSTODY_SRC_CHANGE_H

#include <git2.h>
#include "archive.h"
#include "entry.h"

/*
 * What every command that changes the archive does first: take the lock
 * (waiting up to wait_ms; a stale lock is taken over and named), remove
 * what an interrupted run left, re-read head, and find the signing
 * member (*actor_out, borrowed), whose key can then sign. On failure
 * the lock is not held.
 * Release *lock_out with custody_lock__release.
 */
struct custody_lock;
int custody_change__begin(custody_archive *a, unsigned int wait_ms,
	struct custody_lock **lock_out, const char **actor_out,
	custody_error **err);

/*
 * The same, but the signer's key may still be unlocking when it returns
 * (custody_key_load_start), so long work can overlap it: the caller must
 * custody_key_wait(a->signer) before it writes anything, and may poll
 * custody_key__unlock_failed to give up early.
 */
int custody_change__begin_early(custody_archive *a,
	unsigned int wait_ms, struct custody_lock **lock_out,
	const char **actor_out, custody_error **err);

/* Remove temporary files that a killed process left (under the lock). */
void custody_change__clean_stale(custody_archive *a);

/*
 * The signer's member name at head (borrowed, until the next call), for
 * a changing call that holds the lock and has refreshed. Errors:
 * CUSTODY_EINVALID (no signer set), CUSTODY_EVERIFY (not a member).
 */
int custody_change__signer(custody_archive *a, const char **actor_out,
	custody_error **err);

/*
 * The time for new entries and the next commit: the clock, but never
 * before the head commit's time, so times along the history never go
 * back (members/allowed_signers windows rely on it).
 */
void custody_change__now(custody_archive *a, char out[32],
	int64_t *seconds_out);

/* n fresh salts, each 32 random bytes as 64 hex digits (drawn together:
 * a draw costs more than its 32 bytes). */
int custody_change__new_salts(char (*out)[65], size_t n,
	custody_error **err);

/* One change to the tree of the next commit. */
struct custody_tree_change {
	const char *path;
	git_oid blob;              /* ignored for removals */
	int remove;
	/* for an entry: its RFC 6962 leaf hash when the caller has it
	 * (saves reading the entry back); has_leaf 0 otherwise */
	int has_leaf;
	unsigned char leaf[32];
};

/*
 * Everything a commit is made from, named: for a change, the handle's
 * head and signer; for init's genesis commit, a repository no handle
 * can open yet.
 */
struct custody_commit_base {
	const char *gitdir;
	git_repository *repo;
	const git_oid *parent;     /* the head it extends; NULL: the first */
	const custody_key *signer;
	int64_t time;              /* the commit's (custody_change__now) */
	custody_notice_cb notice;  /* may be NULL */
	void *notice_payload;
};

/*
 * Make the next commit: apply `changes` to the parent's tree (objects
 * they name must already be in the repository), store `checkpoint` (the
 * signed note; NULL for a change that adds no entry) at
 * CUSTODY_CHECKPOINT_PATH, write trees and the commit as one pack, fsync
 * it, then move refs/heads/main from the parent to the new commit
 * (compare-and-swap) and remember it in custody-seen. Until the ref
 * moves, nothing a reader sees has changed. `commit_out` receives the
 * new commit id.
 */
int custody_change__commit(const struct custody_commit_base *base,
	const struct custody_tree_change *changes, size_t nchanges,
	const custody_buf *checkpoint, const char *actor, const char *message,
	git_oid *commit_out, custody_error **err);

/* Write `commit` to custody-seen: the newest commit this machine made
 * or verified (see custody_archive__check_history). A failure is only
 * a notice. */
void custody_change__remember_head(custody_archive *a, const git_oid *commit);

/* A file other than an entry that a change writes into the tree. */
struct custody_tree_file {
	const char *path;
	const void *data;
	size_t len;
};

/*
 * Append `n` entries and write `nfiles` files in one signed commit. The
 * caller holds the lock, has refreshed, and fills each entry's content;
 * this sets index, time, actor (the signer's member name) and a fresh
 * salt, emits each entry (checking it; a large batch on several
 * threads), and commits. On failure nothing is left behind. commit_out
 * may be NULL; it is set once the commit is made, even if re-reading
 * head after it fails. On return the entries' time, actor and salt
 * point into the handle, valid until its next append; index stays
 * valid.
 */
int custody_change__append(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	const char *message, git_oid *commit_out, custody_error **err);

/* The same, and `stored` changes too: blobs already in the repository
 * (or removals), such as the documents an add stores. */
int custody_change__append_tree(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	const struct custody_tree_change *stored, size_t nstored,
	const char *message, git_oid *commit_out, custody_error **err);

/*
 * A commit that adds no entry and carries a checkpoint over every entry
 * so far, signed by the handle's outlet key (custody
 * _archive_checkpoint_sign). CUSTODY_EEXISTS when the head's checkpoint
 * already covers them all.
 */
int custody_change__sign_checkpoint(custody_archive *a,
	unsigned int wait_ms, uint64_t *size_out, git_oid *commit_out,
	custody_error **err);

/* The same when the handle holds the outlet key and head's checkpoint
 * does not cover every entry; 0 (nothing done) otherwise. */
int custody_change__cover_all(custody_archive *a, unsigned int wait_ms,
	custody_error **err);

#endif
