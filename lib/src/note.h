/*
 * C2SP signed notes (c2sp.org/signed-note), the checkpoints they carry
 * (c2sp.org/tlog-checkpoint) and the proof files that carry checkpoints
 * (c2sp.org/tlog-proof@v1). Only Ed25519 note keys (type 0x01) sign and
 * verify here; signature lines of other types are parsed and, unless
 * their name and key id match a verifier, ignored.
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

/* ---- checkpoints (c2sp.org/tlog-checkpoint) ---- */

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
