/*
 * custody_clone: a new collection folder whose archive comes from a
 * partner. The archive is built beside its final name (.custody.tmp...),
 * its objects fetched into a quarantine inside it and verified there;
 * only then are they taken in, main set and the folder renamed into
 * place. A refusal removes everything the clone made.
 */
#include "archive.h"
#include "change.h"
#include "common.h"
#include "fsutil.h"
#include "index.h"
#include "sync.h"
#include "tlog_index.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

/* `dir` made, or an empty folder there; *made says which. */
static int collection_folder(const char *dir, int *made,
	custody_error **err)
{
	DIR *d;
	struct dirent *de;
	int empty = 1;

	*made = 0;
	if (mkdir(dir, 0755) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST || (d = opendir(dir)) == NULL)
		return custody__error_sys(err, CUSTODY_EEXISTS, errno, "%s: "
			"cannot make the collection folder", dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty)
		return custody__error(err, CUSTODY_EEXISTS, "%s: exists and is "
			"not empty; clone into a new folder", dir);
	return 0;
}

/* The quarantine's tile cache, made by its verify, becomes the new
 * archive's (the same log); without it the cache is made again later. */
static void keep_tiles(const struct custody_quarantine *q, const char *cache)
{
	char *from = custody_fs__join(q->dir, "cache/tiles");
	char *to = custody_fs__join(cache, "tiles");

	if (from != NULL && to != NULL && rename(from, to) != 0)
		custody_sync__remove_tree(to);
	free(from);
	free(to);
}

/* The bare repository at tmp (named `shown` in messages: the archive
 * it becomes), its main at the verified tip. */
static int build(const char *tmp, const char *shown, const char *url,
	const custody_sync_options *opts, git_oid *tip,
	custody_fetch_result *r, struct custody_verify_keep *keep,
	custody_error **err)
{
	git_repository_init_options gopts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	struct custody_quarantine q = { 0 };
	git_repository *repo = NULL;
	git_config *config = NULL;
	git_remote *origin = NULL;
	git_reference *ref = NULL;
	char *lock = NULL, *cache = NULL;
	int rc = 0;

	gopts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	gopts.initial_head = "main";
	gopts.description = "custody archive";
	if (git_repository_init_ext(&repo, tmp, &gopts) != 0 ||
	    git_repository_config(&config, repo) != 0 ||
	    custody__git_archive_config(config) != 0 ||
	    git_remote_create(&origin, repo, "origin", url) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot create "
			"the repository", shown);
		goto done;
	}
	if ((rc = custody_sync__quarantine_open(&q, tmp, 0, err)) != 0)
		goto done;
	/* a repository on this machine: its packs, not a new one */
	rc = custody_sync__fetch_local(&q, url, opts, tip, err);
	if (rc == 1)
		rc = custody_sync__fetch(&q, url, opts, tip, err);
	if (rc != 0 ||
	    (rc = custody_sync__verify(&q, url, tip, NULL, keep, NULL,
	    err)) != 0)
		goto done;
	git_oid_tostr(r->tip, sizeof(r->tip), tip);
	r->size = custody_archive_size(q.archive);
	r->relation = CUSTODY_SYNC_AHEAD;
	if ((rc = custody_sync__adopt(q.dir, tmp, err)) != 0)
		goto done;
	if (git_reference_create(&ref, repo, "refs/heads/main", tip, 0,
	    "custody clone") != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot set main",
			shown);
		goto done;
	}
	git_reference_free(ref);
	ref = NULL;
	if (git_reference_create(&ref, repo, "refs/remotes/origin/main", tip,
	    0, "custody clone") != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot set main",
			shown);
		goto done;
	}
	lock = custody_fs__join(tmp, "custody.lock");
	cache = custody_fs__join(tmp, "cache");
	if (lock == NULL || cache == NULL)
		rc = custody__oom(err);
	else if ((rc = custody_fs__write_atomic(lock, "", 0, 0600, err)) == 0 &&
	    (rc = custody_fs__mkdir(cache, 0700, err)) == 0)
		keep_tiles(&q, cache);
done:
	custody_sync__quarantine_drop(&q);
	git_reference_free(ref);
	git_remote_free(origin);
	git_config_free(config);
	git_repository_free(repo);
	free(lock);
	free(cache);
	return rc;
}

/* What the verify learnt, saved as the new archive's caches, so that
 * its first sync verifies from its main at once. */
static void keep_caches(custody_archive *a, struct custody_verify_keep *keep)
{
	custody_error *why = NULL;
	git_tree *tree = NULL;

	if (custody_index__save(keep->paths, a, &why) != 0 ||
	    custody_archive__head_tree(a, &tree, &why) != 0 ||
	    custody_tlog_index__save_as(a, tree, keep->rare, &why) != 0)
		custody_archive__notice(a, "%s", custody_error_message(why));
	custody_error_free(why);
	git_tree_free(tree);
	custody_index__free(keep->paths);
	custody_tlog_index__free(keep->rare);
	keep->paths = NULL;
	keep->rare = NULL;
	custody_sync__refresh_caches(a);
}

int custody_clone(const char *url, const char *dir,
	const custody_sync_options *opts, custody_archive **out,
	custody_fetch_result *r, custody_error **err)
{
	custody_open_options oo = CUSTODY_OPEN_OPTIONS_INIT;
	char *gitdir = NULL, *tmp = NULL, *where = NULL;
	char resolved[PATH_MAX];
	struct custody_verify_keep keep = { NULL, NULL };
	git_oid tip;
	int rc, made = 0;

	*out = NULL;
	memset(r, 0, sizeof(*r));
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_SYNC_OPTIONS_VERSION, "custody_sync_options")) != 0 ||
	    (rc = custody__global_init(err)) != 0 ||
	    (rc = collection_folder(dir, &made, err)) != 0)
		return rc;
	if (realpath(dir, resolved) == NULL ||
	    (gitdir = custody_fs__join(resolved, ".custody")) == NULL ||
	    (tmp = custody_fs__join(resolved, ".custody.tmpXXXXXX")) == NULL ||
	    mkdtemp(tmp) == NULL) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"prepare the archive", dir);
		goto fail;
	}
	chmod(tmp, 0700);
	if ((where = custody_sync__local_url(url)) == NULL) {
		rc = custody__oom(err);
		goto fail;
	}
	if ((rc = build(tmp, gitdir, where, opts, &tip, r, &keep, err)) != 0 ||
	    /* the partner's entries are known to others: a later sync
	     * never gives them new indexes */
	    (rc = custody_archive__note_shared_in(tmp, r->size, err)) != 0)
		goto fail;
	if (rename(tmp, gitdir) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"rename into place", gitdir);
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	if ((rc = custody_fs__fsync_dir(resolved, err)) != 0)
		goto fail;
	oo.archive_path = gitdir;
	if ((rc = custody_archive_open(out, &oo, err)) != 0)
		goto fail;
	/* verified above: this machine's base from now on */
	custody_change__remember_head(*out, &tip);
	rc = custody_sync__write_documents(*out, 0, r, err);
	if (rc == 0)
		keep_caches(*out, &keep);
	custody_index__free(keep.paths);
	custody_tlog_index__free(keep.rare);
	free(gitdir);
	free(where);
	return rc;
fail:
	custody_index__free(keep.paths);
	custody_tlog_index__free(keep.rare);
	if (tmp != NULL)
		custody_sync__remove_tree(tmp);
	if (*out == NULL && gitdir != NULL)
		custody_sync__remove_tree(gitdir);
	if (made)
		rmdir(dir);
	free(tmp);
	free(gitdir);
	free(where);
	return rc;
}
