/*
 * DKIM in the archive: the dkim log entry that records a registered
 * message's verdict and evidence (custody_archive_dkim), and the check
 * of messages against the entries recorded (custody_archive_dkim_check).
 * A dkim entry names its message as a derivative names its original, by
 * the register entry's index and leaf hash.
 */
#include "archive.h"
#include "change.h"
#include "common.h"
#include "dkim.h"
#include "entry.h"
#include "fsutil.h"
#include "index.h"
#include "lock.h"
#include "merkle.h"
#include "proof.h"
#include "tlog_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

int custody_dkim_record_options_init(custody_dkim_record_options *opts,
	unsigned int version)
{
	static const custody_dkim_record_options fresh =
		CUSTODY_DKIM_RECORD_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_DKIM_RECORD_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	*opts = fresh;
	return 0;
}

static void utc(int64_t seconds, char out[32])
{
	time_t t = (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The message registered by `doc` (at collection-relative `rel`), byte
 * for byte: its stored content when the archive holds it, else the file
 * in the collection; either way its SHA-256 must be the registered one.
 */
static int message_bytes(custody_archive *a, const struct custody_entry *doc,
	const char *rel, custody_buf *out, custody_error **err)
{
	char *path = NULL, hex[65];
	git_blob *blob = NULL;
	int rc = 0;

	out->ptr = NULL;
	out->size = 0;
	if (doc->blob != NULL) {
		if ((path = custody_fs__join("documents", rel)) == NULL)
			return custody__oom(err);
		rc = custody_archive__head_blob(a, path, &blob, err);
		free(path);
		if (rc != 0)
			return rc;
		rc = custody_buf__append(out, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
		if (rc != 0)
			return custody__oom(err);
	} else {
		if ((path = custody_fs__join(a->collection, rel)) == NULL)
			return custody__oom(err);
		rc = custody_fs__read_file(out, path,
			CUSTODY_DKIM_MAX_MESSAGE, err);
		free(path);
		if (rc != 0)
			return rc;
	}
	if ((rc = custody_sha256_hex(out->ptr != NULL ? out->ptr : "",
	    out->size, hex, err)) != 0)
		goto fail;
	if (doc->sha256 == NULL || strlen(doc->sha256) != 64 ||
	    CRYPTO_memcmp(hex, doc->sha256, 64) != 0) {
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_REGISTER, "%s: not the message entry %"
			PRIu64 " registered (its SHA-256 differs)", rel,
			doc->index);
		goto fail;
	}
	return 0;
fail:
	custody_buf_dispose(out);
	return rc;
}

/* The register entry of each message, its leaf hash, its bytes. */
struct message {
	char *rel;
	struct custody_entry *doc;
	char leaf[65];
	custody_buf bytes;
};

static void messages_free_one(struct message *m)
{
	free(m->rel);
	custody_entry__free(m->doc);
	custody_buf_dispose(&m->bytes);
	memset(m, 0, sizeof(*m));
}

static void messages_free(struct message *m, size_t n)
{
	for (size_t i = 0; m != NULL && i < n; i++) {
		free(m[i].rel);
		custody_entry__free(m[i].doc);
		custody_buf_dispose(&m[i].bytes);
	}
	free(m);
}

/* Entry `index` (into *entry unless NULL) and its leaf hash, in hex. */
static int read_leaf(custody_archive *a, git_tree *tree, uint64_t index,
	struct custody_entry **entry, char leaf_hex[65], custody_error **err)
{
	custody_buf public_part = CUSTODY_BUF_INIT;
	struct custody_entry *e = NULL;
	unsigned char leaf[32];
	int rc;

	if ((rc = custody_archive__read_entry(a, tree, index, &e,
	    &public_part, err)) != 0)
		return rc;
	custody_merkle__leaf_hash(public_part.ptr, public_part.size, leaf);
	custody_buf_dispose(&public_part);
	custody_hex(leaf_hex, leaf, 32);
	if (entry != NULL)
		*entry = e;
	else
		custody_entry__free(e);
	return 0;
}

/* Register entry `index` as a message: its leaf hash (unless known) and
 * its bytes. */
static int load_message(custody_archive *a, git_tree *tree,
	struct message *m, custody_error **err)
{
	int rc;

	if (m->leaf[0] == '\0' && (rc = read_leaf(a, tree, m->doc->index,
	    NULL, m->leaf, err)) != 0)
		return rc;
	return message_bytes(a, m->doc, m->rel, &m->bytes, err);
}

/* What custody_archive_dkim's loads and results need. */
struct recording {
	custody_archive *a;
	git_tree *tree;
	const char *const *paths;
	struct message *msgs;
	struct custody_entry *entries;
	char (*observed)[32];
	custody_dkim_report **reports;
	const custody_dkim_record_options *opts;
	size_t n;
};

static int record_load(void *payload, size_t i, custody_buf *bytes,
	int *skip, custody_error **err)
{
	struct recording *r = payload;
	struct message *m = &r->msgs[i];
	int rc;

	if ((rc = custody_archive__find_version(r->a, r->paths[i], 0,
	    &m->rel, &m->doc, err)) != 0 ||
	    (rc = load_message(r->a, r->tree, m, err)) != 0)
		return rc;
	/* the bytes go to the verification, and are freed after it */
	*bytes = m->bytes;
	m->bytes = (custody_buf)CUSTODY_BUF_INIT;
	return 0;
}

/* The ARC chain the evidence records (its arc-chain line; "none" when
 * it has none, "?" for a value custody does not write). Static. */
static const char *recorded_arc(const char *evidence)
{
	const char *at = strstr(evidence, "\narc-chain ");

	if (at == NULL)
		return "none";
	at += 11;
	return strncmp(at, "pass\n", 5) == 0 ? "pass" :
		strncmp(at, "fail\n", 5) == 0 ? "fail" : "?";
}

static int record_done(void *payload, size_t i, custody_dkim_report *report,
	const custody_error *why, custody_error **err)
{
	struct recording *r = payload;
	struct message *m = &r->msgs[i];
	struct custody_entry *e = &r->entries[i];

	if (report == NULL)
		return custody__error(err, custody_error_code(why), "%s: %s",
			m->rel, custody_error_message(why));
	r->reports[i] = report;
	if (strlen(custody_dkim_report_evidence(report)) >
	    CUSTODY_ENTRY_DKIM_MAX_EVIDENCE)
		return custody__error(err, CUSTODY_EINVALID, "%s: the DKIM "
			"evidence is %zu bytes, more than a dkim entry holds "
			"(%d); its key records are too large to keep", m->rel,
			strlen(custody_dkim_report_evidence(report)),
			CUSTODY_ENTRY_DKIM_MAX_EVIDENCE);
	utc(custody_dkim_report_time(report), r->observed[i]);
	e->type = CUSTODY_ENTRY_DKIM;
	e->message = m->doc->index;
	e->message_leaf = m->leaf;
	e->verdict = (char *)custody_dkim_report_verdict(report);
	e->observed = r->observed[i];
	e->dkim_evidence = (char *)custody_dkim_report_evidence(report);
	e->note = (char *)r->opts->note;
	if (r->opts->progress != NULL)
		r->opts->progress("dkim", i + 1, r->n, 0, 0,
			r->opts->payload);
	return 0;
}

/*
 * After a recording, under its lock: the path index on disk learns the
 * new head, so that the next command to load it does not read the dkim
 * entries just written (one recording may write many thousands). The
 * index is a cache: if it cannot be loaded or saved, it stays as it was.
 */
static void keep_index(custody_archive *a)
{
	struct custody_index *index = NULL;
	custody_error *ierr = NULL;

	if (custody_index__load(&index, a, &ierr) == 0 &&
	    custody_index__learnt(index) &&
	    custody_index__save(index, a, &ierr) != 0)
		custody_archive__notice(a, "the stat cache was not saved "
			"(%s)", custody_error_message(ierr));
	custody_index__free(index);
	custody_error_free(ierr);
}

int custody_archive_dkim(custody_archive *a, const char *const *paths,
	size_t n, const custody_dkim_record_options *opts,
	custody_dkim_report **reports, uint64_t *first_index_out,
	char commit_out[41], custody_error **err)
{
	struct message *msgs = NULL;
	struct custody_entry *entries = NULL;
	char (*observed)[32] = NULL;
	struct recording r;
	custody_lock *lock = NULL;
	git_tree *tree = NULL;
	const char *actor;
	char message[200];
	git_oid commit;
	size_t i;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_DKIM_RECORD_OPTIONS_VERSION,
	    "custody_dkim_record_options")) != 0)
		return rc;
	for (i = 0; i < n; i++)
		reports[i] = NULL;
	if (n == 0)
		return custody__error(err, CUSTODY_EINVALID, "name a message");
	if ((msgs = calloc(n, sizeof(*msgs))) == NULL ||
	    (entries = calloc(n, sizeof(*entries))) == NULL ||
	    (observed = calloc(n, sizeof(*observed))) == NULL) {
		free(msgs);
		free(entries);
		return custody__oom(err);
	}
	if ((rc = custody_change__begin(a, opts->lock_wait_ms, &lock,
	    &actor, err)) != 0)
		goto done;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	r.a = a;
	r.tree = tree;
	r.paths = paths;
	r.msgs = msgs;
	r.entries = entries;
	r.observed = observed;
	r.reports = reports;
	r.opts = opts;
	r.n = n;
	if ((rc = custody_dkim__verify_each(n, &opts->dkim, record_load,
	    record_done, &r, err)) != 0)
		goto done;
	if (n == 1)
		snprintf(message, sizeof(message), "custody dkim: %.16s %.160s\n",
			entries[0].verdict, msgs[0].rel);
	else
		snprintf(message, sizeof(message), "custody dkim: %zu "
			"messages\n", n);
	if ((rc = custody_change__append(a, entries, n, NULL, 0, message,
	    &commit, err)) != 0)
		goto done;
	keep_index(a);
	if (first_index_out != NULL)
		*first_index_out = entries[0].index;
	if (commit_out != NULL)
		git_oid_tostr(commit_out, 41, &commit);
done:
	if (rc != 0)
		for (i = 0; i < n; i++) {
			custody_dkim_report_free(reports[i]);
			reports[i] = NULL;
		}
	git_tree_free(tree);
	messages_free(msgs, n);
	free(entries);
	free(observed);
	custody_lock__release(lock);
	return rc;
}

int custody_archive__dkim_recheck_entry(custody_archive *a, git_tree *tree,
	const struct custody_entry *dkim, char **problem_out,
	custody_error **err)
{
	struct custody_entry *doc = NULL;
	custody_dkim_report *report = NULL;
	custody_error *why = NULL;
	git_blob *blob = NULL;
	git_oid id;
	int rc;

	*problem_out = NULL;
	if ((rc = custody_archive__read_entry(a, tree, dkim->message, &doc,
	    NULL, err)) != 0)
		return rc;
	if (doc->blob == NULL || git_oid_fromstr(&id, doc->blob) != 0)
		goto done;
	if ((rc = custody_archive__bounded_blob(a->repo, &id,
	    CUSTODY_DKIM_MAX_MESSAGE, doc->path, &blob, err)) != 0)
		goto done;
	rc = custody_dkim_recheck(&report, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob), dkim->dkim_evidence, &why);
	if (rc == CUSTODY_ENOMEM) {
		rc = custody__oom(err);
		goto done;
	}
	rc = 0;
	if (report == NULL) {
		if (asprintf(problem_out, "the stored message of entry %"
		    PRIu64 " does not check against the evidence: %s",
		    dkim->message, custody_error_message(why)) < 0)
			*problem_out = NULL, rc = custody__oom(err);
	} else if (strcmp(custody_dkim_report_verdict(report),
	    dkim->verdict) != 0) {
		if (asprintf(problem_out, "records verdict %s, but the stored "
		    "message of entry %" PRIu64 " gives %s from its evidence",
		    dkim->verdict, dkim->message,
		    custody_dkim_report_verdict(report)) < 0)
			*problem_out = NULL, rc = custody__oom(err);
	} else if (strcmp(custody_dkim_report_arc(report),
	    recorded_arc(dkim->dkim_evidence)) != 0) {
		if (asprintf(problem_out, "records ARC chain %s, but the "
		    "stored message of entry %" PRIu64 " gives %s from its "
		    "evidence", recorded_arc(dkim->dkim_evidence),
		    dkim->message, custody_dkim_report_arc(report)) < 0)
			*problem_out = NULL, rc = custody__oom(err);
	}
done:
	custody_error_free(why);
	custody_dkim_report_free(report);
	git_blob_free(blob);
	custody_entry__free(doc);
	return rc;
}

/* ---- checking messages against their dkim entries ---- */

/* The newest dkim entry of each message: latest[k] for register entry
 * k, 0 when none. Found in the log index (tlog_index.h), which is a
 * cache: queue() reads each entry it names and checks that it is a
 * dkim entry of that message. */
static int newest_dkim_entries(custody_archive *a, git_tree *tree,
	uint64_t **out, custody_error **err)
{
	struct custody_tlog_index *x = NULL;
	uint64_t *latest, size = a->size;
	int rc;

	*out = NULL;
	if ((rc = custody_tlog_index__open(a, tree, &x, err)) != 0)
		return rc;
	if ((latest = calloc(size ? size : 1, sizeof(*latest))) == NULL) {
		custody_tlog_index__free(x);
		return custody__oom(err);
	}
	/* records ascend: a later verdict replaces an earlier one */
	for (size_t r = 0; r < x->nrecords; r++) {
		const struct custody_tlog_index_record *d = &x->records[r];

		if (d->dkim && d->ndocs == 1 && d->index < size &&
		    d->docs[0] < d->index)
			latest[d->docs[0]] = d->index;
	}
	custody_tlog_index__free(x);
	*out = latest;
	return 0;
}

/*
 * Messages are checked a batch at a time: read here one after another
 * (git objects, entries) while the batch read before is verified in the
 * background on all cores, then told to the caller in order. A batch
 * holds at most BATCH_MESSAGES messages and, beyond one large message,
 * BATCH_BYTES; two are in memory at once. The first batches are
 * smaller (FIRST_BATCH, then twice as many each time), so that the
 * threads start on the first messages while the reading goes on.
 */
#define BATCH_MESSAGES 64
#define FIRST_BATCH 8
#define BATCH_BYTES ((size_t)128 * 1024 * 1024)

struct pending {
	struct message m;
	struct custody_entry *de;      /* the dkim entry */
	custody_error *why;            /* why the message cannot be read */
};

struct batch {
	struct pending p[BATCH_MESSAGES];
	size_t n, bytes;
	/* what the pool verifies: the messages that could be read */
	const void *messages[BATCH_MESSAGES];
	const char *evidences[BATCH_MESSAGES];
	const char *sha256s[BATCH_MESSAGES];   /* checked on reading */
	size_t sizes[BATCH_MESSAGES], at[BATCH_MESSAGES], k;
	custody_dkim_report *reports[BATCH_MESSAGES];
	custody_error *errs[BATCH_MESSAGES];
};

struct checking {
	struct batch b[2];
	int filling;           /* the batch being read */
	int posted;            /* the other one is being verified */
	struct custody_dkim__pool *pool;
	custody_dkim_check_cb cb;
	void *payload;
	int stopped;           /* a callback said stop, or out of memory */
	size_t limit;          /* of messages in the batch being read */
};

static void pending_free(struct pending *p)
{
	free(p->m.rel);
	custody_entry__free(p->m.doc);
	custody_buf_dispose(&p->m.bytes);
	custody_entry__free(p->de);
	custody_error_free(p->why);
	memset(p, 0, sizeof(*p));
}

/* Tell the caller the verified batch `b`, in order, and empty it. */
static int deliver(struct checking *c, struct batch *b, custody_error **err)
{
	int rc = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct pending *p = &b->p[i];
		custody_dkim_report *report = NULL;
		custody_error *why = p->why;

		if (why == NULL) {
			report = b->reports[b->at[i]];
			why = b->errs[b->at[i]];
		}
		if (!c->stopped && custody_error_code(why) == CUSTODY_ENOMEM)
			rc = custody__oom(err);
		if (!c->stopped && rc == 0)
			rc = c->cb(p->m.rel, p->de->index, p->de->verdict,
				report, report ? NULL : why ?
				custody_error_message(why) :
				"the message cannot be checked", c->payload);
		if (rc != 0)
			c->stopped = 1;
		custody_dkim_report_free(report);
		if (why != p->why)
			custody_error_free(why);
		pending_free(p);
	}
	b->n = 0;
	b->bytes = 0;
	return rc;
}

/* Hand the messages of batch `b` that could be read to the pool. */
static void post(struct checking *c, struct batch *b)
{
	b->k = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->p[i].why != NULL)
			continue;
		b->messages[b->k] = b->p[i].m.bytes.ptr ?
			b->p[i].m.bytes.ptr : "";
		b->sizes[b->k] = b->p[i].m.bytes.size;
		b->evidences[b->k] = b->p[i].de->dkim_evidence;
		b->sha256s[b->k] = b->p[i].m.doc->sha256;
		b->at[i] = b->k++;
	}
	custody_dkim__pool_start(c->pool, b->reports, b->errs, b->messages,
		b->sizes, b->evidences, b->sha256s, b->k, NULL);
	c->posted = 1;
}

/* Post the batch read, then tell the one posted before it, if any, once
 * verified: the pool's threads go on to the new batch without a pause
 * while this one waits for the old batch's last messages and tells it. */
static int flush(struct checking *c, custody_error **err)
{
	struct batch *b = &c->b[c->filling];
	struct batch *before = c->posted ? &c->b[!c->filling] : NULL;

	c->posted = 0;
	if (b->n > 0) {
		post(c, b);
		c->filling = !c->filling;
	}
	if (before == NULL)
		return 0;
	custody_dkim__pool_wait(c->pool);
	return deliver(c, before, err);
}

/* Tell everything queued; after an error, err is NULL and the caller's
 * error stands. */
static int drain(struct checking *c, custody_error **err)
{
	int rc = flush(c, err);
	int later = flush(c, rc == 0 ? err : NULL);

	return rc != 0 ? rc : later;
}

/*
 * Queue message `m` (taken over) for a recheck against dkim entry
 * `index`. An entry that cannot be read or does not name this message's
 * leaf ends the check, after the messages queued before it are told.
 */
static int queue(custody_archive *a, git_tree *tree, struct checking *c,
	struct message *m, uint64_t index, custody_error **err)
{
	struct batch *b = &c->b[c->filling];
	struct pending *p = &b->p[b->n];
	int rc;

	memset(p, 0, sizeof(*p));
	p->m = *m;
	memset(m, 0, sizeof(*m));
	/* what the check uses of a dkim entry is all public */
	if ((rc = custody_archive__public_entry(a, tree, index, "dkim",
	    &p->de, NULL, err)) != 0)
		goto refused;
	if (p->de == NULL || p->de->type != CUSTODY_ENTRY_DKIM ||
	    p->de->message != p->m.doc->index) {
		rc = custody__error(err, CUSTODY_EVERIFY,
			"entry %" PRIu64 ": not a dkim "
			"entry of entry %" PRIu64 ", as the log index (%s) "
			"says; `custody verify` rebuilds it", index,
			p->m.doc->index, ".custody/cache/tlog-index");
		goto refused;
	}
	/* the leaf is known even when the bytes cannot be read */
	(void)load_message(a, tree, &p->m, &p->why);
	if (p->m.leaf[0] != '\0' &&
	    strcmp(p->de->message_leaf, p->m.leaf) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "entry %" PRIu64
			": 'message_leaf' is not the leaf hash of entry %"
			PRIu64, index, p->m.doc->index);
		goto refused;
	}
	if (p->why == NULL && p->de->dkim_evidence == NULL)
		(void)custody__error(&p->why, CUSTODY_EINVALID,
			"the dkim entry holds no evidence");
	b->bytes += p->m.bytes.size;
	if (++b->n >= c->limit || b->bytes >= BATCH_BYTES) {
		if (c->limit < BATCH_MESSAGES)
			c->limit *= 2;
		return flush(c, err);
	}
	return 0;
refused:
	pending_free(p);
	(void)drain(c, NULL);
	return rc;
}

int custody_archive_dkim_check(custody_archive *a, const char *const *paths,
	size_t n, custody_dkim_check_cb cb, void *payload, custody_error **err)
{
	struct custody_index *index = NULL;
	uint64_t *latest = NULL;
	git_tree *tree = NULL;
	struct checking *c;
	size_t i;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->pool = custody_dkim__pool_new()) == NULL) {
		free(c);
		return custody__oom(err);
	}
	c->cb = cb;
	c->payload = payload;
	c->limit = FIRST_BATCH;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &tree, err)) != 0 ||
	    (rc = newest_dkim_entries(a, tree, &latest, err)) != 0)
		goto done;
	/* the paths are looked up in one index, loaded once */
	if (n > 0 && (rc = custody_index__load(&index, a, err)) != 0)
		goto done;
	for (i = 0; i < n && rc == 0; i++) {
		struct message m;

		memset(&m, 0, sizeof(m));
		if ((rc = custody_archive__find_version_in(a, index, paths[i],
		    0, &m.rel, &m.doc, err)) == 0) {
			if (latest[m.doc->index] == 0)
				rc = custody__error(err, CUSTODY_ENOTFOUND,
					"%s: no dkim entry records this "
					"version (entry %" PRIu64 "); run "
					"`custody dkim %s` first", m.rel,
					m.doc->index, m.rel);
			else
				rc = queue(a, tree, c, &m,
					latest[m.doc->index], err);
		}
		messages_free_one(&m);
	}
	for (uint64_t k = 0; n == 0 && rc == 0 && k < a->size; k++) {
		struct message m;

		if (latest[k] == 0)
			continue;
		memset(&m, 0, sizeof(m));
		if ((rc = read_leaf(a, tree, k, &m.doc, m.leaf, err)) == 0) {
			if (!custody_entry__registers(m.doc) ||
			    (m.rel = strdup(m.doc->path)) == NULL)
				rc = m.rel == NULL &&
				    custody_entry__registers(m.doc) ?
				    custody__oom(err) :
				    custody__error(err, CUSTODY_EVERIFY,
				    "entry %" PRIu64 ": 'message' names "
				    "entry %" PRIu64 ", which registers no "
				    "message", latest[k], k);
			else
				rc = queue(a, tree, c, &m, latest[k], err);
		}
		messages_free_one(&m);
	}
	/* what is queued is told, also before an error ends the check */
	if (rc == 0)
		rc = drain(c, err);
	else
		(void)drain(c, NULL);
done:
	if (c->posted)
		custody_dkim__pool_wait(c->pool);
	custody_dkim__pool_free(c->pool);
	free(c);
	/* what the index learnt is kept once the check is done, as status
	 * does: keeping it refreshes the archive, which must not move
	 * under the check */
	if (index != NULL)
		custody_index__keep(index, a);
	custody_index__free(index);
	free(latest);
	git_tree_free(tree);
	return rc;
}
