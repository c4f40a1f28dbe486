/*
 * Fuzz target for cosignatures (c2sp.org/tlog-cosignature) in signed
 * notes (libFuzzer style): the input as a cosigned checkpoint, as
 * `custody check` and `custody cosign` read witnesses' answers, looked
 * through for the cosignature of one witness (RFC 8032 TEST 2's key,
 * named "fuzz.example/witness"). Besides "never crash, never leak", it
 * checks:
 *   - custody_cosig__find answers 0, 1, CUSTODY_EVERIFY or
 *     CUSTODY_EINVALID (the last exactly when the note does not split),
 *     a refusal with a message;
 *   - a line it finds lies inside the note, starts with the witness's
 *     name and ends with "\n", and custody_cosig__verify_line agrees
 *     on it, with the same timestamp;
 *   - custody_cosig__strip gives a prefix that is still a note with the
 *     same text, and stripping it again changes nothing.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh cosignature SECONDS   (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_cosignature.c            (without: corpus)
 */
#include "cosignature.h"
#include "expect.h"
#include "note.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "cosignature"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WITNESS "fuzz.example/witness"
/* RFC 8032 section 7.1 TEST 2's public key */
static const unsigned char witness_pub[32] = {
	0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a,
	0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4,
	0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c
};

struct seen {
	const struct custody_cosig_verifier *v;
	const char *text;
	size_t text_len;
	int valid;              /* lines by v that verify */
	int invalid;            /* lines by v that do not */
	uint64_t timestamp;     /* of the first valid one */
};

static int check_line(const struct custody_note_signature *sig,
	void *payload)
{
	struct seen *s = payload;
	custody_error *err = NULL;
	uint64_t ts = 0;
	int rc = custody_cosig__verify_line(s->v, s->text, s->text_len, sig,
		&ts, &err);

	if (rc == 0 && s->valid++ == 0)
		s->timestamp = ts;
	else if (rc == CUSTODY_EVERIFY && err != NULL)
		s->invalid++;
	else if (rc != 1 && rc != 0)
		broken("a line neither another's, valid nor invalid", err);
	custody_error_free(err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct custody_cosig_verifier v;
	custody_error *err = NULL;
	struct seen s = { 0 };
	size_t text_len = 0, start = 0, line_len = 0, stripped, again;
	uint64_t ts = 0;
	char *bytes;
	int split, rc;

	if (v.name[0] == '\0' && custody_cosig__verifier_from_key(&v, WITNESS,
	    witness_pub, &err) != 0)
		broken("setup", err);
	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	split = custody_note__split(bytes, size, &text_len, &err);
	custody_error_free(err);
	err = NULL;
	rc = custody_cosig__find(bytes, size, split == 0 ? text_len : 0, &v,
		&ts, &start, &line_len, &err);
	fuzz_expect("cosignature", rc == 0);
	if ((rc == CUSTODY_EINVALID) != (split != 0))
		broken("find and split disagree on what is a note", err);
	if (rc < 0 && (err == NULL || custody_error_code(err) != rc))
		broken("refusal without a proper error", err);
	if (rc != 0 && rc != 1 && rc != CUSTODY_EVERIFY &&
	    rc != CUSTODY_EINVALID)
		broken("an answer find does not give", err);
	if (split != 0)
		goto cleanup;
	s.v = &v;
	s.text = bytes;
	s.text_len = text_len;
	if (custody_note__signatures(bytes, size, check_line, &s, &err) != 0)
		broken("a note that splits has no signatures", err);
	if (rc == 0) {
		if (start < text_len || line_len == 0 ||
		    start + line_len > size || bytes[start + line_len - 1]
		    != '\n' || strncmp(bytes + start, "\xe2\x80\x94 " WITNESS
		    " ", strlen(WITNESS) + 5) != 0)
			broken("the line found is not the witness's", NULL);
		if (s.valid == 0 || s.timestamp != ts)
			broken("find and verify_line disagree", NULL);
	}
	if (rc == 1 && (s.valid != 0 || s.invalid != 0))
		broken("no line of the witness, yet verify_line saw one",
			NULL);
	stripped = custody_cosig__strip(bytes, size);
	if (stripped > size || stripped < text_len + 2)
		broken("strip outside the note", NULL);
	if (custody_note__split(bytes, stripped, &again, &err) != 0 ||
	    again != text_len)
		broken("the stripped note is not the same note", err);
	if (custody_cosig__strip(bytes, stripped) != stripped)
		broken("strip is not idempotent", NULL);
cleanup:
	custody_error_free(err);
	free(bytes);
	return 0;
}
