/*
 * RFC 3161 timestamps of checkpoints, kept in the archive as
 * timestamps/<size>.tsr (the token, DER) beside
 * timestamps/<size>.checkpoint (the signed checkpoint it covers: the
 * token's message imprint is the SHA-256 of that file's bytes).
 */
#include "archive.h"
#include "change.h"
#include "common.h"
#include "proof.h"
#include "digest.h"
#include "fsutil.h"
#include "lock.h"
#include "tlog.h"
#include "tsa.h"
#include "checkpoint.h"
#include "note.h"
#include "custody/proof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

/* The request this machine made last: its nonce, kept until a reply
 * to it is added (a reply to any other request is refused). */
#define PENDING_FILE "custody-timestamp-request"

int custody_archive_timestamp_request(custody_archive *a,
	custody_buf *tsq_out, uint64_t *nonce_out, custody_error **err)
{
	custody_buf note = CUSTODY_BUF_INIT;
	unsigned char digest[32];
	char line[64], *path = NULL;
	uint64_t nonce = 0;
	int rc;

	tsq_out->ptr = NULL;
	tsq_out->size = 0;
	if ((rc = custody_archive_checkpoint(a, &note, NULL, err)) != 0)
		return rc;
	rc = custody_digest__sha256(note.ptr, note.size, digest, err);
	if (rc == 0)
		rc = custody_tsa__request(digest, tsq_out, &nonce, err);
	if (rc == 0) {
		snprintf(line, sizeof(line), "nonce %016" PRIx64 "\n", nonce);
		path = custody_fs__join(a->gitdir, PENDING_FILE);
		rc = path == NULL ? custody__oom(err) : custody_fs__write_atomic(path, line,
			strlen(line), 0644, err);
		if (rc != 0)
			custody_buf_dispose(tsq_out);
	}
	if (rc == 0 && nonce_out != NULL)
		*nonce_out = nonce;
	free(path);
	custody_buf_dispose(&note);
	return rc;
}

/* The nonce of the request waiting for its reply, or an error. */
static int pending_nonce(custody_archive *a, uint64_t *out,
	custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	char *path = custody_fs__join(a->gitdir, PENDING_FILE), *end;
	int rc = 0;

	if (path == NULL)
		return custody__oom(err);
	if (custody_fs__read_file(&text, path, 64, NULL) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "no timestamp "
			"request of this archive is waiting for a reply: run "
			"`custody timestamp request` and send that request to "
			"the authority; a reply to any other request is "
			"refused");
		goto done;
	}
	if (text.size != 23 || strncmp(text.ptr, "nonce ", 6) != 0 ||
	    text.ptr[22] != '\n' ||
	    (*out = strtoull(text.ptr + 6, &end, 16), end != text.ptr + 22))
		rc = custody__error_hint(err, CUSTODY_EINVALID,
			CUSTODY_HINT_NEW_REQUEST, "%s: damaged", path);
done:
	custody_buf_dispose(&text);
	free(path);
	return rc;
}

int custody_archive_timestamp_add(custody_archive *a, const void *response,
	size_t len, uint64_t nonce, const char *tsa_ca,
	custody_timestamp_info *info, custody_error **err)
{
	struct custody_tree_file files[2];
	struct custody_checkpoint cp;
	struct custody_tsa_info tsa;
	custody_buf note = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_lock *lock = NULL;
	custody_error *why = NULL;
	unsigned char digest[32];
	char tsr_path[64], note_path[64], message[200];
	const char *actor;
	size_t text_len;
	git_oid commit;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	int rc, untrusted = 0;

	memset(info, 0, sizeof(*info));
	info->struct_version = CUSTODY_TIMESTAMP_INFO_VERSION;
	if ((rc = custody_change__begin(a, 0, &lock, &actor, err)) != 0)
		return rc;
	if ((rc = custody_archive__head_checkpoint(a, &note, NULL, err)) != 0 ||
	    (rc = custody_note__split(note.ptr, note.size, &text_len, err))
	    != 0 ||
	    (rc = custody_checkpoint__parse(&cp, note.ptr, text_len, err)) != 0)
		goto done;
	/* a response, or else a bare token */
	if (custody_tsa__token_from_response(response, len, nonce, &token,
	    &why) != 0) {
		if (custody_error_code(why) != CUSTODY_EINVALID) {
			rc = custody_error_code(why);
			custody__error(err, rc, "%s", custody_error_message(why));
			custody_error_free(why);
			goto done;
		}
		custody_error_free(why);
		why = NULL;
		custody_buf_dispose(&token);
		if (custody_buf__append(&token, response, len) != 0) {
			rc = custody__oom(err);
			goto done;
		}
	}
	if ((rc = custody_digest__sha256(note.ptr, note.size, digest,
	    &why)) != 0 ||
	    (rc = custody_tsa__verify(token.ptr, token.size, digest, tsa_ca,
	    &tsa, &untrusted, &why)) != 0) {
		custody__error(err, rc, "the timestamp for the checkpoint of "
			"size %" PRIu64 " is refused: %s", cp.size,
			custody_error_message(why));
		custody_error_free(why);
		goto done;
	}
	snprintf(tsr_path, sizeof(tsr_path), "timestamps/%" PRIu64 ".tsr",
		cp.size);
	snprintf(note_path, sizeof(note_path), "timestamps/%" PRIu64
		".checkpoint", cp.size);
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	if (git_tree_entry_bypath(&te, tree, tsr_path) == 0) {
		rc = custody__error(err, CUSTODY_EEXISTS, "the checkpoint of "
			"size %" PRIu64 " already has a timestamp (%s)",
			cp.size, tsr_path);
		goto done;
	}
	/* the reply must answer this archive's own request: its nonce */
	if (nonce == 0 && (rc = pending_nonce(a, &nonce, err)) != 0)
		goto done;
	if (!tsa.has_nonce || tsa.nonce != nonce) {
		rc = custody__error(err, CUSTODY_EVERIFY, "the timestamp for "
			"the checkpoint of size %" PRIu64 " is refused: %s",
			cp.size, tsa.has_nonce ? "its nonce differs from the "
			"request's: it answers another request" : "it has no "
			"nonce, and the request had one");
		goto done;
	}
	files[0].path = tsr_path;
	files[0].data = token.ptr;
	files[0].len = token.size;
	files[1].path = note_path;
	files[1].data = note.ptr;
	files[1].len = note.size;
	snprintf(message, sizeof(message), "custody timestamp: checkpoint of "
		"size %" PRIu64 ", %s\n", cp.size, tsa.gen_time);
	if ((rc = custody_change__append(a, NULL, 0, files, 2, message,
	    &commit, err)) != 0)
		goto done;
	info->size = cp.size;
	snprintf(info->time, sizeof(info->time), "%s", tsa.gen_time);
	snprintf(info->authority, sizeof(info->authority), "%s",
		tsa.tsa_name);
	info->trusted = !untrusted;
	git_oid_tostr(info->commit, sizeof(info->commit), &commit);
	{
		char *pending = custody_fs__join(a->gitdir, PENDING_FILE);

		if (pending != NULL)
			unlink(pending);
		free(pending);
	}
done:
	git_tree_entry_free(te);
	git_tree_free(tree);
	custody_buf_dispose(&note);
	custody_buf_dispose(&token);
	custody_lock__release(lock);
	return rc;
}

int custody_archive_timestamp_fetch(custody_archive *a, const char *url,
	const char *tsa_ca, custody_timestamp_info *info, custody_error **err)
{
	custody_buf query = CUSTODY_BUF_INIT, response = CUSTODY_BUF_INIT;
	uint64_t nonce = 0;
	int rc;

	/* a holder of the outlet key stamps every entry so far */
	if ((rc = custody_change__cover_all(a, 0, err)) == 0 &&
	    (rc = custody_archive_timestamp_request(a, &query, &nonce, err))
	    == 0 && (rc = custody_tsa__post(url, query.ptr, query.size,
	    &response, err)) == 0)
		rc = custody_archive_timestamp_add(a, response.ptr,
			response.size, nonce, tsa_ca, info, err);
	custody_buf_dispose(&query);
	custody_buf_dispose(&response);
	return rc;
}
