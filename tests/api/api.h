/*
 * tests/api/api.h - what the API test programs share: EXPECT macros, a
 * temporary folder per test (HOME points into it, so no real key folder
 * is touched), writing and reading files, running a command.
 *
 * The programs use only the public API, <custody.h>, and are compiled as
 * an outside program would be (C99, pkg-config's flags; see run.sh).
 * Include this header first: it asks for POSIX.1-2008.
 */
#ifndef CUSTODY_TESTS_API_H
#define CUSTODY_TESTS_API_H

#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <custody.h>

struct api_test {
	const char *name;
	void (*run)(void);
};
#define API_TEST(fn) { #fn, fn }

/* The program's state, in one place; helpers are static inline so that
 * a program need not use them all. */
struct api_state {
	char root[4096];          /* the program's temporary folder */
	int failures;             /* failed expectations so far */
	void **owned;             /* memory api_own()ed, freed at the end */
	size_t nowned;
};

static inline struct api_state *api_state(void)
{
	static struct api_state state;
	return &state;
}

static inline void api_fail(const char *file, int line, const char *fmt,
	...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	api_state()->failures++;
}

/* Stop the program: the rest of the test cannot run. */
static inline void api_abort(void);

/* ---- expectations ---- */

#define EXPECT(cond) do { \
	if (!(cond)) \
		api_fail(__FILE__, __LINE__, "expected %s", #cond); \
} while (0)

/* As EXPECT, but stops the program: the rest of the test needs it. */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		api_fail(__FILE__, __LINE__, "expected %s", #cond); \
		api_abort(); \
	} \
} while (0)

#define EXPECT_INT(actual, expected) do { \
	long long a_ = (long long)(actual), e_ = (long long)(expected); \
	if (a_ != e_) \
		api_fail(__FILE__, __LINE__, "%s is %lld, expected %lld", \
			#actual, a_, e_); \
} while (0)

#define EXPECT_STR(actual, expected) do { \
	const char *a_ = (actual), *e_ = (expected); \
	if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) \
		api_fail(__FILE__, __LINE__, "%s is \"%s\", expected " \
			"\"%s\"", #actual, a_ ? a_ : "(null)", \
			e_ ? e_ : "(null)"); \
} while (0)

/* `needle` occurs in `haystack` (a NUL-terminated string). */
#define EXPECT_HAS(haystack, needle) do { \
	const char *h_ = (haystack), *n_ = (needle); \
	if (h_ == NULL || strstr(h_, n_) == NULL) \
		api_fail(__FILE__, __LINE__, "%s is \"%s\", expected it " \
			"to contain \"%s\"", #haystack, \
			h_ ? h_ : "(null)", n_); \
} while (0)

/*
 * The call succeeds. The calls use a `custody_error *err` of the
 * caller's (NULL before the call); it is freed and reset afterwards.
 * REQUIRE_OK stops the program when the call fails: the rest of the
 * test depends on it.
 */
#define EXPECT_OK(call) do { \
	int rc_ = (call); \
	if (rc_ != 0) \
		api_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, \
			rc_, err ? custody_error_message(err) : "(no error)"); \
	custody_error_free(err); \
	err = NULL; \
} while (0)

#define REQUIRE_OK(call) do { \
	int rc_ = (call); \
	if (rc_ != 0) { \
		api_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, \
			rc_, err ? custody_error_message(err) : "(no error)"); \
		api_abort(); \
	} \
	custody_error_free(err); \
	err = NULL; \
} while (0)

/*
 * The call fails with `code`, its error has that code, and its message
 * contains `words` (NULL: any message). The error is freed and reset.
 */
#define EXPECT_ERROR(call, code, words) do { \
	int rc_ = (call); \
	const char *w_ = (words); \
	if (rc_ != (code)) \
		api_fail(__FILE__, __LINE__, "%s returned %d, expected %s " \
			"(%d): %s", #call, rc_, #code, (code), \
			err ? custody_error_message(err) : "(no error)"); \
	else if (err == NULL) \
		api_fail(__FILE__, __LINE__, "%s set no error", #call); \
	else if (custody_error_code(err) != (code)) \
		api_fail(__FILE__, __LINE__, "%s: error code %d, expected " \
			"%d", #call, custody_error_code(err), (code)); \
	else if (w_ != NULL && \
	    strstr(custody_error_message(err), w_) == NULL) \
		api_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks " \
			"\"%s\"", #call, custody_error_message(err), w_); \
	custody_error_free(err); \
	err = NULL; \
} while (0)

/* ---- memory, files and commands ---- */

/* Keep `p` until the program ends (then free it); returns p. */
static inline void *api_own(void *p)
{
	struct api_state *s = api_state();
	void **grown;

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		api_abort();
	}
	grown = realloc(s->owned, (s->nowned + 1) * sizeof(*grown));
	if (grown == NULL) {
		fprintf(stderr, "out of memory\n");
		free(p);
		api_abort();
	}
	s->owned = grown;
	s->owned[s->nowned++] = p;
	return p;
}

/* A formatted string, kept until the program ends. */
static inline char *api_printf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = api_own(malloc((size_t)n + 1));
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* The absolute path of `rel` in the current test's folder. */
static inline char *api_path(const char *rel)
{
	char cwd[4096];

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		perror("getcwd");
		api_abort();
	}
	return api_printf("%s/%s", cwd, rel);
}

static inline void api_write_bytes(const char *path, const void *data,
	size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		api_abort();
	}
}

static inline void api_write(const char *path, const char *text)
{
	api_write_bytes(path, text, strlen(text));
}

/* The whole file, NUL-terminated (kept until the program ends), its
 * length in *len (may be NULL); NULL when it cannot be read. */
static inline char *api_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *grown = realloc(data, cap = 2 * cap + 8192);
			if (grown == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = grown;
		}
		got = fread(data + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return api_own(data);
}

static inline void api_mkdir(const char *path)
{
	if (mkdir(path, 0700) != 0) {
		perror(path);
		api_abort();
	}
}

/*
 * Run a shell command (formatted) in the current folder; its standard
 * output, when out is not NULL, into *out (kept until the program ends).
 * Returns its exit status, or -1 when it did not exit normally.
 */
static inline int api_vsh(char **out, const char *fmt, va_list ap)
{
	char *command, *text = NULL, chunk[4096];
	size_t len = 0, got;
	va_list copy;
	int n, status;
	FILE *p;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	command = api_own(malloc((size_t)n + 1));
	vsnprintf(command, (size_t)n + 1, fmt, ap);
	fflush(NULL);
	if ((p = popen(command, "r")) == NULL) {
		perror(command);
		api_abort();
	}
	while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		char *grown = realloc(text, len + got + 1);

		if (grown == NULL) {
			free(text);
			pclose(p);
			api_abort();
		}
		text = grown;
		memcpy(text + len, chunk, got);
		len += got;
	}
	if (text == NULL && (text = malloc(1)) == NULL) {
		pclose(p);
		api_abort();
	}
	text[len] = '\0';
	if (out)
		*out = api_own(text);
	else
		free(text);
	status = pclose(p);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int api_sh(char **out, const char *fmt, ...)
{
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = api_vsh(out, fmt, ap);
	va_end(ap);
	return status;
}

/* `text` without its trailing newline, if any (NULL stays NULL). */
static inline char *api_chomp(char *text)
{
	size_t n = text ? strlen(text) : 0;

	if (n > 0 && text[n - 1] == '\n')
		text[n - 1] = '\0';
	return text;
}

/* The first line a command prints, which must exit 0 (else a failure
 * is counted and the line is whatever it printed). */
static inline char *api_sh_line(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL, *eol;
	int status;

	va_start(ap, fmt);
	status = api_vsh(&out, fmt, ap);
	va_end(ap);
	if (status != 0)
		api_fail(__FILE__, __LINE__, "command exited %d: %s", status,
			fmt);
	if ((eol = strchr(out, '\n')) != NULL)
		*eol = '\0';
	return out;
}

/* The throw-away timestamp authority of tests/data/tsa (run.sh says
 * where that is), made in folder "pki"; 0 on success. */
static inline int api_tsa_pki(void)
{
	const char *data = getenv("API_TEST_DATA");

	if (data == NULL) {
		api_fail(__FILE__, __LINE__, "API_TEST_DATA is not set");
		return -1;
	}
	api_mkdir("pki");
	return api_sh(NULL, "sh '%s/tsa/make-pki.sh' pki >/dev/null 2>&1",
		data);
}

/* That authority's reply (openssl ts -reply) to a request file. */
static inline void api_tsa_reply(const char *query, const char *reply)
{
	if (api_sh(NULL, "openssl ts -reply -queryfile '%s' -inkey "
	    "pki/tsa.key -signer pki/tsa.pem -config pki/tsa.cnf -out '%s' "
	    "2>/dev/null", query, reply) != 0)
		api_fail(__FILE__, __LINE__, "openssl ts -reply failed");
}

/* ---- the program ---- */

static inline int api__remove(const char *path, const struct stat *st,
	int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		perror(path);
	return 0;
}

static inline void api__finish(void)
{
	struct api_state *s = api_state();

	if (s->root[0] != '\0') {
		if (chdir("/") != 0)
			perror("/");
		/* stored git objects are read-only: open them up first */
		if (api_sh(NULL, "chmod -R u+rwx '%s'", s->root) != 0)
			fprintf(stderr, "cannot chmod %s\n", s->root);
		nftw(s->root, api__remove, 16, FTW_DEPTH | FTW_PHYS);
		s->root[0] = '\0';
	}
	for (size_t i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	s->owned = NULL;
	s->nowned = 0;
}

static inline void api_abort(void)
{
	fprintf(stderr, "stopping: the rest depends on what failed\n");
	api__finish();
	exit(1);
}

/*
 * Run each test in a folder of its own (the current folder, and HOME)
 * under a temporary folder of the program's, removed at the end. The
 * environment variables the library reads are cleared first. Returns
 * the program's exit status: 0 when every expectation held.
 */
static inline int api_main(const char *program, const struct api_test *tests)
{
	struct api_state *s = api_state();
	const char *tmpdir = getenv("TMPDIR");
	static const char *const cleared[] = { "CUSTODY_KEY_DIR",
		"XDG_CONFIG_HOME", "CUSTODY_ARCHIVE", "CUSTODY_KEY",
		"CUSTODY_PASSPHRASE", "SSH_AUTH_SOCK" };

	for (size_t i = 0; i < sizeof(cleared) / sizeof(*cleared); i++)
		unsetenv(cleared[i]);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	snprintf(s->root, sizeof(s->root), "%s/custody-api-%s.XXXXXX",
		tmpdir && tmpdir[0] ? tmpdir : "/tmp", program);
	if (mkdtemp(s->root) == NULL) {
		perror(s->root);
		s->root[0] = '\0';
		return 1;
	}
	for (const struct api_test *t = tests; t->name; t++) {
		char *dir = api_printf("%s/%s", s->root, t->name);
		int before = s->failures;

		api_mkdir(dir);
		if (chdir(dir) != 0) {
			perror(dir);
			api_abort();
		}
		setenv("HOME", dir, 1);
		t->run();
		unsetenv("CUSTODY_KEY_DIR");
		unsetenv("XDG_CONFIG_HOME");
		printf("%s %s\n", s->failures == before ? "ok  " : "FAIL",
			t->name);
	}
	api__finish();
	if (s->failures) {
		fprintf(stderr, "%s: %d failure(s)\n", program, s->failures);
		return 1;
	}
	printf("%s: ok\n", program);
	return 0;
}

/* ---- things most tests need ---- */

/* A fresh key; the caller frees it with custody_key_free. */
static inline custody_key *api_key(void)
{
	custody_error *err = NULL;
	custody_key *key = NULL;

	REQUIRE_OK(custody_key_generate(&key, &err));
	return key;
}

/* The "ssh-ed25519 AAAA..." line of a key's public half. */
static inline char *api_openssh(const custody_pubkey *key)
{
	custody_error *err = NULL;
	custody_buf line = CUSTODY_BUF_INIT;
	char *copy;

	REQUIRE_OK(custody_pubkey_openssh(key, &line, &err));
	copy = api_printf("%s", line.ptr);
	custody_buf_dispose(&line);
	return copy;
}

/*
 * An archive for the collection folder "coll" (made here, holding the
 * files given as pairs of relative path and text, NULL-terminated),
 * founded by member "alice" with `key`, origin example.org/api-test.
 */
static inline custody_archive *api_archive(const custody_key *key, ...)
{
	custody_error *err = NULL;
	custody_archive *archive = NULL;
	custody_init_options opts = CUSTODY_INIT_OPTIONS_INIT;
	const char *rel;
	va_list ap;

	api_mkdir("coll");
	va_start(ap, key);
	while ((rel = va_arg(ap, const char *)) != NULL) {
		const char *text = va_arg(ap, const char *);
		char *path = api_printf("coll/%s", rel), *slash = path + 5;

		while ((slash = strchr(slash, '/')) != NULL) {
			*slash = '\0';
			if (mkdir(path, 0700) != 0 && errno != EEXIST) {
				perror(path);
				api_abort();
			}
			*slash++ = '/';
		}
		api_write(path, text);
	}
	va_end(ap);
	opts.collection = api_path("coll");
	opts.origin = "example.org/api-test";
	opts.key = key;
	/* the tests sign checkpoints with the founder's key: one key in
	 * both roles keeps their checks short (tests/cli has them apart) */
	opts.log_key = key;
	opts.member = "alice";
	REQUIRE_OK(custody_archive_init(&archive, &opts, &err));
	return archive;
}

/* Register `paths` (relative to the current folder); the summary. */
static inline custody_add_summary api_add(custody_archive *archive,
	const char *const *paths, size_t npaths)
{
	custody_error *err = NULL;
	custody_add_options opts = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary summary;

	memset(&summary, 0, sizeof(summary));
	opts.threads = 1;
	REQUIRE_OK(custody_archive_add(archive, paths, npaths, &opts, NULL,
		NULL, &summary, &err));
	return summary;
}

#endif
