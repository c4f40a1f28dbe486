/*
 * custody verify: the transparency log. The tile cache is brought in
 * line with the entries; then every commit's checkpoint and every token
 * in timestamps/ must be of this log's Merkle tree, and signed.
 */
#include "archive_verify.h"
#include "digest.h"
#include "entry.h"
#include "checkpoint.h"
#include "config.h"
#include "fsutil.h"
#include "merkle.h"
#include "note.h"
#include "tiles.h"
#include "tlog.h"
#include "tlog_index.h"
#include "tsa.h"
#include "cosignature.h"
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Read a blob into a buffer; 0 or -1. */
static int read_blob(custody_archive *a, const git_oid *id,
	custody_buf *out)
{
	git_blob *blob;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if (git_blob_lookup(&blob, a->repo, id) != 0)
		return -1;
	rc = custody_buf__append(out, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob)) ? -1 : 0;
	git_blob_free(blob);
	return rc;
}

/* The tile cache against the entries: what differs is rebuilt. */
static int sync_tiles(struct custody_verify_run *v,
	unsigned char (*leaves)[32], struct custody_tiles **out,
	custody_error **err)
{
	custody_archive *a = v->a;
	struct custody_tiles *t = NULL;
	uint64_t have, same = 0;
	int rc;

	if ((rc = custody_tlog__open_tiles(a, &t, &have, err)) != 0)
		return rc;
	for (; same < have && same < a->size; same++) {
		unsigned char h[32];

		if (custody_tiles__node(t, 0, same, h, NULL) != 0 ||
		    memcmp(h, leaves[same], 32) != 0)
			break;
	}
	if (same < have) {
		if (same < a->size)
			custody_archive__notice(a, "the tile cache differed "
				"from the log from leaf %" PRIu64 "; rebuilt "
				"from the entries", same);
		if ((rc = custody_tiles__truncate(t, same, err)) != 0)
			goto fail;
	}
	if (same < a->size && (rc = custody_tiles__append(t,
	    (const unsigned char (*)[32])leaves + same,
	    (size_t)(a->size - same), err)) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	custody_tiles__free(t);
	return rc;
}

/*
 * From a base: the hash of a complete subtree, from the base's tiles
 * when it lies wholly before the base, else from the new leaves (and the
 * base's subtrees to their left). O(new entries + log n) for a root.
 */
static int base_node(void *payload, unsigned level, uint64_t index,
	unsigned char out[32], custody_error **err)
{
	struct custody_verify_run *v = payload;
	unsigned char left[32], right[32];
	int rc;

	if (level >= 64 || index > (UINT64_MAX >> level) ||
	    ((index + 1) << level) > v->nlog)
		return custody__error(err, CUSTODY_EINVALID, "no subtree at "
			"level %u, index %" PRIu64, level, index);
	if (((index + 1) << level) <= v->base->size)
		return custody_tiles__node(v->base->tiles, level, index, out,
			err);
	if (level == 0) {
		memcpy(out, v->leaves[index], 32);
		return 0;
	}
	if ((rc = base_node(v, level - 1, 2 * index, left, err)) != 0 ||
	    (rc = base_node(v, level - 1, 2 * index + 1, right, err)) != 0)
		return rc;
	custody_merkle__node_hash(left, right, out);
	return 0;
}

/* The root of the log's first `size` entries; 0 or -1. */
static int root_at(struct custody_verify_run *v, struct custody_tiles *t,
	uint64_t size, unsigned char root[32])
{
	if (v->base != NULL)
		return size <= v->nlog && custody_merkle__root(base_node, v,
			size, root, NULL) == 0 ? 0 : -1;
	return size <= custody_tiles__size(t) &&
		custody_tiles__root(t, size, root, NULL) == 0 ? 0 : -1;
}

const char *custody_archive_verify__log_key_at(
	const struct custody_verify_run *v, uint64_t size)
{
	const char *vkey = NULL;

	for (size_t k = 0; k < v->nlog_keys && v->log_keys[k].from < size;
	    k++)
		vkey = v->log_keys[k].vkey;
	if (v->nlog_keys == 0 && v->a->config != NULL)
		vkey = v->a->config->log_key;
	return vkey;
}

/* Does the outlet key in force at the checkpoint's size sign it? 0, or
 * the reason in *why. */
static int signed_in_force(struct custody_verify_run *v,
	const custody_buf *note, uint64_t size, custody_error **why)
{
	const char *vkey = custody_archive_verify__log_key_at(v, size);
	struct custody_note_verifier nv;

	if (vkey == NULL)
		return custody__error(why, CUSTODY_EINVALID, "the archive "
			"names no outlet key");
	if (custody_note__verifier_from_vkey(&nv, vkey, strlen(vkey), why)
	    != 0)
		return CUSTODY_EINVALID;
	return custody_note__verify(note->ptr, note->size, &nv, 1, NULL,
		why);
}

/* One commit's checkpoint, for the log's first `size` entries. */
static void check_checkpoint(struct custody_verify_run *v,
	struct custody_tiles *t, const struct custody_verify_commit *info,
	uint64_t size)
{
	custody_archive *a = v->a;
	struct custody_checkpoint cp;
	custody_buf note = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	unsigned char root[32];
	char where[64];
	size_t text_len;

	snprintf(where, sizeof(where), "commit %.12s", info->hex);
	if (!info->has_checkpoint) {
		custody_archive_verify__problem(v, where, "has no checkpoint");
		return;
	}
	if (read_blob(a, &info->checkpoint, &note) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint "
			"cannot be read");
		return;
	}
	if (custody_note__split(note.ptr, note.size, &text_len, &why) != 0 ||
	    custody_checkpoint__parse(&cp, note.ptr, text_len, &why) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint is "
			"malformed: %s", custody_error_message(why));
	} else if (a->config && strcmp(cp.origin, a->config->origin) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint "
			"names the log '%s', not '%s'", cp.origin,
			a->config->origin);
	} else if (cp.size != size) {
		custody_archive_verify__problem(v, where, "its checkpoint has "
			"size %" PRIu64 ", but the log has %" PRIu64
			" entries there", cp.size, size);
	} else if (root_at(v, t, size, root) != 0 ||
	    CRYPTO_memcmp(root, cp.root, 32) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint's "
			"root is not the Merkle root of the log's first %"
			PRIu64 " entries", size);
	} else if (signed_in_force(v, &note, size, &why) != 0) {
		const char *vkey = custody_archive_verify__log_key_at(v,
			size);

		custody_archive_verify__problem(v, where, "its checkpoint is "
			"not signed by the outlet key %s: %s", vkey ? vkey :
			"(unknown)", custody_error_message(why));
	}
	custody_error_free(why);
	custody_buf_dispose(&note);
}

/* Every checkpoint a commit brings: this log's, covering every entry up
 * to that commit, signed by the outlet key. A commit by a member without
 * the outlet key adds entries and keeps the checkpoint it found. */
static void check_checkpoints(struct custody_verify_run *v,
	struct custody_tiles *t)
{
	const git_oid *before = v->base ? &v->base->checkpoint : NULL;
	uint64_t size = v->base ? v->base->size : 0;

	for (size_t k = 0; k < v->ncommits && !v->stopped; k++) {
		const struct custody_verify_commit *info = &v->commits[k];

		size += info->count;
		if (info->has_checkpoint && before != NULL &&
		    git_oid_equal(before, &info->checkpoint))
			continue;
		check_checkpoint(v, t, info, size);
		before = info->has_checkpoint ? &info->checkpoint : NULL;
	}
}

/* The checkpoint a token covers is signed by the outlet key in force at
 * its size. */
static void check_timestamp_signers(struct custody_verify_run *v,
	const custody_buf *note, const struct custody_checkpoint *cp,
	const char *where)
{
	custody_error *why = NULL;

	if (signed_in_force(v, note, cp->size, &why) != 0)
		custody_archive_verify__problem(v, where, "its checkpoint is "
			"not signed by the outlet key: %s",
			custody_error_message(why));
	custody_error_free(why);
}

/* timestamps/<size>.tsr: its token covers <size>.checkpoint beside it,
 * which is this log's. */
static void check_timestamp(struct custody_verify_run *v,
	struct custody_tiles *t, git_tree *dir, const git_tree_entry *tsr,
	const void *unused)
{
	custody_archive *a = v->a;
	const char *name = git_tree_entry_name(tsr);
	const git_tree_entry *cpe;
	size_t len = strlen(name), text_len;
	struct custody_checkpoint cp;
	struct custody_tsa_info info;
	custody_buf token = CUSTODY_BUF_INIT, note = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	unsigned char digest[32], root[32];
	char where[96], cpname[64];
	int untrusted;

	if (len < 5 || strcmp(name + len - 4, ".tsr") != 0)
		return;
	snprintf(where, sizeof(where), "timestamps/%s", name);
	snprintf(cpname, sizeof(cpname), "%.*s.checkpoint", (int)(len - 4),
		name);
	if ((cpe = git_tree_entry_byname(dir, cpname)) == NULL ||
	    read_blob(a, git_tree_entry_id(cpe), &note) != 0 ||
	    read_blob(a, git_tree_entry_id(tsr), &token) != 0) {
		custody_archive_verify__problem(v, where, "has no readable %s "
			"beside it", cpname);
		goto done;
	}
	if (custody_note__split(note.ptr, note.size, &text_len, &why) != 0 ||
	    custody_checkpoint__parse(&cp, note.ptr, text_len, &why) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint is "
			"malformed: %s", custody_error_message(why));
		goto done;
	}
	if ((uint64_t)strtoull(name, NULL, 10) != cp.size ||
	    root_at(v, t, cp.size, root) != 0 ||
	    CRYPTO_memcmp(root, cp.root, 32) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint is "
			"not this log's tree of size %" PRIu64, cp.size);
		goto done;
	}
	check_timestamp_signers(v, &note, &cp, where);
	if (custody_digest__sha256(note.ptr, note.size, digest, &why) != 0 ||
	    custody_tsa__verify(token.ptr, token.size, digest, NULL, &info,
	    &untrusted, &why) != 0)
		custody_archive_verify__problem(v, where, "%s",
			custody_error_message(why));
done:
	custody_error_free(why);
	custody_buf_dispose(&note);
	custody_buf_dispose(&token);
}

typedef void (*file_check)(struct custody_verify_run *v,
	struct custody_tiles *t, git_tree *dir, const git_tree_entry *e,
	const void *ctx);

/* Each file of `folder` at head that the base did not hold as it is
 * (what the base holds was checked when it was verified), through
 * check. */
static void check_new_files(struct custody_verify_run *v,
	struct custody_tiles *t, git_tree *tree, const char *folder,
	int base_has, const git_oid *base_id, file_check check,
	const void *ctx)
{
	git_tree_entry *te = NULL;
	git_tree *dir = NULL, *old = NULL;
	char where[32];

	if (git_tree_entry_bypath(&te, tree, folder) != 0)
		return;
	if (git_tree_lookup(&dir, v->a->repo, git_tree_entry_id(te)) != 0) {
		snprintf(where, sizeof(where), "%s/", folder);
		custody_archive_verify__problem(v, where, "cannot be read");
		git_tree_entry_free(te);
		return;
	}
	if (v->base != NULL && base_has &&
	    git_tree_lookup(&old, v->a->repo, base_id) != 0)
		old = NULL;
	for (size_t i = 0; i < git_tree_entrycount(dir) && !v->stopped; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(dir, i);
		const git_tree_entry *was = old ? git_tree_entry_byname(old,
			git_tree_entry_name(e)) : NULL;

		if (was == NULL || !git_oid_equal(git_tree_entry_id(was),
		    git_tree_entry_id(e)))
			check(v, t, dir, e, ctx);
	}
	git_tree_free(old);
	git_tree_free(dir);
	git_tree_entry_free(te);
}

/* witnesses/<size>.checkpoint: this log's checkpoint of that size,
 * signed by the outlet key in force there, then cosignature lines, each
 * by a witness of the policy at head verifying (lines by others are
 * kept, unjudged: a witness removed since, say). */
static void check_cosigned(struct custody_verify_run *v,
	struct custody_tiles *t, git_tree *dir, const git_tree_entry *te,
	const void *ctx)
{
	const struct custody_policy *policy = ctx;
	const char *name = git_tree_entry_name(te);
	struct custody_checkpoint cp;
	custody_buf note = CUSTODY_BUF_INIT, signed_part = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	unsigned char root[32];
	char where[96];
	size_t text_len, len = strlen(name);
	uint64_t now = (uint64_t)time(NULL);

	if (len < 12 || strcmp(name + len - 11, ".checkpoint") != 0)
		return;
	snprintf(where, sizeof(where), "witnesses/%s", name);
	if (read_blob(v->a, git_tree_entry_id(te), &note) != 0 ||
	    custody_buf__append(&note, "", 1) != 0) {
		custody_archive_verify__problem(v, where, "cannot be read");
		goto done;
	}
	note.size--;
	if (custody_note__split(note.ptr, note.size, &text_len, &why) != 0 ||
	    custody_checkpoint__parse(&cp, note.ptr, text_len, &why) != 0) {
		custody_archive_verify__problem(v, where, "is malformed: %s",
			custody_error_message(why));
		goto done;
	}
	if ((uint64_t)strtoull(name, NULL, 10) != cp.size ||
	    root_at(v, t, cp.size, root) != 0 ||
	    CRYPTO_memcmp(root, cp.root, 32) != 0) {
		custody_archive_verify__problem(v, where, "is not this log's "
			"tree of size %" PRIu64, cp.size);
		goto done;
	}
	if (custody_buf__append(&signed_part, note.ptr, custody_cosig__strip(
	    note.ptr, note.size)) != 0 || signed_in_force(v, &signed_part,
	    cp.size, &why) != 0) {
		custody_archive_verify__problem(v, where, "its checkpoint is "
			"not signed by the outlet key: %s", why ?
			custody_error_message(why) : "out of memory");
		goto done;
	}
	for (size_t i = 0; policy != NULL && i < policy->nwitnesses; i++) {
		uint64_t ts = 0;
		int rc = custody_cosig__find(note.ptr, note.size, text_len,
			&policy->witnesses[i].v, &ts, NULL, NULL, &why);

		if (rc != 0 && rc != 1)
			custody_archive_verify__problem(v, where, "witness "
				"%s: %s", policy->witnesses[i].name,
				custody_error_message(why));
		else if (rc == 0 && ts > now + 600)
			custody_archive_verify__problem(v, where, "witness %s "
				"cosigned it at %" PRIu64 ", in the future",
				policy->witnesses[i].name, ts);
		custody_error_free(why);
		why = NULL;
	}
done:
	custody_error_free(why);
	custody_buf_dispose(&note);
	custody_buf_dispose(&signed_part);
}

/* witnesses/: what the base did not hold, against the policy at head. */
static void check_witnesses(struct custody_verify_run *v,
	struct custody_tiles *t, git_tree *tree)
{
	struct custody_policy *policy = NULL;
	git_tree_entry *pe = NULL;
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *why = NULL;

	if (git_tree_entry_bypath(&pe, tree, CUSTODY_POLICY_PATH) == 0 &&
	    (read_blob(v->a, git_tree_entry_id(pe), &text) != 0 ||
	    custody_policy__parse(&policy, text.ptr, text.size,
	    CUSTODY_POLICY_PATH, &why) != 0))
		custody_archive_verify__problem(v, CUSTODY_POLICY_PATH, "%s",
			why ? custody_error_message(why) : "cannot be read");
	check_new_files(v, t, tree, "witnesses", v->base ?
		v->base->has_witnesses : 0, v->base ? &v->base->witnesses :
		NULL, check_cosigned, policy);
	free(policy);
	custody_error_free(why);
	custody_buf_dispose(&text);
	git_tree_entry_free(pe);
}

/* custody.yaml at commit `info`, parsed; NULL (reported) if it cannot
 * be read. */
static struct custody_config *commit_config(struct custody_verify_run *v,
	const struct custody_verify_commit *info, const char *where)
{
	struct custody_config *c = NULL;
	custody_buf bytes = CUSTODY_BUF_INIT;
	custody_error *why = NULL;

	if (!info->has_config || read_blob(v->a, &info->config, &bytes) != 0)
		custody_archive_verify__problem(v, where, "has no readable "
			"custody.yaml");
	else if (custody_config__parse(&c, bytes.ptr, bytes.size,
	    "custody.yaml", &why) != 0)
		custody_archive_verify__problem(v, where, "%s",
			custody_error_message(why));
	custody_error_free(why);
	custody_buf_dispose(&bytes);
	return c;
}

/* custody.yaml at the base, which the first new commit follows; NULL
 * (reported) if it cannot be read. */
static struct custody_config *base_config(struct custody_verify_run *v)
{
	struct custody_verify_commit at;

	memset(&at, 0, sizeof(at));
	at.has_config = 1;
	git_oid_cpy(&at.config, &v->base->config);
	return commit_config(v, &at, "custody.yaml");
}

/* A rotation's custody.yaml: the one before, naming the new key. */
static void check_rotation_config(struct custody_verify_run *v,
	const struct custody_config *before, const struct custody_config *c,
	const struct custody_verify_commit *info, const char *where)
{
	const char *want = custody_archive_verify__log_key_at(v,
		info->rotation + 1);

	if (strcmp(before->origin, c->origin) != 0 ||
	    before->sha512 != c->sha512 || before->store != c->store ||
	    before->no_media_types != c->no_media_types)
		custody_archive_verify__problem(v, where, "rotates the outlet "
			"key and changes more of custody.yaml than its "
			"log_key");
	else if (!custody_entry__same_log_key(c->log_key, want))
		custody_archive_verify__problem(v, where, "rotates the outlet "
			"key to %s, but its custody.yaml names %s", want ?
			want : "none", c->log_key);
}

/*
 * custody.yaml names the outlet key in force: at the genesis commit the
 * genesis entry's; after that it changes only in a commit that rotates
 * the key, and then only its log_key, to the new key.
 */
static void check_configs(struct custody_verify_run *v)
{
	struct custody_config *before = NULL;
	/* the commits after the genesis one: from a base, all */
	size_t later = v->base ? 0 : 1;

	if (v->base != NULL)
		before = base_config(v);
	for (size_t k = 0; k < v->ncommits && !v->stopped; k++) {
		const struct custody_verify_commit *info = &v->commits[k];
		struct custody_config *c;
		char where[64];

		snprintf(where, sizeof(where), "commit %.12s", info->hex);
		if (k >= later && info->rotations == 0 && info->config_changed)
			custody_archive_verify__problem(v, where, "changes "
				"custody.yaml, the archive's policy, which only "
				"a rotation of the outlet key does");
		if (info->rotations > 1)
			custody_archive_verify__problem(v, where, "rotates "
				"the outlet key more than once");
		if (k >= later && info->rotations > 0 && !info->config_changed)
			custody_archive_verify__problem(v, where, "rotates "
				"the outlet key at entry %" PRIu64 ", but its "
				"custody.yaml still names the key it replaces",
				info->rotation);
		if (k >= later && (info->rotations == 0 ||
		    !info->config_changed))
			continue;
		if ((c = commit_config(v, info, where)) == NULL)
			continue;
		if (k < later && v->nlog_keys > 0 &&
		    !custody_entry__same_log_key(c->log_key,
		    v->log_keys[0].vkey))
			custody_archive_verify__problem(v, where, "its "
				"custody.yaml names the outlet key %s, but the "
				"genesis entry names %s", c->log_key,
				v->log_keys[0].vkey);
		else if (k >= later && before != NULL)
			check_rotation_config(v, before, c, info, where);
		custody_config__free(before);
		before = c;
	}
	custody_config__free(before);
}

int custody_archive_verify__tlog(struct custody_verify_run *v,
	custody_error **err)
{
	struct custody_tiles *t = NULL;
	int rc;

	/* a log with a gap has no tree to compare checkpoints with (the
	 * gap is reported) */
	if (v->stopped)
		return 0;
	check_configs(v);
	if (v->stopped || v->nlog != v->a->size)
		return 0;
	/* from a base the roots come from its tiles and the new leaves,
	 * and the caches of the archive being checked are not needed */
	if (v->base == NULL &&
	    ((rc = sync_tiles(v, v->leaves, &t, err)) != 0 ||
	    (rc = custody_tlog_index__verify(v->a, v->tree, err)) != 0)) {
		custody_tiles__free(t);
		return rc;
	}
	check_checkpoints(v, t);
	/* a token the base holds was checked before (the history shows
	 * timestamps are only ever added) */
	check_new_files(v, t, v->tree, "timestamps", v->base ?
		v->base->has_timestamps : 0, v->base ? &v->base->timestamps :
		NULL, check_timestamp, NULL);
	check_witnesses(v, t, v->tree);
	custody_tiles__free(t);
	return 0;
}
