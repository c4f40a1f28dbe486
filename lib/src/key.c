/*
 * Ed25519 signing keys: made by OpenSSL, kept as encrypted PKCS#8 (PBES2
 * with scrypt and AES-256-CBC, the form `openssl pkcs8 -topk8 -scrypt`
 * writes and reads), imported from OpenSSH's openssh-key-v1 files.
 * Public keys travel as OpenSSH lines and C2SP verifier keys.
 */
#include "key.h"
#include "base64.h"
#include "ed25519.h"
#include "common.h"
#include "fsutil.h"
#include "sshwire.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/*
 * scrypt cost: N = 2^14, r = 8, p = 1 needs 16 MiB and about 50 ms here.
 * OpenSSL refuses to decrypt keys whose scrypt needs more than 32 MiB, so
 * 2^15 would make keys `openssl pkcs8` cannot open.
 */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1

/* Key files are small; anything bigger is not one of ours. */
#define KEY_FILE_MAX (64 * 1024)

/* A key being decrypted on a thread of its own (custody_key_load_start) */
struct custody_key_unlock {
	pthread_t thread;
	pthread_mutex_t lock;
	int started, joined;
	atomic_int failed;         /* the thread could not open the key */
	X509_SIG *sealed;
	char *path;
	char *passphrase;
	size_t passphrase_len;
	EVP_PKEY *pkey;            /* the private key, once opened */
	int rc;
	char message[512];
};

static void unlock_free(struct custody_key_unlock *u);

/*
 * One scrypt at a time: a command that unlocks two keys (the member key
 * and the outlet's log key) would otherwise hold 2 x 16 MiB at once,
 * while its hashing holds its own buffers. Both unlocks still overlap
 * the command's other work; they only follow each other (~50 ms more
 * before the second is ready, on a machine where they shared the cores
 * anyway).
 */
static pthread_mutex_t scrypt_lock = PTHREAD_MUTEX_INITIALIZER;

static int key_from_pkey(custody_key **out, EVP_PKEY *pkey,
	custody_error **err)
{
	custody_key *key = calloc(1, sizeof(*key));

	if (key == NULL) {
		EVP_PKEY_free(pkey);
		return custody__oom(err);
	}
	key->pkey = pkey;
	if (custody_ed25519__public(pkey, key->pub.raw, err) != 0) {
		custody_key_free(key);
		return CUSTODY_ERROR;
	}
	*out = key;
	return 0;
}

int custody_key_generate(custody_key **out, custody_error **err)
{
	EVP_PKEY *pkey;

	*out = NULL;
	if (custody__global_init(err) != 0 ||
	    custody_ed25519__generate(&pkey, err) != 0)
		return CUSTODY_ERROR;
	return key_from_pkey(out, pkey, err);
}

int custody_key__from_seed(custody_key **out, const unsigned char seed[32],
	custody_error **err)
{
	EVP_PKEY *pkey;

	*out = NULL;
	if (custody_ed25519__from_seed(&pkey, seed, err) != 0)
		return CUSTODY_ERROR;
	return key_from_pkey(out, pkey, err);
}

EVP_PKEY *custody_key__pkey(const custody_key *key)
{
	if (key->unlock != NULL)
		return key->unlock->joined && key->unlock->rc == 0 ?
			key->unlock->pkey : NULL;
	return key->pkey;
}

const custody_pubkey *custody_key_public(const custody_key *key)
{
	return &key->pub;
}

void custody_key_free(custody_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey); /* OpenSSL clears the private bytes */
	unlock_free(key->unlock);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}

/* ---- files ---- */

int custody_key_save(const custody_key *key, const char *path,
	const char *passphrase, size_t passphrase_len, custody_error **err)
{
	PKCS8_PRIV_KEY_INFO *info = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *sealed = NULL;
	BIO *pem = NULL;
	char *text;
	long text_len;
	int rc = CUSTODY_ERROR;

	if (passphrase_len == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: an empty passphrase would leave the key "
			"unprotected", path);
	if (passphrase_len > 1024)
		return custody__error(err, CUSTODY_EINVALID,
			"%s: the passphrase is longer than 1024 bytes", path);
	if ((rc = custody_key_wait(key, err)) != 0)
		return rc;
	rc = CUSTODY_ERROR;
	if ((info = EVP_PKEY2PKCS8(custody_key__pkey(key))) == NULL ||
	    (pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL,
	    SCRYPT_N, SCRYPT_R, SCRYPT_P)) == NULL) {
		custody__error_ssl(err, CUSTODY_ERROR,
			"%s: cannot prepare the key for encryption", path);
		goto cleanup;
	}
	if ((sealed = PKCS8_set0_pbe(passphrase, (int)passphrase_len, info,
	    pbe)) == NULL) {
		custody__error_ssl(err, CUSTODY_ERROR,
			"%s: cannot encrypt the key", path);
		goto cleanup;
	}
	pbe = NULL; /* now owned by sealed */
	if ((pem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8(pem, sealed) != 1 ||
	    (text_len = BIO_get_mem_data(pem, &text)) <= 0) {
		custody__error_ssl(err, CUSTODY_ERROR,
			"%s: cannot encode the key", path);
		goto cleanup;
	}
	rc = custody_fs__write_new(path, text, (size_t)text_len, 0600, err);
cleanup:
	BIO_free(pem);
	X509_SIG_free(sealed);
	X509_ALGOR_free(pbe);
	PKCS8_PRIV_KEY_INFO_free(info); /* clears the key bytes */
	return rc;
}

static int read_key_file(custody_buf *out, const char *path,
	custody_error **err)
{
	struct stat st;
	char *data;
	size_t got = 0;
	int fd = custody_fs__open_input(path, 0, "the key", err);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) != 0) {
		int saved = errno;

		close(fd);
		return custody__error_sys(err, CUSTODY_EIO, saved,
			"%s: cannot stat", path);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return custody__error(err, CUSTODY_EINVALID,
			"%s: refused: group or others may access this private "
			"key (mode %04o); run `chmod 600 %s` if nobody else "
			"could have read it, or make a new key",
			path, (unsigned)(st.st_mode & 07777), path);
	}
	if (st.st_size > KEY_FILE_MAX) {
		close(fd);
		return custody__error(err, CUSTODY_EINVALID,
			"%s: %lld bytes is too big for a key file", path,
			(long long)st.st_size);
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return custody__oom(err);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			close(fd);
			free(data);
			return custody__error_sys(err, CUSTODY_EIO, saved,
				"%s: cannot read", path);
		}
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	out->ptr = data;
	out->size = got;
	return 0;
}

static const char encrypted_pem[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

/*
 * The most a key file may ask its passphrase to cost, checked before
 * decryption: the file says how much work deriving the key takes, and
 * OpenSSL does that work however long it lasts (scrypt's p, a PBKDF2
 * count of 2^31: hours, before "wrong passphrase"). custody writes
 * scrypt N * r * p = 2^17; OpenSSL writes that or PBKDF2 with 2,048
 * iterations. Allowed: 32 times custody's scrypt, 10^7 iterations.
 */
#define KDF_SCRYPT_MAX_WORK (UINT64_C(1) << 22)
#define KDF_ITERATIONS_MAX UINT64_C(10000000)

static int asn1_uint(const ASN1_INTEGER *n, uint64_t *out)
{
	return n != NULL && ASN1_INTEGER_get_uint64(out, n) == 1;
}

/* Why deriving the sealed key's encryption key would cost too much (or
 * its parameters cannot be read), or NULL. */
static const char *kdf_problem(const X509_SIG *sealed, char *why,
	size_t why_size)
{
	const X509_ALGOR *alg = NULL;
	PBE2PARAM *pbe2 = NULL;
	PBEPARAM *pbe1 = NULL;
	PBKDF2PARAM *pbkdf2 = NULL;
	SCRYPT_PARAMS *sp = NULL;
	uint64_t n = 0, r = 0, p = 0, iter = 0;
	const char *problem = "its key derivation cannot be read";

	X509_SIG_get0(sealed, &alg, NULL);
	if (alg == NULL)
		goto done;
	if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) {
		/* PKCS#5 v1.5 and PKCS#12 schemes: salt and count */
		if ((pbe1 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM),
		    alg->parameter)) == NULL || !asn1_uint(pbe1->iter, &iter))
			goto done;
	} else if ((pbe2 = ASN1_TYPE_unpack_sequence(
	    ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)) == NULL ||
	    pbe2->keyfunc == NULL) {
		goto done;
	} else if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_scrypt) {
		if ((sp = ASN1_TYPE_unpack_sequence(
		    ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter))
		    == NULL || !asn1_uint(sp->costParameter, &n) ||
		    !asn1_uint(sp->blockSize, &r) ||
		    !asn1_uint(sp->parallelizationParameter, &p))
			goto done;
		problem = NULL;
		/* each at most 2^22, so n * r and n * r * p (once n * r is
		 * at most 2^22) cannot overflow */
		if (n > KDF_SCRYPT_MAX_WORK || r > KDF_SCRYPT_MAX_WORK ||
		    p > KDF_SCRYPT_MAX_WORK || n * r > KDF_SCRYPT_MAX_WORK ||
		    n * r * p > KDF_SCRYPT_MAX_WORK) {
			snprintf(why, why_size, "its scrypt parameters (N=%"
				PRIu64 ", r=%" PRIu64 ", p=%" PRIu64 ") cost "
				"more than %d times custody's", n, r, p,
				(int)(KDF_SCRYPT_MAX_WORK /
				(SCRYPT_N * SCRYPT_R * SCRYPT_P)));
			problem = why;
		}
		goto done;
	} else if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2) {
		if ((pbkdf2 = ASN1_TYPE_unpack_sequence(
		    ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter))
		    == NULL || !asn1_uint(pbkdf2->iter, &iter))
			goto done;
	} else {
		problem = "its key derivation is neither scrypt nor PBKDF2";
		goto done;
	}
	problem = NULL;
	if (iter > KDF_ITERATIONS_MAX) {
		snprintf(why, why_size, "its key derivation asks for %" PRIu64
			" iterations (at most %" PRIu64 ")", iter,
			KDF_ITERATIONS_MAX);
		problem = why;
	}
done:
	SCRYPT_PARAMS_free(sp);
	PBKDF2PARAM_free(pbkdf2);
	PBE2PARAM_free(pbe2);
	PBEPARAM_free(pbe1);
	return problem;
}

/* The sealed (still encrypted) key in a key file, checked as far as it
 * can be without the passphrase. */
static int read_sealed(X509_SIG **out, const char *path, custody_error **err)
{
	custody_buf file = CUSTODY_BUF_INIT;
	BIO *bio = NULL;
	const char *problem;
	char why[160];
	int rc;

	*out = NULL;
	if (custody__global_init(err) != 0)
		return CUSTODY_ERROR;
	if ((rc = read_key_file(&file, path, err)) != 0)
		return rc;
	rc = CUSTODY_EINVALID;
	if (file.size < sizeof(encrypted_pem) - 1 ||
	    memcmp(file.ptr, encrypted_pem, sizeof(encrypted_pem) - 1) != 0) {
		custody__error(err, CUSTODY_EINVALID, "%s: not an encrypted "
			"private key (expected a PEM \"ENCRYPTED PRIVATE KEY\")",
			path);
		goto cleanup;
	}
	if ((bio = BIO_new_mem_buf(file.ptr, (int)file.size)) == NULL ||
	    (*out = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL)) == NULL) {
		custody__error_ssl(err, CUSTODY_EINVALID,
			"%s: damaged key file", path);
		goto cleanup;
	}
	if ((problem = kdf_problem(*out, why, sizeof(why))) != NULL) {
		custody__error(err, CUSTODY_EINVALID, "%s: refused before "
			"decryption: %s", path, problem);
		X509_SIG_free(*out);
		*out = NULL;
		goto cleanup;
	}
	rc = 0;
cleanup:
	BIO_free(bio);
	custody_buf_dispose(&file);
	return rc;
}

/* Decrypt a sealed key (the scrypt step: tens of milliseconds). */
static int open_sealed(custody_key **out, const X509_SIG *sealed,
	const char *path, const char *passphrase, size_t passphrase_len,
	custody_error **err)
{
	PKCS8_PRIV_KEY_INFO *info = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = CUSTODY_EINVALID;

	*out = NULL;
	if ((info = PKCS8_decrypt(sealed, passphrase,
	    (int)passphrase_len)) == NULL) {
		ERR_clear_error();
		custody__error(err, CUSTODY_EPASSPHRASE, "%s: wrong passphrase "
			"(or a damaged key file); nothing was changed", path);
		rc = CUSTODY_EPASSPHRASE;
		goto cleanup;
	}
	if ((pkey = EVP_PKCS82PKEY(info)) == NULL) {
		custody__error_ssl(err, CUSTODY_EINVALID,
			"%s: cannot read the decrypted key", path);
		goto cleanup;
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		custody__error(err, CUSTODY_EINVALID, "%s: holds a %s key; "
			"custody signs with Ed25519 keys only", path,
			OBJ_nid2sn(EVP_PKEY_get_id(pkey)));
		goto cleanup;
	}
	rc = key_from_pkey(out, pkey, err);
	pkey = NULL;
	if (rc == 0 && custody_ed25519__public_key_problem((*out)->pub.raw)) {
		custody_key_free(*out);
		*out = NULL;
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: the key's public half is unusable", path);
	}
cleanup:
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(info);
	return rc;
}

int custody_key_load(custody_key **out, const char *path,
	const char *passphrase, size_t passphrase_len, custody_error **err)
{
	X509_SIG *sealed = NULL;
	int rc;

	*out = NULL;
	if ((rc = read_sealed(&sealed, path, err)) == 0)
		rc = open_sealed(out, sealed, path, passphrase, passphrase_len,
			err);
	X509_SIG_free(sealed);
	return rc;
}

/* ---- unlocking in the background ---- */

static void unlock_record(struct custody_key_unlock *u, int rc,
	custody_error *e)
{
	u->rc = rc;
	snprintf(u->message, sizeof(u->message), "%s",
		e ? custody_error_message(e) : "cannot open the key");
	custody_error_free(e);
}

static void *unlock_main(void *arg)
{
	custody_key *key = arg;
	struct custody_key_unlock *u = key->unlock;
	custody_key *opened = NULL;
	custody_error *e = NULL;
	int rc;

	pthread_mutex_lock(&scrypt_lock);
	rc = open_sealed(&opened, u->sealed, u->path, u->passphrase,
		u->passphrase_len, &e);
	pthread_mutex_unlock(&scrypt_lock);
	OPENSSL_cleanse(u->passphrase, u->passphrase_len);
	if (rc != 0) {
		unlock_record(u, rc, e);
	} else if (!custody_pubkey_equal(&opened->pub, &key->pub)) {
		/* what was said to be its public half (NAME.pub beside
		 * NAME.key) is not */
		const char *base = strrchr(u->path, '/');
		size_t len;

		base = base ? base + 1 : u->path;
		len = strlen(base);
		if (len > 4 && strcmp(base + len - 4, ".key") == 0)
			len -= 4;
		custody__error(&e, CUSTODY_EINVALID, "%s: its public half "
			"differs from the %.*s.pub beside it; one of the two "
			"files was replaced", u->path, (int)len, base);
		unlock_record(u, CUSTODY_EINVALID, e);
	} else {
		u->pkey = opened->pkey;
		opened->pkey = NULL;
	}
	custody_key_free(opened);
	atomic_store(&u->failed, u->rc != 0);
	return NULL;
}

int custody_key_load_start(custody_key **out, const char *path,
	const char *passphrase, size_t passphrase_len,
	const custody_pubkey *public_key, custody_error **err)
{
	struct custody_key_unlock *u = NULL;
	custody_key *key = NULL;
	int rc;

	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL) {
		free(key);
		return custody__oom(err);
	}
	key->pub = *public_key;
	key->unlock = u;
	pthread_mutex_init(&u->lock, NULL);
	if ((rc = read_sealed(&u->sealed, path, err)) != 0)
		goto fail;
	u->path = strdup(path);
	u->passphrase = malloc(passphrase_len + 1);
	if (u->path == NULL || u->passphrase == NULL) {
		rc = custody__oom(err);
		goto fail;
	}
	memcpy(u->passphrase, passphrase, passphrase_len);
	u->passphrase_len = passphrase_len;
	if (pthread_create(&u->thread, NULL, unlock_main, key) == 0) {
		u->started = 1;
	} else {
		/* no thread to spare: open it now */
		u->joined = 1;
		unlock_main(key);
	}
	*out = key;
	return 0;
fail:
	custody_key_free(key);
	return rc;
}

int custody_key_wait(const custody_key *key, custody_error **err)
{
	struct custody_key_unlock *u = key->unlock;

	if (u == NULL)
		return 0;
	pthread_mutex_lock(&u->lock);
	if (u->started && !u->joined) {
		pthread_join(u->thread, NULL);
		u->joined = 1;
	}
	pthread_mutex_unlock(&u->lock);
	if (u->rc != 0)
		return custody__error(err, u->rc, "%s", u->message);
	return 0;
}

int custody_key__unlock_failed(const custody_key *key)
{
	return key->unlock != NULL && atomic_load(&key->unlock->failed);
}

static void unlock_free(struct custody_key_unlock *u)
{
	if (u == NULL)
		return;
	if (u->started && !u->joined)
		pthread_join(u->thread, NULL);
	pthread_mutex_destroy(&u->lock);
	EVP_PKEY_free(u->pkey);
	X509_SIG_free(u->sealed);
	if (u->passphrase != NULL)
		OPENSSL_cleanse(u->passphrase, u->passphrase_len);
	free(u->passphrase);
	free(u->path);
	free(u);
}

/* ---- openssh-key-v1 ---- */

static const char openssh_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
static const char openssh_end[] = "-----END OPENSSH PRIVATE KEY-----";
static const char openssh_magic[] = "openssh-key-v1"; /* and a NUL */

/* The base64 between the markers, without line breaks, into out. */
static const char *openssh_unarmour(const char *bytes, size_t len,
	custody_buf *b64)
{
	const char *p = bytes, *end = bytes + len, *stop;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	if ((size_t)(end - p) < sizeof(openssh_begin) - 1 ||
	    memcmp(p, openssh_begin, sizeof(openssh_begin) - 1) != 0) {
		if (len >= 11 && memcmp(bytes, "-----BEGIN ", 11) == 0)
			return "is a PEM key of another kind; custody imports "
				"OpenSSH Ed25519 keys (\"BEGIN OPENSSH PRIVATE "
				"KEY\")";
		return "is not an OpenSSH private key (no \"-----BEGIN "
			"OPENSSH PRIVATE KEY-----\" line)";
	}
	p += sizeof(openssh_begin) - 1;
	stop = NULL;
	for (const char *q = p; q + sizeof(openssh_end) - 1 <= end; q++)
		if (memcmp(q, openssh_end, sizeof(openssh_end) - 1) == 0) {
			stop = q;
			break;
		}
	if (stop == NULL)
		return "has no \"-----END OPENSSH PRIVATE KEY-----\" line";
	for (const char *q = stop + sizeof(openssh_end) - 1; q < end; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t')
			return "has text after its END line";
	for (; p < stop; p++) {
		if (*p == '\n' || *p == '\r')
			continue;
		if (custody_buf__append(b64, p, 1) != 0)
			return "out of memory";
	}
	return NULL;
}

/* Parse the decoded key; NULL or why not. Fills seed and pub. */
static const char *openssh_parse(const unsigned char *blob, size_t len,
	unsigned char seed[32], unsigned char pub[32])
{
	struct sshwire_reader r = { blob, len }, priv;
	const unsigned char *s, *pub_blob, *section, *secret;
	size_t slen, pub_len, section_len, secret_len;
	uint32_t nkeys, check1, check2;
	unsigned char outer_pub[32];
	const char *why;

	if (len < sizeof(openssh_magic) ||
	    memcmp(blob, openssh_magic, sizeof(openssh_magic)) != 0)
		return "the key does not start with \"openssh-key-v1\"";
	r.p += sizeof(openssh_magic);
	r.left -= sizeof(openssh_magic);
	if (custody_sshwire__string(&r, &s, &slen) != 0)
		return "the key is truncated (cipher name)";
	if (slen != 4 || memcmp(s, "none", 4) != 0)
		return "the key is encrypted with a passphrase; custody imports "
			"unencrypted keys: make a copy, remove its passphrase "
			"with `ssh-keygen -p -N '' -f COPY`, import the copy "
			"and delete it";
	if (custody_sshwire__string_is(&r, "none") != 0)
		return "the key names a key derivation but no cipher";
	if (custody_sshwire__string(&r, &s, &slen) != 0 || slen != 0)
		return "the key has key derivation options but no cipher";
	if (custody_sshwire__u32(&r, &nkeys) != 0)
		return "the key is truncated (key count)";
	if (nkeys != 1)
		return "the key holds more or fewer than one key";
	if (custody_sshwire__string(&r, &pub_blob, &pub_len) != 0)
		return "the key is truncated (public key)";
	if ((why = custody_sshwire__ed25519_key(pub_blob, pub_len,
	    outer_pub)) != NULL)
		return why;
	if (custody_sshwire__string(&r, &section, &section_len) != 0)
		return "the key is truncated (private section)";
	if (r.left != 0)
		return "the key has bytes after the private section";
	if (section_len % 8 != 0)
		return "the key has a private section that is not a whole number of "
			"blocks";
	priv.p = section;
	priv.left = section_len;
	if (custody_sshwire__u32(&priv, &check1) != 0 ||
	    custody_sshwire__u32(&priv, &check2) != 0)
		return "the key is truncated (check integers)";
	if (check1 != check2)
		return "the key has check integers that differ (a damaged file, or a "
			"wrong passphrase)";
	if (custody_sshwire__string_is(&priv, "ssh-ed25519") != 0)
		return "the key has a private key that is not ssh-ed25519";
	if (custody_sshwire__string(&priv, &s, &slen) != 0 || slen != 32)
		return "the key has a private part whose public key is not 32 bytes";
	memcpy(pub, s, 32);
	if (custody_sshwire__string(&priv, &secret, &secret_len) != 0 ||
	    secret_len != 64)
		return "the key has a private key that is not 64 bytes";
	if (CRYPTO_memcmp(secret + 32, pub, 32) != 0 ||
	    CRYPTO_memcmp(outer_pub, pub, 32) != 0)
		return "the key has a public half that does not match its private key";
	memcpy(seed, secret, 32);
	if (custody_sshwire__string(&priv, &s, &slen) != 0)
		return "the key is truncated (comment)";
	/* Padding: 1, 2, 3, ... up to the block size. */
	for (size_t i = 0; i < priv.left; i++)
		if (priv.p[i] != (unsigned char)(i + 1))
			return "the key has bad padding after the key";
	if (priv.left >= 8)
		return "the key has more padding than a block";
	return NULL;
}

int custody_key_import_openssh(custody_key **out, const char *bytes,
	size_t len, const char *name, custody_error **err)
{
	custody_buf b64 = CUSTODY_BUF_INIT;
	unsigned char *blob = NULL, seed[32], pub[32];
	size_t blob_len;
	const char *why;
	int rc = CUSTODY_EINVALID;

	*out = NULL;
	if (custody__global_init(err) != 0)
		return CUSTODY_ERROR;
	if ((why = openssh_unarmour(bytes, len, &b64)) != NULL) {
		custody__error(err, CUSTODY_EINVALID, "%s: %s", name, why);
		goto cleanup;
	}
	if ((blob = malloc(b64.size / 4 * 3 + 1)) == NULL) {
		custody__oom(err);
		goto cleanup;
	}
	if (custody_base64_decode(blob, &blob_len, b64.ptr, b64.size) != 0) {
		custody__error(err, CUSTODY_EINVALID,
			"%s: the key's base64 is damaged", name);
		goto cleanup;
	}
	if ((why = openssh_parse(blob, blob_len, seed, pub)) != NULL) {
		custody__error(err, CUSTODY_EINVALID, "%s: %s", name, why);
		goto cleanup;
	}
	if ((why = custody_ed25519__public_key_problem(pub)) != NULL) {
		custody__error(err, CUSTODY_EINVALID, "%s: the public key %s",
			name, why);
		goto cleanup;
	}
	if (custody_key__from_seed(out, seed, err) != 0)
		goto cleanup;
	if (CRYPTO_memcmp((*out)->pub.raw, pub, 32) != 0) {
		custody_key_free(*out);
		*out = NULL;
		custody__error(err, CUSTODY_EINVALID, "%s: the key's public "
			"half is not the one its private half gives", name);
		goto cleanup;
	}
	rc = 0;
cleanup:
	OPENSSL_cleanse(seed, sizeof(seed));
	if (blob != NULL) {
		OPENSSL_cleanse(blob, b64.size / 4 * 3 + 1);
		free(blob);
	}
	if (b64.ptr != NULL)
		OPENSSL_cleanse(b64.ptr, b64.size);
	custody_buf_dispose(&b64);
	return rc;
}

/* ---- public keys ---- */

static int pubkey_new(custody_pubkey **out, const unsigned char raw[32],
	custody_error **err)
{
	*out = malloc(sizeof(**out));
	if (*out == NULL)
		return custody__oom(err);
	memcpy((*out)->raw, raw, 32);
	return 0;
}

int custody_pubkey_from_raw(custody_pubkey **out,
	const unsigned char raw[32], custody_error **err)
{
	const char *why = custody_ed25519__public_key_problem(raw);

	*out = NULL;
	if (why != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"the public key %s", why);
	return pubkey_new(out, raw, err);
}

int custody_pubkey_dup(custody_pubkey **out, const custody_pubkey *key,
	custody_error **err)
{
	return pubkey_new(out, key->raw, err);
}

const unsigned char *custody_pubkey_raw(const custody_pubkey *key)
{
	return key->raw;
}

int custody_pubkey_equal(const custody_pubkey *a, const custody_pubkey *b)
{
	return CRYPTO_memcmp(a->raw, b->raw, 32) == 0;
}

void custody_pubkey_free(custody_pubkey *key)
{
	free(key);
}

/* Parse "ssh-ed25519 BASE64[ comment]". */
static int parse_openssh_line(custody_pubkey **out, const char *text,
	size_t len, custody_error **err)
{
	const char *b64 = text + 12, *end = text + len, *stop = b64;
	unsigned char blob[128], raw[32];
	size_t blob_len;
	const char *why;

	while (stop < end && *stop != ' ' && *stop != '\t')
		stop++;
	for (const char *q = stop; q < end; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return custody__error(err, CUSTODY_EINVALID,
				"the key line has a control character in its "
				"comment");
	if ((size_t)(stop - b64) > CUSTODY_BASE64_LEN(sizeof(blob) - 2) ||
	    custody_base64_decode(blob, &blob_len, b64,
	    (size_t)(stop - b64)) != 0)
		return custody__error(err, CUSTODY_EINVALID,
			"the key's base64 is damaged");
	if ((why = custody_sshwire__ed25519_key(blob, blob_len, raw)) != NULL)
		return custody__error(err, CUSTODY_EINVALID, "%s", why);
	return custody_pubkey_from_raw(out, raw, err);
}

/* Parse a C2SP verifier key "name+hexid+BASE64(0x01 || key)". */
static int parse_vkey(custody_pubkey **out, const char *text, size_t len,
	custody_error **err)
{
	const char *plus = memchr(text, '+', len);
	unsigned char id[4], want[4], body[64];
	size_t body_len, name_len, rest;
	char *name;
	int rc;

	if (plus == NULL || plus == text)
		return custody__error(err, CUSTODY_EINVALID, "not an "
			"`ssh-ed25519 AAAA...` line nor a verifier key");
	name_len = (size_t)(plus - text);
	rest = len - name_len - 1;
	if (rest < 10 || plus[9] != '+' || custody_unhex(id, plus + 1, 4) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the verifier "
			"key has no 8-digit lowercase hex key id after the name");
	if (rest - 9 > CUSTODY_BASE64_LEN(sizeof(body) - 2) ||
	    custody_base64_decode(body, &body_len, plus + 10, rest - 9) != 0)
		return custody__error(err, CUSTODY_EINVALID,
			"the verifier key's base64 is damaged");
	if (body_len != 33 || body[0] != CUSTODY_NOTE_KEY_ED25519)
		return custody__error(err, CUSTODY_EINVALID, "the verifier "
			"key is not an Ed25519 key (type 0x01, 32 bytes)");
	if ((name = strndup(text, name_len)) == NULL)
		return custody__oom(err);
	custody_ed25519__note_key_id(name, CUSTODY_NOTE_KEY_ED25519, body + 1,
		want);
	free(name);
	if (CRYPTO_memcmp(id, want, 4) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the verifier "
			"key's id does not match its name and key");
	rc = custody_pubkey_from_raw(out, body + 1, err);
	return rc;
}

int custody_pubkey_parse(custody_pubkey **out, const char *text,
	size_t len, custody_error **err)
{
	*out = NULL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len > 4096)
		return custody__error(err, CUSTODY_EINVALID,
			"the key line is too long");
	if (memchr(text, '\n', len) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"expected one key line, found several lines");
	if (len >= 12 && memcmp(text, "ssh-ed25519 ", 12) == 0)
		return parse_openssh_line(out, text, len, err);
	if ((len >= 4 && memcmp(text, "ssh-", 4) == 0) ||
	    (len >= 6 && memcmp(text, "ecdsa-", 6) == 0) ||
	    (len >= 3 && memcmp(text, "sk-", 3) == 0)) {
		const char *sp = memchr(text, ' ', len);

		return custody__error(err, CUSTODY_EINVALID, "a %.*s key; "
			"custody uses Ed25519 keys (ssh-ed25519) only",
			(int)(sp ? sp - text : (long)len > 40 ? 40 : (int)len),
			text);
	}
	return parse_vkey(out, text, len, err);
}

int custody_pubkey_openssh(const custody_pubkey *key, custody_buf *out,
	custody_error **err)
{
	char line[CUSTODY_SSHWIRE_KEY_LINE];

	custody_sshwire__key_line(line, key->raw);
	if (custody_buf__append(out, line, strlen(line)) != 0)
		return custody__oom(err);
	return 0;
}

void custody_pubkey_fingerprint(const custody_pubkey *key, char out[64])
{
	custody_sshwire__fingerprint(out, key->raw);
}

int custody_pubkey_vkey(const custody_pubkey *key, const char *name,
	custody_buf *out, custody_error **err)
{
	unsigned char id[4], body[33];
	char hex[9];

	if (name[0] == '\0')
		return custody__error(err, CUSTODY_EINVALID,
			"a verifier key needs a name (the log's origin)");
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '+' || *p == 0x7f)
			return custody__error(err, CUSTODY_EINVALID,
				"'%s' cannot name a verifier key: no spaces, "
				"'+' or control characters", name);
	custody_ed25519__note_key_id(name, CUSTODY_NOTE_KEY_ED25519, key->raw,
		id);
	custody_hex(hex, id, 4);
	body[0] = CUSTODY_NOTE_KEY_ED25519;
	memcpy(body + 1, key->raw, 32);
	if (custody_buf__printf(out, "%s+%s+", name, hex) != 0 ||
	    custody_base64__append(out, body, sizeof(body)) != 0)
		return custody__oom(err);
	return 0;
}
