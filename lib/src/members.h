/*
 * Membership: who may sign an archive's commits, replayed from the log.
 *
 * The genesis entry names the founding member; member entries add and
 * revoke keys. The state after any prefix of the log is what signatures
 * are checked against, and members/allowed_signers in every commit's
 * tree is that state written for ssh-keygen and git: a revoked key keeps
 * its line, limited by valid-before, so commits it made while a member
 * still verify with stock tools; a key added later carries valid-after.
 *
 * Nothing here reads an archive: the replay works on entries and on the
 * text of allowed_signers, whoever found them.
 */
#ifndef CUSTODY_SRC_MEMBERS_H
#define CUSTODY_SRC_MEMBERS_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "entry.h"

#define CUSTODY_MEMBERS_PATH "members/allowed_signers"

struct custody_member {
	char *name;
	unsigned char key[32];
	uint64_t added;          /* index of the entry that added the key */
	char added_time[32];
	int founding;            /* named by the genesis entry */
	int revoked;
	uint64_t revoked_at;     /* index of the revoking entry */
	char revoked_time[32];
};

struct custody_members {
	struct custody_member *items;
	size_t count, capacity;
};

void custody_members__clear(struct custody_members *m);

/*
 * Apply a genesis or member entry (other entries change nothing). The
 * rules: the genesis entry comes first and once; a name is not added
 * while it is an active member's; a key is never added twice, even after
 * revocation; only an active member's own key is revoked; the last
 * active member cannot be revoked. A broken rule is CUSTODY_EVERIFY with
 * a message naming the entry.
 */
int custody_members__apply(struct custody_members *m,
	const struct custody_entry *entry, custody_error **err);

/* The member who holds (or held) `key`, or NULL. */
const struct custody_member *custody_members__by_key(
	const struct custody_members *m, const unsigned char key[32]);

/* The active member called `name`, or NULL. */
const struct custody_member *custody_members__active(
	const struct custody_members *m, const char *name);

size_t custody_members__active_count(const struct custody_members *m);

/* members/allowed_signers for this state, for the log `origin`. */
int custody_members__allowed_signers(const struct custody_members *m,
	const char *origin, custody_buf *out, custody_error **err);

/*
 * Read back what custody_members__allowed_signers wrote (the archive's
 * head tree, for writers deciding who they are). `name` is for messages.
 * Anything else is CUSTODY_EINVALID.
 */
int custody_members__parse(struct custody_members *m, const char *text,
	size_t len, const char *name, custody_error **err);

#endif
