/*
 * custody verify: custody_archive_verify as the sequence of its steps,
 * and the reporting they share. What each step checks is in the
 * archive_verify_*.c file named after it (see archive_verify.h).
 */
#include "archive_verify.h"
#include "fsutil.h"
#include "index.h"
#include "tlog_index.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * At most this many problems are passed on; a damaged or crafted archive
 * may have millions, and the first ones say what happened.
 */
#define PROBLEM_LINES 100

void custody_archive_verify__problem(struct custody_verify_run *v,
	const char *where, const char *fmt, ...)
{
	char msg[1024];
	custody_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->sum.problems++;
	if (v->sum.problems > PROBLEM_LINES)
		return;  /* counted; the last line says how many */
	p.where = where;
	p.message = msg;
	if (v->cb && !v->stopped && v->cb(&p, v->payload) != 0)
		v->stopped = 1;
}

/* After PROBLEM_LINES problems, one line counts the ones not shown. */
static void problems_not_shown(struct custody_verify_run *v)
{
	char msg[128];
	custody_problem p;
	uint64_t rest;

	if (v->sum.problems <= PROBLEM_LINES)
		return;
	rest = v->sum.problems - PROBLEM_LINES;
	snprintf(msg, sizeof(msg), "%" PRIu64 " more problem%s not shown",
		rest, rest == 1 ? " is" : "s are");
	p.where = "verify";
	p.message = msg;
	if (v->cb && !v->stopped && v->cb(&p, v->payload) != 0)
		v->stopped = 1;
}

/* Every check reads objects: without them verify has checked nothing
 * and must not say "ok". */
static int open_object_database(struct custody_verify_run *v,
	custody_error **err)
{
	if (git_repository_odb(&v->odb, v->a->repo) != 0)
		return custody__error_git(err, CUSTODY_EVERIFY, "%s: cannot "
			"open the object database", v->a->gitdir);
	return 0;
}

/* The verdict: the problems found, or a history later runs trust. */
static int conclude(struct custody_verify_run *v, custody_error **err)
{
	problems_not_shown(v);
	if (v->sum.problems > 0)
		return custody__error(err, CUSTODY_EVERIFY, "%" PRIu64
			" problem%s found", v->sum.problems,
			v->sum.problems == 1 ? "" : "s");
	custody_archive_verify__remember(v);
	return 0;
}

static int run_steps(struct custody_verify_run *v, custody_error **err)
{
	int rc;

	if ((rc = open_object_database(v, err)) != 0)
		return rc;
	custody_archive_verify__seen(v);
	if ((rc = custody_archive_verify__history(v, err)) != 0 ||
	    (rc = custody_archive__head_tree(v->a, &v->tree, err)) != 0 ||
	    (rc = custody_archive_verify__entries(v, err)) != 0)
		return rc;
	/* the checkpoints and timestamps before members_end, which lets go
	 * of the members that signed them */
	if ((rc = custody_archive_verify__tlog(v, err)) != 0 ||
	    (rc = custody_archive_verify__members_end(v, err)) != 0)
		return rc;
	custody_archive_verify__documents(v);
	if ((rc = custody_archive_verify__full(v, err)) != 0)
		return rc;
	return conclude(v, err);
}

static void run_free(struct custody_verify_run *v)
{
	custody_members__clear(&v->replay.members);
	free(v->commits);
	for (size_t i = 0; i < v->nlog_keys; i++)
		free(v->log_keys[i].vkey);
	free(v->log_keys);
	for (size_t i = 0; v->latest && i < v->nlatest; i++)
		free(v->latest[i].path);
	free(v->latest);
	free(v->leaves);
	free(v->digests);
	free(v->checks);
	custody_map__free(&v->by_path);
	git_tree_free(v->tree);
	git_odb_free(v->odb);
}

/* After a run that passed: each path's latest record as an index of
 * the head. */
static int keep_paths(struct custody_verify_run *v, custody_error **err)
{
	struct custody_index *x;
	int rc;

	if ((rc = custody_index__empty(&x, v->a->head_hex, v->a->size, err))
	    != 0)
		return rc;
	for (size_t i = 0; i < v->nlatest && rc == 0; i++) {
		const struct custody_verify_document *l = &v->latest[i];
		struct custody_record r;

		memset(&r, 0, sizeof(r));
		r.index = l->index;
		r.version = l->version;
		r.size = l->size;
		memcpy(r.blob, l->blob, sizeof(r.blob));
		if (custody_unhex(r.sha256, l->sha256, 32) != 0 ||
		    (r.path = strdup(l->path)) == NULL ||
		    custody_index__put(x, &r) == NULL) {
			free(r.path);
			rc = custody__oom(err);
		}
	}
	if (rc == 0)
		v->keep->paths = x;
	else
		custody_index__free(x);
	return rc;
}

static int run(custody_archive *a, const custody_verify_options *opts,
	const struct custody_verify_base *base, struct custody_verify_keep *keep,
	custody_problem_cb cb, void *payload, custody_verify_summary *summary,
	custody_error **err)
{
	custody_verify_options defaults = CUSTODY_VERIFY_OPTIONS_INIT;
	struct custody_verify_run v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.a = a;
	v.opts = opts ? opts : &defaults;
	v.base = base;
	v.keep = keep;
	if (keep != NULL) {
		memset(keep, 0, sizeof(*keep));
		if ((keep->rare = calloc(1, sizeof(*keep->rare))) == NULL)
			return custody__oom(err);
	}
	v.cb = cb;
	v.payload = payload;
	rc = run_steps(&v, err);
	if (rc == 0 && keep != NULL) {
		keep->rare->size = v.nlog;
		rc = keep_paths(&v, err);
	}
	if (rc != 0 && keep != NULL) {
		custody_tlog_index__free(keep->rare);
		keep->rare = NULL;
	}
	v.sum.struct_version = CUSTODY_VERIFY_SUMMARY_VERSION;
	if (summary)
		*summary = v.sum;
	run_free(&v);
	return rc;
}

int custody_archive_verify(custody_archive *a,
	const custody_verify_options *opts, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary, custody_error **err)
{
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_VERIFY_OPTIONS_VERSION, "custody_verify_options")) != 0)
		return rc;
	return run(a, opts, NULL, NULL, cb, payload, summary, err);
}

int custody_archive__verify_from(custody_archive *a,
	const struct custody_verify_base *base, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary, custody_error **err)
{
	return run(a, NULL, base, NULL, cb, payload, summary, err);
}

int custody_archive__verify_keep(custody_archive *a, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary,
	struct custody_verify_keep *keep, custody_error **err)
{
	return run(a, NULL, NULL, keep, cb, payload, summary, err);
}

int custody_verify_options_init(custody_verify_options *opts, unsigned int version)
{
	static const custody_verify_options fresh = CUSTODY_VERIFY_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_VERIFY_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
