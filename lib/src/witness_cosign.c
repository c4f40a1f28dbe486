/*
 * custody cosign: the outlet asks its witnesses (the archive's
 * tlog-policy) to cosign its head checkpoint, over C2SP tlog-witness
 * (POST <url>/add-checkpoint), and keeps what they answer in
 * witnesses/<size>.checkpoint: the checkpoint file as the outlet key
 * signed it, byte for byte, then one cosignature line per witness. A
 * proof of that size carries the file as its checkpoint (proof.c), and a
 * timestamp of the same checkpoint still covers its first lines.
 */
#include "archive.h"
#include "base64.h"
#include "change.h"
#include "checkpoint.h"
#include "common.h"
#include "cosignature.h"
#include "fsutil.h"
#include "http.h"
#include "lock.h"
#include "merkle.h"
#include "note.h"
#include "policy.h"
#include "proof.h"
#include "tiles.h"
#include "tlog.h"
#include "witness.h"
#include "custody/witness.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 5L
#define TOTAL_TIMEOUT_S 15L
#define ANSWER_MAX 4096
/* 409 answers tried for one witness before giving up */
#define MAX_TRIES 3

/* Does note carry a valid cosignature by v over the checkpoint text?
 * 1 (with a copy of its line in *line when not NULL, and its
 * timestamp), 0 (none, or a bad one), or -1 for out of memory. */
static int cosigned_by(const char *note, size_t len, size_t text_len,
	const struct custody_cosig_verifier *v, custody_buf *line,
	uint64_t *timestamp)
{
	size_t start, n;

	if (custody_cosig__find(note, len, text_len, v, timestamp, &start, &n,
	    NULL) != 0)
		return 0;
	if (line != NULL && custody_buf__append(line, note + start, n) != 0)
		return -1;
	return 1;
}

/* The blob at witnesses/<name>, NUL-terminated; 0, or ENOTFOUND. */
static int read_stored(custody_archive *a, git_tree *dir, const char *name,
	custody_buf *out)
{
	const git_tree_entry *te = git_tree_entry_byname(dir, name);
	git_blob *blob;
	int rc = 0;

	out->ptr = NULL;
	out->size = 0;
	if (te == NULL || git_blob_lookup(&blob, a->repo,
	    git_tree_entry_id(te)) != 0)
		return CUSTODY_ENOTFOUND;
	if ((size_t)git_blob_rawsize(blob) > CUSTODY_NOTE_MAX_SIGNATURES * 600 ||
	    custody_buf__append(out, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob)) != 0 ||
	    custody_buf__append(out, "", 1) != 0)
		rc = CUSTODY_ENOTFOUND;
	else
		out->size--;
	git_blob_free(blob);
	if (rc != 0)
		custody_buf_dispose(out);
	return rc;
}

/* The newest size below `below` whose stored checkpoint witness v
 * cosigned: where its next proof starts (0 when none). The witness's 409
 * corrects a wrong guess. */
static uint64_t last_cosigned(custody_archive *a, git_tree *dir,
	const struct custody_cosig_verifier *v, uint64_t below)
{
	uint64_t best = 0;

	for (size_t i = 0; dir != NULL && i < git_tree_entrycount(dir); i++) {
		const char *n = git_tree_entry_name(git_tree_entry_byindex(dir,
			i));
		custody_buf note = CUSTODY_BUF_INIT;
		struct custody_checkpoint cp;
		size_t text_len;
		uint64_t size = 0;
		const char *q = n;

		for (; *q >= '0' && *q <= '9' && size < UINT64_MAX / 10; q++)
			size = size * 10 + (uint64_t)(*q - '0');
		if (q == n || strcmp(q, ".checkpoint") != 0 || size >= below ||
		    size <= best || read_stored(a, dir, n, &note) != 0)
			continue;
		if (custody_note__split(note.ptr, note.size, &text_len, NULL)
		    == 0 && custody_checkpoint__parse(&cp, note.ptr, text_len,
		    NULL) == 0 && cp.size == size && cosigned_by(note.ptr,
		    note.size, text_len, v, NULL, NULL) == 1)
			best = size;
		custody_buf_dispose(&note);
	}
	return best;
}

/* The add-checkpoint body: "old N", the proof from N, "", the note. */
static int request_body(struct custody_tiles *t, uint64_t old,
	uint64_t size, const custody_buf *note, custody_buf *out,
	custody_error **err)
{
	unsigned char proof[CUSTODY_MERKLE_MAX_PROOF][32];
	size_t count = 0;
	int rc;

	out->size = 0;
	if (old > 0 && old < size && (rc = custody_merkle__consistency_proof(
	    custody_tiles__node, t, old, size, proof, &count, err)) != 0)
		return rc;
	if (custody_buf__printf(out, "old %" PRIu64 "\n", old) != 0)
		return custody__oom(err);
	for (size_t i = 0; i < count; i++) {
		char b64[45];

		b64[custody_base64_encode(b64, proof[i], 32)] = '\0';
		if (custody_buf__printf(out, "%s\n", b64) != 0)
			return custody__oom(err);
	}
	if (custody_buf__append(out, "\n", 1) != 0 ||
	    custody_buf__append(out, note->ptr, note->size) != 0)
		return custody__oom(err);
	return 0;
}

int custody_witness__conflict_size(const char *body, size_t len,
	uint64_t *out)
{
	uint64_t size = 0;
	size_t digits = 0;

	while (digits < len && body[digits] >= '0' && body[digits] <= '9') {
		unsigned d = (unsigned)(body[digits] - '0');

		if (size > (UINT64_MAX - d) / 10)
			return -1;
		size = size * 10 + d;
		digits++;
	}
	if (digits == 0 || (body[0] == '0' && digits > 1) ||
	    !(digits == len || (digits + 1 == len && body[digits] == '\n')))
		return -1;
	*out = size;
	return 0;
}

/* The first line of an answer's body, printable, for a message. */
static void reason(const custody_buf *body, char *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < body->size && body->ptr[i] != '\n' &&
	    n + 1 < max && i < 200; i++)
		out[n++] = body->ptr[i] >= 0x20 && body->ptr[i] < 0x7f ?
			body->ptr[i] : '?';
	out[n] = '\0';
}

/*
 * One witness being asked. The witnesses are asked at once, one thread
 * each, so a dead one costs its timeout once, not once per witness; what
 * touches the archive (the size it last cosigned, the consistency proof
 * from the tiles) is done between the rounds, on the calling thread, as
 * libgit2 objects and the tiles cache are not shared across threads.
 */
struct asking {
	const struct custody_policy_witness *w;
	custody_cosign_witness *out;
	custody_buf *line;          /* its cosignature line, on success */
	const custody_buf *note;
	size_t text_len;
	uint64_t size;              /* the checkpoint's */
	uint64_t old;               /* the size this round's proof is from */
	uint64_t said;              /* a 409's size: ask again from it */
	custody_buf url, body;
	int finished;
	pthread_t thread;
	int threaded;
};

/* The add-checkpoint body from q->old, made on the calling thread. */
static int prepare(struct asking *q, struct custody_tiles *t)
{
	custody_error *why = NULL;

	q->out->old_size = q->old;
	if (request_body(t, q->old, q->size, q->note, &q->body, &why) != 0) {
		snprintf(q->out->message, sizeof(q->out->message), "%s",
			custody_error_message(why));
		custody_error_free(why);
		q->finished = 1;
		return -1;
	}
	return 0;
}

/* One POST and the verdict on its answer: finished, or q->said set to
 * the size a 409 gave. Runs on a thread of its own. */
static void *post(void *opaque)
{
	struct asking *q = opaque;
	struct custody_http_reply reply;
	custody_buf both = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	custody_cosign_witness *out = q->out;
	uint64_t said;
	char text[220];

	q->finished = 1;
	if (custody_http__post(q->url.ptr, "text/plain; charset=utf-8",
	    q->body.ptr, q->body.size, ANSWER_MAX, CONNECT_TIMEOUT_S,
	    TOTAL_TIMEOUT_S, "a witness", &reply, &why) != 0) {
		snprintf(out->message, sizeof(out->message), "%s",
			custody_error_message(why));
		custody_error_free(why);
		return NULL;
	}
	out->http_status = reply.status;
	if (reply.status == 200) {
		/* the answer must cosign this very checkpoint */
		if (custody_buf__append(&both, q->note->ptr, q->note->size)
		    != 0 || custody_buf__append(&both, reply.body.ptr,
		    reply.body.size) != 0 || custody_buf__append(&both, "", 1)
		    != 0)
			snprintf(out->message, sizeof(out->message),
				"out of memory");
		else if (cosigned_by(both.ptr, both.size - 1, q->text_len,
		    &q->w->v, q->line, &out->timestamp) == 1)
			out->result = 1;
		else
			snprintf(out->message, sizeof(out->message), "%s "
				"answered 200 without a valid cosignature by "
				"its key %s", q->url.ptr, q->w->vkey);
		goto done;
	}
	reason(&reply.body, text, sizeof(text));
	if (reply.status != 409 || !custody_http__media_type_is(
	    reply.content_type, "text/x.tlog.size") ||
	    custody_witness__conflict_size(reply.body.ptr, reply.body.size,
	    &said) != 0) {
		snprintf(out->message, sizeof(out->message), "%s answered "
			"HTTP %ld: %s", q->url.ptr, reply.status,
			text[0] ? text : "(no reason given)");
		goto done;
	}
	if (said > q->size)
		snprintf(out->message, sizeof(out->message), "%s has cosigned "
			"a checkpoint of size %" PRIu64 " of this origin, "
			"larger than this archive's %" PRIu64 ": someone "
			"signed checkpoints this archive does not hold (a fork), or "
			"this copy is behind; sync it, and compare with the "
			"witness's evidence", q->url.ptr, said, q->size);
	else if (said == q->old)
		snprintf(out->message, sizeof(out->message), "%s answered 409 "
			"with the size the request gave (%" PRIu64 ")",
			q->url.ptr, said);
	else {
		q->said = said;
		q->finished = 0;
	}
done:
	custody_buf_dispose(&reply.body);
	custody_buf_dispose(&both);
	return NULL;
}

/* Ask every witness in qs[0 .. n) at once, in up to MAX_TRIES rounds. */
static void ask_all(struct asking *qs, size_t n, struct custody_tiles *t)
{
	for (int round = 0; round < MAX_TRIES; round++) {
		size_t pending = 0;

		for (size_t i = 0; i < n; i++) {
			struct asking *q = &qs[i];

			if (q->finished)
				continue;
			if (round > 0) {
				q->old = q->said;
				if (prepare(q, t) != 0)
					continue;
			}
			pending++;
			q->threaded = pthread_create(&q->thread, NULL, post,
				q) == 0;
			if (!q->threaded)
				post(q);
		}
		for (size_t i = 0; i < n; i++)
			if (qs[i].threaded) {
				pthread_join(qs[i].thread, NULL);
				qs[i].threaded = 0;
			}
		if (pending == 0)
			return;
	}
	for (size_t i = 0; i < n; i++)
		if (!qs[i].finished)
			snprintf(qs[i].out->message,
				sizeof(qs[i].out->message),
				"%s kept answering 409", qs[i].url.ptr);
}

int custody_archive_cosign(custody_archive *a, custody_cosign_info *info,
	custody_error **err)
{
	struct custody_policy *p = NULL;
	struct custody_checkpoint cp;
	struct custody_tiles *t = NULL;
	struct custody_tree_file file;
	custody_buf note = CUSTODY_BUF_INIT, stored = CUSTODY_BUF_INIT,
		out = CUSTODY_BUF_INIT;
	custody_buf lines[CUSTODY_POLICY_MAX_WITNESSES];
	unsigned char have[CUSTODY_POLICY_MAX_WITNESSES] = { 0 };
	custody_lock *lock = NULL;
	git_tree *tree = NULL, *dir = NULL;
	git_tree_entry *te = NULL;
	const char *actor;
	char name[64], message[128];
	size_t text_len, added = 0;
	git_oid commit;
	struct asking qs[CUSTODY_POLICY_MAX_WITNESSES];
	size_t nq = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	info->struct_version = CUSTODY_COSIGN_INFO_VERSION;
	memset(lines, 0, sizeof(lines));
	memset(qs, 0, sizeof(qs));
	/* a holder of the outlet key has every entry so far cosigned */
	if ((rc = custody_change__cover_all(a, 0, err)) != 0 ||
	    (rc = custody_change__begin(a, 0, &lock, &actor, err)) != 0)
		return rc;
	if ((rc = custody_archive__policy(a, &p, NULL, err)) != 0)
		goto done;
	if (p == NULL || p->nwitnesses == 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the archive "
			"has no witness to ask; add them with `custody witness "
			"add NAME URL VKEY`", a->gitdir);
		goto done;
	}
	if ((rc = custody_archive__head_checkpoint(a, &note, NULL, err)) != 0 ||
	    (rc = custody_note__split(note.ptr, note.size, &text_len, err))
	    != 0 ||
	    (rc = custody_checkpoint__parse(&cp, note.ptr, text_len, err)) != 0)
		goto done;
	info->size = cp.size;
	info->root[custody_base64_encode(info->root, cp.root, 32)] = '\0';
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	if (git_tree_entry_bypath(&te, tree, "witnesses") == 0 &&
	    git_tree_lookup(&dir, a->repo, git_tree_entry_id(te)) != 0)
		dir = NULL;
	snprintf(name, sizeof(name), "%" PRIu64 ".checkpoint", cp.size);
	if (dir != NULL && read_stored(a, dir, name, &stored) == 0 &&
	    (stored.size < note.size || memcmp(stored.ptr, note.ptr,
	    note.size) != 0)) {
		rc = custody__error(err, CUSTODY_EVERIFY, "%s: witnesses/%s "
			"does not begin with the head's checkpoint; run "
			"custody verify", a->gitdir, name);
		goto done;
	}
	if (stored.ptr == NULL) {
		/* nothing stored yet: start from the checkpoint itself */
		if (custody_buf__append(&stored, note.ptr, note.size) != 0 ||
		    custody_buf__append(&stored, "", 1) != 0) {
			rc = custody__oom(err);
			goto done;
		}
		stored.size--;
	}
	if ((rc = custody_tlog__tiles(a, &t, err)) != 0)
		goto done;
	info->nwitnesses = p->nwitnesses;
	for (size_t i = 0; i < p->nwitnesses; i++) {
		const struct custody_policy_witness *w = &p->witnesses[i];
		custody_cosign_witness *r = &info->witnesses[i];
		struct asking *q;
		size_t ulen = strlen(w->url);
		int got;

		snprintf(r->name, sizeof(r->name), "%s", w->name);
		got = cosigned_by(stored.ptr, stored.size, text_len, &w->v,
			NULL, &r->timestamp);
		if (got < 0) {
			rc = custody__oom(err);
			goto done;
		}
		if (got == 1) {
			r->result = 2;
			continue;
		}
		if (ulen == 0) {
			r->result = -1;
			snprintf(r->message, sizeof(r->message), "the policy "
				"gives no URL for it");
			continue;
		}
		q = &qs[nq++];
		q->w = w;
		q->out = r;
		q->line = &lines[i];
		q->note = &note;
		q->text_len = text_len;
		q->size = cp.size;
		q->old = last_cosigned(a, dir, &w->v, cp.size);
		while (ulen > 0 && w->url[ulen - 1] == '/')
			ulen--;
		if (custody_buf__printf(&q->url, "%.*s/add-checkpoint",
		    (int)ulen, w->url) != 0) {
			rc = custody__oom(err);
			goto done;
		}
		prepare(q, t);
	}
	ask_all(qs, nq, t);
	for (size_t i = 0; i < p->nwitnesses; i++) {
		have[i] = info->witnesses[i].result >= 1;
		added += info->witnesses[i].result == 1;
	}
	for (size_t i = 0; i < p->nwitnesses; i++)
		info->cosignatures += have[i];
	info->quorum_met = custody_policy__quorum_met(p, have);
	if (added > 0) {
		if (custody_buf__append(&out, stored.ptr, stored.size) != 0) {
			rc = custody__oom(err);
			goto done;
		}
		for (size_t i = 0; i < p->nwitnesses; i++)
			if (lines[i].size > 0 && custody_buf__append(&out,
			    lines[i].ptr, lines[i].size) != 0) {
				rc = custody__oom(err);
				goto done;
			}
		snprintf(message, sizeof(message), "custody cosign: checkpoint "
			"of size %" PRIu64 ", %zu cosignature%s\n", cp.size,
			info->cosignatures, info->cosignatures == 1 ? "" : "s");
		snprintf(name, sizeof(name), "witnesses/%" PRIu64 ".checkpoint",
			cp.size);
		file.path = name;
		file.data = out.ptr;
		file.len = out.size;
		if ((rc = custody_change__append(a, NULL, 0, &file, 1, message,
		    &commit, err)) != 0)
			goto done;
		git_oid_tostr(info->commit, sizeof(info->commit), &commit);
	}
	if (!info->quorum_met)
		rc = custody__error(err, CUSTODY_EVERIFY, "the checkpoint of "
			"size %" PRIu64 " has %zu cosignature%s, short of the "
			"quorum (%s)", cp.size, info->cosignatures,
			info->cosignatures == 1 ? "" : "s",
			custody_policy__ref_name(p, p->quorum));
done:
	for (size_t i = 0; i < CUSTODY_POLICY_MAX_WITNESSES; i++)
		custody_buf_dispose(&lines[i]);
	for (size_t i = 0; i < nq; i++) {
		custody_buf_dispose(&qs[i].url);
		custody_buf_dispose(&qs[i].body);
	}
	custody_tiles__free(t);
	git_tree_free(dir);
	git_tree_entry_free(te);
	git_tree_free(tree);
	custody_buf_dispose(&note);
	custody_buf_dispose(&stored);
	custody_buf_dispose(&out);
	free(p);
	custody_lock__release(lock);
	return rc;
}
