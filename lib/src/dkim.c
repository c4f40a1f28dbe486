/*
 * DKIM verification (custody/dkim.h) with libopendkim: it parses the
 * signatures, canonicalises, hashes and checks RSA and Ed25519
 * signatures (RFC 6376, RFC 8463). custody gives it the key records
 * through libopendkim's key-lookup hook (dkim_set_key_lookup), fetched
 * by dkim_dns.c or taken from the caller or the evidence, and evaluates
 * x= and t= at the observation time: libopendkim reads the clock for
 * those, so its clock drift allowance is set to the distance between the
 * clock and the observation time (docs/design-notes.md, "DKIM").
 * The ARC chain is dkim_arc.c's; its keys come from here too (arc_key)
 * and go into the evidence after the signatures.
 */
#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <opendkim/dkim.h>

#include "base64.h"
#include "common.h"
#include "check.h"
#include "dkim.h"
#include "fsutil.h"

/* Seconds a t= may lie after the observation time (libopendkim's own
 * default allowance for clocks that disagree). */
#define FUTURE_SLACK 300
/* The latest observation time read or taken: the end of year 9999, far
 * from where adding FUTURE_SLACK would overflow. */
#define LATEST_TIME INT64_C(253402300799)

struct sig_report {
	char domain[256];
	char selector[128];
	char algorithm[32];
	char canon[40];
	char headers[1024];
	char timestamp[24];
	char expires[24];
	char body_hash[16];
	char result[16];
	char reason[200];
	char line[700];
	long key_bits;
	struct custody_dkim_key key;
	int have_key;
	const void *sig;        /* libopendkim's, while verifying */
	unsigned int read;      /* evidence lines read (EVIDENCE_*) */
};

/* The evidence lines a signature may have once only: each holds a
 * value allocated as it is read. */
#define EVIDENCE_RDATA 1u
#define EVIDENCE_RECORD 2u

struct custody_dkim_report {
	int64_t now;
	char sha256[65];
	const char *verdict;
	/* room for CUSTODY_DKIM_MAX_SIGNATURES while verifying, then just
	 * nsigs: a kept report is small (custody dkim keeps thousands) */
	struct sig_report *sigs;
	size_t nsigs;
	char resolver[64];
	char *unsigned_headers;
	char *evidence;
	struct custody_dkim__arc arc;
	/* the ARC signatures' keys, one per query (at most two a set) */
	struct arc_key *arc_keys;
	size_t narc_keys;
	const char *arc_recorded;       /* recheck: the evidence's chain */
};

#define MAX_ARC_KEYS (2 * CUSTODY_DKIM_MAX_ARC_SETS)

struct arc_key {
	struct custody_dkim_key key;
	unsigned int read;      /* evidence lines read (EVIDENCE_*) */
};

/* Where the keys come from, for the lookup hook. */
struct lookup {
	custody_dkim_report *report;
	const custody_dkim_options *opts;
	const custody_dkim_report *archived;    /* recheck: the evidence */
	custody_error **err;
	int failed;
};

int custody_dkim_options_init(custody_dkim_options *opts,
	unsigned int version)
{
	static const custody_dkim_options fresh = CUSTODY_DKIM_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_DKIM_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	*opts = fresh;
	return 0;
}

/* A tag value from the message, kept printable: white space (FWS inside
 * h=) dropped, other bytes outside printable ASCII made '?'. */
static void clean(char *out, size_t size, const unsigned char *value)
{
	size_t n = 0;

	if (value == NULL || *value == '\0') {
		snprintf(out, size, "-");
		return;
	}
	for (; *value != '\0' && n + 1 < size; value++) {
		unsigned char c = *value;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		out[n++] = (char)(c > ' ' && c <= '~' ? c : '?');
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "-");
}

static int name_ok(const char *s)
{
	if (*s == '\0' || strcmp(s, "-") == 0)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '_'))
			return 0;
	return 1;
}

static struct sig_report *sig_for(custody_dkim_report *r, const void *sig)
{
	size_t i;

	for (i = 0; i < r->nsigs; i++)
		if (r->sigs[i].sig == sig)
			return &r->sigs[i];
	if (r->nsigs == CUSTODY_DKIM_MAX_SIGNATURES)
		return NULL;
	memset(&r->sigs[r->nsigs], 0, sizeof(r->sigs[0]));
	r->sigs[r->nsigs].sig = sig;
	return &r->sigs[r->nsigs++];
}

/* Whether the caller's key records are named, "NAME RECORD" a line
 * (custody/dkim.h): the first word holds "._domainkey.". */
static int named_records(const char *text)
{
	size_t word = strcspn(text, " \t\n");
	const char *dk = strstr(text, "._domainkey.");

	return dk != NULL && (size_t)(dk - text) < word;
}

/* The record named `query` among named records (its bytes and *len),
 * or NULL. */
static const char *named_record(const char *text, const char *query,
	size_t *len)
{
	size_t n = strlen(query);

	while (*text != '\0') {
		size_t line = strcspn(text, "\n");
		if (line > n && (text[n] == ' ' || text[n] == '\t') &&
		    strncasecmp(text, query, n) == 0) {
			const char *r = text + n;
			while (*r == ' ' || *r == '\t')
				r++;
			*len = line - (size_t)(r - text);
			return r;
		}
		text += line;
		if (*text == '\n')
			text++;
	}
	return NULL;
}

/* Why the caller's key records cannot be used, or NULL. */
static const char *records_problem(const char *text, char *why,
	size_t size)
{
	size_t lineno = 1;

	if (strchr(text, '\r') != NULL)
		return "a carriage return in the key records";
	if (!named_records(text))
		return strchr(text, '\n') != NULL ? "several lines, but the "
			"first is not \"NAME RECORD\" (NAME being "
			"SELECTOR._domainkey.DOMAIN)" : strlen(text) >=
			CUSTODY_DKIM_MAX_KEY_RECORD ? "one record of "
			"1024 bytes or more" : NULL;
	for (; *text != '\0'; lineno++) {
		size_t line = strcspn(text, "\n");
		size_t word = strcspn(text, " \t\n");
		const char *dk = strstr(text, "._domainkey.");

		if (line == 0) {        /* an empty line */
			text++;
			continue;
		}
		if (dk == NULL || (size_t)(dk - text) >= word || word == line) {
			snprintf(why, size, "line %zu is not \"NAME RECORD\" "
				"(NAME being SELECTOR._domainkey.DOMAIN)",
				lineno);
			return why;
		}
		if (line - word >= CUSTODY_DKIM_MAX_KEY_RECORD) {
			snprintf(why, size, "line %zu: a record of 1024 bytes "
				"or more", lineno);
			return why;
		}
		text += line;
		if (*text == '\n')
			text++;
	}
	return NULL;
}

/* The archived key record of `query`: a DKIM signature's, or (arc) an
 * ARC signature's. */
static const struct custody_dkim_key *archived_key(
	const custody_dkim_report *a, const char *query, int arc)
{
	size_t i;

	if (arc) {
		for (i = 0; i < a->narc_keys; i++)
			if (strcmp(a->arc_keys[i].key.query, query) == 0)
				return &a->arc_keys[i].key;
		return NULL;
	}
	for (i = 0; i < a->nsigs; i++)
		if (a->sigs[i].have_key &&
		    strcmp(a->sigs[i].key.query, query) == 0)
			return &a->sigs[i].key;
	return NULL;
}

/* Fill k for domain and selector, from wherever keys come. */
static int fetch_into(struct lookup *l, const char *domain,
	const char *selector, int arc, struct custody_dkim_key *k)
{
	int rc = 0;

	snprintf(k->dnssec, sizeof(k->dnssec), "-");
	k->time = l->report->now;
	if (!name_ok(domain) || !name_ok(selector)) {
		snprintf(k->query, sizeof(k->query), "-");
		snprintf(k->source, sizeof(k->source), "-");
		snprintf(k->status, sizeof(k->status), "permerror");
		snprintf(k->reason, sizeof(k->reason), "d= or s= is not a "
			"domain name custody asks DNS for");
		return 0;
	}
	snprintf(k->query, sizeof(k->query), "%s._domainkey.%s", selector,
		domain);
	if (l->archived != NULL) {
		const struct custody_dkim_key *a = archived_key(l->archived,
			k->query, arc);
		snprintf(k->source, sizeof(k->source), "archived");
		if (a == NULL) {
			snprintf(k->status, sizeof(k->status), "nokey");
			snprintf(k->reason, sizeof(k->reason), "the evidence "
				"holds no key record for this signature");
			return 0;
		}
		*k = *a;
		k->text = NULL;
		k->rdata = NULL;
		/* all of its bytes: a record may hold a NUL (a permerror
		 * then), and k->text_len counts past it */
		if (a->text != NULL) {
			if ((k->text = malloc(a->text_len + 1)) == NULL)
				return custody__oom(l->err);
			memcpy(k->text, a->text, a->text_len + 1);
		}
		if (a->rdata != NULL) {
			k->rdata = malloc(a->rdata_len ? a->rdata_len : 1);
			if (k->rdata == NULL)
				return custody__oom(l->err);
			memcpy(k->rdata, a->rdata, a->rdata_len);
		}
		return 0;
	}
	if (l->opts->key_record != NULL) {
		const char *text = l->opts->key_record;
		size_t len = strlen(text);

		snprintf(k->source, sizeof(k->source), "file");
		if (named_records(text) &&
		    (text = named_record(text, k->query, &len)) == NULL) {
			snprintf(k->status, sizeof(k->status), "nokey");
			snprintf(k->reason, sizeof(k->reason), "the key "
				"records given hold none named %.100s",
				k->query);
			return 0;
		}
		if ((k->text = malloc(len + 1)) == NULL)
			return custody__oom(l->err);
		memcpy(k->text, text, len);
		k->text[len] = '\0';
		k->text_len = len;
		snprintf(k->status, sizeof(k->status), "ok");
		return 0;
	}
	rc = custody_dkim__lookup(k, l->opts->resolver, l->opts->timeout,
		l->err);
	return rc;
}

/* Fill s->key for its domain and selector, once. */
static int fetch_key(struct lookup *l, struct sig_report *s)
{
	if (s->have_key)
		return 0;
	s->have_key = 1;
	return fetch_into(l, s->domain, s->selector, 0, &s->key);
}

/* The key of an ARC signature (custody_dkim__arc_key_fn): fetched once
 * per query, kept in the report for the evidence. */
static int arc_key(void *payload, const char *domain, const char *selector,
	const struct custody_dkim_key **out, custody_error **err)
{
	struct lookup *l = payload;
	custody_dkim_report *r = l->report;
	struct custody_dkim_key *k;
	char query[400];
	size_t i;
	int rc;

	(void)err;
	snprintf(query, sizeof(query), "%s._domainkey.%s", selector, domain);
	if (!name_ok(domain) || !name_ok(selector))
		snprintf(query, sizeof(query), "-");
	for (i = 0; i < r->narc_keys; i++)
		if (strcmp(r->arc_keys[i].key.query, query) == 0) {
			*out = &r->arc_keys[i].key;
			return 0;
		}
	if (r->arc_keys == NULL && (r->arc_keys = calloc(MAX_ARC_KEYS,
	    sizeof(*r->arc_keys))) == NULL)
		return custody__oom(l->err);
	/* two keys a set at most: the verifier asks for no more */
	assert(r->narc_keys < MAX_ARC_KEYS);
	k = &r->arc_keys[r->narc_keys++].key;
	if ((rc = fetch_into(l, domain, selector, 1, k)) != 0)
		return rc;
	*out = k;
	return 0;
}

/* After the evaluation: only the sets present, the keys asked for. */
static void arc_compact(custody_dkim_report *r)
{
	struct custody_dkim__arc *a = &r->arc;
	size_t i, n = 0;

	for (i = 0; a->sets != NULL && i < a->nsets; i++)
		if (a->sets[i].instance != 0)
			a->sets[n++] = a->sets[i];
	a->nsets = n;
	if (n > 0) {
		struct custody_dkim__arc_set *fit = realloc(a->sets,
			n * sizeof(*fit));
		if (fit != NULL)
			a->sets = fit;
	}
	if (r->narc_keys > 0) {
		struct arc_key *fit = realloc(r->arc_keys,
			r->narc_keys * sizeof(*fit));
		if (fit != NULL)
			r->arc_keys = fit;
	}
}

static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf,
	size_t buflen)
{
	struct lookup *l = dkim_get_user_context(dkim);
	struct sig_report *s = sig_for(l->report, sig);
	struct custody_dkim_key *k;

	if (s == NULL)
		return DKIM_CBSTAT_ERROR;
	clean(s->domain, sizeof(s->domain), dkim_sig_getdomain(sig));
	clean(s->selector, sizeof(s->selector), dkim_sig_getselector(sig));
	if (fetch_key(l, s) != 0) {
		l->failed = 1;
		return DKIM_CBSTAT_ERROR;
	}
	k = &s->key;
	/* a key not had is this signature's finding (judge() reads it from
	 * k->status): libopendkim is given an empty record, which fails
	 * this signature alone, where a failed lookup would stop it */
	buf[0] = '\0';
	if (strcmp(k->status, "ok") != 0)
		return DKIM_CBSTAT_CONTINUE;
	if (k->text == NULL) {
		snprintf(k->status, sizeof(k->status), "permerror");
		snprintf(k->reason, sizeof(k->reason), "no key record");
		return DKIM_CBSTAT_CONTINUE;
	}
	if (k->text_len >= buflen || k->text_len >= CUSTODY_DKIM_MAX_KEY_RECORD) {
		snprintf(k->status, sizeof(k->status), "permerror");
		snprintf(k->reason, sizeof(k->reason), "a key record of %zu "
			"bytes, more than the %d libopendkim reads",
			k->text_len, CUSTODY_DKIM_MAX_KEY_RECORD - 1);
		return DKIM_CBSTAT_CONTINUE;
	}
	memcpy(buf, k->text, k->text_len + 1);
	return DKIM_CBSTAT_CONTINUE;
}

static void judge(custody_dkim_report *r, struct sig_report *s,
	DKIM_SIGINFO *sig)
{
	int error = dkim_sig_geterror(sig);
	unsigned int flags = dkim_sig_getflags(sig);
	int bh = dkim_sig_getbh(sig);
	unsigned int bits = 0;
	const char *result = "permerror", *reason = NULL;

	clean(s->domain, sizeof(s->domain), dkim_sig_getdomain(sig));
	clean(s->selector, sizeof(s->selector), dkim_sig_getselector(sig));
	clean(s->algorithm, sizeof(s->algorithm),
		dkim_sig_gettagvalue(sig, 0, (u_char *)"a"));
	clean(s->canon, sizeof(s->canon),
		dkim_sig_gettagvalue(sig, 0, (u_char *)"c"));
	if (strcmp(s->canon, "-") == 0)
		snprintf(s->canon, sizeof(s->canon), "simple/simple");
	else if (strchr(s->canon, '/') == NULL) {
		size_t n = strlen(s->canon);
		if (n + 8 < sizeof(s->canon))
			memcpy(s->canon + n, "/simple", 8);
	}
	clean(s->headers, sizeof(s->headers),
		dkim_sig_gettagvalue(sig, 0, (u_char *)"h"));
	clean(s->timestamp, sizeof(s->timestamp),
		dkim_sig_gettagvalue(sig, 0, (u_char *)"t"));
	clean(s->expires, sizeof(s->expires),
		dkim_sig_gettagvalue(sig, 0, (u_char *)"x"));
	snprintf(s->body_hash, sizeof(s->body_hash), "%s",
		bh == DKIM_SIGBH_MATCH ? "pass" :
		bh == DKIM_SIGBH_MISMATCH ? "fail" : "untested");
	s->key_bits = -1;
	if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK && bits > 0)
		s->key_bits = (long)bits;

	if (s->have_key && strcmp(s->key.status, "ok") != 0) {
		result = s->key.status;
		reason = s->key.reason;
	} else if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
	    bh == DKIM_SIGBH_MATCH) {
		result = s->key_bits >= 0 &&
			s->key_bits < CUSTODY_DKIM_WEAK_BITS &&
			strncmp(s->algorithm, "rsa-", 4) == 0 ? "weak" : "pass";
		if (strcmp(result, "weak") == 0)
			reason = "the key is shorter than 1024 bits";
	} else if (error == DKIM_SIGERROR_EXPIRED) {
		result = "expired";
		reason = "x= had passed at the observation time";
	} else if (error == DKIM_SIGERROR_FUTURE) {
		result = "future";
		reason = "t= lies after the observation time";
	} else if (error == DKIM_SIGERROR_KEYREVOKED) {
		result = "revoked";
		reason = "the key record's p= is empty: the key is revoked";
	} else if (error == DKIM_SIGERROR_NOKEY) {
		result = "nokey";
		reason = "no key record";
	} else if (bh == DKIM_SIGBH_MISMATCH) {
		result = "fail";
		reason = "the body hash does not match: the body changed";
	} else if (error == DKIM_SIGERROR_BADSIG ||
	    (error == DKIM_SIGERROR_OK &&
	    (flags & DKIM_SIGFLAG_PROCESSED) != 0)) {
		result = "fail";
		reason = "the signature does not verify: a signed header "
			"changed, or another key signed it";
	} else {
		result = "permerror";
		reason = dkim_sig_geterrorstr(error);
	}
	if ((strcmp(result, "pass") == 0 || strcmp(result, "weak") == 0) &&
	    strcmp(s->timestamp, "-") != 0 &&
	    strtoll(s->timestamp, NULL, 10) > r->now + FUTURE_SLACK) {
		result = "future";
		reason = "t= lies after the observation time";
	}
	snprintf(s->result, sizeof(s->result), "%s", result);
	snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
	snprintf(s->line, sizeof(s->line), "d=%s s=%s a=%s: %s%s%s%s",
		s->domain, s->selector, s->algorithm, s->result,
		s->reason[0] ? " (" : "", s->reason, s->reason[0] ? ")" : "");
}

/* Whether the header at index i (of the message's) is covered by the
 * signature's h=: h= names the instances from the bottom up. */
static int covered(const struct custody_dkim_message *m, size_t i,
	const char *h, int *named)
{
	size_t below = 0, j, want = 0;
	const char *p = h;
	size_t len = strlen(m->headers[i].name);

	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		if (n == len && strncasecmp(p, m->headers[i].name, n) == 0)
			want++;
		p += n;
		if (*p == ':')
			p++;
	}
	if (want > 0)
		*named = 1;
	for (j = i + 1; j < m->nheaders; j++)
		if (strcmp(m->headers[j].name, m->headers[i].name) == 0)
			below++;
	return below < want;
}

static int find_unsigned(custody_dkim_report *r,
	const struct custody_dkim_message *m, custody_error **err)
{
	custody_buf out = CUSTODY_BUF_INIT;
	size_t i, j;
	int any_good = 0, rc = 0;

	for (j = 0; j < r->nsigs; j++)
		if (strcmp(r->sigs[j].result, "pass") == 0 ||
		    strcmp(r->sigs[j].result, "weak") == 0)
			any_good = 1;
	for (i = 0; i < m->nheaders; i++) {
		int is_covered = 0, named = 0;

		if (strcmp(m->headers[i].name, "dkim-signature") == 0)
			continue;
		for (j = 0; j < r->nsigs; j++) {
			const struct sig_report *s = &r->sigs[j];
			if (any_good && strcmp(s->result, "pass") != 0 &&
			    strcmp(s->result, "weak") != 0)
				continue;
			if (covered(m, i, s->headers, &named))
				is_covered = 1;
		}
		if (is_covered || r->nsigs == 0)
			continue;
		if ((rc = custody_buf__printf(&out, "%s%s%s",
		    out.size ? "," : "", m->headers[i].name,
		    named ? "(top)" : "")) != 0)
			goto done;
	}
	if (out.ptr == NULL && (out.ptr = strdup("")) == NULL)
		rc = -1;
	r->unsigned_headers = out.ptr;
	out.ptr = NULL;
done:
	custody_buf_dispose(&out);
	return rc ? custody__oom(err) : 0;
}

static const char *verdict_of(const custody_dkim_report *r)
{
	size_t i;
	int weak = 0, temp = 0;

	if (r->nsigs == 0)
		return "none";
	for (i = 0; i < r->nsigs; i++) {
		if (strcmp(r->sigs[i].result, "pass") == 0)
			return "pass";
		if (strcmp(r->sigs[i].result, "weak") == 0)
			weak = 1;
		if (strcmp(r->sigs[i].result, "temperror") == 0)
			temp = 1;
	}
	return weak ? "weak" : temp ? "temperror" : "fail";
}

static int emit_evidence(custody_dkim_report *r, custody_error **err);
static int parse_evidence(custody_dkim_report **out, const char *evidence,
	custody_error **err);

static int run(custody_dkim_report **out, const void *message, size_t size,
	const custody_dkim_options *opts, const custody_dkim_report *archived,
	custody_error **err)
{
	struct custody_dkim_message m;
	custody_dkim_report *r = NULL;
	struct lookup l;
	DKIM_LIB *lib = NULL;
	void **kept = NULL;
	DKIM *dkim = NULL;
	DKIM_STAT status;
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0, i, rc;
	time_t clock_now = time(NULL);
	uint64_t drift = 0;
	unsigned int minbits = 1;
	size_t h;

	*out = NULL;
	if ((rc = custody_dkim__split(&m, message, size, err)) != 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->sigs = calloc(CUSTODY_DKIM_MAX_SIGNATURES,
	    sizeof(*r->sigs))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* a recheck compared the message's SHA-256 with the evidence's */
	if (archived != NULL)
		memcpy(r->sha256, archived->sha256, sizeof(r->sha256));
	else if ((rc = custody_sha256_hex(message, size, r->sha256,
	    err)) != 0)
		goto done;
	r->now = archived ? archived->now :
		opts->now ? opts->now : (int64_t)clock_now;
	snprintf(r->resolver, sizeof(r->resolver), "%s",
		archived ? archived->resolver :
		opts->key_record ? "-" :
		opts->resolver ? opts->resolver : "system");
	memset(&l, 0, sizeof(l));
	l.report = r;
	l.opts = opts;
	l.archived = archived;
	l.err = err;

	/* a verifying thread keeps one handle for all its messages (its
	 * options are set again below for each) */
	if ((kept = custody_dkim__thread_lib()) != NULL && *kept != NULL)
		lib = *kept, *kept = NULL;
	else
		lib = dkim_init(NULL, NULL);
	if (lib == NULL) {
		rc = custody__error(err, CUSTODY_ERROR, "libopendkim could not "
			"be set up");
		goto done;
	}
	if (r->now < (int64_t)clock_now)
		drift = (uint64_t)((int64_t)clock_now - r->now);
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift,
	    sizeof(drift)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits,
	    sizeof(minbits)) != DKIM_STAT_OK ||
	    dkim_set_key_lookup(lib, key_lookup) != DKIM_STAT_OK) {
		rc = custody__error(err, CUSTODY_ERROR, "libopendkim refused "
			"an option");
		goto done;
	}
	dkim = dkim_verify(lib, (const unsigned char *)"custody", NULL,
		&status);
	if (dkim == NULL) {
		rc = custody__error(err, CUSTODY_ERROR, "libopendkim: %s",
			dkim_getresultstr(status));
		goto done;
	}
	dkim_set_user_context(dkim, &l);
	for (h = 0; h < m.nheaders; h++) {
		status = dkim_header(dkim, m.text + m.headers[h].offset,
			m.headers[h].len);
		if (status != DKIM_STAT_OK) {
			rc = custody__error(err, CUSTODY_EINVALID, "header %zu "
				"(%s): libopendkim: %s", h + 1,
				m.headers[h].name, dkim_geterror(dkim) ?
				dkim_geterror(dkim) : dkim_getresultstr(status));
			goto done;
		}
	}
	status = dkim_eoh(dkim);
	if (status == DKIM_STAT_OK || status == DKIM_STAT_NOSIG ||
	    status == DKIM_STAT_CANTVRFY || status == DKIM_STAT_SYNTAX) {
		if (status == DKIM_STAT_OK) {
			(void)dkim_body(dkim, m.text + m.body, m.len - m.body);
			(void)dkim_eom(dkim, NULL);
		}
	}
	if (l.failed) {
		rc = err && *err ? custody_error_code(*err) : CUSTODY_ERROR;
		goto done;
	}
	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	for (i = 0; i < nsigs; i++) {
		struct sig_report *s = sig_for(r, sigs[i]);
		if (s == NULL)
			break;
		clean(s->domain, sizeof(s->domain),
			dkim_sig_getdomain(sigs[i]));
		clean(s->selector, sizeof(s->selector),
			dkim_sig_getselector(sigs[i]));
		/* the evidence holds the key of every signature, also
		 * of those judged before a key was asked for */
		if ((rc = fetch_key(&l, s)) != 0)
			goto done;
		judge(r, s, sigs[i]);
	}
	/* keep the signatures in the message's order */
	{
		struct sig_report *ordered = calloc(r->nsigs ? r->nsigs : 1,
			sizeof(*ordered));
		size_t n = 0, k;
		if (ordered == NULL) {
			rc = custody__oom(err);
			goto done;
		}
		for (i = 0; i < nsigs; i++)
			for (k = 0; k < r->nsigs; k++)
				if (r->sigs[k].sig == sigs[i] && n < r->nsigs)
					ordered[n++] = r->sigs[k];
		for (k = 0; k < n; k++) {
			ordered[k].sig = NULL;
			r->sigs[k] = ordered[k];
		}
		r->nsigs = n;
		free(ordered);
	}
	r->verdict = verdict_of(r);
	if ((rc = custody_dkim__arc_parse(&r->arc, &m, err)) != 0 ||
	    (rc = custody_dkim__arc_verify(&r->arc, &m, r->now, arc_key, &l,
	    err)) != 0)
		goto done;
	arc_compact(r);
	if ((rc = find_unsigned(r, &m, err)) != 0 ||
	    (rc = emit_evidence(r, err)) != 0)
		goto done;
	if (r->nsigs > 0) {
		struct sig_report *fit = realloc(r->sigs, r->nsigs *
			sizeof(*fit));
		if (fit != NULL)
			r->sigs = fit;
	}
	*out = r;
	r = NULL;
done:
	if (dkim != NULL)
		dkim_free(dkim);
	if (lib != NULL && kept != NULL)
		*kept = lib;
	else if (lib != NULL)
		dkim_close(lib);
	custody_dkim__message_free(&m);
	custody_dkim_report_free(r);
	return rc;
}

int custody_dkim_verify(custody_dkim_report **out, const void *message,
	size_t size, const custody_dkim_options *opts, custody_error **err)
{
	custody_dkim_options defaults = CUSTODY_DKIM_OPTIONS_INIT;
	char why[120];
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_DKIM_OPTIONS_VERSION, "custody_dkim_options")) != 0)
		return rc;
	if (opts->resolver != NULL &&
	    custody_dkim__resolver_problem(opts->resolver) != NULL)
		return custody__error(err, CUSTODY_EINVALID, "resolver \"%s\" %s",
			opts->resolver,
			custody_dkim__resolver_problem(opts->resolver));
	if (opts->now < 0 || opts->now > LATEST_TIME)
		return custody__error(err, CUSTODY_EINVALID, "an observation "
			"time of %" PRId64 ": not between 1970 and 9999",
			opts->now);
	if (opts->key_record != NULL &&
	    (strlen(opts->key_record) > CUSTODY_DKIM_MAX_KEY_FILE ||
	    records_problem(opts->key_record, why, sizeof(why)) != NULL))
		return custody__error(err, CUSTODY_EINVALID, "the key records: "
			"%s", strlen(opts->key_record) >
			CUSTODY_DKIM_MAX_KEY_FILE ? "more than 64 KiB" :
			records_problem(opts->key_record, why, sizeof(why)));
	return run(out, message, size, opts, NULL, err);
}

int custody_dkim__recheck_hashed(custody_dkim_report **out,
	const void *message, size_t size, const char *sha256_hex,
	const char *evidence, custody_error **err)
{
	custody_dkim_options opts = CUSTODY_DKIM_OPTIONS_INIT;
	custody_dkim_report *archived = NULL;
	char sha256[65];
	int rc;

	*out = NULL;
	if ((rc = parse_evidence(&archived, evidence, err)) != 0)
		return rc;
	if (sha256_hex != NULL && strlen(sha256_hex) == 64)
		memcpy(sha256, sha256_hex, sizeof(sha256));
	else if ((rc = custody_sha256_hex(message, size, sha256, err)) != 0)
		goto done;
	if (CRYPTO_memcmp(sha256, archived->sha256, 64) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "the message's "
			"SHA-256 is %.16s..., the evidence was made for "
			"%.16s...", sha256, archived->sha256);
		goto done;
	}
	opts.now = archived->now;
	rc = run(out, message, size, &opts, archived, err);
done:
	custody_dkim_report_free(archived);
	return rc;
}

int custody_dkim_recheck(custody_dkim_report **out, const void *message,
	size_t size, const char *evidence, custody_error **err)
{
	return custody_dkim__recheck_hashed(out, message, size, NULL,
		evidence, err);
}

const char *custody_dkim_report_verdict(const custody_dkim_report *r)
{
	return r->verdict;
}

int64_t custody_dkim_report_time(const custody_dkim_report *r)
{
	return r->now;
}

size_t custody_dkim_report_count(const custody_dkim_report *r)
{
	return r->nsigs;
}

const char *custody_dkim_report_signature(const custody_dkim_report *r,
	size_t i)
{
	return i < r->nsigs ? r->sigs[i].line : NULL;
}

const char *custody_dkim_report_result(const custody_dkim_report *r,
	size_t i)
{
	return i < r->nsigs ? r->sigs[i].result : NULL;
}

const char *custody_dkim_report_unsigned(const custody_dkim_report *r)
{
	return r->unsigned_headers ? r->unsigned_headers : "";
}

const char *custody_dkim_report_evidence(const custody_dkim_report *r)
{
	return r->evidence;
}

const char *custody_dkim_report_arc(const custody_dkim_report *r)
{
	return r->arc.chain ? r->arc.chain : "none";
}

const char *custody_dkim_report_arc_reason(const custody_dkim_report *r)
{
	return r->arc.reason;
}

unsigned int custody_dkim_report_arc_failed(const custody_dkim_report *r)
{
	return r->arc.failed;
}

unsigned int custody_dkim_report_arc_oldest_pass(
	const custody_dkim_report *r)
{
	return r->arc.oldest_pass;
}

size_t custody_dkim_report_arc_count(const custody_dkim_report *r)
{
	return r->arc.nsets;
}

const char *custody_dkim_report_arc_set(const custody_dkim_report *r,
	size_t i)
{
	return i < r->arc.nsets ? r->arc.sets[i].line : NULL;
}

const char *custody_dkim_report_arc_field(const custody_dkim_report *r,
	size_t i, const char *name)
{
	const struct custody_dkim__arc_set *s;
	const struct {
		const char *name;
		size_t offset;
	} fields[] = {
#define FIELD(n, f) { n, offsetof(struct custody_dkim__arc_set, f) }
		FIELD("instance", instance_text),
		FIELD("cv", cv),
		FIELD("seal-domain", seal_domain),
		FIELD("seal-selector", seal_selector),
		FIELD("seal-algorithm", seal_algorithm),
		FIELD("seal-result", seal_result),
		FIELD("seal-key-bits", seal_bits_text),
		FIELD("message-domain", ams_domain),
		FIELD("message-selector", ams_selector),
		FIELD("message-algorithm", ams_algorithm),
		FIELD("message-result", ams_result),
		FIELD("message-key-bits", ams_bits_text),
		FIELD("body-hash", body_hash),
#undef FIELD
	};
	size_t k;

	if (i >= r->arc.nsets || name == NULL)
		return NULL;
	s = &r->arc.sets[i];
	if (strcmp(name, "auth-results") == 0)
		return s->aar_text ? s->aar_text : "";
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (strcmp(name, fields[k].name) == 0)
			return (const char *)s + fields[k].offset;
	return NULL;
}

void custody_dkim_report_free(custody_dkim_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsigs; i++)
		custody_dkim__key_clear(&r->sigs[i].key);
	for (i = 0; i < r->narc_keys; i++)
		custody_dkim__key_clear(&r->arc_keys[i].key);
	free(r->arc_keys);
	custody_dkim__arc_clear(&r->arc);
	free(r->sigs);
	free(r->unsigned_headers);
	free(r->evidence);
	free(r);
}

/* ---- the evidence text ---- */

static int emit_b64(custody_buf *b, const char *tag, const void *data,
	size_t len)
{
	int rc;

	if (data == NULL)
		return custody_buf__printf(b, "%s -\n", tag);
	if ((rc = custody_buf__printf(b, "%s ", tag)) != 0 ||
	    (len > 0 && (rc = custody_base64__append(b, data, len)) != 0) ||
	    (len == 0 && (rc = custody_buf__append(b, "=", 1)) != 0))
		return rc;
	return custody_buf__append(b, "\n", 1);
}

/* The ARC chain, after the signatures: its result, each set's line
 * and AAR, then each key record asked for, as a signature's are. */
static int emit_arc(custody_buf *b, const custody_dkim_report *r)
{
	const struct custody_dkim__arc *a = &r->arc;
	size_t i;
	int rc;

	rc = custody_buf__printf(b, "arc-chain %s\narc-reason %s\n"
		"arc-failed %u\narc-oldest-pass %u\n", a->chain,
		a->reason[0] ? a->reason : "-", a->failed, a->oldest_pass);
	for (i = 0; rc == 0 && i < a->nsets; i++) {
		const struct custody_dkim__arc_set *s = &a->sets[i];
		char tag[32];

		rc = custody_buf__printf(b, "arc-set %s\n", s->line);
		snprintf(tag, sizeof(tag), "arc-aar %u", s->instance);
		if (rc == 0)
			rc = emit_b64(b, tag, s->aar_text, s->aar_text ?
				strlen(s->aar_text) : 0);
	}
	for (i = 0; rc == 0 && i < r->narc_keys; i++) {
		const struct custody_dkim_key *k = &r->arc_keys[i].key;
		rc = custody_buf__printf(b, "arc-key %zu\nkey-query %s\n"
			"key-source %s\nkey-time %" PRId64 "\n"
			"key-dnssec %s\nkey-status %s\n", i + 1,
			k->query[0] ? k->query : "-",
			k->source[0] ? k->source : "-", k->time,
			k->dnssec[0] ? k->dnssec : "-",
			k->status[0] ? k->status : "-");
		if (rc == 0)
			rc = emit_b64(b, "key-rdata", k->rdata, k->rdata_len);
		if (rc == 0)
			rc = emit_b64(b, "key-record", k->text, k->text_len);
		if (rc == 0)
			rc = custody_buf__printf(b, "key-reason %s\n",
				k->reason[0] ? k->reason : "-");
	}
	return rc;
}

static int emit_evidence(custody_dkim_report *r, custody_error **err)
{
	custody_buf b = CUSTODY_BUF_INIT;
	size_t i;
	int rc;

	rc = custody_buf__printf(&b, "custody-dkim/v1\nmessage-sha256 %s\n"
		"observed %" PRId64 "\nresolver %s\nverdict %s\n", r->sha256,
		r->now, r->resolver, r->verdict);
	for (i = 0; rc == 0 && i < r->nsigs; i++) {
		const struct sig_report *s = &r->sigs[i];
		const struct custody_dkim_key *k = &s->key;
		rc = custody_buf__printf(&b, "signature %zu\ndomain %s\n"
			"selector %s\nalgorithm %s\ncanonicalization %s\n"
			"headers %s\ntimestamp %s\nexpires %s\n"
			"key-query %s\nkey-source %s\nkey-time %" PRId64 "\n"
			"key-dnssec %s\nkey-status %s\n", i + 1, s->domain,
			s->selector, s->algorithm, s->canon, s->headers,
			s->timestamp, s->expires, k->query[0] ? k->query : "-",
			k->source[0] ? k->source : "-", k->time,
			k->dnssec[0] ? k->dnssec : "-",
			k->status[0] ? k->status : "-");
		if (rc == 0)
			rc = emit_b64(&b, "key-rdata", k->rdata, k->rdata_len);
		if (rc == 0)
			rc = emit_b64(&b, "key-record", k->text, k->text_len);
		if (rc == 0)
			rc = s->key_bits < 0 ?
				custody_buf__printf(&b, "key-bits -\n") :
				custody_buf__printf(&b, "key-bits %ld\n",
				s->key_bits);
		if (rc == 0)
			rc = custody_buf__printf(&b,
				"body-hash %s\nresult %s\nreason %s\n",
				s->body_hash, s->result,
				s->reason[0] ? s->reason : "-");
	}
	if (rc == 0 && r->arc.chain != NULL &&
	    strcmp(r->arc.chain, "none") != 0)
		rc = emit_arc(&b, r);
	if (rc == 0)
		rc = custody_buf__printf(&b, "end\n");
	if (rc != 0) {
		custody_buf_dispose(&b);
		return custody__oom(err);
	}
	r->evidence = b.ptr;
	return 0;
}

/* One "tag value" line of the evidence: the value, or NULL when the line
 * does not start with the tag. */
static const char *value_of(const char *line, const char *tag)
{
	size_t n = strlen(tag);

	if (strncmp(line, tag, n) != 0 || line[n] != ' ')
		return NULL;
	return line + n + 1;
}

static int decode_b64(unsigned char **out, size_t *len, const char *value)
{
	size_t n = strlen(value);

	*out = NULL;
	*len = 0;
	if (strcmp(value, "-") == 0)
		return 0;
	if (strcmp(value, "=") == 0) {
		*out = calloc(1, 1);
		return *out ? 0 : -1;
	}
	*out = malloc(n / 4 * 3 + 1);
	if (*out == NULL)
		return -1;
	if (custody_base64_decode(*out, len, value, n) != 0) {
		free(*out);
		*out = NULL;
		return -2;
	}
	(*out)[*len] = '\0';
	return 0;
}

static int parse_evidence(custody_dkim_report **out, const char *evidence,
	custody_error **err)
{
	custody_dkim_report *r;
	char *copy, *line, *next;
	struct sig_report *s = NULL;
	struct custody_dkim_key *k = NULL;      /* the key being read */
	unsigned int *read = NULL;
	int rc = 0, lineno = 0, ended = 0;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->sigs = calloc(CUSTODY_DKIM_MAX_SIGNATURES,
	    sizeof(*r->sigs))) == NULL ||
	    (copy = strdup(evidence)) == NULL) {
		if (r != NULL)
			free(r->sigs);
		free(r);
		return custody__oom(err);
	}
	for (line = copy; line != NULL && *line != '\0' && !ended;
	    line = next) {
		const char *v;
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (lineno == 1) {
			if (strcmp(line, "custody-dkim/v1") != 0)
				goto bad;
		} else if ((v = value_of(line, "message-sha256")) != NULL) {
			if (strlen(v) != 64)
				goto bad;
			memcpy(r->sha256, v, 65);
		} else if ((v = value_of(line, "observed")) != NULL) {
			r->now = strtoll(v, NULL, 10);
		} else if ((v = value_of(line, "resolver")) != NULL) {
			snprintf(r->resolver, sizeof(r->resolver), "%s", v);
		} else if ((v = value_of(line, "verdict")) != NULL) {
			r->verdict = strcmp(v, "pass") == 0 ? "pass" : "other";
		} else if (value_of(line, "signature") != NULL) {
			if (r->nsigs == CUSTODY_DKIM_MAX_SIGNATURES)
				goto bad;
			s = &r->sigs[r->nsigs++];
			s->have_key = 1;
			k = &s->key;
			read = &s->read;
		} else if (strcmp(line, "end") == 0) {
			ended = 1;
		} else if ((v = value_of(line, "arc-chain")) != NULL) {
			r->arc_recorded = strcmp(v, "pass") == 0 ? "pass" :
				strcmp(v, "fail") == 0 ? "fail" : "none";
		} else if (value_of(line, "arc-key") != NULL) {
			struct arc_key *ak;
			if (r->arc_keys == NULL && (r->arc_keys = calloc(
			    MAX_ARC_KEYS, sizeof(*r->arc_keys))) == NULL) {
				rc = -1;
				goto bad_or_oom;
			}
			if (r->narc_keys == MAX_ARC_KEYS)
				goto bad;
			ak = &r->arc_keys[r->narc_keys++];
			k = &ak->key;
			read = &ak->read;
			s = NULL;
		} else if (strncmp(line, "arc-", 4) == 0) {
			/* arc-reason, arc-set, ...: findings the recheck
			 * makes again from the message */
		} else if (k == NULL) {
			goto bad;
		} else if ((v = value_of(line, "key-query")) != NULL) {
			snprintf(k->query, sizeof(k->query), "%s", v);
		} else if ((v = value_of(line, "key-source")) != NULL) {
			snprintf(k->source, sizeof(k->source), "%s", v);
		} else if ((v = value_of(line, "key-time")) != NULL) {
			k->time = strtoll(v, NULL, 10);
		} else if ((v = value_of(line, "key-dnssec")) != NULL) {
			snprintf(k->dnssec, sizeof(k->dnssec), "%s", v);
		} else if ((v = value_of(line, "key-status")) != NULL) {
			snprintf(k->status, sizeof(k->status), "%s", v);
		} else if ((v = value_of(line, "key-rdata")) != NULL) {
			if (*read & EVIDENCE_RDATA)
				goto bad;
			*read |= EVIDENCE_RDATA;
			if ((rc = decode_b64(&k->rdata, &k->rdata_len,
			    v)) != 0)
				goto bad_or_oom;
		} else if ((v = value_of(line, "key-record")) != NULL) {
			unsigned char *text;
			if (*read & EVIDENCE_RECORD)
				goto bad;
			*read |= EVIDENCE_RECORD;
			if ((rc = decode_b64(&text, &k->text_len, v)) != 0)
				goto bad_or_oom;
			k->text = (char *)text;
		} else if ((v = value_of(line, "key-reason")) != NULL) {
			/* "-" is how an empty reason is written; an ok
			 * key's is dropped below, whatever the lines' order */
			if (s == NULL)
				snprintf(k->reason, sizeof(k->reason), "%s",
					strcmp(v, "-") == 0 ? "" : v);
		} else if (s == NULL) {
			goto bad;
		} else if ((v = value_of(line, "reason")) != NULL) {
			snprintf(s->key.reason, sizeof(s->key.reason), "%s",
				strcmp(v, "-") == 0 ? "" : v);
		}
	}
	if (lineno == 0 || !ended || r->sha256[0] == '\0' || r->now <= 0 ||
	    r->now > LATEST_TIME) {
		/* what is missing, not a line: there may be none */
		rc = custody__error(err, CUSTODY_EINVALID, "DKIM evidence: %s",
			lineno == 0 ? "empty, not what custody writes "
			"(custody-dkim/v1)" : !ended ? "no \"end\" line: cut "
			"short, or not what custody writes" :
			r->sha256[0] == '\0' ? "no \"message-sha256\" line" :
			"no \"observed\" time between 1970 and 9999");
		goto fail;
	}
	/* a signature's key status becomes its result when it is not
	 * "ok": only what custody writes, or evidence could say "pass" */
	for (size_t i = 0; i < r->nsigs + r->narc_keys; i++) {
		struct custody_dkim_key *key = i < r->nsigs ?
			&r->sigs[i].key : &r->arc_keys[i - r->nsigs].key;
		const char *st = key->status;
		char what[40];

		/* a reason is why a key is not ok: an ok key has none */
		if (strcmp(st, "ok") == 0)
			key->reason[0] = '\0';

		if (i < r->nsigs)
			snprintf(what, sizeof(what), "signature %zu", i + 1);
		else
			snprintf(what, sizeof(what), "arc-key %zu",
				i - r->nsigs + 1);
		if (strcmp(st, "ok") != 0 && strcmp(st, "nokey") != 0 &&
		    strcmp(st, "temperror") != 0 &&
		    strcmp(st, "permerror") != 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "DKIM "
				"evidence: %s: key-status \"%s\" is not ok, "
				"nokey, temperror or permerror", what, st);
			goto fail;
		}
		if (strcmp(st, "ok") == 0 && (key->text == NULL ||
		    memchr(key->text, '\0', key->text_len) != NULL)) {
			rc = custody__error(err, CUSTODY_EINVALID, "DKIM "
				"evidence: %s: key-status ok, but %s",
				what, key->text == NULL ? "no key-record" :
				"the key-record holds a NUL byte");
			goto fail;
		}
	}
	*out = r;
	free(copy);
	return 0;
bad_or_oom:
	if (rc == -1) {
		rc = custody__oom(err);
		goto fail;
	}
bad:
	rc = custody__error(err, CUSTODY_EINVALID, "DKIM evidence, line %d: "
		"not what custody writes (custody-dkim/v1)", lineno);
fail:
	free(copy);
	custody_dkim_report_free(r);
	return rc;
}

/* ---- for custody_check (check.h): the full build verifies again ---- */

int custody_check__dkim_recheck(const void *message, size_t size,
	const char *evidence, char verdict[16], char (*results)[16],
	size_t max, size_t *n, custody_error **err)
{
	custody_dkim_report *report = NULL;
	int rc;

	*n = 0;
	verdict[0] = '\0';
	if ((rc = custody_dkim_recheck(&report, message, size, evidence,
	    err)) != 0)
		return rc;
	snprintf(verdict, 16, "%s", report->verdict);
	for (size_t i = 0; i < report->nsigs && i < max; i++)
		snprintf(results[(*n)++], 16, "%s", report->sigs[i].result);
	custody_dkim_report_free(report);
	return 0;
}
