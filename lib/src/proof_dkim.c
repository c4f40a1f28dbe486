/*
 * The DKIM part of a message's proof: the newest dkim entry of the
 * message below the checkpoint's size, its public part verbatim, and the
 * hashes that prove it in the same tree beside the message (a pair
 * proof, as for the publication). check.c reads it back.
 */
#include "archive.h"
#include "common.h"
#include "entry.h"
#include "fsutil.h"
#include "merkle.h"
#include "proof.h"
#include "proof_file.h"
#include "tiles.h"
#include "tlog_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is the tree's entry i a dkim entry of message `index` with leaf
 * `leaf_hex`? Its bytes into `bytes` if so; CUSTODY_ENOTFOUND if not. The
 * index only said where to look. */
static int is_dkim_of(custody_archive *a, git_tree *tree, uint64_t i,
	uint64_t index, const char *leaf_hex, custody_buf *bytes,
	custody_error **err)
{
	struct custody_entry *e = NULL;
	custody_buf raw = CUSTODY_BUF_INIT;
	int rc;

	if ((rc = custody_archive__public_entry(a, tree, i, "dkim", &e, &raw,
	    err)) != 0)
		return rc;
	rc = CUSTODY_ENOTFOUND;
	if (e != NULL && e->type == CUSTODY_ENTRY_DKIM && e->message == index
	    && e->message_leaf != NULL && strcmp(e->message_leaf, leaf_hex)
	    == 0) {
		*bytes = raw;
		raw.ptr = NULL;
		raw.size = 0;
		rc = 0;
	}
	custody_buf_dispose(&raw);
	custody_entry__free(e);
	return rc;
}

int custody_archive__dkim_of(custody_archive *a, git_tree *tree,
	uint64_t index, const char *leaf_hex, uint64_t size, uint64_t *found,
	custody_buf *bytes, custody_error **err)
{
	struct custody_tlog_index *x = NULL;
	int rc;

	if ((rc = custody_tlog_index__open(a, tree, &x, err)) != 0)
		return rc;
	/* the newest first: a later observation is what the outlet says
	 * now about the message */
	rc = CUSTODY_ENOTFOUND;
	for (size_t r = x->nrecords; r-- > 0 && rc == CUSTODY_ENOTFOUND;) {
		const struct custody_tlog_index_record *d = &x->records[r];

		if (d->index >= size || d->index <= index ||
		    !custody_tlog_index__dkim_of(d, index))
			continue;
		if ((rc = is_dkim_of(a, tree, d->index, index, leaf_hex,
		    bytes, err)) == 0)
			*found = d->index;
	}
	custody_tlog_index__free(x);
	return rc;
}

int custody_archive__dkim_part(custody_archive *a, git_tree *tree,
	struct custody_tiles *t, const struct custody_entry *e,
	const unsigned char leaf[32], uint64_t size,
	struct custody_proof_file *f, custody_error **err)
{
	custody_buf bytes = CUSTODY_BUF_INIT;
	uint64_t found = 0;
	char leaf_hex[65];
	int rc;

	if (e->type != CUSTODY_ENTRY_REGISTER)
		return 0;
	custody_hex(leaf_hex, leaf, 32);
	rc = custody_archive__dkim_of(a, tree, e->index, leaf_hex, size,
		&found, &bytes, err);
	if (rc == CUSTODY_ENOTFOUND && size < a->size &&
	    custody_archive__dkim_of(a, tree, e->index, leaf_hex, a->size,
	    &found, &bytes, NULL) == 0) {
		/* recorded after the (timestamped) checkpoint the proof is at */
		custody_archive__notice(a, "entry %" PRIu64 "'s DKIM verdict "
			"(dkim entry %" PRIu64 ") came after the checkpoint of "
			"size %" PRIu64 " this proof is made at, so the proof "
			"does not carry it; timestamp the log again (`custody "
			"timestamp`) and make the proof again", e->index, found,
			size);
		custody_buf_dispose(&bytes);
		return 0;
	}
	if (rc == CUSTODY_ENOTFOUND)
		return 0;
	if (rc == 0 && (rc = custody_merkle__pair_proof(custody_tiles__node,
	    t, e->index, found, size, f->dkim_hashes, &f->ndkim_hashes,
	    err)) == 0) {
		f->dkim = (unsigned char *)bytes.ptr;
		f->dkim_len = bytes.size;
		bytes.ptr = NULL;
	}
	custody_buf_dispose(&bytes);
	return rc;
}
