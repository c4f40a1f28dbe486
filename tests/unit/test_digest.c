/*
 * digest.c: the SHA-256 of bytes and of files as entries record them,
 * and a SHA-256 OpenSSL cannot compute reported as an error (the calls
 * it replaced ignored EVP_Digest's result and compared stale bytes).
 */
#include "digest.h"
#include "test.h"

#include <string.h>

#include <openssl/provider.h>

static void test_digest__sha256_known_answers(void)
{
	/* FIPS 180-2, appendix B.1 ("abc") and the empty message */
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41,
		0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
		0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
		0x15, 0xad };
	static const unsigned char empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb,
		0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4,
		0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
		0xb8, 0x55 };
	unsigned char out[32];
	custody_error *err = NULL;
	/* after the null provider's test: the default one, explicitly */
	OSSL_PROVIDER *standard = OSSL_PROVIDER_load(NULL, "default");

	CHECK(standard != NULL);
	CHECK_INT(custody_digest__sha256("abc", 3, out, &err), 0);
	CHECK(memcmp(out, abc, 32) == 0);
	CHECK_INT(custody_digest__sha256("", 0, out, &err), 0);
	CHECK(memcmp(out, empty, 32) == 0);
	CHECK(err == NULL);
	OSSL_PROVIDER_unload(standard);
}

/* First, before anything fetched SHA-256: loading only the null
 * provider keeps OpenSSL from loading its default one. */
static void test_digest__sha256_failure_is_an_error(void)
{
	OSSL_PROVIDER *null = OSSL_PROVIDER_load(NULL, "null");
	unsigned char out[32];
	custody_error *err = NULL;

	CHECK(null != NULL);
	CHECK(!OSSL_PROVIDER_available(NULL, "default"));
	CHECK_INT(custody_digest__sha256("abc", 3, out, &err), CUSTODY_ERROR);
	CHECK(err != NULL);
	if (err)
		CHECK_CONTAINS(custody_error_message(err),
			"cannot compute a SHA-256");
	custody_error_free(err);
	OSSL_PROVIDER_unload(null);
}

static const struct test tests[] = {
	TEST(test_digest__sha256_failure_is_an_error),
	TEST(test_digest__sha256_known_answers),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
