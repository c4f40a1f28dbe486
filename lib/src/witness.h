/* Private parts of the witness (custody/witness.h) shared by its files. */
#ifndef CUSTODY_SRC_WITNESS_H
#define CUSTODY_SRC_WITNESS_H

#include <stddef.h>
#include "custody/witness.h"
#include "cosignature.h"
#include "note.h"

struct custody_witness {
	char *path;
	char name[CUSTODY_NOTE_NAME_MAX + 1];
	char *vkey;
	char *key_name;
	struct custody_cosig_verifier self;
	const custody_key *key;
};

/* SHA-256 of origin[0 .. len) in lowercase hex: the name of the
 * origin's files, and the monitor's <origin hash>. */
void custody_witness__origin_hash(const char *origin, size_t len,
	char out[65]);

#endif
