/*
 * custody_sha256_hex: the hash of bytes a command wrote (a report), in
 * the words sha256sum uses. Apart from common.c, which digest.h's
 * helpers themselves include.
 */
#include "common.h"
#include "digest.h"

int custody_sha256_hex(const void *data, size_t len,
	char out[CUSTODY_SHA256_HEX_SIZE], custody_error **err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];

	out[0] = '\0';
	if (custody_digest__sha256(data, len, digest, err) != 0)
		return CUSTODY_ERROR;
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}
