/* Private helpers of the common module (custody/common.h): filling a
 * custody_error, the version check of option structs, initialisation. */
#ifndef CUSTODY_SRC_COMMON_H
#define CUSTODY_SRC_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

#if defined(__GNUC__)
# define CUSTODY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
# define CUSTODY_PRINTF(f, a)
#endif

/* Room for a name quoted for a message (custody__name). */
#define CUSTODY_NAME_SHOWN_BYTES 512

/* `name` as custody_quote shows it, in out (cut short when longer):
 * what a message that names a document prints. Returns out. */
const char *custody__name(char out[CUSTODY_NAME_SHOWN_BYTES],
	const char *name);

/* The code point at s (len > 0 bytes left) into *cp, and its length in
 * bytes (1 to 4); 0 when s does not start with one in well-formed UTF-8
 * (custody_quote; the check-only path rules, path_ascii.c). */
size_t custody__utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * Set *err (if err is not NULL and *err is still NULL) to a new error with
 * the given code and printf-style message. Returns code, so callers can
 * write `return custody__error(err, CUSTODY_EINVALID, "...")`.
 */
int custody__error(custody_error **err, int code, const char *fmt, ...)
	CUSTODY_PRINTF(3, 4);

/*
 * As custody__error, with the arguments in `ap`, appending ": " and
 * `suffix` when it is not NULL or empty: what the custody__error_* are
 * made of.
 */
int custody__verror(custody_error **err, int code, const char *suffix,
	const char *fmt, va_list ap) CUSTODY_PRINTF(4, 0);

/* As custody__error, appending ": " and libgit2's last error message
 * (common_git.c). */
int custody__error_git(custody_error **err, int code, const char *fmt, ...)
	CUSTODY_PRINTF(3, 4);

/* Set what every archive's repository config says (common_git.c);
 * -1 with libgit2's error set. */
struct git_config;
int custody__git_archive_config(struct git_config *config);

/* As custody__error, appending ": " and OpenSSL's queued error. */
int custody__error_ssl(custody_error **err, int code, const char *fmt, ...)
	CUSTODY_PRINTF(3, 4);

/* As custody__error, appending ": " and strerror(errnum). */
int custody__error_sys(custody_error **err, int code, int errnum,
	const char *fmt, ...) CUSTODY_PRINTF(4, 5);

/* As custody__error, with a hint for the caller's user (see
 * custody_error_hint). */
int custody__error_hint(custody_error **err, int code, custody_hint hint,
	const char *fmt, ...) CUSTODY_PRINTF(4, 5);

/* custody__error(err, CUSTODY_ENOMEM, "out of memory"), said once. */
int custody__oom(custody_error **err);

/*
 * 0 when an options or result struct the caller passed (`given`, its
 * version field) is of the layout this library reads (`known`), else
 * CUSTODY_EINVALID naming the struct. A NULL struct is the caller's
 * "defaults" and passes.
 */
int custody__check_version(custody_error **err, const void *given,
	unsigned int version, unsigned int known, const char *name);

/* custody__check_version for an options struct `opts` (may be NULL). */
#define CUSTODY_CHECK_OPTIONS(err, opts, known, name) \
	custody__check_version((err), (opts), (opts) ? (opts)->version : 0, \
		(known), (name))

/* One-time initialisation of the libraries the library uses (libgit2;
 * OpenSSL 3 initialises itself); 0 or an error code. common_git.c, or in
 * the check-only library common_check.c, which has nothing to do. */
int custody__global_init(custody_error **err);

#endif
