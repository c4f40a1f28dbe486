/*
 * The first lines of the files the offline checks read (check.c), for
 * the code that writes them: proof files and consistency proofs
 * (proof.c), disclosures (chain.c). docs/proof-format.md describes them.
 */
#ifndef CUSTODY_SRC_CHECK_H
#define CUSTODY_SRC_CHECK_H

#define CUSTODY_CONSISTENCY_V1 "custody-consistency/v1\n"
#define CUSTODY_REVEAL_V2 "custody-reveal/v2\n"

#include <stddef.h>
#include <stdint.h>
#include "custody/check.h"

struct custody_proof_file;
struct custody_entry;
struct custody_tlog_proof;
struct custody_checkpoint;

/*
 * custody_check's steps for the dkim line of a proof (check_dkim.c):
 * the dkim entry is a verdict on the proof's entry e (index and leaf
 * hash `leaf`), made for its digest, and in the checkpoint's tree beside
 * it; then, with a file and a DKIM verifier in this build, the file
 * verified again from the entry's evidence gives the recorded verdict.
 * Fills r's dkim fields; on failure *step names the step ("dkim",
 * "dkim-verdict") and err says why.
 */
int custody_check__dkim(const struct custody_proof_file *pf,
	const struct custody_entry *e, const unsigned char leaf[32],
	const struct custody_tlog_proof *p,
	const struct custody_checkpoint *cp, const char *file_path,
	custody_check_result *r, const char **step, custody_error **err);

/*
 * Verify `message` again from DKIM evidence (custody_dkim_recheck): the
 * verdict into `verdict`, each signature's result into results[0, *n)
 * (at most `max`). 1 when this build has no DKIM verifier (the
 * check-only build: common_check.c); else 0 or the recheck's error.
 * Defined in dkim.c for the full build.
 */
int custody_check__dkim_recheck(const void *message, size_t size,
	const char *evidence, char verdict[16], char (*results)[16],
	size_t max, size_t *n, custody_error **err);

#endif
