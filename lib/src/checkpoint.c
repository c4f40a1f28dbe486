/*
 * C2SP checkpoints and the tlog-proof files that carry them. The formats
 * nest (a proof carries a signed note, whose text is a checkpoint), so
 * the parsers take the name of the outer input and the line its bytes
 * start on: an error deep inside a proof still names the proof's line.
 */
#include "checkpoint.h"
#include "base64.h"
#include "common.h"
#include "fsutil.h"
#include "note.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"
#define HASH_B64_LEN CUSTODY_BASE64_LEN(32)
/* 44 base64 characters without padding decode to 33 bytes: a hash line
 * is decoded into this much room, then its length checked. */
#define HASH_DECODE_ROOM (HASH_B64_LEN / 4 * 3)

/*
 * Why `digits` is not a canonical decimal below 2^63, or NULL (then
 * *out holds the value).
 */
static const char *decimal_problem(const char *digits, size_t len,
	uint64_t *out)
{
	uint64_t value = 0;

	*out = 0;
	if (len == 0)
		return "is empty";
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (digits[i] < '0' || digits[i] > '9')
			return "is not a decimal number";
		d = (unsigned)(digits[i] - '0');
		if (value > ((uint64_t)INT64_MAX - d) / 10)
			return "is 2^63 or more";
		value = value * 10 + d;
	}
	if (len > 1 && digits[0] == '0')
		return "has a leading zero";
	*out = value;
	return NULL;
}

/* ---- checkpoints ---- */

static int parse_checkpoint(struct custody_checkpoint *out, const char *text,
	size_t len, const char *what, size_t first_line, custody_error **err)
{
	unsigned char root[HASH_DECODE_ROOM];
	const char *line = NULL, *problem;
	size_t pos = 0, line_len = 0, root_len, number = first_line;
	int got;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: no origin line", what, number);
	if (text[len - 1] != '\n')
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the last line does not end with a "
			"newline", what,
			first_line + custody_note__count_lines(text, len));
	if (custody_note__check_text(text, len, what, first_line, err) != 0)
		return CUSTODY_EINVALID;

	custody_note__take_line(text, len, &pos, &line, &line_len);
	if (line_len == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the origin is empty", what, number);
	if (line_len > CUSTODY_NOTE_NAME_MAX)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the origin is longer than %d bytes",
			what, number, CUSTODY_NOTE_NAME_MAX);
	memcpy(out->origin, line, line_len);

	number++;
	if (custody_note__take_line(text, len, &pos, &line, &line_len) != 1) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: no tree size line", what, number);
	}
	if ((problem = decimal_problem(line, line_len, &out->size)) != NULL) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the tree size %s", what, number,
			problem);
	}

	number++;
	if (custody_note__take_line(text, len, &pos, &line, &line_len) != 1) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: no root hash line", what, number);
	}
	if (line_len != HASH_B64_LEN ||
	    custody_base64_decode(root, &root_len, line, line_len) != 0 ||
	    root_len != 32) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the root hash is not 32 bytes of "
			"canonical base64", what, number);
	}
	memcpy(out->root, root, 32);

	while ((got = custody_note__take_line(text, len, &pos, &line,
	    &line_len)) == 1) {
		number++;
		if (line_len == 0) {
			memset(out, 0, sizeof(*out));
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: an extension line is empty",
				what, number);
		}
		out->extension_lines++;
	}
	return 0;
}

int custody_checkpoint__parse(struct custody_checkpoint *out,
	const char *text, size_t len, custody_error **err)
{
	return parse_checkpoint(out, text, len, "checkpoint", 1, err);
}

int custody_checkpoint__format(const struct custody_checkpoint *c,
	custody_buf *out, custody_error **err)
{
	size_t origin_len = strnlen(c->origin, sizeof(c->origin));
	size_t old_size = out->size;

	if (origin_len == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"checkpoint: the origin is empty");
	if (origin_len == sizeof(c->origin))
		return custody__error(err, CUSTODY_EINVALID,
			"checkpoint: the origin is longer than %d bytes",
			CUSTODY_NOTE_NAME_MAX);
	if (custody_note__check_text(c->origin, origin_len, "checkpoint", 1,
	    err) != 0)
		return CUSTODY_EINVALID;
	if (memchr(c->origin, '\n', origin_len) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"checkpoint: the origin holds a newline");
	if (c->size > (uint64_t)INT64_MAX)
		return custody__error(err, CUSTODY_EINVALID,
			"checkpoint: the tree size is 2^63 or more");
	if (custody_buf__printf(out, "%s\n%" PRIu64 "\n", c->origin,
	    c->size) != 0 ||
	    custody_base64__append(out, c->root, 32) != 0 ||
	    custody_buf__append(out, "\n", 1) != 0) {
		if (out->ptr != NULL) {
			out->size = old_size;
			out->ptr[old_size] = '\0';
		}
		return custody__oom(err);
	}
	return 0;
}

/* ---- tlog-proof files ---- */

void custody_tlog_proof__clear(struct custody_tlog_proof *p)
{
	if (p == NULL)
		return;
	free(p->extra);
	free(p->hashes);
	free(p->checkpoint);
	memset(p, 0, sizeof(*p));
}

/* A well-formed signed checkpoint, whose first line is line `first_line`
 * of `what`. */
static int check_signed_checkpoint(const char *note, size_t len,
	const char *what, size_t first_line, custody_error **err)
{
	struct custody_checkpoint c;
	size_t text_len;

	if (custody_note__split_in(note, len, what, first_line, &text_len,
	    err) != 0)
		return CUSTODY_EINVALID;
	return parse_checkpoint(&c, note, text_len, what, first_line, err);
}

static int parse_proof(struct custody_tlog_proof *out, const char *text,
	size_t len, custody_error **err)
{
	unsigned char hash[HASH_DECODE_ROOM];
	const char *line = NULL, *problem;
	size_t pos = 0, line_len = 0, number = 1, decoded;
	int got;

	if (len > CUSTODY_TLOG_PROOF_MAX_SIZE)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof: "
			"%zu bytes is more than the %d a proof may have", len,
			CUSTODY_TLOG_PROOF_MAX_SIZE);
	if (custody_note__take_line(text, len, &pos, &line, &line_len) != 1 ||
	    line_len != strlen(PROOF_HEADER) ||
	    memcmp(line, PROOF_HEADER, line_len) != 0)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof "
			"line 1: not a tlog proof (the first line must be \""
			PROOF_HEADER "\")");

	number++;
	got = custody_note__take_line(text, len, &pos, &line, &line_len);
	if (got == 1 && line_len >= 6 && memcmp(line, "extra ", 6) == 0) {
		const char *b64 = line + 6;
		size_t b64_len = line_len - 6;

		if (b64_len > CUSTODY_BASE64_LEN(CUSTODY_TLOG_PROOF_MAX_EXTRA))
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: the extra data is more "
				"than %d bytes", number,
				CUSTODY_TLOG_PROOF_MAX_EXTRA);
		if ((out->extra = malloc(b64_len / 4 * 3 + 1)) == NULL)
			return custody__oom(err);
		if (custody_base64_decode(out->extra, &out->extra_len, b64,
		    b64_len) != 0)
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: the extra data is not "
				"canonical base64", number);
		if (out->extra_len > CUSTODY_TLOG_PROOF_MAX_EXTRA)
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: the extra data is more "
				"than %d bytes", number,
				CUSTODY_TLOG_PROOF_MAX_EXTRA);
		out->has_extra = 1;
		number++;
		got = custody_note__take_line(text, len, &pos, &line,
			&line_len);
	}
	if (got != 1 || line_len < 6 || memcmp(line, "index ", 6) != 0)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof line "
			"%zu: expected \"index <N>\"", number);
	if ((problem = decimal_problem(line + 6, line_len - 6, &out->index))
	    != NULL)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof line "
			"%zu: the index %s", number, problem);

	for (;;) {
		number++;
		if (custody_note__take_line(text, len, &pos, &line, &line_len)
		    != 1)
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: no empty line before "
				"the checkpoint", number);
		if (line_len == 0)
			break;
		if (out->nhashes == CUSTODY_TLOG_PROOF_MAX_HASHES)
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: more than %d proof "
				"hashes", number,
				CUSTODY_TLOG_PROOF_MAX_HASHES);
		if (out->hashes == NULL && (out->hashes = malloc(
		    CUSTODY_TLOG_PROOF_MAX_HASHES * sizeof(*out->hashes)))
		    == NULL)
			return custody__oom(err);
		if (line_len != HASH_B64_LEN || custody_base64_decode(hash,
		    &decoded, line, line_len) != 0 || decoded != 32)
			return custody__error(err, CUSTODY_EINVALID,
				"tlog-proof line %zu: a proof hash must be 32 "
				"bytes of canonical base64", number);
		memcpy(out->hashes[out->nhashes++], hash, 32);
	}

	number++;
	if (pos == len)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof line "
			"%zu: no checkpoint after the empty line", number);
	if (check_signed_checkpoint(text + pos, len - pos, "tlog-proof",
	    number, err) != 0)
		return CUSTODY_EINVALID;
	out->checkpoint_len = len - pos;
	if ((out->checkpoint = malloc(out->checkpoint_len + 1)) == NULL)
		return custody__oom(err);
	memcpy(out->checkpoint, text + pos, out->checkpoint_len);
	out->checkpoint[out->checkpoint_len] = '\0';
	return 0;
}

int custody_tlog_proof__parse(struct custody_tlog_proof *out,
	const char *text, size_t len, custody_error **err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_proof(out, text, len, err);
	if (rc != 0)
		custody_tlog_proof__clear(out);
	return rc;
}

static int append_proof(custody_buf *proof, const struct custody_tlog_proof *p)
{
	if (custody_buf__append(proof, PROOF_HEADER "\n",
	    strlen(PROOF_HEADER) + 1) != 0)
		return CUSTODY_ENOMEM;
	if (p->has_extra && (custody_buf__append(proof, "extra ", 6) != 0 ||
	    custody_base64__append(proof, p->extra, p->extra_len) != 0 ||
	    custody_buf__append(proof, "\n", 1) != 0))
		return CUSTODY_ENOMEM;
	if (custody_buf__printf(proof, "index %" PRIu64 "\n", p->index) != 0)
		return CUSTODY_ENOMEM;
	for (size_t i = 0; i < p->nhashes; i++)
		if (custody_base64__append(proof, p->hashes[i], 32) != 0 ||
		    custody_buf__append(proof, "\n", 1) != 0)
			return CUSTODY_ENOMEM;
	if (custody_buf__append(proof, "\n", 1) != 0 ||
	    custody_buf__append(proof, p->checkpoint, p->checkpoint_len) != 0)
		return CUSTODY_ENOMEM;
	return 0;
}

int custody_tlog_proof__format(const struct custody_tlog_proof *p,
	custody_buf *out, custody_error **err)
{
	custody_buf proof = CUSTODY_BUF_INIT;
	int rc;

	assert(p->nhashes == 0 || p->hashes != NULL);
	assert(!p->has_extra || p->extra_len == 0 || p->extra != NULL);
	if (p->nhashes > CUSTODY_TLOG_PROOF_MAX_HASHES)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof: "
			"%zu proof hashes, more than %d", p->nhashes,
			CUSTODY_TLOG_PROOF_MAX_HASHES);
	if (p->has_extra && p->extra_len > CUSTODY_TLOG_PROOF_MAX_EXTRA)
		return custody__error(err, CUSTODY_EINVALID, "tlog-proof: "
			"the extra data is more than %d bytes",
			CUSTODY_TLOG_PROOF_MAX_EXTRA);
	if (p->index > (uint64_t)INT64_MAX)
		return custody__error(err, CUSTODY_EINVALID,
			"tlog-proof: the index is 2^63 or more");
	if (p->checkpoint == NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"tlog-proof: no checkpoint");
	if (check_signed_checkpoint(p->checkpoint, p->checkpoint_len,
	    "checkpoint", 1, err) != 0)
		return CUSTODY_EINVALID;

	if (append_proof(&proof, p) != 0)
		rc = custody__oom(err);
	else if (proof.size > CUSTODY_TLOG_PROOF_MAX_SIZE)
		rc = custody__error(err, CUSTODY_EINVALID, "tlog-proof: "
			"%zu bytes is more than the %d a proof may have",
			proof.size, CUSTODY_TLOG_PROOF_MAX_SIZE);
	else if (custody_buf__append(out, proof.ptr, proof.size) != 0)
		rc = custody__oom(err);
	else
		rc = 0;
	custody_buf_dispose(&proof);
	return rc;
}
