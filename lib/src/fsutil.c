#include "fsutil.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
	char *copy = strdup(path), *dir;

	if (copy == NULL)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

int custody_fs__fsync_dir(const char *dir, custody_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open folder to sync it", dir);
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return custody__error_sys(err, CUSTODY_EIO, e,
			"%s: cannot sync folder", dir);
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int custody_fs__pwrite_all(int fd, const void *data, size_t len,
	off_t offset)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, offset);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		offset += n;
	}
	return 0;
}

enum { WRITE_SYNC = 1, WRITE_NEW = 2 };

static int write_file(const char *path, const void *data, size_t len,
	int mode, int how, custody_error **err);

int custody_fs__write_atomic(const char *path, const void *data,
	size_t len, int mode, custody_error **err)
{
	return write_file(path, data, len, mode, WRITE_SYNC, err);
}

int custody_fs__write_new(const char *path, const void *data, size_t len,
	int mode, custody_error **err)
{
	return write_file(path, data, len, mode, WRITE_SYNC | WRITE_NEW, err);
}

int custody_fs__replace(const char *path, const void *data, size_t len,
	int mode, custody_error **err)
{
	return write_file(path, data, len, mode, 0, err);
}

static int write_file(const char *path, const void *data, size_t len,
	int mode, int how, custody_error **err)
{
	int sync = how & WRITE_SYNC;
	char *tmp = NULL, *dir = NULL;
	int fd = -1, rc = CUSTODY_ENOMEM;
	size_t tlen = strlen(path) + 16;

	tmp = malloc(tlen);
	dir = dir_of(path);
	if (tmp == NULL || dir == NULL)
		goto done;
	snprintf(tmp, tlen, "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot create temporary file", tmp);
		free(tmp);
		tmp = NULL;
		goto done;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 ||
	    (sync && fsync(fd) != 0)) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write", tmp);
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write", tmp);
		goto done;
	}
	fd = -1;
	if (how & WRITE_NEW) {
		/* link(2), unlike rename(2), refuses to replace a file */
		if (link(tmp, path) != 0) {
			rc = errno == EEXIST ? custody__error(err,
				CUSTODY_EEXISTS, "%s: already exists", path) :
				custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot create", path);
			goto done;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot rename into place", path);
		goto done;
	}
	free(tmp);
	tmp = NULL;
	rc = sync ? custody_fs__fsync_dir(dir, err) : 0;
done:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}

int custody_fs__read_file(custody_buf *out, const char *path,
	size_t max_len, custody_error **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;
	char *data = NULL;
	int rc = 0;

	if (fd < 0)
		return custody__error_sys(err, errno == ENOENT ?
			CUSTODY_ENOTFOUND : CUSTODY_EIO, errno,
			"%s: cannot open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: not a regular file", path);
		goto done;
	}
	if ((uint64_t)st.st_size > max_len) {
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: too large (%lld bytes, limit %zu)", path,
			(long long)st.st_size, max_len);
		goto done;
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot read", path);
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	out->ptr = data;
	out->size = got;
	data = NULL;
done:
	free(data);
	close(fd);
	return rc;
}

int custody_fs__mkdir(const char *path, int mode, custody_error **err)
{
	char *dir;
	int rc;

	if (mkdir(path, (mode_t)mode) != 0) {
		if (errno == EEXIST)
			return 0;
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot create folder", path);
	}
	dir = dir_of(path);
	if (dir == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	rc = custody_fs__fsync_dir(dir, err);
	free(dir);
	return rc;
}

char *custody_fs__join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 2);

	if (out == NULL)
		return NULL;
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return out;
}

int custody_buf__append(custody_buf *buf, const void *data, size_t len)
{
	char *p = realloc(buf->ptr, buf->size + len + 1);

	if (p == NULL)
		return CUSTODY_ENOMEM;
	memcpy(p + buf->size, data, len);
	buf->ptr = p;
	buf->size += len;
	p[buf->size] = '\0';
	return 0;
}

int custody_buf__printf(custody_buf *buf, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUSTODY_ERROR;
	if ((size_t)n < sizeof(small))
		return custody_buf__append(buf, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int rc;

		if (big == NULL)
			return CUSTODY_ENOMEM;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		rc = custody_buf__append(buf, big, (size_t)n);
		free(big);
		return rc;
	}
}

void custody_hex(char *out, const unsigned char *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int custody_unhex(unsigned char *out, const char *hex, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]), lo;

		if (hi < 0 || (lo = hex_digit(hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void custody_fs__now_rfc3339(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
