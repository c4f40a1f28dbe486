/*
 * Fuzz target for DKIM evidence files (custody-dkim/v1), as `custody
 * dkim check MSG --evidence EVIDENCE` reads them (custody_dkim_recheck:
 * the evidence is parsed, then the message is verified again with the
 * key records it holds, at the time it holds; no DNS is asked).
 * libFuzzer style; replay.c runs the corpus, tests/fuzz/corpus/
 * dkim_evidence.
 *
 * The input is the evidence, then a NUL byte and the message it is
 * about (no NUL: an empty message). Besides "never crash, never leak",
 * it checks:
 *   - a refusal is CUSTODY_EINVALID (evidence or message malformed) or
 *     CUSTODY_EVERIFY (made for another message) with a message, and
 *     one about the evidence names a line that it has;
 *   - an accepted evidence gives a documented verdict and results, at
 *     most CUSTODY_DKIM_MAX_SIGNATURES signatures, the observation time
 *     it holds, and new evidence for this very message (its SHA-256)
 *     ending in "end";
 *   - that new evidence is a fixpoint: checked again, it is accepted
 *     with the same verdict, results and evidence, byte for byte.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh dkim_evidence SECONDS  (libFuzzer, docs/fuzzing.md)
 */
#include "custody/dkim.h"
#include "expect.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "dkim_evidence"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static void check_refusal(int rc, const custody_error *err,
	const char *evidence)
{
	const char *m;
	unsigned long line;
	size_t lines = 1;

	if ((rc != CUSTODY_EINVALID && rc != CUSTODY_EVERIFY) || err == NULL)
		broken("a refusal without a proper error", err);
	m = custody_error_message(err);
	if (m == NULL || *m == '\0')
		broken("a refusal without a message", err);
	if (sscanf(m, "DKIM evidence, line %lu:", &line) == 1) {
		for (const char *c = evidence; *c; c++)
			lines += *c == '\n';
		if (line == 0 || line > lines)
			broken("a refusal naming a line the evidence has not",
				err);
	}
}

static void check_report(const custody_dkim_report *r, const char *sha256)
{
	static const char *const verdicts[] = { "pass", "weak", "fail",
		"temperror", "none", NULL };
	static const char *const results[] = { "pass", "fail", "weak",
		"expired", "future", "revoked", "nokey", "temperror",
		"permerror", NULL };
	const char *ev = custody_dkim_report_evidence(r);
	char head[128];
	size_t n = custody_dkim_report_count(r), len;

	if (!one_of(custody_dkim_report_verdict(r), verdicts))
		broken("an undocumented verdict", NULL);
	if (n > CUSTODY_DKIM_MAX_SIGNATURES)
		broken("more signatures than the limit", NULL);
	for (size_t i = 0; i < n; i++)
		if (!one_of(custody_dkim_report_result(r, i), results) ||
		    custody_dkim_report_signature(r, i) == NULL)
			broken("an undocumented result", NULL);
	if (custody_dkim_report_time(r) <= 0)
		broken("an observation time that is not after 1970", NULL);
	snprintf(head, sizeof(head), "custody-dkim/v1\nmessage-sha256 %s\n",
		sha256);
	if (ev == NULL || strncmp(ev, head, strlen(head)) != 0 ||
	    (len = strlen(ev)) < 4 || strcmp(ev + len - 4, "end\n") != 0)
		broken("new evidence that is not for this message", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custody_dkim_report *r = NULL, *again = NULL;
	custody_error *err = NULL;
	char *bytes, sha256[CUSTODY_SHA256_HEX_SIZE];
	const char *message;
	size_t evidence_len, message_len;
	int rc;

	/* one byte more, so that the evidence is a C string either way */
	if ((bytes = malloc(size + 1)) == NULL)
		return 0;
	memcpy(bytes, data, size);
	bytes[size] = '\0';
	evidence_len = strlen(bytes);
	message = evidence_len < size ? bytes + evidence_len + 1 : "";
	message_len = evidence_len < size ? size - evidence_len - 1 : 0;

	rc = custody_dkim_recheck(&r, message, message_len, bytes, &err);
	fuzz_expect("dkim_evidence", rc == 0);
	if (rc == CUSTODY_ENOMEM)
		goto cleanup;
	if (rc != 0) {
		check_refusal(rc, err, bytes);
		goto cleanup;
	}
	if (custody_sha256_hex(message, message_len, sha256, &err) != 0)
		goto cleanup;
	check_report(r, sha256);

	rc = custody_dkim_recheck(&again, message, message_len,
		custody_dkim_report_evidence(r), &err);
	if (rc == CUSTODY_ENOMEM)
		goto cleanup;
	if (rc != 0)
		broken("evidence custody wrote is refused", err);
	if (strcmp(custody_dkim_report_verdict(r),
	    custody_dkim_report_verdict(again)) != 0 ||
	    custody_dkim_report_count(r) != custody_dkim_report_count(again) ||
	    custody_dkim_report_time(r) != custody_dkim_report_time(again) ||
	    strcmp(custody_dkim_report_unsigned(r),
	    custody_dkim_report_unsigned(again)) != 0)
		broken("the verdict changed when checked from its own "
			"evidence", NULL);
	for (size_t i = 0; i < custody_dkim_report_count(r); i++)
		if (strcmp(custody_dkim_report_signature(r, i),
		    custody_dkim_report_signature(again, i)) != 0 ||
		    strcmp(custody_dkim_report_result(r, i),
		    custody_dkim_report_result(again, i)) != 0)
			broken("a signature's finding changed when checked "
				"from its own evidence", NULL);
	if (strcmp(custody_dkim_report_evidence(r),
	    custody_dkim_report_evidence(again)) != 0)
		broken("evidence written from evidence is not a fixpoint",
			NULL);
cleanup:
	custody_error_free(err);
	custody_dkim_report_free(r);
	custody_dkim_report_free(again);
	free(bytes);
	return 0;
}
