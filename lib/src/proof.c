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

/* The sizes of the timestamped checkpoints (timestamps/<size>.tsr) at
 * head, in no order. */
static int timestamp_sizes(custody_archive *a, git_tree *tree,
	uint64_t **out, size_t *n_out, custody_error **err)
{
	git_tree_entry *te = NULL;
	git_tree *dir = NULL;
	uint64_t *sizes = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	if (git_tree_entry_bypath(&te, tree, TIMESTAMPS) != 0)
		return 0;
	if (git_tree_lookup(&dir, a->repo, git_tree_entry_id(te)) != 0) {
		git_tree_entry_free(te);
		return 0;
	}
	if (git_tree_entrycount(dir) > 0 && (sizes = calloc(
	    git_tree_entrycount(dir), sizeof(*sizes))) == NULL) {
		git_tree_free(dir);
		git_tree_entry_free(te);
		return custody__oom(err);
	}
	for (size_t i = 0; i < git_tree_entrycount(dir); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(
			dir, i));
		uint64_t size = 0;
		const char *q = name;

		for (; *q >= '0' && *q <= '9'; q++)
			size = size * 10 + (uint64_t)(*q - '0');
		if (q != name && strcmp(q, ".tsr") == 0 && size > 0)
			sizes[n++] = size;
	}
	git_tree_free(dir);
	git_tree_entry_free(te);
	*out = sizes;
	*n_out = n;
	return 0;
}

/* timestamps/<size>.checkpoint and timestamps/<size>.tsr at head. */
static int read_timestamp(custody_archive *a, git_tree *tree, uint64_t size,
	custody_buf *note, custody_buf *token, custody_error **err)
{
	const char *ext[2] = { "checkpoint", "tsr" };
	custody_buf *bufs[2] = { note, token };
	char path[64];
	int rc = 0;

	for (int k = 0; k < 2 && rc == 0; k++) {
		git_tree_entry *te = NULL;
		git_blob *blob = NULL;

		snprintf(path, sizeof(path), TIMESTAMPS "/%" PRIu64 ".%s",
			size, ext[k]);
		if (git_tree_entry_bypath(&te, tree, path) != 0 ||
		    git_blob_lookup(&blob, a->repo, git_tree_entry_id(te))
		    != 0)
			rc = custody__error(err, CUSTODY_EVERIFY, "%s is "
				"missing; run custody verify", path);
		else if (custody_buf__append(bufs[k],
		    git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))
		    != 0)
			rc = custody__oom(err);
		git_blob_free(blob);
		git_tree_entry_free(te);
	}
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

/*
 * What every proof at one checkpoint shares: the note (with the
 * cosignatures the archive holds for it), its timestamp token, the
 * parsed checkpoint and the log-key entries a reader of it needs.
 */
struct prover_state {
	int used;
	uint64_t timestamp_size;        /* 0: the checkpoint at head */
	custody_buf note;               /* with cosignature lines */
	custody_buf token;              /* DER, or empty */
	struct custody_checkpoint cp;
	struct custody_proof_file rotations;    /* only its log keys */
};

#define PROVER_STATES 4

struct custody_prover {
	custody_archive *a;
	git_tree *tree;
	struct custody_tiles *t;
	uint64_t *timestamps;           /* sizes of timestamps/<size>.tsr */
	size_t ntimestamps;
	struct prover_state states[PROVER_STATES];
	size_t next;                    /* the slot a new state takes */
};

static void state_clear(struct prover_state *s)
{
	custody_buf_dispose(&s->note);
	custody_buf_dispose(&s->token);
	custody_proof_file__clear(&s->rotations);
	memset(s, 0, sizeof(*s));
}

void custody_prover__free(struct custody_prover *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < PROVER_STATES; i++)
		state_clear(&p->states[i]);
	custody_tiles__free(p->t);
	git_tree_free(p->tree);
	free(p->timestamps);
	free(p);
}

int custody_prover__open(custody_archive *a, struct custody_prover **out,
	custody_error **err)
{
	struct custody_prover *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (p == NULL)
		return custody__oom(err);
	p->a = a;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &p->tree, err)) != 0 ||
	    (rc = custody_tlog__tiles(a, &p->t, err)) != 0 ||
	    (rc = timestamp_sizes(a, p->tree, &p->timestamps,
	    &p->ntimestamps, err)) != 0) {
		custody_prover__free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The checkpoint of size `timestamp_size` (0: the one at head), read and
 * checked once for every proof made at it. */
static int prover_state(struct custody_prover *p, uint64_t timestamp_size,
	struct prover_state **out, custody_error **err)
{
	struct prover_state *s;
	size_t text_len;
	int rc;

	for (size_t i = 0; i < PROVER_STATES; i++)
		if (p->states[i].used &&
		    p->states[i].timestamp_size == timestamp_size) {
			*out = &p->states[i];
			return 0;
		}
	s = &p->states[p->next];
	p->next = (p->next + 1) % PROVER_STATES;
	state_clear(s);
	s->timestamp_size = timestamp_size;
	if (timestamp_size > 0)
		rc = read_timestamp(p->a, p->tree, timestamp_size, &s->note,
			&s->token, err);
	else
		rc = custody_tlog__read_checkpoint(p->a, p->tree, &s->note,
			&text_len, err);
	if (rc == 0 && (rc = custody_note__split(s->note.ptr, s->note.size,
	    &text_len, err)) == 0 && (rc = custody_checkpoint__parse(&s->cp,
	    s->note.ptr, text_len, err)) == 0 && s->cp.size >
	    custody_tiles__size(p->t))
		rc = custody__error_hint(err, CUSTODY_EVERIFY,
			CUSTODY_HINT_VERIFY, "the checkpoint (size %" PRIu64
			") does not fit the log", s->cp.size);
	if (rc == 0 && (rc = rotations(p->a, p->tree, &s->cp, s->note.ptr,
	    s->note.size, &s->rotations, err)) == 0)
		rc = add_cosignatures(p->a, p->tree, s->cp.size, &s->note,
			err);
	if (rc != 0) {
		state_clear(s);
		return rc;
	}
	s->used = 1;
	*out = s;
	return 0;
}

/* The log-key entries and the token of state s, copied into f. */
static int take_state(struct custody_proof_file *f,
	const struct prover_state *s, custody_error **err)
{
	const struct custody_proof_file *r = &s->rotations;

	for (size_t i = 0; i < r->nlog_keys; i++) {
		if ((f->log_keys[i] = malloc(r->log_key_lens[i])) == NULL)
			return custody__oom(err);
		memcpy(f->log_keys[i], r->log_keys[i], r->log_key_lens[i]);
		f->log_key_lens[i] = r->log_key_lens[i];
		f->nlog_keys = i + 1;
	}
	if (s->token.size > 0) {
		if ((f->token = malloc(s->token.size)) == NULL)
			return custody__oom(err);
		memcpy(f->token, s->token.ptr, s->token.size);
		f->token_len = s->token.size;
	}
	return 0;
}

int custody_prover__proof(struct custody_prover *p, uint64_t index,
	int timestamped, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err)
{
	struct custody_entry *again = NULL;
	struct prover_state *s = NULL;
	struct custody_proof_file f;
	struct custody_tlog_proof tp;
	custody_buf bytes = CUSTODY_BUF_INIT, tlog = CUSTODY_BUF_INIT;
	unsigned char proof[CUSTODY_TLOG_PROOF_MAX_HASHES][32], leaf[32];
	uint64_t stamped = 0;
	size_t count = 0;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	memset(&f, 0, sizeof(f));
	/* the newest timestamped checkpoint that holds the entry, if any */
	for (size_t i = 0; timestamped && i < p->ntimestamps; i++)
		if (p->timestamps[i] > index && p->timestamps[i] > stamped)
			stamped = p->timestamps[i];
	if ((rc = custody_archive__read_entry(p->a, p->tree, index, &again,
	    &bytes, err)) != 0 ||
	    (rc = disclosures(&f, again, what, fields, nfields, err)) != 0 ||
	    (rc = prover_state(p, stamped, &s, err)) != 0)
		goto done;
	if (index >= s->cp.size) {
		rc = custody__error_hint(err, CUSTODY_ENOTFOUND,
			CUSTODY_HINT_SIGN_CHECKPOINT, "entry %" PRIu64 " is not "
			"yet covered by a signed checkpoint (the latest covers "
			"%" PRIu64 " entries)", index, s->cp.size);
		goto done;
	}
	custody_merkle__leaf_hash(bytes.ptr, bytes.size, leaf);
	if ((rc = custody_merkle__inclusion_proof(custody_tiles__node, p->t,
	    index, s->cp.size, proof, &count, err)) != 0 ||
	    (rc = publication(p->a, p->tree, p->t, again, &s->cp, &f, err))
	    != 0 || (rc = custody_archive__dkim_part(p->a, p->tree, p->t,
	    again, leaf, s->cp.size, &f, err)) != 0 ||
	    (rc = take_state(&f, s, err)) != 0)
		goto done;
	/* The proof must hold before it leaves the archive. */
	if (custody_merkle__verify_inclusion(leaf, index, s->cp.size,
	    (const unsigned char (*)[32])proof, count, s->cp.root, err) != 0) {
		rc = CUSTODY_EVERIFY;
		goto done;
	}
	memset(&tp, 0, sizeof(tp));
	tp.extra = (unsigned char *)bytes.ptr;
	tp.extra_len = bytes.size;
	tp.has_extra = 1;
	tp.index = index;
	tp.hashes = proof;
	tp.nhashes = count;
	tp.checkpoint = s->note.ptr;
	tp.checkpoint_len = s->note.size;
	if ((rc = custody_tlog_proof__format(&tp, &tlog, err)) != 0 ||
	    (rc = custody_proof_file__format_header(&f, out, err)) != 0 ||
	    (rc = custody_archive__note_shared(p->a, s->cp.size, err)) != 0)
		goto done;
	if (custody_buf__append(out, tlog.ptr, tlog.size) != 0)
		rc = custody__oom(err);
done:
	if (rc != 0)
		custody_buf_dispose(out);
	custody_proof_file__clear(&f);
	custody_entry__free(again);
	custody_buf_dispose(&bytes);
	custody_buf_dispose(&tlog);
	return rc;
}

int custody_archive__proof_of(custody_archive *a, uint64_t index,
	int timestamped, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err)
{
	struct custody_prover *p = NULL;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if ((rc = custody_prover__open(a, &p, err)) == 0)
		rc = custody_prover__proof(p, index, timestamped, what,
			fields, nfields, out, err);
	custody_prover__free(p);
	return rc;
}
