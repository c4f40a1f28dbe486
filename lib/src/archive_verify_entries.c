/*
 * custody verify: the entries. The log's shape (every file where custody
 * puts its index), then every entry in order: it parses, the first is
 * the genesis, links name registrations, and each path's versions
 * follow each other.
 */
#include "archive_verify.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "merkle.h"
#include "note.h"
#include "tiles.h"
#include "tlog_index.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* The index in a path under log/ (top "log/") or private/, or -1. */
static int64_t index_in(const char *path, const char *top)
{
	size_t skip = strlen(top);
	char expect[64], *end;
	uint64_t n;

	if (strncmp(path, top, skip) != 0 || strlen(path) != skip + 22)
		return -1;
	errno = 0;
	n = strtoull(path + skip + 8, &end, 10);
	if (errno || end != path + skip + 17)
		return -1;
	if (skip == 4)
		custody_archive__entry_path(expect, n);
	else
		custody_archive__private_path(expect, n);
	return strcmp(expect, path) == 0 ? (int64_t)n : -1;
}

int64_t custody_archive_verify__entry_index(const char *path)
{
	return index_in(path, "log/");
}

int64_t custody_archive_verify__private_index(const char *path)
{
	return index_in(path, "private/");
}

/* A gap in the log, said once for the whole range. */
static void log_gap(struct custody_verify_run *v, uint64_t from, uint64_t to)
{
	if (from == to)
		custody_archive_verify__problem(v, "log/", "entry %" PRIu64
			" is missing", from);
	else
		custody_archive_verify__problem(v, "log/", "entries %" PRIu64
			" to %" PRIu64 " are missing", from, to);
}

/* How far the walk of the log's files has got. */
struct log_shape {
	uint64_t next;             /* the index due next */
	int gap;                   /* one was found */
	uint64_t prefix;           /* consecutive entries before it */
};

/* The entries in one folder log/<d1>/<d2>/. */
static void read_log_leaf(struct custody_verify_run *v,
	const git_tree_entry *d1, const git_tree_entry *d2, git_tree *leaf,
	struct log_shape *s)
{
	for (size_t k = 0; k < git_tree_entrycount(leaf); k++) {
		const git_tree_entry *f = git_tree_entry_byindex(leaf, k);
		char path[256];
		int64_t n;

		snprintf(path, sizeof(path), "log/%s/%s/%s",
			git_tree_entry_name(d1), git_tree_entry_name(d2),
			git_tree_entry_name(f));
		n = custody_archive_verify__entry_index(path);
		if (n < 0 || (uint64_t)n < s->next) {
			custody_archive_verify__problem(v, "log/", "holds %s, "
				"which is not where custody puts an entry",
				path + 4);
			continue;
		}
		if ((uint64_t)n > s->next) {
			log_gap(v, s->next, (uint64_t)n - 1);
			if (!s->gap)
				s->prefix = s->next;
			s->gap = 1;
		}
		s->next = (uint64_t)n + 1;
	}
}

/* The folders in log/<d1>/. */
static void read_log_middle(struct custody_verify_run *v,
	const git_tree_entry *d1, git_tree *mid, struct log_shape *s)
{
	for (size_t j = 0; j < git_tree_entrycount(mid); j++) {
		const git_tree_entry *d2 = git_tree_entry_byindex(mid, j);
		git_tree *leaf = NULL;

		if (git_tree_entry_type(d2) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&leaf, v->a->repo, git_tree_entry_id(d2))
		    != 0) {
			custody_archive_verify__problem(v, "log/", "holds "
				"%s/%s, which is not a folder custody writes",
				git_tree_entry_name(d1),
				git_tree_entry_name(d2));
			continue;
		}
		read_log_leaf(v, d1, d2, leaf, s);
		git_tree_free(leaf);
	}
}

/*
 * The log's shape, read before its size is trusted: the size comes from
 * the name of the last file, so one crafted file at a huge index would
 * otherwise size every table. Every file must sit where custody puts its
 * index (folders named after the index they hold); gaps are reported as
 * ranges. *prefix is the number of consecutive entries from 0, the ones
 * that are checked one by one; the work is bounded by what exists. When
 * it is not the size the last file's name gives, the log's Merkle tree
 * is not compared with the checkpoints (the log is already reported).
 */
static void read_log_shape(struct custody_verify_run *v, git_tree *root,
	uint64_t *prefix)
{
	custody_archive *a = v->a;
	const git_tree_entry *te = git_tree_entry_byname(root, "log");
	git_tree *top = NULL;
	struct log_shape s = { 0, 0, 0 };

	*prefix = a->size;
	if (te == NULL || git_tree_lookup(&top, a->repo,
	    git_tree_entry_id(te)) != 0)
		return;  /* opening the archive said so */
	for (size_t i = 0; i < git_tree_entrycount(top); i++) {
		const git_tree_entry *d1 = git_tree_entry_byindex(top, i);
		git_tree *mid = NULL;

		if (git_tree_entry_type(d1) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&mid, a->repo, git_tree_entry_id(d1))
		    != 0) {
			custody_archive_verify__problem(v, "log/", "holds %s, "
				"which is not a folder custody writes",
				git_tree_entry_name(d1));
			continue;
		}
		read_log_middle(v, d1, mid, &s);
		git_tree_free(mid);
	}
	git_tree_free(top);
	*prefix = s.gap ? s.prefix : s.next;
	if (s.next < a->size)
		/* the last file was not where it claimed to be */
		log_gap(v, s.next, a->size - 1);
}

/*
 * Reading the entries: the ids are looked up in the tree in log order (the
 * archive's tree cache is not for threads), then each batch of entries is
 * read from the object database and parsed on every core, each thread
 * with a repository of its own, while the caller checks the previous
 * batch in order. A batch is complete before it is handed over, so the
 * checks see every entry exactly as a serial read would.
 */
#define ENTRY_BATCH 2048

struct parsed_entry {
	struct custody_entry *e;
	unsigned char leaf[32];
	custody_error *err;        /* why it could not be read */
	int have_id, have_private;
	git_oid id, private_id;    /* the public and the private part */
	custody_error *private_err; /* why the private part was not found */
};

struct entry_batch {
	struct parsed_entry slot[ENTRY_BATCH];
	uint64_t first;
	size_t n;
	atomic_size_t next, done;
	unsigned int active;       /* threads working on it (under lock) */
};

struct entry_reader {
	const char *gitdir;
	git_odb *odb;              /* the caller's, for its own share */
	struct entry_batch batch[2];
	struct entry_batch *posted;
	pthread_mutex_t lock;
	pthread_cond_t posted_cond, done_cond;
	unsigned long generation;
	int quit;
	pthread_t threads[63];
	unsigned int started;
};

/* The private part of p's entry, read into it and checked against its
 * commitment. */
static int open_one(git_odb *odb, struct parsed_entry *p, uint64_t index)
{
	git_odb_object *obj = NULL;
	char path[64];
	int rc;

	if (!p->have_private) {
		/* the public part read well: the private part is the news */
		p->err = p->private_err;
		p->private_err = NULL;
		return CUSTODY_ENOTFOUND;
	}
	custody_archive__private_path(path, index);
	if ((rc = custody_archive__blob_fits(odb, &p->private_id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &p->err)) != 0)
		return rc;
	if (git_odb_read(&obj, odb, &p->private_id) != 0)
		return custody__error_git(&p->err, CUSTODY_EVERIFY, "%s: "
			"cannot read object", path);
	if (git_odb_object_type(obj) != GIT_OBJECT_BLOB)
		rc = custody__error(&p->err, CUSTODY_EVERIFY, "%s: cannot "
			"read object: not a blob", path);
	else
		rc = custody_entry__open(p->e, git_odb_object_data(obj),
			git_odb_object_size(obj), path, p->leaf, &p->err);
	git_odb_object_free(obj);
	return rc;
}

static void parse_one(git_odb *odb, struct entry_batch *b, size_t k)
{
	struct parsed_entry *p = &b->slot[k];
	uint64_t index = b->first + k;
	git_odb_object *obj = NULL;
	char path[64];

	if (!p->have_id)
		return;  /* the lookup said why */
	/* an oversized entry is refused from its header, unread */
	custody_archive__entry_path(path, index);
	if (odb != NULL && custody_archive__blob_fits(odb, &p->id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &p->err) != 0)
		return;
	if (odb == NULL || git_odb_read(&obj, odb, &p->id) != 0 ||
	    git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
		custody_archive__entry_path(path, index);
		if (obj == NULL)
			custody__error_git(&p->err, CUSTODY_EVERIFY, "%s: "
				"cannot read object", path);
		else
			custody__error(&p->err, CUSTODY_EVERIFY, "%s: cannot "
				"read object: not a blob", path);
	} else if (custody_archive__parse_entry(git_odb_object_data(obj),
	    git_odb_object_size(obj), index, &p->e, &p->err) == 0) {
		custody_merkle__leaf_hash(git_odb_object_data(obj),
			git_odb_object_size(obj), p->leaf);
		if (open_one(odb, p, index) != 0) {
			custody_entry__free(p->e);
			p->e = NULL;
		}
	}
	git_odb_object_free(obj);
}

/* Parse what is left of batch b; returns when none is left to take. */
static void parse_share(git_odb *odb, struct entry_batch *b,
	struct entry_reader *r)
{
	size_t k;

	while ((k = atomic_fetch_add(&b->next, 1)) < b->n) {
		parse_one(odb, b, k);
		if (atomic_fetch_add(&b->done, 1) + 1 == b->n) {
			pthread_mutex_lock(&r->lock);
			pthread_cond_broadcast(&r->done_cond);
			pthread_mutex_unlock(&r->lock);
		}
	}
}

static void *entry_worker(void *arg)
{
	struct entry_reader *r = arg;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	unsigned long seen = 0;

	/* without a repository of its own every read fails, and says so */
	if (git_repository_open_bare(&repo, r->gitdir) != 0 ||
	    git_repository_odb(&odb, repo) != 0)
		odb = NULL;
	for (;;) {
		struct entry_batch *b;

		pthread_mutex_lock(&r->lock);
		while (!r->quit && r->generation == seen)
			pthread_cond_wait(&r->posted_cond, &r->lock);
		if (r->quit) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		seen = r->generation;
		b = r->posted;
		b->active++;
		pthread_mutex_unlock(&r->lock);
		parse_share(odb, b, r);
		pthread_mutex_lock(&r->lock);
		/* the batch may be reused once no thread holds it */
		if (--b->active == 0)
			pthread_cond_broadcast(&r->done_cond);
		pthread_mutex_unlock(&r->lock);
	}
	git_odb_free(odb);
	git_repository_free(repo);
	return NULL;
}

static void reader_start(struct entry_reader *r, custody_archive *a,
	git_odb *odb, unsigned int threads)
{
	memset(r, 0, sizeof(*r));
	r->gitdir = a->gitdir;
	r->odb = odb;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->posted_cond, NULL);
	pthread_cond_init(&r->done_cond, NULL);
	if (threads > 64)
		threads = 64;
	for (unsigned int i = 1; i < threads; i++)
		if (pthread_create(&r->threads[r->started], NULL, entry_worker,
		    r) == 0)
			r->started++;
}

static void batch_clear(struct entry_batch *b)
{
	for (size_t k = 0; k < b->n; k++) {
		custody_entry__free(b->slot[k].e);
		custody_error_free(b->slot[k].err);
		custody_error_free(b->slot[k].private_err);
	}
	b->n = 0;
}

static void reader_stop(struct entry_reader *r)
{
	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	pthread_cond_broadcast(&r->posted_cond);
	pthread_mutex_unlock(&r->lock);
	for (unsigned int i = 0; i < r->started; i++)
		pthread_join(r->threads[i], NULL);
	batch_clear(&r->batch[0]);
	batch_clear(&r->batch[1]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->posted_cond);
	pthread_cond_destroy(&r->done_cond);
}

/* Look up the ids of entries first.. (up to ENTRY_BATCH of them, before
 * `end`) and hand the batch to the threads. */
static void reader_post(struct entry_reader *r, struct entry_batch *b,
	custody_archive *a, git_tree *tree, uint64_t first, uint64_t end)
{
	batch_clear(b);
	b->first = first;
	b->n = end - first < ENTRY_BATCH ? (size_t)(end - first) :
		ENTRY_BATCH;
	for (size_t k = 0; k < b->n; k++) {
		struct parsed_entry *p = &b->slot[k];

		p->e = NULL;
		p->err = NULL;
		p->private_err = NULL;
		p->have_id = custody_archive__entry_id(a, tree, first + k,
			&p->id, &p->err) == 0;
		p->have_private = custody_archive__private_id(a, tree,
			first + k, &p->private_id, &p->private_err) == 0;
	}
	atomic_store(&b->next, 0);
	atomic_store(&b->done, 0);
	pthread_mutex_lock(&r->lock);
	r->posted = b;
	r->generation++;
	pthread_cond_broadcast(&r->posted_cond);
	pthread_mutex_unlock(&r->lock);
}

/* Help with batch b, then wait until every entry of it is parsed and no
 * other thread holds it. */
static void reader_finish(struct entry_reader *r, struct entry_batch *b)
{
	parse_share(r->odb, b, r);
	pthread_mutex_lock(&r->lock);
	while (atomic_load(&b->done) < b->n || b->active > 0)
		pthread_cond_wait(&r->done_cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

/* Entry i, parsed, from batch *cur; the other batch, *nxt, is parsed by
 * the threads while this one is checked. */
static struct parsed_entry *reader_entry(struct entry_reader *r,
	struct entry_batch **cur, struct entry_batch **nxt,
	const struct custody_verify_run *v, uint64_t i)
{
	if (i == (*cur)->first + (*cur)->n) {
		/* the next batch, parsed while this one was checked */
		reader_finish(r, *nxt);
		*cur = *nxt;
		*nxt = *cur == &r->batch[0] ? &r->batch[1] : &r->batch[0];
	}
	if (i == (*cur)->first && (*cur)->first + (*cur)->n < v->nlog)
		reader_post(r, *nxt, v->a, v->tree, (*cur)->first +
			(*cur)->n, v->nlog);
	return &(*cur)->slot[i - (*cur)->first];
}

/* The SHA-256 that entry `index` registered into out: 0, or -1 when it
 * is not a registration. Entries before a base are read again (rarely:
 * only links name them). */
static int digest_of(struct custody_verify_run *v, uint64_t index,
	unsigned char out[32])
{
	static const unsigned char zero[32];
	struct custody_entry *e = NULL;
	int rc = -1;

	if (v->base == NULL || index >= v->base->size) {
		memcpy(out, v->digests[index], 32);
		return CRYPTO_memcmp(out, zero, 32) == 0 ? -1 : 0;
	}
	if (custody_archive__read_entry(v->a, v->tree, index, &e, NULL,
	    NULL) == 0 && custody_entry__registers(e) &&
	    custody_unhex(out, e->sha256, 32) == 0)
		rc = 0;
	custody_entry__free(e);
	return rc;
}

/* Entry `index`'s leaf hash into out; 0 or -1. */
static int leaf_of(struct custody_verify_run *v, uint64_t index,
	unsigned char out[32])
{
	if (v->base == NULL || index >= v->base->size) {
		memcpy(out, v->leaves[index], 32);
		return 0;
	}
	return custody_tiles__node(v->base->tiles, 0, index, out, NULL) == 0 ?
		0 : -1;
}

/* A publish entry names register entries, with their digests. */
static void check_publication(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where)
{
	unsigned char want[32], have[32];

	for (size_t k = 0; k < e->ndocuments; k++) {
		const struct custody_published *d = &e->documents[k];

		if (d->index >= e->index || digest_of(v, d->index, have) != 0)
			custody_archive_verify__problem(v, where, "publishes "
				"entry %" PRIu64 ", which is not a "
				"registration", d->index);
		else if (custody_unhex(want, d->sha256, 32) != 0 ||
		    CRYPTO_memcmp(want, have, 32) != 0)
			custody_archive_verify__problem(v, where, "publishes "
				"entry %" PRIu64 " with SHA-256 %.16s..., but "
				"that entry registered another digest",
				d->index, d->sha256);
	}
}

/* An event names a registration by index and digest; a derivative names
 * its original by index and leaf hash. */
static void check_link(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where)
{
	uint64_t target = e->type == CUSTODY_ENTRY_EVENT ? e->document :
		e->derived_from;
	unsigned char want[32], digest[32], leaf[32];

	if (target >= e->index || digest_of(v, target, digest) != 0) {
		custody_archive_verify__problem(v, where, "names entry %"
			PRIu64 ", which is not a registration", target);
		return;
	}
	if (e->type == CUSTODY_ENTRY_EVENT &&
	    (custody_unhex(want, e->sha256, 32) != 0 ||
	    CRYPTO_memcmp(want, digest, 32) != 0))
		custody_archive_verify__problem(v, where, "names entry %"
			PRIu64 " with another digest than that entry "
			"registered", target);
	if (e->type == CUSTODY_ENTRY_DERIVE &&
	    (custody_unhex(want, e->original_leaf, 32) != 0 ||
	    leaf_of(v, target, leaf) != 0 ||
	    CRYPTO_memcmp(want, leaf, 32) != 0))
		custody_archive_verify__problem(v, where, "'original_leaf' is "
			"not the leaf hash of entry %" PRIu64 ", the original "
			"it names", target);
}

/*
 * A dkim entry names its message by index and leaf hash, and its
 * evidence was made for that message's digest; when the message is
 * stored, its evidence must give the same verdict again.
 */
static int check_dkim(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where, custody_error **err)
{
	unsigned char want[32], digest[32], leaf[32];
	const char *line;
	char hex[65], *problem = NULL;
	int rc;

	if (e->message >= e->index || digest_of(v, e->message, digest) != 0) {
		custody_archive_verify__problem(v, where, "names entry %"
			PRIu64 ", which registers no message", e->message);
		return 0;
	}
	if (custody_unhex(want, e->message_leaf, 32) != 0 ||
	    leaf_of(v, e->message, leaf) != 0 ||
	    CRYPTO_memcmp(want, leaf, 32) != 0) {
		custody_archive_verify__problem(v, where, "'message_leaf' is "
			"not the leaf hash of entry %" PRIu64 ", the message "
			"it names", e->message);
		return 0;
	}
	custody_hex(hex, digest, 32);
	line = strstr(e->dkim_evidence, "\nmessage-sha256 ");
	if (line == NULL || strncmp(line + 16, hex, 64) != 0 ||
	    line[80] != '\n') {
		custody_archive_verify__problem(v, where, "its evidence was "
			"not made for the message entry %" PRIu64 " registered",
			e->message);
		return 0;
	}
	if (v->tree == NULL)
		return 0;
	rc = custody_archive__dkim_recheck_entry(v->a, v->tree, e, &problem,
		err);
	if (rc == 0 && problem != NULL)
		custody_archive_verify__problem(v, where, "%s", problem);
	free(problem);
	return rc;
}

/* Only the first entry is the genesis, and it names custody.yaml's
 * origin. */
static void check_genesis(struct custody_verify_run *v,
	const struct custody_entry *e, uint64_t i, const char *where)
{
	custody_archive *a = v->a;

	if ((i == 0) != (e->type == CUSTODY_ENTRY_GENESIS)) {
		custody_archive_verify__problem(v, where, i == 0 ? "the first "
			"entry is not the genesis entry" : "a second genesis "
			"entry");
	} else if (i == 0 && a->config &&
	    strcmp(e->origin, a->config->origin) != 0) {
		custody_archive_verify__problem(v, where, "names origin '%s' "
			"but custody.yaml says '%s'", e->origin,
			a->config->origin);
	}
}

/* A registration records a media type exactly when custody.yaml's
 * media_types asks for one (libmagic's, the default). */
static void check_media_type(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where)
{
	const struct custody_config *c = v->a->config;

	if (c == NULL || !custody_entry__registers(e))
		return;
	if (c->no_media_types && e->media_type != NULL)
		custody_archive_verify__problem(v, where, "records media type "
			"'%s', but custody.yaml's media_types is \"none\"",
			e->media_type);
	else if (!c->no_media_types && e->media_type == NULL)
		custody_archive_verify__problem(v, where, "records no media "
			"type, but custody.yaml's media_types is \"libmagic\"");
}

/* The outlet keys: the genesis entry's, then each rotation, which
 * must replace the key in force and be signed by it and by the new one.
 * An error only for out of memory. */
static int check_log_key(struct custody_verify_run *v,
	const struct custody_entry *e, uint64_t i, const char *where,
	custody_error **err)
{
	struct custody_verify_log_key *grown;
	struct custody_note_verifier from, to;
	custody_error *why = NULL;

	if (e->type == CUSTODY_ENTRY_LOG_KEY) {
		const char *in_force = v->nlog_keys > 0 ?
			v->log_keys[v->nlog_keys - 1].vkey : NULL;

		if (v->replay.commit < v->ncommits) {
			v->commits[v->replay.commit].rotations++;
			v->commits[v->replay.commit].rotation = i;
		}
		if (!custody_entry__same_log_key(e->previous_log_key,
		    in_force)) {
			custody_archive_verify__problem(v, where, "rotates "
				"the outlet key %s, but the key in force is %s",
				e->previous_log_key, in_force ? in_force :
				"none");
			return 0;
		}
		if (custody_entry__check_rotation(e, &from, &to, &why) != 0) {
			custody_archive_verify__problem(v, where, "%s",
				custody_error_message(why));
			custody_error_free(why);
			return 0;
		}
	} else if (e->type != CUSTODY_ENTRY_GENESIS || i != 0) {
		return 0;
	}
	grown = realloc(v->log_keys, (v->nlog_keys + 1) * sizeof(*grown));
	if (grown == NULL)
		return custody__oom(err);
	v->log_keys = grown;
	if ((grown[v->nlog_keys].vkey = strdup(e->log_key)) == NULL)
		return custody__oom(err);
	grown[v->nlog_keys++].from = i;
	return 0;
}

/* A registration of a path is version 1, or the version after the
 * latest one, naming it; it becomes the latest, whose index in
 * v->latest goes to *doc_out. An error only for out of memory. */
/* A path whose latest version is before the base: its record there
 * becomes the first of v->latest's for it (*slot_out; NULL when the base
 * has none). An error only for out of memory. */
static int latest_at_base(struct custody_verify_run *v, const char *path,
	size_t **slot_out, custody_error **err)
{
	const struct custody_record *r;
	struct custody_verify_document *l = &v->latest[v->nlatest];

	*slot_out = NULL;
	if (v->base == NULL ||
	    (r = custody_index__find(v->base->index, path)) == NULL)
		return 0;
	if ((l->path = strdup(path)) == NULL ||
	    custody_map__put(&v->by_path, l->path, v->nlatest) != 0)
		return custody__oom(err);
	l->index = r->index;
	l->version = r->version;
	l->size = r->size;
	custody_hex(l->sha256, r->sha256, 32);
	snprintf(l->blob, sizeof(l->blob), "%s", r->blob);
	*slot_out = custody_map__get(&v->by_path, path);
	v->nlatest++;
	return 0;
}

static int check_version(struct custody_verify_run *v,
	const struct custody_entry *e, uint64_t i, const char *where,
	size_t *doc_out, custody_error **err)
{
	struct custody_verify_document *l;
	size_t *slot = custody_map__get(&v->by_path, e->path);
	int rc;

	if (slot == NULL &&
	    (rc = latest_at_base(v, e->path, &slot, err)) != 0)
		return rc;
	if (slot == NULL) {
		if (e->version != 1 || e->has_previous)
			custody_archive_verify__problem(v, where, "%s: "
				"version %" PRIu64 " without an earlier "
				"version", e->path, e->version);
		v->latest[v->nlatest].path = strdup(e->path);
		if (v->latest[v->nlatest].path == NULL ||
		    custody_map__put(&v->by_path, v->latest[v->nlatest].path,
		    v->nlatest) != 0)
			return custody__oom(err);
		slot = custody_map__get(&v->by_path, e->path);
		v->nlatest++;
	} else {
		l = &v->latest[*slot];
		if (e->version != l->version + 1 || !e->has_previous ||
		    e->previous != l->index)
			custody_archive_verify__problem(v, where, "%s: "
				"version %" PRIu64 " does not follow version %"
				PRIu64 " at entry %" PRIu64, e->path,
				e->version, l->version, l->index);
	}
	l = &v->latest[*slot];
	l->index = i;
	l->version = e->version;
	l->size = e->size;
	snprintf(l->sha256, sizeof(l->sha256), "%s", e->sha256);
	snprintf(l->blob, sizeof(l->blob), "%s", e->blob ? e->blob : "");
	*doc_out = *slot;
	return 0;
}

/* Entry i, as the reader left it in pe. An error only for out of
 * memory. */
static int check_entry(struct custody_verify_run *v,
	struct parsed_entry *pe, uint64_t i, custody_error **err)
{
	const custody_verify_options *opts = v->opts;
	struct custody_entry *e = NULL;
	char where[64];
	size_t doc = 0;
	int rc = 0;

	custody_archive__entry_path(where, i);
	if (opts->progress && i % 1024 == 0)
		opts->progress("checking entries", i, v->nlog, 0, 0,
			opts->payload);
	v->sum.entries++;
	custody_archive_verify__members_before(v, i);
	if (pe->e == NULL) {
		custody_archive_verify__problem(v, where, "%s", pe->err ?
			custody_error_message(pe->err) : "cannot be read");
		return 0;
	}
	e = pe->e;
	pe->e = NULL;
	memcpy(v->leaves[i], pe->leaf, 32);
	if (custody_entry__registers(e))
		custody_unhex(v->digests[i], e->sha256, 32);
	if (e->type == CUSTODY_ENTRY_PUBLISH)
		check_publication(v, e, where);
	if (e->type == CUSTODY_ENTRY_EVENT ||
	    e->type == CUSTODY_ENTRY_DERIVE)
		check_link(v, e, where);
	if (e->type == CUSTODY_ENTRY_DKIM &&
	    (rc = check_dkim(v, e, where, err)) != 0) {
		custody_entry__free(e);
		return rc;
	}
	custody_archive_verify__members_entry(v, e, where);
	check_genesis(v, e, i, where);
	check_media_type(v, e, where);
	if (v->keep != NULL &&
	    (rc = custody_tlog_index__note(v->keep->rare, e, i, err)) != 0) {
		custody_entry__free(e);
		return rc;
	}
	if ((rc = check_log_key(v, e, i, where, err)) == 0 &&
	    custody_entry__registers(e) &&
	    (rc = check_version(v, e, i, where, &doc, err)) == 0)
		custody_archive_verify__stored_content(v, e, i, where, doc);
	custody_entry__free(e);
	return rc;
}

/* From a base, the entries the commits add after it, which a crafted
 * file name under log/ cannot inflate (a size that differs from the
 * log's is reported by the history). */
static uint64_t history_size(const struct custody_verify_run *v)
{
	uint64_t n = v->base->size;

	for (size_t k = 0; k < v->ncommits; k++)
		n += v->commits[k].count;
	if (n > v->a->size)
		n = v->a->size;
	return n < v->base->size ? v->base->size : n;
}

/* From a base, the outlet keys in force there. */
static int seed_log_keys(struct custody_verify_run *v, custody_error **err)
{
	const struct custody_verify_base *b = v->base;

	if (b == NULL || b->nlog_keys == 0)
		return 0;
	if ((v->log_keys = calloc(b->nlog_keys, sizeof(*v->log_keys))) ==
	    NULL)
		return custody__oom(err);
	for (size_t k = 0; k < b->nlog_keys; k++) {
		v->log_keys[k].from = b->log_keys[k].from;
		if ((v->log_keys[k].vkey = strdup(b->log_keys[k].vkey)) ==
		    NULL)
			return custody__oom(err);
		v->nlog_keys++;
	}
	return 0;
}

/* The tables indexed by entry, sized by the entries that exist. */
static int alloc_tables(struct custody_verify_run *v, custody_error **err)
{
	uint64_t from = v->base ? v->base->size : 0;

	/* a path is in latest once: a new entry's, or one before the base */
	v->latest = calloc(v->nlog - from + 1, sizeof(*v->latest));
	v->checks = calloc(v->nlog - from + 1, sizeof(*v->checks));
	v->leaves = calloc(v->nlog + 1, sizeof(*v->leaves));
	v->digests = calloc(v->nlog + 1, sizeof(*v->digests));
	if (v->latest == NULL || v->checks == NULL || v->leaves == NULL ||
	    v->digests == NULL)
		return custody__oom(err);
	return 0;
}

int custody_archive_verify__entries(struct custody_verify_run *v,
	custody_error **err)
{
	const custody_verify_options *opts = v->opts;
	struct entry_reader *reader; /* ~330 KiB: not on the stack */
	struct entry_batch *cur, *nxt;
	int rc;

	uint64_t from = v->base ? v->base->size : 0;

	/* from a base, the history's diffs show every new entry where it
	 * is due, and nothing before it changed */
	if (v->base == NULL)
		read_log_shape(v, v->tree, &v->nlog);
	else
		v->nlog = history_size(v);
	if ((rc = alloc_tables(v, err)) != 0 ||
	    (rc = seed_log_keys(v, err)) != 0 ||
	    (rc = custody_archive_verify__members_start(v, err)) != 0)
		return rc;
	if ((reader = malloc(sizeof(*reader))) == NULL)
		return custody__oom(err);
	reader_start(reader, v->a, v->odb, opts->threads ? opts->threads :
		custody_hash__default_threads());
	cur = &reader->batch[0];
	nxt = &reader->batch[1];
	if (v->nlog > from) {
		reader_post(reader, cur, v->a, v->tree, from, v->nlog);
		reader_finish(reader, cur);
	}
	for (uint64_t i = from; i < v->nlog && !v->stopped && rc == 0; i++)
		rc = check_entry(v, reader_entry(reader, &cur, &nxt, v, i), i,
			err);
	reader_stop(reader);
	free(reader);
	if (rc == 0)
		v->sum.documents = v->nlatest;
	return rc;
}
