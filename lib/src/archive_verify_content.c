/*
 * custody verify: the stored content. Every blob an entry names is in
 * the archive, documents/ mirrors the latest stored version of every
 * path, and with --full every document on disk and every stored blob is
 * rehashed against its entry.
 */
#include "archive_verify.h"
#include "blob.h"
#include "fsutil.h"
#include "hash.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

void custody_archive_verify__stored_content(struct custody_verify_run *v,
	const struct custody_entry *e, uint64_t index, const char *where,
	size_t doc)
{
	git_oid id;

	if (e->blob == NULL)
		return;
	if (git_oid_fromstr(&id, e->blob) != 0 ||
	    !git_odb_exists(v->odb, &id)) {
		custody_archive_verify__problem(v, where, "%s: stored content "
			"%s is missing from the archive", e->path, e->blob);
	} else if (v->opts->full) {
		struct custody_verify_blob *bc = &v->checks[v->nchecks++];

		bc->index = index;
		memcpy(bc->blob, e->blob, 41);
		memcpy(bc->sha256, e->sha256, 65);
		bc->size = e->size;
		bc->path = v->latest[doc].path;
	}
}

static int on_document(const char *root, const git_tree_entry *te,
	void *payload)
{
	struct custody_verify_run *v = payload;
	char path[4096];
	size_t *slot;
	struct custody_verify_document *l;
	char id[41];

	if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(te));
	slot = custody_map__get(&v->by_path, path);
	if (slot == NULL) {
		custody_archive_verify__problem(v, "documents/", "holds %s, "
			"which is not a registered document", path);
		return 0;
	}
	l = &v->latest[*slot];
	l->doc_seen = 1;
	git_oid_tostr(id, sizeof(id), git_tree_entry_id(te));
	if (l->blob[0] == '\0')
		custody_archive_verify__problem(v, "documents/", "holds %s, "
			"whose latest version was registered without "
			"content", path);
	else if (strcmp(id, l->blob) != 0)
		custody_archive_verify__problem(v, "documents/", "holds %s as "
			"%s, but its entry %" PRIu64 " names %s", path, id,
			l->index, l->blob);
	return 0;
}

/* From a base: what documents/ changed since it is what the new
 * entries say. */
static int on_document_delta(const git_diff_delta *d, float progress,
	void *payload)
{
	struct custody_verify_run *v = payload;
	const char *path = d->status == GIT_DELTA_DELETED ?
		d->old_file.path : d->new_file.path;

	(void)progress;
	if (custody_map__get(&v->by_path, path) == NULL)
		custody_archive_verify__problem(v, "documents/", "%s %s, "
			"which no new entry registers", d->status ==
			GIT_DELTA_DELETED ? "loses" : "changes", path);
	return 0;
}

/* From a base: documents/ holds each path a new entry registered as
 * its latest version says, and changed nowhere else. */
static void documents_since(struct custody_verify_run *v, git_tree *docs)
{
	git_tree *old = NULL;
	git_diff *diff = NULL;
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;

	for (size_t i = 0; i < v->nlatest; i++) {
		const struct custody_verify_document *l = &v->latest[i];
		git_tree_entry *te = NULL;
		char id[41] = "";

		if (docs != NULL &&
		    git_tree_entry_bypath(&te, docs, l->path) == 0)
			git_oid_tostr(id, sizeof(id), git_tree_entry_id(te));
		git_tree_entry_free(te);
		if (l->blob[0] && id[0] == '\0')
			custody_archive_verify__problem(v, "documents/",
				"lacks %s, stored by entry %" PRIu64, l->path,
				l->index);
		else if (l->blob[0] == '\0' && id[0])
			custody_archive_verify__problem(v, "documents/",
				"holds %s, whose latest version was registered "
				"without content", l->path);
		else if (id[0] && strcmp(id, l->blob) != 0)
			custody_archive_verify__problem(v, "documents/", "holds "
				"%s as %s, but its entry %" PRIu64 " names %s",
				l->path, id, l->index, l->blob);
	}
	if (v->base->has_documents &&
	    git_tree_lookup(&old, v->a->repo, &v->base->documents) != 0) {
		custody_archive_verify__problem(v, "documents/", "its folder "
			"at the verified main cannot be read");
		return;
	}
	dopts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
	if (git_diff_tree_to_tree(&diff, v->a->repo, old, docs, &dopts) != 0)
		custody_archive_verify__problem(v, "documents/", "cannot be "
			"compared with the verified main's");
	else
		git_diff_foreach(diff, on_document_delta, NULL, NULL, NULL, v);
	git_diff_free(diff);
	git_tree_free(old);
}

void custody_archive_verify__documents(struct custody_verify_run *v)
{
	const git_tree_entry *te = git_tree_entry_byname(v->tree,
		"documents");
	git_tree *docs = NULL;

	if (te != NULL && (git_tree_entry_type(te) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&docs, v->a->repo, git_tree_entry_id(te)) != 0))
		custody_archive_verify__problem(v, "documents/", "cannot be "
			"read");
	else if (v->base != NULL)
		documents_since(v, docs);
	else if (te != NULL)
		git_tree_walk(docs, GIT_TREEWALK_PRE, on_document, v);
	for (size_t i = 0; v->base == NULL && i < v->nlatest; i++)
		if (v->latest[i].blob[0] && !v->latest[i].doc_seen)
			custody_archive_verify__problem(v, "documents/",
				"lacks %s, stored by entry %" PRIu64,
				v->latest[i].path, v->latest[i].index);
	git_tree_free(docs);
}

/* What one rehash found against the latest version it checks. */
static void judge_rehash(struct custody_verify_run *v,
	const struct custody_hash_job *job,
	const struct custody_verify_document *l)
{
	char sha[65];

	v->sum.files_checked++;
	if (job->rc == CUSTODY_ENOTFOUND) {
		custody_archive_verify__problem(v, l->path, "missing from the "
			"collection (registered at entry %" PRIu64 ")",
			l->index);
		return;
	}
	if (job->rc != 0) {
		custody_archive_verify__problem(v, l->path, "%s", job->error ?
			job->error : "cannot be read");
		return;
	}
	custody_hex(sha, job->sha256, 32);
	if (job->size != l->size || CRYPTO_memcmp(sha, l->sha256, 64) != 0)
		custody_archive_verify__problem(v, l->path, "modified: its "
			"SHA-256 is %s, the record (entry %" PRIu64 ") says "
			"%s", sha, l->index, l->sha256);
}

/* Jobs per hashing run of rehash_documents: what is held at once (some
 * 450 bytes a job), whatever the number of documents. */
#define REHASH_BATCH 8192

/* One batch's progress, told as the progress of all the documents. */
struct rehash_progress {
	const custody_verify_options *opts;
	uint64_t done, bytes, total, bytes_total;
};

static void rehash_progress(const char *phase, uint64_t done,
	uint64_t total, uint64_t bytes, uint64_t bytes_total, void *payload)
{
	const struct rehash_progress *p = payload;

	(void)total;
	(void)bytes_total;
	p->opts->progress(phase, p->done + done, p->total, p->bytes + bytes,
		p->bytes_total, p->opts->payload);
}

/* Every registered document on disk, against its latest version, in
 * batches of REHASH_BATCH. */
static int rehash_documents(struct custody_verify_run *v,
	custody_error **err)
{
	const custody_verify_options *opts = v->opts;
	struct custody_hash_options hopts;
	struct custody_hash_job *jobs;
	struct rehash_progress progress;
	size_t batch = v->nlatest < REHASH_BATCH ? v->nlatest : REHASH_BATCH;
	int rc = 0;

	jobs = calloc(batch + 1, sizeof(*jobs));
	if (jobs == NULL)
		return custody__oom(err);
	memset(&progress, 0, sizeof(progress));
	progress.opts = opts;
	progress.total = v->nlatest;
	for (size_t i = 0; i < v->nlatest; i++)
		progress.bytes_total += v->latest[i].size;
	memset(&hopts, 0, sizeof(hopts));
	hopts.threads = opts->threads;
	hopts.beneath = 1;
	hopts.root_fd = v->a->root_fd;
	if (opts->progress != NULL) {
		hopts.progress = rehash_progress;
		hopts.payload = &progress;
	}
	hopts.phase = "rehashing documents";
	for (size_t from = 0; rc == 0 && from < v->nlatest; from += batch) {
		const struct custody_verify_document *latest =
			v->latest + from;
		size_t njobs = v->nlatest - from < batch ?
			v->nlatest - from : batch;

		memset(jobs, 0, njobs * sizeof(*jobs));
		for (size_t i = 0; i < njobs; i++) {
			jobs[i].path = latest[i].path;
			jobs[i].name = latest[i].path;
			jobs[i].size = latest[i].size;
		}
		rc = custody_hash__run(jobs, njobs, &hopts, NULL, NULL, err);
		for (size_t i = 0; rc == 0 && i < njobs; i++) {
			judge_rehash(v, &jobs[i], &latest[i]);
			progress.bytes += latest[i].size;
		}
		progress.done += njobs;
		custody_hash__jobs_clear(jobs, njobs);
	}
	free(jobs);
	return rc;
}

struct blob_pool {
	struct custody_verify_blob *checks;
	size_t n;
	atomic_size_t next, done;
	const char *gitdir;
};

static int hash_chunk(const unsigned char *data, size_t len, void *payload)
{
	return EVP_DigestUpdate(payload, data, len) == 1 ? 0 : -1;
}

/* Each stored blob streams through SHA-256 in bounded chunks. */
static void *blob_worker(void *arg)
{
	struct blob_pool *p = arg;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (git_repository_open_bare(&repo, p->gitdir) != 0 ||
	    git_repository_odb(&odb, repo) != 0 || md == NULL) {
		/* every remaining check fails as unreadable */
		size_t i;

		while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
			p->checks[i].bad = 1;
			atomic_fetch_add(&p->done, 1);
		}
		goto done;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		struct custody_verify_blob *bc;
		custody_error *why = NULL;
		git_oid id;
		uint64_t size;
		unsigned char want[32], got[32];

		if (i >= p->n)
			break;
		bc = &p->checks[i];
		if (git_oid_fromstr(&id, bc->blob) != 0 ||
		    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		    custody_blob__stream(p->gitdir, odb, &id, &size,
		    hash_chunk, md, &why) != 0) {
			bc->bad = 1;
		} else if (size != bc->size) {
			bc->bad = 3;
		} else if (custody_unhex(want, bc->sha256, 32) != 0 ||
		    EVP_DigestFinal_ex(md, got, NULL) != 1 ||
		    CRYPTO_memcmp(want, got, 32) != 0) {
			bc->bad = 2;
		}
		custody_error_free(why);
		atomic_fetch_add(&p->done, 1);
	}
done:
	EVP_MD_CTX_free(md);
	git_odb_free(odb);
	git_repository_free(repo);
	return NULL;
}

/* Rehash the queued blobs on every core, progress from this thread. */
static void rehash_blobs(struct custody_verify_run *v)
{
	const custody_verify_options *opts = v->opts;
	struct blob_pool pool;
	size_t n = v->nchecks;
	unsigned int nthreads = opts->threads ? opts->threads :
		custody_hash__default_threads();
	pthread_t threads[64];
	unsigned int started = 0;

	memset(&pool, 0, sizeof(pool));
	pool.checks = v->checks;
	pool.n = n;
	pool.gitdir = v->a->gitdir;
	if (nthreads > 64)
		nthreads = 64;
	for (unsigned int i = 0; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, blob_worker,
		    &pool) == 0)
			started++;
	if (started == 0)
		blob_worker(&pool);
	while (opts->progress && atomic_load(&pool.done) < n) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		opts->progress("checking stored content",
			atomic_load(&pool.done), n, 0, 0, opts->payload);
		nanosleep(&pause, NULL);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* What the blob rehash found, in entry order. */
static void check_blobs(struct custody_verify_run *v)
{
	const struct custody_verify_blob *checks = v->checks;

	rehash_blobs(v);
	for (size_t i = 0; i < v->nchecks; i++) {
		char where[64];

		snprintf(where, sizeof(where), "entry %" PRIu64,
			checks[i].index);
		v->sum.blobs_checked++;
		if (checks[i].bad == 1)
			custody_archive_verify__problem(v, where, "stored "
				"content %s of %s cannot be read from the "
				"archive", checks[i].blob, checks[i].path);
		else if (checks[i].bad == 2)
			custody_archive_verify__problem(v, where, "stored "
				"content %s of %s does not match the entry's "
				"SHA-256", checks[i].blob, checks[i].path);
		else if (checks[i].bad == 3)
			custody_archive_verify__problem(v, where, "stored "
				"content %s of %s does not have the entry's "
				"size", checks[i].blob, checks[i].path);
	}
}

int custody_archive_verify__full(struct custody_verify_run *v,
	custody_error **err)
{
	int rc;

	if (!v->opts->full || v->stopped)
		return 0;
	if ((rc = rehash_documents(v, err)) != 0)
		return rc;
	check_blobs(v);
	return 0;
}
