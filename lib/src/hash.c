#include "hash.h"
#include "common.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define CHUNK (1024 * 1024)
#define PIPE_CHUNK (4 * 1024 * 1024)
#define PIPE_SLOTS 4
#define PIPE_MIN_SIZE (64ULL * 1024 * 1024)
#define MAGIC_BYTES (64 * 1024)

struct pool {
	struct custody_hash_job *jobs;
	size_t njobs;
	const struct custody_hash_options *opts;
	atomic_size_t next;
	atomic_size_t done;
	atomic_uint_fast64_t bytes;
	atomic_int stop;
	atomic_int fatal;         /* a worker could not run at all */
	char fatal_msg[512];
	pthread_mutex_t fatal_lock;
};

struct worker {
	struct pool *pool;
	unsigned char *buf;
	magic_t magic;
	EVP_MD_CTX *sha256, *sha512;
	custody_pack *pack;
	pthread_t thread;
	int started;
};

unsigned int custody_hash__default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned int)n;
}

/* Whether the run is to stop: a failure elsewhere, or the caller's. */
static int stopping(struct pool *pool)
{
	const struct custody_hash_options *opts = pool->opts;

	if (!pool->stop && opts->cancelled != NULL &&
	    opts->cancelled(opts->cancel_payload))
		pool->stop = 1;
	return pool->stop;
}

static void job_fail(struct custody_hash_job *job, int rc, const char *fmt,
	...) __attribute__((format(printf, 3, 4)));

static void job_fail(struct custody_hash_job *job, int rc, const char *fmt,
	...)
{
	char msg[1024];
	va_list ap;

	if (job->rc != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	job->rc = rc;
	job->error = strdup(msg);
}

static void fatal(struct pool *pool, const char *msg)
{
	pthread_mutex_lock(&pool->fatal_lock);
	if (!pool->fatal) {
		snprintf(pool->fatal_msg, sizeof(pool->fatal_msg), "%s", msg);
		pool->fatal = 1;
	}
	pthread_mutex_unlock(&pool->fatal_lock);
	pool->stop = 1;
}

/* Feed one chunk to every consumer. Returns 0 or -1 (job failed). */
static int consume(struct worker *w, struct custody_hash_job *job,
	const unsigned char *data, size_t len)
{
	custody_error *perr = NULL;

	if (EVP_DigestUpdate(w->sha256, data, len) != 1 ||
	    (w->sha512 && EVP_DigestUpdate(w->sha512, data, len) != 1)) {
		job_fail(job, CUSTODY_ERROR, "%s: hashing failed", job->name);
		return -1;
	}
	if (w->pack && custody_pack__write(w->pack, data, len, &perr) != 0) {
		if (custody_error_code(perr) == CUSTODY_ECHANGED)
			job_fail(job, CUSTODY_ECHANGED, "%s: file changed "
				"while it was being read (%s)", job->name,
				custody_error_message(perr));
		else
			job_fail(job, custody_error_code(perr), "%s: %s",
				job->name, custody_error_message(perr));
		custody_error_free(perr);
		return -1;
	}
	atomic_fetch_add(&w->pool->bytes, len);
	return 0;
}

/* A character of a media type's type or subtype (RFC 6838 section 4.2,
 * lowercase). */
static int media_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		(!first && strchr("!#$&^_.+-", c) != NULL);
}

void custody_hash__media_type(char *out, size_t size, const char *mt)
{
	size_t n = 0, slash, i;
	int ok = 1;

	while (mt && mt[n] && mt[n] != ';' && mt[n] != ' ' && n + 1 < size) {
		char c = mt[n];

		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	out[n] = '\0';
	for (i = 0; i < n && out[i] != '/'; i++)
		ok = ok && media_char(out[i], i == 0);
	slash = i;
	if (slash == 0 || slash + 1 >= n)
		ok = 0;
	for (i = slash + 1; ok && i < n; i++)
		ok = media_char(out[i], i == slash + 1);
	if (!ok)
		snprintf(out, size, "application/octet-stream");
}

static void set_media_type(struct custody_hash_job *job, const char *mt)
{
	custody_hash__media_type(job->media_type, sizeof(job->media_type), mt);
}

/* Read a large file on a second thread while this one hashes. */
struct pipe {
	int fd;
	unsigned char *slot[PIPE_SLOTS];
	size_t len[PIPE_SLOTS];
	int err[PIPE_SLOTS];
	size_t head, tail;        /* produced, consumed */
	int eof, cancel;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *pipe_reader(void *arg)
{
	struct pipe *p = arg;

	for (;;) {
		size_t i, got = 0;
		int e = 0;

		pthread_mutex_lock(&p->lock);
		while (p->head - p->tail == PIPE_SLOTS && !p->cancel)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->cancel) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		i = p->head % PIPE_SLOTS;
		pthread_mutex_unlock(&p->lock);

		while (got < PIPE_CHUNK) {
			ssize_t n = read(p->fd, p->slot[i] + got,
				PIPE_CHUNK - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				e = errno;
				break;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
		pthread_mutex_lock(&p->lock);
		p->len[i] = got;
		p->err[i] = e;
		p->head++;
		if (got == 0 || e != 0)
			p->eof = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (got == 0 || e != 0)
			return NULL;
	}
}

static int read_pipelined(struct worker *w, struct custody_hash_job *job,
	int fd, uint64_t *total, int *magic_done)
{
	struct pipe p;
	pthread_t reader;
	int rc = 0, i;

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	for (i = 0; i < PIPE_SLOTS; i++) {
		p.slot[i] = malloc(PIPE_CHUNK);
		if (p.slot[i] == NULL) {
			for (int j = 0; j < i; j++)
				free(p.slot[j]);
			return 1; /* caller falls back to plain reads */
		}
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	if (pthread_create(&reader, NULL, pipe_reader, &p) != 0) {
		rc = 1;
		goto cleanup;
	}
	for (;;) {
		size_t i2, len;
		int e;

		pthread_mutex_lock(&p.lock);
		while (p.head == p.tail)
			pthread_cond_wait(&p.cond, &p.lock);
		i2 = p.tail % PIPE_SLOTS;
		len = p.len[i2];
		e = p.err[i2];
		pthread_mutex_unlock(&p.lock);
		if (e != 0) {
			job_fail(job, CUSTODY_EIO, "%s: cannot read: %s",
				job->name, strerror(e));
			rc = -1;
		} else if (len > 0) {
			if (!*magic_done && w->magic) {
				set_media_type(job, magic_buffer(w->magic,
					p.slot[i2], len < MAGIC_BYTES ? len :
					MAGIC_BYTES));
				*magic_done = 1;
			}
			if (consume(w, job, p.slot[i2], len) != 0)
				rc = -1;
			*total += len;
		}
		pthread_mutex_lock(&p.lock);
		p.tail++;
		if (rc != 0 || stopping(w->pool))
			p.cancel = 1;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.lock);
		if (rc != 0 || len == 0 || e != 0 || p.cancel)
			break;
	}
	pthread_join(reader, NULL);
	if (rc == 0 && w->pool->stop && job->rc == 0) {
		/* stopped because another file failed: not hashed, and not
		 * this file's fault (the other file's error is the one to
		 * report) */
		job->rc = 1;
		rc = -1;
	}
cleanup:
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	for (i = 0; i < PIPE_SLOTS; i++)
		free(p.slot[i]);
	return rc;
}

static void hash_one(struct worker *w, struct custody_hash_job *job)
{
	struct stat before, after;
	uint64_t total = 0;
	int fd, magic_done = 0, in_pack = 0, piped = 1;
	unsigned int mdlen;
	custody_error *perr = NULL;

	job->rc = 0;
	snprintf(job->media_type, sizeof(job->media_type),
		"application/octet-stream");
	fd = w->pool->opts->beneath ? custody_fs__open_beneath(
		w->pool->opts->root_fd,
		job->path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0) :
		open(job->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK);
	if (fd < 0) {
		job_fail(job, errno == ENOENT ? CUSTODY_ENOTFOUND :
			errno == ELOOP || errno == EXDEV ? CUSTODY_EINVALID :
			CUSTODY_EIO, "%s: cannot open: %s", job->name,
			errno == ELOOP ? "it is a symbolic link, or a folder "
			"on its way is" : errno == EXDEV ? "it is outside the "
			"collection" : strerror(errno));
		return;
	}
	if (fstat(fd, &before) != 0) {
		job_fail(job, CUSTODY_EIO, "%s: cannot stat: %s", job->name,
			strerror(errno));
		goto done;
	}
	if (!S_ISREG(before.st_mode)) {
		job_fail(job, CUSTODY_EINVALID, "%s: not a regular file",
			job->name);
		goto done;
	}
	if (job->check_identity && ((uint64_t)before.st_ino != job->ino ||
	    (uint64_t)before.st_dev != job->dev)) {
		job_fail(job, CUSTODY_ECHANGED, "%s: file was replaced while "
			"custody was reading the collection", job->name);
		goto done;
	}
	if (EVP_DigestInit_ex(w->sha256, EVP_sha256(), NULL) != 1 ||
	    (w->sha512 && EVP_DigestInit_ex(w->sha512, EVP_sha512(), NULL)
	    != 1)) {
		job_fail(job, CUSTODY_ERROR, "%s: cannot start hashing",
			job->name);
		goto done;
	}
	if (w->pack) {
		if (custody_pack__begin(w->pack, CUSTODY_OBJ_BLOB,
		    (uint64_t)before.st_size, &perr) != 0) {
			job_fail(job, custody_error_code(perr), "%s: %s",
				job->name, custody_error_message(perr));
			goto done;
		}
		in_pack = 1;
	}
	/* read-ahead advice pays for itself only on files of many reads */
	if ((uint64_t)before.st_size > CHUNK)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((uint64_t)before.st_size >= PIPE_MIN_SIZE)
		piped = read_pipelined(w, job, fd, &total, &magic_done);
	if (piped < 0)
		goto done;
	if (piped > 0) {
		for (;;) {
			ssize_t n = read(fd, w->buf, CHUNK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				job_fail(job, CUSTODY_EIO, "%s: cannot read: %s",
					job->name, strerror(errno));
				goto done;
			}
			if (n == 0)
				break;
			if (!magic_done && w->magic) {
				set_media_type(job, magic_buffer(w->magic,
					w->buf, (size_t)n < MAGIC_BYTES ?
					(size_t)n : MAGIC_BYTES));
				magic_done = 1;
			}
			if (consume(w, job, w->buf, (size_t)n) != 0)
				goto done;
			total += (uint64_t)n;
			if (stopping(w->pool)) {
				job->rc = 1; /* not hashed, as above */
				goto done;
			}
			/* all the bytes fstat promised: no read for the end
			 * (one syscall in seven for a small file). A file
			 * that grows after this shows a new size in the
			 * fstat below, one that grew before gave more. */
			if (total == (uint64_t)before.st_size && total > 0)
				break;
		}
	}
	if (!magic_done && w->magic) {
		set_media_type(job, magic_buffer(w->magic, "", 0));
	}
	if (fstat(fd, &after) != 0) {
		job_fail(job, CUSTODY_EIO, "%s: cannot stat: %s", job->name,
			strerror(errno));
		goto done;
	}
	custody_fs__keep_stat(&job->st, &after);
	if (!custody_fs__same_stat(&before, &after) ||
	    total != (uint64_t)before.st_size) {
		job_fail(job, CUSTODY_ECHANGED, "%s: file changed while it "
			"was being read (its size or times moved)", job->name);
		goto done;
	}
	job->size = total;
	if (EVP_DigestFinal_ex(w->sha256, job->sha256, &mdlen) != 1 ||
	    (w->sha512 && EVP_DigestFinal_ex(w->sha512, job->sha512, &mdlen)
	    != 1)) {
		job_fail(job, CUSTODY_ERROR, "%s: hashing failed", job->name);
		goto done;
	}
	if (in_pack) {
		in_pack = 0;
		if (custody_pack__end(w->pack, job->blob, &perr) != 0)
			job_fail(job, custody_error_code(perr), "%s: %s",
				job->name, custody_error_message(perr));
	}
done:
	if (in_pack)
		custody_pack__cancel(w->pack);
	custody_error_free(perr);
	close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *pool = w->pool;

	for (;;) {
		size_t i = atomic_fetch_add(&pool->next, 1);
		struct custody_hash_job *job;

		if (i >= pool->njobs || stopping(pool))
			break;
		job = &pool->jobs[i];
		hash_one(w, job);
		atomic_fetch_add(&pool->done, 1);
		if (job->rc != 0 && pool->opts->stop_on_error)
			pool->stop = 1;
	}
	return NULL;
}

static int worker_setup(struct worker *w, struct pool *pool,
	custody_error **err)
{
	const struct custody_hash_options *opts = pool->opts;

	w->pool = pool;
	w->buf = malloc(CHUNK);
	w->sha256 = EVP_MD_CTX_new();
	if (opts->sha512)
		w->sha512 = EVP_MD_CTX_new();
	if (w->buf == NULL || w->sha256 == NULL ||
	    (opts->sha512 && w->sha512 == NULL))
		return custody__oom(err);
	if (opts->media_type) {
		w->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS
			| MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF |
			MAGIC_NO_CHECK_ELF);
		if (w->magic == NULL || magic_load(w->magic, NULL) != 0)
			return custody__error(err, CUSTODY_ERROR,
				"cannot load libmagic's database: %s",
				w->magic ? magic_error(w->magic) :
				"out of memory");
	}
	if (opts->pack_dir != NULL && custody_pack__open(&w->pack,
	    opts->pack_dir, opts->exists, opts->exists_payload, err) != 0)
		return custody_error_code(err ? *err : NULL) ?
			custody_error_code(*err) : CUSTODY_EIO;
	return 0;
}

static void worker_teardown(struct worker *w)
{
	free(w->buf);
	EVP_MD_CTX_free(w->sha256);
	EVP_MD_CTX_free(w->sha512);
	if (w->magic)
		magic_close(w->magic);
	custody_pack__free(w->pack);
}

int custody_hash__run(struct custody_hash_job *jobs, size_t njobs,
	const struct custody_hash_options *opts, custody_pack ***packs_out,
	size_t *npacks_out, custody_error **err)
{
	struct pool pool;
	struct worker *workers = NULL;
	unsigned int nthreads = opts->threads ? opts->threads :
		custody_hash__default_threads();
	uint64_t bytes_total = 0;
	int rc = 0;
	unsigned int i;

	if (packs_out)
		*packs_out = NULL;
	if (npacks_out)
		*npacks_out = 0;
	if (njobs == 0)
		return 0;
	if (nthreads > njobs)
		nthreads = (unsigned int)njobs;
	memset(&pool, 0, sizeof(pool));
	pool.jobs = jobs;
	pool.njobs = njobs;
	pool.opts = opts;
	pthread_mutex_init(&pool.fatal_lock, NULL);
	for (size_t j = 0; j < njobs; j++) {
		jobs[j].rc = 1; /* not hashed (yet) */
		jobs[j].error = NULL;
		bytes_total += jobs[j].size;
	}
	workers = calloc(nthreads, sizeof(*workers));
	if (workers == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	for (i = 0; i < nthreads; i++) {
		if ((rc = worker_setup(&workers[i], &pool, err)) != 0)
			goto done;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_main,
		    &workers[i]) != 0) {
			fatal(&pool, "cannot start a hashing thread");
			break;
		}
		workers[i].started = 1;
	}
	/* Without a progress line to draw, just wait for the workers. */
	while (opts->progress != NULL) {
		struct timespec pause = { 0, 20 * 1000 * 1000 };
		size_t done_count = atomic_load(&pool.done);

		opts->progress(opts->phase ? opts->phase : "hashing",
			done_count, njobs, atomic_load(&pool.bytes),
			bytes_total, opts->payload);
		if (done_count >= njobs || pool.stop)
			break; /* the joins below wait for the rest */
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < nthreads; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
	if (opts->progress)
		opts->progress(opts->phase ? opts->phase : "hashing",
			atomic_load(&pool.done), njobs,
			atomic_load(&pool.bytes), bytes_total, opts->payload);
	if (pool.fatal) {
		rc = custody__error(err, CUSTODY_ERROR, "%s", pool.fatal_msg);
		goto done;
	}
	if (opts->pack_dir != NULL && packs_out != NULL) {
		custody_pack **packs = calloc(nthreads, sizeof(*packs));

		if (packs == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		for (i = 0; i < nthreads; i++) {
			packs[i] = workers[i].pack;
			workers[i].pack = NULL;
		}
		*packs_out = packs;
		*npacks_out = nthreads;
	}
done:
	if (workers != NULL) {
		for (i = 0; i < nthreads; i++)
			worker_teardown(&workers[i]);
		free(workers);
	}
	pthread_mutex_destroy(&pool.fatal_lock);
	return rc;
}

void custody_hash__jobs_clear(struct custody_hash_job *jobs, size_t njobs)
{
	for (size_t i = 0; i < njobs; i++) {
		free(jobs[i].error);
		jobs[i].error = NULL;
	}
}
