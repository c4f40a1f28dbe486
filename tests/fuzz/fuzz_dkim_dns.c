/*
 * Fuzz target for the DNS replies `custody dkim` reads key records from
 * (libFuzzer style): the raw reply to a TXT question, as res_nquery
 * leaves it, to custody_dkim__read_answer (dkim_dns.c; the message is
 * libresolv's to parse, the TXT record's character-strings custody's).
 * Besides "never crash, never leak", it checks:
 *   - the status is ok, nokey, temperror or permerror, with a reason
 *     exactly when it is not ok;
 *   - "ad" only when the reply's AD bit is set;
 *   - the RDATA kept is bytes of the reply, and the text is its
 *     character-strings joined, read again here on their own: when the
 *     status is ok they fill the RDATA exactly and hold no NUL; a string
 *     running past the RDATA, or a NUL, is a permerror;
 *   - nokey and a malformed reply (temperror) keep no RDATA and no
 *     text, ok always does.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh dkim_dns SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_dkim_dns.c            (without: the corpus)
 *
 * Seeds named valid-* must give "ok", refused-* anything else; they are
 * written by make_corpus.py (dkim_dns).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dkim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "dkim_dns"
#include "fuzz.h"
#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The character-strings of rdata joined into out (room for rdata_len
 * bytes); 0 when they fill it exactly, -1 when one runs past it. */
static int join_again(const unsigned char *rdata, size_t rdata_len,
	char *out, size_t *out_len)
{
	size_t i = 0;

	*out_len = 0;
	while (i < rdata_len) {
		size_t len = rdata[i];

		if (i + 1 + len > rdata_len)
			return -1;
		memcpy(out + *out_len, rdata + i + 1, len);
		*out_len += len;
		i += 1 + len;
	}
	return 0;
}

static void check_strings(const struct custody_dkim_key *k)
{
	char *joined = malloc(k->rdata_len + 1);
	size_t joined_len;
	int fits;

	if (joined == NULL)
		return;
	fits = join_again(k->rdata, k->rdata_len, joined, &joined_len) == 0;
	if (k->text == NULL || k->text[k->text_len] != '\0')
		broken("RDATA kept without its text", NULL);
	if (strcmp(k->status, "ok") == 0) {
		if (!fits)
			broken("ok for a string running past its record", NULL);
		if (memchr(joined, '\0', joined_len) != NULL)
			broken("ok for a record with a NUL byte", NULL);
	} else if ((!fits || memchr(joined, '\0', joined_len) != NULL) &&
	    strcmp(k->status, "permerror") != 0) {
		broken("a broken record that is not a permerror", NULL);
	}
	if (fits && (k->text_len != joined_len ||
	    memcmp(k->text, joined, joined_len) != 0))
		broken("the text is not the strings joined", NULL);
	free(joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_dkim_key k;
	custody_error *err = NULL;
	unsigned char *reply = fuzz_copy(data, size);
	int ok;

	if (reply == NULL)
		return 0;
	memset(&k, 0, sizeof(k));
	snprintf(k.query, sizeof(k.query), "sel._domainkey.example.com");
	snprintf(k.dnssec, sizeof(k.dnssec), "no");
	if (custody_dkim__read_answer(&k, reply, size, &err) != 0)
		broken("no verdict", err);
	if (strcmp(k.status, "ok") != 0 && strcmp(k.status, "nokey") != 0 &&
	    strcmp(k.status, "temperror") != 0 &&
	    strcmp(k.status, "permerror") != 0)
		broken("an unknown status", NULL);
	ok = strcmp(k.status, "ok") == 0;
	if (ok != (k.reason[0] == '\0'))
		broken("a reason without a refusal, or none with one", NULL);
	if (strcmp(k.dnssec, "ad") == 0 && (size < 4 || !(data[3] & 0x20)))
		broken("\"ad\" without the AD bit", NULL);
	if (k.rdata != NULL) {
		if (k.rdata_len > size || (k.rdata_len > 0 &&
		    memmem(data, size, k.rdata, k.rdata_len) == NULL))
			broken("RDATA that is not in the reply", NULL);
		check_strings(&k);
	}
	if ((ok && k.rdata == NULL) || (strcmp(k.status, "nokey") == 0 &&
	    k.rdata != NULL) || (strcmp(k.status, "temperror") == 0 &&
	    (k.rdata != NULL || k.text != NULL)))
		broken("RDATA kept for no record, or none for one", NULL);
	fuzz_expect(FUZZ_TARGET, ok);
	if (getenv("FUZZ_DKIM_DNS_VERBOSE") != NULL)
		fprintf(stderr, "%s %s %s (%zu bytes)\n", k.status, k.dnssec,
			k.reason, k.text_len);
	custody_dkim__key_clear(&k);
	free(reply);
	return 0;
}
