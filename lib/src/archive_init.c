/* custody init: a new archive, founded by one member. */
#include "archive.h"
#include "change.h"
#include "error.h"
#include "fsutil.h"
#include "members.h"
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	if ((rc = custody_change__new_salts(&salt, 1, err)) != 0)
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
	rc = custody_change__commit(a, changes, 3, genesis.actor,
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
