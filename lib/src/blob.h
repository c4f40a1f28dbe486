/*
 * Reading a stored blob in bounded chunks, never whole in memory.
 *
 * custody's own packs hold every object whole (pack.c writes no deltas),
 * and git never deltifies files above core.bigFileThreshold (512 MiB by
 * default), so a large blob is always a whole object: in a pack of the
 * repository or loose. Such an object is found through the packs' .idx
 * files (or its loose file), inflated CHUNK bytes at a time and handed to
 * the callback; its header's size and its git id (SHA-1 over "blob
 * <size>\0" and the content) are checked while it streams. An object
 * stored as a delta, one not found in this repository's own objects (an
 * alternate), and one of at most 8 MiB (libgit2 keeps its pack indexes
 * open, which is faster for many small blobs) are read whole through
 * libgit2 and handed over in the same chunks.
 *
 * The callback may have seen content before a later check fails: callers
 * that must not act on bad content hash first and write in a second pass,
 * or write to a temporary file that is only renamed on success.
 */
#ifndef CUSTODY_SRC_BLOB_H
#define CUSTODY_SRC_BLOB_H

#include <stdint.h>
#include <git2.h>
#include "custody/common.h"

/* Return 0 to go on, anything else to stop (then returned as is). */
typedef int (*custody_blob_chunk_cb)(const unsigned char *data, size_t len,
	void *payload);

/*
 * Stream blob `id` of the repository at `gitdir` (its odb: `odb`) to cb.
 * *size_out gets the blob's size. Returns 0, the callback's value when it
 * stopped, or CUSTODY_EVERIFY (the object is missing, not a blob, cannot
 * be read, or is not what its id says) / CUSTODY_ENOMEM with *err set.
 */
int custody_blob__stream(const char *gitdir, git_odb *odb,
	const git_oid *id, uint64_t *size_out, custody_blob_chunk_cb cb,
	void *payload, custody_error **err);

#endif
