/*
 * Keys and signatures: Ed25519 against RFC 8032's known answers and the
 * checks OpenSSL 3.0 leaves out (ed25519.c), strict base64 (base64.c),
 * SSHSIG signing and verification (sshsig.c), public key lines, OpenSSH
 * key import and encrypted key files (key.c). Runs from tests/, as meson
 * does, to find data/rfc8032 and data/openssh.
 */
#include "key.h"
#include "base64.h"
#include "ed25519.h"
#include "fsutil.h"
#include "test.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

/* ---- helpers ---- */

/* The bytes are equal; else print both in hex. */
#define CHECK_BYTES(got, want, n) do { const unsigned char *g_ = (got), \
	*w_ = (want); size_t n_ = (n); if (memcmp(g_, w_, n_) != 0) { \
	test_failures_++; fprintf(stderr, "%s:%d: %s differs from %s\n", \
		__FILE__, __LINE__, #got, #want); print_hex("  got ", g_, n_); \
	print_hex("  want", w_, n_); } } while (0)

/* The call succeeded; else show why. Frees and clears err. */
#define CHECK_OK(rc, err) do { int r_ = (rc); CHECK_INT(r_, 0); \
	if (r_ != 0 || (err) != NULL) fprintf(stderr, "  error: %s\n", \
		custody_error_message(err)); \
	custody_error_free(err); (err) = NULL; } while (0)

/* The call failed with `code` and a message containing `needle`. Frees
 * and clears err (an error already set is never replaced). */
#define CHECK_FAILS(rc, err, code, needle) do { CHECK_INT((rc), (code)); \
	CHECK((err) != NULL); \
	CHECK_INT(custody_error_code(err), (code)); \
	CHECK_CONTAINS((err) != NULL ? custody_error_message(err) : NULL, \
		(needle)); \
	custody_error_free(err); (err) = NULL; } while (0)

static void print_hex(const char *label, const unsigned char *p, size_t n)
{
	fprintf(stderr, "%s ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "\n");
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *bytes = NULL;
	long size;

	*len = 0;
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (run from tests/)\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (bytes = malloc((size_t)size + 1)) != NULL) {
		*len = fread(bytes, 1, (size_t)size, f);
		bytes[*len] = '\0';
	}
	fclose(f);
	return bytes;
}

/* len bytes from 2 * len lowercase hex digits (a test constant). */
static void from_hex(unsigned char *out, const char *hex, size_t len)
{
	CHECK(strlen(hex) == 2 * len);
	CHECK_INT(custody_unhex(out, hex, len), 0);
}

/* a + b, little-endian 32-byte numbers; returns the carry out. */
static int add_le(unsigned char out[32], const unsigned char a[32],
	const unsigned char b[32])
{
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		carry += (unsigned)a[i] + b[i];
		out[i] = (unsigned char)carry;
		carry >>= 8;
	}
	return (int)carry;
}

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian
 * (checked below against OpenSSL's malleability test vector). */
static const unsigned char group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

/* The identity point (0, 1), encoded: y = 1, sign bit clear. */
static const unsigned char identity[32] = { 0x01 };

/* ---- the RFC 8032 vectors, read once from data/rfc8032 ---- */

#define VECTORS_FILE "data/rfc8032/ed25519-7.1.txt"
#define MAX_VECTORS 8

struct vector {
	char name[32];
	unsigned char secret[32], public[32], signature[64];
	unsigned char *message;
	size_t message_len;
	unsigned seen; /* one bit per field */
};

static struct vector vectors[MAX_VECTORS];
static size_t vector_count;
static int vectors_read;

/* A field "name: hex" of the current block; 0, or -1 if malformed. */
static int vector_field(struct vector *v, const char *line, size_t len)
{
	static const char *const names[] = { "secret", "public", "message",
		"signature" };
	const char *colon = memchr(line, ':', len), *hex;
	size_t hex_len;
	int field = -1;

	if (colon == NULL)
		return -1;
	for (int i = 0; i < 4; i++)
		if ((size_t)(colon - line) == strlen(names[i]) &&
		    memcmp(line, names[i], strlen(names[i])) == 0)
			field = i;
	if (field < 0 || (v->seen & (1u << field)))
		return -1;
	v->seen |= 1u << field;
	hex = colon + 1;
	while (hex < line + len && *hex == ' ')
		hex++;
	hex_len = (size_t)(line + len - hex);
	if (hex_len % 2 != 0)
		return -1;
	switch (field) {
	case 0:
		return hex_len == 64 ? custody_unhex(v->secret, hex, 32) : -1;
	case 1:
		return hex_len == 64 ? custody_unhex(v->public, hex, 32) : -1;
	case 2:
		v->message_len = hex_len / 2;
		v->message = malloc(v->message_len + 1);
		return v->message == NULL ? -1 :
			custody_unhex(v->message, hex, v->message_len);
	default:
		return hex_len == 128 ?
			custody_unhex(v->signature, hex, 64) : -1;
	}
}

/* Read the vectors file; returns how many complete vectors it holds. */
static size_t load_vectors(void)
{
	char *text, *p, *end;
	size_t len, line_no = 0;
	struct vector *v = &vectors[0];

	if (vectors_read)
		return vector_count;
	vectors_read = 1;
	if ((text = read_file(VECTORS_FILE, &len)) == NULL) {
		CHECK(!"the RFC 8032 vectors file is readable");
		return 0;
	}
	end = text + len;
	for (p = text; p < end && vector_count < MAX_VECTORS; ) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((eol ? eol : end) - p);

		line_no++;
		if (n == 0 || p[0] == '#') {
			/* "# TEST 1" names the next block */
			if (n > 2 && v->seen == 0 && p[0] == '#')
				snprintf(v->name, sizeof(v->name), "%.*s",
					(int)(n - 2), p + 2);
			if (n == 0 && v->seen != 0) {
				if (v->seen != 15)
					fprintf(stderr, "%s:%zu: incomplete"
						" vector\n", VECTORS_FILE,
						line_no);
				CHECK_INT(v->seen, 15);
				v = &vectors[++vector_count];
			}
		} else if (vector_field(v, p, n) != 0) {
			fprintf(stderr, "%s:%zu: bad line\n", VECTORS_FILE,
				line_no);
			CHECK(!"every line of the vectors file is well formed");
		}
		p = eol ? eol + 1 : end;
	}
	if (vector_count < MAX_VECTORS && v->seen != 0) {
		CHECK_INT(v->seen, 15);
		vector_count++;
	}
	free(text);
	return vector_count;
}

/* The key of RFC vector i (0: TEST 1), or NULL (a failed check). */
static custody_key *rfc_key(size_t i)
{
	custody_key *key = NULL;
	custody_error *err = NULL;

	if (load_vectors() <= i) {
		CHECK(!"the RFC 8032 vectors were read");
		return NULL;
	}
	CHECK_OK(custody_key__from_seed(&key, vectors[i].secret, &err), err);
	return key;
}

/* ---- 1. RFC 8032 section 7.1 ---- */

/* How many single-bit flips of buf still verify (should be none). */
static size_t flips_accepted(const unsigned char pub[32],
	unsigned char *msg, size_t msg_len, unsigned char sig[64],
	unsigned char *buf, size_t buf_len)
{
	size_t accepted = 0;

	for (size_t bit = 0; bit < buf_len * 8; bit++) {
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		if (custody_ed25519__verify(pub, msg, msg_len, sig) != 0) {
			if (accepted == 0)
				fprintf(stderr, "  accepted with bit %zu "
					"flipped\n", bit);
			accepted++;
		}
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	return accepted;
}

static void test_key__rfc8032_vectors_sign_and_verify(void)
{
	/* a file that yields no vectors must not pass silently */
	CHECK_INT(load_vectors(), 5);
	for (size_t i = 0; i < vector_count; i++) {
		struct vector *v = &vectors[i];
		custody_key *key = rfc_key(i);
		custody_error *err = NULL;
		unsigned char sig[64], copy[64];
		int before = test_failures_;

		if (key == NULL)
			continue;
		CHECK_BYTES(custody_pubkey_raw(custody_key_public(key)),
			v->public, 32);
		memset(sig, 0, sizeof(sig));
		CHECK_OK(custody_ed25519__sign(custody_key__pkey(key),
			v->message, v->message_len, sig, &err), err);
		CHECK_BYTES(sig, v->signature, 64);
		CHECK_INT(custody_ed25519__verify(v->public, v->message,
			v->message_len, v->signature), 1);
		/* every single-bit change of message or signature is caught */
		CHECK_INT(flips_accepted(v->public, v->message, v->message_len,
			v->signature, v->message, v->message_len), 0);
		memcpy(copy, v->signature, 64);
		CHECK_INT(flips_accepted(v->public, v->message, v->message_len,
			copy, copy, 64), 0);
		/* ... and so is a change of key: the next vector's key */
		CHECK_INT(custody_ed25519__verify(
			vectors[(i + 1) % vector_count].public, v->message,
			v->message_len, v->signature), 0);
		if (test_failures_ != before)
			fprintf(stderr, "  (in %s, %zu-byte message)\n",
				v->name, v->message_len);
		custody_key_free(key);
	}
	/* the vector names tell which is which in failure messages */
	CHECK_STR(vectors[0].name, "TEST 1");
	CHECK_STR(vectors[3].name, "TEST 1024");
	CHECK_INT(vectors[3].message_len, 1023);
	CHECK_INT(vectors[4].message_len, 64);
}

/* ---- 2. public keys: canonical, not small order ---- */

static void test_key__small_order_and_noncanonical_keys_are_refused(void)
{
	static const struct {
		const char *hex;
		const char *why;
	} bad[] = {
		/* the eight torsion points: y = 1 (identity), y = -1,
		 * y = 0 (order 4), the two y of the order-8 points */
		{ "01000000000000000000000000000000"
		  "00000000000000000000000000000000",
			"small order" },
		{ "ecffffffffffffffffffffffffffffff"
		  "ffffffffffffffffffffffffffffff7f",
			"small order" },
		{ "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
			"small order" },
		{ "c7176a703d4dd84fba3c0b760d10670f"
		  "2a2053fa2c39ccc64ec7fd7792ac037a",
			"small order" },
		{ "26e8958fc2b227b045c3f489f2ef98f0"
		  "d5dfac05d3c63339b13802886d53fc05",
			"small order" },
		/* y = p and y = p + 1: non-canonical spellings of y = 0 and
		 * y = 1, so small order is what is wrong with them first */
		{ "edffffffffffffffffffffffffffffff"
		  "ffffffffffffffffffffffffffffff7f",
			"small order" },
		{ "eeffffffffffffffffffffffffffffff"
		  "ffffffffffffffffffffffffffffff7f",
			"small order" },
		/* y = p + 2 and y = 2^255 - 1 = p + 18: not canonical */
		{ "efffffffffffffffffffffffffffffff"
		  "ffffffffffffffffffffffffffffff7f",
			"canonical" },
		{ "ffffffffffffffffffffffffffffffff"
		  "ffffffffffffffffffffffffffffff7f",
			"canonical" },
	};
	unsigned char pub[32];
	custody_pubkey *key = NULL;
	custody_error *err = NULL;

	CHECK_INT(load_vectors(), 5);
	for (size_t i = 0; i < vector_count; i++)
		CHECK(custody_ed25519__public_key_problem(vectors[i].public)
			== NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		from_hex(pub, bad[i].hex, 32);
		/* the sign bit (x's parity) does not change the verdict */
		for (int sign = 0; sign < 2; sign++) {
			const char *why;

			if (sign)
				pub[31] |= 0x80;
			why = custody_ed25519__public_key_problem(pub);
			if (why == NULL)
				fprintf(stderr, "  accepted %s (sign %d)\n",
					bad[i].hex, sign);
			CHECK_CONTAINS(why, bad[i].why);
			/* "small order" keys are not called non-canonical */
			if (why != NULL && strcmp(bad[i].why, "small order")
			    == 0)
				CHECK(strstr(why, "canonical") == NULL);
			/* and the public API refuses them the same way */
			CHECK_FAILS(custody_pubkey_from_raw(&key, pub, &err),
				err, CUSTODY_EINVALID, bad[i].why);
			CHECK(key == NULL);
		}
	}
	/* the non-canonical range is exactly p .. 2^255 - 1 */
	memset(pub, 0xff, 32);
	pub[31] = 0x7f;
	for (unsigned low = 0xed; low <= 0xff; low++) {
		pub[0] = (unsigned char)low;
		CHECK(custody_ed25519__public_key_problem(pub) != NULL);
	}
}

/* ---- 3. S must be below L ---- */

static void test_key__s_at_or_above_group_order_is_refused(void)
{
	/* OpenSSL's evppkey_ecx.txt "Signature maleability test": TEST 1's
	 * signature with L added to S, an independent check of L */
	static const char malleated_hex[] =
		"e5564300c360ac729086e2cc806e828a"
		"84877f1eb8e5d974d873e06522490155"
		"4c8c7872aa064e049dbb3013fbf29380"
		"d25bf5f0595bbe24655141438e7a101b";
	unsigned char sig[64], malleated[64];

	CHECK_INT(load_vectors(), 5);
	if (vector_count == 0)
		return;
	from_hex(malleated, malleated_hex, 64);
	for (size_t i = 0; i < vector_count; i++) {
		struct vector *v = &vectors[i];

		CHECK_INT(custody_ed25519__s_is_canonical(v->signature), 1);
		memcpy(sig, v->signature, 32);
		/* S + L is still below 2^256: no carry out */
		CHECK_INT(add_le(sig + 32, v->signature + 32, group_order), 0);
		if (i == 0)
			CHECK_BYTES(sig, malleated, 64);
		CHECK_INT(custody_ed25519__s_is_canonical(sig), 0);
		/* OpenSSL 3.0.22 refuses these too, so this cannot tell
		 * whether custody checks S itself; the SSHSIG test's
		 * "group order" message does */
		CHECK_INT(custody_ed25519__verify(v->public, v->message,
			v->message_len, sig), 0);
	}

	/* S = L, L - 1, L + 1 around the boundary */
	memcpy(sig, vectors[0].signature, 32);
	memcpy(sig + 32, group_order, 32);
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 0);
	CHECK_INT(custody_ed25519__verify(vectors[0].public, "", 0, sig), 0);
	sig[32] = group_order[0] - 1;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
	sig[32] = group_order[0] + 1;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 0);
	/* S = L - 2^128: the first difference is in byte 16 */
	memcpy(sig + 32, group_order, 32);
	sig[32 + 16] = 0xff;
	sig[32 + 31] = 0x0f;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
	/* bytes compared from the most significant end: the low bytes of
	 * 0x0fff..ff are all above L's, yet the number is below L */
	memset(sig + 32, 0xff, 32);
	sig[63] = 0x0f;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
	/* 2^252 < L; 2^256 - 1 > L; 0 < L */
	memset(sig + 32, 0, 32);
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
	sig[63] = 0x10;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
	memset(sig + 32, 0xff, 32);
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 0);
	/* L with a bit above it set */
	memcpy(sig + 32, group_order, 32);
	sig[63] = 0x30;
	CHECK_INT(custody_ed25519__s_is_canonical(sig), 0);
}

/* ---- 4. the forgery OpenSSL 3.0 accepts ---- */

/* OpenSSL's own verdict, without custody's checks. */
static int openssl_verify(const unsigned char pub[32], const void *msg,
	size_t len, const unsigned char sig[64])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		pub, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int valid = 0;

	if (pkey != NULL && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1)
		valid = EVP_DigestVerify(md, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return valid;
}

static void test_key__identity_key_signs_everything_only_for_openssl(void)
{
	/*
	 * Under the identity key A, R = identity and S = 0 satisfy
	 * [S]B = R + [k]A for every message: a "signature" anyone can make,
	 * proving nothing. custody must say no.
	 */
	static const char *const messages[] = { "", "anything",
		"I owe you a million euros" };
	unsigned char sig[64] = { 0x01 }; /* R = identity, S = 0 */
	/* OpenSSL 3.0.x accepts it (checked on 3.0.22); later releases may
	 * not, so the comparison documents only what 3.0 does */
	int openssl_3_0 = (OpenSSL_version_num() >> 20) == 0x300;

	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		size_t len = strlen(messages[i]);

		CHECK_INT(custody_ed25519__verify(identity, messages[i], len,
			sig), 0);
		if (openssl_3_0)
			CHECK_INT(openssl_verify(identity, messages[i], len,
				sig), 1);
	}
	if (!openssl_3_0)
		fprintf(stderr, "# %s: OpenSSL alone says %d (not 3.0)\n",
			OpenSSL_version(OPENSSL_VERSION),
			openssl_verify(identity, "", 0, sig));
}

/* ---- 5. base64 ---- */

static void test_key__base64_decoder_is_strict(void)
{
	/* RFC 4648 section 10's examples */
	static const struct {
		const char *text, *bytes;
	} good[] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
	};
	static const char *const bad[] = {
		"Zg=",        /* length not a multiple of 4 */
		"Zg",         /* padding left out */
		"Zh==",       /* non-zero bits after the last byte */
		"Zm9=",       /* the same with one "=" */
		"Zm9v\n",     /* a line ending */
		"Zm 9v",      /* a space */
		"Z===",       /* three "=" */
		"====",       /* only padding */
		"=Zg=",       /* "=" first */
		"Zg=A",       /* a character after "=" */
		"Zg==Zm9v",   /* padding before the last group */
		"Zm9v====",   /* a group of padding */
		"Zm9-", "Zm9_", /* the URL-safe alphabet */
	};
	unsigned char out[64];
	size_t out_len;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = strlen(good[i].bytes);
		char text[16];

		out_len = 99;
		CHECK_INT(custody_base64_decode(out, &out_len, good[i].text,
			strlen(good[i].text)), 0);
		CHECK_INT(out_len, n);
		CHECK(memcmp(out, good[i].bytes, n) == 0);
		CHECK_INT(custody_base64_encode(text, good[i].bytes, n),
			strlen(good[i].text));
		CHECK_STR(text, good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = custody_base64_decode(out, &out_len, bad[i],
			strlen(bad[i]));

		if (rc != -1)
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
		CHECK_INT(rc, -1);
	}
	/* only `len` characters count, even when good ones follow */
	for (size_t n = 1; n < 8; n++)
		if (n != 4)
			CHECK_INT(custody_base64_decode(out, &out_len,
				"Zm9vYmFy", n), -1);
}

static void test_key__base64_round_trips_and_matches_openssl(void)
{
	unsigned char data[40], back[40 + 3];
	char text[CUSTODY_BASE64_LEN(40) + 1];
	unsigned char ref[CUSTODY_BASE64_LEN(40) + 1];
	size_t back_len;

	for (size_t len = 0; len <= 40; len++) {
		custody_buf appended = CUSTODY_BUF_INIT;
		size_t n;

		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)(len * 97 + i * 151 + 0x3d);
		n = custody_base64_encode(text, data, len);
		CHECK_INT(n, CUSTODY_BASE64_LEN(len));
		CHECK_INT(strlen(text), n);
		/* OpenSSL's encoder is the independent reference */
		CHECK_INT(EVP_EncodeBlock(ref, data, (int)len), n);
		CHECK_STR(text, (const char *)ref);
		CHECK_INT(custody_base64_decode(back, &back_len, text, n), 0);
		CHECK_INT(back_len, len);
		CHECK(memcmp(back, data, len) == 0);
		CHECK_INT(custody_base64__append(&appended, data, len), 0);
		CHECK(appended.size == n && (n == 0 ||
			memcmp(appended.ptr, text, n) == 0));
		custody_buf_dispose(&appended);
	}
}

/* ---- SSHSIG blobs, taken apart and put together ---- */

#define BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define END "-----END SSH SIGNATURE-----\n"

struct bytes {
	unsigned char b[2048];
	size_t n;
};

static void put(struct bytes *out, const void *p, size_t n)
{
	CHECK(out->n + n <= sizeof(out->b));
	if (out->n + n > sizeof(out->b))
		return;
	memcpy(out->b + out->n, p, n);
	out->n += n;
}

static void put_u32(struct bytes *out, uint32_t v)
{
	unsigned char be[4] = { (unsigned char)(v >> 24),
		(unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };

	put(out, be, 4);
}

static void put_string(struct bytes *out, const void *p, size_t n)
{
	put_u32(out, (uint32_t)n);
	put(out, p, n);
}

static void put_cstring(struct bytes *out, const char *s)
{
	put_string(out, s, strlen(s));
}

/* A reader for what the tests take apart; -1 past the end. */
static int get_u32(const unsigned char **p, size_t *left, uint32_t *v)
{
	if (*left < 4)
		return -1;
	*v = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
		(uint32_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	*left -= 4;
	return 0;
}

static int get_string(const unsigned char **p, size_t *left,
	const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (get_u32(p, left, &len) != 0 || len > *left)
		return -1;
	*s = *p;
	*n = len;
	*p += len;
	*left -= len;
	return 0;
}

/* The parts of an SSHSIG blob the tests change. */
struct sshsig {
	uint32_t version;
	unsigned char pub[32];
	char ns[32], hash[16];
	unsigned char sig[80];
	size_t sig_len;
	int trailing; /* a zero byte after the blob */
	int inner_trailing; /* a zero byte after the Ed25519 signature */
};

/* Decode an armoured SSHSIG (as custody writes it) into parts. */
static int sshsig_parse(struct sshsig *out, const char *armour)
{
	char b64[1024];
	unsigned char blob[768];
	const unsigned char *p = blob, *s, *inner;
	size_t n = 0, left, len, inner_len;
	const char *line = armour + strlen(BEGIN);

	memset(out, 0, sizeof(*out));
	if (strncmp(armour, BEGIN, strlen(BEGIN)) != 0)
		return -1;
	while (strncmp(line, END, strlen(END)) != 0) {
		const char *eol = strchr(line, '\n');

		if (eol == NULL || n + (size_t)(eol - line) >= sizeof(b64))
			return -1;
		memcpy(b64 + n, line, (size_t)(eol - line));
		n += (size_t)(eol - line);
		line = eol + 1;
	}
	if (custody_base64_decode(blob, &left, b64, n) != 0 || left < 6 ||
	    memcmp(blob, "SSHSIG", 6) != 0)
		return -1;
	p += 6;
	left -= 6;
	if (get_u32(&p, &left, &out->version) != 0 ||
	    get_string(&p, &left, &s, &len) != 0 || len != 51 ||
	    memcmp(s, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19) != 0)
		return -1;
	memcpy(out->pub, s + 19, 32);
	if (get_string(&p, &left, &s, &len) != 0 || len >= sizeof(out->ns))
		return -1;
	memcpy(out->ns, s, len);
	if (get_string(&p, &left, &s, &len) != 0 || len != 0 ||
	    get_string(&p, &left, &s, &len) != 0 ||
	    len >= sizeof(out->hash))
		return -1;
	memcpy(out->hash, s, len);
	if (get_string(&p, &left, &inner, &inner_len) != 0 || left != 0 ||
	    get_string(&inner, &inner_len, &s, &len) != 0 || len != 11 ||
	    memcmp(s, "ssh-ed25519", 11) != 0 ||
	    get_string(&inner, &inner_len, &s, &len) != 0 ||
	    inner_len != 0 || len > sizeof(out->sig))
		return -1;
	memcpy(out->sig, s, len);
	out->sig_len = len;
	return 0;
}

/* Put parts back together and armour them; `after` follows END. */
static void sshsig_armour(custody_buf *out, const struct sshsig *sig,
	const char *after)
{
	struct bytes key = { .n = 0 }, inner = { .n = 0 }, blob = { .n = 0 };
	char *b64;
	size_t n;

	put_cstring(&key, "ssh-ed25519");
	put_string(&key, sig->pub, 32);
	put_cstring(&inner, "ssh-ed25519");
	put_string(&inner, sig->sig, sig->sig_len);
	if (sig->inner_trailing)
		put(&inner, "", 1);
	put(&blob, "SSHSIG", 6);
	put_u32(&blob, sig->version);
	put_string(&blob, key.b, key.n);
	put_cstring(&blob, sig->ns);
	put_string(&blob, "", 0);
	put_cstring(&blob, sig->hash);
	put_string(&blob, inner.b, inner.n);
	if (sig->trailing)
		put(&blob, "", 1);
	b64 = malloc(CUSTODY_BASE64_LEN(blob.n) + 1);
	CHECK(b64 != NULL);
	if (b64 == NULL)
		return;
	n = custody_base64_encode(b64, blob.b, blob.n);
	CHECK_INT(custody_buf__append(out, BEGIN, strlen(BEGIN)), 0);
	for (size_t i = 0; i < n; i += 70) {
		CHECK_INT(custody_buf__append(out, b64 + i,
			n - i < 70 ? n - i : 70), 0);
		CHECK_INT(custody_buf__append(out, "\n", 1), 0);
	}
	CHECK_INT(custody_buf__append(out, END, strlen(END)), 0);
	CHECK_INT(custody_buf__append(out, after, strlen(after)), 0);
	free(b64);
}

/* Verify armoured text over msg in "custody"; the error is left in *err. */
static int verify_text(const custody_buf *armour, const char *msg,
	custody_error **err)
{
	custody_pubkey *signer = NULL;
	int rc = custody_sshsig_verify(armour->ptr, armour->size, "custody",
		msg, strlen(msg), &signer, err);

	CHECK(rc == 0 ? signer != NULL : signer == NULL);
	custody_pubkey_free(signer);
	return rc;
}

/* ---- 6. SSHSIG ---- */

static const char signed_message[] =
	"Chain of custody: this file was received on 2024-05-01.\n";

static void test_key__sshsig_round_trip_and_armour(void)
{
	custody_key *key = rfc_key(0);
	custody_buf armour = CUSTODY_BUF_INIT;
	custody_pubkey *signer = NULL;
	custody_error *err = NULL;
	static const char *const wrong_ns[] = { "git", "custod", "custodyy",
		"Custody", "" };
	const char *line, *body_end;
	size_t msg_len = strlen(signed_message), lines = 0;

	if (key == NULL)
		return;
	CHECK_OK(custody_sshsig_sign(key, "custody", signed_message, msg_len,
		&armour, &err), err);
	CHECK(armour.ptr != NULL && armour.size > strlen(BEGIN END));
	if (armour.ptr == NULL || armour.size <= strlen(BEGIN END))
		goto cleanup;

	/* the armour: BEGIN line, base64 lines of 1..70, END line */
	CHECK(strncmp(armour.ptr, BEGIN, strlen(BEGIN)) == 0);
	CHECK(strlen(armour.ptr) == armour.size);
	body_end = armour.ptr + armour.size - strlen(END);
	CHECK_STR(body_end, END);
	for (line = armour.ptr + strlen(BEGIN); line < body_end; lines++) {
		const char *eol = strchr(line, '\n');
		size_t n;

		CHECK(eol != NULL);
		if (eol == NULL)
			break;
		n = (size_t)(eol - line);
		CHECK(n >= 1 && n <= 70);
		CHECK(strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			"qrstuvwxyz0123456789+/=") == n);
		line = eol + 1;
	}
	CHECK(lines >= 4); /* about 300 base64 characters */

	CHECK_OK(custody_sshsig_verify(armour.ptr, armour.size, "custody",
		signed_message, msg_len, &signer, &err), err);
	CHECK(signer != NULL && custody_pubkey_equal(signer,
		custody_key_public(key)));
	custody_pubkey_free(signer);
	signer = NULL;
	CHECK_OK(custody_sshsig_verify(armour.ptr, armour.size, "custody",
		signed_message, msg_len, NULL, &err), err);

	/* another namespace, another message */
	for (size_t i = 0; i < sizeof(wrong_ns) / sizeof(wrong_ns[0]); i++) {
		CHECK_FAILS(custody_sshsig_verify(armour.ptr, armour.size,
			wrong_ns[i], signed_message, msg_len, &signer, &err),
			err, CUSTODY_EVERIFY, "namespace");
		CHECK(signer == NULL);
	}
	CHECK_FAILS(custody_sshsig_verify(armour.ptr, armour.size, "custody",
		signed_message, msg_len - 1, &signer, &err), err,
		CUSTODY_EVERIFY, "does not match");
	CHECK_FAILS(custody_sshsig_verify(armour.ptr, armour.size, "custody",
		"chain of custody", 16, &signer, &err), err, CUSTODY_EVERIFY,
		"does not match");
	CHECK(signer == NULL);
cleanup:
	custody_buf_dispose(&armour);
	custody_key_free(key);
}

static void test_key__sshsig_malformed_or_forged_signatures_are_refused(void)
{
	custody_key *key = rfc_key(0);
	custody_buf armour = CUSTODY_BUF_INIT, text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct sshsig orig, s;
	size_t msg_len = strlen(signed_message);

	if (key == NULL)
		return;
	CHECK_OK(custody_sshsig_sign(key, "custody", signed_message, msg_len,
		&armour, &err), err);
	CHECK_INT(sshsig_parse(&orig, armour.ptr ? armour.ptr : ""), 0);
	CHECK_INT(orig.version, 1);
	CHECK_BYTES(orig.pub, custody_pubkey_raw(custody_key_public(key)), 32);
	CHECK_STR(orig.ns, "custody");
	CHECK_STR(orig.hash, "sha512");
	CHECK_INT(orig.sig_len, 64);

	/* Put back unchanged, the parts give the same text: what follows
	 * changes only what each case says it changes. */
	sshsig_armour(&text, &orig, "");
	CHECK(text.size == armour.size && armour.ptr != NULL &&
		memcmp(text.ptr, armour.ptr, text.size) == 0);
	CHECK_OK(verify_text(&text, signed_message, &err), err);
	custody_buf_dispose(&text);

#define REFUSED(after, code, needle) do { \
	sshsig_armour(&text, &s, (after)); \
	CHECK_FAILS(verify_text(&text, signed_message, &err), err, \
		(code), (needle)); \
	custody_buf_dispose(&text); } while (0)

	/* a signature one byte short, one byte long */
	s = orig;
	s.sig_len = 63;
	REFUSED("", CUSTODY_EINVALID, "not 64");
	s = orig;
	s.sig[64] = 0;
	s.sig_len = 65;
	REFUSED("", CUSTODY_EINVALID, "not 64");

	/* a byte after the blob, after the signature inside it */
	s = orig;
	s.trailing = 1;
	REFUSED("", CUSTODY_EINVALID, "malformed");
	s = orig;
	s.inner_trailing = 1;
	REFUSED("", CUSTODY_EINVALID, "malformed");

	/* version 2, hash md5 */
	s = orig;
	s.version = 2;
	REFUSED("", CUSTODY_EINVALID, "version");
	s = orig;
	snprintf(s.hash, sizeof(s.hash), "md5");
	REFUSED("", CUSTODY_EINVALID, "hash algorithm");

	/* S + L: the same group element, another encoding */
	s = orig;
	CHECK_INT(add_le(s.sig + 32, orig.sig + 32, group_order), 0);
	REFUSED("", CUSTODY_EVERIFY, "group order");

	/* the identity key with R = identity, S = 0 signs anything */
	s = orig;
	memcpy(s.pub, identity, 32);
	memset(s.sig, 0, 64);
	s.sig[0] = 0x01;
	REFUSED("", CUSTODY_EVERIFY, "small order");

	/* the namespace is signed: relabelling the blob breaks it */
	s = orig;
	snprintf(s.ns, sizeof(s.ns), "git");
	sshsig_armour(&text, &s, "");
	CHECK_FAILS(custody_sshsig_verify(text.ptr, text.size, "git",
		signed_message, msg_len, NULL, &err), err, CUSTODY_EVERIFY,
		"does not match");
	custody_buf_dispose(&text);

	/* text after the END line; one line ending there is fine */
	s = orig;
	REFUSED("trailing words\n", CUSTODY_EINVALID, "after");
	REFUSED("\n\n", CUSTODY_EINVALID, "after");
	sshsig_armour(&text, &s, "");
	text.size--; /* no final line ending */
	CHECK_OK(verify_text(&text, signed_message, &err), err);
	custody_buf_dispose(&text);
#undef REFUSED

	custody_buf_dispose(&armour);
	custody_key_free(key);
}

static void test_key__sshsig_from_file_descriptors(void)
{
	custody_key *key = rfc_key(0);
	custody_buf armour = CUSTODY_BUF_INIT, again = CUSTODY_BUF_INIT;
	custody_pubkey *signer = NULL;
	custody_error *err = NULL;
	char path[] = "/tmp/custody-test-key-msg.XXXXXX";
	size_t msg_len = strlen(signed_message);
	int fds[2], fd;

	if (key == NULL)
		return;
	CHECK_OK(custody_sshsig_sign(key, "custody", signed_message, msg_len,
		&armour, &err), err);

	/* a pipe: read to its end, no seeking */
	CHECK_INT(pipe(fds), 0);
	CHECK(write(fds[1], signed_message, msg_len) == (ssize_t)msg_len);
	close(fds[1]);
	CHECK_OK(custody_sshsig_verify_fd(armour.ptr, armour.size, "custody",
		fds[0], &signer, &err), err);
	CHECK(signer != NULL && custody_pubkey_equal(signer,
		custody_key_public(key)));
	custody_pubkey_free(signer);
	signer = NULL;
	close(fds[0]);

	/* a file; signing from it gives the same (deterministic) text */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, signed_message, msg_len) == (ssize_t)msg_len);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		CHECK_OK(custody_sshsig_verify_fd(armour.ptr, armour.size,
			"custody", fd, &signer, &err), err);
		CHECK(signer != NULL);
		custody_pubkey_free(signer);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		CHECK_OK(custody_sshsig_sign_fd(key, "custody", fd, &again,
			&err), err);
		CHECK(again.size == armour.size && again.ptr != NULL &&
			memcmp(again.ptr, armour.ptr, armour.size) == 0);
		/* a file with one more byte is another message */
		CHECK(write(fd, "x", 1) == 1);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		CHECK_FAILS(custody_sshsig_verify_fd(armour.ptr, armour.size,
			"custody", fd, NULL, &err), err, CUSTODY_EVERIFY,
			"does not match");
		close(fd);
		unlink(path);
	}
	custody_buf_dispose(&again);
	custody_buf_dispose(&armour);
	custody_key_free(key);
}

/*
 * Ed25519 is deterministic, so custody must write what ssh-keygen writes.
 * Made once with OpenSSH 9.2p1 and the fixture key (a 0600 copy of it):
 *   printf 'The quick brown fox jumps over the lazy dog\n' > msg
 *   ssh-keygen -Y sign -f data/openssh/ed25519-unencrypted -n custody msg
 */
static const char fox[] = "The quick brown fox jumps over the lazy dog\n";
static const char fox_sig[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgPuj1dCotQh6oPR9sP27Ob53il6\n"
	"vvDm5JcttnZe2AWRwAAAAHY3VzdG9keQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQy\n"
	"NTUxOQAAAEAhPyLzZDyZga0QHby+2pFhhybRf6nWOJLer0dMB1LOQ2xbcShvGUnVmLPjN9\n"
	"k61DVj2CVegZoRuWs3LuLOL8wK\n"
	"-----END SSH SIGNATURE-----\n";

static void test_key__sshsig_matches_ssh_keygen_byte_for_byte(void)
{
	custody_key *key = NULL;
	custody_pubkey *signer = NULL;
	custody_buf armour = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	size_t len;
	char *file = read_file("data/openssh/ed25519-unencrypted", &len);

	CHECK(file != NULL);
	if (file == NULL)
		return;
	CHECK_OK(custody_key_import_openssh(&key, file, len, "fixture", &err),
		err);
	free(file);
	if (key == NULL)
		return;
	CHECK_OK(custody_sshsig_sign(key, "custody", fox, strlen(fox),
		&armour, &err), err);
	CHECK_INT(armour.size, strlen(fox_sig));
	CHECK_STR(armour.ptr, fox_sig);
	CHECK_OK(custody_sshsig_verify(fox_sig, strlen(fox_sig), "custody",
		fox, strlen(fox), &signer, &err), err);
	CHECK(signer != NULL && custody_pubkey_equal(signer,
		custody_key_public(key)));
	custody_pubkey_free(signer);
	custody_buf_dispose(&armour);
	custody_key_free(key);
}

/* ---- 7. public key lines ---- */

/* TEST 1's public key as an OpenSSH line (python3: base64 of the wire
 * blob string "ssh-ed25519" || string key). */
#define TEST1_LINE "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lk" \
	"BzoO4XLz2qYjJa8CGmj3B1Ea"

static void test_key__pubkey_lines_parse_and_print(void)
{
	static const char *const good[] = {
		TEST1_LINE " comment\n", TEST1_LINE, TEST1_LINE "\n",
		TEST1_LINE "\r\n", TEST1_LINE " alice@example.org laptop",
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
		/* the identity point, a well-formed ssh-ed25519 line */
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAA"
			"AAAAAAAAAAAAAAAAAAAAAAA", "small order" },
		/* base64 cut short, a character outside the alphabet */
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lk"
			"BzoO4XLz2qYjJa8CGmj3B1E", "base64" },
		{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv*08lk"
			"BzoO4XLz2qYjJa8CGmj3B1Ea", "base64" },
		/* two lines */
		{ TEST1_LINE "\n" TEST1_LINE "\n", "lines" },
		{ "ecdsa-sha2-nistp256 AAAAE2VjZHNh", "Ed25519" },
		{ "", "" },
	};
	custody_key *key = rfc_key(0);
	custody_pubkey *pub = NULL;
	custody_buf line = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *rsa;
	size_t len;

	if (key == NULL)
		return;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_OK(custody_pubkey_parse(&pub, good[i], strlen(good[i]),
			&err), err);
		CHECK(pub != NULL && custody_pubkey_equal(pub,
			custody_key_public(key)));
		custody_pubkey_free(pub);
		pub = NULL;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_FAILS(custody_pubkey_parse(&pub, bad[i].line,
			strlen(bad[i].line), &err), err, CUSTODY_EINVALID,
			bad[i].why);
		CHECK(pub == NULL);
	}

	/* an RSA key, as ssh-keygen wrote it */
	rsa = read_file("data/openssh/rsa-unencrypted.pub", &len);
	CHECK(rsa != NULL && strncmp(rsa, "ssh-rsa ", 8) == 0);
	if (rsa != NULL)
		CHECK_FAILS(custody_pubkey_parse(&pub, rsa, len, &err), err,
			CUSTODY_EINVALID, "Ed25519");
	CHECK(pub == NULL);
	free(rsa);

	CHECK_OK(custody_pubkey_openssh(custody_key_public(key), &line, &err),
		err);
	CHECK(line.ptr != NULL && line.size == strlen(TEST1_LINE) &&
		memcmp(line.ptr, TEST1_LINE, line.size) == 0);
	custody_buf_dispose(&line);
	custody_key_free(key);
}

static void test_key__fingerprint_is_what_ssh_keygen_prints(void)
{
	custody_key *key = rfc_key(0);
	char fp[64];

	if (key == NULL)
		return;
	/* `ssh-keygen -lf` (OpenSSH 9.2p1) on TEST1_LINE saved as a .pub
	 * file printed "256 SHA256:bbXpuKG6zhzdmnxq256TlqzFBzRl2f6OOg722cYN
	 * bU8 rfc8032-test1 (ED25519)" (one line); python3's unpadded base64
	 * of SHA-256(wire blob) agrees */
	custody_pubkey_fingerprint(custody_key_public(key), fp);
	CHECK_STR(fp, "SHA256:bbXpuKG6zhzdmnxq256TlqzFBzRl2f6OOg722cYNbU8");
	custody_key_free(key);
}

static void test_key__verifier_keys_round_trip_and_check_their_id(void)
{
	/* c2sp.org/signed-note: name "+" hex(SHA-256(name "\n" 0x01 key)[:4])
	 * "+" base64(0x01 key), computed with python3 for TEST 1's key */
	static const char want[] = "example.org/log+1c66b9ea+"
		"AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
	custody_key *key = rfc_key(0);
	custody_pubkey *pub = NULL;
	custody_buf vkey = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char text[sizeof(want)];

	if (key == NULL)
		return;
	CHECK_OK(custody_pubkey_vkey(custody_key_public(key),
		"example.org/log", &vkey, &err), err);
	CHECK(vkey.ptr != NULL && vkey.size == strlen(want) &&
		memcmp(vkey.ptr, want, vkey.size) == 0);
	CHECK_OK(custody_pubkey_parse(&pub, want, strlen(want), &err), err);
	CHECK(pub != NULL && custody_pubkey_equal(pub,
		custody_key_public(key)));
	custody_pubkey_free(pub);
	pub = NULL;

	/* each hex digit of the key id is checked */
	for (size_t i = 0; i < 8; i++) {
		size_t at = strlen("example.org/log+") + i;

		memcpy(text, want, sizeof(want));
		text[at] = text[at] == '0' ? '1' : '0';
		CHECK_FAILS(custody_pubkey_parse(&pub, text, strlen(text),
			&err), err, CUSTODY_EINVALID, "id");
		CHECK(pub == NULL);
	}
	/* another name gives another id */
	memcpy(text, want, sizeof(want));
	text[0] = 'f';
	CHECK_FAILS(custody_pubkey_parse(&pub, text, strlen(text), &err), err,
		CUSTODY_EINVALID, "id");
	/* names with a space or "+" are refused */
	CHECK_FAILS(custody_pubkey_vkey(custody_key_public(key), "a b", &vkey,
		&err), err, CUSTODY_EINVALID, "a b");
	CHECK_FAILS(custody_pubkey_vkey(custody_key_public(key), "a+b", &vkey,
		&err), err, CUSTODY_EINVALID, "a+b");
	custody_buf_dispose(&vkey);
	custody_key_free(key);
}

/* ---- 8. OpenSSH private keys ---- */

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----\n"

/* The decoded openssh-key-v1 blob of an armoured key; its length or 0. */
static size_t openssh_decode(unsigned char *blob, size_t room,
	const char *text)
{
	char b64[1024];
	size_t n = 0, len;
	const char *p = text + strlen(OPENSSH_BEGIN);

	if (strncmp(text, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN)) != 0)
		return 0;
	for (; *p != '\0' && *p != '-' && n < sizeof(b64); p++)
		if (*p != '\n')
			b64[n++] = *p;
	if (n / 4 * 3 > room || custody_base64_decode(blob, &len, b64, n) != 0)
		return 0;
	return len;
}

/* Armour a blob as ssh-keygen does (70 columns) into out. */
static void openssh_encode(custody_buf *out, const unsigned char *blob,
	size_t len)
{
	char b64[1024];
	size_t n;

	CHECK(CUSTODY_BASE64_LEN(len) < sizeof(b64));
	if (CUSTODY_BASE64_LEN(len) >= sizeof(b64))
		return;
	n = custody_base64_encode(b64, blob, len);
	CHECK_INT(custody_buf__append(out, OPENSSH_BEGIN,
		strlen(OPENSSH_BEGIN)), 0);
	for (size_t i = 0; i < n; i += 70) {
		CHECK_INT(custody_buf__append(out, b64 + i,
			n - i < 70 ? n - i : 70), 0);
		CHECK_INT(custody_buf__append(out, "\n", 1), 0);
	}
	CHECK_INT(custody_buf__append(out, OPENSSH_END, strlen(OPENSSH_END)),
		0);
}

/*
 * Where the private section (check integers first) starts in a blob;
 * *outer_pub receives where the 32 bytes of the public key before it
 * are. 0 if the blob is not as expected.
 */
static size_t openssh_private_offset(const unsigned char *blob, size_t len,
	size_t *outer_pub)
{
	const unsigned char *p = blob + 15, *s; /* "openssh-key-v1\0" */
	size_t left = len - 15, n;
	uint32_t nkeys;

	if (len < 15 || memcmp(blob, "openssh-key-v1", 15) != 0 ||
	    get_string(&p, &left, &s, &n) != 0 ||      /* cipher */
	    get_string(&p, &left, &s, &n) != 0 ||      /* kdf */
	    get_string(&p, &left, &s, &n) != 0 ||      /* kdf options */
	    get_u32(&p, &left, &nkeys) != 0 ||
	    get_string(&p, &left, &s, &n) != 0 || n != 51)  /* public key */
		return 0;
	*outer_pub = (size_t)(s - blob) + 19;
	if (get_string(&p, &left, &s, &n) != 0 ||      /* private section */
	    n < 8 + 15 + 36 + 68)
		return 0;
	return (size_t)(s - blob);
}

static int import_text(custody_key **out, const char *text, size_t len,
	custody_error **err)
{
	return custody_key_import_openssh(out, text, len, "test.key", err);
}

static void test_key__openssh_import_takes_only_unencrypted_ed25519(void)
{
	custody_key *key = NULL;
	custody_pubkey *pub = NULL;
	custody_buf line = CUSTODY_BUF_INIT, text = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	unsigned char blob[768];
	size_t len, pub_len, blob_len, priv, outer_pub = 0;
	struct {
		size_t at;
		const char *why;
	} edits[5] = { { 0, NULL } };
	char *file = read_file("data/openssh/ed25519-unencrypted", &len);
	char *pub_file = read_file("data/openssh/ed25519-unencrypted.pub",
		&pub_len);
	char *other;
	const char *sp;

	CHECK(file != NULL && pub_file != NULL);
	if (file == NULL || pub_file == NULL)
		goto cleanup;

	/* the key's public line is the .pub file's first two fields */
	CHECK_OK(import_text(&key, file, len, &err), err);
	CHECK(key != NULL);
	if (key == NULL)
		goto cleanup;
	CHECK_OK(custody_pubkey_openssh(custody_key_public(key), &line, &err),
		err);
	sp = strchr(pub_file + strlen("ssh-ed25519 "), ' ');
	CHECK(sp != NULL && line.ptr != NULL &&
		line.size == (size_t)(sp - pub_file) &&
		memcmp(line.ptr, pub_file, line.size) == 0);
	CHECK_OK(custody_pubkey_parse(&pub, pub_file, pub_len, &err), err);
	CHECK(pub != NULL && custody_pubkey_equal(pub,
		custody_key_public(key)));
	custody_pubkey_free(pub);
	custody_key_free(key);
	key = NULL;

	/* encrypted, RSA */
	other = read_file("data/openssh/ed25519-encrypted", &len);
	CHECK(other != NULL);
	if (other != NULL)
		CHECK_FAILS(import_text(&key, other, len, &err), err,
			CUSTODY_EINVALID, "encrypted");
	free(other);
	CHECK(key == NULL);
	other = read_file("data/openssh/rsa-unencrypted", &len);
	CHECK(other != NULL);
	if (other != NULL)
		CHECK_FAILS(import_text(&key, other, len, &err), err,
			CUSTODY_EINVALID, "ssh-ed25519");
	free(other);
	CHECK(key == NULL);

	/* a character in the middle of the base64 damaged */
	len = strlen(file);
	other = strdup(file);
	CHECK(other != NULL);
	if (other != NULL) {
		other[len / 2] = other[len / 2] == '\n' ? '\n' : '*';
		other[len / 2 + 1] = other[len / 2 + 1] == '\n' ? '\n' : '*';
		CHECK_FAILS(import_text(&key, other, len, &err), err,
			CUSTODY_EINVALID, "base64");
		CHECK(key == NULL);
	}
	free(other);

	/* Take the key apart and put it back: unchanged, it imports */
	blob_len = openssh_decode(blob, sizeof(blob), file);
	CHECK(blob_len > 0);
	priv = openssh_private_offset(blob, blob_len, &outer_pub);
	CHECK(priv > 0);
	if (blob_len == 0 || priv == 0)
		goto cleanup;
	openssh_encode(&text, blob, blob_len);
	CHECK_INT(text.size, strlen(file));
	CHECK(text.ptr != NULL && memcmp(text.ptr, file, text.size) == 0);
	custody_buf_dispose(&text);

	/*
	 * One byte changed at a time. The private section holds two check
	 * integers, string "ssh-ed25519" (15 bytes), string public key (36),
	 * string seed || public key (68), comment, padding; every copy of
	 * the public key must agree with the one the seed gives.
	 */
	edits[0].at = priv + 7;
	edits[0].why = "check integers";
	edits[1].at = priv + 8 + 15 + 36 + 4;          /* the seed */
	edits[2].at = priv + 8 + 15 + 4;               /* inner public key */
	edits[3].at = priv + 8 + 15 + 36 + 4 + 32;     /* seed's key half */
	edits[4].at = outer_pub;                       /* outer public key */
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		if (edits[i].why == NULL)
			edits[i].why = "public half";
		blob[edits[i].at] ^= 0x01;
		openssh_encode(&text, blob, blob_len);
		CHECK_FAILS(import_text(&key, text.ptr, text.size, &err), err,
			CUSTODY_EINVALID, edits[i].why);
		CHECK(key == NULL);
		custody_buf_dispose(&text);
		blob[edits[i].at] ^= 0x01;
	}

	/* text after the END line */
	CHECK_INT(custody_buf__append(&text, file, strlen(file)), 0);
	CHECK_INT(custody_buf__append(&text, "more\n", 5), 0);
	CHECK_FAILS(import_text(&key, text.ptr, text.size, &err), err,
		CUSTODY_EINVALID, "after");
	CHECK(key == NULL);
cleanup:
	custody_buf_dispose(&text);
	custody_buf_dispose(&line);
	free(pub_file);
	free(file);
}

/* ---- 9. encrypted key files ---- */

static int same_file(const char *path, const char *bytes, size_t len)
{
	size_t now_len;
	char *now = read_file(path, &now_len);
	int same = now != NULL && now_len == len &&
		memcmp(now, bytes, len) == 0;

	free(now);
	return same;
}

static void test_key__save_and_load_encrypted_key_files(void)
{
	static const char pass[] = "correct horse battery staple";
	static const mode_t open_modes[] = { 0644, 0640, 0604, 0620, 0602,
		0660, 0606, 0666 };
	char dir[] = "/tmp/custody-test-key.XXXXXX";
	custody_key *key = rfc_key(1), *loaded = NULL, *other = rfc_key(2);
	custody_error *err = NULL;
	char *path = NULL, *empty_path = NULL, *before = NULL;
	size_t before_len;
	struct stat st;

	if (key == NULL || other == NULL || mkdtemp(dir) == NULL) {
		CHECK(!"set up a key and a temporary folder");
		goto cleanup;
	}
	path = custody_fs__join(dir, "alice.key");
	empty_path = custody_fs__join(dir, "empty.key");
	CHECK(path != NULL && empty_path != NULL);
	if (path == NULL || empty_path == NULL)
		goto cleanup;

	CHECK_OK(custody_key_save(key, path, pass, strlen(pass), &err), err);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	before = read_file(path, &before_len);
	CHECK(before != NULL && strncmp(before,
		"-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38) == 0);

	/* the right passphrase, then a wrong one */
	CHECK_OK(custody_key_load(&loaded, path, pass, strlen(pass), &err),
		err);
	CHECK(loaded != NULL && custody_pubkey_equal(
		custody_key_public(loaded), custody_key_public(key)));
	custody_key_free(loaded);
	loaded = NULL;
	CHECK_FAILS(custody_key_load(&loaded, path, pass, strlen(pass) - 1,
		&err), err, CUSTODY_EPASSPHRASE, "passphrase");
	CHECK(loaded == NULL);

	/* open to group or others: refused before any decryption */
	for (size_t i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]);
	    i++) {
		CHECK_INT(chmod(path, open_modes[i]), 0);
		CHECK_FAILS(custody_key_load(&loaded, path, pass,
			strlen(pass), &err), err, CUSTODY_EINVALID,
			"chmod 600");
		CHECK(loaded == NULL);
	}
	/* read-only for its owner is fine */
	CHECK_INT(chmod(path, 0400), 0);
	CHECK_OK(custody_key_load(&loaded, path, pass, strlen(pass), &err),
		err);
	CHECK(loaded != NULL);
	custody_key_free(loaded);
	loaded = NULL;
	CHECK_INT(chmod(path, 0600), 0);

	/* never over an existing file, which stays as it was */
	CHECK_FAILS(custody_key_save(other, path, pass, strlen(pass), &err),
		err, CUSTODY_EEXISTS, "already exists");
	CHECK(before != NULL && same_file(path, before, before_len));
	CHECK_OK(custody_key_load(&loaded, path, pass, strlen(pass), &err),
		err);
	CHECK(loaded != NULL && custody_pubkey_equal(
		custody_key_public(loaded), custody_key_public(key)));
	custody_key_free(loaded);
	loaded = NULL;

	/* an empty passphrase leaves the key unprotected: refused */
	CHECK_FAILS(custody_key_save(key, empty_path, "", 0, &err), err,
		CUSTODY_EINVALID, "empty passphrase");
	CHECK(access(empty_path, F_OK) != 0);
cleanup:
	if (path != NULL)
		unlink(path);
	if (empty_path != NULL)
		unlink(empty_path);
	rmdir(dir);
	free(before);
	free(path);
	free(empty_path);
	custody_key_free(other);
	custody_key_free(key);
}

/* Key files whose key derivation would take minutes to hours (found by
 * tests/fuzz/fuzz_pkcs8.c: scrypt's p raised to 97) are refused, from
 * their parameters, before anything is derived. The files are in the
 * fuzz corpus; a key file must be 0600, so each is copied first. */
static void test_key__costly_key_derivation_is_refused_before_decryption(
	void)
{
	static const struct {
		const char *file, *message;
	} cases[] = {
		{ "fuzz/corpus/pkcs8/refused-scrypt-p-97",
		  ": refused before decryption: its scrypt parameters "
		  "(N=16384, r=8, p=97) cost more than 32 times custody's" },
		{ "fuzz/corpus/pkcs8/refused-pbkdf2-2-to-31-iterations",
		  ": refused before decryption: its key derivation asks for "
		  "2147483647 iterations (at most 10000000)" },
		{ "fuzz/corpus/pkcs8/valid-scrypt", NULL },
		{ "fuzz/corpus/pkcs8/valid-pbkdf2-aes256", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[] = "/tmp/custody-test-kdf.XXXXXX";
		custody_key *key = NULL;
		custody_error *err = NULL;
		size_t len = 0;
		char *bytes = read_file(cases[i].file, &len);
		int fd = mkstemp(path), rc;

		if (bytes == NULL || fd < 0 ||
		    write(fd, bytes, len) != (ssize_t)len || close(fd) != 0) {
			CHECK(!"copy a key file into a 0600 temporary file");
			free(bytes);
			continue;
		}
		rc = custody_key_load(&key, path, "fuzz", 4, &err);
		if (cases[i].message == NULL) {
			CHECK_OK(rc, err);
			CHECK(key != NULL);
		} else {
			char want[512];

			snprintf(want, sizeof(want), "%s%s", path,
				cases[i].message);
			CHECK(key == NULL);
			CHECK_INT(rc, CUSTODY_EINVALID);
			CHECK_STR(err != NULL ? custody_error_message(err) :
				NULL, want);
			custody_error_free(err);
		}
		custody_key_free(key);
		unlink(path);
		free(bytes);
	}
}

static void test_key__background_unlock_signs_or_names_its_failure(void)
{
	static const char pass[] = "correct horse battery staple";
	char dir[] = "/tmp/custody-test-key.XXXXXX";
	custody_key *key = rfc_key(1), *other = rfc_key(2), *started = NULL;
	custody_buf direct = CUSTODY_BUF_INIT, later = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *path = NULL;

	if (key == NULL || other == NULL || mkdtemp(dir) == NULL) {
		CHECK(!"set up a key and a temporary folder");
		goto cleanup;
	}
	if ((path = custody_fs__join(dir, "alice.key")) == NULL)
		goto cleanup;
	CHECK_OK(custody_key_save(key, path, pass, strlen(pass), &err), err);

	/* the right passphrase: the public half at once, the same
	 * signature as a key loaded in the foreground once it is open */
	CHECK_OK(custody_key_load_start(&started, path, pass, strlen(pass),
		custody_key_public(key), &err), err);
	CHECK(started != NULL && custody_pubkey_equal(
		custody_key_public(started), custody_key_public(key)));
	CHECK_OK(custody_sshsig_sign(key, "custody", "m", 1, &direct, &err),
		err);
	CHECK_OK(custody_sshsig_sign(started, "custody", "m", 1, &later,
		&err), err);
	CHECK(direct.size > 0 && direct.size == later.size &&
		memcmp(direct.ptr, later.ptr, direct.size) == 0);
	CHECK_OK(custody_key_wait(started, &err), err);
	CHECK_INT(custody_key__unlock_failed(started), 0);
	custody_key_free(started);
	started = NULL;

	/* a wrong passphrase: signing fails with it, and so does every
	 * wait, with the same answer */
	CHECK_OK(custody_key_load_start(&started, path, "wrong", 5,
		custody_key_public(key), &err), err);
	CHECK_FAILS(custody_key_wait(started, &err), err,
		CUSTODY_EPASSPHRASE, "wrong passphrase");
	CHECK_INT(custody_key__unlock_failed(started), 1);
	CHECK_FAILS(custody_key_wait(started, &err), err,
		CUSTODY_EPASSPHRASE, "wrong passphrase");
	custody_buf_dispose(&later);
	CHECK_FAILS(custody_sshsig_sign(started, "custody", "m", 1, &later,
		&err), err, CUSTODY_EPASSPHRASE, "wrong passphrase");
	custody_key_free(started);
	started = NULL;

	/* a public half that is not the key's (a swapped .pub) */
	CHECK_OK(custody_key_load_start(&started, path, pass, strlen(pass),
		custody_key_public(other), &err), err);
	CHECK_FAILS(custody_key_wait(started, &err), err, CUSTODY_EINVALID,
		"its public half differs");
	custody_key_free(started);
	started = NULL;

	/* freed while still unlocking: no leak, no crash (valgrind) */
	CHECK_OK(custody_key_load_start(&started, path, pass, strlen(pass),
		custody_key_public(key), &err), err);
	custody_key_free(started);
	started = NULL;

	/* a file others may read is refused before any thread starts */
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_FAILS(custody_key_load_start(&started, path, pass, strlen(pass),
		custody_key_public(key), &err), err, CUSTODY_EINVALID,
		"chmod 600");
	CHECK(started == NULL);
cleanup:
	if (path != NULL)
		unlink(path);
	rmdir(dir);
	free(path);
	custody_buf_dispose(&direct);
	custody_buf_dispose(&later);
	custody_key_free(other);
	custody_key_free(key);
}

static void free_vectors(void)
{
	for (size_t i = 0; i < MAX_VECTORS; i++)
		free(vectors[i].message);
}

static const struct test tests[] = {
	TEST(test_key__rfc8032_vectors_sign_and_verify),
	TEST(test_key__small_order_and_noncanonical_keys_are_refused),
	TEST(test_key__s_at_or_above_group_order_is_refused),
	TEST(test_key__identity_key_signs_everything_only_for_openssl),
	TEST(test_key__base64_decoder_is_strict),
	TEST(test_key__base64_round_trips_and_matches_openssl),
	TEST(test_key__sshsig_round_trip_and_armour),
	TEST(test_key__sshsig_malformed_or_forged_signatures_are_refused),
	TEST(test_key__sshsig_from_file_descriptors),
	TEST(test_key__sshsig_matches_ssh_keygen_byte_for_byte),
	TEST(test_key__pubkey_lines_parse_and_print),
	TEST(test_key__fingerprint_is_what_ssh_keygen_prints),
	TEST(test_key__verifier_keys_round_trip_and_check_their_id),
	TEST(test_key__openssh_import_takes_only_unencrypted_ed25519),
	TEST(test_key__save_and_load_encrypted_key_files),
	TEST(test_key__costly_key_derivation_is_refused_before_decryption),
	TEST(test_key__background_unlock_signs_or_names_its_failure),
	{ 0 }
};

int main(void)
{
	int rc = test_run(tests);

	free_vectors();
	return rc;
}
