/* File-system helpers: crash-safe writes and small utilities. */
#ifndef CUSTODY_SRC_FSUTIL_H
#define CUSTODY_SRC_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "custody/common.h"

/*
 * Replace `path` with `len` bytes crash-safely: write a temporary file in
 * the same folder, fsync it, rename it over `path`, fsync the folder.
 * On failure the old file is untouched and the temporary file removed.
 */
int custody_fs__write_atomic(const char *path, const void *data,
	size_t len, int mode, custody_error **err);

/* As custody_fs__write_atomic, but never over an existing file:
 * CUSTODY_EEXISTS if `path` exists (checked atomically, by link(2)). */
int custody_fs__write_new(const char *path, const void *data, size_t len,
	int mode, custody_error **err);

/* Replace `path` atomically (temporary file, rename) without syncing:
 * for caches, which a crash may lose but never half-write. */
int custody_fs__replace(const char *path, const void *data, size_t len,
	int mode, custody_error **err);

/* fsync folder `dir` (so a rename or link in it survives a crash). */
/* pwrite(2) until all of data is written; -1 with errno set on error. */
int custody_fs__pwrite_all(int fd, const void *data, size_t len,
	off_t offset);

int custody_fs__fsync_dir(const char *dir, custody_error **err);

/* pread(2) exactly len bytes at off: 0, or -1 (errno set; a file that
 * ends first is -1 with errno 0). */
int custody_fs__pread_all(int fd, void *buf, size_t len, uint64_t off);

/*
 * Open a file someone named (a key, a proof, a document to check) for
 * reading: with O_NONBLOCK, so that a FIFO cannot hang the open, then
 * refused unless it is a regular file ("PATH: is a folder, not a file",
 * "PATH: is not a regular file (a FIFO)"...). `flags` adds O_NOFOLLOW
 * and the like. Returns the descriptor (blocking again) or a negative
 * error code with *err set; `what` names the file's role in "cannot
 * open" messages ("" for none).
 */
int custody_fs__open_input(const char *path, int flags, const char *what,
	custody_error **err);

/* What a non-regular file is, for messages: "a folder", "a FIFO"... */
const char *custody_fs__kind(mode_t mode);

/* Append `line` to the file at path (made 0644 if missing) with one
 * write(2), and fsync it: for records that are only ever added to. */
int custody_fs__append(const char *path, const char *line,
	custody_error **err);

/* Read a whole file (at most max_len bytes) into *out; its size is
 * checked before anything is read. */
int custody_fs__read_file(custody_buf *out, const char *path,
	size_t max_len, custody_error **err);

/* Create folder `path` (one level) with fsync of its parent; EEXIST ok. */
int custody_fs__mkdir(const char *path, int mode, custody_error **err);

/*
 * Open `rel`, a path relative to the folder `root_fd`, without ever
 * leaving that folder or following a symbolic link in any component
 * (the last included): openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * where the kernel has it, else one openat(O_NOFOLLOW) per component,
 * each folder held open while the next is opened. "" opens root_fd's
 * folder itself. Returns a descriptor, or -1 with errno set (ELOOP for
 * a link on the way, EXDEV for a path that would leave the folder).
 */
int custody_fs__open_beneath(int root_fd, const char *rel, int flags,
	mode_t mode);

/* Tests only: 0 makes custody_fs__open_beneath walk the components
 * itself, as on a kernel without openat2; 1 restores the default. */
void custody_fs__use_openat2(int yes);

/*
 * The folder holding `rel` (opened beneath root_fd as above) and
 * the last component's name within it (a pointer into rel). With
 * `create`, missing folders on the way are made (mode 0755). -1 with
 * errno set on failure.
 */
int custody_fs__open_parent(int root_fd, const char *rel, int create,
	const char **name_out);

/*
 * custody_fs__write_atomic within the folder `dir_fd`: a temporary file
 * made there with O_EXCL, fsynced, renamed over `name` in the same
 * folder, and the folder fsynced. `shown` names the file in messages.
 * The temporary file is gone on every failure.
 */
int custody_fs__write_atomic_at(int dir_fd, const char *name,
	const char *shown, const void *data, size_t len, int mode,
	custody_error **err);

/*
 * Fills a temporary file through `fd`: 0 when done, 1 when a write failed
 * (errno set; the caller names the file), or a negative CUSTODY_E* code
 * with *err set by the filler. Lets content that is not in memory (a
 * stored blob, streamed) be written crash-safely.
 */
typedef int (*custody_fs_fill_cb)(int fd, void *payload,
	custody_error **err);

/* custody_fs__write_atomic_at and custody_fs__write_atomic with the
 * content written by `fill` instead of taken from a buffer. */
int custody_fs__write_atomic_fill_at(int dir_fd, const char *name,
	const char *shown, custody_fs_fill_cb fill, void *payload, int mode,
	custody_error **err);
int custody_fs__write_atomic_fill(const char *path, custody_fs_fill_cb fill,
	void *payload, int mode, custody_error **err);

/* malloc'd "a/b" join; NULL on out of memory. */
char *custody_fs__join(const char *a, const char *b);

/* Append to a growable buffer; returns 0 or CUSTODY_ENOMEM. */
int custody_buf__append(custody_buf *buf, const void *data, size_t len);
int custody_buf__printf(custody_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Lowercase hex of `len` bytes into out (2*len+1 bytes). */
void custody_hex(char *out, const unsigned char *bytes, size_t len);

/* Decode 2*len lowercase hex digits into len bytes; 0, or -1 if a
 * character is not a lowercase hex digit. */
int custody_unhex(unsigned char *out, const char *hex, size_t len);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void custody_fs__now_rfc3339(char out[32]);

/* 1 when two stats are of the same file, unchanged: size, inode,
 * device, and modification and change times to the nanosecond. */
struct stat;
int custody_fs__same_stat(const struct stat *a, const struct stat *b);

/*
 * What custody keeps of a file's stat: the fields the index's stat
 * cache compares (size, inode, device, modification and change times
 * to the nanosecond) and the mode, for its type. 56 bytes where a
 * struct stat has 144: a walk of millions of files keeps one a file.
 */
struct custody_stat {
	uint64_t size;
	uint64_t ino;
	uint64_t dev;
	int64_t mtime_s;
	int64_t ctime_s;
	uint32_t mtime_ns;
	uint32_t ctime_ns;
	uint32_t mode;            /* st_mode: type and permission bits */
};

/* Keep what custody uses of st. */
void custody_fs__keep_stat(struct custody_stat *out, const struct stat *st);

#endif
