/*
 * The custody header of a proof file: parsing and writing (see
 * proof_file.h for the lines).
 */
#include "proof_file.h"
#include "base64.h"
#include "common.h"
#include "fsutil.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The keywords in the order they must come. */
enum { K_TIMESTAMP, K_COMMITMENT, K_DISCLOSE, K_PUBLICATION,
	K_PUBLICATION_PATH, K_DKIM, K_DKIM_PATH, K_LOG_KEY, K_COUNT };
static const char *const keywords[K_COUNT] = { "timestamp", "commitment",
	"disclose", "publication", "publication-path", "dkim", "dkim-path",
	"log-key" };

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
	/* 44 characters decode to as many as 33 bytes: a fixed value is
	 * decoded here first, and copied once it is exactly `want` long */
	unsigned char exact[CUSTODY_BASE64_LEN(32) / 4 * 3];
	unsigned char *buf = exact;
	size_t got = 0;
	char msg[96];

	assert(want <= 32);
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
	if (want) {
		memcpy(fixed, exact, want);
	} else {
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
	/* read as a C string below, "path\0" would be taken for "path" */
	if (memchr(w, '\0', n) != NULL)
		return bad(r, "the field name holds a NUL byte");
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
	/* the keyword and its space, and nothing else: no field */
	if (word(&p, end, &w, &n) != 0)
		return bad(r, "a commitment is \"commitment FIELD HASH\"");
	if (field_name(r, w, n, f->commit_fields[k]) != 0)
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
	if (word(&p, end, &w, &n) != 0)
		return bad(r, "a disclosure is \"disclose FIELD NONCE VALUE\"");
	if (field_name(r, w, n, f->disclosed[k]) != 0)
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

/* A decimal index without leading zeros. */
static int read_index(const char *w, size_t n, uint64_t *out)
{
	char digits[24], *stop;

	if (n == 0 || n >= sizeof(digits) || (n > 1 && w[0] == '0'))
		return -1;
	/* every byte a digit: strtoull would stop at a NUL inside the
	 * word and take "3\0x" for 3 */
	for (size_t i = 0; i < n; i++)
		if (w[i] < '0' || w[i] > '9')
			return -1;
	memcpy(digits, w, n);
	digits[n] = '\0';
	errno = 0;
	*out = strtoull(digits, &stop, 10);
	return errno != 0 || *stop != '\0' ? -1 : 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" by its shape; the entry's parser checks the
 * rest once the entry is rebuilt. */
static int read_time(const char *w, size_t n, char out[21])
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (n != 20)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? w[i] < '0' || w[i] > '9' :
		    w[i] != shape[i])
			return -1;
	memcpy(out, w, n);
	out[n] = '\0';
	return 0;
}

/* "*" (the proof's own document) or INDEX:BASE64-SHA256, by commas. */
static int read_documents(struct reader *r, struct custody_proof_file *f,
	const char *w, size_t n)
{
	const char *end = w + n;
	size_t count = 1, selves = 0;

	for (size_t i = 0; i < n; i++)
		count += w[i] == ',';
	if (count > CUSTODY_PUBLISH_MAX_DOCUMENTS)
		return bad(r, "a publication names too many documents");
	if ((f->publication_documents = calloc(count,
	    sizeof(*f->publication_documents))) == NULL)
		return custody__oom(r->err);
	for (size_t k = 0; k < count; k++) {
		struct custody_proof_file_document *d =
			&f->publication_documents[k];
		const char *comma = memchr(w, ',', (size_t)(end - w));
		const char *stop = comma ? comma : end;
		const char *colon = memchr(w, ':', (size_t)(stop - w));

		f->npublication_documents = k + 1;
		if (stop - w == 1 && *w == '*') {
			d->is_this = 1;
			if (selves++)
				return bad(r, "a publication names the document "
					"twice");
		} else if (colon == NULL || read_index(w, (size_t)(colon - w),
		    &d->index) != 0) {
			return bad(r, "a publication's document is \"*\" or "
				"INDEX:SHA256");
		} else if (decode(r, colon + 1, (size_t)(stop - colon - 1),
		    d->sha256, 32, NULL, NULL, 0, "a document's SHA-256")
		    != 0) {
			return CUSTODY_EINVALID;
		}
		w = stop + 1;
	}
	return 0;
}

static int read_publication(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	static const char usage[] = "a publication is \"publication INDEX "
		"TIME SALT PRIVATE PUBLISHED LINES DOCUMENTS\"";
	const char *w[7];
	size_t n[7];

	for (int i = 0; i < 7; i++)
		if (word(&p, end, &w[i], &n[i]) != 0 || n[i] == 0 ||
		    (i < 6 && w[i] + n[i] == end))
			return bad(r, usage);
	if (w[6] + n[6] != end)
		return bad(r, usage);
	f->has_publication = 1;
	if (read_index(w[0], n[0], &f->publication_index) != 0)
		return bad(r, "the publication's index is not a number");
	if (read_time(w[1], n[1], f->publication_time) != 0 ||
	    read_time(w[4], n[4], f->publication_published) != 0)
		return bad(r, "a publication's times are "
			"\"YYYY-MM-DDTHH:MM:SSZ\"");
	if (decode(r, w[2], n[2], f->publication_salt, 32, NULL, NULL, 0,
	    "the publication's salt") != 0 ||
	    decode(r, w[3], n[3], f->publication_private, 32, NULL, NULL, 0,
	    "the publication's commitment") != 0 ||
	    decode(r, w[5], n[5], NULL, 0, &f->publication_lines,
	    &f->publication_lines_len, CUSTODY_ENTRY_MAX_BYTES,
	    "the publication's lines") != 0)
		return CUSTODY_EINVALID;
	if (f->publication_lines_len < 6 || memcmp(f->publication_lines,
	    "url: ", 5) != 0 ||
	    f->publication_lines[f->publication_lines_len - 1] != '\n')
		return bad(r, "the publication's lines are not its url line "
			"(and title line)");
	return read_documents(r, f, w[6], n[6]);
}

/* A pair proof's hashes, 32 bytes each, end to end; `what` names it
 * ("the publication path"). */
static int read_hashes(struct reader *r, const char *p, const char *end,
	unsigned char (*hashes)[32], size_t *count, const char *what)
{
	unsigned char *all = NULL;
	size_t len = 0;
	char msg[80];
	int rc;

	if ((rc = decode(r, p, (size_t)(end - p), NULL, 0, &all, &len,
	    CUSTODY_MERKLE_MAX_PROOF * 32, what)) != 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s is not whole hashes", what);
	if (len == 0 || len % 32 != 0)
		rc = bad(r, msg);
	else
		memcpy(hashes, all, len);
	*count = rc == 0 ? len / 32 : 0;
	free(all);
	return rc;
}

static int read_path(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	if (!f->has_publication)
		return bad(r, "a publication path without a publication");
	return read_hashes(r, p, end, f->publication_hashes,
		&f->npublication_hashes, "the publication path");
}

static int read_dkim_path(struct reader *r, struct custody_proof_file *f,
	const char *p, const char *end)
{
	if (f->dkim == NULL)
		return bad(r, "a dkim path without a dkim entry");
	return read_hashes(r, p, end, f->dkim_hashes, &f->ndkim_hashes,
		"the dkim path");
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
	/* in order; only commitments, disclosures and log keys repeat */
	if (k < *last || (k == *last && (k == K_TIMESTAMP ||
	    k == K_PUBLICATION || k == K_PUBLICATION_PATH || k == K_DKIM ||
	    k == K_DKIM_PATH)))
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
	case K_PUBLICATION_PATH:
		return read_path(r, f, p, end);
	case K_DKIM:
		return decode(r, p, (size_t)(end - p), NULL, 0, &f->dkim,
			&f->dkim_len, CUSTODY_ENTRY_MAX_BYTES, "the dkim entry");
	case K_DKIM_PATH:
		return read_dkim_path(r, f, p, end);
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
	/* a proof saved on Windows: say so, rather than "not a proof" */
	if (len >= sizeof(CUSTODY_PROOF_V3) && memcmp(text,
	    CUSTODY_PROOF_V3, sizeof(CUSTODY_PROOF_V3) - 2) == 0 &&
	    memcmp(text + sizeof(CUSTODY_PROOF_V3) - 2, "\r\n", 2) == 0)
		return custody__error(err, CUSTODY_EINVALID, "the proof has "
			"CRLF (Windows) line endings, from line 1; custody "
			"writes LF only, and what is signed is those exact "
			"bytes: convert it back (dos2unix) and check again");
	if (len < sizeof(CUSTODY_PROOF_V3) - 1 || memcmp(text,
	    CUSTODY_PROOF_V3, sizeof(CUSTODY_PROOF_V3) - 1) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the proof does "
			"not start with \"custody-proof/v3\" (not a custody "
			"proof file of this version)");
	r.p += sizeof(CUSTODY_PROOF_V3) - 1;
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
	int bad_write = custody_buf__append(b, CUSTODY_PROOF_V3,
		sizeof(CUSTODY_PROOF_V3) - 1) != 0;

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
	if (f->has_publication) {
		bad_write |= custody_buf__printf(b, "publication %" PRIu64
			" %s ", f->publication_index, f->publication_time) ||
			put_b64(b, f->publication_salt, 32) ||
			custody_buf__printf(b, " ") ||
			put_b64(b, f->publication_private, 32) ||
			custody_buf__printf(b, " %s ",
			f->publication_published) ||
			put_b64(b, f->publication_lines,
			f->publication_lines_len) ||
			custody_buf__printf(b, " ");
		for (size_t i = 0; i < f->npublication_documents; i++) {
			const struct custody_proof_file_document *d =
				&f->publication_documents[i];

			bad_write |= (i > 0 && custody_buf__printf(b, ","));
			bad_write |= d->is_this ? custody_buf__printf(b, "*") :
				custody_buf__printf(b, "%" PRIu64 ":",
				d->index) || put_b64(b, d->sha256, 32);
		}
		bad_write |= custody_buf__printf(b, "\n");
	}
	if (f->npublication_hashes > 0)
		bad_write |= custody_buf__printf(b, "publication-path ") ||
			put_b64(b, f->publication_hashes,
			32 * f->npublication_hashes) ||
			custody_buf__printf(b, "\n");
	if (f->dkim != NULL)
		bad_write |= custody_buf__printf(b, "dkim ") ||
			put_b64(b, f->dkim, f->dkim_len) ||
			custody_buf__printf(b, "\n");
	if (f->dkim != NULL && f->ndkim_hashes > 0)
		bad_write |= custody_buf__printf(b, "dkim-path ") ||
			put_b64(b, f->dkim_hashes, 32 * f->ndkim_hashes) ||
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
	free(f->publication_lines);
	free(f->publication_documents);
	free(f->dkim);
	for (size_t i = 0; i < f->nlog_keys; i++)
		free(f->log_keys[i]);
	memset(f, 0, sizeof(*f));
}

/* The public part's lines before the url line, and from the published
 * line to the end, as custody's emitter writes a publish entry. */
static int entry_head(const struct custody_proof_file *f, custody_buf *b)
{
	char salt[65];

	custody_hex(salt, f->publication_salt, 32);
	return custody_buf__printf(b, "custody-entry: %d\nindex: %" PRIu64
		"\ntype: \"publish\"\ntime: \"%s\"\nsalt: \"%s\"\n",
		CUSTODY_ENTRY_FORMAT, f->publication_index,
		f->publication_time, salt);
}

static int entry_tail(const struct custody_proof_file *f, uint64_t index,
	const char *sha256, custody_buf *b)
{
	char hex[65];
	int bad_write = custody_buf__printf(b, "published: \"%s\"\n"
		"documents:\n", f->publication_published);

	for (size_t i = 0; i < f->npublication_documents; i++) {
		const struct custody_proof_file_document *d =
			&f->publication_documents[i];

		if (!d->is_this)
			custody_hex(hex, d->sha256, 32);
		bad_write |= custody_buf__printf(b, "- index: %" PRIu64
			"\n  sha256: \"%s\"\n", d->is_this ? index : d->index,
			d->is_this ? sha256 : hex);
	}
	custody_hex(hex, f->publication_private, 32);
	return bad_write | custody_buf__printf(b, "private: \"%s\"\n", hex);
}

int custody_proof_file__publication_entry(
	const struct custody_proof_file *f, uint64_t index,
	const char *sha256, custody_buf *out, custody_error **err)
{
	if (entry_head(f, out) != 0 || custody_buf__append(out,
	    f->publication_lines, f->publication_lines_len) != 0 ||
	    entry_tail(f, index, sha256, out) != 0) {
		custody_buf_dispose(out);
		return custody__oom(err);
	}
	return 0;
}

int custody_proof_file__pack_publication(struct custody_proof_file *f,
	uint64_t publication_index, const unsigned char *bytes, size_t len,
	uint64_t index, const char *sha256, custody_error **err)
{
	custody_buf head = CUSTODY_BUF_INIT, tail = CUSTODY_BUF_INIT;
	struct custody_entry *e = NULL;
	const unsigned char *lines;
	size_t nlines;
	int rc;

	if ((rc = custody_entry__parse(&e, (const char *)bytes, len,
	    "the publication entry", err)) != 0)
		return rc;
	rc = CUSTODY_EINVALID;
	if (e->type != CUSTODY_ENTRY_PUBLISH || e->index != publication_index ||
	    strlen(e->time) != 20 || strlen(e->published) != 20 ||
	    custody_unhex(f->publication_salt, e->salt, 32) != 0 ||
	    custody_unhex(f->publication_private, e->private_commitment, 32)
	    != 0)
		goto done;
	f->publication_index = e->index;
	memcpy(f->publication_time, e->time, 21);
	memcpy(f->publication_published, e->published, 21);
	if ((f->publication_documents = calloc(e->ndocuments,
	    sizeof(*f->publication_documents))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	f->npublication_documents = e->ndocuments;
	for (size_t i = 0; i < e->ndocuments; i++) {
		struct custody_proof_file_document *d =
			&f->publication_documents[i];

		d->index = e->documents[i].index;
		d->is_this = d->index == index &&
			strcmp(e->documents[i].sha256, sha256) == 0;
		if (custody_unhex(d->sha256, e->documents[i].sha256, 32) != 0)
			goto done;
	}
	if (entry_head(f, &head) != 0 || entry_tail(f, index, sha256, &tail)
	    != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if (len < head.size + tail.size + 6 ||
	    memcmp(bytes, head.ptr, head.size) != 0 ||
	    memcmp(bytes + len - tail.size, tail.ptr, tail.size) != 0)
		goto done;
	lines = bytes + head.size;
	nlines = len - head.size - tail.size;
	if (memcmp(lines, "url: ", 5) != 0 || lines[nlines - 1] != '\n')
		goto done;
	if ((f->publication_lines = malloc(nlines)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	memcpy(f->publication_lines, lines, nlines);
	f->publication_lines_len = nlines;
	f->has_publication = 1;
	rc = 0;
done:
	if (rc == CUSTODY_EINVALID)
		custody__error(err, rc, "publish entry %" PRIu64 " is not laid "
			"out as custody writes one: a proof cannot carry it",
			publication_index);
	if (rc != 0) {
		free(f->publication_documents);
		f->publication_documents = NULL;
		f->npublication_documents = 0;
	}
	custody_buf_dispose(&head);
	custody_buf_dispose(&tail);
	custody_entry__free(e);
	return rc;
}
