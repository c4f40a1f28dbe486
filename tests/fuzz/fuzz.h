/*
 * What every fuzz target shares. A target defines FUZZ_TARGET (its name
 * without "fuzz_") before it includes this.
 */
#ifndef CUSTODY_FUZZ_H
#define CUSTODY_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/common.h"

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET before including fuzz.h"
#endif

/* A finding: say what broke, with the library's message, and stop. */
static inline void broken(const char *what, const custody_error *err)
{
	fprintf(stderr, "fuzz_" FUZZ_TARGET ": %s: %s\n", what,
		err != NULL ? custody_error_message(err) : "(no error)");
	abort();
}

/* A copy of exactly `size` bytes (NULL when out of memory), so that a
 * read past the end is caught by the sanitizer rather than landing in
 * the fuzzer's buffer. */
static inline void *fuzz_copy(const uint8_t *data, size_t size)
{
	char *bytes = malloc(size ? size : 1);

	if (bytes != NULL && size > 0)
		memcpy(bytes, data, size);
	return bytes;
}

#endif
