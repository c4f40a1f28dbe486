/*
 * Standard base64 (RFC 4648 section 4, "+/" alphabet), strict: the
 * decoder refuses anything a careful encoder would not have written, so
 * that one value has exactly one text form in signatures, notes and
 * proofs.
 */
#ifndef CUSTODY_SRC_BASE64_H
#define CUSTODY_SRC_BASE64_H

#include <stddef.h>
#include "custody/common.h"

/* Characters needed to encode len bytes, with padding, without NUL. */
#define CUSTODY_BASE64_LEN(len) ((((len) + 2) / 3) * 4)

/* Encode with "=" padding; out needs CUSTODY_BASE64_LEN(len) + 1 bytes
 * and is NUL-terminated. Returns the number of characters. */
size_t custody_base64_encode(char *out, const void *data, size_t len);

/* Append the padded encoding to buf; 0 or CUSTODY_ENOMEM. */
int custody_base64__append(custody_buf *buf, const void *data, size_t len);

/*
 * Decode `len` characters of padded base64 into out (room for
 * len / 4 * 3 bytes); *out_len receives the byte count. Returns 0, or -1
 * when the text is not canonical base64: a length that is not a
 * multiple of 4, a character outside the alphabet (whitespace included),
 * misplaced "=", or non-zero bits in the last character before padding.
 */
int custody_base64_decode(unsigned char *out, size_t *out_len,
	const char *text, size_t len);

#endif
