/*
 * Fuzz target for members/allowed_signers (libFuzzer style), as writers
 * read it back from the archive's head tree (custody_members__parse).
 * Besides "never crash, never leak", it checks:
 *   - a refusal is CUSTODY_EINVALID with a message naming the input;
 *   - an accepted file names an active member, and what
 *     custody_members__allowed_signers writes for those members parses
 *     again to the same names, keys and states, and writes the same.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh allowed_signers SECONDS   (docs/fuzzing.md)
 *   replay.c + fuzz_allowed_signers.c            (without: corpus)
 */
#include "expect.h"
#include "members.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "allowed_signers"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIGIN "fuzz.example/log"

static int same_members(const struct custody_members *a,
	const struct custody_members *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		const struct custody_member *x = &a->items[i];
		const struct custody_member *y = &b->items[i];

		if (strcmp(x->name, y->name) != 0 ||
		    memcmp(x->key, y->key, 32) != 0 ||
		    x->founding != y->founding || x->revoked != y->revoked ||
		    x->added != y->added ||
		    (x->revoked && x->revoked_at != y->revoked_at))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_members m = { 0 }, again = { 0 };
	custody_buf text = CUSTODY_BUF_INIT, text2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *bytes;
	int rc;

	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	rc = custody_members__parse(&m, bytes, size, "fuzz", &err);
	fuzz_expect("allowed_signers", rc == 0);
	if (rc != 0) {
		if (rc != CUSTODY_EINVALID || err == NULL ||
		    strstr(custody_error_message(err), "fuzz") == NULL)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	if (custody_members__active_count(&m) == 0)
		broken("accepted without an active member", NULL);
	if (custody_members__allowed_signers(&m, ORIGIN, &text, &err) != 0)
		broken("cannot write members it read", err);
	if (custody_members__parse(&again, text.ptr, text.size, "written",
	    &err) != 0)
		broken("cannot read members it wrote", err);
	if (!same_members(&m, &again))
		broken("members changed through write and parse", NULL);
	if (custody_members__allowed_signers(&again, ORIGIN, &text2,
	    &err) != 0 || text2.size != text.size ||
	    memcmp(text.ptr, text2.ptr, text.size) != 0)
		broken("allowed_signers is not a fixpoint", err);
cleanup:
	custody_buf_dispose(&text);
	custody_buf_dispose(&text2);
	custody_members__clear(&again);
	custody_members__clear(&m);
	custody_error_free(err);
	free(bytes);
	return 0;
}
