/* Making a change: begin, append, commit; see change.h. */
#include "change.h"
#include "checkpoint.h"
#include "sshwire.h"
#include "tlog.h"
#include "common.h"
#include "fsutil.h"
#include "hash.h"
#include "lock.h"
#include "members.h"
#include "memodb.h"
#include "merkle.h"
#include "pack.h"

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
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
		custody_sshwire__fingerprint(fp, raw);
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_NOT_MEMBER, "%s: your key %s %s",
			a->gitdir, fp, m == NULL ? "is not a member's key" :
			"was revoked");
		goto done;
	}
	free(a->actor);
	if ((a->actor = strdup(m->name)) == NULL) {
		rc = custody__oom(err);
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

/* custody_archive__notice, for a commit that may have no handle yet. */
static void tell(const struct custody_commit_base *base, const char *fmt,
	...) __attribute__((format(printf, 2, 3)));

static void tell(const struct custody_commit_base *base, const char *fmt,
	...)
{
	char msg[1024];
	va_list ap;

	if (base->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	base->notice(msg, base->notice_payload);
}

/* The base of a change to `a`: its head, its signer, its notices (the
 * time is the caller's to set). */
static void base_of(custody_archive *a, struct custody_commit_base *out)
{
	memset(out, 0, sizeof(*out));
	out->gitdir = a->gitdir;
	out->repo = a->repo;
	out->parent = a->has_head ? &a->head : NULL;
	out->signer = a->signer;
	out->notice = a->notice;
	out->notice_payload = a->notice_payload;
}

/*
 * Make the commit object, signed as git signs with an SSH key: the
 * SSHSIG (namespace "git") of the unsigned commit goes in its gpgsig
 * header, one line per armour line, as `git commit -S` writes it.
 */
static int sign_commit(const struct custody_commit_base *base,
	git_repository *repo, const char *actor, const char *message,
	const git_tree *tree, const git_commit *parent, git_oid *commit_out,
	custody_error **err)
{
	git_signature *sig = NULL;
	git_buf unsigned_commit = { NULL, 0, 0 };
	custody_buf armour = CUSTODY_BUF_INIT;
	int rc = 0;

	if (base->signer == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: no signing "
			"key: every change to an archive is signed by a member",
			base->gitdir);
	if (git_signature_new(&sig, actor, "custody.invalid",
	    (git_time_t)base->time, 0) != 0) {
		rc = custody__error_git(err, CUSTODY_EINVALID,
			"cannot use '%s' as the commit's author", actor);
		goto done;
	}
	if (git_commit_create_buffer(&unsigned_commit, repo, sig, sig, NULL,
	    message, tree, parent ? 1 : 0, parent ? &parent : NULL) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot create the commit", base->gitdir);
		goto done;
	}
	if ((rc = custody_sshsig_sign(base->signer, "git", unsigned_commit.ptr,
	    unsigned_commit.size, &armour, err)) != 0)
		goto done;
	while (armour.size > 0 && armour.ptr[armour.size - 1] == '\n')
		armour.ptr[--armour.size] = '\0';
	if (git_commit_create_with_signature(commit_out, repo,
	    unsigned_commit.ptr, armour.ptr, "gpgsig") != 0)
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot write the signed commit", base->gitdir);
done:
	custody_buf_dispose(&armour);
	git_buf_dispose(&unsigned_commit);
	git_signature_free(sig);
	return rc;
}

/*
 * Remember the commit this machine just made or verified. A later
 * `custody verify` that cannot find it in the history knows the history
 * was rewritten or moved back. Losing the file loses that check, never
 * the archive. The one writer of custody-seen.
 */
static void remember(const struct custody_commit_base *base,
	const git_oid *commit)
{
	char *path = custody_fs__join(base->gitdir, CUSTODY_SEEN_FILE);
	char line[42];
	custody_error *err = NULL;

	git_oid_tostr(line, 41, commit);
	line[40] = '\n';
	if (path == NULL || custody_fs__write_atomic(path, line, 41, 0644,
	    &err) != 0)
		tell(base, "%s", err ? custody_error_message(err) :
			"out of memory");
	custody_error_free(err);
	free(path);
}

void custody_change__remember_head(custody_archive *a, const git_oid *commit)
{
	struct custody_commit_base base;

	base_of(a, &base);
	remember(&base, commit);
}

/* The tree updates for `changes`, and for the checkpoint when there is
 * one (its blob written to `scratch`); *n_out of them. */
static int tree_updates(const struct custody_commit_base *base,
	git_repository *scratch, const struct custody_tree_change *changes,
	size_t nchanges, const custody_buf *checkpoint,
	git_tree_update **out, size_t *n_out, custody_error **err)
{
	git_tree_update *updates = calloc(nchanges + 1, sizeof(*updates));
	size_t n = nchanges;

	*out = NULL;
	if (updates == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < nchanges; i++) {
		updates[i].action = changes[i].remove ?
			GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[i].id, &changes[i].blob);
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = changes[i].path;
	}
	if (checkpoint != NULL) {
		if (git_blob_create_from_buffer(&updates[n].id, scratch,
		    checkpoint->ptr, checkpoint->size) != 0) {
			free(updates);
			return custody__error_git(err, CUSTODY_EIO, "%s: "
				"cannot write the checkpoint", base->gitdir);
		}
		updates[n].action = GIT_TREE_UPDATE_UPSERT;
		updates[n].filemode = GIT_FILEMODE_BLOB;
		updates[n].path = CUSTODY_CHECKPOINT_PATH;
		n++;
	}
	*out = updates;
	*n_out = n;
	return 0;
}

/* Everything the scratch handle holds in memory, as one pack on disk
 * (*pack_out: for the caller to take back if the change fails). */
static int pack_scratch(const struct custody_commit_base *base,
	git_odb_backend *memodb, custody_pack **pack_out, custody_error **err)
{
	char *pack_dir = custody_fs__join(base->gitdir, "objects/pack");
	struct pack_each pe;
	int rc;

	*pack_out = NULL;
	if (pack_dir == NULL)
		return custody__oom(err);
	if ((rc = custody_pack__open(pack_out, pack_dir, NULL, NULL, err))
	    == 0) {
		pe.pack = *pack_out;
		pe.err = err;
		if ((rc = custody_memodb__each(memodb, pack_object, &pe)) == 0)
			rc = custody_pack__commit(*pack_out, err);
	}
	free(pack_dir);
	return rc;
}

/* The single step that makes the change visible: move the ref from the
 * parent to `commit` (compare-and-swap). */
static int move_ref(const struct custody_commit_base *base,
	const git_oid *commit, const char *message, custody_error **err)
{
	git_odb *main_odb = NULL;
	git_reference *ref = NULL;
	int rc = 0;

	if (git_repository_odb(&main_odb, base->repo) != 0 ||
	    git_odb_refresh(main_odb) != 0 ||
	    git_reference_create_matching(&ref, base->repo, CUSTODY_REF,
	    commit, 1, base->parent, message) != 0) {
		git_oid now;
		custody_error *ref_err = NULL;

		custody__error_git(&ref_err, CUSTODY_EIO, "%s: cannot move %s "
			"to the new commit", base->gitdir, CUSTODY_REF);
		/* A failure after the rename (syncing the folder, say) may
		 * still have moved the ref: then the change has happened,
		 * and nothing it refers to may be taken back. */
		if (git_reference_name_to_id(&now, base->repo, CUSTODY_REF)
		    == 0 && git_oid_equal(&now, commit)) {
			tell(base, "%s (the commit was recorded)",
				custody_error_message(ref_err));
			custody_error_free(ref_err);
		} else {
			rc = custody_error_code(ref_err);
			if (err && *err == NULL)
				*err = ref_err;
			else
				custody_error_free(ref_err);
		}
	}
	git_reference_free(ref);
	git_odb_free(main_odb);
	return rc;
}

int custody_change__commit(const struct custody_commit_base *base,
	const struct custody_tree_change *changes, size_t nchanges,
	const custody_buf *checkpoint, const char *actor, const char *message,
	git_oid *commit_out, custody_error **err)
{
	git_repository *scratch = NULL;
	git_odb *odb = NULL;
	git_odb_backend *memodb = NULL;
	custody_pack *pack = NULL;
	git_tree *baseline = NULL, *tree = NULL;
	git_commit *parent = NULL;
	git_tree_update *updates = NULL;
	git_oid tree_id;
	size_t nupdates = 0;
	int rc = 0;

	/* Trees and the commit go to a second handle whose object database
	 * keeps new objects in memory; they reach the disk as one pack. */
	if (git_repository_open_bare(&scratch, base->gitdir) != 0 ||
	    git_repository_odb(&odb, scratch) != 0 ||
	    custody_memodb__new(&memodb) != 0 ||
	    git_odb_add_backend(odb, memodb, 999) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot prepare the commit", base->gitdir);
		goto done;
	}
	if ((rc = tree_updates(base, scratch, changes, nchanges, checkpoint,
	    &updates, &nupdates, err)) != 0)
		goto done;
	if (base->parent != NULL) {
		if (git_commit_lookup(&parent, scratch, base->parent) != 0 ||
		    git_commit_tree(&baseline, parent) != 0) {
			char hex[41];

			git_oid_tostr(hex, sizeof(hex), base->parent);
			rc = custody__error_git(err, CUSTODY_EVERIFY,
				"%s: cannot read commit %s", base->gitdir, hex);
			goto done;
		}
	}
	/* With no parent, the first tree starts from nothing (baseline
	 * NULL): no empty tree is written to dangle in the repository. */
	if (git_tree_create_updated(&tree_id, scratch, baseline, nupdates,
	    updates) != 0 || git_tree_lookup(&tree, scratch, &tree_id) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO,
			"%s: cannot build the new tree", base->gitdir);
		goto done;
	}
	if ((rc = sign_commit(base, scratch, actor, message, tree, parent,
	    commit_out, err)) != 0 ||
	    (rc = pack_scratch(base, memodb, &pack, err)) != 0 ||
	    (rc = move_ref(base, commit_out, message, err)) != 0)
		goto done;
	custody_pack__settled(base->gitdir);
	remember(base, commit_out);
done:
	if (rc != 0) {
		custody_pack__uncommit(pack);
		custody_pack__settled(base->gitdir);
	}
	custody_pack__free(pack);
	git_tree_free(tree);
	git_tree_free(baseline);
	git_commit_free(parent);
	git_odb_free(odb);
	git_repository_free(scratch);
	free(updates);
	return rc;
}

/* Paths under log/ that the change adds, in index order (their names
 * sort as their indexes do). */
static int compare_changes(const void *x, const void *y)
{
	const struct custody_tree_change *a = *(const struct
		custody_tree_change *const *)x;
	const struct custody_tree_change *b = *(const struct
		custody_tree_change *const *)y;

	return strcmp(a->path, b->path);
}

/* The leaf hashes of the entries `changes` adds, in index order (read
 * back from the repository when a change does not carry its own). */
static int added_leaves(custody_archive *a,
	const struct custody_tree_change *changes, size_t nchanges,
	unsigned char (**out)[32], size_t *n_out, custody_error **err)
{
	const struct custody_tree_change **added = NULL;
	unsigned char (*leaves)[32] = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	added = calloc(nchanges + 1, sizeof(*added));
	leaves = calloc(nchanges + 1, sizeof(*leaves));
	if (added == NULL || leaves == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	for (size_t i = 0; i < nchanges; i++)
		if (!changes[i].remove &&
		    strncmp(changes[i].path, "log/", 4) == 0)
			added[n++] = &changes[i];
	if (n > 1)
		qsort(added, n, sizeof(*added), compare_changes);
	for (size_t i = 0; i < n; i++) {
		git_blob *blob;

		if (added[i]->has_leaf) {
			memcpy(leaves[i], added[i]->leaf, 32);
			continue;
		}
		if (git_blob_lookup(&blob, a->repo, &added[i]->blob) != 0) {
			rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot "
				"read back %s", a->gitdir, added[i]->path);
			goto done;
		}
		custody_merkle__leaf_hash(git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), leaves[i]);
		git_blob_free(blob);
	}
	*out = leaves;
	*n_out = n;
	leaves = NULL;
done:
	free(added);
	free(leaves);
	return rc;
}

/* custody_change__commit on the handle's head. A change that adds
 * entries carries the new signed checkpoint when the handle holds the
 * outlet key (a member without it appends, and a holder signs later);
 * its leaves reach the tile cache only once the commit is made. */
static int commit_head(custody_archive *a,
	const struct custody_tree_change *changes, size_t nchanges,
	const char *actor, const char *message, git_oid *commit_out,
	custody_error **err)
{
	struct custody_commit_base base;
	unsigned char (*leaves)[32] = NULL;
	custody_buf note = CUSTODY_BUF_INIT;
	size_t nleaves = 0;
	char now[32];
	int rc;

	if ((rc = added_leaves(a, changes, nchanges, &leaves, &nleaves,
	    err)) != 0 ||
	    (nleaves > 0 && a->log_signer != NULL &&
	    (rc = custody_tlog__next_checkpoint(a,
	    (const unsigned char (*)[32])leaves, nleaves, &note, err))
	    != 0))
		goto done;
	base_of(a, &base);
	custody_change__now(a, now, &base.time);
	if ((rc = custody_change__commit(&base, changes, nchanges,
	    note.size > 0 ? &note : NULL, actor, message, commit_out, err))
	    == 0)
		custody_tlog__commit(a, (const unsigned char (*)[32])leaves,
			nleaves);
done:
	custody_buf_dispose(&note);
	free(leaves);
	return rc;
}

int custody_change__sign_checkpoint(custody_archive *a,
	unsigned int wait_ms, uint64_t *size_out, git_oid *commit_out,
	custody_error **err)
{
	struct custody_commit_base base;
	struct custody_checkpoint head;
	struct custody_lock *lock = NULL;
	custody_buf note = CUSTODY_BUF_INIT, old = CUSTODY_BUF_INIT;
	const char *actor;
	git_tree *tree = NULL;
	size_t text_len;
	int rc;

	if (a->log_signer == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: signing a "
			"checkpoint needs the outlet key, and none is at hand",
			a->gitdir);
	if ((rc = custody_change__begin(a, wait_ms, &lock, &actor, err)) != 0)
		return rc;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0 ||
	    (rc = custody_tlog__read_checkpoint(a, tree, &old, &text_len,
	    err)) != 0 ||
	    (rc = custody_checkpoint__parse(&head, old.ptr, text_len, err))
	    != 0)
		goto done;
	if (head.size == a->size) {
		rc = custody__error(err, CUSTODY_EEXISTS, "the checkpoint at "
			"head already covers all %" PRIu64 " entries", a->size);
		goto done;
	}
	if ((rc = custody_tlog__next_checkpoint(a, NULL, 0, &note, err)) != 0)
		goto done;
	base_of(a, &base);
	custody_change__now(a, a->change_time, &base.time);
	if ((rc = custody_change__commit(&base, NULL, 0, &note, actor,
	    "custody checkpoint sign\n", commit_out, err)) == 0) {
		if (size_out != NULL)
			*size_out = a->size;
		rc = custody_archive__refresh(a, err);
	}
done:
	git_tree_free(tree);
	custody_buf_dispose(&note);
	custody_buf_dispose(&old);
	custody_lock__release(lock);
	return rc;
}

int custody_change__cover_all(custody_archive *a, unsigned int wait_ms,
	custody_error **err)
{
	custody_error *why = NULL;
	git_oid commit;
	int rc;

	if (a->log_signer == NULL)
		return 0;
	rc = custody_change__sign_checkpoint(a, wait_ms, NULL, &commit, &why);
	if (rc == CUSTODY_EEXISTS) {
		custody_error_free(why);
		return 0;
	}
	if (rc != 0 && err != NULL)
		*err = why;
	else
		custody_error_free(why);
	return rc;
}

/*
 * Writing the entries: each is emitted as YAML, put in a pack and hashed
 * as a Merkle leaf, ~15 µs apiece, so a large batch is cut into one
 * contiguous share per core, each with a pack of its own (a small one
 * stays on one thread and makes one pack).
 */
#define ENTRIES_PER_THREAD_MIN 2048
#define MAX_ENTRY_WRITERS 16

struct entry_writer {
	const struct custody_entry *entries;
	size_t from, to;
	unsigned char (*ids)[20];          /* public parts */
	unsigned char (*private_ids)[20];  /* private parts */
	unsigned char (*leaves)[32];
	const char *pack_dir;
	custody_pack *pack;
	custody_error *err;
	int rc;
};

static void *write_entries(void *arg)
{
	struct entry_writer *w = arg;

	if ((w->rc = custody_pack__open(&w->pack, w->pack_dir, NULL, NULL,
	    &w->err)) != 0)
		return NULL;
	for (size_t i = w->from; i < w->to; i++) {
		custody_buf yaml = CUSTODY_BUF_INIT, part = CUSTODY_BUF_INIT;

		if ((w->rc = custody_entry__emit(&yaml, &w->entries[i],
		    &w->err)) == 0 && (w->rc = custody_pack__add_buffer(
		    w->pack, CUSTODY_OBJ_BLOB, yaml.ptr, yaml.size, w->ids[i],
		    &w->err)) == 0) {
			custody_merkle__leaf_hash(yaml.ptr, yaml.size,
				w->leaves[i]);
			if ((w->rc = custody_entry__emit_private(&part,
			    &w->entries[i], w->leaves[i], &w->err)) == 0)
				w->rc = custody_pack__add_buffer(w->pack,
					CUSTODY_OBJ_BLOB, part.ptr, part.size,
					w->private_ids[i], &w->err);
		}
		custody_buf_dispose(&yaml);
		custody_buf_dispose(&part);
		if (w->rc != 0)
			break;
	}
	return NULL;
}

/* Emit and pack entries[0, n) on as many threads as it is worth; the
 * packs written come back in writers[k].pack (k < *nwriters), committed
 * by the caller. Returns the first error. */
static int write_entries_parallel(const struct custody_entry *entries,
	size_t n, const char *pack_dir, unsigned char (*ids)[20],
	unsigned char (*private_ids)[20],
	unsigned char (*leaves)[32], struct entry_writer *writers,
	size_t max_writers, size_t *nwriters, custody_error **err)
{
	pthread_t threads[MAX_ENTRY_WRITERS];
	int started[MAX_ENTRY_WRITERS] = { 0 };
	size_t k, nw = custody_hash__default_threads();
	int rc = 0;

	if (nw > max_writers)
		nw = max_writers;
	if (nw > n / ENTRIES_PER_THREAD_MIN)
		nw = n / ENTRIES_PER_THREAD_MIN;
	if (nw < 1)
		nw = 1;
	for (k = 0; k < nw; k++) {
		memset(&writers[k], 0, sizeof(writers[k]));
		writers[k].entries = entries;
		writers[k].from = n * k / nw;
		writers[k].to = n * (k + 1) / nw;
		writers[k].ids = ids;
		writers[k].private_ids = private_ids;
		writers[k].leaves = leaves;
		writers[k].pack_dir = pack_dir;
	}
	for (k = 1; k < nw; k++)
		started[k] = pthread_create(&threads[k], NULL, write_entries,
			&writers[k]) == 0;
	write_entries(&writers[0]);
	for (k = 1; k < nw; k++) {
		if (started[k])
			pthread_join(threads[k], NULL);
		else
			write_entries(&writers[k]);
	}
	*nwriters = nw;
	for (k = 0; k < nw; k++) {
		if (writers[k].rc != 0 && rc == 0) {
			rc = writers[k].rc;
			if (err != NULL && *err == NULL) {
				*err = writers[k].err;
				writers[k].err = NULL;
			}
		}
		custody_error_free(writers[k].err);
		writers[k].err = NULL;
	}
	return rc;
}

/* Index, time, actor, a fresh salt and a fresh opening for each entry.
 * The time, the salts and the openings live in the handle, so the
 * entries stay whole after the append (add shows them to its caller). */
static int stamp_entries(custody_archive *a, struct custody_entry *entries,
	size_t n, const char *actor, custody_error **err)
{
	char (*salts)[65] = calloc(2 * n + 1, sizeof(*salts));
	int rc;

	if (salts == NULL)
		return custody__oom(err);
	custody_change__now(a, a->change_time, NULL);
	if ((rc = custody_change__new_salts(salts, 2 * n, err)) != 0) {
		free(salts);
		return rc;
	}
	free(a->change_salts);
	a->change_salts = salts;
	for (size_t i = 0; i < n; i++) {
		struct custody_entry *e = &entries[i];

		e->index = a->size + i;
		e->time = a->change_time;
		e->actor = (char *)actor;
		e->salt = salts[i];
		e->opening = salts[n + i];
	}
	return 0;
}

/*
 * The first dkim entry of the batch that names a message registered in
 * the same batch (message_leaf NULL: that entry's leaf is not known
 * before it is written), or n. Such entries come after every entry they
 * name.
 */
static size_t first_linked(const struct custody_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (entries[i].type == CUSTODY_ENTRY_DKIM &&
		    entries[i].message_leaf == NULL)
			return i;
	return n;
}

/* Give the linked dkim entries [k, n) the leaf hashes of the entries
 * they name, which are written; the hex lives in the handle, as the
 * salts do. */
static int fill_links(custody_archive *a, struct custody_entry *entries,
	size_t k, size_t n, unsigned char (*leaves)[32], custody_error **err)
{
	char (*hex)[65] = calloc(n - k + 1, sizeof(*hex));

	if (hex == NULL)
		return custody__oom(err);
	for (size_t i = k; i < n; i++) {
		uint64_t m = entries[i].message;

		if (entries[i].type != CUSTODY_ENTRY_DKIM ||
		    entries[i].message_leaf != NULL)
			continue;
		if (m < a->size || m - a->size >= k) {
			free(hex);
			return custody__error(err, CUSTODY_EINVALID, "entry %"
				PRIu64 " names entry %" PRIu64 ", not one "
				"written before it in this change",
				entries[i].index, m);
		}
		custody_hex(hex[i - k], leaves[m - a->size], 32);
		entries[i].message_leaf = hex[i - k];
	}
	free(a->change_links);
	a->change_links = hex;
	return 0;
}

/* The entries and files of a change, written to packs (committed; the
 * caller takes them back if the change fails) and described in
 * changes[0, n + nfiles). */
static int write_change(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	struct custody_tree_change *changes, char (*paths)[64],
	struct entry_writer *writers, size_t *nwriters, custody_error **err)
{
	unsigned char (*ids)[20] = calloc(2 * n + 1, sizeof(*ids));
	unsigned char (*leaves)[32] = calloc(n + 1, sizeof(*leaves));
	char *pack_dir = custody_archive__pack_dir(a);
	int rc;

	if (ids == NULL || leaves == NULL || pack_dir == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	{
		size_t k = first_linked(entries, n), more = 0;

		if ((rc = write_entries_parallel(entries, k, pack_dir, ids,
		    ids + n, leaves, writers, k < n ? MAX_ENTRY_WRITERS - 1 :
		    MAX_ENTRY_WRITERS, nwriters, err)) != 0)
			goto done;
		if (k < n && ((rc = fill_links(a, entries, k, n, leaves,
		    err)) != 0 ||
		    (rc = write_entries_parallel(entries + k, n - k,
		    pack_dir, ids + k, ids + n + k, leaves + k,
		    writers + *nwriters, MAX_ENTRY_WRITERS - *nwriters, &more,
		    err)) != 0)) {
			*nwriters += more;
			goto done;
		}
		*nwriters += more;
	}
	for (size_t i = 0; i < n; i++) {
		struct custody_tree_change *pub = &changes[i];
		struct custody_tree_change *part = &changes[n + nfiles + i];

		custody_archive__entry_path(paths[i], entries[i].index);
		pub->path = paths[i];
		git_oid_fromraw(&pub->blob, ids[i]);
		memcpy(pub->leaf, leaves[i], 32);
		pub->has_leaf = 1;
		custody_archive__private_path(paths[n + i], entries[i].index);
		part->path = paths[n + i];
		git_oid_fromraw(&part->blob, ids[n + i]);
	}
	/* the files go in the first writer's pack, after its entries */
	for (size_t i = 0; i < nfiles; i++) {
		unsigned char raw[20];

		if ((rc = custody_pack__add_buffer(writers[0].pack,
		    CUSTODY_OBJ_BLOB, files[i].data, files[i].len, raw, err))
		    != 0)
			goto done;
		changes[n + i].path = files[i].path;
		git_oid_fromraw(&changes[n + i].blob, raw);
	}
	for (size_t k = 0; k < *nwriters && rc == 0; k++)
		rc = custody_pack__commit(writers[k].pack, err);
done:
	free(ids);
	free(leaves);
	free(pack_dir);
	return rc;
}

int custody_change__append(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	const char *message, git_oid *commit_out, custody_error **err)
{
	return custody_change__append_tree(a, entries, n, files, nfiles,
		NULL, 0, message, commit_out, err);
}

int custody_change__append_tree(custody_archive *a,
	struct custody_entry *entries, size_t n,
	const struct custody_tree_file *files, size_t nfiles,
	const struct custody_tree_change *stored, size_t nstored,
	const char *message, git_oid *commit_out, custody_error **err)
{
	struct entry_writer writers[MAX_ENTRY_WRITERS];
	size_t nwriters = 0, nchanges = 2 * n + nfiles + nstored;
	struct custody_tree_change *changes = NULL;
	char (*paths)[64] = NULL;
	const char *actor;
	git_odb *odb = NULL;
	git_oid commit;
	int rc, committed = 0;

	if ((rc = custody_change__signer(a, &actor, err)) != 0)
		return rc;
	if (a->size + n >= CUSTODY_MAX_ENTRIES)
		return custody__error(err, CUSTODY_EINVALID, "the log is full");
	changes = calloc(nchanges + 1, sizeof(*changes));
	paths = calloc(2 * n + 1, sizeof(*paths));
	if (changes == NULL || paths == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = stamp_entries(a, entries, n, actor, err)) != 0 ||
	    (rc = write_change(a, entries, n, files, nfiles, changes, paths,
	    writers, &nwriters, err)) != 0)
		goto done;
	for (size_t i = 0; i < nstored; i++)
		changes[2 * n + nfiles + i] = stored[i];
	if (git_repository_odb(&odb, a->repo) != 0 ||
	    git_odb_refresh(odb) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "%s: cannot reload "
			"objects", a->gitdir);
		goto done;
	}
	if ((rc = commit_head(a, changes, nchanges, actor, message,
	    &commit, err)) != 0)
		goto done;
	if (commit_out)
		git_oid_cpy(commit_out, &commit);
	/* The commit is made; an error re-reading it must not take back
	 * the objects it names. */
	committed = 1;
	rc = custody_archive__refresh(a, err);
done:
	if (rc != 0 && !committed) {
		for (size_t k = 0; k < nwriters; k++)
			custody_pack__uncommit(writers[k].pack);
		custody_pack__settled(a->gitdir);
	}
	for (size_t k = 0; k < nwriters; k++)
		custody_pack__free(writers[k].pack);
	git_odb_free(odb);
	free(changes);
	free(paths);
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
