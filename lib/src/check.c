/*
 * The checks a fact-checker runs offline, with no archive and no
 * network: a document against its proof file, two checkpoints against a
 * consistency proof, a disclosure of a derivative's original. The files
 * they read are docs/proof-format.md's; proof.c and chain.c write them.
 *
 * A proof file is custody's header (custody-proof/v3: a timestamp,
 * commitments and disclosed fields, the publication and its pair proof,
 * a message's dkim entry and its pair proof, rotations of the outlet
 * key; proof_file.h), an empty line, and a C2SP
 * tlog-proof whose extra is the entry's public part,
 * so that `sed '1,/^$/d'` gives the plain .tlog-proof that any C2SP
 * tool reads.
 */
#include "check.h"
#include "base64.h"
#include "checkpoint.h"
#include "proof_file.h"
#include "digest.h"
#include "ed25519.h"
#include "entry.h"
#include "common.h"
#include "fsutil.h"
#include "key.h"
#include "merkle.h"
#include "note.h"
#include "policy.h"
#include "tsa.h"
#include "yaml.h"
#include "custody/check.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>


/* ---- the envelope ---- */

/* ---- keys ---- */

/* A verifier from a vkey or an ssh-ed25519 line (named `origin`). */
static int make_verifier(struct custody_note_verifier *v, const char *key,
	const char *origin, char fingerprint[64], custody_error **err)
{
	custody_pubkey *pub = NULL;
	size_t len = strlen(key);
	int rc;

	while (len > 0 && (key[len - 1] == '\n' || key[len - 1] == '\r'))
		len--;
	if (len >= 12 && memcmp(key, "ssh-ed25519 ", 12) == 0) {
		if ((rc = custody_pubkey_parse(&pub, key, len, err)) != 0)
			return rc;
		custody_note__verifier_from_key(v, origin,
			custody_pubkey_raw(pub));
	} else {
		if ((rc = custody_note__verifier_from_vkey(v, key, len, err))
		    != 0)
			return rc;
		if ((rc = custody_pubkey_from_raw(&pub, v->pub, err)) != 0)
			return rc;
	}
	custody_pubkey_fingerprint(pub, fingerprint);
	custody_pubkey_free(pub);
	return 0;
}

/* The signature lines of a checkpoint, for a wrong-key message. */
struct signers {
	const char *origin;
	const struct custody_note_verifier *given;
	int given_signed;   /* a line by the given key (it did not verify) */
	char ids[48];       /* the key ids signing as origin: "0a1b2c3d, ..." */
	size_t n;
};

static int collect_signer(const struct custody_note_signature *sig,
	void *payload)
{
	struct signers *s = payload;
	size_t used = strlen(s->ids);

	if (sig->name_len == strlen(s->given->name) &&
	    memcmp(sig->name, s->given->name, sig->name_len) == 0 &&
	    CRYPTO_memcmp(sig->key_id, s->given->key_id, 4) == 0)
		s->given_signed = 1;
	if (sig->name_len != strlen(s->origin) ||
	    memcmp(sig->name, s->origin, sig->name_len) != 0)
		return 0;
	if (s->n < 4)
		snprintf(s->ids + used, sizeof(s->ids) - used,
			"%s%02x%02x%02x%02x", s->n ? ", " : "", sig->key_id[0],
			sig->key_id[1], sig->key_id[2], sig->key_id[3]);
	s->n++;
	return 0;
}

/*
 * The checkpoint bears no signature by the key given. When it is signed
 * for its origin by another key, CUSTODY_EVERIFY saying so, with both
 * C2SP key ids (the first four bytes of each key's hash), so that the
 * reader sees a wrong key, not a forged log; else 0 (the lower error,
 * a signature that does not verify, says more).
 */
static int other_key(const struct custody_note_verifier *given,
	const char *note, size_t len, const char *origin, const char *whose,
	const char *which, custody_error **err)
{
	struct signers s;

	memset(&s, 0, sizeof(s));
	s.origin = origin;
	s.given = given;
	if (custody_note__signatures(note, len, collect_signer, &s, NULL) != 0
	    || s.given_signed || s.n == 0)
		return 0;
	if (strcmp(given->name, origin) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "checkpoint signed "
			"for %s, but %s is named %s (key id %02x%02x%02x%02x; "
			"%s is signed by key id%s %s%s)", origin, whose,
			given->name, given->key_id[0], given->key_id[1],
			given->key_id[2], given->key_id[3], which,
			s.n > 1 ? "s" : "", s.ids, s.n > 4 ? ", ..." : "");
	return custody__error(err, CUSTODY_EVERIFY, "checkpoint signed for "
		"%s, but not by %s (key id %02x%02x%02x%02x; %s is signed "
		"by key id%s %s%s)", origin, whose, given->key_id[0],
		given->key_id[1], given->key_id[2], given->key_id[3], which,
		s.n > 1 ? "s" : "", s.ids, s.n > 4 ? ", ..." : "");
}

/* Verify a signed checkpoint and parse it. */
static int open_checkpoint(const char *note, size_t len,
	const struct custody_note_verifier *v, struct custody_checkpoint *cp,
	const char *which, custody_error **err)
{
	custody_error *why = NULL;
	size_t text_len;
	int rc;

	if ((rc = custody_note__verify(note, len, v, 1, &text_len, &why))
	    == 0) {
		rc = custody_checkpoint__parse(cp, note, text_len, &why);
	} else if (custody_note__split(note, len, &text_len, NULL) == 0 &&
	    custody_checkpoint__parse(cp, note, text_len, NULL) == 0) {
		custody_error *other = NULL;

		/* signed, but by another key than the one given: say so */
		if (other_key(v, note, len, cp->origin, "the key you gave",
		    "it", &other) != 0) {
			custody_error_free(why);
			why = other;
		}
	}
	if (rc != 0) {
		custody__error(err, rc, "%s: %s", which,
			custody_error_message(why));
		custody_error_free(why);
	}
	return rc;
}

/* ---- consistency files ---- */

struct consistency {
	uint64_t old_size, new_size;
	unsigned char hashes[CUSTODY_TLOG_PROOF_MAX_HASHES][32];
	size_t count;
};

static int parse_u64_line(const char **p, const char *end,
	const char *prefix, uint64_t *out)
{
	size_t n = strlen(prefix);
	uint64_t v = 0;
	const char *q;

	if ((size_t)(end - *p) <= n || memcmp(*p, prefix, n) != 0)
		return -1;
	q = *p + n;
	if (q >= end || *q < '0' || *q > '9' || (*q == '0' && q + 1 < end &&
	    q[1] != '\n'))
		return -1;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX >> 1) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q >= end || *q != '\n')
		return -1;
	*out = v;
	*p = q + 1;
	return 0;
}

static int parse_consistency(struct consistency *c, const char *text,
	size_t len, custody_error **err)
{
	const char *p = text, *end = text + len;

	memset(c, 0, sizeof(*c));
	if (len < sizeof(CUSTODY_CONSISTENCY_V1) - 1 ||
	    memcmp(p, CUSTODY_CONSISTENCY_V1,
	    sizeof(CUSTODY_CONSISTENCY_V1) - 1) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the consistency "
			"proof does not start with \"custody-consistency/v1\"");
	p += sizeof(CUSTODY_CONSISTENCY_V1) - 1;
	if (parse_u64_line(&p, end, "old ", &c->old_size) != 0 ||
	    parse_u64_line(&p, end, "new ", &c->new_size) != 0)
		return custody__error(err, CUSTODY_EINVALID, "the consistency "
			"proof lacks its \"old N\" and \"new N\" lines");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		unsigned char hash[33];
		size_t n;

		if (c->count == CUSTODY_TLOG_PROOF_MAX_HASHES)
			return custody__error(err, CUSTODY_EINVALID, "the "
				"consistency proof has more than %d hashes",
				CUSTODY_TLOG_PROOF_MAX_HASHES);
		if (eol == NULL || eol - p != 44 ||
		    custody_base64_decode(hash, &n, p, 44) != 0 || n != 32)
			return custody__error(err, CUSTODY_EINVALID, "the "
				"consistency proof's line %zu is not one "
				"base64 hash of 32 bytes", c->count + 4);
		memcpy(c->hashes[c->count], hash, 32);
		c->count++;
		p = eol + 1;
	}
	return 0;
}

static void b64_root(char out[45], const unsigned char root[32])
{
	custody_base64_encode(out, root, 32);
}

/*
 * Are checkpoints a and b (verified already) of one history? 0, or
 * CUSTODY_EVERIFY beginning "evidence of a fork" when both are signed
 * but cannot both be true. With `ordered`, a must be the older (a
 * reader who names OLD NEW is told when they are the other way round).
 * A proof, when given, is always checked, whatever the sizes: for equal
 * sizes it must be empty, and an empty tree's root must be SHA-256 of
 * nothing (RFC 9162 2.1.4.2).
 */
static int check_two(const struct custody_checkpoint *a,
	const struct custody_checkpoint *b, const struct consistency *c,
	int ordered, const char *fingerprint, custody_error **err)
{
	const struct custody_checkpoint *older = a->size <= b->size ? a : b;
	const struct custody_checkpoint *newer = older == a ? b : a;
	unsigned char empty[32];
	custody_error *why = NULL;
	char r1[45], r2[45];

	b64_root(r1, older->root);
	b64_root(r2, newer->root);
	if (strcmp(a->origin, b->origin) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "the checkpoints "
			"are of two logs ('%s' and '%s')", a->origin, b->origin);
	if (ordered && a->size > b->size)
		return custody__error(err, CUSTODY_EINVALID, "the first "
			"checkpoint (size %" PRIu64 ") is larger than the "
			"second (size %" PRIu64 "): give the older checkpoint "
			"first", a->size, b->size);
	if (older->size == newer->size &&
	    CRYPTO_memcmp(older->root, newer->root, 32) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "evidence of a "
			"fork: two checkpoints of %s, both signed by %s, give "
			"size %" PRIu64 " two roots (%s and %s)", a->origin,
			fingerprint, older->size, r1, r2);
	if (c != NULL && (c->old_size != older->size ||
	    c->new_size != newer->size))
		return custody__error(err, CUSTODY_EINVALID, "the consistency "
			"proof is from size %" PRIu64 " to %" PRIu64 ", not "
			"from %" PRIu64 " to %" PRIu64, c->old_size, c->new_size,
			older->size, newer->size);
	if (older->size == 0) {
		int rc = custody_digest__sha256("", 0, empty, err);

		if (rc != 0)
			return rc;
		if (CRYPTO_memcmp(older->root, empty, 32) != 0)
			return custody__error(err, CUSTODY_EVERIFY, "the "
				"checkpoint of size 0 has root %s, not the "
				"empty tree's (SHA-256 of nothing)", r1);
		if (c != NULL && c->count != 0)
			return custody__error(err, CUSTODY_EVERIFY, "the "
				"consistency proof from the empty tree has %zu "
				"hashes, expected none", c->count);
		return 0;
	}
	if (c == NULL) {
		if (older->size == newer->size)
			return 0;
		return custody__error_hint(err, CUSTODY_EINVALID,
			CUSTODY_HINT_MAKE_CONSISTENCY, "checkpoints of sizes %"
			PRIu64 " and %" PRIu64 " need a consistency proof",
			older->size, newer->size);
	}
	if (older->size == newer->size && c->count != 0)
		return custody__error(err, CUSTODY_EVERIFY, "the consistency "
			"proof between two checkpoints of size %" PRIu64 " has "
			"%zu hashes, expected none", older->size, c->count);
	if (custody_merkle__verify_consistency(older->size, newer->size,
	    older->root, newer->root, (const unsigned char (*)[32])c->hashes,
	    c->count, &why) != 0) {
		custody__error(err, CUSTODY_EVERIFY, "evidence of a fork: the "
			"checkpoints of %s at sizes %" PRIu64 " (root %s) and %"
			PRIu64 " (root %s), both signed by %s, are not "
			"consistent: %s", a->origin, older->size, r1,
			newer->size, r2, fingerprint,
			custody_error_message(why));
		custody_error_free(why);
		return CUSTODY_EVERIFY;
	}
	return 0;
}

int custody_consistency_check(const char *old_note, size_t old_len,
	const char *new_note, size_t new_len, const char *consistency,
	size_t consistency_len, const char *key, custody_error **err)
{
	struct custody_checkpoint a, b;
	struct custody_note_verifier v;
	struct consistency *c = NULL;
	size_t text_len;
	char fingerprint[64], origin[CUSTODY_NOTE_NAME_MAX + 1];
	int rc;

	/* the ssh-line key is named by the checkpoint's origin */
	if ((rc = custody_note__split(new_note, new_len, &text_len, err)) != 0 ||
	    (rc = custody_checkpoint__parse(&b, new_note, text_len, err)) != 0)
		return rc;
	snprintf(origin, sizeof(origin), "%s", b.origin);
	if ((rc = make_verifier(&v, key, origin, fingerprint, err)) != 0 ||
	    (rc = open_checkpoint(old_note, old_len, &v, &a, "the first "
	    "checkpoint", err)) != 0 ||
	    (rc = open_checkpoint(new_note, new_len, &v, &b, "the second "
	    "checkpoint", err)) != 0)
		return rc;
	if (consistency != NULL) {
		if ((c = malloc(sizeof(*c))) == NULL)
			return custody__oom(err);
		if ((rc = parse_consistency(c, consistency, consistency_len,
		    err)) != 0) {
			free(c);
			return rc;
		}
	}
	rc = check_two(&a, &b, c, 1, fingerprint, err);
	free(c);
	return rc;
}

/* ---- the offline check ---- */

/* An e-mail message, as far as the check can tell: a message/ media
 * type, or a file named as `custody add --dkim` takes messages (".eml",
 * any case; a signed message's media type is often text/plain). */
static int is_message(const struct custody_entry *e, const char *file_path)
{
	size_t n = file_path != NULL ? strlen(file_path) : 0;

	if (e->media_type != NULL && strncmp(e->media_type, "message/", 8)
	    == 0)
		return 1;
	return n >= 4 && strcasecmp(file_path + n - 4, ".eml") == 0;
}

static int failed(custody_check_result *r, const char *step, int rc)
{
	snprintf(r->failed_step, sizeof(r->failed_step), "%s", step);
	return rc;
}

static int failed_reveal(custody_reveal_result *r, const char *step, int rc)
{
	snprintf(r->failed_step, sizeof(r->failed_step), "%s", step);
	return rc;
}

/* Prefix the step's own words to a lower error. */
static int step_error(custody_error **err, int code, const char *step,
	custody_error *why)
{
	int rc = custody__error(err, code, "%s: %s", step,
		why ? custody_error_message(why) : "failed");

	custody_error_free(why);
	return rc;
}

/* names[0, n) as "a,b,c" into out. */
static void join_names(char *out, size_t size, char (*names)[
	CUSTODY_PROOF_FIELD_MAX], size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
			i ? "," : "", names[i]);
}

/* A disclosed value into the result, for the fields a registration
 * holds; a number must be one. */
static int take_value(custody_check_result *r, const char *field,
	const char *v, custody_error **err)
{
	struct { const char *name; char *out; size_t size; } strings[] = {
		{ "path", r->path, sizeof(r->path) },
		{ "actor", r->actor, sizeof(r->actor) },
		{ "note", r->note, sizeof(r->note) },
		{ "source", r->source, sizeof(r->source) },
		{ "blob", r->blob, sizeof(r->blob) },
	};
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strcmp(strings[i].name, field) == 0) {
			if (custody_yaml__bad_utf8(v, strlen(v)) != 0 ||
			    strlen(v) >= strings[i].size)
				return custody__error(err, CUSTODY_EINVALID,
					"the value of '%s' is not UTF-8 text "
					"of the length allowed", field);
			snprintf(strings[i].out, strings[i].size, "%s", v);
			return 0;
		}
	if (strcmp(field, "version") != 0 && strcmp(field, "previous") != 0)
		return 0;
	for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 16; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (i == 0 || v[i] != '\0' || (v[0] == '0' && i > 1))
		return custody__error(err, CUSTODY_EINVALID, "the value of "
			"'%s' is not a number", field);
	if (field[0] == 'v') {
		r->version = n;
	} else {
		r->has_previous = 1;
		r->previous = n;
	}
	return 0;
}

/* The commitment lines make the entry's `private`, and each opening
 * its field's commitment. */
static int check_disclosures(const struct custody_proof_file *pf,
	const struct custody_entry *e, custody_check_result *r,
	custody_error **err)
{
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE];
	unsigned char want[32], got[32];
	int rc;

	if (pf->ncommitments == 0) {
		if (pf->ndisclosed > 0)
			return custody__error(err, CUSTODY_EINVALID, "the "
				"proof discloses fields but lists no "
				"commitments");
		return 0;
	}
	for (size_t i = 0; i < pf->ncommitments; i++)
		names[i] = pf->commit_fields[i];
	custody_entry__commit_private(names,
		(const unsigned char (*)[32])pf->commits, pf->ncommitments,
		got);
	if (custody_unhex(want, e->private_commitment, 32) != 0 ||
	    CRYPTO_memcmp(want, got, 32) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "the commitments "
			"the proof lists are not the entry's ('private')");
	r->private_fields_known = 1;
	join_names(r->private_fields, sizeof(r->private_fields),
		(char (*)[CUSTODY_PROOF_FIELD_MAX])pf->commit_fields,
		pf->ncommitments);
	for (size_t d = 0; d < pf->ndisclosed; d++) {
		const char *f = pf->disclosed[d], *v = pf->values[d];
		size_t j;

		for (j = 0; j < pf->ncommitments; j++)
			if (strcmp(pf->commit_fields[j], f) == 0)
				break;
		if (j == pf->ncommitments)
			return custody__error(err, CUSTODY_EVERIFY, "'%s' is "
				"disclosed, but the entry holds no such "
				"field", f);
		custody_entry__commit_field(f, pf->nonces[d], v, strlen(v),
			got);
		if (CRYPTO_memcmp(got, pf->commits[j], 32) != 0)
			return custody__error(err, CUSTODY_EVERIFY, "the "
				"value disclosed for '%s' is not the one the "
				"entry committed to", f);
		if ((rc = take_value(r, f, v, err)) != 0)
			return rc;
	}
	join_names(r->disclosed, sizeof(r->disclosed),
		(char (*)[CUSTODY_PROOF_FIELD_MAX])pf->disclosed,
		pf->ndisclosed);
	return 0;
}

/* The publication entry names this document and is in the same tree
 * (a pair proof beside the document's own). */
static int check_publication(const struct custody_proof_file *pf,
	const struct custody_entry *e, const unsigned char leaf[32],
	const struct custody_tlog_proof *p,
	const struct custody_checkpoint *cp, custody_check_result *r,
	custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	struct custody_entry *pe = NULL;
	unsigned char pleaf[32];
	int names = 0, rc;

	if ((rc = custody_proof_file__publication_entry(pf, e->index,
	    e->sha256, &bytes, err)) != 0)
		return rc;
	if ((rc = custody_entry__parse(&pe, bytes.ptr, bytes.size,
	    "the publication entry", err)) != 0)
		goto done;
	if (pe->type != CUSTODY_ENTRY_PUBLISH ||
	    pe->index != pf->publication_index) {
		rc = custody__error(err, CUSTODY_EVERIFY, "the entry given as "
			"publication %" PRIu64 " is %s entry %" PRIu64,
			pf->publication_index, custody_entry__type_name(
			pe->type), pe->index);
		goto done;
	}
	for (size_t k = 0; k < pe->ndocuments; k++)
		names |= pe->documents[k].index == e->index &&
			strcmp(pe->documents[k].sha256, e->sha256) == 0;
	if (!names) {
		rc = custody__error(err, CUSTODY_EVERIFY, "entry %" PRIu64
			" does not publish this document (entry %" PRIu64
			", SHA-256 %.16s...)", pe->index, e->index, e->sha256);
		goto done;
	}
	custody_merkle__leaf_hash(bytes.ptr, bytes.size, pleaf);
	if ((rc = custody_merkle__verify_pair(leaf, e->index,
	    (const unsigned char (*)[32])p->hashes, p->nhashes, pleaf,
	    pe->index, (const unsigned char (*)[32])pf->publication_hashes,
	    pf->npublication_hashes, cp->size, cp->root, err)) != 0)
		goto done;
	r->published = 1;
	r->publication = pe->index;
	snprintf(r->url, sizeof(r->url), "%s", pe->url);
	snprintf(r->title, sizeof(r->title), "%s", pe->title ? pe->title :
		"");
	snprintf(r->published_at, sizeof(r->published_at), "%s",
		pe->published);
done:
	custody_buf_dispose(&bytes);
	custody_entry__free(pe);
	return rc;
}

/* ---- a rotated outlet key ---- */

/* One log-key entry of the proof: parsed, both signatures checked, and
 * the key it replaces and the new one into *from and *to. */
static int one_rotation(const unsigned char *bytes, size_t len,
	uint64_t tree_size, struct custody_entry **e,
	struct custody_note_verifier *from, struct custody_note_verifier *to,
	custody_error **err)
{
	int rc;

	if ((rc = custody_entry__parse(e, (const char *)bytes, len,
	    "a log-key entry of the proof", err)) != 0)
		return rc;
	if ((*e)->type != CUSTODY_ENTRY_LOG_KEY || (*e)->index >= tree_size)
		return custody__error(err, CUSTODY_EINVALID, "a log-key line "
			"holds entry %" PRIu64 " (type %s), not a rotation "
			"inside the checkpoint's tree (size %" PRIu64 ")",
			(*e)->index, custody_entry__type_name((*e)->type),
			tree_size);
	return custody_entry__check_rotation(*e, from, to, err);
}

/*
 * The checkpoint is not signed by the key given. Do the proof's log-key
 * entries lead from that key, each endorsed by the one before, to a key
 * that signs it? Then CUSTODY_EVERIFY saying so, naming the new key for
 * the reader to check again with; else 0 (nothing to say).
 */
static int rotated(const struct custody_proof_file *pf,
	const struct custody_note_verifier *given, const char *note,
	size_t len, uint64_t tree_size, custody_error **err)
{
	struct custody_note_verifier cur = *given;
	char *vkey = NULL;
	uint64_t at = 0;
	size_t hops = 0, text_len;
	int rc = 0;

	for (size_t i = 0; i < pf->nlog_keys && rc == 0; i++) {
		struct custody_note_verifier from, to;
		struct custody_entry *e = NULL;

		rc = one_rotation(pf->log_keys[i], pf->log_key_lens[i],
			tree_size, &e, &from, &to, err);
		if (rc == 0 && CRYPTO_memcmp(from.pub, cur.pub, 32) == 0) {
			cur = to;
			at = e->index;
			hops++;
			free(vkey);
			vkey = strdup(e->log_key);
			if (vkey == NULL)
				rc = custody__oom(err);
		}
		custody_entry__free(e);
	}
	if (rc == 0 && hops > 0 &&
	    custody_note__verify(note, len, &cur, 1, &text_len, NULL) == 0)
		rc = custody__error(err, CUSTODY_EVERIFY, "the outlet key was "
			"rotated at entry %" PRIu64 "%s: the checkpoint is "
			"signed by the new key %s, which the key you gave "
			"endorsed; check again with the new key", at, hops > 1 ?
			" (the last of several rotations)" : "", vkey);
	free(vkey);
	return rc;
}

/* How far ahead of the reader's clock a cosignature may be. */
#define COSIG_SKEW_S 600

/* The policy's log line for `origin`: its vkey, or NULL. */
static const char *policy_log(const struct custody_policy *pol,
	const char *origin)
{
	for (size_t i = 0; i < pol->nlogs; i++)
		if (strcmp(pol->logs[i].v.name, origin) == 0)
			return pol->logs[i].vkey;
	return NULL;
}

/* The cosignatures on the checkpoint note[0 .. len) (text text_len)
 * by the policy's witnesses, against its quorum. */
static int check_cosignatures(const struct custody_policy *pol,
	const char *note, size_t len, size_t text_len, int64_t now,
	custody_check_result *r, custody_error **err)
{
	unsigned char cosigned[CUSTODY_POLICY_MAX_WITNESSES] = { 0 };
	custody_error *why = NULL;
	int rc;

	r->has_policy = 1;
	r->nwitnesses = pol->nwitnesses;
	snprintf(r->quorum, sizeof(r->quorum), "%s",
		custody_policy__ref_name(pol, pol->quorum));
	for (size_t i = 0; i < pol->nwitnesses; i++) {
		const struct custody_policy_witness *w = &pol->witnesses[i];
		uint64_t ts = 0;

		rc = custody_cosig__find(note, len, text_len, &w->v, &ts, NULL,
			NULL, &why);
		if (rc == 1)
			continue;
		if (rc != 0) {
			rc = custody__error(err, rc, "the cosignature of "
				"witness %s: %s (a cosignature over another "
				"checkpoint, or forged)", w->name,
				custody_error_message(why));
			custody_error_free(why);
			return rc;
		}
		if (now >= 0 && ts > (uint64_t)now + COSIG_SKEW_S)
			return custody__error(err, CUSTODY_EVERIFY, "the "
				"cosignature of witness %s is dated %" PRIu64
				", %" PRIu64 " seconds after this machine's "
				"clock: a cosignature from the future is "
				"refused (check this machine's clock)",
				w->name, ts, ts - (uint64_t)now);
		cosigned[i] = 1;
		snprintf(r->cosigners[r->ncosigners].name,
			sizeof(r->cosigners[0].name), "%s", w->name);
		r->cosigners[r->ncosigners++].timestamp = ts;
	}
	r->quorum_met = custody_policy__quorum_met(pol, cosigned);
	if (!r->quorum_met)
		return custody__error(err, CUSTODY_EVERIFY, "the checkpoint "
			"carries %zu valid cosignature%s by the policy's %zu "
			"witnesses, short of its quorum (%s): its witnesses "
			"have not vouched for it", r->ncosigners,
			r->ncosigners == 1 ? "" : "s", pol->nwitnesses,
			r->quorum);
	return 0;
}

int custody_check(const char *file_path, const char *proof,
	size_t proof_len, const custody_check_options *opts,
	custody_check_result *r, custody_error **err)
{
	struct custody_policy *pol = NULL;
	const char *key;
	struct custody_proof_file pf;
	struct custody_tlog_proof p;
	struct custody_checkpoint cp, old;
	struct custody_note_verifier v;
	struct custody_entry *e = NULL;
	struct consistency *c = NULL;
	custody_error *why = NULL;
	struct custody_digest file;
	unsigned char leaf[32], digest[32];
	size_t text_len;
	int rc;

	memset(r, 0, sizeof(*r));
	r->struct_version = CUSTODY_CHECK_RESULT_VERSION;
	memset(&p, 0, sizeof(p));
	memset(&pf, 0, sizeof(pf));
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_CHECK_OPTIONS_VERSION, "custody_check_options")) != 0)
		return failed(r, "options", rc);
	if (opts->version >= 2 && opts->policy != NULL) {
		if (opts->key != NULL)
			return failed(r, "options", custody__error(err,
				CUSTODY_EINVALID, "give the outlet's key or a "
				"policy (which names it), not both"));
		if ((rc = custody_policy__parse(&pol, opts->policy,
		    opts->policy_len, "the policy", err)) != 0)
			return failed(r, "policy", rc);
	} else if (opts->key == NULL) {
		return failed(r, "key", custody__error(err, CUSTODY_EINVALID,
			"the check needs the outlet's public key"));
	}
	key = opts->key;
	if (custody__global_init(err) != 0) {
		free(pol);
		return CUSTODY_ERROR;
	}

	/* 1. the proof's form */
	if ((rc = custody_proof_file__parse(&pf, proof, proof_len, &why))
	    != 0 ||
	    (rc = custody_tlog_proof__parse(&p, pf.tlog, pf.tlog_len, &why))
	    != 0) {
		rc = failed(r, "proof", step_error(err, rc, "the proof file is "
			"malformed", why));
		goto done;
	}

	/* 2. the checkpoint's signature, by the key given */
	if ((rc = custody_note__split(p.checkpoint, p.checkpoint_len,
	    &text_len, &why)) != 0 ||
	    (rc = custody_checkpoint__parse(&cp, p.checkpoint, text_len,
	    &why)) != 0) {
		rc = failed(r, rc == CUSTODY_EVERIFY ? "signature" : "key",
			step_error(err, rc, "the key or checkpoint", why));
		goto done;
	}
	if (pol != NULL && (key = policy_log(pol, cp.origin)) == NULL) {
		rc = failed(r, "policy", custody__error(err, CUSTODY_EVERIFY,
			"policy: it names no log of origin %s, the proof's; "
			"is it this outlet's policy?", cp.origin));
		goto done;
	}
	if ((rc = make_verifier(&v, key, cp.origin, r->fingerprint,
	    &why)) != 0) {
		rc = failed(r, rc == CUSTODY_EVERIFY ? "signature" : "key",
			step_error(err, rc, "the key or checkpoint", why));
		goto done;
	}
	if ((rc = custody_note__verify(p.checkpoint, p.checkpoint_len, &v, 1,
	    &text_len, &why)) != 0) {
		custody_error *moved = NULL;

		if (rotated(&pf, &v, p.checkpoint, p.checkpoint_len, cp.size,
		    &moved) != 0) {
			custody_error_free(why);
			why = moved;
		} else if (other_key(&v, p.checkpoint, p.checkpoint_len,
		    cp.origin, pol ? "the policy's key for it" :
		    "the key you gave", "the proof's checkpoint", err) != 0) {
			custody_error_free(why);
			rc = failed(r, "signature", CUSTODY_EVERIFY);
			goto done;
		}
		rc = failed(r, "signature", step_error(err, rc, "the "
			"checkpoint's signature", why));
		goto done;
	}
	snprintf(r->origin, sizeof(r->origin), "%s", cp.origin);
	r->tree_size = cp.size;
	b64_root(r->root, cp.root);

	/* 2b. the witnesses' cosignatures, to the policy's quorum */
	if (pol != NULL && (rc = check_cosignatures(pol, p.checkpoint,
	    p.checkpoint_len, text_len, opts->now ? opts->now :
	    (int64_t)time(NULL), r, &why)) != 0) {
		rc = failed(r, "cosignature", step_error(err, rc,
			"cosignatures", why));
		goto done;
	}

	/* 3. the entry the proof carries */
	if (!p.has_extra || p.extra_len == 0) {
		rc = failed(r, "entry", custody__error(err, CUSTODY_EINVALID,
			"entry: the proof carries no entry (no \"extra\")"));
		goto done;
	}
	if ((rc = custody_entry__parse(&e, (const char *)p.extra, p.extra_len,
	    "the proof's entry", &why)) != 0) {
		rc = failed(r, "entry", step_error(err, rc, "entry", why));
		goto done;
	}
	if (!custody_entry__registers(e) || e->index != p.index) {
		rc = failed(r, "entry", custody__error(err, CUSTODY_EVERIFY,
			"entry: the proof's entry is %s entry %" PRIu64 ", not "
			"the registration at index %" PRIu64,
			custody_entry__type_name(e->type), e->index, p.index));
		goto done;
	}
	r->index = e->index;
	r->size = e->size;
	snprintf(r->sha256, sizeof(r->sha256), "%s", e->sha256);
	snprintf(r->registered, sizeof(r->registered), "%s", e->time);
	r->is_message = is_message(e, file_path);
	if (e->type == CUSTODY_ENTRY_DERIVE) {
		r->is_derivative = 1;
		r->derived_from = e->derived_from;
		snprintf(r->derivation, sizeof(r->derivation), "%s",
			e->derivation);
	}

	/* 3b. what the outlet disclosed of the private part */
	if ((rc = check_disclosures(&pf, e, r, &why)) != 0) {
		rc = failed(r, "disclosure", step_error(err, rc, "disclosure",
			why));
		goto done;
	}

	/* 4. the file is the registered document (when there is one: a
	 * disclosure may be checked without the files) */
	if (file_path == NULL)
		goto inclusion;
	if ((rc = custody_digest__named_file(&file, file_path, &why)) != 0) {
		rc = failed(r, "file", step_error(err, rc, "file", why));
		goto done;
	}
	if (!custody_digest__matches(&file, e->sha256, e->size)) {
		char hex[65];

		custody_hex(hex, file.sha256, 32);
		rc = failed(r, "file", custody__error(err, CUSTODY_EVERIFY,
			"file: %s is not the registered document: its SHA-256 "
			"is %s (%" PRIu64 " bytes), the entry's %s (%" PRIu64
			" bytes)", file_path, hex, file.size, e->sha256,
			e->size));
		goto done;
	}

inclusion:
	/* 5. the entry is in the signed tree */
	custody_merkle__leaf_hash(p.extra, p.extra_len, leaf);
	if ((rc = custody_merkle__verify_inclusion(leaf, p.index, cp.size,
	    (const unsigned char (*)[32])p.hashes, p.nhashes, cp.root,
	    &why)) != 0) {
		rc = failed(r, "inclusion", step_error(err, rc, "inclusion: "
			"the entry is not in the checkpoint's tree", why));
		goto done;
	}

	/* 5b. the publication that names the document, in the same tree */
	if (pf.has_publication && (rc = check_publication(&pf, e, leaf,
	    &p, &cp, r, &why)) != 0) {
		rc = failed(r, "publication", step_error(err, rc,
			"publication", why));
		goto done;
	}

	/* 5c. the message's DKIM verdict, in the same tree, verified
	 * again where this build can */
	if (pf.dkim != NULL) {
		const char *step = "dkim";

		if ((rc = custody_check__dkim(&pf, e, leaf, &p, &cp, file_path,
		    r, &step, &why)) != 0) {
			rc = failed(r, step, step_error(err, rc, step, why));
			goto done;
		}
	}

	/* 6. the reader's saved checkpoint, if any */
	if (opts->old_checkpoint != NULL) {
		if ((rc = open_checkpoint(opts->old_checkpoint,
		    opts->old_checkpoint_len, &v, &old, "the saved checkpoint",
		    &why)) != 0) {
			rc = failed(r, "consistency", step_error(err, rc,
				"consistency", why));
			goto done;
		}
		if (opts->consistency != NULL) {
			if ((c = malloc(sizeof(*c))) == NULL) {
				rc = custody__oom(err);
				goto done;
			}
			if ((rc = parse_consistency(c, opts->consistency,
			    opts->consistency_len, &why)) != 0) {
				rc = failed(r, "consistency", step_error(err,
					rc, "consistency", why));
				goto done;
			}
		}
		if ((rc = check_two(&old, &cp, c, 0, r->fingerprint,
		    &why)) != 0) {
			rc = failed(r, "consistency", step_error(err, rc,
				"consistency", why));
			goto done;
		}
		r->has_old_checkpoint = 1;
		r->old_size = old.size;
	}

	/* 7. the timestamp covers this very checkpoint */
	if (pf.token != NULL) {
		struct custody_tsa_info info;
		int untrusted = 0;

		/* it covers the checkpoint as the log signed it: the
		 * witnesses' cosignatures came after */
		if ((rc = custody_digest__sha256(p.checkpoint,
		    custody_cosig__strip(p.checkpoint, p.checkpoint_len),
		    digest, &why)) != 0 ||
		    (rc = custody_tsa__verify(pf.token, pf.token_len, digest,
		    opts->tsa_ca, &info, &untrusted, &why)) != 0) {
			rc = failed(r, "timestamp", step_error(err, rc,
				"timestamp", why));
			goto done;
		}
		r->has_timestamp = 1;
		r->timestamp_trusted = !untrusted;
		snprintf(r->timestamp_time, sizeof(r->timestamp_time), "%s",
			info.gen_time);
		snprintf(r->timestamp_authority,
			sizeof(r->timestamp_authority), "%s", info.tsa_name);
	}
	rc = 0;
done:
	free(pol);
	free(c);
	custody_proof_file__clear(&pf);
	custody_entry__free(e);
	custody_tlog_proof__clear(&p);
	return rc;
}

/* ---- disclosure of a derivative's original ---- */


/* One "name <base64>\n" line of a disclosure, decoded. */
static int reveal_line(const char **p, const char *end, const char *name,
	custody_buf *out, custody_error **err)
{
	size_t n = strlen(name), got;
	const char *eol;
	unsigned char *bytes;

	if ((size_t)(end - *p) <= n + 1 || memcmp(*p, name, n) != 0 ||
	    (*p)[n] != ' ' ||
	    (eol = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return custody__error(err, CUSTODY_EINVALID, "the disclosure "
			"lacks its \"%s\" line", name);
	*p += n + 1;
	if ((size_t)(eol - *p) > CUSTODY_BASE64_LEN(CUSTODY_PROOF_MAX_SIZE) ||
	    (bytes = malloc((size_t)(eol - *p) / 4 * 3 +
	    1)) == NULL)
		return custody__error(err, CUSTODY_EINVALID, "the disclosure's "
			"\"%s\" line is too long", name);
	if (custody_base64_decode(bytes, &got, *p, (size_t)(eol - *p)) != 0) {
		free(bytes);
		return custody__error(err, CUSTODY_EINVALID, "the disclosure's "
			"\"%s\" line is not canonical base64", name);
	}
	out->ptr = (char *)bytes;
	out->size = got;
	*p = eol + 1;
	return 0;
}

/* The entry and checkpoint inside a proof already checked. */
static int proof_parts(const char *proof, size_t len,
	struct custody_tlog_proof *p, struct custody_entry **e,
	custody_error **err)
{
	struct custody_proof_file pf;
	int rc;

	if ((rc = custody_proof_file__parse(&pf, proof, len, err)) != 0)
		return rc;
	rc = custody_tlog_proof__parse(p, pf.tlog, pf.tlog_len, err);
	custody_proof_file__clear(&pf);
	if (rc != 0)
		return rc;
	return custody_entry__parse(e, (const char *)p->extra, p->extra_len,
		"the proof's entry", err);
}

int custody_reveal_check(const char *reveal, size_t len, const char *key,
	const char *original_file, const char *derivative_file,
	custody_reveal_result *r, custody_error **err)
{
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	custody_check_result res, dres;
	custody_buf d = CUSTODY_BUF_INIT, o = CUSTODY_BUF_INIT;
	struct custody_tlog_proof dp, op;
	struct custody_entry *de = NULL, *oe = NULL;
	custody_error *why = NULL;
	const char *p = reveal, *end = reveal + len;
	unsigned char leaf[32];
	char leaf_hex[65];
	int rc;

	memset(r, 0, sizeof(*r));
	r->struct_version = CUSTODY_REVEAL_RESULT_VERSION;
	memset(&dp, 0, sizeof(dp));
	memset(&op, 0, sizeof(op));
	if (len < sizeof(CUSTODY_REVEAL_V2) - 1 || memcmp(p,
	    CUSTODY_REVEAL_V2, sizeof(CUSTODY_REVEAL_V2) - 1) != 0) {
		rc = failed_reveal(r, "disclosure", custody__error(err,
			CUSTODY_EINVALID, "not a custody disclosure (no "
			"\"custody-reveal/v2\" line)"));
		goto done;
	}
	p += sizeof(CUSTODY_REVEAL_V2) - 1;
	if ((rc = reveal_line(&p, end, "derivative", &d, &why)) != 0 ||
	    (rc = reveal_line(&p, end, "original", &o, &why)) != 0 ||
	    (p != end && (rc = custody__error(&why, CUSTODY_EINVALID,
	    "text after the \"original\" line"))) != 0) {
		rc = failed_reveal(r, "disclosure", step_error(err, rc,
			"the disclosure is malformed", why));
		goto done;
	}
	opts.key = key;
	if ((rc = custody_check(derivative_file, d.ptr, d.size, &opts, &dres,
	    &why)) != 0) {
		rc = failed_reveal(r, "derivative", step_error(err, rc,
			"the derivative's proof", why));
		goto done;
	}
	if ((rc = custody_check(original_file, o.ptr, o.size, &opts, &res,
	    &why)) != 0) {
		rc = failed_reveal(r, "original", step_error(err, rc,
			"the original's proof", why));
		goto done;
	}
	snprintf(r->origin, sizeof(r->origin), "%s", res.origin);
	r->tree_size = res.tree_size;
	r->original_file_checked = original_file != NULL;
	if ((rc = proof_parts(d.ptr, d.size, &dp, &de, &why)) != 0 ||
	    (rc = proof_parts(o.ptr, o.size, &op, &oe, &why)) != 0) {
		rc = failed_reveal(r, "disclosure", step_error(err, rc,
			"the disclosure", why));
		goto done;
	}
	r->derivative = de->index;
	r->original = oe->index;
	/* as the outlet disclosed them */
	snprintf(r->derivative_path, sizeof(r->derivative_path), "%s",
		dres.path);
	snprintf(r->original_path, sizeof(r->original_path), "%s", res.path);
	snprintf(r->original_sha256, sizeof(r->original_sha256), "%s",
		oe->sha256);
	snprintf(r->derivation, sizeof(r->derivation), "%s",
		de->derivation ? de->derivation : "");
	if (dp.checkpoint_len != op.checkpoint_len ||
	    memcmp(dp.checkpoint, op.checkpoint, dp.checkpoint_len) != 0) {
		rc = failed_reveal(r, "link", custody__error(err,
			CUSTODY_EVERIFY, "link: the two proofs are at different "
			"checkpoints"));
		goto done;
	}
	custody_merkle__leaf_hash(op.extra, op.extra_len, leaf);
	custody_hex(leaf_hex, leaf, 32);
	if (de->type != CUSTODY_ENTRY_DERIVE) {
		rc = failed_reveal(r, "link", custody__error(err,
			CUSTODY_EVERIFY, "link: entry %" PRIu64 " is not a "
			"derivative", de->index));
		goto done;
	}
	if (de->derived_from != oe->index ||
	    strcmp(de->original_leaf, leaf_hex) != 0) {
		rc = failed_reveal(r, "link", custody__error(err,
			CUSTODY_EVERIFY, "link: derivative entry %" PRIu64
			" was derived from entry %" PRIu64 " (leaf %.16s...), "
			"not from the disclosed entry %" PRIu64 " (leaf "
			"%.16s...)", de->index, de->derived_from,
			de->original_leaf, oe->index, leaf_hex));
		goto done;
	}
	rc = 0;
done:
	/* step_error has freed `why` on every failure */
	custody_entry__free(de);
	custody_entry__free(oe);
	custody_tlog_proof__clear(&dp);
	custody_tlog_proof__clear(&op);
	custody_buf_dispose(&d);
	custody_buf_dispose(&o);
	return rc;
}

int custody_check_options_init(custody_check_options *opts, unsigned int version)
{
	static const custody_check_options fresh = CUSTODY_CHECK_OPTIONS_INIT;

	if (opts == NULL || version < 1 || version >
	    CUSTODY_CHECK_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	/* a caller built for version 1 has the fields before `policy` */
	memcpy(opts, &fresh, version == 1 ?
		offsetof(custody_check_options, policy) : sizeof(*opts));
	opts->version = version;
	return 0;
}
