/*
 * Fuzz target for SSHSIG armour (libFuzzer style): the input as a
 * detached signature (`custody verify-signature`, signed commits), checked
 * over a fixed message in the "custody" namespace. Besides "never crash,
 * never leak", it checks:
 *   - every answer is 0, CUSTODY_EINVALID (malformed) or CUSTODY_EVERIFY
 *     (well-formed, wrong), a refusal with a message;
 *   - an accepted signature names an acceptable signer, and is refused
 *     (CUSTODY_EVERIFY) over another message and in the "git" namespace;
 *   - a signature accepted from the RFC 8032 TEST 1 key is what
 *     custody_sshsig_sign writes (Ed25519 is deterministic) but for line
 *     breaks: the armour's lines may be of any length, end in "\r\n" or
 *     be empty (as ssh-keygen reads it), but no other text stands for
 *     the same signature.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh sshsig SECONDS        (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_sshsig.c                 (without: corpus)
 */
#include "custody/sshsig.h"
#include "ed25519.h"
#include "expect.h"
#include "key.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "sshsig"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The message every corpus signature is over (without a newline). */
static const char message[] = "fuzz";
/* RFC 8032 section 7.1 TEST 1 */
static const unsigned char seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};
static custody_key *test1;
static custody_buf test1_signature = CUSTODY_BUF_INIT;

static void finish(void)
{
	custody_buf_dispose(&test1_signature);
	custody_key_free(test1);
}

static void setup(void)
{
	custody_error *err = NULL;

	if (custody_key__from_seed(&test1, seed, &err) != 0 ||
	    custody_sshsig_sign(test1, "custody", message, strlen(message),
	    &test1_signature, &err) != 0)
		broken("setup", err);
	atexit(finish);
}

/* a and b are the same text once every "\r" and "\n" is taken out. */
static int same_but_line_breaks(const char *a, size_t a_len, const char *b,
	size_t b_len)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a_len && (a[i] == '\r' || a[i] == '\n'))
			i++;
		while (j < b_len && (b[j] == '\r' || b[j] == '\n'))
			j++;
		if (i == a_len || j == b_len)
			return i == a_len && j == b_len;
		if (a[i++] != b[j++])
			return 0;
	}
}

static void check_refusal(int rc, const custody_error *err)
{
	if ((rc != CUSTODY_EINVALID && rc != CUSTODY_EVERIFY) ||
	    err == NULL || custody_error_code(err) != rc ||
	    custody_error_message(err)[0] == '\0')
		broken("refusal without a proper error", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custody_pubkey *signer = NULL;
	custody_error *err = NULL;
	char *bytes;
	int rc;

	if (test1 == NULL)
		setup();
	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	rc = custody_sshsig_verify(bytes, size, "custody", message,
		strlen(message), &signer, &err);
	fuzz_expect("sshsig", rc == 0);
	if (rc != 0) {
		check_refusal(rc, err);
		goto cleanup;
	}
	if (signer == NULL ||
	    custody_ed25519__public_key_problem(custody_pubkey_raw(signer)))
		broken("accepted without an acceptable signer", NULL);
	if ((rc = custody_sshsig_verify(bytes, size, "custody", "fuzz!", 5,
	    NULL, &err)) != CUSTODY_EVERIFY)
		broken("also holds over another message", err);
	custody_error_free(err);
	err = NULL;
	if ((rc = custody_sshsig_verify(bytes, size, "git", message,
	    strlen(message), NULL, &err)) != CUSTODY_EVERIFY)
		broken("also holds in another namespace", err);
	if (custody_pubkey_equal(signer, custody_key_public(test1)) &&
	    !same_but_line_breaks(bytes, size, test1_signature.ptr,
	    test1_signature.size))
		broken("another text for one signature", NULL);
cleanup:
	custody_pubkey_free(signer);
	custody_error_free(err);
	free(bytes);
	return 0;
}
