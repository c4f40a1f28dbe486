/*
 * Fuzz target for the entry and custody.yaml readers (libFuzzer style).
 * Besides "never crash, never leak", it checks the property custody relies
 * on: whatever the reader accepts, the emitter writes back so that it
 * reads the same, and writing is a fixpoint (emit(parse(emit(e))) ==
 * emit(e)). A broken property aborts, which a fuzzer reports as a crash.
 *
 *   clang -fsanitize=fuzzer,address ... fuzz_entry.c  (with libFuzzer)
 *   replay.c + fuzz_entry.c                            (without: corpus)
 */
#include "config.h"
#include "entry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int same_entry(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return a->index == b->index && a->type == b->type &&
		same_string(a->time, b->time) &&
		same_string(a->actor, b->actor) &&
		same_string(a->salt, b->salt) &&
		same_string(a->note, b->note) &&
		same_string(a->origin, b->origin) &&
		same_string(a->path, b->path) && a->size == b->size &&
		same_string(a->sha256, b->sha256) &&
		same_string(a->sha512, b->sha512) &&
		same_string(a->media_type, b->media_type) &&
		same_string(a->blob, b->blob) && a->version == b->version &&
		a->has_previous == b->has_previous &&
		a->previous == b->previous &&
		same_string(a->source, b->source);
}

static void broken(const char *what, const custody_error *err)
{
	fprintf(stderr, "fuzz_entry: %s: %s\n", what,
		custody_error_message(err));
	abort();
}

static void check_entry(const char *bytes, size_t size)
{
	struct custody_entry *e = NULL, *again = NULL;
	custody_buf first = CUSTODY_BUF_INIT, second = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	int rc;

	rc = custody_entry__parse(&e, bytes, size, "fuzz", &err);
	if (rc != 0) {
		if (rc != CUSTODY_EINVALID || e != NULL || err == NULL ||
		    strncmp(custody_error_message(err), "fuzz", 4) != 0)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	if (custody_entry__emit(&first, e, &err) != 0)
		broken("cannot write an entry it read", err);
	if (custody_entry__parse(&again, first.ptr, first.size, "emitted",
	    &err) != 0)
		broken("cannot read an entry it wrote", err);
	if (!same_entry(e, again))
		broken("entry changed through emit and parse", err);
	if (custody_entry__emit(&second, again, &err) != 0 ||
	    second.size != first.size ||
	    memcmp(first.ptr, second.ptr, first.size) != 0)
		broken("emitting is not a fixpoint", err);
cleanup:
	custody_buf_dispose(&first);
	custody_buf_dispose(&second);
	custody_entry__free(again);
	custody_entry__free(e);
	custody_error_free(err);
}

static void check_config(const char *bytes, size_t size)
{
	struct custody_config *c = NULL, *again = NULL;
	custody_buf yaml = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	if (custody_config__parse(&c, bytes, size, "fuzz", &err) != 0) {
		if (c != NULL || err == NULL)
			broken("refusal without a proper error", err);
		goto cleanup;
	}
	if (custody_config__emit(&yaml, c, &err) != 0 ||
	    custody_config__parse(&again, yaml.ptr, yaml.size, "emitted",
	    &err) != 0)
		broken("custody.yaml does not round-trip", err);
	if (!same_string(c->origin, again->origin) ||
	    c->sha512 != again->sha512 || c->store != again->store)
		broken("custody.yaml changed through emit and parse", err);
cleanup:
	custody_buf_dispose(&yaml);
	custody_config__free(again);
	custody_config__free(c);
	custody_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so a read past the end is caught
	 * by the sanitizer rather than landing in the fuzzer's buffer. */
	char *bytes = malloc(size ? size : 1);

	if (bytes == NULL)
		return 0;
	if (size > 0)
		memcpy(bytes, data, size);
	check_entry(bytes, size);
	check_config(bytes, size);
	free(bytes);
	return 0;
}
