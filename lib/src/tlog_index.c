/*
 * The index of the log's publish, log-key and dkim entries
 * (tlog_index.h):
 * read, caught up from the entries it does not cover, saved.
 */
#include "tlog_index.h"
#include "common.h"
#include "entry.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC "custody tlog-index 2\n"
#define INDEX_FILE "cache/tlog-index"
/* far above what a log of 10^9 entries with a publication in 100 needs */
#define MAX_FILE (256u << 20)

void custody_tlog_index__free(struct custody_tlog_index *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->nrecords; i++)
		free(x->records[i].docs);
	free(x->records);
	free(x);
}

int custody_tlog_index__names(const struct custody_tlog_index_record *r,
	uint64_t doc)
{
	for (size_t k = 0; !r->log_key && !r->dkim && k < r->ndocs; k++)
		if (r->docs[k] == doc)
			return 1;
	return 0;
}

int custody_tlog_index__dkim_of(const struct custody_tlog_index_record *r,
	uint64_t doc)
{
	return r->dkim && r->ndocs == 1 && r->docs[0] == doc;
}

enum { KIND_PUBLISH, KIND_LOG_KEY, KIND_DKIM };

/* Append a record (its docs copied); -1 on out of memory. */
static int add(struct custody_tlog_index *x, uint64_t index, int kind,
	const uint64_t *docs, size_t ndocs)
{
	struct custody_tlog_index_record *r;

	if (x->nrecords == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;

		if ((r = realloc(x->records, cap * sizeof(*r))) == NULL)
			return -1;
		x->records = r;
		x->cap = cap;
	}
	r = &x->records[x->nrecords];
	r->index = index;
	r->log_key = kind == KIND_LOG_KEY;
	r->dkim = kind == KIND_DKIM;
	r->ndocs = ndocs;
	r->docs = NULL;
	if (ndocs > 0) {
		if ((r->docs = malloc(ndocs * sizeof(*docs))) == NULL)
			return -1;
		memcpy(r->docs, docs, ndocs * sizeof(*docs));
	}
	x->nrecords++;
	return 0;
}

int custody_tlog_index__note(struct custody_tlog_index *x,
	const struct custody_entry *e, uint64_t i, custody_error **err)
{
	uint64_t *docs;
	int rc;

	if (e->type == CUSTODY_ENTRY_LOG_KEY)
		return add(x, i, KIND_LOG_KEY, NULL, 0) ? custody__oom(err) : 0;
	if (e->type == CUSTODY_ENTRY_DKIM)
		return add(x, i, KIND_DKIM, &e->message, 1) ?
			custody__oom(err) : 0;
	if (e->type != CUSTODY_ENTRY_PUBLISH)
		return 0;
	if ((docs = calloc(e->ndocuments + 1, sizeof(*docs))) == NULL)
		return custody__oom(err);
	for (size_t k = 0; k < e->ndocuments; k++)
		docs[k] = e->documents[k].index;
	rc = add(x, i, KIND_PUBLISH, docs, e->ndocuments) ?
		custody__oom(err) : 0;
	free(docs);
	return rc;
}

/* Entry i into the index if it is a publish, log-key or dkim entry. Only
 * those are parsed: the others are told by their type line. */
static int scan_one(custody_archive *a, git_tree *tree, uint64_t i,
	struct custody_tlog_index *x, custody_error **err)
{
	static const char publish[] = "\ntype: \"publish\"\n";
	static const char log_key[] = "\ntype: \"log-key\"\n";
	static const char dkim[] = "\ntype: \"dkim\"\n";
	struct custody_entry *e = NULL;
	git_blob *blob = NULL;
	const char *raw;
	char path[64];
	size_t len;
	git_oid id;
	int rc;

	custody_archive__entry_path(path, i);
	if ((rc = custody_archive__entry_id(a, tree, i, &id, err)) != 0 ||
	    (rc = custody_archive__bounded_blob(a->repo, &id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &blob, err)) != 0)
		return rc;
	raw = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if ((memmem(raw, len, publish, sizeof(publish) - 1) == NULL &&
	    memmem(raw, len, log_key, sizeof(log_key) - 1) == NULL &&
	    memmem(raw, len, dkim, sizeof(dkim) - 1) == NULL) ||
	    (rc = custody_archive__parse_entry(raw, len, i, &e, err)) != 0)
		goto done;
	rc = custody_tlog_index__note(x, e, i, err);
done:
	custody_entry__free(e);
	git_blob_free(blob);
	return rc;
}

/* Entries x->size..a->size-1 into the index. */
static int catch_up(custody_archive *a, git_tree *tree,
	struct custody_tlog_index *x, custody_error **err)
{
	int rc = 0;

	for (; x->size < a->size && rc == 0; x->size++)
		rc = scan_one(a, tree, x->size, x, err);
	if (rc != 0)
		x->size--;
	return rc;
}

/* The blob id, in hex, of entry size-1 ("" for an empty log). */
static int last_id(custody_archive *a, git_tree *tree, uint64_t size,
	char out[GIT_OID_HEXSZ + 1], custody_error **err)
{
	git_oid id;
	int rc;

	out[0] = '\0';
	if (size == 0)
		return 0;
	if ((rc = custody_archive__entry_id(a, tree, size - 1, &id, err))
	    == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	return rc;
}

static int format(const struct custody_tlog_index *x, const char *last,
	custody_buf *out)
{
	if (custody_buf__printf(out, MAGIC "size %" PRIu64 "\nlast %s\n",
	    x->size, last) != 0)
		return -1;
	for (size_t i = 0; i < x->nrecords; i++) {
		const struct custody_tlog_index_record *r = &x->records[i];

		if (custody_buf__printf(out, "%s %" PRIu64, r->log_key ?
		    "log-key" : r->dkim ? "dkim" : "publish", r->index) != 0)
			return -1;
		for (size_t k = 0; k < r->ndocs; k++)
			if (custody_buf__printf(out, " %" PRIu64, r->docs[k])
			    != 0)
				return -1;
		if (custody_buf__append(out, "\n", 1) != 0)
			return -1;
	}
	return 0;
}

/* A decimal number without sign or leading zero, then `end`; the
 * character after it, or NULL. */
static const char *number(const char *p, uint64_t *out)
{
	uint64_t n = 0;
	const char *s = p;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return NULL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s || (*s == '0' && p - s > 1))
		return NULL;
	*out = n;
	return p;
}

/* One record line (without its newline) after those before it. */
static int parse_record(struct custody_tlog_index *x, const char *p)
{
	uint64_t docs[CUSTODY_PUBLISH_MAX_DOCUMENTS], index;
	size_t n = 0, max = CUSTODY_PUBLISH_MAX_DOCUMENTS;
	int kind = KIND_PUBLISH;

	if (strncmp(p, "log-key ", 8) == 0) {
		kind = KIND_LOG_KEY;
		p += 8;
	} else if (strncmp(p, "dkim ", 5) == 0) {
		kind = KIND_DKIM;
		max = 1;
		p += 5;
	} else if (strncmp(p, "publish ", 8) == 0) {
		p += 8;
	} else {
		return -1;
	}
	if ((p = number(p, &index)) == NULL || index == 0 ||
	    index >= x->size || (x->nrecords > 0 &&
	    index <= x->records[x->nrecords - 1].index))
		return -1;
	while (kind != KIND_LOG_KEY && *p == ' ' && n < max) {
		if ((p = number(p + 1, &docs[n])) == NULL ||
		    docs[n] >= index)
			return -1;
		n++;
	}
	if (*p != '\0' || (kind != KIND_LOG_KEY && n == 0))
		return -1;
	return add(x, index, kind, docs, n);
}

/* The file's bytes into x and the last entry's id; -1 if damaged. */
static int parse(char *text, size_t len, struct custody_tlog_index *x,
	char last[GIT_OID_HEXSZ + 1])
{
	char *p = text, *nl;

	if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len) ||
	    strncmp(p, MAGIC, strlen(MAGIC)) != 0)
		return -1;
	p += strlen(MAGIC);
	if (strncmp(p, "size ", 5) != 0 || (p = (char *)number(p + 5,
	    &x->size)) == NULL || strncmp(p, "\nlast ", 6) != 0)
		return -1;
	p += 6;
	if ((nl = strchr(p, '\n')) == NULL || nl - p != (x->size ? 40 : 0))
		return -1;
	memcpy(last, p, (size_t)(nl - p));
	last[nl - p] = '\0';
	for (p = nl + 1; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		if (parse_record(x, p) != 0)
			return -1;
	}
	return 0;
}

static char *index_path(custody_archive *a)
{
	return custody_fs__join(a->gitdir, INDEX_FILE);
}

static void empty(struct custody_tlog_index *x)
{
	for (size_t i = 0; i < x->nrecords; i++)
		free(x->records[i].docs);
	x->nrecords = 0;
	x->size = 0;
}

/* The cache as saved: 0, CUSTODY_ENOTFOUND (none), CUSTODY_EINVALID
 * (damaged: *x is then empty). */
static int load(const char *path, struct custody_tlog_index *x,
	char last[GIT_OID_HEXSZ + 1], custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	struct stat st;
	int rc = 0;

	if (lstat(path, &st) != 0 && errno == ENOENT)
		return CUSTODY_ENOTFOUND;
	if ((rc = custody_fs__read_file(&bytes, path, MAX_FILE, err)) != 0)
		rc = CUSTODY_EINVALID;
	else if (bytes.size >= 21 && memcmp(bytes.ptr,
	    "custody tlog-index 1\n", 21) == 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: made by an "
			"earlier custody, without the dkim entries", path);
	else if (parse(bytes.ptr, bytes.size, x, last) != 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: damaged",
			path);
	if (rc != 0)
		empty(x);
	custody_buf_dispose(&bytes);
	return rc;
}

/* Save the index; a failure is told as a notice (it is a cache). */
static int save(custody_archive *a, git_tree *tree,
	const struct custody_tlog_index *x, const char *path,
	custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	char last[GIT_OID_HEXSZ + 1];
	char *cache = custody_fs__join(a->gitdir, "cache");
	int rc;

	if (cache == NULL)
		return custody__oom(err);
	if ((rc = last_id(a, tree, x->size, last, err)) != 0)
		goto done;
	if (format(x, last, &text) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if (custody_fs__mkdir(cache, 0700, &why) != 0 ||
	    custody_fs__write_atomic(path, text.ptr, text.size, 0600,
	    &why) != 0)
		custody_archive__notice(a, "the entry index was not saved "
			"(%s); it is made again next time",
			custody_error_message(why));
done:
	custody_error_free(why);
	custody_buf_dispose(&text);
	free(cache);
	return rc;
}

/* Is the saved index one of this log's first x->size entries? */
static int fits(custody_archive *a, git_tree *tree,
	const struct custody_tlog_index *x, const char *last,
	custody_error **err)
{
	char now[GIT_OID_HEXSZ + 1];

	if (x->size > a->size)
		return 0;   /* the log was moved back */
	if (last_id(a, tree, x->size, now, err) != 0)
		return -1;
	return strcmp(now, last) == 0;
}

int custody_tlog_index__open(custody_archive *a, git_tree *tree,
	struct custody_tlog_index **out, custody_error **err)
{
	struct custody_tlog_index *x = calloc(1, sizeof(*x));
	char *path = index_path(a), last[GIT_OID_HEXSZ + 1];
	custody_error *why = NULL;
	uint64_t had;
	int rc = 0, ok;

	*out = NULL;
	if (x == NULL || path == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	rc = load(path, x, last, &why);
	if (rc == CUSTODY_EINVALID)
		custody_archive__notice(a, "%s; the entry index is rebuilt "
			"from the entries", custody_error_message(why));
	else if (rc == 0 && (ok = fits(a, tree, x, last, err)) != 1) {
		if (ok < 0) {
			rc = CUSTODY_EINVALID;
			goto done;
		}
		empty(x);
	}
	had = rc == 0 ? x->size : UINT64_MAX;
	if ((rc = catch_up(a, tree, x, err)) != 0 ||
	    (x->size != had && (rc = save(a, tree, x, path, err)) != 0))
		goto done;
	*out = x;
	x = NULL;
done:
	custody_error_free(why);
	custody_tlog_index__free(x);
	free(path);
	return rc;
}

/* Do the two indexes say the same about the first `size` entries? */
static int agree(const struct custody_tlog_index *x,
	const struct custody_tlog_index *y, uint64_t size)
{
	size_t i = 0, j = 0;

	for (;; i++, j++) {
		int xi = i < x->nrecords && x->records[i].index < size;
		int yj = j < y->nrecords && y->records[j].index < size;

		if (!xi || !yj)
			return xi == yj;
		if (x->records[i].index != y->records[j].index ||
		    x->records[i].log_key != y->records[j].log_key ||
		    x->records[i].dkim != y->records[j].dkim ||
		    x->records[i].ndocs != y->records[j].ndocs ||
		    (x->records[i].ndocs > 0 && memcmp(x->records[i].docs,
		    y->records[j].docs, x->records[i].ndocs *
		    sizeof(uint64_t)) != 0))
			return 0;
	}
}

int custody_tlog_index__save_as(custody_archive *a, git_tree *tree,
	const struct custody_tlog_index *x, custody_error **err)
{
	char *path = index_path(a);
	int rc;

	if (path == NULL)
		return custody__oom(err);
	rc = save(a, tree, x, path, err);
	free(path);
	return rc;
}

int custody_tlog_index__verify(custody_archive *a, git_tree *tree,
	custody_error **err)
{
	struct custody_tlog_index *fresh = calloc(1, sizeof(*fresh));
	struct custody_tlog_index *saved = calloc(1, sizeof(*saved));
	char *path = index_path(a), last[GIT_OID_HEXSZ + 1];
	custody_error *why = NULL;
	int rc, had;

	if (fresh == NULL || saved == NULL || path == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* none yet (made when a proof needs it, never in a quarantine):
	 * nothing to compare, and no reason to read every entry again */
	had = load(path, saved, last, &why);
	if (had == CUSTODY_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if ((rc = catch_up(a, tree, fresh, err)) != 0)
		goto done;
	if (had == 0 && fits(a, tree, saved, last, NULL) == 1 &&
	    saved->size == fresh->size && agree(saved, fresh, fresh->size))
		goto done;   /* as it should be */
	if (had == CUSTODY_EINVALID)
		custody_archive__notice(a, "%s; the entry index is rebuilt "
			"from the entries", custody_error_message(why));
	else if (had == 0 && saved->size <= fresh->size &&
	    !agree(saved, fresh, saved->size))
		custody_archive__notice(a, "%s: the entry index differed from "
			"the log's publish, log-key and dkim entries; rebuilt "
			"from the entries", path);
	rc = save(a, tree, fresh, path, err);
done:
	custody_error_free(why);
	custody_tlog_index__free(fresh);
	custody_tlog_index__free(saved);
	free(path);
	return rc;
}
