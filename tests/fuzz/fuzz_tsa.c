/*
 * Fuzz target for RFC 3161 replies (libFuzzer style): the input as a
 * TSA's TimeStampResp (`custody timestamp request`) and as a stored
 * token (`custody verify`, `custody check`), over the SHA-256 of "fuzz".
 * No trust anchor is given, so a token's own certificate checks its
 * signature: the parsing and every check but the chain are exercised.
 * Besides "never crash, never leak", it checks:
 *   - custody_tsa__token_from_response answers 0, CUSTODY_EINVALID
 *     (malformed) or CUSTODY_ERROR (not granted), a refusal with a
 *     message; custody_tsa__verify 0, CUSTODY_EVERIFY or CUSTODY_EINVALID;
 *   - an accepted token is reported untrusted, for SHA-256, with a time
 *     written "YYYY-MM-DDTHH:MM:SSZ";
 *   - a response that gives a token verifies as that token does.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh tsa SECONDS           (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_tsa.c                    (without: corpus)
 */
#include "expect.h"
#include "tsa.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#define FUZZ_TARGET "tsa"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int rc, const custody_error *err, int a, int b)
{
	if ((rc != a && rc != b) || err == NULL ||
	    custody_error_code(err) != rc ||
	    custody_error_message(err)[0] == '\0')
		broken("refusal without a proper error", err);
}

static int well_formed_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		int digit = t[i] >= '0' && t[i] <= '9';

		if (shape[i] == 'd' ? !digit : t[i] != shape[i])
			return 0;
	}
	return 1;
}

/* custody_tsa__verify's answer, its properties checked. */
static int verify(const void *bytes, size_t size,
	const unsigned char digest[32])
{
	struct custody_tsa_info info;
	custody_error *err = NULL;
	int untrusted = 0;
	int rc = custody_tsa__verify(bytes, size, digest, NULL, &info,
		&untrusted, &err);

	if (rc != 0) {
		check_refusal(rc, err, CUSTODY_EVERIFY, CUSTODY_EINVALID);
	} else if (!untrusted || strcmp(info.digest_alg, "sha256") != 0 ||
	    !well_formed_time(info.gen_time)) {
		broken("an accepted token's details are wrong", NULL);
	}
	custody_error_free(err);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char digest[32], *bytes;
	custody_buf token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	int rc, as_response;

	SHA256((const unsigned char *)"fuzz", 4, digest);
	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	as_response = verify(bytes, size, digest);
	fuzz_expect("tsa", as_response == 0);
	rc = custody_tsa__token_from_response(bytes, size, 0, &token, &err);
	if (rc != 0) {
		check_refusal(rc, err, CUSTODY_EINVALID, CUSTODY_ERROR);
		goto cleanup;
	}
	if (verify(token.ptr, token.size, digest) != as_response)
		broken("a response and its token verify differently", NULL);
cleanup:
	custody_buf_dispose(&token);
	custody_error_free(err);
	free(bytes);
	return 0;
}
