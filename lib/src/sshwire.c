/* SSH wire encoding: bounds-checked reads, growable writes. */
#include "sshwire.h"
#include "fsutil.h"

#include <string.h>

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

int custody_sshwire__put_ed25519_key(custody_buf *buf,
	const unsigned char pub[32])
{
	if (custody_sshwire__put_cstring(buf, "ssh-ed25519") != 0 ||
	    custody_sshwire__put_string(buf, pub, 32) != 0)
		return CUSTODY_ENOMEM;
	return 0;
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
