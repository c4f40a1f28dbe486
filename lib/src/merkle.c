/* RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their checks. */

/*
 * The low-level SHA-256 calls are deprecated in OpenSSL 3 in favour of
 * EVP, and used here on purpose: they neither allocate nor fail, so the
 * hash helpers cannot fail either, and they skip EVP's per-call set-up on
 * the tile store's hot path (millions of 65-byte messages).
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "merkle.h"
#include "common.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

void custody_merkle__leaf_hash(const void *data, size_t len,
	unsigned char out[CUSTODY_HASH_BYTES])
{
	static const unsigned char prefix = 0x00;
	SHA256_CTX sha;

	SHA256_Init(&sha);
	SHA256_Update(&sha, &prefix, 1);
	SHA256_Update(&sha, data, len);
	SHA256_Final(out, &sha);
}

void custody_merkle__node_hash(const unsigned char left[CUSTODY_HASH_BYTES],
	const unsigned char right[CUSTODY_HASH_BYTES],
	unsigned char out[CUSTODY_HASH_BYTES])
{
	static const unsigned char prefix = 0x01;
	SHA256_CTX sha;

	/* out may be left or right: it is written only once both are read */
	SHA256_Init(&sha);
	SHA256_Update(&sha, &prefix, 1);
	SHA256_Update(&sha, left, CUSTODY_HASH_BYTES);
	SHA256_Update(&sha, right, CUSTODY_HASH_BYTES);
	SHA256_Final(out, &sha);
}

void custody_merkle__empty_root(unsigned char out[CUSTODY_HASH_BYTES])
{
	SHA256_CTX sha;

	SHA256_Init(&sha);
	SHA256_Final(out, &sha);
}

/* Number of significant bits of x (0 for 0). */
static unsigned bit_length(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static unsigned popcount(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* The RFC's k for a range of n > 1 leaves: the largest power of two
 * below n, as its exponent. */
static unsigned split_level(uint64_t n)
{
	return bit_length(n - 1) - 1;
}

/*
 * The root of leaves [start, end), start < end, where start is a multiple
 * of a power of two no smaller than end - start (true of every range the
 * RFC's split produces). That range is a run of complete subtrees, one
 * for each 1 bit of its length, the largest first; the root joins them
 * from the right, so they are visited smallest (rightmost) first.
 */
static int range_root(custody_merkle_node_fn node, void *payload,
	uint64_t start, uint64_t end, unsigned char out[CUSTODY_HASH_BYTES],
	custody_error **err)
{
	uint64_t length = end - start;
	int first = 1;

	assert(start < end);
	for (unsigned level = 0; level < 64; level++) {
		uint64_t width = (uint64_t)1 << level, at;
		unsigned char part[CUSTODY_HASH_BYTES];
		int rc;

		if ((length & width) == 0)
			continue;
		/* after the subtrees of the higher bits */
		at = start + (level == 63 ? 0 : length >> (level + 1) <<
			(level + 1));
		assert((at & (width - 1)) == 0);
		rc = node(payload, level, at >> level,
			first ? out : part, err);
		if (rc != 0)
			return rc;
		if (!first)
			custody_merkle__node_hash(part, out, out);
		first = 0;
	}
	return 0;
}

int custody_merkle__root(custody_merkle_node_fn node, void *payload,
	uint64_t size, unsigned char out[CUSTODY_HASH_BYTES],
	custody_error **err)
{
	if (size == 0) {
		custody_merkle__empty_root(out);
		return 0;
	}
	return range_root(node, payload, 0, size, out, err);
}

/* Copy the `count` hashes of path into proof, last first: the walks below
 * find the hashes from the root down, proofs list them from the leaf up. */
static void reverse_into(unsigned char proof[][CUSTODY_HASH_BYTES],
	unsigned char path[][CUSTODY_HASH_BYTES], size_t count)
{
	for (size_t i = 0; i < count; i++)
		memcpy(proof[i], path[count - 1 - i], CUSTODY_HASH_BYTES);
}

int custody_merkle__inclusion_proof(custody_merkle_node_fn node,
	void *payload, uint64_t index, uint64_t size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err)
{
	unsigned char path[CUSTODY_MERKLE_MAX_PROOF][CUSTODY_HASH_BYTES];
	uint64_t start = 0, end = size;
	size_t count = 0;

	*count_out = 0;
	if (index >= size)
		return custody__error(err, CUSTODY_EINVALID,
			"inclusion proof: leaf index %" PRIu64
			" is not below the tree size %" PRIu64, index, size);
	/* PATH(m, D[n]): descend towards the leaf; the sibling of each step
	 * is a complete subtree on the left or a range on the right */
	while (end - start > 1) {
		unsigned level = split_level(end - start);
		uint64_t half = (uint64_t)1 << level;
		int rc;

		if (index - start < half) {
			rc = range_root(node, payload, start + half, end,
				path[count], err);
			end = start + half;
		} else {
			rc = node(payload, level, start >> level, path[count],
				err);
			start += half;
		}
		if (rc != 0)
			return rc;
		count++;
	}
	reverse_into(proof, path, count);
	*count_out = count;
	return 0;
}

/* ---- two leaves at once ---- */

struct pair_walk {
	uint64_t first, second;
	custody_merkle_node_fn node;   /* generating */
	void *payload;
	unsigned char (*out)[CUSTODY_HASH_BYTES];
	const unsigned char (*first_proof)[CUSTODY_HASH_BYTES]; /* checking */
	size_t first_count;
	const unsigned char *first_leaf, *second_leaf;
	const unsigned char (*extra)[CUSTODY_HASH_BYTES];
	size_t count, used;            /* of out / extra */
	int bad;                       /* checking: the proof is short */
};

static int holds(uint64_t lo, uint64_t hi, uint64_t x)
{
	return lo <= x && x < hi;
}

/* Generating: list the hashes [lo, hi)'s subtrees need that the first
 * leaf's proof does not give; [lo, hi) holds a leaf of the pair. */
static int pair_list(struct pair_walk *w, uint64_t lo, uint64_t hi,
	custody_error **err)
{
	uint64_t mid;
	int rc;

	if (hi - lo == 1)
		return 0;
	mid = lo + ((uint64_t)1 << split_level(hi - lo));
	for (int side = 0; side < 2; side++) {
		uint64_t a = side ? mid : lo, b = side ? hi : mid;

		if (holds(a, b, w->first) || holds(a, b, w->second))
			rc = pair_list(w, a, b, err);
		else if (holds(lo, hi, w->first))
			rc = 0;   /* on the first leaf's path */
		else if (w->count == CUSTODY_MERKLE_MAX_PROOF)
			rc = custody__error(err, CUSTODY_EINVALID, "pair "
				"proof: more than %d hashes",
				CUSTODY_MERKLE_MAX_PROOF);
		else
			rc = range_root(w->node, w->payload, a, b,
				w->out[w->count++], err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Checking: the hash of [lo, hi), which holds a leaf of the pair; depth
 * counts the splits above it on the first leaf's path. */
static void pair_hash(struct pair_walk *w, uint64_t lo, uint64_t hi,
	size_t depth, unsigned char out[CUSTODY_HASH_BYTES])
{
	unsigned char part[2][CUSTODY_HASH_BYTES];
	uint64_t mid;

	if (hi - lo == 1) {
		memcpy(out, lo == w->first ? w->first_leaf : w->second_leaf,
			CUSTODY_HASH_BYTES);
		return;
	}
	mid = lo + ((uint64_t)1 << split_level(hi - lo));
	for (int side = 0; side < 2 && !w->bad; side++) {
		uint64_t a = side ? mid : lo, b = side ? hi : mid;

		if (holds(a, b, w->first) || holds(a, b, w->second))
			pair_hash(w, a, b, depth + 1, part[side]);
		else if (holds(lo, hi, w->first) && depth < w->first_count)
			memcpy(part[side],
				w->first_proof[w->first_count - 1 - depth],
				CUSTODY_HASH_BYTES);
		else if (!holds(lo, hi, w->first) && w->used < w->count)
			memcpy(part[side], w->extra[w->used++],
				CUSTODY_HASH_BYTES);
		else
			w->bad = 1;
	}
	if (!w->bad)
		custody_merkle__node_hash(part[0], part[1], out);
}

int custody_merkle__pair_proof(custody_merkle_node_fn node, void *payload,
	uint64_t first, uint64_t second, uint64_t size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err)
{
	struct pair_walk w;
	int rc;

	*count_out = 0;
	if (first >= size || second >= size || first == second)
		return custody__error(err, CUSTODY_EINVALID, "pair proof: "
			"leaves %" PRIu64 " and %" PRIu64 " are not two leaves "
			"of a tree of size %" PRIu64, first, second, size);
	memset(&w, 0, sizeof(w));
	w.first = first;
	w.second = second;
	w.node = node;
	w.payload = payload;
	w.out = proof;
	if ((rc = pair_list(&w, 0, size, err)) == 0)
		*count_out = w.count;
	return rc;
}

int custody_merkle__verify_pair(
	const unsigned char first_leaf[CUSTODY_HASH_BYTES], uint64_t first,
	const unsigned char first_proof[][CUSTODY_HASH_BYTES],
	size_t first_count,
	const unsigned char second_leaf[CUSTODY_HASH_BYTES], uint64_t second,
	const unsigned char extra[][CUSTODY_HASH_BYTES], size_t extra_count,
	uint64_t size, const unsigned char root[CUSTODY_HASH_BYTES],
	custody_error **err)
{
	unsigned char got[CUSTODY_HASH_BYTES];
	struct pair_walk w;

	if (first >= size || second >= size || first == second)
		return custody__error(err, CUSTODY_EVERIFY, "leaves %" PRIu64
			" and %" PRIu64 " are not two leaves of a tree of size %"
			PRIu64, first, second, size);
	memset(&w, 0, sizeof(w));
	w.first = first;
	w.second = second;
	w.first_leaf = first_leaf;
	w.second_leaf = second_leaf;
	w.first_proof = first_proof;
	w.first_count = first_count;
	w.extra = extra;
	w.count = extra_count;
	pair_hash(&w, 0, size, 0, got);
	if (w.bad)
		return custody__error(err, CUSTODY_EVERIFY, "the proof of "
			"leaf %" PRIu64 " beside leaf %" PRIu64 " is too short",
			second, first);
	if (w.used != extra_count)
		return custody__error(err, CUSTODY_EVERIFY, "the proof of "
			"leaf %" PRIu64 " beside leaf %" PRIu64 " has %zu "
			"hashes too many", second, first, extra_count - w.used);
	if (CRYPTO_memcmp(got, root, CUSTODY_HASH_BYTES) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "leaf %" PRIu64
			" and its proof do not give the tree's root", second);
	return 0;
}

/* How messages name a proof. */
#define INCLUSION_PROOF "inclusion proof of leaf %" PRIu64 \
	" in a tree of size %" PRIu64
#define CONSISTENCY_PROOF "consistency proof from size %" PRIu64 \
	" to %" PRIu64

/*
 * How many hashes the consistency proof from old_size to new_size holds
 * (0 < old_size < new_size): the old tree's last complete subtree (left
 * out when the old tree is itself complete, its root standing in), the
 * hashes up to where the paths to the two trees' last leaves meet, and
 * one left sibling per 1 bit above that. At most 65, when new_size is
 * above 2^63.
 */
static unsigned consistency_proof_size(uint64_t old_size, uint64_t new_size)
{
	/* fork > shift: below `shift` the bits of old_size - 1 are all 1,
	 * so new_size - 1, being larger, differs from it higher up */
	unsigned fork = bit_length((old_size - 1) ^ (new_size - 1));
	unsigned shift = (unsigned)__builtin_ctzll(old_size);
	int power_of_two = (old_size & (old_size - 1)) == 0;

	return (power_of_two ? 0 : 1) + (fork - shift) +
		(fork < 64 ? popcount((old_size - 1) >> fork) : 0);
}

int custody_merkle__consistency_proof(custody_merkle_node_fn node,
	void *payload, uint64_t old_size, uint64_t new_size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err)
{
	unsigned char path[CUSTODY_MERKLE_MAX_PROOF][CUSTODY_HASH_BYTES];
	uint64_t start = 0, end = new_size, m = old_size;
	int whole = 1; /* the RFC's b: still on the old tree's own root path */
	size_t count = 0;
	int rc;

	*count_out = 0;
	if (old_size == 0 || old_size > new_size)
		return custody__error(err, CUSTODY_EINVALID,
			"consistency proof: needs 0 < old size <= new size, "
			"got %" PRIu64 " and %" PRIu64, old_size, new_size);
	if (old_size < new_size && consistency_proof_size(old_size, new_size) >
	    CUSTODY_MERKLE_MAX_PROOF)
		return custody__error(err, CUSTODY_EINVALID,
			CONSISTENCY_PROOF ": more than %d hashes", old_size,
			new_size, CUSTODY_MERKLE_MAX_PROOF);
	/* SUBPROOF(m, D[start:end], whole), walked from the top */
	while (m != end - start) {
		unsigned level = split_level(end - start);
		uint64_t half = (uint64_t)1 << level;

		if (m <= half) {
			rc = range_root(node, payload, start + half, end,
				path[count], err);
			end = start + half;
		} else {
			rc = node(payload, level, start >> level, path[count],
				err);
			start += half;
			m -= half;
			whole = 0;
		}
		if (rc != 0)
			return rc;
		count++;
	}
	if (!whole) {
		rc = range_root(node, payload, start, end, path[count], err);
		if (rc != 0)
			return rc;
		count++;
	}
	reverse_into(proof, path, count);
	*count_out = count;
	return 0;
}

static int same_hash(const unsigned char a[CUSTODY_HASH_BYTES],
	const unsigned char b[CUSTODY_HASH_BYTES])
{
	return CRYPTO_memcmp(a, b, CUSTODY_HASH_BYTES) == 0;
}

int custody_merkle__verify_inclusion(
	const unsigned char leaf[CUSTODY_HASH_BYTES], uint64_t index,
	uint64_t size, const unsigned char proof[][CUSTODY_HASH_BYTES],
	size_t count, const unsigned char root[CUSTODY_HASH_BYTES],
	custody_error **err)
{
	unsigned char r[CUSTODY_HASH_BYTES];
	uint64_t fn, sn;
	unsigned inner, expected;

	if (index >= size)
		return custody__error(err, CUSTODY_EVERIFY,
			"inclusion proof: leaf index %" PRIu64
			" is not below the tree size %" PRIu64, index, size);
	/* levels below the point where the paths to index and to the last
	 * leaf meet, then one left sibling per 1 bit above it */
	inner = bit_length(index ^ (size - 1));
	expected = inner + (inner < 64 ? popcount(index >> inner) : 0);
	if (count != expected)
		return custody__error(err, CUSTODY_EVERIFY,
			INCLUSION_PROOF ": %zu hashes, expected %u", index,
			size, count, expected);
	/* RFC 9162 2.1.3.2 */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, CUSTODY_HASH_BYTES);
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return custody__error(err, CUSTODY_EVERIFY,
				INCLUSION_PROOF ": too many hashes", index,
				size);
		if ((fn & 1) != 0 || fn == sn) {
			custody_merkle__node_hash(proof[i], r, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			custody_merkle__node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return custody__error(err, CUSTODY_EVERIFY,
			INCLUSION_PROOF ": too few hashes", index, size);
	if (!same_hash(r, root))
		return custody__error(err, CUSTODY_EVERIFY,
			INCLUSION_PROOF ": does not lead to the expected root "
			"hash", index, size);
	return 0;
}

int custody_merkle__verify_consistency(uint64_t old_size, uint64_t new_size,
	const unsigned char old_root[CUSTODY_HASH_BYTES],
	const unsigned char new_root[CUSTODY_HASH_BYTES],
	const unsigned char proof[][CUSTODY_HASH_BYTES], size_t count,
	custody_error **err)
{
	unsigned char fr[CUSTODY_HASH_BYTES], sr[CUSTODY_HASH_BYTES];
	const unsigned char (*rest)[CUSTODY_HASH_BYTES];
	uint64_t fn, sn;
	unsigned expected;
	int power_of_two;

	if (old_size == 0)
		return custody__error(err, CUSTODY_EVERIFY,
			"consistency proof: the old tree is empty, so there "
			"is nothing to prove");
	if (old_size > new_size)
		return custody__error(err, CUSTODY_EVERIFY,
			"consistency proof: the old tree size %" PRIu64
			" is larger than the new size %" PRIu64, old_size,
			new_size);
	if (old_size == new_size) {
		if (count != 0)
			return custody__error(err, CUSTODY_EVERIFY,
				"consistency proof between trees of equal "
				"size %" PRIu64 ": %zu hashes, expected none",
				old_size, count);
		if (!same_hash(old_root, new_root))
			return custody__error(err, CUSTODY_EVERIFY,
				"consistency proof: two trees of size %" PRIu64
				" have different root hashes", old_size);
		return 0;
	}
	power_of_two = (old_size & (old_size - 1)) == 0;
	expected = consistency_proof_size(old_size, new_size);
	if (count != expected)
		return custody__error(err, CUSTODY_EVERIFY,
			CONSISTENCY_PROOF ": %zu hashes, expected %u",
			old_size, new_size, count, expected);
	/* RFC 9162 2.1.4.2, with the old root standing in as the first
	 * hash when the old tree is complete */
	if (power_of_two) {
		memcpy(fr, old_root, CUSTODY_HASH_BYTES);
		rest = proof;
	} else {
		memcpy(fr, proof[0], CUSTODY_HASH_BYTES);
		rest = proof + 1;
		count--;
	}
	memcpy(sr, fr, CUSTODY_HASH_BYTES);
	fn = old_size - 1;
	sn = new_size - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return custody__error(err, CUSTODY_EVERIFY,
				CONSISTENCY_PROOF ": too many hashes",
				old_size, new_size);
		if ((fn & 1) != 0 || fn == sn) {
			custody_merkle__node_hash(rest[i], fr, fr);
			custody_merkle__node_hash(rest[i], sr, sr);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			custody_merkle__node_hash(sr, rest[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return custody__error(err, CUSTODY_EVERIFY,
			CONSISTENCY_PROOF ": too few hashes", old_size,
			new_size);
	if (!same_hash(fr, old_root))
		return custody__error(err, CUSTODY_EVERIFY,
			CONSISTENCY_PROOF ": does not lead to the old root "
			"hash", old_size, new_size);
	if (!same_hash(sr, new_root))
		return custody__error(err, CUSTODY_EVERIFY,
			CONSISTENCY_PROOF ": does not lead to the new root "
			"hash", old_size, new_size);
	return 0;
}
