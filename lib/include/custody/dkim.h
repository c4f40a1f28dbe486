/*
 * custody/dkim.h - DKIM signatures of e-mail messages, and the evidence
 * that keeps a verdict checkable after the signing domain's key has left
 * DNS.
 *
 * custody_dkim_verify() checks every DKIM-Signature of one message
 * (RFC 6376, with Ed25519-SHA256 of RFC 8463) with libopendkim, feeding it
 * the key record custody fetched itself (so the exact bytes DNS served
 * are kept) or one supplied by the caller, and evaluates the message's
 * ARC chain (RFC 8617) with custody's own code over OpenSSL and the same
 * key sources (docs/design-notes.md, "DKIM"). The result is a report: a
 * verdict, one line of findings per signature, and the evidence, a text
 * (format "custody-dkim/v1", docs/dkim.md) holding everything needed to
 * check the verdict again later. custody_dkim_recheck() does that from
 * the evidence alone, at the time the evidence says the key was observed,
 * not today.
 *
 * What a pass proves: the domain's key, as DNS served it at the
 * observation time, signed these headers and this body. Not who typed
 * the message, nor that the key was still secret then.
 *
 * Thread safety: reports may be used from any thread; each call makes its
 * own resolver state, so calls may run in parallel.
 */
#ifndef CUSTODY_DKIM_H
#define CUSTODY_DKIM_H

#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most DKIM-Signature headers of one message custody checks: a message
 * with more is refused whole, as no real mail path adds that many. */
#define CUSTODY_DKIM_MAX_SIGNATURES 16
/* Largest header block, and one header with its continuation lines. */
#define CUSTODY_DKIM_MAX_HEADER_BLOCK (256 * 1024)
#define CUSTODY_DKIM_MAX_HEADER (64 * 1024)
/* Largest message custody_dkim_verify reads. */
#define CUSTODY_DKIM_MAX_MESSAGE (64 * 1024 * 1024)
/* Largest key record (the TXT strings joined) libopendkim accepts. */
#define CUSTODY_DKIM_MAX_KEY_RECORD 1024
/* Largest text of several named key records (options.key_record). */
#define CUSTODY_DKIM_MAX_KEY_FILE (64 * 1024)
/* Most ARC sets (instances i=1..50) a chain may hold (RFC 8617). */
#define CUSTODY_DKIM_MAX_ARC_SETS 50
/* Keys shorter than this many bits are reported as weak (RFC 8301). */
#define CUSTODY_DKIM_WEAK_BITS 1024

typedef struct custody_dkim_options {
	unsigned int version;
	/* The DNS server to ask, "ADDR" or "ADDR:PORT" (IPv4, or IPv6 in
	 * brackets with a port); NULL: the system's resolver
	 * (/etc/resolv.conf). */
	const char *resolver;
	/* Key records captured earlier, instead of asking DNS; NULL asks
	 * DNS. One record (the TXT strings joined, as "v=DKIM1; k=rsa;
	 * p=...") serves every DKIM and ARC signature; several, one a line
	 * as "NAME RECORD" (NAME: SELECTOR._domainkey.DOMAIN, then white
	 * space), serve each signature the one named by its key query, and
	 * a signature with none is "nokey". At most
	 * CUSTODY_DKIM_MAX_KEY_FILE bytes, each record under
	 * CUSTODY_DKIM_MAX_KEY_RECORD, no CR (else CUSTODY_EINVALID). */
	const char *key_record;
	/* Where key_record came from (a file name), kept in the evidence. */
	const char *key_record_source;
	/* The observation time, seconds since 1970 UTC, at most the end of
	 * year 9999 (else CUSTODY_EINVALID); 0: the clock. */
	int64_t now;
	/* Seconds to wait for DNS per query; 0: 5. */
	unsigned int timeout;
} custody_dkim_options;

#define CUSTODY_DKIM_OPTIONS_VERSION 1
#define CUSTODY_DKIM_OPTIONS_INIT { CUSTODY_DKIM_OPTIONS_VERSION, NULL, NULL, \
	NULL, 0, 0 }

/* Fill opts with the defaults of that version. */
CUSTODY_EXTERN(int) custody_dkim_options_init(custody_dkim_options *opts,
	unsigned int version);

typedef struct custody_dkim_report custody_dkim_report;

/*
 * Verify the DKIM signatures of the message at `message` (`size` bytes,
 * RFC 5322; bare LF line ends are read as CRLF). A message that cannot be
 * checked at all is refused with CUSTODY_EINVALID and a message naming
 * the place: NUL bytes, no header block, a header block or one header
 * over the limits above, more than CUSTODY_DKIM_MAX_SIGNATURES
 * signatures. A signature that fails, a key not found, a DNS server that
 * does not answer or a malformed key record are findings of the report,
 * not errors; so is an ARC chain that is broken or malformed (more than
 * CUSTODY_DKIM_MAX_ARC_SETS sets, an instance twice or missing, a bad
 * tag list): custody_dkim_report_arc says "fail" and why. On success *out receives a report the caller frees with
 * custody_dkim_report_free.
 */
CUSTODY_EXTERN(int) custody_dkim_verify(custody_dkim_report **out,
	const void *message, size_t size, const custody_dkim_options *opts,
	custody_error **err) CUSTODY_WARN_UNUSED;

/*
 * Verify the message again from `evidence` (a report's evidence text, as
 * archived): the key records it holds, evaluated at the observation time
 * it holds. CUSTODY_EINVALID when the evidence is malformed;
 * CUSTODY_EVERIFY when the message's SHA-256 is not the one the
 * evidence was made for. On success *out receives the new report; compare
 * its verdict with the archived one.
 */
CUSTODY_EXTERN(int) custody_dkim_recheck(custody_dkim_report **out,
	const void *message, size_t size, const char *evidence,
	custody_error **err) CUSTODY_WARN_UNUSED;

/*
 * custody_dkim_verify of each of the n messages (with `opts`), or, when
 * `evidences` is not NULL, custody_dkim_recheck of message i against
 * evidences[i]; on all the machine's cores. For each i, out[i] receives
 * the report, or stays NULL and errs[i] receives the error, exactly as
 * one call for that message would give them. The caller frees both.
 */
CUSTODY_EXTERN(void) custody_dkim_verify_many(custody_dkim_report **out,
	custody_error **errs, const void *const *messages,
	const size_t *sizes, const char *const *evidences, size_t n,
	const custody_dkim_options *opts);

/*
 * The verdict: "pass" (at least one signature verified with a key of
 * CUSTODY_DKIM_WEAK_BITS or more), "weak" (only signatures with weaker
 * keys verified), "fail" (signatures, none verified), "temperror" (none
 * verified and a key could not be fetched), "none" (no signature).
 * Borrowed, static.
 */
CUSTODY_EXTERN(const char *) custody_dkim_report_verdict(
	const custody_dkim_report *report);
/* The observation time, seconds since 1970 UTC. */
CUSTODY_EXTERN(int64_t) custody_dkim_report_time(
	const custody_dkim_report *report);
/* Number of signatures, and the i-th one's findings in one line:
 * "d=DOMAIN s=SELECTOR a=ALG: RESULT[ (REASON)]" (borrowed). */
CUSTODY_EXTERN(size_t) custody_dkim_report_count(
	const custody_dkim_report *report);
CUSTODY_EXTERN(const char *) custody_dkim_report_signature(
	const custody_dkim_report *report, size_t i);
/* The i-th signature's result: "pass", "fail", "weak", "expired",
 * "future", "revoked", "nokey", "temperror", "permerror". */
CUSTODY_EXTERN(const char *) custody_dkim_report_result(
	const custody_dkim_report *report, size_t i);
/* Headers of the message no verified signature covers, as a
 * comma-separated list of lowercase names with "(top)" after one that is
 * a duplicate above the signed instance (a From: added after signing),
 * or "" (borrowed). */
CUSTODY_EXTERN(const char *) custody_dkim_report_unsigned(
	const custody_dkim_report *report);
/* The evidence text, borrowed (format in docs/dkim.md). */
CUSTODY_EXTERN(const char *) custody_dkim_report_evidence(
	const custody_dkim_report *report);

/*
 * The ARC chain (RFC 8617) of the message, evaluated as its section 5.2
 * says with the same key sources as the DKIM signatures: "none" (no ARC
 * headers), "pass" or "fail". Borrowed, static.
 */
CUSTODY_EXTERN(const char *) custody_dkim_report_arc(
	const custody_dkim_report *report);
/* Why the chain failed, naming the instance or header ("" unless it
 * failed); the instance it failed at (0 when none or no one set); the
 * oldest-pass value (0: every set's message signature verified).
 * Borrowed. */
CUSTODY_EXTERN(const char *) custody_dkim_report_arc_reason(
	const custody_dkim_report *report);
CUSTODY_EXTERN(unsigned int) custody_dkim_report_arc_failed(
	const custody_dkim_report *report);
CUSTODY_EXTERN(unsigned int) custody_dkim_report_arc_oldest_pass(
	const custody_dkim_report *report);
/* Number of ARC sets read (instances present, oldest first), and the
 * i-th one's findings in one line: "i=N cv=CV d=DOMAIN s=SELECTOR
 * a=ALG (BITS bits): seal RESULT[ (REASON)], message signature RESULT
 * (body RESULT)[ (REASON)]" (borrowed). */
CUSTODY_EXTERN(size_t) custody_dkim_report_arc_count(
	const custody_dkim_report *report);
CUSTODY_EXTERN(const char *) custody_dkim_report_arc_set(
	const custody_dkim_report *report, size_t i);
/*
 * One field of the i-th ARC set, borrowed, or NULL for an unknown name
 * or i: "instance", "cv", "seal-domain", "seal-selector",
 * "seal-algorithm", "seal-result" and "seal-key-bits" (of the
 * ARC-Seal), "message-domain", "message-selector", "message-algorithm",
 * "message-result", "message-key-bits" and "body-hash" (of the
 * ARC-Message-Signature), "auth-results" (the ARC-Authentication-Results
 * text after its "i=N;", unfolded: what that intermediary says it
 * found). Results are "pass", "fail", "weak", "expired" (x= passed at
 * the observation time), "future" (t= after it), "revoked", "nokey",
 * "temperror", "permerror" or "untested"; key bits "-" when unknown.
 */
CUSTODY_EXTERN(const char *) custody_dkim_report_arc_field(
	const custody_dkim_report *report, size_t i, const char *name);

/* Free a report. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_dkim_report_free(custody_dkim_report *report);

/* ---- in the archive: the dkim entry ---- */

typedef struct custody_dkim_record_options {
	unsigned int version;
	/* How to verify: the resolver, a key record, the time. */
	custody_dkim_options dkim;
	/* A note kept (privately) with each entry; NULL for none. */
	const char *note;
	/* How long to wait for another process's lock; 0: do not wait. */
	unsigned int lock_wait_ms;
	/* Called on the caller's thread as messages are verified (phase
	 * "dkim", done and total: messages, or files of an add); NULL for
	 * none. */
	custody_progress_cb progress;
	void *payload;
} custody_dkim_record_options;

#define CUSTODY_DKIM_RECORD_OPTIONS_VERSION 2
#define CUSTODY_DKIM_RECORD_OPTIONS_INIT { \
	CUSTODY_DKIM_RECORD_OPTIONS_VERSION, CUSTODY_DKIM_OPTIONS_INIT, NULL, \
	0, NULL, NULL }

/* Fill opts with the defaults of that version. */
CUSTODY_EXTERN(int) custody_dkim_record_options_init(
	custody_dkim_record_options *opts, unsigned int version);

/*
 * Verify the latest registered version of each of the `n` messages at
 * `paths` (as custody_dkim_verify, on the bytes the archive stores, or
 * else the file, whose SHA-256 must be the registered one) and append
 * one dkim entry per message (its register entry's index and leaf hash,
 * the verdict, the observation time, the evidence) in one signed commit.
 * A failed verdict is recorded too: it is a finding. `reports` (n
 * slots) receives each message's report, the caller's to free with
 * custody_dkim_report_free; *first_index_out the first entry's index;
 * commit_out (may be NULL) the commit. Errors leave nothing recorded
 * and every report NULL: CUSTODY_ENOTFOUND (a message not registered),
 * CUSTODY_EVERIFY (a file that is no longer what was registered),
 * CUSTODY_EINVALID (a message custody_dkim_verify refuses, naming it;
 * evidence too large for an entry), and those of any change.
 */
CUSTODY_EXTERN(int) custody_archive_dkim(custody_archive *archive,
	const char *const *paths, size_t n,
	const custody_dkim_record_options *opts, custody_dkim_report **reports,
	uint64_t *first_index_out, char commit_out[41], custody_error **err);

/*
 * What custody_archive_dkim_check finds for one message: its
 * collection-relative path, the dkim entry it was checked against and
 * that entry's verdict, and the new report made from the entry's
 * evidence at its observation time; or, when the message cannot be
 * checked (its content not stored and the file changed or gone),
 * report NULL and `problem` saying why. A non-zero return stops the
 * walk and is returned.
 */
typedef int (*custody_dkim_check_cb)(const char *path, uint64_t entry,
	const char *recorded_verdict, const custody_dkim_report *report,
	const char *problem, void *payload);

/*
 * Check each of the `n` messages at `paths` (their latest versions)
 * against its newest dkim entry, or, when n is 0, every message that
 * has one, in log order. Errors: CUSTODY_ENOTFOUND (a named message
 * not registered, or with no dkim entry for its latest version),
 * CUSTODY_EVERIFY (an entry whose link does not hold).
 */
CUSTODY_EXTERN(int) custody_archive_dkim_check(custody_archive *archive,
	const char *const *paths, size_t n, custody_dkim_check_cb cb,
	void *payload, custody_error **err);

/*
 * custody_archive_add, and for each new registration of a file whose
 * name ends in ".eml" (any case) a dkim entry, in the same commit:
 * the message is verified (as custody_archive_dkim) under the add's
 * lock, before anything is written. A message custody_dkim_verify
 * refuses (NUL bytes, a header block over the limits, ...) refuses the
 * whole add, naming it: nothing is recorded. entry_cb (may be NULL)
 * sees each registration as custody_archive_add's does; once committed,
 * cb (may be NULL) hears of each message: its path, its dkim entry, the
 * verdict and the report (problem NULL); both get `payload`. Errors: those of custody_archive_add
 * and custody_archive_dkim.
 */
CUSTODY_EXTERN(int) custody_archive_add_dkim(custody_archive *archive,
	const char *const *paths, size_t n, const custody_add_options *add,
	const custody_dkim_record_options *dkim, custody_entry_cb entry_cb,
	custody_dkim_check_cb cb, void *payload, custody_add_summary *summary,
	custody_error **err);

/* Most messages one mbox may hold (custody_archive_add_mbox). */
#define CUSTODY_MBOX_MAX_MESSAGES 10000

/*
 * Register an mbox and each message in it as its own document, DKIM
 * checked, in one commit (custody_archive_add_dkim). The mbox (mboxrd,
 * which reads mboxo too: a message starts at a "From " line at the
 * start of the file or after an empty line; ">From " lines lose one
 * '>') is split into the folder MBOX.d beside it, as 0001.eml, 0002.eml,
 * ... (the envelope "From " line and the empty line before the next
 * dropped). A file there already must hold exactly those bytes. The
 * mbox is refused whole, naming it, the message and its line, before
 * anything is written, for: a NUL byte, an empty message, a message
 * custody_dkim_verify refuses, more than CUSTODY_MBOX_MAX_MESSAGES
 * messages, no "From " line first. When the add fails the files it
 * wrote are removed again.
 */
CUSTODY_EXTERN(int) custody_archive_add_mbox(custody_archive *archive,
	const char *mbox, const custody_add_options *add,
	const custody_dkim_record_options *dkim, custody_entry_cb entry_cb,
	custody_dkim_check_cb cb, void *payload, custody_add_summary *summary,
	custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
