/*
 * custody/member.h - who may sign an archive's commits.
 *
 * The genesis entry names the founding member and key; `member` entries
 * add and revoke keys, each signed by a member at the time. The
 * archive's members/allowed_signers file is that membership written for
 * ssh-keygen and git: a revoked key keeps its line with valid-before,
 * so the commits it signed while a member still verify.
 *
 * Thread safety: as for the archive handle.
 */
#ifndef CUSTODY_MEMBER_H
#define CUSTODY_MEMBER_H

#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"
#include "custody/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A member as the archive's head records it; strings are borrowed for
 * the duration of the callback. */
typedef struct custody_member_info {
	const char *name;
	const char *key;          /* "ssh-ed25519 AAAA..." */
	const char *fingerprint;  /* "SHA256:...", as ssh-keygen -lf */
	int founding;             /* named by the genesis entry */
	const char *since;        /* "YYYY-MM-DDTHH:MM:SSZ"; NULL: founding */
	int revoked;
	const char *until;        /* when revoked; NULL if active */
	/* the log entries that added and revoked the key: it signs the
	 * entries after `added` and before `revoked_entry` (entry times
	 * have whole seconds, so these tell apart what the times cannot) */
	uint64_t added;
	uint64_t revoked_entry;   /* 0 if active */
} custody_member_info;

typedef int (*custody_member_cb)(const custody_member_info *member,
	void *payload);

/* Every member, active or revoked, in the order they were added. */
CUSTODY_EXTERN(int) custody_archive_members(custody_archive *archive,
	custody_member_cb cb, void *payload, custody_error **err);

/* The members/allowed_signers file at head, for git and ssh-keygen. */
CUSTODY_EXTERN(int) custody_archive_allowed_signers(custody_archive *archive,
	custody_buf *out, custody_error **err);

#define CUSTODY_MEMBER_OPTIONS_VERSION 1
typedef struct custody_member_options {
	unsigned int version;
	const char *note;           /* recorded on the entry; NULL */
	unsigned int lock_wait_ms;
} custody_member_options;
#define CUSTODY_MEMBER_OPTIONS_INIT { CUSTODY_MEMBER_OPTIONS_VERSION, NULL, \
	0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_MEMBER_OPTIONS_VERSION), as CUSTODY_MEMBER_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_member_options_init(
	custody_member_options *opts, unsigned int version);

/*
 * Add `key` as member `name` (see custody_key_name_check), in one entry
 * and one commit signed by the handle's signer, who must be a member.
 * commit_out (41 bytes, may be NULL) receives the commit id. Errors:
 * CUSTODY_EEXISTS (the name is an active member's, or the key was ever a
 * member's), CUSTODY_EINVALID (bad name), CUSTODY_EVERIFY (the signer is
 * not a member), CUSTODY_ELOCKED. A refused call changes nothing.
 */
CUSTODY_EXTERN(int) custody_archive_member_add(custody_archive *archive,
	const char *name, const custody_pubkey *key,
	const custody_member_options *opts, char *commit_out,
	custody_error **err);

/*
 * Revoke member `name`'s key. Commits it signed before stay valid; none
 * after. Errors: CUSTODY_ENOTFOUND (no active member of that name),
 * CUSTODY_EINVALID (the last active member), as for add otherwise.
 */
CUSTODY_EXTERN(int) custody_archive_member_revoke(custody_archive *archive,
	const char *name, const custody_member_options *opts,
	char *commit_out, custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
