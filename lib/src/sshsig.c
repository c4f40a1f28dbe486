/*
 * SSHSIG signatures (openssh-portable PROTOCOL.sshsig), Ed25519 only.
 *
 *   blob   = "SSHSIG" uint32(1) string(public key) string(namespace)
 *            string(reserved) string(hash algorithm) string(signature)
 *   signed = "SSHSIG" string(namespace) string(reserved)
 *            string(hash algorithm) string(H(message))
 *
 * armoured as base64 in 70-column lines between "-----BEGIN SSH
 * SIGNATURE-----" and "-----END SSH SIGNATURE-----", as ssh-keygen -Y
 * sign writes it. Ed25519 signatures are deterministic, so custody and
 * ssh-keygen make byte-identical files from the same key and message.
 */
#include "custody/sshsig.h"
#include "key.h"
#include "base64.h"
#include "ed25519.h"
#include "common.h"
#include "fsutil.h"
#include "sshwire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define VERSION 1
#define BEGIN "-----BEGIN SSH SIGNATURE-----"
#define END "-----END SSH SIGNATURE-----"
#define WRAP 70
/* A signature is a few hundred bytes; allow room for long namespaces. */
#define ARMOUR_MAX 16384

/* The message's digest, streamed from memory or a file descriptor. */
struct message {
	const void *bytes;
	size_t len;
	int fd; /* used when bytes is NULL */
};

static int digest_message(const struct message *m, const EVP_MD *md,
	unsigned char *out, unsigned int *out_len, custody_error **err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot start a digest");
	}
	if (m->bytes != NULL) {
		if (EVP_DigestUpdate(ctx, m->bytes, m->len) != 1)
			rc = custody__error_ssl(err, CUSTODY_ERROR, "digest");
	} else {
		unsigned char *chunk = malloc(1 << 16);

		if (chunk == NULL)
			rc = custody__oom(err);
		while (rc == 0) {
			ssize_t n = read(m->fd, chunk, 1 << 16);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = custody__error_sys(err, CUSTODY_EIO, errno,
					"cannot read the message");
				break;
			}
			if (n == 0)
				break;
			if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1)
				rc = custody__error_ssl(err, CUSTODY_ERROR,
					"digest");
		}
		free(chunk);
	}
	if (rc == 0 && EVP_DigestFinal_ex(ctx, out, out_len) != 1)
		rc = custody__error_ssl(err, CUSTODY_ERROR, "digest");
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The bytes the Ed25519 signature covers. */
static int signed_data(custody_buf *out, const unsigned char *ns,
	size_t ns_len, const unsigned char *reserved, size_t reserved_len,
	const char *hash_name, const unsigned char *hash, size_t hash_len)
{
	if (custody_buf__append(out, MAGIC, MAGIC_LEN) != 0 ||
	    custody_sshwire__put_string(out, ns, ns_len) != 0 ||
	    custody_sshwire__put_string(out, reserved, reserved_len) != 0 ||
	    custody_sshwire__put_cstring(out, hash_name) != 0 ||
	    custody_sshwire__put_string(out, hash, hash_len) != 0)
		return CUSTODY_ENOMEM;
	return 0;
}

static int sign(const custody_key *key, const char *ns,
	const struct message *m, custody_buf *out, custody_error **err)
{
	unsigned char hash[EVP_MAX_MD_SIZE], sig[64];
	unsigned int hash_len;
	custody_buf tbs = CUSTODY_BUF_INIT, inner = CUSTODY_BUF_INIT;
	custody_buf blob = CUSTODY_BUF_INIT, b64 = CUSTODY_BUF_INIT;
	int rc;

	if (ns == NULL || ns[0] == '\0')
		return custody__error(err, CUSTODY_EINVALID,
			"a signature needs a namespace");
	if ((rc = digest_message(m, EVP_sha512(), hash, &hash_len, err)) != 0)
		return rc;
	if (signed_data(&tbs, (const unsigned char *)ns, strlen(ns),
	    (const unsigned char *)"", 0, "sha512", hash, hash_len) != 0) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if ((rc = custody_key_wait(key, err)) != 0 ||
	    (rc = custody_ed25519__sign(custody_key__pkey(key), tbs.ptr,
	    tbs.size, sig, err)) != 0)
		goto cleanup;
	if (custody_sshwire__put_cstring(&inner, "ssh-ed25519") != 0 ||
	    custody_sshwire__put_string(&inner, sig, 64) != 0 ||
	    custody_buf__append(&blob, MAGIC, MAGIC_LEN) != 0 ||
	    custody_sshwire__put_u32(&blob, VERSION) != 0 ||
	    custody_sshwire__put_u32(&blob, 51) != 0 ||
	    custody_sshwire__put_ed25519_key(&blob, key->pub.raw) != 0 ||
	    custody_sshwire__put_cstring(&blob, ns) != 0 ||
	    custody_sshwire__put_string(&blob, "", 0) != 0 ||
	    custody_sshwire__put_cstring(&blob, "sha512") != 0 ||
	    custody_sshwire__put_string(&blob, inner.ptr, inner.size) != 0 ||
	    custody_base64__append(&b64, blob.ptr, blob.size) != 0 ||
	    custody_buf__append(out, BEGIN "\n", sizeof(BEGIN)) != 0)
		goto nomem;
	for (size_t i = 0; i < b64.size; i += WRAP) {
		size_t n = b64.size - i < WRAP ? b64.size - i : WRAP;

		if (custody_buf__append(out, b64.ptr + i, n) != 0 ||
		    custody_buf__append(out, "\n", 1) != 0)
			goto nomem;
	}
	if (custody_buf__append(out, END "\n", sizeof(END)) != 0)
		goto nomem;
	rc = 0;
	goto cleanup;
nomem:
	rc = custody__oom(err);
cleanup:
	custody_buf_dispose(&tbs);
	custody_buf_dispose(&inner);
	custody_buf_dispose(&blob);
	custody_buf_dispose(&b64);
	return rc;
}

int custody_sshsig_sign(const custody_key *key, const char *namespace_,
	const void *message, size_t len, custody_buf *out, custody_error **err)
{
	struct message m = { message, len, -1 };

	if (m.bytes == NULL)
		m.bytes = "";
	return sign(key, namespace_, &m, out, err);
}

int custody_sshsig_sign_fd(const custody_key *key, const char *namespace_,
	int fd, custody_buf *out, custody_error **err)
{
	struct message m = { NULL, 0, fd };

	return sign(key, namespace_, &m, out, err);
}

/* Strip the armour; the base64 text goes to b64. NULL or why not. */
static const char *unarmour(const char *text, size_t len, custody_buf *b64)
{
	const char *p = text, *end = text + len;

	if (len > ARMOUR_MAX)
		return "is too long for a signature";
	if (len < sizeof(BEGIN) - 1 || memcmp(p, BEGIN, sizeof(BEGIN) - 1) != 0)
		return "does not start with \"" BEGIN "\"";
	p += sizeof(BEGIN) - 1;
	for (;;) {
		const char *eol;

		if (p < end && *p == '\r')
			p++;
		if (p >= end || *p != '\n')
			return "has no \"" END "\" line";
		p++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) >= sizeof(END) - 1 &&
		    memcmp(p, END, sizeof(END) - 1) == 0) {
			p += sizeof(END) - 1;
			break;
		}
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (custody_buf__append(b64, p, (size_t)(eol - p)) != 0)
			return "out of memory";
		p = eol;
	}
	/* Allowed after END: one line ending, nothing else. */
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		return "has text after its END line";
	return NULL;
}

/* A namespace as it may be shown in a message: printable or "?". */
static void printable(char *out, size_t out_size, const unsigned char *s,
	size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < out_size; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (n + 4 >= out_size && len > n) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int verify(const char *armoured, size_t armoured_len,
	const char *ns, const struct message *m, custody_pubkey **signer_out,
	custody_error **err)
{
	custody_buf b64 = CUSTODY_BUF_INIT, tbs = CUSTODY_BUF_INIT;
	unsigned char *blob = NULL, pub[32], hash[EVP_MAX_MD_SIZE];
	const unsigned char *key_blob, *sig_ns, *reserved, *hash_alg, *inner;
	const unsigned char *sig;
	size_t key_len, ns_len, reserved_len, alg_len, inner_len, sig_len;
	size_t blob_len;
	unsigned int hash_len;
	struct sshwire_reader r, ir;
	uint32_t version;
	const EVP_MD *md;
	const char *why, *hash_name;
	char shown[80];
	int rc = CUSTODY_EINVALID;

	if (signer_out != NULL)
		*signer_out = NULL;
	if ((why = unarmour(armoured, armoured_len, &b64)) != NULL) {
		custody__error(err, CUSTODY_EINVALID, "the signature %s", why);
		goto cleanup;
	}
	if ((blob = malloc(b64.size / 4 * 3 + 1)) == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (custody_base64_decode(blob, &blob_len, b64.ptr, b64.size) != 0) {
		custody__error(err, CUSTODY_EINVALID,
			"the signature's base64 is damaged");
		goto cleanup;
	}
	r.p = blob;
	r.left = blob_len;
#define MALFORMED(what) do { custody__error(err, CUSTODY_EINVALID, \
	"the signature is malformed: %s", what); goto cleanup; } while (0)
	if (r.left < MAGIC_LEN || memcmp(r.p, MAGIC, MAGIC_LEN) != 0)
		MALFORMED("it does not start with \"SSHSIG\"");
	r.p += MAGIC_LEN;
	r.left -= MAGIC_LEN;
	if (custody_sshwire__u32(&r, &version) != 0)
		MALFORMED("truncated before its version");
	if (version != VERSION) {
		custody__error(err, CUSTODY_EINVALID, "the signature has "
			"version %u; custody knows version 1", version);
		goto cleanup;
	}
	if (custody_sshwire__string(&r, &key_blob, &key_len) != 0 ||
	    custody_sshwire__string(&r, &sig_ns, &ns_len) != 0 ||
	    custody_sshwire__string(&r, &reserved, &reserved_len) != 0 ||
	    custody_sshwire__string(&r, &hash_alg, &alg_len) != 0 ||
	    custody_sshwire__string(&r, &inner, &inner_len) != 0)
		MALFORMED("truncated");
	if (r.left != 0)
		MALFORMED("bytes follow the signature");
	if ((why = custody_sshwire__ed25519_key(key_blob, key_len, pub)))
		MALFORMED(why);
	if (alg_len == 6 && memcmp(hash_alg, "sha512", 6) == 0) {
		md = EVP_sha512();
		hash_name = "sha512";
	} else if (alg_len == 6 && memcmp(hash_alg, "sha256", 6) == 0) {
		md = EVP_sha256();
		hash_name = "sha256";
	} else {
		MALFORMED("its hash algorithm is neither sha512 nor sha256");
	}
	ir.p = inner;
	ir.left = inner_len;
	if (custody_sshwire__string_is(&ir, "ssh-ed25519") != 0)
		MALFORMED("the signature is not an ssh-ed25519 signature");
	if (custody_sshwire__string(&ir, &sig, &sig_len) != 0)
		MALFORMED("the Ed25519 signature is truncated");
	if (sig_len != 64) {
		custody__error(err, CUSTODY_EINVALID, "the signature is "
			"malformed: the Ed25519 signature is %zu bytes, not 64",
			sig_len);
		goto cleanup;
	}
	if (ir.left != 0)
		MALFORMED("bytes follow the Ed25519 signature");
#undef MALFORMED
	rc = CUSTODY_EVERIFY;
	if (ns_len != strlen(ns) || memcmp(sig_ns, ns, ns_len) != 0) {
		printable(shown, sizeof(shown), sig_ns, ns_len);
		custody__error(err, CUSTODY_EVERIFY, "the signature was made "
			"for namespace '%s', not '%s'", shown, ns);
		goto cleanup;
	}
	if ((why = custody_ed25519__public_key_problem(pub)) != NULL) {
		custody__error(err, CUSTODY_EVERIFY, "the signer's key %s", why);
		goto cleanup;
	}
	if (!custody_ed25519__s_is_canonical(sig)) {
		custody__error(err, CUSTODY_EVERIFY, "the signature's S is not "
			"below the group order L (a malleated signature)");
		goto cleanup;
	}
	if ((rc = digest_message(m, md, hash, &hash_len, err)) != 0)
		goto cleanup;
	if (signed_data(&tbs, sig_ns, ns_len, reserved, reserved_len,
	    hash_name, hash, hash_len) != 0) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (!custody_ed25519__verify(pub, tbs.ptr, tbs.size, sig)) {
		rc = custody__error(err, CUSTODY_EVERIFY, "the signature does "
			"not match the signed data");
		goto cleanup;
	}
	rc = signer_out != NULL ? custody_pubkey_from_raw(signer_out, pub, err)
		: 0;
cleanup:
	free(blob);
	custody_buf_dispose(&b64);
	custody_buf_dispose(&tbs);
	return rc;
}

int custody_sshsig_verify(const char *armoured, size_t armoured_len,
	const char *namespace_, const void *message, size_t len,
	custody_pubkey **signer_out, custody_error **err)
{
	struct message m = { message != NULL ? message : "", len, -1 };

	return verify(armoured, armoured_len, namespace_, &m, signer_out, err);
}

int custody_sshsig_verify_fd(const char *armoured, size_t armoured_len,
	const char *namespace_, int fd, custody_pubkey **signer_out,
	custody_error **err)
{
	struct message m = { NULL, 0, fd };

	return verify(armoured, armoured_len, namespace_, &m, signer_out, err);
}
