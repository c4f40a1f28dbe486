/* Private parts of keys (custody/key.h) that other modules use. */
#ifndef CUSTODY_SRC_KEY_H
#define CUSTODY_SRC_KEY_H

#include <openssl/evp.h>
#include "custody/key.h"

struct custody_pubkey {
	unsigned char raw[32];
};

struct custody_key {
	EVP_PKEY *pkey;            /* private Ed25519 key, owned */
	struct custody_pubkey pub; /* its public half */
};

/* The OpenSSL key inside, borrowed (for signing notes and SSHSIG). */
EVP_PKEY *custody_key__pkey(const custody_key *key);

/* A key from a 32-byte Ed25519 seed (RFC 8032's private key). */
int custody_key__from_seed(custody_key **out, const unsigned char seed[32],
	custody_error **err);

#endif
