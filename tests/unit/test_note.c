/*
 * C2SP signed notes, checkpoints and tlog-proof files (note.c,
 * checkpoint.c), against the vectors of the C2SP specifications and of
 * golang.org/x/mod's sumdb/note in data/note (see data/note/SOURCES.md).
 * Runs from tests/, as meson does.
 */
#include "note.h"
#include "base64.h"
#include "checkpoint.h"
#include "ed25519.h"
#include "fsutil.h"
#include "key.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DATA "data/note/"
#define EM_DASH "\xe2\x80\x94"

/* ---- helpers ---- */

/* The call succeeded; else show why. Frees and clears err. */
#define CHECK_OK(rc, err) do { int r_ = (rc); CHECK_INT(r_, 0); \
	if (r_ != 0 || (err) != NULL) fprintf(stderr, "  error: %s\n", \
		(err) != NULL ? custody_error_message(err) : "(none)"); \
	custody_error_free(err); (err) = NULL; } while (0)

/* The call failed with `code` and a message containing `needle`. */
#define CHECK_FAILS(rc, err, code, needle) do { CHECK_INT((rc), (code)); \
	CHECK((err) != NULL); \
	if ((err) != NULL) { \
		CHECK_INT(custody_error_code(err), (code)); \
		CHECK_CONTAINS(custody_error_message(err), (needle)); \
	} \
	custody_error_free(err); (err) = NULL; } while (0)

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *bytes = NULL;
	long size;

	*len = 0;
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (run from tests/)\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (bytes = malloc((size_t)size + 1)) != NULL) {
		*len = fread(bytes, 1, (size_t)size, f);
		bytes[*len] = '\0';
	}
	fclose(f);
	return bytes;
}

/* A verifier from a vkey file; 0 or -1 (a failed CHECK). */
static int load_verifier(struct custody_note_verifier *v, const char *path)
{
	custody_error *err = NULL;
	size_t len;
	char *vkey = read_file(path, &len);
	int rc;

	CHECK(vkey != NULL);
	if (vkey == NULL)
		return -1;
	rc = custody_note__verifier_from_vkey(v, vkey, len, &err);
	CHECK_OK(rc, err);
	free(vkey);
	return rc == 0 ? 0 : -1;
}

/*
 * A key from a Go "PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)"
 * file; name_out receives the name.
 */
static custody_key *load_go_signer(const char *path, char name_out[256])
{
	unsigned char body[33];
	custody_key *key = NULL;
	custody_error *err = NULL;
	const char *name, *plus, *b64;
	size_t len, body_len;
	char *skey = read_file(path, &len);

	name_out[0] = '\0';
	CHECK(skey != NULL);
	if (skey == NULL)
		return NULL;
	while (len > 0 && skey[len - 1] == '\n')
		skey[--len] = '\0';
	CHECK(strncmp(skey, "PRIVATE+KEY+", 12) == 0);
	name = skey + 12;
	plus = strchr(name, '+');
	CHECK(plus != NULL && (size_t)(plus - name) < 256);
	if (plus == NULL || plus - name >= 256) {
		free(skey);
		return NULL;
	}
	memcpy(name_out, name, (size_t)(plus - name));
	name_out[plus - name] = '\0';
	b64 = plus + 10; /* past "+<8 hex digits>+" */
	CHECK_INT(custody_base64_decode(body, &body_len, b64, strlen(b64)), 0);
	CHECK_INT(body_len, 33);
	CHECK_INT(body[0], CUSTODY_NOTE_KEY_ED25519);
	CHECK_OK(custody_key__from_seed(&key, body + 1, &err), err);
	free(skey);
	return key;
}

/* A copy of s with the first `find` replaced by `replace`, NUL-ended. */
static char *replaced(const char *s, const char *find, const char *replace)
{
	const char *at = strstr(s, find);
	size_t before, len;
	char *out;

	CHECK(at != NULL);
	if (at == NULL)
		return strdup(s);
	before = (size_t)(at - s);
	len = strlen(s) - strlen(find) + strlen(replace);
	out = malloc(len + 1);
	memcpy(out, s, before);
	memcpy(out + before, replace, strlen(replace));
	strcpy(out + before + strlen(replace), at + strlen(find));
	return out;
}

static int verify_str(const char *note,
	const struct custody_note_verifier *v, size_t n, custody_error **err)
{
	size_t text_len;

	return custody_note__verify(note, strlen(note), v, n, &text_len, err);
}

static int split_str(const char *note, custody_error **err)
{
	size_t text_len;

	return custody_note__split(note, strlen(note), &text_len, err);
}

static const char example_text[] = "This is an example message.\n";
static const char example_sig[] = EM_DASH " example.com/foo "
	"Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
	"mFXmRKuwHjG1Yu72IneyaQM=\n";

/* ---- the C2SP known answer ---- */

static void test_note__c2sp_example_verifies(void)
{
	static const unsigned char id[4] = { 0x53, 0x0d, 0x90, 0x3a };
	struct custody_note_verifier v;
	custody_error *err = NULL;
	size_t len, text_len = 0;
	char *note = read_file(DATA "c2sp-example.note", &len);

	CHECK(note != NULL);
	if (note == NULL || load_verifier(&v, DATA "c2sp-example.vkey") != 0)
		goto cleanup;
	CHECK_STR(v.name, "example.com/foo");
	CHECK(memcmp(v.key_id, id, 4) == 0);
	CHECK_OK(custody_note__verify(note, len, &v, 1, &text_len, &err),
		err);
	CHECK_INT(text_len, strlen(example_text));
	CHECK(memcmp(note, example_text, strlen(example_text)) == 0);
	/* the file is exactly text, blank line, signature line */
	CHECK_INT(len, strlen(example_text) + 1 + strlen(example_sig));
	CHECK(memcmp(note + text_len + 1, example_sig, strlen(example_sig))
		== 0);
cleanup:
	free(note);
}

static void test_note__c2sp_example_fails_after_one_byte_changed(void)
{
	struct custody_note_verifier v, peter, impostor;
	custody_error *err = NULL;
	size_t len;
	char *note = read_file(DATA "c2sp-example.note", &len), *changed;
	char *sig;

	CHECK(note != NULL);
	if (note == NULL || load_verifier(&v, DATA "c2sp-example.vkey") != 0 ||
	    load_verifier(&peter, DATA "go-peter.vkey") != 0)
		goto cleanup;

	/* one byte of the text */
	changed = replaced(note, "This", "this");
	CHECK_FAILS(verify_str(changed, &v, 1, &err), err, CUSTODY_EVERIFY,
		"note line 3: the signature by example.com/foo+530d903a "
		"does not verify");
	free(changed);

	/* one byte of the signature (after the key id, still base64) */
	changed = strdup(note);
	sig = strstr(changed, "Uw2QOkn8");
	CHECK(sig != NULL && sig[13] == 'J');
	if (sig != NULL)
		sig[13] = 'K';
	CHECK_FAILS(verify_str(changed, &v, 1, &err), err, CUSTODY_EVERIFY,
		"does not verify");
	free(changed);

	/* another key: the signature is from an unknown key */
	CHECK_FAILS(custody_note__verify(note, len, &peter, 1, NULL, &err),
		err, CUSTODY_EVERIFY, "note: not signed by PeterNeumann");

	/* a key claiming the same name and id: known, so it must verify */
	impostor = v;
	memcpy(impostor.pub, peter.pub, 32);
	CHECK_FAILS(custody_note__verify(note, len, &impostor, 1, NULL, &err),
		err, CUSTODY_EVERIFY, "does not verify");

	/* and no verifier at all */
	CHECK_FAILS(custody_note__verify(note, len, NULL, 0, NULL, &err),
		err, CUSTODY_EVERIFY, "not signed");
cleanup:
	free(note);
}

/* ---- golang.org/x/mod/sumdb/note vectors ---- */

static void test_note__go_vectors_verify_each_key_alone_and_together(void)
{
	struct custody_note_verifier both[2];
	custody_error *err = NULL;
	size_t len, text_len = 0;
	char *note = read_file(DATA "go-peter-enoch.note", &len), *changed;

	CHECK(note != NULL);
	if (note == NULL ||
	    load_verifier(&both[0], DATA "go-peter.vkey") != 0 ||
	    load_verifier(&both[1], DATA "go-enoch.vkey") != 0)
		goto cleanup;
	CHECK_OK(custody_note__verify(note, len, &both[0], 1, &text_len, &err),
		err);
	CHECK_INT(text_len, 99);
	CHECK_OK(custody_note__verify(note, len, &both[1], 1, NULL, &err),
		err);
	CHECK_OK(custody_note__verify(note, len, both, 2, NULL, &err), err);
	CHECK_FAILS(custody_note__verify(note, len, NULL, 0, NULL, &err), err,
		CUSTODY_EVERIFY, "not signed");

	/* Enoch's signature damaged (as TestOpen does, with 4 more bytes,
	 * and by one changed byte): ignored while Enoch is unknown, fatal
	 * once Enoch is trusted, even though Peter's signature is good. */
	changed = replaced(note,
		"rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n",
		"rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD");
	CHECK_OK(verify_str(changed, &both[0], 1, &err), err);
	CHECK_FAILS(verify_str(changed, both, 2, &err), err, CUSTODY_EVERIFY,
		"note line 5: the signature by EnochRoot+af0cfe78 does not "
		"verify");
	free(changed);
	changed = replaced(note, "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSd",
		"rwz+eBzmZa0SO3NbfRGzPCpDckykFXSe");
	CHECK_OK(verify_str(changed, &both[0], 1, &err), err);
	CHECK_FAILS(verify_str(changed, both, 2, &err), err, CUSTODY_EVERIFY,
		"note line 5: the signature by EnochRoot+af0cfe78 does not "
		"verify");
	free(changed);
cleanup:
	free(note);
}

/* Ed25519 is deterministic: signing Go's text with Go's key must give
 * Go's bytes, for a plain note and for a checkpoint. */
static void sign_matches(const char *skey_path, const char *note_path)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	custody_key *key;
	char name[256];
	size_t len, text_len = 0;
	char *note = read_file(note_path, &len);

	key = load_go_signer(skey_path, name);
	CHECK(note != NULL && key != NULL);
	if (note == NULL || key == NULL)
		goto cleanup;
	CHECK_OK(custody_note__split(note, len, &text_len, &err), err);
	CHECK_OK(custody_note__sign(&out, note, text_len, name, key, &err),
		err);
	CHECK_INT(out.size, len);
	CHECK(out.ptr != NULL && out.size == len &&
		memcmp(out.ptr, note, len) == 0);
	if (out.ptr != NULL && out.size == len && memcmp(out.ptr, note, len))
		fprintf(stderr, "  signed:\n%s  expected:\n%s", out.ptr, note);
cleanup:
	custody_buf_dispose(&out);
	custody_key_free(key);
	free(note);
}

static void test_note__sign_reproduces_go_signatures(void)
{
	sign_matches(DATA "go-peter.skey", DATA "go-peter.note");
	sign_matches(DATA "go-sumdb.skey", DATA "go-sumdb-tree6.note");
	sign_matches(DATA "go-sumdb.skey", DATA "go-sumdb-tree5.note");
}

static void test_note__go_sumdb_checkpoints_verify_and_parse(void)
{
	static const char *const files[] = { DATA "go-sumdb-tree5.note",
		DATA "go-sumdb-tree6.note" };
	static const char *const roots[] = {
		"nWzN20+pwMt62p7jbv1/NlN95ePTlHijabv5zO/s36w=",
		"wc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=" };
	struct custody_note_verifier v;
	custody_error *err = NULL;

	if (load_verifier(&v, DATA "go-sumdb.vkey") != 0)
		return;
	CHECK_STR(v.name, "localhost.localdev/sumdb");
	for (size_t i = 0; i < 2; i++) {
		struct custody_checkpoint c;
		custody_buf text = CUSTODY_BUF_INIT;
		unsigned char root[33];
		size_t len, text_len = 0, root_len;
		char *note = read_file(files[i], &len);

		CHECK(note != NULL);
		if (note == NULL)
			continue;
		CHECK_OK(custody_note__verify(note, len, &v, 1, &text_len,
			&err), err);
		CHECK_OK(custody_checkpoint__parse(&c, note, text_len, &err),
			err);
		CHECK_STR(c.origin, "go.sum database tree");
		CHECK_INT(c.size, 5 + i);
		CHECK_INT(c.extension_lines, 0);
		CHECK_INT(custody_base64_decode(root, &root_len, roots[i], 44),
			0);
		CHECK(memcmp(c.root, root, 32) == 0);
		CHECK_OK(custody_checkpoint__format(&c, &text, &err), err);
		CHECK(text.size == text_len &&
			memcmp(text.ptr, note, text_len) == 0);
		custody_buf_dispose(&text);
		free(note);
	}
}

/* ---- the other spec examples: parsed, not verified ---- */

struct seen {
	size_t count;
	char names[4][64];
	unsigned char ids[4][4];
	size_t sig_len[4], line[4];
};

static int remember(const struct custody_note_signature *sig, void *payload)
{
	struct seen *seen = payload;

	if (seen->count < 4 && sig->name_len < 64) {
		memcpy(seen->names[seen->count], sig->name, sig->name_len);
		seen->names[seen->count][sig->name_len] = '\0';
		memcpy(seen->ids[seen->count], sig->key_id, 4);
		seen->sig_len[seen->count] = sig->sig_len;
		seen->line[seen->count] = sig->line;
	}
	seen->count++;
	return 0;
}

static int stop_at_first(const struct custody_note_signature *sig,
	void *payload)
{
	(void)sig;
	(*(size_t *)payload)++;
	return 42;
}

static void test_note__text_ends_at_the_last_blank_line(void)
{
	struct seen seen;
	custody_error *err = NULL;
	size_t len, text_len = 0, calls = 0;
	char *note = read_file(DATA "c2sp-quasimodo.note", &len);
	const char *end = "ed \xc3\xa8 subito sera.\n";

	CHECK(note != NULL);
	if (note == NULL)
		return;
	CHECK_OK(custody_note__split(note, len, &text_len, &err), err);
	CHECK_INT(text_len, 88);
	CHECK(text_len >= strlen(end) && memcmp(note + text_len - strlen(end),
		end, strlen(end)) == 0);
	CHECK(strstr(note, ":\n\ned") != NULL); /* an empty line inside */

	memset(&seen, 0, sizeof(seen));
	CHECK_OK(custody_note__signatures(note, len, remember, &seen, &err),
		err);
	CHECK_INT(seen.count, 1);
	CHECK_STR(seen.names[0], "quasimodo.example/salvatore");
	CHECK_INT(seen.sig_len[0], 64);
	CHECK_INT(seen.line[0], 6);
	CHECK_INT(seen.ids[0][0], 0x36); /* base64 "Nnug" = 36 7b a0 */
	CHECK_INT(seen.ids[0][1], 0x7b);
	CHECK_INT(seen.ids[0][2], 0xa0);

	CHECK_INT(custody_note__signatures(note, len, stop_at_first, &calls,
		&err), 42);
	CHECK_INT(calls, 1);
	CHECK(err == NULL);
	free(note);
}

static void test_note__c2sp_checkpoint_example_parses(void)
{
	struct custody_checkpoint c;
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t len, text_len = 0;
	char *note = read_file(DATA "c2sp-checkpoint.note", &len);

	CHECK(note != NULL);
	if (note == NULL)
		return;
	CHECK_OK(custody_note__split(note, len, &text_len, &err), err);
	CHECK_OK(custody_checkpoint__parse(&c, note, text_len, &err), err);
	CHECK_STR(c.origin, "example.com/behind-the-sofa");
	CHECK_INT(c.size, 20852163);
	CHECK_INT(c.root[0], 0x0a); /* "CsUY" = 0a c5 18 */
	CHECK_INT(c.root[1], 0xc5);
	CHECK_INT(c.root[31], 0x62);
	CHECK_OK(custody_checkpoint__format(&c, &text, &err), err);
	CHECK(text.size == text_len && memcmp(text.ptr, note, text_len) == 0);
	/* nobody we trust signed it */
	CHECK_FAILS(custody_note__verify(note, len, NULL, 0, NULL, &err), err,
		CUSTODY_EVERIFY, "not signed");
	custody_buf_dispose(&text);
	free(note);
}

/* ---- signing with custody's own keys ---- */

static const char checkpoint_text[] = "custody.example/log\n3\n"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

/* A note signed by `key` as `name` (NUL-terminated, caller frees). */
static char *signed_by(const char *text, const char *name,
	const custody_key *key)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_OK(custody_note__sign(&out, text, strlen(text), name, key,
		&err), err);
	return out.ptr != NULL ? out.ptr : strdup("");
}

static void test_note__sign_then_verify_round_trip(void)
{
	struct custody_note_verifier log, witness, wrong;
	custody_key *key = NULL, *other = NULL;
	custody_error *err = NULL;
	char *note = NULL, *witnessed = NULL, *extra_sig;
	size_t text_len = 0;

	CHECK_OK(custody_key_generate(&key, &err), err);
	CHECK_OK(custody_key_generate(&other, &err), err);
	if (key == NULL || other == NULL)
		goto cleanup;
	custody_note__verifier_from_key(&log, "custody.example/log",
		custody_pubkey_raw(custody_key_public(key)));
	custody_note__verifier_from_key(&witness, "witness.example",
		custody_pubkey_raw(custody_key_public(other)));
	custody_note__verifier_from_key(&wrong, "custody.example/log",
		custody_pubkey_raw(custody_key_public(other)));

	note = signed_by(checkpoint_text, "custody.example/log", key);
	CHECK(strncmp(note, checkpoint_text, strlen(checkpoint_text)) == 0);
	CHECK(strncmp(note + strlen(checkpoint_text), "\n" EM_DASH
		" custody.example/log ", strlen("\n" EM_DASH
		" custody.example/log ")) == 0);
	CHECK_OK(custody_note__verify(note, strlen(note), &log, 1, &text_len,
		&err), err);
	CHECK_INT(text_len, strlen(checkpoint_text));
	/* the same name with another key has another key id: unknown */
	CHECK_FAILS(verify_str(note, &wrong, 1, &err), err, CUSTODY_EVERIFY,
		"note: not signed by custody.example/log");
	CHECK_FAILS(verify_str(note, &witness, 1, &err), err,
		CUSTODY_EVERIFY, "note: not signed by witness.example");
	{
		struct custody_note_verifier two[2] = { witness, wrong };

		CHECK_FAILS(verify_str(note, two, 2, &err), err,
			CUSTODY_EVERIFY, "not signed by any of "
			"witness.example, custody.example/log");
	}

	/* a second signer's line appended: each key alone accepts it */
	extra_sig = signed_by(checkpoint_text, "witness.example", other);
	witnessed = malloc(strlen(note) + strlen(extra_sig) + 1);
	strcpy(witnessed, note);
	strcat(witnessed, extra_sig + strlen(checkpoint_text) + 1);
	free(extra_sig);
	CHECK_OK(verify_str(witnessed, &log, 1, &err), err);
	CHECK_OK(verify_str(witnessed, &witness, 1, &err), err);
	{
		struct custody_note_verifier two[2] = { witness, log };
		struct custody_note_verifier same[2] = { log, log };
		struct custody_note_verifier clash[2] = { log, wrong };

		CHECK_OK(verify_str(witnessed, two, 2, &err), err);
		/* the same key twice is harmless */
		CHECK_OK(verify_str(witnessed, same, 2, &err), err);
		/* two keys under one name and id cannot both be meant */
		memcpy(clash[1].key_id, log.key_id, 4);
		CHECK_FAILS(verify_str(witnessed, clash, 2, &err), err,
			CUSTODY_EINVALID, "two verifier keys are named "
			"custody.example/log");
	}
cleanup:
	free(note);
	free(witnessed);
	custody_key_free(key);
	custody_key_free(other);
}

/* A known key's signature must be exactly 64 bytes: a good signature
 * with bytes appended, or a prefix of it, does not verify. */
static void test_note__known_key_signature_of_wrong_length_fails(void)
{
	unsigned char sig[4 + 64 + 3];
	char b64[CUSTODY_BASE64_LEN(sizeof(sig)) + 1], bad[512];
	struct custody_note_verifier log;
	custody_key *key = NULL;
	custody_error *err = NULL;
	size_t sig_len = 0;
	char *note;
	const char *line;

	CHECK_OK(custody_key_generate(&key, &err), err);
	if (key == NULL)
		return;
	custody_note__verifier_from_key(&log, "custody.example/log",
		custody_pubkey_raw(custody_key_public(key)));
	note = signed_by(checkpoint_text, "custody.example/log", key);
	line = strrchr(note, ' ') + 1;
	CHECK_INT(custody_base64_decode(sig, &sig_len, line,
		strlen(line) - 1), 0);
	CHECK_INT(sig_len, 68);
	memset(sig + 68, 0, 3);
	custody_base64_encode(b64, sig, sizeof(sig));
	snprintf(bad, sizeof(bad), "%s\n" EM_DASH " custody.example/log %s\n",
		checkpoint_text, b64);
	CHECK_FAILS(verify_str(bad, &log, 1, &err), err, CUSTODY_EVERIFY,
		"note line 5: the signature by custody.example/log+");
	custody_base64_encode(b64, sig, 4 + 10);
	snprintf(bad, sizeof(bad), "%s\n" EM_DASH " custody.example/log %s\n",
		checkpoint_text, b64);
	CHECK_FAILS(verify_str(bad, &log, 1, &err), err, CUSTODY_EVERIFY,
		"does not verify");
	free(note);
	custody_key_free(key);
}

/* Origins may hold spaces; as verifier names they match nothing. */
static void test_note__verifier_with_invalid_name_matches_nothing(void)
{
	struct custody_note_verifier v;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char long_name[300];
	char *note;

	CHECK_OK(custody_key_generate(&key, &err), err);
	if (key == NULL)
		return;
	note = signed_by(checkpoint_text, "custody.example/log", key);
	custody_note__verifier_from_key(&v, "custody.example/log here",
		custody_pubkey_raw(custody_key_public(key)));
	CHECK_STR(v.name, "custody.example/log here");
	CHECK_FAILS(verify_str(note, &v, 1, &err), err, CUSTODY_EVERIFY,
		"note: not signed by custody.example/log here");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	custody_note__verifier_from_key(&v, long_name,
		custody_pubkey_raw(custody_key_public(key)));
	CHECK_STR(v.name, "");
	CHECK_FAILS(verify_str(note, &v, 1, &err), err, CUSTODY_EVERIFY,
		"not signed");
	free(note);
	custody_key_free(key);
}

static void test_note__unknown_signatures_are_ignored(void)
{
	struct custody_note_verifier log;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char *note, *more;

	CHECK_OK(custody_key_generate(&key, &err), err);
	if (key == NULL)
		return;
	custody_note__verifier_from_key(&log, "custody.example/log",
		custody_pubkey_raw(custody_key_public(key)));
	note = signed_by(checkpoint_text, "custody.example/log", key);
	/* other key types and lengths, names sharing the name or the id */
	more = malloc(strlen(note) + 400);
	sprintf(more, "%s"
		EM_DASH " some.other/key AAAAAAA=\n"
		EM_DASH " custody.example/log AAAAAAAAAAAAAAAA\n"
		EM_DASH " \xc3\xa9t\xc3\xa9 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		"BBBB\n",
		note);
	CHECK_OK(verify_str(more, &log, 1, &err), err);
	/* the known key's own line may come last */
	sprintf(more, "%s\n"
		EM_DASH " some.other/key AAAAAAA=\n%s", checkpoint_text,
		note + strlen(checkpoint_text) + 1);
	CHECK_OK(verify_str(more, &log, 1, &err), err);
	free(more);
	free(note);
	custody_key_free(key);
}

static void test_note__more_than_100_signatures_are_refused(void)
{
	struct custody_note_verifier log;
	custody_key *key = NULL;
	custody_error *err = NULL;
	custody_buf many = CUSTODY_BUF_INIT;
	char *note, *line;

	CHECK_OK(custody_key_generate(&key, &err), err);
	if (key == NULL)
		return;
	custody_note__verifier_from_key(&log, "custody.example/log",
		custody_pubkey_raw(custody_key_public(key)));
	note = signed_by(checkpoint_text, "custody.example/log", key);
	line = note + strlen(checkpoint_text) + 1;
	CHECK(custody_buf__append(&many, note, strlen(note)) == 0);
	for (int i = 1; i < 100; i++)
		CHECK(custody_buf__append(&many, line, strlen(line)) == 0);
	CHECK_OK(custody_note__verify(many.ptr, many.size, &log, 1, NULL,
		&err), err);
	CHECK(custody_buf__append(&many, line, strlen(line)) == 0);
	CHECK_FAILS(custody_note__verify(many.ptr, many.size, &log, 1, NULL,
		&err), err, CUSTODY_EINVALID,
		"note line 105: more than 100 signature lines");
	CHECK_FAILS(custody_note__split(many.ptr, many.size, NULL, &err), err,
		CUSTODY_EINVALID, "more than 100 signature lines");
	custody_buf_dispose(&many);
	free(note);
	custody_key_free(key);
}

/* ---- malformed notes ---- */

static void test_note__malformed_notes_are_refused(void)
{
	static const struct {
		const char *note, *message;
	} cases[] = {
		{ "", "note line 1: the note is empty" },
		{ "This is an example message.\n",
		  "note line 1: no blank line separates the text" },
		{ "This is an example message.\n\n",
		  "note line 2: no signature line after the blank line" },
		{ "This is an example message.\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
		  "no blank line separates the text" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=",
		  "note line 3: the last line does not end with a newline" },
		{ "This is an example message.\n\n- example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
		  "note line 3: a signature line must start with an em dash" },
		{ "This is an example message.\n\n\xe2\x80\x93 example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
		  "note line 3: a signature line must start with an em dash" },
		{ "This is an example message.\n\n" EM_DASH "example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
		  "note line 3: a signature line must start with an em dash" },
		{ "This is an example message.\n\n" EM_DASH
		  " example.com/foo\n",
		  "note line 3: no space between the key name and the "
		  "signature" },
		{ "This is an example message.\n\n" EM_DASH "  AAAAAAAA\n",
		  "note line 3: the key name is empty" },
		{ "This is an example message.\n\n" EM_DASH " a+b AAAAAAAA\n",
		  "note line 3: the key name holds a \"+\"" },
		{ "This is an example message.\n\n" EM_DASH " a\xc2\xa0" "b "
		  "AAAAAAAA\n", "note line 3: the key name holds a space" },
		{ "This is an example message.\n\n" EM_DASH
		  " a\xe3\x80\x80" "b AAAAAAAA\n",
		  "note line 3: the key name holds a space" },
		{ "This is an example message.\n\n" EM_DASH " Bad Name "
		  "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
		  "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		  "note line 3: the signature is not canonical base64" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQN=\n",
		  "note line 3: the signature is not canonical base64" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM\n",
		  "note line 3: the signature is not canonical base64" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM= \n",
		  "note line 3: the signature is not canonical base64" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\r\n",
		  "note line 3: control character 0x0d" },
		{ "This is an example message.\n\n" EM_DASH
		  " example.com/foo \n",
		  "note line 3: the signature is not canonical base64" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "AAAA\n", "note line 3: the signature is shorter than a key "
		  "id and one byte" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "AAAAAA==\n", "shorter than a key id and one byte" },
		{ "This is an \x01xample message.\n\n" EM_DASH " a AAAAAAAA\n",
		  "note line 1: control character 0x01" },
		{ "One\nThis is an example message.\t\n\n" EM_DASH
		  " a AAAAAAAA\n", "note line 2: control character 0x09" },
		{ "This is an \xffxample message.\n\n" EM_DASH " a AAAAAAAA\n",
		  "note line 1: invalid UTF-8 (byte 0xff)" },
		{ "overlong \xc0\xaf\n\n" EM_DASH " a AAAAAAAA\n",
		  "invalid UTF-8 (byte 0xc0)" },
		{ "surrogate \xed\xa0\x80\n\n" EM_DASH " a AAAAAAAA\n",
		  "invalid UTF-8 (byte 0xed)" },
		{ "too high \xf4\x90\x80\x80\n\n" EM_DASH " a AAAAAAAA\n",
		  "invalid UTF-8 (byte 0xf4)" },
		{ "cut \xe2\x80\n\n" EM_DASH " a AAAAAAAA\n",
		  "invalid UTF-8 (byte 0xe2)" },
		{ "This is an example message.\n\n" EM_DASH " example.com/foo "
		  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERY"
		  "NZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\nUnexpected line.\n",
		  "note line 4: a signature line must start with an em dash" },
	};
	struct custody_note_verifier v;
	custody_error *err = NULL;

	if (load_verifier(&v, DATA "c2sp-example.vkey") != 0)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t text_len = 7;

		CHECK_FAILS(custody_note__verify(cases[i].note,
			strlen(cases[i].note), &v, 1, &text_len, &err), err,
			CUSTODY_EINVALID, cases[i].message);
		CHECK_INT(text_len, 0);
		CHECK_FAILS(split_str(cases[i].note, &err), err,
			CUSTODY_EINVALID, cases[i].message);
	}
	/* a NUL byte is a control character too (strlen would stop) */
	{
		static const char nul[] = "a\0b\n\n" EM_DASH " a AAAAAAAA\n";

		CHECK_FAILS(custody_note__split(nul, sizeof(nul) - 1, NULL,
			&err), err, CUSTODY_EINVALID,
			"note line 1: control character 0x00");
	}
}

static void test_note__spec_limits_are_accepted(void)
{
	custody_error *err = NULL;

	/* the spec's control characters are those below U+0020: DEL is
	 * allowed, as are 4-byte characters */
	CHECK_OK(split_str("del \x7f and \xf0\x9f\x93\x9c\n\n" EM_DASH
		" a AAAAAAAA\n", &err), err);
	/* the text may be one empty line (Go's note.Open agrees) */
	CHECK_OK(split_str("\n\n" EM_DASH " a AAAAAAAA\n", &err), err);
	/* DEL is not a control character in key names either */
	CHECK_OK(split_str("t\n\n" EM_DASH " a\x7f" "b AAAAAAAA\n", &err), err);
	/* names may be long and non-ASCII in others' notes */
	CHECK_OK(split_str("t\n\n" EM_DASH " \xc3\xa9t\xc3\xa9/\xe6\x97\xa5 "
		"AAAAAAAA\n", &err), err);
}

/* ---- verifier keys ---- */

static void test_note__vkey_manglings_are_refused(void)
{
	/* As golang.org/x/mod's TestNewVerifier: every proper substring
	 * and every one-byte change of a good vkey is refused. */
	static const char vkey[] = "PeterNeumann+c74f20a3+"
		"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	struct custody_note_verifier v;
	custody_error *err = NULL;
	size_t len = strlen(vkey), refused = 0, tried = 0;
	char mangled[sizeof(vkey)];

	CHECK_OK(custody_note__verifier_from_vkey(&v, vkey, len, &err), err);
	CHECK_STR(v.name, "PeterNeumann");
	for (size_t i = 0; i < len; i++) {
		for (size_t j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			tried++;
			if (custody_note__verifier_from_vkey(&v, vkey + i,
			    j - i, &err) == CUSTODY_EINVALID && err != NULL)
				refused++;
			else
				fprintf(stderr, "  accepted %.*s\n",
					(int)(j - i), vkey + i);
			custody_error_free(err);
			err = NULL;
		}
	}
	for (size_t i = 0; i < len; i++) {
		memcpy(mangled, vkey, sizeof(vkey));
		mangled[i]++;
		tried++;
		if (custody_note__verifier_from_vkey(&v, mangled, len, &err) ==
		    CUSTODY_EINVALID && err != NULL)
			refused++;
		else
			fprintf(stderr, "  accepted %s\n", mangled);
		custody_error_free(err);
		err = NULL;
	}
	CHECK_INT(refused, tried);
}

static void test_note__vkey_errors_say_why(void)
{
	static const struct {
		const char *vkey, *message;
	} cases[] = {
		{ "PeterNeumann", "not of the form <name>+<key id>+<key>" },
		{ "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		  "the key name is empty" },
		{ "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4"
		  "izWy10TW", "the key name holds a space" },
		{ "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
		  "zWy10TW", "no 8-digit lowercase hex key id" },
		{ "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4iz"
		  "Wy10TW", "no 8-digit lowercase hex key id" },
		{ "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
		  "zWy10TW", "the key id c74f20a4 does not match the name and "
		  "key" },
		/* Go's: wrong length key, unknown algorithm (ids adjusted) */
		{ "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
		  "zWy10TWBADKEY==", "not an Ed25519 key" },
		{ "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
		  "zWy10TW", "not an Ed25519 key" },
		{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4i"
		  "zWy10TW", "the key is not canonical base64" },
		{ "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
		  "zWy10TW\n\n", "not an Ed25519 key" },
	};
	struct custody_note_verifier v;
	custody_error *err = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_FAILS(custody_note__verifier_from_vkey(&v, cases[i].vkey,
			strlen(cases[i].vkey), &err), err, CUSTODY_EINVALID,
			cases[i].message);
	/* one final newline is allowed, as in a file */
	CHECK_OK(custody_note__verifier_from_vkey(&v, "PeterNeumann+c74f20a3+"
		"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n", 67, &err),
		err);
}

static void test_note__vkey_with_small_order_key_is_refused(void)
{
	unsigned char body[33] = { CUSTODY_NOTE_KEY_ED25519, 0x01 };
	unsigned char id[4];
	char vkey[128], b64[CUSTODY_BASE64_LEN(33) + 1], hex[9];
	struct custody_note_verifier v;
	custody_error *err = NULL;

	/* the identity point, with its correct key id */
	custody_ed25519__note_key_id("log.example", CUSTODY_NOTE_KEY_ED25519,
		body + 1, id);
	custody_hex(hex, id, 4);
	custody_base64_encode(b64, body, sizeof(body));
	snprintf(vkey, sizeof(vkey), "log.example+%s+%s", hex, b64);
	CHECK_FAILS(custody_note__verifier_from_vkey(&v, vkey, strlen(vkey),
		&err), err, CUSTODY_EINVALID, "small order");
}

/* ---- signing refuses what it cannot write ---- */

static void test_note__sign_refuses_bad_text_and_names(void)
{
	static const struct {
		const char *text, *name, *message;
	} cases[] = {
		{ "", "a", "note text line 1: the text must end with a "
		  "newline" },
		{ "abc", "a", "note text line 1: the text must end with a "
		  "newline" },
		{ "a\n\nb\n", "a", "note text line 2: the text holds an empty "
		  "line" },
		{ "\nb\n", "a", "note text line 1: the text holds an empty "
		  "line" },
		{ "a\nb\n\n", "a", "note text line 3: the text holds an empty "
		  "line" },
		{ "a\nb\r\n", "a", "note text line 2: control character 0x0d" },
		{ "a\xff\n", "a", "note text line 1: invalid UTF-8" },
		{ "a\n", "", "note signer: the key name is empty" },
		{ "a\n", "a b", "note signer: the key name holds a space" },
		{ "a\n", "a+b", "note signer: the key name holds a \"+\"" },
		{ "a\n", "a\nb", "note signer: the key name holds a space" },
		{ "a\n", "a\x01", "holds a control character" },
		{ "a\n", "\xc3", "is not valid UTF-8" },
	};
	custody_buf out = CUSTODY_BUF_INIT;
	custody_key *key = NULL;
	custody_error *err = NULL;
	char long_name[CUSTODY_NOTE_NAME_MAX + 2];

	CHECK_OK(custody_key_generate(&key, &err), err);
	if (key == NULL)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_FAILS(custody_note__sign(&out, cases[i].text,
			strlen(cases[i].text), cases[i].name, key, &err), err,
			CUSTODY_EINVALID, cases[i].message);
		CHECK_INT(out.size, 0);
	}
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_FAILS(custody_note__sign(&out, "a\n", 2, long_name, key, &err),
		err, CUSTODY_EINVALID, "longer than 255 bytes");
	long_name[sizeof(long_name) - 2] = '\0';
	CHECK_OK(custody_note__sign(&out, "a\n", 2, long_name, key, &err),
		err);
	custody_buf_dispose(&out);
	custody_key_free(key);
}

/* ---- checkpoints ---- */

#define ROOT_B64 "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

static void test_note__checkpoint_round_trip(void)
{
	struct custody_checkpoint c, back;
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	memset(&c, 0, sizeof(c));
	strcpy(c.origin, "example log+origin \xc3\xa9");
	for (int i = 0; i < 32; i++)
		c.root[i] = (unsigned char)(i * 7);
	for (int k = 0; k < 3; k++) {
		c.size = k == 0 ? 0 : k == 1 ? 1234567 : (uint64_t)INT64_MAX;
		text.size = 0;
		CHECK_OK(custody_checkpoint__format(&c, &text, &err), err);
		CHECK_OK(custody_checkpoint__parse(&back, text.ptr, text.size,
			&err), err);
		CHECK_STR(back.origin, c.origin);
		CHECK(back.size == c.size);
		CHECK(memcmp(back.root, c.root, 32) == 0);
		CHECK_INT(back.extension_lines, 0);
	}
	CHECK_STR(text.ptr, "example log+origin \xc3\xa9\n"
		"9223372036854775807\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL"
		"0tk=\n");
	custody_buf_dispose(&text);
}

static void test_note__checkpoint_extensions_and_limits(void)
{
	struct custody_checkpoint c;
	custody_error *err = NULL;
	char text[600];

	CHECK_OK(custody_checkpoint__parse(&c, "o\n0\n" ROOT_B64 "\n",
		strlen("o\n0\n" ROOT_B64 "\n"), &err), err);
	CHECK_INT(c.size, 0);
	snprintf(text, sizeof(text), "o\n1\n" ROOT_B64 "\next one\nx\n");
	CHECK_OK(custody_checkpoint__parse(&c, text, strlen(text), &err), err);
	CHECK_INT(c.extension_lines, 2);
	/* an origin of 255 bytes fits; 256 does not */
	memset(text, 'a', 255);
	strcpy(text + 255, "\n1\n" ROOT_B64 "\n");
	CHECK_OK(custody_checkpoint__parse(&c, text, strlen(text), &err), err);
	CHECK_INT(strlen(c.origin), 255);
	memset(text, 'a', 256);
	strcpy(text + 256, "\n1\n" ROOT_B64 "\n");
	CHECK_FAILS(custody_checkpoint__parse(&c, text, strlen(text), &err),
		err, CUSTODY_EINVALID,
		"checkpoint line 1: the origin is longer than 255 bytes");
	CHECK_STR(c.origin, "");
}

static void test_note__malformed_checkpoints_are_refused(void)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "", "checkpoint line 1: no origin line" },
		{ "o\n1\n" ROOT_B64, "checkpoint line 3: the last line does "
		  "not end with a newline" },
		{ "\n1\n" ROOT_B64 "\n", "checkpoint line 1: the origin is "
		  "empty" },
		{ "o\x01\n1\n" ROOT_B64 "\n", "checkpoint line 1: control "
		  "character 0x01" },
		{ "o\xc3\n1\n" ROOT_B64 "\n", "checkpoint line 1: invalid "
		  "UTF-8" },
		{ "o\n", "checkpoint line 2: no tree size line" },
		{ "o\n\n" ROOT_B64 "\n", "checkpoint line 2: the tree size is "
		  "empty" },
		{ "o\n01\n" ROOT_B64 "\n", "checkpoint line 2: the tree size "
		  "has a leading zero" },
		{ "o\n00\n" ROOT_B64 "\n", "the tree size has a leading zero" },
		{ "o\n-1\n" ROOT_B64 "\n", "the tree size is not a decimal "
		  "number" },
		{ "o\n+1\n" ROOT_B64 "\n", "the tree size is not a decimal" },
		{ "o\n 1\n" ROOT_B64 "\n", "the tree size is not a decimal" },
		{ "o\n1 \n" ROOT_B64 "\n", "the tree size is not a decimal" },
		{ "o\n0x10\n" ROOT_B64 "\n", "the tree size is not a decimal" },
		{ "o\n9223372036854775808\n" ROOT_B64 "\n", "checkpoint line "
		  "2: the tree size is 2^63 or more" },
		{ "o\n18446744073709551616\n" ROOT_B64 "\n", "2^63 or more" },
		{ "o\n1\n", "checkpoint line 3: no root hash line" },
		{ "o\n1\n\n", "checkpoint line 3: the root hash is not 32 "
		  "bytes of canonical base64" },
		{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n",
		  "checkpoint line 3: the root hash is not 32 bytes" },
		{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2Ia\n",
		  "checkpoint line 3: the root hash is not 32 bytes" },
		{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
		  "checkpoint line 3: the root hash is not 32 bytes" },
		{ "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		  "checkpoint line 3: the root hash is not 32 bytes" },
		{ "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",
		  "checkpoint line 3: the root hash is not 32 bytes" },
		{ "o\n1\n" ROOT_B64 " \n", "checkpoint line 3: the root hash" },
		{ "o\n1\n" ROOT_B64 "\n\n", "checkpoint line 4: an extension "
		  "line is empty" },
		{ "o\n1\n" ROOT_B64 "\next\n\nmore\n", "checkpoint line 5: an "
		  "extension line is empty" },
		{ "o\n1\n" ROOT_B64 "\next\x7f\tx\n", "checkpoint line 4: "
		  "control character 0x09" },
	};
	struct custody_checkpoint c;
	custody_error *err = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		CHECK_FAILS(custody_checkpoint__parse(&c, cases[i].text,
			strlen(cases[i].text), &err), err, CUSTODY_EINVALID,
			cases[i].message);
		CHECK_STR(c.origin, "");
		CHECK_INT(c.size, 0);
	}
}

static void test_note__checkpoint_format_refuses_bad_fields(void)
{
	struct custody_checkpoint c;
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	memset(&c, 0, sizeof(c));
	CHECK_FAILS(custody_checkpoint__format(&c, &out, &err), err,
		CUSTODY_EINVALID, "checkpoint: the origin is empty");
	strcpy(c.origin, "two\nlines");
	CHECK_FAILS(custody_checkpoint__format(&c, &out, &err), err,
		CUSTODY_EINVALID, "the origin holds a newline");
	strcpy(c.origin, "tab\there");
	CHECK_FAILS(custody_checkpoint__format(&c, &out, &err), err,
		CUSTODY_EINVALID, "control character 0x09");
	memset(c.origin, 'a', sizeof(c.origin));
	CHECK_FAILS(custody_checkpoint__format(&c, &out, &err), err,
		CUSTODY_EINVALID, "the origin is longer than 255 bytes");
	strcpy(c.origin, "ok");
	c.size = (uint64_t)INT64_MAX + 1;
	CHECK_FAILS(custody_checkpoint__format(&c, &out, &err), err,
		CUSTODY_EINVALID, "the tree size is 2^63 or more");
	CHECK_INT(out.size, 0);
	custody_buf_dispose(&out);
}

/* ---- tlog-proof files ---- */

/* A signed checkpoint for custody.example/log (caller frees). */
static char *make_checkpoint(custody_key **key_out)
{
	custody_error *err = NULL;
	char *note;

	*key_out = NULL;
	CHECK_OK(custody_key_generate(key_out, &err), err);
	if (*key_out == NULL)
		return strdup("");
	note = signed_by(checkpoint_text, "custody.example/log", *key_out);
	return note;
}

static void check_round_trip(const struct custody_tlog_proof *p)
{
	struct custody_tlog_proof back;
	custody_buf text = CUSTODY_BUF_INIT, again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_OK(custody_tlog_proof__format(p, &text, &err), err);
	CHECK_OK(custody_tlog_proof__parse(&back, text.ptr, text.size, &err),
		err);
	CHECK_INT(back.has_extra, p->has_extra);
	CHECK_INT(back.extra_len, p->has_extra ? p->extra_len : 0);
	if (p->has_extra && p->extra_len > 0)
		CHECK(back.extra != NULL &&
			memcmp(back.extra, p->extra, p->extra_len) == 0);
	CHECK(back.index == p->index);
	CHECK_INT(back.nhashes, p->nhashes);
	if (p->nhashes > 0 && back.nhashes == p->nhashes)
		CHECK(memcmp(back.hashes, p->hashes, 32 * p->nhashes) == 0);
	CHECK_INT(back.checkpoint_len, p->checkpoint_len);
	CHECK(back.checkpoint != NULL &&
		memcmp(back.checkpoint, p->checkpoint,
		p->checkpoint_len) == 0 &&
		back.checkpoint[back.checkpoint_len] == '\0');
	CHECK_OK(custody_tlog_proof__format(&back, &again, &err), err);
	CHECK(again.size == text.size &&
		memcmp(again.ptr, text.ptr, text.size) == 0);
	custody_tlog_proof__clear(&back);
	CHECK(back.checkpoint == NULL && back.hashes == NULL &&
		back.extra == NULL && back.nhashes == 0);
	custody_buf_dispose(&text);
	custody_buf_dispose(&again);
}

static void test_note__tlog_proof_round_trip(void)
{
	unsigned char hashes[64][32], extra[] = "hello, proof";
	struct custody_tlog_proof p;
	struct custody_note_verifier v;
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	custody_key *key;
	char *checkpoint = make_checkpoint(&key);

	if (key == NULL)
		goto cleanup;
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 32; j++)
			hashes[i][j] = (unsigned char)(i * 31 + j);
	memset(&p, 0, sizeof(p));
	p.checkpoint = checkpoint;
	p.checkpoint_len = strlen(checkpoint);
	p.hashes = hashes;

	p.index = 2;
	p.nhashes = 2;
	check_round_trip(&p);
	CHECK_OK(custody_tlog_proof__format(&p, &text, &err), err);
	{
		custody_buf want = CUSTODY_BUF_INIT;

		CHECK(custody_buf__printf(&want, "c2sp.org/tlog-proof@v1\n"
			"index 2\n"
			"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
			"HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=\n"
			"\n%s", checkpoint) == 0);
		CHECK_STR(text.ptr, want.ptr);
		custody_buf_dispose(&want);
	}

	/* with extra data, empty extra data, no hashes, 64 hashes */
	p.has_extra = 1;
	p.extra = extra;
	p.extra_len = sizeof(extra) - 1;
	p.index = 0;
	check_round_trip(&p);
	p.extra_len = 0;
	p.nhashes = 0;
	check_round_trip(&p);
	p.has_extra = 0;
	p.nhashes = 64;
	p.index = (uint64_t)INT64_MAX - 1;
	check_round_trip(&p);

	/* the checkpoint inside still verifies */
	custody_note__verifier_from_key(&v, "custody.example/log",
		custody_pubkey_raw(custody_key_public(key)));
	{
		struct custody_tlog_proof back;

		custody_buf_dispose(&text);
		CHECK_OK(custody_tlog_proof__format(&p, &text, &err), err);
		CHECK_OK(custody_tlog_proof__parse(&back, text.ptr, text.size,
			&err), err);
		CHECK_OK(custody_note__verify(back.checkpoint,
			back.checkpoint_len, &v, 1, NULL, &err), err);
		custody_tlog_proof__clear(&back);
	}
cleanup:
	custody_buf_dispose(&text);
	custody_key_free(key);
	free(checkpoint);
}

static void test_note__tlog_proof_spec_lines_parse(void)
{
	static const char age[] = "age-v1.2.1-darwin-arm64.tar.gz";
	struct custody_tlog_proof p;
	struct custody_note_verifier v;
	struct custody_checkpoint c;
	custody_buf again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	unsigned char first[33];
	size_t len, cp_len, first_len, text_len = 0;
	char *text = read_file(DATA "spec-lines-sumdb-checkpoint.tlog-proof",
		&len);
	char *checkpoint = read_file(DATA "go-sumdb-tree6.note", &cp_len);

	CHECK(text != NULL && checkpoint != NULL);
	if (text == NULL || checkpoint == NULL ||
	    load_verifier(&v, DATA "go-sumdb.vkey") != 0)
		goto cleanup;
	CHECK_OK(custody_tlog_proof__parse(&p, text, len, &err), err);
	CHECK_INT(p.has_extra, 1);
	CHECK_INT(p.extra_len, 39);
	CHECK(p.extra != NULL && memcmp(p.extra, age, strlen(age)) == 0);
	CHECK_INT(p.index, 73894);
	CHECK_INT(p.nhashes, 5);
	CHECK_INT(custody_base64_decode(first, &first_len,
		"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=", 44), 0);
	CHECK(p.nhashes > 0 && memcmp(p.hashes[0], first, 32) == 0);
	CHECK(p.checkpoint_len == cp_len &&
		memcmp(p.checkpoint, checkpoint, cp_len) == 0);
	CHECK_OK(custody_note__verify(p.checkpoint, p.checkpoint_len, &v, 1,
		&text_len, &err), err);
	CHECK_OK(custody_checkpoint__parse(&c, p.checkpoint, text_len, &err),
		err);
	CHECK_INT(c.size, 6);
	CHECK_OK(custody_tlog_proof__format(&p, &again, &err), err);
	CHECK(again.size == len && memcmp(again.ptr, text, len) == 0);
	custody_tlog_proof__clear(&p);
cleanup:
	custody_buf_dispose(&again);
	free(text);
	free(checkpoint);
}

static void test_note__tlog_proof_spec_example_is_refused_at_line_14(void)
{
	struct custody_tlog_proof p;
	custody_error *err = NULL;
	size_t len;
	char *text = read_file(DATA "c2sp-spec-example.tlog-proof", &len);

	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK_FAILS(custody_tlog_proof__parse(&p, text, len, &err), err,
		CUSTODY_EINVALID, "tlog-proof line 14: the signature is not "
		"canonical base64");
	CHECK(p.checkpoint == NULL && p.extra == NULL && p.hashes == NULL);
	free(text);
}

#define H1 "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"

static void test_note__malformed_tlog_proofs_are_refused(void)
{
	static const struct {
		const char *head, *message; /* head + checkpoint */
	} cases[] = {
		{ "", "tlog-proof line 1: not a tlog proof" },
		{ "c2sp.org/tlog-proof@v2\nindex 1\n\n", "tlog-proof line 1: "
		  "not a tlog proof" },
		{ "C2SP.org/tlog-proof@v1\nindex 1\n\n", "line 1: not a tlog" },
		{ "c2sp.org/tlog-proof@v1\r\nindex 1\n\n", "line 1: not a" },
		{ "c2sp.org/tlog-proof@v1 \nindex 1\n\n", "line 1: not a" },
		{ "\nc2sp.org/tlog-proof@v1\nindex 1\n\n", "line 1: not a" },
		{ "c2sp.org/tlog-proof@v1\n", "tlog-proof line 2: expected "
		  "\"index <N>\"" },
		{ "c2sp.org/tlog-proof@v1\n\n", "tlog-proof line 2: expected "
		  "\"index <N>\"" },
		{ "c2sp.org/tlog-proof@v1\nIndex 1\n\n", "line 2: expected" },
		{ "c2sp.org/tlog-proof@v1\nindex\n\n", "line 2: expected" },
		{ "c2sp.org/tlog-proof@v1\nindex \n\n", "tlog-proof line 2: "
		  "the index is empty" },
		{ "c2sp.org/tlog-proof@v1\nindex 01\n\n", "tlog-proof line 2: "
		  "the index has a leading zero" },
		{ "c2sp.org/tlog-proof@v1\nindex x\n\n", "tlog-proof line 2: "
		  "the index is not a decimal number" },
		{ "c2sp.org/tlog-proof@v1\nindex -1\n\n", "is not a decimal" },
		{ "c2sp.org/tlog-proof@v1\nindex  1\n\n", "is not a decimal" },
		{ "c2sp.org/tlog-proof@v1\nindex 1 \n\n", "is not a decimal" },
		{ "c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\n",
		  "tlog-proof line 2: the index is 2^63 or more" },
		{ "c2sp.org/tlog-proof@v1\nextra !!!!\nindex 1\n\n",
		  "tlog-proof line 2: the extra data is not canonical base64" },
		{ "c2sp.org/tlog-proof@v1\nextra aGk\nindex 1\n\n",
		  "the extra data is not canonical base64" },
		{ "c2sp.org/tlog-proof@v1\nextra aGk=\n\n", "tlog-proof line "
		  "3: expected \"index <N>\"" },
		{ "c2sp.org/tlog-proof@v1\nextra\nindex 1\n\n", "tlog-proof "
		  "line 2: expected \"index <N>\"" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\nextra aGk=\n\n",
		  "tlog-proof line 3: a proof hash must be 32 bytes" },
		{ "c2sp.org/tlog-proof@v1\nextra aGk=\nextra aGk=\nindex 1\n\n",
		  "tlog-proof line 3: expected \"index <N>\"" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n"
		  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPg==\n\n",
		  "tlog-proof line 3: a proof hash must be 32 bytes of "
		  "canonical base64" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1
		  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQA\n\n",
		  "tlog-proof line 4: a proof hash must be 32 bytes" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n"
		  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlR=\n\n",
		  "tlog-proof line 3: a proof hash must be 32 bytes" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n"
		  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ= \n\n",
		  "tlog-proof line 3: a proof hash must be 32 bytes" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n"
		  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\r\n\n",
		  "tlog-proof line 3: a proof hash must be 32 bytes" },
		/* the empty line missing: the checkpoint's origin is read as
		 * a hash */
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1,
		  "tlog-proof line 4: a proof hash must be 32 bytes" },
	};
	custody_key *key;
	custody_error *err = NULL;
	char *checkpoint = make_checkpoint(&key);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct custody_tlog_proof p;
		custody_buf text = CUSTODY_BUF_INIT;

		CHECK(custody_buf__printf(&text, "%s%s", cases[i].head,
			checkpoint) == 0);
		if (cases[i].head[0] == '\0')
			text.size = 0;
		CHECK_FAILS(custody_tlog_proof__parse(&p, text.ptr, text.size,
			&err), err, CUSTODY_EINVALID, cases[i].message);
		CHECK(p.checkpoint == NULL && p.extra == NULL &&
			p.hashes == NULL && p.nhashes == 0);
		custody_buf_dispose(&text);
	}
	custody_key_free(key);
	free(checkpoint);
}

static void test_note__tlog_proof_checkpoint_problems_name_the_line(void)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1,
		  "tlog-proof line 4: no empty line before the checkpoint" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\n",
		  "tlog-proof line 5: no checkpoint after the empty line" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\n1\n" ROOT_B64
		  "\n", "tlog-proof line 7: no blank line separates the text" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\n1\n" ROOT_B64
		  "\n\n" EM_DASH " log AAAAAAAA\ngarbage\n",
		  "tlog-proof line 10: a signature line must start with an em "
		  "dash" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\n1\n" ROOT_B64
		  "\n\n" EM_DASH " log AAAAAAAA\ngarbage",
		  "tlog-proof line 10: the last line does not end with a "
		  "newline" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\n1\n" ROOT_B64
		  "\n\n" EM_DASH " log AAAAAAAA\n\n",
		  "tlog-proof line 10: no signature line after the blank "
		  "line" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\nx\n" ROOT_B64
		  "\n\n" EM_DASH " log AAAAAAAA\n",
		  "tlog-proof line 6: the tree size is not a decimal number" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nlog\n1\n\n"
		  EM_DASH " log AAAAAAAA\n",
		  "tlog-proof line 7: no root hash line" },
		{ "c2sp.org/tlog-proof@v1\nindex 1\n" H1 "\nl\x01g\n1\n"
		  ROOT_B64 "\n\n" EM_DASH " log AAAAAAAA\n",
		  "tlog-proof line 5: control character 0x01" },
	};
	custody_error *err = NULL;
	struct custody_tlog_proof p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_FAILS(custody_tlog_proof__parse(&p, cases[i].text,
			strlen(cases[i].text), &err), err, CUSTODY_EINVALID,
			cases[i].message);
	/* the same proof with a well-formed checkpoint parses */
	CHECK_OK(custody_tlog_proof__parse(&p, cases[3].text,
		strlen(cases[3].text) - strlen("garbage\n"), &err), err);
	CHECK_INT(p.checkpoint_len, 69);
	custody_tlog_proof__clear(&p);
}

static void test_note__tlog_proof_limits(void)
{
	struct custody_tlog_proof p, back;
	unsigned char hashes[65][32];
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	custody_key *key;
	char *checkpoint = make_checkpoint(&key);
	unsigned char *extra = calloc(1, CUSTODY_TLOG_PROOF_MAX_EXTRA + 1);

	memset(hashes, 0x5a, sizeof(hashes));
	memset(&p, 0, sizeof(p));
	p.checkpoint = checkpoint;
	p.checkpoint_len = strlen(checkpoint);
	p.hashes = hashes;

	/* 65 hashes: format refuses, and parse refuses the 65th line */
	p.nhashes = 65;
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "65 proof hashes, more than 64");
	p.nhashes = 64;
	CHECK_OK(custody_tlog_proof__format(&p, &text, &err), err);
	{
		custody_buf more = CUSTODY_BUF_INIT;
		const char *split = strstr(text.ptr, "\n\n");

		CHECK(split != NULL);
		CHECK(custody_buf__append(&more, text.ptr,
			(size_t)(split - text.ptr) + 1) == 0);
		CHECK(custody_buf__printf(&more, "%.44s\n%s", split - 44,
			split + 1) == 0);
		CHECK_FAILS(custody_tlog_proof__parse(&back, more.ptr,
			more.size, &err), err, CUSTODY_EINVALID,
			"tlog-proof line 67: more than 64 proof hashes");
		custody_buf_dispose(&more);
	}
	{
		/* the 64th hash line with 33 bytes (44 characters, no
		 * padding) is refused without writing past the array */
		custody_buf more = CUSTODY_BUF_INIT;
		const char *split = strstr(text.ptr, "\n\n");

		CHECK(split != NULL);
		CHECK(custody_buf__append(&more, text.ptr,
			(size_t)(split - text.ptr) - 44) == 0);
		CHECK(custody_buf__printf(&more, "%.43sA%s", split - 44,
			split) == 0);
		CHECK_FAILS(custody_tlog_proof__parse(&back, more.ptr,
			more.size, &err), err, CUSTODY_EINVALID,
			"tlog-proof line 66: a proof hash must be 32 bytes");
		custody_buf_dispose(&more);
	}
	custody_buf_dispose(&text);

	/* extra data: 1 MiB is the most */
	p.nhashes = 1;
	p.has_extra = 1;
	p.extra = extra;
	p.extra_len = CUSTODY_TLOG_PROOF_MAX_EXTRA;
	check_round_trip(&p);
	p.extra_len++;
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "the extra data is more than 1048576 bytes");
	{
		custody_buf big = CUSTODY_BUF_INIT;

		CHECK(custody_buf__append(&big, "c2sp.org/tlog-proof@v1\n"
			"extra ", 29) == 0);
		CHECK(custody_base64__append(&big, extra, p.extra_len) == 0);
		CHECK(custody_buf__printf(&big, "\nindex 0\n\n%s",
			checkpoint) == 0);
		CHECK_FAILS(custody_tlog_proof__parse(&back, big.ptr, big.size,
			&err), err, CUSTODY_EINVALID, "tlog-proof line 2: the "
			"extra data is more than 1048576 bytes");
		custody_buf_dispose(&big);
	}

	/* the whole file: 2 MiB */
	{
		custody_buf huge = CUSTODY_BUF_INIT;

		CHECK(custody_buf__append(&huge, "c2sp.org/tlog-proof@v1\n"
			"index 0\n\n", 32) == 0);
		while (huge.size < CUSTODY_TLOG_PROOF_MAX_SIZE)
			CHECK(custody_buf__append(&huge, checkpoint,
				strlen(checkpoint)) == 0);
		CHECK_FAILS(custody_tlog_proof__parse(&back, huge.ptr,
			huge.size, &err), err, CUSTODY_EINVALID,
			"is more than the 2097152 a proof may have");
		custody_buf_dispose(&huge);
	}

	/* format refuses what parse would */
	p.has_extra = 0;
	p.index = (uint64_t)INT64_MAX + 1;
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "the index is 2^63 or more");
	p.index = 0;
	p.checkpoint = NULL;
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "tlog-proof: no checkpoint");
	p.checkpoint = (char *)checkpoint_text;
	p.checkpoint_len = strlen(checkpoint_text);
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "checkpoint line 3: no blank line");
	p.checkpoint = (char *)"not a checkpoint\n\n" EM_DASH " a AAAAAAAA\n";
	p.checkpoint_len = strlen(p.checkpoint);
	CHECK_FAILS(custody_tlog_proof__format(&p, &text, &err), err,
		CUSTODY_EINVALID, "checkpoint line 2: no tree size line");
	CHECK_INT(text.size, 0);

	custody_tlog_proof__clear(NULL);
	custody_buf_dispose(&text);
	custody_key_free(key);
	free(checkpoint);
	free(extra);
}

static const struct test tests[] = {
	TEST(test_note__c2sp_example_verifies),
	TEST(test_note__c2sp_example_fails_after_one_byte_changed),
	TEST(test_note__go_vectors_verify_each_key_alone_and_together),
	TEST(test_note__sign_reproduces_go_signatures),
	TEST(test_note__go_sumdb_checkpoints_verify_and_parse),
	TEST(test_note__text_ends_at_the_last_blank_line),
	TEST(test_note__c2sp_checkpoint_example_parses),
	TEST(test_note__sign_then_verify_round_trip),
	TEST(test_note__known_key_signature_of_wrong_length_fails),
	TEST(test_note__verifier_with_invalid_name_matches_nothing),
	TEST(test_note__unknown_signatures_are_ignored),
	TEST(test_note__more_than_100_signatures_are_refused),
	TEST(test_note__malformed_notes_are_refused),
	TEST(test_note__spec_limits_are_accepted),
	TEST(test_note__vkey_manglings_are_refused),
	TEST(test_note__vkey_errors_say_why),
	TEST(test_note__vkey_with_small_order_key_is_refused),
	TEST(test_note__sign_refuses_bad_text_and_names),
	TEST(test_note__checkpoint_round_trip),
	TEST(test_note__checkpoint_extensions_and_limits),
	TEST(test_note__malformed_checkpoints_are_refused),
	TEST(test_note__checkpoint_format_refuses_bad_fields),
	TEST(test_note__tlog_proof_round_trip),
	TEST(test_note__tlog_proof_spec_lines_parse),
	TEST(test_note__tlog_proof_spec_example_is_refused_at_line_14),
	TEST(test_note__malformed_tlog_proofs_are_refused),
	TEST(test_note__tlog_proof_checkpoint_problems_name_the_line),
	TEST(test_note__tlog_proof_limits),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
