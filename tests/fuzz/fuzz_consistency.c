/*
 * Fuzz target for consistency proofs (custody-consistency/v1) and the
 * two checkpoints they join, as `custody consistency OLD NEW --proof C
 * --key KEY` reads them (custody_consistency_check). libFuzzer style;
 * replay.c runs the corpus, tests/fuzz/corpus/consistency.
 *
 * The input is the old checkpoint, the new one, the proof and the
 * outlet's key, separated by NUL bytes. Besides "never crash, never
 * leak", it checks:
 *   - a refusal is CUSTODY_EINVALID or CUSTODY_EVERIFY with a message;
 *   - the verdict is the same when asked twice;
 *   - a proof accepted is refused with any one bit of any of its
 *     hashes changed (every hash of a consistency proof goes into the
 *     new tree's root), and refused with its "new" size one larger.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh consistency SECONDS    (libFuzzer, docs/fuzzing.md)
 */
#include "base64.h"
#include "custody/check.h"
#include "expect.h"
#include "split.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "consistency"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const struct fuzz_part *p, const char *proof,
	size_t proof_len, custody_error **err)
{
	return custody_consistency_check(p[0].text, p[0].len, p[1].text,
		p[1].len, proof, proof_len, p[3].text, err);
}

/* Each hash line of the accepted proof, one bit flipped: refused. */
static void flip_each_hash(const struct fuzz_part *p)
{
	char *proof = malloc(p[2].len + 1);
	const char *end = p[2].text + p[2].len;
	size_t line = 0;

	if (proof == NULL)
		return;
	memcpy(proof, p[2].text, p[2].len + 1);
	for (const char *q = p[2].text; q < end; line++) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
		unsigned char hash[33];
		size_t got;

		if (line >= 3 && n == 44 &&
		    custody_base64_decode(hash, &got, q, 44) == 0 && got == 32) {
			char *at = proof + (q - p[2].text);
			char saved[45];
			unsigned bit = (unsigned)(line * 7) % 256;
			custody_error *err = NULL;
			int rc;

			memcpy(saved, at, 44);
			hash[bit / 8] ^= (unsigned char)(1u << (bit % 8));
			custody_base64_encode(saved + 0, hash, 32);
			memcpy(at, saved, 44);
			rc = check(p, proof, p[2].len, &err);
			if (rc == 0)
				broken("a consistency proof with a hash changed "
					"is accepted", NULL);
			custody_error_free(err);
			memcpy(at, q, 44);
		}
		q = nl ? nl + 1 : end;
	}
	free(proof);
}

/* The proof with "new N" made "new N+1": refused. */
static void grow_new_size(const struct fuzz_part *p)
{
	const char *at = strstr(p[2].text, "\nnew ");
	char *proof = NULL;
	custody_error *err = NULL;
	uint64_t n;
	int len;

	if (at == NULL || sscanf(at + 5, "%" SCNu64, &n) != 1 ||
	    n == UINT64_MAX)
		return;
	at = strchr(at + 1, '\n');
	len = asprintf(&proof, "%.*snew %" PRIu64 "%s",
		(int)(strstr(p[2].text, "\nnew ") + 1 - p[2].text), p[2].text,
		n + 1, at ? at : "");
	if (len < 0)
		return;
	if (check(p, proof, (size_t)len, &err) == 0)
		broken("a consistency proof of another size is accepted",
			NULL);
	custody_error_free(err);
	free(proof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part p[4];
	custody_error *err = NULL, *err2 = NULL;
	char *copy;
	int rc, rc2;

	if ((copy = fuzz_split(data, size, p, 4)) == NULL)
		return 0;
	rc = check(p, p[2].text, p[2].len, &err);
	fuzz_expect("consistency", rc == 0);
	if (rc == CUSTODY_ENOMEM)
		goto cleanup;
	if (rc != 0 && ((rc != CUSTODY_EINVALID && rc != CUSTODY_EVERIFY) ||
	    err == NULL || custody_error_message(err)[0] == '\0'))
		broken("a refusal without a proper error", err);
	rc2 = check(p, p[2].text, p[2].len, &err2);
	if (rc2 != rc && rc2 != CUSTODY_ENOMEM)
		broken("two checks of one proof disagree", err2);
	if (rc == 0) {
		flip_each_hash(p);
		grow_new_size(p);
	}
cleanup:
	custody_error_free(err);
	custody_error_free(err2);
	free(copy);
	return 0;
}
