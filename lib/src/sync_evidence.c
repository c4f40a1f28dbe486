/*
 * The evidence an archive keeps (custody/sync.h): the folders of forks
 * and the records of replays under evidence/, and the refused histories
 * in custody-evidence, listed oldest first. Everything here was written
 * by this machine, but is read as any file is: bounded, and a damaged
 * one is listed as such, never trusted to be well formed.
 */
#include "sync.h"

#include "archive.h"
#include "common.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_MAX_BYTES (1u << 20)

struct item {
	custody_evidence_kind kind;
	char time[32];
	char *path;
	char *summary;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static int push(struct items *l, custody_evidence_kind kind,
	const char *time, char *path, char *summary)
{
	struct item *it;

	if (path == NULL || summary == NULL)
		goto oom;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct item *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			goto oom;
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n++];
	it->kind = kind;
	snprintf(it->time, sizeof(it->time), "%s", time);
	it->path = path;
	it->summary = summary;
	return 0;
oom:
	free(path);
	free(summary);
	return -1;
}

/* "fork-2026-12-03T06-59-10Z-1" -> "2026-12-03T06:59:10Z" */
static void time_of(const char *name, size_t skip, char out[32])
{
	const char *t = name + skip;

	if (strlen(t) < 20 || t[10] != 'T' || t[13] != '-' || t[16] != '-' ||
	    t[19] != 'Z') {
		snprintf(out, 32, "?");
		return;
	}
	snprintf(out, 32, "%.13s:%.2s:%.2sZ", t, t + 14, t + 17);
}

/* The value of "KEY VALUE" or "KEY: VALUE" on a line of text, or NULL. */
static char *field(const custody_buf *text, const char *key)
{
	size_t k = strlen(key);
	const char *p = text->ptr, *end = text->ptr + text->size;

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > k && strncmp(p, key, k) == 0)
			return strndup(p + k, len - k);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The size line (second) of a checkpoint file, or "?". */
static void checkpoint_size(const char *dir, const char *name, char out[24])
{
	char *path = custody_fs__join(dir, name);
	custody_buf text = CUSTODY_BUF_INIT;
	char *nl, *nl2;

	snprintf(out, 24, "?");
	if (path != NULL && custody_fs__read_file(&text, path, 65536,
	    NULL) == 0 && (nl = memchr(text.ptr, '\n', text.size)) != NULL &&
	    (nl2 = memchr(nl + 1, '\n', text.size - (size_t)(nl + 1 -
	    text.ptr))) != NULL && nl2 - nl - 1 < 21)
		snprintf(out, 24, "%.*s", (int)(nl2 - nl - 1), nl + 1);
	custody_buf_dispose(&text);
	free(path);
}

static int add_fork(struct items *l, const char *top, const char *name)
{
	char *dir = custody_fs__join(top, name), *readme, *from = NULL;
	char time[32], ours[24], theirs[24], *summary = NULL;
	custody_buf text = CUSTODY_BUF_INIT;

	if (dir == NULL)
		return -1;
	time_of(name, 5, time);
	checkpoint_size(dir, "ours.checkpoint", ours);
	checkpoint_size(dir, "theirs.checkpoint", theirs);
	if ((readme = custody_fs__join(dir, "README")) != NULL &&
	    custody_fs__read_file(&text, readme, EVIDENCE_MAX_BYTES,
	    NULL) == 0)
		from = field(&text, "theirs.checkpoint: the main of ");
	if (asprintf(&summary, "two checkpoints that cannot both be true: "
	    "ours of %s entries, theirs of %s, from %s", ours, theirs,
	    from ? from : "?") < 0)
		summary = NULL;
	free(readme);
	free(from);
	custody_buf_dispose(&text);
	return push(l, CUSTODY_EVIDENCE_FORK, time, dir, summary);
}

static int add_replay(struct items *l, const char *top, const char *name)
{
	char *path = custody_fs__join(top, name), *remote = NULL;
	char time[32], *summary = NULL;
	custody_buf text = CUSTODY_BUF_INIT;
	uint64_t moved = 0;

	if (path == NULL)
		return -1;
	time_of(name, 7, time);
	if (custody_fs__read_file(&text, path, EVIDENCE_MAX_BYTES, NULL) == 0) {
		remote = field(&text, "remote ");
		for (size_t i = 0; i + 6 < text.size; i++)
			if ((i == 0 || text.ptr[i - 1] == '\n') &&
			    strncmp(text.ptr + i, "entry ", 6) == 0)
				moved++;
	}
	if (asprintf(&summary, "%" PRIu64 " local entr%s appended again "
	    "after the main of %s", moved, moved == 1 ? "y" : "ies",
	    remote ? remote : "?") < 0)
		summary = NULL;
	free(remote);
	custody_buf_dispose(&text);
	return push(l, CUSTODY_EVIDENCE_REPLAY, time, path, summary);
}

/* Each line of custody-evidence: "TIME what happened". */
static int add_refusals(struct items *l, const char *gitdir)
{
	char *path = custody_fs__join(gitdir, CUSTODY_EVIDENCE_FILE);
	custody_buf text = CUSTODY_BUF_INIT;
	const char *p, *end;
	int rc = 0;

	if (path == NULL)
		return -1;
	if (custody_fs__read_file(&text, path, EVIDENCE_MAX_BYTES, NULL) != 0)
		goto done;   /* none kept */
	for (p = text.ptr, end = text.ptr + text.size; rc == 0 && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *sp = memchr(p, ' ', len);
		char time[32];

		snprintf(time, sizeof(time), "%.*s", sp && sp - p < 31 ?
			(int)(sp - p) : 1, sp ? p : "?");
		rc = push(l, CUSTODY_EVIDENCE_REFUSED, time, strdup(path),
			sp ? strndup(sp + 1, len - (size_t)(sp + 1 - p)) :
			strndup(p, len));
		p = nl ? nl + 1 : end;
	}
done:
	custody_buf_dispose(&text);
	free(path);
	return rc;
}

static int by_time(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = strcmp(a->time, b->time);

	return c != 0 ? c : strcmp(a->path, b->path);
}

int custody_archive_evidence(custody_archive *a, custody_evidence_cb cb,
	void *payload, custody_error **err)
{
	char *top = custody_fs__join(a->gitdir, "evidence");
	struct items l = { NULL, 0, 0 };
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (top == NULL)
		return custody__oom(err);
	if ((dir = opendir(top)) == NULL && errno != ENOENT) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"be read", top);
		goto done;
	}
	while (rc == 0 && dir != NULL && (d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, "fork-", 5) == 0)
			rc = add_fork(&l, top, d->d_name);
		else if (strncmp(d->d_name, "replay-", 7) == 0)
			rc = add_replay(&l, top, d->d_name);
	}
	if (rc == 0)
		rc = add_refusals(&l, a->gitdir);
	if (rc != 0) {
		rc = custody__oom(err);
		goto done;
	}
	/* no evidence leaves l.v NULL, which qsort must not be given */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_time);
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		custody_evidence_item it = { l.v[i].kind, l.v[i].time,
			l.v[i].path, l.v[i].summary };

		rc = cb(&it, payload);
	}
done:
	if (dir != NULL)
		closedir(dir);
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].path);
		free(l.v[i].summary);
	}
	free(l.v);
	free(top);
	return rc;
}
