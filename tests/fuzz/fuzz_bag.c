/*
 * Fuzz target for BagIt bags (RFC 8493) as `custody bag validate`,
 * `bag import` and `bag fetch` read them: bagit.txt, bag-info.txt,
 * manifest-*.txt, tagmanifest-*.txt, fetch.txt and what is on disk,
 * through the real validator (custody_bag_validate) on a bag written to
 * a temporary folder from the input. libFuzzer style; replay.c runs the
 * corpus, tests/fuzz/corpus/bag.
 *
 * The input is the bag's files, each a line "@@ PATH" (PATH relative to
 * the bag; ending in '/': an empty folder) followed by the file's bytes
 * up to the next line that starts with "@@ " (the newline before it
 * belongs to the marker). A first line "legacy" validates with
 * legacy_encoding. Paths with empty, "." or ".." components are
 * skipped. Besides "never crash, never leak", it checks:
 *   - the validation runs: 0 or CUSTODY_EVERIFY, the latter with a
 *     message naming the bag;
 *   - 0 exactly when the summary says valid and no error was reported;
 *     a valid bag is complete;
 *   - the problems reported add up to the summary's errors and
 *     warnings, each with a file, an RFC section and a message of one
 *     line;
 *   - validating again with two hashing threads instead of one reports
 *     the same problems in the same order and the same summary;
 *   - every path written, encoded for a manifest
 *     (custody_bag_encode_path) and decoded as a manifest path is read
 *     (custody_bag__decode_path), is itself again, with no literal '%'.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh bag SECONDS           (libFuzzer, docs/fuzzing.md)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bag.h"
#include "custody/bag.h"
#include "expect.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_TARGET "bag"
#include "fuzz.h"

#define MAX_FILES 48
#define MAX_NAME 240
#define MAX_DEPTH 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the folder each input's bag is written in, made once */
static char top_dir[64];

struct seen {
	char **lines;
	size_t n, alloc;
	size_t errors, warnings;
	int oom;
};

static int on_problem(const custody_bag_problem *p, void *payload)
{
	struct seen *s = payload;
	char *line;

	if ((p->severity != CUSTODY_BAG_ERROR &&
	    p->severity != CUSTODY_BAG_WARNING) || p->file == NULL ||
	    p->section == NULL || p->section[0] == '\0' ||
	    p->message == NULL || p->message[0] == '\0' ||
	    strpbrk(p->message, "\r\n") != NULL) {
		fprintf(stderr, "fuzz_bag: problem: %s line %zu: %s\n",
			p->file ? p->file : "(no file)", p->line,
			p->message ? p->message : "(no message)");
		broken("a problem without a file, a section or a one-line "
			"message", NULL);
	}
	if (p->severity == CUSTODY_BAG_ERROR)
		s->errors++;
	else
		s->warnings++;
	if (s->n == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 16;
		char **grown = realloc(s->lines, alloc * sizeof(*grown));

		if (grown == NULL) {
			s->oom = 1;
			return 1;
		}
		s->lines = grown;
		s->alloc = alloc;
	}
	if (asprintf(&line, "%d|%s|%zu|%s|%s|%s", (int)p->severity, p->file,
	    p->line, p->path ? p->path : "-", p->section, p->message) < 0) {
		s->oom = 1;
		return 1;
	}
	s->lines[s->n++] = line;
	return 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

static int unlink_one(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Components that are not empty, "." or "..", at most MAX_DEPTH. */
static int safe_name(const char *name)
{
	const char *c = name;
	int depth = 0;

	if (*name == '\0' || *name == '/')
		return 0;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);

		if (n == 0)
			return slash == NULL && depth > 0;  /* "dir/" */
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.') ||
		    ++depth > MAX_DEPTH)
			return 0;
		if (slash == NULL)
			return 1;
		c = slash + 1;
	}
}

/* Make the folders of `name` (all of it when it ends in '/') and write
 * the file; 0, or -1 when the name clashes with what is there. */
static int put(int top, char *name, const char *bytes, size_t len)
{
	size_t n = strlen(name);
	int fd;

	for (char *c = name; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdirat(top, name, 0755) != 0 && errno != EEXIST) {
			*c = '/';
			return -1;
		}
		*c = '/';
	}
	if (name[n - 1] == '/')
		return 0;
	fd = openat(top, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, bytes + done, len - done);

		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	close(fd);
	return 0;
}

/* encode then decode one name: itself, no literal '%' */
static void check_encoding(const char *name)
{
	custody_buf enc = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *dec;
	size_t literal = 0;

	if (custody_bag_encode_path(&enc, name, &err) != 0) {
		custody_error_free(err);
		return;
	}
	if ((dec = custody_bag__decode_path(enc.ptr, strlen(enc.ptr),
	    &literal)) != NULL && (strcmp(dec, name) != 0 || literal != 0))
		broken("a path changed through encoding and decoding", NULL);
	free(dec);
	custody_buf_dispose(&enc);
}

/* Write the bag the input describes into bag_dir; 0 or -1. */
static int write_bag(const char *bag_dir, const char *in, size_t size,
	int *legacy)
{
	const char *p = in, *end = in + size;
	int top, files = 0;

	*legacy = 0;
	if (size >= 7 && memcmp(in, "legacy\n", 7) == 0) {
		*legacy = 1;
		p += 7;
	}
	if (mkdir(bag_dir, 0755) != 0 ||
	    (top = open(bag_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	/* to the first marker */
	while (p < end && !(end - p >= 3 && memcmp(p, "@@ ", 3) == 0 &&
	    (p == in || p[-1] == '\n'))) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	while (p < end && files < MAX_FILES) {
		const char *name = p + 3, *nl, *body, *next;
		char path[MAX_NAME + 1];
		size_t n;

		nl = memchr(name, '\n', (size_t)(end - name));
		n = nl ? (size_t)(nl - name) : (size_t)(end - name);
		body = nl ? nl + 1 : end;
		next = memmem(nl ? nl : end, (size_t)(end - (nl ? nl : end)),
			"\n@@ ", 4);
		if (n <= MAX_NAME && memchr(name, '\0', n) == NULL) {
			memcpy(path, name, n);
			path[n] = '\0';
			if (safe_name(path)) {
				check_encoding(path);
				(void)put(top, path, body, next && next >= body ?
					(size_t)(next - body) : next ? 0 :
					(size_t)(end - body));
				files++;
			}
		}
		p = next ? next + 1 : end;
	}
	close(top);
	return 0;
}

static int same_summary(const custody_bag_summary *a,
	const custody_bag_summary *b)
{
	return strcmp(a->bagit_version, b->bagit_version) == 0 &&
		strcmp(a->encoding, b->encoding) == 0 &&
		strcmp(a->algorithms, b->algorithms) == 0 &&
		strcmp(a->tag_algorithms, b->tag_algorithms) == 0 &&
		a->payload_files == b->payload_files &&
		a->payload_bytes == b->payload_bytes &&
		a->fetch_missing == b->fetch_missing &&
		a->errors == b->errors && a->warnings == b->warnings &&
		a->complete == b->complete && a->valid == b->valid &&
		a->custody_files == b->custody_files &&
		a->proofs_checked == b->proofs_checked;
}

static void remove_top(void)
{
	(void)rmdir(top_dir);
}

static int validate(const char *bag, int legacy, unsigned threads,
	struct seen *seen, custody_bag_summary *sum, custody_error **err)
{
	custody_bag_validate_options opts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;

	opts.legacy_encoding = legacy;
	opts.threads = threads;
	opts.problem = on_problem;
	opts.payload = seen;
	return custody_bag_validate(bag, &opts, sum, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char bag[96];
	struct seen first, second;
	custody_bag_summary sum, sum2;
	custody_error *err = NULL;
	char *bytes;
	int legacy, rc, rc2;

	if (top_dir[0] == '\0') {
		/* $TMPDIR, else memory (the bags are small and many) */
		const char *tmp = getenv("TMPDIR");
		struct stat st;

		if (tmp == NULL || strlen(tmp) >= 40)
			tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
				access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
				"/tmp";
		snprintf(top_dir, sizeof(top_dir), "%s/fuzz-bag-XXXXXX", tmp);
		if (mkdtemp(top_dir) == NULL) {
			perror("fuzz_bag: mkdtemp");
			abort();
		}
		atexit(remove_top);
	}
	snprintf(bag, sizeof(bag), "%s/bag", top_dir);
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	if (write_bag(bag, bytes, size, &legacy) != 0) {
		perror("fuzz_bag: cannot write the bag");
		abort();
	}

	rc = validate(bag, legacy, 1, &first, &sum, &err);
	fuzz_expect("bag", rc == 0);
	if (rc == CUSTODY_ENOMEM || first.oom)
		goto cleanup;
	if (rc != 0 && rc != CUSTODY_EVERIFY)
		broken("the validation could not run", err);
	if (rc == CUSTODY_EVERIFY && (err == NULL ||
	    strstr(custody_error_message(err), bag) == NULL ||
	    strstr(custody_error_message(err), "not a valid bag") == NULL))
		broken("an invalid bag without a message naming it", err);
	if ((rc == 0) != (sum.valid && sum.errors == 0))
		broken("the verdict and the summary disagree", err);
	if (sum.valid && !sum.complete)
		broken("a valid bag that is not complete", NULL);
	if (first.errors != sum.errors || first.warnings != sum.warnings)
		broken("the problems reported do not add up to the summary",
			NULL);
	custody_error_free(err);
	err = NULL;

	rc2 = validate(bag, legacy, 2, &second, &sum2, &err);
	if (rc2 == CUSTODY_ENOMEM || second.oom)
		goto cleanup;
	if (rc2 != rc || second.n != first.n || !same_summary(&sum, &sum2))
		broken("two validations of one bag disagree", err);
	for (size_t i = 0; i < first.n; i++)
		if (strcmp(first.lines[i], second.lines[i]) != 0) {
			fprintf(stderr, "fuzz_bag: %s\n  then %s\n",
				first.lines[i], second.lines[i]);
			broken("two validations report problems differently",
				NULL);
		}
cleanup:
	custody_error_free(err);
	seen_free(&first);
	seen_free(&second);
	if (nftw(bag, unlink_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		perror("fuzz_bag: cannot remove the bag");
		abort();
	}
	free(bytes);
	return 0;
}
