/* custody add: register files, one commit for the whole batch. */
#include "archive_add.h"
#include "change.h"
#include "common.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "key.h"
#include "lock.h"
#include "pack.h"
#include "path.h"
#include "walk.h"

#include <inttypes.h>
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
	int skip;                       /* refused, left out (skip_refused) */
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

/* For a batch that stores every entry's content: 0, or -1 when out of
 * memory; *other names a conflict. The record is searched (O(log n)
 * per name), the batch is put in maps. */
static int stored_conflict(struct custody_index *index,
	const struct custody_entry *entries, size_t n, const char **other)
{
	struct stored_names sn;
	int rc = -1;

	memset(&sn, 0, sizeof(sn));
	*other = NULL;
	for (size_t i = 0; i < n; i++)
		if ((custody_map__put(&sn.files,
		    entries[i].path, 0) || add_dirs(&sn, entries[i].path)))
			goto done;
	for (size_t i = 0; i < n && *other == NULL; i++) {
		const char *path = entries[i].path;

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

int custody_archive_add(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	custody_entry_cb entry_cb, void *entry_payload,
	custody_add_summary *summary, custody_error **err)
{
	int rc = CUSTODY_CHECK_OPTIONS(err, opts, CUSTODY_ADD_OPTIONS_VERSION,
		"custody_add_options");

	if (rc != 0)
		return rc;
	return custody_archive__add(a, paths, npaths, opts, NULL, entry_cb,
		entry_payload, summary, err);
}

/* One add, from its paths to its commit, phase by phase. */
struct add_run {
	custody_archive *a;
	const custody_add_options *opts;
	const struct custody_derive_spec *derive;
	const struct custody_add_events *events;  /* NULL: none */
	custody_lock *lock;
	int store;                      /* content goes in the archive */
	struct custody_index *index;
	struct custody_walk walk;
	struct custody_hash_options hopts;
	char *pack_dir;                 /* set when storing */
	struct pending *pending;        /* one per walked file */
	struct custody_hash_job *jobs;  /* freed once the entries are made */
	size_t njobs;
	struct custody_map media_types; /* each media type once, to... */
	char **media_type_names;        /* ...these copies */
	size_t nmedia_types, alloc_media_types;
	custody_pack **packs;           /* the content the hashing stored */
	size_t npacks;
	struct custody_entry *extra;    /* events->extra's entries */
	size_t nextra;
	struct custody_entry *entries;  /* what is new or changed, then... */
	size_t nentries;
	char **skip_lists;              /* ...a skip entry for each of these */
	size_t nskips;
	struct custody_tree_change *documents;  /* documents/ updates */
	char **document_paths;
	size_t ndocuments;
	custody_add_summary sum;
};

/* Lock, and load what is known of the collection. The key may still be
 * unlocking: it is waited for before anything is written, and a wrong
 * passphrase stops the hashing early. */
static int add_begin(struct add_run *run, custody_error **err)
{
	custody_archive *a = run->a;
	const char *actor;
	int rc;

	if (run->opts->dry_run) {
		/* read only: no lock (it would clean up), no history check
		 * (it records what it saw) */
		if ((rc = custody_archive__refresh(a, err)) != 0)
			return rc;
	} else if ((rc = custody_change__begin_early(a,
	    run->opts->lock_wait_ms, &run->lock, &actor, err)) != 0) {
		return rc;
	}
	run->store = run->opts->store < 0 ? a->config->store :
		run->opts->store;
	if (a->size + 1 >= CUSTODY_MAX_ENTRIES)
		return custody__error(err, CUSTODY_EINVALID,
			"the log is full");
	return custody_index__load(&run->index, a, err);
}

/* What is to be registered: the paths given, folders walked. A path
 * that cannot be is a refusal, reported after the walk. */
static int add_walk(struct add_run *run, const char *const *paths,
	size_t npaths, custody_error **err)
{
	struct custody_walk *walk = &run->walk;
	int rc;

	walk->archive = run->a;
	walk->index = run->index;
	walk->progress = run->opts->progress;
	walk->payload = run->opts->payload;
	walk->refuse_new_git = run->store;
	if ((rc = custody_walk__exclude(walk, run->opts->exclude,
	    run->opts->nexclude, err)) != 0)
		return rc;
	for (size_t i = 0; i < npaths; i++) {
		char *rel = NULL;
		custody_error *perr = NULL;

		if (custody_archive__relpath(run->a, paths[i], &rel,
		    &perr) != 0) {
			if (custody_error_code(perr) == CUSTODY_ENOMEM) {
				custody_error_free(perr);
				return custody__oom(err);
			}
			rc = custody_walk__refuse(walk, paths[i],
				custody_error_message(perr));
			custody_error_free(perr);
			if (rc != 0)
				return custody__oom(err);
			continue;
		}
		rc = custody_walk__add(walk, rel, 1, err);
		free(rel);
		if (rc != 0)
			return rc;
	}
	return custody_walk__finish(walk, err);
}

/* Is every path acceptable? Each refusal is reported; any one of them
 * stops the add. */
static int add_check_refusals(struct add_run *run, custody_error **err)
{
	const struct custody_walk *walk = &run->walk;
	const custody_add_options *opts = run->opts;

	if (walk->nrefused == 0)
		return 0;
	for (size_t i = 0; i < walk->nrefused && opts->refused; i++)
		opts->refused(walk->refused[i].path, walk->refused[i].reason,
			opts->payload);
	if (opts->dry_run || opts->skip_refused)
		return 0;   /* said again at the end, or skipped */
	return custody__error(err, CUSTODY_EINVALID, "%zu path%s refused "
		"(%s: %s); nothing was recorded", walk->nrefused,
		walk->nrefused == 1 ? "" : "s", walk->refused[0].path,
		walk->refused[0].reason);
}

/* A hash job for every file the stat cache cannot vouch for. */
static int add_plan_hashing(struct add_run *run, custody_error **err)
{
	struct custody_walk *walk = &run->walk;
	size_t nfiles = walk->nfiles ? walk->nfiles : 1;

	run->pending = calloc(nfiles, sizeof(*run->pending));
	run->jobs = calloc(nfiles, sizeof(*run->jobs));
	if (run->pending == NULL || run->jobs == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < walk->nfiles; i++) {
		struct custody_walk_file *f = &walk->files[i];
		struct pending *p = &run->pending[i];
		struct custody_hash_job *job = &run->jobs[run->njobs];

		p->file = f;
		if (f->refused) {
			p->skip = 1;
			continue;
		}
		p->record = custody_index__find(run->index, f->path);
		if (p->record && custody_index__stat_clean(run->index,
		    p->record, &f->st))
			continue;
		job->path = f->path;
		job->name = f->path;
		job->check_identity = 1;
		job->ino = f->st.ino;
		job->dev = f->st.dev;
		job->size = f->st.size;
		job->tag = i;
		f->job = run->njobs;
		run->njobs++;
	}
	if (run->njobs > 1) {
		/* biggest first, so no thread is left with a huge file last;
		 * then point each file at its job again */
		qsort(run->jobs, run->njobs, sizeof(*run->jobs), cmp_job_size);
	}
	for (size_t j = 0; j < run->njobs; j++)
		run->pending[run->jobs[j].tag].job = &run->jobs[j];
	return 0;
}

/* Hash (and, when storing, pack the content of) every planned file. */
static int add_hash(struct add_run *run, custody_error **err)
{
	struct custody_hash_options *hopts = &run->hopts;
	custody_archive *a = run->a;
	int rc;

	memset(hopts, 0, sizeof(*hopts));
	hopts->threads = run->opts->threads;
	hopts->beneath = 1;
	hopts->root_fd = a->root_fd;
	hopts->sha512 = a->config->sha512;
	hopts->media_type = !a->config->no_media_types;
	hopts->stop_on_error = 1;
	hopts->progress = run->opts->progress;
	hopts->payload = run->opts->payload;
	hopts->phase = "hashing";
	if (run->store && !run->opts->dry_run) {
		run->pack_dir = custody_archive__pack_dir(a);
		if (run->pack_dir == NULL)
			return custody__oom(err);
		hopts->pack_dir = run->pack_dir;
		hopts->exists = custody_archive__object_exists;
		hopts->exists_payload = a;
	}
	if (a->signer != NULL) {
		hopts->cancelled = key_failed;
		hopts->cancel_payload = (void *)a->signer;
	}
	if ((rc = custody_hash__run(run->jobs, run->njobs, hopts, &run->packs,
	    &run->npacks, err)) != 0 ||
	    (a->signer != NULL &&
	    (rc = custody_key_wait(a->signer, err)) != 0))
		return rc;
	return first_failure(run->jobs, run->njobs, err);
}

/* The entries' media types, each kept once (a batch of millions has a
 * few hundred): the hash jobs can go before the entries are written. */
static const char *intern_media_type(struct add_run *run, const char *mt)
{
	size_t *slot = custody_map__get(&run->media_types, mt);
	char *copy;

	if (slot != NULL)
		return run->media_type_names[*slot];
	if (run->nmedia_types == run->alloc_media_types) {
		size_t alloc = run->alloc_media_types ?
			run->alloc_media_types * 2 : 32;
		char **grown = realloc(run->media_type_names,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		run->media_type_names = grown;
		run->alloc_media_types = alloc;
	}
	if ((copy = strdup(mt)) == NULL)
		return NULL;
	run->media_type_names[run->nmedia_types] = copy;
	if (custody_map__put(&run->media_types, copy, run->nmedia_types)
	    != 0) {
		free(copy);
		return NULL;
	}
	return run->media_type_names[run->nmedia_types++];
}

/* The entry of a file that is new or changed (index, time, actor and
 * salt are the writer's). */
static int fill_entry(struct add_run *run, const struct pending *p,
	struct custody_entry *e, custody_error **err)
{
	const struct custody_derive_spec *derive = run->derive;
	struct custody_hash_job *job = p->job;
	char sha[65];

	e->type = CUSTODY_ENTRY_REGISTER;
	if (derive != NULL) {
		e->type = CUSTODY_ENTRY_DERIVE;
		e->derived_from = derive->derived_from;
		e->original_leaf = (char *)derive->original_leaf;
		e->derivation = (char *)derive->derivation;
	}
	e->note = (char *)run->opts->note;
	e->source = (char *)run->opts->source;
	e->path = p->file->path;
	e->size = job->size;
	hex_sha256(sha, job->sha256);
	e->sha256 = strdup(sha);
	if (run->hopts.sha512) {
		char sha512[129];

		custody_hex(sha512, job->sha512, 64);
		e->sha512 = strdup(sha512);
	}
	e->media_type = run->hopts.media_type ?
		(char *)intern_media_type(run, job->media_type) : NULL;
	if (run->store && !run->opts->dry_run) {
		char blob[41];

		custody_hex(blob, job->blob, 20);
		e->blob = strdup(blob);
	}
	e->version = p->record ? p->record->version + 1 : 1;
	e->has_previous = p->record != NULL;
	e->previous = p->record ? p->record->index : 0;
	if (e->sha256 == NULL ||
	    (run->hopts.media_type && e->media_type == NULL) ||
	    (run->hopts.sha512 && e->sha512 == NULL) ||
	    (run->store && !run->opts->dry_run && e->blob == NULL))
		return custody__oom(err);
	return 0;
}

/* Decide the entries: one per file whose content is not as recorded.
 * A file found unchanged by its hash has its stat data refreshed. */
static int add_build_entries(struct add_run *run, custody_error **err)
{
	size_t nfiles = run->walk.nfiles;
	int rc;

	run->entries = calloc(nfiles ? nfiles : 1, sizeof(*run->entries));
	if (run->entries == NULL)
		return custody__oom(err);
	if (run->derive != NULL && nfiles != 1)
		return custody__error(err, CUSTODY_EINVALID, "a derivative is "
			"one file, not %zu", nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		struct pending *p = &run->pending[i];
		struct custody_hash_job *job = p->job;

		if (p->skip)
			continue;
		if (job == NULL) {
			run->sum.unchanged++;
			continue;
		}
		/* the stat after reading is what the index keeps */
		p->file->st = job->st;
		run->sum.hashed_bytes += job->size;
		if (p->record && p->record->size == job->size &&
		    CRYPTO_memcmp(p->record->sha256, job->sha256, 32) == 0) {
			custody_index__set_stat(p->record, &job->st);
			run->sum.unchanged++;
			continue;
		}
		/* counted before it is filled: the entry's strings are freed
		 * with the run even when filling fails half way */
		run->nentries++;
		if ((rc = fill_entry(run, p, &run->entries[run->nentries - 1],
		    err)) != 0)
			return rc;
		if (p->record)
			run->sum.new_versions++;
		else
			run->sum.registered++;
	}
	/* everything the entries need is copied out of the jobs (some 450
	 * bytes a file): they are not held while the entries are written */
	for (size_t i = 0; i < nfiles; i++)
		run->pending[i].job = NULL;
	custody_hash__jobs_clear(run->jobs, run->njobs);
	free(run->jobs);
	run->jobs = NULL;
	run->njobs = 0;
	return 0;
}

/* Take back the entry of `path` (skipped after it was hashed). */
static void drop_entry(struct add_run *run, const char *path)
{
	for (size_t i = 0; i < run->nentries; i++) {
		struct custody_entry *e = &run->entries[i];

		if (e->path != path)
			continue;
		if (e->has_previous)
			run->sum.new_versions--;
		else
			run->sum.registered--;
		free(e->sha256);
		free(e->sha512);
		free(e->blob);
		memmove(e, e + 1, (run->nentries - i - 1) * sizeof(*e));
		run->nentries--;
		memset(&run->entries[run->nentries], 0, sizeof(*e));
		return;
	}
}

/* Refuse a batch whose stored files and folders would clash in
 * documents/ (or, with skip_refused, leave out the files that would),
 * and a derivative that is nothing new. */
static int add_check_conflicts(struct add_run *run, custody_error **err)
{
	const custody_add_options *opts = run->opts;
	int rc;

	for (size_t i = 0; run->store && i < run->nentries; ) {
		/* a registered file of a .git folder, changed: its new
		 * version cannot be stored either */
		const char *path = run->entries[i].path;
		custody_error *perr = NULL;

		if (custody_path__check(path, &perr) == 0) {
			i++;
			continue;
		}
		if (opts->refused)
			opts->refused(path, custody_error_message(perr),
				opts->payload);
		if (!opts->skip_refused) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: %s; "
				"nothing was recorded", path,
				custody_error_message(perr));
			custody_error_free(perr);
			return rc;
		}
		rc = custody_walk__refuse(&run->walk, path,
			custody_error_message(perr));
		custody_error_free(perr);
		if (rc != 0)
			return custody__oom(err);
		drop_entry(run, path);
	}
	while (run->store && run->nentries > 0) {
		const char *clash = NULL;

		if (stored_conflict(run->index, run->entries, run->nentries,
		    &clash) != 0)
			return custody__oom(err);
		if (clash == NULL)
			break;
		{
			const char *reason = CUSTODY_REFUSED_STORED_CLASH;

			if (opts->refused)
				opts->refused(clash, reason, opts->payload);
			if (!opts->skip_refused)
				return custody__error(err, CUSTODY_EINVALID,
					"%s: %s; nothing was recorded", clash,
					reason);
			if (custody_walk__refuse(&run->walk, clash, reason)
			    != 0)
				return custody__oom(err);
			drop_entry(run, clash);
		}
	}
	if (run->nentries == 0 && run->derive != NULL) {
		const struct custody_record *r = run->pending[0].record;

		return custody__error(err, CUSTODY_EEXISTS, "%s: already "
			"registered as it is (entry %" PRIu64 "); a derivative "
			"is a new file or a new version",
			run->walk.files[0].path, r ? r->index : 0);
	}
	return 0;
}

/* A refused path as the skip list writes it, and where it was refused
 * (the first reason given for a path is the one kept). */
struct skip_line {
	char *path;
	char *reason;
	size_t order;
};

static int cmp_skip_line(const void *x, const void *y)
{
	const struct skip_line *a = x, *b = y;
	int c = strcmp(a->path, b->path);

	return c != 0 ? c : a->order < b->order ? -1 : a->order > b->order;
}

/* Most bytes of the skip list one entry holds: the entry, in YAML with
 * its escapes, stays well under CUSTODY_ENTRY_MAX_BYTES. */
#define SKIP_LIST_MAX_BYTES (32 * 1024)

/* A path as the skip list writes it: quoted as messages quote it, so
 * no control character (nor tab, nor newline) is left. */
static char *skip_quote(const char *text, size_t max)
{
	size_t len = strlen(text) * 10 + 4;
	char *out;

	if (len > max)
		len = max;
	if ((out = malloc(len)) != NULL)
		custody_path__quote(out, len, text);
	return out;
}

/* A reason as the skip list writes it: custody's own words, which quote
 * the names they hold already; only what a terminal would act on (a
 * control or invisible code point, a byte that is not UTF-8) is escaped,
 * backslashes are left as they are. At most `max` bytes. */
static char *skip_reason(const char *text, size_t max)
{
	custody_buf out = { NULL, 0 };
	size_t left = strlen(text);
	const char *p = text;

	while (left > 0 && out.size + 16 < max) {
		uint32_t cp;
		size_t n = custody_path__utf8_next(p, left, &cp);
		int rc;

		if (n == 0)
			rc = custody_buf__printf(&out, "\\x%02x",
				(unsigned char)*p);
		else if (custody_path__invisible(cp))
			rc = custody_buf__printf(&out, "\\u{%04x}",
				(unsigned)cp);
		else
			rc = custody_buf__append(&out, p, n);
		if (rc != 0) {
			custody_buf_dispose(&out);
			return NULL;
		}
		n = n ? n : 1;
		p += n;
		left -= n;
	}
	if (out.ptr == NULL && custody_buf__append(&out, "", 0) != 0)
		return NULL;
	if (out.ptr != NULL && left > 0 &&
	    custody_buf__append(&out, "...", 3) != 0) {
		custody_buf_dispose(&out);
		return NULL;
	}
	return out.ptr;
}

/*
 * With skip_refused: the skip lists of what was refused, each path once
 * (with its first reason), "<path>\t<reason>\n" a line, both quoted, in
 * the byte order of the quoted paths (quoting can change the order:
 * a tab sorts before a space, its escape after), cut into lists of at
 * most SKIP_LIST_MAX_BYTES (a skip entry each).
 */
static int add_plan_skips(struct add_run *run, custody_error **err)
{
	struct custody_walk *walk = &run->walk;
	custody_buf list = { NULL, 0 };
	struct skip_line *lines;
	size_t n = walk->nrefused, nlists = 0;
	int rc = 0;

	if (!run->opts->skip_refused || n == 0)
		return 0;
	lines = calloc(n, sizeof(*lines));
	run->skip_lists = calloc(n, sizeof(*run->skip_lists));
	if (lines == NULL || run->skip_lists == NULL) {
		free(lines);
		return custody__oom(err);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		lines[i].order = i;
		lines[i].path = skip_quote(walk->refused[i].path, 64 * 1024);
		lines[i].reason = skip_reason(walk->refused[i].reason, 2048);
		if (lines[i].path == NULL || lines[i].reason == NULL)
			rc = custody__oom(err);
	}
	if (rc == 0)
		qsort(lines, n, sizeof(*lines), cmp_skip_line);
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t line;

		if (i > 0 && strcmp(lines[i - 1].path, lines[i].path) == 0)
			continue;
		run->sum.skipped++;
		line = strlen(lines[i].path) + strlen(lines[i].reason) + 2;
		if (list.size > 0 && list.size + line > SKIP_LIST_MAX_BYTES) {
			run->skip_lists[nlists++] = list.ptr;
			list.ptr = NULL;
			list.size = 0;
		}
		if (custody_buf__printf(&list, "%s\t%s\n", lines[i].path,
		    lines[i].reason) != 0)
			rc = custody__oom(err);
	}
	if (rc == 0 && list.size > 0) {
		run->skip_lists[nlists++] = list.ptr;
		list.ptr = NULL;
	}
	run->nskips = nlists;
	custody_buf_dispose(&list);
	for (size_t i = 0; i < n; i++) {
		free(lines[i].path);
		free(lines[i].reason);
	}
	free(lines);
	return rc;
}

/* The skip entries, after the registrations, in the same commit. */
static int add_skip_entries(struct add_run *run, custody_error **err)
{
	struct custody_entry *grown;

	if (run->nskips == 0)
		return 0;
	grown = realloc(run->entries, (run->nentries + run->nskips) *
		sizeof(*grown));
	if (grown == NULL)
		return custody__oom(err);
	run->entries = grown;
	for (size_t k = 0; k < run->nskips; k++) {
		struct custody_entry *e = &run->entries[run->nentries + k];

		memset(e, 0, sizeof(*e));
		e->type = CUSTODY_ENTRY_SKIP;
		e->skipped = run->skip_lists[k];
		e->note = (char *)run->opts->note;
	}
	return 0;
}

/* documents/<path> for every entry that stores content, or whose path
 * stored some before (removed when this version is not stored). */
static int touches_documents(const struct add_run *run,
	const struct custody_entry *e)
{
	const struct custody_record *old;

	if (e->blob != NULL)
		return 1;
	old = custody_index__find(run->index, e->path);
	return old != NULL && old->blob[0];
}

static int add_plan_documents(struct add_run *run, custody_error **err)
{
	size_t n = 0;

	/* counted first: a batch that stores nothing holds no array */
	for (size_t i = 0; i < run->nentries; i++)
		n += touches_documents(run, &run->entries[i]);
	run->documents = calloc(n + 1, sizeof(*run->documents));
	run->document_paths = calloc(n + 1, sizeof(*run->document_paths));
	if (run->documents == NULL || run->document_paths == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < run->nentries; i++) {
		const struct custody_entry *e = &run->entries[i];
		struct custody_tree_change *d;
		char *path;

		if (!touches_documents(run, e))
			continue;
		if ((path = custody_fs__join("documents", e->path)) == NULL)
			return custody__oom(err);
		run->document_paths[run->ndocuments] = path;
		d = &run->documents[run->ndocuments++];
		d->path = path;
		d->remove = e->blob == NULL;
		if (e->blob)
			git_oid_fromstr(&d->blob, e->blob);
	}
	return 0;
}

/* The documents, then an event for each (entries n to 2n - 1 name
 * entries 0 to n - 1, which take the log's next indexes), in one
 * commit; the documents' stamped fields are copied back for the index
 * and the caller. */
static int add_write_with_events(struct add_run *run, char *message,
	git_oid *commit, custody_error **err)
{
	size_t n = run->nentries, before = n + run->nskips;
	size_t after = run->events->extra ? run->nextra : n;
	struct custody_entry *all = calloc(before + after + 1, sizeof(*all));
	int rc;

	if (all == NULL)
		return custody__oom(err);
	/* the documents, the skips on the record, then the events */
	memcpy(all, run->entries, before * sizeof(*all));
	if (run->events->extra) {
		memcpy(all + before, run->extra, after * sizeof(*all));
		snprintf(message, 256, "custody add: %" PRIu64 " registered, %"
			PRIu64 " new version%s, %zu more entr%s\n",
			run->sum.registered, run->sum.new_versions,
			run->sum.new_versions == 1 ? "" : "s", after,
			after == 1 ? "y" : "ies");
	}
	for (size_t i = 0; !run->events->extra && i < n; i++) {
		struct custody_entry *e = &all[before + i];

		e->type = CUSTODY_ENTRY_EVENT;
		e->document = run->a->size + i;
		e->sha256 = run->entries[i].sha256;
		e->event_action = (char *)run->events->action;
		e->from = (char *)run->events->from;
		e->note = (char *)run->events->note;
	}
	if (!run->events->extra)
		snprintf(message, 256, "custody add: %" PRIu64 " registered, %"
			PRIu64 " new version%s, each %.32s\n",
			run->sum.registered, run->sum.new_versions,
			run->sum.new_versions == 1 ? "" : "s",
			run->events->action);
	rc = custody_change__append_tree(run->a, all, before + after, NULL,
		0, run->documents, run->ndocuments, message, commit, err);
	memcpy(run->entries, all, before * sizeof(*all));
	free(all);
	return rc;
}

/* Content first, then entries: all of it on disk before the commit
 * that refers to it, made by the one entry writer. */
static int add_write(struct add_run *run, custody_error **err)
{
	char message[256];
	git_oid commit;
	int rc;

	for (size_t i = 0; i < run->npacks; i++)
		if ((rc = custody_pack__commit(run->packs[i], err)) != 0)
			return rc;
	if ((rc = add_plan_documents(run, err)) != 0 ||
	    (rc = add_skip_entries(run, err)) != 0)
		return rc;
	snprintf(message, sizeof(message), "custody add: %" PRIu64
		" registered, %" PRIu64 " new version%s%s\n",
		run->sum.registered, run->sum.new_versions,
		run->sum.new_versions == 1 ? "" : "s",
		run->nskips ? ", refused paths skipped on the record" : "");
	memset(&commit, 0, sizeof(commit));
	if (run->events != NULL) {
		rc = add_write_with_events(run, message, &commit, err);
	} else {
		rc = custody_change__append_tree(run->a, run->entries,
			run->nentries + run->nskips, NULL, 0, run->documents,
			run->ndocuments, message, &commit, err);
	}
	if (!git_oid_is_zero(&commit))
		git_oid_tostr(run->sum.commit, sizeof(run->sum.commit),
			&commit);
	return rc;
}

/* The record is written; now the local cache. A cache that cannot be
 * saved is rebuilt next time, so that is only a notice. */
static int add_update_index(struct add_run *run, custody_error **err)
{
	custody_archive *a = run->a;
	custody_error *ierr = NULL;

	for (size_t i = 0, next = 0; i < run->nentries; i++) {
		const struct custody_entry *e = &run->entries[i];
		struct custody_walk_file *f;
		struct custody_record r;

		/* the entries are in the walk's order: find each file by
		 * its path's pointer from where the last one was */
		while (next < run->walk.nfiles &&
		    run->walk.files[next].path != e->path)
			next++;
		f = next < run->walk.nfiles ? &run->walk.files[next] :
			custody_walk__find(&run->walk, e->path);

		custody_index__record_from_entry(&r, e);
		r.path = strdup(e->path);
		custody_index__set_stat(&r, &f->st);
		if (r.path == NULL || custody_index__put(run->index, &r)
		    == NULL) {
			free(r.path);
			return custody__oom(err);
		}
	}
	memcpy(run->index->head, a->head_hex, 41);
	run->index->size = a->size;
	if (custody_index__save(run->index, a, &ierr) != 0)
		custody_archive__notice(a, "the stat cache was not saved (%s); "
			"it will be rebuilt", custody_error_message(ierr));
	custody_error_free(ierr);
	return 0;
}

/* Undo what nothing refers to, so a failed add leaves the archive as
 * it was; free the rest. */
static void add_run_free(struct add_run *run, int rc)
{
	if (rc != 0 && run->sum.commit[0] == '\0') {
		for (size_t i = 0; i < run->npacks; i++)
			custody_pack__uncommit(run->packs[i]);
		/* the journal is the lock holder's: not ours to clear when
		 * the lock was never taken */
		if (run->lock != NULL)
			custody_pack__settled(run->a->gitdir);
	}
	for (size_t i = 0; i < run->npacks; i++)
		custody_pack__free(run->packs[i]);
	free(run->packs);
	for (size_t i = 0; run->entries && i < run->nentries; i++) {
		free(run->entries[i].sha256);
		free(run->entries[i].sha512);
		free(run->entries[i].blob);
	}
	free(run->entries);
	free(run->extra);
	for (size_t i = 0; i < run->nskips; i++)
		free(run->skip_lists[i]);
	free(run->skip_lists);
	for (size_t i = 0; i < run->ndocuments; i++)
		free(run->document_paths[i]);
	free(run->document_paths);
	free(run->documents);
	if (run->jobs)
		custody_hash__jobs_clear(run->jobs, run->njobs);
	free(run->jobs);
	for (size_t i = 0; i < run->nmedia_types; i++)
		free(run->media_type_names[i]);
	free(run->media_type_names);
	custody_map__free(&run->media_types);
	free(run->pending);
	custody_walk__free(&run->walk);
	custody_index__free(run->index);
	free(run->pack_dir);
	custody_lock__release(run->lock);
}

/* A dry run's end: each entry as it would be recorded, then the
 * refusals, which a real add would stop at. Nothing is written. */
static int add_dry_run_end(struct add_run *run, custody_entry_cb entry_cb,
	void *entry_payload, custody_error **err)
{
	const struct custody_walk *walk = &run->walk;

	for (size_t i = 0; i < run->nentries && entry_cb; i++) {
		run->entries[i].index = run->a->size + i;
		if (entry_cb(&run->entries[i], entry_payload) != 0)
			break;
	}
	if (walk->nrefused == 0 || run->opts->skip_refused)
		return 0;
	return custody__error(err, CUSTODY_EINVALID, "%zu path%s refused "
		"(%s: %s); an add would record nothing", walk->nrefused,
		walk->nrefused == 1 ? "" : "s", walk->refused[0].path,
		walk->refused[0].reason);
}

static int add_run_all(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	const struct custody_derive_spec *derive,
	const struct custody_add_events *events, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err)
{
	custody_add_options defaults = CUSTODY_ADD_OPTIONS_INIT;
	struct add_run run;
	int rc;

	memset(&run, 0, sizeof(run));
	run.a = a;
	run.opts = opts ? opts : &defaults;
	run.derive = derive;
	run.events = events;
	if ((rc = add_begin(&run, err)) != 0 ||
	    (rc = add_walk(&run, paths, npaths, err)) != 0 ||
	    (rc = add_check_refusals(&run, err)) != 0 ||
	    (rc = add_plan_hashing(&run, err)) != 0 ||
	    (rc = add_hash(&run, err)) != 0 ||
	    (rc = add_build_entries(&run, err)) != 0 ||
	    (rc = add_check_conflicts(&run, err)) != 0 ||
	    (rc = add_plan_skips(&run, err)) != 0)
		goto done;
	if (run.opts->dry_run) {
		rc = add_dry_run_end(&run, entry_cb, entry_payload, err);
		goto done;
	}
	if (run.nentries == 0) {
		/* Nothing new: keep what the stat cache learnt, record
		 * nothing */
		rc = custody_index__save(run.index, a, err);
		goto done;
	}
	if (run.events != NULL && run.events->extra != NULL &&
	    (rc = run.events->extra(run.events->payload, run.entries,
	    run.nentries, a->size, &run.extra, &run.nextra, err)) != 0)
		goto done;
	if ((rc = add_write(&run, err)) != 0 ||
	    (rc = add_update_index(&run, err)) != 0)
		goto done;
	for (size_t i = 0; i < run.nentries && entry_cb; i++)
		if (entry_cb(&run.entries[i], entry_payload) != 0)
			break;
done:
	run.sum.struct_version = CUSTODY_ADD_SUMMARY_VERSION;
	if (summary)
		*summary = run.sum;
	add_run_free(&run, rc);
	return rc;
}

int custody_archive__add(custody_archive *a, const char *const *paths,
	size_t npaths, const custody_add_options *opts,
	const struct custody_derive_spec *derive, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err)
{
	return add_run_all(a, paths, npaths, opts, derive, NULL, entry_cb,
		entry_payload, summary, err);
}

int custody_archive__add_events(custody_archive *a,
	const char *const *paths, size_t npaths,
	const custody_add_options *opts,
	const struct custody_add_events *events, custody_entry_cb entry_cb,
	void *entry_payload, custody_add_summary *summary,
	custody_error **err)
{
	return add_run_all(a, paths, npaths, opts, NULL, events, entry_cb,
		entry_payload, summary, err);
}

int custody_add_options_init(custody_add_options *opts, unsigned int version)
{
	static const custody_add_options fresh = CUSTODY_ADD_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_ADD_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
