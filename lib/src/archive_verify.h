/*
 * custody verify, in parts: one run's state, which custody_archive_verify
 * (archive_verify.c) passes through its steps, one file for each thing
 * they check:
 *
 *   archive_verify_history.c  commits, signatures, members at each commit
 *   archive_verify_entries.c  the log's shape, entries, version chains
 *   archive_verify_tlog.c     tiles, checkpoints, timestamps
 *   archive_verify_content.c  stored content, documents/, --full
 */
#ifndef CUSTODY_SRC_ARCHIVE_VERIFY_H
#define CUSTODY_SRC_ARCHIVE_VERIFY_H

#include "archive.h"
#include "common.h"
#include "map.h"
#include "member.h"

struct custody_index;
struct custody_tiles;
struct custody_tlog_index;

/* What the history walk learns about each commit, for the membership
 * replay that runs along the entries. */
struct custody_verify_commit {
	char hex[41];
	uint64_t first, count;     /* the entries it adds */
	int signature;             /* 1 good, 0 missing or bad (reported) */
	unsigned char signer[32];
	int has_members;
	git_oid members;           /* its members/allowed_signers blob */
	int has_checkpoint;
	git_oid checkpoint;        /* its checkpoint blob */
	int has_config;
	git_oid config;            /* its custody.yaml blob */
	int config_changed;        /* custody.yaml differs from its parent's */
	int has_policy;
	git_oid policy;            /* its tlog-policy blob */
	uint64_t rotations;        /* log-key entries it adds */
	uint64_t rotation;         /* the last one's index */
};

/* An outlet key in the log: it signs the checkpoints of a size above
 * `from` (0 for the genesis entry's, else its log-key entry's index),
 * until the next one. */
struct custody_verify_log_key {
	uint64_t from;
	char *vkey;
};

/*
 * Membership replay along the entries: the state before a commit's
 * entries judges its signer (the genesis commit is judged after its
 * genesis entry, which names the founder); the state after them is
 * what its members/allowed_signers must say.
 */
struct custody_verify_replay {
	struct custody_members members;
	size_t commit;              /* the commit whose entries come next */
	const char *signer_name;    /* NULL if unknown or not a member */
	uint64_t generation;        /* bumped by each membership change */
	uint64_t hashed_generation;
	git_oid expected;           /* allowed_signers blob for generation */
	int has_expected;
	int has_policy;             /* a policy entry so far */
	git_oid policy;             /* the tlog-policy blob it records */
	int oom;
};

/* The latest version of one registered path. */
struct custody_verify_document {
	char *path;
	uint64_t index, version, size;
	char sha256[65];
	char blob[41];
	int doc_seen;
};

/* A stored blob that --full rehashes, and what it found. */
struct custody_verify_blob {
	uint64_t index;
	char blob[41];
	char sha256[65];
	uint64_t size;
	char *path;
	int bad;            /* 1 unreadable, 2 digest, 3 size */
};

/*
 * A state this machine verified before, which a run may start from
 * instead of the root: a partner's main that extends our own is checked
 * from our main on, in O(what is new). What the new entries build on
 * (the members, the outlet keys, each path's latest version, the Merkle
 * tree) comes from our archive at `commit` and its caches, which speak
 * for a history verified here (custody-seen is that commit).
 */
struct custody_verify_base {
	git_oid commit;
	uint64_t size;                 /* entries at commit */
	struct custody_tiles *tiles;   /* at least `size` leaves */
	struct custody_index *index;   /* the latest record of each path */
	custody_buf members;           /* members/allowed_signers there */
	git_oid config;                /* its custody.yaml blob */
	struct custody_verify_log_key *log_keys;
	size_t nlog_keys;
	git_oid checkpoint;            /* its checkpoint blob */
	git_oid timestamps, documents; /* its folders, when it has them */
	int has_timestamps, has_documents;
	int has_policy;                /* its tlog-policy, when it has one */
	git_oid policy;
	git_oid witnesses;             /* its witnesses/ folder */
	int has_witnesses;
};

/*
 * The base for verifying what extends archive a's main: CUSTODY_ENOTFOUND
 * when there is none to trust (no main, or main is not the commit this
 * machine last made or verified, or a cache disagrees with it): then
 * verify from the root.
 */
int custody_archive__verify_base(struct custody_verify_base *out,
	custody_archive *a, custody_error **err);
void custody_archive__verify_base_clear(struct custody_verify_base *b);

/* custody_archive_verify of archive a, whose main must extend
 * base->commit, checking only what came after it. */
int custody_archive__verify_from(custody_archive *a,
	const struct custody_verify_base *base, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary, custody_error **err);

/* What a run from the root learns that a new archive keeps as its
 * caches (a clone): each path's latest record, the rare entries. Set
 * only when the run passes; the caller frees both. */
struct custody_verify_keep {
	struct custody_index *paths;
	struct custody_tlog_index *rare;
};

/* custody_archive_verify, keeping what it learnt in *keep. */
int custody_archive__verify_keep(custody_archive *a, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary,
	struct custody_verify_keep *keep, custody_error **err);

struct custody_verify_run {
	custody_archive *a;
	const custody_verify_options *opts;
	const struct custody_verify_base *base;  /* NULL: from the root */
	struct custody_verify_keep *keep;        /* NULL: nothing kept */
	custody_problem_cb cb;
	void *payload;
	custody_verify_summary sum;
	int stopped;               /* the callback asked for no more */
	git_odb *odb;
	git_tree *tree;            /* head's */

	/* history */
	git_oid seen;              /* custody-seen, when has_seen */
	int has_seen;
	struct custody_verify_commit *commits;
	size_t ncommits;
	struct custody_verify_replay replay;

	/* entries, by index: the consecutive ones from 0 */
	uint64_t nlog;
	unsigned char (*leaves)[32];
	unsigned char (*digests)[32];  /* a registration's SHA-256, else 0 */

	/* documents, by path, and their stored blobs */
	struct custody_verify_document *latest;
	size_t nlatest;
	struct custody_map by_path;    /* path -> its index in latest */
	struct custody_verify_blob *checks;
	size_t nchecks;

	/* the outlet keys, oldest first, from the genesis and log-key
	 * entries */
	struct custody_verify_log_key *log_keys;
	size_t nlog_keys;
};

/* Report a problem (counted; passed on while there are few). */
void custody_archive_verify__problem(struct custody_verify_run *v,
	const char *where, const char *fmt, ...) CUSTODY_PRINTF(3, 4);

/* ---- archive_verify_history.c ---- */

/* The commit in custody-seen, the newest this machine made or
 * verified: 1 and *out, or 0 when there is none that can be read. */
int custody_archive_verify__read_seen(custody_archive *a, git_oid *out);

/* Does the history still hold the commit this machine last made or
 * verified? Sets v->seen. */
void custody_archive_verify__seen(struct custody_verify_run *v);

/* Walk the commits: signatures, and what each one changes. Fills
 * v->commits; an error only when the walk itself cannot run. */
int custody_archive_verify__history(struct custody_verify_run *v,
	custody_error **err);

/* A run from a base: the members as they were there, and the first new
 * commit's signer judged by them. */
int custody_archive_verify__members_start(struct custody_verify_run *v,
	custody_error **err);

/* The members replay, along the entries: before entry `index`, on
 * entry `e`, and after the last one (then the members are let go;
 * CUSTODY_ENOMEM if the replay ran out of memory). */
void custody_archive_verify__members_before(struct custody_verify_run *v,
	uint64_t index);
void custody_archive_verify__members_entry(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where);
int custody_archive_verify__members_end(struct custody_verify_run *v,
	custody_error **err);

/* A history that verified becomes the one later runs compare with. */
void custody_archive_verify__remember(struct custody_verify_run *v);

/* ---- archive_verify_entries.c ---- */

/* "log/000/001/000001234.yaml" -> 1234, or -1 if not custody's layout */
int64_t custody_archive_verify__entry_index(const char *path);
/* The same for a private part's path, private/NNN/NNN/NNNNNNNNN.yaml. */
int64_t custody_archive_verify__private_index(const char *path);

/* Read the log's shape, then check every entry in order. */
int custody_archive_verify__entries(struct custody_verify_run *v,
	custody_error **err);

/* ---- archive_verify_tlog.c ---- */

/* The outlet key (a vkey, borrowed) that must sign a checkpoint of
 * `size` entries; NULL when the log names none. */
const char *custody_archive_verify__log_key_at(
	const struct custody_verify_run *v, uint64_t size);

/* The log's Merkle tree against every checkpoint and timestamp. */
int custody_archive_verify__tlog(struct custody_verify_run *v,
	custody_error **err);

/* ---- archive_verify_content.c ---- */

/* Entry `e`'s stored content is in the archive (queued for --full);
 * `doc` is its path's index in v->latest. */
void custody_archive_verify__stored_content(struct custody_verify_run *v,
	const struct custody_entry *e, uint64_t index, const char *where,
	size_t doc);

/* documents/ mirrors the latest stored version of every path. */
void custody_archive_verify__documents(struct custody_verify_run *v);

/* With --full: rehash every document on disk and every stored blob. */
int custody_archive_verify__full(struct custody_verify_run *v,
	custody_error **err);

#endif
