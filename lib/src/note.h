/*
 * C2SP signed notes (c2sp.org/signed-note). Only Ed25519 note keys (type
 * 0x01) sign and verify here; signature lines of other types are parsed
 * and, unless their name and key id match a verifier, ignored. The
 * checkpoints notes carry, and the proof files that carry checkpoints,
 * are checkpoint.h's.
 *
 * Every parser is strict and bounded: input is a byte range, never
 * assumed NUL-terminated, and every refusal is CUSTODY_EINVALID with a
 * message naming the input ("note", "checkpoint", "tlog-proof") and the
 * line (1-based).
 */
#ifndef CUSTODY_SRC_NOTE_H
#define CUSTODY_SRC_NOTE_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/key.h"

/* Signature lines a note may carry before it is refused. */
#define CUSTODY_NOTE_MAX_SIGNATURES 100
/* Key names and checkpoint origins longer than this are refused. */
#define CUSTODY_NOTE_NAME_MAX 255

/* ---- signed notes ---- */

/* A verifier: a name and an Ed25519 public key (note key type 0x01). */
struct custody_note_verifier {
	char name[CUSTODY_NOTE_NAME_MAX + 1];
	unsigned char key_id[4];
	unsigned char pub[32];
};

/*
 * From a C2SP vkey "name+hexid+base64(0x01 || key)": the name must be a
 * valid key name (non-empty, at most 255 bytes, UTF-8 without spaces,
 * "+" or control characters), the id 8 lowercase hex digits equal to
 * the id computed from name and key, the key canonical and not of small
 * order. One final "\n" is allowed. Errors: CUSTODY_EINVALID.
 */
int custody_note__verifier_from_vkey(struct custody_note_verifier *out,
	const char *vkey, size_t len, custody_error **err);

/*
 * From a name and a raw key; id computed. A name that is not a valid key
 * name (a checkpoint origin with a space, say) gives a verifier that
 * matches no signature line, as does one longer than 255 bytes (whose
 * name is left empty).
 */
void custody_note__verifier_from_key(struct custody_note_verifier *out,
	const char *name, const unsigned char pub[32]);

/*
 * Sign `text` as `name` with `key`. The text must end in "\n", hold no
 * empty line, be valid UTF-8 and hold no control character but "\n";
 * the name must be a valid key name. Appends to out
 * text || "\n" || U+2014 " " name " " base64(key id || signature) "\n".
 * Errors: CUSTODY_EINVALID (text or name), CUSTODY_ENOMEM, CUSTODY_ERROR
 * (OpenSSL).
 */
int custody_note__sign(custody_buf *out, const char *text, size_t len,
	const char *name, const custody_key *key, custody_error **err);

/*
 * Parse a signed note and check it against `verifiers` (n of them).
 * On success *text_len_out (may be NULL) receives the length of the
 * text: note[0 .. text_len) including its final "\n", not the blank
 * line.
 *
 * CUSTODY_EINVALID, naming the line: invalid UTF-8, a control character
 * other than "\n", no final "\n", no blank line before the signatures,
 * no signature line, a line without an em dash (U+2014) and a space at its
 * start, an invalid key name, a signature that is not canonical base64
 * of at least 5 bytes, more than CUSTODY_NOTE_MAX_SIGNATURES lines; two
 * verifiers with the same name and key id but different keys.
 * CUSTODY_EVERIFY: a signature whose name and key id match a verifier
 * does not verify (naming the line), or no signature line matches a
 * verifier ("not signed by <name>"). Signatures from unknown keys are
 * ignored once parsed; every line is parsed before any verdict.
 */
int custody_note__verify(const char *note, size_t len,
	const struct custody_note_verifier *verifiers, size_t n,
	size_t *text_len_out, custody_error **err)
	__attribute__((warn_unused_result));

/*
 * Check a signed note's syntax (as custody_note__verify, without
 * verifying anything) and give the length of its text.
 */
int custody_note__split(const char *note, size_t len,
	size_t *text_len_out, custody_error **err);

/* One signature line, borrowed from the note (sig from a scratch buffer
 * that lives only during the callback). */
struct custody_note_signature {
	const char *name;          /* not NUL-terminated */
	size_t name_len;
	unsigned char key_id[4];
	const unsigned char *sig;  /* the bytes after the key id */
	size_t sig_len;            /* at least 1 */
	size_t line;               /* 1-based line in the note */
};

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*custody_note_signature_cb)(
	const struct custody_note_signature *sig, void *payload);

/*
 * Check a note's syntax as custody_note__split does, then call cb for
 * each signature line in order (for cosignatures, listings). A note
 * that does not parse makes no call. Returns 0, the parse error, or
 * cb's non-zero value.
 */
int custody_note__signatures(const char *note, size_t len,
	custody_note_signature_cb cb, void *payload, custody_error **err);

/*
 * As custody_note__split, for a note inside another input: messages name
 * `what`, and count lines from `first_line`, the line of `what` the note
 * starts on. *text_len_out (not NULL) is 0 on failure.
 */
int custody_note__split_in(const char *note, size_t len, const char *what,
	size_t first_line, size_t *text_len_out, custody_error **err);

/* ---- text, for the formats built on notes (checkpoint.c) ---- */

/*
 * Why name[0 .. len) is not a valid key name ("is empty", "holds a
 * space", ...), or NULL when it is one: non-empty, UTF-8, no control
 * character, no Unicode space, no "+". (The length limit,
 * CUSTODY_NOTE_NAME_MAX, is the caller's to check.)
 */
const char *custody_note__name_problem(const char *name, size_t len);

/*
 * 0 when text[0 .. len) is UTF-8 without control characters but "\n";
 * else CUSTODY_EINVALID naming `what` and the line, counted from
 * `first_line`.
 */
int custody_note__check_text(const char *text, size_t len, const char *what,
	size_t first_line, custody_error **err);

/* The number of "\n" in text[0 .. len): the line text[len] is on, less one. */
size_t custody_note__count_lines(const char *text, size_t len);

/*
 * The next line at *pos: 1 (line and line_len set, *pos past its "\n"),
 * 0 at the end of the text, -1 when the last line has no "\n".
 */
int custody_note__take_line(const char *text, size_t len, size_t *pos,
	const char **line, size_t *line_len);

#endif
