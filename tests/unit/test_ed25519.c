/*
 * custody's Ed25519 verifier (ed25519.c) against the external vectors in
 * tests/data: every one of Wycheproof's ed25519_test.json and every one
 * of C2SP CCTV's ed25519vectors.json, each given the verdict custody's
 * policy (docs/design-notes.md, "Ed25519 verdicts") says it must get.
 * Runs from tests/, as meson does. The JSON files are the upstream files
 * unchanged, read with libyaml's document loader (JSON is YAML in flow
 * style).
 */
#include "ed25519.h"
#include "fsutil.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libyaml's header, by path (tests/meson.build says why) */
#include CUSTODY_LIBYAML_H

#define WYCHEPROOF_FILE "data/wycheproof/ed25519_test.json"
#define CCTV_FILE "data/cctv/ed25519vectors.json"

/* The counts upstream states (Wycheproof's numberOfTests) or that the
 * file held when it was copied (CCTV), so a file cut short fails. */
#define WYCHEPROOF_TESTS 151
#define CCTV_VECTORS 914

/* ---- reading the JSON ---- */

static int load_json(yaml_document_t *doc, const char *path)
{
	yaml_parser_t parser;
	FILE *f = fopen(path, "rb");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s (run from tests/)\n", path);
		return 0;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return 0;
	}
	yaml_parser_set_input_file(&parser, f);
	ok = yaml_parser_load(&parser, doc) &&
		yaml_document_get_root_node(doc) != NULL;
	if (!ok)
		fprintf(stderr, "%s: %s at line %zu\n", path,
			parser.problem ? parser.problem : "not JSON",
			parser.problem_mark.line + 1);
	yaml_parser_delete(&parser);
	fclose(f);
	return ok;
}

/* The value under `key` in mapping `map`, or NULL. */
static yaml_node_t *get(yaml_document_t *doc, yaml_node_t *map,
	const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The text of the scalar under `key`, or NULL. */
static const char *get_string(yaml_document_t *doc, yaml_node_t *map,
	const char *key)
{
	yaml_node_t *n = get(doc, map, key);

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static size_t items(yaml_node_t *seq)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top -
		seq->data.sequence.items.start);
}

static yaml_node_t *item(yaml_document_t *doc, yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
}

/* 1 if the sequence under `key` holds the string `flag`. */
static int has_flag(yaml_document_t *doc, yaml_node_t *map,
	const char *key, const char *flag)
{
	yaml_node_t *flags = get(doc, map, key);

	for (size_t i = 0; i < items(flags); i++) {
		yaml_node_t *f = item(doc, flags, i);

		if (f != NULL && f->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)f->data.scalar.value, flag) == 0)
			return 1;
	}
	return 0;
}

/* Decode a hex string of any even length into malloc'd bytes (one byte
 * at least, so an empty message is a valid pointer); NULL if not hex. */
static unsigned char *unhex_alloc(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	unsigned char *out;

	if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
		return NULL;
	if (custody_unhex(out, hex, n / 2) != 0) {
		free(out);
		return NULL;
	}
	*len = n / 2;
	return out;
}

/*
 * custody's verdict on one signature as its callers reach the verifier:
 * note.c, cosignature.c and sshsig.c refuse a signature that is not
 * exactly 64 bytes before they call custody_ed25519__verify.
 */
static int custody_accepts(const unsigned char pub[32],
	const unsigned char *msg, size_t msg_len, const unsigned char *sig,
	size_t sig_len)
{
	if (sig_len != CUSTODY_ED25519_SIGNATURE_BYTES)
		return 0;
	return custody_ed25519__verify(pub, msg, msg_len, sig);
}

/* ---- Wycheproof ---- */

/*
 * Every vector's verdict is Wycheproof's "result" (valid or invalid; the
 * file has no "acceptable" ones). Vectors whose S is at least L must be
 * refused because of it, and keys of the file are all acceptable.
 */
static void test_ed25519__wycheproof_vectors_get_their_verdict(void)
{
	yaml_document_t doc;
	yaml_node_t *root, *groups;
	size_t total = 0, valid = 0, wrong_length = 0, s_too_big = 0;

	if (!load_json(&doc, WYCHEPROOF_FILE)) {
		CHECK(!"the Wycheproof file is readable JSON");
		return;
	}
	root = yaml_document_get_root_node(&doc);
	CHECK_STR(get_string(&doc, root, "algorithm"), "EDDSA");
	CHECK_STR(get_string(&doc, root, "numberOfTests"), "151");
	groups = get(&doc, root, "testGroups");
	CHECK(items(groups) > 0);
	for (size_t g = 0; g < items(groups); g++) {
		yaml_node_t *group = item(&doc, groups, g), *tests;
		const char *pk_hex = get_string(&doc,
			get(&doc, group, "publicKey"), "pk");
		unsigned char pub[32];

		CHECK_STR(get_string(&doc, group, "type"), "EddsaVerify");
		if (pk_hex == NULL || strlen(pk_hex) != 64 ||
		    custody_unhex(pub, pk_hex, 32) != 0) {
			CHECK(!"every group has a 32-byte public key");
			continue;
		}
		CHECK(custody_ed25519__public_key_problem(pub) == NULL);
		tests = get(&doc, group, "tests");
		for (size_t t = 0; t < items(tests); t++) {
			yaml_node_t *v = item(&doc, tests, t);
			const char *id = get_string(&doc, v, "tcId");
			const char *result = get_string(&doc, v, "result");
			const char *msg_hex = get_string(&doc, v, "msg");
			const char *sig_hex = get_string(&doc, v, "sig");
			unsigned char *msg = NULL, *sig = NULL;
			size_t msg_len = 0, sig_len = 0;
			int want, got;

			total++;
			if (id == NULL || result == NULL || msg_hex == NULL ||
			    sig_hex == NULL ||
			    (msg = unhex_alloc(msg_hex, &msg_len)) == NULL ||
			    (sig = unhex_alloc(sig_hex, &sig_len)) == NULL) {
				CHECK(!"every test has its fields");
				free(msg);
				continue;
			}
			CHECK(strcmp(result, "valid") == 0 ||
			    strcmp(result, "invalid") == 0);
			want = strcmp(result, "valid") == 0;
			got = custody_accepts(pub, msg, msg_len, sig, sig_len);
			if (got != want) {
				const char *why = get_string(&doc, v,
					"comment");

				test_failures_++;
				fprintf(stderr, "  Wycheproof tcId %s (%s): "
					"custody %s, Wycheproof says %s\n", id,
					why != NULL ? why : "",
					got ? "accepts" : "refuses", result);
			}
			valid += want;
			if (sig_len != 64) {
				wrong_length++;
			} else if (!custody_ed25519__s_is_canonical(sig)) {
				s_too_big++;
				CHECK_INT(want, 0);
			}
			free(msg);
			free(sig);
		}
	}
	CHECK_INT(total, WYCHEPROOF_TESTS);
	printf("     Wycheproof: %zu vectors, %zu valid, %zu invalid (%zu of "
		"them not 64 bytes long, %zu with S >= L)\n", total, valid,
		total - valid, wrong_length, s_too_big);
	yaml_document_delete(&doc);
}

/* ---- CCTV ---- */

/*
 * custody's policy on CCTV's flags (docs/design-notes.md):
 *   refused: low_order_A (a small-order key, in any encoding: custody's
 *     own check), non_canonical_A (only small-order points have such
 *     encodings in the file; custody refuses every y >= p),
 *     non_canonical_R and low_order_residue (OpenSSL's cofactorless
 *     check, as ref10, Go and dalek's verify do);
 *   accepted: low_order_R alone, low_order_component_A and
 *     low_order_component_R (a mixed-order key cannot be told from a
 *     good one by a list, and its signatures bind the message).
 */
static int cctv_policy_accepts(yaml_document_t *doc, yaml_node_t *v)
{
	return !has_flag(doc, v, "flags", "low_order_A") &&
		!has_flag(doc, v, "flags", "non_canonical_A") &&
		!has_flag(doc, v, "flags", "non_canonical_R") &&
		!has_flag(doc, v, "flags", "low_order_residue");
}

static void test_ed25519__cctv_vectors_get_custody_policy_verdict(void)
{
	yaml_document_t doc;
	yaml_node_t *root;
	size_t total = 0, accepted = 0, key_refused = 0;

	if (!load_json(&doc, CCTV_FILE)) {
		CHECK(!"the CCTV file is readable JSON");
		return;
	}
	root = yaml_document_get_root_node(&doc);
	for (size_t i = 0; i < items(root); i++) {
		yaml_node_t *v = item(&doc, root, i);
		const char *number = get_string(&doc, v, "number");
		const char *key_hex = get_string(&doc, v, "key");
		const char *sig_hex = get_string(&doc, v, "sig");
		const char *msg = get_string(&doc, v, "msg");
		unsigned char pub[32], sig[64];
		int want, got, small_key;

		total++;
		if (number == NULL || msg == NULL || key_hex == NULL ||
		    sig_hex == NULL || strlen(key_hex) != 64 ||
		    strlen(sig_hex) != 128 ||
		    custody_unhex(pub, key_hex, 32) != 0 ||
		    custody_unhex(sig, sig_hex, 64) != 0) {
			CHECK(!"every vector has number, key, sig, msg");
			continue;
		}
		want = cctv_policy_accepts(&doc, v);
		got = custody_ed25519__verify(pub, msg, strlen(msg), sig);
		if (got != want) {
			test_failures_++;
			fprintf(stderr, "  CCTV vector %s: custody %s, its "
				"policy says %s\n", number,
				got ? "accepts" : "refuses",
				want ? "accept" : "refuse");
		}
		/* The key check refuses exactly the low-order keys. */
		small_key = custody_ed25519__public_key_problem(pub) != NULL;
		if (small_key != has_flag(&doc, v, "flags", "low_order_A")) {
			test_failures_++;
			fprintf(stderr, "  CCTV vector %s: the key check says "
				"%s\n", number, small_key ? "refused" :
				"fine");
		}
		/* Every CCTV signature has a canonical S: the verdicts are
		 * about the points alone. */
		CHECK_INT(custody_ed25519__s_is_canonical(sig), 1);
		accepted += want;
		key_refused += small_key;
	}
	CHECK_INT(total, CCTV_VECTORS);
	printf("     CCTV: %zu vectors, %zu accepted, %zu refused (%zu of "
		"them for the key)\n", total, accepted, total - accepted,
		key_refused);
	yaml_document_delete(&doc);
}

static const struct test tests[] = {
	TEST(test_ed25519__wycheproof_vectors_get_their_verdict),
	TEST(test_ed25519__cctv_vectors_get_custody_policy_verdict),
	{ 0 }
};

int main(void)
{
	return test_run(tests);
}
