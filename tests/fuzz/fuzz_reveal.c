/*
 * Fuzz target for disclosures (custody-reveal/v2: a derivative's proof
 * and its original's), as `custody check-reveal DISCLOSURE --key KEY`
 * reads them (custody_reveal_check, without the files). libFuzzer
 * style; replay.c runs the corpus, tests/fuzz/corpus/reveal.
 *
 * The input is the outlet's key, a NUL byte, and the disclosure.
 * Besides "never crash, never leak", it checks:
 *   - a refusal is CUSTODY_EINVALID or CUSTODY_EVERIFY with a message
 *     and the step that failed ("disclosure", "derivative", "original",
 *     "link");
 *   - an accepted disclosure names two entries of the tree, the
 *     original's SHA-256 in lowercase hex, no failed step, no file
 *     checked;
 *   - it is the one text of its two proofs: written again from the
 *     decoded proofs it is the same bytes;
 *   - with its two proofs swapped it is refused.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh reveal SECONDS         (libFuzzer, docs/fuzzing.md)
 */
#include "base64.h"
#include "check.h"
#include "fsutil.h"
#include "custody/check.h"
#include "expect.h"
#include "split.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "reveal"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The base64 after "NAME " on the line at *p, decoded (malloc'd). */
static unsigned char *line_value(const char **p, const char *end,
	const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *nl;
	unsigned char *out;

	if ((size_t)(end - *p) <= n || memcmp(*p, name, n) != 0 ||
	    (*p)[n] != ' ' || (nl = memchr(*p, '\n', (size_t)(end - *p))) ==
	    NULL || (out = malloc((size_t)(nl - *p) + 1)) == NULL)
		return NULL;
	if (custody_base64_decode(out, len, *p + n + 1,
	    (size_t)(nl - (*p + n + 1))) != 0) {
		free(out);
		return NULL;
	}
	*p = nl + 1;
	return out;
}

/* The disclosure of proofs `first` and `second`, in that order. */
static int write_disclosure(custody_buf *out, const unsigned char *first,
	size_t first_len, const unsigned char *second, size_t second_len)
{
	return custody_buf__append(out, CUSTODY_REVEAL_V2,
		strlen(CUSTODY_REVEAL_V2)) != 0 ||
		custody_buf__append(out, "derivative ", 11) != 0 ||
		custody_base64__append(out, first, first_len) != 0 ||
		custody_buf__append(out, "\noriginal ", 10) != 0 ||
		custody_base64__append(out, second, second_len) != 0 ||
		custody_buf__append(out, "\n", 1) != 0 ? -1 : 0;
}

static void check_accepted(const custody_reveal_result *r,
	const char *key, const char *text, size_t len)
{
	const char *p = text + strlen(CUSTODY_REVEAL_V2), *end = text + len;
	unsigned char *d = NULL, *o = NULL;
	size_t dlen = 0, olen = 0, i;
	custody_buf again = CUSTODY_BUF_INIT, swapped = CUSTODY_BUF_INIT;
	custody_reveal_result r2;
	custody_error *err = NULL;

	if (r->failed_step[0] != '\0' || r->original_file_checked ||
	    r->derivative == r->original || r->tree_size <= r->derivative ||
	    r->tree_size <= r->original || r->origin[0] == '\0')
		broken("an accepted disclosure with a result that cannot be",
			NULL);
	for (i = 0; i < 64; i++)
		if (!((r->original_sha256[i] >= '0' &&
		    r->original_sha256[i] <= '9') ||
		    (r->original_sha256[i] >= 'a' &&
		    r->original_sha256[i] <= 'f')))
			broken("an original's SHA-256 that is not hex", NULL);
	if ((d = line_value(&p, end, "derivative", &dlen)) == NULL ||
	    (o = line_value(&p, end, "original", &olen)) == NULL || p != end)
		broken("an accepted disclosure not of the documented shape",
			NULL);
	if (write_disclosure(&again, d, dlen, o, olen) != 0 ||
	    write_disclosure(&swapped, o, olen, d, dlen) != 0)
		goto cleanup;
	if (again.size != len || memcmp(again.ptr, text, len) != 0)
		broken("a disclosure accepted in another text than its own",
			NULL);
	if (custody_reveal_check(swapped.ptr, swapped.size, key, NULL, NULL,
	    &r2, &err) == 0)
		broken("a disclosure with its proofs swapped is accepted",
			NULL);
cleanup:
	custody_error_free(err);
	custody_buf_dispose(&again);
	custody_buf_dispose(&swapped);
	free(d);
	free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const steps[] = { "disclosure", "derivative",
		"original", "link", NULL };
	struct fuzz_part p[2];
	custody_reveal_result r;
	custody_error *err = NULL;
	char *copy;
	int rc, known = 0;

	if ((copy = fuzz_split(data, size, p, 2)) == NULL)
		return 0;
	rc = custody_reveal_check(p[1].text, p[1].len, p[0].text, NULL, NULL,
		&r, &err);
	fuzz_expect("reveal", rc == 0);
	if (rc == CUSTODY_ENOMEM)
		goto cleanup;
	if (rc != 0) {
		for (size_t i = 0; steps[i] != NULL; i++)
			known |= strcmp(r.failed_step, steps[i]) == 0;
		if ((rc != CUSTODY_EINVALID && rc != CUSTODY_EVERIFY) ||
		    err == NULL || custody_error_message(err)[0] == '\0' ||
		    !known)
			broken("a refusal without a proper error and step",
				err);
		goto cleanup;
	}
	check_accepted(&r, p[0].text, p[1].text, p[1].len);
cleanup:
	custody_error_free(err);
	free(copy);
	return 0;
}
