/*
 * Fuzz target for .custodyignore files and --exclude patterns
 * (custody_ignore__parse, __add_line, __match in lib/src/ignore.c), as
 * `add`, `status` and `verify` read them from a collection that may come
 * from anywhere (a leak's folders, a partner's copy). libFuzzer style;
 * replay.c runs the corpus, tests/fuzz/corpus/ignore.
 *
 * The input is the rule file's text, then optionally a NUL byte and
 * paths to match, one a line ("a/b/" asks about the folder a/b); with
 * no paths, each rule's own pattern is asked about. Besides "never
 * crash, never leak" (and, under libFuzzer, no input that takes seconds
 * to match), it checks:
 *   - parsing never refuses (only running out of memory may fail);
 *   - a byte order mark in front, or CR LF line ends, give the same
 *     rules as the text without;
 *   - rules read under a folder give, for base/PATH, the verdict the
 *     same rules give for PATH at the top;
 *   - every verdict is -1, 0 or 1, and a rule that names a folder only
 *     (trailing '/') never decides for a file;
 *   - the last rule wins: one more rule "*" ignores every path and
 *     "!*" takes every path back;
 *   - a rule without wildcards, alone, matches its own name (anchored:
 *     the path it spells; else that name in any folder too);
 *   - each rule alone gives the verdict of a plain reference matcher
 *     (every split of the path tried at every '**', as ignore.c did
 *     before its walk; given up after a number of steps).
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh ignore SECONDS        (libFuzzer, docs/fuzzing.md)
 */
#include "ignore.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "ignore"
#include "fuzz.h"

#define MAX_PATHS 32
#define MAX_PATH_LEN 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(struct custody_ignore_set *set, const char *base,
	const char *text, size_t len)
{
	custody_error *err = NULL;
	int rc = custody_ignore__parse(set, base, text, len, &err);

	if (rc != 0 && rc != CUSTODY_ENOMEM)
		broken("a rule file refused", err);
	custody_error_free(err);
	return rc;
}

static int same_rules(const struct custody_ignore_set *a,
	const struct custody_ignore_set *b)
{
	if (a->nrules != b->nrules)
		return 0;
	for (size_t i = 0; i < a->nrules; i++)
		if (a->rules[i].negate != b->rules[i].negate ||
		    a->rules[i].dir_only != b->rules[i].dir_only ||
		    a->rules[i].anchored != b->rules[i].anchored ||
		    strcmp(a->rules[i].pattern, b->rules[i].pattern) != 0)
			return 0;
	return 1;
}

static int verdict(const struct custody_ignore_set *set, const char *path,
	int is_dir)
{
	int v = custody_ignore__match(set, path, is_dir);

	if (v < -1 || v > 1)
		broken("a verdict that is not -1, 0 or 1", NULL);
	return v;
}

/* A path the matcher is meant for: components that are not empty,
 * "." or "..", no trailing '/'. */
static int well_formed(const char *path)
{
	const char *c = path;

	if (*path == '\0')
		return 0;
	while (*c) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (slash == NULL)
			break;
		c = slash + 1;
		if (*c == '\0')
			return 0;
	}
	return 1;
}

/* ---- the reference: gitignore's '**' by trying every split ---- */

#define REF_STEPS 20000

static int ref_parts(char **pat, size_t np, char **name, size_t nn,
	long *steps)
{
	if (--*steps < 0)
		return 0;
	if (np == 0)
		return nn == 0;
	if (strcmp(pat[0], "**") == 0) {
		if (np == 1)
			return nn > 0;
		for (size_t k = 0; k <= nn; k++)
			if (ref_parts(pat + 1, np - 1, name + k, nn - k, steps))
				return 1;
		return 0;
	}
	return nn > 0 && fnmatch(pat[0], name[0], FNM_PATHNAME) == 0 &&
		ref_parts(pat + 1, np - 1, name + 1, nn - 1, steps);
}

static size_t ref_split(char *s, char **parts, size_t max)
{
	size_t n = 0;

	parts[n++] = s;
	for (char *c = s; *c && n < max; c++)
		if (*c == '/') {
			*c = '\0';
			parts[n++] = c + 1;
		}
	return n;
}

/* 1 or 0 as the rule matches; -1 when the reference gave up. */
static int ref_rule(const struct custody_ignore_rule *r, const char *path,
	int is_dir)
{
	char pat[MAX_PATH_LEN + 1], name[MAX_PATH_LEN + 1];
	char *pp[MAX_PATH_LEN], *np[MAX_PATH_LEN];
	long steps = REF_STEPS;
	size_t a, b;
	int m;

	if (r->dir_only && !is_dir)
		return 0;
	if (!r->anchored) {
		const char *slash = strrchr(path, '/');

		return fnmatch(r->pattern, slash ? slash + 1 : path,
			FNM_PATHNAME) == 0;
	}
	if ((a = strlen(r->pattern)) > MAX_PATH_LEN ||
	    (b = strlen(path)) > MAX_PATH_LEN)
		return -1;
	memcpy(pat, r->pattern, a + 1);
	memcpy(name, path, b + 1);
	a = ref_split(pat, pp, MAX_PATH_LEN);
	b = ref_split(name, np, MAX_PATH_LEN);
	m = ref_parts(pp, a, np, b, &steps);
	return steps < 0 ? -1 : m;
}

/* The verdicts of `set` on `path` (as a file and as a folder), against
 * what the same rules under the folder "base" say of base/PATH and what
 * one more rule "*" or "!*" makes of them. */
static void check_path(const struct custody_ignore_set *set,
	const struct custody_ignore_set *under,
	const struct custody_ignore_set *all,
	const struct custody_ignore_set *none, const char *path)
{
	char prefixed[MAX_PATH_LEN + 8];
	int is_dir;

	if (!well_formed(path) || strlen(path) > MAX_PATH_LEN)
		return;
	snprintf(prefixed, sizeof(prefixed), "base/%s", path);
	for (is_dir = 0; is_dir <= 1; is_dir++) {
		int v = verdict(set, path, is_dir);

		if (verdict(under, prefixed, is_dir) != v)
			broken("the verdict changed with the rules' folder",
				NULL);
		if (verdict(all, path, is_dir) != 1)
			broken("a last rule \"*\" did not ignore a path", NULL);
		if (verdict(none, path, is_dir) != -1)
			broken("a last rule \"!*\" did not take a path back",
				NULL);
	}
	/* each rule alone: as the reference says; a folder-only rule
	 * never decides for a file */
	for (size_t i = 0; i < set->nrules; i++) {
		struct custody_ignore_set one = *set;
		const struct custody_ignore_rule *r = &set->rules[i];

		one.rules = &set->rules[i];
		one.nrules = 1;
		if (r->dir_only && verdict(&one, path, 0) != 0)
			broken("a folder-only rule decided for a file", NULL);
		for (is_dir = 0; is_dir <= 1; is_dir++) {
			int ref = ref_rule(r, path, is_dir);
			int v = verdict(&one, path, is_dir);

			if (ref >= 0 && v != (ref ? (r->negate ? -1 : 1) : 0)) {
				fprintf(stderr, "fuzz_ignore: rule \"%s\" on "
					"\"%s\"%s: %d, the reference %d\n",
					r->pattern, path, is_dir ? " (folder)" :
					"", v, ref);
				broken("a rule's verdict is not the reference's",
					NULL);
			}
		}
	}
}

/* A rule with no wildcard or escape, alone, matches what it spells. */
static void check_literal(const struct custody_ignore_rule *rule)
{
	struct custody_ignore_set one;
	char path[MAX_PATH_LEN + 8];
	int want = rule->negate ? -1 : 1;

	if (strpbrk(rule->pattern, "*?[\\") != NULL ||
	    !well_formed(rule->pattern) ||
	    strlen(rule->pattern) > MAX_PATH_LEN)
		return;
	memset(&one, 0, sizeof(one));
	one.base = (char *)"";
	one.rules = (struct custody_ignore_rule *)rule;
	one.nrules = 1;
	if (custody_ignore__match(&one, rule->pattern, 1) != want)
		broken("a rule without wildcards missed its own name", NULL);
	if (!rule->anchored) {
		snprintf(path, sizeof(path), "some/folder/%s", rule->pattern);
		if (custody_ignore__match(&one, path, 1) != want)
			broken("an unanchored rule missed its name in a "
				"folder", NULL);
	}
}

static char *with_crlf(const char *text, size_t len, size_t *len_out)
{
	char *out = malloc(2 * len + 1);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			out[n++] = '\r';
		out[n++] = text[i];
	}
	*len_out = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_ignore_set set, under, all, none, other;
	custody_error *err = NULL;
	const char *nul;
	char *bytes, *alt = NULL;
	size_t text_len, alt_len;

	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	nul = memchr(bytes, '\0', size);
	text_len = nul ? (size_t)(nul - bytes) : size;
	memset(&set, 0, sizeof(set));
	memset(&under, 0, sizeof(under));
	memset(&all, 0, sizeof(all));
	memset(&none, 0, sizeof(none));
	memset(&other, 0, sizeof(other));
	if (parse(&set, "", bytes, text_len) != 0 ||
	    parse(&under, "base", bytes, text_len) != 0 ||
	    parse(&all, "", bytes, text_len) != 0 ||
	    parse(&none, "", bytes, text_len) != 0 ||
	    custody_ignore__add_line(&all, "*", 1, &err) != 0 ||
	    custody_ignore__add_line(&none, "!*", 2, &err) != 0)
		goto cleanup;
	if (!same_rules(&set, &under))
		broken("the rules changed with their folder", NULL);

	/* a BOM in front, and CR LF line ends, change nothing */
	if (text_len < 3 || memcmp(bytes, "\xef\xbb\xbf", 3) != 0) {
		if ((alt = malloc(text_len + 3)) == NULL)
			goto cleanup;
		memcpy(alt, "\xef\xbb\xbf", 3);
		memcpy(alt + 3, bytes, text_len);
		if (parse(&other, "", alt, text_len + 3) != 0)
			goto cleanup;
		if (!same_rules(&set, &other))
			broken("a byte order mark changed the rules", NULL);
		custody_ignore__free(&other);
		free(alt);
		alt = NULL;
	}
	if (memchr(bytes, '\r', text_len) == NULL) {
		if ((alt = with_crlf(bytes, text_len, &alt_len)) == NULL ||
		    parse(&other, "", alt, alt_len) != 0)
			goto cleanup;
		if (!same_rules(&set, &other))
			broken("CR LF line ends changed the rules", NULL);
		custody_ignore__free(&other);
	}

	for (size_t i = 0; i < set.nrules; i++)
		check_literal(&set.rules[i]);
	if (nul != NULL) {
		const char *p = nul + 1, *end = bytes + size;
		char path[MAX_PATH_LEN + 1];

		for (int k = 0; k < MAX_PATHS && p < end; k++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			if (n <= MAX_PATH_LEN && memchr(p, '\0', n) == NULL) {
				memcpy(path, p, n);
				path[n] = '\0';
				check_path(&set, &under, &all, &none, path);
			}
			p += n + 1;
		}
	} else {
		for (size_t i = 0; i < set.nrules && i < MAX_PATHS; i++)
			check_path(&set, &under, &all, &none,
				set.rules[i].pattern);
	}
cleanup:
	custody_error_free(err);
	custody_ignore__free(&set);
	custody_ignore__free(&under);
	custody_ignore__free(&all);
	custody_ignore__free(&none);
	custody_ignore__free(&other);
	free(alt);
	free(bytes);
	return 0;
}
