/*
 * Fixture helpers for the unit tests that read files of tests/data (run
 * from tests/, as meson does): read one, walk a folder of them, and
 * check that a message names its file first.
 */
#ifndef CUSTODY_TEST_FIXTURE_H
#define CUSTODY_TEST_FIXTURE_H

#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The call succeeded; else show why. Frees and clears err. */
#define CHECK_OK(rc, err) do { int r_ = (rc); CHECK_INT(r_, 0); \
	if (r_ != 0 || (err) != NULL) fprintf(stderr, "  error: %s\n", \
		(err) != NULL ? custody_error_message(err) : "(none)"); \
	custody_error_free(err); (err) = NULL; } while (0)

/* The call failed with `code` and a message containing `needle`. */
#define CHECK_FAILS(rc, err, code, needle) do { CHECK_INT((rc), (code)); \
	CHECK((err) != NULL); \
	if ((err) != NULL) { \
		CHECK_INT(custody_error_code(err), (code)); \
		CHECK_CONTAINS(custody_error_message(err), (needle)); \
	} \
	custody_error_free(err); (err) = NULL; } while (0)

static inline char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *bytes = NULL;
	long size;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (bytes = malloc((size_t)size + 1)) != NULL) {
		*len = fread(bytes, 1, (size_t)size, f);
		bytes[*len] = '\0';
	}
	fclose(f);
	return bytes;
}

static inline int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn on every *.yaml file of dir, in name order; returns how many. */
static inline size_t each_file(const char *dir, void (*fn)(const char *path,
	const char *bytes, size_t len))
{
	char *names[512];
	size_t count = 0;
	struct dirent *d;
	DIR *folder = opendir(dir);

	if (folder == NULL) {
		fprintf(stderr, "cannot open %s (run from tests/)\n", dir);
		return 0;
	}
	while ((d = readdir(folder)) != NULL && count < 512) {
		size_t n = strlen(d->d_name);

		if (n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0)
			names[count++] = strdup(d->d_name);
	}
	closedir(folder);
	qsort(names, count, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < count; i++) {
		char path[1024];
		char *bytes;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		bytes = read_file(path, &len);
		CHECK(bytes != NULL);
		if (bytes != NULL)
			fn(path, bytes, len);
		free(bytes);
		free(names[i]);
	}
	return count;
}

static inline int same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The message starts with "<path>:" (the file is named first). */
static inline void check_names_file(const char *message, const char *path)
{
	size_t n = strlen(path);

	CHECK(strncmp(message, path, n) == 0 && message[n] == ':');
	if (strncmp(message, path, n) != 0)
		fprintf(stderr, "  message: %s\n", message);
}

#endif
