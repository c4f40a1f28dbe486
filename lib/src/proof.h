/*
 * The proof file of one entry (docs/proof-format.md), for the commands
 * that hand proofs out: custody_archive_proof (proof.c) and the
 * disclosure of a derivative's original (chain.c).
 */
#ifndef CUSTODY_SRC_PROOF_H
#define CUSTODY_SRC_PROOF_H

#include <stdint.h>
#include "custody/common.h"
#include "custody/archive.h"
#include "custody/proof.h"
#include <git2.h>

struct custody_entry;

/* What a proof discloses of its entry's private part. */
enum custody_disclose {
	CUSTODY_DISCLOSE_LISTED = 0,    /* the fields named (maybe none) */
	CUSTODY_DISCLOSE_ALL_BUT_BLOB   /* everything but the blob id */
};

/*
 * The proof file of entry `index` (docs/proof-format.md): at the newest
 * timestamped checkpoint that holds it when `timestamped`, else at the
 * checkpoint at head; disclosing `fields[0, nfields)` (CUSTODY_ENOTFOUND
 * naming one the entry does not hold) or, with ALL_BUT_BLOB, every
 * private field but the blob id; with the publication entry that names
 * it, if any, proven at the same checkpoint.
 */
/* custody_archive_checkpoint without noting it as shared: for a check
 * inside the library, where the checkpoint goes nowhere. */
int custody_archive__head_checkpoint(custody_archive *a,
	custody_buf *note_out, custody_checkpoint_info *info,
	custody_error **err);

int custody_archive__proof_of(custody_archive *a, uint64_t index,
	int timestamped, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err);

/*
 * Many proofs from one archive state (bag export: one per payload file):
 * the head tree, the tiles and each checkpoint's note, rotations and
 * cosignatures are read once, not once per proof. custody_prover__proof
 * makes what custody_archive__proof_of makes; the archive must not
 * change while the prover is open.
 */
struct custody_prover;

int custody_prover__open(custody_archive *a, struct custody_prover **out,
	custody_error **err);
int custody_prover__proof(struct custody_prover *p, uint64_t index,
	int timestamped, enum custody_disclose what,
	const char *const *fields, size_t nfields, custody_buf *out,
	custody_error **err);
void custody_prover__free(struct custody_prover *p);

/* The public part of entry i, parsed, and its bytes (bytes may be
 * NULL); the private part is not read (proof_publish.c). With
 * only_type ("publish"), *e stays NULL for an entry of another type. */
int custody_archive__public_entry(custody_archive *a, git_tree *tree,
	uint64_t i, const char *only_type, struct custody_entry **e,
	custody_buf *bytes, custody_error **err);

/*
 * The latest publish entry below `size` that names entry `index` with
 * digest `sha256`: its index and public bytes. CUSTODY_ENOTFOUND when
 * there is none (proof_publish.c).
 */
int custody_archive__publication_of(custody_archive *a, git_tree *tree,
	uint64_t index, const char *sha256, uint64_t size, uint64_t *found,
	custody_buf *bytes, custody_error **err);

/*
 * The newest dkim entry below `size` of message `index` whose
 * message_leaf is `leaf_hex` (64 hex): its index and public bytes.
 * CUSTODY_ENOTFOUND when there is none (proof_dkim.c).
 */
int custody_archive__dkim_of(custody_archive *a, git_tree *tree,
	uint64_t index, const char *leaf_hex, uint64_t size, uint64_t *found,
	custody_buf *bytes, custody_error **err);

struct custody_tiles;
struct custody_proof_file;

/* For a register entry e (leaf hash `leaf`) with a dkim entry below
 * `size`: that entry and its pair proof into f's dkim fields; nothing
 * for other entries, or with no dkim entry (proof_dkim.c). */
int custody_archive__dkim_part(custody_archive *a, git_tree *tree,
	struct custody_tiles *t, const struct custody_entry *e,
	const unsigned char leaf[32], uint64_t size,
	struct custody_proof_file *f, custody_error **err);

#endif
