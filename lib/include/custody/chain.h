/*
 * custody/chain.h - the chain of custody: events (who had a document,
 * what was done with it), derivatives (a redaction, a translation)
 * linked to their original without revealing it, the timeline that
 * reads them back, and the disclosure an outlet may choose to make (its
 * offline check, custody_reveal_check, is custody/check.h's, included
 * here).
 *
 * Thread safety: as custody/archive.h.
 */
#ifndef CUSTODY_CHAIN_H
#define CUSTODY_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"
#include "custody/check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- events ---- */

#define CUSTODY_EVENT_OPTIONS_VERSION 1
typedef struct custody_event_options {
	unsigned int version;
	/* received, transferred, copied, accessed, verified, sealed,
	 * returned, destroyed or note (required) */
	const char *action;
	const char *from;         /* a label the newsroom chooses; NULL */
	const char *to;           /* NULL */
	const char *at;           /* when, "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
	const char *note;         /* NULL */
	/* required when `at` is before the document was registered; it is
	 * recorded with the event */
	const char *backdate_reason;
	unsigned int lock_wait_ms;
} custody_event_options;
#define CUSTODY_EVENT_OPTIONS_INIT { CUSTODY_EVENT_OPTIONS_VERSION, NULL, \
	NULL, NULL, NULL, NULL, NULL, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_EVENT_OPTIONS_VERSION), as CUSTODY_EVENT_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_event_options_init(
	custody_event_options *opts, unsigned int version);

/*
 * Record an event about the registered document at `path` (its latest
 * version, named by entry index and digest): one entry, one signed
 * commit. Errors: CUSTODY_ENOTFOUND (not registered), CUSTODY_EINVALID
 * (an unknown action, a label with control characters, a note over 4096
 * bytes, an `at` before the registration without backdate_reason).
 */
CUSTODY_EXTERN(int) custody_archive_event(custody_archive *archive,
	const char *path, const custody_event_options *opts,
	uint64_t *index_out, char commit_out[CUSTODY_COMMIT_ID_SIZE],
	custody_error **err);

/* ---- derivatives ---- */

#define CUSTODY_DERIVE_OPTIONS_VERSION 1
typedef struct custody_derive_options {
	unsigned int version;
	/* redact, translate, ocr, excerpt, convert or watermark-removal */
	const char *derivation;
	const char *note;         /* NULL */
	int store;                /* -1: archive policy, 0, 1 */
	unsigned int lock_wait_ms;
} custody_derive_options;
#define CUSTODY_DERIVE_OPTIONS_INIT { CUSTODY_DERIVE_OPTIONS_VERSION, NULL, \
	NULL, -1, 0 }

/*
 * Fill `opts` with the defaults of version `version` (pass
 * CUSTODY_DERIVE_OPTIONS_VERSION), as CUSTODY_DERIVE_OPTIONS_INIT does: 0, or
 * CUSTODY_EINVALID for NULL or a version this library does not know.
 */
CUSTODY_EXTERN(int) custody_derive_options_init(
	custody_derive_options *opts, unsigned int version);

/*
 * Register the file at `new_path` as a derivative of the registered
 * document at `original` (its latest version): like custody_archive_add
 * of that one file, but the entry also names the original's entry index
 * and the RFC 6962 leaf hash of the original's entry (not its digest).
 * Errors: CUSTODY_ENOTFOUND (the original is not registered),
 * CUSTODY_EINVALID (new_path is the original, or one of its ancestors:
 * a cycle; or not one regular file), CUSTODY_EEXISTS (new_path is
 * already registered exactly as it is).
 */
CUSTODY_EXTERN(int) custody_archive_derive(custody_archive *archive,
	const char *original, const char *new_path,
	const custody_derive_options *opts, uint64_t *index_out,
	char commit_out[CUSTODY_COMMIT_ID_SIZE], custody_error **err);

/* ---- the timeline ---- */

typedef enum {
	CUSTODY_STEP_REGISTERED = 1, /* a version of the document */
	CUSTODY_STEP_EVENT = 2,      /* something happened to it */
	CUSTODY_STEP_DERIVED = 3,    /* it was made from another document */
	CUSTODY_STEP_DERIVATIVE = 4, /* another document was made from it */
	CUSTODY_STEP_PUBLISHED = 5,  /* it went out */
	CUSTODY_STEP_GAP = 6,        /* something the record lacks */
	CUSTODY_STEP_DKIM = 7        /* its DKIM signatures were checked */
} custody_step_kind;

typedef struct custody_step {
	custody_step_kind kind;
	uint64_t entry; /* the entry (for a gap: the one it follows) */
	const char *when;         /* when it happened (event `at`, publication
	                           * time, DKIM key observation), else the
	                           * entry's time */
	const char *recorded;     /* the entry's time */
	const char *actor;        /* the member who recorded it */
	const char *path;         /* the document it is about */
	uint64_t version;
	int depth;                /* 0 the document, 1 a derivative, ... */
	const char *what;         /* event action, derivation, DKIM verdict,
	                           * or NULL */
	const char *from, *to;    /* event labels, or NULL */
	const char *url;          /* publication */
	const char *note;
	const char *backdate_reason;
	uint64_t related;         /* derived: the original's entry;
	                           * derivative: its entry */
	const char *related_path;
	const char *message;      /* gap: what is missing, in words */
} custody_step;

typedef int (*custody_step_cb)(const custody_step *step, void *payload);

/*
 * The chain of custody of the document at `path`, in log order: its
 * versions, their events, derivatives made from it (with their own
 * events and derivatives, depth > 0), publications of any of them, and
 * gaps (a transfer with nothing recorded from its recipient since).
 */
CUSTODY_EXTERN(int) custody_archive_timeline(custody_archive *archive,
	const char *path, custody_step_cb cb, void *payload,
	custody_error **err);

/* ---- disclosure ---- */

/*
 * The disclosure of a derivative's original (docs/proof-format.md):
 * the proofs of both entries at one checkpoint, so that a reader can
 * check offline that the original's entry is the one the derivative
 * links to, and (given the original's file) that the file is it.
 */
CUSTODY_EXTERN(int) custody_archive_reveal(custody_archive *archive,
	const char *derivative, custody_buf *out, custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
