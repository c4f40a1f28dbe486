/*
 * custody verify from a base: the state of our own main, which this
 * machine verified or made (custody-seen), for checking a partner's main
 * that extends it in O(what is new). Everything taken from our caches is
 * checked against our main where that is cheap (the tiles give the
 * checkpoint's root, the index is of this very head, the members file
 * reads back to its own bytes); when one does not agree, there is no
 * base and the partner's history is verified from the root.
 */
#include "archive_verify.h"
#include "checkpoint.h"
#include "entry.h"
#include "fsutil.h"
#include "index.h"
#include "members.h"
#include "note.h"
#include "policy.h"
#include "tiles.h"
#include "tlog.h"
#include "tlog_index.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* Why there is no base: never shown to a user (the caller verifies
 * from the root), but said for whoever debugs. */
static int no_base(custody_error **err, const char *why)
{
	return custody__error(err, CUSTODY_ENOTFOUND, "no verified base: %s",
		why);
}

/* The blob or folder ids the run compares with. */
static void note_ids(struct custody_verify_base *b, git_tree *tree)
{
	const git_tree_entry *te;

	if ((te = git_tree_entry_byname(tree, "timestamps")) != NULL) {
		git_oid_cpy(&b->timestamps, git_tree_entry_id(te));
		b->has_timestamps = 1;
	}
	if ((te = git_tree_entry_byname(tree, "documents")) != NULL) {
		git_oid_cpy(&b->documents, git_tree_entry_id(te));
		b->has_documents = 1;
	}
	if ((te = git_tree_entry_byname(tree, "witnesses")) != NULL) {
		git_oid_cpy(&b->witnesses, git_tree_entry_id(te));
		b->has_witnesses = 1;
	}
	if ((te = git_tree_entry_byname(tree, CUSTODY_POLICY_PATH)) != NULL) {
		git_oid_cpy(&b->policy, git_tree_entry_id(te));
		b->has_policy = 1;
	}
}

static int blob_id(git_tree *tree, const char *path, git_oid *out)
{
	git_tree_entry *te = NULL;
	int rc = git_tree_entry_bypath(&te, tree, path);

	if (rc == 0)
		git_oid_cpy(out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	return rc;
}

/* members/allowed_signers, which must read back to the same bytes. */
static int read_members(struct custody_verify_base *b, custody_archive *a,
	git_tree *tree, custody_error **err)
{
	struct custody_members m = { 0 };
	custody_buf again = CUSTODY_BUF_INIT;
	git_blob *blob = NULL;
	git_oid id;
	int rc;

	if (blob_id(tree, CUSTODY_MEMBERS_PATH, &id) != 0 ||
	    custody_archive__bounded_blob(a->repo, &id, 1 << 24,
	    CUSTODY_MEMBERS_PATH, &blob, NULL) != 0)
		return no_base(err, "no members file");
	rc = custody_buf__append(&b->members, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	if (rc != 0)
		return custody__oom(err);
	if (custody_members__parse(&m, b->members.ptr, b->members.size,
	    CUSTODY_MEMBERS_PATH, NULL) != 0 ||
	    custody_members__allowed_signers(&m, a->config->origin, &again,
	    NULL) != 0 || again.size != b->members.size ||
	    memcmp(again.ptr, b->members.ptr, again.size) != 0)
		rc = no_base(err, "the members file does not read back");
	custody_members__clear(&m);
	custody_buf_dispose(&again);
	return rc;
}

/* The tile cache, which must give the checkpoint's root. */
static int read_tiles(struct custody_verify_base *b, custody_archive *a,
	git_tree *tree, custody_error **err)
{
	struct custody_checkpoint cp;
	custody_buf note = CUSTODY_BUF_INIT;
	unsigned char root[32];
	size_t text_len;
	int rc = 0;
	uint64_t have = 0;

	/* as they are: a refused fetch writes nothing, not even a cache */
	if (custody_tlog__open_tiles(a, &b->tiles, &have, NULL) != 0 ||
	    have < b->size)
		return no_base(err, "no tile cache of the whole log");
	if (blob_id(tree, CUSTODY_CHECKPOINT_PATH, &b->checkpoint) != 0 ||
	    custody_tlog__read_checkpoint(a, tree, &note, &text_len, NULL)
	    != 0 || custody_checkpoint__parse(&cp, note.ptr, text_len, NULL)
	    != 0 || cp.size > b->size ||
	    custody_tiles__root(b->tiles, cp.size, root, NULL) != 0 ||
	    CRYPTO_memcmp(root, cp.root, 32) != 0)
		rc = no_base(err, "the tile cache is not the checkpoint's");
	custody_buf_dispose(&note);
	return rc;
}

static int push_log_key(struct custody_verify_base *b, uint64_t from,
	const char *vkey, custody_error **err)
{
	struct custody_verify_log_key *grown;

	grown = realloc(b->log_keys, (b->nlog_keys + 1) * sizeof(*grown));
	if (grown == NULL)
		return custody__oom(err);
	b->log_keys = grown;
	if ((grown[b->nlog_keys].vkey = strdup(vkey)) == NULL)
		return custody__oom(err);
	grown[b->nlog_keys++].from = from;
	return 0;
}

/* The outlet keys: the genesis entry's and each rotation's. */
static int read_log_keys(struct custody_verify_base *b, custody_archive *a,
	git_tree *tree, custody_error **err)
{
	struct custody_tlog_index *x = NULL;
	int rc = 0;

	if (custody_tlog_index__open(a, tree, &x, NULL) != 0)
		return no_base(err, "no index of the outlet keys");
	for (size_t k = 0; k <= x->nrecords && rc == 0; k++) {
		struct custody_entry *e = NULL;
		uint64_t i = k == 0 ? 0 : x->records[k - 1].index;

		if (k > 0 && !x->records[k - 1].log_key)
			continue;
		if (custody_archive__read_entry(a, tree, i, &e, NULL, NULL)
		    != 0 || e->log_key == NULL || (k == 0 && e->type !=
		    CUSTODY_ENTRY_GENESIS) || (k > 0 && e->type !=
		    CUSTODY_ENTRY_LOG_KEY))
			rc = no_base(err, "an outlet key entry is unreadable");
		else
			rc = push_log_key(b, i, e->log_key, err);
		custody_entry__free(e);
	}
	custody_tlog_index__free(x);
	return rc;
}

/* Each path's latest record, the index of this very head (caught up
 * or rebuilt in memory when it is not: nothing is written). */
static int read_index(struct custody_verify_base *b, custody_archive *a,
	custody_error **err)
{
	if (custody_index__load(&b->index, a, NULL) != 0 ||
	    b->index->size != b->size ||
	    memcmp(b->index->head, a->head_hex, 40) != 0)
		return no_base(err, "no index of the paths");
	return 0;
}

int custody_archive__verify_base(struct custody_verify_base *out,
	custody_archive *a, custody_error **err)
{
	git_tree *tree = NULL;
	git_oid seen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!a->has_head || a->config == NULL ||
	    !custody_archive_verify__read_seen(a, &seen) ||
	    !git_oid_equal(&seen, &a->head))
		return no_base(err, "main is not the one verified here");
	git_oid_cpy(&out->commit, &a->head);
	out->size = a->size;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	note_ids(out, tree);
	if (blob_id(tree, "custody.yaml", &out->config) != 0)
		rc = no_base(err, "no custody.yaml");
	if (rc == 0)
		rc = read_members(out, a, tree, err);
	if (rc == 0)
		rc = read_tiles(out, a, tree, err);
	if (rc == 0)
		rc = read_log_keys(out, a, tree, err);
	if (rc == 0)
		rc = read_index(out, a, err);
	git_tree_free(tree);
	if (rc != 0)
		custody_archive__verify_base_clear(out);
	return rc;
}

void custody_archive__verify_base_clear(struct custody_verify_base *b)
{
	custody_tiles__free(b->tiles);
	custody_index__free(b->index);
	custody_buf_dispose(&b->members);
	for (size_t k = 0; k < b->nlog_keys; k++)
		free(b->log_keys[k].vkey);
	free(b->log_keys);
	memset(b, 0, sizeof(*b));
}
