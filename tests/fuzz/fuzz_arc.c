/*
 * Fuzz target for the ARC chain evaluation (lib/src/dkim_arc.c): the
 * three ARC headers' tag lists, the structure checks, canonicalisation
 * and verification of hostile mail (libFuzzer style; replay.c runs the
 * corpus, tests/fuzz/corpus/arc, whose seed arc-3.eml passes with the
 * key below, dkimpy's own test key: tests/data/dkim/README.md). Besides
 * "never crash, never leak": the chain is none, pass or fail; a fail has
 * a reason and nothing else does; no more than CUSTODY_DKIM_MAX_ARC_SETS
 * sets; a pass has every set's seal and message signature passing. A
 * broken property aborts.
 */
#include "dkim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record[] = "v=DKIM1; g=*; k=rsa; p="
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5Ru5WVhkPiBuE+mOf29u"
	"qontUfoQpcWX04sA/V6dRmZ0I2kRHOSKYXLW84sqPiWyfKH4WaP7f0p6RvENyIqF"
	"jCYWDPxSX5Ck/rj0jUzQ6FKloUb9M/0hhdUy2xa7przy7wudLu7WpgxyMLogPZfW"
	"MV369vvPefyvuXF8B3rCuy5qSNyvnDf0Dn4/blILfyw5df4JWJIj0FfXxc3LMMLQ"
	"M+Nn8q71iJmH5qXuB78GWUjT7erEXnrXdWKZimM9l6fMSOb6EBm0AwNVR+mOGwt0"
	"5LPrSHFrwKJSNRB5gBOzXfmjdUpghIq+wLF1trz+oJt5CcZs45GPjiuyUomI+HgF"
	"pQIDAQAB";

static int key(void *payload, const char *domain, const char *selector,
	const struct custody_dkim_key **out, custody_error **err)
{
	(void)domain;
	(void)selector;
	(void)err;
	*out = payload;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_dkim_message m;
	struct custody_dkim__arc a;
	struct custody_dkim_key k;
	custody_error *err = NULL;
	size_t i;

	if (custody_dkim__split(&m, data, size, &err) != 0) {
		custody_error_free(err);
		return 0;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.status, "ok", 3);
	k.text = (char *)record;
	k.text_len = strlen(record);
	if (custody_dkim__arc_parse(&a, &m, &err) != 0 ||
	    custody_dkim__arc_verify(&a, &m, 1796000100, key, &k, &err) != 0)
		abort();        /* only out of memory fails */
	if (a.chain == NULL || a.nsets > CUSTODY_DKIM_MAX_ARC_SETS ||
	    (strcmp(a.chain, "fail") == 0) != (a.reason[0] != '\0') ||
	    (strcmp(a.chain, "none") != 0 && strcmp(a.chain, "pass") != 0 &&
	    strcmp(a.chain, "fail") != 0))
		abort();
	for (i = 0; i < a.nsets; i++) {
		const struct custody_dkim__arc_set *s = &a.sets[i];
		if (strcmp(a.chain, "pass") == 0 &&
		    (s->instance != i + 1 ||
		    strcmp(s->seal_result, "pass") != 0 ||
		    strcmp(s->ams_result, "pass") != 0))
			abort();
		if (s->instance != 0 && strlen(s->line) == 0)
			abort();
	}
	custody_dkim__arc_clear(&a);
	custody_dkim__message_free(&m);
	return 0;
}
