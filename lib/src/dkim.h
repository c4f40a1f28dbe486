/*
 * DKIM (custody/dkim.h): what its files share. dkim.c drives libopendkim
 * and makes the report; dkim_message.c splits and bounds the message;
 * dkim_dns.c asks DNS for key records and keeps what it answered;
 * dkim_evidence.c writes and reads the evidence text.
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

#endif
