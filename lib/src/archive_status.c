/* custody status: the collection on disk against the record. */
#include "archive.h"
#include "common.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "lock.h"
#include "walk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct item {
	custody_status_item pub;
	unsigned char sha256[32];
	int has_sha;
};

struct items {
	struct item *v;
	size_t n, alloc;
};

static struct item *push(struct items *items)
{
	if (items->n == items->alloc) {
		size_t alloc = items->alloc ? items->alloc * 2 : 64;
		struct item *grown = realloc(items->v, alloc * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		items->v = grown;
		items->alloc = alloc;
	}
	memset(&items->v[items->n], 0, sizeof(items->v[0]));
	return &items->v[items->n++];
}

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	return strcmp(a->pub.path, b->pub.path);
}

/* The index is loaded on a thread of its own while the collection is
 * read: the walk needs it only when it finishes. */
struct index_load {
	custody_archive *a;
	struct custody_index *index;
	custody_error *err;
	int rc;
};

static void *load_index(void *arg)
{
	struct index_load *l = arg;

	l->rc = custody_index__load(&l->index, l->a, &l->err);
	return NULL;
}

static void sha_key(char out[65], const unsigned char sha[32])
{
	custody_hex(out, sha, 32);
}

int custody_archive_status(custody_archive *a,
	const custody_status_options *opts, custody_status_cb cb,
	void *payload, custody_status_summary *summary, custody_error **err)
{
	custody_status_options defaults = CUSTODY_STATUS_OPTIONS_INIT;
	struct custody_index *index = NULL;
	struct custody_walk walk;
	struct custody_hash_job *jobs = NULL;
	struct custody_hash_options hopts;
	struct items items = { NULL, 0, 0 };
	struct custody_map by_sha = { 0 }, seen = { 0 };
	char (*sha_keys)[65] = NULL;
	unsigned char *present = NULL;
	struct custody_record **matched = NULL;
	size_t njobs = 0, nnew = 0;
	custody_status_summary sum;
	struct index_load load = { a, NULL, NULL, 0 };
	pthread_t loader;
	int rc, loading;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_STATUS_OPTIONS_VERSION, "custody_status_options")) != 0)
		return rc;
	memset(&sum, 0, sizeof(sum));
	memset(&walk, 0, sizeof(walk));
	if (opts == NULL)
		opts = &defaults;
	loading = pthread_create(&loader, NULL, load_index, &load) == 0;
	if (!loading)
		load_index(&load);
	walk.archive = a;
	walk.progress = opts->progress;
	walk.payload = opts->payload;
	walk.refuse_new_git = a->config->store;
	rc = custody_walk__exclude(&walk, opts->exclude, opts->nexclude, err);
	if (rc == 0)
		rc = custody_walk__add(&walk, "", 0, err);
	if (loading)
		pthread_join(loader, NULL);
	index = load.index;
	if (load.rc != 0) {
		/* the index's error is the one to tell, not the walk's */
		if (err != NULL) {
			custody_error_free(*err);
			*err = load.err;
		} else {
			custody_error_free(load.err);
		}
		rc = load.rc;
		goto done;
	}
	if (rc != 0)
		goto done;
	walk.index = index;
	if ((rc = custody_walk__finish(&walk, err)) != 0)
		goto done;

	present = calloc(index->count + 1, 1);
	matched = calloc(walk.nfiles + 1, sizeof(*matched));
	if (present == NULL || matched == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* Both lists are sorted by path (the index was just loaded, so
	 * all of it is sorted): one merge pass pairs them. */
	for (size_t i = 0, k = 0; i < walk.nfiles; i++) {
		int c = 1;

		while (k < index->sorted && (c = strcmp(index->records[k].path,
		    walk.files[i].path)) < 0)
			k++;
		if (k < index->sorted && c == 0)
			matched[i] = &index->records[k];
	}
	for (size_t i = 0; i < walk.nfiles; i++) {
		struct custody_walk_file *f = &walk.files[i];
		struct custody_record *r = matched[i];

		f->job = (size_t)-1;
		if (f->refused)
			continue;
		if (r != NULL) {
			present[r - index->records] = 1;
			if (custody_index__stat_clean(index, r, &f->st)) {
				sum.unchanged++;
				continue;
			}
		}
		f->job = njobs++;
	}
	/* a job (some 450 bytes) only for what the stat cache cannot
	 * vouch for: an unchanged collection needs none */
	if ((jobs = calloc(njobs + 1, sizeof(*jobs))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	njobs = 0;
	for (size_t i = 0; i < walk.nfiles; i++) {
		struct custody_walk_file *f = &walk.files[i];

		if (f->job == (size_t)-1)
			continue;
		jobs[njobs].path = f->path;
		jobs[njobs].name = f->path;
		jobs[njobs].size = f->st.size;
		f->job = njobs++;
	}
	memset(&hopts, 0, sizeof(hopts));
	hopts.threads = opts->threads;
	hopts.beneath = 1;
	hopts.root_fd = a->root_fd;
	hopts.progress = opts->progress;
	hopts.payload = opts->payload;
	hopts.phase = "hashing";
	if ((rc = custody_hash__run(jobs, njobs, &hopts, NULL, NULL, err))
	    != 0)
		goto done;
	sum.hashed = njobs;

	/* refusals first: they are reported as they are */
	for (size_t i = 0; i < walk.nrefused; i++) {
		struct item *it = push(&items);

		if (it == NULL)
			goto oom;
		it->pub.kind = CUSTODY_STATUS_REFUSED;
		it->pub.path = walk.refused[i].path;
		it->pub.reason = walk.refused[i].reason;
		sum.refused++;
	}
	for (size_t i = 0; i < walk.nfiles; i++) {
		struct custody_walk_file *f = &walk.files[i];
		struct custody_hash_job *job;
		struct custody_record *r;
		struct item *it;

		if (f->job == (size_t)-1)
			continue;
		job = &jobs[f->job];
		r = matched[i];
		if (job->rc != 0) {
			/* vanished or unreadable since the walk */
			if ((it = push(&items)) == NULL)
				goto oom;
			it->pub.kind = CUSTODY_STATUS_REFUSED;
			it->pub.path = f->path;
			it->pub.reason = job->error ? job->error :
				"could not be read";
			sum.refused++;
			continue;
		}
		if (r != NULL && r->size == job->size &&
		    CRYPTO_memcmp(r->sha256, job->sha256, 32) == 0) {
			/* as recorded: not read again next time */
			custody_index__set_stat(r, &f->st);
			sum.unchanged++;
			continue;
		}
		if ((it = push(&items)) == NULL)
			goto oom;
		it->pub.kind = r ? CUSTODY_STATUS_MODIFIED : CUSTODY_STATUS_NEW;
		it->pub.path = f->path;
		it->pub.size = job->size;
		memcpy(it->sha256, job->sha256, 32);
		it->has_sha = 1;
		if (r)
			sum.modified++;
		else
			nnew++;
	}

	/* Moves and duplicates need the content of what is registered. */
	if (nnew > 0) {
		sha_keys = calloc(index->count + items.n + 1,
			sizeof(*sha_keys));
		if (sha_keys == NULL)
			goto oom;
		for (size_t i = 0; i < index->count; i++) {
			sha_key(sha_keys[i], index->records[i].sha256);
			if (custody_map__get(&by_sha, sha_keys[i]) == NULL &&
			    custody_map__put(&by_sha, sha_keys[i], i) != 0)
				goto oom;
		}
		for (size_t i = 0, n = items.n; i < n; i++) {
			struct item *it = &items.v[i];
			struct custody_record *r;
			size_t *slot, k = index->count + i;

			if (it->pub.kind != CUSTODY_STATUS_NEW)
				continue;
			sha_key(sha_keys[k], it->sha256);
			slot = custody_map__get(&by_sha, sha_keys[k]);
			if (slot == NULL) {
				/* the first new file with this content */
				if (custody_map__get(&seen, sha_keys[k])) {
					size_t j = *custody_map__get(&seen,
						sha_keys[k]);

					it->pub.duplicate_of =
						items.v[j].pub.path;
				} else if (custody_map__put(&seen, sha_keys[k],
				    i) != 0) {
					goto oom;
				}
				continue;
			}
			r = &index->records[*slot];
			if (!present[*slot]) {
				/* registered content, gone from its old
				 * place: moved here (once) */
				it->pub.kind = CUSTODY_STATUS_MOVED;
				it->pub.from = r->path;
				present[*slot] = 2;
			} else {
				it->pub.duplicate_of = r->path;
			}
		}
	}
	for (size_t i = 0; i < index->count; i++) {
		struct item *it;

		if (present[i])
			continue;
		if ((it = push(&items)) == NULL)
			goto oom;
		it->pub.kind = CUSTODY_STATUS_MISSING;
		it->pub.path = index->records[i].path;
		it->pub.size = index->records[i].size;
		sum.missing++;
	}
	for (size_t i = 0; i < items.n; i++) {
		if (items.v[i].pub.kind == CUSTODY_STATUS_NEW)
			sum.added++;
		else if (items.v[i].pub.kind == CUSTODY_STATUS_MOVED)
			sum.moved++;
	}
	if (items.n > 1)
		qsort(items.v, items.n, sizeof(*items.v), cmp_item);
	custody_index__keep(index, a);
	for (size_t i = 0; i < items.n && cb; i++)
		if ((rc = cb(&items.v[i].pub, payload)) != 0)
			break;
	goto done;
oom:
	rc = custody__oom(err);
done:
	sum.struct_version = CUSTODY_STATUS_SUMMARY_VERSION;
	if (summary)
		*summary = sum;
	if (jobs)
		custody_hash__jobs_clear(jobs, njobs);
	free(jobs);
	free(present);
	free(matched);
	free(items.v);
	free(sha_keys);
	custody_map__free(&by_sha);
	custody_map__free(&seen);
	custody_walk__free(&walk);
	custody_index__free(index);
	return rc;
}

int custody_status_options_init(custody_status_options *opts, unsigned int version)
{
	static const custody_status_options fresh = CUSTODY_STATUS_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_STATUS_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
