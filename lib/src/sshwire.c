/* SSH wire encoding: bounds-checked reads, growable writes. */
#include "sshwire.h"
#include "base64.h"
#include "fsutil.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

int custody_sshwire__u32(struct sshwire_reader *r, uint32_t *out)
{
	if (r->left < 4)
		return -1;
	*out = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
		(uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int custody_sshwire__string(struct sshwire_reader *r,
	const unsigned char **out, size_t *len)
{
	uint32_t n;
	struct sshwire_reader save = *r;

	if (custody_sshwire__u32(r, &n) != 0)
		return -1;
	if (n > r->left) {
		*r = save;
		return -1;
	}
	*out = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

int custody_sshwire__string_is(struct sshwire_reader *r,
	const char *expected)
{
	const unsigned char *s;
	size_t len;

	if (custody_sshwire__string(r, &s, &len) != 0)
		return -1;
	return len == strlen(expected) && memcmp(s, expected, len) == 0 ?
		0 : -1;
}

int custody_sshwire__put_u32(custody_buf *buf, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
		(unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };

	return custody_buf__append(buf, b, 4);
}

int custody_sshwire__put_string(custody_buf *buf, const void *data,
	size_t len)
{
	if (len > UINT32_MAX)
		return CUSTODY_ENOMEM;
	if (custody_sshwire__put_u32(buf, (uint32_t)len) != 0)
		return CUSTODY_ENOMEM;
	return custody_buf__append(buf, data, len);
}

int custody_sshwire__put_cstring(custody_buf *buf, const char *s)
{
	return custody_sshwire__put_string(buf, s, strlen(s));
}

static const unsigned char ed25519_prefix[19] = { 0, 0, 0, 11, 's', 's',
	'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32 };

void custody_sshwire__ed25519_blob(
	unsigned char out[CUSTODY_SSHWIRE_ED25519_BLOB],
	const unsigned char pub[32])
{
	memcpy(out, ed25519_prefix, sizeof(ed25519_prefix));
	memcpy(out + sizeof(ed25519_prefix), pub, 32);
}

int custody_sshwire__put_ed25519_key(custody_buf *buf,
	const unsigned char pub[32])
{
	unsigned char blob[CUSTODY_SSHWIRE_ED25519_BLOB];

	custody_sshwire__ed25519_blob(blob, pub);
	return custody_buf__append(buf, blob, sizeof(blob)) != 0 ?
		CUSTODY_ENOMEM : 0;
}

void custody_sshwire__key_line(char out[CUSTODY_SSHWIRE_KEY_LINE],
	const unsigned char pub[32])
{
	unsigned char blob[CUSTODY_SSHWIRE_ED25519_BLOB];

	custody_sshwire__ed25519_blob(blob, pub);
	memcpy(out, "ssh-ed25519 ", 12);
	custody_base64_encode(out + 12, blob, sizeof(blob));
}

int custody_sshwire__key_line_raw(const char *line, unsigned char out[32])
{
	unsigned char blob[CUSTODY_SSHWIRE_ED25519_BLOB];
	size_t len;

	if (strncmp(line, "ssh-ed25519 ", 12) != 0 ||
	    strlen(line) != CUSTODY_SSHWIRE_KEY_LINE - 1 ||
	    custody_base64_decode(blob, &len, line + 12, 68) != 0 ||
	    len != sizeof(blob) ||
	    memcmp(blob, ed25519_prefix, sizeof(ed25519_prefix)) != 0)
		return -1;
	memcpy(out, blob + sizeof(ed25519_prefix), 32);
	return 0;
}

void custody_sshwire__fingerprint(char out[64], const unsigned char pub[32])
{
	unsigned char blob[CUSTODY_SSHWIRE_ED25519_BLOB];
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char b64[CUSTODY_BASE64_LEN(SHA256_DIGEST_LENGTH) + 1];
	size_t n;

	custody_sshwire__ed25519_blob(blob, pub);
	SHA256(blob, sizeof(blob), digest);
	n = custody_base64_encode(b64, digest, sizeof(digest));
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	snprintf(out, 64, "SHA256:%s", b64);
}

const char *custody_sshwire__ed25519_key(const unsigned char *blob,
	size_t len, unsigned char pub[32])
{
	struct sshwire_reader r = { blob, len };
	const unsigned char *type, *key;
	size_t type_len, key_len;

	if (custody_sshwire__string(&r, &type, &type_len) != 0)
		return "the key blob is truncated";
	if (type_len != 11 || memcmp(type, "ssh-ed25519", 11) != 0)
		return "the key is not ssh-ed25519 (custody signs and checks "
			"Ed25519 keys only)";
	if (custody_sshwire__string(&r, &key, &key_len) != 0)
		return "the key blob is truncated";
	if (key_len != 32)
		return "the Ed25519 key is not 32 bytes long";
	if (r.left != 0)
		return "the key blob has bytes after the key";
	memcpy(pub, key, 32);
	return NULL;
}
