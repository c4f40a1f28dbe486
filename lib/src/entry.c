/*
 * The entry object: its type names, the key form of genesis and member
 * entries, freeing, and the accessors of the public API.
 */
#include "entry.h"
#include "custody/entry.h"
#include "base64.h"
#include "common.h"
#include "ed25519.h"
#include "fsutil.h"
#include "note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

const char *custody_entry__type_name(custody_entry_type type)
{
	switch (type) {
	case CUSTODY_ENTRY_GENESIS:
		return "genesis";
	case CUSTODY_ENTRY_REGISTER:
		return "register";
	case CUSTODY_ENTRY_MEMBER:
		return "member";
	case CUSTODY_ENTRY_PUBLISH:
		return "publish";
	case CUSTODY_ENTRY_EVENT:
		return "event";
	case CUSTODY_ENTRY_DERIVE:
		return "derive";
	case CUSTODY_ENTRY_LOG_KEY:
		return "log-key";
	case CUSTODY_ENTRY_POLICY:
		return "policy";
	case CUSTODY_ENTRY_SKIP:
		return "skip";
	case CUSTODY_ENTRY_DKIM:
		return "dkim";
	default:
		return NULL;
	}
}

void custody_entry__free(struct custody_entry *entry)
{
	if (entry == NULL)
		return;
	free(entry->time);
	free(entry->actor);
	free(entry->salt);
	free(entry->note);
	free(entry->skipped);
	free(entry->origin);
	free(entry->opening);
	free(entry->private_commitment);
	free(entry->private_leaf);
	free(entry->log_key);
	free(entry->previous_log_key);
	free(entry->old_signature);
	free(entry->new_signature);
	free(entry->policy);
	free(entry->path);
	free(entry->sha256);
	free(entry->sha512);
	free(entry->media_type);
	free(entry->blob);
	free(entry->source);
	free(entry->member);
	free(entry->key);
	free(entry->url);
	free(entry->title);
	free(entry->published);
	free(entry->event_action);
	free(entry->from);
	free(entry->to);
	free(entry->at);
	free(entry->backdate_reason);
	free(entry->original_leaf);
	free(entry->message_leaf);
	free(entry->verdict);
	free(entry->observed);
	free(entry->dkim_evidence);
	free(entry->derivation);
	for (size_t i = 0; i < entry->ndocuments; i++)
		free(entry->documents[i].sha256);
	free(entry->documents);
	free(entry);
}

int custody_entry__rotation_message(custody_buf *out,
	const struct custody_entry *e, custody_error **err)
{
	if (custody_buf__printf(out, "custody log-key rotation v1\n"
	    "index %" PRIu64 "\nfrom %s\nto %s\n", e->index,
	    e->previous_log_key, e->log_key) != 0)
		return custody__oom(err);
	return 0;
}

int custody_entry__same_log_key(const char *x, const char *y)
{
	struct custody_note_verifier a, b;

	if (x == NULL || y == NULL ||
	    custody_note__verifier_from_vkey(&a, x, strlen(x), NULL) != 0 ||
	    custody_note__verifier_from_vkey(&b, y, strlen(y), NULL) != 0)
		return 0;
	return strcmp(a.name, b.name) == 0 &&
		CRYPTO_memcmp(a.key_id, b.key_id, 4) == 0 &&
		CRYPTO_memcmp(a.pub, b.pub, 32) == 0;
}

/* An Ed25519 signature given in base64, checked over msg. */
static int signature_holds(const unsigned char pub[32], const char *b64,
	const custody_buf *msg)
{
	unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES + 3];
	size_t n = 0;

	return b64 != NULL && strlen(b64) == 88 &&
		custody_base64_decode(sig, &n, b64, 88) == 0 &&
		n == CUSTODY_ED25519_SIGNATURE_BYTES &&
		custody_ed25519__verify(pub, msg->ptr, msg->size, sig) == 1;
}

int custody_entry__check_rotation(const struct custody_entry *e,
	struct custody_note_verifier *from, struct custody_note_verifier *to,
	custody_error **err)
{
	custody_buf msg = CUSTODY_BUF_INIT;
	int rc, ok;

	if ((rc = custody_note__verifier_from_vkey(from, e->previous_log_key,
	    strlen(e->previous_log_key), err)) != 0 ||
	    (rc = custody_note__verifier_from_vkey(to, e->log_key,
	    strlen(e->log_key), err)) != 0 ||
	    (rc = custody_entry__rotation_message(&msg, e, err)) != 0)
		return rc;
	ok = signature_holds(from->pub, e->old_signature, &msg) &&
		signature_holds(to->pub, e->new_signature, &msg);
	custody_buf_dispose(&msg);
	if (!ok)
		return custody__error(err, CUSTODY_EVERIFY, "the rotation at "
			"entry %" PRIu64 " is not signed by both the old and "
			"the new key", e->index);
	return 0;
}

/* The public accessors (custody/entry.h). */
uint64_t custody_entry_index(const custody_entry *e) { return e->index; }
const char *custody_entry_type_name(const custody_entry *e)
{
	return custody_entry__type_name(e->type);
}
const char *custody_entry_time(const custody_entry *e) { return e->time; }
const char *custody_entry_actor(const custody_entry *e) { return e->actor; }
const char *custody_entry_note(const custody_entry *e) { return e->note; }
const char *custody_entry_origin(const custody_entry *e) { return e->origin; }
const char *custody_entry_log_key(const custody_entry *e)
{
	return e->log_key;
}
const char *custody_entry_policy(const custody_entry *e)
{
	return e->policy;
}
const char *custody_entry_previous_log_key(const custody_entry *e)
{
	return e->previous_log_key;
}
const char *custody_entry_path(const custody_entry *e) { return e->path; }
uint64_t custody_entry_size(const custody_entry *e) { return e->size; }
const char *custody_entry_sha256(const custody_entry *e) { return e->sha256; }
const char *custody_entry_sha512(const custody_entry *e) { return e->sha512; }
const char *custody_entry_media_type(const custody_entry *e)
{
	return e->media_type;
}
const char *custody_entry_blob(const custody_entry *e) { return e->blob; }
uint64_t custody_entry_version(const custody_entry *e) { return e->version; }
const char *custody_entry_source(const custody_entry *e) { return e->source; }
const char *custody_entry_member(const custody_entry *e) { return e->member; }
const char *custody_entry_key(const custody_entry *e) { return e->key; }
const char *custody_entry_action(const custody_entry *e)
{
	if (e->type == CUSTODY_ENTRY_EVENT)
		return e->event_action;
	return e->action == CUSTODY_MEMBER_ADD ? "add" :
		e->action == CUSTODY_MEMBER_REVOKE ? "revoke" : NULL;
}
uint64_t custody_entry_event_document(const custody_entry *e)
{
	return e->document;
}
const char *custody_entry_from(const custody_entry *e) { return e->from; }
const char *custody_entry_to(const custody_entry *e) { return e->to; }
const char *custody_entry_at(const custody_entry *e) { return e->at; }
const char *custody_entry_skipped(const custody_entry *e)
{
	return e->skipped;
}

const char *custody_entry_backdate_reason(const custody_entry *e)
{
	return e->backdate_reason;
}
uint64_t custody_entry_derived_from(const custody_entry *e)
{
	return e->derived_from;
}
const char *custody_entry_original_leaf(const custody_entry *e)
{
	return e->original_leaf;
}
const char *custody_entry_derivation(const custody_entry *e)
{
	return e->derivation;
}
uint64_t custody_entry_dkim_message(const custody_entry *e)
{
	return e->message;
}
const char *custody_entry_dkim_message_leaf(const custody_entry *e)
{
	return e->message_leaf;
}
const char *custody_entry_dkim_verdict(const custody_entry *e)
{
	return e->verdict;
}
const char *custody_entry_dkim_observed(const custody_entry *e)
{
	return e->observed;
}
const char *custody_entry_dkim_evidence(const custody_entry *e)
{
	return e->dkim_evidence;
}
const char *custody_entry_url(const custody_entry *e) { return e->url; }
const char *custody_entry_title(const custody_entry *e) { return e->title; }
const char *custody_entry_published(const custody_entry *e)
{
	return e->published;
}
size_t custody_entry_document_count(const custody_entry *e)
{
	return e->ndocuments;
}
const char *custody_entry_document(const custody_entry *e, size_t i,
	uint64_t *index)
{
	if (i >= e->ndocuments)
		return NULL;
	if (index != NULL)
		*index = e->documents[i].index;
	return e->documents[i].sha256;
}

int custody_entry_previous(const custody_entry *e, uint64_t *out)
{
	*out = e->has_previous ? e->previous : 0;
	return e->has_previous;
}

void custody_entry_free(custody_entry *e)
{
	custody_entry__free(e);
}
