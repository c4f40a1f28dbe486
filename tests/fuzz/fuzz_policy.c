/*
 * Fuzz target for tlog-policy files (libFuzzer style), as `custody check
 * --policy` and the archive's tlog-policy are read
 * (custody_policy__parse). Besides "never crash, never leak", it checks:
 *   - a refusal is CUSTODY_EINVALID with a message naming the input;
 *   - an accepted policy keeps to the limits, passes
 *     custody_policy__validate, and formats to a file that parses to a
 *     policy formatting to the same bytes (one text for one policy).
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh policy SECONDS        (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_policy.c                 (without: corpus)
 */
#include "expect.h"
#include "policy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "policy"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct custody_policy *p = NULL, *again = NULL;
	custody_buf text = CUSTODY_BUF_INIT, text2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char *bytes;
	int rc;

	if ((bytes = fuzz_copy(data, size)) == NULL)
		return 0;
	rc = custody_policy__parse(&p, bytes, size, "fuzz", &err);
	fuzz_expect("policy", rc == 0);
	if (rc != 0) {
		if (rc != CUSTODY_EINVALID || err == NULL || p != NULL ||
		    strstr(custody_error_message(err), "fuzz") == NULL)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	if (p->nlogs > CUSTODY_POLICY_MAX_LOGS ||
	    p->nwitnesses > CUSTODY_POLICY_MAX_WITNESSES ||
	    p->ngroups > CUSTODY_POLICY_MAX_GROUPS)
		broken("a policy beyond the limits", NULL);
	if (custody_policy__validate(p, "fuzz", &err) != 0)
		broken("a parsed policy does not validate", err);
	if (custody_policy__format(p, &text, &err) != 0)
		broken("cannot write a policy it read", err);
	if (custody_policy__parse(&again, text.ptr, text.size, "formatted",
	    &err) != 0)
		broken("cannot read a policy it wrote", err);
	if (custody_policy__format(again, &text2, &err) != 0 ||
	    text2.size != text.size ||
	    memcmp(text.ptr, text2.ptr, text.size) != 0)
		broken("a policy changed through format and parse", err);
cleanup:
	custody_buf_dispose(&text);
	custody_buf_dispose(&text2);
	free(again);
	free(p);
	custody_error_free(err);
	free(bytes);
	return 0;
}
