/*
 * gitignore rules. fnmatch(3) with FNM_PATHNAME matches one component;
 * what fnmatch does not know, a '**' component (any number of folders),
 * is done here, one component at a time.
 */
#include "ignore.h"
#include "common.h"
#include "path.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMPONENTS (CUSTODY_PATH_MAX_BYTES / 2 + 1)

int custody_ignore__add_line(struct custody_ignore_set *set,
	const char *line, size_t len, custody_error **err)
{
	struct custody_ignore_rule rule;
	size_t end = 0;

	memset(&rule, 0, sizeof(rule));
	/* trailing spaces go, unless quoted with a backslash */
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\' && i + 1 < len) {
			i++;
			end = i + 1;
		} else if (line[i] != ' ') {
			end = i + 1;
		}
	}
	len = end;
	if (len == 0 || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		rule.negate = 1;
		line++;
		len--;
	}
	if (len > 0 && line[len - 1] == '/') {
		rule.dir_only = 1;
		len--;
	}
	/* a '/' left at the start or inside anchors the rule */
	rule.anchored = memchr(line, '/', len) != NULL;
	if (len > 0 && line[0] == '/') {
		line++;
		len--;
	}
	if (len == 0)
		return 0;
	if (set->nrules == set->alloc) {
		size_t alloc = set->alloc ? set->alloc * 2 : 8;
		struct custody_ignore_rule *grown = realloc(set->rules,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return custody__oom(err);
		set->rules = grown;
		set->alloc = alloc;
	}
	if ((rule.pattern = strndup(line, len)) == NULL)
		return custody__oom(err);
	set->rules[set->nrules++] = rule;
	return 0;
}

int custody_ignore__parse(struct custody_ignore_set *set, const char *base,
	const char *text, size_t len, custody_error **err)
{
	const char *p = text, *end = text + len;
	int rc;

	memset(set, 0, sizeof(*set));
	if ((set->base = strdup(base)) == NULL)
		return custody__oom(err);
	/* a byte order mark, as some editors write, is not a rule */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* a line ending in CR LF (or a last line in CR), as git
		 * reads it too */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((rc = custody_ignore__add_line(set, p, n, err)) != 0)
			return rc;
		p += n + 1;
	}
	return 0;
}

/* Split s (changed in place) at '/': the number of components. */
static size_t split(char *s, char **parts, size_t max)
{
	size_t n = 0;

	parts[n++] = s;
	for (char *c = s; *c; c++) {
		if (*c == '/' && n < max) {
			*c = '\0';
			parts[n++] = c + 1;
		}
	}
	return n;
}

/*
 * Match name[0 .. nn) against pat[0 .. np), component by component: a
 * '**' component stands for any number of folders, the others are
 * fnmatch patterns of one component each. A trailing '**' is all that
 * is inside, not the folder: it is read as one component of any name
 * followed by any number.
 *
 * This is wildcard matching with '**' as the wildcard, done as the
 * classic greedy walk: on a mismatch, the last '**' seen takes one more
 * component and the walk resumes after it. Going back to the last '**'
 * only is enough because a '**' matches any run of components, and it
 * keeps the work to np * nn steps; trying every split at every '**'
 * (as this did) took longer than any wait for rules like
 * "**" "/" "**" "/" ... "/x" against a deep folder.
 */
static int match_parts(char **pat, size_t np, char **name, size_t nn)
{
	int trailing = np > 0 && strcmp(pat[np - 1], "**") == 0;
	size_t body = trailing ? np - 1 : np;    /* pat[0 .. body) as given */
	size_t ntok = trailing ? body + 2 : body;
	size_t p = 0, n = 0, star = SIZE_MAX, star_n = 0;

#define IS_STAR(t) ((t) < body ? strcmp(pat[t], "**") == 0 : \
	(t) == body + 1)
	while (n < nn) {
		if (p < ntok && IS_STAR(p)) {
			star = p++;
			star_n = n;
		} else if (p < ntok && (p == body ||
		    fnmatch(pat[p], name[n], FNM_PATHNAME) == 0)) {
			/* p == body: the one component of a trailing '**' */
			p++;
			n++;
		} else if (star != SIZE_MAX) {
			p = star + 1;
			n = ++star_n;
		} else {
			return 0;
		}
	}
	while (p < ntok && IS_STAR(p))
		p++;
#undef IS_STAR
	return p == ntok;
}

static int rule_matches(const struct custody_ignore_rule *rule,
	const char *rel, int is_dir)
{
	char pattern_copy[CUSTODY_PATH_MAX_BYTES + 1];
	char name_copy[CUSTODY_PATH_MAX_BYTES + 1];
	char *pat[MAX_COMPONENTS], *name[MAX_COMPONENTS];
	size_t np, nn, plen, rlen;

	if (rule->dir_only && !is_dir)
		return 0;
	if (!rule->anchored) {
		const char *slash = strrchr(rel, '/');

		return fnmatch(rule->pattern, slash ? slash + 1 : rel,
			FNM_PATHNAME) == 0;
	}
	plen = strlen(rule->pattern);
	rlen = strlen(rel);
	if (plen > CUSTODY_PATH_MAX_BYTES || rlen > CUSTODY_PATH_MAX_BYTES)
		return 0;
	memcpy(pattern_copy, rule->pattern, plen + 1);
	memcpy(name_copy, rel, rlen + 1);
	np = split(pattern_copy, pat, MAX_COMPONENTS);
	nn = split(name_copy, name, MAX_COMPONENTS);
	return match_parts(pat, np, name, nn);
}

int custody_ignore__match(const struct custody_ignore_set *set,
	const char *path, int is_dir)
{
	const char *rel = path;
	size_t blen = strlen(set->base);

	if (blen > 0) {
		if (strncmp(path, set->base, blen) != 0 || path[blen] != '/')
			return 0;
		rel = path + blen + 1;
	}
	for (size_t i = set->nrules; i-- > 0; )
		if (rule_matches(&set->rules[i], rel, is_dir))
			return set->rules[i].negate ? -1 : 1;
	return 0;
}

void custody_ignore__free(struct custody_ignore_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nrules; i++)
		free(set->rules[i].pattern);
	free(set->rules);
	free(set->base);
	memset(set, 0, sizeof(*set));
}
