#include "common.h"
#include "custody/version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

struct custody_error {
	int code;
	custody_hint hint;
	char message[1024];
};

int custody__verror(custody_error **err, int code, const char *suffix,
	const char *fmt, va_list ap)
{
	custody_error *e;
	size_t used;

	if (err == NULL || *err != NULL)
		return code;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return code;
	e->code = code;
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	used = strlen(e->message);
	if (suffix != NULL && *suffix != '\0' && used < sizeof(e->message))
		snprintf(e->message + used, sizeof(e->message) - used, ": %s",
			suffix);
	*err = e;
	return code;
}

int custody__error(custody_error **err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	custody__verror(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int custody__error_hint(custody_error **err, int code, custody_hint hint,
	const char *fmt, ...)
{
	int had = err != NULL && *err != NULL;
	va_list ap;

	va_start(ap, fmt);
	custody__verror(err, code, NULL, fmt, ap);
	va_end(ap);
	if (!had && err != NULL && *err != NULL)
		(*err)->hint = hint;
	return code;
}

custody_hint custody_error_hint(const custody_error *err)
{
	return err ? err->hint : CUSTODY_HINT_NONE;
}

int custody__oom(custody_error **err)
{
	return custody__error(err, CUSTODY_ENOMEM, "out of memory");
}

int custody__check_version(custody_error **err, const void *given,
	unsigned int version, unsigned int known, const char *name)
{
	if (given == NULL || version == known)
		return 0;
	return custody__error(err, CUSTODY_EINVALID, "%s has version %u; this "
		"library (custody %s) reads version %u: initialise it with its "
		"_INIT macro or _init function", name, version,
		CUSTODY_VERSION_STRING, known);
}

int custody__error_ssl(custody_error **err, int code, const char *fmt, ...)
{
	char detail[256] = "OpenSSL error";
	unsigned long e = ERR_get_error();
	va_list ap;

	if (e != 0)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	va_start(ap, fmt);
	custody__verror(err, code, detail, fmt, ap);
	va_end(ap);
	return code;
}

int custody__error_sys(custody_error **err, int code, int errnum,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	custody__verror(err, code, strerror(errnum), fmt, ap);
	va_end(ap);
	return code;
}

int custody_error_code(const custody_error *err)
{
	return err ? err->code : CUSTODY_OK;
}

const char *custody_error_message(const custody_error *err)
{
	return err ? err->message : "";
}

void custody_error_free(custody_error *err)
{
	free(err);
}

void custody_buf_dispose(custody_buf *buf)
{
	if (buf == NULL)
		return;
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = 0;
}

const char *custody_version(void)
{
	return CUSTODY_VERSION_STRING;
}

size_t custody__utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/* Code points a terminal acts on, or reorders the text around: C0 and
 * C1 controls, DEL, the bidi controls, the line and paragraph
 * separators. */
static int unprintable(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
		cp == 0x200e || cp == 0x200f || (cp >= 0x202a &&
		cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		cp == 0x2028 || cp == 0x2029;
}

/* The two-character escape of a byte, or NULL. */
static const char *c_escape(uint32_t cp, int as_name)
{
	switch (cp) {
	case '\a': return "\\a";
	case '\b': return "\\b";
	case '\t': return "\\t";
	case '\n': return "\\n";
	case '\v': return "\\v";
	case '\f': return "\\f";
	case '\r': return "\\r";
	case '"': return as_name ? "\\\"" : NULL;
	case '\\': return as_name ? "\\\\" : NULL;
	default: return NULL;
	}
}

/* Append piece[0 .. n) to out while it fits (room for the NUL kept). */
static void put(char *out, size_t size, size_t *at, const char *piece,
	size_t n)
{
	if (size > 0 && *at < size - 1) {
		size_t room = size - 1 - *at;

		memcpy(out + *at, piece, n < room ? n : room);
	}
	*at += n;
}

size_t custody_quote(char *out, size_t size, const char *name, int as_name)
{
	size_t len = strlen(name), i, n, at = 0;
	int needed = 0;

	for (i = 0; i < len; i += n) {
		uint32_t cp;

		n = custody__utf8_next(name + i, len - i, &cp);
		if (n == 0 || unprintable(cp) || c_escape(cp, as_name)) {
			needed = 1;
			break;
		}
	}
	if (!needed) {
		put(out, size, &at, name, len);
	} else {
		if (as_name)
			put(out, size, &at, "\"", 1);
		for (i = 0; i < len; i += n) {
			uint32_t cp = 0;
			const char *esc;
			char octal[5];

			n = custody__utf8_next(name + i, len - i, &cp);
			if (n != 0 && (esc = c_escape(cp, as_name)) != NULL) {
				put(out, size, &at, esc, 2);
			} else if (n == 0 || unprintable(cp)) {
				/* each byte in octal, as git does */
				for (size_t k = 0; k < (n ? n : 1); k++) {
					snprintf(octal, sizeof(octal), "\\%03o",
						(unsigned char)name[i + k]);
					put(out, size, &at, octal, 4);
				}
				if (n == 0)
					n = 1;
			} else {
				put(out, size, &at, name + i, n);
			}
		}
		if (as_name)
			put(out, size, &at, "\"", 1);
	}
	if (size > 0)
		out[at < size ? at : size - 1] = '\0';
	return at;
}

const char *custody__name(char out[CUSTODY_NAME_SHOWN_BYTES],
	const char *name)
{
	custody_quote(out, CUSTODY_NAME_SHOWN_BYTES, name, 1);
	return out;
}
