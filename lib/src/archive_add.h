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
	/*
	 * Or, with action NULL, entries of the caller's own about the new
	 * registrations (custody add --dkim: a dkim entry per message):
	 * called under the lock before anything is written, with the `n`
	 * new registrations, whose indexes will be first_index, first_index
	 * + 1, ...; *out (n_out entries, calloc'd, the strings the
	 * caller's) go after them in the same commit. A dkim entry there
	 * with message_leaf NULL gets the leaf of the entry it names. An
	 * error stops the add, nothing recorded.
	 */
	int (*extra)(void *payload, const struct custody_entry *registered,
		size_t n, uint64_t first_index, struct custody_entry **out,
		size_t *n_out, custody_error **err);
	void *payload;
};

/* custody_archive__add with `events` (not NULL), and no derivation. */
int custody_archive__add_events(custody_archive *a,
	const char *const *paths, size_t npaths,
	const custody_add_options *opts,
	const struct custody_add_events *events, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err);

#endif
