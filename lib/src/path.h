/*
 * Path rules: what a registered path may be, and the keys used to find
 * names that would collide on a case-insensitive or normalising file
 * system.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_PATH_H
#define CUSTODY_SRC_PATH_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

/* Longest registered path, in bytes. */
#define CUSTODY_PATH_MAX_BYTES 4096
/* Room for a path quoted in a message (custody_path__quote). */
#define CUSTODY_PATH_QUOTE_BYTES 320

/*
 * Path rules shared by the entry reader and by `custody add`: returns 0
 * when `path` is an acceptable registered path, else CUSTODY_EINVALID
 * with the reason in *err.
 */
int custody_path__check(const char *path, custody_error **err);

/*
 * The same rules less the code points refused since names were first
 * checked (C1, bidi controls, line and paragraph separators): what an
 * entry already in a log may hold, so that archives made before still
 * read. Such names are refused for new registrations, and quoted
 * wherever they are printed.
 */
int custody_path__check_recorded(const char *path, custody_error **err);

/*
 * The rules (custody_path__check, or with `recorded`
 * custody_path__check_recorded) for a path registered without its
 * content: a component named .git, in any spelling, is accepted
 * (leaked source code holds such folders). Only storing one is unsafe:
 * the content would become a git tree entry named .git, which git
 * refuses, and a restore would write a repository (its hooks and
 * config run by git) into the partner's folder.
 */
int custody_path__check_hashes_only(const char *path, int recorded,
	custody_error **err);

/*
 * The length of path's leading part up to and including its first
 * component git would take for .git ("a/.GIT" of "a/.GIT/config"), or 0
 * when it has none.
 */
size_t custody_path__git_prefix(const char *path);

/*
 * 1 when `path` is valid UTF-8 already in Unicode NFC, else 0 (also when
 * memory runs out: the caller then refuses the path, the safe way).
 * In path_unicode.c, as custody_path__fold.
 */
int custody_path__is_nfc(const char *path);

/*
 * *out = NFC + Unicode case fold of `path`, malloc'd (free with free()).
 * Two paths with equal keys would collide on a case-insensitive or
 * normalising file system (macOS, Windows).
 * Errors: CUSTODY_EINVALID (not UTF-8), CUSTODY_ENOMEM.
 */
int custody_path__fold(const char *path, char **out, custody_error **err);

/*
 * Write `path` into out (len bytes, always NUL-terminated), for messages:
 * control and invisible characters (Unicode categories Cc, Cf, Zl, Zp,
 * unassigned) as \u{XXXX}, bytes that are not UTF-8 and backslashes as
 * \xNN; a path too long for out ends in "...".
 */
void custody_path__quote(char *out, size_t len, const char *path);

/*
 * 1 when cp is one of the control characters a registered name may hold:
 * tab, line feed, carriage return (git and every file system take them,
 * and a leak or a bag can hold such names). They are stored byte for
 * byte and printed only quoted or escaped; every other C0 control and
 * DEL is refused (docs/design-notes.md, "Control characters in names").
 */
int custody_path__name_control(uint32_t cp);

/* 1 when s[0 .. len) is all ASCII. */
int custody_path__is_ascii(const char *s, size_t len);

/* ---- Unicode, for the rules above ---- */

/*
 * What the rules need to know of Unicode, in one place: path_unicode.c
 * asks utf8proc. The check-only library (-Dcheck_only=true) has no
 * utf8proc and links path_ascii.c, which knows the properties of ASCII
 * only and says there what it does with the rest.
 */

/*
 * The code point at s (len > 0 bytes left) into *cp, and its length in
 * bytes (1 to 4); 0 when s does not start with one in UTF-8 (a bad lead
 * or continuation byte, overlong, a surrogate, above U+10FFFF, cut
 * short).
 */
size_t custody_path__utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * 1 when cp is of a Unicode category a reader does not see as a
 * character (Cc, Cf, Zl, Zp, Cs, Cn): custody_path__quote escapes it.
 */
int custody_path__invisible(uint32_t cp);

/*
 * *out = component[0 .. len) as file systems that ignore case and
 * default-ignorable code points compare names: NFC, case-folded, those
 * code points removed; malloc'd (free with free()). The component is
 * valid UTF-8. 0, or CUSTODY_ENOMEM.
 */
int custody_path__fold_ignorable(const char *component, size_t len,
	char **out);

#endif
