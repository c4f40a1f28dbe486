/*
 * custody_bag_export: the registered documents as a BagIt bag, with the
 * signed checkpoint and one custody proof per payload file as tag files.
 * The bag is made in a folder beside OUT and renamed to OUT once all of
 * it is on disk, so OUT is either a whole bag or absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "archive.h"
#include "bag.h"
#include "blob.h"
#include "common.h"
#include "custody/proof.h"
#include "custody/version.h"
#include "entry.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "proof.h"

#define COPY_CHUNK (1u << 20)

struct item {
	const struct custody_record *record;
	int rc;                      /* of its copy */
	custody_error *error;
	char *payload_path;          /* "data/" + path */
	int included;                /* in data/; else in fetch.txt */
	int has_sha512;
	char sha256[65], sha512[129];
};

/* One file copied (or only hashed, out_fd -1) with both digests. */
struct copy {
	int out_fd;
	EVP_MD_CTX *sha256, *sha512;
	uint64_t size;
	int write_errno;
};

static int copy_chunk(const unsigned char *data, size_t len, void *payload)
{
	struct copy *c = payload;

	if (EVP_DigestUpdate(c->sha256, data, len) != 1 ||
	    EVP_DigestUpdate(c->sha512, data, len) != 1)
		return -1;
	c->size += len;
	while (c->out_fd >= 0 && len > 0) {
		ssize_t n = write(c->out_fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->write_errno = errno;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_begin(struct copy *c, int out_fd, custody_error **err)
{
	memset(c, 0, sizeof(*c));
	c->out_fd = out_fd;
	if ((c->sha256 = EVP_MD_CTX_new()) == NULL ||
	    (c->sha512 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->sha256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(c->sha512, EVP_sha512(), NULL) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR, "SHA-2");
	return 0;
}

static void copy_end(struct copy *c, struct item *it)
{
	unsigned char md[64];
	unsigned int len;

	if (EVP_DigestFinal_ex(c->sha256, md, &len) == 1)
		custody_hex(it->sha256, md, 32);
	if (EVP_DigestFinal_ex(c->sha512, md, &len) == 1) {
		custody_hex(it->sha512, md, 64);
		it->has_sha512 = 1;
	}
	EVP_MD_CTX_free(c->sha256);
	EVP_MD_CTX_free(c->sha512);
	c->sha256 = c->sha512 = NULL;
}

/* 1 when what was read is the record's content: its SHA-256 and size */
static int matches(const struct item *it, const struct copy *c)
{
	char want[65];

	custody_hex(want, it->record->sha256, 32);
	return c->size == it->record->size &&
		CRYPTO_memcmp(want, it->sha256, 64) == 0;
}

struct export_run {
	custody_archive *a;
	const custody_bag_export_options *opts;
	char *tmp;                   /* the bag while it is made */
	int bag_fd;
	git_odb *odb;
	struct item *items;
	size_t nitems;
	/* the tag files written, with their digests, for the tag
	 * manifests */
	struct tag {
		char *name;
		char sha256[65], sha512[129];
	} *tags;
	size_t ntags, alloc_tags;
	/* the documents to choose from: the index's, or those at opts->at */
	struct custody_record *at_records;
	size_t nat_records;
	/* the copying pool */
	pthread_mutex_t lock;
	size_t next;
	int stop;
	/* the progress line, drawn by the calling thread while the pool
	 * copies */
	_Atomic size_t copied;
	_Atomic uint64_t bytes_copied;
	uint64_t bytes_total;
};

/* A new file of the bag at `rel`, its folders made; -1 on failure
 * (reported). */
static int create_in_bag(struct export_run *run, const char *rel,
	custody_error **err)
{
	const char *name;
	int dir = custody_fs__open_parent(run->bag_fd, rel, 1, &name), fd;

	if (dir < 0) {
		custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: cannot "
			"make its folder", run->tmp, rel);
		return -1;
	}
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: cannot "
			"create", run->tmp, rel);
	close(dir);
	return fd;
}

/* A tag file, written, and listed for the tag manifests. */
static int tag_file(struct export_run *run, const char *rel,
	const custody_buf *content, custody_error **err)
{
	struct item digests;
	struct copy c;
	int fd, rc = 0;

	if (run->ntags == run->alloc_tags) {
		size_t want = run->alloc_tags ? run->alloc_tags * 2 : 64;
		struct tag *bigger = realloc(run->tags, want *
			sizeof(*bigger));

		if (bigger == NULL)
			return custody__oom(err);
		run->tags = bigger;
		run->alloc_tags = want;
	}
	if ((fd = create_in_bag(run, rel, err)) < 0)
		return CUSTODY_EIO;
	if ((rc = copy_begin(&c, fd, err)) == 0 && copy_chunk(
	    (const unsigned char *)content->ptr, content->size, &c) != 0)
		rc = custody__error_sys(err, CUSTODY_EIO, c.write_errno,
			"%s/%s: cannot write", run->tmp, rel);
	if (rc == 0)
		copy_end(&c, &digests);
	EVP_MD_CTX_free(c.sha256);
	EVP_MD_CTX_free(c.sha512);
	if (close(fd) != 0 && rc == 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: "
			"cannot write", run->tmp, rel);
	if (rc != 0)
		return rc;
	if ((run->tags[run->ntags].name = strdup(rel)) == NULL)
		return custody__oom(err);
	memcpy(run->tags[run->ntags].sha256, digests.sha256, 65);
	memcpy(run->tags[run->ntags].sha512, digests.sha512, 129);
	run->ntags++;
	return 0;
}

/* tag_file, and the buffer emptied for the next one */
static int keep_tag(struct export_run *run, const char *rel,
	custody_buf *content, custody_error **err)
{
	int rc = tag_file(run, rel, content, err);

	custody_buf_dispose(content);
	return rc;
}

/* The payload file of `it`: from its stored content, else from the
 * collection (hard-linked with opts->link where the file system lets),
 * each byte checked against the record while it is copied. */
static int copy_payload(struct export_run *run, git_odb *odb,
	struct item *it, int hash_only, custody_error **err)
{
	const struct custody_record *r = it->record;
	unsigned char buffer[64 * 1024];
	struct copy c;
	int out = -1, in = -1, rc = 0, linked = 0;

	if (r->blob[0] == '\0' && run->opts->link && !hash_only) {
		const char *name;
		int dir = custody_fs__open_parent(run->bag_fd, it->payload_path,
			1, &name);

		if (dir >= 0) {
			char *from = custody_fs__join(
				custody_archive_collection(run->a), r->path);

			linked = from != NULL && linkat(AT_FDCWD, from, dir,
				name, 0) == 0;
			free(from);
			close(dir);
		}
	}
	if (!linked && !hash_only && (out = create_in_bag(run,
	    it->payload_path, err)) < 0)
		return CUSTODY_EIO;
	if ((rc = copy_begin(&c, out, err)) != 0)
		goto done;
	if (r->blob[0] != '\0') {
		git_oid id;
		uint64_t size;
		custody_error *why = NULL;

		if (git_oid_fromstr(&id, r->blob) != 0 ||
		    custody_blob__stream(run->a->gitdir, odb, &id, &size,
		    copy_chunk, &c, &why) != 0) {
			if (c.write_errno)
				rc = custody__error_sys(err, CUSTODY_EIO,
					c.write_errno, "%s/%s: cannot write",
					run->tmp, it->payload_path);
			else
				rc = custody__error(err, CUSTODY_EVERIFY, "%s: "
					"stored content %s cannot be read: %s",
					r->path, r->blob, why ?
					custody_error_message(why) :
					"not a stored blob");
			custody_error_free(why);
			goto done;
		}
	} else {
		in = linked ? custody_fs__open_beneath(run->bag_fd,
			it->payload_path, O_RDONLY, 0) :
			custody_fs__open_beneath(run->a->root_fd, r->path,
			O_RDONLY, 0);
		if (in < 0) {
			rc = custody__error_hint(err, errno == ENOENT ?
				CUSTODY_ENOTFOUND : CUSTODY_EIO,
				CUSTODY_HINT_NOT_STORED, "%s: not stored, and "
				"the collection's file cannot be read: %s (a "
				"holey bag lists it in fetch.txt instead)",
				r->path, strerror(errno));
			goto done;
		}
		for (;;) {
			ssize_t n = read(in, buffer, sizeof(buffer));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = custody__error_sys(err, CUSTODY_EIO, errno,
					"%s: cannot read", r->path);
				goto done;
			}
			if (n == 0)
				break;
			if (copy_chunk(buffer, (size_t)n, &c) != 0) {
				rc = custody__error_sys(err, CUSTODY_EIO,
					c.write_errno, "%s/%s: cannot write",
					run->tmp, it->payload_path);
				goto done;
			}
		}
	}
	copy_end(&c, it);
	if (!matches(it, &c)) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: is not the "
			"content registered as version %" PRIu64 " (entry %"
			PRIu64 "): its SHA-256 or size differs", r->path,
			r->version, r->index);
		goto done;
	}
	it->included = !hash_only;
done:
	EVP_MD_CTX_free(c.sha256);
	EVP_MD_CTX_free(c.sha512);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: "
			"cannot write", run->tmp, it->payload_path);
	return rc;
}

/* A payload file left for fetch.txt: its digests from its entry (the
 * SHA-512 when it was recorded) or, when the content is at hand, read
 * once without being copied. */
static int hole(struct export_run *run, struct item *it, custody_error **err)
{
	struct custody_entry *e = NULL;
	int rc;

	custody_hex(it->sha256, it->record->sha256, 32);
	if ((rc = custody_archive_entry(run->a, it->record->index, &e,
	    err)) != 0)
		return rc;
	if (e->sha512 != NULL && strlen(e->sha512) == 128) {
		memcpy(it->sha512, e->sha512, 129);
		it->has_sha512 = 1;
	}
	custody_entry__free(e);
	if (it->has_sha512)
		return 0;
	/* the content at hand, read once for its SHA-512 */
	if (it->record->blob[0] != '\0' || faccessat(run->a->root_fd,
	    it->record->path, R_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		custody_error *why = NULL;

		if (copy_payload(run, run->odb, it, 1, &why) != 0)
			it->has_sha512 = 0;
		custody_error_free(why);
	}
	return 0;
}

/* `path` for a URL: RFC 3986's unreserved characters and '/' as they
 * are, every other byte percent-encoded */
static int url_path(custody_buf *out, const char *path, custody_error **err)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		char three[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			*p <= 'Z') || (*p >= '0' && *p <= '9') ||
			strchr("-._~/", *p) != NULL;

		if (custody_buf__append(out, plain ? (const char *)p : three,
		    plain ? 1 : 3) != 0)
			return custody__oom(err);
	}
	if (custody_buf__append(out, "", 1) != 0)
		return custody__oom(err);
	out->size--;
	return 0;
}

/* A copying thread: items taken in turn, each with an object database
 * of the thread's own (libgit2 handles are not shared across threads). */
static void *copy_worker(void *arg)
{
	struct export_run *run = arg;
	git_odb *odb = NULL;
	char *objects = custody_fs__join(run->a->gitdir, "objects");

	if (objects != NULL)
		(void)git_odb_open(&odb, objects);
	free(objects);
	for (;;) {
		struct item *it;
		size_t i;

		pthread_mutex_lock(&run->lock);
		i = run->stop ? run->nitems : run->next++;
		pthread_mutex_unlock(&run->lock);
		if (i >= run->nitems)
			break;
		it = &run->items[i];
		it->rc = odb == NULL ? custody__error_git(&it->error,
			CUSTODY_EIO, "the object store") : copy_payload(run, odb,
			it, 0, &it->error);
		if (it->rc != 0) {
			pthread_mutex_lock(&run->lock);
			run->stop = 1;
			pthread_mutex_unlock(&run->lock);
		}
		atomic_fetch_add(&run->bytes_copied, it->record->size);
		atomic_fetch_add(&run->copied, 1);
	}
	git_odb_free(odb);
	return NULL;
}

/* Every payload file copied, on one thread per core; the first failure
 * in path order is the one reported. */
static int copy_all(struct export_run *run, custody_error **err)
{
	unsigned int threads = custody_hash__default_threads();
	pthread_t *pool;
	size_t started = 0;
	int rc = 0;

	/* the folders first, so that no two threads make one */
	for (size_t i = 0; i < run->nitems; i++) {
		const char *name;
		int dir = custody_fs__open_parent(run->bag_fd,
			run->items[i].payload_path, 1, &name);

		if (dir < 0)
			return custody__error_sys(err, CUSTODY_EIO, errno,
				"%s/%s: cannot make its folder", run->tmp,
				run->items[i].payload_path);
		close(dir);
	}
	if (threads > run->nitems)
		threads = (unsigned int)run->nitems;
	if (threads == 0)
		return 0;
	if ((pool = calloc(threads, sizeof(*pool))) == NULL)
		return custody__oom(err);
	pthread_mutex_init(&run->lock, NULL);
	for (size_t i = 0; i < run->nitems; i++)
		run->bytes_total += run->items[i].record->size;
	/* with a progress line the calling thread draws it and the pool
	 * is one thread larger; without, it copies too */
	for (unsigned int t = run->opts->progress != NULL ? 0 : 1;
	    t < threads; t++)
		if (pthread_create(&pool[started], NULL, copy_worker, run) == 0)
			started++;
	if (run->opts->progress == NULL || started == 0)
		copy_worker(run);
	while (run->opts->progress != NULL) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };
		size_t done = atomic_load(&run->copied);
		int stop;

		pthread_mutex_lock(&run->lock);
		stop = run->stop;
		pthread_mutex_unlock(&run->lock);
		if (stop)
			break;
		run->opts->progress("copying", done, run->nitems,
			atomic_load(&run->bytes_copied), run->bytes_total,
			run->opts->payload);
		if (done >= run->nitems)
			break;
		nanosleep(&pause, NULL);
	}
	for (size_t t = 0; t < started; t++)
		pthread_join(pool[t], NULL);
	pthread_mutex_destroy(&run->lock);
	free(pool);
	for (size_t i = 0; i < run->nitems; i++) {
		struct item *it = &run->items[i];

		if (it->rc != 0 && rc == 0)
			rc = custody__error_hint(err, custody_error_code(
				it->error), custody_error_hint(it->error), "%s",
				custody_error_message(it->error));
		custody_error_free(it->error);
		it->error = NULL;
	}
	return rc;
}

static int by_path_then_index(const void *a, const void *b)
{
	const struct custody_record *x = a, *y = b;
	int d = strcmp(x->path, y->path);

	return d ? d : x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The records of the collection as it stood at log size `at`: each
 * path's latest registration among the first `at` entries, read from
 * the log (the index knows only head). *out is malloc'd, each path too.
 */
static int records_at(custody_archive *a, uint64_t at,
	struct custody_record **out, size_t *n_out, custody_error **err)
{
	struct custody_record *records = calloc(at + 1, sizeof(*records));
	size_t n = 0, kept = 0;
	int rc = 0;

	if (records == NULL)
		return custody__oom(err);
	for (uint64_t i = 1; i < at && rc == 0; i++) {
		custody_entry *e = NULL;

		if ((rc = custody_archive_entry(a, i, &e, err)) != 0)
			break;
		if ((e->type == CUSTODY_ENTRY_REGISTER || e->type ==
		    CUSTODY_ENTRY_DERIVE) && e->path != NULL) {
			custody_index__record_from_entry(&records[n], e);
			if ((records[n++].path = strdup(e->path)) == NULL)
				rc = custody__oom(err);
		}
		custody_entry__free(e);
	}
	if (n > 1)
		qsort(records, n, sizeof(*records), by_path_then_index);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(records[i].path, records[i + 1].path)
		    == 0) {
			free(records[i].path);
			continue;
		}
		records[kept++] = records[i];
	}
	*out = records;
	*n_out = kept;
	return rc;
}

static int by_record_path(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->record->path,
		((const struct item *)b)->record->path);
}

static int selected(const char *path, const char *const *paths,
	size_t npaths, int *used)
{
	if (npaths == 0)
		return 1;
	for (size_t i = 0; i < npaths; i++) {
		size_t n = strlen(paths[i]);

		while (n > 0 && paths[i][n - 1] == '/')
			n--;
		if (n == 0 || (strncmp(path, paths[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))) {
			used[i] = 1;
			return 1;
		}
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int manifest_text(struct export_run *run, custody_buf *out,
	int sha512, custody_error **err)
{
	custody_buf encoded = CUSTODY_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < run->nitems && rc == 0; i++) {
		struct item *it = &run->items[i];

		if ((rc = custody_bag_encode_path(&encoded, it->payload_path,
		    err)) != 0)
			break;
		if (custody_buf__printf(out, "%s  %s\n", sha512 ? it->sha512 :
		    it->sha256, encoded.ptr) != 0)
			rc = custody__oom(err);
	}
	custody_buf_dispose(&encoded);
	return rc;
}

static int tag_manifest(struct export_run *run, int sha512,
	custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT, encoded = CUSTODY_BUF_INIT;
	size_t ntags = run->ntags;
	int rc = 0;

	for (size_t i = 0; i < ntags && rc == 0; i++)
		if ((rc = custody_bag_encode_path(&encoded, run->tags[i].name,
		    err)) == 0 && custody_buf__printf(&text, "%s  %s\n",
		    sha512 ? run->tags[i].sha512 : run->tags[i].sha256,
		    encoded.ptr) != 0)
			rc = custody__oom(err);
	if (rc == 0)
		rc = tag_file(run, sha512 ? "tagmanifest-sha512.txt" :
			"tagmanifest-sha256.txt", &text, err);
	/* a tag manifest lists no tag manifest */
	run->ntags = ntags;
	if (rc == 0)
		free(run->tags[ntags].name);
	custody_buf_dispose(&text);
	custody_buf_dispose(&encoded);
	return rc;
}

static int export_run(struct export_run *run, const char *out,
	const char *const *paths, size_t npaths,
	custody_bag_export_summary *sum, custody_error **err)
{
	custody_archive *a = run->a;
	struct custody_index *index = NULL;
	struct custody_prover *prover = NULL;
	custody_buf note = CUSTODY_BUF_INIT, text = CUSTODY_BUF_INIT;
	custody_buf fetch = CUSTODY_BUF_INIT, encoded = CUSTODY_BUF_INIT;
	custody_checkpoint_info info;
	int *used = NULL, rc, all_sha512 = 1;
	uint64_t bytes = 0;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	if ((rc = custody_archive_checkpoint(a, &note, &info, err)) != 0)
		goto done;
	if (run->opts->at > info.size) {
		rc = custody__error(err, CUSTODY_EINVALID, "the log at %" PRIu64
			" entries: the latest signed checkpoint has %" PRIu64,
			run->opts->at, info.size);
		goto done;
	}
	if (run->opts->at != 0)
		rc = records_at(a, run->opts->at, &run->at_records,
			&run->nat_records, err);
	else if ((rc = custody_index__load(&index, a, err)) == 0) {
		run->at_records = index->records;
		run->nat_records = index->count;
	}
	if (rc != 0)
		goto done;
	if ((used = calloc(npaths + 1, sizeof(*used))) == NULL ||
	    (run->items = calloc(run->nat_records + 1,
	    sizeof(*run->items))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	for (size_t i = 0; i < run->nat_records; i++) {
		struct custody_record *r = &run->at_records[i];

		if (!selected(r->path, paths, npaths, used))
			continue;
		run->items[run->nitems].record = r;
		if ((run->items[run->nitems++].payload_path = custody_fs__join(
		    "data", r->path)) == NULL) {
			rc = custody__oom(err);
			goto done;
		}
	}
	for (size_t i = 0; i < npaths; i++)
		if (!used[i]) {
			rc = custody__error(err, CUSTODY_ENOTFOUND, "%s: no "
				"registered document is there", paths[i]);
			goto done;
		}
	if (run->nitems > 1)
		qsort(run->items, run->nitems, sizeof(*run->items),
			by_record_path);
	if (git_repository_odb(&run->odb, a->repo) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "the object store");
		goto done;
	}
	if (mkdir(run->tmp, 0755) != 0 || (run->bag_fd = open(run->tmp,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(run->bag_fd, "data", 0755) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"make the bag's folder", run->tmp);
		goto done;
	}
	if (run->opts->fetch_base == NULL && (rc = copy_all(run, err)) != 0)
		goto done;
	for (size_t i = 0; i < run->nitems; i++) {
		struct item *it = &run->items[i];

		if (run->opts->fetch_base != NULL &&
		    (rc = hole(run, it, err)) != 0)
			goto done;
		all_sha512 &= it->has_sha512;
		bytes += it->record->size;
		if (!it->included) {
			custody_buf url = CUSTODY_BUF_INIT;

			if ((rc = custody_bag_encode_path(&encoded,
			    it->payload_path, err)) != 0 ||
			    (rc = url_path(&url, it->record->path, err)) != 0)
				goto done;
			if (custody_buf__printf(&fetch, "%s%s %" PRIu64 " %s\n",
			    run->opts->fetch_base, url.ptr, it->record->size,
			    encoded.ptr) != 0)
				rc = custody__oom(err);
			custody_buf_dispose(&url);
			if (rc != 0)
				goto done;
			sum->holes++;
		} else {
			sum->files++;
		}
	}
	/* the tag files, in the order a reader meets them */
	if (custody_buf__printf(&text, "BagIt-Version: 1.0\n"
	    "Tag-File-Character-Encoding: UTF-8\n") != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = keep_tag(run, "bagit.txt", &text, err)) != 0 ||
	    (rc = manifest_text(run, &text, 0, err)) != 0 ||
	    (rc = keep_tag(run, "manifest-sha256.txt", &text, err)) != 0)
		goto done;
	if (all_sha512 && ((rc = manifest_text(run, &text, 1, err)) != 0 ||
	    (rc = keep_tag(run, "manifest-sha512.txt", &text, err)) != 0))
		goto done;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	if (custody_buf__printf(&text, "Source-Organization: %s\n"
	    "Bagging-Date: %s\nPayload-Oxum: %" PRIu64 ".%zu\n"
	    "Bag-Software-Agent: custody %s\n"
	    "External-Identifier: %s/%" PRIu64 "\n", info.origin, date, bytes,
	    run->nitems, custody_version(), info.origin, run->opts->at ?
	    run->opts->at : info.size) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = keep_tag(run, "bag-info.txt", &text, err)) != 0)
		goto done;
	if (fetch.size > 0 && (rc = keep_tag(run, "fetch.txt", &fetch, err))
	    != 0)
		goto done;
	if ((rc = keep_tag(run, "custody/checkpoint", &note, err)) != 0)
		goto done;
	/* one prover for every proof: the tiles and the checkpoint are read
	 * once, not once per file */
	if ((rc = custody_prover__open(a, &prover, err)) != 0)
		goto done;
	for (size_t i = 0; i < run->nitems; i++) {
		struct item *it = &run->items[i];
		custody_buf proof = CUSTODY_BUF_INIT;
		char *rel;

		if ((rc = custody_prover__proof(prover, it->record->index, 1,
		    CUSTODY_DISCLOSE_LISTED, NULL, 0, &proof, err)) != 0)
			goto done;
		if (custody_buf__printf(&text, "custody/proofs/%s.proof",
		    it->record->path) != 0) {
			custody_buf_dispose(&proof);
			rc = custody__oom(err);
			goto done;
		}
		rel = text.ptr;
		rc = tag_file(run, rel, &proof, err);
		custody_buf_dispose(&proof);
		custody_buf_dispose(&text);
		if (rc != 0)
			goto done;
		sum->proofs++;
		if (run->opts->progress != NULL)
			run->opts->progress("proving", i + 1, run->nitems, 0, 0,
				run->opts->payload);
	}
	if ((rc = tag_manifest(run, 0, err)) != 0 ||
	    (rc = tag_manifest(run, 1, err)) != 0)
		goto done;
	/* everything on disk before the bag gets its name */
	if (syncfs(run->bag_fd) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"sync", run->tmp);
		goto done;
	}
	if (rename(run->tmp, out) != 0) {
		rc = custody__error_sys(err, errno == EEXIST || errno ==
			ENOTEMPTY ? CUSTODY_EEXISTS : CUSTODY_EIO, errno,
			"%s: cannot put the bag there", out);
		goto done;
	}
	{
		char *parent = strdup(out), *slash;

		if (parent != NULL && (slash = strrchr(parent, '/')) != NULL)
			*(slash == parent ? slash + 1 : slash) = '\0';
		rc = custody_fs__fsync_dir(parent == NULL || strchr(parent,
			'/') == NULL ? "." : parent, err);
		free(parent);
	}
	sum->bytes = bytes;
	sum->tree_size = run->opts->at ? run->opts->at : info.size;
	snprintf(sum->origin, sizeof(sum->origin), "%s", info.origin);
done:
	custody_prover__free(prover);
	free(used);
	custody_buf_dispose(&note);
	custody_buf_dispose(&text);
	custody_buf_dispose(&fetch);
	custody_buf_dispose(&encoded);
	if (index == NULL) {
		for (size_t i = 0; i < run->nat_records; i++)
			free(run->at_records[i].path);
		free(run->at_records);
	}
	run->at_records = NULL;
	custody_index__free(index);
	return rc;
}

int custody_bag_export(custody_archive *a, const char *out,
	const char *const *paths, size_t npaths,
	const custody_bag_export_options *opts,
	custody_bag_export_summary *summary, custody_error **err)
{
	static const custody_bag_export_options defaults =
		CUSTODY_BAG_EXPORT_OPTIONS_INIT;
	struct export_run run;
	custody_bag_export_summary sum;
	struct stat st;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_BAG_EXPORT_OPTIONS_VERSION,
	    "custody_bag_export_options")) != 0)
		return rc;
	if (a == NULL || out == NULL || *out == '\0')
		return custody__error(err, CUSTODY_EINVALID, "name the bag to "
			"make");
	if (lstat(out, &st) == 0)
		return custody__error_hint(err, CUSTODY_EEXISTS,
			CUSTODY_HINT_NONE, "%s: exists; a bag is made in a new "
			"folder", out);
	memset(&run, 0, sizeof(run));
	memset(&sum, 0, sizeof(sum));
	sum.struct_version = CUSTODY_BAG_EXPORT_SUMMARY_VERSION;
	run.a = a;
	run.opts = opts ? opts : &defaults;
	run.bag_fd = -1;
	{
		custody_buf tmp = CUSTODY_BUF_INIT;

		if (custody_buf__printf(&tmp, "%s.partial-%ld", out,
		    (long)getpid()) != 0)
			return custody__oom(err);
		run.tmp = tmp.ptr;
	}
	rc = export_run(&run, out, paths, npaths, &sum, err);
	if (run.bag_fd >= 0)
		close(run.bag_fd);
	if (rc != 0 && lstat(run.tmp, &st) == 0)
		(void)nftw(run.tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < run.nitems; i++)
		free(run.items[i].payload_path);
	free(run.items);
	for (size_t i = 0; i < run.ntags; i++)
		free(run.tags[i].name);
	free(run.tags);
	if (run.odb != NULL)
		git_odb_free(run.odb);
	free(run.tmp);
	if (summary != NULL)
		*summary = sum;
	return rc;
}
