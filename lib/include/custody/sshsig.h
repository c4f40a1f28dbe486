/*
 * custody/sshsig.h - SSHSIG signatures (openssh PROTOCOL.sshsig).
 *
 * Ed25519 signatures over a message in a namespace, armoured as
 * `ssh-keygen -Y sign` writes them, so that `ssh-keygen -Y verify` and
 * `git verify-commit` check what custody signs, and custody checks what
 * they sign. Keys are those of custody/key.h.
 *
 * Thread safety: the functions keep no global state and may be called
 * from any thread; keys are shared between threads as custody/key.h says.
 */
#ifndef CUSTODY_SSHSIG_H
#define CUSTODY_SSHSIG_H

#include <stddef.h>
#include "custody/common.h"
#include "custody/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Sign `len` bytes with `key` in `namespace` ("git" for commits,
 * "custody" for files), SHA-512 message hash; `out` receives the armoured
 * signature ("-----BEGIN SSH SIGNATURE-----" ... "-----END SSH
 * SIGNATURE-----\n").
 */
CUSTODY_EXTERN(int) custody_sshsig_sign(const custody_key *key,
	const char *namespace_, const void *message, size_t len,
	custody_buf *out, custody_error **err);

/* As custody_sshsig_sign, reading the message from an open file
 * descriptor to its end (streamed, any size). */
CUSTODY_EXTERN(int) custody_sshsig_sign_fd(const custody_key *key,
	const char *namespace_, int fd, custody_buf *out, custody_error **err);

/*
 * Check an armoured SSHSIG over `message` for `namespace_`. On success
 * (0) *signer_out, when signer_out is not NULL, receives the key that
 * signed (the caller decides whether it trusts it). CUSTODY_EINVALID: the
 * signature is malformed (armour, base64, version, lengths, trailing or
 * missing bytes, key or signature type, hash algorithm); CUSTODY_EVERIFY:
 * well-formed but wrong (other namespace, S >= L, small-order key,
 * signature does not match). The message says which.
 */
CUSTODY_EXTERN(int) custody_sshsig_verify(const char *armoured,
	size_t armoured_len, const char *namespace_, const void *message,
	size_t len, custody_pubkey **signer_out, custody_error **err)
	CUSTODY_WARN_UNUSED;

/* As custody_sshsig_verify, reading the message from `fd`. */
CUSTODY_EXTERN(int) custody_sshsig_verify_fd(const char *armoured,
	size_t armoured_len, const char *namespace_, int fd,
	custody_pubkey **signer_out, custody_error **err) CUSTODY_WARN_UNUSED;

#ifdef __cplusplus
}
#endif

#endif
