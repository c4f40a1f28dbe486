/*
 * Leaving files out: the rules of .custodyignore files and of --exclude,
 * in gitignore syntax (gitignore(5)): '#' comments, blank lines, '!'
 * to take a name back, a trailing '/' for folders only, a '/' at the
 * start or inside anchoring the rule to its file's folder, '*', '?',
 * '[...]' and '**'. The last rule that matches wins; a rule of a deeper
 * folder comes after those above it, --exclude rules after all files.
 * As in git, nothing inside an ignored folder can be taken back.
 *
 * Thread safety: a rule set is read-only once parsed.
 */
#ifndef CUSTODY_SRC_IGNORE_H
#define CUSTODY_SRC_IGNORE_H

#include <stddef.h>
#include "custody/common.h"

/* The name of the rule files. */
#define CUSTODY_IGNORE_FILE ".custodyignore"

struct custody_ignore_rule {
	char *pattern;       /* without '!', the anchoring '/', trailing '/' */
	int negate;          /* '!': the name is kept */
	int dir_only;        /* trailing '/' */
	int anchored;        /* matched against the whole relative path */
};

/* The rules of one file (or of --exclude), for the paths under `base`
 * ("" for the collection). */
struct custody_ignore_set {
	char *base;
	struct custody_ignore_rule *rules;
	size_t nrules, alloc;
};

/*
 * Parse `text` (len bytes, a .custodyignore file's content) into *set,
 * rules for the paths below `base`. Lines of any length, ending in LF or
 * CR LF; a line that is not a rule (a comment, blank) is skipped. 0, or
 * CUSTODY_ENOMEM.
 */
int custody_ignore__parse(struct custody_ignore_set *set, const char *base,
	const char *text, size_t len, custody_error **err);

/* Add one rule line (an --exclude pattern). 0, or CUSTODY_ENOMEM. */
int custody_ignore__add_line(struct custody_ignore_set *set,
	const char *line, size_t len, custody_error **err);

/*
 * The verdict of `set` on `path` (collection-relative, no trailing '/';
 * a folder when is_dir): 1 ignored, -1 taken back by a '!' rule, 0 no
 * rule matches (the verdict of an earlier set stands).
 */
int custody_ignore__match(const struct custody_ignore_set *set,
	const char *path, int is_dir);

void custody_ignore__free(struct custody_ignore_set *set);

#endif
