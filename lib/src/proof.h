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

/*
 * The proof file of entry `index` (docs/proof-format.md): at the newest
 * timestamped checkpoint that holds it when `timestamped`, else at the
 * checkpoint at head.
 */
int custody_archive__proof_of(custody_archive *a, uint64_t index,
	int timestamped, custody_buf *out, custody_error **err);

#endif
