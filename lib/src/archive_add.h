/* Registering files (custody_archive_add), also as a derivative. */
#ifndef CUSTODY_SRC_ARCHIVE_ADD_H
#define CUSTODY_SRC_ARCHIVE_ADD_H

#include "archive.h"

/* What makes an add a derivation (custody_archive_derive). */
struct custody_derive_spec {
	uint64_t derived_from;     /* the original's entry */
	const char *original_leaf; /* its leaf hash, 64 hex */
	const char *derivation;
};

/* custody_archive_add, or with `derive` the registration of one file as
 * a derivative. */
int custody_archive__add(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	const struct custody_derive_spec *derive, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err);

/*
 * What makes an add a hand-over (custody bag import): one event entry
 * per new entry, each naming its document, after the documents in the
 * same commit, so no history holds the documents without their receipt.
 * The strings are borrowed.
 */
struct custody_add_events {
	const char *action;        /* "received" */
	const char *from;          /* a label; NULL */
	const char *note;          /* NULL */
};

/* custody_archive__add with `events` (not NULL), and no derivation. */
int custody_archive__add_events(custody_archive *a,
	const char *const *paths, size_t npaths,
	const custody_add_options *opts,
	const struct custody_add_events *events, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err);

#endif
