/* Strict base64; see base64.h for why strict. */
#include "base64.h"
#include "fsutil.h"

#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t custody_base64_encode(char *out, const void *data, size_t len)
{
	const unsigned char *in = data;
	size_t o = 0, i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			in[i + 2];

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int custody_base64__append(custody_buf *buf, const void *data, size_t len)
{
	char *text;
	int rc;

	if (len > SIZE_MAX / 2 || (text = malloc(CUSTODY_BASE64_LEN(len) + 1))
	    == NULL)
		return CUSTODY_ENOMEM;
	rc = custody_buf__append(buf, text, custody_base64_encode(text, data,
		len));
	free(text);
	return rc;
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int custody_base64_decode(unsigned char *out, size_t *out_len,
	const char *text, size_t len)
{
	size_t o = 0;

	*out_len = 0;
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		uint32_t bits;

		for (int j = 0; j < 4; j++) {
			v[j] = value_of(text[i + j]);
			if (v[j] < 0) {
				/* "=" only in the last group's last two places,
				 * and no character after one. */
				if (text[i + j] != '=' || i + 4 != len ||
				    j < 2)
					return -1;
				pad++;
				v[j] = 0;
			} else if (pad > 0) {
				return -1;
			}
		}
		bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			(uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((pad == 1 && (bits & 0xff) != 0) ||
		    (pad == 2 && (bits & 0xffff) != 0))
			return -1;
		out[o++] = (unsigned char)(bits >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(bits >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)bits;
	}
	*out_len = o;
	return 0;
}
