/*
 * The check-only library's (-Dcheck_only=true) stand-in for
 * path_unicode.c: it has no utf8proc, so it knows the Unicode properties
 * of ASCII only. The offline checks read paths from entries that the
 * outlet's custody wrote after applying every rule; here they are held
 * to the rules that need no Unicode tables (valid UTF-8, no control
 * character or backslash, no empty, "." or ".." component, the ASCII
 * spellings of the reserved names), and beyond ASCII:
 *  - a path in valid UTF-8 counts as NFC (it cannot be normalised here);
 *  - no other spelling of .git or .custody is found (that takes case
 *    folding and the default-ignorable code points);
 *  - a message escapes every code point above U+007F as \u{XXXX}: its
 *    category is unknown, so it might be one a reader cannot see.
 */
#include "path.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

size_t custody_path__utf8_next(const char *s, size_t len, uint32_t *cp)
{
	return custody__utf8_next(s, len, cp);
}

int custody_path__invisible(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || cp >= 0x80;
}

int custody_path__fold_ignorable(const char *component, size_t len,
	char **out)
{
	char *lower = malloc(len + 1);

	*out = NULL;
	if (lower == NULL)
		return CUSTODY_ENOMEM;
	for (size_t i = 0; i < len; i++)
		lower[i] = component[i] >= 'A' && component[i] <= 'Z' ?
			(char)(component[i] + 32) : component[i];
	lower[len] = '\0';
	*out = lower;
	return 0;
}

int custody_path__is_nfc(const char *path)
{
	size_t len = strlen(path);
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = custody_path__utf8_next(path + i, len - i, &cp)) == 0)
			return 0;
	return 1;
}
