/*
 * Publication records: a publish entry names registered documents (by
 * entry index and SHA-256), where and when they went out. The files are
 * rehashed first, so an outlet cannot record as published a document
 * that differs from what it registered.
 */
#include "archive.h"
#include "change.h"
#include "digest.h"
#include "common.h"
#include "fsutil.h"
#include "lock.h"
#include "proof.h"
#include "tlog_index.h"
#include "custody/proof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rehash the file at `rel` (collection-relative) and compare it with its
 * entry. */
static int same_as_entry(custody_archive *a, const char *rel,
	const struct custody_entry *e, custody_error **err)
{
	struct custody_digest file;
	custody_error *why = NULL;
	int rc;

	if ((rc = custody_digest__collection_file(&file, a->root_fd, rel, rel,
	    &why)) != 0) {
		/* a file that cannot be read is an I/O error here */
		rc = custody__error(err, rc == CUSTODY_ENOMEM ? rc :
			CUSTODY_EIO, "%s", custody_error_message(why));
		custody_error_free(why);
		return rc;
	}
	if (!custody_digest__matches(&file, e->sha256, e->size))
		return custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_REGISTER, "%s: differs from version %"
			PRIu64 " as registered (entry %" PRIu64 ")", rel,
			e->version, e->index);
	return 0;
}

int custody_archive_publish(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_publish_options *opts,
	uint64_t *index_out, char commit_out[41], custody_error **err)
{
	struct custody_entry e, **registered = NULL;
	struct custody_published *docs = NULL;
	custody_lock *lock = NULL;
	char now[32], message[160];
	const char *actor;
	git_oid commit;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_PUBLISH_OPTIONS_VERSION, "custody_publish_options")) != 0)
		return rc;
	if (opts == NULL || opts->url == NULL)
		return custody__error(err, CUSTODY_EINVALID, "publishing needs "
			"the URL where the documents went out");
	if (npaths == 0)
		return custody__error(err, CUSTODY_EINVALID, "name at least "
			"one published document");
	if (npaths > CUSTODY_PUBLISH_MAX_DOCUMENTS)
		return custody__error(err, CUSTODY_EINVALID, "at most %d "
			"documents per publication", CUSTODY_PUBLISH_MAX_DOCUMENTS);
	registered = calloc(npaths, sizeof(*registered));
	docs = calloc(npaths, sizeof(*docs));
	if (registered == NULL || docs == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_change__begin(a, opts->lock_wait_ms, &lock,
	    &actor, err)) != 0)
		goto done;
	for (size_t i = 0; i < npaths; i++) {
		char *rel = NULL;

		rc = custody_archive__find_version(a, paths[i], 0, &rel,
			&registered[i], err);
		if (rc == 0)
			rc = same_as_entry(a, rel, registered[i], err);
		free(rel);
		if (rc != 0)
			goto done;
		docs[i].index = registered[i]->index;
		docs[i].sha256 = registered[i]->sha256;
		for (size_t j = 0; j < i; j++)
			if (docs[j].index == docs[i].index) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s is named twice", paths[i]);
				goto done;
			}
	}
	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_PUBLISH;
	e.url = (char *)opts->url;
	e.title = (char *)opts->title;
	custody_change__now(a, now, NULL);
	e.published = (char *)(opts->published ? opts->published : now);
	e.note = (char *)opts->note;
	e.documents = docs;
	e.ndocuments = npaths;
	snprintf(message, sizeof(message), "custody publish: %zu document%s\n",
		npaths, npaths == 1 ? "" : "s");
	if ((rc = custody_change__append(a, &e, 1, NULL, 0, message, &commit,
	    err)) != 0)
		goto done;
	if (index_out != NULL)
		*index_out = e.index;
	if (commit_out != NULL)
		git_oid_tostr(commit_out, 41, &commit);
done:
	for (size_t i = 0; registered && i < npaths; i++)
		custody_entry__free(registered[i]);
	free(registered);
	free(docs);
	custody_lock__release(lock);
	return rc;
}

int custody_archive_published(custody_archive *a,
	custody_publication_cb cb, void *payload, custody_error **err)
{
	git_tree *tree = NULL;
	int rc;

	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	for (uint64_t i = a->size; i-- > 1 && rc == 0;) {
		struct custody_entry *e = NULL;

		if ((rc = custody_archive__read_entry(a, tree, i, &e, NULL,
		    err)) != 0)
			break;
		for (size_t k = 0; e->type == CUSTODY_ENTRY_PUBLISH && rc == 0 &&
		    k < e->ndocuments; k++) {
			struct custody_entry *doc = NULL;
			custody_publication p;

			if ((rc = custody_archive__read_entry(a, tree,
			    e->documents[k].index, &doc, NULL, err)) != 0)
				break;
			memset(&p, 0, sizeof(p));
			p.entry = e->index;
			p.url = e->url;
			p.title = e->title;
			p.published = e->published;
			p.recorded = e->time;
			p.actor = e->actor;
			p.document = doc->index;
			p.path = doc->path ? doc->path : "";
			p.sha256 = e->documents[k].sha256;
			rc = cb(&p, payload);
			custody_entry__free(doc);
		}
		custody_entry__free(e);
	}
	git_tree_free(tree);
	return rc;
}

/* The public part of entry i, parsed, and its bytes; with only_type,
 * *e is NULL (and nothing is parsed) unless the bytes hold that type's
 * line: scans for rare entries need not parse every one. */
int custody_archive__public_entry(custody_archive *a, git_tree *tree,
	uint64_t i, const char *only_type, struct custody_entry **e,
	custody_buf *bytes, custody_error **err)
{
	char path[64], line[40];
	git_blob *blob = NULL;
	const char *raw;
	size_t len;
	git_oid id;
	int rc;

	*e = NULL;
	custody_archive__entry_path(path, i);
	if ((rc = custody_archive__entry_id(a, tree, i, &id, err)) != 0 ||
	    (rc = custody_archive__bounded_blob(a->repo, &id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &blob, err)) != 0)
		return rc;
	raw = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if (only_type != NULL) {
		snprintf(line, sizeof(line), "\ntype: \"%s\"\n", only_type);
		if (memmem(raw, len, line, strlen(line)) == NULL) {
			git_blob_free(blob);
			return 0;
		}
	}
	rc = custody_archive__parse_entry(raw, len, i, e, err);
	if (rc == 0 && bytes != NULL && custody_buf__append(bytes, raw, len)
	    != 0)
		rc = custody__oom(err);
	git_blob_free(blob);
	return rc;
}

/* Does the tree's entry i publish entry `index` with that digest? Its
 * bytes into `bytes` if so. The index only says where to look. */
static int publishes(custody_archive *a, git_tree *tree, uint64_t i,
	uint64_t index, const char *sha256, custody_buf *bytes,
	custody_error **err)
{
	struct custody_entry *e = NULL;
	int rc, names = 0;

	if ((rc = custody_archive__public_entry(a, tree, i, "publish", &e,
	    NULL, err)) != 0)
		return rc;
	for (size_t k = 0; e != NULL && k < e->ndocuments &&
	    e->type == CUSTODY_ENTRY_PUBLISH; k++)
		names |= e->documents[k].index == index &&
			strcmp(e->documents[k].sha256, sha256) == 0;
	custody_entry__free(e);
	if (!names)
		return CUSTODY_ENOTFOUND;
	if ((rc = custody_archive__public_entry(a, tree, i, NULL, &e,
	    bytes, err)) == 0)
		custody_entry__free(e);
	return rc;
}

int custody_archive__publication_of(custody_archive *a, git_tree *tree,
	uint64_t index, const char *sha256, uint64_t size, uint64_t *found,
	custody_buf *bytes, custody_error **err)
{
	struct custody_tlog_index *x = NULL;
	int rc;

	if ((rc = custody_tlog_index__open(a, tree, &x, err)) != 0)
		return rc;
	/* the newest first: a later publication of the same document says
	 * the most about it */
	rc = CUSTODY_ENOTFOUND;
	for (size_t r = x->nrecords; r-- > 0 && rc == CUSTODY_ENOTFOUND;) {
		const struct custody_tlog_index_record *p = &x->records[r];

		if (p->index >= size || p->index <= index ||
		    !custody_tlog_index__names(p, index))
			continue;
		if ((rc = publishes(a, tree, p->index, index, sha256, bytes,
		    err)) == 0)
			*found = p->index;
	}
	custody_tlog_index__free(x);
	return rc;
}

int custody_publish_options_init(custody_publish_options *opts, unsigned int version)
{
	static const custody_publish_options fresh = CUSTODY_PUBLISH_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_PUBLISH_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
