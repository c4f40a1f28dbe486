/*
 * cosignature/v1 (cosignature.c) against the C2SP text's own example and
 * against vectors computed independently in Python (data/cosignature,
 * see its SOURCES.md). Runs from tests/, as meson does.
 */
#include "cosignature.h"
#include "base64.h"
#include "fsutil.h"
#include "key.h"
#include "note.h"
#include "fixture.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DATA "data/cosignature/"
#define EM_DASH "\xe2\x80\x94"

/* ---- the generated vectors ---- */

struct vector {
	char name[256];
	unsigned char seed[32];
	unsigned char pub[32];
	unsigned char key_id[4];
	char vkey[512];
	uint64_t timestamp;
	unsigned char timestamp_bytes[8];
	char checkpoint[512];
	size_t checkpoint_len;
	char message[1024];
	size_t message_len;
	char line[512];   /* with its "\n" */
};

#define MAX_VECTORS 8

static int decode_b64(char *out, size_t room, size_t *len, const char *b64)
{
	unsigned char buf[1024];

	if (strlen(b64) / 4 * 3 > sizeof(buf) ||
	    custody_base64_decode(buf, len, b64, strlen(b64)) != 0 ||
	    *len >= room)
		return -1;
	memcpy(out, buf, *len);
	out[*len] = '\0';
	return 0;
}

/* Parse generated.txt; the number of vectors, or -1. */
static int load_vectors(struct vector *v, int max)
{
	size_t len;
	char *text = read_file(DATA "generated.txt", &len), *save = NULL;
	int n = 0, bad = 0;

	CHECK(text != NULL);
	if (text == NULL)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');
		struct vector *cur;

		if (value == NULL) {
			bad = 1;
			break;
		}
		*value++ = '\0';
		if (strcmp(line, "name") == 0) {
			if (n == max) {
				bad = 1;
				break;
			}
			memset(&v[n], 0, sizeof(v[n]));
			n++;
		}
		if (n == 0) {
			bad = 1;
			break;
		}
		cur = &v[n - 1];
		if (strcmp(line, "name") == 0)
			snprintf(cur->name, sizeof(cur->name), "%s", value);
		else if (strcmp(line, "seed") == 0)
			bad |= custody_unhex(cur->seed, value, 32);
		else if (strcmp(line, "public") == 0)
			bad |= custody_unhex(cur->pub, value, 32);
		else if (strcmp(line, "key_id") == 0)
			bad |= custody_unhex(cur->key_id, value, 4);
		else if (strcmp(line, "vkey") == 0)
			snprintf(cur->vkey, sizeof(cur->vkey), "%s", value);
		else if (strcmp(line, "timestamp") == 0)
			cur->timestamp = strtoull(value, NULL, 10);
		else if (strcmp(line, "timestamp_bytes") == 0)
			bad |= custody_unhex(cur->timestamp_bytes, value, 8);
		else if (strcmp(line, "checkpoint") == 0)
			bad |= decode_b64(cur->checkpoint,
				sizeof(cur->checkpoint), &cur->checkpoint_len,
				value);
		else if (strcmp(line, "message") == 0)
			bad |= decode_b64(cur->message, sizeof(cur->message),
				&cur->message_len, value);
		else if (strcmp(line, "line") == 0)
			snprintf(cur->line, sizeof(cur->line), "%s\n", value);
		else
			bad = 1;
	}
	free(text);
	CHECK(!bad);
	return bad ? -1 : n;
}

/* Verify the single cosignature line of text || "\n" || line with v. */
struct one_line {
	const struct custody_cosig_verifier *v;
	const char *text;
	size_t text_len;
	uint64_t timestamp;
	int result;
	custody_error *err;
	int calls;
};

static int check_line(const struct custody_note_signature *sig,
	void *payload)
{
	struct one_line *state = payload;

	state->calls++;
	state->result = custody_cosig__verify_line(state->v, state->text,
		state->text_len, sig, &state->timestamp, &state->err);
	return 0;
}

/* The result of verify_line over the note made of text and line. */
static int verify_note(const struct custody_cosig_verifier *v,
	const char *text, size_t text_len, const char *line,
	uint64_t *timestamp_out, custody_error **err)
{
	custody_buf note = CUSTODY_BUF_INIT;
	custody_error *parse_err = NULL;
	struct one_line state = { v, text, text_len, 0, -100, NULL, 0 };

	custody_buf__append(&note, text, text_len);
	custody_buf__printf(&note, "\n%s", line);
	CHECK_OK(custody_note__signatures(note.ptr, note.size, check_line,
		&state, &parse_err), parse_err);
	custody_buf_dispose(&note);
	CHECK_INT(state.calls, 1);
	*timestamp_out = state.timestamp;
	*err = state.err;
	return state.result;
}

static void test_cosig__generated_vectors_match(void)
{
	struct vector v[MAX_VECTORS];
	int n = load_vectors(v, MAX_VECTORS);

	CHECK(n >= 3);
	for (int i = 0; i < n; i++) {
		struct custody_cosig_verifier ver;
		custody_buf out = CUSTODY_BUF_INIT;
		custody_error *err = NULL;
		custody_key *key = NULL;
		uint64_t ts = 0;

		CHECK_OK(custody_key__from_seed(&key, v[i].seed, &err), err);
		if (key == NULL)
			continue;
		CHECK(memcmp(custody_pubkey_raw(custody_key_public(key)),
			v[i].pub, 32) == 0);
		/* the vkey, and the key id it carries */
		CHECK_OK(custody_cosig__vkey(&out, v[i].name, key, &err), err);
		CHECK_STR(out.ptr, v[i].vkey);
		custody_buf_dispose(&out);
		CHECK_OK(custody_cosig__verifier_from_vkey(&ver, v[i].vkey,
			strlen(v[i].vkey), &err), err);
		CHECK(memcmp(ver.key_id, v[i].key_id, 4) == 0);
		CHECK(memcmp(ver.pub, v[i].pub, 32) == 0);
		CHECK_STR(ver.name, v[i].name);
		/* the signed message, byte for byte */
		CHECK_OK(custody_cosig__message(&out, v[i].checkpoint,
			v[i].checkpoint_len, v[i].timestamp, &err), err);
		CHECK_INT(out.size, v[i].message_len);
		CHECK(out.size == v[i].message_len &&
			memcmp(out.ptr, v[i].message, out.size) == 0);
		custody_buf_dispose(&out);
		/* the line: key id, timestamp bytes, deterministic sig */
		CHECK_OK(custody_cosig__sign(&out, v[i].checkpoint,
			v[i].checkpoint_len, v[i].name, key, v[i].timestamp,
			&err), err);
		CHECK_STR(out.ptr, v[i].line);
		custody_buf_dispose(&out);
		/* and it verifies, giving back the timestamp */
		CHECK_INT(verify_note(&ver, v[i].checkpoint,
			v[i].checkpoint_len, v[i].line, &ts, &err), 0);
		CHECK(err == NULL);
		custody_error_free(err);
		err = NULL;
		CHECK(ts == v[i].timestamp);
		custody_key_free(key);
	}
}

/* The vectors' timestamp bytes are the big-endian encoding. */
static void test_cosig__timestamp_is_big_endian_after_key_id(void)
{
	struct vector v[MAX_VECTORS];
	int n = load_vectors(v, MAX_VECTORS);

	for (int i = 0; i < n; i++) {
		const char *b64 = strchr(v[i].line + strlen(EM_DASH) + 1,
			' ') + 1;
		unsigned char raw[80];
		size_t len;

		CHECK_INT(custody_base64_decode(raw, &len, b64,
			strlen(b64) - 1), 0);
		CHECK_INT(len, 76);
		CHECK(memcmp(raw, v[i].key_id, 4) == 0);
		CHECK(memcmp(raw + 4, v[i].timestamp_bytes, 8) == 0);
		for (int b = 0; b < 8; b++)
			CHECK_INT(raw[4 + b],
				(v[i].timestamp >> (56 - 8 * b)) & 0xff);
	}
}

/* ---- the C2SP text's example ---- */

struct find_line {
	const char *name;
	unsigned char key_id[4];
	unsigned char head[8];
	size_t sig_len;
	int found;
};

static int find_w1(const struct custody_note_signature *sig, void *payload)
{
	struct find_line *f = payload;

	if (sig->name_len == strlen(f->name) &&
	    memcmp(sig->name, f->name, sig->name_len) == 0) {
		memcpy(f->key_id, sig->key_id, 4);
		memcpy(f->head, sig->sig, 8);
		f->sig_len = sig->sig_len;
		f->found++;
	}
	return 0;
}

static void test_cosig__c2sp_example_timestamp_and_message(void)
{
	struct find_line f = { "witness.example.com/w1", {0}, {0}, 0, 0 };
	static const unsigned char id[4] = { 0x8d, 0x66, 0xcf, 0x3f };
	custody_buf message = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t len, text_len, expected_len;
	char *note = read_file(DATA "c2sp-cosigned.note", &len);
	char *expected = read_file(DATA "c2sp-signed-message.txt",
		&expected_len);
	uint64_t ts = 0;

	CHECK(note != NULL && expected != NULL);
	if (note == NULL || expected == NULL)
		goto done;
	CHECK_OK(custody_note__signatures(note, len, find_w1, &f, &err), err);
	CHECK_INT(f.found, 1);
	CHECK_INT(f.sig_len, CUSTODY_COSIG_SIGNATURE_BYTES);
	CHECK(memcmp(f.key_id, id, 4) == 0);
	for (int i = 0; i < 8; i++)
		ts = ts << 8 | f.head[i];
	/* the spec's example message says "time 1679315147" */
	CHECK(ts == UINT64_C(1679315147));
	CHECK_OK(custody_note__split(note, len, &text_len, &err), err);
	CHECK_OK(custody_cosig__message(&message, note, text_len, ts, &err),
		err);
	CHECK_INT(message.size, expected_len);
	CHECK(message.size == expected_len &&
		memcmp(message.ptr, expected, expected_len) == 0);
done:
	custody_buf_dispose(&message);
	free(note);
	free(expected);
}

/* ---- refusals ---- */

static int first_vector(struct vector *v, custody_key **key,
	struct custody_cosig_verifier *ver)
{
	struct vector all[MAX_VECTORS];
	custody_error *err = NULL;

	if (load_vectors(all, MAX_VECTORS) < 1)
		return -1;
	*v = all[0];
	CHECK_OK(custody_key__from_seed(key, v->seed, &err), err);
	CHECK_OK(custody_cosig__verifier_from_vkey(ver, v->vkey,
		strlen(v->vkey), &err), err);
	return *key != NULL ? 0 : -1;
}

static void test_cosig__verify_line_ignores_other_signers(void)
{
	struct custody_cosig_verifier ver, other;
	custody_error *err = NULL;
	custody_key *key = NULL;
	struct vector v;
	uint64_t ts = 7;
	char *line;

	if (first_vector(&v, &key, &ver) != 0)
		return;
	/* another name, same key: not this witness */
	CHECK_OK(custody_cosig__verifier_from_key(&other, "witness.example/w2",
		v.pub, &err), err);
	CHECK_INT(verify_note(&other, v.checkpoint, v.checkpoint_len, v.line,
		&ts, &err), 1);
	CHECK(err == NULL);
	/* the log's own signature line (type 0x01 key id) is not ours */
	line = strdup(v.line);
	line[strlen(EM_DASH) + 1] = 'X'; /* "Xitness.example/w1" */
	CHECK_INT(verify_note(&ver, v.checkpoint, v.checkpoint_len, line,
		&ts, &err), 1);
	CHECK(err == NULL);
	free(line);
	custody_key_free(key);
}

/* Replace the signature bytes of v's line by raw[0 .. len). */
static char *line_with(const struct vector *v, const unsigned char *raw,
	size_t len)
{
	char b64[256];
	custody_buf out = CUSTODY_BUF_INIT;

	custody_base64_encode(b64, raw, len);
	custody_buf__printf(&out, EM_DASH " %s %s\n", v->name, b64);
	return out.ptr;
}

static void test_cosig__verify_line_refuses_tampering(void)
{
	struct custody_cosig_verifier ver;
	custody_error *err = NULL;
	custody_key *key = NULL;
	unsigned char raw[80];
	struct vector v;
	uint64_t ts = 0;
	size_t len;
	char *line, *text;

	if (first_vector(&v, &key, &ver) != 0)
		return;
	{
		const char *b64 = strchr(v.line + strlen(EM_DASH) + 1, ' ') + 1;
		CHECK_INT(custody_base64_decode(raw, &len, b64,
			strlen(b64) - 1), 0);
	}
	/* a timestamp one second later: the signature no longer holds */
	raw[11] ^= 1;
	line = line_with(&v, raw, len);
	CHECK_FAILS(verify_note(&ver, v.checkpoint, v.checkpoint_len, line,
		&ts, &err), err, CUSTODY_EVERIFY, "does not verify");
	free(line);
	raw[11] ^= 1;
	/* a timestamp above 2^63 - 1 */
	raw[4] |= 0x80;
	line = line_with(&v, raw, len);
	CHECK_FAILS(verify_note(&ver, v.checkpoint, v.checkpoint_len, line,
		&ts, &err), err, CUSTODY_EVERIFY, "above 2^63 - 1");
	free(line);
	raw[4] &= 0x7f;
	/* no timestamp: a plain note signature under our name and id */
	line = line_with(&v, raw, len - 9);
	CHECK_FAILS(verify_note(&ver, v.checkpoint, v.checkpoint_len, line,
		&ts, &err), err, CUSTODY_EVERIFY, "is 63 bytes, not 72");
	free(line);
	/* over another checkpoint (size changed) */
	text = strdup(v.checkpoint);
	text[strlen("example.com/behind-the-sofa\n")] = '3';
	CHECK_FAILS(verify_note(&ver, text, v.checkpoint_len, v.line, &ts,
		&err), err, CUSTODY_EVERIFY, "by witness.example/w1 does not");
	free(text);
	custody_key_free(key);
}

static void test_cosig__vkey_refusals(void)
{
	struct custody_cosig_verifier ver;
	custody_error *err = NULL;
	struct vector v;
	custody_key *key = NULL;
	char bad[600];

	if (first_vector(&v, &key, &ver) != 0)
		return;
	/* with a final newline it is still fine */
	snprintf(bad, sizeof(bad), "%s\n", v.vkey);
	CHECK_OK(custody_cosig__verifier_from_vkey(&ver, bad, strlen(bad),
		&err), err);
	/* a wrong key id */
	snprintf(bad, sizeof(bad), "%s", v.vkey);
	bad[strlen(v.name) + 1] = bad[strlen(v.name) + 1] == '0' ? '1' : '0';
	CHECK_FAILS(custody_cosig__verifier_from_vkey(&ver, bad, strlen(bad),
		&err), err, CUSTODY_EINVALID, "does not match");
	/* the log's key type, 0x01: the Go/C2SP note vkey of the example */
	{
		static const char log_vkey[] = "example.com/foo+530d903a+"
			"AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
		CHECK_FAILS(custody_cosig__verifier_from_vkey(&ver, log_vkey,
			strlen(log_vkey), &err), err, CUSTODY_EINVALID,
			"type 0x01");
	}
	/* no key id */
	CHECK_FAILS(custody_cosig__verifier_from_vkey(&ver, "w+BNda", 6,
		&err), err, CUSTODY_EINVALID, "8-digit");
	/* a name with a space */
	CHECK_FAILS(custody_cosig__verifier_from_vkey(&ver, "a b+00000000+x",
		14, &err), err, CUSTODY_EINVALID, "holds a space");
	custody_key_free(key);
}

static void test_cosig__sign_refusals(void)
{
	struct custody_cosig_verifier ver;
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	custody_key *key = NULL;
	struct vector v;
	static const char not_checkpoint[] = "hello\nworld\n";

	if (first_vector(&v, &key, &ver) != 0)
		return;
	CHECK_FAILS(custody_cosig__sign(&out, v.checkpoint, v.checkpoint_len,
		v.name, key, 0, &err), err, CUSTODY_EINVALID,
		"not between 1 and 2^63 - 1");
	CHECK_FAILS(custody_cosig__sign(&out, v.checkpoint, v.checkpoint_len,
		v.name, key, UINT64_C(1) << 63, &err), err, CUSTODY_EINVALID,
		"not between");
	CHECK_FAILS(custody_cosig__sign(&out, not_checkpoint,
		strlen(not_checkpoint), v.name, key, 1, &err), err,
		CUSTODY_EINVALID, "checkpoint line 2");
	CHECK_FAILS(custody_cosig__sign(&out, v.checkpoint, v.checkpoint_len,
		"a+b", key, 1, &err), err, CUSTODY_EINVALID, "holds a \"+\"");
	CHECK(out.size == 0);
	custody_buf_dispose(&out);
	custody_key_free(key);
}

/* A cosignature never passes for the log's note signature: the note
 * verifier for the same name and key ignores it (its key id differs). */
static void test_cosig__not_a_note_signature(void)
{
	struct custody_note_verifier note_v;
	struct custody_cosig_verifier ver;
	custody_buf note = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	custody_key *key = NULL;
	struct vector v;

	if (first_vector(&v, &key, &ver) != 0)
		return;
	custody_note__verifier_from_key(&note_v, v.name, v.pub);
	CHECK(memcmp(note_v.key_id, ver.key_id, 4) != 0);
	custody_buf__append(&note, v.checkpoint, v.checkpoint_len);
	custody_buf__printf(&note, "\n%s", v.line);
	CHECK_FAILS(custody_note__verify(note.ptr, note.size, &note_v, 1,
		NULL, &err), err, CUSTODY_EVERIFY, "not signed by");
	custody_buf_dispose(&note);
	custody_key_free(key);
}

static const struct test tests[] = {
	TEST(test_cosig__generated_vectors_match),
	TEST(test_cosig__timestamp_is_big_endian_after_key_id),
	TEST(test_cosig__c2sp_example_timestamp_and_message),
	TEST(test_cosig__verify_line_ignores_other_signers),
	TEST(test_cosig__verify_line_refuses_tampering),
	TEST(test_cosig__vkey_refusals),
	TEST(test_cosig__sign_refusals),
	TEST(test_cosig__not_a_note_signature),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
