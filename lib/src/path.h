/*
 * Path rules: what a registered path may be (custody_path__check, declared
 * in entry.h), and the keys used to find names that would collide on a
 * case-insensitive or normalising file system.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_PATH_H
#define CUSTODY_SRC_PATH_H

#include <stddef.h>
#include "custody/common.h"

/* Longest registered path, in bytes. */
#define CUSTODY_PATH_MAX_BYTES 4096

/*
 * 1 when `path` is valid UTF-8 already in Unicode NFC, else 0 (also when
 * memory runs out: the caller then refuses the path, the safe way).
 */
int custody_path__is_nfc(const char *path);

/*
 * *out = NFC + Unicode case fold of `path`, malloc'd (free with free()).
 * Two paths with equal keys would collide on a case-insensitive or
 * normalising file system (macOS, Windows).
 * Errors: CUSTODY_EINVALID (not UTF-8), CUSTODY_ENOMEM.
 */
int custody_path__fold(const char *path, char **out, custody_error **err);

/*
 * Write `path` into out (len bytes, always NUL-terminated), for messages:
 * control and invisible characters (Unicode categories Cc, Cf, Zl, Zp,
 * unassigned) as \u{XXXX}, bytes that are not UTF-8 and backslashes as
 * \xNN; a path too long for out ends in "...".
 */
void custody_path__quote(char *out, size_t len, const char *path);

#endif
