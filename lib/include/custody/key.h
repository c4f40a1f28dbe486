/*
 * custody/key.h - signing keys (Ed25519).
 *
 * One key per person. A private key lives outside every archive, in a
 * key folder (custody/keystore.h) as <name>.key (PKCS#8 PEM, encrypted
 * with a passphrase through scrypt, mode 0600) beside <name>.pub (its
 * OpenSSH public line). Public keys travel as OpenSSH "ssh-ed25519"
 * lines or C2SP verifier keys. Signatures are SSHSIG (custody/sshsig.h),
 * which `ssh-keygen -Y verify` and `git verify-commit` check.
 *
 * Thread safety: key objects are immutable once made and may be shared
 * between threads (a key still unlocking, see custody_key_load_start,
 * finishes safely whichever thread waits first); the functions keep no
 * global state.
 */
#ifndef CUSTODY_KEY_H
#define CUSTODY_KEY_H

#include <stddef.h>
#include "custody/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A private signing key with its public half. */
typedef struct custody_key custody_key;
/* A public key: 32 Ed25519 bytes, checked to be canonical and not of
 * small order whenever one is parsed. */
typedef struct custody_pubkey custody_pubkey;

/* ---- private keys ---- */

/* A fresh random key. */
CUSTODY_EXTERN(int) custody_key_generate(custody_key **out,
	custody_error **err);

/*
 * Write `key` to `path` as encrypted PKCS#8 PEM (PBES2, scrypt, AES-256),
 * created with O_EXCL and mode 0600, synced to disk. An empty passphrase
 * is refused. Errors: CUSTODY_EEXISTS (the file exists), CUSTODY_EINVALID
 * (empty passphrase), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_key_save(const custody_key *key,
	const char *path, const char *passphrase, size_t passphrase_len,
	custody_error **err);

/*
 * Read an encrypted key file. Refused (CUSTODY_EINVALID), before it is
 * decrypted, when group or others may read or write it, when it is not a
 * regular file, when it holds anything but an encrypted Ed25519 key, or
 * when deriving its key would cost more than custody allows (scrypt
 * N * r * p above 2^22, 32 times what custody writes; PBKDF2 or older
 * schemes above 10,000,000 iterations).
 * A wrong passphrase is CUSTODY_EPASSPHRASE. Messages name the file.
 */
CUSTODY_EXTERN(int) custody_key_load(custody_key **out, const char *path,
	const char *passphrase, size_t passphrase_len, custody_error **err);

/*
 * Like custody_key_load, but the decryption (scrypt, tens of
 * milliseconds) runs on a thread of its own while the caller goes on:
 * the key is usable for everything but signing at once, with
 * `public_key` (its .pub, copied) as its public half. The file is read
 * and checked before this returns (the same errors as custody_key_load,
 * but for the passphrase). Signing waits for the decryption; so does
 * custody_key_wait, which returns its outcome: CUSTODY_EPASSPHRASE for
 * a wrong passphrase, CUSTODY_EINVALID when the private key's public
 * half is not `public_key` (one of the two files was replaced). The
 * passphrase is copied and wiped once used.
 */
CUSTODY_EXTERN(int) custody_key_load_start(custody_key **out,
	const char *path, const char *passphrase, size_t passphrase_len,
	const custody_pubkey *public_key, custody_error **err);

/*
 * Wait until the key can sign: 0 at once for every key not made by
 * custody_key_load_start; for those, the outcome of the decryption (the
 * same answer each time it is asked).
 */
CUSTODY_EXTERN(int) custody_key_wait(const custody_key *key,
	custody_error **err) CUSTODY_WARN_UNUSED;

/*
 * Import an unencrypted OpenSSH private key (openssh-key-v1, the
 * "-----BEGIN OPENSSH PRIVATE KEY-----" file ssh-keygen writes) holding
 * one Ed25519 key. `name` is used in messages. Encrypted OpenSSH keys,
 * other key types, bad check integers, a public half that does not match
 * the private one, and unacceptable public keys are CUSTODY_EINVALID.
 */
CUSTODY_EXTERN(int) custody_key_import_openssh(custody_key **out,
	const char *bytes, size_t len, const char *name, custody_error **err);

/* The public half, borrowed: lives as long as key. */
CUSTODY_EXTERN(const custody_pubkey *) custody_key_public(
	const custody_key *key);

/* Wipe and free. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_key_free(custody_key *key);

/* ---- public keys ---- */

/*
 * Parse a public key: an OpenSSH line "ssh-ed25519 BASE64 [comment]"
 * (leading options as in allowed_signers are not accepted here), or a
 * C2SP verifier key "name+hexid+BASE64(0x01 || key)" whose key id must
 * match. Trailing "\n" is allowed. Errors: CUSTODY_EINVALID with the
 * reason (wrong type, bad base64, wrong length, small-order key, ...).
 */
CUSTODY_EXTERN(int) custody_pubkey_parse(custody_pubkey **out,
	const char *text, size_t len, custody_error **err);

/* A public key from 32 raw bytes (checked as above). */
CUSTODY_EXTERN(int) custody_pubkey_from_raw(custody_pubkey **out,
	const unsigned char raw[CUSTODY_KEY_RAW_SIZE], custody_error **err);

/* A copy, freed by the caller. */
CUSTODY_EXTERN(int) custody_pubkey_dup(custody_pubkey **out,
	const custody_pubkey *key, custody_error **err);

/* The 32 raw bytes, borrowed. */
CUSTODY_EXTERN(const unsigned char *) custody_pubkey_raw(
	const custody_pubkey *key);

/* 1 if both are the same key, else 0. */
CUSTODY_EXTERN(int) custody_pubkey_equal(const custody_pubkey *a,
	const custody_pubkey *b);

/* "ssh-ed25519 AAAA..." (no comment, no newline) into out. */
CUSTODY_EXTERN(int) custody_pubkey_openssh(const custody_pubkey *key,
	custody_buf *out, custody_error **err);

/* "SHA256:<unpadded base64>", as `ssh-keygen -lf` prints it. */
CUSTODY_EXTERN(void) custody_pubkey_fingerprint(const custody_pubkey *key,
	char out[CUSTODY_FINGERPRINT_SIZE]);

/*
 * The C2SP signed-note verifier key "<name>+<8 hex key id>+<base64>" for
 * this key under `name` (a log origin). Errors: CUSTODY_EINVALID for a
 * name with spaces, "+" or control characters.
 */
CUSTODY_EXTERN(int) custody_pubkey_vkey(const custody_pubkey *key,
	const char *name, custody_buf *out, custody_error **err);

CUSTODY_EXTERN(void) custody_pubkey_free(custody_pubkey *key);

/* ---- names ---- */

#ifdef __cplusplus
}
#endif

/* Signatures and the key folder have headers of their own; they come
 * along, so that code which includes only this header still compiles. */
#include "custody/sshsig.h"
#include "custody/keystore.h"

#endif
