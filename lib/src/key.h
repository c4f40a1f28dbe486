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
	/* custody_key_load_start: the decryption on its thread, which
	 * holds the private key once done (pkey stays NULL) */
	struct custody_key_unlock *unlock;
};

/*
 * The OpenSSL key inside, borrowed (for signing notes and SSHSIG); NULL
 * while a key from custody_key_load_start has not been waited for, or
 * could not be opened. Call custody_key_wait first.
 */
EVP_PKEY *custody_key__pkey(const custody_key *key);

/* 1 once a key from custody_key_load_start is known not to open (a
 * wrong passphrase): for long work to stop early. Never blocks. */
int custody_key__unlock_failed(const custody_key *key);

/* A key from a 32-byte Ed25519 seed (RFC 8032's private key). */
int custody_key__from_seed(custody_key **out, const unsigned char seed[32],
	custody_error **err);

#endif
