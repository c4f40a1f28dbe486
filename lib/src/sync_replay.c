/*
 * Two writers (custody/sync.h): when this archive and a partner's both
 * added entries since their common commit, the local ones that no
 * checkpoint that left this machine covers are appended again on top of
 * the partner's main, in the quarantine, one signed commit each: new
 * indexes, references between them moved along, the stored content
 * kept. The old local commits are then no longer on main; a record of
 * what moved where stays in evidence/.
 */
#include "sync.h"

#include "archive.h"
#include "change.h"
#include "common.h"
#include "entry.h"
#include "fsutil.h"
#include "index.h"
#include "lock.h"
#include "merkle.h"
#include "path.h"
#include "tiles.h"
#include "tlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- may the local entries move? ---- */

/* Files a replayed commit may have changed: what entries and stored
 * content are made of. A commit that changed anything else (members,
 * custody.yaml, timestamps) cannot be made again by another signer. */
static int replayable_path(const char *path)
{
	return strncmp(path, "log/", 4) == 0 ||
		strncmp(path, "private/", 8) == 0 ||
		strncmp(path, "documents/", 10) == 0 ||
		strcmp(path, CUSTODY_CHECKPOINT_PATH) == 0;
}

static int tree_of(git_repository *repo, const git_oid *commit,
	git_tree **out)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, repo, commit) != 0 ||
		git_commit_tree(out, c) != 0 ? -1 : 0;

	git_commit_free(c);
	return rc;
}

/* The first file the local commits since `base` changed that a replay
 * cannot carry, into *bad (malloc'd), or NULL. */
static int other_changes(git_repository *repo, const git_oid *base,
	const git_oid *head, char **bad, custody_error **err)
{
	git_tree *from = NULL, *to = NULL;
	git_diff *diff = NULL;
	int rc = 0;

	*bad = NULL;
	if (tree_of(repo, base, &from) != 0 || tree_of(repo, head, &to) != 0 ||
	    git_diff_tree_to_tree(&diff, repo, from, to, NULL) != 0) {
		rc = custody__error_git(err, CUSTODY_EIO, "cannot compare the "
			"local commits with their common base");
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		if (!replayable_path(d->new_file.path) ||
		    !replayable_path(d->old_file.path)) {
			if ((*bad = strdup(d->new_file.path)) == NULL)
				rc = custody__oom(err);
			break;
		}
	}
done:
	git_diff_free(diff);
	git_tree_free(from);
	git_tree_free(to);
	return rc;
}

int custody_sync__replay_base(custody_archive *a, git_repository *both,
	const git_oid *tip, uint64_t *from_out, custody_error **err)
{
	git_oid base;
	git_tree *tree = NULL;
	uint64_t from = 0, shared = 0;
	char *bad = NULL, hex[41];
	int rc;

	if (git_merge_base(&base, both, &a->head, tip) != 0)
		return custody__error_git(err, CUSTODY_EVERIFY, "this archive "
			"and the remote's main have no commit in common: two "
			"different archives");
	git_oid_tostr(hex, sizeof(hex), &base);
	if (tree_of(both, &base, &tree) != 0)
		return custody__error_git(err, CUSTODY_EIO, "cannot read the "
			"common commit %.12s", hex);
	rc = custody_archive__log_size(a, tree, &from, err);
	git_tree_free(tree);
	if (rc != 0 || (rc = custody_archive__shared_size(a, &shared, err))
	    != 0)
		return rc;
	if (shared > from)
		return custody__error(err, CUSTODY_EEXISTS, "a checkpoint of "
			"%" PRIu64 " entries is known to others (given out in "
			"a proof, a checkpoint or a timestamp request, pushed, "
			"or received from a partner), and the remote's main "
			"holds only the first %" PRIu64 " of them: entries "
			"others may rely on are never given new indexes",
			shared, from);
	if ((rc = other_changes(both, &base, &a->head, &bad, err)) != 0)
		return rc;
	if (bad != NULL) {
		rc = custody__error(err, CUSTODY_EEXISTS, "the local commits "
			"since %.12s change %s, which only their signer could "
			"make again (members, the outlet key and timestamps are "
			"not replayed)", hex, bad);
		free(bad);
		return rc;
	}
	*from_out = from;
	return 0;
}

/* ---- the replay ---- */

struct replay {
	custody_archive *a;          /* the local archive */
	custody_archive *q;          /* the quarantine's, on the remote's main */
	struct custody_index *index; /* q's documents, kept up to date */
	uint64_t from;               /* the common base's size */
	size_t n;
	struct custody_entry **old;  /* local entries from..a->size */
	uint64_t *moved;             /* where each went */
	char (*leaf)[65];            /* its new leaf, hex */
};

/* Index `i` (an entry the local entry refers to) as it now stands. */
static uint64_t moved(const struct replay *r, uint64_t i)
{
	return i >= r->from ? r->moved[i - r->from] : i;
}

/* The next version of `path` on the remote's main so far. */
static void next_version(struct replay *r, struct custody_entry *e,
	const struct custody_record **old_out)
{
	const struct custody_record *rec = custody_index__find(r->index,
		e->path);

	e->version = rec ? rec->version + 1 : 1;
	e->has_previous = rec != NULL;
	e->previous = rec ? rec->index : 0;
	*old_out = rec;
}

/*
 * What `custody add` refuses, refused here too: a path that differs
 * from one the remote registered only in letter case or Unicode
 * normalisation, and stored content where the remote stores a folder or
 * a file in the way.
 */
static int clashes(struct replay *r, const struct custody_entry *o,
	custody_error **err)
{
	const char *other = NULL;
	char *fold = NULL;
	int rc;

	if (custody_index__find(r->index, o->path) == NULL) {
		if ((rc = custody_path__fold(o->path, &fold, err)) != 0)
			return rc;
		other = custody_index__fold_clash(r->index, o->path, fold);
		free(fold);
		if (other != NULL)
			return custody__error(err, CUSTODY_EEXISTS, "local entry "
				"%" PRIu64 " registers %s, which differs only in "
				"letter case or Unicode normalisation from the "
				"remote's '%s'; both cannot be kept on every "
				"system", o->index, o->path, other);
	}
	if (o->blob != NULL &&
	    (other = custody_index__stored_under(r->index, o->path)) != NULL)
		return custody__error(err, CUSTODY_EEXISTS, "local entry %"
			PRIu64 " stores %s as a file, where the remote stores "
			"%s", o->index, o->path, other);
	for (const char *s = strchr(o->path, '/'); o->blob != NULL && s;
	    s = strchr(s + 1, '/')) {
		char *prefix = strndup(o->path, (size_t)(s - o->path));
		const struct custody_record *rec = prefix ?
			custody_index__find(r->index, prefix) : NULL;

		rc = prefix == NULL ? custody__oom(err) : rec != NULL &&
			rec->blob[0] ? custody__error(err, CUSTODY_EEXISTS,
			"local entry %" PRIu64 " stores %s, where the remote "
			"stores the file %s", o->index, o->path, prefix) : 0;
		free(prefix);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Remember what the new register or derive entry registered. */
static int learn(struct replay *r, const struct custody_entry *e,
	custody_error **err)
{
	struct custody_record rec;

	custody_index__record_from_entry(&rec, e);
	if ((rec.path = strdup(e->path)) == NULL ||
	    custody_index__put(r->index, &rec) == NULL) {
		free(rec.path);
		return custody__oom(err);
	}
	return 0;
}

/* The new entry's leaf, read back from the quarantine's main. */
static int new_leaf(struct replay *r, uint64_t index, char out[65],
	custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	struct custody_entry *e = NULL;
	git_tree *tree = NULL;
	unsigned char leaf[32];
	int rc;

	if ((rc = custody_archive__head_tree(r->q, &tree, err)) == 0 &&
	    (rc = custody_archive__read_entry(r->q, tree, index, &e, &bytes,
	    err)) == 0) {
		custody_merkle__leaf_hash(bytes.ptr, bytes.size, leaf);
		custody_hex(out, leaf, 32);
	}
	custody_entry__free(e);
	custody_buf_dispose(&bytes);
	git_tree_free(tree);
	return rc;
}

/* Local entry k again, on the quarantine's main. */
static int replay_one(struct replay *r, size_t k, custody_error **err)
{
	const struct custody_entry *o = r->old[k];
	const struct custody_record *prior = NULL;
	struct custody_published *docs = NULL;
	struct custody_tree_change doc;
	struct custody_entry e = *o;  /* strings borrowed from o */
	char message[160], *doc_path = NULL;
	size_t nstored = 0;
	int rc = 0;

	e.index = 0;
	e.time = e.actor = e.salt = e.opening = NULL;
	e.private_commitment = e.private_leaf = NULL;
	memset(&doc, 0, sizeof(doc));
	switch (o->type) {
	case CUSTODY_ENTRY_DERIVE:
		if (o->derived_from >= r->from) {
			e.derived_from = moved(r, o->derived_from);
			e.original_leaf = r->leaf[o->derived_from - r->from];
		}
		/* a derivative registers a document too */
		/* fall through */
	case CUSTODY_ENTRY_REGISTER:
		if ((rc = clashes(r, o, err)) != 0)
			return rc;
		next_version(r, &e, &prior);
		if (o->blob != NULL || (prior != NULL && prior->blob[0])) {
			if ((doc_path = custody_fs__join("documents", o->path))
			    == NULL)
				return custody__oom(err);
			doc.path = doc_path;
			doc.remove = o->blob == NULL;
			if (o->blob != NULL)
				git_oid_fromstr(&doc.blob, o->blob);
			nstored = 1;
		}
		break;
	case CUSTODY_ENTRY_EVENT:
		e.document = moved(r, o->document);
		break;
	case CUSTODY_ENTRY_PUBLISH:
		if ((docs = calloc(o->ndocuments, sizeof(*docs))) == NULL)
			return custody__oom(err);
		for (size_t i = 0; i < o->ndocuments; i++) {
			docs[i] = o->documents[i];
			docs[i].index = moved(r, o->documents[i].index);
		}
		e.documents = docs;
		break;
	case CUSTODY_ENTRY_SKIP:
		/* what an add left out: it names no entry */
		break;
	case CUSTODY_ENTRY_DKIM:
		/* the message by index and leaf, as a derivative's original */
		if (o->message >= r->from) {
			e.message = moved(r, o->message);
			e.message_leaf = r->leaf[o->message - r->from];
		}
		break;
	default:
		return custody__error(err, CUSTODY_EEXISTS, "local entry %"
			PRIu64 " is of a kind only its signer can make again "
			"(members and the outlet key are not replayed)",
			o->index);
	}
	snprintf(message, sizeof(message), "custody sync: local entry %"
		PRIu64 " again as entry %" PRIu64 "\n", o->index,
		custody_archive_size(r->q));
	rc = custody_change__append_tree(r->q, &e, 1, NULL, 0,
		nstored ? &doc : NULL, nstored, message, NULL, err);
	if (rc == 0) {
		r->moved[k] = e.index;
		rc = new_leaf(r, e.index, r->leaf[k], err);
	}
	if (rc == 0 && (o->type == CUSTODY_ENTRY_REGISTER ||
	    o->type == CUSTODY_ENTRY_DERIVE))
		rc = learn(r, &e, err);
	free(docs);
	free(doc_path);
	return rc;
}

/* The local entries from r->from on, both parts. */
static int read_local(struct replay *r, custody_error **err)
{
	git_tree *tree = NULL;
	int rc;

	r->n = (size_t)(r->a->size - r->from);
	r->old = calloc(r->n + 1, sizeof(*r->old));
	r->moved = calloc(r->n + 1, sizeof(*r->moved));
	r->leaf = calloc(r->n + 1, sizeof(*r->leaf));
	if (r->old == NULL || r->moved == NULL || r->leaf == NULL)
		return custody__oom(err);
	if ((rc = custody_archive__head_tree(r->a, &tree, err)) != 0)
		return rc;
	for (size_t k = 0; k < r->n && rc == 0; k++)
		rc = custody_archive__read_entry(r->a, tree, r->from + k,
			&r->old[k], NULL, err);
	git_tree_free(tree);
	return rc;
}

/* A line per moved entry, kept under evidence/ (never overwritten). */
/* A claim: the file written, never over another (write_new). */
static int claim_file(const char *path, void *payload, custody_error **err)
{
	const custody_buf *text = payload;

	return custody_fs__write_new(path, text->ptr, text->size, 0600, err);
}

static int keep_record(struct replay *r, const char *url,
	const git_oid *old_head, const git_oid *theirs, custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	char hex[41], their_hex[41], *path = NULL;
	int rc = 0;

	git_oid_tostr(hex, sizeof(hex), old_head);
	git_oid_tostr(their_hex, sizeof(their_hex), theirs);
	if (custody_buf__printf(&text, "custody replay 1\nremote %s\n"
	    "local-main %s\nremote-main %s\n", url, hex, their_hex) != 0)
		rc = custody__oom(err);
	for (size_t k = 0; k < r->n && rc == 0; k++)
		if (custody_buf__printf(&text, "entry %" PRIu64 " now %"
		    PRIu64 "\n", r->from + k, r->moved[k]) != 0)
			rc = custody__oom(err);
	if (rc == 0)
		rc = custody_sync__keep_evidence(r->a, "replay", ".txt",
			claim_file, &text, &path, err);
	free(path);
	custody_buf_dispose(&text);
	return rc;
}

static void replay_free(struct replay *r)
{
	for (size_t k = 0; r->old != NULL && k < r->n; k++)
		custody_entry__free(r->old[k]);
	free(r->old);
	free(r->moved);
	free(r->leaf);
	custody_index__free(r->index);
}

int custody_sync__replay(custody_archive *a, struct custody_quarantine *q,
	const char *url, uint64_t from, git_oid *new_tip,
	custody_error **err)
{
	struct replay r;
	struct custody_lock *lock = NULL;
	const char *actor;
	git_oid head = a->head, theirs;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.q = q->archive;
	r.from = from;
	custody_archive_set_signer(r.q, a->signer);
	custody_archive_set_log_key(r.q, a->log_signer);
	if ((rc = read_local(&r, err)) != 0)
		goto done;
	/* the quarantine's main was verified: its commits are seen */
	if ((rc = custody_archive__refresh(r.q, err)) != 0)
		goto done;
	custody_change__remember_head(r.q, &r.q->head);
	theirs = r.q->head;
	if ((rc = custody_change__begin(r.q, 0, &lock, &actor, err)) != 0 ||
	    (rc = custody_index__load(&r.index, r.q, err)) != 0)
		goto done;
	for (size_t k = 0; k < r.n && rc == 0; k++)
		rc = replay_one(&r, k, err);
	if (rc == 0) {
		*new_tip = r.q->head;
		rc = keep_record(&r, url, &head, &theirs, err);
	}
done:
	custody_lock__release(lock);
	replay_free(&r);
	return rc;
}

int custody_sync__forget_tiles_from(custody_archive *a, uint64_t from,
	custody_error **err)
{
	struct custody_tiles *t = NULL;
	uint64_t have = 0;
	int rc;

	if ((rc = custody_tlog__open_tiles(a, &t, &have, err)) == 0 &&
	    custody_tiles__size(t) > from)
		rc = custody_tiles__truncate(t, from, err);
	custody_tiles__free(t);
	return rc;
}
