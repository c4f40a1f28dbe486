/*
 * custody/witness.h - a witness: cosign other logs' checkpoints, only
 * ever along one consistent history per log.
 *
 * A witness (c2sp.org/tlog-witness) has a name (a schema-less URL such
 * as "witness.example.org/w1"), an Ed25519 cosigning key, and a list of
 * logs it trusts: an origin and the log's verifier key. Shown a new
 * checkpoint of a trusted log with a consistency proof from the last one
 * it cosigned, it checks both and returns a cosignature
 * (c2sp.org/tlog-cosignature, cosignature/v1).
 *
 * The state folder (custody_witness_dir) holds:
 *
 *   config              "name <witness name>", "vkey <its vkey>",
 *                       "key <its key's name in the key folder's
 *                       witness/ subfolder>"
 *   logs                the trusted logs, "<log vkey> <origin>" a line
 *   logs.lock           flock(2) around custody_witness_trust's append
 *   state/<H>           the latest checkpoint cosigned for the origin
 *                       whose SHA-256 is H (hex): the note as the log
 *                       signed it, with this witness's cosignature added
 *   state/<H>.lock      flock(2) around every read-check-write of state/<H>
 *   evidence/<H>-<ID>/  two signed checkpoints of one origin that cannot
 *                       both be true: info, cosigned, presented, request
 *                       (assembled in evidence/.new-..., then renamed, so
 *                       a record is whole or absent)
 *
 * Crash safety. The check of a request and the update of state/<H> are
 * one step under the origin's lock: read, check, sign, write a temporary
 * file, fsync, rename over state/<H>, fsync the folder, unlock, and only
 * then answer. So state/<H> is never behind a cosignature that was
 * answered. It may be one checkpoint ahead of what a client saw (the
 * process died, or the connection broke, after the rename and before the
 * answer arrived); that is safe: the witness has cosigned nothing
 * inconsistent, and the client learns the size from the 409 answer to
 * its next request.
 *
 * Thread safety: a custody_witness may be used by several threads at
 * once (custody_witness_serve does): every request re-reads the files it
 * needs, and requests for one origin serialize on its lock file, across
 * threads and processes alike (an offline cosign while the server runs
 * is safe).
 */
#ifndef CUSTODY_WITNESS_H
#define CUSTODY_WITNESS_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custody_witness custody_witness;

/*
 * The default state folder into out: $CUSTODY_WITNESS_DIR, else
 * $XDG_STATE_HOME/custody/witness, else ~/.local/state/custody/witness.
 * CUSTODY_ENOTFOUND when none of the variables is set.
 */
CUSTODY_EXTERN(int) custody_witness_dir(custody_buf *out,
	custody_error **err);

/*
 * Make the state folder `dir` (NULL: the default) for the witness
 * `name` (a valid note key name: no spaces, no "+", at most 255 bytes)
 * cosigning with `key`, whose private half is `key_name` in the key
 * folder's witness/ subfolder. The folder is made (mode 0700, with the
 * folders above it) and must be empty or new. Errors: CUSTODY_EINVALID
 * (a bad name), CUSTODY_EEXISTS (the folder holds a witness already, or
 * anything else), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_witness_init(const char *dir, const char *name,
	const custody_pubkey *key, const char *key_name, custody_error **err);

/*
 * Open the state folder `dir` (NULL: the default). Errors:
 * CUSTODY_ENOTFOUND (no witness there: the message names the folder),
 * CUSTODY_EINVALID (a damaged config), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_witness_open(custody_witness **out,
	const char *dir, custody_error **err);

/* Borrowed strings, living as long as the witness. */
CUSTODY_EXTERN(const char *) custody_witness_name(const custody_witness *w);
CUSTODY_EXTERN(const char *) custody_witness_vkey(const custody_witness *w);
CUSTODY_EXTERN(const char *) custody_witness_key_name(
	const custody_witness *w);
CUSTODY_EXTERN(const char *) custody_witness_path(const custody_witness *w);

/*
 * The key to cosign with (borrowed: it must outlive the witness's use).
 * CUSTODY_EINVALID when its public half is not the witness's.
 */
CUSTODY_EXTERN(int) custody_witness_set_key(custody_witness *w,
	const custody_key *key, custody_error **err);

/*
 * Trust the log `origin` (1 to 255 bytes of UTF-8 without control
 * characters) with the note verifier key `vkey` (an Ed25519 C2SP vkey,
 * type 0x01): append it to logs, durably. *added_out (may be NULL) is 0
 * when this pair was trusted already (nothing written). A log may have
 * several keys. Errors: CUSTODY_EINVALID, CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_witness_trust(custody_witness *w,
	const char *origin, const char *vkey, int *added_out,
	custody_error **err);

/* A trusted log, and what this witness last cosigned of it. */
typedef struct custody_witness_log {
	const char *origin;
	const char *vkey;
	int cosigned;               /* 0: nothing cosigned yet */
	uint64_t size;              /* the latest cosigned checkpoint's */
	char root[CUSTODY_ROOT_B64_SIZE];
} custody_witness_log;

typedef int (*custody_witness_log_cb)(const custody_witness_log *log,
	void *payload);

/* Each trusted log (origin, vkey) in the order they were trusted. */
CUSTODY_EXTERN(int) custody_witness_logs(custody_witness *w,
	custody_witness_log_cb cb, void *payload, custody_error **err);

/*
 * The answer to an add-checkpoint request: an HTTP status and its body.
 *   200 "text/plain; charset=utf-8", the cosignature line;
 *   400 a request that does not parse, or an old size above the
 *       checkpoint's; 403 no valid signature by a trusted key of the
 *       origin; 404 an origin not trusted; 409 "text/x.tlog.size", the
 *       size of the latest cosigned checkpoint and "\n"; 422 a proof
 *       that does not hold, the same size with another root, a size-0
 *       checkpoint whose root is not the empty tree's, a proof from 0;
 *   for the errors, the body is one line of reason ("\n"-terminated).
 * `evidence` is 1 when the request was kept as evidence.
 */
typedef struct custody_witness_answer {
	int status;
	const char *content_type;   /* static */
	custody_buf body;
	int evidence;
	uint64_t size;              /* the checkpoint's size (0 if unparsed) */
} custody_witness_answer;

#define CUSTODY_WITNESS_ANSWER_INIT { 0, NULL, CUSTODY_BUF_INIT, 0, 0 }

/* Free the body. */
CUSTODY_EXTERN(void) custody_witness_answer_dispose(
	custody_witness_answer *a);

/*
 * Answer the C2SP add-checkpoint request body request[0 .. len): "old
 * <size>\n", up to 63 base64 hashes a line, "\n", then the checkpoint
 * note. A verdict on the request, of whatever status, is a success (0,
 * with *out filled); a failure of the witness itself (its files cannot
 * be read or written, no key set, out of memory) is a negative code with
 * err, and nothing was cosigned or changed (an HTTP server answers 500).
 * The timestamp is the current time.
 */
CUSTODY_EXTERN(int) custody_witness_add_checkpoint(custody_witness *w,
	const char *request, size_t len, custody_witness_answer *out,
	custody_error **err);

/*
 * The latest cosigned checkpoint of the origin whose SHA-256 is
 * `origin_hash` (64 lowercase hex digits), with its cosignatures, into
 * out: the monitor's GET <hash>/checkpoint. CUSTODY_ENOTFOUND when
 * nothing was cosigned for it.
 */
CUSTODY_EXTERN(int) custody_witness_latest(custody_witness *w,
	const char *origin_hash, custody_buf *out, custody_error **err);

/* Two signed checkpoints of one log that cannot both be true. */
typedef struct custody_witness_evidence {
	const char *origin;
	/* "same-size": same size, other root; "bad-proof": a larger
	 * checkpoint whose consistency proof from the cosigned one fails
	 * (the log or the client is wrong: the proof is kept to tell) */
	const char *kind;
	char time[CUSTODY_TIME_SIZE];        /* when it was shown */
	uint64_t cosigned_size;
	char cosigned_root[CUSTODY_ROOT_B64_SIZE];
	uint64_t presented_size;
	char presented_root[CUSTODY_ROOT_B64_SIZE];
	const char *path;                    /* its folder */
} custody_witness_evidence;

typedef int (*custody_witness_evidence_cb)(
	const custody_witness_evidence *e, void *payload);

/* Each piece of evidence kept, oldest first. */
CUSTODY_EXTERN(int) custody_witness_evidence_list(custody_witness *w,
	custody_witness_evidence_cb cb, void *payload, custody_error **err);

/* ---- the HTTP server ---- */

typedef struct custody_witness_serve_options {
	unsigned int version;
	/* the longest a connection may take to send its request (ms) */
	unsigned int timeout_ms;
	/* connections handled at once; more are answered 503 */
	unsigned int max_connections;
	/* called once listening, with "ADDR:PORT" (the port chosen when
	 * 0 was asked for) */
	void (*ready)(const char *address, void *payload);
	/* one line per request answered: "POST /add-checkpoint 200 ..." */
	void (*logged)(const char *line, void *payload);
	void *payload;
	/* set non-zero (from a signal handler) to stop serving */
	volatile int *stop;
} custody_witness_serve_options;

#define CUSTODY_WITNESS_SERVE_OPTIONS_VERSION 1
#define CUSTODY_WITNESS_SERVE_OPTIONS_INIT \
	{ CUSTODY_WITNESS_SERVE_OPTIONS_VERSION, 10000, 64, NULL, NULL, \
	  NULL, NULL }

/*
 * Serve the witness over HTTP/1.1 on `listen` ("ADDR:PORT", "[ADDR]:PORT"
 * for IPv6; port 0 picks one): POST /add-checkpoint (as
 * custody_witness_add_checkpoint) and GET /<origin hash>/checkpoint (as
 * custody_witness_latest). One request per connection; a request of more
 * than 128 KiB is answered 413; a connection that sends nothing for
 * timeout_ms, or takes longer than that for its whole request, is
 * closed. Runs until *opts->stop is set. A key must be set. Errors:
 * CUSTODY_EINVALID (a bad address), CUSTODY_EIO (it cannot listen).
 */
CUSTODY_EXTERN(int) custody_witness_serve(custody_witness *w,
	const char *listen, const custody_witness_serve_options *opts,
	custody_error **err);

/* NULL is a no-op. */
CUSTODY_EXTERN(void) custody_witness_free(custody_witness *w);

/* ---- the outlet's side: its witnesses, and their cosignatures ---- */

/*
 * An archive's witnesses are its C2SP tlog-policy (the file tlog-policy
 * in its tree): its log line (the outlet key), one witness line each
 * (name, cosignature vkey, URL), and the quorum a checkpoint must reach.
 * Every change is a policy entry in the log carrying the whole new
 * policy, signed like any change. `quorum` is "any", "all", "majority"
 * or a number of witnesses; NULL keeps it as it was (the default, a
 * majority, follows the number of witnesses). *index_out (may be NULL)
 * receives the policy entry's index. Errors: CUSTODY_EINVALID (a bad
 * name, URL, key or quorum; a policy given whole that is then edited),
 * CUSTODY_EEXISTS (the name is taken), CUSTODY_ENOTFOUND (no such
 * witness), and those of any change.
 */
struct custody_archive;

CUSTODY_EXTERN(int) custody_archive_witness_add(struct custody_archive *archive,
	const char *name, const char *url, const char *vkey,
	const char *quorum, uint64_t *index_out, custody_error **err);
CUSTODY_EXTERN(int) custody_archive_witness_remove(struct custody_archive *archive,
	const char *name, const char *quorum, uint64_t *index_out,
	custody_error **err);
CUSTODY_EXTERN(int) custody_archive_witness_quorum(struct custody_archive *archive,
	const char *quorum, uint64_t *index_out, custody_error **err);
/* Replace the policy with text[0 .. len), any valid tlog-policy whose
 * one log line is the outlet key in force. */
CUSTODY_EXTERN(int) custody_archive_witness_policy(struct custody_archive *archive,
	const char *text, size_t len, uint64_t *index_out,
	custody_error **err);

/* The policy a reader checks this outlet's proofs with (`custody check
 * --policy`): the archive's, with the outlet key in force as its log;
 * "log <vkey>" and "quorum none" when it has no witness. */
CUSTODY_EXTERN(int) custody_archive_policy_text(struct custody_archive *archive,
	custody_buf *out, custody_error **err);

/* One witness of the archive's policy (borrowed strings). */
typedef struct custody_archive_witness {
	const char *name;
	const char *vkey;
	const char *url;            /* "" for none */
} custody_archive_witness;

typedef int (*custody_archive_witness_cb)(const custody_archive_witness *w,
	void *payload);

CUSTODY_EXTERN(int) custody_archive_witnesses(struct custody_archive *archive,
	custody_archive_witness_cb cb, void *payload, custody_error **err);

/* What one witness made of a cosign request. */
typedef struct custody_cosign_witness {
	char name[256];
	/* 1 cosigned now, 2 had cosigned this checkpoint already, 0 failed
	 * (message says why), -1 not asked (no URL) */
	int result;
	uint64_t timestamp;         /* of its cosignature */
	uint64_t old_size;          /* the size the proof was from */
	long http_status;           /* the last answer's, 0 for none */
	char message[512];
} custody_cosign_witness;

#define CUSTODY_COSIGN_INFO_VERSION 1
typedef struct custody_cosign_info {
	unsigned int struct_version;
	uint64_t size;              /* the checkpoint's */
	char root[CUSTODY_ROOT_B64_SIZE];
	size_t nwitnesses;
	custody_cosign_witness witnesses[32];
	size_t cosignatures;        /* valid ones stored for this checkpoint */
	int quorum_met;
	char commit[CUSTODY_COMMIT_ID_SIZE];  /* "" when nothing was stored */
} custody_cosign_info;

/*
 * Ask each witness of the policy that has not cosigned the head
 * checkpoint yet to cosign it (C2SP add-checkpoint: a consistency proof
 * from the size it last cosigned, learnt from the archive's
 * witnesses/ files or from its 409 answer), check every cosignature,
 * and store them with the checkpoint in witnesses/<size>.checkpoint (one
 * commit). When this handle holds the outlet key and the head's
 * checkpoint does not cover every entry, it first signs one that does.
 * 0 when the quorum is met; CUSTODY_EVERIFY when it is not (what was
 * collected is stored all the same; info says who failed and why);
 * CUSTODY_EINVALID when the archive has no witness.
 */
CUSTODY_EXTERN(int) custody_archive_cosign(struct custody_archive *archive,
	custody_cosign_info *info, custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
