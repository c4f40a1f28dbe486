/*
 * C2SP transparency log policies (c2sp.org/tlog-policy): the logs a
 * reader trusts, the witnesses it knows, and the quorum of cosignatures
 * a checkpoint must reach. custody keeps one in each archive
 * (CUSTODY_POLICY_PATH, written by `custody witness add`), exports it for
 * readers, and checks proofs against one (`custody check --policy`).
 *
 * The parser follows the spec's text: lines end in "\n"; items are
 * separated by spaces and tabs; empty and "#" lines are ignored; only
 * tab, newline, 0x20-0x7e and 0x80-0xff bytes; a group or the quorum
 * names only what earlier lines defined; "none" is predefined; every
 * defined name is a group member at most once; exactly one quorum line;
 * no two logs or witnesses with one public key. Names are opaque bytes.
 * Limits: 32 logs, 32 witnesses, 32 groups (the spec's recommended
 * minimum), 64 KiB.
 */
#ifndef CUSTODY_SRC_POLICY_H
#define CUSTODY_SRC_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "cosignature.h"
#include "note.h"

#define CUSTODY_POLICY_PATH "tlog-policy"
#define CUSTODY_POLICY_MAX_SIZE (64 * 1024)
#define CUSTODY_POLICY_MAX_LOGS 32
#define CUSTODY_POLICY_MAX_WITNESSES 32
#define CUSTODY_POLICY_MAX_GROUPS 32
#define CUSTODY_POLICY_NAME_MAX 255
#define CUSTODY_POLICY_VKEY_MAX 400
#define CUSTODY_POLICY_URL_MAX 1024
/* A reference to a witness i is i; to a group j, GROUP_BASE + j. */
#define CUSTODY_POLICY_GROUP_BASE CUSTODY_POLICY_MAX_WITNESSES
#define CUSTODY_POLICY_NONE (-1)

struct custody_policy_log {
	struct custody_note_verifier v;
	char vkey[CUSTODY_POLICY_VKEY_MAX + 1];
	char url[CUSTODY_POLICY_URL_MAX + 1];      /* "" for none */
};

struct custody_policy_witness {
	char name[CUSTODY_POLICY_NAME_MAX + 1];
	struct custody_cosig_verifier v;
	char vkey[CUSTODY_POLICY_VKEY_MAX + 1];
	char url[CUSTODY_POLICY_URL_MAX + 1];      /* "" for none */
};

enum custody_policy_rule {
	CUSTODY_POLICY_K,       /* at least k members */
	CUSTODY_POLICY_ANY,     /* k = 1 */
	CUSTODY_POLICY_ALL      /* k = n */
};

struct custody_policy_group {
	char name[CUSTODY_POLICY_NAME_MAX + 1];
	enum custody_policy_rule rule;
	size_t k;               /* for CUSTODY_POLICY_K */
	size_t nmembers;
	int members[CUSTODY_POLICY_MAX_WITNESSES + CUSTODY_POLICY_MAX_GROUPS];
};

struct custody_policy {
	size_t nlogs, nwitnesses, ngroups;
	struct custody_policy_log logs[CUSTODY_POLICY_MAX_LOGS];
	struct custody_policy_witness witnesses[CUSTODY_POLICY_MAX_WITNESSES];
	struct custody_policy_group groups[CUSTODY_POLICY_MAX_GROUPS];
	int quorum;             /* a reference, or CUSTODY_POLICY_NONE */
};

/*
 * Parse a policy file; *out is malloc'd (free()). Errors:
 * CUSTODY_EINVALID naming `what` and the line ("tlog-policy line 3:
 * ..."), CUSTODY_ENOMEM.
 */
int custody_policy__parse(struct custody_policy **out, const char *text,
	size_t len, const char *what, custody_error **err);

/* Check a policy as the parser would (after changing it in memory). */
int custody_policy__validate(const struct custody_policy *p,
	const char *what, custody_error **err);

/* Append the policy as a file: the log lines, the witness lines, the
 * group lines in order, the quorum line. */
int custody_policy__format(const struct custody_policy *p,
	custody_buf *out, custody_error **err);

/* The name a reference stands for ("none" for CUSTODY_POLICY_NONE). */
const char *custody_policy__ref_name(const struct custody_policy *p,
	int ref);

/* The reference of a defined name, or -2 when nothing has it. */
int custody_policy__find(const struct custody_policy *p, const char *name);

/* 1 when the witnesses marked in `cosigned` (one flag per witness) reach
 * the quorum, else 0. */
int custody_policy__quorum_met(const struct custody_policy *p,
	const unsigned char cosigned[CUSTODY_POLICY_MAX_WITNESSES]);

/* The number of members group g needs. */
size_t custody_policy__threshold(const struct custody_policy_group *g);

#endif
