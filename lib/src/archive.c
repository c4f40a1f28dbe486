#include "archive.h"
#include "tlog.h"
#include "merkle.h"
#include "error.h"
#include "fsutil.h"
#include "index.h"
#include "lock.h"
#include "member.h"
#include "memodb.h"
#include "pack.h"
#include "path.h"

#include <dirent.h>
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
#include <time.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

void custody_archive__entry_path(char out[64], uint64_t index)
{
	snprintf(out, 64, "log/%03" PRIu64 "/%03" PRIu64 "/%09" PRIu64 ".yaml",
		index / 1000000, index / 1000 % 1000, index);
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
	found = git_odb_exists(odb, &oid);
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

/* Entry `index`'s blob id, found through the cached log folder when it
 * is the same one as last time: one search among 1,000 names instead of
 * a walk from the root for every entry. */
int custody_archive__entry_id(custody_archive *a, git_tree *tree,
	uint64_t index, git_oid *out, custody_error **err)
{
	const git_tree_entry *te;
	char path[64];

	custody_archive__entry_path(path, index);
	if (a->leaf == NULL || a->leaf_number != index / 1000 ||
	    !git_oid_equal(&a->leaf_root, git_tree_id(tree))) {
		git_tree_entry *folder = NULL;
		char folder_path[32];

		git_tree_free(a->leaf);
		a->leaf = NULL;
		snprintf(folder_path, sizeof(folder_path), "%.11s", path);
		if (git_tree_entry_bypath(&folder, tree, folder_path) != 0 ||
		    git_tree_entry_type(folder) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&a->leaf, a->repo,
		    git_tree_entry_id(folder)) != 0) {
			git_tree_entry_free(folder);
			a->leaf = NULL;
			return entry_id_at(tree, path, out, err);
		}
		git_tree_entry_free(folder);
		git_oid_cpy(&a->leaf_root, git_tree_id(tree));
		a->leaf_number = index / 1000;
	}
	te = git_tree_entry_byname(a->leaf, path + 12);
	if (te == NULL)
		return custody__error(err, CUSTODY_ENOTFOUND, "%s: missing "
			"from the archive", path);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return custody__error(err, CUSTODY_EINVALID, "%s: not a file "
			"in the archive", path);
	git_oid_cpy(out, git_tree_entry_id(te));
	return 0;
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

int custody_archive__read_entry(custody_archive *a, git_tree *tree,
	uint64_t index, struct custody_entry **out, custody_buf *bytes_out,
	custody_error **err)
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
	    err)) == 0 && bytes_out != NULL) {
		bytes_out->ptr = NULL;
		bytes_out->size = 0;
		if (custody_buf__append(bytes_out, content, len) != 0) {
			custody_entry__free(*out);
			*out = NULL;
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
		}
	}
	git_blob_free(blob);
	return rc;
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
			custody__error(err, CUSTODY_ENOMEM, "out of memory");
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
	custody__error(err, CUSTODY_ENOTFOUND, "no archive in %s or any "
		"folder above it (run `custody init`, or name one with "
		"--archive or CUSTODY_ARCHIVE)", start);
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
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
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
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
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
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		snprintf(resolved, sizeof(resolved), "%s", dirname(copy));
		free(copy);
	}
	a->collection = strdup(resolved);
	if (a->collection == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
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
	if ((rc = custody__global_init(err)) != 0)
		return rc;
	if (opts && opts->archive_path) {
		gitdir = strdup(opts->archive_path);
		if (gitdir == NULL)
			return custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
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
	git_tree_free(a->leaf);
	git_repository_free(a->repo);
	custody_config__free(a->config);
	free(a->gitdir);
	free(a->collection);
	free(a->actor);
	if (a->root_fd >= 0)
		close(a->root_fd);
	free(a);
}

void custody_archive_set_signer(custody_archive *a, const custody_key *key)
{
	a->signer = key;
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

int custody_archive__signer(custody_archive *a, const char **actor_out,
	custody_error **err)
{
	struct custody_members members = { 0 };
	const struct custody_member *m;
	const unsigned char *raw;
	git_blob *blob = NULL;
	char fp[64];
	int rc;

	*actor_out = NULL;
	if (a->signer == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: no signing "
			"key: every change to an archive is signed by a member",
			a->gitdir);
	raw = custody_pubkey_raw(custody_key_public(a->signer));
	if ((rc = custody_archive__head_blob(a, CUSTODY_MEMBERS_PATH, &blob,
	    err)) != 0 ||
	    (rc = custody_members__parse(&members, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob), CUSTODY_MEMBERS_PATH, err)) != 0)
		goto done;
	m = custody_members__by_key(&members, raw);
	if (m == NULL || m->revoked) {
		custody_members__fingerprint(fp, raw);
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: your key %s %s; "
			"a member must add it with `custody member add`",
			a->gitdir, fp, m == NULL ? "is not a member's key" :
			"was revoked");
		goto done;
	}
	free(a->actor);
	if ((a->actor = strdup(m->name)) == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	*actor_out = a->actor;
done:
	custody_members__clear(&members);
	git_blob_free(blob);
	return rc;
}

/* The head commit's time, or 0. */
static int64_t head_time(custody_archive *a)
{
	git_commit *head = NULL;
	int64_t t = 0;

	if (a->has_head && git_commit_lookup(&head, a->repo, &a->head) == 0)
		t = git_commit_time(head);
	git_commit_free(head);
	return t;
}

void custody_archive__now(custody_archive *a, char out[32],
	int64_t *seconds_out)
{
	int64_t now = (int64_t)time(NULL), last = head_time(a);
	time_t t;
	struct tm tm;

	if (last > now)
		now = last;
	if (a->not_before > now)
		now = a->not_before;
	t = (time_t)now;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (seconds_out)
		*seconds_out = now;
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
	return a->config ? a->config->origin : "";
}

uint64_t custody_archive_size(const custody_archive *a)
{
	return a->size;
}

const char *custody_archive_head(const custody_archive *a)
{
	return a->head_hex;
}

/* ---- the commit pipeline ---- */

struct pack_each {
	custody_pack *pack;
	custody_error **err;
};

static int pack_object(git_object_t type, const void *data, size_t len,
	void *payload)
{
	struct pack_each *pe = payload;
	unsigned char id[20];

	return custody_pack__add_buffer(pe->pack, (int)type, data, len, id,
		pe->err);
}

/*
 * Make the commit object, signed as git signs with an SSH key: the
 * SSHSIG (namespace "git") of the unsigned commit goes in its gpgsig
 * header, one line per armour line, as `git commit -S` writes it.
 */
static int sign_commit(custody_archive *a, git_repository *repo,
	const char *actor, const char *message, const git_tree *tree,
	const git_commit *parent, git_oid *commit_out, custody_error **err)
{
	git_signature *sig = NULL;
	git_buf unsigned_commit = { NULL, 0, 0 };
	custody_buf armour = CUSTODY_BUF_INIT;
	int64_t when;
	char now[32];
	int rc = 0;

	if (a->signer == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: no signing "
			"key: every change to an archive is signed by a member",
			a->gitdir);
	custody_archive__now(a, now, &when);
	if (git_signature_new(&sig, actor, "custody.invalid", (git_time_t)when,
	    0) != 0) {
		rc = custody__error_git(err, CUSTODY_EINVALID,
			"cannot use '%s' as the commit's author", actor);
		goto done;
	}
	if (git_commit_create_buffer(&unsigned_commit, repo, sig, sig, NULL,
	    message, tree, parent ? 1 : 0, parent ? &parent : NULL) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot create the commit", a->gitdir);
		goto done;
	}
	if ((rc = custody_sshsig_sign(a->signer, "git", unsigned_commit.ptr,
	    unsigned_commit.size, &armour, err)) != 0)
		goto done;
	while (armour.size > 0 && armour.ptr[armour.size - 1] == '\n')
		armour.ptr[--armour.size] = '\0';
	if (git_commit_create_with_signature(commit_out, repo,
	    unsigned_commit.ptr, armour.ptr, "gpgsig") != 0)
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot write the signed commit", a->gitdir);
done:
	custody_buf_dispose(&armour);
	git_buf_dispose(&unsigned_commit);
	git_signature_free(sig);
	return rc;
}

/*
 * Remember the commit this machine just made. A later `custody verify`
 * that cannot find it in the history knows the history was rewritten or
 * moved back. Losing the file loses that check, never the archive.
 */
static void remember_head(custody_archive *a, const git_oid *commit)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_SEEN_FILE);
	char line[42];
	custody_error *err = NULL;

	git_oid_tostr(line, 41, commit);
	line[40] = '\n';
	if (path == NULL || custody_fs__write_atomic(path, line, 41, 0644,
	    &err) != 0)
		custody_archive__notice(a, "%s", err ?
			custody_error_message(err) : "out of memory");
	custody_error_free(err);
	free(path);
}

int custody_archive__commit(custody_archive *a,
	const struct custody_tree_change *changes, size_t nchanges,
	const char *actor, const char *message, git_oid *commit_out,
	custody_error **err)
{
	git_repository *scratch = NULL;
	git_odb *odb = NULL, *main_odb = NULL;
	git_odb_backend *memodb = NULL;
	custody_pack *pack = NULL;
	char *pack_dir = NULL;
	git_tree *baseline = NULL, *tree = NULL;
	git_commit *parent = NULL;
	git_tree_update *updates = NULL;
	git_reference *ref = NULL;
	git_oid tree_id;
	int rc = 0;

	struct custody_tree_change checkpoint;
	struct custody_tlog_pending pending = { NULL, 0 };
	size_t nupdates = nchanges, nentries = 0;

	updates = calloc(nchanges + 1, sizeof(*updates));
	if (updates == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	for (size_t i = 0; i < nchanges; i++) {
		if (!changes[i].remove && strncmp(changes[i].path, "log/", 4)
		    == 0)
			nentries++;
		updates[i].action = changes[i].remove ?
			GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[i].id, &changes[i].blob);
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = changes[i].path;
	}
	/* Trees and the commit go to a second handle whose object database
	 * keeps new objects in memory; they reach the disk as one pack. */
	if (git_repository_open_bare(&scratch, a->gitdir) != 0 ||
	    git_repository_odb(&odb, scratch) != 0 ||
	    custody_memodb__new(&memodb) != 0 ||
	    git_odb_add_backend(odb, memodb, 999) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot prepare the commit", a->gitdir);
		goto done;
	}
	/* A change that adds entries carries the new signed checkpoint. */
	if (nentries > 0) {
		if ((rc = custody_tlog__next_checkpoint(a, scratch, changes,
		    nchanges, &checkpoint, &pending, err)) != 0)
			goto done;
		updates[nupdates].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[nupdates].id, &checkpoint.blob);
		updates[nupdates].filemode = GIT_FILEMODE_BLOB;
		updates[nupdates].path = checkpoint.path;
		nupdates++;
	}
	if (a->has_head) {
		if (git_commit_lookup(&parent, scratch, &a->head) != 0 ||
		    git_commit_tree(&baseline, parent) != 0) {
			rc = custody__error_git(err, CUSTODY_EVERIFY,
				"%s: cannot read commit %s", a->gitdir,
				a->head_hex);
			goto done;
		}
	}
	/* With no head, the first tree starts from nothing (baseline NULL):
	 * no empty tree is written to dangle in the repository. */
	if (git_tree_create_updated(&tree_id, scratch, baseline, nupdates,
	    updates) != 0 || git_tree_lookup(&tree, scratch, &tree_id) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot build the new tree", a->gitdir);
		goto done;
	}
	if ((rc = sign_commit(a, scratch, actor, message, tree, parent,
	    commit_out, err)) != 0)
		goto done;
	{
		struct pack_each pe;

		pack_dir = custody_archive__pack_dir(a);
		if (pack_dir == NULL) {
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		if ((rc = custody_pack__open(&pack, pack_dir, NULL, NULL,
		    err)) != 0)
			goto done;
		pe.pack = pack;
		pe.err = err;
		if ((rc = custody_memodb__each(memodb, pack_object, &pe)) != 0 ||
		    (rc = custody_pack__commit(pack, err)) != 0)
			goto done;
	}
	/* The single step that makes the change visible. */
	if (git_repository_odb(&main_odb, a->repo) != 0 ||
	    git_odb_refresh(main_odb) != 0 ||
	    git_reference_create_matching(&ref, a->repo, CUSTODY_REF,
	    commit_out, 1, a->has_head ? &a->head : NULL, message) != 0) {
		git_oid now;
		custody_error *ref_err = NULL;

		custody__error_git(&ref_err, CUSTODY_EIO, "%s: cannot move %s "
			"to the new commit", a->gitdir, CUSTODY_REF);
		/* A failure after the rename (syncing the folder, say) may
		 * still have moved the ref: then the change has happened,
		 * and nothing it refers to may be taken back. */
		if (git_reference_name_to_id(&now, a->repo, CUSTODY_REF) == 0 &&
		    git_oid_equal(&now, commit_out)) {
			custody_archive__notice(a, "%s (the commit was "
				"recorded)", custody_error_message(ref_err));
			custody_error_free(ref_err);
		} else {
			rc = custody_error_code(ref_err);
			if (err && *err == NULL)
				*err = ref_err;
			else
				custody_error_free(ref_err);
			goto done;
		}
	}
	custody_pack__settled(a->gitdir);
	remember_head(a, commit_out);
	custody_tlog__commit(a, &pending);
done:
	custody_tlog__pending_clear(&pending);
	if (rc != 0) {
		custody_pack__uncommit(pack);
		custody_pack__settled(a->gitdir);
	}
	git_reference_free(ref);
	custody_pack__free(pack);
	free(pack_dir);
	git_tree_free(tree);
	git_tree_free(baseline);
	git_commit_free(parent);
	git_odb_free(main_odb);
	git_odb_free(odb);
	git_repository_free(scratch);
	free(updates);
	return rc;
}

int custody_archive__append(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	const char *message, git_oid *commit_out, custody_error **err)
{
	struct custody_tree_change *changes = NULL;
	char (*paths)[64] = NULL, (*salts)[65] = NULL;
	custody_pack *pack = NULL;
	char *pack_dir = NULL, now[32];
	const char *actor;
	git_odb *odb = NULL;
	git_oid commit;
	int rc, committed = 0;

	if ((rc = custody_archive__signer(a, &actor, err)) != 0)
		return rc;
	if (a->size + n >= CUSTODY_MAX_ENTRIES)
		return custody__error(err, CUSTODY_EINVALID, "the log is full");
	changes = calloc(n + nfiles + 1, sizeof(*changes));
	paths = calloc(n + 1, sizeof(*paths));
	salts = calloc(n + 1, sizeof(*salts));
	pack_dir = custody_archive__pack_dir(a);
	if (changes == NULL || paths == NULL || salts == NULL ||
	    pack_dir == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = custody_pack__open(&pack, pack_dir, NULL, NULL, err)) != 0)
		goto done;
	custody_archive__now(a, now, NULL);
	if ((rc = custody_archive__new_salts(salts, n, err)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		struct custody_entry *e = &entries[i];
		custody_buf yaml = CUSTODY_BUF_INIT;
		unsigned char raw[20];

		e->index = a->size + i;
		e->time = now;
		e->actor = (char *)actor;
		e->salt = salts[i];
		if ((rc = custody_entry__emit(&yaml, e, err)) != 0)
			goto done;
		custody_merkle__leaf_hash(yaml.ptr, yaml.size, changes[i].leaf);
		changes[i].has_leaf = 1;
		rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, yaml.ptr,
			yaml.size, raw, err);
		custody_buf_dispose(&yaml);
		if (rc != 0)
			goto done;
		custody_archive__entry_path(paths[i], e->index);
		changes[i].path = paths[i];
		git_oid_fromraw(&changes[i].blob, raw);
	}
	for (size_t i = 0; i < nfiles; i++) {
		unsigned char raw[20];

		if ((rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
		    files[i].data, files[i].len, raw, err)) != 0)
			goto done;
		changes[n + i].path = files[i].path;
		git_oid_fromraw(&changes[n + i].blob, raw);
	}
	if ((rc = custody_pack__commit(pack, err)) != 0)
		goto done;
	if (git_repository_odb(&odb, a->repo) != 0 ||
	    git_odb_refresh(odb) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot reload "
			"objects", a->gitdir);
		goto done;
	}
	if ((rc = custody_archive__commit(a, changes, n + nfiles, actor,
	    message, &commit, err)) != 0)
		goto done;
	if (commit_out)
		git_oid_cpy(commit_out, &commit);
	/* The commit is made; an error re-reading it must not take back
	 * the objects it names. */
	committed = 1;
	rc = custody_archive__refresh(a, err);
done:
	if (rc != 0 && !committed) {
		custody_pack__uncommit(pack);
		custody_pack__settled(a->gitdir);
	}
	custody_pack__free(pack);
	git_odb_free(odb);
	free(pack_dir);
	free(changes);
	free(paths);
	free(salts);
	return rc;
}

int custody_archive__begin_change(custody_archive *a, unsigned int wait_ms,
	struct custody_lock **lock_out, const char **actor_out,
	custody_error **err)
{
	int rc;

	if ((rc = custody_archive__begin_change_early(a, wait_ms, lock_out,
	    actor_out, err)) != 0)
		return rc;
	if ((rc = custody_key_wait(a->signer, err)) != 0) {
		custody_lock__release(*lock_out);
		*lock_out = NULL;
	}
	return rc;
}

static void pack_notice(void *payload, const char *message)
{
	custody_archive__notice(payload, "%s", message);
}

int custody_archive__begin_change_early(custody_archive *a,
	unsigned int wait_ms, struct custody_lock **lock_out,
	const char **actor_out, custody_error **err)
{
	char *stale = NULL;
	int rc;

	*lock_out = NULL;
	if ((rc = custody_lock__acquire(lock_out, a->gitdir, wait_ms, &stale,
	    err)) != 0)
		return rc;
	if (stale != NULL)
		custody_archive__notice(a, "%s", stale);
	free(stale);
	custody_archive__clean_stale(a);
	{
		git_oid head;
		int has = git_reference_name_to_id(&head, a->repo,
			CUSTODY_REF) == 0;

		custody_pack__recover(a->gitdir, has ? head.id : NULL,
			pack_notice, a);
	}
	if ((rc = custody_archive__refresh(a, err)) == 0 &&
	    (rc = custody_archive__check_history(a, err)) == 0 &&
	    (rc = custody_archive__signer(a, actor_out, err)) != 0 &&
	    a->signer != NULL) {
		/* not a member: said of the key's public half, which is not
		 * the key's own if its .pub was swapped; that is the error
		 * to name */
		custody_error *key_err = NULL;
		int key_rc = custody_key_wait(a->signer, &key_err);

		if (key_rc != 0 && err != NULL) {
			custody_error_free(*err);
			*err = key_err;
			rc = key_rc;
		} else {
			custody_error_free(key_err);
		}
	}
	if (rc != 0) {
		custody_lock__release(*lock_out);
		*lock_out = NULL;
	}
	return rc;
}

void custody_archive__clean_stale(custody_archive *a)
{
	static const char *const folders[] = { "objects/pack", "cache",
		"refs/heads", NULL };

	for (int i = 0; folders[i] != NULL; i++) {
		char *dir = custody_fs__join(a->gitdir, folders[i]);
		DIR *d = dir ? opendir(dir) : NULL;
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL) {
			const char *n = de->d_name;
			size_t len = strlen(n);
			int stale = strncmp(n, "tmp_custody_", 12) == 0 ||
				strncmp(n, "pack_git2_", 10) == 0 ||
				strstr(n, ".tmp") != NULL ||
				(len > 5 && strcmp(n + len - 5, ".lock") == 0);

			if (stale && unlinkat(dirfd(d), n, 0) == 0)
				custody_archive__notice(a, "removed %s/%s, left "
					"by an interrupted run", dir, n);
		}
		if (d)
			closedir(d);
		free(dir);
	}
}

/* ---- init ---- */

static int make_origin(char **out, const char *given, const char *folder,
	custody_error **err)
{
	const char *base;
	char *origin;
	size_t j = 0;

	if (given != NULL) {
		for (const char *p = given; *p; p++)
			if (*p < '!' || *p > '~')
				return custody__error(err, CUSTODY_EINVALID,
					"origin '%s': only printable ASCII "
					"without spaces is allowed (like "
					"example.org/leaks)", given);
		if (*given == '\0' || strlen(given) > 255)
			return custody__error(err, CUSTODY_EINVALID,
				"origin must be 1 to 255 characters");
		*out = strdup(given);
		return *out ? 0 : custody__error(err, CUSTODY_ENOMEM,
			"out of memory");
	}
	base = strrchr(folder, '/');
	base = base ? base + 1 : folder;
	origin = malloc(strlen(base) + 16);
	if (origin == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	j = (size_t)snprintf(origin, 16, "local/");
	for (const char *p = base; *p && j < 200; p++)
		origin[j++] = (*p >= '!' && *p <= '~') ? *p : '_';
	if (j == 6)
		origin[j++] = '_';
	origin[j] = '\0';
	*out = origin;
	return 0;
}

int custody_archive__new_salts(char (*out)[65], size_t n,
	custody_error **err)
{
	/* one draw for many salts: a draw costs more than its 32 bytes */
	unsigned char bytes[32 * 128];

	for (size_t done = 0; done < n; ) {
		size_t k = n - done < 128 ? n - done : 128;

		if (RAND_bytes(bytes, (int)(32 * k)) != 1) {
			OPENSSL_cleanse(bytes, sizeof(bytes));
			return custody__error_ssl(err, CUSTODY_ERROR,
				"cannot draw random bytes");
		}
		for (size_t i = 0; i < k; i++)
			custody_hex(out[done + i], bytes + 32 * i, 32);
		done += k;
	}
	OPENSSL_cleanse(bytes, sizeof(bytes));
	return 0;
}

static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d == NULL)
		return unlink(path);
	while ((de = readdir(d)) != NULL) {
		char *child;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = custody_fs__join(path, de->d_name);
		if (child == NULL)
			break;
		if (de->d_type == DT_DIR)
			remove_tree(child);
		else
			unlink(child);
		free(child);
	}
	closedir(d);
	return rmdir(path);
}

int custody_archive_init(custody_archive **out,
	const custody_init_options *opts, custody_error **err)
{
	custody_init_options defaults = CUSTODY_INIT_OPTIONS_INIT;
	git_repository_init_options gopts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_config *config = NULL;
	custody_archive *a = NULL;
	custody_pack *pack = NULL;
	struct custody_config policy;
	struct custody_entry genesis;
	struct custody_tree_change changes[3] = { { NULL } };
	struct custody_members members = { 0 };
	custody_buf yaml = CUSTODY_BUF_INIT, entry = CUSTODY_BUF_INIT,
		signers = CUSTODY_BUF_INIT;
	char key_line[81];
	char collection[PATH_MAX], *target = NULL, *tmp = NULL,
		*origin = NULL, *packdir = NULL, *parent = NULL, *copy = NULL;
	char now[32], salt[65], path0[64];
	unsigned char raw[20];
	git_oid commit;
	struct stat st;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if ((rc = custody__global_init(err)) != 0)
		return rc;
	if (opts->key == NULL || opts->member == NULL)
		return custody__error(err, CUSTODY_EINVALID, "an archive is "
			"founded by a member: a signing key and its member "
			"name are needed");
	if ((rc = custody_key_name_check(opts->member, err)) != 0)
		return rc;
	if (realpath(opts->collection ? opts->collection : ".", collection)
	    == NULL)
		return custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
			"%s: cannot use as the collection folder",
			opts->collection ? opts->collection : ".");
	if (opts->archive_path) {
		char *p = strdup(opts->archive_path), *pdir, *base;
		char rp[PATH_MAX];

		if (p == NULL)
			return custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
		pdir = dirname(p);
		if (realpath(pdir, rp) == NULL) {
			rc = custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
				"%s: folder for the archive", pdir);
			free(p);
			return rc;
		}
		free(p);
		p = strdup(opts->archive_path);
		base = p ? basename(p) : NULL;
		target = base ? custody_fs__join(rp, base) : NULL;
		free(p);
	} else {
		target = custody_fs__join(collection, ".custody");
	}
	if (target == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	if (lstat(target, &st) == 0) {
		rc = custody__error(err, CUSTODY_EEXISTS, "%s: an archive "
			"(or something else) is already there", target);
		goto done;
	}
	if ((rc = make_origin(&origin, opts->origin, collection, err)) != 0)
		goto done;

	/* Build the whole archive beside its final name, then rename it. */
	copy = strdup(target);
	tmp = malloc(strlen(target) + 16);
	if (copy == NULL || tmp == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	parent = strdup(dirname(copy));
	snprintf(tmp, strlen(target) + 16, "%s.tmpXXXXXX", target);
	if (parent == NULL || mkdtemp(tmp) == NULL) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot create", tmp);
		free(tmp);
		tmp = NULL;
		goto done;
	}
	chmod(tmp, 0700);
	gopts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	gopts.initial_head = "main";
	gopts.description = "custody archive";
	if (git_repository_init_ext(&repo, tmp, &gopts) != 0 ||
	    git_repository_config(&config, repo) != 0 ||
	    git_config_set_int32(config, "custody.version", 1) != 0 ||
	    (opts->archive_path && git_config_set_string(config,
	    "custody.collection", collection) != 0)) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot create "
			"the repository", tmp);
		goto done;
	}

	memset(&policy, 0, sizeof(policy));
	policy.origin = origin;
	policy.sha512 = opts->sha512 != 0;
	policy.store = opts->no_store == 0;
	custody_fs__now_rfc3339(now);
	if ((rc = custody_archive__new_salts(&salt, 1, err)) != 0)
		goto done;
	custody_entry__key_line(key_line,
		custody_pubkey_raw(custody_key_public(opts->key)));
	memset(&genesis, 0, sizeof(genesis));
	genesis.index = 0;
	genesis.type = CUSTODY_ENTRY_GENESIS;
	genesis.time = now;
	genesis.actor = (char *)opts->member;
	genesis.salt = salt;
	genesis.origin = origin;
	genesis.member = (char *)opts->member;
	genesis.key = key_line;
	if ((rc = custody_config__emit(&yaml, &policy, err)) != 0 ||
	    (rc = custody_entry__emit(&entry, &genesis, err)) != 0 ||
	    (rc = custody_members__apply(&members, &genesis, err)) != 0 ||
	    (rc = custody_members__allowed_signers(&members, origin, &signers,
	    err)) != 0)
		goto done;

	packdir = custody_fs__join(tmp, "objects/pack");
	if (packdir == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = custody_pack__open(&pack, packdir, NULL, NULL, err)) != 0 ||
	    (rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, yaml.ptr,
	    yaml.size, raw, err)) != 0)
		goto done;
	git_oid_fromraw(&changes[0].blob, raw);
	changes[0].path = "custody.yaml";
	changes[0].remove = 0;
	if ((rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, entry.ptr,
	    entry.size, raw, err)) != 0)
		goto done;
	git_oid_fromraw(&changes[1].blob, raw);
	custody_archive__entry_path(path0, 0);
	changes[1].path = path0;
	changes[1].remove = 0;
	if ((rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
	    signers.ptr, signers.size, raw, err)) != 0 ||
	    (rc = custody_pack__commit(pack, err)) != 0)
		goto done;
	git_oid_fromraw(&changes[2].blob, raw);
	changes[2].path = CUSTODY_MEMBERS_PATH;
	changes[2].remove = 0;

	a = calloc(1, sizeof(*a));
	if (a != NULL)
		a->root_fd = -1;
	if (a == NULL || (a->gitdir = strdup(tmp)) == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	a->repo = repo;
	repo = NULL;
	a->signer = opts->key;
	a->config = &policy; /* borrowed for the commit: its origin */
	rc = custody_archive__commit(a, changes, 3, genesis.actor,
		"custody init: genesis entry\n", &commit, err);
	a->config = NULL;
	if (rc != 0)
		goto done;
	{
		/* The lock file exists from the start, so taking the lock
		 * leaves the archive exactly as it was. */
		char *lockfile = custody_fs__join(tmp, "custody.lock");

		rc = lockfile ? custody_fs__write_atomic(lockfile, "", 0, 0600,
			err) : custody__error(err, CUSTODY_ENOMEM,
			"out of memory");
		free(lockfile);
		if (rc != 0)
			goto done;
	}
	{
		char *cache = custody_fs__join(tmp, "cache");

		rc = cache ? custody_fs__mkdir(cache, 0700, err) :
			custody__error(err, CUSTODY_ENOMEM, "out of memory");
		free(cache);
		if (rc != 0)
			goto done;
	}
	custody_archive_free(a);
	a = NULL;
	git_config_free(config);
	config = NULL;

	if (rename(tmp, target) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot rename into place", target);
		goto done;
	}
	free(tmp);
	tmp = NULL;
	if ((rc = custody_fs__fsync_dir(parent, err)) != 0)
		goto done;
	{
		custody_open_options oo = CUSTODY_OPEN_OPTIONS_INIT;

		oo.archive_path = target;
		rc = custody_archive_open(out, &oo, err);
		if (rc == 0)
			custody_archive_set_signer(*out, opts->key);
	}
done:
	custody_pack__free(pack);
	custody_archive_free(a);
	git_config_free(config);
	git_repository_free(repo);
	if (tmp != NULL) {
		remove_tree(tmp);
		free(tmp);
	}
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&entry);
	custody_buf_dispose(&signers);
	custody_members__clear(&members);
	free(packdir);
	free(origin);
	free(parent);
	free(copy);
	free(target);
	return rc;
}
