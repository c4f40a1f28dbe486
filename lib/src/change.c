/* Making a change: begin, append, commit; see change.h. */
#include "change.h"
#include "tlog.h"
#include "error.h"
#include "fsutil.h"
#include "lock.h"
#include "members.h"
#include "memodb.h"
#include "merkle.h"
#include "pack.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

int custody_change__signer(custody_archive *a, const char **actor_out,
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

void custody_change__now(custody_archive *a, char out[32],
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

int custody_change__new_salts(char (*out)[65], size_t n,
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
	custody_change__now(a, now, &when);
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

int custody_change__commit(custody_archive *a,
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

int custody_change__append(custody_archive *a,
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

	if ((rc = custody_change__signer(a, &actor, err)) != 0)
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
	custody_change__now(a, now, NULL);
	if ((rc = custody_change__new_salts(salts, n, err)) != 0)
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
	if ((rc = custody_change__commit(a, changes, n + nfiles, actor,
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

int custody_change__begin(custody_archive *a, unsigned int wait_ms,
	struct custody_lock **lock_out, const char **actor_out,
	custody_error **err)
{
	int rc;

	if ((rc = custody_change__begin_early(a, wait_ms, lock_out,
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

int custody_change__begin_early(custody_archive *a,
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
	custody_change__clean_stale(a);
	{
		git_oid head;
		int has = git_reference_name_to_id(&head, a->repo,
			CUSTODY_REF) == 0;

		custody_pack__recover(a->gitdir, has ? head.id : NULL,
			pack_notice, a);
	}
	if ((rc = custody_archive__refresh(a, err)) == 0 &&
	    (rc = custody_archive__check_history(a, err)) == 0 &&
	    (rc = custody_change__signer(a, actor_out, err)) != 0 &&
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

void custody_change__clean_stale(custody_archive *a)
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
