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
