/*
 * Ed25519 through OpenSSL, plus the input checks a transparency log
 * needs. OpenSSL 3.0 accepts signatures under small-order public keys,
 * for which a "valid" signature proves nothing about who made it, so
 * such keys are refused before OpenSSL sees them.
 */
#include "ed25519.h"
#include "common.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>

/*
 * Encodings of the small-order points, compared with the sign bit (bit
 * 255) cleared, so both signs of each are covered: y = 0, 1, p-1 (and
 * the non-canonical p, p+1), and the two y of the order-8 points.
 * The list is the one libsodium keeps for the same purpose.
 */
static const unsigned char small_order[][32] = {
	{ 0 },
	{ 0x01 },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const unsigned char group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

/* y, the encoding without its sign bit, is at least p = 2^255 - 19. */
static int y_not_canonical(const unsigned char pub[32])
{
	if ((pub[31] & 0x7f) != 0x7f)
		return 0;
	for (int i = 30; i > 0; i--)
		if (pub[i] != 0xff)
			return 0;
	return pub[0] >= 0xed;
}

const char *custody_ed25519__public_key_problem(const unsigned char pub[32])
{
	unsigned char y[32];

	memcpy(y, pub, sizeof(y));
	y[31] &= 0x7f;
	for (size_t i = 0; i < sizeof(small_order) / sizeof(small_order[0]);
	    i++)
		if (memcmp(y, small_order[i], sizeof(y)) == 0)
			return "is a point of small order (a key anyone "
				"could forge signatures for)";
	if (y_not_canonical(pub))
		return "is not a canonical encoding of a point";
	return NULL;
}

int custody_ed25519__s_is_canonical(const unsigned char sig[64])
{
	const unsigned char *s = sig + 32;

	/* Compare little-endian numbers from the most significant byte. */
	for (int i = 31; i >= 0; i--) {
		if (s[i] < group_order[i])
			return 1;
		if (s[i] > group_order[i])
			return 0;
	}
	return 0; /* S == L */
}

int custody_ed25519__verify(const unsigned char pub[32], const void *msg,
	size_t len, const unsigned char sig[64])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	int valid = 0;

	if (custody_ed25519__public_key_problem(pub) != NULL ||
	    !custody_ed25519__s_is_canonical(sig))
		return 0;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	if (pkey == NULL || (md = EVP_MD_CTX_new()) == NULL)
		goto cleanup;
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1)
		goto cleanup;
	valid = EVP_DigestVerify(md, sig, 64, msg, len) == 1;
cleanup:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	/* A failed check leaves OpenSSL's error queue full; the answer is
	 * "not valid", so no later message should pick those errors up. */
	ERR_clear_error();
	return valid;
}

int custody_ed25519__sign(EVP_PKEY *pkey, const void *msg, size_t len,
	unsigned char sig_out[64], custody_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sig_len = 64;
	int rc = 0;

	if (md == NULL)
		return custody__oom(err);
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(md, sig_out, &sig_len, msg, len) != 1 ||
	    sig_len != 64)
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"cannot make an Ed25519 signature");
	EVP_MD_CTX_free(md);
	return rc;
}

int custody_ed25519__from_seed(EVP_PKEY **out, const unsigned char seed[32],
	custody_error **err)
{
	*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (*out == NULL)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot make an Ed25519 key");
	return 0;
}

int custody_ed25519__generate(EVP_PKEY **out, custody_error **err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	int rc = 0;

	*out = NULL;
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, out) != 1)
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"cannot generate an Ed25519 key");
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int custody_ed25519__public(EVP_PKEY *pkey, unsigned char out[32],
	custody_error **err)
{
	size_t len = 32;

	if (EVP_PKEY_get_raw_public_key(pkey, out, &len) != 1 || len != 32)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot read an Ed25519 public key");
	return 0;
}

void custody_ed25519__note_key_id(const char *name, unsigned char type,
	const unsigned char pub[32], unsigned char out[4])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char separator = '\n';

	/* SHA-256 through EVP cannot fail on these inputs but for memory;
	 * then the id is all zeros and matches no real key. */
	memset(out, 0, 4);
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, name, strlen(name)) == 1 &&
	    EVP_DigestUpdate(md, &separator, 1) == 1 &&
	    EVP_DigestUpdate(md, &type, 1) == 1 &&
	    EVP_DigestUpdate(md, pub, 32) == 1 &&
	    EVP_DigestFinal_ex(md, digest, NULL) == 1)
		memcpy(out, digest, 4);
	EVP_MD_CTX_free(md);
}
