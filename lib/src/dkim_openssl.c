/*
 * The OpenSSL library context a verifying thread works in
 * (custody_dkim__openssl_begin, dkim.h).
 *
 * libopendkim decodes the signer's key record for every signature it
 * checks (d2i_PUBKEY_bio). OpenSSL 3.0 answers each such call by
 * building a chain of decoders anew: it walks every decoder of every
 * provider of the library context, looking each one's names up under
 * the context's locks. With the default provider that took 85
 * microseconds a key on one thread, and 140 on each of two threads
 * sharing the process's context; at 10,000 messages it was a fifth of
 * `custody dkim check`'s time.
 *
 * So a verifying thread makes two contexts of its own. The inner one
 * loads OpenSSL's default provider. The outer one, which the thread makes
 * its default, loads one provider built in here that hands on every
 * operation of the inner default provider as it is (digests, signatures,
 * key management, random numbers), except the decoders: of those it
 * offers only the two that read a DKIM key, a SubjectPublicKeyInfo in
 * DER of RSA or of Ed25519. Decoding a key then takes 18 microseconds.
 * Keys of any other type no longer decode; libopendkim refused them
 * anyway (an RSA signature needs an RSA key, and it reads an Ed25519 key
 * from its raw bytes), as does the ARC code (dkim_arc.c).
 *
 * The provider's functions get the default provider's own context (the
 * algorithms it hands on need it), so they find the thread's state in a
 * thread-local variable; only this thread uses its outer context, and
 * OpenSSL asks a provider for its algorithms in the thread that fetches.
 */
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "dkim.h"

#define KEY_DECODERS 4

struct custody_dkim__openssl {
	OSSL_LIB_CTX *inner, *outer, *before;
	OSSL_PROVIDER *deflt, *keys;
	const OSSL_ALGORITHM *all_decoders;
	OSSL_ALGORITHM decoders[KEY_DECODERS + 1];
};

static _Thread_local struct custody_dkim__openssl *current;

/* Is `a` a decoder of a DER SubjectPublicKeyInfo of RSA or Ed25519? */
static int key_decoder(const OSSL_ALGORITHM *a)
{
	const char *names = a->algorithm_names;
	const char *props = a->property_definition;

	if (names == NULL || props == NULL ||
	    strstr(props, "input=der") == NULL ||
	    strstr(props, "structure=SubjectPublicKeyInfo") == NULL)
		return 0;
	return strcmp(names, "RSA") == 0 || strncmp(names, "RSA:", 4) == 0 ||
		strcmp(names, "ED25519") == 0 ||
		strncmp(names, "ED25519:", 8) == 0;
}

static const OSSL_ALGORITHM *keys_query(void *provctx, int operation,
	int *no_cache)
{
	struct custody_dkim__openssl *o = current;
	const OSSL_ALGORITHM *all;
	size_t n = 0;

	(void)provctx;
	if (o == NULL)
		return NULL;
	all = OSSL_PROVIDER_query_operation(o->deflt, operation, no_cache);
	if (operation != OSSL_OP_DECODER || all == NULL)
		return all;
	o->all_decoders = all;
	for (const OSSL_ALGORITHM *a = all; a->algorithm_names != NULL; a++)
		if (key_decoder(a) && n < KEY_DECODERS)
			o->decoders[n++] = *a;
	memset(&o->decoders[n], 0, sizeof(o->decoders[n]));
	return o->decoders;
}

static void keys_unquery(void *provctx, int operation,
	const OSSL_ALGORITHM *algorithms)
{
	struct custody_dkim__openssl *o = current;

	(void)provctx;
	if (o == NULL)
		return;
	if (operation == OSSL_OP_DECODER && algorithms == o->decoders)
		algorithms = o->all_decoders;
	OSSL_PROVIDER_unquery_operation(o->deflt, operation, algorithms);
}

static void keys_teardown(void *provctx)
{
	(void)provctx;         /* the default provider's, freed with it */
}

static const OSSL_DISPATCH keys_dispatch[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))keys_query },
	{ OSSL_FUNC_PROVIDER_UNQUERY_OPERATION,
		(void (*)(void))keys_unquery },
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))keys_teardown },
	{ 0, NULL }
};

static int keys_init(const OSSL_CORE_HANDLE *handle,
	const OSSL_DISPATCH *in, const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	if (current == NULL || current->deflt == NULL)
		return 0;
	*out = keys_dispatch;
	*provctx = OSSL_PROVIDER_get0_provider_ctx(current->deflt);
	return *provctx != NULL;
}

static void release(struct custody_dkim__openssl *o)
{
	if (o->outer != NULL) {
		OPENSSL_thread_stop_ex(o->outer);
		if (o->keys != NULL)
			OSSL_PROVIDER_unload(o->keys);
		OSSL_LIB_CTX_free(o->outer);
	}
	if (o->inner != NULL) {
		OPENSSL_thread_stop_ex(o->inner);
		if (o->deflt != NULL)
			OSSL_PROVIDER_unload(o->deflt);
		OSSL_LIB_CTX_free(o->inner);
	}
	current = NULL;
	OPENSSL_free(o);
}

struct custody_dkim__openssl *custody_dkim__openssl_begin(void)
{
	struct custody_dkim__openssl *o;

	if (current != NULL || (o = OPENSSL_zalloc(sizeof(*o))) == NULL)
		return NULL;
	current = o;
	if ((o->inner = OSSL_LIB_CTX_new()) == NULL ||
	    (o->deflt = OSSL_PROVIDER_load(o->inner, "default")) == NULL ||
	    (o->outer = OSSL_LIB_CTX_new()) == NULL ||
	    !OSSL_PROVIDER_add_builtin(o->outer, "custody-dkim-keys",
	    keys_init) ||
	    (o->keys = OSSL_PROVIDER_load(o->outer, "custody-dkim-keys"))
	    == NULL) {
		release(o);
		return NULL;
	}
	o->before = OSSL_LIB_CTX_set0_default(o->outer);
	return o;
}

void custody_dkim__openssl_end(struct custody_dkim__openssl *o)
{
	if (o == NULL)
		return;
	(void)OSSL_LIB_CTX_set0_default(o->before);
	release(o);
}
