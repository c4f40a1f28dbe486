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
 * random numbers), except the decoders and the key managers: of the
 * decoders it offers only the two that read a DKIM key, a
 * SubjectPublicKeyInfo in DER of RSA or of Ed25519, and of the key
 * managers only those of RSA and Ed25519 keys (the decoder chain is
 * built for each key manager the context has). Decoding a key then
 * takes 15 microseconds. Keys of any other type no longer decode;
 * libopendkim refused them anyway (an RSA signature needs an RSA key,
 * and it reads an Ed25519 key from its raw bytes), as does the ARC code
 * (dkim_arc.c).
 *
 * The thread also keeps its libopendkim library handle from one message
 * to the next (custody_dkim__thread_lib): making one reads the
 * resolver's configuration again each time.
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
#include <opendkim/dkim.h>

#include "dkim.h"

#define KEY_ALGORITHMS 4

/* the algorithms of one operation, of which only a few are offered */
struct few {
	const OSSL_ALGORITHM *all;
	OSSL_ALGORITHM some[KEY_ALGORITHMS + 1];
};

struct custody_dkim__openssl {
	OSSL_LIB_CTX *inner, *outer, *before;
	OSSL_PROVIDER *deflt, *keys;
	struct few decoders, keymgmts;
	void *lib;             /* the thread's libopendkim handle */
};

static _Thread_local struct custody_dkim__openssl *current;

/* Is `a` an algorithm of RSA or Ed25519 keys? */
static int of_key_type(const OSSL_ALGORITHM *a)
{
	const char *names = a->algorithm_names;

	return names != NULL && (strcmp(names, "RSA") == 0 ||
		strncmp(names, "RSA:", 4) == 0 ||
		strcmp(names, "ED25519") == 0 ||
		strncmp(names, "ED25519:", 8) == 0);
}

/* Is `a` a decoder of a DER SubjectPublicKeyInfo of RSA or Ed25519? */
static int key_decoder(const OSSL_ALGORITHM *a)
{
	const char *props = a->property_definition;

	return of_key_type(a) && props != NULL &&
		strstr(props, "input=der") != NULL &&
		strstr(props, "structure=SubjectPublicKeyInfo") != NULL;
}

/* Offer of `all` only the algorithms `keep` says yes to. */
static const OSSL_ALGORITHM *offer(struct few *f, const OSSL_ALGORITHM *all,
	int (*keep)(const OSSL_ALGORITHM *))
{
	size_t n = 0;

	f->all = all;
	for (const OSSL_ALGORITHM *a = all; a->algorithm_names != NULL; a++)
		if (keep(a) && n < KEY_ALGORITHMS)
			f->some[n++] = *a;
	memset(&f->some[n], 0, sizeof(f->some[n]));
	return f->some;
}

static const OSSL_ALGORITHM *keys_query(void *provctx, int operation,
	int *no_cache)
{
	struct custody_dkim__openssl *o = current;
	const OSSL_ALGORITHM *all;

	(void)provctx;
	if (o == NULL)
		return NULL;
	all = OSSL_PROVIDER_query_operation(o->deflt, operation, no_cache);
	if (all == NULL)
		return NULL;
	if (operation == OSSL_OP_DECODER)
		return offer(&o->decoders, all, key_decoder);
	if (operation == OSSL_OP_KEYMGMT)
		return offer(&o->keymgmts, all, of_key_type);
	return all;
}

static void keys_unquery(void *provctx, int operation,
	const OSSL_ALGORITHM *algorithms)
{
	struct custody_dkim__openssl *o = current;

	(void)provctx;
	if (o == NULL)
		return;
	if (operation == OSSL_OP_DECODER && algorithms == o->decoders.some)
		algorithms = o->decoders.all;
	if (operation == OSSL_OP_KEYMGMT && algorithms == o->keymgmts.some)
		algorithms = o->keymgmts.all;
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
	if (o->lib != NULL)
		dkim_close(o->lib);
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

void **custody_dkim__thread_lib(void)
{
	return current != NULL ? &current->lib : NULL;
}

void custody_dkim__openssl_end(struct custody_dkim__openssl *o)
{
	if (o == NULL)
		return;
	(void)OSSL_LIB_CTX_set0_default(o->before);
	release(o);
}
