/*
 * Fuzz target for the DKIM message splitter (lib/src/dkim_message.c),
 * the part of custody that reads hostile mail before libopendkim does
 * (libFuzzer style; replay.c runs the corpus, tests/fuzz/corpus/dkim).
 * Besides "never crash, never leak", a message it accepts must hold
 * headers that lie inside the normalised text, in order, each ending
 * before the body, each named in lowercase, and no more than
 * CUSTODY_DKIM_MAX_SIGNATURES signatures; a broken property aborts.
 */
#include "dkim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_dkim_message m;
	custody_error *err = NULL;
	size_t i, last = 0;

	if (custody_dkim__split(&m, data, size, &err) != 0) {
		if (err == NULL)
			abort();
		custody_error_free(err);
		return 0;
	}
	if (m.nheaders == 0 || m.body > m.len ||
	    m.nsignatures > CUSTODY_DKIM_MAX_SIGNATURES)
		abort();
	for (i = 0; i < m.nheaders; i++) {
		const struct custody_dkim_header *h = &m.headers[i];
		const char *c;
		if (h->offset < last || h->offset + h->len + 2 > m.body ||
		    h->len > CUSTODY_DKIM_MAX_HEADER)
			abort();
		for (c = h->name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		last = h->offset + h->len;
	}
	custody_dkim__message_free(&m);
	return 0;
}
