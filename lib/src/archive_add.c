/* custody add: register files, one commit for the whole batch. */
#include "archive.h"
#include "change.h"
#include "merkle.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "key.h"
#include "lock.h"
#include "pack.h"
#include "path.h"
#include "walk.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static int cmp_job_size(const void *x, const void *y)
{
	const struct custody_hash_job *a = x, *b = y;

	return a->size < b->size ? 1 : a->size > b->size ? -1 : 0;
}

struct pending {
	struct custody_walk_file *file;
	struct custody_record *record;  /* current record, or NULL */
	struct custody_hash_job *job;   /* NULL when the stat cache hit */
};

static int first_failure(struct custody_hash_job *jobs, size_t n,
	custody_error **err)
{
	struct custody_hash_job *unfinished = NULL;

	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc < 0)
			return custody__error(err, jobs[i].rc, "%s; nothing "
				"was recorded", jobs[i].error ? jobs[i].error :
				jobs[i].name);
		if (jobs[i].rc > 0 && unfinished == NULL)
			unfinished = &jobs[i];
	}
	if (unfinished != NULL)
		return custody__error(err, CUSTODY_ERROR, "%s: was not hashed; "
			"nothing was recorded", unfinished->name);
	return 0;
}

static int key_failed(void *key)
{
	return custody_key__unlock_failed(key);
}

static void hex_sha256(char out[65], const unsigned char *raw)
{
	custody_hex(out, raw, 32);
}

/*
 * documents/ is a git tree: a stored file and a stored folder cannot
 * share a name (a registered file "x" and a new "x/y", or the reverse).
 * Maps of stored file paths and of their folders, built once, make the
 * check O(n + k) for k new entries.
 */
struct stored_names {
	struct custody_map files;
	struct custody_map dirs;
	char **owned;
	size_t nowned, alloc;
};

static int add_dirs(struct stored_names *sn, const char *path)
{
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		char *prefix = strndup(path, (size_t)(s - path));

		if (prefix == NULL)
			return -1;
		if (custody_map__get(&sn->dirs, prefix) != NULL) {
			free(prefix);
			continue;
		}
		if (sn->nowned == sn->alloc) {
			size_t alloc = sn->alloc ? sn->alloc * 2 : 256;
			char **grown = realloc(sn->owned,
				alloc * sizeof(*grown));

			if (grown == NULL) {
				free(prefix);
				return -1;
			}
			sn->owned = grown;
			sn->alloc = alloc;
		}
		sn->owned[sn->nowned++] = prefix;
		if (custody_map__put(&sn->dirs, prefix, 0) != 0)
			return -1;
	}
	return 0;
}

static void stored_names_free(struct stored_names *sn)
{
	for (size_t i = 0; i < sn->nowned; i++)
		free(sn->owned[i]);
	free(sn->owned);
	custody_map__free(&sn->files);
	custody_map__free(&sn->dirs);
}

/* Returns 0, or -1 when out of memory; *other names a conflict. The
 * record is searched (O(log n) per name), the batch is put in maps. */
static int stored_conflict(struct custody_index *index,
	const struct custody_entry *entries, size_t n, const char **other)
{
	struct stored_names sn;
	int rc = -1;

	memset(&sn, 0, sizeof(sn));
	*other = NULL;
	for (size_t i = 0; i < n; i++)
		if (entries[i].blob && (custody_map__put(&sn.files,
		    entries[i].path, 0) || add_dirs(&sn, entries[i].path)))
			goto done;
	for (size_t i = 0; i < n && *other == NULL; i++) {
		const char *path = entries[i].path;

		if (entries[i].blob == NULL)
			continue;
		/* a stored folder of this name, in the batch or the record */
		if (custody_map__get(&sn.dirs, path) != NULL ||
		    custody_index__stored_under(index, path) != NULL) {
			*other = path;
			break;
		}
		/* a stored file where this path needs a folder */
		for (const char *s = strchr(path, '/'); s;
		    s = strchr(s + 1, '/')) {
			char *prefix = strndup(path, (size_t)(s - path));
			struct custody_record *r = prefix ?
				custody_index__find(index, prefix) : NULL;
			int clash = prefix && (custody_map__get(&sn.files,
				prefix) != NULL || (r != NULL && r->blob[0]));

			free(prefix);
			if (clash) {
				*other = path;
				break;
			}
		}
	}
	rc = 0;
done:
	stored_names_free(&sn);
	return rc;
}

/*
 * Writing the entries: each is emitted as YAML, put in a pack and hashed
 * as a Merkle leaf, ~15 µs apiece, so a large batch is cut into one
 * contiguous share per core, each with a pack of its own (a small one
 * stays on one thread and makes one pack).
 */
#define ENTRIES_PER_THREAD_MIN 2048
#define MAX_ENTRY_WRITERS 16

struct entry_writer {
	const struct custody_entry *entries;
	size_t from, to;
	unsigned char (*ids)[20];
	unsigned char (*leaves)[32];
	const char *pack_dir;
	custody_pack *pack;
	custody_error *err;
	int rc;
};

static void *write_entries(void *arg)
{
	struct entry_writer *w = arg;

	if ((w->rc = custody_pack__open(&w->pack, w->pack_dir, NULL, NULL,
	    &w->err)) != 0)
		return NULL;
	for (size_t i = w->from; i < w->to; i++) {
		custody_buf yaml = CUSTODY_BUF_INIT;

		if ((w->rc = custody_entry__emit(&yaml, &w->entries[i],
		    &w->err)) == 0 && (w->rc = custody_pack__add_buffer(
		    w->pack, CUSTODY_OBJ_BLOB, yaml.ptr, yaml.size, w->ids[i],
		    &w->err)) == 0)
			custody_merkle__leaf_hash(yaml.ptr, yaml.size,
				w->leaves[i]);
		custody_buf_dispose(&yaml);
		if (w->rc != 0)
			break;
	}
	return NULL;
}

/* Emit and pack entries[0, n) on as many threads as it is worth; the
 * packs written come back in writers[k].pack (k < *nwriters), committed
 * by the caller. Returns the first error. */
static int write_entries_parallel(const struct custody_entry *entries,
	size_t n, const char *pack_dir, unsigned char (*ids)[20],
	unsigned char (*leaves)[32], struct entry_writer *writers,
	size_t *nwriters, custody_error **err)
{
	pthread_t threads[MAX_ENTRY_WRITERS];
	int started[MAX_ENTRY_WRITERS] = { 0 };
	size_t k, nw = custody_hash__default_threads();
	int rc = 0;

	if (nw > MAX_ENTRY_WRITERS)
		nw = MAX_ENTRY_WRITERS;
	if (nw > n / ENTRIES_PER_THREAD_MIN)
		nw = n / ENTRIES_PER_THREAD_MIN;
	if (nw < 1)
		nw = 1;
	for (k = 0; k < nw; k++) {
		memset(&writers[k], 0, sizeof(writers[k]));
		writers[k].entries = entries;
		writers[k].from = n * k / nw;
		writers[k].to = n * (k + 1) / nw;
		writers[k].ids = ids;
		writers[k].leaves = leaves;
		writers[k].pack_dir = pack_dir;
	}
	for (k = 1; k < nw; k++)
		started[k] = pthread_create(&threads[k], NULL, write_entries,
			&writers[k]) == 0;
	write_entries(&writers[0]);
	for (k = 1; k < nw; k++) {
		if (started[k])
			pthread_join(threads[k], NULL);
		else
			write_entries(&writers[k]);
	}
	*nwriters = nw;
	for (k = 0; k < nw; k++) {
		if (writers[k].rc != 0 && rc == 0) {
			rc = writers[k].rc;
			if (err != NULL && *err == NULL) {
				*err = writers[k].err;
				writers[k].err = NULL;
			}
		}
		custody_error_free(writers[k].err);
		writers[k].err = NULL;
	}
	return rc;
}

int custody_archive_add(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	custody_entry_cb entry_cb, void *entry_payload,
	custody_add_summary *summary, custody_error **err)
{
	return custody_archive__add(a, paths, npaths, opts, NULL, entry_cb,
		entry_payload, summary, err);
}

int custody_archive__add(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	const struct custody_derive_spec *derive, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err)
{
	custody_add_options defaults = CUSTODY_ADD_OPTIONS_INIT;
	custody_lock *lock = NULL;
	struct custody_index *index = NULL;
	struct custody_walk walk;
	struct custody_hash_options hopts;
	struct custody_hash_job *jobs = NULL;
	struct pending *pending = NULL;
	struct custody_entry *entries = NULL;
	struct custody_tree_change *changes = NULL;
	char (*entry_paths)[64] = NULL;
	char (*salts)[65] = NULL;
	unsigned char (*entry_ids)[20] = NULL, (*leaves)[32] = NULL;
	struct entry_writer writers[MAX_ENTRY_WRITERS];
	size_t nwriters = 0;
	char **doc_paths = NULL;
	custody_pack **packs = NULL;
	size_t npacks = 0, njobs = 0, nentries = 0, nchanges = 0;
	char *pack_dir = NULL;
	const char *actor;
	char now[32], message[256];
	int store, rc;
	git_oid commit;
	custody_add_summary sum;

	memset(&sum, 0, sizeof(sum));
	memset(&walk, 0, sizeof(walk));
	if (opts == NULL)
		opts = &defaults;

	/* the key may still be unlocking: it is waited for before anything
	 * is written, and a wrong passphrase stops the hashing early */
	if ((rc = custody_change__begin_early(a, opts->lock_wait_ms,
	    &lock, &actor, err)) != 0)
		goto done;
	store = opts->store < 0 ? a->config->store : opts->store;
	if (a->size + 1 >= CUSTODY_MAX_ENTRIES) {
		rc = custody__error(err, CUSTODY_EINVALID, "the log is full");
		goto done;
	}
	if ((rc = custody_index__load(&index, a, err)) != 0)
		goto done;

	/* 1. What is to be registered, and is every path acceptable? */
	walk.archive = a;
	walk.index = index;
	walk.progress = opts->progress;
	walk.payload = opts->payload;
	for (size_t i = 0; i < npaths; i++) {
		char *rel = NULL;
		custody_error *perr = NULL;

		if (custody_archive__relpath(a, paths[i], &rel, &perr) != 0) {
			if (custody_error_code(perr) == CUSTODY_ENOMEM) {
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
				custody_error_free(perr);
				goto done;
			}
			rc = custody_walk__refuse(&walk, paths[i],
				custody_error_message(perr));
			custody_error_free(perr);
			if (rc != 0) {
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
				goto done;
			}
			continue;
		}
		rc = custody_walk__add(&walk, rel, 1, err);
		free(rel);
		if (rc != 0)
			goto done;
	}
	if ((rc = custody_walk__finish(&walk, err)) != 0)
		goto done;
	if (walk.nrefused > 0) {
		for (size_t i = 0; i < walk.nrefused && opts->refused; i++)
			opts->refused(walk.refused[i].path,
				walk.refused[i].reason, opts->payload);
		rc = custody__error(err, CUSTODY_EINVALID, "%zu path%s "
			"refused (%s: %s); nothing was recorded",
			walk.nrefused, walk.nrefused == 1 ? "" : "s",
			walk.refused[0].path, walk.refused[0].reason);
		goto done;
	}

	/* 2. Hash what the stat cache cannot vouch for. */
	pending = calloc(walk.nfiles ? walk.nfiles : 1, sizeof(*pending));
	jobs = calloc(walk.nfiles ? walk.nfiles : 1, sizeof(*jobs));
	if (pending == NULL || jobs == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < walk.nfiles; i++) {
		struct custody_walk_file *f = &walk.files[i];

		pending[i].file = f;
		pending[i].record = custody_index__find(index, f->path);
		if (pending[i].record && custody_index__stat_clean(index,
		    pending[i].record, &f->st))
			continue;
		jobs[njobs].path = f->path;
		jobs[njobs].name = f->path;
		jobs[njobs].check_identity = 1;
		jobs[njobs].ino = (uint64_t)f->st.st_ino;
		jobs[njobs].dev = (uint64_t)f->st.st_dev;
		jobs[njobs].size = (uint64_t)f->st.st_size;
		f->job = njobs;
		njobs++;
	}
	if (njobs > 1) {
		/* biggest first, so no thread is left with a huge file last;
		 * then point each file at its job again */
		qsort(jobs, njobs, sizeof(*jobs), cmp_job_size);
	}
	for (size_t j = 0; j < njobs; j++) {
		struct custody_walk_file *f = custody_walk__find(&walk,
			jobs[j].name);

		pending[f - walk.files].job = &jobs[j];
	}
	memset(&hopts, 0, sizeof(hopts));
	hopts.threads = opts->threads;
	hopts.beneath = 1;
	hopts.root_fd = a->root_fd;
	hopts.sha512 = a->config->sha512;
	hopts.media_type = 1;
	hopts.stop_on_error = 1;
	hopts.progress = opts->progress;
	hopts.payload = opts->payload;
	hopts.phase = "hashing";
	if (store) {
		pack_dir = custody_archive__pack_dir(a);
		if (pack_dir == NULL) {
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		hopts.pack_dir = pack_dir;
		hopts.exists = custody_archive__object_exists;
		hopts.exists_payload = a;
	}
	hopts.cancelled = key_failed;
	hopts.cancel_payload = (void *)a->signer;
	if ((rc = custody_hash__run(jobs, njobs, &hopts, &packs, &npacks,
	    err)) != 0)
		goto done;
	if ((rc = custody_key_wait(a->signer, err)) != 0 ||
	    (rc = first_failure(jobs, njobs, err)) != 0)
		goto done;

	/* 3. Decide the entries. */
	entries = calloc(walk.nfiles ? walk.nfiles : 1, sizeof(*entries));
	salts = calloc(walk.nfiles ? walk.nfiles : 1, sizeof(*salts));
	entry_paths = calloc(walk.nfiles ? walk.nfiles : 1,
		sizeof(*entry_paths));
	changes = calloc(walk.nfiles ? 2 * walk.nfiles : 1, sizeof(*changes));
	doc_paths = calloc(walk.nfiles ? walk.nfiles : 1, sizeof(*doc_paths));
	if (entries == NULL || salts == NULL || entry_paths == NULL ||
	    changes == NULL || doc_paths == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	if (derive != NULL && walk.nfiles != 1) {
		rc = custody__error(err, CUSTODY_EINVALID, "a derivative is one "
			"file, not %zu", walk.nfiles);
		goto done;
	}
	custody_change__now(a, now, NULL);
	for (size_t i = 0; i < walk.nfiles; i++) {
		struct pending *p = &pending[i];
		struct custody_hash_job *job = p->job;
		struct custody_entry *e;
		char sha[65];

		if (job == NULL) {
			sum.unchanged++;
			continue;
		}
		sum.hashed_bytes += job->size;
		if (p->record && p->record->size == job->size &&
		    CRYPTO_memcmp(p->record->sha256, job->sha256, 32) == 0) {
			custody_index__set_stat(p->record, &job->st);
			sum.unchanged++;
			continue;
		}
		e = &entries[nentries];
		e->index = a->size + nentries;
		e->type = CUSTODY_ENTRY_REGISTER;
		if (derive != NULL) {
			e->type = CUSTODY_ENTRY_DERIVE;
			e->derived_from = derive->derived_from;
			e->original_leaf = (char *)derive->original_leaf;
			e->derivation = (char *)derive->derivation;
		}
		e->time = now;
		e->actor = (char *)actor;
		e->salt = salts[nentries];  /* drawn below, all at once */
		e->note = (char *)opts->note;
		e->source = (char *)opts->source;
		e->path = p->file->path;
		e->size = job->size;
		hex_sha256(sha, job->sha256);
		e->sha256 = strdup(sha);
		if (hopts.sha512) {
			char sha512[129];

			custody_hex(sha512, job->sha512, 64);
			e->sha512 = strdup(sha512);
		}
		e->media_type = job->media_type;
		if (store) {
			char blob[41];

			custody_hex(blob, job->blob, 20);
			e->blob = strdup(blob);
		}
		e->version = p->record ? p->record->version + 1 : 1;
		e->has_previous = p->record != NULL;
		e->previous = p->record ? p->record->index : 0;
		if (e->sha256 == NULL || (hopts.sha512 && e->sha512 == NULL) ||
		    (store && e->blob == NULL)) {
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		if (p->record)
			sum.new_versions++;
		else
			sum.registered++;
		nentries++;
	}
	if ((rc = custody_change__new_salts(salts, nentries, err)) != 0)
		goto done;
	if (store && nentries > 0) {
		const char *clash = NULL;

		if (stored_conflict(index, entries, nentries, &clash) != 0) {
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		if (clash != NULL) {
			const char *reason = "a stored file and a stored folder "
				"would share a name in the archive (register "
				"one of them with --no-store)";

			if (opts->refused)
				opts->refused(clash, reason, opts->payload);
			rc = custody__error(err, CUSTODY_EINVALID, "%s: %s; "
				"nothing was recorded", clash, reason);
			goto done;
		}
	}
	if (nentries == 0 && derive != NULL) {
		rc = custody__error(err, CUSTODY_EEXISTS, "%s: already "
			"registered as it is (entry %" PRIu64 "); a derivative "
			"is a new file or a new version", walk.files[0].path,
			pending[0].record ? pending[0].record->index : 0);
		goto done;
	}
	if (nentries == 0) {
		/* Nothing new: keep what the stat cache learnt, record nothing */
		rc = custody_index__save(index, a, err);
		goto done;
	}

	/* 4. Content first, then entries: all of it on disk before the
	 * commit that refers to it. */
	for (size_t i = 0; i < npacks; i++)
		if ((rc = custody_pack__commit(packs[i], err)) != 0)
			goto done;
	if (pack_dir == NULL && (pack_dir = custody_archive__pack_dir(a))
	    == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	entry_ids = calloc(nentries, sizeof(*entry_ids));
	leaves = calloc(nentries, sizeof(*leaves));
	if (entry_ids == NULL || leaves == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	rc = write_entries_parallel(entries, nentries, pack_dir, entry_ids,
		leaves, writers, &nwriters, err);
	for (size_t k = 0; rc == 0 && k < nwriters; k++)
		rc = custody_pack__commit(writers[k].pack, err);
	if (rc != 0)
		goto done;
	for (size_t i = 0; i < nentries; i++) {
		struct custody_entry *e = &entries[i];
		struct custody_record *old;

		custody_archive__entry_path(entry_paths[i], e->index);
		changes[nchanges].path = entry_paths[i];
		git_oid_fromraw(&changes[nchanges].blob, entry_ids[i]);
		memcpy(changes[nchanges].leaf, leaves[i], 32);
		changes[nchanges].has_leaf = 1;
		nchanges++;
		old = custody_index__find(index, e->path);
		if (e->blob != NULL || (old && old->blob[0])) {
			doc_paths[i] = custody_fs__join("documents", e->path);
			if (doc_paths[i] == NULL) {
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
				goto done;
			}
			changes[nchanges].path = doc_paths[i];
			changes[nchanges].remove = e->blob == NULL;
			if (e->blob)
				git_oid_fromstr(&changes[nchanges].blob,
					e->blob);
			nchanges++;
		}
	}
	{
		git_odb *odb = NULL;

		if (git_repository_odb(&odb, a->repo) != 0 ||
		    git_odb_refresh(odb) != 0) {
			git_odb_free(odb);
			rc = custody__error_git(err, CUSTODY_EIO,
				"%s: cannot reload objects", a->gitdir);
			goto done;
		}
		git_odb_free(odb);
	}
	snprintf(message, sizeof(message), "custody add: %" PRIu64
		" registered, %" PRIu64 " new version%s\n", sum.registered,
		sum.new_versions, sum.new_versions == 1 ? "" : "s");
	if ((rc = custody_change__commit_head(a, changes, nchanges, actor,
	    message, &commit, err)) != 0)
		goto done;
	git_oid_tostr(sum.commit, sizeof(sum.commit), &commit);

	/* 5. The record is written; now the local cache. */
	for (size_t i = 0; i < nentries; i++) {
		struct custody_entry *e = &entries[i];
		struct custody_walk_file *f = custody_walk__find(&walk,
			e->path);
		struct custody_record r;

		custody_index__record_from_entry(&r, e);
		r.path = strdup(e->path);
		custody_index__set_stat(&r, &pending[f - walk.files].job->st);
		if (r.path == NULL || custody_index__put(index, &r) == NULL) {
			free(r.path);
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
	}
	{
		custody_error *ierr = NULL;

		if (custody_archive__refresh(a, err) != 0) {
			rc = custody_error_code(err ? *err : NULL);
			goto done;
		}
		memcpy(index->head, a->head_hex, 41);
		index->size = a->size;
		if (custody_index__save(index, a, &ierr) != 0)
			custody_archive__notice(a, "the stat cache was not "
				"saved (%s); it will be rebuilt",
				custody_error_message(ierr));
		custody_error_free(ierr);
	}
	for (size_t i = 0; i < nentries && entry_cb; i++)
		if (entry_cb(&entries[i], entry_payload) != 0)
			break;
done:
	if (summary)
		*summary = sum;
	if (rc != 0 && sum.commit[0] == '\0') {
		/* Nothing refers to what this run wrote: take it back, so a
		 * failed add leaves the archive as it was. */
		for (size_t i = 0; i < npacks; i++)
			custody_pack__uncommit(packs[i]);
		for (size_t k = 0; k < nwriters; k++)
			custody_pack__uncommit(writers[k].pack);
		custody_pack__settled(a->gitdir);
	}
	for (size_t i = 0; i < npacks; i++)
		custody_pack__free(packs[i]);
	free(packs);
	for (size_t k = 0; k < nwriters; k++)
		custody_pack__free(writers[k].pack);
	free(entry_ids);
	free(leaves);
	for (size_t i = 0; entries && i < walk.nfiles; i++) {
		free(entries[i].sha256);
		free(entries[i].sha512);
		free(entries[i].blob);
		free(doc_paths ? doc_paths[i] : NULL);
	}
	free(entries);
	free(doc_paths);
	free(salts);
	free(entry_paths);
	free(changes);
	if (jobs)
		custody_hash__jobs_clear(jobs, njobs);
	free(jobs);
	free(pending);
	custody_walk__free(&walk);
	custody_index__free(index);
	free(pack_dir);
	custody_lock__release(lock);
	return rc;
}
