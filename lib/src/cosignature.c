/*
 * cosignature/v1 (c2sp.org/tlog-cosignature) with Ed25519. The signed
 * message puts a fixed header and the timestamp before the checkpoint
 * text, so a cosignature can never be mistaken for the log's own note
 * signature over the same text (and the key id's type byte, 0x04, keeps
 * the two key kinds apart on the signature line too).
 */
#include "cosignature.h"
#include "base64.h"
#include "checkpoint.h"
#include "common.h"
#include "ed25519.h"
#include "fsutil.h"
#include "key.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>

#define EM_DASH_SPACE "\xe2\x80\x94 "
#define HEADER "cosignature/v1\n"

static const char *name_check(const char *name, size_t len)
{
	const char *problem = custody_note__name_problem(name, len);

	if (problem == NULL && len > CUSTODY_NOTE_NAME_MAX)
		problem = "is longer than 255 bytes";
	return problem;
}

int custody_cosig__verifier_from_key(struct custody_cosig_verifier *out,
	const char *name, const unsigned char pub[32], custody_error **err)
{
	size_t len = strlen(name);
	const char *problem = name_check(name, len);

	memset(out, 0, sizeof(*out));
	if (problem != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"witness key: the name %s", problem);
	if ((problem = custody_ed25519__public_key_problem(pub)) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"witness key: the public key %s", problem);
	memcpy(out->name, name, len);
	memcpy(out->pub, pub, 32);
	custody_ed25519__note_key_id(out->name, CUSTODY_NOTE_KEY_COSIGNATURE,
		out->pub, out->key_id);
	return 0;
}

int custody_cosig__verifier_from_vkey(struct custody_cosig_verifier *out,
	const char *vkey, size_t len, custody_error **err)
{
	unsigned char id[4], body[CUSTODY_BASE64_LEN(33) / 4 * 3];
	const char *plus, *rest, *problem;
	size_t name_len, rest_len, body_len;
	char name[CUSTODY_NOTE_NAME_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (len > 0 && vkey[len - 1] == '\n')
		len--;
	plus = memchr(vkey, '+', len);
	name_len = plus != NULL ? (size_t)(plus - vkey) : len;
	if ((problem = name_check(vkey, name_len)) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"witness key: the key name %s", problem);
	if (plus == NULL)
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"not of the form <name>+<key id>+<key>");
	rest = plus + 1;
	rest_len = len - name_len - 1;
	if (rest_len < 9 || rest[8] != '+' || custody_unhex(id, rest, 4) != 0)
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"no 8-digit lowercase hex key id after the name");
	rest += 9;
	rest_len -= 9;
	if (rest_len != CUSTODY_BASE64_LEN(33) ||
	    custody_base64_decode(body, &body_len, rest, rest_len) != 0 ||
	    body_len != 33)
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"not canonical base64 of a key type and 32 bytes");
	if (body[0] == CUSTODY_NOTE_KEY_ED25519)
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"of type 0x01, a log's note key: a witness cosigns "
			"with type 0x04 (cosignature/v1)");
	if (body[0] != CUSTODY_NOTE_KEY_COSIGNATURE)
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"of type 0x%02x, not 0x04 (an Ed25519 cosignature/v1 "
			"key)", body[0]);
	memcpy(name, vkey, name_len);
	name[name_len] = '\0';
	if (custody_cosig__verifier_from_key(out, name, body + 1, err) != 0)
		return CUSTODY_EINVALID;
	if (CRYPTO_memcmp(out->key_id, id, 4) != 0) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID, "witness key: "
			"the key id %.8s does not match the name and key",
			plus + 1);
	}
	return 0;
}

int custody_cosig__vkey(custody_buf *out, const char *name,
	const custody_key *key, custody_error **err)
{
	const unsigned char *pub = custody_pubkey_raw(custody_key_public(key));
	unsigned char body[33], id[4];
	char b64[CUSTODY_BASE64_LEN(33) + 1], hex[9];
	const char *problem = name_check(name, strlen(name));

	if (problem != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"witness name: the name %s", problem);
	body[0] = CUSTODY_NOTE_KEY_COSIGNATURE;
	memcpy(body + 1, pub, 32);
	custody_ed25519__note_key_id(name, CUSTODY_NOTE_KEY_COSIGNATURE, pub,
		id);
	custody_hex(hex, id, 4);
	custody_base64_encode(b64, body, sizeof(body));
	if (custody_buf__printf(out, "%s+%s+%s", name, hex, b64) != 0)
		return custody__oom(err);
	return 0;
}

int custody_cosig__message(custody_buf *out, const char *text, size_t len,
	uint64_t timestamp, custody_error **err)
{
	size_t old_size = out->size;

	if (custody_buf__printf(out, HEADER "time %" PRIu64 "\n",
	    timestamp) != 0 || custody_buf__append(out, text, len) != 0) {
		if (out->ptr != NULL) {
			out->size = old_size;
			out->ptr[old_size] = '\0';
		}
		return custody__oom(err);
	}
	return 0;
}

int custody_cosig__sign(custody_buf *out, const char *text, size_t len,
	const char *name, const custody_key *key, uint64_t timestamp,
	custody_error **err)
{
	unsigned char sig[4 + CUSTODY_COSIG_SIGNATURE_BYTES];
	char b64[CUSTODY_BASE64_LEN(sizeof(sig)) + 1];
	struct custody_checkpoint checkpoint;
	custody_buf message = CUSTODY_BUF_INIT;
	const char *problem = name_check(name, strlen(name));
	size_t old_size = out->size;
	int rc;

	if (problem != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"witness name: the name %s", problem);
	if (timestamp == 0 || timestamp > CUSTODY_COSIG_MAX_TIMESTAMP)
		return custody__error(err, CUSTODY_EINVALID, "cosignature: "
			"the timestamp %" PRIu64 " is not between 1 and "
			"2^63 - 1", timestamp);
	/* a cosignature states that this checkpoint was checked: refuse
	 * to make one over anything else */
	if ((rc = custody_checkpoint__parse(&checkpoint, text, len, err)) != 0)
		return rc;
	if ((rc = custody_key_wait(key, err)) != 0)
		return rc;
	if ((rc = custody_cosig__message(&message, text, len, timestamp,
	    err)) != 0)
		return rc;
	custody_ed25519__note_key_id(name, CUSTODY_NOTE_KEY_COSIGNATURE,
		custody_pubkey_raw(custody_key_public(key)), sig);
	for (int i = 0; i < 8; i++)
		sig[4 + i] = (unsigned char)(timestamp >> (56 - 8 * i));
	rc = custody_ed25519__sign(custody_key__pkey(key), message.ptr,
		message.size, sig + 12, err);
	custody_buf_dispose(&message);
	if (rc != 0)
		return rc;
	custody_base64_encode(b64, sig, sizeof(sig));
	if (custody_buf__printf(out, EM_DASH_SPACE "%s %s\n", name, b64) != 0) {
		if (out->ptr != NULL) {
			out->size = old_size;
			out->ptr[old_size] = '\0';
		}
		return custody__oom(err);
	}
	return 0;
}

int custody_cosig__verify_line(const struct custody_cosig_verifier *v,
	const char *text, size_t len, const struct custody_note_signature *sig,
	uint64_t *timestamp_out, custody_error **err)
{
	custody_buf message = CUSTODY_BUF_INIT;
	uint64_t timestamp = 0;
	int ok, rc;

	if (sig->name_len != strlen(v->name) ||
	    memcmp(sig->name, v->name, sig->name_len) != 0 ||
	    CRYPTO_memcmp(sig->key_id, v->key_id, 4) != 0)
		return 1;
	if (sig->sig_len != CUSTODY_COSIG_SIGNATURE_BYTES)
		return custody__error(err, CUSTODY_EVERIFY, "note line %zu: "
			"the cosignature by %s is %zu bytes, not %d",
			sig->line, v->name, sig->sig_len,
			CUSTODY_COSIG_SIGNATURE_BYTES);
	for (int i = 0; i < 8; i++)
		timestamp = timestamp << 8 | sig->sig[i];
	if (timestamp > CUSTODY_COSIG_MAX_TIMESTAMP)
		return custody__error(err, CUSTODY_EVERIFY, "note line %zu: "
			"the cosignature by %s has a timestamp above 2^63 - 1",
			sig->line, v->name);
	if ((rc = custody_cosig__message(&message, text, len, timestamp,
	    err)) != 0)
		return rc;
	ok = custody_ed25519__verify(v->pub, message.ptr, message.size,
		sig->sig + 8);
	custody_buf_dispose(&message);
	if (!ok)
		return custody__error(err, CUSTODY_EVERIFY, "note line %zu: "
			"the cosignature by %s does not verify", sig->line,
			v->name);
	if (timestamp_out != NULL)
		*timestamp_out = timestamp;
	return 0;
}

/* Where a signature line of `note` is, "\n" included: its name points
 * into the note, after the em dash and the space. */
static void line_of(const char *note,
	const struct custody_note_signature *sig,
	size_t *start, size_t *len)
{
	const char *p = sig->name - (sizeof(EM_DASH_SPACE) - 1);

	*start = (size_t)(p - note);
	*len = strcspn(p, "\n") + 1;
}

struct find {
	const struct custody_cosig_verifier *v;
	const char *text;
	size_t text_len;
	const char *note;
	int found;                 /* 1 valid, -1 a bad line by v */
	uint64_t timestamp;
	size_t line_start, line_len;
	custody_error **err;
};

static int on_line(const struct custody_note_signature *sig, void *payload)
{
	struct find *f = payload;
	uint64_t ts;
	int rc;

	if (f->found != 0)
		return 0;
	rc = custody_cosig__verify_line(f->v, f->text, f->text_len, sig, &ts,
		f->err);
	if (rc == 1)
		return 0;
	if (rc != 0) {
		f->found = -1;
		return rc;
	}
	f->found = 1;
	f->timestamp = ts;
	line_of(f->note, sig, &f->line_start, &f->line_len);
	return 0;
}

int custody_cosig__find(const char *note, size_t len, size_t text_len,
	const struct custody_cosig_verifier *v, uint64_t *timestamp_out,
	size_t *line_start, size_t *line_len, custody_error **err)
{
	struct find f;
	int rc;

	if (len == 0 || note[len - 1] != '\n' || memchr(note, '\0', len) !=
	    NULL)
		return custody__error(err, CUSTODY_EINVALID, "note: not "
			"whole lines of text");
	memset(&f, 0, sizeof(f));
	f.v = v;
	f.text = note;
	f.text_len = text_len;
	f.note = note;
	f.err = err;
	rc = custody_note__signatures(note, len, on_line, &f, err);
	if (rc != 0)
		return rc;
	if (f.found != 1)
		return 1;
	if (timestamp_out != NULL)
		*timestamp_out = f.timestamp;
	if (line_start != NULL)
		*line_start = f.line_start;
	if (line_len != NULL)
		*line_len = f.line_len;
	return 0;
}

struct strip {
	const char *note;
	size_t keep;               /* bytes up to the last non-cosignature */
};

static int on_strip_line(const struct custody_note_signature *sig,
	void *payload)
{
	struct strip *s = payload;

	size_t start, len;

	if (sig->sig_len != CUSTODY_COSIG_SIGNATURE_BYTES) {
		line_of(s->note, sig, &start, &len);
		s->keep = start + len;
	}
	return 0;
}

size_t custody_cosig__strip(const char *note, size_t len)
{
	struct strip s;

	if (len == 0 || note[len - 1] != '\n' || memchr(note, '\0', len) !=
	    NULL)
		return len;
	s.note = note;
	s.keep = 0;
	if (custody_note__signatures(note, len, on_strip_line, &s, NULL) != 0 ||
	    s.keep == 0)
		return len;
	return s.keep;
}
