/*
 * Proofs that travel alone, made from the archive: the checkpoint at
 * head, consistency proofs between two checkpoints of this log, and the
 * proof file of one entry (docs/proof-format.md; check.c reads them all,
 * offline).
 */
#include "proof.h"
#include "archive.h"
#include "base64.h"
#include "change.h"
#include "check.h"
#include "checkpoint.h"
#include "common.h"
#include "fsutil.h"
#include "merkle.h"
#include "note.h"
#include "proof_file.h"
#include "tiles.h"
#include "tlog.h"
#include "tlog_index.h"
#include "custody/proof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define TIMESTAMPS "timestamps"

int custody_archive_checkpoint(custody_archive *a, custody_buf *note_out,
	custody_checkpoint_info *info, custody_error **err)
{
	custody_checkpoint_info mine;
	int rc = custody_archive__head_checkpoint(a, note_out, &mine, err);

	/* whoever asked for it may hand it on */
	if (rc == 0 && (rc = custody_archive__note_shared(a, mine.size,
	    err)) != 0)
		custody_buf_dispose(note_out);
	if (rc == 0 && info != NULL)
		*info = mine;
	return rc;
}

int custody_archive__head_checkpoint(custody_archive *a,
	custody_buf *note_out, custody_checkpoint_info *info,
	custody_error **err)
{
	struct custody_checkpoint cp;
	git_tree *tree = NULL;
	size_t text_len;
	int rc;

	note_out->ptr = NULL;
	note_out->size = 0;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &tree, err)) != 0)
		return rc;
	rc = custody_tlog__read_checkpoint(a, tree, note_out, &text_len, err);
	git_tree_free(tree);
	if (rc == 0 && (rc = custody_checkpoint__parse(&cp, note_out->ptr,
	    text_len, err)) == 0 && info != NULL) {
		info->struct_version = CUSTODY_CHECKPOINT_INFO_VERSION;
		snprintf(info->origin, sizeof(info->origin), "%s", cp.origin);
		info->size = cp.size;
		custody_base64_encode(info->root, cp.root, 32);
	}
	if (rc != 0)
		custody_buf_dispose(note_out);
	return rc;
}

/* A checkpoint note of this log: parsed, and its root at its size must
 * be the archive's. */
static int this_logs(custody_archive *a, struct custody_tiles *t,
	const char *note, size_t len, struct custody_checkpoint *cp,
	const char *which, custody_error **err)
{
	unsigned char root[32];
	char want[45], got[45];
	size_t text_len;
	int rc;

	if ((rc = custody_note__split(note, len, &text_len, err)) != 0 ||
	    (rc = custody_checkpoint__parse(cp, note, text_len, err)) != 0)
		return rc;
	if (strcmp(cp->origin, a->config->origin) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "the %s checkpoint "
			"is of the log '%s', not of this one ('%s')", which,
			cp->origin, a->config->origin);
	if (cp->size > custody_tiles__size(t))
		return custody__error(err, CUSTODY_EVERIFY, "the %s checkpoint "
			"has size %" PRIu64 ", more than this log's %" PRIu64
			": this archive is behind, or the log was rolled back",
			which, cp->size, custody_tiles__size(t));
	if ((rc = custody_tiles__root(t, cp->size, root, err)) != 0)
		return rc;
	if (CRYPTO_memcmp(root, cp->root, 32) != 0) {
		custody_base64_encode(want, root, 32);
		custody_base64_encode(got, cp->root, 32);
		return custody__error(err, CUSTODY_EVERIFY, "the %s checkpoint "
			"says the tree of size %" PRIu64 " has root %s; this "
			"log's has root %s: if the checkpoint is validly signed, "
			"the two are evidence of a fork", which, cp->size, got,
			want);
	}
	return 0;
}

int custody_archive_consistency(custody_archive *a, const char *old_note,
	size_t old_len, const char *new_note, size_t new_len,
	custody_buf *out, custody_error **err)
{
	struct custody_checkpoint old, now;
	struct custody_tiles *t = NULL;
	custody_buf head = CUSTODY_BUF_INIT;
	unsigned char proof[CUSTODY_TLOG_PROOF_MAX_HASHES][32];
	size_t count = 0;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if (new_note == NULL) {
		if ((rc = custody_archive_checkpoint(a, &head, NULL, err)) != 0)
			return rc;
		new_note = head.ptr;
		new_len = head.size;
	} else if ((rc = custody_archive__refresh(a, err)) != 0) {
		return rc;
	}
	if ((rc = custody_tlog__tiles(a, &t, err)) != 0 ||
	    (rc = this_logs(a, t, old_note, old_len, &old, "old", err)) != 0 ||
	    (rc = this_logs(a, t, new_note, new_len, &now, "new", err)) != 0)
		goto done;
	if (old.size > now.size) {
		rc = custody__error(err, CUSTODY_EINVALID, "the old checkpoint "
			"(size %" PRIu64 ") is newer than the new one (size %"
			PRIu64 "); give them the other way round", old.size,
			now.size);
		goto done;
	}
	if (old.size > 0 && old.size < now.size &&
	    (rc = custody_merkle__consistency_proof(custody_tiles__node, t,
	    old.size, now.size, proof, &count, err)) != 0)
		goto done;
	if ((rc = custody_buf__printf(out, CUSTODY_CONSISTENCY_V1 "old %"
	    PRIu64 "\nnew %" PRIu64 "\n", old.size, now.size)) != 0)
		goto nomem;
	for (size_t i = 0; i < count; i++) {
		char b64[45];

		custody_base64_encode(b64, proof[i], 32);
		if (custody_buf__printf(out, "%s\n", b64) != 0)
			goto nomem;
	}
	goto done;
nomem:
	rc = custody__oom(err);
done:
	if (rc != 0)
		custody_buf_dispose(out);
	custody_tiles__free(t);
	custody_buf_dispose(&head);
	return rc;
}

/* The newest timestamped checkpoint whose tree holds entry `index`:
 * timestamps/<size>.checkpoint and timestamps/<size>.tsr. */
static int find_timestamp(custody_archive *a, git_tree *tree,
	uint64_t index, custody_buf *note, custody_buf *token,
	custody_error **err)
{
	git_tree_entry *te = NULL;
	git_tree *dir = NULL;
	uint64_t best = 0;
	char name[64];
	int rc = 0;

	if (git_tree_entry_bypath(&te, tree, TIMESTAMPS) != 0)
		return 0;
	if (git_tree_lookup(&dir, a->repo, git_tree_entry_id(te)) != 0) {
		git_tree_entry_free(te);
		return 0;
	}
	for (size_t i = 0; i < git_tree_entrycount(dir); i++) {
		const char *n = git_tree_entry_name(git_tree_entry_byindex(dir,
			i));
		uint64_t size = 0;
		const char *q = n;

		for (; *q >= '0' && *q <= '9'; q++)
			size = size * 10 + (uint64_t)(*q - '0');
		if (q != n && strcmp(q, ".tsr") == 0 && size > index &&
		    size > best)
			best = size;
	}
	if (best > 0) {
		const char *ext[2] = { "checkpoint", "tsr" };
		custody_buf *bufs[2] = { note, token };

		for (int k = 0; k < 2 && rc == 0; k++) {
			const git_tree_entry *e;
			git_blob *blob;

			snprintf(name, sizeof(name), "%" PRIu64 ".%s", best,
				ext[k]);
			if ((e = git_tree_entry_byname(dir, name)) == NULL ||
			    git_blob_lookup(&blob, a->repo,
			    git_tree_entry_id(e)) != 0) {
				rc = custody__error(err, CUSTODY_EVERIFY, "%s/"
					"%s is missing; run custody verify",
					TIMESTAMPS, name);
				break;
			}
			if (custody_buf__append(bufs[k],
			    git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob)) != 0)
				rc = custody__oom(err);
			git_blob_free(blob);
		}
	}
	git_tree_free(dir);
	git_tree_entry_free(te);
	return rc;
}

int custody_archive_checkpoint_sign(custody_archive *a,
	unsigned int lock_wait_ms, uint64_t *size_out,
	char commit_out[CUSTODY_COMMIT_ID_SIZE], custody_error **err)
{
	git_oid commit;
	int rc = custody_change__sign_checkpoint(a, lock_wait_ms, size_out,
		&commit, err);

	if (rc == 0 && commit_out != NULL)
		git_oid_tostr(commit_out, CUSTODY_COMMIT_ID_SIZE, &commit);
	return rc;
}

int custody_archive_proof(custody_archive *a, const char *path,
	uint64_t version, custody_buf *out, custody_error **err)
{
	return custody_archive_proof_disclosing(a, path, version, NULL, 0,
		out, err);
}

int custody_archive_proof_disclosing(custody_archive *a, const char *path,
	uint64_t version, const char *const *fields, size_t nfields,
	custody_buf *out, custody_error **err)
{
	struct custody_entry *e = NULL;
	char *rel = NULL;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__find_version(a, path, version, &rel, &e,
	    err)) != 0)
		return rc;
	rc = custody_archive__proof_of(a, e->index, 1,
		CUSTODY_DISCLOSE_LISTED, fields, nfields, out, err);
	custody_entry__free(e);
	free(rel);
	return rc;
}

/* One disclosed field: its opening into the header. */
static int disclose_one(struct custody_proof_file *f,
	const struct custody_entry *e, const char *field,
	custody_error **err)
{
	size_t k = f->ndisclosed;
	int rc;

	for (size_t i = 0; i < k; i++)
		if (strcmp(f->disclosed[i], field) == 0)
			return 0;   /* named twice: disclosed once */
	if (strlen(field) >= CUSTODY_PROOF_FIELD_MAX ||
	    !custody_entry__is_private_field(field))
		return custody__error(err, CUSTODY_EINVALID, "'%s' is not a "
			"private field of an entry", field);
	if ((rc = custody_entry__opening(e, field, f->nonces[k],
	    &f->values[k], err)) != 0)
		return rc;
	snprintf(f->disclosed[k], sizeof(f->disclosed[k]), "%s", field);
	f->ndisclosed++;
	return 0;
}

/* The commitment lines (every private field of the entry) and the
 * openings asked for. Nothing at all when nothing is disclosed: then
 * the proof does not even show which private fields exist. */
static int disclosures(struct custody_proof_file *f,
	const struct custody_entry *e, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_error **err)
{
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE];
	size_t n = custody_entry__private_fields(e, names);
	int rc = 0;

	if (what == CUSTODY_DISCLOSE_LISTED && nfields == 0)
		return 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char nonce[32];
		char *value = NULL;

		if ((rc = custody_entry__opening(e, names[i], nonce, &value,
		    err)) != 0)
			break;
		custody_entry__commit_field(names[i], nonce, value,
			strlen(value), f->commits[i]);
		snprintf(f->commit_fields[i], sizeof(f->commit_fields[i]),
			"%s", names[i]);
		f->ncommitments++;
		OPENSSL_cleanse(nonce, sizeof(nonce));
		free(value);
		if (what == CUSTODY_DISCLOSE_ALL_BUT_BLOB &&
		    strcmp(names[i], "blob") != 0)
			rc = disclose_one(f, e, names[i], err);
	}
	for (size_t i = 0; i < nfields && rc == 0; i++)
		rc = disclose_one(f, e, fields[i], err);
	return rc;
}

/* The publication that names the entry, proven beside it at the same
 * checkpoint. Nothing when the entry was not published by then. */
static int publication(custody_archive *a, git_tree *tree,
	struct custody_tiles *t, const struct custody_entry *e,
	const struct custody_checkpoint *cp, struct custody_proof_file *f,
	custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	uint64_t found = 0;
	int rc;

	if (!custody_entry__registers(e))
		return 0;
	rc = custody_archive__publication_of(a, tree, e->index, e->sha256,
		cp->size, &found, &bytes, err);
	if (rc == CUSTODY_ENOTFOUND)
		return 0;
	if (rc == 0 && (rc = custody_merkle__pair_proof(custody_tiles__node,
	    t, e->index, found, cp->size, f->publication_hashes,
	    &f->npublication_hashes, err)) == 0)
		rc = custody_proof_file__pack_publication(f, found,
			(const unsigned char *)bytes.ptr, bytes.size, e->index,
			e->sha256, err);
	custody_buf_dispose(&bytes);
	return rc;
}

/* Whether the checkpoint note verifies under the vkey. */
static int signed_by(const char *note, size_t len, const char *vkey)
{
	struct custody_note_verifier v;
	custody_error *why = NULL;
	size_t text_len;
	int ok;

	if (custody_note__verifier_from_vkey(&v, vkey, strlen(vkey), &why)
	    != 0) {
		custody_error_free(why);
		return 0;
	}
	ok = custody_note__verify(note, len, &v, 1, &text_len, &why) == 0;
	custody_error_free(why);
	return ok;
}

/* Entry i, a log-key entry by the index, into the proof (checked:
 * the index only says where to look). */
static int rotation(custody_archive *a, git_tree *tree, uint64_t i,
	struct custody_proof_file *f, custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	struct custody_entry *e = NULL;
	int rc;

	rc = custody_archive__public_entry(a, tree, i, "log-key", &e, &bytes,
		err);
	if (rc == 0 && e != NULL && e->type == CUSTODY_ENTRY_LOG_KEY) {
		if (f->nlog_keys == CUSTODY_PROOF_MAX_LOG_KEYS)
			rc = custody__error(err, CUSTODY_EINVALID, "the log "
				"key was rotated more than %d times; a proof "
				"carries at most that many rotations",
				CUSTODY_PROOF_MAX_LOG_KEYS);
		else {
			f->log_keys[f->nlog_keys] = (unsigned char *)bytes.ptr;
			f->log_key_lens[f->nlog_keys++] = bytes.size;
			bytes.ptr = NULL;
		}
	}
	custody_entry__free(e);
	custody_buf_dispose(&bytes);
	return rc;
}

/*
 * The log-key entries below the checkpoint's size, oldest first, so that
 * a reader who holds the genesis key learns where it was rotated to.
 * None while the genesis key signs the checkpoint (the index is read
 * only when it does not: rotations are rare).
 */
static int rotations(custody_archive *a, git_tree *tree,
	const struct custody_checkpoint *cp, const char *note, size_t len,
	struct custody_proof_file *f, custody_error **err)
{
	struct custody_tlog_index *x = NULL;
	struct custody_entry *g = NULL;
	int rc, genesis_signs;

	if ((rc = custody_archive__public_entry(a, tree, 0, NULL, &g, NULL,
	    err)) != 0)
		return rc;
	genesis_signs = g->log_key == NULL || signed_by(note, len, g->log_key);
	custody_entry__free(g);
	if (genesis_signs)
		return 0;
	if ((rc = custody_tlog_index__open(a, tree, &x, err)) != 0)
		return rc;
	for (size_t r = 0; r < x->nrecords && rc == 0; r++)
		if (x->records[r].log_key && x->records[r].index < cp->size)
			rc = rotation(a, tree, x->records[r].index, f, err);
	custody_tlog_index__free(x);
	return rc;
}

/* The checkpoint `note` with the cosignatures the archive holds for it
 * (witnesses/<size>.checkpoint: the same note, cosignature lines after
 * it), when it holds any. */
static int add_cosignatures(custody_archive *a, git_tree *tree,
	uint64_t size, custody_buf *note, custody_error **err)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	char path[64];
	const char *bytes;
	size_t len;
	int rc = 0;

	snprintf(path, sizeof(path), "witnesses/%" PRIu64 ".checkpoint", size);
	if (git_tree_entry_bypath(&te, tree, path) != 0)
		return 0;
	if (git_blob_lookup(&blob, a->repo, git_tree_entry_id(te)) != 0) {
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_VERIFY, "%s cannot be read", path);
		goto done;
	}
	bytes = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	/* cosignatures of another note of that size are not this one's */
	if (len > note->size && len < 64 * 1024 &&
	    memcmp(bytes, note->ptr, note->size) == 0 &&
	    custody_buf__append(note, bytes + note->size, len - note->size)
	    != 0)
		rc = custody__oom(err);
done:
	git_blob_free(blob);
	git_tree_entry_free(te);
	return rc;
}

int custody_archive__proof_of(custody_archive *a, uint64_t index,
	int timestamped, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err)
{
	struct custody_entry *again = NULL;
	struct custody_tiles *t = NULL;
	struct custody_proof_file f;
	struct custody_tlog_proof p;
	struct custody_checkpoint cp;
	custody_buf bytes = CUSTODY_BUF_INIT, note = CUSTODY_BUF_INIT;
	custody_buf token = CUSTODY_BUF_INIT, tlog = CUSTODY_BUF_INIT;
	unsigned char proof[CUSTODY_TLOG_PROOF_MAX_HASHES][32], leaf[32];
	git_tree *tree = NULL;
	size_t count = 0, text_len;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	memset(&f, 0, sizeof(f));
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0 ||
	    (rc = custody_archive__read_entry(a, tree, index, &again,
	    &bytes, err)) != 0 ||
	    (rc = disclosures(&f, again, what, fields, nfields, err)) != 0 ||
	    (timestamped && (rc = find_timestamp(a, tree, index, &note,
	    &token, err)) != 0))
		goto done;
	if (note.size == 0 && (rc = custody_tlog__read_checkpoint(a, tree,
	    &note, &text_len, err)) != 0)
		goto done;
	if ((rc = custody_note__split(note.ptr, note.size, &text_len, err))
	    != 0 || (rc = custody_checkpoint__parse(&cp, note.ptr, text_len,
	    err)) != 0 || (rc = custody_tlog__tiles(a, &t, err)) != 0)
		goto done;
	if (index >= cp.size && cp.size <= custody_tiles__size(t)) {
		rc = custody__error_hint(err, CUSTODY_ENOTFOUND,
			CUSTODY_HINT_SIGN_CHECKPOINT, "entry %" PRIu64 " is not "
			"yet covered by a signed checkpoint (the latest covers "
			"%" PRIu64 " entries)", index, cp.size);
		goto done;
	}
	if (cp.size > custody_tiles__size(t)) {
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_VERIFY, "the checkpoint (size %" PRIu64
			") does not fit the log", cp.size);
		goto done;
	}
	if ((rc = custody_merkle__inclusion_proof(custody_tiles__node, t,
	    index, cp.size, proof, &count, err)) != 0 ||
	    (rc = publication(a, tree, t, again, &cp, &f, err)) != 0 ||
	    (rc = rotations(a, tree, &cp, note.ptr, note.size, &f, err)) != 0 ||
	    (rc = add_cosignatures(a, tree, cp.size, &note, err)) != 0)
		goto done;
	/* The proof must hold before it leaves the archive. */
	custody_merkle__leaf_hash(bytes.ptr, bytes.size, leaf);
	if (custody_merkle__verify_inclusion(leaf, index, cp.size,
	    (const unsigned char (*)[32])proof, count, cp.root, err) != 0) {
		rc = CUSTODY_EVERIFY;
		goto done;
	}
	memset(&p, 0, sizeof(p));
	p.extra = (unsigned char *)bytes.ptr;
	p.extra_len = bytes.size;
	p.has_extra = 1;
	p.index = index;
	p.hashes = proof;
	p.nhashes = count;
	p.checkpoint = note.ptr;
	p.checkpoint_len = note.size;
	if (token.size > 0) {
		f.token = (unsigned char *)token.ptr;
		f.token_len = token.size;
		token.ptr = NULL;
		token.size = 0;
	}
	if ((rc = custody_tlog_proof__format(&p, &tlog, err)) != 0 ||
	    (rc = custody_proof_file__format_header(&f, out, err)) != 0 ||
	    (rc = custody_archive__note_shared(a, cp.size, err)) != 0)
		goto done;
	if (custody_buf__append(out, tlog.ptr, tlog.size) != 0)
		rc = custody__oom(err);
done:
	if (rc != 0)
		custody_buf_dispose(out);
	custody_proof_file__clear(&f);
	custody_entry__free(again);
	custody_tiles__free(t);
	custody_buf_dispose(&bytes);
	custody_buf_dispose(&note);
	custody_buf_dispose(&token);
	custody_buf_dispose(&tlog);
	git_tree_free(tree);
	return rc;
}
