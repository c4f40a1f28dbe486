#include "path.h"
#include "entry.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#define PATH_MAX_BYTES 4096

void custody_path__quote(char *out, size_t len, const char *path)
{
	size_t j = 0;

	for (const unsigned char *p = (const unsigned char *)path;
	    *p && j + 5 < len; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			j += (size_t)snprintf(out + j, len - j, "\\x%02x", *p);
		else
			out[j++] = (char)*p;
	}
	out[j] = '\0';
}

/* A component git, or a partner's file system, would take for .git or
 * .custody: compare after removing default-ignorable code points (HFS+
 * ignores them), folding case, and dropping trailing dots and spaces
 * (NTFS), and also refuse the NTFS short names. */
static int is_reserved(const char *component, size_t len)
{
	static const char *const reserved[] = { ".git", ".custody", "git~1",
		"custod~1", NULL };
	char *copy = strndup(component, len);
	utf8proc_uint8_t *folded = NULL;
	size_t n;
	int hit = 0;

	if (copy == NULL)
		return 1;
	if (utf8proc_map((const utf8proc_uint8_t *)copy, 0, &folded,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD | UTF8PROC_IGNORE) < 0) {
		free(copy);
		return 0; /* not UTF-8: reported by the caller */
	}
	n = strlen((char *)folded);
	while (n > 0 && (folded[n - 1] == '.' || folded[n - 1] == ' '))
		n--;
	folded[n] = '\0';
	for (int i = 0; reserved[i] != NULL; i++)
		if (strcmp((char *)folded, reserved[i]) == 0)
			hit = 1;
	free(folded);
	free(copy);
	return hit;
}

int custody_path__check(const char *path, custody_error **err)
{
	char shown[600];
	const unsigned char *p = (const unsigned char *)path;
	size_t len = strlen(path), i = 0;

	custody_path__quote(shown, sizeof(shown), path);
	if (len == 0)
		return custody__error(err, CUSTODY_EINVALID, "empty path");
	if (len > PATH_MAX_BYTES)
		return custody__error(err, CUSTODY_EINVALID, "path '%.80s...' "
			"is longer than %d bytes", shown, PATH_MAX_BYTES);
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + i,
			(utf8proc_ssize_t)(len - i), &cp);

		if (n <= 0)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' is not valid UTF-8 (byte %zu)", shown,
				i + 1);
		if (cp < 0x20 || cp == 0x7f)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains a control character", shown);
		if (cp == '\\')
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains a backslash", shown);
		i += (size_t)n;
	}
	if (path[0] == '/')
		return custody__error(err, CUSTODY_EINVALID, "path '%s' is "
			"absolute; registered paths are relative to the "
			"collection", shown);
	for (const char *c = path; ; ) {
		const char *end = strchr(c, '/');
		size_t clen = end ? (size_t)(end - c) : strlen(c);

		if (clen == 0)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' has an empty component ('//' or a "
				"trailing '/')", shown);
		if ((clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains '.' or '..'", shown);
		if (is_reserved(c, clen))
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s': '%.*s' is a reserved name (.git and "
				".custody, in any spelling, are never "
				"registered)", shown, (int)clen, c);
		if (end == NULL)
			break;
		c = end + 1;
	}
	return 0;
}

int custody_path__is_nfc(const char *path)
{
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)path);
	int same;

	if (nfc == NULL)
		return 0;
	same = strcmp((const char *)nfc, path) == 0;
	free(nfc);
	return same;
}

int custody_path__fold(const char *path, char **out, custody_error **err)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n;

	*out = NULL;
	n = utf8proc_map((const utf8proc_uint8_t *)path, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		UTF8PROC_CASEFOLD);
	if (n < 0)
		return custody__error(err, CUSTODY_EINVALID, "path is not "
			"valid UTF-8: %s", utf8proc_errmsg(n));
	*out = (char *)folded;
	return 0;
}
