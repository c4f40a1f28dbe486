/*
 * custody init: a new archive, founded by one member, built beside its
 * final name and renamed into place, then opened like any other.
 */
#include "archive.h"
#include "sshwire.h"
#include "change.h"
#include "common.h"
#include "fsutil.h"
#include "members.h"
#include "merkle.h"
#include "pack.h"
#include "tiles.h"
#include "tlog.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
		return *out ? 0 : custody__oom(err);
	}
	base = strrchr(folder, '/');
	base = base ? base + 1 : folder;
	origin = malloc(strlen(base) + 16);
	if (origin == NULL)
		return custody__oom(err);
	j = (size_t)snprintf(origin, 16, "local/");
	for (const char *p = base; *p && j < 200; p++)
		origin[j++] = (*p >= '!' && *p <= '~') ? *p : '_';
	if (j == 6)
		origin[j++] = '_';
	origin[j] = '\0';
	*out = origin;
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

/* Where the archive goes: opts->archive_path in a folder that exists,
 * or .custody in the collection. */
static int resolve_target(const custody_init_options *opts,
	const char *collection, char **out, custody_error **err)
{
	*out = NULL;
	if (opts->archive_path) {
		char *p = strdup(opts->archive_path), *pdir, *base;
		char rp[PATH_MAX];
		int rc;

		if (p == NULL)
			return custody__oom(err);
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
		*out = base ? custody_fs__join(rp, base) : NULL;
		free(p);
	} else {
		*out = custody_fs__join(collection, ".custody");
	}
	if (*out == NULL)
		return custody__oom(err);
	return 0;
}

/* A fresh folder beside `target` to build the archive in (*tmp_out),
 * and target's folder (*parent_out), synced once it is renamed. */
static int make_temp(const char *target, char **tmp_out, char **parent_out,
	custody_error **err)
{
	char *copy = strdup(target), *tmp = malloc(strlen(target) + 16);
	int rc = 0;

	*tmp_out = NULL;
	*parent_out = NULL;
	if (copy == NULL || tmp == NULL) {
		rc = custody__oom(err);
		free(tmp);
		goto done;
	}
	*parent_out = strdup(dirname(copy));
	snprintf(tmp, strlen(target) + 16, "%s.tmpXXXXXX", target);
	if (*parent_out == NULL || mkdtemp(tmp) == NULL) {
		/* named as the archive it was to become, not as the
		 * temporary folder, which never existed */
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot create", target);
		free(tmp);
		goto done;
	}
	chmod(tmp, 0700);
	*tmp_out = tmp;
done:
	free(copy);
	return rc;
}

/* The bare repository at `gitdir`, its config naming the collection
 * when the archive lives elsewhere (`collection` not NULL). */
static int make_repository(const char *gitdir, const char *collection,
	git_repository **out, custody_error **err)
{
	git_repository_init_options gopts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_config *config = NULL;
	int rc = 0;

	*out = NULL;
	gopts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	gopts.initial_head = "main";
	gopts.description = "custody archive";
	if (git_repository_init_ext(out, gitdir, &gopts) != 0 ||
	    git_repository_config(&config, *out) != 0 ||
	    custody__git_archive_config(config) != 0 ||
	    (collection && git_config_set_string(config,
	    "custody.collection", collection) != 0))
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot create "
			"the repository", gitdir);
	git_config_free(config);
	return rc;
}

/* The files of the genesis commit: custody.yaml, entry 0's two parts
 * and members/allowed_signers. */
#define GENESIS_FILES 4
struct genesis {
	custody_buf yaml, entry, signers, part;
	char path0[64], private0[64];
};

static int genesis_files(struct genesis *g,
	const struct custody_config *policy, const custody_key *key,
	const char *member, custody_error **err)
{
	struct custody_members members = { 0 };
	struct custody_entry e;
	char key_line[81], now[32], salt[2][65];
	unsigned char leaf[32];
	int rc;

	custody_fs__now_rfc3339(now);
	if ((rc = custody_change__new_salts(salt, 2, err)) != 0)
		return rc;
	custody_sshwire__key_line(key_line,
		custody_pubkey_raw(custody_key_public(key)));
	memset(&e, 0, sizeof(e));
	e.index = 0;
	e.type = CUSTODY_ENTRY_GENESIS;
	e.time = now;
	e.actor = (char *)member;
	e.salt = salt[0];
	e.opening = salt[1];
	e.origin = policy->origin;
	e.log_key = policy->log_key;
	e.member = (char *)member;
	e.key = key_line;
	if ((rc = custody_config__emit(&g->yaml, policy, err)) == 0 &&
	    (rc = custody_entry__emit(&g->entry, &e, err)) == 0) {
		custody_merkle__leaf_hash(g->entry.ptr, g->entry.size, leaf);
		rc = custody_entry__emit_private(&g->part, &e, leaf, err);
	}
	if (rc == 0 && (rc = custody_members__apply(&members, &e, err)) == 0)
		rc = custody_members__allowed_signers(&members,
			policy->origin, &g->signers, err);
	custody_members__clear(&members);
	custody_archive__entry_path(g->path0, 0);
	custody_archive__private_path(g->private0, 0);
	return rc;
}

/* Store the genesis files as one pack in `gitdir`; changes[] then name
 * them for the commit. */
static int store_genesis(const char *gitdir, struct genesis *g,
	struct custody_tree_change changes[GENESIS_FILES], custody_error **err)
{
	const custody_buf *blobs[GENESIS_FILES] = { &g->yaml, &g->entry,
		&g->signers, &g->part };
	const char *paths[GENESIS_FILES] = { "custody.yaml", g->path0,
		CUSTODY_MEMBERS_PATH, g->private0 };
	char *packdir = custody_fs__join(gitdir, "objects/pack");
	custody_pack *pack = NULL;
	unsigned char raw[20];
	int rc;

	if (packdir == NULL)
		return custody__oom(err);
	rc = custody_pack__open(&pack, packdir, NULL, NULL, err);
	for (int i = 0; i < GENESIS_FILES && rc == 0; i++) {
		if ((rc = custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
		    blobs[i]->ptr, blobs[i]->size, raw, err)) != 0)
			break;
		git_oid_fromraw(&changes[i].blob, raw);
		changes[i].path = paths[i];
		changes[i].remove = 0;
	}
	if (rc == 0)
		rc = custody_pack__commit(pack, err);
	custody_pack__free(pack);
	free(packdir);
	return rc;
}

/*
 * The genesis commit, made from what it needs (no handle can be opened
 * on a repository without a commit): its checkpoint covers entry 0,
 * whose leaf then starts the tile cache.
 */
static int commit_genesis(const char *gitdir, git_repository *repo,
	const char *origin, const custody_init_options *opts,
	const struct genesis *g,
	const struct custody_tree_change changes[GENESIS_FILES],
	custody_error **err)
{
	struct custody_commit_base base;
	struct custody_tiles *tiles = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	char *cache = custody_fs__join(gitdir, "cache");
	char *dir = custody_fs__join(gitdir, "cache/tiles");
	unsigned char leaf[1][32];
	uint64_t have;
	git_oid commit;
	int rc;

	if (cache == NULL || dir == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	custody_merkle__leaf_hash(g->entry.ptr, g->entry.size, leaf[0]);
	if ((rc = custody_fs__mkdir(cache, 0700, err)) != 0 ||
	    (rc = custody_tiles__open(&tiles, dir, &have, err)) != 0 ||
	    (rc = custody_tlog__sign_checkpoint(tiles,
	    (const unsigned char (*)[32])leaf, 1, origin, opts->log_key, &note,
	    err)) != 0)
		goto done;
	memset(&base, 0, sizeof(base));
	base.gitdir = gitdir;
	base.repo = repo;
	base.signer = opts->key;
	base.time = (int64_t)time(NULL);
	if ((rc = custody_change__commit(&base, changes, GENESIS_FILES, &note,
	    opts->member,
	    "custody init: genesis entry\n", &commit, err)) != 0)
		goto done;
	/* a cache: if this fails, the first change catches it up */
	custody_tiles__append(tiles, (const unsigned char (*)[32])leaf, 1,
		NULL);
done:
	custody_tiles__free(tiles);
	custody_buf_dispose(&note);
	free(cache);
	free(dir);
	return rc;
}

/* The lock file exists from the start, so taking the lock leaves the
 * archive exactly as it was. */
static int make_lock_file(const char *gitdir, custody_error **err)
{
	char *lockfile = custody_fs__join(gitdir, "custody.lock");
	int rc;

	rc = lockfile ? custody_fs__write_atomic(lockfile, "", 0, 0600, err) :
		custody__oom(err);
	free(lockfile);
	return rc;
}

/* Build the whole archive at `tmp`, beside its final name. */
static int build_archive(const char *tmp, const char *collection,
	const char *origin, const custody_init_options *opts,
	custody_error **err)
{
	git_repository *repo = NULL;
	struct custody_config policy;
	struct custody_tree_change changes[GENESIS_FILES] = { { NULL } };
	struct genesis g = { CUSTODY_BUF_INIT, CUSTODY_BUF_INIT,
		CUSTODY_BUF_INIT, CUSTODY_BUF_INIT, "", "" };
	int rc;

	custody_buf vkey = CUSTODY_BUF_INIT;

	memset(&policy, 0, sizeof(policy));
	policy.origin = (char *)origin;
	policy.sha512 = opts->sha512 != 0;
	policy.store = opts->no_store == 0;
	policy.no_media_types = opts->no_media_types != 0;
	if ((rc = custody_pubkey_vkey(custody_key_public(opts->log_key),
	    origin, &vkey, err)) != 0)
		return rc;
	policy.log_key = vkey.ptr;
	if ((rc = make_repository(tmp, opts->archive_path ? collection : NULL,
	    &repo, err)) == 0 &&
	    (rc = genesis_files(&g, &policy, opts->key, opts->member,
	    err)) == 0 &&
	    (rc = store_genesis(tmp, &g, changes, err)) == 0 &&
	    (rc = commit_genesis(tmp, repo, origin, opts, &g, changes,
	    err)) == 0)
		rc = make_lock_file(tmp, err);
	git_repository_free(repo);
	custody_buf_dispose(&vkey);
	custody_buf_dispose(&g.yaml);
	custody_buf_dispose(&g.entry);
	custody_buf_dispose(&g.signers);
	custody_buf_dispose(&g.part);
	return rc;
}

int custody_archive_init(custody_archive **out,
	const custody_init_options *opts, custody_error **err)
{
	custody_init_options defaults = CUSTODY_INIT_OPTIONS_INIT;
	custody_open_options oo = CUSTODY_OPEN_OPTIONS_INIT;
	char collection[PATH_MAX], *target = NULL, *tmp = NULL,
		*origin = NULL, *parent = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_INIT_OPTIONS_VERSION, "custody_init_options")) != 0)
		return rc;
	if ((rc = custody__global_init(err)) != 0)
		return rc;
	if (opts->key == NULL || opts->member == NULL)
		return custody__error(err, CUSTODY_EINVALID, "an archive is "
			"founded by a member: a signing key and its member "
			"name are needed");
	if (opts->log_key == NULL)
		return custody__error(err, CUSTODY_EINVALID, "an archive needs "
			"an outlet key (log key) to sign its checkpoints");
	if ((rc = custody_key_wait(opts->log_key, err)) != 0)
		return rc;
	if ((rc = custody_key_name_check(opts->member, err)) != 0)
		return rc;
	if (realpath(opts->collection ? opts->collection : ".", collection)
	    == NULL)
		return custody__error_sys(err, CUSTODY_ENOTFOUND, errno,
			"%s: cannot use as the collection folder",
			opts->collection ? opts->collection : ".");
	if ((rc = resolve_target(opts, collection, &target, err)) != 0)
		return rc;
	if (lstat(target, &st) == 0) {
		rc = custody__error(err, CUSTODY_EEXISTS, "%s: an archive "
			"(or something else) is already there", target);
		goto done;
	}
	if ((rc = make_origin(&origin, opts->origin, collection, err)) != 0 ||
	    (rc = make_temp(target, &tmp, &parent, err)) != 0 ||
	    (rc = build_archive(tmp, collection, origin, opts, err)) != 0)
		goto done;
	if (rename(tmp, target) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot rename into place", target);
		goto done;
	}
	free(tmp);
	tmp = NULL;
	if ((rc = custody_fs__fsync_dir(parent, err)) != 0)
		goto done;
	/* the handle comes from the normal open path, as for any archive */
	oo.archive_path = target;
	if ((rc = custody_archive_open(out, &oo, err)) == 0) {
		custody_archive_set_signer(*out, opts->key);
		custody_archive_set_log_key(*out, opts->log_key);
	}
done:
	if (tmp != NULL) {
		remove_tree(tmp);
		free(tmp);
	}
	free(origin);
	free(parent);
	free(target);
	return rc;
}

int custody_init_options_init(custody_init_options *opts, unsigned int version)
{
	static const custody_init_options fresh = CUSTODY_INIT_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_INIT_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
