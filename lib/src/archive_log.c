/* Reading the record: an entry, the log, restoring content. */
#include "archive.h"
#include "blob.h"
#include "common.h"
#include "fsutil.h"
#include "hash.h"
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int custody_archive__relpath(custody_archive *a, const char *given,
	char **out, custody_error **err)
{
	char cwd[PATH_MAX], *abs = NULL, *rel = NULL, *p, *q;
	size_t clen = strlen(a->collection);
	int rc = 0;

	*out = NULL;
	if (given[0] == '/') {
		abs = strdup(given);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return custody__error_sys(err, CUSTODY_EIO, errno,
				"cannot read the current folder");
		abs = custody_fs__join(cwd, given);
	}
	if (abs == NULL)
		return custody__oom(err);
	/* Lexically normalise: drop "." and empty parts, resolve "..". */
	rel = malloc(strlen(abs) + 2);
	if (rel == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	{
		size_t used = 0;

		for (p = abs; *p; p = q) {
			size_t len;

			while (*p == '/')
				p++;
			q = p;
			while (*q && *q != '/')
				q++;
			len = (size_t)(q - p);
			if (len == 0 || (len == 1 && p[0] == '.'))
				continue;
			if (len == 2 && p[0] == '.' && p[1] == '.') {
				while (used > 0 && rel[used - 1] != '/')
					used--;
				if (used > 0)
					used--;
				continue;
			}
			rel[used++] = '/';
			memcpy(rel + used, p, len);
			used += len;
		}
		if (used == 0)
			rel[used++] = '/';
		rel[used] = '\0';
	}
	/* The collection path is resolved; the cwd may not be (a symlinked
	 * /tmp, say): compare against both spellings. */
	if (strncmp(rel, a->collection, clen) != 0 ||
	    (rel[clen] != '\0' && rel[clen] != '/')) {
		char resolved[PATH_MAX];

		if (getcwd(cwd, sizeof(cwd)) != NULL &&
		    realpath(cwd, resolved) != NULL && given[0] != '/' &&
		    strcmp(cwd, resolved) != 0) {
			free(abs);
			abs = custody_fs__join(resolved, given);
			free(rel);
			rel = NULL;
			if (abs == NULL)
				return custody__oom(err);
			rc = custody_archive__relpath(a, abs, out, err);
			goto done;
		}
		rc = custody__error(err, CUSTODY_EINVALID, "%s: outside the "
			"collection %s", given, a->collection);
		goto done;
	}
	*out = strdup(rel[clen] == '/' ? rel + clen + 1 : "");
	if (*out == NULL)
		rc = custody__oom(err);
	/* Every folder on the way must be a real folder, not a link. */
	for (p = *out; rc == 0 && (q = strchr(p, '/')) != NULL; p = q + 1) {
		struct stat st;
		char *prefix = strndup(*out, (size_t)(q - *out)),
			*full = prefix ? custody_fs__join(a->collection,
			prefix) : NULL;

		if (full == NULL)
			rc = custody__oom(err);
		else if (lstat(full, &st) == 0 && !S_ISDIR(st.st_mode))
			rc = custody__error(err, CUSTODY_EINVALID, "%s: goes "
				"through %s, which is %s", given, prefix,
				S_ISLNK(st.st_mode) ? "a symbolic link "
				"(custody never follows links)" :
				"not a folder");
		free(prefix);
		free(full);
	}
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
done:
	free(abs);
	free(rel);
	return rc;
}

int custody_archive_entry(custody_archive *a, uint64_t index,
	custody_entry **out, custody_error **err)
{
	git_tree *tree = NULL;
	int rc;

	*out = NULL;
	if (index >= a->size)
		return custody__error(err, CUSTODY_ENOTFOUND, "no entry %"
			PRIu64 ": the log has %" PRIu64, index, a->size);
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	rc = custody_archive__read_entry(a, tree, index, out, NULL, err);
	git_tree_free(tree);
	return rc;
}

/* The record in `index` for a user-given path; *rel_out is malloc'd. */
static int find_record_in(custody_archive *a, struct custody_index *index,
	const char *given, struct custody_record **out, char **rel_out,
	custody_error **err)
{
	int rc;

	*out = NULL;
	if ((rc = custody_archive__relpath(a, given, rel_out, err)) != 0)
		return rc;
	*out = custody_index__find(index, *rel_out);
	if (*out == NULL) {
		char shown[CUSTODY_NAME_SHOWN_BYTES];

		return custody__error(err, CUSTODY_ENOTFOUND, "%s: not "
			"registered in this archive",
			custody__name(shown, *rel_out));
	}
	return 0;
}

/* The same, with the index loaded here (*index_out, to free). */
static int find_record(custody_archive *a, const char *given,
	struct custody_index **index_out, struct custody_record **out,
	char **rel_out, custody_error **err)
{
	int rc;

	*out = NULL;
	*rel_out = NULL;
	if ((rc = custody_index__load(index_out, a, err)) != 0)
		return rc;
	return find_record_in(a, *index_out, given, out, rel_out, err);
}

int custody_archive__find_version(custody_archive *a, const char *given,
	uint64_t version, char **rel_out, struct custody_entry **out,
	custody_error **err)
{
	struct custody_index *index = NULL;
	int rc;

	*out = NULL;
	*rel_out = NULL;
	if ((rc = custody_index__load(&index, a, err)) == 0)
		rc = custody_archive__find_version_in(a, index, given,
			version, rel_out, out, err);
	custody_index__free(index);
	return rc;
}

int custody_archive__find_version_in(custody_archive *a,
	struct custody_index *index, const char *given, uint64_t version,
	char **rel_out, struct custody_entry **out, custody_error **err)
{
	struct custody_record *record;
	struct custody_entry *e = NULL;
	git_tree *tree = NULL;
	uint64_t i;
	int rc;

	*out = NULL;
	*rel_out = NULL;
	if ((rc = find_record_in(a, index, given, &record, rel_out,
	    err)) != 0)
		goto done;
	if (version == 0)
		version = record->version;
	if (version > record->version) {
		rc = custody__error(err, CUSTODY_ENOTFOUND, "%s: has %" PRIu64
			" version(s), not %" PRIu64, *rel_out, record->version,
			version);
		goto done;
	}
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	for (i = record->index;;) {
		if ((rc = custody_archive__read_entry(a, tree, i, &e, NULL,
		    err)) != 0)
			goto done;
		if (!custody_entry__registers(e) ||
		    strcmp(e->path, *rel_out) != 0) {
			rc = custody__error(err, CUSTODY_EVERIFY, "entry %"
				PRIu64 " is not a version of %s; run custody "
				"verify", i, *rel_out);
			goto done;
		}
		if (e->version == version)
			break;
		if (!e->has_previous || e->version < version) {
			rc = custody__error(err, CUSTODY_EVERIFY, "%s: "
				"version chain broken at entry %" PRIu64,
				*rel_out, i);
			goto done;
		}
		i = e->previous;
		custody_entry__free(e);
		e = NULL;
	}
	*out = e;
	e = NULL;
done:
	if (rc != 0) {
		free(*rel_out);
		*rel_out = NULL;
	}
	custody_entry__free(e);
	git_tree_free(tree);
	return rc;
}

int custody_archive_log(custody_archive *a, const char *path, uint64_t limit,
	custody_entry_cb cb, void *payload, custody_error **err)
{
	struct custody_index *index = NULL;
	struct custody_record *record;
	git_tree *tree = NULL;
	char *rel = NULL;
	uint64_t shown = 0, i, expect;
	int rc;

	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	if (path == NULL) {
		for (i = a->size; i-- > 0 && (limit == 0 || shown < limit);) {
			struct custody_entry *e = NULL;

			if ((rc = custody_archive__read_entry(a, tree, i, &e,
			    NULL, err)) != 0)
				break;
			rc = cb(e, payload);
			custody_entry__free(e);
			shown++;
			if (rc != 0)
				break;
		}
		goto done;
	}
	if ((rc = find_record(a, path, &index, &record, &rel, err)) != 0)
		goto done;
	i = record->index;
	expect = record->version;
	while (limit == 0 || shown < limit) {
		struct custody_entry *e = NULL;
		int more;

		if ((rc = custody_archive__read_entry(a, tree, i, &e, NULL,
		    err)) != 0)
			break;
		if (!custody_entry__registers(e) ||
		    strcmp(e->path, rel) != 0 || e->version != expect) {
			rc = custody__error(err, CUSTODY_EVERIFY, "entry %"
				PRIu64 " should be version %" PRIu64 " of %s; "
				"run custody verify", i, expect, rel);
			custody_entry__free(e);
			break;
		}
		more = e->has_previous;
		i = e->previous;
		rc = cb(e, payload);
		custody_entry__free(e);
		shown++;
		if (rc != 0 || !more)
			break;
		expect--;
	}
done:
	free(rel);
	custody_index__free(index);
	git_tree_free(tree);
	return rc;
}

static int write_fd_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 when the file at path hashes to want (read with the hash module);
 * root_fd >= 0: path is collection-relative, opened beneath it. */
static int file_matches(int root_fd, const char *path,
	const unsigned char want[32])
{
	struct custody_hash_job job;
	struct custody_hash_options opts;
	int same;

	memset(&job, 0, sizeof(job));
	memset(&opts, 0, sizeof(opts));
	job.path = job.name = path;
	opts.threads = 1;
	opts.beneath = root_fd >= 0;
	opts.root_fd = root_fd;
	same = custody_hash__run(&job, 1, &opts, NULL, NULL, NULL) == 0 &&
		job.rc == 0 && CRYPTO_memcmp(job.sha256, want, 32) == 0;
	custody_hash__jobs_clear(&job, 1);
	return same;
}

/*
 * A stored blob streams in bounded chunks (blob.h), never whole in
 * memory: once to check it against the entry before anything is written,
 * then again into the output, hashed again on the way.
 */
struct restore_read {
	custody_archive *a;
	git_odb *odb;
	git_oid id;
	EVP_MD_CTX *md;
	int out_fd;                /* -1 while only checking */
	int write_errno;
};

static int restore_chunk(const unsigned char *data, size_t len,
	void *payload)
{
	struct restore_read *r = payload;

	if (EVP_DigestUpdate(r->md, data, len) != 1)
		return CUSTODY_ERROR;
	if (r->out_fd >= 0 && write_fd_all(r->out_fd, (const char *)data,
	    len) != 0) {
		r->write_errno = errno;
		return 1;
	}
	return 0;
}

/* 0 and the blob's size and SHA-256, 1 if writing failed (errno), or
 * CUSTODY_EVERIFY when it cannot be read. */
static int restore_pass(struct restore_read *r, int out_fd,
	uint64_t *size, unsigned char got[32], custody_error **err)
{
	int rc;

	r->out_fd = out_fd;
	r->write_errno = 0;
	if (EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR, "SHA-256");
	rc = custody_blob__stream(r->a->gitdir, r->odb, &r->id, size,
		restore_chunk, r, err);
	if (rc == 1) {
		errno = r->write_errno;
		return 1;
	}
	if (rc == CUSTODY_ERROR)
		return custody__error_ssl(err, CUSTODY_ERROR, "SHA-256");
	if (rc == 0 && EVP_DigestFinal_ex(r->md, got, NULL) != 1)
		return custody__error_ssl(err, CUSTODY_ERROR, "SHA-256");
	return rc;
}

struct restore_fill {
	struct restore_read *r;
	const struct custody_entry *e;
	const char *rel;
	const unsigned char *want;
};

static int fill_restored(int fd, void *payload, custody_error **err)
{
	struct restore_fill *f = payload;
	unsigned char got[32];
	uint64_t size;
	int rc = restore_pass(f->r, fd, &size, got, err);

	if (rc == 0 && (size != f->e->size ||
	    CRYPTO_memcmp(f->want, got, 32) != 0))
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: stored content "
			"of version %" PRIu64 " does not match its entry's "
			"SHA-256; the archive is damaged", f->rel,
			f->e->version);
	return rc;
}

int custody_archive__restore_entry(custody_archive *a,
	const struct custody_entry *e, const char *rel, const char *dest,
	int force, custody_error **err)
{
	uint64_t version = e->version;
	struct restore_read r;
	struct restore_fill fill;
	custody_error *why = NULL;
	char *target = NULL;
	unsigned char want[32], got[32];
	const char *name = NULL;
	uint64_t len = 0;
	struct stat st;
	int rc = 0, dir_fd = -1;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.out_fd = -1;

	if (e->blob == NULL) {
		rc = custody__error_hint(err, CUSTODY_ENOTFOUND,
			CUSTODY_HINT_NOT_STORED, "%s: version %" PRIu64 " was "
			"registered without storing its content", rel,
			version);
		goto done;
	}
	if ((r.md = EVP_MD_CTX_new()) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (git_oid_fromstr(&r.id, e->blob) != 0 ||
	    git_repository_odb(&r.odb, a->repo) != 0 ||
	    restore_pass(&r, -1, &len, got, &why) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: stored "
			"content %s of version %" PRIu64 " cannot be read: %s",
			rel, e->blob, version, why ? custody_error_message(why)
			: "not a stored blob");
		goto done;
	}
	if (custody_unhex(want, e->sha256, 32) != 0 ||
	    CRYPTO_memcmp(want, got, 32) != 0 || len != e->size) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: stored content "
			"of version %" PRIu64 " does not match its entry's "
			"SHA-256; the archive is damaged", rel, version);
		goto done;
	}
	fill.r = &r;
	fill.e = e;
	fill.rel = rel;
	fill.want = want;
	if (dest != NULL && strcmp(dest, "-") == 0) {
		rc = fill_restored(STDOUT_FILENO, &fill, err);
		if (rc == 1)
			rc = custody__error_sys(err, CUSTODY_EIO, errno,
				"cannot write to standard output");
		goto done;
	}
	if (dest != NULL)
		target = strdup(dest);
	else
		target = custody_fs__join(a->collection, rel);
	if (target == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (dest == NULL) {
		/* Inside the collection every folder is reached beneath the
		 * collection's own descriptor, made where missing, never
		 * through a link: a folder swapped for a link while restore
		 * runs cannot send the file elsewhere. */
		dir_fd = custody_fs__open_parent(a->root_fd, rel, 1, &name);
		if (dir_fd < 0) {
			rc = errno == ELOOP || errno == ENOTDIR ?
				custody__error(err, CUSTODY_EINVALID, "%s: a "
				"folder on its way is a symbolic link or not "
				"a folder", target) :
				custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot open its folder", target);
			goto done;
		}
	}
	if (dir_fd >= 0 ? fstatat(dir_fd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 : lstat(target, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			rc = custody__error(err, CUSTODY_EEXISTS, "%s: exists "
				"and is not a regular file", target);
			goto done;
		}
		if (dir_fd >= 0 ? file_matches(a->root_fd, rel, want) :
		    file_matches(-1, target, want))
			goto done; /* already identical */
		if (!force) {
			rc = custody__error_hint(err, CUSTODY_EEXISTS,
				CUSTODY_HINT_FORCE, "%s: exists and differs "
				"from version %" PRIu64, target, version);
			goto done;
		}
	}
	if (dir_fd >= 0)
		rc = custody_fs__write_atomic_fill_at(dir_fd, name, target,
			fill_restored, &fill, 0644, err);
	else
		rc = custody_fs__write_atomic_fill(target, fill_restored,
			&fill, 0644, err);
done:
	if (dir_fd >= 0)
		close(dir_fd);
	custody_error_free(why);
	EVP_MD_CTX_free(r.md);
	git_odb_free(r.odb);
	free(target);
	return rc;
}

int custody_archive_restore(custody_archive *a, const char *path,
	uint64_t version, const char *dest, int force, custody_error **err)
{
	struct custody_entry *e = NULL;
	char *rel = NULL;
	int rc = custody_archive__find_version(a, path, version, &rel, &e,
		err);

	if (rc == 0)
		rc = custody_archive__restore_entry(a, e, rel, dest, force,
			err);
	custody_entry__free(e);
	free(rel);
	return rc;
}
