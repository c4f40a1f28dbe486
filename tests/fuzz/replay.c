/*
 * Replays fuzz corpora without libFuzzer: every regular file in the
 * folders (or the files) named on the command line is fed once to
 * LLVMFuzzerTestOneInput, in name order. Exits 1 if an input cannot be
 * read or no input was found (a missing corpus must not pass silently).
 * Each input's path is in custody_fuzz_input_name while it runs, for the
 * targets that check what a seed's name promises (expect.h).
 *
 *   replay tests/fuzz/corpus/entry
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *custody_fuzz_input_name;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *bytes = NULL;
	size_t len = 0, room = 0, n;
	int rc = 0;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == room) {
			unsigned char *grown;

			room = room ? room * 2 : 4096;
			grown = realloc(bytes, room);
			if (grown == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				rc = -1;
				goto cleanup;
			}
			bytes = grown;
		}
		n = fread(bytes + len, 1, room - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		rc = -1;
		goto cleanup;
	}
	custody_fuzz_input_name = path;
	LLVMFuzzerTestOneInput(bytes, len);
	custody_fuzz_input_name = NULL;
cleanup:
	free(bytes);
	fclose(f);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs replayed, or -1. */
static long run_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t count = 0, room = 0;
	struct dirent *d;
	struct stat st;
	long done = 0;
	DIR *folder;

	if ((folder = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((d = readdir(folder)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (count == room) {
			char **grown;

			room = room ? room * 2 : 64;
			grown = realloc(names, room * sizeof(*names));
			if (grown == NULL) {
				done = -1;
				goto cleanup;
			}
			names = grown;
		}
		if ((names[count] = strdup(d->d_name)) == NULL) {
			done = -1;
			goto cleanup;
		}
		count++;
	}
	qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) != 0) {
			done = -1;
			goto cleanup;
		}
		done++;
	}
cleanup:
	closedir(folder);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			n = run_dir(argv[i]);
		} else {
			n = run_file(argv[i]) == 0 ? 1 : -1;
		}
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld inputs\n", total);
	return total > 0 ? 0 : 1;
}
