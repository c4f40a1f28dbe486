/*
 * Fuzz target for the entry and custody.yaml readers (libFuzzer style).
 * Besides "never crash, never leak", it checks the properties custody
 * relies on. A public part the reader accepts carries no private field
 * and reads the same twice. A private part that opens one of the fixed
 * public parts below (custody-written, so canonical) makes an entry
 * whose public part emits back to exactly those bytes, whose private
 * part emits to one that opens to the same entry, and writing it is a
 * fixpoint. A broken property aborts, which a fuzzer reports as a crash.
 *
 *   clang -fsanitize=fuzzer,address ... fuzz_entry.c  (with libFuzzer)
 *   replay.c + fuzz_entry.c                            (without: corpus)
 *
 * The corpus (tests/fuzz/corpus/entry) holds both parts of every entry
 * fixture, and private-* files: the private parts of the public parts
 * below, as tests/unit/test_entry.c's emit tests write them.
 */
#include "config.h"
#include "entry.h"
#include "merkle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_TARGET "entry"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" \
	"GFTiFngnT+PKfISS96Z2LV88qEbnNU0JeqEHL+jObUV"
#define BLOB "30d74d258442c7c65512eafab474568dd706c430"
#define OPENING "000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"
#define SALT "5f0c6a1e2d3b4c5d6e7f80912a3b4c5d" \
	"6e7f8091a2b3c4d5e6f708192a3b4c5d"
#define SHA256 "9f86d081884c7d659a2feaa0c55ad015" \
	"a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA512 "ee26b0dd4af7e749aa1a8ee3c10ae992" \
	"3f618980772e473f8819a5d4940e0db2" \
	"7ac185f8a0e1d5f84f88bc887fd67b14" \
	"3732c304cc5fa9ad8e6f57f50028a8ff"
#define LEAF "5b22efae7f14859d2c70c6bd182e4c05" \
	"5c28cdfa923901d0f02228e0adcf3ec2"
/* The public parts a fuzzed private part is opened against. */
static const char *const publics[] = {
	/* register */
	"custody-entry: 2\n"
	"index: 12\n"
	"type: \"register\"\n"
	"time: \"2026-11-23T01:54:26Z\"\n"
	"salt: \"" SALT "\"\n"
	"size: 1234\n"
	"sha256: \"" SHA256 "\"\n"
	"sha512: \"" SHA512 "\"\n"
	"media_type: \"application/pdf\"\n"
	"private: \"3f33ab9f0fe8f1862da50fa892731750"
	"d5671b76be4fab7a3644809f8efaa638\"\n",
	/* genesis */
	"custody-entry: 2\n"
	"index: 0\n"
	"type: \"genesis\"\n"
	"time: \"2026-11-23T01:54:26Z\"\n"
	"salt: \"" SALT "\"\n"
	"origin: \"example.org/leaks\"\n"
	"log_key: \"example.org/leaks+5aa0c654+ASoD9mDkUTdqyAPzmlroJtvp"
	"3VhR3LA/7/otlnM04Ujq\"\n"
	"private: \"0d7a070fec6898f436f1759922243571"
	"81a1f352cb3ffc18a54d72c3dda40958\"\n",
	/* event */
	"custody-entry: 2\n"
	"index: 13\n"
	"type: \"event\"\n"
	"time: \"2026-11-24T09:15:00Z\"\n"
	"salt: \"" SALT "\"\n"
	"sha256: \"" SHA256 "\"\n"
	"private: \"85829d63e5b0fb220e85c11b1b9566f1"
	"cb7745c6f0dc49c1537c4d2654849b42\"\n",
	/* derive */
	"custody-entry: 2\n"
	"index: 14\n"
	"type: \"derive\"\n"
	"time: \"2026-11-23T01:54:26Z\"\n"
	"salt: \"" SALT "\"\n"
	"size: 1234\n"
	"sha256: \"" SHA256 "\"\n"
	"sha512: \"" SHA512 "\"\n"
	"media_type: \"application/pdf\"\n"
	"derived_from: 12\n"
	"original_leaf: \"" LEAF "\"\n"
	"derivation: \"redact\"\n"
	"private: \"c3e7429e90b2755cbe787737d7dec457"
	"4f09cdefd4b5fd1aa38159bfb82113f0\"\n",
};

static int same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int same_public(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return a->index == b->index && a->type == b->type &&
		same_string(a->time, b->time) &&
		same_string(a->salt, b->salt) &&
		same_string(a->private_commitment, b->private_commitment) &&
		same_string(a->origin, b->origin) &&
		same_string(a->log_key, b->log_key) &&
		same_string(a->sha256, b->sha256) && a->size == b->size &&
		same_string(a->sha512, b->sha512) &&
		same_string(a->media_type, b->media_type) &&
		same_string(a->original_leaf, b->original_leaf) &&
		a->derived_from == b->derived_from &&
		same_string(a->url, b->url) && a->ndocuments == b->ndocuments;
}

static int same_private(const struct custody_entry *a,
	const struct custody_entry *b)
{
	return same_string(a->opening, b->opening) &&
		same_string(a->actor, b->actor) &&
		same_string(a->note, b->note) &&
		same_string(a->path, b->path) &&
		same_string(a->blob, b->blob) && a->version == b->version &&
		a->has_previous == b->has_previous &&
		a->previous == b->previous &&
		same_string(a->source, b->source) &&
		same_string(a->member, b->member) &&
		same_string(a->key, b->key) && a->action == b->action &&
		a->document == b->document &&
		same_string(a->event_action, b->event_action) &&
		same_string(a->from, b->from) && same_string(a->to, b->to) &&
		same_string(a->at, b->at) &&
		same_string(a->backdate_reason, b->backdate_reason);
}

/* No private field (nor the opening) comes out of a public part. */
static int has_private(const struct custody_entry *e)
{
	return e->opening != NULL || e->actor != NULL || e->note != NULL ||
		e->path != NULL || e->blob != NULL || e->source != NULL ||
		e->member != NULL || e->key != NULL || e->action != 0 ||
		e->event_action != NULL || e->from != NULL || e->to != NULL ||
		e->at != NULL || e->backdate_reason != NULL ||
		e->version != 0 || e->has_previous || e->document != 0;
}

static void refused_properly(int rc, const custody_error *err,
	const char *name)
{
	if (rc != CUSTODY_EINVALID || err == NULL ||
	    strncmp(custody_error_message(err), name, strlen(name)) != 0)
		broken("refusal without a proper error", err);
}

static void check_entry(const char *bytes, size_t size)
{
	struct custody_entry *e = NULL, *again = NULL;
	custody_error *err = NULL;
	int rc;

	rc = custody_entry__parse(&e, bytes, size, "fuzz", &err);
	if (rc != 0) {
		refused_properly(rc, err, "fuzz");
		if (e != NULL)
			broken("refused, yet an entry", err);
		goto cleanup;
	}
	if (has_private(e) || e->private_commitment == NULL)
		broken("a public part with private fields", err);
	if (custody_entry__parse(&again, bytes, size, "again", &err) != 0 ||
	    !same_public(e, again))
		broken("a public part read twice differs", err);
cleanup:
	custody_entry__free(again);
	custody_entry__free(e);
	custody_error_free(err);
}

/* An opened entry writes back: its public part to exactly `pub`, its
 * private part to one that opens to the same entry, twice alike. */
static void check_opened(const struct custody_entry *e, const char *pub)
{
	struct custody_entry *back = NULL;
	custody_buf first = CUSTODY_BUF_INIT, priv = CUSTODY_BUF_INIT;
	custody_buf priv2 = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	unsigned char leaf[32];

	custody_merkle__leaf_hash(pub, strlen(pub), leaf);
	if (custody_entry__emit(&first, e, &err) != 0 ||
	    first.size != strlen(pub) || memcmp(first.ptr, pub, first.size))
		broken("an opened entry's public part changed", err);
	if (custody_entry__emit_private(&priv, e, leaf, &err) != 0 ||
	    custody_entry__parse(&back, pub, strlen(pub), "pub", &err) != 0 ||
	    custody_entry__open(back, priv.ptr, priv.size, "emitted", leaf,
	    &err) != 0)
		broken("cannot read a private part it wrote", err);
	if (!same_public(e, back) || !same_private(e, back))
		broken("entry changed through emit and open", err);
	if (custody_entry__emit_private(&priv2, back, leaf, &err) != 0 ||
	    priv2.size != priv.size ||
	    memcmp(priv.ptr, priv2.ptr, priv.size) != 0)
		broken("emitting the private part is not a fixpoint", err);
	custody_buf_dispose(&first);
	custody_buf_dispose(&priv);
	custody_buf_dispose(&priv2);
	custody_entry__free(back);
	custody_error_free(err);
}

/* The input as the private part of each fixed public part. */
static void check_private(const char *bytes, size_t size)
{
	for (size_t i = 0; i < sizeof(publics) / sizeof(publics[0]); i++) {
		const char *pub = publics[i];
		struct custody_entry *e = NULL;
		custody_error *err = NULL;
		unsigned char leaf[32];
		int rc;

		custody_merkle__leaf_hash(pub, strlen(pub), leaf);
		if (custody_entry__parse(&e, pub, strlen(pub), "pub", &err))
			broken("a fixed public part is refused", err);
		rc = custody_entry__open(e, bytes, size, "fuzz", leaf, &err);
		if (rc != 0)
			refused_properly(rc, err, "fuzz");
		else
			check_opened(e, pub);
		custody_entry__free(e);
		custody_error_free(err);
	}
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
	char *bytes = fuzz_copy(data, size);

	if (bytes == NULL)
		return 0;
	check_entry(bytes, size);
	check_private(bytes, size);
	check_config(bytes, size);
	free(bytes);
	return 0;
}
