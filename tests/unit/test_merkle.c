/*
 * The Merkle tree (merkle.c): known answers from transparency-dev/merkle
 * (tests/data/merkle, run from tests/ as meson does), then a property
 * test against a naive reference written straight from the RFC 9162
 * definitions (MTH, PATH, SUBPROOF), with a fixed seed.
 */
#include "merkle.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HASH CUSTODY_HASH_BYTES

/* ---- reading the vector files ---- */

/* Split line into at most max space-separated fields (in place). */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t count = 0;
	char *save = NULL;

	for (char *f = strtok_r(line, " \n", &save); f != NULL && count < max;
	     f = strtok_r(NULL, " \n", &save))
		fields[count++] = f;
	return count;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex (or "-" for nothing) into at most max bytes; the length, or -1. */
static long decode_hex(const char *text, unsigned char *out, size_t max)
{
	size_t n = strlen(text);

	if (strcmp(text, "-") == 0)
		return 0;
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(text[2 * i]);
		int lo = hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* A 32-byte hash from hex; 0 if the field is not exactly one. */
static int decode_hash(const char *text, unsigned char out[HASH])
{
	unsigned char bytes[64];

	if (decode_hex(text, bytes, sizeof(bytes)) != HASH)
		return 0;
	memcpy(out, bytes, HASH);
	return 1;
}

static FILE *open_vectors(const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "data/merkle/%s", name);
	f = fopen(path, "r");
	if (f == NULL)
		fprintf(stderr, "cannot open %s (run from tests/)\n", path);
	CHECK(f != NULL);
	return f;
}

/* The next vector line (comments skipped) split into fields; 0 at EOF. */
static size_t next_vector(FILE *f, char *line, size_t size, char **fields,
	size_t max)
{
	while (fgets(line, (int)size, f) != NULL) {
		size_t count;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		count = split_fields(line, fields, max);
		if (count > 0)
			return count;
	}
	return 0;
}

/* ---- a tree held in memory, and the naive reference ---- */

struct tree {
	const unsigned char (*leaves)[HASH];
	uint64_t size;
	unsigned long calls;  /* node() lookups */
	int outside;          /* node() was asked for a subtree outside */
};

/* MTH(D[start:end]) straight from RFC 9162 2.1.1. */
static void reference_mth(const unsigned char (*leaves)[HASH],
	uint64_t start, uint64_t end, unsigned char out[HASH])
{
	uint64_t n = end - start, k = 1;
	unsigned char left[HASH], right[HASH];

	if (n == 0) {
		custody_merkle__empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[start], HASH);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	reference_mth(leaves, start, start + k, left);
	reference_mth(leaves, start + k, end, right);
	custody_merkle__node_hash(left, right, out);
}

/* PATH(m, D[start:end]) (RFC 9162 2.1.3.1), appended at *count. */
static void reference_path(const unsigned char (*leaves)[HASH], uint64_t m,
	uint64_t start, uint64_t end, unsigned char (*out)[HASH],
	size_t *count)
{
	uint64_t n = end - start, k = 1;

	if (n <= 1)
		return;
	while (k * 2 < n)
		k *= 2;
	if (m < k) {
		reference_path(leaves, m, start, start + k, out, count);
		reference_mth(leaves, start + k, end, out[(*count)++]);
	} else {
		reference_path(leaves, m - k, start + k, end, out, count);
		reference_mth(leaves, start, start + k, out[(*count)++]);
	}
}

/* SUBPROOF(m, D[start:end], b) (RFC 9162 2.1.4.1). */
static void reference_subproof(const unsigned char (*leaves)[HASH],
	uint64_t m, uint64_t start, uint64_t end, int b,
	unsigned char (*out)[HASH], size_t *count)
{
	uint64_t n = end - start, k = 1;

	if (m == n) {
		if (!b)
			reference_mth(leaves, start, end, out[(*count)++]);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	if (m <= k) {
		reference_subproof(leaves, m, start, start + k, b, out, count);
		reference_mth(leaves, start + k, end, out[(*count)++]);
	} else {
		reference_subproof(leaves, m - k, start + k, end, 0, out,
			count);
		reference_mth(leaves, start, start + k, out[(*count)++]);
	}
}

/*
 * Verification straight from the definitions: rebuild the root PATH(m,
 * D[n]) describes from the leaf and the proof, consuming the proof from
 * its end (the hash nearest the root); 0 if the proof has the wrong
 * length.
 */
static int reference_root_from_path(const unsigned char leaf[HASH],
	uint64_t m, uint64_t n, const unsigned char (*proof)[HASH],
	size_t count, unsigned char out[HASH])
{
	uint64_t k = 1;
	unsigned char below[HASH];

	if (n == 1) {
		memcpy(out, leaf, HASH);
		return count == 0;
	}
	if (count == 0)
		return 0;
	while (k * 2 < n)
		k *= 2;
	if (m < k) {
		if (!reference_root_from_path(leaf, m, k, proof, count - 1,
		    below))
			return 0;
		custody_merkle__node_hash(below, proof[count - 1], out);
	} else {
		if (!reference_root_from_path(leaf, m - k, n - k, proof,
		    count - 1, below))
			return 0;
		custody_merkle__node_hash(proof[count - 1], below, out);
	}
	return 1;
}

static int reference_verify_inclusion(const unsigned char leaf[HASH],
	uint64_t index, uint64_t size, const unsigned char (*proof)[HASH],
	size_t count, const unsigned char root[HASH])
{
	unsigned char got[HASH];

	return index < size && reference_root_from_path(leaf, index, size,
		proof, count, got) && memcmp(got, root, HASH) == 0;
}

/* The old and new roots SUBPROOF(m, D[n], b) describes; 0 if the proof
 * has the wrong length. old_root stands in when b and m == n. */
static int reference_roots_from_subproof(uint64_t m, uint64_t n, int b,
	const unsigned char (*proof)[HASH], size_t count,
	const unsigned char old_root[HASH], unsigned char old_out[HASH],
	unsigned char new_out[HASH])
{
	uint64_t k = 1;
	unsigned char o[HASH], r[HASH];

	if (m == n) {
		if (b) {
			memcpy(old_out, old_root, HASH);
			memcpy(new_out, old_root, HASH);
			return count == 0;
		}
		if (count != 1)
			return 0;
		memcpy(old_out, proof[0], HASH);
		memcpy(new_out, proof[0], HASH);
		return 1;
	}
	if (count == 0)
		return 0;
	while (k * 2 < n)
		k *= 2;
	if (m <= k) {
		if (!reference_roots_from_subproof(m, k, b, proof, count - 1,
		    old_root, o, r))
			return 0;
		memcpy(old_out, o, HASH);
		custody_merkle__node_hash(r, proof[count - 1], new_out);
	} else {
		if (!reference_roots_from_subproof(m - k, n - k, 0, proof,
		    count - 1, old_root, o, r))
			return 0;
		custody_merkle__node_hash(proof[count - 1], o, old_out);
		custody_merkle__node_hash(proof[count - 1], r, new_out);
	}
	return 1;
}

static int reference_verify_consistency(uint64_t old_size, uint64_t new_size,
	const unsigned char old_root[HASH], const unsigned char new_root[HASH],
	const unsigned char (*proof)[HASH], size_t count)
{
	unsigned char o[HASH], r[HASH];

	return old_size > 0 && old_size <= new_size &&
		reference_roots_from_subproof(old_size, new_size, 1, proof,
		count, old_root, o, r) && memcmp(o, old_root, HASH) == 0 &&
		memcmp(r, new_root, HASH) == 0;
}

static int tree_node(void *payload, unsigned level, uint64_t index,
	unsigned char out[HASH], custody_error **err)
{
	struct tree *t = payload;
	uint64_t start = index << level, width = (uint64_t)1 << level;

	(void)err;
	t->calls++;
	if (level >= 64 || index > (UINT64_MAX >> level) ||
	    start + width > t->size || start + width < start) {
		t->outside = 1;
		memset(out, 0, HASH);
		return 0;
	}
	reference_mth(t->leaves, start, start + width, out);
	return 0;
}

/* ---- known answers ---- */

struct reference_tree {
	unsigned char leaves[8][HASH];
	unsigned char nodes[4][8][HASH];
	unsigned char roots[9][HASH];
	int have_leaves, have_nodes, have_roots;
};

static void load_reference_tree(struct reference_tree *ref)
{
	FILE *f = open_vectors("tree.txt");
	char line[512], *fields[8];
	size_t count;

	memset(ref, 0, sizeof(*ref));
	if (f == NULL)
		return;
	while ((count = next_vector(f, line, sizeof(line), fields, 8)) > 0) {
		if (strcmp(fields[0], "leaf") == 0 && count == 3) {
			unsigned char input[64];
			long len = decode_hex(fields[2], input, sizeof(input));
			int i = atoi(fields[1]);

			CHECK(len >= 0 && i >= 0 && i < 8);
			if (len >= 0 && i >= 0 && i < 8) {
				custody_merkle__leaf_hash(input, (size_t)len,
					ref->leaves[i]);
				ref->have_leaves++;
			}
		} else if (strcmp(fields[0], "node") == 0 && count == 4) {
			int level = atoi(fields[1]), i = atoi(fields[2]);

			CHECK(level >= 0 && level < 4 && i >= 0 &&
				i < (8 >> level));
			if (level >= 0 && level < 4 && i >= 0 &&
			    i < (8 >> level)) {
				CHECK(decode_hash(fields[3],
					ref->nodes[level][i]));
				ref->have_nodes++;
			}
		} else if (strcmp(fields[0], "root") == 0 && count == 3) {
			int size = atoi(fields[1]);

			CHECK(size >= 0 && size <= 8);
			if (size >= 0 && size <= 8) {
				CHECK(decode_hash(fields[2],
					ref->roots[size]));
				ref->have_roots++;
			}
		} else {
			CHECK(!"unknown line in tree.txt");
		}
	}
	fclose(f);
	CHECK_INT(ref->have_leaves, 8);
	CHECK_INT(ref->have_nodes, 15);
	CHECK_INT(ref->have_roots, 9);
}

static void test_merkle__hashes_match_reference_nodes(void)
{
	struct reference_tree ref;
	unsigned char empty[HASH];

	load_reference_tree(&ref);
	/* level 0 of the reference is our leaf hashes of its inputs */
	for (int i = 0; i < 8; i++)
		CHECK(memcmp(ref.leaves[i], ref.nodes[0][i], HASH) == 0);
	for (int level = 1; level < 4; level++)
		for (int i = 0; i < (8 >> level); i++) {
			unsigned char h[HASH];

			custody_merkle__node_hash(ref.nodes[level - 1][2 * i],
				ref.nodes[level - 1][2 * i + 1], h);
			CHECK(memcmp(h, ref.nodes[level][i], HASH) == 0);
		}
	custody_merkle__empty_root(empty);
	CHECK(memcmp(empty, ref.roots[0], HASH) == 0);
}

static void test_merkle__roots_of_sizes_0_to_8_match_reference(void)
{
	struct reference_tree ref;

	load_reference_tree(&ref);
	for (uint64_t size = 0; size <= 8; size++) {
		struct tree t = { (const unsigned char (*)[HASH])ref.leaves,
			size, 0, 0 };
		unsigned char root[HASH];
		custody_error *err = NULL;

		CHECK_INT(custody_merkle__root(tree_node, &t, size, root,
			&err), 0);
		CHECK(memcmp(root, ref.roots[size], HASH) == 0);
		CHECK(!t.outside);
		/* one lookup per complete subtree: a 1 bit of the size */
		CHECK_INT(t.calls, __builtin_popcountll(size));
		custody_error_free(err);
	}
}

static void test_merkle__proofs_match_reference(void)
{
	struct reference_tree ref;
	FILE *f;
	char line[2048], *fields[80];
	size_t count;
	int inclusion = 0, consistency = 0;

	load_reference_tree(&ref);
	if ((f = open_vectors("proofs.txt")) == NULL)
		return;
	while ((count = next_vector(f, line, sizeof(line), fields, 80)) > 0) {
		unsigned char want[64][HASH], got[64][HASH];
		uint64_t a = strtoull(fields[1], NULL, 10);
		uint64_t b = strtoull(fields[2], NULL, 10);
		size_t nwant = count - 3, ngot = 99;
		struct tree t = { (const unsigned char (*)[HASH])ref.leaves,
			b, 0, 0 };
		custody_error *err = NULL;
		int rc;

		CHECK(count >= 3 && b <= 8);
		for (size_t i = 0; i < nwant; i++)
			CHECK(decode_hash(fields[3 + i], want[i]));
		if (strcmp(fields[0], "inclusion") == 0) {
			rc = custody_merkle__inclusion_proof(tree_node, &t,
				a, b, got, &ngot, &err);
			inclusion++;
		} else {
			rc = custody_merkle__consistency_proof(tree_node, &t,
				a, b, got, &ngot, &err);
			consistency++;
		}
		CHECK_INT(rc, 0);
		CHECK_INT(ngot, nwant);
		CHECK(ngot == nwant &&
			memcmp(got, want, nwant * HASH) == 0);
		CHECK(!t.outside);
		custody_error_free(err);
	}
	fclose(f);
	CHECK_INT(inclusion, 5);
	CHECK_INT(consistency, 5);
}

/*
 * A probe file: each line's hashes decoded; a probe whose byte strings
 * are not all 32 bytes cannot be put to custody's API at all (a proof
 * parser refuses it), which counts as refusing it. Returns the number of
 * probes; *unrepresentable_ok counts "ok" probes that could not be put.
 */
static int run_probes(const char *name, int consistency, int *ok_out,
	int *unrepresentable_ok)
{
	FILE *f = open_vectors(name);
	char line[4096], *fields[80];
	size_t count;
	int probes = 0;

	*ok_out = 0;
	*unrepresentable_ok = 0;
	if (f == NULL)
		return 0;
	while ((count = next_vector(f, line, sizeof(line), fields, 80)) > 0) {
		unsigned char a[HASH], b[HASH], proof[64][HASH];
		int want_ok = strcmp(fields[1], "ok") == 0, fits = 1, rc;
		uint64_t x, y;
		size_t nproof;
		custody_error *err = NULL;

		CHECK(count >= 6 && count - 6 <= 64);
		if (count < 6 || count - 6 > 64)
			continue;
		probes++;
		*ok_out += want_ok;
		x = strtoull(fields[2], NULL, 10);
		y = strtoull(fields[3], NULL, 10);
		nproof = count - 6;
		fits = decode_hash(fields[4], a) && decode_hash(fields[5], b);
		for (size_t i = 0; i < nproof; i++)
			fits = fits && decode_hash(fields[6 + i], proof[i]);
		if (!fits) {
			*unrepresentable_ok += want_ok;
			continue;
		}
		if (consistency)
			rc = custody_merkle__verify_consistency(x, y, a, b,
				(const unsigned char (*)[HASH])proof, nproof,
				&err);
		else
			rc = custody_merkle__verify_inclusion(a, x, y,
				(const unsigned char (*)[HASH])proof, nproof,
				b, &err);
		if (want_ok) {
			CHECK_INT(rc, 0);
		} else {
			CHECK_INT(rc, CUSTODY_EVERIFY);
			CHECK(err != NULL &&
				strlen(custody_error_message(err)) > 0);
		}
		if ((rc == 0) != want_ok)
			fprintf(stderr, "  probe %s: %s\n", fields[0],
				err ? custody_error_message(err) : "accepted");
		custody_error_free(err);
	}
	fclose(f);
	return probes;
}

static void test_merkle__inclusion_probes_give_expected_verdicts(void)
{
	int ok, unrepresentable_ok;

	CHECK_INT(run_probes("inclusion_probes.txt", 0, &ok,
		&unrepresentable_ok), 98);
	CHECK_INT(ok, 6);
	CHECK_INT(unrepresentable_ok, 0);
}

static void test_merkle__consistency_probes_give_expected_verdicts(void)
{
	int ok, unrepresentable_ok;

	CHECK_INT(run_probes("consistency_probes.txt", 1, &ok,
		&unrepresentable_ok), 98);
	CHECK_INT(ok, 6);
	/* "sizes are equal (one) and proof is empty" uses 12-byte roots;
	 * the same case with real hashes is checked below */
	CHECK_INT(unrepresentable_ok, 1);
}

static void test_merkle__equal_sizes_need_equal_roots_and_no_proof(void)
{
	unsigned char r1[HASH], r2[HASH], proof[1][HASH];
	custody_error *err = NULL;

	custody_merkle__leaf_hash("a", 1, r1);
	custody_merkle__leaf_hash("b", 1, r2);
	memcpy(proof[0], r1, HASH);
	CHECK_INT(custody_merkle__verify_consistency(5, 5, r1, r1,
		(const unsigned char (*)[HASH])proof, 0, &err), 0);
	CHECK_INT(custody_merkle__verify_consistency(5, 5, r1, r2,
		(const unsigned char (*)[HASH])proof, 0, &err),
		CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "different root hashes");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_consistency(5, 5, r1, r1,
		(const unsigned char (*)[HASH])proof, 1, &err),
		CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "expected none");
	custody_error_free(err);
}

static void test_merkle__messages_say_why(void)
{
	unsigned char leaf[HASH], root[HASH], proof[3][HASH];
	const unsigned char (*p)[HASH] = (const unsigned char (*)[HASH])proof;
	custody_error *err = NULL;

	memset(proof, 7, sizeof(proof));
	custody_merkle__leaf_hash("x", 1, leaf);
	custody_merkle__leaf_hash("y", 1, root);
	CHECK_INT(custody_merkle__verify_inclusion(leaf, 8, 8, p, 3, root,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err),
		"leaf index 8 is not below the tree size 8");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_inclusion(leaf, 0, 8, p, 2, root,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "2 hashes, expected 3");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_inclusion(leaf, 0, 8, p, 3, root,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err),
		"does not lead to the expected root hash");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_consistency(0, 8, leaf, root, p, 0,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "old tree is empty");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_consistency(9, 8, leaf, root, p, 3,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "larger than the new");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_consistency(6, 8, leaf, root, p, 2,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "2 hashes, expected 3");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__verify_consistency(6, 8, leaf, root, p, 3,
		&err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err),
		"does not lead to the old root hash");
	custody_error_free(err);
}

static void test_merkle__proof_requests_outside_the_tree_are_refused(void)
{
	unsigned char leaves[4][HASH], proof[64][HASH];
	struct tree t = { (const unsigned char (*)[HASH])leaves, 4, 0, 0 };
	custody_error *err = NULL;
	size_t count = 99;

	memset(leaves, 1, sizeof(leaves));
	CHECK_INT(custody_merkle__inclusion_proof(tree_node, &t, 4, 4, proof,
		&count, &err), CUSTODY_EINVALID);
	CHECK_INT(count, 0);
	CHECK_CONTAINS(custody_error_message(err), "leaf index 4");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__consistency_proof(tree_node, &t, 0, 4, proof,
		&count, &err), CUSTODY_EINVALID);
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_merkle__consistency_proof(tree_node, &t, 5, 4, proof,
		&count, &err), CUSTODY_EINVALID);
	custody_error_free(err);
	CHECK_INT(t.calls, 0);
}

/* ---- property test against the reference ---- */

static uint64_t rng_state = 0x6375737464790001ULL;

/* splitmix64: a fixed, portable sequence */
static uint64_t next_random(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t random_below(uint64_t n)
{
	return next_random() % n;
}

/* A heap copy of exactly `count` hashes (so a read past the end shows
 * under valgrind or ASan); never NULL for count 0. */
static unsigned char (*copy_proof(const unsigned char (*proof)[HASH],
	size_t count))[HASH]
{
	unsigned char (*copy)[HASH] = malloc(count ? count * HASH : 1);

	if (copy != NULL && count > 0)
		memcpy(copy, proof, count * HASH);
	return copy;
}

static int inclusion_holds(const unsigned char leaf[HASH], uint64_t index,
	uint64_t size, const unsigned char (*proof)[HASH], size_t count,
	const unsigned char root[HASH])
{
	unsigned char (*copy)[HASH] = copy_proof(proof, count);
	custody_error *err = NULL;
	int rc;

	if (copy == NULL)
		return -1;
	rc = custody_merkle__verify_inclusion(leaf, index, size,
		(const unsigned char (*)[HASH])copy, count, root, &err);
	/* a refusal always says why */
	if (rc != 0 && (rc != CUSTODY_EVERIFY || err == NULL))
		rc = -2;
	custody_error_free(err);
	free(copy);
	return rc;
}

static int consistency_holds(uint64_t old_size, uint64_t new_size,
	const unsigned char old_root[HASH], const unsigned char new_root[HASH],
	const unsigned char (*proof)[HASH], size_t count)
{
	unsigned char (*copy)[HASH] = copy_proof(proof, count);
	custody_error *err = NULL;
	int rc;

	if (copy == NULL)
		return -1;
	rc = custody_merkle__verify_consistency(old_size, new_size, old_root,
		new_root, (const unsigned char (*)[HASH])copy, count, &err);
	if (rc != 0 && (rc != CUSTODY_EVERIFY || err == NULL))
		rc = -2;
	custody_error_free(err);
	free(copy);
	return rc;
}

/* Every one-hash change of the proof: a bit flipped in each hash, each
 * hash dropped, a hash inserted at each place. Returns how many of these
 * were accepted (should be none). */
static int mutants_accepted(const unsigned char (*proof)[HASH],
	size_t count, int (*holds)(void *, const unsigned char (*)[HASH],
	size_t), void *ctx)
{
	unsigned char mutant[65][HASH];
	int accepted = 0;

	for (size_t i = 0; i < count; i++) {
		unsigned bit = (unsigned)random_below(HASH * 8);

		memcpy(mutant, proof, count * HASH);
		mutant[i][bit / 8] ^= (unsigned char)(1u << (bit % 8));
		accepted += holds(ctx, (const unsigned char (*)[HASH])mutant,
			count) == 0;
	}
	for (size_t i = 0; i < count; i++) {
		memcpy(mutant, proof, i * HASH);
		memcpy(mutant[i], proof[i + 1], (count - i - 1) * HASH);
		accepted += holds(ctx, (const unsigned char (*)[HASH])mutant,
			count - 1) == 0;
	}
	for (size_t i = 0; i <= count; i++) {
		memcpy(mutant, proof, i * HASH);
		/* a plausible hash: a copy of a neighbour, or random */
		if (count > 0 && random_below(2) == 0)
			memcpy(mutant[i], proof[i < count ? i : i - 1], HASH);
		else
			for (size_t j = 0; j < HASH; j++)
				mutant[i][j] = (unsigned char)next_random();
		memcpy(mutant[i + 1], proof[i], (count - i) * HASH);
		accepted += holds(ctx, (const unsigned char (*)[HASH])mutant,
			count + 1) == 0;
	}
	return accepted;
}

struct inclusion_case {
	const unsigned char *leaf, *root;
	uint64_t index, size;
};

static int inclusion_case_holds(void *ctx, const unsigned char (*proof)[HASH],
	size_t count)
{
	struct inclusion_case *c = ctx;

	return inclusion_holds(c->leaf, c->index, c->size, proof, count,
		c->root);
}

struct consistency_case {
	const unsigned char *old_root, *new_root;
	uint64_t old_size, new_size;
};

static int consistency_case_holds(void *ctx,
	const unsigned char (*proof)[HASH], size_t count)
{
	struct consistency_case *c = ctx;

	return consistency_holds(c->old_size, c->new_size, c->old_root,
		c->new_root, proof, count);
}

#define MAX_LEAVES 300

static void check_inclusion_against_reference(
	const unsigned char (*leaves)[HASH], uint64_t size, uint64_t index,
	const unsigned char root[HASH])
{
	unsigned char want[64][HASH], got[64][HASH], other[HASH];
	size_t nwant = 0, ngot = 0;
	struct tree t = { leaves, size, 0, 0 };
	struct inclusion_case c = { leaves[index], root, index, size };
	custody_error *err = NULL;

	reference_path(leaves, index, 0, size, want, &nwant);
	CHECK_INT(custody_merkle__inclusion_proof(tree_node, &t, index, size,
		got, &ngot, &err), 0);
	custody_error_free(err);
	CHECK(!t.outside);
	CHECK(t.calls <= (unsigned long)(2 * (64 - __builtin_clzll(size))));
	CHECK_INT(ngot, nwant);
	CHECK(ngot == nwant && memcmp(got, want, ngot * HASH) == 0);

	CHECK_INT(inclusion_holds(leaves[index], index, size,
		(const unsigned char (*)[HASH])got, ngot, root), 0);
	CHECK(reference_verify_inclusion(leaves[index], index, size,
		(const unsigned char (*)[HASH])got, ngot, root));
	CHECK_INT(mutants_accepted((const unsigned char (*)[HASH])got, ngot,
		inclusion_case_holds, &c), 0);
	/*
	 * The same proof put to another index or size. An inclusion proof
	 * does not bind the tree size (the root does): where the other
	 * size gives the path the same shape, the proof still holds. So
	 * the verdict must be the reference verifier's; another index in
	 * the same tree never has the same shape.
	 */
	for (int i = 0; i < 6; i++) {
		uint64_t other_index = random_below(size + 2);
		uint64_t other_size = random_below(MAX_LEAVES + 2);
		int rc;

		rc = inclusion_holds(leaves[index], other_index, size,
			(const unsigned char (*)[HASH])got, ngot, root);
		if (other_index != index)
			CHECK(rc != 0);
		rc = inclusion_holds(leaves[index], index, other_size,
			(const unsigned char (*)[HASH])got, ngot, root);
		CHECK_INT(rc == 0, reference_verify_inclusion(leaves[index],
			index, other_size, (const unsigned char (*)[HASH])got,
			ngot, root));
		if (other_size == size * 2 || other_size == size / 2)
			CHECK(rc != 0);
	}
	memcpy(other, leaves[index], HASH);
	other[random_below(HASH)] ^= 0x40;
	CHECK(inclusion_holds(other, index, size,
		(const unsigned char (*)[HASH])got, ngot, root) != 0);
	memcpy(other, root, HASH);
	other[random_below(HASH)] ^= 0x02;
	CHECK(inclusion_holds(leaves[index], index, size,
		(const unsigned char (*)[HASH])got, ngot, other) != 0);
}

static void check_consistency_against_reference(
	const unsigned char (*leaves)[HASH], uint64_t old_size,
	uint64_t new_size)
{
	unsigned char want[64][HASH], got[64][HASH];
	unsigned char old_root[HASH], new_root[HASH], other[HASH];
	size_t nwant = 0, ngot = 0;
	struct tree t = { leaves, new_size, 0, 0 };
	struct consistency_case c = { old_root, new_root, old_size, new_size };
	custody_error *err = NULL;

	reference_mth(leaves, 0, old_size, old_root);
	reference_mth(leaves, 0, new_size, new_root);
	reference_subproof(leaves, old_size, 0, new_size, 1, want, &nwant);
	CHECK_INT(custody_merkle__consistency_proof(tree_node, &t, old_size,
		new_size, got, &ngot, &err), 0);
	custody_error_free(err);
	CHECK(!t.outside);
	CHECK(t.calls <=
		(unsigned long)(2 * (64 - __builtin_clzll(new_size))));
	CHECK_INT(ngot, nwant);
	CHECK(ngot == nwant && memcmp(got, want, ngot * HASH) == 0);

	CHECK_INT(consistency_holds(old_size, new_size, old_root, new_root,
		(const unsigned char (*)[HASH])got, ngot), 0);
	CHECK(reference_verify_consistency(old_size, new_size, old_root,
		new_root, (const unsigned char (*)[HASH])got, ngot));
	CHECK_INT(mutants_accepted((const unsigned char (*)[HASH])got, ngot,
		consistency_case_holds, &c), 0);
	/* another size on either side: as for inclusion, the verdict must
	 * be the reference verifier's */
	for (int i = 0; i < 6; i++) {
		uint64_t a = random_below(new_size + 2);
		uint64_t b = random_below(MAX_LEAVES + 2);
		int rc;

		rc = consistency_holds(a, new_size, old_root, new_root,
			(const unsigned char (*)[HASH])got, ngot);
		CHECK_INT(rc == 0, reference_verify_consistency(a, new_size,
			old_root, new_root, (const unsigned char (*)[HASH])got,
			ngot));
		rc = consistency_holds(old_size, b, old_root, new_root,
			(const unsigned char (*)[HASH])got, ngot);
		CHECK_INT(rc == 0, reference_verify_consistency(old_size, b,
			old_root, new_root, (const unsigned char (*)[HASH])got,
			ngot));
	}
	if (old_size != new_size)
		CHECK(consistency_holds(old_size, new_size, new_root, old_root,
			(const unsigned char (*)[HASH])got, ngot) != 0);
	memcpy(other, old_root, HASH);
	other[random_below(HASH)] ^= 0x10;
	CHECK(consistency_holds(old_size, new_size, other, new_root,
		(const unsigned char (*)[HASH])got, ngot) != 0);
	memcpy(other, new_root, HASH);
	other[random_below(HASH)] ^= 0x10;
	CHECK(consistency_holds(old_size, new_size, old_root, other,
		(const unsigned char (*)[HASH])got, ngot) != 0);
}

static void test_merkle__matches_naive_reference_on_random_trees(void)
{
	static unsigned char leaves[MAX_LEAVES][HASH];

	rng_state = 0x6375737464790001ULL;
	for (uint64_t i = 0; i < MAX_LEAVES; i++) {
		unsigned char entry[8];

		for (int j = 0; j < 8; j++)
			entry[j] = (unsigned char)(i >> (8 * j));
		custody_merkle__leaf_hash(entry, sizeof(entry), leaves[i]);
	}
	for (int round = 0; round < 400; round++) {
		/* every size up to 64, then random ones up to MAX_LEAVES */
		uint64_t size = round < 64 ? (uint64_t)round + 1 :
			1 + random_below(MAX_LEAVES);
		struct tree t = { (const unsigned char (*)[HASH])leaves, size,
			0, 0 };
		unsigned char root[HASH], want[HASH];
		custody_error *err = NULL;
		uint64_t old_size;

		reference_mth((const unsigned char (*)[HASH])leaves, 0, size,
			want);
		CHECK_INT(custody_merkle__root(tree_node, &t, size, root,
			&err), 0);
		custody_error_free(err);
		CHECK(memcmp(root, want, HASH) == 0);

		check_inclusion_against_reference(
			(const unsigned char (*)[HASH])leaves, size,
			random_below(size), root);
		check_inclusion_against_reference(
			(const unsigned char (*)[HASH])leaves, size, size - 1,
			root);
		old_size = 1 + random_below(size);
		check_consistency_against_reference(
			(const unsigned char (*)[HASH])leaves, old_size, size);
		check_consistency_against_reference(
			(const unsigned char (*)[HASH])leaves, size, size);
	}
}

/*
 * A tree of any size, up to 2^64 - 1 leaves, whose leaves alternate
 * between two hashes: every complete subtree above level 0 of the same
 * height then has the same hash, so roots and proofs of huge trees cost
 * only the O(log n) lookups the walks ask for.
 */
struct synthetic {
	uint64_t size;
	unsigned long calls;
	unsigned char level_hash[64][HASH]; /* levels 1..63 */
	unsigned char leaf[2][HASH];
};

static void synthetic_init(struct synthetic *s, uint64_t size)
{
	s->size = size;
	s->calls = 0;
	custody_merkle__leaf_hash("even", 4, s->leaf[0]);
	custody_merkle__leaf_hash("odd", 3, s->leaf[1]);
	custody_merkle__node_hash(s->leaf[0], s->leaf[1], s->level_hash[1]);
	for (int l = 2; l < 64; l++)
		custody_merkle__node_hash(s->level_hash[l - 1],
			s->level_hash[l - 1], s->level_hash[l]);
}

static int synthetic_node(void *payload, unsigned level, uint64_t index,
	unsigned char out[HASH], custody_error **err)
{
	struct synthetic *s = payload;

	(void)err;
	s->calls++;
	if (level >= 64 || index >= (s->size >> level))
		return -99;
	memcpy(out, level == 0 ? s->leaf[index & 1] : s->level_hash[level],
		HASH);
	return 0;
}

static void test_merkle__huge_trees_prove_and_verify(void)
{
	static const uint64_t sizes[] = { UINT64_MAX, UINT64_MAX - 1,
		(uint64_t)1 << 63, ((uint64_t)1 << 63) + 1, 1000000007ULL };
	int refused = 0;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t size = sizes[s];
		uint64_t indexes[] = { 0, size / 3, size - 2, size - 1 };
		unsigned char root[HASH], proof[64][HASH];
		const unsigned char (*p)[HASH] =
			(const unsigned char (*)[HASH])proof;
		struct synthetic tree;
		custody_error *err = NULL;
		size_t count;

		synthetic_init(&tree, size);
		CHECK_INT(custody_merkle__root(synthetic_node, &tree, size,
			root, &err), 0);
		CHECK(tree.calls <= 64);
		for (size_t i = 0; i < 4; i++) {
			uint64_t index = indexes[i];

			tree.calls = 0;
			CHECK_INT(custody_merkle__inclusion_proof(
				synthetic_node, &tree, index, size, proof,
				&count, &err), 0);
			CHECK(count <= 64 && tree.calls <= 128);
			CHECK_INT(custody_merkle__verify_inclusion(
				tree.leaf[index & 1], index, size, p, count,
				root, &err), 0);
			/* the other leaf is not there */
			CHECK_INT(custody_merkle__verify_inclusion(
				tree.leaf[~index & 1], index, size, p, count,
				root, NULL), CUSTODY_EVERIFY);
		}
		for (size_t i = 0; i < 4; i++) {
			uint64_t old_size = indexes[i] + 1;
			unsigned char old_root[HASH];
			int rc;

			CHECK_INT(custody_merkle__root(synthetic_node, &tree,
				old_size, old_root, &err), 0);
			tree.calls = 0;
			rc = custody_merkle__consistency_proof(synthetic_node,
				&tree, old_size, size, proof, &count, &err);
			if (rc == CUSTODY_EINVALID) {
				/* 65 hashes: only above 2^63 leaves */
				CHECK(size > (uint64_t)1 << 63);
				CHECK_CONTAINS(custody_error_message(err),
					"more than 64 hashes");
				custody_error_free(err);
				err = NULL;
				refused++;
				continue;
			}
			CHECK_INT(rc, 0);
			CHECK(count <= 64 && tree.calls <= 128);
			CHECK_INT(custody_merkle__verify_consistency(old_size,
				size, old_root, root, p, count, &err), 0);
		}
		if (err != NULL)
			fprintf(stderr, "  %s\n", custody_error_message(err));
		custody_error_free(err);
	}
	/* from 2^63 / 3 + 1 (odd) to 2^63 + 1 */
	CHECK_INT(refused, 1);
}

/*
 * A pair proof (a publication beside its document): for every pair of
 * leaves in every tree of 1 to 40 leaves, the listed hashes with the
 * first leaf's inclusion proof give the reference root; a changed,
 * missing or extra hash, or a swapped leaf, does not. Two leaves side by
 * side need no hash the first proof lacks, beyond one per level they
 * part at.
 */
static void test_merkle__pair_proofs_hold_for_every_pair_and_only_then(void)
{
	static unsigned char leaves[40][HASH];
	unsigned long pairs = 0;

	for (int i = 0; i < 40; i++) {
		unsigned char entry[2] = { 'p', (unsigned char)i };

		custody_merkle__leaf_hash(entry, sizeof(entry), leaves[i]);
	}
	for (uint64_t size = 2; size <= 40; size++) {
		struct tree t = { (const unsigned char (*)[HASH])leaves, size,
			0, 0 };
		unsigned char root[HASH];

		reference_mth((const unsigned char (*)[HASH])leaves, 0, size,
			root);
		for (uint64_t a = 0; a < size; a++)
			for (uint64_t b = 0; b < size; b++) {
				unsigned char pa[64][HASH], extra[65][HASH];
				custody_error *err = NULL;
				size_t na = 0, ne = 0;

				if (a == b)
					continue;
				CHECK_INT(custody_merkle__inclusion_proof(
					tree_node, &t, a, size, pa, &na, &err),
					0);
				CHECK_INT(custody_merkle__pair_proof(tree_node,
					&t, a, b, size, extra, &ne, &err), 0);
				CHECK(!t.outside);
				CHECK_INT(custody_merkle__verify_pair(
					leaves[a], a,
					(const unsigned char (*)[HASH])pa, na,
					leaves[b], b,
					(const unsigned char (*)[HASH])extra,
					ne, size, root, &err), 0);
				if (b == a + 1 && a % 2 == 0)
					CHECK_INT(ne, 0);
				/* a wrong second leaf, a wrong index */
				CHECK(custody_merkle__verify_pair(leaves[a], a,
					(const unsigned char (*)[HASH])pa, na,
					leaves[a], b,
					(const unsigned char (*)[HASH])extra,
					ne, size, root, &err) == CUSTODY_EVERIFY);
				custody_error_free(err);
				err = NULL;
				if (ne > 0) {
					extra[ne - 1][0] ^= 1;
					CHECK(custody_merkle__verify_pair(
						leaves[a], a, (const unsigned
						char (*)[HASH])pa, na,
						leaves[b], b, (const unsigned
						char (*)[HASH])extra, ne,
						size, root, &err) != 0);
					custody_error_free(err);
					err = NULL;
					extra[ne - 1][0] ^= 1;
					CHECK(custody_merkle__verify_pair(
						leaves[a], a, (const unsigned
						char (*)[HASH])pa, na,
						leaves[b], b, (const unsigned
						char (*)[HASH])extra, ne - 1,
						size, root, &err) != 0);
					custody_error_free(err);
					err = NULL;
				}
				memcpy(extra[ne], leaves[0], HASH);
				CHECK(custody_merkle__verify_pair(leaves[a], a,
					(const unsigned char (*)[HASH])pa, na,
					leaves[b], b,
					(const unsigned char (*)[HASH])extra,
					ne + 1, size, root, &err) != 0);
				custody_error_free(err);
				pairs++;
			}
	}
	CHECK_INT(pairs, 21320);
}

static const struct test tests[] = {
	TEST(test_merkle__hashes_match_reference_nodes),
	TEST(test_merkle__roots_of_sizes_0_to_8_match_reference),
	TEST(test_merkle__proofs_match_reference),
	TEST(test_merkle__inclusion_probes_give_expected_verdicts),
	TEST(test_merkle__consistency_probes_give_expected_verdicts),
	TEST(test_merkle__equal_sizes_need_equal_roots_and_no_proof),
	TEST(test_merkle__messages_say_why),
	TEST(test_merkle__proof_requests_outside_the_tree_are_refused),
	TEST(test_merkle__matches_naive_reference_on_random_trees),
	TEST(test_merkle__huge_trees_prove_and_verify),
	TEST(test_merkle__pair_proofs_hold_for_every_pair_and_only_then),
	{ 0 }
};

int main(void)
{
	return test_run(tests);
}
