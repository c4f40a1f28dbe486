/*
 * A local index of the log's rare entries: the publish entries (with the
 * documents each names), the log-key entries and the dkim entries (with
 * the message each is of), so that a proof finds them without reading
 * every entry. Kept at .custody/cache/tlog-index,
 * beside the tile cache; like it, a cache and not evidence: whoever uses
 * a record reads the entry it points to from the tree and checks it.
 *
 * The file, written crash-safely (docs/design-notes.md):
 *
 *   custody tlog-index 2
 *   size N                      entries it covers
 *   last HEX                    blob id of entry N-1
 *   publish I D1 D2 ...         publish entry I names entries D1 D2 ...
 *   log-key I                   entry I rotates the outlet key
 *   dkim I M                    entry I is a DKIM verdict on entry M
 *
 * records in ascending order of I. It is brought up to date from the
 * entries it does not cover (read once each), and rebuilt from all of
 * them when it is missing, damaged, or of another log (its last entry's
 * id differs). Version 1 had no dkim lines: such a file is rebuilt.
 */
#ifndef CUSTODY_SRC_TLOG_INDEX_H
#define CUSTODY_SRC_TLOG_INDEX_H

#include "archive.h"
#include "entry.h"

struct custody_tlog_index_record {
	uint64_t index;
	int log_key;           /* 1: a log-key entry */
	int dkim;              /* 1: a dkim entry; neither: a publish entry */
	size_t ndocs;
	uint64_t *docs;        /* the entries a publish entry names; for a
				* dkim entry, its message (one) */
};

struct custody_tlog_index {
	uint64_t size;         /* entries covered */
	struct custody_tlog_index_record *records;
	size_t nrecords, cap;
};

/* The index of the log at head (`tree`, a->size entries): the cache,
 * brought up to date (and saved) or rebuilt. A cache that cannot be
 * saved is a notice, not an error. */
int custody_tlog_index__open(custody_archive *a, git_tree *tree,
	struct custody_tlog_index **out, custody_error **err);

/* Free an index. NULL is a no-op. */
void custody_tlog_index__free(struct custody_tlog_index *x);

/* Does publish record r name entry `doc`? (0 for other records) */
int custody_tlog_index__names(const struct custody_tlog_index_record *r,
	uint64_t doc);

/* Is r a dkim record of message `doc`? */
int custody_tlog_index__dkim_of(const struct custody_tlog_index_record *r,
	uint64_t doc);

/* For one who reads every entry in order (a verify): entry `e` at
 * index i into x when it is a publish, log-key or dkim entry; the caller sets
 * x->size. An error only for out of memory. */
int custody_tlog_index__note(struct custody_tlog_index *x,
	const struct custody_entry *e, uint64_t i, custody_error **err);

/* Save x as the archive's cache, for the log at `tree`. */
int custody_tlog_index__save_as(custody_archive *a, git_tree *tree,
	const struct custody_tlog_index *x, custody_error **err);

/* For custody verify: the index rebuilt from every entry; the cache, if
 * there is one, is replaced by it when they differ, with a notice when
 * the cache said something else about the entries it covers. */
int custody_tlog_index__verify(custody_archive *a, git_tree *tree,
	custody_error **err);

#endif
