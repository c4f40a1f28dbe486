/*
 * The archive handle: opening it, following its head (refresh), and
 * reading what the head holds (custody.yaml, entries, other blobs).
 * Changing an archive is change.c's; creating one, archive_init.c's.
 */
#include "archive.h"
#include "common.h"
#include "fsutil.h"
#include "merkle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void custody_archive__entry_path(char out[64], uint64_t index)
{
	snprintf(out, 64, "log/%03" PRIu64 "/%03" PRIu64 "/%09" PRIu64 ".yaml",
		index / 1000000, index / 1000 % 1000, index);
}

void custody_archive__private_path(char out[64], uint64_t index)
{
	snprintf(out, 64, "private/%03" PRIu64 "/%03" PRIu64 "/%09" PRIu64
		".yaml", index / 1000000, index / 1000 % 1000, index);
}

void custody_archive__notice(custody_archive *a, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (a == NULL || a->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->notice(msg, a->notice_payload);
}

char *custody_archive__pack_dir(const custody_archive *a)
{
	return custody_fs__join(a->gitdir, "objects/pack");
}

int custody_archive__object_exists(const unsigned char id[20], void *payload)
{
	custody_archive *a = payload;
	git_odb *odb = NULL;
	git_oid oid;
	int found;

	if (git_repository_odb(&odb, a->repo) != 0)
		return 0;
	git_oid_fromraw(&oid, id);
	/* no rescan of the pack folder on a miss (libgit2 does one per
	 * missing object): the archive is locked, and an object written
	 * again is only a duplicate, which git tolerates */
	found = git_odb_exists_ext(odb, &oid, GIT_ODB_LOOKUP_NO_REFRESH);
	git_odb_free(odb);
	return found;
}

int custody_archive__head_tree(custody_archive *a, git_tree **out,
	custody_error **err)
{
	git_commit *commit = NULL;
	int rc = 0;

	*out = NULL;
	if (!a->has_head)
		return custody__error(err, CUSTODY_ENOTFOUND,
			"%s: the archive has no commit", a->gitdir);
	if (git_commit_lookup(&commit, a->repo, &a->head) != 0 ||
	    git_commit_tree(out, commit) != 0)
		rc = custody__error_git(err, CUSTODY_EVERIFY,
			"%s: cannot read commit %s", a->gitdir, a->head_hex);
	git_commit_free(commit);
	return rc;
}

/* The id of the file at `path` in `tree`. */
static int entry_id_at(git_tree *tree, const char *path, git_oid *out,
	custody_error **err)
{
	git_tree_entry *te = NULL;
	int rc = 0;

	if (git_tree_entry_bypath(&te, tree, path) != 0)
		return custody__error(err, CUSTODY_ENOTFOUND, "%s: missing "
			"from the archive", path);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: not a file "
			"in the archive", path);
	else
		git_oid_cpy(out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	return rc;
}

int custody_archive__blob_fits(git_odb *odb, const git_oid *id, size_t max,
	const char *name, custody_error **err)
{
	git_object_t type;
	size_t size;

	if (git_odb_read_header(&size, &type, odb, id) == 0 && size > max)
		return custody__error(err, CUSTODY_EINVALID, "%s: %zu bytes, "
			"more than the %zu allowed", name, size, max);
	return 0;
}

int custody_archive__bounded_blob(git_repository *repo, const git_oid *id,
	size_t max, const char *name, git_blob **out, custody_error **err)
{
	git_odb *odb = NULL;
	int rc = 0;

	*out = NULL;
	if (max != SIZE_MAX && git_repository_odb(&odb, repo) == 0)
		rc = custody_archive__blob_fits(odb, id, max, name, err);
	git_odb_free(odb);
	if (rc != 0)
		return rc;
	if (git_blob_lookup(out, repo, id) != 0)
		return custody__error_git(err, CUSTODY_EVERIFY, "%s: cannot "
			"read object", name);
	return 0;
}

static int read_blob_at(git_repository *repo, git_tree *tree,
	const char *path, size_t max, git_blob **out, custody_error **err)
{
	git_oid id;
	int rc;

	*out = NULL;
	if ((rc = entry_id_at(tree, path, &id, err)) != 0)
		return rc;
	return custody_archive__bounded_blob(repo, &id, max, path, out, err);
}

/* The blob id at `path` (an entry's part, "<top>/NNN/NNN/N.yaml"),
 * found through the cached folder f when it is the same one as last
 * time: one search among 1,000 names instead of a walk from the root for
 * every entry. */
static int part_id(custody_archive *a, struct custody_leaf_folder *f,
	git_tree *tree, uint64_t index, const char *path, git_oid *out,
	custody_error **err)
{
	const char *name = strrchr(path, '/') + 1;
	const git_tree_entry *te;

	if (f->tree == NULL || f->number != index / 1000 ||
	    !git_oid_equal(&f->root, git_tree_id(tree))) {
		git_tree_entry *folder = NULL;
		char folder_path[32];

		git_tree_free(f->tree);
		f->tree = NULL;
		snprintf(folder_path, sizeof(folder_path), "%.*s",
			(int)(name - 1 - path), path);
		if (git_tree_entry_bypath(&folder, tree, folder_path) != 0 ||
		    git_tree_entry_type(folder) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&f->tree, a->repo,
		    git_tree_entry_id(folder)) != 0) {
			git_tree_entry_free(folder);
			f->tree = NULL;
			return entry_id_at(tree, path, out, err);
		}
		git_tree_entry_free(folder);
		git_oid_cpy(&f->root, git_tree_id(tree));
		f->number = index / 1000;
	}
	te = git_tree_entry_byname(f->tree, name);
	if (te == NULL)
		return custody__error(err, CUSTODY_ENOTFOUND, "%s: missing "
			"from the archive", path);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return custody__error(err, CUSTODY_EINVALID, "%s: not a file "
			"in the archive", path);
	git_oid_cpy(out, git_tree_entry_id(te));
	return 0;
}

int custody_archive__entry_id(custody_archive *a, git_tree *tree,
	uint64_t index, git_oid *out, custody_error **err)
{
	char path[64];

	custody_archive__entry_path(path, index);
	return part_id(a, &a->leaf, tree, index, path, out, err);
}

int custody_archive__private_id(custody_archive *a, git_tree *tree,
	uint64_t index, git_oid *out, custody_error **err)
{
	char path[64];

	custody_archive__private_path(path, index);
	return part_id(a, &a->private_leaf, tree, index, path, out, err);
}

int custody_archive__parse_entry(const char *content, size_t len,
	uint64_t index, struct custody_entry **out, custody_error **err)
{
	char path[64];
	struct custody_entry *e = NULL;
	int rc;

	*out = NULL;
	custody_archive__entry_path(path, index);
	if ((rc = custody_entry__parse(&e, content, len, path, err)) != 0)
		return rc;
	if (e->index != index) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: says it is "
			"entry %" PRIu64 ", but sits at %" PRIu64, path,
			e->index, index);
		custody_entry__free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int custody_archive__open_entry(custody_archive *a, git_tree *tree,
	struct custody_entry *e, const void *public_bytes, size_t len,
	custody_error **err)
{
	char path[64];
	unsigned char leaf[32];
	git_blob *blob = NULL;
	git_oid id;
	int rc;

	custody_archive__private_path(path, e->index);
	if ((rc = custody_archive__private_id(a, tree, e->index, &id, err))
	    != 0 ||
	    (rc = custody_archive__bounded_blob(a->repo, &id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &blob, err)) != 0)
		return rc;
	custody_merkle__leaf_hash(public_bytes, len, leaf);
	rc = custody_entry__open(e, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob), path, leaf, err);
	git_blob_free(blob);
	return rc;
}

static int read_entry(custody_archive *a, git_tree *tree, uint64_t index,
	int (*wanted)(const struct custody_entry *), struct custody_entry **out,
	custody_buf *bytes_out, custody_error **err)
{
	char path[64];
	git_blob *blob = NULL;
	git_oid id;
	const char *content;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = custody_archive__entry_id(a, tree, index, &id, err)) != 0)
		return rc;
	custody_archive__entry_path(path, index);
	if ((rc = custody_archive__bounded_blob(a->repo, &id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &blob, err)) != 0)
		return rc;
	content = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if ((rc = custody_archive__parse_entry(content, len, index, out,
	    err)) == 0 && wanted != NULL && !wanted(*out)) {
		custody_entry__free(*out);
		*out = NULL;
	} else if (rc == 0 && (rc = custody_archive__open_entry(a, tree,
	    *out, content, len, err)) == 0 && bytes_out != NULL) {
		bytes_out->ptr = NULL;
		bytes_out->size = 0;
		if (custody_buf__append(bytes_out, content, len) != 0)
			rc = custody__oom(err);
	}
	if (rc != 0) {
		custody_entry__free(*out);
		*out = NULL;
	}
	git_blob_free(blob);
	return rc;
}

int custody_archive__read_entry(custody_archive *a, git_tree *tree,
	uint64_t index, struct custody_entry **out, custody_buf *bytes_out,
	custody_error **err)
{
	return read_entry(a, tree, index, NULL, out, bytes_out, err);
}

int custody_archive__read_entry_if(custody_archive *a, git_tree *tree,
	uint64_t index, int (*wanted)(const struct custody_entry *),
	struct custody_entry **out, custody_error **err)
{
	return read_entry(a, tree, index, wanted, out, NULL, err);
}

/* Size of the log from the names of its last folder and file. */
static int log_size(custody_archive *a, git_tree *root, uint64_t *out,
	custody_error **err)
{
	const git_tree_entry *te;
	git_tree *level[3] = { NULL, NULL, NULL };
	char *end;
	const char *name;
	size_t n;
	int rc = 0;

	*out = 0;
	te = git_tree_entry_byname(root, "log");
	if (te == NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: commit %s has no log/", a->gitdir, a->head_hex);
	if (git_tree_lookup(&level[0], a->repo, git_tree_entry_id(te)) != 0)
		return custody__error_git(err, CUSTODY_EVERIFY,
			"%s: cannot read log/", a->gitdir);
	for (int depth = 0; depth < 2; depth++) {
		n = git_tree_entrycount(level[depth]);
		if (n == 0 || (te = git_tree_entry_byindex(level[depth], n - 1))
		    == NULL || git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&level[depth + 1], a->repo,
		    git_tree_entry_id(te)) != 0) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"%s: log/ is not laid out as custody writes "
				"it", a->gitdir);
			goto done;
		}
	}
	n = git_tree_entrycount(level[2]);
	te = n ? git_tree_entry_byindex(level[2], n - 1) : NULL;
	name = te ? git_tree_entry_name(te) : "";
	errno = 0;
	*out = strtoull(name, &end, 10) + 1;
	if (errno != 0 || end != name + 9 || strcmp(end, ".yaml") != 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: log/ has an "
			"unexpected last file '%s'", a->gitdir, name);
done:
	for (int i = 0; i < 3; i++)
		git_tree_free(level[i]);
	return rc;
}

int custody_archive__log_size(custody_archive *a, git_tree *tree,
	uint64_t *out, custody_error **err)
{
	return log_size(a, tree, out, err);
}

int custody_archive__refresh(custody_archive *a, custody_error **err)
{
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	int rc;

	custody_config__free(a->config);
	a->config = NULL;
	a->size = 0;
	rc = git_reference_name_to_id(&a->head, a->repo, CUSTODY_REF);
	if (rc == GIT_ENOTFOUND) {
		a->has_head = 0;
		a->head_hex[0] = '\0';
		return custody__error(err, CUSTODY_EINVALID, "%s: has no %s: "
			"not a custody archive, or never initialised",
			a->gitdir, CUSTODY_REF);
	}
	if (rc != 0)
		return custody__error_git(err, CUSTODY_EIO,
			"%s: cannot read %s", a->gitdir, CUSTODY_REF);
	a->has_head = 1;
	git_oid_tostr(a->head_hex, sizeof(a->head_hex), &a->head);
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	if ((rc = read_blob_at(a->repo, tree, "custody.yaml",
	    CUSTODY_CONFIG_MAX_BYTES, &blob, err))
	    != 0)
		goto done;
	if ((rc = custody_config__parse(&a->config,
	    git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
	    "custody.yaml", err)) != 0)
		goto done;
	snprintf(a->origin, sizeof(a->origin), "%s", a->config->origin);
	rc = log_size(a, tree, &a->size, err);
done:
	git_blob_free(blob);
	git_tree_free(tree);
	return rc;
}

static char *find_archive(const char *start, custody_error **err)
{
	char dir[PATH_MAX];

	if (realpath(start, dir) == NULL) {
		custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
			"%s: cannot resolve", start);
		return NULL;
	}
	for (;;) {
		char *candidate = custody_fs__join(dir, ".custody");
		struct stat st;
		char *slash;

		if (candidate == NULL) {
			custody__oom(err);
			return NULL;
		}
		if (lstat(candidate, &st) == 0 && S_ISDIR(st.st_mode))
			return candidate;
		free(candidate);
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			break;
		*slash = '\0';
	}
	custody__error_hint(err, CUSTODY_ENOTFOUND, CUSTODY_HINT_NO_ARCHIVE,
		"no archive in %s or any folder above it", start);
	return NULL;
}

static int open_at(custody_archive **out, const char *gitdir,
	const custody_open_options *opts, custody_error **err)
{
	custody_archive *a = calloc(1, sizeof(*a));
	git_config *config = NULL;
	git_buf value = { NULL, 0, 0 };
	char resolved[PATH_MAX];
	int rc = 0;

	*out = NULL;
	if (a == NULL)
		return custody__oom(err);
	a->root_fd = -1;
	if (opts) {
		a->notice = opts->notice;
		a->notice_payload = opts->notice_payload;
	}
	if (realpath(gitdir, resolved) == NULL) {
		rc = custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
			"%s: no archive", gitdir);
		goto done;
	}
	a->gitdir = strdup(resolved);
	if (a->gitdir == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (git_repository_open_bare(&a->repo, a->gitdir) != 0) {
		rc = custody__error_git(err, CUSTODY_EINVALID,
			"%s: not a custody archive", a->gitdir);
		goto done;
	}
	if (git_repository_config_snapshot(&config, a->repo) == 0 &&
	    git_config_get_string_buf(&value, config, "custody.collection")
	    == 0) {
		if (realpath(value.ptr, resolved) == NULL) {
			rc = custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
				"%s: the collection folder %s recorded in its "
				"config is gone", a->gitdir, value.ptr);
			goto done;
		}
	} else {
		char *copy = strdup(a->gitdir);

		if (copy == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		snprintf(resolved, sizeof(resolved), "%s", dirname(copy));
		free(copy);
	}
	a->collection = strdup(resolved);
	if (a->collection == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	a->root_fd = open(a->collection, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a->root_fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open the collection folder",
			a->collection);
		goto done;
	}
	rc = custody_archive__refresh(a, err);
done:
	git_buf_dispose(&value);
	git_config_free(config);
	if (rc != 0)
		custody_archive_free(a);
	else
		*out = a;
	return rc;
}

int custody_archive_open(custody_archive **out,
	const custody_open_options *opts, custody_error **err)
{
	char *gitdir = NULL;
	int rc;

	*out = NULL;
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_OPEN_OPTIONS_VERSION, "custody_open_options")) != 0)
		return rc;
	if ((rc = custody__global_init(err)) != 0)
		return rc;
	if (opts && opts->archive_path) {
		/* the collection folder names its archive, .custody */
		struct stat st;
		custody_buf in = CUSTODY_BUF_INIT;

		if (custody_buf__printf(&in, "%s/.custody",
		    opts->archive_path) != 0)
			return custody__oom(err);
		if (stat(in.ptr, &st) == 0 && S_ISDIR(st.st_mode))
			gitdir = strdup(in.ptr);
		else
			gitdir = strdup(opts->archive_path);
		custody_buf_dispose(&in);
		if (gitdir == NULL)
			return custody__oom(err);
	} else {
		gitdir = find_archive(opts && opts->start_dir ?
			opts->start_dir : ".", err);
		if (gitdir == NULL)
			return custody_error_code(err ? *err : NULL) ?
				custody_error_code(*err) : CUSTODY_ENOTFOUND;
	}
	rc = open_at(out, gitdir, opts, err);
	free(gitdir);
	return rc;
}

void custody_archive_free(custody_archive *a)
{
	if (a == NULL)
		return;
	git_tree_free(a->leaf.tree);
	git_tree_free(a->private_leaf.tree);
	git_repository_free(a->repo);
	custody_config__free(a->config);
	free(a->gitdir);
	free(a->collection);
	free(a->actor);
	free(a->change_salts);
	free(a->change_links);
	if (a->root_fd >= 0)
		close(a->root_fd);
	free(a);
}

void custody_archive_set_signer(custody_archive *a, const custody_key *key)
{
	a->signer = key;
}

void custody_archive_set_log_key(custody_archive *a, const custody_key *key)
{
	a->log_signer = key;
}

const char *custody_archive_log_key(custody_archive *a)
{
	return a->config != NULL ? a->config->log_key : NULL;
}

int custody_archive__head_blob(custody_archive *a, const char *path,
	git_blob **out, custody_error **err)
{
	git_tree *tree = NULL;
	int rc;

	*out = NULL;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	rc = read_blob_at(a->repo, tree, path, SIZE_MAX, out, err);
	git_tree_free(tree);
	return rc;
}

const char *custody_archive_path(const custody_archive *a)
{
	return a->gitdir;
}

const char *custody_archive_collection(const custody_archive *a)
{
	return a->collection;
}

const char *custody_archive_origin(const custody_archive *a)
{
	return a->origin;
}

uint64_t custody_archive_size(const custody_archive *a)
{
	return a->size;
}

const char *custody_archive_head(const custody_archive *a)
{
	return a->head_hex;
}

int custody_open_options_init(custody_open_options *opts, unsigned int version)
{
	static const custody_open_options fresh = CUSTODY_OPEN_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_OPEN_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}

int custody_archive__note_shared(custody_archive *a, uint64_t size,
	custody_error **err)
{
	int rc;

	if (a->shared_noted != 0 && size <= a->shared_noted)
		return 0;
	if ((rc = custody_archive__note_shared_in(a->gitdir, size, err)) == 0)
		a->shared_noted = size;
	return rc;
}

int custody_archive__note_shared_in(const char *gitdir, uint64_t size,
	custody_error **err)
{
	char *path = custody_fs__join(gitdir, CUSTODY_SHARED_FILE);
	char line[32];
	int rc;

	if (path == NULL)
		return custody__oom(err);
	snprintf(line, sizeof(line), "%" PRIu64 "\n", size);
	rc = custody_fs__append(path, line, err);
	free(path);
	return rc;
}

/* Most bytes custody-shared may hold: a line per proof for years. */
#define SHARED_MAX_BYTES (64u << 20)

int custody_archive__shared_size(custody_archive *a, uint64_t *out,
	custody_error **err)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_SHARED_FILE);
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	uint64_t best = 0, n = 0;
	size_t line = 1;
	int rc = 0, digits = 0;

	*out = 0;
	if (path == NULL)
		return custody__oom(err);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		goto done;
	if (custody_fs__read_file(&text, path, SHARED_MAX_BYTES, &why) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s", why ?
			custody_error_message(why) : path);
		goto done;
	}
	for (size_t i = 0; i < text.size && rc == 0; i++) {
		char c = text.ptr[i];

		if (c >= '0' && c <= '9' && n <= (UINT64_MAX - 9) / 10) {
			n = n * 10 + (uint64_t)(c - '0');
			digits++;
		} else if (c == '\n' && digits > 0) {
			best = n > best ? n : best;
			n = 0;
			digits = 0;
			line++;
		} else {
			rc = custody__error(err, CUSTODY_EVERIFY, "%s:%zu: not "
				"a checkpoint size; which checkpoints left this "
				"machine is unknown", path, line);
		}
	}
	/* a last line cut short by a crash counts as written */
	if (rc == 0 && digits > 0)
		best = n > best ? n : best;
	*out = best;
done:
	custody_error_free(why);
	custody_buf_dispose(&text);
	free(path);
	return rc;
}
