/*
 * Fuzz target for key files (libFuzzer style): the input as an
 * encrypted PKCS#8 PEM key file, which custody_key_load reads (written
 * with mode 0600 to a temporary folder, removed at exit) with the
 * passphrase "fuzz". Besides "never crash, never leak", it checks:
 *   - every answer is 0, CUSTODY_EINVALID or CUSTODY_EPASSPHRASE, a
 *     refusal with a message naming the file;
 *   - a loaded key has an acceptable public half and signs what that
 *     public half verifies.
 * A broken property aborts, which a fuzzer reports as a crash. Inputs
 * that reach the decryption pay for scrypt (N = 2^14) each time, so this
 * target runs slower than the others.
 *
 *   tests/fuzz/fuzz.sh pkcs8 SECONDS         (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_pkcs8.c                  (without: corpus)
 */
#include "ed25519.h"
#include "expect.h"
#include "key.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_TARGET "pkcs8"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[] = "/tmp/custody-fuzz-pkcs8.XXXXXX";
static char path[64];

static void finish(void)
{
	unlink(path);
	rmdir(folder);
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd;

	if (path[0] == '\0') {
		if (mkdtemp(folder) == NULL)
			broken("mkdtemp", NULL);
		snprintf(path, sizeof(path), "%s/fuzz.key", folder);
		atexit(finish);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) != 0)
		broken("cannot write the input", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char message[] = "fuzz";
	unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES];
	custody_key *key = NULL;
	custody_error *err = NULL;
	const unsigned char *pub;
	int rc;

	write_input(data, size);
	rc = custody_key_load(&key, path, "fuzz", 4, &err);
	fuzz_expect("pkcs8", rc == 0);
	if (rc != 0) {
		if ((rc != CUSTODY_EINVALID && rc != CUSTODY_EPASSPHRASE) ||
		    err == NULL || key != NULL ||
		    strstr(custody_error_message(err), path) == NULL)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	pub = custody_pubkey_raw(custody_key_public(key));
	if (custody_ed25519__public_key_problem(pub) != NULL)
		broken("loaded an unacceptable public key", NULL);
	if (custody_ed25519__sign(custody_key__pkey(key), message,
	    strlen(message), sig, &err) != 0)
		broken("a loaded key cannot sign", err);
	if (custody_ed25519__verify(pub, message, strlen(message), sig) != 1)
		broken("the private half is not the public half's", NULL);
cleanup:
	custody_key_free(key);
	custody_error_free(err);
	return 0;
}
