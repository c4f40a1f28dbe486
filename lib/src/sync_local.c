/*
 * A first clone from a repository on this machine (a path, file://):
 * the source's packs are read through libgit2's indexer into the
 * quarantine, as `git clone --local` copies them, instead of through
 * libgit2's local transport, which builds a new pack of every object
 * (without reusing stored deltas) and indexes it again. The indexer
 * checks every object's hash and each pack's checksum, and writes the
 * index itself: nothing of the source's but its pack bytes and its
 * loose objects' contents is believed. Loose objects are read one by
 * one and written again (their ids checked on reading). Then the
 * quarantine is verified like any fetch.
 *
 * Only the source's own object folder is read: its alternates are not
 * followed, and a file that is not a regular one (a symlink, say) is
 * refused. Every byte read counts against max_bytes.
 */
#include "common.h"
#include "fsutil.h"
#include "sync.h"
#include "custody/sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#define MAIN_REF "refs/heads/main"
#define CHUNK ((size_t)1 << 20)

struct copy {
	const char *url;
	const custody_sync_options *opts;
	uint64_t max_bytes;
	uint64_t bytes;
	size_t objects;
	git_odb *to;
	char *buf;
};

/* Count n more bytes; refused past the limit. */
static int count(struct copy *c, size_t n, custody_error **err)
{
	c->bytes += n;
	if (c->bytes > c->max_bytes)
		return custody__error(err, CUSTODY_EINVALID, "%s: the remote "
			"sent more than %" PRIu64 " bytes (limit --max-bytes %"
			PRIu64 "); nothing was changed", c->url, c->max_bytes,
			c->max_bytes);
	return 0;
}

static void progress(struct copy *c)
{
	if (c->opts != NULL && c->opts->progress != NULL)
		c->opts->progress("receiving objects", c->objects, 0, c->bytes,
			0, c->opts->payload);
}

/* A regular file in dir, opened without following a symlink; -1 with
 * err set else. */
static int open_plain(int dir, const char *name, const char *where,
	custody_error **err)
{
	struct stat st;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ELOOP) {
		custody__error(err, CUSTODY_EINVALID, "%s/%s: not a plain "
			"file", where, name);
		return -1;
	}
	if (fd < 0) {
		custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: cannot "
			"read it", where, name);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		custody__error(err, CUSTODY_EINVALID, "%s/%s: not a plain "
			"file", where, name);
		return -1;
	}
	return fd;
}

static int on_index(const git_indexer_progress *stats, void *payload)
{
	struct copy *c = payload;

	c->objects = stats->indexed_objects;
	return 0;
}

/* One pack, through the indexer into the quarantine's pack folder. */
static int copy_pack(struct copy *c, int dir, const char *where,
	const char *name, const char *to_dir, custody_error **err)
{
	git_indexer_options io = GIT_INDEXER_OPTIONS_INIT;
	git_indexer_progress stats = { 0 };
	git_indexer *idx = NULL;
	int fd, rc = 0;
	ssize_t n;

	if ((fd = open_plain(dir, name, where, err)) < 0)
		return CUSTODY_EIO;
	io.progress_cb = on_index;
	io.progress_cb_payload = c;
	if (git_indexer_new(&idx, to_dir, 0, c->to, &io) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot index "
			"what arrives", to_dir);
		goto done;
	}
	while ((n = read(fd, c->buf, CHUNK)) > 0) {
		if ((rc = count(c, (size_t)n, err)) != 0)
			goto done;
		if (git_indexer_append(idx, c->buf, (size_t)n, &stats) != 0) {
			rc = custody__error_git(err, CUSTODY_EINVALID, "%s/%s: "
				"not a pack git can read", where, name);
			goto done;
		}
		progress(c);
	}
	if (n < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: "
			"cannot read it", where, name);
		goto done;
	}
	if (git_indexer_commit(idx, &stats) != 0)
		rc = custody__error_git(err, CUSTODY_EINVALID, "%s/%s: not a "
			"whole pack", where, name);
done:
	git_indexer_free(idx);
	close(fd);
	return rc;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* The loose objects of one fan-out folder, read from `from` (which
 * checks each id) and written to the quarantine. */
static int copy_loose(struct copy *c, git_odb *from, const char *objects,
	const char *fan, custody_error **err)
{
	char *path = custody_fs__join(objects, fan);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (path == NULL)
		return custody__oom(err);
	if ((d = opendir(path)) == NULL) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"read it", path);
		free(path);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char hex[GIT_OID_HEXSZ + 1];
		git_odb_object *obj = NULL;
		git_oid id, out;

		if (!is_hex(de->d_name, GIT_OID_HEXSZ - 2))
			continue;   /* git's temporary files, say */
		memcpy(hex, fan, 2);
		memcpy(hex + 2, de->d_name, GIT_OID_HEXSZ - 2);
		hex[GIT_OID_HEXSZ] = '\0';
		if (git_oid_fromstr(&id, hex) != 0)
			continue;
		if (git_odb_read(&obj, from, &id) != 0) {
			rc = custody__error_git(err, CUSTODY_EINVALID, "%s/%s: "
				"not a git object of that id", path,
				de->d_name);
			break;
		}
		if ((rc = count(c, git_odb_object_size(obj), err)) == 0 &&
		    (git_odb_write(&out, c->to, git_odb_object_data(obj),
		    git_odb_object_size(obj), git_odb_object_type(obj)) != 0 ||
		    !git_oid_equal(&out, &id)))
			rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot "
				"keep object %s", c->url, hex);
		git_odb_object_free(obj);
		c->objects++;
	}
	closedir(d);
	free(path);
	return rc;
}

/* Every pack and loose object in the source's own object folder. */
static int copy_objects(struct copy *c, const char *path,
	const char *qdir, custody_error **err)
{
	char *objects = custody_fs__join(path, "objects");
	char *packs = objects ? custody_fs__join(objects, "pack") : NULL;
	char *to_dir = custody_fs__join(qdir, "objects/pack");
	git_odb *from = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0, dfd;

	if (objects == NULL || packs == NULL || to_dir == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* the source's objects without its alternates */
	if (git_odb_open(&from, objects) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot read "
			"its objects", c->url);
		goto done;
	}
	if ((d = opendir(packs)) != NULL) {
		dfd = dirfd(d);
		while (rc == 0 && (de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);

			if (n > 5 && strcmp(de->d_name + n - 5, ".pack") == 0)
				rc = copy_pack(c, dfd, packs, de->d_name,
					to_dir, err);
		}
		closedir(d);
		d = NULL;
	}
	if (rc == 0 && (d = opendir(objects)) != NULL) {
		while (rc == 0 && (de = readdir(d)) != NULL)
			if (strlen(de->d_name) == 2 && is_hex(de->d_name, 2))
				rc = copy_loose(c, from, objects, de->d_name,
					err);
	}
done:
	if (d != NULL)
		closedir(d);
	git_odb_free(from);
	free(objects);
	free(packs);
	free(to_dir);
	return rc;
}

/* The path url names, when it names one on this machine. */
static const char *local_path(const char *url)
{
	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	return strstr(url, "://") == NULL ? url : NULL;
}

int custody_sync__fetch_local(struct custody_quarantine *q, const char *url,
	const custody_sync_options *opts, git_oid *tip, custody_error **err)
{
	const char *path = local_path(url);
	git_repository *src = NULL;
	git_reference *ref = NULL, *made = NULL;
	struct copy c = { 0 };
	char *gitdir = NULL;
	struct stat st;
	int rc = 0;

	if (path == NULL || stat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    git_repository_open_ext(&src, path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
	    NULL) != 0) {
		git_error_clear();
		return 1;   /* not ours to copy: libgit2's transport says why */
	}
	if (git_reference_lookup(&ref, src, MAIN_REF) != 0 ||
	    git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: has no main "
			"branch: not a custody archive", url);
		goto done;
	}
	git_oid_cpy(tip, git_reference_target(ref));
	c.url = url;
	c.opts = opts;
	c.max_bytes = opts && opts->max_bytes ? opts->max_bytes :
		CUSTODY_FETCH_MAX_BYTES_DEFAULT;
	if ((c.buf = malloc(CHUNK)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (git_repository_odb(&c.to, q->repo) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot open the "
			"quarantine", q->dir);
		goto done;
	}
	/* git's path of it, without its final "/" */
	if ((gitdir = strdup(git_repository_path(src))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (strlen(gitdir) > 1 && gitdir[strlen(gitdir) - 1] == '/')
		gitdir[strlen(gitdir) - 1] = '\0';
	if ((rc = copy_objects(&c, gitdir, q->dir, err)) != 0)
		goto done;
	/* the indexer's new packs are seen by a fresh look */
	git_odb_refresh(c.to);
	if (git_reference_create(&made, q->repo, MAIN_REF, tip, 1,
	    "custody clone") != 0)
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot set the "
			"quarantine's main", q->dir);
done:
	git_error_clear();
	git_reference_free(made);
	git_reference_free(ref);
	git_odb_free(c.to);
	git_repository_free(src);
	free(gitdir);
	free(c.buf);
	return rc;
}
