/*
 * Partner outlets (custody/sync.h): fetch into a quarantine, verify
 * there, then take the objects in and move a ref by compare-and-swap.
 *
 * The quarantine is a bare repository in quarantine/ inside the
 * archive's folder. Its object store borrows the archive's (through
 * objects/info/alternates), so a fetch brings only what is new, and
 * lands in the quarantine's own store, which the archive never reads.
 * It is opened as an archive of its own and verified in full; only a
 * history that passes, and that extends this archive's, has its packs
 * and loose objects moved into the archive's store. Whatever happens,
 * the quarantine is removed.
 */
#include "archive.h"
#include "archive_verify.h"
#include "change.h"
#include "common.h"
#include "digest.h"
#include "fsutil.h"
#include "lock.h"
#include "map.h"
#include "index.h"
#include "tiles.h"
#include "tlog.h"
#include "tlog_index.h"
#include "checkpoint.h"
#include "note.h"
#include "sync.h"
#include "custody/sync.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define MAIN_REF "refs/heads/main"

int custody_sync_options_init(custody_sync_options *opts,
	unsigned int version)
{
	static const custody_sync_options fresh = CUSTODY_SYNC_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_SYNC_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}

/* ---- removing a folder tree ---- */

static int remove_entry(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 &&
		errno != ENOENT ? -1 : 0;
}

void custody_sync__remove_tree(const char *path)
{
	if (path != NULL)
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the remote ---- */

char *custody_sync__local_url(const char *url)
{
	char real[PATH_MAX];
	struct stat st;
	char *archive;

	if (strstr(url, "://") != NULL || realpath(url, real) == NULL)
		return strdup(url);
	archive = custody_fs__join(real, ".custody");
	if (archive != NULL && stat(archive, &st) == 0 && S_ISDIR(st.st_mode))
		return archive;
	free(archive);
	return strdup(real);
}

/* `remote` as a configured remote's name (*name_out set, *url_out its
 * URL) or as a URL or path (*name_out NULL); both malloc'd. */
static int resolve_remote(custody_archive *a, const char *remote,
	char **url_out, char **name_out, custody_error **err)
{
	const char *name = remote != NULL ? remote : "origin";
	git_remote *r = NULL;

	*url_out = NULL;
	*name_out = NULL;
	if (git_remote_lookup(&r, a->repo, name) == 0) {
		const char *url = git_remote_url(r);

		*url_out = url ? strdup(url) : NULL;
		*name_out = strdup(name);
		git_remote_free(r);
		if (*url_out == NULL || *name_out == NULL) {
			free(*url_out);
			free(*name_out);
			*url_out = *name_out = NULL;
			return url ? custody__oom(err) : custody__error(err,
				CUSTODY_EINVALID, "remote '%s' has no URL",
				name);
		}
		return 0;
	}
	git_error_clear();
	if (remote == NULL)
		return custody__error(err, CUSTODY_ENOTFOUND, "no remote named "
			"'origin', and none was given");
	if (strchr(remote, ':') == NULL && access(remote, F_OK) != 0)
		return custody__error(err, CUSTODY_ENOTFOUND, "no remote named "
			"'%s', and no folder there", remote);
	if ((*url_out = custody_sync__local_url(remote)) == NULL)
		return custody__oom(err);
	return 0;
}

/* ---- the quarantine ---- */

/* Held (flock) by the process a quarantine belongs to, as long as it
 * lives: one whose lock can be taken was left by a process that died. */
#define IN_USE "in-use"
/* A quarantine without its in-use file is left alone this long (its
 * process may be between making the folder and the file). */
#define STALE_SECONDS 3600

/* Remove the quarantines killed processes left in `top`. */
static void remove_stale(const char *top)
{
	DIR *d = opendir(top);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char *dir, *lock;
		struct stat st;
		int fd, stale = 0;

		if (strncmp(de->d_name, "q.", 2) != 0 ||
		    (dir = custody_fs__join(top, de->d_name)) == NULL)
			continue;
		if ((lock = custody_fs__join(dir, IN_USE)) != NULL &&
		    (fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			stale = flock(fd, LOCK_EX | LOCK_NB) == 0;
			close(fd);
		} else if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			stale = time(NULL) - st.st_mtime > STALE_SECONDS;
		}
		if (stale)
			custody_sync__remove_tree(dir);
		free(lock);
		free(dir);
	}
	if (d != NULL)
		closedir(d);
}

/* The quarantine's in-use file, made and held. */
static int hold(struct custody_quarantine *q, custody_error **err)
{
	char *path = custody_fs__join(q->dir, IN_USE);
	int fd;

	if (path == NULL)
		return custody__oom(err);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0600);
	free(path);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (fd >= 0)
			close(fd);
		return custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"hold the quarantine", q->dir);
	}
	q->lock_fd = fd;
	q->locked = 1;
	return 0;
}

int custody_sync__quarantine_open(struct custody_quarantine *q,
	const char *gitdir, int borrow, custody_error **err)
{
	git_repository_init_options gopts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	char *top = custody_fs__join(gitdir, "quarantine");
	int rc = 0;

	memset(q, 0, sizeof(*q));
	if (top == NULL)
		return custody__oom(err);
	if ((rc = custody_fs__mkdir(top, 0700, err)) != 0)
		goto done;
	remove_stale(top);
	q->dir = custody_fs__join(top, "q.XXXXXX");
	if (q->dir == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (mkdtemp(q->dir) == NULL) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s: cannot "
			"create the quarantine", q->dir);
		free(q->dir);
		q->dir = NULL;
		goto done;
	}
	if ((rc = hold(q, err)) != 0)
		goto done;
	gopts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	gopts.initial_head = "main";
	if (git_repository_init_ext(&q->repo, q->dir, &gopts) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot create "
			"the quarantine", q->dir);
		goto done;
	}
	if (borrow) {
		/* what the archive holds need not come again */
		char *alt = custody_fs__join(q->dir, "objects/info/alternates");
		custody_buf line = CUSTODY_BUF_INIT;

		if (alt == NULL || custody_buf__printf(&line, "%s/objects\n",
		    gitdir) != 0)
			rc = custody__oom(err);
		else
			rc = custody_fs__write_atomic(alt, line.ptr, line.size,
				0600, err);
		free(alt);
		custody_buf_dispose(&line);
		git_repository_free(q->repo);
		q->repo = NULL;
		if (rc == 0 && git_repository_open_bare(&q->repo, q->dir) != 0)
			rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot "
				"open the quarantine", q->dir);
	}
done:
	free(top);
	if (rc != 0)
		custody_sync__quarantine_drop(q);
	return rc;
}

void custody_sync__quarantine_drop(struct custody_quarantine *q)
{
	custody_archive_free(q->archive);
	git_repository_free(q->repo);
	custody_sync__remove_tree(q->dir);
	if (q->locked)
		close(q->lock_fd);
	free(q->dir);
	memset(q, 0, sizeof(*q));
}

/* ---- the fetch ---- */

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	struct custody_sync_transfer *t = payload;

	if (stats->received_bytes > t->max_bytes) {
		t->too_big = CUSTODY_SYNC__PAST_MAX_BYTES;
		return -1;
	}
	if (t->opts != NULL && t->opts->progress != NULL)
		t->opts->progress("receiving objects", stats->received_objects,
			stats->total_objects, stats->received_bytes, 0,
			t->opts->payload);
	return 0;
}

int custody_sync__credentials(git_credential **out, const char *url,
	const char *user, unsigned int allowed, void *payload)
{
	struct custody_sync_transfer *t = payload;
	const char *key = getenv("CUSTODY_SSH_KEY");

	(void)url;
	/* one try: a refused key is not offered again and again */
	if (t != NULL && t->credential_tries++ > 0) {
		char msg[PATH_MAX + 128];

		snprintf(msg, sizeof(msg), "the SSH host refused the key %s%s%s "
			"for user %s", key ? "in " : "", key ? key : "of the "
			"ssh agent", key ? " (CUSTODY_SSH_KEY)" : "",
			user ? user : "git");
		git_error_set_str(GIT_ERROR_SSH, msg);
		return GIT_EUSER;
	}
	if (user == NULL)
		user = "git";
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		char pub[PATH_MAX];

		if (key == NULL)
			return git_credential_ssh_key_from_agent(out, user);
		snprintf(pub, sizeof(pub), "%s.pub", key);
		return git_credential_ssh_key_new(out, user,
			access(pub, R_OK) == 0 ? pub : NULL, key, NULL);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	return GIT_PASSTHROUGH;
}

/* The remote's main into the quarantine's refs/heads/main. */
int custody_sync__fetch(struct custody_quarantine *q, const char *url,
	const custody_sync_options *opts, git_oid *tip, custody_error **err)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	char *spec[] = { "+" MAIN_REF ":" MAIN_REF };
	git_strarray specs = { spec, 1 };
	struct custody_sync_transfer t;
	git_remote *remote = NULL;
	int rc = 0;

	if ((rc = custody_sync__tls_setup(err)) != 0)
		return rc;
	custody_sync__transfer_init(&t, opts);
	fo.callbacks.transport = custody_sync__transport;
	fo.callbacks.transfer_progress = on_transfer;
	fo.callbacks.credentials = custody_sync__credentials;
	fo.callbacks.certificate_check = custody_sync__check_host;
	fo.callbacks.payload = &t;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	if (git_remote_create_anonymous(&remote, q->repo, url) != 0)
		return custody__error_git(err, CUSTODY_EINVALID, "%s: not a "
			"remote custody can fetch from", url);
	if (git_remote_fetch(remote, &specs, &fo, NULL) != 0) {
		if (t.too_big)
			rc = custody_sync__too_big(&t, url, err);
		else
			rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot "
				"fetch; nothing was changed", url);
		goto done;
	}
	if (git_reference_name_to_id(tip, q->repo, MAIN_REF) != 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: has no main "
			"branch: not a custody archive", url);
done:
	git_error_clear();
	git_remote_free(remote);
	return rc;
}

/* ---- verifying what arrived ---- */

struct problems {
	custody_buf text;
	uint64_t count;
};

static int on_problem(const custody_problem *p, void *payload)
{
	struct problems *fp = payload;

	if (fp->count++ < 5)
		custody_buf__printf(&fp->text, "\n  %s: %s", p->where,
			p->message);
	return 0;
}

/* Verify q's main from our main when it extends it and we have a base
 * to trust, else from the root. */
static int verify_quarantine(struct custody_quarantine *q,
	custody_archive *local, struct custody_verify_keep *keep,
	uint64_t *from, custody_problem_cb cb, void *payload,
	custody_verify_summary *sum, custody_error **err)
{
	struct custody_verify_base base;
	custody_error *why = NULL;
	int rc;

	*from = 0;
	if (keep != NULL)
		return custody_archive__verify_keep(q->archive, cb, payload,
			sum, keep, err);
	if (local == NULL || !local->has_head ||
	    git_graph_descendant_of(q->repo, &q->archive->head,
	    &local->head) != 1)
		return custody_archive_verify(q->archive, NULL, cb, payload,
			sum, err);
	if ((rc = custody_archive__verify_base(&base, local, &why)) != 0) {
		custody_error_free(why);
		if (rc == CUSTODY_ENOMEM)
			return custody__oom(err);
		return custody_archive_verify(q->archive, NULL, cb, payload,
			sum, err);
	}
	*from = base.size;
	rc = custody_archive__verify_from(q->archive, &base, cb, payload,
		sum, err);
	custody_archive__verify_base_clear(&base);
	return rc;
}

int custody_sync__verify(struct custody_quarantine *q, const char *url,
	const git_oid *tip, custody_archive *local,
	struct custody_verify_keep *keep, uint64_t *checked_from,
	custody_error **err)
{
	uint64_t from = 0;
	custody_open_options oo = CUSTODY_OPEN_OPTIONS_INIT;
	custody_verify_summary sum;
	struct problems fp;
	custody_error *verr = NULL;
	char hex[41];
	int rc;

	git_oid_tostr(hex, sizeof(hex), tip);
	oo.archive_path = q->dir;
	if ((rc = custody_archive_open(&q->archive, &oo, &verr)) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: its main "
			"(%.12s) is not a custody archive: %s; nothing was "
			"changed", url, hex, custody_error_message(verr));
		custody_error_free(verr);
		return rc;
	}
	memset(&fp, 0, sizeof(fp));
	rc = verify_quarantine(q, local, keep, &from, on_problem, &fp, &sum,
		&verr);
	if (checked_from != NULL)
		*checked_from = from;
	if (rc != 0 && fp.count > 0)
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: its main "
			"(%.12s) fails verification, so nothing was taken in "
			"and nothing was changed (%" PRIu64 " problem%s):%s",
			url, hex, fp.count, fp.count == 1 ? "" : "s",
			fp.text.ptr ? fp.text.ptr : "");
	else if (rc != 0 && err != NULL) {
		*err = verr;
		verr = NULL;
	}
	custody_error_free(verr);
	custody_buf_dispose(&fp.text);
	return rc;
}

/* ---- taking the objects in ---- */

/* Move every file of from/<sub> into to/<sub>; packs before their
 * indexes, so an index never names a pack that is not there yet. */
static int move_files(const char *from, const char *to, const char *sub,
	int indexes_last, custody_error **err)
{
	char *src = custody_fs__join(from, sub), *dst = custody_fs__join(to,
		sub);
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0, moved = 0;

	if (src == NULL || dst == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((d = opendir(src)) == NULL)
		goto done;      /* nothing there */
	for (int pass = 0; pass < (indexes_last ? 2 : 1) && rc == 0; pass++) {
		rewinddir(d);
		while (rc == 0 && (de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);
			int is_idx = n > 4 && strcmp(de->d_name + n - 4,
				".idx") == 0;
			char *s, *t;

			if (de->d_name[0] == '.' || (indexes_last &&
			    is_idx != (pass == 1)))
				continue;
			if (!moved && (rc = custody_fs__mkdir(dst, 0755, err))
			    != 0)
				break;
			s = custody_fs__join(src, de->d_name);
			t = custody_fs__join(dst, de->d_name);
			if (s == NULL || t == NULL)
				rc = custody__oom(err);
			else if (rename(s, t) != 0)
				rc = custody__error_sys(err, CUSTODY_EIO, errno,
					"%s: cannot take in", s);
			moved = 1;
			free(s);
			free(t);
		}
	}
	if (rc == 0 && moved)
		rc = custody_fs__fsync_dir(dst, err);
done:
	if (d != NULL)
		closedir(d);
	free(src);
	free(dst);
	return rc;
}

int custody_sync__adopt(const char *qdir, const char *gitdir,
	custody_error **err)
{
	char *from = custody_fs__join(qdir, "objects");
	char *to = custody_fs__join(gitdir, "objects");
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if (from == NULL || to == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* loose objects first: a pack is found as soon as it is moved */
	if ((d = opendir(from)) != NULL) {
		while (rc == 0 && (de = readdir(d)) != NULL)
			if (strlen(de->d_name) == 2 &&
			    strspn(de->d_name, "0123456789abcdef") == 2)
				rc = move_files(from, to, de->d_name, 0, err);
		closedir(d);
	}
	if (rc == 0)
		rc = move_files(from, to, "pack", 1, err);
done:
	free(from);
	free(to);
	return rc;
}

/* ---- where the two histories stand ---- */

static custody_sync_relation relation(git_repository *repo,
	const git_oid *tip, const git_oid *head, int has_head)
{
	if (!has_head)
		return CUSTODY_SYNC_AHEAD;
	if (git_oid_equal(tip, head))
		return CUSTODY_SYNC_SAME;
	if (git_graph_descendant_of(repo, tip, head) == 1)
		return CUSTODY_SYNC_AHEAD;
	if (git_graph_descendant_of(repo, head, tip) == 1)
		return CUSTODY_SYNC_BEHIND;
	return CUSTODY_SYNC_DIVERGED;
}

/* The checkpoint at commit `id` (its note and parsed form). */
static int checkpoint_at(git_repository *repo, const git_oid *id,
	custody_buf *note, struct custody_checkpoint *cp)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	size_t text_len;
	int rc = -1;

	if (git_commit_lookup(&c, repo, id) == 0 &&
	    git_commit_tree(&tree, c) == 0 &&
	    git_tree_entry_bypath(&te, tree, CUSTODY_CHECKPOINT_PATH) == 0 &&
	    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) == 0 &&
	    git_blob_rawsize(blob) < 65536 &&
	    custody_buf__append(note, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob)) == 0 &&
	    custody_note__split(note->ptr, note->size, &text_len, NULL) == 0 &&
	    custody_checkpoint__parse(cp, note->ptr, text_len, NULL) == 0)
		rc = 0;
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_commit_free(c);
	git_error_clear();
	return rc;
}

int custody_sync__keep_evidence(custody_archive *a, const char *kind,
	const char *ext, custody_sync_claim_fn claim, void *payload,
	char **path_out, custody_error **err)
{
	char *top = custody_fs__join(a->gitdir, "evidence"), *path = NULL;
	char when[32], name[128];
	int rc;

	*path_out = NULL;
	custody_fs__now_rfc3339(when);
	for (char *c = when; *c; c++)
		if (*c == ':')
			*c = '-';
	if (top == NULL)
		return custody__oom(err);
	if ((rc = custody_fs__mkdir(top, 0700, err)) != 0)
		goto done;
	rc = CUSTODY_EEXISTS;
	for (int n = 1; rc == CUSTODY_EEXISTS && n < 1000; n++) {
		custody_error *why = NULL;

		snprintf(name, sizeof(name), "%s-%s-%d%s", kind, when, n, ext);
		free(path);
		if ((path = custody_fs__join(top, name)) == NULL) {
			rc = custody__oom(err);
			break;
		}
		rc = claim(path, payload, &why);
		if (rc != 0 && rc != CUSTODY_EEXISTS && err != NULL) {
			*err = why;
			why = NULL;
		}
		custody_error_free(why);
	}
	if (rc == CUSTODY_EEXISTS)
		rc = custody__error(err, CUSTODY_EEXISTS, "%s: no free name "
			"for %s evidence", top, kind);
	if (rc == 0 && (rc = custody_fs__fsync_dir(top, err)) == 0) {
		*path_out = path;
		path = NULL;
	}
done:
	free(path);
	free(top);
	return rc;
}

/* A claim: the folder made (CUSTODY_EEXISTS if it is there). */
static int claim_folder(const char *path, void *payload, custody_error **err)
{
	(void)payload;
	if (mkdir(path, 0700) == 0)
		return 0;
	return errno == EEXIST ? CUSTODY_EEXISTS : custody__error_sys(err,
		CUSTODY_EIO, errno, "%s: cannot create", path);
}

/* Save both checkpoints of a fork under evidence/, never overwriting;
 * the folder's name into *where. */
static int keep_fork(custody_archive *a, const char *url,
	const custody_buf *ours, const custody_buf *theirs,
	custody_buf *where, custody_error **err)
{
	custody_buf readme = CUSTODY_BUF_INIT;
	char *dir = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL;
	int rc;

	if ((rc = custody_sync__keep_evidence(a, "fork", "", claim_folder,
	    NULL, &dir, err)) != 0)
		return rc;
	p1 = custody_fs__join(dir, "ours.checkpoint");
	p2 = custody_fs__join(dir, "theirs.checkpoint");
	p3 = custody_fs__join(dir, "README");
	if (p1 == NULL || p2 == NULL || p3 == NULL ||
	    custody_buf__printf(&readme, "Two signed checkpoints of one log "
	    "that cannot both be true.\n\nours.checkpoint: this archive's "
	    "main when it fetched\ntheirs.checkpoint: the main of %s\n\n"
	    "Neither history extends the other, and the larger log's tree "
	    "at the smaller one's size has another root. Check the "
	    "signatures with the outlet's key (custody consistency OLD NEW "
	    "--proof ... --key ...).\n", url) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__write_new(p1, ours->ptr, ours->size, 0600,
	    err)) != 0 || (rc = custody_fs__write_new(p2, theirs->ptr,
	    theirs->size, 0600, err)) != 0 ||
	    (rc = custody_fs__write_new(p3, readme.ptr, readme.size, 0600,
	    err)) != 0 || (rc = custody_fs__fsync_dir(dir, err)) != 0)
		goto done;
	rc = custody_buf__printf(where, "%s", dir) != 0 ?
		custody__oom(err) : 0;
done:
	custody_buf_dispose(&readme);
	free(dir);
	free(p1);
	free(p2);
	free(p3);
	return rc;
}

/*
 * Neither history extends the other. When the checkpoints at the two
 * heads cannot both be true (the larger log's root at the smaller
 * size differs), that is a fork: both are kept as evidence.
 */
static int refuse_diverged(custody_archive *a, struct custody_quarantine *q,
	const char *url, const git_oid *tip, const custody_error *why,
	custody_error **err)
{
	struct custody_checkpoint ours, theirs;
	custody_buf on = CUSTODY_BUF_INIT, tn = CUSTODY_BUF_INIT;
	custody_buf where = CUSTODY_BUF_INIT;
	struct custody_tiles *t = NULL;
	unsigned char root[32];
	char hex[41];
	int rc, fork = 0;

	git_oid_tostr(hex, sizeof(hex), tip);
	if (checkpoint_at(a->repo, &a->head, &on, &ours) == 0 &&
	    checkpoint_at(q->repo, tip, &tn, &theirs) == 0) {
		const struct custody_checkpoint *small = ours.size <=
			theirs.size ? &ours : &theirs;
		custody_archive *big = ours.size <= theirs.size ? q->archive :
			a;

		if (big != NULL && custody_tlog__tiles(big, &t, NULL) == 0 &&
		    (small->size > custody_tiles__size(t) ||
		    custody_tiles__root(t, small->size, root, NULL) != 0 ||
		    CRYPTO_memcmp(root, small->root, 32) != 0))
			fork = 1;
		custody_tiles__free(t);
	}
	if (fork && (rc = keep_fork(a, url, &on, &tn, &where, err)) != 0)
		goto done;
	if (fork)
		rc = custody__error(err, CUSTODY_EVERIFY, "fork: %s's main "
			"(%.12s, checkpoint of size %" PRIu64 ") and this "
			"archive's (%.12s, size %" PRIu64 ") are two histories "
			"of %s that cannot both be true; both checkpoints are "
			"kept in %s (%s); nothing was changed", url, hex,
			theirs.size, a->head_hex, ours.size, a->config->origin,
			where.ptr, custody_error_message(why));
	else
		rc = custody__error(err, CUSTODY_EVERIFY, "%s's main (%.12s) "
			"does not extend this archive's (%.12s), nor it "
			"theirs: both added commits, and this archive's cannot "
			"be appended again after theirs: %s; nothing was "
			"changed", url, hex, a->head_hex,
			custody_error_message(why));
done:
	custody_buf_dispose(&on);
	custody_buf_dispose(&tn);
	custody_buf_dispose(&where);
	return rc;
}

/* ---- fetch, sync, push ---- */

/* A ref to `id`, only if it still points where it did (`old`; NULL:
 * it must not exist). */
static int swap_ref(git_repository *repo, const char *name,
	const git_oid *id, const git_oid *old, const char *why,
	custody_error **err)
{
	git_reference *ref = NULL;
	int rc = old != NULL ?
		git_reference_create_matching(&ref, repo, name, id, 1, old,
			why) :
		git_reference_create(&ref, repo, name, id, 0, why);

	git_reference_free(ref);
	if (rc != 0)
		return custody__error_git(err, CUSTODY_EEXISTS, "%s moved "
			"while the fetch was checked; nothing was changed, try "
			"again", name);
	return 0;
}

/*
 * A named remote's main must extend what it showed before (its
 * remote-tracking ref): one that was moved back or rewritten is refused,
 * even when this archive's main holds it (a partner cannot take back
 * what it published).
 */
static int check_moved_back(custody_archive *a, struct custody_quarantine *q,
	const char *name, const char *url, const git_oid *tip,
	custody_error **err)
{
	git_oid seen;
	char ref[300], hex[41], seen_hex[41];

	if (name == NULL)
		return 0;
	snprintf(ref, sizeof(ref), "refs/remotes/%s/main", name);
	if (git_reference_name_to_id(&seen, a->repo, ref) != 0) {
		git_error_clear();
		return 0;
	}
	if (git_oid_equal(&seen, tip) ||
	    git_graph_descendant_of(q->repo, tip, &seen) == 1)
		return 0;
	git_error_clear();
	git_oid_tostr(hex, sizeof(hex), tip);
	git_oid_tostr(seen_hex, sizeof(seen_hex), &seen);
	return custody__error(err, CUSTODY_EVERIFY, "%s: its main (%.12s) "
		"does not extend %.12s, which it had before (%s): its history "
		"was moved back or rewritten; nothing was changed", url, hex,
		seen_hex, ref);
}

/* Fetch `url` into a quarantine and verify it; on success the
 * quarantine is left open in *q (objects not yet taken in). */
static int fetch_checked(custody_archive *a, const char *url,
	const char *name, const custody_sync_options *opts,
	struct custody_quarantine *q, custody_fetch_result *r,
	custody_error **err)
{
	git_oid tip;
	int rc;

	if ((rc = custody_sync__quarantine_open(q, a->gitdir, 1, err)) != 0)
		return rc;
	/* our main, named in the quarantine, is what the fetch says it
	 * has: only what is newer is sent, not the whole history again */
	if (a->has_head) {
		git_reference *have = NULL;

		if (git_reference_create(&have, q->repo, "refs/custody/have",
		    &a->head, 1, "custody fetch") != 0)
			return custody__error_git(err, CUSTODY_EIO, "%s: cannot "
				"write the quarantine", q->dir);
		git_reference_free(have);
	}
	if ((rc = custody_sync__fetch(q, url, opts, &tip, err)) != 0 ||
	    (rc = check_moved_back(a, q, name, url, &tip, err)) != 0)
		return rc;
	git_oid_tostr(r->tip, sizeof(r->tip), &tip);
	r->relation = relation(q->repo, &tip, &a->head, a->has_head);
	if (r->relation == CUSTODY_SYNC_SAME ||
	    r->relation == CUSTODY_SYNC_BEHIND) {
		r->size = a->size;   /* nothing new: ours holds it all */
		return 0;
	}
	if ((rc = custody_sync__verify(q, url, &tip, a, NULL,
	    &r->checked_from, err)) != 0)
		return rc;
	r->size = custody_archive_size(q->archive);
	if (a->config != NULL && strcmp(a->config->origin,
	    custody_archive_origin(q->archive)) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "%s: is the log "
			"of %s, not of %s; nothing was changed", url,
			custody_archive_origin(q->archive), a->config->origin);
	if (r->relation == CUSTODY_SYNC_DIVERGED) {
		custody_error *why = NULL;

		rc = custody_sync__replay_base(a, q->repo, &tip,
			&r->replay_from, &why);
		if (rc != 0 && custody_error_code(why) == CUSTODY_EEXISTS)
			rc = refuse_diverged(a, q, url, &tip, why, err);
		else if (rc != 0 && err != NULL) {
			*err = why;
			why = NULL;
		}
		custody_error_free(why);
		return rc;
	}
	return 0;
}

static int check_args(custody_archive *a, const custody_sync_options *opts,
	custody_fetch_result *r, custody_error **err)
{
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_SYNC_OPTIONS_VERSION, "custody_sync_options")) != 0)
		return rc;
	memset(r, 0, sizeof(*r));
	return custody_archive__refresh(a, err);
}

/* The fetched objects into the archive and the remote-tracking ref
 * moved; under the archive's lock. */
static int take_in(custody_archive *a, struct custody_quarantine *q,
	const char *name, const git_oid *tip, custody_error **err)
{
	git_oid old;
	char ref[300];
	int has_old;

	if (custody_sync__adopt(q->dir, a->gitdir, err) != 0)
		return CUSTODY_EIO;
	if (name == NULL)
		return 0;
	snprintf(ref, sizeof(ref), "refs/remotes/%s/main", name);
	has_old = git_reference_name_to_id(&old, a->repo, ref) == 0;
	git_error_clear();
	return swap_ref(a->repo, ref, tip, has_old ? &old : NULL,
		"custody fetch", err);
}

/*
 * Both sides added entries, and ours are known to no one else: append
 * them again after the remote's in the quarantine (*now: its new main),
 * and verify the result as anything fetched is. Nothing is taken in yet.
 */
static int replay_quarantined(custody_archive *a,
	struct custody_quarantine *q, const char *url,
	custody_fetch_result *r, git_oid *now, custody_error **err)
{
	custody_error *why = NULL;
	int rc;

	if (a->signer == NULL)
		return custody__error_hint(err, CUSTODY_EINVALID,
			CUSTODY_HINT_NAME_KEY, "%s's main and this archive's "
			"both added entries since entry %" PRIu64 " (nothing "
			"was changed): appending yours again after theirs "
			"takes your signing key, and no signing key was given",
			url, r->replay_from);
	rc = custody_sync__replay(a, q, url, r->replay_from, now, &why);

	if (rc == CUSTODY_EEXISTS)
		rc = custody__error(err, CUSTODY_EVERIFY, "%s's main and this "
			"archive's both added entries, and this archive's "
			"cannot be appended again after theirs: %s; nothing was "
			"changed", url, custody_error_message(why));
	else if (rc != 0 && err != NULL) {
		*err = why;
		why = NULL;
	}
	custody_error_free(why);
	if (rc != 0)
		return rc;
	custody_archive_free(q->archive);
	q->archive = NULL;
	return custody_sync__verify(q, url, now, NULL, NULL, NULL,
		err);
}

/* Fetch and check into q, take the lock, and (with `replayed`, when
 * both sides added entries) replay ours there; then take it all in. */
static int fetch_locked(custody_archive *a, const char *remote,
	const custody_sync_options *opts, custody_fetch_result *r,
	struct custody_quarantine *q, git_oid *tip, custody_lock **lock,
	git_oid *replayed, custody_error **err)
{
	char *url = NULL, *name = NULL, *stale = NULL;
	int rc;

	if ((rc = resolve_remote(a, remote, &url, &name, err)) != 0)
		return rc;
	if ((rc = fetch_checked(a, url, name, opts, q, r, err)) != 0)
		goto done;
	git_oid_fromstr(tip, r->tip);
	if ((rc = custody_lock__acquire(lock, a->gitdir, opts ?
	    opts->lock_wait_ms : 0, &stale, err)) != 0)
		goto done;
	free(stale);
	if (replayed != NULL && r->relation == CUSTODY_SYNC_DIVERGED &&
	    (rc = replay_quarantined(a, q, url, r, replayed, err)) != 0)
		goto done;
	rc = take_in(a, q, name, tip, err);
done:
	free(url);
	free(name);
	return rc;
}

int custody_archive_fetch(custody_archive *a, const char *remote,
	const custody_sync_options *opts, custody_fetch_result *r,
	custody_error **err)
{
	struct custody_quarantine q = { 0 };
	custody_lock *lock = NULL;
	git_oid tip;
	int rc;

	if ((rc = check_args(a, opts, r, err)) != 0)
		return rc;
	rc = fetch_locked(a, remote, opts, r, &q, &tip, &lock, NULL, err);
	custody_lock__release(lock);
	custody_sync__quarantine_drop(&q);
	return rc;
}

/* Paths of the stored documents registered from entry `from` on. */
/* The latest version of each path registered from entry `from` on,
 * when its content is stored: its entry's index. */
struct new_docs {
	uint64_t from;
	struct custody_map seen;       /* paths met (newest first) */
	char **paths;
	uint64_t *latest;              /* the stored ones' indexes */
	size_t n, alloc, nlatest;
	int oom;
};

static int on_new_entry(const custody_entry *e, void *payload)
{
	struct new_docs *nd = payload;
	const char *path = custody_entry_path(e);
	char *copy;

	if (custody_entry_index(e) < nd->from)
		return 1;   /* older than what came in: stop */
	if (path == NULL || custody_map__get(&nd->seen, path) != NULL)
		return 0;   /* not a document, or an older version */
	if (nd->n == nd->alloc) {
		size_t alloc = nd->alloc ? nd->alloc * 2 : 64;
		char **grown = realloc(nd->paths, alloc * sizeof(*grown));
		uint64_t *more = realloc(nd->latest, alloc * sizeof(*more));

		if (grown != NULL)
			nd->paths = grown;
		if (more != NULL)
			nd->latest = more;
		if (grown == NULL || more == NULL)
			goto oom;
		nd->alloc = alloc;
	}
	if ((copy = strdup(path)) == NULL)
		goto oom;
	nd->paths[nd->n++] = copy;
	if (custody_map__put(&nd->seen, copy, nd->n - 1) != 0)
		goto oom;
	if (e->blob != NULL)
		nd->latest[nd->nlatest++] = custody_entry_index(e);
	return 0;
oom:
	nd->oom = 1;
	return 2;
}

/* 1 when the collection's copy of e's path is e's previous version,
 * byte for byte (as a sync left it): the new version may replace it. */
static int copy_is_previous(custody_archive *a, git_tree *tree,
	const struct custody_entry *e)
{
	struct custody_entry *prev = NULL;
	struct custody_digest d;
	int same = 0;

	if (!e->has_previous || custody_archive__read_entry(a, tree,
	    e->previous, &prev, NULL, NULL) != 0)
		return 0;
	if (prev->path != NULL && strcmp(prev->path, e->path) == 0 &&
	    custody_digest__collection_file(&d, a->root_fd, e->path,
	    e->path, NULL) == 0)
		same = custody_digest__matches(&d, prev->sha256, prev->size);
	custody_entry__free(prev);
	return same;
}

/* Write entry `index`'s stored document where the collection lacks it
 * or holds its previous version unchanged; a copy there that differs
 * otherwise (changed here) is kept, and counted. */
static int write_one(custody_archive *a, git_tree *tree, uint64_t index,
	custody_fetch_result *r, custody_error **err)
{
	struct custody_entry *e = NULL;
	custody_error *why = NULL;
	struct stat st;
	int rc, existed;

	if ((rc = custody_archive__read_entry(a, tree, index, &e, NULL, err))
	    != 0)
		return rc;
	existed = fstatat(a->root_fd, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0;
	rc = custody_archive__restore_entry(a, e, e->path, NULL, 0, &why);
	if (rc == CUSTODY_EEXISTS && copy_is_previous(a, tree, e)) {
		custody_error_free(why);
		why = NULL;
		rc = custody_archive__restore_entry(a, e, e->path, NULL, 1,
			&why);
		existed = 0;  /* written: the new version replaced the old */
	}
	if (rc == 0 && !existed)
		r->documents_written++;
	else if (rc == CUSTODY_EEXISTS)
		r->documents_differing++;
	if (rc == CUSTODY_EEXISTS || rc == CUSTODY_ENOTFOUND)
		rc = 0;
	else if (rc != 0 && err != NULL) {
		*err = why;
		why = NULL;
	}
	custody_error_free(why);
	custody_entry__free(e);
	return rc;
}

int custody_sync__write_documents(custody_archive *a, uint64_t from,
	custody_fetch_result *r, custody_error **err)
{
	struct new_docs nd;
	git_tree *tree = NULL;
	int rc;

	memset(&nd, 0, sizeof(nd));
	nd.from = from;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	/* nothing stored (a --no-store archive): no entry to read */
	if (git_tree_entry_byname(tree, "documents") == NULL) {
		git_tree_free(tree);
		return 0;
	}
	rc = custody_archive_log(a, NULL, 0, on_new_entry, &nd, err);
	if (rc == 1)
		rc = 0;
	if (nd.oom)
		rc = custody__oom(err);
	/* oldest first, as they were registered */
	for (size_t i = nd.nlatest; i > 0 && rc == 0; i--)
		rc = write_one(a, tree, nd.latest[i - 1], r, err);
	git_tree_free(tree);
	for (size_t i = 0; i < nd.n; i++)
		free(nd.paths[i]);
	free(nd.paths);
	free(nd.latest);
	custody_map__free(&nd.seen);
	return rc;
}

/* The replayed history (verified, taken in) becomes main. Under the
 * lock. */
static int take_replayed(custody_archive *a, const git_oid *now,
	custody_fetch_result *r, custody_error **err)
{
	uint64_t from = r->replay_from, local = a->size, theirs = r->size;
	git_oid old = a->head;
	int rc;

	if ((rc = custody_sync__forget_tiles_from(a, from, err)) != 0 ||
	    (rc = swap_ref(a->repo, CUSTODY_REF, now, &old, "custody sync",
	    err)) != 0)
		return rc;
	custody_change__remember_head(a, now);
	/* the partner's entries are known to others: never moved later */
	if ((rc = custody_archive__note_shared(a, theirs, err)) != 0 ||
	    (rc = custody_sync__forget_tiles_from(a, from, err)) != 0 ||
	    (rc = custody_archive__refresh(a, err)) != 0)
		return rc;
	r->replayed = local - from;
	r->size = a->size;
	git_oid_tostr(r->tip, sizeof(r->tip), now);
	if ((rc = custody_sync__write_documents(a, from, r, err)) == 0)
		custody_sync__refresh_caches(a);
	return rc;
}

/*
 * The local caches brought up to main after it moved (O(new entries)):
 * the next fetch verifies from this main with them, and reads them as
 * they are, so that a refused fetch writes nothing. Best effort: a
 * cache that cannot be brought up is a notice (the next fetch then
 * verifies from the root).
 */
void custody_sync__refresh_caches(custody_archive *a)
{
	struct custody_tlog_index *x = NULL;
	struct custody_index *index = NULL;
	struct custody_tiles *t = NULL;
	custody_error *why = NULL;
	git_tree *tree = NULL;

	if (custody_tlog__tiles(a, &t, &why) != 0 ||
	    custody_archive__head_tree(a, &tree, &why) != 0 ||
	    custody_tlog_index__open(a, tree, &x, &why) != 0 ||
	    custody_index__load(&index, a, &why) != 0 ||
	    (custody_index__learnt(index) &&
	    custody_index__save(index, a, &why) != 0))
		custody_archive__notice(a, "%s", custody_error_message(why));
	custody_error_free(why);
	custody_index__free(index);
	custody_tlog_index__free(x);
	git_tree_free(tree);
	custody_tiles__free(t);
}

int custody_archive_sync(custody_archive *a, const char *remote,
	const custody_sync_options *opts, custody_fetch_result *r,
	custody_error **err)
{
	struct custody_quarantine q = { 0 };
	custody_lock *lock = NULL;
	git_oid tip, old, now;
	uint64_t before;
	int rc;

	if ((rc = check_args(a, opts, r, err)) != 0)
		return rc;
	/* what this machine verified before must still be main's base:
	 * checked before anything is fetched, so a refusal takes nothing in */
	if ((rc = custody_archive__check_history(a, err)) != 0)
		return rc;
	old = a->head;
	before = a->size;
	if ((rc = fetch_locked(a, remote, opts, r, &q, &tip, &lock, &now,
	    err)) != 0)
		goto done;
	if (r->relation == CUSTODY_SYNC_DIVERGED) {
		rc = take_replayed(a, &now, r, err);
		goto done;
	}
	if (r->relation != CUSTODY_SYNC_AHEAD)
		goto done;
	if ((rc = swap_ref(a->repo, CUSTODY_REF, &tip, &old, "custody sync",
	    err)) != 0)
		goto done;
	custody_change__remember_head(a, &tip);
	/* the partner's entries are known to others: never moved later */
	if ((rc = custody_archive__note_shared(a, r->size, err)) != 0)
		goto done;
	if ((rc = custody_archive__refresh(a, err)) == 0)
		rc = custody_sync__write_documents(a, before, r, err);
	if (rc == 0)
		custody_sync__refresh_caches(a);
done:
	custody_lock__release(lock);
	custody_sync__quarantine_drop(&q);
	return rc;
}

/* ---- push ---- */

/* The push's callbacks' payload; the credentials callback and the
 * transport read it as the transfer it starts with. */
struct push_answers {
	struct custody_sync_transfer t;
	int rejected;
	int answered;
	char why[256];
};

static int on_push_ref(const char *refname, const char *status,
	void *payload)
{
	struct push_answers *p = payload;

	if (strcmp(refname, MAIN_REF) == 0)
		p->answered = 1;
	if (status != NULL) {
		p->rejected = 1;
		snprintf(p->why, sizeof(p->why), "%s: %s", refname, status);
	}
	return 0;
}

/* The remote's main, asked of the remote itself; *has 0 if it has
 * none (an empty repository). */
static int remote_main(git_remote *remote, const char *url,
	git_oid *out, int *has, custody_error **err)
{
	const git_remote_head **heads;
	size_t n;

	*has = 0;
	if (git_remote_ls(&heads, &n, remote) != 0)
		return custody__error_git(err, CUSTODY_EIO, "%s: cannot list "
			"its refs", url);
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, MAIN_REF) == 0) {
			git_oid_cpy(out, &heads[i]->oid);
			*has = 1;
		}
	return 0;
}

/* 1 when the remote's main is no longer `seen` (`had`: it had one):
 * another writer's push won the race. 0 when unchanged or unknown. */
static int moved_meanwhile(git_remote *rem, const git_oid *seen, int had,
	const git_remote_callbacks *cb)
{
	git_oid now;
	int has = 0, moved = 0;

	if (git_remote_connect(rem, GIT_DIRECTION_FETCH, cb, NULL, NULL) ==
	    0 && remote_main(rem, "", &now, &has, NULL) == 0)
		moved = has != had || (has && !git_oid_equal(&now, seen));
	git_remote_disconnect(rem);
	git_error_clear();
	return moved;
}

int custody_archive_push(custody_archive *a, const char *remote,
	const custody_sync_options *opts, custody_fetch_result *r,
	custody_error **err)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	char *spec[] = { MAIN_REF ":" MAIN_REF };
	git_strarray specs = { spec, 1 };
	struct push_answers answers = { 0 };
	git_remote *rem = NULL;
	char *url = NULL, *name = NULL;
	git_oid theirs;
	int rc, has;

	if ((rc = check_args(a, opts, r, err)) != 0 ||
	    (rc = custody_sync__tls_setup(err)) != 0 ||
	    (rc = resolve_remote(a, remote, &url, &name, err)) != 0)
		return rc;
	custody_sync__transfer_init(&answers.t, opts);
	cb.transport = custody_sync__transport;
	cb.credentials = custody_sync__credentials;
	cb.certificate_check = custody_sync__check_host;
	cb.payload = &answers;
	if ((name != NULL ? git_remote_lookup(&rem, a->repo, name) :
	    git_remote_create_anonymous(&rem, a->repo, url)) != 0 ||
	    git_remote_connect(rem, GIT_DIRECTION_PUSH, &cb, NULL, NULL) != 0) {
		rc = answers.t.too_big ? custody_sync__too_big(&answers.t,
			url, err) : custody__error_git(err, CUSTODY_EIO,
			"%s: cannot connect", url);
		goto done;
	}
	if ((rc = remote_main(rem, url, &theirs, &has, err)) != 0)
		goto done;
	git_remote_disconnect(rem);
	if (has) {
		git_oid_tostr(r->tip, sizeof(r->tip), &theirs);
		r->relation = relation(a->repo, &theirs, &a->head, 1);
		git_error_clear();
	} else {
		r->relation = CUSTODY_SYNC_BEHIND;
	}
	if (r->relation == CUSTODY_SYNC_SAME) {
		r->size = a->size;
		goto done;
	}
	if (r->relation != CUSTODY_SYNC_BEHIND) {
		rc = custody__error(err, CUSTODY_EEXISTS, "%s has commits this "
			"archive does not (its main is %.12s): sync first; "
			"nothing was sent", url, r->tip);
		goto done;
	}
	cb.push_update_reference = on_push_ref;
	po.callbacks = cb;
	answers.t.credential_tries = 0;   /* the push connects anew */
	if (git_remote_push(rem, &specs, &po) != 0) {
		rc = answers.t.too_big ? custody_sync__too_big(&answers.t,
			url, err) : custody__error_git(err, CUSTODY_EIO,
			"%s: the push failed", url);
		goto done;
	}
	if (answers.rejected || !answers.answered) {
		r->raced = moved_meanwhile(rem, &theirs, has, &cb);
		rc = custody__error(err, CUSTODY_EEXISTS, "%s refused main: "
			"%s%s", url, answers.rejected ? answers.why : "it did "
			"not answer for refs/heads/main", r->raced ? " (its "
			"main moved while the push was sent)" : "");
		goto done;
	}
	/* Known to others once the remote took it. (A refused push leaves
	 * nothing there that counts: if it did land, the remote's main
	 * holds these commits, and a later sync sees that.) */
	if ((rc = custody_archive__note_shared(a, a->size, err)) != 0)
		goto done;
	/* what the remote's main is now */
	git_oid_tostr(r->tip, sizeof(r->tip), &a->head);
	r->size = a->size;
	if (name != NULL) {
		char ref[300];
		git_reference *out = NULL;

		snprintf(ref, sizeof(ref), "refs/remotes/%s/main", name);
		git_reference_create(&out, a->repo, ref, &a->head, 1,
			"custody push");
		git_reference_free(out);
	}
done:
	git_error_clear();
	git_remote_free(rem);
	free(url);
	free(name);
	return rc;
}

/* ---- remotes ---- */

const char *custody_remote_name_check(const char *name)
{
	custody_error *err = NULL;
	int valid = 0;

	/* libgit2 judges names only once it is initialised */
	if (custody__global_init(&err) != 0) {
		custody_error_free(err);
		return "cannot be checked: libgit2 does not start";
	}
	if (name == NULL || git_remote_name_is_valid(&valid, name) != 0)
		valid = 0;
	if (!valid || strchr(name, '/') != NULL)
		return "is not a name for a remote (letters, digits, '-', "
			"'_', '.')";
	return NULL;
}

int custody_archive_remote_add(custody_archive *a, const char *name,
	const char *url, custody_error **err)
{
	git_remote *r = NULL;
	char *where = NULL;
	const char *why = custody_remote_name_check(name);
	int rc;

	if (why != NULL || url == NULL)
		return custody__error(err, CUSTODY_EINVALID, "'%s' %s",
			name ? name : "", why ? why : "has no URL");
	if (git_remote_lookup(&r, a->repo, name) == 0) {
		git_remote_free(r);
		return custody__error(err, CUSTODY_EEXISTS, "there is already "
			"a remote named '%s'", name);
	}
	git_error_clear();
	if ((where = custody_sync__local_url(url)) == NULL)
		return custody__oom(err);
	rc = git_remote_create(&r, a->repo, name, where) != 0 ?
		custody__error_git(err, CUSTODY_EIO, "cannot add remote '%s'",
		name) : 0;
	git_remote_free(r);
	free(where);
	return rc;
}

int custody_archive_remote_remove(custody_archive *a, const char *name,
	custody_error **err)
{
	git_remote *r = NULL;

	if (git_remote_lookup(&r, a->repo, name) != 0) {
		git_error_clear();
		return custody__error(err, CUSTODY_ENOTFOUND, "no remote named "
			"'%s'", name);
	}
	git_remote_free(r);
	if (git_remote_delete(a->repo, name) != 0)
		return custody__error_git(err, CUSTODY_EIO, "cannot remove "
			"remote '%s'", name);
	return 0;
}

int custody_archive_remotes(custody_archive *a, custody_remote_cb cb,
	void *payload, custody_error **err)
{
	git_strarray names = { NULL, 0 };
	int rc = 0;

	if (git_remote_list(&names, a->repo) != 0)
		return custody__error_git(err, CUSTODY_EIO, "cannot list the "
			"remotes");
	for (size_t i = 0; i < names.count && rc == 0; i++) {
		git_remote *r = NULL;

		if (git_remote_lookup(&r, a->repo, names.strings[i]) != 0)
			continue;
		rc = cb(names.strings[i], git_remote_url(r) ?
			git_remote_url(r) : "", payload);
		git_remote_free(r);
	}
	git_strarray_dispose(&names);
	return rc;
}
