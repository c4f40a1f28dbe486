#include "digest.h"
#include "common.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CHUNK (1024 * 1024)

/* Hash fd to its end: 0, -1 when a read failed (errno set), -2 when
 * OpenSSL did. */
static int read_all(int fd, EVP_MD_CTX *md, unsigned char *chunk,
	uint64_t *size)
{
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*size += (uint64_t)n;
		if (EVP_DigestUpdate(md, chunk, (size_t)n) != 1)
			return -2;
	}
}

int custody_digest__named_file(struct custody_digest *out, const char *path,
	custody_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *chunk = malloc(CHUNK);
	custody_error *open_err = NULL;
	int fd = custody_fs__open_input(path, 0, "", &open_err), rc = 0, got;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		/* as before for a file that cannot be opened; a FIFO or a
		 * device (/dev/zero) is refused, never read */
		int e = errno;

		rc = custody_error_code(open_err) == CUSTODY_EINVALID ?
			custody__error(err, CUSTODY_EINVALID, "%s",
			custody_error_message(open_err)) :
			custody__error_sys(err, CUSTODY_EIO, e, "%s: "
			"cannot read", path);
		custody_error_free(open_err);
	} else if (md == NULL || chunk == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = custody__oom(err);
	} else if ((got = read_all(fd, md, chunk, &out->size)) == -1) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot read", path);
	} else if (got != 0 || EVP_DigestFinal_ex(md, out->sha256, NULL) != 1) {
		rc = custody__error_ssl(err, CUSTODY_ERROR, "SHA-256");
	}
	if (fd >= 0)
		close(fd);
	free(chunk);
	EVP_MD_CTX_free(md);
	return rc;
}

int custody_digest__collection_file(struct custody_digest *out, int root_fd,
	const char *rel, const char *name, custody_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *chunk = malloc(CHUNK);
	struct stat before, after;
	int fd = -1, rc = 0, got;

	memset(out, 0, sizeof(*out));
	if (md == NULL || chunk == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	fd = custody_fs__open_beneath(root_fd, rel,
		O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;

		rc = custody__error(err, e == ENOENT ? CUSTODY_ENOTFOUND :
			e == ELOOP || e == EXDEV ? CUSTODY_EINVALID :
			CUSTODY_EIO, "%s: cannot open: %s", name,
			e == ELOOP ? "it is a symbolic link, or a folder on "
			"its way is" : e == EXDEV ? "it is outside the "
			"collection" : strerror(e));
		goto done;
	}
	if (fstat(fd, &before) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot stat", name);
		goto done;
	}
	if (!S_ISREG(before.st_mode)) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: not a regular "
			"file", name);
		goto done;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = custody__error(err, CUSTODY_ERROR, "%s: cannot start "
			"hashing", name);
		goto done;
	}
	/* read-ahead advice pays for itself only on files of many reads */
	if ((uint64_t)before.st_size > CHUNK)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((got = read_all(fd, md, chunk, &out->size)) == -1) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot read", name);
		goto done;
	}
	if (got != 0) {
		rc = custody__error(err, CUSTODY_ERROR, "%s: hashing failed",
			name);
		goto done;
	}
	if (fstat(fd, &after) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot stat", name);
		goto done;
	}
	if (!custody_fs__same_stat(&before, &after) ||
	    out->size != (uint64_t)before.st_size) {
		rc = custody__error(err, CUSTODY_ECHANGED, "%s: file changed "
			"while it was being read (its size or times moved)",
			name);
		goto done;
	}
	if (EVP_DigestFinal_ex(md, out->sha256, NULL) != 1)
		rc = custody__error(err, CUSTODY_ERROR, "%s: hashing failed",
			name);
done:
	if (fd >= 0)
		close(fd);
	free(chunk);
	EVP_MD_CTX_free(md);
	return rc;
}

int custody_digest__matches(const struct custody_digest *d,
	const char *sha256_hex, uint64_t size)
{
	unsigned char want[32];

	return custody_unhex(want, sha256_hex, 32) == 0 &&
		CRYPTO_memcmp(want, d->sha256, 32) == 0 && d->size == size;
}

int custody_digest__sha256(const void *data, size_t len,
	unsigned char out[32], custody_error **err)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot compute a SHA-256");
	return 0;
}
