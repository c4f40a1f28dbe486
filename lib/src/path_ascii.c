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

#include <stdlib.h>
#include <string.h>

size_t custody_path__utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		need = 2;
		*cp = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		need = 3;
		*cp = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0; /* not overlong */
		else if (u[0] == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		need = 4;
		*cp = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;
		else if (u[0] == 0xf4)
			hi = 0x8f; /* not above U+10FFFF */
	} else {
		return 0;
	}
	if (len < need || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if (i > 1 && (u[i] < 0x80 || u[i] > 0xbf))
			return 0;
		*cp = *cp << 6 | (u[i] & 0x3f);
	}
	return need;
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
