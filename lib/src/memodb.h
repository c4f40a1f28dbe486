/*
 * An object database backend that keeps what libgit2 writes in memory, so
 * that the trees and the commit of a change can be written to disk as one
 * pack by custody's own pack writer (libgit2's mempack dump would re-pack
 * every object reachable from the commit, stored documents included).
 */
#ifndef CUSTODY_SRC_MEMODB_H
#define CUSTODY_SRC_MEMODB_H

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include "custody/common.h"

int custody_memodb__new(git_odb_backend **out);

/* Call cb for every object written, in the order written. */
int custody_memodb__each(git_odb_backend *backend,
	int (*cb)(git_object_t type, const void *data, size_t len,
	void *payload), void *payload);

#endif
