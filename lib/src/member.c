/* The archive's members (custody/member.h), read from and written to its
 * head; the replay itself is members.c. */
#include "member.h"
#include "sshwire.h"
#include "archive.h"
#include "change.h"
#include "common.h"
#include "fsutil.h"
#include "lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int head_members(custody_archive *a, struct custody_members *out,
	custody_error **err)
{
	git_blob *blob = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = custody_archive__head_blob(a, CUSTODY_MEMBERS_PATH, &blob,
	    err)) == 0)
		rc = custody_members__parse(out, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), CUSTODY_MEMBERS_PATH,
			err);
	git_blob_free(blob);
	return rc;
}

int custody_archive_members(custody_archive *a, custody_member_cb cb,
	void *payload, custody_error **err)
{
	struct custody_members members;
	int rc;

	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = head_members(a, &members, err)) != 0)
		return rc;
	for (size_t i = 0; i < members.count && rc == 0; i++) {
		const struct custody_member *m = &members.items[i];
		custody_member_info info;
		char line[81], fp[64];

		custody_sshwire__key_line(line, m->key);
		custody_sshwire__fingerprint(fp, m->key);
		info.name = m->name;
		info.key = line;
		info.fingerprint = fp;
		info.founding = m->founding;
		info.since = m->founding ? NULL : m->added_time;
		info.revoked = m->revoked;
		info.until = m->revoked ? m->revoked_time : NULL;
		info.added = m->added;
		info.revoked_entry = m->revoked ? m->revoked_at : 0;
		rc = cb(&info, payload);
	}
	custody_members__clear(&members);
	return rc;
}

int custody_archive_allowed_signers(custody_archive *a, custody_buf *out,
	custody_error **err)
{
	git_blob *blob = NULL;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__head_blob(a, CUSTODY_MEMBERS_PATH, &blob,
	    err)) != 0)
		return rc;
	if (custody_buf__append(out, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob)) != 0)
		rc = custody__oom(err);
	git_blob_free(blob);
	return rc;
}

/* A member entry, checked against the head's membership, then appended
 * with the new allowed_signers in one commit. */
static int change_members(custody_archive *a, custody_member_action action,
	const char *name, const unsigned char *key,
	const custody_member_options *opts, char *commit_out,
	custody_error **err)
{
	custody_member_options defaults = CUSTODY_MEMBER_OPTIONS_INIT;
	struct custody_members members = { 0 };
	struct custody_entry e;
	struct custody_tree_file file;
	custody_buf signers = CUSTODY_BUF_INIT;
	custody_lock *lock = NULL;
	const struct custody_member *active;
	custody_error *rule = NULL;
	char line[81], message[160], now[32];
	const char *actor;
	git_oid commit;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_MEMBER_OPTIONS_VERSION, "custody_member_options")) != 0)
		return rc;
	if (opts == NULL)
		opts = &defaults;
	if ((rc = custody_key_name_check(name, err)) != 0)
		return rc;
	if ((rc = custody_change__begin(a, opts->lock_wait_ms, &lock,
	    &actor, err)) != 0 ||
	    (rc = head_members(a, &members, err)) != 0)
		goto done;
	active = custody_members__active(&members, name);
	if (action == CUSTODY_MEMBER_REVOKE) {
		if (active == NULL) {
			rc = custody__error(err, CUSTODY_ENOTFOUND, "'%s' is "
				"not a member of this archive", name);
			goto done;
		}
		key = active->key;
	}
	custody_sshwire__key_line(line, key);
	if (action == CUSTODY_MEMBER_REVOKE && !active->founding) {
		/* allowed_signers' valid-before must be later than its
		 * valid-after (ssh-keygen refuses equal times): a key added
		 * and revoked within one second is revoked the second after */
		struct tm tm = { 0 };

		if (strptime(active->added_time, "%Y-%m-%dT%H:%M:%SZ", &tm))
			a->not_before = (int64_t)timegm(&tm) + 1;
	}
	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_MEMBER;
	e.index = a->size;
	custody_change__now(a, now, NULL);
	e.time = now;
	e.action = action;
	e.member = (char *)name;
	e.key = line;
	e.note = (char *)opts->note;
	/* The same rules verify replays, applied before anything is
	 * written; a broken rule is the caller's mistake, not a forgery. */
	if ((rc = custody_members__apply(&members, &e, &rule)) != 0) {
		rc = custody__error(err, action == CUSTODY_MEMBER_ADD ?
			CUSTODY_EEXISTS : CUSTODY_EINVALID, "%s",
			strchr(custody_error_message(rule), ':') + 2);
		goto done;
	}
	if ((rc = custody_members__allowed_signers(&members,
	    a->config->origin, &signers, err)) != 0)
		goto done;
	file.path = CUSTODY_MEMBERS_PATH;
	file.data = signers.ptr;
	file.len = signers.size;
	snprintf(message, sizeof(message), "custody member %s: %s\n",
		action == CUSTODY_MEMBER_ADD ? "add" : "revoke", name);
	rc = custody_change__append(a, &e, 1, &file, 1, message, &commit,
		err);
	a->not_before = 0;
	if (rc != 0)
		goto done;
	if (commit_out != NULL)
		git_oid_tostr(commit_out, 41, &commit);
done:
	custody_error_free(rule);
	custody_buf_dispose(&signers);
	custody_members__clear(&members);
	custody_lock__release(lock);
	return rc;
}

int custody_archive_member_add(custody_archive *a, const char *name,
	const custody_pubkey *key, const custody_member_options *opts,
	char *commit_out, custody_error **err)
{
	return change_members(a, CUSTODY_MEMBER_ADD, name,
		custody_pubkey_raw(key), opts, commit_out, err);
}

int custody_archive_member_revoke(custody_archive *a, const char *name,
	const custody_member_options *opts, char *commit_out,
	custody_error **err)
{
	return change_members(a, CUSTODY_MEMBER_REVOKE, name, NULL, opts,
		commit_out, err);
}

int custody_member_options_init(custody_member_options *opts, unsigned int version)
{
	static const custody_member_options fresh = CUSTODY_MEMBER_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_MEMBER_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
