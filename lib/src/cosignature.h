/*
 * C2SP cosignatures (c2sp.org/tlog-cosignature), version cosignature/v1
 * with Ed25519: what a witness adds to a checkpoint once it has checked
 * that the checkpoint extends the last one it cosigned.
 *
 * A cosignature is one signed-note signature line,
 *
 *   "— " name " " base64(key id || u64 BE timestamp || Ed25519 sig) "\n"
 *
 * with key id = SHA-256(name || "\n" || 0x04 || public key)[:4] and the
 * signature over
 *
 *   "cosignature/v1\n" "time " <timestamp, decimal> "\n" || note text
 *
 * where the note text is the checkpoint's (its final "\n" included, no
 * blank line, no signature). A timestamp is POSIX seconds, at most
 * 2^63 - 1; this module never makes one of 0 (the witness protocol
 * forbids it), and leaves to its callers what a verified one may be (a
 * reader refuses one from the future).
 *
 * Thread safety: no state; keys may be shared between threads.
 */
#ifndef CUSTODY_SRC_COSIGNATURE_H
#define CUSTODY_SRC_COSIGNATURE_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "custody/key.h"
#include "note.h"

/* The bytes after the key id: u64 timestamp and an Ed25519 signature. */
#define CUSTODY_COSIG_SIGNATURE_BYTES 72
/* The largest timestamp the spec allows. */
#define CUSTODY_COSIG_MAX_TIMESTAMP UINT64_C(0x7fffffffffffffff)

/* A witness as a reader knows it: its name and Ed25519 cosigning key. */
struct custody_cosig_verifier {
	char name[CUSTODY_NOTE_NAME_MAX + 1];
	unsigned char key_id[4];
	unsigned char pub[32];
};

/*
 * From a vkey "name+hexid+base64(0x04 || key)", as strict as
 * custody_note__verifier_from_vkey: a valid key name of at most 255
 * bytes, 8 lowercase hex digits equal to the id computed from name and
 * key (with type 0x04), canonical base64 of exactly 33 bytes of type
 * 0x04, a key that is canonical and not of small order. One final "\n"
 * is allowed. Errors: CUSTODY_EINVALID ("witness key: ..."); a note key
 * (type 0x01) is refused by name, so a log key given for a witness is
 * not silently taken.
 */
int custody_cosig__verifier_from_vkey(struct custody_cosig_verifier *out,
	const char *vkey, size_t len, custody_error **err);

/* A verifier from a name (a valid key name) and a raw key; id computed. */
int custody_cosig__verifier_from_key(struct custody_cosig_verifier *out,
	const char *name, const unsigned char pub[32], custody_error **err);

/*
 * Append the vkey "name+hexid+base64(0x04 || key)" of the witness key
 * `key` named `name` to out (NUL-terminated, no newline). Errors:
 * CUSTODY_EINVALID (not a valid key name, or longer than 255 bytes),
 * CUSTODY_ENOMEM.
 */
int custody_cosig__vkey(custody_buf *out, const char *name,
	const custody_key *key, custody_error **err);

/*
 * Append the signed message "cosignature/v1\ntime <timestamp>\n" ||
 * text[0 .. len) to out. For tests and for tools that sign elsewhere.
 */
int custody_cosig__message(custody_buf *out, const char *text, size_t len,
	uint64_t timestamp, custody_error **err);

/*
 * Append one signature line cosigning the checkpoint whose note text is
 * text[0 .. len) (it ends in "\n" and carries no blank line and no
 * signature; it must parse as a checkpoint):
 *   "— " name " " base64(key id || u64 BE timestamp || sig64) "\n".
 * Errors: CUSTODY_EINVALID (the text is not a checkpoint's, the name is
 * not a valid key name, a timestamp of 0 or above 2^63 - 1),
 * CUSTODY_ENOMEM, CUSTODY_ERROR (OpenSSL), or the key's own error when it
 * does not open (custody_key_wait). On failure out is as it was.
 */
int custody_cosig__sign(custody_buf *out, const char *text, size_t len,
	const char *name, const custody_key *key, uint64_t timestamp,
	custody_error **err);

/*
 * Check one signature line of a note (from custody_note__signatures)
 * over the note text text[0 .. len) against witness v:
 *   1 when the line's name and key id are not v's (another signer);
 *   0 when it is a valid cosignature by v; *timestamp_out (may be NULL)
 *     receives its timestamp;
 *   CUSTODY_EVERIFY (with err naming the line and the witness) when it
 *     carries v's name and key id but is not 72 bytes, has a timestamp
 *     above 2^63 - 1, or does not verify.
 */
int custody_cosig__verify_line(const struct custody_cosig_verifier *v,
	const char *text, size_t len, const struct custody_note_signature *sig,
	uint64_t *timestamp_out, custody_error **err)
	__attribute__((warn_unused_result));

/*
 * Look for v's cosignature among the signature lines of the signed note
 * note[0 .. len), whose text is note[0 .. text_len) (a checkpoint's):
 *   0 when a line by v verifies: *timestamp_out and the line's place in
 *     the note, [*line_start, *line_start + *line_len) with its "\n"
 *     (each may be NULL);
 *   1 when no line carries v's name and key id;
 *   CUSTODY_EVERIFY when one does and does not verify (a cosignature
 *     over another checkpoint, or forged); CUSTODY_EINVALID when the note
 *     does not parse (or holds a NUL byte).
 */
int custody_cosig__find(const char *note, size_t len, size_t text_len,
	const struct custody_cosig_verifier *v, uint64_t *timestamp_out,
	size_t *line_start, size_t *line_len, custody_error **err)
	__attribute__((warn_unused_result));

/*
 * The length of note[0 .. len) without the cosignature lines (those
 * whose signature is 72 bytes after the key id) that follow its last
 * other signature line: the checkpoint as its log signed it, which is
 * what a timestamp of that checkpoint covers. `len` itself when the note
 * does not parse, or has no other signature line.
 */
size_t custody_cosig__strip(const char *note, size_t len);

#endif
