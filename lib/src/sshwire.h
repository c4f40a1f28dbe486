/*
 * The SSH wire encoding (RFC 4251 section 5) that SSHSIG signatures,
 * OpenSSH public keys and openssh-key-v1 private keys are made of:
 * big-endian uint32, and "string" = uint32 length + bytes.
 */
#ifndef CUSTODY_SRC_SSHWIRE_H
#define CUSTODY_SRC_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

/* A cursor over bytes someone else sent: every read is bounds-checked. */
struct sshwire_reader {
	const unsigned char *p;
	size_t left;
};

/* Read a uint32; 0, or -1 when fewer than four bytes are left. */
int custody_sshwire__u32(struct sshwire_reader *r, uint32_t *out);

/* Read a string: *out points into the input, *len its length; 0, or -1
 * when the length runs past the end. */
int custody_sshwire__string(struct sshwire_reader *r,
	const unsigned char **out, size_t *len);

/* Read a string and compare it with `expected` (NUL-terminated):
 * 0 if equal, -1 if short input or different. */
int custody_sshwire__string_is(struct sshwire_reader *r,
	const char *expected);

/* Appenders; 0 or CUSTODY_ENOMEM. */
int custody_sshwire__put_u32(custody_buf *buf, uint32_t v);
int custody_sshwire__put_string(custody_buf *buf, const void *data,
	size_t len);
int custody_sshwire__put_cstring(custody_buf *buf, const char *s);

/* The public key blob string "ssh-ed25519" + string key, appended. */
int custody_sshwire__put_ed25519_key(custody_buf *buf,
	const unsigned char pub[32]);

/*
 * Read an ssh-ed25519 public key blob (the whole of `blob`, nothing
 * after it) into pub. Returns NULL, or why it is not one.
 */
const char *custody_sshwire__ed25519_key(const unsigned char *blob,
	size_t len, unsigned char pub[32]);

/*
 * The one Ed25519 public key, in the forms custody writes and reads.
 * Its wire blob (string "ssh-ed25519", string key) is always 51 bytes,
 * of which the first 19 never change; as an OpenSSH line,
 * "ssh-ed25519 " and 68 base64 characters.
 */
#define CUSTODY_SSHWIRE_ED25519_BLOB 51
#define CUSTODY_SSHWIRE_KEY_LINE 81   /* the line, with its NUL */

void custody_sshwire__ed25519_blob(
	unsigned char out[CUSTODY_SSHWIRE_ED25519_BLOB],
	const unsigned char pub[32]);

/* "ssh-ed25519 AAAA..." (no comment), NUL-terminated. */
void custody_sshwire__key_line(char out[CUSTODY_SSHWIRE_KEY_LINE],
	const unsigned char pub[32]);

/* The key of exactly such a line (no comment, nothing after it): 0, or
 * -1 when `line` is anything else. */
int custody_sshwire__key_line_raw(const char *line, unsigned char out[32]);

/* "SHA256:<unpadded base64 of the blob's SHA-256>", as ssh-keygen -l. */
void custody_sshwire__fingerprint(char out[64], const unsigned char pub[32]);

#endif
