/*
 * Hashing files: one pass over each file computes every digest the
 * archive needs (SHA-256, optionally SHA-512), streams the content into a
 * pack when it is to be stored (which yields the git blob id), and asks
 * libmagic for the media type. Files are spread over a pool of threads;
 * a large file is read by one thread while another hashes.
 */
#ifndef CUSTODY_SRC_HASH_H
#define CUSTODY_SRC_HASH_H

#include <stdint.h>
#include <sys/stat.h>
#include "custody/common.h"
#include "custody/archive.h"
#include "fsutil.h"
#include "pack.h"

struct custody_hash_job {
	/* in */
	const char *path;         /* to open: absolute, or with the option
	                             `beneath`, relative to its root_fd */
	const char *name;         /* for messages (collection-relative) */
	int check_identity;       /* refuse if ino/dev differ from below */
	uint64_t ino, dev;
	size_t tag;               /* the caller's, never read or changed */
	/* out */
	int rc;                   /* 0, an error code (see error), or 1:
	                             not hashed (the run stopped first) */
	char *error;              /* malloc'd message, when rc != 0 */
	uint64_t size;
	unsigned char sha256[32];
	unsigned char sha512[64];
	unsigned char blob[20];   /* when stored */
	char media_type[128];
	struct custody_stat st;   /* fstat after reading */
};

struct custody_hash_options {
	unsigned int threads;     /* 0: one per core */
	int beneath;              /* open job paths beneath root_fd, never
	                             through a link (collection documents) */
	int root_fd;
	int sha512;
	int media_type;           /* ask libmagic */
	const char *pack_dir;     /* non-NULL: store content in packs */
	custody_pack_exists_cb exists;
	void *exists_payload;
	int stop_on_error;        /* stop at the first failed job */
	/* polled between files and reads: non-zero stops the run (the jobs
	 * not finished get rc 1, "not hashed") */
	int (*cancelled)(void *payload);
	void *cancel_payload;
	custody_progress_cb progress;
	const char *phase;
	void *payload;
};

/*
 * Hash every job. Per-file failures are in each job's rc/error (a missing
 * file has rc CUSTODY_ENOTFOUND; a file that changed while read has
 * CUSTODY_ECHANGED). The return value is an error only when the run
 * itself failed (threads, packs, out of memory). When storing, the packs
 * written come back in *packs_out (count in *npacks_out): the caller
 * commits them or frees them, and frees the array.
 */
int custody_hash__run(struct custody_hash_job *jobs, size_t njobs,
	const struct custody_hash_options *opts, custody_pack ***packs_out,
	size_t *npacks_out, custody_error **err);

/* Free the error strings of jobs. */
void custody_hash__jobs_clear(struct custody_hash_job *jobs, size_t njobs);

/*
 * libmagic's answer as custody records it: media types are case-
 * insensitive (RFC 6838) and some of libmagic's are mixed-case
 * (text/x-Algol68), so they are lowercased; parameters are dropped;
 * anything that is still not type/subtype (the rule of
 * schemas/entry.schema.yaml) becomes application/octet-stream.
 */
void custody_hash__media_type(char *out, size_t size, const char *mt);

/* Number of threads to use when asked for 0. */
unsigned int custody_hash__default_threads(void);

#endif
