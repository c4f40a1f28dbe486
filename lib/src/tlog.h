/*
 * The log as a Merkle tree (RFC 6962): leaf i is the exact bytes of entry
 * i; the hashes live in a local tile cache (<gitdir>/cache/tiles, C2SP
 * tlog-tiles layout) that follows the log and is rebuilt from the entries
 * whenever it does not; every commit that adds entries carries a
 * checkpoint (C2SP tlog-checkpoint) signed by the acting member as a C2SP
 * signed note, named by the archive's origin.
 */
#ifndef CUSTODY_SRC_TLOG_H
#define CUSTODY_SRC_TLOG_H

#include <git2.h>
#include "archive.h"
#include "tiles.h"

/* Where the latest signed checkpoint lives in every commit's tree. */
#define CUSTODY_CHECKPOINT_PATH "checkpoint"

/* Open the tile cache (<gitdir>/cache/tiles, made if missing) as it is;
 * a damaged one is removed (with a notice) and started again empty. */
int custody_tlog__open_tiles(custody_archive *a, struct custody_tiles **out,
	uint64_t *size_out, custody_error **err);

/*
 * The tile cache, brought in line with the log at head: leaves past the
 * log's size (from a commit that did not happen) are dropped, missing
 * ones are hashed from the entries at head. The caller frees it with
 * custody_tiles__free.
 */
int custody_tlog__tiles(custody_archive *a, struct custody_tiles **out,
	custody_error **err);

/*
 * The signed checkpoint for a commit that adds entries whose RFC 6962
 * leaf hashes are `leaves` (in index order): the tile cache is brought
 * in line with head, the checkpoint at head must still match it, and
 * the checkpoint at the new size is signed with the archive's signer
 * (*note_out, the signed note). Nothing is written for the new leaves:
 * they wait for custody_tlog__commit, so a refused or failed commit
 * leaves the archive as it was.
 */
/* 0 when `key` is the archive's outlet key (the one in force at head);
 * CUSTODY_EVERIFY naming both keys when it is not. */
int custody_tlog__is_log_key(custody_archive *a, const custody_key *key,
	custody_error **err);

int custody_tlog__next_checkpoint(custody_archive *a,
	const unsigned char (*leaves)[32], size_t n, custody_buf *note_out,
	custody_error **err);

/*
 * The checkpoint of the log whose leaves are those of `t` followed by
 * `leaves`, named `origin` and signed by `signer` as a C2SP signed note
 * (*out). Reads no archive: init signs its genesis checkpoint with it.
 */
int custody_tlog__sign_checkpoint(struct custody_tiles *t,
	const unsigned char (*leaves)[32], size_t n, const char *origin,
	const custody_key *signer, custody_buf *out, custody_error **err);

/* After the commit: add its leaves to the tile cache (a failure is only
 * a notice: the cache catches up next time). */
void custody_tlog__commit(custody_archive *a,
	const unsigned char (*leaves)[32], size_t n);

/*
 * The checkpoint in `tree` (the signed note's bytes into note_out, its
 * text length into *text_len). CUSTODY_ENOTFOUND if the tree has none.
 */
int custody_tlog__read_checkpoint(custody_archive *a, git_tree *tree,
	custody_buf *note_out, size_t *text_len, custody_error **err);

#endif
