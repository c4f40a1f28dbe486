/*
 * The transparency log over the archive's entries: tile cache upkeep and
 * the signed checkpoint that every change carries.
 */
#include "tlog.h"
#include "checkpoint.h"
#include "common.h"
#include "fsutil.h"
#include "key.h"
#include "merkle.h"
#include "note.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* Leaves hashed from the entries per batch when the cache catches up. */
#define CATCH_UP_BATCH 1024

int custody_tlog__open_tiles(custody_archive *a, struct custody_tiles **out,
	uint64_t *size_out, custody_error **err)
{
	custody_error *why = NULL;
	char *dir = custody_fs__join(a->gitdir, "cache/tiles");
	char *cache = custody_fs__join(a->gitdir, "cache");
	int rc;

	*out = NULL;
	if (dir == NULL || cache == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__mkdir(cache, 0700, err)) != 0)
		goto done;
	rc = custody_tiles__open(out, dir, size_out, &why);
	if (rc == CUSTODY_EINVALID || rc == CUSTODY_EVERIFY ||
	    rc == CUSTODY_ENOTFOUND) {
		/* a cache: start it again from the entries */
		custody_archive__notice(a, "%s; the tile cache is rebuilt "
			"from the entries", custody_error_message(why));
		custody_error_free(why);
		why = NULL;
		if ((rc = custody_tiles__remove(dir, err)) != 0)
			goto done;
		rc = custody_tiles__open(out, dir, size_out, &why);
	}
	if (rc != 0 && why != NULL)
		custody__error(err, rc, "%s", custody_error_message(why));
done:
	custody_error_free(why);
	free(dir);
	free(cache);
	return rc;
}

int custody_tlog__tiles(custody_archive *a, struct custody_tiles **out,
	custody_error **err)
{
	struct custody_tiles *t = NULL;
	unsigned char (*batch)[32] = NULL;
	git_tree *tree = NULL;
	uint64_t have;
	int rc;

	*out = NULL;
	if ((rc = custody_tlog__open_tiles(a, &t, &have, err)) != 0)
		goto done;
	if (have > a->size &&
	    (rc = custody_tiles__truncate(t, a->size, err)) != 0)
		goto done;
	have = custody_tiles__size(t);
	if (have < a->size) {
		if ((batch = malloc(CATCH_UP_BATCH * sizeof(*batch))) == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
			goto done;
	}
	while (have < a->size) {
		size_t k = 0;

		while (k < CATCH_UP_BATCH && have + k < a->size) {
			custody_buf bytes = CUSTODY_BUF_INIT;
			struct custody_entry *e = NULL;

			rc = custody_archive__read_entry(a, tree, have + k, &e,
				&bytes, err);
			custody_entry__free(e);
			if (rc == 0)
				custody_merkle__leaf_hash(bytes.ptr, bytes.size,
					batch[k]);
			custody_buf_dispose(&bytes);
			if (rc != 0)
				goto done;
			k++;
		}
		if ((rc = custody_tiles__append(t, (const unsigned char
		    (*)[32])batch, k, err)) != 0)
			goto done;
		have += k;
	}
	*out = t;
	t = NULL;
done:
	custody_tiles__free(t);
	git_tree_free(tree);
	free(batch);
	return rc;
}

int custody_tlog__read_checkpoint(custody_archive *a, git_tree *tree,
	custody_buf *note_out, size_t *text_len, custody_error **err)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int rc;

	if (git_tree_entry_bypath(&te, tree, CUSTODY_CHECKPOINT_PATH) != 0)
		return custody__error(err, CUSTODY_ENOTFOUND, "%s: no %s in "
			"the tree", a->gitdir, CUSTODY_CHECKPOINT_PATH);
	if (git_blob_lookup(&blob, a->repo, git_tree_entry_id(te)) != 0) {
		git_tree_entry_free(te);
		return custody__error_git(err, CUSTODY_EVERIFY, "%s: cannot "
			"read %s", a->gitdir, CUSTODY_CHECKPOINT_PATH);
	}
	note_out->ptr = NULL;
	note_out->size = 0;
	rc = custody_buf__append(note_out, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob)) ? custody__oom(err) : 0;
	if (rc == 0 && (rc = custody_note__split(note_out->ptr,
	    note_out->size, text_len, err)) != 0)
		custody_buf_dispose(note_out);
	git_blob_free(blob);
	git_tree_entry_free(te);
	return rc;
}

/* The checkpoint at head must be a prefix of the tree we hold. */
static int check_extends_head(custody_archive *a, struct custody_tiles *t,
	custody_error **err)
{
	custody_buf note = CUSTODY_BUF_INIT;
	struct custody_checkpoint old;
	unsigned char root[32];
	git_tree *tree = NULL;
	size_t text_len;
	int rc;

	if (!a->has_head)
		return 0;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	rc = custody_tlog__read_checkpoint(a, tree, &note, &text_len, err);
	git_tree_free(tree);
	if (rc != 0)
		return rc;
	if ((rc = custody_checkpoint__parse(&old, note.ptr, text_len, err))
	    == 0 && (old.size > custody_tiles__size(t) ||
	    custody_tiles__root(t, old.size, root, err) != 0 ||
	    CRYPTO_memcmp(root, old.root, 32) != 0))
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_VERIFY, "%s: the checkpoint at head (size "
			"%llu) does not match the log; custody will not sign a "
			"checkpoint inconsistent with it", a->gitdir,
			(unsigned long long)old.size);
	custody_buf_dispose(&note);
	return rc;
}

/* The tree of the tile cache's leaves followed by some new ones, for
 * the merkle functions: complete subtrees inside the cache come from it,
 * the rest is hashed from below. */
struct overlay {
	struct custody_tiles *t;
	uint64_t cached;                   /* leaves in the cache */
	const unsigned char (*leaves)[32]; /* then these */
};

static int overlay_node(void *payload, unsigned level, uint64_t index,
	unsigned char out[32], custody_error **err)
{
	struct overlay *o = payload;
	unsigned char left[32], right[32];
	int rc;

	if (((index + 1) << level) <= o->cached)
		return custody_tiles__node(o->t, level, index, out, err);
	if (level == 0) {
		memcpy(out, o->leaves[index - o->cached], 32);
		return 0;
	}
	if ((rc = overlay_node(o, level - 1, 2 * index, left, err)) != 0 ||
	    (rc = overlay_node(o, level - 1, 2 * index + 1, right, err)) != 0)
		return rc;
	custody_merkle__node_hash(left, right, out);
	return 0;
}

int custody_tlog__sign_checkpoint(struct custody_tiles *t,
	const unsigned char (*leaves)[32], size_t n, const char *origin,
	const custody_key *signer, custody_buf *out, custody_error **err)
{
	struct custody_checkpoint cp;
	struct overlay o;
	custody_buf text = CUSTODY_BUF_INIT;
	int rc;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	o.t = t;
	o.cached = custody_tiles__size(t);
	o.leaves = leaves;
	cp.size = o.cached + n;
	if ((rc = custody_merkle__root(overlay_node, &o, cp.size, cp.root,
	    err)) == 0 &&
	    (rc = custody_checkpoint__format(&cp, &text, err)) == 0)
		rc = custody_note__sign(out, text.ptr, text.size, cp.origin,
			signer, err);
	custody_buf_dispose(&text);
	return rc;
}

int custody_tlog__is_log_key(custody_archive *a, const custody_key *key,
	custody_error **err)
{
	custody_buf vkey = CUSTODY_BUF_INIT;
	const char *in_force;
	int rc;

	if ((rc = custody_key_wait(key, err)) != 0 ||
	    (rc = custody_pubkey_vkey(custody_key_public(key),
	    a->config->origin, &vkey, err)) != 0)
		return rc;
	in_force = a->rotating_to ? a->rotating_to : a->config->log_key;
	if (!custody_entry__same_log_key(vkey.ptr, in_force))
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: the outlet key "
			"given (%s) is not this archive's (%s)", a->gitdir,
			vkey.ptr, in_force ? in_force : "none");
	custody_buf_dispose(&vkey);
	return rc;
}

int custody_tlog__next_checkpoint(custody_archive *a,
	const unsigned char (*leaves)[32], size_t n, custody_buf *note_out,
	custody_error **err)
{
	struct custody_tiles *t = NULL;
	int rc;

	if (a->log_signer == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: no outlet key "
			"to sign the checkpoint with", a->gitdir);
	if ((rc = custody_tlog__is_log_key(a, a->log_signer, err)) == 0 &&
	    (rc = custody_tlog__tiles(a, &t, err)) == 0 &&
	    (rc = check_extends_head(a, t, err)) == 0)
		rc = custody_tlog__sign_checkpoint(t, leaves, n,
			a->config->origin, a->log_signer, note_out, err);
	custody_tiles__free(t);
	return rc;
}

void custody_tlog__commit(custody_archive *a,
	const unsigned char (*leaves)[32], size_t n)
{
	struct custody_tiles *t = NULL;
	custody_error *err = NULL;
	uint64_t before = a->size;

	/* a->size is still the size before the commit: the cache must hold
	 * exactly that many leaves to take the new ones */
	if (n > 0 &&
	    (custody_tlog__tiles(a, &t, &err) != 0 ||
	    custody_tiles__size(t) != before ||
	    custody_tiles__append(t, leaves, n, &err) != 0))
		custody_archive__notice(a, "the tile cache was not updated "
			"(%s); it catches up next time", err ?
			custody_error_message(err) : "it is out of step");
	custody_error_free(err);
	custody_tiles__free(t);
}
