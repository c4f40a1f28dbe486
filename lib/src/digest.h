/*
 * The SHA-256 and size of one file, read once from start to end, to be
 * compared with what an entry registered: the document a fact-checker
 * names (check.c), a document of the collection about to be published
 * or derived (proof_publish.c, chain.c). It needs only OpenSSL and
 * fsutil.h's open helpers, so the check-only library has it too.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_DIGEST_H
#define CUSTODY_SRC_DIGEST_H

#include <stdint.h>
#include "custody/common.h"

struct custody_digest {
	unsigned char sha256[32];
	uint64_t size;
};

/*
 * The file at `path`, as someone named it: opened by
 * custody_fs__open_input, so that a folder, a FIFO or a device is
 * refused, never read. Errors: CUSTODY_EINVALID with the open's own
 * message; CUSTODY_EIO "PATH: cannot read: <reason>"; CUSTODY_ENOMEM;
 * CUSTODY_ERROR "SHA-256: <OpenSSL's reason>".
 */
int custody_digest__named_file(struct custody_digest *out, const char *path,
	custody_error **err);

/*
 * The collection's document `rel` (relative to the collection folder
 * `root_fd`), opened beneath that folder and never through a symbolic
 * link (custody_fs__open_beneath); it must be a regular file that does
 * not change while it is read. Messages name it `name` and are worded as
 * custody_hash__run's: "NAME: cannot open: ...", "NAME: not a regular
 * file", "NAME: file changed while it was being read ...". Errors:
 * CUSTODY_ENOTFOUND, CUSTODY_EINVALID (a link, outside the collection,
 * not a regular file), CUSTODY_EIO, CUSTODY_ECHANGED, CUSTODY_ENOMEM,
 * CUSTODY_ERROR (OpenSSL).
 */
int custody_digest__collection_file(struct custody_digest *out, int root_fd,
	const char *rel, const char *name, custody_error **err);

/* 1 when `d` is what an entry registered: its SHA-256 (64 lowercase hex
 * digits) and its size; else 0. */
int custody_digest__matches(const struct custody_digest *d,
	const char *sha256_hex, uint64_t size);

/* The SHA-256 of `len` bytes at `data` into out: 0, or CUSTODY_ERROR
 * with OpenSSL's reason when OpenSSL cannot compute it (no provider
 * offers SHA-256, say), so no caller compares against stale bytes. */
int custody_digest__sha256(const void *data, size_t len,
	unsigned char out[32], custody_error **err);

#endif
