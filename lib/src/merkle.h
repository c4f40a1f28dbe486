/*
 * The log's Merkle tree: RFC 6962 hashing with SHA-256, and the inclusion
 * and consistency proofs of RFC 9162 (sections 2.1.3 and 2.1.4), built and
 * checked.
 *
 * Proofs and roots are computed from a node function that returns the hash
 * of any complete subtree, so the same code runs over an in-memory array,
 * the tile store (tiles.h) or anything else that keeps hashes. Only
 * O(log n) nodes are asked for: a complete subtree is one lookup, and only
 * the ragged right edge of the tree is split further.
 *
 * Thread safety: the functions keep no state; a node function is called
 * from the calling thread only.
 */
#ifndef CUSTODY_SRC_MERKLE_H
#define CUSTODY_SRC_MERKLE_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

#define CUSTODY_HASH_BYTES 32

/*
 * The most hashes a proof built here holds. Inclusion proofs never need
 * more; a consistency proof needs 65 only into a tree of more than 2^63
 * leaves, and is then refused.
 */
#define CUSTODY_MERKLE_MAX_PROOF 64

/* SHA-256(0x00 || data): the hash of a log entry. */
void custody_merkle__leaf_hash(const void *data, size_t len,
	unsigned char out[CUSTODY_HASH_BYTES]);

/* SHA-256(0x01 || left || right): the hash of an interior node. */
void custody_merkle__node_hash(const unsigned char left[CUSTODY_HASH_BYTES],
	const unsigned char right[CUSTODY_HASH_BYTES],
	unsigned char out[CUSTODY_HASH_BYTES]);

/* SHA-256 of nothing: the root of the empty tree. */
void custody_merkle__empty_root(unsigned char out[CUSTODY_HASH_BYTES]);

/*
 * Where proofs get hashes from: the hash of the complete subtree of
 * 2^level leaves that starts at leaf index << level (level 0: the leaf
 * hashes). Only ever asked for subtrees that lie wholly inside the tree.
 * Returns 0 or a CUSTODY_E* code (and fills err).
 */
typedef int (*custody_merkle_node_fn)(void *payload, unsigned level,
	uint64_t index, unsigned char out[CUSTODY_HASH_BYTES],
	custody_error **err);

/* The root of the first `size` leaves (the empty root for size 0). */
int custody_merkle__root(custody_merkle_node_fn node, void *payload,
	uint64_t size, unsigned char out[CUSTODY_HASH_BYTES],
	custody_error **err);

/*
 * The inclusion proof of leaf `index` in the tree of `size` leaves
 * (RFC 9162 2.1.3.1), leaf sibling first: *count_out hashes, at most
 * CUSTODY_MERKLE_MAX_PROOF, into proof. CUSTODY_EINVALID if index >= size.
 */
int custody_merkle__inclusion_proof(custody_merkle_node_fn node,
	void *payload, uint64_t index, uint64_t size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err);

/*
 * The consistency proof between the trees of old_size and new_size leaves
 * (RFC 9162 2.1.4.1), lowest hash first: *count_out hashes, at most
 * CUSTODY_MERKLE_MAX_PROOF, into proof; none when the sizes are equal.
 * CUSTODY_EINVALID unless 0 < old_size <= new_size, or if the proof would
 * not fit (new_size above 2^63).
 */
int custody_merkle__consistency_proof(custody_merkle_node_fn node,
	void *payload, uint64_t old_size, uint64_t new_size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err);

/*
 * Check that `count` hashes prove leaf hash `leaf` is at `index` in the
 * tree of `size` leaves whose root is `root` (RFC 9162 2.1.3.2). 0 if the
 * proof holds; CUSTODY_EVERIFY with the reason (index not below size,
 * wrong number of hashes, root mismatch) if not. Reads no more than
 * `count` hashes.
 */
int custody_merkle__verify_inclusion(
	const unsigned char leaf[CUSTODY_HASH_BYTES], uint64_t index,
	uint64_t size, const unsigned char proof[][CUSTODY_HASH_BYTES],
	size_t count, const unsigned char root[CUSTODY_HASH_BYTES],
	custody_error **err) __attribute__((warn_unused_result));

/*
 * A second leaf's proof beside a first one's: the hashes of the subtrees
 * on leaf `second`'s path that leaf `first`'s own inclusion proof does
 * not hold. Computed by the recursion of RFC 6962's MTH over [0, size):
 * a range holding neither leaf is skipped when it is a sibling of a range
 * holding `first` (the first proof has it), else its hash is listed; the
 * list is in depth-first, left-to-right order. For two leaves close
 * together it holds about log2(|second - first|) hashes. first != second,
 * both below size. At most CUSTODY_MERKLE_MAX_PROOF hashes.
 */
int custody_merkle__pair_proof(custody_merkle_node_fn node, void *payload,
	uint64_t first, uint64_t second, uint64_t size,
	unsigned char proof[][CUSTODY_HASH_BYTES], size_t *count_out,
	custody_error **err);

/*
 * Check both leaves at once: the root computed by the same recursion,
 * taking `first`'s siblings from its inclusion proof (first_proof,
 * leaf's sibling first, as custody_merkle__inclusion_proof gives it) and
 * the others from `extra` in order, is `root`, and every hash of extra
 * was used. 0, or CUSTODY_EVERIFY with the reason.
 */
int custody_merkle__verify_pair(
	const unsigned char first_leaf[CUSTODY_HASH_BYTES], uint64_t first,
	const unsigned char first_proof[][CUSTODY_HASH_BYTES],
	size_t first_count,
	const unsigned char second_leaf[CUSTODY_HASH_BYTES], uint64_t second,
	const unsigned char extra[][CUSTODY_HASH_BYTES], size_t extra_count,
	uint64_t size, const unsigned char root[CUSTODY_HASH_BYTES],
	custody_error **err) __attribute__((warn_unused_result));

/*
 * Check that `count` hashes prove the tree of new_size leaves with root
 * new_root extends the tree of old_size leaves with root old_root
 * (RFC 9162 2.1.4.2). 0 if the proof holds; CUSTODY_EVERIFY with the
 * reason if not. Equal sizes need an empty proof and equal roots. An
 * old_size of 0 is refused: every tree extends the empty one, so there is
 * nothing to prove, and a caller moving on from an empty tree must not
 * mistake this call for a check. Reads no more than `count` hashes.
 */
int custody_merkle__verify_consistency(uint64_t old_size, uint64_t new_size,
	const unsigned char old_root[CUSTODY_HASH_BYTES],
	const unsigned char new_root[CUSTODY_HASH_BYTES],
	const unsigned char proof[][CUSTODY_HASH_BYTES], size_t count,
	custody_error **err) __attribute__((warn_unused_result));

#endif
