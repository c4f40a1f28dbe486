/*
 * Ed25519 (RFC 8032) through OpenSSL, with the checks OpenSSL 3.0 leaves
 * out: public keys must be canonical encodings of points outside the
 * small-order subgroup, and a signature's S must be below the group
 * order L. Every signature custody checks goes through here.
 */
#ifndef CUSTODY_SRC_ED25519_H
#define CUSTODY_SRC_ED25519_H

#include <stddef.h>
#include <openssl/evp.h>
#include "custody/common.h"

#define CUSTODY_ED25519_PUBLIC_BYTES 32
#define CUSTODY_ED25519_SEED_BYTES 32
#define CUSTODY_ED25519_SIGNATURE_BYTES 64

/*
 * Why `pub` is unacceptable as a signer's key, or NULL if it is fine:
 * "is not a canonical encoding" (y >= p) or "is a point of small order"
 * (one of the eight torsion points, any encoding).
 */
const char *custody_ed25519__public_key_problem(
	const unsigned char pub[CUSTODY_ED25519_PUBLIC_BYTES]);

/* 1 if S (the second half of sig) is below L, else 0. */
int custody_ed25519__s_is_canonical(
	const unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES]);

/*
 * Verify `sig` over `msg` under `pub`. Returns 1 when the signature is
 * valid, the key acceptable and S canonical; 0 otherwise (never an
 * error: a bad signature is an answer, not a failure).
 */
int custody_ed25519__verify(const unsigned char pub[CUSTODY_ED25519_PUBLIC_BYTES],
	const void *msg, size_t len,
	const unsigned char sig[CUSTODY_ED25519_SIGNATURE_BYTES])
	__attribute__((warn_unused_result));

/* Sign `msg` with an Ed25519 EVP_PKEY (a private key). */
int custody_ed25519__sign(EVP_PKEY *pkey, const void *msg, size_t len,
	unsigned char sig_out[CUSTODY_ED25519_SIGNATURE_BYTES],
	custody_error **err);

/* A private EVP_PKEY from a 32-byte seed, and a fresh random one. */
int custody_ed25519__from_seed(EVP_PKEY **out,
	const unsigned char seed[CUSTODY_ED25519_SEED_BYTES],
	custody_error **err);
int custody_ed25519__generate(EVP_PKEY **out, custody_error **err);

/* The raw public half of an Ed25519 EVP_PKEY. */
int custody_ed25519__public(EVP_PKEY *pkey,
	unsigned char out[CUSTODY_ED25519_PUBLIC_BYTES], custody_error **err);

/* Key types of C2SP signed notes: an Ed25519 signature, and an Ed25519
 * timestamped cosignature (c2sp.org/tlog-cosignature). */
#define CUSTODY_NOTE_KEY_ED25519 0x01
#define CUSTODY_NOTE_KEY_COSIGNATURE 0x04

/*
 * The C2SP key ID of an Ed25519 key named `name` with key type `type`:
 * the first four bytes of SHA-256(name || "\n" || type || pub).
 */
void custody_ed25519__note_key_id(const char *name, unsigned char type,
	const unsigned char pub[CUSTODY_ED25519_PUBLIC_BYTES],
	unsigned char out[4]);

#endif
