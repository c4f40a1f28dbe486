#include "path.h"
#include "common.h"
#include "custody/archive.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void custody_path__quote(char *out, size_t len, const char *path)
{
	const char *p = path;
	size_t j = 0, left = strlen(path);
	char piece[16];

	if (len < 4) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	while (left > 0) {
		uint32_t cp;
		size_t n = custody_path__utf8_next(p, left, &cp);
		size_t plen;

		if (n == 0) {
			snprintf(piece, sizeof(piece), "\\x%02x",
				(unsigned char)*p);
			n = 1;
		} else if (cp == '\\') {
			snprintf(piece, sizeof(piece), "\\x5c");
		} else if (custody_path__invisible(cp)) {
			snprintf(piece, sizeof(piece), "\\u{%04x}",
				(unsigned)cp);
		} else {
			memcpy(piece, p, n);
			piece[n] = '\0';
		}
		plen = strlen(piece);
		if (j + plen > len - 4) {
			/* keep room for "..." and the NUL */
			memcpy(out + j, "...", 3);
			j += 3;
			break;
		}
		memcpy(out + j, piece, plen);
		j += plen;
		p += n;
		left -= n;
	}
	out[j] = '\0';
}

int custody_path__name_control(uint32_t cp)
{
	return cp == '\t' || cp == '\n' || cp == '\r';
}

int custody_path__is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * 1 when a component is one git, or a partner's file system, would take
 * for .git, 2 for .custody (git's verify_path is the model): compare after
 * removing default-ignorable code points (HFS+ ignores them), folding
 * case, cutting an NTFS stream suffix (":$DATA") and dropping trailing
 * dots and spaces (NTFS); also the NTFS short names GIT~1 and CUSTOD~1.
 * 0 when not reserved, CUSTODY_ENOMEM when memory ran out.
 */
static int is_reserved(const char *component, size_t len)
{
	static const char *const reserved[] = { ".git", ".custody", "git~1",
		"custod~1", NULL };
	char *folded = NULL, *colon;
	size_t end;
	int hit = 0;

	/* Plain ASCII (most names): fold case by hand, no allocation. */
	if (len < 256 && custody_path__is_ascii(component, len)) {
		char lower[256];
		char first = len > 0 && component[0] >= 'A' &&
			component[0] <= 'Z' ? (char)(component[0] + 32) :
			len > 0 ? component[0] : '\0';

		/* every reserved name starts with '.', 'g' or 'c' */
		if (first != '.' && first != 'g' && first != 'c')
			return 0;

		for (end = 0; end < len && component[end] != ':'; end++)
			lower[end] = component[end] >= 'A' &&
				component[end] <= 'Z' ?
				(char)(component[end] + 32) : component[end];
		while (end > 0 && (lower[end - 1] == '.' ||
		    lower[end - 1] == ' '))
			end--;
		lower[end] = '\0';
		for (size_t i = 0; reserved[i] != NULL; i++)
			if (strcmp(lower, reserved[i]) == 0)
				return strstr(reserved[i], "git") ? 1 : 2;
		return 0;
	}
	if (custody_path__fold_ignorable(component, len, &folded) != 0)
		return CUSTODY_ENOMEM;
	if ((colon = strchr(folded, ':')) != NULL)
		*colon = '\0';
	end = strlen(folded);
	while (end > 0 && (folded[end - 1] == '.' || folded[end - 1] == ' '))
		end--;
	folded[end] = '\0';
	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(folded, reserved[i]) == 0)
			hit = strstr(reserved[i], "git") ? 1 : 2;
	free(folded);
	return hit;
}

size_t custody_path__git_prefix(const char *path)
{
	for (const char *c = path; ; ) {
		const char *slash = strchr(c, '/');
		size_t clen = slash ? (size_t)(slash - c) : strlen(c);

		int reserved = is_reserved(c, clen);

		/* out of memory counts as a git name: the safe way */
		if (reserved == 1 || reserved < 0)
			return (size_t)(c - path) + clen;
		if (slash == NULL)
			return 0;
		c = slash + 1;
	}
}

static int check_characters(const char *path, size_t len, const char *shown,
	custody_error **err)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp = (unsigned char)path[i];
		/* an ASCII byte is its own code point: no decoding */
		size_t n = cp < 0x80 ? 1 :
			custody_path__utf8_next(path + i, len - i, &cp);

		if (n == 0 || (cp >= 0xd800 && cp <= 0xdfff))
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' is not valid UTF-8 (at byte %zu)", shown,
				i + 1);
		if ((cp < 0x20 && !custody_path__name_control(cp)) ||
		    cp == 0x7f)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains a control character (at byte "
				"%zu); of those, only tab, line feed and "
				"carriage return may be in a name", shown,
				i + 1);
		if (cp == '\\')
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains a backslash; the separator is "
				"'/'", shown);
		i += n;
	}
	return 0;
}

/*
 * Code points a terminal or a text view acts on rather than shows: C1
 * controls (U+0085 ends a line, U+009B starts a terminal command), the
 * bidirectional controls (they reorder the text around them, so a name
 * can read as another: "invoice\u{202e}fdp.exe"), and the line and
 * paragraph separators. Their name for a message, or NULL.
 */
static const char *unsafe_code_point(uint32_t cp)
{
	static const struct {
		uint32_t cp;
		const char *name;
	} names[] = {
		{ 0x061c, "ARABIC LETTER MARK" },
		{ 0x200e, "LEFT-TO-RIGHT MARK" },
		{ 0x200f, "RIGHT-TO-LEFT MARK" },
		{ 0x2028, "LINE SEPARATOR" },
		{ 0x2029, "PARAGRAPH SEPARATOR" },
		{ 0x202a, "LEFT-TO-RIGHT EMBEDDING" },
		{ 0x202b, "RIGHT-TO-LEFT EMBEDDING" },
		{ 0x202c, "POP DIRECTIONAL FORMATTING" },
		{ 0x202d, "LEFT-TO-RIGHT OVERRIDE" },
		{ 0x202e, "RIGHT-TO-LEFT OVERRIDE" },
		{ 0x2066, "LEFT-TO-RIGHT ISOLATE" },
		{ 0x2067, "RIGHT-TO-LEFT ISOLATE" },
		{ 0x2068, "FIRST STRONG ISOLATE" },
		{ 0x2069, "POP DIRECTIONAL ISOLATE" },
	};

	if (cp >= 0x80 && cp <= 0x9f)
		return "a C1 control character";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cp == cp)
			return names[i].name;
	return NULL;
}

/* Refuse the code points above (the path is valid UTF-8 by now). */
static int check_unsafe(const char *path, size_t len, const char *shown,
	custody_error **err)
{
	size_t i = 0;

	if (custody_path__is_ascii(path, len))
		return 0;
	while (i < len) {
		uint32_t cp;
		size_t n = custody_path__utf8_next(path + i, len - i, &cp);
		const char *name;

		if (n == 0)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' is not valid UTF-8 (at byte %zu)", shown,
				i + 1);
		if ((name = unsafe_code_point(cp)) != NULL)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' contains U+%04X (%s) at byte %zu; names "
				"that terminals act on or that reorder text "
				"are never registered", shown, (unsigned)cp,
				name, i + 1);
		i += n;
	}
	return 0;
}

/* The checks of custody_path__check; `shown` is the path as messages
 * quote it (only needed when err is not NULL). */
static int check_path(const char *path, const char *shown, int recorded,
	int allow_git, custody_error **err)
{
	size_t len = strlen(path);
	const char *c;
	int rc;

	if (len == 0)
		return custody__error(err, CUSTODY_EINVALID, "path is empty");
	if (len > CUSTODY_PATH_MAX_BYTES)
		return custody__error(err, CUSTODY_EINVALID, "path '%s' is "
			"%zu bytes long, more than %d", shown, len,
			CUSTODY_PATH_MAX_BYTES);
	if ((rc = check_characters(path, len, shown, err)) != 0)
		return rc;
	if (path[0] == '/')
		return custody__error(err, CUSTODY_EINVALID, "path '%s' is "
			"absolute; registered paths are relative to the "
			"collection", shown);
	for (c = path; ; ) {
		const char *slash = strchr(c, '/');
		size_t clen = slash ? (size_t)(slash - c) : strlen(c);
		char part[CUSTODY_PATH_QUOTE_BYTES], *copy;

		if (clen == 0)
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' has an empty component ('//' or a "
				"trailing '/')", shown);
		if ((clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s' has a '%.*s' component", shown,
				(int)clen, c);
		rc = is_reserved(c, clen);
		if (rc < 0)
			return custody__error(err, rc, "out of memory");
		if (rc == 1 && allow_git) {
			/* hashes only: nothing of it goes in a git tree */
		} else if (rc > 0) {
			copy = strndup(c, clen);
			if (copy == NULL)
				return custody__oom(err);
			custody_path__quote(part, sizeof(part), copy);
			free(copy);
			if (rc == 1)
				return custody__error(err, CUSTODY_EINVALID,
					"path '%s': component '%s' is reserved "
					"for git; %s", shown, part,
					CUSTODY_REFUSED_STORED_GIT);
			return custody__error(err, CUSTODY_EINVALID, "path "
				"'%s': component '%s' is reserved (.custody, "
				"in any spelling, is never registered)",
				shown, part);
		}
		if (slash == NULL)
			break;
		c = slash + 1;
	}
	/* after the components: a reserved name is the graver reason */
	return recorded ? 0 : check_unsafe(path, len, shown, err);
}

/*
 * 1 when check_path would pass an ASCII path, found in one pass over
 * its bytes; 0 when the full check must decide (not ASCII, a byte it
 * refuses, an odd or reserved component): that is never a verdict.
 */
static int plain_ascii_passes(const char *path)
{
	const char *c = path, *s;

	for (s = path; ; s++) {
		unsigned char b = (unsigned char)*s;

		if (b == '/' || b == '\0') {
			size_t clen = (size_t)(s - c);

			if (clen == 0 || (c[0] == '.' && (clen == 1 ||
			    (clen == 2 && c[1] == '.'))))
				return 0;
			/* a reserved name starts with '.', 'g' or 'c' in
			 * either case: | 0x20 lowers a letter and keeps '.'
			 * (a byte it maps there too is simply looked at) */
			if (strchr(".gc", c[0] | 0x20) != NULL &&
			    is_reserved(c, clen) != 0)
				return 0;
			if (b == '\0')
				break;
			c = s + 1;
		} else if (b >= 0x80 || b == 0x7f || b == '\\' ||
		    (b < 0x20 && !custody_path__name_control(b))) {
			return 0;
		}
	}
	return (size_t)(s - path) <= CUSTODY_PATH_MAX_BYTES;
}

static int check(const char *path, int recorded, int allow_git,
	custody_error **err)
{
	char shown[CUSTODY_PATH_QUOTE_BYTES];
	int rc;

	/* most paths are plain ASCII, and pass */
	if (plain_ascii_passes(path))
		return 0;

	/* most paths pass: quote one for a message only when it fails */
	if ((rc = check_path(path, "", recorded, allow_git, NULL)) == 0 ||
	    err == NULL)
		return rc;
	custody_path__quote(shown, sizeof(shown), path);
	return check_path(path, shown, recorded, allow_git, err);
}

int custody_path__check(const char *path, custody_error **err)
{
	return check(path, 0, 0, err);
}

int custody_path__check_recorded(const char *path, custody_error **err)
{
	return check(path, 1, 0, err);
}

int custody_path__check_hashes_only(const char *path, int recorded,
	custody_error **err)
{
	return check(path, recorded, 1, err);
}
