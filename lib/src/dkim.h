/*
 * DKIM (custody/dkim.h): what its files share. dkim.c drives libopendkim
 * and makes the report; dkim_message.c splits and bounds the message;
 * dkim_dns.c asks DNS for key records and keeps what it answered;
 * dkim_arc.c evaluates ARC chains (RFC 8617) with its own code over
 * OpenSSL; dkim.c writes and reads the evidence text; dkim_many.c
 * verifies many messages on all cores, each thread in an OpenSSL context
 * of its own (dkim_openssl.c).
 */
#ifndef CUSTODY_SRC_DKIM_H
#define CUSTODY_SRC_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include "custody/dkim.h"

/* One header of the message: where it starts in the normalised (CRLF)
 * message, its length without the final CRLF, its lowercase name. */
struct custody_dkim_header {
	size_t offset;
	size_t len;
	char name[80];
};

/* The message split: a CRLF copy, its headers, where the body starts. */
struct custody_dkim_message {
	unsigned char *text;
	size_t len;
	struct custody_dkim_header *headers;
	size_t nheaders;
	size_t body;
	size_t nsignatures;
};

int custody_dkim__split(struct custody_dkim_message *out,
	const unsigned char *message, size_t size, custody_error **err);
void custody_dkim__message_free(struct custody_dkim_message *m);

/* A key record as fetched or supplied. */
struct custody_dkim_key {
	char query[400];     /* selector._domainkey.domain */
	char source[16];     /* "dns", "file", "archived" */
	char *text;          /* the TXT strings joined, NUL-terminated */
	size_t text_len;
	unsigned char *rdata; /* the raw RDATA DNS answered, or NULL */
	size_t rdata_len;
	int64_t time;        /* when it was asked (or observed) */
	char dnssec[8];      /* "ad", "no", "-" (not from DNS) */
	char status[16];     /* "ok", "nokey", "temperror", "permerror" */
	char reason[160];    /* why not ok, "" when ok */
};

void custody_dkim__key_clear(struct custody_dkim_key *k);

/* Ask `resolver` (NULL: the system's) for the TXT record of k->query;
 * fills the rest of k. Failure to get an answer is k->status, not an
 * error; only out of memory returns non-zero. */
int custody_dkim__lookup(struct custody_dkim_key *k, const char *resolver,
	unsigned int timeout, custody_error **err);

/* Read a DNS reply to k->query's TXT question, answer[0 .. len) as
 * res_nquery left it (at most 64 KiB are read): k->rdata and k->text
 * from its first TXT record, k->dnssec "ad" when the AD bit is set, and
 * k->status. A malformed reply is k->status, not an error; only out of
 * memory returns non-zero. k->rdata and k->text must be NULL. */
int custody_dkim__read_answer(struct custody_dkim_key *k,
	const unsigned char *answer, size_t len, custody_error **err);

/* Check a resolver "ADDR[:PORT]" (NULL when it is one, else why not). */
const char *custody_dkim__resolver_problem(const char *resolver);

/*
 * custody_dkim_recheck of a message whose SHA-256 the caller has just
 * computed from these bytes (`sha256_hex`, 64 hex digits; NULL: compute
 * it here).
 */
int custody_dkim__recheck_hashed(custody_dkim_report **out,
	const void *message, size_t size, const char *sha256_hex,
	const char *evidence, custody_error **err);

/*
 * An OpenSSL library context of the calling thread's own, made its
 * default until _end, in which keys decode fast (dkim_openssl.c). NULL
 * when one cannot be made: the thread then works in the process's
 * context, only slower. _end(NULL) is a no-op.
 */
struct custody_dkim__openssl;
struct custody_dkim__openssl *custody_dkim__openssl_begin(void);
void custody_dkim__openssl_end(struct custody_dkim__openssl *o);

/*
 * The libopendkim library handle kept for the calling thread between
 * messages, when it is a verifying thread (between _openssl_begin and
 * _end, which closes the handle): a slot that holds NULL until the
 * first message stores its handle there. NULL in any other thread,
 * where each message makes and closes a handle of its own.
 */
void **custody_dkim__thread_lib(void);

/*
 * Threads that verify batches of messages in the background, as
 * custody_dkim_verify_many does (lib/src/dkim_many.c), and, with
 * `sha256s`, each recheck with the SHA-256 its caller computed
 * (custody_dkim__recheck_hashed). pool_start posts a batch and returns
 * (the arrays must live until pool_wait has retired the batch); the
 * threads take the batches in the order posted. pool_wait waits for the
 * oldest batch not yet waited for and retires it; at most two batches
 * are posted and not retired (a third first waits for the oldest).
 * NULL from pool_new: out of memory.
 */
struct custody_dkim__pool;
struct custody_dkim__pool *custody_dkim__pool_new(void);
void custody_dkim__pool_start(struct custody_dkim__pool *p,
	custody_dkim_report **out, custody_error **errs,
	const void *const *messages, const size_t *sizes,
	const char *const *evidences, const char *const *sha256s, size_t n,
	const custody_dkim_options *opts);
void custody_dkim__pool_wait(struct custody_dkim__pool *p);
void custody_dkim__pool_free(struct custody_dkim__pool *p);

/*
 * Messages 0..n-1 loaded in order by `load` (into *bytes, or *skip set
 * to pass one over), verified as custody_dkim_verify with `opts` in
 * batches on all cores, and handed in order to `done`, which takes the
 * report (or NULL, and the error `why`, which stays the caller's to
 * read only). The first failure of load or done, in the order of the
 * messages, ends it and is returned; nothing after it is loaded.
 */
typedef int (*custody_dkim__load_fn)(void *payload, size_t i,
	custody_buf *bytes, int *skip, custody_error **err);
typedef int (*custody_dkim__done_fn)(void *payload, size_t i,
	custody_dkim_report *report, const custody_error *why,
	custody_error **err);
int custody_dkim__verify_each(size_t n, const custody_dkim_options *opts,
	custody_dkim__load_fn load, custody_dkim__done_fn done, void *payload,
	custody_error **err);

/* ---- ARC (dkim_arc.c) ---- */

/* One ARC set as read and judged. Strings are "-" when the tag is
 * missing; results are "untested" until judged. */
struct custody_dkim__arc_set {
	unsigned int instance;
	size_t aar, ams, seal;  /* the header's index + 1; 0: missing */
	char cv[16];
	char seal_domain[256];
	char seal_selector[128];
	char seal_algorithm[32];
	char seal_result[16];
	char seal_reason[160];
	long seal_bits;
	char ams_domain[256];
	char ams_selector[128];
	char ams_algorithm[32];
	char ams_result[16];
	char ams_reason[160];
	char body_hash[16];
	long ams_bits;
	char *aar_text;         /* the AAR after "i=N;", unfolded */
	char line[1200];
	char instance_text[12];         /* the numbers, for the accessors */
	char seal_bits_text[24];
	char ams_bits_text[24];
};

struct custody_dkim__arc {
	const char *chain;      /* "none", "pass", "fail" (static) */
	char reason[240];       /* why fail, "" otherwise */
	unsigned int failed;    /* the instance it failed at, 0: none */
	unsigned int oldest_pass;
	struct custody_dkim__arc_set *sets;     /* sets[i - 1] */
	size_t nsets;           /* the highest instance read */
};

/* The key record for domain and selector (a signature's d= and s=),
 * borrowed until the evaluation ends; non-zero only for out of memory. */
typedef int (*custody_dkim__arc_key_fn)(void *payload, const char *domain,
	const char *selector, const struct custody_dkim_key **out,
	custody_error **err);

/* Read the ARC headers of m and check the chain's structure (RFC 8617
 * 5.2 steps 1 to 3): a broken one is a->chain "fail" with the reason,
 * not an error. Non-zero only for out of memory. */
int custody_dkim__arc_parse(struct custody_dkim__arc *a,
	const struct custody_dkim_message *m, custody_error **err);
/* After a parse that left the chain undecided (chain NULL), verify the
 * message signatures and seals with the keys `key` gives, judging t=
 * and x= at `now` (the observation time, seconds since 1970). */
int custody_dkim__arc_verify(struct custody_dkim__arc *a,
	const struct custody_dkim_message *m, int64_t now,
	custody_dkim__arc_key_fn key, void *payload, custody_error **err);
void custody_dkim__arc_clear(struct custody_dkim__arc *a);

#endif
