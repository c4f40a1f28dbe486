/*
 * The DKIM part of custody_check (check.c): the message's dkim entry the
 * proof carries, proven in the same tree beside the message, its
 * recorded verdict shown signature by signature, and, in a build with a
 * DKIM verifier (libopendkim, dkim.c), the message verified again
 * against the key records the entry carries, at its observation time.
 *
 * The evidence (custody-dkim/v1, docs/dkim.md) is read here only for
 * what a reader is shown: dkim.c reads it in full when it verifies.
 */
#include "check.h"
#include "checkpoint.h"
#include "common.h"
#include "entry.h"
#include "fsutil.h"
#include "merkle.h"
#include "proof_file.h"
#include "custody/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

/* The largest message the check verifies again (custody/dkim.h's
 * CUSTODY_DKIM_MAX_MESSAGE, which the check-only build does not have). */
#define DKIM_MAX_MESSAGE (64 * 1024 * 1024)
#define NSIGS (sizeof(((custody_check_result *)0)->dkim_signatures) / \
	sizeof(((custody_check_result *)0)->dkim_signatures[0]))

/* The value of line `line` when it is "tag value", else NULL. */
static const char *tag_value(const char *line, size_t len, const char *tag,
	size_t *n)
{
	size_t k = strlen(tag);

	if (len <= k || memcmp(line, tag, k) != 0 || line[k] != ' ')
		return NULL;
	*n = len - k - 1;
	return line + k + 1;
}

static void copy(char *out, size_t size, const char *v, size_t n)
{
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
}

/* What the reader is shown of the evidence, into r; its observation
 * time (seconds) and message digest (64 hex) into the out-parameters. */
static int read_evidence(const char *evidence, custody_check_result *r,
	int64_t *observed, char sha256[65], custody_error **err)
{
	struct custody_check_dkim_signature *s = NULL;
	const char *p = evidence;

	*observed = -1;
	sha256[0] = '\0';
	while (*p != '\0') {
		const char *eol = strchr(p, '\n'), *v;
		size_t len = eol ? (size_t)(eol - p) : strlen(p), n;

		if ((v = tag_value(p, len, "observed", &n)) != NULL) {
			char digits[24], *stop;

			copy(digits, sizeof(digits), v, n);
			*observed = strtoll(digits, &stop, 10);
			if (*stop != '\0' || n == 0)
				*observed = -1;
		} else if ((v = tag_value(p, len, "message-sha256", &n))
		    != NULL) {
			copy(sha256, 65, v, n);
		} else if ((v = tag_value(p, len, "resolver", &n)) != NULL) {
			copy(r->dkim_resolver, sizeof(r->dkim_resolver), v, n);
		} else if (tag_value(p, len, "signature", &n) != NULL) {
			if (r->ndkim_signatures == NSIGS)
				return custody__error(err, CUSTODY_EINVALID,
					"the evidence holds more than %zu "
					"signatures", NSIGS);
			s = &r->dkim_signatures[r->ndkim_signatures++];
			s->key_bits = -1;
			snprintf(s->key_source, sizeof(s->key_source), "-");
			snprintf(s->key_dnssec, sizeof(s->key_dnssec), "-");
		} else if (s == NULL) {
			/* the message's lines, before any signature */
		} else if ((v = tag_value(p, len, "domain", &n)) != NULL) {
			copy(s->domain, sizeof(s->domain), v, n);
		} else if ((v = tag_value(p, len, "selector", &n)) != NULL) {
			copy(s->selector, sizeof(s->selector), v, n);
		} else if ((v = tag_value(p, len, "algorithm", &n)) != NULL) {
			copy(s->algorithm, sizeof(s->algorithm), v, n);
		} else if ((v = tag_value(p, len, "result", &n)) != NULL) {
			copy(s->result, sizeof(s->result), v, n);
		} else if ((v = tag_value(p, len, "key-source", &n)) != NULL) {
			copy(s->key_source, sizeof(s->key_source), v, n);
		} else if ((v = tag_value(p, len, "key-dnssec", &n)) != NULL) {
			copy(s->key_dnssec, sizeof(s->key_dnssec), v, n);
		} else if ((v = tag_value(p, len, "key-bits", &n)) != NULL) {
			char digits[16], *stop;
			long bits;

			copy(digits, sizeof(digits), v, n);
			bits = strtol(digits, &stop, 10);
			s->key_bits = *stop == '\0' && n > 0 && bits > 0 ?
				bits : -1;
		}
		p += len + (eol != NULL);
	}
	return 0;
}

/* seconds as "YYYY-MM-DDTHH:MM:SSZ" ("" when out of range) */
static void utc(int64_t seconds, char out[CUSTODY_TIME_SIZE])
{
	time_t t = (time_t)seconds;
	struct tm tm;

	out[0] = '\0';
	if (seconds < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, CUSTODY_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

/* The entry the dkim line holds: a dkim entry of this very message
 * (index and leaf hash), its evidence made for the message's digest at
 * the time the entry states, in the checkpoint's tree beside it. */
static int check_entry(const struct custody_proof_file *pf,
	const struct custody_entry *e, const unsigned char leaf[32],
	const struct custody_tlog_proof *p,
	const struct custody_checkpoint *cp, struct custody_entry **de,
	custody_check_result *r, custody_error **err)
{
	unsigned char dleaf[32];
	char leaf_hex[65], seen[CUSTODY_TIME_SIZE], sha256[65];
	int64_t observed;
	custody_error *why = NULL;
	int rc;

	if ((rc = custody_entry__parse(de, (const char *)pf->dkim,
	    pf->dkim_len, "the dkim entry", err)) != 0)
		return rc;
	if ((*de)->type != CUSTODY_ENTRY_DKIM)
		return custody__error(err, CUSTODY_EVERIFY, "the proof's dkim "
			"line holds %s entry %" PRIu64 ", not a dkim entry",
			custody_entry__type_name((*de)->type), (*de)->index);
	r->dkim_entry = (*de)->index;
	custody_hex(leaf_hex, leaf, 32);
	if ((*de)->message != e->index)
		return custody__error(err, CUSTODY_EVERIFY, "dkim entry %"
			PRIu64 " is the verdict on entry %" PRIu64 ", not on "
			"this message (entry %" PRIu64 ")", (*de)->index,
			(*de)->message, e->index);
	if (strcmp((*de)->message_leaf, leaf_hex) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "dkim entry %"
			PRIu64 " names entry %" PRIu64 " by leaf hash %.16s..., "
			"not this entry's %.16s...", (*de)->index, e->index,
			(*de)->message_leaf, leaf_hex);
	custody_merkle__leaf_hash(pf->dkim, pf->dkim_len, dleaf);
	if (custody_merkle__verify_pair(leaf, e->index,
	    (const unsigned char (*)[32])p->hashes, p->nhashes, dleaf,
	    (*de)->index, (const unsigned char (*)[32])pf->dkim_hashes,
	    pf->ndkim_hashes, cp->size, cp->root, &why) != 0) {
		rc = custody__error(err, CUSTODY_EVERIFY, "dkim entry %" PRIu64
			" is not in the checkpoint's tree beside the message: "
			"%s", (*de)->index, custody_error_message(why));
		custody_error_free(why);
		return rc;
	}
	if ((rc = read_evidence((*de)->dkim_evidence, r, &observed, sha256,
	    err)) != 0)
		return rc;
	if (strcmp(sha256, e->sha256) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "the evidence of "
			"dkim entry %" PRIu64 " was made for SHA-256 %.16s..., "
			"not this message's %.16s...", (*de)->index, sha256,
			e->sha256);
	utc(observed, seen);
	if (strcmp(seen, (*de)->observed) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "dkim entry %"
			PRIu64 " says the keys were observed at %s, its "
			"evidence at %s", (*de)->index, (*de)->observed,
			seen[0] ? seen : "no valid time");
	snprintf(r->dkim_verdict, sizeof(r->dkim_verdict), "%s",
		(*de)->verdict);
	snprintf(r->dkim_observed, sizeof(r->dkim_observed), "%s",
		(*de)->observed);
	return 0;
}

/* The message verified again from the evidence: the recorded verdict
 * and each signature's result must come back. */
static int verify_again(const char *file_path, const struct custody_entry
	*de, custody_check_result *r, custody_error **err)
{
	char verdict[16], results[NSIGS][16];
	custody_buf message = CUSTODY_BUF_INIT;
	custody_error *why = NULL;
	size_t n = 0;
	int rc;

	if ((rc = custody_fs__read_file(&message, file_path, DKIM_MAX_MESSAGE,
	    err)) != 0)
		return rc;
	rc = custody_check__dkim_recheck(message.ptr, message.size,
		de->dkim_evidence, verdict, results, NSIGS, &n, &why);
	custody_buf_dispose(&message);
	if (rc == 1)
		return 0;   /* no verifier in this build: shown as recorded */
	if (rc != 0) {
		rc = custody__error(err, rc == CUSTODY_ENOMEM ? rc :
			CUSTODY_EVERIFY, "the message does not verify again "
			"from dkim entry %" PRIu64 ": %s", de->index,
			custody_error_message(why));
		custody_error_free(why);
		return rc;
	}
	if (strcmp(verdict, de->verdict) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "dkim entry %"
			PRIu64 " records the verdict %s, but the message, "
			"verified again against the key records it carries at "
			"%s, gives %s", de->index, de->verdict, de->observed,
			verdict);
	for (size_t i = 0; i < n || i < r->ndkim_signatures; i++)
		if (i >= n || i >= r->ndkim_signatures ||
		    strcmp(results[i], r->dkim_signatures[i].result) != 0)
			return custody__error(err, CUSTODY_EVERIFY, "dkim "
				"entry %" PRIu64 " records %s for signature %zu, "
				"but the message, verified again, gives %s",
				de->index, i < r->ndkim_signatures ?
				r->dkim_signatures[i].result : "nothing", i + 1,
				i < n ? results[i] : "nothing");
	r->dkim_reverified = 1;
	return 0;
}

int custody_check__dkim(const struct custody_proof_file *pf,
	const struct custody_entry *e, const unsigned char leaf[32],
	const struct custody_tlog_proof *p,
	const struct custody_checkpoint *cp, const char *file_path,
	custody_check_result *r, const char **step, custody_error **err)
{
	struct custody_entry *de = NULL;
	int rc;

	*step = "dkim";
	if (e->type != CUSTODY_ENTRY_REGISTER)
		return custody__error(err, CUSTODY_EVERIFY, "the proof carries "
			"a dkim entry, but its entry %" PRIu64 " is no "
			"registration of a message", e->index);
	if ((rc = check_entry(pf, e, leaf, p, cp, &de, r, err)) == 0 &&
	    file_path != NULL) {
		*step = "dkim-verdict";
		rc = verify_again(file_path, de, r, err);
	}
	if (rc == 0)
		r->has_dkim = 1;
	custody_entry__free(de);
	return rc;
}
