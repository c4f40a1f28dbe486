/*
 * Many messages at once: each message is verified exactly as one
 * custody_dkim_verify or custody_dkim_recheck call would, on as many
 * threads as the machine has cores. Every call has its own libopendkim
 * library handle, resolver state and lookup context, so the threads
 * share nothing but the counter of the next message to take.
 *
 * Each thread started here verifies in an OpenSSL library context of its
 * own, in which decoding a key record costs a fifth of what it does in
 * the process's (lib/src/dkim_openssl.c says why and how).
 *
 * custody_dkim_verify_many works with its caller's thread and returns
 * when all are done. A pool (custody_dkim__pool) keeps its threads
 * between batches and works in the background, so that its caller can
 * read the next batch of messages while this one is verified, and post
 * it before the last messages of this one are done.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dkim.h"
#include "hash.h"

#define MAX_THREADS 64

struct many {
	custody_dkim_report **out;
	custody_error **errs;
	const void *const *messages;
	const size_t *sizes;
	const char *const *evidences;
	const char *const *sha256s;     /* NULL, or one for each recheck */
	const custody_dkim_options *opts;
	size_t n;
	atomic_size_t next;
};

/* Verify message `i` of `m` into out[i] and errs[i]. */
static void verify_one(struct many *m, size_t i)
{
	int rc = m->evidences != NULL ?
		custody_dkim__recheck_hashed(&m->out[i], m->messages[i],
		m->sizes[i], m->sha256s ? m->sha256s[i] : NULL,
		m->evidences[i], &m->errs[i]) :
		custody_dkim_verify(&m->out[i], m->messages[i], m->sizes[i],
		m->opts, &m->errs[i]);

	if (rc != 0)    /* the error is in errs[i] */
		m->out[i] = NULL;
}

static void take_messages(struct many *m)
{
	size_t i;

	while ((i = atomic_fetch_add(&m->next, 1)) < m->n)
		verify_one(m, i);
}

static void many_init(struct many *m, custody_dkim_report **out,
	custody_error **errs, const void *const *messages,
	const size_t *sizes, const char *const *evidences,
	const char *const *sha256s, size_t n, const custody_dkim_options *opts)
{
	m->out = out;
	m->errs = errs;
	m->messages = messages;
	m->sizes = sizes;
	m->evidences = evidences;
	m->sha256s = sha256s;
	m->opts = opts;
	m->n = n;
	atomic_init(&m->next, 0);
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		errs[i] = NULL;
	}
}

static void *verify_worker(void *arg)
{
	struct custody_dkim__openssl *o = custody_dkim__openssl_begin();

	take_messages(arg);
	custody_dkim__openssl_end(o);
	return NULL;
}

void custody_dkim_verify_many(custody_dkim_report **out, custody_error **errs,
	const void *const *messages, const size_t *sizes,
	const char *const *evidences, size_t n,
	const custody_dkim_options *opts)
{
	pthread_t threads[MAX_THREADS];
	unsigned int wanted = custody_hash__default_threads(), started = 0;
	struct many m;

	many_init(&m, out, errs, messages, sizes, evidences, NULL, n, opts);
	/* this thread works too; a thread that cannot start only leaves
	 * more messages to the others */
	while (started + 1 < wanted && started + 1 < n &&
	    pthread_create(&threads[started], NULL, verify_worker, &m) == 0)
		started++;
	take_messages(&m);
	for (unsigned int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

/* ---- the pool ---- */

/*
 * A pool holds up to POOL_JOBS batches: its threads go on to the batch
 * posted next as soon as the one before has no message left to take, so
 * none waits while another finishes the last message of a batch. Which
 * message is next and how many are done is kept under the pool's lock;
 * a batch is retired (its slot free again) by pool_wait once all its
 * messages are done, so no thread still reads it.
 */
#define POOL_JOBS 2

struct job {
	struct many m;        /* its `next` is only used under the lock */
	size_t done;
};

struct custody_dkim__pool {
	pthread_mutex_t lock;
	pthread_cond_t posted, finished;
	pthread_t threads[MAX_THREADS];
	unsigned int started;
	struct job jobs[POOL_JOBS];
	unsigned int oldest, njobs;   /* the batches posted, not retired */
	int stop;
};

/* The oldest batch with a message left to take, or NULL. */
static struct job *next_job(struct custody_dkim__pool *p)
{
	for (unsigned int k = 0; k < p->njobs; k++) {
		struct job *j = &p->jobs[(p->oldest + k) % POOL_JOBS];

		if (atomic_load(&j->m.next) < j->m.n)
			return j;
	}
	return NULL;
}

static void *pool_worker(void *arg)
{
	struct custody_dkim__pool *p = arg;
	struct custody_dkim__openssl *o = custody_dkim__openssl_begin();
	struct job *j;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		size_t i;

		if ((j = next_job(p)) == NULL) {
			pthread_cond_wait(&p->posted, &p->lock);
			continue;
		}
		i = atomic_fetch_add(&j->m.next, 1);
		pthread_mutex_unlock(&p->lock);
		verify_one(&j->m, i);
		pthread_mutex_lock(&p->lock);
		if (++j->done == j->m.n)
			pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->lock);
	custody_dkim__openssl_end(o);
	return NULL;
}

struct custody_dkim__pool *custody_dkim__pool_new(void)
{
	struct custody_dkim__pool *p = calloc(1, sizeof(*p));
	unsigned int wanted = custody_hash__default_threads();

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->posted, NULL);
	pthread_cond_init(&p->finished, NULL);
	/* none started is a pool too: start then does the work itself */
	while (p->started < wanted && p->started < MAX_THREADS &&
	    pthread_create(&p->threads[p->started], NULL, pool_worker,
	    p) == 0)
		p->started++;
	return p;
}

void custody_dkim__pool_start(struct custody_dkim__pool *p,
	custody_dkim_report **out, custody_error **errs,
	const void *const *messages, const size_t *sizes,
	const char *const *evidences, const char *const *sha256s, size_t n,
	const custody_dkim_options *opts)
{
	struct job *j;

	pthread_mutex_lock(&p->lock);
	/* a full pool first retires its oldest batch */
	while (p->njobs == POOL_JOBS) {
		pthread_mutex_unlock(&p->lock);
		custody_dkim__pool_wait(p);
		pthread_mutex_lock(&p->lock);
	}
	j = &p->jobs[(p->oldest + p->njobs) % POOL_JOBS];
	many_init(&j->m, out, errs, messages, sizes, evidences, sha256s, n,
		opts);
	j->done = 0;
	p->njobs++;
	if (p->started == 0) {
		pthread_mutex_unlock(&p->lock);
		take_messages(&j->m);
		pthread_mutex_lock(&p->lock);
		j->done = n;
	}
	pthread_cond_broadcast(&p->posted);
	pthread_mutex_unlock(&p->lock);
}

void custody_dkim__pool_wait(struct custody_dkim__pool *p)
{
	struct job *j;

	pthread_mutex_lock(&p->lock);
	if (p->njobs > 0) {
		j = &p->jobs[p->oldest];
		while (j->done < j->m.n)
			pthread_cond_wait(&p->finished, &p->lock);
		p->oldest = (p->oldest + 1) % POOL_JOBS;
		p->njobs--;
	}
	pthread_mutex_unlock(&p->lock);
}

void custody_dkim__pool_free(struct custody_dkim__pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	while (p->njobs > 0) {
		pthread_mutex_unlock(&p->lock);
		custody_dkim__pool_wait(p);
		pthread_mutex_lock(&p->lock);
	}
	p->stop = 1;
	pthread_cond_broadcast(&p->posted);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int t = 0; t < p->started; t++)
		pthread_join(p->threads[t], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->posted);
	pthread_cond_destroy(&p->finished);
	free(p);
}

/* ---- loaded, verified and taken in order ---- */

#define EACH_MESSAGES 64
#define EACH_BYTES ((size_t)128 * 1024 * 1024)

int custody_dkim__verify_each(size_t n, const custody_dkim_options *opts,
	custody_dkim__load_fn load, custody_dkim__done_fn done, void *payload,
	custody_error **err)
{
	custody_buf bytes[EACH_MESSAGES];
	custody_dkim_report *reports[EACH_MESSAGES];
	custody_error *errs[EACH_MESSAGES];
	const void *messages[EACH_MESSAGES];
	size_t sizes[EACH_MESSAGES], at[EACH_MESSAGES];
	size_t i = 0;
	int rc = 0;
	/* one pool for every batch: its threads, and their OpenSSL
	 * contexts, are made once */
	struct custody_dkim__pool *pool = custody_dkim__pool_new();

	if (pool == NULL)
		return custody__oom(err);
	while (i < n && rc == 0) {
		size_t k = 0, held = 0;
		int load_rc = 0;
		custody_error *load_err = NULL;

		/* a batch: until it is full, or a load fails */
		for (; i < n && k < EACH_MESSAGES && held < EACH_BYTES; i++) {
			int skip = 0;

			bytes[k] = (custody_buf)CUSTODY_BUF_INIT;
			if ((load_rc = load(payload, i, &bytes[k], &skip,
			    &load_err)) != 0)
				break;
			if (skip)
				continue;
			messages[k] = bytes[k].ptr ? bytes[k].ptr : "";
			sizes[k] = bytes[k].size;
			held += bytes[k].size;
			at[k++] = i;
		}
		custody_dkim__pool_start(pool, reports, errs, messages, sizes,
			NULL, NULL, k, opts);
		custody_dkim__pool_wait(pool);
		for (size_t j = 0; j < k; j++) {
			custody_buf_dispose(&bytes[j]);
			if (rc == 0)
				rc = done(payload, at[j], reports[j], errs[j],
					err);
			else
				custody_dkim_report_free(reports[j]);
			custody_error_free(errs[j]);
		}
		/* messages before the one that could not be read come first */
		if (rc == 0 && load_rc != 0) {
			rc = load_rc;
			if (err != NULL && *err == NULL)
				*err = load_err, load_err = NULL;
		}
		custody_error_free(load_err);
	}
	custody_dkim__pool_free(pool);
	return rc;
}
