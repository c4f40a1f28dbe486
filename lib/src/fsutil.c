#include "fsutil.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int custody_fs__pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

enum { WRITE_SYNC = 1, WRITE_NEW = 2 };

struct buffer_fill {
	const void *data;
	size_t len;
};

static int fill_buffer(int fd, void *payload, custody_error **err)
{
	struct buffer_fill *b = payload;

	return write_all(fd, b->data, b->len) != 0 ? 1 : 0;
}

static int write_file(const char *path, custody_fs_fill_cb fill,
	void *payload, int mode, int how, custody_error **err);

int custody_fs__write_atomic(const char *path, const void *data,
	size_t len, int mode, custody_error **err)
{
	struct buffer_fill b = { data, len };

	return write_file(path, fill_buffer, &b, mode, WRITE_SYNC, err);
}

int custody_fs__write_new(const char *path, const void *data, size_t len,
	int mode, custody_error **err)
{
	struct buffer_fill b = { data, len };

	return write_file(path, fill_buffer, &b, mode, WRITE_SYNC | WRITE_NEW,
		err);
}

int custody_fs__replace(const char *path, const void *data, size_t len,
	int mode, custody_error **err)
{
	struct buffer_fill b = { data, len };

	return write_file(path, fill_buffer, &b, mode, 0, err);
}

/* mkostemp within a folder: "<name>.tmpXXXXXX", made with O_EXCL. */
static int make_temp_at(int dir_fd, const char *name, char *tmp,
	size_t tmp_len)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char r[6];
		char suffix[7];
		int fd;

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		for (size_t i = 0; i < 6; i++)
			suffix[i] = letters[r[i] % (sizeof(letters) - 1)];
		suffix[6] = '\0';
		if ((size_t)snprintf(tmp, tmp_len, "%s.tmp%s", name, suffix) >=
		    tmp_len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dir_fd, tmp, O_RDWR | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/*
 * The one writer: a temporary file beside `name` in `dir_fd`, then
 * link(2) (WRITE_NEW: never over an existing file) or rename(2).
 * `shown_dir` prefixes names in messages ("" for none).
 */
static int write_at(int dir_fd, const char *shown_dir, const char *name,
	custody_fs_fill_cb fill, void *payload, int mode, int how,
	custody_error **err)
{
	int sync = how & WRITE_SYNC;
	char tmp[4096];
	int fd, rc = 0, have_tmp = 0, filled;
	struct stat st;

	/* a device, pipe or folder in the way is refused, not replaced:
	 * renaming over /dev/null would break every program using it */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return custody__error(err, CUSTODY_EEXISTS, "%s%s: exists "
			"and is not a regular file (%s)", shown_dir, name,
			custody_fs__kind(st.st_mode));
	/* messages name the destination: the temporary file beside it is
	 * ours, and gone when we return */
	fd = make_temp_at(dir_fd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"%s%s: cannot write", shown_dir, name);
	have_tmp = 1;
	if (fchmod(fd, (mode_t)mode) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s%s: cannot write", shown_dir, name);
		goto done;
	}
	if ((filled = fill(fd, payload, err)) < 0) {
		rc = filled;  /* the filler said why */
		goto done;
	}
	if (filled != 0 || (sync && fsync(fd) != 0)) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s%s: cannot write", shown_dir, name);
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s%s: cannot write", shown_dir, name);
		goto done;
	}
	fd = -1;
	if (how & WRITE_NEW) {
		/* link(2), unlike rename(2), refuses to replace a file */
		if (linkat(dir_fd, tmp, dir_fd, name, 0) != 0) {
			rc = errno == EEXIST ? custody__error(err,
				CUSTODY_EEXISTS, "%s%s: already exists",
				shown_dir, name) :
				custody__error_sys(err, CUSTODY_EIO, errno,
				"%s%s: cannot create", shown_dir, name);
			goto done;
		}
		unlinkat(dir_fd, tmp, 0);
	} else if (renameat(dir_fd, tmp, dir_fd, name) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s%s: cannot rename into place", shown_dir, name);
		goto done;
	}
	have_tmp = 0;
	if (sync && fsync(dir_fd) != 0 && errno != EINVAL) {
		size_t n = strlen(shown_dir);

		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%.*s: cannot sync folder", n > 1 ? (int)n - 1 : 1,
			n > 1 ? shown_dir : ".");
	}
done:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlinkat(dir_fd, tmp, 0);
	return rc;
}

static int write_file(const char *path, custody_fs_fill_cb fill,
	void *payload, int mode, int how, custody_error **err)
{
	const char *slash = strrchr(path, '/');
	char *dir = dir_of(path), *shown = NULL;
	int dir_fd = -1, rc;

	if (dir == NULL)
		return custody__oom(err);
	shown = strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
	if (shown == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		rc = errno == ENOENT ? custody__error(err, CUSTODY_EIO,
			"%s: cannot write: folder %s does not exist", path,
			dir) : custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot write into folder %s", path, dir);
		goto done;
	}
	rc = write_at(dir_fd, shown, slash ? slash + 1 : path, fill, payload,
		mode, how, err);
done:
	if (dir_fd >= 0)
		close(dir_fd);
	free(shown);
	free(dir);
	return rc;
}

int custody_fs__write_atomic_fill_at(int dir_fd, const char *name,
	const char *shown, custody_fs_fill_cb fill, void *payload, int mode,
	custody_error **err)
{
	const char *slash = strrchr(shown, '/');
	char *prefix = strndup(shown, slash ? (size_t)(slash - shown) + 1 : 0);
	int rc;

	if (prefix == NULL)
		return custody__oom(err);
	rc = write_at(dir_fd, prefix, name, fill, payload, mode, WRITE_SYNC,
		err);
	free(prefix);
	return rc;
}

int custody_fs__write_atomic_at(int dir_fd, const char *name,
	const char *shown, const void *data, size_t len, int mode,
	custody_error **err)
{
	struct buffer_fill b = { data, len };

	return custody_fs__write_atomic_fill_at(dir_fd, name, shown,
		fill_buffer, &b, mode, err);
}

int custody_fs__write_atomic_fill(const char *path, custody_fs_fill_cb fill,
	void *payload, int mode, custody_error **err)
{
	return write_file(path, fill, payload, mode, WRITE_SYNC, err);
}

/* 0: unknown; 1: openat2 works; -1: it does not (old kernel, seccomp).
 * Atomic: the stat workers of a walk open folders at the same time. */
static atomic_int openat2_state;

void custody_fs__use_openat2(int yes)
{
	openat2_state = yes ? 0 : -1;
}

static int open_by_components(int root_fd, const char *rel, int flags,
	mode_t mode)
{
	int dir_fd = -1;
	const char *p = rel;

	for (;;) {
		const char *end;
		char part[256];
		size_t len;
		int next, e;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		while (end != NULL && end[1] == '/')
			end++;
		len = end ? (size_t)(end - p) : strlen(p);
		if (end != NULL && end[1] == '\0')
			end = NULL; /* "a/b/": b is the last */
		if (len >= sizeof(part)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(part, p, len);
		while (len > 0 && part[len - 1] == '/')
			len--;
		part[len] = '\0';
		if (strcmp(part, "..") == 0) {
			errno = EXDEV;
			goto fail;
		}
		if (len == 0)
			memcpy(part, ".", 2);
		if (end == NULL) {
			next = openat(dir_fd >= 0 ? dir_fd : root_fd, part,
				flags | O_NOFOLLOW | O_CLOEXEC, mode);
			e = errno;
			if (dir_fd >= 0)
				close(dir_fd);
			errno = e;
			return next;
		}
		next = openat(dir_fd >= 0 ? dir_fd : root_fd, part, O_PATH |
			O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			/* a link on the way reads as "not a folder" */
			if (errno == ENOTDIR) {
				struct stat st;

				if (fstatat(dir_fd >= 0 ? dir_fd : root_fd,
				    part, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					errno = ELOOP;
				else
					errno = ENOTDIR;
			}
			goto fail;
		}
		if (dir_fd >= 0)
			close(dir_fd);
		dir_fd = next;
		p = end + 1;
	}
fail:
	if (dir_fd >= 0) {
		int e = errno;

		close(dir_fd);
		errno = e;
	}
	return -1;
}

int custody_fs__open_beneath(int root_fd, const char *rel, int flags,
	mode_t mode)
{
	if (openat2_state >= 0) {
		struct open_how how;
		int fd;

		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
		how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			RESOLVE_NO_MAGICLINKS;
		fd = (int)syscall(SYS_openat2, root_fd, *rel ? rel : ".",
			&how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM &&
		    errno != E2BIG)) {
			/* written once: every open of every thread reads it */
			if (openat2_state != 1)
				openat2_state = 1;
			return fd;
		}
		if (openat2_state == 0)
			openat2_state = -1;
		else
			return -1;
	}
	return open_by_components(root_fd, rel, flags, mode);
}

int custody_fs__open_parent(int root_fd, const char *rel, int create,
	const char **name_out)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	int fd;

	*name_out = slash ? slash + 1 : rel;
	if (slash == NULL)
		return custody_fs__open_beneath(root_fd, "", O_RDONLY |
			O_DIRECTORY, 0);
	if ((dir = strndup(rel, (size_t)(slash - rel))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = custody_fs__open_beneath(root_fd, dir, O_RDONLY | O_DIRECTORY,
		0);
	if (fd < 0 && errno == ENOENT && create) {
		/* make the folders one by one, each beneath the last (read
		 * descriptors, so that each can be fsynced) */
		int parent = custody_fs__open_beneath(root_fd, "", O_RDONLY |
			O_DIRECTORY, 0);

		for (char *p = dir; parent >= 0 && *p; ) {
			char *end = strchr(p, '/');
			int next;

			if (end != NULL)
				*end = '\0';
			if (mkdirat(parent, p, 0755) == 0)
				fsync(parent);
			next = openat(parent, p, O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC);
			if (next < 0 && errno == ENOTDIR)
				errno = ELOOP;
			close(parent);
			parent = next;
			if (end == NULL)
				break;
			p = end + 1;
		}
		fd = parent;
	}
	free(dir);
	return fd;
}

int custody_fs__append(const char *path, const char *line,
	custody_error **err)
{
	size_t len = strlen(line);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
		O_CLOEXEC, 0644), rc = 0;

	if (fd < 0 || write_all(fd, line, len) != 0 || fsync(fd) != 0)
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot append to it", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

const char *custody_fs__kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a FIFO" :
		S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ?
		"a block device" : S_ISSOCK(mode) ? "a socket" :
		S_ISLNK(mode) ? "a symbolic link" : "not a regular file";
}

int custody_fs__open_input(const char *path, int flags, const char *what,
	custody_error **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
		flags);

	if (fd < 0) {
		int e = errno, rc;

		rc = custody__error_sys(err, e == ENOENT ? CUSTODY_ENOTFOUND :
			CUSTODY_EIO, e, "%s: cannot open%s%s", path,
			*what ? " " : "", what);
		errno = e; /* for callers that word it their own way */
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return custody__error_sys(err, CUSTODY_EIO, e,
			"%s: cannot stat", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (S_ISDIR(st.st_mode))
			return custody__error(err, CUSTODY_EINVALID,
				"%s: is a folder, not a file", path);
		return custody__error(err, CUSTODY_EINVALID, "%s: is not a "
			"regular file (%s)", path, custody_fs__kind(st.st_mode));
	}
	/* regular files ignore O_NONBLOCK, but say what is meant */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int custody_fs__read_file(custody_buf *out, const char *path,
	size_t max_len, custody_error **err)
{
	struct stat st;
	int fd = custody_fs__open_input(path, O_NOFOLLOW, "", err);
	size_t got = 0;
	char *data = NULL;
	int rc = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot stat", path);
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
		rc = custody__oom(err);
		goto done;
	}
	/* never more than fstat said: a file that grows is read to there */
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
		return custody__oom(err);
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

int custody_fs__same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino &&
		a->st_dev == b->st_dev &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
		a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

void custody_fs__keep_stat(struct custody_stat *out, const struct stat *st)
{
	memset(out, 0, sizeof(*out));
	out->size = (uint64_t)st->st_size;
	out->ino = (uint64_t)st->st_ino;
	out->dev = (uint64_t)st->st_dev;
	out->mtime_s = (int64_t)st->st_mtim.tv_sec;
	out->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	out->ctime_s = (int64_t)st->st_ctim.tv_sec;
	out->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	out->mode = (uint32_t)st->st_mode;
}
