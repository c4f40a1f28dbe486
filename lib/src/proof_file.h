/*
 * The custody header of a proof file (custody-proof/v3): the lines before
 * the first empty line, ahead of the plain C2SP tlog-proof of the
 * document. In the order custody writes them, each optional:
 *
 *   custody-proof/v3
 *   timestamp <base64 RFC 3161 token>
 *   commitment <field> <base64 commit_f>       one per private field
 *   disclose <field> <base64 nonce> <base64 value>
 *   publication <index> <time> <salt> <private> <published> <lines>
 *               <documents>                    the publish entry, packed
 *   publication-path <base64 of the pair proof's hashes, end to end>
 *   dkim <base64 of the message's dkim entry's public part>
 *   dkim-path <base64 of its pair proof's hashes, end to end>
 *   log-key <base64 log-key entry's public part>
 *
 * A publication line carries what a publish entry's public part holds
 * and the document's own entry does not: the reader rebuilds its exact
 * bytes (custody_proof_file__publication_entry) from the line and the
 * document's index and SHA-256. docs/proof-format.md describes every
 * byte. The parser is strict: the order above, no unknown keyword,
 * canonical base64, bounded counts.
 */
#ifndef CUSTODY_SRC_PROOF_FILE_H
#define CUSTODY_SRC_PROOF_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"
#include "entry.h"
#include "merkle.h"

#define CUSTODY_PROOF_V3 "custody-proof/v3\n"

/* Bounds a proof file keeps to: 4 MiB in all (the tlog-proof at most
 * 2 MiB, a publication entry and a token 64 KiB each). */
#define CUSTODY_PROOF_MAX_SIZE (4 * 1024 * 1024)
#define CUSTODY_PROOF_TOKEN_MAX (64 * 1024)
#define CUSTODY_PROOF_VALUE_MAX 4096
#define CUSTODY_PROOF_MAX_LOG_KEYS 16
#define CUSTODY_PROOF_FIELD_MAX 24

struct custody_proof_file {
	unsigned char *token;          /* DER, or NULL */
	size_t token_len;
	size_t ncommitments;
	char commit_fields[CUSTODY_ENTRY_MAX_PRIVATE][CUSTODY_PROOF_FIELD_MAX];
	unsigned char commits[CUSTODY_ENTRY_MAX_PRIVATE][32];
	size_t ndisclosed;
	char disclosed[CUSTODY_ENTRY_MAX_PRIVATE][CUSTODY_PROOF_FIELD_MAX];
	unsigned char nonces[CUSTODY_ENTRY_MAX_PRIVATE][32];
	char *values[CUSTODY_ENTRY_MAX_PRIVATE];   /* NUL-terminated */
	int has_publication;
	uint64_t publication_index;
	/* the publish entry's public part, packed: its time and published
	 * ("YYYY-MM-DDTHH:MM:SSZ"), salt and commitment as bytes, its url
	 * (and title) lines verbatim, its documents in order, the proof's
	 * own document marked rather than repeated */
	char publication_time[21];
	char publication_published[21];
	unsigned char publication_salt[32];
	unsigned char publication_private[32];
	unsigned char *publication_lines;
	size_t publication_lines_len;
	size_t npublication_documents;
	struct custody_proof_file_document {
		uint64_t index;
		int is_this;           /* the proof's own document */
		unsigned char sha256[32];
	} *publication_documents;
	size_t npublication_hashes;
	unsigned char publication_hashes[CUSTODY_MERKLE_MAX_PROOF][32];
	/* the newest dkim entry of the proof's message, its public part
	 * verbatim, and the hashes that prove it beside the message */
	unsigned char *dkim;
	size_t dkim_len;
	size_t ndkim_hashes;
	unsigned char dkim_hashes[CUSTODY_MERKLE_MAX_PROOF][32];
	size_t nlog_keys;
	unsigned char *log_keys[CUSTODY_PROOF_MAX_LOG_KEYS];
	size_t log_key_lens[CUSTODY_PROOF_MAX_LOG_KEYS];
	/* after parsing: the tlog-proof that follows, inside the input */
	const char *tlog;
	size_t tlog_len;
};

/* Parse a whole proof file; *out is cleared first. Errors:
 * CUSTODY_EINVALID naming the line, CUSTODY_ENOMEM. */
int custody_proof_file__parse(struct custody_proof_file *out,
	const char *text, size_t len, custody_error **err);

/* Append the header (version line to the empty line) to *buf. */
int custody_proof_file__format_header(const struct custody_proof_file *f,
	custody_buf *buf, custody_error **err);

/* Pack the publish entry's public part `bytes` into f's publication
 * fields for a proof of entry `index` (SHA-256 `sha256`, 64 hex);
 * CUSTODY_EINVALID if the bytes are not a publish entry as custody
 * writes it, which the packed form could not give back exactly. */
int custody_proof_file__pack_publication(struct custody_proof_file *f,
	uint64_t publication_index, const unsigned char *bytes, size_t len,
	uint64_t index, const char *sha256, custody_error **err);

/* The exact bytes of the publication's public part, rebuilt from f and
 * the proof's own entry (`index`, `sha256` 64 hex), into *out (empty
 * first). CUSTODY_ENOMEM only. */
int custody_proof_file__publication_entry(
	const struct custody_proof_file *f, uint64_t index,
	const char *sha256, custody_buf *out, custody_error **err);

void custody_proof_file__clear(struct custody_proof_file *f);

#endif
