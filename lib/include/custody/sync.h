/*
 * Partner outlets: replicate an archive, bring in a partner's additions,
 * send one's own. Git is the transport (every one libgit2 offers: a local
 * path, file://, git://, ssh://, http(s)://); custody adds verification.
 * What a remote sends lands in a quarantine, a repository inside the
 * archive's folder that the archive never reads, and is checked there
 * with every check `custody verify` makes; only then are its objects
 * taken in and a ref moved, by compare-and-swap. A remote whose history
 * does not extend this archive's is refused.
 *
 * Thread safety: as the archive handle (one thread at a time).
 */
#ifndef CUSTODY_SYNC_H
#define CUSTODY_SYNC_H

#include "custody/archive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How much a fetch may bring in before it is stopped (the default). */
#define CUSTODY_FETCH_MAX_BYTES_DEFAULT ((uint64_t)16 << 30)
/* How long the list of refs a remote sends before its pack may be
 * (libgit2 holds it in memory whole; a custody archive has one branch):
 * 8 MiB, or max_bytes if that is smaller. */
#define CUSTODY_FETCH_MAX_REFS_BYTES ((uint64_t)8 << 20)

#define CUSTODY_SYNC_OPTIONS_VERSION 1
typedef struct custody_sync_options {
	unsigned int version;
	uint64_t max_bytes;      /* 0: CUSTODY_FETCH_MAX_BYTES_DEFAULT */
	unsigned int lock_wait_ms;
	custody_progress_cb progress;
	void *payload;
} custody_sync_options;
#define CUSTODY_SYNC_OPTIONS_INIT { CUSTODY_SYNC_OPTIONS_VERSION, 0, 0, \
	NULL, NULL }

CUSTODY_EXTERN(int) custody_sync_options_init(custody_sync_options *opts,
	unsigned int version);

/* Where the remote's main stands against this archive's. */
typedef enum custody_sync_relation {
	CUSTODY_SYNC_SAME = 0,     /* the same commit */
	CUSTODY_SYNC_AHEAD,        /* the remote extends ours */
	CUSTODY_SYNC_BEHIND,       /* ours extends the remote's */
	CUSTODY_SYNC_DIVERGED      /* neither: refused */
} custody_sync_relation;

typedef struct custody_fetch_result {
	char tip[CUSTODY_COMMIT_ID_SIZE];  /* the remote's main */
	uint64_t size;                     /* its log's entries */
	custody_sync_relation relation;
	uint64_t documents_written;        /* sync, clone: into the folder */
	uint64_t documents_differing;      /* sync: kept, the copy differs */
	/* diverged: this archive's entries from replay_from on were not yet
	 * known to others, so sync appends them again after the remote's
	 * (`replayed` of them; fetch: 0, sync would) */
	uint64_t replay_from;
	uint64_t replayed;
	/* push: refused because the remote's main moved while the push was
	 * sent (another writer won the race; sync, then push again) */
	int raced;
	/* fetch, sync: the remote's entries were checked one by one from
	 * this index on; what came before is this archive's own main,
	 * verified here already (0: its whole history was checked) */
	uint64_t checked_from;
} custody_fetch_result;

/*
 * Bring in the remote's main and verify it (`remote`: a configured
 * remote's name, or a URL or path). Nothing but its remote-tracking ref
 * (refs/remotes/NAME/main, for a named remote) changes. CUSTODY_EVERIFY
 * naming the commit, the check and the reason when what arrived fails a
 * check, or when its history does not extend this archive's (then, if
 * the two checkpoints cannot both be true, both are kept as evidence
 * under evidence/ and the message says "fork"); CUSTODY_EIO for the
 * transport.
 */
CUSTODY_EXTERN(int) custody_archive_fetch(custody_archive *archive,
	const char *remote, const custody_sync_options *opts,
	custody_fetch_result *result, custody_error **err);

/*
 * Fetch, and when the remote extends this archive, move main to its tip
 * (compare-and-swap: refused if main moved meanwhile) and write into the
 * collection folder each stored document it lacks, checked against its
 * entry (a copy that differs is kept, and counted). Local commits the
 * remote lacks while it has others (diverged) are refused.
 */
CUSTODY_EXTERN(int) custody_archive_sync(custody_archive *archive,
	const char *remote, const custody_sync_options *opts,
	custody_fetch_result *result, custody_error **err);

/*
 * Send main to the remote, fast-forward only: refused (CUSTODY_EEXISTS)
 * when the remote has commits this archive lacks (sync first). Every
 * ref's answer is checked. *result: the remote's main and its entries
 * after the push (refused: its tip, what it had), and where it stood
 * before (relation: SAME, or BEHIND when main was sent).
 */
CUSTODY_EXTERN(int) custody_archive_push(custody_archive *archive,
	const char *remote, const custody_sync_options *opts,
	custody_fetch_result *result, custody_error **err);

/*
 * A new collection folder `dir` (made; it must not exist, or be empty)
 * with its archive in dir/.custody, from the archive at `url`: verified
 * in quarantine first, then the stored documents written into `dir`,
 * each checked against its entry. The remote is remembered as "origin".
 * On a refusal nothing is left behind. *out: the open archive.
 */
CUSTODY_EXTERN(int) custody_clone(const char *url, const char *dir,
	const custody_sync_options *opts, custody_archive **out,
	custody_fetch_result *result, custody_error **err);

/* Why `name` cannot name a remote (git's rule, and no '/'), or NULL
 * when it can: so that a program can refuse it before it opens an
 * archive. */
CUSTODY_EXTERN(const char *) custody_remote_name_check(const char *name);

/* The archive's remotes (in its git config). */
CUSTODY_EXTERN(int) custody_archive_remote_add(custody_archive *archive,
	const char *name, const char *url, custody_error **err);
CUSTODY_EXTERN(int) custody_archive_remote_remove(custody_archive *archive,
	const char *name, custody_error **err);
typedef int (*custody_remote_cb)(const char *name, const char *url,
	void *payload);
CUSTODY_EXTERN(int) custody_archive_remotes(custody_archive *archive,
	custody_remote_cb cb, void *payload, custody_error **err);

/*
 * What this archive keeps as evidence, oldest first: forks (two signed
 * checkpoints of one origin that cannot both be true, in
 * evidence/fork-*: ours.checkpoint, theirs.checkpoint, README), replays
 * (evidence/replay-*.txt: which local entries sync appended again, and
 * where), and refused histories (the lines of custody-evidence).
 */
typedef enum custody_evidence_kind {
	CUSTODY_EVIDENCE_FORK = 1,
	CUSTODY_EVIDENCE_REPLAY = 2,
	CUSTODY_EVIDENCE_REFUSED = 3
} custody_evidence_kind;

typedef struct custody_evidence_item {
	custody_evidence_kind kind;
	const char *time;      /* when it was kept, RFC 3339 UTC */
	const char *path;      /* its folder or file (absolute) */
	const char *summary;   /* one line saying what it is */
} custody_evidence_item;

/* cb returns nonzero to stop (then returned). */
typedef int (*custody_evidence_cb)(const custody_evidence_item *item,
	void *payload);
CUSTODY_EXTERN(int) custody_archive_evidence(custody_archive *archive,
	custody_evidence_cb cb, void *payload, custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
