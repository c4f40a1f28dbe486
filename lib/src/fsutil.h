/* File-system helpers: crash-safe writes and small utilities. */
#ifndef CUSTODY_SRC_FSUTIL_H
#define CUSTODY_SRC_FSUTIL_H

#include <stddef.h>
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

/* Read a whole file (at most max_len bytes) into *out. */
int custody_fs__read_file(custody_buf *out, const char *path,
	size_t max_len, custody_error **err);

/* Create folder `path` (one level) with fsync of its parent; EEXIST ok. */
int custody_fs__mkdir(const char *path, int mode, custody_error **err);

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

#endif
