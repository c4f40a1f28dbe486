/*
 * custody_bag_import: a bag validated, its payload copied into the
 * collection and registered with a `received` event per document, all
 * in one change (custody_archive__add_events), so the chain of custody
 * starts at the hand-over.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive.h"
#include "archive_add.h"
#include "bag.h"
#include "common.h"
#include "fsutil.h"
#include "path.h"

struct import_file {
	char *from;       /* in the bag, "data/..." */
	char *rel;        /* in the collection */
	int copied;
};

struct import_run {
	custody_archive *a;
	int bag_fd;
	struct import_file *files;
	size_t n, alloc;
	const char *into;
	/* the folders of the collection the import makes, parents before
	 * their children, so that a failed import can take them back */
	char **made;
	size_t nmade, made_alloc;
	int copying;
};

static int list_payload(struct import_run *run, const char *rel, int depth,
	custody_error **err)
{
	int fd = custody_fs__open_beneath(run->bag_fd, rel, O_RDONLY |
		O_DIRECTORY, 0);
	DIR *dir;
	struct dirent *d;
	int rc = 0;

	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"list", rel);
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		struct stat st;
		char *path;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") ==
		    0)
			continue;
		if ((path = custody_fs__join(rel, d->d_name)) == NULL) {
			rc = custody__oom(err);
			break;
		}
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
		    0) {
			rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: "
				"cannot stat", path);
		} else if (S_ISDIR(st.st_mode) && depth < 64) {
			rc = list_payload(run, path, depth + 1, err);
		} else if (!S_ISREG(st.st_mode)) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: not a "
				"regular file", path);
		} else {
			const char *under = path + 5;
			char *dest = run->into ? custody_fs__join(run->into,
				under) : strdup(under);

			if (dest == NULL || (run->n == run->alloc &&
			    (run->alloc = run->alloc ? run->alloc * 2 : 64,
			    (run->files = realloc(run->files, run->alloc *
			    sizeof(*run->files))) == NULL))) {
				free(dest);
				rc = custody__oom(err);
			} else {
				run->files[run->n].from = path;
				run->files[run->n].rel = dest;
				run->files[run->n++].copied = 0;
				continue;
			}
		}
		free(path);
	}
	closedir(dir);
	return rc;
}

/* Note the folders above run->files[i] that do not exist yet. The files
 * are sorted, so every folder the previous file has is one of this
 * file's only if it is a common prefix of both: only the folders past
 * that prefix are new to the list. */
static int note_new_folders(struct import_run *run, size_t i,
	custody_error **err)
{
	const char *rel = run->files[i].rel;
	size_t from = 0;

	if (i > 0) {
		const char *prev = run->files[i - 1].rel;

		for (size_t k = 0; rel[k] != '\0' && rel[k] == prev[k]; k++)
			if (rel[k] == '/')
				from = k + 1;
	}
	for (const char *slash = strchr(rel + from, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		struct stat st;
		char *folder;

		if ((folder = strndup(rel, (size_t)(slash - rel))) == NULL)
			return custody__oom(err);
		if (fstatat(run->a->root_fd, folder, &st, AT_SYMLINK_NOFOLLOW)
		    == 0 || errno != ENOENT) {
			free(folder);
			continue;
		}
		if (run->nmade == run->made_alloc) {
			size_t alloc = run->made_alloc ? run->made_alloc * 2 :
				16;
			char **made = realloc(run->made, alloc *
				sizeof(*made));

			if (made == NULL) {
				free(folder);
				return custody__oom(err);
			}
			run->made = made;
			run->made_alloc = alloc;
		}
		run->made[run->nmade++] = folder;
	}
	return 0;
}

static int copy_in(struct import_run *run, struct import_file *f,
	custody_error **err)
{
	char buffer[64 * 1024];
	const char *name;
	off_t at = 0;
	int in = -1, out = -1, dir = -1, rc = 0;

	in = custody_fs__open_beneath(run->bag_fd, f->from, O_RDONLY, 0);
	dir = custody_fs__open_parent(run->a->root_fd, f->rel, 1, &name);
	if (in < 0 || dir < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"open", in < 0 ? f->from : f->rel);
		goto done;
	}
	if ((out = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) < 0) {
		rc = custody__error_sys(err, errno == EEXIST ? CUSTODY_EEXISTS
			: CUSTODY_EIO, errno, "%s: cannot create it in the "
			"collection", f->rel);
		goto done;
	}
	f->copied = 1;
	for (;;) {
		ssize_t n = read(in, buffer, sizeof(buffer));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && custody_fs__pwrite_all(out, buffer,
		    (size_t)n, at) != 0)) {
			rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: "
				"cannot copy", f->rel);
			goto done;
		}
		if (n == 0)
			break;
		at += n;
	}
	if (fsync(out) != 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"sync", f->rel);
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (dir >= 0)
		close(dir);
	return rc;
}

/* The value of `label` in bag-info.txt (UTF-8 bags), or "" */
static void info_value(const custody_buf *info, const char *label,
	char *out, size_t size)
{
	const char *line;
	size_t pos = 0, len, n = strlen(label);

	out[0] = '\0';
	while (info->ptr && custody_bag__next_line(info->ptr, info->size,
	    &pos, &line, &len)) {
		size_t v = n + 1;

		if (len <= n || memcmp(line, label, n) != 0 || line[n] != ':')
			continue;
		while (v < len && (line[v] == ' ' || line[v] == '\t'))
			v++;
		snprintf(out, size, "%.*s", (int)(len - v), line + v);
		return;
	}
}

/* Text custody records as a label or note: printable, one line, at
 * most `max` bytes */
static int plain_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* The SHA-256 of the bag's first tag manifest (else its first payload
 * manifest), and that file's name: what names the bag in the events. */
static int bag_digest(int bag_fd, char *name, size_t name_size,
	char hex[65], custody_error **err)
{
	static const char *const names[] = { "tagmanifest-sha512.txt",
		"tagmanifest-sha256.txt", "manifest-sha512.txt",
		"manifest-sha256.txt", NULL };

	for (size_t i = 0; names[i] != NULL; i++) {
		int fd = custody_fs__open_beneath(bag_fd, names[i], O_RDONLY,
			0);
		EVP_MD_CTX *ctx;
		unsigned char buffer[65536], md[32];
		unsigned int len;
		ssize_t n;

		if (fd < 0)
			continue;
		if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(ctx);
			close(fd);
			return custody__error_ssl(err, CUSTODY_ERROR,
				"SHA-256");
		}
		while ((n = read(fd, buffer, sizeof(buffer))) > 0)
			EVP_DigestUpdate(ctx, buffer, (size_t)n);
		EVP_DigestFinal_ex(ctx, md, &len);
		EVP_MD_CTX_free(ctx);
		close(fd);
		if (n < 0)
			return custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot read", names[i]);
		custody_hex(hex, md, 32);
		snprintf(name, name_size, "%s", names[i]);
		return 0;
	}
	return custody__error(err, CUSTODY_EINVALID, "the bag has no "
		"manifest to name it by");
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct import_file *)a)->rel,
		((const struct import_file *)b)->rel);
}

int custody_bag_import(custody_archive *a, const char *bag,
	const custody_bag_import_options *opts,
	custody_bag_import_summary *summary, custody_error **err)
{
	static const custody_bag_import_options defaults =
		CUSTODY_BAG_IMPORT_OPTIONS_INIT;
	custody_bag_validate_options vopts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	custody_add_options aopts = CUSTODY_ADD_OPTIONS_INIT;
	struct custody_add_events events;
	custody_bag_import_summary sum;
	custody_add_summary added;
	custody_buf info = CUSTODY_BUF_INIT, note = CUSTODY_BUF_INIT;
	struct import_run run;
	const char **paths = NULL;
	char manifest[64];
	const char *base;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_BAG_IMPORT_OPTIONS_VERSION,
	    "custody_bag_import_options")) != 0)
		return rc;
	opts = opts ? opts : &defaults;
	memset(&sum, 0, sizeof(sum));
	sum.struct_version = CUSTODY_BAG_IMPORT_SUMMARY_VERSION;
	memset(&run, 0, sizeof(run));
	run.a = a;
	run.bag_fd = -1;
	run.into = opts->into != NULL && *opts->into != '\0' ? opts->into :
		NULL;
	vopts.legacy_encoding = opts->legacy_encoding;
	vopts.threads = opts->threads;
	vopts.problem = opts->problem;
	vopts.payload = opts->payload;
	vopts.progress = opts->progress;
	if ((rc = custody_bag_validate(bag, &vopts, NULL, err)) != 0)
		goto done;
	if ((run.bag_fd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"open the bag", bag);
		goto done;
	}
	if ((rc = list_payload(&run, "data", 0, err)) != 0)
		goto done;
	if (run.n > 1)
		qsort(run.files, run.n, sizeof(*run.files), by_rel);
	/* every name as add will take it, and none already there, before
	 * anything is copied */
	for (size_t i = 0; i < run.n; i++) {
		struct stat st;
		custody_error *why = NULL;
		char shown[CUSTODY_NAME_SHOWN_BYTES];

		if (custody_path__check(run.files[i].rel, &why) != 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: cannot "
				"be registered: %s; nothing was imported",
				custody__name(shown, run.files[i].from),
				custody_error_message(why));
			custody_error_free(why);
			goto done;
		}
		if (fstatat(a->root_fd, run.files[i].rel, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
			rc = custody__error(err, CUSTODY_EEXISTS, "%s: is "
				"already in the collection; nothing was "
				"imported", custody__name(shown,
				run.files[i].rel));
			goto done;
		}
		if ((rc = note_new_folders(&run, i, err)) != 0)
			goto done;
	}
	if ((rc = bag_digest(run.bag_fd, manifest, sizeof(manifest),
	    sum.manifest_sha256, err)) != 0)
		goto done;
	snprintf(sum.manifest, sizeof(sum.manifest), "%s", manifest);
	{
		custody_error *why = NULL;
		char *path = custody_fs__join(bag, "bag-info.txt");
		size_t bad;

		if (path == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		if (custody_fs__read_file(&info, path, 1024 * 1024, &why) !=
		    0 ||
		    !custody_bag__is_utf8(info.ptr, info.size, &bad))
			custody_buf_dispose(&info);
		custody_error_free(why);
		free(path);
	}
	info_value(&info, "Bagging-Date", sum.bagging_date,
		sizeof(sum.bagging_date));
	info_value(&info, "Source-Organization", sum.source,
		sizeof(sum.source));
	base = strrchr(bag, '/') && strrchr(bag, '/')[1] ? strrchr(bag, '/')
		+ 1 : bag;
	if (custody_buf__printf(&note, "BagIt bag %.200s: %s SHA-256 %s%s%.64s"
	    "%s%.256s", base, manifest, sum.manifest_sha256,
	    sum.bagging_date[0] ? "; Bagging-Date " : "", sum.bagging_date,
	    sum.source[0] ? "; Source-Organization " : "", sum.source) != 0 ||
	    (paths = calloc(run.n + 1, sizeof(*paths))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	run.copying = 1;
	for (size_t i = 0; i < run.n; i++) {
		if ((rc = copy_in(&run, &run.files[i], err)) != 0)
			goto done;
		if (opts->progress != NULL)
			opts->progress("copying", i + 1, run.n, 0, 0,
				opts->payload);
		if ((paths[i] = custody_fs__join(custody_archive_collection(a),
		    run.files[i].rel)) == NULL) {
			rc = custody__oom(err);
			goto done;
		}
	}
	memset(&events, 0, sizeof(events));
	events.action = "received";
	events.from = plain_text(sum.source, 256) ? sum.source : NULL;
	events.note = plain_text(note.ptr, 4096) ? note.ptr : NULL;
	aopts.store = opts->store;
	aopts.threads = opts->threads;
	aopts.lock_wait_ms = opts->lock_wait_ms;
	aopts.progress = opts->progress;
	aopts.payload = opts->payload;
	if (run.n == 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the bag's "
			"payload is empty: nothing to import", bag);
		goto done;
	}
	rc = custody_archive__add_events(a, paths, run.n, &aopts, &events,
		NULL, NULL, &added, err);
	if (rc == 0) {
		sum.registered = added.registered;
		sum.new_versions = added.new_versions;
		sum.events = added.registered + added.new_versions;
		memcpy(sum.commit, added.commit, sizeof(sum.commit));
	}
done:
	/* a failed import takes back the files it copied */
	for (size_t i = 0; i < run.n; i++) {
		if (rc != 0 && run.files[i].copied)
			(void)unlinkat(a->root_fd, run.files[i].rel, 0);
		free(run.files[i].from);
		free(run.files[i].rel);
		if (paths != NULL)
			free((char *)paths[i]);
	}
	/* and the folders it made for them, deepest first; one that is not
	 * empty (someone else wrote in it meanwhile) stays */
	for (size_t i = run.nmade; i-- > 0;) {
		if (rc != 0 && run.copying)
			(void)unlinkat(a->root_fd, run.made[i], AT_REMOVEDIR);
		free(run.made[i]);
	}
	free(run.made);
	free(paths);
	free(run.files);
	custody_buf_dispose(&info);
	custody_buf_dispose(&note);
	if (run.bag_fd >= 0)
		close(run.bag_fd);
	sum.files = run.n;
	if (summary != NULL)
		*summary = sum;
	return rc;
}
