/*
 * Rotating the outlet key (log key): a log-key entry names the new key
 * and the one it replaces, signed by both, and custody.yaml names the new
 * key, in one commit whose checkpoint the new key signs. Checkpoints of
 * a size up to the entry's index stay the old key's; later ones are the
 * new key's (verify reads that schedule back: archive_verify_tlog.c).
 */
#include "archive.h"
#include "base64.h"
#include "change.h"
#include "common.h"
#include "config.h"
#include "ed25519.h"
#include "entry.h"
#include "key.h"
#include "lock.h"
#include "note.h"
#include "tlog.h"
#include "custody/proof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* `key`'s Ed25519 signature over msg, in base64 (88 characters). */
static int sign_b64(const custody_key *key, const custody_buf *msg,
	char out[89], custody_error **err)
{
	unsigned char sig[64];
	int rc;

	if ((rc = custody_ed25519__sign(custody_key__pkey(key), msg->ptr,
	    msg->size, sig, err)) != 0)
		return rc;
	out[custody_base64_encode(out, sig, sizeof(sig))] = '\0';
	return 0;
}

/* The log-key entry at index a->size, signed by the handle's key and by
 * new_key; its strings live in the buffers given. */
static int rotation_entry(custody_archive *a, const custody_key *new_key,
	const char *note, struct custody_entry *e, custody_buf *old_vkey,
	custody_buf *new_vkey, char old_sig[89], char new_sig[89],
	custody_error **err)
{
	custody_buf msg = CUSTODY_BUF_INIT;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = custody_key_wait(new_key, err)) != 0 ||
	    (rc = custody_pubkey_vkey(custody_key_public(a->log_signer),
	    a->config->origin, old_vkey, err)) != 0 ||
	    (rc = custody_pubkey_vkey(custody_key_public(new_key),
	    a->config->origin, new_vkey, err)) != 0)
		return rc;
	if (custody_entry__same_log_key(old_vkey->ptr, new_vkey->ptr))
		return custody__error(err, CUSTODY_EINVALID, "%s: the new "
			"outlet key is the one in force (%s)", a->gitdir,
			old_vkey->ptr);
	e->type = CUSTODY_ENTRY_LOG_KEY;
	e->index = a->size;
	e->log_key = new_vkey->ptr;
	e->previous_log_key = old_vkey->ptr;
	e->note = (char *)note;
	if ((rc = custody_entry__rotation_message(&msg, e, err)) == 0 &&
	    (rc = sign_b64(a->log_signer, &msg, old_sig, err)) == 0 &&
	    (rc = sign_b64(new_key, &msg, new_sig, err)) == 0) {
		e->old_signature = old_sig;
		e->new_signature = new_sig;
	}
	custody_buf_dispose(&msg);
	return rc;
}

/* custody.yaml as it is, naming `vkey` as the outlet key. */
static int config_with(const struct custody_config *c, const char *vkey,
	custody_buf *out, custody_error **err)
{
	struct custody_config next = *c;

	next.log_key = (char *)vkey;
	return custody_config__emit(out, &next, err);
}

int custody_archive_rotate_log_key(custody_archive *a,
	const custody_key *new_key, const char *note, unsigned int wait_ms,
	uint64_t *index_out, char commit_out[CUSTODY_COMMIT_ID_SIZE],
	custody_error **err)
{
	custody_buf old_vkey = CUSTODY_BUF_INIT, new_vkey = CUSTODY_BUF_INIT;
	custody_buf yaml = CUSTODY_BUF_INIT;
	const custody_key *old_key = a->log_signer;
	struct custody_lock *lock = NULL;
	struct custody_tree_file file;
	struct custody_entry e;
	char old_sig[89], new_sig[89];
	const char *actor;
	git_oid commit;
	int rc;

	if (old_key == NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s: rotating "
			"the outlet key needs the key in force, and none is at "
			"hand", a->gitdir);
	if (new_key == NULL)
		return custody__error(err, CUSTODY_EINVALID, "no new outlet "
			"key given");
	/* the old key signs what it can before it hands over */
	if ((rc = custody_change__cover_all(a, wait_ms, err)) != 0 ||
	    (rc = custody_change__begin(a, wait_ms, &lock, &actor, err)) != 0)
		return rc;
	if ((rc = custody_tlog__is_log_key(a, old_key, err)) != 0 ||
	    (rc = rotation_entry(a, new_key, note, &e, &old_vkey, &new_vkey,
	    old_sig, new_sig, err)) != 0 ||
	    (rc = config_with(a->config, new_vkey.ptr, &yaml, err)) != 0)
		goto done;
	file.path = "custody.yaml";
	file.data = yaml.ptr;
	file.len = yaml.size;
	/* The commit's checkpoint covers the rotation: the new key's. */
	a->rotating_to = new_vkey.ptr;
	a->log_signer = new_key;
	rc = custody_change__append(a, &e, 1, &file, 1,
		"custody log-key rotate\n", &commit, err);
	a->rotating_to = NULL;
	if (rc != 0) {
		a->log_signer = old_key;
		goto done;
	}
	if (index_out != NULL)
		*index_out = e.index;
	if (commit_out != NULL)
		git_oid_tostr(commit_out, CUSTODY_COMMIT_ID_SIZE, &commit);
done:
	custody_buf_dispose(&yaml);
	custody_buf_dispose(&old_vkey);
	custody_buf_dispose(&new_vkey);
	custody_lock__release(lock);
	return rc;
}
