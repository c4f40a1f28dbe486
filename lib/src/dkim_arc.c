/*
 * ARC chains (RFC 8617), evaluated as its section 5.2 says, with code of
 * our own over OpenSSL: libopendkim verifies DKIM-Signature headers only,
 * and Debian ships no ARC library (docs/design-notes.md, "DKIM"). What
 * is here is only what ARC needs beyond DKIM: the tag lists of the three
 * ARC headers, relaxed and simple canonicalisation, the body hash, the
 * seal's header list, and RSA-SHA256 / Ed25519-SHA256 verification.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base64.h"
#include "common.h"
#include "dkim.h"
#include "fsutil.h"

#define MAX_TAGS 32

/* One tag of a tag list (RFC 6376 3.2), pointing into the header:
 * `eq` at its '=', the value without the white space around it. */
struct tag {
	const char *name;
	size_t name_len;
	const char *eq;
	const char *value;
	size_t value_len;
};

struct tag_list {
	struct tag tags[MAX_TAGS];
	size_t n;
};

enum arc_kind { ARC_AAR, ARC_AMS, ARC_SEAL };

static const char *const kind_name[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"
};

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse a tag list; NULL, or why it is malformed (in `twice` when a
 * tag is given twice). */
static const char *parse_tags(struct tag_list *out, const char *s,
	size_t len, char twice[40])
{
	const char *end = s + len, *p = s;

	out->n = 0;
	while (p < end) {
		struct tag *t;
		const char *v, *ve;
		size_t i;

		while (p < end && is_wsp((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if (*p == ';')
			return "an empty tag between two \";\"";
		if (out->n == MAX_TAGS)
			return "more than 32 tags";
		t = &out->tags[out->n];
		t->name = p;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return "a tag name that does not start with a letter";
		while (p < end && ((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'))
			p++;
		t->name_len = (size_t)(p - t->name);
		while (p < end && is_wsp((unsigned char)*p))
			p++;
		if (p == end || *p != '=')
			return "a tag without \"=\"";
		t->eq = p++;
		v = p;
		while (p < end && *p != ';') {
			unsigned char c = (unsigned char)*p;
			if ((c < ' ' && !is_wsp(c)) || c > '~')
				return "a tag value with a byte that is not "
					"printable ASCII";
			p++;
		}
		ve = p;
		while (v < ve && is_wsp((unsigned char)*v))
			v++;
		while (ve > v && is_wsp((unsigned char)ve[-1]))
			ve--;
		t->value = v;
		t->value_len = (size_t)(ve - v);
		for (i = 0; i < out->n; i++)
			if (out->tags[i].name_len == t->name_len &&
			    memcmp(out->tags[i].name, t->name,
			    t->name_len) == 0) {
				int n = t->name_len < 20 ?
					(int)t->name_len : 20;
				snprintf(twice, 40, "the tag \"%.*s\" twice",
					n, t->name);
				return twice;
			}
		out->n++;
		if (p < end)
			p++;    /* the ';' */
	}
	return NULL;
}

static const struct tag *tag_get(const struct tag_list *l, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < l->n; i++)
		if (l->tags[i].name_len == n &&
		    memcmp(l->tags[i].name, name, n) == 0)
			return &l->tags[i];
	return NULL;
}

/* A tag value kept printable: white space dropped, "-" when missing. */
static void tag_copy(char *out, size_t size, const struct tag *t)
{
	size_t i, n = 0;

	if (t != NULL)
		for (i = 0; i < t->value_len && n + 1 < size; i++)
			if (!is_wsp((unsigned char)t->value[i]))
				out[n++] = t->value[i];
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "-");
}

/* i=: 1..CUSTODY_DKIM_MAX_ARC_SETS, or 0 with *why set. */
static unsigned long instance_of(const char *v, size_t len, char *why,
	size_t size)
{
	unsigned long i = 0;
	size_t k;

	if (len == 0 || len > 9) {
		snprintf(why, size, "i= is not a number");
		return 0;
	}
	for (k = 0; k < len; k++) {
		if (v[k] < '0' || v[k] > '9') {
			snprintf(why, size, "i= is not a number");
			return 0;
		}
		i = i * 10 + (unsigned long)(v[k] - '0');
	}
	if (i == 0)
		snprintf(why, size, "i=0, but instances start at 1");
	else if (i > CUSTODY_DKIM_MAX_ARC_SETS) {
		snprintf(why, size, "i=%lu: more than the %d ARC sets RFC "
			"8617 allows", i, CUSTODY_DKIM_MAX_ARC_SETS);
		i = 0;
	}
	return i;
}

/* The header's value: after its ':'. */
static void value_of(const struct custody_dkim_message *m, size_t h,
	const char **v, size_t *len)
{
	const char *s = (const char *)m->text + m->headers[h].offset;
	const char *colon = memchr(s, ':', m->headers[h].len);

	*v = colon + 1;
	*len = m->headers[h].len - (size_t)(colon + 1 - s);
}

/* The AAR's leading "i=N;", and the rest unfolded into s->aar_text. */
static int read_aar(struct custody_dkim__arc_set *s, const char *v,
	size_t len, unsigned long *instance, char *why, size_t size)
{
	const char *p = v, *end = v + len, *digits;
	custody_buf text = CUSTODY_BUF_INIT;
	int space = 0;

	while (p < end && is_wsp((unsigned char)*p))
		p++;
	if (p == end || (*p != 'i' && *p != 'I')) {
		snprintf(why, size, "no i= tag first");
		return 1;
	}
	for (p++; p < end && is_wsp((unsigned char)*p); p++)
		;
	if (p == end || *p != '=') {
		snprintf(why, size, "no i= tag first");
		return 1;
	}
	for (p++; p < end && is_wsp((unsigned char)*p); p++)
		;
	for (digits = p; p < end && *p >= '0' && *p <= '9'; p++)
		;
	if ((*instance = instance_of(digits, (size_t)(p - digits), why,
	    size)) == 0)
		return 1;
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	if (p == end || *p != ';') {
		snprintf(why, size, "no \";\" after i=");
		return 1;
	}
	for (p++; p < end && is_wsp((unsigned char)*p); p++)
		;
	if (s == NULL)
		return 0;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (is_wsp(c)) {
			space = 1;
			continue;
		}
		if ((space && text.size > 0 &&
		    custody_buf__append(&text, " ", 1) != 0) ||
		    custody_buf__append(&text, c >= ' ' && c <= '~' ?
		    (const char *)p : "?", 1) != 0) {
			custody_buf_dispose(&text);
			return -1;
		}
		space = 0;
	}
	free(s->aar_text);
	s->aar_text = text.ptr ? text.ptr : strdup("");
	return s->aar_text ? 0 : -1;
}

/* The chain fails at `instance` (0: no one set), unless it already
 * did: the first reason found is the one kept. */
static void fail(struct custody_dkim__arc *a, unsigned int instance,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct custody_dkim__arc *a, unsigned int instance,
	const char *fmt, ...)
{
	va_list ap;

	if (a->chain != NULL)
		return;
	a->chain = "fail";
	a->failed = instance;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

static void set_init(struct custody_dkim__arc_set *s, unsigned int i)
{
	memset(s, 0, sizeof(*s));
	s->instance = i;
	snprintf(s->cv, sizeof(s->cv), "-");
	snprintf(s->seal_domain, sizeof(s->seal_domain), "-");
	snprintf(s->seal_selector, sizeof(s->seal_selector), "-");
	snprintf(s->seal_algorithm, sizeof(s->seal_algorithm), "-");
	snprintf(s->seal_result, sizeof(s->seal_result), "untested");
	snprintf(s->ams_domain, sizeof(s->ams_domain), "-");
	snprintf(s->ams_selector, sizeof(s->ams_selector), "-");
	snprintf(s->ams_algorithm, sizeof(s->ams_algorithm), "-");
	snprintf(s->ams_result, sizeof(s->ams_result), "untested");
	snprintf(s->body_hash, sizeof(s->body_hash), "untested");
	s->seal_bits = s->ams_bits = -1;
}

static void set_line(struct custody_dkim__arc_set *s)
{
	char bits[32] = "";

	if (s->seal_bits >= 0)
		snprintf(bits, sizeof(bits), " (%ld bits)", s->seal_bits);
	snprintf(s->instance_text, sizeof(s->instance_text), "%u",
		s->instance);
	snprintf(s->seal_bits_text, sizeof(s->seal_bits_text), "-");
	snprintf(s->ams_bits_text, sizeof(s->ams_bits_text), "-");
	if (s->seal_bits >= 0)
		snprintf(s->seal_bits_text, sizeof(s->seal_bits_text), "%ld",
			s->seal_bits);
	if (s->ams_bits >= 0)
		snprintf(s->ams_bits_text, sizeof(s->ams_bits_text), "%ld",
			s->ams_bits);
	snprintf(s->line, sizeof(s->line), "i=%u cv=%s d=%s s=%s a=%s%s: "
		"seal %s%s%s%s, message signature %s (body %s)%s%s%s",
		s->instance, s->cv, s->seal_domain, s->seal_selector,
		s->seal_algorithm, bits, s->seal_result,
		s->seal_reason[0] ? " (" : "", s->seal_reason,
		s->seal_reason[0] ? ")" : "", s->ams_result, s->body_hash,
		s->ams_reason[0] ? " (" : "", s->ams_reason,
		s->ams_reason[0] ? ")" : "");
}

void custody_dkim__arc_clear(struct custody_dkim__arc *a)
{
	size_t i;

	if (a == NULL)
		return;
	if (a->sets != NULL)
		for (i = 0; i < a->nsets; i++)
			free(a->sets[i].aar_text);
	free(a->sets);
	memset(a, 0, sizeof(*a));
}

/* One ARC header into its set; 1 when the chain failed on it. */
static int read_one(struct custody_dkim__arc *a,
	const struct custody_dkim_message *m, size_t h, enum arc_kind kind,
	custody_error **err)
{
	struct custody_dkim__arc_set *s;
	struct tag_list tags;
	const struct tag *it;
	const char *v, *bad;
	size_t len, *slot;
	unsigned long i = 0;
	char why[120], twice[40];
	int rc = 0;

	value_of(m, h, &v, &len);
	if (kind == ARC_AAR) {
		if ((rc = read_aar(NULL, v, len, &i, why, sizeof(why))) != 0)
			goto bad_header;
	} else {
		if ((bad = parse_tags(&tags, v, len, twice)) != NULL) {
			snprintf(why, sizeof(why), "%s", bad);
			goto bad_header;
		}
		if ((it = tag_get(&tags, "i")) == NULL) {
			snprintf(why, sizeof(why), "no i= tag");
			goto bad_header;
		}
		if ((i = instance_of(it->value, it->value_len, why,
		    sizeof(why))) == 0)
			goto bad_header;
	}
	s = &a->sets[i - 1];
	if (s->instance == 0)
		set_init(s, (unsigned int)i);
	if (i > a->nsets)
		a->nsets = i;
	slot = kind == ARC_AAR ? &s->aar : kind == ARC_AMS ? &s->ams :
		&s->seal;
	if (*slot != 0) {
		fail(a, (unsigned int)i, "two %s headers with i=%lu",
			kind_name[kind], i);
		return 1;
	}
	*slot = h + 1;
	if (kind == ARC_AAR)
		return read_aar(s, v, len, &i, why, sizeof(why)) < 0 ?
			custody__oom(err) : 0;
	if (kind == ARC_SEAL) {
		tag_copy(s->cv, sizeof(s->cv), tag_get(&tags, "cv"));
		tag_copy(s->seal_domain, sizeof(s->seal_domain),
			tag_get(&tags, "d"));
		tag_copy(s->seal_selector, sizeof(s->seal_selector),
			tag_get(&tags, "s"));
		tag_copy(s->seal_algorithm, sizeof(s->seal_algorithm),
			tag_get(&tags, "a"));
	} else {
		tag_copy(s->ams_domain, sizeof(s->ams_domain),
			tag_get(&tags, "d"));
		tag_copy(s->ams_selector, sizeof(s->ams_selector),
			tag_get(&tags, "s"));
		tag_copy(s->ams_algorithm, sizeof(s->ams_algorithm),
			tag_get(&tags, "a"));
	}
	return 0;
bad_header:
	if (rc < 0)
		return custody__oom(err);
	fail(a, 0, "header %zu (%s): %s", h + 1, kind_name[kind], why);
	return 1;
}

int custody_dkim__arc_parse(struct custody_dkim__arc *a,
	const struct custody_dkim_message *m, custody_error **err)
{
	size_t h, n = 0;
	unsigned int i;
	int rc;

	memset(a, 0, sizeof(*a));
	for (h = 0; h < m->nheaders; h++)
		if (strncmp(m->headers[h].name, "arc-", 4) == 0)
			n++;
	if (n == 0) {
		a->chain = "none";
		return 0;
	}
	a->sets = calloc(CUSTODY_DKIM_MAX_ARC_SETS, sizeof(*a->sets));
	if (a->sets == NULL)
		return custody__oom(err);
	for (h = 0; h < m->nheaders && a->chain == NULL; h++) {
		const char *name = m->headers[h].name;
		enum arc_kind kind;

		if (strcmp(name, "arc-seal") == 0)
			kind = ARC_SEAL;
		else if (strcmp(name, "arc-message-signature") == 0)
			kind = ARC_AMS;
		else if (strcmp(name, "arc-authentication-results") == 0)
			kind = ARC_AAR;
		else
			continue;
		if ((rc = read_one(a, m, h, kind, err)) < 0)
			return rc;
	}
	if (a->chain == NULL && a->nsets == 0)
		a->chain = "none";      /* only other arc-* headers */
	if (a->chain == NULL && a->sets[a->nsets - 1].seal != 0 &&
	    strcmp(a->sets[a->nsets - 1].cv, "fail") == 0)
		fail(a, (unsigned int)a->nsets, "the newest ARC-Seal (i=%zu) "
			"says cv=fail: an intermediary found the chain broken",
			a->nsets);
	for (i = 1; a->chain == NULL && i <= a->nsets; i++) {
		struct custody_dkim__arc_set *s = &a->sets[i - 1];
		if (s->instance == 0)
			fail(a, i, "no ARC set %u: instances must run from 1 "
				"to the newest, %zu", i, a->nsets);
		else if (s->aar == 0 || s->ams == 0 || s->seal == 0)
			fail(a, i, "ARC set %u has no %s", i,
				kind_name[s->aar == 0 ? ARC_AAR : s->ams == 0 ?
				ARC_AMS : ARC_SEAL]);
	}
	for (i = 1; a->chain == NULL && i <= a->nsets; i++) {
		const char *cv = a->sets[i - 1].cv;
		if (strcmp(cv, "fail") == 0)
			fail(a, i, "ARC-Seal i=%u says cv=fail: the chain "
				"ended there", i);
		else if (i == 1 && strcmp(cv, "none") != 0)
			fail(a, i, "ARC-Seal i=1 says cv=%s, not none", cv);
		else if (i > 1 && strcmp(cv, "pass") != 0)
			fail(a, i, "ARC-Seal i=%u says cv=%s, not pass", i,
				cv);
	}
	for (i = 0; i < a->nsets; i++)
		if (a->sets[i].instance != 0)
			set_line(&a->sets[i]);
	return 0;
}

/* ---- canonicalisation and hashing ---- */

/* Append header h (raw bytes at s, len, no final CRLF), canonicalised;
 * a CRLF after it unless `last`. */
static int canon_header(custody_buf *b, const char *s, size_t len,
	int relaxed, int last)
{
	const char *colon = memchr(s, ':', len), *p, *end = s + len;
	size_t n;
	int space = 0, rc = 0;

	if (!relaxed) {
		rc = custody_buf__append(b, s, len);
		return rc ? rc : last ? 0 : custody_buf__append(b, "\r\n", 2);
	}
	for (n = (size_t)(colon - s); n > 0 && is_wsp((unsigned char)s[n - 1]);
	    n--)
		;
	for (p = s; rc == 0 && p < s + n; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
		rc = custody_buf__append(b, &c, 1);
	}
	if (rc == 0)
		rc = custody_buf__append(b, ":", 1);
	for (p = colon + 1; p < end && is_wsp((unsigned char)*p); p++)
		;
	for (; rc == 0 && p < end; p++) {
		if (is_wsp((unsigned char)*p)) {
			space = 1;
			continue;
		}
		if (space)
			rc = custody_buf__append(b, " ", 1);
		if (rc == 0)
			rc = custody_buf__append(b, p, 1);
		space = 0;
	}
	if (rc == 0 && !last)
		rc = custody_buf__append(b, "\r\n", 2);
	return rc;
}

/* The signature header itself, its b= value taken out. */
static int canon_self(custody_buf *b, const struct custody_dkim_message *m,
	size_t h, const struct tag *btag, int relaxed)
{
	const char *s = (const char *)m->text + m->headers[h].offset;
	size_t len = m->headers[h].len;
	size_t cut = (size_t)(btag->eq + 1 - s);
	size_t rest = (size_t)(btag->value + btag->value_len - s);
	custody_buf copy = CUSTODY_BUF_INIT;
	int rc;

	if ((rc = custody_buf__append(&copy, s, cut)) == 0 &&
	    (rc = custody_buf__append(&copy, s + rest, len - rest)) == 0)
		rc = canon_header(b, copy.ptr, copy.size, relaxed, 1);
	custody_buf_dispose(&copy);
	return rc;
}

/* SHA-256 of the body, canonicalised. */
static int body_digest(const struct custody_dkim_message *m, int relaxed,
	unsigned char digest[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const unsigned char *p = m->text + m->body, *end = m->text + m->len;
	size_t pending = 0;
	int any = 0, ok = md != NULL &&
		EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	custody_buf line = CUSTODY_BUF_INIT;

	while (ok && p < end) {
		const unsigned char *eol = memchr(p, '\n', (size_t)(end - p));
		const unsigned char *le = eol ? eol : end, *q;
		int space = 0;

		if (le > p && le[-1] == '\r' && eol != NULL)
			le--;
		line.size = 0;
		for (q = p; ok && q < le; q++) {
			if (relaxed && (*q == ' ' || *q == '\t')) {
				space = 1;
				continue;
			}
			if (space && custody_buf__append(&line, " ", 1) != 0)
				ok = 0;
			space = 0;
			if (ok && custody_buf__append(&line, q, 1) != 0)
				ok = 0;
		}
		if (line.size == 0) {
			pending++;
		} else {
			for (; ok && pending > 0; pending--)
				ok = EVP_DigestUpdate(md, "\r\n", 2) == 1;
			ok = ok && EVP_DigestUpdate(md, line.ptr,
				line.size) == 1 &&
				EVP_DigestUpdate(md, "\r\n", 2) == 1;
			any = 1;
		}
		p = eol ? eol + 1 : end;
	}
	if (ok && !any && !relaxed)
		ok = EVP_DigestUpdate(md, "\r\n", 2) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, NULL) == 1;
	custody_buf_dispose(&line);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Longest base64 value read (b= of an 8192-bit RSA key is 1368). */
#define MAX_BASE64 2048

/* base64 with folding white space, decoded into out (size bytes); 0, or
 * -1 when it is not base64, is empty or is too long. */
static int decode(const struct tag *t, unsigned char *out, size_t size,
	size_t *len)
{
	char text[MAX_BASE64];
	size_t i, n = 0;

	for (i = 0; i < t->value_len; i++) {
		if (is_wsp((unsigned char)t->value[i]))
			continue;
		if (n == sizeof(text))
			return -1;
		text[n++] = t->value[i];
	}
	if (n == 0 || n / 4 * 3 > size)
		return -1;
	return custody_base64_decode(out, len, text, n) != 0 ? -1 : 0;
}

/* ---- keys and signatures ---- */

struct verdict {
	char *result;
	size_t result_size;
	char *reason;
	size_t reason_size;
	long *bits;
};

static void judge(struct verdict *v, const char *result, const char *reason)
{
	snprintf(v->result, v->result_size, "%s", result);
	snprintf(v->reason, v->reason_size, "%s", reason ? reason : "");
}

/* The public key of a key record for algorithm `alg`, or NULL with the
 * verdict said. */
static EVP_PKEY *load_key(const struct custody_dkim_key *k, const char *alg,
	struct verdict *v)
{
	struct tag_list tags;
	const struct tag *kt, *p, *ver;
	unsigned char der[MAX_BASE64 / 4 * 3];
	const unsigned char *q;
	EVP_PKEY *key = NULL;
	size_t len = 0;
	int ed = strcmp(alg, "ed25519-sha256") == 0;
	char twice[40];

	if (strcmp(k->status, "ok") != 0) {
		judge(v, k->status, k->reason);
		return NULL;
	}
	if (k->text == NULL || strlen(k->text) != k->text_len ||
	    parse_tags(&tags, k->text, k->text_len, twice) != NULL) {
		judge(v, "permerror", "the key record is not a tag list");
		return NULL;
	}
	ver = tag_get(&tags, "v");
	kt = tag_get(&tags, "k");
	p = tag_get(&tags, "p");
	if (ver != NULL && (ver->value_len != 5 ||
	    memcmp(ver->value, "DKIM1", 5) != 0)) {
		judge(v, "permerror", "the key record's v= is not DKIM1");
		return NULL;
	}
	if (p == NULL) {
		judge(v, "permerror", "the key record has no p=");
		return NULL;
	}
	if (p->value_len == 0) {
		judge(v, "revoked", "the key record's p= is empty: the key "
			"is revoked");
		return NULL;
	}
	if ((kt == NULL || (kt->value_len == 3 &&
	    memcmp(kt->value, "rsa", 3) == 0)) == ed ||
	    (ed && (kt->value_len != 7 ||
	    memcmp(kt->value, "ed25519", 7) != 0))) {
		judge(v, "permerror", "the key record's k= is not the key "
			"type a= names");
		return NULL;
	}
	if (decode(p, der, sizeof(der), &len) != 0) {
		judge(v, "permerror", "the key record's p= is not base64");
		return NULL;
	}
	q = der;
	key = ed ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der,
		len) : d2i_PUBKEY(NULL, &q, (long)len);
	if (key == NULL || (!ed && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)) {
		ERR_clear_error();
		EVP_PKEY_free(key);
		judge(v, "permerror", "the key record's p= is not a public "
			"key of that type");
		return NULL;
	}
	*v->bits = EVP_PKEY_get_bits(key);
	return key;
}

/* Whether sig verifies over data with key (rsa-sha256, ed25519-sha256). */
static int sig_ok(EVP_PKEY *key, int ed, const custody_buf *data,
	const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char hash[32];
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if (ed)
		ok = EVP_Digest(data->ptr, data->size, hash, NULL,
			EVP_sha256(), NULL) == 1 &&
			EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
			EVP_DigestVerify(ctx, sig, siglen, hash,
			sizeof(hash)) == 1;
	else
		ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
			key) == 1 &&
			EVP_DigestVerify(ctx, sig, siglen,
			(const unsigned char *)data->ptr, data->size) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Seconds a t= may lie after the observation time, as for DKIM. */
#define FUTURE_SLACK 300

/* Whether the time tag t (t= or x=: digits) is after `when`; a tag that
 * is missing or not a number is not. */
static int time_after(const struct tag *t, int64_t when)
{
	int64_t v = 0;
	size_t i;

	if (t == NULL || t->value_len == 0 || t->value_len > 12)
		return 0;
	for (i = 0; i < t->value_len; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return 0;
		v = v * 10 + (t->value[i] - '0');
	}
	return v > when;
}

struct eval {
	const struct custody_dkim_message *m;
	int64_t now;
	custody_dkim__arc_key_fn key;
	void *payload;
	custody_error **err;
	int have_body[2];
	unsigned char body[2][32];
};

/* Verify signature header h (its tags parsed) over `data` (the headers
 * before it, canonicalised), adding itself; the finding goes to v.
 * Non-zero: out of memory, or the key source's error. */
static int check_sig(struct eval *e, size_t h, const struct tag_list *tags,
	custody_buf *data, int relaxed, const char *domain,
	const char *selector, const char *alg, struct verdict *v)
{
	const struct custody_dkim_key *k = NULL;
	const struct tag *b = tag_get(tags, "b");
	unsigned char sig[MAX_BASE64 / 4 * 3];
	size_t siglen = 0;
	EVP_PKEY *key = NULL;
	int ed = strcmp(alg, "ed25519-sha256") == 0, rc;

	if (!ed && strcmp(alg, "rsa-sha256") != 0) {
		judge(v, "permerror", "a= is not rsa-sha256 or "
			"ed25519-sha256");
		return 0;
	}
	if (b == NULL || strcmp(domain, "-") == 0 ||
	    strcmp(selector, "-") == 0) {
		judge(v, "permerror", "no b=, d= or s= tag");
		return 0;
	}
	if (decode(b, sig, sizeof(sig), &siglen) != 0) {
		judge(v, "permerror", "b= is not base64 (of at most 1536 "
			"bytes)");
		return 0;
	}
	if (canon_self(data, e->m, h, b, relaxed) != 0)
		return custody__oom(e->err);
	if ((rc = e->key(e->payload, domain, selector, &k, e->err)) != 0)
		return rc;
	if ((key = load_key(k, alg, v)) != NULL) {
		if (!sig_ok(key, ed, data, sig, siglen))
			judge(v, "fail", "the signature does not verify");
		else if (!ed && *v->bits < CUSTODY_DKIM_WEAK_BITS)
			judge(v, "weak", "the key is shorter than 1024 bits");
		else if (time_after(tag_get(tags, "t"), e->now + FUTURE_SLACK))
			judge(v, "future", "t= lies after the observation "
				"time");
		else if (tag_get(tags, "x") != NULL &&
		    !time_after(tag_get(tags, "x"), e->now))
			judge(v, "expired", "x= had passed at the observation "
				"time");
		else
			judge(v, "pass", NULL);
	}
	EVP_PKEY_free(key);
	return 0;
}

static int check_ams(struct eval *e, struct custody_dkim__arc_set *s)
{
	size_t h = s->ams - 1, len, i;
	struct tag_list tags;
	const struct tag *c, *bh, *hl;
	const char *v, *p, *end;
	char twice[40];
	custody_buf data = CUSTODY_BUF_INIT;
	char *used = NULL;
	unsigned char want[64];
	size_t want_len = 0;
	int relaxed_h = 0, relaxed_b = 0, rc = 0;
	struct verdict vd = { s->ams_result, sizeof(s->ams_result),
		s->ams_reason, sizeof(s->ams_reason), &s->ams_bits };

	value_of(e->m, h, &v, &len);
	(void)parse_tags(&tags, v, len, twice);        /* read_one did */
	c = tag_get(&tags, "c");
	bh = tag_get(&tags, "bh");
	hl = tag_get(&tags, "h");
	if (c != NULL) {
		char canon[40];
		tag_copy(canon, sizeof(canon), c);
		if (strcmp(canon, "relaxed") == 0 ||
		    strcmp(canon, "relaxed/simple") == 0)
			relaxed_h = 1;
		else if (strcmp(canon, "relaxed/relaxed") == 0)
			relaxed_h = relaxed_b = 1;
		else if (strcmp(canon, "simple/relaxed") == 0)
			relaxed_b = 1;
		else if (strcmp(canon, "simple") != 0 &&
		    strcmp(canon, "simple/simple") != 0) {
			judge(&vd, "permerror", "c= is not a known "
				"canonicalization");
			goto done;
		}
	}
	if (bh == NULL || hl == NULL) {
		judge(&vd, "permerror", "no bh= or h= tag");
		goto done;
	}
	if (tag_get(&tags, "l") != NULL) {
		judge(&vd, "permerror", "l= (a body signed in part) is not "
			"supported");
		goto done;
	}
	if (!e->have_body[relaxed_b]) {
		if (body_digest(e->m, relaxed_b, e->body[relaxed_b]) != 0) {
			rc = custody__error_ssl(e->err, CUSTODY_ERROR,
				"SHA-256 of the body");
			goto done;
		}
		e->have_body[relaxed_b] = 1;
	}
	if (decode(bh, want, sizeof(want), &want_len) != 0 || want_len != 32 ||
	    CRYPTO_memcmp(want, e->body[relaxed_b], 32) != 0) {
		snprintf(s->body_hash, sizeof(s->body_hash), "fail");
		judge(&vd, "fail", "the body hash does not match: the body "
			"changed");
		goto done;
	}
	snprintf(s->body_hash, sizeof(s->body_hash), "pass");
	if ((used = calloc(e->m->nheaders, 1)) == NULL) {
		rc = custody__oom(e->err);
		goto done;
	}
	for (p = hl->value, end = hl->value + hl->value_len; p < end;) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *ne = colon ? colon : end, *ns = p;
		while (ns < ne && is_wsp((unsigned char)*ns))
			ns++;
		while (ne > ns && is_wsp((unsigned char)ne[-1]))
			ne--;
		for (i = e->m->nheaders; i-- > 0;) {
			const char *name = e->m->headers[i].name;
			if (!used[i] && i != h &&
			    strlen(name) == (size_t)(ne - ns) &&
			    strncasecmp(name, ns, (size_t)(ne - ns)) == 0) {
				used[i] = 1;
				if (canon_header(&data, (const char *)e->m->text
				    + e->m->headers[i].offset,
				    e->m->headers[i].len, relaxed_h, 0) != 0) {
					rc = custody__oom(e->err);
					goto done;
				}
				break;
			}
		}
		p = colon ? colon + 1 : end;
	}
	rc = check_sig(e, h, &tags, &data, relaxed_h, s->ams_domain,
		s->ams_selector, s->ams_algorithm, &vd);
done:
	free(used);
	custody_buf_dispose(&data);
	return rc;
}

static int check_seal(struct eval *e, struct custody_dkim__arc *a,
	struct custody_dkim__arc_set *s)
{
	size_t h = s->seal - 1, len, i;
	struct tag_list tags;
	const char *v;
	char twice[40];
	custody_buf data = CUSTODY_BUF_INIT;
	int rc = 0;
	struct verdict vd = { s->seal_result, sizeof(s->seal_result),
		s->seal_reason, sizeof(s->seal_reason), &s->seal_bits };

	value_of(e->m, h, &v, &len);
	(void)parse_tags(&tags, v, len, twice);
	if (tag_get(&tags, "h") != NULL) {
		judge(&vd, "permerror", "an ARC-Seal may not have h=");
		goto done;
	}
	for (i = 1; i <= s->instance; i++) {
		const struct custody_dkim__arc_set *o = &a->sets[i - 1];
		size_t k, hs[3] = { o->aar - 1, o->ams - 1, o->seal - 1 };
		for (k = 0; k < (i == s->instance ? 2u : 3u); k++)
			if (canon_header(&data, (const char *)e->m->text +
			    e->m->headers[hs[k]].offset,
			    e->m->headers[hs[k]].len, 1, 0) != 0) {
				rc = custody__oom(e->err);
				goto done;
			}
	}
	rc = check_sig(e, h, &tags, &data, 1, s->seal_domain,
		s->seal_selector, s->seal_algorithm, &vd);
done:
	custody_buf_dispose(&data);
	return rc;
}

int custody_dkim__arc_verify(struct custody_dkim__arc *a,
	const struct custody_dkim_message *m, int64_t now,
	custody_dkim__arc_key_fn key, void *payload, custody_error **err)
{
	struct eval e;
	unsigned int i, n = (unsigned int)a->nsets;
	int rc = 0;

	if (a->chain != NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	e.m = m;
	e.now = now;
	e.key = key;
	e.payload = payload;
	e.err = err;
	/* every set's message signature, newest first: the newest must
	 * pass; the oldest of an unbroken run of passes down from it is
	 * the oldest-pass (0 when all pass) */
	for (i = n; i >= 1; i--)
		if ((rc = check_ams(&e, &a->sets[i - 1])) != 0)
			goto done;
	if (strcmp(a->sets[n - 1].ams_result, "pass") != 0)
		fail(a, n, "ARC-Message-Signature i=%u does not verify: %s",
			n, a->sets[n - 1].ams_reason);
	for (i = n; a->chain == NULL && a->oldest_pass == 0 && i >= 1; i--)
		if (strcmp(a->sets[i - 1].ams_result, "pass") != 0)
			a->oldest_pass = i + 1;
	for (i = n; i >= 1; i--)
		if ((rc = check_seal(&e, a, &a->sets[i - 1])) != 0)
			goto done;
	for (i = n; i >= 1; i--)
		if (strcmp(a->sets[i - 1].seal_result, "pass") != 0)
			fail(a, i, "ARC-Seal i=%u does not verify: %s", i,
				a->sets[i - 1].seal_reason);
	if (a->chain == NULL)
		a->chain = "pass";
done:
	for (i = 0; i < n; i++)
		set_line(&a->sets[i]);
	return rc;
}
