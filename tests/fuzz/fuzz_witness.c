/*
 * Fuzz target for the witness's add-checkpoint verdict (libFuzzer
 * style): the request body, as a hostile client sends it, to a witness
 * with a state folder of its own (made once, in a temporary folder, with
 * keys from fixed seeds, trusting the log "fuzz.example/log"; removed at
 * exit). Besides "never crash, never leak", it checks:
 *   - every input gets a verdict (0), never a failure of the witness;
 *   - the status is one of 200 400 403 404 409 422, the body one line
 *     ending in "\n", the content type text/x.tlog.size for 409 only;
 *   - a 200 body is one cosignature line by this witness that verifies
 *     over the request's checkpoint text, with a timestamp within a
 *     minute of now.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   clang -fsanitize=fuzzer,address ... fuzz_witness.c  (with libFuzzer)
 *   replay.c + fuzz_witness.c                          (without: corpus)
 *
 * The corpus (corpus/witness) is made by corpus/witness/make.py, which
 * signs its checkpoints with the same fixed log key.
 */
#define _XOPEN_SOURCE 700
#include "custody/witness.h"
#include "cosignature.h"
#include "fsutil.h"
#include "key.h"
#include "note.h"
#include "witness.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_TARGET "witness"
#include "fuzz.h"
#include "files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 section 7.1 TEST 1 (the log) and TEST 2 (the witness) */
static const char log_seed[] =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char witness_seed[] =
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

static custody_witness *witness;
static custody_key *witness_key;
static struct custody_cosig_verifier self;
static char folder[] = "/tmp/custody-fuzz-witness.XXXXXX";

static void finish(void)
{
	custody_witness_free(witness);
	custody_key_free(witness_key);
	fuzz_remove_tree(folder);
}

static custody_key *key_from(const char *hex)
{
	unsigned char seed[32];
	custody_key *key = NULL;
	custody_error *err = NULL;

	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &seed[i]);
	if (custody_key__from_seed(&key, seed, &err) != 0)
		broken("key", err);
	return key;
}

static void setup(void)
{
	custody_error *err = NULL;
	custody_key *log_key;
	custody_buf vkey = CUSTODY_BUF_INIT;
	char *dir;

	if (mkdtemp(folder) == NULL)
		broken("mkdtemp", NULL);
	atexit(finish);
	if (asprintf(&dir, "%s/state", folder) < 0)
		broken("out of memory", NULL);
	log_key = key_from(log_seed);
	witness_key = key_from(witness_seed);
	if (custody_pubkey_vkey(custody_key_public(log_key),
	    "fuzz.example/log", &vkey, &err) != 0 ||
	    custody_witness_init(dir, "fuzz.example/witness",
	    custody_key_public(witness_key), "fuzz", &err) != 0 ||
	    custody_witness_open(&witness, dir, &err) != 0 ||
	    custody_witness_set_key(witness, witness_key, &err) != 0 ||
	    custody_witness_trust(witness, "fuzz.example/log", vkey.ptr, NULL,
	    &err) != 0 ||
	    custody_cosig__verifier_from_key(&self, "fuzz.example/witness",
	    custody_pubkey_raw(custody_key_public(witness_key)), &err) != 0)
		broken("setup", err);
	custody_buf_dispose(&vkey);
	custody_key_free(log_key);
	free(dir);
}

struct line_check {
	const char *text;
	size_t text_len;
	int lines, ok;
};

static int check_line(const struct custody_note_signature *sig,
	void *payload)
{
	struct line_check *c = payload;
	custody_error *err = NULL;
	uint64_t ts = 0;
	int rc;

	c->lines++;
	rc = custody_cosig__verify_line(&self, c->text, c->text_len, sig, &ts,
		&err);
	if (rc != 0)
		broken("the 200 body is not a valid cosignature", err);
	if (ts + 60 < (uint64_t)time(NULL) || ts > (uint64_t)time(NULL) + 60)
		broken("the cosignature's timestamp is not now", NULL);
	c->ok = 1;
	return 0;
}

/* The 200 body against the checkpoint text of the request. */
static void check_cosignature(const uint8_t *data, size_t size,
	const custody_buf *body)
{
	const char *blank = NULL, *note;
	custody_buf joined = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t text_len, note_len;
	struct line_check c = { NULL, 0, 0, 0 };

	/* the request's checkpoint: after the first empty line */
	for (size_t i = 1; i < size; i++)
		if (data[i] == '\n' && data[i - 1] == '\n') {
			blank = (const char *)data + i + 1;
			break;
		}
	if (blank == NULL)
		broken("200 for a request without an empty line", NULL);
	note = blank;
	note_len = size - (size_t)(blank - (const char *)data);
	if (custody_note__split(note, note_len, &text_len, &err) != 0)
		broken("200 for a checkpoint that does not parse", err);
	/* the text with only the body as its signature */
	if (custody_buf__append(&joined, note, text_len) != 0 ||
	    custody_buf__append(&joined, "\n", 1) != 0 ||
	    custody_buf__append(&joined, body->ptr, body->size) != 0)
		broken("out of memory", NULL);
	c.text = joined.ptr;
	c.text_len = text_len;
	if (custody_note__signatures(joined.ptr, joined.size, check_line, &c,
	    &err) != 0 || c.lines != 1 || !c.ok)
		broken("the 200 body is not one signature line", err);
	custody_buf_dispose(&joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custody_witness_answer a = CUSTODY_WITNESS_ANSWER_INIT;
	custody_error *err = NULL;

	if (witness == NULL)
		setup();
	if (custody_witness_add_checkpoint(witness, (const char *)data, size,
	    &a, &err) != 0)
		broken("no verdict", err);
	switch (a.status) {
	case 200: case 400: case 403: case 404: case 409: case 422:
		break;
	default:
		broken("an unexpected status", NULL);
	}
	if (a.body.size == 0 || a.body.ptr[a.body.size - 1] != '\n' ||
	    memchr(a.body.ptr, '\n', a.body.size) !=
	    a.body.ptr + a.body.size - 1)
		broken("the body is not one line", NULL);
	if ((strcmp(a.content_type, "text/x.tlog.size") == 0) !=
	    (a.status == 409))
		broken("the content type", NULL);
	if (a.status == 200)
		check_cosignature(data, size, &a.body);
	/* to see what the corpus walks through */
	if (getenv("FUZZ_WITNESS_VERBOSE") != NULL)
		fprintf(stderr, "%d %s", a.status, a.body.ptr);
	custody_witness_answer_dispose(&a);
	return 0;
}
