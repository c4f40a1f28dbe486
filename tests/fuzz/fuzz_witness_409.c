/*
 * Fuzz target for a witness's 409 answer as `custody cosign` reads it
 * (libFuzzer style): the body, at most 4 KiB as libcurl hands it over,
 * to custody_witness__conflict_size (witness_cosign.c), whose size is
 * the one cosign asks again from. Besides "never crash", it checks:
 *   - a size taken is the body's decimal digits, canonical, then a
 *     newline or nothing: the body is exactly that size written back;
 *   - every such body of a size that fits in 64 bits is taken (the
 *     digits read again here, on their own, with their own overflow
 *     check).
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh witness_409 SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_witness_409.c            (without: the corpus)
 *
 * Seeds named valid-* must be taken, refused-* refused.
 */
#include "witness.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "witness_409"
#include "fuzz.h"
#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is body one canonical decimal number of 64 bits, then "\n" or not? */
static int is_size(const uint8_t *body, size_t len)
{
	size_t digits = len > 0 && body[len - 1] == '\n' ? len - 1 : len;
	static const char max[] = "18446744073709551615";

	if (digits == 0 || digits > 20 || (body[0] == '0' && digits > 1))
		return 0;
	for (size_t i = 0; i < digits; i++)
		if (body[i] < '0' || body[i] > '9')
			return 0;
	/* as long as UINT64_MAX: compare as text */
	return digits < 20 || memcmp(body, max, 20) <= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_copy(data, size > 4096 ? 4096 : size);
	char back[32];
	uint64_t said = 12345;
	int rc, n;

	if (body == NULL)
		return 0;
	if (size > 4096)
		size = 4096;
	rc = custody_witness__conflict_size(body, size, &said);
	if (rc != 0 && rc != -1)
		broken("neither a size nor a refusal", NULL);
	if (rc == 0) {
		n = snprintf(back, sizeof(back), "%" PRIu64, said);
		if (!((size_t)n == size || ((size_t)n + 1 == size &&
		    body[n] == '\n')) || memcmp(back, body, (size_t)n) != 0)
			broken("a size that is not the body written back",
				NULL);
	} else if (said != 12345) {
		broken("a refusal that set the size", NULL);
	}
	if ((rc == 0) != is_size(data, size))
		broken("a size's body refused, or another body taken", NULL);
	fuzz_expect(FUZZ_TARGET, rc == 0);
	free(body);
	return 0;
}
