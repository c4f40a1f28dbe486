/*
 * Targets whose input is several texts take them separated by NUL
 * bytes: fuzz_split cuts a copy of the input into at most `max` parts
 * (the last keeps any further NUL), each NUL-terminated; the parts not
 * in the input are empty. Returns the copy (free it), or NULL.
 */
#ifndef CUSTODY_FUZZ_SPLIT_H
#define CUSTODY_FUZZ_SPLIT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_part {
	const char *text;
	size_t len;
};

static char *fuzz_split(const uint8_t *data, size_t size,
	struct fuzz_part *parts, size_t max)
{
	char *copy = malloc(size + 1), *p, *end;
	size_t k;

	if (copy == NULL)
		return NULL;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	end = copy + size;
	for (k = 0; k < max; k++) {
		char *nul = k + 1 < max ? memchr(p, '\0', (size_t)(end - p)) :
			NULL;

		parts[k].text = p;
		parts[k].len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		p = nul ? nul + 1 : end;
	}
	return copy;
}

#endif
