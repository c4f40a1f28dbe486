/*
 * Partner outlets, inside the library: the quarantine a fetch lands in
 * (sync.c), the SSH host key check (sync_host.c) and the clone
 * (sync_clone.c).
 */
#ifndef CUSTODY_SRC_SYNC_H
#define CUSTODY_SRC_SYNC_H

#include <git2.h>
#include <git2/sys/transport.h>
#include "custody/sync.h"
#include "archive_verify.h"

struct custody_quarantine {
	char *dir;                  /* <gitdir>/quarantine/q.XXXXXX */
	git_repository *repo;
	custody_archive *archive;   /* opened on it for the checks */
	int lock_fd;                /* its in-use file, flocked, if locked */
	int locked;
};

/* A quarantine inside `gitdir`; with `borrow`, its object store reads
 * the archive's too (only what is new arrives). */
int custody_sync__quarantine_open(struct custody_quarantine *q,
	const char *gitdir, int borrow, custody_error **err);
/* Close and remove it, with all that arrived (safe on a zeroed one). */
void custody_sync__quarantine_drop(struct custody_quarantine *q);

/*
 * What one fetch or push may read from a remote (sync_transport.c):
 * every byte counts against max_bytes (the pack too); the list of refs
 * that begins each connection, which libgit2 keeps in memory whole,
 * against refs_max as well. Also the callbacks' payload (credentials).
 */
struct custody_sync_transfer {
	uint64_t max_bytes;
	uint64_t refs_max;          /* the smaller of max_bytes and
	                               CUSTODY_FETCH_MAX_REFS_BYTES */
	uint64_t received;
	uint64_t refs_received;     /* of this connection's list of refs */
	int past_refs;
	int too_big;                /* why a read was refused (below) */
	unsigned int credential_tries;
	const custody_sync_options *opts;
	git_smart_subtransport_cb inner_sub;   /* libgit2's, counted */
	git_smart_subtransport_definition definition;
};
#define CUSTODY_SYNC__PAST_MAX_BYTES 1
#define CUSTODY_SYNC__PAST_REFS_MAX 2

void custody_sync__transfer_init(struct custody_sync_transfer *t,
	const custody_sync_options *opts);
/* A git_transport_cb (payload: the transfer) for git_remote_callbacks:
 * libgit2's smart transport for git://, ssh:// and http(s)://, its
 * reads counted; its local one for a repository on this machine. */
int custody_sync__transport(git_transport **out, git_remote *owner,
	void *payload);
/* The error for a transfer stopped at a limit (t->too_big set). */
int custody_sync__too_big(const struct custody_sync_transfer *t,
	const char *url, custody_error **err);

/* The main of the remote at `url` into the quarantine's main (*tip),
 * stopped past opts->max_bytes. */
int custody_sync__fetch(struct custody_quarantine *q, const char *url,
	const custody_sync_options *opts, git_oid *tip, custody_error **err);

/* For a first clone from a repository on this machine (a path or
 * file://): its packs and loose objects read into the quarantine through
 * libgit2's indexer (sync_local.c), its main into the quarantine's main.
 * 1 when url names no repository here (fetch it instead). */
int custody_sync__fetch_local(struct custody_quarantine *q, const char *url,
	const custody_sync_options *opts, git_oid *tip, custody_error **err);

/* Every check `custody verify` makes, on the quarantine's main `tip`
 * fetched from `url`; CUSTODY_EVERIFY naming the first problems. When
 * `local` is given and the tip extends its main, only what is new since
 * that main is checked (custody_archive__verify_from); with `keep`, what
 * a verify from the root learnt is kept for a new archive's caches.
 * *checked_from (may be NULL): the first entry checked one by one. */
int custody_sync__verify(struct custody_quarantine *q, const char *url,
	const git_oid *tip, custody_archive *local,
	struct custody_verify_keep *keep, uint64_t *checked_from,
	custody_error **err);

/* The quarantine's own objects (loose, then packs) moved into
 * gitdir's store, fsynced. */
int custody_sync__adopt(const char *qdir, const char *gitdir,
	custody_error **err);

/* The stored documents registered from entry `from` on, written into
 * the collection where it lacks them (counted in r). */
int custody_sync__write_documents(custody_archive *a, uint64_t from,
	custody_fetch_result *r, custody_error **err);

/* After main moved: the tile cache, the index of the paths and the
 * index of the rare entries brought up to it (best effort, notices). */
void custody_sync__refresh_caches(custody_archive *a);

/* libgit2 callbacks: SSH keys (CUSTODY_SSH_KEY, else the agent), and the
 * host's key against known_hosts (CUSTODY_SSH_KNOWN_HOSTS, else
 * ~/.ssh/known_hosts); TLS certificates as libgit2 checks them. */
int custody_sync__credentials(git_credential **out, const char *url,
	const char *user, unsigned int allowed, void *payload);
int custody_sync__check_host(git_cert *cert, int valid, const char *host,
	void *payload);
/* https://: the certificates CUSTODY_TLS_CA_FILE names are the ones
 * trusted (instead of the system's), when it is set. */
int custody_sync__tls_setup(custody_error **err);

/* A local path as an absolute one (a remote's URL must not depend on
 * the folder a command runs in), a collection folder as its archive
 * (DIR/.custody); a URL or host:path as given. malloc'd; NULL: no
 * memory. */
char *custody_sync__local_url(const char *url);

void custody_sync__remove_tree(const char *path);

/*
 * Keep a piece of evidence under a name never used before:
 * evidence/<kind>-<time>-<n><ext>, for n = 1, 2, ... until `claim`
 * (which makes the folder or file at the path, atomically) does not say
 * CUSTODY_EEXISTS; evidence/ is then fsynced. *path_out: malloc'd.
 */
typedef int (*custody_sync_claim_fn)(const char *path, void *payload,
	custody_error **err);
int custody_sync__keep_evidence(custody_archive *a, const char *kind,
	const char *ext, custody_sync_claim_fn claim, void *payload,
	char **path_out, custody_error **err);

/*
 * Both sides added commits since their common one (sync_replay.c). May
 * this archive's entries since then be appended again on top of the
 * remote's main `tip` (`both`: a repository that holds both histories)?
 * Only when no checkpoint others know covers them (custody-shared) and
 * their commits changed nothing but entries, stored documents and the
 * checkpoint. *from_out: the common commit's log size. CUSTODY_EEXISTS
 * saying why not.
 */
int custody_sync__replay_base(custody_archive *a, git_repository *both,
	const git_oid *tip, uint64_t *from_out, custody_error **err);

/*
 * Append this archive's entries from `from` on again to the
 * quarantine's main (verified, its objects taken in), signed by the
 * archive's signer: *new_tip, the quarantine's new main. A record of
 * what moved where is kept under evidence/.
 */
int custody_sync__replay(custody_archive *a, struct custody_quarantine *q,
	const char *url, uint64_t from, git_oid *new_tip,
	custody_error **err);

/* Forget the archive's cached Merkle tiles from leaf `from` on (before
 * main is replaced by a history that differs from there). */
int custody_sync__forget_tiles_from(custody_archive *a, uint64_t from,
	custody_error **err);

#endif
