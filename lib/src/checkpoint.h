/*
 * C2SP checkpoints (c2sp.org/tlog-checkpoint), the text of a signed note,
 * and the proof files that carry them (c2sp.org/tlog-proof@v1).
 *
 * Every parser is strict and bounded: input is a byte range, never
 * assumed NUL-terminated, and every refusal is CUSTODY_EINVALID with a
 * message naming the input ("checkpoint", "tlog-proof") and the line
 * (1-based).
 */
#ifndef CUSTODY_SRC_CHECKPOINT_H
#define CUSTODY_SRC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "note.h"

struct custody_checkpoint {
	char origin[CUSTODY_NOTE_NAME_MAX + 1];
	uint64_t size;
	unsigned char root[32];
	/* Extension lines the parsed text had after the root (they stay in
	 * the caller's text); format writes none and ignores this. */
	size_t extension_lines;
};

/*
 * Append "<origin>\n<size>\n<base64 root>\n" to out. The origin must be
 * non-empty UTF-8 without control characters and the size below 2^63.
 * Errors: CUSTODY_EINVALID, CUSTODY_ENOMEM.
 */
int custody_checkpoint__format(const struct custody_checkpoint *c,
	custody_buf *out, custody_error **err);

/*
 * Parse a checkpoint's note TEXT (without blank line and signatures):
 * origin 1 to 255 bytes of UTF-8 without control characters; size
 * decimal without leading zeros (but "0"), below 2^63; root exactly 32
 * bytes of canonical base64; then any non-empty extension lines,
 * counted. Every line ends in "\n". Errors: CUSTODY_EINVALID naming the
 * line ("checkpoint line 2: ...").
 */
int custody_checkpoint__parse(struct custody_checkpoint *out,
	const char *text, size_t len, custody_error **err);

/* ---- tlog-proof files (c2sp.org/tlog-proof@v1) ---- */

#define CUSTODY_TLOG_PROOF_MAX_HASHES 64
#define CUSTODY_TLOG_PROOF_MAX_EXTRA (1024 * 1024)
#define CUSTODY_TLOG_PROOF_MAX_SIZE (2 * 1024 * 1024)

struct custody_tlog_proof {
	unsigned char *extra;        /* malloc'd when parsed */
	size_t extra_len;
	int has_extra;               /* an "extra" line, maybe empty */
	uint64_t index;
	unsigned char (*hashes)[32]; /* malloc'd when parsed */
	size_t nhashes;              /* <= CUSTODY_TLOG_PROOF_MAX_HASHES */
	char *checkpoint;            /* the signed note, verbatim; malloc'd
	                                and NUL-terminated when parsed */
	size_t checkpoint_len;
};

/*
 * Append the proof file to out:
 *   "c2sp.org/tlog-proof@v1\n" ["extra " base64 "\n"] "index " N "\n"
 *   (base64 hash "\n")* "\n" checkpoint
 * Refused (CUSTODY_EINVALID) when parsing the result would fail: too
 * many hashes, extra over 1 MiB, index of 2^63 or more, a checkpoint
 * that is not a well-formed signed checkpoint, a file over 2 MiB.
 */
int custody_tlog_proof__format(const struct custody_tlog_proof *p,
	custody_buf *out, custody_error **err);

/*
 * Strict parse into *out (cleared first; on failure left empty). The
 * checkpoint must be a well-formed signed note (custody_note__split)
 * whose text is a checkpoint (custody_checkpoint__parse); its signatures
 * are not verified here. Limits: the file at most 2 MiB, extra at most
 * 1 MiB, at most 64 hashes. Errors: CUSTODY_EINVALID naming the line
 * ("tlog-proof line 3: ..."), CUSTODY_ENOMEM.
 */
int custody_tlog_proof__parse(struct custody_tlog_proof *out,
	const char *text, size_t len, custody_error **err);

/* Free what parse allocated and zero the struct. NULL is a no-op. */
void custody_tlog_proof__clear(struct custody_tlog_proof *p);

#endif
