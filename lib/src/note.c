/*
 * C2SP signed notes. A note can sit inside another input (a checkpoint
 * in a proof file, checkpoint.c), so the parsers take the name of the
 * outer input and the line the note's bytes start on: an error deep
 * inside a proof still names the proof's line.
 */
#include "note.h"
#include "base64.h"
#include "ed25519.h"
#include "common.h"
#include "fsutil.h"
#include "key.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define EM_DASH_SPACE "\xe2\x80\x94 "
#define EM_DASH_SPACE_LEN 4

/* ---- text checks ---- */

/*
 * Length of the UTF-8 sequence at s (1 to 4), with its code point, or 0
 * when it is not well-formed (overlong, surrogate, above U+10FFFF,
 * truncated).
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		*cp = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		*cp = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xbf))
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return need;
}

/* Unicode White_Space: what the spec means by "Unicode spaces". */
static int is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
		cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
		cp == 0x205f || cp == 0x3000;
}

/*
 * Notes are UTF-8 without ASCII control characters other than "\n"
 * (the spec's "control characters" are those below U+0020). `first_line`
 * is the line number of text[0] in `what`.
 */
int custody_note__check_text(const char *text, size_t len, const char *what,
	size_t first_line, custody_error **err)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t line = first_line;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);

		if (n == 0)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: invalid UTF-8 (byte 0x%02x)",
				what, line, s[i]);
		if (cp < 0x20 && cp != '\n')
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: control character 0x%02x",
				what, line, (unsigned)cp);
		if (cp == '\n')
			line++;
		i += n;
	}
	return 0;
}

/*
 * Why `name` is not a valid key name, or NULL: non-empty, well-formed
 * UTF-8, no control character (below U+0020), no Unicode space, no "+".
 */
const char *custody_note__name_problem(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;

	if (len == 0)
		return "is empty";
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);

		if (n == 0)
			return "is not valid UTF-8";
		if (is_space(cp))
			return "holds a space";
		if (cp < 0x20)
			return "holds a control character";
		if (cp == '+')
			return "holds a \"+\"";
		i += n;
	}
	return NULL;
}

/* The number of "\n" in text[0 .. len): the line text[len] is on, less one. */
size_t custody_note__count_lines(const char *text, size_t len)
{
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	return lines;
}

/*
 * The next line at *pos: 1 (line and line_len set, *pos past its "\n"),
 * 0 at the end of the text, -1 when the last line has no "\n".
 */
int custody_note__take_line(const char *text, size_t len, size_t *pos,
	const char **line, size_t *line_len)
{
	const char *eol;

	if (*pos >= len)
		return 0;
	eol = memchr(text + *pos, '\n', len - *pos);
	if (eol == NULL)
		return -1;
	*line = text + *pos;
	*line_len = (size_t)(eol - *line);
	*pos += *line_len + 1;
	return 1;
}

/* ---- signed notes ---- */

/*
 * Parse the signature lines in block[0 .. len), which ends in "\n" and
 * whose first line is line `number` of `what`; call cb (when not NULL)
 * for each. `scratch` has room for len / 4 * 3 bytes.
 */
static int walk_signatures(const char *block, size_t len, const char *what,
	size_t number, unsigned char *scratch, custody_note_signature_cb cb,
	void *payload, custody_error **err)
{
	size_t pos = 0, count = 0, line_len;
	const char *line;

	/* block ends in "\n", so every line is whole */
	for (; custody_note__take_line(block, len, &pos, &line, &line_len) == 1;
	    number++) {
		struct custody_note_signature sig;
		const char *space, *b64, *problem;
		size_t b64_len, decoded;
		int rc;

		if (++count > CUSTODY_NOTE_MAX_SIGNATURES)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: more than %d signature lines",
				what, number, CUSTODY_NOTE_MAX_SIGNATURES);
		if (line_len < EM_DASH_SPACE_LEN ||
		    memcmp(line, EM_DASH_SPACE, EM_DASH_SPACE_LEN) != 0)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: a signature line must start with "
				"an em dash (U+2014) and a space", what,
				number);
		sig.name = line + EM_DASH_SPACE_LEN;
		space = memchr(sig.name, ' ', line_len - EM_DASH_SPACE_LEN);
		if (space == NULL)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: no space between the key name "
				"and the signature", what, number);
		sig.name_len = (size_t)(space - sig.name);
		problem = custody_note__name_problem(sig.name, sig.name_len);
		if (problem != NULL)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: the key name %s", what, number,
				problem);
		b64 = space + 1;
		b64_len = (size_t)(line + line_len - b64);
		if (b64_len == 0 || custody_base64_decode(scratch, &decoded,
		    b64, b64_len) != 0)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: the signature is not canonical "
				"base64", what, number);
		if (decoded < 5)
			return custody__error(err, CUSTODY_EINVALID,
				"%s line %zu: the signature is shorter than a "
				"key id and one byte", what, number);
		memcpy(sig.key_id, scratch, 4);
		sig.sig = scratch + 4;
		sig.sig_len = decoded - 4;
		sig.line = number;
		if (cb != NULL && (rc = cb(&sig, payload)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Check a note's syntax; *text_len receives its text's length (before
 * cb is first called; 0 again on failure). With cb, every line is
 * checked first, then cb called for each signature.
 */
static int parse_note(const char *note, size_t len, const char *what,
	size_t first_line, size_t *text_len, custody_note_signature_cb cb,
	void *payload, custody_error **err)
{
	unsigned char *scratch;
	size_t split = 0, sig_line;
	int rc;

	*text_len = 0;
	if (custody_note__check_text(note, len, what, first_line, err) != 0)
		return CUSTODY_EINVALID;
	if (len == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the note is empty", what, first_line);
	if (note[len - 1] != '\n')
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: the last line does not end with a "
			"newline", what,
			first_line + custody_note__count_lines(note, len));
	/* The text ends at the last empty line: the text may hold empty
	 * lines, signature lines never do. */
	for (size_t i = len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n') {
			split = i;
			break;
		}
	}
	if (split == 0)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: no blank line separates the text from "
			"the signature lines", what,
			first_line + custody_note__count_lines(note, len) - 1);
	sig_line = first_line + custody_note__count_lines(note, split) + 1;
	if (split + 1 == len)
		return custody__error(err, CUSTODY_EINVALID,
			"%s line %zu: no signature line after the blank line",
			what, sig_line - 1);
	if ((scratch = malloc((len - split) / 4 * 3 + 3)) == NULL)
		return custody__oom(err);
	*text_len = split;
	rc = walk_signatures(note + split + 1, len - split - 1, what,
		sig_line, scratch, NULL, NULL, err);
	if (rc == 0 && cb != NULL)
		rc = walk_signatures(note + split + 1, len - split - 1, what,
			sig_line, scratch, cb, payload, err);
	free(scratch);
	if (rc != 0)
		*text_len = 0;
	return rc;
}

int custody_note__split(const char *note, size_t len, size_t *text_len_out,
	custody_error **err)
{
	size_t text_len;
	int rc = parse_note(note, len, "note", 1, &text_len, NULL, NULL, err);

	if (text_len_out != NULL)
		*text_len_out = text_len;
	return rc;
}

int custody_note__split_in(const char *note, size_t len, const char *what,
	size_t first_line, size_t *text_len_out, custody_error **err)
{
	return parse_note(note, len, what, first_line, text_len_out, NULL,
		NULL, err);
}

int custody_note__signatures(const char *note, size_t len,
	custody_note_signature_cb cb, void *payload, custody_error **err)
{
	size_t text_len;

	return parse_note(note, len, "note", 1, &text_len, cb, payload, err);
}

struct verification {
	const char *text;
	size_t text_len;
	const struct custody_note_verifier *verifiers;
	size_t n;
	size_t verified;
	size_t bad_line;                          /* first failure, or 0 */
	const struct custody_note_verifier *bad;  /* its verifier */
	custody_error **err;
};

static int same_key_name(const struct custody_note_verifier *v,
	const char *name, size_t name_len, const unsigned char key_id[4])
{
	return strlen(v->name) == name_len &&
		memcmp(v->name, name, name_len) == 0 &&
		CRYPTO_memcmp(v->key_id, key_id, 4) == 0;
}

static int verify_one(const struct custody_note_signature *sig,
	void *payload)
{
	struct verification *state = payload;
	const struct custody_note_verifier *v = NULL;

	for (size_t i = 0; i < state->n; i++) {
		const struct custody_note_verifier *other =
			&state->verifiers[i];

		if (!same_key_name(other, sig->name, sig->name_len,
		    sig->key_id))
			continue;
		if (v == NULL)
			v = other;
		else if (memcmp(v->pub, other->pub, 32) != 0)
			return custody__error(state->err, CUSTODY_EINVALID,
				"two verifier keys are named %s with key id "
				"%02x%02x%02x%02x", v->name, v->key_id[0],
				v->key_id[1], v->key_id[2], v->key_id[3]);
	}
	if (v == NULL)
		return 0; /* an unknown key: ignored */
	if (sig->sig_len == CUSTODY_ED25519_SIGNATURE_BYTES &&
	    custody_ed25519__verify(v->pub, state->text, state->text_len,
	    sig->sig)) {
		state->verified++;
	} else if (state->bad_line == 0) {
		state->bad_line = sig->line;
		state->bad = v;
	}
	return 0;
}

/* "not signed by a" / "not signed by any of a, b" */
static int not_signed(const struct custody_note_verifier *verifiers,
	size_t n, custody_error **err)
{
	custody_buf names = CUSTODY_BUF_INIT;
	int rc;

	if (n == 0)
		return custody__error(err, CUSTODY_EVERIFY, "note: not signed "
			"by a trusted key (no verifier key was given)");
	for (size_t i = 0; i < n; i++) {
		if (custody_buf__printf(&names, "%s%s", i > 0 ? ", " : "",
		    verifiers[i].name) != 0) {
			custody_buf_dispose(&names);
			return custody__oom(err);
		}
	}
	rc = custody__error(err, CUSTODY_EVERIFY, "note: not signed by %s%s",
		n > 1 ? "any of " : "", names.ptr);
	custody_buf_dispose(&names);
	return rc;
}

int custody_note__verify(const char *note, size_t len,
	const struct custody_note_verifier *verifiers, size_t n,
	size_t *text_len_out, custody_error **err)
{
	struct verification state;
	int rc;

	if (text_len_out != NULL)
		*text_len_out = 0;
	memset(&state, 0, sizeof(state));
	state.text = note;
	state.verifiers = verifiers;
	state.n = n;
	state.err = err;
	/* parse_note sets state.text_len before verify_one sees a line */
	rc = parse_note(note, len, "note", 1, &state.text_len, verify_one,
		&state, err);
	if (rc != 0)
		return rc;
	if (state.bad_line != 0)
		return custody__error(err, CUSTODY_EVERIFY, "note line %zu: "
			"the signature by %s+%02x%02x%02x%02x does not verify",
			state.bad_line, state.bad->name, state.bad->key_id[0],
			state.bad->key_id[1], state.bad->key_id[2],
			state.bad->key_id[3]);
	if (state.verified == 0)
		return not_signed(verifiers, n, err);
	if (text_len_out != NULL)
		*text_len_out = state.text_len;
	return 0;
}

/* ---- keys and signing ---- */

int custody_note__verifier_from_vkey(struct custody_note_verifier *out,
	const char *vkey, size_t len, custody_error **err)
{
	unsigned char id[4], body[CUSTODY_BASE64_LEN(33) / 4 * 3];
	const char *plus, *rest, *problem;
	size_t name_len, rest_len, body_len;

	memset(out, 0, sizeof(*out));
	if (len > 0 && vkey[len - 1] == '\n')
		len--;
	plus = memchr(vkey, '+', len);
	name_len = plus != NULL ? (size_t)(plus - vkey) : len;
	if ((problem = custody_note__name_problem(vkey, name_len)) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"verifier key: the key name %s", problem);
	if (name_len > CUSTODY_NOTE_NAME_MAX)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"the key name is longer than %d bytes",
			CUSTODY_NOTE_NAME_MAX);
	if (plus == NULL)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"not of the form <name>+<key id>+<key>");
	rest = plus + 1;
	rest_len = len - name_len - 1;
	if (rest_len < 9 || rest[8] != '+' || custody_unhex(id, rest, 4) != 0)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"no 8-digit lowercase hex key id after the name");
	rest += 9;
	rest_len -= 9;
	if (rest_len != CUSTODY_BASE64_LEN(33))
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"not an Ed25519 key (type 0x01 and 32 bytes)");
	if (custody_base64_decode(body, &body_len, rest, rest_len) != 0)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"the key is not canonical base64");
	if (body_len != 33 || body[0] != CUSTODY_NOTE_KEY_ED25519)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"not an Ed25519 key (type 0x01 and 32 bytes)");
	if ((problem = custody_ed25519__public_key_problem(body + 1)) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"verifier key: the public key %s", problem);
	memcpy(out->name, vkey, name_len);
	out->name[name_len] = '\0';
	memcpy(out->pub, body + 1, 32);
	custody_ed25519__note_key_id(out->name, CUSTODY_NOTE_KEY_ED25519,
		out->pub, out->key_id);
	if (CRYPTO_memcmp(out->key_id, id, 4) != 0) {
		memset(out, 0, sizeof(*out));
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"the key id %.8s does not match the name and key", plus
			+ 1);
	}
	return 0;
}

void custody_note__verifier_from_key(struct custody_note_verifier *out,
	const char *name, const unsigned char pub[32])
{
	size_t len = strlen(name);

	/* Callers pass checkpoint origins, which may hold spaces: such a
	 * name, or one too long (left empty), matches no signature line. */
	memset(out, 0, sizeof(*out));
	if (len <= CUSTODY_NOTE_NAME_MAX)
		memcpy(out->name, name, len);
	memcpy(out->pub, pub, 32);
	custody_ed25519__note_key_id(out->name, CUSTODY_NOTE_KEY_ED25519,
		out->pub, out->key_id);
}

int custody_note__sign(custody_buf *out, const char *text, size_t len,
	const char *name, const custody_key *key, custody_error **err)
{
	unsigned char sig[4 + CUSTODY_ED25519_SIGNATURE_BYTES];
	char b64[CUSTODY_BASE64_LEN(sizeof(sig)) + 1];
	const char *problem, *empty;
	size_t name_len = strlen(name), old_size = out->size;
	int rc;

	if (len == 0 || text[len - 1] != '\n')
		return custody__error(err, CUSTODY_EINVALID,
			"note text line %zu: the text must end with a newline",
			custody_note__count_lines(text, len) + 1);
	if (custody_note__check_text(text, len, "note text", 1, err) != 0)
		return CUSTODY_EINVALID;
	empty = text[0] == '\n' ? text : NULL;
	for (size_t i = 1; empty == NULL && i < len; i++)
		if (text[i] == '\n' && text[i - 1] == '\n')
			empty = text + i;
	if (empty != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"note text line %zu: the text holds an empty line",
			custody_note__count_lines(text,
			(size_t)(empty - text)) + 1);
	if ((problem = custody_note__name_problem(name, name_len)) != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"note signer: the key name %s", problem);
	if (name_len > CUSTODY_NOTE_NAME_MAX)
		return custody__error(err, CUSTODY_EINVALID, "note signer: "
			"the key name is longer than %d bytes",
			CUSTODY_NOTE_NAME_MAX);
	custody_ed25519__note_key_id(name, CUSTODY_NOTE_KEY_ED25519,
		custody_pubkey_raw(custody_key_public(key)), sig);
	if ((rc = custody_key_wait(key, err)) != 0)
		return rc;
	if (custody_ed25519__sign(custody_key__pkey(key), text, len, sig + 4,
	    err) != 0)
		return CUSTODY_ERROR;
	custody_base64_encode(b64, sig, sizeof(sig));
	if (custody_buf__append(out, text, len) != 0 ||
	    custody_buf__printf(out, "\n" EM_DASH_SPACE "%s %s\n", name,
	    b64) != 0) {
		if (out->ptr != NULL) {
			out->size = old_size;
			out->ptr[old_size] = '\0';
		}
		return custody__oom(err);
	}
	return 0;
}
