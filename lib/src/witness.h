/* Private parts of the witness (custody/witness.h) shared by its files. */
#ifndef CUSTODY_SRC_WITNESS_H
#define CUSTODY_SRC_WITNESS_H

#include <stddef.h>
#include <stdint.h>
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

/* What witness serve reads of a request: 8 KiB of head, 128 KiB of body. */
#define CUSTODY_WITNESS__HEAD_MAX 8192
#define CUSTODY_WITNESS__BODY_MAX (128 * 1024)

enum custody_witness__route {
	CUSTODY_WITNESS__NO_ROUTE = 0,
	CUSTODY_WITNESS__ADD_CHECKPOINT,  /* POST /add-checkpoint */
	CUSTODY_WITNESS__LATEST           /* GET or HEAD /<hash>/checkpoint */
};

/* An HTTP/1.x request head as witness serve reads it. */
struct custody_witness__request {
	/* the answer when the head is refused (status 0: go on): its one
	 * line of text/plain, an "Allow: ...\r\n" header for a 405 (else
	 * NULL), and what the log says (NULL: nothing more) */
	int status;
	const char *text, *allow, *detail;
	/* the request line's words ("-" before they are read) */
	char method[17], target[257];
	size_t head_len;                  /* through the empty line */
	size_t body_len;                  /* Content-Length */
	int expect_continue;              /* Expect: 100-continue */
	enum custody_witness__route route;
};

/*
 * Read the request head in buf[0 .. have): all the server has received
 * when it holds "\r\n\r\n" or CUSTODY_WITNESS__HEAD_MAX bytes. Parses
 * the request line, Content-Length, Transfer-Encoding and Expect, and
 * routes the request: on success req->route says which and, for
 * add-checkpoint, buf[head_len .. have) is the start of a body of
 * body_len bytes (never more). Reads nothing outside buf; never fails.
 */
void custody_witness__read_head(struct custody_witness__request *req,
	const char *buf, size_t have);

/*
 * The size in a witness's 409 answer to add-checkpoint (body[0 .. len):
 * c2sp.org/tlog-witness, text/x.tlog.size): canonical decimal digits
 * that fit in 64 bits, then a newline or nothing. 0 and *out, or -1 for
 * any other body. (witness_cosign.c)
 */
int custody_witness__conflict_size(const char *body, size_t len,
	uint64_t *out);

#endif
