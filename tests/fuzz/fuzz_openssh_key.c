/*
 * Fuzz target for OpenSSH private key files (libFuzzer style), as
 * `custody key import` reads them (custody_key_import_openssh). Besides
 * "never crash, never leak", it checks:
 *   - a refusal is CUSTODY_EINVALID with a message naming the input;
 *   - an imported key has an acceptable public half, and signs what that
 *     public half verifies (the private and public halves belong
 *     together).
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh openssh_key SECONDS   (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_openssh_key.c            (without: corpus)
 */
#include "ed25519.h"
#include "expect.h"
#include "key.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "openssh_key"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char message[] = "fuzz";
	custody_key *key = NULL;
	custody_error *err = NULL;
	unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES];
	const unsigned char *pub;
	char *bytes;
	int rc;

	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	rc = custody_key_import_openssh(&key, bytes, size, "fuzz", &err);
	fuzz_expect("openssh_key", rc == 0);
	if (rc != 0) {
		if (rc != CUSTODY_EINVALID || err == NULL || key != NULL ||
		    strstr(custody_error_message(err), "fuzz") == NULL)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	pub = custody_pubkey_raw(custody_key_public(key));
	if (custody_ed25519__public_key_problem(pub) != NULL)
		broken("imported an unacceptable public key", NULL);
	if (custody_ed25519__sign(custody_key__pkey(key), message,
	    strlen(message), sig, &err) != 0)
		broken("an imported key cannot sign", err);
	if (custody_ed25519__verify(pub, message, strlen(message), sig) != 1)
		broken("the private half is not the public half's", NULL);
cleanup:
	custody_key_free(key);
	custody_error_free(err);
	free(bytes);
	return 0;
}
