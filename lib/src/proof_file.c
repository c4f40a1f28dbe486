/*
 * The custody header of a proof file: parsing and writing (see
 * proof_file.h for the lines).
 */
#include "proof_file.h"
#include "base64.h"
#include "common.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The keywords in the order they must come. */
enum { K_TIMESTAMP, K_COMMITMENT, K_DISCLOSE, K_PUBLICATION,
	K_PUBLICATION_HASH, K_LOG_KEY, K_COUNT };
static const char *const keywords[K_COUNT] = { "timestamp", "commitment",
	"disclose", "publication", "publication-hash", "log-key" };

struct reader {
	const char *p, *end;
	size_t line;                   /* of the line being read, from 1 */
	custody_error **err;
};

static int bad(struct reader *r, const char *what)
{
	return custody__error(r->err, CUSTODY_EINVALID, "proof line %zu: %s",
		r->line, what);
}

/* The next space-separated word of [*p, end) as [*w, *w + *n). */
static int word(const char **p, const char *end, const char **w,
	size_t *n)
{
	const char *q = *p;

	while (q < end && *q != ' ')
		q++;
	*w = *p;
	*n = (size_t)(q - *p);
	*p = q < end ? q + 1 : q;
	return *n > 0 || q < end ? 0 : -1;
}

/* Canonical base64 of exactly `want` bytes (want 0: 1..max bytes,
 * malloc'd into *heap). */
static int decode(struct reader *r, const char *w, size_t n,
	unsigned char *fixed, size_t want, unsigned char **heap,
	size_t *len, size_t max, const char *what)
{
	unsigned char *buf = fixed;
	size_t got = 0;
	char msg[96];

	snprintf(msg, sizeof(msg), "%s is not canonical base64 of %s", what,
		want ? "32 bytes" : "at most the bytes allowed");
	if (n > CUSTODY_BASE64_LEN(want ? want : max))
		return bad(r, msg);
	if (!want && (buf = malloc(n / 4 * 3 + 1)) == NULL)
		return custody__oom(r->err);
	if (custody_base64_decode(buf, &got, w, n) != 0 ||
	    (want ? got != want : got > max)) {
		if (!want)
			free(buf);
		return bad(r, msg);
	}
	if (!want) {
		buf[got] = 0;
		*heap = buf;
	}
	if (len != NULL)
		*len = got;
	return 0;
}

static int field_name(struct reader *r, const char *w, size_t n,
	char out[CUSTODY_PROOF_FIELD_MAX])
{
	if (n == 0 || n >= CUSTODY_PROOF_FIELD_MAX)
		return bad(r, "the field name is missing or too long");
	memcpy(out, w, n);
	out[n] = '\0';
	if (!custody_entry__is_private_field(out))
		return bad(r, "names no private field of an entry");
	return 0;
}

static int read_commitment(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	const char *w;
	size_t n, k = f->ncommitments;

	if (k == CUSTODY_ENTRY_MAX_PRIVATE)
		return bad(r, "too many commitments");
	if (word(&p, end, &w, &n) != 0 ||
	    field_name(r, w, n, f->commit_fields[k]) != 0)
		return CUSTODY_EINVALID;
	if (word(&p, end, &w, &n) != 0 || p != end || w + n != end)
		return bad(r, "a commitment is \"commitment FIELD HASH\"");
	if (decode(r, w, n, f->commits[k], 32, NULL, NULL, 0,
	    "the commitment") != 0)
		return CUSTODY_EINVALID;
	f->ncommitments++;
	return 0;
}

static int read_disclosure(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	const char *w;
	size_t n, k = f->ndisclosed, len;

	if (k == CUSTODY_ENTRY_MAX_PRIVATE)
		return bad(r, "too many disclosed fields");
	if (word(&p, end, &w, &n) != 0 ||
	    field_name(r, w, n, f->disclosed[k]) != 0)
		return CUSTODY_EINVALID;
	if (word(&p, end, &w, &n) != 0 || w + n == end)
		return bad(r, "a disclosure is \"disclose FIELD NONCE VALUE\"");
	if (decode(r, w, n, f->nonces[k], 32, NULL, NULL, 0, "the nonce")
	    != 0)
		return CUSTODY_EINVALID;
	w = p;
	n = (size_t)(end - p);
	if (memchr(w, ' ', n) != NULL)
		return bad(r, "a disclosure is \"disclose FIELD NONCE VALUE\"");
	if (decode(r, w, n, NULL, 0, (unsigned char **)&f->values[k], &len,
	    CUSTODY_PROOF_VALUE_MAX, "the value") != 0)
		return CUSTODY_EINVALID;
	f->ndisclosed++;
	if (memchr(f->values[k], '\0', len) != NULL)
		return bad(r, "the value holds a NUL byte");
	return 0;
}

static int read_publication(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	const char *w;
	char digits[24], *stop;
	size_t n;

	if (word(&p, end, &w, &n) != 0 || n == 0 || n >= sizeof(digits) ||
	    (n > 1 && w[0] == '0') || w + n == end)
		return bad(r, "a publication is \"publication INDEX ENTRY\"");
	memcpy(digits, w, n);
	digits[n] = '\0';
	errno = 0;
	f->publication_index = strtoull(digits, &stop, 10);
	if (errno != 0 || *stop != '\0' || digits[0] < '0' || digits[0] > '9')
		return bad(r, "the publication's index is not a number");
	f->has_publication = 1;
	return decode(r, p, (size_t)(end - p), NULL, 0, &f->publication,
		&f->publication_len, CUSTODY_ENTRY_MAX_BYTES,
		"the publication entry");
}

static int read_line(struct reader *r, struct custody_proof_file *f,
	int *last, const char *p, const char *end)
{
	const char *w;
	size_t n;
	int k;

	if (word(&p, end, &w, &n) != 0)
		return bad(r, "an empty keyword");
	for (k = 0; k < K_COUNT; k++)
		if (strlen(keywords[k]) == n && memcmp(keywords[k], w, n) == 0)
			break;
	if (k == K_COUNT)
		return bad(r, "not a line custody writes in a proof's header");
	if (w + n == end)
		return bad(r, "a keyword without its value");
	/* in order; only commitments, disclosures, publication hashes and
	 * log keys repeat */
	if (k < *last || (k == *last && (k == K_TIMESTAMP ||
	    k == K_PUBLICATION)))
		return bad(r, "out of order, or repeated");
	*last = k;
	switch (k) {
	case K_TIMESTAMP:
		return decode(r, p, (size_t)(end - p), NULL, 0, &f->token,
			&f->token_len, CUSTODY_PROOF_TOKEN_MAX, "the timestamp");
	case K_COMMITMENT:
		return read_commitment(r, f, p, end);
	case K_DISCLOSE:
		return read_disclosure(r, f, p, end);
	case K_PUBLICATION:
		return read_publication(r, f, p, end);
	case K_PUBLICATION_HASH:
		if (!f->has_publication)
			return bad(r, "a publication hash without a "
				"publication");
		if (f->npublication_hashes == CUSTODY_MERKLE_MAX_PROOF)
			return bad(r, "too many publication hashes");
		return decode(r, p, (size_t)(end - p),
			f->publication_hashes[f->npublication_hashes++], 32,
			NULL, NULL, 0, "the hash");
	default: {
		size_t i = f->nlog_keys;

		if (i == CUSTODY_PROOF_MAX_LOG_KEYS)
			return bad(r, "too many log-key entries");
		f->nlog_keys++;
		return decode(r, p, (size_t)(end - p), NULL, 0,
			&f->log_keys[i], &f->log_key_lens[i],
			CUSTODY_ENTRY_MAX_BYTES, "the log-key entry");
	}
	}
}

int custody_proof_file__parse(struct custody_proof_file *f,
	const char *text, size_t len, custody_error **err)
{
	struct reader r = { text, text + len, 1, err };
	int last = -1, rc;

	memset(f, 0, sizeof(*f));
	if (len > CUSTODY_PROOF_MAX_SIZE)
		return custody__error(err, CUSTODY_EINVALID, "the proof is "
			"too big (%zu bytes)", len);
	if (len < sizeof(CUSTODY_PROOF_V2) - 1 || memcmp(text,
	    CUSTODY_PROOF_V2, sizeof(CUSTODY_PROOF_V2) - 1) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the proof does "
			"not start with \"custody-proof/v2\" (not a custody "
			"proof file of this version)");
	r.p += sizeof(CUSTODY_PROOF_V2) - 1;
	for (;;) {
		const char *eol = memchr(r.p, '\n', (size_t)(r.end - r.p));

		r.line++;
		if (eol == NULL) {
			rc = custody__error(err, CUSTODY_EINVALID, "the proof's "
				"header does not end with an empty line");
			break;
		}
		if (eol == r.p) {
			f->tlog = eol + 1;
			f->tlog_len = (size_t)(r.end - f->tlog);
			return 0;
		}
		if ((rc = read_line(&r, f, &last, r.p, eol)) != 0)
			break;
		r.p = eol + 1;
	}
	custody_proof_file__clear(f);
	return rc;
}

static int put_b64(custody_buf *b, const void *data, size_t len)
{
	return custody_base64__append(b, data, len);
}

int custody_proof_file__format_header(const struct custody_proof_file *f,
	custody_buf *b, custody_error **err)
{
	int bad_write = custody_buf__append(b, CUSTODY_PROOF_V2,
		sizeof(CUSTODY_PROOF_V2) - 1) != 0;

	if (f->token != NULL)
		bad_write |= custody_buf__printf(b, "timestamp ") ||
			put_b64(b, f->token, f->token_len) ||
			custody_buf__printf(b, "\n");
	for (size_t i = 0; i < f->ncommitments; i++)
		bad_write |= custody_buf__printf(b, "commitment %s ",
			f->commit_fields[i]) ||
			put_b64(b, f->commits[i], 32) ||
			custody_buf__printf(b, "\n");
	for (size_t i = 0; i < f->ndisclosed; i++)
		bad_write |= custody_buf__printf(b, "disclose %s ",
			f->disclosed[i]) ||
			put_b64(b, f->nonces[i], 32) ||
			custody_buf__printf(b, " ") ||
			put_b64(b, f->values[i], strlen(f->values[i])) ||
			custody_buf__printf(b, "\n");
	if (f->has_publication)
		bad_write |= custody_buf__printf(b, "publication %" PRIu64 " ",
			f->publication_index) ||
			put_b64(b, f->publication, f->publication_len) ||
			custody_buf__printf(b, "\n");
	for (size_t i = 0; i < f->npublication_hashes; i++)
		bad_write |= custody_buf__printf(b, "publication-hash ") ||
			put_b64(b, f->publication_hashes[i], 32) ||
			custody_buf__printf(b, "\n");
	for (size_t i = 0; i < f->nlog_keys; i++)
		bad_write |= custody_buf__printf(b, "log-key ") ||
			put_b64(b, f->log_keys[i], f->log_key_lens[i]) ||
			custody_buf__printf(b, "\n");
	bad_write |= custody_buf__printf(b, "\n");
	return bad_write ? custody__oom(err) : 0;
}

void custody_proof_file__clear(struct custody_proof_file *f)
{
	free(f->token);
	for (size_t i = 0; i < f->ndisclosed; i++)
		free(f->values[i]);
	free(f->publication);
	for (size_t i = 0; i < f->nlog_keys; i++)
		free(f->log_keys[i]);
	memset(f, 0, sizeof(*f));
}
