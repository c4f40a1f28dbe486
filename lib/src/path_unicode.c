/*
 * The Unicode properties the path rules (path.c) need, from utf8proc:
 * UTF-8 decoding, general categories, normalisation and case folding.
 * The check-only library has no utf8proc and links path_ascii.c instead.
 */
#include "path.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

size_t custody_path__utf8_next(const char *s, size_t len, uint32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s,
		(utf8proc_ssize_t)len, &c);

	if (n <= 0)
		return 0;
	*cp = (uint32_t)c;
	return (size_t)n;
}

int custody_path__invisible(uint32_t cp)
{
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CN:
		return 1;
	default:
		return 0;
	}
}

int custody_path__fold_ignorable(const char *component, size_t len,
	char **out)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;
	char *copy;

	*out = NULL;
	copy = malloc(len + 1);
	if (copy == NULL)
		return CUSTODY_ENOMEM;
	memcpy(copy, component, len);
	copy[len] = '\0';
	n = utf8proc_map((const utf8proc_uint8_t *)copy, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
	free(copy);
	/* The caller checked UTF-8 already: only memory can fail. */
	if (n < 0)
		return CUSTODY_ENOMEM;
	*out = (char *)folded;
	return 0;
}

int custody_path__is_nfc(const char *path)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;
	int same;

	if (custody_path__is_ascii(path, strlen(path)))
		return 1; /* ASCII is its own NFC */
	n = utf8proc_map((const utf8proc_uint8_t *)path, 0, &nfc,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return 0;
	same = strcmp((const char *)nfc, path) == 0;
	free(nfc);
	return same;
}

int custody_path__fold(const char *path, char **out, custody_error **err)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;
	char shown[CUSTODY_PATH_QUOTE_BYTES];

	*out = NULL;
	if (custody_path__is_ascii(path, strlen(path))) {
		/* ASCII: NFC already, and case folding is tolower */
		char *lower = strdup(path);

		if (lower == NULL)
			return custody__oom(err);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		*out = lower;
		return 0;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)path, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		UTF8PROC_CASEFOLD);
	if (n == UTF8PROC_ERROR_NOMEM)
		return custody__oom(err);
	if (n < 0) {
		custody_path__quote(shown, sizeof(shown), path);
		return custody__error(err, CUSTODY_EINVALID, "path '%s': %s",
			shown, utf8proc_errmsg(n));
	}
	*out = (char *)folded;
	return 0;
}
