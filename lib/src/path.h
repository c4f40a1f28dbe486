/*
 * Path rules: what a registered path may be (custody_path__check, declared
 * in entry.h), and the keys used to find names that would collide on a
 * case-insensitive or normalising file system.
 */
#ifndef CUSTODY_SRC_PATH_H
#define CUSTODY_SRC_PATH_H

#include "custody/common.h"

/* 1 when `path` is valid UTF-8 already in Unicode NFC, else 0. */
int custody_path__is_nfc(const char *path);

/* *out = NFC + case fold of `path` (malloc'd; free with free()). */
int custody_path__fold(const char *path, char **out, custody_error **err);

/* Write `path` into out with non-printable bytes as \xNN (for messages). */
void custody_path__quote(char *out, size_t len, const char *path);

#endif
