/*
 * What the bag module's files share: the path encoding of manifest and
 * fetch.txt lines (RFC 8493 2.1.3), tag-file lines, and the digests the
 * RFC names.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_BAG_H
#define CUSTODY_SRC_BAG_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/bag.h"

/*
 * Decode a manifest or fetch.txt path: %0D, %0A and %25 (either case of
 * hex digit) become CR, LF and '%'; anything else, another %XX included,
 * stays as written. *literal_out counts the '%' left as they were (the
 * RFC wants every '%' encoded, so each is a sign of a tool that did
 * not). malloc'd; NULL on out of memory.
 */
char *custody_bag__decode_path(const char *text, size_t len,
	size_t *literal_out);

/*
 * The next line of a tag file: lines end in LF, CR LF or CR (RFC 8493
 * 2.3). From *pos in text[0 .. len): *line_out and *line_len_out, *pos
 * moved past the line and its end. 0 at the end of the text, else 1.
 */
int custody_bag__next_line(const char *text, size_t len, size_t *pos,
	const char **line_out, size_t *line_len_out);

/* A fetch.txt line, "URL LENGTH FILEPATH", cut at its runs of spaces
 * and tabs (RFC 8493 2.2.3): line[0 .. url_end) is the URL,
 * line[length_start .. length_end) the length, and the path runs from
 * path_start to the end of the line (it may hold spaces). 0, or -1 when
 * the line has not that shape. */
struct custody_bag_fetch_line {
	size_t url_end, length_start, length_end, path_start;
};
int custody_bag__fetch_fields(const char *line, size_t len,
	struct custody_bag_fetch_line *out);

/* The digests of RFC 8493 2.4 (and the other SHA-2 lengths), by the
 * name a manifest's file name carries: "md5", "sha1", "sha224",
 * "sha256", "sha384", "sha512". */
struct custody_bag_algorithm {
	const char *name;      /* as in manifest-<name>.txt */
	const char *evp_name;  /* OpenSSL's */
	size_t size;           /* bytes */
};
/* The algorithm named `name` (len bytes), or NULL. */
const struct custody_bag_algorithm *custody_bag__algorithm(
	const char *name, size_t len);

/* 1 when s[0 .. len) is valid UTF-8; else 0 and *bad_out is the offset
 * of the first byte that is not. */
int custody_bag__is_utf8(const char *s, size_t len, size_t *bad_out);

/*
 * Why a decoded manifest or fetch.txt path may not name a file of the
 * bag (RFC 8493 4.1: absolute, "~", a "..", "." or empty component, a
 * trailing '/'), as words that follow "path " in a message; NULL when it
 * may.
 */
const char *custody_bag__unsafe_path(const char *path);

/* The NFC form of the UTF-8 `path`, malloc'd; NULL when it is not
 * UTF-8 or memory ran out. */
char *custody_bag__nfc(const char *path);

/*
 * The custody tag files of a bag (custody/proofs/PATH.proof for each
 * payload file data/PATH), checked as custody_check checks a proof: the
 * payload file against its entry, the entry in the signed tree, the
 * checkpoint's signature by `key` or under `policy`. Both NULL: nothing
 * is checked and one warning says so. Each problem goes to `problem`
 * (error 1, warning 0); `payload_paths` are the bag's payload files
 * (sorted, "data/..."), present and regular.
 */
struct custody_bag__custody_check {
	const char *bag;
	const char *key;
	const char *policy;
	size_t policy_len;
	const char *const *payload_paths;
	size_t npayload;
	void (*problem)(void *payload, int error, const char *file,
		const char *path, const char *message);
	void *payload;
	size_t proofs_checked;     /* out */
};
int custody_bag__check_custody(struct custody_bag__custody_check *c,
	custody_error **err);

#endif
