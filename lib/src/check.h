/*
 * The first lines of the files the offline checks read (check.c), for
 * the code that writes them: proof files and consistency proofs
 * (proof.c), disclosures (chain.c). docs/proof-format.md describes them.
 */
#ifndef CUSTODY_SRC_CHECK_H
#define CUSTODY_SRC_CHECK_H

#define CUSTODY_CONSISTENCY_V1 "custody-consistency/v1\n"
#define CUSTODY_REVEAL_V2 "custody-reveal/v2\n"

#endif
