/*
 * An entry's private fields: which they are, their values as committed,
 * the commitment in the public part, and the private part that opens it.
 *
 * Each private field f gets its own nonce, HMAC-SHA256 keyed with the
 * entry's secret `opening`, so an outlet can disclose one field (its
 * value and nonce) without the others, and nobody can test a guess at an
 * undisclosed one. The public part commits to the list of per-field
 * commitments; a disclosure carries that list.
 */
#include "entry.h"
#include "entry_check.h"
#include "common.h"
#include "fsutil.h"
#include "yaml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <pthread.h>

/* The private fields of every type, in commitment (and writing) order. */
static const char *const private_names[] = {
	"actor", "path", "version", "previous", "blob", "source", "member",
	"key", "action", "document", "from", "to", "at", "backdate_reason",
	"skipped", "note", NULL
};

int custody_entry__is_private_field(const char *field)
{
	for (size_t i = 0; private_names[i] != NULL; i++)
		if (strcmp(private_names[i], field) == 0)
			return 1;
	return 0;
}

static const char *decimal(char num[24], uint64_t v)
{
	snprintf(num, 24, "%" PRIu64, v);
	return num;
}

/* Field i's value as committed, or NULL when the entry does not hold it.
 * Integers are written into num. */
static const char *field_value(const struct custody_entry *e, size_t i,
	char num[24])
{
	const char *f = private_names[i];
	int registers = custody_entry__registers(e);

	if (e->opening == NULL)
		return NULL;
	if (strcmp(f, "actor") == 0)
		return e->actor;
	if (strcmp(f, "path") == 0)
		return e->path;
	if (strcmp(f, "version") == 0)
		return registers ? decimal(num, e->version) : NULL;
	if (strcmp(f, "previous") == 0)
		return e->has_previous ? decimal(num, e->previous) : NULL;
	if (strcmp(f, "blob") == 0)
		return e->blob;
	if (strcmp(f, "source") == 0)
		return e->source;
	if (strcmp(f, "member") == 0)
		return e->member;
	if (strcmp(f, "key") == 0)
		return e->key;
	if (strcmp(f, "action") == 0) {
		if (e->type == CUSTODY_ENTRY_EVENT)
			return e->event_action;
		return e->action == CUSTODY_MEMBER_ADD ? "add" :
			e->action == CUSTODY_MEMBER_REVOKE ? "revoke" : NULL;
	}
	if (strcmp(f, "document") == 0)
		return e->type == CUSTODY_ENTRY_EVENT ?
			decimal(num, e->document) : NULL;
	if (strcmp(f, "from") == 0)
		return e->from;
	if (strcmp(f, "to") == 0)
		return e->to;
	if (strcmp(f, "at") == 0)
		return e->at;
	if (strcmp(f, "backdate_reason") == 0)
		return e->backdate_reason;
	if (strcmp(f, "skipped") == 0)
		return e->skipped;
	return e->note;
}

size_t custody_entry__private_fields(const struct custody_entry *e,
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE])
{
	size_t n = 0;
	char num[24];

	for (size_t i = 0; private_names[i] != NULL; i++)
		if (field_value(e, i, num) != NULL)
			names[n++] = private_names[i];
	return n;
}

/*
 * The algorithms, fetched once: an implicit fetch on every use costs more
 * than the hashing itself for inputs this small, and add commits to
 * every entry it writes.
 */
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* An HMAC-SHA256 context keyed with the entry's opening, for nonces. */
static EVP_MAC_CTX *nonce_key(const struct custody_entry *e)
{
	OSSL_PARAM params[2];
	unsigned char key[32];
	EVP_MAC_CTX *ctx;

	pthread_once(&fetch_once, fetch_algorithms);
	if (hmac_mac == NULL || e->opening == NULL ||
	    custody_unhex(key, e->opening, 32) != 0 ||
	    (ctx = EVP_MAC_CTX_new(hmac_mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, sizeof(key), params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ctx;
}

/* nonce_f from the keyed context, which is reset to its key first. */
static int keyed_nonce(EVP_MAC_CTX *keyed, const char *field,
	unsigned char nonce[32])
{
	size_t len = 0;

	if (keyed == NULL || EVP_MAC_init(keyed, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(keyed, (const unsigned char *)field,
	    strlen(field)) != 1 ||
	    EVP_MAC_final(keyed, nonce, &len, 32) != 1 || len != 32)
		return -1;
	return 0;
}

static int field_nonce(const struct custody_entry *e, const char *field,
	unsigned char nonce[32])
{
	EVP_MAC_CTX *keyed = nonce_key(e);
	int rc = keyed_nonce(keyed, field, nonce);

	EVP_MAC_CTX_free(keyed);
	return rc;
}

/* A SHA-256 context, reused across the hashes of one commitment. */
static EVP_MD_CTX *new_sha256(void)
{
	pthread_once(&fetch_once, fetch_algorithms);
	return sha256_md != NULL ? EVP_MD_CTX_new() : NULL;
}

/* commit_f with ctx; all zero bytes if OpenSSL fails, which then matches
 * no commitment. */
static void commit_field_with(EVP_MD_CTX *ctx, const char *field,
	const unsigned char nonce[32], const char *value, size_t len,
	unsigned char out[32])
{
	static const char tag[] = "custody-field v2\n";
	unsigned int n = 0;

	if (ctx == NULL || EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, tag, sizeof(tag) - 1) != 1 ||
	    EVP_DigestUpdate(ctx, field, strlen(field)) != 1 ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, 32) != 1 ||
	    EVP_DigestUpdate(ctx, value, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != 32)
		memset(out, 0, 32);
}

static void commit_private_with(EVP_MD_CTX *ctx, const char *const *fields,
	const unsigned char (*commits)[32], size_t n, unsigned char out[32])
{
	static const char tag[] = "custody-private v2\n";
	unsigned int len = 0;
	char hex[66];
	int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, sha256_md, NULL) == 1 &&
		EVP_DigestUpdate(ctx, tag, sizeof(tag) - 1) == 1;

	for (size_t i = 0; i < n && ok; i++) {
		hex[0] = ' ';
		custody_hex(hex + 1, commits[i], 32);
		hex[65] = '\n';
		ok = EVP_DigestUpdate(ctx, fields[i], strlen(fields[i])) == 1 &&
			EVP_DigestUpdate(ctx, hex, sizeof(hex)) == 1;
	}
	if (!ok || EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
		memset(out, 0, 32);
}

void custody_entry__commit_field(const char *field,
	const unsigned char nonce[32], const char *value, size_t len,
	unsigned char out[32])
{
	EVP_MD_CTX *ctx = new_sha256();

	commit_field_with(ctx, field, nonce, value, len, out);
	EVP_MD_CTX_free(ctx);
}

void custody_entry__commit_private(const char *const *fields,
	const unsigned char (*commits)[32], size_t n, unsigned char out[32])
{
	EVP_MD_CTX *ctx = new_sha256();

	commit_private_with(ctx, fields, commits, n, out);
	EVP_MD_CTX_free(ctx);
}

int custody_entry__opening(const struct custody_entry *e, const char *field,
	unsigned char nonce[32], char **value, custody_error **err)
{
	char num[24];

	*value = NULL;
	for (size_t i = 0; private_names[i] != NULL; i++) {
		const char *v;

		if (strcmp(private_names[i], field) != 0)
			continue;
		if ((v = field_value(e, i, num)) == NULL)
			break;
		if (field_nonce(e, field, nonce) != 0)
			return custody__error(err, CUSTODY_EINVALID, "entry %"
				PRIu64 ": the private part's opening is not "
				"64 hex digits", e->index);
		if ((*value = strdup(v)) == NULL)
			return custody__oom(err);
		return 0;
	}
	return custody__error(err, CUSTODY_ENOTFOUND, "entry %" PRIu64
		" holds no private field '%s'", e->index, field);
}

/* The commitment the entry's private fields and opening make. */
static int compute_commitment(const struct custody_entry *e,
	unsigned char out[32])
{
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE];
	unsigned char commits[CUSTODY_ENTRY_MAX_PRIVATE][32];
	size_t n = custody_entry__private_fields(e, names);
	EVP_MAC_CTX *keyed = nonce_key(e);
	EVP_MD_CTX *md = new_sha256();
	char num[24];
	int rc = keyed != NULL && md != NULL ? 0 : -1;

	for (size_t i = 0, k = 0; private_names[i] != NULL && rc == 0; i++) {
		unsigned char nonce[32];
		const char *v = field_value(e, i, num);

		if (v == NULL)
			continue;
		rc = keyed_nonce(keyed, private_names[i], nonce);
		commit_field_with(md, private_names[i], nonce, v, strlen(v),
			commits[k++]);
		OPENSSL_cleanse(nonce, sizeof(nonce));
	}
	if (rc == 0)
		commit_private_with(md, names,
			(const unsigned char (*)[32])commits, n, out);
	EVP_MAC_CTX_free(keyed);
	EVP_MD_CTX_free(md);
	return rc;
}

int custody_entry__private_hex(const struct custody_entry *e, char out[65],
	custody_error **err)
{
	unsigned char c[32];

	if (compute_commitment(e, c) != 0)
		return custody__error(err, CUSTODY_EINVALID, "entry %" PRIu64
			": 'opening' must be 64 lowercase hex digits",
			e->index);
	custody_hex(out, c, 32);
	return 0;
}

/* Move the private fields read into `from` over to `to`. */
static void take_private(struct custody_entry *to, struct custody_entry *from)
{
	char **strings[][2] = {
		{ &to->actor, &from->actor }, { &to->path, &from->path },
		{ &to->blob, &from->blob }, { &to->source, &from->source },
		{ &to->member, &from->member }, { &to->key, &from->key },
		{ &to->event_action, &from->event_action },
		{ &to->from, &from->from }, { &to->to, &from->to },
		{ &to->at, &from->at },
		{ &to->backdate_reason, &from->backdate_reason },
		{ &to->skipped, &from->skipped },
		{ &to->note, &from->note }, { &to->opening, &from->opening },
	};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i][0]);
		*strings[i][0] = *strings[i][1];
		*strings[i][1] = NULL;
	}
	to->version = from->version;
	to->has_previous = from->has_previous;
	to->previous = from->previous;
	to->action = from->action;
	to->document = from->document;
}

/* `view` shows e's public fields and part's private ones, owning none. */
static void overlay(struct custody_entry *view, const struct custody_entry *e,
	const struct custody_entry *part)
{
	*view = *e;
	view->actor = part->actor;
	view->path = part->path;
	view->blob = part->blob;
	view->source = part->source;
	view->member = part->member;
	view->key = part->key;
	view->event_action = part->event_action;
	view->from = part->from;
	view->to = part->to;
	view->at = part->at;
	view->backdate_reason = part->backdate_reason;
	view->skipped = part->skipped;
	view->note = part->note;
	view->opening = part->opening;
	view->version = part->version;
	view->has_previous = part->has_previous;
	view->previous = part->previous;
	view->action = part->action;
	view->document = part->document;
}

int custody_entry__open(struct custody_entry *e, const char *bytes,
	size_t len, const char *name, const unsigned char leaf[32],
	custody_error **err)
{
	struct custody_entry *part = NULL, view;
	struct custody_yaml_node *root = NULL;
	unsigned char want[32], got[32];
	int rc;

	if ((rc = custody_entry__parse_private(&part, &root, e, bytes, len,
	    name, err)) != 0)
		return rc;
	if (part->index != e->index) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: is the private "
			"part of entry %" PRIu64 ", not of entry %" PRIu64, name,
			part->index, e->index);
		goto done;
	}
	if (part->private_leaf == NULL ||
	    custody_unhex(want, part->private_leaf, 32) != 0 ||
	    CRYPTO_memcmp(want, leaf, 32) != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: 'leaf' is not "
			"the leaf hash of entry %" PRIu64 "'s public part", name,
			e->index);
		goto done;
	}
	if (part->opening == NULL || custody_unhex(want, part->opening, 32)
	    != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: 'opening' must "
			"be 64 lowercase hex digits", name);
		goto done;
	}
	/* checked before e takes anything: a refused part leaves e as it
	 * was, its private fields unknown */
	overlay(&view, e, part);
	if (compute_commitment(&view, got) != 0 ||
	    custody_unhex(want, e->private_commitment, 32) != 0 ||
	    CRYPTO_memcmp(want, got, 32) != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the private "
			"fields do not match entry %" PRIu64 "'s commitment "
			"('private')", name, e->index);
		goto done;
	}
	/* the private part's document gives its fields' positions */
	if ((rc = custody_entry__check(&view, root, name, err)) != 0)
		goto done;
	take_private(e, part);
done:
	custody_yaml__free(root);
	custody_entry__free(part);
	return rc;
}
